"""Authlib's OAuth 2.0 authorization server (Flask integration) on 127.0.0.1, configured with the
clients and tokens that authconform's "rfc" profile provokes errors with.

    <venv>/bin/python server.py      (cwd anywhere; PORT optional, default 0 = any free port)

The venv is made by tests/servers/setup.sh authlib (Authlib and Flask pinned in
requirements.txt). When ready, prints ONE line of JSON on stdout:
{"url": ..., "vars": {...}, "secrets": {...}}. Logs go to stderr. Exits when stdin reaches EOF,
or on SIGTERM/SIGINT.

Authlib is a toolkit: the storage (here in memory) and a few hooks (which client may do what,
where codes and tokens live, when a device poll is too fast) are the application's, written as
its documentation says. Every error response is Authlib's own; none is made or changed here.
"""

import base64
import html
import json
import logging
import os
import secrets
import signal
import sys
import threading
import time
import urllib.parse
import urllib.request

from authlib.common.security import generate_token
from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.integrations.flask_oauth2 import ResourceProtector
from authlib.integrations.flask_oauth2 import current_token
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import AuthorizationCodeMixin
from authlib.oauth2.rfc6749 import ClientMixin
from authlib.oauth2.rfc6749 import TokenMixin
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.util import list_to_scope
from authlib.oauth2.rfc6749.util import scope_to_list
from authlib.oauth2.rfc6750 import BearerTokenValidator
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata
from authlib.oauth2.rfc8628 import DeviceAuthorizationEndpoint
from authlib.oauth2.rfc8628 import DeviceCodeGrant
from authlib.oauth2.rfc8628 import DeviceCredentialDict
from flask import Flask
from flask import jsonify
from flask import request
from werkzeug.serving import make_server

logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="authlib-server: %(message)s")

REDIRECT_URI = "https://app.authconform.test/callback"
DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
SCOPES = ["openid", "profile", "email", "read"]
# The scope /userinfo requires.
USERINFO_SCOPE = "openid"


class User:
    def __init__(self, user_id, name):
        self.id = user_id
        self.name = name


# The one resource owner, always signed in: this server has no login page.
USER = User("authconform-user", "Authconform User")
USERS = {USER.id: USER}


class Client(ClientMixin):
    def __init__(self, client_id, client_secret=None, *, token_endpoint_auth_method,
                 grant_types, response_types, redirect_uris, scope, secret_in_form_too=False):
        self.client_id = client_id
        self.client_secret = client_secret
        self.token_endpoint_auth_method = token_endpoint_auth_method
        self.secret_in_form_too = secret_in_form_too
        self.grant_types = grant_types
        self.response_types = response_types
        self.redirect_uris = redirect_uris
        self.scope = scope

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return self.redirect_uris[0] if self.redirect_uris else None

    def get_allowed_scope(self, scope):
        if not scope:
            return ""
        allowed = set(scope_to_list(self.scope))
        return list_to_scope([s for s in scope.split() if s in allowed])

    def check_redirect_uri(self, redirect_uri):
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret):
        return self.client_secret is not None and secrets.compare_digest(
            self.client_secret, client_secret
        )

    def check_endpoint_auth_method(self, method, endpoint):
        if endpoint == "token":
            return self.token_endpoint_auth_method == method or (
                self.secret_in_form_too and method == "client_secret_post"
            )
        return True

    def check_response_type(self, response_type):
        return response_type in self.response_types

    def check_grant_type(self, grant_type):
        return grant_type in self.grant_types


