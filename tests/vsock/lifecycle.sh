#!/bin/bash
# tests/vsock/lifecycle.sh - the vsock plugin inside lia-core, with no other plugin
# configured: CID leases (also 20 concurrent creates), the socket file's life across
# start/stop/destroy, the started hook's readiness wait, `vm connect`, and gc.
# The VMM is played by fc-vsock-double, started on the VM's uds_path after net-up
# claimed it (as Firecracker binds it at PUT /vsock, during boot).
. "$(dirname "$0")/../lib.sh"

DOUBLE=$top_builddir/tests/vsock/fc-vsock-double
[ -x "$LIA_CORE" ] || skip_all "lia-core not built"
[ -x "$DOUBLE" ] || skip_all "fc-vsock-double not built"

T=$(mk_tmp)
S=$T/state
CONF=$(mk_conf "$T" 'vsock = { ready_timeout = 1; connect_timeout = 2; };')
mkdir -p "$S/sockets"
L() { "$LIA_CORE" -c "$CONF" "$@"; }
ms() { date +%s%3N; }
# field NAME KEY: a data key of `vm show` (JSON-encoded value, quotes stripped)
field() { L vm show "$1" 2>/dev/null | awk -v k="$2" '$1==k {print $2}' | tr -d '"'; }
owns_socket() { L vm show "$1" 2>/dev/null | grep -q "^owns *socket $S/sockets/$1.vsock "; }
DPID=
# double NAME ARGS...: the pretend Firecracker+guest on NAME's socket
double() {
	local name=$1; shift
	"$DOUBLE" --uds "$S/sockets/$name.vsock" --log "$T/$name.log" "$@" &
	DPID=$!
	cleanup "kill $DPID"
	wait_for 60 test -S "$S/sockets/$name.vsock" && return 0
	bail "fc-vsock-double did not bind $S/sockets/$name.vsock"
}
# start_with_double NAME ARGS...: `vm start NAME` in the background; once net-up has
# claimed the socket (ledger), bind the double there; leaves start's status in START_RC
start_with_double() {
	local name=$1; shift
	L vm start "$name" >"$T/start.out" 2>&1 &
	local spid=$!
	wait_for 60 owns_socket "$name"
	double "$name" "$@"
	wait $spid
	START_RC=$?
}

# ---- create / destroy: CIDs ----
L vm create a >/dev/null 2>"$T/err"; ok $? "vm create a"
is "$(field a vsock.cid)" 3 "first VM gets CID 3"
is "$(field a vsock.uds)" "$S/sockets/a.vsock" "uds_path is state_dir/sockets/NAME.vsock"
L vm create b >/dev/null 2>&1
is "$(field b vsock.cid)" 4 "second VM gets CID 4"
L vm destroy a >/dev/null 2>&1; ok $? "vm destroy a"
L vm create c >/dev/null 2>&1
is "$(field c vsock.cid)" 3 "a destroyed VM's CID is handed out again"

# 20 concurrent creates: 20 distinct CIDs
pids=()
for i in $(seq 1 20); do L vm create "p$i" >/dev/null 2>"$T/p$i.err" & pids+=($!); done
bad=0; for p in "${pids[@]}"; do wait "$p" || bad=$((bad + 1)); done
is "$bad" 0 "20 concurrent vm create succeed"
cids=$(for i in $(seq 1 20); do field "p$i" vsock.cid; done)
is "$(printf '%s\n' $cids | sort -u | wc -l)" 20 "20 concurrent creates got 20 distinct CIDs"
is "$( (printf '%s\n' $cids; echo 3; echo 4) | sort -u | wc -l)" 22 "none collides with b's or c's CID"
is "$(printf '%s\n' $cids | awk '$1 < 3 || $1 > 65535' | wc -l)" 0 "all CIDs within [3, 65535]"
for i in $(seq 1 20); do L vm destroy "p$i" >/dev/null 2>&1; done

# CID pool exhausted: a clear error, no half-made VM
CONF2=$T/small.conf
sed 's/^vsock = .*/vsock = { cid_min = 3; cid_max = 4; };/' "$CONF" >"$CONF2"
"$LIA_CORE" -c "$CONF2" vm create full >/dev/null 2>"$T/full.err"
is "$?" 1 "create with an exhausted CID pool fails"
like "$(cat "$T/full.err")" "cid" "the error names the CID pool"
L vm show full >/dev/null 2>&1
ok $((! $?)) "no record left for the refused VM"

