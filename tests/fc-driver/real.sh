#!/bin/bash
# fc-driver against a REAL Firecracker ($FIRECRACKER, or `firecracker` on PATH) with the
# tiny test guest (tests/guest) as kernel, net-bridge/net-tap in a namespace of our own
# when they work here.
#   always:            every configuration call accepted by the real API server; a call
#                      that fails (a broken kernel at InstanceStart) is rolled back cleanly
#   with /dev/kvm:     boot, console marker, TAP attached, vsock socket, graceful stop
#                      (exit 0), SIGKILL of a guest that ignores the keyboard, --force, a
#                      guest that resets by itself shows stopped
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-fc.sh"
FC=$(fc_real_binary) || skip_all "no real Firecracker: set FIRECRACKER=/path/to/firecracker or put it on PATH"
command -v mkfs.ext4 >/dev/null || skip_all "mkfs.ext4 is not installed"
diag "using $FC ($("$FC" --version 2>/dev/null | head -1))"

NET=1
if ! fc_net_env "$FC"; then NET=0; fc_env "$FC"; fi
KVM=0
[ -c /dev/kvm ] && [ -r /dev/kvm ] && [ -w /dev/kvm ] && KVM=1
"${L[@]}" -q vm create v1 --vcpus 1 --mem-mib 128 || bail "vm create failed"

count_ok() { grep -c 'Status code: 204' "$S/logs/v1.fc.log"; true; }
ncalls=8
[ $NET = 1 ] && ncalls=9

# 1. a kernel that passes lia's ELF check but that Firecracker cannot load: InstanceStart
#    fails in the real server, after every other call was accepted -> full rollback
cp "$S/kernel/vmlinux" "$T/vmlinux.good"
printf '\177ELF\2\1\1\0garbage' > "$S/kernel/vmlinux"
out=$("${L[@]}" vm start v1 2>&1); rc=$?
is "$rc" 1 "broken kernel: vm start fails"
like "$out" "Firecracker rejected PUT /actions for VM 'v1' \\(HTTP 400\\): Start microvm error" "the real fault_message is reported"
is "$(count_ok)" $((ncalls - 1)) "every call before InstanceStart accepted by the real server ($((ncalls - 1)))"
like "$(cat "$S/logs/v1.fc.log")" 'Put request on "/vsock"' "the vsock device was configured"
is "$(fc_leftovers)" "" "rollback: no process or socket left"
if [ $NET = 1 ]; then is "$(ip -n "$NS" -o link show | grep -c 'tap-')" 0 "rollback: no TAP left"; else skip "network plugins unavailable here"; fi

# 2. the same under the jailer (JAILER=path, or `jailer` next to the firecracker binary):
#    files hard-linked into the chroot, chroot-relative API paths, jail removed on rollback.
#    In an environment of its own without network plugins: `ip netns exec` remounts /sys,
#    hiding the cgroup hierarchy the jailer needs (it panics), and a TAP must never be
#    opened from the host's namespace.
JAILER=${JAILER:-$(dirname "$FC")/jailer}
if [ -x "$JAILER" ] && [ "$(id -u)" -eq 0 ]; then
	saved=("$T" "$S" "$CONF" "${L[@]}")
	FC_DRIVER_EXTRA="jailer = true; jailer_binary = \"$JAILER\"; chroot_base = \"@JAIL@\";"
	fc_env "$FC"
	FC_DRIVER_EXTRA=""
	sed -i "s|@JAIL@|$T/jail|" "$CONF"
	"${L[@]}" -q vm create v1 --vcpus 1 --mem-mib 128
	printf '\177ELF\2\1\1\0garbage' > "$S/kernel/vmlinux"
	out=$("${L[@]}" vm start v1 2>&1); rc=$?
	is "$rc" 1 "jailer, broken kernel: vm start fails at InstanceStart"
	like "$out" "Firecracker rejected PUT /actions for VM 'v1' \\(HTTP 400\\)" "jailer: the real fault_message is reported"
	is "$(count_ok)" 7 "jailer: every call before InstanceStart accepted inside the chroot (7)"
	like "$(cat "$S/logs/v1.fc.log")" 'kernel_image_path[^,]*/vmlinux' "jailer: chroot-relative kernel path"
	test -e "$T/jail/$(basename "$FC")/v1"; ok $((! $?)) "jailer: the jail was removed"
	is "$(fc_leftovers)" "" "jailer: no process or socket left"
	"${L[@]}" -q vm destroy v1
	T=${saved[0]}; S=${saved[1]}; CONF=${saved[2]}; L=("${saved[@]:3}")
