#!/bin/bash
# 20 concurrent `vm create` processes get 20 distinct leases (taken under the state lock).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../net-bridge/common.sh"
nb_need jq

nb_tmp T
nb_netns ns
# without a bridge plugin, net-tap is told the bridge and its subnet itself
conf=$(mk_conf "$T" "net-tap = { bridge = \"lia-br0\"; gateway = \"172.16.0.1/24\"; };")
pids=()
for i in $(seq 1 20); do
	in_ns "$ns" "$LIA_CORE" -c "$conf" vm create "c$i" >"$T/out.$i" 2>&1 &
	pids+=($!)
done
fail=0
for p in "${pids[@]}"; do wait "$p" || fail=$((fail + 1)); done
is "$fail" 0 "20 concurrent creates succeed"
ips=$(cat "$T"/state/vms/*.json | jq -r '.. | objects | select(has("net.ip")) | ."net.ip"')
is "$(printf '%s\n' "$ips" | grep -c .)" 20 "20 records with an address"
is "$(printf '%s\n' "$ips" | sort -u | grep -c .)" 20 "20 distinct addresses"
is "$(printf '%s\n' "$ips" | sort -t. -k4 -n | tail -1)" 172.16.0.119 "the 20 lowest addresses of the pool"
done_testing
