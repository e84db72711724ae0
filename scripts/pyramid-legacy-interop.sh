#!/usr/bin/env bash
# Live interop against real Pyramid 1.10.8 + WebOb 1.8 (UnencryptedCookieSessionFactoryConfig,
# pickle cookies): builds the CLI and runs the Python driver in a venv of its own.
# Usage: scripts/pyramid-legacy-interop.sh [driver options, e.g. --seed 7 --sessions 10]
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.venv-pyramid-legacy
# The venv is reused when it already holds Pyramid 1.10.8 and WebOb 1.8. setuptools provides
# pkg_resources, which Pyramid 1.x imports and Python 3.12+ no longer ships.
has_pyramid='import importlib.metadata as m; assert m.version("pyramid") == "1.10.8" and m.version("webob").startswith("1.8.")'
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "$has_pyramid" 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q "pyramid==1.10.8" "webob==1.8.*" setuptools
fi

cargo build --features cli --bin cookie-session
# Cargo builds into $CARGO_TARGET_DIR when it is set.
target_dir="${CARGO_TARGET_DIR:-target}"
exec "$venv/bin/python" -B -X utf8 tests/interop/pyramid_legacy_interop.py \
    "$target_dir/debug/cookie-session" "$@"
