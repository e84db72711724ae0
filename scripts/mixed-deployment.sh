#!/usr/bin/env bash
# Mixed deployment over real HTTP (issue 10): a real Python app and the axum example share one
# user's session on 127.0.0.1, through one cookie jar, for Flask 3.1, Django 5.2 and Pyramid
# 1.10 (UnencryptedCookieSessionFactoryConfig). The checks are tests/interop/mixed/driver.py;
# each framework's app is tests/interop/mixed/<framework>_app.py.
#
# Uses the framework venvs of scripts/interop.sh (scripts/lib/venv.sh), builds the example,
# prints one PASS/FAIL line per check and ends with `N passed, M failed`; exits non-zero on any
# failure. Every process it starts is stopped on exit, and every wait is bounded.
# Usage: scripts/mixed-deployment.sh [flask] [django] [pyramid-legacy]   (default: all three)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/venv.sh

# The brief's secret: 14 bytes, as the Python apps have it. The example must accept it.
secret=supersecretkey
startup_seconds=60
driver_seconds=120
frameworks=("$@")
[ ${#frameworks[@]} -gt 0 ] || frameworks=(flask django pyramid-legacy)

work="$(mktemp -d "${TMPDIR:-/tmp}/mixed-deployment.XXXXXX")"
pids=()
stop_all() {
    local pid
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        # A process that ignores SIGTERM for 5 s is killed.
        for _ in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    pids=()
}
trap 'stop_all; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

started_at=$(date +%s)
passed=0
failed=0
fail() {
    echo "FAIL $1"
    failed=$((failed + 1))
}

cargo build --example axum_hello --features axum
# Cargo builds into $CARGO_TARGET_DIR when it is set.
example="${CARGO_TARGET_DIR:-target}/debug/examples/axum_hello"

# Starts a server in the background (its output in $work/NAME.log), waits for its
# `listening on http://127.0.0.1:PORT` line and sets $url; fails when it exits or stays silent.
url=
start_server() {
    local name=$1
    shift
    local log="$work/$name.log"
    : >"$log"
    "$@" >"$log" 2>&1 &
    pids+=($!)
    local pid=$! deadline=$((SECONDS + startup_seconds))
    url=
    while [ $SECONDS -lt $deadline ]; do
        url="$(sed -n 's|^listening on \(http://127\.0\.0\.1:[0-9][0-9]*\)$|\1|p' "$log" | head -n 1)"
        [ -n "$url" ] && return 0
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "--- $name's output:"
    cat "$log"
    return 1
}

run_framework() {
    local framework=$1 cookie
    case "$framework" in
        flask | pyramid-legacy) cookie=session ;;
        django) cookie=sessionid ;;
        *)
            fail "$framework: unknown framework (flask, django or pyramid-legacy)"
            return
            ;;
    esac
    echo "== $framework"
    framework_venv "$framework"
    local python="$venv/bin/python" app="${framework//-/_}_app.py"
    if ! start_server "$framework-app" "$python" -B -X utf8 "tests/interop/mixed/$app" "$secret" 0; then
        fail "$framework: the $framework app started"
        stop_all
        return
    fi
    local python_url=$url
    if ! start_server "$framework-rust" env SESSION_FORMAT="$framework" SESSION_SECRET="$secret" \
        SESSION_INSECURE_COOKIE=1 PORT=0 "$example"; then
        fail "$framework: the axum example started with SESSION_FORMAT=$framework"
        stop_all
        return
    fi
    local rust_url=$url
    local output="$work/$framework.out" status=0
    timeout "$driver_seconds" "$python" -B -X utf8 tests/interop/mixed/driver.py \
        --framework "$framework" --cookie "$cookie" \
        --python-url "$python_url" --rust-url "$rust_url" >"$output" 2>&1 || status=$?
    cat "$output"
    passed=$((passed + $(grep -c '^PASS ' "$output" || true)))
    failed=$((failed + $(grep -c '^FAIL ' "$output" || true)))
    if [ "$status" -ne 0 ] && ! grep -q '^FAIL ' "$output"; then
        fail "$framework: the driver ended with status $status"
    fi
    if grep -q '^FAIL ' "$output"; then
        echo "--- the $framework app's log:"
        cat "$work/$framework-app.log"
        echo "--- the axum example's log:"
        cat "$work/$framework-rust.log"
    fi
    stop_all
}

for framework in "${frameworks[@]}"; do
    run_framework "$framework"
done

echo "took $(($(date +%s) - started_at)) s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
