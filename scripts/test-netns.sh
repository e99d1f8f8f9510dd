#!/usr/bin/env bash
# End-to-end tests of `tunsec run` in network namespaces: two tunsec endpoints with manually
# keyed SAs carry ping and iperf3 through ESP (tunnel and transport, AES-GCM and
# AES-CBC+HMAC, IPv4 and IPv6 inside), AH, and ESP-in-UDP through a NAT; discard policies and
# wrong keys show up as the right statistics counters; tshark (not our code) decodes and
# decrypts what crossed the wire. Needs root, iproute2, iperf3, tshark, nftables.
#
# Usage: scripts/test-netns.sh [TUNSEC_BINARY] [CASE...]
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/netns.sh
. scripts/lib/cases.sh

TUNSEC=${1:-target/release/tunsec}
shift || true
ONLY=("$@")
[ -x "$TUNSEC" ] || { echo "no tunsec binary at $TUNSEC (cargo build --release -p tunsec)"; exit 2; }
TUNSEC=$(realpath "$TUNSEC")
WORK=$(mktemp -d /tmp/tunsec-netns.XXXXXX)

trap 'ns_cleanup; rm -rf "$WORK"' EXIT

hexkey() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }

# manual_config FILE NAME ... writes one endpoint's config; see the callers for the fields.
manual_config() {
    local file=$1 sock=$2 ifaddr=$3 src=$4 dst=$5 sa_src=$6 sa_dst=$7 tunnel=$8 proto=$9
    local enc=${10} auth=${11} in_key=${12} out_key=${13} in_auth=${14} out_auth=${15}
    local in_spi=${16} out_spi=${17} natt=${18} extra_policy=${19:-}
    {
        cat <<TOML
[daemon]
workers = 2
control-socket = "$sock"

[interface]
name = "tunsec0"
address = [$ifaddr]

$extra_policy
[[policy]]
src-address = "$src"
dst-address = "$dst"
sa-src-address = "$sa_src"
sa-dst-address = "$sa_dst"
tunnel = $tunnel
ipsec-protocols = "$proto"
manual-sa = "peer"

[[manual-sa]]
name = "peer"
nat-t = $natt
TOML
        if [ "$proto" = esp ]; then
            echo "esp-enc-algorithm = \"$enc\""
            echo "esp-enc-key = \"0x$in_key/0x$out_key\""
            echo "esp-auth-algorithm = \"$auth\""
            if [ "$auth" = null ]; then
                echo 'esp-auth-key = ""'
            else
                echo "esp-auth-key = \"0x$in_auth/0x$out_auth\""
            fi
            echo "esp-spi = \"$in_spi/$out_spi\""
        else
            echo "ah-algorithm = \"$auth\""
            echo "ah-key = \"0x$in_auth/0x$out_auth\""
            echo "ah-spi = \"$in_spi/$out_spi\""
        fi
    } >"$file"
}

# start NS CONFIG: runs tunsec in a namespace and waits for its TUN device.
start() {
    local ns=$1 cfg=$2
    if ! "$TUNSEC" check -c "$cfg" >"$WORK/$ns.check" 2>&1; then
        cat "$WORK/$ns.check"
        fail "tunsec check refused $cfg"
        return 1
    fi
    ns_spawn "$ns" "$WORK/$ns.log" "$TUNSEC" run -c "$cfg" >/dev/null
    if ! wait_for 10 in_ns "$ns" ip link show tunsec0 up; then
        cat "$WORK/$ns.log"
        fail "tunsec in $ns did not bring up tunsec0"
        return 1
    fi
    # Let the workers pick up their SAs.
    sleep 0.3
}

stat_of() { # stat_of NS COUNTER
    "$TUNSEC" print statistics -s "$WORK/$1.sock" | awk -F': ' -v k="$2" '{gsub(/ /,"",$1)} $1==k {print $2}'
}

check_no_ping() {
    local ns=$1 dst=$2
    if in_ns "$ns" ping -c 2 -i 0.2 -W 1 "$dst" >/dev/null 2>&1; then
        fail "ping $dst from $ns succeeded but should not"
    else
        log "ping $dst from $ns: blocked, as expected"
    fi
}

