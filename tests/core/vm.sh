#!/bin/bash
# VM records and pipelines with stub plugins: create, start, stop, destroy, list, show,
# rollback, leases under concurrency, gc after kill -9.
. "$(dirname "$0")/../lib.sh"
. "$top_srcdir/tests/stubs/build.sh"
T=$(mk_tmp)
P=$T/plugins
export LIA_PLUGIN_PATH=$P
LOG=$T/calls
stub_build "$P" stub_a stub-a || bail "cannot compile stubs"
stub_build "$P" stub_b stub-b
conf() { mk_conf "$T" "stub-a = { log = \"$LOG\"; lease = \"num\"; lease_max = 30; ledger = true; $1 };" \
	"stub-b = { log = \"$LOG\"; $2 };" >/dev/null; rm -f "$LOG"; }
calls() { tr '\n' ';' < "$LOG" 2>/dev/null; }
V=$T/state/vms

conf "" ""
for bad in "" "UPPER" "has_underscore" "a.b" "../etc" "waytoolongname-waytoolongname-123" "semi;colon"; do
	lia -c "$T/lia.conf" vm create "$bad" 2>/dev/null; rc=$?
	is "$rc" 2 "vm create refuses the name '$bad' with exit 2"
done
test ! -e "$LOG" && test -z "$(ls "$V" 2>/dev/null | grep json)"; ok $? "refused names create nothing and run no hook"

lia -c "$T/lia.conf" -q vm create vm1 --vcpus 3 --mem-mib 256; rc=$?
is "$rc" 0 "vm create succeeds"
is "$(calls)" "stub-a run create vm1;stub-b run create vm1;" "create runs the create hooks in order"
python3 - "$V/vm1.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["state"] == "created" and r["vcpus"] == 3 and r["mem_mib"] == 256, r
assert r["data"]["stub.lease"] == 1, r
kinds = sorted(e["kind"] for e in r["ledger"])
assert kinds == ["lease:num", "stub"], kinds
PY
ok $? "the record holds the settings, the plugin's data and the ledger"
stat -c %a "$V/vm1.json" | grep -qx 600; ok $? "the record is mode 0600"
lia -c "$T/lia.conf" vm create vm1 2>/dev/null; is "$?" 1 "creating an existing VM fails with exit 1"

rm -f "$LOG"
lia -c "$T/lia.conf" -q vm start vm1; rc=$?
is "$rc" 0 "vm start succeeds"
is "$(calls)" "stub-a run net-up vm1;stub-b run net-up vm1;stub-a run boot vm1;stub-b run boot vm1;stub-a run started vm1;stub-b run started vm1;" \
	"start runs net-up, boot, started"
st=$(lia -c "$T/lia.conf" --json vm show vm1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')
is "$st" "running" "vm show --json says running"
out=$(lia -c "$T/lia.conf" vm list)
like "$out" "^vm1 +running" "vm list shows the VM running"

rm -f "$LOG"
lia -c "$T/lia.conf" -q vm stop vm1; rc=$?
is "$rc" 0 "vm stop succeeds"
is "$(calls)" "stub-b run stop vm1;stub-a run stop vm1;stub-b run net-down vm1;stub-a run net-down vm1;" \
	"stop runs stop and net-down with plugins in reverse order"
lia -c "$T/lia.conf" -q vm stop vm1; is "$?" 0 "stopping a stopped VM is a no-op success"

# a failing boot rolls back what this start made, in reverse
conf "" "fail = \"boot\";"
err=$(lia -c "$T/lia.conf" -q vm start vm1 2>&1); rc=$?
is "$rc" 1 "a failing boot: vm start exits 1"
is "$(calls)" "stub-a run net-up vm1;stub-b run net-up vm1;stub-a run boot vm1;stub-b run boot vm1;stub-a undo boot vm1;stub-b undo net-up vm1;stub-a undo net-up vm1;" \
	"a failing boot undoes boot and net-up in reverse"
like "$err" "vm/boot: stub-b: stub-b was told to fail in boot" "the error names the step and the cause"
st=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["state"])' "$V/vm1.json")
is "$st" "stopped" "after a failed start the VM is stopped"

conf "" ""
lia -c "$T/lia.conf" -q vm destroy vm1; rc=$?
is "$rc" 0 "vm destroy succeeds"
is "$(calls)" "stub-b run destroy vm1;stub-a run destroy vm1;" "destroy runs plugins in reverse order"
test ! -e "$V/vm1.json"; ok $? "destroy removes the record"
lia -c "$T/lia.conf" vm destroy vm1 2>/dev/null; is "$?" 1 "destroying a missing VM exits 1"

