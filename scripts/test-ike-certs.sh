#!/usr/bin/env bash
# IKEv2 certificate authentication in network namespaces: tunsec against strongSwan's charon
# with X.509 certificates from one CA, RSA and ECDSA, each side initiating; a certificate
# from a CA tunsec does not trust, refused with a log line that says so while tunsec keeps
# running; raw RSA keys (auth-method rsa-key) against charon's swanctl pubkeys, both roles;
# tunsec against tunsec with certificates (through an intermediate CA) and with raw RSA keys. Every certificate and key is made by `tunsec cert` (no OpenSSL). Each tunnel
# carries ping and a 3 s iperf3; the handshake time and throughput are printed per case.
#
# As in test-ike.sh, strongSwan 5.9's libipsec only does UDP-encapsulated ESP, so charon runs
# with `encap = yes`. IKE_AUTH with RSA certificates is larger than 1280 bytes and crosses as
# IKE fragments (RFC 7383), which tshark must see from both ends.
#
# Usage: scripts/test-ike-certs.sh [TUNSEC_BINARY] [CASE...]
# Needs root, iproute2, iperf3, python3, strongSwan (charon, swanctl, kernel-libipsec; the
# x509, pem, pkcs1, openssl plugins scripts/lib/strongswan.sh loads).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
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
WORK=$(mktemp -d /tmp/tunsec-ike-certs.XXXXXX)
PKI="$WORK/pki"
# RSASSA-PSS (the rsa_pss case) needs charon's mgf1 plugin besides strongswan.sh's list.
SWAN_PLUGINS="$SWAN_PLUGINS mgf1"
# shellcheck disable=SC2034 # read by scripts/lib/netns.sh; per run, so runs from several
# worktrees at once do not share (and delete) each other's namespaces
TS_ID=tscert$$

trap 'ns_cleanup; rm -rf "$WORK"' EXIT


# --- certificates, made once by tunsec itself ---------------------------------------------
# ca.pem (RSA 2048) issues gw-a-rsa / gw-b-rsa (RSA 2048); ecca.pem (ECDSA P-384) issues
# gw-a-ec (P-256) and gw-b-ec (P-384); other-ca.pem is a CA nobody else uses; root.pem ->
# sub.pem (an intermediate CA) -> gw-a-chain / gw-b-chain (the chain files hold leaf + sub).
make_pki() {
    mkdir -p "$PKI"
    "$TUNSEC" cert make-ca --cn "CN=tunsec test RSA CA,O=tunsec" --key rsa:2048 \
        --out-cert "$PKI/ca.pem" --out-key "$PKI/ca.key" >/dev/null &&
    "$TUNSEC" cert make-ca --cn "CN=tunsec test EC CA,O=tunsec" --key ecdsa:p384 \
        --out-cert "$PKI/ecca.pem" --out-key "$PKI/ecca.key" >/dev/null &&
    "$TUNSEC" cert make-ca --cn "CN=untrusted CA,O=elsewhere" --key ecdsa:p256 \
        --out-cert "$PKI/other-ca.pem" --out-key "$PKI/other-ca.key" >/dev/null &&
    "$TUNSEC" cert make-ca --cn "CN=tunsec root,O=tunsec" --key ecdsa:p256 \
        --out-cert "$PKI/root.pem" --out-key "$PKI/root.key" >/dev/null &&
    "$TUNSEC" cert issue --ca "$PKI/root.pem" --ca-key "$PKI/root.key" --ca-cert \
        --cn "CN=tunsec intermediate,O=tunsec" --key rsa:2048 \
        --out-cert "$PKI/sub.pem" --out-key "$PKI/sub.key" >/dev/null || return 1
    local gw
    for gw in a b; do
        "$TUNSEC" cert issue --ca "$PKI/ca.pem" --ca-key "$PKI/ca.key" \
            --cn "CN=gw-$gw,O=tunsec" --san "dns:gw-$gw.example" --key rsa:2048 \
            --out-cert "$PKI/gw-$gw-rsa.pem" --out-key "$PKI/gw-$gw-rsa.key" >/dev/null || return 1
        "$TUNSEC" cert issue --ca "$PKI/other-ca.pem" --ca-key "$PKI/other-ca.key" \
            --cn "CN=gw-$gw,O=elsewhere" --key ecdsa:p256 \
            --out-cert "$PKI/gw-$gw-other.pem" --out-key "$PKI/gw-$gw-other.key" >/dev/null || return 1
        "$TUNSEC" cert issue --ca "$PKI/sub.pem" --ca-key "$PKI/sub.key" \
            --cn "CN=gw-$gw,O=tunsec" --san "dns:gw-$gw.example" --key ecdsa:p256 \
            --out-cert "$PKI/gw-$gw-chain.pem" --out-key "$PKI/gw-$gw-chain.key" >/dev/null || return 1
        cat "$PKI/sub.pem" >>"$PKI/gw-$gw-chain.pem"
        # Raw keys as RouterOS's /ip ipsec key menu makes them: generate-key, then the
        # public part exported for the other end with export-pub-key.
        "$TUNSEC" key generate-key "raw-$gw" 2048 --dir "$PKI" >/dev/null || return 1
        rm -f "$PKI/raw-$gw.pub"
        "$TUNSEC" key export-pub-key "$PKI/raw-$gw.key" "$PKI/raw-$gw.pub" >/dev/null || return 1
    done
    "$TUNSEC" cert issue --ca "$PKI/ecca.pem" --ca-key "$PKI/ecca.key" \
        --cn "CN=gw-a,O=tunsec" --san "dns:gw-a.example" --key ecdsa:p256 \
        --out-cert "$PKI/gw-a-ec.pem" --out-key "$PKI/gw-a-ec.key" >/dev/null &&
    "$TUNSEC" cert issue --ca "$PKI/ecca.pem" --ca-key "$PKI/ecca.key" \
        --cn "CN=gw-b,O=tunsec" --san "dns:gw-b.example" --key ecdsa:p384 \
        --out-cert "$PKI/gw-b-ec.pem" --out-key "$PKI/gw-b-ec.key" >/dev/null
}

