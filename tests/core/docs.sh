#!/bin/bash
# The manual pages as built name this build's paths: the configuration file lia-core reads
# by default (the one `lia-core --help` names), its conf.d and the plugin folder; no
# @placeholder@ is left, and groff reads them without a warning.
. "$(dirname "$0")/../lib.sh"
[ -f "$top_builddir/Makefile" ] || skip_all "no configured build tree in $top_builddir"
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s --no-print-directory -C "$top_builddir" "$@"; }
var() { mk -f Makefile -f - lia-print-var V="$1" <<<$'lia-print-var:\n\t@echo $($(V))' | tail -1; }
sysconfdir=$(var sysconfdir)
plugindir=$(var plugindir)
mk docs/lia-core.1 docs/lia.conf.5 >/dev/null 2>&1
ok $? "the manual pages are made"
M1=$top_builddir/docs/lia-core.1
M5=$top_builddir/docs/lia.conf.5
conf=$(lia --help 2>&1 | sed -n 's/.*(default \$LIA_CONFIG or \(.*\))$/\1/p')
is "$conf" "$sysconfdir/lia/lia.conf" "lia-core --help names the configured sysconfdir's lia.conf"
grep -q "^\.IR\? $conf\b" "$M1"
ok $? "lia-core(1) names the same default file ($conf)"
grep -q "$sysconfdir/lia/conf.d/\*.conf" "$M1"
ok $? "lia-core(1) names the conf.d folder beside it"
grep -q "^\.IR\? $conf\$" "$M5"
ok $? "lia.conf(5) names the same default file"
grep -q "\"$plugindir\"" "$M5"
ok $? "lia.conf(5) gives plugin_dir's default: the configured plugin folder ($plugindir)"
is "$(grep -c '@[A-Za-z]*@' "$M1" "$M5" | awk -F: '{ s += $2 } END { print s }')" 0 "no @placeholder@ is left"
like "$(head -1 "$M1")" "\"lia $(var VERSION)\"" "the page carries the package's version"
if command -v groff >/dev/null; then
	is "$(groff -man -ww -z "$M1" "$M5" 2>&1)" "" "groff -ww reads both pages without a warning"
else
	skip "groff is not installed"
fi
done_testing
