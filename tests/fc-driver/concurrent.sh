#!/bin/bash
# 50 concurrent `vm create` + `vm start` against the test double (with net-bridge/net-tap in
# a namespace of our own when possible): 50 distinct addresses, TAPs, CIDs, sockets and
# processes; then 50 concurrent stops and destroys leave nothing behind.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-fc.sh"
[ -x "$FCDOUBLE" ] || skip_all "fcdouble is not built"
command -v mkfs.ext4 >/dev/null || skip_all "mkfs.ext4 is not installed"
N=${FC_CONCURRENT:-50}

NET=1
if ! fc_net_env "$FCDOUBLE"; then NET=0; fc_env "$FCDOUBLE"; fi
export FCDOUBLE_VSOCK_PORTS=52

one() { "${L[@]}" -q vm create "$1" && "${L[@]}" -q vm start "$1"; }
t0=$(date +%s%N)
for i in $(seq -w 1 "$N"); do one "p$i" > "$T/out.$i" 2>&1 & done
fails=0
for j in $(jobs -p); do wait "$j" || fails=$((fails + 1)); done
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
is "$fails" 0 "$N concurrent create+start succeed (${ms} ms)"
[ "$fails" -eq 0 ] || cat "$T"/out.* | grep -v '^$' | head -20 | sed 's/^/# /'
diag "create+start of $N VMs: ${ms} ms"

"${L[@]}" --json vm list > "$T/list.json"
count() { python3 -c '
import json,sys
d=json.load(open(sys.argv[1])); k=sys.argv[2]
vals=[v.get(k) for v in d if v.get("state")=="running"]
print(len(vals), len(set(x for x in vals if x is not None)))' "$T/list.json" "$1"; }
is "$(count state | cut -d' ' -f1)" "$N" "$N VMs running"
is "$(count pid)" "$N $N" "$N distinct VMM processes"
is "$(count vsock.cid)" "$N $N" "$N distinct CIDs"
if [ $NET = 1 ]; then
	is "$(count net.ip)" "$N $N" "$N distinct addresses"
	is "$(count net.tap)" "$N $N" "$N distinct TAPs"
	is "$(ip -n "$NS" -o link show | grep -c 'tap-.*LOWER_UP')" "$N" "$N TAPs held open by their VMMs"
else
	skip "no network plugins here"; skip "no network plugins here"; skip "no network plugins here"
fi
is "$(ls "$S"/sockets/*.api | wc -l)" "$N" "$N API sockets"
is "$(ls "$S"/sockets/*.vsock | wc -l)" "$N" "$N vsock sockets"
is "$(fc_procs | wc -l)" "$N" "$N live VMM processes"

t0=$(date +%s%N)
for i in $(seq -w 1 "$N"); do ( "${L[@]}" -q vm stop "p$i" && "${L[@]}" -q vm destroy "p$i" ) > "$T/out.$i" 2>&1 & done
fails=0
for j in $(jobs -p); do wait "$j" || fails=$((fails + 1)); done
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
is "$fails" 0 "$N concurrent stop+destroy succeed (${ms} ms)"
is "$(fc_leftovers)" "" "no process or socket left"
if [ $NET = 1 ]; then is "$(ip -n "$NS" -o link show | grep -c 'tap-')" 0 "no TAP left"; else skip "no network plugins here"; fi
is "$("${L[@]}" vm list | tail -n +2 | wc -l)" 0 "no VM record left"
done_testing
