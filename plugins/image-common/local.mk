# plugins/image-common: the image code shared by image-alpine, image-dir and image-debian.  It is not a
# plugin: each image plugin compiles these sources into its own module (a plugin links no
# core symbol and no other plugin), using the three variables below.
IMAGE_COMMON_SOURCES = \
	plugins/image-common/image-common.h \
	plugins/image-common/fsutil.c \
	plugins/image-common/extract.c \
	plugins/image-common/tree.c \
	plugins/image-common/guest.c \
	plugins/image-common/chroot.c \
	plugins/image-common/build.c \
	plugins/image-common/bulk.c \
	plugins/image-common/vmdisk.c \
	plugins/common/confine.c plugins/common/confine.h
IMAGE_COMMON_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/plugins/common $(JANSSON_CFLAGS) $(LIBARCHIVE_CFLAGS) $(CRYPTO_CFLAGS) \
	-DLIA_ROOTFS_DIR='"$(pkgdatadir)/rootfs"'
# libarchive and libcrypto: headers only, dlopen-ed on first use (extract.c, tree.c);
# debian/control names them for lia-plugin-image
IMAGE_COMMON_LIBS = $(JANSSON_LIBS) $(DL_LIBS)

# the shell test is listed even when no image plugin is built: it skips, saying why
TESTS += tests/image-common/bulk-write.sh
EXTRA_DIST += tests/image-common/bulk-write.sh

if BUILD_IMAGE_COMMON
# a small stand-in host that drives one image plugin's hook (the image tests run it
# before/without lia-core); it also links the shared image code, for its `clone` command
# used by the benchmark
check_PROGRAMS += tests/image-alpine/img-drive
# (the host services every test host shares: core/svc_helpers.h's LIA_HOST_HELPERS)
tests_image_alpine_img_drive_SOURCES = tests/image-alpine/img-drive.c $(IMAGE_COMMON_SOURCES) \
	core/svc_helpers.c core/svc_spawn.c core/util.c core/download.c core/curl_dl.c core/crypto_dl.c core/hashq.c
tests_image_alpine_img_drive_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)
tests_image_alpine_img_drive_CFLAGS = $(IMAGE_COMMON_CFLAGS) $(CURL_CFLAGS)
tests_image_alpine_img_drive_LDADD = $(IMAGE_COMMON_LIBS) $(CRYPTO_LIBS) $(DL_LIBS)
endif
