"""Live interop between real Pyramid 1.10.8 / WebOb 1.8 (`UnencryptedCookieSessionFactoryConfig`,
pickle cookies) and the `cookie-session` CLI (`--format pyramid-legacy`).

Usage: python pyramid_legacy_interop.py PATH/TO/cookie-session [--seed N] [--sessions N]

Both directions, on sessions generated from a seeded RNG, for ASCII, latin-1, non-latin-1 and
raw-bytes secrets (and the brief's 14-byte `supersecretkey`):

1. Pyramid makes the cookie, through a real `UnencryptedCookieSessionFactoryConfig` session in a
   real Configurator WSGI app, and through `signed_serialize`'s own recipe with every pickle
   protocol (0-5, tuples included); the CLI decodes it and must report the same state (tuples
   as arrays), `created` and `accessed`.
2. The CLI encodes; real Pyramid loads the cookie into a session with the same state and times,
   and `pyramid.session.signed_deserialize` loads the same tuple.

Negative checks on both sides: a tampered cookie, another secret, expiry at the timeout; a
rotated key ring on the CLI side; pickles holding a datetime, a set, bytes or a callable,
which the CLI must report as `unsupported` without running anything.
Pyramid reads the time from `time.time()` in `pyramid.session`; a frozen clock replaces it.
"""

import argparse
import base64
import datetime
import hashlib
import hmac
import json
import pickle
import random
import subprocess
import sys
import warnings

warnings.simplefilter("ignore", DeprecationWarning)

import pyramid.session  # noqa: E402
from pyramid.config import Configurator  # noqa: E402
from pyramid.response import Response  # noqa: E402
from webob import Request  # noqa: E402

import session_gen as gen  # noqa: E402

BASE_TIME = 1_700_000_000


class FrozenClock:
    """Stands in for the `time` module inside `pyramid.session`."""

    def __init__(self):
        self.now = float(BASE_TIME)

    def time(self):
        return self.now


CLOCK = FrozenClock()
pyramid.session.time = CLOCK


class Results:
    def __init__(self):
        self.passed = 0
        self.failures = []

    def check(self, ok, case, what, detail=""):
        if ok:
            self.passed += 1
        else:
            self.failures.append(f"{case}: {what}{' -- ' + detail if detail else ''}")
        return ok


def canon(obj):
    """A comparable form that keeps what `==` hides (int vs float, the sign of zero, bool vs
    int, key order); a tuple compares as a list, as the contract maps it."""
    if isinstance(obj, bool) or obj is None:
        return ("lit", obj)
    if isinstance(obj, int):
        return ("int", obj)
    if isinstance(obj, float):
        return ("float", obj.hex())
    if isinstance(obj, str):
        return ("str", obj)
    if isinstance(obj, (list, tuple)):
        return ("list", [canon(x) for x in obj])
    if isinstance(obj, dict):
        return ("dict", [(k, canon(v)) for k, v in obj.items()])
    raise TypeError(type(obj))


def same(a, b):
    return canon(a) == canon(b)


def with_tuples(rng, obj):
    """The same data with some lists turned into tuples (Pyramid pickles both)."""
    if isinstance(obj, list):
        items = [with_tuples(rng, x) for x in obj]
        return tuple(items) if rng.random() < 0.5 else items
    if isinstance(obj, dict):
        return {k: with_tuples(rng, v) for k, v in obj.items()}
    return obj


def secret_bytes(secret):
    """WebOb's `bytes_` rule, as `signed_serialize` applies it."""
    if isinstance(secret, bytes):
        return secret
    try:
        return secret.encode("latin-1")
    except UnicodeEncodeError:
        return secret.encode("utf-8")


def sign(secret, pickled):
    """`signed_serialize`'s recipe for given pickle bytes (any protocol)."""
    sig = hmac.new(secret_bytes(secret), pickled, hashlib.sha1).hexdigest()
    return sig + base64.b64encode(pickled).decode("ascii")


class Keys:
    """A secret as Pyramid takes it, and the same as CLI arguments."""

    def __init__(self, label, secret, timeout=1200):
        self.label = label
        self.secret = secret  # str or bytes
        self.timeout = timeout

    def cli_args(self, secrets=None):
        args = ["--format", "pyramid-legacy"]
        for secret in secrets or [self.secret]:
            if isinstance(secret, bytes):
                args += ["--secret-hex", secret.hex()]
            else:
                args += ["--secret", secret]
        args += ["--timeout", "none" if self.timeout is None else str(self.timeout)]
        return args


