#!/bin/bash
# tests/bench/vm-bench.sh - `vm start` up to InstanceStart acknowledged: lia-core versus the
# seed's way (a shell script starting firecracker and making the same API calls with
# curl --unix-socket), against the same VMM, in one run: medians of RUNS and the ratio.
# Then N VMs started concurrently: VMs per second.
#
#   tests/bench/vm-bench.sh            (from a build tree: needs lia-core, the plugins,
#                                       tests/fcdouble/fcdouble and tests/guest/*.elf)
# Environment: BENCH_VMM=double|real (default: real when $FIRECRACKER/PATH has one AND
# /dev/kvm works, else the test double), RUNS (5), N (50), top_builddir, LIA_CORE,
# LIA_PLUGIN_PATH (as `make check` sets them; defaults derived from top_builddir).
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
: "${top_builddir:=$PWD}"
: "${LIA_CORE:=$top_builddir/lia-core}"
: "${LIA_PLUGIN_PATH:=$(ls -d "$top_builddir"/plugins/*/.libs | tr '\n' ':')}"
export top_srcdir top_builddir LIA_CORE LIA_PLUGIN_PATH
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/fc-driver/lib-fc.sh"
RUNS=${RUNS:-5}
N=${N:-50}
. "$here/lib-bench.sh" # bench_row, now_us

real=$(fc_real_binary || true)
if [ -z "${BENCH_VMM:-}" ]; then
	BENCH_VMM=double
	[ -n "$real" ] && [ -c /dev/kvm ] && [ -w /dev/kvm ] && BENCH_VMM=real
fi
if [ "$BENCH_VMM" = real ]; then VMM=$real; else VMM=$FCDOUBLE; fi
[ -x "$VMM" ] || { echo "vm-bench: no VMM binary ($BENCH_VMM)"; exit 1; }
echo "# VMM: $BENCH_VMM ($VMM)"

# lia: host + fc-driver + image-dir + vsock (its ready wait off: we measure up to
# InstanceStart, like the script)
FC_DRIVER_EXTRA=""
fc_env "$VMM"
sed -i 's/vsock = { ready_timeout = 2; };/vsock = { ready_port = 0; };/' "$CONF"

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}'; }

"${L[@]}" -q vm create b1 || { echo "vm create failed"; exit 1; }
lia_times=()
hook_ms=()
for r in $(seq "$RUNS"); do
	now_us; t0=$_now
	"${L[@]}" vm start b1 > "$T/start.out" 2>&1 || { cat "$T/start.out"; echo "vm start failed"; exit 1; }
	now_us; lia_times+=($((_now - t0)))
	# the fc-driver hook alone (spawn, socket wait, every API call, InstanceStart)
	hook_ms+=($(sed -n 's/.*vm\/boot: fc-driver: ok (\([0-9.]*\) ms).*/\1/p' "$T/start.out"))
	"${L[@]}" -q vm stop --force b1
done

# the seed's way, same VMM, same files, same calls
ROOT=$(vm_key b1 disk.root); DATA=$(vm_key b1 disk.data)
SOCK=$T/seed.api; VS=$T/seed.vsock; LOG=$T/seed.log; MET=$T/seed.metrics
seed_start() {
	rm -f "$SOCK" "$VS"
	: > "$LOG"; : > "$MET"
	"$VMM" --api-sock "$SOCK" --id seed > "$T/seed.console" 2>&1 &
	SEED_PID=$!
	until curl -s --unix-socket "$SOCK" http://localhost/ > /dev/null 2>&1; do sleep 0.01; done
	put() { curl -s -f --unix-socket "$SOCK" -X PUT -H 'Accept: application/json' \
		-H 'Content-Type: application/json' "http://localhost$1" -d "$2" > /dev/null || echo "seed: $1 failed"; }
	put /logger "{\"log_path\":\"$LOG\",\"level\":\"Info\",\"show_level\":true,\"show_log_origin\":false}"
	put /metrics "{\"metrics_path\":\"$MET\"}"
	put /boot-source "{\"kernel_image_path\":\"$S/kernel/vmlinux\",\"boot_args\":\"console=ttyS0 reboot=k panic=1 pci=off init=/sbin/init\"}"
	put /machine-config '{"vcpu_count":2,"mem_size_mib":1024,"smt":false}'
	put /drives/rootfs "{\"drive_id\":\"rootfs\",\"path_on_host\":\"$ROOT\",\"is_root_device\":true,\"is_read_only\":false}"
	put /drives/data "{\"drive_id\":\"data\",\"path_on_host\":\"$DATA\",\"is_root_device\":false,\"is_read_only\":false}"
	put /vsock "{\"guest_cid\":99,\"uds_path\":\"$VS\"}"
	put /actions '{"action_type":"InstanceStart"}'
}
seed_times=()
for r in $(seq "$RUNS"); do
	now_us; t0=$_now
	seed_start
	now_us; seed_times+=($((_now - t0)))
	kill -9 "$SEED_PID"; wait "$SEED_PID" 2>/dev/null
