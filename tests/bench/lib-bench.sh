# Shared by the benchmarks: one summary row per measured goal, appended to $BENCH_SUMMARY
# (set by `make bench`, which prints the table at the end; unset: the row is printed).
#   bench_row WORK NAIVE_WAY NAIVE_MS LIA_MS GOAL
# GOAL is ">=Nx" (NAIVE_MS / LIA_MS at least N), "<=N ms" (LIA_MS at most N),
# "<=+N ms" (LIA_MS at most N above NAIVE_MS) or "<=*N" (LIA_MS at most N times NAIVE_MS:
# the same work at a larger scale).
bench_row() {
	local row
	row=$(awk -v w="$1" -v n="$2" -v a="$3" -v b="$4" -v g="$5" 'BEGIN {
		r = (b > 0) ? a / b : 0
		if (g ~ /^>=/) { x = substr(g, 3) + 0; met = (r >= x) }
		else if (g ~ /^<=\+/) { x = substr(g, 4) + 0; met = (b - a <= x) }
		else if (g ~ /^<=\*/) { x = substr(g, 4) + 0; met = (b <= a * x) }
		else if (g ~ /^<=/) { x = substr(g, 3) + 0; met = (b <= x) }
		else met = 0
		printf "%s|%s: %.1f ms|%.1f ms|%.2fx|%s|%s\n", w, n, a, b, r, g, met ? "yes" : "NO"
	}')
	if [ -n "${BENCH_SUMMARY:-}" ]; then echo "$row" >> "$BENCH_SUMMARY"; else echo "summary: $row"; fi
}

# the table `make bench` prints from $BENCH_SUMMARY
bench_table() {
	awk -F'|' 'BEGIN { printf "%-44s %-36s %-12s %-8s %-12s %s\n", "work", "naive way", "lia", "ratio", "goal", "met"
			   printf "%-44s %-36s %-12s %-8s %-12s %s\n", "----", "---------", "---", "-----", "----", "---" }
		   { printf "%-44s %-36s %-12s %-8s %-12s %s\n", $1, $2, $3, $4, $5, $6 }' "$1"
}

# now_us: microseconds into $_now, read without starting a process (bash 5's
# EPOCHREALTIME): `$(date +%s%N)` forked a shell and date around every sample
now_us() { local t=${EPOCHREALTIME/[.,]/}; _now=$((10#$t)); }
