//! The reference server's endpoints. Every error goes through [`State::error`], which builds the
//! documented body and headers and is the one place a [`Deviation`] bends them.

use std::{
    collections::HashMap,
    hash::{BuildHasher, Hasher},
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
};

use axum::{
    Router,
    body::Bytes,
    extract::State as Extract,
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    response::{IntoResponse, Response},
    routing::any,
};
use base64::Engine;
use serde_json::{Value, json};

use super::{AUDIENCE, CLIENT_ID, CLIENT_SECRET, Config, Deviation, PUBLIC_CLIENT_ID};

/// What real Auth0 tenants send on `/oauth/token` errors.
const ERROR_CACHE_CONTROL: &str =
    "private, no-store, no-cache, must-revalidate, post-check=0, pre-check=0, no-transform";

pub struct State {
    config: Config,
    tokens_issued: AtomicU64,
    random: std::hash::RandomState,
}

impl State {
    pub fn new(config: Config) -> Self {
        State {
            config,
            tokens_issued: AtomicU64::new(0),
            random: std::hash::RandomState::new(),
        }
    }

    fn deviates(&self, d: Deviation) -> bool {
        self.config.deviation == Some(d)
    }

    /// A documented error: `{"error", "error_description"}` as `application/json`, with the
    /// caching headers token errors carry; bent here when a deviation says so.
    fn error(&self, status: StatusCode, code: &str, description: &str) -> Response {
        let mut status = status;
        let mut code = code;
        if code == "invalid_client" && self.deviates(Deviation::InvalidClientAs400) {
            status = StatusCode::BAD_REQUEST;
        }
        if code == "invalid_request" && self.deviates(Deviation::InvalidRequestWrongCode) {
            code = "bad_request";
        }
        if code == "method_not_allowed" && self.deviates(Deviation::MethodNotAllowedHtml) {
            let page = format!(
                "<!DOCTYPE html><html><body><h1>{}</h1><p>{description}</p></body></html>",
                status.as_u16()
            );
            return (
                status,
                [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                page,
            )
                .into_response();
        }
        let body = if self.deviates(Deviation::NoErrorDescription) {
            json!({ "error": code })
        } else {
            json!({ "error": code, "error_description": description })
        };
        let content_type = if self.deviates(Deviation::ErrorsAsTextPlain) {
            "text/plain"
        } else {
            "application/json"
        };
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
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            &format!("Method not allowed; use {allowed}."),
        );
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static(allowed));
        response
    }

    /// An opaque access token, unique per server and request. Not cryptographic: this server
    /// exists for tests.
    fn mint_token(&self) -> String {
        let n = self.tokens_issued.fetch_add(1, Ordering::Relaxed);
        let mut token = String::from("at_");
        for round in 0..2u64 {
            let mut h = self.random.build_hasher();
            h.write_u64(n);
            h.write_u64(round);
            token.push_str(&format!("{:016x}", h.finish()));
        }
        token
    }
}

pub fn router(state: Arc<State>) -> Router {
    Router::new()
        .route("/oauth/token", any(token))
        .route("/oauth/revoke", any(revoke))
        .fallback(not_found)
        .with_state(state)
}

async fn not_found(Extract(state): Extract<Arc<State>>) -> Response {
    state.error(StatusCode::NOT_FOUND, "not_found", "Not Found")
}

/// The request's parameters: a form, or a JSON object (Auth0 accepts both on /oauth/token).
/// JSON values that are not strings are kept as JSON.
fn params(headers: &HeaderMap, body: &[u8]) -> Result<HashMap<String, Value>, &'static str> {
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

fn text<'a>(params: &'a HashMap<String, Value>, name: &str) -> Option<&'a str> {
    params
        .get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// Who the client says it is, from a Basic header or the body (RFC 6749 §2.3.1).
struct Credentials {
    client_id: Option<String>,
    secret: Option<String>,
    basic: bool,
}

fn credentials(
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
    let mut response = state.error(StatusCode::UNAUTHORIZED, "invalid_client", description);
    if creds.basic {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"authconform\""),
        );
    }
    response
}

async fn token(
    Extract(state): Extract<Arc<State>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if method != Method::POST {
        return state.method_not_allowed("POST");
    }
    let params = match params(&headers, &body) {
        Ok(p) => p,
        Err(message) => return state.error(StatusCode::BAD_REQUEST, "invalid_request", message),
    };
    let Some(grant_type) = text(&params, "grant_type") else {
        return state.error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Missing required parameter: grant_type",
        );
    };
    let creds = match credentials(&headers, &params) {
        Ok(c) => c,
        Err(message) => return state.error(StatusCode::BAD_REQUEST, "invalid_request", message),
    };
    match grant_type {
        "client_credentials" => {
            let Some(client) = authenticate(&creds) else {
                return reject_client(&state, &creds);
            };
            if client != CLIENT_ID {
                return state.error(
                    StatusCode::FORBIDDEN,
                    "unauthorized_client",
                    "Grant type 'client_credentials' not allowed for the client.",
                );
            }
            let audience = text(&params, "audience").unwrap_or_default();
            if audience != AUDIENCE {
                return state.error(
                    StatusCode::FORBIDDEN,
                    "access_denied",
                    &format!("Service not enabled within domain: {audience}"),
                );
            }
            let body = json!({
                "access_token": state.mint_token(),
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
        other => state.error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            &format!("Unsupported grant type: {other}"),
        ),
    }
}

async fn revoke(
    Extract(state): Extract<Arc<State>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if method != Method::POST {
        return state.method_not_allowed("POST");
    }
    let params = match params(&headers, &body) {
        Ok(p) => p,
        Err(message) => return state.error(StatusCode::BAD_REQUEST, "invalid_request", message),
    };
    let creds = match credentials(&headers, &params) {
        Ok(c) => c,
        Err(message) => return state.error(StatusCode::BAD_REQUEST, "invalid_request", message),
    };
    if authenticate(&creds).is_none() {
        return reject_client(&state, &creds);
    }
    if text(&params, "token").is_none() {
        return state.error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Missing required parameter: token",
        );
    }
    // RFC 7009 §2.2: unknown and already-revoked tokens are answered 200 too.
    StatusCode::OK.into_response()
}