check_iperf() { # check_iperf CLIENT_NS SERVER_NS SERVER_ADDR [iperf args]
    local c=$1 s=$2 addr=$3; shift 3
    ns_spawn "$s" "$WORK/iperf-server.log" iperf3 -s -1 -B "$addr" >/dev/null
    wait_for 5 in_ns "$s" sh -c "ss -ltn | grep -q ':5201'"
    if in_ns "$c" iperf3 -c "$addr" -t 2 -J "$@" >"$WORK/iperf.json" 2>"$WORK/iperf.err"; then
        local bps
        bps=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"])' "$WORK/iperf.json")
        log "iperf3 $c -> $addr: $(python3 -c "print(f'{$bps/1e9:.2f}')") Gbit/s"
        python3 -c "import sys; sys.exit(0 if $bps > 1e6 else 1)" || fail "iperf3 throughput too low ($bps bit/s)"
    else
        cat "$WORK/iperf.err"
        fail "iperf3 $c -> $addr"
    fi
}

# capture NS IFACE FILE [BPF]: starts tshark on an interface; stop with stop_capture.
# Test cases ------------------------------------------------------------------------------

KEY_SIZES=("aes-128-gcm:20:null:0" "aes-256-cbc:32:sha256:32" "chacha20-poly1305:36:null:0")

pair_configs() { # pair_configs ENC AUTH PROTO TUNNEL NATT FAMILY [EXTRA_A]
    local enc=$1 auth=$2 proto=$3 tunnel=$4 natt=$5 family=$6 extra=${7:-}
    local klen=0 alen=0
    case $enc in
        aes-128-gcm) klen=20 ;; aes-256-cbc) klen=32 ;; chacha20-poly1305) klen=36 ;;
        aes-128-cbc) klen=16 ;; null) klen=0 ;;
    esac
    case $auth in md5) alen=16 ;; sha1) alen=20 ;; sha256) alen=32 ;; sha384) alen=48 ;; sha512) alen=64 ;; *) alen=0 ;; esac
    K_AB=$(hexkey $klen); K_BA=$(hexkey $klen); A_AB=$(hexkey $alen); A_BA=$(hexkey $alen)
    local src_a dst_a addr_a addr_b
    if [ "$tunnel" = false ]; then
        src_a=192.0.2.1/32 dst_a=192.0.2.2/32 addr_a='"10.201.1.1/24"' addr_b='"10.201.2.1/24"'
    elif [ "$family" = 6 ]; then
        src_a=2001:db8:201:1::/64 dst_a=2001:db8:201:2::/64
        addr_a='"2001:db8:201:1::1/64"' addr_b='"2001:db8:201:2::1/64"'
    else
        src_a=10.201.1.0/24 dst_a=10.201.2.0/24 addr_a='"10.201.1.1/24"' addr_b='"10.201.2.1/24"'
    fi
    # OUTER=6 runs the SAs between the link's IPv6 addresses instead.
    local out_a=192.0.2.1 out_b=192.0.2.2
    if [ "${OUTER:-4}" = 6 ]; then out_a=2001:db8:2::1 out_b=2001:db8:2::2; fi
    manual_config "$WORK/a.toml" "$WORK/a.sock" "$addr_a" "$src_a" "$dst_a" $out_a $out_b \
        "$tunnel" "$proto" "$enc" "$auth" "$K_BA" "$K_AB" "$A_BA" "$A_AB" 0x2001 0x1001 "$natt" "$extra"
    manual_config "$WORK/b.toml" "$WORK/b.sock" "$addr_b" "$dst_a" "$src_a" $out_b $out_a \
        "$tunnel" "$proto" "$enc" "$auth" "$K_AB" "$K_BA" "$A_AB" "$A_BA" 0x1001 0x2001 "$natt"
}

