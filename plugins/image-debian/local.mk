# plugins/image-debian: the Debian guest image (mmdebstrap); configure: --disable-image-debian.
# The shared image code comes from plugins/image-common/local.mk (IMAGE_COMMON_*); its
# tests are the QEMU end-to-end test (tests/qemu/e2e.sh).
if BUILD_IMAGE_DEBIAN
plugin_LTLIBRARIES += plugins/image-debian/image-debian.la
plugins_image_debian_image_debian_la_SOURCES = \
	plugins/image-debian/image-debian.c \
	$(IMAGE_COMMON_SOURCES)
plugins_image_debian_image_debian_la_CFLAGS = $(IMAGE_COMMON_CFLAGS)
plugins_image_debian_image_debian_la_LDFLAGS = $(PLUGIN_LDFLAGS)
# libcrypto for its own SHA256() (image-common opens it on first use)
plugins_image_debian_image_debian_la_LIBADD = $(IMAGE_COMMON_LIBS) $(CRYPTO_LIBS)
PRELOAD_PLUGINS += plugins/image-debian/image-debian.la
PRELOAD_LIBS += $(IMAGE_COMMON_LIBS) $(CRYPTO_LIBS)
PLUGIN_BUILD_DIRS += plugins/image-debian/.libs
endif
