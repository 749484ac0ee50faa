//! The users of the password grants and how a tenant answers their logins: a wrong password
//! (or an unknown user) is "Wrong email or password."; the MFA user's right password asks for
//! MFA; a breached password is refused by breached password detection; and brute-force
//! protection blocks the brute-force user after ten wrong passwords in a row, as a tenant does
//! by default. Only that user is ever blocked: the others are fixtures every run (and every
//! app's test suite) shares, which a client typing wrong passwords must not take away.

use std::{collections::HashMap, sync::Mutex};

use axum::response::Response;
use serde_json::Value;

use super::{
    BREACHED_PASSWORD, BREACHED_USERNAME, BRUTE_FORCE_USERNAME, MFA_PASSWORD, MFA_USERNAME,
    endpoints::{State, text},
    entries::Entry,
    mfa,
};

/// Consecutive wrong passwords after which a user is blocked: Auth0's default threshold.
pub const BRUTE_FORCE_THRESHOLD: u32 = 10;

/// The users this server knows: (username, password). The brute-force user has none, so
/// every attempt fails.
const USERS: [(&str, Option<&str>); 3] = [
    (MFA_USERNAME, Some(MFA_PASSWORD)),
    (BREACHED_USERNAME, Some(BREACHED_PASSWORD)),
    (BRUTE_FORCE_USERNAME, None),
];

/// Wrong passwords in a row of the brute-force user, the only one counted, so the map holds
/// one entry whatever clients send. A blocked user stays blocked
/// until the server restarts, as on a tenant until someone unblocks it.
#[derive(Default)]
pub struct Attempts(Mutex<HashMap<&'static str, u32>>);

/// What a login comes to, before it is answered.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    WrongPassword,
    Blocked,
    Mfa,
    Breached,
}

impl Attempts {
    /// Judges one login of `username` with `password`, counting it against the user.
    fn judge(&self, username: &str, password: &str) -> Outcome {
        // Tenants compare emails without regard to case.
        let Some((user, right)) = USERS
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(username))
        else {
            return Outcome::WrongPassword;
        };
        if *user != BRUTE_FORCE_USERNAME {
            return match (*right == Some(password), *user == MFA_USERNAME) {
                (false, _) => Outcome::WrongPassword,
                (true, true) => Outcome::Mfa,
                (true, false) => Outcome::Breached,
            };
        }
        let mut failures = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let count = failures.entry(user).or_default();
        if *count >= BRUTE_FORCE_THRESHOLD {
            return Outcome::Blocked;
        }
        if *right != Some(password) {
            *count += 1;
            return Outcome::WrongPassword;
        }
        *count = 0;
        if *user == MFA_USERNAME {
            Outcome::Mfa
        } else {
            Outcome::Breached
        }
    }
}

/// The answer to a password login whose client, grant and connection are already accepted.
pub fn login(state: &State, params: &HashMap<String, Value>) -> Response {
    let username = text(params, "username").unwrap_or_default();
    let password = text(params, "password").unwrap_or_default();
    let fault = state.fault();
    match state.attempts().judge(username, password) {
        Outcome::WrongPassword => Entry::new("token-password-realm-wrong-password").answer(fault),
        Outcome::Blocked => Entry::new("attack-too-many-attempts").answer(fault),
        Outcome::Breached => Entry::new("attack-password-leaked").answer(fault),
        Outcome::Mfa => mfa::required(state),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_known_user_is_blocked_after_ten_wrong_passwords_and_others_are_not() {
        let attempts = Attempts::default();
        for _ in 0..BRUTE_FORCE_THRESHOLD {
            assert_eq!(
                attempts.judge(BRUTE_FORCE_USERNAME, "wrong"),
                Outcome::WrongPassword
            );
        }
        assert_eq!(
            attempts.judge(&BRUTE_FORCE_USERNAME.to_uppercase(), "wrong"),
            Outcome::Blocked
        );
        // Unknown users are never counted, and the other known users are not affected.
        for _ in 0..2 * BRUTE_FORCE_THRESHOLD {
            assert_eq!(
                attempts.judge("nobody@example.com", "wrong"),
                Outcome::WrongPassword
            );
        }
        assert_eq!(attempts.0.lock().unwrap().len(), 1);
        assert_eq!(attempts.judge(MFA_USERNAME, MFA_PASSWORD), Outcome::Mfa);
        assert_eq!(
            attempts.judge(BREACHED_USERNAME, BREACHED_PASSWORD),
            Outcome::Breached
        );
    }

    #[test]
    fn the_shared_users_are_never_blocked() {
        let attempts = Attempts::default();
        for _ in 0..3 * BRUTE_FORCE_THRESHOLD {
            assert_eq!(
                attempts.judge(MFA_USERNAME, "wrong"),
                Outcome::WrongPassword
            );
        }
        assert_eq!(attempts.judge(MFA_USERNAME, MFA_PASSWORD), Outcome::Mfa);
        assert_eq!(
            attempts.judge(BREACHED_USERNAME, BREACHED_PASSWORD),
            Outcome::Breached
        );
    }
}
