#!/usr/bin/env bash
# Live interop against real Pyramid 2.1: builds the CLI and runs the Python driver in a venv.
# Usage: scripts/pyramid-interop.sh [driver options, e.g. --seed 7 --sessions 10]
set -euo pipefail
cd "$(dirname "$0")/.."

# The venv is reused when it already holds Pyramid 2.1 and WebOb.
has_pyramid='import importlib.metadata as m, webob; assert m.version("pyramid") == "2.1"'
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c "$has_pyramid" 2>/dev/null; then
    python3 -m venv .venv
    .venv/bin/pip install -q pyramid==2.1 webob
fi

cargo build --features cli --bin cookie-session
# Cargo builds into $CARGO_TARGET_DIR when it is set.
target_dir="${CARGO_TARGET_DIR:-target}"
exec .venv/bin/python -B -X utf8 tests/interop/pyramid_interop.py "$target_dir/debug/cookie-session" "$@"
