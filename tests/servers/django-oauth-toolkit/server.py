"""django-oauth-toolkit on 127.0.0.1, for the real-server tests (tests/servers.rs).

A Django project in one file, set up as DOT's documentation sets one up: the provider's URLs
mounted under /o/ (`path("o/", include("oauth2_provider.urls"))`), OpenID Connect enabled with an
RSA key made at start, a throwaway sqlite database migrated at start and filled with the
applications a tenant would have. The resource owner is always signed in (a one-line middleware,
as the Authlib server's USER), so that the authorization endpoint judges the request instead of
sending every case to a login page. The provider's views answer as they come: nothing is patched.

Prints one JSON line when ready: {"url", "target", "undiscovered", "vars", "secrets"}: `target`
is where the discovery document is (the issuer, under /o), `undiscovered` the endpoint variables
that its OpenID discovery document does not list (so the tests pass them as URLs). Serves until
stdin reaches EOF or a SIGTERM/SIGINT.
"""

import base64
import json
import os
import secrets
import shutil
import signal
import socketserver
import sys
import tempfile
import threading
import urllib.parse
from datetime import timedelta
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import django
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings

REDIRECT_URI = "https://app.authconform.test/callback"
DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
DB_DIR = tempfile.mkdtemp(prefix="authconform-dot-")


def private_key_pem():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def pkce_required(client_id):
    # PKCE for public clients only, as RFC 9700 section 2.1.1 asks: DOT's default requires it of
    # every client, and the rfc cases send no code_challenge, so under that default every
    # authorization request of the confidential client would be refused as invalid_request
    # before the point the case tests.
    from oauth2_provider.models import get_application_model

    app = get_application_model().objects.filter(client_id=client_id).first()
    return app is None or app.client_type == app.CLIENT_PUBLIC


settings.configure(
    DEBUG=False,
    SECRET_KEY=secrets.token_urlsafe(32),
    ALLOWED_HOSTS=["127.0.0.1", "localhost", "testserver"],
    ROOT_URLCONF="__main__",
    USE_TZ=True,
    INSTALLED_APPS=[
        "django.contrib.auth",
        "django.contrib.contenttypes",
        "django.contrib.sessions",
        "oauth2_provider",
    ],
    MIDDLEWARE=[
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "__main__.signed_in",
    ],
    TEMPLATES=[
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "APP_DIRS": True,
            "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
        }
    ],
    DATABASES={
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.path.join(DB_DIR, "db.sqlite3"),
            # The server is threaded: a writer waits for another instead of failing.
            "OPTIONS": {"timeout": 20},
        }
    },
    PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
    LOGGING_CONFIG=None,
    OAUTH2_PROVIDER={
        "OIDC_ENABLED": True,
        "OIDC_RSA_PRIVATE_KEY": private_key_pem(),
        "SCOPES": {
            "openid": "OpenID Connect",
            "profile": "Profile",
            "read": "Read",
            "write": "Write",
        },
        "PKCE_REQUIRED": pkce_required,
    },
)
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import include, path  # noqa: E402
from django.utils import timezone  # noqa: E402
from oauth2_provider.models import (  # noqa: E402
    get_application_model,
    get_device_grant_model,
)

urlpatterns = [path("o/", include("oauth2_provider.urls"))]

USER = None  # set once the database exists


def signed_in(get_response):
    # The resource owner has a session on every request, as a user at the consent page would.
    def middleware(request):
        if not request.user.is_authenticated:
            request.user = USER
        return get_response(request)

    return middleware


def applications():
    """The applications a tenant would have; returns (name -> client_id, name -> secret)."""
    Application = get_application_model()
    ids, secrets_ = {}, {}

    def add(name, client_type, grant, redirect_uris=""):
        secret = secrets.token_urlsafe(24) if client_type == Application.CLIENT_CONFIDENTIAL else ""
        client_id = f"authconform-{name}"
        Application.objects.create(
            name=name,
            client_id=client_id,
            client_secret=secret,
            client_type=client_type,
            authorization_grant_type=grant,
            redirect_uris=redirect_uris,
            algorithm=Application.RS256_ALGORITHM,
            user=USER,
        )
        ids[name], secrets_[name] = client_id, secret

    confidential, public = Application.CLIENT_CONFIDENTIAL, Application.CLIENT_PUBLIC
    # DOT gives an application one grant type; authorization-code brings refresh_token with it.
    add("client", confidential, Application.GRANT_AUTHORIZATION_CODE, REDIRECT_URI)
    add("restricted", confidential, Application.GRANT_CLIENT_CREDENTIALS, REDIRECT_URI)
    add("implicit", public, Application.GRANT_IMPLICIT, REDIRECT_URI)
    add("device", public, Application.GRANT_DEVICE_CODE)
    # A confidential web app (HTTP Basic) that is not allowed client_credentials.
    add("no-cc", confidential, Application.GRANT_AUTHORIZATION_CODE, REDIRECT_URI)
    return ids, secrets_


