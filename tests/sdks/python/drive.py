"""Drives auth0-python against `authconform serve`, as an app would, and prints what the app sees.

Reads one JSON object on stdin:
    {"url": "https://127.0.0.1:PORT", "ca": "/path/ca.pem" or null,
     "vars": {"client_id": ..., ...}, "secrets": {"client_secret": ..., ...}}
and makes a fixed list of calls with the SDK's public API only (GetToken, RevokeToken, Database,
Delegated, Passwordless, Users, BackChannelLogin, PushedAuthorizationRequests,
AsymmetricSignatureVerifier), one call per row of the Standard Error Responses table and of the
table of errors per endpoint that the SDK can provoke (`row` is the seed row's name or the
endpoint row's id), plus the calls that must succeed. For each call it prints one JSON line:
    {"sdk": "python", "call": NAME, "row": ROW or null, "outcome": "ok" | "error",
     "class": ..., "code": ..., "status": ..., "description": ...}
with "fields" when the error carries more for the app (mfa_required's body, a 401's
WWW-Authenticate), and for the rate-limited calls "rate_limit": {"reset_at": ..., "headers": {...}}. Secrets are
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
    from auth0.authentication import Database, Delegated, GetToken, Passwordless, RevokeToken, Users
    from auth0.authentication.back_channel_login import BackChannelLogin
    from auth0.authentication.pushed_authorization_requests import PushedAuthorizationRequests
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
    # The confidential regular web app (under `$app`): a server-side app's own client.
    web = lambda cls: sdk(cls, v["web_client_id"], s["web_client_secret"])  # noqa: E731
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

    def until_blocked(wrong, call):
        # Brute-force protection: `wrong` refused logins in a row (each must be the wrong-password
        # answer), then the one that counts.
        for attempt in range(1, wrong + 2):
            try:
                call()
            except Auth0Error as e:
                if attempt > wrong or e.error_code != "invalid_grant":
                    e.attempt = attempt
                    raise
                continue
            raise RuntimeError(f"login {attempt} passed")
        return {"attempts": wrong + 1}

    def signup(email, new_password, connection=db):
        return spa(Database).signup(email, new_password, connection)

    # Meets the default policy (8 characters, 3 kinds), so only the user or the word is refused.
    strong = f"Str0ng-{run}!"
    # A CIBA login_hint as Auth0 wants it: a JSON iss_sub object.
    hint = lambda sub: json.dumps({"format": "iss_sub", "iss": f"{url}/", "sub": sub})  # noqa: E731
    ciba = lambda: sdk(BackChannelLogin, v["ciba_client_id"], s["ciba_client_secret"])  # noqa: E731
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
            # The web app has no client_credentials grant.
            "client-credentials-web-app",
            "unauthorized_client",
            lambda: web(GetToken).client_credentials(audience),
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
        # The table of errors per endpoint (cases/auth0/endpoint-errors.json).
        # The ids the server makes change from run to run: only the flag is recorded.
        (
            "signup",
            None,
            lambda: {"email_verified": signup(f"new-{run}@example.com", strong)["email_verified"]},
        ),
        (
            "signup-existing-user",
            "signup-invalid-signup",
            lambda: signup(v["existing_user_email"], strong),
        ),
        ("signup-user-exists", "signup-user-exists", lambda: signup(v["user_exists_email"], strong)),
        (
            "signup-weak-password",
            "signup-password-strength",
            lambda: signup(f"new-{run}@example.com", "weak"),
        ),
        (
            # A password from every dictionary (the server's fixed one).
            "signup-dictionary-password",
            "signup-password-dictionary",
            lambda: signup(f"new-{run}@example.com", "P@ssw0rd", v["dictionary_connection"]),
        ),
        (
            "signup-password-with-user-info",
            "signup-password-no-user-info",
            lambda: signup(
                f"jane-{run}@example.com", f"Jane-{run}-X9!", v["personal_data_connection"]
            ),
        ),
        (
            "passwordless-email",
            None,
            lambda: {
                "email_verified": spa(Passwordless).email(f"otp-{run}@example.com")["email_verified"]
            },
        ),
        (
            # Passwordless.sms always names the connection `sms`, which the tenant lacks.
            "passwordless-sms-no-connection",
            "passwordless-bad-connection",
            lambda: spa(Passwordless).sms("+15555550100"),
        ),
        (
            # An app whose client id setting is empty.
            "passwordless-no-client-id",
            "passwordless-bad-client-id",
            lambda: sdk(Passwordless, None).email(f"otp-{run}@example.com"),
        ),
        (
            "passwordless-bad-email",
            "passwordless-bad-email",
            lambda: spa(Passwordless).email(f"not-an-email-{run}"),
        ),
        (
            "passwordless-confidential-without-secret",
            "passwordless-client-authentication",
            lambda: sdk(Passwordless, v["client_id"]).email(f"otp-{run}@example.com"),
        ),
        (
            "passwordless-login-wrong-code",
            "passwordless-otp-wrong-code",
            lambda: spa(GetToken).passwordless_login(
                f"otp-{run}@example.com", "000000", v["passwordless_connection"], "openid", audience
            ),
        ),
        (
            # The tenant's 401 from /userinfo is plain text, with the error in WWW-Authenticate.
            "userinfo-invalid-token",
            "userinfo-unauthorized",
            lambda: Users(domain, timeout=SDK_TIMEOUT, protocol=protocol).userinfo(
                f"not-a-token-{run}"
            ),
        ),
        (
            # The default login(): scope, audience and realm sent as null.
            "login-wrong-password",
            "token-password-realm-wrong-password",
            lambda: spa(GetToken).login(user, password),
        ),
        (
            "authorization-code-unknown",
            "token-invalid-authorization-code",
            lambda: web(GetToken).authorization_code(f"unknown-code-{run}", v["redirect_uri"]),
        ),
        (
            "authorization-code-wrong-verifier",
            "token-code-verifier",
            lambda: spa(GetToken).authorization_code_pkce(
                f"wrong-verifier-{run}-0123456789-abcdefghijklmnop",
                s["pkce_code"],
                v["redirect_uri"],
            ),
        ),
        (
            "refresh-token-deleted-user",
            "token-refresh-token-user-gone",
            lambda: spa(GetToken).refresh_token(s["deleted_user_refresh_token"]),
        ),
        (
            "login-mfa-user",
            "mfa-required",
            lambda: spa(GetToken).login(v["mfa_username"], s["mfa_password"], realm=db),
        ),
        (
            "login-breached-password",
            "attack-password-leaked",
            lambda: spa(GetToken).login(v["breached_username"], s["breached_password"], realm=db),
        ),
        (
            "login-after-ten-wrong-passwords",
            "attack-too-many-attempts",
            lambda: until_blocked(
                10, lambda: spa(GetToken).login(v["brute_force_username"], password, realm=db)
            ),
        ),
        (
            "ciba-unknown-user",
            "ciba-unknown-user-id",
            lambda: ciba().back_channel_login("Sign in?", hint(f"auth0|nobody-{run}"), "openid"),
        ),
        (
            "ciba-without-openid",
            "ciba-openid-scope",
            lambda: ciba().back_channel_login("Sign in?", hint(v["ciba_user_id"]), "profile"),
        ),
        (
            "par-with-request-uri",
            "par-request-uri-pushed",
            lambda: sdk(
                PushedAuthorizationRequests, v["par_client_id"], s["par_client_secret"]
            ).pushed_authorization_request(
                "code", v["redirect_uri"], request_uri=f"urn:ietf:params:oauth:request_uri:{run}"
            ),
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
        if isinstance(text, list):
            return [mask(x) for x in text]
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
            # What else the app can read off the error: the body's other members (mfa_required
            # only), and the Bearer challenge of a 401.
            fields = {}
            if isinstance(e.content, dict):
                fields.update(
                    (k, x) for k, x in e.content.items() if k not in ("error", "error_description")
                )
            challenge = (e.headers or {}).get("www-authenticate")
            if challenge is not None:
                fields["www-authenticate"] = challenge
            if fields:
                line["fields"] = fields
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
