#!/bin/bash
# An author's path, end to end: install the SDK and the test kit (DESTDIR), build the example
# plugin out of tree from them alone, and run a whole VM cycle with it (create, start, stop,
# destroy, gc) through the installed lia-testenv and the Firecracker test double.
. "$(dirname "$0")/../lib.sh"
need_root
need_plugin host kernel-fetch image-dir fc-driver
command -v pkg-config >/dev/null || skip_all "pkg-config is not installed"
[ -e /dev/net/tun ] || skip_all "no /dev/net/tun"
T=$(mk_tmp)
make -s -C "$top_builddir" install-liaincludeHEADERS install-pkgconfigDATA install-testkitPROGRAMS \
	install-dist_testkitSCRIPTS install-dist_testkitDATA install-testkitDATA DESTDIR="$T/root" >"$T/install.log" 2>&1
ok $? "the SDK and the test kit install with DESTDIR" || diag "$(tail -5 "$T/install.log")"
pc=$(find "$T/root" -name lia-plugin.pc | head -1)
export PKG_CONFIG_PATH=$(dirname "$pc") PKG_CONFIG_SYSROOT_DIR=$T/root
kit=$T/root$(PKG_CONFIG_SYSROOT_DIR= pkg-config --variable=testkitdir lia-plugin)
for f in lia-testenv testenv-lib.sh fcdouble guest-wait.elf; do
	test -e "$kit/$f"; ok $? "the kit holds $f (pkg-config --variable=testkitdir)"
done

cp -r "$top_srcdir/docs/examples/hello" "$T/hello"
out=$(make -C "$T/hello" CFLAGS="-Wall -Wextra -Werror" 2>&1); rc=$?
is "$rc" 0 "the example builds out of tree from the installed SDK" || diag "$out"
mkdir -p "$T/plugins" && cp "$T/hello/hello.so" "$T/plugins/"

# the cycle, as the guide shows it; every step's exit status and the facts it checks go to $T/steps
cat > "$T/cycle.sh" <<'CYCLE'
out=$1
echo "env $LIA_ENV" > "$out"
echo "ns $LIA_NETNS" >> "$out"
step() { local name=$1; shift; "$@" >>"$out.log" 2>&1; echo "$name $?" >> "$out"; }
key() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r.get(sys.argv[2], r["data"].get(sys.argv[2], "")))' "$LIA_STATE/vms/$1.json" "$2" 2>/dev/null; }
step create lia vm create ex1
echo "greeting $(key ex1 hello.greeting)" >> "$out"
step start lia vm start ex1
echo "state-started $(key ex1 state)" >> "$out"
pid=$(key ex1 fc.pid)
kill -0 "$pid" 2>/dev/null; echo "vmm-alive $?" >> "$out"
step stop lia vm stop ex1
echo "state-stopped $(key ex1 state)" >> "$out"
# (a zombie has exited too: this machine's PID 1 may be slow to reap what it inherits)
if kill -0 "$pid" 2>/dev/null && ! grep -qs '^State:[[:space:]]*Z' "/proc/$pid/status"; then
	echo "vmm-gone 0" >> "$out"
else
	echo "vmm-gone 1" >> "$out"
fi
step destroy lia vm destroy ex1
test -e "$LIA_STATE/vms/ex1.json"; echo "record-gone $?" >> "$out"
step gc lia gc
CYCLE
"$kit/lia-testenv" -p "$T/plugins" -c 'hello = { greeting = "hi from the kit"; };' -- bash "$T/cycle.sh" "$T/steps" 2>"$T/testenv.err"
rc=$?
is "$rc" 0 "lia-testenv ran the cycle and passed its exit status" || diag "$(cat "$T/testenv.err" "$T/steps.log" 2>/dev/null | tail -20)"
val() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print }' "$T/steps" 2>/dev/null; }
for s in create start stop destroy gc; do is "$(val $s)" 0 "vm $s with the example plugin loaded"; done
is "$(val greeting)" "hi from the kit" "the example's create hook wrote its key into the record"
is "$(val state-started)" running "after start the VM is running"
is "$(val vmm-alive)" 0 "... in the test double, alive"
is "$(val state-stopped)" stopped "after stop the VM is stopped"
is "$(val vmm-gone)" 1 "... and its VMM is gone"
is "$(val record-gone)" 1 "destroy removed the record"
w=$(val env)
test -n "$w" && test ! -e "$w"; ok $? "lia-testenv removed its folder"
ns=$(val ns)
test -n "$ns" && ! ip netns list | grep -q "^$ns\b"; ok $? "... and its network namespace"
done_testing
