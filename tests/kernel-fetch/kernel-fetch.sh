#!/bin/bash
# kernel-fetch's hooks through a fake host (kf-test), against tests/range_server.py.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/download/common.sh"
: "${KF_TEST:=$top_builddir/tests/kernel-fetch/kf-test}"
[ -x "$KF_TEST" ] || skip_all "kf-test is not built ($KF_TEST)"
MK="$top_srcdir/tests/kernel-fetch/mkkernel.py"

T=$(mk_tmp)
mkdir -p "$T/root/kernels" "$T/state"
python3 "$MK" elf "$T/root/kernels/vmlinux" one
python3 "$MK" bzimage "$T/root/kernels/bzImage"
python3 "$MK" text "$T/root/kernels/error.html"
python3 "$MK" elf32 "$T/root/kernels/vmlinux32"
python3 "$MK" arm64 "$T/root/kernels/vmlinux-arm64"
SUM=$(sha256_of "$T/root/kernels/vmlinux")
start_server "$T/srv" "$T/root"
K="$T/state/kernel/vmlinux"
kf() { "$KF_TEST" -s "$T/state" -g download_backoff_ms=10 -g download_retries=0 "$@"; }

# ---- trust on first use
kf -o url="$BASE/kernels/vmlinux" plan >"$T/out" 2>"$T/err"; rc=$?
is "$rc" 0 "plan succeeds"
like "$(cat "$T/out")" "note: download $BASE/kernels/vmlinux to $K" "plan says it would download"
like "$(cat "$T/out")" "trust on first use" "plan says it would trust on first use"
is "$(requests)" 0 "plan makes no request"
test ! -e "$K"; ok $? "plan changes nothing"
kf -o url="$BASE/kernels/vmlinux" run >"$T/out" 2>"$T/err"; rc=$?
is "$rc" 0 "first run succeeds"
is "$(sha256_of "$K")" "$SUM" "vmlinux installed with the right content"
is "$(stat -c %a "$K")" 644 "vmlinux has mode 0644"
like "$(cat "$T/err")" "NO CHECKSUM is configured" "trust on first use is loud"
like "$(cat "$T/state/fake-memo-kernel-fetch.txt")" "sha256=$SUM" "the sha256 is recorded"
ls "$T/state/kernel" > "$T/ls"
is "$(cat "$T/ls")" "vmlinux" "no temp file left in state_dir/kernel"
n=$(requests)
kf -o url="$BASE/kernels/vmlinux" run >"$T/out" 2>"$T/err"; rc=$?
is "$rc" 0 "re-run succeeds"
is "$(requests)" "$n" "re-run makes no request (server log unchanged)"
kf -o url="$BASE/kernels/vmlinux" plan >"$T/out" 2>"$T/err"
is "$(cat "$T/out")" "" "plan when up to date: nothing to do"

# ---- a changed upstream file is an error, not a silent replacement
rm -f "$K"
python3 "$MK" elf "$T/root/kernels/vmlinux" two
NEW=$(sha256_of "$T/root/kernels/vmlinux")
kf -o url="$BASE/kernels/vmlinux" run >"$T/out" 2>"$T/err"; rc=$?
is "$rc" 1 "a changed upstream file fails"
like "$(cat "$T/err")" "not the file lia recorded on first use" "... saying the record does not match"
like "$(cat "$T/err")" "$NEW" "... naming the new sum"
like "$(cat "$T/err")" "$SUM" "... and the recorded one"
test ! -e "$K"; ok $? "... installing nothing"
like "$(cat "$T/state/fake-memo-kernel-fetch.txt")" "sha256=$SUM" "the record is kept"

# ---- undo removes the kernel and the record; the next run trusts again
kf -o url="$BASE/kernels/vmlinux" undo >"$T/out" 2>"$T/err"; rc=$?
is "$rc" 0 "undo succeeds"
test ! -e "$T/state/fake-memo-kernel-fetch.txt" || ! grep -q sha256 "$T/state/fake-memo-kernel-fetch.txt"; ok $? "undo forgets the record"
kf -o url="$BASE/kernels/vmlinux" undo >/dev/null 2>&1; ok $? "undo with nothing to undo succeeds"
kf -o url="$BASE/kernels/vmlinux" run >"$T/out" 2>"$T/err"; rc=$?
is "$rc:$(sha256_of "$K")" "0:$NEW" "after undo, the new file is trusted on first use"
kf -o url="$BASE/kernels/vmlinux" undo >/dev/null 2>&1
test ! -e "$K"; ok $? "undo removes state_dir/kernel/vmlinux"