# --- configuration ------------------------------------------------------------------------
# cert_tunsec_config FILE SIDE(a|b) PASSIVE AUTH_LINES TABLES: one tunsec endpoint for
# gateway a (192.0.2.1, LAN 10.201.1.0/24) or b (192.0.2.2, LAN 10.201.2.0/24) with one ike2
# peer authenticated by AUTH_LINES (auth-method and its keys) and one tunnel policy; TABLES
# ([[certificate]]/[[key]]) are appended.
cert_tunsec_config() {
    local file=$1 side=$2 passive=$3 auth=$4 tables=$5
    local me=1 peer=2
    [ "$side" = b ] && { me=2; peer=1; }
    cat >"$file" <<TOML
[daemon]
workers = 2
control-socket = "$WORK/$side.sock"

[interface]
name = "tunsec0"
address = ["10.201.$me.1/24"]

[[profile]]
name = "ike"
enc-algorithm = ["aes-128"]
hash-algorithm = "sha256"
dh-group = ["ecp256"]

[[proposal]]
name = "esp"
enc-algorithms = ["aes-128-gcm"]
auth-algorithms = ["sha256"]
pfs-group = "none"

[[peer]]
name = "gw"
address = "192.0.2.$peer/32"
local-address = "192.0.2.$me"
exchange-mode = "ike2"
profile = "ike"
passive = $passive
$auth

[[policy]]
src-address = "10.201.$me.0/24"
dst-address = "10.201.$peer.0/24"
sa-src-address = "192.0.2.$me"
sa-dst-address = "192.0.2.$peer"
tunnel = true
peer = "gw"
proposal = "esp"
$tables
TOML
}

# certificate_toml NAME FILE [KEYFILE] [TRUSTED]
certificate_toml() {
    printf '\n[[certificate]]\nname = "%s"\nfile = "%s"\n' "$1" "$2"
    [ -z "${3:-}" ] || printf 'private-key-file = "%s"\n' "$3"
    printf 'trusted = %s\n' "${4:-false}"
}

