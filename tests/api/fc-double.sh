#!/bin/bash
# lia-core serve with the real pipeline: net-bridge + net-tap in a network namespace of our
# own, image-dir, vsock and fc-driver with the Firecracker test double (tests/fcdouble) as
# its binary.  Over the API: a whole VM cycle (the double's trace shows the Firecracker
# calls up to InstanceStart), CLI and API VMs operated by the other side, the events of
# both, a daemon restart with a running VM, a failed start (the double refuses a call):
# the error names plugin and phase and no TAP is left; at the end nothing is leaked.
# Every response is checked against docs/api/openapi.yaml.
. "$(dirname "$0")/../lib.sh"
API_REAL_PLUGINS=1
. "$top_srcdir/tests/api/lib-api.sh"
. "$top_srcdir/tests/fc-driver/lib-fc.sh" # skips when fc-driver, host, image-dir or vsock is not built
[ -x "$FCDOUBLE" ] || skip_all "fcdouble is not built"
command -v mkfs.ext4 >/dev/null || skip_all "mkfs.ext4 is not installed"
[ "$(id -u)" -eq 0 ] || skip_all "needs root (a network namespace, TAPs)"
[ -e /dev/net/tun ] || skip_all "needs /dev/net/tun"
for p in net-bridge net-tap; do
	why=$(plugin_off "$p") && skip_all "plugin $p is not built: $why"
done
fc_net_env "$FCDOUBLE" || bail "the network namespace set-up failed"
# lib-api's helpers on fc_env's temp dir and config
SOCK=$T/api.sock
V=$S/vms
: > "$T/index"
sed -i "0,/^};/s|^};|  api_listen = \"unix:$SOCK\"; api_group = \"\"; api_workers = 2;\n};|" "$CONF"
API_PREFIX=(ip netns exec "$NS")
export FCDOUBLE_TRACE=$T/trace
: > "$T/trace"

taps() { ip -n "$NS" -o link show | grep -c 'tap-'; true; }
alive() { kill -0 "$1" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]; }

daemon_start || bail "the daemon did not start: $(tail -5 "$T/daemon.log")"
curl -s -N --unix-socket "$SOCK" --max-time 600 http://lia/v1/events > "$T/events" 2>/dev/null &
EV=$!
cleanup "kill $EV"
wait_for 10 grep -q '^retry:' "$T/events"

# 1. a whole cycle over the API
api POST /v1/vms '{"name":"api1","vcpus":1,"mem_mib":128}'
is "$CODE $(jget "$BODY" 'j["state"]')" "201 created" "POST /v1/vms: 201 created"
api POST /v1/vms/api1/start
is "$CODE $(jget "$BODY" 'j["state"]')" "200 running" "POST start: 200 running" || diag "$BODY"
api GET /v1/vms/api1
is "$CODE $(jget "$BODY" 'j["state"]')" "200 running" "GET: running"
ip=$(jget "$BODY" 'j["data"]["net.ip"]'); tap=$(jget "$BODY" 'j["data"]["net.tap"]'); pid=$(jget "$BODY" 'j["data"]["fc.pid"]')
like "$ip" '^172\.31\.0\.[0-9]+$' "GET shows the VM's address from net-tap's pool ($ip)"
like "$(ip -n "$NS" -o link show "$tap" 2>&1)" 'master liafc0.*LOWER_UP|LOWER_UP.*master liafc0' \
	"GET shows its TAP ($tap), on the bridge, held open by the VMM"
alive "$pid"; ok $? "GET shows the VMM's pid ($pid), alive"
api GET /v1/vms
is "$(jget "$BODY" '[(v["name"], v["state"], v.get("net.tap"), v.get("pid")) for v in j]')" "[('api1', 'running', '$tap', $pid)]" \
	"GET /v1/vms: the summary carries tap and pid"
# the double traces "METHOD PATH BODY" per request; one VM has run so far
is "$(awk '{printf "%s %s;", $1, $2}' "$T/trace")" \
	"PUT /logger;PUT /metrics;PUT /boot-source;PUT /machine-config;PUT /drives/rootfs;PUT /drives/data;PUT /network-interfaces/eth0;PUT /vsock;PUT /actions;" \
	"the double saw Firecracker's calls in order, up to PUT /actions"
like "$(grep '^PUT /actions' "$T/trace")" '"action_type":"InstanceStart"' "... the last one InstanceStart"
like "$(grep '^PUT /network-interfaces/eth0' "$T/trace")" "\"host_dev_name\":\"$tap\"" "... with the TAP GET shows"
api POST /v1/vms/api1/stop
is "$CODE $(jget "$BODY" 'j["state"]')" "200 stopped" "POST stop: 200 stopped"
alive "$pid"; ok $((!$?)) "the VMM is gone"
is "$(taps)" 0 "the TAP is gone"
api DELETE /v1/vms/api1; is "$CODE" 204 "DELETE: 204"
api GET /v1/vms/api1; err_is 404 no_such_vm "GET after DELETE: 404 no_such_vm"