# ---- a configured sha256: a mismatch keeps the previous kernel
kf -o url="$BASE/kernels/vmlinux" -o sha256="$NEW" run >/dev/null 2>"$T/err"; ok $? "a configured sha256 that matches"
BAD=1111111111111111111111111111111111111111111111111111111111111111
kf -o url="$BASE/kernels/vmlinux32" -o sha256="$BAD" run >/dev/null 2>"$T/err"; rc=$?
is "$rc" 1 "a configured sha256 that does not match fails"
like "$(cat "$T/err")" "$BASE/kernels/vmlinux32 has SHA-256 [0-9a-f]{64} but $BAD was expected" "the error names the URL and both sums"
is "$(sha256_of "$K")" "$NEW" "the previous kernel is untouched"

# ---- wrong formats: plain words, nothing installed, the previous kernel kept
kf -o url="$BASE/kernels/bzImage" run >/dev/null 2>"$T/err"; rc=$?
is "$rc" 1 "a bzImage is refused"
like "$(cat "$T/err")" "is a compressed bzImage \\(vmlinuz\\); Firecracker 1.6 on x86_64 needs the uncompressed ELF vmlinux" "the bzImage error is in plain words"
is "$(sha256_of "$K")" "$NEW" "the previous kernel is untouched"
ls "$T/state/kernel" > "$T/ls"
is "$(cat "$T/ls")" "vmlinux" "the bad download left no file behind"
kf -o url="$BASE/kernels/error.html" run >/dev/null 2>"$T/err"; rc=$?
is "$rc" 1 "a text file is refused"
like "$(cat "$T/err")" "error.html is a text file" "the text-file error is in plain words"
rm -f "$K"
kf -o url="$BASE/kernels/bzImage" run >/dev/null 2>"$T/err"
test ! -e "$K"; ok $? "a bzImage is never installed as vmlinux"
kf -o url="$BASE/kernels/vmlinux32" run >/dev/null 2>"$T/err"; rc=$?
like "$rc $(tr "\n" " " < "$T/err")" "^1 .*32-bit ELF" "a 32-bit ELF is refused"
kf -o url="$BASE/kernels/vmlinux-arm64" run >/dev/null 2>"$T/err"; rc=$?
like "$rc $(tr "\n" " " < "$T/err")" "^1 .*another machine \\(e_machine 183\\)" "an aarch64 ELF is refused"
kf -o url="$BASE/kernels/nope" run >/dev/null 2>"$T/err"; rc=$?
like "$rc $(tr "\n" " " < "$T/err")" "^1 .*$BASE/kernels/nope failed: the server answered HTTP 404" "a 404 names the URL"

# ---- verify = false: warned on every run
kf -o url="$BASE/kernels/vmlinux" undo >/dev/null 2>&1
kf -o url="$BASE/kernels/vmlinux" -o verify=false run >/dev/null 2>"$T/err"; rc=$?
is "$rc" 0 "verify = false installs"
like "$(cat "$T/err")" "verify = false: the kernel from .* is NOT checked" "... with a warning"
n=$(requests)
kf -o url="$BASE/kernels/vmlinux" -o verify=false run >/dev/null 2>"$T/err"; rc=$?
like "$rc $(tr "\n" " " < "$T/err")" "^0 .*NOT checked" "the warning comes again on the next run"
is "$(requests)" "$n" "... which makes no request"

# ---- mirror: the default URL served from a local folder
kf undo >/dev/null 2>&1
M="$T/mirror/spec.ccfc.min/img/quickstart_guide/x86_64/kernels"
mkdir -p "$M"
cp "$T/root/kernels/vmlinux" "$M/vmlinux.bin"
kf -g mirror="file://$T/mirror" run >/dev/null 2>"$T/err"; rc=$?
is "$rc" 0 "the default URL through mirror = file://DIR"
is "$(sha256_of "$K")" "$NEW" "... installs the mirrored kernel"
like "$(cat "$T/state/fake-memo-kernel-fetch.txt")" "url=https://s3.amazonaws.com/spec.ccfc.min/img/quickstart_guide/x86_64/kernels/vmlinux.bin" "the record keeps the original URL"

done_testing
