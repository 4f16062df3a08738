#!/bin/bash
# qemu-driver's console log is a file of its own (issue 10 #2): a link planted at
# state_dir/logs/NAME.console.log is replaced, never followed, so root never truncates or
# writes the file it points to.  QEMU is a stand-in script that exits at once: the console
# log is opened before it runs, and the start fails (and is rolled back) as it should.
. "$(dirname "$0")/../lib.sh"
need_root
need_plugin qemu-driver
T=$(mk_tmp)
S=$T/state
mkdir -p "$S/vms" "$S/logs" "$S/volumes" "$S/kernel" "$S/sockets"
chmod 700 "$S/vms" "$S/sockets"; chmod 750 "$S/logs" "$S/volumes"
printf '#!/bin/sh\necho "stand-in qemu: $*" >&2\nexit 1\n' > "$T/qemu"; chmod +x "$T/qemu"
: > "$S/kernel/vmlinux"; : > "$S/volumes/v1.rootfs.ext4"
conf=$(mk_conf "$T" "qemu-driver = { binary = \"$T/qemu\"; accel = \"tcg\"; };")
cat > "$S/vms/v1.json" <<JSON
{"name": "v1", "state": "created", "vcpus": 1, "mem_mib": 128, "volume_mib": 8,
 "data": {"disk.root": "$S/volumes/v1.rootfs.ext4"}, "ledger": [], "owner": {"pid": 0, "start": 0}}
JSON
chmod 600 "$S/vms/v1.json"
printf 'precious\n' > "$T/victim"; chmod 0644 "$T/victim"
ln -s "$T/victim" "$S/logs/v1.console.log"
out=$("$LIA_CORE" -c "$conf" vm start v1 2>&1); rc=$?
is "$rc" 1 "vm start fails (the stand-in QEMU exits at once)"
like "$out" "stand-in qemu|exited" "...with QEMU's own message" || diag "$out"
is "$(cat "$T/victim")" precious "the planted link's target is not truncated or written"
is "$(stat -c %a "$T/victim")" 644 "...nor its mode changed"
test -f "$S/logs/v1.console.log" && test ! -L "$S/logs/v1.console.log"
ok $? "the console log is a file of lia's own"
like "$out" "v1.console.log was not a file of lia's: replaced it" "the replacement is said"
done_testing
