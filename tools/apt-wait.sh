#!/bin/bash
# Wait until no process holds apt's or dpkg's locks (another apt-get, unattended-upgrades,
# a package manager window), saying that we wait and for whom; exit 1 after TIMEOUT seconds.
# Usage: tools/apt-wait.sh [TIMEOUT]   (default 600)
# LIA_APT_LOCKS: the lock files to watch, space-separated (tests use their own file).
set -uo pipefail
timeout=${1:-600}
locks=${LIA_APT_LOCKS:-/var/lib/dpkg/lock-frontend /var/lib/dpkg/lock /var/lib/apt/lists/lock /var/cache/apt/archives/lock}
# holder FILE: "PID NAME" of a process holding an fcntl lock on FILE (from /proc/locks)
holder() {
	local ino pid
	ino=$(stat -c %i "$1" 2>/dev/null) || return 1
	pid=$(awk -v ino="$ino" '{ for (i = 1; i <= NF; i++) if ($i ~ /^[0-9a-f]+:[0-9a-f]+:[0-9]+$/) {
		split($i, p, ":"); if (p[3] == ino) { print $(i - 1); exit } } }' /proc/locks)
	[ -n "$pid" ] || return 1
	echo "$pid $(cat "/proc/$pid/comm" 2>/dev/null || echo '?')"
}
start=$SECONDS
said=-1
while :; do
	busy=""
	for f in $locks; do
		if h=$(holder "$f"); then busy="$f (held by ${h#* }, pid ${h%% *})"; break; fi
	done
	[ -z "$busy" ] && exit 0
	waited=$((SECONDS - start))
	if [ "$waited" -ge "$timeout" ]; then
		echo "deps: gave up after ${timeout}s waiting for $busy; try again when it is done"
		exit 1
	fi
	if [ "$said" -lt 0 ] || [ $((waited - said)) -ge 30 ]; then
		msg="deps: waiting for the package manager lock $busy"
		[ "$said" -ge 0 ] && msg="$msg, ${waited}s so far"
		echo "$msg (up to ${timeout}s)"
		said=$waited
	fi
	sleep 1
done
