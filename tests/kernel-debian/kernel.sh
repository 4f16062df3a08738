#!/bin/bash
# kernel-debian: the guest kernel from Debian's linux-image-cloud-amd64, fetched with the
# host's apt into a cache (LIA_TEST_CACHE, shared with the QEMU tests), never installed:
# the uncompressed PVH vmlinux, the initramfs (busybox-static + virtio/vsock modules in
# dependency order + /init), a re-run that does nothing, a `deb` path, clear errors, undo;
# and the kernel + initramfs boot a busybox root disk under QEMU to its /sbin/init.
. "$(dirname "$0")/../lib.sh"
need_root
for p in apt-get dpkg-deb readelf mkfs.ext4; do command -v $p >/dev/null || skip_all "$p is not installed"; done
[ -x /bin/busybox ] || skip_all "busybox-static is not installed"
apt-cache show linux-image-cloud-amd64 >/dev/null 2>&1 || skip_all "apt knows no linux-image-cloud-amd64 here"
CACHE=${LIA_TEST_CACHE:-/var/cache/lia-test}
mkdir -p "$CACHE/kernel-debian"
T=$(mk_tmp)
S=$T/state
CONF=$(mk_conf "$T" "kernel-debian = { cache_dir = \"$CACHE/kernel-debian\"; };")
L=("$LIA_CORE" -c "$CONF")

out=$("${L[@]}" run setup --only preflight,dirs,kernel 2>&1); rc=$?
is "$rc" 0 "setup --only kernel" || diag "$out"
like "$out" "wrote $S/kernel/vmlinux and initrd from vmlinuz-[^ ]+-cloud-amd64" "it says what it wrote"
like "$(file -b "$S/kernel/vmlinux" 2>/dev/null || head -c 4 "$S/kernel/vmlinux" | od -c)" "ELF 64-bit|ELF" "vmlinux is an ELF image"
readelf -n "$S/kernel/vmlinux" 2>/dev/null | grep -q 'Unknown note type: (0x00000012)'
ok $? "vmlinux has the PVH entry note (Xen note 0x12)"
mkdir -p "$T/ir" && (cd "$T/ir" && zcat "$S/kernel/initrd" | busybox cpio -i -d 2>/dev/null)
test -x "$T/ir/init" && test -x "$T/ir/bin/busybox" && test -c "$T/ir/dev/console"
ok $? "initramfs: /init, /bin/busybox, /dev/console"
order=$(tr '\n' ' ' < "$T/ir/lib/modules/load")
like "$order" "^virtio_ring virtio virtio_mmio virtio_blk failover net_failover virtio_net vsock vmw_vsock_virtio_transport_common vmw_vsock_virtio_transport virtio_rng button evdev $" \
	"modules in dependency order ($order)"
n=$(ls "$T/ir/lib/modules/"*.ko | wc -l)
is "$n" 13 "every listed module is in the archive"
deb=$(ls "$CACHE/kernel-debian/"linux-image-*-cloud-amd64_*.deb | head -1)
test -f "$deb"; ok $? "the package is in the cache ($(basename "$deb"))"
like "$(cat "$S/host/kernel-debian.json" 2>/dev/null)" "$(basename "$deb")" "the memo records the package version"
dpkg -l 'linux-image-*-cloud-amd64' 2>/dev/null | grep -q '^ii'; ok $((! $?)) "nothing installed on the host"

m1=$(stat -c %Y.%i "$S/kernel/vmlinux" "$S/kernel/initrd")
out=$("${L[@]}" run setup --only kernel 2>&1); rc=$?
is "$rc" 0 "a second setup succeeds"
[[ "$out" != *wrote* && "$out" != *"apt-get download"* ]]; ok $? "and does nothing (same package version)"
is "$(stat -c %Y.%i "$S/kernel/vmlinux" "$S/kernel/initrd")" "$m1" "vmlinux and initrd untouched"

# a .deb path instead of apt
CONF2=$(mk_conf "$T/c2" "kernel-debian = { deb = \"$deb\"; };")
sed -i "s|state_dir = .*|state_dir = \"$T/s2\";|" "$CONF2"
out=$("$LIA_CORE" -c "$CONF2" run setup --only dirs,kernel 2>&1); rc=$?
is "$rc" 0 "deb = a local .deb path" || diag "$out"
cmp -s "$T/s2/kernel/vmlinux" "$S/kernel/vmlinux"; ok $? "the same vmlinux"

