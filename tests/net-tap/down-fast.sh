#!/bin/bash
# net-down's fast path in a batch stop (issue 13 #3), in a netns with the real bridge: the
# first VM's TAP is looked up by name, then one dump of the links gives the others' ifindex
# (no RTM_GETLINK per VM).  A TAP deleted and made again after that dump (another ifindex)
# is looked up by name and retired all the same; a TAP deleted after the dump is absent,
# and its VM stops.  Every TAP is gone after the batch, with one group delete.
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
taps() { ip -n "$ns" -br link | grep -c '^tap-vm-'; }
state_of() { jq -r .state "$T/state/vms/$1.json"; }
nolsan="ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"

vms="c1 c2 c3 c4 c5"
for v in $vms; do nb_lia "$ns" "$conf" -q vm create $v >/dev/null || bail "vm create $v"; done
nb_lia "$ns" "$conf" -q vm start $vms >/dev/null || bail "vm start"
is "$(taps)" 5 "five TAPs"
env "$nolsan" strace -f -qq -e trace=sendmsg -o "$T/st" ip netns exec "$ns" "$LIA_CORE" -c "$conf" vm stop $vms >"$T/out" 2>&1
rc=$?
is "$rc" 0 "a batch stop of five VMs" || diag "$(cat "$T/out")"
is "$(taps)" 0 "no TAP is left"
# RTM_GETLINK is 0x12; a dump carries NLM_F_DUMP (0x300)
is "$(grep -E 'nlmsg_type=(RTM_GETLINK|0x12 )' "$T/st" | grep -Evc 'NLM_F_DUMP|0x300')" 1 "one RTM_GETLINK by name (the first VM's TAP), not one per VM"
is "$(grep -E 'nlmsg_type=(RTM_GETLINK|0x12 )' "$T/st" | grep -Ec 'NLM_F_DUMP|0x300')" 2 "two dumps: net-down's and flush's"
like "$(cat "$T/out")" "deleted 5 TAPs with one group delete" "flush deleted the five with one group delete"

# after the dump (at the second VM's net-down): c3's TAP made again, c4's deleted
nb_lia "$ns" "$conf" -q vm start $vms >/dev/null || bail "vm start again"
old_idx=$(ip -n "$ns" -j link show tap-vm-c3 | jq -r '.[0].ifindex')
LIA_TEST_NET_TAP_PAUSE="$T/pause" LIA_TEST_NET_TAP_PAUSE_AT=net-down LIA_TEST_NET_TAP_PAUSE_N=2 \
	in_ns "$ns" "$LIA_CORE" -c "$conf" vm stop $vms >"$T/out" 2>&1 &
pid=$!
wait_for 30 test -e "$T/pause" || bail "the batch did not pause after its second net-down"
ip -n "$ns" link del tap-vm-c3 && ip -n "$ns" tuntap add dev tap-vm-c3 mode tap &&
	ip -n "$ns" link set tap-vm-c3 master lia-br0 group 4242 up || bail "cannot make tap-vm-c3 again"
new_idx=$(ip -n "$ns" -j link show tap-vm-c3 | jq -r '.[0].ifindex')
ip -n "$ns" link del tap-vm-c4 || bail "cannot delete tap-vm-c4"
rm -f "$T/pause"
wait $pid; rc=$?
is "$rc" 0 "the batch stop goes on" || diag "$(cat "$T/out")"
[ "$old_idx" != "$new_idx" ]; ok $? "tap-vm-c3 came back with another ifindex ($old_idx, then $new_idx)"
is "$(taps)" 0 "no TAP is left: the new tap-vm-c3 was retired and deleted too"
for v in $vms; do is "$(state_of $v)" stopped "$v is stopped"; done
is "$(jq -r '[.ledger[] | select(.kind == "tap")] | length' "$T/state/vms/c4.json")" 0 "c4's ledger holds no TAP"

# a single stop looks its TAP up and dumps nothing
nb_lia "$ns" "$conf" -q vm start c1 >/dev/null || bail "vm start c1"
env "$nolsan" strace -f -qq -e trace=sendmsg -o "$T/st" ip netns exec "$ns" "$LIA_CORE" -c "$conf" vm stop c1 >"$T/out" 2>&1
is "$?" 0 "a stop of one VM" || diag "$(cat "$T/out")"
is "$(grep -E 'nlmsg_type=(RTM_GETLINK|0x12 )' "$T/st" | grep -Ec 'NLM_F_DUMP|0x300')" 0 "... dumps no links"
is "$(taps)" 0 "... and leaves no TAP"
done_testing
