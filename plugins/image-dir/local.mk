# plugins/image-dir: the short image plugin (a folder or tarball + the overlay).
# IMAGE_COMMON_* are defined in plugins/image-alpine/local.mk (included first).
plugin_LTLIBRARIES += plugins/image-dir/image-dir.la
plugins_image_dir_image_dir_la_SOURCES = \
	plugins/image-dir/image-dir.c \
	$(IMAGE_COMMON_SOURCES)
plugins_image_dir_image_dir_la_CFLAGS = $(IMAGE_COMMON_CFLAGS)
plugins_image_dir_image_dir_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_image_dir_image_dir_la_LIBADD = $(IMAGE_COMMON_LIBS)
PRELOAD_PLUGINS += plugins/image-dir/image-dir.la
PLUGIN_BUILD_DIRS += plugins/image-dir/.libs

TESTS += tests/image-dir/build.sh
EXTRA_DIST += tests/image-dir/build.sh docs/plugins/image-dir.md
