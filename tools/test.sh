#!/bin/bash
# Build lia in build/ (with -Werror) and run every test; the last line is
# "N passed, N failed, N skipped" (.ci/run reads its fields 1 and 3).
# While the tests run, a line for each test file as it ends: its name, passed/failed/
# skipped counts and seconds, the reasons of its skips, and for a failure where its log is.
# Usage: tools/test.sh [--asan | --static] [make check arguments, e.g. TESTS=tests/core/vm.sh]
#   --asan    AddressSanitizer + UndefinedBehaviorSanitizer build in build-asan/
#   --static  every plugin linked into lia-core (--enable-static-plugins) in build-static/
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
mode=plain
case "${1:-}" in --asan) mode=asan; shift ;; --static) mode=static; shift ;; esac
build=$top/build
[ "$mode" = plain ] || build=$top/build-$mode
rel=${build#"$top"/}
cd "$top" || exit 2
jobs=$(nproc)
if [ ! -x configure ] || [ configure.ac -nt configure ] || [ Makefile.am -nt configure ]; then
	echo "test: autoreconf -fi"
	autoreconf -fi >/dev/null 2>&1 || { echo "autoreconf failed"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }
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
	echo "test: configuring in $rel/ (${cfg[*]})"
	"$top/configure" "${cfg[@]}" >configure.out 2>&1 || { tail -30 configure.out; echo "0 passed, 1 failed, 0 skipped"; exit 1; }
fi
# lia and the tests' own programs (check_PROGRAMS...): `make check` with no test to run.
# The count of files to compile is from make's dry run (each file once: in a dry run a file
# stays out of date, so every sub-make counts it again); -o, also for the sub-makes: a dry
# run takes config.h (whose stamp is always newer) as remade, so everything as out of date.
dry=(-o config.h -o stamp-h1 -o Makefile)
todo=$(make -n -j1 "${dry[@]}" AM_MAKEFLAGS="${dry[*]}" check TESTS= 2>/dev/null | grep -o 'echo "  CC  *" [^;]*' | sort -u | wc -l)
echo "test: building in $rel/ with $jobs jobs ($todo files to compile)"
make -j"$jobs" check TESTS= 2>&1 | bash "$top/tools/build-progress.sh" "$build/make.out" "$todo" 20
[ "${PIPESTATUS[0]}" -eq 0 ] || { echo "test: the build failed, see $rel/make.out"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }

# the test files make check will run (TESTS=... on our command line wins, as in make check)
ntests=$(make -s --no-print-directory -f Makefile -f - lia-list-tests "$@" 2>/dev/null <<'MK' | wc -w
lia-list-tests:
	@echo $(TESTS)
MK
)
echo "test: running $ntests test files with $jobs jobs (a line as each ends; logs in $rel/tests/)"
# the per-file lines come from tools/test-progress.sh (the LOG_DRIVER) on descriptor 9;
# make's own output goes to check.out
start=$SECONDS
n=0
LIA_PROGRESS_FD=9 LIA_PROGRESS_TOP=$top make -j"$jobs" check "$@" \
	LOG_DRIVER="env AM_TAP_AWK=\$(AWK) \$(SHELL) $top/tools/test-progress.sh" 9>&1 >check.out 2>&1 |
	while IFS= read -r line; do
		case $line in
		" "*) printf '%s\n' "$line" ;;
		*) n=$((n + 1)); printf '[%*d/%d] %s\n' "${#ntests}" "$n" "$ntests" "$line" ;;
		esac
	done
rc=${PIPESTATUS[0]}
grep -E '^# (TOTAL|PASS|SKIP|FAIL|ERROR)' check.out | tr '\n' ' ' | sed 's/# //g; s/ $/\n/'
pass=$(awk '/^# PASS:/{s+=$3} END{print s+0}' check.out)
skip=$(awk '/^# SKIP:/{s+=$3} END{print s+0}' check.out)
fail=$(awk '/^# (FAIL|ERROR|XPASS):/{s+=$3} END{print s+0}' check.out)
if [ $rc -ne 0 ] && [ "$fail" -eq 0 ]; then fail=1; tail -30 check.out; fi
echo "test: $((SECONDS - start))s; failures are listed above with their logs; make's output: $rel/check.out"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
