#!/bin/bash
# kill -9 lia-core at each step of `vm start` (the double answers slowly so the kill lands
# between API calls), then `lia-core gc`: `vm list` and the host must agree and nothing may
# be left.  Also: VMs started by one lia-core keep running across lia-core restarts and a
# later lia-core stops them.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-fc.sh"
[ -x "$FCDOUBLE" ] || skip_all "fcdouble is not built"
command -v mkfs.ext4 >/dev/null || skip_all "mkfs.ext4 is not installed"

fc_env "$FCDOUBLE"
export FCDOUBLE_TRACE=$T/trace

for delay_ms in 30 120 300 500 700 900 1100 1400; do
	n=c$delay_ms
	"${L[@]}" -q vm create "$n" || bail "create $n"
	: > "$T/trace"
	FCDOUBLE_DELAY_MS=120 "${L[@]}" -q vm start "$n" > /dev/null 2>&1 &
	lp=$!
	sleep "0.$(printf '%03d' $((delay_ms % 1000)))"; [ $delay_ms -ge 1000 ] && sleep 1
	kill -9 $lp 2>/dev/null
	wait $lp 2>/dev/null
	last=$(tail -1 "$T/trace" | awk '{print $2}')
	"${L[@]}" -q gc > "$T/gc.log" 2>&1
	ok $? "killed after ${delay_ms} ms (last call ${last:-none}): gc runs"
	state=$(vm_key "$n" state)
	pid=$(vm_key "$n" fc.pid)
	if [ -n "$pid" ] && [ -e /proc/$pid ] && [ "$(cut -d' ' -f3 /proc/$pid/stat)" != Z ]; then
		# the start got through before the kill: a running VM is fine, if lia says so
		is "$state" running "killed after ${delay_ms} ms: live VMM, record says running"
		"${L[@]}" -q vm stop --force "$n"
	else
		[ "$state" != running ]; ok $? "killed after ${delay_ms} ms: no VMM, record says '${state:-gone}'"
	fi
	is "$(fc_leftovers)" "" "killed after ${delay_ms} ms: nothing left after gc"
	"${L[@]}" -q vm destroy "$n" 2>/dev/null
done

# restart: VMs outlive the lia-core that started them; a new one lists and stops them
for i in 1 2 3; do "${L[@]}" -q vm create "r$i" && "${L[@]}" -q vm start "r$i"; done
is "$("${L[@]}" vm list | grep -c ' running ')" 3 "three VMs running after their starters exited"
kill -9 "$(vm_key r2 fc.pid)"
state_is() { [ "$(vm_key "$1" state)" = "$2" ]; }
wait_for 60 state_is r2 stopped
is "$(vm_key r2 state)" stopped "a VMM killed behind lia's back shows stopped"
is "$(vm_key r1 state)" running "the others still running"
# started again: the dead VMM's pid entry goes, only the new one is in the ledger
pid_entries() { "${L[@]}" --json vm show "$1" | jq '[.ledger[]? | select(.kind == "pid")] | length'; }
"${L[@]}" -q vm start r2; ok $? "a VM whose VMM was killed starts again"
is "$(pid_entries r2)" 1 "one pid ledger entry after the restart, not the dead VMM's too"
for i in 1 2 3; do "${L[@]}" -q vm stop "r$i"; ok $? "stop r$i from a new lia-core"; done
is "$(fc_leftovers)" "" "nothing left"
for i in 1 2 3; do "${L[@]}" -q vm destroy "r$i"; done

# gc removes a VMM and socket no record owns (e.g. its record was lost)
"$FCDOUBLE" --api-sock "$S/sockets/orphan.api" --id orphan > /dev/null 2>&1 &
op=$!
wait_for 60 test -S "$S/sockets/orphan.api"
"${L[@]}" gc > "$T/gc.log" 2>&1
like "$(cat "$T/gc.log")" "killed orphaned firecracker pid $op" "gc kills an unowned VMM"
test -e "$S/sockets/orphan.api"; ok $((! $?)) "and removes its socket"
wait $op 2>/dev/null
done_testing
