//! Multi-factor authentication as a tenant with MFA "Always" answers it for its one MFA user
//! ([`MFA_USERNAME`], OTP enrolled): the password login that asks for MFA (403 mfa_required
//! with an `mfa_token` and `mfa_requirements`), the MFA grants of the token endpoint (OTP and
//! out-of-band), and `/mfa/challenge`.

use std::{
    collections::HashMap,
    sync::Arc,
    time::{SystemTime, UNIX_EPOCH},
};

use axum::{
    extract::State as Extract,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::Response,
};
use serde_json::{Value, json};

use super::{
    MFA_OOB_CODE, MFA_OTP, MFA_TOKEN, MFA_USERNAME,
    endpoints::{self, Post, State, signs_users_in, text},
    entries::Entry,
};

pub const OTP_GRANT: &str = "http://auth0.com/oauth/grant-type/mfa-otp";
pub const OOB_GRANT: &str = "http://auth0.com/oauth/grant-type/mfa-oob";
/// The MFA user's id, the `sub` of the tokens it gets.
const MFA_USER_ID: &str = "auth0|authconform-mfa-user";
/// How long the access token of a passed MFA lasts, as the tenant's default API setting.
const TOKEN_LIFETIME: u64 = 86_400;
/// The challenge types of /mfa/challenge (its documentation: otp and oob).
const CHALLENGE_TYPES: [&str; 2] = ["otp", "oob"];

/// The right password of the MFA user: it must now pass its second factor.
pub fn required(state: &State) -> Response {
    Entry::new("mfa-required")
        .member("mfa_token", MFA_TOKEN)
        .member(
            "mfa_requirements",
            json!({ "challenge": [{ "type": "otp" }] }),
        )
        .answer(state.fault())
}

/// The mfa_token of an MFA grant or challenge, or the answer to a missing or unknown one.
#[expect(
    clippy::result_large_err,
    reason = "the error is the response itself, built at most once per request"
)]
fn mfa_token(state: &State, params: &HashMap<String, Value>) -> Result<(), Response> {
    match text(params, "mfa_token") {
        None => Err(state.invalid_request("Missing required parameter: mfa_token")),
        Some(MFA_TOKEN) => Ok(()),
        // This server issues one mfa_token; any other is none it could have sealed.
        Some(_) => Err(Entry::new("mfa-token-malformed").answer(state.fault())),
    }
}

/// The grant `http://auth0.com/oauth/grant-type/mfa-otp`: the MFA user's token for the right
/// one-time password.
pub fn otp(
    state: &State,
    client: &str,
    params: &HashMap<String, Value>,
    headers: &HeaderMap,
) -> Response {
    if !signs_users_in(client) {
        return endpoints::grant_not_allowed(state, OTP_GRANT);
    }
    if let Err(answer) = mfa_token(state, params) {
        return answer;
    }
    match text(params, "otp") {
        None => state.invalid_request("Missing required parameter: otp"),
        Some(MFA_OTP) => user_token(state, client, headers),
        Some(_) => Entry::new("mfa-otp-invalid").answer(state.fault()),
    }
}

/// The grant `http://auth0.com/oauth/grant-type/mfa-oob`: the one SMS challenge this server
/// knows was never answered, so polling it is always pending.
pub fn oob(state: &State, client: &str, params: &HashMap<String, Value>) -> Response {
    if !signs_users_in(client) {
        return endpoints::grant_not_allowed(state, OOB_GRANT);
    }
    if let Err(answer) = mfa_token(state, params) {
        return answer;
    }
    match text(params, "oob_code") {
        None => state.invalid_request("Missing required parameter: oob_code"),
        Some(MFA_OOB_CODE) => Entry::new("mfa-oob-pending").answer(state.fault()),
        Some(_) => endpoints::invalid_grant("Invalid oob_code."),
    }
}

/// The MFA user's access token (for /userinfo) and ID token, once both factors passed.
fn user_token(state: &State, client: &str, headers: &HeaderMap) -> Response {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let issuer = state.issuer(headers);
    let access = json!({
        "iss": issuer, "sub": MFA_USER_ID, "aud": format!("{issuer}userinfo"), "iat": now,
        "exp": now + TOKEN_LIFETIME, "scope": "openid", "azp": client,
    });
    let id = json!({
        "iss": issuer, "sub": MFA_USER_ID, "aud": client, "iat": now,
        "exp": now + 36_000, "name": MFA_USERNAME,
    });
    match (state.sign(&access), state.sign(&id)) {
        (Ok(access), Ok(id)) => endpoints::issued(&json!({
            "access_token": access,
            "id_token": id,
            "scope": "openid",
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME,
        })),
        (Err(message), _) | (_, Err(message)) => state.server_error(&message),
    }
}

