#!/bin/bash
# lia-vm-api.service and .socket: the host plugin's services phase installs and enables
# them in host.unit_dir, teardown removes them; systemd-analyze verify accepts them (and
# the templates in conf/); a daemon started by socket activation serves the socket it is
# given (systemd-socket-activate passes LISTEN_FDS as systemd does).
. "$(dirname "$0")/../lib.sh"
T=$(mk_tmp)
[ -e "$top_builddir/plugins/host/.libs/host.so" ] || skip_all "the host plugin is not built"
mkdir -p "$T/units"
mk_conf "$T" "host = { require_kvm = false; unit_dir = \"$T/units\"; api_group = \"\"; lia_core_path = \"$LIA_CORE\"; unit_config = \"$T/lia.conf\"; };" >/dev/null
export LIA_PLUGIN_PATH=$top_builddir/plugins/host/.libs
sed -i 's|^};|  api_group = "";\n};|' "$T/lia.conf" # the daemon must not make a group on this host
lia -c "$T/lia.conf" -q run setup --only services; is "$?" 0 "setup --only services succeeds"
test -f "$T/units/lia-vm-api.service" && test -f "$T/units/lia-vm-api.socket"; ok $? "both units are installed"
test "$(readlink "$T/units/sockets.target.wants/lia-vm-api.socket")" = "$T/units/lia-vm-api.socket" &&
	test "$(readlink "$T/units/multi-user.target.wants/lia-vm-api.service")" = "$T/units/lia-vm-api.service"
ok $? "and enabled (sockets.target.wants, multi-user.target.wants)"
grep -qx "ExecStart=$LIA_CORE -c $T/lia.conf serve" "$T/units/lia-vm-api.service"; ok $? "ExecStart runs lia-core serve with the configuration"
grep -qx "KillMode=process" "$T/units/lia-vm-api.service"; ok $? "KillMode=process: stopping the daemon leaves the VMs running"
grep -qx "Type=notify" "$T/units/lia-vm-api.service" && grep -qx "Type=notify" "$top_srcdir/conf/lia-vm-api.service.in"
ok $? "Type=notify (the daemon says READY=1 once it serves), in the installed unit and the template"
grep -q "^After=.*lia-network.service" "$T/units/lia-vm-api.service"; ok $? "After=lia-network.service"
lia -c "$T/lia.conf" -q run setup --only services; is "$?" 0 "a second setup changes nothing and succeeds"
if command -v systemd-analyze >/dev/null; then
	out=$(cd "$T/units" && systemd-analyze verify --man=no lia-vm-api.socket lia-vm-api.service 2>&1); rc=$?
	is "$rc" 0 "systemd-analyze verify accepts the installed units"; [ -n "$out" ] && diag "$out"
	mkdir -p "$T/tmpl"
	sed "s|@bindir@|$(dirname "$LIA_CORE")|" "$top_srcdir/conf/lia-vm-api.service.in" > "$T/tmpl/lia-vm-api.service"
	cp "$top_srcdir/conf/lia-vm-api.socket" "$T/tmpl/"
	sed -i '/^SocketGroup=/d' "$T/tmpl/lia-vm-api.socket" # the group need not exist here
	out=$(cd "$T/tmpl" && systemd-analyze verify --man=no lia-vm-api.socket lia-vm-api.service 2>&1); rc=$?
	is "$rc" 0 "systemd-analyze verify accepts the templates in conf/"; [ -n "$out" ] && diag "$out"
else
	skip "no systemd-analyze"; skip "no systemd-analyze"
fi
lia -c "$T/lia.conf" -q run teardown --only services; is "$?" 0 "teardown --only services succeeds"
is "$(find "$T/units" -mindepth 1 | wc -l)" 0 "teardown removes the units, the links and the folders it made"

