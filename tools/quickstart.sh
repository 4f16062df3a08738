#!/bin/bash
# The README's first command: install the dependencies, build, install lia into /usr/local,
# then run its main job end to end in a throwaway network namespace (tools/demo.sh).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" -eq 0 ] || { echo "quickstart: run as root"; exit 2; }
echo "== installing the build dependencies (Debian packages)"
bash "$top/tools/deps.sh"
echo "== building"
cd "$top"
[ -x configure ] || autoreconf -fi >/dev/null
mkdir -p build && cd build
[ -f Makefile ] || ../configure --prefix=/usr/local >/dev/null
make -j"$(nproc)" >/dev/null
echo "== installing into /usr/local"
make install >/dev/null
ldconfig
# the test fixtures the demo runs on: the Firecracker API double and the tiny guest kernel
make -j"$(nproc)" tests/fcdouble/fcdouble tests/guest/guest-wait.elf >/dev/null
echo "== running the demo"
FIXTURES=$top/build/tests bash "$top/tools/demo.sh" /usr/local/bin/lia-core
