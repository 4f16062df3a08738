#!/bin/bash
# Configuration: lia.conf + conf.d/*.conf beside it; FILE:LINE errors, exit 2, no hook run.
. "$(dirname "$0")/../lib.sh"
. "$top_srcdir/tests/stubs/build.sh"
T=$(mk_tmp)
P=$T/plugins
export LIA_PLUGIN_PATH=$P
LOG=$T/calls
stub_build "$P" stub_a stub-a || bail "cannot compile stubs"
stub_build "$P" stub_b stub-b
C=$T/etc/lia.conf
mkdir -p "$T/etc/conf.d"
base() { printf 'lia = {\n  state_dir = "%s/state";\n};\n' "$T" > "$C"; rm -f "$T"/etc/conf.d/*; rm -f "$LOG"; }
run_check() { out=$(lia -c "$C" config check 2>&1); rc=$?; }
bad() { # bad DESC REGEX
	is "$rc" 2 "$1: exit 2"
	like "$out" "$2" "$1: FILE:LINE message"
}

base
printf 'stub-a = {\n  log = "%s";\n};\n' "$LOG" >> "$C"
run_check
is "$rc" 0 "a good configuration checks clean"
like "$out" "$C: ok" "config check names each file"

base
printf 'stub-a = {\n  log = "%s";\n  colour = "blue";\n};\n' "$LOG" >> "$C"
run_check; bad "unknown key" "^lia-core: $C:6: unknown setting 'colour' for plugin 'stub-a'"
out=$(lia -c "$C" run setup --only kernel 2>&1); rc=$?
is "$rc" 2 "an unknown key stops run setup with exit 2"
test ! -e "$LOG"; ok $? "... before any hook runs"

base
printf 'stub-a = {\n  log = "%s";\n  lease_max = "ten";\n};\n' "$LOG" >> "$C"
run_check; bad "wrong type" "^lia-core: $C:6: stub-a.lease_max must be an integer"

base
printf 'stub-a = {\n  log = 5;\n};\n' >> "$C"
run_check; bad "string given a number" "^lia-core: $C:5: stub-a.log must be a string"

base
printf 'stub-a = {\n};\n' >> "$C"
run_check; bad "missing required setting" "^lia-core: $C:4: plugin 'stub-a' requires setting 'log'"

base
printf 'stub-a = {\n  log = "x"\n  fail = ;\n};\n' >> "$C"
run_check; bad "syntax error" "^lia-core: $C:6: syntax error"

base
printf 'lia = { colour = 1; };\n' > "$C"
run_check; bad "unknown global" "^lia-core: $C:1: unknown setting 'lia.colour'"

base
printf 'stub-a = { log = "%s"; };\n' "$LOG" >> "$C"
printf '\n\nstub-a = { log = "%s"; };\n' "$LOG" > "$T/etc/conf.d/50-again.conf"
run_check; bad "duplicate block across files" "^lia-core: $T/etc/conf.d/50-again.conf:3: duplicate block 'stub-a' \\(first defined at $C:4\\)"

base
printf 'stub-a = { log = "%s";\n hooks = { teleport = { priority = 1; }; }; };\n' "$LOG" >> "$C"
run_check; bad "unknown phase in hooks" "^lia-core: $C:5: 'stub-a.hooks': unknown phase 'teleport'"

base
printf 'stub-a = { log = "%s";\n hooks = { kernel = { on_error = "maybe"; }; }; };\n' "$LOG" >> "$C"
run_check; bad "bad on_error" "^lia-core: $C:5: 'on_error' must be \"fail\" or \"warn\""

base
printf '\nstub-b = { log = "%s"; fail = 3; };\n' "$LOG" > "$T/etc/conf.d/20-b.conf"
run_check; bad "error inside conf.d names that file" "^lia-core: $T/etc/conf.d/20-b.conf:2: stub-b.fail must be a string"

# conf.d files are read in name order, beside the main file; order sets the run order
base
printf 'stub-b = { log = "%s"; };\n' "$LOG" > "$T/etc/conf.d/10-b.conf"
printf 'stub-a = { log = "%s"; };\n' "$LOG" > "$T/etc/conf.d/20-a.conf"
mkdir -p "$T/etc/conf.d/30-dir.conf"   # a directory must not reach libconfig
lia -c "$C" -q run setup --only kernel; rc=$?
is "$rc" 0 "conf.d blocks load their plugins (a directory named *.conf is skipped)"
is "$(tr '\n' ';' < "$LOG")" "stub-b run kernel;stub-a run kernel;" "conf.d files are read in name order"
rmdir "$T/etc/conf.d/30-dir.conf"

# LIA_CONFIG sets the file; -c wins over it
base
printf 'stub-a = { log = "%s"; };\n' "$LOG" >> "$C"
LIA_CONFIG=$C lia -q run setup --only kernel; rc=$?
is "$rc" 0 "LIA_CONFIG names the configuration file"
out=$(LIA_CONFIG=/nonexistent/lia.conf lia -c "$C" config check 2>&1); rc=$?
is "$rc" 0 "-c wins over LIA_CONFIG"
out=$(lia -c "$T/none/lia.conf" config check 2>&1); rc=$?
bad "missing main file" "^lia-core: cannot open configuration file $T/none/lia.conf: No such file"
done_testing
