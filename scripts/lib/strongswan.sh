# shellcheck shell=bash
# strongSwan (charon + kernel-libipsec) as a third-party IPsec peer in tunsec's network
# namespaces. Source this file after scripts/lib/netns.sh.
#
# The kernel here has no ESP (no XFRM dataplane), so charon runs with its userspace dataplane,
# the kernel-libipsec plugin: ESP is processed inside charon and inner packets go through a
# TUN device, ipsec0, with routes to the remote traffic selectors in routing table 220.
# strongSwan 5.9's libipsec only speaks UDP-encapsulated ESP, so connections use
# `encap = yes` (charon then fakes a NAT so both ends float to port 4500).
#
# Several charon instances run side by side, each with its own directory DIR holding:
#   DIR/strongswan.conf   explicit plugin list (kernel-libipsec before kernel-netlink), the
#                         VICI socket at DIR/charon.vici and a log file at DIR/charon.log
#   DIR/swanctl.conf      the connection and its pre-shared key
#   DIR/run/              bind-mounted over /run in charon's private mount namespace,
#                         because charon 5.9 hard-codes /var/run/charon.pid
# STRONGSWAN_CONF=DIR/strongswan.conf selects the instance for both charon and swanctl;
# swanctl talks to charon over DIR/charon.vici (a path, so it works from any namespace).
#
# Needs: /usr/lib/ipsec/charon and swanctl (strongswan-charon, strongswan-swanctl,
# libstrongswan-standard-plugins for gcm/openssl/aesni, libcharon-extra-plugins for
# kernel-libipsec), unshare and mount from util-linux.

SWAN_CHARON=${SWAN_CHARON:-/usr/lib/ipsec/charon}

# Plugins charon loads, in order. kernel-libipsec must come before kernel-netlink, or the
# netlink XFRM backend (unusable without in-kernel ESP) becomes the IPsec backend;
# kernel-netlink stays for addresses and routes.
SWAN_PLUGINS="aesni aes sha2 sha1 random nonce x509 revocation constraints pubkey pkcs1 pem gmp
curve25519 kdf openssl hmac gcm kernel-libipsec kernel-netlink socket-default vici"

# swan_check: succeeds when charon, swanctl and the plugins this file uses are installed.
swan_check() {
    local p
    [ -x "$SWAN_CHARON" ] || { echo "no charon at $SWAN_CHARON"; return 1; }
    command -v swanctl >/dev/null || { echo "no swanctl"; return 1; }
    command -v unshare >/dev/null || { echo "no unshare"; return 1; }
    for p in kernel-libipsec gcm vici; do
        [ -e "/usr/lib/ipsec/plugins/libstrongswan-$p.so" ] ||
            { echo "strongSwan plugin $p is not installed"; return 1; }
    done
}

