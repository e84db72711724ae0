#!/usr/bin/env python3
"""Times real Pyramid 2.1 loading and writing the same session cookies as cookie-session's
Pyramid format, in the same run, and prints the ratios.

    scripts/pyramid_timing.py            # builds the driver, times both, writes bench-results/pyramid.tsv

Run it with the interop venv's Python (scripts/bench-pyramid.sh does, creating `.venv` with
pyramid==2.1 and webob when missing). Both sides do the same work per operation:

* load: a session from the request's cookie value: base64url decode, HMAC-SHA512 check, JSON
  parse (Pyramid: `SignedCookieSessionFactory(...)(request)`; ours: `CookieSessionFactory::load`);
* finish: the `Set-Cookie` header for a changed session: JSON, HMAC-SHA512, base64url, cookie
  attributes (Pyramid: the session's `_set_cookie(response)`; ours: `CookieSessionFactory::finish`).

Ours is timed by running the `instructions` bench driver for N1 and N2 operations and dividing
the difference of the wall times, so process start-up and setup cancel. Each figure is the best of
several repeats, both sides alike: on a shared machine the minimum is the least disturbed run.
"""

import json
import os
import subprocess
import sys
import time
import timeit

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Must match benches/common/mod.rs.
PYRAMID_SECRET = "a Pyramid secret of sixty-four characters for the benchmark run"
REPEATS = 7


def driver():
    """Builds the `instructions` bench driver and returns its path."""
    features = os.environ.get("BENCH_FEATURES", "encryption")
    out = subprocess.run(
        ["cargo", "bench", "--quiet", "--no-run", "--features", features,
         "--bench", "instructions", "--message-format=json"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout
    for line in out.splitlines():
        msg = json.loads(line)
        if msg.get("reason") == "compiler-artifact" and msg.get("executable") \
                and msg["target"]["name"] == "instructions":
            return msg["executable"]
    sys.exit("could not build the instructions driver")


def ours_ns(binary, operation, n1=2_000, n2=52_000):
    """Wall nanoseconds per operation of ours: best of REPEATS of (t(n2) - t(n1)) / (n2 - n1)."""
    def wall(n):
        start = time.perf_counter()
        subprocess.run([binary, operation, str(n)], check=True)
        return time.perf_counter() - start
    best = min(wall(n2) - wall(n1) for _ in range(REPEATS))
    return max(best, 0.0) / (n2 - n1) * 1e9


def pyramid_ns(statement, number):
    """Nanoseconds per call of `statement`: best of REPEATS timeit runs."""
    return min(timeit.repeat(statement, number=number, repeat=REPEATS)) / number * 1e9


class Request:
    """What Pyramid's cookie session reads from a request: its cookies, and a place for the
    response callback that `changed()` registers."""

    def __init__(self, cookies):
        self.cookies = cookies
        self.exception = None

    def add_response_callback(self, callback):
        pass


def main():
    from pyramid.session import SignedCookieSessionFactory
    from webob import Response

    binary = driver()
    cookies = {}
    for line in subprocess.run([binary, "cookies"], check=True, capture_output=True,
                               text=True).stdout.splitlines():
        size, read, written = line.split("\t")
        cookies[size] = (read, written)
    # The attributes ours writes by default; no timeout, like the fixed clock of the Rust side.
    factory = SignedCookieSessionFactory(
        PYRAMID_SECRET, hashalg="sha512", secure=True, httponly=True, samesite="Lax",
        timeout=None, reissue_time=None,
    )

    rows = []
    for size, (value, ours_written) in cookies.items():
        request = Request({"session": value})
        session = factory(request)
        assert not session.new, f"Pyramid must accept our {size} cookie"
        # Not `in session`: that is an access, which re-stamps `accessed` with the real clock.
        assert dict.__contains__(session, "_csrft_"), "the benchmark state"
        response = Response()

        def finish():
            session._set_cookie(response)
            del response.headerlist[-1]

        # Pyramid writes the same bytes ours does (same JSON spelling, same signature).
        session._set_cookie(response)
        written = response.headerlist.pop()[1]
        assert written.startswith(f"session={ours_written};"), f"{size}: byte-identical cookies"

        number = 20_000 if size == "small" else 4_000
        load_py = pyramid_ns(lambda: factory(request), number)
        finish_py = pyramid_ns(finish, number)
        load_rs = ours_ns(binary, f"load-pyramid-{size}")
        finish_rs = ours_ns(binary, f"finish-pyramid-{size}")
        rows.append((f"load {size}", load_py, load_rs))
        rows.append((f"finish {size}", finish_py, finish_rs))

    out_dir = os.path.join(ROOT, "bench-results")
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "pyramid.tsv"), "w") as tsv:
        tsv.write("operation\tpyramid_ns\tours_ns\tspeedup\n")
        print(f"{'operation':<14} {'Pyramid 2.1':>12} {'ours':>10} {'speed-up':>9}")
        for name, py, rs in rows:
            speedup = py / rs if rs else float("inf")
            tsv.write(f"{name}\t{py:.0f}\t{rs:.0f}\t{speedup:.2f}\n")
            print(f"{name:<14} {py / 1000:>9.2f} µs {rs / 1000:>7.2f} µs {speedup:>8.1f}x")
    print("wrote bench-results/pyramid.tsv")


if __name__ == "__main__":
    main()
