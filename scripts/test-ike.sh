#!/usr/bin/env bash
# IKEv2 interoperability tests in network namespaces: tunsec against strongSwan's charon
# (kernel-libipsec, the userspace dataplane this kernel allows) in both roles, through a NAT,
# with PFS, rekeying under load (by time and by bytes), dead peer detection, IKE fragmentation
# and a proposal mismatch, plus the same matrix between two tunsec endpoints (tt_*) and a
# charon pair as the baseline. Every tunnel carries ping and iperf3;
# tshark (not our code) checks what crossed the wire.
#
# strongSwan 5.9's libipsec only does UDP-encapsulated ESP, so charon runs with `encap = yes`
# and fakes a NAT in its NAT_DETECTION payloads: tunsec must float to port 4500 and use
# ESP-in-UDP as behind a real NAT. tunsec <-> tunsec without a NAT uses plain ESP.
#
# Usage: scripts/test-ike.sh [TUNSEC_BINARY] [CASE...]
# Needs root, iproute2, iperf3, tshark, nftables, python3, strongSwan (charon, swanctl,
# kernel-libipsec, gcm, curve25519 plugins).
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/netns.sh
. scripts/lib/cases.sh
. scripts/lib/tunsec.sh
. scripts/lib/strongswan.sh

TUNSEC=${1:-target/release/tunsec}
shift || true
ONLY=("$@")
[ -x "$TUNSEC" ] || { echo "no tunsec binary at $TUNSEC (cargo build --release -p tunsec)"; exit 2; }
TUNSEC=$(realpath "$TUNSEC")
if ! msg=$(swan_check); then
    echo "strongSwan is not usable: $msg (scripts/install-deps.sh installs it)"
    exit 2
fi
WORK=$(mktemp -d /tmp/tunsec-ike.XXXXXX)
PSK="ike-test-$(od -An -tx1 -N8 /dev/urandom | tr -d ' \n')"
TS_ID=tsike$$

trap 'ns_cleanup; rm -rf "$WORK"' EXIT


# tunsec_config FILE SOCK LAN LOCAL_NET REMOTE_NET LOCAL PEER_ADDR SA_DST PASSIVE
#               IKE_ENC HASH DH ESP_ENC ESP_AUTH PFS [PROFILE_EXTRA] [PROPOSAL_EXTRA]
# writes one tunsec endpoint with one ike2 peer and one tunnel policy; DAEMON_EXTRA (lines
# for [daemon]) applies to every endpoint written while it is set.
tunsec_config() {
    local file=$1 sock=$2 lan=$3 lnet=$4 rnet=$5 local=$6 peer=$7 sa_dst=$8 passive=$9
    local ike_enc=${10} hash=${11} dh=${12} esp_enc=${13} esp_auth=${14} pfs=${15}
    local profile_extra=${16:-} proposal_extra=${17:-}
    cat >"$file" <<TOML
[daemon]
workers = 2
control-socket = "$sock"
${DAEMON_EXTRA:-}

[interface]
name = "tunsec0"
address = ["$lan"]

[[profile]]
name = "ike"
enc-algorithm = [$ike_enc]
hash-algorithm = "$hash"
dh-group = [$dh]
$profile_extra

[[proposal]]
name = "esp"
enc-algorithms = [$esp_enc]
auth-algorithms = [$esp_auth]
pfs-group = "$pfs"
$proposal_extra

[[peer]]
name = "gw"
address = "$peer"
local-address = "$local"
exchange-mode = "ike2"
auth-method = "pre-shared-key"
secret = "$PSK"
profile = "ike"
passive = $passive

[[policy]]
src-address = "$lnet"
dst-address = "$rnet"
sa-src-address = "$local"
sa-dst-address = "$sa_dst"
tunnel = true
peer = "gw"
proposal = "esp"
TOML
}

# charon_config DIR LOCAL REMOTE LOCAL_TS REMOTE_TS IKE_PROPOSAL ESP_PROPOSAL [REMOTE_ADDRS]
# [REMOTE_ID] [CHILD_EXTRA]: scripts/lib/strongswan.sh's connection "bench" with these
# proposals; REMOTE_ADDRS (e.g. %any behind a NAT) and REMOTE_ID override REMOTE.
charon_config() {
    local dir=$1 local=$2 remote=$3 lts=$4 rts=$5 ike=$6 esp=$7
    local raddrs=${8:-$3} rid=${9:-$3} child_extra=${10:-}
    mkdir -p "$dir"
    swan_write_config "$dir" "$local" "$remote" "$lts" "$rts" "${CHARON_PSK:-$PSK}" "$esp"
    sed -i -e "s/proposals = aes128gcm16-prfsha256-x25519/proposals = $ike/" \
        -e "s/remote_addrs = $remote/remote_addrs = $raddrs/" \
        -e "s/id = $remote/id = $rid/" -e "s/id-remote = $remote/id-remote = $rid/" \
        -e "s/start_action = none/start_action = none\n                $child_extra/" \
        "$dir/swanctl.conf"
}

# pair ROLE IKE_ENC HASH DH ESP_ENC ESP_AUTH PFS CHARON_IKE CHARON_ESP: tunsec in a
# (192.0.2.1, LAN 10.201.1.0/24) and charon in b (192.0.2.2, LAN 10.201.2.0/24); ROLE says
# who initiates (tunsec or charon).
pair() {
    local role=$1 ike_enc=$2 hash=$3 dh=$4 esp_enc=$5 esp_auth=$6 pfs=$7 cike=$8 cesp=$9
    topology_pair
    in_ns b ip addr add 10.201.2.1/32 dev lo
    local passive=false
    [ "$role" = charon ] && passive=true
    tunsec_config "$WORK/a.toml" "$WORK/a.sock" 10.201.1.1/24 10.201.1.0/24 10.201.2.0/24 \
        192.0.2.1 192.0.2.2 192.0.2.2 "$passive" "$ike_enc" "$hash" "$dh" "$esp_enc" "$esp_auth" "$pfs"
    charon_config "$WORK/swan-b" 192.0.2.2 192.0.2.1 10.201.2.0/24 10.201.1.0/24 "$cike" "$cesp"
    swan_start b "$WORK/swan-b" || { fail "charon did not start"; return 1; }
    capture b v-b-a "$WORK/wire.pcap"
    local t0 t1
    t0=$(now)
    start_tunsec a "$WORK/a.toml" || return 1
    if [ "$role" = charon ]; then
        swan_initiate "$WORK/swan-b" 20 || fail "charon could not initiate"
    fi
    if wait_for 15 peer_established "$WORK/a.sock" && wait_for 5 swan_child_installed "$WORK/swan-b"; then
        t1=$(now)
        HANDSHAKE=$(elapsed "$t0" "$t1")
        log "established ($role initiated) in ${HANDSHAKE}s (from tunsec start, 0.1 s polling)"
    else
        fail "no IKE/child SA: remote-peers says: $("$TUNSEC" print remote-peers -s "$WORK/a.sock" 2>&1 | tail -1)"
        tail -20 "$WORK/tunsec-a.log"
        grep -E 'IKE|CHD|CFG' "$WORK/swan-b/charon.log" | tail -15
        return 1
    fi
    check_ping a 10.201.2.1 -I 10.201.1.1
    stop_capture
    wire_check "$WORK/wire.pcap" "udp.port == 4500 && esp" "ESP-in-UDP"
    wire_check "$WORK/wire.pcap" "isakmp" "IKEv2 messages"
    check_iperf a b 10.201.1.1 10.201.2.1 3
    SUMMARY+=("$CASE_NAME: handshake ${HANDSHAKE}s, iperf3 ${IPERF_GBPS} Gbit/s")
}

case_psk_gcm_ecp256_tunsec_init() {
    pair tunsec '"aes-128"' sha256 '"ecp256"' '"aes-128-gcm"' '"null"' none \
        aes128-sha256-ecp256 aes128gcm16
}

case_psk_gcm_ecp256_charon_init() {
    pair charon '"aes-128"' sha256 '"ecp256"' '"aes-128-gcm"' '"null"' none \
        aes128-sha256-ecp256 aes128gcm16 || return 1
    # The operator's view of a tunnel with strongSwan: both menus, the SAs charon reports.
    "$TUNSEC" print remote-peers -s "$WORK/a.sock" | sed 's/^/   | /'
    "$TUNSEC" print installed-sa -s "$WORK/a.sock" | sed 's/^/   | /'
    # swanctl --list-sas shows the child's SPIs on lines "in  c1a2b3c4, ..." and "out ...".
    local theirs found=0
    for theirs in $(swan_ctl "$WORK/swan-b" --list-sas 2>/dev/null | grep -oE '^ +(in|out) +[0-9a-f]{8}' | grep -oE '[0-9a-f]{8}$'); do
        found=$((found + 1))
        "$TUNSEC" print installed-sa -s "$WORK/a.sock" | grep -qi "spi=0x$theirs" ||
            fail "charon's SPI $theirs is not in tunsec's installed-sa"
    done
    [ "$found" = 2 ] && log "charon's two child SPIs are tunsec's installed SAs" ||
        fail "expected 2 child SPIs from swanctl --list-sas, found $found"
    "$TUNSEC" print remote-peers -s "$WORK/a.sock" | grep -q 'side=responder.*ph2-total=1' ||
        fail "remote-peers does not show one child as responder"
}

case_psk_cbc_sha256_modp2048_tunsec_init() {
    pair tunsec '"aes-256"' sha256 '"modp2048"' '"aes-256-cbc"' '"sha256"' none \
        aes256-sha256-modp2048 aes256-sha256
}

case_psk_cbc_sha256_modp2048_charon_init() {
    pair charon '"aes-256"' sha256 '"modp2048"' '"aes-256-cbc"' '"sha256"' none \
        aes256-sha256-modp2048 aes256-sha256
}

# PFS: the first child rides in IKE_AUTH without a DH (RFC 7296 1.2); the PFS group is used
# by the rekey, so both ends must agree on it there (rekey_under_load covers the rekey).
case_psk_gcm256_x25519_pfs_tunsec_init() {
    pair tunsec '"aes-256-gcm"' sha256 '"curve25519"' '"aes-256-gcm"' '"null"' curve25519 \
        aes256gcm16-prfsha256-curve25519 aes256gcm16-curve25519
}

case_psk_gcm256_x25519_pfs_charon_init() {
    pair charon '"aes-256-gcm"' sha256 '"curve25519"' '"aes-256-gcm"' '"null"' curve25519 \
        aes256gcm16-prfsha256-curve25519 aes256gcm16-curve25519
}

case_psk_chacha_ecp384_tunsec_init() {
    pair tunsec '"chacha20-poly1305"' sha512 '"ecp384"' '"chacha20-poly1305"' '"null"' none \
        chacha20poly1305-prfsha512-ecp384 chacha20poly1305
}

# NAT: client 198.51.100.2 -- nat (masquerade to 203.0.113.1) -- server 203.0.113.2.
# natt ROLE: tunsec_client (tunsec behind the NAT initiates to charon) or charon_client
# (charon behind the NAT initiates to tunsec).
natt() {
    local who=$1
    topology_nat
    local tns cns tcfg
    if [ "$who" = tunsec_client ]; then
        tns=client cns=server
        in_ns server ip addr add 10.201.2.1/32 dev lo
        tunsec_config "$WORK/t.toml" "$WORK/t.sock" 10.201.1.1/24 10.201.1.0/24 10.201.2.0/24 \
            198.51.100.2 203.0.113.2 203.0.113.2 false '"aes-128"' sha256 '"ecp256"' \
            '"aes-128-gcm"' '"null"' none
        charon_config "$WORK/swan" 203.0.113.2 198.51.100.2 10.201.2.0/24 10.201.1.0/24 \
            aes128-sha256-ecp256 aes128gcm16 %any 198.51.100.2
        swan_start "$cns" "$WORK/swan" || { fail "charon did not start"; return 1; }
        capture nat v-nat-server "$WORK/wire.pcap"
        start_tunsec "$tns" "$WORK/t.toml" || return 1
        tcfg=10.201.1.1
    else
        tns=server cns=client
        in_ns client ip addr add 10.201.1.1/32 dev lo
        # tunsec sees the NAT's public address as the peer.
        tunsec_config "$WORK/t.toml" "$WORK/t.sock" 10.201.2.1/24 10.201.2.0/24 10.201.1.0/24 \
            203.0.113.2 203.0.113.1 203.0.113.1 true '"aes-128"' sha256 '"ecp256"' \
            '"aes-128-gcm"' '"null"' none
        charon_config "$WORK/swan" 198.51.100.2 203.0.113.2 10.201.1.0/24 10.201.2.0/24 \
            aes128-sha256-ecp256 aes128gcm16
        swan_start "$cns" "$WORK/swan" || { fail "charon did not start"; return 1; }
        capture nat v-nat-server "$WORK/wire.pcap"
        start_tunsec "$tns" "$WORK/t.toml" || return 1
        swan_initiate "$WORK/swan" 20 || fail "charon could not initiate through the NAT"
        tcfg=10.201.2.1
    fi
    if wait_for 15 peer_established "$WORK/t.sock"; then
        log "established through the NAT: $("$TUNSEC" print remote-peers -s "$WORK/t.sock" | tail -1 | grep -o 'remote-address=[^ ]* .*natt-peer=[a-z]*')"
    else
        fail "no IKE/child SA through the NAT"
        tail -20 "$WORK/tunsec-$tns.log"
        grep -E 'IKE|CHD|CFG|NET' "$WORK/swan/charon.log" | tail -15
        return 1
    fi
    "$TUNSEC" print remote-peers -s "$WORK/t.sock" | grep -q 'natt-peer=yes' || fail "natt-peer is not yes"
    local other
    [ "$tcfg" = 10.201.1.1 ] && other=10.201.2.1 || other=10.201.1.1
    check_ping "$tns" "$other" -I "$tcfg"
    stop_capture
    wire_check "$WORK/wire.pcap" "udp.port == 4500 && esp" "ESP-in-UDP behind the NAT"
    check_iperf "$tns" "$cns" "$tcfg" "$other" 3
    SUMMARY+=("$CASE_NAME: iperf3 ${IPERF_GBPS} Gbit/s")
}

case_natt_tunsec_behind_nat() { natt tunsec_client; }
case_natt_charon_behind_nat() { natt charon_client; }

# A proposal mismatch must fail fast, be explained in the log, and leave tunsec running.
case_proposal_mismatch() {
    topology_pair
    in_ns b ip addr add 10.201.2.1/32 dev lo
    tunsec_config "$WORK/a.toml" "$WORK/a.sock" 10.201.1.1/24 10.201.1.0/24 10.201.2.0/24 \
        192.0.2.1 192.0.2.2 192.0.2.2 false '"aes-128"' sha256 '"ecp256"' '"aes-128-cbc"' '"sha1"' none
    charon_config "$WORK/swan-b" 192.0.2.2 192.0.2.1 10.201.2.0/24 10.201.1.0/24 \
        aes128-sha256-ecp256 aes256gcm16
    swan_start b "$WORK/swan-b" || { fail "charon did not start"; return 1; }
    start_tunsec a "$WORK/a.toml" || return 1
    if wait_for 10 grep -q 'NO-PROPOSAL-CHOSEN' "$WORK/tunsec-a.log"; then
        log "tunsec as initiator: $(grep -m1 'NO-PROPOSAL-CHOSEN' "$WORK/tunsec-a.log")"
    else
        fail "tunsec did not log the peer's NO_PROPOSAL_CHOSEN"
        tail -10 "$WORK/tunsec-a.log"
    fi
    # Now charon initiates with its proposal, and tunsec explains what it refused.
    swan_ctl "$WORK/swan-b" --initiate --child net --timeout 5 >/dev/null 2>&1
    if wait_for 10 grep -q 'no suitable proposal found' "$WORK/tunsec-a.log"; then
        log "tunsec as responder: $(grep -m1 'rejected enctype' "$WORK/tunsec-a.log")"
        log "tunsec as responder: $(grep -m1 'no suitable proposal found' "$WORK/tunsec-a.log")"
    else
        fail "tunsec did not explain the mismatch as responder"
        tail -10 "$WORK/tunsec-a.log"
    fi
    kill -0 "$TUNSEC_PID" 2>/dev/null && log "tunsec still running" || fail "tunsec exited"
    if "$TUNSEC" print installed-sa -s "$WORK/a.sock" | grep -q 'spi='; then
        fail "an SA was installed despite the mismatch"
    fi
}

