//! The reference server's `rfc` profile: an OAuth 2.0 server that answers every error response
//! of the RFCs' seed table (`cases/rfc/rfc-error-responses.json`) as the section it cites
//! says, at `/token`, `/authorize`, `/revoke`, `/userinfo` and `/device/code`, with fixed clients
//! and tokens. Every error is built from its [`Row`] in [`State::error`], [`State::redirect`] or
//! [`State::challenge`], the places a [`Fault`] bends a reply.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{
    Router,
    body::Bytes,
    extract::{RawQuery, State as Extract},
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    response::{IntoResponse, Response},
    routing::any,
};
use serde_json::{Value, json};

use super::{
    Config, Fault,
    endpoints::{Credentials, authorization, credentials, json_response, origin, params, text},
};

/// The confidential client: authorization_code and refresh_token, not client_credentials.
pub const CLIENT_ID: &str = "authconform-web";
pub const CLIENT_SECRET: &str = "authconform-web-secret-41d7c9";
/// The confidential client with client_credentials only (and scope `read`).
pub const RESTRICTED_CLIENT_ID: &str = "authconform-service";
pub const RESTRICTED_CLIENT_SECRET: &str = "authconform-service-secret-8f2a60";
/// The public client allowed the implicit grant.
pub const IMPLICIT_CLIENT_ID: &str = "authconform-implicit";
/// The public client with the device authorization grant.
pub const DEVICE_CLIENT_ID: &str = "authconform-device";
/// The one redirect URI every client has registered.
pub const REDIRECT_URI: &str = "https://app.authconform.test/callback";
/// A token of a type this server does not revoke (an ID token).
pub const UNREVOCABLE_TOKEN: &str = "id-token-authconform-unrevocable";
/// An access token userinfo accepts, but without the `openid` scope it requires.
pub const INSUFFICIENT_SCOPE_TOKEN: &str = "at-authconform-no-openid-scope";
/// Device codes in each state RFC 8628 §3.5 names.
pub const PENDING_DEVICE_CODE: &str = "dc-authconform-pending";
pub const SLOW_DOWN_DEVICE_CODE: &str = "dc-authconform-slow-down";
pub const EXPIRED_DEVICE_CODE: &str = "dc-authconform-expired";
pub const DENIED_DEVICE_CODE: &str = "dc-authconform-denied";
const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// The polling interval a device client must keep (RFC 8628 §3.2 default).
const INTERVAL: Duration = Duration::from_secs(5);
/// The scopes this server knows.
const SCOPES: &[&str] = &["openid", "profile", "email", "read"];

/// The endpoints' paths.
pub const TOKEN: &str = "/token";
pub const AUTHORIZE: &str = "/authorize";
pub const REVOKE: &str = "/revoke";
pub const USERINFO: &str = "/userinfo";
pub const DEVICE_AUTHORIZATION: &str = "/device/code";

/// The rows of the rfc seed table, in its order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Row {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    InvalidScope,
    AuthorizeInvalidRequest,
    AuthorizeUnauthorizedClient,
    AuthorizeUnsupportedResponseType,
    AuthorizeInvalidScope,
    ImplicitInvalidScope,
    NoRedirect,
    UnsupportedTokenType,
    RevokeInvalidToken,
    NoToken,
    ResourceInvalidRequest,
    InvalidToken,
    InsufficientScope,
    AuthorizationPending,
    SlowDown,
    AccessDenied,
    ExpiredToken,
}

