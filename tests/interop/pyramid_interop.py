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

import sys

import pyramid.session
from webob.cookies import JSONSerializer, SignedSerializer

import session_gen as gen
from common import framework_version, same, secret_env, secret_options, start
from pyramid_shared import (BASE_TIME, PyramidApp, check_decoded, check_loaded,
                            tampered_middle, within_timeout)

HASHES = ["md5", "sha1", "sha224", "sha256", "sha384", "sha512"]
DEFAULT_SALT = "pyramid.session."


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
        args += secret_options(self.secret, self.via_env)
        if isinstance(salt, bytes):
            args += ["--salt-hex", salt.hex()]
        elif salt is not None:
            args += ["--salt", salt]
        args += ["--timeout", "none" if self.timeout is None else str(self.timeout)]
        return args

    def env(self):
        return secret_env(self.secret, self.via_env)

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


def pyramid_app(keys, hashalg, salt=None):
    """A real app with a signed cookie session factory for these keys."""
    return PyramidApp(pyramid.session.SignedCookieSessionFactory(
        keys.secret,
        hashalg=hashalg,
        salt=keys.pyramid_salt() if salt is None else salt,
        timeout=keys.timeout,
    ))


def decode(cli, keys, hashalg, cookie, now, salt=None):
    return cli.decode(keys.cli_args(hashalg, salt), cookie, now, keys.env())


def other_salt(keys):
    salt = keys.pyramid_salt()
    return salt + (b"x" if isinstance(salt, bytes) else "x")


def pyramid_to_cli(results, cli, rng, keys, hashalg, app, case):
    """A session written by Pyramid, decoded by the CLI. Returns (cookie, accessed, state)."""
    state = gen.state(rng)
    cookie, created, accessed = app.write_session(rng, state, keys.timeout)
    now = accessed + within_timeout(rng, keys.timeout)
    got = decode(cli, keys, hashalg, cookie, now)
    check_decoded(results, case + " [session]", got, state, created, accessed)
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
    now = accessed + within_timeout(rng, keys.timeout)
    got = decode(cli, keys, hashalg, cookie, now)
    case += " [SignedSerializer]"
    if not results.decoded(case, "CLI decodes", got):
        return
    out = got[1]
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
    code, cookie, err = cli.encode(keys.cli_args(hashalg), state, now, created, keys.env())
    if not results.check(code == 0 and cookie, case, "CLI encodes", f"exit {code}: {err}"):
        return None
    accessed = int(now)
    expected = keys.signed_serializer(hashalg).dumps([accessed, created, state]).decode("ascii")
    results.check(cookie == expected, case, "byte-identical to SignedSerializer.dumps",
                  f"cli {cookie} / webob {expected}")
    seen = app.read(cookie, accessed + within_timeout(rng, keys.timeout))
    if not check_loaded(results, case, seen, state, created, accessed):
        return None
    return cookie, accessed, state


def negative_checks(results, cli, keys, hashalg, app, from_pyramid, from_cli, case):
    """Tampering, a wrong salt and expiry, each checked on both sides."""
    pyramid_cookie, pyramid_accessed, pyramid_state = from_pyramid
    cli_cookie, cli_accessed, cli_state = from_cli

    code, out, err = decode(cli, keys, hashalg, tampered_middle(pyramid_cookie), pyramid_accessed)
    results.check(code == 1 and out and out.get("reason") in ("bad_signature", "malformed"),
                  case, "CLI rejects a tampered Pyramid cookie", f"exit {code}: {out or err}")
    seen = app.read(tampered_middle(cli_cookie), cli_accessed)
    results.check(seen is not None and seen["new"] and seen["state"] == {}, case,
                  "Pyramid rejects a tampered CLI cookie", repr(seen))

    wrong = other_salt(keys)
    code, out, err = decode(cli, keys, hashalg, pyramid_cookie, pyramid_accessed, salt=wrong)
    results.check(code == 1 and out and out.get("reason") == "bad_signature", case,
                  "CLI rejects Pyramid's cookie under another salt", f"exit {code}: {out or err}")
    seen = pyramid_app(keys, hashalg, salt=wrong).read(cli_cookie, cli_accessed)
    results.check(seen is not None and seen["new"] and seen["state"] == {}, case,
                  "Pyramid rejects the CLI's cookie under another salt", repr(seen))

    # Pyramid's rule on both sides: expired when `now - accessed > timeout`.
    if keys.timeout is None:
        later = 10**9
        code, out, err = decode(cli, keys, hashalg, pyramid_cookie, pyramid_accessed + later)
        results.check(code == 0 and same(out["state"], pyramid_state), case,
                      "CLI, no timeout: valid long after", f"exit {code}: {out or err}")
        seen = app.read(cli_cookie, cli_accessed + later)
        results.check(seen is not None and same(seen["state"], cli_state), case,
                      "Pyramid, no timeout: the CLI's cookie is valid long after", repr(seen))
        return
    edge = pyramid_accessed + keys.timeout
    code, out, err = decode(cli, keys, hashalg, pyramid_cookie, edge)
    results.check(code == 0, case, "CLI: valid at exactly the timeout", f"exit {code}: {out}")
    code, out, err = decode(cli, keys, hashalg, pyramid_cookie, edge + 0.5)
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
    options = newer.cli_args(hashalg) + secret_options(keys.secret)
    code, out, err = cli.decode(options, pyramid_cookie, float(accessed), keys.env())
    results.check(code == 0 and out and out.get("key_index") == 1
                  and same(out["state"], state), case,
                  "Pyramid's secret as a verify-only key gives key_index 1",
                  f"exit {code}: {out or err}")


def main():
    args, rng, cli, results = start(__doc__, f"pyramid {framework_version('pyramid')}",
                                    default_seed=2024, default_sessions=6)

    for keys in key_configs(rng):
        for hashalg in HASHES:
            app = pyramid_app(keys, hashalg)
            base_case = f"{keys.label}/{hashalg}"
            from_pyramid = from_cli = None
            for i in range(args.sessions):
                case = f"{base_case}#{i}"
                from_pyramid = results.guarded(case, pyramid_to_cli,
                                               results, cli, rng, keys, hashalg, app, case)
                results.guarded(case, serializer_to_cli, results, cli, rng, keys, hashalg, case)
                from_cli = results.guarded(case, cli_to_pyramid,
                                           results, cli, rng, keys, hashalg, app, case) or from_cli
            if from_pyramid is None or from_cli is None:
                results.check(False, base_case, "no cookie for the negative checks")
                continue
            results.guarded(base_case, negative_checks,
                            results, cli, keys, hashalg, app, from_pyramid, from_cli, base_case)
            results.guarded(base_case, key_ring_check,
                            results, cli, keys, hashalg, from_pyramid, base_case)

    return results.summary()


if __name__ == "__main__":
    sys.exit(main())