# 2. the CLI's VM over the API, the API's VM over the CLI
"${L[@]}" -q vm create cli1 && "${L[@]}" -q vm start cli1; ok $? "the CLI creates and starts cli1"
api GET /v1/vms/cli1
is "$CODE $(jget "$BODY" 'j["state"], bool(j["data"].get("net.tap"))')" "200 ('running', True)" "the API sees cli1 running, with a TAP"
cpid=$(jget "$BODY" 'j["data"]["fc.pid"]')
api POST /v1/vms/cli1/stop '{"timeout_s":5}'
is "$CODE $(jget "$BODY" 'j["state"]')" "200 stopped" "the API stops the CLI's VM"
alive "$cpid"; ok $((!$?)) "its VMM is gone"
api POST /v1/vms '{"name":"api2"}'; is "$CODE" 201 "POST /v1/vms api2: 201"
"${L[@]}" -q vm start api2; ok $? "the CLI starts the API's VM"
api GET /v1/vms/api2; is "$(jget "$BODY" 'j["state"]')" running "the API sees it running"

# 3. events: both sides' changes
wait_for 30 grep -q '"name": *"api2", *"old": *"starting", *"new": *"running"' "$T/events"
ev=$(grep '^data: ' "$T/events" | sed 's/^data: //' | python3 -c '
import json, sys
for l in sys.stdin:
    e = json.loads(l); print(e["name"], e["old"], e["new"])')
like "$ev" "api1 None creating" "events: api1 created over the API"
like "$ev" "api1 starting running" "events: api1 started over the API"
like "$ev" "api1 destroying deleted" "events: api1 deleted over the API"
like "$ev" "cli1 starting running" "events: cli1 started by the CLI"
like "$ev" "cli1 stopping stopped" "events: cli1 stopped over the API"
like "$ev" "api2 starting running" "events: api2 started by the CLI"

# 4. a daemon restart with a running VM loses nothing
api GET /v1/vms/api2; rpid=$(jget "$BODY" 'j["data"]["fc.pid"]'); rtap=$(jget "$BODY" 'j["data"]["net.tap"]')
daemon_stop; is "$DRC" 0 "SIGTERM: the daemon exits 0"
alive "$rpid"; ok $? "api2's VMM outlives the daemon"
# the new daemon's VMMs refuse PUT /network-interfaces/eth0 (after the TAP is made)
FCDOUBLE_FAIL=/network-interfaces/eth0 daemon_start || bail "no restart: $(tail -5 "$T/daemon.log")"
api GET /v1/vms/api2
is "$CODE $(jget "$BODY" 'j["state"], j["data"]["fc.pid"], j["data"]["net.tap"]')" "200 ('running', $rpid, '$rtap')" \
	"the new daemon shows api2 running, same VMM and TAP"
api POST /v1/vms/api2/stop
is "$CODE $(jget "$BODY" 'j["state"]')" "200 stopped" "and stops it"
alive "$rpid"; ok $((!$?)) "its VMM is gone"

# 5. a failed start: the documented error, nothing half made
api POST /v1/vms/api2/start
err_is 500 plugin_failed "a VMM refusing a call: 500 plugin_failed"
is "$(jget "$BODY" 'j["error"]["plugin"], j["error"]["phase"]')" "('fc-driver', 'boot')" "the error names fc-driver and boot"
like "$(jget "$BODY" 'j["error"]["message"]')" "Firecracker rejected PUT /network-interfaces/eth0 .*injected failure" \
	"its message is Firecracker's fault_message with the endpoint"
is "$(taps)" 0 "no TAP is left"
is "$(fc_leftovers)" "" "no VMM process or socket is left"
api GET /v1/vms/api2; is "$(jget "$BODY" 'j["state"]')" stopped "api2 is back to stopped"
daemon_stop
daemon_start || bail "no restart: $(tail -5 "$T/daemon.log")"
api POST /v1/vms/api2/start; is "$CODE $(jget "$BODY" 'j["state"]')" "200 running" "a start with a healthy VMM succeeds after it"
api DELETE "/v1/vms/api2?force=true"; is "$CODE" 204 "DELETE ?force=true of the running api2: 204"
api DELETE /v1/vms/cli1; is "$CODE" 204 "DELETE cli1: 204"
api GET /v1/vms; is "$CODE $BODY" "200 []" "no VM is left"
daemon_stop; is "$DRC" 0 "the daemon exits 0"

# 6. nothing leaked
kill "$EV" 2>/dev/null; wait "$EV" 2>/dev/null
is "$(taps)" 0 "no TAP in the namespace"
is "$(fc_leftovers)" "" "no VMM process, no socket in state_dir/sockets"
test ! -e "$SOCK"; ok $? "the API socket is removed"
is "$(ls "$V" | grep -c json)" 0 "no record"
out=$("${L[@]}" gc 2>&1); rc=$?
is "$rc $(tail -1 <<<"$out")" "0 gc: 0 VM record(s) reconciled, 0 failure(s)" "gc reconciles no record"
# besides that line, only each plugin's gc hook saying ok or skipped (nothing killed or removed)
is "$(sed '$d' <<<"$out" | grep -Ev '^gc/gc: [a-z0-9-]+: (ok|skipped) \([0-9.]+ ms\)$')" "" "no gc hook has anything to do" ||
	diag "$out"
api_validate
for want in "/v1/vms POST 201" "/v1/vms/{name}/start POST 200" "/v1/vms/{name}/start POST 500" \
	"/v1/vms/{name}/stop POST 200" "/v1/vms/{name} GET 200" "/v1/vms/{name} DELETE 204"; do
	grep -qxF "seen: $want" <<<"$VALIDATED"; ok $? "covered: $want"
done
done_testing
