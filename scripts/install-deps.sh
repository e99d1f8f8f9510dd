#!/usr/bin/env bash
# Installs the system packages tunsec's tests and demo use, on Debian (run as root);
# with the argument `bench`, also what the iperf3 benchmark captures with (tcpdump).
# Safe to run again: apt skips what is present. Set TUNSEC_SKIP_APT=1 to skip entirely.
set -euo pipefail

[ "${TUNSEC_SKIP_APT:-0}" = 1 ] && exit 0

packages=(
    python3-scapy        # independent ESP/AH implementation for interop tests
    python3-cryptography # scapy's crypto backend
    tshark               # independent dissector for captured traffic
    iperf3               # throughput through tunnels
    iproute2             # ip netns, veth
    nftables             # NAT namespace for NAT-T tests
    iputils-ping         # ping through tunnels
    ethtool              # turns UDP segmentation off on a veth to capture what a NIC sends
    # strongSwan's charon with its userspace ESP (kernel-libipsec): the third-party IKEv2
    # peer of scripts/test-ike.sh and the baseline of scripts/bench-iperf.sh
    strongswan-charon strongswan-swanctl libcharon-extra-plugins
    libstrongswan-extra-plugins libstrongswan-standard-plugins
)

# `install-deps.sh bench` adds what scripts/bench-iperf.sh compares against and inspects with.
if [ "${1:-}" = bench ]; then
    packages+=(tcpdump)
fi

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: need root to install: ${missing[*]}" >&2
    exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
