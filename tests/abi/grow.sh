#!/bin/bash
# ABI 2.0 growth rule: a plugin built against today's <lia/plugin.h> loads and runs in a
# core built with one field appended to every ABI struct, and a plugin built that way
# loads and runs in today's core.  Every table (options, hooks, commands, facts), the
# descriptor and struct lia_download are crossed both ways.
. "$(dirname "$0")/../lib.sh"
T=$(mk_tmp)
CC=${CC:-cc}
# the grown header: one 64-bit field appended to every struct the ABI exchanges
mkdir -p "$T/grown/lia"
python3 - "$top_srcdir/include/lia/plugin.h" "$T/grown/lia/plugin.h" <<'PY' || bail "cannot make the grown header"
import re, sys
s = open(sys.argv[1]).read()
n = 0
for st in ("lia_option", "lia_hook", "lia_command", "lia_fact", "lia_download", "lia_host", "lia_plugin"):
    i = s.index("struct %s {" % st)
    j = s.index("\n};", i)
    s = s[:j] + "\n\tuint64_t grown_field_%s;" % st + s[j:]
    n += 1
open(sys.argv[2], "w").write(s)
print(n, file=sys.stderr)
PY
cp "$top_srcdir/include/lia/record.h" "$T/grown/lia/"
build_plugin() { # build_plugin INCDIR NAME STEM OUT
	$CC -shared -fPIC -Wall -Werror -I"$1" -DNAME="\"$2\"" -DSTEM="$3" -o "$4" "$top_srcdir/tests/abi/grow-plugin.c"
}
mkdir -p "$T/p_old" "$T/p_new"
build_plugin "$top_srcdir/include" grow grow "$T/p_old/grow.so" || bail "cannot build the plugin"
build_plugin "$T/grown" grow grow "$T/p_new/grow.so" || bail "cannot build the grown plugin"
# the grown core: the same sources, the grown header first on the include path
srcs=$(ls "$top_srcdir"/core/*.c)
$CC -std=gnu11 -D_GNU_SOURCE -DLIA_NO_PRELOAD -I"$T/grown" -I"$top_srcdir/include" -I"$top_builddir" -I"$top_srcdir/core" \
	-DPLUGINDIR="\"/nonexistent\"" -DSYSCONFDIR="\"/etc\"" -o "$T/lia-core-grown" $srcs \
	$(pkg-config --cflags --libs libconfig jansson libcurl libcrypto libmicrohttpd) -lltdl -ldl -lpthread 2>"$T/cc.log" ||
	{ cat "$T/cc.log"; bail "cannot build the grown core"; }
ok 0 "a core with one field appended to every ABI struct builds"
[ "$(stat -c %s "$T/p_old/grow.so")" -gt 0 ]

echo hello > "$T/src"
sum=$(sha256sum "$T/src" | cut -c1-64)
cross() { # cross DESC CORE PLUGDIR
	local desc=$1 core=$2 pdir=$3 log=$T/log.$RANDOM
	mkdir -p "$T/c.$desc"
	printf 'lia = { state_dir = "%s/state"; };\ngrow = { log = "%s"; level = 7; url = "file://%s/src"; dest = "%s/dst"; };\n' \
		"$T" "$log" "$T" "$T" > "$T/c.$desc/lia.conf"
	rm -f "$T/dst"
	out=$(LIA_PLUGIN_PATH=$pdir "$core" -c "$T/c.$desc/lia.conf" run setup --only kernel,image,verify 2>&1); rc=$?
	is "$rc" 0 "$desc: run setup succeeds"
	[ "$rc" -eq 0 ] || diag "$(printf '%s' "$out" | head -c 800)"
	is "$(cat "$log" 2>/dev/null | tr '\n' ';')" "kernel phase=4;download sha=$sum fetched=1;image phase=5;verify level=7 phase=8;" \
		"$desc: every hook ran in its phase, the setting and the download answer arrived"
	out=$(LIA_PLUGIN_PATH=$pdir "$core" -c "$T/c.$desc/lia.conf" --json plugins 2>&1 | tr -d ' \n')
	like "$out" '"vm_commands":\["hello"\]' "$desc: the vm command table is read"
	like "$out" '"facts":\["grow.level"\]' "$desc: the fact table is read"
	printf 'lia = { state_dir = "%s/state"; };\ngrow = { log = "%s"; level = 12; };\n' "$T" "$log" > "$T/c.$desc/lia.conf"
	out=$(LIA_PLUGIN_PATH=$pdir "$core" -c "$T/c.$desc/lia.conf" config check 2>&1); rc=$?
	is "$rc" 2 "$desc: the option's range is read (12 refused)"
	like "$out" "grow.level: 12 is out of range \\(allowed: 1 to 9\\)" "$desc: with the declared bounds"
}
cross "old plugin, grown core" "$T/lia-core-grown" "$T/p_old"
cross "grown plugin, today's core" "$LIA_CORE" "$T/p_new"
cross "today's plugin, today's core" "$LIA_CORE" "$T/p_old"
done_testing