def key_configs(rng):
    return [
        Keys("brief-secret", "supersecretkey"),
        Keys("ascii", gen.text(rng, 60, [gen.ASCII]) + "k", timeout=60),
        Keys("latin1", gen.latin1_text(rng, 16, 60)),
        Keys("unicode", gen.unicode_text(rng, 16, 40), timeout=3600),
        Keys("bytes", rng.randbytes(rng.randint(16, 100)), timeout=None),
    ]


class PyramidApp:
    """A real Configurator WSGI app with Pyramid 1.x's pickle session factory: `/write` replaces
    the session's state, `/read` reports what the session holds."""

    def __init__(self, keys, secret=None):
        self.pending_state = None
        self.last_read = None
        factory = pyramid.session.UnencryptedCookieSessionFactoryConfig(
            keys.secret if secret is None else secret, timeout=keys.timeout
        )
        config = Configurator(session_factory=factory)
        config.add_route("write", "/write")
        config.add_view(self.write_view, route_name="write")
        config.add_route("read", "/read")
        config.add_view(self.read_view, route_name="read")
        self.wsgi = config.make_wsgi_app()

    def write_view(self, request):
        session = request.session
        session.clear()
        session.update(self.pending_state)
        return Response("written")

    def read_view(self, request):
        session = request.session
        # dict.copy bypasses the session's access tracking: a pure observation.
        self.last_read = {
            "new": session.new,
            "state": dict.copy(session),
            "created": session.created,
            "accessed": session.renewed,
        }
        return Response("read")

    def request(self, path, cookie):
        headers = {"Cookie": f"session={cookie}"} if cookie is not None else {}
        return Request.blank(path, headers=headers).get_response(self.wsgi)

    def write(self, state, now, cookie=None):
        CLOCK.now = now
        self.pending_state = state
        response = self.request("/write", cookie)
        for header in response.headers.getall("Set-Cookie"):
            name, _, rest = header.partition("=")
            if name == "session":
                return rest.split(";", 1)[0]
        raise AssertionError(f"no session Set-Cookie in {response.headers!r}")

    def read(self, cookie, now):
        CLOCK.now = now
        self.last_read = None
        self.request("/read", cookie)
        return self.last_read


class Cli:
    def __init__(self, path):
        self.path = path

    def run(self, args):
        return subprocess.run(
            [self.path, *args], capture_output=True, text=True, encoding="utf-8"
        )

    def decode(self, keys, cookie, now, secrets=None):
        """(exit code, parsed JSON or None, stderr)."""
        proc = self.run(["decode", *keys.cli_args(secrets), "--now", repr(now), "--", cookie])
        try:
            out = json.loads(proc.stdout)
        except ValueError:
            out = None
        return proc.returncode, out, proc.stderr.strip()

    def encode(self, keys, state, created, now):
        """(exit code, cookie value, stderr)."""
        args = ["encode", *keys.cli_args(), "--state", json.dumps(state),
                "--created", repr(created), "--now", repr(now)]
        proc = self.run(args)
        return proc.returncode, proc.stdout.strip(), proc.stderr.strip()


def tamper(cookie):
    """Changes one base64 character in the middle of the pickle."""
    i = 40 + (len(cookie) - 40) // 2
    return cookie[:i] + ("A" if cookie[i] != "A" else "B") + cookie[i + 1:]


def within_timeout(rng, keys):
    if keys.timeout is None:
        return rng.uniform(0, 10**8)
    return rng.uniform(0, keys.timeout)


def check_decoded(results, case, got, state, created, accessed, key_index=0):
    code, out, err = got
    if not results.check(code == 0 and out is not None and out.get("valid") is True, case,
                         "CLI decodes Pyramid's cookie", f"exit {code}: {out or err}"):
        return False
    results.check(same(out["state"], state), case, "same state",
                  f"pyramid {state!r} / cli {out['state']!r}")
    results.check(out["created"] == float(created), case, "same created",
                  f"{created!r} / {out['created']!r}")
    results.check(out["accessed"] == float(accessed), case, "same accessed",
                  f"{accessed!r} / {out['accessed']!r}")
    results.check(out["key_index"] == key_index, case, f"key_index {key_index}",
                  repr(out["key_index"]))
    return True


