#!/bin/bash
# gc removes what crashed processes leave in vms/ (issue 10 #7): NAME.json.tmp.PID of a
# dead PID and NAME.lock without a record; a temp file of a live writer, a lock some
# process holds and the files of a live record stay.
. "$(dirname "$0")/../lib.sh"
. "$top_srcdir/tests/stubs/build.sh"
T=$(mk_tmp)
P=$T/plugins
export LIA_PLUGIN_PATH=$P
stub_build "$P" stub_a stub-a || bail "cannot compile stubs"
mk_conf "$T" "stub-a = { log = \"$T/calls\"; };" >/dev/null
V=$T/state/vms
L() { "$LIA_CORE" -c "$T/lia.conf" "$@"; }
L -q vm create keep || bail "vm create"
true & dead=$!; wait $dead
echo '{}' > "$V/gone.json.tmp.$dead"
echo '{}' > "$V/keep.json.tmp.$$"              # this shell is alive
H=$T/state/host
mkdir -p "$H"
echo '{"a": "1"}' > "$H/stub-a.json"
echo '{}' > "$H/stub-a.json.tmp.$dead"
echo '{}' > "$H/stub-b.json.tmp.$$"
: > "$V/gone.lock"
: > "$V/held.lock"
python3 -c 'import fcntl, sys, time
f = open(sys.argv[1], "a"); fcntl.flock(f, fcntl.LOCK_EX); open(sys.argv[2], "w").close(); time.sleep(600)' \
	"$V/held.lock" "$T/held" & holder=$!
cleanup "kill -9 $holder"
wait_for 60 test -e "$T/held" || bail "cannot hold a lock"
out=$(L gc 2>&1); rc=$?
is "$rc" 0 "gc succeeds" || diag "$out"
test ! -e "$V/gone.json.tmp.$dead"; ok $? "the temp file of a dead writer is removed"
test -e "$V/keep.json.tmp.$$"; ok $? "the temp file of a live writer stays"
test ! -e "$V/gone.lock"; ok $? "a lock file without a record is removed"
test -e "$V/held.lock"; ok $? "a lock file someone holds stays"
test -e "$V/keep.lock" && test -e "$V/keep.json"; ok $? "a live record and its lock stay"
test ! -e "$H/stub-a.json.tmp.$dead"; ok $? "host/: a memo temp file of a dead writer is removed"
test -e "$H/stub-b.json.tmp.$$"; ok $? "host/: a memo temp file of a live writer stays"
is "$(cat "$H/stub-a.json" 2>&1)" '{"a": "1"}' "host/: the memo itself stays"
kill -9 $holder; wait $holder 2>/dev/null
rm -f "$V/keep.json.tmp.$$" "$H/stub-b.json.tmp.$$"
L -q vm destroy keep; ok $? "vm destroy"
is "$(ls -A "$V" | grep -v '^\.lock$' | grep -v '^\.index$' | tr '\n' ' ')" "held.lock " \
	"destroy leaves no record or lock of its own"
done_testing
