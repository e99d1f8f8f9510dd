#!/usr/bin/env bash
# End-to-end throughput of tunsec against the plain veth ceiling and strongSwan, measured with
# iperf3 (TCP) between two network namespaces on one veth link (scripts/lib/netns.sh,
# topology_pair: gateway a 192.0.2.1, gateway b 192.0.2.2; LANs 10.201.1.0/24 and
# 10.201.2.0/24). The iperf3 client runs in a, bound to its LAN address, the server in b.
#
# Scenarios (the topology is recreated for each):
#   veth-on        plain veth, 192.0.2.1 -> 192.0.2.2, default offloads (the ceiling)
#   veth-off       the same with GRO/GSO/TSO off on both veth ends (ethtool; skipped when
#                  ethtool is missing: apt-get install -y ethtool)
#   tunsec-esp-w1  tunsec, AES-128-GCM ESP tunnel, manual SAs, raw ESP,   workers = 1
#   tunsec-esp-w2                                                          workers = 2
#   tunsec-udp-w1  tunsec, the same over ESP-in-UDP (nat-t = true),       workers = 1
#   tunsec-udp-w2                                                          workers = 2
#   strongswan     strongSwan charon pair with kernel-libipsec (userspace ESP; UDP-encapsulated
#                  only), IKEv2 with PSK, aes128gcm16, tunnel 10.201.1.0/24 <-> 10.201.2.0/24
#                  (scripts/lib/strongswan.sh)
# For the tunnels, a one-second iperf3 before the measurement is captured with tcpdump on b's
# veth: it must show enough packets and only ESP (or only UDP port 4500), so the traffic
# really went through the tunnel; for strongSwan the child SA's byte counters must also grow
# by at least what iperf3 moved.
#
# Every scenario is measured with 1 and 4 parallel streams (-P), RUNS times each for SECONDS
# seconds; the table shows the median. The runs are interleaved, round by round (round 1 of
# every scenario, then round 2, ...), so that load from other work on this shared machine
# drifts over all scenarios alike: read the ratios, which come from this same invocation,
# rather than the absolute Gbit/s.
#
# Usage: scripts/bench-iperf.sh [--seconds N] [--runs N] [--streams "1 4"] [--only "S1 S2"]
#                               [TUNSEC_BINARY]
#   --seconds N     length of each iperf3 run (default 10)
#   --runs N        runs per scenario and stream count; the median is reported (default 3)
#   --streams LIST  parallel stream counts (default "1 4")
#   --only LIST     run only these scenarios (names above); ratios need strongswan/veth-off
#   TUNSEC_BINARY   default target/release/tunsec, built (cargo build --release -p tunsec)
#                   only when that default binary is missing
# Exits non-zero when a scenario failed to run (not for slow numbers). Needs root, iproute2,
# iperf3, tcpdump, jq, python3, strongSwan (charon, swanctl, kernel-libipsec, gcm plugins).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
scripts/install-deps.sh bench || exit 2
# shellcheck source=scripts/lib/netns.sh
. scripts/lib/netns.sh
# shellcheck source=scripts/lib/strongswan.sh
. scripts/lib/strongswan.sh

usage() { sed -n '2,/^set -uo/{/^set -uo/!p}' "$0" | sed 's/^# \{0,1\}//'; }

DURATION=10
RUNS=3
STREAMS="1 4"
ALL_SCENARIOS="veth-on veth-off tunsec-esp-w1 tunsec-esp-w2 tunsec-udp-w1 tunsec-udp-w2 strongswan"
SCENARIOS=$ALL_SCENARIOS
TUNSEC=""
COMMAND_LINE=$(printf "%q " "$0" "$@")
while [ $# -gt 0 ]; do
    case $1 in
    --seconds) DURATION=${2:?--seconds needs a value}; shift 2 ;;
    --runs) RUNS=${2:?--runs needs a value}; shift 2 ;;
    --streams) STREAMS=${2:?--streams needs a value}; shift 2 ;;
    --only) SCENARIOS=${2:?--only needs a value}; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    -*) echo "unknown option $1" >&2; usage >&2; exit 2 ;;
    *) TUNSEC=$1; shift ;;
    esac
done
for v in "$DURATION" "$RUNS" $STREAMS; do
    [[ $v =~ ^[1-9][0-9]*$ ]] || { echo "not a positive integer: $v" >&2; exit 2; }
