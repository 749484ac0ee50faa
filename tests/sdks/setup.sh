#!/usr/bin/env bash
# Installs one of Auth0's own SDKs that tests/sdks.rs drives against `authconform serve`:
#   tests/sdks/setup.sh python   a virtualenv with auth0-python and the exact pins of
#                                tests/sdks/python/requirements.txt
#   tests/sdks/setup.sh node     @auth0/auth0-auth-js, by `npm ci` from the committed
#                                tests/sdks/node/package-lock.json
# into ${AUTHCONFORM_TEST_TOOLS:-<repo>/target/test-tools}/sdks/NAME; nothing fetched is
# committed. How (idempotent, locked, stdout the install dir): tests/install-lib.sh.
# Exit codes: 0 ready; 1 the install failed; 2 usage; 3 the runtime (python3, or node and npm) is
# missing, with a one-line reason on stderr (the tests skip on 3).
set -euo pipefail
script=tests/sdks/setup.sh
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
# shellcheck source=../install-lib.sh
source "$here/../install-lib.sh"

case ${1:-} in
python) install_pip sdks python "$here/python/requirements.txt" ;;
node) install_npm sdks node "$here/node" ;;
*)
    echo "usage: $script python|node" >&2
    exit 2
    ;;
esac
