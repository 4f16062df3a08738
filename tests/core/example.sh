#!/bin/bash
# The example plugin builds OUT of tree from the installed header and lia-plugin.pc alone,
# then loads into a pipeline and runs.
. "$(dirname "$0")/../lib.sh"
T=$(mk_tmp)
command -v pkg-config >/dev/null || skip_all "pkg-config is not installed"
# install only the SDK (header + .pc) into a throwaway root
make -s -C "$top_builddir" install-liaincludeHEADERS install-pkgconfigDATA DESTDIR="$T/root" >/dev/null 2>&1
ok $? "the SDK installs with DESTDIR"
pc=$(find "$T/root" -name lia-plugin.pc | head -1)
test -n "$pc"; ok $? "lia-plugin.pc is installed"
hdr=$(find "$T/root" -path '*/lia/plugin.h' | head -1)
test -n "$hdr"; ok $? "lia/plugin.h is installed"
# a copy of the example, away from the source tree: only the installed files can serve it
cp -r "$top_srcdir/docs/examples/hello" "$T/hello"
export PKG_CONFIG_PATH=$(dirname "$pc") PKG_CONFIG_SYSROOT_DIR=$T/root
out=$(make -C "$T/hello" CFLAGS="-Wall -Wextra -Werror" 2>&1); rc=$?
is "$rc" 0 "the example builds out of tree"
[ $rc -eq 0 ] || diag "$out"
case "$(pkg-config --cflags lia-plugin)" in *"$top_srcdir"*) ok 1 "cflags point into the source tree";; *) ok 0 "cflags point at the installed root only";; esac
mkdir -p "$T/plugins" && cp "$T/hello/hello.so" "$T/plugins/"
out=$(lia plugins --check "$T/plugins/hello.so" 2>&1); rc=$?
is "$rc" 0 "the conformance check finds no defect in the example"
like "$out" "hello.so: ok \\(plugin 'hello' 1.0, ABI 2\\.[0-9]+, 3 options, 2 hooks\\)" "...and says what it checked"
mk_conf "$T" 'hello = { style = "loud"; };' >/dev/null
out=$(LIA_PLUGIN_PATH=$T/plugins lia -c "$T/lia.conf" config check 2>&1); rc=$?
is "$rc" 2 "a value outside the example's declared choices is refused"
like "$out" "lia.conf:[0-9]+: hello.style: \"loud\" is not one of the choices \\(allowed: plain,shout\\)" "...with FILE:LINE and the choices"
mk_conf "$T" 'hello = { style = "shout"; greeting = "a greeting far longer than forty characters, really"; };' >/dev/null
out=$(LIA_PLUGIN_PATH=$T/plugins lia -c "$T/lia.conf" config check 2>&1); rc=$?
is "$rc" 2 "the example's own check() refuses a long shout"
like "$out" "lia.conf:[0-9]+: hello.greeting: is too long to shout" "...as FILE:LINE: plugin.key: message"
mk_conf "$T" 'hello = { greeting = "hi from out of tree"; };' >/dev/null
mkdir -p "$T/state"
out=$(LIA_PLUGIN_PATH=$T/plugins lia -c "$T/lia.conf" run setup --only verify 2>&1); rc=$?
is "$rc" 0 "lia-core loads and runs the out-of-tree plugin"
is "$(cat "$T/state/hello.txt" 2>/dev/null)" "hi from out of tree" "its hook did its work with its setting"
LIA_PLUGIN_PATH=$T/plugins lia -c "$T/lia.conf" -q run teardown --only verify
test ! -e "$T/state/hello.txt"; ok $? "teardown ran its undo"
LIA_PLUGIN_PATH=$T/plugins lia -c "$T/lia.conf" -q vm create ex1
g=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["data"]["hello.greeting"])' "$T/state/vms/ex1.json" 2>/dev/null)
is "$g" "hi from out of tree" "its vm create hook wrote the VM record"
nm -D --defined-only "$T/hello/hello.so" | grep -c ' [DTBR] ' | grep -qx 1 || nm -D --defined-only "$T/hello/hello.so" | grep -q hello_LTX_lia_plugin
ok $? "it exports its descriptor"
done_testing
