# tests/download/common.sh - shared by the download, kernel-fetch and fc-install tests.
# Source after tests/lib.sh.  Needs python3 for tests/range_server.py.

command -v python3 >/dev/null 2>&1 || skip_all "python3 is needed for tests/range_server.py"
# only loopback: a proxy from the environment must not see the test traffic
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export no_proxy=127.0.0.1 NO_PROXY=127.0.0.1

: "${DL_TEST:=$top_builddir/tests/download/dl-test}"

# SRV_WRAP=(ip netns exec NS): run the server inside a namespace (empty: here)
SRV_WRAP=()
# start_server DIR ROOT [range_server options...]: serve ROOT on 127.0.0.1; sets
# PORT, BASE (http://127.0.0.1:PORT) and SRVLOG (one line per request).  Killed at exit.
start_server() {
	local d=$1 root=$2 pid i
	shift 2
	mkdir -p "$d"
	rm -f "$d/port" "$d/requests.log"
	: > "$d/requests.log"
	"${SRV_WRAP[@]}" python3 "$top_srcdir/tests/range_server.py" --root "$root" --port-file "$d/port" \
		--log "$d/requests.log" "$@" 2>"$d/server.err" &
	pid=$!
	cleanup "kill $pid"
	port_or_dead() { [ -s "$d/port" ] || ! kill -0 "$pid" 2>/dev/null; }
	wait_for 60 port_or_dead
	kill -0 "$pid" 2>/dev/null || bail "range_server.py died: $(cat "$d/server.err")"
	[ -s "$d/port" ] || bail "range_server.py did not start"
	PORT=$(cat "$d/port")
	BASE="http://127.0.0.1:$PORT"
	SRVLOG="$d/requests.log"
	SRVPID=$pid
}

# stop_server: kill the last started server now (its cleanup entry stays harmless)
stop_server() { kill "$SRVPID" 2>/dev/null; wait "$SRVPID" 2>/dev/null; true; }

# requests: number of requests the server logged
requests() { wc -l < "$SRVLOG" | tr -d ' '; }

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }
