"""What the three Python apps of the mixed-deployment check answer, framework aside.

Each app has the same routes, which the Rust example's routes mirror:
- `POST /login` sets `username = "john"` and answers `Welcome, john!`;
- `GET /whoami` only reads: the username, or `anonymous`;
- `GET /visits` only reads: the `visits` value as Python prints it (`None` when absent), so the
  check sees what the Rust example wrote;
- `POST /rename?to=NAME` sets `username = NAME`: a write the Rust example then reads;
- `POST /fill?bytes=N` stores `N` bytes under `fill` and `GET /fill-len` answers how many are
  stored, as the Rust example's `/fill` and `/fill-len` do: a large, compressible value makes
  Flask and Django compress the cookie.
"""

import sys

LOGIN_NAME = "john"
FILL_KEY = "fill"


def welcome(name):
    return f"Welcome, {name}!"


def whoami(session):
    return str(session.get("username", "anonymous"))


def visits(session):
    return str(session.get("visits"))


def fill(session, bytes_arg):
    session[FILL_KEY] = "x" * int(bytes_arg)
    return "ok"


def fill_len(session):
    return str(len(session.get(FILL_KEY, "")))


def announce(port):
    """The line scripts/mixed-deployment.sh waits for (the Rust example prints the same)."""
    print(f"listening on http://127.0.0.1:{port}", flush=True)


def port_arg():
    return int(sys.argv[2]) if len(sys.argv) > 2 else 0