done
for s in $SCENARIOS; do
    [[ " $ALL_SCENARIOS " == *" $s "* ]] || { echo "unknown scenario $s" >&2; exit 2; }
done

[ "$(id -u)" = 0 ] || { echo "needs root (network namespaces)" >&2; exit 2; }
for tool in ip iperf3 tcpdump jq python3 timeout; do
    command -v "$tool" >/dev/null || { echo "needs $tool" >&2; exit 2; }
done

# The tunsec binary: an explicit one must exist; the default one is built when missing.
if [ -z "$TUNSEC" ]; then
    TUNSEC=target/release/tunsec
    if [ ! -x "$TUNSEC" ]; then
        echo "building $TUNSEC (cargo build --release -p tunsec)"
        cargo build --release -p tunsec || exit 2
    fi
fi
[ -x "$TUNSEC" ] || { echo "no tunsec binary at $TUNSEC" >&2; exit 2; }
TUNSEC=$(realpath "$TUNSEC")

WORK=$(mktemp -d /tmp/tunsec-iperf.XXXXXX)
RESULTS=$WORK/results.tsv # scenario, streams, round, Gbit/s, TCP retransmits, drops at b
FAILURES=$WORK/failures   # scenario, round, reason
NOTES=$WORK/notes         # one line each, printed under the table
: >"$RESULTS"
: >"$FAILURES"
: >"$NOTES"
trap 'ns_cleanup; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

log() { printf '   %s\n' "$*"; }

indent() { sed 's/^/   /'; }

hexkey() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }

# Scenario state, set by the setup_* functions.
CLIENT_ADDR="" # iperf3 client's bind address in ns a
SERVER_ADDR="" # iperf3 server's address in ns b
WIRE_FILTER="" # pcap filter every packet on b's veth must match during the check; "" = none
SWAN_A=""      # strongSwan instance directories (strongswan scenario only)
SWAN_B=""
CURRENT=""     # the scenario being run, for notes

# stop_spawned PID: ends one process started with ns_spawn (INT, then KILL), reaps it and
# drops it from TS_PIDS, so ns_cleanup never signals a PID that may have been reused.
stop_spawned() {
    local pid=$1 i keep=()
    kill -INT "$pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    for i in "${TS_PIDS[@]}"; do [ "$i" = "$pid" ] || keep+=("$i"); done
    TS_PIDS=("${keep[@]}")
}

# Plain veth ----------------------------------------------------------------------------

setup_veth-on() {
    topology_pair
    CLIENT_ADDR=192.0.2.1 SERVER_ADDR=192.0.2.2 WIRE_FILTER=""
}

# offloads NS DEV prints "gro on, gso on, tso on" (or "?" without ethtool).
offloads() {
    command -v ethtool >/dev/null || { echo "?"; return; }
    in_ns "$1" ethtool -k "$2" | awk -F': ' '
        $1 == "generic-receive-offload" { gro = $2 }
        $1 == "generic-segmentation-offload" { gso = $2 }
        $1 == "tcp-segmentation-offload" { tso = $2 }
        END { printf "gro %s, gso %s, tso %s\n", gro, gso, tso }'
}

setup_veth-off() {
    setup_veth-on
    if ! in_ns a ethtool -K v-a-b gro off gso off tso off ||
        ! in_ns b ethtool -K v-b-a gro off gso off tso off; then
        echo "ethtool -K failed"
        return 1
    fi
    if in_ns a ethtool -k v-a-b | grep -Eq '^(generic-receive-offload|generic-segmentation-offload|tcp-segmentation-offload): on'; then
        echo "offloads still on after ethtool -K"
        return 1
    fi
}

# tunsec --------------------------------------------------------------------------------

# tunsec_config FILE SOCK IFADDR SRC DST SA_SRC SA_DST IN_KEY OUT_KEY IN_SPI OUT_SPI NATT WORKERS
# writes one endpoint's config: an AES-128-GCM ESP tunnel with manual SAs, the same TOML shape
# as scripts/test-netns.sh (manual_config).
tunsec_config() {
    local file=$1 sock=$2 ifaddr=$3 src=$4 dst=$5 sa_src=$6 sa_dst=$7 in_key=$8 out_key=$9
    local in_spi=${10} out_spi=${11} natt=${12} workers=${13}
    cat >"$file" <<TOML
[daemon]
workers = $workers
control-socket = "$sock"

[interface]
name = "tunsec0"
address = ["$ifaddr"]

[[policy]]
src-address = "$src"
dst-address = "$dst"
sa-src-address = "$sa_src"
sa-dst-address = "$sa_dst"
tunnel = true
ipsec-protocols = "esp"
manual-sa = "peer"

[[manual-sa]]
name = "peer"
nat-t = $natt
esp-enc-algorithm = "aes-128-gcm"
esp-enc-key = "0x$in_key/0x$out_key"
esp-auth-algorithm = "null"
esp-auth-key = ""
esp-spi = "$in_spi/$out_spi"
TOML
}

