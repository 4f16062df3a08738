#!/bin/bash
# tests/bench/api-bench.sh - lia-core serve against the same VMM as the others, in one run:
#   1. start-to-running of one VM: POST /v1/vms/NAME/start (from curl, and from a running
#      client over a kept-alive connection) versus `lia-core vm start` versus
#      the seed's way (firecracker + curl --unix-socket calls from a shell); medians, ratios
#   2. N VMs (150) created, then started by 8 concurrent API clients versus the seed's script
#      run 8 at a time (it starts only): starts per second, ratio
#   3. GET /v1/vms/NAME over one kept-alive connection: p50, p99
#   4. 8 clients doing create/start/stop/destroy cycles for LOAD_S (60) seconds: failures,
#      p50/p99 per operation, leftovers
# Environment: BENCH_VMM=double|real, RUNS (7), N (150), LOAD_S (60); as vm-bench.sh.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
: "${top_builddir:=$PWD}"
: "${LIA_CORE:=$top_builddir/lia-core}"
: "${LIA_PLUGIN_PATH:=$(ls -d "$top_builddir"/plugins/*/.libs | tr '\n' ':')}"
export top_srcdir top_builddir LIA_CORE LIA_PLUGIN_PATH
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/fc-driver/lib-fc.sh"
RUNS=${RUNS:-7}
N=${N:-150}
LOAD_S=${LOAD_S:-60}
real=$(fc_real_binary || true)
if [ -z "${BENCH_VMM:-}" ]; then
	BENCH_VMM=double
	[ -n "$real" ] && [ -c /dev/kvm ] && [ -w /dev/kvm ] && BENCH_VMM=real
fi
if [ "$BENCH_VMM" = real ]; then VMM=$real; else VMM=$FCDOUBLE; fi
[ -x "$VMM" ] || { echo "api-bench: no VMM binary ($BENCH_VMM)"; exit 1; }
echo "# VMM: $BENCH_VMM ($VMM)"
FC_DRIVER_EXTRA=""
fc_env "$VMM"
sed -i 's/vsock = { ready_timeout = 2; };/vsock = { ready_port = 0; };/' "$CONF"
API=$T/api.sock
sed -i "0,/^};/s|^};|  api_listen = \"unix:$API\"; api_group = \"\"; api_workers = 8;\n};|" "$CONF"
"${L[@]}" serve 2>"$T/daemon.log" &
DPID=$!
cleanup "kill -9 $DPID"
for _ in $(seq 100); do curl -s --unix-socket "$API" http://lia/healthz >/dev/null 2>&1 && break; sleep 0.05; done

. "$top_srcdir/tests/bench/lib-bench.sh" # bench_row, now_us
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}'; }

