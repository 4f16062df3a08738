#!/bin/bash
# The download service (core/download.c) through a fake host (dl-test), against
# tests/range_server.py on 127.0.0.1.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/download/common.sh"
[ -x "$DL_TEST" ] || skip_all "dl-test is not built ($DL_TEST)"

T=$(mk_tmp)
mkdir -p "$T/root/sub" "$T/out"
head -c 1048576 /dev/urandom > "$T/root/f.bin"
cp "$T/root/f.bin" "$T/root/sub/f.bin"
SUM=$(sha256_of "$T/root/f.bin")
SIZE=1048576
FAST=(-g download_backoff_ms=10)

# ---- good download, then a re-run that costs no request
start_server "$T/s1" "$T/root"
out=$("$DL_TEST" "${FAST[@]}" "$BASE/f.bin" "$T/out/a" "$SUM" "$SIZE" 0640 2>"$T/err"); rc=$?
is "$rc" 0 "good download succeeds"
like "$out" "^fetched=1 sha256=$SUM" "reports fetched=1 and the right sum"
is "$(sha256_of "$T/out/a")" "$SUM" "the file has the right content"
is "$(stat -c %a "$T/out/a")" 640 "the file has the requested mode"
test ! -e "$T/out/a.part"; ok $? "no .part left behind"
like "$out" "progress=[1-9]" "progress was reported"
is "$(requests)" 1 "one request"
out=$("$DL_TEST" "${FAST[@]}" "$BASE/f.bin" "$T/out/a" "$SUM" 2>"$T/err"); rc=$?
is "$rc" 0 "re-run succeeds"
like "$out" "^fetched=0 sha256=$SUM" "re-run reports fetched=0"
is "$(requests)" 1 "re-run made no request (server log unchanged)"
out=$("$DL_TEST" -q "${FAST[@]}" "$BASE/f.bin" "$T/out/q" 2>"$T/err")
like "$out" "progress=0" "-q: no progress"
out=$("$DL_TEST" "${FAST[@]}" "$BASE/f.bin" "$T/out/u" "${SUM^^}" 2>"$T/err"); rc=$?
is "$rc" 0 "an uppercase expected sum is accepted"

# ---- wrong checksum: the old file stays, the error names the URL and both sums
echo "old content" > "$T/out/b"
BAD=0000000000000000000000000000000000000000000000000000000000000000
"$DL_TEST" "${FAST[@]}" "$BASE/f.bin" "$T/out/b" "$BAD" >/dev/null 2>"$T/err"; rc=$?
is "$rc" 1 "wrong checksum fails"
err=$(cat "$T/err")
like "$err" "$BASE/f.bin" "the error names the URL"
like "$err" "$SUM" "the error names the sum received"
like "$err" "$BAD" "the error names the sum expected"
is "$(cat "$T/out/b")" "old content" "the previous file is untouched"
test ! -e "$T/out/b.part"; ok $? "the mismatching .part is removed"

# ---- size mismatch
"$DL_TEST" "${FAST[@]}" "$BASE/f.bin" "$T/out/sz" - 1000 >/dev/null 2>"$T/err"; rc=$?
is "$rc" 1 "a wrong expected size fails"
like "$(cat "$T/err")" "1048576 bytes but 1000" "the error gives both sizes"
test ! -e "$T/out/sz"; ok $? "nothing installed on size mismatch"

# ---- redirects are followed
out=$("$DL_TEST" "${FAST[@]}" "$BASE/redirect/f.bin" "$T/out/r" "$SUM" 2>"$T/err"); rc=$?
is "$rc" 0 "a redirect is followed"
stop_server

