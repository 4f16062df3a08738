#!/bin/bash
# The image write's large files (plugins/image-common/bulk.c): each large plain file is
# left empty for mkfs.ext4 -d, then given its blocks by debugfs and its data by big
# copies.  Through image-dir, with real mkfs.ext4/debugfs/e2fsck: every kind of file
# comes out with its bytes, owner, mode and mtime (aligned, odd-sized, sparse, several
# extents, 1 KiB and 4 KiB blocks), and the files it must leave to mkfs (hard links,
# xattrs, odd names) too; the extents are written ones; LIA_IMAGE_WRITE=mkfs and a PATH
# without debugfs fall back to mkfs.ext4 -d alone with the same files; a debugfs that
# fails or does nothing is an error naming the image, leaving the old image and no temp.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../image-alpine/fixture.sh"
need_image_tools
[ -f "$IMG_DIR_SO" ] || [ "${LIA_IMAGE_VIA:-}" = core ] || skip_all "image-dir is not built ($IMG_DIR_SO)"
img_via_setup

T=$(mk_tmp)
cleanup "rm -rf '$T'"
SRC=$T/src
mk_tree "$SRC"
mkdir -p "$SRC/data"
head -c $((3 * 1048576)) /dev/urandom >"$SRC/data/aligned.bin"
chown 1000:1000 "$SRC/data/aligned.bin"
chmod 0640 "$SRC/data/aligned.bin"
touch -d '2021-02-03 04:05:06' "$SRC/data/aligned.bin"
head -c 300001 /dev/urandom >"$SRC/data/odd.bin"
# sparse: a hole, data, a hole to the end
truncate -s $((2 * 1048576)) "$SRC/data/sparse.bin"
head -c 100000 /dev/urandom | dd of="$SRC/data/sparse.bin" bs=4096 seek=256 conv=notrunc status=none
# more than one 32768-block extent with 4 KiB blocks (and many with 1 KiB blocks)
head -c $((150 * 1048576)) /dev/urandom >"$SRC/data/big.bin"
install -m 04755 /bin/busybox "$SRC/bin/su-helper"
# what stays with mkfs: a hard link pair, an xattr, a name with a space
head -c 1048576 /dev/urandom >"$SRC/data/linked-a"
ln "$SRC/data/linked-a" "$SRC/data/linked-b"
head -c 1048576 /dev/urandom >"$SRC/data/xattr.bin"
xattr_ok=1
python3 -c 'import os,sys; os.setxattr(sys.argv[1], "user.lia", b"kept")' "$SRC/data/xattr.bin" 2>/dev/null || xattr_ok=0
head -c 1048576 /dev/urandom >"$SRC/data/with space.bin"
# a tarball: its extraction keeps hard links, xattrs and times (a folder copy does not)
tar --numeric-owner --xattrs --xattrs-include='*' -czf "$T/src.tar.gz" -C "$SRC" .
LARGE="data/aligned.bin data/odd.bin data/sparse.bin data/big.bin bin/su-helper bin/busybox"
KEPT="data/linked-a data/linked-b data/xattr.bin"
S=$T/state
IMG=$S/rootfs/rootfs.ext4

# same_files LABEL: every file of the lists (and the spaced one) has the source's bytes,
# owner, mode and mtime in the image
same_files() {
	local f bad="" m
	for f in $LARGE $KEPT; do
		debugfs -R "dump /$f $T/out" "$IMG" >/dev/null 2>&1
		cmp -s "$T/out" "$SRC/$f" || bad="$bad $f(bytes)"
		[ "$(dbg_mode "$IMG" "/$f" | cut -d' ' -f3-4)" = "$(stat -c '%u %g' "$SRC/$f")" ] || bad="$bad $f(owner)"
		[ "$(dbg_mode "$IMG" "/$f" | cut -d' ' -f2)" = "$(printf '0%03o' "0$(stat -c '%a' "$SRC/$f")")" ] ||
			bad="$bad $f(mode)"
		m=$(dbg "$IMG" "stat /$f" | sed -n 's/^ *mtime: 0x\([0-9a-f]*\).*/\1/p')
		[ -n "$m" ] && [ "$((16#$m))" = "$(stat -c '%Y' "$SRC/$f")" ] ||
			bad="$bad $f(mtime)"
		rm -f "$T/out"
	done
	debugfs -R "dump \"/data/with space.bin\" $T/out" "$IMG" >/dev/null 2>&1
	cmp -s "$T/out" "$SRC/data/with space.bin" || bad="$bad with-space"
	rm -f "$T/out"
	is "$bad" "" "$1: every large and kept file has its bytes, owner, mode and mtime"
}

