"""Drives auth0-python against `authconform serve`, as an app would, and prints what the app sees.

Reads one JSON object on stdin:
    {"url": "https://127.0.0.1:PORT", "ca": "/path/ca.pem" or null,
     "vars": {"client_id": ..., ...}, "secrets": {"client_secret": ..., ...}}
and makes a fixed list of calls with the SDK's public API only (GetToken, RevokeToken, Database,
Delegated, AsymmetricSignatureVerifier), one call per row of the Standard Error Responses table that the SDK
can provoke, plus the calls that must succeed. For each call it prints one JSON line:
    {"sdk": "python", "call": NAME, "row": ROW or null, "outcome": "ok" | "error",
     "class": ..., "code": ..., "status": ..., "description": ...}
and for the rate-limited calls "rate_limit": {"reset_at": ..., "headers": {...}}. Secrets are
never printed: every secret value is masked in every string that goes out. A call that hangs is
reported as a timeout after CALL_TIMEOUT seconds and the next call goes on.

Installed by tests/sdks/setup.sh python; run by tests/sdks.rs.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import uuid
from urllib.parse import urlsplit

SDK_TIMEOUT = 5.0  # the SDK's own timeout on each request (connect and read)
CALL_TIMEOUT = 20.0  # a whole call, bursts included


def main() -> int:
    given = json.load(sys.stdin)
    url = given["url"].rstrip("/")
    if given.get("ca"):
        # What an app is told to do: requests trusts the CA file named here.
        os.environ["REQUESTS_CA_BUNDLE"] = given["ca"]
    # Imported after REQUESTS_CA_BUNDLE is set, as an app started with it would.
    from auth0.authentication import Database, Delegated, GetToken, RevokeToken, Users
    from auth0.authentication.token_verifier import AsymmetricSignatureVerifier
    from auth0.authentication.exceptions import Auth0Error, RateLimitError

    v = given["vars"]
    s = given["secrets"]
    split = urlsplit(url)
    protocol, domain = split.scheme, split.netloc
    run = uuid.uuid4().hex[:8]
    masks = sorted((x for x in s.values() if x), key=len, reverse=True)

    def sdk(cls, client_id, client_secret=None):
        return cls(
            domain,
            client_id,
            client_secret=client_secret,
            timeout=SDK_TIMEOUT,
            protocol=protocol,
        )

    m2m = lambda cls: sdk(cls, v["client_id"], s["client_secret"])  # noqa: E731
    spa = lambda cls: sdk(cls, v["public_client_id"])  # noqa: E731
    audience = v["audience"]
    db = v["db_connection"]
    user = f"nobody-{run}@example.com"
    password = f"not-a-password-{run}"

    state: dict[str, str] = {}

    def client_credentials():
        token = m2m(GetToken).client_credentials(audience)
        state["access_token"] = token["access_token"]
        return {"token_type": token.get("token_type")}

    def verify_access_token():
        # What an API does with the token: its signature, by the key in the tenant's JWKS.
        if "access_token" not in state:
            raise RuntimeError("no access token: client-credentials failed")
        verifier = AsymmetricSignatureVerifier(f"{url}/.well-known/jwks.json")
        claims = verifier.verify_signature(state["access_token"])
        return {"aud": claims.get("aud"), "gty": claims.get("gty")}

    def burst(n, call):
        # The first n-1 must pass; the answer that counts is the n-th (or the first refusal).
        for attempt in range(1, n + 1):
            try:
                call()
            except Exception as e:  # noqa: BLE001
                e.attempt = attempt
                raise
        return {"attempts": n}

    limited = sdk(GetToken, v["limited_client_id"], s["limited_client_secret"])
    burst_email = f"ratelimit-{run}@example.com"

    # (call, row of the table or None, function). A call named as a catalogue case
    # (cases/auth0/**) sends what that case sends, as far as the SDK lets it.
    calls = [
        ("client-credentials", None, client_credentials),
        ("verify-access-token", None, verify_access_token),
        (
            "login-missing-username",
            "invalid_request",
            lambda: spa(GetToken).login("", password, realm=db),
        ),
        (
            "revoke-missing-token",
            "invalid_request",
            lambda: m2m(RevokeToken).revoke_refresh_token(""),
        ),
        (
            "change-password-unknown-connection",
            "invalid_request",
            lambda: spa(Database).change_password(user, f"No-Such-Connection-{run}"),
        ),
        (
            "invalid-scope-action",
            "invalid_scope",
            lambda: m2m(GetToken).client_credentials(v["invalid_scope_audience"]),
        ),
        (
            "scope-boolean",
            "scope type",
            lambda: spa(GetToken).login(user, password, scope=True, realm=db),
        ),
        (
            "wrong-client-secret",
            "invalid_client",
            lambda: sdk(GetToken, v["client_id"], f"wrong-{run}").client_credentials(audience),
        ),
        (
            "unknown-client",
            "invalid_client",
            lambda: sdk(GetToken, f"unknown-client-{run}", f"unknown-secret-{run}").client_credentials(
                audience
            ),
        ),
        (
            "revoke-wrong-client-secret",
            "invalid_client",
            lambda: sdk(RevokeToken, v["client_id"], f"wrong-{run}").revoke_refresh_token(
                f"unknown-refresh-token-{run}"
            ),
        ),
        (
            "client-credentials-public-client",
            "unauthorized_client",
            lambda: spa(GetToken).client_credentials(audience),
        ),
        (
            "password-realm-not-allowed",
            "unauthorized_client",
            lambda: m2m(GetToken).login(user, password, realm=db),
        ),
        (
            "ungranted-audience",
            "access_denied",
            lambda: m2m(GetToken).client_credentials(v["ungranted_audience"]),
        ),
        (
            "unknown-audience",
            "access_denied",
            lambda: m2m(GetToken).client_credentials(
                f"https://does-not-exist-{run}.authconform.invalid/"
            ),
        ),
        (
            "refresh-token-unknown",
            "refresh token",
            lambda: spa(GetToken).refresh_token(f"unknown-{run}"),
        ),
        (
            "refresh-token-unknown-confidential",
            "refresh token",
            lambda: m2m(GetToken).refresh_token(f"unknown-{run}"),
        ),
        (
            # The legacy delegation endpoint, which tenants made since 2017 have disabled.
            "delegation-disabled",
            "endpoint_disabled",
            lambda: m2m(Delegated).get_token(
                v["client_id"],
                "app",
                "urn:ietf:params:oauth:grant-type:jwt-bearer",
                id_token=f"not-an-id-token-{run}",
            ),
        ),
        (
            "rate-limited-client",
            "too_many_requests",
            lambda: burst(4, lambda: limited.client_credentials(audience)),
        ),
        (
            "change-password-burst",
            "too_many_requests",
            lambda: burst(11, lambda: spa(Database).change_password(burst_email, db)),
        ),
        (
            "server-error-action",
            "server error",
            lambda: m2m(GetToken).client_credentials(v["server_error_audience"]),
        ),
        (
            "temporarily-unavailable",
            "temporarily_unavailable",
            lambda: m2m(GetToken).client_credentials(v["unavailable_audience"]),
        ),
        # Not rows of the table, but what every app meets: the default login() (scope, audience
        # and realm sent as null), an authorization code, a password reset, a revocation.
        (
            # What an app that calls /userinfo with a token the tenant refuses gets: the
            # tenant's 401 is plain text, with the error in WWW-Authenticate.
            "userinfo-invalid-token",
            None,
            lambda: Users(domain, timeout=SDK_TIMEOUT, protocol=protocol).userinfo(
                f"not-a-token-{run}"
            ),
        ),
        (
            "login-wrong-password",
            None,
            lambda: spa(GetToken).login(user, password),
        ),
        (
            "authorization-code-unknown",
            None,
            lambda: m2m(GetToken).authorization_code(f"unknown-code-{run}", v["redirect_uri"]),
        ),
        (
            "change-password",
            None,
            lambda: spa(Database).change_password(f"reset-{run}@example.com", db),
        ),
        (
            "revoke",
            None,
            lambda: m2m(RevokeToken).revoke_refresh_token(f"unknown-refresh-token-{run}"),
        ),
    ]

    def mask(text):
        if isinstance(text, dict):
            return {k: mask(x) for k, x in text.items()}
        if not isinstance(text, str):
            return text
        for secret in masks:
            text = text.replace(secret, "***")
        # The origin and this run's id change from run to run; what is recorded must not.
        return text.replace(url, "{url}").replace(domain, "{domain}").replace(run, "{run}")

    def describe(name, row, fn):
        line = {"sdk": "python", "call": name, "row": row}
        box: dict = {}

        def target():
            try:
                box["result"] = fn()
            except BaseException as e:  # noqa: BLE001
                box["error"] = e

        worker = threading.Thread(target=target, daemon=True)
        worker.start()
        worker.join(CALL_TIMEOUT)
        if worker.is_alive():
            line.update(
                outcome="error",
                **{"class": "Timeout"},
                code=None,
                status=None,
                description=f"no answer within {CALL_TIMEOUT:g} s",
            )
            return line
        if "error" not in box:
            result = box.get("result")
            line.update(outcome="ok", **{"class": None}, code=None, status=None, description=None)
            if isinstance(result, dict) and result:
                line["detail"] = mask(result)
            return line
        e = box["error"]
        line["outcome"] = "error"
        line["class"] = type(e).__name__
        if isinstance(e, Auth0Error):
            line.update(code=e.error_code, status=e.status_code, description=e.message)
            if isinstance(e, RateLimitError) or e.status_code == 429:
                headers = e.headers or {}
                line["rate_limit"] = {
                    "reset_at": getattr(e, "reset_at", None),
                    "headers": {
                        h: headers.get(h)
                        for h in (
                            "x-ratelimit-limit",
                            "x-ratelimit-remaining",
                            "x-ratelimit-reset",
                            "retry-after",
                        )
                        if headers.get(h) is not None
                    },
                }
        else:
            line.update(code=None, status=None, description=str(e)[:300])
        if getattr(e, "attempt", None) is not None:
            line["attempt"] = e.attempt
        return {k: mask(x) if k != "rate_limit" else x for k, x in line.items()}

    for name, row, fn in calls:
        print(json.dumps(describe(name, row, fn)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
