# Sourced by the scripts that run real Python frameworks: one venv per framework version, made
# once and reused while it still holds what it should.
#
#   ensure_venv DIR CHECK PIP_SPEC...
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
