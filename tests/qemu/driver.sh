#!/bin/bash
# qemu-driver on its own, with the Debian kernel + initramfs (kernel-debian, from the test
# cache) and a tiny busybox root disk (image-dir), no network: the QEMU command line, the
# boot to the root disk's /sbin/init with lia's command line, QMP status, a second start
# refused, SIGKILL after stop_timeout for a guest that ignores the power button, --force,
# kill -9 noticed, an orphaned QEMU killed by gc, a broken kernel rolled back with QEMU's
# own message, and clear errors for a missing binary (naming the Debian package) and for
# accel = "kvm" without KVM.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-qemu.sh"
need_plugin qemu-driver kernel-debian image-dir host
q_need
q_cache
T=$(mk_tmp)
S=$T/state
cleanup "q_kill_all"
mkdir -p "$T/src/bin" "$T/src/sbin" "$T/src/proc" "$T/src/dev" "$T/overlay/etc/init.d"
cp /bin/busybox "$T/src/bin/"
cat > "$T/src/sbin/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
echo "LIA-GUEST: up: $(/bin/busybox cat /proc/cmdline)"
echo "LIA-GUEST: disks: $(cd /dev && /bin/busybox ls -d vd* | /bin/busybox tr '\n' ' ')"
while :; do /bin/busybox sleep 60; done
INIT
chmod +x "$T/src/sbin/init"
for s in lia-init agent-sidecar; do printf '#!/sbin/openrc-run\n' > "$T/overlay/etc/init.d/$s"; chmod +x "$T/overlay/etc/init.d/$s"; done
CONF=$(mk_conf "$T" \
	"host = { require_kvm = false; };" \
	"kernel-debian = { cache_dir = \"$CACHE/kernel-debian\"; };" \
	"image-dir = { source = \"$T/src\"; overlay = \"$T/overlay\"; size_mib = 64; };" \
	"qemu-driver = { accel = \"tcg\"; stop_timeout = 2; boot_args_extra = \"lia.test=1\"; };")
L=("$LIA_CORE" -c "$CONF")
out=$("${L[@]}" run setup --only preflight,dirs,kernel,image 2>&1); rc=$?
is "$rc" 0 "setup: preflight, kernel (kernel-debian), image (image-dir)" || { diag "$out"; done_testing; exit 1; }
like "$out" "qemu-system-x86_64 with TCG" "preflight names the binary and the accelerator"

"${L[@]}" -q vm create v1 --vcpus 1 --mem-mib 256 --volume-mib 8
out=$("${L[@]}" vm start v1 2>&1); rc=$?
is "$rc" 0 "vm start v1" || diag "$out"
like "$out" "started QEMU \(pid [0-9]+, TCG\)" "it says which accelerator"
pid=$(q_vm_key v1 qemu.pid)
argv=$(tr '\0' ' ' < /proc/$pid/cmdline)
like "$argv" "-M microvm,x-option-roms=off,rtc=on -accel tcg,tb-size=64 -smp 1 -m 256 " "microvm, TCG with a capped translation cache, 1 vCPU, 256 MiB"
like "$argv" "-kernel $S/kernel/vmlinux -initrd $S/kernel/initrd " "the kernel phase's vmlinux and initrd"
like "$argv" "-qmp unix:$S/sockets/v1.qmp,server=on,wait=off" "QMP socket under state_dir/sockets"
ls -l /proc/$pid/fd | grep -E 'pipe:|\.lock'; ok $((! $?)) "no pipe or state lock inherited by QEMU"
for _ in $(seq 1 240); do grep -q 'LIA-GUEST: disks' "$S/logs/v1.console.log" 2>/dev/null && break; sleep 0.5; done
con=$(cat "$S/logs/v1.console.log")
like "$con" "LIA-GUEST: up: console=ttyS0 reboot=k panic=1 pci=off quiet init=/sbin/init root=/dev/vda rw tsc_early_khz=[0-9]+ tsc=reliable lia.test=1" \
	"the guest's init runs, with root=, tsc_early_khz and boot_args_extra on its command line"
like "$con" "LIA-GUEST: disks: vda vdb" "root and data disks are vda and vdb"
like "$("${L[@]}" vm qemu-status v1)" "v1: QEMU pid $pid, tcg, status running" "vm qemu-status"
out=$("${L[@]}" vm start v1 2>&1)
like "$out" "already running|already runs" "a second start is refused"
is "$(q_vm_key v1 qemu.pid)" "$pid" "same QEMU"

