#!/usr/bin/env bash
# Real-browser checks: Debian's headless Chromium, driven over the DevTools protocol by
# puppeteer-core (which downloads no browser of its own), against each example server on
# 127.0.0.1. Installs Chromium (apt) and puppeteer-core (npm, from tests/browser's lock file) when
# they are missing.
#
#   scripts/browser-test.sh [EXAMPLE...]     EXAMPLE: axum, actix, rocket (default: all three)
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ ! -x /usr/bin/chromium ]]; then
    echo "browser-test: installing Debian's chromium"
    if [[ $(id -u) -ne 0 ]]; then
        echo "browser-test: chromium is missing and installing it needs root" >&2
        exit 1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

if [[ ! -d tests/browser/node_modules/puppeteer-core ]]; then
    (cd tests/browser && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --silent)
fi

declare -A features=([axum]=axum [actix]=actix-web [rocket]=rocket)
if [[ $# -eq 0 ]]; then
    set -- axum actix rocket
fi

target_dir=$(realpath "${CARGO_TARGET_DIR:-target}")
examples=()
for name in "$@"; do
    feature=${features[$name]:?"unknown example $name (axum, actix or rocket)"}
    cargo build --quiet --example "${name}_hello" --features "$feature"
    examples+=("$name=$target_dir/debug/examples/${name}_hello")
done

EXAMPLES="${examples[*]}" node --test --test-concurrency=1 tests/browser/
