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
#       lia   = img_write_image (plugins/image-common/build.c + bulk.c), through
#               `img-drive write-image`: the large files moved aside, mkfs.ext4 -d for the
#               rest, debugfs gives them blocks, their data copied in by copy_file_range,
#               fsync.  It moves files out of its tree: each run gets a fresh `cp -a` of
#               TREE (not timed, then `sync`), as lia's build has its own staging folder
#       mkfs -d = truncate + mkfs.ext4 -q -F -d TREE -E root_owner=0:0,lazy_itable_init=1,
#               lazy_journal_init=1 IMG 2048M (build.c's options; what lia did before, and
#               its fallback: LIA_IMAGE_WRITE=mkfs or no debugfs)
#       loop  = truncate + mkfs.ext4 + losetup + mount + cp -a TREE/. + umount + losetup -d
#               (the seed)
#       loop+sync = the same, then `sync FILE` (mkfs.ext4 -d fsyncs the image itself)
#
#  3. per-VM disk on XFS with reflinks (a loop-mounted XFS made on a file, mkfs.xfs -m
#     reflink=1): lia's clone of the 2 GiB template (FICLONE, then fsync) against
#     cp --reflink=never (a sparse copy); timed around the img-drive process and, for the
#     FICLONE path alone, inside it (IMG_DRIVE_TIME)
#
#   tests/bench/image-bench.sh [WORK_DIR]    (default: a folder under $TMPDIR)
# Env: top_builddir (for img-drive), RUNS, DATA_MIB.  Needs root (loop mounts).
set -u
top_srcdir=$(cd "$(dirname "$0")/../.." && pwd)
: "${top_builddir:=$top_srcdir}"
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/image-alpine/fixture.sh"
. "$top_srcdir/tests/bench/lib-bench.sh"
[ "$(id -u)" -eq 0 ] || { echo "needs root (loop mounts)"; exit 1; }
[ -x "$IMG_DRIVE" ] || { echo "img-drive not built: $IMG_DRIVE (make check builds it)"; exit 1; }
RUNS=${RUNS:-5}
DATA_MIB=${DATA_MIB:-500}

T=$(mktemp -d "${1:-${TMPDIR:-/tmp}}/lia-image-bench.XXXXXX")
MNT=$T/mnt
XMNT=$T/xfs
LOOPS=$T/loops # every loop device this run attached, one a line
cleanup "rm -rf '$T'"
# every mount and loop device of this run goes, whatever happens (the exit trap of
# tests/lib.sh runs this first).  `mount -o loop` left one behind: its loop device was
# detached lazily (autoclear) after umount, and the old cleanup looked it up with
# `losetup -j FILE` after the file was gone; now each device is attached by name,
# recorded, and detached explicitly.
cleanup "for m in '$MNT' '$XMNT'; do mountpoint -q \$m && umount \$m; done; while read -r d; do losetup -d \$d; done < '$LOOPS'"
: > "$LOOPS"
# attach FILE: prints the loop device, recorded for the cleanup
attach() { local d; d=$(losetup -f --show "$1") || return 1; echo "$d" >> "$LOOPS"; echo "$d"; }
detach() { losetup -d "$1" && sed -i "\|^$1\$|d" "$LOOPS"; }

