#!/bin/bash
# net-up's fast path (issue 13 #3), in a netns with the real bridge: a new TAP is made with
# IFF_TUN_EXCL and set up with one RTM_NEWLINK by its ifindex (SIOCGIFINDEX), and the
# bridge's ifindex is looked up once per process (one RTM_GETLINK for a batch, not three
# per VM).  The cached index is
# dropped when the bridge is made again between two VMs of a batch (the second TAP joins the
# new bridge), and a bridge deleted in between fails that VM's start with nothing left.  A
# TAP that is there already (the slow path) is still taken, and a link of the name that is
# not a TAP is still refused and left alone.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../net-bridge/common.sh"
need_plugin net-bridge
nb_need jq strace

nb_tmp T
nb_netns ns
nb_uplink "$ns"
conf=$(mk_conf "$T" "net-bridge = { unit_dir = \"$T/units\"; };" "net-tap = { };")
out=$(nb_lia "$ns" "$conf" run setup --only network); rc=$?
is "$rc" 0 "bridge set up" || diag "$out"
link() { ip -n "$ns" -d -j link show "$1" 2>/dev/null; }
# "kind master up group" of a link
shape() { link "$1" | jq -r '.[0] | [.linkinfo.info_kind, .master, (.flags | index("UP") != null), .group] | map(tostring) | join(" ")'; }
state_of() { jq -r .state "$T/state/vms/$1.json"; }
nolsan="ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"

vms="a1 a2 a3 a4"
for v in $vms; do nb_lia "$ns" "$conf" -q vm create $v >/dev/null || bail "vm create $v"; done
env "$nolsan" strace -f -qq -e trace=sendmsg -o "$T/st" ip netns exec "$ns" "$LIA_CORE" -c "$conf" vm start $vms >"$T/out" 2>&1
rc=$?
is "$rc" 0 "a batch start of four VMs" || diag "$(cat "$T/out")"
for v in $vms; do
	is "$(shape tap-vm-$v)" "tun lia-br0 true 4242" "tap-vm-$v: a TAP on lia-br0, up, in link group 4242"
done
# RTM_GETLINK is 0x12, RTM_NEWLINK 0x10 (strace names them when it can decode the socket)
is "$(grep -Ec 'nlmsg_type=(RTM_GETLINK|0x12 )' "$T/st")" 1 "one RTM_GETLINK for the batch (the bridge), not one per VM"
is "$(grep -Ec 'nlmsg_type=(RTM_NEWLINK|0x10 )' "$T/st")" 4 "one RTM_NEWLINK per TAP"
nb_lia "$ns" "$conf" -q vm stop $vms >/dev/null || bail "vm stop"

# the bridge made again between the two VMs of a batch: the second TAP joins the new one
for v in p1 p2 p3; do nb_lia "$ns" "$conf" -q vm create $v >/dev/null || bail "vm create $v"; done
old_idx=$(link lia-br0 | jq -r '.[0].ifindex')
LIA_TEST_NET_TAP_PAUSE="$T/pause" in_ns "$ns" "$LIA_CORE" -c "$conf" vm start p1 p2 >"$T/out" 2>&1 &
pid=$!
wait_for 30 test -e "$T/pause" || bail "the batch did not pause after its first net-up"
ip -n "$ns" link del lia-br0 && ip -n "$ns" link add lia-br0 type bridge && ip -n "$ns" link set lia-br0 up
new_idx=$(link lia-br0 | jq -r '.[0].ifindex')
rm -f "$T/pause"
wait $pid; rc=$?
is "$rc" 0 "the batch goes on after the bridge was made again" || diag "$(cat "$T/out")"
[ "$old_idx" != "$new_idx" ]; ok $? "the new bridge has another ifindex ($old_idx, then $new_idx)"
is "$(shape tap-vm-p2)" "tun lia-br0 true 4242" "tap-vm-p2 joined the new bridge"
is "$(link tap-vm-p2 | jq -r '.[0].master')" lia-br0 "... by its new ifindex"
is "$(state_of p2)" running "p2 is running"
nb_lia "$ns" "$conf" -q vm stop p1 p2 >/dev/null || bail "vm stop p1 p2"

# the bridge deleted between the two VMs of a batch: the second start fails, nothing left
LIA_TEST_NET_TAP_PAUSE="$T/pause" in_ns "$ns" "$LIA_CORE" -c "$conf" vm start p1 p3 >"$T/out" 2>&1 &
pid=$!
wait_for 30 test -e "$T/pause" || bail "the batch did not pause after its first net-up"
ip -n "$ns" link del lia-br0
rm -f "$T/pause"
wait $pid; rc=$?
isnt_zero() { [ "$1" -ne 0 ]; }
isnt_zero "$rc"; ok $? "the batch fails when the bridge is gone (exit $rc)"
like "$(cat "$T/out")" "bridge 'lia-br0' does not exist" "... and says the bridge does not exist"
is "$(link tap-vm-p3)" "" "no TAP is left for p3"
is "$(state_of p3)" stopped "p3 is stopped"
is "$(jq -r '[.ledger[] | select(.kind == "tap")] | length' "$T/state/vms/p3.json")" 0 "p3's ledger holds no TAP"
ip -n "$ns" link add lia-br0 type bridge && ip -n "$ns" link set lia-br0 up
nb_lia "$ns" "$conf" -q vm stop p1 >/dev/null || bail "vm stop p1"

# the slow path: a TAP that is there already is taken; a link that is not a TAP is refused
for v in q1 q2; do nb_lia "$ns" "$conf" -q vm create $v >/dev/null || bail "vm create $v"; done
ip -n "$ns" tuntap add dev tap-vm-q1 mode tap || bail "ip tuntap add"
ip -n "$ns" link add tap-vm-q2 type veth peer name q2peer || bail "ip link add veth"
out=$(nb_lia "$ns" "$conf" vm start q1); rc=$?
is "$rc" 0 "a start takes a TAP that is there already" || diag "$out"
is "$(shape tap-vm-q1)" "tun lia-br0 true 4242" "... and sets it up on the bridge"
out=$(nb_lia "$ns" "$conf" vm start q2); rc=$?
isnt_zero "$rc"; ok $? "a start refuses a link of its TAP's name that is not a TAP"
like "$out" "link 'tap-vm-q2' exists and is not a TAP" "... and says so"
is "$(link tap-vm-q2 | jq -r '.[0].linkinfo.info_kind')" veth "... and leaves it alone"
done_testing
