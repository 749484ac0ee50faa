//! Both profiles against real OAuth servers nobody here wrote (node oidc-provider and
//! @node-oauth/oauth2-server, Python Authlib and django-oauth-toolkit, installed from their
//! registries by tests/servers/setup.sh and started on loopback): the verdict of every case on
//! every server is recorded below, one table per server and profile, each failure with the
//! section of the RFC (or of Auth0's documented API) the server departs from. A verdict that
//! changes fails the test, which prints the rows to paste.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::servers::{RealServer, start};
use crate::util::{authconform, output, read_report};

/// The variables `profile` declares (its `cases/<profile>/variables.json`): a vars file naming any other is
/// refused, and the servers print variables that a later catalogue may declare.
fn declared(profile: &str) -> Vec<String> {
    let path = format!(
        "{}/cases/{profile}/variables.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let seed: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    seed["variables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap().to_owned())
        .collect()
}

/// What each server lacks, declared not applicable in its vars file as the server's team
/// would (`"NAME": {"not_applicable": "REASON"}`), so that the run can gate with
/// `--fail-on-skip`: a skip left over would be a variable forgotten. One file serves both
/// profiles; each run keeps the variables its profile declares.
const NOT_APPLICABLE: &[(&str, &[(&str, &str)])] = &[
    (
        "oidc-provider",
        &[
            (
                "implicit_client_id",
                "an OpenID Provider, it cannot be configured with the plain `token` response type",
            ),
            (
                "slow_down_device_code",
                "it never answers slow_down (RFC 8628 §3.5), whatever the polling rate",
            ),
            ("dpop_client_id", DPOP_OFF),
        ],
    ),
    (
        "authlib",
        &[
            ("unrevocable_token", "it revokes every token type it issues"),
            ("backchannel_authentication_endpoint", NO_CIBA),
            ("pushed_authorization_request_endpoint", NO_PAR),
            ("dpop_client_id", NO_DPOP),
        ],
    ),
    (
        "django-oauth-toolkit",
        &[
            (
                "slow_down_device_code",
                "it never answers slow_down (RFC 8628 §3.5; a TODO in its token view)",
            ),
            ("unrevocable_token", "it revokes every token type it issues"),
            ("backchannel_authentication_endpoint", NO_CIBA),
            ("pushed_authorization_request_endpoint", NO_PAR),
            ("dpop_client_id", NO_DPOP),
        ],
    ),
    (
        "node-oauth2-server",
        &[
            (
                "implicit_client_id",
                "its `token` response type is not implemented",
            ),
            ("device_authorization_endpoint", "no device flow (RFC 8628)"),
            ("device_client_id", "no device flow (RFC 8628)"),
            ("pending_device_code", "no device flow (RFC 8628)"),
            ("slow_down_device_code", "no device flow (RFC 8628)"),
            ("expired_device_code", "no device flow (RFC 8628)"),
            ("denied_device_code", "no device flow (RFC 8628)"),
            ("twice_expired_device_code", "no device flow (RFC 8628)"),
            ("revocation_endpoint", "no revocation endpoint (RFC 7009)"),
            ("unrevocable_token", "no revocation endpoint (RFC 7009)"),
            ("backchannel_authentication_endpoint", NO_CIBA),
            ("pushed_authorization_request_endpoint", NO_PAR),
            ("dpop_client_id", NO_DPOP),
        ],
    ),
];

/// Why a server without OpenID Connect CIBA has no backchannel authentication endpoint.
const NO_CIBA: &str = "no backchannel authentication (OpenID Connect CIBA Core 1.0)";

/// Why a server without RFC 9126 has no pushed authorization request endpoint.
const NO_PAR: &str = "no pushed authorization requests (RFC 9126)";

/// Why a server without RFC 9449 has no client that must send DPoP proofs.
const NO_DPOP: &str = "no DPoP (RFC 9449): no client must prove possession of a key";

/// Why oidc-provider, which has DPoP (RFC 9449) as a feature, runs with it off: both DPoP
/// cases ask a token for an Auth0 API `audience`, a parameter it does not have (it takes RFC
/// 8707's `resource`), so neither could judge its DPoP.
const DPOP_OFF: &str = "its DPoP (RFC 9449) stays off: both DPoP cases ask for an Auth0 API `audience`, which it has no such parameter for (it takes RFC 8707 `resource`)";

/// The rfc profile's vars file for `server`: what it printed, its endpoints left to discovery
/// where its document lists them.
fn rfc_vars(server: &RealServer) -> serde_json::Map<String, Value> {
    let mut file = serde_json::Map::new();
    for (name, value) in &server.vars {
        let discovered = server.discover && !server.undiscovered.contains(name);
        if !name.ends_with("_endpoint") {
            file.insert(name.clone(), Value::String(value.clone()));
        } else if !discovered {
            // An endpoint the user gives, in the form the docs advise: its path from the
            // origin's root (`/o/revoke_token/` under `--target http://host/o`).
            let url = url::Url::parse(value).unwrap();
            assert_eq!(url.origin().ascii_serialization(), server.url);
            file.insert(name.clone(), Value::String(url.path().to_owned()));
        }
    }
    for (name, value) in &server.secrets {
        file.insert(name.clone(), json!({ "secret": value }));
    }
    declare_lacks(server, &mut file);
    file
}

/// Declares what `server` lacks not applicable in its vars file `file`.
fn declare_lacks(server: &RealServer, file: &mut serde_json::Map<String, Value>) {
    let lacks = NOT_APPLICABLE
        .iter()
        .find(|(n, _)| *n == server.name)
        .map_or(&[][..], |(_, lacks)| lacks);
    for (name, reason) in lacks {
        assert!(
            !file.contains_key(*name),
            "{}: `{name}` is both set and not applicable",
            server.name
        );
        file.insert((*name).to_owned(), json!({ "not_applicable": reason }));
    }
}

