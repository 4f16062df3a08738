#!/bin/bash
# A VM lock stays valid for whoever waits on it (issue 10 #1).  `vm destroy` removes
# vms/NAME.lock; a second destroy already waiting on that lock used to get it on the
# deleted file while a new `vm create` of the same name locked a fresh one, and destroyed
# the new VM under the create.  Now a process that gets a lock re-checks that the file is
# still the one at the path, and otherwise waits on the new one.
. "$(dirname "$0")/../lib.sh"
. "$top_srcdir/tests/stubs/build.sh"
T=$(mk_tmp)
P=$T/plugins
export LIA_PLUGIN_PATH=$P
LOG=$T/calls
stub_build "$P" stub_a stub-a || bail "cannot compile stubs"
conf() { mk_conf "$T" "stub-a = { log = \"$LOG\"; $1 };" >/dev/null; rm -f "$LOG"; }
V=$T/state/vms
L() { "$LIA_CORE" -c "$T/lia.conf" "$@"; }

conf ""
L -q vm create x; ok $? "vm create x"
# the first destroy, in the middle of its work, holds x's lock (a process of its own, so
# that nothing started later inherits the lock)
python3 -c 'import fcntl, sys, time
f = open(sys.argv[1], "a"); fcntl.flock(f, fcntl.LOCK_EX); open(sys.argv[2], "w").close(); time.sleep(600)' \
	"$V/x.lock" "$T/held" & holder=$!
cleanup "kill -9 $holder"
wait_for 60 test -e "$T/held" || bail "cannot lock $V/x.lock"
# a second destroy waits on that lock
"$LIA_CORE" -c "$T/lia.conf" -q vm destroy x >"$T/d2.out" 2>&1 & d2=$!
cleanup "kill -9 $d2"
old=$(stat -c %i "$V/x.lock")
waiting_on() { grep -qE -- "-> FLOCK +ADVISORY +WRITE +$1 +[0-9a-f:]+:$2 " /proc/locks; }
wait_for 60 waiting_on "$d2" "$old"; ok $? "the second destroy waits on x's lock"
# (SIGSTOP keeps the waiting destroy from running until the new create has begun: the
# window in which it used to find the new VM's record)
kill -STOP "$d2"
# the first destroy finishes: record and lock file gone, lock released
rm -f "$V/x.json" "$V/x.lock"
kill -9 "$holder"; wait "$holder" 2>/dev/null
# a new create of x (which will stay in its create hook) locks a new file
conf 'sleep = "create";'
"$LIA_CORE" -c "$T/lia.conf" -q vm create x >"$T/c.out" 2>&1 & c=$!
cleanup "kill -9 $c"
wait_for 60 grep -qs "stub-a run create x" "$LOG"; ok $? "a new create of x is in its create hook"
new=$(stat -c %i "$V/x.lock" 2>/dev/null)
kill -CONT "$d2"
[ -n "$new" ] && [ "$new" != "$old" ]; ok $? "on a new lock file"
wait_for 60 waiting_on "$d2" "$new"; ok $? "the second destroy now waits on the new lock file"
kill -0 "$d2" 2>/dev/null; ok $? "it has not finished"
grep -q "destroy x" "$LOG"; ok $((! $?)) "it ran no destroy hook under the create"
is "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["state"])' "$V/x.json" 2>/dev/null)" creating \
	"the new record is intact (creating)"
# the create ends (killed); the destroy then gets the lock of the VM that is there now
kill -9 "$c"; wait "$c" 2>/dev/null
conf ""
wait "$d2"; rc=$?
diag "second destroy after the create died: exit $rc: $(tr '\n' ' ' < "$T/d2.out")"
L -q gc >/dev/null 2>&1
test ! -e "$V/x.json"; ok $? "nothing of x is left after gc"

# the same without SIGSTOP: 8 processes looping create/destroy of one name.  Every
# successful destroy must match a successful create before it.
loop() {
	local i c=0 d=0
	for i in $(seq 10); do
		"$LIA_CORE" -c "$T/lia.conf" -q vm create y 2>/dev/null && c=$((c + 1))
		"$LIA_CORE" -c "$T/lia.conf" -q vm destroy y 2>/dev/null && d=$((d + 1))
	done
	echo "$c $d"
}
for j in $(seq 8); do loop > "$T/loop.$j" & done
wait
creates=$(cat "$T"/loop.* | awk '{s+=$1} END{print s}')
destroys=$(cat "$T"/loop.* | awk '{s+=$2} END{print s}')
left=0; [ -e "$V/y.json" ] && left=1
diag "8 x 10 create/destroy loops: $creates creates, $destroys destroys succeeded, $left left"
is "$((creates - destroys))" "$left" "successful creates = successful destroys + the VM left"
done_testing
