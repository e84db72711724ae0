"""Live interop between real Pyramid 2.1 / WebOb and the `cookie-session` CLI.

Usage: python pyramid_interop.py PATH/TO/cookie-session [--seed N] [--sessions N]

Both directions, on sessions generated from a seeded RNG, for every hash and for latin-1,
non-latin-1 and raw-bytes secrets and salts:

1. Pyramid makes the cookie, through a real `SignedCookieSessionFactory` session in a real
   Configurator WSGI app (and through WebOb's `SignedSerializer` directly); the CLI decodes it and
   must report the same state, `created` and `accessed`.
2. The CLI encodes; real Pyramid loads the cookie into a session with the same state and times,
   and the cookie is byte-identical to what `SignedSerializer(...).dumps([accessed, created,
   state])` gives for the same values.

Plus negative checks on both sides: a tampered cookie, a wrong salt, expiry at the timeout.
Pyramid reads the time from `time.time()` in `pyramid.session`; a frozen clock replaces it so
every case is reproducible to the second.
"""

import argparse
import json
import os
import random
import subprocess
import sys

import pyramid.session
from pyramid.config import Configurator
from pyramid.response import Response
from webob import Request
from webob.cookies import JSONSerializer, SignedSerializer

import session_gen as gen

HASHES = ["md5", "sha1", "sha224", "sha256", "sha384", "sha512"]
DEFAULT_SALT = "pyramid.session."
BASE_TIME = 1_700_000_000
ENV_SECRET_VAR = "COOKIE_SESSION_INTEROP_SECRET"


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
    """A comparable form that keeps what `==` hides: int vs float, the sign of zero, bool vs
    int, and key order."""
    if isinstance(obj, bool) or obj is None:
        return ("lit", obj)
    if isinstance(obj, int):
        return ("int", obj)
    if isinstance(obj, float):
        return ("float", obj.hex())
    if isinstance(obj, str):
        return ("str", obj)
    if isinstance(obj, list):
        return ("list", [canon(x) for x in obj])
    if isinstance(obj, dict):
        return ("dict", [(k, canon(v)) for k, v in obj.items()])
    raise TypeError(type(obj))


def same(a, b):
    return canon(a) == canon(b)


class KeyConfig:
    """A secret and salt as Pyramid takes them, and the same as CLI arguments."""

    def __init__(self, label, secret, salt, via_env=False, timeout=1200):
        self.label = label
        self.secret = secret  # str or bytes
        self.salt = salt  # str, bytes, or None for Pyramid's default
        self.via_env = via_env
        self.timeout = timeout

    def pyramid_salt(self):
        return DEFAULT_SALT if self.salt is None else self.salt

    def cli_args(self, hashalg, salt=None):
        salt = self.salt if salt is None else salt
        args = ["--format", "pyramid", "--hash", hashalg]
        if isinstance(self.secret, bytes):
            args += ["--secret-hex", self.secret.hex()]
        elif self.via_env:
            args += ["--secret-env", ENV_SECRET_VAR]
        else:
            args += ["--secret", self.secret]
        if isinstance(salt, bytes):
            args += ["--salt-hex", salt.hex()]
        elif salt is not None:
            args += ["--salt", salt]
        args += ["--timeout", "none" if self.timeout is None else str(self.timeout)]
        return args

    def env(self):
        env = dict(os.environ)
        if self.via_env:
            env[ENV_SECRET_VAR] = self.secret
        return env

    def signed_serializer(self, hashalg, salt=None):
        salt = self.pyramid_salt() if salt is None else salt
        return SignedSerializer(self.secret, salt, hashalg, serializer=JSONSerializer())


