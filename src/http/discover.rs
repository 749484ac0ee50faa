//! `--discover`: the endpoint variables from the target's own discovery document, OpenID
//! Connect's `{issuer}/.well-known/openid-configuration`, else RFC 8414's
//! `/.well-known/oauth-authorization-server{path}` (for an issuer with a path, the well-known
//! part goes between the host and the path). What it finds fills the endpoint variables the
//! user did not set; where they point is then held to the target's origin like any other. The
//! document is the server's own text: a value that is not a URL (or a path) is left out with a
//! warning, never shown or used as it came.

use serde_json::Value;

use crate::{
    base::error::Error,
    base::redact::neutralise,
    http::{
        plan::{Prepared, Target},
        send::Sender,
    },
};

/// The discovery documents of `target`, in the order tried: OpenID Connect's (appended to the
/// issuer), RFC 8414's (inserted before the issuer's path), and, for an issuer with a path,
/// RFC 8414's appended as OpenID Connect's is (RFC 8414 §5 says some servers put it there).
fn documents(target: &Target) -> Result<Vec<url::Url>, Error> {
    let bad = |e: String| Error::Usage(format!("--discover: {e}"));
    let path = target.base.path().trim_end_matches('/');
    let mut rfc8414 = target.base.clone();
    rfc8414.set_path(&format!("/.well-known/oauth-authorization-server{path}"));
    let mut urls = vec![
        target
            .join("/.well-known/openid-configuration")
            .map_err(bad)?,
        rfc8414,
        target
            .join("/.well-known/oauth-authorization-server")
            .map_err(bad)?,
    ];
    urls.dedup();
    Ok(urls)
}

/// The members of a discovery document that name the catalogue's variables: its endpoints,
/// then the issuer (not an endpoint, but a URL that cases name: a CIBA login_hint).
pub const ENDPOINTS: &[&str] = &[
    "token_endpoint",
    "revocation_endpoint",
    "authorization_endpoint",
    "userinfo_endpoint",
    "device_authorization_endpoint",
    "mfa_challenge_endpoint",
    "backchannel_authentication_endpoint",
    "pushed_authorization_request_endpoint",
    ISSUER,
];

/// The member compared as a string (OpenID Connect Discovery §3), so kept as it is written.
const ISSUER: &str = "issuer";

/// What discovery found: the document's URL and the endpoints it names, by variable.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Discovered {
    pub document: String,
    pub endpoints: Vec<(String, String)>,
    /// The endpoint members left out, each with why (never with the value as it came).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ignored: Vec<(String, String)>,
}

/// Reads the target's discovery document. A document that is missing (both tried), not a JSON
/// object, cut at the body limit, or unreachable is a usage error naming its URL.
pub async fn discover(target: &Target, sender: &Sender) -> Result<Discovered, Error> {
    let mut tried = Vec::new();
    for url in documents(target)? {
        let request = Prepared::get(url.clone());
        let response = sender
            .send(&request)
            .await
            .map_err(|e| Error::Usage(format!("--discover: {url}: {}", e.message)))?;
        if response.status == 404 {
            tried.push(url.to_string());
            continue;
        }
        let fail = |what: &str| Error::Usage(format!("--discover: {url}: {what}"));
        if response.status != 200 {
            return Err(fail(&format!("answered {}, not 200", response.status)));
        }
        if response.truncated {
            return Err(fail("the document is larger than 1 MiB"));
        }
        let doc: Value =
            serde_json::from_slice(&response.body).map_err(|e| fail(&format!("not JSON: {e}")))?;
        let Value::Object(members) = doc else {
            return Err(fail("not a JSON object"));
        };
        let mut found = Discovered {
            document: url.to_string(),
            ..Discovered::default()
        };
        for name in ENDPOINTS {
            let Some(value) = members.get(*name) else {
                continue;
            };
            let read = if *name == ISSUER {
                issuer(value)
            } else {
                endpoint(value)
            };
            match read {
                Ok(value) => found.endpoints.push(((*name).to_owned(), value)),
                Err(why) => found.ignored.push(((*name).to_owned(), why)),
            }
        }
        return Ok(found);
    }
    Err(Error::Usage(format!(
        "--discover: no discovery document: {} answered 404",
        tried.join(", ")
    )))
}

/// An endpoint member's value as a variable's: an absolute http or https URL, as the URL
/// parser writes it (ASCII, nothing a terminal acts on), or a path on the target. Anything
/// else is why it is left out.
fn endpoint(value: &Value) -> Result<String, String> {
    let Some(text) = value.as_str() else {
        return Err("not a string".to_owned());
    };
    if text.is_empty()
        || text.chars().any(|c| c.is_whitespace() || c.is_control())
        || neutralise(text, false) != text
    {
        return Err("not a URL: it holds white space, control or invisible characters".to_owned());
    }
    if text.starts_with('/') && !text.starts_with("//") {
        return Ok(text.to_owned());
    }
    match url::Url::parse(text) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host_str().is_some() => {
            Ok(url.to_string())
        }
        Ok(_) => Err("not an http or https URL".to_owned()),
        Err(e) => Err(format!("not a URL: {e}")),
    }
}

/// The issuer as the document writes it, once it is an absolute http or https URL.
fn issuer(value: &Value) -> Result<String, String> {
    match (endpoint(value)?, value.as_str()) {
        (url, Some(text)) if !url.starts_with('/') => Ok(text.to_owned()),
        _ => Err("not an absolute URL".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_for_an_issuer_with_and_without_a_path() {
        let urls = |base: &str| -> Vec<String> {
            documents(&Target::parse(base).unwrap())
                .unwrap()
                .iter()
                .map(url::Url::to_string)
                .collect()
        };
        assert_eq!(
            urls("https://h/tenant/"),
            [
                "https://h/tenant/.well-known/openid-configuration",
                "https://h/.well-known/oauth-authorization-server/tenant",
                "https://h/tenant/.well-known/oauth-authorization-server",
            ]
        );
        assert_eq!(
            urls("http://h:8080"),
            [
                "http://h:8080/.well-known/openid-configuration",
                "http://h:8080/.well-known/oauth-authorization-server",
            ]
        );
    }

    #[test]
    fn an_issuer_is_kept_as_written_and_must_be_absolute() {
        let read = |v: &str| issuer(&Value::String(v.into()));
        assert_eq!(read("https://h").unwrap(), "https://h");
        assert_eq!(read("https://h/").unwrap(), "https://h/");
        assert!(read("/tenant").is_err());
        assert!(read("https://h/\u{202e}").is_err());
    }

    #[test]
    fn endpoint_values_are_urls_or_paths_and_nothing_else() {
        let ok = |v: &str| endpoint(&Value::String(v.into()));
        assert_eq!(
            ok("https://h/oauth/token").unwrap(),
            "https://h/oauth/token"
        );
        assert_eq!(ok("/o/token/").unwrap(), "/o/token/");
        for hostile in [
            "https://h/t\r\n::error file=README.md::x",
            "https://h/\u{1b}]52;c;Zm9v\u{7}",
            "https://h/t\u{202e}",
            "https://h/\u{2028}x",
            "https://h/a\u{0}",
            "//evil.example/x",
            "javascript:alert(1)",
            "",
        ] {
            assert!(ok(hostile).is_err(), "{hostile:?}");
        }
        assert!(endpoint(&serde_json::json!(7)).is_err());
    }
}
