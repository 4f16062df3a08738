#!/bin/bash
# The group commit of a batch (core/state_group.c), as system calls: for each group, every
# VM's temp file is written, then one syncfs makes them durable (no writeback started file
# by file with sync_file_range: syncfs submits them together), then the renames, then one
# fsync of vms/.  A rename never comes before the syncfs of its group (the record on disk
# is always a whole, durable one).  A link planted at a temp file's name is not written
# through.  No plugin is loaded.
. "$(dirname "$0")/../lib.sh"
command -v strace >/dev/null 2>&1 || skip_all "strace is not installed"
T=$(mk_tmp)
conf=$(mk_conf "$T")
for v in g1 g2 g3; do lia -q -c "$conf" vm create $v >/dev/null || bail "vm create $v"; done
# T: a temp file made, S: syncfs, R: a rename over a record, F: fsync, W: sync_file_range
calls() {
	# (LeakSanitizer cannot run under ptrace)
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 strace -f -qq \
		-e trace=openat,rename,syncfs,fsync,sync_file_range -o "$T/tr" "$LIA_CORE" -q -c "$conf" "$@" >/dev/null 2>&1 ||
		return 1
	awk '/openat\(.*\.json\.tmp\.[0-9]+", O_WRONLY/ {printf "T"} /syncfs\(/ {printf "S"}
		/rename\(/ {printf "R"} /fsync\(/ {printf "F"} /sync_file_range\(/ {printf "W"}' "$T/tr"
}
is "$(calls vm start g1 g2 g3)" "TTTSRRRFTTTSRRRF" "vm start of 3: per group 3 temp files, one syncfs, 3 renames, one fsync"
is "$(calls vm stop g1 g2 g3)" "TTTSRRRFTTTSRRRF" "vm stop of 3: the same"
is "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["state"])' "$T/state/vms/g2.json")" stopped "g2 is stopped"
is "$(ls "$T/state/vms" | grep -c '\.tmp\.')" 0 "no temp file is left"

# a link planted at a temp file's name (NAME.json.tmp.PID, the PID known through exec):
# removed and the temp made anew, nothing written through it
echo target > "$T/target"
bash -c 'ln -s "$1/target" "$1/state/vms/g2.json.tmp.$$" && exec "$2" -q -c "$3" vm start g1 g2 g3' _ "$T" "$LIA_CORE" "$conf" >/dev/null 2>&1
is "$?" 0 "a batch start with a link planted at a temp file's name"
is "$(cat "$T/target")" target "... the link's target is unchanged"
is "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["state"])' "$T/state/vms/g2.json")" running "... and g2 is running"
is "$(ls "$T/state/vms" | grep -c '\.tmp\.')" 0 "... and no temp file nor link is left"
done_testing
