#!/usr/bin/env bash
# End-to-end tests of the operator CLI against two running tunsec daemons in network
# namespaces, keyed by IKEv2 with the shipped configs (config/ike-site-{a,b}.toml): every
# `print` menu in its brief, detail and --json forms (JSON fields checked against
# docs/print-schema.json by python3, live values: active policy, ph2-count, ph2-state,
# current-bytes growing with real traffic), show-keys, `remote-peers kill-connections` and
# `installed-sa flush` followed by automatic re-establishment, `reload` adding a second
# tunnel while iperf3 runs on the first (no iperf3 interval without throughput, the first
# tunnel's SAs and IKE SA unchanged), a refused reload, `monitor`, the Prometheus endpoint,
# topic logging, the capability drop, sd_notify readiness, the config-permission check,
# completions and --help. Needs root, iproute2, iperf3, python3, curl.
#
# Usage: scripts/test-cli.sh [TUNSEC_BINARY] [CASE...]
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/netns.sh

TUNSEC=${1:-target/release/tunsec}
shift || true
ONLY=("$@")
[ -x "$TUNSEC" ] || { echo "no tunsec binary at $TUNSEC (cargo build --release -p tunsec)"; exit 2; }
TUNSEC=$(realpath "$TUNSEC")
SCHEMA=$PWD/docs/print-schema.json
WORK=$(mktemp -d /tmp/tunsec-cli.XXXXXX)
PASSED=0
FAILED=0
FAILURES=()
# TUNSEC_KEEP_WORK=1 keeps the configs and daemon logs for a look after a failure.
trap 'ns_cleanup; [ "${TUNSEC_KEEP_WORK:-0}" = 1 ] && echo "kept $WORK" || rm -rf "$WORK"' EXIT

log() { printf '   %s\n' "$*"; }
fail() {
    log "FAIL: $*"
    CASE_OK=0
}

A_PID=""
B_PID=""

# site_config SITE: the shipped IKEv2 config of a site, with its control socket in $WORK and
# (site b) a second LAN address for the tunnel the reload case adds.
site_config() {
    local site=$1 file=$WORK/$1.toml
    sed -e "s|^control-socket = .*|control-socket = \"$WORK/$site.sock\"|" \
        -e 's|^workers = "auto"|workers = 2|' "config/ike-site-$site.toml" >"$file"
    if [ "$site" = a ]; then
        sed -i 's|^log-level = "info"|log-level = "info"\nmetrics-listen = "127.0.0.1:9474"|' "$file"
    else
        sed -i 's|^address = \["10.201.2.1/24"\]|address = ["10.201.2.1/24", "10.201.3.1/24"]|' "$file"
    fi
    chmod 600 "$file"
}

ctl() { # ctl SITE ARGS...: a tunsec command against a site's daemon
    local site=$1; shift
    "$TUNSEC" "$@" -s "$WORK/$site.sock"
}

established() { ctl "$1" print remote-peers 2>/dev/null | grep -q 'state=established.*ph2-total=[1-9]'; }

start_pair() {
    topology_pair
    site_config a
    site_config b
    ns_spawn b "$WORK/b.log" "$TUNSEC" run -c "$WORK/b.toml" --log-level debug --log-topics 'ipsec,!debug' --log-topics system >/dev/null
    B_PID=${TS_PIDS[-1]}
    wait_for 10 in_ns b ip link show tunsec0 up || { cat "$WORK/b.log"; return 1; }
    ns_spawn a "$WORK/a.log" env NOTIFY_SOCKET="$WORK/notify.sock" "$TUNSEC" run -c "$WORK/a.toml" >/dev/null
    A_PID=${TS_PIDS[-1]}
    wait_for 15 established a || { cat "$WORK/a.log" "$WORK/b.log"; return 1; }
    wait_for 5 established b
}

spis() { ctl "$1" print installed-sa --json | python3 -c 'import json,sys; print(" ".join(sorted(r["spi"] for r in json.load(sys.stdin)["rows"])))'; }
ike_spi() { ctl "$1" print remote-peers --json | python3 -c 'import json,sys; r=json.load(sys.stdin)["rows"]; print(r[0]["spi-i"] if r else "")'; }

# new_ike_sa OLD_SPI: site a has an established IKE SA with a child, other than OLD_SPI.
new_ike_sa() {
    established a && [ "$(ike_spi a)" != "$1" ]
}

