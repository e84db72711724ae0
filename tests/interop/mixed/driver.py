"""The mixed-deployment checks of issue 10: one user, one cookie jar, a Python app and the Rust
axum example on the same host (127.0.0.1, two ports: cookies ignore ports, so both see the one
session cookie, as two services behind one domain would).

The Python app logs the user in; the Rust example reads the session, writes it, and the Python
app reads what it wrote; the Python app writes again and the Rust example reads that. Prints one
`PASS`/`FAIL` line per check and exits non-zero on any failure. Standard library only.

Usage: driver.py --framework NAME --cookie NAME --python-url URL --rust-url URL
"""

import argparse
import http.cookiejar
import sys
import urllib.error
import urllib.request

# The formats with zlib compression (a `.` before a compressed payload).
COMPRESSING_FRAMEWORKS = ("flask", "django")

# Every request is bounded.
TIMEOUT_SECONDS = 10


class Checks:
    def __init__(self, framework, cookie_name, python_url, rust_url):
        self.framework = framework
        self.cookie_name = cookie_name
        self.urls = {"python": python_url, "rust": rust_url}
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.passed = 0
        self.failed = 0

    def report(self, ok, what, detail=""):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        verdict = "PASS" if ok else "FAIL"
        suffix = f" ({detail})" if detail and not ok else ""
        print(f"{verdict} {self.framework}: {what}{suffix}", flush=True)
        return ok

    def request(self, side, method, path, cookie_header=None):
        """(status, body text); the jar sends and stores cookies unless `cookie_header` is given."""
        url = self.urls[side] + path
        request = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
        if cookie_header is None:
            open_url = self.opener.open
        else:
            request.add_header("Cookie", cookie_header)
            open_url = urllib.request.urlopen
        try:
            with open_url(request, timeout=TIMEOUT_SECONDS) as response:
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8", "replace")
        except OSError as error:
            return None, f"{type(error).__name__}: {error}"

    def session_cookies(self):
        return [cookie for cookie in self.jar if cookie.name == self.cookie_name]

    def expect(self, side, method, path, expected, what):
        """One request; passes when it answers 200 with `expected` and the jar still holds at
        most one session cookie (two, e.g. on different paths, would both be sent)."""
        status, body = self.request(side, method, path)
        cookies = self.session_cookies()
        if status != 200 or body != expected:
            return self.report(False, what, f"{side} {method} {path}: {status} {body[:200]!r}, expected {expected!r}")
        if len(cookies) > 1:
            paths = [(cookie.domain, cookie.path) for cookie in cookies]
            return self.report(False, what, f"{len(cookies)} `{self.cookie_name}` cookies in the jar: {paths}")
        return self.report(True, what)

    def run(self):
        py, rust = "python", "rust"
        self.expect(py, "POST", "/login", "Welcome, john!", f"{self.framework} logs john in")
        self.report(
            len(self.session_cookies()) == 1,
            f"{self.framework} set the `{self.cookie_name}` cookie",
            f"jar: {[cookie.name for cookie in self.jar]}",
        )
        self.expect(rust, "GET", "/whoami", "john", f"Rust reads {self.framework}'s login: whoami = john")
        self.expect(rust, "GET", "/visits", "1", "Rust writes visits = 1")
        self.expect(py, "GET", "/visits", "1", f"{self.framework} reads Rust's visits = 1")
        self.expect(rust, "GET", "/visits", "2", "Rust reads its own cookie and writes visits = 2")
        self.expect(py, "GET", "/visits", "2", f"{self.framework} reads Rust's visits = 2")
        self.expect(py, "GET", "/whoami", "john", f"{self.framework} still sees john after Rust's writes")
        self.expect(py, "POST", "/rename?to=jane", "jane", f"{self.framework} renames the user to jane")
        self.expect(rust, "GET", "/whoami", "jane", f"Rust reads {self.framework}'s write: whoami = jane")
        self.expect(rust, "GET", "/visits", "3", f"Rust's counter survived {self.framework}'s write: visits = 3")
        self.expect(py, "GET", "/visits", "3", f"{self.framework} reads visits = 3")
        self.check_large_values()
        self.check_forgery()
        self.expect(rust, "POST", "/login", "Welcome, john!", "Rust logs in again (regenerate)")
        self.expect(py, "GET", "/whoami", "john", f"{self.framework} reads Rust's login: whoami = john")
        self.expect(py, "GET", "/visits", "None", f"{self.framework} sees Rust's fresh session: no visits")
        self.expect(rust, "POST", "/logout", "Goodbye!", "Rust logs out")
        # Rust's logout is Pyramid's `invalidate`: an empty session, not a deleted cookie.
        self.expect(py, "GET", "/whoami", "anonymous", f"{self.framework} sees Rust's logout: anonymous")
        self.expect(py, "GET", "/visits", "None", f"{self.framework} sees Rust's logout: no visits")

    def check_large_values(self):
        """A large, compressible value each way: Flask and Django compress such a cookie (a `.`
        before the payload), and each side inflates what the other deflated. Small enough for
        one cookie uncompressed too, as Pyramid 1.x never compresses."""
        py, rust = "python", "rust"
        self.expect(rust, "GET", "/fill?bytes=2000", "ok", "Rust stores 2000 bytes")
        self.check_compressed(f"Rust compressed the cookie, as {self.framework} would")
        self.expect(py, "GET", "/fill-len", "2000", f"{self.framework} reads Rust's 2000 bytes")
        self.expect(py, "POST", "/fill?bytes=1800", "ok", f"{self.framework} stores 1800 bytes")
        self.check_compressed(f"{self.framework} compressed the cookie")
        self.expect(rust, "GET", "/fill-len", "1800", f"Rust reads {self.framework}'s 1800 bytes")
        self.expect(rust, "GET", "/visits", "4", "Rust's counter survived the large values: visits = 4")

    def check_compressed(self, what):
        """For the formats that compress: the jar's cookie is a compressed one."""
        if self.framework not in COMPRESSING_FRAMEWORKS:
            return
        values = [cookie.value for cookie in self.session_cookies()]
        self.report(
            len(values) == 1 and values[0].startswith("."),
            what,
            f"cookie: {[value[:40] for value in values]}",
        )

    def check_forgery(self):
        """The current cookie with one character of its value changed: both sides refuse it."""
        cookies = self.session_cookies()
        if len(cookies) != 1:
            self.report(False, "a forged cookie is refused by both sides", "no cookie to forge")
            return
        value = cookies[0].value
        # Changing the first character alters the signed part in every format here.
        forged = ("B" if value[0] != "B" else "C") + value[1:]
        header = f"{self.cookie_name}={forged}"
        answers = {side: self.request(side, "GET", "/whoami", cookie_header=header) for side in self.urls}
        ok = all(answer == (200, "anonymous") for answer in answers.values())
        self.report(ok, "a forged cookie is refused by both sides (anonymous)", f"answers: {answers}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--framework", required=True)
    parser.add_argument("--cookie", required=True, help="the session cookie's name")
    parser.add_argument("--python-url", required=True)
    parser.add_argument("--rust-url", required=True)
    args = parser.parse_args()
    checks = Checks(args.framework, args.cookie, args.python_url, args.rust_url)
    checks.run()
    print(f"{args.framework}: {checks.passed} passed, {checks.failed} failed", flush=True)
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
