#!/bin/bash
# Tables are sized to their contents: `vm list` with 32-character names, `vm show` (the
# `owns` rows line up with the others), `plugins` (a long FILE does not push HOOKS out of
# line).  A lease of kind ip4 shows as an address; no PID or CID shows as `-`.
. "$(dirname "$0")/../lib.sh"
. "$top_srcdir/tests/stubs/build.sh"
command -v python3 >/dev/null || skip_all "python3 is not installed"
T=$(mk_tmp)
# a plugin folder with a long path, so that FILE is wider than any fixed column
P=$T/plugins/a-rather-long-folder-name-for-the-plugins-of-this-test
export LIA_PLUGIN_PATH=$P
stub_build "$P" stub_a stub-a || bail "cannot compile stubs"
stub_build "$P" stub_with_a_longer_name stub-with-a-longer-name
mk_conf "$T" "stub-a = { log = \"$T/log\"; lease = \"ip4\"; lease_max = 3; ledger = true; };" \
	"stub-with-a-longer-name = { log = \"$T/log\"; };" >/dev/null
C=(-c "$T/lia.conf")
# aligned TEXT: every row's columns start where the header's do (columns: words of the
# header line); prints the rows that do not, nothing when all do
aligned() {
	python3 -c '
import re, sys
lines = sys.stdin.read().rstrip("\n").split("\n")
starts = [m.start() for m in re.finditer(r"\S+", lines[0])]
for l in lines[1:]:
    for s in starts[1:]:
        if len(l) <= s or l[s] == " " or l[s - 1] != " ":
            print("misaligned at column %d: %r" % (s, l)); break'
}
n32=abcdefghij-abcdefghij-abcdefghij
is "${#n32}" 32 "a VM name of the longest kind (32 characters)"
lia "${C[@]}" -q vm create "$n32" && lia "${C[@]}" -q vm create b
ok $? "two VMs are created"
out=$(lia "${C[@]}" vm list)
is "$(aligned <<<"$out")" "" "vm list: the columns line up with a 32-character name"
like "$(grep "^$n32 " <<<"$out")" "^$n32 +created +- +- +- +-$" "vm list: no IP, TAP, CID or PID shows as -"
is "$(head -1 <<<"$out" | awk '{ print $1 }')" NAME "vm list has its header"

out=$(lia "${C[@]}" vm show b)
is "$(awk '{ print index(substr($0, length($1) + 1), $2) + length($1) }' <<<"$out" | sort -u | wc -l)" 1 \
	"vm show: every value starts in the same column, owns rows too"
like "$out" "^owns +lease:ip4 0\.0\.0\.[1-3] \(stub-a\)" "vm show: an ip4 lease shows as an address"
like "$(lia "${C[@]}" vm show "$n32")" "^name +\"$n32\"" "vm show of the 32-character name"

out=$(lia "${C[@]}" plugins)
is "$(aligned <<<"$out")" "" "plugins: the columns line up with a long FILE"
like "$(grep '^stub-a ' <<<"$out")" "$P/stub-a.so +preflight," "plugins: HOOKS follows FILE"
done_testing
