#!/usr/bin/env bash
# Installs one of the real OAuth servers that the integration tests run on loopback (see
# tests/servers.rs):
#   tests/servers/setup.sh oidc-provider   node's oidc-provider, by `npm ci` from the committed
#                                          tests/servers/oidc-provider/package-lock.json
#   tests/servers/setup.sh authlib         a virtualenv with the exact pins of
#                                          tests/servers/authlib/requirements.txt
# Nothing fetched here is committed; it all lands in
#   ${AUTHCONFORM_TEST_TOOLS:-<repo>/target/test-tools}/servers/NAME
# Idempotent (a stamp holding the pins, written last, marks a finished install) and safe to run
# from several test processes at once (flock). Progress and errors go to stderr; the last line on
# stdout is the install dir's absolute path.
# Exit codes: 0 ready; 1 the install failed; 2 usage; 3 the runtime (node and npm, or python3) is
# missing, with a one-line reason on stderr (the tests skip on 3).
set -euo pipefail

fail() {
    echo "tests/servers/setup.sh: $*" >&2
    exit 1
}

missing() {
    echo "tests/servers/setup.sh: $*" >&2
    exit 3
}

name=${1:-}
case $name in
oidc-provider | authlib) ;;
*)
    echo "usage: tests/servers/setup.sh oidc-provider|authlib" >&2
    exit 2
    ;;
esac

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
repo=$(cd "$here/../.." && pwd -P)
tools=${AUTHCONFORM_TEST_TOOLS:-$repo/target/test-tools}

# The runtime first: without it there is nothing to install, and the tests skip.
case $name in
oidc-provider)
    command -v node >/dev/null 2>&1 || missing "node is not installed (needed for oidc-provider)"
    command -v npm >/dev/null 2>&1 || missing "npm is not installed (needed for oidc-provider)"
    lock_sha=$(sha256sum "$here/oidc-provider/package-lock.json" "$here/oidc-provider/package.json" | sha256sum | cut -d' ' -f1) ||
        fail "cannot hash $here/oidc-provider/package-lock.json"
    # The stamp holds the pins, so changing a pin (or the lock file) redoes the install.
    stamp_content="oidc-provider@$(sed -n 's/^ *"oidc-provider": "\([^"]*\)".*/\1/p' "$here/oidc-provider/package.json") lock=$lock_sha node=$(node --version)"
    ;;
authlib)
    command -v python3 >/dev/null 2>&1 || missing "python3 is not installed (needed for authlib)"
    pins=$(grep -v '^ *#' "$here/authlib/requirements.txt" | grep -v '^ *$' | tr '\n' ' ') ||
        fail "cannot read $here/authlib/requirements.txt"
    stamp_content="${pins}python=$(python3 -c 'import sys; print(sys.version.split()[0])') at $(command -v python3)"
    ;;
esac

servers=$tools/servers
dir=$servers/$name
mkdir -p "$dir" || fail "cannot create the install dir $dir"
dir=$(cd "$dir" && pwd -P)
stamp=$dir/.stamp

exec 9>"$servers/.$name.lock" || fail "cannot open the lock file $servers/.$name.lock"
flock 9 || fail "cannot lock $servers/.$name.lock"

if [[ -f $stamp && $(<"$stamp") == "$stamp_content" ]]; then
    echo "$dir"
    exit 0
fi

rm -f "$stamp"
echo "tests/servers/setup.sh: installing $name into $dir" >&2

case $name in
oidc-provider)
    cp "$here/oidc-provider/package.json" "$here/oidc-provider/package-lock.json" "$dir/" ||
        fail "cannot copy package.json and package-lock.json into $dir"
    # npm ci installs exactly the lock file (and first removes any node_modules a failed run
    # left). Its progress goes to stderr: stdout ends with the install dir only.
    npm ci --prefix "$dir" --no-audit --no-fund --ignore-scripts --loglevel=error >&2 ||
        fail "npm ci --prefix $dir failed"
    ;;
authlib)
    export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
    # --clear: a run that failed half-way may have left a broken venv behind.
    python3 -m venv --clear "$dir/venv" >&2 ||
        fail "python3 -m venv $dir/venv failed (is python3-venv installed?)"
    "$dir/venv/bin/python" -m pip install -q -r "$here/authlib/requirements.txt" >&2 ||
        fail "pip install -r $here/authlib/requirements.txt failed"
    ;;
esac

# Written last and renamed into place: its presence means all of the above is done.
{ echo "$stamp_content" >"$stamp.tmp" && mv -f "$stamp.tmp" "$stamp"; } || fail "cannot write $stamp"
echo "tests/servers/setup.sh: $name ready" >&2
echo "$dir"
