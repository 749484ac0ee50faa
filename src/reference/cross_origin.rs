//! Cross-origin authentication (`POST /co/authenticate`), as a tenant answers it: the embedded
//! login of a SPA on another origin. The request's `Origin` decides CORS: an origin the
//! client's Allowed Origins do not list gets a 403 whose body is text, not JSON.

use std::{collections::HashMap, sync::Arc};

use axum::{
    body::Bytes,
    extract::State as Extract,
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde_json::Value;

use super::{
    BLOCKED_PASSWORD, BLOCKED_USERNAME, CORS_ORIGIN, DB_CONNECTION, LIMITED_CLIENT_ID,
    NO_CROSS_ORIGIN_CLIENT_ID, PUBLIC_CLIENT_ID, WEB_CLIENT_ID,
    endpoints::{State, oauth, post_params, text},
    entries::Entry,
};

/// The only credential type a tenant takes here.
const PASSWORD_REALM: &str = "http://auth0.com/oauth/legacy/grant-type/password-realm";

pub(super) async fn authenticate(
    Extract(state): Extract<Arc<State>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let origin = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok());
    let allowed = origin == Some(CORS_ORIGIN);
    let mut response = if method == Method::OPTIONS && allowed {
        let mut preflight = StatusCode::NO_CONTENT.into_response();
        let h = preflight.headers_mut();
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("POST"),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("content-type, auth0-client"),
        );
        preflight
    } else {
        match post_params(&state, &method, &headers, &body) {
            Ok(params) => answer(&state, origin, &params),
            Err(answer) => answer,
        }
    };
    if allowed {
        let h = response.headers_mut();
        h.insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static(CORS_ORIGIN),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        );
    }
    response
}