# bad option values are refused before anything happens
sed 's/^vsock = .*/vsock = { cid_min = 2; };/' "$CONF" >"$T/bad.conf"
out=$("$LIA_CORE" -c "$T/bad.conf" vm create bad 2>&1); rc=$?
[ "$rc" -ne 0 ]; ok $? "cid_min = 2 is refused (exit $rc)"
like "$out" "vsock.cid_min: 2 is out of range" "…with a message naming the option"

# ---- start: ready ----
start_with_double c --ports 52,1024 --greeting 'hi'
is "$START_RC" 0 "vm start with a listening guest"
is "$(field c ready)" yes "ready = yes"
ok "$(owns_socket c; echo $?)" "the record's ledger owns the socket"

# ---- vm connect through lia-core ----
out=$(printf 'ping' | L vm connect c 1024 2>"$T/conn.err"); rc=$?
is "$rc" 0 "lia-core vm connect c 1024: exit 0"
is "$out" "hipingEOF" "guest bytes after OK, echoed data and the half-close all pass"
t0=$(ms)
L vm connect c 7777 </dev/null >/dev/null 2>"$T/conn.err"; rc=$?
dt=$(( $(ms) - t0 ))
is "$rc" 1 "connect to a port nobody listens on: exit 1"
like "$(cat "$T/conn.err")" "guest port 7777 through vsock socket '$S/sockets/c.vsock'" "…naming port and socket"
[ "$dt" -ge 1900 ] && [ "$dt" -lt $(slack 5000) ]; ok $? "…after connect_timeout (${dt} ms)"
L vm connect c abc </dev/null >/dev/null 2>"$T/conn.err"
is "$?" 2 "a bad PORT is a usage error"
L vm connect c </dev/null >/dev/null 2>&1
is "$?" 2 "a missing PORT is a usage error"

# ---- a live socket blocks a second start; stop removes the file ----
L vm stop c >"$T/stop.out" 2>&1; rc=$?
is "$rc" 0 "vm stop c"
# everything below needs a VM that can stop
[ "$rc" -eq 0 ] || { diag "$(cat "$T/stop.out")"; bail "vm stop failed (exit $rc); later steps depend on it"; }
[ ! -e "$S/sockets/c.vsock" ]; ok $? "stop removed the socket file (Firecracker never does)"
owns_socket c; ok $((! $?)) "the ledger no longer lists the socket"
is "$(field c ready)" "" "ready is unset after stop"
kill "$DPID"; wait "$DPID" 2>/dev/null
L vm connect c 52 </dev/null >/dev/null 2>"$T/conn.err"; rc=$?
is "$rc" 1 "connect to a stopped VM fails"
like "$(cat "$T/conn.err")" "is not running" "…at once, saying it is not running"

# ---- start: a guest that answers late, within ready_timeout ----
sed 's/^vsock = .*/vsock = { ready_timeout = 5; };/' "$CONF" >"$T/slow.conf"
CONF_SAVE=$CONF; CONF=$T/slow.conf
start_with_double c --ports 52 --late-count 3
is "$START_RC" 0 "vm start with a guest that boots slowly"
is "$(field c ready)" yes "late guest: ready = yes"
is "$(grep -c '^52 closed$' "$T/c.log")" 3 "late guest: the wait retried through 3 silent closes"
L vm stop c >/dev/null 2>&1
kill "$DPID"; wait "$DPID" 2>/dev/null
CONF=$CONF_SAVE

# ---- start: not ready is a warning ----
t0=$(ms)
start_with_double c --ports 1024
dt=$(( $(ms) - t0 ))
is "$START_RC" 0 "guest not listening on ready_port: vm start still succeeds"
is "$(field c ready)" no "ready = no"
like "$(cat "$T/start.out")" "not ready" "a warning says the VM is not ready"
[ "$dt" -lt $(slack 6000) ]; ok $? "bounded by ready_timeout (${dt} ms)"
is "$(field c state)" running "state is running"
L vm stop c >/dev/null 2>&1
kill "$DPID"; wait "$DPID" 2>/dev/null