/// The auth0 profile's vars file for `server`, as a tenant's team would fill it from the same
/// server: the rfc profile's file (one vars file for both profiles: the same endpoints, from
/// discovery where its document lists them, the same device client and codes, the same
/// declarations of what it lacks), with the clients named in Auth0's terms: the
/// machine-to-machine client is `client_id`, the public one `public_client_id` (a public
/// client with the code and refresh-token grants where the server prints one, else its
/// implicit client). No API
/// audiences, database connections, users or Actions: those cases skip.
fn auth0_vars(server: &RealServer) -> serde_json::Map<String, Value> {
    let mut file = rfc_vars(server);
    // The rfc profile's confidential client has the code and refresh-token grants: Auth0's
    // Regular Web Application (`web_client_id`); the M2M `client_id` is its restricted one.
    for (name, refresh) in [
        ("client_id", "web_client_id"),
        ("client_secret", "web_client_secret"),
    ] {
        if let Some(value) = file.remove(name) {
            file.insert(refresh.into(), value);
        }
    }
    if let Some(id) = server.var("restricted_client_id") {
        file.insert("client_id".into(), json!(id));
    }
    if let Some(secret) = server.secret("restricted_client_secret") {
        file.insert("client_secret".into(), json!({ "secret": secret }));
    }
    if let Some(id) = server
        .var("public_client_id")
        .or_else(|| server.var("implicit_client_id"))
    {
        file.insert("public_client_id".into(), json!(id));
    }
    if server.discover {
        // The issuer its discovery document names (tests/servers.rs checks it is the target).
        file.insert("issuer".into(), json!(server.target));
    }
    // Endpoints only Auth0 has: a team declares them, where Auth0's default path would stand
    // in.
    for endpoint in [
        "signup_endpoint",
        "passwordless_start_endpoint",
        "co_authenticate_endpoint",
        "logout_endpoint",
        "mfa_challenge_endpoint",
    ] {
        file.insert(
            endpoint.into(),
            json!({ "not_applicable": NOT_AUTH0_ENDPOINT }),
        );
    }
    file
}

/// A case's verdict and the checks it violated, by case id.
type Verdicts = BTreeMap<String, (String, Vec<String>)>;

/// Runs `run --profile PROFILE` against `server` (rfc: with `--discover` where it has a
/// discovery document); returns each case's verdict and violated checks.
fn verdicts(server: &RealServer, profile: &str) -> Verdicts {
    let dir = tempfile::tempdir().unwrap();
    let vars = dir.path().join("vars.json");
    let report = dir.path().join("report.json");
    let mut file = if profile == "rfc" {
        rfc_vars(server)
    } else {
        auth0_vars(server)
    };
    let declared = declared(profile);
    file.retain(|name, _| declared.contains(name));
    std::fs::write(&vars, Value::Object(file).to_string()).unwrap();
    let mut cmd = authconform();
    cmd.args([
        "run",
        "--profile",
        profile,
        "--rate",
        "0",
        "--color",
        "never",
    ])
    .args(["--target", &server.target, "--vars"])
    .arg(&vars)
    .arg("--report-json")
    .arg(&report);
    if server.discover {
        cmd.arg("--discover");
    }
    if profile == "rfc" {
        // Every variable is set or declared not applicable: a skip fails the gate.
        cmd.arg("--fail-on-skip");
    }
    let out = output(&mut cmd);
    assert!(
        out.code == 0 || out.code == 1,
        "{}\n{}\n{}",
        out.stdout,
        out.stderr,
        server.log()
    );
    let report = read_report(&report);
    // Every endpoint is where the vars file says: no hint may claim otherwise.
    assert_eq!(
        report["hints"],
        json!([]),
        "{} ({profile}): hints on a well-configured server",
        server.name
    );
    if profile == "rfc" {
        assert_eq!(
            report["summary"]["skipped"], 0,
            "{}: a case skipped, not declared not applicable: {}",
            server.name, out.stdout
        );
    }
    report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let checks = c["violations"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v["check"].as_str().unwrap().to_owned())
                .collect();
            (
                c["id"].as_str().unwrap().to_owned(),
                (c["verdict"]["kind"].as_str().unwrap().to_owned(), checks),
            )
        })
        .collect()
}

/// A server's verdict on a case that does not pass: (case, verdict, the checks it violated,
/// why: the section of the RFC the server departs from, or why the case cannot run there).
type Departure = (
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static str,
);

/// oidc-provider, rfc profile: every case not listed passes.
const OIDC_PROVIDER_RFC: &[Departure] = &[
    (
        "authorize/implicit-invalid-scope",
        "not_applicable",
        &[],
        "no `implicit_client_id`: an OpenID Provider, it cannot be configured with the plain `token` response type",
    ),
    (
        "authorize/unauthorized-client",
        "fail",
        &["location ?error"],
        "RFC 6749 §4.1.2.1: a client not allowed the response type is unauthorized_client; it redirects invalid_request",
    ),
    (
        "device/slow-down",
        "not_applicable",
        &[],
        "no `slow_down_device_code`: it never answers slow_down (RFC 8628 §3.5), whatever the polling rate",
    ),
    (
        "token/client-credentials-not-allowed",
        "fail",
        &["body /error"],
        "RFC 6749 §5.2: a grant type the client may not use is unauthorized_client; it answers invalid_request",
    ),
    (
        "token/invalid-scope",
        "fail",
        &["body /scope"],
        "RFC 6749 §5.1: a token whose scope differs from the request MUST name it in `scope`; it leaves the unknown scope out, as §3.3 allows, but sends no `scope`",
    ),
];

/// Authlib, rfc profile: every case not listed passes.
const AUTHLIB_RFC: &[Departure] = &[
    (
        "authorize/missing-response-type",
        "fail",
        &["location ?error"],
        "RFC 6749 §4.1.2.1: a missing required parameter is invalid_request; it redirects unsupported_response_type",
    ),
    (
        "device/unknown-device-code",
        "fail",
        &["body /error"],
        "RFC 8628 §3.5 with RFC 6749 §5.2: a device code the server never issued is invalid_grant; it answers invalid_request",
    ),
    (
        "revoke/unsupported-token-type",
        "not_applicable",
        &[],
        "no `unrevocable_token`: it revokes every token type it issues",
    ),
    (
        "token/missing-grant-type",
        "fail",
        &["body /error"],
        "RFC 6749 §5.2: a missing required parameter is invalid_request; it answers unsupported_grant_type",
    ),
    (
        "userinfo/insufficient-scope",
        "fail",
        &["challenge bearer", "challenge bearer error"],
        "RFC 6750 §3: a refused request MUST carry a WWW-Authenticate challenge; its 403 insufficient_scope has the code in the body only",
    ),
];

