#!/bin/bash
# tests/vsock/bench.sh - vsock numbers against fc-vsock-double (not run by make check):
#   handshake latency in-process, handshake+echo latency of the plugin's dial code (vsock-dial) and of
#   `lia-core vm connect` (core start, config, record, dial, bridge), medians of N runs;
#   bridge throughput (MB/s) for a 200 MB echo; `vm create` rate for 50 concurrent creates.
# Usage: tests/vsock/bench.sh [N]   (environment as for make check)
. "$(dirname "$0")/../lib.sh"
N=${1:-200}
DOUBLE=$top_builddir/tests/vsock/fc-vsock-double
DIAL=$top_builddir/tests/vsock/vsock-dial
[ -x "$DOUBLE" ] && [ -x "$DIAL" ] && [ -x "$LIA_CORE" ] || skip_all "build first"
T=$(mk_tmp)
CONF=$(mk_conf "$T" 'vsock = { ready_port = 0; };')
S=$T/state; mkdir -p "$S/sockets"
L() { "$LIA_CORE" -q -c "$CONF" "$@"; }
ns() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

L vm create b >/dev/null
L vm start b >/dev/null
"$DOUBLE" --uds "$S/sockets/b.vsock" --ports 52 & cleanup "kill $!"
wait_for 60 test -S "$S/sockets/b.vsock"

for i in $(seq "$N"); do t=$(ns); echo x | "$DIAL" "$S/sockets/b.vsock" 52 2000 >/dev/null 2>&1; echo $(( ($(ns) - t) / 1000 )); done | median >"$T/dial"
for i in $(seq "$N"); do t=$(ns); echo x | L vm connect b 52 >/dev/null 2>&1; echo $(( ($(ns) - t) / 1000 )); done | median >"$T/conn"
diag "handshake only (connect, CONNECT, OK, close; in-process), median of 1000: $("$DIAL" --bench 1000 "$S/sockets/b.vsock" 52) us"
diag "vsock-dial process: start, handshake, echo, close, median of $N: $(cat "$T/dial") us"
diag "lia-core vm connect (whole command), median of $N: $(cat "$T/conn") us"

head -c 200000000 /dev/zero >"$T/big"
t=$(ns); "$DIAL" "$S/sockets/b.vsock" 52 2000 <"$T/big" 2>/dev/null | wc -c >"$T/n"; dt=$(( ($(ns) - t) / 1000000 ))
diag "bridge echo of 200 MB (each byte both ways): ${dt} ms, $(( 200 * 1000 / (dt > 0 ? dt : 1) )) MB/s; got $(cat "$T/n") bytes"

t=$(ns)
pids=(); for i in $(seq 50); do L vm create "c$i" >/dev/null 2>&1 & pids+=($!); done
for p in "${pids[@]}"; do wait "$p"; done
dt=$(( ($(ns) - t) / 1000000 ))
n=$(for i in $(seq 50); do L vm show "c$i" 2>/dev/null | awk '$1=="vsock.cid"{print $2}'; done | sort -u | wc -l)
diag "50 concurrent vm create (vsock only): ${dt} ms, $(( 50 * 1000 / (dt > 0 ? dt : 1) )) VMs/s, $n distinct CIDs"
is "$n" 50 "50 concurrent creates, 50 distinct CIDs"
done_testing
