#!/bin/bash
# Crash: lia-core is killed (SIGKILL) after net-tap created the TAP and before the core
# updated the record; also a `vm start` and a `vm stop` of several VMs (one group commit of
# their records before their pipelines and one after) killed at each of their points; `lia-core gc` then leaves no TAP behind (the VM itself still
# exists, stopped, with its lease; destroying it frees the lease).  Killed in the middle
# of `vm create` (after the lease was taken), gc leaves no record and no lease.  The
# stall points are the plugin's test hook (LIA_TEST_NET_TAP_STALL=FILE: it creates FILE
# at that point and waits to be killed; LIA_TEST_NET_TAP_STALL_AT=create|net-up).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../net-bridge/common.sh"
need_plugin net-bridge
nb_need jq

nb_tmp T
nb_netns ns
nb_uplink "$ns"
conf=$(mk_conf "$T" "net-bridge = { unit_dir = \"$T/units\"; };" "net-tap = { };")
out=$(nb_lia "$ns" "$conf" run setup --only network); rc=$?
is "$rc" 0 "bridge set up" || diag "$out"
leases() { cat "$T"/state/vms/*.json 2>/dev/null | grep -c '"lease:ip4"'; }

# stall_and_kill AT FILE ARGS...: lia-core ARGS, stalled at AT, then killed with SIGKILL
stall_and_kill() {
	local at=$1 f=$2; shift 2
	LIA_TEST_NET_TAP_STALL="$f" LIA_TEST_NET_TAP_STALL_AT="$at" \
		ip netns exec "$ns" "$LIA_CORE" -c "$conf" "$@" >"$f.out" 2>&1 &
	local pid=$!   # `ip netns exec` execs, so this is lia-core itself
	wait_for 120 test -e "$f"
	test -e "$f"; ok $? "lia-core $* reached the stall point ($at)"
	is "$(cat /proc/$pid/comm 2>/dev/null)" lia-core "the stalled process is lia-core"
	kill -9 "$pid"; wait "$pid" 2>/dev/null
	test ! -e "/proc/$pid"; ok $? "lia-core killed with SIGKILL"
}

out=$(nb_lia "$ns" "$conf" vm create crash1); rc=$?
is "$rc" 0 "VM created"
stall_and_kill net-up "$T/stall-up" vm start crash1
ip -n "$ns" link show tap-vm-crash1 >/dev/null 2>&1; ok $? "the TAP exists after the crash"

# many orphans at once go through the bulk (link group) path
for i in $(seq 1 20); do ip -n "$ns" tuntap add dev "tap-vm-o$i" mode tap; done
ip -n "$ns" link add tap-vm-veth type veth peer name keepme   # lia's prefix, not a TAP
ip -n "$ns" tuntap add dev tap-other mode tap                  # a TAP without lia's prefix

# the dry run names the orphans and deletes none (gc's plan; the core never calls run)
out=$(nb_lia "$ns" "$conf" gc --dry-run); rc=$?
is "$rc" 0 "gc --dry-run succeeds" || diag "$out"
like "$out" "delete orphan TAP tap-vm-o17" "gc --dry-run names the orphan TAPs"
is "$(ip -n "$ns" -br link | grep -c '^tap-vm-o')" 20 "... and deletes none of them"
out=$(nb_lia "$ns" "$conf" gc); rc=$?
is "$rc" 0 "gc succeeds" || diag "$out"
is "$(ip -n "$ns" -br link | grep -c '^tap-vm-crash1')" 0 "no TAP of the crashed start is left"
is "$(jq -r '.state' "$T/state/vms/crash1.json")" stopped "the VM is back to stopped"
is "$(jq '[.ledger[] | select(.kind == "tap")] | length' "$T/state/vms/crash1.json")" 0 "its record owns no TAP"
is "$(ip -n "$ns" -br link | grep -c '^tap-vm-o')" 0 "20 orphan TAPs deleted"
like "$out" "with one group delete" "in one group delete"
ip -n "$ns" link show tap-vm-veth >/dev/null 2>&1; ok $? "a non-TAP link with lia's prefix is left alone"
ip -n "$ns" link show tap-other >/dev/null 2>&1; ok $? "a TAP without lia's prefix is left alone"
out=$(nb_lia "$ns" "$conf" vm destroy crash1); rc=$?
is "$rc" 0 "the crashed VM can be destroyed"
is "$(leases)" 0 "no lease is left"

# killed in the middle of create: gc removes the half-made record and its lease
stall_and_kill create "$T/stall-create" vm create crash2
is "$(leases)" 1 "the lease was taken before the crash"
out=$(nb_lia "$ns" "$conf" gc); rc=$?
is "$rc" 0 "gc succeeds" || diag "$out"
test ! -e "$T/state/vms/crash2.json"; ok $? "the half-created record is gone"
is "$(leases)" 0 "no lease is left"
is "$(ip -n "$ns" -br link | grep -c '^tap-vm-')" 1 "no TAP is left (only the veth named tap-vm-veth)"

# a batch: one `vm start` of three VMs, killed at each point; gc leaves nothing behind
for i in 1 2 3; do nb_lia "$ns" "$conf" vm create "bat$i" >/dev/null; done
bat_check() { # WHAT: after gc, every VM of the batch is stopped and owns no TAP, none is left
	local what=$1 i
	out=$(nb_lia "$ns" "$conf" gc); rc=$?
	is "$rc" 0 "$what: gc succeeds" || diag "$out"
	is "$(for i in 1 2 3; do jq -r .state "$T/state/vms/bat$i.json"; done | tr '\n' ' ')" "stopped stopped stopped " \
		"$what: the three VMs are stopped"
	is "$(cat "$T"/state/vms/bat*.json | jq -s '[.[].ledger[] | select(.kind == "tap")] | length')" 0 \
		"$what: their records own no TAP"
	is "$(ip -n "$ns" -br link | grep -c '^tap-vm-bat')" 0 "$what: no TAP of the batch is left"
	is "$(ls "$T/state/vms" | grep -c '\.tmp\.')" 0 "$what: no temp file is left"
	is "$(nb_lia "$ns" "$conf" vm list | grep -c '^bat[123] *stopped')" 3 "$what: vm list agrees"
}
# the core's own kill points (LIA_TEST_CORE_STALL_AT): after the batch's first group commit
# (every VM "starting", no hook run yet), and after every pipeline (every TAP made) before
# the second
for at in batch-starting batch-started; do
	LIA_TEST_CORE_STALL="$T/stall-$at" LIA_TEST_CORE_STALL_AT=$at \
		ip netns exec "$ns" "$LIA_CORE" -c "$conf" vm start bat1 bat2 bat3 >"$T/stall-$at.out" 2>&1 &
	pid=$!
	wait_for 120 test -e "$T/stall-$at"
	test -e "$T/stall-$at"; ok $? "batch start reached the kill point $at" || diag "$(cat "$T/stall-$at.out")"
	is "$(for i in 1 2 3; do jq -r .state "$T/state/vms/bat$i.json"; done | tr '\n' ' ')" "starting starting starting " \
		"$at: the three records say starting (one group commit)"
	[ $at = batch-started ] && is "$(ip -n "$ns" -br link | grep -c '^tap-vm-bat')" 3 "$at: the three TAPs exist"
	kill -9 "$pid"; wait "$pid" 2>/dev/null
	bat_check "killed at $at"
done
# in the middle of the batch: the first VM's TAP made, the others not yet
stall_and_kill net-up "$T/stall-bat" vm start bat1 bat2 bat3
is "$(ip -n "$ns" -br link | grep -c '^tap-vm-bat')" 1 "killed in the batch's first net-up: one TAP exists"
bat_check "killed in the first VM's net-up"
# and uninterrupted: the three start, with their TAPs
out=$(nb_lia "$ns" "$conf" vm start bat3 bat1 bat2 bat1); rc=$?
is "$rc" 0 "a batch start of three VMs (one named twice) succeeds" || diag "$out"
is "$(nb_lia "$ns" "$conf" vm list | grep -c '^bat[123] *running')" 3 "the three are running"
is "$(ip -n "$ns" -br link | grep -c '^tap-vm-bat')" 3 "with their three TAPs"
# a batch stop killed at its points: gc finishes the stop
for at in batch-stopping batch-stopped; do
	LIA_TEST_CORE_STALL="$T/stall-$at" LIA_TEST_CORE_STALL_AT=$at \
		ip netns exec "$ns" "$LIA_CORE" -c "$conf" vm stop bat1 bat2 bat3 >"$T/stall-$at.out" 2>&1 &
	pid=$!
	wait_for 120 test -e "$T/stall-$at"
	test -e "$T/stall-$at"; ok $? "batch stop reached the kill point $at" || diag "$(cat "$T/stall-$at.out")"
	is "$(for i in 1 2 3; do jq -r .state "$T/state/vms/bat$i.json"; done | tr '\n' ' ')" "stopping stopping stopping " \
		"$at: the three records say stopping (one group commit)"
	kill -9 "$pid"; wait "$pid" 2>/dev/null
	bat_check "stop killed at $at"
	out=$(nb_lia "$ns" "$conf" vm start bat1 bat2 bat3); rc=$?
	is "$rc" 0 "the batch starts again" || diag "$out"
done
out=$(nb_lia "$ns" "$conf" vm stop bat2 bat3 bat1); rc=$?
is "$rc" 0 "a batch stop of three VMs succeeds" || diag "$out"
is "$(nb_lia "$ns" "$conf" vm list | grep -c '^bat[123] *stopped')" 3 "the three are stopped"
is "$(ip -n "$ns" -br link | grep -c '^tap-vm-bat')" 0 "no TAP of theirs is left"
out=$(nb_lia "$ns" "$conf" vm destroy bat1 bat2 bat3); rc=$?
is "$rc" 0 "and destroyed" || diag "$out"

# a live VM's TAP survives gc
out=$(nb_lia "$ns" "$conf" vm create live); out=$(nb_lia "$ns" "$conf" vm start live); rc=$?
is "$rc" 0 "a live VM starts"
out=$(nb_lia "$ns" "$conf" gc)
ip -n "$ns" link show tap-vm-live >/dev/null 2>&1; ok $? "gc keeps the TAP a live record owns"

done_testing
