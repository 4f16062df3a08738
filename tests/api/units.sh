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
done_testing
