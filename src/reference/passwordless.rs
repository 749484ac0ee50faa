//! Passwordless, as a tenant answers it: `POST /passwordless/start` (send a code or a link to
//! an email address) and the passwordless OTP grant of `/oauth/token`. The double sends no
//! email, so no code is ever right: the exchange always meets the documented `invalid_grant`.

use std::{collections::HashMap, hash::Hasher, sync::Arc};

use axum::{
    extract::State as Extract,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde_json::{Value, json};

use super::{
    CLIENT_ID, CLIENT_SECRET, DB_CONNECTION, LIMITED_CLIENT_ID, LIMITED_CLIENT_SECRET,
    PASSWORDLESS_CONNECTION, PUBLIC_CLIENT_ID, WEB_CLIENT_ID, WEB_CLIENT_SECRET,
    endpoints::{Post, State, credentials, oauth, text},
    entries::Entry,
};

/// The grant that exchanges a passwordless code for tokens.
pub(super) const OTP_GRANT: &str = "http://auth0.com/oauth/grant-type/passwordless/otp";

pub(super) async fn start(
    Extract(state): Extract<Arc<State>>,
    Post { params, headers }: Post,
) -> Response {
    start_answer(&state, &headers, &params)
}

/// How the client authenticated, if it did: a confidential client must send its secret.
enum Client {
    Known,
    SecretMissing,
    Refused,
}

fn client(id: &str, secret: Option<&str>) -> Client {
    match (id, secret) {
        (PUBLIC_CLIENT_ID, None)
        | (CLIENT_ID, Some(CLIENT_SECRET))
        | (LIMITED_CLIENT_ID, Some(LIMITED_CLIENT_SECRET))
        | (WEB_CLIENT_ID, Some(WEB_CLIENT_SECRET)) => Client::Known,
        (CLIENT_ID | LIMITED_CLIENT_ID | WEB_CLIENT_ID, None) => Client::SecretMissing,
        _ => Client::Refused,
    }
}

fn start_answer(state: &State, headers: &HeaderMap, params: &HashMap<String, Value>) -> Response {
    let fault = state.fault();
    let creds = match credentials(headers, params) {
        Ok(c) => c,
        Err(message) => return oauth(StatusCode::BAD_REQUEST, "bad.request", message),
    };
    let Some(id) = creds.client_id.as_deref() else {
        return Entry::new("passwordless-bad-client-id").answer(fault);
    };
    match client(id, creds.secret.as_deref()) {
        Client::Known => {}
        Client::SecretMissing => {
            return Entry::new("passwordless-client-authentication").answer(fault);
        }
        Client::Refused => {
            return oauth(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "Client authentication failed.",
            );
        }
    }
    // The texts of the documented `bad.*` errors other than the table's rows.
    let bad = |code: &str, description: &str| oauth(StatusCode::BAD_REQUEST, code, description);
    match text(params, "connection") {
        None => return bad("bad.connection", "Missing required property: connection"),
        Some(PASSWORDLESS_CONNECTION) => {}
        Some(DB_CONNECTION) => {
            return bad(
                "bad.connection",
                "Invalid connection strategy. It must either be a passwordless connection",
            );
        }
        Some(_) => return Entry::new("passwordless-bad-connection").answer(fault),
    }
    if params.get("authParams").is_some_and(|p| !p.is_object()) {
        return bad(
            "bad.authParams",
            "error in authParams - invalid type: string (expected object)",
        );
    }
    // The table records no exact text for bad.email; a tenant is quoted answering an address it
    // cannot read "error in email - email format validation failed: <email>".
    let email = match text(params, "email") {
        None => {
            return Entry::new("passwordless-bad-email")
                .text("Missing required property: email")
                .answer(fault);
        }
        Some(email) if !is_email(email) => {
            return Entry::new("passwordless-bad-email")
                .text(format!(
                    "error in email - email format validation failed: {email}"
                ))
                .answer(fault);
        }
        Some(email) => email,
    };
    let mut id = std::hash::DefaultHasher::new();
    id.write(email.to_ascii_lowercase().as_bytes());
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        json!({ "_id": format!("{:024x}", id.finish()), "email": email, "email_verified": false })
            .to_string(),
    )
        .into_response()
}

