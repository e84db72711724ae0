#!/usr/bin/env bash
# Live interop against a real Python framework: builds the CLI, makes the framework's venv, and
# runs its driver (tests/interop/<framework>_interop.py), which checks both directions with
# random sessions and negative cases, and ends with "N passed, M failed".
#
#   scripts/interop.sh pyramid|pyramid-legacy|flask|django [driver options, e.g. --seed 7]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/venv.sh

framework=${1:?usage: scripts/interop.sh pyramid|pyramid-legacy|flask|django [driver options]}
shift
framework_venv "$framework"

cargo build --features cli --bin cookie-session
# Cargo builds into $CARGO_TARGET_DIR when it is set.
target_dir="${CARGO_TARGET_DIR:-target}"
exec "$venv/bin/python" -B -X utf8 "tests/interop/${framework//-/_}_interop.py" \
    "$target_dir/debug/cookie-session" "$@"