# tunsec_start NS CONFIG WORKERS: runs tunsec in a namespace, waits for tunsec0, checks the
# worker count it reports.
tunsec_start() {
    local ns=$1 cfg=$2 workers=$3
    if ! "$TUNSEC" check -c "$cfg" >"$WORK/$ns.check" 2>&1; then
        cat "$WORK/$ns.check"
        echo "tunsec check refused $cfg"
        return 1
    fi
    ns_spawn "$ns" "$WORK/tunsec-$ns.log" "$TUNSEC" run -c "$cfg" >/dev/null
    if ! wait_for 10 in_ns "$ns" ip link show tunsec0 up; then
        tail -n 20 "$WORK/tunsec-$ns.log"
        echo "tunsec in $ns did not bring up tunsec0"
        return 1
    fi
    local s=s
    [ "$workers" = 1 ] && s=""
    if ! wait_for 5 grep -q "with $workers worker$s," "$WORK/tunsec-$ns.log"; then
        tail -n 20 "$WORK/tunsec-$ns.log"
        echo "tunsec in $ns does not report $workers worker$s"
        return 1
    fi
    # Let the workers pick up their SAs.
    sleep 0.3
}

# setup_tunsec NATT WORKERS
setup_tunsec() {
    local natt=$1 workers=$2 k_ab k_ba
    topology_pair
    k_ab=$(hexkey 20) k_ba=$(hexkey 20)
    tunsec_config "$WORK/a.toml" "$WORK/a.sock" 10.201.1.1/24 10.201.1.0/24 10.201.2.0/24 \
        192.0.2.1 192.0.2.2 "$k_ba" "$k_ab" 0x2001 0x1001 "$natt" "$workers"
    tunsec_config "$WORK/b.toml" "$WORK/b.sock" 10.201.2.1/24 10.201.2.0/24 10.201.1.0/24 \
        192.0.2.2 192.0.2.1 "$k_ab" "$k_ba" 0x1001 0x2001 "$natt" "$workers"
    tunsec_start a "$WORK/a.toml" "$workers" || return 1
    tunsec_start b "$WORK/b.toml" "$workers" || return 1
    CLIENT_ADDR=10.201.1.1 SERVER_ADDR=10.201.2.1
    if [ "$natt" = true ]; then WIRE_FILTER="udp port 4500"; else WIRE_FILTER="ip proto 50"; fi
    ping_check
}

setup_tunsec-esp-w1() { setup_tunsec false 1; }
setup_tunsec-esp-w2() { setup_tunsec false 2; }
setup_tunsec-udp-w1() { setup_tunsec true 1; }
setup_tunsec-udp-w2() { setup_tunsec true 2; }

# strongSwan ----------------------------------------------------------------------------

setup_strongswan() {
    local psk
    topology_pair
    # The protected LAN addresses, so the tunnel has endpoints in each gateway namespace
    # (no dummy interfaces in this kernel; lo works, and charon takes the route source from it).
    in_ns a ip addr add 10.201.1.1/32 dev lo
    in_ns b ip addr add 10.201.2.1/32 dev lo
    psk=$(hexkey 24)
    SWAN_A=$WORK/swan-a SWAN_B=$WORK/swan-b
    rm -rf "$SWAN_A" "$SWAN_B"
    swan_write_config "$SWAN_A" 192.0.2.1 192.0.2.2 10.201.1.0/24 10.201.2.0/24 "$psk"
    swan_write_config "$SWAN_B" 192.0.2.2 192.0.2.1 10.201.2.0/24 10.201.1.0/24 "$psk"
    swan_start a "$SWAN_A" || return 1
    swan_start b "$SWAN_B" || return 1
    swan_initiate "$SWAN_A" || return 1
    # kernel-libipsec routes the remote traffic selector via ipsec0 in table 220, with the
    # local address inside the local selector as source: those are the iperf3 addresses.
    if ! wait_for 5 swan_route_src a 10.201.2.0/24 || ! wait_for 5 swan_route_src b 10.201.1.0/24; then
        in_ns a ip route show table 220
        echo "no route via ipsec0 in table 220"
        return 1
    fi
    CLIENT_ADDR=$(swan_route_src a 10.201.2.0/24)
    SERVER_ADDR=$(swan_route_src b 10.201.1.0/24)
    WIRE_FILTER="udp port 4500"
    ping_check
}

