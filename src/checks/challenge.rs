//! Reading what the checks of a redirect and of a protected resource look at: the
//! `WWW-Authenticate` challenges (RFC 9110 §11.6.1: scheme, then a token68 or auth-params) and
//! the parameters of a `Location` URL's query or fragment (RFC 6749 §4.1.2.1, §4.2.2.1).

/// One challenge: `Bearer realm="x", error="invalid_token"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// As sent; schemes compare without regard to case.
    pub scheme: String,
    /// Names in lower case (they compare without regard to case), values unquoted.
    pub params: Vec<(String, String)>,
    pub token68: Option<String>,
}

impl Challenge {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

fn is_token(s: &str) -> bool {
    !s.is_empty() && s.chars().all(is_tchar)
}

/// Splits on commas outside quoted strings.
fn items(header: &str) -> Result<Vec<String>, String> {
    let mut items = Vec::new();
    let mut current = String::new();
    let mut chars = header.chars();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            '\\' if quoted => {
                current.push(c);
                match chars.next() {
                    Some(next) => current.push(next),
                    None => return Err("a quoted string ends in a lone `\\`".into()),
                }
            }
            ',' if !quoted => items.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    if quoted {
        return Err("a quoted string is not closed".into());
    }
    items.push(current);
    Ok(items
        .into_iter()
        .map(|i| i.trim().to_owned())
        .filter(|i| !i.is_empty())
        .collect())
}

/// `name = value`, the value a token or a quoted string (unquoted here).
fn auth_param(item: &str) -> Option<(String, String)> {
    let (name, value) = item.split_once('=')?;
    let name = name.trim_end();
    let value = value.trim_start();
    if !is_token(name) {
        return None;
    }
    let value = if let Some(inner) = value.strip_prefix('"') {
        let inner = inner.strip_suffix('"')?;
        let mut out = String::new();
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            out.push(if c == '\\' { chars.next()? } else { c });
        }
        out
    } else if is_token(value) {
        value.to_owned()
    } else {
        return None;
    };
    Some((name.to_ascii_lowercase(), value))
}

/// Every challenge in a `WWW-Authenticate` value (several header fields joined with `, `), or
/// why the value is not a list of challenges.
pub fn challenges(header: &str) -> Result<Vec<Challenge>, String> {
    let mut found: Vec<Challenge> = Vec::new();
    for item in items(header)? {
        // `scheme rest`: a new challenge, whose first auth-param (or token68) is the rest.
        let (head, rest) = match item.split_once(' ') {
            Some((head, rest)) if is_token(head) && !head.contains('=') => {
                (Some(head), Some(rest.trim_start()))
            }
            _ if is_token(&item) => (Some(item.as_str()), None),
            _ => (None, Some(item.as_str())),
        };
        if let Some(scheme) = head {
            found.push(Challenge {
                scheme: scheme.to_owned(),
                params: Vec::new(),
                token68: None,
            });
        }
        let Some(rest) = rest else { continue };
        let Some(current) = found.last_mut() else {
            return Err(format!("{item:?} comes before any auth scheme"));
        };
        if let Some(param) = auth_param(rest) {
            if current.token68.is_some() {
                return Err(format!("{item:?} follows a token68"));
            }
            current.params.push(param);
        } else if head.is_some()
            && current.params.is_empty()
            && rest
                .trim_end_matches('=')
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-._~+/".contains(c))
            && !rest.trim_end_matches('=').is_empty()
        {
            current.token68 = Some(rest.to_owned());
        } else {
            return Err(format!("{rest:?} is not an auth-param (name=value)"));
        }
    }
    Ok(found)
}

/// Which part of a Location URL a parameter is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum UrlPart {
    Query,
    Fragment,
}

impl UrlPart {
    /// How check names write it: `?` or `#`.
    pub fn sigil(self) -> char {
        match self {
            UrlPart::Query => '?',
            UrlPart::Fragment => '#',
        }
    }
}

/// Every value of parameter `name` in that part of `location` (a URL, possibly relative), or
/// why it is not a URL.
pub fn location_params(location: &str, part: UrlPart, name: &str) -> Result<Vec<String>, String> {
    let base = url::Url::parse("http://relative.invalid/").expect("a valid URL");
    let url = url::Url::options()
        .base_url(Some(&base))
        .parse(location)
        .map_err(|e| format!("Location {location:?} is not a URL: {e}"))?;
    let text = match part {
        UrlPart::Query => url.query(),
        UrlPart::Fragment => url.fragment(),
    };
    Ok(
        url::form_urlencoded::parse(text.unwrap_or_default().as_bytes())
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.into_owned())
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_are_read_as_rfc_9110_writes_them() {
        let c = challenges(r#"Bearer realm="example", error="invalid_token", error_description="The access token expired""#).unwrap();
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].scheme, "Bearer");
        assert_eq!(c[0].param("ERROR"), Some("invalid_token"));
        assert_eq!(
            c[0].param("error_description"),
            Some("The access token expired")
        );

        let c = challenges(r#"Basic realm="a, b", Bearer, Newauth realm="apps", type=1, title="Login to \"apps\"""#).unwrap();
        let schemes: Vec<&str> = c.iter().map(|c| c.scheme.as_str()).collect();
        assert_eq!(schemes, ["Basic", "Bearer", "Newauth"]);
        assert_eq!(c[0].param("realm"), Some("a, b"));
        assert!(c[1].params.is_empty());
        assert_eq!(c[2].param("type"), Some("1"));
        assert_eq!(c[2].param("title"), Some(r#"Login to "apps""#));

        let c = challenges("Negotiate a87421000492aa874209af8bc028==").unwrap();
        assert_eq!(
            c[0].token68.as_deref(),
            Some("a87421000492aa874209af8bc028==")
        );
        assert_eq!(challenges("").unwrap(), []);
        assert_eq!(
            challenges("bearer error = invalid_token").unwrap()[0].param("error"),
            Some("invalid_token")
        );
    }

    #[test]
    fn malformed_challenges_say_why() {
        assert!(
            challenges(r#"Bearer error="x"#)
                .unwrap_err()
                .contains("not closed")
        );
        assert!(
            challenges(r#"error="x""#)
                .unwrap_err()
                .contains("before any auth scheme")
        );
        assert!(
            challenges("Bearer error=a b")
                .unwrap_err()
                .contains("not an auth-param")
        );
    }

    #[test]
    fn location_parameters_come_from_the_part_asked_for() {
        let loc = "https://app.test/cb?error=invalid_scope&state=s%201#error=other&state=x";
        assert_eq!(
            location_params(loc, UrlPart::Query, "error").unwrap(),
            ["invalid_scope"]
        );
        assert_eq!(
            location_params(loc, UrlPart::Query, "state").unwrap(),
            ["s 1"]
        );
        assert_eq!(
            location_params(loc, UrlPart::Fragment, "error").unwrap(),
            ["other"]
        );
        assert_eq!(
            location_params("/cb?a=1&a=2", UrlPart::Query, "a").unwrap(),
            ["1", "2"]
        );
        assert!(
            location_params("/cb", UrlPart::Fragment, "a")
                .unwrap()
                .is_empty()
        );
        assert!(location_params("http://[bad", UrlPart::Query, "a").is_err());
    }
}
