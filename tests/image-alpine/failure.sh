#!/bin/bash
# A failed build keeps the previous image and leaves no temp file: a bad checksum,
# a failing package step, unsafe tarballs, a full disk (state_dir on a small tmpfs
# the test mounts); bad settings are refused before anything is made.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/fixture.sh"
need_image_tools
img_via_setup

T=$(mk_tmp)
cleanup "rm -rf '$T'" # mk_tmp's own cleanup runs in its $(...) subshell
mk_mirror "$T/mirror"
REL=$T/mirror/v3.19/releases/x86_64
TAR=alpine-minirootfs-3.19.1-x86_64.tar.gz
S=$T/state
IMG=$S/rootfs/rootfs.ext4
B="mirror=$T/mirror npm_packages= size_mib=256"
# shellcheck disable=SC2086
img_hook "$S" image-alpine image $B >/dev/null 2>&1
ok $? "a first image is built"
cp --sparse=always "$IMG" "$T/first.ext4"
first=$(stat -c '%i %Y' "$IMG")

# kept IMG DESC: the previous image is intact and nothing is left behind
kept() {
	is "$(stat -c '%i %Y' "$IMG")" "$first" "$1: the previous image is untouched"
	cmp -s "$IMG" "$T/first.ext4"
	ok $? "$1: its content is the same"
	is "$(no_temps "$S/rootfs")" "" "$1: no staging folder or temp image is left"
}

# 1. a bad checksum
cp "$REL/$TAR.sha256" "$T/good.sha256"
echo "0000000000000000000000000000000000000000000000000000000000000000  $TAR" >"$REL/$TAR.sha256"
# shellcheck disable=SC2086
OUT=$(img_hook "$S" image-alpine image $B hostname=changed 2>&1)
ok $((!$?)) "a minirootfs that does not match its .sha256 fails the build"
like "$OUT" "[0-9a-f]{64} but .*0{64}" "the error names both checksums"
kept "bad checksum"
echo "not a checksum" >"$REL/$TAR.sha256"
# shellcheck disable=SC2086
OUT=$(img_hook "$S" image-alpine image $B hostname=changed 2>&1)
ok $((!$?)) "a .sha256 without a checksum fails"
like "$OUT" "does not start with a sha256" "and says so"
cp "$T/good.sha256" "$REL/$TAR.sha256"

# 2. the package step fails
# shellcheck disable=SC2086
OUT=$(img_hook "$S" image-alpine image $B packages=openrc,fail-me 2>&1)
ok $((!$?)) "a failing apk add fails the build"
like "$OUT" "apk add \(2 packages\) failed in the image tree \(exit status 1\).*fail-me" \
	"the error carries apk's own message"
kept "apk failure"

# 3. unsafe tarballs (given as minirootfs=/path, checked against their own .sha256)
mkt() { # NAME: a tarball from the staged folder $T/u, with its .sha256
	tar --numeric-owner -czf "$T/$1.tar.gz" -C "$T/u" "${@:2}"
	(cd "$T" && sha256sum "$1.tar.gz" >"$1.tar.gz.sha256")
}
rm -rf "$T/u" && mkdir -p "$T/u/etc" && echo x >"$T/u/etc/x"
mkt dotdot --transform='s,^etc/x$,../../escaped,' etc/x
rm -rf "$T/u" && mkdir -p "$T/u/etc" && echo x >"$T/u/etc/x"
mkt absolute --absolute-names --transform="s,^etc/x\$,$T/abs-escaped," etc/x
rm -rf "$T/u" && mkdir -p "$T/u/etc" && ln -s ../../../../../.. "$T/u/etc/up"
mkt climb etc/up
for t in dotdot absolute climb; do
	# shellcheck disable=SC2086
	OUT=$(img_hook "$S" image-alpine image $B minirootfs="$T/$t.tar.gz" 2>&1)
	ok $((!$?)) "unsafe tarball '$t' is refused"
	kept "unsafe tarball '$t'"
done
like "$(img_hook "$S" image-alpine image $B minirootfs="$T/dotdot.tar.gz" 2>&1)" "unsafe name '../../escaped'" \
	"the '..' entry is named in the error"
