"""Live interop between real Django 5.2 (`signed_cookies` sessions) and the `cookie-session` CLI.

Usage: python django_interop.py PATH/TO/cookie-session [--seed N] [--sessions N]

Both directions, on sessions generated from a seeded RNG, for text (ASCII, Unicode, short),
bytes and environment secrets, with `SECRET_KEY_FALLBACKS`, both hashes and non-default salts:

1. Django makes the cookie: through a real `SessionMiddleware` around a view (the cookie of a
   real response, `sessionid`), through the backend's `SessionStore`, and through
   `django.core.signing.dumps` (or `TimestampSigner(algorithm=..., salt=...)` for the
   configurations the session backend cannot express); the CLI decodes it and must report the
   same state, and the signing time as both `created` and `accessed`.
2. The CLI encodes; the cookie is byte-identical to `signing.dumps(state, compress=True,
   salt=...)` at the same second whenever Django does not compress (when it compresses, the CLI
   must compress too, except within a few bytes of zlib's break-even point, where deflate
   implementations may decide differently); Django loads it (middleware, `SessionStore` and
   `signing.loads`) to the same state.

Negative checks on both sides: a tampered cookie, another salt, another secret, expiry exactly
at and just past `max_age`, a stamp from the future (accepted by both). Django reads the time
from `time.time()` in `django.core.signing` and in the session middleware; a frozen clock
replaces it so that every case is reproducible to the second.
"""

import json
import sys
import zlib

import django
from django.conf import settings

settings.configure(
    SECRET_KEY="replaced per case",
    SECRET_KEY_FALLBACKS=[],
    SESSION_ENGINE="django.contrib.sessions.backends.signed_cookies",
    INSTALLED_APPS=["django.contrib.sessions"],
    ALLOWED_HOSTS=["testserver"],
    USE_TZ=True,
)
django.setup()

import django.contrib.sessions.middleware as session_middleware  # noqa: E402
import django.core.signing as signing  # noqa: E402
from django.contrib.sessions.backends.signed_cookies import SessionStore  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.test import RequestFactory  # noqa: E402

import session_gen as gen  # noqa: E402
from common import FrozenClock, same, secret_env, secret_options, start  # noqa: E402

SESSION_SALT = "django.contrib.sessions.backends.signed_cookies"
DEFAULT_AGE = 1_209_600
BASE_TIME = 1_772_323_200


# Django reads the time from `time.time()` in `django.core.signing` and in the middleware.
CLOCK = FrozenClock(BASE_TIME)
signing.time = CLOCK
session_middleware.time = CLOCK


class KeyConfig:
    """Django's secrets, hash, salt and max_age, and the same as CLI arguments."""

    def __init__(self, label, secret, fallbacks=(), hashalg="sha256", salt=None,
                 max_age=DEFAULT_AGE, via_env=False):
        self.label = label
        self.secret = secret  # str or bytes, Django's SECRET_KEY
        self.fallbacks = list(fallbacks)  # SECRET_KEY_FALLBACKS
        self.hashalg = hashalg
        self.salt = salt  # None: the session backend's
        self.max_age = max_age
        self.via_env = via_env

    @property
    def session_backend(self):
        """Whether Django's session backend itself can write and read these cookies."""
        return self.hashalg == "sha256" and self.salt is None

    def django_salt(self):
        return SESSION_SALT if self.salt is None else self.salt

    def apply(self, secret=None, fallbacks=None):
        settings.SECRET_KEY = self.secret if secret is None else secret
        settings.SECRET_KEY_FALLBACKS = self.fallbacks if fallbacks is None else fallbacks
        settings.SESSION_COOKIE_AGE = self.max_age

    def signer(self, salt=None):
        return signing.TimestampSigner(
            salt=self.django_salt() if salt is None else salt, algorithm=self.hashalg
        )

    def cli_args(self, salt=None, secrets=None):
        """`--format django` with the ring (primary first), hash, salt and timeout."""
        args = ["--format", "django", "--hash", self.hashalg]
        ring = [self.secret, *self.fallbacks] if secrets is None else secrets
        for i, secret in enumerate(ring):
            args += secret_options(secret, self.via_env and i == 0 and secrets is None)
        salt = self.salt if salt is None else salt
        if salt is not None:
            args += ["--salt", salt]
        if self.max_age != DEFAULT_AGE or self.hashalg != "sha256":
            args += ["--timeout", str(self.max_age)]
        return args

    def env(self):
        return secret_env(self.secret, self.via_env)


