#!/bin/bash
# fc-driver against the API test double: create/start/show/stop/destroy, the API calls
# sent (traced by the double), graceful and forced stop, a guest that exits by itself, a
# VMM that dies before its socket is ready or never listens, a bad kernel, a stale socket,
# and a lia-core other than the starter stopping the VM (the "restart" case).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-fc.sh"
[ -x "$FCDOUBLE" ] || skip_all "fcdouble is not built"
command -v mkfs.ext4 >/dev/null || skip_all "mkfs.ext4 is not installed"

fc_env "$FCDOUBLE"
export FCDOUBLE_TRACE=$T/trace
ssh-keygen -q -t ed25519 -N '' -C 'me@lia test' -f "$T/key" 2>/dev/null || echo 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB+x/y= me@lia test' > "$T/key.pub"

"${L[@]}" -q vm create v1 --vcpus 1 --mem-mib 256 --ssh-key "$T/key.pub"
ok $? "vm create"
start=$(date +%s%N)
out=$("${L[@]}" vm start v1 2>&1); rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
is "$rc" 0 "vm start (${ms} ms)"
[ $rc -eq 0 ] || diag "$out"
is "$(vm_key v1 state)" running "vm show: running after the starting lia-core exited"
like "$("${L[@]}" vm list)" "v1 +running" "vm list: running"
pid=$(vm_key v1 fc.pid)
test -n "$pid" && kill -0 "$pid"; ok $? "firecracker process $pid is alive"
is "$(ps -o sid= -p "$pid" | tr -d ' ')" "$pid" "it leads its own session (survives lia-core)"
ls -l /proc/$pid/fd | grep -E 'pipe:|\.lock'; ok $((! $?)) "no pipe or state lock inherited by the VMM"
test -S "$S/sockets/v1.api"; ok $? "API socket at state_dir/sockets/v1.api"
like "$(cat "$S/logs/v1.console.log")" 'LIA-GUEST: up' "console marker in logs/v1.console.log"
test -f "$S/logs/v1.fc.log" && test -f "$S/logs/v1.metrics"; ok $? "log and metrics files in state_dir/logs"
like "$(tr '\0' ' ' < /proc/$pid/cmdline)" "--api-sock $S/sockets/v1.api --id v1" "firecracker argv"

# the calls, in order, exactly as sent
calls=$(awk '{print $1, $2}' "$T/trace" | tr '\n' ';')
is "$calls" "PUT /logger;PUT /metrics;PUT /boot-source;PUT /machine-config;PUT /drives/rootfs;PUT /drives/data;PUT /vsock;PUT /actions;" "API calls in order (no network: no TAP)"
boot=$(grep '^PUT /boot-source' "$T/trace")
like "$boot" '"boot_args":"console=ttyS0 reboot=k panic=1 pci=off init=/sbin/init lia.ssh_key=ssh-ed25519%20[A-Za-z0-9+/=]+%20me@lia%20test"' "boot args: seed's line + percent-encoded lia.ssh_key"
like "$boot" "\"kernel_image_path\":\"$S/kernel/vmlinux\"" "kernel from state_dir/kernel/vmlinux"
like "$(grep '^PUT /machine-config' "$T/trace")" '"vcpu_count":1.*"mem_size_mib":256|"mem_size_mib":256.*"vcpu_count":1' "machine-config from the record"
like "$(grep '^PUT /drives/rootfs' "$T/trace")" '"is_root_device":true' "rootfs is the root device"
like "$(grep '^PUT /vsock' "$T/trace")" "\"guest_cid\":$(vm_key v1 vsock.cid)" "vsock CID from the record"
grep -q vsock_id "$T/trace"; ok $((! $?)) "no deprecated vsock_id"

out=$("${L[@]}" vm start v1 2>&1)
like "$out" "already running" "starting a running VM again does nothing"
is "$(vm_key v1 fc.pid)" "$pid" "same VMM process"

# graceful stop by another lia-core process
start=$(date +%s%N)
"${L[@]}" -q vm stop v1; rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
is "$rc" 0 "vm stop (graceful, ${ms} ms)"
is "$(vm_key v1 state)" stopped "vm show: stopped"
is "$(vm_key v1 fc.exit_status)" 0 "exit status 0 recorded (read from Firecracker's log: not our child)"
kill -0 "$pid" 2>/dev/null && [ "$(awk '{print $3}' /proc/$pid/stat)" != Z ]; ok $((! $?)) "process gone"
like "$(cat "$S/logs/v1.console.log")" 'LIA-GUEST: key, rebooting' "guest saw Ctrl-Alt-Del"
test -e "$S/sockets/v1.api"; ok $((! $?)) "API socket removed"
"${L[@]}" vm show v1 | grep -q 'owns *\(pid\|socket .*\.api\)'; ok $((! $?)) "no pid/api socket left in the ledger"