# ---- the server drops the connection halfway; the next run resumes with Range
start_server "$T/s2" "$T/root" --drop-after 400000 --drop-count 1
"$DL_TEST" -g download_retries=0 "$BASE/f.bin" "$T/out/c" "$SUM" >/dev/null 2>"$T/err"; rc=$?
is "$rc" 1 "a dropped connection fails without retries"
test ! -e "$T/out/c"; ok $? "no file installed after the drop"
is "$(stat -c %s "$T/out/c.part" 2>/dev/null)" 400000 "the .part is kept (the server can resume)"
out=$("$DL_TEST" "${FAST[@]}" "$BASE/f.bin" "$T/out/c" "$SUM" 2>"$T/err"); rc=$?
is "$rc" 0 "the next run completes"
is "$(sha256_of "$T/out/c")" "$SUM" "the resumed file has the right checksum"
like "$(tail -n1 "$SRVLOG")" "range=bytes=400000- status=206" "the second run asked for the rest only"
test ! -e "$T/out/c.part"; ok $? "the .part is gone after completion"
stop_server

# ---- one drop within a run: retried and resumed in the same call
start_server "$T/s3" "$T/root" --drop-after 300000 --drop-count 1
out=$("$DL_TEST" "${FAST[@]}" "$BASE/f.bin" "$T/out/d" "$SUM" 2>"$T/err"); rc=$?
is "$rc" 0 "a drop is retried within one run"
is "$(requests)" 2 "two requests"
like "$(tail -n1 "$SRVLOG")" "range=bytes=300000- status=206" "the retry resumed"
like "$(cat "$T/err")" "retry 1 of 3" "the retry is logged"
stop_server

# ---- 404 and 500
start_server "$T/s4" "$T/root"
"$DL_TEST" "${FAST[@]}" "$BASE/missing.bin" "$T/out/e" >/dev/null 2>"$T/err"; rc=$?
is "$rc" 1 "404 fails"
like "$(cat "$T/err")" "Downloading $BASE/missing.bin failed: the server answered HTTP 404" "404: clear error naming the URL"
is "$(requests)" 1 "404 is not retried"
test ! -e "$T/out/e" && test ! -e "$T/out/e.part"; ok $? "404 leaves no file and no .part"
stop_server
start_server "$T/s5" "$T/root" --status 500
"$DL_TEST" "${FAST[@]}" -g download_retries=2 "$BASE/f.bin" "$T/out/g" >/dev/null 2>"$T/err"; rc=$?
is "$rc" 1 "500 fails"
like "$(cat "$T/err")" "HTTP 500 \\(after 3 attempts\\)" "500: clear error, after the retries"
is "$(requests)" 3 "500 is retried (1 + 2 requests)"
test ! -e "$T/out/g" && test ! -e "$T/out/g.part"; ok $? "500 leaves no file and no .part"
stop_server
start_server "$T/s6" "$T/root" --status 503 --status-count 1
out=$("$DL_TEST" "${FAST[@]}" "$BASE/f.bin" "$T/out/h" "$SUM" 2>"$T/err"); rc=$?
is "$rc" 0 "one 503 then success"
stop_server

# ---- a stalled transfer is timed out
start_server "$T/s7" "$T/root" --stall-after 5000
t0=$(date +%s)
"$DL_TEST" -g download_retries=0 -g download_stall_s=2 "$BASE/f.bin" "$T/out/i" >/dev/null 2>"$T/err"; rc=$?
t1=$(date +%s)
is "$rc" 1 "a stalled transfer fails"
like "$(cat "$T/err")" "stalled \\(no data for 2 s" "the error says it stalled"
ok $(( t1 - t0 <= 6 ? 0 : 1 )) "it gave up within the stall time ($((t1 - t0)) s)"
test ! -e "$T/out/i"; ok $? "nothing installed after a stall"
stop_server

# ---- a server that ignores Range (like python's http.server): a .part restarts from 0
start_server "$T/s8" "$T/root" --no-ranges
head -c 5000 /dev/zero > "$T/out/j.part"
out=$("$DL_TEST" "${FAST[@]}" "$BASE/f.bin" "$T/out/j" "$SUM" 2>"$T/err"); rc=$?
is "$rc" 0 "a full 200 answer to a Range request restarts cleanly"
is "$(sha256_of "$T/out/j")" "$SUM" "... with the right content"
"$DL_TEST" -g download_retries=0 "$BASE/missing" "$T/out/k" >/dev/null 2>&1
test ! -e "$T/out/k.part"; ok $? "no .part kept from a server that cannot resume"
stop_server

