#!/bin/bash
# tests/vsock/real.sh - the vsock plugin with a REAL Firecracker (FIRECRACKER=path, or
# `firecracker` on PATH) driven by fc-driver, booting the tiny test guest (no vsock
# driver in it).  Uses fc-driver's test set-up (tests/fc-driver/lib-fc.sh).
#   without /dev/kvm: Firecracker binds the vsock socket at PUT /vsock, InstanceStart
#     fails, and the rollback must remove that socket and its ledger entry;
#   with /dev/kvm: the guest never activates its vsock device, so the readiness wait
#     ends "not ready" (a warning), `vm connect` fails after connect_timeout naming the
#     socket and port, and stop removes the socket file Firecracker leaves behind.
. "$(dirname "$0")/../lib.sh"
. "$top_srcdir/tests/fc-driver/lib-fc.sh"

FC=$(fc_real_binary) || skip_all "no real Firecracker (set FIRECRACKER=/path/to/firecracker)"
[ -x "$LIA_CORE" ] || skip_all "lia-core not built"
[ -f "$GUESTS/guest-wait.elf" ] || skip_all "tiny test guest not built"
ms() { date +%s%3N; }

fc_env "$FC"
# fc_env's config has a vsock block already: shorten its timeouts
sed -i 's/^vsock = .*/vsock = { ready_timeout = 2; connect_timeout = 2; };/' "$CONF"
uds() { "${L[@]}" vm show v1 | awk '$1=="vsock.uds"{print $2}' | tr -d '"'; }

"${L[@]}" vm create v1 >/dev/null 2>&1; ok $? "vm create"
U=$(uds)
is "$U" "$S/sockets/v1.vsock" "vsock.uds recorded"

if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
	diag "no usable /dev/kvm: checking the rollback of a start that fails at InstanceStart"
	"${L[@]}" vm start v1 >"$T/start.out" 2>&1
	is "$?" 1 "vm start fails without /dev/kvm"
	like "$(cat "$S"/logs/v1*.log 2>/dev/null)" 'Put request on "/vsock"' "real Firecracker was configured with the vsock device (PUT /vsock binds uds_path)"
	[ ! -e "$U" ]; ok $? "the rollback removed Firecracker's vsock socket"
	"${L[@]}" vm show v1 | grep -q "^owns *socket $U "; ok $((! $?)) "no socket left in the ledger"
	"${L[@]}" vm connect v1 52 </dev/null >/dev/null 2>"$T/c.err"
	is "$?" 1 "vm connect to the stopped VM fails"
	like "$(cat "$T/c.err")" "is not running" "…saying it is not running"
else
	t0=$(ms)
	"${L[@]}" vm start v1 >"$T/start.out" 2>&1; rc=$?
	dt=$(( $(ms) - t0 ))
	is "$rc" 0 "vm start succeeds although the guest has no vsock"
	[ -S "$U" ]; ok $? "Firecracker created the vsock socket"
	is "$("${L[@]}" vm show v1 | awk '$1=="ready"{print $2}' | tr -d '"')" no "ready = no"
	like "$(cat "$T/start.out")" "runs but is not ready" "a warning, not a failure"
	[ "$dt" -lt $(slack 8000) ]; ok $? "bounded by ready_timeout (${dt} ms)"
	t0=$(ms)
	"${L[@]}" vm connect v1 52 </dev/null >/dev/null 2>"$T/c.err"; rc=$?
	dt=$(( $(ms) - t0 ))
	is "$rc" 1 "vm connect fails: no guest behind the device"
	like "$(cat "$T/c.err")" "guest port 52 through vsock socket '$U'" "…naming port and socket (${dt} ms)"
	"${L[@]}" vm stop --force v1 >/dev/null 2>&1; ok $? "vm stop"
	[ ! -e "$U" ]; ok $? "stop removed the socket Firecracker left behind"
fi
"${L[@]}" vm destroy v1 >/dev/null 2>&1; ok $? "vm destroy"
is "$(fc_leftovers)" "" "nothing left (processes, socket files)"
done_testing
