#!/bin/bash
# net-bench.sh - TAP set-up and removal for 150 VMs: lia versus the seed's helper
# scripts, side by side, each run in a fresh network namespace, median of 5 runs.
#
#   up:   seed  = per TAP `ip tuntap add` + `ip link set master` + `ip link set up` (450 processes)
#         lia   = per VM `lia-core vm start` (net-up: TAP, master, up, group in one process)
#         batch = one `lia-core vm start v1 ... v150` (lia-core's start-up paid once)
#   down: seed  = per TAP `ip link set down` + `ip link delete` (300 processes)
#         lia   = per VM `lia-core vm stop` (net-down: one RTM_DELLINK each)
#         batch = one `lia-core vm stop v1 ... v150`
#         gc    = `lia-core gc` after the records are gone (crash clean-up): one group delete
# Also reported: the time net-tap's net-up hook itself takes inside lia-core (from the
# per-hook timing lia-core prints), summed over the 150 VMs.
#
# The floor of one process per VM (issue 13, goal 2 asks 5x the seed with it):
#   exec   = 150 x /bin/true, one exec per VM that does no work
#   kernel = the seed's own netlink work with no process per command: one `ip -batch`
#            of its 450 (up) or 300 (down) commands
#   ceiling = seed / (exec + kernel): the best ratio any one-process-per-VM tool could reach
#   tmpfs  = lia per VM, and the batches, with state_dir on tmpfs: the difference to the
#            normal run is the durable record saves (fsync of each record and its folder,
#            and the file system's own work: a new inode per save, the old one's blocks
#            freed), which the seed does not do
#
# Environment: LIA_CORE (lia-core), LIA_PLUGIN_PATH (plugin dirs); N (150), RUNS (5);
# LIA_CORE_BASELINE: another lia-core (e.g. main's) whose per-VM start and stop and
# one-process batch start and stop are measured in the same runs, in a namespace and state directory
# of its own (LIA_PLUGIN_PATH_BASELINE: its plugins, default LIA_PLUGIN_PATH).
# Needs root; never touches the host's own network namespace.
set -u
N=${N:-150}
RUNS=${RUNS:-5}
here=$(cd "$(dirname "$0")" && pwd)
self="$here/$(basename "$0")"

ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

# ---- inner commands: run inside the namespace by `ip netns exec NS $self --inner ...`
if [ "${1:-}" = "--inner" ]; then
	what=$2 conf=${3:-}
	case $what in
	seed-up)
		for i in $(seq 1 "$N"); do
			ip tuntap add dev "tap-vm-v$i" mode tap || exit 1
			ip link set "tap-vm-v$i" master lia-br0 || exit 1
			ip link set "tap-vm-v$i" up || exit 1
		done ;;
	seed-down)
		for i in $(seq 1 "$N"); do
			ip link set "tap-vm-v$i" down || exit 1
			ip link delete "tap-vm-v$i" || exit 1
		done ;;
	floor-exec)
		for i in $(seq 1 "$N"); do /bin/true || exit 1; done ;;
	kernel-batch) # the seed's commands, all in one ip process
		ip -batch "$conf" || exit 1 ;;
	lia-create)
		for i in $(seq 1 "$N"); do "$LIA_CORE" -q -c "$conf" vm create "v$i" >/dev/null || exit 1; done ;;
	lia-up)
		for i in $(seq 1 "$N"); do "$LIA_CORE" -c "$conf" vm start "v$i" 2>&1 || exit 1; done ;;
	lia-up-batch)
		"$LIA_CORE" -q -c "$conf" vm start $(seq -f 'v%g' 1 "$N") >/dev/null 2>&1 || exit 1 ;;
	base-create)
		for i in $(seq 1 "$N"); do "$LIA_CORE_BASELINE" -q -c "$conf" vm create "v$i" >/dev/null || exit 1; done ;;
	base-up-batch)
		"$LIA_CORE_BASELINE" -q -c "$conf" vm start $(seq -f 'v%g' 1 "$N") >/dev/null 2>&1 || exit 1 ;;
	base-down-batch)
		"$LIA_CORE_BASELINE" -q -c "$conf" vm stop $(seq -f 'v%g' 1 "$N") >/dev/null 2>&1 || exit 1 ;;
	base-up)
		for i in $(seq 1 "$N"); do "$LIA_CORE_BASELINE" -q -c "$conf" vm start "v$i" >/dev/null || exit 1; done ;;
	base-down)
		for i in $(seq 1 "$N"); do "$LIA_CORE_BASELINE" -q -c "$conf" vm stop "v$i" >/dev/null || exit 1; done ;;
	lia-down)
		for i in $(seq 1 "$N"); do "$LIA_CORE" -q -c "$conf" vm stop "v$i" >/dev/null || exit 1; done ;;
	lia-down-batch)
		"$LIA_CORE" -q -c "$conf" vm stop $(seq -f 'v%g' 1 "$N") >/dev/null 2>&1 || exit 1 ;;
	lia-gc)
		"$LIA_CORE" -q -c "$conf" gc >/dev/null || exit 1 ;;
	esac
	exit 0