# 1. one VM
"${L[@]}" -q vm create b1 || { echo "vm create failed"; exit 1; }
cli=(); api=()
for r in $(seq "$RUNS"); do
	now_us; t0=$_now; "${L[@]}" -q vm start b1 || { echo "vm start failed"; exit 1; }; now_us; cli+=($((_now - t0)))
	"${L[@]}" -q vm stop --force b1
	now_us; t0=$_now
	code=$(curl -s -o /dev/null -w '%{http_code}' -X POST --unix-socket "$API" http://lia/v1/vms/b1/start)
	now_us; api+=($((_now - t0)))
	[ "$code" = 200 ] || { echo "API start: $code"; cat "$T/daemon.log" | tail -5; exit 1; }
	curl -s -o /dev/null -X POST -H 'Content-Type: application/json' -d '{"force":true}' --unix-socket "$API" http://lia/v1/vms/b1/stop
done
# the same start from a client that is already running and keeps its connection (as a
# program driving the API would): the curl rows above also pay a curl process per call
mapfile -t kept < <(python3 - "$API" "$RUNS" <<'PY'
import http.client, json, socket, sys, time
class C(http.client.HTTPConnection):
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX); self.sock.connect(sys.argv[1])
c = C("lia")
def call(path, body=None):
    c.request("POST", path, body=json.dumps(body) if body is not None else None,
              headers={"Content-Type": "application/json"} if body is not None else {})
    r = c.getresponse(); r.read(); return r.status
for _ in range(int(sys.argv[2])):
    t0 = time.perf_counter(); st = call("/v1/vms/b1/start"); us = int((time.perf_counter() - t0) * 1e6)
    print(us if st == 200 else "failed:%d" % st)
    call("/v1/vms/b1/stop", {"force": True})
PY
)
case "${kept[*]}" in *failed*|"") echo "API start (kept-alive client) failed: ${kept[*]}"; exit 1 ;; esac
ROOT=$(vm_key b1 disk.root); DATA=$(vm_key b1 disk.data)
seed_start() { # seed_start ID: the seed's way, as tests/bench/vm-bench.sh
	local id=$1 sock=$T/seed.$1.api vs=$T/seed.$1.vsock
	rm -f "$sock" "$vs"
	: > "$T/seed.$id.log"; : > "$T/seed.$id.metrics"
	"$VMM" --api-sock "$sock" --id "seed$id" > "$T/seed.$id.console" 2>&1 &
	echo $! > "$T/seed.$id.pid"
	until curl -s --unix-socket "$sock" http://localhost/ > /dev/null 2>&1; do sleep 0.01; done
	put() { curl -s -f --unix-socket "$sock" -X PUT -H 'Accept: application/json' \
		-H 'Content-Type: application/json' "http://localhost$1" -d "$2" > /dev/null || echo "seed: $1 failed"; }
	put /logger "{\"log_path\":\"$T/seed.$id.log\",\"level\":\"Info\",\"show_level\":true,\"show_log_origin\":false}"
	put /metrics "{\"metrics_path\":\"$T/seed.$id.metrics\"}"
	put /boot-source "{\"kernel_image_path\":\"$S/kernel/vmlinux\",\"boot_args\":\"console=ttyS0 reboot=k panic=1 pci=off init=/sbin/init\"}"
	put /machine-config '{"vcpu_count":2,"mem_size_mib":1024,"smt":false}'
	put /drives/rootfs "{\"drive_id\":\"rootfs\",\"path_on_host\":\"$ROOT\",\"is_root_device\":true,\"is_read_only\":false}"
	put /drives/data "{\"drive_id\":\"data\",\"path_on_host\":\"$DATA\",\"is_root_device\":false,\"is_read_only\":false}"
	put /vsock "{\"guest_cid\":$((100 + 10#$id)),\"uds_path\":\"$vs\"}"
	put /actions '{"action_type":"InstanceStart"}'
}
seed_stop() { local p; p=$(cat "$T/seed.$1.pid"); kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null; rm -f "$T/seed.$1".*; }
seed=()
for r in $(seq "$RUNS"); do
	now_us; t0=$_now; seed_start 1; now_us; seed+=($((_now - t0))); seed_stop 1
done
c=$(printf '%s\n' "${cli[@]}" | median); a=$(printf '%s\n' "${api[@]}" | median); s=$(printf '%s\n' "${seed[@]}" | median)
k=$(printf '%s\n' "${kept[@]}" | median)
echo "one VM, start to running (us, median of $RUNS):"
echo "  API POST start (curl)   ${api[*]}  median $a"
echo "  API POST start (kept-alive client) ${kept[*]}  median $k"
echo "  lia-core vm start       ${cli[*]}  median $c"
echo "  seed curl script        ${seed[*]}  median $s"
awk -v a="$a" -v c="$c" -v s="$s" -v k="$k" 'BEGIN { printf "  ratio seed/API: %.2fx, CLI/API: %.2fx, seed/API(kept-alive client): %.2fx\n", s / a, c / a, s / k }'
bench_row "one VM started through the API (curl)" "firecracker + curl script" "$((s / 1000))" "$((a / 1000))" ">=5x"
bench_row "one VM started through the API (kept-alive)" "firecracker + curl script" "$((s / 1000))" "$((k / 1000))" ">=5x"

# 3. GET p50 (b1 exists)
python3 - "$API" <<'PY'
import http.client, socket, sys, time
class C(http.client.HTTPConnection):
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX); self.sock.connect(sys.argv[1])
c = C("lia"); v = []
for i in range(1000):
    t0 = time.perf_counter(); c.request("GET", "/v1/vms/b1"); r = c.getresponse(); r.read(); v.append(time.perf_counter() - t0)
    assert r.status == 200
