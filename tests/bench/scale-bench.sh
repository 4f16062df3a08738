#!/bin/bash
# scale-bench.sh - what one VM costs as the number of VMs grows (issue 13, goal 7): `vm create`
# and `vm list` in a state directory of SMALL (100) records and one of BIG (2000), side by
# side, interleaved, RUNS (9) runs each, medians.  Records only: the records are written
# straight into state_dir/vms/ (three leases each, like net-tap + vsock), and the create
# takes three leases through the stub plugin (a peek and a take each), so the work measured
# is lia-core's own: finding free leases and writing the record.
#   tests/bench/scale-bench.sh
# Env: top_builddir, LIA_CORE (as `make bench` sets them), RUNS, SMALL, BIG,
# LIA_CORE_BASELINE (another lia-core, e.g. main's, measured in the same loop).
# Wall time and CPU time (user + sys of the child, from bash's `times`, to the ms).
# Goals: create at BIG costs at most 1.2x create at SMALL; vm list stays linear (per VM at
# BIG at most 1.2x per VM at SMALL).  Also shown, without a goal: a create right after a
# record was renamed behind lia-core's back (vms/ no longer matches the index's stamp, so
# the create reads the directory: core/state_index.h).
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
: "${top_builddir:=$PWD}"
: "${LIA_CORE:=$top_builddir/lia-core}"
. "$here/lib-bench.sh"
RUNS=${RUNS:-9}
SMALL=${SMALL:-100}
BIG=${BIG:-2000}
[ -x "$LIA_CORE" ] || { echo "scale-bench: no lia-core at $LIA_CORE"; exit 1; }
command -v "${CC:-cc}" >/dev/null || { echo "scale-bench: no C compiler for the stub plugin"; exit 1; }

T=$(mktemp -d "${TMPDIR:-/tmp}/lia-scale-bench.XXXXXX")
trap 'rm -rf "$T"' EXIT
. "$top_srcdir/tests/stubs/build.sh"
stub_build "$T/plugins" stub_a stub-a || { echo "scale-bench: cannot compile the stub plugin"; exit 1; }
export LIA_PLUGIN_PATH=$T/plugins

# populate DIR N: N records as lia writes them (stopped VMs holding ip4, tap and cid leases)
populate() {
	mkdir -p "$1/state/vms"
	cat > "$1/lia.conf" <<CONF
lia = { state_dir = "$1/state"; plugin_dir = "$T/none"; };
stub-a = { log = "/dev/null"; leases = ["ip4", "tap", "cid"]; lease_max = 100000; };
CONF
	awk -v n="$2" -v d="$1/state/vms" 'BEGIN {
		for (i = 1; i <= n; i++) {
			f = sprintf("%s/r%d.json", d, i)
			printf "{\n  \"created_at\": \"2026-01-01T00:00:00Z\",\n  \"data\": {\n" > f
			printf "    \"net.ip\": \"172.16.%d.%d\",\n    \"net.tap\": \"tap-vm-r%d\",\n", i / 256, i % 256, i > f
			printf "    \"stub.lease.cid\": %d,\n    \"stub.lease.ip4\": %d,\n    \"stub.lease.tap\": %d,\n", i, i, i > f
			printf "    \"vsock.cid\": %d\n  },\n  \"ledger\": [\n", i + 2 > f
			printf "    {\n      \"id\": \"%d\",\n      \"kind\": \"lease:ip4\",\n      \"plugin\": \"stub-a\"\n    },\n", i > f
			printf "    {\n      \"id\": \"%d\",\n      \"kind\": \"lease:tap\",\n      \"plugin\": \"stub-a\"\n    },\n", i > f
			printf "    {\n      \"id\": \"%d\",\n      \"kind\": \"lease:cid\",\n      \"plugin\": \"stub-a\"\n    }\n  ],\n", i > f
			printf "  \"mem_mib\": 1024,\n  \"name\": \"r%d\",\n", i > f
			printf "  \"owner\": {\n    \"pid\": 1,\n    \"start\": 1\n  },\n  \"state\": \"stopped\",\n" > f
			printf "  \"updated_at\": \"2026-01-01T00:00:00Z\",\n  \"vcpus\": 2,\n  \"volume_mib\": 1024\n}\n" > f
			close(f)
		}
	}'
}

cores=("$LIA_CORE")
[ -n "${LIA_CORE_BASELINE:-}" ] && cores+=("$LIA_CORE_BASELINE")
# each lia-core its own state directories: two index formats in one would make each one's
# index stale for the other after every command
for s in "$SMALL" "$BIG"; do for k in "${!cores[@]}"; do populate "$T/s$s.$k" "$s"; done; done
now() { echo "${EPOCHREALTIME/./}"; }
# the CPU time (user + sys, us) children used, from two snapshots of bash's `times` (to
# the ms) taken in this shell with no other child in between
cpu_us() { awk 'NR == 2 { n = 0; for (i = 1; i <= 2; i++) { split($i, p, "m"); n += p[1] * 60 + p[2] + 0 } printf "%d", n * 1e6 }' "$1"; }
# one untimed create + destroy in each: a lia-core that keeps an index builds it here
for s in "$SMALL" "$BIG"; do
	for k in "${!cores[@]}"; do
		c=${cores[$k]}
		"$c" -q -c "$T/s$s.$k/lia.conf" vm create warm && "$c" -q -c "$T/s$s.$k/lia.conf" vm destroy warm ||
			{ echo "scale-bench: vm create at $s records failed"; exit 1; }
	done
