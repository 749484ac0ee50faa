#!/usr/bin/env bash
# Prepares the Python tools that judge authconform's JUnit reports in the
# integration tests (see tests/pytools.rs): a virtualenv with xmlschema,
# junitparser and PyYAML (to read the workflow `init` writes), and Jenkins
# xunit's junit-10.xsd taken from the pytest sdist.
# Nothing fetched here is committed; everything lands in the tools dir:
#   ${AUTHCONFORM_TEST_TOOLS:-<repo>/target/test-tools}
# Idempotent (a stamp written last marks a finished setup) and safe to run
# from several test processes at once (flock). Progress and errors go to
# stderr; the last line on stdout is the tools dir's absolute path.
set -euo pipefail

XMLSCHEMA_VERSION=4.3.2
JUNITPARSER_VERSION=5.0.3
PYYAML_VERSION=6.0.3
PYTEST_VERSION=8.4.2
XSD_MEMBER="pytest-${PYTEST_VERSION}/testing/example_scripts/junit-10.xsd"
# The sdist on PyPI cannot change under a version, so a different file means
# something other than what the tests were written against.
XSD_SHA256=a1a816f58d1bf95ebabf371994df0b9246dee66ea9572fbec4f9296f1b2c0ff6
# The stamp holds the pins, so changing a pin redoes the setup.
STAMP_CONTENT="xmlschema==${XMLSCHEMA_VERSION} junitparser==${JUNITPARSER_VERSION} pyyaml==${PYYAML_VERSION} pytest==${PYTEST_VERSION} xsd=${XSD_SHA256}"

fail() {
    echo "tests/tools/setup.sh: $*" >&2
    exit 1
}

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
tools=${AUTHCONFORM_TEST_TOOLS:-$repo/target/test-tools}
mkdir -p "$tools" || fail "cannot create the tools dir $tools"
tools=$(cd "$tools" && pwd -P)
stamp=$tools/.stamp

exec 9>"$tools/.lock" || fail "cannot open the lock file $tools/.lock"
flock 9 || fail "cannot lock $tools/.lock"

if [[ -f $stamp && $(<"$stamp") == "$STAMP_CONTENT" ]]; then
    echo "$tools"
    exit 0
fi

rm -f "$stamp"
echo "tests/tools/setup.sh: preparing $tools" >&2

export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1

# --clear: a run that failed half-way may have left a broken venv behind.
python3 -m venv --clear "$tools/venv" || fail "python3 -m venv $tools/venv failed (is python3-venv installed?)"
py=$tools/venv/bin/python
"$py" -m pip install -q "xmlschema==${XMLSCHEMA_VERSION}" "junitparser==${JUNITPARSER_VERSION}" "pyyaml==${PYYAML_VERSION}" ||
    fail "pip install xmlschema==${XMLSCHEMA_VERSION} junitparser==${JUNITPARSER_VERSION} pyyaml==${PYYAML_VERSION} failed"

tmp=$(mktemp -d "$tools/.download.XXXXXX") || fail "mktemp failed"
trap 'rm -rf "$tmp"' EXIT
# The XSD is only in the sdist (the wheel has no testing/), hence --no-binary.
"$py" -m pip download -q --no-deps --no-binary :all: "pytest==${PYTEST_VERSION}" -d "$tmp" ||
    fail "pip download pytest==${PYTEST_VERSION} (sdist) failed"
sdist=$tmp/pytest-${PYTEST_VERSION}.tar.gz
[[ -f $sdist ]] || fail "pip download did not produce $sdist"
tar -xzf "$sdist" -O "$XSD_MEMBER" >"$tmp/junit-10.xsd" || fail "cannot extract $XSD_MEMBER from $sdist"
echo "$XSD_SHA256  $tmp/junit-10.xsd" | sha256sum -c --status ||
    fail "$XSD_MEMBER from $sdist does not have the expected sha256 $XSD_SHA256"
mv -f "$tmp/junit-10.xsd" "$tools/junit-10.xsd" || fail "cannot move junit-10.xsd into $tools"

# Written last and renamed into place: its presence means all of the above is done.
{ echo "$STAMP_CONTENT" >"$tmp/stamp" && mv -f "$tmp/stamp" "$stamp"; } || fail "cannot write $stamp"
echo "tests/tools/setup.sh: ready" >&2
echo "$tools"
