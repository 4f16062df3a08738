#!/bin/bash
# fc-driver passes the whole network contract on the kernel command line: with a /16
# pool (net-tap's net.prefix) the boot-source request carries lia.prefix=16 next to
# lia.ip and lia.gateway (issue 16: the prefix was never passed, so lia-init assumed /24),
# and the kernel phase's initrd (state_dir/kernel/initrd) goes in as initrd_path.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-fc.sh"
need_plugin net-bridge net-tap image-dir host
[ -x "$FCDOUBLE" ] || skip_all "fcdouble is not built"
need_root
command -v mkfs.ext4 >/dev/null || skip_all "mkfs.ext4 is not installed"
[ -c /dev/net/tun ] || skip_all "/dev/net/tun is missing"

NS=$(mk_netns)
fc_env "$FCDOUBLE" \
	"net-bridge = { bridge = \"liafc16\"; address = \"172.30.0.1/16\"; uplink = \"none\"; nat = false; enable_unit = false; };" \
	"net-tap = { pool_start = \"172.30.1.10\"; pool_end = \"172.30.1.20\"; };"
L=(ip netns exec "$NS" "$LIA_CORE" -c "$CONF")
"${L[@]}" -q run setup --only network >"$T/net.log" 2>&1 || { sed 's/^/# /' "$T/net.log"; bail "network setup failed"; }
cleanup "ip netns exec '$NS' '$LIA_CORE' -c '$CONF' -q run teardown --only network"
export FCDOUBLE_TRACE=$T/trace

"${L[@]}" -q vm create v1 --vcpus 1 --mem-mib 128
ok $? "vm create with a /16 pool"
is "$(vm_key v1 net.prefix)" 16 "net-tap recorded net.prefix 16"
out=$("${L[@]}" vm start v1 2>&1); rc=$?
is "$rc" 0 "vm start" || diag "$out"
boot=$(grep '^PUT /boot-source' "$T/trace")
like "$boot" '"boot_args":"[^"]* lia\.ip=172\.30\.1\.10 lia\.prefix=16 lia\.gateway=172\.30\.0\.1' \
	"boot-source: lia.ip, lia.prefix=16, lia.gateway in that order"
grep -q initrd_path <<<"$boot"; ok $((! $?)) "no initrd_path without state_dir/kernel/initrd"
"${L[@]}" -q vm stop v1 --force

printf 'not really an initramfs' > "$S/kernel/initrd"
: > "$T/trace"
out=$("${L[@]}" vm start v1 2>&1); rc=$?
is "$rc" 0 "vm start with an initrd" || diag "$out"
like "$(grep '^PUT /boot-source' "$T/trace")" "\"initrd_path\":\"$S/kernel/initrd\"" \
	"boot-source: initrd_path is state_dir/kernel/initrd"
"${L[@]}" -q vm stop v1 --force
"${L[@]}" -q vm destroy v1
ok $? "vm destroy"
done_testing
