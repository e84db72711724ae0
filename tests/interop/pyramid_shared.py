"""What the Pyramid 2.x (JSON) and Pyramid 1.x (pickle) drivers share: a real Configurator app
around a session factory, the frozen clock inside `pyramid.session`, and the checks on a
session both sides must agree on.
"""

import pyramid.session
from pyramid.config import Configurator
from pyramid.response import Response
from webob import Request

from common import FrozenClock, same, session_cookie

BASE_TIME = 1_700_000_000

# Pyramid reads the time from `time.time()` in `pyramid.session`.
CLOCK = FrozenClock(BASE_TIME)
pyramid.session.time = CLOCK


class PyramidApp:
    """A real Configurator WSGI app around a session factory, and two views: `/write` replaces
    the session's state, `/read` reports what the session holds."""

    def __init__(self, session_factory):
        self.pending_state = None
        self.last_read = None
        config = Configurator(session_factory=session_factory)
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
        return session_cookie(response.headers.getall("Set-Cookie"))

    def write_session(self, rng, state, timeout):
        """`state` written at a random time, by a first request or by a second one that
        carries the first's cookie. Returns (cookie, created, accessed): `created` is the float
        time of the first request, `accessed` the int time of the last."""
        created = BASE_TIME + rng.uniform(0, 10**7)
        if rng.random() < 0.5:
            # A new session: created = the float time, accessed = int(time).
            accessed_at = created
            cookie = self.write(state, created)
        else:
            # A second request with the cookie: `created` stays, `accessed` moves on.
            first = self.write({"first": "request"}, created)
            accessed_at = created + rng.uniform(0, 0.5 * (timeout or 600))
            cookie = self.write(state, accessed_at, first)
        return cookie, created, int(accessed_at)

    def read(self, cookie, now):
        CLOCK.now = now
        self.last_read = None
        self.request("/read", cookie)
        return self.last_read


def within_timeout(rng, timeout):
    """A delay after `accessed` at which the session is still valid."""
    if timeout is None:
        return rng.uniform(0, 10**8)
    return rng.uniform(0, timeout)


def check_decoded(checks, case, got, state, created, accessed, key_index=0):
    """The CLI's decode of a Pyramid cookie: valid, with Pyramid's state (a tuple as an array)
    and times."""
    if not checks.decoded(case, "CLI decodes Pyramid's cookie", got):
        return
    out = got[1]
    checks.check(same(out["state"], state, tuples_as_lists=True), case, "same state",
                 f"pyramid {state!r} / cli {out['state']!r}")
    checks.check(out["created"] == float(created) and isinstance(out["created"], float),
                 case, "same created", f"{created!r} / {out['created']!r}")
    checks.check(out["accessed"] == float(accessed), case, "same accessed",
                 f"{accessed!r} / {out['accessed']!r}")
    checks.check(out["key_index"] == key_index, case, f"key_index {key_index}",
                 repr(out["key_index"]))


def check_loaded(checks, case, seen, state, created, accessed):
    """Pyramid's session from the CLI's cookie: loaded (not new), with the same state and
    times. Returns whether Pyramid loaded it."""
    if not checks.check(seen is not None and not seen["new"], case,
                        "Pyramid loads the CLI's cookie", repr(seen)):
        return False
    checks.check(same(seen["state"], state, tuples_as_lists=True), case,
                 "Pyramid sees the same state",
                 f"cli {state!r} / pyramid {seen['state']!r}")
    checks.check(seen["created"] == created, case, "Pyramid sees the same created",
                 f"{created!r} / {seen['created']!r}")
    checks.check(seen["accessed"] == accessed, case, "Pyramid sees the same accessed",
                 f"{accessed!r} / {seen['accessed']!r}")
    return True


def tampered_middle(cookie, start=0):
    """One base64 character changed in the middle of `cookie[start:]` (where every character
    carries 6 bits)."""
    i = start + (len(cookie) - start) // 2
    return cookie[:i] + ("A" if cookie[i] != "A" else "B") + cookie[i + 1:]
