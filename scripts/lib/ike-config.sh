# shellcheck shell=bash
# Configuration writers for IKEv2 tests: one tunsec endpoint keyed by IKE (TOML, RouterOS
# /ip ipsec property names) and one strongSwan charon endpoint (swanctl.conf). Source this file
# after scripts/lib/netns.sh and scripts/lib/strongswan.sh.
#
# Both writers take KEY=VALUE arguments after the file or directory; every key has a default
# (shown in the comments), so a call names only what differs. Lists are comma separated
# (ike_enc=aes-128,aes-256). An unknown key is an error, so a typo never silently falls back to
# a default.

# ike_toml_list "a,b" prints ["a", "b"].
ike_toml_list() {
    local out="" item
    local IFS=,
    for item in $1; do
        out+="${out:+, }\"$item\""
    done
    echo "[$out]"
}

# ike_tunsec_config FILE KEY=VALUE...
# writes one tunsec endpoint: [daemon], [interface], one [[profile]], one [[proposal]], one
# ike2 [[peer]] authenticated with a pre-shared key and one tunnel [[policy]] using them.
#   sock=          control socket path (required)
#   lan=           the TUN's address with prefix, e.g. 10.201.1.1/24 (required)
#   local_net=     protected local selector, e.g. 10.201.1.0/24 (required)
#   remote_net=    protected remote selector (required)
#   local=         outer address: peer local-address and policy sa-src-address (required)
#   peer=          the peer's outer address (peer address; /32 added without a prefix) (required)
#   sa_dst=        policy sa-dst-address (default: peer without its prefix)
#   psk=           pre-shared key (default $IKE_PSK)
#   passive=false  true: responder only; false: initiate at start
#   my_id=auto
#   ike_enc=aes-128  hash=sha256  dh=ecp256  ike_lifetime=1d
#   dpd_interval=2m  dpd_failures=5  natt=true
#   esp_enc=aes-128-gcm  esp_auth=sha256  pfs=none  esp_lifetime=30m
#   log_level=info  workers=2  iface=tunsec0  name=gw (the peer's name)
ike_tunsec_config() {
    local file=$1; shift
    local -A o=(
        [sock]="" [lan]="" [local_net]="" [remote_net]="" [local]="" [peer]="" [sa_dst]=""
        [psk]="${IKE_PSK:-}" [passive]=false [my_id]=auto
        [ike_enc]=aes-128 [hash]=sha256 [dh]=ecp256 [ike_lifetime]=1d
        [dpd_interval]=2m [dpd_failures]=5 [natt]=true
        [esp_enc]=aes-128-gcm [esp_auth]=sha256 [pfs]=none [esp_lifetime]=30m
        [log_level]=info [workers]=2 [iface]=tunsec0 [name]=gw
    )
    local kv k
    for kv in "$@"; do
        k=${kv%%=*}
        [ -n "${o[$k]+set}" ] || { echo "ike_tunsec_config: unknown key $k" >&2; return 1; }
        o[$k]=${kv#*=}
    done
    for k in sock lan local_net remote_net local peer psk; do
        [ -n "${o[$k]}" ] || { echo "ike_tunsec_config: $k= is required" >&2; return 1; }
    done
    local peer_addr=${o[peer]}
    [[ $peer_addr == */* ]] || peer_addr+=/32
    local sa_dst=${o[sa_dst]:-${o[peer]%/*}}
    cat >"$file" <<TOML
# Written by scripts/lib/ike-config.sh (ike_tunsec_config).
[daemon]
workers = ${o[workers]}
control-socket = "${o[sock]}"
log-level = "${o[log_level]}"

[interface]
name = "${o[iface]}"
address = ["${o[lan]}"]

[[profile]]
name = "ike"
enc-algorithm = $(ike_toml_list "${o[ike_enc]}")
hash-algorithm = "${o[hash]}"
dh-group = $(ike_toml_list "${o[dh]}")
lifetime = "${o[ike_lifetime]}"
dpd-interval = "${o[dpd_interval]}"
dpd-maximum-failures = ${o[dpd_failures]}
nat-traversal = ${o[natt]}

[[proposal]]
name = "esp"
enc-algorithms = $(ike_toml_list "${o[esp_enc]}")
auth-algorithms = $(ike_toml_list "${o[esp_auth]}")
pfs-group = "${o[pfs]}"
lifetime = "${o[esp_lifetime]}"

[[peer]]
name = "${o[name]}"
address = "$peer_addr"
local-address = "${o[local]}"
exchange-mode = "ike2"
auth-method = "pre-shared-key"
secret = "${o[psk]}"
profile = "ike"
passive = ${o[passive]}
my-id = "${o[my_id]}"

[[policy]]
src-address = "${o[local_net]}"
dst-address = "${o[remote_net]}"
sa-src-address = "${o[local]}"
sa-dst-address = "$sa_dst"
tunnel = true
peer = "${o[name]}"
proposal = "esp"
TOML
}

# ike_charon_config DIR KEY=VALUE...
# writes DIR/strongswan.conf (swan_write_config's: plugins, VICI socket, DIR/charon.log) and
# DIR/swanctl.conf with the connection "bench" and its child "net" (the names the swan_*
# functions of scripts/lib/strongswan.sh use), IKEv2 with a pre-shared key, encap = yes
# (kernel-libipsec in strongSwan 5.9 does ESP-in-UDP only).
#   local=         outer address; local_addrs and, by default, the local identity (required)
#   remote=        remote_addrs: an address, or %any for a responder behind whom a NAT
#                  hides the initiator (required)
#   remote_id=     the peer's identity (default: remote; required when remote=%any)
#   local_id=      (default: local)
#   local_ts=  remote_ts=  the child's traffic selectors (required)
#   psk=           (default $IKE_PSK)
#   ike=aes128-sha256-ecp256   proposals (IKE SA)
#   esp=aes128gcm16            esp_proposals (add a DH group for PFS: aes256gcm16-curve25519)
#   rekey_time=    IKE SA rekey_time (default: charon's, 4h)
#   child_rekey=   child rekey_time (default: charon's, 1h)
#   child_life=    child life_time (default: charon's, rekey time + 10 %)
#   child_rand=    child rand_time (default: charon's)
#   dpd_delay=     (default: none)
#   child_dpd_action=  the child's dpd_action (default: charon's, clear; restart re-initiates)
#   unique=replace     a new IKE SA from the same peer replaces the old one
#   mobike=        (default: charon's, yes)
#   start_action=none  (trap, start)
#   keyingtries=   (default: charon's, 1; 0 = forever)
#   fast_retransmit=no  yes: charon retransmits after 1 s, gives up after 3 tries (for DPD)
ike_charon_config() {
    local dir=$1; shift
    local -A o=(
        [local]="" [remote]="" [remote_id]="" [local_id]="" [local_ts]="" [remote_ts]=""
        [psk]="${IKE_PSK:-}" [ike]=aes128-sha256-ecp256 [esp]=aes128gcm16
        [rekey_time]="" [child_rekey]="" [child_life]="" [child_rand]=""
        [dpd_delay]="" [child_dpd_action]="" [unique]=replace [mobike]=""
        [start_action]=none [keyingtries]="" [fast_retransmit]=no
    )
    local kv k
    for kv in "$@"; do
        k=${kv%%=*}
        [ -n "${o[$k]+set}" ] || { echo "ike_charon_config: unknown key $k" >&2; return 1; }
        o[$k]=${kv#*=}
    done
    for k in local remote local_ts remote_ts psk; do
        [ -n "${o[$k]}" ] || { echo "ike_charon_config: $k= is required" >&2; return 1; }
    done
    local rid=${o[remote_id]:-${o[remote]}} lid=${o[local_id]:-${o[local]}}
    [ "$rid" != %any ] || { echo "ike_charon_config: remote=%any needs remote_id=" >&2; return 1; }
    mkdir -p "$dir"
    # strongswan.conf exactly as scripts/lib/strongswan.sh writes it (its swanctl.conf is
    # replaced below).
    swan_write_config "$dir" "${o[local]}" "$rid" "${o[local_ts]}" "${o[remote_ts]}" "${o[psk]}" "${o[esp]}"
    if [ "${o[fast_retransmit]}" = yes ]; then
        # Later settings of a section are merged into the earlier one.
        cat >>"$dir/strongswan.conf" <<'CONF'
charon {
    retransmit_timeout = 1
    retransmit_base = 1
    retransmit_tries = 2
}
CONF
    fi
    # _ike_opt NAME KEY: a "NAME = value" line when the option was given.
    _ike_opt() { [ -z "${o[$2]}" ] || printf '%s = %s\n' "$1" "${o[$2]}"; }
    {
        cat <<CONF
# Written by scripts/lib/ike-config.sh (ike_charon_config).
connections {
    bench {
        version = 2
        local_addrs = ${o[local]}
        remote_addrs = ${o[remote]}
        # kernel-libipsec in strongSwan 5.9 handles UDP-encapsulated ESP only.
        encap = yes
        proposals = ${o[ike]}
        unique = ${o[unique]}
CONF
        {
            _ike_opt rekey_time rekey_time
            _ike_opt dpd_delay dpd_delay
            _ike_opt mobike mobike
            _ike_opt keyingtries keyingtries
        } | sed 's/^/        /'
        cat <<CONF
        local {
            auth = psk
            id = $lid
        }
        remote {
            auth = psk
            id = $rid
        }
        children {
            net {
                mode = tunnel
                local_ts = ${o[local_ts]}
                remote_ts = ${o[remote_ts]}
                esp_proposals = ${o[esp]}
                start_action = ${o[start_action]}
CONF
        {
            _ike_opt rekey_time child_rekey
            _ike_opt life_time child_life
            _ike_opt rand_time child_rand
            _ike_opt dpd_action child_dpd_action
        } | sed 's/^/                /'
        cat <<CONF
            }
        }
    }
}
secrets {
    ike-bench {
        id-local = $lid
        id-remote = $rid
        secret = "${o[psk]}"
    }
}
CONF
    } >"$dir/swanctl.conf"
    unset -f _ike_opt
}
