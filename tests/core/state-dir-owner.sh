#!/bin/bash
# state_dir, its folders and the folders above it must belong to root (or to the user
# running lia-core) and must not be writable by group or others (issue 10 #2; above
# state_dir a sticky folder like /tmp may be): otherwise another user could plant
# links and records that root follows and trusts.  lia-core refuses to run, exit 1, with a
# line naming the folder, the owner or mode found and the command that fixes it.
. "$(dirname "$0")/../lib.sh"
. "$top_srcdir/tests/stubs/build.sh"
need_root
command -v setpriv >/dev/null || skip_all "setpriv is not installed"
T=$(mk_tmp)
chmod 755 "$T"
P=$T/plugins
export LIA_PLUGIN_PATH=$P
stub_build "$P" stub_a stub-a || bail "cannot compile stubs"
mk_conf "$T" "stub-a = { log = \"$T/calls\"; };" >/dev/null
chmod 644 "$T/lia.conf"; chmod -R a+rX "$P" "$T/conf.d"
S=$T/state
L() { "$LIA_CORE" -c "$T/lia.conf" "$@"; }
L -q vm create v1 || bail "vm create"
calls=$(cat "$T/calls" 2>/dev/null)
out=$(L vm list 2>&1); rc=$?
is "$rc" 0 "a state_dir of root's, mode 0755/0700: vm list works" || diag "$out"

# 1. a folder owned by another user
chown 65534 "$S/vms"
out=$(L vm list 2>&1); rc=$?
is "$rc" 1 "vms/ owned by nobody: vm list exits 1"
like "$out" "unsafe state folder $S/vms: owned by uid 65534 \([a-z]+\)" "the message names the folder and its owner"
like "$out" "chown root:root $S/vms" "...and the command that fixes it"
out=$(L vm create v2 2>&1); rc=$?
is "$rc" 1 "vm create is refused too"
test ! -e "$S/vms/v2.json"; ok $? "nothing was created"
out=$(L gc 2>&1); rc=$?
is "$rc" 1 "gc is refused too"
out=$(L run setup 2>&1); rc=$?
is "$rc" 1 "run setup is refused too"
is "$(cat "$T/calls" 2>/dev/null)" "$calls" "no hook ran while the folder was unsafe"
chown 0 "$S/vms"

# 2. a folder writable by group or others (volumes/, made by a plugin)
mkdir -m 0777 "$S/volumes"; chmod 0777 "$S/volumes"
out=$(L vm show v1 2>&1); rc=$?
is "$rc" 1 "volumes/ mode 0777: vm show exits 1"
like "$out" "unsafe state folder $S/volumes: mode 0777 lets group and others write in it; fix: chmod go-w $S/volumes" \
	"the message names the folder, its mode and the fix"
chmod 0770 "$S/volumes"
out=$(L vm show v1 2>&1)
like "$out" "mode 0770 lets its group write" "group-writable alone is refused"
chmod 0750 "$S/volumes"

# 3. state_dir itself
chmod 0757 "$S"
out=$(L vm list 2>&1); rc=$?
is "$rc" 1 "state_dir mode 0757: refused"
like "$out" "unsafe state folder $S: mode 0757 lets others write" "the message names state_dir"
chmod 0755 "$S"

# 4. a folder that is a link: the folder it leads to counts
mkdir -m 0700 "$T/elsewhere"; chown 65534 "$T/elsewhere"
ln -s "$T/elsewhere" "$S/images"
out=$(L vm list 2>&1); rc=$?
is "$rc" 1 "a link to a folder of nobody's: refused"
like "$out" "$S/images \(a link to $T/elsewhere\): owned by uid 65534" "the message names the link and its target"
rm "$S/images"

out=$(L vm list 2>&1); rc=$?
is "$rc" 0 "fixed as told: vm list works again" || diag "$out"

# 5. the user running lia-core may own it: an ordinary user's own state_dir
if setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$LIA_CORE"; then
	mkdir "$T/own"; chown 65534:65534 "$T/own"
	sed "s|$S|$T/own/state|" "$T/lia.conf" > "$T/own.conf"; chmod 644 "$T/own.conf"
	setpriv --reuid=65534 --regid=65534 --clear-groups "$LIA_CORE" -c "$T/own.conf" -q vm create u1 >/dev/null 2>&1
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$LIA_CORE" -c "$T/own.conf" vm list 2>&1); rc=$?
	is "$rc" 0 "a state_dir of the user running lia-core is not refused for that user" || diag "$out"
	out=$("$LIA_CORE" -c "$T/own.conf" vm list 2>&1)
	like "$out" "unsafe state folder $T/own/state: owned by uid 65534" "...but root refuses it"
else
	skip "nobody cannot run $LIA_CORE"; skip "nobody cannot run $LIA_CORE"
fi

# 6. a folder above state_dir: whoever may rename it can swap the whole tree
mkdir -p "$T/up/mid"; chmod 755 "$T/up" "$T/up/mid"
sed "s|$S|$T/up/mid/state|" "$T/lia.conf" > "$T/up.conf"
"$LIA_CORE" -c "$T/up.conf" -q vm create w1 || bail "vm create under $T/up/mid"
chown 65534 "$T/up"
out=$("$LIA_CORE" -c "$T/up.conf" vm list 2>&1); rc=$?
is "$rc" 1 "a folder above state_dir owned by nobody: refused"
like "$out" "unsafe folder above state_dir $T/up: owned by uid 65534 \([a-z]+\), not by root; fix: chown root:root $T/up" \
	"the message names that folder, its owner and the fix"
chown 0 "$T/up"; chmod 0777 "$T/up/mid"
out=$("$LIA_CORE" -c "$T/up.conf" vm list 2>&1); rc=$?
is "$rc" 1 "a folder above state_dir writable by others: refused"
like "$out" "unsafe folder above state_dir $T/up/mid: mode 0777 lets group and others write in it; fix: chmod go-w $T/up/mid" \
	"the message names that folder, its mode and the fix"
chmod 1777 "$T/up/mid"
out=$("$LIA_CORE" -c "$T/up.conf" vm list 2>&1); rc=$?
is "$rc" 0 "...but sticky like /tmp (mode 1777) is safe: nobody else may rename state_dir there" || diag "$out"
chmod 0755 "$T/up/mid"
done_testing
