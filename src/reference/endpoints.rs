//! The reference server's endpoints. Every documented error is built by [`State::error`] from
//! the seed-table [`Row`] it implements; that is the one place a [`Fault`] bends a reply.

use std::{
    collections::HashMap,
    hash::{BuildHasher, Hasher},
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{SystemTime, UNIX_EPOCH},
};

use axum::{
    Router,
    body::Bytes,
    extract::{RawQuery, State as Extract},
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    response::{IntoResponse, Response},
    routing::any,
};
use base64::Engine;
use serde_json::{Value, json};

use super::{
    AUDIENCE, Answers, CLIENT_ID, CLIENT_SECRET, Config, DB_CONNECTION, DISABLED_ENDPOINT, Fault,
    INVALID_SCOPE_AUDIENCE, LIMITED_CLIENT_ID, LIMITED_CLIENT_SECRET, PUBLIC_CLIENT_ID,
    REDIRECT_URI, SERVER_ERROR_AUDIENCE, UNAVAILABLE_AUDIENCE, UNGRANTED_AUDIENCE, WEB_CLIENT_ID,
    WEB_CLIENT_SECRET,
    entries::Entry,
    keys::Keys,
    limits::{self, Buckets, Quota},
    passwordless::OTP_GRANT,
};

/// The rows of Auth0's Standard Error Responses table, in the table's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Row {
    InvalidRequest,
    InvalidScope,
    ScopeType,
    InvalidClient,
    UnauthorizedClient,
    AccessDenied,
    RefreshToken,
    EndpointDisabled,
    MethodNotAllowed,
    TooManyRequests,
    ServerError,
    UnsupportedResponseType,
    TemporarilyUnavailable,
}

impl Row {
    pub const ALL: &'static [Row] = &[
        Row::InvalidRequest,
        Row::InvalidScope,
        Row::ScopeType,
        Row::InvalidClient,
        Row::UnauthorizedClient,
        Row::AccessDenied,
        Row::RefreshToken,
        Row::EndpointDisabled,
        Row::MethodNotAllowed,
        Row::TooManyRequests,
        Row::ServerError,
        Row::UnsupportedResponseType,
        Row::TemporarilyUnavailable,
    ];

    /// The row's position in the seed table (0-based), to look it up in the seed data.
    pub fn index(self) -> usize {
        Row::ALL
            .iter()
            .position(|r| *r == self)
            .expect("every row is in ALL")
    }

    /// What the server sends for this row: status and `error` code.
    fn reply(self) -> (StatusCode, &'static str) {
        match self {
            Row::InvalidRequest => (StatusCode::BAD_REQUEST, "invalid_request"),
            Row::InvalidScope | Row::ScopeType => (StatusCode::BAD_REQUEST, "invalid_scope"),
            Row::InvalidClient => (StatusCode::UNAUTHORIZED, "invalid_client"),
            Row::UnauthorizedClient => (StatusCode::FORBIDDEN, "unauthorized_client"),
            Row::AccessDenied | Row::RefreshToken => (StatusCode::FORBIDDEN, "access_denied"),
            Row::EndpointDisabled => (StatusCode::NOT_FOUND, "endpoint_disabled"),
            Row::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            Row::TooManyRequests => (StatusCode::TOO_MANY_REQUESTS, "too_many_requests"),
            Row::ServerError => (StatusCode::INTERNAL_SERVER_ERROR, "server_error"),
            Row::UnsupportedResponseType => {
                (StatusCode::NOT_IMPLEMENTED, "unsupported_response_type")
            }
            Row::TemporarilyUnavailable => {
                (StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable")
            }
        }
    }
}

/// The caching headers real Auth0 tenants send on `/oauth/token` errors.
pub(super) fn token_error_caching(headers: &mut HeaderMap) {
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(ERROR_CACHE_CONTROL),
    );
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

/// What real Auth0 tenants send as the Cache-Control of `/oauth/token` errors.
const ERROR_CACHE_CONTROL: &str =
    "private, no-store, no-cache, must-revalidate, post-check=0, pre-check=0, no-transform";
/// The scope the M2M client is granted on [`AUDIENCE`].
const GRANTED_SCOPE: &str = "read:conformance";
const PASSWORD_REALM: &str = "http://auth0.com/oauth/grant-type/password-realm";
/// How long the access tokens this server issues last, as on a tenant's default API setting.
const TOKEN_LIFETIME: u64 = 86_400;

/// How long an authorization code may wait for its exchange, as on a tenant.
const CODE_LIFETIME: std::time::Duration = std::time::Duration::from_secs(600);
/// The most codes kept for their exchange at once; see [`Codes::insert`].
const MAX_CODES: usize = 1_000;
/// The longest value of an /authorize parameter that a code keeps (`scope`, `audience`,
/// `nonce`, the PKCE challenge and its method), so that a kept code is at most a few KiB.
const MAX_KEPT_PARAMETER: usize = 2_048;
/// The parameters of /authorize that a code keeps.
const KEPT_PARAMETERS: [&str; 5] = [
    "scope",
    "audience",
    "nonce",
    "code_challenge",
    "code_challenge_method",
];
/// The user every login through /authorize is: no one types a password here.
const USER_ID: &str = "auth0|authconform-user";

/// What /authorize granted with a code, for its one exchange at the token endpoint.
struct Grant {
    client: String,
    redirect_uri: String,
    /// PKCE (RFC 7636): the method and challenge, when the client sent one.
    challenge: Option<(String, String)>,
    scope: String,
    audience: Option<String>,
    nonce: Option<String>,
    issued: std::time::Instant,
}

/// The codes /authorize issued that no one has exchanged yet, at most [`MAX_CODES`].
#[derive(Default)]
struct Codes(HashMap<String, Grant>);

impl Codes {
    /// Keeps `grant` for the exchange of `code`. In a full table the codes that could no longer
    /// be used are forgotten first, then the oldest down to three quarters of the cap: a client
    /// that asks for codes without end pushes out codes nobody exchanged in time, and never
    /// grows the table.
    fn insert(&mut self, code: String, grant: Grant) {
        if self.0.len() >= MAX_CODES {
            self.0.retain(|_, g| g.issued.elapsed() < CODE_LIFETIME);
            limits::keep_newest(&mut self.0, MAX_CODES * 3 / 4, |g| g.issued);
        }
        self.0.insert(code, grant);
    }

