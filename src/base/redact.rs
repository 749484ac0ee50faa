//! The output guard, in one place. Every string that leaves the process (terminal, failure
//! detail, JUnit, JSON, annotations, error messages) passes through here: a [`Redactor`] masks
//! secrets, and the credentials a server issues ([`issued_credentials`]); [`neutralise`] makes
//! text that came from outside (a server, a case file) unable to steer a terminal or a CI log.

use base64::Engine;

use crate::response::Response;

/// Text that was cut short ends with this mark; a secret cut there is masked too.
pub const CUT: char = '…';

/// The shortest start of a secret, left before a [`CUT`], that is masked.
const MIN_PARTIAL: usize = 3;

/// What a secret is replaced by.
pub const MASK: &str = "***";

/// Replaces every secret, and every derived form of it that can appear on the wire or in an
/// echo, by [`MASK`].
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// Longest first, so that a secret containing another is masked whole.
    needles: Vec<String>,
}

impl Redactor {
    pub fn new<'a>(secrets: impl IntoIterator<Item = &'a str>) -> Self {
        let mut redactor = Redactor::default();
        for secret in secrets {
            redactor.add(secret);
        }
        redactor
    }

    /// The redactor of a run: its `secrets`, and the Basic credentials (user, password) of its
    /// requests that carry one (their base64 is what a server echoes).
    pub fn for_run<'a, 's>(
        secrets: &[&'s str],
        basic_auth: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Self {
        let mut redactor = Redactor::new(secrets.iter().copied());
        let carries_secret = |s: &str| {
            secrets
                .iter()
                .any(|secret| !secret.is_empty() && s.contains(secret))
        };
        for (user, password) in basic_auth {
            if carries_secret(user) || carries_secret(password) {
                redactor.add_basic(user, password);
            }
        }
        redactor
    }

    /// Adds a secret with its derived forms: URL-encoded (as a form or query value, and as a
    /// URL path encodes it), JSON-escaped and base64 (as a server may echo a credential it
    /// decoded or encoded).
    pub fn add(&mut self, secret: &str) {
        if secret.is_empty() {
            return;
        }
        self.push(base64::engine::general_purpose::STANDARD.encode(secret));
        let form: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
        let mut url = url::Url::parse("http://h/").expect("a valid URL");
        url.set_path(secret);
        self.push(
            url.path()
                .strip_prefix('/')
                .unwrap_or(url.path())
                .to_owned(),
        );
        let path = form.replace('+', "%20");
        // JSON-escaped once (in a body) and twice (a JSON body echoed inside JSON).
        let json = json_escaped(secret);
        let json_twice = json_escaped(&json);
        for needle in [secret.to_owned(), form, path, json, json_twice] {
            self.push(needle);
        }
    }

    /// Adds the base64 of a Basic `Authorization` credential that carries a secret.
    pub fn add_basic(&mut self, username: &str, password: &str) {
        let encoded =
            base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
        self.push(encoded);
    }

    fn push(&mut self, needle: String) {
        if !needle.is_empty() && !self.needles.contains(&needle) {
            self.needles.push(needle);
            self.needles.sort_by_key(|n| std::cmp::Reverse(n.len()));
        }
    }

    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for needle in &self.needles {
            if out.contains(needle.as_str()) {
                out = out.replace(needle.as_str(), MASK);
            }
        }
        if out.contains(CUT) {
            self.mask_cut_starts(&out)
        } else {
            out
        }
    }

    /// Masks the start of a secret left just before a cut mark, where the rest of it was cut
    /// off: `…abc[cut]` of a secret `abcdef` shows as `…***[cut]`.
    fn mask_cut_starts(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let pieces: Vec<&str> = text.split(CUT).collect();
        for (i, piece) in pieces.iter().enumerate() {
            if i > 0 {
                out.push(CUT);
            }
            let is_last = i + 1 == pieces.len();
            let partial = (!is_last)
                .then(|| {
                    self.needles
                        .iter()
                        .filter_map(|needle| {
                            let longest = (MIN_PARTIAL..needle.len())
                                .rev()
                                .filter(|&n| needle.is_char_boundary(n))
                                .find(|&n| piece.ends_with(&needle[..n]))?;
                            Some(longest)
                        })
                        .max()
                })
                .flatten();
            match partial {
                Some(n) => {
                    out.push_str(&piece[..piece.len() - n]);
                    out.push_str(MASK);
                }
                None => out.push_str(piece),
            }
        }
        out
    }
}

/// Credential values shorter than this are not masked as free text: masking `"ab"` everywhere
/// would garble a report more than it protects (no real token is that short).
const MIN_ISSUED: usize = 4;

