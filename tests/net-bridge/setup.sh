#!/bin/bash
# net-bridge setup/teardown in a fresh network namespace: bridge, address, forwarding
# and NAT table exist after setup; a second run changes nothing; teardown restores the
# namespace exactly; verify reports problems one line each; the systemd unit.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"
nb_need

nb_tmp T
nb_netns ns
nb_uplink "$ns"
mkdir -p "$T/units"
conf=$(mk_conf "$T" "net-bridge = { unit_dir = \"$T/units\"; lia_core_path = \"/opt/lia/bin/lia-core\"; unit_config = \"/etc/lia/lia.conf\"; };")

before=$(nb_snapshot "$ns")
is "$(in_ns "$ns" cat /proc/sys/net/ipv4/ip_forward)" 0 "a new namespace starts with forwarding off"

out=$(nb_lia "$ns" "$conf" run setup --dry-run); rc=$?
is "$rc" 0 "dry run succeeds"
like "$out" "create bridge lia-br0" "dry run names the bridge it would create"
like "$out" "create nftables table ip lia" "dry run names the NAT table"
is "$(nb_snapshot "$ns")" "$before" "dry run changes nothing"

out=$(nb_lia "$ns" "$conf" run setup); rc=$?
is "$rc" 0 "setup succeeds" || diag "$out"
[ "$rc" -eq 0 ] || diag "$out"
link=$(ip -n "$ns" -d -j link show lia-br0)
like "$link" '"info_kind":"bridge"' "lia-br0 is a bridge"
like "$link" '"flags":\[[^]]*"UP"' "lia-br0 is up"
like "$(ip -n "$ns" -j addr show lia-br0)" '"local":"172.16.0.1","prefixlen":24' "lia-br0 has 172.16.0.1/24"
is "$(in_ns "$ns" cat /proc/sys/net/ipv4/ip_forward)" 1 "forwarding is on"
rules=$(in_ns "$ns" nft list table ip lia 2>&1)
like "$rules" 'ip saddr 172.16.0.0/24 oifname "up0" .*masquerade' "masquerade of the subnet out of the auto uplink up0"
like "$rules" 'iifname "lia-br0" oifname "up0" .*accept' "forward bridge -> uplink accepted"
like "$rules" 'iifname "up0" oifname "lia-br0" ct state established,related .*accept' "forward uplink -> bridge for established/related"

unit="$T/units/lia-network.service"
test -f "$unit"; ok $? "services installed lia-network.service"
u=$(cat "$unit" 2>/dev/null)
like "$u" '^Type=oneshot$' "unit is oneshot"
like "$u" '^RemainAfterExit=yes$' "unit remains after exit"
like "$u" '^After=network.target$' "unit runs after network.target"
like "$u" '^ExecStart=/opt/lia/bin/lia-core -c /etc/lia/lia.conf run setup --only network$' "unit runs lia-core's network phase"
is "$(readlink "$T/units/multi-user.target.wants/lia-network.service")" "$unit" "unit is enabled for multi-user.target"

after1=$(nb_snapshot "$ns")
out=$(nb_lia "$ns" "$conf" run setup); rc=$?
is "$rc" 0 "second setup succeeds"
unlike_changes=$(printf '%s\n' "$out" | grep -E '^ +(create|add|turn|replace|install|enable)' || true)
is "$unlike_changes" "" "second setup reports no change"
is "$(nb_snapshot "$ns")" "$after1" "second setup changes nothing in the namespace (link, addr, route, nft rules, ip_forward)"
like "$after1" '"masquerade"' "the snapshot compared holds the NAT rules"

out=$(nb_lia "$ns" "$conf" run setup --only verify); rc=$?
is "$rc" 0 "verify passes after setup"

# verify: one line per problem
in_ns "$ns" sh -c 'echo 0 > /proc/sys/net/ipv4/ip_forward'
in_ns "$ns" nft delete table ip lia
out=$(nb_lia "$ns" "$conf" run setup --only verify); rc=$?
isnt_zero=$([ "$rc" -ne 0 ] && echo yes || echo no)
is "$isnt_zero" yes "verify fails when forwarding and NAT are gone"
like "$out" "IPv4 forwarding is off" "verify names forwarding"
like "$out" "table ip lia is missing" "verify names the NAT table"
is "$(printf '%s\n' "$out" | grep -c 'Bridge')" 0 "verify does not complain about the healthy bridge"
nb_lia "$ns" "$conf" run setup >/dev/null
out=$(nb_lia "$ns" "$conf" run setup --only verify); rc=$?
is "$rc" 0 "setup repairs what verify found"

out=$(nb_lia "$ns" "$conf" run teardown); rc=$?
is "$rc" 0 "teardown succeeds"
[ "$rc" -eq 0 ] || diag "$out"
is "$(nb_snapshot "$ns")" "$before" "teardown leaves the namespace exactly as before (link, addr, route, nft, ip_forward)"
test ! -e "$unit" && test ! -e "$T/units/multi-user.target.wants"; ok $? "teardown removed the unit and its link"
out=$(nb_lia "$ns" "$conf" run teardown); rc=$?
is "$rc" 0 "a second teardown succeeds with nothing to do"

# a bridge and forwarding that existed before lia are left in place by teardown
ip -n "$ns" link add lia-br0 type bridge
ip -n "$ns" link set lia-br0 up   # (a down bridge gets qdisc noqueue once up: not undoable)
in_ns "$ns" sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward'
pre=$(nb_settled_snapshot "$ns")
out=$(nb_lia "$ns" "$conf" run setup); rc=$?
is "$rc" 0 "setup on a pre-existing bridge succeeds"
like "$out" "add address 172.16.0.1/24" "it adds the address to the existing bridge"
nb_lia "$ns" "$conf" run teardown >/dev/null
wait_for 10 nb_snapshot_is "$ns" "$pre"
is "$(nb_snapshot "$ns")" "$pre" "teardown keeps the pre-existing bridge and forwarding, removes only lia's address and table"
ip -n "$ns" link del lia-br0
in_ns "$ns" sh -c 'echo 0 > /proc/sys/net/ipv4/ip_forward'

# a name held by something that is not a bridge is refused before any change
ip -n "$ns" link add lia-br0 type veth peer name brpeer
pre=$(nb_snapshot "$ns")
out=$(nb_lia "$ns" "$conf" run setup --only network); rc=$?
is "$rc" 1 "setup refuses a non-bridge lia-br0"
like "$out" "exists but is a veth device, not a bridge" "the error names the device and its type"
is "$(nb_snapshot "$ns")" "$pre" "nothing changed"
ip -n "$ns" link del lia-br0

# no default route and uplink "auto": a clear error, nothing created
ip -n "$ns" route del default
pre=$(nb_snapshot "$ns")
out=$(nb_lia "$ns" "$conf" run setup --only network); rc=$?
is "$rc" 1 "setup without a default route fails"
like "$out" "no IPv4 default route" "the error says there is no default route"
like "$out" "net-bridge.uplink" "the error names the setting to use"
is "$(nb_snapshot "$ns")" "$pre" "nothing was created"

# bad configuration: exit 2 or 1 with the setting named
conf2=$(mk_conf "$T/bad" 'net-bridge = { address = "172.16.0.1"; };')
out=$(nb_lia "$ns" "$conf2" run setup --only network); rc=$?
[ "$rc" -ne 0 ]; ok $? "an address without prefix is refused"
like "$out" 'net-bridge.address: "172.16.0.1" is not an IPv4 address with a prefix' "the error names the setting"

done_testing