else
	for t in fails fault count path removed leftovers; do skip "jailer $t: no jailer binary next to $FC (set JAILER) or not root"; done
fi
cp "$T/vmlinux.good" "$S/kernel/vmlinux"

if [ $KVM = 0 ]; then
	# what this host allows: the tiny guest is configured, then KVM is missing
	out=$("${L[@]}" vm start v1 2>&1); rc=$?
	is "$rc" 1 "without /dev/kvm the start fails at InstanceStart"
	like "$out" "PUT /actions .*(KVM|kvm)" "with Firecracker's KVM error"
	is "$(fc_leftovers)" "" "and is rolled back"
	for t in "boot the tiny guest" "console marker" "TAP attached" "vsock socket" "graceful stop exit 0" \
		"guest saw the key" "SIGKILL after stop_timeout" "--force" "guest exits by itself"; do
		skip "$t: no usable /dev/kvm on this host"
	done
	"${L[@]}" -q vm destroy v1
	done_testing
	exit $?
fi

wait_console() { # PATTERN
	wait_for 60 grep -q "$1" "$S/logs/v1.console.log"
}

"${L[@]}" -q vm start v1; ok $? "boot the tiny guest"
wait_console 'LIA-GUEST: up'; ok $? "console marker in logs/v1.console.log"
if [ $NET = 1 ]; then
	like "$(ip -n "$NS" -o link show "$(vm_key v1 net.tap)")" 'LOWER_UP' "TAP attached"
else
	skip "TAP attached: network plugins unavailable here"
fi
test -S "$(vm_key v1 vsock.uds)"; ok $? "vsock socket created by firecracker"
"${L[@]}" -q vm stop v1; ok $? "graceful stop"
is "$(vm_key v1 fc.exit_status)" 0 "firecracker exited 0 (guest reset through the i8042)"
wait_console 'LIA-GUEST: key'; ok $? "guest saw the key"
is "$(fc_leftovers)" "" "nothing left"

cp "$GUESTS/guest-nokbd.elf" "$S/kernel/vmlinux"
"${L[@]}" -q vm start v1 && wait_console 'LIA-GUEST: up'
t0=$(date +%s%N)
"${L[@]}" -q vm stop v1 2>/dev/null
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
is "$(vm_key v1 fc.exit_status)" 137 "guest ignoring the keyboard: SIGKILL after stop_timeout (${ms} ms)"
"${L[@]}" -q vm start v1
t0=$(date +%s%N)
"${L[@]}" -q vm stop --force v1
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$ms" -lt $(slack 1500) ] && [ "$(vm_key v1 fc.exit_status)" = 137 ]; ok $? "--force kills at once (${ms} ms)"

cp "$GUESTS/guest-exit.elf" "$S/kernel/vmlinux"
"${L[@]}" -q vm start v1
wait_console 'LIA-GUEST: resetting'
state_is() { [ "$(vm_key "$1" state)" = "$2" ]; }
wait_for 60 state_is v1 stopped
is "$(vm_key v1 state)" stopped "guest exits by itself: vm show says stopped"
"${L[@]}" -q vm stop v1
is "$(fc_leftovers)" "" "nothing left"
"${L[@]}" -q vm destroy v1
done_testing