def pyramid_to_cli(results, cli, rng, keys, app, case):
    """A session written by the real app, decoded by the CLI. Returns (cookie, accessed)."""
    state = with_tuples(rng, gen.state(rng, 900))
    t1 = BASE_TIME + rng.uniform(0, 10**7)
    if rng.random() < 0.5:
        accessed_at = t1
        cookie = app.write(state, t1)
    else:
        first = app.write({"first": "request"}, t1)
        accessed_at = t1 + rng.uniform(0, 0.5 * (keys.timeout or 600))
        cookie = app.write(state, accessed_at, first)
    accessed = int(accessed_at)
    now = accessed + within_timeout(rng, keys)
    check_decoded(results, case + " [session]", cli.decode(keys, cookie, now), state, t1,
                  accessed)
    return cookie, accessed


def protocols_to_cli(results, cli, rng, keys, case):
    """`signed_serialize`'s recipe with every pickle protocol, decoded by the CLI."""
    state = with_tuples(rng, gen.state(rng, 700))
    created = BASE_TIME + rng.uniform(0, 10**7)
    accessed = int(created) + rng.randint(0, 1000)
    if rng.random() < 0.3:
        accessed += rng.random()  # re-sent after a bare changed(): the float it read
    data = (accessed, created, state)
    # The recipe is signed_serialize's own for the highest protocol.
    results.check(
        sign(keys.secret, pickle.dumps(data, pickle.HIGHEST_PROTOCOL))
        == pyramid.session.signed_serialize(data, keys.secret),
        case, "the signing recipe is signed_serialize's")
    for protocol in range(0, pickle.HIGHEST_PROTOCOL + 1):
        cookie = sign(keys.secret, pickle.dumps(data, protocol))
        now = accessed + within_timeout(rng, keys)
        check_decoded(results, f"{case} [protocol {protocol}]", cli.decode(keys, cookie, now),
                      state, created, accessed)


def cli_to_pyramid(results, cli, rng, keys, app, case):
    """A session encoded by the CLI, loaded by Pyramid. Returns (cookie, accessed, state) or
    None."""
    state = gen.state(rng, 900)
    created = BASE_TIME + rng.uniform(0, 10**7)
    now = created + rng.uniform(0, 1000)
    code, cookie, err = cli.encode(keys, state, created, now)
    if not results.check(code == 0 and cookie, case, "CLI encodes", f"exit {code}: {err}"):
        return None
    accessed = int(now)
    loaded = pyramid.session.signed_deserialize(cookie, keys.secret)
    results.check(same(loaded, (accessed, created, state)) and isinstance(loaded, tuple),
                  case, "signed_deserialize loads the same tuple",
                  f"{loaded!r} / {(accessed, created, state)!r}")
    seen = app.read(cookie, accessed + within_timeout(rng, keys))
    if not results.check(seen is not None and not seen["new"], case,
                         "Pyramid loads the CLI's cookie", repr(seen)):
        return None
    results.check(same(seen["state"], state), case, "Pyramid sees the same state",
                  f"cli {state!r} / pyramid {seen['state']!r}")
    results.check(seen["created"] == created, case, "Pyramid sees the same created",
                  f"{created!r} / {seen['created']!r}")
    results.check(seen["accessed"] == accessed, case, "Pyramid sees the same accessed",
                  f"{accessed!r} / {seen['accessed']!r}")
    return cookie, accessed, state


