#!/usr/bin/env bash
# Runs the ESP/AH criterion benchmark (benches/benches/esp.rs) and prints, per transform and
# inner packet size, the engine's throughput next to the raw crypto ceiling measured in the
# same run, and their ratios. Build machines are shared and noisy: read the ratios, not the
# absolute Gbit/s.
#
# Usage: scripts/bench-esp.sh [--summary-only] [FILTER]
#   FILTER          criterion regex over benchmark ids, e.g. 'aes-128-gcm/.*/1400' or '/1400$'
#   --summary-only  run nothing; print the table of the last run again (or of whatever
#                   results target/criterion holds)
# Environment: WARMUP (seconds, default 1), MEASURE (seconds, default 3),
#              STAT (median | mean | slope, default median),
#              REPEAT (default 1): run the benchmark that many times; ratios are taken
#              within each run, and the table shows their median and range.
#              PAIRED (default aes-128-gcm/1400; empty to skip): comma-separated
#              <transform>/<size> entries measured afterwards in paired mode (see
#              benches/benches/esp.rs), PAIRED_RUNS times (default 3) for PAIRED_SECS
#              seconds each (default 10). Paired mode alternates engine and raw pass by
#              pass, so it is the figure to trust on a busy machine.
#
# Ratios (all from per-packet times t, all "fraction of the ceiling", 1.00 = no overhead):
#   encap/seal = t(raw seal) / t(esp encap)   = ESP encap throughput / raw seal throughput
#   decap/open = t(raw open) / t(esp decap)   = ESP decap throughput / raw open throughput
#   both       = (t(seal) + t(open)) / (t(encap) + t(decap)), one packet each way
#   overhead   = 1 / both - 1: extra time the engine spends per packet sent and received;
#                "within 10% of the ceiling" means overhead <= 10%.
set -euo pipefail
cd "$(dirname "$0")/.."

summary_only=0
filter=()
for arg in "$@"; do
    case "$arg" in
    --summary-only) summary_only=1 ;;
    -h | --help)
        sed -n '2,/^set -euo/{/^set -euo/!p}' "$0"
        exit 0
        ;;
    *) filter+=("$arg") ;;
    esac
done

