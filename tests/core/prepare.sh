#!/bin/bash
# ABI 2.1 with stub plugins: prepare() before a start (one save of the prepared ledger
# entries with "starting"; the core drops the entries of hooks that never ran, failed or
# were refused), the kill point after that save, flush() once per command, ledger_del
# without a save of its own, and an ABI 2.0 plugin (no prepare, no flush) beside them.
. "$(dirname "$0")/../lib.sh"
. "$top_srcdir/tests/stubs/build.sh"
command -v jq >/dev/null || skip_all "jq is not installed"
command -v strace >/dev/null || skip_all "strace is not installed (it counts the record saves)"
T=$(mk_tmp)
P=$T/plugins
stub_build "$P" stub_a stub-a || bail "cannot compile stubs"
stub_build "$P" stub_b stub-b
stub_build "$P" stub_old stub-old "" -DSTUB_ABI20
stub_build "$T/check" stub_a stub-a "" -DSTUB_DESCRIPTION='"a stub"'
stub_build "$T/check" stub_old stub-old "" -DSTUB_ABI20 -DSTUB_DESCRIPTION='"a stub"'
export LIA_PLUGIN_PATH=$P
LOG=$T/calls
conf() { # conf EXTRA_A EXTRA_B [EXTRA_OLD]
	mk_conf "$T" "stub-a = { log = \"$LOG\"; $1 };" "stub-b = { log = \"$LOG\"; $2 };" \
		"stub-old = { log = \"$LOG\"; ${3:-} };" >/dev/null
	rm -f "$LOG"
}
calls() { tr '\n' ';' <"$LOG" 2>/dev/null; }
L() { lia -c "$T/lia.conf" "$@"; }
rec() { cat "$T/state/vms/$1.json"; }
prep_entries() { jq -r '[.ledger[] | select(.kind == "stub-prep") | .id] | sort | join(" ")' "$T/state/vms/$1.json"; }
state_of() { jq -r .state "$T/state/vms/$1.json"; }
# renames onto VM NAME's record (saves) made by lia-core ARGS...
saves() {
	local vm=$1; shift
	# (LeakSanitizer cannot run under ptrace)
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		strace -f -qq -e trace=rename,renameat,renameat2 -o "$T/strace" "$LIA_CORE" -c "$T/lia.conf" "$@" >/dev/null 2>&1
	grep -Ec "[/\"]$vm\.json\"" "$T/strace"
}

# an ABI 2.0 plugin loads beside 2.1 ones, and runs
conf "" "" ""
out=$(L --json plugins 2>&1)
is "$(echo "$out" | jq -r '.[] | select(.name == "stub-old") | .abi')" 2.0 "an ABI 2.0 plugin loads (plugins says ABI 2.0)"
is "$(echo "$out" | jq -r '.[] | select(.name == "stub-a") | .abi')" 2.1 "... beside an ABI 2.1 plugin"
is "$(echo "$out" | jq -r '[.[] | select(.name == "stub-a") | .prepare, .flush] | join(" ")')" "true true" \
	"plugins --json says which plugin has prepare and flush"
is "$(echo "$out" | jq -r '[.[] | select(.name == "stub-old") | .prepare, .flush] | join(" ")')" "false false" \
	"... and which has neither"
out=$(lia plugins --check "$T/check/stub-old.so" 2>&1); rc=$?
is "$rc" 0 "plugins --check accepts the ABI 2.0 plugin" || diag "$out"
out=$(lia plugins --check "$T/check/stub-a.so" 2>&1); rc=$?
is "$rc" 0 "plugins --check accepts the ABI 2.1 plugin" || diag "$out"
like "$out" "prepare, flush" "... and names its prepare and flush"

L -q vm create v; ok $? "vm create v"
conf "prepare = [ \"net-up\", \"boot\" ];" "" ""
n=$(saves v -q vm start v)
is "$(state_of v)" running "vm start v with two prepared entries"
is "$n" 2 "the start saves the record twice: starting (with the prepared entries), running"
is "$(calls)" "stub-a prepare net-up v;stub-a prepare boot v;stub-a run net-up v;stub-b run net-up v;stub-old run net-up v;stub-a run boot v;stub-b run boot v;stub-old run boot v;stub-a run started v;stub-b run started v;stub-old run started v;" \
	"every prepare() before any hook; the ABI 2.0 plugin's hooks run as before"
is "$(prep_entries v)" "boot:v net-up:v" "after the start the ledger holds what run() made, once each"
conf "prepare = [ \"net-up\", \"boot\" ]; log_flush = true;" "log_flush = true;" "log_flush = true;"
L -q vm stop v; rc=$?
is "$rc" 0 "vm stop v"
is "$(calls)" "stub-old run stop v;stub-b run stop v;stub-a run stop v;stub-old run net-down v;stub-b run net-down v;stub-a run net-down v;stub-a flush;stub-b flush;" \
	"flush() once after the pipeline, for the 2.1 plugins only"

# a later hook fails: the prepared entries of hooks that failed or never ran are dropped
conf "prepare = [ \"started\" ];" "prepare = [ \"boot\" ]; fail = \"boot\";" ""
out=$(L -q vm start v 2>&1); rc=$?
is "$rc" 1 "a start whose boot fails exits 1"
like "$out" "stub-b was told to fail in boot" "... naming the failure"
is "$(state_of v)" stopped "the VM is stopped"
is "$(prep_entries v)" "" "no prepared entry is left (stub-b's boot failed, stub-a's started never ran)"
like "$(calls)" "^stub-b prepare boot v;stub-a prepare started v;" "both were prepared, in phase order"