impl Row {
    pub const ALL: &'static [Row] = &[
        Row::InvalidRequest,
        Row::InvalidClient,
        Row::InvalidGrant,
        Row::UnauthorizedClient,
        Row::UnsupportedGrantType,
        Row::InvalidScope,
        Row::AuthorizeInvalidRequest,
        Row::AuthorizeUnauthorizedClient,
        Row::AuthorizeUnsupportedResponseType,
        Row::AuthorizeInvalidScope,
        Row::ImplicitInvalidScope,
        Row::NoRedirect,
        Row::UnsupportedTokenType,
        Row::RevokeInvalidToken,
        Row::NoToken,
        Row::ResourceInvalidRequest,
        Row::InvalidToken,
        Row::InsufficientScope,
        Row::AuthorizationPending,
        Row::SlowDown,
        Row::AccessDenied,
        Row::ExpiredToken,
    ];

    /// The row's position in the seed table (0-based).
    pub fn index(self) -> usize {
        Row::ALL
            .iter()
            .position(|r| *r == self)
            .expect("every row is in ALL")
    }

    /// The status and `error` code the row documents.
    fn reply(self) -> (StatusCode, Option<&'static str>) {
        let bad = StatusCode::BAD_REQUEST;
        match self {
            Row::InvalidRequest | Row::AuthorizeInvalidRequest | Row::ResourceInvalidRequest => {
                (bad, Some("invalid_request"))
            }
            Row::InvalidClient => (StatusCode::UNAUTHORIZED, Some("invalid_client")),
            Row::InvalidGrant => (bad, Some("invalid_grant")),
            Row::UnauthorizedClient | Row::AuthorizeUnauthorizedClient => {
                (bad, Some("unauthorized_client"))
            }
            Row::UnsupportedGrantType => (bad, Some("unsupported_grant_type")),
            Row::InvalidScope | Row::AuthorizeInvalidScope | Row::ImplicitInvalidScope => {
                (bad, Some("invalid_scope"))
            }
            Row::AuthorizeUnsupportedResponseType => (bad, Some("unsupported_response_type")),
            Row::NoRedirect => (bad, None),
            Row::UnsupportedTokenType => (bad, Some("unsupported_token_type")),
            Row::RevokeInvalidToken => (StatusCode::OK, None),
            Row::NoToken => (StatusCode::UNAUTHORIZED, None),
            Row::InvalidToken => (StatusCode::UNAUTHORIZED, Some("invalid_token")),
            Row::InsufficientScope => (StatusCode::FORBIDDEN, Some("insufficient_scope")),
            Row::AuthorizationPending => (bad, Some("authorization_pending")),
            Row::SlowDown => (bad, Some("slow_down")),
            Row::AccessDenied => (bad, Some("access_denied")),
            Row::ExpiredToken => (bad, Some("expired_token")),
        }
    }
}

/// The rfc catalogue's variables as this server defines them: (name, value, secret).
pub fn variables() -> Vec<(&'static str, String, bool)> {
    vec![
        ("token_endpoint", TOKEN.into(), false),
        ("authorization_endpoint", AUTHORIZE.into(), false),
        ("revocation_endpoint", REVOKE.into(), false),
        ("userinfo_endpoint", USERINFO.into(), false),
        ("client_id", CLIENT_ID.into(), false),
        ("client_secret", CLIENT_SECRET.into(), true),
        ("redirect_uri", REDIRECT_URI.into(), false),
        ("restricted_client_id", RESTRICTED_CLIENT_ID.into(), false),
        (
            "restricted_client_secret",
            RESTRICTED_CLIENT_SECRET.into(),
            true,
        ),
        // The web client lacks client_credentials, so it is also the premise of the case that
        // is refused that grant.
        ("cc_refused_client_id", CLIENT_ID.into(), false),
        ("cc_refused_client_secret", CLIENT_SECRET.into(), true),
        ("implicit_client_id", IMPLICIT_CLIENT_ID.into(), false),
        ("unrevocable_token", UNREVOCABLE_TOKEN.into(), true),
        (
            "insufficient_scope_token",
            INSUFFICIENT_SCOPE_TOKEN.into(),
            true,
        ),
        ("device_client_id", DEVICE_CLIENT_ID.into(), false),
        ("pending_device_code", PENDING_DEVICE_CODE.into(), true),
        ("slow_down_device_code", SLOW_DOWN_DEVICE_CODE.into(), true),
        ("expired_device_code", EXPIRED_DEVICE_CODE.into(), true),
        ("denied_device_code", DENIED_DEVICE_CODE.into(), true),
    ]
}

pub struct State {
    config: Config,
    /// When each device code was last polled, for slow_down (RFC 8628 §3.5).
    polled: Mutex<HashMap<String, Instant>>,
}