/// django-oauth-toolkit, rfc profile: every case not listed passes.
const DJANGO_OAUTH_TOOLKIT_RFC: &[Departure] = &[
    (
        "authorize/implicit-invalid-scope",
        "fail",
        &["location ?error", "location #error", "location #state"],
        "RFC 6749 §4.2.2.1: an implicit-grant error goes in the fragment of the redirection URI; it puts invalid_scope in the query",
    ),
    (
        "device/expired-token",
        "fail",
        &["body /error"],
        "RFC 8628 §3.5: a device code past its expiry is expired_token; its token view reads only the stored status and answers authorization_pending",
    ),
    (
        "device/slow-down",
        "not_applicable",
        &[],
        "no `slow_down_device_code`: it never answers slow_down (RFC 8628 §3.5; a TODO in its token view)",
    ),
    (
        "device/unknown-device-code",
        "fail",
        &["status", "body /error"],
        "RFC 8628 §3.5 with RFC 6749 §5.2: a device code the server never issued is 400 invalid_grant; it answers 404 device_not_found",
    ),
    (
        "revoke/unsupported-token-type",
        "not_applicable",
        &[],
        "no `unrevocable_token`: it revokes every token type it issues",
    ),
    (
        "revoke/wrong-client-secret",
        "fail",
        &["header www-authenticate"],
        "RFC 7009 §2.2.1 with RFC 6749 §5.2: a 401 after HTTP Basic MUST carry a challenge of the client's scheme; it sends `Bearer`",
    ),
    (
        "token/missing-grant-type",
        "fail",
        &["body /error"],
        "RFC 6749 §5.2: a missing required parameter is invalid_request; it answers unsupported_grant_type",
    ),
    (
        "token/unknown-client-basic",
        "fail",
        &["header www-authenticate"],
        "RFC 6749 §5.2: a 401 after HTTP Basic MUST carry a challenge of the client's scheme; it sends `Bearer`",
    ),
    (
        "token/wrong-client-secret-basic",
        "fail",
        &["header www-authenticate"],
        "RFC 6749 §5.2: a 401 after HTTP Basic MUST carry a challenge of the client's scheme; it sends `Bearer`",
    ),
];

/// @node-oauth/oauth2-server (with its express adapter), rfc profile: every case not listed
/// passes. It has no device flow, revocation endpoint or implicit grant.
const NODE_OAUTH2_SERVER_RFC: &[Departure] = &[
    (
        "authorize/implicit-invalid-scope",
        "not_applicable",
        &[],
        "no `implicit_client_id`: its `token` response type is not implemented",
    ),
    (
        "authorize/invalid-scope",
        "fail",
        &["status"],
        "RFC 6749 §4.1.2.1: the error is sent by redirecting the user-agent; its express adapter answers 400 with the Location header, which no browser follows",
    ),
    (
        "authorize/missing-response-type",
        "fail",
        &["status"],
        "RFC 6749 §4.1.2.1: the error is sent by redirecting the user-agent; its express adapter answers 400 with the Location header, which no browser follows",
    ),
    (
        "authorize/unauthorized-client",
        "fail",
        &["status", "location ?error", "location ?state"],
        "RFC 6749 §4.1.2.1: a client not allowed the code flow is redirected back with unauthorized_client; it answers 400 in JSON before taking the redirect URI",
    ),
    (
        "authorize/unsupported-response-type",
        "fail",
        &["status"],
        "RFC 6749 §4.1.2.1: the error is sent by redirecting the user-agent; its express adapter answers 400 with the Location header, which no browser follows",
    ),
    (
        "device/access-denied",
        "not_applicable",
        &[],
        "no device flow (RFC 8628)",
    ),
    (
        "device/authorization-pending",
        "not_applicable",
        &[],
        "no device flow (RFC 8628)",
    ),
    (
        "device/expired-token",
        "not_applicable",
        &[],
        "no device flow (RFC 8628)",
    ),
    (
        "device/slow-down",
        "not_applicable",
        &[],
        "no device flow (RFC 8628)",
    ),
    (
        "device/unknown-device-code",
        "not_applicable",
        &[],
        "no device flow (RFC 8628)",
    ),
    (
        "revoke/unknown-token",
        "not_applicable",
        &[],
        "no revocation endpoint (RFC 7009)",
    ),
    (
        "revoke/unsupported-token-type",
        "not_applicable",
        &[],
        "no revocation endpoint (RFC 7009)",
    ),
    (
        "revoke/wrong-client-secret",
        "not_applicable",
        &[],
        "no revocation endpoint (RFC 7009)",
    ),
    (
        "userinfo/insufficient-scope",
        "fail",
        &["challenge bearer", "challenge bearer error"],
        "RFC 6750 §3: a refused request MUST carry a WWW-Authenticate challenge; its express adapter drops the library's headers and sends the code in the body only",
    ),
    (
        "userinfo/invalid-token",
        "fail",
        &["challenge bearer", "challenge bearer error"],
        "RFC 6750 §3: a refused request MUST carry a WWW-Authenticate challenge; its express adapter drops the library's headers and sends the code in the body only",
    ),
    (
        "userinfo/no-token",
        "fail",
        &["challenge bearer"],
        "RFC 6750 §3: a request without a token MUST get a WWW-Authenticate challenge; its express adapter sends a bare 401",
    ),
    (
        "userinfo/two-methods",
        "fail",
        &["challenge bearer", "challenge bearer error"],
        "RFC 6750 §3: a refused request MUST carry a WWW-Authenticate challenge; its 400 invalid_request has the code in the body only",
    ),
];

/// Why the auth0 profile's cases that need an API, a database connection or an Action skip on
/// a server that is not Auth0.
const NOT_AUTH0: &str =
    "not Auth0: no such API, connection, Action or passwordless connection to name";

/// Why the auth0 profile's cases of an endpoint only Auth0 has are not applicable on a server
/// that is not Auth0.
const NOT_AUTH0_ENDPOINT: &str = "not Auth0: no such endpoint";

/// django-oauth-toolkit, auth0 profile (Auth0's documented answers, which a server that is not
/// Auth0 need not give): every case not listed passes. Its device flow answers as RFC 8628
/// does (400, no description); no CIBA, PAR or DPoP.
const DJANGO_OAUTH_TOOLKIT_AUTH0: &[Departure] = &[
    (
        "userinfo/invalid-token",
        "fail",
        &["body text", "challenge bearer realm"],
        "Auth0 answers the text `Unauthorized` and names its realm \"Users\"; RFC 6750 §3 leaves the body and the realm to the server",
    ),
    (
        "authorize/unsupported-response-type",
        "fail",
        &["status", "media type", "body", "header location"],
        "Auth0 answers an unsupported response type itself; as RFC 6749 §4.1.2.1 asks, it redirects unsupported_response_type",
    ),
    (
        "revoke/delete-method",
        "fail",
        &["media type", "body"],
        "Auth0 explains a 405 in JSON; its 405 is Django's, with an empty body",
    ),
    (
        "revoke/wrong-client-secret",
        "fail",
        &["body /error_description"],
        "Auth0 describes every error; oauthlib sends the code alone (error_description is OPTIONAL in RFC 6749 §5.2)",
    ),
    (
        "token/client-credentials-public-client",
        "fail",
        &["status", "body /error_description"],
        "Auth0 answers 403; it answers 400 unauthorized_client as RFC 6749 §5.2 does, with no description",
    ),
    (
        "token/get-method",
        "fail",
        &["media type", "body"],
        "Auth0 explains a 405 in JSON; its 405 is Django's, with an empty body",
    ),
    (
        "token/missing-grant-type",
        "fail",
        &["body /error", "body /error_description"],
        "RFC 6749 §5.2 (and Auth0): a missing grant_type is invalid_request; it answers unsupported_grant_type",
    ),
    (
        "token/put-method",
        "fail",
        &["media type", "body"],
        "Auth0 explains a 405 in JSON; its 405 is Django's, with an empty body",
    ),
    (
        "token/refresh-token-unknown",
        "fail",
        &["status", "body /error", "body /error_description"],
        "Auth0 answers 403 access_denied; the public (implicit) client may not use refresh_token, so it answers 400 unauthorized_client as RFC 6749 §5.2 does",
    ),
    (
        "token/refresh-token-unknown-confidential",
        "fail",
        &["status", "body /error", "body /error_description"],
        "Auth0 answers 403 access_denied; it answers 400 invalid_grant as RFC 6749 §5.2 does",
    ),
    (
        "token/scope-boolean",
        "fail",
        &["body /error", "body /error_description"],
        "Auth0 takes JSON bodies; it takes forms only (RFC 6749 §3.2) and finds no grant_type",
    ),
    (
        "token/scope-number",
        "fail",
        &["body /error", "body /error_description"],
        "Auth0 takes JSON bodies; it takes forms only (RFC 6749 §3.2) and finds no grant_type",
    ),
    (
        "token/scope-object",
        "fail",
        &["body /error", "body /error_description"],
        "Auth0 takes JSON bodies; it takes forms only (RFC 6749 §3.2) and finds no grant_type",
    ),
    (
        "token/unknown-client",
        "fail",
        &["body /error_description"],
        "Auth0 describes every error; oauthlib sends the code alone (error_description is OPTIONAL in RFC 6749 §5.2)",
    ),
    (
        "token/wrong-client-secret",
        "fail",
        &["body /error_description"],
        "Auth0 describes every error; oauthlib sends the code alone (error_description is OPTIONAL in RFC 6749 §5.2)",
    ),
    (
        "token/wrong-client-secret-basic",
        "fail",
        &["body /error_description"],
        "Auth0 describes every error; oauthlib sends the code alone (error_description is OPTIONAL in RFC 6749 §5.2)",
    ),
    (
        "dpop/invalid-proof",
        "not_applicable",
        &[],
        "no `dpop_client_id`: no DPoP (RFC 9449): no client must prove possession of a key",
    ),
    (
        "mfa/token-malformed",
        "fail",
        &["status", "body /error", "body /error_description"],
        "Auth0 refuses a malformed mfa_token on its own MFA grant with 403 invalid_grant; it does not know that grant and refuses it with 400 and another code (RFC 6749 §5.2), without a description",
    ),
    (
        "token/authorization-code-invalid",
        "fail",
        &["status", "body /error", "body /error_description"],
        "Auth0 answers an unknown code with 403 invalid_grant \"Invalid authorization code\"; it refuses this public client's exchange with 400 and another code (RFC 6749 §5.2), without a description",
    ),
    (
        "ciba/openid-scope",
        "not_applicable",
        &[],
        "no `backchannel_authentication_endpoint`: no backchannel authentication (OpenID Connect CIBA Core 1.0)",
    ),
    (
        "ciba/unknown-user-id",
        "not_applicable",
        &[],
        "no `backchannel_authentication_endpoint`: no backchannel authentication (OpenID Connect CIBA Core 1.0)",
    ),
    (
        "dpop/use-nonce",
        "not_applicable",
        &[],
        "no `dpop_client_id`: no DPoP (RFC 9449): no client must prove possession of a key",
    ),
    (
        "par/request-uri-pushed",
        "not_applicable",
        &[],
        "no `pushed_authorization_request_endpoint`: no pushed authorization requests (RFC 9126)",
    ),
    (
        "device/access-denied",
        "fail",
        &["status", "body /error_description"],
        "Auth0 answers 403 \"User cancelled the confirmation prompt.\"; it answers 400 access_denied as RFC 8628 §3.5 with RFC 6749 §5.2 does, without a description",
    ),
    (
        "device/authorization-pending",
        "fail",
        &["status", "body /error_description"],
        "Auth0 answers 403 \"User has yet to authorize device code.\"; it answers 400 authorization_pending as RFC 8628 §3.5 with RFC 6749 §5.2 does, without a description",
    ),
    (
        "device/expired-then-invalid-grant",
        "fail",
        &["status", "body /error", "body /error_description"],
        "Auth0 answers an expired code's second poll with 403 invalid_grant; its token view reads only the stored status and answers 400 authorization_pending to every poll (RFC 8628 §3.5 asks expired_token)",
    ),
    (
        "device/expired-token",
        "fail",
        &["status", "body /error", "body /error_description"],
        "Auth0 answers 403 expired_token; its token view reads only the stored status and answers 400 authorization_pending (RFC 8628 §3.5 asks expired_token too)",
    ),
    (
        "device/slow-down",
        "not_applicable",
        &[],
        "no `slow_down_device_code`: it never answers slow_down (RFC 8628 §3.5; a TODO in its token view)",
    ),
];

