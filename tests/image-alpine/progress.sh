#!/bin/bash
# The disk copy of `vm create` reports progress that ends at 100%: a template that ends in
# a hole (an ext4 image usually does), one that is data to its end, and one that is all
# hole each end with a report of the whole size, reached once, never passed.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/fixture.sh"
[ -x "$IMG_DRIVE" ] || skip_all "img-drive is not built ($IMG_DRIVE)"
T=$(mk_tmp)
M=1048576
# clone SRC: copy SRC with img-drive; prints the progress reports "DONE TOTAL", one a line
clone() {
	rm -f "$T/dst"
	how=$(IMG_DRIVE_PROGRESS=1 "$IMG_DRIVE" clone "$1" "$T/dst" 2>"$T/err") || return 1
	[ "$how" = reflink ] && skip_all "the file system of $T clones by reflink: no copy, no progress"
	sed -n 's/^progress: disk copy //p' "$T/err"
}
# check NAME SIZE REPORTS
check() {
	local name=$1 size=$2 r=$3
	like "$(tail -1 <<<"$r")" "^$size $size\$" "$name: the last report is the whole size ($size of $size)"
	is "$(awk -v s="$size" '$1 == s' <<<"$r" | wc -l)" 1 "$name: 100% is reported once"
	is "$(awk '$1 > $2 || $1 < last { bad++ } { last = $1 } END { print bad + 0 }' <<<"$r")" 0 \
		"$name: the reports grow and never pass the total"
	cmp -s "$T/src" "$T/dst"
	ok $? "$name: the copy is identical"
}

# 64 MiB: 256 KiB of data, then a hole to the end
rm -f "$T/src"
head -c $((256 * 1024)) /dev/urandom >"$T/src"
truncate -s $((64 * M)) "$T/src"
r=$(clone "$T/src")
ok $? "a template ending in a hole is copied"
check "trailing hole" $((64 * M)) "$r"

# data, hole, data to the very end
rm -f "$T/src"
head -c $M /dev/urandom >"$T/src"
truncate -s $((8 * M)) "$T/src"
head -c $M /dev/urandom >>"$T/src"
r=$(clone "$T/src")
ok $? "a template with data to its end is copied"
check "data to the end" $((9 * M)) "$r"

# nothing but a hole
rm -f "$T/src"
truncate -s $((16 * M)) "$T/src"
r=$(clone "$T/src")
ok $? "a template that is all hole is copied"
check "all hole" $((16 * M)) "$r"
done_testing
