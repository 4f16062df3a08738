# plugins/kernel-fetch: setup phase "kernel" - the guest kernel, downloaded and verified
# (configure: --disable-kernel-fetch)
KERNEL_FETCH_TESTS = tests/kernel-fetch/kernel-fetch.sh tests/kernel-fetch/lia-core.sh
TESTS += $(KERNEL_FETCH_TESTS)
EXTRA_DIST += $(KERNEL_FETCH_TESTS) tests/kernel-fetch/mkkernel.py conf/conf.d/20-kernel-fetch.conf

if BUILD_KERNEL_FETCH
plugin_LTLIBRARIES += plugins/kernel-fetch/kernel-fetch.la
plugins_kernel_fetch_kernel_fetch_la_SOURCES = \
	plugins/kernel-fetch/kernel-fetch.c \
	plugins/kernel-fetch/elfcheck.c plugins/kernel-fetch/elfcheck.h
plugins_kernel_fetch_kernel_fetch_la_CFLAGS = $(AM_CFLAGS) $(CRYPTO_CFLAGS)
plugins_kernel_fetch_kernel_fetch_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_kernel_fetch_kernel_fetch_la_LIBADD = $(CRYPTO_LIBS)
PRELOAD_PLUGINS += plugins/kernel-fetch/kernel-fetch.la
PLUGIN_BUILD_DIRS += plugins/kernel-fetch/.libs
LIA_CONFD_FILES += conf/conf.d/20-kernel-fetch.conf

# the plugin's setup hook run through the fake host of tests/download/local.mk
check_PROGRAMS += tests/kernel-fetch/kf-test
tests_kernel_fetch_kf_test_SOURCES = tests/kernel-fetch/kf-test.c \
	plugins/kernel-fetch/kernel-fetch.c plugins/kernel-fetch/elfcheck.c plugins/kernel-fetch/elfcheck.h \
	$(FAKEHOST_SOURCES)
tests_kernel_fetch_kf_test_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)
tests_kernel_fetch_kf_test_CFLAGS = $(FAKEHOST_CFLAGS)
tests_kernel_fetch_kf_test_LDADD = $(CRYPTO_LIBS) $(DL_LIBS)
endif
