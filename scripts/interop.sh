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
case "$framework" in
    pyramid)
        venv=.venv
        check='import importlib.metadata as m, webob; assert m.version("pyramid") == "2.1"'
        specs=("pyramid==2.1" webob)
        ;;
    pyramid-legacy)
        venv=.venv-pyramid-legacy
        check='import importlib.metadata as m; assert m.version("pyramid") == "1.10.8" and m.version("webob").startswith("1.8.")'
        # Pyramid 1.x imports pkg_resources, which Python 3.11's venv no longer carries.
        specs=("pyramid==1.10.8" "webob==1.8.*" setuptools)
        ;;
    flask)
        venv=.venv-flask
        check='import importlib.metadata as m; assert m.version("flask").startswith("3.1.")'
        specs=("flask==3.1.*")
        ;;
    django)
        venv=.venv-django
        check='import django; assert django.VERSION[:2] == (5, 2)'
        specs=("django==5.2.*")
        ;;
    *)
        echo "interop: unknown framework $framework (pyramid, pyramid-legacy, flask, django)" >&2
        exit 2
        ;;
esac
ensure_venv "$venv" "$check" "${specs[@]}"

cargo build --features cli --bin cookie-session
# Cargo builds into $CARGO_TARGET_DIR when it is set.
target_dir="${CARGO_TARGET_DIR:-target}"
exec "$venv/bin/python" -B -X utf8 "tests/interop/${framework//-/_}_interop.py" \
    "$target_dir/debug/cookie-session" "$@"
