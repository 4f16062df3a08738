#!/bin/sh
# Install or remove lia's configuration files the way Debian treats conffiles: an edited
# file is never overwritten or removed.
#   install-conf.sh install DIR FILE...   FILE goes to DIR/NAME when DIR/NAME is absent or
#                                         already the same; when DIR/NAME differs (edited),
#                                         it is kept and the new file goes to DIR/NAME.dist
#   install-conf.sh uninstall DIR FILE... DIR/NAME is removed when it is the shipped file,
#                                         kept (and named) when edited; DIR/NAME.dist goes
# Every FILE is installed with @sysconfdir@, @plugindir@, @bindir@ and @localstatedir@
# replaced by the values in the environment (LIA_SYSCONFDIR, LIA_PLUGINDIR, LIA_BINDIR,
# LIA_LOCALSTATEDIR), so that its comments name the paths of this build.
set -eu
mode=$1 dir=$2
shift 2
: "${INSTALL_DATA:=install -m 644}"
tmp=$(mktemp "${TMPDIR:-/tmp}/lia-conf.XXXXXX")
trap 'rm -f "$tmp"' EXIT
# shipped FILE -> $tmp, with this build's paths
render() {
	sed -e "s|@sysconfdir@|${LIA_SYSCONFDIR:-/usr/local/etc}|g" \
	    -e "s|@plugindir@|${LIA_PLUGINDIR:-/usr/local/lib/lia/plugins}|g" \
	    -e "s|@bindir@|${LIA_BINDIR:-/usr/local/bin}|g" \
	    -e "s|@localstatedir@|${LIA_LOCALSTATEDIR:-/var}|g" "$1" >"$tmp"
}
for f in "$@"; do
	dest=$dir/$(basename "$f")
	render "$f"
	case $mode in
	install)
		if [ ! -e "$dest" ] || cmp -s "$tmp" "$dest"; then
			$INSTALL_DATA "$tmp" "$dest"
			rm -f "$dest.dist"
		else
			$INSTALL_DATA "$tmp" "$dest.dist"
			echo "lia: kept $dest: it differs from the shipped file (edited?); the new one is $dest.dist"
		fi
		;;
	uninstall)
		rm -f "$dest.dist"
		if [ -e "$dest" ] && ! cmp -s "$tmp" "$dest"; then
			echo "lia: kept $dest: it differs from the shipped file (edited?)"
		else
			rm -f "$dest"
		fi
		;;
	*) echo "usage: install-conf.sh install|uninstall DIR FILE..." >&2; exit 2 ;;
	esac
done
