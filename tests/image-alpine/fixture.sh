# tests/image-alpine/fixture.sh - shared by the image tests (sourced after tests/lib.sh).
#
# mk_mirror DIR      a local Alpine mirror: v3.19/releases/x86_64/alpine-minirootfs-
#                    3.19.1-x86_64.tar.gz (+ .sha256) built from Debian's busybox-static,
#                    with stand-ins for /sbin/apk and /usr/bin/npm that record how they
#                    were called (/var/log/fake-apk.log, fake-npm.log) and mark packages.
# img_hook STATE PLUGIN HOOK [--vm N] [--volume-mib N] [key=value...]
#                    run one hook of an image plugin.  Through lia-core when it runs
#                    (LIA_IMAGE_VIA=core), else through tests/image-alpine/img-drive, a
#                    stand-in host that loads the same plugin module.
# dbg IMG CMD        debugfs -R CMD on IMG, quietly
# no_temps DIR       prints leftovers of a build (.staging-*, .rootfs.ext4.tmp-*) in DIR

: "${IMG_DRIVE:=$top_builddir/tests/image-alpine/img-drive}"
: "${IMG_ALPINE_SO:=$top_builddir/plugins/image-alpine/.libs/image-alpine.so}"
: "${IMG_DIR_SO:=$top_builddir/plugins/image-dir/.libs/image-dir.so}"
: "${LIA_ROOTFS_OVERLAY:=$top_srcdir/rootfs}"
export LIA_ROOTFS_OVERLAY
# tests/local.mk builds the path as "a: b: c" (make puts a space between the words)
LIA_PLUGIN_PATH=${LIA_PLUGIN_PATH:-}
LIA_PLUGIN_PATH=${LIA_PLUGIN_PATH//: /:}
export LIA_PLUGIN_PATH

need_image_tools() {
	need_root
	for t in mkfs.ext4 e2fsck debugfs; do
		command -v "$t" >/dev/null || skip_all "$t is not installed (e2fsprogs)"
	done
	[ -x /bin/busybox ] || skip_all "/bin/busybox is not installed (busybox-static)"
	file -L /bin/busybox 2>/dev/null | grep -q 'statically linked' ||
		ldd /bin/busybox 2>&1 | grep -q 'not a dynamic' ||
		skip_all "/bin/busybox is not the static build (busybox-static)"
	[ -x "$IMG_DRIVE" ] || [ "${LIA_IMAGE_VIA:-}" = core ] ||
		skip_all "img-drive is not built ($IMG_DRIVE)"
}

# a minirootfs-shaped tree in $1
mk_tree() {
	local t=$1
	mkdir -p "$t"/{bin,sbin,etc/apk/keys,etc/init.d,usr/bin,usr/sbin,usr/share,var/log,tmp,proc,dev,root,mnt,lib}
	chmod 1777 "$t/tmp"
	chmod 0700 "$t/root"
	cp /bin/busybox "$t/bin/busybox"
	for a in sh ash ls cat mkdir echo touch rm printf mv chmod cp ln awk sed grep test \
		env id cut tr date sleep true false head tail wc; do
		ln -s /bin/busybox "$t/bin/$a"
	done
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/sbin/nologin\n' >"$t/etc/passwd"
	printf 'root:x:0:root\nnogroup:x:65534:\n' >"$t/etc/group"
	echo localhost >"$t/etc/hostname"
	printf 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.19.1\n' >"$t/etc/os-release"
	printf 'https://dl-cdn.alpinelinux.org/alpine/v3.19/main\n' >"$t/etc/apk/repositories"
	cat >"$t/etc/inittab" <<-'EOF'
	# /etc/inittab (fixture, shaped like Alpine's)
	::sysinit:/sbin/openrc sysinit
	::sysinit:/sbin/openrc boot
	::wait:/sbin/openrc default
	tty1::respawn:/sbin/getty 38400 tty1
	#ttyS0::respawn:/sbin/getty -L ttyS0 115200 vt100
	::shutdown:/sbin/openrc shutdown
	EOF
	# an absolute link, as Alpine has: must stay a link to the guest's own file
	ln -s /etc/hostname "$t/etc/hostname.link"
	cat >"$t/sbin/apk" <<-'EOF'
	#!/bin/sh
	# stand-in for apk: record the call, check the chroot, mark packages installed
	log=/var/log/fake-apk.log
	repos="" prev=""
	for a in "$@"; do
		[ "$prev" = "--repositories-file" ] && repos=$a
		prev=$a
	done
	{
		for a in "$@"; do echo "arg:$a"; done
		[ -c /dev/null ] && echo "dev-null:ok"
		[ -r /proc/self/status ] && echo "proc:ok"
		if [ -n "$repos" ]; then
			while read -r line; do
				echo "repo:$line"
				[ -d "$line" ] && echo "repo-visible:$line"
			done <"$repos"
		fi
	} >>"$log"
	mkdir -p /usr/share/fake-apk
	for a in "$@"; do
		case "$a" in -* | add | "$repos") continue ;; esac
		if [ "$a" = fail-me ]; then
			echo "ERROR: unable to select packages: fail-me (no such package)" >&2
			exit 1
		fi
		touch "/usr/share/fake-apk/$a"
		if [ "$a" = openssh-server ]; then
			mkdir -p /etc/init.d /etc/ssh
			printf '#!/sbin/openrc-run\n' >/etc/init.d/sshd
			chmod 755 /etc/init.d/sshd
			echo "packaged default" >/etc/ssh/sshd_config
			echo "a baked host key" >/etc/ssh/ssh_host_ed25519_key
		fi
	done
	exit 0
	EOF
	cat >"$t/usr/bin/npm" <<-'EOF'
	#!/bin/sh
	# stand-in for npm: record the call and the cache setting, install markers
	for a in "$@"; do echo "arg:$a"; done >>/var/log/fake-npm.log
	echo "cache:$npm_config_cache" >>/var/log/fake-npm.log
	mkdir -p "$npm_config_cache" && echo x >"$npm_config_cache/junk"
	for a in "$@"; do
		case "$a" in -* | install) continue ;; esac
		mkdir -p "/usr/local/lib/node_modules/$a"
		echo "{}" >"/usr/local/lib/node_modules/$a/package.json"
	done
	EOF
	chmod 0755 "$t/sbin/apk" "$t/usr/bin/npm"
}

