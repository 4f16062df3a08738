# plugins/image-debian: the Debian guest image (mmdebstrap), with the shared image code
# of plugins/image-common (IMAGE_COMMON_* come from plugins/image-alpine/local.mk).
plugin_LTLIBRARIES += plugins/image-debian/image-debian.la
plugins_image_debian_image_debian_la_SOURCES = \
	plugins/image-debian/image-debian.c \
	$(IMAGE_COMMON_SOURCES)
plugins_image_debian_image_debian_la_CFLAGS = $(IMAGE_COMMON_CFLAGS)
plugins_image_debian_image_debian_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_image_debian_image_debian_la_LIBADD = $(IMAGE_COMMON_LIBS)
PRELOAD_PLUGINS += plugins/image-debian/image-debian.la
PLUGIN_BUILD_DIRS += plugins/image-debian/.libs
