#!/bin/bash
# A path taken from a VM record is acted on only inside the folder it belongs to (issue 10
# #2): a hand-edited record whose disk.data, disk.root or vsock.uds names a file elsewhere
# (directly, through "..", or through a link in the folder) must not make `vm destroy` or
# gc unlink it.  The refusal names the record file and the key; a record that stays inside
# its folders is destroyed as before.
. "$(dirname "$0")/../lib.sh"
need_root
need_plugin image-dir
need_plugin vsock
T=$(mk_tmp)
S=$T/state
V=$S/vms
mkdir -p "$T/src" "$V" "$S/sockets" "$S/volumes"
chmod 700 "$V" "$S/sockets"; chmod 750 "$S/volumes"
conf=$(mk_conf "$T" "image-dir = { source = \"$T/src\"; };" "vsock = { };")
L() { "$LIA_CORE" -c "$conf" "$@"; }
# rec NAME STATE DATA_JSON: a record as lia-core leaves it, with these data keys
rec() {
	cat > "$V/$1.json" <<JSON
{"name": "$1", "state": "$2", "vcpus": 1, "mem_mib": 128, "volume_mib": 8, "data": $3,
 "ledger": [], "owner": {"pid": 0, "start": 0}}
JSON
	chmod 600 "$V/$1.json"
}
precious() { printf 'precious\n' > "$1"; }
kept() { [ "$(cat "$1" 2>/dev/null)" = precious ]; }

# 1. disk.data names a file outside volumes/
precious "$T/victim"
rec v1 created "{\"disk.data\": \"$T/victim\"}"
out=$(L vm destroy v1 2>&1); rc=$?
is "$rc" 1 "vm destroy of a record whose disk.data is outside volumes/ fails"
kept "$T/victim"; ok $? "the file it names is untouched"
like "$out" "$V/v1.json says disk.data = '$T/victim', which is not in $S/volumes" \
	"the refusal names the record file, the key, its value and the folder"

# 2. the same through ".." and through a link inside volumes/
precious "$T/victim2"
rec v2 created "{\"disk.root\": \"$S/volumes/../../victim2\"}"
out=$(L vm destroy v2 2>&1); rc=$?
is "$rc" 1 "a disk.root with .. that leaves volumes/ is refused"
kept "$T/victim2"; ok $? "...and the file is untouched"
ln -s "$T" "$S/volumes/sub"
precious "$T/victim3"
rec v3 created "{\"disk.data\": \"$S/volumes/sub/victim3\"}"
out=$(L vm destroy v3 2>&1); rc=$?
is "$rc" 1 "a disk.data through a link in volumes/ that leads out is refused"
kept "$T/victim3"; ok $? "...and the file is untouched"
rm "$S/volumes/sub"

# 3. vsock.uds names a socket elsewhere
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$T/other.sock"
rec v4 created "{\"vsock.uds\": \"$T/other.sock\", \"vsock.cid\": 3}"
out=$(L vm destroy v4 2>&1); rc=$?
is "$rc" 1 "a vsock.uds outside sockets/ is refused"
test -S "$T/other.sock"; ok $? "...and that socket stays"
like "$out" "$V/v4.json says vsock.uds = '$T/other.sock', which is not in $S/sockets" "...naming the record and key"

# 4. gc finishing a destroy does not unlink it either
precious "$T/victim5"
rec v5 destroying "{\"disk.data\": \"$T/victim5\"}"
out=$(L gc 2>&1); rc=$?
is "$rc" 1 "gc fails on a record whose disk.data is outside volumes/"
kept "$T/victim5"; ok $? "...and leaves the file alone"
test -e "$V/v5.json"; ok $? "...and keeps the record, for a human to look at"

# 5. a record that stays inside its folders is destroyed as before
precious "$S/volumes/v6.data.ext4"
rec v6 created "{\"disk.data\": \"$S/volumes/v6.data.ext4\"}"
out=$(L vm destroy v6 2>&1); rc=$?
is "$rc" 0 "a disk.data inside volumes/ is removed by vm destroy" || diag "$out"
test ! -e "$S/volumes/v6.data.ext4" && test ! -e "$V/v6.json"; ok $? "...the disk and the record are gone"
done_testing