# a guest that ignores the keyboard: SendCtrlAltDel, stop_timeout (2 s), SIGKILL
FCDOUBLE_GUEST=nokbd "${L[@]}" -q vm start v1; ok $? "start a guest that ignores Ctrl-Alt-Del"
start=$(date +%s%N)
"${L[@]}" -q vm stop v1 2>/dev/null; rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
is "$rc" 0 "vm stop succeeds through SIGKILL"
[ "$ms" -ge 1900 ] && [ "$ms" -lt $(slack 6000) ]; ok $? "after stop_timeout (${ms} ms)"
is "$(vm_key v1 fc.exit_status)" 137 "exit status 137 (SIGKILL)"
is "$(fc_procs | wc -l)" 0 "no VMM left"

# --force: SIGKILL at once
"${L[@]}" -q vm start v1
start=$(date +%s%N)
"${L[@]}" -q vm stop --force v1; rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
is "$rc" 0 "vm stop --force"
[ "$ms" -lt $(slack 1500) ]; ok $? "at once (${ms} ms)"
is "$(vm_key v1 fc.exit_status)" 137 "killed: 137"
grep -c SendCtrlAltDel "$T/trace" > "$T/n1"
is "$(cat "$T/n1")" 2 "no SendCtrlAltDel was sent by --force"

# a guest that resets by itself: the record must say stopped
FCDOUBLE_GUEST=exit "${L[@]}" -q vm start v1; ok $? "start a guest that exits by itself"
state_is() { [ "$(vm_key "$1" state)" = "$2" ]; }
wait_for 60 state_is v1 stopped
is "$(vm_key v1 state)" stopped "vm show: stopped after the guest exited"
"${L[@]}" -q vm stop v1; ok $? "vm stop cleans up after it"
is "$(vm_key v1 fc.exit_status)" 0 "its exit status 0 recorded"
is "$(fc_leftovers)" "" "nothing left"

# the VMM dies before its socket is ready: error names the status and the console
out=$(FCDOUBLE_EARLY_EXIT=3 "${L[@]}" vm start v1 2>&1); rc=$?
is "$rc" 1 "start fails when firecracker dies early"
like "$out" "exited with status 3 before its API socket .*v1.api was ready; console log .*fcdouble: failing at startup" "error has the status and the console tail"
is "$(fc_leftovers)" "" "nothing left"
is "$(vm_key v1 state)" stopped "record not running"

# never listens: bounded by socket_timeout (3 s)
start=$(date +%s%N)
out=$(FCDOUBLE_NO_LISTEN=1 "${L[@]}" vm start v1 2>&1); rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
is "$rc" 1 "start fails when the socket never listens"
like "$out" "did not accept a connection within 3 s" "error names the timeout"
[ "$ms" -lt $(slack 7000) ]; ok $? "bounded (${ms} ms)"
is "$(fc_leftovers)" "" "the silent VMM was killed, its socket removed"

# a stale socket file from a crash is removed before starting
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$S/sockets/v1.api"
"${L[@]}" -q vm start v1; ok $? "start with a stale API socket file present"
"${L[@]}" -q vm stop --force v1

# a bzImage / non-ELF kernel is refused before anything is started
cp "$S/kernel/vmlinux" "$T/vmlinux.good"
printf 'MZ' > "$S/kernel/vmlinux"; head -c 512 /dev/zero >> "$S/kernel/vmlinux"; printf 'HdrS' >> "$S/kernel/vmlinux"
out=$("${L[@]}" vm start v1 2>&1); rc=$?
is "$rc" 1 "bzImage refused"
like "$out" "is a bzImage; Firecracker 1.6 on x86_64 boots only an uncompressed ELF vmlinux" "clear message"
cp "$T/vmlinux.good" "$S/kernel/vmlinux"

# missing binary: clear error, nothing made
sed -i "s|binary = \"$FCDOUBLE\"|binary = \"$T/no-such-firecracker\"|" "$CONF"
out=$("${L[@]}" vm start v1 2>&1); rc=$?
is "$rc" 1 "missing firecracker binary refused"
like "$out" "the Firecracker binary $T/no-such-firecracker cannot be run" "message names the binary"
sed -i "s|binary = \"$T/no-such-firecracker\"|binary = \"$FCDOUBLE\"|" "$CONF"

"${L[@]}" -q vm start v1 && "${L[@]}" -q vm destroy v1 2>/dev/null || "${L[@]}" -q vm stop --force v1
"${L[@]}" -q vm destroy v1 2>/dev/null
"${L[@]}" vm show v1 >/dev/null 2>&1; ok $((! $?)) "vm destroy removes the record"
test -e "$S/logs/v1.console.log"; ok $((! $?)) "destroy removes the VM's logs"
is "$(fc_leftovers)" "" "nothing left after destroy"

done_testing