def key_configs(rng):
    return [
        KeyConfig("ascii", "django-insecure-" + gen.text(rng, 40, [gen.ASCII]) + "k"),
        KeyConfig("unicode", "É" + gen.unicode_text(rng, 10, 40)),
        KeyConfig("bytes", rng.randbytes(rng.randint(16, 64))),
        # The brief's secret: 14 bytes, taken as it is by the CLI.
        KeyConfig("short", "supersecretkey", max_age=300),
        KeyConfig("env", "E" + gen.unicode_text(rng, 20, 40) + "E", via_env=True),
        KeyConfig(
            "fallbacks",
            "new-" + gen.text(rng, 40, [gen.ASCII]),
            fallbacks=["old-" + gen.text(rng, 40, [gen.ASCII]), "older-secret-" + "x" * 20],
            max_age=3600,
        ),
        KeyConfig("sha1", "django-3.0-" + gen.text(rng, 40, [gen.ASCII]), hashalg="sha1"),
        KeyConfig("salt", "salted-" + gen.text(rng, 30, [gen.ASCII]), salt="my.app.tokens"),
        # Django's `salt or default`: an empty salt is the class's default salt.
        KeyConfig("empty-salt", "empty-salt-" + gen.text(rng, 30, [gen.ASCII]), salt=""),
    ]


def compact(state):
    return json.dumps(state, separators=(",", ":"))


def repetitive_state(rng):
    """A session that Django compresses."""
    return {"history": [f"/products/{rng.randint(0, 99)}/reviews?page={i % 7}"
                        for i in range(rng.randint(10, 60))], "locale": "en-GB"}


def random_state(rng):
    return repetitive_state(rng) if rng.random() < 0.25 else gen.state(rng)


class DjangoApp:
    """`SessionMiddleware` around one view: `write` replaces the session's state, `read` only
    looks at it."""

    def __init__(self):
        self.factory = RequestFactory()
        self.pending_state = None
        self.last_read = None

    def view(self, request):
        if self.pending_state is not None:
            request.session.clear()
            request.session.update(self.pending_state)
        else:
            self.last_read = dict(request.session.items())
        return HttpResponse("ok")

    def request(self, cookie):
        cookies = {"HTTP_COOKIE": f"sessionid={cookie}"} if cookie else {}
        request = self.factory.get("/", **cookies)
        return session_middleware.SessionMiddleware(self.view)(request)

    def write(self, state, now):
        CLOCK.now = now
        self.pending_state = state
        response = self.request(None)
        self.pending_state = None
        morsel = response.cookies["sessionid"]
        return morsel.value, morsel

    def read(self, cookie, now):
        CLOCK.now = now
        self.last_read = None
        self.request(cookie)
        return self.last_read


def decode(cli, keys, cookie, now, salt=None, secrets=None):
    return cli.decode(keys.cli_args(salt, secrets), cookie, now, keys.env())


def encode(cli, keys, state, now, secrets=None):
    return cli.encode(keys.cli_args(None, secrets), state, now, env=keys.env())


def django_loads(keys, cookie, now, salt=None):
    """What Django's `loads` gives at `now`: ("valid", state) / ("expired", None) /
    ("invalid", None)."""
    CLOCK.now = now
    keys.apply()
    try:
        return "valid", keys.signer(salt).unsign_object(cookie, max_age=keys.max_age)
    except signing.SignatureExpired:
        return "expired", None
    except Exception:  # noqa: BLE001 -- Django's backend treats every failure alike
        return "invalid", None


def django_dumps(keys, state, now):
    CLOCK.now = now
    keys.apply()
    if keys.session_backend:
        return signing.dumps(state, compress=True, salt=SESSION_SALT)
    return keys.signer().sign_object(state, compress=True)


