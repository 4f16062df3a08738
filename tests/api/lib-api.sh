# tests/api/lib-api.sh: a real `lia-core serve` on a Unix socket in a temp state_dir, with the
# stub plugins (tests/stubs) as the pipeline; every response is recorded and checked
# against docs/api/openapi.yaml by api_validate.  Sourced after tests/lib.sh.
# API_REAL_PLUGINS=1 (set before sourcing): no stubs, LIA_PLUGIN_PATH kept (the build's
# plugins); the test writes its own config.  API_PREFIX (an array, e.g. ip netns exec NS)
# is put before the daemon's command line.
. "$top_srcdir/tests/stubs/build.sh"
python3 -c 'import jsonschema, yaml' 2>/dev/null || skip_all "needs python3-jsonschema and python3-yaml (tools/deps.sh)"
command -v curl >/dev/null || skip_all "needs curl"
T=$(mk_tmp)
P=$T/plugins
BUILT_PLUGINS=${LIA_PLUGIN_PATH:-}  # the real plugins of the build tree
LOG=$T/calls
SOCK=$T/api.sock
V=$T/state/vms
if [ -z "${API_REAL_PLUGINS:-}" ]; then
	export LIA_PLUGIN_PATH=$P
	# stub-a publishes its pool of kind "num" (facts lease.num.first/last), as net-tap does ip4
	stub_build "$P" stub_a stub-a "" -DSTUB_LEASE_FACTS || bail "cannot compile stubs"
	# stub-b stands for the VMM (role vmm, a stop_timeout setting)
	stub_build "$P" stub_b stub-b vmm || bail "cannot compile stubs"
fi
: > "$T/index"
_resp_n=0

# api_conf [LIA_SETTINGS] [STUB_A_SETTINGS] [STUB_B_SETTINGS]
api_conf() {
	mk_conf "$T" "stub-a = { log = \"$LOG\"; lease = \"num\"; lease_max = 1000; ledger = true; ${2:-} };" \
		"stub-b = { log = \"$LOG\"; ${3:-} };" >/dev/null
	sed -i "s|^};|  api_listen = \"unix:$SOCK\"; api_group = \"\"; ${1:-}\n};|" "$T/lia.conf"
}
# daemon_start [ARGS]: lia-core serve in the background; waits for the socket
daemon_start() {
	${API_PREFIX[@]+"${API_PREFIX[@]}"} "$LIA_CORE" -c "$T/lia.conf" serve "$@" 2>>"$T/daemon.log" &
	DPID=$!
	cleanup "kill -9 $DPID"
	for _ in $(seq 100); do
		curl -s --unix-socket "$SOCK" http://lia/healthz >/dev/null 2>&1 && return 0
		kill -0 "$DPID" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}
# daemon_stop: SIGTERM, wait; sets DRC to its exit status
daemon_stop() { kill -TERM "$DPID" 2>/dev/null; wait "$DPID"; DRC=$?; }

# api METHOD PATH [JSON_BODY [CURL_ARGS...]]: sets CODE, BODY (and HDR, the headers file)
api() {
	local m=$1 p=$2 d=${3:-}
	shift 2; [ $# -gt 0 ] && shift
	_resp_n=$((_resp_n + 1))
	local f=$T/resp.$_resp_n
	local args=(-s -o "$f" -D "$f.hdr" -w '%{http_code}' -X "$m" --unix-socket "$SOCK" --max-time 60)
	[ -n "$d" ] && args+=(-H 'Content-Type: application/json' --data-binary "$d")
	CODE=$(curl "${args[@]}" "$@" "http://lia$p")
	BODY=$(cat "$f")
	HDR=$f.hdr
	api_record "$f" "$m" "$p" "$CODE"
}
# api_record BODYFILE METHOD PATH STATUS: add a response (with BODYFILE.hdr) to the index
api_record() {
	local ct
	ct=$(grep -i '^content-type:' "$1.hdr" 2>/dev/null | head -1 | cut -d' ' -f2- | tr -d '\r')
	echo "$1 $2 $3 $4 $ct" >> "$T/index"
}
# jget JSON EXPR: a value of the body, by a Python expression on `j`
jget() { python3 -c 'import json,sys; j=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2" 2>/dev/null; }
# err_is CODE STATUS ERRCODE DESCRIPTION: the status and the error's code
err_is() {
	local got
	got="$CODE $(jget "$BODY" 'j["error"]["code"]')"
	is "$got" "$1 $2" "$3"
}
# api_validate: every recorded response matches docs/api/openapi.yaml
api_validate() {
	local out
	out=$(python3 "$top_srcdir/tests/api/validate.py" "$top_srcdir/docs/api/openapi.yaml" "$T/index")
	ok $? "every response matches docs/api/openapi.yaml ($(tail -1 <<<"$out"))"
	grep -v '^seen:' <<<"$out" | sed 's/^/# /'
	VALIDATED=$out
}
# unbalanced: VMs whose stub host object (stub-a's create) was not destroyed or undone
unbalanced() {
	python3 - "$LOG" <<'PY'
import collections, sys
made = collections.Counter()
for l in open(sys.argv[1]):
    w = l.split()
    if len(w) < 4 or w[0] != "stub-a":
        continue
    if w[1:3] == ["run", "create"]: made[w[3]] += 1
    if w[1:3] in (["run", "destroy"], ["undo", "create"]): made[w[3]] -= 1
print(" ".join(sorted(k for k, v in made.items() if v != 0)))
PY
}
