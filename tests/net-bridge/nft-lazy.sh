#!/bin/bash
# libnftables is opened by net-bridge on first use (dlopen, issue 13): a per-VM `vm start`
# or `vm stop` loads net-bridge for the bridge name it publishes and must not map
# libnftables (nor libnftnl, libmnl, libxtables, libgmp); `run setup` with NAT still
# opens it and builds the table; the Debian package names it (dpkg-shlibdeps cannot see
# a dlopen).  In a fresh network namespace.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"
nb_need
need_plugin net-tap

so=
for d in ${LIA_PLUGIN_PATH//:/ }; do [ -f "$d/net-bridge.so" ] && so=$d/net-bridge.so && break; done
if [ -n "$so" ] && command -v readelf >/dev/null; then
	needed=$(readelf -d "$so" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | paste -sd ' ')
	[[ ! "$needed" =~ libnftables|libnftnl|libmnl|libxtables|libgmp ]]
	ok $? "net-bridge.so links no nftables library (NEEDED: $needed)"
else
	skip "no net-bridge.so in LIA_PLUGIN_PATH (static plugins?), or no readelf"
fi
grep -A5 '^Package: lia-plugin-net$' "$top_srcdir/debian/control" | grep -A1 '^Depends:' | grep -q 'libnftables1'
ok $? "debian/control: lia-plugin-net depends on libnftables1"

nb_tmp T
nb_netns ns
# the libraries a command maps, from the dynamic loader's own trace
mapped() { in_ns "$ns" env LD_DEBUG=files "$LIA_CORE" -q -c "$@" 2>&1 >/dev/null | grep -o 'file=[^ ]*' | sort -u; }

conf=$(mk_conf "$T" "net-bridge = { nat = false; unit_dir = \"$T/units\"; };" "net-tap = { };")
out=$(nb_lia "$ns" "$conf" run setup --only network); rc=$?
is "$rc" 0 "setup without NAT" || diag "$out"
nb_lia "$ns" "$conf" -q vm create v1 >/dev/null

libs=$(mapped "$conf" vm start v1)
if [ -n "$so" ]; then
	like "$libs" 'net-bridge.so' "vm start loads net-bridge (for its facts)"
else
	skip "no net-bridge.so: plugins linked into lia-core (--enable-static-plugins)"
fi
[[ ! "$libs" =~ libnftables ]]; ok $? "... and does not map libnftables"
like "$(ip -n "$ns" -br link show tap-vm-v1 2>&1)" 'tap-vm-v1' "vm start created the TAP"
libs=$(mapped "$conf" vm stop v1)
[[ ! "$libs" =~ libnftables ]]; ok $? "vm stop does not map libnftables"
ip -n "$ns" link show tap-vm-v1 >/dev/null 2>&1
ok $((!$?)) "vm stop removed the TAP"

# NAT: the library is opened when the table is built, and verify reads the ruleset with it
nb_uplink "$ns"
conf=$(mk_conf "$T" "net-bridge = { nat = true; unit_dir = \"$T/units\"; };" "net-tap = { };")
libs=$(mapped "$conf" run setup --only network)
like "$libs" 'libnftables\.so\.1' "setup with NAT opens libnftables"
like "$(in_ns "$ns" nft list table ip lia 2>&1)" 'masquerade' "... and builds the NAT table"
out=$(nb_lia "$ns" "$conf" run setup --only verify); rc=$?
is "$rc" 0 "verify reads the ruleset through it" || diag "$out"
out=$(nb_lia "$ns" "$conf" run teardown --only network); rc=$?
is "$rc" 0 "teardown" || diag "$out"
in_ns "$ns" nft list table ip lia >/dev/null 2>&1
ok $((!$?)) "... removes the NAT table"
done_testing