case_esp_gcm_tunnel() {
    topology_pair
    pair_configs aes-128-gcm null esp true false 4
    start a "$WORK/a.toml" && start b "$WORK/b.toml" || return
    capture b v-b-a "$WORK/wire.pcap"
    check_ping a 10.201.2.1 -I 10.201.1.1
    stop_capture
    check_iperf a b 10.201.2.1 -B 10.201.1.1
    # tshark decrypts the captured ESP with the configured key and finds the ICMP inside.
    local sa="\"IPv4\",\"192.0.2.1\",\"192.0.2.2\",\"0x00001001\",\"AES-GCM with 16 octet ICV [RFC4106]\",\"0x$K_AB\",\"NULL\",\"\""
    local decoded
    decoded=$(tshark -r "$WORK/wire.pcap" -o esp.enable_encryption_decode:TRUE -o "uat:esp_sa:$sa" \
        -Y "esp.spi == 0x1001 && icmp.type == 8" -T fields -e ip.src -e ip.dst 2>&1 | sort -u)
    if echo "$decoded" | grep -q "10.201.1.1"; then
        log "tshark decrypted ESP spi 0x1001: inner ICMP echo $(echo "$decoded" | head -1 | tr '\t' ' ')"
    else
        echo "$decoded"
        fail "tshark could not decrypt the captured ESP"
    fi
    if tshark -r "$WORK/wire.pcap" -Y "icmp && !esp" 2>/dev/null | grep -q .; then
        fail "plain ICMP seen on the outer link"
    fi
}

case_esp_cbc_sha256_tunnel() {
    topology_pair
    pair_configs aes-256-cbc sha256 esp true false 4
    start a "$WORK/a.toml" && start b "$WORK/b.toml" || return
    capture b v-b-a "$WORK/wire.pcap"
    check_ping a 10.201.2.1 -I 10.201.1.1
    stop_capture
    check_iperf a b 10.201.2.1 -B 10.201.1.1
    local sa="\"IPv4\",\"192.0.2.1\",\"192.0.2.2\",\"0x00001001\",\"AES-CBC [RFC3602]\",\"0x$K_AB\",\"HMAC-SHA-256-128 [RFC4868]\",\"0x$A_AB\""
    if tshark -r "$WORK/wire.pcap" -o esp.enable_encryption_decode:TRUE -o esp.enable_authentication_check:TRUE \
        -o "uat:esp_sa:$sa" -Y "esp.spi == 0x1001 && icmp.type == 8" 2>/dev/null | grep -q ICMP; then
        log "tshark decrypted AES-256-CBC ESP and found the ICMP echo"
    else
        fail "tshark could not decrypt AES-CBC+HMAC-SHA-256 ESP"
    fi
}

case_esp_ipv6_inside() {
    topology_pair
    pair_configs chacha20-poly1305 null esp true false 6
    start a "$WORK/a.toml" && start b "$WORK/b.toml" || return
    check_ping a 2001:db8:201:2::1 -I 2001:db8:201:1::1
    check_iperf a b 2001:db8:201:2::1 -B 2001:db8:201:1::1
}

case_esp_transport() {
    topology_pair
    pair_configs aes-128-gcm null esp false false 4
    start a "$WORK/a.toml" && start b "$WORK/b.toml" || return
    capture b v-b-a "$WORK/wire.pcap"
    check_ping a 192.0.2.2
    stop_capture
    check_iperf a b 192.0.2.2
    if tshark -r "$WORK/wire.pcap" -Y "icmp" 2>/dev/null | grep -q .; then
        fail "ICMP between the endpoints crossed the link unprotected"
    elif tshark -r "$WORK/wire.pcap" -Y "esp && ip.src == 192.0.2.1" 2>/dev/null | grep -q .; then
        log "transport mode: only ESP between 192.0.2.1 and 192.0.2.2 on the wire"
    else
        fail "no ESP captured in transport mode"
    fi
}

case_ah_tunnel() {
    topology_pair
    pair_configs null sha256 ah true false 4
    start a "$WORK/a.toml" && start b "$WORK/b.toml" || return
    capture b v-b-a "$WORK/wire.pcap"
    check_ping a 10.201.2.1 -I 10.201.1.1
    stop_capture
    check_iperf a b 10.201.2.1 -B 10.201.1.1
    if tshark -r "$WORK/wire.pcap" -Y "ah.spi == 0x1001 && icmp.type == 8" 2>/dev/null | grep -q ICMP; then
        log "tshark decodes AH spi 0x1001 carrying the ICMP echo"
    else
        fail "tshark found no AH-protected ICMP"
    fi
}

