#!/usr/bin/env bash
# Runs every test: Rust unit, UI (trybuild) and integration tests (the code generators' golden
# files, compiled with tsc and mcs), a short run of every fuzz target (scripts/fuzz.sh, nightly),
# the end-to-end suite with third-party Python clients (pysignalr, signalrcore), a smoke run of
# the benchmarks, then the end-to-end suites that drive the examples with the official npm
# @microsoft/signalr client in Node, by hand and through the generated TypeScript clients, and
# the web pages (the dashboard example, the hub explorer) in Chromium. Checks that the committed
# web bundles are what their sources give. Installs what the tests need (npm packages from the
# committed lock files, Debian's mono-devel for the C# compiler, chromium for the browser tests and
# redis-server for the Redis backplane's tests, which start their own) and fails loudly when a
# required tool is missing; it never skips a suite.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() {
    echo "test-all: $*" >&2
    exit 1
}

command -v cargo >/dev/null || fail "cargo is required (Rust stable)"
cargo +nightly --version >/dev/null 2>&1 || fail "the nightly Rust toolchain is required for the fuzz targets (rustup toolchain install nightly)"
command -v node >/dev/null || fail "node is required (Node.js 20 or newer) for the end-to-end tests"
command -v npm >/dev/null || fail "npm is required for the end-to-end tests"
command -v python3 >/dev/null || fail "python3 is required for the Python client tests"
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || fail "Node.js 20 or newer is required, found $(node --version)"

# Installs Debian packages with apt-get (one `apt-get update` for all), or fails with `why`.
apt_updated=""
apt_install() {
    local package=$1 why=$2
    echo "== apt-get install $package ($why)"
    command -v apt-get >/dev/null || fail "Debian package $package is required: $why"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    if [ -z "$apt_updated" ]; then
        $sudo apt-get update -qq || fail "apt-get update failed"
        apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$package" >/dev/null \
        || fail "cannot install $package"
}

command -v mcs >/dev/null || apt_install mono-devel "mcs compiles the generated C# clients"
command -v mcs >/dev/null || fail "mono-devel is installed but mcs is missing"
command -v redis-server >/dev/null || apt_install redis-server "the Redis backplane's tests start their own"
command -v redis-server >/dev/null || fail "redis-server is installed but not on PATH"
if [ ! -x "${CHROMIUM_BIN:-/usr/bin/chromium}" ]; then
    [ -n "${CHROMIUM_BIN:-}" ] && fail "CHROMIUM_BIN=$CHROMIUM_BIN is not an executable"
    apt_install chromium "the browser tests of the dashboard and the hub explorer"
    [ -x /usr/bin/chromium ] || fail "chromium is installed but /usr/bin/chromium is missing"
fi

echo "== npm ci (tests/node)"
# A dependency of @asyncapi/parser reports installs over the network unless told not to.
export SCARF_ANALYTICS=false
(cd tests/node && npm ci --no-audit --no-fund --loglevel=error)

echo "== web bundles: rebuilt from their sources (npm ci, tsc, esbuild) and compared with the committed ones"
for web in hub-runtime/explorer examples/dashboard/web; do
    (cd "$web" && npm ci --no-audit --no-fund --loglevel=error && npm run --silent check) \
        || fail "$web: the committed bundle is not what its sources give (see above)"
done

echo "== cargo build (examples)"
cargo build --workspace --bins

echo "== cargo test"
cargo test --workspace

echo "== fuzz targets, 15 s each (cargo test replayed their seeds; this explores beyond them)"
bash scripts/fuzz.sh 15 2

target_dir=$(cargo metadata --format-version 1 --no-deps | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')
export CHAT_BIN="$target_dir/debug/chat"
export STREAMING_BIN="$target_dir/debug/streaming"
export TYPES_BIN="$target_dir/debug/types"
export AUTH_BIN="$target_dir/debug/auth"
export DASHBOARD_BIN="$target_dir/debug/dashboard"
for bin in "$CHAT_BIN" "$STREAMING_BIN" "$TYPES_BIN" "$AUTH_BIN" "$DASHBOARD_BIN"; do
    [ -x "$bin" ] || fail "an example was not built: $bin"
done

echo "== end-to-end: Python clients (pysignalr, signalrcore) against examples/chat"
[ -x tests/python/.venv/bin/python ] || python3 -m venv tests/python/.venv || fail "cannot create a Python venv"
tests/python/.venv/bin/pip install -q --disable-pip-version-check -r tests/python/requirements.txt
tests/python/.venv/bin/python -m pytest -q tests/python

echo "== benchmark smoke run (bench/ --quick: checks that every part works, never a speed)"
command -v taskset >/dev/null || fail "taskset (util-linux) is required by the benchmark runner"
cargo run --release --manifest-path bench/Cargo.toml -p runner -- --quick
echo "== load generator tests (its HTTP transports against the bench hub the smoke run built)"
cargo test --release --manifest-path bench/Cargo.toml -p loadgen

echo "== end-to-end: @microsoft/signalr against the examples (chat, streaming, types, auth), the dashboard and the hub explorer in Chromium"
cd tests/node
node --test --test-concurrency=1 ./*.test.mjs

echo "== end-to-end: the generated TypeScript clients against examples/chat and examples/types"
npm run typed
