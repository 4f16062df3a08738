#!/bin/bash
# The README's plugin table matches the plugins as built: for each row, `lia-core --json
# plugins` (with that plugin's block alone) gives the same role and the same hooks, in order;
# every plugin of the build has a row, and every shipped plugin has lia's version.
. "$(dirname "$0")/../lib.sh"
command -v python3 >/dev/null || skip_all "python3 is not installed"
T=$(mk_tmp)
R=$top_srcdir/README.md
rows=$(sed -n '/^## Plugins/,/^## /p' "$R" | grep '^| [a-z]' | grep -v '^| plugin |')
[ -n "$rows" ] || bail "no plugin table in $R"
# the plugins of the source tree (plugins/NAME/NAME.c) and those this build made (configure
# can leave some out: --disable-NAME); PLUGIN_BUILD_DIRS lists the built ones
shipped=$(cd "$top_srcdir/plugins" && for d in */; do d=${d%/}; [ -f "$d/$d.c" ] && echo "$d"; done)
built=$(env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s --no-print-directory -C "$top_builddir" -f Makefile -f - \
	lia-print <<<$'lia-print:\n\t@echo $(PLUGIN_BUILD_DIRS)' 2>/dev/null | tail -1 | tr ' ' '\n' |
	sed -n 's|^plugins/\([^/]*\)/\.libs$|\1|p')
for p in $shipped; do
	grep -q "^| $p |" <<<"$rows"
	ok $? "README lists the plugin $p"
done
core_version=$(lia --version | awk '{ print $2 }')
# the blocks each plugin needs to load (a required setting, the plugin whose facts it reads)
block() {
	case $1 in
	image-dir) echo "image-dir = { source = \"$T\"; };" ;;
	net-tap) echo "net-bridge = { }; net-tap = { };" ;;
	*) echo "$1 = { };" ;;
	esac
}
while IFS='|' read -r _ name role hooks _; do
	name=$(xargs <<<"$name") role=$(xargs <<<"$role") hooks=$(sed 's/ //g' <<<"$hooks")
	if ! grep -qx "$name" <<<"$built"; then
		skip "$name is not built here (configure --disable-$name)"
		continue
	fi
	mk_conf "$T" "$(block "$name")" >/dev/null
	got=$(lia -c "$T/lia.conf" --json plugins 2>"$T/err" | python3 -c '
import json, sys
for p in json.load(sys.stdin):
    if p["name"] == sys.argv[1]:
        print(p["provides"], ",".join(p["hooks"]), p["version"])' "$name")
	if [ -z "$got" ]; then
		ok 1 "$name loads (for its row in the README)"
		diag "$(cat "$T/err")"
		continue
	fi
	read -r grole ghooks gversion <<<"$got"
	is "$grole" "$role" "README: $name's role"
	is "$ghooks" "$hooks" "README: $name's hooks (as lia-core --json plugins lists them)"
	is "$gversion" "$core_version" "$name's version is lia's ($core_version)"
done <<<"$rows"
done_testing