# fresh_sas "OLD SPIS": site a has two SAs again, none of them among the old ones.
fresh_sas() {
    local now s
    now=$(spis a)
    [ "$(echo "$now" | wc -w)" -eq 2 ] || return 1
    for s in $now; do
        echo " $1 " | grep -q " $s " && return 1
    done
    return 0
}

check_ping() { # check_ping SRC DST
    if in_ns a ping -c 3 -i 0.2 -W 2 -I "$1" "$2" >"$WORK/ping.out" 2>&1; then
        log "ping $2 from $1: ok"
    else
        cat "$WORK/ping.out"
        fail "ping $2 from $1"
    fi
}

case_print_menus() {
    check_ping 10.201.1.1 10.201.2.1
    local menu
    for menu in policy "policy group" proposal peer profile mode-config user key installed-sa remote-peers statistics; do
        # shellcheck disable=SC2086
        if ! ctl a print $menu >"$WORK/brief.out" 2>&1 || ! ctl a print $menu detail >"$WORK/detail.out" 2>&1 ||
            ! ctl a print $menu --json >"$WORK/json.out" 2>&1; then
            cat "$WORK/brief.out" "$WORK/detail.out" "$WORK/json.out"
            fail "print $menu"
            continue
        fi
        if ! python3 - "$SCHEMA" "$WORK/json.out" "$menu" <<'PY'
import json, sys
schema = json.load(open(sys.argv[1]))
doc = json.load(open(sys.argv[2]))
menu = sys.argv[3].replace("policy group", "policy-group")
assert doc["menu"] == menu, doc["menu"]
fields = schema[menu]
kind = {bool: "boolean", int: "integer", str: "string", list: "array", type(None): "null"}
for row in doc["rows"]:
    assert list(row) == list(fields), (menu, list(row), list(fields))
    for k, v in row.items():
        assert kind[type(v)] in fields[k].split("|"), (menu, k, v, fields[k])
PY
        then
            fail "print $menu --json does not match docs/print-schema.json"
        fi
    done
    log "every menu prints brief, detail and --json; JSON fields match docs/print-schema.json"
    ctl a print policy | sed 's/^/   | /'
    if ctl a print policy | grep -Eq '^ 0 +A ' && ctl a print policy --json | python3 -c '
import json, sys
p = json.load(sys.stdin)["rows"][0]
sys.exit(0 if p["active"] and p["ph2-count"] == 1 and p["ph2-state"] == "established" else 1)'; then
        log "policy 0: flag A, ph2-count=1, ph2-state=established"
    else
        fail "policy 0 is not active/established"
    fi
    ctl a print policy detail | sed 's/^/   | /'
    ctl a print remote-peers | sed 's/^/   | /'
    ctl a print proposal | sed 's/^/   | /'
    ctl a print installed-sa | grep -q 'enc-key=' && fail "installed-sa shows keys without --show-keys"
    ctl a print peer | grep -q 'example-secret' && fail "peer print shows the secret without --show-keys"
    if ctl a print installed-sa --show-keys | grep -q 'enc-key="[0-9a-f]\{40\}"' &&
        ctl a print peer --show-keys | grep -q 'secret="example-secret-change-me"'; then
        log "--show-keys shows enc-key (aes-128-gcm: 20 bytes) and the peer secret; plain print hides them"
    else
        ctl a print installed-sa --show-keys
        ctl a print peer --show-keys
        fail "--show-keys does not show the keys"
    fi
    local b0 b1
    b0=$(ctl a print installed-sa --json | python3 -c 'import json,sys; print(sum(r["current-bytes"] for r in json.load(sys.stdin)["rows"] if r["direction"]=="out"))')
    in_ns a ping -c 5 -i 0.1 -s 1000 -I 10.201.1.1 10.201.2.1 >/dev/null 2>&1
    b1=$(ctl a print installed-sa --json | python3 -c 'import json,sys; print(sum(r["current-bytes"] for r in json.load(sys.stdin)["rows"] if r["direction"]=="out"))')
    if [ "$b1" -ge $((b0 + 5 * 1000)) ]; then
        log "outbound current-bytes grew $b0 -> $b1 with 5 pings of 1000 bytes"
    else
        fail "current-bytes did not grow by 5 x 1000 ($b0 -> $b1)"
    fi
    if ctl a print statistics | grep -Eq '^ *in-no-states: [0-9]+$'; then
        log "statistics: $(ctl a print statistics | wc -l) counters"
    else
        fail "statistics layout"
    fi
    if "$TUNSEC" print nosuchmenu -s "$WORK/a.sock" 2>"$WORK/err.out"; then
        fail "an unknown menu was accepted"
    else
        log "unknown menu: $(cat "$WORK/err.out")"
    fi
}