    fn remove(&mut self, code: &str) -> Option<Grant> {
        self.0.remove(code)
    }
}

pub struct State {
    config: Config,
    tokens_issued: AtomicU64,
    random: std::hash::RandomState,
    buckets: Buckets,
    keys: Keys,
    codes: std::sync::Mutex<Codes>,
    device: std::sync::Mutex<super::device::Polls>,
    attempts: super::logins::Attempts,
    /// The nonce DPoP proofs must carry (RFC 9449 §8), one for the server's life.
    dpop_nonce: String,
}

impl State {
    pub fn new(config: Config) -> Self {
        let random = std::hash::RandomState::new();
        // Not cryptographic, as the tokens are not: a value no client can guess in advance.
        let dpop_nonce = format!("dpop-nonce-{:016x}", random.hash_one("dpop-nonce"));
        State {
            config,
            tokens_issued: AtomicU64::new(0),
            random,
            buckets: Buckets::default(),
            keys: Keys::default(),
            codes: std::sync::Mutex::default(),
            device: std::sync::Mutex::default(),
            attempts: super::logins::Attempts::default(),
            dpop_nonce,
        }
    }

    pub(super) fn dpop_nonce(&self) -> &str {
        &self.dpop_nonce
    }

    /// Wrong passwords in a row per known user, for brute-force protection.
    pub(super) fn attempts(&self) -> &super::logins::Attempts {
        &self.attempts
    }

    /// `claims` signed as this server signs tokens, for the answers built elsewhere.
    pub(super) fn sign(&self, claims: &Value) -> Result<String, String> {
        self.keys.sign(claims)
    }

    /// The issuer of the tokens answered to a request with these headers.
    pub(super) fn issuer(&self, headers: &HeaderMap) -> String {
        format!("{}/", self.origin(headers))
    }

    /// 500 server_error: the server could not do its part (e.g. sign a token).
    pub(super) fn server_error(&self, description: &str) -> Response {
        self.error(Row::ServerError, description)
    }

    fn codes(&self) -> std::sync::MutexGuard<'_, Codes> {
        self.codes.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn observed(&self) -> bool {
        self.config.answers == Answers::Observed
    }

    /// The fault the server was started with, for the answers built elsewhere.
    pub(super) fn fault(&self) -> Option<Fault> {
        self.config.fault
    }

    fn has_fault(&self, d: Fault) -> bool {
        self.config.fault == Some(d)
    }

    fn hit(&self, row: Row) -> Option<Fault> {
        self.config.fault.filter(|d| d.hits(row))
    }

    /// The documented error of `row`: `{"error", "error_description"}` as `application/json`
    /// with the caching headers token errors carry, bent here when a fault says so.
    pub(super) fn error(&self, row: Row, description: &str) -> Response {
        self.error_with(row, description, json!({}))
    }

    /// [`State::error`] with extra body members (e.g. `error_uri`).
    fn error_with(&self, row: Row, description: &str, extra: Value) -> Response {
        let (mut status, mut code) = row.reply();
        let mut description = Some(description);
        let mut content_type = "application/json";
        match self.hit(row) {
            Some(Fault::InvalidRequestWrongCode) => code = "bad_request",
            Some(Fault::InvalidScopeWrongCode) => code = "invalid_request",
            Some(Fault::ScopeTypeWrongDescription) => description = Some("scope must be a string"),
            Some(Fault::InvalidClientAs400 | Fault::ServerErrorAs400) => {
                status = StatusCode::BAD_REQUEST
            }
            Some(Fault::UnauthorizedClientAs401) => status = StatusCode::UNAUTHORIZED,
            Some(Fault::AccessDeniedNoDescription | Fault::NoErrorDescription) => {
                description = None
            }
            Some(Fault::RefreshTokenInvalidGrant) => code = "invalid_grant",
            Some(Fault::EndpointDisabledHtml | Fault::MethodNotAllowedHtml) => {
                let page = format!(
                    "<!DOCTYPE html><html><head><title>Error</title></head><body><h1>{}</h1><p>{}</p></body></html>",
                    status.as_u16(),
                    description.unwrap_or_default()
                );
                return (
                    status,
                    [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                    page,
                )
                    .into_response();
            }
            Some(Fault::UnavailableAsText) => {
                return (
                    status,
                    [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                    "Service Unavailable",
                )
                    .into_response();
            }
            Some(Fault::ErrorsAsTextPlain) => content_type = "text/plain",
            // The other faults bend other replies (or the rfc server's).
            _ => {}
        }
        let mut body = json!({ "error": code });
        if let Some(d) = description {
            body["error_description"] = Value::String(d.to_owned());
        }
        if let (Value::Object(body), Value::Object(extra)) = (&mut body, extra) {
            body.extend(extra);
        }
        let mut response = (status, body.to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        token_error_caching(headers);
        response
    }

    pub(super) fn method_not_allowed(&self, allowed: &'static str) -> Response {
        let mut response = self.error(
            Row::MethodNotAllowed,
            &format!("Method not allowed; use {allowed}."),
        );
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static(allowed));
        response
    }

    pub(super) fn invalid_request(&self, description: &str) -> Response {
        self.error(Row::InvalidRequest, description)
    }

    /// An authorization code or a token id (`jti`), unique per server and request. Not
    /// cryptographic: this server exists for tests.
    pub(super) fn mint(&self, prefix: &str) -> String {
        let n = self.tokens_issued.fetch_add(1, Ordering::Relaxed);
        let mut token = String::from(prefix);
        for round in 0..2u64 {
            let mut h = self.random.build_hasher();
            h.write_u64(n);
            h.write_u64(round);
            token.push_str(&format!("{:016x}", h.finish()));
        }
        token
    }

    /// Counts a request against the bucket `key` of `limit`. Without limits (a fault) every
    /// request is allowed.
    fn take(&self, key: &str, limit: limits::Limit) -> Quota {
        let quota = self.buckets.take(key, limit);
        if self.has_fault(Fault::NoRateLimit) {
            return Quota {
                allowed: true,
                ..quota
            };
        }
        quota
    }

    /// The documented 429, with the bucket's headers and `Retry-After`.
    fn too_many_requests(&self, quota: &Quota) -> Response {
        let mut r = self.error(
            Row::TooManyRequests,
            "Too many requests. Check the X-RateLimit-Limit, X-RateLimit-Remaining and X-RateLimit-Reset headers.",
        );
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(quota.wait));
        quota.stamp(&mut r);
        r
    }

    pub(super) fn origin(&self, headers: &HeaderMap) -> String {
        origin(headers, self.config.tls)
    }
}

/// The origin a request was sent to, as the issuer of what the server signs and the base of
/// its discovery document: a server answers on the name it was asked by.
pub(super) fn origin(headers: &HeaderMap, tls: bool) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_graphic()))
        .unwrap_or("127.0.0.1");
    let scheme = if tls { "https" } else { "http" };
    format!("{scheme}://{host}")
}

