#!/bin/bash
# `make install` treats the configuration as conffiles: a second install into the same
# DESTDIR keeps an edited file (the new one goes beside it as NAME.dist, and it says so),
# leaves unedited files alone; the installed files name this build's paths; uninstall
# removes the shipped files and keeps the edited one.
. "$(dirname "$0")/../lib.sh"
T=$(mk_tmp)
[ -f "$top_builddir/Makefile" ] || skip_all "no configured build tree in $top_builddir"
# the sub-make must not join the jobserver of the make check running this test
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s --no-print-directory -C "$top_builddir" "$@"; }
var() { mk -f Makefile -f - lia-print-var V="$1" <<<$'lia-print-var:\n\t@echo $($(V))' | tail -1; }
sysconfdir=$(var sysconfdir)
plugindir=$(var plugindir)
bindir=$(var bindir)
R=$T/root
E=$R$sysconfdir/lia

out=$(mk install DESTDIR="$R" 2>&1)
ok $? "the first make install DESTDIR=... succeeds"
[ -f "$E/lia.conf" ] && [ -f "$E/conf.d/40-net-bridge.conf" ] && [ -f "$E/conf.d/60-vsock.conf" ]
ok $? "it installs lia.conf and conf.d/ into $sysconfdir/lia"
is "$(find "$E" -name '*.dist' | wc -l)" 0 "a first install makes no .dist file"
is "$(head -1 "$E/lia.conf" | cut -d' ' -f2)" "$sysconfdir/lia/lia.conf" \
	"the installed lia.conf names its own place (the configured sysconfdir)"
like "$(cat "$E/lia.conf")" "plugin_dir = \"$plugindir\"" "and the configured plugin folder"
like "$(cat "$E/conf.d/40-net-bridge.conf")" "lia_core_path = \"$bindir/lia-core\"" \
	"40-net-bridge.conf names the configured bindir"
is "$(grep -c '@[a-z]*dir@' "$E/lia.conf" "$E"/conf.d/*.conf | awk -F: '{ s += $2 } END { print s }')" 0 \
	"no @placeholder@ is left in the installed files"

# the user edits two files, then installs again
echo 'net-bridge = { bridge = "mybr0"; };' >"$E/conf.d/40-net-bridge.conf"
printf '\n# my note\n' >>"$E/lia.conf"
cp "$E/conf.d/50-fc-driver.conf" "$T/fc.before"
out=$(mk install DESTDIR="$R" 2>&1)
ok $? "the second make install succeeds"
is "$(cat "$E/conf.d/40-net-bridge.conf")" 'net-bridge = { bridge = "mybr0"; };' "the edited conf.d file survives"
is "$(tail -1 "$E/lia.conf")" "# my note" "the edited lia.conf survives"
[ -f "$E/conf.d/40-net-bridge.conf.dist" ] && [ -f "$E/lia.conf.dist" ]
ok $? "the shipped versions are installed beside them as .dist"
cmp -s "$E/conf.d/40-net-bridge.conf.dist" <(sed "s|@bindir@|$bindir|" "$top_srcdir/conf/conf.d/40-net-bridge.conf")
ok $? "the .dist file is the shipped file"
like "$out" "kept $E/conf.d/40-net-bridge.conf: .*the new one is $E/conf.d/40-net-bridge.conf.dist" \
	"make install says which file it kept and where the new one is"
is "$(find "$E" -name '*.dist' | wc -l)" 2 "unedited files get no .dist"
cmp -s "$T/fc.before" "$E/conf.d/50-fc-driver.conf"
ok $? "an unedited file stays the shipped one"

# uninstall: shipped files go, edited ones stay (and it says so), .dist files go
out=$(mk uninstall DESTDIR="$R" 2>&1)
ok $? "make uninstall succeeds"
[ ! -e "$E/conf.d/50-fc-driver.conf" ] && [ ! -e "$E/conf.d/40-net-bridge.conf.dist" ]
ok $? "it removes the unedited files and the .dist files"
[ -f "$E/conf.d/40-net-bridge.conf" ] && [ -f "$E/lia.conf" ]
ok $? "it keeps the edited files"
like "$out" "kept $E/lia.conf" "and says so"
done_testing
