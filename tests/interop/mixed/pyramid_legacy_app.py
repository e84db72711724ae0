"""A real Pyramid 1.10 app for the mixed-deployment check (scripts/mixed-deployment.sh): the
session factory of the original brief, `UnencryptedCookieSessionFactoryConfig(SECRET)`, the
routes of routes.py, served by wsgiref on 127.0.0.1; prints
`listening on http://127.0.0.1:PORT` once it accepts connections.
Usage: pyramid_legacy_app.py SECRET [PORT]  (PORT 0, the default, picks a free one)
"""

import sys
import warnings
from wsgiref.simple_server import make_server

from pyramid.config import Configurator
from pyramid.response import Response

import routes

with warnings.catch_warnings():
    # Deprecated since Pyramid 1.5, and exactly what the apps being migrated use.
    warnings.simplefilter("ignore", DeprecationWarning)
    from pyramid.session import UnencryptedCookieSessionFactoryConfig

    session_factory = UnencryptedCookieSessionFactoryConfig(sys.argv[1])


def login(request):
    request.session["username"] = routes.LOGIN_NAME
    return Response(routes.welcome(routes.LOGIN_NAME))


def whoami(request):
    return Response(routes.whoami(request.session))


def visits(request):
    return Response(routes.visits(request.session))


def rename(request):
    request.session["username"] = request.GET["to"]
    return Response(request.session["username"])


def fill(request):
    return Response(routes.fill(request.session, request.GET["bytes"]))


def fill_len(request):
    return Response(routes.fill_len(request.session))


def make_app():
    config = Configurator(session_factory=session_factory)
    for name, method, view in [
        ("login", "POST", login),
        ("whoami", "GET", whoami),
        ("visits", "GET", visits),
        ("rename", "POST", rename),
        ("fill", "POST", fill),
        ("fill-len", "GET", fill_len),
    ]:
        config.add_route(name, "/" + name)
        config.add_view(view, route_name=name, request_method=method)
    return config.make_wsgi_app()


if __name__ == "__main__":
    server = make_server("127.0.0.1", routes.port_arg(), make_app())
    routes.announce(server.server_port)
    server.serve_forever()