/// The challenge types a client accepts (all when it names none), or the one it names that
/// /mfa/challenge does not know.
fn accepted(challenge_type: Option<&str>) -> Result<Vec<&str>, &str> {
    let Some(list) = challenge_type else {
        return Ok(CHALLENGE_TYPES.to_vec());
    };
    let types: Vec<&str> = list.split_whitespace().collect();
    match types.iter().find(|t| !CHALLENGE_TYPES.contains(t)) {
        Some(unknown) => Err(unknown),
        None => Ok(types),
    }
}

/// POST /mfa/challenge: the MFA user has only an OTP authenticator, so a client that accepts
/// OTP is told to ask for the code, and one that accepts only out-of-band challenges gets
/// unsupported_challenge_type.
pub async fn challenge(
    Extract(state): Extract<Arc<State>>,
    Post { params, headers }: Post,
) -> Response {
    let creds = match endpoints::credentials(&headers, &params) {
        Ok(c) => c,
        Err(message) => return state.invalid_request(message),
    };
    if endpoints::authenticate(&creds).is_none() {
        return endpoints::reject_client(&state, &creds, false);
    }
    if let Err(answer) = mfa_token(&state, &params) {
        return answer;
    }
    // A list or a number is not a challenge type to default from.
    if params.get("challenge_type").is_some_and(|v| !v.is_string()) {
        return state.invalid_request("challenge_type must be a string");
    }
    match accepted(text(&params, "challenge_type")) {
        Err(unknown) => state.invalid_request(&format!(
            "Unknown challenge_type {unknown}: use otp or oob."
        )),
        Ok(types) if types.contains(&"otp") => {
            let mut response =
                endpoints::json_response(StatusCode::OK, &json!({ "challenge_type": "otp" }));
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            );
            response
        }
        Ok(types) => Entry::new("mfa-challenge-unsupported-type")
            .text(format!(
                "User is not enrolled with any authenticator for the challenge types: {}",
                types.join(" ")
            ))
            .answer(state.fault()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::{
        CLIENT_ID, CLIENT_SECRET, Config, PUBLIC_CLIENT_ID, WEB_CLIENT_ID, WEB_CLIENT_SECRET,
    };

    async fn answer(r: Response) -> (u16, Value) {
        let status = r.status().as_u16();
        let body = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
        (status, serde_json::from_slice(&body).unwrap())
    }

    fn form(pairs: &[(&str, &str)]) -> HashMap<String, Value> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Value::String((*v).to_owned())))
            .collect()
    }

    async fn challenge_of(body: Value) -> (u16, Value) {
        let state = Arc::new(State::new(Config::default()));
        let params = serde_json::from_value(body).unwrap();
        let r = challenge(
            Extract(state),
            Post {
                params,
                headers: HeaderMap::new(),
            },
        )
        .await;
        answer(r).await
    }

    #[tokio::test]
    async fn the_right_otp_gets_the_mfa_users_tokens_and_a_wrong_one_the_row() {
        let state = State::new(Config::default());
        let headers = HeaderMap::new();
        let right = form(&[("mfa_token", MFA_TOKEN), ("otp", MFA_OTP)]);
        let (status, body) = answer(otp(&state, PUBLIC_CLIENT_ID, &right, &headers)).await;
        assert_eq!(status, 200, "{body}");
        assert!(body["access_token"].is_string() && body["id_token"].is_string());
        let wrong = form(&[("mfa_token", MFA_TOKEN), ("otp", "000000")]);
        let (status, body) = answer(otp(&state, PUBLIC_CLIENT_ID, &wrong, &headers)).await;
        assert_eq!(
            (status, &body["error_description"]),
            (403, &json!("Invalid otp_code."))
        );
        let malformed = form(&[("mfa_token", "x"), ("otp", MFA_OTP)]);
        let (_, body) = answer(otp(&state, PUBLIC_CLIENT_ID, &malformed, &headers)).await;
        assert_eq!(body["error_description"], "Malformed mfa_token");
        let (status, body) = answer(otp(&state, CLIENT_ID, &right, &headers)).await;
        assert_eq!(
            (status, &body["error"]),
            (403, &json!("unauthorized_client"))
        );
        let (status, _) = answer(oob(
            &state,
            PUBLIC_CLIENT_ID,
            &form(&[("mfa_token", MFA_TOKEN)]),
        ))
        .await;
        assert_eq!(status, 400);
        let pending = form(&[("mfa_token", MFA_TOKEN), ("oob_code", MFA_OOB_CODE)]);
        let (status, body) = answer(oob(&state, PUBLIC_CLIENT_ID, &pending)).await;
        assert_eq!(
            (status, &body["error"]),
            (400, &json!("authorization_pending"))
        );
    }

    #[tokio::test]
    async fn a_challenge_is_otp_when_accepted_and_unsupported_for_oob_alone() {
        let base = json!({ "client_id": PUBLIC_CLIENT_ID, "mfa_token": MFA_TOKEN });
        let (status, body) = challenge_of(base.clone()).await;
        assert_eq!((status, body), (200, json!({ "challenge_type": "otp" })));
        let mut oob = base.clone();
        oob["challenge_type"] = json!("oob");
        let (status, body) = challenge_of(oob).await;
        assert_eq!(
            (status, &body["error"]),
            (400, &json!("unsupported_challenge_type"))
        );
        let mut listed = base.clone();
        listed["challenge_type"] = json!(["otp"]);
        let (status, body) = challenge_of(listed).await;
        assert_eq!((status, &body["error"]), (400, &json!("invalid_request")));
        let mut unknown = base.clone();
        unknown["challenge_type"] = json!("email");
        let (status, body) = challenge_of(unknown).await;
        assert_eq!((status, &body["error"]), (400, &json!("invalid_request")));
        let (status, _) = challenge_of(
            json!({ "client_id": CLIENT_ID, "client_secret": "wrong", "mfa_token": MFA_TOKEN }),
        )
        .await;
        assert_eq!(status, 401);
        let (status, body) =
            challenge_of(json!({ "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET })).await;
        assert_eq!((status, &body["error"]), (400, &json!("invalid_request")));
    }

    /// The regular web app passes MFA as the public client does, through the same rows, and
    /// challenges with its secret (without it, or with another, it is refused).
    #[tokio::test]
    async fn the_web_client_has_the_mfa_grants_and_challenges_with_its_secret() {
        let state = State::new(Config::default());
        let headers = HeaderMap::new();
        let right = form(&[("mfa_token", MFA_TOKEN), ("otp", MFA_OTP)]);
        let (status, body) = answer(otp(&state, WEB_CLIENT_ID, &right, &headers)).await;
        assert_eq!(status, 200, "{body}");
        let wrong = form(&[("mfa_token", MFA_TOKEN), ("otp", "000000")]);
        let (_, body) = answer(otp(&state, WEB_CLIENT_ID, &wrong, &headers)).await;
        assert_eq!(body["error_description"], "Invalid otp_code.");
        let malformed = form(&[("mfa_token", "x"), ("otp", MFA_OTP)]);
        let (_, body) = answer(otp(&state, WEB_CLIENT_ID, &malformed, &headers)).await;
        assert_eq!(body["error_description"], "Malformed mfa_token");
        let pending = form(&[("mfa_token", MFA_TOKEN), ("oob_code", MFA_OOB_CODE)]);
        let (status, body) = answer(oob(&state, WEB_CLIENT_ID, &pending)).await;
        assert_eq!(
            (status, &body["error"]),
            (400, &json!("authorization_pending"))
        );
        let web = json!({ "client_id": WEB_CLIENT_ID, "client_secret": WEB_CLIENT_SECRET,
                          "mfa_token": MFA_TOKEN, "challenge_type": "oob" });
        let (status, body) = challenge_of(web.clone()).await;
        assert_eq!(
            (status, &body["error"]),
            (400, &json!("unsupported_challenge_type"))
        );
        for secret in [json!(null), json!(CLIENT_SECRET)] {
            let mut refused = web.clone();
            refused["client_secret"] = secret;
            let (status, body) = challenge_of(refused).await;
            assert_eq!((status, &body["error"]), (401, &json!("invalid_client")));
        }
    }

    #[test]
    fn challenge_types_default_to_all_and_unknown_ones_are_named() {
        assert_eq!(accepted(None), Ok(vec!["otp", "oob"]));
        assert_eq!(accepted(Some("oob")), Ok(vec!["oob"]));
        assert_eq!(accepted(Some(" otp  oob ")), Ok(vec!["otp", "oob"]));
        assert_eq!(accepted(Some("oob email")), Err("email"));
    }
}
