#!/bin/bash
# The libraries a per-VM command maps (issue 13): with every shipped plugin configured
# (conf/conf.d), `vm stop` of a VM that is not running loads every plugin and does nothing
# else; it must not map the libraries that only some work needs, which the plugins open
# on first use (dlopen): libarchive (with libxml2, libicu, libstdc++), libcrypto,
# libnftables (with libnftnl, libmnl, libxtables, libgmp), libcurl.  The packages that
# ship those plugins name the libraries in Depends (dpkg-shlibdeps cannot see a dlopen).
. "$(dirname "$0")/../lib.sh"
T=$(mk_tmp)
mkdir -p "$T/conf.d" "$T/state/vms"
chmod 700 "$T/state"
cp "$top_srcdir/conf/conf.d/"*.conf "$T/conf.d/"
# only the shipped plugins that were built (a plugin left out by configure is skipped)
for f in "$T"/conf.d/*.conf; do
	p=$(sed -n 's/^\([a-z0-9-]*\) = {.*/\1/p' "$f" | head -1)
	why=$(plugin_off "$p") && { rm "$f"; diag "plugin $p not built: $why"; }
done
printf 'lia = { state_dir = "%s"; };\n' "$T/state" > "$T/lia.conf"
printf '{"name": "idle", "state": "created", "ledger": [], "data": {}}\n' > "$T/state/vms/idle.json"
out=$("$LIA_CORE" -q -c "$T/lia.conf" vm stop idle 2>&1); rc=$?
is "$rc" 0 "vm stop of an idle VM with the shipped plugins ($(ls "$T/conf.d" | wc -l) files)" || diag "$out"
# --enable-static-plugins links every built plugin, and its libraries, into lia-core itself
static=yes
for d in ${LIA_PLUGIN_PATH//:/ }; do ls "$d"/*.so >/dev/null 2>&1 && static=no && break; done
libs=$(LD_DEBUG=files "$LIA_CORE" -q -c "$T/lia.conf" vm stop idle 2>&1 >/dev/null |
	sed -n 's/.*calling init: \(.*\)/\1/p' | xargs -r -n1 basename | sort -u | paste -sd ' ')
diag "mapped: $libs"
for lib in libarchive libxml2 libicuuc libstdc++ libcrypto libnftables libnftnl libxtables libgmp libcurl; do
	if [ "$static" = yes ]; then
		skip "plugins linked into lia-core (--enable-static-plugins): their libraries too"
	else
		[[ " $libs" != *" $lib."* ]]
		ok $? "it does not map $lib"
	fi
done

# the packages name what their plugins open (the lines after each Package: up to Description:)
deps() { sed -n "/^Package: $1\$/,/^Description:/p" "$top_srcdir/debian/control" | tr '\n' ' '; }
like "$(deps lia-plugin-net)" 'libnftables1' "debian/control: lia-plugin-net depends on libnftables1"
like "$(deps lia-plugin-image)" 'libarchive13t64 \| libarchive13' "debian/control: lia-plugin-image depends on libarchive13"
like "$(deps lia-plugin-image)" 'libssl3t64 \| libssl3' "debian/control: lia-plugin-image depends on libssl3 (libcrypto)"
like "$(deps lia-plugin-firecracker)" 'libarchive13t64 \| libarchive13' "debian/control: lia-plugin-firecracker depends on libarchive13"
done_testing
