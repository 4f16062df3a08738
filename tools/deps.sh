#!/bin/bash
# Install what lia needs to build and test on Debian 12 (run as root).
set -euo pipefail
PKGS=(
	build-essential autoconf automake libtool libltdl-dev pkg-config
	libconfig-dev libjansson-dev libcurl4-openssl-dev libssl-dev
	libnl-3-dev libnl-route-3-dev libnftables-dev libarchive-dev libcmocka-dev
	nftables iproute2 iptables e2fsprogs busybox-static python3 curl
	tcpdump iputils-ping procps kmod binutils file jq valgrind
)
export DEBIAN_FRONTEND=noninteractive
missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
