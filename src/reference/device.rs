//! The device flow as a tenant runs it (RFC 8628, with Auth0's statuses): `POST
//! /oauth/device/code` starts it, and polling `/oauth/token` with the device code answers 403
//! `authorization_pending` until the user approves, 429 `slow_down` to a poll of the slow-down
//! code within the interval, 403 `expired_token` for an expired code (exactly once for the
//! twice-expired one, then `invalid_grant`), and 403 `access_denied` when the user cancelled. The device codes are the rfc profile's, so
//! that one vars file serves both profiles.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{
    extract::State as Extract,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde_json::{Value, json};

use super::{
    endpoints::{Post, State, text},
    entries::Entry,
    rfc::{
        DENIED_DEVICE_CODE, DEVICE_CLIENT_ID, EXPIRED_DEVICE_CODE, PENDING_DEVICE_CODE,
        SLOW_DOWN_DEVICE_CODE,
    },
};

/// A second expired device code: polled until it answers invalid_grant, so that it never
/// races the case that wants the one expired_token of [`EXPIRED_DEVICE_CODE`].
pub const TWICE_EXPIRED_DEVICE_CODE: &str = "dc-authconform-expired-twice";
/// The grant a device polls with.
pub const GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// The polling interval Auth0 gives (seconds).
const INTERVAL: Duration = Duration::from_secs(5);

/// What the server remembers of the fixed device codes: when the slow-down one was last
/// polled, and whether the twice-expired one has said so. Only the fixed codes are kept, so it stays a
/// few entries whatever clients send.
#[derive(Default)]
pub struct Polls {
    last: Option<Instant>,
    /// Whether [`TWICE_EXPIRED_DEVICE_CODE`] has had its one expired_token.
    expired_said: bool,
}

/// `POST /oauth/device/code`.
pub(super) async fn device_code(
    Extract(state): Extract<Arc<State>>,
    Post { params, headers: _ }: Post,
) -> Response {
    match text(&params, "client_id") {
        None => Entry::new("device-code-missing-client-id")
            .text("Missing required parameter: client_id")
            .answer(state.fault()),
        Some(DEVICE_CLIENT_ID) => (
            StatusCode::OK,
            axum::Json(json!({
                "device_code": PENDING_DEVICE_CODE,
                "user_code": "WDJB-MJHT",
                "verification_uri": "https://device.authconform.test/activate",
                "verification_uri_complete": "https://device.authconform.test/activate?user_code=WDJB-MJHT",
                "expires_in": 900,
                "interval": INTERVAL.as_secs(),
            })),
        )
            .into_response(),
        Some(_) => state.error(super::Row::InvalidClient, "Unknown client."),
    }
}

/// A poll of the token endpoint with `grant_type=urn:ietf:params:oauth:grant-type:device_code`
/// by the device client.
pub(super) fn poll(
    state: &State,
    polls: &Mutex<Polls>,
    params: &HashMap<String, Value>,
) -> Response {
    let Some(code) = text(params, "device_code") else {
        return state.invalid_request("Missing required parameter: device_code");
    };
    let mut polls = polls.lock().unwrap_or_else(|e| e.into_inner());
    let entry = match code {
        // Only the code kept for it slows down: a tenant would slow down any code polled
        // within the interval, but a double that answers one run after another (an app's
        // test suite, this one's) must answer the pending code alike every time.
        SLOW_DOWN_DEVICE_CODE => {
            let now = Instant::now();
            let too_soon = polls
                .last
                .replace(now)
                .is_some_and(|last| now.duration_since(last) < INTERVAL);
            if too_soon {
                Entry::new("device-slow-down")
            } else {
                Entry::new("device-authorization-pending")
            }
        }
        PENDING_DEVICE_CODE => Entry::new("device-authorization-pending"),
        // Expired just now, every time: each run (an app's test, a nightly) gets the first
        // answer a tenant gives, so that runs against one server agree.
        EXPIRED_DEVICE_CODE => {
            Entry::new("device-expired-token").text("The device code has expired.")
        }
        TWICE_EXPIRED_DEVICE_CODE if polls.expired_said => {
            Entry::new("device-expired-then-invalid-grant").text("Invalid or expired device code.")
        }
        TWICE_EXPIRED_DEVICE_CODE => {
            polls.expired_said = true;
            Entry::new("device-expired-token").text("The device code has expired.")
        }
        DENIED_DEVICE_CODE => Entry::new("device-access-denied"),
        _ => {
            Entry::new("device-expired-then-invalid-grant").text("Invalid or expired device code.")
        }
    };
    entry.answer(state.fault())
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn error_of(r: Response) -> (u16, String) {
        let status = r.status().as_u16();
        let body = axum::body::to_bytes(r.into_body(), 1 << 16).await.unwrap();
        let body: Value = serde_json::from_slice(&body).unwrap();
        (status, body["error"].as_str().unwrap().to_owned())
    }

    #[tokio::test]
    async fn the_slow_down_code_slows_down_within_the_interval_and_an_expired_one_says_so_once() {
        let state = State::new(super::super::Config::default());
        let polls = Mutex::new(Polls::default());
        let with = |code: &str| HashMap::from([("device_code".to_owned(), Value::from(code))]);
        let answers = [
            (PENDING_DEVICE_CODE, 403, "authorization_pending"),
            (PENDING_DEVICE_CODE, 403, "authorization_pending"),
            (SLOW_DOWN_DEVICE_CODE, 403, "authorization_pending"),
            (SLOW_DOWN_DEVICE_CODE, 429, "slow_down"),
            (EXPIRED_DEVICE_CODE, 403, "expired_token"),
            (EXPIRED_DEVICE_CODE, 403, "expired_token"),
            (TWICE_EXPIRED_DEVICE_CODE, 403, "expired_token"),
            (TWICE_EXPIRED_DEVICE_CODE, 403, "invalid_grant"),
            (DENIED_DEVICE_CODE, 403, "access_denied"),
            ("dc-unknown", 403, "invalid_grant"),
        ];
        for (code, status, error) in answers {
            assert_eq!(
                error_of(poll(&state, &polls, &with(code))).await,
                (status, error.to_owned()),
                "{code}"
            );
        }
    }
}
