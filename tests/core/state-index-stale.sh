#!/bin/bash
# The records index (state_dir/vms/.index) never answers from a stale entry, and a broken
# index does not stay broken (reviewed after 0d34f02):
#  - a record renamed over twice behind the index (an older lia-core, a hand) may be back
#    on its first inode number (ext4 hands freed numbers out again): the check of vms/
#    compares each record's stamp, not its inode number alone;
#  - a rewrite of the index (missing, broken, compacted) stamps vms/ as it was before its
#    last readdir, never after: a record renamed over during the check is seen next time;
#  - a torn line (a crash in an append) or a damaged "@" line: the file is rewritten, not
#    appended to after the damage, where no reader looks (every command re-read records).
. "$(dirname "$0")/../lib.sh"
. "$top_srcdir/tests/stubs/build.sh"
T=$(mk_tmp)
P=$T/plugins
export LIA_PLUGIN_PATH=$P
stub_build "$P" stub_a stub-a || bail "cannot compile stubs"
mk_conf "$T" "stub-a = { log = \"/dev/null\"; lease = \"num\"; lease_max = 500; };" >/dev/null
V=$T/state/vms
L() { "$LIA_CORE" -c "$T/lia.conf" "$@"; }
lease() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["data"].get("stub.lease", ""))' "$V/$1.json" 2>/dev/null; }
# hand.py RECORD VALUE [TRIES INO]: set its lease, renamed over (no index line); with TRIES,
# again until the record is on inode INO; prints the count
cat > "$T/hand.py" <<'PY'
import json, os, sys
path, value = sys.argv[1], sys.argv[2]
tries, ino = (int(sys.argv[3]), int(sys.argv[4])) if len(sys.argv) > 4 else (1, 0)
r = json.load(open(path))
for e in r["ledger"]:
    if e["kind"] == "lease:num":
        e["id"] = value
r["data"]["stub.lease"] = int(value)
for k in range(1, tries + 1):
    open(path + ".new", "w").write(json.dumps(r, indent=2) + "\n")
    os.rename(path + ".new", path)
    if os.stat(path).st_ino == ino:
        break
print(k)
PY
# records opened by one command (strace; LeakSanitizer cannot run under ptrace)
opens() {
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 strace -f -qq -e trace=open,openat -o "$T/st" "$LIA_CORE" -q -c "$T/lia.conf" "$@"
	grep -Ec 'open(at)?\(.*"([^"]*/)?[a-z0-9-]+\.json"' "$T/st"
}

# a record renamed over until it is back on its first inode number (ext4 hands freed
# numbers out again: most runs get there in 2 renames)
L -q vm create a1
i0=$(stat -c %i "$V/a1.json")
k=$(python3 "$T/hand.py" "$V/a1.json" 2 2000 "$i0")
# (b1 made either way: it holds the freed 1, so a4 below never takes a1's hand-made 2 and
# the leases of this directory stay distinct for the checks after)
L -q vm create b1
if [ "$(stat -c %i "$V/a1.json")" = "$i0" ]; then
	is "$(lease a1) $(lease b1)" "2 1" "a1 renamed over $k times (lease 1 -> 2), back on its inode: b1 takes the freed 1, not a1's 2"
else
	skip "the file system gave a1's first inode number to none of $k new files"
fi
# the same made sure of: the first inode kept by a second link, changed, renamed back over
L -q vm create a4
l4=$(lease a4)
ln "$V/a4.json" "$T/a4.first"
python3 "$T/hand.py" "$V/a4.json" "$l4" >/dev/null
python3 - "$T/a4.first" $((l4 + 1)) <<'PY'
import json, sys
path, value = sys.argv[1], sys.argv[2]
r = json.load(open(path))
for e in r["ledger"]:
    if e["kind"] == "lease:num":
        e["id"] = value
r["data"]["stub.lease"] = int(value)
open(path, "r+").write(json.dumps(r, indent=2) + "\n")
PY
mv "$T/a4.first" "$V/a4.json"
L -q vm create b4
is "$(lease a4) $(lease b4)" "$((l4 + 1)) $l4" "a4 back on its first inode with lease $l4 -> $((l4 + 1)): b4 takes the freed $l4"

# the leases all records hold, and how many are distinct
leases_all() { for f in "$V"/*.json; do lease "$(basename "$f" .json)"; done; }
distinct() { local l; l=$(leases_all); echo "$(echo "$l" | grep -c .) VMs, $(echo "$l" | sort -u | grep -c .) distinct leases"; }

# a rewrite, stopped (gdb) at the rename of .index.tmp; meanwhile a hand renames a record
# over with a lease the next creates would take
if command -v gdb >/dev/null; then
	L -q vm create g1 && L -q vm create g2 && L -q vm create g3
	v=$(($(leases_all | sort -n | tail -1) + 3))
	rm -f "$V/.index"
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 gdb -q -batch -ex 'set breakpoint pending on' -ex 'break rename' -ex run \
		-ex "shell python3 $T/hand.py $V/g1.json $v >/dev/null" -ex delete -ex continue \
		--args "$LIA_CORE" -q -c "$T/lia.conf" vm create n1 >"$T/gdb.out" 2>&1
	grep -Eq 'Breakpoint 1(\.[0-9]+)?, .*rename' "$T/gdb.out"
	ok $? "gdb stopped the rewrite at its rename"
	for i in $(seq 2 6); do L -q vm create n$i; done
	d=$(distinct)
	is "$d" "$(leases_all | grep -c .) VMs, $(leases_all | grep -c .) distinct leases" "g1 renamed over to $v during the rewrite's check: $d"
else
	skip "gdb is not installed"
	skip "gdb is not installed"
fi

if command -v strace >/dev/null; then
	# a crash in the middle of an append: the lines appended after it were never read
	for i in $(seq 20); do L -q vm create c$i; done
	printf '+ :zz 1 2 3' >>"$V/.index"
	for i in $(seq 5); do L -q vm create d$i; done
	k=$(grep -c '^[h+] :d1 ' "$V/.index")
	n=$(opens vm create d9)
	[ "$n" -le 2 ]; ok $? "after a torn line, a create opens no other record ($n records opened)"
	is "$(grep -c '^[h+] :d1 ' "$V/.index")" "$k" "nor appends d1's line again"
	# a damaged "@" line of an index rewritten whole
	rm -f "$V/.index"
	L vm list >/dev/null
	sed -i '2s/^@ \([0-9]\)/@ 9\1/' "$V/.index"
	L -q vm create e1 && L -q vm create e2
	s1=$(stat -c %s "$V/.index")
	n=$(opens vm create e3)
	s2=$(stat -c %s "$V/.index")
	[ "$n" -le 2 ]; ok $? "after a damaged '@' line, a create opens no other record ($n of $(ls "$V"/*.json | wc -l) opened)"
	[ $((s2 - s1)) -lt 2000 ]; ok $? "and appends its own lines only ($s1 -> $s2 bytes)"
else
	for i in 1 2 3 4; do skip "strace is not installed"; done
fi
names=$(cd "$V" && ls ./*.json | sed 's|^\./||; s/\.json$//' | sort | tr '\n' ' ')
is "$(L vm list | awk 'NR > 1 {print $1}' | sort | tr '\n' ' ')" "$names" "vm list shows every record"
done_testing