/// @node-oauth/oauth2-server, auth0 profile: every case not listed passes. No revocation
/// endpoint: Auth0's /oauth/revoke is a 404 there; no device flow, CIBA, PAR or DPoP, all
/// declared not applicable. No public client: the auth0 cases that need one skip.
const NODE_OAUTH2_SERVER_AUTH0: &[Departure] = &[
    (
        "userinfo/invalid-token",
        "fail",
        &[
            "body text",
            "challenge bearer",
            "challenge bearer realm",
            "challenge bearer error",
        ],
        "Auth0 answers the text `Unauthorized` with a Bearer challenge; its express adapter drops the challenge (RFC 6750 §3 MUST) and answers the code in JSON",
    ),
    (
        "authorize/unsupported-response-type",
        "skip",
        &[],
        "no `public_client_id`: a tenant of this server keeps confidential clients only",
    ),
    (
        "revoke/delete-method",
        "not_applicable",
        &[],
        "no revocation endpoint (RFC 7009): declared not applicable, where Auth0's default path would stand in",
    ),
    (
        "revoke/missing-token",
        "not_applicable",
        &[],
        "no revocation endpoint (RFC 7009): declared not applicable, where Auth0's default path would stand in",
    ),
    (
        "revoke/wrong-client-secret",
        "not_applicable",
        &[],
        "no revocation endpoint (RFC 7009): declared not applicable, where Auth0's default path would stand in",
    ),
    (
        "token/client-credentials-public-client",
        "skip",
        &[],
        "no `public_client_id`: a tenant of this server keeps confidential clients only",
    ),
    (
        "token/get-method",
        "fail",
        &["status", "media type", "body"],
        "Auth0 answers 405 in JSON; it has no GET route there and answers express's 404 page",
    ),
    (
        "token/put-method",
        "fail",
        &["status", "media type", "body"],
        "Auth0 answers 405 in JSON; it has no PUT route there and answers express's 404 page",
    ),
    (
        "token/refresh-token-unknown",
        "skip",
        &[],
        "no `public_client_id`: a tenant of this server keeps confidential clients only",
    ),
    (
        "token/refresh-token-unknown-confidential",
        "fail",
        &["status", "body /error", "body /error_description"],
        "Auth0 answers 403 access_denied; its regular web app gets 400 invalid_grant \"Invalid grant: refresh token is invalid\", as RFC 6749 §5.2 does",
    ),
    (
        "token/scope-boolean",
        "fail",
        &["body /error", "body /error_description"],
        "Auth0 takes JSON bodies; it takes forms only (RFC 6749 §3.2) and answers invalid_request",
    ),
    (
        "token/scope-number",
        "fail",
        &["body /error", "body /error_description"],
        "Auth0 takes JSON bodies; it takes forms only (RFC 6749 §3.2) and answers invalid_request",
    ),
    (
        "token/scope-object",
        "fail",
        &["body /error", "body /error_description"],
        "Auth0 takes JSON bodies; it takes forms only (RFC 6749 §3.2) and answers invalid_request",
    ),
    (
        "token/unknown-client",
        "fail",
        &["status"],
        "Auth0 answers 401; without HTTP Basic RFC 6749 §5.2 allows the 400 invalid_client it answers",
    ),
    (
        "token/wrong-client-secret",
        "fail",
        &["status"],
        "Auth0 answers 401; without HTTP Basic RFC 6749 §5.2 allows the 400 invalid_client it answers",
    ),
    (
        "dpop/invalid-proof",
        "not_applicable",
        &[],
        "no `dpop_client_id`: no DPoP (RFC 9449): no client must prove possession of a key",
    ),
    ("mfa/token-malformed", "skip", &[], NOT_AUTH0),
    ("token/authorization-code-invalid", "skip", &[], NOT_AUTH0),
    (
        "ciba/openid-scope",
        "not_applicable",
        &[],
        "no `backchannel_authentication_endpoint`: no backchannel authentication (OpenID Connect CIBA Core 1.0)",
    ),
    (
        "ciba/unknown-user-id",
        "not_applicable",
        &[],
        "no `backchannel_authentication_endpoint`: no backchannel authentication (OpenID Connect CIBA Core 1.0)",
    ),
    (
        "dpop/use-nonce",
        "not_applicable",
        &[],
        "no `dpop_client_id`: no DPoP (RFC 9449): no client must prove possession of a key",
    ),
    (
        "par/request-uri-pushed",
        "not_applicable",
        &[],
        "no `pushed_authorization_request_endpoint`: no pushed authorization requests (RFC 9126)",
    ),
    (
        "device/access-denied",
        "not_applicable",
        &[],
        "no device flow (RFC 8628)",
    ),
    (
        "device/authorization-pending",
        "not_applicable",
        &[],
        "no device flow (RFC 8628)",
    ),
    (
        "device/code-missing-client-id",
        "not_applicable",
        &[],
        "no device flow (RFC 8628)",
    ),
    (
        "device/expired-then-invalid-grant",
        "not_applicable",
        &[],
        "no device flow (RFC 8628)",
    ),
    (
        "device/expired-token",
        "not_applicable",
        &[],
        "no device flow (RFC 8628)",
    ),
    (
        "device/slow-down",
        "not_applicable",
        &[],
        "no device flow (RFC 8628)",
    ),
];

