//! Secret redaction, in one place: every string that leaves the process (terminal, failure
//! detail, curl line, JUnit, error messages) passes through a [`Redactor`].

use base64::Engine;

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

    /// Adds a secret with its derived forms: URL-encoded (form and path styles), JSON-escaped
    /// and base64 (as a server may echo a credential it decoded or encoded).
    pub fn add(&mut self, secret: &str) {
        if secret.is_empty() {
            return;
        }
        self.push(base64::engine::general_purpose::STANDARD.encode(secret));
        let form: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
        let path = form.replace('+', "%20");
        let quoted = serde_json::to_string(secret).unwrap_or_default();
        let json = quoted
            .strip_prefix('"')
            .and_then(|q| q.strip_suffix('"'))
            .unwrap_or_default()
            .to_owned();
        for needle in [secret.to_owned(), form, path, json] {
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
        out
    }
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
    fn longer_secrets_win_and_empty_ones_are_ignored() {
        let r = Redactor::new(["abc", "abcdef", ""]);
        assert_eq!(r.redact("xabcdefx abc"), "x***x ***");
        assert_eq!(Redactor::new([""]).redact("text"), "text");
    }
}