/// Every answer counts against the tenant's bucket and carries its headers, unless a narrower
/// bucket (a client's on the token endpoint, an address's on change_password) stamped its own.
async fn tenant_limit(
    Extract(state): Extract<Arc<State>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let quota = state.take("tenant", limits::TENANT);
    let mut response = if quota.allowed {
        next.run(request).await
    } else {
        state.too_many_requests(&quota)
    };
    if state.has_fault(Fault::RateLimitHeadersMissing) {
        let h = response.headers_mut();
        for name in [
            "x-ratelimit-limit",
            "x-ratelimit-remaining",
            "x-ratelimit-reset",
        ] {
            h.remove(name);
        }
    } else if !response.headers().contains_key("x-ratelimit-limit") {
        quota.stamp(&mut response);
    }
    response
}

pub fn router(state: Arc<State>) -> Router {
    let (token_path, revoke_path, authorize_path) = super::endpoint_paths(state.config.other_paths);
    Router::new()
        .route("/.well-known/openid-configuration", any(discovery))
        .route("/.well-known/jwks.json", any(jwks))
        .route(token_path, any(token))
        .route(revoke_path, any(revoke))
        .route(authorize_path, any(authorize))
        .route("/dbconnections/change_password", any(change_password))
        .route("/dbconnections/signup", any(super::signup::signup))
        .route("/oauth/device/code", any(super::device::device_code))
        .route("/bc-authorize", any(super::backchannel::bc_authorize))
        .route("/oauth/par", any(super::backchannel::par))
        .route("/userinfo", any(userinfo))
        .route("/mfa/challenge", any(super::mfa::challenge))
        .route("/passwordless/start", any(super::passwordless::start))
        .route("/co/authenticate", any(super::cross_origin::authenticate))
        .route("/v2/logout", any(super::logout::logout))
        .route(DISABLED_ENDPOINT, any(disabled))
        .route(DISABLED_DELEGATION, any(disabled))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            tenant_limit,
        ))
        .with_state(state)
}

/// The discovery document, as a tenant publishes one (the members a tenant's has, for the
/// endpoints this server has), on the origin the request was sent to. SDKs read it first:
/// auth0-auth-js fails every call without it.
async fn discovery(Extract(state): Extract<Arc<State>>, headers: HeaderMap) -> Response {
    let base = state.origin(&headers);
    let (token, revoke, authorize) = super::endpoint_paths(state.config.other_paths);
    let body = json!({
        "issuer": format!("{base}/"),
        "authorization_endpoint": format!("{base}{authorize}"),
        "token_endpoint": format!("{base}{token}"),
        "jwks_uri": format!("{base}/.well-known/jwks.json"),
        "revocation_endpoint": format!("{base}{revoke}"),
        "userinfo_endpoint": format!("{base}/userinfo"),
        "mfa_challenge_endpoint": format!("{base}/mfa/challenge"),
        "device_authorization_endpoint": format!("{base}/oauth/device/code"),
        "backchannel_authentication_endpoint": format!("{base}/bc-authorize"),
        "pushed_authorization_request_endpoint": format!("{base}/oauth/par"),
        "scopes_supported": ["openid", "profile", "offline_access", "email"],
        "response_types_supported": ["code", "token", "id_token", "code token", "code id_token", "token id_token", "code token id_token"],
        "code_challenge_methods_supported": ["S256", "plain"],
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["public"],
        "grant_types_supported": [
            "authorization_code", "client_credentials", "refresh_token", "password", PASSWORD_REALM,
            super::device::GRANT, super::mfa::OTP_GRANT, super::mfa::OOB_GRANT, OTP_GRANT,
            "urn:openid:params:grant-type:ciba",
        ],
        "dpop_signing_alg_values_supported": ["ES256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "request_uri_parameter_supported": false,
        "request_parameter_supported": false,
    });
    json_response(StatusCode::OK, &body)
}

/// The key set that verifies what this server signs.
async fn jwks(Extract(state): Extract<Arc<State>>) -> Response {
    match state.keys.jwks() {
        Ok(set) => json_response(StatusCode::OK, &set),
        Err(message) => state.error(Row::ServerError, &message),
    }
}

pub(super) fn json_response(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

async fn not_found() -> Response {
    json_response(
        StatusCode::NOT_FOUND,
        &json!({ "error": "not_found", "error_description": "Not Found" }),
    )
}

/// A legacy endpoint that this tenant has disabled.
async fn disabled(Extract(state): Extract<Arc<State>>, uri: axum::http::Uri) -> Response {
    state.error(
        Row::EndpointDisabled,
        &format!("The endpoint {} is disabled for this tenant.", uri.path()),
    )
}

/// The legacy delegation endpoint, disabled as on tenants made since 2017; auth0-python's
/// `Delegated.get_token` still calls it, so an app can meet the endpoint_disabled row.
const DISABLED_DELEGATION: &str = "/delegation";

/// The request's parameters: a form, or a JSON object (Auth0 accepts both). JSON values that
/// are not strings are kept as JSON, so that a type error can be told from a missing value; a
/// `null` member is no member at all, as on a tenant (auth0-python sends every optional
/// parameter it was not given as `null`).
pub(super) fn params(
    headers: &HeaderMap,
    body: &[u8],
) -> Result<HashMap<String, Value>, &'static str> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .eq_ignore_ascii_case("application/json")
    {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(members)) => Ok(members
                .into_iter()
                .filter(|(_, value)| !value.is_null())
                .collect()),
            _ => Err("The request body must be a JSON object."),
        }
    } else {
        Ok(url::form_urlencoded::parse(body)
            .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
            .collect())
    }
}

