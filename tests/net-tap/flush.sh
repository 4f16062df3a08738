#!/bin/bash
# ABI 2.1 in net-tap, in a netns with the real bridge: net-down sets the TAP down and moves
# it into gc_group (one RTM_NEWLINK); flush(), once per command, deletes the command's TAPs
# with one group delete (one by one when a foreign link sits in gc_group); a kill between
# net-down and flush leaves a TAP that gc removes and after which the VM starts again; a
# start takes back a TAP that waits in gc_group; net-up's TAP entry is prepared and saved
# with "starting" (one record save fewer per start).
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
ledger_of() { jq -r '[.ledger[] | .kind + "=" + .id] | sort | join(" ")' "$T/state/vms/$1.json"; }
group_of() { ip -n "$ns" -d -j link show "$1" | jq -r '.[0].group'; }

vms="f1 f2 f3 f4 f5 f6"
for v in $vms; do nb_lia "$ns" "$conf" -q vm create $v >/dev/null || bail "vm create $v"; done
out=$(nb_lia "$ns" "$conf" vm start $vms); rc=$?
is "$rc" 0 "a batch start of six VMs" || diag "$out"
is "$(taps)" 6 "six TAPs"
# the ledger after a start: what it held before prepare() existed
is "$(ledger_of f3)" "lease:ip4=2886729830 tap=tap-vm-f3" "a started VM's ledger: its lease (172.16.0.102) and its TAP, once each"

# a batch stop: one group delete
# (LeakSanitizer cannot run under ptrace: an ASan build checks leaks everywhere else)
nolsan="ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
env "$nolsan" strace -f -qq -e trace=sendmsg -o "$T/st" ip netns exec "$ns" "$LIA_CORE" -c "$conf" vm stop $vms >"$T/out" 2>&1
rc=$?
out=$(cat "$T/out")
is "$rc" 0 "a batch stop of six VMs" || diag "$out"
is "$(taps)" 0 "no TAP is left"
like "$out" "net-tap/flush: deleted 6 TAPs with one group delete" "net-tap deleted them with one group delete"
# RTM_DELLINK is 0x11 (strace names it when it can decode the socket's protocol)
is "$(grep -Ec 'nlmsg_type=(RTM_DELLINK|0x11 )' "$T/st")" 1 "one RTM_DELLINK was sent (strace)"
is "$(for v in $vms; do state_of $v; done | sort -u)" stopped "all six are stopped"
is "$(cat "$T"/state/vms/f*.json | jq -s '[.[].ledger[] | select(.kind == "tap")] | length')" 0 "their records own no TAP"

# a foreign link in gc_group: no group delete, the TAPs go one by one, the link stays
out=$(nb_lia "$ns" "$conf" vm start f1 f2 f3); rc=$?
is "$rc" 0 "three started again" || diag "$out"
ip -n "$ns" link add keep-me type veth peer name keep-me-p && ip -n "$ns" link set keep-me group 4243
out=$(nb_lia "$ns" "$conf" vm stop f1 f2 f3); rc=$?
is "$rc" 0 "a batch stop with a foreign link in gc_group" || diag "$out"
unlike "$out" "group delete" "... deletes without a group delete"
is "$(taps)" 0 "... every TAP"
ip -n "$ns" link show keep-me >/dev/null 2>&1; ok $? "the foreign link in gc_group is left alone"
ip -n "$ns" link del keep-me

# killed between net-down and flush (kill point stopped-unflushed): the TAP waits, down, in
# gc_group; gc removes it; the VM starts again
out=$(nb_lia "$ns" "$conf" vm start f1); rc=$?
is "$rc" 0 "f1 started" || diag "$out"
is "$(group_of tap-vm-f1)" 4242 "its TAP is in link_group"
LIA_TEST_CORE_STALL="$T/stall" LIA_TEST_CORE_STALL_AT=stopped-unflushed \
	ip netns exec "$ns" "$LIA_CORE" -c "$conf" vm stop f1 >"$T/stall.out" 2>&1 &
