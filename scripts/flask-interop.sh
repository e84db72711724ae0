#!/usr/bin/env bash
# Live interop against real Flask 3.1: builds the CLI and runs the Python driver in a venv.
# Usage: scripts/flask-interop.sh [driver options, e.g. --seed 7 --sessions 10]
set -euo pipefail
cd "$(dirname "$0")/.."

# The venv is reused when it already holds Flask 3.1.
has_flask='import importlib.metadata as m; assert m.version("flask").startswith("3.1.")'
if [ ! -x .venv-flask/bin/python ] || ! .venv-flask/bin/python -c "$has_flask" 2>/dev/null; then
    python3 -m venv .venv-flask
    .venv-flask/bin/pip install -q 'flask==3.1.*'
fi

cargo build --features cli --bin cookie-session
# Cargo builds into $CARGO_TARGET_DIR when it is set.
target_dir="${CARGO_TARGET_DIR:-target}"
exec .venv-flask/bin/python -B -X utf8 tests/interop/flask_interop.py "$target_dir/debug/cookie-session" "$@"
