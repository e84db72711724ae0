"""Live interop between real Flask 3.1 (itsdangerous 2.2) and the `cookie-session` CLI.

Usage: python flask_interop.py PATH/TO/cookie-session [--seed N] [--sessions N]

Both directions, on sessions generated from a seeded RNG (every type Flask's tagged JSON knows:
tuples, bytes, UUIDs, datetimes, Markup, dicts whose key is a tag name, plus the JSON types),
for the default settings, a key rotation (SECRET_KEY_FALLBACKS), an empty salt, SHA-256 and a
short secret:

1. Flask makes the cookie through a real app and its test client (a view that sets the
   session); the CLI decodes it and must report Flask's tagged state, and the signing time as
   both `created` and `accessed`.
2. The CLI encodes the tagged state; the real app loads the cookie into a session equal to the
   original Python objects. When Flask would not compress, the cookie is byte-identical to what
   Flask's own signing serializer writes (inside an app context) at the same second.

Plus negative checks on both sides: a tampered cookie, a wrong key, a wrong salt, expiry one
second after max_age, a timestamp one second in the future.

itsdangerous reads the time from `time.time()` in `itsdangerous.timed`; a frozen clock replaces
it so every case is reproducible to the second.
"""

import datetime
import hashlib
import json
import sys
import uuid
import zlib

import itsdangerous.timed
from flask import Flask, session
from flask.sessions import SecureCookieSessionInterface
from markupsafe import Markup

import session_gen as gen
import common
from common import FrozenClock, framework_version, session_cookie, start

BASE_TIME = 1_769_904_000
MAX_AGE = 2_678_400

# itsdangerous reads the time from `time.time()` in `itsdangerous.timed`.
CLOCK = FrozenClock(BASE_TIME)
itsdangerous.timed.time = CLOCK

# Notes counted over the run (printed before the closing line).
CLI_COOKIES = "CLI cookies encoded"
COMPRESSION_DIFFERS = "CLI cookies compressed otherwise than Flask would (near break-even)"


def canon(obj):
    """A comparable form that keeps what `==` hides (int vs float, the sign of zero, bool vs
    int, tuple vs list) and ignores dict order (Flask sorts the keys it writes)."""
    if isinstance(obj, Markup):
        return ("markup", str(obj))
    if isinstance(obj, bytes):
        return ("bytes", obj)
    if isinstance(obj, tuple):
        return ("tuple", [canon(x) for x in obj])
    if isinstance(obj, list):
        return ("list", [canon(x) for x in obj])
    if isinstance(obj, dict):
        return ("dict", sorted((k, canon(v)) for k, v in obj.items()))
    if isinstance(obj, uuid.UUID):
        return ("uuid", obj.hex)
    if isinstance(obj, datetime.datetime):
        return ("datetime", obj.timestamp())
    # The JSON scalars.
    return common.canon(obj)


def same(a, b):
    return canon(a) == canon(b)


# ----- random sessions -------------------------------------------------------------------------

TAG_KEYS = [" t", " b", " m", " u", " d", " di"]


