//! Secret redaction, in one place: every string that leaves the process (terminal, failure
//! detail, curl line, JUnit, JSON, error messages) passes through a [`Redactor`].

use base64::Engine;

use crate::{plan::Prepared, vars::Vars};

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

    /// The redactor of a run: every secret of `vars`, and the Basic credentials among
    /// `requests` that carry one (their base64 is what a server echoes).
    pub fn for_run<'a>(vars: &Vars, requests: impl IntoIterator<Item = &'a Prepared>) -> Self {
        let mut redactor = Redactor::new(vars.secrets());
        let carries_secret = |s: &str| {
            vars.secrets()
                .any(|secret| !secret.is_empty() && s.contains(secret))
        };
        for request in requests {
            if let Some((user, password)) = &request.basic_auth {
                if carries_secret(user) || carries_secret(password) {
                    redactor.add_basic(user, password);
                }
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
    fn longer_secrets_win_and_empty_ones_are_ignored() {
        let r = Redactor::new(["abc", "abcdef", ""]);
        assert_eq!(r.redact("xabcdefx abc"), "x***x ***");
        assert_eq!(Redactor::new([""]).redact("text"), "text");
    }
}
