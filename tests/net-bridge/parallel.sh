#!/bin/bash
# Parallel `run setup` keeps net-bridge's memory (issue 10 #5): 8 setups at once in a
# fresh namespace, then one teardown, several rounds.  Without a host-wide lock the last
# writer of host/net-bridge.json dropped `ip_forward_before`, so teardown left forwarding
# on.  Every setup must succeed, the memo must remember the value forwarding had, and
# teardown must restore it, every round.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"
nb_need

nb_tmp T
nb_netns ns
nb_uplink "$ns"
mkdir -p "$T/units"
conf=$(mk_conf "$T" "net-bridge = { unit_dir = \"$T/units\"; lia_core_path = \"/opt/lia/bin/lia-core\"; unit_config = \"/etc/lia/lia.conf\"; };")
memo=$T/state/host/net-bridge.json
rounds=${LIA_TEST_ROUNDS:-5}

for round in $(seq 1 "$rounds"); do
	is "$(in_ns "$ns" cat /proc/sys/net/ipv4/ip_forward)" 0 "round $round: forwarding is off before setup"
	pids=()
	for i in 1 2 3 4 5 6 7 8; do
		nb_lia "$ns" "$conf" -q run setup > "$T/out.$i" 2>&1 &
		pids+=($!)
	done
	failed=0
	for i in "${!pids[@]}"; do
		wait "${pids[$i]}" || { failed=$((failed + 1)); diag "setup $((i + 1)): $(cat "$T/out.$((i + 1))")"; }
	done
	is "$failed" 0 "round $round: 8 parallel setups succeed"
	is "$(jq -r '.ip_forward_before // "lost"' "$memo" 2>&1)" 0 \
		"round $round: the memo still holds the forwarding value before setup"
	out=$(nb_lia "$ns" "$conf" -q run teardown); rc=$?
	is "$rc" 0 "round $round: teardown succeeds" || diag "$out"
	is "$(in_ns "$ns" cat /proc/sys/net/ipv4/ip_forward)" 0 "round $round: teardown turned forwarding off again"
	# a round that failed leaves forwarding on: start the next one from the same place
	in_ns "$ns" sh -c 'echo 0 > /proc/sys/net/ipv4/ip_forward'
done
ls "$T/state/host" | grep -q '\.tmp\.'
ok $((!$?)) "no memo temp file is left in host/"
done_testing