PYTHON=$(command -v python3 || echo /usr/bin/python3)
target_dir=$(cargo metadata --no-deps --format-version 1 |
    "$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
criterion_dir="$target_dir/criterion"
log="$criterion_dir/tunsec-esp.log"
mkdir -p "$criterion_dir"

command=(cargo bench -p tunsec-benches --bench esp --
    --warm-up-time "${WARMUP:-1}" --measurement-time "${MEASURE:-3}" "${filter[@]}")
runs="$criterion_dir/tunsec-esp-runs.json"

# summarise collect CRITERION_DIR RUNS SINCE STAT | summarise report RUNS LOG
summarise() {
    "$PYTHON" - "$@" <<'PY'
"""Collects criterion results of one bench-esp.sh run, or prints the table over all runs."""
import json
import os
import statistics
import sys

TARGET = ("aes-128-gcm", 1400, 0.10)  # transform, inner size, allowed overhead
OPS = ("encap", "decap", "seal", "open")


def load(path):
    with open(path) as f:
        return json.load(f)


def collect(criterion_dir, runs_path, since, stat):
    """Appends {"engine/transform/op/size": [ns, ci_half_rel, bytes]} for results newer than since."""
    run = {}
    for root, _dirs, files in os.walk(criterion_dir):
        if os.path.basename(root) != "new" or "benchmark.json" not in files:
            continue
        est_path = os.path.join(root, "estimates.json")
        if not os.path.exists(est_path) or os.path.getmtime(est_path) < since:
            continue
        bench = load(os.path.join(root, "benchmark.json"))
        parts = bench["group_id"].split("/")
        if len(parts) != 3 or bench.get("value_str") is None:
            continue
        estimates = load(est_path)
        est = estimates.get(stat) or estimates["mean"]
        ns = est["point_estimate"]
        ci = est["confidence_interval"]
        half = (ci["upper_bound"] - ci["lower_bound"]) / 2 / ns if ns else 0.0
        nbytes = (bench.get("throughput") or {}).get("Bytes", int(bench["value_str"]))
        run["/".join(parts + [bench["value_str"]])] = [ns, half, nbytes]
    runs = load(runs_path) if os.path.exists(runs_path) else {"stat": stat, "runs": []}
    runs["runs"].append(run)
    with open(runs_path, "w") as f:
        json.dump(runs, f)


def cpuinfo():
    have, model = set(), "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags") and not have:
                    have = set(line.split(":", 1)[1].split())
                elif line.startswith("model name") and model == "?":
                    model = line.split(":", 1)[1].strip()
    except OSError:
        pass
    names = ["aes", "pclmulqdq", "avx2", "vaes", "vpclmulqdq", "sha_ni", "avx512f"]
    return model, " ".join(f"{n}={'yes' if n in have else 'no'}" for n in names)


def report(runs_path, log_path):
    if not os.path.exists(runs_path):
        print("no results: run scripts/bench-esp.sh first")
        return
    data = load(runs_path)
    runs = [r for r in data["runs"] if r]
    log = []
    if os.path.exists(log_path):
        with open(log_path) as f:
            log = [l.rstrip("\n") for l in f if l.startswith(("tunsec-bench ", "tunsec-paired "))]
    accelerated, order = {}, []
    for line in log:
        if line.startswith("tunsec-bench transform: "):
            name, _, flag = line.split(": ", 1)[1].partition(" accelerated=")
            accelerated[name] = flag
            if name not in order:
                order.append(name)

    # (engine, name, size) -> {op: [(ns, half), ...one per run]}
    table = {}
    for run in runs:
        for key, (ns, half, nbytes) in run.items():
            engine, name, op, size = key.split("/")
            row = table.setdefault((engine if op in ("encap", "decap") else None, name, int(size)), {})
            row.setdefault(op, []).append((ns, half, nbytes))
    # Merge the raw half of each row into the engine row of the same transform and size.
    rows = {}
    for (engine, name, size), ops in table.items():
        rows.setdefault((name, size), {}).update(ops)
        if engine:
            rows[(name, size)]["engine"] = engine

    model, flags = cpuinfo()
    print()
    print(f"CPU: {model} ({os.cpu_count()} cpus)")
    print(f"CPU flags (/proc/cpuinfo): {flags}")
    shown = set()
    for line in log:
        if line.startswith(("tunsec-bench cpu:", "tunsec-bench command:",
                            "tunsec-bench start:", "tunsec-bench end:")) and line not in shown:
            shown.add(line)
            print(line.replace("tunsec-bench ", "", 1).replace("cpu:", "cpu::detect():", 1))
    n = len(runs)
    print(f"statistic: criterion {data['stat']} time per packet, {n} run(s); Gbit/s of inner packet bytes"
          + (" (median over runs); ratios: median of the per-run ratios [min..max]" if n > 1 else "")
          + "; noise = largest 95% CI half-width of the four benchmarks")
    print()
    head = (f"{'transform':<24} {'hw':<3} {'size':>5}  {'encap':>6} {'decap':>6} {'seal':>6} {'open':>6}"
            f"  {'encap/seal':>10} {'decap/open':>10} {'both':>6} {'overhead':>8} {'noise':>5}"
            + ("  both range" if n > 1 else ""))
    print(f"{'':<35} {'------- Gbit/s --------':>27}  {'---- fraction of raw ceiling ----':>37}")
    print(head)
    print("-" * len(head))

    def median_gbps(samples):
        return statistics.median(b * 8 / ns for ns, _h, b in samples)

    def per_run(num, den):
        # Ratios within one run only: runs see different machine load.
        return [sum(x[0] for x in num_r) / sum(x[0] for x in den_r)
                for num_r, den_r in zip(zip(*num), zip(*den))]

    verdict = None
    keys = sorted(rows, key=lambda k: (order.index(k[0]) if k[0] in order else len(order), k[0], k[1]))
    for name, size in keys:
        row = rows[(name, size)]
        if "engine" not in row:
            continue
        cell = lambda op: f"{median_gbps(row[op]):6.2f}" if op in row else f"{'-':>6}"
        both_runs = None
        ratio = {}
        for label, num, den in (("es", ["seal"], ["encap"]), ("do", ["open"], ["decap"]),
                                ("both", ["seal", "open"], ["encap", "decap"])):
            if all(op in row and len(row[op]) == n for op in num + den):
                r = per_run([row[op] for op in num], [row[op] for op in den])
                ratio[label] = statistics.median(r)
                if label == "both":
                    both_runs = r
        fmt = lambda label, w: f"{ratio[label]:{w}.3f}" if label in ratio else f"{'-':>{w}}"
        over = f"{(1 / ratio['both'] - 1) * 100:+.1f}%" if "both" in ratio else "-"
        noise = "-"
        if all(op in row for op in OPS):
            noise = f"{max(h for op in OPS for _ns, h, _b in row[op]) * 100:.1f}%"
        hw = {"true": "yes", "false": "no"}.get(accelerated.get(name, ""), "?")
        line = (f"{row['engine'] + ' ' + name:<24} {hw:<3} {size:>5}  {cell('encap')} {cell('decap')}"
                f" {cell('seal')} {cell('open')}  {fmt('es', 10)} {fmt('do', 10)} {fmt('both', 6)}"
                f" {over:>8} {noise:>5}")
        if n > 1 and both_runs:
            line += f"  [{min(both_runs):.3f}..{max(both_runs):.3f}]"
        print(line)
        if (name, size) == TARGET[:2] and "both" in ratio:
            verdict = (ratio["both"], both_runs)
    print()
    paired_lines = [l.replace("tunsec-paired ", "", 1) for l in log if l.startswith("tunsec-paired ")]
    paired_both = {}
    spec = None
    for l in paired_lines:
        if not l.startswith(" "):
            spec = l.split(":", 1)[0]
        elif "median per-round ratio" in l and spec:
            paired_both.setdefault(spec, []).append(float(l.split(" both ", 1)[1].split()[0]))
    if paired_lines:
        print("paired mode (engine and raw alternating pass by pass; ns per packet):")
        for l in paired_lines:
            print("  " + l)
        print()
        for spec_, values in paired_both.items():
            m = statistics.median(values)
            print(f"paired {spec_}: both (median per-round ratio) over {len(values)} run(s): "
                  f"{', '.join(f'{v:.3f}' for v in values)}; median {m:.3f} = overhead {(1 / m - 1) * 100:+.1f}%")
        print()
    target = f"{TARGET[0]}/{TARGET[1]}"
    goal = f"ESP encap+decap of {TARGET[1]}-byte {TARGET[0]} within {TARGET[2]:.0%} of raw seal+open"
    if verdict:
        b, all_b = verdict
        over = 1 / b - 1
        ok = "MET" if over <= TARGET[2] else "NOT MET"
        spread = f", runs {', '.join(f'{x:.3f}' for x in all_b)}" if n > 1 else ""
        print(f"target (criterion): {goal}: both = {b:.3f}, overhead {over * 100:+.1f}%{spread} -> {ok}")
    if target in paired_both:
        values = paired_both[target]
        m = statistics.median(values)
        worst = min(values)
        ok = "MET" if 1 / m - 1 <= TARGET[2] else "NOT MET"
        print(f"target (paired):    {goal}: both = {m:.3f} (median of {len(values)} runs, worst {worst:.3f}), "
              f"overhead {(1 / m - 1) * 100:+.1f}% (worst {(1 / worst - 1) * 100:+.1f}%) -> {ok}")

if __name__ == "__main__":
    if sys.argv[1] == "collect":
        collect(sys.argv[2], sys.argv[3], float(sys.argv[4]), sys.argv[5])
    else:
        report(sys.argv[2], sys.argv[3])
PY
}

