# plugins/image-alpine: the Alpine guest image.  The shared image code in
# plugins/image-common/ is compiled into this plugin and into image-dir (each plugin
# is a self-contained module that links no core symbol).
IMAGE_COMMON_SOURCES = \
	plugins/image-common/image-common.h \
	plugins/image-common/fsutil.c \
	plugins/image-common/extract.c \
	plugins/image-common/tree.c \
	plugins/image-common/guest.c \
	plugins/image-common/chroot.c \
	plugins/image-common/build.c \
	plugins/image-common/vmdisk.c
IMAGE_COMMON_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(LIBARCHIVE_CFLAGS) $(CRYPTO_CFLAGS) \
	-DLIA_ROOTFS_DIR='"$(pkgdatadir)/rootfs"'
IMAGE_COMMON_LIBS = $(JANSSON_LIBS) $(LIBARCHIVE_LIBS) $(CRYPTO_LIBS)

plugin_LTLIBRARIES += plugins/image-alpine/image-alpine.la
plugins_image_alpine_image_alpine_la_SOURCES = \
	plugins/image-alpine/image-alpine.c \
	plugins/image-alpine/alpine.h \
	plugins/image-alpine/fetch.c \
	plugins/image-alpine/packages.c \
	$(IMAGE_COMMON_SOURCES)
plugins_image_alpine_image_alpine_la_CFLAGS = $(IMAGE_COMMON_CFLAGS)
plugins_image_alpine_image_alpine_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_image_alpine_image_alpine_la_LIBADD = $(IMAGE_COMMON_LIBS)
PRELOAD_PLUGINS += plugins/image-alpine/image-alpine.la
PLUGIN_BUILD_DIRS += plugins/image-alpine/.libs

# a small stand-in host that drives one plugin hook (tests run before/without lia-core)
check_PROGRAMS += tests/image-alpine/img-drive
# (it also links the shared image code, for its `clone` command used by the benchmark)
tests_image_alpine_img_drive_SOURCES = tests/image-alpine/img-drive.c $(IMAGE_COMMON_SOURCES)
tests_image_alpine_img_drive_CFLAGS = $(IMAGE_COMMON_CFLAGS)
tests_image_alpine_img_drive_LDADD = $(IMAGE_COMMON_LIBS) $(DL_LIBS)

IMAGE_ALPINE_TESTS = \
	tests/image-alpine/lia-init.sh \
	tests/image-alpine/build.sh \
	tests/image-alpine/failure.sh \
	tests/image-alpine/vm-disks.sh
TESTS += $(IMAGE_ALPINE_TESTS)
EXTRA_DIST += $(IMAGE_ALPINE_TESTS) tests/image-alpine/fixture.sh \
	tests/bench/image-bench.sh docs/plugins/image-alpine.md
