# Sourced by tests/servers/setup.sh and tests/sdks/setup.sh: the part of an install that is the
# same for a real server and an SDK. The caller sets `script` (its name, for messages) and has
# checked the runtime (exit 3 when it is missing).
#   install_npm GROUP NAME SRC       npm ci from SRC/package.json and SRC/package-lock.json
#   install_pip GROUP NAME REQS      a virtualenv with the exact pins of REQS (the whole tree:
#                                    --no-deps, then pip check)
# into ${AUTHCONFORM_TEST_TOOLS:-<repo>/target/test-tools}/GROUP/NAME. Idempotent (a stamp
# holding the pins and the runtime's version, written last, marks a finished install) and safe
# from several test processes at once (flock). Progress and errors go to stderr; stdout gets
# the install dir's absolute path, the last line the tests read.
# With AUTHCONFORM_INSTALL_CHECK=1 nothing is installed or created: exit 0 when the install is
# done, 4 when it would be made (3 still when the runtime is missing), so that the tests can
# say what they are about to install before they do.

fail() {
    echo "$script: $*" >&2
    exit 1
}

missing() {
    echo "$script: $*" >&2
    exit 3
}

# install_locked GROUP NAME STAMP_CONTENT COMMAND...: runs COMMAND (with $dir set) unless the
# stamp says the same install is done.
install_locked() {
    local group=$1 name=$2 stamp_content=$3
    shift 3
    local repo groups stamp
    repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
    groups=${AUTHCONFORM_TEST_TOOLS:-$repo/target/test-tools}/$group
    dir=$groups/$name
    if [[ -n ${AUTHCONFORM_INSTALL_CHECK:-} ]]; then
        [[ -f $dir/.stamp && $(<"$dir/.stamp") == "$stamp_content" ]] || exit 4
        echo "$dir"
        return 0
    fi
    mkdir -p "$dir" || fail "cannot create the install dir $dir"
    dir=$(cd "$dir" && pwd -P)
    stamp=$dir/.stamp
    exec 9>"$groups/.$name.lock" || fail "cannot open the lock file $groups/.$name.lock"
    flock 9 || fail "cannot lock $groups/.$name.lock"
    if [[ -f $stamp && $(<"$stamp") == "$stamp_content" ]]; then
        echo "$dir"
        return 0
    fi
    rm -f "$stamp"
    echo "$script: installing $name into $dir" >&2
    "$@"
    # Written last and renamed into place: its presence means all of the above is done.
    { echo "$stamp_content" >"$stamp.tmp" && mv -f "$stamp.tmp" "$stamp"; } || fail "cannot write $stamp"
    echo "$script: $name ready" >&2
    echo "$dir"
}

install_npm() {
    local group=$1 name=$2 src=$3 lock_sha
    command -v node >/dev/null 2>&1 || missing "node is not installed (needed for tests/$group/$name)"
    command -v npm >/dev/null 2>&1 || missing "npm is not installed (needed for tests/$group/$name)"
    # The files' contents only, not their paths: a checkout elsewhere has the same install.
    lock_sha=$(cat "$src/package-lock.json" "$src/package.json" | sha256sum | cut -d' ' -f1) ||
        fail "cannot hash $src/package-lock.json"
    # The stamp holds the pins, so changing a pin (or the lock file) redoes the install.
    install_locked "$group" "$name" "lock=$lock_sha node=$(node --version)" npm_ci "$src"
}

npm_ci() {
    cp "$1/package.json" "$1/package-lock.json" "$dir/" ||
        fail "cannot copy package.json and package-lock.json into $dir"
    # npm ci installs exactly the lock file (and first removes any node_modules a failed run
    # left). Its progress goes to stderr: stdout ends with the install dir only.
    npm ci --prefix "$dir" --no-audit --no-fund --ignore-scripts --loglevel=error >&2 ||
        fail "npm ci --prefix $dir failed"
}

install_pip() {
    local group=$1 name=$2 reqs=$3 pins
    command -v python3 >/dev/null 2>&1 || missing "python3 is not installed (needed for tests/$group/$name)"
    python3 -c 'import venv, ensurepip' >/dev/null 2>&1 ||
        missing "python3 has no venv or ensurepip (install python3-venv; needed for tests/$group/$name)"
    pins=$(grep -v '^ *#' "$reqs" | grep -v '^ *$' | tr '\n' ' ') || fail "cannot read $reqs"
    install_locked "$group" "$name" \
        "${pins}python=$(python3 -c 'import sys; print(sys.version.split()[0])') at $(command -v python3)" \
        pip_venv "$reqs"
}

pip_venv() {
    export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
    # --clear: a run that failed half-way may have left a broken venv behind.
    python3 -m venv --clear "$dir/venv" >&2 ||
        fail "python3 -m venv $dir/venv failed (is python3-venv installed?)"
    # --no-deps: the requirements file is the whole tree, every version exact.
    "$dir/venv/bin/python" -m pip install -q --no-deps -r "$1" >&2 ||
        fail "pip install -r $1 failed"
    "$dir/venv/bin/python" -m pip check >&2 ||
        fail "the pins of $1 do not satisfy each other (pip check)"
}
