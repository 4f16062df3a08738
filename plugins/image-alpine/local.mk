# plugins/image-alpine: the Alpine guest image (configure: --disable-image-alpine).  The
# shared image code comes from plugins/image-common/local.mk (IMAGE_COMMON_*).
IMAGE_ALPINE_TESTS = \
	tests/image-alpine/lia-init.sh \
	tests/image-alpine/build.sh \
	tests/image-alpine/failure.sh \
	tests/image-alpine/vm-disks.sh \
	tests/image-alpine/progress.sh
# the shell tests are listed even when the plugin is not built: they skip, saying why
TESTS += $(IMAGE_ALPINE_TESTS)
EXTRA_DIST += $(IMAGE_ALPINE_TESTS) tests/image-alpine/fixture.sh \
	tests/bench/image-bench.sh docs/plugins/image-alpine.md conf/conf.d/30-image-alpine.conf

if BUILD_IMAGE_ALPINE
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
PRELOAD_LIBS += $(IMAGE_COMMON_LIBS)
PLUGIN_BUILD_DIRS += plugins/image-alpine/.libs
LIA_CONFD_FILES += conf/conf.d/30-image-alpine.conf
endif