# swan_write_config DIR LOCAL_ADDR REMOTE_ADDR LOCAL_TS REMOTE_TS PSK [ESP_PROPOSALS]
# writes DIR/strongswan.conf and DIR/swanctl.conf for one end of an IKEv2 tunnel between the
# outer addresses LOCAL_ADDR and REMOTE_ADDR protecting LOCAL_TS <-> REMOTE_TS, authenticated
# with the pre-shared key PSK (both ends identified by their outer address). The connection
# is called "bench", its child SA "net".
swan_write_config() {
    local dir=$1 local_addr=$2 remote_addr=$3 local_ts=$4 remote_ts=$5 psk=$6
    local esp=${7:-aes128gcm16}
    mkdir -p "$dir/run"
    cat >"$dir/strongswan.conf" <<CONF
charon {
    load_modular = no
    load = $(echo "$SWAN_PLUGINS" | tr '\n' ' ')
    # Both ends live in their own namespace, so the standard ports are free.
    port = 500
    port_nat_t = 4500
    plugins {
        vici {
            socket = unix://$dir/charon.vici
        }
    }
    filelog {
        log {
            path = $dir/charon.log
            time_format = %H:%M:%S
            flush_line = yes
            default = 1
            ike = 1
            cfg = 1
        }
    }
    # Nothing to the host's syslog.
    syslog {
        daemon {
            default = -1
        }
    }
}
swanctl {
    load = pem pkcs1 x509 revocation constraints pubkey openssl random
}
CONF
    cat >"$dir/swanctl.conf" <<CONF
connections {
    bench {
        version = 2
        local_addrs = $local_addr
        remote_addrs = $remote_addr
        # kernel-libipsec in strongSwan 5.9 handles UDP-encapsulated ESP only.
        encap = yes
        proposals = aes128gcm16-prfsha256-x25519
        local {
            auth = psk
            id = $local_addr
        }
        remote {
            auth = psk
            id = $remote_addr
        }
        children {
            net {
                mode = tunnel
                local_ts = $local_ts
                remote_ts = $remote_ts
                esp_proposals = $esp
                start_action = none
            }
        }
    }
}
secrets {
    ike-bench {
        id-local = $local_addr
        id-remote = $remote_addr
        secret = "$psk"
    }
}
CONF
}

# swan_ctl DIR COMMAND [ARGS...] runs `swanctl COMMAND` against the instance in DIR
# (swanctl wants the command first, then its options).
swan_ctl() {
    local dir=$1 cmd=$2; shift 2
    STRONGSWAN_CONF="$dir/strongswan.conf" swanctl "$cmd" --uri "unix://$dir/charon.vici" "$@"
}

# swan_start NS DIR starts charon for the instance in DIR inside namespace NS, in a private
# mount namespace whose /run is DIR/run, waits for its VICI socket and loads DIR/swanctl.conf.
# Sets SWAN_PID to charon's PID. charon is started through ns_spawn, so ns_cleanup ends it;
# call swan_start directly, not in $(...), or ns_spawn's record of the PID is lost.
swan_start() {
    local ns=$1 dir=$2
    # `ip netns exec`, env and unshare all exec, and the shell execs charon, so the PID
    # ns_spawn records is charon's own.
    # shellcheck disable=SC2016 # $1 and $2 are the inner shell's arguments
    ns_spawn "$ns" "$dir/charon.out" env STRONGSWAN_CONF="$dir/strongswan.conf" \
        unshare --mount --propagation private \
        sh -c 'mount --bind "$1/run" /run && exec "$2"' sh "$dir" "$SWAN_CHARON" >/dev/null
    # shellcheck disable=SC2034 # for the caller
    SWAN_PID=${TS_PIDS[-1]}
    if ! wait_for 15 swan_ctl "$dir" --stats; then
        echo "charon in $ns did not open its VICI socket" >&2
        tail -n 20 "$dir/charon.out" "$dir/charon.log" >&2 2>/dev/null
        return 1
    fi
    if ! swan_ctl "$dir" --load-all --file "$dir/swanctl.conf" >"$dir/load.out" 2>&1; then
        echo "swanctl --load-all failed in $ns" >&2
        cat "$dir/load.out" >&2
        return 1
    fi
}

# swan_child_installed DIR: succeeds when the child SA "net" is INSTALLED.
swan_child_installed() {
    swan_ctl "$1" --list-sas --child net 2>/dev/null | grep -q 'INSTALLED'
}

# swan_initiate DIR [TIMEOUT] initiates the child SA "net" from the instance in DIR and waits
# until it is INSTALLED.
swan_initiate() {
    local dir=$1 limit=${2:-20}
    if ! swan_ctl "$dir" --initiate --child net --timeout "$limit" >"$dir/initiate.out" 2>&1; then
        echo "swanctl --initiate failed" >&2
        tail -n 20 "$dir/initiate.out" >&2
        return 1
    fi
    if ! wait_for "$limit" swan_child_installed "$dir"; then
        echo "child SA not INSTALLED" >&2
        swan_ctl "$dir" --list-sas >&2
        return 1
    fi
}

