#!/bin/bash
# The events of a batch (`vm start A B C...`, `vm stop A B C...`: one group commit per
# step, core/state_group.c) are appended to state_dir/events.log with one open and one
# write per group (core/events.c events_hold/events_release), not one per VM: every VM's
# events are still there, with consecutive ids, in the group's order, each VM's in the
# order of its states.  A failed append (a link planted as events.log) is a warning and
# the batch succeeds.  No plugin is loaded.
. "$(dirname "$0")/../lib.sh"
T=$(mk_tmp)
conf=$(mk_conf "$T")
L="$T/state/events.log"
names="b1 b2 b3 b4 b5"
for n in $names; do lia -q -c "$conf" vm create "$n" >/dev/null || bail "vm create $n"; done
before=$(grep -c . "$L")
is "$before" 10 "5 creates: 10 events"

# a batch start: the events of its two groups (starting, then running)
lia -q -c "$conf" vm start $names >/dev/null 2>&1; ok $? "vm start of 5 VMs"
ev() { # the events after line $1 as "name:old>new" words
	tail -n +"$(($1 + 1))" "$L" | python3 -c '
import json, sys
for l in sys.stdin:
    e = json.loads(l)
    print("%s:%s>%s" % (e["name"], e["old"], e["new"]), end=" ")
'
}
ids_after() {
	tail -n +"$(($1 + 1))" "$L" | python3 -c '
import json, sys
print(" ".join(str(json.loads(l)["id"]) for l in sys.stdin))'
}
is "$(ev "$before")" "b1:created>starting b2:created>starting b3:created>starting b4:created>starting b5:created>starting b1:starting>running b2:starting>running b3:starting>running b4:starting>running b5:starting>running " \
	"every VM's events, the group's order, each VM's states in order"
is "$(ids_after "$before")" "$(seq 11 20 | paste -sd ' ')" "ids 11..20, consecutive"
is "$(grep -c . "$L")" 20 "one line per event"

# the appends: one open of events.log per group, not one per VM
if command -v strace >/dev/null 2>&1; then
	lia -q -c "$conf" vm stop $names >/dev/null 2>&1 || bail "vm stop"
	strace -f -e trace=openat -o "$T/st" "$LIA_CORE" -q -c "$conf" vm start $names >/dev/null 2>&1
	ok $? "vm start of 5 VMs under strace"
	is "$(grep -c 'events.log"' "$T/st")" 2 "events.log opened twice (two groups), not 10 times"
	strace -f -e trace=openat -o "$T/st" "$LIA_CORE" -q -c "$conf" vm stop $names >/dev/null 2>&1
	ok $? "vm stop of 5 VMs under strace"
	is "$(grep -c 'events.log"' "$T/st")" 2 "events.log opened twice for the stop too"
	n=$(grep -c . "$L")
	is "$(ev $((n - 10)))" "b1:running>stopping b2:running>stopping b3:running>stopping b4:running>stopping b5:running>stopping b1:stopping>stopped b2:stopping>stopped b3:stopping>stopped b4:stopping>stopped b5:stopping>stopped " \
		"the stop's events, in order"
else
	skip "strace is not installed"
	skip "strace is not installed"
	skip "strace is not installed"
	skip "strace is not installed"
	skip "strace is not installed"
	lia -q -c "$conf" vm stop $names >/dev/null 2>&1 || bail "vm stop"
fi
is "$(ids_after 0 | tr ' ' '\n' | awk 'NR > 1 && $1 != p + 1 {bad = 1} {p = $1} END {print bad ? "gap" : "ok"}')" ok \
	"no gap nor repeat in the ids of the whole log"

# a link planted as events.log: the batch still succeeds, with one warning per group
mv "$L" "$T/old.log"
echo target > "$T/target"
ln -s "$T/target" "$L"
out=$(lia -c "$conf" vm start $names 2>&1); rc=$?
is "$rc" 0 "a batch start with a link as events.log succeeds" || diag "$out"
is "$(grep -c 'cannot append to the event log' <<< "$out")" 2 "... with one warning per group"
is "$(cat "$T/target")" target "... nothing written through the link"
is "$(lia -c "$conf" vm list 2>/dev/null | grep -c running)" 5 "... and the 5 VMs are running"
rm -f "$L"
lia -q -c "$conf" vm stop $names >/dev/null 2>&1; ok $? "vm stop of the 5"
is "$(ev 0)" "b1:running>stopping b2:running>stopping b3:running>stopping b4:running>stopping b5:running>stopping b1:stopping>stopped b2:stopping>stopped b3:stopping>stopped b4:stopping>stopped b5:stopping>stopped " \
	"a new log after the link is gone"
done_testing
