#!/bin/bash
# image-bench.sh - the image plugins' two costs, each against the obvious way, in one
# run, median (min-max) of RUNS (5) interleaved runs.  Not part of `make check`.
#
#  1. per-VM root disk from a 2 GiB template holding 500 MiB of data:
#       lia   = img_clone_file (FICLONE, else copy_file_range over SEEK_DATA extents +
#               ftruncate, then fsync), through `img-drive clone`
#       cp    = cp --sparse=never (what a naive script does; no fsync)
#       cp+sync = the same, then `sync FILE` (same durability as lia)
#  2. writing the image from a tree (the 500 MiB file + a busybox tree):
#       lia   = truncate + mkfs.ext4 -q -F -d TREE -E root_owner=0:0 IMG 2048M
#       loop  = truncate + mkfs.ext4 + mount -o loop + cp -a TREE/. + umount (the seed)
#       loop+sync = the same, then `sync FILE` (mkfs.ext4 -d fsyncs the image itself)
#
#   tests/bench/image-bench.sh [WORK_DIR]    (default: a folder under $TMPDIR)
# Env: top_builddir (for img-drive), RUNS, DATA_MIB.  Needs root (loop mounts).
set -u
top_srcdir=$(cd "$(dirname "$0")/../.." && pwd)
: "${top_builddir:=$top_srcdir}"
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/image-alpine/fixture.sh"
[ "$(id -u)" -eq 0 ] || { echo "needs root (loop mounts)"; exit 1; }
[ -x "$IMG_DRIVE" ] || { echo "img-drive not built: $IMG_DRIVE (make check builds it)"; exit 1; }
RUNS=${RUNS:-5}
DATA_MIB=${DATA_MIB:-500}

T=$(mktemp -d "${1:-${TMPDIR:-/tmp}}/lia-image-bench.XXXXXX")
MNT=$T/mnt
cleanup "rm -rf '$T'"
# every loop device and mount of this run goes, whatever happens
cleanup "mountpoint -q '$MNT' && umount '$MNT'; for d in \$(losetup -j '$T/loop.ext4' -O NAME -n 2>/dev/null); do losetup -d \$d; done"

ms() { echo $(($(date +%s%N) / 1000000)); }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
minmax() { sort -n | awk 'NR==1{lo=$1} {hi=$1} END {print lo "-" hi}'; }
stat_line() { echo "$(median <"$1") ms ($(minmax <"$1"))"; }
ratio() { awk -v a="$(median <"$1")" -v b="$(median <"$2")" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }'; }

echo "# filesystem of $T: $(stat -f -c %T "$T"); $RUNS runs; $DATA_MIB MiB of data"
TREE=$T/tree
mk_tree "$TREE"
head -c $((DATA_MIB * 1048576)) /dev/urandom >"$TREE/data.bin"
TPL=$T/template.ext4
truncate -s 2048M "$TPL"
mkfs.ext4 -q -F -d "$TREE" -E root_owner=0:0 "$TPL" 2048M
echo "# template: $(($(stat -c %s "$TPL") / 1048576)) MiB, $(($(stat -c %b "$TPL") * 512 / 1048576)) MiB allocated"

# ---- 1. per-VM disk ----
: >"$T/lia.ms"; : >"$T/cp.ms"; : >"$T/cpsync.ms"
how=""
for i in $(seq "$RUNS"); do
	rm -f "$T/d.ext4"; sync
	t0=$(ms); how=$("$IMG_DRIVE" clone "$TPL" "$T/d.ext4") || exit 1; t1=$(ms)
	echo $((t1 - t0)) >>"$T/lia.ms"
	cmp -s "$TPL" "$T/d.ext4" || { echo "lia's clone differs from the template"; exit 1; }
	lia_alloc=$(($(stat -c %b "$T/d.ext4") * 512 / 1048576))
	rm -f "$T/d.ext4"; sync
	t0=$(ms); cp --sparse=never "$TPL" "$T/d.ext4"; t1=$(ms)
	echo $((t1 - t0)) >>"$T/cp.ms"
	cp_alloc=$(($(stat -c %b "$T/d.ext4") * 512 / 1048576))
	rm -f "$T/d.ext4"; sync
	t0=$(ms); cp --sparse=never "$TPL" "$T/d.ext4" && sync "$T/d.ext4"; t1=$(ms)
	echo $((t1 - t0)) >>"$T/cpsync.ms"
