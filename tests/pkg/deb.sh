#!/bin/bash
# tests/pkg/deb.sh - the Debian packages, end to end: build them from a scratch copy of
# the source (dpkg-buildpackage -us -uc -b, which runs the build-chroot-safe tests),
# lintian (no errors), install them on this machine (apt-get install ./*.deb), run
# `lia-core plugins` and `lia-core config check`, remove one plugin package (lia-core
# must name the missing plugin), purge everything and check that nothing is left.
#
# NOT part of `make check`: it installs packages into this machine.  .ci/run runs it.
# Needs root and apt; installs what it needs (dpkg-dev, debhelper, lintian and the
# build dependencies of debian/control) when missing.  Refuses to run when lia is
# already installed here.  TAP output.
. "$(dirname "$0")/../lib.sh"
need_root
top=$(cd "$(dirname "$0")/../.." && pwd)
command -v apt-get >/dev/null && command -v dpkg-query >/dev/null || skip_all "not a Debian system (no apt-get)"
git -C "$top" rev-parse --git-dir >/dev/null 2>&1 || skip_all "needs a git checkout ($top) to copy the source from"

PKGS=(lia lia-plugin-net lia-plugin-image lia-plugin-firecracker lia-plugin-qemu lia-dev lia-testkit)
# a package here that is not "not-installed" (installed, or its conffiles left) is not ours
for p in "${PKGS[@]}"; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)
	[ -z "$st" ] || [ "$st" = not-installed ] ||
		skip_all "package $p is already on this machine ($st): this test would replace and purge it"
done
[ -e /etc/lia ] && skip_all "/etc/lia exists: this test would install into it and purge it"

export DEBIAN_FRONTEND=noninteractive
APT=(apt-get -y -q -o DPkg::Lock::Timeout=600)

# --- tools and build dependencies ---------------------------------------------------------
T=$(mk_tmp)
src=$T/lia
mkdir -p "$src"
# the tracked files and new ones not ignored, as they are in the work tree now
(cd "$top" && git ls-files -z --cached --others --exclude-standard |
	while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
	tar --null -T - -cf -) | tar -C "$src" -xf -
test -x "$src/debian/rules"; ok $? "scratch copy of the source in $src"

missing=()
for p in dpkg-dev debhelper lintian build-essential; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	diag "installing ${missing[*]}"
	"${APT[@]}" update >"$T/apt.log" 2>&1
	"${APT[@]}" install --no-install-recommends "${missing[@]}" >>"$T/apt.log" 2>&1
	ok $? "installed the packaging tools: ${missing[*]}" || { tail -20 "$T/apt.log"; done_testing; exit 1; }
fi
if ! (cd "$src" && dpkg-checkbuilddeps) >"$T/deps.log" 2>&1; then
	diag "$(cat "$T/deps.log")"
	"${APT[@]}" build-dep --no-install-recommends "$src" >"$T/apt.log" 2>&1
	ok $? "installed the build dependencies" || { tail -20 "$T/apt.log"; done_testing; exit 1; }
fi

# --- build ----------------------------------------------------------------------------------
(cd "$src" && nice -n 10 dpkg-buildpackage -us -uc -b) >"$T/build.log" 2>&1
ok $? "dpkg-buildpackage -us -uc -b builds" || { tail -40 "$T/build.log"; done_testing; exit 1; }
# automake's summary, without its '#' (a "# SKIP" in a description is a TAP directive)
tests=$(grep -E '^# (TOTAL|PASS|SKIP|FAIL|ERROR):' "$T/build.log" | sed -E 's/^# ([A-Z]+): +/\1 /' | paste -sd ',')
like "$tests" 'PASS [1-9]' "the build ran its tests ($tests)"
like "$tests" 'FAIL 0,ERROR 0$' "... and none failed"

debs=()
for p in "${PKGS[@]}"; do
	f=$(ls "$T/${p}_"*.deb 2>/dev/null | head -1)
	[ -n "$f" ]; ok $? "package $p built${f:+: $(basename "$f"), $(stat -c %s "$f") bytes}"
	[ -n "$f" ] && debs+=("$f")
