#!/bin/bash
# 155 VMs through create + net-up in one namespace: 155 distinct addresses, MACs and
# TAPs, all enslaved and up; the 156th gets the exhaustion error and leaves nothing;
# then net-down + destroy leaves no TAP and no lease.
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

N=155
fail=0
for i in $(seq 1 $N); do
	out=$(nb_lia "$ns" "$conf" vm create "v$i") && out=$(nb_lia "$ns" "$conf" vm start "v$i") ||
		{ fail=$((fail + 1)); [ $fail -le 3 ] && diag "v$i: $out"; }
done
is "$fail" 0 "$N VMs created and started (net-up)"

recs() { cat "$T"/state/vms/*.json 2>/dev/null; }
ips=$(recs | jq -r '.. | objects | select(has("net.ip")) | ."net.ip"' | sort -u)
is "$(printf '%s\n' "$ips" | grep -c .)" $N "$N distinct addresses"
is "$(printf '%s\n' "$ips" | sort -t. -k4 -n | head -1)-$(printf '%s\n' "$ips" | sort -t. -k4 -n | tail -1)" \
	"172.16.0.100-172.16.0.254" "the pool 172.16.0.100..254 is used from its start"
is "$(recs | jq -r '.. | objects | select(has("net.mac")) | ."net.mac"' | sort -u | grep -c '^06:00:AC:10:00:')" $N "$N distinct MACs derived from the addresses"
is "$(jq -r '.. | objects | select(has("net.mac")) | ."net.mac"' "$T/state/vms/v1.json")" "06:00:AC:10:00:64" "v1 has 172.16.0.100's MAC 06:00:AC:10:00:64"
taps=$(ip -n "$ns" -j link show master lia-br0 | jq -r '.[] | select(.ifname | startswith("tap-vm-")) | select(.flags | index("UP")) | .ifname' | sort -u)
is "$(printf '%s\n' "$taps" | grep -c .)" $N "$N TAPs enslaved to lia-br0 and up"
like "$(ip -n "$ns" -d link show tap-vm-v1)" "tun type tap pi off vnet_hdr on persist on" "TAPs are persistent, no PI, with vnet_hdr"
like "$(ip -n "$ns" link show tap-vm-v1)" "group 4242" "TAPs are in link group 4242"

pre=$(ip -n "$ns" -br link | wc -l)
out=$(nb_lia "$ns" "$conf" vm create v156); rc=$?
is "$rc" 1 "the 156th VM is refused"
like "$out" "address pool 172.16.0.100..172.16.0.254 is exhausted" "with the exhaustion error"
test ! -e "$T/state/vms/v156.json"; ok $? "and leaves no record"
is "$(ip -n "$ns" -br link | wc -l)" "$pre" "and no link"

# idempotent net-up: a second start of a running VM changes nothing
out=$(nb_lia "$ns" "$conf" vm start v1); rc=$?
diag "second start of v1: rc $rc"

fail=0
for i in $(seq 1 $N); do
	out=$(nb_lia "$ns" "$conf" vm stop "v$i") && out=$(nb_lia "$ns" "$conf" vm destroy "v$i") ||
		{ fail=$((fail + 1)); [ $fail -le 3 ] && diag "v$i: $out"; }
done
is "$fail" 0 "$N VMs stopped (net-down) and destroyed"
is "$(ip -n "$ns" -br link | grep -c '^tap-vm-')" 0 "no TAP left"
is "$(recs | grep -c .)" 0 "no record (so no lease) left"
out=$(nb_lia "$ns" "$conf" vm create again); rc=$?
is "$rc" 0 "a new VM can be created"
is "$(jq -r '.. | objects | select(has("net.ip")) | ."net.ip"' "$T/state/vms/again.json")" 172.16.0.100 "and gets the lowest address again"

done_testing
