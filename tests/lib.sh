# tests/lib.sh - shared helpers for lia's shell tests (TAP output).
# Source it:  . "$(dirname "$0")/../lib.sh"   (or tests/lib.sh from the top of the tree)
# Environment (set by `make check`, see tests/local.mk):
#   LIA_CORE         the lia-core binary under test
#   LIA_PLUGIN_PATH  colon-separated plugin directories of the build tree
#   top_srcdir, top_builddir
set -u
: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${LIA_CORE:=$top_builddir/lia-core}"
export LIA_CORE top_srcdir top_builddir

_tap_n=0
_tap_failed=0
# cleanups go to a file, so that helpers called in $(...) subshells (T=$(mk_tmp),
# NS=$(mk_netns)) still register theirs with the test's own exit trap
_tap_cleanup_file=$(mktemp "${TMPDIR:-/tmp}/lia-cleanup.XXXXXX")

# ok COND_EXIT_STATUS DESCRIPTION   e.g.  test -d x; ok $? "x exists"
# (returns the check's status, so `is ... || diag "$out"` shows output only on failure)
ok() {
	_tap_n=$((_tap_n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $_tap_n - $2"; else echo "not ok $_tap_n - $2"; _tap_failed=$((_tap_failed + 1)); return 1; fi
}
# is GOT WANT DESCRIPTION
is() {
	if [ "$1" = "$2" ]; then ok 0 "$3"; else ok 1 "$3"; echo "#   got:  '$1'"; echo "#   want: '$2'"; return 1; fi
}
# like TEXT REGEX DESCRIPTION (grep -E)
like() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then ok 0 "$3"; else ok 1 "$3"; echo "#   text: $(printf '%s' "$1" | head -c 600)"; echo "#   does not match: $2"; return 1; fi
}
skip() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n # SKIP $1"; }
# skip_all REASON: the whole file cannot run here (no root, no KVM, ...)
skip_all() { echo "1..0 # SKIP $1"; exit 0; }
diag() { echo "# $*"; }
bail() { echo "Bail out! $*"; exit 1; }
done_testing() { echo "1..$_tap_n"; [ "$_tap_failed" -eq 0 ]; }

# cleanup CMD...: run at exit, last registered first
cleanup() { printf '%s\n' "$*" >> "$_tap_cleanup_file"; }
_tap_exit() {
	local c
	[ "$BASHPID" = "$_tap_main_pid" ] || return 0
	if [ -f "$_tap_cleanup_file" ]; then
		while IFS= read -r c; do eval "$c" >/dev/null 2>&1; done < <(tac "$_tap_cleanup_file")
		rm -f "$_tap_cleanup_file"
	fi
}
_tap_main_pid=$BASHPID
trap _tap_exit EXIT

need_root() { [ "$(id -u)" -eq 0 ] || skip_all "needs root"; }

# plugin_off NAME: prints why configure left plugin NAME out (LIA_PLUGINS_OFF, set by
# `make check` from configure: "name=reason;" each); fails when NAME was built
plugin_off() {
	local e rest=${LIA_PLUGINS_OFF:-}
	while [ -n "$rest" ]; do
		e=${rest%%;*}; rest=${rest#*;}
		[ "${e%%=*}" = "$1" ] && { printf '%s\n' "${e#*=}"; return 0; }
		[ "$e" = "$rest" ] && break
	done
	return 1
}
# need_plugin NAME...: skip the whole file when configure left one of these plugins out
need_plugin() {
	local p why
	for p in "$@"; do
		why=$(plugin_off "$p") && skip_all "plugin $p is not built: $why"
	done
	return 0
}
# tests/NAME/*.sh are the tests of plugin NAME: skipped when that plugin was left out
# (a test that loads other plugins says so with need_plugin)
need_plugin "$(basename "$(dirname "$0")")"

# T=$(mk_tmp): a temp dir removed at exit
mk_tmp() { local d; d=$(mktemp -d "${TMPDIR:-/tmp}/lia-test.XXXXXX"); cleanup "rm -rf '$d'"; echo "$d"; }

# mk_netns: a fresh network namespace, deleted at exit; prints its name
mk_netns() {
	need_root
	local ns="liat-$$-$RANDOM"
	ip netns add "$ns" || bail "cannot create netns $ns"
	cleanup "ip netns delete '$ns'"
	ip -n "$ns" link set lo up
	echo "$ns"
}
# in_ns NS CMD...: run a command inside the namespace
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# mk_conf DIR [EXTRA_TEXT]: write DIR/lia.conf with state_dir DIR/state and the build
# tree's plugin path; EXTRA_TEXT (plugin blocks) is appended.  Prints the path.
mk_conf() {
	local d=$1; shift
	mkdir -p "$d/conf.d"
	{
		echo "lia = {"
		echo "  state_dir = \"$d/state\";"
		echo "  plugin_dir = \"$d/no-plugins-here\";"
		echo "};"
		[ $# -gt 0 ] && printf '%s\n' "$@"
	} > "$d/lia.conf"
	echo "$d/lia.conf"
}
# lia ARGS...: run lia-core (output to stdout/stderr as usual)
lia() { "$LIA_CORE" "$@"; }

# wait_for SECONDS CMD...: run CMD every 20 ms until it succeeds; 1 after SECONDS.
# Tests wait for a state this way instead of sleeping a guessed time, so a loaded
# machine only makes them slower.  LIA_TEST_WAIT_SCALE (default 1) multiplies SECONDS.
wait_for() {
	local secs=$1; shift
	local end=$(( $(date +%s%N) + secs * ${LIA_TEST_WAIT_SCALE:-1} * 1000000000 ))
	until "$@"; do
		[ "$(date +%s%N)" -lt "$end" ] || return 1
		sleep 0.02
	done
}
# slack MS: an upper bound on how long something may take, scaled by LIA_TEST_WAIT_SCALE
# (`make check-under-load` sets it); lower bounds (a deadline was honoured) stay exact.
slack() { echo $(( $1 * ${LIA_TEST_WAIT_SCALE:-1} )); }
