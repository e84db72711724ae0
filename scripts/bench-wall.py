#!/usr/bin/env python3
"""Wall-time ratios between operations of the `instructions` bench driver, in one run, robust to
a busy machine: each operation runs N1 and N2 times in two processes (start-up and setup cancel),
the pairs are interleaved across operations, and each figure is the best of several rounds.

    scripts/bench-wall.py load-signed-small load-encrypted-small ...   # ns per operation
    BENCH_FEATURES=encryption WALL_ROUNDS=9 scripts/bench-wall.py ...

Prints `operation<TAB>ns` lines (and appends them to bench-results/wall.tsv).

`BENCH_WRAPPER` runs the driver under a command prefix, e.g. another C library's loader:
    BENCH_WRAPPER="/opt/glibc241/usr/lib64/ld-linux-x86-64.so.2 --library-path \
        /opt/glibc241/usr/lib/x86_64-linux-gnu" scripts/bench-wall.py ...
"""

import os
import shlex
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pyramid_timing import ROOT, driver  # noqa: E402

N1 = int(os.environ.get("WALL_N1", "1000"))
N2 = int(os.environ.get("WALL_N2", "11000"))
ROUNDS = int(os.environ.get("WALL_ROUNDS", "7"))
WRAPPER = shlex.split(os.environ.get("BENCH_WRAPPER", ""))


def timed(binary, op, n):
    start = time.perf_counter()
    subprocess.run([*WRAPPER, binary, op, str(n)], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main(ops):
    binary = driver()
    best = {op: float("inf") for op in ops}
    for _ in range(ROUNDS):
        for op in ops:
            per_op = (timed(binary, op, N2) - timed(binary, op, N1)) / (N2 - N1)
            best[op] = min(best[op], per_op)
    os.makedirs(os.path.join(ROOT, "bench-results"), exist_ok=True)
    with open(os.path.join(ROOT, "bench-results", "wall.tsv"), "a") as out:
        for op in ops:
            line = f"{op}\t{best[op] * 1e9:.0f}"
            print(line)
            out.write(line + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