def post(browser, path, form, **headers):
    # A form as a browser or an OAuth client sends it (the test client's default is multipart).
    return browser.post(
        path,
        urllib.parse.urlencode(form),
        content_type="application/x-www-form-urlencoded",
        **headers,
    )


def device_codes(browser, client_id):
    """Pending, expired, denied and a second expired device code of `client_id`, made through
    DOT's own views."""

    def start():
        answer = post(browser, "/o/device-authorization/", {"client_id": client_id, "scope": "openid"})
        assert answer.status_code == 200, answer.content
        return answer.json()

    pending, expired, denied, twice_expired = start(), start(), start(), start()
    # Denied: the user enters the code and presses deny, on DOT's verification pages.
    answer = post(browser, "/o/device/", {"user_code": denied["user_code"]})
    assert answer.status_code == 302, answer.content
    answer = post(browser, answer["Location"], {"action": "deny"})
    assert answer.status_code == 302, answer.content
    # Expired: no request can age a code, so the store moves its expiry into the past (what the
    # clock does to every code after its expires_in).
    grants = get_device_grant_model().objects
    grants.filter(device_code__in=[expired["device_code"], twice_expired["device_code"]]).update(
        expires=timezone.now() - timedelta(minutes=1)
    )
    assert grants.get(device_code=denied["device_code"]).status == "denied"
    return pending, expired, denied, twice_expired


class ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *_):
        pass


def main():
    global USER

    def stop(*_):
        shutil.rmtree(DB_DIR, ignore_errors=True)
        # os._exit: the request threads and the serving thread need no goodbye.
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    call_command("migrate", verbosity=0, interactive=False)
    USER = get_user_model().objects.create_user("alice", password=secrets.token_urlsafe(16))
    ids, client_secrets = applications()

    httpd = make_server(
        "127.0.0.1",
        int(os.environ.get("PORT") or 0),
        get_wsgi_application(),
        server_class=ThreadingWSGIServer,
        handler_class=QuietHandler,
    )
    origin = f"http://127.0.0.1:{httpd.server_port}"
    threading.Thread(target=httpd.serve_forever, daemon=True).start()

    # The start-up requests go through Django's test client: the same views, no socket.
    browser = Client(HTTP_HOST=f"127.0.0.1:{httpd.server_port}")
    browser.force_login(USER)
    pending, expired, denied, twice_expired = device_codes(browser, ids["device"])
    # A token without `openid`, which userinfo requires: client_credentials for scope read.
    answer = post(
        Client(),
        "/o/token/",
        {"grant_type": "client_credentials", "scope": "read"},
        HTTP_AUTHORIZATION="Basic "
        + base64.b64encode(f"{ids['restricted']}:{client_secrets['restricted']}".encode()).decode(),
    )
    assert answer.status_code == 200, answer.content
    insufficient_scope_token = answer.json()["access_token"]

    ready = {
        "url": origin,
        "target": f"{origin}/o",
        # DOT's OpenID discovery document lists neither of these.
        "undiscovered": ["revocation_endpoint", "device_authorization_endpoint"],
        "vars": {
            "token_endpoint": f"{origin}/o/token/",
            "authorization_endpoint": f"{origin}/o/authorize/",
            "revocation_endpoint": f"{origin}/o/revoke_token/",
            "userinfo_endpoint": f"{origin}/o/userinfo/",
            "device_authorization_endpoint": f"{origin}/o/device-authorization/",
            "client_id": ids["client"],
            "redirect_uri": REDIRECT_URI,
            "restricted_client_id": ids["restricted"],
            "implicit_client_id": ids["implicit"],
            "device_client_id": ids["device"],
            "cc_refused_client_id": ids["no-cc"],
        },
        # No unrevocable_token: DOT (through oauthlib) revokes access and refresh tokens alike,
        # and answers unsupported_token_type only for a token_type_hint it does not know. No
        # slow_down_device_code: DOT never answers slow_down (its token view says so, a TODO).
        "secrets": {
            "client_secret": client_secrets["client"],
            "restricted_client_secret": client_secrets["restricted"],
            "cc_refused_client_secret": client_secrets["no-cc"],
            "pending_device_code": pending["device_code"],
            "expired_device_code": expired["device_code"],
            "denied_device_code": denied["device_code"],
            # The auth0 profile polls a second expired code twice (expired_token, then
            # invalid_grant on Auth0).
            "twice_expired_device_code": twice_expired["device_code"],
            "insufficient_scope_token": insufficient_scope_token,
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
