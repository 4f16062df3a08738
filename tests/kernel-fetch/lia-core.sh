#!/bin/bash
# kernel-fetch and fc-driver's install phase through the real lia-core:
# `lia-core run setup --only install,kernel` against a mirror on 127.0.0.1.
# Runs inside a network namespace made here (the server too), as the team rules ask.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/download/common.sh"
need_root
need_plugin fc-driver
[ -x "$LIA_CORE" ] || skip_all "lia-core is not built ($LIA_CORE)"
: "${LIA_PLUGIN_PATH:=$top_builddir/plugins/kernel-fetch/.libs:$top_builddir/plugins/fc-driver/.libs}"
# tolerate "a: b" (spaces after the colons) in the path handed down by make
LIA_PLUGIN_PATH=${LIA_PLUGIN_PATH// /}
export LIA_PLUGIN_PATH
MK="$top_srcdir/tests/kernel-fetch/mkkernel.py"
MKT="$top_srcdir/tests/fc-install/mktarball.py"

T=$(mk_tmp)
NS=$(mk_netns)
SRV_WRAP=(ip netns exec "$NS")
KPATH=spec.ccfc.min/img/quickstart_guide/x86_64/kernels
GH=firecracker-microvm/firecracker/releases/download/v1.6.0
mkdir -p "$T/root/$KPATH" "$T/root/$GH" "$T/root/bad"
python3 "$MK" elf "$T/root/$KPATH/vmlinux.bin" mirror
python3 "$MK" bzimage "$T/root/bad/bzImage"
python3 "$MKT" "$T/root/$GH/firecracker-v1.6.0-x86_64.tgz" v1.6.0
KSUM=$(sha256_of "$T/root/$KPATH/vmlinux.bin")
start_server "$T/srv" "$T/root"

# conf WITH_FC KERNEL_BLOCK_BODY: write $T/lia.conf (mirror = the test server)
conf() {
	{
		echo "lia = { state_dir = \"$T/state\"; plugin_dir = \"$T/none\"; mirror = \"$BASE\";"
		echo "        download_retries = 0; download_backoff_ms = 10; };"
		echo "kernel-fetch = { $2 };"
		[ "$1" = 1 ] && echo "fc-driver = { bin_dir = \"$T/bin\"; };"
	} > "$T/lia.conf"
}
lc() { in_ns "$NS" "$LIA_CORE" -c "$T/lia.conf" "$@"; }
K="$T/state/kernel/vmlinux"

HAVE_FC=0
conf 1 ""
lc plugins > "$T/plugins" 2>&1 && grep -q 'fc-driver' "$T/plugins" && HAVE_FC=1
[ "$HAVE_FC" = 1 ] || { diag "fc-driver not loadable: $(head -c 300 "$T/plugins")"; conf 0 ""; }

lc run setup --only install,kernel --dry-run > "$T/out" 2>&1; rc=$?
is "$rc" 0 "dry run succeeds"
like "$(cat "$T/out")" "download https://s3.amazonaws.com/$KPATH/vmlinux.bin" "dry run says it would download the default kernel"
is "$(requests)" 0 "dry run makes no request"
test ! -e "$K"; ok $? "dry run changes nothing"

lc run setup --only install,kernel > "$T/out" 2>&1; rc=$?
is "$rc" 0 "setup --only install,kernel against the mirror succeeds"
[ "$rc" = 0 ] || diag "$(cat "$T/out")"
is "$(sha256_of "$K" 2>/dev/null)" "$KSUM" "the default kernel came from the mirror"
like "$(cat "$SRVLOG")" "GET /$KPATH/vmlinux.bin " "the mirror got the kernel's original path"
like "$(cat "$T/out")" "trusting it on first use" "trust on first use is announced"
like "$(cat "$T/state/host/kernel-fetch.json" 2>/dev/null)" "$KSUM" "the sha256 is recorded in the plugin's memo"
if [ "$HAVE_FC" = 1 ]; then
	is "$("$T/bin/firecracker" --version 2>&1)" "Firecracker v1.6.0" "firecracker installed from the mirror"
	like "$(cat "$SRVLOG")" "GET /$GH/firecracker-v1.6.0-x86_64.tgz.sha256.txt " "the published .sha256.txt was fetched from the mirror"
else
	skip "fc-driver plugin is not loadable here"
	skip "fc-driver plugin is not loadable here"
fi

n=$(requests)
lc run setup --only install,kernel > "$T/out" 2>&1; rc=$?
is "$rc" 0 "re-run succeeds"
is "$(requests)" "$n" "re-run makes no request (server log unchanged)"

# a bzImage is refused in plain words and does not replace the good kernel
conf "$HAVE_FC" "url = \"$BASE/bad/bzImage\";"
lc run setup --only kernel > "$T/out" 2>&1; rc=$?
is "$rc" 1 "a bzImage as kernel fails"
like "$(cat "$T/out")" "is a compressed bzImage \\(vmlinuz\\); Firecracker 1.6 on x86_64 needs the uncompressed ELF vmlinux" "plain-words error"
is "$(sha256_of "$K")" "$KSUM" "the previous kernel is untouched"

# teardown removes the kernel and its record
conf "$HAVE_FC" ""
lc run teardown --only kernel > "$T/out" 2>&1; rc=$?
is "$rc" 0 "teardown --only kernel succeeds"
test ! -e "$K"; ok $? "teardown removed state_dir/kernel/vmlinux"
grep -q sha256 "$T/state/host/kernel-fetch.json" 2>/dev/null; is "$?" 1 "teardown forgot the record"

# an unknown setting in the block is a configuration error (exit 2)
conf 0 "sha265 = \"x\";"
lc run setup --only kernel > "$T/out" 2>&1; rc=$?
is "$rc" 2 "a misspelled kernel-fetch setting is a configuration error"
like "$(cat "$T/out")" "sha265" "... naming the setting"

done_testing
