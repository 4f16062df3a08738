# plugins/net-tap: per-VM address lease, MAC, persistent TAP; gc of orphan TAPs
# (configure: --disable-net-tap)
NET_TAP_SH_TESTS = tests/net-tap/vms.sh tests/net-tap/concurrent.sh tests/net-tap/crash-gc.sh \
	tests/net-tap/tap-names.sh tests/net-tap/flush.sh tests/net-tap/up-fast.sh \
	tests/net-tap/down-fast.sh
TESTS += $(NET_TAP_SH_TESTS)
EXTRA_DIST += $(NET_TAP_SH_TESTS) tests/bench/net-bench.sh conf/conf.d/41-net-tap.conf

if BUILD_NET_TAP
plugin_LTLIBRARIES += plugins/net-tap/net-tap.la
plugins_net_tap_net_tap_la_SOURCES = plugins/common/nlroute.c plugins/common/nlroute.h plugins/net-tap/net-tap.c plugins/net-tap/net-tap.h \
	plugins/net-tap/addr.c plugins/net-tap/tap.c plugins/net-tap/gc.c
plugins_net_tap_net_tap_la_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/plugins/common $(LIBNL_CFLAGS)
plugins_net_tap_net_tap_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_net_tap_net_tap_la_LIBADD = $(LIBNL_LIBS)
PRELOAD_PLUGINS += plugins/net-tap/net-tap.la
PRELOAD_LIBS += $(LIBNL_LIBS)
PLUGIN_BUILD_DIRS += plugins/net-tap/.libs
LIA_CONFD_FILES += conf/conf.d/41-net-tap.conf

# pure logic (addresses, MACs, TAP names)
check_PROGRAMS += tests/net-tap/addr-test
tests_net_tap_addr_test_SOURCES = tests/net-tap/addr-test.c plugins/net-tap/addr.c
tests_net_tap_addr_test_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/net-tap
TESTS += tests/net-tap/addr-test
endif