def negative_checks(results, cli, keys, app, from_pyramid, from_cli, case):
    pyramid_cookie, pyramid_accessed = from_pyramid
    cli_cookie, cli_accessed, cli_state = from_cli
    code, out, err = cli.decode(keys, tamper(pyramid_cookie), pyramid_accessed)
    results.check(code == 1 and out and out.get("reason") in ("bad_signature", "malformed"),
                  case, "CLI rejects a tampered Pyramid cookie", f"exit {code}: {out or err}")
    seen = app.read(tamper(cli_cookie), cli_accessed)
    results.check(seen is not None and seen["new"] and seen["state"] == {}, case,
                  "Pyramid rejects a tampered CLI cookie", repr(seen))

    other = "another secret, long enough"
    code, out, err = cli.decode(keys, pyramid_cookie, pyramid_accessed, secrets=[other])
    results.check(code == 1 and out and out.get("reason") == "bad_signature", case,
                  "CLI rejects Pyramid's cookie under another secret", f"exit {code}: {out or err}")
    seen = PyramidApp(keys, secret=other).read(cli_cookie, cli_accessed)
    results.check(seen is not None and seen["new"] and seen["state"] == {}, case,
                  "Pyramid rejects the CLI's cookie under another secret", repr(seen))

    # Rotation: the app's secret as the CLI's fallback.
    code, out, err = cli.decode(keys, pyramid_cookie, pyramid_accessed,
                                secrets=[other, keys.secret])
    results.check(code == 0 and out and out.get("key_index") == 1, case,
                  "CLI verifies Pyramid's cookie under its fallback key", f"{out or err}")

    if keys.timeout is None:
        later = 10**9
        code, out, err = cli.decode(keys, pyramid_cookie, pyramid_accessed + later)
        results.check(code == 0, case, "CLI, no timeout: valid long after", f"{out or err}")
        seen = app.read(cli_cookie, cli_accessed + later)
        results.check(seen is not None and not seen["new"] and same(seen["state"], cli_state),
                      case, "Pyramid, no timeout: the CLI's cookie is valid long after",
                      repr(seen))
        return
    # Pyramid's rule on both sides: expired when `now - accessed > timeout`.
    for delta, expired in [(keys.timeout, False), (keys.timeout + 0.5, True)]:
        code, out, err = cli.decode(keys, pyramid_cookie, pyramid_accessed + delta)
        results.check((out or {}).get("reason") == "expired" if expired else code == 0, case,
                      f"CLI at accessed+{delta}: {'expired' if expired else 'valid'}",
                      f"{out or err}")
        seen = app.read(cli_cookie, cli_accessed + delta)
        kept = seen is not None and same(seen["state"], {} if expired else cli_state)
        results.check(kept and not seen["new"], case, f"Pyramid at accessed+{delta}: {'expired' if expired else 'valid'}",
                      repr(seen))


class Shell:
    """Never called: unpickling it would run `os.system`. The CLI must not."""

    def __reduce__(self):
        import os
        return (os.system, ("echo PWNED >&2",))


def unsupported_checks(results, cli, keys, case):
    """Validly signed pickles Pyramid loads but the contract refuses."""
    now = BASE_TIME
    for label, value in [
        ("datetime", datetime.datetime(2019, 6, 30, 12, 0)),
        ("set", {1, 2, 3}),
        ("bytes", b"\x00\x01"),
        ("callable", Shell()),
        ("bigint", 2**70),
    ]:
        for protocol in (0, 2, pickle.HIGHEST_PROTOCOL):
            cookie = sign(keys.secret, pickle.dumps((now, float(now), {"v": value}), protocol))
            code, out, err = cli.decode(keys, cookie, now)
            results.check(code == 1 and out == {"valid": False, "reason": "unsupported"}
                          and "PWNED" not in err, f"{case} [{label} p{protocol}]",
                          "CLI says unsupported", f"exit {code}: {out or err}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("cli")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sessions", type=int, default=6)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    cli = Cli(args.cli)
    results = Results()
    for keys in key_configs(rng):
        app = PyramidApp(keys)
        for n in range(args.sessions):
            case = f"{keys.label} #{n}"
            from_pyramid = pyramid_to_cli(results, cli, rng, keys, app, case)
            protocols_to_cli(results, cli, rng, keys, case)
            from_cli = cli_to_pyramid(results, cli, rng, keys, app, case)
            if from_cli is not None and n == 0:
                negative_checks(results, cli, keys, app, from_pyramid, from_cli, case)
        unsupported_checks(results, cli, keys, keys.label)
    for failure in results.failures[:40]:
        print("FAIL", failure)
    print(f"pyramid-legacy interop (seed {args.seed}): {results.passed} checks passed, "
          f"{len(results.failures)} failed")
    return 1 if results.failures else 0


if __name__ == "__main__":
    sys.exit(main())
