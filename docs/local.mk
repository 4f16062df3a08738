# Manual pages and guides.
dist_man_MANS += docs/lia-core.1 docs/lia.conf.5
liadocdir = $(docdir)
liadoc_DATA = docs/plugin-guide.md docs/record-schema.md docs/architecture.md docs/downloads.md
EXTRA_DIST += $(liadoc_DATA) docs/examples/hello/hello.c docs/examples/hello/Makefile \
	$(wildcard $(srcdir)/docs/plugins/*.md)
