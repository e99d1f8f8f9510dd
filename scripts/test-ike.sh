#!/usr/bin/env bash
# IKEv2 interoperability tests in network namespaces: tunsec against strongSwan's charon
# (strongSwan 5.9 with kernel-libipsec, the userspace ESP this kernel allows) in both roles,
# through a NAT, with PFS, rekeying under load, dead peer detection and a proposal mismatch;
# tunsec against tunsec; and charon against charon, which checks this harness on its own
# and gives the throughput the tunsec cases are compared with.
#
# strongSwan 5.9's libipsec only does UDP-encapsulated ESP, so charon runs with `encap = yes`
# and fakes a NAT in its NAT_DETECTION payloads: tunsec must float to port 4500 and send
# ESP-in-UDP exactly as behind a real NAT. tunsec <-> tunsec without a NAT uses plain ESP.
#
# Usage: scripts/test-ike.sh [TUNSEC_BINARY] [CASE...]
#   TUNSEC_BINARY  default target/release/tunsec (cargo build --release -p tunsec); needed only
#                  when a selected case runs tunsec, so the charon_charon_* cases run without it
#   CASE           a case name (see CASES at the end), or a prefix ending before "_tunsec_init"
#                  / "_charon_init" that selects both roles, e.g. psk_cbc_sha256_modp2048;
#                  default: every case
#   IKE_KEEP=1     keep the work directory (configs, logs, captures) and print its path
#   IKE_IPERF_SECONDS=3  length of the throughput runs of the tunnel cases
# Prints "ike: N passed, M failed" last; exits 0 when every selected case passed, 1 when one
# failed, 2 when the environment is not usable.
#
# Topologies (scripts/lib/netns.sh), namespaces named $TS_ID-*:
#   pair: a 192.0.2.1 ---- b 192.0.2.2; LANs 10.201.1.1 (a) and 10.201.2.1 (b) on the TUN
#         (tunsec) or on lo (charon, routed through ipsec0 by charon's table 220)
#   nat:  client 198.51.100.2 -- nat (masquerade to 203.0.113.1) -- server 203.0.113.2;
#         the client is side a (LAN 10.201.1.1), the server side b (LAN 10.201.2.1)
# Needs root, iproute2, iperf3, tshark (with dumpcap), nftables, python3, strongSwan (charon,
# swanctl, kernel-libipsec, gcm, curve25519, openssl plugins; scripts/install-deps.sh).
# shellcheck disable=SC2015 # "A && B || C" here means: C when A or B fails
# shellcheck disable=SC2016 # sh -c scripts take their values as arguments
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
TS_ID=${TS_ID:-ike$$}
# shellcheck source=scripts/lib/netns.sh
. scripts/lib/netns.sh
# shellcheck source=scripts/lib/strongswan.sh
. scripts/lib/strongswan.sh
# shellcheck source=scripts/lib/ike-config.sh
. scripts/lib/ike-config.sh

IPERF_SECONDS=${IKE_IPERF_SECONDS:-3}
IKE_PSK="ike-test-$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')"
PASSED=0
FAILED=0
FAILURES=()
SUMMARY=()
BASELINE_GBPS=""
CASE_OK=1
CASE_NAME=""
CASE_DIR=""
WORK=""

log() { printf '   %s\n' "$*"; }

fail() {
    log "FAIL: $*"
    CASE_OK=0
}

indent() { sed 's/^/      /'; }

now() { echo "$EPOCHREALTIME"; }

# elapsed T0 [T1]: seconds between two now() values, two decimals.
elapsed() { awk -v a="$1" -v b="${2:-$EPOCHREALTIME}" 'BEGIN { printf "%.2f", b - a }'; }

# poll SECONDS CMD...: retries CMD every 0.05 s until it succeeds or SECONDS (may be
# fractional) have passed.
poll() {
    local deadline
    deadline=$(awk -v n="$EPOCHREALTIME" -v l="$1" 'BEGIN { printf "%.3f", n + l }')
    shift
    while :; do
        "$@" >/dev/null 2>&1 && return 0
        awk -v n="$EPOCHREALTIME" -v d="$deadline" 'BEGIN { exit !(n >= d) }' && return 1
        sleep 0.05
    done
}

# stop_spawned PID [SIGNAL]: ends one process started with ns_spawn (SIGNAL, default TERM,
# then KILL after 5 s), reaps it and drops it from TS_PIDS, so ns_cleanup never signals a PID
# that may since have been reused.
stop_spawned() {
    local pid=$1 sig=${2:-TERM} p keep=()
    kill "-$sig" "$pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    for p in "${TS_PIDS[@]}"; do [ "$p" = "$pid" ] || keep+=("$p"); done
    TS_PIDS=("${keep[@]}")
}

# Endpoints --------------------------------------------------------------------------------
# Each case has two sides, a and b, each a tunsec or a charon; the ep_* functions hide which.
declare -A EP_KIND EP_NS EP_LAN EP_OUTER EP_PEER EP_PEER_ID EP_LNET EP_RNET EP_PID EP_CONF EP_SOCK EP_LOG
# Algorithm options every tunsec endpoint (ike_tunsec_config) and every charon endpoint
# (ike_charon_config) of the current case gets; set by the case.
ALG_T=()
ALG_C=()

other() { if [ "$1" = a ]; then echo b; else echo a; fi; }

# ep_define SIDE KIND NS LAN OUTER PEER PEER_ID LOCAL_NET REMOTE_NET
ep_define() {
    local s=$1
    EP_KIND[$s]=$2 EP_NS[$s]=$3 EP_LAN[$s]=$4 EP_OUTER[$s]=$5 EP_PEER[$s]=$6 EP_PEER_ID[$s]=$7
    EP_LNET[$s]=$8 EP_RNET[$s]=$9 EP_PID[$s]=""
    if [ "$2" = tunsec ]; then
        EP_CONF[$s]=$CASE_DIR/tunsec-$s.toml EP_SOCK[$s]=$CASE_DIR/tunsec-$s.sock
        EP_LOG[$s]=$CASE_DIR/tunsec-$s.log
    else
        EP_CONF[$s]=$CASE_DIR/charon-$s EP_SOCK[$s]="" EP_LOG[$s]=$CASE_DIR/charon-$s/charon.log
    fi
}

# setup_pair KIND_A KIND_B: topology_pair with side a in ns a and side b in ns b.
setup_pair() {
    topology_pair
    ep_define a "$1" a 10.201.1.1 192.0.2.1 192.0.2.2 192.0.2.2 10.201.1.0/24 10.201.2.0/24
    ep_define b "$2" b 10.201.2.1 192.0.2.2 192.0.2.1 192.0.2.1 10.201.2.0/24 10.201.1.0/24
    WIRE_NS=b WIRE_IF=v-b-a
}

