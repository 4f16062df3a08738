#!/bin/bash
# Install what lia needs to build and test on Debian 12 (run as root).
set -euo pipefail
PKGS=(
	build-essential autoconf automake libtool libltdl-dev pkg-config
	libconfig-dev libjansson-dev libcurl4-openssl-dev libssl-dev
	libnl-3-dev libnl-route-3-dev libnftables-dev libarchive-dev libcmocka-dev libmicrohttpd-dev
	nftables iproute2 iptables e2fsprogs busybox-static python3 curl
	tcpdump iputils-ping procps kmod binutils file jq valgrind strace clang-format xfsprogs
	qemu-system-x86 mmdebstrap openssh-client openssh-server
	python3-jsonschema python3-yaml openssl
)
export DEBIAN_FRONTEND=noninteractive
missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "deps: installing ${#missing[@]} packages: ${missing[*]}"
	# another apt or dpkg (unattended-upgrades on a fresh machine) may hold the lock: wait
	# for it and say so, rather than fail with "Could not get lock" (exit 100)
	wait_s=${LIA_APT_LOCK_TIMEOUT:-600}
	apt=(apt-get -o DPkg::Lock::Timeout="$wait_s")
	bash "$(dirname "$0")/apt-wait.sh" "$wait_s"
	"${apt[@]}" update -qq
	bash "$(dirname "$0")/apt-wait.sh" "$wait_s"
	"${apt[@]}" install -y -qq --no-install-recommends "${missing[@]}"
else
	echo "deps: all ${#PKGS[@]} packages are installed"
fi
