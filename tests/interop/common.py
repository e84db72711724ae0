"""What the four interop drivers share, framework aside: the command line, the frozen clock,
the `cookie-session` binary, the check counter and its closing line, and the comparison of
decoded states.

Standard library only, so every framework's venv can import it.
"""

import argparse
import json
import os
import random
import subprocess

# How many failures the closing report lists one by one.
FAILURES_SHOWN = 50


# The variable through which `--secret-env` hands a secret to the CLI.
ENV_SECRET_VAR = "COOKIE_SESSION_INTEROP_SECRET"


def start(doc, framework, default_seed, default_sessions):
    """Parses `CLI [--seed N] [--sessions N]` (`INTEROP_SEED` overrides the default seed) and
    prints the run's first line. Returns (options, seeded RNG, Cli, Checks)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("cli", help="path to the cookie-session binary")
    parser.add_argument(
        "--seed", type=int, default=int(os.environ.get("INTEROP_SEED", default_seed))
    )
    parser.add_argument(
        "--sessions",
        type=int,
        default=default_sessions,
        help="generated sessions per key configuration (and hash) and direction",
    )
    args = parser.parse_args()
    print(f"interop: {framework}, seed {args.seed}, cli {args.cli}")
    return args, random.Random(args.seed), Cli(args.cli), Checks()


def secret_options(secret, via_env=False):
    """The CLI options for one secret: bytes as hex, text as it is or through the environment
    (see `secret_env`)."""
    if isinstance(secret, bytes):
        return ["--secret-hex", secret.hex()]
    if via_env:
        return ["--secret-env", ENV_SECRET_VAR]
    return ["--secret", secret]


def secret_env(secret, via_env):
    """The CLI's environment: this one's, plus the secret when it goes through the environment."""
    env = dict(os.environ)
    if via_env:
        env[ENV_SECRET_VAR] = secret
    return env


class FrozenClock:
    """Stands in for the `time` module inside a framework's signing code, so every case is
    reproducible to the second."""

    def __init__(self, now):
        self.now = float(now)

    def time(self):
        return self.now


class Cli:
    """The `cookie-session` binary: `decode` and `encode` with the given options."""

    def __init__(self, path):
        self.path = path

    def run(self, args, env=None):
        return subprocess.run(
            [self.path, *args], capture_output=True, env=env, text=True, encoding="utf-8"
        )

    def decode(self, options, cookie, now, env=None):
        """(exit code, parsed JSON or None, stderr)."""
        proc = self.run(["decode", *options, "--now", repr(now), "--", cookie], env)
        try:
            out = json.loads(proc.stdout)
        except ValueError:
            out = None
        return proc.returncode, out, proc.stderr.strip()

    def encode(self, options, state, now, created=None, env=None):
        """(exit code, cookie value, stderr); `state` is JSON data."""
        args = ["encode", *options, "--state", json.dumps(state), "--now", repr(now)]
        if created is not None:
            args += ["--created", repr(created)]
        proc = self.run(args, env)
        return proc.returncode, proc.stdout.strip(), proc.stderr.strip()


class Checks:
    """Counts checks, keeps the failures, and ends the run with `interop: N passed, M failed`
    (which CI reads)."""

    def __init__(self):
        self.passed = 0
        self.failures = []
        self.notes = {}

    def check(self, ok, case, what, detail=""):
        if ok:
            self.passed += 1
        else:
            self.failures.append(f"{case}: {what}{' -- ' + detail if detail else ''}")
        return ok

    def decoded(self, case, what, got):
        """One check that the CLI's decode `got` = (exit code, JSON, stderr) says valid."""
        code, out, err = got
        return self.check(code == 0 and out is not None and out.get("valid") is True, case,
                          what, f"exit {code}: {out or err}")

    def note(self, what, count=1):
        """Counts an observation that is not a check (printed before the closing line); a
        count of 0 lists it even if it never happens."""
        self.notes[what] = self.notes.get(what, 0) + count

    def guarded(self, case, check, *args):
        """Runs one group of checks; a crash (say, output of an unexpected shape) is one
        failure, not the end of the run."""
        try:
            return check(*args)
        except Exception as error:  # noqa: BLE001 -- every crash is reported as a failure
            self.check(False, case, f"{check.__name__} crashed", repr(error))
            return None

    def summary(self):
        """Prints the failures, the notes and the closing line; returns the exit code."""
        for failure in self.failures[:FAILURES_SHOWN]:
            print("FAIL", failure)
        if len(self.failures) > FAILURES_SHOWN:
            print(f"... and {len(self.failures) - FAILURES_SHOWN} more failures")
        for note, count in sorted(self.notes.items()):
            print(f"note: {note}: {count}")
        print(f"interop: {self.passed} passed, {len(self.failures)} failed")
        return 1 if self.failures else 0


def canon(obj, tuples_as_lists=False):
    """A comparable form of JSON data that keeps what `==` hides: int vs float, the sign of
    zero, bool vs int, and key order. With `tuples_as_lists`, a tuple compares as a list."""
    if isinstance(obj, bool) or obj is None:
        return ("lit", obj)
    if isinstance(obj, int):
        return ("int", obj)
    if isinstance(obj, float):
        return ("float", obj.hex())
    if isinstance(obj, str):
        return ("str", obj)
    if isinstance(obj, list) or (tuples_as_lists and isinstance(obj, tuple)):
        return ("list", [canon(x, tuples_as_lists) for x in obj])
    if isinstance(obj, dict):
        return ("dict", [(k, canon(v, tuples_as_lists)) for k, v in obj.items()])
    raise TypeError(type(obj))


def same(a, b, tuples_as_lists=False):
    return canon(a, tuples_as_lists) == canon(b, tuples_as_lists)


def session_cookie(set_cookie_headers, name="session"):
    """The value of the cookie `name` among a response's Set-Cookie headers."""
    for header in set_cookie_headers:
        cookie_name, _, rest = header.partition("=")
        if cookie_name == name:
            return rest.split(";", 1)[0]
    raise AssertionError(f"no {name} Set-Cookie in {set_cookie_headers!r}")


def framework_version(package):
    from importlib.metadata import version

    return version(package)