# mk_mirror DIR: the fixture mirror
mk_mirror() {
	local m=$1 tree rel=v3.19/releases/x86_64 name=alpine-minirootfs-3.19.1-x86_64.tar.gz
	tree=$(mktemp -d "${TMPDIR:-/tmp}/lia-tree.XXXXXX")
	mk_tree "$tree"
	mkdir -p "$m/$rel" "$m/v3.19/main/x86_64" "$m/v3.19/community/x86_64"
	: >"$m/v3.19/main/x86_64/APKINDEX.tar.gz"
	tar --numeric-owner --owner=0 --group=0 -czf "$m/$rel/$name" -C "$tree" .
	(cd "$m/$rel" && sha256sum "$name" >"$name.sha256")
	rm -rf "$tree"
}

# img_via_setup: use lia-core when it is built and knows the image plugins (then the
# setup runs inside a network namespace of the test, as the team rules want), else
# img-drive.  LIA_IMAGE_VIA=drive|core forces one.
img_via_setup() {
	if [ -z "${LIA_IMAGE_VIA:-}" ]; then
		LIA_IMAGE_VIA=drive
		local probe
		probe=$(mktemp -d "${TMPDIR:-/tmp}/lia-probe.XXXXXX")
		printf 'lia = { state_dir = "%s/state"; plugin_dir = "%s/none"; };\nimage-alpine = { };\n' \
			"$probe" "$probe" >"$probe/lia.conf"
		if [ -x "$LIA_CORE" ] && "$LIA_CORE" -c "$probe/lia.conf" plugins 2>/dev/null | grep -q image-alpine; then
			LIA_IMAGE_VIA=core
		fi
		rm -rf "$probe"
	fi
	export LIA_IMAGE_VIA
	if [ "$LIA_IMAGE_VIA" = core ]; then
		# made here, not by $(mk_netns): a cleanup registered in a subshell is lost
		IMG_NS="liat-img-$$-$RANDOM"
		ip netns add "$IMG_NS" || bail "cannot create netns $IMG_NS"
		cleanup "ip netns delete '$IMG_NS'"
		diag "running the hooks through lia-core (netns $IMG_NS)"
	else
		diag "running the hooks through img-drive"
	fi
}

