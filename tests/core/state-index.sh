#!/bin/bash
# The index of the VM records (state_dir/vms/.index, issue 13 goal 7) is a cache that is
# never trusted blindly: a record written behind lia-core's back (an older lia-core, a
# hand edit in place or by rename, a crash between a record's rename and the index's
# append, a torn or garbled index) is seen by the next command, which hands out leases
# and lists VMs exactly as if it had read every record.
. "$(dirname "$0")/../lib.sh"
. "$top_srcdir/tests/stubs/build.sh"
T=$(mk_tmp)
P=$T/plugins
export LIA_PLUGIN_PATH=$P
stub_build "$P" stub_a stub-a || bail "cannot compile stubs"
mk_conf "$T" "stub-a = { log = \"$T/calls\"; lease = \"num\"; lease_max = 50; };" >/dev/null
V=$T/state/vms
L() { "$LIA_CORE" -c "$T/lia.conf" "$@"; }
unlike() { [[ ! $1 =~ $2 ]]; ok $? "$3"; }
lease() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["data"].get("stub.lease", ""))' "$V/$1.json" 2>/dev/null; }
# set the lease of record NAME to VALUE, the way a hand or an older lia-core would
set_lease() {
	python3 - "$V/$1.json" "$2" "$3" <<'PY'
import json, sys
path, value, how = sys.argv[1], sys.argv[2], sys.argv[3]
r = json.load(open(path))
for e in r["ledger"]:
    if e["kind"] == "lease:num":
        e["id"] = value
r["data"]["stub.lease"] = int(value)
text = json.dumps(r, indent=2) + "\n"
if how == "inplace":          # same inode, same size when the value has as many digits
    open(path, "r+").write(text)
else:                         # a new file renamed over the record
    open(path + ".new", "w").write(text)
    __import__("os").rename(path + ".new", path)
PY
}

L -q vm create a1 && L -q vm create a2 && L -q vm create a3
is "$(lease a1) $(lease a2) $(lease a3)" "1 2 3" "three VMs take leases 1, 2, 3"
test -s "$V/.index"; ok $? "the index exists"
is "$(grep -o '^+ :a[123] ' "$V/.index" | sort -u | wc -l)" 3 "and has an entry for each VM (it was built, then appended to)"

# a record edited in place (same inode): a3 now holds 7; 3 is free again
set_lease a3 7 inplace
L -q vm create b1
is "$(lease b1)" 3 "after an in-place edit of a record (3 -> 7), the freed lease 3 is handed out"
L -q vm create b2 && L -q vm create b3 && L -q vm create b4 && L -q vm create b5
is "$(lease b2) $(lease b3) $(lease b4) $(lease b5)" "4 5 6 8" "... and the edited value 7 is skipped"

# a record renamed over by someone else (an older lia-core writes this way)
set_lease b5 9 rename
L -q vm create c1
is "$(lease c1)" 8 "a record replaced by rename is read again (its lease 8 -> 9: 8 is free)"

# a record the index never heard of (written by hand), and a record removed by hand
cp "$V/c1.json" "$V/hand.json"
sed -i 's/"name": "c1"/"name": "hand"/' "$V/hand.json"
rm -f "$V/a1.json"
L -q vm create c2
is "$(lease c2)" 1 "a record removed by hand frees its lease (1)"
L -q vm create c3
is "$(lease c3)" 10 "a record added by hand holds its lease (8 is the copy's: 10 is next)"
out=$(L vm list)
like "$out" "hand " "vm list shows the record added by hand"
unlike "$out" "a1 " "and not the one removed by hand"

# a crash between a record's rename and the index's append: the index lacks the last line
L -q vm create d1
is "$(lease d1)" 11 "d1 takes 11"
head -n -1 "$V/.index" > "$T/cut" && cat "$T/cut" > "$V/.index"
L -q vm create d2
is "$(lease d2)" 12 "the index without its last line: d1's lease is still seen (d2 takes 12)"
# a torn line (no newline, half written) and garbage
printf '+ :zz 1 2 3' >> "$V/.index"
L -q vm create d3
is "$(lease d3)" 13 "a torn line at the end of the index is ignored (d3 takes 13)"
sed -i '3s/ :lease:num :[0-9]*/ :lease:num :40/' "$V/.index"
L -q vm create d4
is "$(lease d4)" 14 "a line whose checksum does not match is not trusted (d4 takes 14)"
rm -f "$V/.index"
L -q vm create d5
is "$(lease d5)" 15 "a missing index is rebuilt from the records (d5 takes 15)"
test -s "$V/.index"; ok $? "and written again"
echo "not an index" > "$V/.index"
L -q vm create d6
is "$(lease d6)" 16 "an index that is not one is rebuilt (d6 takes 16)"

# the list from the index is the list from the records
names=$(cd "$V" && ls *.json | sed 's/\.json$//' | sort | tr '\n' ' ')
listed=$(L vm list | awk 'NR > 1 {print $1}' | sort | tr '\n' ' ')
is "$listed" "$names" "vm list shows every record, and only those"
L -q vm destroy d6
unlike "$(L vm list)" "d6 " "a destroyed VM leaves the list"
is "$(grep -c '^- :d6 ' "$V/.index")" 1 "its removal was appended to the index"

# a corrupt record still blocks every lease, through the index too
head -c 40 "$V/b1.json" > "$T/cut" && cat "$T/cut" > "$V/b1.json"
out=$(L -q vm create e1 2>&1); rc=$?
[ "$rc" -ne 0 ]; ok $? "a corrupt record blocks every lease"
like "$out" "$V/b1.json:[0-9]+: corrupt VM record" "naming the file"
out=$(L vm list 2>&1)
like "$out" "$V/b1.json:[0-9]+: corrupt VM record" "vm list names it too"
rm -f "$V/b1.json"
L -q vm create e1
is "$(lease e1)" 3 "once it is gone its lease (3) is free"
done_testing
