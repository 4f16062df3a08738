#!/bin/bash
# tools/test.sh's progress: the LOG_DRIVER wrapper (tools/test-progress.sh) writes one line
# per finished test file (name, counts, seconds), its skip reasons, and for a failure the
# failed points and the log's place; the test itself does not hold the progress pipe.
# tools/build-progress.sh summarizes a build's output.
. "$(dirname "$0")/../lib.sh"
T=$(mk_tmp)
W=$top_srcdir/tools/test-progress.sh
# drive NAME SCRIPT: run the wrapper as make check would, the progress on descriptor 9
drive() {
	local name=$1
	(cd "$T" && LIA_PROGRESS_FD=9 LIA_PROGRESS_TOP=$T AM_TAP_AWK=awk bash "$W" \
		--test-name "$name" --log-file "$name.log" --trs-file "$name.trs" \
		--color-tests no --expect-failure no -- bash "$2" 9>"$T/$name.progress" >/dev/null 2>&1)
}
cat >"$T/mixed.sh" <<'X'
echo "ok 1 - one"
echo "ok 2 - two"
echo "ok 3 # SKIP needs a tap device"
echo "ok 4 # SKIP needs a tap device"
echo "ok 5 - five # SKIP no KVM here"
echo "1..5"
X
drive mixed "$T/mixed.sh"
ok $? "the wrapper passes a passing test file's status on"
p=$(cat "$T/mixed.progress")
like "$(head -1 <<<"$p")" '^PASS mixed +2 passed, 0 failed, 3 skipped +[0-9]+\.[0-9]s$' \
	"one line: status, name, passed/failed/skipped and seconds"
like "$p" '     skipped: needs a tap device \(x2\)' "the skip reasons, each once with its count"
like "$p" '     skipped: no KVM here' "a skip after a description is found too"
grep -q ':test-result: SKIP' "$T/mixed.trs"
ok $? "the .trs file make check reads is written as usual"

cat >"$T/bad.sh" <<'X'
echo "ok 1 - fine"
echo "not ok 2 - the bridge has an address"
echo "1..2"
X
drive bad "$T/bad.sh"
grep -q ':global-test-result: FAIL' "$T/bad.trs"
ok $? "a failing test file still fails (its .trs says so)"
p=$(cat "$T/bad.progress")
like "$(head -1 <<<"$p")" '^FAIL bad +1 passed, 1 failed, 0 skipped' "its line says FAIL with the counts"
like "$p" '     not ok 2 - the bridge has an address' "it shows the failed point"
like "$p" '     log: bad\.log$' "and where the log is (relative to LIA_PROGRESS_TOP)"

printf 'echo "1..0 # SKIP needs root"\n' >"$T/all.sh"
drive all "$T/all.sh"
like "$(cat "$T/all.progress")" '^SKIP all +0 passed, 0 failed, 1 skipped.*
     skipped: needs root$' "a file skipped as a whole says SKIP and why"

# the test does not inherit descriptor 9 (a daemon it leaves behind would keep
# tools/test.sh's pipe open)
printf 'if [ -e /proc/self/fd/9 ]; then echo "not ok 1 - fd 9 open"; else echo "ok 1 - fd 9 closed"; fi\necho 1..1\n' >"$T/fd.sh"
drive fd "$T/fd.sh"
ok $? "the test runs without the progress descriptor"

# without LIA_PROGRESS_FD it is the plain TAP driver
(cd "$T" && env -u LIA_PROGRESS_FD AM_TAP_AWK=awk bash "$W" --test-name plain --log-file plain.log --trs-file plain.trs \
	-- bash "$T/mixed.sh" >/dev/null 2>&1)
ok $? "without LIA_PROGRESS_FD the wrapper is the plain driver"
grep -q ':global-test-result: PASS' "$T/plain.trs"
ok $? "and writes the same .trs"

# build-progress.sh: a line per EVERY compiled files, warnings as they come, a summary
B=$top_srcdir/tools/build-progress.sh
out=$({ for i in $(seq 1 25); do echo "  CC       core/f$i.o"; done
	echo "../core/x.c:3:1: warning: unused variable 'y'"
	echo "  CCLD     lia-core"; } | bash "$B" "$T/make.out" 25 10)
is "$(grep -c 'compiled' <<<"$out")" 3 "build-progress: a line each 10 files and a summary"
like "$out" "compiled 20 of 25 files \(core/f20.o\)" "with the count, the total and the last file"
like "$out" "warning: unused variable 'y'" "warnings are shown as they come"
like "$(tail -1 <<<"$out")" "compiled 25 files, linked 1 in [0-9]+s" "the last line sums up"
is "$(wc -l <"$T/make.out")" 27 "the whole output is kept in the log"
done_testing