done
[ ${#debs[@]} -eq ${#PKGS[@]} ] || { done_testing; exit 1; }

lintian --fail-on error "$T"/lia_*.changes >"$T/lintian.log" 2>&1
ok $? "lintian reports no errors ($(grep -c '^E:' "$T/lintian.log") errors, $(grep -c '^W:' "$T/lintian.log") warnings)"
sed -n 's/^\([EW]: .*\)/# \1/p' "$T/lintian.log" | head -30

# --- install --------------------------------------------------------------------------------
before=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' | awk '$2=="installed"{print $1}' | sort)
(cd "$T" && "${APT[@]}" install --no-install-recommends "${debs[@]/#$T\//./}") >"$T/install.log" 2>&1
ok $? "apt-get install ./*.deb" || tail -20 "$T/install.log"
shipped=$(dpkg -L "${PKGS[@]}" 2>/dev/null | sort -u)

plugins_so=$(printf '%s\n' "$shipped" | grep '/lia/plugins/.*\.so$')
out=$(/usr/bin/lia-core plugins 2>&1); rc=$?
is "$rc" 0 "lia-core plugins (installed) exits 0"
# the configured plugins (a block in /etc/lia/conf.d) are listed ...
for p in $(sed -n 's/^\([a-z0-9-]*\) = {.*/\1/p' /etc/lia/conf.d/*.conf); do
	like "$out" "(^|[[:space:]])$p[[:space:]]" "lia-core plugins lists $p (configured in /etc/lia/conf.d)"
done
# ... and every shipped plugin file passes the conformance check
n=0
for f in $plugins_so; do
	n=$((n + 1))
	chk=$(/usr/bin/lia-core plugins --check "$f" 2>&1)
	ok $? "lia-core plugins --check $f" || diag "$chk"
done
[ "$n" -ge 8 ]; ok $? "the packages ship $n plugins"
out=$(/usr/bin/lia-core config check 2>&1); rc=$?
is "$rc" 0 "lia-core config check passes on the installed configuration" || diag "$out"
dpkg-query -W -f='${Conffiles}\n' lia lia-plugin-net | grep -q ' /etc/lia/conf.d/40-net-bridge.conf '
ok $? "the configuration files are conffiles"

# a configuration naming a plugin whose package is removed (its conffile stays)
"${APT[@]}" remove lia-plugin-net >"$T/remove.log" 2>&1
ok $? "apt-get remove lia-plugin-net"
out=$(/usr/bin/lia-core config check 2>&1); rc=$?
[ "$rc" -ne 0 ]; ok $? "config check fails when net-bridge's package is removed (exit $rc)"
like "$out" "net-bridge" "... naming the missing plugin: $(printf '%s' "$out" | head -2 | paste -sd ' ')"

# --- purge ----------------------------------------------------------------------------------
"${APT[@]}" purge "${PKGS[@]}" >"$T/purge.log" 2>&1
ok $? "apt-get purge ${PKGS[*]}" || tail -20 "$T/purge.log"
left=
for p in "${PKGS[@]}"; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)
	[ -z "$st" ] || [ "$st" = not-installed ] || left="$left $p($st)"
done
is "$left" "" "no package left installed or half-removed"
left=$(for f in $shipped /etc/lia /var/lib/lia; do
	case $f in /|/etc|/usr|/usr/*/|/lib|/lib/systemd|/lib/systemd/system|/usr/share/man*) continue ;; esac
	# shared folders (/usr/share/doc, /usr/lib/x86_64-linux-gnu...) stay; lia's own must go
	if [ -d "$f" ]; then case $f in */lia|*/lia/*|*/lia-*) [ -e "$f" ] && echo "$f" ;; esac
	elif [ -e "$f" ] || [ -L "$f" ]; then echo "$f"; fi
done)
is "$left" "" "nothing of lia is left on the machine after purge"
after=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' | awk '$2=="installed"{print $1}' | sort)
new=$(comm -13 <(printf '%s\n' "$before") <(printf '%s\n' "$after") | paste -sd ' ')
if [ -n "$new" ]; then
	diag "apt pulled in $new for lia's packages: purging them too"
	"${APT[@]}" purge $new >>"$T/purge.log" 2>&1
	after=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' | awk '$2=="installed"{print $1}' | sort)
fi
is "$(comm -13 <(printf '%s\n' "$before") <(printf '%s\n' "$after") | paste -sd ' ')" "" \
	"no package that the installation pulled in is left"
done_testing