case_natt_through_nat() {
    topology_nat
    local k_cs k_sc
    k_cs=$(hexkey 20); k_sc=$(hexkey 20)
    # The server knows the client by the NAT's public address.
    manual_config "$WORK/client.toml" "$WORK/client.sock" '"10.201.1.1/24"' 10.201.1.0/24 10.201.2.0/24 \
        198.51.100.2 203.0.113.2 true esp aes-128-gcm null "$k_sc" "$k_cs" "" "" 0x2001 0x1001 true
    manual_config "$WORK/server.toml" "$WORK/server.sock" '"10.201.2.1/24"' 10.201.2.0/24 10.201.1.0/24 \
        203.0.113.2 203.0.113.1 true esp aes-128-gcm null "$k_cs" "$k_sc" "" "" 0x1001 0x2001 true
    # Capture from the start: the first NAT-keepalive goes out as the client starts.
    capture server v-server-nat "$WORK/wire.pcap"
    start client "$WORK/client.toml" && start server "$WORK/server.toml" || return
    check_ping client 10.201.2.1 -I 10.201.1.1
    stop_capture
    check_iperf client server 10.201.2.1 -B 10.201.1.1
    if tshark -r "$WORK/wire.pcap" -Y "udp.port == 4500 && esp && ip.src == 203.0.113.1" 2>/dev/null | grep -q .; then
        log "ESP-in-UDP on port 4500 through the NAT (seen from 203.0.113.1)"
    else
        fail "no UDP-encapsulated ESP from the NAT address"
    fi
    # RFC 3948 NAT-keepalive: a UDP-4500 datagram of one 0xFF byte.
    if tshark -r "$WORK/wire.pcap" -Y "udpencap.nat_keepalive && udp.length == 9" -T fields -e udp.payload 2>/dev/null | grep -q "^ff$"; then
        log "NAT-keepalive (one 0xff byte on UDP 4500) seen"
    else
        fail "no NAT-keepalive captured"
    fi
}

# UDP GSO and GRO on the ESP-in-UDP sockets: a TCP train leaves a as one UDP_SEGMENT send (the
# capture on a's veth shows datagrams longer than the MTU, before the veth cuts them up), b's
# socket takes trains in (fewer UDP receives than ESP packets), and with segmentation done in
# software before the capture point, tshark decrypts ordinary ESP-in-UDP carrying iperf3's TCP.
case_udp_gso_gro() {
    topology_pair
    pair_configs aes-128-gcm null esp true true 4
    start a "$WORK/a.toml" && start b "$WORK/b.toml" || return
    capture a v-a-b "$WORK/gso.pcap" "udp port 4500"
    local rx0
    rx0=$(in_ns b awk '/^Udp:/ && ++n == 2 {print $2}' /proc/net/snmp)
    check_iperf a b 10.201.2.1 -B 10.201.1.1
    stop_capture
    local trains
    trains=$(tshark -r "$WORK/gso.pcap" -Y "udp.port == 4500 && frame.len > 1600" 2>/dev/null | wc -l)
    if [ "$trains" -gt 0 ]; then
        log "UDP GSO: $trains sends longer than the MTU left a"
    else
        fail "no UDP GSO sends seen on a's veth"
    fi
    local rx1 packets
    rx1=$(in_ns b awk '/^Udp:/ && ++n == 2 {print $2}' /proc/net/snmp)
    packets=$("$TUNSEC" print installed-sa -s "$WORK/b.sock" | awk '/direction=in/ {for (i = 1; i <= NF; i++) if ($i ~ /^current-packets=/) {split($i, a, "="); print a[2]}}')
    log "UDP GRO: b's UDP socket took $((rx1 - rx0)) receives for $packets ESP packets"
    [ "$packets" -gt $(( (rx1 - rx0) * 2 )) ] || fail "b did not receive coalesced UDP trains"
    if ! command -v ethtool >/dev/null; then
        log "(ethtool missing: skipping the decrypt-after-segmentation check)"
        return
    fi
    # Segment in software before the capture point, so the capture holds what a NIC would
    # put on the wire, and decrypt it.
    in_ns a ethtool -K v-a-b tx-udp-segmentation off >/dev/null 2>&1
    capture a v-a-b "$WORK/wire.pcap" "udp port 4500"
    check_iperf a b 10.201.2.1 -B 10.201.1.1 -t 1
    stop_capture
    local sa="\"IPv4\",\"192.0.2.1\",\"192.0.2.2\",\"0x00001001\",\"AES-GCM with 16 octet ICV [RFC4106]\",\"0x$K_AB\",\"NULL\",\"\""
    local tcp big
    tcp=$(tshark -r "$WORK/wire.pcap" -o esp.enable_encryption_decode:TRUE -o "uat:esp_sa:$sa" \
        -Y "esp.spi == 0x1001 && tcp.dstport == 5201" 2>/dev/null | wc -l)
    big=$(tshark -r "$WORK/wire.pcap" -Y "frame.len > 1600" 2>/dev/null | wc -l)
    if [ "$tcp" -gt 100 ] && [ "$big" = 0 ]; then
        log "tshark decrypted $tcp ESP-in-UDP datagrams carrying iperf3 TCP, none longer than the MTU"
    else
        fail "after software segmentation: $tcp decrypted TCP segments, $big oversized frames"
    fi
}