CLIENT_SECRET = generate_token(43)
RESTRICTED_CLIENT_SECRET = generate_token(43)
CC_REFUSED_CLIENT_SECRET = generate_token(43)
CLIENTS = {
    client.client_id: client
    for client in [
        # Confidential, client_secret_basic, authorization_code + refresh_token only.
        Client(
            "authconform-client",
            CLIENT_SECRET,
            token_endpoint_auth_method="client_secret_basic",
            # Also with its secret in the form, as Auth0's regular web apps send it (the auth0
            # profile's `web_client_id`).
            secret_in_form_too=True,
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
            redirect_uris=[REDIRECT_URI],
            scope="openid profile email",
        ),
        # Another confidential web app (HTTP Basic) that is not allowed client_credentials: the
        # premise of token/client-credentials-not-allowed.
        Client(
            "authconform-no-cc",
            CC_REFUSED_CLIENT_SECRET,
            token_endpoint_auth_method="client_secret_basic",
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
            redirect_uris=[REDIRECT_URI],
            scope="openid profile email",
        ),
        # Confidential, client_credentials only; no response types but a registered redirect URI.
        # (Authlib's ClientCredentialsGrant checks a requested scope against the server's
        # scopes_supported only, not against the client's own scope.)
        Client(
            "authconform-restricted",
            RESTRICTED_CLIENT_SECRET,
            token_endpoint_auth_method="client_secret_basic",
            # Also with its secret in the form, as Auth0's machine-to-machine clients send it
            # (the auth0 profile's `client_id`).
            secret_in_form_too=True,
            grant_types=["client_credentials"],
            response_types=[],
            redirect_uris=[REDIRECT_URI],
            scope="read",
        ),
        # Public web app (a SPA in Auth0's terms): authorization_code and refresh_token, no
        # secret (the auth0 profile's `public_client_id`).
        Client(
            "authconform-public",
            token_endpoint_auth_method="none",
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
            redirect_uris=[REDIRECT_URI],
            scope="openid profile email",
        ),
        # Public, implicit grant (response type `token`).
        Client(
            "authconform-implicit",
            token_endpoint_auth_method="none",
            grant_types=["implicit"],
            response_types=["token"],
            redirect_uris=[REDIRECT_URI],
            scope="openid profile",
        ),
        # Public, device authorization grant (RFC 8628).
        Client(
            "authconform-device",
            token_endpoint_auth_method="none",
            grant_types=[DEVICE_CODE_GRANT],
            response_types=[],
            redirect_uris=[],
            scope="openid profile",
        ),
    ]
}


class AuthorizationCode(AuthorizationCodeMixin):
    def __init__(self, code, client_id, redirect_uri, scope, user_id):
        self.code = code
        self.client_id = client_id
        self.redirect_uri = redirect_uri
        self.scope = scope
        self.user_id = user_id
        self.expires_at = time.time() + 300

    def get_redirect_uri(self):
        return self.redirect_uri

    def get_scope(self):
        return self.scope


class Token(TokenMixin):
    def __init__(self, client_id, user_id, access_token, token_type, scope=None, expires_in=3600,
                 refresh_token=None, **_):
        self.client_id = client_id
        self.user_id = user_id
        self.access_token = access_token
        self.token_type = token_type
        self.scope = scope
        self.expires_in = expires_in
        self.refresh_token = refresh_token
        self.issued_at = time.time()
        self.revoked = False

    def check_client(self, client):
        return self.client_id == client.get_client_id()

    def get_scope(self):
        return self.scope

    def get_expires_in(self):
        return self.expires_in

    def is_expired(self):
        return self.issued_at + self.expires_in < time.time()

    def is_revoked(self):
        return self.revoked


# In-memory storage, shared by the request threads.
lock = threading.Lock()
codes = {}  # code -> AuthorizationCode
tokens = {}  # access_token -> Token
refresh_tokens = {}  # refresh_token -> Token
device_credentials = {}  # device_code -> DeviceCredentialDict
user_grants = {}  # user_code -> (user, approved)


def query_client(client_id):
    return CLIENTS.get(client_id)


def save_token(token, req):
    item = Token(
        client_id=req.client.get_client_id(),
        user_id=req.user.id if req.user else None,
        **token,
    )
    with lock:
        tokens[item.access_token] = item
        if item.refresh_token:
            refresh_tokens[item.refresh_token] = item


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
    # "none" for the public client; each client may use its own method only.
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "none"]

    def save_authorization_code(self, code, req):
        with lock:
            codes[code] = AuthorizationCode(
                code, req.client.get_client_id(), req.payload.redirect_uri, req.scope, req.user.id
            )

    def query_authorization_code(self, code, client):
        item = codes.get(code)
        if item and item.client_id == client.get_client_id() and item.expires_at > time.time():
            return item
        return None

    def delete_authorization_code(self, authorization_code):
        with lock:
            codes.pop(authorization_code.code, None)

    def authenticate_user(self, authorization_code):
        return USERS.get(authorization_code.user_id)


class RefreshTokenGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token):
        item = refresh_tokens.get(refresh_token)
        if item and not item.revoked:
            return item
        return None

    def authenticate_user(self, refresh_token):
        return USERS.get(refresh_token.user_id)

    def revoke_old_credential(self, refresh_token):
        refresh_token.revoked = True


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]


class DeviceAuthorization(DeviceAuthorizationEndpoint):
    # RFC 8628's default polling interval; Authlib's default too, spelt out because the
    # slow_down hook below enforces it.
    INTERVAL = 5
    EXPIRES_IN = 1800

    def get_verification_uri(self):
        return f"{ORIGIN}/device"

    def save_device_credential(self, client_id, scope, data):
        with lock:
            device_credentials[data["device_code"]] = DeviceCredentialDict(
                client_id=client_id,
                scope=scope,
                expires_at=time.time() + data["expires_in"],
                **data,
            )