# tunsec <-> tunsec: the same matrix with tunsec at both ends. tt_start IKE_ENC HASH DH
# ESP_ENC ESP_AUTH PFS [PROFILE_EXTRA] [PROPOSAL_EXTRA] [B_ESP_ENC]: a initiates from
# 192.0.2.1, b (192.0.2.2) is passive; B_ESP_ENC gives b another proposal (a mismatch).
tt_start() {
    local ike_enc=$1 hash=$2 dh=$3 esp_enc=$4 esp_auth=$5 pfs=$6 pext=${7:-} xext=${8:-}
    local b_esp=${9:-$4}
    topology_pair
    tunsec_config "$WORK/a.toml" "$WORK/a.sock" 10.201.1.1/24 10.201.1.0/24 10.201.2.0/24 \
        192.0.2.1 192.0.2.2 192.0.2.2 false "$ike_enc" "$hash" "$dh" "$esp_enc" "$esp_auth" "$pfs" "$pext" "$xext"
    tunsec_config "$WORK/b.toml" "$WORK/b.sock" 10.201.2.1/24 10.201.2.0/24 10.201.1.0/24 \
        192.0.2.2 192.0.2.1 192.0.2.1 true "$ike_enc" "$hash" "$dh" "$b_esp" "$esp_auth" "$pfs" "$pext" "$xext"
    capture b v-b-a "$WORK/wire.pcap"
    TT_T0=$(now)
    start_tunsec b "$WORK/b.toml" || return 1
    start_tunsec a "$WORK/a.toml" || return 1
}

# tt_established: both ends up, handshake time in HANDSHAKE.
tt_established() {
    if wait_for 10 peer_established "$WORK/a.sock" && wait_for 5 peer_established "$WORK/b.sock"; then
        HANDSHAKE=$(elapsed "$TT_T0" "$(now)")
        log "established in ${HANDSHAKE}s"
    else
        fail "tunsec pair did not establish"
        tail -10 "$WORK/tunsec-a.log" "$WORK/tunsec-b.log"
        return 1
    fi
}

# tt_pair ARGS...: tt_start, then ping, plain ESP on the wire, iperf3.
tt_pair() {
    tt_start "$@" || return 1
    tt_established || return 1
    check_ping a 10.201.2.1 -I 10.201.1.1
    stop_capture
    wire_check "$WORK/wire.pcap" "esp && !udp" "plain ESP"
    check_iperf a b 10.201.1.1 10.201.2.1 3
    SUMMARY+=("$CASE_NAME: handshake ${HANDSHAKE}s, iperf3 ${IPERF_GBPS} Gbit/s")
}

case_tunsec_tunsec() {
    tt_pair '"aes-128"' sha256 '"ecp256"' '"aes-128-gcm"' '"null"' none
}

case_tt_cbc_sha256_modp2048() {
    tt_pair '"aes-256"' sha256 '"modp2048"' '"aes-256-cbc"' '"sha256"' none
}

case_tt_chacha_ecp384() {
    tt_pair '"chacha20-poly1305"' sha512 '"ecp384"' '"chacha20-poly1305"' '"null"' none
}

# PFS is used when the child is rekeyed: a 15 s child lifetime makes that happen.
case_tt_gcm256_x25519_pfs_rekey() {
    tt_start '"aes-256-gcm"' sha256 '"curve25519"' '"aes-256-gcm"' '"null"' curve25519 '' 'lifetime = "15s"' || return 1
    tt_established || return 1
    local before
    before=$(child_spis "$WORK/a.sock")
    if wait_for 20 sh -c "[ \"\$('$TUNSEC' print installed-sa -s '$WORK/a.sock' | grep -o 'spi=0x[0-9A-F]*' | sort | tr '\n' ' ')\" != '$before' ]"; then
        log "child SA rekeyed with PFS curve25519"
    else
        fail "no child rekey within 20 s"
    fi
    check_ping a 10.201.2.1 -I 10.201.1.1
    stop_capture
    local kes
    kes=$(tshark -r "$WORK/wire.pcap" -Y "isakmp.exchangetype == 36" 2>/dev/null | wc -l)
    log "tshark: $kes CREATE_CHILD_SA messages"
    [ "$kes" -ge 2 ] || fail "no CREATE_CHILD_SA exchange on the wire"
    SUMMARY+=("$CASE_NAME: handshake ${HANDSHAKE}s, PFS rekey done")
}

# NAT: tunsec behind the NAT initiates to tunsec; both float to 4500 and use ESP-in-UDP.
case_tt_natt() {
    topology_nat
    tunsec_config "$WORK/a.toml" "$WORK/a.sock" 10.201.1.1/24 10.201.1.0/24 10.201.2.0/24 \
        198.51.100.2 203.0.113.2 203.0.113.2 false '"aes-128"' sha256 '"ecp256"' '"aes-128-gcm"' '"null"' none
    tunsec_config "$WORK/b.toml" "$WORK/b.sock" 10.201.2.1/24 10.201.2.0/24 10.201.1.0/24 \
        203.0.113.2 203.0.113.1 203.0.113.1 true '"aes-128"' sha256 '"ecp256"' '"aes-128-gcm"' '"null"' none
    capture nat v-nat-server "$WORK/wire.pcap"
    start_tunsec server "$WORK/b.toml" || return 1
    start_tunsec client "$WORK/a.toml" || return 1
    if wait_for 10 peer_established "$WORK/a.sock" && wait_for 5 peer_established "$WORK/b.sock"; then
        log "established through the NAT: $("$TUNSEC" print remote-peers -s "$WORK/b.sock" | tail -1 | grep -o 'remote-address=[^ ]* .*natt-peer=[a-z]*')"
    else
        fail "tunsec pair did not establish through the NAT"
        tail -10 "$WORK/tunsec-client.log" "$WORK/tunsec-server.log"
        return 1
    fi
    "$TUNSEC" print remote-peers -s "$WORK/b.sock" | grep -q 'natt-peer=yes' || fail "natt-peer is not yes on the responder"
    check_ping client 10.201.2.1 -I 10.201.1.1
    stop_capture
    wire_check "$WORK/wire.pcap" "udp.port == 4500 && esp" "ESP-in-UDP behind the NAT"
    check_iperf client server 10.201.1.1 10.201.2.1 3
    SUMMARY+=("$CASE_NAME: iperf3 ${IPERF_GBPS} Gbit/s")
}

