# tests/qemu/lib-qemu.sh - set-up shared by the QEMU tests (source after tests/lib.sh).
#   q_need                  skip the file unless QEMU, mmdebstrap, busybox-static, ssh... exist
#   q_cache                 $CACHE: LIA_TEST_CACHE (default /var/cache/lia-test), where the
#                           Debian kernel package and the mmdebstrap tarball are kept
#                           across test files and CI passes (the plugins' cache_dir)
#   q_env [EXTRA_CONF...]   temp dir $T, state $S, config $CONF, namespaces $HOSTNS (lia's
#                           bridge + NAT, the VMs) and $INETNS (198.51.100.1, the far end
#                           of the uplink); `lia-core` in HOSTNS as $L (an array); key $KEY
#   q_setup                 `run setup` (kernel-debian, image-debian, network); the built
#                           image is kept in the cache and put back before the next setup
#                           (image-debian rebuilds it itself if its inputs differ)
#   q_ssh IP CMD...         ssh root@IP from HOSTNS with $KEY
#   q_wait_ssh IP SECS      until ssh answers; sets $Q_PING_MS and $Q_SSH_MS (from $Q_T0)
#   q_procs / q_leftovers   QEMU processes of this test; what is left of them
q_need() {
	need_root
	[ -x "$LIA_CORE" ] || skip_all "lia-core is not built ($LIA_CORE)"
	command -v qemu-system-x86_64 >/dev/null 2>&1 ||
		skip_all "QEMU is not installed (Debian package qemu-system-x86; tools/deps.sh installs it)"
	local p
	for p in mmdebstrap mkfs.ext4 ssh ssh-keygen ip nft apt-get dpkg-deb ping; do
		command -v "$p" >/dev/null 2>&1 || skip_all "$p is not installed (tools/deps.sh)"
	done
	[ -x /bin/busybox ] || skip_all "busybox-static is not installed (tools/deps.sh)"
	[ -c /dev/net/tun ] || skip_all "/dev/net/tun is missing"
}

q_cache() {
	CACHE=${LIA_TEST_CACHE:-/var/cache/lia-test}
	mkdir -p "$CACHE/kernel-debian" "$CACHE/image-debian" "$CACHE/rootfs" || bail "cannot create the test cache $CACHE"
}

q_netns() { local n; n=$(mk_netns) || bail "cannot create a netns"; printf -v "$1" '%s' "$n"; }

q_env() {
	q_cache
	T=$(mk_tmp)
	S=$T/state
	q_netns HOSTNS
	q_netns INETNS
	cleanup "q_kill_all"
	# the uplink: up0 (198.51.100.2) in HOSTNS, in0 (198.51.100.1) in INETNS, which has
	# no route back to the VMs' network: only NAT lets a guest reach it
	ip -n "$HOSTNS" link add up0 type veth peer name in0 netns "$INETNS" || bail "veth"
	ip -n "$HOSTNS" addr add 198.51.100.2/24 dev up0
	ip -n "$HOSTNS" link set up0 up
	ip -n "$HOSTNS" route add default via 198.51.100.1
	ip -n "$INETNS" addr add 198.51.100.1/24 dev in0
	ip -n "$INETNS" link set in0 up
	ssh-keygen -q -t ed25519 -N '' -C 'lia-e2e' -f "$T/key" || bail "ssh-keygen"
	KEY=$T/key
	CONF=$(mk_conf "$T" \
		"host = { require_kvm = false; };" \
		"kernel-debian = { cache_dir = \"$CACHE/kernel-debian\"; };" \
		"image-debian = { cache_dir = \"$CACHE/image-debian\"; overlay = \"$top_srcdir/rootfs\"; };" \
		"net-bridge = { unit_dir = \"$T/units\"; };" \
		"net-tap = { };" \
		"qemu-driver = { stop_timeout = 60; socket_timeout = 20; };" \
		"vsock = { ready_timeout = 5; };" \
		"$@")
	L=(ip netns exec "$HOSTNS" "$LIA_CORE" -c "$CONF")
}