class DeviceGrant(DeviceCodeGrant):
    def query_device_credential(self, device_code):
        return device_credentials.get(device_code)

    def query_user_grant(self, user_code):
        return user_grants.get(user_code)

    def should_slow_down(self, credential):
        # Polled again before `interval` seconds passed: slow down, and (RFC 8628 section 3.5)
        # the interval grows by 5 seconds for this and all later requests.
        now = time.time()
        with lock:
            last = credential.get("last_polled_at")
            credential["last_polled_at"] = now
            if last is not None and now - last < credential["interval"]:
                credential["interval"] += 5
                return True
        return False


class Revocation(RevocationEndpoint):
    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def query_token(self, token_string, token_type_hint):
        if token_type_hint == "access_token":
            return tokens.get(token_string)
        if token_type_hint == "refresh_token":
            return refresh_tokens.get(token_string)
        return tokens.get(token_string) or refresh_tokens.get(token_string)

    def revoke_token(self, token, req):
        token.revoked = True


class Validator(BearerTokenValidator):
    def authenticate_token(self, token_string):
        return tokens.get(token_string)


app = Flask(__name__)
app.config.update(
    OAUTH2_SCOPES_SUPPORTED=SCOPES,
    OAUTH2_REFRESH_TOKEN_GENERATOR=True,
)
server = AuthorizationServer(app, query_client=query_client, save_token=save_token)
server.register_grant(AuthorizationCodeGrant)
server.register_grant(grants.ImplicitGrant)
server.register_grant(RefreshTokenGrant)
server.register_grant(ClientCredentialsGrant)
server.register_grant(DeviceGrant)
server.register_endpoint(Revocation)
server.register_endpoint(DeviceAuthorization)

require_oauth = ResourceProtector()
require_oauth.register_token_validator(Validator())

ORIGIN = None  # set once the socket is bound


@app.route("/authorize", methods=["GET", "POST"])
def authorize():
    # The resource owner is always signed in (USER). GET shows the consent page; POST with
    # confirm=yes grants, anything else denies.
    try:
        grant = server.get_consent_grant(end_user=USER)
    except OAuth2Error as error:
        return server.handle_error_response(request, error)
    if request.method == "GET":
        query = urllib.parse.urlencode(list(request.args.items(multi=True)))
        return (
            "<!DOCTYPE html><title>Authorize</title>"
            f"<form method='post' action='/authorize?{html.escape(query)}'>"
            f"<p>Allow {html.escape(grant.client.get_client_id())}?</p>"
            "<button name='confirm' value='yes'>Allow</button>"
            "<button name='confirm' value='no'>Deny</button></form>"
        )
    granted = request.form.get("confirm") == "yes"
    return server.create_authorization_response(grant_user=USER if granted else None, grant=grant)


@app.route("/token", methods=["POST"])
def issue_token():
    return server.create_token_response()


@app.route("/revoke", methods=["POST"])
def revoke_token():
    return server.create_endpoint_response(Revocation.ENDPOINT_NAME)


@app.route("/device_authorization", methods=["POST"])
def device_authorization():
    return server.create_endpoint_response(DeviceAuthorization.ENDPOINT_NAME)


@app.route("/device", methods=["GET", "POST"])
def device_verification():
    # The verification page (RFC 8628 section 3.3), for the signed-in USER: POST user_code and
    # decision=approve or deny.
    if request.method == "GET":
        user_code = request.args.get("user_code", "")
        return (
            "<!DOCTYPE html><title>Device</title><form method='post'>"
            f"<input name='user_code' value='{html.escape(user_code)}'>"
            "<button name='decision' value='approve'>Approve</button>"
            "<button name='decision' value='deny'>Deny</button></form>"
        )
    user_code = request.form.get("user_code", "")
    with lock:
        known = any(c["user_code"] == user_code for c in device_credentials.values())
        if known:
            user_grants[user_code] = (USER, request.form.get("decision") == "approve")
    return ("recorded\n", 200) if known else ("unknown user_code\n", 404)


@app.route("/userinfo", methods=["GET", "POST"])
@require_oauth(USERINFO_SCOPE)
def userinfo():
    user = USERS.get(current_token.user_id)
    if user is None:
        # A client_credentials token: no end user behind it.
        return jsonify(sub=current_token.client_id)
    return jsonify(sub=user.id, name=user.name)


