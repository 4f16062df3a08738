# tests/net-bridge/common.sh - helpers shared by the net-bridge and net-tap tests.
# Source after tests/lib.sh.

# nb_netns VAR / nb_tmp VAR: lib.sh's mk_netns / mk_tmp, setting VAR in the calling shell
nb_netns() { need_root; local n; n=$(mk_netns) || bail "cannot create a netns"; printf -v "$1" '%s' "$n"; }
nb_tmp() { local d; d=$(mk_tmp) || bail "mktemp"; printf -v "$1" '%s' "$d"; }

# nb_uplink NS: a veth "up0" at 198.51.100.2/24 with the default route through it, its
# peer "up0p" left in NS (down).  Enough for uplink "auto" to find an interface.
nb_uplink() {
	ip -n "$1" link add up0 type veth peer name up0p || bail "cannot create veth in $1"
	ip -n "$1" addr add 198.51.100.2/24 dev up0
	ip -n "$1" link set up0 up
	ip -n "$1" route add default via 198.51.100.1 dev up0 onlink
}

# nb_snapshot NS: everything teardown must restore, as one text, pretty-printed (one
# value a line, so a difference shows where it is).  What changes by itself is left out:
# an IPv6 address's "tentative" flag (duplicate address detection ends a moment after
# the link comes up, sooner or later depending on load) and nftables object handles.
nb_snapshot() {
	local volatile='walk(if type == "object" then del(.tentative, .handle) else . end)'
	echo "== link"; ip -n "$1" -j link show | jq -S .
	echo; echo "== addr"; ip -n "$1" -j addr show | jq -S "$volatile"
	echo; echo "== route"; ip -n "$1" -j route show | jq -S .
	echo; echo "== nft"; ip netns exec "$1" nft -j list ruleset | jq -S "$volatile"
	echo; echo "== sysctl"; ip netns exec "$1" cat /proc/sys/net/ipv4/ip_forward
}

# nb_settled_snapshot NS: a snapshot once two in a row agree (the kernel finishes some link
# and address changes - carrier, operstate, IPv6 link-local - a moment after the command)
nb_settled_snapshot() {
	local a b i
	a=$(nb_snapshot "$1")
	for i in $(seq 50); do
		sleep 0.05
		b=$(nb_snapshot "$1")
		[ "$a" = "$b" ] && break
		a=$b
	done
	echo "$a"
}
# nb_snapshot_is NS TEXT: the namespace's snapshot is TEXT now (for wait_for)
nb_snapshot_is() { [ "$(nb_snapshot "$1")" = "$2" ]; }

# nb_lia NS CONF ARGS...: lia-core inside NS; stdout+stderr
nb_lia() { local ns=$1 conf=$2; shift 2; in_ns "$ns" "$LIA_CORE" -c "$conf" "$@" 2>&1; }

# nb_need: skip the whole file when the tools or the build are missing
nb_need() {
	need_root
	[ -x "$LIA_CORE" ] || skip_all "lia-core is not built ($LIA_CORE)"
	for p in ip nft jq "$@"; do
		command -v "$p" >/dev/null 2>&1 || skip_all "$p is not installed"
	done
	[ -c /dev/net/tun ] || skip_all "/dev/net/tun is missing"
}

# nb_topology HOST INET GUEST: uplink veth up0 (198.51.100.2) in HOST whose far end
# in0 (198.51.100.1) is in INET, with no route back to 172.16.0.0/24; a veth vg0 in
# HOST (to be put on the bridge) whose far end g0 in GUEST is 172.16.0.100/24.
# INET counts echo requests by source: nb_seen INET uplink|guest
nb_topology() {
	local host=$1 inet=$2 guest=$3
	ip -n "$host" link add up0 type veth peer name in0 netns "$inet" || bail "veth"
	ip -n "$host" addr add 198.51.100.2/24 dev up0
	ip -n "$host" link set up0 up
	ip -n "$host" route add default via 198.51.100.1
	ip -n "$inet" addr add 198.51.100.1/24 dev in0
	ip -n "$inet" link set in0 up
	in_ns "$inet" nft -f - <<'NFT'
table ip probe {
	chain input {
		type filter hook input priority 0; policy accept;
		ip saddr 198.51.100.2 icmp type echo-request counter comment "from-uplink"
		ip saddr 172.16.0.100 icmp type echo-request counter comment "from-guest"
	}
}
NFT
	ip -n "$host" link add vg0 type veth peer name g0 netns "$guest" || bail "veth"
	ip -n "$guest" addr add 172.16.0.100/24 dev g0
	ip -n "$guest" link set g0 up
}
nb_seen() {
	in_ns "$1" nft list chain ip probe input | grep "from-$2" | sed -E 's/.*packets ([0-9]+).*/\1/'
}
# after setup: the guest's veth on the bridge and its default route
nb_plug_guest() {
	ip -n "$1" link set vg0 master lia-br0 up
	ip -n "$2" route replace default via 172.16.0.1
}