# options whose values are integers or string lists (for the lia-core config)
_img_opt_type() {
	case "$1" in
	size_mib | volume_mib) echo int ;;
	packages | npm_packages | dns) echo list ;;
	*) echo str ;;
	esac
}

# img_hook STATE PLUGIN HOOK [--vm NAME] [key=value...]
img_hook() {
	local state=$1 plugin=$2 hook=$3
	shift 3
	if [ "${LIA_IMAGE_VIA:-drive}" != core ]; then
		local so=$IMG_ALPINE_SO a=() vmn=""
		[ "$plugin" = image-dir ] && so=$IMG_DIR_SO
		while [ $# -gt 0 ]; do
			case "$1" in
			--vm) vmn=$2; a+=("$1" "$2"); shift 2 ;;
			--volume-mib) # the core's vm create option: a key of the new VM record
				mkdir -p "$state/vms"
				printf '{"name": "%s", "state": "created", "volume_mib": %s, "ledger": []}\n' \
					"$vmn" "$2" >"$state/vms/$vmn.json"
				shift 2 ;;
			*) a+=("$1"); shift ;;
			esac
		done
		"$IMG_DRIVE" "$state" "$so" "$hook" "${a[@]}"
		return
	fi
	# through lia-core: a config with this plugin's block, then the matching command
	local dir vmname="" kv k v items conf vmopt=()
	dir=$(dirname "$state")
	{
		echo "lia = { state_dir = \"$state\"; plugin_dir = \"$dir/no-plugins\"; };"
		printf '%s = {\n' "$plugin"
		while [ $# -gt 0 ]; do
			case "$1" in
			--vm) vmname=$2; shift 2; continue ;;
			--volume-mib) vmopt=(--volume-mib "$2"); shift 2; continue ;;
			esac
			kv=$1; k=${kv%%=*}; v=${kv#*=}; shift
			case $(_img_opt_type "$k") in
			int) printf '  %s = %s;\n' "$k" "$v" ;;
			list)
				items=""
				local IFS=,
				for x in $v; do items="$items${items:+, }\"$x\""; done
				unset IFS
				printf '  %s = [ %s ];\n' "$k" "$items" ;;
			*) printf '  %s = "%s";\n' "$k" "$v" ;;
			esac
		done
		echo "};"
	} >"$dir/lia.conf"
	conf=$dir/lia.conf
	local pre=()
	[ -n "${IMG_NS:-}" ] && pre=(ip netns exec "$IMG_NS")
	case "$hook" in
	image) "${pre[@]}" "$LIA_CORE" -c "$conf" run setup --only image ;;
	image:plan) "${pre[@]}" "$LIA_CORE" -c "$conf" run setup --only image --dry-run ;;
	image:undo) "${pre[@]}" "$LIA_CORE" -c "$conf" run teardown --only image ;;
	create) "${pre[@]}" "$LIA_CORE" -c "$conf" vm create "$vmname" "${vmopt[@]}" ;;
	destroy) "${pre[@]}" "$LIA_CORE" -c "$conf" vm destroy "$vmname" ;;
	gc) "${pre[@]}" "$LIA_CORE" -c "$conf" gc ;;
	*) echo "img_hook: $hook has no lia-core command" >&2; return 2 ;;
	esac
}

dbg() { debugfs -R "$2" "$1" 2>/dev/null; }
# "stat" of PATH in IMG -> "MODE UID GID" (mode in octal, e.g. 100644)
dbg_mode() {
	debugfs -R "stat $2" "$1" 2>/dev/null |
		awk '{ for (i = 1; i < NF; i++) {
			if ($i == "Type:" && t == "") t = $(i + 1)
			if ($i == "Mode:" && m == "") m = $(i + 1)
			if ($i == "User:" && u == "") u = $(i + 1)
			if ($i == "Group:" && g == "") g = $(i + 1) } }
		     END { print t, m, u, g }'
}
no_temps() { find "$1" -maxdepth 1 \( -name '.staging-*' -o -name '.rootfs.ext4.tmp-*' -o -name '*.tmp' \) 2>/dev/null; }
