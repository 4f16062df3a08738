#!/bin/bash
# The leases contract of the plugin guide: each kind is its own pool ("ip4" and "ip4.1" give
# values independently, so one VM may hold one of each: two NICs); lease_peek says what
# lease_take would give and takes nothing; release gives the value back.
. "$(dirname "$0")/../lib.sh"
. "$top_srcdir/tests/stubs/build.sh"
T=$(mk_tmp)
P=$T/plugins
export LIA_PLUGIN_PATH=$P
LOG=$T/calls
V=$T/state/vms
stub_build "$P" stub_a stub-a || bail "cannot compile stubs"
conf() { mk_conf "$T" "stub-a = { log = \"$LOG\"; leases = [$1]; lease_max = 3; };" >/dev/null; rm -f "$LOG"; }
L=("$LIA_CORE" -c "$T/lia.conf" -q)
val() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["data"].get("stub.lease."+sys.argv[2], ""))' "$V/$1.json" "$2" 2>/dev/null; }
kinds() { python3 -c 'import json,sys; print(" ".join(sorted(e["kind"]+"="+e["id"] for e in json.load(open(sys.argv[1]))["ledger"])))' "$V/$1.json" 2>/dev/null; }

conf '"ip4"'
"${L[@]}" vm create a1 && "${L[@]}" vm create a2
is "$(val a1 ip4) $(val a2 ip4)" "1 2" "two VMs get ip4 values 1 and 2"
conf '"ip4", "ip4.1"'
"${L[@]}" vm create b1
is "$(val b1 ip4) $(val b1 ip4.1)" "3 1" "kind ip4.1 is a pool of its own: a VM holds ip4=3 and ip4.1=1"
is "$(kinds b1)" "lease:ip4.1=1 lease:ip4=3" "... both leases are in the VM's ledger, one per kind"
rm -f "$LOG"
out=$("${L[@]}" vm create b2 2>&1); rc=$?
is "$rc" 1 "ip4 exhausted (1..3) fails the create although ip4.1 has room"
like "$out" "ip4 pool 1\\.\\.3 is exhausted" "... and the error names the kind and its pool"
test ! -e "$V/b2.json"; ok $? "... leaving no record"
grep -q "take ip4.1" "$LOG"; is "$?" 1 "... and the other kind was not taken either"

# peek takes nothing: peek, peek again, then a take gives the peeked value
"${L[@]}" vm destroy a1
rm -f "$LOG"
"${L[@]}" vm create c1 --dry-run >/dev/null
"${L[@]}" vm create c1 --dry-run >/dev/null
is "$(grep -oE '(peek|take) [^ ]+' "$LOG" | tr '\n' ';')" "peek ip4=1;peek ip4.1=2;peek ip4=1;peek ip4.1=2;" \
	"lease_peek shows the lowest free value of each kind, twice the same: nothing was taken"
rm -f "$LOG"
"${L[@]}" vm create c1
is "$(grep -oE '(peek|take) [^ ]+' "$LOG" | tr '\n' ';')" "peek ip4=1;take ip4=1;peek ip4.1=2;take ip4.1=2;" \
	"the real create takes what was peeked (the value a1 released is reused)"
is "$(val c1 ip4) $(val c1 ip4.1)" "1 2" "... and records it"
"${L[@]}" vm destroy b1
rm -f "$LOG"
"${L[@]}" vm create c2
is "$(val c2 ip4) $(val c2 ip4.1)" "3 1" "destroy released both kinds of b1"
done_testing
