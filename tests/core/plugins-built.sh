#!/bin/bash
# Which plugins configure built: one line each; a plugin left out is SKIPPED with
# configure's reason (--disable-NAME, or the library pkg-config cannot find).
. "$(dirname "$0")/../lib.sh"
[ -n "${LIA_PLUGINS_BUILT+x}" ] || skip_all "run by make check (LIA_PLUGINS_BUILT comes from configure)"

for p in $LIA_PLUGINS_BUILT; do
	test -f "$top_builddir/plugins/$p/$p.la"; ok $? "plugin $p is built"
	why=$(plugin_off "$p"); [ $? -ne 0 ]; ok $? "plugin $p is not also listed as left out${why:+: $why}"
done
rest=${LIA_PLUGINS_OFF:-}
while [ -n "$rest" ]; do
	e=${rest%%;*}; rest=${rest#*;}
	[ -n "$e" ] || break
	p=${e%%=*}
	test ! -e "$top_builddir/plugins/$p/$p.la"; ok $? "plugin $p is left out: no $p.la in the build tree"
	skip "plugin $p is not built: ${e#*=}"
done
done_testing