def key_configs(rng):
    """Every way a secret and a salt reach WebOb's text-to-bytes rule."""
    return [
        KeyConfig("ascii-default-salt", gen.text(rng, 60, [gen.ASCII]) + "k", None),
        KeyConfig(
            "latin1",
            gen.latin1_text(rng, 10, 60),
            gen.latin1_text(rng, 0, 12),
            timeout=60,
        ),
        KeyConfig("unicode-secret", gen.unicode_text(rng, 5, 40), "app.session."),
        KeyConfig(
            "unicode-salt-forces-utf8",
            gen.latin1_text(rng, 10, 40),
            gen.unicode_text(rng, 1, 12),
            timeout=3600,
        ),
        # Secret::from_env trims surrounding whitespace, so keep the ends non-blank.
        KeyConfig(
            "env-secret",
            "E" + gen.unicode_text(rng, 5, 30) + "E",
            gen.latin1_text(rng, 1, 8),
            via_env=True,
        ),
        KeyConfig("bytes-secret", rng.randbytes(rng.randint(16, 100)), "bytes.salt."),
        KeyConfig(
            "bytes-secret-bytes-salt",
            rng.randbytes(rng.randint(1, 64)),
            rng.randbytes(rng.randint(0, 20)),
            timeout=None,
        ),
        KeyConfig(
            "bytes-secret-unicode-salt",
            rng.randbytes(rng.randint(8, 40)),
            gen.unicode_text(rng, 1, 10),
        ),
        KeyConfig("empty-salt", gen.text(rng, 30, [gen.ASCII]) + "s", ""),
        KeyConfig("short-secret", "abc", DEFAULT_SALT, timeout=1),
    ]


