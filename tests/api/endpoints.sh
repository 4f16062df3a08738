#!/bin/bash
# lia-core serve: every endpoint and status code over a real Unix socket, with the stub
# plugins as the pipeline; the one error shape; VMs made by the CLI seen over the API and the
# reverse; events for both; a daemon restart loses no VM; responses match openapi.yaml.
. "$(dirname "$0")/../lib.sh"
. "$top_srcdir/tests/api/lib-api.sh"
api_conf "api_workers = 2;"
daemon_start || bail "the daemon did not start: $(cat "$T/daemon.log")"
stat -c %a "$SOCK" | grep -qx 660; ok $? "the socket is mode 0660"

api GET /healthz; is "$CODE $(jget "$BODY" 'j["status"]')" "200 ok" "GET /healthz: 200 ok"
api GET /v1/vms; is "$CODE $BODY" "200 []" "GET /v1/vms: 200 and no VMs"

# events: a stream from now on, read in the background
curl -s -N --unix-socket "$SOCK" --max-time 900 http://lia/v1/events > "$T/events1" 2>/dev/null &
EV1=$!
cleanup "kill $EV1"
sleep 0.3

api POST /v1/vms '{"name":"api1","vcpus":3,"mem_mib":256,"ssh_keys":"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE test@lia"}'
is "$CODE" 201 "POST /v1/vms: 201"
is "$(jget "$BODY" 'j["state"], j["vcpus"], j["mem_mib"], j["ssh_key"].split()[0]')" "('created', 3, 256, 'ssh-ed25519')" \
	"the answer is the VM record: created, 3 vCPUs, 256 MiB, the key"
grep -qi '^Location: /v1/vms/api1' "$HDR"; ok $? "201 names the VM in Location"
lia -c "$T/lia.conf" --json vm show api1 >/dev/null 2>&1; ok $? "the CLI sees the VM made over the API"
api POST /v1/vms '{"name":"api1"}'; err_is 409 vm_exists "a second create of the name: 409 vm_exists"

api POST /v1/vms/api1/start; is "$CODE $(jget "$BODY" 'j["state"]')" "200 running" "POST start: 200 running"
api POST /v1/vms/api1/start; is "$CODE $(jget "$BODY" 'j["state"]')" "200 running" "starting a running VM: 200 (no-op, as the CLI)"
api GET /v1/vms/api1; is "$CODE $(jget "$BODY" 'j["name"], j["state"]')" "200 ('api1', 'running')" "GET /v1/vms/api1: 200 running"
api DELETE /v1/vms/api1; err_is 409 vm_running "DELETE of a running VM: 409 vm_running"
api POST /v1/vms/api1/stop '{"force":false,"timeout_s":30}'; is "$CODE $(jget "$BODY" 'j["state"]')" "200 stopped" "POST stop: 200 stopped"
api POST /v1/vms/api1/start; api DELETE "/v1/vms/api1?force=true"; is "$CODE" 204 "DELETE ?force=true of a running VM: 204"
test ! -e "$V/api1.json"; ok $? "the record is gone"
api GET /v1/vms/api1; err_is 404 no_such_vm "GET of a destroyed VM: 404 no_such_vm"
api DELETE /v1/vms/api1; err_is 404 no_such_vm "DELETE of a missing VM: 404 no_such_vm"
api POST /v1/vms/nosuch/start; err_is 404 no_such_vm "start of a missing VM: 404 no_such_vm"
api POST /v1/vms/nosuch/stop; err_is 404 no_such_vm "stop of a missing VM: 404 no_such_vm"

# the CLI makes a VM; the API sees it and operates it
lia -c "$T/lia.conf" -q vm create cli1 --vcpus 1 && lia -c "$T/lia.conf" -q vm start cli1; ok $? "the CLI creates and starts cli1"
api GET /v1/vms; is "$(jget "$BODY" '[(v["name"], v["state"]) for v in j]')" "[('cli1', 'running')]" "GET /v1/vms lists the CLI's VM, running"
api POST /v1/vms/cli1/stop; is "$CODE $(jget "$BODY" 'j["state"]')" "200 stopped" "the API stops the CLI's VM"
lia -c "$T/lia.conf" vm list | grep -Eq '^cli1 +stopped'; ok $? "the CLI sees it stopped"
api POST /v1/vms '{"name":"api2"}'
lia -c "$T/lia.conf" -q vm start api2; ok $? "the CLI starts a VM made over the API"