done
for r in $(seq "$RUNS"); do
	for s in "$SMALL" "$BIG"; do
		for k in "${!cores[@]}"; do
			c=${cores[$k]}
			times > "$T/c0"
			t0=$EPOCHREALTIME
			"$c" -q -c "$T/s$s.$k/lia.conf" vm create "x$r" || { echo "scale-bench: vm create failed"; exit 1; }
			t1=$EPOCHREALTIME
			times > "$T/c1"
			echo $(( ${t1/./} - ${t0/./} )) >> "$T/create.$k.$s"
			echo $(( $(cpu_us "$T/c1") - $(cpu_us "$T/c0") )) >> "$T/ccpu.$k.$s"
			t0=$(now)
			"$c" -c "$T/s$s.$k/lia.conf" vm list > "$T/list.out" || { echo "scale-bench: vm list failed"; exit 1; }
			echo $(( $(now) - t0 )) >> "$T/list.$k.$s"
			[ "$(grep -c '^[rx][0-9]* ' "$T/list.out")" -eq $((s + 1)) ] ||
				{ echo "scale-bench: vm list shows $(grep -c '^[rx]' "$T/list.out") VMs, not $((s + 1))"; exit 1; }
			"$c" -q -c "$T/s$s.$k/lia.conf" vm destroy "x$r" || { echo "scale-bench: vm destroy failed"; exit 1; }
			# a rename behind the index (the record stays the same file)
			mv "$T/s$s.$k/state/vms/r1.json" "$T/s$s.$k/state/vms/r1.json.moved"
			mv "$T/s$s.$k/state/vms/r1.json.moved" "$T/s$s.$k/state/vms/r1.json"
			t0=$(now)
			"$c" -q -c "$T/s$s.$k/lia.conf" vm create "y$r" || { echo "scale-bench: vm create failed"; exit 1; }
			echo $(( $(now) - t0 )) >> "$T/foreign.$k.$s"
			"$c" -q -c "$T/s$s.$k/lia.conf" vm destroy "y$r" || { echo "scale-bench: vm destroy failed"; exit 1; }
		done
	done
done
med() { sort -n "$T/$1" | awk '{a[NR]=$1} END {printf "%.2f", ((NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2) / 1000}'; }
echo "# load: $(cut -d' ' -f1-3 /proc/loadavg); $RUNS interleaved runs; medians in ms"
for k in "${!cores[@]}"; do
	[ "$k" -eq 0 ] && tag=lia || tag=baseline
	printf '  %-9s vm create: %8s at %d records, %8s at %d (x%s); cpu %s, %s (x%s)   vm list: %8s at %d, %8s at %d\n' "$tag" \
		"$(med "create.$k.$SMALL")" "$SMALL" "$(med "create.$k.$BIG")" "$BIG" \
		"$(awk -v a="$(med "create.$k.$SMALL")" -v b="$(med "create.$k.$BIG")" 'BEGIN {printf "%.2f", b / a}')" \
		"$(med "ccpu.$k.$SMALL")" "$(med "ccpu.$k.$BIG")" \
		"$(awk -v a="$(med "ccpu.$k.$SMALL")" -v b="$(med "ccpu.$k.$BIG")" 'BEGIN {printf "%.2f", b / a}')" \
		"$(med "list.$k.$SMALL")" "$SMALL" "$(med "list.$k.$BIG")" "$BIG"
	printf '  %-9s vm create after a rename behind the index: %8s at %d, %8s at %d (x%s)\n' "$tag" \
		"$(med "foreign.$k.$SMALL")" "$SMALL" "$(med "foreign.$k.$BIG")" "$BIG" \
		"$(awk -v a="$(med "foreign.$k.$SMALL")" -v b="$(med "foreign.$k.$BIG")" 'BEGIN {printf "%.2f", b / a}')"
done
bench_row "vm create at $BIG records vs at $SMALL" "create at $SMALL records" "$(med "create.0.$SMALL")" \
	"$(med "create.0.$BIG")" "<=*1.2"
bench_row "vm create at $BIG vs $SMALL (cpu)" "create at $SMALL records" "$(med "ccpu.0.$SMALL")" \
	"$(med "ccpu.0.$BIG")" "<=*1.2"
# linear: the cost per VM listed at BIG at most 1.2x the cost per VM at SMALL
bench_row "vm list per VM at $BIG vs at $SMALL (x1000)" "per VM at $SMALL records" \
	"$(awk -v t="$(med "list.0.$SMALL")" -v n="$SMALL" 'BEGIN {print t / (n + 1) * 1000}')" \
	"$(awk -v t="$(med "list.0.$BIG")" -v n="$BIG" 'BEGIN {print t / (n + 1) * 1000}')" "<=*1.2"
exit 0