case_tt_proposal_mismatch() {
    tt_start '"aes-128"' sha256 '"ecp256"' '"aes-128-cbc"' '"sha1"' none '' '' '"aes-256-gcm"' || return 1
    if wait_for 10 grep -q 'no suitable proposal found' "$WORK/tunsec-b.log" &&
        wait_for 5 grep -q 'NO-PROPOSAL-CHOSEN' "$WORK/tunsec-a.log"; then
        log "responder: $(grep -m1 'rejected enctype' "$WORK/tunsec-b.log")"
        log "initiator: $(grep -m1 'NO-PROPOSAL-CHOSEN' "$WORK/tunsec-a.log")"
    else
        fail "the mismatch was not explained on both ends"
        tail -5 "$WORK/tunsec-a.log" "$WORK/tunsec-b.log"
    fi
    kill -0 "$TUNSEC_PID" 2>/dev/null && log "tunsec still running" || fail "tunsec exited"
    "$TUNSEC" print installed-sa -s "$WORK/b.sock" | grep -q 'spi=' && fail "an SA was installed despite the mismatch"
}

case_tt_rekey_under_load() {
    tt_start '"aes-128"' sha256 '"ecp256"' '"aes-128-gcm"' '"null"' ecp256 'lifetime = "30s"' 'lifetime = "20s"' || return 1
    tt_established || return 1
    stop_capture
    local before after zeros child ike
    before=$(child_spis "$WORK/a.sock")
    check_iperf a b 10.201.1.1 10.201.2.1 40
    after=$(child_spis "$WORK/a.sock")
    zeros=$(zero_intervals)
    [ "$before" != "$after" ] || fail "the child SA was not rekeyed"
    [ "$zeros" = 0 ] && log "no 1-second interval without data" || fail "$zeros iperf3 intervals moved no data"
    child=$(cat "$WORK/tunsec-a.log" "$WORK/tunsec-b.log" | grep -c 'child SA established')
    ike=$(cat "$WORK/tunsec-a.log" "$WORK/tunsec-b.log" | grep -c 'ike2 SA rekeyed')
    log "child SAs negotiated (both logs): $child, IKE SA rekeys: $ike"
    [ "$ike" -ge 1 ] || fail "no IKE SA rekey in the logs"
    SUMMARY+=("$CASE_NAME: iperf3 ${IPERF_GBPS} Gbit/s over 40 s, $ike IKE rekeys, $zeros empty intervals")
}

case_tt_dpd_restart() {
    tt_start '"aes-128"' sha256 '"ecp256"' '"aes-128-gcm"' '"null"' none \
        $'dpd-interval = "2s"\ndpd-maximum-failures = 3' || return 1
    tt_established || return 1
    stop_capture
    local t0
    t0=$(now)
    in_ns b ip link set v-b-a down
    if wait_for 15 sh -c "! '$TUNSEC' print remote-peers -s '$WORK/a.sock' | grep -q established"; then
        log "peer declared dead after $(elapsed "$t0" "$(now)")s"
    else
        fail "tunsec did not notice the dead peer within 15 s"
    fi
    in_ns b ip link set v-b-a up
    t0=$(now)
    if wait_for 30 peer_established "$WORK/a.sock"; then
        log "re-established $(elapsed "$t0" "$(now)")s after the link returned"
        check_ping a 10.201.2.1 -I 10.201.1.1
    else
        fail "the pair did not re-establish"
    fi
}

# The reference: the same tunnel between two charon instances.
case_charon_charon_baseline() {
    topology_pair
    in_ns a ip addr add 10.201.1.1/32 dev lo
    in_ns b ip addr add 10.201.2.1/32 dev lo
    charon_config "$WORK/swan-a" 192.0.2.1 192.0.2.2 10.201.1.0/24 10.201.2.0/24 aes128-sha256-ecp256 aes128gcm16
    charon_config "$WORK/swan-b" 192.0.2.2 192.0.2.1 10.201.2.0/24 10.201.1.0/24 aes128-sha256-ecp256 aes128gcm16
    swan_start a "$WORK/swan-a" || { fail "charon a did not start"; return 1; }
    swan_start b "$WORK/swan-b" || { fail "charon b did not start"; return 1; }
    swan_initiate "$WORK/swan-a" 20 || { fail "charon pair did not establish"; return 1; }
    wait_for 5 swan_route_src a 10.201.2.0/24
    check_ping a 10.201.2.1 -I 10.201.1.1
    check_iperf a b 10.201.1.1 10.201.2.1 3
    SUMMARY+=("$CASE_NAME: iperf3 ${IPERF_GBPS} Gbit/s")
}

