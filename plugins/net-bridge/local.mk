# plugins/net-bridge: bridge, IPv4 forwarding, NAT (nftables), lia-network.service
plugin_LTLIBRARIES += plugins/net-bridge/net-bridge.la
plugins_net_bridge_net_bridge_la_SOURCES = plugins/net-bridge/net-bridge.c \
	plugins/net-bridge/net-bridge.h plugins/net-bridge/link.c plugins/net-bridge/forward.c \
	plugins/net-bridge/nft.c plugins/net-bridge/nat.c plugins/net-bridge/hostfw.c \
	plugins/net-bridge/unit.c
plugins_net_bridge_net_bridge_la_CPPFLAGS = $(AM_CPPFLAGS) -DLIA_BINDIR='"$(bindir)"'
plugins_net_bridge_net_bridge_la_CFLAGS = $(AM_CFLAGS) $(LIBNL_CFLAGS) $(NFTABLES_CFLAGS) \
	$(JANSSON_CFLAGS)
plugins_net_bridge_net_bridge_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_net_bridge_net_bridge_la_LIBADD = $(LIBNL_LIBS) $(NFTABLES_LIBS) $(JANSSON_LIBS)
PRELOAD_PLUGINS += plugins/net-bridge/net-bridge.la
PLUGIN_BUILD_DIRS += plugins/net-bridge/.libs
EXTRA_DIST += conf/lia-network.service.in

TESTS += tests/net-bridge/setup.sh tests/net-bridge/nat.sh tests/net-bridge/hostfw.sh
EXTRA_DIST += tests/net-bridge/common.sh tests/net-bridge/setup.sh tests/net-bridge/nat.sh tests/net-bridge/hostfw.sh
