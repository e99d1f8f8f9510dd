#!/usr/bin/env bash
# The main job: builds tunsec and runs its demo (see README).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p tunsec
./target/release/tunsec hwinfo
./target/release/tunsec demo
