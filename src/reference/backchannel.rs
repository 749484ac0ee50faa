//! Client-initiated backchannel authentication (`POST /bc-authorize`, OpenID CIBA Core) and
//! pushed authorization requests (`POST /oauth/par`, RFC 9126) as a tenant with those features
//! answers them: the refusals Auth0 sends for a request without the `openid` scope, for a
//! `login_hint` naming no user, and for a pushed request that carries a `request_uri`.

use std::{collections::HashMap, sync::Arc};

use axum::{
    extract::State as Extract,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde_json::{Value, json};

use super::{
    CIBA_USER_ID, CLIENT_ID, CLIENT_SECRET, ISSUER, REDIRECT_URI, Row,
    endpoints::{Post, State, text},
    entries::Entry,
};

/// The confidential client may use both features here; on a tenant they are per client.
fn authenticated(params: &HashMap<String, Value>) -> bool {
    text(params, "client_id") == Some(CLIENT_ID)
        && text(params, "client_secret") == Some(CLIENT_SECRET)
}

/// `POST /bc-authorize`.
pub(super) async fn bc_authorize(
    Extract(state): Extract<Arc<State>>,
    Post { params, headers }: Post,
) -> Response {
    if !authenticated(&params) {
        return state.error(Row::InvalidClient, "Client authentication failed.");
    }
    let scope = text(&params, "scope").unwrap_or_default();
    if !scope.split(' ').any(|s| s == "openid") {
        return Entry::new("ciba-openid-scope").answer(state.fault());
    }
    if text(&params, "binding_message").is_none() {
        return state.invalid_request("binding_message is required");
    }
    let Some(hint) = text(&params, "login_hint") else {
        return state.invalid_request("login_hint is required");
    };
    // Auth0's login_hint is a JSON object {"format": "iss_sub", "iss", "sub"}, the issuer the
    // tenant's own.
    let issuers = [format!("{}/", state.origin(&headers)), ISSUER.to_owned()];
    let Some(hint) = serde_json::from_str::<Value>(hint)
        .ok()
        .filter(|h| h["format"] == "iss_sub")
    else {
        return state.invalid_request("login_hint must be a JSON object of format iss_sub");
    };
    if !hint["iss"]
        .as_str()
        .is_some_and(|i| issuers.iter().any(|x| x == i))
    {
        return state.invalid_request("The login_hint's iss is not this tenant's issuer.");
    }
    let subject = hint["sub"].as_str().map(str::to_owned);
    if subject.as_deref() != Some(CIBA_USER_ID) {
        return Entry::new("ciba-unknown-user-id").answer(state.fault());
    }
    (
        StatusCode::OK,
        axum::Json(json!({ "auth_req_id": state.mint("ciba_"), "expires_in": 300, "interval": 5 })),
    )
        .into_response()
}

/// `POST /oauth/par`.
pub(super) async fn par(
    Extract(state): Extract<Arc<State>>,
    Post { params, headers: _ }: Post,
) -> Response {
    if !authenticated(&params) {
        return state.error(Row::InvalidClient, "Client authentication failed.");
    }
    // RFC 9126 §2.1: the request_uri parameter MUST NOT be provided in a pushed request.
    if params.contains_key("request_uri") {
        return Entry::new("par-request-uri-pushed")
            .text("request_uri is not allowed in a pushed authorization request")
            .answer(state.fault());
    }
    if text(&params, "response_type") != Some("code") {
        return state.invalid_request("Missing required parameter: response_type");
    }
    if text(&params, "redirect_uri") != Some(REDIRECT_URI) {
        return state.invalid_request("The redirect_uri is not allowed for the client.");
    }
    (
        StatusCode::CREATED,
        axum::Json(json!({
            "request_uri": format!("urn:ietf:params:oauth:request_uri:{}", state.mint("")),
            "expires_in": 30,
        })),
    )
        .into_response()
}
