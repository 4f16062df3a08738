#!/bin/bash
# Without root, state is not "empty" (issue 10 #10): vm list and vm show of an ordinary
# user say "permission denied: ... (run as root)" and exit 1, instead of an empty table
# (exit 0) and "no VM named".
. "$(dirname "$0")/../lib.sh"
. "$top_srcdir/tests/stubs/build.sh"
need_root
command -v setpriv >/dev/null || skip_all "setpriv is not installed"
T=$(mk_tmp)
chmod 755 "$T"
P=$T/plugins
export LIA_PLUGIN_PATH=$P
stub_build "$P" stub_a stub-a || bail "cannot compile stubs"
mk_conf "$T" "stub-a = { log = \"$T/calls\"; };" >/dev/null
chmod 644 "$T/lia.conf"; chmod -R a+rX "$P" "$T/conf.d"
"$LIA_CORE" -c "$T/lia.conf" -q vm create v1 || bail "vm create"
as_user() { setpriv --reuid=65534 --regid=65534 --clear-groups "$LIA_CORE" -c "$T/lia.conf" "$@"; }
# the user must be able to reach the binary
setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$LIA_CORE" || skip_all "nobody cannot run $LIA_CORE"
out=$(as_user vm list 2>&1); rc=$?
is "$rc" 1 "vm list as an ordinary user exits 1"
like "$out" "permission denied: .*\(run as root\)" "saying permission denied (run as root)"
out=$(as_user vm show v1 2>&1); rc=$?
is "$rc" 1 "vm show as an ordinary user exits 1"
like "$out" "permission denied: .*v1.*\(run as root\)" "saying permission denied (run as root), not 'no VM named'"
out=$(as_user vm destroy v1 2>&1); rc=$?
is "$rc" 1 "vm destroy as an ordinary user exits 1"
like "$out" "permission denied: .*\(run as root\)" "saying permission denied"
test -e "$T/state/vms/v1.json"; ok $? "the VM is untouched"
done_testing
