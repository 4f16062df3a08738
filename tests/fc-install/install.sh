#!/bin/bash
# fc-driver's install phase (install.c) through a fake host (fci-test), against
# tests/range_server.py serving stand-in release tarballs of the real layout.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/download/common.sh"
need_plugin fc-driver
: "${FCI_TEST:=$top_builddir/tests/fc-install/fci-test}"
[ -x "$FCI_TEST" ] || skip_all "fci-test is not built ($FCI_TEST)"
MKT="$top_srcdir/tests/fc-install/mktarball.py"

T=$(mk_tmp)
GH=firecracker-microvm/firecracker/releases/download
# good: the release of v1.6.0 at the GitHub path (for the mirror test) and at /good/
mkdir -p "$T/root/$GH/v1.6.0" "$T/state" "$T/bin"
python3 "$MKT" "$T/root/$GH/v1.6.0/firecracker-v1.6.0-x86_64.tgz" v1.6.0
for kind in good wrongver traversal traversal-first absolute symlink hardlink nojailer; do
	mkdir -p "$T/root/$kind"
	case $kind in
	good) args=() ;;
	wrongver) args=(--reports v1.5.0) ;;
	nojailer) args=(--without jailer) ;;
	*) args=(--evil "$kind") ;;
	esac
	python3 "$MKT" "$T/root/$kind/firecracker-v1.6.0-x86_64.tgz" v1.6.0 "${args[@]}"
done
start_server "$T/srv" "$T/root"
fci() { "$FCI_TEST" -s "$T/state" -g download_backoff_ms=10 -g download_retries=0 -o bin_dir="$T/bin" "$@"; }
url() { echo "$BASE/$1/firecracker-v1.6.0-x86_64.tgz"; }
# snapshot of everything under a folder (names, modes, sums)
snap() { (cd "$1" && find . -printf '%p %m\n' | sort && find . -type f -exec sha256sum {} + | sort); }

# everything in the test's folders but the download cache, the server's and our logs
snap_all() {
	(cd "$(dirname "$T")" && find "$(basename "$T")" \( -path '*/state/install' -o -path '*/srv' -o -name out -o -name err \) -prune \
		-o -printf '%p %m %s\n' | sort)
}

# ---- plan, then a good install
fci -o release_url="$(url good)" plan >"$T/out" 2>"$T/err"; rc=$?
is "$rc" 0 "plan succeeds"
like "$(cat "$T/out")" "install firecracker and jailer v1.6.0 into $T/bin" "plan says what it would install"
is "$(requests)" 0 "plan makes no request"
fci -o release_url="$(url good)" run >"$T/out" 2>"$T/err"; rc=$?
is "$rc" 0 "install succeeds"
is "$("$T/bin/firecracker" --version)" "Firecracker v1.6.0" "firecracker is installed and reports v1.6.0"
is "$(stat -c %a "$T/bin/firecracker"):$(stat -c %a "$T/bin/jailer")" "755:755" "both binaries are 0755"
is "$(ls -A "$T/bin" | tr '\n' ' ')" "firecracker jailer " "only firecracker and jailer in bin_dir (no temp files)"
like "$(head -n1 "$SRVLOG")" "GET /good/firecracker-v1.6.0-x86_64.tgz.sha256.txt" "the published .sha256.txt was fetched"
test -f "$T/state/install/firecracker-v1.6.0-x86_64.tgz"; ok $? "the tarball is cached in state_dir/install"
n=$(requests)
fci -o release_url="$(url good)" run >"$T/out" 2>"$T/err"; rc=$?
is "$rc:$(requests)" "0:$n" "re-run: the version is installed, nothing to do, no request"
fci -o release_url="$(url good)" plan >"$T/out" 2>"$T/err"
is "$(cat "$T/out")" "" "plan when installed: nothing to do"

# ---- a cached, verified tarball costs only the .sha256.txt request
rm -f "$T/bin/firecracker" "$T/bin/jailer"
n=$(requests)
fci -o release_url="$(url good)" run >"$T/out" 2>"$T/err"; rc=$?
is "$rc" 0 "reinstall from the cache succeeds"
is "$(( $(requests) - n ))" 1 "... fetching only the .sha256.txt"
rm -f "$T/bin/firecracker" "$T/bin/jailer"
SUM=$(cut -d' ' -f1 "$T/root/good/firecracker-v1.6.0-x86_64.tgz.sha256.txt")
n=$(requests)
fci -o release_url="$(url good)" -o sha256="$SUM" run >"$T/out" 2>"$T/err"; rc=$?
is "$rc:$(( $(requests) - n ))" "0:0" "with sha256 configured and the tarball cached: no request at all"