# setup_nat KIND_CLIENT KIND_SERVER: topology_nat with side a the client behind the NAT and
# side b the server. The server knows the client by the NAT's address, 203.0.113.1, and by
# the identity the client claims, its own address 198.51.100.2.
setup_nat() {
    topology_nat
    ep_define a "$1" client 10.201.1.1 198.51.100.2 203.0.113.2 203.0.113.2 10.201.1.0/24 10.201.2.0/24
    ep_define b "$2" server 10.201.2.1 203.0.113.2 203.0.113.1 198.51.100.2 10.201.2.0/24 10.201.1.0/24
    WIRE_NS=nat WIRE_IF=v-nat-server
}

# ep_config SIDE PASSIVE [KEY=VALUE...]: writes the side's configuration with the case's
# ALG_T or ALG_C and the extra options (for that side's kind). PASSIVE (true/false) matters
# to tunsec only; a charon initiates when ep_initiate asks it to.
ep_config() {
    local s=$1 passive=$2; shift 2
    if [ "${EP_KIND[$s]}" = tunsec ]; then
        ike_tunsec_config "${EP_CONF[$s]}" sock="${EP_SOCK[$s]}" lan="${EP_LAN[$s]}/24" \
            local="${EP_OUTER[$s]}" peer="${EP_PEER[$s]}" \
            local_net="${EP_LNET[$s]}" remote_net="${EP_RNET[$s]}" passive="$passive" \
            "${ALG_T[@]}" "$@"
    else
        in_ns "${EP_NS[$s]}" ip addr add "${EP_LAN[$s]}/32" dev lo
        ike_charon_config "${EP_CONF[$s]}" local="${EP_OUTER[$s]}" remote="${EP_PEER[$s]}" \
            remote_id="${EP_PEER_ID[$s]}" local_ts="${EP_LNET[$s]}" remote_ts="${EP_RNET[$s]}" \
            "${ALG_C[@]}" "$@"
    fi
}

udp500_bound() { [ -n "$(in_ns "$1" ss -Hlun 'sport = :500')" ]; }
tun_up() { [ -n "$(in_ns "$1" ip link show tunsec0 up 2>/dev/null)" ]; }

# ep_start SIDE: starts the side's daemon and waits until it listens for IKE.
ep_start() {
    local s=$1 ns=${EP_NS[$1]}
    if [ "${EP_KIND[$s]}" = tunsec ]; then
        if ! timeout 10 "$TUNSEC" check -c "${EP_CONF[$s]}" >"$CASE_DIR/check-$s.out" 2>&1; then
            indent <"$CASE_DIR/check-$s.out"
            fail "tunsec check refused ${EP_CONF[$s]}"
            return 1
        fi
        ns_spawn "$ns" "${EP_LOG[$s]}" "$TUNSEC" run -c "${EP_CONF[$s]}" >/dev/null
        EP_PID[$s]=${TS_PIDS[-1]}
        if ! poll 10 tun_up "$ns" || ! poll 5 udp500_bound "$ns"; then
            fail "tunsec ($s, ns $ns) did not bring up tunsec0 and UDP port 500"
            return 1
        fi
    else
        if ! swan_start "$ns" "${EP_CONF[$s]}" 2>"$CASE_DIR/swan-start-$s.err"; then
            grep -v '^opening directory' "$CASE_DIR/swan-start-$s.err" | indent
            fail "charon ($s, ns $ns) did not start"
            return 1
        fi
        EP_PID[$s]=$SWAN_PID
    fi
}

# ts SIDE MENU: `tunsec print MENU` against the side's control socket.
ts() { timeout 5 "$TUNSEC" print "$2" -s "${EP_SOCK[$1]}" 2>&1; }

# tunsec's view, from `print remote-peers` (a row with state=established) and
# `print installed-sa` (rows with spi=).
ts_established() { ts "$1" remote-peers | grep -q 'state=established'; }
ts_sa_count() { ts "$1" installed-sa | grep -c 'spi=0x'; }
ts_spis() { ts "$1" installed-sa | grep -o 'spi=0x[0-9A-Fa-f]*' | sort | tr '\n' ' ' | sed 's/ $//'; }

# ts_bytes SIDE in|out: current-bytes summed over the inbound SAs (dst-address is this side's
# outer address) or the outbound ones (src-address is).
ts_bytes() {
    local key=src-address
    [ "$2" = in ] && key=dst-address
    ts "$1" installed-sa | awk -v key="$key" -v addr="${EP_OUTER[$1]}" '
        { mine = 0; b = 0
          for (i = 1; i <= NF; i++) {
              split($i, kv, "=")
              if (kv[1] == key) { v = kv[2]; sub(/:[0-9]+$/, "", v); mine = (v == addr) }
              if (kv[1] == "current-bytes") b = kv[2]
          }
          if (mine) sum += b }
        END { printf "%.0f\n", sum }'
}

# ep_up SIDE: the side has an IKE SA and an installed child SA (charon: and its route).
ep_up() {
    local s=$1
    if [ "${EP_KIND[$s]}" = tunsec ]; then
        ts_established "$s" && [ "$(ts_sa_count "$s")" -ge 2 ]
    else
        swan_child_installed "${EP_CONF[$s]}" && swan_route_src "${EP_NS[$s]}" "${EP_RNET[$s]}" >/dev/null
    fi
}

# ep_ike_up SIDE: the side has an established IKE SA.
ep_ike_up() {
    if [ "${EP_KIND[$1]}" = tunsec ]; then ts_established "$1"; else swan_ike_established "${EP_CONF[$1]}"; fi
}

ep_spis() {
    if [ "${EP_KIND[$1]}" = tunsec ]; then ts_spis "$1"; else swan_child_spis "${EP_CONF[$1]}"; fi
}

# ep_spis_settled SIDE: the child SPIs, waiting up to 3 s for a rekey in progress to settle.
ep_spis_settled() {
    local spis
    for _ in $(seq 30); do
        spis=$(ep_spis "$1")
        [ -n "$spis" ] && break
        sleep 0.1
    done
    echo "$spis"
}

ep_has_sa() {
    if [ "${EP_KIND[$1]}" = tunsec ]; then [ "$(ts_sa_count "$1")" -gt 0 ]; else swan_child_installed "${EP_CONF[$1]}"; fi
}

# ep_bytes SIDE in|out
ep_bytes() {
    if [ "${EP_KIND[$1]}" = tunsec ]; then
        ts_bytes "$1" "$2"
    else
        local b
        b=$(swan_child_bytes "${EP_CONF[$1]}")
        if [ "$2" = in ]; then echo "${b% *}"; else echo "${b#* }"; fi
    fi
}

# spis_changed SIDE OLD: the side's child SPIs are no longer OLD.
spis_changed() { [ "$(ep_spis "$1")" != "$2" ]; }

ep_ike_down() { ! ep_ike_up "$1"; }
ep_no_sa() { ! ep_has_sa "$1"; }

both_up() { ep_up a && ep_up b; }

ep_alive() { [ -n "${EP_PID[$1]}" ] && kill -0 "${EP_PID[$1]}" 2>/dev/null; }