/// The parameters and headers of a request to a POST-only endpoint, extracted: another method,
/// or a body that cannot be read, gets the documented answer before the handler runs.
pub(super) struct Post {
    pub(super) params: HashMap<String, Value>,
    pub(super) headers: HeaderMap,
}

impl axum::extract::FromRequest<Arc<State>> for Post {
    type Rejection = Response;

    async fn from_request(
        request: axum::extract::Request,
        state: &Arc<State>,
    ) -> Result<Self, Response> {
        let method = request.method().clone();
        let headers = request.headers().clone();
        let body = Bytes::from_request(request, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let params = post_params(state, &method, &headers, &body)?;
        Ok(Post { params, headers })
    }
}

/// The parameters of a POST-only endpoint, or the documented answer to another method or to a
/// body that cannot be read.
#[expect(
    clippy::result_large_err,
    reason = "the error is the response itself, built at most once per request"
)]
pub(super) fn post_params(
    state: &State,
    method: &Method,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<HashMap<String, Value>, Response> {
    if method != Method::POST {
        return Err(state.method_not_allowed("POST"));
    }
    params(headers, body).map_err(|message| state.invalid_request(message))
}

pub(super) fn text<'a>(params: &'a HashMap<String, Value>, name: &str) -> Option<&'a str> {
    params
        .get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// Who the client says it is, from a Basic header or the body (RFC 6749 §2.3.1).
pub(super) struct Credentials {
    pub(super) client_id: Option<String>,
    pub(super) secret: Option<String>,
    pub(super) basic: bool,
}

/// The credentials of the Authorization header if it uses `scheme`, which is matched without
/// regard to case (RFC 9110 §11.1).
pub(super) fn authorization<'a>(headers: &'a HeaderMap, scheme: &str) -> Option<&'a str> {
    let (given, credentials) = headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .split_once(' ')?;
    given
        .eq_ignore_ascii_case(scheme)
        .then_some(credentials.trim())
}

pub(super) fn credentials(
    headers: &HeaderMap,
    params: &HashMap<String, Value>,
) -> Result<Credentials, &'static str> {
    let basic = authorization(headers, "Basic");
    if let Some(encoded) = basic {
        if params.contains_key("client_secret") {
            return Err("Use only one client authentication method.");
        }
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok());
        let Some((id, secret)) = decoded.as_deref().and_then(|d| d.split_once(':')) else {
            return Err("The Authorization header is not valid Basic credentials.");
        };
        let unescape = |s: &str| {
            url::form_urlencoded::parse(format!("x={s}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
        };
        return Ok(Credentials {
            client_id: unescape(id),
            secret: unescape(secret),
            basic: true,
        });
    }
    Ok(Credentials {
        client_id: text(params, "client_id").map(str::to_owned),
        secret: text(params, "client_secret").map(str::to_owned),
        basic: false,
    })
}

/// Which client the credentials authenticate, if any.
pub(super) fn authenticate(creds: &Credentials) -> Option<&'static str> {
    match (creds.client_id.as_deref(), creds.secret.as_deref()) {
        (Some(CLIENT_ID), Some(CLIENT_SECRET)) => Some(CLIENT_ID),
        (Some(LIMITED_CLIENT_ID), Some(LIMITED_CLIENT_SECRET)) => Some(LIMITED_CLIENT_ID),
        (Some(WEB_CLIENT_ID), Some(WEB_CLIENT_SECRET)) => Some(WEB_CLIENT_ID),
        (Some(PUBLIC_CLIENT_ID), None) => Some(PUBLIC_CLIENT_ID),
        (Some(super::rfc::DEVICE_CLIENT_ID), None) => Some(super::rfc::DEVICE_CLIENT_ID),
        _ => None,
    }
}

/// Whether `client` signs users in (the SPA and the regular web app): the user grants
/// (password, passwordless OTP, MFA) and the app's fixed code and refresh token are theirs.
pub(super) fn signs_users_in(client: &str) -> bool {
    client == PUBLIC_CLIENT_ID || client == WEB_CLIENT_ID
}

/// The documented 401, with `WWW-Authenticate` when the client used the Authorization header
/// (RFC 6749 §5.2 requires it then). Answering as tenants are seen to, the token endpoint
/// says 401 `access_denied` "Unauthorized" to an unknown client and a wrong secret alike.
pub(super) fn reject_client(state: &State, creds: &Credentials, token_endpoint: bool) -> Response {
    let description = if creds.client_id.is_none() {
        "Missing client_id."
    } else {
        "Client authentication failed."
    };
    let mut response = if token_endpoint && state.observed() && creds.client_id.is_some() {
        json_response(
            StatusCode::UNAUTHORIZED,
            &json!({ "error": "access_denied", "error_description": "Unauthorized" }),
        )
    } else {
        state.error(Row::InvalidClient, description)
    };
    if creds.basic {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"authconform\""),
        );
    }
    response
}

pub(super) fn grant_not_allowed(state: &State, grant_type: &str) -> Response {
    state.error_with(
        Row::UnauthorizedClient,
        &format!("Grant type '{grant_type}' not allowed for the client."),
        json!({ "error_uri": "https://auth0.com/docs/clients/client-grant-types" }),
    )
}

async fn token(
    Extract(state): Extract<Arc<State>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (client, mut response) = token_answer(&state, &method, &headers, &body);
    // A client that authenticated counts against its own bucket, whose headers the answer
    // carries; the one that exists to be limited reaches its limit in a few requests.
    if let Some(client) = client {
        let limit = if client == LIMITED_CLIENT_ID {
            limits::TOKEN_LIMITED
        } else {
            limits::TOKEN
        };
        let quota = state.take(&format!("token:{client}"), limit);
        if !quota.allowed {
            return state.too_many_requests(&quota);
        }
        quota.stamp(&mut response);
    }
    response
}

