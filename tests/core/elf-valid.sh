#!/bin/bash
# A truncated plugin is refused before dlopen (issue 10 #6): cut to 1 byte .. 10 KB or
# to all but its last byte, it used to crash lia-core with SIGBUS (exit 135, no message);
# now exit 2 and one line naming the file.
. "$(dirname "$0")/../lib.sh"
. "$top_srcdir/tests/stubs/build.sh"
T=$(mk_tmp)
P=$T/plugins
export LIA_PLUGIN_PATH=$P
stub_build "$T/whole" stub_a stub-a || bail "cannot compile stubs"
mkdir -p "$P"
mk_conf "$T" "stub-a = { log = \"$T/calls\"; };" >/dev/null
size=$(stat -c %s "$T/whole/stub-a.so")
for n in 1 64 200 1000 2048 4096 6000 8192 10240 $((size / 2)) $((size - 1)); do
	head -c "$n" "$T/whole/stub-a.so" > "$P/stub-a.so"
	out=$("$LIA_CORE" -c "$T/lia.conf" run setup --only kernel 2>&1); rc=$?
	is "$rc" 2 "cut to $n of $size bytes: exit 2"
	like "$out" "$P/stub-a.so: cannot load plugin 'stub-a': (not an ELF|truncated)" "cut to $n bytes: the line names the file and why"
done
cp "$T/whole/stub-a.so" "$P/stub-a.so"
out=$("$LIA_CORE" -c "$T/lia.conf" run setup --only kernel 2>&1); rc=$?
is "$rc" 0 "the whole plugin still loads" || diag "$out"
done_testing
