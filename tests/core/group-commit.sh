#!/bin/bash
# The group commit of a batch (core/state_group.c), as system calls: for each group, every
# VM's temp file is written, then one syncfs makes them durable (no writeback started file
# by file with sync_file_range: syncfs submits them together), then the renames, then one
# fsync of vms/.  A rename never comes before the syncfs of its group (the record on disk
# is always a whole, durable one).  The temp files are made in vms/.tmp, so that vms/
# changes only by the renames (under the state lock, with their index lines) and the index
# stays stamped current.  A link planted at a temp file's name, or at vms/.tmp, is not
# written through.  No plugin is loaded.
. "$(dirname "$0")/../lib.sh"
command -v strace >/dev/null 2>&1 || skip_all "strace is not installed"
T=$(mk_tmp)
conf=$(mk_conf "$T")
for v in g1 g2 g3; do lia -q -c "$conf" vm create $v >/dev/null || bail "vm create $v"; done
# T: a temp file made, S: syncfs, R: a rename over a record, F: fsync, W: sync_file_range
calls() {
	# (LeakSanitizer cannot run under ptrace)
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 strace -f -qq \
		-e trace=openat,rename,renameat,renameat2,syncfs,fsync,sync_file_range -o "$T/tr" "$LIA_CORE" -q -c "$conf" "$@" >/dev/null 2>&1 ||
		return 1
	awk '/openat\(.*\.json\.tmp\.[0-9]+", O_WRONLY/ {printf "T"} /syncfs\(/ {printf "S"}
		/rename(at2?)?\(/ {printf "R"} /fsync\(/ {printf "F"} /sync_file_range\(/ {printf "W"}' "$T/tr"
}
is "$(calls vm start g1 g2 g3)" "TTTSRRRFTTTSRRRF" "vm start of 3: per group 3 temp files, one syncfs, 3 renames, one fsync"
is "$(calls vm stop g1 g2 g3)" "TTTSRRRFTTTSRRRF" "vm stop of 3: the same"
is "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["state"])' "$T/state/vms/g2.json")" stopped "g2 is stopped"
is "$(ls "$T/state/vms" "$T/state/vms/.tmp" | grep -c '\.tmp\.')" 0 "no temp file is left"
is "$(stat -c %a "$T/state/vms/.tmp")" 700 "the temp files' folder vms/.tmp is 0700"
# the index stays stamped: its last line is the stamp of vms/ after the group, so the next
# command trusts it without comparing any record's stamp (vm list makes the index)
lia -q -c "$conf" vm list >/dev/null
lia -q -c "$conf" vm start g1 g2 g3 >/dev/null
is "$(tail -n 1 "$T/state/vms/.index" | cut -c1)" "=" "after a batch start the index ends with the stamp of vms/"
lia -q -c "$conf" vm stop g1 g2 g3 >/dev/null
is "$(tail -n 1 "$T/state/vms/.index" | cut -c1)" "=" "after a batch stop too"

# a link planted at a temp file's name (NAME.json.tmp.PID, the PID known through exec):
# removed and the temp made anew, nothing written through it
echo target > "$T/target"
bash -c 'ln -s "$1/target" "$1/state/vms/.tmp/g2.json.tmp.$$" && exec "$2" -q -c "$3" vm start g1 g2 g3' _ "$T" "$LIA_CORE" "$conf" >/dev/null 2>&1
is "$?" 0 "a batch start with a link planted at a temp file's name"
is "$(cat "$T/target")" target "... the link's target is unchanged"
is "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["state"])' "$T/state/vms/g2.json")" running "... and g2 is running"
is "$(ls "$T/state/vms" "$T/state/vms/.tmp" | grep -c '\.tmp\.')" 0 "... and no temp file nor link is left"

# vms/.tmp replaced by a link to a folder elsewhere: not used (the temps go to vms/ itself)
mkdir "$T/elsewhere"
rmdir "$T/state/vms/.tmp" && ln -s "$T/elsewhere" "$T/state/vms/.tmp"
lia -q -c "$conf" vm stop g1 g2 g3 >/dev/null 2>&1
is "$?" 0 "a batch stop with vms/.tmp a link"
is "$(ls -A "$T/elsewhere" | wc -l)" 0 "... nothing was made where the link leads"
is "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["state"])' "$T/state/vms/g3.json")" stopped "... and g3 is stopped"
rm "$T/state/vms/.tmp"

# a temp file a crashed batch left in vms/.tmp (a dead PID) is removed by gc
lia -q -c "$conf" vm start g1 g2 >/dev/null 2>&1
sleep 0.01 & dead=$!; wait $dead
echo '{}' > "$T/state/vms/.tmp/g1.json.tmp.$dead"
lia -q -c "$conf" gc >/dev/null 2>&1
test ! -e "$T/state/vms/.tmp/g1.json.tmp.$dead"; ok $? "gc removes a dead process's temp file from vms/.tmp"
done_testing
