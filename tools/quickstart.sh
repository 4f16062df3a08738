#!/bin/bash
# The README's first command: install the dependencies, build, install lia into /usr/local,
# then run its main job end to end in a throwaway network namespace (tools/demo.sh).
# Each step is numbered; the build shows a line every 10 compiled files (its whole output
# is in build/make.out).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" -eq 0 ] || { echo "quickstart: run as root"; exit 2; }
steps=5 step=0 t0=$SECONDS
say() { step=$((step + 1)); printf '[%d/%d] %s\n' "$step" "$steps" "$*"; }
done_in() { printf '      done in %ds\n' $((SECONDS - $1)); }

say "installing the build dependencies (Debian packages, tools/deps.sh)"
s=$SECONDS
bash "$top/tools/deps.sh"
done_in "$s"

say "configuring (autoreconf, --prefix=/usr/local; output in build/autoreconf.out, configure.out)"
s=$SECONDS
cd "$top"
mkdir -p build
if [ ! -x configure ]; then
	autoreconf -fi >build/autoreconf.out 2>&1 || { tail -30 build/autoreconf.out; exit 1; }
fi
cd build
if [ ! -f Makefile ]; then
	../configure --prefix=/usr/local >configure.out 2>&1 || { tail -30 configure.out; exit 1; }
fi
done_in "$s"

# lia, and the test fixtures the demo runs on: the Firecracker API double and the tiny
# guest kernel
# (files to compile: a dry run; -o, also for the sub-makes, or config.h counts as remade)
dry=(-o config.h -o stamp-h1 -o Makefile)
targets=(all tests/fcdouble/fcdouble tests/guest/guest-wait.elf)
todo=$(make -n -j1 "${dry[@]}" AM_MAKEFLAGS="${dry[*]}" "${targets[@]}" 2>/dev/null | grep -o 'echo "  CC  *" [^;]*' | sort -u | wc -l || true)
say "building lia with $(nproc) jobs ($todo files to compile)"
# two makes one after the other: `all` is a recursive make, which a parallel make would
# run beside the fixtures' own rules (both compiled fcdouble's object at once and failed)
if ! { make -j"$(nproc)" all && make -j"$(nproc)" "${targets[@]:1}"; } 2>&1 |
	bash "$top/tools/build-progress.sh" "$top/build/make.out" "$todo" 10; then
	echo "quickstart: the build failed, see build/make.out"
	exit 1
fi

say "installing into /usr/local (output in build/install.out)"
s=$SECONDS
# the configuration is installed as conffiles: an edited file is kept, and said so
make install >install.out 2>&1 || { tail -30 install.out; exit 1; }
grep '^lia: ' install.out | sed 's/^/      /' || true
ldconfig
done_in "$s"

say "running the demo (tools/demo.sh)"
FIXTURES=$top/build/tests bash "$top/tools/demo.sh" /usr/local/bin/lia-core
echo "quickstart: done in $((SECONDS - t0))s"
