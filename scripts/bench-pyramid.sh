#!/usr/bin/env bash
# Times real Pyramid 2.1 against cookie-session's Pyramid format on the same cookies, in one run
# (see scripts/pyramid_timing.py). Writes bench-results/pyramid.tsv.
#
#   scripts/bench-pyramid.sh
set -euo pipefail
cd "$(dirname "$0")/.."

# The same venv as scripts/pyramid-interop.sh, created here when missing.
has_pyramid='import importlib.metadata as m, webob; assert m.version("pyramid") == "2.1"'
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c "$has_pyramid" 2>/dev/null; then
    python3 -m venv .venv
    .venv/bin/pip install -q pyramid==2.1 webob
fi
exec nice .venv/bin/python -B scripts/pyramid_timing.py "$@"