def flask_value(rng, depth=0):
    """A value Flask's tagged JSON serializer round-trips exactly."""
    kinds = ["json", "json", "tuple", "bytes", "uuid", "datetime", "markup"]
    if depth < 3:
        kinds += ["list", "dict", "tag-key-dict"]
    kind = rng.choice(kinds)
    if kind == "json":
        return gen.value(rng, depth + 2)
    if kind == "tuple":
        return tuple(flask_value(rng, depth + 1) for _ in range(rng.randint(0, 3)))
    if kind == "bytes":
        return rng.randbytes(rng.randint(0, 24))
    if kind == "uuid":
        return uuid.UUID(int=rng.getrandbits(128))
    if kind == "datetime":
        # http_date keeps whole seconds; Flask reads it back as an aware UTC datetime.
        secs = rng.randint(0, 4_102_444_800)
        return datetime.datetime.fromtimestamp(secs, datetime.timezone.utc)
    if kind == "markup":
        return Markup(gen.text(rng, 12))
    if kind == "list":
        return [flask_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    if kind == "tag-key-dict":
        # A one-key dict whose key is a tag name: Flask wraps it as {" di": {key + "__": ...}}.
        return {rng.choice(TAG_KEYS): flask_value(rng, depth + 1)}
    return {gen.text(rng, 8): flask_value(rng, depth + 1) for _ in range(rng.randint(0, 4))}


def flask_state(rng):
    # Never empty: Flask deletes the cookie of an empty session instead of writing one.
    state = {"uid": gen.integer(rng)}
    for _ in range(rng.randint(0, 6)):
        state[rng.choice(["uid", "_flashes", "csrf_token", gen.text(rng, 10)])] = flask_value(rng)
    if rng.random() < 0.3:
        state["_permanent"] = True
    if rng.random() < 0.2:
        # Large and repetitive: Flask compresses it.
        state["history"] = [f"/products/{i}/reviews?page={i % 7}" for i in range(rng.randint(20, 80))]
    return state


# ----- the two sides ---------------------------------------------------------------------------


class Keys:
    """A Flask configuration (secret, fallbacks, salt, hash) and the same as CLI arguments."""

    def __init__(self, label, secret, fallbacks=(), salt=None, hashalg="sha1"):
        self.label = label
        self.secret = secret
        self.fallbacks = list(fallbacks)
        self.salt = salt  # None: Flask's "cookie-session"
        self.hashalg = hashalg

    def cli_args(self, secrets=None):
        args = ["--format", "flask"]
        for secret in secrets if secrets is not None else [self.secret, *self.fallbacks]:
            args += ["--secret", secret]
        if self.salt is not None:
            args += ["--salt", self.salt]
        if self.hashalg != "sha1":
            args += ["--hash", self.hashalg]
        return args


class FlaskApp:
    """A real Flask app: `/write` replaces the session's state, `/read` reports it."""

    def __init__(self, keys, secret=None, fallbacks=None):
        app = Flask(__name__)
        app.config["SECRET_KEY"] = keys.secret if secret is None else secret
        app.config["SECRET_KEY_FALLBACKS"] = keys.fallbacks if fallbacks is None else fallbacks
        interface = SecureCookieSessionInterface()
        if keys.salt is not None:
            interface.salt = keys.salt
        if keys.hashalg != "sha1":
            interface.digest_method = staticmethod(getattr(hashlib, keys.hashalg))
        app.session_interface = interface
        self.app = app
        self.pending_state = None
        self.last_read = None

        @app.route("/write")
        def write():
            session.clear()
            session.update(self.pending_state)
            return "written"

        @app.route("/read")
        def read():
            self.last_read = {"state": dict(session), "new": session.new}
            return "read"

    def _client(self, cookie):
        client = self.app.test_client()
        if cookie is not None:
            client.set_cookie("session", cookie)
        return client

    def write(self, state, now):
        """The Set-Cookie value Flask sends after setting `state` at time `now`."""
        CLOCK.now = float(now)
        self.pending_state = state
        response = self._client(None).get("/write")
        return session_cookie(response.headers.getlist("Set-Cookie"))

    def read(self, cookie, now):
        CLOCK.now = float(now)
        self.last_read = None
        self._client(cookie).get("/read")
        return self.last_read

    def serializer_dumps(self, state, now):
        """What Flask's signing serializer writes, inside an app context (sorted keys)."""
        CLOCK.now = float(now)
        with self.app.app_context():
            return self.app.session_interface.get_signing_serializer(self.app).dumps(state)

    def tagged(self, state):
        """The tagged JSON Flask stores for `state`, as plain JSON data."""
        with self.app.app_context():
            serializer = self.app.session_interface.serializer
            return json.loads(serializer.dumps(state))


def decode(cli, keys, cookie, now, secrets=None):
    return cli.decode(keys.cli_args(secrets), cookie, now)


def encode(cli, keys, tagged_state, now):
    """The signing time is both `created` and `accessed`."""
    return cli.encode(keys.cli_args(), tagged_state, now, created=now)


# ----- checks ----------------------------------------------------------------------------------


def tamper(cookie):
    """One character of the payload changed (the signature no longer matches)."""
    at = 1 if cookie.startswith(".") else 0
    replacement = "A" if cookie[at] != "A" else "B"
    return cookie[:at] + replacement + cookie[at + 1:]


def flask_to_cli(results, cli, rng, keys, app, case):
    state = flask_state(rng)
    signed_at = BASE_TIME + rng.randint(0, 10**6)
    cookie = app.write(state, signed_at)
    now = signed_at + rng.randint(0, MAX_AGE)
    got = decode(cli, keys, cookie, now)
    if not results.decoded(case, "CLI accepts Flask's cookie", got):
        return None
    out = got[1]
    results.check(same(out["state"], app.tagged(state)), case, "same tagged state",
                  f"{out['state']!r} vs {app.tagged(state)!r}")
    results.check(out["created"] == signed_at and out["accessed"] == signed_at, case,
                  "signing time as created and accessed", f"{out['created']}, {out['accessed']}")
    results.check(out["key_index"] == 0, case, "key_index 0", repr(out["key_index"]))
    return cookie, signed_at, state


def cli_to_flask(results, cli, rng, keys, app, case):
    state = flask_state(rng)
    tagged = app.tagged(state)
    signed_at = BASE_TIME + rng.randint(0, 10**6)
    code, cookie, err = encode(cli, keys, tagged, signed_at)
    if not results.check(code == 0 and cookie, case, "CLI encodes", f"exit {code}: {err}"):
        return None
    expected = app.serializer_dumps(state, signed_at)
    results.note(CLI_COOKIES)
    results.note(COMPRESSION_DIFFERS, 0)
    if expected.startswith(".") == cookie.startswith("."):
        if not cookie.startswith("."):
            results.check(cookie == expected, case, "byte-identical to Flask's serializer",
                          f"{cookie} vs {expected}")
    else:
        # Another deflate may decide differently within a few bytes of zlib's break-even.
        results.note(COMPRESSION_DIFFERS)
        # Python's rule is `len(zlib.compress(json)) < len(json) - 1`: within a few bytes of it
        # both forms are acceptable (DESIGN.md), anything further off is a wrong decision.
        with app.app.app_context():
            data = app.app.session_interface.serializer.dumps(state).encode()
        margin = len(zlib.compress(data)) - (len(data) - 1)
        results.check(abs(margin) <= 8, case,
                      "compression decided differently only near break-even",
                      f"ours {'compressed' if cookie.startswith('.') else 'plain'}, "
                      f"zlib {len(zlib.compress(data))} vs json {len(data)}: {data[:200]!r}")
    seen = app.read(cookie, signed_at + rng.randint(0, MAX_AGE))
    if results.check(seen is not None and not seen["new"], case, "Flask loads the CLI's cookie"):
        results.check(same(seen["state"], state), case, "Flask sees the same state",
                      f"{seen['state']!r} vs {state!r}")
    return cookie, signed_at, state


def negative_checks(results, cli, keys, app, from_flask, from_cli, case):
    flask_cookie, flask_signed, flask_state_ = from_flask
    cli_cookie, cli_signed, cli_state = from_cli
    # Tampered.
    code, out, _ = decode(cli, keys, tamper(flask_cookie), flask_signed)
    results.check(code == 1 and out and out.get("reason") in ("bad_signature", "malformed",
                                                              "bad_payload"),
                  case, "CLI refuses a tampered Flask cookie", repr(out))
    seen = app.read(tamper(cli_cookie), cli_signed)
    results.check(seen is not None and seen["state"] == {}, case,
                  "Flask refuses a tampered CLI cookie", repr(seen))
    # Another key.
    other = "another secret key, not the app's"
    code, out, _ = decode(cli, keys, flask_cookie, flask_signed, secrets=[other])
    results.check(code == 1 and out and out.get("reason") == "bad_signature", case,
                  "CLI refuses Flask's cookie under another key", repr(out))
    seen = FlaskApp(keys, secret=other, fallbacks=[]).read(cli_cookie, cli_signed)
    results.check(seen is not None and seen["state"] == {}, case,
                  "Flask refuses the CLI's cookie under another key", repr(seen))
    # Another salt.
    salted = Keys(keys.label, keys.secret, keys.fallbacks, "x" + (keys.salt or ""), keys.hashalg)
    code, out, _ = decode(cli, salted, flask_cookie, flask_signed)
    results.check(code == 1 and out and out.get("reason") == "bad_signature", case,
                  "CLI refuses Flask's cookie under another salt", repr(out))
    # Expiry: valid exactly max_age after signing, expired one second later, on both sides.
    code, out, _ = decode(cli, keys, flask_cookie, flask_signed + MAX_AGE)
    results.check(code == 0, case, "CLI: valid at exactly max_age", repr(out))
    code, out, _ = decode(cli, keys, flask_cookie, flask_signed + MAX_AGE + 1)
    results.check(code == 1 and out and out.get("reason") == "expired", case,
                  "CLI: expired one second after max_age", repr(out))
    seen = app.read(cli_cookie, cli_signed + MAX_AGE)
    results.check(seen is not None and same(seen["state"], cli_state), case,
                  "Flask: CLI cookie valid at exactly max_age", repr(seen))
    seen = app.read(cli_cookie, cli_signed + MAX_AGE + 1)
    results.check(seen is not None and seen["state"] == {}, case,
                  "Flask: CLI cookie expired one second after max_age", repr(seen))
    # Signed one second in the future: refused by both.
    code, out, _ = decode(cli, keys, flask_cookie, flask_signed - 1)
    results.check(code == 1 and out and out.get("valid") is False, case,
                  "CLI refuses a cookie signed one second in the future", repr(out))
    seen = app.read(cli_cookie, cli_signed - 1)
    results.check(seen is not None and seen["state"] == {}, case,
                  "Flask refuses a CLI cookie signed one second in the future", repr(seen))


def rotation_check(results, cli, rng, case):
    """SECRET_KEY_FALLBACKS both ways: old cookies verify, new ones are signed with the new key."""
    old = "the old SECRET_KEY " + gen.text(rng, 8, [gen.ASCII])
    new = "the new SECRET_KEY " + gen.text(rng, 8, [gen.ASCII])
    before = FlaskApp(Keys("old", old))
    after = Keys("rotated", new, [old])
    after_app = FlaskApp(after)
    state = flask_state(rng)
    signed_at = BASE_TIME + rng.randint(0, 1000)
    old_cookie = before.write(state, signed_at)
    code, out, err = decode(cli, after, old_cookie, signed_at)
    results.check(code == 0 and out and out.get("key_index") == 1, case,
                  "CLI verifies a fallback-key cookie and reports the key", f"{out} {err}")
    seen = after_app.read(old_cookie, signed_at)
    results.check(seen is not None and same(seen["state"], state), case,
                  "Flask verifies its fallback-key cookie")
    code, cookie, err = encode(cli, after, after_app.tagged(state), signed_at)
    new_only = FlaskApp(Keys("new", new))
    seen = new_only.read(cookie, signed_at)
    results.check(code == 0 and seen is not None and same(seen["state"], state), case,
                  "the CLI signs with SECRET_KEY", f"{err} {seen}")


def key_configs(rng):
    return [
        Keys("default", "flask-interop " + gen.text(rng, 30, [gen.ASCII])),
        Keys("unicode-secret", "clé " + gen.unicode_text(rng, 10, 30)),
        Keys("fallbacks", "current " + gen.text(rng, 20, [gen.ASCII]),
             ["older " + gen.text(rng, 20, [gen.ASCII]), "oldest " + gen.unicode_text(rng, 5, 20)]),
        Keys("empty-salt", "empty salt app " + gen.text(rng, 20, [gen.ASCII]), salt=""),
        Keys("custom-salt", "custom salt app " + gen.text(rng, 20, [gen.ASCII]),
             salt=gen.unicode_text(rng, 1, 12)),
        Keys("sha256", "sha256 app " + gen.text(rng, 20, [gen.ASCII]), hashalg="sha256"),
        Keys("short-secret", "dev"),
    ]


def main():
    versions = f"flask {framework_version('flask')}, itsdangerous " \
        f"{framework_version('itsdangerous')}"
    args, rng, cli, results = start(__doc__, versions, default_seed=1, default_sessions=8)
    for keys in key_configs(rng):
        app = FlaskApp(keys)
        for i in range(args.sessions):
            case = f"{keys.label}#{i}"
            from_flask = results.guarded(case, flask_to_cli, results, cli, rng, keys, app, case)
            from_cli = results.guarded(case, cli_to_flask, results, cli, rng, keys, app, case)
            if i == 0 and from_flask and from_cli:
                results.guarded(case, negative_checks, results, cli, keys, app, from_flask,
                                from_cli, case)
    for i in range(3):
        results.guarded(f"rotation#{i}", rotation_check, results, cli, rng, f"rotation#{i}")
    return results.summary()


if __name__ == "__main__":
    sys.exit(main())