# socket activation
if command -v systemd-socket-activate >/dev/null && command -v curl >/dev/null; then
	systemd-socket-activate -E LIA_PLUGIN_PATH -l "$T/act.sock" "$LIA_CORE" -c "$T/lia.conf" serve 2>"$T/act.log" &
	AP=$!
	cleanup "kill -9 $AP"
	for _ in $(seq 50); do [ -S "$T/act.sock" ] && break; sleep 0.1; done
	code=$(curl -s -o "$T/act.out" -w '%{http_code}' --unix-socket "$T/act.sock" --max-time 20 http://lia/healthz)
	is "$code" 200 "a socket-activated daemon answers on the socket it was given"
	grep -q "listening on systemd:3" "$T/act.log"; ok $? "it took the socket from LISTEN_FDS"
	kill -TERM "$AP"; wait "$AP"; is "$?" 0 "and stops with 0 on SIGTERM"
else
	skip "no systemd-socket-activate"; skip "-"; skip "-"
fi
# libmicrohttpd is opened by `serve` alone (dlopen): no other command maps it, so the
# Debian package must name it (dpkg-shlibdeps cannot see a dlopen)
if command -v readelf >/dev/null && readelf -d "$LIA_CORE" >/dev/null 2>&1; then
	readelf -d "$LIA_CORE" | grep NEEDED | grep -q microhttpd; ok $((!$?)) "lia-core does not link libmicrohttpd (readelf -d: no NEEDED entry)"
else
	skip "no readelf, or $LIA_CORE is no ELF file"
fi
grep -q '^Depends:.*libmicrohttpd12t64 | libmicrohttpd12' "$top_srcdir/debian/control"; ok $? "debian/control: the lia package depends on libmicrohttpd12"

# readiness (sd_notify without libsystemd): a socket the test binds stands for systemd's
# NOTIFY_SOCKET; at READY=1 the receiver asks the daemon for /healthz at once
notify_listen() { # ADDR OUT DAEMON_SOCK: receive until STOPPING=1 (or 60 s), one line each
	python3 - "$@" <<'PY'
import socket, sys
addr, out, dsock = sys.argv[1:4]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + addr[1:] if addr.startswith("@") else addr)
open(out + ".bound", "w").close()
s.settimeout(60)
with open(out, "w") as f:
    while True:
        try:
            m = s.recv(4096).decode()
        except socket.timeout:
            break
        if "READY=1" in m:  # is it serving already?
            c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            c.settimeout(10)
            try:
                c.connect(dsock)
                c.sendall(b"GET /healthz HTTP/1.1\r\nHost: lia\r\nConnection: close\r\n\r\n")
                m += "\nhealthz=" + c.recv(64).split(b"\r\n")[0].decode()
            except OSError as e:
                m += "\nhealthz=%s" % e
        f.write(" ".join(m.split("\n")) + "\n")
        f.flush()
        if "STOPPING=1" in m:
            break
PY
}
for addr in "$T/notify.sock" "@lia-test-notify-$$"; do
	rm -f "$T/notify.out" "$T/notify.out.bound" "$T/n.sock"
	notify_listen "$addr" "$T/notify.out" "$T/n.sock" &
	NP=$!
	cleanup "kill $NP"
	wait_for 10 test -e "$T/notify.out.bound"
	NOTIFY_SOCKET=$addr "$LIA_CORE" -c "$T/lia.conf" serve --listen "unix:$T/n.sock" 2>"$T/n.log" &
	DP=$!
	cleanup "kill -9 $DP"
	wait_for 30 grep -q "READY=1" "$T/notify.out"; ok $? "NOTIFY_SOCKET=$addr: READY=1 is sent"
	like "$(grep READY=1 "$T/notify.out")" "MAINPID=$DP .*healthz=HTTP/1.1 200" "with MAINPID, and only once /healthz is served"
	kill -TERM "$DP"; wait "$DP"; rc=$?
	wait "$NP"
	is "$rc $(tail -1 "$T/notify.out" | grep -o 'STOPPING=1')" "0 STOPPING=1" "SIGTERM: STOPPING=1 is sent, exit 0"
done
NOTIFY_SOCKET=relative/path "$LIA_CORE" -c "$T/lia.conf" serve --listen "unix:$T/n.sock" 2>"$T/n.log" &
DP=$!
cleanup "kill -9 $DP"
wait_for 30 test -S "$T/n.sock"
kill -TERM "$DP"; wait "$DP"; rc=$?
is "$rc $(grep -c 'NOTIFY_SOCKET .* is not an AF_UNIX socket path' "$T/n.log")" "0 1" "a NOTIFY_SOCKET that is no socket path: a warning, and the daemon serves"
done_testing
