# Network-namespace topologies for tunsec's demo, tests and benchmarks. Source this file.
#
# Only addresses inside namespaces this file creates are used: outer links 192.0.2.0/24,
# 198.51.100.0/24 and 203.0.113.0/24. Every namespace is named with the TS_ID prefix so
# concurrent runs do not collide, and ns_cleanup removes exactly what was created here and
# ends exactly the processes started through ns_spawn (by PID).

TS_ID="${TS_ID:-ts$$}"
TS_NAMESPACES=()
TS_PIDS=()

# ns NAME -> the namespace's full name.
ns() { echo "${TS_ID}-$1"; }

ns_add() {
    local name; name=$(ns "$1")
    ip netns add "$name"
    TS_NAMESPACES+=("$name")
    ip -n "$name" link set lo up
}

# in NS CMD... runs a command inside a namespace.
in_ns() {
    local name; name=$(ns "$1"); shift
    ip netns exec "$name" "$@"
}

# ns_spawn NS LOGFILE CMD... starts a background process in a namespace; prints its PID.
ns_spawn() {
    local name; name=$(ns "$1"); local log=$2; shift 2
    ip netns exec "$name" "$@" >"$log" 2>&1 &
    local pid=$!
    TS_PIDS+=("$pid")
    echo "$pid"
}

# link A B ADDR_A ADDR_B PREFIX: a veth pair between two namespaces.
ns_link() {
    local a=$1 b=$2 addr_a=$3 addr_b=$4 prefix=$5
    local va="v-$1-$2" vb="v-$2-$1"
    ip link add "$va" netns "$(ns "$a")" type veth peer name "$vb" netns "$(ns "$b")"
    ip -n "$(ns "$a")" addr add "$addr_a/$prefix" dev "$va"
    ip -n "$(ns "$b")" addr add "$addr_b/$prefix" dev "$vb"
    ip -n "$(ns "$a")" link set "$va" up
    ip -n "$(ns "$b")" link set "$vb" up
}

# Two gateways on one link: a (192.0.2.1) and b (192.0.2.2). Each gateway's TUN device
# carries its protected LAN address (10.201.1.1, 10.201.2.1), configured by tunsec.
topology_pair() {
    ns_add a
    ns_add b
    ns_link a b 192.0.2.1 192.0.2.2 24
    ip -n "$(ns a)" -6 addr add 2001:db8:2::1/64 dev v-a-b nodad
    ip -n "$(ns b)" -6 addr add 2001:db8:2::2/64 dev v-b-a nodad
}

# A client behind a NAT: client (198.51.100.2) -- nat (198.51.100.1 | 203.0.113.1, nftables
# masquerade) -- server (203.0.113.2).
topology_nat() {
    ns_add client
    ns_add nat
    ns_add server
    ns_link client nat 198.51.100.2 198.51.100.1 24
    ns_link nat server 203.0.113.1 203.0.113.2 24
    ip -n "$(ns client)" route add default via 198.51.100.1
    in_ns nat sysctl -qw net.ipv4.ip_forward=1
    in_ns nat nft -f - <<'NFT'
table ip tunsec_nat {
    chain postrouting {
        type nat hook postrouting priority srcnat; policy accept;
        oifname "v-nat-server" masquerade
    }
}
NFT
}

# Ends the processes started with ns_spawn (TERM, then KILL), then deletes the namespaces.
ns_cleanup() {
    local pid
    for pid in "${TS_PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${TS_PIDS[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    TS_PIDS=()
    local n
    for n in "${TS_NAMESPACES[@]}"; do
        ip netns del "$n" 2>/dev/null || true
    done
    TS_NAMESPACES=()
}

# wait_for SECONDS CMD...: retries CMD every 0.1 s until it succeeds.
wait_for() {
    local limit=$1; shift
    local i
    for i in $(seq $((limit * 10))); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    return 1
}
