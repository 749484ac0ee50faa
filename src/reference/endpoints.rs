//! The reference server's endpoints. Every documented error is built by [`State::error`] from
//! the seed-table [`Row`] it implements; that is the one place a [`Fault`] bends a reply.

use std::{
    collections::HashMap,
    hash::{BuildHasher, Hasher},
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
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
    AUDIENCE, CLIENT_ID, CLIENT_SECRET, Config, DB_CONNECTION, DISABLED_ENDPOINT, Fault,
    INVALID_SCOPE_AUDIENCE, PUBLIC_CLIENT_ID, REDIRECT_URI, SERVER_ERROR_AUDIENCE,
    UNAVAILABLE_AUDIENCE, UNGRANTED_AUDIENCE,
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

/// What real Auth0 tenants send on `/oauth/token` errors.
const ERROR_CACHE_CONTROL: &str =
    "private, no-store, no-cache, must-revalidate, post-check=0, pre-check=0, no-transform";
/// The scope the M2M client is granted on [`AUDIENCE`].
const GRANTED_SCOPE: &str = "read:conformance";
/// /dbconnections/change_password: burst and refill, as on Auth0 (10, then 1 a minute).
const RESET_BURST: u32 = 10;
const RESET_REFILL: Duration = Duration::from_secs(60);
const PASSWORD_REALM: &str = "http://auth0.com/oauth/grant-type/password-realm";

/// A token bucket.
struct Bucket {
    tokens: u32,
    last_refill: Instant,
}

pub struct State {
    config: Config,
    tokens_issued: AtomicU64,
    random: std::hash::RandomState,
    reset_buckets: Mutex<HashMap<String, Bucket>>,
}

impl State {
    pub fn new(config: Config) -> Self {
        State {
            config,
            tokens_issued: AtomicU64::new(0),
            random: std::hash::RandomState::new(),
            reset_buckets: Mutex::default(),
        }
    }

    fn has_fault(&self, d: Fault) -> bool {
        self.config.fault == Some(d)
    }

    fn hit(&self, row: Row) -> Option<Fault> {
        self.config.fault.filter(|d| d.hits(row))
    }

    /// The documented error of `row`: `{"error", "error_description"}` as `application/json`
    /// with the caching headers token errors carry, bent here when a fault says so.
    fn error(&self, row: Row, description: &str) -> Response {
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
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(ERROR_CACHE_CONTROL),
        );
        headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
        response
    }

    fn method_not_allowed(&self, allowed: &'static str) -> Response {
        let mut response = self.error(
            Row::MethodNotAllowed,
            &format!("Method not allowed; use {allowed}."),
        );
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static(allowed));
        response
    }

    fn invalid_request(&self, description: &str) -> Response {
        self.error(Row::InvalidRequest, description)
    }

    /// An opaque access token or code, unique per server and request. Not cryptographic: this
    /// server exists for tests.
    fn mint(&self, prefix: &str) -> String {
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

    /// Takes a token from the bucket of `key`: (allowed, remaining, seconds until the next
    /// token). Without a limit (a fault) every request is allowed.
    fn take_reset_token(&self, key: &str) -> (bool, u32, u64) {
        if self.has_fault(Fault::NoRateLimit) {
            return (true, RESET_BURST, 0);
        }
        let mut buckets = self.reset_buckets.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let bucket = buckets.entry(key.to_owned()).or_insert(Bucket {
            tokens: RESET_BURST,
            last_refill: now,
        });
        let refills =
            (now.duration_since(bucket.last_refill).as_secs() / RESET_REFILL.as_secs()) as u32;
        if refills > 0 {
            bucket.tokens = (bucket.tokens + refills).min(RESET_BURST);
            bucket.last_refill += RESET_REFILL * refills;
        }
        let next = RESET_REFILL
            .saturating_sub(now.duration_since(bucket.last_refill))
            .as_secs()
            .max(1);
        if bucket.tokens == 0 {
            return (false, 0, next);
        }
        bucket.tokens -= 1;
        (true, bucket.tokens, next)
    }
}

