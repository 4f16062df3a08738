#!/bin/bash
# The index of the VM records (state_dir/vms/.index, issue 13 goal 7) is a cache that is
# never trusted blindly: a record written behind lia-core's back (an older lia-core, a
# hand edit by rename, a record added or removed by hand, a crash between a record's
# rename and the index's append, a torn or garbled index, an index older than vms/) is
# seen by the next command, which hands out leases and lists VMs exactly as if it had
# read every record.  A record edited in place (same inode: vms/ does not change) is seen
# by the next `vm list` or `gc`, which compare every record's stamp (state_index.h).
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

# a record edited in place (same inode): a3 now holds 7; 3 is free again once `vm list`
# has compared every record's stamp
set_lease a3 7 inplace
L vm list >/dev/null
L -q vm create b1
is "$(lease b1)" 3 "after an in-place edit of a record (3 -> 7) and a vm list, the freed lease 3 is handed out"
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

# a crash between a record's rename and the index's append: the index lacks the last
# lines (d1's last save and the stamp of vms/ after it)
L -q vm create d1
is "$(lease d1)" 11 "d1 takes 11"
is "$(tail -n 1 "$V/.index" | cut -c1)" "=" "the index ends with the stamp of vms/ after the last change"
head -n -2 "$V/.index" > "$T/cut" && cat "$T/cut" > "$V/.index"
L -q vm create d2
is "$(lease d2)" 12 "the index without its last line: d1's lease is still seen (d2 takes 12)"
# a torn line (no newline, half written) and garbage
printf '+ :zz 1 2 3' >> "$V/.index"
L -q vm create d3
is "$(lease d3)" 13 "a torn line at the end of the index is ignored (d3 takes 13)"
sed -i "0,/ :lease:num :[0-9]*/s// :lease:num :40/" "$V/.index"
L -q vm create d4
is "$(lease d4)" 14 "a line whose checksum does not match is not trusted (d4 takes 14)"
rm -f "$V/.index"
L -q vm create d5
is "$(lease d5)" 15 "a missing index is rebuilt from the records (d5 takes 15)"
test -s "$V/.index"; ok $? "and written again"
echo "not an index" > "$V/.index"
L -q vm create d6
is "$(lease d6)" 16 "an index that is not one is rebuilt (d6 takes 16)"
# a rebuilt index: the heads every command reads (name, inode, ledger), then the views
# only vm list and gc read; a damaged view is not trusted, its record is read again
is "$(sed -n 2p "$V/.index" | cut -c1-2)" "@ " "a rebuilt index starts with the sizes of its two blocks"
like "$(sed -n 3p "$V/.index")" "^[h!] :" "then its heads"
v=$(grep -m1 '^v :' "$V/.index" | cut -d' ' -f2 | cut -c2-)
state=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["state"])' "$V/$v.json")
python3 - "$V/.index" "$v" <<'PY'
import sys
path, name = sys.argv[1], sys.argv[2]
lines = open(path).read().split("\n")
for i, l in enumerate(lines):
    if l.startswith("v :%s " % name):
        t = l.split(" ")
        t[5] = ":running" if t[5] != ":running" else ":stopped"   # the state, its check kept
        lines[i] = " ".join(t)
        break
open(path, "w").write("\n".join(lines))
PY
is "$(L vm list | awk -v n="$v" '$1 == n {print $2}')" "$state" "a view whose check fails: vm list shows the record's state ($v: $state)"

# the list from the index is the list from the records
names=$(cd "$V" && ls *.json | sed 's/\.json$//' | sort | tr '\n' ' ')
listed=$(L vm list | awk 'NR > 1 {print $1}' | sort | tr '\n' ' ')
is "$listed" "$names" "vm list shows every record, and only those"
L -q vm destroy d6
unlike "$(L vm list)" "d6 " "a destroyed VM leaves the list"
is "$(grep -c '^- :d6 ' "$V/.index")" 1 "its removal was appended to the index"

# a corrupt record still blocks every lease, through the index too (cut in place: seen
# by vm list first)
head -c 40 "$V/b1.json" > "$T/cut" && cat "$T/cut" > "$V/b1.json"
out=$(L vm list 2>&1)
like "$out" "$V/b1.json:[0-9]+: corrupt VM record" "vm list names a record cut in place as corrupt"
out=$(L -q vm create e1 2>&1); rc=$?
[ "$rc" -ne 0 ]; ok $? "a corrupt record blocks every lease"
like "$out" "$V/b1.json:[0-9]+: corrupt VM record" "naming the file"
rm -f "$V/b1.json"
L -q vm create e1
is "$(lease e1)" 3 "once it is gone its lease (3) is free"

# an in-place edit is also seen by gc (it compares every record's stamp)
set_lease e1 17 inplace # 3 -> 17: one more byte, same inode
L -q gc >/dev/null 2>&1
L -q vm create e2
is "$(lease e2)" 3 "after an in-place edit (3 -> 17) and a gc, the freed lease 3 is handed out"
L -q vm create e3 && L -q vm create e4
is "$(lease e3) $(lease e4)" "16 18" "... and 17 is held (e3, e4 take 16, 18)"