impl State {
    pub fn new(config: Config) -> Self {
        State {
            config,
            polled: Mutex::default(),
        }
    }

    fn hit(&self, row: Row) -> Option<Fault> {
        self.config.fault.filter(|f| f.hits_rfc(row))
    }

    /// The documented JSON error of `row` (RFC 6749 §5.1/§5.2: application/json, no-store),
    /// bent here when a fault says so.
    fn error(&self, row: Row, description: &str) -> Response {
        let (mut status, code) = row.reply();
        let mut code = code.unwrap_or("server_error");
        let mut description = description.to_owned();
        let mut content_type = "application/json";
        match self.hit(row) {
            Some(Fault::RfcInvalidRequestWrongCode) => code = "bad_request",
            Some(Fault::RfcUnauthorizedClientWrongCode) => code = "unauthorized_grant",
            Some(Fault::RfcUnsupportedGrantTypeAsInvalidGrant) => code = "invalid_grant",
            Some(Fault::RfcAccessDeniedWrongCode) => code = "authorization_declined",
            Some(Fault::RfcExpiredTokenAsInvalidGrant) => code = "invalid_grant",
            Some(Fault::RfcInvalidGrantAs401 | Fault::RfcAuthorizationPendingAs401) => {
                status = StatusCode::UNAUTHORIZED
            }
            Some(Fault::RfcInvalidScopeAs403) => status = StatusCode::FORBIDDEN,
            Some(Fault::RfcUnsupportedTokenTypeAs200) => {
                return StatusCode::OK.into_response();
            }
            Some(Fault::RfcErrorsAsTextPlain) => content_type = "text/plain",
            Some(Fault::RfcDescriptionWithQuotes) => description = format!("\"{description}\""),
            _ => {}
        }
        let body = json!({ "error": code, "error_description": description });
        let mut response = (status, body.to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
        response
    }

    /// RFC 6749 §5.2: a client that tried HTTP Basic gets 401 and a Basic challenge.
    fn reject_client(&self, description: &str) -> Response {
        let mut response = self.error(Row::InvalidClient, description);
        if self.hit(Row::InvalidClient) != Some(Fault::RfcInvalidClientWithoutChallenge) {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"authconform\""),
            );
        }
        response
    }

    /// The redirect back to the client that carries `row`'s error in the query (or, for the
    /// implicit grant, the fragment) with `state` echoed (RFC 6749 §4.1.2.1, §4.2.2.1).
    fn redirect(&self, row: Row, description: &str, state: Option<&str>) -> Response {
        let (_, code) = row.reply();
        let mut code = code.unwrap_or("server_error");
        let mut in_fragment = row == Row::ImplicitInvalidScope;
        let mut state = state;
        let mut error_elsewhere = false;
        match self.hit(row) {
            Some(Fault::RfcAuthorizeDropsState) => state = None,
            Some(Fault::RfcAuthorizeErrorInFragment) => error_elsewhere = true,
            Some(Fault::RfcAuthorizeInvalidScopeWrongCode) => code = "invalid_request",
            Some(Fault::RfcImplicitErrorInQuery) => in_fragment = false,
            Some(Fault::RfcUnsupportedResponseTypeAsPage) => {
                return page(StatusCode::BAD_REQUEST, code, description);
            }
            _ => {}
        }
        let mut params = url::form_urlencoded::Serializer::new(String::new());
        if !error_elsewhere {
            params.append_pair("error", code);
            params.append_pair("error_description", description);
        }
        if let Some(state) = state {
            params.append_pair("state", state);
        }
        let params = params.finish();
        let location = match (in_fragment, error_elsewhere) {
            (true, _) => format!("{REDIRECT_URI}#{params}"),
            (false, false) => format!("{REDIRECT_URI}?{params}"),
            (false, true) => format!("{REDIRECT_URI}?{params}#error={code}"),
        };
        (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
    }

    /// A protected resource's refusal: `row`'s status with a Bearer challenge carrying its
    /// error code, or none when the request had no token (RFC 6750 §3.1).
    fn challenge(&self, row: Row, description: &str) -> Response {
        let (mut status, mut code) = row.reply();
        let mut with_header = true;
        match self.hit(row) {
            Some(
                Fault::RfcNoTokenWithoutChallenge
                | Fault::RfcInvalidTokenWithoutChallenge
                | Fault::RfcTwoMethodsWithoutChallenge,
            ) => with_header = false,
            Some(Fault::RfcInsufficientScopeServed) => {
                (status, code, with_header) = (StatusCode::OK, None, false);
            }
            _ => {}
        }
        let mut value = String::from("Bearer realm=\"authconform\"");
        if let Some(code) = code {
            value.push_str(&format!(
                ", error=\"{code}\", error_description=\"{description}\""
            ));
            if row == Row::InsufficientScope {
                value.push_str(", scope=\"openid\"");
            }
        }
        let mut response = status.into_response();
        if with_header {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_str(&value).expect("ASCII header value"),
            );
        }
        response
    }
}

