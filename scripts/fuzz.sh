#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for SECONDS each and fails if any of them finds a crash
# (a panic, an ASan report, a timeout or running out of memory).
#
#   scripts/fuzz.sh SECONDS [TARGET...]
#
# Only the stable toolchain is assumed. cargo-fuzz's coverage flags (-Cpasses=sancov-module,
# -Cllvm-args=-sanitizer-coverage-*) are stable; AddressSanitizer needs -Zsanitizer=address,
# which stable rustc accepts under RUSTC_BOOTSTRAP=1. The script builds with ASan that way and
# falls back to `--sanitizer none` (coverage-guided, panics and hangs still caught) if that
# build fails. TUNSEC_FUZZ_SANITIZER=none|address forces one.
#
# Each target starts from a scratch corpus, fuzz/corpus/<target>, filled with the committed
# seeds in fuzz/seeds/<target>; crashes land in fuzz/artifacts/<target>/. Both are git-ignored.
# One libFuzzer process per target (no -jobs/-workers): CI machines have two cores.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
    echo "usage: $0 SECONDS [TARGET...]" >&2
    exit 2
}
[[ $# -ge 1 && $1 =~ ^[0-9]+$ && $1 -gt 0 ]] || usage
seconds=$1
shift

if ! command -v cargo-fuzz >/dev/null 2>&1; then
    echo "==> installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

if [[ $# -gt 0 ]]; then
    targets=("$@")
else
    mapfile -t targets < <(cd fuzz && cargo fuzz list)
fi
[[ ${#targets[@]} -gt 0 ]] || { echo "fuzz.sh: no fuzz targets found" >&2; exit 1; }

# Release build with debug assertions (so overflow checks) and coverage instrumentation.
build() {
    (cd fuzz && cargo fuzz build "${fuzz_flags[@]}")
}
case "${TUNSEC_FUZZ_SANITIZER:-auto}" in
    address)
        export RUSTC_BOOTSTRAP=1
        fuzz_flags=(-O -a --sanitizer address)
        build
        ;;
    none)
        fuzz_flags=(-O -a --sanitizer none)
        build
        ;;
    auto)
        fuzz_flags=(-O -a --sanitizer address)
        if RUSTC_BOOTSTRAP=1 build; then
            export RUSTC_BOOTSTRAP=1
        else
            echo "fuzz.sh: AddressSanitizer build failed; fuzzing without a sanitizer" >&2
            fuzz_flags=(-O -a --sanitizer none)
            build
        fi
        ;;
    *)
        echo "fuzz.sh: TUNSEC_FUZZ_SANITIZER must be address, none or unset" >&2
        exit 2
        ;;
esac
sanitizer=${fuzz_flags[-1]}

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
failed=()
summary=()

for t in "${targets[@]}"; do
    corpus=fuzz/corpus/$t
    rm -rf "$corpus"
    mkdir -p "$corpus"
    if [[ -d fuzz/seeds/$t ]]; then
        cp fuzz/seeds/"$t"/* "$corpus"/
    fi
    log=$logs/$t.log
    echo "==> fuzzing $t for ${seconds}s (sanitizer: $sanitizer)"
    rc=0
    # Paths are relative to fuzz/, where cargo fuzz runs libFuzzer.
    (cd fuzz && cargo fuzz run "${fuzz_flags[@]}" "$t" "corpus/$t" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
        -print_final_stats=1) >"$log" 2>&1 || rc=$?

    # The last status line (`#N DONE cov: .. ft: .. corp: ..`) and the final stats.
    status=$(grep -E '^#[0-9]+' "$log" | tail -n 1 || true)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$status")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$status")
    corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$status")
    line=$(printf '%-16s execs=%-10s exec/s=%-8s cov=%-6s ft=%-6s corpus=%s' \
        "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}")
    if [[ $rc -ne 0 ]]; then
        artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
        case $artifact in
            /* | "") ;;
            *) artifact=fuzz/${artifact#./} ;;
        esac
        echo "!!! $t FAILED (exit $rc)" >&2
        # What went wrong (the panic or sanitizer report), then how libFuzzer ended.
        grep -m 1 -A 12 -E "panicked at|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)" \
            "$log" >&2 || true
        grep -E "^(SUMMARY|MS:|artifact_prefix)" "$log" >&2 || true
        if [[ -n $artifact ]]; then
            echo "!!! artifact: $artifact" >&2
            echo "!!! reproduce: (cd fuzz && cargo fuzz run ${fuzz_flags[*]} $t $(realpath "$artifact"))" >&2
        fi
        failed+=("$t")
        line="$line  CRASH $artifact"
    fi
    summary+=("$line")
    echo "$line"
done

echo
echo "fuzz summary (${seconds}s per target, sanitizer: $sanitizer):"
printf '  %s\n' "${summary[@]}"
if [[ ${#failed[@]} -gt 0 ]]; then
    echo "fuzz.sh: crash found in: ${failed[*]}" >&2
    exit 1
fi
echo "fuzz.sh: no crashes"