# ---- 416: the .part is already whole
start_server "$T/s9" "$T/root"
cp "$T/root/f.bin" "$T/out/l.part"
out=$("$DL_TEST" "${FAST[@]}" "$BASE/f.bin" "$T/out/l" 2>"$T/err"); rc=$?
is "$rc" 0 "a complete .part answered with 416 is accepted"
like "$out" "sha256=$SUM" "... with the right sum"
like "$(tail -n1 "$SRVLOG")" "status=416" "the server answered 416"
cp "$T/root/f.bin" "$T/out/m.part"
n=$(requests)
out=$("$DL_TEST" "${FAST[@]}" "$BASE/f.bin" "$T/out/m" "$SUM" 2>"$T/err"); rc=$?
is "$rc:$(requests)" "0:$n" "a complete .part with the expected sum needs no request"
# a wrong .part prefix: the sum mismatches, the .part goes, the next run is right
head -c 1000 /dev/zero > "$T/out/n.part"
"$DL_TEST" "${FAST[@]}" "$BASE/f.bin" "$T/out/n" "$SUM" >/dev/null 2>"$T/err"; rc=$?
is "$rc" 1 "a corrupt .part is caught by the checksum"
test ! -e "$T/out/n.part"; ok $? "... and removed"
"$DL_TEST" "${FAST[@]}" "$BASE/f.bin" "$T/out/n" "$SUM" >/dev/null 2>"$T/err"; ok $? "the next run succeeds"

# ---- file:// sources and the mirror setting
out=$("$DL_TEST" "file://$T/root/f.bin" "$T/out/o" "$SUM" 2>"$T/err"); rc=$?
is "$rc" 0 "a file:// source works"
is "$(sha256_of "$T/out/o")" "$SUM" "... with the right content"
"$DL_TEST" "file://$T/root/nope" "$T/out/p" >/dev/null 2>"$T/err"; rc=$?
is "$rc" 1 "a missing file:// source fails"
like "$(cat "$T/err")" "file://$T/root/nope" "... naming the URL"
test ! -e "$T/out/p.part"; ok $? "... leaving no .part"
out=$("$DL_TEST" -g "mirror=file://$T/root" "https://example.invalid/sub/f.bin" "$T/out/q1" "$SUM" 2>"$T/err"); rc=$?
is "$rc" 0 "mirror file://DIR rewrites scheme and host"
out=$("$DL_TEST" -g "mirror=$T/root/" "https://example.invalid/sub/f.bin" "$T/out/q2" "$SUM" 2>"$T/err"); rc=$?
is "$rc" 0 "mirror given as a folder works"
n=$(requests)
out=$("$DL_TEST" -g "mirror=$BASE" "https://example.invalid/sub/f.bin" "$T/out/q3" "$SUM" 2>"$T/err"); rc=$?
is "$rc" 0 "mirror http://HOST:PORT works"
like "$(tail -n1 "$SRVLOG")" "GET /sub/f.bin" "the mirror got the original path"

# ---- bad requests
"$DL_TEST" "ftp://127.0.0.1/x" "$T/out/r1" >/dev/null 2>"$T/err"; rc=$?
is "$rc" 1 "ftp:// is refused"
like "$(cat "$T/err")" "only http://, https:// and file://" "... with a clear error"
"$DL_TEST" "$BASE/f.bin" "$T/out/r2" "abc" >/dev/null 2>"$T/err"; rc=$?
like "$(cat "$T/err")" "not 64 hex digits" "a malformed sum is refused"
"$DL_TEST" "$BASE/f.bin" "$T/no/such/dir/x" >/dev/null 2>"$T/err"; rc=$?
is "$rc" 1 "a missing destination folder fails"
like "$(cat "$T/err")" "Cannot create $T/no/such/dir/x.part" "... naming the file"

done_testing