/// The token endpoint's answer, and the client that authenticated (if one did).
fn token_answer(
    state: &State,
    method: &Method,
    headers: &HeaderMap,
    body: &[u8],
) -> (Option<&'static str>, Response) {
    let state = &state;
    let answer = |r: Response| (None, r);
    let params = match post_params(state, method, headers, body) {
        Ok(p) => p,
        Err(r) => return answer(r),
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let htu = format!(
        "{}{}",
        state.origin(headers),
        super::endpoint_paths(state.config.other_paths).0
    );
    if let Some(refused) = super::dpop::refuse(state, headers, &htu, now) {
        return answer(refused);
    }
    let Some(grant_type) = text(&params, "grant_type") else {
        return answer(state.invalid_request("Missing required parameter: grant_type"));
    };
    if params
        .get("scope")
        .is_some_and(|s| !s.is_string() && !s.is_array())
    {
        return answer(state.error_with(
            Row::ScopeType,
            "Scope must be an array or a string",
            json!({ "statusCode": 400 }),
        ));
    }
    let creds = match credentials(headers, &params) {
        Ok(c) => c,
        Err(message) => return answer(state.invalid_request(message)),
    };
    let Some(client) = authenticate(&creds) else {
        return answer(reject_client(state, &creds, true));
    };
    let response = match grant_type {
        "client_credentials" => client_credentials(state, client, &params, headers),
        "refresh_token" => match text(&params, "refresh_token") {
            None => state.invalid_request("Missing required parameter: refresh_token"),
            Some(super::DELETED_USER_REFRESH_TOKEN) if signs_users_in(client) => {
                Entry::new("token-refresh-token-user-gone").answer(state.fault())
            }
            // This server keeps no refresh tokens: every one is unknown. Tenants are seen to
            // say so with invalid_grant, where the table documents access_denied.
            Some(_) if state.observed() => invalid_grant("Unknown or invalid refresh token."),
            Some(_) => state.error(Row::RefreshToken, "Unknown or invalid refresh token."),
        },
        PASSWORD_REALM | "password" => password(state, client, grant_type, &params),
        "authorization_code" => exchange_code(state, client, &params, headers),
        super::device::GRANT if client == super::rfc::DEVICE_CLIENT_ID => {
            super::device::poll(state, &state.device, &params)
        }
        super::mfa::OTP_GRANT => super::mfa::otp(state, client, &params, headers),
        super::mfa::OOB_GRANT => super::mfa::oob(state, client, &params),
        OTP_GRANT if !signs_users_in(client) => grant_not_allowed(state, grant_type),
        OTP_GRANT => super::passwordless::otp(state, &params),
        other => json_response(
            StatusCode::BAD_REQUEST,
            &json!({ "error": "unsupported_grant_type", "error_description": format!("Unsupported grant type: {other}") }),
        ),
    };
    (Some(client), response)
}

/// The password grants; [`super::logins`] knows the users. Without a `realm` a tenant uses
/// its default directory, which here is [`DB_CONNECTION`].
fn password(
    state: &State,
    client: &str,
    grant_type: &str,
    params: &HashMap<String, Value>,
) -> Response {
    if !signs_users_in(client) {
        return grant_not_allowed(state, grant_type);
    }
    if text(params, "username").is_none() {
        return state.invalid_request("Missing required parameter: username");
    }
    if grant_type == PASSWORD_REALM && text(params, "realm").is_some_and(|r| r != DB_CONNECTION) {
        return state.invalid_request("The connection was not found.");
    }
    super::logins::login(state, params)
}

/// Not a seed-table row: what real tenants send for bad user credentials and codes.
/// An error that is not a row of a table, in the shape of the rows of the endpoints other than
/// the token endpoint's (whose JSON carries a charset).
pub(super) fn oauth(status: StatusCode, code: &str, description: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        json!({ "error": code, "error_description": description }).to_string(),
    )
        .into_response()
}

/// A token-endpoint 403 invalid_grant that is not a row of a table.
pub(super) fn invalid_grant(description: &str) -> Response {
    json_response(
        StatusCode::FORBIDDEN,
        &json!({ "error": "invalid_grant", "error_description": description }),
    )
}

fn client_credentials(
    state: &State,
    client: &str,
    params: &HashMap<String, Value>,
    headers: &HeaderMap,
) -> Response {
    // The regular web app has no client_credentials grant: see [`WEB_CLIENT_ID`].
    if signs_users_in(client) {
        return grant_not_allowed(state, "client_credentials");
    }
    let audience = text(params, "audience").unwrap_or_default();
    match audience {
        AUDIENCE => {}
        UNGRANTED_AUDIENCE => {
            return state.error(
                Row::AccessDenied,
                &format!("Client \"{client}\" is not authorized to access resource server \"{audience}\". You need to create a \"client-grant\" associated to this API."),
            );
        }
        // These three stand for APIs whose credentials-exchange Action denies the request.
        INVALID_SCOPE_AUDIENCE => {
            return state.error(Row::InvalidScope, "conformance invalid_scope");
        }
        SERVER_ERROR_AUDIENCE => return state.error(Row::ServerError, "conformance 500"),
        UNAVAILABLE_AUDIENCE => {
            let mut response = state.error(
                Row::TemporarilyUnavailable,
                "The service is temporarily unavailable; retry later.",
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("30"));
            return response;
        }
        "" => {
            return state.error(
                Row::AccessDenied,
                "Non-global clients are not allowed access to APIv1",
            );
        }
        other => {
            return state.error(
                Row::AccessDenied,
                &format!("Service not enabled within domain: {other}"),
            );
        }
    }
    let requested: Vec<&str> = text(params, "scope")
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    let refused: Vec<&str> = requested
        .iter()
        .copied()
        .filter(|s| *s != GRANTED_SCOPE)
        .collect();
    if !refused.is_empty() {
        return state.error(
            Row::AccessDenied,
            &format!("Client has not been granted scopes: {}", refused.join(" ")),
        );
    }
    // An API's access token, signed as a tenant signs it: the API can verify it with the
    // published key set.
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let claims = json!({
        "iss": format!("{}/", state.origin(headers)),
        "sub": format!("{client}@clients"),
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + TOKEN_LIFETIME,
        "jti": state.mint(""),
        "scope": GRANTED_SCOPE,
        "gty": "client-credentials",
        "azp": client,
    });
    let access_token = match state.keys.sign(&claims) {
        Ok(token) => token,
        Err(message) => return state.error(Row::ServerError, &message),
    };
    issued(&json!({
        "access_token": access_token,
        "scope": GRANTED_SCOPE,
        "token_type": "Bearer",
        "expires_in": TOKEN_LIFETIME,
    }))
}