case_kill_connections() {
    local before after
    before=$(ike_spi a)
    local out
    out=$(ctl a remote-peers kill-connections) || fail "kill-connections failed"
    log "kill-connections: $out"
    if wait_for 20 new_ike_sa "$before"; then
        after=$(ike_spi a)
        log "re-established by itself with a new IKE SA ($before -> $after)"
    else
        ctl a print remote-peers
        fail "no new IKE SA after kill-connections"
    fi
    grep -q 'kill-connections' "$WORK/a.log" && log "log: $(grep -m1 'kill-connections' "$WORK/a.log")"
    check_ping 10.201.1.1 10.201.2.1
}

case_flush() {
    local before after
    wait_for 10 established a
    before=$(spis a)
    log "flush: $(ctl a installed-sa flush)"
    if wait_for 15 fresh_sas "$before"; then
        after=$(spis a)
        log "fresh SAs negotiated by themselves: [$before] -> [$after]"
    else
        ctl a print installed-sa
        fail "no fresh SAs after flush"
    fi
    check_ping 10.201.1.1 10.201.2.1
}

case_reload_under_iperf3() {
    wait_for 10 established a
    local sa_before ike_before
    sa_before=$(spis a)
    ike_before=$(ike_spi a)
    ns_spawn b "$WORK/iperf3-server.log" iperf3 -s -1 -B 10.201.2.1 >/dev/null
    wait_for 5 in_ns b sh -c "ss -ltn | grep -q ':5201'"
    in_ns a iperf3 -c 10.201.2.1 -B 10.201.1.1 -t 12 -i 0.5 -J >"$WORK/iperf3.json" 2>&1 &
    local client=$!
    sleep 4
    # The second tunnel, 10.201.1.0/24 <-> 10.201.3.0/24, with the same peer.
    cat >>"$WORK/b.toml" <<'TOML'

[[policy]]
src-address = "10.201.3.0/24"
dst-address = "10.201.1.0/24"
sa-src-address = "192.0.2.2"
sa-dst-address = "192.0.2.1"
tunnel = "yes"
peer = "site-a"
proposal = "site"
TOML
    cat >>"$WORK/a.toml" <<'TOML'

[[policy]]
src-address = "10.201.1.0/24"
dst-address = "10.201.3.0/24"
sa-src-address = "192.0.2.1"
sa-dst-address = "192.0.2.2"
tunnel = "yes"
peer = "site-b"
proposal = "site"
TOML
    log "reload b: $(ctl b reload 2>&1)"
    log "reload a: $(ctl a reload 2>&1)"
    wait $client || fail "iperf3 failed: $(tail -5 "$WORK/iperf3.json")"
    python3 - "$WORK/iperf3.json" >"$WORK/iperf3.summary" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
rates = [i["sum"]["bits_per_second"] / 1e6 for i in d["intervals"]]
print(len(rates), "%.1f" % min(rates), "%.1f" % max(rates), "%.1f" % (d["end"]["sum_received"]["bits_per_second"] / 1e6))
PY
    local n lo hi avg
    read -r n lo hi avg <"$WORK/iperf3.summary"
    if python3 -c "import sys; sys.exit(0 if float('$lo') > 0 else 1)"; then
        log "iperf3 through tunnel 1 during the reload: $n intervals of 0.5 s, lowest $lo Mbit/s, highest $hi, mean $avg Mbit/s (no interval at zero)"
    else
        fail "an iperf3 interval had no throughput during the reload (lowest $lo Mbit/s)"
    fi
    if wait_for 10 sh -c "'$TUNSEC' print policy -s '$WORK/a.sock' | grep -q '^ 1 .*ph2-state=established'"; then
        check_ping 10.201.1.1 10.201.3.1
    else
        ctl a print policy
        fail "the second tunnel did not come up"
    fi
    local sa_after ike_after
    sa_after=$(spis a)
    ike_after=$(ike_spi a)
    local first_kept=1 s
    for s in $sa_before; do
        echo " $sa_after " | grep -q " $s " || first_kept=0
    done
    if [ "$first_kept" = 1 ] && [ "$ike_before" = "$ike_after" ]; then
        log "tunnel 1's SAs [$sa_before] and IKE SA $ike_before kept running; now [$sa_after]"
    else
        fail "reload replaced tunnel 1's SAs or IKE SA ([$sa_before] -> [$sa_after], $ike_before -> $ike_after)"
    fi
}