# ep_initiate SIDE [LIMIT]: a charon initiates the child "net" (a tunsec with passive = false
# initiates by itself when it starts).
ep_initiate() {
    local s=$1 limit=${2:-10}
    [ "${EP_KIND[$s]}" = charon ] || return 0
    if ! swan_ctl "${EP_CONF[$s]}" --initiate --child net --timeout "$limit" >"$CASE_DIR/initiate-$s.out" 2>&1; then
        log "swanctl --initiate on $s failed: $(grep -v '^\[' "$CASE_DIR/initiate-$s.out" | tail -1)"
        return 1
    fi
}

# ep_diag SIDE: what the side knows and the tail of its log, for a failed case.
ep_diag() {
    local s=$1
    if [ "${EP_KIND[$s]}" = tunsec ]; then
        if ep_alive "$s"; then
            log "== tunsec $s: print remote-peers / installed-sa / statistics (non-zero)"
            { ts "$s" remote-peers; ts "$s" installed-sa; ts "$s" statistics | grep -v ': 0$'; } | indent
        else
            log "== tunsec $s is not running"
        fi
        log "== ${EP_LOG[$s]#"$WORK"/} (last 25 lines)"
        tail -n 25 "${EP_LOG[$s]}" 2>/dev/null | indent
    else
        if ep_alive "$s"; then
            log "== charon $s: swanctl --list-sas"
            swan_ctl "${EP_CONF[$s]}" --list-sas 2>&1 | indent
        fi
        log "== ${EP_LOG[$s]#"$WORK"/} (last 25 lines)"
        tail -n 25 "${EP_LOG[$s]}" 2>/dev/null | indent
    fi
}

diag_all() {
    local s
    for s in a b; do [ -n "${EP_KIND[$s]:-}" ] && ep_diag "$s"; done
}

# Captures --------------------------------------------------------------------------------

# capture_start NAME FILE [BPF]: dumpcap (one process, unlike tshark, which forks dumpcap) on
# the case's outer interface WIRE_IF in WIRE_NS; sets CAP_PID[NAME].
declare -A CAP_PID
capture_start() {
    local name=$1 file=$2 bpf=${3:-}
    local args=(-q -i "$WIRE_IF" -w "$file")
    [ -n "$bpf" ] && args+=(-f "$bpf")
    ns_spawn "$WIRE_NS" "$CASE_DIR/dumpcap-$name.log" dumpcap "${args[@]}" >/dev/null
    CAP_PID[$name]=${TS_PIDS[-1]}
    if ! poll 5 grep -q "Capturing on" "$CASE_DIR/dumpcap-$name.log"; then
        fail "dumpcap did not start on $WIRE_IF"
        indent <"$CASE_DIR/dumpcap-$name.log"
        return 1
    fi
    sleep 0.3
}

capture_stop() {
    [ -n "${CAP_PID[$1]:-}" ] || return 0
    stop_spawned "${CAP_PID[$1]}" INT
    CAP_PID[$1]=""
}

pcap_count() { tshark -r "$1" -T fields -e frame.number 2>/dev/null | grep -c .; }