# a prepare() that fails: no hook runs, nothing is left
conf "prepare = [ \"net-up\" ];" "prepare_fail = \"boot\";" ""
out=$(L -q vm start v 2>&1); rc=$?
is "$rc" 1 "a start whose prepare fails exits 1"
like "$out" "vm/boot: stub-b: stub-b was told to fail the prepare of boot" "... naming the plugin and the phase"
is "$(calls)" "stub-a prepare net-up v;stub-b prepare boot v;" "no hook ran"
is "$(prep_entries v)" "" "the entry stub-a prepared is dropped"
is "$(state_of v)" stopped "the VM is stopped"
is "$(jq -r .last_error "$T/state/vms/v.json")" "start failed; see the messages of that run" "with last_error"

# an entry that was there before prepare() is never dropped by the core
conf "prepare = [ \"net-up\" ];" "fail = \"net-up\"; hooks = { net-up = { priority = 10; }; };" ""
jq '.ledger += [{"kind": "stub-prep", "id": "net-up:v", "plugin": "stub-a"}]' "$T/state/vms/v.json" >"$T/v.json" &&
	cat "$T/v.json" >"$T/state/vms/v.json"
out=$(L -q vm start v 2>&1); rc=$?
is "$rc" 1 "a start that fails in net-up exits 1"
is "$(prep_entries v)" "net-up:v" "an entry the ledger held before the start stays (stub-a's net-up never ran)"
conf "" "" ""
jq '.ledger |= map(select(.kind != "stub-prep"))' "$T/state/vms/v.json" >"$T/v.json" && cat "$T/v.json" >"$T/state/vms/v.json"

# killed after the one save of the prepared entries: gc undoes the start, nothing leaks
conf "prepare = [ \"net-up\", \"boot\" ];" "" ""
LIA_TEST_CORE_STALL="$T/stall" LIA_TEST_CORE_STALL_AT=prepared "$LIA_CORE" -c "$T/lia.conf" -q vm start v >"$T/stall.out" 2>&1 &
pid=$!
wait_for 60 test -e "$T/stall"
test -e "$T/stall"; ok $? "vm start reached the kill point 'prepared'" || diag "$(cat "$T/stall.out")"
is "$(state_of v) $(prep_entries v)" "starting boot:v net-up:v" "the record on disk: starting, with both prepared entries"
is "$(calls)" "stub-a prepare net-up v;stub-a prepare boot v;" "no hook ran before the kill point"
kill -9 "$pid"; wait "$pid" 2>/dev/null
out=$(L gc 2>&1); rc=$?
is "$rc" 0 "gc succeeds" || diag "$out"
is "$(state_of v)" stopped "gc undid the start: stopped"
is "$(prep_entries v)" "" "no prepared entry is left"
jq -e . "$T/state/vms/v.json" >/dev/null; ok $? "the record is valid JSON"
is "$(ls "$T/state/vms" | grep -c '\.tmp\.')" 0 "no temp file is left"

# a batch: every VM's prepare(), one group commit, then the pipelines
L -q vm create w; L -q vm create x
conf "prepare = [ \"net-up\" ];" "" ""
LIA_TEST_CORE_STALL="$T/stall2" LIA_TEST_CORE_STALL_AT=batch-starting "$LIA_CORE" -c "$T/lia.conf" -q vm start v w x >"$T/stall2.out" 2>&1 &
pid=$!
wait_for 60 test -e "$T/stall2"
test -e "$T/stall2"; ok $? "a batch start reached the kill point 'batch-starting'" || diag "$(cat "$T/stall2.out")"
is "$(for v in v w x; do echo "$(state_of $v):$(prep_entries $v)"; done | tr '\n' ' ')" "starting:net-up:v starting:net-up:w starting:net-up:x " \
	"every record says starting and holds its prepared entry (one group commit)"
kill -9 "$pid"; wait "$pid" 2>/dev/null
out=$(L gc 2>&1); rc=$?
is "$rc" 0 "gc succeeds" || diag "$out"
is "$(for v in v w x; do echo "$(state_of $v):$(prep_entries $v)"; done | tr '\n' ' ')" "stopped: stopped: stopped: " \
	"gc: every VM stopped, no prepared entry left"
conf "prepare = [ \"net-up\" ]; log_flush = true;" "fail = \"started\"; log_flush = true;" ""
out=$(L -q vm start v w x 2>&1); rc=$?
is "$rc" 1 "a batch start whose started hook fails exits 1"
is "$(for v in v w x; do echo "$(state_of $v):$(prep_entries $v)"; done | tr '\n' ' ')" "stopped: stopped: stopped: " \
	"every VM stopped, rolled back, no entry left"
is "$(grep -c flush "$LOG")" 2 "flush() once for the batch (per plugin)"

# ledger_del saves nothing by itself
conf "prepare = [ \"net-up\" ];" "" ""
L -q vm start v || bail "vm start v"
is "$(prep_entries v)" "net-up:v" "started again"
conf "" "" ""
jq '.ledger += [{"kind": "stub", "id": "v", "plugin": "stub-a"}]' "$T/state/vms/v.json" >"$T/v.json" &&
	cat "$T/v.json" >"$T/state/vms/v.json"
conf "ledger = true;" "" ""
n=$(saves v -q vm destroy v)
test ! -e "$T/state/vms/v.json"; ok $? "vm destroy v (running) removes the record"
is "$n" 3 "it saves stopping, stopped, destroying; no save for the ledger_del of net-down and destroy"
done_testing