# a plugin that fails: its name and phase, the work rolled back
api_conf "api_workers = 2;" "" "fail = \"boot\";"
daemon_stop; daemon_start || bail "no restart"
api POST /v1/vms/cli1/start
err_is 500 plugin_failed "a failing boot: 500 plugin_failed"
is "$(jget "$BODY" 'j["error"]["plugin"], j["error"]["phase"]')" "('stub-b', 'boot')" "the error names the plugin and the phase"
like "$(jget "$BODY" 'j["error"]["message"]')" "told to fail in boot" "and the plugin's message"
api GET /v1/vms/cli1; is "$(jget "$BODY" 'j["state"]')" "stopped" "the failed start was rolled back: stopped"
api_conf "api_workers = 2;"
daemon_stop; is "$DRC" 0 "SIGTERM: the daemon exits 0"
test ! -e "$SOCK"; ok $? "and removes its socket"

# restart: nothing lost
daemon_start || bail "no restart"
api GET /v1/vms; is "$(jget "$BODY" '[(v["name"], v["state"]) for v in j]')" "[('api2', 'running'), ('cli1', 'stopped')]" \
	"a restarted daemon serves every VM from the records"

# reads
api GET "/v1/vms/api2/console?tail=2"; is "$CODE $(jget "$BODY" 'j["lines"]')" "200 []" "console without a log: 200, no lines"
mkdir -p "$T/state/logs"; printf 'one\ntwo\nthree\n' > "$T/state/logs/api2.console.log"
api GET "/v1/vms/api2/console?tail=2"; is "$(jget "$BODY" 'j["lines"]')" "['two', 'three']" "console?tail=2: the last two lines"
api GET "/v1/vms/api2/console?tail=0"; err_is 400 bad_value "console?tail=0: 400 bad_value"
api GET /v1/vms/nosuch/console; err_is 404 no_such_vm "console of a missing VM: 404"
api GET /v1/host
is "$CODE $(jget "$BODY" 'sorted(p["name"] for p in j["plugins"]), j["capacity"]["vms"]["running"], j["capacity"]["leases_in_use"]["num"]')" \
	"200 (['stub-a', 'stub-b'], 1, 2)" "GET /v1/host: plugins, VMs by state, leases in use"
is "$(jget "$BODY" 'j["capacity"]["leases_free"], j["capacity"]["lease_pools"]')" \
	"({'num': 998}, {'num': {'first': '1', 'last': '1000', 'size': 1000}})" \
	"GET /v1/host: free leases, from the pool stub-a publishes (1..1000, 2 held)"
api GET /metrics
like "$BODY" 'lia_vms\{state="running"\} 1' "metrics: VMs by state"
like "$BODY" 'lia_api_operation_seconds_bucket\{kind="start",le="\+Inf"\} [0-9]+' "metrics: an operation latency histogram"
like "$BODY" 'lia_api_workers 2' "metrics: pool capacity"
like "$BODY" 'lia_leases_free\{kind="num"\} 998' "metrics: free leases"
like "$BODY" 'lia_api_operations_in_flight 0' "metrics: operations in flight"
api GET /nowhere; err_is 404 not_found "an unknown path: 404 not_found"
api GET /v1/vms/api2/reboot; err_is 404 not_found "an unknown VM action: 404"
api PUT /v1/vms; err_is 405 method_not_allowed "PUT /v1/vms: 405"
grep -qi '^Allow: GET, POST' "$HDR"; ok $? "405 says what is allowed"
api GET /v1/vms/api2/start; err_is 405 method_not_allowed "GET of start: 405"
api POST /healthz; err_is 405 method_not_allowed "POST /healthz: 405"
api DELETE /v1/host; err_is 405 method_not_allowed "DELETE /v1/host: 405"
api POST /v1/events; err_is 405 method_not_allowed "POST /v1/events: 405"
api POST /metrics; err_is 405 method_not_allowed "POST /metrics: 405"
api PATCH /v1/vms/api2; err_is 405 method_not_allowed "PATCH of a VM: 405"
api POST /v1/vms/api2/console; err_is 405 method_not_allowed "POST console: 405"

