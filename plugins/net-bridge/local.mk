# plugins/net-bridge: bridge, IPv4 forwarding, NAT (nftables), lia-network.service
# (configure: --disable-net-bridge)
NET_BRIDGE_TESTS = tests/net-bridge/setup.sh tests/net-bridge/nat.sh tests/net-bridge/hostfw.sh \
	tests/net-bridge/unit.sh tests/net-bridge/parallel.sh tests/net-bridge/nft-lazy.sh
TESTS += $(NET_BRIDGE_TESTS)
EXTRA_DIST += $(NET_BRIDGE_TESTS) tests/net-bridge/common.sh \
	conf/lia-network.service.in conf/conf.d/40-net-bridge.conf

if BUILD_NET_BRIDGE
plugin_LTLIBRARIES += plugins/net-bridge/net-bridge.la
plugins_net_bridge_net_bridge_la_SOURCES = plugins/common/nlroute.c plugins/common/nlroute.h plugins/net-bridge/net-bridge.c \
	plugins/net-bridge/net-bridge.h plugins/net-bridge/link.c plugins/net-bridge/forward.c \
	plugins/net-bridge/nft.c plugins/net-bridge/nat.c plugins/net-bridge/hostfw.c \
	plugins/net-bridge/unit.c
plugins_net_bridge_net_bridge_la_CPPFLAGS = $(AM_CPPFLAGS) -DLIA_BINDIR='"$(bindir)"'
plugins_net_bridge_net_bridge_la_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/plugins/common $(LIBNL_CFLAGS) $(NFTABLES_CFLAGS) \
	$(JANSSON_CFLAGS)
plugins_net_bridge_net_bridge_la_LDFLAGS = $(PLUGIN_LDFLAGS)
# libnftables: headers only, dlopen-ed on first use (nft.c); debian/control names libnftables1
plugins_net_bridge_net_bridge_la_LIBADD = $(LIBNL_LIBS) $(JANSSON_LIBS) $(DL_LIBS)
PRELOAD_PLUGINS += plugins/net-bridge/net-bridge.la
PRELOAD_LIBS += $(LIBNL_LIBS)
PLUGIN_BUILD_DIRS += plugins/net-bridge/.libs
LIA_CONFD_FILES += conf/conf.d/40-net-bridge.conf

# The boot unit, for systemd's own unit folder (configure: --with-systemdsystemunitdir).
# The plugin's services phase also writes it into net-bridge.unit_dir (/etc/systemd/system),
# where it overrides this copy.
if HAVE_SYSTEMD
systemdsystemunit_DATA = conf/lia-network.service
CLEANFILES += conf/lia-network.service
conf/lia-network.service: $(srcdir)/conf/lia-network.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) conf && \
	sed -e 's|@bindir[@]|$(bindir)|g' $(srcdir)/conf/lia-network.service.in > $@.tmp && mv $@.tmp $@
endif
endif
