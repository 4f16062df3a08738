# plugins/image-common: the image code shared by image-alpine and image-dir.  It is not a
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
	plugins/image-common/vmdisk.c
IMAGE_COMMON_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(LIBARCHIVE_CFLAGS) $(CRYPTO_CFLAGS) \
	-DLIA_ROOTFS_DIR='"$(pkgdatadir)/rootfs"'
IMAGE_COMMON_LIBS = $(JANSSON_LIBS) $(LIBARCHIVE_LIBS) $(CRYPTO_LIBS)
