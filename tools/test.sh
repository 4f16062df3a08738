#!/bin/bash
# Build lia in build/ (with -Werror) and run every test; the last line is "N passed, N failed".
# Usage: tools/test.sh [--asan | --static] [make check arguments, e.g. TESTS=tests/core/vm.sh]
#   --asan    AddressSanitizer + UndefinedBehaviorSanitizer build in build-asan/
#   --static  every plugin linked into lia-core (--enable-static-plugins) in build-static/
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
mode=plain
case "${1:-}" in --asan) mode=asan; shift ;; --static) mode=static; shift ;; esac
build=$top/build
[ "$mode" = plain ] || build=$top/build-$mode
cd "$top" || exit 2
if [ ! -x configure ] || [ configure.ac -nt configure ] || [ Makefile.am -nt configure ]; then
	autoreconf -fi >/dev/null 2>&1 || { echo "autoreconf failed"; echo "0 passed, 1 failed"; exit 1; }
fi
mkdir -p "$build" && cd "$build" || exit 2
cfg=(--enable-werror)
[ "$mode" = static ] && cfg+=(--enable-static-plugins)
if [ "$mode" = asan ]; then
	cfg+=(CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined")
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	export LSAN_OPTIONS=suppressions=$top/tests/lsan.supp:print_suppressions=0
fi
if [ ! -f Makefile ]; then
	"$top/configure" "${cfg[@]}" >configure.out 2>&1 || { tail -30 configure.out; echo "0 passed, 1 failed"; exit 1; }
fi
make -j"$(nproc)" >make.out 2>&1 || { grep -E 'error|Error' make.out | head -40; echo "0 passed, 1 failed"; exit 1; }
make -j"$(nproc)" check "$@" >check.out 2>&1
rc=$?
grep -E '^(FAIL|ERROR|XPASS):' check.out | head -60
grep -E '^# (TOTAL|PASS|SKIP|FAIL|ERROR)' check.out
pass=$(awk '/^# PASS:/{s+=$3} END{print s+0}' check.out)
skip=$(awk '/^# SKIP:/{s+=$3} END{print s+0}' check.out)
fail=$(awk '/^# (FAIL|ERROR|XPASS):/{s+=$3} END{print s+0}' check.out)
if [ $rc -ne 0 ] && [ "$fail" -eq 0 ]; then fail=1; tail -30 check.out; fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