case_reload_refused() {
    cp "$WORK/a.toml" "$WORK/a.good"
    printf '\n[[policy]]\nsrc-address = "10.201.1.0/33"\n' >>"$WORK/a.toml"
    if ctl a reload >"$WORK/reload.out" 2>&1; then
        fail "a broken config was accepted"
    else
        log "refused: $(tr '\n' ' ' <"$WORK/reload.out" | cut -c1-200)"
    fi
    cp "$WORK/a.good" "$WORK/a.toml"
    chmod 644 "$WORK/a.toml"
    chmod 755 "$WORK"
    if ctl a reload >"$WORK/reload.out" 2>&1; then
        fail "a config with secrets readable by others was accepted"
    elif grep -q 'readable by other users' "$WORK/reload.out"; then
        log "refused: $(grep -o 'holds secrets.*(mode 0644)' "$WORK/reload.out")"
    else
        cat "$WORK/reload.out"
        fail "unclear refusal"
    fi
    chmod 600 "$WORK/a.toml"
    chmod 700 "$WORK"
    check_ping 10.201.1.1 10.201.2.1
    # The same check stops `tunsec run` before it touches anything.
    cp "$WORK/a.toml" "$WORK/open.toml"
    chmod 644 "$WORK/open.toml"
    chmod 755 "$WORK"
    if "$TUNSEC" run -c "$WORK/open.toml" >"$WORK/run.out" 2>&1; then
        fail "tunsec run accepted a config with secrets readable by others"
    else
        log "tunsec run: $(cut -c1-160 "$WORK/run.out")"
    fi
    chmod 700 "$WORK"
}

case_monitor() {
    ns_spawn b "$WORK/iperf3-server2.log" iperf3 -s -1 -B 10.201.2.1 >/dev/null
    wait_for 5 in_ns b sh -c "ss -ltn | grep -q ':5201'"
    in_ns a iperf3 -c 10.201.2.1 -B 10.201.1.1 -t 4 >/dev/null 2>&1 &
    local client=$!
    sleep 1
    ctl a monitor --interval 1 --count 3 >"$WORK/monitor.out" 2>&1 || fail "monitor failed"
    wait $client
    sed -n '/^tunsec monitor/,$p' "$WORK/monitor.out" | tail -8 | sed 's/^/   | /'
    # The last screen's busiest outbound SA must show a rate.
    local mbit
    mbit=$(awk '$3 == "out" && $NF != "-" {print $NF}' "$WORK/monitor.out" | sort -g | tail -1)
    if python3 -c "import sys; sys.exit(0 if float('${mbit:-0}') > 1 else 1)"; then
        log "monitor shows $mbit Mbit/s on the outbound SA under iperf3"
    else
        fail "monitor shows no rate (${mbit:-none})"
    fi
}

case_metrics() {
    if in_ns a curl -sf http://127.0.0.1:9474/metrics >"$WORK/metrics.out"; then
        grep -E '^tunsec_ike_sas\{state="established"\} 1$|^tunsec_sa_bytes_total|in-no-states' "$WORK/metrics.out" | head -4 | sed 's/^/   | /'
        grep -q '^tunsec_ike_sas{state="established"} 1$' "$WORK/metrics.out" || fail "no established IKE SA in the metrics"
        local bytes
        bytes=$(awk '/^tunsec_sa_bytes_total\{.*direction="out"/ {s += $NF} END {print s + 0}' "$WORK/metrics.out")
        [ "$bytes" -gt 0 ] && log "metrics: outbound SA bytes $bytes" || fail "no SA bytes in the metrics"
    else
        fail "no answer on 127.0.0.1:9474/metrics"
    fi
    in_ns a curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:9474/other | grep -q 404 || fail "/other is not 404"
}

