#!/bin/bash
# A real guest, end to end, on any Linux host (KVM when there is one, else QEMU's TCG):
# `run setup` with net-bridge, net-tap, kernel-debian, image-debian and qemu-driver in a
# namespace of its own whose uplink leads to an "inet" namespace; `vm create` with a
# generated key; `vm start`; ssh from the host namespace into the guest: address, route,
# lia.ip on the kernel command line, /workspace on the data drive, host name, passwords
# refused, NAT to the inet namespace; two VMs reach each other; a graceful `vm stop`
# (the guest's own shutdown in its console log); kill -9 of QEMU seen by `vm list` and
# cleaned by gc; `vm destroy`, `run teardown`, and nothing left.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-qemu.sh"
need_plugin qemu-driver kernel-debian image-debian net-bridge net-tap vsock host
q_need
q_env

q_setup; rc=$?
is "$rc" 0 "run setup with kernel-debian, image-debian, net-bridge, net-tap, qemu-driver (${Q_SETUP_S} s)" ||
	{ sed 's/^/#   /' "$T/setup.log" | tail -30; done_testing; exit 1; }
test -s "$S/kernel/vmlinux" && test -s "$S/kernel/initrd"; ok $? "state_dir/kernel/vmlinux and initrd"
test -s "$S/rootfs/rootfs.ext4"; ok $? "state_dir/rootfs/rootfs.ext4"
out=$("${L[@]}" run setup 2>&1); rc=$?
is "$rc" 0 "a second run setup succeeds"
like "$out" "kernel-debian" "the plugins are there" # (a change report names no kernel or image work)
[[ "$out" != *"wrote "*"vmlinux"* && "$out" != *mmdebstrap* && "$out" != *mkfs* ]]
ok $? "the second run setup rebuilt neither kernel nor image"

"${L[@]}" -q vm create v1 --ssh-key "$KEY.pub" --mem-mib 384 --vcpus 1 --volume-mib 64
ok $? "vm create v1 with a generated ssh key"
ip1=$(q_vm_key v1 net.ip)
like "$ip1" '^172\.16\.0\.[0-9]+$' "v1 has an address ($ip1)"

Q_T0=$(now_ms)
out=$("${L[@]}" vm start v1 2>&1); rc=$?
start_ms=$(( $(now_ms) - Q_T0 ))
is "$rc" 0 "vm start v1 (${start_ms} ms)" || diag "$out"
like "$out" "no vsock" "the vsock plugin says at once that this host gives the VM no vsock"
pid=$(q_vm_key v1 qemu.pid)
test -n "$pid" && kill -0 "$pid"; ok $? "QEMU process $pid runs"
is "$(ps -o sid= -p "$pid" | tr -d ' ')" "$pid" "it leads its own session"
accel=$(q_vm_key v1 qemu.accel)
like "$accel" '^(tcg|kvm)$' "accelerator recorded ($accel)"
test -S "$S/sockets/v1.qmp"; ok $? "QMP socket state_dir/sockets/v1.qmp"

q_wait_ssh "$ip1" 420; rc=$?
is "$rc" 0 "ssh root@$ip1 answers (ping after ${Q_PING_MS:-?} ms, ssh after ${Q_SSH_MS:-?} ms, $accel)"
if [ $rc -ne 0 ]; then
	diag "console log tail:"; tail -40 "$S/logs/v1.console.log" | sed 's/^/#   /'
fi
diag "v1: ping ${Q_PING_MS:-?} ms, ssh ${Q_SSH_MS:-?} ms after vm start began ($accel)"

like "$(q_ssh "$ip1" ip -4 -o addr show dev eth0)" "inet $ip1/24 " "guest eth0 has $ip1/24"
like "$(q_ssh "$ip1" ip route show default)" "default via 172\.16\.0\.1 dev eth0" "default route via the bridge"
like "$(q_ssh "$ip1" cat /proc/cmdline)" "lia\.ip=$ip1 lia\.prefix=24 lia\.gateway=172\.16\.0\.1 lia\.ssh_key=ssh-ed25519%20" \
	"the kernel command line carries lia.ip, lia.prefix, lia.gateway, lia.ssh_key"
like "$(q_ssh "$ip1" grep ' /workspace ' /proc/mounts)" "^/dev/vdb /workspace ext4" "/workspace is the data drive (vdb)"
like "$(q_ssh "$ip1" grep ' / ' /proc/mounts)" "^/dev/vda / ext4 rw" "/ is the root drive (vda), read-write"
is "$(q_ssh "$ip1" hostname)" "lia-agent" "host name lia-agent"
like "$(q_ssh "$ip1" ls /etc/ssh)" "ssh_host_ed25519_key" "the guest made its own host keys at first boot"
fp1=$(q_ssh "$ip1" ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub | awk '{print $2}')
ip netns exec "$HOSTNS" ssh -o BatchMode=yes -o PreferredAuthentications=password,keyboard-interactive \
	-o PubkeyAuthentication=no -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
	-o ConnectTimeout=5 "root@$ip1" true > "$T/pw.out" 2>&1
