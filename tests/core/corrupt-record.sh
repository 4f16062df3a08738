#!/bin/bash
# A corrupt VM record (issue 10 #9): what it may hold counts as taken (its lease went
# to the next VM); gc exits non-zero naming the file and the parse error; vm show names
# the file instead of "no VM named"; a record that is not a JSON object is refused too.
. "$(dirname "$0")/../lib.sh"
. "$top_srcdir/tests/stubs/build.sh"
T=$(mk_tmp)
P=$T/plugins
export LIA_PLUGIN_PATH=$P
stub_build "$P" stub_a stub-a || bail "cannot compile stubs"
mk_conf "$T" "stub-a = { log = \"$T/calls\"; lease = \"num\"; lease_max = 30; };" >/dev/null
V=$T/state/vms
L() { "$LIA_CORE" -c "$T/lia.conf" "$@"; }

L -q vm create a; ok $? "vm create a (takes lease 1)"
# cut mid-write, put in place by rename (a record cut in place, same inode, is seen by
# the next vm list or gc: see tests/core/state-index.sh and core/state_index.h)
head -c 40 "$V/a.json" > "$T/cut" && mv "$T/cut" "$V/a.json"
out=$(L -q vm create b 2>&1); rc=$?
[ "$rc" -ne 0 ]; ok $? "a new VM gets no lease while a corrupt record may hold any"
like "$out" "$V/a.json:[0-9]+: corrupt VM record" "naming the corrupt file and line"
test ! -e "$V/b.json"; ok $? "and leaves no record"
out=$(L vm show a 2>&1); rc=$?
is "$rc" 1 "vm show of the corrupt record fails"
like "$out" "$V/a.json:[0-9]+: corrupt VM record: " "vm show names the file and the parse error"
like "$out" "record of VM 'a' is corrupt" "and does not say there is no such VM"
out=$(L gc 2>&1); rc=$?
[ "$rc" -ne 0 ]; ok $? "gc exits non-zero while a corrupt record exists"
like "$out" "$V/a.json:[0-9]+: corrupt VM record" "gc names the file and the parse error"

echo '[1, 2, 3]' > "$V/a.json"
out=$(L vm show a 2>&1); rc=$?
is "$rc" 1 "a record that is a JSON array is refused by vm show"
like "$out" "$V/a.json: corrupt VM record: not a JSON object" "saying it is not an object"
out=$(L -q vm destroy a 2>&1); rc=$?
[ "$rc" -ne 0 ]; ok $? "and by vm destroy"
out=$(L -q vm start a 2>&1); rc=$?
[ "$rc" -ne 0 ]; ok $? "and by vm start"
out=$(L gc 2>&1); rc=$?
[ "$rc" -ne 0 ]; ok $? "and gc still fails"

rm -f "$V/a.json"
L -q vm create b; ok $? "once the record is removed, VMs get leases again"
done_testing
