#!/bin/bash
# Benchmark: a 256 MiB file from a loopback server through lia's download service
# (tests/download/dl-test: libcurl + SHA-256 while streaming + fsync + rename) versus
# `curl -o` of the same file.  Runs are interleaved; prints medians of RUNS (5) and the
# ratio.  Not part of `make check`:  tests/bench/download-bench.sh [DEST_DIR]
# DEST_DIR defaults to a folder under $TMPDIR (disk); pass /dev/shm to leave the disk out.
# Env: top_builddir (for dl-test), RUNS, SIZE_MIB.
set -u
top_srcdir=$(cd "$(dirname "$0")/../.." && pwd)
: "${top_builddir:=$top_srcdir}"
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/download/common.sh"
[ -x "$DL_TEST" ] || { echo "dl-test not built: $DL_TEST (make check builds it)"; exit 1; }
RUNS=${RUNS:-5}
SIZE_MIB=${SIZE_MIB:-256}

T=$(mk_tmp)
DEST=${1:-$T/dest}
mkdir -p "$T/root" "$DEST"
[ "$DEST" = "$T/dest" ] || cleanup "rm -f '$DEST/lia.bin' '$DEST/curl.bin' '$DEST/lia.bin.part'"
head -c $((SIZE_MIB * 1048576)) /dev/urandom > "$T/root/big.bin"
SUM=$(sha256_of "$T/root/big.bin")
start_server "$T/srv" "$T/root"
URL="$BASE/big.bin"

ms() { echo $(( $(date +%s%N) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
minmax() { sort -n | awk 'NR==1{lo=$1} {hi=$1} END {print lo "-" hi}'; }

: > "$T/lia.ms"; : > "$T/curl.ms"; : > "$T/null.ms"
curl -s -o /dev/null "$URL" # warm the page cache and the server
for i in $(seq "$RUNS"); do
	rm -f "$DEST/lia.bin" "$DEST/curl.bin"
	t0=$(ms)
	out=$("$DL_TEST" -q "$URL" "$DEST/lia.bin" "$SUM") || { echo "lia download failed"; exit 1; }
	t1=$(ms)
	curl -s -o "$DEST/curl.bin" "$URL" || { echo "curl failed"; exit 1; }
	t2=$(ms)
	curl -s -o /dev/null "$URL"
	t3=$(ms)
	echo $((t1 - t0)) >> "$T/lia.ms"
	echo $((t2 - t1)) >> "$T/curl.ms"
	echo $((t3 - t2)) >> "$T/null.ms"
	case $out in fetched=1\ sha256=$SUM*) ;; *) echo "unexpected lia result: $out"; exit 1 ;; esac
done
L=$(median < "$T/lia.ms"); C=$(median < "$T/curl.ms"); N=$(median < "$T/null.ms")
echo "file: ${SIZE_MIB} MiB from tests/range_server.py (sendfile) on 127.0.0.1, written to $DEST"
echo "lia (dl-test: SHA-256 + fsync + rename): median ${L} ms ($(minmax < "$T/lia.ms")), runs: $(tr '\n' ' ' < "$T/lia.ms")"
echo "curl -o:                                 median ${C} ms ($(minmax < "$T/curl.ms")), runs: $(tr '\n' ' ' < "$T/curl.ms")"
echo "curl -o /dev/null (server ceiling):      median ${N} ms ($(minmax < "$T/null.ms"))"
awk -v l="$L" -v c="$C" 'BEGIN { r = l / c; printf "ratio lia/curl: %.2f (%s 1.2)\n", r, r <= 1.2 ? "within" : "OVER" }'