def tamper(cookie):
    """Changes one character of the payload."""
    i = min(len(cookie.split(":")[0]) // 2 + 1, len(cookie) - 1)
    return cookie[:i] + ("A" if cookie[i] != "A" else "B") + cookie[i + 1:]


def check_decoded(results, case, got, state, signed_at, key_index=0):
    if not results.decoded(case, "CLI decodes Django's cookie", got):
        return
    out = got[1]
    results.check(same(out["state"], state), case, "same state",
                  f"django {state!r} / cli {out['state']!r}")
    results.check(out["created"] == float(signed_at) and out["accessed"] == float(signed_at),
                  case, "the signing time as created and accessed",
                  f"{signed_at} / {out['created']!r}, {out['accessed']!r}")
    results.check(out["key_index"] == key_index, case, f"key_index {key_index}",
                  repr(out["key_index"]))


def django_to_cli(results, cli, rng, keys, app, case):
    """Django writes (middleware, SessionStore or signing), the CLI decodes."""
    state = random_state(rng)
    now = BASE_TIME + rng.uniform(0, 10**7)
    how = rng.choice(["middleware", "store", "dumps"]) if keys.session_backend else "signer"
    if how == "middleware" and not state:
        how = "store"  # the middleware sends no cookie for an empty session
    keys.apply()
    if how == "middleware":
        cookie, morsel = app.write(state, now)
        results.check(morsel["max-age"] == keys.max_age and morsel["path"] == "/"
                      and morsel["httponly"] and morsel["samesite"] == "Lax", case,
                      "Django's cookie attributes", repr(morsel.output()))
    elif how == "store":
        CLOCK.now = now
        store = SessionStore()
        store.update(state)
        store.save()
        cookie = store.session_key
    else:
        cookie = django_dumps(keys, state, now)
    signed_at = int(now)
    later = signed_at + rng.uniform(0, keys.max_age)
    check_decoded(results, f"{case} [{how}]", decode(cli, keys, cookie, later), state, signed_at)
    return cookie, signed_at, state


def cli_to_django(results, cli, rng, keys, app, case):
    """The CLI encodes, Django loads."""
    state = random_state(rng)
    now = BASE_TIME + rng.uniform(0, 10**7)
    code, cookie, err = encode(cli, keys, state, now)
    if not results.check(code == 0 and cookie, case, "CLI encodes", f"exit {code}: {err}"):
        return None
    if keys.label == "short":
        results.check(err == "" or "short" in err.lower() or "warning" in err.lower(), case,
                      "a short secret is taken, with at most a warning", err)
    signed_at = int(now)
    expected = django_dumps(keys, state, now)
    ours_compressed, theirs_compressed = cookie.startswith("."), expected.startswith(".")
    if not theirs_compressed and not ours_compressed:
        results.check(cookie == expected, case, "byte-identical to signing.dumps",
                      f"cli {cookie} / django {expected}")
    elif ours_compressed != theirs_compressed:
        # Allowed only near zlib's break-even point (DESIGN.md's contract).
        json_len = len(compact(state).encode("latin-1"))
        zlib_len = len(zlib.compress(compact(state).encode("latin-1")))
        results.check(abs(zlib_len - (json_len - 1)) <= 8, case,
                      "the same compression decision, away from the break-even point",
                      f"cli {ours_compressed} / django {theirs_compressed}, "
                      f"json {json_len}, zlib {zlib_len}")
        results.note("compression decided differently near the break-even point")
    else:
        payload = cookie.split(":")[0][1:]
        inflated = zlib.decompress(signing.b64_decode(payload.encode()))
        results.check(inflated == compact(state).encode("latin-1"), case,
                      "the compressed payload is Django's JSON")
        results.check(cookie.split(":")[1] == expected.split(":")[1], case, "the same stamp")
        results.note("both compressed")

    later = signed_at + rng.uniform(0, keys.max_age)
    verdict, loaded = django_loads(keys, cookie, later)
    if results.check(verdict == "valid", case, "Django loads the CLI's cookie", verdict):
        results.check(same(loaded, state), case, "Django sees the same state",
                      f"cli {state!r} / django {loaded!r}")
    if keys.session_backend:
        keys.apply()
        CLOCK.now = later
        store = SessionStore(session_key=cookie)
        results.check(same(dict(store.items()), state), case, "SessionStore loads it")
        seen = app.read(cookie, later)
        results.check(seen is not None and same(seen, state), case,
                      "a Django view behind SessionMiddleware sees it", repr(seen))
    return cookie, signed_at, state


def negative_checks(results, cli, keys, app, from_django, from_cli, case):
    django_cookie, django_signed, django_state = from_django
    cli_cookie, cli_signed, cli_state = from_cli

    code, out, err = decode(cli, keys, tamper(django_cookie), django_signed)
    results.check(code == 1 and out and out.get("reason") in ("bad_signature", "malformed"),
                  case, "CLI rejects a tampered Django cookie", f"exit {code}: {out or err}")
    results.check(django_loads(keys, tamper(cli_cookie), cli_signed)[0] == "invalid", case,
                  "Django rejects a tampered CLI cookie")

    other = keys.django_salt() + ".other"
    code, out, err = decode(cli, keys, django_cookie, django_signed, salt=other)
    results.check(code == 1 and out and out.get("reason") == "bad_signature", case,
                  "CLI rejects Django's cookie under another salt", f"exit {code}: {out or err}")
    results.check(django_loads(keys, cli_cookie, cli_signed, salt=other)[0] == "invalid", case,
                  "Django rejects the CLI's cookie under another salt")

    stranger = ["a stranger's secret key, not in the ring"]
    code, out, err = decode(cli, keys, django_cookie, django_signed, secrets=stranger)
    results.check(code == 1 and out and out.get("reason") == "bad_signature", case,
                  "CLI rejects Django's cookie under another secret", f"exit {code}: {out or err}")

    # Django's rule on both sides: expired when `time.time() - stamp > max_age`.
    edge = django_signed + keys.max_age
    code, out, err = decode(cli, keys, django_cookie, float(edge))
    results.check(code == 0 and same(out["state"], django_state), case,
                  "CLI: valid at exactly max_age", f"exit {code}: {out or err}")
    code, out, err = decode(cli, keys, django_cookie, edge + 0.5)
    results.check(code == 1 and out and out.get("reason") == "expired", case,
                  "CLI: expired just past max_age", f"exit {code}: {out or err}")
    results.check(django_loads(keys, cli_cookie, float(cli_signed + keys.max_age))[0] == "valid",
                  case, "Django: the CLI's cookie is valid at exactly max_age")
    results.check(django_loads(keys, cli_cookie, cli_signed + keys.max_age + 0.5)[0] == "expired",
                  case, "Django: the CLI's cookie expired just past max_age")

    # A stamp from the future: neither refuses it.
    code, out, err = decode(cli, keys, django_cookie, float(django_signed - 10**6))
    results.check(code == 0, case, "CLI accepts a stamp from the future", f"exit {code}: {out}")
    results.check(django_loads(keys, cli_cookie, float(cli_signed - 10**6))[0] == "valid", case,
                  "Django accepts the CLI's stamp from the future")


def rotation_checks(results, cli, rng, keys, case):
    """Cookies under fallback keys, both ways."""
    if not keys.fallbacks:
        # Promote a new primary: the old SECRET_KEY becomes the fallback.
        newer = KeyConfig(keys.label, "a newer primary secret for the rotation check",
                          fallbacks=[keys.secret], hashalg=keys.hashalg, salt=keys.salt,
                          max_age=keys.max_age)
        old_ring = [keys.secret]
    else:
        newer = keys
        old_ring = [keys.fallbacks[-1]]
    state = random_state(rng)
    now = BASE_TIME + rng.uniform(0, 10**7)
    # Django signed under the old key; the CLI's ring holds it as a fallback.
    old_only = KeyConfig(keys.label, old_ring[0], hashalg=keys.hashalg, salt=keys.salt,
                         max_age=keys.max_age)
    cookie = django_dumps(old_only, state, now)
    got = decode(cli, newer, cookie, float(int(now)))
    check_decoded(results, case + " [fallback]", got, state, int(now),
                  key_index=len(newer.fallbacks))
    # The CLI signed with the old key; Django with SECRET_KEY_FALLBACKS reads it.
    code, cookie, err = encode(cli, old_only, state, now, secrets=old_ring)
    if results.check(code == 0, case, "CLI encodes with the old key", err):
        verdict, loaded = django_loads(newer, cookie, float(int(now)))
        results.check(verdict == "valid" and same(loaded, state), case,
                      "Django reads the CLI's cookie through SECRET_KEY_FALLBACKS", verdict)
    # And the CLI's primary signs: Django with only the new key reads it.
    code, cookie, err = encode(cli, newer, state, now)
    if results.check(code == 0, case, "CLI encodes with the ring", err):
        primary_only = KeyConfig(keys.label, newer.secret, hashalg=keys.hashalg, salt=keys.salt,
                                 max_age=keys.max_age)
        verdict, _ = django_loads(primary_only, cookie, float(int(now)))
        results.check(verdict == "valid", case, "the first secret of the ring signs", verdict)


def main():
    args, rng, cli, results = start(__doc__, f"django {django.get_version()}",
                                    default_seed=2024, default_sessions=12)
    app = DjangoApp()

    for keys in key_configs(rng):
        from_django = from_cli = None
        for i in range(args.sessions):
            case = f"{keys.label}#{i}"
            from_django = results.guarded(case, django_to_cli,
                                          results, cli, rng, keys, app, case) or from_django
            from_cli = results.guarded(case, cli_to_django,
                                       results, cli, rng, keys, app, case) or from_cli
        if from_django is None or from_cli is None:
            results.check(False, keys.label, "no cookie for the negative checks")
            continue
        results.guarded(keys.label, negative_checks,
                        results, cli, keys, app, from_django, from_cli, keys.label)
        results.guarded(keys.label, rotation_checks, results, cli, rng, keys, keys.label)

    return results.summary()


if __name__ == "__main__":
    sys.exit(main())
