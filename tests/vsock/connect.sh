#!/bin/bash
# tests/vsock/connect.sh - the vsock handshake and bridge against fc-vsock-double (a
# Unix-socket server that behaves like Firecracker's host side of vsock), through
# vsock-dial: the plugin's own dial/bridge code without lia-core.  lifecycle.sh runs the
# same paths through `lia-core vm connect`.
. "$(dirname "$0")/../lib.sh"

DOUBLE=$top_builddir/tests/vsock/fc-vsock-double
DIAL=$top_builddir/tests/vsock/vsock-dial
[ -x "$DOUBLE" ] && [ -x "$DIAL" ] || skip_all "fc-vsock-double/vsock-dial not built (make check builds them)"

T=$(mk_tmp)
ms() { date +%s%3N; }
# start_double NAME ARGS...: a double on $T/NAME.vsock, killed at exit; waits for the socket
# unless --bind-delay-ms is given
start_double() {
	local name=$1; shift
	"$DOUBLE" --uds "$T/$name.vsock" --log "$T/$name.log" "$@" &
	local pid=$!
	cleanup "kill $pid"
	case " $* " in *" --bind-delay-ms "*) return 0 ;; esac
	wait_for 60 test -S "$T/$name.vsock" && return 0
	bail "fc-vsock-double did not bind $T/$name.vsock"
}

# 1. OK + data both ways; guest bytes sent in the same write as the OK line arrive first;
#    after stdin's EOF the answer still arrives (half-close), "EOF" proves the guest saw it
start_double a --ports 1024 --greeting $'hello from guest\n'
out=$(printf 'ping\npong\n' | "$DIAL" "$T/a.vsock" 1024 3000 2>"$T/a.err")
ok $? "connect to a listening port succeeds"
is "$out" $'hello from guest\nping\npong\nEOF' "greeting after OK forwarded, data echoed, half-close seen by the guest"
like "$(cat "$T/a.err")" '^attempts 1 hostport 1073741824$' "one attempt; host port from Firecracker's range"
is "$(cat "$T/a.log")" "1024 ok" "the double got the whole CONNECT line in one read"

# 2. a large stream both ways at once (buffers, partial writes)
head -c 3000000 /dev/urandom >"$T/big"
"$DIAL" "$T/a.vsock" 1024 3000 <"$T/big" >"$T/big.out" 2>/dev/null
ok $? "3 MB through the bridge"
# the double's greeting (17 bytes) comes first, then the echo, then "EOF"
is "$(stat -c %s "$T/big.out")" $((17 + 3000000 + 4)) "greeting + 3 MB + EOF marker received"
tail -c +18 "$T/big.out" | head -c 3000000 | cmp -s - "$T/big"
ok $? "3 MB echoed back unchanged"
is "$(tail -c 4 "$T/big.out")" "EOF" "stream ends with the guest's EOF marker"

# 3. guest not listening: Firecracker closes without a word -> retries, then a clear error
t0=$(ms)
"$DIAL" "$T/a.vsock" 2000 1000 </dev/null >/dev/null 2>"$T/c.err"
rc=$?; dt=$(( $(ms) - t0 ))
is "$rc" 1 "silent close until the deadline: exit 1"
like "$(cat "$T/c.err")" "guest port 2000 through vsock socket '$T/a.vsock' within 1000 ms" "error names socket and port"
like "$(cat "$T/c.err")" "closed the connection without an answer|closed without an answer" "error says the connection was closed without an answer"
[ "$dt" -ge 950 ] && [ "$dt" -lt $(slack 3000) ]; ok $? "gave up after the deadline (${dt} ms)"
n=$(grep -c '^2000 closed$' "$T/a.log")
[ "$n" -ge 3 ]; ok $? "retried with backoff ($n attempts in 1 s)"

# 4. a guest that answers late (booting): the first 4 connections are closed silently
start_double late --ports 52 --late-count 4
t0=$(ms)
out=$(printf 'x' | "$DIAL" "$T/late.vsock" 52 5000 2>"$T/late.err")
rc=$?; dt=$(( $(ms) - t0 ))
is "$rc" 0 "late guest: connect succeeds"
is "$out" $'xEOF' "late guest: data flows after the retries"
att=$(sed -n 's/^attempts \([0-9]*\).*/\1/p' "$T/late.err")
is "${att:-0}" 5 "late guest: 4 silent closes, the 5th attempt succeeded (${dt} ms)"
is "$(grep -c '^52 closed$' "$T/late.log")" 4 "late guest: the double saw 4 refused CONNECTs"

# 5. the socket itself appears late (Firecracker not yet at PUT /vsock)
start_double slow --ports 52 --bind-delay-ms 400
out=$(printf 'y' | "$DIAL" "$T/slow.vsock" 52 5000 2>/dev/null)
is "$out" "yEOF" "socket created late: connect retries until it exists"

# 6. not a Firecracker socket: a garbage answer fails at once, not after the deadline
start_double junk --garbage
t0=$(ms)
"$DIAL" "$T/junk.vsock" 52 5000 </dev/null >/dev/null 2>"$T/j.err"
rc=$?; dt=$(( $(ms) - t0 ))
is "$rc" 1 "garbage reply: exit 1"
like "$(cat "$T/j.err")" "answered 'HELLO there\\\\x0a' to 'CONNECT 52'" "garbage reply quoted in the error"
[ "$dt" -lt $(slack 3000) ]; ok $? "garbage reply fails without waiting for the deadline (${dt} ms)"

# 7. nobody behind the path at all
"$DIAL" "$T/none.vsock" 52 300 </dev/null 2>"$T/n.err"
is "$?" 1 "missing socket: exit 1"
like "$(cat "$T/n.err")" "last: the socket does not exist" "missing socket: says so"

# 8. the reader of our output goes away: no SIGPIPE death, exit 0
out=$(yes | head -c 200000 | "$DIAL" "$T/a.vsock" 1024 3000 2>/dev/null | head -c 10 | wc -c)
is "$out" 10 "closed stdout mid-stream handled"

done_testing