/// An address an email could be sent to: one `@` between a local part and a dotted domain,
/// no spaces, at most 254 bytes (RFC 5321's limit).
fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    s.len() <= 254
        && !local.is_empty()
        && !domain.contains('@')
        && domain.split('.').count() >= 2
        && domain.split('.').all(|label| !label.is_empty())
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// The passwordless OTP grant, for a client allowed it. No code was ever sent, so none is
/// right.
pub(super) fn otp(state: &State, params: &HashMap<String, Value>) -> Response {
    for name in ["realm", "username", "otp"] {
        if text(params, name).is_none() {
            return oauth(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                &format!("Missing required parameter: {name}"),
            );
        }
    }
    if text(params, "realm") != Some(PASSWORDLESS_CONNECTION) {
        return oauth(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "The connection was not found.",
        );
    }
    Entry::new("passwordless-otp-wrong-code").answer(state.fault())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::Config;

    /// Status and `error` of the answer to a start request with `params`.
    async fn started(params: Value) -> (u16, Value) {
        let state = State::new(Config::default());
        let params: HashMap<String, Value> = serde_json::from_value(params).unwrap();
        let r = start_answer(&state, &HeaderMap::new(), &params);
        let status = r.status().as_u16();
        let body = axum::body::to_bytes(r.into_body(), 1 << 16).await.unwrap();
        (status, serde_json::from_slice::<Value>(&body).unwrap())
    }

    /// Each row is answered to the request that provokes it, whatever else is wrong with
    /// that request being checked after.
    #[tokio::test]
    async fn each_start_row_answers_its_request_and_a_good_one_is_sent() {
        let email = "nobody@example.com";
        let cases = [
            (
                json!({"connection": "email", "email": email}),
                400,
                "bad.client_id",
            ),
            (
                json!({"client_id": CLIENT_ID, "connection": "email", "email": email}),
                403,
                "unauthorized_client",
            ),
            (
                json!({"client_id": CLIENT_ID, "client_secret": "wrong", "connection": "email"}),
                401,
                "invalid_client",
            ),
            (
                json!({"client_id": PUBLIC_CLIENT_ID, "connection": "nope", "email": email}),
                400,
                "bad.connection",
            ),
            (
                json!({"client_id": PUBLIC_CLIENT_ID, "connection": DB_CONNECTION, "email": email}),
                400,
                "bad.connection",
            ),
            (
                json!({"client_id": PUBLIC_CLIENT_ID, "connection": "email", "email": "x"}),
                400,
                "bad.email",
            ),
            (
                json!({"client_id": PUBLIC_CLIENT_ID, "connection": "email"}),
                400,
                "bad.email",
            ),
            (
                json!({"client_id": PUBLIC_CLIENT_ID, "connection": "email", "email": email,
                       "authParams": "x"}),
                400,
                "bad.authParams",
            ),
        ];
        for (params, status, error) in cases {
            let (got, body) = started(params.clone()).await;
            assert_eq!(
                (got, body["error"].as_str()),
                (status, Some(error)),
                "{params}"
            );
        }
        let (status, body) = started(json!({"client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET, "connection": "email", "email": email}))
        .await;
        assert_eq!((status, &body["email"]), (200, &json!(email)));
        assert_eq!(body["_id"].as_str().map(str::len), Some(24));
    }

    #[test]
    fn the_otp_grant_wants_its_parameters_and_the_passwordless_realm() {
        let state = State::new(Config::default());
        let grant = |params: Value| {
            let params: HashMap<String, Value> = serde_json::from_value(params).unwrap();
            otp(&state, &params).status().as_u16()
        };
        let all = json!({"realm": "email", "username": "a@b.co", "otp": "123456"});
        assert_eq!(grant(all.clone()), 403);
        for missing in ["realm", "username", "otp"] {
            let mut params = all.clone();
            params.as_object_mut().unwrap().remove(missing);
            assert_eq!(grant(params), 400, "{missing}");
        }
        assert_eq!(
            grant(json!({"realm": DB_CONNECTION, "username": "a@b.co", "otp": "1"})),
            400
        );
    }

    #[test]
    fn an_email_is_told_from_what_is_not_one() {
        for good in ["a@b.co", "nobody-1@example.com", "x.y+z@sub.example.org"] {
            assert!(is_email(good), "{good}");
        }
        for bad in [
            "",
            "not-an-email",
            "@example.com",
            "a@",
            "a@b",
            "a@b.",
            "a@@b.co",
            "a b@c.de",
            "a@b..co",
        ] {
            assert!(!is_email(bad), "{bad}");
        }
        assert!(!is_email(&format!("{}@example.com", "a".repeat(250))));
    }

    #[test]
    fn a_confidential_client_must_send_its_secret_and_a_public_one_none() {
        assert!(matches!(client(PUBLIC_CLIENT_ID, None), Client::Known));
        assert!(matches!(
            client(CLIENT_ID, Some(CLIENT_SECRET)),
            Client::Known
        ));
        assert!(matches!(client(CLIENT_ID, None), Client::SecretMissing));
        assert!(matches!(
            client(LIMITED_CLIENT_ID, None),
            Client::SecretMissing
        ));
        assert!(matches!(client(CLIENT_ID, Some("wrong")), Client::Refused));
        assert!(matches!(
            client(PUBLIC_CLIENT_ID, Some("x")),
            Client::Refused
        ));
        assert!(matches!(client("unknown", None), Client::Refused));
    }

    /// The regular web app starts passwordless with its secret, as a confidential client must.
    #[test]
    fn the_web_client_starts_passwordless_with_its_secret_only() {
        assert!(matches!(
            client(WEB_CLIENT_ID, Some(WEB_CLIENT_SECRET)),
            Client::Known
        ));
        assert!(matches!(client(WEB_CLIENT_ID, None), Client::SecretMissing));
        assert!(matches!(
            client(WEB_CLIENT_ID, Some(CLIENT_SECRET)),
            Client::Refused
        ));
    }
}
