#!/bin/bash
# tools/demo.sh: lia's main job on a REAL guest, end to end, inside a throwaway network
# namespace: run setup (Debian kernel + Debian image + bridge/NAT + TAPs + the VMM), vm
# create with a fresh ssh key, vm start, a command run in the guest over ssh (its output is
# printed), vm stop, vm destroy, run teardown, and a last check that nothing is left.
#
# The VMM: Firecracker (fc-driver) when this host can run it (a real firecracker >= v1.8,
# which Debian's kernels need, and a usable /dev/kvm); otherwise QEMU (qemu-driver) with
# KVM when there is one and its software emulator (TCG) when not.  It says which.
#
#   tools/demo.sh [LIA_CORE]      (default: lia-core on PATH; run as root)
# Environment: LIA_DEMO_CACHE  where the Debian kernel package and the mmdebstrap tarball
#                              are kept between runs (default /var/cache/lia-test, shared
#                              with the test suite); the first run builds them (minutes)
#              FIRECRACKER     a firecracker binary to prefer when /dev/kvm works
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
LIA=${1:-$(command -v lia-core)}
[ -x "$LIA" ] || { echo "demo: no lia-core (build and install it first)"; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "demo: run as root (it creates a network namespace)"; exit 2; }
# from a build tree: its plugins and the source overlay
bdir=$(cd "$(dirname "$LIA")" && pwd)
if [ -d "$bdir/plugins" ] && [ -z "${LIA_PLUGIN_PATH:-}" ]; then
	LIA_PLUGIN_PATH=$(ls -d "$bdir"/plugins/*/.libs 2>/dev/null | tr '\n' ':')
	export LIA_PLUGIN_PATH
fi
overlay=$top/rootfs
[ -d "$bdir/../share/lia/rootfs" ] && overlay=$(cd "$bdir/../share/lia/rootfs" && pwd)
CACHE=${LIA_DEMO_CACHE:-/var/cache/lia-test}

for p in ip nft ssh ssh-keygen mkfs.ext4 mmdebstrap apt-get dpkg-deb; do
	command -v "$p" >/dev/null || { echo "demo: $p is missing: run tools/deps.sh"; exit 2; }
done
[ -x /bin/busybox ] || { echo "demo: busybox-static is missing: run tools/deps.sh"; exit 2; }

# --- which VMM
kvm=no
[ -c /dev/kvm ] && [ -r /dev/kvm ] && [ -w /dev/kvm ] && kvm=yes
fc=${FIRECRACKER:-$(command -v firecracker 2>/dev/null)}
fcver=""
[ -n "$fc" ] && [ -x "$fc" ] && fcver=$("$fc" --version 2>/dev/null | head -1 | grep -o 'v[0-9][0-9.]*' | head -1)
fc_ok=no
if [ $kvm = yes ] && [ -n "$fcver" ]; then
	maj=${fcver#v}; min=${maj#*.}; maj=${maj%%.*}; min=${min%%.*}
	[ "$maj" -gt 1 ] || { [ "$maj" -eq 1 ] && [ "$min" -ge 8 ]; } && fc_ok=yes
fi
if [ $fc_ok = yes ]; then
	VMM=fc-driver ACCEL=KVM
	vmm_conf="fc-driver = { binary = \"$fc\"; stop_timeout = 30; };"
elif command -v qemu-system-x86_64 >/dev/null; then
	VMM=qemu-driver
	ACCEL=TCG; [ $kvm = yes ] && ACCEL=KVM
	vmm_conf="qemu-driver = { accel = \"$( [ $kvm = yes ] && echo kvm || echo tcg )\"; };"
else
	echo "demo: no VMM can run here: no Firecracker >= v1.8 with /dev/kvm, and no QEMU"
	echo "demo: install QEMU (Debian package qemu-system-x86, or run tools/deps.sh)"
	exit 2
fi
why="/dev/kvm $( [ $kvm = yes ] && echo usable || echo absent or unusable)"
[ $VMM = qemu-driver ] && [ -n "$fcver" ] && why="$why; firecracker $fcver"
echo "demo: VMM $VMM, accelerator $ACCEL ($why)"

W=$(mktemp -d /tmp/lia-demo.XXXXXX)
NS=lia-demo-$$
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
fail() { echo "demo: FAILED: $*"; exit 1; }
C=(ip netns exec "$NS" "$LIA" -c "$W/etc/lia.conf")
finish() {
	"${C[@]}" -q vm destroy demo >/dev/null 2>&1
	"${C[@]}" -q run teardown >/dev/null 2>&1
	ip netns delete "$NS" 2>/dev/null
	rm -rf "$W"
}
trap finish EXIT

step "writing the configuration $W/etc/lia.conf"
mkdir -p "$W/etc" "$W/systemd" "$CACHE/kernel-debian" "$CACHE/image-debian"
ssh-keygen -q -t ed25519 -N '' -C demo@lia -f "$W/key" || fail "ssh-keygen"
cat > "$W/etc/lia.conf" <<EOF2
lia = { state_dir = "$W/state"; vcpus = 1; mem_mib = 512; volume_mib = 64; };
host = { require_kvm = $( [ $ACCEL = KVM ] && echo true || echo false ); };
kernel-debian = { cache_dir = "$CACHE/kernel-debian"; };
image-debian = { cache_dir = "$CACHE/image-debian"; overlay = "$overlay"; };
net-bridge = { unit_dir = "$W/systemd"; enable_unit = false; };
net-tap = { };
$vmm_conf
EOF2
cat "$W/etc/lia.conf"

# --- a throwaway network namespace with an uplink (a veth pair) and a default route
step "creating network namespace $NS (the host's own namespace is never touched)"
ip netns add "$NS" || fail "cannot create a network namespace"
ip -n "$NS" link set lo up
ip -n "$NS" link add up0 type veth peer name upx
ip -n "$NS" addr add 198.51.100.2/24 dev up0
ip -n "$NS" addr add 198.51.100.1/24 dev upx
ip -n "$NS" link set up0 up && ip -n "$NS" link set upx up
ip -n "$NS" route add default via 198.51.100.1 dev up0 2>/dev/null || true
before_links=$(ip -n "$NS" -br link | sort)
before_nft=$(ip netns exec "$NS" nft list ruleset 2>/dev/null)

step "lia-core run setup  (the first run fetches a Debian kernel and builds a Debian image: minutes; cached in $CACHE)"
t0=$(date +%s)
"${C[@]}" run setup || fail "setup"
echo "(setup took $(( $(date +%s) - t0 )) s)"
step "lia-core vm create demo"
"${C[@]}" vm create demo --ssh-key "$W/key.pub" || fail "vm create"
ip=$("${C[@]}" --json vm show demo | python3 -c 'import json,sys; d=json.load(sys.stdin); print((d.get("data") or d).get("net.ip",""))')
step "lia-core vm start demo  ($VMM, $ACCEL)"
t0=$(date +%s%N)
"${C[@]}" vm start demo || fail "vm start"
"${C[@]}" vm list
step "waiting for the guest's sshd at $ip"
ssh_=(ip netns exec "$NS" ssh -i "$W/key" -o BatchMode=yes -o StrictHostKeyChecking=no
	-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=5 "root@$ip")
up=no
for _ in $(seq 1 120); do
	if "${ssh_[@]}" true 2>/dev/null; then up=yes; break; fi
	sleep 1
done
[ $up = yes ] || { tail -20 "$W/state/logs/demo.console.log"; fail "the guest did not answer ssh within 2 minutes"; }
echo "ssh answered $(( ($(date +%s%N) - t0) / 1000000 )) ms after vm start began"
step "ssh root@$ip 'uname -a; head -1 /etc/os-release; ip -4 -o addr show eth0; df -h /workspace'"
"${ssh_[@]}" 'uname -a; head -1 /etc/os-release; ip -4 -o addr show eth0; df -h /workspace | tail -1' |
	sed 's/^/   guest> /' || fail "the command in the guest failed"
step "lia-core vm stop demo  (the guest shuts itself down)"
"${C[@]}" vm stop demo || fail "vm stop"
echo "-- the end of the guest's serial console:"
tail -3 "$W/state/logs/demo.console.log" | sed 's/^/   | /'
step "lia-core vm destroy demo"
"${C[@]}" vm destroy demo || fail "vm destroy"
step "lia-core run teardown"
"${C[@]}" run teardown || fail "teardown"

step "checking that nothing is left"
left=0
after_links=$(ip -n "$NS" -br link | sort)
[ "$after_links" = "$before_links" ] || { echo "links differ:"; diff <(echo "$before_links") <(echo "$after_links"); left=1; }
[ "$(ip netns exec "$NS" nft list ruleset 2>/dev/null)" = "$before_nft" ] || { echo "nftables rules left"; left=1; }
ls "$W/state/vms/"*.json >/dev/null 2>&1 && { echo "VM records left"; left=1; }
ls "$W/state/sockets/"* >/dev/null 2>&1 && { echo "sockets left"; left=1; }
pgrep -f "$W/state/sockets" >/dev/null && { echo "VMM processes left"; left=1; }
[ $left -eq 0 ] || fail "something was left behind"
echo "nothing left: links, nftables, records, sockets and processes are as before."
echo
echo "demo: OK - a real guest ($VMM, $ACCEL): setup, create, start, ssh, stop, destroy and teardown all worked."