# an index older than vms/ (a backup put back, another host's copy): its stamp does not
# match vms/, so the records created since are read
cp "$V/.index" "$T/old-index"
L -q vm create f1 && L -q vm create f2
is "$(lease f1) $(lease f2)" "19 20" "f1, f2 take 19, 20"
cp "$T/old-index" "$V/.index"
L -q vm create f3
is "$(lease f3)" 21 "with an older index put back, the newer records' leases are still seen (f3 takes 21)"
like "$(L vm list)" "f2 " "and vm list shows them"

# an older lia-core's save (rename, no index line) right after a lia-core's change
L -q vm create g1
set_lease g1 30 rename
L -q vm create g2
is "$(lease g2)" 22 "a record saved by rename behind the index, after its last stamp, is read again (g1: 22 -> 30)"

# what a create costs does not grow with the records: it reads the directory, never
# every record (the stat of each record is `vm list`'s and gc's)
if command -v strace >/dev/null; then
	for i in $(seq 60); do cp "$V/g1.json" "$V/h$i.json"; sed -i "s/\"g1\"/\"h$i\"/; s/\"30\"/\"$((100 + i))\"/" "$V/h$i.json"; done
	L vm list >/dev/null
	strace -f -qq -e trace=stat,lstat,newfstatat,statx,fstatat64 -o "$T/strace" "$LIA_CORE" -q -c "$T/lia.conf" vm create k1
	n=$(grep -c 'h[0-9]*\.json' "$T/strace")
	is "$n" 0 "a create with 60 more records stats none of them (strace: $n)"
else
	skip "strace is not installed"
fi

# a VM with an empty ledger in an index rewritten whole: its head ends with NLED 0; it owns
# nothing (it was read as a line that does not read, which "might own anything": every
# other VM's ledger check failed, 2-22 of 50 starts in tests/fc-driver/concurrent.sh)
mk_conf "$T/o" "stub-a = { log = \"/dev/null\"; };" >/dev/null
mk_conf "$T/p" "stub-a = { log = \"/dev/null\"; lease = \"num\"; lease_max = 200; ledger = true; ledger_check = true; };" >/dev/null
sed -i "s|state_dir = \"[^\"]*\"|state_dir = \"$T/state\"|" "$T/o/lia.conf" "$T/p/lia.conf"
"$LIA_CORE" -q -c "$T/o/lia.conf" vm create empty1
rm -f "$V/.index"
L vm list >/dev/null
like "$(cat "$V/.index")" $'\nh :empty1 [0-9]+ 0 [0-9a-f]{8}\n' "a rewritten index holds the head of a VM with an empty ledger"
out=$("$LIA_CORE" -q -c "$T/p/lia.conf" vm create own1 2>&1)
ok $? "another VM's ledger check is not blocked by it ($out)"
out=$("$LIA_CORE" -q -c "$T/p/lia.conf" vm create own2 2>&1)
ok $? "nor the next one's, from the index as appended to ($out)"

# concurrent writers: 40 creates at once, each checking that no other VM owns its ledger
# entry and taking a lease, while `vm list` rewrites the index and a hand removes it
for i in $(seq -w 1 40); do "$LIA_CORE" -q -c "$T/p/lia.conf" vm create "cw$i" > "$T/cw.$i" 2>&1 & done
for k in 1 2 3 4 5 6; do L vm list >/dev/null 2>&1; [ $k = 3 ] && rm -f "$V/.index"; done
fails=0
for j in $(jobs -p); do wait "$j" || fails=$((fails + 1)); done
is "$fails" 0 "40 concurrent creates with ledger checks succeed"
[ "$fails" = 0 ] || cat "$T"/cw.* | head -5 | sed 's/^/# /'
vals=$(for i in $(seq -w 1 40); do lease "cw$i"; done | sort -n)
is "$(echo "$vals" | grep -c .) $(echo "$vals" | sort -u | grep -c .)" "40 40" "40 leases, all distinct"
listed=$(L vm list | awk 'NR > 1 {print $1}' | sort | tr '\n' ' ')
rm -f "$V/.index"
is "$(L vm list | awk 'NR > 1 {print $1}' | sort | tr '\n' ' ')" "$listed" "vm list from the index as the writers left it = vm list from the records"
# a group commit (a batch start saves all its records at once) appends the index lines of
# all its records in one write, not one open and write each
O() { "$LIA_CORE" -q -c "$T/o/lia.conf" "$@"; }
for v in gb1 gb2 gb3 gb4 gb5 gb6; do O vm create "$v"; done
if command -v strace >/dev/null; then
	strace -f -qq -e trace=openat -o "$T/strace-batch" "$LIA_CORE" -q -c "$T/o/lia.conf" vm start gb1 gb2 gb3 gb4 gb5 gb6
	n=$(grep -c 'vms/\.index", O_WRONLY' "$T/strace-batch")
	is "$n" 2 "a batch start of 6 VMs (two group commits) opens the index for appending twice (strace: $n; one per record save before)"
else
	O vm start gb1 gb2 gb3 gb4 gb5 gb6
	skip "strace is not installed"
fi
is "$(L vm list | awk '$1 ~ /^gb/ {print $2}' | sort -u)" running "and vm list, from the index, shows the 6 running"
rm -f "$V/.index"
is "$(L vm list | awk '$1 ~ /^gb/ {print $2}' | sort -u)" running "as it does from the records"
O vm stop gb1 gb2 gb3 gb4 gb5 gb6
is "$(L vm list | awk '$1 ~ /^gb/ {print $2}' | sort -u)" stopped "a batch stop: the 6 listed stopped"
done_testing