fi

[ "$(id -u)" -eq 0 ] || { echo "net-bench: needs root" >&2; exit 77; }
: "${LIA_CORE:?set LIA_CORE to the lia-core binary}"
: "${LIA_PLUGIN_PATH:?set LIA_PLUGIN_PATH to the plugin directories}"
export LIA_CORE LIA_PLUGIN_PATH N LIA_CORE_BASELINE

T=$(mktemp -d "${TMPDIR:-/tmp}/lia-bench.XXXXXX")
# state on tmpfs, for the run without disk syncs (none when /dev/shm is not tmpfs)
S=""
[ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ] && S=$(mktemp -d /dev/shm/lia-bench.XXXXXX)
ns="" saved_ns=""
trap 'for n in $ns $saved_ns; do ip netns delete "$n" 2>/dev/null; done; rm -rf "$T" ${S:+"$S"}' EXIT

# the seed's commands for ip -batch: the kernel's work without a process per command
for i in $(seq 1 "$N"); do
	echo "tuntap add dev tap-vm-v$i mode tap"
	echo "link set tap-vm-v$i master lia-br0"
	echo "link set tap-vm-v$i up"
done > "$T/kernel-up.batch"
for i in $(seq 1 "$N"); do
	echo "link set tap-vm-v$i down"
	echo "link delete tap-vm-v$i"
done > "$T/kernel-down.batch"

