#!/usr/bin/env bash
# Live interop against real Django 5.2 (signed_cookies sessions): builds the CLI and runs the
# Python driver in its own venv (.venv-django).
# Usage: scripts/django-interop.sh [driver options, e.g. --seed 7 --sessions 20]
set -euo pipefail
cd "$(dirname "$0")/.."

# The venv is reused when it already holds Django 5.2.
has_django='import django; assert django.VERSION[:2] == (5, 2)'
if [ ! -x .venv-django/bin/python ] || ! .venv-django/bin/python -c "$has_django" 2>/dev/null; then
    python3 -m venv .venv-django
    .venv-django/bin/pip install -q 'django==5.2.*'
fi

cargo build --features cli --bin cookie-session
# Cargo builds into $CARGO_TARGET_DIR when it is set.
target_dir="${CARGO_TARGET_DIR:-target}"
exec .venv-django/bin/python -B -X utf8 tests/interop/django_interop.py "$target_dir/debug/cookie-session" "$@"