like "$(img_hook "$S" image-alpine image $B minirootfs="$T/climb.tar.gz" 2>&1)" "climbs above the root" \
	"the climbing link is named in the error"
[ ! -e "$T/escaped" ] && [ ! -e "$S/escaped" ] && [ ! -e "$T/abs-escaped" ]
ok $? "no unsafe entry was written outside the staging folder"
# a file written "through" a link to / lands inside the tree: libarchive replaces the
# link by a folder (ARCHIVE_EXTRACT_UNLINK + SECURE_SYMLINKS), nothing reaches the host
rm -rf "$T/u" && mkdir -p "$T/u/etc" && ln -s / "$T/u/etc/rootlink" && echo pwned >"$T/u/payload"
mkt through etc/rootlink --transform="s,^payload\$,etc/rootlink$T/through-escaped," payload
# shellcheck disable=SC2086
OUT=$(img_hook "$S" image-alpine image $B minirootfs="$T/through.tar.gz" packages= 2>&1)
ok $? "a tarball that writes through a link to / builds"
[ ! -e "$T/through-escaped" ]
ok $? "its payload did not reach the host"
like "$(dbg "$IMG" "stat /etc/rootlink$T/through-escaped")" "Type: regular" "it landed inside the image"
cp --sparse=always "$IMG" "$T/first.ext4"
first=$(stat -c '%i %Y' "$IMG")

# 4. bad settings: refused before anything is made
for bad in "packages=openrc,-X" "packages=open rc" "npm_packages=--unsafe-perm" \
	"hostname=bad_host!" "dns=8.8.8.8,not-an-ip" "size_mib=10" "version=3.19;x" \
	"mirror=relative/dir" "mirror=ftp://example.invalid" "minirootfs=../x.tar.gz"; do
	# shellcheck disable=SC2086
	OUT=$(img_hook "$S" image-alpine image $B "$bad" 2>&1)
	ok $((!$?)) "the setting $bad is refused"
done
kept "bad settings"
# shellcheck disable=SC2086
OUT=$(img_hook "$S" image-alpine image $B version=3.20 2>&1)
like "$OUT" 'set minirootfs' "a changed version with the default minirootfs asks for its tarball name"

# 5. a full disk: state_dir on a small tmpfs
M=$T/small
mkdir -p "$M"
if mount -t tmpfs -o size=40m lia-test-tmpfs "$M" 2>/dev/null; then
	cleanup "umount '$M'"
	S=$M/state
	IMG=$S/rootfs/rootfs.ext4
	B="mirror=$T/mirror npm_packages= size_mib=64"
	# shellcheck disable=SC2086
	img_hook "$S" image-alpine image $B >/dev/null 2>&1
	ok $? "an image builds on the small tmpfs"
	cp --sparse=always "$IMG" "$T/first.ext4"
	first=$(stat -c '%i %Y' "$IMG")
	# leave 1 MiB free (fails while filling the tree), then 3 MiB (fails in mkfs.ext4)
	for left in 1 3; do
		free_kib=$(df -k --output=avail "$M" | tail -1)
		fallocate -l $(((free_kib - left * 1024) * 1024)) "$M/filler"
		# shellcheck disable=SC2086
		OUT=$(img_hook "$S" image-alpine image $B hostname=full-disk 2>&1)
		rc=$?
		diag "with $left MiB free: $(printf '%s\n' "$OUT" | grep -i 'error' | grep -v 'not implemented' | head -1)"
		ok $((!rc)) "with $left MiB free the build fails"
		like "$OUT" "No space left|ENOSPC|space" "with $left MiB free the error says the disk is full"
		kept "full disk, $left MiB free"
		rm -f "$M/filler"
	done
	# shellcheck disable=SC2086
	img_hook "$S" image-alpine image $B hostname=full-disk >/dev/null 2>&1
	ok $? "with space again, the build succeeds"
	is "$(dbg "$IMG" "cat /etc/hostname")" "full-disk" "and the new image is in place"
	umount "$M"
	ok $? "the tmpfs unmounts (nothing holds it)"
else
	skip "cannot mount a tmpfs here (not root?)"
fi
done_testing