/// The answer to a login from `origin`. No password is right but the blocked user's: the
/// double has no other user.
fn answer(state: &State, origin: Option<&str>, params: &HashMap<String, Value>) -> Response {
    let fault = state.fault();
    let invalid =
        |description: &str| oauth(StatusCode::BAD_REQUEST, "invalid_request", description);
    match text(params, "client_id") {
        Some(PUBLIC_CLIENT_ID) => {}
        // Clients with Cross-Origin Authentication off (their Allowed Origins list the origin):
        // a regular web app logs its users in on its server, not from a browser's script.
        Some(NO_CROSS_ORIGIN_CLIENT_ID | LIMITED_CLIENT_ID | WEB_CLIENT_ID) => {
            return Entry::new("co-cross-origin-not-allowed").answer(fault);
        }
        Some(_) => return invalid("Unknown client."),
        None => return invalid("Missing required parameter: client_id"),
    }
    if origin != Some(CORS_ORIGIN) {
        // A request without an Origin is named as browsers name an opaque one.
        return Entry::new("co-origin-not-allowed")
            .text(format!(
                "Origin {} is not allowed.",
                origin.unwrap_or("null")
            ))
            .answer(fault);
    }
    match text(params, "credential_type") {
        Some(PASSWORD_REALM) => {}
        Some(_) => {
            return oauth(
                StatusCode::BAD_REQUEST,
                "unsupported_credential_type",
                "Unknown credential type parameter.",
            );
        }
        None => return invalid("Missing required parameter: credential_type"),
    }
    let (Some(username), Some(password)) = (text(params, "username"), text(params, "password"))
    else {
        return invalid("Missing required parameter: username or password");
    };
    if text(params, "realm").is_some_and(|r| r != DB_CONNECTION) {
        return invalid("The connection was not found.");
    }
    if username.eq_ignore_ascii_case(BLOCKED_USERNAME) && password == BLOCKED_PASSWORD {
        return Entry::new("co-blocked-user").answer(fault);
    }
    Entry::new("co-wrong-password").answer(fault)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::Config;
    use serde_json::json;

    /// Status and body of a login from `origin` with `params` over the password-realm defaults.
    async fn login(origin: Option<&str>, params: Value) -> (u16, String) {
        let state = State::new(Config::default());
        let mut all = json!({"client_id": PUBLIC_CLIENT_ID, "credential_type": PASSWORD_REALM,
                             "username": "nobody@example.com", "password": "x",
                             "realm": DB_CONNECTION});
        all.as_object_mut()
            .unwrap()
            .extend(params.as_object().unwrap().clone());
        let all: HashMap<String, Value> = serde_json::from_value(all).unwrap();
        let r = answer(&state, origin, &all);
        let status = r.status().as_u16();
        let body = axum::body::to_bytes(r.into_body(), 1 << 16).await.unwrap();
        (status, String::from_utf8(body.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn the_client_then_the_origin_then_the_user_decide() {
        let allowed = Some(CORS_ORIGIN);
        let (status, body) = login(allowed, json!({})).await;
        assert_eq!(status, 403);
        assert!(body.contains("Wrong email or password."), "{body}");
        let blocked = json!({"username": "Blocked@Authconform.test", "password": BLOCKED_PASSWORD});
        let (status, body) = login(allowed, blocked.clone()).await;
        assert_eq!(status, 403);
        assert!(body.contains("blocked_user"), "{body}");
        let (_, body) = login(
            allowed,
            json!({"username": BLOCKED_USERNAME, "password": "wrong"}),
        )
        .await;
        assert!(body.contains("access_denied"), "{body}");
        let (status, body) = login(Some("https://evil.example"), blocked).await;
        assert_eq!(
            (status, body.as_str()),
            (403, "Origin https://evil.example is not allowed.")
        );
        let (_, body) = login(None, json!({})).await;
        assert_eq!(body, "Origin null is not allowed.");
        let other_client = json!({"client_id": NO_CROSS_ORIGIN_CLIENT_ID});
        let (status, body) = login(Some("https://evil.example"), other_client).await;
        assert_eq!(status, 401);
        assert!(body.contains("Cross origin login not allowed."), "{body}");
        // The regular web app logs its users in on its server: Cross-Origin Authentication off.
        let web = json!({"client_id": WEB_CLIENT_ID});
        let (status, body) = login(allowed, web).await;
        assert_eq!(status, 401);
        assert!(body.contains("Cross origin login not allowed."), "{body}");
        let (status, body) = login(allowed, json!({"credential_type": "password"})).await;
        assert_eq!(status, 400);
        assert!(body.contains("unsupported_credential_type"), "{body}");
        let (status, _) = login(allowed, json!({"realm": "elsewhere"})).await;
        assert_eq!(status, 400);
    }

    /// The allowed origin gets CORS headers on the preflight and on every answer; another
    /// origin gets none, so its browser hides the answer from the page.
    #[tokio::test]
    async fn only_the_allowed_origin_gets_cors() {
        let send = |method: Method, origin: &'static str| async move {
            let mut headers = HeaderMap::new();
            headers.insert(header::ORIGIN, HeaderValue::from_static(origin));
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            let state = Arc::new(State::new(Config::default()));
            let body = Bytes::from(json!({"client_id": PUBLIC_CLIENT_ID}).to_string());
            authenticate(Extract(state), method, headers, body).await
        };
        let preflight = send(Method::OPTIONS, CORS_ORIGIN).await;
        assert_eq!(preflight.status(), StatusCode::NO_CONTENT);
        assert_eq!(
            preflight.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN],
            CORS_ORIGIN
        );
        let refused = send(Method::POST, CORS_ORIGIN).await;
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            refused.headers()[header::ACCESS_CONTROL_ALLOW_CREDENTIALS],
            "true"
        );
        let elsewhere = send(Method::POST, "https://evil.example").await;
        assert_eq!(elsewhere.status(), StatusCode::FORBIDDEN);
        assert!(
            !elsewhere
                .headers()
                .contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN)
        );
    }
}
