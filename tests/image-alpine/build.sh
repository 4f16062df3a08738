#!/bin/bash
# image-alpine builds rootfs.ext4 from a local mirror fixture; the image is checked
# with debugfs and e2fsck (no mount): files, modes, owners, sshd_config, services,
# hostname, ttyS0 getty, /workspace; the package step's calls; the build record;
# a re-run is a no-op; a changed input rebuilds; plan and undo.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/fixture.sh"
need_image_tools
img_via_setup

T=$(mk_tmp)
cleanup "rm -rf '$T'" # mk_tmp's own cleanup runs in its $(...) subshell
mk_mirror "$T/mirror"
S=$T/state
IMG=$S/rootfs/rootfs.ext4
OUT=$(img_hook "$S" image-alpine image mirror="$T/mirror" 2>&1)
ok $? "image-alpine builds rootfs.ext4 from the local mirror"
like "$OUT" "built .*rootfs.ext4: 2048 MiB" "the build reports what it made"

is "$(stat -c %s "$IMG")" 2147483648 "the image is 2048 MiB"
alloc=$(($(stat -c %b "$IMG") * 512 / 1048576))
[ "$alloc" -lt 200 ]
ok $? "the image is sparse ($alloc MiB allocated)"
e2fsck -fn "$IMG" >/dev/null 2>&1
ok $? "e2fsck -fn finds the image clean"

# sshd_config: every value of the seed
cfg=$(dbg "$IMG" "cat /etc/ssh/sshd_config")
for kv in "PermitRootLogin yes" "PasswordAuthentication no" "PubkeyAuthentication yes" \
	"AuthorizedKeysFile .ssh/authorized_keys" "PermitEmptyPasswords no" "UsePAM no" \
	"ClientAliveInterval 60" "ClientAliveCountMax 3"; do
	printf '%s\n' "$cfg" | grep -qx "$kv"
	ok $? "sshd_config: $kv"
done
is "$(dbg_mode "$IMG" /etc/ssh/sshd_config)" "regular 0644 0 0" "sshd_config is a root-owned 0644 file"
is "$(dbg "$IMG" "ls /etc/ssh" | grep -c ssh_host_)" 0 "no ssh host key is baked into the image"

# services
for s in lia-init agent-sidecar; do
	is "$(dbg_mode "$IMG" /etc/init.d/$s)" "regular 0755 0 0" "/etc/init.d/$s is root-owned 0755"
	like "$(dbg "$IMG" "stat /etc/runlevels/default/$s")" "Fast link dest: \"/etc/init.d/$s\"" \
		"$s is enabled in the default runlevel"
done
cmp -s <(dbg "$IMG" "cat /etc/init.d/lia-init") "$top_srcdir/rootfs/etc/init.d/lia-init"
ok $? "/etc/init.d/lia-init is the overlay's"
like "$(dbg "$IMG" "stat /etc/runlevels/default/sshd")" 'Fast link dest: "/etc/init.d/sshd"' \
	"sshd (installed by the package step) is enabled"
is "$(dbg "$IMG" "ls /" | grep -c 'local.mk')" 0 "the overlay's build fragment is not laid"

# guest settings
is "$(dbg "$IMG" "cat /etc/hostname")" "lia-agent" "hostname is lia-agent"
is "$(dbg "$IMG" "cat /etc/resolv.conf" | grep '^nameserver' | tr '\n' ' ')" \
	"nameserver 8.8.8.8 nameserver 8.8.4.4 " "resolv.conf has 8.8.8.8 and 8.8.4.4"
tab=$(dbg "$IMG" "cat /etc/inittab")
is "$(printf '%s\n' "$tab" | grep -c '^ttyS0::')" 1 "inittab has one active ttyS0 line"
printf '%s\n' "$tab" | grep -qx 'ttyS0::respawn:/sbin/getty -L 115200 ttyS0 vt100'
ok $? "the ttyS0 line runs getty at 115200"
printf '%s\n' "$tab" | grep -qx 'tty1::respawn:/sbin/getty 38400 tty1'
ok $? "the tree's other inittab lines are kept"
is "$(dbg_mode "$IMG" /workspace)" "directory 0755 0 0" "/workspace exists, root-owned 0755"
is "$(dbg_mode "$IMG" /)" "directory 0755 0 0" "the root folder is root-owned 0755"
like "$(dbg "$IMG" "stat /etc/hostname.link")" 'Fast link dest: "/etc/hostname"' \
	"an absolute link of the minirootfs stays a link inside the guest"