done
rm -f "$T/d.ext4"
echo
echo "per-VM disk from a 2 GiB template with $DATA_MIB MiB of data (lia: $how)"
printf '  %-28s %-24s %s\n' "lia clone (+fsync)" "$(stat_line "$T/lia.ms")" "$lia_alloc MiB allocated"
printf '  %-28s %-24s %s\n' "cp --sparse=never" "$(stat_line "$T/cp.ms")" "$cp_alloc MiB allocated"
printf '  %-28s %-24s\n' "cp --sparse=never + sync" "$(stat_line "$T/cpsync.ms")"
echo "  ratio cp/lia: $(ratio "$T/cp.ms" "$T/lia.ms")x   (cp+sync)/lia: $(ratio "$T/cpsync.ms" "$T/lia.ms")x"

# ---- 2. image write ----
: >"$T/mkfs.ms"; : >"$T/loop.ms"; : >"$T/loopsync.ms"
mkdir -p "$MNT"
for i in $(seq "$RUNS"); do
	rm -f "$T/mkfs.ext4"; sync
	t0=$(ms)
	truncate -s 2048M "$T/mkfs.ext4"
	mkfs.ext4 -q -F -d "$TREE" -E root_owner=0:0 "$T/mkfs.ext4" 2048M
	t1=$(ms)
	echo $((t1 - t0)) >>"$T/mkfs.ms"
	rm -f "$T/loop.ext4"; sync
	t0=$(ms)
	truncate -s 2048M "$T/loop.ext4"
	mkfs.ext4 -q -F "$T/loop.ext4" 2048M
	mount -o loop "$T/loop.ext4" "$MNT" || { echo "loop mount failed"; exit 1; }
	cp -a "$TREE/." "$MNT/"
	umount "$MNT"
	t1=$(ms)
	echo $((t1 - t0)) >>"$T/loop.ms"
	rm -f "$T/loop.ext4"; sync
	t0=$(ms)
	truncate -s 2048M "$T/loop.ext4"
	mkfs.ext4 -q -F "$T/loop.ext4" 2048M
	mount -o loop "$T/loop.ext4" "$MNT" || { echo "loop mount failed"; exit 1; }
	cp -a "$TREE/." "$MNT/"
	umount "$MNT"
	sync "$T/loop.ext4"
	t1=$(ms)
	echo $((t1 - t0)) >>"$T/loopsync.ms"
	e2fsck -fn "$T/loop.ext4" >/dev/null 2>&1 || { echo "the loop-made image is not clean"; exit 1; }
	e2fsck -fn "$T/mkfs.ext4" >/dev/null 2>&1 || { echo "the mkfs -d image is not clean"; exit 1; }
done
echo
echo "image write from a tree of $DATA_MIB MiB + busybox (2 GiB ext4)"
printf '  %-28s %-24s %s\n' "mkfs.ext4 -d" "$(stat_line "$T/mkfs.ms")" "$(($(stat -c %b "$T/mkfs.ext4") * 512 / 1048576)) MiB allocated"
printf '  %-28s %-24s %s\n' "loop mount + cp -a" "$(stat_line "$T/loop.ms")" "$(($(stat -c %b "$T/loop.ext4") * 512 / 1048576)) MiB allocated"
printf '  %-28s %-24s\n' "loop mount + cp -a + sync" "$(stat_line "$T/loopsync.ms")"
echo "  ratio loop/mkfs: $(ratio "$T/loop.ms" "$T/mkfs.ms")x   (loop+sync)/mkfs: $(ratio "$T/loopsync.ms" "$T/mkfs.ms")x"
left=$(losetup -j "$T/loop.ext4" 2>/dev/null | wc -l)
echo "# loop devices left on the image: $left; mounts left: $(grep -c "$T" /proc/mounts)"