new_ns() {
	[ -n "$ns" ] && ip netns delete "$ns"
	ns="liabench-$$-$1"
	ip netns add "$ns" && ip -n "$ns" link set lo up
}
count_taps() { ip -n "$ns" -br link | grep -c '^tap-vm-'; }
inner() { ip netns exec "$ns" "$self" --inner "$@"; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
minmax() { sort -n | awk 'NR==1{m=$1} {x=$1} END {print m "-" x}'; }

lia_plugin_path=$LIA_PLUGIN_PATH
declare -A R
for run in $(seq 1 "$RUNS"); do
	# seed's way
	new_ns "s$run"
	ip -n "$ns" link add lia-br0 type bridge && ip -n "$ns" link set lia-br0 up
	t=$(date +%s%N); inner seed-up || { echo "seed up failed" >&2; exit 1; }; R[seed_up]+="$(ms "$t") "
	[ "$(count_taps)" -eq "$N" ] || { echo "seed up: $(count_taps) TAPs" >&2; exit 1; }
	t=$(date +%s%N); inner seed-down || { echo "seed down failed" >&2; exit 1; }; R[seed_down]+="$(ms "$t") "
	[ "$(count_taps)" -eq 0 ] || { echo "seed down left TAPs" >&2; exit 1; }
	# the floor: one exec per VM doing nothing; the same netlink work in one process
	t=$(date +%s%N); inner floor-exec || exit 1; R[floor_exec]+="$(ms "$t") "
	t=$(date +%s%N); inner kernel-batch "$T/kernel-up.batch" || { echo "ip -batch up failed" >&2; exit 1; }
	R[kernel_up]+="$(ms "$t") "
	[ "$(count_taps)" -eq "$N" ] || { echo "ip -batch up: $(count_taps) TAPs" >&2; exit 1; }
	t=$(date +%s%N); inner kernel-batch "$T/kernel-down.batch" || { echo "ip -batch down failed" >&2; exit 1; }
	R[kernel_down]+="$(ms "$t") "
	[ "$(count_taps)" -eq 0 ] || { echo "ip -batch down left TAPs" >&2; exit 1; }

	# lia
	new_ns "l$run"
	rm -rf "$T/state"
	cat > "$T/lia.conf" <<CONF
lia = { state_dir = "$T/state"; plugin_dir = "$T/none"; };
net-bridge = { nat = false; unit_dir = "$T/units"; };
net-tap = { };
CONF
	ip netns exec "$ns" "$LIA_CORE" -q -c "$T/lia.conf" run setup --only network >/dev/null ||
		{ echo "lia setup failed" >&2; exit 1; }
	inner lia-create "$T/lia.conf" || { echo "lia create failed" >&2; exit 1; }
	t=$(date +%s%N); inner lia-up "$T/lia.conf" > "$T/up.out" || { echo "lia vm start failed: $(tail -3 "$T/up.out")" >&2; exit 1; }
	R[lia_up]+="$(ms "$t") "
	[ "$(count_taps)" -eq "$N" ] || { echo "lia up: $(count_taps) TAPs" >&2; exit 1; }
	R[hook_up]+="$(grep -o 'net-up: net-tap: ok ([0-9.]* ms)' "$T/up.out" | grep -o '[0-9.]* ms' |
		awk '{s+=$1} END {printf "%d", s}') "
	t=$(date +%s%N)
	if inner lia-down "$T/lia.conf"; then
		R[lia_down]+="$(ms "$t") "
		[ "$(count_taps)" -eq 0 ] || { echo "lia vm stop left TAPs" >&2; exit 1; }
		# up again, all VMs in one lia-core process, then the gc measurement
		t=$(date +%s%N)
		inner lia-up-batch "$T/lia.conf" || { echo "lia batch start failed" >&2; exit 1; }
		R[lia_up_batch]+="$(ms "$t") "
		[ "$(count_taps)" -eq "$N" ] || { echo "lia batch up: $(count_taps) TAPs" >&2; exit 1; }
		t=$(date +%s%N)
		inner lia-down-batch "$T/lia.conf" || { echo "lia batch stop failed" >&2; exit 1; }
		R[lia_down_batch]+="$(ms "$t") "
		[ "$(count_taps)" -eq 0 ] || { echo "lia batch down left $(count_taps) TAPs" >&2; exit 1; }
		inner lia-up-batch "$T/lia.conf" || { echo "lia batch start failed" >&2; exit 1; }
	else
		echo "lia vm stop failed; skipping its measurement" >&2
	fi
	if [ -n "${LIA_CORE_BASELINE:-}" ]; then
		# the baseline lia-core's batch start, in a namespace and state of its own
		saved_ns=$ns; ns=""
		new_ns "b$run"
		mkdir -p "$T/base"; rm -rf "$T/base/state"
		sed "s|$T/state|$T/base/state|; s|$T/units|$T/base/units|" "$T/lia.conf" > "$T/base/lia.conf"
		export LIA_PLUGIN_PATH=${LIA_PLUGIN_PATH_BASELINE:-$LIA_PLUGIN_PATH} # for its process only
		ip netns exec "$ns" "$LIA_CORE_BASELINE" -q -c "$T/base/lia.conf" run setup --only network >/dev/null &&
			inner base-create "$T/base/lia.conf" || { echo "baseline setup failed" >&2; exit 1; }
		t=$(date +%s%N)
		inner base-up "$T/base/lia.conf" || { echo "baseline vm start failed" >&2; exit 1; }
		R[base_up]+="$(ms "$t") "
		[ "$(count_taps)" -eq "$N" ] || { echo "baseline up: $(count_taps) TAPs" >&2; exit 1; }
		t=$(date +%s%N)
		inner base-down "$T/base/lia.conf" || { echo "baseline vm stop failed" >&2; exit 1; }
		R[base_down]+="$(ms "$t") "
		[ "$(count_taps)" -eq 0 ] || { echo "baseline down left $(count_taps) TAPs" >&2; exit 1; }
		t=$(date +%s%N)
		inner base-up-batch "$T/base/lia.conf" || { echo "baseline batch start failed" >&2; exit 1; }
		R[base_up_batch]+="$(ms "$t") "
		[ "$(count_taps)" -eq "$N" ] || { echo "baseline batch up: $(count_taps) TAPs" >&2; exit 1; }
		t=$(date +%s%N)
		inner base-down-batch "$T/base/lia.conf" || { echo "baseline batch stop failed" >&2; exit 1; }
		R[base_down_batch]+="$(ms "$t") "
		[ "$(count_taps)" -eq 0 ] || { echo "baseline batch down left $(count_taps) TAPs" >&2; exit 1; }
		export LIA_PLUGIN_PATH=$lia_plugin_path
		ip netns delete "$ns"; ns=$saved_ns saved_ns=""
	fi
	if [ -n "$S" ]; then
		# lia per VM again, its state on tmpfs: what the durable record saves cost
		saved_ns=$ns; ns=""
		new_ns "t$run"
		rm -rf "$S/state"
		sed "s|$T/state|$S/state|; s|$T/units|$S/units|" "$T/lia.conf" > "$S/lia.conf"
		ip netns exec "$ns" "$LIA_CORE" -q -c "$S/lia.conf" run setup --only network >/dev/null &&
			inner lia-create "$S/lia.conf" || { echo "tmpfs setup failed" >&2; exit 1; }
		t=$(date +%s%N)
		inner lia-up "$S/lia.conf" >/dev/null || { echo "tmpfs vm start failed" >&2; exit 1; }
		R[tmpfs_up]+="$(ms "$t") "
		[ "$(count_taps)" -eq "$N" ] || { echo "tmpfs up: $(count_taps) TAPs" >&2; exit 1; }
		t=$(date +%s%N)
		inner lia-down "$S/lia.conf" || { echo "tmpfs vm stop failed" >&2; exit 1; }
		R[tmpfs_down]+="$(ms "$t") "
		[ "$(count_taps)" -eq 0 ] || { echo "tmpfs down left $(count_taps) TAPs" >&2; exit 1; }
		# and the batches: what the group commits' disk work costs them
		t=$(date +%s%N)
		inner lia-up-batch "$S/lia.conf" || { echo "tmpfs batch start failed" >&2; exit 1; }
		R[tmpfs_up_batch]+="$(ms "$t") "
		[ "$(count_taps)" -eq "$N" ] || { echo "tmpfs batch up: $(count_taps) TAPs" >&2; exit 1; }
		t=$(date +%s%N)
		inner lia-down-batch "$S/lia.conf" || { echo "tmpfs batch stop failed" >&2; exit 1; }
		R[tmpfs_down_batch]+="$(ms "$t") "
		[ "$(count_taps)" -eq 0 ] || { echo "tmpfs batch down left $(count_taps) TAPs" >&2; exit 1; }
		ip netns delete "$ns"; ns=$saved_ns saved_ns=""
	fi
	# the records vanish (a crash, a wiped state dir): gc removes the 150 orphans
	rm -f "$T"/state/vms/*
	t=$(date +%s%N); inner lia-gc "$T/lia.conf" || { echo "lia gc failed" >&2; exit 1; }; R[lia_gc]+="$(ms "$t") "
	[ "$(count_taps)" -eq 0 ] || { echo "lia gc left $(count_taps) TAPs" >&2; exit 1; }
done

row() { # label key
	local v=${R[$2]:-}
	[ -n "$v" ] || { printf '%-66s %s\n' "$1" "not measured"; return; }
	printf '%-66s %8s ms  (%s)\n' "$1" "$(echo $v | tr ' ' '\n' | median)" "$(echo $v | tr ' ' '\n' | minmax)"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1fx", a / b; else print "n/a" }'; }
med() { echo ${R[$1]:-0} | tr ' ' '\n' | median; }

echo "net-bench: $N TAPs, median of $RUNS runs (min-max), each run in a fresh network namespace"
row "up:   seed, 3 ip processes per TAP ($((3 * N)) processes)" seed_up
row "up:   lia, one lia-core vm start per VM ($N processes)" lia_up
row "      of which net-tap's net-up hook (sum over $N VMs)" hook_up
[ -n "$S" ] && row "up:   lia, one vm start per VM, state_dir on tmpfs (no disk sync)" tmpfs_up
[ -n "${LIA_CORE_BASELINE:-}" ] && row "up:   baseline lia-core, one vm start per VM" base_up
row "up:   lia, one lia-core vm start for all $N VMs (1 process)" lia_up_batch
[ -n "$S" ] && row "up:   lia, one vm start for all, state_dir on tmpfs (no disk work)" tmpfs_up_batch
[ -n "${LIA_CORE_BASELINE:-}" ] && row "up:   baseline lia-core, one vm start for all $N VMs" base_up_batch
row "down: seed, ip link set down + delete ($((2 * N)) processes)" seed_down
row "down: lia, one lia-core vm stop per VM ($N processes)" lia_down
[ -n "$S" ] && row "down: lia, one vm stop per VM, state_dir on tmpfs (no disk sync)" tmpfs_down
[ -n "${LIA_CORE_BASELINE:-}" ] && row "down: baseline lia-core, one vm stop per VM" base_down
row "down: lia, one lia-core vm stop for all $N VMs (1 process)" lia_down_batch
[ -n "$S" ] && row "down: lia, one vm stop for all, state_dir on tmpfs (no disk work)" tmpfs_down_batch
[ -n "${LIA_CORE_BASELINE:-}" ] && row "down: baseline lia-core, one vm stop for all $N VMs" base_down_batch
row "down: lia gc, orphans in one group delete (1 process)" lia_gc
row "floor: $N x /bin/true (one exec per VM, no work)" floor_exec
row "floor: kernel work up, one ip -batch of $((3 * N)) commands" kernel_up
row "floor: kernel work down, one ip -batch of $((2 * N)) commands" kernel_down
echo "ratio up   (seed / lia vm start):        $(ratio "$(med seed_up)" "$(med lia_up)")"
echo "ratio up   (seed / net-up hook work):    $(ratio "$(med seed_up)" "$(med hook_up)")"
echo "ratio up   (seed / one vm start for all): $(ratio "$(med seed_up)" "$(med lia_up_batch)")"
[ -n "${LIA_CORE_BASELINE:-}" ] && echo "ratio up   (baseline / lia, one vm start per VM):  $(ratio "$(med base_up)" "$(med lia_up)")"
[ -n "${LIA_CORE_BASELINE:-}" ] && echo "ratio up   (baseline / lia, one vm start for all): $(ratio "$(med base_up_batch)" "$(med lia_up_batch)")"
echo "ratio down (seed / lia vm stop):         $(ratio "$(med seed_down)" "$(med lia_down)")"
echo "ratio down (seed / one vm stop for all): $(ratio "$(med seed_down)" "$(med lia_down_batch)")"
[ -n "${LIA_CORE_BASELINE:-}" ] && echo "ratio down (baseline / lia, one vm stop for all): $(ratio "$(med base_down_batch)" "$(med lia_down_batch)")"
echo "ratio down (seed / lia gc):              $(ratio "$(med seed_down)" "$(med lia_gc)")"
[ -n "${LIA_CORE_BASELINE:-}" ] && echo "ratio down (baseline / lia, one vm stop per VM):   $(ratio "$(med base_down)" "$(med lia_down)")"
# the best one process per VM could do: an exec that does no work, plus the kernel's work
sum() { awk -v a="$1" -v b="$2" 'BEGIN { print a + b }'; }
floor_up=$(sum "$(med floor_exec)" "$(med kernel_up)")
floor_down=$(sum "$(med floor_exec)" "$(med kernel_down)")
echo "ceiling up   (seed / (exec floor + kernel work)): $(ratio "$(med seed_up)" "$floor_up"); lia per VM $(ratio "$(med seed_up)" "$(med lia_up)"); goal 5x"
echo "ceiling down (seed / (exec floor + kernel work)): $(ratio "$(med seed_down)" "$floor_down"); lia per VM $(ratio "$(med seed_down)" "$(med lia_down)"); goal 5x"
if [ -n "$S" ]; then
	echo "  lia per VM beyond the floor, up:   $(awk -v a="$(med lia_up)" -v f="$floor_up" -v t="$(med tmpfs_up)" -v n="$N" 'BEGIN { printf "%.1f ms per VM, of which durable record saves %.1f ms", (a - f) / n, (a - t) / n }')"
	echo "  lia per VM beyond the floor, down: $(awk -v a="$(med lia_down)" -v f="$floor_down" -v t="$(med tmpfs_down)" -v n="$N" 'BEGIN { printf "%.1f ms per VM, of which durable record saves %.1f ms", (a - f) / n, (a - t) / n }')"
fi
. "$here/lib-bench.sh"
echo "# load: $(cut -d' ' -f1-3 /proc/loadavg)"
bench_row "net-up, one vm start per VM ($N)" "3 ip per TAP" "$(med seed_up)" "$(med lia_up)" ">=5x"
bench_row "net-down, one vm stop per VM ($N)" "2 ip per TAP" "$(med seed_down)" "$(med lia_down)" ">=5x"
bench_row "net-up, ceiling of one process per VM" "3 ip per TAP" "$(med seed_up)" "$floor_up" ">=5x"
bench_row "net-down, ceiling of one process per VM" "2 ip per TAP" "$(med seed_down)" "$floor_down" ">=5x"
bench_row "net-up, one vm start for all $N" "3 ip per TAP" "$(med seed_up)" "$(med lia_up_batch)" ">=25x"
bench_row "net-down, one vm stop for all $N" "2 ip per TAP" "$(med seed_down)" "$(med lia_down_batch)" ">=25x"