# the package step
apk=$(dbg "$IMG" "cat /var/log/fake-apk.log")
want="arg:add arg:--no-cache arg:--repositories-file arg:/tmp/lia-apk-repositories arg:alpine-base arg:openrc arg:busybox-initscripts arg:nodejs arg:npm arg:git arg:curl arg:wget arg:bash arg:python3 arg:py3-pip arg:build-base arg:linux-headers arg:ca-certificates arg:tzdata arg:sudo arg:openssh-server arg:openssh-client"
is "$(printf '%s\n' "$apk" | grep '^arg:' | tr '\n' ' ')" "$want " "apk add ran with the seed's package list, by argv"
like "$apk" "dev-null:ok" "apk saw /dev/null in the chroot"
like "$apk" "proc:ok" "apk saw /proc in the chroot"
like "$apk" "repo-visible:/mnt/lia-mirror/v3.19/main" "apk saw the local mirror's main repository"
like "$apk" "repo-visible:/mnt/lia-mirror/v3.19/community" "apk saw the community repository"
npm=$(dbg "$IMG" "cat /var/log/fake-npm.log")
is "$(printf '%s\n' "$npm" | grep '^arg:' | tr '\n' ' ')" "arg:install arg:-g arg:--no-audit arg:--no-fund arg:@anthropic-ai/claude-code " \
	"npm install -g ran for the npm package, by argv"
like "$(dbg "$IMG" "stat /usr/local/lib/node_modules/@anthropic-ai/claude-code/package.json")" "Type: regular" \
	"the npm package landed in the image"
is "$(dbg "$IMG" "ls /tmp" | grep -c lia-)" 0 "no build-time file (npm cache, repositories file) is left in /tmp"
is "$(dbg "$IMG" "ls /mnt" | grep -c lia-mirror)" 0 "the mirror mount point is gone"
grep -q " $T/" /proc/mounts
ok $((!$?)) "no mount of the build is left on the host"

# the record
rec=$S/rootfs/rootfs.json
sha=$(cut -d' ' -f1 "$T/mirror/v3.19/releases/x86_64/alpine-minirootfs-3.19.1-x86_64.tar.gz.sha256")
is "$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["source_sha256"], r["inputs"]["version"], len(r["inputs"]["packages"]), r["inputs"]["npm_packages"][0], len(r["inputs"]["overlay_sha256"]))' "$rec")" \
	"$sha 3.19 18 @anthropic-ai/claude-code 64" "the record holds source sha256, version, packages, npm packages, overlay checksum"
is "$(no_temps "$S/rootfs")" "" "no staging folder or temp image is left"

# re-run: nothing happens
before=$(stat -c '%i %Y %s' "$IMG")
OUT=$(img_hook "$S" image-alpine image mirror="$T/mirror" 2>&1)
ok $? "a second run succeeds"
like "$OUT" "up to date" "it says the image is up to date"
is "$(stat -c '%i %Y %s' "$IMG")" "$before" "the image is untouched (same inode, mtime)"

# plan on an up-to-date image, then with a change
like "$(img_hook "$S" image-alpine image:plan mirror="$T/mirror" 2>&1)" "up to date" "plan: up to date"
PLAN=$(img_hook "$S" image-alpine image:plan mirror="$T/mirror" hostname=agent-two 2>&1)
like "$PLAN" "fetch file://$T/mirror/v3.19/releases/x86_64/alpine-minirootfs-3.19.1-x86_64.tar.gz" "plan names the tarball"
is "$(stat -c '%i %Y' "$IMG")" "${before% *}" "plan changes nothing"

# a changed input rebuilds
OUT=$(img_hook "$S" image-alpine image mirror="$T/mirror" hostname=agent-two dns=192.0.2.53 npm_packages= 2>&1)
ok $? "a changed input rebuilds"
[ "$(stat -c %i "$IMG")" != "${before%% *}" ]
ok $? "the image was replaced (new inode)"
is "$(dbg "$IMG" "cat /etc/hostname")" "agent-two" "the new hostname is in the image"
is "$(dbg "$IMG" "cat /etc/resolv.conf" | grep '^nameserver')" "nameserver 192.0.2.53" "the new nameserver is in the image"
is "$(dbg "$IMG" "cat /var/log/fake-npm.log" | wc -c)" 0 "with no npm packages, npm does not run"

# undo removes the template, its record and the download cache
OUT=$(img_hook "$S" image-alpine image:undo 2>&1)
ok $? "undo succeeds"
[ ! -e "$IMG" ] && [ ! -e "$rec" ] && [ ! -e "$S/rootfs/cache" ]
ok $? "undo removed rootfs.ext4, rootfs.json and the cache"
img_hook "$S" image-alpine image:undo >/dev/null 2>&1
ok $? "undo with nothing to undo succeeds"
done_testing