# cert_charon_config DIR CERT KEY CACERT: charon in b (192.0.2.2) for a tunnel to a
# (192.0.2.1), LAN 10.201.2.0/24 <-> 10.201.1.0/24, authenticating with CERT/KEY (its subject
# DN is its identity) and accepting any identity certified by CACERT. swanctl reads
# credentials from the directory of its --file: x509/, x509ca/ and private/ there.
cert_charon_config() {
    local dir=$1 cert=$2 key=$3 cacert=$4 pss=${5:-no}
    mkdir -p "$dir/x509" "$dir/x509ca" "$dir/private"
    cp "$cert" "$dir/x509/gw.pem"
    cp "$cacert" "$dir/x509ca/ca.pem"
    cp "$key" "$dir/private/gw.key"
    swan_write_config "$dir" 192.0.2.2 192.0.2.1 10.201.2.0/24 10.201.1.0/24 unused aes128gcm16
    # tunsec writes PKCS#8 private keys: swanctl (which reads them) needs the pkcs8 plugin.
    # A later definition of a key replaces the earlier one.
    cat >>"$dir/strongswan.conf" <<'SWAN'
swanctl {
    load = pem pkcs1 pkcs8 x509 revocation constraints pubkey openssl random
}
SWAN
    # pss=yes: charon signs with RSASSA-PSS (RFC 7427 method 14) instead of PKCS#1 v1.5.
    local local_auth=pubkey
    [ "$pss" = yes ] && local_auth=rsa/pss-sha256
    cat >"$dir/swanctl.conf" <<CONF
# Written by scripts/test-ike-certs.sh: certificate authentication.
connections {
    bench {
        version = 2
        local_addrs = 192.0.2.2
        remote_addrs = 192.0.2.1
        encap = yes
        proposals = aes128-sha256-ecp256
        local {
            auth = $local_auth
            certs = gw.pem
        }
        remote {
            auth = pubkey
            cacerts = ca.pem
        }
        children {
            net {
                mode = tunnel
                local_ts = 10.201.2.0/24
                remote_ts = 10.201.1.0/24
                esp_proposals = aes128gcm16
                start_action = none
            }
        }
    }
}
CONF
}

remote_id() { # remote_id SOCK: the established peer's identity as tunsec shows it
    "$TUNSEC" print remote-peers -s "$1" 2>/dev/null | grep -o ' id="[^"]*"' | head -1 | sed 's/^ //'
}

show_failure() { # show_failure: what tunsec and charon said
    tail -n 8 "$WORK"/tunsec-*.log 2>/dev/null | sed 's/^/   /'
    [ -f "$WORK/swan-b/charon.log" ] && grep -E 'IKE|CFG|ENC' "$WORK/swan-b/charon.log" | tail -12 | sed 's/^/   /'
    [ -f "$WORK/swan-b/load.out" ] && sed 's/^/   swanctl: /' "$WORK/swan-b/load.out"
}

# --- tunsec <-> charon --------------------------------------------------------------------
# with_charon ROLE(tunsec|charon) KIND(rsa|ec) [PSS(yes|no)]: tunsec in a with gw-a-KIND,
# charon in b with gw-b-KIND, both trusting the KIND CA; ROLE initiates; PSS=yes makes charon
# sign with RSASSA-PSS.
with_charon() {
    local role=$1 kind=$2 pss=${3:-no} ca=ca
    [ "$kind" = ec ] && ca=ecca
    topology_pair
    in_ns b ip addr add 10.201.2.1/32 dev lo
    local passive=false
    [ "$role" = charon ] && passive=true
    cert_tunsec_config "$WORK/a.toml" a "$passive" \
        $'auth-method = "rsa-signature"\ncertificate = "gw"\nremote-id = "dn:CN=gw-b,O=tunsec"' \
        "$(certificate_toml gw "$PKI/gw-a-$kind.pem" "$PKI/gw-a-$kind.key")$(certificate_toml ca "$PKI/$ca.pem" "" true)" ||
        { fail "config"; return 1; }
    cert_charon_config "$WORK/swan-b" "$PKI/gw-b-$kind.pem" "$PKI/gw-b-$kind.key" "$PKI/$ca.pem" "$pss"
    swan_start b "$WORK/swan-b" || { fail "charon did not start"; show_failure; return 1; }
    capture b v-b-a "$WORK/wire.pcap" "udp"
    local t0 t1
    t0=$(now)
    start_tunsec a "$WORK/a.toml" || return 1
    if [ "$role" = charon ]; then
        t0=$(now)
        swan_initiate "$WORK/swan-b" 20 || fail "charon could not initiate"
    fi
    if wait_for 20 peer_established "$WORK/a.sock" && wait_for 5 swan_child_installed "$WORK/swan-b"; then
        t1=$(now)
        HANDSHAKE=$(elapsed "$t0" "$t1")
        log "established ($role initiated) in ${HANDSHAKE}s; tunsec sees $(remote_id "$WORK/a.sock")"
    else
        fail "no IKE/child SA"
        show_failure
        return 1
    fi
    # charon's view: the signature scheme it verified tunsec's AUTH with (RFC 7427 method 14
    # shows as RSA_EMSA_PKCS1_SHA2_256, ECDSA_WITH_SHA256_DER, ...).
    if grep -q -E "authentication of '[^']*CN=gw-a' with [A-Z0-9_]+ successful" "$WORK/swan-b/charon.log"; then
        grep -m1 -E "authentication of '[^']*CN=gw-a' with" "$WORK/swan-b/charon.log" |
            sed 's/^[^]]*\] *//; s/^/   charon: /'
    else
        fail "charon did not log tunsec's certificate authentication"
    fi
    if [ "$pss" = yes ]; then
        # What charon signed with, so what tunsec verified.
        if grep -q "(myself) with RSA_EMSA_PSS" "$WORK/swan-b/charon.log"; then
            grep -m1 "(myself) with RSA_EMSA_PSS" "$WORK/swan-b/charon.log" | sed 's/^[^]]*\] *//; s/^/   charon: /'
        else
            fail "charon did not sign with RSASSA-PSS: $(grep -m1 "(myself)" "$WORK/swan-b/charon.log")"
        fi
    fi
    check_ping a 10.201.2.1 -I 10.201.1.1
    stop_capture
    # IKE_AUTH with a certificate is larger than 1280 bytes for RSA: both ends agreed on IKE
    # fragmentation (RFC 7383), so it must cross as SKF fragments, not IP fragments.
    local ours theirs ip_frags
    ours=$(tshark -r "$WORK/wire.pcap" -Y "isakmp.frag.number && ip.src == 192.0.2.1" 2>/dev/null | wc -l)
    theirs=$(tshark -r "$WORK/wire.pcap" -Y "isakmp.frag.number && ip.src == 192.0.2.2" 2>/dev/null | wc -l)
    ip_frags=$(tshark -r "$WORK/wire.pcap" -Y "ip.flags.mf == 1 || ip.frag_offset > 0" 2>/dev/null | wc -l)
    log "tshark: IKE fragments $ours from tunsec, $theirs from charon; $ip_frags IP fragments"
    if [ "$kind" = rsa ]; then
        [ "$ours" -ge 2 ] && [ "$theirs" -ge 2 ] || fail "IKE_AUTH with RSA certificates was not sent as IKE fragments both ways"
        [ "$ip_frags" = 0 ] || fail "$ip_frags IP fragments on the wire"
    fi
    check_iperf a b 10.201.1.1 10.201.2.1
    SUMMARY+=("$CASE_NAME: handshake ${HANDSHAKE}s, iperf3 ${IPERF_GBPS} Gbit/s, IKE fragments $ours/$theirs")
}

