#!/bin/bash
# Per-VM disks: vm create clones the 2 GiB template (sparse, identical) and makes a
# sparse ext4 data volume, both in the VM's ledger and record; destroy removes them;
# undo of create = destroy; gc removes unowned disks only; errors leave nothing.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/fixture.sh"
need_image_tools
img_via_setup

T=$(mk_tmp)
cleanup "rm -rf '$T'" # mk_tmp's own cleanup runs in its $(...) subshell
mk_mirror "$T/mirror"
S=$T/state
TPL=$S/rootfs/rootfs.ext4
V=$S/volumes
B="mirror=$T/mirror npm_packages="
rec() { cat "$S/vms/$1.json" 2>/dev/null; }

# shellcheck disable=SC2086
OUT=$(img_hook "$S" image-alpine create --vm early $B 2>&1)
ok $((!$?)) "vm create without a template fails"
like "$OUT" "run setup --only image" "and says how to build the template"
[ ! -e "$V/early.rootfs.ext4" ] && [ ! -e "$V/early.data.ext4" ]
ok $? "and leaves no disk"

# shellcheck disable=SC2086
img_hook "$S" image-alpine image $B >/dev/null 2>&1
ok $? "the 2 GiB template is built"

# shellcheck disable=SC2086
OUT=$(img_hook "$S" image-alpine create --vm vm1 $B 2>&1)
ok $? "vm create succeeds"
like "$OUT" "root disk .*vm1.rootfs.ext4 \((reflink|sparse copy)\)" "it reports how the disk was made"
if [ "$LIA_IMAGE_VIA" = core ] && [[ "$OUT" == *"(sparse copy)"* ]]; then
	# stderr is no terminal here: one line per report, the last at 100%
	like "$(grep 'disk copy:' <<<"$OUT" | tail -1)" "^lia-core: disk copy: 100\.0% 2\.0 GiB of 2\.0 GiB" \
		"the disk copy's progress ends at 100% (the template ends in a hole)"
else
	skip "the disk copy's progress is shown by lia-core for a sparse copy only"
fi
R=$V/vm1.rootfs.ext4
D=$V/vm1.data.ext4
is "$(stat -c %s "$R")" "$(stat -c %s "$TPL")" "the root disk has the template's size"
cmp -s "$R" "$TPL"
ok $? "the root disk is identical to the template (cmp)"
ra=$(du -k "$R" | cut -f1)
ta=$(du -k "$TPL" | cut -f1)
[ "$ra" -le $((ta + 1024)) ] && [ "$ra" -lt 204800 ]
ok $? "the root disk is sparse: $ra KiB allocated (template: $ta KiB, size 2 GiB)"
is "$(stat -c %a "$R")" 600 "the root disk is 0600"
is "$(stat -c %s "$D")" $((1024 * 1048576)) "the data volume has volume_mib (1024 MiB)"
e2fsck -fn "$D" >/dev/null 2>&1
ok $? "the data volume is a clean ext4"
[ "$(du -k "$D" | cut -f1)" -lt 102400 ]
ok $? "the data volume is sparse ($(du -k "$D" | cut -f1) KiB allocated)"
like "$(dbg "$D" "stats" | grep -i 'volume name')" "lia-data" "the data volume is labelled lia-data"
r=$(rec vm1)
like "$r" "\"disk.root\": \"$R\"" "the record has disk.root"
like "$r" "\"disk.data\": \"$D\"" "the record has disk.data"
is "$(printf '%s' "$r" | grep -c "\"disk\"")" 2 "both disks are in the VM's ledger"

# the VM's record's volume_mib (the core's: vm create --volume-mib) sets the size
# shellcheck disable=SC2086
img_hook "$S" image-alpine create --vm vm2 --volume-mib 64 $B >/dev/null 2>&1
ok $? "a second VM is created"
is "$(stat -c %s "$V/vm2.data.ext4")" $((64 * 1048576)) "its record's volume_mib (64) sets its data volume"

# a disk file that no VM owns blocks create, and is left alone
: >"$V/vm3.rootfs.ext4"
# shellcheck disable=SC2086
OUT=$(img_hook "$S" image-alpine create --vm vm3 $B 2>&1)
ok $((!$?)) "create refuses to overwrite a disk no VM owns"
like "$OUT" "already exists and no VM owns it" "and says why"
is "$(stat -c %s "$V/vm3.rootfs.ext4")" 0 "the foreign file is untouched"
[ ! -e "$V/vm3.data.ext4" ]
ok $? "no data volume was made for it"

# gc: the unowned file goes, owned disks stay
: >"$V/ghost.data.ext4"
: >"$V/notours.img"
OUT=$(img_hook "$S" image-alpine gc 2>&1)
ok $? "gc succeeds"
[ ! -e "$V/vm3.rootfs.ext4" ] && [ ! -e "$V/ghost.data.ext4" ]
ok $? "gc removed the unowned disks"
[ -e "$R" ] && [ -e "$D" ] && [ -e "$V/vm2.rootfs.ext4" ] && [ -e "$V/notours.img" ]
ok $? "gc kept owned disks and files that are not disk names"

# destroy, and undo of create
OUT=$(img_hook "$S" image-alpine destroy --vm vm1 2>&1)
ok $? "vm destroy succeeds"
[ ! -e "$R" ] && [ ! -e "$D" ]
ok $? "both disks of vm1 are gone"
is "$(rec vm1 | grep -c '"disk')" 0 "its record and ledger hold no disk"
if [ "$LIA_IMAGE_VIA" = drive ]; then
	img_hook "$S" image-alpine destroy --vm vm1 >/dev/null 2>&1
	ok $? "the destroy hook again succeeds (nothing to do)"
else
	skip "through lia-core the record is gone after destroy: the hook cannot be called again"
fi
if [ "$LIA_IMAGE_VIA" = drive ]; then
	img_hook "$S" image-alpine create:undo --vm vm2 >/dev/null 2>&1
	ok $? "undo of create succeeds"
	[ ! -e "$V/vm2.rootfs.ext4" ] && [ ! -e "$V/vm2.data.ext4" ]
	ok $? "undo of create removed both disks"
else
	skip "undo of create is only reachable through img-drive"
	skip "undo of create is only reachable through img-drive"
fi

# a data volume that cannot be made: the root disk made before it is removed too
# shellcheck disable=SC2086
OUT=$(img_hook "$S" image-alpine create --vm vm4 --volume-mib 4 $B 2>&1)
ok $((!$?)) "a bad volume_mib fails create"
[ ! -e "$V/vm4.rootfs.ext4" ] && [ ! -e "$V/vm4.data.ext4" ]
ok $? "and leaves no disk"
is "$(find "$V" -name 'vm4*' | wc -l)" 0 "nothing of vm4 is in volumes/"
done_testing