done
rm -f "$SOCK" "$VS"

# what the harness itself costs per sample: starting a process that does nothing
true_times=()
for r in $(seq "$RUNS"); do
	now_us; t0=$_now
	/bin/true > "$T/true.out" 2>&1
	now_us; true_times+=($((_now - t0)))
done
true_med=$(printf '%s\n' "${true_times[@]}" | median)
lia_med=$(printf '%s\n' "${lia_times[@]}" | median)
seed_med=$(printf '%s\n' "${seed_times[@]}" | median)
echo "lia-core vm start   (us): ${lia_times[*]}  median $lia_med"
echo "seed curl script    (us): ${seed_times[*]}  median $seed_med"
echo "/bin/true           (us): ${true_times[*]}  median $true_med"
echo "  of lia: fc-driver boot hook (ms): ${hook_ms[*]}  median $(printf '%s\n' "${hook_ms[@]}" | sort -n | sed -n "$(( (${#hook_ms[@]} + 1) / 2 ))p")"
awk -v a="$seed_med" -v b="$lia_med" 'BEGIN { printf "ratio seed/lia: %.2fx\n", a / b }'
hook_med=$(printf '%s\n' "${hook_ms[@]}" | sort -n | sed -n "$(( (${#hook_ms[@]} + 1) / 2 ))p")
echo "# load: $(cut -d' ' -f1-3 /proc/loadavg)"
bench_row "vm start to InstanceStart ($BENCH_VMM)" "shell + curl" "$(awk -v u="$seed_med" 'BEGIN {print u / 1000}')" \
	"$(awk -v u="$lia_med" 'BEGIN {print u / 1000}')" ">=5x"
# lia's own work: everything but the fc-driver boot hook (which holds the VMM's API time)
bench_row "vm start, lia's work outside the VMM hook" "shell + curl" "$(awk -v u="$seed_med" 'BEGIN {print u / 1000}')" \
	"$(awk -v u="$lia_med" -v h="${hook_med:-0}" 'BEGIN {print u / 1000 - h}')" "<=5 ms"
bench_row "... less a process start (/bin/true)" "shell + curl" "$(awk -v u="$seed_med" 'BEGIN {print u / 1000}')" \
	"$(awk -v u="$lia_med" -v h="${hook_med:-0}" -v t="$true_med" 'BEGIN {print (u - t) / 1000 - h}')" "<=5 ms"
"${L[@]}" -q vm destroy b1

# N VMs started concurrently (created beforehand, not timed)
for i in $(seq -w 1 "$N"); do "${L[@]}" -q vm create "c$i" & done; wait
now_us; t0=$_now
for i in $(seq -w 1 "$N"); do "${L[@]}" -q vm start "c$i" & done
fails=0
for j in $(jobs -p); do wait "$j" || fails=$((fails + 1)); done
now_us; us=$((_now - t0))
awk -v n="$N" -v us="$us" -v f="$fails" 'BEGIN { printf "%d VMs started concurrently in %.2f s: %.1f VMs/s (%d failed)\n", n, us / 1e6, n / (us / 1e6), f }'
for i in $(seq -w 1 "$N"); do ( "${L[@]}" -q vm stop --force "c$i"; "${L[@]}" -q vm destroy "c$i" ) & done; wait
left=$(fc_leftovers)
[ -z "$left" ] || { echo "vm-bench: leftovers:"; echo "$left"; }
