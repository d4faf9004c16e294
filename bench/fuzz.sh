#!/usr/bin/env bash
# Fuzz the audit pipeline in-process on the stable toolchain (see examples/fuzz.rs).
#
#   bench/fuzz.sh [--inputs N] [--seed S] [--out fuzz/crashes] [more fuzz flags]
#
# Defaults: 100,000 inputs, seed 1, one worker thread (a second core stays free), crashing
# inputs saved under fuzz/crashes/. `--help` lists every flag (time and memory bounds,
# examples kept per class, minimization). `--replay DIR` re-runs one saved input.
#
# Environment:
#   FUZZ_NICE=10       scheduling niceness of the campaign (0 to run at normal priority)
#   FUZZ_VMEM_MB=8192  address-space limit (ulimit -v), a backstop for a runaway allocation
#                      faster than the watchdog's memory poll; 0 for none
#
# Exits 0 when no input crashed, hung or exceeded a bound, 1 otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

nice_level="${FUZZ_NICE:-10}"
vmem_mb="${FUZZ_VMEM_MB:-8192}"

cargo build --release --example fuzz --quiet
bin="${CARGO_TARGET_DIR:-target}/release/examples/fuzz"

args=("$@")
has_flag() {
    local flag
    for flag in "${args[@]+"${args[@]}"}"; do
        [[ "$flag" == "$1" || "$flag" == "$1="* ]] && return 0
    done
    return 1
}
has_flag --inputs || has_flag --replay || args+=(--inputs 100000)
has_flag --out || args+=(--out fuzz/crashes)

if [[ "$vmem_mb" != 0 ]]; then
    ulimit -v $((vmem_mb * 1024))
fi
exec nice -n "$nice_level" "$bin" "${args[@]}"
