#!/usr/bin/env bash
# The main job: a live tunsec tunnel between two network namespaces.
#
# Builds tunsec, creates namespaces a (outer 192.0.2.1, LAN 10.201.1.0/24) and b (outer
# 192.0.2.2, LAN 10.201.2.0/24) joined by a veth link, starts one tunsec endpoint in each with
# the shipped configs config/ike-site-{a,b}.toml (IKEv2 with a pre-shared key negotiating an
# ESP tunnel with AES-128-GCM; b waits, a initiates), pings across the tunnel, runs iperf3
# through it, shows the IKE SA, the installed SAs and statistics, and removes everything it
# created. Run as root on Debian; installs iperf3 etc. if missing. (config/site-to-site-*.toml
# are the same tunnel with manual keys.)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
. scripts/lib/netns.sh
TS_ID=tunsec-demo
trap ns_cleanup EXIT

echo "==> building tunsec (release)"
cargo build --release -q -p tunsec
TUNSEC=$PWD/target/release/tunsec
$TUNSEC hwinfo | head -12

LOGS=$(mktemp -d /tmp/tunsec-demo.XXXXXX)
echo "==> namespaces $(ns a) and $(ns b), veth 192.0.2.1 <-> 192.0.2.2"
topology_pair
for site in b a; do
    # The daemon refuses a config holding a secret that other users could read: run a
    # private copy (in a 0700 directory, mode 0600), as /etc/tunsec would hold it.
    install -m 0600 config/ike-site-$site.toml "$LOGS/ike-site-$site.toml"
    $TUNSEC check -c "$LOGS/ike-site-$site.toml"
    ns_spawn $site "$LOGS/$site.log" $TUNSEC run -c "$LOGS/ike-site-$site.toml" >/dev/null
    wait_for 10 in_ns $site ip link show tunsec0 up || { cat "$LOGS/$site.log"; exit 1; }
done
established() { $TUNSEC print remote-peers -c config/ike-site-a.toml | grep -q 'state=established.*ph2-total=1'; }
echo "==> IKEv2: site a negotiates with site b"
wait_for 10 established || { cat "$LOGS/a.log" "$LOGS/b.log"; exit 1; }
for site in a b; do
    echo "--- site $site log"
    cat "$LOGS/$site.log"
done

echo "==> ping 10.201.2.1 (site b) from 10.201.1.1 (site a) through the tunnel"
in_ns a ping -c 4 -i 0.3 -I 10.201.1.1 10.201.2.1

echo "==> iperf3 through the tunnel for 5 seconds"
ns_spawn b "$LOGS/iperf3-server.log" iperf3 -s -1 -B 10.201.2.1 >/dev/null
wait_for 5 in_ns b sh -c "ss -ltn | grep -q ':5201'"
in_ns a iperf3 -c 10.201.2.1 -B 10.201.1.1 -t 5 | grep -E "sender|receiver"

echo "==> what crossed the wire between 192.0.2.1 and 192.0.2.2 (tshark, first 3 packets of a ping)"
in_ns b timeout 5 tshark -q -i v-b-a -c 3 -f "ip proto 50" -T fields -e ip.src -e ip.dst -e esp.spi -e esp.sequence \
    2>/dev/null & CAP=$!
sleep 1.5
in_ns a ping -c 3 -i 0.2 -I 10.201.1.1 10.201.2.1 >/dev/null
wait $CAP || true

for site in a b; do
    echo "==> site $site: tunsec print remote-peers"
    $TUNSEC print remote-peers -c config/ike-site-$site.toml
    echo "==> site $site: tunsec print installed-sa"
    $TUNSEC print installed-sa -c config/ike-site-$site.toml
    echo "==> site $site: tunsec print statistics (non-zero counters)"
    $TUNSEC print statistics -c config/ike-site-$site.toml | awk -F': ' '$2 != 0' || true
done
echo "==> demo complete; removing namespaces"