case_rsa_tunsec_initiates() { with_charon tunsec rsa; }
case_rsa_pss_charon_initiates() { with_charon charon rsa yes; }
case_rsa_charon_initiates() { with_charon charon rsa; }
case_ecdsa_tunsec_initiates() { with_charon tunsec ec; }
case_ecdsa_charon_initiates() { with_charon charon ec; }

# A certificate from a CA tunsec does not trust: refused with one log line naming the CA,
# AUTHENTICATION_FAILED to charon, and tunsec keeps running and answering.
# wrong_ca ROLE: charon initiates to tunsec (tunsec refuses as responder) or tunsec
# initiates (it refuses charon's answer).
wrong_ca() {
    local role=$1
    topology_pair
    local passive=true
    [ "$role" = tunsec ] && passive=false
    cert_tunsec_config "$WORK/a.toml" a "$passive" \
        $'auth-method = "rsa-signature"\ncertificate = "gw"' \
        "$(certificate_toml gw "$PKI/gw-a-rsa.pem" "$PKI/gw-a-rsa.key")$(certificate_toml ca "$PKI/ca.pem" "" true)" ||
        { fail "config"; return 1; }
    # charon's certificate comes from other-ca, which only charon trusts (besides ca).
    cert_charon_config "$WORK/swan-b" "$PKI/gw-b-other.pem" "$PKI/gw-b-other.key" "$PKI/ca.pem"
    swan_start b "$WORK/swan-b" || { fail "charon did not start"; show_failure; return 1; }
    start_tunsec a "$WORK/a.toml" || return 1
    local want='failed to authenticate: certificate not trusted: issuer CN=untrusted CA,O=elsewhere is not a trusted CA'
    if [ "$role" = charon ]; then
        if swan_ctl "$WORK/swan-b" --initiate --child net --timeout 10 >"$WORK/swan-b/initiate.out" 2>&1; then
            fail "charon's initiate succeeded against a tunsec that does not trust its CA"
        fi
        if grep -q 'AUTHENTICATION_FAILED' "$WORK/swan-b/charon.log"; then
            log "charon: received AUTHENTICATION_FAILED"
        else
            fail "charon did not get AUTHENTICATION_FAILED"
        fi
    fi
    if wait_for 10 grep -q "$want" "$WORK/tunsec-a.log"; then
        log "tunsec: $(grep -m1 "$want" "$WORK/tunsec-a.log" | sed 's/^.*ipsec,error //')"
    else
        fail "tunsec did not log the untrusted CA"
        show_failure
    fi
    # One line per attempt, not a cascade; and nothing established.
    local n
    n=$(grep -c 'failed to authenticate' "$WORK/tunsec-a.log")
    [ "$role" = charon ] && [ "$n" -ne 1 ] && fail "expected one failure line, got $n"
    peer_established "$WORK/a.sock" && fail "an SA was established"
    if kill -0 "$TUNSEC_PID" 2>/dev/null && "$TUNSEC" print remote-peers -s "$WORK/a.sock" >/dev/null 2>&1; then
        log "tunsec still running and answering its control socket"
    else
        fail "tunsec is not running any more"
    fi
    SUMMARY+=("$CASE_NAME: refused as expected")
}

