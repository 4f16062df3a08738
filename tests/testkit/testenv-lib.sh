# testenv-lib.sh - the pieces of a throwaway lia environment, shared by lia-testenv (the
# installed test kit) and lia's own tests (tests/fc-driver/lib-fc.sh).  Source it; every
# function takes the folders it works in, and none touches anything outside them.
#   te_guest_tree DIR            DIR/src (a guest root: /sbin/init) and DIR/overlay (the
#                                services image plugins insist on, as stubs)
#   te_mirror DIR KERNEL [VMM VERSION]
#                                DIR laid out like lia's default download sites: the guest
#                                kernel at the quick-start kernel path, and when VMM is given a
#                                Firecracker release tarball of VERSION holding VMM (+ .sha256.txt)
#   te_net_conf                  net-bridge and net-tap blocks for a namespace of one's own
#                                (bridge liate0, 172.31.0.1/24, no uplink, no NAT)
#   te_procs DIR                 pids of live processes started on DIR/state/sockets/ (VMMs)
#   te_kill_procs DIR            SIGKILL them
#   te_kill_tree PID [SIG]       signal PID and every process below it (children first
#                                found, so none escapes by being reparented)

te_guest_tree() {
	local d=$1 s
	mkdir -p "$d/src/sbin" "$d/overlay/etc/init.d" || return 1
	printf '#!/bin/sh\n' > "$d/src/sbin/init"
	chmod +x "$d/src/sbin/init"
	# image-dir insists on the services lia's image enables; stubs are enough for a test
	for s in lia-init agent-sidecar; do
		printf '#!/sbin/openrc-run\n' > "$d/overlay/etc/init.d/$s"
		chmod +x "$d/overlay/etc/init.d/$s"
	done
}

te_mirror() {
	local m=$1 kernel=$2 vmm=${3:-} version=${4:-v1.6.0}
	local kd=$m/spec.ccfc.min/img/quickstart_guide/x86_64/kernels
	mkdir -p "$kd" && cp "$kernel" "$kd/vmlinux.bin" || return 1
	[ -n "$vmm" ] || return 0
	local rd=$m/firecracker-microvm/firecracker/releases/download/$version
	mkdir -p "$rd" || return 1
	python3 - "$rd" "$version" "$vmm" <<'PY'
import hashlib, os, sys, tarfile
d, v, vmm = sys.argv[1:4]
name = f"firecracker-{v}-x86_64.tgz"
with tarfile.open(os.path.join(d, name), "w:gz") as t:
    for member in (f"firecracker-{v}-x86_64", f"jailer-{v}-x86_64"):
        t.add(vmm, arcname=f"release-{v}-x86_64/{member}")
h = hashlib.sha256(open(os.path.join(d, name), "rb").read()).hexdigest()
open(os.path.join(d, name + ".sha256.txt"), "w").write(f"{h}  {name}\n")
PY
}

te_net_conf() {
	echo "net-bridge = { bridge = \"${TE_BRIDGE:-liate0}\"; address = \"172.31.0.1/24\"; uplink = \"none\"; nat = false; enable_unit = false; unit_dir = \"${TE_UNIT_DIR:-/nonexistent}\"; };"
	echo "net-tap = { pool_start = \"172.31.0.100\"; pool_end = \"172.31.0.200\"; };"
}

te_procs() {
	local d=$1 f p
	# "[s]ockets": grep's own command line must not match itself
	for f in $(grep -lsa -- "$d/state/[s]ockets/" /proc/[0-9]*/cmdline); do
		p=${f#/proc/}; p=${p%/cmdline}
		# zombies have exited (init here may not reap orphans)
		[ "$(cut -d' ' -f3 "/proc/$p/stat" 2>/dev/null)" = Z ] && continue
		[ -e "/proc/$p" ] && echo "$p"
	done
	return 0
}

te_kill_procs() {
	local p
	for p in $(te_procs "$1"); do kill -9 "$p" 2>/dev/null; done
	return 0
}

te_kill_tree() {
	local root=$1 sig=${2:-TERM} f p pp all=" $1 " grew=1
	while [ $grew = 1 ]; do
		grew=0
		for f in /proc/[0-9]*/stat; do
			p=${f#/proc/}; p=${p%/stat}
			case $all in *" $p "*) continue ;; esac
			# field 4 is the parent (field 2 may hold spaces: cut after the last ')')
			pp=$(sed 's/.*) //' "$f" 2>/dev/null | cut -d' ' -f2)
			case $all in *" $pp "*) all="$all$p "; grew=1 ;; esac
		done
	done
	# stop them all first, so that none forks or reparents while we signal
	kill -STOP $all 2>/dev/null
	kill "-$sig" $all 2>/dev/null
	kill -CONT $all 2>/dev/null
	return 0
}