class PyramidApp:
    """A real Configurator WSGI app with a signed cookie session factory, and two views:
    `/write` replaces the session's state, `/read` reports what the session holds."""

    def __init__(self, keys, hashalg, salt=None):
        self.pending_state = None
        self.last_read = None
        factory = pyramid.session.SignedCookieSessionFactory(
            keys.secret,
            hashalg=hashalg,
            salt=keys.pyramid_salt() if salt is None else salt,
            timeout=keys.timeout,
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
        """The Set-Cookie value Pyramid sends after setting `state` at time `now`."""
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

    def run(self, args, env):
        return subprocess.run(
            [self.path, *args], capture_output=True, env=env, text=True, encoding="utf-8"
        )

    def decode(self, keys, hashalg, cookie, now, salt=None, extra=()):
        """(exit code, parsed JSON or None, stderr)."""
        args = ["decode", *keys.cli_args(hashalg, salt), *extra, "--now", repr(now), "--", cookie]
        proc = self.run(args, keys.env())
        try:
            out = json.loads(proc.stdout)
        except ValueError:
            out = None
        return proc.returncode, out, proc.stderr.strip()

    def encode(self, keys, hashalg, state, created, now):
        """(exit code, cookie value, stderr)."""
        args = [
            "encode",
            *keys.cli_args(hashalg),
            "--state",
            json.dumps(state),
            "--created",
            repr(created),
            "--now",
            repr(now),
        ]
        proc = self.run(args, keys.env())
        return proc.returncode, proc.stdout.strip(), proc.stderr.strip()


def tamper(cookie):
    """Changes one character in the middle (where every base64 character carries 6 bits)."""
    i = len(cookie) // 2
    return cookie[:i] + ("A" if cookie[i] != "A" else "B") + cookie[i + 1 :]


def other_salt(keys):
    salt = keys.pyramid_salt()
    return salt + (b"x" if isinstance(salt, bytes) else "x")


def check_decoded(results, case, got, state, created, accessed):
    code, out, err = got
    if not results.check(code == 0 and out is not None and out.get("valid") is True, case,
                         "CLI decodes Pyramid's cookie", f"exit {code}: {out or err}"):
        return
    results.check(same(out["state"], state), case, "same state",
                  f"pyramid {state!r} / cli {out['state']!r}")
    results.check(out["created"] == float(created) and isinstance(out["created"], float),
                  case, "same created", f"{created!r} / {out['created']!r}")
    results.check(out["accessed"] == float(accessed), case, "same accessed",
                  f"{accessed!r} / {out['accessed']!r}")
    results.check(out["key_index"] == 0, case, "key_index 0", repr(out["key_index"]))


def within_timeout(rng, keys):
    """A delay after `accessed` at which the session is still valid."""
    if keys.timeout is None:
        return rng.uniform(0, 10**8)
    return rng.uniform(0, keys.timeout)


def pyramid_to_cli(results, cli, rng, keys, hashalg, app, case):
    """A session written by Pyramid, decoded by the CLI. Returns (cookie, accessed, state)."""
    state = gen.state(rng)
    t1 = BASE_TIME + rng.uniform(0, 10**7)
    if rng.random() < 0.5:
        # A new session: created = the float time, accessed = int(time).
        accessed_at = t1
        cookie = app.write(state, t1)
    else:
        # A second request with the cookie: `created` stays, `accessed` moves on.
        first = app.write({"first": "request"}, t1)
        accessed_at = t1 + rng.uniform(0, 0.5 * (keys.timeout or 600))
        cookie = app.write(state, accessed_at, first)
    accessed = int(accessed_at)
    now = accessed + within_timeout(rng, keys)
    got = cli.decode(keys, hashalg, cookie, now)
    check_decoded(results, case + " [session]", got, state, t1, accessed)
    return cookie, accessed, state


def serializer_to_cli(results, cli, rng, keys, hashalg, case):
    """A cookie from WebOb's SignedSerializer (with int or float times), decoded by the CLI."""
    state = gen.state(rng)
    created = BASE_TIME + rng.uniform(0, 10**7)
    if rng.random() < 0.2:
        created = int(created)
    accessed = int(created) + rng.randint(0, 1000)
    if rng.random() < 0.3:
        accessed += rng.random()  # Pyramid re-sends a float `accessed` after a bare changed()
    cookie = keys.signed_serializer(hashalg).dumps([accessed, created, state]).decode("ascii")
    now = accessed + within_timeout(rng, keys)
    code, out, err = cli.decode(keys, hashalg, cookie, now)
    case += " [SignedSerializer]"
    if not results.check(code == 0 and out is not None and out.get("valid") is True, case,
                         "CLI decodes", f"exit {code}: {out or err}"):
        return
    results.check(same(out["state"], state), case, "same state",
                  f"{state!r} / {out['state']!r}")
    results.check(out["created"] == float(created), case, "same created",
                  f"{created!r} / {out['created']!r}")
    results.check(out["accessed"] == float(accessed), case, "same accessed",
                  f"{accessed!r} / {out['accessed']!r}")


def cli_to_pyramid(results, cli, rng, keys, hashalg, app, case):
    """A session encoded by the CLI, loaded by Pyramid. Returns (cookie, accessed, state), or
    None when the CLI failed."""
    state = gen.state(rng)
    created = BASE_TIME + rng.uniform(0, 10**7)
    now = created + rng.uniform(0, 1000)
    if rng.random() < 0.3:
        now = float(int(now))
    code, cookie, err = cli.encode(keys, hashalg, state, created, now)
    if not results.check(code == 0 and cookie, case, "CLI encodes", f"exit {code}: {err}"):
        return None
    accessed = int(now)
    expected = keys.signed_serializer(hashalg).dumps([accessed, created, state]).decode("ascii")
    results.check(cookie == expected, case, "byte-identical to SignedSerializer.dumps",
                  f"cli {cookie} / webob {expected}")
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


def negative_checks(results, cli, keys, hashalg, app, from_pyramid, from_cli, case):
    """Tampering, a wrong salt and expiry, each checked on both sides."""
    pyramid_cookie, pyramid_accessed, pyramid_state = from_pyramid
    cli_cookie, cli_accessed, cli_state = from_cli

    code, out, err = cli.decode(keys, hashalg, tamper(pyramid_cookie), pyramid_accessed)
    results.check(code == 1 and out and out.get("reason") in ("bad_signature", "malformed"),
                  case, "CLI rejects a tampered Pyramid cookie", f"exit {code}: {out or err}")
    seen = app.read(tamper(cli_cookie), cli_accessed)
    results.check(seen is not None and seen["new"] and seen["state"] == {}, case,
                  "Pyramid rejects a tampered CLI cookie", repr(seen))

    wrong = other_salt(keys)
    code, out, err = cli.decode(keys, hashalg, pyramid_cookie, pyramid_accessed, salt=wrong)
    results.check(code == 1 and out and out.get("reason") == "bad_signature", case,
                  "CLI rejects Pyramid's cookie under another salt", f"exit {code}: {out or err}")
    seen = PyramidApp(keys, hashalg, salt=wrong).read(cli_cookie, cli_accessed)
    results.check(seen is not None and seen["new"] and seen["state"] == {}, case,
                  "Pyramid rejects the CLI's cookie under another salt", repr(seen))

    # Pyramid's rule on both sides: expired when `now - accessed > timeout`.
    if keys.timeout is None:
        later = 10**9
        code, out, err = cli.decode(keys, hashalg, pyramid_cookie, pyramid_accessed + later)
        results.check(code == 0 and same(out["state"], pyramid_state), case,
                      "CLI, no timeout: valid long after", f"exit {code}: {out or err}")
        seen = app.read(cli_cookie, cli_accessed + later)
        results.check(seen is not None and same(seen["state"], cli_state), case,
                      "Pyramid, no timeout: the CLI's cookie is valid long after", repr(seen))
        return
    edge = pyramid_accessed + keys.timeout
    code, out, err = cli.decode(keys, hashalg, pyramid_cookie, edge)
    results.check(code == 0, case, "CLI: valid at exactly the timeout", f"exit {code}: {out}")
    code, out, err = cli.decode(keys, hashalg, pyramid_cookie, edge + 0.5)
    results.check(code == 1 and out and out.get("reason") == "expired", case,
                  "CLI: expired just past the timeout", f"exit {code}: {out or err}")
    seen = app.read(cli_cookie, cli_accessed + keys.timeout)
    results.check(seen is not None and same(seen["state"], cli_state), case,
                  "Pyramid: the CLI's cookie is valid at exactly the timeout", repr(seen))
    seen = app.read(cli_cookie, cli_accessed + keys.timeout + 0.5)
    results.check(seen is not None and not seen["new"] and seen["state"] == {}, case,
                  "Pyramid: the CLI's cookie expired just past the timeout", repr(seen))


def key_ring_check(results, cli, keys, hashalg, from_pyramid, case):
    """Pyramid's secret as the second key of the ring: the cookie verifies with key_index 1."""
    pyramid_cookie, accessed, state = from_pyramid
    newer = KeyConfig(keys.label, "a newer primary secret, not Pyramid's", keys.salt,
                      timeout=keys.timeout)
    args = ["decode", *newer.cli_args(hashalg)]
    if isinstance(keys.secret, bytes):
        args += ["--secret-hex", keys.secret.hex()]
    else:
        args += ["--secret", keys.secret]
    args += ["--now", repr(float(accessed)), "--", pyramid_cookie]
    proc = cli.run(args, keys.env())
    try:
        out = json.loads(proc.stdout)
    except ValueError:
        out = None
    results.check(proc.returncode == 0 and out and out.get("key_index") == 1
                  and same(out["state"], state), case,
                  "Pyramid's secret as a verify-only key gives key_index 1",
                  f"exit {proc.returncode}: {out or proc.stderr.strip()}")


def guarded(results, case, check, *args):
    """Runs one group of checks; a crash (say, output of an unexpected shape) is one failure,
    not the end of the run."""
    try:
        return check(*args)
    except Exception as error:  # noqa: BLE001 -- every crash is reported as a failure
        results.check(False, case, f"{check.__name__} crashed", repr(error))
        return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cli", help="path to the cookie-session binary")
    parser.add_argument("--seed", type=int, default=int(os.environ.get("INTEROP_SEED", "2024")))
    parser.add_argument("--sessions", type=int, default=6,
                        help="generated sessions per hash, key configuration and direction")
    args = parser.parse_args()

    rng = random.Random(args.seed)
    cli = Cli(args.cli)
    results = Results()
    print(f"interop: pyramid {pyramid_version()}, seed {args.seed}, cli {args.cli}")

    for keys in key_configs(rng):
        for hashalg in HASHES:
            app = PyramidApp(keys, hashalg)
            base_case = f"{keys.label}/{hashalg}"
            from_pyramid = from_cli = None
            for i in range(args.sessions):
                case = f"{base_case}#{i}"
                from_pyramid = guarded(results, case, pyramid_to_cli,
                                       results, cli, rng, keys, hashalg, app, case)
                guarded(results, case, serializer_to_cli, results, cli, rng, keys, hashalg, case)
                from_cli = guarded(results, case, cli_to_pyramid,
                                   results, cli, rng, keys, hashalg, app, case) or from_cli
            if from_pyramid is None or from_cli is None:
                results.check(False, base_case, "no cookie for the negative checks")
                continue
            guarded(results, base_case, negative_checks,
                    results, cli, keys, hashalg, app, from_pyramid, from_cli, base_case)
            guarded(results, base_case, key_ring_check,
                    results, cli, keys, hashalg, from_pyramid, base_case)

    for failure in results.failures[:50]:
        print("FAIL", failure)
    if len(results.failures) > 50:
        print(f"... and {len(results.failures) - 50} more failures")
    print(f"interop: {results.passed} passed, {len(results.failures)} failed")
    return 1 if results.failures else 0


def pyramid_version():
    from importlib.metadata import version

    return version("pyramid")


if __name__ == "__main__":
    sys.exit(main())
