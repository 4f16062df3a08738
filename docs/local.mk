# Manual pages and guides.
# Manual pages: made from NAME.in with this build's paths (configure's --sysconfdir...).
man_MANS = docs/lia-core.1 docs/lia.conf.5 docs/lia-vm-api.8
CLEANFILES += $(man_MANS)
EXTRA_DIST += docs/lia-core.1.in docs/lia.conf.5.in docs/lia-vm-api.8.in
docs/lia-core.1: $(srcdir)/docs/lia-core.1.in Makefile
docs/lia.conf.5: $(srcdir)/docs/lia.conf.5.in Makefile
docs/lia-vm-api.8: $(srcdir)/docs/lia-vm-api.8.in Makefile
$(man_MANS):
	$(AM_V_GEN)$(MKDIR_P) docs && sed -e 's|@sysconfdir[@]|$(sysconfdir)|g' \
		-e 's|@plugindir[@]|$(plugindir)|g' -e 's|@VERSION[@]|$(VERSION)|g' \
		$(srcdir)/$@.in >$@.tmp && mv -f $@.tmp $@
liadocdir = $(docdir)
liadoc_DATA = docs/plugin-guide.md docs/record-schema.md docs/architecture.md docs/downloads.md docs/api/openapi.yaml
# each shipped plugin's page (the record keys it reads and writes, its settings)
liaplugindocdir = $(docdir)/plugins
liaplugindoc_DATA = docs/plugins/fc-driver.md docs/plugins/image-alpine.md docs/plugins/image-dir.md \
	docs/plugins/kernel-fetch.md docs/plugins/net-bridge.md docs/plugins/net-tap.md docs/plugins/vsock.md
EXTRA_DIST += $(liadoc_DATA) $(liaplugindoc_DATA) docs/examples/hello/hello.c docs/examples/hello/Makefile
