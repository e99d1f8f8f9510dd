# Helpers for tests that run tunsec daemons in network namespaces. Source it after
# scripts/lib/netns.sh and scripts/lib/cases.sh, with TUNSEC (the binary) and WORK set.

now() { date +%s.%N; }
elapsed() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$1" "$2"; }

# start_tunsec NS CONFIG: `tunsec check`, then `tunsec run` in NS (its log in
# WORK/tunsec-NS.log, its PID in TUNSEC_PID) until its TUN device is up; a peer the daemon
# left out of IKE (an unsupported method, say) fails the case too.
start_tunsec() {
    local ns=$1 cfg=$2
    if ! "$TUNSEC" check -c "$cfg" >"$WORK/$ns.check" 2>&1; then
        cat "$WORK/$ns.check"
        fail "tunsec check refused $cfg"
        return 1
    fi
    ns_spawn "$ns" "$WORK/tunsec-$ns.log" "$TUNSEC" run -c "$cfg" >/dev/null
    TUNSEC_PID=${TS_PIDS[-1]}
    if ! wait_for 10 in_ns "$ns" ip link show tunsec0 up; then
        cat "$WORK/tunsec-$ns.log"
        fail "tunsec in $ns did not start"
        return 1
    fi
    if grep -q 'left out' "$WORK/tunsec-$ns.log"; then
        grep 'left out' "$WORK/tunsec-$ns.log"
        fail "tunsec in $ns left its peer out"
        return 1
    fi
}

# peer_established SOCK: an IKE SA is up with at least one child.
peer_established() {
    "$TUNSEC" print remote-peers -s "$1" 2>/dev/null | grep -q 'state=established.*ph2-total=[1-9]'
}

# child_spis SOCK: the installed SPIs, sorted, on one line.
child_spis() {
    "$TUNSEC" print installed-sa -s "$1" 2>/dev/null | grep -o 'spi=0x[0-9A-F]*' | sort | tr '\n' ' '
}

# check_iperf CLIENT_NS SERVER_NS CLIENT_ADDR SERVER_ADDR [SECONDS]: TCP through the tunnel,
# 1 s intervals in WORK/iperf.json; sets IPERF_GBPS.
check_iperf() {
    local c=$1 s=$2 caddr=$3 saddr=$4 secs=${5:-3}
    IPERF_GBPS=0
    ns_spawn "$s" "$WORK/iperf-server.log" iperf3 -s -1 -B "$saddr" >/dev/null
    wait_for 5 in_ns "$s" sh -c "ss -ltn | grep -q ':5201'"
    if in_ns "$c" iperf3 -c "$saddr" -B "$caddr" -t "$secs" -i 1 -J >"$WORK/iperf.json" 2>"$WORK/iperf.err"; then
        IPERF_GBPS=$(python3 -c 'import json,sys; bps = json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"]; print("%.2f" % (bps / 1e9))' "$WORK/iperf.json")
        log "iperf3 $caddr -> $saddr: $IPERF_GBPS Gbit/s"
        python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) > 0.01 else 1)" "$IPERF_GBPS" ||
            fail "iperf3 throughput too low"
    else
        cat "$WORK/iperf.err"
        fail "iperf3 $caddr -> $saddr"
    fi
}

# zero_intervals: how many 1-second intervals of the last check_iperf moved no data.
zero_intervals() {
    python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
print(sum(1 for i in j["intervals"] if i["sum"]["bytes"] == 0))' "$WORK/iperf.json"
}

# wire_check PCAP FILTER WHAT: tshark must find packets matching FILTER (and no ICMP in the
# clear from the protected LANs).
wire_check() {
    local n
    n=$(tshark -r "$1" -Y "$2" 2>/dev/null | wc -l)
    if [ "$n" -gt 0 ]; then
        log "tshark: $n packets of $3 on the wire"
    else
        fail "tshark found no $3 ($2)"
    fi
    if tshark -r "$1" -Y "icmp && ip.src == 10.201.0.0/16" 2>/dev/null | grep -q .; then
        fail "inner traffic crossed the wire in the clear"
    fi
}
