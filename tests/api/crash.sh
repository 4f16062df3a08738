#!/bin/bash
# kill -9 of lia-core serve while 8 clients run operations, then `lia-core gc`: nothing is
# left half done, every VM can be destroyed, every host object made is removed.  Workers
# finish the operation in hand and exit when the daemon is gone.
. "$(dirname "$0")/../lib.sh"
. "$top_srcdir/tests/api/lib-api.sh"
api_conf "api_workers = 4;"
daemon_start || bail "the daemon did not start: $(cat "$T/daemon.log")"
python3 "$top_srcdir/tests/api/slow.py" load "$SOCK" 8 30 >/dev/null 2>&1 &
LP=$!
cleanup "kill $LP"
for _ in $(seq 100); do [ "$(cat "$LOG" 2>/dev/null | grep -c 'run create')" -ge 10 ] && break; sleep 0.1; done
kill -9 "$DPID"; wait "$DPID" 2>/dev/null
diag "killed the daemon after $(grep -c 'run create' "$LOG") creates"
wait "$LP" 2>/dev/null
for _ in $(seq 300); do pgrep -f "$T/lia.conf serve" >/dev/null || break; sleep 0.1; done
pgrep -f "$T/lia.conf serve" >/dev/null; ok $((!$?)) "the workers exit once the daemon is gone"
lia -c "$T/lia.conf" -q gc; is "$?" 0 "lia-core gc succeeds"
left=$(python3 - "$V" <<'PY'
import json, os, sys
for f in sorted(os.listdir(sys.argv[1])):
    if f.endswith(".json"):
        s = json.load(open(os.path.join(sys.argv[1], f)))["state"]
        if s not in ("created", "running", "stopped"):
            print(f, s)
PY
)
is "$left" "" "after gc no VM is in the middle of an operation"
for r in "$V"/*.json; do
	[ -e "$r" ] || continue
	n=$(basename "$r" .json)
	lia -c "$T/lia.conf" -q vm stop "$n" --force && lia -c "$T/lia.conf" -q vm destroy "$n" || echo "cannot destroy $n"
done > "$T/destroy.out" 2>&1
is "$(cat "$T/destroy.out")" "" "every VM left can be destroyed"
is "$(ls "$V" | grep -c json)" 0 "no record is left"
# every create that ran was destroyed or undone (the stub's host object, by name)
unbalanced=$(unbalanced)
is "$unbalanced" "" "every VM's host object that was made was removed"
daemon_start; ok $? "a new daemon starts on the same socket"
api GET /v1/vms; is "$CODE $BODY" "200 []" "and serves"
daemon_stop
api_validate
done_testing