# ---- require_ready = true: not ready fails and rolls back ----
sed 's/^vsock = .*/vsock = { ready_timeout = 1; require_ready = true; };/' "$CONF" >"$T/req.conf"
CONF=$T/req.conf
start_with_double c --ports 1024
isnt0=$([ "$START_RC" -ne 0 ] && echo 0 || echo 1)
ok "$isnt0" "require_ready: a guest that is not ready fails vm start"
like "$(cat "$T/start.out")" "is not ready" "…saying why"
is "$(field c state)" stopped "…and the VM is stopped"
owns_socket c; ok $((! $?)) "…and its ledger no longer lists the socket"
[ ! -e "$S/sockets/c.vsock" ]; ok $? "…and the socket file is gone"
kill "$DPID"; wait "$DPID" 2>/dev/null
CONF=$CONF_SAVE

# ---- ready_port = 0: no wait ----
sed 's/^vsock = .*/vsock = { ready_port = 0; };/' "$CONF" >"$T/off.conf"
t0=$(ms)
"$LIA_CORE" -c "$T/off.conf" vm start c >/dev/null 2>&1; rc=$?
dt=$(( $(ms) - t0 ))
is "$rc" 0 "ready_port = 0: vm start without any socket succeeds"
[ "$dt" -lt $(slack 3000) ]; ok $? "…without waiting (${dt} ms)"
is "$(field c ready)" "" "…and ready is left unset"
"$LIA_CORE" -c "$T/off.conf" vm stop c >/dev/null 2>&1

# ---- stale / live socket at start ----
double c; kill "$DPID"; wait "$DPID" 2>/dev/null
[ -S "$S/sockets/c.vsock" ]; ok $? "a dead VMM left its socket file behind"
start_with_double c --ports 52
is "$START_RC" 0 "start removes a stale socket file first"
L vm stop c >/dev/null 2>&1
kill "$DPID"; wait "$DPID" 2>/dev/null
double c
L vm start c >"$T/start.out" 2>&1; rc=$?
is "$rc" 1 "start refuses while a process listens on the VM's socket"
like "$(cat "$T/start.out")" "in use by a running process" "…saying so"
[ -S "$S/sockets/c.vsock" ]; ok $? "…and leaves that socket alone"
kill "$DPID"; wait "$DPID" 2>/dev/null
rm -f "$S/sockets/c.vsock"

# ---- gc ----
double orphan; kill "$DPID"; wait "$DPID" 2>/dev/null # stale, no record
double alive # live, no record
echo text >"$S/sockets/notasocket.vsock"
start_with_double c --ports 52 # owned
"$LIA_CORE" -c "$CONF" --dry-run gc >"$T/gcdry.out" 2>&1
like "$(cat "$T/gcdry.out")" "remove orphaned vsock socket $S/sockets/orphan.vsock" "gc --dry-run names the orphaned socket"
[ -S "$S/sockets/orphan.vsock" ]; ok $? "…and leaves it in place"
L gc >"$T/gc.out" 2>&1
[ ! -e "$S/sockets/orphan.vsock" ]; ok $? "gc removes a stale socket no VM owns"
[ -S "$S/sockets/c.vsock" ]; ok $? "gc keeps a running VM's socket"
[ -S "$S/sockets/alive.vsock" ]; ok $? "gc keeps an unowned socket a process listens on"
like "$(cat "$T/gc.out")" "alive.vsock' belongs to no VM, but a process listens on it" "…with a warning"
[ -f "$S/sockets/notasocket.vsock" ]; ok $? "gc never removes a file that is not a socket"
L vm stop c >/dev/null 2>&1
kill "$DPID"; wait "$DPID" 2>/dev/null

# ---- destroy removes a leftover socket and releases the CID ----
L vm destroy c >/dev/null 2>&1; ok $? "vm destroy c"
L vm destroy b >/dev/null 2>&1
[ ! -e "$S/sockets/c.vsock" ]; ok $? "no socket file left for c"
is "$(L vm list --json | grep -c '"name"')" 0 "no VM records left"

done_testing
