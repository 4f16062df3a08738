#!/bin/bash
# fc-driver never writes through a link planted in state_dir/logs (issue 10 #2): symbolic
# links (and a hard link) in place of a VM's console, Firecracker log and metrics files
# are replaced by files of lia's own; their targets keep their content.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-fc.sh"
[ -x "$FCDOUBLE" ] || skip_all "fcdouble is not built"
command -v mkfs.ext4 >/dev/null || skip_all "mkfs.ext4 is not installed"
need_root

fc_env "$FCDOUBLE"
mkdir -p "$S/logs" "$T/victims"
for f in console fc metrics hard; do echo "precious $f" > "$T/victims/$f"; done
ln -s "$T/victims/console" "$S/logs/v1.console.log"
ln -s "$T/victims/fc" "$S/logs/v1.fc.log"
ln "$T/victims/hard" "$S/logs/v1.metrics"   # a hard link: same filesystem ($T)

"${L[@]}" -q vm create v1 --vcpus 1 --mem-mib 128; ok $? "vm create"
out=$("${L[@]}" vm start v1 2>&1); rc=$?
is "$rc" 0 "vm start succeeds with links planted in logs/" || diag "$out"
like "$out" "not a plain file of lia's" "and warns about them"
for f in console fc hard; do
	is "$(cat "$T/victims/$f")" "precious $f" "the target of the planted $f link is untouched"
done
for f in v1.console.log v1.fc.log v1.metrics; do
	test -f "$S/logs/$f" && test ! -L "$S/logs/$f" && [ "$(stat -c %h "$S/logs/$f")" = 1 ]
	ok $? "logs/$f is now a plain file of its own"
done
like "$(cat "$S/logs/v1.console.log")" 'LIA-GUEST: up' "the console log is written there"
out=$("${L[@]}" vm stop v1 2>&1); rc=$?
is "$rc" 0 "vm stop" || diag "$out"

# a link planted between runs is replaced again, and its target is not read into errors
ln -sf "$T/victims/console" "$S/logs/v1.console.log"
out=$("${L[@]}" vm start v1 2>&1); rc=$?
is "$rc" 0 "a second start replaces a new link" || diag "$out"
is "$(cat "$T/victims/console")" "precious console" "and leaves its target alone"
"${L[@]}" -q vm stop v1 >/dev/null 2>&1
out=$("${L[@]}" vm destroy v1 2>&1); rc=$?
is "$rc" 0 "vm destroy" || diag "$out"
for f in console fc hard; do
	test -e "$T/victims/$f"; ok $? "destroy leaves the $f target in place"
done
done_testing