if [ "$summary_only" = 0 ]; then
    rm -f "$runs"
    {
        echo "tunsec-bench command: ${command[*]}  (repeated ${REPEAT:-1}x)"
        echo "tunsec-bench start: $(date -u +%FT%TZ) load: $(cut -d' ' -f1-3 /proc/loadavg)"
    } >"$log"
    for _ in $(seq "${REPEAT:-1}"); do
        since=$(date +%s)
        "${command[@]}" 2>&1 | tee -a "$log"
        summarise collect "$criterion_dir" "$runs" "$since" "${STAT:-median}"
    done
    # Paired cross-check of the headline figure: engine and raw alternate pass by pass.
    if [ -n "${PAIRED-aes-128-gcm/1400}" ]; then
        for _ in $(seq "${PAIRED_RUNS:-3}"); do
            TUNSEC_PAIRED="${PAIRED-aes-128-gcm/1400}" TUNSEC_PAIRED_SECS="${PAIRED_SECS:-10}" \
                cargo bench -p tunsec-benches --bench esp 2>&1 | tee -a "$log"
        done
    fi
    echo "tunsec-bench end: $(date -u +%FT%TZ) load: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$log"
elif [ ! -e "$runs" ]; then
    summarise collect "$criterion_dir" "$runs" 0 "${STAT:-median}"
fi
summarise report "$runs" "$log"
