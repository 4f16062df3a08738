#!/bin/bash
# The dry-run contract of the plugin guide, held for every pipeline: with --dry-run the core
# calls each hook's plan() and never its run() or undo(), changes no record, and takes no
# lease; --dry-run works before or after the verb.
. "$(dirname "$0")/../lib.sh"
. "$top_srcdir/tests/stubs/build.sh"
T=$(mk_tmp)
P=$T/plugins
export LIA_PLUGIN_PATH=$P
LOG=$T/calls
V=$T/state/vms
stub_build "$P" stub_a stub-a || bail "cannot compile stubs"
stub_build "$P" stub_b stub-b
mk_conf "$T" "stub-a = { log = \"$LOG\"; ledger = true; trace = true; leases = [\"ip4\"]; };" \
	"stub-b = { log = \"$LOG\"; trace = true; };" >/dev/null
L=("$LIA_CORE" -c "$T/lia.conf" -q)
# only_plans WHAT: the log holds plan lines only (and at least one)
only_plans() {
	local bad
	bad=$(grep -Ev '^stub-[ab] (plan|peek [a-z0-9.]+=[0-9]+) ' "$LOG" 2>/dev/null)
	if [ -s "$LOG" ] && [ -z "$bad" ]; then ok 0 "$1: only plan() was called"; else ok 1 "$1: only plan() was called"; diag "log: $(tr '\n' ';' < "$LOG" 2>/dev/null)"; fi
}
snap() { (cd "$T/state" 2>/dev/null && find . -type f -newer "$T/mark" | sort; find . -type f | sort | xargs -r md5sum) 2>/dev/null; }

rm -f "$LOG"
"${L[@]}" run setup --dry-run >/dev/null; rc=$?
is "$rc" 0 "run setup --dry-run exits 0"
only_plans "run setup --dry-run"
is "$(grep -c ' plan setup/' "$LOG")" 16 "... plan() of all 8 setup phases of both plugins"
test ! -e "$T/state"; ok $? "... and no state_dir was made"

rm -f "$LOG"
"${L[@]}" run setup --only verify --dry-run >/dev/null
is "$(tr '\n' ';' < "$LOG")" "stub-a plan setup/verify;stub-b plan setup/verify;" "verify --dry-run: only plan() of verify"

"${L[@]}" run setup >/dev/null || bail "setup failed"
rm -f "$LOG"
"${L[@]}" run teardown --dry-run >/dev/null; rc=$?
is "$rc" 0 "run teardown --dry-run exits 0"
test ! -s "$LOG"; ok $? "run teardown --dry-run calls no undo (and no plan: plans describe run)"

rm -f "$LOG"
"${L[@]}" vm create d1 --dry-run >"$T/out"; rc=$?
is "$rc" 0 "vm create --dry-run exits 0"
only_plans "vm create --dry-run"
like "$(tr '\n' ';' < "$LOG")" "stub-a plan vm/create;stub-a peek ip4=1 vm/create;stub-b plan vm/create;" "... plan() of both create hooks, the lease peeked"
test ! -e "$V/d1.json"; ok $? "... no record was written"

"${L[@]}" vm create d1 || bail "vm create failed"
grep -q "stub-a take ip4=1 " "$LOG"; ok $? "the real create takes the value the dry run peeked (nothing was taken)"
touch "$T/mark"; sleep 0.01
before=$(snap)
for verb in start stop destroy; do
	[ "$verb" = stop ] && { "${L[@]}" vm start d1 || bail "vm start failed"; before=$(snap); }
	rm -f "$LOG"
	"${L[@]}" vm "$verb" d1 --dry-run >/dev/null; rc=$?
	is "$rc" 0 "vm $verb --dry-run exits 0"
	only_plans "vm $verb --dry-run"
	is "$(snap)" "$before" "vm $verb --dry-run changed no file in state_dir"
done
like "$(tr '\n' ';' < "$LOG")" "stub-b plan vm/destroy d1;stub-a plan vm/destroy d1;" "vm destroy --dry-run plans destroy in reverse order"

# gc with a VM left half created: the dry run plans gc and reconciles nothing
python3 - "$V/d1.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); r["state"] = "creating"; r["owner"] = {"pid": 0, "start": 0}
json.dump(r, open(sys.argv[1], "w"))
PY
before=$(md5sum < "$V/d1.json")
for form in "gc --dry-run" "--dry-run gc"; do
	rm -f "$LOG"
	# shellcheck disable=SC2086
	"$LIA_CORE" -c "$T/lia.conf" -q $form >/dev/null; rc=$?
	is "$rc" 0 "lia-core $form exits 0"
	is "$(tr '\n' ';' < "$LOG")" "stub-a plan gc/gc;stub-b plan gc/gc;" "lia-core $form: plan() of the gc hooks, no undo of the stuck VM"
	is "$(md5sum < "$V/d1.json")" "$before" "lia-core $form leaves the stuck record as it was"
done
# global options after the verb
rm -f "$LOG"
"$LIA_CORE" -c "$T/lia.conf" vm destroy d1 --dry-run -q >/dev/null; rc=$?
is "$rc" 0 "-q after the verb is accepted with --dry-run"
only_plans "vm destroy d1 --dry-run -q"
done_testing