v.sort()
print("GET /v1/vms/b1 over one connection, 1000 requests: p50 %.3f ms, p99 %.3f ms" % (1000 * v[500], 1000 * v[990]))
PY
"${L[@]}" -q vm destroy b1

# 2. N VMs by 8 API clients versus the seed's script 8 at a time
python3 - "$API" "$N" <<'PY'
import http.client, json, socket, sys, threading, time
path, n = sys.argv[1], int(sys.argv[2])
class C(http.client.HTTPConnection):
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX); self.sock.connect(path)
names = ["p%03d" % i for i in range(n)]; lock = threading.Lock(); fails = []
def call(c, m, p, body=None):
    while True:
        c.request(m, p, body=json.dumps(body) if body is not None else None,
                  headers={"Content-Type": "application/json"} if body is not None else {})
        r = c.getresponse(); d = r.read()
        if r.status != 503: return r.status, d
        time.sleep(0.02)
def worker(todo, method, path, body, ok):
    c = C("lia")
    while True:
        with lock:
            if not todo: return
            name = todo.pop()
        st, d = call(c, method, path % name, body(name) if body else None)
        if st != ok:
            with lock: fails.append((method, name, st, d[:100]))
def run(todo, *args):
    t0 = time.time()
    ts = [threading.Thread(target=worker, args=(todo,) + args) for _ in range(8)]
    [t.start() for t in ts]; [t.join() for t in ts]
    return time.time() - t0
# created first, untimed for the ratio: the seed's script only starts (it reuses b1's disks)
dc = run(list(names), "POST", "/v1/vms%.0s", lambda name: {"name": name}, 201)
dt = run(list(names), "POST", "/v1/vms/%s/start", None, 200)
print("%d VMs created by 8 API clients in %.2f s; started in %.2f s: %.1f VMs/s (%d failed)" % (n, dc, dt, n / dt, len(fails)))
if fails: print("  first failure:", fails[0])
open("/dev/shm/lia-api-bench.rate", "w").write("%f" % (n / dt))
PY
api_rate=$(cat /dev/shm/lia-api-bench.rate); rm -f /dev/shm/lia-api-bench.rate
export -f seed_start seed_stop; export VMM T S ROOT DATA
now_us; t0=$_now
seq -w 1 "$N" | xargs -P 8 -I{} bash -c 'seed_start {}' >/dev/null
now_us; us=$((_now - t0))
for i in $(seq -w 1 "$N"); do seed_stop "$i"; done
seed_rate=$(awk -v n="$N" -v us="$us" 'BEGIN { printf "%.1f", n / (us / 1e6) }')
echo "$N VMs by the seed's script, 8 at a time: $(awk -v us="$us" 'BEGIN { printf "%.2f", us / 1e6 }') s: $seed_rate VMs/s"
awk -v a="$api_rate" -v s="$seed_rate" 'BEGIN { printf "  ratio API/seed: %.2fx\n", a / s }'
bench_row "$N VMs started by 8 API clients" "seed script, 8 at a time" \
	"$(awk -v r="$seed_rate" -v n="$N" 'BEGIN { printf "%.0f", 1000 * n / r }')" \
	"$(awk -v r="$api_rate" -v n="$N" 'BEGIN { printf "%.0f", 1000 * n / r }')" ">=25x"
for n in $(ls "$S/vms" | sed -n 's/\.json$//p'); do
	curl -s -o /dev/null -X DELETE --unix-socket "$API" "http://lia/v1/vms/$n?force=true"
done

# 4. load
out=$(python3 "$top_srcdir/tests/api/slow.py" load "$API" 8 "$LOAD_S")
echo "load, 8 clients, $LOAD_S s: $out"
kill -TERM "$DPID"; wait "$DPID"
left=$(ls "$S/vms" | grep -c json); echo "records left: $left"
lf=$(fc_leftovers); [ -z "$lf" ] || { echo "api-bench: leftovers:"; echo "$lf"; }