/// A token response, with the caching headers a tenant sends on one.
pub(super) fn issued(body: &Value) -> Response {
    let mut response = json_response(StatusCode::OK, body);
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// The authorization_code grant: a code that /authorize issued to this client, used once,
/// within ten minutes, with the same redirect_uri and (when the request had a challenge) the
/// PKCE verifier. Anything else is the code a tenant does not know: 403 invalid_grant.
fn exchange_code(
    state: &State,
    client: &str,
    params: &HashMap<String, Value>,
    headers: &HeaderMap,
) -> Response {
    let Some(code) = text(params, "code") else {
        return state.invalid_request("Missing required parameter: code");
    };
    // Taken out whatever happens next: a code is good for one try (but the fixed one).
    let grant = if code == super::PKCE_CODE {
        Some(pkce_grant(client))
    } else {
        state.codes().remove(code)
    };
    let Some(grant) = grant.filter(|g| g.issued.elapsed() < CODE_LIFETIME && g.client == client)
    else {
        return Entry::new("token-invalid-authorization-code").answer(state.fault());
    };
    if text(params, "redirect_uri").unwrap_or_default() != grant.redirect_uri {
        return invalid_grant("Invalid redirect_uri.");
    }
    if let Some((method, challenge)) = &grant.challenge {
        let verifier = text(params, "code_verifier").unwrap_or_default();
        let derived = if method == "S256" {
            let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes());
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref())
        } else {
            verifier.to_owned()
        };
        if verifier.is_empty() || derived != *challenge {
            return Entry::new("token-code-verifier").answer(state.fault());
        }
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let issuer = format!("{}/", state.origin(headers));
    let audience = grant
        .audience
        .clone()
        .unwrap_or_else(|| format!("{issuer}userinfo"));
    let access = json!({
        "iss": issuer, "sub": USER_ID, "aud": audience, "iat": now,
        "exp": now + TOKEN_LIFETIME, "scope": grant.scope, "azp": client,
    });
    let mut body = json!({
        "scope": grant.scope,
        "token_type": "Bearer",
        "expires_in": TOKEN_LIFETIME,
    });
    match state.keys.sign(&access) {
        Ok(token) => body["access_token"] = Value::String(token),
        Err(message) => return state.error(Row::ServerError, &message),
    }
    if grant.scope.split(' ').any(|s| s == "openid") {
        let mut id = json!({
            "iss": issuer, "sub": USER_ID, "aud": client, "iat": now,
            "exp": now + 36_000, "name": "authconform user",
        });
        if let Some(nonce) = &grant.nonce {
            id["nonce"] = Value::String(nonce.clone());
        }
        match state.keys.sign(&id) {
            Ok(token) => body["id_token"] = Value::String(token),
            Err(message) => return state.error(Row::ServerError, &message),
        }
    }
    issued(&body)
}

/// What [`super::PKCE_CODE`] stands for: a login of the app (`client` when it is one that
/// signs users in, else the public client) with an S256 challenge of [`super::PKCE_VERIFIER`].
fn pkce_grant(client: &str) -> Grant {
    let digest =
        aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, super::PKCE_VERIFIER.as_bytes());
    Grant {
        client: if signs_users_in(client) {
            client
        } else {
            PUBLIC_CLIENT_ID
        }
        .into(),
        redirect_uri: REDIRECT_URI.into(),
        challenge: Some((
            "S256".into(),
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref()),
        )),
        scope: "openid".into(),
        audience: None,
        nonce: None,
        issued: std::time::Instant::now(),
    }
}

async fn revoke(Extract(state): Extract<Arc<State>>, Post { params, headers }: Post) -> Response {
    let creds = match credentials(&headers, &params) {
        Ok(c) => c,
        Err(message) => return state.invalid_request(message),
    };
    if authenticate(&creds).is_none() {
        return reject_client(&state, &creds, false);
    }
    if text(&params, "token").is_none() {
        return state.invalid_request("Missing required parameter: token");
    }
    // RFC 7009 §2.2: unknown and already-revoked tokens are answered 200 too.
    StatusCode::OK.into_response()
}

/// An HTML error page, as Auth0 shows when it cannot trust the redirect_uri.
fn error_page(status: StatusCode, code: &str, description: &str) -> Response {
    let page = format!(
        "<!DOCTYPE html><html><body><p><strong>{code}</strong>: {description}</p></body></html>"
    );
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        page,
    )
        .into_response()
}