pub fn router(state: Arc<State>) -> Router {
    let (token_path, revoke_path, authorize_path) = super::endpoint_paths(state.config.other_paths);
    Router::new()
        .route("/.well-known/openid-configuration", any(discovery))
        .route(token_path, any(token))
        .route(revoke_path, any(revoke))
        .route(authorize_path, any(authorize))
        .route("/dbconnections/change_password", any(change_password))
        .route(DISABLED_ENDPOINT, any(disabled))
        .fallback(not_found)
        .with_state(state)
}

/// The discovery document, as a tenant publishes one: where the endpoints are, on the origin
/// the request was sent to.
async fn discovery(Extract(state): Extract<Arc<State>>, headers: HeaderMap) -> Response {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    let base = format!("http://{host}");
    let (token, revoke, authorize) = super::endpoint_paths(state.config.other_paths);
    let body = json!({
        "issuer": format!("{base}/"),
        "token_endpoint": format!("{base}{token}"),
        "revocation_endpoint": format!("{base}{revoke}"),
        "authorization_endpoint": format!("{base}{authorize}"),
        "grant_types_supported": ["client_credentials", "refresh_token", "password", "http://auth0.com/oauth/grant-type/password-realm"],
        "response_types_supported": ["code"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
    });
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

async fn not_found() -> Response {
    let body = json!({ "error": "not_found", "error_description": "Not Found" });
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// A legacy endpoint that this tenant has disabled.
async fn disabled(Extract(state): Extract<Arc<State>>) -> Response {
    state.error(
        Row::EndpointDisabled,
        &format!("The endpoint {DISABLED_ENDPOINT} is disabled for this tenant."),
    )
}

/// The request's parameters: a form, or a JSON object (Auth0 accepts both). JSON values that
/// are not strings are kept as JSON, so that a type error can be told from a missing value.
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
            Ok(Value::Object(members)) => Ok(members.into_iter().collect()),
            _ => Err("The request body must be a JSON object."),
        }
    } else {
        Ok(url::form_urlencoded::parse(body)
            .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
            .collect())
    }
}

/// The parameters of a POST-only endpoint, or the documented answer to another method or to a
/// body that cannot be read.
#[expect(
    clippy::result_large_err,
    reason = "the error is the response itself, built at most once per request"
)]
fn post_params(
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

pub(super) fn credentials(
    headers: &HeaderMap,
    params: &HashMap<String, Value>,
) -> Result<Credentials, &'static str> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Basic ")
                .or_else(|| v.strip_prefix("basic "))
        });
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
fn authenticate(creds: &Credentials) -> Option<&'static str> {
    match (creds.client_id.as_deref(), creds.secret.as_deref()) {
        (Some(CLIENT_ID), Some(CLIENT_SECRET)) => Some(CLIENT_ID),
        (Some(PUBLIC_CLIENT_ID), None) => Some(PUBLIC_CLIENT_ID),
        _ => None,
    }
}

/// The documented 401, with `WWW-Authenticate` when the client used the Authorization header
/// (RFC 6749 §5.2 requires it then).
fn reject_client(state: &State, creds: &Credentials) -> Response {
    let description = if creds.client_id.is_none() {
        "Missing client_id."
    } else {
        "Client authentication failed."
    };
    let mut response = state.error(Row::InvalidClient, description);
    if creds.basic {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"authconform\""),
        );
    }
    response
}

