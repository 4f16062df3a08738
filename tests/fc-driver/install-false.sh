#!/bin/bash
# fc-driver `install = false`: the binary the configuration names is used as it is and
# nothing is downloaded; preflight (and install) say clearly when it is missing.
. "$(dirname "$0")/../lib.sh"
T=$(mk_tmp)
DOUBLE=${FCDOUBLE:-$top_builddir/tests/fcdouble/fcdouble}
[ -x "$DOUBLE" ] || skip_all "the Firecracker test double is not built ($DOUBLE)"
# a release_url that cannot answer: any download attempt fails the run
conf() { mk_conf "$T" "fc-driver = { install = false; $1 bin_dir = \"$T/bin\"; release_url = \"http://127.0.0.1:9/fc.tgz\"; };" >/dev/null; }

conf "binary = \"$T/no-such-firecracker\";"
out=$(lia -c "$T/lia.conf" run setup --only preflight 2>&1); rc=$?
is "$rc" 1 "preflight fails when the given binary is missing"
like "$out" "preflight: fc-driver: the Firecracker binary $T/no-such-firecracker is missing \\(fc-driver.install = false at .*lia.conf:[0-9]+: lia never downloads it" \
	"... naming the binary, the setting and where it was written"
out=$(lia -c "$T/lia.conf" run setup --only install 2>&1); rc=$?
is "$rc" 1 "install fails the same way (for --only install)"
like "$out" "no-such-firecracker is missing" "... with the same message"
out=$(lia -c "$T/lia.conf" run setup --only install --dry-run 2>&1)
like "$out" "cannot tell: .*no-such-firecracker is missing" "the dry run says it too"

touch "$T/not-exec"
conf "binary = \"$T/not-exec\";"
out=$(lia -c "$T/lia.conf" run setup --only preflight 2>&1); rc=$?
is "$rc" 1 "a binary that cannot run fails preflight"
like "$out" "not-exec is not executable" "... saying so"

conf "binary = \"$DOUBLE\";"
out=$(lia -c "$T/lia.conf" run setup --only preflight,install 2>&1); rc=$?
is "$rc" 0 "with the given binary present, preflight and install pass" || diag "$out"
like "$out" "install: fc-driver: skipped" "install has nothing to do"
test ! -e "$T/state/install" && test ! -e "$T/bin"; ok $? "nothing was downloaded, bin_dir was not touched"
out=$(lia -c "$T/lia.conf" run setup --only install --dry-run 2>&1)
like "$out" "use $DOUBLE as it is \\(install = false: nothing is downloaded\\)" "the dry run says the binary is used as given"

# without binary: bin_dir/firecracker is the binary
mkdir -p "$T/bin" && cp "$DOUBLE" "$T/bin/firecracker"
conf ""
lia -c "$T/lia.conf" -q run setup --only preflight,install; is "$?" 0 "without binary, bin_dir/firecracker is used"
done_testing
