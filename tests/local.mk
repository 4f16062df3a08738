# Tests of the core; plugins add theirs in plugins/NAME/local.mk.
LOG_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/build-aux/tap-driver.sh
TEST_EXTENSIONS = .sh
SH_LOG_DRIVER = $(LOG_DRIVER)
lia_empty :=
lia_space := $(lia_empty) $(lia_empty)
LIA_TEST_PLUGIN_PATH = $(subst $(lia_space),,$(PLUGIN_BUILD_DIRS:%=$(abs_top_builddir)/%:))
AM_TESTS_ENVIRONMENT = \
	top_srcdir='$(abs_top_srcdir)'; top_builddir='$(abs_top_builddir)'; \
	LIA_CORE='$(abs_top_builddir)/lia-core'; \
	LIA_PLUGIN_PATH='$(LIA_TEST_PLUGIN_PATH)$(abs_top_builddir)/tests/stubs/.libs'; \
	LIA_STUB_DIR='$(abs_top_builddir)/tests/stubs/.libs'; \
	export top_srcdir top_builddir LIA_CORE LIA_PLUGIN_PATH LIA_STUB_DIR;
EXTRA_DIST += tests/lib.sh
include tests/download/local.mk
include tests/core.mk