/// oidc-provider, auth0 profile (Auth0's documented answers, which a server that is not Auth0
/// need not give): every case not listed passes. Its device flow, CIBA (poll mode, with a
/// login_hint read in Auth0's `iss_sub` form) and PAR answer as their specs do; its DPoP stays
/// off (both DPoP cases need an Auth0 API `audience`).
const OIDC_PROVIDER_AUTH0: &[Departure] = &[
    (
        "authorize/unsupported-response-type",
        "fail",
        &["status", "media type", "body", "header location"],
        "Auth0 answers an unsupported response type itself (501 in JSON); as RFC 6749 §4.1.2.1 asks, it redirects unsupported_response_type (303)",
    ),
    (
        "ciba/openid-scope",
        "fail",
        &["body /error_description"],
        "Auth0 describes it \"openid scope must be requested\"; it answers the same 400 invalid_request, described \"openid scope must be requested for this request\"",
    ),
    (
        "ciba/unknown-user-id",
        "fail",
        &["body /error_description"],
        "Auth0 describes it \"User ID is malformed or unknown\"; it answers the same 400 unknown_user_id, described \"could not identify end-user\"",
    ),
    (
        "device/access-denied",
        "fail",
        &["status"],
        "Auth0 answers 403; it answers 400 access_denied as RFC 8628 §3.5 with RFC 6749 §5.2 does, described \"End-User aborted interaction\" (Auth0's documented text is advice)",
    ),
    (
        "device/authorization-pending",
        "fail",
        &["status"],
        "Auth0 answers 403; it answers 400 authorization_pending as RFC 8628 §3.5 with RFC 6749 §5.2 does (with its own description, which Auth0's documented text only advises)",
    ),
    (
        "device/expired-then-invalid-grant",
        "fail",
        &["status", "body /error"],
        "Auth0 answers an expired code's second poll with 403 invalid_grant; it answers 400 expired_token to every poll of an expired code (RFC 8628 §3.5)",
    ),
    (
        "device/expired-token",
        "fail",
        &["status"],
        "Auth0 answers 403 expired_token; it answers 400 expired_token as RFC 8628 §3.5 with RFC 6749 §5.2 does",
    ),
    (
        "device/slow-down",
        "not_applicable",
        &[],
        "no `slow_down_device_code`: it never answers slow_down (RFC 8628 §3.5), whatever the polling rate",
    ),
    (
        "dpop/invalid-proof",
        "not_applicable",
        &[],
        "no `dpop_client_id`: its DPoP (RFC 9449) stays off: both DPoP cases ask for an Auth0 API `audience`, which it has no such parameter for (it takes RFC 8707 `resource`)",
    ),
    (
        "dpop/use-nonce",
        "not_applicable",
        &[],
        "no `dpop_client_id`: its DPoP (RFC 9449) stays off: both DPoP cases ask for an Auth0 API `audience`, which it has no such parameter for (it takes RFC 8707 `resource`)",
    ),
    (
        "mfa/token-malformed",
        "fail",
        &["status", "body /error", "body /error_description"],
        "Auth0 refuses a malformed mfa_token on its own MFA grant with 403 invalid_grant; it does not know that grant and answers 400 unsupported_grant_type (RFC 6749 §5.2), described \"unsupported grant_type requested\"",
    ),
    (
        "par/request-uri-pushed",
        "fail",
        &["body /error", "body /error_description"],
        "Auth0 answers 400 invalid_request with a description; it answers 400 request_uri_not_supported (an OpenID Connect code), without a description",
    ),
    (
        "revoke/delete-method",
        "fail",
        &["status", "media type", "body"],
        "Auth0 answers 405 in JSON; it has no DELETE route there and answers its 404 text `Not Found`",
    ),
    (
        "token/authorization-code-invalid",
        "fail",
        &["status", "body /error_description"],
        "Auth0 answers an unknown code with 403 invalid_grant \"Invalid authorization code\"; it answers 400 invalid_grant as RFC 6749 §5.2 does, described \"grant request is invalid\"",
    ),
    (
        "token/client-credentials-public-client",
        "fail",
        &["status", "body /error"],
        "Auth0 answers 403 unauthorized_client; it answers 400 invalid_request \"requested grant type is not allowed for this client\" (RFC 6749 §5.2 asks unauthorized_client)",
    ),
    (
        "token/get-method",
        "fail",
        &["status", "media type", "body"],
        "Auth0 answers 405 in JSON; it has no GET route there and answers its 404 text `Not Found`",
    ),
    (
        "token/put-method",
        "fail",
        &["status", "media type", "body"],
        "Auth0 answers 405 in JSON; it has no PUT route there and answers its 404 text `Not Found`",
    ),
    (
        "token/refresh-token-unknown",
        "fail",
        &["status", "body /error", "body /error_description"],
        "Auth0 answers 403 access_denied; it answers 400 invalid_grant as RFC 6749 §5.2 does, described \"grant request is invalid\"",
    ),
    (
        "token/refresh-token-unknown-confidential",
        "fail",
        &["status", "body /error", "body /error_description"],
        "Auth0 answers 403 access_denied; its regular web app gets 400 invalid_grant \"grant request is invalid\", as RFC 6749 §5.2 does",
    ),
    (
        "token/scope-boolean",
        "fail",
        &["body /error", "body /error_description"],
        "Auth0 takes JSON bodies; it takes forms only (RFC 6749 §3.2) and answers invalid_request",
    ),
    (
        "token/scope-number",
        "fail",
        &["body /error", "body /error_description"],
        "Auth0 takes JSON bodies; it takes forms only (RFC 6749 §3.2) and answers invalid_request",
    ),
    (
        "token/scope-object",
        "fail",
        &["body /error", "body /error_description"],
        "Auth0 takes JSON bodies; it takes forms only (RFC 6749 §3.2) and answers invalid_request",
    ),
    (
        "userinfo/invalid-token",
        "fail",
        &["body text", "challenge bearer realm"],
        "Auth0 answers the text `Unauthorized` and names its realm \"Users\"; it answers the code in JSON and names its issuer as the realm (RFC 6750 §3 leaves the body and the realm to the server)",
    ),
];