# Child SA rekey (20 s lifetime) and IKE SA rekey (30 s) under a running iperf3: no 1-second
# interval without data, new SPIs afterwards.
case_rekey_under_load() {
    topology_pair
    in_ns b ip addr add 10.201.2.1/32 dev lo
    tunsec_config "$WORK/a.toml" "$WORK/a.sock" 10.201.1.1/24 10.201.1.0/24 10.201.2.0/24 \
        192.0.2.1 192.0.2.2 192.0.2.2 false '"aes-128"' sha256 '"ecp256"' '"aes-128-gcm"' '"null"' ecp256 \
        'lifetime = "30s"' 'lifetime = "20s"'
    # charon's own rekeying comes later, so tunsec is the one that rekeys.
    charon_config "$WORK/swan-b" 192.0.2.2 192.0.2.1 10.201.2.0/24 10.201.1.0/24 \
        aes128-sha256-ecp256 aes128gcm16-ecp256 192.0.2.1 192.0.2.1 'rekey_time = 5m'
    swan_start b "$WORK/swan-b" || { fail "charon did not start"; return 1; }
    start_tunsec a "$WORK/a.toml" || return 1
    wait_for 15 peer_established "$WORK/a.sock" || { fail "no SA"; tail "$WORK/tunsec-a.log"; return 1; }
    local before after
    before=$(child_spis "$WORK/a.sock")
    check_iperf a b 10.201.1.1 10.201.2.1 40
    after=$(child_spis "$WORK/a.sock")
    local zeros
    zeros=$(zero_intervals)
    log "SPIs before: $before"
    log "SPIs after:  $after"
    [ "$before" != "$after" ] || fail "the child SA was not rekeyed"
    [ "$zeros" = 0 ] && log "no 1-second interval without data" || fail "$zeros iperf3 intervals moved no data"
    local child ike
    child=$(grep -c 'child SA established' "$WORK/tunsec-a.log")
    ike=$(grep -c 'ike2 SA rekeyed' "$WORK/tunsec-a.log")
    log "child SAs negotiated: $child, IKE SA rekeys: $ike"
    [ "$child" -ge 2 ] || fail "no child rekey in the log"
    [ "$ike" -ge 1 ] || fail "no IKE SA rekey in the log"
    grep -q 'rekeyed' "$WORK/swan-b/charon.log" || log "(charon log has no rekey line)"
    grep -E 'CHILD_SA .* rekeyed|IKE_SA .* rekeyed|closing CHILD_SA|deleting IKE_SA' "$WORK/swan-b/charon.log" |
        tail -4 | sed 's/^/   charon: /'
    SUMMARY+=("$CASE_NAME: iperf3 ${IPERF_GBPS} Gbit/s over 40 s with $((child - 1)) child and $ike IKE rekeys, $zeros empty intervals")
}

# Dead peer detection: the link to charon goes down; tunsec must notice within
# dpd-interval x dpd-maximum-failures (plus the idle interval), remove the SAs, and bring
# the tunnel back when the link returns.
case_dpd_restart() {
    topology_pair
    in_ns b ip addr add 10.201.2.1/32 dev lo
    tunsec_config "$WORK/a.toml" "$WORK/a.sock" 10.201.1.1/24 10.201.1.0/24 10.201.2.0/24 \
        192.0.2.1 192.0.2.2 192.0.2.2 false '"aes-128"' sha256 '"ecp256"' '"aes-128-gcm"' '"null"' none \
        $'dpd-interval = "2s"\ndpd-maximum-failures = 3'
    charon_config "$WORK/swan-b" 192.0.2.2 192.0.2.1 10.201.2.0/24 10.201.1.0/24 aes128-sha256-ecp256 aes128gcm16
    swan_start b "$WORK/swan-b" || { fail "charon did not start"; return 1; }
    start_tunsec a "$WORK/a.toml" || return 1
    wait_for 15 peer_established "$WORK/a.sock" || { fail "no SA"; return 1; }
    check_ping a 10.201.2.1 -I 10.201.1.1
    local t0
    t0=$(now)
    in_ns b ip link set v-b-a down
    if wait_for 15 sh -c "! '$TUNSEC' print remote-peers -s '$WORK/a.sock' | grep -q established"; then
        log "peer declared dead after $(elapsed "$t0" "$(now)")s (idle 2 s + 3 x 2 s allowed: 8 s, plus timer slack)"
        grep -m1 'dead peer' "$WORK/tunsec-a.log" | sed 's/^/   /'
    else
        fail "tunsec did not notice the dead peer within 15 s"
    fi
    "$TUNSEC" print installed-sa -s "$WORK/a.sock" | grep -q 'spi=' && fail "SAs left after DPD"
    in_ns b ip link set v-b-a up
    t0=$(now)
    if wait_for 30 peer_established "$WORK/a.sock"; then
        log "re-established $(elapsed "$t0" "$(now)")s after the link returned"
        wait_for 5 swan_child_installed "$WORK/swan-b"
        check_ping a 10.201.2.1 -I 10.201.1.1
    else
        fail "tunsec did not re-establish"
        tail -10 "$WORK/tunsec-a.log"
    fi
}

