#!/bin/bash
# tests/bench/qemu-bench.sh - a real guest from `vm start` to ssh answering: through lia
# (net-tap's TAP and address are made by `vm create`, outside the timing; `vm start` =
# net-up + QEMU + QMP checks) versus the SAME QEMU command run by hand (the argv of lia's
# QEMU, with its own TAP, disk copy and address made by hand beforehand), same kernel,
# initrd and image, alternating, in one run.  Medians of RUNS, the ratio, and the times to
# the first ping and to ssh.  KVM when the host has it, else TCG.
#
#   tests/bench/qemu-bench.sh           (from a build tree, as root; LIA_TEST_CACHE as the tests)
# Environment: RUNS (3), WAIT (400 s per boot), top_builddir, LIA_CORE, LIA_PLUGIN_PATH.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
: "${top_builddir:=$PWD}"
: "${LIA_CORE:=$top_builddir/lia-core}"
: "${LIA_PLUGIN_PATH:=$(ls -d "$top_builddir"/plugins/*/.libs | tr '\n' ':')}"
: "${LIA_ROOTFS_OVERLAY:=$top_srcdir/rootfs}"
export top_srcdir top_builddir LIA_CORE LIA_PLUGIN_PATH LIA_ROOTFS_OVERLAY
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/qemu/lib-qemu.sh"
need_plugin qemu-driver kernel-debian image-debian net-bridge net-tap vsock host
RUNS=${RUNS:-3}
WAIT=${WAIT:-400} # seconds a guest may take to answer ssh (a loaded 2-core machine: minutes)
q_need
q_env
q_setup || { tail -20 "$T/setup.log"; echo "qemu-bench: setup failed"; exit 1; }

median() { sort -n | awk '{a[NR]=$1} END {if (NR == 0) print "?"; else if (NR % 2) print a[(NR+1)/2]; else print int((a[NR/2]+a[NR/2+1])/2)}'; }

HAND_IP=172.16.0.250
ip -n "$HOSTNS" tuntap add dev tap-hand mode tap || { echo "qemu-bench: cannot create a TAP"; exit 1; }
ip -n "$HOSTNS" link set tap-hand master lia-br0 up
cleanup "ip -n '$HOSTNS' link del tap-hand"

lia_ping=() lia_ssh=() hand_ping=() hand_ssh=()
argv=()
for i in $(seq 1 "$RUNS"); do
	# --- through lia
	"${L[@]}" -q vm create b$i --ssh-key "$KEY.pub" --mem-mib 384 --vcpus 1 --volume-mib 64 || exit 1
	ip=$(q_vm_key b$i net.ip)
	Q_T0=$(now_ms)
	"${L[@]}" -q vm start b$i || { echo "qemu-bench: vm start failed"; exit 1; }
	if q_wait_ssh "$ip" "$WAIT"; then
		lia_ping+=("$Q_PING_MS") lia_ssh+=("$Q_SSH_MS")
		echo "run $i lia:     ping ${Q_PING_MS} ms, ssh ${Q_SSH_MS} ms"
	else
		echo "run $i lia:     no ssh within $WAIT s (left out of the medians)"
	fi
	if [ ${#argv[@]} -eq 0 ]; then
		pid=$(q_vm_key b$i qemu.pid)
		mapfile -d '' argv < "/proc/$pid/cmdline"
		tap=$(q_vm_key b$i net.tap)
		mac=$(q_vm_key b$i net.mac)
		root=$(q_vm_key b$i disk.root)
		data=$(q_vm_key b$i disk.data)
		cp --sparse=always "$S/rootfs/rootfs.ext4" "$T/hand.root.ext4"
		truncate -s 64M "$T/hand.data.ext4" && mkfs.ext4 -q "$T/hand.data.ext4"
		for k in "${!argv[@]}"; do
			a=${argv[$k]}
			a=${a//$root/$T/hand.root.ext4}
			a=${a//$data/$T/hand.data.ext4}
			a=${a//ifname=$tap,/ifname=tap-hand,}
			a=${a//mac=$mac/mac=06:00:ac:10:00:fa}
			a=${a//lia.ip=$ip /lia.ip=$HAND_IP }
			a=${a//$S\/logs\/b$i.console.log/$T/hand.console.log}
			a=${a//$S\/sockets\/b$i.qmp/$T/hand.qmp}
			[ "$a" = "b$i" ] && a=hand
			argv[$k]=$a
		done
	fi
	"${L[@]}" -q vm stop b$i --force
	"${L[@]}" -q vm destroy b$i

	# --- the same QEMU by hand
	cp --sparse=always "$S/rootfs/rootfs.ext4" "$T/hand.root.ext4"
	rm -f "$T/hand.qmp"
	Q_T0=$(now_ms)
	ip netns exec "$HOSTNS" setsid "${argv[@]}" </dev/null >"$T/hand.out" 2>&1 &
	hpid=$!
	if q_wait_ssh "$HAND_IP" "$WAIT"; then
		hand_ping+=("$Q_PING_MS") hand_ssh+=("$Q_SSH_MS")
		echo "run $i by hand: ping ${Q_PING_MS} ms, ssh ${Q_SSH_MS} ms"
	else
		echo "run $i by hand: no ssh within $WAIT s (left out of the medians)"
	fi
	kill -9 $hpid; wait $hpid 2>/dev/null
done

accel=tcg; [ -c /dev/kvm ] && [ -w /dev/kvm ] && accel=kvm
lp=$(printf '%s\n' "${lia_ping[@]}" | median) ls=$(printf '%s\n' "${lia_ssh[@]}" | median)
hp=$(printf '%s\n' "${hand_ping[@]}" | median) hs=$(printf '%s\n' "${hand_ssh[@]}" | median)
echo
echo "qemu-bench ($accel, $RUNS runs, medians):"
printf '  %-34s %8s %8s\n' "" "ping" "ssh"
printf '  %-34s %6s ms %6s ms\n' "lia-core vm start" "$lp" "$ls" "same QEMU command by hand" "$hp" "$hs"
awk -v a="$ls" -v b="$hs" 'BEGIN { if (b > 0) printf "  ratio lia / by hand (ssh): %.3f\n", a / b }'
