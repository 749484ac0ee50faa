//! Logout (`GET /v2/logout`), as a tenant answers it: back to `returnTo` when the Allowed
//! Logout URLs list it, a 400 in text when they do not.

use std::{collections::HashMap, sync::Arc};

use axum::{
    extract::{RawQuery, State as Extract},
    http::{Method, StatusCode, header},
    response::{IntoResponse, Response},
};

use super::{
    CLIENT_ID, CORS_ORIGIN,
    endpoints::{State, signs_users_in},
    entries::Entry,
};

/// Whether `url` is one of the Allowed Logout URLs: the public client's origin and the pages
/// under it.
fn allowed(url: &str) -> bool {
    url.strip_prefix(CORS_ORIGIN)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

pub(super) async fn logout(
    Extract(state): Extract<Arc<State>>,
    method: Method,
    RawQuery(query): RawQuery,
) -> Response {
    let text = |status: StatusCode, body: String| {
        (
            status,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            body,
        )
            .into_response()
    };
    if method != Method::GET {
        let mut r = text(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed".into());
        r.headers_mut()
            .insert(header::ALLOW, header::HeaderValue::from_static("GET"));
        return r;
    }
    let params: HashMap<String, String> =
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let client = params.get("client_id").map(String::as_str);
    if client.is_some_and(|c| !signs_users_in(c) && c != CLIENT_ID) {
        return text(StatusCode::BAD_REQUEST, "Invalid client_id.".into());
    }
    match params.get("returnTo") {
        None => text(StatusCode::OK, "OK".into()),
        Some(url) if allowed(url) => match header::HeaderValue::from_str(url) {
            Ok(location) => (StatusCode::FOUND, [(header::LOCATION, location)]).into_response(),
            Err(_) => text(StatusCode::BAD_REQUEST, "Invalid returnTo.".into()),
        },
        // The text is the one apps are seen to meet (unconfirmed on a tenant).
        Some(url) => Entry::new("logout-return-to")
            .text(format!(
                "The \"returnTo\" querystring parameter \"{url}\" is not defined as a valid URL in \"Allowed Logout URLs\"."
            ))
            .answer(state.fault()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::Config;

    async fn logout_with(query: &str) -> (u16, Option<String>, String) {
        let state = Arc::new(State::new(Config::default()));
        let r = logout(
            Extract(state),
            Method::GET,
            RawQuery(Some(query.to_owned())),
        )
        .await;
        let status = r.status().as_u16();
        let location = r
            .headers()
            .get(header::LOCATION)
            .map(|l| l.to_str().unwrap().to_owned());
        let body = axum::body::to_bytes(r.into_body(), 1 << 16).await.unwrap();
        (status, location, String::from_utf8(body.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn logout_goes_back_only_to_an_allowed_url() {
        let back = "https%3A%2F%2Fapp.authconform.test%2Fbye";
        let (status, location, _) = logout_with(&format!("returnTo={back}")).await;
        assert_eq!(
            (status, location.as_deref()),
            (302, Some("https://app.authconform.test/bye"))
        );
        assert_eq!(logout_with("").await, (200, None, "OK".into()));
        let (status, location, body) = logout_with("returnTo=https://evil.example/").await;
        assert_eq!((status, location), (400, None));
        assert!(
            body.contains("\"https://evil.example/\" is not defined as a valid URL"),
            "{body}"
        );
        let (status, ..) = logout_with("client_id=nobody&returnTo=https://evil.example/").await;
        assert_eq!(status, 400);
        // A value no header can carry is refused, not a 500.
        let (status, location, _) = logout_with(&format!("returnTo={back}%0A")).await;
        assert_eq!((status, location), (400, None));
    }

    #[test]
    fn only_the_origin_and_pages_under_it_are_allowed_logout_urls() {
        assert!(allowed(CORS_ORIGIN));
        assert!(allowed(&format!("{CORS_ORIGIN}/")));
        assert!(allowed(&format!("{CORS_ORIGIN}/bye?x=1")));
        assert!(!allowed(&format!("{CORS_ORIGIN}.evil.example/")));
        assert!(!allowed(&format!("{CORS_ORIGIN}:8443/")));
        assert!(!allowed("https://elsewhere.example/"));
    }
}
