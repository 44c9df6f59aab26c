#!/usr/bin/env bash
# Runs every fuzz target of fuzz/ (cargo-fuzz, on the nightly toolchain) for SECONDS each
# (default 30), one after the other, from the committed seeds in fuzz/corpus/<target>/. What
# libFuzzer finds beyond them goes to fuzz/work/<target>/ (ignored by git, kept between runs), a
# crash to fuzz/artifacts/<target>/. Fails when a target crashes (a failed check, a panic, a
# sanitizer report, an input slower than 10 s). Installs cargo-fuzz when it is missing.
#
#   scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

fail() {
    echo "fuzz: $*" >&2
    exit 1
}

seconds=${1:-30}
[[ "$seconds" =~ ^[1-9][0-9]*$ ]] || fail "usage: scripts/fuzz.sh [seconds per target]"
cargo +nightly --version >/dev/null 2>&1 \
    || fail "the nightly toolchain is required (rustup toolchain install nightly)"
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "== cargo install cargo-fuzz"
    cargo install cargo-fuzz --locked || fail "cannot install cargo-fuzz"
fi

targets=$(cargo +nightly fuzz list)
[ -n "$targets" ] || fail "no fuzz targets in fuzz/"
echo "== cargo fuzz build"
cargo +nightly fuzz build

crashed=()
for target in $targets; do
    [ -n "$(ls -A "corpus/$target" 2>/dev/null)" ] || fail "no seeds in fuzz/corpus/$target"
    mkdir -p "work/$target"
    echo "== fuzz $target (${seconds} s)"
    if ! cargo +nightly fuzz run "$target" "work/$target" "corpus/$target" -- \
        -max_total_time="$seconds" -timeout=10 -print_final_stats=1; then
        crashed+=("$target")
    fi
done
if [ ${#crashed[@]} -gt 0 ]; then
    fail "crashed: ${crashed[*]} (inputs in fuzz/artifacts/<target>/; replay one with cargo +nightly fuzz run <target> <file>)"
fi
echo "fuzz: every target ran ${seconds} s without a crash"