async fn authorize(
    Extract(state): Extract<Arc<State>>,
    method: Method,
    RawQuery(query): RawQuery,
) -> Response {
    if method != Method::GET {
        return state.method_not_allowed("GET");
    }
    let query = query.unwrap_or_default();
    let params: HashMap<String, String> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let get = |name: &str| params.get(name).map(String::as_str).unwrap_or_default();
    if !signs_users_in(get("client_id")) && get("client_id") != CLIENT_ID {
        return error_page(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Unknown client.",
        );
    }
    if get("redirect_uri") != REDIRECT_URI {
        return error_page(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            "Callback URL mismatch.",
        );
    }
    let response_type = get("response_type");
    let redirect = |pairs: &[(&str, &str)]| {
        let mut url = url::Url::parse(REDIRECT_URI).expect("the redirect URI is valid");
        let mut query = url.query_pairs_mut();
        query.extend_pairs(pairs);
        // A tenant returns `state` when one was sent, and only then.
        if let Some(state) = params.get("state") {
            query.append_pair("state", state);
        }
        drop(query);
        (StatusCode::FOUND, [(header::LOCATION, url.to_string())]).into_response()
    };
    let known = [
        "code",
        "token",
        "id_token",
        "code token",
        "code id_token",
        "id_token token",
        "code id_token token",
    ];
    if !known.contains(&response_type) {
        if state.has_fault(Fault::UnsupportedResponseTypeRedirect) {
            return redirect(&[
                ("error", "unsupported_response_type"),
                ("error_description", "Unsupported response type."),
            ]);
        }
        return state.error(
            Row::UnsupportedResponseType,
            &format!("Unsupported response type: {response_type}"),
        );
    }
    // What a code keeps is bounded: a client chooses these values.
    if let Some(name) = KEPT_PARAMETERS.into_iter().find(|name| {
        params
            .get(*name)
            .is_some_and(|v| v.len() > MAX_KEPT_PARAMETER)
    }) {
        return error_page(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            &format!("The {name} parameter is longer than {MAX_KEPT_PARAMETER} bytes."),
        );
    }
    let code = state.mint("code_");
    let param = |name: &str| params.get(name).filter(|v| !v.is_empty()).cloned();
    state.codes().insert(
        code.clone(),
        Grant {
            client: get("client_id").to_owned(),
            redirect_uri: get("redirect_uri").to_owned(),
            challenge: param("code_challenge").map(|c| {
                (
                    param("code_challenge_method").unwrap_or_else(|| "plain".into()),
                    c,
                )
            }),
            scope: get("scope").to_owned(),
            audience: param("audience"),
            nonce: param("nonce"),
            issued: std::time::Instant::now(),
        },
    );
    redirect(&[("code", &code)])
}

/// /userinfo, as tenants answer it: the user of an access token this server issued for it (by
/// the code flow), else the row `userinfo-unauthorized`: 401 with the plain-text body
/// `Unauthorized`, no Content-Type, and the error in `WWW-Authenticate` (a real capture; RFC
/// 6750 §3).
async fn userinfo(
    Extract(state): Extract<Arc<State>>,
    method: Method,
    headers: HeaderMap,
) -> Response {
    if method != Method::GET && method != Method::POST {
        return state.method_not_allowed("GET, POST");
    }
    let token = authorization(&headers, "Bearer");
    let audience = format!("{}/userinfo", state.origin(&headers));
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let claims = token.and_then(|t| state.keys.verify(t)).filter(|c| {
        let aud_has = |a: &Value| a.as_str() == Some(audience.as_str());
        (aud_has(&c["aud"])
            || c["aud"]
                .as_array()
                .is_some_and(|all| all.iter().any(aud_has)))
            && c["exp"].as_u64().is_some_and(|exp| exp > now)
    });
    if let Some(claims) = claims {
        return json_response(
            StatusCode::OK,
            &json!({ "sub": claims["sub"], "name": "authconform user" }),
        );
    }
    let challenge = if token.is_some() {
        "Bearer realm=\"Users\", error=\"invalid_token\", error_description=\"Invalid token\""
    } else {
        "Bearer realm=\"Users\""
    };
    let mut response = Entry::new("userinfo-unauthorized")
        .header(header::WWW_AUTHENTICATE, challenge)
        .answer(state.fault());
    let h = response.headers_mut();
    h.remove(header::CONTENT_TYPE);
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(ERROR_CACHE_CONTROL),
    );
    response
}

