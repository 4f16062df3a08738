#!/bin/bash
# The Firecracker API test double is as strict as v1.6 where lia depends on it: checked
# with curl --unix-socket, the way the seed's scripts talk to Firecracker.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-fc.sh"
command -v curl >/dev/null || skip_all "curl is not installed"
[ -x "$FCDOUBLE" ] || skip_all "fcdouble is not built"

T=$(mk_tmp)
A=$T/a.sock
printf '\177ELF\2\1\1' > "$T/vmlinux"
printf 'MZjunk' > "$T/bzimage"
truncate -s 1M "$T/root.img"
: > "$T/fc.log"

# start the double; DOUBLE_PID set
start_double() {
	rm -f "$A"
	"$FCDOUBLE" --api-sock "$A" --id dbl-1 > "$T/console" 2>&1 &
	DOUBLE_PID=$!
	cleanup "kill -9 $DOUBLE_PID"
}
# put PATH BODY -> prints "STATUS" and the body on the next line; headers in $T/h
put() {
	curl -s -D "$T/h" -o "$T/b" -w '%{http_code}' --unix-socket "$A" -X PUT \
		-H 'Content-Type: application/json' "http://localhost$1" --data "$2"
	echo
	cat "$T/b"
}
answers() { curl -s --unix-socket "$A" http://localhost/ >/dev/null 2>&1; }
wait_sock() { wait_for 60 answers; }

# bind before listen: the file exists while connect() is refused
rm -f "$A"
FCDOUBLE_LISTEN_DELAY_MS=3000 "$FCDOUBLE" --api-sock "$A" --id dbl-0 > "$T/console0" 2>&1 &
P0=$!
cleanup "kill -9 $P0"
wait_for 60 test -S "$A"
test -S "$A"; ok $? "socket file exists right after start"
curl -s --unix-socket "$A" http://localhost/ >/dev/null 2>&1
ok $((! $?)) "connect() is refused until the double listens"
wait_sock; ok $? "then it accepts"
# SIGTERM is not handled: it dies and leaves the socket file behind
kill -TERM $P0; wait $P0 2>/dev/null
test -S "$A"; ok $? "SIGTERM kills it without removing the socket"
"$FCDOUBLE" --api-sock "$A" --id dbl-2 > "$T/console1" 2>&1
is "$?" 1 "a stale socket file makes it exit 1"
like "$(cat "$T/console1")" "Failed to open the API socket at: $A" "with Firecracker's message"

( "$FCDOUBLE" --api-sock "$T/x.sock" --id bad_id > /dev/null 2>&1 ) 2>/dev/null
[ $? -ne 0 ]; ok $? "an invalid --id aborts (Firecracker panics)"

start_double
wait_sock || bail "double did not come up"
r=$(put /logger "{\"log_path\":\"$T/fc.log\",\"level\":\"Info\"}")
is "$(head -1 <<<"$r")" 204 "PUT /logger -> 204"
like "$(head -1 "$T/h" | tr -d '\r')" '^HTTP/1.1 204 ?$' "status line without reason phrase"
grep -qi '^content-length' "$T/h"; ok $((! $?)) "204 carries no Content-Length"
r=$(put /logger "{\"log_path\":\"$T/missing.log\"}")
like "$r" '^400' "logger path must exist (no O_CREAT in v1.6)"
r=$(put /boot-source "{\"kernel_image_path\":\"$T/vmlinux\",\"boot_args\":\"x\",\"huge\":1}")
like "$r" '^400' "unknown field rejected"
like "$r" '"fault_message":"An error occurred when deserializing.*unknown field `huge`' "with a fault_message"
grep -qi '^content-length: [0-9]' "$T/h"; ok $? "400 carries Content-Length"
r=$(put /actions '{"action_type":"InstanceStart"}')
like "$r" 'Cannot start microvm without kernel configuration' "InstanceStart without boot source refused"
r=$(put /drives/root-fs "{\"drive_id\":\"root-fs\",\"path_on_host\":\"$T/root.img\",\"is_root_device\":true}")
like "$r" 'API Resource IDs can only contain alphanumeric characters and underscores' "hyphenated drive id rejected"
r=$(put /drives/rootfs "{\"drive_id\":\"other\",\"path_on_host\":\"$T/root.img\",\"is_root_device\":true}")
like "$r" 'does not match the id from the body' "path id must equal body id"
r=$(put /drives/rootfs "{\"drive_id\":\"rootfs\",\"path_on_host\":\"$T/root.img\",\"is_root_device\":true}")
like "$r" '^204' "valid drive accepted"
r=$(put /vsock "{\"guest_cid\":3,\"uds_path\":\"$T/v.sock\",\"vsock_idx\":\"a\"}")
like "$r" 'unknown field `vsock_idx`' "vsock: unknown field rejected"
r=$(put /network-interfaces/eth-0 '{"iface_id":"eth-0","host_dev_name":"tapx"}')
like "$r" 'API Resource IDs' "hyphenated iface id rejected"
r=$(put /machine-config '{"vcpu_count":1,"mem_size_mib":128,"huge_pages":"None"}')
like "$r" 'unknown field `huge_pages`' "v1.7 field huge_pages rejected"
r=$(put /actions '{"action_type":"SendCtrlAltDel"}')
like "$r" 'not supported before starting' "SendCtrlAltDel refused before boot"
r=$(put /boot-source "{\"kernel_image_path\":\"$T/bzimage\"}")
like "$r" '^204' "boot-source only opens the file"
r=$(put /actions '{"action_type":"InstanceStart"}')
like "$r" 'Invalid Elf magic number' "InstanceStart refuses a non-ELF kernel"
put /boot-source "{\"kernel_image_path\":\"$T/vmlinux\"}" >/dev/null
r=$(put /actions '{"action_type":"InstanceStart"}')
like "$r" '^204' "InstanceStart with an ELF kernel"
like "$(cat "$T/console")" 'LIA-GUEST: up' "boot marker on the console (stdout)"
r=$(put /machine-config '{"vcpu_count":1,"mem_size_mib":128}')
like "$r" 'not supported after starting the microVM' "pre-boot call refused after InstanceStart"
r=$(put /actions '{"action_type":"InstanceStart"}')
like "$r" 'not supported after starting' "second InstanceStart refused"
big=$(head -c 60000 /dev/zero | tr '\0' a)
r=$(put /mmds "{\"a\":\"$big\"}")
like "$r" 'larger than the limit of 51200' "payload over 51200 bytes refused"
r=$(put /actions '{"action_type":"SendCtrlAltDel"}')
like "$r" '^204' "SendCtrlAltDel accepted after boot"
wait $DOUBLE_PID
is "$?" 0 "guest resets: the double exits 0"
like "$(cat "$T/fc.log")" 'Firecracker exiting successfully. exit_code=0' "exit logged like Firecracker"

# eleven connections: the 11th gets 503
start_double
wait_sock
python3 - "$A" <<'EOF' > "$T/conn"
import socket, sys
socks = []
for i in range(11):
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); socks.append(s)
s = socks[-1]; s.settimeout(2)
try:
    print(s.recv(200).decode().split("\r\n")[0])
except Exception as e:
    print("no answer", e)
EOF
like "$(cat "$T/conn")" '^HTTP/1.1 503' "the 11th connection gets 503"

done_testing