/// Authlib, auth0 profile (Auth0's documented answers, which a server that is not Auth0 need not
/// give): every case not listed passes. Its device flow answers as RFC 8628 does (400, mostly
/// without a description); no CIBA, PAR or DPoP. Its machine-to-machine client also takes its
/// secret in the form, as Auth0's clients send it.
const AUTHLIB_AUTH0: &[Departure] = &[
    (
        "authorize/unsupported-response-type",
        "fail",
        &["status", "media type", "body", "header location"],
        "Auth0 answers an unsupported response type itself (501 in JSON); as RFC 6749 §4.1.2.1 asks, it redirects unsupported_response_type (302)",
    ),
    (
        "ciba/openid-scope",
        "not_applicable",
        &[],
        "no `backchannel_authentication_endpoint`: no backchannel authentication (OpenID Connect CIBA Core 1.0)",
    ),
    (
        "ciba/unknown-user-id",
        "not_applicable",
        &[],
        "no `backchannel_authentication_endpoint`: no backchannel authentication (OpenID Connect CIBA Core 1.0)",
    ),
    (
        "device/access-denied",
        "fail",
        &["status"],
        "Auth0 answers 403; it answers 400 access_denied as RFC 8628 §3.5 with RFC 6749 §5.2 does (with its own description, which Auth0's documented text only advises)",
    ),
    (
        "device/authorization-pending",
        "fail",
        &["status", "body /error_description"],
        "Auth0 answers 403 with a description; it answers 400 authorization_pending as RFC 8628 §3.5 with RFC 6749 §5.2 does, without one",
    ),
    (
        "device/code-missing-client-id",
        "fail",
        &["status", "body /error"],
        "Auth0 answers 400 invalid_request; a request naming no client cannot authenticate one, so it answers 401 invalid_client (RFC 8628 §3.1 with RFC 6749 §5.2)",
    ),
    (
        "device/expired-then-invalid-grant",
        "fail",
        &["status", "body /error", "body /error_description"],
        "Auth0 answers an expired code's second poll with 403 invalid_grant; it answers 400 expired_token, without a description, to every poll of an expired code (RFC 8628 §3.5)",
    ),
    (
        "device/expired-token",
        "fail",
        &["status", "body /error_description"],
        "Auth0 answers 403 expired_token with a description; it answers 400 expired_token as RFC 8628 §3.5 with RFC 6749 §5.2 does, without one",
    ),
    (
        "device/slow-down",
        "fail",
        &["status", "body /error_description"],
        "Auth0 answers 429 \"You are polling faster than the specified interval of 5 seconds.\"; it answers 400 slow_down as RFC 8628 §3.5 with RFC 6749 §5.2 does, without a description",
    ),
    (
        "dpop/invalid-proof",
        "not_applicable",
        &[],
        "no `dpop_client_id`: no DPoP (RFC 9449): no client must prove possession of a key",
    ),
    (
        "dpop/use-nonce",
        "not_applicable",
        &[],
        "no `dpop_client_id`: no DPoP (RFC 9449): no client must prove possession of a key",
    ),
    (
        "mfa/token-malformed",
        "fail",
        &["status", "body /error", "body /error_description"],
        "Auth0 refuses a malformed mfa_token on its own MFA grant with 403 invalid_grant; it does not know that grant and answers 400 unsupported_grant_type (RFC 6749 §5.2), without a description",
    ),
    (
        "par/request-uri-pushed",
        "not_applicable",
        &[],
        "no `pushed_authorization_request_endpoint`: no pushed authorization requests (RFC 9126)",
    ),
    (
        "revoke/delete-method",
        "fail",
        &["media type", "body"],
        "Auth0 explains a 405 in JSON; its 405 is Flask's HTML page",
    ),
    (
        "revoke/missing-token",
        "fail",
        &["body /error_description"],
        "Auth0 describes every error; Authlib sends invalid_request alone (error_description is OPTIONAL in RFC 6749 §5.2)",
    ),
    (
        "token/authorization-code-invalid",
        "fail",
        &["status", "body /error_description"],
        "Auth0 answers an unknown code with 403 invalid_grant \"Invalid authorization code\"; it answers 400 invalid_grant as RFC 6749 §5.2 does, described \"Invalid 'code' in request.\"",
    ),
    (
        "token/client-credentials-public-client",
        "fail",
        &["status", "body /error"],
        "Auth0 answers 403 unauthorized_client; a client without a secret cannot authenticate for client_credentials (RFC 6749 §4.4), so it answers 401 invalid_client",
    ),
    (
        "token/get-method",
        "fail",
        &["media type", "body"],
        "Auth0 explains a 405 in JSON; its 405 is Flask's HTML page",
    ),
    (
        "token/missing-grant-type",
        "fail",
        &["body /error", "body /error_description"],
        "RFC 6749 §5.2 (and Auth0): a missing grant_type is invalid_request; it answers unsupported_grant_type, without a description",
    ),
    (
        "token/put-method",
        "fail",
        &["media type", "body"],
        "Auth0 explains a 405 in JSON; its 405 is Flask's HTML page",
    ),
    (
        "token/refresh-token-unknown",
        "fail",
        &["status", "body /error", "body /error_description"],
        "Auth0 answers 403 access_denied; it answers 400 invalid_grant as RFC 6749 §5.2 does, without a description",
    ),
    (
        "token/refresh-token-unknown-confidential",
        "fail",
        &["status", "body /error", "body /error_description"],
        "Auth0 answers 403 access_denied; its regular web app gets 400 invalid_grant without a description, as RFC 6749 §5.2 allows",
    ),
    (
        "token/scope-boolean",
        "fail",
        &["body /error", "body /error_description"],
        "Auth0 takes JSON bodies; it takes forms only (RFC 6749 §3.2) and finds no grant_type",
    ),
    (
        "token/scope-number",
        "fail",
        &["body /error", "body /error_description"],
        "Auth0 takes JSON bodies; it takes forms only (RFC 6749 §3.2) and finds no grant_type",
    ),
    (
        "token/scope-object",
        "fail",
        &["body /error", "body /error_description"],
        "Auth0 takes JSON bodies; it takes forms only (RFC 6749 §3.2) and finds no grant_type",
    ),
    (
        "token/unknown-client",
        "fail",
        &["status"],
        "Auth0 answers 401; without HTTP Basic RFC 6749 §5.2 allows the 400 invalid_client it answers",
    ),
    (
        "userinfo/invalid-token",
        "fail",
        &["body text", "challenge bearer realm"],
        "Auth0 answers the text `Unauthorized` and names its realm \"Users\"; it answers the code in JSON, its challenge without a realm (RFC 6750 §3 leaves the body and the realm to the server)",
    ),
];

/// Each server's recorded verdicts: (server, profile, departures). The rfc rows are the
/// docs/profiles.md's table.
/// The auth0 profile's verdicts every server here shares, none being Auth0: its own endpoints,
/// APIs, connections and users are not applicable or skip alike. Each auth0 table below lists
/// the rest.
const AUTH0_EVERYWHERE: &[Departure] = &[
    ("attack-protection/password-leaked", "skip", &[], NOT_AUTH0),
    (
        "attack-protection/too-many-attempts",
        "skip",
        &[],
        NOT_AUTH0,
    ),
    ("co/blocked-user", "not_applicable", &[], NOT_AUTH0_ENDPOINT),
    (
        "co/cross-origin-not-allowed",
        "not_applicable",
        &[],
        NOT_AUTH0_ENDPOINT,
    ),
    (
        "co/origin-not-allowed",
        "not_applicable",
        &[],
        NOT_AUTH0_ENDPOINT,
    ),
    (
        "co/wrong-password",
        "not_applicable",
        &[],
        NOT_AUTH0_ENDPOINT,
    ),
    (
        "dbconnections/change-password-burst",
        "skip",
        &[],
        NOT_AUTH0,
    ),
    ("legacy/disabled-endpoint", "skip", &[], NOT_AUTH0),
    (
        "logout/return-to",
        "not_applicable",
        &[],
        NOT_AUTH0_ENDPOINT,
    ),
    (
        "mfa/challenge-unsupported-type",
        "not_applicable",
        &[],
        NOT_AUTH0_ENDPOINT,
    ),
    ("mfa/mfa-required", "skip", &[], NOT_AUTH0),
    ("mfa/oob-pending", "skip", &[], NOT_AUTH0),
    ("mfa/otp-invalid", "skip", &[], NOT_AUTH0),
    (
        "passwordless/bad-client-id",
        "not_applicable",
        &[],
        NOT_AUTH0_ENDPOINT,
    ),
    (
        "passwordless/bad-connection",
        "not_applicable",
        &[],
        NOT_AUTH0_ENDPOINT,
    ),
    (
        "passwordless/bad-email",
        "not_applicable",
        &[],
        NOT_AUTH0_ENDPOINT,
    ),
    (
        "passwordless/client-authentication",
        "not_applicable",
        &[],
        NOT_AUTH0_ENDPOINT,
    ),
    (
        "passwordless/otp-wrong-code",
        "skip",
        &[],
        "not Auth0: no passwordless connection to name",
    ),
    (
        "signup/invalid-signup",
        "not_applicable",
        &[],
        NOT_AUTH0_ENDPOINT,
    ),
    (
        "signup/password-dictionary",
        "not_applicable",
        &[],
        NOT_AUTH0_ENDPOINT,
    ),
    (
        "signup/password-no-user-info",
        "not_applicable",
        &[],
        NOT_AUTH0_ENDPOINT,
    ),
    (
        "signup/password-strength",
        "not_applicable",
        &[],
        NOT_AUTH0_ENDPOINT,
    ),
    (
        "signup/user-exists",
        "not_applicable",
        &[],
        NOT_AUTH0_ENDPOINT,
    ),
    ("token/code-verifier-wrong", "skip", &[], NOT_AUTH0),
    ("token/invalid-scope-action", "skip", &[], NOT_AUTH0),
    (
        "token/password-realm-missing-username",
        "skip",
        &[],
        NOT_AUTH0,
    ),
    ("token/password-realm-not-allowed", "skip", &[], NOT_AUTH0),
    (
        "token/password-realm-wrong-password",
        "skip",
        &[],
        NOT_AUTH0,
    ),
    ("token/refresh-token-user-gone", "skip", &[], NOT_AUTH0),
    ("token/scope-not-granted", "skip", &[], NOT_AUTH0),
    ("token/server-error-action", "skip", &[], NOT_AUTH0),
    ("token/temporarily-unavailable", "skip", &[], NOT_AUTH0),
    ("token/ungranted-audience", "skip", &[], NOT_AUTH0),
    (
        "token/unknown-audience",
        "fail",
        &[
            "status",
            "schema oauth-error.schema.json",
            "body /error",
            "body /error_description",
        ],
        "Auth0 refuses an unknown audience; `audience` is no parameter of RFC 6749, which it ignores as §3.1 asks, and issues a token",
    ),
];