/// An error shown to the user instead of a redirect.
fn page(status: StatusCode, code: &str, description: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html><html><head><title>{code}</title></head><body><h1>{code}</h1><p>{description}</p></body></html>"
    );
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        html,
    )
        .into_response()
}

pub fn router(state: Arc<State>) -> Router {
    Router::new()
        .route("/.well-known/openid-configuration", any(discovery))
        .route("/.well-known/oauth-authorization-server", any(discovery))
        .route(TOKEN, any(token))
        .route(AUTHORIZE, any(authorize))
        .route(REVOKE, any(revoke))
        .route(USERINFO, any(userinfo))
        .route(DEVICE_AUTHORIZATION, any(device_authorization))
        .with_state(state)
}

/// The metadata (RFC 8414 / OpenID Connect Discovery): every endpoint on the origin the request
/// was sent to.
async fn discovery(Extract(state): Extract<Arc<State>>, headers: HeaderMap) -> Response {
    let base = origin(&headers, state.config.tls);
    let body = json!({
        "issuer": base,
        "token_endpoint": format!("{base}{TOKEN}"),
        "authorization_endpoint": format!("{base}{AUTHORIZE}"),
        "revocation_endpoint": format!("{base}{REVOKE}"),
        "userinfo_endpoint": format!("{base}{USERINFO}"),
        "device_authorization_endpoint": format!("{base}{DEVICE_AUTHORIZATION}"),
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials", "implicit", DEVICE_GRANT],
        "response_types_supported": ["code", "token"],
        "scopes_supported": SCOPES,
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
    });
    json_response(StatusCode::OK, &body)
}

/// The confidential client the credentials authenticate, or why not.
fn authenticate(creds: &Credentials) -> Result<&'static str, &'static str> {
    match (creds.client_id.as_deref(), creds.secret.as_deref()) {
        (Some(CLIENT_ID), Some(CLIENT_SECRET)) => Ok(CLIENT_ID),
        (Some(RESTRICTED_CLIENT_ID), Some(RESTRICTED_CLIENT_SECRET)) => Ok(RESTRICTED_CLIENT_ID),
        (None, _) => Err("client authentication is required"),
        _ => Err("client authentication failed"),
    }
}

