#!/bin/bash
# TAP names are collision-free (issue 10 #3): two long VM names whose old 32-bit hashes
# collide ("agent-1522789", "agent-1739192") get distinct TAPs, and a VM never touches a
# TAP that another VM's ledger owns (a record that names another VM's TAP, as records
# written by the old hashed scheme could, is refused at start and left alone at stop).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../net-bridge/common.sh"
nb_need jq

nb_tmp T
nb_netns ns
nb_uplink "$ns"
conf=$(mk_conf "$T" "net-bridge = { unit_dir = \"$T/units\"; };" "net-tap = { };")
out=$(nb_lia "$ns" "$conf" run setup --only network); rc=$?
is "$rc" 0 "bridge set up" || diag "$out"

tap_of() { jq -r '.data."net.tap"' "$T/state/vms/$1.json"; }
for v in agent-1522789 agent-1739192; do
	out=$(nb_lia "$ns" "$conf" vm create "$v") && out=$(nb_lia "$ns" "$conf" vm start "$v"); rc=$?
	is "$rc" 0 "$v created and started" || diag "$out"
done
a=$(tap_of agent-1522789) b=$(tap_of agent-1739192)
diag "TAPs: $a $b"
[ "$a" != "$b" ]; ok $? "the two VMs have different TAPs"
like "$a$b" '^tap-vm-.{1,8}tap-vm-.{1,8}$' "both are tap-vm-* within IFNAMSIZ"
is "$(ip -n "$ns" -br link | grep -c '^tap-vm-')" 2 "two TAPs exist"

# a third VM whose record names agent-1522789's TAP (what a hash collision produced)
out=$(nb_lia "$ns" "$conf" vm create intruder); rc=$?
is "$rc" 0 "third VM created" || diag "$out"
jq --arg t "$a" '.data."net.tap" = $t' "$T/state/vms/intruder.json" > "$T/x" &&
	cat "$T/x" > "$T/state/vms/intruder.json"
out=$(nb_lia "$ns" "$conf" vm start intruder); rc=$?
[ "$rc" -ne 0 ]; ok $? "starting a VM on another VM's TAP is refused"
like "$out" "belongs to another VM|another VM's" "with a message saying so"
ip -n "$ns" link show "$a" >/dev/null 2>&1; ok $? "the owner's TAP is still there"
out=$(nb_lia "$ns" "$conf" vm stop intruder); rc=$?
ip -n "$ns" link show "$a" >/dev/null 2>&1; ok $? "stopping the intruder leaves the owner's TAP"
out=$(nb_lia "$ns" "$conf" vm destroy intruder); rc=$?
is "$rc" 0 "the intruder is destroyed" || diag "$out"
ip -n "$ns" link show "$a" >/dev/null 2>&1; ok $? "destroying it leaves the owner's TAP"
like "$(ip -n "$ns" -d link show "$a")" "master lia-br0" "still on the bridge"

for v in agent-1522789 agent-1739192; do
	out=$(nb_lia "$ns" "$conf" vm stop "$v") && out=$(nb_lia "$ns" "$conf" vm destroy "$v"); rc=$?
	is "$rc" 0 "$v stopped and destroyed" || diag "$out"
done
is "$(ip -n "$ns" -br link | grep -c '^tap-vm-')" 0 "no TAP left"
done_testing