case_discard_policy() {
    topology_pair
    local extra='[[policy]]
src-address = "10.201.1.0/24"
dst-address = "10.201.2.66/32"
action = "discard"
'
    pair_configs aes-128-gcm null esp true false 4 "$extra"
    start a "$WORK/a.toml" && start b "$WORK/b.toml" || return
    in_ns b ip addr add 10.201.2.66/32 dev tunsec0
    check_no_ping a 10.201.2.66
    check_ping a 10.201.2.1 -I 10.201.1.1
    local blocked
    blocked=$(stat_of a out-policy-blocked)
    if [ "${blocked:-0}" -ge 2 ]; then
        log "out-policy-blocked = $blocked"
    else
        fail "out-policy-blocked = ${blocked:-?}, expected >= 2"
    fi
}

case_wrong_key() {
    topology_pair
    pair_configs aes-128-gcm null esp true false 4
    # B gets a different incoming key than A sends with.
    sed -i "s/esp-enc-key = \"0x$K_AB\//esp-enc-key = \"0x$(hexkey 20)\//" "$WORK/b.toml"
    start a "$WORK/a.toml" && start b "$WORK/b.toml" || return
    check_no_ping a 10.201.2.1
    local errors
    errors=$(stat_of b in-state-protocol-errors)
    if [ "${errors:-0}" -ge 2 ]; then
        log "wrong key: in-state-protocol-errors = $errors on the receiver"
    else
        fail "in-state-protocol-errors = ${errors:-?}, expected >= 2"
    fi
    if ! kill -0 "${TS_PIDS[1]}" 2>/dev/null; then
        fail "tunsec on the receiver exited"
    fi
    "$TUNSEC" print installed-sa -s "$WORK/b.sock" | sed 's/^/   /' | head -4
}

case_mtu_and_mss() {
    topology_pair
    pair_configs aes-256-cbc sha256 esp true false 4
    start a "$WORK/a.toml" && start b "$WORK/b.toml" || return
    local mtu
    mtu=$(in_ns a cat /sys/class/net/tunsec0/mtu)
    log "tunnel MTU derived from the SA overhead: $mtu"
    # A DF packet that fits the link but not the tunnel: the sender learns the tunnel MTU.
    # (-s is the ICMP payload: IPv4 20 + ICMP 8 more.)
    if in_ns a ping -c 1 -W 2 -M do -s $((mtu - 28)) -I 10.201.1.1 10.201.2.1 >/dev/null 2>&1; then
        log "ping of exactly the tunnel MTU: ok"
    else
        fail "a packet of exactly the tunnel MTU did not pass"
    fi
    in_ns a ip route flush cache 2>/dev/null
    # Route through the TUN with a larger MTU than it has, so the kernel hands tunsec an
    # oversized DF packet instead of refusing it locally.
    in_ns a ip link set tunsec0 mtu 1500
    local out
    out=$(in_ns a ping -c 2 -W 2 -M do -s 1400 -I 10.201.1.1 10.201.2.1 2>&1 || true)
    if echo "$out" | grep -qi "frag needed.*mtu = $mtu"; then
        log "oversized DF packet: ICMP fragmentation needed, mtu = $mtu"
    else
        echo "$out"
        fail "no ICMP fragmentation-needed reply with mtu $mtu"
    fi
    in_ns a ip link set tunsec0 mtu "$mtu"
    # SYNs entering the tunnel have their MSS clamped to the tunnel MTU minus 40.
    capture b tunsec0 "$WORK/inner.pcap" "tcp[tcpflags] & tcp-syn != 0"
    ns_spawn b "$WORK/iperf-server.log" iperf3 -s -1 -B 10.201.2.1 >/dev/null
    wait_for 5 in_ns b sh -c "ss -ltn | grep -q ':5201'"
    in_ns a ip link set tunsec0 mtu 1500
    in_ns a iperf3 -c 10.201.2.1 -B 10.201.1.1 -t 1 >/dev/null 2>&1
    in_ns a ip link set tunsec0 mtu "$mtu"
    stop_capture
    local mss
    mss=$(tshark -r "$WORK/inner.pcap" -Y "tcp.flags.syn == 1 && tcp.flags.ack == 0" -T fields -e tcp.options.mss_val 2>/dev/null | head -1)
    if [ -n "$mss" ] && [ "$mss" -le $((mtu - 40)) ]; then
        log "SYN MSS clamped to $mss (sender offered 1460)"
    else
        fail "SYN MSS ${mss:-?} not clamped to <= $((mtu - 40))"
    fi
}

