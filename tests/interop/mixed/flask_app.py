"""A real Flask 3.1 app for the mixed-deployment check (scripts/mixed-deployment.sh).

Serves on 127.0.0.1 (werkzeug's server, no reloader) and prints
`listening on http://127.0.0.1:PORT` once it accepts connections.
Usage: flask_app.py SECRET [PORT]  (PORT 0, the default, picks a free one)
"""

import sys

from flask import Flask, request, session
from werkzeug.serving import make_server

import routes

app = Flask(__name__)
app.secret_key = sys.argv[1]


@app.post("/login")
def login():
    session["username"] = routes.LOGIN_NAME
    return routes.welcome(routes.LOGIN_NAME)


@app.get("/whoami")
def whoami():
    return routes.whoami(session)


@app.get("/visits")
def visits():
    return routes.visits(session)


@app.post("/rename")
def rename():
    session["username"] = request.args["to"]
    return session["username"]


@app.post("/fill")
def fill():
    return routes.fill(session, request.args["bytes"])


@app.get("/fill-len")
def fill_len():
    return routes.fill_len(session)


if __name__ == "__main__":
    server = make_server("127.0.0.1", routes.port_arg(), app)
    routes.announce(server.server_port)
    server.serve_forever()