# clear errors
CONF3=$(mk_conf "$T/c3" "kernel-debian = { deb = \"$T/nope.deb\"; };")
sed -i "s|state_dir = .*|state_dir = \"$T/s3\";|" "$CONF3"
out=$("$LIA_CORE" -c "$CONF3" run setup --only dirs,kernel 2>&1); rc=$?
[ $rc -ne 0 ]; ok $? "a missing .deb fails"
like "$out" "kernel-debian.deb = \"$T/nope.deb\" cannot be read" "and names the file"
mkdir -p "$T/fake/DEBIAN" "$T/fake/usr/share/x"
printf 'Package: fake\nVersion: 1\nArchitecture: all\nMaintainer: x <x@x>\nDescription: x\n' > "$T/fake/DEBIAN/control"
dpkg-deb -b "$T/fake" "$T/fake.deb" >/dev/null 2>&1
sed -i "s|$T/nope.deb|$T/fake.deb|" "$CONF3"
out=$("$LIA_CORE" -c "$CONF3" run setup --only dirs,kernel 2>&1); rc=$?
[ $rc -ne 0 ]; ok $? "a package without a kernel fails"
like "$out" "has no boot/vmlinuz" "and says why"
test -e "$T/s3/kernel/vmlinux"; ok $((! $?)) "nothing half-made"
is "$(ls -A "$T/s3/kernel" 2>/dev/null)" "" "no scratch folder left"
CONF4=$(mk_conf "$T/c4" "kernel-debian = { package = \"no-such-kernel-package-lia\"; };")
sed -i "s|state_dir = .*|state_dir = \"$T/s4\";|" "$CONF4"
out=$("$LIA_CORE" -c "$CONF4" run setup --only dirs,kernel 2>&1); rc=$?
[ $rc -ne 0 ]; ok $? "an unknown package fails"
like "$out" "no-such-kernel-package-lia" "and names it"

# the kernel and initramfs boot a busybox root to its init (QEMU, TCG unless KVM)
if command -v qemu-system-x86_64 >/dev/null; then
	mkdir -p "$T/bb/bin" "$T/bb/sbin" "$T/bb/proc"
	cp /bin/busybox "$T/bb/bin/"
	printf '#!/bin/busybox sh\n/bin/busybox mount -t proc p /proc\necho "LIA-ROOT: $(/bin/busybox cat /proc/cmdline)"\n/bin/busybox ls /dev/vda\n/bin/busybox poweroff -f\n' > "$T/bb/sbin/init"
	chmod +x "$T/bb/sbin/init"
	truncate -s 32M "$T/bb.ext4" && mkfs.ext4 -q -d "$T/bb" "$T/bb.ext4"
	khz=$(awk -F: '/cpu MHz/{printf "%d", $2*1000; exit}' /proc/cpuinfo)
	timeout 120 qemu-system-x86_64 -M microvm,x-option-roms=off,rtc=on -accel tcg,tb-size=64 -smp 1 -m 256 \
		-nodefaults -no-user-config -display none -no-reboot -kernel "$S/kernel/vmlinux" -initrd "$S/kernel/initrd" \
		-append "console=ttyS0 reboot=k panic=1 quiet tsc_early_khz=$khz tsc=reliable root=/dev/vda rw" \
		-drive id=vda,file="$T/bb.ext4",format=raw,if=none -device virtio-blk-device,drive=vda \
		-serial file:"$T/console.log" >/dev/null 2>&1
	like "$(cat "$T/console.log")" "LIA-ROOT: console=ttyS0" "QEMU boots the vmlinux + initramfs into the root disk's /sbin/init"
else
	skip "QEMU is not installed: boot not tried"
fi

out=$("${L[@]}" run teardown --only kernel 2>&1); rc=$?
is "$rc" 0 "teardown --only kernel"
test -e "$S/kernel/vmlinux" || test -e "$S/kernel/initrd"; ok $((! $?)) "vmlinux and initrd removed"
test -f "$deb"; ok $? "a configured cache_dir is left alone"
done_testing