# events: the stream saw the API's and the CLI's changes; Last-Event-ID replays
# the stream may lag on a loaded machine: wait until it carries the last change made above
wait_for 60 grep -q '"name": *"api2", *"old": *"created", *"new": *"starting"' "$T/events1"
kill "$EV1" 2>/dev/null; wait "$EV1" 2>/dev/null
ev=$(grep '^data: ' "$T/events1" | sed 's/^data: //' | python3 -c '
import json, sys
for l in sys.stdin:
    e = json.loads(l); print(e["name"], e["old"], e["new"])')
like "$ev" "api1 None creating" "events: a VM created over the API"
like "$ev" "api1 destroying deleted" "events: ... and deleted"
like "$ev" "cli1 created starting" "events: the CLI's start of cli1"
like "$ev" "cli1 stopping stopped" "events: the API's stop of the CLI's VM"
printf '%s\n' "$ev" | grep -q "api2 created starting"; ok $? "events: the CLI's start of a VM made over the API"
ids=$(grep '^id: ' "$T/events1" | cut -d' ' -f2 | tr '\n' ' ')
python3 -c 'import sys; v=[int(x) for x in sys.argv[1:]]; sys.exit(not (v and v == list(range(v[0], v[0]+len(v)))))' $ids
ok $? "event ids go up by one, none missed ($(wc -w <<<"$ids") events)"
mid=$(cut -d' ' -f3 <<<"$ids")
curl -s -N --unix-socket "$SOCK" --max-time 2 -H "Last-Event-ID: $mid" http://lia/v1/events > "$T/events2"
first=$(grep '^id: ' "$T/events2" | head -1 | cut -d' ' -f2)
is "$first" "$((mid + 1))" "a reconnect with Last-Event-ID $mid resumes at $((mid + 1))"
n2=$(grep -c '^id: ' "$T/events2"); n1=$(wc -w <<<"$ids")
[ "$n2" -ge $((n1 - 3)) ]; ok $? "and misses nothing still retained ($n2 events)"
lia -c "$T/lia.conf" -q gc >/dev/null 2>&1
api GET /v1/events "" --max-time 1 -H "Last-Event-ID: x"; err_is 400 bad_value "a bad Last-Event-ID: 400"

# stop's timeout_s is the VMM's graceful wait for that request (the vmm plugin's
# stop_timeout), then its own setting again
api_conf "api_workers = 2;" "" "log_stop_timeout = true; stop_timeout = 10;"
daemon_stop; daemon_start || bail "no restart"
api POST /v1/vms/cli1/start; api POST /v1/vms/cli1/stop '{"timeout_s":7}'
is "$CODE $(jget "$BODY" 'j["state"]')" "200 stopped" "stop with timeout_s 7: 200 stopped"
api POST /v1/vms/cli1/start; api POST /v1/vms/cli1/stop
is "$(grep -o 'stub-b stop_timeout [0-9]* stop cli1' "$LOG" | tail -2 | cut -d' ' -f3 | xargs)" "7 10" \
	"the VMM waited timeout_s (7) for that stop, then its own stop_timeout (10) for the next"
api POST /v1/vms/cli1/start; api POST /v1/vms/cli1/stop '{"timeout_s":86400}'
is "$(grep -o 'stub-b stop_timeout [0-9]* stop cli1' "$LOG" | tail -1 | cut -d' ' -f3)" 3600 \
	"a timeout_s past the VMM setting's range is cut to its maximum (3600)"

# a change the CLI makes just before the daemon is stopped still reaches a connected stream
# (the stream used to end at SIGTERM without reading the log once more: 9 in 10 were lost)
missed=""
for verb in start stop start stop; do
	curl -s -N --unix-socket "$SOCK" --max-time 60 http://lia/v1/events > "$T/events.$verb" 2>/dev/null &
	EVS=$!
	wait_for 10 grep -q '^retry:' "$T/events.$verb"
	lia -c "$T/lia.conf" -q vm "$verb" cli1 || missed+=" ($verb failed)"
	daemon_stop
	wait "$EVS"
	want=$([ "$verb" = start ] && echo '"old":"starting","new":"running"' || echo '"old":"stopping","new":"stopped"')
	grep -q "\"name\":\"cli1\",$want" "$T/events.$verb" || missed+=" $verb"
	daemon_start || bail "no restart"
done
is "$missed" "" "a CLI change right before SIGTERM is sent before the stream ends (4 times)"
# a torn line at the end of the log (a writer that failed mid-way) does not restart the ids
before=$(jget "$(tail -1 "$T/state/events.log")" 'j["id"]')
printf '{"id":' >> "$T/state/events.log"
curl -s -N --unix-socket "$SOCK" --max-time 60 http://lia/v1/events > "$T/events.torn" 2>/dev/null &
EVS=$!
wait_for 10 grep -q '^retry:' "$T/events.torn"
lia -c "$T/lia.conf" -q vm start cli1 && lia -c "$T/lia.conf" -q vm stop cli1
wait_for 20 grep -q '"name":"cli1","old":"stopping","new":"stopped"' "$T/events.torn"
kill "$EVS" 2>/dev/null; wait "$EVS" 2>/dev/null
is "$(grep '^id: ' "$T/events.torn" | cut -d' ' -f2 | tr '\n' ' ')" "$((before + 1)) $((before + 2)) $((before + 3)) $((before + 4)) " \
	"after a torn line the ids go on from $before and the stream shows all 4 changes"

# tidy: destroy over the API; nothing left
api DELETE "/v1/vms/api2?force=true"; is "$CODE" 204 "DELETE api2: 204"
api DELETE /v1/vms/cli1; is "$CODE" 204 "DELETE cli1: 204"
is "$(ls "$V" | grep -c json)" 0 "no record is left"
daemon_stop; is "$DRC" 0 "the daemon stops with 0"

# the real plugins publish their pools: net-tap's addresses, vsock's CIDs
if [ -n "$BUILT_PLUGINS" ] && [ -z "$(plugin_off net-tap)$(plugin_off vsock)" ]; then
	mk_conf "$T" "net-tap = { bridge = \"lia-br0\"; gateway = \"172.16.0.1/24\"; pool_start = \"172.16.0.100\"; pool_end = \"172.16.0.149\"; };" \
		"vsock = { cid_min = 3; cid_max = 10; };" >/dev/null
	sed -i "s|^};|  api_listen = \"unix:$SOCK\"; api_group = \"\";\n};|" "$T/lia.conf"
	LIA_PLUGIN_PATH=$BUILT_PLUGINS daemon_start || bail "the daemon with net-tap and vsock did not start: $(tail -5 "$T/daemon.log")"
	api GET /v1/host
	is "$(jget "$BODY" 'j["capacity"]["leases_free"], j["capacity"]["lease_pools"]["ip4"]')" \
		"({'cid': 8, 'ip4': 50}, {'first': '172.16.0.100', 'last': '172.16.0.149', 'size': 50})" \
		"GET /v1/host with net-tap and vsock: 50 free addresses (pool_start..pool_end), 8 free CIDs"
	daemon_stop
else
	skip "net-tap or vsock not built: their published pools not tested"
fi
api_validate
for want in "/v1/vms POST 201" "/v1/vms POST 409" "/v1/vms/{name} DELETE 204" "/v1/vms/{name} DELETE 409" \
	"/v1/vms/{name}/start POST 500" "/v1/vms/{name}/console GET 400" "/v1/events GET 400" "/healthz POST 405"; do
	grep -qxF "seen: $want" <<<"$VALIDATED"; ok $? "covered: $want"
done
done_testing
