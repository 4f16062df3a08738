#!/bin/bash
# A plugin's `needs` are checked in preflight; "prog:NAME=PACKAGE" names the Debian package.
. "$(dirname "$0")/../lib.sh"
T=$(mk_tmp)
CC=${CC:-cc}
mkdir -p "$T/p"
cat > "$T/needy.c" <<'C'
#include <lia/plugin.h>
static int run(struct lia_ctx *c, void *s) { (void)c, (void)s; return 0; }
static const struct lia_hook h[] = { { .phase = LIA_PHASE_PREFLIGHT, .run = run, .summary = "s" }, { 0 } };
static const char *const needs[] = { "prog:sh", "prog:lia-no-such-prog=lia-fake-package", "prog:lia-other-missing", NULL };
LIA_PLUGIN_DEFINE(needy) = { LIA_PLUGIN_HEADER, .name = "needy", .version = "1", .description = "d", .hooks = h, .needs = needs };
C
$CC -shared -fPIC -I"$top_srcdir/include" -o "$T/p/needy.so" "$T/needy.c" || bail "cannot build"
conf=$(mk_conf "$T" 'needy = { };')
out=$(LIA_PLUGIN_PATH=$T/p lia -c "$conf" run setup --only preflight 2>&1); rc=$?
is "$rc" 1 "a missing program fails preflight"
like "$out" "plugin 'needy' needs the program 'lia-no-such-prog', which is not on PATH \\(apt-get install lia-fake-package\\)" \
	"prog:NAME=PACKAGE names the package to install"
like "$out" "needs the program 'lia-other-missing', which is not on PATH \\(install the package that provides it\\)" \
	"prog:NAME alone says to install its package"
is "$(printf '%s\n' "$out" | grep -c "needs the program 'sh'")" 0 "a program that is there is not reported"
done_testing
