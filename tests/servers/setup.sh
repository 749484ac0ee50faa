#!/usr/bin/env bash
# Installs one of the real OAuth servers that the integration tests run on loopback (see
# tests/servers.rs):
#   tests/servers/setup.sh oidc-provider   node's oidc-provider, by `npm ci` from the committed
#                                          tests/servers/oidc-provider/package-lock.json
#   tests/servers/setup.sh authlib         a virtualenv with the exact pins of
#                                          tests/servers/authlib/requirements.txt
#   tests/servers/setup.sh django-oauth-toolkit
#                                          the same, from
#                                          tests/servers/django-oauth-toolkit/requirements.txt
#   tests/servers/setup.sh node-oauth2-server
#                                          @node-oauth/oauth2-server and its express adapter, by
#                                          `npm ci` from tests/servers/node-oauth2-server/
# into ${AUTHCONFORM_TEST_TOOLS:-<repo>/target/test-tools}/servers/NAME; nothing fetched is
# committed. How (idempotent, locked, stdout the install dir): tests/install-lib.sh.
# Exit codes: 0 ready; 1 the install failed; 2 usage; 3 the runtime (node and npm, or python3) is
# missing, with a one-line reason on stderr (the tests skip on 3).
set -euo pipefail
script=tests/servers/setup.sh
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
# shellcheck source=../install-lib.sh
source "$here/../install-lib.sh"

case ${1:-} in
oidc-provider) install_npm servers oidc-provider "$here/oidc-provider" ;;
authlib) install_pip servers authlib "$here/authlib/requirements.txt" ;;
django-oauth-toolkit) install_pip servers django-oauth-toolkit "$here/django-oauth-toolkit/requirements.txt" ;;
node-oauth2-server) install_npm servers node-oauth2-server "$here/node-oauth2-server" ;;
*)
    echo "usage: $script oidc-provider|authlib|django-oauth-toolkit|node-oauth2-server" >&2
    exit 2
    ;;
esac
