#!/bin/bash
# image-dir builds the same kind of image from a folder or a tarball: owners and
# modes of the source are kept, the overlay and guest settings are laid, the image
# checks clean; a re-run is a no-op, a changed source rebuilds; per-VM disks work.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../image-alpine/fixture.sh"
need_image_tools
img_via_setup

T=$(mk_tmp)
cleanup "rm -rf '$T'" # mk_tmp's own cleanup runs in its $(...) subshell
SRC=$T/src
mk_tree "$SRC"
install -d -o 1000 -g 1000 -m 0750 "$SRC/home/dev"
install -o 1000 -g 1000 -m 0640 /dev/null "$SRC/home/dev/notes"
install -m 04755 /bin/busybox "$SRC/bin/su-helper"
mkfifo "$SRC/tmp/fifo"
S=$T/state
IMG=$S/rootfs/rootfs.ext4

OUT=$(img_hook "$S" image-dir image 2>&1)
ok $((!$?)) "image-dir without source fails"
OUT=$(img_hook "$S" image-dir image source="$T/missing" 2>&1)
ok $((!$?)) "a missing source fails"
like "$OUT" "cannot use source '$T/missing'" "and names it"
[ ! -e "$IMG" ]
ok $? "no image is made"

OUT=$(img_hook "$S" image-dir image source="$SRC" size_mib=512 hostname=dir-guest 2>&1)
ok $? "image-dir builds from a folder"
is "$(stat -c %s "$IMG")" $((512 * 1048576)) "the image has size_mib"
e2fsck -fn "$IMG" >/dev/null 2>&1
ok $? "e2fsck -fn finds it clean"
is "$(dbg_mode "$IMG" /home/dev)" "directory 0750 1000 1000" "a user's folder keeps owner and mode"
is "$(dbg_mode "$IMG" /home/dev/notes)" "regular 0640 1000 1000" "a user's file keeps owner and mode"
is "$(dbg_mode "$IMG" /bin/su-helper)" "regular 04755 0 0" "a setuid file keeps its mode"
is "$(dbg_mode "$IMG" /tmp/fifo)" "FIFO 0644 0 0" "a FIFO is copied"
like "$(dbg "$IMG" "stat /bin/sh")" 'Fast link dest: "/bin/busybox"' "links are copied as links"
is "$(dbg "$IMG" "cat /etc/hostname")" "dir-guest" "hostname is set"
like "$(dbg "$IMG" "cat /etc/ssh/sshd_config")" "PermitRootLogin yes" "the overlay's sshd_config is laid"
like "$(dbg "$IMG" "stat /etc/runlevels/default/lia-init")" 'Fast link dest: "/etc/init.d/lia-init"' "lia-init is enabled"
like "$(dbg "$IMG" "stat /etc/runlevels/default/agent-sidecar")" 'Fast link dest: "/etc/init.d/agent-sidecar"' "agent-sidecar is enabled"
like "$(dbg "$IMG" "cat /etc/inittab")" "ttyS0::respawn:/sbin/getty -L 115200 ttyS0 vt100" "the ttyS0 getty is there"
is "$(dbg_mode "$IMG" /workspace)" "directory 0755 0 0" "/workspace exists"
is "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["inputs"]["plugin"])' "$S/rootfs/rootfs.json")" \
	image-dir "the record names image-dir"
is "$(no_temps "$S/rootfs")" "" "no temp is left"

before=$(stat -c '%i %Y' "$IMG")
OUT=$(img_hook "$S" image-dir image source="$SRC" size_mib=512 hostname=dir-guest 2>&1)
like "$OUT" "up to date" "a re-run is a no-op"
is "$(stat -c '%i %Y' "$IMG")" "$before" "the image is untouched"

echo changed >"$SRC/etc/motd"
OUT=$(img_hook "$S" image-dir image source="$SRC" size_mib=512 hostname=dir-guest 2>&1)
ok $? "a changed source rebuilds"
is "$(dbg "$IMG" "cat /etc/motd")" "changed" "with the new file"

# a tarball source
tar --numeric-owner -czf "$T/src.tar.gz" -C "$SRC" .
OUT=$(img_hook "$S" image-dir image source="$T/src.tar.gz" size_mib=512 2>&1)
ok $? "image-dir builds from a tarball"
is "$(dbg_mode "$IMG" /home/dev/notes)" "regular 0640 1000 1000" "owners and modes come through the tarball"
like "$(dbg "$IMG" "stat /etc/runlevels/default/lia-init")" 'Fast link dest' "the overlay is laid on it too"

# per-VM disks come from the same shared code
OUT=$(img_hook "$S" image-dir create --vm d1 --volume-mib 32 source="$T/src.tar.gz" 2>&1)
ok $? "vm create with image-dir"
cmp -s "$S/volumes/d1.rootfs.ext4" "$IMG"
ok $? "the root disk is identical to the template"
is "$(stat -c %s "$S/volumes/d1.data.ext4")" $((32 * 1048576)) "the data volume has volume_mib"
img_hook "$S" image-dir destroy --vm d1 source="$T/src.tar.gz" >/dev/null 2>&1
[ ! -e "$S/volumes/d1.rootfs.ext4" ] && [ ! -e "$S/volumes/d1.data.ext4" ]
ok $? "vm destroy removes them"

img_hook "$S" image-dir image:undo source="$T/src.tar.gz" >/dev/null 2>&1
[ ! -e "$IMG" ] && [ ! -e "$S/rootfs/rootfs.json" ]
ok $? "undo removes the image and its record"
done_testing