like "$(cat "$T/pw.out")" "Permission denied \(publickey\)" "sshd refuses passwords (publickey only)"
q_ssh "$ip1" ping -c 2 -W 3 -q 198.51.100.1 >/dev/null 2>&1
ok $? "the guest reaches the inet namespace (198.51.100.1) through lia's NAT"
like "$(q_ssh "$ip1" cat /proc/sys/kernel/random/boot_id)" '^[0-9a-f-]{36}$' "commands run in the guest"
like "$("${L[@]}" vm qemu-status v1)" "status running" "vm qemu-status: QEMU says running"

# a second VM: both at once, over the bridge
"${L[@]}" -q vm create v2 --ssh-key "$KEY.pub" --mem-mib 384 --vcpus 1 --volume-mib 64
ip2=$(q_vm_key v2 net.ip)
Q_T0=$(now_ms)
"${L[@]}" -q vm start v2; rc=$?
is "$rc" 0 "vm start v2 ($ip2) while v1 runs"
q_wait_ssh "$ip2" 420; rc=$?
is "$rc" 0 "ssh root@$ip2 answers (ping ${Q_PING_MS:-?} ms, ssh ${Q_SSH_MS:-?} ms)"
if [ $rc -ne 0 ]; then
	diag "v2 record:"; "${L[@]}" vm show v2 2>&1 | sed 's/^/#   /'
	diag "v2 console log tail:"; tail -40 "$S/logs/v2.console.log" | sed 's/^/#   /'
fi
q_ssh "$ip1" ping -c 2 -W 3 -q "$ip2" >/dev/null 2>&1
ok $? "v1 reaches v2 over the bridge"
fp2=$(q_ssh "$ip2" ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub | awk '{print $2}')
[ -n "$fp1" ] && [ -n "$fp2" ] && [ "$fp1" != "$fp2" ]
ok $? "v1 and v2 have different host keys (none baked into the image)"
is "$(q_ssh "$ip1" 'test -e /etc/machine-id && cat /etc/machine-id || echo none')" none "no machine-id baked into the image"

# kill -9 of v2's QEMU: vm list notices, gc cleans
pid2=$(q_vm_key v2 qemu.pid)
kill -9 "$pid2"
sleep 0.5
like "$("${L[@]}" vm list)" "v2 +stopped" "vm list shows v2 stopped after kill -9 of its QEMU"
"${L[@]}" -q gc > "$T/gc.log" 2>&1
ok $? "gc"
test -e "$S/sockets/v2.qmp"; ok $((! $?)) "v2's stale QMP socket is gone after gc"
out=$("${L[@]}" vm start v2 2>&1); rc=$?
is "$rc" 0 "v2 starts again after the crash" || diag "$out"
"${L[@]}" -q vm stop v2 --force
ok $? "vm stop v2 --force"

# graceful stop: the ACPI power button, the guest shuts itself down
t0=$(now_ms)
"${L[@]}" -q vm stop v1; rc=$?
stop_ms=$(( $(now_ms) - t0 ))
is "$rc" 0 "vm stop v1 (graceful, ${stop_ms} ms)"
is "$(q_vm_key v1 qemu.exit_status)" 0 "QEMU exited 0 (the guest powered off)"
like "$(cat "$S/logs/v1.console.log")" "(Power down|reboot: Power down|Will now halt|INIT: Switching to runlevel: 0)" \
	"the guest's own shutdown is in the console log"
kill -0 "$pid" 2>/dev/null && [ "$(awk '{print $3}' /proc/$pid/stat)" != Z ]; ok $((! $?)) "QEMU process gone"
like "$("${L[@]}" vm list)" "v1 +stopped" "vm list: v1 stopped"

"${L[@]}" -q vm destroy v1 && "${L[@]}" -q vm destroy v2
ok $? "vm destroy v1 v2"
out=$("${L[@]}" run teardown 2>&1); rc=$?
is "$rc" 0 "run teardown" || diag "$out"
is "$(q_leftovers)" "" "nothing left: no QEMU, socket, disk or TAP"
ip -n "$HOSTNS" link show lia-br0 >/dev/null 2>&1; ok $((! $?)) "bridge gone"
ip netns exec "$HOSTNS" nft list table ip lia >/dev/null 2>&1; ok $((! $?)) "NAT table gone"
done_testing
