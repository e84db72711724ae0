#!/usr/bin/env bash
# Smoke-fuzzes every cargo-fuzz target on stable Rust (no sanitizer) and fails on any crash.
#
#   scripts/fuzz-smoke.sh [SECONDS] [TARGET...]
#
# SECONDS per target defaults to $FUZZ_SECONDS or 45. TARGETs default to every target in
# fuzz/Cargo.toml. Installs the pinned cargo-fuzz when it is missing. A crash leaves its input in
# fuzz/artifacts/<target>/; copy it into fuzz/regressions/<target>/ so that
# tests/fuzz_regressions.rs replays it from then on.
set -euo pipefail

CARGO_FUZZ_VERSION=0.13.1
seconds=${1:-${FUZZ_SECONDS:-45}}
shift || true

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

if [[ "$(cargo fuzz --version 2>/dev/null || true)" != "cargo-fuzz $CARGO_FUZZ_VERSION" ]]; then
    echo "fuzz-smoke: installing cargo-fuzz $CARGO_FUZZ_VERSION"
    cargo install cargo-fuzz --locked --version "$CARGO_FUZZ_VERSION"
fi

if [[ $# -gt 0 ]]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo fuzz list)
fi

dict_for() {
    case "$1" in
        decode_pyramid | decode_django | decode_flask | roundtrip) echo "fuzz/dict/json.dict" ;;
        *) echo "fuzz/dict/cookie.dict" ;;
    esac
}

bash scripts/fuzz-seed.sh
# --debug-assertions: overflow and debug_assert! checks count as crashes too.
cargo fuzz build --sanitizer none --debug-assertions

mkdir -p fuzz/target/logs
failed=()
for target in "${targets[@]}"; do
    log="fuzz/target/logs/$target.log"
    echo "fuzz-smoke: $target for ${seconds}s"
    if cargo fuzz run --sanitizer none --debug-assertions "$target" -- \
        -max_total_time="$seconds" \
        -dict="$(dict_for "$target")" \
        -timeout=10 \
        -rss_limit_mb=1024 \
        -print_final_stats=1 >"$log" 2>&1; then
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
        echo "fuzz-smoke: $target ok, ${runs:-?} executions"
    else
        echo "fuzz-smoke: $target FAILED; last lines of $log:"
        tail -n 40 "$log"
        failed+=("$target")
    fi
done

if [[ ${#failed[@]} -gt 0 ]]; then
    echo "fuzz-smoke: crashes in: ${failed[*]} (inputs in fuzz/artifacts/)"
    exit 1
fi
echo "fuzz-smoke: ${#targets[@]} targets, no crash"
