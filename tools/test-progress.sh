#!/bin/bash
# LOG_DRIVER wrapper for tools/test.sh: runs the TAP driver (build-aux/tap-driver.sh) on
# one test file, then writes what a person waiting wants to know to the file descriptor
# LIA_PROGRESS_FD: one line with the file's name, its passed/failed/skipped counts and
# seconds, then (indented) the reasons of its skips and, for a failure, the failed test
# points and where the log is.  Without LIA_PROGRESS_FD it is the plain TAP driver.
# LIA_PROGRESS_TOP: print log paths relative to this folder (the source tree).
set -u
here=$(cd "$(dirname "$0")" && pwd)
name="" log="" trs=""
a=("$@")
for ((i = 0; i < ${#a[@]}; i++)); do
	case ${a[i]} in
	--test-name) name=${a[i + 1]:-} ;;
	--log-file) log=${a[i + 1]:-} ;;
	--trs-file) trs=${a[i + 1]:-} ;;
	--) break ;;
	esac
done
fd=${LIA_PROGRESS_FD:-}
if [ -z "$fd" ] || ! [ "$fd" -gt 2 ] 2>/dev/null; then
	exec "${SHELL:-/bin/sh}" "$here/../build-aux/tap-driver.sh" "$@"
fi
t0=$(date +%s%N)
# the test must not hold the progress pipe open (a process it leaves behind would make
# tools/test.sh wait for it): close that descriptor for the driver and the test
eval "\"\${SHELL:-/bin/sh}\" \"\$here/../build-aux/tap-driver.sh\" \"\$@\" $fd>&-"
rc=$?
t1=$(date +%s%N)
secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')

pass=0 fail=0 skip=0
if [ -f "$trs" ]; then
	while read -r _ r; do
		case $r in
		PASS | XFAIL) pass=$((pass + 1)) ;;
		SKIP) skip=$((skip + 1)) ;;
		*) fail=$((fail + 1)) ;;
		esac
	done < <(grep '^:test-result:' "$trs")
else
	fail=1
fi
[ "$rc" -ne 0 ] && [ "$fail" -eq 0 ] && fail=1
status=PASS
[ "$skip" -gt 0 ] && [ "$pass" -eq 0 ] && status=SKIP
[ "$fail" -gt 0 ] && status=FAIL
where=$log
[ -n "$where" ] && [ "${where#/}" = "$where" ] && where=$PWD/$where
[ -n "${LIA_PROGRESS_TOP:-}" ] && where=${where#"${LIA_PROGRESS_TOP%/}"/}
{
	printf '%-4s %-34s %3d passed, %d failed, %d skipped  %6ss\n' \
		"$status" "$name" "$pass" "$fail" "$skip" "$secs"
	if [ -f "$log" ]; then
		# "ok 3 # SKIP reason" and "1..0 # SKIP reason": each reason once, with its count
		sed -n -E 's/^(ok [0-9]+|1\.\.0)[^#]*# [Ss][Kk][Ii][Pp] ?(.*)$/\2/p' "$log" |
			sort | uniq -c | sort -rn | head -5 |
			awk '{ n = $1; $1 = ""; sub(/^ /, ""); printf "     skipped: %s%s\n", ($0 == "" ? "(no reason given)" : $0), (n > 1 ? " (x" n ")" : "") }'
		if [ "$status" = FAIL ]; then
			grep -E '^(not ok|Bail out!)' "$log" | head -5 | sed 's/^/     /'
		fi
	fi
	[ "$status" = FAIL ] && printf '     log: %s\n' "$where"
} >&"$fd"
exit "$rc"