/// Names of JSON members, query parameters and fields whose values are credentials.
const CREDENTIAL_NAMES: &[&str] = &[
    "access_token",
    "refresh_token",
    "id_token",
    "mfa_token",
    "device_code",
    "user_code",
    "client_secret",
    "password",
    "code",
    "code_verifier",
    "client_assertion",
    "assertion",
    "subject_token",
    "actor_token",
    "issued_token",
    "session_token",
    "login_ticket",
    "oob_code",
    "binding_code",
    "recovery_code",
    "otp",
    "token",
    "secret",
];

/// Whether a member or parameter of this name carries a credential.
pub fn is_credential_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    CREDENTIAL_NAMES.contains(&name.as_str())
        || name.ends_with("_token")
        || name.ends_with("_secret")
        || name.ends_with("_password")
}

/// The credentials a response hands out, so that reports say a token was issued, not what it
/// was: values of credential members of a JSON body at any depth (an error body's `code` is an
/// error code, not an authorization code, so `code` counts only in a redirect), credential
/// parameters of a `Location` URL (query or fragment), and the values of `Set-Cookie`.
pub fn issued_credentials(response: &Response) -> Vec<String> {
    let mut found = Vec::new();
    if let Ok(body) = serde_json::from_slice::<serde_json::Value>(&response.body) {
        credential_members(&body, &mut found);
    }
    for (name, value) in &response.headers {
        if name == "set-cookie" {
            let pair = value.split(';').next().unwrap_or_default();
            if let Some((_, cookie)) = pair.split_once('=') {
                found.push(cookie.trim().trim_matches('"').to_owned());
            }
        } else if name == "location" {
            let parsed = url::Url::parse(value)
                .or_else(|_| url::Url::parse("http://h/").and_then(|base| base.join(value)));
            if let Ok(url) = parsed {
                let fragment =
                    url::form_urlencoded::parse(url.fragment().unwrap_or_default().as_bytes());
                for (key, v) in url.query_pairs().chain(fragment) {
                    if is_credential_name(&key) {
                        found.push(v.into_owned());
                    }
                }
            }
        }
    }
    found.retain(|v| v.chars().count() >= MIN_ISSUED);
    found
}

