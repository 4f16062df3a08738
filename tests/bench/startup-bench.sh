#!/bin/bash
# startup-bench.sh - what a lia-core command costs before it does anything: `lia-core vm list`
# (no VM) with every shipped plugin configured (conf/lia.conf + conf/conf.d/*.conf), against
# /bin/true and `lia-core --version`, in one run: RUNS (200) interleaved runs each, median
# and the difference to /bin/true.  Goal (issue 13): vm list at most 5 ms above /bin/true.
# Wall time on a loaded machine is mostly waiting for a CPU, so the CPU time (user+sys) the
# children used is reported too: mean over the runs, from bash's `times`.
#   tests/bench/startup-bench.sh
# Also `vm stop` of a VM that is not running: every plugin loaded, nothing done.
# Env: top_builddir, LIA_CORE, LIA_PLUGIN_PATH (as `make bench` sets them), RUNS,
# LIA_CORE_BASELINE (another lia-core, e.g. main's, measured in the same loop; with
# LIA_PLUGIN_PATH_BASELINE, its own plugins).
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
: "${top_builddir:=$PWD}"
: "${LIA_CORE:=$top_builddir/lia-core}"
: "${LIA_PLUGIN_PATH:=$(ls -d "$top_builddir"/plugins/*/.libs | tr '\n' ':')}"
export LIA_PLUGIN_PATH
. "$here/lib-bench.sh"
RUNS=${RUNS:-200}
[ -x "$LIA_CORE" ] || { echo "startup-bench: no lia-core at $LIA_CORE"; exit 1; }

T=$(mktemp -d "${TMPDIR:-/tmp}/lia-startup-bench.XXXXXX")
trap 'rm -rf "$T"' EXIT
mkdir "$T/conf.d" "$T/state"
cp "$top_srcdir/conf/conf.d/"*.conf "$T/conf.d/"
printf 'lia = { state_dir = "%s"; };\n' "$T/state" > "$T/lia.conf"
"$LIA_CORE" -c "$T/lia.conf" plugins > "$T/plugins.out" 2>&1 ||
	{ cat "$T/plugins.out"; echo "startup-bench: the shipped configuration does not load"; exit 1; }
nplug=$(ls "$T/conf.d" | wc -l)

# a VM that is not running: `vm stop` of it loads every plugin (their libraries mapped, their
# settings checked) and stops there, the start-up a per-VM `vm start`/`vm stop` pays
mkdir -p "$T/state/vms"
printf '{"name": "idle", "state": "created", "ledger": [], "data": {}}\n' > "$T/state/vms/idle.json"
# name|command; run interleaved so that load changes hit every command alike
cmds=("true|/bin/true" "version|$LIA_CORE --version" "list|$LIA_CORE -c $T/lia.conf vm list"
	"stop|env LIA_PLUGIN_PATH=$LIA_PLUGIN_PATH $LIA_CORE -q -c $T/lia.conf vm stop idle")
[ -n "${LIA_CORE_BASELINE:-}" ] && cmds+=("list_base|$LIA_CORE_BASELINE -c $T/lia.conf vm list"
	"stop_base|env LIA_PLUGIN_PATH=${LIA_PLUGIN_PATH_BASELINE:-$LIA_PLUGIN_PATH} $LIA_CORE_BASELINE -q -c $T/lia.conf vm stop idle")
for c in "${cmds[@]}"; do : > "$T/${c%%|*}.us"; echo 0 > "$T/${c%%|*}.cpu"; done
# children's user+sys CPU time in microseconds, from the output of bash's `times` (to the ms)
# saved in FILE; the snapshots are taken with no other process started in between
cpu_us() { awk 'NR == 2 { n = 0; for (i = 1; i <= 2; i++) { split($i, p, "m"); n += p[1] * 60 + p[2] + 0 } printf "%d", n * 1e6 }' "$1"; }
for i in $(seq "$RUNS"); do
	for c in "${cmds[@]}"; do
		read -ra argv <<< "${c#*|}"
		times > "$T/c0"
		t0=$EPOCHREALTIME
		"${argv[@]}" > /dev/null 2>&1 || { echo "startup-bench: ${c#*|} failed"; exit 1; }
		t1=$EPOCHREALTIME
		times > "$T/c1"
		echo $(( ${t1/./} - ${t0/./} )) >> "$T/${c%%|*}.us"
		echo $(( $(cat "$T/${c%%|*}.cpu") + $(cpu_us "$T/c1") - $(cpu_us "$T/c0") )) > "$T/${c%%|*}.cpu"
	done
done
cpu() { awk -v r="$RUNS" '{printf "%.2f", $1 / r / 1000}' "$T/$1.cpu"; }
med() { sort -n "$T/$1.us" | awk '{a[NR]=$1} END {printf "%.2f", ((NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2) / 1000}'; }
echo "# load: $(cut -d' ' -f1-3 /proc/loadavg); $RUNS interleaved runs each; $nplug shipped plugin files configured"
echo "# libraries lia-core maps for vm list: $(LD_DEBUG=files "$LIA_CORE" -c "$T/lia.conf" vm list 2>&1 >/dev/null | grep -c 'calling init')"
for c in "${cmds[@]}"; do
	n=${c%%|*}
	printf '  %-11s wall %8s ms (+%s)   cpu %6s ms (+%s)   %s\n' "$n" "$(med "$n")" \
		"$(awk -v a="$(med "$n")" -v b="$(med true)" 'BEGIN {printf "%.2f", a - b}')" \
		"$(cpu "$n")" "$(awk -v a="$(cpu "$n")" -v b="$(cpu true)" 'BEGIN {printf "%.2f", a - b}')" "${c#*|}"
done
bench_row "start-up: vm list, every plugin (wall)" "/bin/true" "$(med true)" "$(med list)" "<=+5 ms"
bench_row "start-up: vm list, every plugin (cpu)" "/bin/true" "$(cpu true)" "$(cpu list)" "<=+5 ms"
[ -n "${LIA_CORE_BASELINE:-}" ] && echo "  ratio baseline/now for vm stop (every plugin loaded): wall $(awk -v a="$(med stop_base)" -v b="$(med stop)" 'BEGIN {printf "%.2f", a / b}')x, cpu $(awk -v a="$(cpu stop_base)" -v b="$(cpu stop)" 'BEGIN {printf "%.2f", a / b}')x"
[ -n "${LIA_CORE_BASELINE:-}" ] && echo "  ratio baseline/now for vm list: wall $(awk -v a="$(med list_base)" -v b="$(med list)" 'BEGIN {printf "%.2f", a / b}')x, cpu $(awk -v a="$(cpu list_base)" -v b="$(cpu list)" 'BEGIN {printf "%.2f", a / b}')x"
exit 0