# ---- a configured sha256 that does not match
BAD=2222222222222222222222222222222222222222222222222222222222222222
rm -rf "$T/state/install"
old_fc() { printf '#!/bin/sh\necho "Firecracker v1.4.1"\n' > "$T/bin/firecracker"; chmod 755 "$T/bin/firecracker"; }
old_fc
before=$(snap "$T/bin")
fci -o release_url="$(url good)" -o sha256="$BAD" run >"$T/out" 2>"$T/err"; rc=$?
is "$rc" 1 "a wrong sha256 fails"
like "$(cat "$T/err")" "$(url good) has SHA-256 $SUM but $BAD was expected" "the error names the URL and both sums"
is "$(snap "$T/bin")" "$before" "bin_dir untouched"

# ---- a tarball whose firecracker reports another version
before=$(snap "$T/bin")
fci -o release_url="$(url wrongver)" run >"$T/out" 2>"$T/err"; rc=$?
is "$rc" 1 "a firecracker that reports another version is refused"
like "$(cat "$T/err")" "reports \"Firecracker v1.5.0\" to --version, not v1.6.0" "the error says what it reported"
is "$(snap "$T/bin")" "$before" "the previous binaries are intact, no new file left"

# ---- hostile archives: refused, nothing written anywhere
for kind in traversal traversal-first absolute symlink hardlink; do
	rm -f "$T/bin/firecracker" "$T/bin/jailer"
	before=$(snap_all)
	fci -o release_url="$(url $kind)" run >"$T/out" 2>"$T/err"; rc=$?
	is "$rc" 1 "$kind: the archive is refused"
	case $kind in
	traversal*) like "$(cat "$T/err")" "entry with \`..\` in its path" "$kind: the error says why" ;;
	absolute) like "$(cat "$T/err")" "entry with an absolute path \\(/tmp/lia-test-absolute-escape.txt\\)" "$kind: the error says why" ;;
	symlink) like "$(cat "$T/err")" "symbolic link .*evil-link -> ../../../etc/passwd that leaves the archive" "$kind: the error says why" ;;
	hardlink) like "$(cat "$T/err")" "hard link .*evil-hard -> ../../etc/passwd that leaves the archive" "$kind: the error says why" ;;
	esac
	is "$(snap_all)" "$before" "$kind: nothing written (outside the download cache)"
done
test ! -e /tmp/lia-test-absolute-escape.txt; ok $? "no file at the absolute path"
test ! -e "$T/escape.txt" && test ! -e "$(dirname "$T")/escape.txt"; ok $? "no file at the traversal target"

fci -o release_url="$(url nojailer)" run >"$T/out" 2>"$T/err"; rc=$?
like "$rc $(tr '\n' ' ' < "$T/err")" "^1 .*does not contain release-v1.6.0-x86_64/jailer-v1.6.0-x86_64" "a tarball without jailer is refused"
is "$(ls -A "$T/bin" | tr '\n' ' ')" "" "... and leaves no temp file in bin_dir"
fci -o release_url="$BASE/nothing-here/firecracker-v1.6.0-x86_64.tgz" run >"$T/out" 2>"$T/err"; rc=$?
like "$rc $(tr '\n' ' ' < "$T/err")" "^1 .*nothing-here/firecracker-v1.6.0-x86_64.tgz.sha256.txt failed: the server answered HTTP 404" "a missing .sha256.txt is a clear error"
fci -o version='v1.6.0/../x' run >"$T/out" 2>"$T/err"; rc=$?
like "$rc $(cat "$T/err")" "^1 .*not a release name" "a version with a slash is refused"

# ---- the default GitHub URL through the mirror
rm -rf "$T/bin"/* "$T/state/install"
fci -g mirror="$BASE" run >"$T/out" 2>"$T/err"; rc=$?
is "$rc" 0 "the default release URL through mirror = http://127.0.0.1:PORT"
like "$(tail -n1 "$SRVLOG")" "GET /$GH/v1.6.0/firecracker-v1.6.0-x86_64.tgz " "the mirror got the GitHub path"
is "$("$T/bin/jailer" --version)" "Jailer v1.6.0" "jailer installed"

done_testing
