#!/bin/bash
# Signals during a pipeline (issue 10 #4): a closed output pipe does not kill lia-core
# (it exited 141 and left the record in "starting"); SIGTERM and SIGINT roll back like
# a failed step, then lia-core exits 143 / 130.
. "$(dirname "$0")/../lib.sh"
. "$top_srcdir/tests/stubs/build.sh"
T=$(mk_tmp)
P=$T/plugins
export LIA_PLUGIN_PATH=$P
LOG=$T/calls
stub_build "$P" stub_a stub-a || bail "cannot compile stubs"
conf() { mk_conf "$T" "stub-a = { log = \"$LOG\"; $1 };" >/dev/null; rm -f "$LOG"; }
V=$T/state/vms
state() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["state"])' "$V/$1.json" 2>/dev/null; }
calls() { tr '\n' ';' < "$LOG" 2>/dev/null; }

conf ""
"$LIA_CORE" -c "$T/lia.conf" -q vm create p1 || bail "vm create"
# a pipe whose reader has gone away: every write gets EPIPE (and SIGPIPE before the fix)
# (exit status: 0, or the signal that killed it as a negative number, e.g. -13)
rc=$(python3 -c 'import os, subprocess, sys
r, w = os.pipe(); os.close(r)
print(subprocess.call(sys.argv[1:], stdout=w, stderr=subprocess.DEVNULL))' "$LIA_CORE" -c "$T/lia.conf" vm start p1)
is "$rc" 0 "vm start with a closed stdout pipe exits 0 (not killed by SIGPIPE: -13)"
is "$(state p1)" running "and the VM is running, not left starting"
"$LIA_CORE" -c "$T/lia.conf" vm list | head -c 5 >/dev/null
is "${PIPESTATUS[0]}" 0 "vm list | head -c 5: lia-core exits 0"

for sig in TERM INT; do
	n=s${sig,,}
	conf ""
	"$LIA_CORE" -c "$T/lia.conf" -q vm create "$n" || bail "vm create"
	conf 'sleep = "boot";'
	# setsid: SIGINT to a background job of a script is ignored by default
	setsid "$LIA_CORE" -c "$T/lia.conf" -q vm start "$n" >"$T/$n.out" 2>&1 & lp=$!
	wait_for 60 grep -qs "stub-a run boot $n" "$LOG"; ok $? "SIG$sig: vm start is in its boot hook"
	kill -"$sig" "$lp"
	wait "$lp"; rc=$?
	want=$([ $sig = TERM ] && echo 143 || echo 130)
	is "$rc" "$want" "SIG$sig: lia-core exits $want" || diag "$(cat "$T/$n.out")"
	like "$(calls)" "stub-a undo boot $n;stub-a undo net-up $n;" "SIG$sig: the start is rolled back"
	st=$(state "$n")
	[ "$st" != starting ] && [ "$st" != running ]; ok $? "SIG$sig: the record is not left starting or running ($st)"
	like "$(cat "$T/$n.out")" "interrupted by SIG$sig" "SIG$sig: says so"
done
done_testing
