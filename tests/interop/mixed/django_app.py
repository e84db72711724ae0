"""A real Django 5.2 project in one file for the mixed-deployment check
(scripts/mixed-deployment.sh): the signed_cookies session backend, the routes of routes.py,
served by wsgiref on 127.0.0.1; prints `listening on http://127.0.0.1:PORT` once it accepts
connections.
Usage: django_app.py SECRET [PORT]  (PORT 0, the default, picks a free one)
"""

import sys
from wsgiref.simple_server import make_server

import django
from django.conf import settings
from django.http import HttpResponse
from django.urls import path
from django.views.decorators.http import require_GET, require_POST

import routes

settings.configure(
    DEBUG=False,
    SECRET_KEY=sys.argv[1],
    ALLOWED_HOSTS=["127.0.0.1"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=["django.contrib.sessions.middleware.SessionMiddleware"],
    SESSION_ENGINE="django.contrib.sessions.backends.signed_cookies",
    # The defaults, spelled out: what the Rust preset `.django(DjangoHash::Sha256)` assumes.
    SESSION_COOKIE_NAME="sessionid",
    SESSION_COOKIE_AGE=1_209_600,
    SESSION_SERIALIZER="django.contrib.sessions.serializers.JSONSerializer",
)
django.setup()


@require_POST
def login(request):
    request.session["username"] = routes.LOGIN_NAME
    return HttpResponse(routes.welcome(routes.LOGIN_NAME))


@require_GET
def whoami(request):
    return HttpResponse(routes.whoami(request.session))


@require_GET
def visits(request):
    return HttpResponse(routes.visits(request.session))


@require_POST
def rename(request):
    request.session["username"] = request.GET["to"]
    return HttpResponse(request.session["username"])


@require_POST
def fill(request):
    return HttpResponse(routes.fill(request.session, request.GET["bytes"]))


@require_GET
def fill_len(request):
    return HttpResponse(routes.fill_len(request.session))


urlpatterns = [
    path("login", login),
    path("whoami", whoami),
    path("visits", visits),
    path("rename", rename),
    path("fill", fill),
    path("fill-len", fill_len),
]

if __name__ == "__main__":
    from django.core.wsgi import get_wsgi_application

    server = make_server("127.0.0.1", routes.port_arg(), get_wsgi_application())
    routes.announce(server.server_port)
    server.serve_forever()
