#!/bin/bash
# state_dir/events.log as the CLI writes it (core/events.c): one JSON line per state change
# with ids that grow by one; after a torn line an event starts on a line of its own and the
# ids go on; past 1 MiB the log is rotated to events.log.1 and the ids go on from it; a
# link or a FIFO planted as events.log is not written through (a warning, the VM operation
# still succeeds); parallel writers get distinct, consecutive ids.  No plugin is loaded.
. "$(dirname "$0")/../lib.sh"
T=$(mk_tmp)
conf=$(mk_conf "$T")
L="$T/state/events.log"
lia -q -c "$conf" vm create e1 >/dev/null || bail "vm create"
lia -q -c "$conf" vm destroy e1 >/dev/null || bail "vm destroy"
ids() { python3 -c 'import json,sys; print(" ".join(str(json.loads(l)["id"]) for l in open(sys.argv[1]) if l.strip().startswith("{\"id\"") and l.strip().endswith("}")))' "$1"; }
is "$(ids "$L")" "1 2 3 4" "vm create and destroy: events 1 to 4"
like "$(sed -n 1p "$L")" '^\{"id":1,"time":"[0-9T:.-]+Z","name":"e1","old":null,"new":"creating"\}$' "the first: a new record"
like "$(sed -n 4p "$L")" '^\{"id":4,.*"name":"e1","old":"destroying","new":"deleted"\}$' "the last: deleted"

# a torn line at the end: the next event starts on a line of its own, ids go on
printf '{"id":' >> "$L"
lia -q -c "$conf" vm create e2 >/dev/null
is "$(tail -2 "$L" | grep -o '"id":[0-9]*,"time"' | grep -o '[0-9]*' | paste -sd ' ')" "5 6" "after a torn line the ids go on (5 6)"
is "$(tail -3 "$L" | head -1)" '{"id":' "... each event on a line of its own, the torn line left alone"

# rotation past 1 MiB: the old log becomes events.log.1, the new one goes on from its ids
python3 -c '
import sys
with open(sys.argv[1], "a") as f:
    for i in range(7, 14007):
        f.write("{\"id\":%d,\"time\":\"2026-01-01T00:00:00.000Z\",\"name\":\"pad\",\"new\":\"created\"}\n" % i)
' "$L"
[ "$(stat -c %s "$L")" -gt 1048576 ]; ok $? "the log is past 1 MiB ($(stat -c %s "$L") bytes)"
lia -q -c "$conf" vm destroy e2 >/dev/null
test -f "$L.1"; ok $? "the next event rotates it to events.log.1"
is "$(wc -l < "$L" | head -c 200)" 2 "the new log holds the destroy's two events"
is "$(ids "$L" | head -c 200)" "14007 14008" "with the ids after the rotated log's last"
is "$(tail -1 "$L.1" | grep -o '"id":[0-9]*' | grep -o '[0-9]*')" 14006 "events.log.1 ends at 14006"

# a link planted as events.log: nothing written through it, the operation succeeds
rm -f "$L" "$L.1"
echo "target" > "$T/target"
ln -s "$T/target" "$L"
out=$(lia -c "$conf" vm create e3 2>&1); rc=$?
is "$rc" 0 "vm create succeeds with a link as events.log" || diag "$out"
like "$out" "cannot append to the event log" "... with a warning"
is "$(cat "$T/target")" "target" "... and the link's target is unchanged"
# a FIFO: refused at once (no hang, nothing queued in it)
rm -f "$L"
mkfifo "$L"
out=$(timeout 20 "$LIA_CORE" -c "$conf" vm destroy e3 2>&1); rc=$?
is "$rc" 0 "vm destroy succeeds with a FIFO as events.log" || diag "$out"
like "$out" "cannot append to the event log.*Invalid argument" "... the FIFO is refused with a warning"
rm -f "$L"

# parallel writers: 4 processes creating 10 VMs each, under the lock: ids 1..80, each once
for p in 1 2 3 4; do
	(for i in $(seq 1 10); do "$LIA_CORE" -q -c "$conf" vm create "p$p-$i" >/dev/null || echo fail; done) > "$T/par.$p" &
done
wait
is "$(cat "$T"/par.*)" "" "40 parallel vm create succeed"
is "$(ids "$L" | tr ' ' '\n' | sort -n | paste -sd ' ' | head -c 400)" "$(seq 1 80 | paste -sd ' ')" "their 80 events have ids 1..80, each once"
is "$(grep -c . "$L")" 80 "one line each"
done_testing
