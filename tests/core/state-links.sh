#!/bin/bash
# Links planted in state_dir never make root write through them (issue 10 #2, core part):
# record temp files (vms/NAME.json.tmp.PID), VM and global lock files, memo temp files
# (host/PLUGIN.json.tmp.PID), the memo and host locks; and a record that is a link or a
# FIFO is refused, not followed (nor waited on).  The link targets must stay untouched.
. "$(dirname "$0")/../lib.sh"
. "$top_srcdir/tests/stubs/build.sh"
need_root
command -v jq >/dev/null || skip_all "jq is not installed"
T=$(mk_tmp)
P=$T/plugins
export LIA_PLUGIN_PATH=$P
stub_build "$P" stub_a stub-a || bail "cannot compile stubs"
mk_conf "$T" "stub-a = { log = \"$T/calls\"; memo = true; };" >/dev/null
V=$T/state/vms
H=$T/state/host
L() { "$LIA_CORE" -c "$T/lia.conf" "$@"; }
# with_link LINK_PREFIX TARGET ARGS...: lia-core ARGS with LINK_PREFIX.PID -> TARGET planted
# first (exec keeps the PID, so the link sits where lia-core writes its temp file)
with_link() { bash -c 'ln -s "$2" "$1.$$" && exec "$LIA_CORE" -c "$3" "${@:4}"' _ "$@"; }
victim() { printf 'precious\n' > "$T/victim"; chmod 0644 "$T/victim"; }
untouched() { [ "$(cat "$T/victim")" = precious ] && [ "$(stat -c %a "$T/victim")" = 644 ]; }
L -q run setup --only dirs || bail "run setup --only dirs"
L -q vm create v0 || bail "vm create v0"

# 1. the record's temp file
victim
out=$(with_link "$V/v1.json.tmp" "$T/victim" "$T/lia.conf" -q vm create v1 2>&1); rc=$?
is "$rc" 0 "vm create succeeds with a link planted at its temp file" || diag "$out"
untouched; ok $? "the link's target is untouched (content and mode)"
test -f "$V/v1.json" && test ! -L "$V/v1.json"; ok $? "the record is a file of its own, not the planted link"

# 2. a VM's lock file and the global lock
ln -s "$T/made-by-lock" "$V/v2.lock"
out=$(L vm create v2 2>&1); rc=$?
ok $((rc == 0)) "vm create refuses a link at the VM's lock file"
test ! -e "$T/made-by-lock"; ok $? "...and creates nothing through it"
rm -f "$V/v2.lock"
mv "$V/.lock" "$T/lock.saved"; ln -s "$T/made-by-glock" "$V/.lock"
out=$(L vm create v3 2>&1); rc=$?
ok $((rc == 0)) "vm create refuses a link at the global lock"
test ! -e "$T/made-by-glock"; ok $? "...and creates nothing through it"
rm -f "$V/.lock"

# 3. the memo's temp file, the memo lock and the host lock
victim
out=$(with_link "$H/stub-a.json.tmp" "$T/victim" "$T/lia.conf" -q run setup --only dirs 2>&1); rc=$?
is "$rc" 0 "run setup succeeds with a link planted at the memo's temp file" || diag "$out"
untouched; ok $? "the link's target is untouched"
test -f "$H/stub-a.json" && test ! -L "$H/stub-a.json" && [ "$(jq -r .dirs "$H/stub-a.json")" = ran ]
ok $? "the memo is a file of its own and holds what the plugin set"
for lock in .memo.lock .lock; do
	rm -f "$H/$lock"; ln -s "$T/made-by$lock" "$H/$lock"
	out=$(L run setup --only dirs 2>&1); rc=$?
	ok $((rc == 0)) "run setup refuses a link at host/$lock"
	test ! -e "$T/made-by$lock"; ok $? "...and creates nothing through it"
	rm -f "$H/$lock"
done

# 4. a record that is a link, or a FIFO
printf '{"name": "v4", "state": "created", "data": {"cpu": "9"}, "ledger": []}\n' > "$T/outside.json"
ln -s "$T/outside.json" "$V/v4.json"
out=$(L vm show v4 2>&1); rc=$?
is "$rc" 1 "vm show refuses a record that is a link"
like "$out" "$V/v4.json: corrupt VM record: a symbolic link" "...naming the file"
rm -f "$V/v4.json"
mkfifo "$V/v5.json"
out=$(timeout -k 5 20 "$LIA_CORE" -c "$T/lia.conf" vm list 2>&1); rc=$?
ok $((rc == 124 || rc == 137)) "vm list does not wait on a FIFO planted as a record"
like "$out" "$V/v5.json: corrupt VM record: not a regular file" "...and names it"
rm -f "$V/v5.json"
done_testing
