#!/bin/bash
# tools/under-load.sh CMD...: run CMD with a busy loop on every CPU (what a loaded CI
# machine shares with the tests), then stop the loops.  `make check-under-load` runs the
# suite this way; LIA_TEST_WAIT_SCALE (exported, default 4) widens the tests' upper
# bounds on durations (tests/lib.sh: wait_for, slack).
set -u
n=$(nproc 2>/dev/null || echo 2)
hogs=()
stop_hogs() { local p; for p in "${hogs[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; hogs=(); }
trap stop_hogs EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
for _ in $(seq "$n"); do
	( while :; do :; done ) &
	hogs+=($!)
done
echo "under-load: $n busy loops (pids ${hogs[*]}) while running: $*"
export LIA_TEST_WAIT_SCALE=${LIA_TEST_WAIT_SCALE:-4}
"$@"