ms() { echo $(($(date +%s%N) / 1000000)); }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
minmax() { sort -n | awk 'NR==1{lo=$1} {hi=$1} END {print lo "-" hi}'; }
stat_line() { echo "$(median <"$1") ms ($(minmax <"$1"))"; }
ratio() { awk -v a="$(median <"$1")" -v b="$(median <"$2")" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

echo "# filesystem of $T: $(stat -f -c %T "$T"); $RUNS runs; $DATA_MIB MiB of data"
TREE=$T/tree
mk_tree "$TREE"
head -c $((DATA_MIB * 1048576)) /dev/urandom >"$TREE/data.bin"
TPL=$T/template.ext4
truncate -s 2048M "$TPL"
MKFS_E=root_owner=0:0,lazy_itable_init=1,lazy_journal_init=1
mkfs.ext4 -q -F -d "$TREE" -E "$MKFS_E" "$TPL" 2048M
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
: >"$T/mkfs.ms"; : >"$T/loop.ms"; : >"$T/loopsync.ms"; : >"$T/liaw.ms"
mkdir -p "$MNT"
for i in $(seq "$RUNS"); do
	rm -rf "$T/stage" "$T/liaw.ext4"
	cp -a "$TREE" "$T/stage" && sync
	t0=$(ms)
	"$IMG_DRIVE" write-image "$T/stage" "$T/liaw.ext4" 2048 >"$T/liaw.out" 2>&1 ||
		{ cat "$T/liaw.out"; echo "img-drive write-image failed"; exit 1; }
	t1=$(ms)
	echo $((t1 - t0)) >>"$T/liaw.ms"
	liaw_how=$(grep -o 'wrote [0-9]* large file' "$T/liaw.out" || echo "mkfs.ext4 -d alone")
	e2fsck -fn "$T/liaw.ext4" >/dev/null 2>&1 || { echo "lia's image is not clean"; exit 1; }
	debugfs -R "dump /data.bin $T/liaw.data" "$T/liaw.ext4" >/dev/null 2>&1
	cmp -s "$T/liaw.data" "$TREE/data.bin" || { echo "lia's image does not hold data.bin"; exit 1; }
	rm -f "$T/liaw.data"
	rm -f "$T/mkfs.ext4"; sync
	t0=$(ms)
	truncate -s 2048M "$T/mkfs.ext4"
	mkfs.ext4 -q -F -d "$TREE" -E "$MKFS_E" "$T/mkfs.ext4" 2048M
	t1=$(ms)
	echo $((t1 - t0)) >>"$T/mkfs.ms"
	rm -f "$T/loop.ext4"; sync
	t0=$(ms)
	truncate -s 2048M "$T/loop.ext4"
	mkfs.ext4 -q -F "$T/loop.ext4" 2048M
	dev=$(attach "$T/loop.ext4") && mount "$dev" "$MNT" || { echo "loop mount failed"; exit 1; }
	cp -a "$TREE/." "$MNT/"
	umount "$MNT" && detach "$dev"
	t1=$(ms)
	echo $((t1 - t0)) >>"$T/loop.ms"
	rm -f "$T/loop.ext4"; sync
	t0=$(ms)
	truncate -s 2048M "$T/loop.ext4"
	mkfs.ext4 -q -F "$T/loop.ext4" 2048M
	dev=$(attach "$T/loop.ext4") && mount "$dev" "$MNT" || { echo "loop mount failed"; exit 1; }
	cp -a "$TREE/." "$MNT/"
	umount "$MNT" && detach "$dev"
	sync "$T/loop.ext4"
	t1=$(ms)
	echo $((t1 - t0)) >>"$T/loopsync.ms"
	e2fsck -fn "$T/loop.ext4" >/dev/null 2>&1 || { echo "the loop-made image is not clean"; exit 1; }
	e2fsck -fn "$T/mkfs.ext4" >/dev/null 2>&1 || { echo "the mkfs -d image is not clean"; exit 1; }
done
echo
echo "image write from a tree of $DATA_MIB MiB + busybox (2 GiB ext4; lia: $liaw_how(s) around mkfs)"
printf '  %-28s %-24s %s\n' "lia write-image (+fsync)" "$(stat_line "$T/liaw.ms")" "$(($(stat -c %b "$T/liaw.ext4") * 512 / 1048576)) MiB allocated"
printf '  %-28s %-24s %s\n' "mkfs.ext4 -d (before)" "$(stat_line "$T/mkfs.ms")" "$(($(stat -c %b "$T/mkfs.ext4") * 512 / 1048576)) MiB allocated"
printf '  %-28s %-24s %s\n' "loop mount + cp -a" "$(stat_line "$T/loop.ms")" "$(($(stat -c %b "$T/loop.ext4") * 512 / 1048576)) MiB allocated"
printf '  %-28s %-24s\n' "loop mount + cp -a + sync" "$(stat_line "$T/loopsync.ms")"
echo "  ratio (loop+sync)/lia: $(ratio "$T/loopsync.ms" "$T/liaw.ms")x   (loop+sync)/mkfs: $(ratio "$T/loopsync.ms" "$T/mkfs.ms")x   mkfs/lia: $(ratio "$T/mkfs.ms" "$T/liaw.ms")x"
bench_row "image write, 2 GiB ext4 from $DATA_MIB MiB tree" "loop mount + cp -a + sync" \
	"$(median <"$T/loopsync.ms")" "$(median <"$T/liaw.ms")" ">=1x"
bench_row "... mkfs.ext4 -d alone (the fallback)" "loop mount + cp -a + sync" \
	"$(median <"$T/loopsync.ms")" "$(median <"$T/mkfs.ms")" ">=1x"

# ---- 3. per-VM disk on XFS with reflinks ----
XIMG=$T/xfs.img
truncate -s 6G "$XIMG"
if ! mkfs.xfs -q -m reflink=1 "$XIMG" 2>"$T/mkfs.xfs.err"; then
	echo; echo "per-VM disk on XFS: not measured (mkfs.xfs -m reflink=1 failed: $(head -1 "$T/mkfs.xfs.err"))"
else
	mkdir -p "$XMNT"
	xdev=$(attach "$XIMG") && mount "$xdev" "$XMNT" || { echo "XFS loop mount failed"; exit 1; }
	cp --reflink=never "$TPL" "$XMNT/template.ext4" && sync -f "$XMNT"
	: >"$T/xlia.us"; : >"$T/xcp.us"; : >"$T/xtrue.us"; : >"$T/xcall.us"
	for i in $(seq "$RUNS"); do
		rm -f "$XMNT/d.ext4"; sync -f "$XMNT"
		t0=$EPOCHREALTIME; how=$(IMG_DRIVE_TIME=$T/xcall.us "$IMG_DRIVE" clone "$XMNT/template.ext4" "$XMNT/d.ext4") || exit 1; t1=$EPOCHREALTIME
		echo $(( ${t1/./} - ${t0/./} )) >>"$T/xlia.us"
		xhow=$how
		# what starting any process costs here, in the same loop (the machine may be loaded)
		t0=$EPOCHREALTIME; /bin/true; t1=$EPOCHREALTIME
		echo $(( ${t1/./} - ${t0/./} )) >>"$T/xtrue.us"
		rm -f "$XMNT/d.ext4"; sync -f "$XMNT"
		t0=$EPOCHREALTIME; cp --reflink=never "$XMNT/template.ext4" "$XMNT/d.ext4" && sync "$XMNT/d.ext4"; t1=$EPOCHREALTIME
		echo $(( ${t1/./} - ${t0/./} )) >>"$T/xcp.us"
	done
	rm -f "$XMNT/d.ext4"
	umount "$XMNT" && detach "$xdev"
	ums() { median <"$1" | awk '{printf "%.1f", $1 / 1000}'; }
	echo
	echo "per-VM disk on a loop-mounted XFS (reflink=1), 2 GiB template (lia: $xhow)"
	printf '  %-28s %s ms (process included)\n' "lia clone (FICLONE+fsync)" "$(ums "$T/xlia.us")"
	printf '  %-28s %s ms\n' "cp --reflink=never + sync" "$(ums "$T/xcp.us")"
	printf '  %-28s %s ms (a process start, same loop)\n' "/bin/true" "$(ums "$T/xtrue.us")"
	xnet=$(awk -v a="$(ums "$T/xlia.us")" -v b="$(ums "$T/xtrue.us")" 'BEGIN {printf "%.1f", a - b}')
	echo "  lia clone less a process start: $xnet ms"
	printf '  %-28s %s ms (img_clone_file alone, timed inside img-drive)\n' "FICLONE path" "$(ums "$T/xcall.us")"
	bench_row "per-VM disk clone on XFS (2 GiB)" "cp --reflink=never + sync" "$(ums "$T/xcp.us")" "$(ums "$T/xlia.us")" "<=5 ms"
	bench_row "... less a process start (/bin/true)" "cp --reflink=never + sync" "$(ums "$T/xcp.us")" "$xnet" "<=5 ms"
	# the goal's own words: the FICLONE path (open, ioctl, fsync, close), without a process
	bench_row "... the FICLONE path alone (in-process)" "cp --reflink=never + sync" "$(ums "$T/xcp.us")" "$(ums "$T/xcall.us")" "<=5 ms"
fi
echo "# load: $(cut -d' ' -f1-3 /proc/loadavg); loop devices still attached by this run: $(grep -c . "$LOOPS"); mounts left: $(grep -c "$T" /proc/mounts)"
