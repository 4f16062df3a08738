#!/bin/bash
# lia-core under valgrind: a whole host and VM cycle with stub plugins, no memory error and
# no leak (stub-a also writes its memo at every step).
. "$(dirname "$0")/../lib.sh"
. "$top_srcdir/tests/stubs/build.sh"
need_plugin host
command -v valgrind >/dev/null || skip_all "valgrind is not installed"
T=$(mk_tmp)
P=$T/plugins
stub_build "$P" stub_a stub-a || bail "cannot compile stubs"
stub_build "$P" stub_b stub-b
export LIA_PLUGIN_PATH=$P:$top_builddir/plugins/host/.libs
LOG=$T/calls
mkdir -p "$T/units"
mk_conf "$T" "host = { require_kvm = false; unit_dir = \"$T/units\"; api_group = \"\"; };" \
	"stub-a = { log = \"$LOG\"; lease = \"num\"; ledger = true; memo = true; };" "stub-b = { log = \"$LOG\"; };" >/dev/null
vg() { # vg NAME ARGS...: run lia-core under valgrind; one TAP line
	local name=$1; shift
	valgrind -q --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
		--error-exitcode=99 --log-file="$T/vg.$name" "$LIA_CORE" -c "$T/lia.conf" -q "$@" >/dev/null 2>&1
	local rc=$?
	if [ $rc -ne 99 ] && [ ! -s "$T/vg.$name" ]; then ok 0 "valgrind: $name is clean"
	else ok 1 "valgrind: $name is clean (exit $rc)"; sed 's/^/# /' "$T/vg.$name" | head -30; fi
}
vg config-check config check
vg plugins plugins
vg setup run setup
vg setup-dry run setup --dry-run
vg create vm create v1 --vcpus 2
vg start vm start v1
vg list vm list
vg show vm show v1
vg stop vm stop v1
vg destroy vm destroy v1
# batches (one group commit each way) and a records index rebuilt from the records
"$LIA_CORE" -c "$T/lia.conf" -q vm create v2 && "$LIA_CORE" -c "$T/lia.conf" -q vm create v3
rm -f "$T/state/vms/.index"
vg start-many vm start v2 v3
vg list-index vm list
vg stop-many vm stop v3 v2
"$LIA_CORE" -c "$T/lia.conf" -q vm destroy v2 v3
vg teardown run teardown
vg gc gc
vg bad-config -c /nonexistent/lia.conf config check
done_testing
