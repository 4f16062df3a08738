# plugins/kernel-debian: setup phase "kernel" - vmlinux + initramfs from a Debian kernel
# package (configure: --disable-kernel-debian)
KERNEL_DEBIAN_TESTS = tests/kernel-debian/kernel.sh
# the shell tests are listed even when the plugin is not built: they skip, saying why
TESTS += $(KERNEL_DEBIAN_TESTS)
EXTRA_DIST += $(KERNEL_DEBIAN_TESTS)

if BUILD_KERNEL_DEBIAN
plugin_LTLIBRARIES += plugins/kernel-debian/kernel-debian.la
plugins_kernel_debian_kernel_debian_la_SOURCES = \
	plugins/kernel-debian/kernel-debian.c plugins/kernel-debian/kdeb.h \
	plugins/kernel-debian/vmlinux.c plugins/kernel-debian/initramfs.c
plugins_kernel_debian_kernel_debian_la_CFLAGS = $(AM_CFLAGS) $(LIBARCHIVE_CFLAGS)
plugins_kernel_debian_kernel_debian_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_kernel_debian_kernel_debian_la_LIBADD = $(LIBARCHIVE_LIBS)
PRELOAD_PLUGINS += plugins/kernel-debian/kernel-debian.la
PRELOAD_LIBS += $(LIBARCHIVE_LIBS)
PLUGIN_BUILD_DIRS += plugins/kernel-debian/.libs
endif