t0=$(now_ms)
out=$("${L[@]}" vm stop v1 2>&1); rc=$?
ms=$(( $(now_ms) - t0 ))
is "$rc" 0 "vm stop of a guest that ignores the power button (${ms} ms)"
like "$out" "did not power off within 2 s; killing QEMU" "it says it kills after stop_timeout"
is "$(q_vm_key v1 qemu.exit_status)" 137 "exit status 137 (SIGKILL) recorded"
is "$(q_procs)" "" "no QEMU left"
test -e "$S/sockets/v1.qmp"; ok $((! $?)) "QMP socket removed"

"${L[@]}" -q vm start v1 && pid=$(q_vm_key v1 qemu.pid)
t0=$(now_ms); "${L[@]}" -q vm stop v1 --force; rc=$?
is "$rc" 0 "vm stop --force ($(( $(now_ms) - t0 )) ms)"
"${L[@]}" -q vm start v1 && pid=$(q_vm_key v1 qemu.pid)
kill -9 "$pid"; sleep 0.3
like "$("${L[@]}" vm list)" "v1 +stopped" "kill -9: vm list shows v1 stopped"
out=$("${L[@]}" vm start v1 2>&1); rc=$?
is "$rc" 0 "and it starts again (stale socket removed)" || diag "$out"
"${L[@]}" vm show v1 | grep -c 'owns *pid'  > "$T/npid"
is "$(cat "$T/npid")" 1 "the dead QEMU's pid left the ledger; the new one is in it"
"${L[@]}" -q vm stop v1 --force

# an orphan: a QEMU with a QMP socket under state_dir that no record owns
qemu-system-x86_64 -M microvm -accel tcg -nodefaults -display none -S \
	-qmp unix:$S/sockets/orphan.qmp,server=on,wait=off </dev/null >/dev/null 2>&1 &
opid=$!
for _ in $(seq 1 100); do [ -S "$S/sockets/orphan.qmp" ] && break; sleep 0.1; done
out=$("${L[@]}" gc 2>&1); rc=$?
is "$rc" 0 "gc"
like "$out" "killed orphaned QEMU pid $opid" "gc kills a QEMU no VM owns"
wait $opid 2>/dev/null
test -e "$S/sockets/orphan.qmp"; ok $((! $?)) "and removes its socket"

# a kernel QEMU cannot load: rolled back, with QEMU's own words
cp "$S/kernel/vmlinux" "$T/vmlinux.good"
printf 'not a kernel' > "$S/kernel/vmlinux"
out=$("${L[@]}" vm start v1 2>&1); rc=$?
[ $rc -ne 0 ]; ok $? "vm start with a broken kernel fails"
like "$out" "QEMU \(.*\) exited with status 1 (before its QMP socket|right after start)" "the error says QEMU exited"
like "$out" "[Kk]ernel|linux" "with QEMU's message from the console log"
is "$(q_procs)" "" "nothing left running"
test -e "$S/sockets/v1.qmp"; ok $((! $?)) "no QMP socket left"
cp "$T/vmlinux.good" "$S/kernel/vmlinux"

# a missing binary, and accel = "kvm" where there is no KVM
sed -i 's|qemu-driver = { accel = "tcg";|qemu-driver = { binary = "/nonexistent/qemu-system-x86_64"; accel = "tcg";|' "$CONF"
out=$("${L[@]}" vm start v1 2>&1); rc=$?
[ $rc -ne 0 ]; ok $? "a missing QEMU fails vm start"
like "$out" "install the Debian package qemu-system-x86" "and names the Debian package"
out=$("${L[@]}" run setup --only preflight 2>&1); rc=$?
[ $rc -ne 0 ]; ok $? "and preflight"
like "$out" "qemu-system-x86 \(apt-get install qemu-system-x86\)" "preflight names it too"
sed -i 's|binary = "/nonexistent/qemu-system-x86_64"; accel = "tcg";|accel = "kvm";|' "$CONF"
if [ -c /dev/kvm ] && [ -w /dev/kvm ]; then
	skip "this host has KVM: accel = \"kvm\" works here"
	skip "(same)"
else
	out=$("${L[@]}" vm start v1 2>&1); rc=$?
	[ $rc -ne 0 ]; ok $? "accel = \"kvm\" without KVM fails"
	like "$out" "accel = \"kvm\" but /dev/kvm cannot be opened" "and says why"
fi
out=$("${L[@]}" vm destroy v1 2>&1)
ok $? "vm destroy" || diag "$out"
is "$(ls "$S/sockets" "$S/volumes" 2>/dev/null | grep -v ':$' | grep -c .)" 0 "no socket or disk left"
done_testing