# swan_child_bytes DIR prints "BYTES_IN BYTES_OUT" of the installed child SA "net"
# (from the "in  <spi>, N bytes, ..." and "out <spi>, N bytes, ..." lines of --list-sas; kept
# as strings, as awk may print large numbers in exponent form).
swan_child_bytes() {
    swan_ctl "$1" --list-sas --child net 2>/dev/null | awk '
        $1 == "in"  && $3 ~ /^[0-9]+$/ && $4 ~ /^bytes/ { i = $3 }
        $1 == "out" && $3 ~ /^[0-9]+$/ && $4 ~ /^bytes/ { o = $3 }
        END { print (i == "" ? 0 : i), (o == "" ? 0 : o) }'
}

# swan_route_src NS PREFIX prints the source address of the route charon installed to
# PREFIX via ipsec0 in table 220 (kernel-libipsec picks it from the local traffic selector),
# i.e. the inner address to bind to. Fails when there is no such route.
swan_route_src() {
    local ns=$1 prefix=$2 line
    line=$(in_ns "$ns" ip -4 route show table 220 "$prefix" 2>/dev/null | grep 'dev ipsec0') || return 1
    echo "$line" | awk '{ for (i = 1; i < NF; i++) if ($i == "src") { print $(i + 1); exit } }' | grep .
}

# swan_ike_established DIR: succeeds when the IKE SA "bench" is ESTABLISHED.
swan_ike_established() {
    swan_ctl "$1" --list-sas --ike bench 2>/dev/null | grep -q '^bench: #[0-9]*, ESTABLISHED'
}

# swan_ike_spis DIR prints "SPI_I SPI_R" (hex) of the ESTABLISHED IKE SA "bench"; nothing
# when there is none.
swan_ike_spis() {
    swan_ctl "$1" --list-sas --ike bench 2>/dev/null | awk '
        $1 == "bench:" && $3 == "ESTABLISHED," {
            i = $5; r = $6; sub(/_i\*?$/, "", i); sub(/_r\*?$/, "", r); print i, r; exit }'
}

# swan_child_spis DIR prints the SPIs of the INSTALLED child SAs "net" as "in:SPI out:SPI"
# (hex, sorted, one line); nothing when none is installed.
swan_child_spis() {
    swan_ctl "$1" --list-sas --child net 2>/dev/null | awk '
        $1 == "net:" { installed = ($5 == "INSTALLED,") }
        installed && ($1 == "in" || $1 == "out") { s = $2; sub(/,$/, "", s); print $1 ":" s }' |
        sort | tr '\n' ' ' | sed 's/ $//'
}

# swan_child_algs DIR prints the algorithms of the INSTALLED child SA "net" as swanctl shows
# them after "ESP:", e.g. AES_GCM_16-256 or AES_GCM_16-256/CURVE_25519 (a DH group appears
# when the child was created with PFS, i.e. by CREATE_CHILD_SA with a KE payload).
swan_child_algs() {
    swan_ctl "$1" --list-sas --child net 2>/dev/null | awk '
        $1 == "net:" && $5 == "INSTALLED," {
            for (i = 5; i <= NF; i++) if ($i ~ /^ESP:/) { sub(/^ESP:/, "", $i); a = $i } }
        END { if (a != "") print a }'
}

# swan_rekey DIR child|ike asks charon to rekey the child SA "net" or the IKE SA "bench" now
# (CREATE_CHILD_SA, charon initiating); fails when charon reports a failure.
swan_rekey() {
    local dir=$1 what=$2
    case $what in
    child) swan_ctl "$dir" --rekey --child net ;;
    ike) swan_ctl "$dir" --rekey --ike bench ;;
    *) echo "swan_rekey: child or ike" >&2; return 2 ;;
    esac
}
