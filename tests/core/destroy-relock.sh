#!/bin/bash
# vm destroy removes the VM's lock file with its record, under the state lock, while it
# holds that lock (record_delete).  It removed it once more afterwards, outside the state
# lock: by then a new VM of the same name could hold a new lock file there (its create
# runs), and the next command locked yet another file and ran beside that create.
# gdb stops the destroy where that second unlink was (or at its exit, once it is gone).
. "$(dirname "$0")/../lib.sh"
. "$top_srcdir/tests/stubs/build.sh"
command -v gdb >/dev/null || skip_all "gdb is not installed"
T=$(mk_tmp)
export LIA_PLUGIN_PATH=$T/plugins
stub_build "$T/plugins" stub_a stub-a || bail "cannot compile stubs"
mk_conf "$T" "stub-a = { log = \"$T/calls\"; };" >/dev/null
mk_conf "$T/s" "stub-a = { log = \"$T/calls\"; sleep = \"create\"; };" >/dev/null
sed -i "s|state_dir = \"[^\"]*\"|state_dir = \"$T/state\"|" "$T/s/lia.conf"
V=$T/state/vms
"$LIA_CORE" -q -c "$T/lia.conf" vm create x
# while the destroy is stopped after its record_delete: a create of x, which sleeps in its
# create phase holding the VM lock of x
cat >"$T/during.sh" <<SH
"$LIA_CORE" -q -c "$T/s/lia.conf" vm create x >"$T/create2.out" 2>&1 &
echo \$! >"$T/create2.pid"
for i in \$(seq 100); do grep -q 'run create x' "$T/calls" 2>/dev/null && break; sleep 0.1; done
SH
: >"$T/calls"
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 gdb -q -batch -ex 'set breakpoint pending on' -ex 'break record_delete' -ex run -ex finish \
	-ex "shell bash $T/during.sh" -ex delete -ex continue \
	--args "$LIA_CORE" -q -c "$T/lia.conf" vm destroy x >"$T/gdb.out" 2>&1
cleanup kill "$(cat "$T/create2.pid")"
grep -Eq 'Breakpoint 1(\.[0-9]+)?, .*record_delete' "$T/gdb.out"
ok $? "gdb stopped the destroy at its record_delete"
grep -q 'run create x' "$T/calls"
ok $? "the second create of x runs (it sleeps in its create phase)"
test -e "$V/x.lock"
ok $? "its lock file x.lock is still there after the destroy ended"
out=$(timeout 3 "$LIA_CORE" -c "$T/lia.conf" vm destroy x 2>&1)
rc=$?
[ $rc -ne 0 ]
ok $? "a destroy of x while that create runs does not go ahead (rc $rc: $(echo $out | head -c 200))"
done_testing