# Measuring -----------------------------------------------------------------------------

ping_check() {
    if ! in_ns a ping -c 3 -i 0.2 -W 2 -I "$CLIENT_ADDR" "$SERVER_ADDR" >"$WORK/ping.out" 2>&1; then
        cat "$WORK/ping.out"
        echo "ping $SERVER_ADDR from $CLIENT_ADDR failed"
        return 1
    fi
}

# rx_drops NS: packets the kernel of NS dropped because the IPsec daemon's socket receive
# buffer was full, i.e. encrypted packets that reached the gateway faster than the daemon
# read them: Udp RcvbufErrors plus, for raw sockets, the drops of the one with the fewest.
# Every raw ESP socket gets a copy of every ESP packet; a socket that is never read (such as
# one only used for sending) fills up and then counts every packet as dropped, so the socket
# with the fewest drops is the one being read.
rx_drops() {
    # shellcheck disable=SC2016 # an awk program
    in_ns "$1" awk '
        FILENAME ~ /raw$/ && FNR > 1 { if (!n++ || $NF < raw) raw = $NF }
        FILENAME ~ /snmp$/ && $1 == "Udp:" {
            if (col) udp = $col; else for (i = 1; i <= NF; i++) if ($i == "RcvbufErrors") col = i
        }
        END { print raw + udp }' /proc/net/raw /proc/net/snmp
}

# iperf_run STREAMS SECONDS JSON: one iperf3 client run from ns a; prints "GBITS RETRANSMITS".
iperf_run() {
    local streams=$1 secs=$2 json=$3
    if ! timeout $((secs + 30)) ip netns exec "$(ns a)" \
        iperf3 -c "$SERVER_ADDR" -B "$CLIENT_ADDR" -t "$secs" -P "$streams" -J >"$json" 2>"$json.err"; then
        jq -r '.error // empty' "$json" 2>/dev/null
        cat "$json.err"
        echo "iperf3 -P $streams to $SERVER_ADDR failed"
        return 1
    fi
    jq -r '"\(.end.sum_received.bits_per_second / 1e9) \(.end.sum_sent.retransmits // 0)"' "$json"
}

# wire_check: a one-second iperf3 while tcpdump watches b's veth. There must be plenty of
# packets, and every IPv4 packet must match WIRE_FILTER, except ICMP protocol-unreachable
# errors from b's kernel: Linux (no in-kernel ESP here) answers an ESP packet that no raw
# socket took with one, and on this kernel a raw socket whose receive buffer is full does not
# take it. Those quote only the outer header and the start of the ESP packet, so they are
# counted and reported, not failed.
wire_check() {
    local pcap=$WORK/wire.pcap pid total other unreach
    local proto_unreach='icmp[icmptype] == 3 and icmp[icmpcode] == 2'
    rm -f "$pcap"
    ns_spawn b "$WORK/tcpdump.log" tcpdump -i v-b-a -nn -s 96 -c 3000 -U -w "$pcap" ip >/dev/null
    pid=${TS_PIDS[-1]}
    if ! wait_for 5 grep -q "listening on" "$WORK/tcpdump.log"; then
        stop_spawned "$pid"
        cat "$WORK/tcpdump.log"
        echo "tcpdump did not start"
        return 1
    fi
    iperf_run 1 1 "$WORK/check.json" >/dev/null || { stop_spawned "$pid"; return 1; }
    stop_spawned "$pid"
    total=$(tcpdump -r "$pcap" -nn 2>/dev/null | wc -l)
    other=$(tcpdump -r "$pcap" -nn "not ($WIRE_FILTER) and not ($proto_unreach)" 2>/dev/null | wc -l)
    unreach=$(tcpdump -r "$pcap" -nn "$proto_unreach" 2>/dev/null | wc -l)
    if [ "$total" -lt 500 ] || [ "$other" -ne 0 ]; then
        tcpdump -r "$pcap" -nn "not ($WIRE_FILTER)" 2>/dev/null | head -5
        echo "wire check: $total packets on v-b-a, $other not matching '$WIRE_FILTER'"
        return 1
    fi
    log "wire: $total packets captured on v-b-a, all '$WIRE_FILTER'$(
        [ "$unreach" -gt 0 ] && echo " but $unreach ICMP protocol-unreachable from b's kernel")"
    printf 'unreach\t%s\t%s\n' "$CURRENT" "$unreach" >>"$NOTES"
}

