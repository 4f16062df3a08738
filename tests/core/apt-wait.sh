#!/bin/bash
# tools/apt-wait.sh (used by tools/deps.sh before apt-get): while another process holds
# the package manager's lock it says that it waits and for whom, and goes on when the
# lock is free; it gives up after its timeout with a message.  The lock here is a file
# of the test, held with fcntl as apt and dpkg do.
. "$(dirname "$0")/../lib.sh"
T=$(mk_tmp)
command -v python3 >/dev/null || skip_all "python3 is not installed"
A=$top_srcdir/tools/apt-wait.sh
: >"$T/lock"
out=$(LIA_APT_LOCKS="$T/lock" bash "$A" 5 2>&1)
ok $? "a free lock: no wait"
is "$out" "" "and nothing said"

# hold LOCK for SECS seconds in the background; prints the holder's pid
hold() {
	python3 -c 'import fcntl, sys, time
f = open(sys.argv[1], "w"); fcntl.lockf(f, fcntl.LOCK_EX)
open(sys.argv[1] + ".held", "w").close(); time.sleep(float(sys.argv[2]))
open(sys.argv[1] + ".released", "w").close(); fcntl.lockf(f, fcntl.LOCK_UN)' "$1" "$2" >/dev/null 2>&1 &
	echo $!
}
pid=$(hold "$T/lock" 3)
cleanup "kill $pid"
for _ in $(seq 50); do [ -e "$T/lock.held" ] && break; sleep 0.1; done
out=$(LIA_APT_LOCKS="/nonexistent $T/lock" bash "$A" 60 2>&1)
rc=$?
is "$rc" 0 "a held lock: it waits, then goes on"
like "$out" "^deps: waiting for the package manager lock $T/lock \(held by python3, pid $pid\)" \
	"it says that it waits, for which lock and which process"
test -e "$T/lock.released"
ok $? "it went on only once the holder let go"

rm -f "$T/lock.held"
pid=$(hold "$T/lock" 30)
cleanup "kill $pid"
for _ in $(seq 50); do [ -e "$T/lock.held" ] && break; sleep 0.1; done
out=$(LIA_APT_LOCKS="$T/lock" bash "$A" 2 2>&1)
ok $((!$?)) "a lock held past the timeout: it gives up"
like "$out" "gave up after 2s waiting for $T/lock" "and says what it waited for"
kill "$pid" 2>/dev/null

grep -q 'DPkg::Lock::Timeout' "$top_srcdir/tools/deps.sh" && grep -q 'apt-wait.sh' "$top_srcdir/tools/deps.sh"
ok $? "tools/deps.sh waits for the lock before apt-get and gives apt-get a lock timeout"
done_testing