async fn change_password(
    Extract(state): Extract<Arc<State>>,
    Post { params, headers: _ }: Post,
) -> Response {
    if text(&params, "client_id").is_none_or(|c| !signs_users_in(c) && c != CLIENT_ID) {
        return state.invalid_request("Missing or unknown client_id.");
    }
    let Some(email) = text(&params, "email") else {
        return state.invalid_request("Missing required parameter: email");
    };
    if text(&params, "connection") != Some(DB_CONNECTION) {
        return state.invalid_request("The connection was not found.");
    }
    let quota = state.take(
        &format!("reset:{}", email.to_ascii_lowercase()),
        limits::CHANGE_PASSWORD,
    );
    if !quota.allowed {
        return state.too_many_requests(&quota);
    }
    let mut response = (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        "We've just sent you an email to reset your password.",
    )
        .into_response();
    quota.stamp(&mut response);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant() -> Grant {
        Grant {
            client: PUBLIC_CLIENT_ID.into(),
            redirect_uri: REDIRECT_URI.into(),
            challenge: None,
            scope: "openid".into(),
            audience: None,
            nonce: None,
            issued: std::time::Instant::now(),
        }
    }

    /// A client that asks /authorize for codes without end never grows the table past its cap;
    /// the newest codes are the ones still there to exchange.
    #[test]
    fn codes_never_exceed_their_cap_and_the_newest_stay() {
        let mut codes = Codes::default();
        let mut most = 0;
        for n in 0..10 * MAX_CODES {
            codes.insert(format!("code_{n}"), grant());
            most = most.max(codes.0.len());
        }
        assert_eq!(most, MAX_CODES);
        let last = format!("code_{}", 10 * MAX_CODES - 1);
        assert!(codes.remove(&last).is_some(), "the newest code is kept");
        assert!(codes.remove("code_0").is_none(), "the oldest went first");
    }

    async fn token_of(state: &State, pairs: &[(&str, &str)], dpop: Option<&str>) -> (u16, Value) {
        let body: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        let mut headers = HeaderMap::new();
        if let Some(proof) = dpop {
            headers.insert("dpop", HeaderValue::from_str(proof).unwrap());
        }
        let (_, r) = token_answer(state, &Method::POST, &headers, body.as_bytes());
        let status = r.status().as_u16();
        let body = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
        (status, serde_json::from_slice(&body).unwrap())
    }

    /// The fixed PKCE code is exchanged on every try with the right verifier, and answered
    /// with the row with a wrong one; a deleted user's refresh token and a bad DPoP proof get
    /// their rows.
    #[tokio::test]
    async fn fixed_values_get_their_rows_and_the_right_verifier_its_tokens() {
        let state = State::new(Config::default());
        let code = |verifier| {
            [
                ("grant_type", "authorization_code"),
                ("client_id", PUBLIC_CLIENT_ID),
                ("code", super::super::PKCE_CODE),
                ("redirect_uri", REDIRECT_URI),
                ("code_verifier", verifier),
            ]
        };
        for _ in 0..2 {
            let (status, body) = token_of(&state, &code(super::super::PKCE_VERIFIER), None).await;
            assert_eq!(status, 200, "{body}");
            assert!(body["id_token"].is_string());
        }
        let (status, body) = token_of(&state, &code("wrong"), None).await;
        assert_eq!(
            (status, &body["error_description"]),
            (403, &json!("Failed to verify code verifier"))
        );
        let gone = [
            ("grant_type", "refresh_token"),
            ("client_id", PUBLIC_CLIENT_ID),
            ("refresh_token", super::super::DELETED_USER_REFRESH_TOKEN),
        ];
        let (status, body) = token_of(&state, &gone, None).await;
        assert_eq!(status, 403);
        assert!(
            body["error_description"]
                .as_str()
                .unwrap()
                .contains("doesn't exist anymore")
        );
        let (status, body) = token_of(&state, &gone, Some("not-a-jwt")).await;
        assert_eq!(
            (status, &body["error"]),
            (400, &json!("invalid_dpop_proof"))
        );
    }

    /// The regular web app, with its secret, gets the user grants' rows as the public client
    /// does (the fixed code and refresh token included), and unauthorized_client for
    /// client_credentials, which it lacks; without its secret it is no client at all. The M2M
    /// client still lacks the password grant.
    #[tokio::test]
    async fn the_web_client_has_the_user_grants_and_not_client_credentials() {
        use super::super::{
            DELETED_USER_REFRESH_TOKEN, MFA_PASSWORD, MFA_USERNAME, PKCE_CODE, PKCE_VERIFIER,
        };
        let state = State::new(Config::default());
        let web = |pairs: &[(&'static str, &'static str)]| {
            let mut all = vec![
                ("client_id", WEB_CLIENT_ID),
                ("client_secret", WEB_CLIENT_SECRET),
            ];
            all.extend_from_slice(pairs);
            all
        };
        let realm = |user, password| {
            web(&[
                ("grant_type", PASSWORD_REALM),
                ("realm", DB_CONNECTION),
                ("username", user),
                ("password", password),
            ])
        };
        let answers = [
            (realm("nobody@example.com", "wrong"), 403, "invalid_grant"),
            (realm(MFA_USERNAME, MFA_PASSWORD), 403, "mfa_required"),
            (
                web(&[
                    ("grant_type", OTP_GRANT),
                    ("realm", "email"),
                    ("username", "someone@example.com"),
                    ("otp", "000000"),
                ]),
                403,
                "invalid_grant",
            ),
            (
                web(&[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", DELETED_USER_REFRESH_TOKEN),
                ]),
                403,
                "invalid_grant",
            ),
            (
                web(&[("grant_type", "client_credentials"), ("audience", AUDIENCE)]),
                403,
                "unauthorized_client",
            ),
        ];
        for (pairs, status, error) in &answers {
            let (got, body) = token_of(&state, pairs, None).await;
            assert_eq!((got, &body["error"]), (*status, &json!(error)), "{pairs:?}");
        }
        let code = |verifier| {
            web(&[
                ("grant_type", "authorization_code"),
                ("code", PKCE_CODE),
                ("redirect_uri", REDIRECT_URI),
                ("code_verifier", verifier),
            ])
        };
        let (status, body) = token_of(&state, &code(PKCE_VERIFIER), None).await;
        assert_eq!(
            (status, &body["id_token"].is_string()),
            (200, &true),
            "{body}"
        );
        assert_eq!(jwt_claims(&body["id_token"])["aud"], WEB_CLIENT_ID);
        let (status, body) = token_of(&state, &code("wrong"), None).await;
        assert_eq!(
            (status, &body["error_description"]),
            (403, &json!("Failed to verify code verifier"))
        );
        let mut no_secret = realm("nobody@example.com", "wrong");
        no_secret.remove(1);
        let (status, body) = token_of(&state, &no_secret, None).await;
        assert_eq!((status, &body["error"]), (401, &json!("invalid_client")));
        let m2m = [
            ("grant_type", PASSWORD_REALM),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("username", "nobody@example.com"),
            ("password", "wrong"),
        ];
        let (status, body) = token_of(&state, &m2m, None).await;
        assert_eq!(
            (status, &body["error"]),
            (403, &json!("unauthorized_client"))
        );
    }

    /// The claims of a JWT this server signed, read without verifying it.
    fn jwt_claims(token: &Value) -> Value {
        let payload = token.as_str().unwrap().split('.').nth(1).unwrap();
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    /// The POST-only endpoints answer another method and an unreadable body as documented,
    /// before their handler runs.
    #[tokio::test]
    async fn post_takes_a_post_and_answers_anything_else_as_documented() {
        use axum::extract::FromRequest;
        let state = Arc::new(State::new(Config::default()));
        let request = |method: &str, content_type: &str, body: &'static str| {
            axum::http::Request::builder()
                .method(method)
                .header(header::CONTENT_TYPE, content_type)
                .body(axum::body::Body::from(body))
                .unwrap()
        };
        let form = "application/x-www-form-urlencoded";
        let post = Post::from_request(request("POST", form, "a=1&b=two"), &state)
            .await
            .ok()
            .unwrap();
        assert_eq!(post.params["b"], "two");
        let Err(refused) = Post::from_request(request("GET", form, ""), &state).await else {
            panic!("a GET is refused");
        };
        assert_eq!(refused.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(refused.headers()[header::ALLOW], "POST");
        let json = "application/json";
        let Err(refused) = Post::from_request(request("POST", json, "{not json"), &state).await
        else {
            panic!("a body that is not JSON is refused");
        };
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    }

    /// A code past its lifetime goes before any code that can still be exchanged.
    #[test]
    fn expired_codes_go_first() {
        let mut codes = Codes::default();
        let Some(long_ago) = std::time::Instant::now().checked_sub(CODE_LIFETIME) else {
            return;
        };
        for n in 0..MAX_CODES - 1 {
            let mut old = grant();
            old.issued = long_ago;
            codes.insert(format!("old_{n}"), old);
        }
        codes.insert("fresh".into(), grant());
        codes.insert("new".into(), grant());
        assert_eq!(codes.0.len(), 2);
        assert!(codes.remove("fresh").is_some());
    }
}
