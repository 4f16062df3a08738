#!/bin/bash
# Settings are checked by value, before any hook: each case of issue 9's list is refused by
# `config check` with FILE:LINE, the setting and what is allowed, and exit 2.
. "$(dirname "$0")/../lib.sh"
need_plugin host net-bridge net-tap kernel-fetch fc-driver vsock
T=$(mk_tmp)
mkdir -p "$T/etc"
base() { # the shipped plugins with their defaults, plus the text given
	cat > "$T/etc/lia.conf" <<CONF
lia = { state_dir = "$T/state"; };
host = { };
net-bridge = { unit_dir = "$T/units"; };
net-tap = { };
kernel-fetch = { };
fc-driver = { };
vsock = { };
CONF
	printf '%b\n' "$1" >> "$T/etc/lia.conf"
}
base ""
out=$(lia -c "$T/etc/lia.conf" config check 2>&1); rc=$?
is "$rc" 0 "the shipped defaults pass"
[ "$rc" -eq 0 ] || diag "$out"
F="$T/etc/lia.conf"
# the plugin blocks above are lines 2-7; a block appended on line 8 overrides nothing, so
# each case redefines through conf.d instead
mkdir -p "$T/etc/conf.d"
refused_d() { # refused_d DESC BLOCK-TEXT REGEX   (the text goes to conf.d/50-case.conf)
	base ""
	sed -i "/^$4 = /d" "$T/etc/lia.conf"
	printf '%s\n' "$2" > "$T/etc/conf.d/50-case.conf"
	out=$(lia -c "$T/etc/lia.conf" config check 2>&1); rc=$?
	is "$rc" 2 "$1: exit 2"
	like "$out" "$3" "$1: FILE:LINE and what is allowed"
	rm -f "$T/etc/conf.d/50-case.conf"
}
C="$T/etc/conf.d/50-case.conf"
sed -i "s|^lia = { state_dir = \"$T/state\"; };|lia = { state_dir = \"$T/state\"; vcpus = -2; };|" "$F"
out=$(lia -c "$F" config check 2>&1); rc=$?
is "$rc" 2 "negative vcpus: exit 2"
like "$out" "^lia-core: $F:1: lia.vcpus: -2 is out of range \\(allowed: 1 to 256\\)" "negative vcpus: FILE:LINE and what is allowed"
base ""
sed -i "s|^lia = { state_dir = \"$T/state\"; };|lia = { state_dir = \"$T/state\"; vcpus = 99999999999999999999999; };|" "$F"
out=$(lia -c "$F" config check 2>&1); rc=$?
is "$rc" 2 "a vcpus past 64 bits: exit 2"
like "$out" "^lia-core: $F:1: lia.vcpus: is too large for a 64-bit integer" "a vcpus past 64 bits: named, not stored as -1"
base ""
sed -i "s|^lia = { state_dir = \"$T/state\"; };|lia = { state_dir = \"$T/state\"; vcpus = 4294967298; };|" "$F"
out=$(lia -c "$F" config check 2>&1); rc=$?
is "$rc" 2 "a vcpus past 32 bits (libconfig would keep 2): exit 2"
like "$out" "lia.vcpus: 4294967298 is out of range" "a vcpus past 32 bits: the real value is checked"
base ""
sed -i "s|^lia = { state_dir = \"$T/state\"; };|lia = { state_dir = \"$T/state\"; download_retries = -5; };|" "$F"
out=$(lia -c "$F" config check 2>&1); rc=$?
is "$rc" 2 "download_retries = -5: exit 2"
like "$out" "^lia-core: $F:1: lia.download_retries: -5 is out of range \\(allowed: 0 to 100\\)" "download_retries = -5: FILE:LINE"
base ""
sed -i "s|^lia = { state_dir = \"$T/state\"; };|lia = { state_dir = \"state\"; };|" "$F"
out=$(lia -c "$F" config check 2>&1); rc=$?
is "$rc" 2 "a relative state_dir: exit 2"
like "$out" "^lia-core: $F:1: lia.state_dir: \"state\" is not an absolute path" "a relative state_dir: FILE:LINE"

refused_d "reversed address pool" 'net-tap = { pool_start = "172.16.0.200"; pool_end = "172.16.0.100"; };' \
	"^lia-core: $C:1: net-tap.pool_start: 172.16.0.200 is after pool_end 172.16.0.100" net-tap
refused_d "address with prefix 99" 'net-bridge = { unit_dir = "/x"; address = "172.16.0.1/99"; };' \
	"^lia-core: $C:1: net-bridge.address: \"172.16.0.1/99\" has a prefix outside 0-32" net-bridge
refused_d "address that is not one" 'net-bridge = { unit_dir = "/x"; address = "not an address"; };' \
	"^lia-core: $C:1: net-bridge.address: \"not an address\" is not an IPv4 address with a prefix" net-bridge
refused_d "pool outside the bridge's subnet" 'net-tap = { pool_start = "10.0.0.5"; pool_end = "10.0.0.9"; };' \
	"^lia-core: $C:1: net-tap.pool_start: the pool 10.0.0.5..10.0.0.9 is not inside the bridge's subnet 172.16.0.1/24 \\($F:3 \\(net-bridge.address, default\\)\\)" net-tap
refused_d "net-tap repeating the bridge" 'net-tap = { gateway = "172.16.0.1/24"; };' \
	"^lia-core: $C:1: net-tap.gateway: is set here and by $F:3 \\(net-bridge.address, default\\); remove it here" net-tap
refused_d "a sha256 of three letters" 'kernel-fetch = { sha256 = "abc"; };' \
	"^lia-core: $C:1: kernel-fetch.sha256: \"abc\" is not a SHA-256 \\(allowed: 64 hexadecimal digits\\)" kernel-fetch
refused_d "an ftp:// kernel URL" 'kernel-fetch = { url = "ftp://example.org/vmlinux"; };' \
	"^lia-core: $C:1: kernel-fetch.url: \"ftp://example.org/vmlinux\" is not an allowed URL \\(allowed schemes: http,https,file\\)" kernel-fetch
refused_d "a dict:// kernel URL" 'kernel-fetch = { url = "dict://example.org/x"; };' \
	"kernel-fetch.url: \"dict://example.org/x\" is not an allowed URL" kernel-fetch
refused_d "cid_min above cid_max" 'vsock = { cid_min = 100; cid_max = 50; };' \
	"^lia-core: $C:1: vsock.cid_min: 100 is above cid_max 50 \\(allowed: cid_min <= cid_max\\)" vsock
refused_d "stop_timeout = -5" 'fc-driver = { stop_timeout = -5; };' \
	"^lia-core: $C:1: fc-driver.stop_timeout: -5 is out of range \\(allowed: 0 to 3600\\)" fc-driver
refused_d "cgroup_version = 9" 'fc-driver = { cgroup_version = 9; };' \
	"^lia-core: $C:1: fc-driver.cgroup_version: 9 is out of range \\(allowed: 1 to 2\\)" fc-driver
refused_d "a NUL inside a string" 'fc-driver = { boot_args_extra = "quiet\x00 init=/bin/sh"; };' \
	"^lia-core: $C:1: fc-driver.boot_args_extra: holds a NUL byte" fc-driver
refused_d "a misspelt setting" 'net-bridge = { unit_dir = "/x"; brige = "x"; };' \
	"^lia-core: $C:1: unknown setting 'brige' for plugin 'net-bridge' \\(did you mean 'bridge'\\?\\)" net-bridge
done_testing
