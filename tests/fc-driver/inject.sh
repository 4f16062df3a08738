#!/bin/bash
# Failure injection: the test double fails each API call of `vm start` in turn (and then
# dies in the middle of the configuration).  Every time lia must report Firecracker's
# fault_message with the endpoint, and leave no process, socket or TAP (net-tap keeps one
# address lease per VM until destroy: checked to stay single).
# With the network plugins (net-bridge + net-tap) inside a namespace of our own when
# possible; without them otherwise (the TAP checks are then skipped).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-fc.sh"
[ -x "$FCDOUBLE" ] || skip_all "fcdouble is not built"
command -v mkfs.ext4 >/dev/null || skip_all "mkfs.ext4 is not installed"

NET=1
if ! fc_net_env "$FCDOUBLE"; then
	NET=0
	fc_env "$FCDOUBLE"
fi
export FCDOUBLE_TRACE=$T/trace
"${L[@]}" -q vm create v1 || bail "vm create failed"

paths="/logger /metrics /boot-source /machine-config /drives/rootfs /drives/data"
[ $NET = 1 ] && paths="$paths /network-interfaces/eth0"
paths="$paths /vsock /actions"

taps() { ip -n "$NS" -o link show | grep -c 'tap-'; true; }

check_clean() { # WHAT
	is "$(fc_leftovers)" "" "$1: no process or socket left"
	if [ $NET = 1 ]; then is "$(taps)" 0 "$1: no TAP left"; else skip "no network plugins here"; fi
	local show; show=$("${L[@]}" vm show v1)
	if printf '%s\n' "$show" | grep -E 'owns +(pid|tap|socket .*\.api)'; then ok 1 "$1: ledger clean"; else ok 0 "$1: ledger clean"; fi
	# net-tap keeps one address per VM for its lifetime (same one back on the next start)
	[ "$(printf '%s\n' "$show" | grep -c 'owns *lease:ip4')" -le 1 ]; ok $? "$1: at most one address lease"
	[ "$(vm_key v1 state)" != running ]; ok $? "$1: record not running"
}

for p in $paths; do
	: > "$T/trace"
	out=$(FCDOUBLE_FAIL=$p "${L[@]}" vm start v1 2>&1); rc=$?
	is "$rc" 1 "fail $p: vm start fails"
	like "$out" "Firecracker rejected PUT $p for VM 'v1' \\(HTTP 400\\): fcdouble: injected failure for PUT $p" "fail $p: fault_message and endpoint reported"
	check_clean "fail $p"
done

# the VMM dies in the middle of the configuration
out=$(FCDOUBLE_CRASH=/machine-config "${L[@]}" vm start v1 2>&1); rc=$?
is "$rc" 1 "crash at /machine-config: vm start fails"
like "$out" "PUT /machine-config to firecracker of VM 'v1' got no answer" "crash: reported as no answer"
check_clean "crash"

# and it still starts cleanly afterwards
"${L[@]}" -q vm start v1; ok $? "a clean start after all the failures"
if [ $NET = 1 ]; then
	like "$(ip -n "$NS" -o link show "$(vm_key v1 net.tap)")" 'LOWER_UP' "the VMM holds the TAP open (carrier up)"
	like "$(grep '^PUT /network-interfaces/eth0' "$T/trace")" "\"host_dev_name\":\"$(vm_key v1 net.tap)\".*|\"guest_mac\":\"$(vm_key v1 net.mac)\"" "net body: TAP and MAC from the record"
	like "$(grep '^PUT /boot-source' "$T/trace")" "lia.ip=$(vm_key v1 net.ip) lia.prefix=$(vm_key v1 net.prefix) lia.gateway=$(vm_key v1 net.gateway)" "boot args carry lia.ip, lia.prefix and lia.gateway"
else
	skip "no network plugins here"; skip "no network plugins here"; skip "no network plugins here"
fi
"${L[@]}" -q vm stop v1; ok $? "stop"
check_clean "after stop"
"${L[@]}" -q vm destroy v1
done_testing
