#!/bin/bash
# What lia-core says when something is wrong, and --json everywhere: a missing file is
# "cannot open FILE: reason", a misspelt setting gets "did you mean", a relative state_dir
# names FILE:LINE, every message carries the lia-core: prefix, an unknown option of a
# command exits 2, `plugins -v` works as lia.conf(5) documents, `--json gc` and
# `--json config check` print JSON.
. "$(dirname "$0")/../lib.sh"
. "$top_srcdir/tests/stubs/build.sh"
command -v python3 >/dev/null || skip_all "python3 is not installed"
T=$(mk_tmp)
P=$T/plugins
export LIA_PLUGIN_PATH=$P
stub_build "$P" stub_a stub-a || bail "cannot compile stubs"
json() { python3 -c 'import json, sys; json.load(sys.stdin)'; }

out=$(lia -c "$T/nope.conf" plugins 2>&1); rc=$?
is "$rc" 2 "a missing configuration file: exit 2"
like "$out" "^lia-core: cannot open (configuration file )?$T/nope.conf: No such file or directory$" \
	"it says cannot open FILE: reason (no FILE:0:)"

mk_conf "$T" "stub-a = { log = \"$T/log\"; lease_mux = 3; };" >/dev/null
out=$(lia -c "$T/lia.conf" config check 2>&1); rc=$?
is "$rc" 2 "a misspelt setting is a configuration error"
like "$out" "^lia-core: $T/lia.conf:[0-9]+: .*lease_mux.*did you mean 'lease_max'\?" \
	"with FILE:LINE and a did-you-mean"

printf 'lia = {\n  state_dir = "var/lib/lia";\n};\n' >"$T/rel.conf"
out=$(lia -c "$T/rel.conf" plugins 2>&1)
like "$out" "^lia-core: $T/rel.conf:2: .*state_dir" "a relative state_dir names FILE:LINE"

mk_conf "$T" "stub-a = { log = \"$T/log\"; };" >/dev/null
lia -c "$T/lia.conf" plugins --bogus >/dev/null 2>&1
is "$?" 2 "plugins --bogus exits 2"
out=$(lia -c "$T/lia.conf" plugins -v 2>&1)
like "$out" "lease_max" "plugins -v lists the settings (as lia.conf(5) says)"
is "$(lia -c "$T/lia.conf" -v plugins 2>&1)" "$out" "the same as lia-core -v plugins"

out=$(lia -c "$T/lia.conf" --json gc 2>/dev/null)
ok $? "--json gc succeeds"
json <<<"$out"
ok $? "--json gc prints JSON"
out=$(lia -c "$T/lia.conf" --json config check 2>/dev/null)
ok $? "--json config check succeeds"
json <<<"$out"
ok $? "--json config check prints JSON"
mk_conf "$T" "stub-a = { log = \"$T/log\"; lease_mux = 3; };" >/dev/null
out=$(lia -c "$T/lia.conf" --json config check 2>/dev/null)
is "$?" 2 "--json config check of a bad file: exit 2"
json <<<"$out"
ok $? "and still JSON"

# a missing KVM device: what fits the cause (no permission advice for a device that is
# not there), and the way out without KVM
if [ "$(id -u)" -eq 0 ]; then
	NS=$(mk_netns)
	mkdir -p "$T/kvm"
	mk_conf "$T/kvm" "host = { kvm_device = \"$T/no-kvm\"; };" >/dev/null
	out=$(LIA_PLUGIN_PATH=$top_builddir/plugins/host/.libs in_ns "$NS" "$LIA_CORE" -c "$T/kvm/lia.conf" \
		run setup --only preflight 2>&1)
	is "$?" 1 "preflight without the KVM device fails"
	like "$out" "^lia-core: error: host/preflight: $T/no-kvm does not exist" "it says the device does not exist"
	if grep -qwE 'vmx|svm' /proc/cpuinfo; then
		like "$out" "modprobe kvm_(intel|amd)" "the CPU can: it says which module to load"
	else
		like "$out" "enable VT-x/AMD-V in the firmware, or nested virtualization" \
			"the CPU shows no vmx/svm: it says to enable virtualization (or nested)"
	fi
	like "$out" "require_kvm = false" "and how to go on without KVM"
	[[ "$out" != *"group kvm"* ]] && [[ "$out" != *"usermod"* ]]
	ok $? "no advice about the kvm group for a missing device"
	# a download whose host cannot be resolved (a namespace with no route to any DNS)
	DL=$top_builddir/tests/download/dl-test
	if [ -x "$DL" ]; then
		out=$(in_ns "$NS" "$DL" -g download_retries=0 "https://lia-test.invalid/k/vmlinux" "$T/dl-out" 2>&1)
		ok $((!$?)) "a download from a host that cannot be resolved fails"
		like "$out" "lia-test\.invalid.*set \`mirror\` in the lia block to a local mirror" \
			"and says that the mirror setting is the way without internet"
		out=$(in_ns "$NS" "$DL" -g download_retries=0 -g "mirror=http://mirror.invalid/lia" \
			"https://lia-test.invalid/k/vmlinux" "$T/dl-out" 2>&1)
		like "$out" "mirror\.invalid.*the mirror named by the lia block's \`mirror\` setting" \
			"with a mirror set, it names the mirror setting as the host it could not reach"
	else
		skip "tests/download/dl-test is not built"
		skip "tests/download/dl-test is not built"
		skip "tests/download/dl-test is not built"
	fi
	# teardown says that it keeps the installed Firecracker
	mkdir -p "$T/fc/bin" && : >"$T/fc/bin/firecracker"
	mk_conf "$T/fc" "fc-driver = { bin_dir = \"$T/fc/bin\"; };" >/dev/null
	out=$(LIA_PLUGIN_PATH=$top_builddir/plugins/fc-driver/.libs in_ns "$NS" "$LIA_CORE" -c "$T/fc/lia.conf" \
		run teardown --only install 2>&1)
	is "$?" 0 "teardown of the install phase succeeds"
	like "$out" "kept the installed firecracker and jailer in $T/fc/bin: teardown does not uninstall them" \
		"and says that it keeps the installed Firecracker"
	test -e "$T/fc/bin/firecracker"
	ok $? "which it does"
else
	skip "the KVM message test runs preflight in a network namespace: needs root"
fi

# every line lia-core writes to stderr for these errors starts with lia-core:
for args in "-c $T/nope.conf plugins" "-c $T/lia.conf config check" "-c $T/rel.conf vm list" \
	"-c $T/lia.conf bogus-verb" "-c $T/lia.conf vm show no-such-vm"; do
	# shellcheck disable=SC2086
	bad=$(lia $args 2>&1 >/dev/null | grep -v '^lia-core: ' | grep -v '^usage:\|^ \|^$\|^[a-z ]*:$\|^exit status')
	is "$bad" "" "lia-core $args: every message has the lia-core: prefix"
done
done_testing
