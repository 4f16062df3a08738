# plugins/host: host checks and preparation (configure: --disable-host)
EXTRA_DIST += conf/conf.d/10-host.conf
if BUILD_HOST
plugin_LTLIBRARIES += plugins/host/host.la
plugins_host_host_la_SOURCES = plugins/host/host.c plugins/host/api_units.c plugins/host/api_units.h
plugins_host_host_la_CPPFLAGS = $(AM_CPPFLAGS) -DLIA_BINDIR='"$(bindir)"'
plugins_host_host_la_LDFLAGS = $(PLUGIN_LDFLAGS)
PRELOAD_PLUGINS += plugins/host/host.la
PLUGIN_BUILD_DIRS += plugins/host/.libs
LIA_CONFD_FILES += conf/conf.d/10-host.conf
endif