# 4 KiB blocks (512 MiB)
OUT=$(img_hook "$S" image-dir image source="$T/src.tar.gz" size_mib=512 2>&1)
ok $? "image-dir builds a 512 MiB image with large files"
# (5 or 6: the sparse file stays with mkfs when its extraction keeps the hole)
like "$OUT" "wrote [56] large file\(s\) into the image by extents" "the large plain files go around mkfs"
e2fsck -fn "$IMG" >/dev/null 2>&1
ok $? "e2fsck -fn finds it clean"
same_files "4 KiB blocks"
ex=$(dbg "$IMG" "ex /data/big.bin")
[ "$(printf '%s\n' "$ex" | grep -c ' - ')" -ge 2 ]
ok $? "the 150 MiB file has more than one extent"
is "$(for f in $LARGE; do dbg "$IMG" "ex /$f"; done | grep -c Uninit)" 0 "no extent of a large file is left unwritten"
is "$(dbg "$IMG" "stat /data/sparse.bin" | awk '/Size:/ { for (i = 1; i < NF; i++) if ($i == "Size:") print $(i + 1) }' | head -1)" \
	$((2 * 1048576)) "the sparse file keeps its size"
is "$(dbg "$IMG" "stat /data/linked-a" | awk '/Links:/ { for (i = 1; i < NF; i++) if ($i == "Links:") print $(i + 1) }' | head -1)" \
	2 "the hard link pair stays one inode with two links (mkfs wrote it)"
if [ "$xattr_ok" = 1 ]; then
	like "$(dbg "$IMG" "ea_get /data/xattr.bin user.lia")" "kept" "a file with an xattr keeps it (mkfs wrote it)"
else
	skip "the test's folder takes no user xattr"
fi
is "$(no_temps "$S/rootfs")" "" "no temp or side folder is left"
cp "$IMG" "$T/fast.ext4"

# 1 KiB blocks (256 MiB: mke2fs's "small" type)
OUT=$(img_hook "$S" image-dir image source="$T/src.tar.gz" size_mib=256 2>&1)
ok $? "image-dir builds a 256 MiB image"
is "$(dbg "$IMG" "stats" | awk -F: '/^Block size/ { gsub(/ /, "", $2); print $2 }')" 1024 "it has 1 KiB blocks"
e2fsck -fn "$IMG" >/dev/null 2>&1
ok $? "e2fsck -fn finds it clean"
same_files "1 KiB blocks"

# the fallback: mkfs.ext4 -d writes everything
OUT=$(LIA_IMAGE_WRITE=mkfs img_hook "$S" image-dir image source="$T/src.tar.gz" size_mib=512 hostname=fallback 2>&1)
ok $? "LIA_IMAGE_WRITE=mkfs builds"
like "$OUT" "LIA_IMAGE_WRITE=mkfs: mkfs.ext4 -d writes every file" "and says mkfs writes every file"
printf "%s\n" "$OUT" | grep -q "large file"
ok $((!$?)) "no file goes around mkfs"
e2fsck -fn "$IMG" >/dev/null 2>&1
ok $? "e2fsck -fn finds it clean"
same_files "LIA_IMAGE_WRITE=mkfs"

# PATH without debugfs: the same fallback
mkdir -p "$T/bin-nodebugfs"
for t in mkfs.ext4 mke2fs e2fsck; do ln -sf "$(command -v $t)" "$T/bin-nodebugfs/$t"; done
OUT=$(PATH=$T/bin-nodebugfs:/usr/bin:/bin img_hook "$S" image-dir image source="$T/src.tar.gz" size_mib=512 hostname=nodebugfs 2>&1)
ok $? "a PATH without debugfs builds"
like "$OUT" "no debugfs on PATH: mkfs.ext4 -d writes every file" "and says why mkfs writes every file"
e2fsck -fn "$IMG" >/dev/null 2>&1
ok $? "e2fsck -fn finds it clean"
same_files "no debugfs"
is "$(dbg "$IMG" "cat /etc/hostname")" "nodebugfs" "it is the new image"

# a debugfs that fails, then one that does nothing: errors, the previous image stays
before=$(stat -c '%i %Y' "$IMG")
mkdir -p "$T/bin-bad" "$T/bin-idle"
printf '#!/bin/sh\necho "debugfs: broken" >&2\nexit 1\n' >"$T/bin-bad/debugfs"
printf '#!/bin/sh\nexit 0\n' >"$T/bin-idle/debugfs"
chmod +x "$T/bin-bad/debugfs" "$T/bin-idle/debugfs"
OUT=$(PATH=$T/bin-bad:$PATH img_hook "$S" image-dir image source="$T/src.tar.gz" size_mib=512 hostname=bad 2>&1)
ok $((!$?)) "a failing debugfs fails the build"
like "$OUT" "debugfs placing the large files in '$S/rootfs/.rootfs.ext4.tmp-[^']*' failed" "the error names debugfs and the temp image"
is "$(no_temps "$S/rootfs")" "" "no temp or side folder is left"
is "$(stat -c '%i %Y' "$IMG")" "$before" "the previous image stays"
OUT=$(PATH=$T/bin-idle:$PATH img_hook "$S" image-dir image source="$T/src.tar.gz" size_mib=512 hostname=idle 2>&1)
ok $((!$?)) "a debugfs that does nothing fails the build"
like "$OUT" "debugfs" "the error names debugfs"
is "$(no_temps "$S/rootfs")" "" "no temp or side folder is left"
is "$(stat -c '%i %Y' "$IMG")" "$before" "the previous image stays"
done_testing
