#!/usr/bin/env bash
# Runs every fuzz target of fuzz/ (libFuzzer, built on the nightly toolchain) for SECONDS each
# (default 30), JOBS at a time (default 1), from the committed seeds in fuzz/corpus/<target>/.
# What libFuzzer finds beyond them goes to fuzz/work/<target>/ (ignored by git, kept between
# runs), a crash to fuzz/artifacts/<target>/, each run's log to fuzz/logs/<target>.log. Fails
# when a target crashes (a failed check, a panic, an input slower than 10 s).
#
#   scripts/fuzz.sh [SECONDS] [JOBS]
#
# The targets are built the way `cargo fuzz build --sanitizer none` builds them (coverage
# instrumentation, debug assertions), without needing cargo-fuzz installed: the workspace
# forbids unsafe code, so AddressSanitizer would watch only dependencies. `cargo +nightly fuzz
# run <target>` works too, with AddressSanitizer, for those who have cargo-fuzz.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

fail() {
    echo "fuzz: $*" >&2
    exit 1
}

seconds=${1:-30}
jobs=${2:-1}
[[ "$seconds" =~ ^[1-9][0-9]*$ && "$jobs" =~ ^[1-9][0-9]*$ ]] \
    || fail "usage: scripts/fuzz.sh [seconds per target] [targets at a time]"
cargo +nightly --version >/dev/null 2>&1 \
    || fail "the nightly toolchain is required (rustup toolchain install nightly)"

triple=$(rustc +nightly -vV | sed -n 's/^host: //p')
flags="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4"
flags+=" -Cllvm-args=-sanitizer-coverage-inline-8bit-counters"
flags+=" -Cllvm-args=-sanitizer-coverage-pc-table"
flags+=" -Cllvm-args=-sanitizer-coverage-trace-compares"
flags+=" -Cllvm-args=-sanitizer-coverage-stack-depth"
flags+=" --cfg fuzzing -Cdebug-assertions -Coverflow-checks"
echo "== build the fuzz targets (nightly, $triple)"
# `--target` keeps the instrumentation off build scripts and proc macros.
RUSTFLAGS="$flags" cargo +nightly build --release --bins --target "$triple" \
    || fail "the fuzz targets do not build"
bin="target/$triple/release"

targets=$(sed -n 's/^name = "\(.*\)"$/\1/p' Cargo.toml | grep -v '^hub-fuzz$')
[ -n "$targets" ] || fail "no fuzz targets in fuzz/Cargo.toml"
mkdir -p logs

run() {
    local target=$1
    [ -n "$(ls -A "corpus/$target" 2>/dev/null)" ] || { echo "no seeds in fuzz/corpus/$target"; return 1; }
    mkdir -p "work/$target" "artifacts/$target"
    "$bin/$target" "work/$target" "corpus/$target" \
        -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
        -artifact_prefix="artifacts/$target/" >"logs/$target.log" 2>&1
}

echo "== fuzz $(echo $targets | wc -w) targets, ${seconds} s each, ${jobs} at a time"
crashed=()
pids=()
names=()
wait_one() {
    local status=0
    wait "${pids[0]}" || status=$?
    local target=${names[0]}
    pids=("${pids[@]:1}")
    names=("${names[@]:1}")
    if [ "$status" -ne 0 ]; then
        crashed+=("$target")
        tail -n 40 "logs/$target.log" >&2
    fi
    echo "   $target: $(grep -E '^stat::number_of_executed_units' "logs/$target.log" | awk '{print $2}') runs, $(grep -E '^#[0-9]+.*(DONE|cov)' "logs/$target.log" | tail -n 1 | grep -oE 'cov: [0-9]+ ft: [0-9]+')"
}
for target in $targets; do
    run "$target" &
    pids+=($!)
    names+=("$target")
    if [ ${#pids[@]} -ge "$jobs" ]; then
        wait_one
    fi
done
while [ ${#pids[@]} -gt 0 ]; do
    wait_one
done
if [ ${#crashed[@]} -gt 0 ]; then
    fail "crashed: ${crashed[*]} (inputs in fuzz/artifacts/<target>/, logs in fuzz/logs/; replay one with fuzz/$bin/<target> <file>)"
fi
echo "fuzz: every target ran ${seconds} s without a crash"
