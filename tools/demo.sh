#!/bin/bash
# tools/demo.sh: lia's main job, end to end, inside a throwaway network namespace, from local
# artifacts only: setup (with a local mirror), vm create, start, show, connect, stop,
# destroy, teardown, and a last check that nothing is left.
#
#   tools/demo.sh [LIA_CORE]      (default: lia-core on PATH)
# Environment: FIXTURES  build folder holding fcdouble/ and guest/ (default: the installed test
#                        kit beside lia-core, else build/tests)
#              FIRECRACKER  a real Firecracker binary, used when /dev/kvm works
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
LIA=${1:-$(command -v lia-core)}
[ -x "$LIA" ] || { echo "demo: no lia-core (build and install it first)"; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "demo: run as root (it creates a network namespace)"; exit 2; }
FIX=${FIXTURES:-$top/build/tests}
DOUBLE=$FIX/fcdouble/fcdouble
GUEST=$FIX/guest/guest-wait.elf
# an installed lia brings its test kit (the double and the guests) beside it
kit=$(dirname "$LIA")/../share/lia/testkit
if [ -z "${FIXTURES:-}" ] && [ -x "$kit/fcdouble" ]; then DOUBLE=$kit/fcdouble GUEST=$kit/guest-wait.elf; fi
for f in "$DOUBLE" "$GUEST"; do [ -e "$f" ] || { echo "demo: missing test fixture $f (make check programs first)"; exit 2; }; done

# the test kit's pieces (the mirror): installed beside lia-core, else the source tree's
kitlib=$kit/testenv-lib.sh
[ -r "$kitlib" ] || kitlib=$top/tests/testkit/testenv-lib.sh
. "$kitlib"
W=$(mktemp -d /tmp/lia-demo.XXXXXX)
NS=lia-demo-$$
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
fail() { echo "demo: FAILED: $*"; exit 1; }
finish() {
	ip netns exec "$NS" "$LIA" -c "$W/etc/lia.conf" -q vm destroy demo >/dev/null 2>&1
	ip netns exec "$NS" "$LIA" -c "$W/etc/lia.conf" -q run teardown >/dev/null 2>&1
	ip netns delete "$NS" 2>/dev/null
	rm -rf "$W"
}
trap finish EXIT

# --- the VMM: a real Firecracker when this host can run one, else the strict test double
VMM=$DOUBLE VERSION=v1.6.0
real=${FIRECRACKER:-$(command -v firecracker 2>/dev/null)}
if [ -n "$real" ] && [ -x "$real" ] && [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
	VMM=$real
	VERSION=$("$real" --version | head -1 | grep -o 'v[0-9.]*')
	echo "demo: using the real Firecracker $real ($VERSION)"
else
	echo "demo: NOTE: no usable real Firecracker here (${real:-none found}; /dev/kvm $( [ -e /dev/kvm ] && echo present || echo absent))."
	echo "demo: falling back to lia's Firecracker API test double ($DOUBLE), which is as strict as v1.6."
fi

# --- a local mirror: the Firecracker release tarball, the guest kernel
step "building a local mirror in $W/mirror"
M=$W/mirror
te_mirror "$M" "$GUEST" "$VMM" "$VERSION" || fail "cannot build the mirror"
find "$M" -type f | sed "s|$M/|  |"

# --- a guest root folder for image-dir: busybox and an init
step "building a guest root folder for image-dir"
R=$W/guest-root
mkdir -p "$R/bin" "$R/sbin" "$R/etc" "$R/proc" "$R/sys" "$R/dev" "$R/tmp" "$R/root"
cp /bin/busybox "$R/bin/busybox"
for a in sh ls cat ip mount; do ln -sf busybox "$R/bin/$a"; done
ln -sf ../bin/busybox "$R/sbin/init"
echo "  $(find "$R" | wc -l) entries"

# --- the configuration: every state and binary under $W, networking inside $NS
step "writing the configuration $W/etc/lia.conf"
mkdir -p "$W/etc/conf.d" "$W/bin" "$W/systemd"
ssh_key="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDemoKeyForLiaQuickStart000000000000 demo@lia"
echo "$ssh_key" > "$W/demo_key.pub"
overlay=$top/rootfs
[ -d "$(dirname "$LIA")/../share/lia/rootfs" ] && overlay=$(cd "$(dirname "$LIA")/../share/lia/rootfs" && pwd)
cat > "$W/etc/lia.conf" <<EOF2
lia = { state_dir = "$W/state"; mirror = "file://$M"; vcpus = 1; mem_mib = 128; volume_mib = 16; };
host = { require_kvm = $( [ "$VMM" = "$DOUBLE" ] && echo false || echo true ); };
kernel-fetch = { };
fc-driver = { version = "$VERSION"; bin_dir = "$W/bin"; stop_timeout = 3; };
image-dir = { source = "$W/guest-root"; overlay = "$overlay"; size_mib = 64; };
net-bridge = { unit_dir = "$W/systemd"; enable_unit = false; };
net-tap = { };
vsock = { ready_timeout = 5; };
EOF2
cat "$W/etc/lia.conf"
C=(ip netns exec "$NS" "$LIA" -c "$W/etc/lia.conf")

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

step "lia-core run setup --dry-run"
"${C[@]}" run setup --dry-run || fail "dry run"
step "lia-core run setup"
"${C[@]}" run setup || fail "setup"
step "lia-core run setup (again: nothing to change)"
"${C[@]}" -q run setup || fail "second setup"
step "lia-core vm create demo"
"${C[@]}" vm create demo --ssh-key "$W/demo_key.pub" || fail "vm create"
step "lia-core vm start demo"
"${C[@]}" vm start demo || fail "vm start"
step "lia-core vm list ; vm show demo"
"${C[@]}" vm list
"${C[@]}" vm show demo
echo "-- the guest's serial console:"
sed 's/^/   | /' "$W/state/logs/demo.console.log" 2>/dev/null | head -5
step "lia-core vm stop demo"
"${C[@]}" vm stop demo || fail "vm stop"
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
echo "demo: OK - setup, create, start, show, stop, destroy and teardown all worked."