case_wrong_ca_charon_initiates() { wrong_ca charon; }
case_wrong_ca_tunsec_initiates() { wrong_ca tunsec; }

# --- tunsec <-> tunsec --------------------------------------------------------------------
# tunsec_pair AUTH_A TABLES_A AUTH_B TABLES_B: a initiates to b.
tunsec_pair() {
    topology_pair
    cert_tunsec_config "$WORK/a.toml" a false "$1" "$2" || { fail "config a"; return 1; }
    cert_tunsec_config "$WORK/b.toml" b true "$3" "$4" || { fail "config b"; return 1; }
    start_tunsec b "$WORK/b.toml" || return 1
    local t0 t1
    t0=$(now)
    start_tunsec a "$WORK/a.toml" || return 1
    if wait_for 20 peer_established "$WORK/a.sock" && wait_for 5 peer_established "$WORK/b.sock"; then
        t1=$(now)
        HANDSHAKE=$(elapsed "$t0" "$t1")
        log "established in ${HANDSHAKE}s; a sees $(remote_id "$WORK/a.sock"), b sees $(remote_id "$WORK/b.sock")"
    else
        fail "no IKE/child SA"
        show_failure
        return 1
    fi
    check_ping a 10.201.2.1 -I 10.201.1.1
    check_iperf a b 10.201.1.1 10.201.2.1
    SUMMARY+=("$CASE_NAME: handshake ${HANDSHAKE}s, iperf3 ${IPERF_GBPS} Gbit/s")
}

# ECDSA leaves under an RSA intermediate under an ECDSA root; each side sends leaf +
# intermediate and trusts only the root; fqdn identities checked against subjectAltName.
case_tunsec_tunsec_chain() {
    tunsec_pair \
        $'auth-method = "rsa-signature"\ncertificate = "gw"\nmy-id = "fqdn:gw-a.example"\nremote-id = "fqdn:gw-b.example"' \
        "$(certificate_toml gw "$PKI/gw-a-chain.pem" "$PKI/gw-a-chain.key")$(certificate_toml root "$PKI/root.pem" "" true)" \
        $'auth-method = "rsa-signature"\ncertificate = "gw"\nmy-id = "fqdn:gw-b.example"\nremote-id = "fqdn:*.example"' \
        "$(certificate_toml gw "$PKI/gw-b-chain.pem" "$PKI/gw-b-chain.key")$(certificate_toml root "$PKI/root.pem" "" true)"
}

# auth-method = "rsa-key": raw RSA keys (/ip ipsec key), each side holding its private key
# and the other's public key.
case_tunsec_tunsec_rsa_key() {
    local keys_a keys_b
    keys_a=$(printf '\n[[key]]\nname = "own"\nfile = "%s"\n\n[[key]]\nname = "peer"\nfile = "%s"\n' "$PKI/raw-a.key" "$PKI/raw-b.pub")
    keys_b=$(printf '\n[[key]]\nname = "own"\nfile = "%s"\n\n[[key]]\nname = "peer"\nfile = "%s"\n' "$PKI/raw-b.key" "$PKI/raw-a.pub")
    tunsec_pair $'auth-method = "rsa-key"\nkey = "own"\nremote-key = "peer"' "$keys_a" \
        $'auth-method = "rsa-key"\nkey = "own"\nremote-key = "peer"' "$keys_b" || return 1
    # /ip ipsec key print: the manual's key-size, private-key and rsa, read from the files.
    "$TUNSEC" print key -s "$WORK/a.sock" | sed 's/^/   | /'
    "$TUNSEC" print key -s "$WORK/a.sock" | grep -q 'name="own" key-size=2048 private-key=yes rsa=yes' ||
        fail "print key does not show own as a 2048-bit RSA private key"
    "$TUNSEC" print key -s "$WORK/a.sock" | grep -q 'name="peer" key-size=2048 private-key=no rsa=yes' ||
        fail "print key does not show peer as a 2048-bit RSA public key"
}