# IKE fragmentation (RFC 7383): both ends limited to 576-byte datagrams, and a child rekey
# with PFS modp4096 (a 512-byte KE each way) that no longer fits one. tshark must see SKF
# fragments from both sides, none over 576 bytes, and charon must reassemble ours.
case_fragmented_pfs_rekey() {
    local DAEMON_EXTRA='ike-fragment-size = 576'
    topology_pair
    in_ns b ip addr add 10.201.2.1/32 dev lo
    tunsec_config "$WORK/a.toml" "$WORK/a.sock" 10.201.1.1/24 10.201.1.0/24 10.201.2.0/24 \
        192.0.2.1 192.0.2.2 192.0.2.2 false '"aes-128"' sha256 '"ecp256"' '"aes-128-gcm"' '"null"' modp4096 \
        '' 'lifetime = "15s"'
    charon_config "$WORK/swan-b" 192.0.2.2 192.0.2.1 10.201.2.0/24 10.201.1.0/24 \
        aes128-sha256-ecp256 aes128gcm16-modp4096 192.0.2.1 192.0.2.1 'rekey_time = 5m'
    sed -i 's/^    port_nat_t = 4500$/    port_nat_t = 4500\n    fragment_size = 576/' "$WORK/swan-b/strongswan.conf"
    swan_start b "$WORK/swan-b" || { fail "charon did not start"; return 1; }
    capture b v-b-a "$WORK/wire.pcap"
    start_tunsec a "$WORK/a.toml" || return 1
    wait_for 15 peer_established "$WORK/a.sock" || { fail "no SA"; tail "$WORK/tunsec-a.log"; return 1; }
    local before
    before=$(child_spis "$WORK/a.sock")
    if wait_for 30 sh -c "[ \"\$('$TUNSEC' print installed-sa -s '$WORK/a.sock' | grep -o 'spi=0x[0-9A-F]*' | sort | tr '\n' ' ')\" != '$before' ]"; then
        log "child SA rekeyed with PFS modp4096"
    else
        fail "no child rekey within 30 s"
    fi
    wait_for 5 swan_child_installed "$WORK/swan-b"
    check_ping a 10.201.2.1 -I 10.201.1.1
    stop_capture
    local ours theirs big
    ours=$(tshark -r "$WORK/wire.pcap" -Y "isakmp.frag.number && ip.src == 192.0.2.1" 2>/dev/null | wc -l)
    theirs=$(tshark -r "$WORK/wire.pcap" -Y "isakmp.frag.number && ip.src == 192.0.2.2" 2>/dev/null | wc -l)
    big=$(tshark -r "$WORK/wire.pcap" -Y "isakmp.frag.number && ip.len > 576" 2>/dev/null | wc -l)
    log "tshark: $ours IKE fragments from tunsec, $theirs from charon, $big over 576 bytes"
    [ "$ours" -ge 2 ] || fail "tunsec sent no IKE fragments"
    [ "$theirs" -ge 2 ] || fail "charon sent no IKE fragments"
    [ "$big" = 0 ] || fail "$big fragments exceed ike-fragment-size"
    if grep -q 'reassembled fragmented IKE message' "$WORK/swan-b/charon.log"; then
        grep -m1 'reassembled fragmented IKE message' "$WORK/swan-b/charon.log" | sed 's/^/   charon: /'
    else
        fail "charon never reassembled our fragments"
    fi
    SUMMARY+=("$CASE_NAME: $ours fragments sent, $theirs received, PFS rekey done")
}

# Byte-based child lifetime (proposal lifebytes, 500 MB): an iperf3 moving over 1 GB must
# see rekeys, started by tunsec's soft byte limit (80-88 %), without an interval at zero.
# The margin between soft and hard, 60-100 MB, is under a second at these rates: smaller
# lifebytes let a slow peer's CREATE_CHILD_SA answer arrive after the hard limit.
case_rekey_by_bytes() {
    topology_pair
    in_ns b ip addr add 10.201.2.1/32 dev lo
    tunsec_config "$WORK/a.toml" "$WORK/a.sock" 10.201.1.1/24 10.201.1.0/24 10.201.2.0/24 \
        192.0.2.1 192.0.2.2 192.0.2.2 false '"aes-128"' sha256 '"ecp256"' '"aes-128-gcm"' '"null"' none \
        '' 'lifebytes = 500000000'
    charon_config "$WORK/swan-b" 192.0.2.2 192.0.2.1 10.201.2.0/24 10.201.1.0/24 \
        aes128-sha256-ecp256 aes128gcm16 192.0.2.1 192.0.2.1 'rekey_time = 5m'
    swan_start b "$WORK/swan-b" || { fail "charon did not start"; return 1; }
    start_tunsec a "$WORK/a.toml" || return 1
    wait_for 15 peer_established "$WORK/a.sock" || { fail "no SA"; tail "$WORK/tunsec-a.log"; return 1; }
    check_iperf a b 10.201.1.1 10.201.2.1 15
    local zeros child moved
    zeros=$(zero_intervals)
    moved=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["end"]["sum_received"]["bytes"] // 1000000)' "$WORK/iperf.json")
    child=$(grep -c 'child SA established' "$WORK/tunsec-a.log")
    log "iperf3 moved $moved MB; child SAs negotiated: $child; empty intervals: $zeros"
    # Each rekey happens by 500 MB x 88 % at the latest, in either direction's SA.
    [ "$child" -ge $((1 + moved / 500)) ] || fail "expected at least $((moved / 500)) byte-triggered rekeys"
    [ "$zeros" = 0 ] || fail "$zeros iperf3 intervals moved no data"
    SUMMARY+=("$CASE_NAME: $moved MB in 15 s, $((child - 1)) rekeys by bytes, $zeros empty intervals")
}