case_clean_shutdown() {
    topology_pair
    pair_configs aes-128-gcm null esp false false 4
    start a "$WORK/a.toml" || return
    local pid=${TS_PIDS[0]}
    kill -TERM "$pid"
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then fail "tunsec did not exit on SIGTERM"; return; fi
    wait "$pid" 2>/dev/null
    local left=""
    in_ns a ip link show tunsec0 >/dev/null 2>&1 && left+=" tunsec0"
    in_ns a ip rule | grep -q 0x7453 && left+=" ip-rule"
    in_ns a ip -6 rule | grep -q 0x7453 && left+=" ip6-rule"
    [ -n "$(in_ns a ip route show table 201 2>/dev/null)" ] && left+=" table-201-routes"
    [ -e "$WORK/a.sock" ] && left+=" control-socket"
    in_ns a ss -uapn | grep -q tunsec && left+=" sockets"
    if [ -z "$left" ]; then
        log "SIGTERM: exited, no TUN device, rules, routes, sockets or socket file left"
    else
        fail "left behind after SIGTERM:$left"
    fi
}

case_sighup_reload() {
    topology_pair
    pair_configs aes-128-gcm null esp true false 4
    # A second tunnel, 10.201.1.0/24 <-> 10.201.3.0/24, with its own manual SA.
    local k1 k2
    k1=$(hexkey 20); k2=$(hexkey 20)
    second() { # second FILE SRC DST SA_SRC SA_DST IN_KEY OUT_KEY IN_SPI OUT_SPI
        cat >>"$1" <<TOML

[[policy]]
src-address = "$2"
dst-address = "$3"
sa-src-address = "$4"
sa-dst-address = "$5"
tunnel = true
manual-sa = "second"

[[manual-sa]]
name = "second"
esp-enc-algorithm = "aes-128-gcm"
esp-enc-key = "0x$6/0x$7"
esp-spi = "$8/$9"
TOML
    }
    second "$WORK/a.toml" 10.201.1.0/24 10.201.3.0/24 192.0.2.1 192.0.2.2 "$k2" "$k1" 0x2002 0x1002
    second "$WORK/b.toml" 10.201.3.0/24 10.201.1.0/24 192.0.2.2 192.0.2.1 "$k1" "$k2" 0x1002 0x2002
    sed -i 's|address = \["10.201.2.1/24"\]|address = ["10.201.2.1/24", "10.201.3.1/24"]|' "$WORK/b.toml"
    start a "$WORK/a.toml" && start b "$WORK/b.toml" || return
    check_ping a 10.201.2.1 -I 10.201.1.1
    check_ping a 10.201.3.1 -I 10.201.1.1
    local before
    before=$("$TUNSEC" print installed-sa -s "$WORK/b.sock" | grep "spi=0x1001 " | grep -o "current-packets=[0-9]*")
    # New keys and SPIs for the second tunnel only, on both sides.
    local n1 n2
    n1=$(hexkey 20); n2=$(hexkey 20)
    sed -i "s|0x$k2/0x$k1|0x$n2/0x$n1|; s|0x2002/0x1002|0x2003/0x1003|" "$WORK/a.toml"
    sed -i "s|0x$k1/0x$k2|0x$n1/0x$n2|; s|0x1002/0x2002|0x1003/0x2003|" "$WORK/b.toml"
    kill -HUP "${TS_PIDS[0]}" "${TS_PIDS[1]}"
    sleep 0.5
    grep -h "reload" "$WORK/a.log" "$WORK/b.log" | sed 's/^/   /'
    check_ping a 10.201.3.1 -I 10.201.1.1
    check_ping a 10.201.2.1 -I 10.201.1.1
    local sas
    sas=$("$TUNSEC" print installed-sa -s "$WORK/b.sock")
    if echo "$sas" | grep -q "spi=0x1003 " && ! echo "$sas" | grep -q "spi=0x1002 "; then
        log "second tunnel now runs on SPI 0x1003 with new keys"
    else
        echo "$sas"
        fail "second tunnel's SA was not replaced"
    fi
    local after
    after=$(echo "$sas" | grep "spi=0x1001 " | grep -o "current-packets=[0-9]*")
    if [ "${after#*=}" -gt "${before#*=}" ]; then
        log "first tunnel's SA kept running through the reload ($before -> $after)"
    else
        fail "first tunnel's SA was reset by the reload ($before -> $after)"
    fi
    # A broken file is refused and the running configuration stays.
    echo "this is not = = toml" >>"$WORK/a.toml"
    kill -HUP "${TS_PIDS[0]}"
    sleep 0.3
    if grep -q "refused" "$WORK/a.log"; then
        log "a broken config on SIGHUP is refused: $(grep -m1 -A1 refused "$WORK/a.log" | tail -1)"
    else
        fail "broken config on SIGHUP was not refused"
    fi
    check_ping a 10.201.2.1 -I 10.201.1.1
}

