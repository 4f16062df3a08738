# plugins/kernel-fetch: setup phase "kernel" - the guest kernel, downloaded and verified
plugin_LTLIBRARIES += plugins/kernel-fetch/kernel-fetch.la
plugins_kernel_fetch_kernel_fetch_la_SOURCES = \
	plugins/kernel-fetch/kernel-fetch.c \
	plugins/kernel-fetch/elfcheck.c plugins/kernel-fetch/elfcheck.h
plugins_kernel_fetch_kernel_fetch_la_CFLAGS = $(AM_CFLAGS) $(CRYPTO_CFLAGS)
plugins_kernel_fetch_kernel_fetch_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_kernel_fetch_kernel_fetch_la_LIBADD = $(CRYPTO_LIBS)
PRELOAD_PLUGINS += plugins/kernel-fetch/kernel-fetch.la
PLUGIN_BUILD_DIRS += plugins/kernel-fetch/.libs
# its tests are listed in tests/download/local.mk