# COOKIE challenge (RFC 7296 2.6): with ike-cookie-threshold = 0 tunsec answers every new
# IKE_SA_INIT with a COOKIE first; charon must come back with it and the tunnel come up.
case_cookie_charon_init() {
    local DAEMON_EXTRA='ike-cookie-threshold = 0'
    pair charon '"aes-128"' sha256 '"ecp256"' '"aes-128-gcm"' '"null"' none \
        aes128-sha256-ecp256 aes128gcm16 || return 1
    local cookies
    cookies=$(tshark -r "$WORK/wire.pcap" -Y "isakmp.notify.msgtype == 16390" 2>/dev/null | wc -l)
    log "tshark: $cookies IKE_SA_INIT messages carrying a COOKIE notify"
    [ "$cookies" -ge 2 ] || fail "expected our COOKIE and charon's retry with it on the wire"
}

# IKE and ESP over IPv6 outer addresses (2001:db8:2::/64 on the a-b link), tunsec initiating
# to charon and to tunsec.
case_ipv6_outer() {
    topology_pair
    in_ns b ip addr add 10.201.2.1/32 dev lo
    tunsec_config "$WORK/a.toml" "$WORK/a.sock" 10.201.1.1/24 10.201.1.0/24 10.201.2.0/24 \
        2001:db8:2::1 2001:db8:2::2 2001:db8:2::2 false '"aes-128"' sha256 '"ecp256"' '"aes-128-gcm"' '"null"' none
    charon_config "$WORK/swan-b" 2001:db8:2::2 2001:db8:2::1 10.201.2.0/24 10.201.1.0/24 \
        aes128-sha256-ecp256 aes128gcm16
    swan_start b "$WORK/swan-b" || { fail "charon did not start"; return 1; }
    capture b v-b-a "$WORK/wire.pcap"
    start_tunsec a "$WORK/a.toml" || return 1
    if wait_for 15 peer_established "$WORK/a.sock" && wait_for 5 swan_child_installed "$WORK/swan-b"; then
        log "tunsec -> charon over IPv6: $("$TUNSEC" print remote-peers -s "$WORK/a.sock" | tail -1 | grep -o 'remote-address=[^ ]*')"
    else
        fail "no SA with charon over IPv6"
        tail -5 "$WORK/tunsec-a.log"
        grep -E 'IKE|CHD|NET' "$WORK/swan-b/charon.log" | tail -8
        return 1
    fi
    check_ping a 10.201.2.1 -I 10.201.1.1
    stop_capture
    wire_check "$WORK/wire.pcap" "ipv6.src == 2001:db8:2::1 && udp.port == 4500 && esp" "ESP-in-UDP over IPv6"
    check_iperf a b 10.201.1.1 10.201.2.1 3
    SUMMARY+=("$CASE_NAME (charon): iperf3 ${IPERF_GBPS} Gbit/s")
    ns_cleanup
    topology_pair
    tunsec_config "$WORK/a.toml" "$WORK/a.sock" 10.201.1.1/24 10.201.1.0/24 10.201.2.0/24 \
        2001:db8:2::1 2001:db8:2::2 2001:db8:2::2 false '"aes-128"' sha256 '"ecp256"' '"aes-128-gcm"' '"null"' none
    tunsec_config "$WORK/b.toml" "$WORK/b.sock" 10.201.2.1/24 10.201.2.0/24 10.201.1.0/24 \
        2001:db8:2::2 2001:db8:2::1 2001:db8:2::1 true '"aes-128"' sha256 '"ecp256"' '"aes-128-gcm"' '"null"' none
    capture b v-b-a "$WORK/wire.pcap"
    start_tunsec b "$WORK/b.toml" || return 1
    start_tunsec a "$WORK/a.toml" || return 1
    wait_for 10 peer_established "$WORK/a.sock" || { fail "tunsec pair did not establish over IPv6"; return 1; }
    check_ping a 10.201.2.1 -I 10.201.1.1
    stop_capture
    wire_check "$WORK/wire.pcap" "ipv6.src == 2001:db8:2::1 && esp && !udp" "plain ESP over IPv6"
    check_iperf a b 10.201.1.1 10.201.2.1 3
    SUMMARY+=("$CASE_NAME (tunsec): iperf3 ${IPERF_GBPS} Gbit/s")
}

# The manual's 0x form of a pre-shared key: tunsec must use the bytes the hex digits spell.
# charon is given the same bytes in its base64 form (0s...), so a tunsec that took "0x..."
# as text would fail to authenticate.
case_psk_hex_secret() {
    local hex PSK
    hex=$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')
    PSK="0x$hex"
    CHARON_PSK="0s$(python3 -c 'import base64,sys; print(base64.b64encode(bytes.fromhex(sys.argv[1])).decode())' "$hex")"
    pair tunsec '"aes-128"' sha256 '"ecp256"' '"aes-128-gcm"' '"null"' none \
        aes128-sha256-ecp256 aes128gcm16
    unset CHARON_PSK
}

CASES=(psk_gcm_ecp256_tunsec_init psk_gcm_ecp256_charon_init
       psk_cbc_sha256_modp2048_tunsec_init psk_cbc_sha256_modp2048_charon_init
       psk_gcm256_x25519_pfs_tunsec_init psk_gcm256_x25519_pfs_charon_init
       psk_chacha_ecp384_tunsec_init
       natt_tunsec_behind_nat natt_charon_behind_nat proposal_mismatch tunsec_tunsec
       tt_cbc_sha256_modp2048 tt_chacha_ecp384 tt_gcm256_x25519_pfs_rekey tt_natt
       tt_proposal_mismatch tt_rekey_under_load tt_dpd_restart
       charon_charon_baseline rekey_under_load dpd_restart fragmented_pfs_rekey
       rekey_by_bytes cookie_charon_init ipv6_outer psk_hex_secret)

run_cases ike "${ONLY[@]}"