# the image build record names the state dir nowhere, so a built image serves any test
q_setup() {
	mkdir -p "$S/rootfs"
	if [ -f "$CACHE/rootfs/rootfs.ext4" ] && [ -f "$CACHE/rootfs/rootfs.json" ]; then
		cp --sparse=always "$CACHE/rootfs/rootfs.ext4" "$S/rootfs/rootfs.ext4"
		cp "$CACHE/rootfs/rootfs.json" "$S/rootfs/rootfs.json"
	fi
	local t0=$(date +%s)
	"${L[@]}" run setup > "$T/setup.log" 2>&1
	local rc=$?
	Q_SETUP_S=$(( $(date +%s) - t0 ))
	if [ $rc -eq 0 ] && ! cmp -s "$S/rootfs/rootfs.json" "$CACHE/rootfs/rootfs.json"; then
		# (tests run in parallel: a private temp name, then rename; json last)
		cp --sparse=always "$S/rootfs/rootfs.ext4" "$CACHE/rootfs/.rootfs.ext4.$$" &&
			cp "$S/rootfs/rootfs.json" "$CACHE/rootfs/.rootfs.json.$$" &&
			mv "$CACHE/rootfs/.rootfs.ext4.$$" "$CACHE/rootfs/rootfs.ext4" &&
			mv "$CACHE/rootfs/.rootfs.json.$$" "$CACHE/rootfs/rootfs.json"
		rm -f "$CACHE/rootfs/.rootfs.ext4.$$" "$CACHE/rootfs/.rootfs.json.$$"
	fi
	return $rc
}

q_ssh() {
	local ip=$1; shift
	ip netns exec "$HOSTNS" ssh -i "$KEY" -o BatchMode=yes -o StrictHostKeyChecking=no \
		-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=5 "root@$ip" "$@"
}

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# q_wait_ssh IP SECONDS: poll ping and ssh from HOSTNS; times from $Q_T0
q_wait_ssh() {
	local ip=$1 deadline=$(( $(date +%s) + $2 ))
	Q_PING_MS="" Q_SSH_MS=""
	while [ "$(date +%s)" -lt "$deadline" ]; do
		if [ -z "$Q_PING_MS" ] && ip netns exec "$HOSTNS" ping -c 1 -W 1 -q "$ip" >/dev/null 2>&1; then
			Q_PING_MS=$(( $(now_ms) - Q_T0 ))
		fi
		if [ -n "$Q_PING_MS" ] && q_ssh "$ip" true 2>/dev/null; then
			Q_SSH_MS=$(( $(now_ms) - Q_T0 ))
			return 0
		fi
		[ -n "$Q_PING_MS" ] || sleep 0.2
	done
	return 1
}

q_procs() {
	local f p
	for f in $(grep -lsa -- "$T/state/[s]ockets/" /proc/[0-9]*/cmdline); do
		p=${f#/proc/}; p=${p%/cmdline}
		[ "$(cut -d' ' -f3 "/proc/$p/stat" 2>/dev/null)" = Z ] && continue
		[ -e "/proc/$p" ] && echo "$p"
	done
}
q_kill_all() { local p; for p in $(q_procs); do kill -9 "$p" 2>/dev/null; done; }
q_leftovers() {
	local p f
	for p in $(q_procs); do echo "process $p: $(tr '\0' ' ' < /proc/$p/cmdline | head -c 200)"; done
	for f in "$S"/sockets/* "$S"/volumes/*; do [ -e "$f" ] && echo "file $f"; done
	ip -n "$HOSTNS" -o link show | grep -o 'tap[^:@]*' | sed 's/^/tap /'
	return 0
}
q_vm_key() {
	"${L[@]}" --json vm show "$1" 2>/dev/null | python3 -c '
import json,sys
d=json.load(sys.stdin); k=sys.argv[1]
for src in (d, d.get("data",{})):
    if isinstance(src,dict) and k in src:
        print(src[k]); break
' "$2" 2>/dev/null
}
