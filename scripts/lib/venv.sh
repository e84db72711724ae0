# Sourced by the scripts that run real Python frameworks: one venv per framework version, made
# once and reused while it still holds what it should.
#
#   ensure_venv DIR CHECK PIP_SPEC...
#   framework_venv pyramid|pyramid-legacy|flask|django   (sets $venv)
#
# DIR: the venv (under the repository, ignored by git); CHECK: Python code that fails unless the
# venv holds the right versions; PIP_SPEC: what to install when it does not.
ensure_venv() {
    local dir=$1 check=$2
    shift 2
    if [ ! -x "$dir/bin/python" ] || ! "$dir/bin/python" -c "$check" 2>/dev/null; then
        python3 -m venv "$dir"
        "$dir/bin/pip" install -q "$@"
    fi
}

# The venv of a framework the interop scripts run, made or reused; sets `venv` to its directory.
framework_venv() {
    local check specs
    case "$1" in
        pyramid)
            venv=.venv
            check='import importlib.metadata as m, webob; assert m.version("pyramid") == "2.1"'
            specs=("pyramid==2.1" webob)
            ;;
        pyramid-legacy)
            venv=.venv-pyramid-legacy
            check='import importlib.metadata as m; assert m.version("pyramid") == "1.10.8" and m.version("webob").startswith("1.8.")'
            # Pyramid 1.x imports pkg_resources, which Python 3.11's venv no longer carries.
            specs=("pyramid==1.10.8" "webob==1.8.*" setuptools)
            ;;
        flask)
            venv=.venv-flask
            check='import importlib.metadata as m; assert m.version("flask").startswith("3.1.")'
            specs=("flask==3.1.*")
            ;;
        django)
            venv=.venv-django
            check='import django; assert django.VERSION[:2] == (5, 2)'
            specs=("django==5.2.*")
            ;;
        *)
            echo "unknown framework $1 (pyramid, pyramid-legacy, flask, django)" >&2
            return 2
            ;;
    esac
    ensure_venv "$venv" "$check" "${specs[@]}"
}
