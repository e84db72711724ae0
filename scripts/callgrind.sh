#!/usr/bin/env bash
# Instruction counts per operation (valgrind --tool=callgrind) for our load/finish, the
# cryptographic floors' and the cookie crate's, and the ratios between them.
#
#   scripts/callgrind.sh                      # every operation (about 15 minutes)
#   scripts/callgrind.sh load-signed-small    # only these operations (plus nothing else)
#   scripts/callgrind.sh --match 's[0-9]{4}$' # the operations whose name matches (grep -E)
#   scripts/callgrind.sh --annotate finish-encrypted-small   # where one operation's instructions go
#
# Three drivers: `benches/instructions.rs` (ours, the in-crate `Value` floor built with the
# library's serde_json features, the cookie crate), `bench-floor/` (operations `indep-…`: the
# independent floor, serde_json with its default features, in its own crate and Cargo.lock) and
# `bench-peers/src/bin/adapter-ops.rs` (operations `adapter-…`: one request through each
# framework's in-process service with and without the session layer, and the codec's own part of
# that request; the summary prints what the session adds per request in each framework).
#
# Each operation runs N1 and N2 times in two processes; (I(N2) - I(N1)) / (N2 - N1) is its cost,
# setup and process start-up cancel. Instruction counts do not depend on what else the machine is
# doing, unlike wall time. Writes bench-results/callgrind.tsv (operation, instructions per op).
set -euo pipefail
cd "$(dirname "$0")/.."

N1=${CALLGRIND_N1:-20}
N2=${CALLGRIND_N2:-220}
FEATURES=${BENCH_FEATURES:-encryption}
OUT_DIR=bench-results
mkdir -p "$OUT_DIR"

if ! command -v valgrind >/dev/null; then
    echo "valgrind not found; installing it with apt-get" >&2
    apt-get update -qq && apt-get install -y -qq valgrind >/dev/null
fi

# The driver is a [[bench]] (harness = false), so it is built with the bench profile and stays
# out of the public examples.
bin=$(nice cargo bench --quiet --no-run --features "$FEATURES" --bench instructions \
    --message-format=json 2>/dev/null |
    python3 -c 'import json,sys
for line in sys.stdin:
    msg = json.loads(line)
    if msg.get("reason") == "compiler-artifact" and msg.get("executable") and msg["target"]["name"] == "instructions":
        print(msg["executable"])')
[ -x "$bin" ] || { echo "could not build the instructions driver" >&2; exit 1; }
(cd bench-floor && CARGO_TARGET_DIR=../target nice cargo build --quiet --release)
floor_bin=target/release/floor
[ -x "$floor_bin" ] || { echo "could not build the independent floor" >&2; exit 1; }
(cd bench-peers && CARGO_TARGET_DIR=../target nice cargo build --quiet --release --bin adapter-ops)
adapter_bin=target/release/adapter-ops
[ -x "$adapter_bin" ] || { echo "could not build the adapter driver" >&2; exit 1; }

# The driver that runs `op`.
driver() {
    case $1 in
        indep-*) echo "$floor_bin" ;;
        adapter-*) echo "$adapter_bin" ;;
        *) echo "$bin" ;;
    esac
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Total instructions (Ir) of one run of `op` `n` times.
count() {
    local op=$1 n=$2 out="$tmp/$1.$2.out"
    valgrind --tool=callgrind --callgrind-out-file="$out" "$(driver "$op")" "$op" "$n" \
        >/dev/null 2>&1
    awk '/^(summary|totals):/ { print $2; exit }' "$out"
}

if [ "${1:-}" = "--annotate" ]; then
    op=${2:?usage: scripts/callgrind.sh --annotate OPERATION}
    valgrind --tool=callgrind --callgrind-out-file="$tmp/annotate.out" "$(driver "$op")" "$op" 2000 \
        >/dev/null 2>&1
    echo "# $op: inclusive instructions per function over 2000 runs (setup included, small)"
    callgrind_annotate --inclusive=yes "$tmp/annotate.out" 2>/dev/null | sed -n '1,60p'
    exit 0
fi

if [ "${1:-}" = "--match" ]; then
    mapfile -t ops < <({ "$bin" --list; "$floor_bin" --list; "$adapter_bin" --list; } | grep -E "${2:?usage: --match REGEX}")
elif [ $# -gt 0 ]; then
    ops=("$@")
else
    mapfile -t ops < <({ "$bin" --list; "$floor_bin" --list; "$adapter_bin" --list; })
fi

# Appends to (or updates) the table, so that partial runs add up.
tsv="$OUT_DIR/callgrind.tsv"
[ -s "$tsv" ] || printf 'operation\tinstructions\n' >"$tsv"
for op in "${ops[@]}"; do
    a=$(count "$op" "$N1")
    b=$(count "$op" "$N2")
    per_op=$(( (b - a) / (N2 - N1) ))
    grep -v -P "^\Q$op\E\t" "$tsv" >"$tmp/tsv" || true
    printf '%s\t%s\n' "$op" "$per_op" >>"$tmp/tsv"
    cp "$tmp/tsv" "$tsv"
    printf '%-32s %10s instructions\n' "$op" "$per_op"
done

echo
python3 - "$tsv" <<'PY'
import csv, sys
rows = {r["operation"]: int(r["instructions"]) for r in csv.DictReader(open(sys.argv[1]), delimiter="\t")}
def ratio(a, b):
    return f"{rows[a] / rows[b]:.3f}x" if a in rows and b in rows and rows[b] else "-"
print(f"{'ratio':<34} {'ours/floor':>10} {'peer/ours':>10}")
for wire in ("signed", "encrypted", "pyramid"):
    for op in ("load", "finish"):
        for size in ("small", "large"):
            ours = f"{op}-{wire}-{size}"
            if ours not in rows:
                continue
            print(f"{ours:<34} {ratio(ours, 'floor-' + ours):>10} {ratio('peer-' + ours, ours):>10}")
            if "indep-" + ours in rows:
                print(f"{'  vs independent floor':<34} {ratio(ours, 'indep-' + ours):>10}")
for op in ("load", "finish"):
    for size in ("small", "large"):
        a, b = f"{op}-encrypted-{size}", f"{op}-signed-{size}"
        if a in rows:
            print(f"{'encrypted/signed ' + op + ' ' + size:<34} {ratio(a, b):>10}")
if "lazy-untouched" in rows:
    print(f"{'lazy untouched / lazy read':<34} {ratio('lazy-untouched', 'lazy-read'):>10}")
# Issue 12's adapter target, in instructions: what the session adds to one GET /visits in each
# framework (with the layer - the same program without it) against the codec's own load + get +
# insert + finish of the same cookie.
codec = rows.get("adapter-codec-visits")
for framework in ("axum", "actix", "rocket"):
    plain, session = (rows.get(f"adapter-{framework}-{m}") for m in ("plain", "session"))
    if plain is None or session is None:
        continue
    added = session - plain
    if framework == "rocket":
        # rocket's local client parses the response's Set-Cookie into a jar; a server does not.
        added -= rows.get("adapter-rocket-client-jar", 0)
    line = f"{framework + ' request':<14} no session {plain:>7}  session {session:>7}  adds {added:>6}"
    if codec:
        line += f"  = {added / codec:.2f}x the codec's {codec} (target <= 1.25x)"
    print(line)
PY
echo "wrote $tsv (the sweep's tables and chart: python3 scripts/bench-sweep.py)"
