#!/bin/bash
# The loader refuses bad plugins with one clear line naming the file, exit 2, no hook run.
. "$(dirname "$0")/../lib.sh"
. "$top_srcdir/tests/stubs/build.sh"
T=$(mk_tmp)
P=$T/plugins
mkdir -p "$P"
export LIA_PLUGIN_PATH=$P
LOG=$T/calls
stub_build "$P" stub_a stub-a || bail "cannot compile stubs"
CC=${CC:-cc}
try() { # try BLOCKS... -> sets out, rc
	mk_conf "$T" "$@" >/dev/null
	rm -f "$LOG"
	out=$(lia -c "$T/lia.conf" run setup --only kernel 2>&1); rc=$?
}
check() { # check DESC REGEX
	is "$rc" 2 "$1: exit 2"
	like "$out" "$2" "$1: the message says why"
	test ! -e "$LOG"; ok $? "$1: no hook ran"
}

try "stub-a = { log = \"$LOG\"; };" "nosuch = { };"
check "missing plugin" "plugin 'nosuch': no file nosuch.so in $P"

printf 'int not_a_plugin(void) { return 1; }\n' > "$T/nodesc.c"
$CC -shared -fPIC -o "$P/nodesc.so" "$T/nodesc.c"
try "stub-a = { log = \"$LOG\"; };" "nodesc = { };"
check "no descriptor" "$P/nodesc.so: no plugin descriptor"

# the minor this tree's <lia/plugin.h> speaks
minor=$(sed -n 's/^#define LIA_ABI_MINOR \([0-9]*\).*/\1/p' "$top_srcdir/include/lia/plugin.h")
cat > "$T/abi.c" <<'C'
#include <lia/plugin.h>
LIA_PLUGIN_DEFINE(abi) = { .magic = LIA_PLUGIN_MAGIC, .abi_major = LIA_ABI_MAJOR + 1, .abi_minor = 0,
	.size = sizeof(struct lia_plugin), .name = "abi" };
C
$CC -shared -fPIC -I"$top_srcdir/include" -o "$P/abi.so" "$T/abi.c"
try "stub-a = { log = \"$LOG\"; };" "abi = { };"
check "wrong ABI major" "$P/abi.so: built for lia ABI 3.0, this lia-core speaks 2.$minor"

sed 's/.abi_minor = 0/.abi_minor = LIA_ABI_MINOR + 1/; s/LIA_ABI_MAJOR + 1/LIA_ABI_MAJOR/; s/(abi)/(newer)/; s/"abi"/"newer"/' "$T/abi.c" > "$T/newer.c"
$CC -shared -fPIC -I"$top_srcdir/include" -o "$P/newer.so" "$T/newer.c"
try "stub-a = { log = \"$LOG\"; };" "newer = { };"
check "newer ABI minor" "$P/newer.so: built for lia ABI 2.$((minor + 1)), this lia-core speaks 2.$minor"

# a plugin whose shared library dependency is gone: the real dynamic-loader reason shows
printf 'int gone_fn(void) { return 7; }\n' > "$T/gone.c"
$CC -shared -fPIC -o "$T/libliagone.so" "$T/gone.c"
cat > "$T/needy.c" <<'C'
#include <lia/plugin.h>
int gone_fn(void);
static int run(struct lia_ctx *c, void *s) { return gone_fn() == 7 ? 0 : -1; }
static const struct lia_hook hooks[] = { { .phase = LIA_PHASE_KERNEL, .run = run }, { 0 } };
LIA_PLUGIN_DEFINE(needy) = { LIA_PLUGIN_HEADER, .name = "needy", .hooks = hooks };
C
$CC -shared -fPIC -I"$top_srcdir/include" -o "$P/needy.so" "$T/needy.c" -L"$T" -lliagone
rm -f "$T/libliagone.so"
try "stub-a = { log = \"$LOG\"; };" "needy = { };"
check "missing shared library" "$P/needy.so: cannot load plugin 'needy': libliagone.so: cannot open shared object file"

stub_build "$P" dup_one dup-one image
stub_build "$P" dup_two dup-two image
try "stub-a = { log = \"$LOG\"; };" "dup-one = { log = \"$LOG\"; };" "dup-two = { log = \"$LOG\"; };"
check "two plugins, one role" "plugins 'dup-one' \\($P/dup-one.so\\) and 'dup-two' \\($P/dup-two.so\\) both provide 'image'"

cp "$P/stub-a.so" "$P/renamed.so"
try "renamed = { log = \"$LOG\"; };"
check "descriptor name differs from the file" "renamed.so: (descriptor names plugin|no plugin descriptor)"

try "stub-a = { log = \"$LOG\"; };" "dup-one = { log = \"$LOG\"; enabled = false; };" "dup-two = { log = \"$LOG\"; };"
is "$rc" 0 "a role conflict is solved by enabled = false"

# lia-core plugins lists name, version, ABI, file and hooks
mk_conf "$T" "stub-a = { log = \"$LOG\"; };" >/dev/null
out=$(lia -c "$T/lia.conf" plugins)
like "$out" "stub-a +0 +2\\.$minor +- +$P/stub-a.so +preflight,dirs,install" "plugins: name, version, ABI, file, hooks"
out=$(lia -c "$T/lia.conf" --json plugins)
echo "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d[0]["name"]=="stub-a" and "create" in d[0]["hooks"] and d[0]["options"][0]["name"]=="log"' 2>/dev/null
ok $? "plugins --json lists hooks and declared settings"
done_testing