case_lifetime() {
    topology_pair
    pair_configs aes-128-gcm null esp true false 4
    sed -i 's/^nat-t = false$/nat-t = false\nlifetime = "3s"/' "$WORK/a.toml" "$WORK/b.toml"
    start a "$WORK/a.toml" && start b "$WORK/b.toml" || return
    check_ping a 10.201.2.1 -I 10.201.1.1
    sleep 4
    check_no_ping a 10.201.2.1
    local left
    left=$("$TUNSEC" print installed-sa -s "$WORK/a.sock" | grep -c "spi=" || true)
    if [ "$left" -eq 0 ] && grep -q "hard lifetime" "$WORK/a.log"; then
        log "hard lifetime of 3s: SAs removed ($(grep -c 'hard lifetime' "$WORK/a.log") events), traffic stops"
    else
        fail "SAs not removed after their hard lifetime ($left left)"
    fi
    local nostate
    nostate=$(stat_of a out-no-states)
    [ "${nostate:-0}" -ge 1 ] && log "out-no-states = $nostate after expiry" || fail "out-no-states not counted after expiry"
}

case_ipv6_outer() {
    local proto
    for proto in esp-raw esp-udp ah; do
        topology_pair
        case $proto in
            esp-raw) OUTER=6 pair_configs aes-128-gcm null esp true false 4 ;;
            esp-udp) OUTER=6 pair_configs aes-128-gcm null esp true true 4 ;;
            ah) OUTER=6 pair_configs null sha512 ah true false 4 ;;
        esac
        start a "$WORK/a.toml" && start b "$WORK/b.toml" || return
        capture b v-b-a "$WORK/wire.pcap"
        log "$proto over IPv6 (2001:db8:2::1 <-> 2001:db8:2::2):"
        check_ping a 10.201.2.1 -I 10.201.1.1
        stop_capture
        local filter="esp"
        [ "$proto" = ah ] && filter="ah && icmp"
        [ "$proto" = esp-udp ] && filter="udp.port == 4500 && esp"
        if tshark -r "$WORK/wire.pcap" -Y "ipv6.src == 2001:db8:2::1 && $filter" 2>/dev/null | grep -q .; then
            log "tshark sees $filter from 2001:db8:2::1"
        else
            fail "no $filter over IPv6 on the wire"
        fi
        ns_cleanup
    done
    topology_pair
}

CASES=(esp_gcm_tunnel esp_cbc_sha256_tunnel esp_ipv6_inside esp_transport ah_tunnel
       natt_through_nat udp_gso_gro discard_policy wrong_key mtu_and_mss clean_shutdown sighup_reload lifetime ipv6_outer)

run_cases netns "${ONLY[@]}"
