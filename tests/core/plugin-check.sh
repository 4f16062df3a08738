#!/bin/bash
# `lia-core plugins --check FILE.so`: a plugin is checked outside any configuration and every
# defect that can be found without running a hook is reported, one line each, exit 2.
. "$(dirname "$0")/../lib.sh"
T=$(mk_tmp)
CC=${CC:-cc}
build() { # build NAME < C source
	cat > "$T/$1.c"
	$CC -shared -fPIC -I"$top_srcdir/include" -o "$T/$1.so" "$T/$1.c" || bail "cannot build $1"
}
build good <<'C'
#include <lia/plugin.h>
static int run(struct lia_ctx *c, void *s) { (void)c, (void)s; return 0; }
static const struct lia_option o[] = { { .name = "n", .type = LIA_OPT_INT, .default_value = "3", LIA_RANGE(1, 5), .help = "n" }, { 0 } };
static const struct lia_hook h[] = { { .phase = LIA_PHASE_VERIFY, .run = run, .summary = "s" }, { 0 } };
LIA_PLUGIN_DEFINE(good) = { LIA_PLUGIN_HEADER, .name = "good", .version = "1", .description = "d", .options = o, .hooks = h };
C
out=$(lia plugins --check "$T/good.so" 2>&1); rc=$?
is "$rc" 0 "a sound plugin passes"
like "$out" "good.so: ok" "...and says so"

build bad <<'C'
#include <lia/plugin.h>
int exported_helper(void) { return 1; }
static int run(struct lia_ctx *c, void *s) { (void)c, (void)s; return 0; }
static const struct lia_option o[] = {
	{ .name = "n", .type = LIA_OPT_INT, .default_value = "9", LIA_RANGE(1, 5), .help = "n" },
	{ .name = "n", .type = LIA_OPT_STRING, .help = "twice" },
	{ .name = "url", .type = LIA_OPT_STRING, .kind = LIA_KIND_URL, .choices = "https", .default_value = "ftp://x/y", .help = "u" },
	{ .name = "Bad-Name", .type = LIA_OPT_BOOL, .default_value = "yes" },
	{ 0 } };
static const struct lia_hook h[] = {
	{ .phase = LIA_PHASE_VERIFY, .run = run, .summary = "s" },
	{ .phase = LIA_PHASE_VERIFY, .run = run, .summary = "again" },
	{ .phase = 99, .run = run, .summary = "nowhere" },
	{ .phase = LIA_PHASE_CREATE, .summary = "no run" },
	{ 0 } };
static const struct lia_command c[] = { { "start", "start X", 0 }, { 0 } };
static const struct lia_fact f[] = { { "x.y", "missing" }, { 0 } };
LIA_PLUGIN_DEFINE(bad) = { LIA_PLUGIN_HEADER, .name = "bad", .options = o, .hooks = h, .vm_commands = c, .facts = f };
C
out=$(lia plugins --check "$T/bad.so" 2>&1); rc=$?
is "$rc" 2 "a defective plugin: exit 2"
for defect in \
	"no version string" \
	"no description" \
	"exports 'exported_helper': only the descriptor may be exported" \
	"option 'n': default \"9\": 9 is out of range \\(allowed: 1 to 5\\)" \
	"option 'n' is declared twice" \
	"option 'url': default \"ftp://x/y\": \"ftp://x/y\" is not an allowed URL \\(allowed schemes: https\\)" \
	"option 'Bad-Name': names are \\[a-z0-9_\\]" \
	"option 'Bad-Name': default \"yes\": its default is not \"true\" or \"false\"" \
	"option 'Bad-Name' has no help line" \
	"two hooks for phase 'verify'" \
	"hook 3 is for unknown phase 99" \
	"hook for phase 'create' has no run\\(\\)" \
	"vm command 'start' has no run\\(\\)" \
	"vm command 'start' is a verb of the core" \
	"fact 'x.y' comes from setting 'missing', which it does not declare"; do
	like "$out" "^lia-core: $T/bad.so: $defect" "reported: $defect"
done

build sized <<'C'
#include <lia/plugin.h>
static int run(struct lia_ctx *c, void *s) { (void)c, (void)s; return 0; }
static const struct lia_hook h[] = { { .phase = LIA_PHASE_VERIFY, .run = run, .summary = "s" }, { 0 } };
/* a hand-made header with a hook size no ABI 2 plugin can have */
LIA_PLUGIN_DEFINE(sized) = { .magic = LIA_PLUGIN_MAGIC, .abi_major = LIA_ABI_MAJOR, .abi_minor = 0,
	.size = sizeof(struct lia_plugin), .hook_size = 8, .name = "sized", .hooks = h };
C
out=$(lia plugins --check "$T/sized.so" 2>&1); rc=$?
is "$rc" 2 "a table with an impossible element size: exit 2"
like "$out" "its hook table declares 8-byte elements" "...named"

cp "$T/good.so" "$T/renamed.so"
out=$(lia plugins --check "$T/renamed.so" 2>&1); rc=$?
is "$rc" 2 "a file whose name is not the plugin's: exit 2"
like "$out" "descriptor names plugin 'good', but it was loaded as 'renamed'|no plugin descriptor" "...named"
out=$(lia plugins --check relative.so 2>&1); rc=$?
is "$rc" 2 "a relative path is refused"
done_testing
