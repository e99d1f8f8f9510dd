#!/usr/bin/env bash
# Runs every tunsec test: formatting and lints, unit and integration tests (including the
# Scapy interop tests), live tunnels between network namespaces (ping, iperf3, tshark), IKEv2
# interop with strongSwan's charon, the RouterOS manual's site-to-site example imported with
# `tunsec import-routeros` and run as a live tunnel, the
# fuzz targets for a short while, and every benchmark once in test mode.
# Installs the Debian packages it needs first (run as root on a fresh machine).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

step "cargo test"
cargo test --workspace

step "live tunnels in network namespaces"
cargo build --release -q -p tunsec
scripts/test-netns.sh target/release/tunsec

step "operator CLI against live daemons in network namespaces"
scripts/test-cli.sh target/release/tunsec

step "IKEv2 against strongSwan in network namespaces"
scripts/test-ike.sh target/release/tunsec

step "tunsec import-routeros: the manual's site-to-site example as a live tunnel"
scripts/test-import.sh target/release/tunsec
step "IKEv2 certificate authentication against strongSwan in network namespaces"
scripts/test-ike-certs.sh target/release/tunsec

step "fuzz targets (${TUNSEC_FUZZ_SECONDS:-8}s each)"
scripts/fuzz.sh "${TUNSEC_FUZZ_SECONDS:-8}"

step "benchmarks, each run once as a test"
cargo test -q -p tunsec-benches --benches

echo
echo "all tunsec tests passed"