fn grant_not_allowed(state: &State, grant_type: &str) -> Response {
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
    let params = match post_params(&state, &method, &headers, &body) {
        Ok(p) => p,
        Err(answer) => return answer,
    };
    let Some(grant_type) = text(&params, "grant_type") else {
        return state.invalid_request("Missing required parameter: grant_type");
    };
    if params
        .get("scope")
        .is_some_and(|s| !s.is_string() && !s.is_array())
    {
        return state.error_with(
            Row::ScopeType,
            "Scope must be an array or a string",
            json!({ "statusCode": 400 }),
        );
    }
    let creds = match credentials(&headers, &params) {
        Ok(c) => c,
        Err(message) => return state.invalid_request(message),
    };
    let Some(client) = authenticate(&creds) else {
        return reject_client(&state, &creds);
    };
    match grant_type {
        "client_credentials" => client_credentials(&state, client, &params),
        "refresh_token" => match text(&params, "refresh_token") {
            None => state.invalid_request("Missing required parameter: refresh_token"),
            // This server keeps no refresh tokens: every one is unknown.
            Some(_) => state.error(Row::RefreshToken, "Unknown or invalid refresh token."),
        },
        PASSWORD_REALM | "password" => {
            if client != PUBLIC_CLIENT_ID {
                return grant_not_allowed(&state, grant_type);
            }
            if text(&params, "username").is_none() {
                return state.invalid_request("Missing required parameter: username");
            }
            if grant_type == PASSWORD_REALM && text(&params, "realm") != Some(DB_CONNECTION) {
                return state.invalid_request("The connection was not found.");
            }
            invalid_grant("Wrong email or password.")
        }
        "authorization_code" => invalid_grant("Invalid authorization code"),
        other => {
            let body = json!({ "error": "unsupported_grant_type", "error_description": format!("Unsupported grant type: {other}") });
            (
                StatusCode::BAD_REQUEST,
                [(header::CONTENT_TYPE, "application/json")],
                body.to_string(),
            )
                .into_response()
        }
    }
}

/// Not a seed-table row: what real tenants send for bad user credentials and codes.
fn invalid_grant(description: &str) -> Response {
    let body = json!({ "error": "invalid_grant", "error_description": description });
    (
        StatusCode::FORBIDDEN,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn client_credentials(state: &State, client: &str, params: &HashMap<String, Value>) -> Response {
    if client != CLIENT_ID {
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
    let body = json!({
        "access_token": state.mint("at_"),
        "scope": GRANTED_SCOPE,
        "token_type": "Bearer",
        "expires_in": 86400,
    });
    let mut response = (StatusCode::OK, body.to_string()).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

async fn revoke(
    Extract(state): Extract<Arc<State>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = match post_params(&state, &method, &headers, &body) {
        Ok(p) => p,
        Err(answer) => return answer,
    };
    let creds = match credentials(&headers, &params) {
        Ok(c) => c,
        Err(message) => return state.invalid_request(message),
    };
    if authenticate(&creds).is_none() {
        return reject_client(&state, &creds);
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
    if get("client_id") != PUBLIC_CLIENT_ID && get("client_id") != CLIENT_ID {
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
        url.query_pairs_mut()
            .extend_pairs(pairs)
            .append_pair("state", get("state"));
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
    let code = state.mint("code_");
    redirect(&[("code", &code)])
}

async fn change_password(
    Extract(state): Extract<Arc<State>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = match post_params(&state, &method, &headers, &body) {
        Ok(p) => p,
        Err(answer) => return answer,
    };
    if text(&params, "client_id").is_none_or(|c| c != PUBLIC_CLIENT_ID && c != CLIENT_ID) {
        return state.invalid_request("Missing or unknown client_id.");
    }
    let Some(email) = text(&params, "email") else {
        return state.invalid_request("Missing required parameter: email");
    };
    if text(&params, "connection") != Some(DB_CONNECTION) {
        return state.invalid_request("The connection was not found.");
    }
    let (allowed, remaining, next) = state.take_reset_token(&email.to_ascii_lowercase());
    let mut response = if allowed {
        (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            "We've just sent you an email to reset your password.",
        )
            .into_response()
    } else {
        let mut r = state.error(
            Row::TooManyRequests,
            "Too many requests. Check the X-RateLimit-Limit, X-RateLimit-Remaining and X-RateLimit-Reset headers.",
        );
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(next));
        r
    };
    if !state.has_fault(Fault::RateLimitHeadersMissing) {
        let reset = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs()
            + next;
        let h = response.headers_mut();
        h.insert("x-ratelimit-limit", HeaderValue::from(RESET_BURST));
        h.insert("x-ratelimit-remaining", HeaderValue::from(remaining));
        h.insert("x-ratelimit-reset", HeaderValue::from(reset));
    }
    response
}
