#!/bin/bash
# The plugin guide's gc table, held: for a VM record left in each state, `lia-core gc` calls
# exactly the hooks the table names, in that order, under the pipeline name it gives, and
# deletes the record only when the ledger ends empty.  Records are written by hand into a
# temp state_dir; the recorder stubs log "NAME WHAT PIPELINE/PHASE VM [force]".
. "$(dirname "$0")/../lib.sh"
. "$top_srcdir/tests/stubs/build.sh"
T=$(mk_tmp)
P=$T/plugins
export LIA_PLUGIN_PATH=$P
LOG=$T/calls
V=$T/state/vms
stub_build "$P" stub_a stub-a || bail "cannot compile stubs"
stub_build "$P" stub_b stub-b
conf() {
	mk_conf "$T" "stub-a = { log = \"$LOG\"; ledger = true; trace = true; $1 };" \
		"stub-b = { log = \"$LOG\"; trace = true; };" >/dev/null
	rm -f "$LOG"
}
calls() { tr '\n' ';' < "$LOG" 2>/dev/null; }
# vm calls only (every plugin's gc hook runs after them: checked once below)
vm_calls() { grep -v ' gc gc/gc$' "$LOG" 2>/dev/null | tr '\n' ';'; }
conf ""
mkdir -p "$V"
self_start=$(cut -d' ' -f22 /proc/$$/stat)

# rec NAME STATE [LEDGER_JSON] [OWNER_JSON]: a record as a dead lia-core leaves it
rec() {
	local ledger=${3:-"[{\"kind\": \"stub\", \"id\": \"$1\", \"plugin\": \"stub-a\"}]"}
	local owner=${4:-'{"pid": 0, "start": 0}'}
	cat > "$V/$1.json" <<EOF
{"name": "$1", "state": "$2", "vcpus": 1, "mem_mib": 128, "volume_mib": 8, "data": {},
 "ledger": $ledger, "owner": $owner}
EOF
	chmod 600 "$V/$1.json"
}
state_of() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["state"])' "$V/$1.json" 2>/dev/null; }
gc() { lia -c "$T/lia.conf" -q gc 2>"$T/gc.err"; }

# --- creating and failed: the undo of every create hook, in reverse, pipeline "gc"
for st in creating failed; do
	conf ""
	rec "v-$st" "$st"
	gc; rc=$?
	is "$rc" 0 "gc of a VM left $st exits 0"
	is "$(vm_calls)" "stub-b undo gc/create v-$st force;stub-a undo gc/create v-$st force;" \
		"$st: gc calls the undo of every create hook, in reverse, under pipeline gc, forced"
	test ! -e "$V/v-$st.json"; ok $? "$st: the ledger ended empty, so the record is gone"
done
like "$(calls)" "stub-a gc gc/gc;stub-b gc gc/gc;$" "then every plugin's gc hook runs, pipeline gc, in priority order"

# --- starting: the undo of started, boot, net-up, in reverse, pipeline "gc"; state stopped
conf ""
rec v-starting starting
gc; rc=$?
is "$rc" 0 "gc of a VM left starting exits 0"
is "$(vm_calls)" "stub-b undo gc/started v-starting force;stub-a undo gc/started v-starting force;stub-b undo gc/boot v-starting force;stub-a undo gc/boot v-starting force;stub-b undo gc/net-up v-starting force;stub-a undo gc/net-up v-starting force;" \
	"starting: gc undoes started, boot and net-up in reverse, under pipeline gc"
is "$(state_of v-starting)" stopped "starting: the VM is stopped afterwards, its record kept"

# --- stopping, and running whose process is dead: the stop pipeline, forced, pipeline "vm"
conf ""
rec v-stopping stopping
# running, with a pid entry whose start time is not the process's: the VMM is dead
rec v-dead running "[{\"kind\": \"pid\", \"id\": \"$$:1\", \"plugin\": \"stub-a\"}]"
gc; rc=$?
is "$rc" 0 "gc of a stopping VM and of a running VM with a dead process exits 0"
for v in v-dead v-stopping; do
	got=$(grep " $v" "$LOG" | tr '\n' ';')
	is "$got" "stub-b run vm/stop $v force;stub-a run vm/stop $v force;stub-b run vm/net-down $v force;stub-a run vm/net-down $v force;" \
		"$v: gc runs the stop pipeline (stop, net-down, reversed), forced, under pipeline vm"
	is "$(state_of $v)" stopped "$v: stopped afterwards"
done

# running with a live process: left alone
conf ""
rec v-live running "[{\"kind\": \"pid\", \"id\": \"$$:$self_start\", \"plugin\": \"stub-a\"}]"
gc
is "$(vm_calls)" "" "a running VM whose process is alive is left alone"
is "$(state_of v-live)" running "... and stays running"
rm -f "$V/v-live.json"

# a record whose recorded owner (pid + start time) is alive is left alone
conf ""
rec v-owned creating "" "{\"pid\": $$, \"start\": $self_start}"
gc
is "$(vm_calls)" "" "a VM whose owner lia-core is alive is left alone"
is "$(state_of v-owned)" creating "... and keeps its state"
rm -f "$V/v-owned.json"

# --- destroying: the destroy pipeline's run (reversed), no rollback, pipeline "gc"
conf ""
rec v-destroying destroying
gc; rc=$?
is "$rc" 0 "gc of a VM left destroying exits 0"
is "$(vm_calls)" "stub-b run gc/destroy v-destroying force;stub-a run gc/destroy v-destroying force;" \
	"destroying: gc finishes the destroy (run, reversed), under pipeline gc"
test ! -e "$V/v-destroying.json"; ok $? "destroying: the ledger ended empty, so the record is gone"

# --- a ledger that does not end empty keeps the record; gc fails and retries next time
conf "fail_undo = \"create\";"
rec v-stuck creating
gc; rc=$?
is "$rc" 1 "an undo that fails: gc exits 1"
test -e "$V/v-stuck.json"; ok $? "... the record stays (its ledger still holds the object)"
is "$(state_of v-stuck)" creating "... in the state it was left in"
like "$(cat "$T/gc.err")" "gc/create: stub-a: undo failed" "... and the failure names pipeline, phase and plugin"
conf ""
gc; rc=$?
is "$rc" 0 "the next gc retries"
is "$(vm_calls)" "stub-b undo gc/create v-stuck force;stub-a undo gc/create v-stuck force;" "... with the same undo calls"
test ! -e "$V/v-stuck.json"; ok $? "... and removes the record once the ledger is empty"

# the same for a VM left starting: a failed undo keeps "starting", so the next gc retries
conf "fail_undo = \"boot\";"
rec v-stuck2 starting
gc; rc=$?
is "$rc" 1 "starting, an undo that fails: gc exits 1"
is "$(state_of v-stuck2)" starting "... and the record stays starting, not stopped with objects left"
conf ""
gc; rc=$?
is "$rc" 0 "the next gc retries the undo"
is "$(state_of v-stuck2)" stopped "... and then the VM is stopped"

conf ""
rec v-keep destroying "[{\"kind\": \"nobody\", \"id\": \"x\", \"plugin\": \"gone\"}]"
gc; rc=$?
is "$rc" 1 "destroying with an object no plugin removes: gc exits 1"
is "$(state_of v-keep)" destroying "... and the record stays, still destroying"
done_testing