def metadata():
    doc = AuthorizationServerMetadata(
        {
            "issuer": ORIGIN,
            "authorization_endpoint": f"{ORIGIN}/authorize",
            "token_endpoint": f"{ORIGIN}/token",
            "revocation_endpoint": f"{ORIGIN}/revoke",
            "device_authorization_endpoint": f"{ORIGIN}/device_authorization",
            # Not an RFC 8414 member, but where the bearer-protected resource is.
            "userinfo_endpoint": f"{ORIGIN}/userinfo",
            "scopes_supported": SCOPES,
            "response_types_supported": ["code", "token"],
            "response_modes_supported": ["query", "fragment"],
            "grant_types_supported": [
                "authorization_code",
                "implicit",
                "refresh_token",
                "client_credentials",
                DEVICE_CODE_GRANT,
            ],
            "token_endpoint_auth_methods_supported": [
                "client_secret_basic",
                "client_secret_post",
                "none",
            ],
            "revocation_endpoint_auth_methods_supported": [
                "client_secret_basic",
                "client_secret_post",
            ],
        }
    )
    doc.validate()
    return doc


# RFC 8414 only: this is an OAuth 2.0 server, not an OpenID Provider (no ID tokens), so
# /.well-known/openid-configuration is left to 404.
@app.route("/.well-known/oauth-authorization-server")
def discovery():
    return jsonify(dict(metadata()))


# Requests to itself at start-up: straight to 127.0.0.1, whatever *_proxy says.
direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def post(path, form, headers=None):
    req = urllib.request.Request(
        f"{ORIGIN}{path}",
        data=urllib.parse.urlencode(form).encode(),
        headers=headers or {},
        method="POST",
    )
    with direct.open(req, timeout=10) as response:
        return response.read().decode()


def main():
    global ORIGIN

    def stop(*_):
        # os._exit: the request threads and the serving thread need no goodbye.
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    httpd = make_server("127.0.0.1", int(os.environ.get("PORT") or 0), app, threaded=True)
    ORIGIN = f"http://127.0.0.1:{httpd.server_port}"
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    doc = metadata()

    def device_code():
        return json.loads(
            post("/device_authorization", {"client_id": "authconform-device", "scope": "openid"})
        )

    pending = device_code()
    slow_down = device_code()
    expired = device_code()
    denied = device_code()
    twice_expired = device_code()
    # Denied: the user presses Deny on the verification page.
    post("/device", {"user_code": denied["user_code"], "decision": "deny"})
    # Expired: no request can age a code, so the store moves its expiry into the past (what the
    # clock does to every code after EXPIRES_IN).
    with lock:
        for code in (expired, twice_expired):
            device_credentials[code["device_code"]]["expires_at"] = time.time() - 60

    # A token without USERINFO_SCOPE, from the token endpoint: client_credentials for scope read.
    basic = base64.b64encode(f"authconform-restricted:{RESTRICTED_CLIENT_SECRET}".encode())
    insufficient_scope_token = json.loads(
        post(
            "/token",
            {"grant_type": "client_credentials", "scope": "read"},
            {"Authorization": "Basic " + basic.decode()},
        )
    )["access_token"]

    ready = {
        "url": ORIGIN,
        "vars": {
            "token_endpoint": doc["token_endpoint"],
            "authorization_endpoint": doc["authorization_endpoint"],
            "revocation_endpoint": doc["revocation_endpoint"],
            "userinfo_endpoint": doc["userinfo_endpoint"],
            "client_id": "authconform-client",
            "redirect_uri": REDIRECT_URI,
            "restricted_client_id": "authconform-restricted",
            "implicit_client_id": "authconform-implicit",
            "device_client_id": "authconform-device",
            "cc_refused_client_id": "authconform-no-cc",
            # For the auth0 profile.
            "public_client_id": "authconform-public",
        },
        # No unrevocable_token: Authlib's RevocationEndpoint answers unsupported_token_type only
        # for a token_type_hint outside SUPPORTED_TOKEN_TYPES, never for a token itself; every
        # token it finds, it revokes.
        "secrets": {
            "client_secret": CLIENT_SECRET,
            "restricted_client_secret": RESTRICTED_CLIENT_SECRET,
            "cc_refused_client_secret": CC_REFUSED_CLIENT_SECRET,
            "pending_device_code": pending["device_code"],
            "slow_down_device_code": slow_down["device_code"],
            "expired_device_code": expired["device_code"],
            "denied_device_code": denied["device_code"],
            "insufficient_scope_token": insufficient_scope_token,
            "twice_expired_device_code": twice_expired["device_code"],
        },
    }
    sys.stdout.write(json.dumps(ready) + "\n")
    sys.stdout.flush()

    # Serve until stdin reaches EOF: a test that dies leaves no server behind.
    while sys.stdin.buffer.read(65536):
        pass
    stop()


if __name__ == "__main__":
    main()
