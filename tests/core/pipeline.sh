#!/bin/bash
# Pipelines with stub plugins that record their calls: order, --dry-run, rollback, on_error.
. "$(dirname "$0")/../lib.sh"
. "$top_srcdir/tests/stubs/build.sh"
T=$(mk_tmp)
P=$T/plugins
stub_build "$P" stub_a stub-a || bail "cannot compile stubs"
stub_build "$P" stub_b stub-b
stub_build "$P" stub_c stub-c
export LIA_PLUGIN_PATH=$P
LOG=$T/calls
conf() { # conf EXTRA_A EXTRA_B EXTRA_C
	mk_conf "$T" "stub-a = { log = \"$LOG\"; $1 };" "stub-b = { log = \"$LOG\"; $2 };" \
		"stub-c = { log = \"$LOG\"; $3 };" >/dev/null
	rm -f "$LOG"
}
calls() { tr '\n' ';' < "$LOG" 2>/dev/null; }

# 1. order: phases in pipeline order, plugins by config order, priority override first
conf "" "" "hooks = { network = { priority = 10; }; };"
lia -c "$T/lia.conf" -q run setup --only dirs,network; rc=$?
is "$rc" 0 "setup --only dirs,network succeeds"
is "$(calls)" "stub-a run dirs;stub-b run dirs;stub-c run dirs;stub-c run network;stub-a run network;stub-b run network;" \
	"phases in order; config order within a phase; priority 10 runs first"

# 2. --dry-run changes nothing: only plan() is called, and the plan is printed
conf "" "" ""
rm -rf "$T/state" # the run above made it for its host lock
out=$(lia -c "$T/lia.conf" run setup --dry-run --only kernel); rc=$?
is "$rc" 0 "dry run exits 0"
is "$(calls)" "stub-a plan kernel;stub-b plan kernel;stub-c plan kernel;" "dry run calls only plan()"
like "$out" "setup/kernel: stub-b: stub-b acts" "dry run prints phase, plugin and summary"
like "$out" "stub-c would act in kernel" "dry run prints the plugin's notes"
test ! -e "$T/state"; ok $? "dry run created no state directory"
out=$(lia -c "$T/lia.conf" --json run setup --dry-run --only kernel)
echo "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["dry_run"] and len(d["steps"])==3 and d["steps"][0]["notes"]' 2>/dev/null
ok $? "--json dry run is valid JSON with 3 steps and notes"

# 3. a failure in phase k undoes the steps before it, in reverse
conf "" "fail = \"image\";" ""
err=$(lia -c "$T/lia.conf" -q run setup --only install,kernel,image,network 2>&1); rc=$?
is "$rc" 1 "a failing step exits 1"
is "$(calls)" "stub-a run install;stub-b run install;stub-c run install;stub-a run kernel;stub-b run kernel;stub-c run kernel;stub-a run image;stub-b run image;stub-a undo image;stub-c undo kernel;stub-b undo kernel;stub-a undo kernel;stub-c undo install;stub-b undo install;stub-a undo install;" \
	"failure in image undoes every earlier step in reverse, and runs nothing after"
like "$err" "setup/image: stub-b: stub-b was told to fail in image" "the error names the phase, the plugin and the cause"

# 4. on_error = "warn" continues
conf "" "fail = \"image\"; hooks = { image = { on_error = \"warn\"; }; };" ""
err=$(lia -c "$T/lia.conf" -q run setup --only image,network 2>&1); rc=$?
is "$rc" 0 "on_error = warn: the pipeline succeeds"
is "$(calls)" "stub-a run image;stub-b run image;stub-c run image;stub-a run network;stub-b run network;stub-c run network;" \
	"on_error = warn: the later steps still run, nothing is undone"
like "$err" "warning: setup/image: stub-b" "on_error = warn: a warning names the plugin"

# 5. LIA_HOOK_SKIP is not undone
conf "skip = \"kernel\";" "fail = \"image\";" ""
lia -c "$T/lia.conf" -q run setup --only kernel,image 2>/dev/null
is "$(calls)" "stub-a run kernel;stub-b run kernel;stub-c run kernel;stub-a run image;stub-b run image;stub-a undo image;stub-c undo kernel;stub-b undo kernel;" \
	"a hook that skipped is not undone"

# 6. teardown runs undo in reverse phase and plugin order
conf "" "" ""
lia -c "$T/lia.conf" -q run teardown --only kernel,network; rc=$?
is "$rc" 0 "teardown succeeds"
is "$(calls)" "stub-c undo network;stub-b undo network;stub-a undo network;stub-c undo kernel;stub-b undo kernel;stub-a undo kernel;" \
	"teardown: phases reversed, plugins reversed, undo() called"

# 7. a disabled block loads nothing
conf "" "enabled = false;" ""
lia -c "$T/lia.conf" -q run setup --only kernel
is "$(calls)" "stub-a run kernel;stub-c run kernel;" "enabled = false turns the plugin off"

# 8. --only with an unknown phase is a usage error, nothing runs
conf "" "" ""
lia -c "$T/lia.conf" -q run setup --only kernel,bogus 2>/dev/null; rc=$?
is "$rc" 2 "--only with an unknown phase exits 2"
test ! -e "$LOG"; ok $? "... and runs no hook"
lia -c "$T/lia.conf" -q run nosuch 2>/dev/null; is "$?" 2 "an unknown pipeline exits 2"
done_testing
