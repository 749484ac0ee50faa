#!/usr/bin/env bash
# Installs one of Auth0's own SDKs that tests/sdks.rs drives against `authconform serve`:
#   tests/sdks/setup.sh python   a virtualenv with auth0-python and the exact pins of
#                                tests/sdks/python/requirements.txt
#   tests/sdks/setup.sh node     @auth0/auth0-auth-js, by `npm ci` from the committed
#                                tests/sdks/node/package-lock.json
# Nothing fetched here is committed; it all lands in
#   ${AUTHCONFORM_TEST_TOOLS:-<repo>/target/test-tools}/sdks/NAME
# Idempotent (a stamp holding the pins, written last, marks a finished install) and safe to run
# from several test processes at once (flock). Progress and errors go to stderr; the last line on
# stdout is the install dir's absolute path.
# Exit codes: 0 ready; 1 the install failed; 2 usage; 3 the runtime (python3, or node and npm) is
# missing, with a one-line reason on stderr (the tests skip on 3).
set -euo pipefail

fail() {
    echo "tests/sdks/setup.sh: $*" >&2
    exit 1
}

missing() {
    echo "tests/sdks/setup.sh: $*" >&2
    exit 3
}

name=${1:-}
case $name in
python | node) ;;
*)
    echo "usage: tests/sdks/setup.sh python|node" >&2
    exit 2
    ;;
esac

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
repo=$(cd "$here/../.." && pwd -P)
tools=${AUTHCONFORM_TEST_TOOLS:-$repo/target/test-tools}

# The runtime first: without it there is nothing to install, and the tests skip.
case $name in
node)
    command -v node >/dev/null 2>&1 || missing "node is not installed (needed for @auth0/auth0-auth-js)"
    command -v npm >/dev/null 2>&1 || missing "npm is not installed (needed for @auth0/auth0-auth-js)"
    lock_sha=$(sha256sum "$here/node/package-lock.json" "$here/node/package.json" | sha256sum | cut -d' ' -f1) ||
        fail "cannot hash $here/node/package-lock.json"
    # The stamp holds the pins, so changing a pin (or the lock file) redoes the install.
    stamp_content="@auth0/auth0-auth-js@$(sed -n 's/^ *"@auth0\/auth0-auth-js": "\([^"]*\)".*/\1/p' "$here/node/package.json") lock=$lock_sha node=$(node --version)"
    ;;
python)
    command -v python3 >/dev/null 2>&1 || missing "python3 is not installed (needed for auth0-python)"
    python3 -c 'import venv, ensurepip' >/dev/null 2>&1 ||
        missing "python3 has no venv or ensurepip (install python3-venv; needed for auth0-python)"
    pins=$(grep -v '^ *#' "$here/python/requirements.txt" | grep -v '^ *$' | tr '\n' ' ') ||
        fail "cannot read $here/python/requirements.txt"
    stamp_content="${pins}python=$(python3 -c 'import sys; print(sys.version.split()[0])') at $(command -v python3)"
    ;;
esac

sdks=$tools/sdks
dir=$sdks/$name
mkdir -p "$dir" || fail "cannot create the install dir $dir"
dir=$(cd "$dir" && pwd -P)
stamp=$dir/.stamp

exec 9>"$sdks/.$name.lock" || fail "cannot open the lock file $sdks/.$name.lock"
flock 9 || fail "cannot lock $sdks/.$name.lock"

if [[ -f $stamp && $(<"$stamp") == "$stamp_content" ]]; then
    echo "$dir"
    exit 0
fi

rm -f "$stamp"
echo "tests/sdks/setup.sh: installing $name into $dir" >&2

case $name in
node)
    cp "$here/node/package.json" "$here/node/package-lock.json" "$dir/" ||
        fail "cannot copy package.json and package-lock.json into $dir"
    # npm ci installs exactly the lock file (and first removes any node_modules a failed run
    # left). Its progress goes to stderr: stdout ends with the install dir only.
    npm ci --prefix "$dir" --no-audit --no-fund --ignore-scripts --loglevel=error >&2 ||
        fail "npm ci --prefix $dir failed"
    ;;
python)
    export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
    # --clear: a run that failed half-way may have left a broken venv behind.
    python3 -m venv --clear "$dir/venv" >&2 ||
        fail "python3 -m venv $dir/venv failed (is python3-venv installed?)"
    # --no-deps: the requirements file is the whole tree, every version exact.
    "$dir/venv/bin/python" -m pip install -q --no-deps -r "$here/python/requirements.txt" >&2 ||
        fail "pip install -r $here/python/requirements.txt failed"
    "$dir/venv/bin/python" -m pip check >&2 ||
        fail "the pins of $here/python/requirements.txt do not satisfy each other (pip check)"
    ;;
esac

# Written last and renamed into place: its presence means all of the above is done.
{ echo "$stamp_content" >"$stamp.tmp" && mv -f "$stamp.tmp" "$stamp"; } || fail "cannot write $stamp"
echo "tests/sdks/setup.sh: $name ready" >&2
echo "$dir"