fn credential_members(value: &serde_json::Value, found: &mut Vec<String>) {
    use serde_json::Value;
    match value {
        Value::Object(members) => {
            for (key, v) in members {
                match v {
                    Value::String(s) if key != "code" && is_credential_name(key) => {
                        found.push(s.clone());
                    }
                    other => credential_members(other, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| credential_members(i, found)),
        _ => {}
    }
}

/// Text that came from outside, made safe to show: control characters (CR, ESC, BEL, the C1
/// controls such as CSI) and the invisible bidirectional and zero-width marks are shown escaped
/// (`\r`, `\t`, `\u{1b}`), so that no escape sequence reaches a terminal and no line can be
/// rewritten under the reader's eyes. A newline stays a newline only where `newlines` allows
/// (the layout then starts every line with its own prefix); elsewhere it is `\n`.
///
/// CI logs read some lines as commands: GitHub's runner takes a line that starts with `::`
/// (after spaces) as a workflow command, and `##[` anywhere in a line as an old-style one. So a
/// `::` at the start of the text or of a line is shown as `\u{3a}:` and every `##[` as
/// `#\u{23}[`: the server under test cannot add, hide or stop the run's annotations.
pub fn neutralise(text: &str, newlines: bool) -> String {
    let risky = |c: char| {
        c.is_control()
            || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}')
    };
    if !text.chars().any(risky) && !text.contains("##[") && !text.trim_start().starts_with("::") {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut line_start = true;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        let len = c.len_utf8();
        if line_start && rest.starts_with("::") {
            out.push_str("\\u{3a}");
            rest = &rest[1..];
            line_start = false;
            continue;
        }
        if rest.starts_with("##[") {
            out.push_str("#\\u{23}");
            rest = &rest[2..];
            line_start = false;
            continue;
        }
        match c {
            '\n' if newlines => {
                out.push('\n');
                line_start = true;
            }
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            // The runner trims leading white space before it looks for `::`.
            c if c.is_whitespace() && !risky(c) => out.push(c),
            c if risky(c) => {
                let _ = std::fmt::Write::write_fmt(&mut out, format_args!("\\u{{{:x}}}", c as u32));
                line_start = false;
            }
            c => {
                out.push(c);
                line_start = false;
            }
        }
        rest = &rest[len..];
    }
    out
}

/// `text` as it stands inside a JSON string.
fn json_escaped(text: &str) -> String {
    let quoted = serde_json::to_string(text).unwrap_or_default();
    quoted
        .strip_prefix('"')
        .and_then(|q| q.strip_suffix('"'))
        .unwrap_or_default()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_raw_encoded_and_basic_forms() {
        let secret = "p@ss w/rd+\"1\"";
        let mut r = Redactor::new([secret]);
        r.add_basic("client", secret);
        let form: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("client:{secret}"));
        let text = format!(
            "raw={secret} form={form} path={} json={} basic=Basic {basic}",
            form.replace('+', "%20"),
            serde_json::to_string(secret).unwrap()
        );
        let out = r.redact(&text);
        assert_eq!(
            out,
            r#"raw=*** form=*** path=*** json="***" basic=Basic ***"#
        );
    }

    #[test]
    fn masks_a_secret_in_a_url_path() {
        let secret = "s3cr3t/with +x&y=z\"";
        let r = Redactor::new([secret]);
        let mut url = url::Url::parse("http://h/").unwrap();
        url.set_path(&format!("/a/{secret}/b"));
        assert_eq!(r.redact(url.as_str()), "http://h/a/***/b");
    }

    #[test]
    fn masks_a_secret_cut_short() {
        let r = Redactor::new(["abcdefgh"]);
        assert_eq!(r.redact("body: xyzabcd…"), "body: xyz***…");
        assert_eq!(r.redact("\"abcdefgh\" and abc…"), "\"***\" and ***…");
        // Too short a start to tell from ordinary text, and no cut: left alone.
        assert_eq!(r.redact("ab… abcd"), "ab… abcd");
    }

    #[test]
    fn outside_text_cannot_steer_a_terminal_or_a_ci_log() {
        assert_eq!(neutralise("plain text: a::b", false), "plain text: a::b");
        assert_eq!(
            neutralise("oops\r::error file=README.md::INJECTED", false),
            "oops\\r::error file=README.md::INJECTED"
        );
        assert_eq!(
            neutralise("::stop-commands::tok", false),
            "\\u{3a}:stop-commands::tok"
        );
        assert_eq!(
            neutralise("a\n  ::error::x\n\u{a0}::warning::y", true),
            "a\n  \\u{3a}:error::x\n\u{a0}\\u{3a}:warning::y"
        );
        assert_eq!(neutralise("a\n::error::x", false), "a\\n::error::x");
        assert_eq!(
            neutralise(
                "x ##[error]y \u{1b}[31mred\u{1b}]0;title\u{7}\u{9b}2J\u{202e}",
                false
            ),
            "x #\\u{23}[error]y \\u{1b}[31mred\\u{1b}]0;title\\u{7}\\u{9b}2J\\u{202e}"
        );
        assert_eq!(neutralise("tab\there", true), "tab\\there");
        // Nothing that it leaves can begin a workflow command on any line.
        let hostile = "\r\n \t::x::y\n##[group]z\r::a::b";
        for line in neutralise(hostile, true).lines() {
            assert!(!line.trim_start().starts_with("::"), "{line}");
            assert!(!line.contains("##["), "{line}");
            assert!(!line.contains(['\r', '\u{1b}']), "{line}");
        }
    }

    #[test]
    fn issued_credentials_are_found_at_any_depth_in_bodies_cookies_and_redirects() {
        let response = Response {
            status: 200,
            headers: vec![
                ("set-cookie".into(), "auth0=sess-abcdef; Path=/; HttpOnly".into()),
                (
                    "location".into(),
                    "https://app/cb?code=authcode1&state=st#id_token=idtok1".into(),
                ),
            ],
            body: br#"{"access_token":"at-12345","token_type":"Bearer","nested":{"refresh_token":"rt-12345","list":[{"mfa_token":"mfa-1234"}]},"code":"invalid_password","x":"ab"}"#.to_vec(),
            truncated: false,
        };
        let mut found = issued_credentials(&response);
        found.sort();
        assert_eq!(
            found,
            [
                "at-12345",
                "authcode1",
                "idtok1",
                "mfa-1234",
                "rt-12345",
                "sess-abcdef"
            ]
        );
        assert!(is_credential_name("Client_Secret") && is_credential_name("x_token"));
        assert!(!is_credential_name("token_type") && !is_credential_name("error"));
    }

    #[test]
    fn longer_secrets_win_and_empty_ones_are_ignored() {
        let r = Redactor::new(["abc", "abcdef", ""]);
        assert_eq!(r.redact("xabcdefx abc"), "x***x ***");
        assert_eq!(Redactor::new([""]).redact("text"), "text");
    }
}