/// The parameters of a POST, or the answer to another method or an unreadable body.
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
        let mut response = state.error(Row::InvalidRequest, "the endpoint takes POST");
        *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return Err(response);
    }
    params(headers, body).map_err(|message| state.error(Row::InvalidRequest, message))
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
    let grant_type = text(&params, "grant_type");
    if grant_type == Some(DEVICE_GRANT) {
        return device_poll(&state, &params);
    }
    let creds = match credentials(&headers, &params) {
        Ok(c) => c,
        Err(message) => return state.error(Row::InvalidRequest, message),
    };
    let client = match authenticate(&creds) {
        Ok(client) => client,
        Err(message) => return state.reject_client(message),
    };
    let Some(grant_type) = grant_type else {
        return state.error(Row::InvalidRequest, "missing grant_type");
    };
    let allowed: &[&str] = if client == CLIENT_ID {
        &["authorization_code", "refresh_token"]
    } else {
        &["client_credentials"]
    };
    let known = [
        "authorization_code",
        "refresh_token",
        "client_credentials",
        "implicit",
    ];
    if !known.contains(&grant_type) {
        return state.error(
            Row::UnsupportedGrantType,
            &format!("grant_type {grant_type} is not supported"),
        );
    }
    if !allowed.contains(&grant_type) {
        return state.error(
            Row::UnauthorizedClient,
            &format!("the client may not use the {grant_type} grant"),
        );
    }
    match grant_type {
        "authorization_code" => match text(&params, "code") {
            None => state.error(Row::InvalidRequest, "missing code"),
            // This server keeps no codes or refresh tokens: every one is unknown.
            Some(_) => state.error(Row::InvalidGrant, "the authorization code is invalid"),
        },
        "refresh_token" => match text(&params, "refresh_token") {
            None => state.error(Row::InvalidRequest, "missing refresh_token"),
            Some(_) => state.error(Row::InvalidGrant, "the refresh token is invalid"),
        },
        _ => {
            let scope = text(&params, "scope").unwrap_or("read");
            if scope.split(' ').any(|s| s != "read") {
                if state.hit(Row::InvalidScope) == Some(Fault::RfcInvalidScopeGrantedAsAsked) {
                    return issued(
                        json!({ "access_token": "at-authconform-issued", "token_type": "Bearer", "expires_in": 3600, "scope": scope }),
                    );
                }
                return state.error(Row::InvalidScope, "the client may only ask for `read`");
            }
            issued(
                json!({ "access_token": "at-authconform-issued", "token_type": "Bearer", "expires_in": 3600, "scope": "read" }),
            )
        }
    }
}

/// RFC 8628 §3.4/§3.5: polling with a device code.
fn device_poll(state: &State, params: &HashMap<String, Value>) -> Response {
    if text(params, "client_id") != Some(DEVICE_CLIENT_ID) {
        return state.reject_client("unknown device client");
    }
    let Some(code) = text(params, "device_code") else {
        return state.error(Row::InvalidRequest, "missing device_code");
    };
    match code {
        PENDING_DEVICE_CODE => state.error(
            Row::AuthorizationPending,
            "the user has not yet approved the device",
        ),
        // Only this code keeps count, so that runs one after another never see slow_down on
        // the pending code.
        SLOW_DOWN_DEVICE_CODE => {
            let now = Instant::now();
            let last = state
                .polled
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(code.to_owned(), now);
            let too_soon = last.is_some_and(|l| now.duration_since(l) < INTERVAL);
            if too_soon && state.hit(Row::SlowDown) != Some(Fault::RfcNoSlowDown) {
                state.error(Row::SlowDown, "poll at most every 5 seconds; now every 10")
            } else {
                state.error(
                    Row::AuthorizationPending,
                    "the user has not yet approved the device",
                )
            }
        }
        EXPIRED_DEVICE_CODE => state.error(Row::ExpiredToken, "the device code has expired"),
        DENIED_DEVICE_CODE => state.error(Row::AccessDenied, "the user denied the request"),
        _ => state.error(Row::InvalidGrant, "unknown device code"),
    }
}

/// RFC 8628 §3.1: starts a device authorization (not a row; for clients that try the flow).
async fn device_authorization(
    Extract(state): Extract<Arc<State>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = match post_params(&state, &method, &headers, &body) {
        Ok(p) => p,
        Err(answer) => return answer,
    };
    if text(&params, "client_id") != Some(DEVICE_CLIENT_ID) {
        return state.reject_client("unknown device client");
    }
    let body = json!({
        "device_code": PENDING_DEVICE_CODE,
        "user_code": "AUTH-CONF",
        "verification_uri": "https://device.authconform.test/",
        "expires_in": 600,
        "interval": INTERVAL.as_secs(),
    });
    issued(body)
}

/// A 200 that hands out credentials: JSON, never cached (RFC 6749 §5.1).
fn issued(body: Value) -> Response {
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body.to_string(),
    )
        .into_response()
}