const RECORDED: &[(&str, &str, &[Departure])] = &[
    ("oidc-provider", "rfc", OIDC_PROVIDER_RFC),
    ("authlib", "rfc", AUTHLIB_RFC),
    ("django-oauth-toolkit", "rfc", DJANGO_OAUTH_TOOLKIT_RFC),
    ("node-oauth2-server", "rfc", NODE_OAUTH2_SERVER_RFC),
    ("oidc-provider", "auth0", OIDC_PROVIDER_AUTH0),
    ("authlib", "auth0", AUTHLIB_AUTH0),
    ("django-oauth-toolkit", "auth0", DJANGO_OAUTH_TOOLKIT_AUTH0),
    ("node-oauth2-server", "auth0", NODE_OAUTH2_SERVER_AUTH0),
];

/// The versions the tests install (tests/servers/): docs/profiles.md's table names them.
const VERSIONS: &[(&str, &str)] = &[
    ("oidc-provider", "oidc-provider 9.13.3"),
    ("authlib", "Authlib 1.9.10"),
    ("django-oauth-toolkit", "django-oauth-toolkit 3.4.1"),
    ("node-oauth2-server", "@node-oauth/oauth2-server 5.3.0"),
];

/// Every case of the built-in `profile` catalogue, by id.
fn ids(profile: &str) -> Vec<String> {
    use authconform::base::source::Profile;
    let profile = if profile == "rfc" {
        Profile::Rfc
    } else {
        Profile::Auth0
    };
    crate::util::builtin_catalogue(profile)
        .cases
        .into_iter()
        .map(|c| c.id)
        .collect()
}

/// What `departures` say of every case of `profile`: a case not listed passes.
fn expected(profile: &str, departures: &[Departure]) -> Verdicts {
    let shared = if profile == "auth0" {
        AUTH0_EVERYWHERE
    } else {
        &[]
    };
    ids(profile)
        .into_iter()
        .map(|id| {
            let entry = match departures.iter().chain(shared).find(|d| d.0 == id) {
                Some((_, verdict, checks, _)) => (
                    (*verdict).to_owned(),
                    checks.iter().map(|c| (*c).to_owned()).collect(),
                ),
                None => ("pass".to_owned(), Vec::new()),
            };
            (id, entry)
        })
        .collect()
}

/// The table rows for `got`, to paste after a verdict changed (the why of a row that did not
/// change is kept; a new one says TODO).
fn rows(got: &Verdicts, departures: &[Departure], shared: &[Departure]) -> String {
    let is_shared = |id: &str, verdict: &str, checks: &[String]| {
        shared
            .iter()
            .any(|d| d.0 == id && d.1 == verdict && d.2.iter().eq(checks.iter()))
    };
    got.iter()
        .filter(|(_, (verdict, _))| verdict != "pass")
        .filter(|(id, (verdict, checks))| !is_shared(id, verdict, checks))
        .map(|(id, (verdict, checks))| {
            let why = departures
                .iter()
                .find(|d| d.0 == id && d.1 == verdict && d.2.iter().eq(checks.iter()))
                .map_or("TODO: the section it departs from", |d| d.3);
            format!("    ({id:?}, {verdict:?}, &{checks:?}, {why:?}),\n")
        })
        .collect()
}

/// Each server's verdict on every case of both profiles is the recorded one: a case that
/// starts to pass, or to fail by other checks, fails this test until the table (and, for the
/// rfc profile, docs/profiles.md) says so. Each server starts afresh for each profile.
#[test]
fn each_real_server_gets_its_recorded_verdicts() {
    let mut changed = Vec::new();
    for name in crate::servers::NAMES {
        for (_, profile, departures) in RECORDED.iter().filter(|r| r.0 == *name) {
            // A server of its own for each profile: one-shot values (a device code denied
            // once) are each run's, as on a server a team points one profile at.
            let Some(server) = start(name) else { continue };
            let started = std::time::Instant::now();
            let got = verdicts(&server, profile);
            eprintln!(
                "{name}: the {profile} catalogue ran in {:?}",
                started.elapsed()
            );
            if got != expected(profile, departures) {
                changed.push(format!(
                    "{name}, {profile} profile: the verdicts are now\n{}{}",
                    rows(
                        &got,
                        departures,
                        if *profile == "auth0" {
                            AUTH0_EVERYWHERE
                        } else {
                            &[]
                        }
                    ),
                    server.log()
                ));
            }
        }
    }
    assert!(changed.is_empty(), "{}", changed.join("\n"));
}

/// docs/profiles.md's "What each server does" table is the rfc rows of [`RECORDED`], row for
/// row.
#[test]
fn the_docs_show_the_recorded_verdicts() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/profiles.md")).unwrap();
    let start = readme
        .find("| server | case | verdict | failed checks | why |\n")
        .expect("the table");
    let table: Vec<&str> = readme[start..]
        .lines()
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .collect();
    let expected: Vec<String> = RECORDED
        .iter()
        .filter(|(_, profile, _)| *profile == "rfc")
        .flat_map(|(name, _, departures)| {
            let version = VERSIONS.iter().find(|v| v.0 == *name).unwrap().1;
            departures.iter().map(move |(case, verdict, checks, why)| {
                let checks: Vec<String> = checks.iter().map(|c| format!("`{c}`")).collect();
                format!(
                    "| {version} | `{case}` | {verdict} | {} | {why} |",
                    checks.join(", ")
                )
            })
        })
        .collect();
    assert_eq!(table, expected, "docs/profiles.md's table, row for row");
}