case_logs() {
    grep -E '^[0-9]{2}:[0-9]{2}:[0-9]{2} ipsec ' "$WORK/a.log" | grep -m3 -E 'established|deleted|rekeyed' | sed 's/^/   | /'
    grep -Eq '^[0-9]{2}:[0-9]{2}:[0-9]{2} ipsec .*ike2 SA established' "$WORK/a.log" || fail "no 'ike2 SA established' line with time and topic"
    grep -Eq 'system,info .*running on tunsec0' "$WORK/a.log" || fail "no system,info start line"
    if grep -q 'example-secret' "$WORK/a.log" "$WORK/b.log"; then
        fail "the pre-shared key appears in a log"
    else
        log "no secret in the logs"
    fi
    # b runs with --log-level debug --log-topics 'ipsec,!debug' --log-topics system.
    if grep -q 'ipsec,debug' "$WORK/b.log"; then
        fail "b logged ipsec,debug lines despite 'ipsec,!debug'"
    elif grep -q ' ipsec ' "$WORK/b.log" && grep -q ' system,info ' "$WORK/b.log"; then
        log "b with topics 'ipsec,!debug' + 'system': $(grep -c ' ipsec' "$WORK/b.log") ipsec lines, no ipsec,debug"
    else
        fail "b's topic filter dropped wanted lines"
    fi
}

case_service() {
    local masks bad=0 t
    for t in /proc/"$A_PID"/task/*; do
        masks=$(awk '/^Cap(Eff|Prm|Bnd):/ {printf "%s=%s ", $1, $2}' "$t/status")
        case $masks in
        "CapPrm:=0000000000003000 CapEff:=0000000000003000 CapBnd:=0000000000003000 ") ;;
        *) bad=1; log "thread $(cat "$t/comm"): $masks" ;;
        esac
    done
    [ "$bad" = 0 ] && log "every thread of the daemon ($(ls /proc/"$A_PID"/task | wc -l)) holds CAP_NET_ADMIN and CAP_NET_RAW only (0x3000)" ||
        fail "capabilities not dropped"
    if [ -s "$WORK/notify.out" ] && grep -q 'READY=1' "$WORK/notify.out"; then
        log "sd_notify: $(tr '\n' ' ' <"$WORK/notify.out")"
    else
        fail "no READY=1 on NOTIFY_SOCKET"
    fi
    local sub
    for sub in run check print remote-peers "remote-peers kill-connections" installed-sa "installed-sa flush" reload monitor completions hwinfo demo; do
        # shellcheck disable=SC2086
        "$TUNSEC" $sub --help >/dev/null 2>&1 || fail "tunsec $sub --help"
    done
    local sh
    for sh in bash zsh fish; do
        [ "$("$TUNSEC" completions $sh | grep -c 'kill-connections')" -gt 0 ] || fail "completions $sh"
    done
    log "--help on every subcommand; completions for bash, zsh, fish"
}

run_case() {
    local name=$1
    if [ ${#ONLY[@]} -gt 0 ] && [[ ! " ${ONLY[*]} " == *" $name "* ]]; then
        return
    fi
    echo "== $name"
    CASE_OK=1
    "case_$name"
    if [ "$CASE_OK" = 1 ]; then
        PASSED=$((PASSED + 1))
    else
        FAILED=$((FAILED + 1))
        FAILURES+=("$name")
    fi
}

# sd_notify listener: the READY=1 datagram daemon a sends once set up.
python3 - "$WORK/notify.sock" "$WORK/notify.out" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(300)
with open(sys.argv[2], "w") as out:
    try:
        while True:
            out.write(s.recv(4096).decode() + "\n")
            out.flush()
    except socket.timeout:
        pass
PY
NOTIFY_LISTENER=$!
wait_for 5 test -S "$WORK/notify.sock"

echo "== starting site a and site b (config/ike-site-{a,b}.toml) in $(ns a) and $(ns b)"
if ! start_pair; then
    echo "the tunnel did not come up"
    kill "$NOTIFY_LISTENER" 2>/dev/null
    exit 1
fi
for c in print_menus logs service metrics monitor kill_connections flush reload_under_iperf3 reload_refused; do
    run_case "$c"
done
kill "$NOTIFY_LISTENER" 2>/dev/null
wait "$NOTIFY_LISTENER" 2>/dev/null

echo
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ] || { echo "failed: ${FAILURES[*]}"; exit 1; }