# auth-method = "rsa-key" against charon's raw public keys (swanctl pubkeys): tunsec holds
# its private key and charon's public key, charon the reverse; identities are the addresses.
# tunsec initiates (rsa_key_tunsec_initiates) or charon does (rsa_key_charon_initiates).
rsa_key_with_charon() {
    local role=$1
    topology_pair
    in_ns b ip addr add 10.201.2.1/32 dev lo
    local passive=false
    [ "$role" = charon ] && passive=true
    cert_tunsec_config "$WORK/a.toml" a "$passive" $'auth-method = "rsa-key"\nkey = "own"\nremote-key = "peer"' \
        "$(printf '\n[[key]]\nname = "own"\nfile = "%s"\n\n[[key]]\nname = "peer"\nfile = "%s"\n' "$PKI/raw-a.key" "$PKI/raw-b.pub")" ||
        { fail "config"; return 1; }
    local dir="$WORK/swan-b"
    cert_charon_config "$dir" "$PKI/gw-b-rsa.pem" "$PKI/raw-b.key" "$PKI/ca.pem"
    rm -f "$dir/x509/gw.pem" "$dir/x509ca/ca.pem"
    mkdir -p "$dir/pubkey"
    cp "$PKI/raw-a.pub" "$dir/pubkey/peer.pub"
    cp "$PKI/raw-b.pub" "$dir/pubkey/own.pub"
    python3 - "$dir/swanctl.conf" <<'PY'
import sys
p = sys.argv[1]
s = open(p).read()
s = s.replace("certs = gw.pem", "pubkeys = own.pub\n            id = 192.0.2.2")
s = s.replace("cacerts = ca.pem", "pubkeys = peer.pub\n            id = 192.0.2.1")
open(p, "w").write(s)
PY
    swan_start b "$dir" || { fail "charon did not start"; show_failure; return 1; }
    local t0
    t0=$(now)
    start_tunsec a "$WORK/a.toml" || return 1
    if [ "$role" = charon ]; then
        t0=$(now)
        swan_initiate "$dir" 20 || fail "charon could not initiate"
    fi
    if wait_for 20 peer_established "$WORK/a.sock" && wait_for 5 swan_child_installed "$dir"; then
        HANDSHAKE=$(elapsed "$t0" "$(now)")
        log "established ($role initiated) in ${HANDSHAKE}s; tunsec sees $(remote_id "$WORK/a.sock")"
    else
        fail "no IKE/child SA with raw RSA keys"
        show_failure
        return 1
    fi
    if grep -q -E "authentication of '192.0.2.1' with [A-Z0-9_]+ successful" "$dir/charon.log"; then
        grep -m1 -E "authentication of '192.0.2.1' with" "$dir/charon.log" | sed 's/^[^]]*\] *//; s/^/   charon: /'
    else
        fail "charon did not log tunsec's raw-key authentication"
    fi
    check_ping a 10.201.2.1 -I 10.201.1.1
    check_iperf a b 10.201.1.1 10.201.2.1
    SUMMARY+=("$CASE_NAME: handshake ${HANDSHAKE}s, iperf3 ${IPERF_GBPS} Gbit/s")
}

case_rsa_key_tunsec_initiates() { rsa_key_with_charon tunsec; }
case_rsa_key_charon_initiates() { rsa_key_with_charon charon; }

CASES=(rsa_tunsec_initiates rsa_charon_initiates rsa_pss_charon_initiates
       ecdsa_tunsec_initiates ecdsa_charon_initiates
       wrong_ca_charon_initiates wrong_ca_tunsec_initiates tunsec_tunsec_chain
       tunsec_tunsec_rsa_key rsa_key_tunsec_initiates rsa_key_charon_initiates)

echo "-- making the test PKI with $TUNSEC cert"
make_pki || { echo "tunsec cert failed"; exit 1; }
"$TUNSEC" cert show "$PKI/gw-a-chain.pem" | sed 's/^/   /'

run_cases ike-certs "${ONLY[@]}"
