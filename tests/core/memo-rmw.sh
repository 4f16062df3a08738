#!/bin/bash
# memo_set is a read-modify-write of the memo file under a lock (issue 10 #5): processes
# that change different keys of one plugin's memo at once keep each other's keys.  Here 8
# parallel `vm create` each read the memo, wait 300 ms (widening the window), then add their
# own key ("create:VM"), 3 rounds.
. "$(dirname "$0")/../lib.sh"
. "$top_srcdir/tests/stubs/build.sh"
command -v jq >/dev/null || skip_all "jq is not installed"
T=$(mk_tmp)
P=$T/plugins
export LIA_PLUGIN_PATH=$P
stub_build "$P" stub_a stub-a || bail "cannot compile stubs"
mk_conf "$T" "stub-a = { log = \"$T/calls\"; memo = true; memo_wait_ms = 300; };" >/dev/null
M=$T/state/host/stub-a.json
for round in 1 2 3; do
	pids=()
	for i in 1 2 3 4 5 6 7 8; do
		"$LIA_CORE" -c "$T/lia.conf" -q vm create "r$round-m$i" & pids+=($!)
	done
	bad=0
	for p in "${pids[@]}"; do wait "$p" || bad=$((bad + 1)); done
	is "$bad" 0 "round $round: 8 parallel vm create succeed"
	is "$(jq -r "keys[] | select(startswith(\"create:r$round-\"))" "$M" 2>&1 | wc -l)" 8 \
		"round $round: the memo holds the key of each of the 8"
done
ls "$T/state/host" | grep -q '\.tmp\.'
ok $((!$?)) "no memo temp file is left"
done_testing
