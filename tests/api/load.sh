#!/bin/bash
# Load: 8 clients doing create/start/stop/destroy cycles against lia-core serve for
# LIA_API_LOAD_S seconds (20 here; tests/bench/api-bench.sh runs 60): zero failed operations,
# nothing leaked afterwards; p50/p99 latencies reported (not asserted: speed is benchmarked).
. "$(dirname "$0")/../lib.sh"
. "$top_srcdir/tests/api/lib-api.sh"
api_conf "api_workers = 8;"
daemon_start || bail "the daemon did not start: $(cat "$T/daemon.log")"
rss0=$(ps -o rss= -p "$DPID")
out=$(python3 "$top_srcdir/tests/api/slow.py" load "$SOCK" 8 "${LIA_API_LOAD_S:-20}")
diag "$out"
is "$(jget "$out" 'j["nfail"]')" 0 "8 clients: zero failed operations"
n=$(jget "$out" 'min(j[k]["n"] for k in ("create","start","stop","destroy"))')
[ "${n:-0}" -ge 8 ]; ok $? "every kind of operation ran ($n cycles or more)"
is "$(ls "$V" | grep -c json)" 0 "no record is left"
is "$(unbalanced)" "" "every host object made was removed"
api GET /metrics
like "$BODY" 'lia_api_operations_total\{kind="destroy",result="error"\} 0' "metrics: no destroy failed"
like "$BODY" 'lia_api_operations_in_flight 0' "metrics: nothing in flight afterwards"
rss1=$(ps -o rss= -p "$DPID")
diag "daemon RSS: $rss0 KiB before, $rss1 KiB after"
[ "$rss1" -lt $((rss0 + 32768)) ]; ok $? "the daemon's RSS stays bounded"
daemon_stop; is "$DRC" 0 "the daemon stops with 0"
api_validate
done_testing
