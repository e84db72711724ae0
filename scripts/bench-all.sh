#!/usr/bin/env bash
# Every performance figure of BENCHMARKS.md in one run, then the tables and the chart.
#
#   scripts/bench-all.sh            # about 20 minutes on 2 cores
#
# Steps (each also runs on its own, with the command shown):
#   1. instruction counts          scripts/callgrind.sh
#   2. allocations per operation   cargo bench --bench allocations --features encryption
#   3. wall time, codec            cargo bench --bench codec --features encryption
#   4. wall time, end to end       (cd bench-peers && CARGO_TARGET_DIR=../target cargo bench --bench e2e)
#   5. Pyramid 2.1 vs ours         scripts/bench-pyramid.sh
#   6. load tests (wrk)            scripts/loadtest.sh
#   7. tables and chart            scripts/bench-report.py   (bench-results/summary.md, docs/benchmarks.svg)
# Results go to bench-results/ (not committed) and criterion's target/criterion/.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench-results
export CARGO_TERM_QUIET=true

{
    echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
    echo "rustc: $(rustc --version)"
    echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
} >bench-results/machine.txt
cat bench-results/machine.txt

echo "== 1. instruction counts"
scripts/callgrind.sh
echo "== 2. allocations"
nice cargo bench --bench allocations --features encryption | tee bench-results/allocations.tsv
echo "== 3. codec wall time"
nice cargo bench --bench codec --features encryption 2>&1 | grep -E "^[a-z].*time:|^\s+time:|^[a-z]" || true
echo "== 4. end to end in-process"
(cd bench-peers && CARGO_TARGET_DIR=../target nice cargo bench --bench e2e 2>&1 | grep -E "time:|^[a-z]" || true)
echo "== 5. Pyramid 2.1"
scripts/bench-pyramid.sh
echo "== 6. load tests"
scripts/loadtest.sh
echo "== 7. report"
python3 scripts/bench-report.py
