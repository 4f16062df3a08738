# tests/fc-driver/lib-fc.sh - shared set-up of fc-driver's tests (source after tests/lib.sh).
#   fc_env VMM [EXTRA_CONF...]   temp dir $T, config $CONF, state $S, `lia-core` as $L
#                                (an array), template image built, kernel = tiny guest
#   fc_net_env                   the same plus net-bridge + net-tap inside a fresh netns $NS
#                                ($L then runs inside it); returns 1 when unavailable
#   fc_procs                     pids of VMMs whose command line mentions $T
#   fc_leftovers                 one line per leaked VMM process or socket file
# fc_env loads these plugins (fc_net_env also net-bridge and net-tap)
need_plugin fc-driver host image-dir vsock
FCDOUBLE=${FCDOUBLE:-$top_builddir/tests/fcdouble/fcdouble}
GUESTS=$top_builddir/tests/guest

# real firecracker: $FIRECRACKER or on PATH
fc_real_binary() {
	if [ -n "${FIRECRACKER:-}" ] && [ -x "$FIRECRACKER" ]; then echo "$FIRECRACKER"; return 0; fi
	command -v firecracker 2>/dev/null
}

# the pieces shared with the installed test kit's lia-testenv
. "$top_srcdir/tests/testkit/testenv-lib.sh"
fc_procs() { te_procs "$T"; }
fc_kill_all() { te_kill_procs "$T"; }

fc_leftovers() {
	local p f
	for p in $(fc_procs); do echo "process $p: $(tr '\0' ' ' < /proc/$p/cmdline)"; done
	for f in "$S"/sockets/*; do [ -e "$f" ] && echo "file $f"; done
	return 0
}

# fc_env VMM_BINARY [CONF_TEXT...]
fc_env() {
	local vmm=$1; shift
	T=$(mk_tmp)
	S=$T/state
	cleanup "fc_kill_all"
	te_guest_tree "$T"
	CONF=$(mk_conf "$T" \
		"host = { };" \
		"fc-driver = { binary = \"$vmm\"; stop_timeout = 2; socket_timeout = 3; ${FC_DRIVER_EXTRA:-} };" \
		"image-dir = { source = \"$T/src\"; overlay = \"$T/overlay\"; size_mib = 64; };" \
		"vsock = { ready_timeout = 2; };" \
		"$@")
	printf 'lia = { volume_mib = 8; };   # small data volumes (the size is the core'"'"'s)\n' > "$T/conf.d/00-volume.conf"
	L=("$LIA_CORE" -c "$CONF")
	"${L[@]}" -q run setup --only dirs,image >"$T/setup.log" 2>&1 || { cat "$T/setup.log"; bail "setup failed"; }
	cp "$GUESTS/guest-wait.elf" "$S/kernel/vmlinux"
}

# fc_net_env VMM_BINARY: as fc_env, with the network plugins in a namespace of our own
fc_net_env() {
	local vmm=$1
	[ "$(id -u)" -eq 0 ] || return 1
	{ plugin_off net-bridge || plugin_off net-tap; } >/dev/null && return 1
	[ -e /dev/net/tun ] || return 1
	NS=$(mk_netns) || return 1
	local net
	mapfile -t net < <(TE_BRIDGE=liafc0 TE_UNIT_DIR=/nonexistent te_net_conf)
	fc_env "$vmm" "${net[@]}"
	L=(ip netns exec "$NS" "$LIA_CORE" -c "$CONF")
	"${L[@]}" -q run setup --only network >"$T/net.log" 2>&1 || { cat "$T/net.log" | sed 's/^/# /'; return 1; }
	cleanup "ip netns exec '$NS' '$LIA_CORE' -c '$CONF' -q run teardown --only network"
	return 0
}

# state KEY of VM NAME from `vm show --json` ("" when unset)
vm_key() {
	"${L[@]}" --json vm show "$1" 2>/dev/null | python3 -c '
import json,sys
d=json.load(sys.stdin); k=sys.argv[1]
for src in (d, d.get("data",{})):
    if isinstance(src,dict) and k in src:
        v=src[k]; print(v if not isinstance(v,bool) else str(v).lower()); break
' "$2" 2>/dev/null
}