# wire_check PCAP ESP_KIND (udp: ESP-in-UDP expected, esp: plain ESP expected): every packet
# on the outer link must be IKE (UDP 500/4500), ESP in the expected form, a NAT-keepalive,
# ARP or ICMPv6 (the link's own neighbour discovery and MLD, the latter behind a hop-by-hop
# header); no inner (10.201.0.0/16) address may appear. Prints the handshake time on the
# wire, from the first IKE_SA_INIT request to the first IKE_AUTH response after it, and sets
# WIRE_HANDSHAKE_MS.
wire_check() {
    local pcap=$1 want=$2 out
    WIRE_HANDSHAKE_MS=""
    out=$(tshark -r "$pcap" -T fields -E occurrence=f -e frame.time_epoch -e arp.opcode \
        -e ipv6.nxt -e ip.proto -e ip.src -e ip.dst -e udp.srcport -e udp.dstport \
        -e isakmp.exchangetype -e isakmp.flag_r -e esp.spi 2>/dev/null | awk -F'\t' -v want="$want" '
        function bad(what) { other++; if (other <= 5) printf "   unexpected: %s\n", what }
        {
            t = $1; arp = $2; nxt6 = $3; proto = $4; src = $5; dst = $6; sp = $7; dp = $8
            exch = $9; resp = $10; spi = $11; total++
            if (src ~ /^10\.201\./ || dst ~ /^10\.201\./) { inner++; bad("inner address " src " > " dst); next }
            if (arp != "") { arp_n++; next }
            if (proto == "" && nxt6 != "") { if (nxt6 == 58 || nxt6 == 0) { icmp6++ } else { bad("IPv6 next header " nxt6) }; next }
            if (proto == 17 && (sp == 500 || dp == 500 || sp == 4500 || dp == 4500)) {
                if (exch != "") {
                    ike++
                    if (exch == 34 && (resp == 0 || resp == "False") && t_init == "") t_init = t
                    if (exch == 35 && (resp == 1 || resp == "True") && t_init != "" && t_auth == "") t_auth = t
                } else if (spi != "") { esp_udp++ } else { udp_other++ }
                next
            }
            if (proto == 50) { esp_raw++; next }
            bad("IP protocol " proto " " src " > " dst " ports " sp "/" dp)
        }
        END {
            printf "total=%d ike=%d esp_udp=%d esp_raw=%d keepalive_or_other_udp=%d arp=%d icmpv6=%d inner=%d other=%d\n",
                total, ike, esp_udp, esp_raw, udp_other, arp_n, icmp6, inner, other
            if (t_init != "" && t_auth != "") printf "handshake_ms=%.1f\n", (t_auth - t_init) * 1000
        }')
    local counts
    counts=$(grep '^total=' <<<"$out")
    log "wire ($WIRE_IF): $counts"
    grep '^   unexpected' <<<"$out" | sed 's/^   //' | while read -r line; do log "  $line"; done
    local v
    for v in ike esp_udp esp_raw inner other; do
        local "$v=$(grep -o "\b$v=[0-9]*" <<<"$counts" | cut -d= -f2)"
    done
    [ "${ike:-0}" -gt 0 ] || fail "no IKE messages captured on $WIRE_IF"
    if [ "$want" = udp ]; then
        [ "${esp_udp:-0}" -gt 0 ] || fail "no ESP-in-UDP (port 4500) captured"
        [ "${esp_raw:-0}" -eq 0 ] || fail "$esp_raw plain ESP packets where only ESP-in-UDP works"
    else
        [ "${esp_raw:-0}" -gt 0 ] || fail "no plain ESP captured (no NAT on this path)"
        [ "${esp_udp:-0}" -eq 0 ] || fail "$esp_udp ESP-in-UDP packets on a path without a NAT"
    fi
    [ "${inner:-0}" -eq 0 ] || fail "inner traffic crossed $WIRE_IF in the clear"
    [ "${other:-0}" -eq 0 ] || fail "$other packets of other kinds on $WIRE_IF"
    WIRE_HANDSHAKE_MS=$(grep -o 'handshake_ms=[0-9.]*' <<<"$out" | cut -d= -f2)
    if [ -n "$WIRE_HANDSHAKE_MS" ]; then
        log "handshake on the wire (IKE_SA_INIT request to IKE_AUTH response): ${WIRE_HANDSHAKE_MS} ms"
    else
        log "handshake on the wire: no IKE_SA_INIT request and IKE_AUTH response pair captured"
    fi
}

# Traffic ---------------------------------------------------------------------------------

# check_ping FROM TO: three pings between the sides' LAN addresses.
check_ping() {
    local f=$1 t=$2
    if in_ns "${EP_NS[$f]}" timeout 10 ping -c 3 -i 0.2 -W 2 -I "${EP_LAN[$f]}" "${EP_LAN[$t]}" \
        >"$CASE_DIR/ping.out" 2>&1; then
        log "ping ${EP_LAN[$f]} -> ${EP_LAN[$t]} ($f -> $t): ok ($(grep -o 'rtt.*' "$CASE_DIR/ping.out" || true))"
    else
        indent <"$CASE_DIR/ping.out"
        fail "ping ${EP_LAN[$f]} -> ${EP_LAN[$t]} ($f -> $t)"
    fi
}

# iperf_json EXPR: a Python expression over j, the parsed $CASE_DIR/iperf.json; prints
# nothing when the file or the expression does not work out (iperf3 failed midway).
iperf_json() {
    python3 -c '
import json, sys
try:
    j = json.load(open(sys.argv[1]))
    r = eval(sys.argv[2])
except Exception:
    sys.exit(1)
print(r)' "$CASE_DIR/iperf.json" "$1" 2>/dev/null
}

iperf_server() { # iperf_server SIDE: one-shot iperf3 server on the side's LAN address
    ns_spawn "${EP_NS[$1]}" "$CASE_DIR/iperf-server.log" iperf3 -s -1 -B "${EP_LAN[$1]}" >/dev/null
    IPERF_SERVER_PID=${TS_PIDS[-1]}
    poll 5 in_ns "${EP_NS[$1]}" sh -c "ss -Hltn 'sport = :5201' | grep -q ."
}

# check_iperf CLIENT SERVER SECONDS: iperf3 TCP between the LAN addresses; sets IPERF_GBPS.
# The ESP byte counters of both ends must grow by at least 90 % of what iperf3 moved, so the
# data really went through the SAs.
check_iperf() {
    local c=$1 s=$2 secs=${3:-$IPERF_SECONDS}
    IPERF_GBPS=""
    local out0 in0
    out0=$(ep_bytes "$c" out); in0=$(ep_bytes "$s" in)
    out0=${out0:-0} in0=${in0:-0}
    iperf_server "$s" || { fail "iperf3 server did not listen"; return 1; }
    if ! in_ns "${EP_NS[$c]}" timeout $((secs + 20)) iperf3 -c "${EP_LAN[$s]}" -B "${EP_LAN[$c]}" \
        -t "$secs" --connect-timeout 3000 -J >"$CASE_DIR/iperf.json" 2>"$CASE_DIR/iperf.err"; then
        iperf_json 'j.get("error", "")' | indent
        indent <"$CASE_DIR/iperf.err"
        fail "iperf3 ${EP_LAN[$c]} -> ${EP_LAN[$s]}"
        stop_spawned "$IPERF_SERVER_PID"
        return 1
    fi
    stop_spawned "$IPERF_SERVER_PID"
    local bps sent rcvd
    bps=$(iperf_json 'j["end"]["sum_received"]["bits_per_second"]')
    sent=$(iperf_json 'j["end"]["sum_sent"]["bytes"]')
    rcvd=$(iperf_json 'j["end"]["sum_received"]["bytes"]')
    bps=${bps:-0} sent=${sent:-0} rcvd=${rcvd:-0}
    IPERF_GBPS=$(awk -v b="$bps" 'BEGIN { printf "%.2f", b / 1e9 }')
    log "iperf3 TCP ${EP_LAN[$c]} -> ${EP_LAN[$s]}, ${secs} s: $IPERF_GBPS Gbit/s$(vs_baseline "$IPERF_GBPS")"
    awk -v b="$bps" 'BEGIN { exit !(b > 1e6) }' || fail "iperf3 throughput below 1 Mbit/s"
    sleep 0.3
    local out1 in1
    out1=$(ep_bytes "$c" out); in1=$(ep_bytes "$s" in)
    out1=${out1:-0} in1=${in1:-0}
    log "ESP byte counters: $c out +$((out1 - out0)), $s in +$((in1 - in0)) (iperf3 sent $sent, received $rcvd)"
    [ $((out1 - out0)) -ge $((sent * 9 / 10)) ] || fail "$c's outbound SA counted less than iperf3 sent"
    [ $((in1 - in0)) -ge $((rcvd * 9 / 10)) ] || fail "$s's inbound SA counted less than iperf3 received"
}

vs_baseline() {
    [ -n "$BASELINE_GBPS" ] && [ "$CASE_NAME" != charon_charon_baseline ] || return 0
    awk -v x="$1" -v b="$BASELINE_GBPS" 'BEGIN { if (b > 0) printf " (%.0f %% of charon<->charon)", 100 * x / b }'
}

# Cases' building blocks ------------------------------------------------------------------

# establish INIT [LIMIT]: starts the responder, then the initiator (a charon initiator is
# asked to initiate); both sides must be up within LIMIT seconds (default 10) of the start of
# the initiation (tunsec: the start of the process, which initiates; charon: swanctl
# --initiate). Sets HANDSHAKE (seconds, 0.05 s polling).
establish() {
    local init=$1 limit=${2:-10} resp t0
    resp=$(other "$init")
    HANDSHAKE=""
    ep_start "$resp" || return 1
    if [ "${EP_KIND[$init]}" = tunsec ]; then
        t0=$(now)
        ep_start "$init" || return 1
    else
        ep_start "$init" || return 1
        t0=$(now)
        ep_initiate "$init" "$limit"
    fi
    local left
    left=$(awk -v l="$limit" -v e="$(elapsed "$t0")" 'BEGIN { r = l - e; printf "%.2f", r < 0.5 ? 0.5 : r }')
    if poll "$left" both_up; then
        HANDSHAKE=$(elapsed "$t0")
        log "established ($init: ${EP_KIND[$init]} initiated, ${EP_KIND[$resp]} responded) ${HANDSHAKE} s after the start of the initiation"
    else
        fail "no IKE SA with an installed child SA on both sides within ${limit} s"
        return 1
    fi
}

# expect_natt SIDE yes|no: tunsec's remote-peers row says natt-peer=yes/no.
expect_natt() {
    [ "${EP_KIND[$1]}" = tunsec ] || return 0
    local row
    row=$(ts "$1" remote-peers | grep 'state=established' | head -1)
    log "tunsec $1 remote-peers: $(grep -o 'remote-address=[^ ]*' <<<"$row") $(grep -o 'side=[^ ]*' <<<"$row") $(grep -o 'natt-peer=[^ ]*' <<<"$row")"
    grep -q "natt-peer=$2" <<<"$row" || fail "tunsec $1: natt-peer is not $2"
}

# tunnel INIT ESP_KIND NATT: the standard interop check on a configured pair: establish
# with the wire captured, ping both ways, the wire holds only IKE and ESP (ESP_KIND udp or
# esp), natt-peer as NATT on tunsec sides, iperf3 a -> b with nothing else on the wire.
tunnel() {
    local init=$1 esp=$2 natt=$3
    capture_start wire "$CASE_DIR/wire.pcapng" || return 1
    establish "$init" || { capture_stop wire; return 1; }
    check_ping a b
    check_ping b a
    capture_stop wire
    wire_check "$CASE_DIR/wire.pcapng" "$esp"
    expect_natt a "$natt"
    expect_natt b "$natt"
    # During iperf3 only what does not belong on the wire is captured; it must stay empty.
    # (IPv6: the link's own neighbour discovery and MLD; the inner traffic is IPv4.)
    local allowed="udp port 500 or udp port 4500 or arp or ip6"
    [ "$esp" = esp ] && allowed+=" or ip proto 50"
    capture_start leak "$CASE_DIR/leak.pcapng" "not ($allowed)" || return 1
    check_iperf a b
    capture_stop leak
    local leaked
    leaked=$(pcap_count "$CASE_DIR/leak.pcapng")
    if [ "$leaked" -eq 0 ]; then
        log "during iperf3 nothing but IKE and ESP crossed $WIRE_IF"
    else
        tshark -r "$CASE_DIR/leak.pcapng" 2>/dev/null | head -5 | indent
        fail "$leaked packets other than IKE/ESP crossed $WIRE_IF during iperf3"
    fi
    SUMMARY+=("$(printf '%-38s handshake %5s s (wire %s ms), iperf3 %s Gbit/s%s' "${LABEL:-$CASE_NAME}" \
        "${HANDSHAKE:-?}" "${WIRE_HANDSHAKE_MS:-?}" "${IPERF_GBPS:-?}" "$(vs_baseline "${IPERF_GBPS:-0}")")")
}

# pfs_rekey CHARON_SIDE GROUP: charon rekeys the child SA (CREATE_CHILD_SA with a KE payload
# of the PFS group); the new child must show the group, both sides must have new SPIs, and
# traffic must flow.
pfs_rekey() {
    local c=$1 group=$2 o
    o=$(other "$c")
    local before_c before_o
    before_c=$(ep_spis "$c"); before_o=$(ep_spis "$o")
    if ! swan_rekey "${EP_CONF[$c]}" child >"$CASE_DIR/rekey.out" 2>&1; then
        indent <"$CASE_DIR/rekey.out"
        fail "charon's CREATE_CHILD_SA rekey failed"
        return 1
    fi
    local algs
    algs=$(swan_child_algs "${EP_CONF[$c]}")
    log "after charon's rekey: child ESP:$algs"
    [[ $algs == */"$group" ]] || fail "the rekeyed child was not created with DH group $group (PFS)"
    # The side that did not start the rekey swaps its SAs when charon's DELETE for the old
    # ones arrives.
    local after_c after_o
    after_c=$(ep_spis "$c")
    poll 5 spis_changed "$o" "$before_o"
    after_o=$(ep_spis "$o")
    log "SPIs $c: $before_c -> $after_c"
    log "SPIs $o: $before_o -> $after_o"
    [ "$before_c" != "$after_c" ] || fail "$c's SPIs did not change"
    [ "$before_o" != "$after_o" ] || fail "$o's SPIs did not change"
    check_ping a b
    check_ping b a
}

# Algorithm sets (tunsec profile/proposal options; charon proposals) ----------------------

algs_gcm_ecp256() {
    ALG_T=(ike_enc=aes-128 hash=sha256 dh=ecp256 esp_enc=aes-128-gcm esp_auth=null pfs=none)
    ALG_C=(ike=aes128-sha256-ecp256 esp=aes128gcm16)
}
algs_cbc_modp2048() {
    ALG_T=(ike_enc=aes-256 hash=sha256 dh=modp2048 esp_enc=aes-256-cbc esp_auth=sha256 pfs=none)
    ALG_C=(ike=aes256-sha256-modp2048 esp=aes256-sha256)
}
algs_gcm256_x25519_pfs() {
    ALG_T=(ike_enc=aes-256-gcm hash=sha256 dh=curve25519 esp_enc=aes-256-gcm esp_auth=null pfs=curve25519)
    ALG_C=(ike=aes256gcm16-prfsha256-curve25519 esp=aes256gcm16-curve25519)
}
algs_chacha_ecp384() {
    ALG_T=(ike_enc=chacha20-poly1305 hash=sha512 dh=ecp384 esp_enc=chacha20-poly1305 esp_auth=null pfs=none)
    ALG_C=(ike=chacha20poly1305-prfsha512-ecp384 esp=chacha20poly1305)
}

# interop ALGS ROLE: tunsec in a (192.0.2.1), charon in b (192.0.2.2); ROLE tunsec or charon
# says who initiates.
interop() {
    "algs_$1"
    setup_pair tunsec charon
    if [ "$2" = tunsec ]; then
        ep_config a false && ep_config b false || { fail "config"; return 1; }
        tunnel a udp yes
    else
        ep_config a true && ep_config b false || { fail "config"; return 1; }
        tunnel b udp yes
    fi
}

# Test cases ------------------------------------------------------------------------------

case_psk_gcm_ecp256_tunsec_init() { interop gcm_ecp256 tunsec; }
case_psk_gcm_ecp256_charon_init() { interop gcm_ecp256 charon; }
case_psk_cbc_sha256_modp2048_tunsec_init() { interop cbc_modp2048 tunsec; }
case_psk_cbc_sha256_modp2048_charon_init() { interop cbc_modp2048 charon; }

# The first child SA rides in IKE_AUTH, without a DH exchange (RFC 7296 1.2), so PFS shows
# only when the child is rekeyed: charon then rekeys with a curve25519 KE payload, to which
# tunsec must answer. (rekey_under_load has tunsec initiate rekeys with PFS.)
case_psk_gcm256_x25519_pfs_tunsec_init() {
    interop gcm256_x25519_pfs tunsec || return
    pfs_rekey b CURVE_25519
}
case_psk_gcm256_x25519_pfs_charon_init() {
    interop gcm256_x25519_pfs charon || return
    pfs_rekey b CURVE_25519
}

case_psk_chacha_ecp384_tunsec_init() { interop chacha_ecp384 tunsec; }

# natt KIND_CLIENT KIND_SERVER: the client (side a, behind the NAT) initiates to the server.
natt() {
    algs_gcm_ecp256
    setup_nat "$1" "$2"
    ep_config a false && ep_config b true || { fail "config"; return 1; }
    tunnel a udp yes || return
    local s
    for s in a b; do
        [ "${EP_KIND[$s]}" = tunsec ] || continue
        ts "$s" installed-sa | grep 'spi=' | grep -o 'src-address=[^ ]* dst-address=[^ ]*' | sed 's/^/tunsec SA /' |
            while read -r line; do log "$line"; done
    done
    # Seen from the server, the client is the NAT's address.
    if [ "${EP_KIND[b]}" = tunsec ]; then
        ts b remote-peers | grep 'state=established' | grep -q 'remote-address=203\.0\.113\.1\b' ||
            fail "tunsec (server) does not see the client at the NAT's address 203.0.113.1"
    fi
}

case_natt_tunsec_behind_nat() { natt tunsec charon; }
case_natt_charon_behind_nat() { natt charon tunsec; }

# charon accepts only aes256gcm16 for ESP, tunsec offers only aes-128-cbc/sha1. The IKE SA
# itself matches; the child in IKE_AUTH does not. tunsec as initiator must log charon's
# NO_PROPOSAL_CHOSEN; as responder (charon initiating) it must refuse with "no suitable
# proposal found"; it keeps running and installs nothing.
MISMATCH_RE='no suitable proposal found|NO[_-]PROPOSAL[_-]CHOSEN'
case_proposal_mismatch() {
    ALG_T=(ike_enc=aes-128 hash=sha256 dh=ecp256 esp_enc=aes-128-cbc esp_auth=sha1 pfs=none)
    ALG_C=(ike=aes128-sha256-ecp256 esp=aes256gcm16)
    setup_pair tunsec charon
    ep_config a false && ep_config b false || { fail "config"; return 1; }
    ep_start b || return 1
    ep_start a || return 1
    if poll 10 grep -Eq "$MISMATCH_RE" "${EP_LOG[a]}"; then
        log "tunsec as initiator logs: $(grep -Em1 "$MISMATCH_RE" "${EP_LOG[a]}")"
    else
        fail "tunsec (initiator) logged no line matching /$MISMATCH_RE/ within 10 s"
    fi
    grep -m1 'no acceptable proposal found' "${EP_LOG[b]}" | sed 's/^/charon: /' | while read -r l; do log "$l"; done
    ep_alive a && log "tunsec still running (pid ${EP_PID[a]})" || fail "tunsec exited"
    ep_has_sa a && fail "tunsec installed an SA despite the mismatch"
    ep_has_sa b && fail "charon installed a child SA despite the mismatch"
    # The other direction: charon proposes aes256gcm16, tunsec must refuse it.
    local before
    before=$(grep -c 'no suitable proposal found' "${EP_LOG[a]}")
    if ep_initiate b 5; then
        fail "charon's initiation succeeded despite the mismatch"
    fi
    if poll 5 sh -c '[ "$(grep -c "no suitable proposal found" "$1")" -gt "$2" ]' _ "${EP_LOG[a]}" "$before"; then
        log "tunsec as responder logs: $(grep 'no suitable proposal found' "${EP_LOG[a]}" | tail -1)"
    else
        fail "tunsec (responder) logged no new 'no suitable proposal found' line"
    fi
    ep_alive a && log "tunsec still running" || fail "tunsec exited"
    ep_has_sa a && fail "tunsec installed an SA despite the mismatch"
    ep_has_sa b && fail "charon installed a child SA despite the mismatch"
    SUMMARY+=("$(printf '%-38s refused both ways, tunsec alive, no SA' "$CASE_NAME")")
}

# Two tunsec endpoints, no NAT: plain ESP (IP protocol 50).
case_tunsec_tunsec() {
    algs_gcm_ecp256
    setup_pair tunsec tunsec
    ep_config a false && ep_config b true || { fail "config"; return 1; }
    tunnel a esp no
}

# The reference: the same tunnel between two charon instances.
case_charon_charon_baseline() {
    algs_gcm_ecp256
    setup_pair charon charon
    ep_config a false && ep_config b false || { fail "config"; return 1; }
    tunnel a udp yes
    [ "$CASE_OK" = 1 ] && BASELINE_GBPS=$IPERF_GBPS
}

# Every charon configuration the interop cases use, charon against charon: each tunnel comes
# up and carries ping and iperf3 (1 s); the PFS one rekeys with curve25519; and the mismatch
# is refused. Checks the charon configurations apart from tunsec.
case_charon_charon_variants() {
    local algs
    for algs in gcm_ecp256 cbc_modp2048 gcm256_x25519_pfs chacha_ecp384; do
        log "-- $algs"
        "algs_$algs"
        setup_pair charon charon
        ep_config a false && ep_config b false || { fail "config"; return 1; }
        IPERF_SECONDS=1 LABEL="${CASE_NAME#charon_charon_}:$algs" tunnel a udp yes
        [ "$algs" = gcm256_x25519_pfs ] && pfs_rekey a CURVE_25519
        [ "$CASE_OK" = 1 ] || return 1
        ns_cleanup
    done
    log "-- mismatch"
    ALG_C=(ike=aes128-sha256-ecp256 esp=aes128-sha1)
    setup_pair charon charon
    ep_config a false && ep_config b false esp=aes256gcm16 || { fail "config"; return 1; }
    ep_start b && ep_start a || return 1
    ep_initiate a 5 && fail "the mismatch was accepted"
    if grep -q 'NO_PROPOSAL_CHOSEN' "${EP_LOG[a]}" && grep -q 'no acceptable proposal found' "${EP_LOG[b]}"; then
        log "initiator: $(grep -m1 'NO_PROPOSAL_CHOSEN' "${EP_LOG[a]}")"
        log "responder: $(grep -m1 'no acceptable proposal found' "${EP_LOG[b]}")"
    else
        fail "charon did not report the mismatch"
    fi
    ep_has_sa a && fail "a child SA was installed despite the mismatch"
}

# charon behind the NAT to charon: the NAT path of the natt_* cases without tunsec.
case_charon_charon_natt() { natt charon charon; }

# rekey SECONDS: side a rekeys (its configuration makes it the first to), b is charon. An
# iperf3 a -> b runs for SECONDS with 1-second intervals while both sides' SPIs are sampled
# every second; no interval may be empty, the child SPIs must change, the IKE SA must be
# rekeyed (charon's IKE SPIs change), and charon's log must show a's CREATE_CHILD_SA requests.
rekey() {
    local secs=$1
    ep_start b || return 1
    ep_start a || return 1
    [ "${EP_KIND[a]}" = charon ] && ep_initiate a 10
    poll 10 both_up || { fail "no SA within 10 s"; return 1; }
    local -A before after
    before[a]=$(ep_spis_settled a); before[b]=$(ep_spis_settled b); before[ike]=$(swan_ike_spis "${EP_CONF[b]}")
    iperf_server b || { fail "iperf3 server did not listen"; return 1; }
    ns_spawn "${EP_NS[a]}" "$CASE_DIR/iperf-client.log" sh -c 'exec iperf3 -c "$1" -B "$2" -t "$3" -i 1 -J --connect-timeout 3000 >"$4"' \
        sh "${EP_LAN[b]}" "${EP_LAN[a]}" "$secs" "$CASE_DIR/iperf.json" >/dev/null
    local client=${TS_PIDS[-1]} t0 e
    t0=$(now)
    # Samples every 0.5 s, "SECONDS SPIS..." (seconds since iperf3 started): the child SPIs of
    # both sides and charon b's IKE SPIs.
    : >"$CASE_DIR/spis-a"; : >"$CASE_DIR/spis-b"; : >"$CASE_DIR/spis-ike"; : >"$CASE_DIR/spi-changes"
    while kill -0 "$client" 2>/dev/null; do
        e=$(elapsed "$t0")
        echo "$e $(ep_spis a)" >>"$CASE_DIR/spis-a"
        echo "$e $(ep_spis b)" >>"$CASE_DIR/spis-b"
        echo "$e $(swan_ike_spis "${EP_CONF[b]}")" >>"$CASE_DIR/spis-ike"
        awk -v e="$e" -v l="$((secs + 20))" 'BEGIN { exit !(e > l) }' && break
        sleep 0.5
    done
    stop_spawned "$client"
    stop_spawned "$IPERF_SERVER_PID"
    after[a]=$(ep_spis_settled a); after[b]=$(ep_spis_settled b); after[ike]=$(swan_ike_spis "${EP_CONF[b]}")
    if [ "$(iperf_json 'len(j["intervals"])')" -gt 0 ] 2>/dev/null; then :; else
        iperf_json 'j.get("error", "")' | indent
        fail "iperf3 produced no intervals"
        return 1
    fi
    local n zeros min gbps err
    n=$(iperf_json 'len(j["intervals"])')
    zeros=$(iperf_json 'sum(1 for i in j["intervals"] if i["sum"]["bytes"] == 0)')
    min=$(iperf_json 'int(min(i["sum"]["bits_per_second"] for i in j["intervals"]) / 1e6)')
    gbps=$(iperf_json '"%.2f" % (j["end"]["sum_received"]["bits_per_second"] / 1e9)')
    err=$(iperf_json 'j.get("error", "")')
    zeros=${zeros:-0}
    IPERF_GBPS=$gbps
    log "iperf3 over ${secs} s: $gbps Gbit/s, $n intervals, slowest $min Mbit/s, $zeros without data"
    [ -z "$err" ] || fail "iperf3: $err"
    [ "$n" -ge $((secs - 1)) ] || fail "iperf3 ran only $n of $secs intervals"
    local what changes
    for what in a b ike; do
        # When the sampled SPIs changed, in seconds since iperf3 started (samples taken in the
        # middle of a rekey, with no SPIs, are skipped).
        changes=$(awk 'NF < 2 { next } { t = $1; $1 = ""; if (seen && $0 != prev) { printf "%s%.1f s", (n++ ? ", " : ""), t; print t >"/dev/stderr" } prev = $0; seen = 1 }
            END { if (!n) printf "never" }' "$CASE_DIR/spis-$what" 2>>"$CASE_DIR/spi-changes")
        case $what in
        ike) log "IKE SPIs (charon b): ${before[ike]} -> ${after[ike]} (changed at $changes)" ;;
        *) log "child SPIs $what: ${before[$what]} -> ${after[$what]} (changed at $changes)" ;;
        esac
    done
    if [ "$zeros" -gt 0 ]; then
        # Each empty interval, with the distance to the nearest SPI change (either side, child
        # or IKE SA), to tell a rekey's gap from a stall elsewhere.
        local near
        near=$(iperf_json '"\n".join(str(i["sum"]["start"]) for i in j["intervals"] if i["sum"]["bytes"] == 0)' |
            awk -v changes="$(tr '\n' ' ' <"$CASE_DIR/spi-changes")" '
                BEGIN { n = split(changes, c, " ") }
                { best = ""; for (i = 1; i <= n; i++) { d = $1 - c[i]; a = d < 0 ? -d : d
                      if (best == "" || a < besta) { best = d; besta = a } }
                  printf "%s%d-%d s (%s)", (m++ ? ", " : ""), $1, $1 + 1,
                      best == "" ? "no SPI change seen" : sprintf("%+.1f s from the nearest SPI change", best) }')
        fail "$zeros 1-second intervals moved no data: $near"
        log "all intervals (Mbit/s): $(iperf_json '" ".join(str(int(i["sum"]["bits_per_second"] / 1e6)) for i in j["intervals"])')"
        log "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
    fi
    [ -n "${after[a]}" ] && [ "${before[a]}" != "${after[a]}" ] || fail "a's child SPIs did not change"
    [ -n "${after[b]}" ] && [ "${before[b]}" != "${after[b]}" ] || fail "b's child SPIs did not change"
    [ -n "${after[ike]}" ] && [ "${before[ike]}" != "${after[ike]}" ] || fail "the IKE SA was not rekeyed"
    # Who rekeyed, in charon b's words: requests it parsed came from a, requests it generated
    # are its own; an IKE SA rekey is a CREATE_CHILD_SA without REKEY_SA and TS payloads.
    local child_by_a child_by_b ike_by_a
    child_by_a=$(grep -c 'parsed CREATE_CHILD_SA request .*N(REKEY_SA)' "${EP_LOG[b]}")
    child_by_b=$(grep -c 'generating CREATE_CHILD_SA request .*N(REKEY_SA)' "${EP_LOG[b]}")
    ike_by_a=$(grep 'parsed CREATE_CHILD_SA request' "${EP_LOG[b]}" | grep -vc 'REKEY_SA\|TSi')
    log "charon b saw: $child_by_a child rekeys from a, $child_by_b of its own, $ike_by_a IKE rekeys from a"
    [ "$child_by_a" -ge 1 ] || fail "a (${EP_KIND[a]}, the shorter child lifetime) never rekeyed the child SA"
    SUMMARY+=("$(printf '%-38s iperf3 %s Gbit/s over %s s, %s child + %s IKE rekeys by a, %s empty intervals' \
        "$CASE_NAME" "$gbps" "$secs" "$child_by_a" "$ike_by_a" "$zeros")")
}

# tunsec's child SAs live 20 s (soft expiry at 80-88 %: it rekeys at 16-18 s, with a
# fresh ecp256 exchange) and its IKE SA 30 s (rekeyed at 27 s); charon would rekey children
# at 25 s and drop them at 30 s, so tunsec is the one that rekeys, and charon's hard
# lifetime catches it if it does not.
case_rekey_under_load() {
    ALG_T=(ike_enc=aes-128 hash=sha256 dh=ecp256 esp_enc=aes-128-gcm esp_auth=null pfs=ecp256
        esp_lifetime=20s ike_lifetime=30s)
    ALG_C=(ike=aes128-sha256-ecp256 esp=aes128gcm16-ecp256 child_rekey=25s child_life=30s child_rand=0s)
    setup_pair tunsec charon
    ep_config a false && ep_config b false || { fail "config"; return 1; }
    rekey 45
}

# The same with charon as side a (rekeying at 16 s, IKE at 27 s): checks the harness.
case_charon_charon_rekey() {
    ALG_C=(ike=aes128-sha256-ecp256 esp=aes128gcm16-ecp256)
    setup_pair charon charon
    ep_config a false child_rekey=16s child_life=20s child_rand=2s rekey_time=27s &&
        ep_config b false child_rekey=25s child_life=30s child_rand=0s || { fail "config"; return 1; }
    rekey 45
}

# nft_cut NS on|off: drops (or stops dropping) everything on the namespace's outer veth.
nft_cut() {
    local ns=$1 dev
    dev=$(in_ns "$ns" ip -o link show type veth | awk -F': ' '{ sub(/@.*/, "", $2); print $2; exit }')
    if [ "$2" = on ]; then
        in_ns "$ns" nft -f - <<NFT
table inet ike_test_cut {
    chain input { type filter hook input priority -10; policy accept; iifname "$dev" drop; }
    chain output { type filter hook output priority -10; policy accept; oifname "$dev" drop; }
}
NFT
    else
        in_ns "$ns" nft delete table inet ike_test_cut
    fi
}

# dpd: side a (the one with DPD configured) and charon b are up; b's outer link goes silent
# (nftables drops everything, both ways); a must drop the IKE SA and its child SAs within
# DEAD_LIMIT seconds, and once the link is back re-establish the tunnel by itself.
dpd() {
    local dead_limit=$1
    establish a || return 1
    check_ping a b
    local t0
    nft_cut b on || { fail "nft"; return 1; }
    t0=$(now)
    log "b's outer link cut (nftables drop)"
    DPD_DEAD="" DPD_BACK=""
    if poll "$dead_limit" ep_ike_down a; then
        DPD_DEAD=$(elapsed "$t0")
        log "a dropped the dead peer after $DPD_DEAD s"
        [ "${EP_KIND[a]}" = tunsec ] && grep -Eim1 'dead peer|dpd|not responding' "${EP_LOG[a]}" | while read -r l; do log "tunsec: $l"; done
    else
        fail "a still has the IKE SA $dead_limit s after the link went silent"
    fi
    poll 2 ep_no_sa a || fail "a kept child SAs after dropping the peer"
    nft_cut b off
    t0=$(now)
    log "link restored"
    if poll 30 ep_up a && poll 5 ep_up b; then
        DPD_BACK=$(elapsed "$t0")
        log "re-established $DPD_BACK s after the link returned"
        check_ping a b
        check_ping b a
    else
        fail "a did not re-establish within 30 s of the link's return"
    fi
}

# tunsec: dpd-interval 2 s, 3 failures: quiet for 2 s, then 3 unanswered checks 2 s apart:
# about 8 s, 12 s allowed.
case_dpd_restart() {
    algs_gcm_ecp256
    ALG_T+=(dpd_interval=2s dpd_failures=3)
    setup_pair tunsec charon
    ep_config a false && ep_config b false || { fail "config"; return 1; }
    dpd 12 || return
    SUMMARY+=("$(printf '%-38s peer dropped %s s after the cut, back %s s after the repair' \
        "$CASE_NAME" "${DPD_DEAD:-(not)}" "${DPD_BACK:-(not)}")")
}

# The same with charon as side a (dpd_delay 2 s, retransmits 1 s apart, gives up after 3 s,
# then the child's dpd_action restart, keyingtries unlimited): checks the harness.
case_charon_charon_dpd() {
    algs_gcm_ecp256
    setup_pair charon charon
    ep_config a false dpd_delay=2s child_dpd_action=restart fast_retransmit=yes keyingtries=0 &&
        ep_config b false || { fail "config"; return 1; }
    dpd 12
}

CASES=(charon_charon_baseline
       psk_gcm_ecp256_tunsec_init psk_gcm_ecp256_charon_init
       psk_cbc_sha256_modp2048_tunsec_init psk_cbc_sha256_modp2048_charon_init
       psk_gcm256_x25519_pfs_tunsec_init psk_gcm256_x25519_pfs_charon_init
       psk_chacha_ecp384_tunsec_init
       natt_tunsec_behind_nat natt_charon_behind_nat
       proposal_mismatch tunsec_tunsec
       rekey_under_load dpd_restart
       charon_charon_variants charon_charon_natt charon_charon_rekey charon_charon_dpd)

# Main ------------------------------------------------------------------------------------

case ${1:-} in
-h | --help) sed -n '2,/^# shellcheck disable/{/^# shellcheck/!p}' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac
TUNSEC=target/release/tunsec
if [ $# -gt 0 ] && { [ -e "$1" ] || [[ $1 == */* ]]; }; then
    TUNSEC=$1
    shift
fi
SELECTED=()
for want in "$@"; do
    found=0
    for c in "${CASES[@]}"; do
        if [ "$c" = "$want" ] || [ "$c" = "${want}_tunsec_init" ] || [ "$c" = "${want}_charon_init" ]; then
            [[ " ${SELECTED[*]} " == *" $c "* ]] || SELECTED+=("$c")
            found=1
        fi
    done
    [ $found = 1 ] || { echo "unknown case $want; cases: ${CASES[*]}"; exit 2; }
done
[ ${#SELECTED[@]} -gt 0 ] || SELECTED=("${CASES[@]}")

[ "$(id -u)" = 0 ] || { echo "needs root (network namespaces)"; exit 2; }
for tool in ip iperf3 tshark dumpcap nft python3 awk ss timeout; do
    command -v "$tool" >/dev/null || { echo "needs $tool (scripts/install-deps.sh)"; exit 2; }
done
if ! msg=$(swan_check); then
    echo "strongSwan is not usable: $msg (scripts/install-deps.sh installs it)"
    exit 2
fi
NEED_TUNSEC=0
for c in "${SELECTED[@]}"; do [[ $c == charon_charon_* ]] || NEED_TUNSEC=1; done
if [ $NEED_TUNSEC = 1 ]; then
    [ -x "$TUNSEC" ] || { echo "no tunsec binary at $TUNSEC (cargo build --release -p tunsec)"; exit 2; }
    TUNSEC=$(realpath "$TUNSEC")
fi

WORK=$(mktemp -d /tmp/tunsec-ike.XXXXXX)
if [ "${IKE_KEEP:-0}" = 1 ]; then
    trap 'ns_cleanup; echo "work directory kept: $WORK"' EXIT
else
    trap 'ns_cleanup; rm -rf "$WORK"' EXIT
fi
trap 'exit 130' INT TERM

for c in "${SELECTED[@]}"; do
    echo "-- $c"
    CASE_OK=1
    CASE_NAME=$c
    CASE_DIR=$WORK/$c
    mkdir -p "$CASE_DIR"
    EP_KIND=()
    CAP_PID=()
    "case_$c"
    if [ "$CASE_OK" = 1 ]; then
        PASSED=$((PASSED + 1))
    else
        diag_all
        FAILED=$((FAILED + 1))
        FAILURES+=("$c")
    fi
    ns_cleanup
    left=$(ip netns list | grep -c "^$TS_ID-")
    [ "$left" -eq 0 ] || echo "   warning: $left namespaces of $TS_ID left after $c"
    [ "${IKE_KEEP:-0}" = 1 ] || rm -rf "$CASE_DIR"
done

echo
for s in "${SUMMARY[@]}"; do echo "   $s"; done
[ $FAILED -gt 0 ] && echo "failed: ${FAILURES[*]}"
echo "ike: $PASSED passed, $FAILED failed"
[ $FAILED -eq 0 ]
