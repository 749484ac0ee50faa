//! `POST /dbconnections/signup` as a tenant answers it: a new user is created (200), and the
//! documented refusals come in Auth0's Boom shape `{name, code, description, statusCode}` —
//! an existing user (`invalid_signup`, or `user_exists` where the tenant exposes it), a weak
//! password (`invalid_password`, its description the object of password rules), a password
//! from the dictionary, one that contains the user's own data.

use std::sync::Arc;

use axum::{
    extract::State as Extract,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde_json::{Value, json};

use super::{
    DB_CONNECTION, DICTIONARY_PASSWORD, EXISTING_USER_EMAIL, USER_EXISTS_EMAIL,
    endpoints::{Post, State, signs_users_in, text},
    entries::Entry,
};

/// The policy a tenant's database connection has by default ("Good"): at least 8 characters, of
/// at least 3 of the 4 kinds.
const MIN_LENGTH: usize = 8;

pub(super) async fn signup(
    Extract(state): Extract<Arc<State>>,
    Post { params, headers: _ }: Post,
) -> Response {
    // The connection is enabled for the two clients that sign users in.
    if !text(&params, "client_id").is_some_and(signs_users_in) {
        return state.invalid_request("Missing or unknown client_id.");
    }
    if text(&params, "connection") != Some(DB_CONNECTION) {
        return state.invalid_request("The connection was not found.");
    }
    let (Some(email), Some(password)) = (text(&params, "email"), text(&params, "password")) else {
        return state.invalid_request("Missing required parameter: email and password");
    };
    let mut refusal = refuse(email, password);
    // The docs say 409; tenants are seen to send 400.
    if state.observed() && email.eq_ignore_ascii_case(USER_EXISTS_EMAIL) {
        refusal = refusal.map(|entry| entry.status(400));
    }
    match refusal {
        Some(entry) => entry.answer(state.fault()),
        None => (
            StatusCode::OK,
            axum::Json(json!({ "_id": state.mint(""), "email_verified": false, "email": email })),
        )
            .into_response(),
    }
}

/// Why a tenant refuses this signup, in the order it looks: the user, then the password.
fn refuse(email: &str, password: &str) -> Option<Entry> {
    let email_lower = email.to_ascii_lowercase();
    if email_lower == EXISTING_USER_EMAIL {
        return Some(Entry::new("signup-invalid-signup"));
    }
    if email_lower == USER_EXISTS_EMAIL {
        return Some(Entry::new("signup-user-exists"));
    }
    if let Some(rules) = weak(password) {
        return Some(
            Entry::new("signup-password-strength")
                .name("PasswordStrengthError")
                .member("message", "Password is too weak")
                .member("policy", POLICY)
                .text(rules),
        );
    }
    if password == DICTIONARY_PASSWORD {
        return Some(
            Entry::new("signup-password-dictionary")
                .name("PasswordDictionaryError")
                .member("message", "Password is too common")
                .text("Password is too common"),
        );
    }
    let local = email_lower.split('@').next().unwrap_or_default();
    if local.len() >= 3 && password.to_ascii_lowercase().contains(local) {
        return Some(
            Entry::new("signup-password-no-user-info")
                .name("PasswordNoUserInfoError")
                .member("message", "Password contains user information")
                .text("Password contains user information"),
        );
    }
    None
}

const POLICY: &str = "* At least 8 characters in length\n* Contain at least 3 of the following 4 types of characters:\n * lower case letters (a-z)\n * upper case letters (A-Z)\n * numbers (i.e. 0-9)\n * special characters (e.g. !@#$%^&*)";

/// The rules object of a password the default policy refuses, as Auth0 writes it; None when
/// the password meets the policy.
fn weak(password: &str) -> Option<Value> {
    let long = password.chars().count() >= MIN_LENGTH;
    let kinds = [
        (
            "lower case letters (a-z)",
            "lowerCase",
            password.chars().any(|c| c.is_lowercase()),
        ),
        (
            "upper case letters (A-Z)",
            "upperCase",
            password.chars().any(|c| c.is_uppercase()),
        ),
        (
            "numbers (i.e. 0-9)",
            "numbers",
            password.chars().any(|c| c.is_ascii_digit()),
        ),
        (
            "special characters (e.g. !@#$%^&*)",
            "specialCharacters",
            password.chars().any(|c| !c.is_alphanumeric()),
        ),
    ];
    let met = kinds.iter().filter(|k| k.2).count();
    if long && met >= 3 {
        return None;
    }
    let items: Vec<Value> = kinds
        .iter()
        .map(|(message, code, verified)| json!({"message": message, "code": code, "verified": verified}))
        .collect();
    Some(json!({
        "rules": [
            {"message": "At least %d characters in length", "format": [MIN_LENGTH], "code": "lengthAtLeast", "verified": long},
            {"message": "Contain at least %d of the following %d types of characters:", "code": "containsAtLeast", "format": [3, 4], "items": items, "verified": met >= 3}
        ],
        "verified": false
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_policy_wants_eight_characters_of_three_kinds() {
        assert!(weak("Abcdef1!").is_none());
        assert!(weak("abcdefg1").is_some(), "two kinds");
        let rules = weak("Ab1!").unwrap();
        assert_eq!(rules["rules"][0]["verified"], false);
        assert_eq!(rules["rules"][1]["verified"], true);
    }

    #[test]
    fn the_user_is_looked_at_before_the_password() {
        let row = |email, password| refuse(email, password).map(|_| ());
        assert!(row(EXISTING_USER_EMAIL, "x").is_some());
        assert!(row("new@example.com", "Abcdef1!").is_none());
        assert!(row("new@example.com", DICTIONARY_PASSWORD).is_some());
        assert!(row("someone@example.com", "Someone-X9!").is_some());
    }
}