pid=$!
wait_for 60 test -e "$T/stall"
test -e "$T/stall"; ok $? "vm stop reached the kill point stopped-unflushed" || diag "$(cat "$T/stall.out")"
is "$(group_of tap-vm-f1)" 4243 "the TAP waits in gc_group"
ip -n "$ns" -j link show tap-vm-f1 | jq -e '.[0].flags | index("UP") | not' >/dev/null
ok $? "... and is down"
kill -9 "$pid"; wait "$pid" 2>/dev/null
is "$(state_of f1)" stopping "the record says stopping"
out=$(nb_lia "$ns" "$conf" gc); rc=$?
is "$rc" 0 "gc succeeds" || diag "$out"
is "$(taps)" 0 "gc removed the TAP"
is "$(state_of f1) $(ledger_of f1)" "stopped lease:ip4=2886729828" "f1 is stopped and owns no TAP"
out=$(nb_lia "$ns" "$conf" vm start f1); rc=$?
is "$rc" 0 "f1 starts again" || diag "$out"
is "$(group_of tap-vm-f1)" 4242 "with its TAP in link_group"

# a TAP that waits in gc_group (a crash before a flush) is taken back by a start
out=$(nb_lia "$ns" "$conf" vm stop f1); rc=$?
is "$rc" 0 "f1 stopped" || diag "$out"
ip -n "$ns" tuntap add dev tap-vm-f1 mode tap && ip -n "$ns" link set tap-vm-f1 down group 4243
out=$(nb_lia "$ns" "$conf" vm start f1); rc=$?
is "$rc" 0 "f1 starts while its old TAP waits in gc_group" || diag "$out"
is "$(group_of tap-vm-f1)" 4242 "the TAP is back in link_group"
ip -n "$ns" -j link show tap-vm-f1 | jq -e '.[0].flags | index("UP")' >/dev/null; ok $? "... up"
is "$(ip -n "$ns" -j link show tap-vm-f1 | jq -r '.[0].master')" lia-br0 "... on the bridge"
out=$(nb_lia "$ns" "$conf" gc); rc=$?
ip -n "$ns" link show tap-vm-f1 >/dev/null 2>&1; ok $? "gc keeps it (f1 owns it)"

# prepare: one save of the record fewer per start (starting carries the TAP's entry)
out=$(nb_lia "$ns" "$conf" vm stop f1); rc=$?
is "$rc" 0 "f1 stopped" || diag "$out"
env "$nolsan" strace -f -qq -e trace=rename,renameat,renameat2 -o "$T/rn" ip netns exec "$ns" "$LIA_CORE" -c "$conf" -q vm start f1
rc=$?
is "$rc" 0 "f1 started under strace"
is "$(grep -Ec '[/"]f1\.json"' "$T/rn")" 2 "the start saved f1's record twice: starting (with the TAP's entry) and running"
out=$(nb_lia "$ns" "$conf" vm stop f1); rc=$?

# killed after the prepare save: gc leaves no TAP and no entry
LIA_TEST_CORE_STALL="$T/stall2" LIA_TEST_CORE_STALL_AT=prepared \
	ip netns exec "$ns" "$LIA_CORE" -c "$conf" vm start f1 >"$T/stall2.out" 2>&1 &
pid=$!
wait_for 60 test -e "$T/stall2"
test -e "$T/stall2"; ok $? "vm start reached the kill point prepared" || diag "$(cat "$T/stall2.out")"
is "$(state_of f1) $(ledger_of f1)" "starting lease:ip4=2886729828 tap=tap-vm-f1" "on disk: starting, with the TAP's entry"
is "$(taps)" 0 "no TAP made yet"
kill -9 "$pid"; wait "$pid" 2>/dev/null
out=$(nb_lia "$ns" "$conf" gc); rc=$?
is "$rc" 0 "gc succeeds" || diag "$out"
is "$(state_of f1) $(ledger_of f1)" "stopped lease:ip4=2886729828" "gc: stopped, the entry dropped"
is "$(taps)" 0 "no TAP"
out=$(nb_lia "$ns" "$conf" vm destroy $vms); rc=$?
is "$rc" 0 "all destroyed" || diag "$out"
done_testing
