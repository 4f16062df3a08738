#!/bin/bash
# lia-testenv itself: what the command sees, exit status passed through, everything removed
# when the command succeeds, fails, or lia-testenv is killed (TERM) with a VMM running.
. "$(dirname "$0")/../lib.sh"
need_root
need_plugin host kernel-fetch image-dir fc-driver net-bridge net-tap
TE=$top_srcdir/tests/testkit/lia-testenv
DOUBLE=$top_builddir/tests/fcdouble/fcdouble
GUEST=$top_builddir/tests/guest/guest-wait.elf
[ -x "$DOUBLE" ] && [ -e "$GUEST" ] || skip_all "the test double and guests are not built"
T=$(mk_tmp)
te() { "$TE" --vmm "$DOUBLE" --kernel "$GUEST" "$@"; }
gone() { # gone ENVFILE: the folder and namespace recorded in ENVFILE no longer exist
	local w ns
	read -r w ns < "$1" || return 1
	[ -n "$w" ] && [ ! -e "$w" ] && ! ip netns list | grep -q "^$ns\\b"
}

out=$(te --help 2>/dev/null); rc=$?
is "$rc" 0 "--help exits 0"
like "$out" "^  -p, --plugin-dir DIR" "... and prints the options on stdout"
te --bogus true 2>/dev/null; is "$?" 2 "an unknown option exits 2"
te 2>/dev/null; is "$?" 2 "no command exits 2"
te --with frob true 2>/dev/null; is "$?" 2 "--with of an unknown part exits 2"

out=$(te --no-setup -- bash -c 'echo "$LIA_ENV $LIA_NETNS" > '"$T/e1"'; echo "conf=$LIA_CONF state=$LIA_STATE mirror=$LIA_MIRROR"; ip -br link; command -v lia; lia config check >/dev/null && echo config-ok') ; rc=$?
is "$rc" 0 "a command that succeeds: exit 0"
like "$out" "conf=/.*/lia.conf state=/.*/state mirror=/.*/mirror" "the command sees LIA_CONF, LIA_STATE, LIA_MIRROR"
like "$out" "^lo " "it runs in a namespace of its own (only lo there)"
[ "$(printf '%s\n' "$out" | grep -cE '^(eth|en|wl|br|docker|veth)')" = 0 ]; ok $? "... and sees none of the host's links"
like "$out" "/bin/lia" "the lia wrapper is on PATH"
like "$out" "config-ok" "the configuration it wrote passes config check"
gone "$T/e1"; ok $? "the folder and the namespace are gone afterwards"

te --no-setup -- bash -c 'echo "$LIA_ENV $LIA_NETNS" > '"$T/e2"'; exit 7'; rc=$?
is "$rc" 7 "a command that fails: its exit status is passed through"
gone "$T/e2"; ok $? "... and everything is removed"

# setup, a VM running in the double, then lia-testenv is killed: nothing is left
"$TE" --vmm "$DOUBLE" --kernel "$GUEST" -- bash -c 'echo "$LIA_ENV $LIA_NETNS" > '"$T/e3"'; lia -q vm create k1 && lia -q vm start k1 && touch '"$T/started"'; sleep 60.'$$ >"$T/e3.out" 2>&1 &
tp=$!
for _ in $(seq 1 200); do [ -e "$T/started" ] && break; sleep 0.1; done
test -e "$T/started"; ok $? "setup, vm create and vm start ran inside lia-testenv" || diag "$(cat "$T/e3.out")"
read -r w3 _ < "$T/e3" 2>/dev/null
vmm=$(grep -lsa -- "$w3/state/[s]ockets/" /proc/[0-9]*/cmdline | head -1)
test -n "$vmm"; ok $? "a VMM (the test double) runs"
kill -TERM "$tp"; wait "$tp"; rc=$?
is "$rc" 143 "lia-testenv killed with TERM exits 143"
gone "$T/e3"; ok $? "... and removed its folder and namespace"
test -z "$(grep -lsa -- "$w3/state/[s]ockets/" /proc/[0-9]*/cmdline)"; ok $? "... and killed the VMM"
! pgrep -f "sleep 60\\.$$" >/dev/null; ok $? "... and every process of the command (the shell, its sleep)"

# the guide's recipes with the double's knobs: a failing call rolls the start back, a start
# killed while it waits for the socket is undone by gc, the trace shows the API requests
cat > "$T/recipes.sh" <<'EOF2'
st() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["state"])' "$LIA_STATE/vms/$1.json"; }
lia -q vm create g1
FCDOUBLE_FAIL=/actions lia -q vm start g1 2>/dev/null; echo "fail $? $(st g1)"
FCDOUBLE_LISTEN_DELAY_MS=2500 lia -q vm start g1 & p=$!
sleep 1; kill -9 $p; wait $p 2>/dev/null
echo "killed $(st g1)"
lia -q gc; echo "gc $? $(st g1) $(. "$LIA_KIT/testenv-lib.sh"; te_procs "$LIA_ENV" | wc -l)"
FCDOUBLE_TRACE=$LIA_ENV/trace lia -q vm start g1; echo "start $? $(grep -c '^PUT ' "$LIA_ENV/trace")"
EOF2
out=$(te -- bash "$T/recipes.sh" 2>&1); rc=$?
is "$rc" 0 "the recipes run" || diag "$out"
like "$out" "^fail 1 stopped$" "FCDOUBLE_FAIL=/actions fails vm start, rolled back to stopped"
like "$out" "^killed starting$" "a start killed while waiting for the socket leaves the VM starting"
like "$out" "^gc 0 stopped 0$" "gc undoes it: stopped, no VMM left"
like "$out" "^start 0 [1-9][0-9]*$" "FCDOUBLE_TRACE records the API requests of a start"

# --with net: a bridge in the namespace, net-tap's lease in a VM's record
out=$(te --with net -- bash -c 'lia -q vm create n1 && ip -br link show liate0 && python3 -c "import json,os; print(json.load(open(os.environ[\"LIA_STATE\"]+\"/vms/n1.json\"))[\"data\"][\"net.ip\"])"' 2>&1); rc=$?
is "$rc" 0 "--with net: setup and vm create pass" || diag "$out"
like "$out" "^liate0 " "... the bridge exists in the namespace"
like "$out" "^172\\.31\\.0\\.100$" "... and the VM leased the pool's first address"
done_testing
