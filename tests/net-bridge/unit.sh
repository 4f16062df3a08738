#!/bin/bash
# lia-network.service's ExecStart= is escaped per systemd.syntax(7) (issue 10 #8): a
# unit_config with a newline is refused (it added an ExecStartPre= line of its own);
# spaces, quotes, backslashes and ';' are quoted, '%' and '$' doubled; a program path
# systemd cannot take is refused.  systemd-analyze verify checks the text when present.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"
nb_need

nb_tmp T
nb_netns ns
mkdir -p "$T/units"
unit="$T/units/lia-network.service"
# libconfig string escapes: \" \\ \n
setup_with() { # CORE_PATH UNIT_CONFIG (libconfig-escaped)
	rm -f "$unit"
	conf=$(mk_conf "$T" "net-bridge = { unit_dir = \"$T/units\"; enable_unit = false; lia_core_path = \"$1\"; unit_config = \"$2\"; };")
	nb_lia "$ns" "$conf" run setup --only services
}

out=$(setup_with /usr/bin/lia-core '/etc/lia.conf\nExecStartPre=/bin/touch /tmp/pwned'); rc=$?
[ "$rc" -ne 0 ]; ok $? "a unit_config with a newline is refused"
like "$out" "unit_config .*control character" "naming the setting and why"
test ! -e "$unit"; ok $? "and no unit is written"

mkdir -p "$T/a b%c\$d"
cp /bin/true "$T/a b%c\$d/lia-core"
core="$T/a b%c\$d/lia-core"
out=$(setup_with "$core" '/etc/my lia/x%i;$HOME\"q\\\\z'); rc=$?
is "$rc" 0 "setup with spaces, %, \$, ;, quote and backslash succeeds" || diag "$out"
want_core=$(printf '%s' "$core" | sed 's/%/%%/g')
is "$(grep '^ExecStart' "$unit")" "ExecStart=\"$want_core\" -c \"/etc/my lia/x%%i;\$\$HOME\\\"q\\\\\\\\z\" run setup --only network" \
	"ExecStart= quotes each word and escapes %, \$, \" and \\"
is "$(grep -c '^Exec' "$unit")" 1 "exactly one Exec line"
if command -v systemd-analyze >/dev/null 2>&1; then
	v=$(systemd-analyze verify --man=no "$unit" 2>&1 | grep -v -e 'multi-user.target' -e '^$')
	is "$v" "" "systemd-analyze verify accepts the unit"
else
	skip "systemd-analyze is not installed"
fi

out=$(setup_with "$T/q\\\"uote/lia-core" ''); rc=$?
[ "$rc" -ne 0 ]; ok $? "a program path with a quote is refused"
like "$out" "lia_core_path .*quotes or backslashes" "naming the setting and why"
out=$(setup_with "lia-core" ''); rc=$?
[ "$rc" -ne 0 ]; ok $? "a relative program path is refused"
like "$out" "lia_core_path.*lia-core.* is not an absolute path" "naming the setting"

out=$(setup_with /usr/bin/lia-core /etc/lia/lia.conf); rc=$?
is "$rc" 0 "ordinary values still work" || diag "$out"
is "$(grep '^ExecStart' "$unit")" "ExecStart=/usr/bin/lia-core -c /etc/lia/lia.conf run setup --only network" \
	"and are written unquoted"
done_testing