async fn authorize(Extract(state): Extract<Arc<State>>, RawQuery(query): RawQuery) -> Response {
    let params: HashMap<String, String> =
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let get = |name: &str| {
        params
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    };
    let client = get("client_id");
    let known_client = matches!(
        client,
        Some(CLIENT_ID | RESTRICTED_CLIENT_ID | IMPLICIT_CLIENT_ID)
    );
    let registered = get("redirect_uri").is_none_or(|uri| uri == REDIRECT_URI);
    // RFC 6749 §4.1.2.1: never redirect to a URI that is not the client's.
    if !known_client || !registered {
        let what = if known_client {
            "the redirect_uri is not registered for the client"
        } else {
            "unknown client_id"
        };
        if state.hit(Row::NoRedirect) == Some(Fault::RfcRedirectsToUnregisteredUri) {
            let target = get("redirect_uri").unwrap_or(REDIRECT_URI);
            let location = format!("{target}?error=invalid_request");
            return (StatusCode::FOUND, [(header::LOCATION, location)]).into_response();
        }
        return page(StatusCode::BAD_REQUEST, "invalid_request", what);
    }
    let client = client.unwrap_or_default();
    let redirect_state = get("state");
    let Some(response_type) = get("response_type") else {
        return state.redirect(
            Row::AuthorizeInvalidRequest,
            "missing response_type",
            redirect_state,
        );
    };
    if response_type != "code" && response_type != "token" {
        return state.redirect(
            Row::AuthorizeUnsupportedResponseType,
            "the response_type is not supported",
            redirect_state,
        );
    }
    let allowed = match client {
        CLIENT_ID => "code",
        IMPLICIT_CLIENT_ID => "token",
        _ => "",
    };
    if response_type != allowed {
        return state.redirect(
            Row::AuthorizeUnauthorizedClient,
            "the client may not use this response_type",
            redirect_state,
        );
    }
    let unknown_scope = get("scope")
        .unwrap_or_default()
        .split(' ')
        .any(|s| !s.is_empty() && !SCOPES.contains(&s));
    if unknown_scope {
        let row = if response_type == "token" {
            Row::ImplicitInvalidScope
        } else {
            Row::AuthorizeInvalidScope
        };
        if state.hit(row) == Some(Fault::RfcAuthorizeGrantsLessDropsState) {
            let location = format!("{REDIRECT_URI}?code=authconform-code");
            return (StatusCode::FOUND, [(header::LOCATION, location)]).into_response();
        }
        return state.redirect(row, "unknown scope", redirect_state);
    }
    page(StatusCode::OK, "login", "sign in to continue")
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
        Err(message) => return state.error(Row::InvalidRequest, message),
    };
    if let Err(message) = authenticate(&creds) {
        return state.reject_client(message);
    }
    match text(&params, "token") {
        None => state.error(Row::InvalidRequest, "missing token"),
        Some(UNREVOCABLE_TOKEN) => state.error(
            Row::UnsupportedTokenType,
            "this server does not revoke ID tokens",
        ),
        // RFC 7009 §2.2: an invalid token is no error; the client cannot act on one.
        Some(_) => match state.hit(Row::RevokeInvalidToken) {
            Some(Fault::RfcRevokeUnknownTokenAs400) => {
                let mut response = state.error(Row::InvalidGrant, "unknown token");
                *response.status_mut() = StatusCode::BAD_REQUEST;
                response
            }
            _ => StatusCode::OK.into_response(),
        },
    }
}

async fn userinfo(
    Extract(state): Extract<Arc<State>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let from_header = authorization(&headers, "Bearer").map(str::to_owned);
    let from_query = url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "access_token")
        .map(|(_, v)| v.into_owned());
    let token = match (from_header, from_query) {
        (Some(_), Some(_)) => {
            return state.challenge(
                Row::ResourceInvalidRequest,
                "use one method to send the access token",
            );
        }
        (None, None) => return state.challenge(Row::NoToken, ""),
        (Some(t), None) | (None, Some(t)) => t,
    };
    match token.as_str() {
        INSUFFICIENT_SCOPE_TOKEN => {
            state.challenge(Row::InsufficientScope, "the token lacks the openid scope")
        }
        "at-authconform-issued" => {
            json_response(StatusCode::OK, &json!({ "sub": "authconform-user" }))
        }
        _ => state.challenge(Row::InvalidToken, "the access token is invalid"),
    }
}
