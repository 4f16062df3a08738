# plugins/image-dir: the short image plugin, a folder or tarball + the overlay
# (configure: --disable-image-dir).  IMAGE_COMMON_*: plugins/image-common/local.mk.
TESTS += tests/image-dir/build.sh
EXTRA_DIST += tests/image-dir/build.sh docs/plugins/image-dir.md

if BUILD_IMAGE_DIR
plugin_LTLIBRARIES += plugins/image-dir/image-dir.la
plugins_image_dir_image_dir_la_SOURCES = \
	plugins/image-dir/image-dir.c \
	$(IMAGE_COMMON_SOURCES)
plugins_image_dir_image_dir_la_CFLAGS = $(IMAGE_COMMON_CFLAGS)
plugins_image_dir_image_dir_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_image_dir_image_dir_la_LIBADD = $(IMAGE_COMMON_LIBS)
PRELOAD_PLUGINS += plugins/image-dir/image-dir.la
PRELOAD_LIBS += $(IMAGE_COMMON_LIBS)
PLUGIN_BUILD_DIRS += plugins/image-dir/.libs
endif
