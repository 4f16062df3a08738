# Configuration shipped with lia: the main file and one conf.d file per plugin (each built
# plugin adds its own to LIA_CONFD_FILES in plugins/NAME/local.mk).  They are installed as
# conffiles (conf/install-conf.sh): an edited file is never overwritten - the new version
# goes beside it as NAME.dist, and make install says so - and `make uninstall` keeps it.
liaconfdir = $(sysconfdir)/lia
liaconfddir = $(sysconfdir)/lia/conf.d
LIA_CONF_FILES = conf/lia.conf
liaexamplesdir = $(pkgdatadir)/examples
liaexamples_DATA = conf/conf.d/30-image-dir.conf.example conf/artifacts.manifest \
	conf/conf.d/50-qemu-driver.conf.example conf/conf.d/20-kernel-debian.conf.example \
	conf/conf.d/30-image-debian.conf.example
EXTRA_DIST += $(LIA_CONF_FILES) $(liaexamples_DATA) conf/install-conf.sh

LIA_INSTALL_CONF = LIA_SYSCONFDIR='$(sysconfdir)' LIA_PLUGINDIR='$(plugindir)' \
	LIA_BINDIR='$(bindir)' LIA_LOCALSTATEDIR='$(localstatedir)' INSTALL_DATA='$(INSTALL_DATA)' \
	$(SHELL) $(srcdir)/conf/install-conf.sh
install-data-local: install-lia-conf
install-lia-conf:
	$(MKDIR_P) '$(DESTDIR)$(liaconfdir)' '$(DESTDIR)$(liaconfddir)'
	@$(LIA_INSTALL_CONF) install '$(DESTDIR)$(liaconfdir)' $(LIA_CONF_FILES:%=$(srcdir)/%)
	@$(LIA_INSTALL_CONF) install '$(DESTDIR)$(liaconfddir)' $(LIA_CONFD_FILES:%=$(srcdir)/%)
uninstall-local: uninstall-lia-conf
uninstall-lia-conf:
	@$(LIA_INSTALL_CONF) uninstall '$(DESTDIR)$(liaconfdir)' $(LIA_CONF_FILES:%=$(srcdir)/%)
	@$(LIA_INSTALL_CONF) uninstall '$(DESTDIR)$(liaconfddir)' $(LIA_CONFD_FILES:%=$(srcdir)/%)
.PHONY: install-lia-conf uninstall-lia-conf

# lia-vm-api.service and .socket: `lia-core serve`, the VM API daemon (lia-vm-api(8)).
# The host plugin's services phase writes the same units into host.unit_dir.
EXTRA_DIST += conf/lia-vm-api.service.in conf/lia-vm-api.socket
if HAVE_SYSTEMD
liaunitdir = $(systemdsystemunitdir)
liaunit_DATA = conf/lia-vm-api.service conf/lia-vm-api.socket
CLEANFILES += conf/lia-vm-api.service
conf/lia-vm-api.service: $(srcdir)/conf/lia-vm-api.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) conf && \
	sed -e 's|@bindir[@]|$(bindir)|g' $(srcdir)/conf/lia-vm-api.service.in > $@.tmp && mv $@.tmp $@
endif
