# The case runner and checks shared by tunsec's network-namespace test scripts. Source it
# after scripts/lib/netns.sh, with WORK (a scratch directory) set.
#
# A script defines case_NAME functions, lists them in CASES and calls run_cases NAME with
# the case names given on its command line (none: all). A case calls fail to fail;
# it may append lines to SUMMARY, printed at the end.

PASSED=0
FAILED=0
FAILURES=()
SUMMARY=()

log() { printf '   %s\n' "$*"; }

fail() {
    log "FAIL: $*"
    CASE_OK=0
}

# check_ping NS DST [ping args]: three pings from NS must be answered.
check_ping() {
    local ns=$1 dst=$2; shift 2
    if in_ns "$ns" ping -c 3 -i 0.2 -W 2 "$@" "$dst" >"$WORK/ping.out" 2>&1; then
        log "ping $dst from $ns${*:+ ($*)}: ok ($(grep -o 'rtt.*' "$WORK/ping.out" || true))"
    else
        cat "$WORK/ping.out"
        fail "ping $dst from $ns"
    fi
}

# capture NS IFACE FILE [BPF]: tshark writes what crosses IFACE to FILE until stop_capture.
capture() {
    CAP_PID=$(ns_spawn "$1" "$WORK/tshark.log" tshark -q -i "$2" -w "$3" ${4:+-f "$4"})
    wait_for 5 grep -q "Capturing on" "$WORK/tshark.log"
}

stop_capture() {
    kill -INT "$CAP_PID" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$CAP_PID" 2>/dev/null || break; sleep 0.1; done
}

# run_cases LABEL [CASE...]: runs every case in CASES (or only those named), each in clean
# namespaces, printing the logs' last lines when one fails; then the summary and a count.
# Returns non-zero when any case failed.
run_cases() {
    local label=$1; shift
    local only=("$@") c
    for c in "${CASES[@]}"; do
        if [ ${#only[@]} -gt 0 ] && [[ ! " ${only[*]} " =~ " $c " ]]; then continue; fi
        echo "-- $c"
        CASE_OK=1
        CASE_NAME=$c
        "case_$c"
        ns_cleanup
        if [ "$CASE_OK" = 1 ]; then
            PASSED=$((PASSED + 1))
        else
            FAILED=$((FAILED + 1))
            FAILURES+=("$c")
            for f in "$WORK"/*.log; do [ -f "$f" ] && { echo "   == $f"; tail -8 "$f" | sed 's/^/   /'; }; done
        fi
        rm -rf "$WORK"/*.log "$WORK"/*.pcap "$WORK"/swan*
    done
    echo
    for s in "${SUMMARY[@]}"; do echo "   $s"; done
    [ $FAILED -gt 0 ] && echo "failed: ${FAILURES[*]}"
    echo "$label: $PASSED passed, $FAILED failed"
    [ $FAILED = 0 ]
}
