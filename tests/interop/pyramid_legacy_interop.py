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

import base64
import datetime
import hashlib
import hmac
import pickle
import sys
import warnings

warnings.simplefilter("ignore", DeprecationWarning)

import pyramid.session  # noqa: E402

import session_gen as gen  # noqa: E402
from common import framework_version, same, secret_options, start  # noqa: E402
from pyramid_shared import (BASE_TIME, PyramidApp, check_decoded, check_loaded,  # noqa: E402
                            tampered_middle, within_timeout)


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
            args += secret_options(secret)
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


def pyramid_app(keys, secret=None):
    """A real app with Pyramid 1.x's pickle session factory for these keys."""
    return PyramidApp(pyramid.session.UnencryptedCookieSessionFactoryConfig(
        keys.secret if secret is None else secret, timeout=keys.timeout
    ))


def decode(cli, keys, cookie, now, secrets=None):
    return cli.decode(keys.cli_args(secrets), cookie, now)


def tamper(cookie):
    """Changes one base64 character in the middle of the pickle (after the 40-digit MAC)."""
    return tampered_middle(cookie, 40)


def pyramid_to_cli(results, cli, rng, keys, app, case):
    """A session written by the real app, decoded by the CLI. Returns (cookie, accessed)."""
    state = with_tuples(rng, gen.state(rng, 900))
    cookie, created, accessed = app.write_session(rng, state, keys.timeout)
    now = accessed + within_timeout(rng, keys.timeout)
    check_decoded(results, case + " [session]", decode(cli, keys, cookie, now), state, created,
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
        now = accessed + within_timeout(rng, keys.timeout)
        check_decoded(results, f"{case} [protocol {protocol}]", decode(cli, keys, cookie, now),
                      state, created, accessed)


def cli_to_pyramid(results, cli, rng, keys, app, case):
    """A session encoded by the CLI, loaded by Pyramid. Returns (cookie, accessed, state) or
    None."""
    state = gen.state(rng, 900)
    created = BASE_TIME + rng.uniform(0, 10**7)
    now = created + rng.uniform(0, 1000)
    code, cookie, err = cli.encode(keys.cli_args(), state, now, created)
    if not results.check(code == 0 and cookie, case, "CLI encodes", f"exit {code}: {err}"):
        return None
    accessed = int(now)
    loaded = pyramid.session.signed_deserialize(cookie, keys.secret)
    results.check(same(loaded, (accessed, created, state), tuples_as_lists=True)
                  and isinstance(loaded, tuple),
                  case, "signed_deserialize loads the same tuple",
                  f"{loaded!r} / {(accessed, created, state)!r}")
    seen = app.read(cookie, accessed + within_timeout(rng, keys.timeout))
    if not check_loaded(results, case, seen, state, created, accessed):
        return None
    return cookie, accessed, state


def negative_checks(results, cli, keys, app, from_pyramid, from_cli, case):
    pyramid_cookie, pyramid_accessed = from_pyramid
    cli_cookie, cli_accessed, cli_state = from_cli
    code, out, err = decode(cli, keys, tamper(pyramid_cookie), pyramid_accessed)
    results.check(code == 1 and out and out.get("reason") in ("bad_signature", "malformed"),
                  case, "CLI rejects a tampered Pyramid cookie", f"exit {code}: {out or err}")
    seen = app.read(tamper(cli_cookie), cli_accessed)
    results.check(seen is not None and seen["new"] and seen["state"] == {}, case,
                  "Pyramid rejects a tampered CLI cookie", repr(seen))

    other = "another secret, long enough"
    code, out, err = decode(cli, keys, pyramid_cookie, pyramid_accessed, secrets=[other])
    results.check(code == 1 and out and out.get("reason") == "bad_signature", case,
                  "CLI rejects Pyramid's cookie under another secret", f"exit {code}: {out or err}")
    seen = pyramid_app(keys, secret=other).read(cli_cookie, cli_accessed)
    results.check(seen is not None and seen["new"] and seen["state"] == {}, case,
                  "Pyramid rejects the CLI's cookie under another secret", repr(seen))

    # Rotation: the app's secret as the CLI's fallback.
    code, out, err = decode(cli, keys, pyramid_cookie, pyramid_accessed,
                            secrets=[other, keys.secret])
    results.check(code == 0 and out and out.get("key_index") == 1, case,
                  "CLI verifies Pyramid's cookie under its fallback key", f"{out or err}")

    if keys.timeout is None:
        later = 10**9
        code, out, err = decode(cli, keys, pyramid_cookie, pyramid_accessed + later)
        results.check(code == 0, case, "CLI, no timeout: valid long after", f"{out or err}")
        seen = app.read(cli_cookie, cli_accessed + later)
        results.check(seen is not None and not seen["new"] and same(seen["state"], cli_state),
                      case, "Pyramid, no timeout: the CLI's cookie is valid long after",
                      repr(seen))
        return
    # Pyramid's rule on both sides: expired when `now - accessed > timeout`.
    for delta, expired in [(keys.timeout, False), (keys.timeout + 0.5, True)]:
        verdict = "expired" if expired else "valid"
        code, out, err = decode(cli, keys, pyramid_cookie, pyramid_accessed + delta)
        results.check((out or {}).get("reason") == "expired" if expired else code == 0, case,
                      f"CLI at accessed+{delta}: {verdict}", f"{out or err}")
        seen = app.read(cli_cookie, cli_accessed + delta)
        kept = seen is not None and same(seen["state"], {} if expired else cli_state)
        results.check(kept and not seen["new"], case, f"Pyramid at accessed+{delta}: {verdict}",
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
            code, out, err = decode(cli, keys, cookie, now)
            results.check(code == 1 and out == {"valid": False, "reason": "unsupported"}
                          and "PWNED" not in err, f"{case} [{label} p{protocol}]",
                          "CLI says unsupported", f"exit {code}: {out or err}")


def main():
    args, rng, cli, results = start(
        __doc__, f"pyramid {framework_version('pyramid')} (legacy pickle sessions)",
        default_seed=1, default_sessions=6)
    for keys in key_configs(rng):
        app = pyramid_app(keys)
        for n in range(args.sessions):
            case = f"{keys.label} #{n}"
            from_pyramid = pyramid_to_cli(results, cli, rng, keys, app, case)
            protocols_to_cli(results, cli, rng, keys, case)
            from_cli = cli_to_pyramid(results, cli, rng, keys, app, case)
            if from_cli is not None and n == 0:
                negative_checks(results, cli, keys, app, from_pyramid, from_cli, case)
        unsupported_checks(results, cli, keys, keys.label)
    return results.summary()


if __name__ == "__main__":
    sys.exit(main())