# run_scenario NAME ROUND: sets the scenario up, checks the path, measures every stream count
# once. Failures are recorded in $FAILURES; the caller tears down with ns_cleanup. Setup and
# wire check run in this shell (not in $(...)) so the processes they start are recorded in
# TS_PIDS and ended by ns_cleanup; their messages go to a file.
run_scenario() {
    local name=$1 round=$2 out streams before=0 after=0 moved=0 drops
    echo "-- $name (round $round/$RUNS)"
    CURRENT=$name
    if ! "setup_$name" >"$WORK/step.out" 2>&1; then
        tail -n 20 "$WORK/step.out" | indent
        echo "$name	$round	setup failed: $(tail -n 1 "$WORK/step.out")" >>"$FAILURES"
        return
    fi
    ns_spawn b "$WORK/iperf-server.log" iperf3 -s -B "$SERVER_ADDR" >/dev/null
    if ! wait_for 5 in_ns b sh -c "ss -ltn | grep -q ':5201'"; then
        echo "$name	$round	iperf3 server did not start" >>"$FAILURES"
        return
    fi
    if [ -n "$SWAN_A" ]; then
        before=$(swan_child_bytes "$SWAN_A")
        before=${before##* }
    fi
    if [ "$round" = 1 ] && [[ $name == veth-* ]]; then
        echo "$name: v-a-b $(offloads a v-a-b); v-b-a $(offloads b v-b-a)" >>"$NOTES"
    fi
    if [ -n "$WIRE_FILTER" ]; then
        if ! wire_check >"$WORK/step.out" 2>&1; then
            indent <"$WORK/step.out"
            echo "$name	$round	$(tail -n 1 "$WORK/step.out")" >>"$FAILURES"
            return
        fi
        cat "$WORK/step.out"
    fi
    for streams in $STREAMS; do
        drops=$(rx_drops b)
        if out=$(iperf_run "$streams" "$DURATION" "$WORK/run.json" 2>&1); then
            # out is "GBITS RETRANSMITS".
            drops=$(($(rx_drops b) - drops))
            printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$streams" "$round" "${out%% *}" "${out##* }" "$drops" >>"$RESULTS"
            log "-P $streams: $(printf '%.2f' "${out%% *}") Gbit/s, ${out##* } retransmits, $drops receive-buffer drops at b"
        else
            indent <<<"$out"
            echo "$name	$round	-P $streams: $(echo "$out" | tail -n 1)" >>"$FAILURES"
        fi
    done
    if [ -n "$SWAN_A" ]; then
        # The child SA's outbound byte counter on a must have grown by at least the TCP
        # payload iperf3 sent in the last run (the SA counts whole inner packets).
        after=$(swan_child_bytes "$SWAN_A")
        after=${after##* }
        moved=$(jq -r '.end.sum_sent.bytes // 0' "$WORK/run.json" 2>/dev/null || echo 0)
        if [ $((after - before)) -lt "${moved%.*}" ]; then
            echo "$name	$round	SA out bytes grew by $((after - before)), less than iperf3's $moved" >>"$FAILURES"
            log "FAIL: strongSwan SA out bytes grew by $((after - before)), iperf3 sent $moved"
        else
            log "strongSwan child SA on a: out bytes $before -> $after (last iperf3 run sent ${moved%.*})"
        fi
    fi
}

# Main ----------------------------------------------------------------------------------

CPU=$(grep -m1 '^model name' /proc/cpuinfo || echo "model name	: unknown")
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
START=$(date +%s)

if [[ " $SCENARIOS " == *" veth-off "* ]] && ! command -v ethtool >/dev/null; then
    echo "veth-off: ethtool not installed (apt-get install -y ethtool); row skipped" | tee -a "$NOTES"
    SCENARIOS=$(echo " $SCENARIOS " | sed 's/ veth-off / /')
fi
if [[ " $SCENARIOS " == *" strongswan "* ]] && ! msg=$(swan_check); then
    echo "strongswan: $msg" >>"$FAILURES"
    echo "strongswan: $msg"
    SCENARIOS=$(echo " $SCENARIOS " | sed 's/ strongswan / /')
fi

for round in $(seq "$RUNS"); do
    for name in $SCENARIOS; do
        SWAN_A="" SWAN_B=""
        run_scenario "$name" "$round"
        ns_cleanup
    done
done

echo
echo "tunsec iperf3 benchmark: $COMMAND_LINE"
echo "binary $TUNSEC (source tree $(git describe --always --dirty 2>/dev/null || echo '?'))"
echo "$CPU ($(nproc) CPUs online), kernel $(uname -r)"
echo "load average before $LOAD_BEFORE, after $(cut -d' ' -f1-3 /proc/loadavg); took $(( $(date +%s) - START )) s"
echo "iperf3 TCP, inner-to-inner (veth rows: 192.0.2.1 -> 192.0.2.2), median of $RUNS runs of $DURATION s, interleaved"
python3 - "$RESULTS" "$FAILURES" "$NOTES" "$ALL_SCENARIOS" "$STREAMS" <<'PY'
"""Prints the table (medians and ratios) and the raw per-run numbers."""
import statistics
import sys

results, failures, notes, order, streams = sys.argv[1:6]
order = order.split()
streams = [int(s) for s in streams.split()]
labels = {
    "veth-on": "plain veth, offloads on",
    "veth-off": "plain veth, offloads off",
    "tunsec-esp-w1": "tunsec ESP, workers=1",
    "tunsec-esp-w2": "tunsec ESP, workers=2",
    "tunsec-udp-w1": "tunsec ESP-in-UDP, workers=1",
    "tunsec-udp-w2": "tunsec ESP-in-UDP, workers=2",
    "strongswan": "strongSwan libipsec (ESP-in-UDP)",
}
runs = {}  # (scenario, streams) -> [(round, gbit, retransmits)]
for line in open(results):
    name, p, rnd, gbit, retr, drops = line.split("\t")
    runs.setdefault((name, int(p)), []).append((int(rnd), float(gbit), int(retr), int(drops)))
median = {k: statistics.median(r[1] for r in v) for k, v in runs.items()}


def ratio(key, ref):
    if key not in median or (ref, key[1]) not in median or median[(ref, key[1])] == 0:
        return "-"
    return f"{median[key] / median[(ref, key[1])]:.2f}"


head = f"{'scenario':34} {'streams':>7} {'median Gbit/s':>13} {'min-max':>11} {'/ strongSwan':>12} {'/ veth off':>10}"
print()
print(head)
print("-" * len(head))
for name in order:
    for p in streams:
        key = (name, p)
        if key not in runs:
            continue
        g = [r[1] for r in runs[key]]
        span = f"{min(g):.2f}-{max(g):.2f}"
        print(f"{labels[name]:34} {p:>7} {median[key]:>13.2f} {span:>11} "
              f"{ratio(key, 'strongswan'):>12} {ratio(key, 'veth-off'):>10}")
print("ratios: this row's median / the strongSwan (or veth offloads-off) median, same stream count")
unreach = {}  # scenario -> ICMP protocol-unreachable counts of its wire checks, by round
for line in open(notes):
    if line.startswith("unreach\t"):
        _, name, n = line.rstrip("\n").split("\t")
        unreach.setdefault(name, []).append(n)
    else:
        print("note:", line.rstrip())
for name in order:
    if any(n != "0" for n in unreach.get(name, [])):
        print(f"note: {name}: in the 1-s wire checks b's kernel answered ESP with ICMP protocol-"
              f"unreachable {', '.join(unreach[name])} times (no raw socket with room took it)")

print()
print("raw runs, Gbit/s per round [TCP retransmits / encrypted packets dropped at b because the")
print("daemon's socket receive buffer was full]:")
for name in order:
    for p in streams:
        if (name, p) in runs:
            cells = "  ".join(f"{g:.3f} [{r}/{d}]" for _, g, r, d in sorted(runs[(name, p)]))
            print(f"  {name:14} -P {p}: {cells}")

failed = [line.rstrip("\n").split("\t") for line in open(failures) if line.strip()]
if failed:
    print()
    print("FAILED:")
    for f in failed:
        print("  " + " / ".join(f))
PY
[ ! -s "$FAILURES" ]
