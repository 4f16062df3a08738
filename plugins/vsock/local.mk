# plugins/vsock: guest CIDs, vsock sockets, readiness wait, `lia-core vm connect`
# (configure: --disable-vsock)
VSOCK_SH_TESTS = tests/vsock/connect.sh tests/vsock/lifecycle.sh tests/vsock/real.sh
TESTS += $(VSOCK_SH_TESTS)
EXTRA_DIST += $(VSOCK_SH_TESTS) tests/vsock/bench.sh conf/conf.d/60-vsock.conf

if BUILD_VSOCK
plugin_LTLIBRARIES += plugins/vsock/vsock.la
plugins_vsock_vsock_la_SOURCES = plugins/vsock/vsock.c plugins/vsock/vsock.h \
	plugins/vsock/connect.c plugins/vsock/sockfile.c \
	plugins/vsock/proto.c plugins/vsock/proto.h plugins/vsock/bridge.c \
	plugins/common/confine.c plugins/common/confine.h
plugins_vsock_vsock_la_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/plugins/common
plugins_vsock_vsock_la_LDFLAGS = $(PLUGIN_LDFLAGS)
PRELOAD_PLUGINS += plugins/vsock/vsock.la
PLUGIN_BUILD_DIRS += plugins/vsock/.libs
LIA_CONFD_FILES += conf/conf.d/60-vsock.conf

# test programs: a Firecracker-like vsock host side, a core-less dialer, the parser test
check_PROGRAMS += tests/vsock/fc-vsock-double tests/vsock/vsock-dial tests/vsock/test-proto
tests_vsock_fc_vsock_double_SOURCES = tests/vsock/fc-vsock-double.c
tests_vsock_vsock_dial_SOURCES = tests/vsock/vsock-dial.c plugins/vsock/proto.c \
	plugins/vsock/proto.h plugins/vsock/bridge.c
tests_vsock_vsock_dial_CFLAGS = $(AM_CFLAGS)
tests_vsock_test_proto_CFLAGS = $(AM_CFLAGS)
tests_vsock_test_proto_SOURCES = tests/vsock/test-proto.c plugins/vsock/proto.c \
	plugins/vsock/proto.h
TESTS += tests/vsock/test-proto
endif