# a failing create leaves nothing
conf "" "fail = \"create\";"
lia -c "$T/lia.conf" -q vm create vm2 2>/dev/null; rc=$?
is "$rc" 1 "a failing create exits 1"
is "$(calls)" "stub-a run create vm2;stub-b run create vm2;stub-a undo create vm2;" "a failing create undoes what ran"
test ! -e "$V/vm2.json"; ok $? "a failing create leaves no record (lease and ledger gone)"

# 20 concurrent creates: distinct leases, valid records
conf "" ""
pids=()
for i in $(seq 1 20); do "$LIA_CORE" -c "$T/lia.conf" -q vm create "c$i" & pids+=($!); done
fails=0
for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
is "$fails" 0 "20 concurrent vm create processes all succeed"
python3 - "$V" <<'PY'
import json, sys, glob
leases = []
for f in glob.glob(sys.argv[1] + "/c*.json"):
    r = json.load(open(f))
    leases.append(r["data"]["stub.lease"])
assert len(leases) == 20, len(leases)
assert len(set(leases)) == 20, sorted(leases)
assert sorted(leases) == list(range(1, 21)), sorted(leases)
PY
ok $? "20 records are valid JSON with 20 distinct leases 1..20"
# pool exhaustion: 30 is the top; 10 more fit, the 11th fails cleanly
for i in $(seq 21 30); do lia -c "$T/lia.conf" -q vm create "c$i" || break; done
err=$(lia -c "$T/lia.conf" -q vm create c31 2>&1); rc=$?
is "$rc" 1 "an exhausted pool fails the create"
like "$err" "pool 1\\.\\.30 is exhausted" "the exhaustion error says so"
test ! -e "$V/c31.json"; ok $? "the exhausted create leaves no record"

lia -c "$T/lia.conf" -q vm destroy $(seq -f 'c%g' 21 30); rc=$?
is "$rc" 0 "vm destroy takes several VMs"
test -z "$(ls "$V"/c2[1-9].json "$V"/c30.json 2>/dev/null)"; ok $? "... and destroys them all"

# several VMs in one vm start
rm -f "$LOG"
lia -c "$T/lia.conf" -q vm start c2 c3; rc=$?
is "$rc" 0 "vm start takes several VMs"
like "$(calls)" "stub-a run net-up c2;.*stub-b run started c2;stub-a run net-up c3;.*stub-b run started c3;" "... and starts each in turn"
lia -c "$T/lia.conf" -q vm start c4 NOPE 2>/dev/null; is "$?" 2 "a bad name among several refuses them all"
st=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["state"])' "$V/c4.json")
is "$st" "created" "... before anything is started"
lia -c "$T/lia.conf" -q vm stop c2 && lia -c "$T/lia.conf" -q vm stop c3

# kill -9 in the middle of a create: gc undoes it
conf "sleep = \"create\";" ""
"$LIA_CORE" -c "$T/lia.conf" -q vm create victim & vp=$!
wait_for 60 grep -q "stub-a run create victim" "$LOG"
kill -9 "$vp"; wait "$vp" 2>/dev/null
st=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["state"])' "$V/victim.json" 2>/dev/null)
is "$st" "creating" "a killed create leaves a record in state creating"
conf "" ""
lia -c "$T/lia.conf" -q gc; rc=$?
is "$rc" 0 "gc succeeds"
like "$(calls)" "stub-b undo create victim;stub-a undo create victim;" "gc undoes the abandoned create"
test ! -e "$V/victim.json"; ok $? "gc removed the abandoned record and its lease"
like "$(calls)" "stub-a gc gc;stub-b gc gc;" "gc runs every plugin's gc hook"

# kill -9 in the middle of a start: gc undoes the start
conf "sleep = \"boot\";" ""
"$LIA_CORE" -c "$T/lia.conf" -q vm start c1 & vp=$!
wait_for 60 grep -q "stub-a run boot c1" "$LOG"
kill -9 "$vp"; wait "$vp" 2>/dev/null
err=$(lia -c "$T/lia.conf" -q vm start c1 2>&1); rc=$?
is "$rc" 1 "a half-started VM cannot be started before gc"
like "$err" "run \`lia-core gc\`" "... and the message says to run gc"
conf "" ""
lia -c "$T/lia.conf" -q gc
like "$(calls)" "stub-b undo started c1;stub-a undo started c1;stub-b undo boot c1;stub-a undo boot c1;stub-b undo net-up c1;stub-a undo net-up c1;" "gc undoes the abandoned start"
st=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["state"])' "$V/c1.json")
is "$st" "stopped" "after gc the half-started VM is stopped"

# vm list --json
n=$(lia -c "$T/lia.conf" --json vm list | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
is "$n" 20 "vm list --json lists all 20 VMs"
lia -c "$T/lia.conf" vm frobnicate c1 2>/dev/null; is "$?" 2 "an unknown vm command exits 2"
done_testing
