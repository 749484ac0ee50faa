//! Planning: a case plus the run's variables and target becomes a concrete request, or a skip
//! with the reason and how to fix it. Also renders a request as a `curl` command line.

use reqwest::Method;
use url::Url;

use crate::{
    base::error::Error, base::redact::MASK, base::template, catalogue::case::Case,
    catalogue::vars::Vars,
};

/// The server under test.
#[derive(Debug, Clone)]
pub struct Target {
    pub base: Url,
}

impl Target {
    /// Accepts an `http` or `https` URL, optionally with a path prefix. Credentials in the URL
    /// are refused (and never echoed): they belong in secrets, which are masked.
    pub fn parse(text: &str) -> Result<Target, Error> {
        let usage = |shown: &str, what: &str| Error::Usage(format!("--target {shown}: {what}"));
        let base = Url::parse(text).map_err(|e| {
            let shown = if text.contains('@') {
                "(not shown)".to_owned()
            } else {
                format!("{text:?}")
            };
            usage(&shown, &format!("not a URL: {e}"))
        })?;
        if !base.username().is_empty() || base.password().is_some() {
            let mut shown = base.clone();
            let _ = shown.set_username("***");
            let _ = shown.set_password(None);
            return Err(usage(
                shown.as_str(),
                "the URL carries credentials; give them as variables (--secret) so that they are masked",
            ));
        }
        if !matches!(base.scheme(), "http" | "https") {
            return Err(usage(
                &format!("{text:?}"),
                "the scheme must be http or https",
            ));
        }
        if base.query().is_some() || base.fragment().is_some() {
            return Err(usage(
                &format!("{text:?}"),
                "give the base URL without a query or fragment",
            ));
        }
        if base.host_str().is_none() {
            return Err(usage(&format!("{text:?}"), "the URL has no host"));
        }
        Ok(Target { base })
    }

    /// The target's URL for a path under it: the path is appended to the base's path (the
    /// discovery documents, a catalogue's own paths). A URL is taken as it is.
    pub fn join(&self, path: &str) -> Result<Url, String> {
        self.resolve(path, Root::Target)
    }

    /// The URL of a request path rooted as `root` says (RFC 3986 §5). A whole URL is taken as
    /// it is (`check_origins` and `check_request` hold it to the target's origin).
    pub fn resolve(&self, path: &str, root: Root) -> Result<Url, String> {
        let invalid =
            |url: &str, e: url::ParseError| format!("the request URL {url} is not valid: {e}");
        if is_url(path) {
            return Url::parse(path).map_err(|e| invalid(path, e));
        }
        match root {
            Root::Target => {
                let base = self.base.as_str().trim_end_matches('/');
                let url = format!("{base}{path}");
                Url::parse(&url).map_err(|e| invalid(&url, e))
            }
            // Appended to the origin as text, not joined: `//host/x` stays a path on the
            // origin rather than becoming a reference to another host.
            Root::Origin => {
                let url = format!("{}{path}", self.origin());
                Url::parse(&url).map_err(|e| invalid(&url, e))
            }
            Root::Relative => {
                let mut dir = self.base.clone();
                if !dir.path().ends_with('/') {
                    dir.set_path(&format!("{}/", dir.path()));
                }
                dir.join(path).map_err(|e| invalid(path, e))
            }
        }
    }

    /// The target's origin, as `scheme://host:port`.
    pub fn origin(&self) -> String {
        self.base.origin().ascii_serialization()
    }

    /// Refuses a variable of a request path (an endpoint) whose value is a URL on an origin
    /// other than the target's, unless `allowed` names it: credentials go only where the user
    /// pointed. Said per variable, where the user can fix it; [`Target::check_request`] then
    /// holds every finished request to the same rule.
    pub fn check_origins(
        &self,
        cases: &[Case],
        vars: &Vars,
        allowed: &Allowed,
    ) -> Result<(), Error> {
        let mine = self.origin();
        // Only where a request goes matters: the variables its path is made of.
        let in_paths: std::collections::BTreeSet<&str> = cases
            .iter()
            .filter_map(|c| template::variables(&c.request.path).ok())
            .flatten()
            .collect();
        for (name, var) in vars
            .iter()
            .filter(|(n, v)| in_paths.contains(n) && is_url(&v.value))
        {
            let Ok(url) = Url::parse(&var.value) else {
                continue;
            };
            let theirs = url.origin().ascii_serialization();
            if theirs != mine && !allowed.covers(&theirs) {
                // A server often names itself by another host name than the one it was reached
                // by (`localhost` for `127.0.0.1`): then --target should say what it says.
                let also = match &var.origin {
                    crate::catalogue::vars::Origin::Discovery(_) => format!(
                        "; the server says it lives at {theirs}: if so, give that as --target"
                    ),
                    _ => String::new(),
                };
                return Err(Error::Usage(format!(
                    "{}: {theirs} is not the target's origin ({mine}); requests, and the credentials in them, go only where --target points, unless --allow-origin {theirs} says they may{also}",
                    var.origin.describe(name)
                )));
            }
        }
        Ok(())
    }

    /// Holds a finished request, every variable filled in and joined, to the target's origin
    /// (or one `allowed` names); a request whose scheme and host were put together from
    /// variables goes only where `--allow-origin` says, even to the target's own origin.
    /// Checked on the URL that would be sent, so that no split of a URL across variables and
    /// literal text can carry a credential elsewhere.
    pub fn check_request(
        &self,
        case: &str,
        request: &Prepared,
        allowed: &Allowed,
    ) -> Result<(), Error> {
        let mine = self.origin();
        let theirs = request.url.origin().ascii_serialization();
        let refuse = |why: String| {
            Error::Usage(format!(
                "case {case}: {why}; nothing was sent (requests, and the credentials in them, go only where --target points, unless --allow-origin {theirs} says they may)"
            ))
        };
        if let Authority::Composed(names) = &request.authority {
            if !allowed.covers(&theirs) {
                let names: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
                return Err(refuse(format!(
                    "its request path makes the URL's scheme or host from variables ({}), to {theirs}",
                    names.join(", ")
                )));
            }
        } else if theirs != mine && !allowed.covers(&theirs) {
            return Err(refuse(format!(
                "its request goes to {theirs}, not to the target's origin ({mine})"
            )));
        }
        Ok(())
    }
}

/// The origins besides the target's that `--allow-origin` lets requests go to, each as
/// `scheme://host:port` (the default port left out, as origins are compared).
#[derive(Debug, Clone, Default)]
pub struct Allowed(Vec<String>);

impl Allowed {
    /// Accepts each `--allow-origin` value that is an origin: an http or https URL with no
    /// credentials, path, query or fragment.
    pub fn parse(values: &[String]) -> Result<Allowed, Error> {
        let mut origins = Vec::new();
        for value in values {
            let bad = |what: &str| Error::Usage(format!("--allow-origin {value:?}: {what}"));
            let url = Url::parse(value).map_err(|e| bad(&format!("not a URL: {e}")))?;
            if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
                return Err(bad("give an origin: http:// or https:// and a host"));
            }
            if !url.username().is_empty()
                || url.password().is_some()
                || url.path() != "/"
                || url.query().is_some()
                || url.fragment().is_some()
            {
                return Err(bad(
                    "give an origin alone (`https://host:port`), without credentials, path, query or fragment",
                ));
            }
            origins.push(url.origin().ascii_serialization());
        }
        Ok(Allowed(origins))
    }

    /// Whether `origin` (serialised as [`url::Origin::ascii_serialization`]) is allowed.
    pub fn covers(&self, origin: &str) -> bool {
        self.0.iter().any(|a| a == origin)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Where a request's scheme and host come from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Authority {
    /// The target's (the path starts with `/`), the case file's own text, or the whole URL
    /// that one endpoint variable holds.
    #[default]
    Given,
    /// Put together, in part or whole, from these variables' values.
    Composed(Vec<String>),
}

/// What a request path is resolved against (RFC 3986 §5), decided by what the case's path
/// template begins with. `--target http://host/o` with `--var token_endpoint=/o/token/` must
/// request `/o/token/`, not `/o/o/token/`: only the catalogue's own paths go under the
/// target's path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Root {
    /// Text the case file wrote, or a variable's declared default: under the target's path.
    Target,
    /// A value given for the run (flag, file, environment, discovery) that starts with `/`:
    /// that path on the target's origin.
    Origin,
    /// A given value without a leading `/` (nor a URL): resolved against the target as a
    /// directory (`token` with `http://h/o` is `http://h/o/token`).
    Relative,
}

/// How `template` (a case's request path) is rooted, given the run's variables: by the value
/// of the placeholder it begins with, if any, and where that value came from.
pub fn root_of(template: &str, vars: &Vars) -> Root {
    let Some(name) = head_variable(template) else {
        return Root::Target;
    };
    match vars.get(name) {
        Some(var) if var.origin == crate::catalogue::vars::Origin::Default => Root::Target,
        Some(var) if var.value.starts_with(['/', '\\']) => Root::Origin,
        Some(var) if !is_url(&var.value) => Root::Relative,
        _ => Root::Target,
    }
}

/// The variable a path template begins with (`{{token_endpoint}}?x` → `token_endpoint`), the
/// endpoint a request goes to; none when it begins with text of the case file's own.
pub fn head_variable(template: &str) -> Option<&str> {
    let after = template.trim_start().strip_prefix("{{")?;
    let name = after.split("}}").next()?.trim();
    Some(name.trim_end_matches('?').trim())
}

/// Where the finished `path` (a URL) of `template` got its scheme and host: from text the case
/// file wrote before any placeholder, or from the first placeholder's value when that is a
/// whole URL on the same origin (an endpoint variable, `{{token_endpoint}}`); otherwise they
/// were composed from variables.
fn authority_of<'a>(
    template: &str,
    path: &str,
    lookup: &impl Fn(&str) -> Option<&'a str>,
) -> Authority {
    let composed = || {
        Authority::Composed(
            template::variables(template)
                .unwrap_or_default()
                .into_iter()
                .map(str::to_owned)
                .collect(),
        )
    };
    if !is_url(path) {
        return Authority::Given;
    }
    let origin = |text: &str| {
        Url::parse(text)
            .ok()
            .map(|u| u.origin().ascii_serialization())
    };
    let trimmed = template.trim_start();
    if let Some(after) = trimmed.strip_prefix("{{") {
        let name = after.split("}}").next().unwrap_or_default().trim();
        return match lookup(name.trim_end_matches('?')) {
            Some(value)
                if is_url(value) && origin(value).is_some() && origin(value) == origin(path) =>
            {
                Authority::Given
            }
            _ => composed(),
        };
    }
    // The case file's own `scheme://authority`, ended by `/`, `?` or `#` before any placeholder.
    let literal = trimmed
        .split_once("://")
        .map(|(_, rest)| {
            rest.find(['/', '?', '#', '\\'])
                .map_or(rest, |end| &rest[..end])
        })
        .is_some_and(|authority| !authority.contains("{{"))
        && is_url(trimmed);
    if literal {
        Authority::Given
    } else {
        composed()
    }
}

/// Whether `text` begins with a URI scheme (`mailto:`, `host:8080/x`): letters, digits, `+`,
/// `-` or `.` up to a colon before any `/`, `?` or `#`.
fn has_scheme(text: &str) -> bool {
    let head = text.split(['/', '?', '#']).next().unwrap_or_default();
    head.split_once(':').is_some_and(|(scheme, _)| {
        scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    })
}

/// Whether a path is rather a whole URL (an endpoint given as one).
fn is_url(path: &str) -> bool {
    path.starts_with("http://") || path.starts_with("https://")
}

/// A request ready to send, every placeholder filled in.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub method: Method,
    pub url: Url,
    pub headers: Vec<(String, String)>,
    pub basic_auth: Option<(String, String)>,
    pub body: Option<Body>,
    /// A DPoP proof to make as the request goes.
    pub dpop: Option<DpopProof>,
    /// Where its scheme and host come from, for [`Target::check_request`].
    pub authority: Authority,
    /// The same request as reports show it.
    pub shown: Shown,
}

/// What a DPoP proof made at send time carries beyond the method and URL.
#[derive(Debug, Clone)]
pub struct DpopProof {
    /// The server's nonce (`DPoP-Nonce`), where the case gives one.
    pub nonce: Option<String>,
}

/// A request as reports show it: built from the same case with every secret variable filled in
/// as `***` and every other value intact, so that the curl line works once the secret is put
/// back. (Masking the finished text instead would also mask a secret's letters inside other
/// values: with the secret `test`, `client_id=test-client` would read `***-client`.)
#[derive(Debug, Clone, Default)]
pub struct Shown {
    pub url: String,
    pub curl: String,
}

#[derive(Debug, Clone)]
pub enum Body {
    Form(Vec<(String, String)>),
    Json(String),
    Raw(String),
}

impl Body {
    pub fn content_type(&self) -> Option<&'static str> {
        match self {
            Body::Form(_) => Some("application/x-www-form-urlencoded"),
            Body::Json(_) => Some("application/json"),
            Body::Raw(_) => None,
        }
    }

    pub fn bytes(&self) -> Vec<u8> {
        match self {
            Body::Form(pairs) => url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(pairs)
                .finish()
                .into_bytes(),
            Body::Json(text) | Body::Raw(text) => text.clone().into_bytes(),
        }
    }
}

/// Why a case will not be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotSent {
    /// The run does not set these variables, which the case needs.
    Skip(Vec<String>),
    /// The case needs these variables, declared not applicable to the target, for this
    /// reason (each variable's, in order, once).
    NotApplicable {
        reason: String,
        variables: Vec<String>,
    },
    /// The filled-in request cannot be sent (e.g. a variable made the path invalid).
    Invalid(String),
}

/// Fills in the case's request, and the request as reports show it.
pub fn prepare(case: &Case, vars: &Vars, target: &Target) -> Result<Prepared, NotSent> {
    // Before the missing ones: a case that could never run on this server is not applicable
    // whatever else the run forgot.
    let not_applicable: Vec<(&String, &str)> = case
        .variables
        .keys()
        .filter(|n| !case.optional.contains(*n))
        .filter_map(|n| Some((n, vars.not_applicable(n)?.reason.as_str())))
        .collect();
    if !not_applicable.is_empty() {
        let mut reasons: Vec<&str> = Vec::new();
        for (_, reason) in &not_applicable {
            if !reasons.contains(reason) {
                reasons.push(reason);
            }
        }
        return Err(NotSent::NotApplicable {
            reason: reasons.join("; "),
            variables: not_applicable.into_iter().map(|(n, _)| n.clone()).collect(),
        });
    }
    let missing: Vec<String> = case
        .variables
        .keys()
        .filter(|n| vars.get(n).is_none() && !case.optional.contains(*n))
        .cloned()
        .collect();
    if !missing.is_empty() {
        return Err(NotSent::Skip(missing));
    }
    let real = |name: &str| vars.get(name).map(|v| v.value.as_str());
    let masked = |name: &str| {
        vars.get(name)
            .map(|v| if v.secret { MASK } else { v.value.as_str() })
    };
    // A secret that stands where the path begins keeps the shape the path needs: `/***`, or
    // its URL's origin then `/***` (an origin the rule holds to the target's anyway).
    let masked_path = |name: &str| {
        vars.get(name).map(|v| match v.secret {
            false => std::borrow::Cow::Borrowed(v.value.as_str()),
            true if v.value.starts_with('/') => std::borrow::Cow::Owned(format!("/{MASK}")),
            true => match Url::parse(&v.value).ok().filter(|_| is_url(&v.value)) {
                Some(url) => format!("{}/{MASK}", url.origin().ascii_serialization()).into(),
                None => std::borrow::Cow::Borrowed(MASK),
            },
        })
    };
    let root = root_of(&case.request.path, vars);
    let mut request = fill(
        case,
        &real,
        &|text: &str| template::render(text, &real),
        (target, root),
    )?;
    let shown_path = |text: &str| {
        let owned: Vec<(String, std::borrow::Cow<'_, str>)> = template::variables(text)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|n| Some((n.to_owned(), masked_path(n)?)))
            .collect();
        template::render(text, &|n: &str| {
            owned.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_ref())
        })
    };
    // Built again with the secrets masked only where the case uses one; otherwise the request
    // as shown is the request.
    let any_secret = case
        .variables
        .keys()
        .any(|n| vars.get(n).is_some_and(|v| v.secret));
    let shown = if any_secret {
        &fill(case, &masked, &shown_path, (target, root))?
    } else {
        &request
    };
    request.shown = Shown {
        url: shown.url.to_string(),
        curl: shown.curl(),
    };
    Ok(request)
}

/// Fills in the case's request from `lookup`; `path` renders the request path (which, for the
/// request as shown, masks a secret in the shape a path needs), resolved against the target as
/// `root` says.
fn fill<'a>(
    case: &Case,
    lookup: &impl Fn(&str) -> Option<&'a str>,
    path: &impl Fn(&str) -> String,
    (target, root): (&Target, Root),
) -> Result<Prepared, NotSent> {
    let render = |text: &str| template::render(text, lookup);
    // An item whose whole value is an optional placeholder of an unset variable is left out.
    let kept = |value: &&String| template::optional(value).is_none_or(|n| lookup(n).is_some());
    let spec = &case.request;

    let method = Method::from_bytes(render(&spec.method).as_bytes()).map_err(|_| {
        NotSent::Invalid(format!("{:?} is not an HTTP method", render(&spec.method)))
    })?;
    let path = path(&spec.path);
    let rooted = is_url(&path) || path.starts_with('/');
    if !rooted && root != Root::Relative {
        return Err(NotSent::Invalid(format!(
            "the request path {path:?} does not start with `/` (nor is it a URL)"
        )));
    }
    // RFC 3986 §4.2: a relative path's first segment has no colon; this is a URI of another
    // scheme, not a path on the target.
    if !rooted && has_scheme(&path) {
        return Err(NotSent::Invalid(format!(
            "the request path {path:?} is neither a path (`/…` from the origin's root, `…` under --target) nor an http(s) URL"
        )));
    }
    let authority = authority_of(&spec.path, &path, lookup);
    let mut url = target.resolve(&path, root).map_err(NotSent::Invalid)?;
    let query: Vec<(&String, &String)> = spec.query.iter().filter(|(_, v)| kept(v)).collect();
    if !query.is_empty() {
        let mut pairs = url.query_pairs_mut();
        for (k, v) in query {
            pairs.append_pair(k, &render(v));
        }
    }
    let mut headers = Vec::new();
    for (name, value) in spec.headers.iter().filter(|(_, v)| kept(v)) {
        let value = render(value);
        if reqwest::header::HeaderValue::from_str(&value).is_err() {
            return Err(NotSent::Invalid(format!(
                "the value of header {name} is not a valid header value"
            )));
        }
        headers.push((name.to_ascii_lowercase(), value));
    }
    let basic_auth = spec
        .basic_auth
        .as_ref()
        .map(|a| (render(&a.username), render(&a.password)));
    let body = if let Some(form) = &spec.form {
        Some(Body::Form(
            form.iter()
                .filter(|(_, v)| kept(v))
                .map(|(k, v)| (k.clone(), render(v)))
                .collect(),
        ))
    } else if let Some(json) = &spec.json {
        Some(Body::Json(render_json(json, lookup).to_string()))
    } else {
        spec.body.as_deref().map(|b| Body::Raw(render(b)))
    };
    let dpop = spec.dpop.as_ref().map(|d| DpopProof {
        nonce: d.nonce.as_deref().map(render),
    });
    Ok(Prepared {
        method,
        url,
        headers,
        basic_auth,
        body,
        dpop,
        authority,
        shown: Shown::default(),
    })
}

fn render_json<'a>(
    value: &serde_json::Value,
    lookup: &impl Fn(&str) -> Option<&'a str>,
) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::String(s) => Value::String(template::render(s, lookup)),
        Value::Array(items) => Value::Array(items.iter().map(|i| render_json(i, lookup)).collect()),
        Value::Object(members) => Value::Object(
            members
                .iter()
                .filter(|(_, v)| {
                    v.as_str()
                        .and_then(template::optional)
                        .is_none_or(|n| lookup(n).is_some())
                })
                .map(|(k, v)| (k.clone(), render_json(v, lookup)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// A skip's reason, in one line: the summary after the run says how to set each variable.
pub fn skip_reason(missing: &[String]) -> String {
    let names = missing
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ");
    format!("not sent: this run does not set {names}")
}

impl Prepared {
    /// A plain GET of `url`, with nothing secret in it.
    pub fn get(url: Url) -> Prepared {
        Prepared {
            method: Method::GET,
            shown: Shown {
                url: url.to_string(),
                curl: format!("curl -i {}", quote(url.as_str())),
            },
            url,
            headers: Vec::new(),
            basic_auth: None,
            body: None,
            dpop: None,
            authority: Authority::Given,
        }
    }

    /// The Basic credentials, if the request sends them.
    pub fn basic_auth(&self) -> Option<(&str, &str)> {
        self.basic_auth
            .as_ref()
            .map(|(user, password)| (user.as_str(), password.as_str()))
    }

    /// A shell command line that sends this request with curl, secrets included: reports show
    /// [`Prepared::shown`] instead.
    pub fn curl(&self) -> String {
        let mut parts = vec!["curl".to_owned(), "-i".to_owned()];
        if self.method != Method::GET || self.body.is_some() {
            parts.push("-X".into());
            parts.push(self.method.as_str().to_owned());
        }
        parts.push(quote(self.url.as_str()));
        if let Some((user, password)) = &self.basic_auth {
            parts.push("-u".into());
            parts.push(quote(&format!("{user}:{password}")));
        }
        for (name, value) in &self.headers {
            parts.push("-H".into());
            parts.push(quote(&format!("{name}: {value}")));
        }
        if self.dpop.is_some() {
            // A proof is good for one request and a few minutes: the one sent cannot be
            // replayed, so the line says what goes there.
            parts.push("-H".into());
            parts.push(quote(
                "DPoP: <a new ES256 proof for this method and URL, RFC 9449 §4>",
            ));
        }
        match &self.body {
            Some(Body::Form(pairs)) => {
                for (k, v) in pairs {
                    let k: String = url::form_urlencoded::byte_serialize(k.as_bytes()).collect();
                    parts.push("--data-urlencode".into());
                    parts.push(quote(&format!("{k}={v}")));
                }
            }
            Some(Body::Json(text)) => {
                if !self.headers.iter().any(|(n, _)| n == "content-type") {
                    parts.push("-H".into());
                    parts.push(quote("content-type: application/json"));
                }
                parts.push("--data-raw".into());
                parts.push(quote(text));
            }
            Some(Body::Raw(text)) => {
                parts.push("--data-raw".into());
                parts.push(quote(text));
            }
            None => {}
        }
        parts.join(" ")
    }
}

/// Quotes `text` for a POSIX shell.
fn quote(text: &str) -> String {
    if !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c))
    {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        base::source::{BuiltIn, Profile, Source},
        catalogue::case::Catalogue,
    };

    fn case(text: &str) -> Case {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("c.json"), text).unwrap();
        let cat = Catalogue::load(
            Profile::Auth0,
            &Source::Dir(dir.path().to_owned()),
            &Source::BuiltIn(BuiltIn::Schemas),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        cat.cases.into_iter().next().unwrap()
    }

    fn vars() -> Vars {
        let mut v = Vars::default();
        v.set("client_id", "cid", false);
        v.set("client_secret", "s ec'ret", true);
        v.set("path", "/tokeninfo", false);
        v
    }

    #[test]
    fn fills_in_every_part_of_the_request() {
        let c = case(
            r#"{"title": "t", "documents": {"status": 400}, "request": {"method": "POST", "path": "{{path}}",
               "query": {"a": "{{client_id}}&x"}, "headers": {"X-Id": "{{client_id}}"},
               "basic_auth": {"username": "{{client_id}}", "password": "{{client_secret}}"},
               "form": {"grant_type": "client_credentials", "client_secret": "{{client_secret}}"}}}"#,
        );
        let target = Target::parse("http://127.0.0.1:8080/base/").unwrap();
        let p = prepare(&c, &vars(), &target).unwrap();
        // A value given for the run that starts with `/` is that path on the target's origin.
        assert_eq!(p.url.as_str(), "http://127.0.0.1:8080/tokeninfo?a=cid%26x");
        assert_eq!(p.headers, [("x-id".to_owned(), "cid".to_owned())]);
        assert_eq!(p.basic_auth, Some(("cid".into(), "s ec'ret".into())));
        assert_eq!(
            String::from_utf8(p.body.as_ref().unwrap().bytes()).unwrap(),
            "grant_type=client_credentials&client_secret=s+ec%27ret"
        );
        assert_eq!(
            p.curl(),
            r#"curl -i -X POST 'http://127.0.0.1:8080/tokeninfo?a=cid%26x' -u 'cid:s ec'\''ret' -H 'x-id: cid' --data-urlencode grant_type=client_credentials --data-urlencode 'client_secret=s ec'\''ret'"#
        );
    }

    #[test]
    fn json_bodies_render_strings_only() {
        let c = case(
            r#"{"title": "t", "documents": {"status": 400}, "request": {"method": "POST", "path": "/t", "json": {"id": "{{client_id}}", "scope": 123}}}"#,
        );
        let p = prepare(&c, &vars(), &Target::parse("https://h").unwrap()).unwrap();
        assert!(matches!(&p.body, Some(Body::Json(t)) if t == r#"{"id":"cid","scope":123}"#));
        assert!(
            p.curl().contains(
                "-H 'content-type: application/json' --data-raw '{\"id\":\"cid\",\"scope\":123}'"
            ),
            "{}",
            p.curl()
        );
    }

    #[test]
    fn missing_variables_skip_naming_each_one() {
        let c = case(
            r#"{"title": "t", "documents": {"status": 400}, "request": {"method": "GET", "path": "/{{public_client_id}}/{{zz}}"}}"#,
        );
        let err = prepare(&c, &vars(), &Target::parse("http://h").unwrap()).unwrap_err();
        assert_eq!(
            err,
            NotSent::Skip(vec!["public_client_id".into(), "zz".into()])
        );
        assert_eq!(
            skip_reason(&["a".into(), "b".into()]),
            "not sent: this run does not set `a`, `b`"
        );
    }

    /// A case that needs a variable declared not applicable is not applicable, even when it
    /// also needs one the run does not set: it would never run on this server. One declared
    /// not applicable that the case uses only optionally is just left out.
    #[test]
    fn a_not_applicable_variable_wins_over_a_missing_one() {
        let c = case(
            r#"{"title": "t", "documents": {"status": 400}, "request": {"method": "GET", "path": "/{{zz}}/{{a}}/{{b}}/{{c}}",
               "query": {"q": "{{d?}}"}}}"#,
        );
        let mut vars = vars();
        vars.read_not_applicable(&[
            "a=no a here".into(),
            "b=no a here".into(),
            "c=no c either".into(),
            "d=unused".into(),
        ])
        .unwrap();
        let err = prepare(&c, &vars, &Target::parse("http://h").unwrap()).unwrap_err();
        assert_eq!(
            err,
            NotSent::NotApplicable {
                reason: "no a here; no c either".into(),
                variables: vec!["a".into(), "b".into(), "c".into()],
            }
        );
        vars.read_flags(
            &["a=1".into(), "b=2".into(), "c=3".into(), "zz=4".into()],
            false,
        )
        .unwrap();
        let p = prepare(&c, &vars, &Target::parse("http://h").unwrap()).unwrap();
        assert_eq!(p.url.as_str(), "http://h/4/1/2/3");
    }

    #[test]
    fn an_optional_variable_leaves_its_item_out_when_unset() {
        let c = case(
            r#"{"title": "t", "documents": {"status": 400}, "request": {"method": "POST", "path": "/t",
               "query": {"q": "{{zz?}}"}, "headers": {"X-A": "{{zz?}}"},
               "form": {"client_id": "{{client_id}}", "audience": "{{audience?}}"}}}"#,
        );
        assert_eq!(c.optional.iter().collect::<Vec<_>>(), ["audience", "zz"]);
        let target = Target::parse("http://h").unwrap();
        let p = prepare(&c, &vars(), &target).unwrap();
        assert_eq!(p.url.as_str(), "http://h/t");
        assert!(p.headers.is_empty());
        assert_eq!(
            String::from_utf8(p.body.unwrap().bytes()).unwrap(),
            "client_id=cid"
        );
        let mut v = vars();
        v.set("audience", "https://api", false);
        let p = prepare(&c, &v, &target).unwrap();
        assert_eq!(
            String::from_utf8(p.body.unwrap().bytes()).unwrap(),
            "client_id=cid&audience=https%3A%2F%2Fapi"
        );
    }

    /// See the issue "The gate tells the truth", item 6: masking the finished curl text turned
    /// `client_id=test-client` into `***-client` when the secret was `test`.
    #[test]
    fn the_shown_request_masks_exactly_the_secret_values() {
        let c = case(
            r#"{"title": "t", "documents": {"status": 400}, "request": {"method": "POST", "path": "/t/{{client_id}}",
               "query": {"q": "{{client_secret}}"},
               "basic_auth": {"username": "{{client_id}}", "password": "{{client_secret}}"},
               "form": {"client_id": "{{client_id}}", "client_secret": "{{client_secret}}", "note": "test me"}}}"#,
        );
        let mut v = Vars::default();
        v.set("client_id", "test-client", false);
        v.set("client_secret", "test", true);
        let p = prepare(&c, &v, &Target::parse("http://h").unwrap()).unwrap();
        assert_eq!(p.shown.url, "http://h/t/test-client?q=***");
        assert_eq!(
            p.shown.curl,
            "curl -i -X POST 'http://h/t/test-client?q=***' -u 'test-client:***' --data-urlencode client_id=test-client --data-urlencode 'client_secret=***' --data-urlencode 'note=test me'"
        );
        // Put the secret back and it is the request that was sent (quoting aside: `*` needs it).
        assert_eq!(
            p.shown.curl.replace("***", "test").replace('\'', ""),
            p.curl().replace('\'', "")
        );
    }

    /// Found in review: a secret endpoint variable at the head of the path made every case
    /// that uses it an error, since the request as shown (`***`) did not start with `/`.
    #[test]
    fn a_secret_at_the_head_of_the_path_is_shown_in_the_shape_of_a_path() {
        let c = case(
            r#"{"title": "t", "documents": {"status": 400}, "request": {"method": "GET", "path": "{{token_endpoint}}"}}"#,
        );
        let target = Target::parse("http://h").unwrap();
        for (value, shown) in [
            ("/oauth/token", "http://h/***"),
            ("http://h/oauth/token", "http://h/***"),
        ] {
            let mut v = Vars::default();
            v.set("token_endpoint", value, true);
            let p = prepare(&c, &v, &target).unwrap();
            assert_eq!(p.url.as_str(), "http://h/oauth/token");
            assert_eq!(p.shown.url, shown);
            assert!(!p.shown.curl.contains("oauth"), "{}", p.shown.curl);
        }
    }

    #[test]
    fn a_variable_that_breaks_the_path_is_invalid() {
        let c = case(
            r#"{"title": "t", "documents": {"status": 400}, "request": {"method": "GET", "path": "{{client_id}}"}}"#,
        );
        for value in ["mailto:x", "evil.example:8080/x", "javascript:alert(1)"] {
            let mut v = vars();
            v.set("client_id", value, false);
            let err = prepare(&c, &v, &Target::parse("http://h/o").unwrap()).unwrap_err();
            assert!(
                matches!(&err, NotSent::Invalid(m) if m.contains("neither a path")),
                "{value}: {err:?}"
            );
        }
        // A declared default is the catalogue's own path: it must start with `/`.
        let mut v = Vars::default();
        v.declare(&[declared("client_id", "cid")]);
        let err = prepare(&c, &v, &Target::parse("http://h").unwrap()).unwrap_err();
        assert!(matches!(err, NotSent::Invalid(m) if m.contains("does not start with `/`")));
    }

    fn declared(name: &str, default: &str) -> crate::catalogue::vars::Variable {
        crate::catalogue::vars::Variable {
            name: name.into(),
            secret: false,
            meaning: "m".into(),
            on_auth0: None,
            default: Some(default.into()),
        }
    }

    /// See issue 21, item 3: with `--target http://host/o`, `--var
    /// revocation_endpoint=/o/revoke_token/` requested `/o/o/revoke_token/`. Endpoints resolve
    /// as URLs do (RFC 3986 §5); only the catalogue's own paths go under the target's path.
    #[test]
    fn endpoints_resolve_as_urls_do() {
        let c = case(
            r#"{"title": "t", "documents": {"status": 400}, "request": {"method": "POST", "path": "{{token_endpoint}}", "query": {"q": "1"}}}"#,
        );
        let literal = case(
            r#"{"title": "t", "documents": {"status": 400}, "request": {"method": "GET", "path": "/userinfo"}}"#,
        );
        let url = |case: &Case, target: &str, set: Option<(&str, bool)>| {
            let mut v = Vars::default();
            if let Some((value, secret)) = set {
                v.read_flags(&[format!("token_endpoint={value}")], secret)
                    .unwrap();
            }
            v.declare(&[declared("token_endpoint", "/oauth/token")]);
            let p = prepare(case, &v, &Target::parse(target).unwrap()).unwrap();
            // What reports show (and explain prints) is what is sent.
            if !set.is_some_and(|(_, secret)| secret) {
                assert_eq!(p.shown.url, p.url.as_str());
                assert!(
                    p.shown.curl.contains(&quote(p.url.as_str())),
                    "{}",
                    p.shown.curl
                );
            }
            (p.url.to_string(), p.shown.url)
        };
        for (target, set, sent) in [
            // The default is the catalogue's path: under the target's path.
            ("http://h/o", None, "http://h/o/oauth/token?q=1"),
            ("http://h/o/", None, "http://h/o/oauth/token?q=1"),
            ("http://h", None, "http://h/oauth/token?q=1"),
            // A value from the origin's root is that path, whatever the target's path.
            ("http://h/o", Some("/o/token/"), "http://h/o/token/?q=1"),
            (
                "http://h/api/oidc",
                Some("/api/oidc/token"),
                "http://h/api/oidc/token?q=1",
            ),
            // `//x` is a path on the origin, never another host.
            (
                "http://h/o",
                Some("//evil.example/t"),
                "http://h//evil.example/t?q=1",
            ),
            // A relative value resolves against the target as a directory.
            ("http://h/o", Some("token"), "http://h/o/token?q=1"),
            ("http://h/o/", Some("token/"), "http://h/o/token/?q=1"),
            (
                "http://h/api/oidc",
                Some("../token"),
                "http://h/api/token?q=1",
            ),
            ("http://h", Some("token"), "http://h/token?q=1"),
            // A full URL is taken as it is.
            (
                "http://h/o",
                Some("http://h/x/token"),
                "http://h/x/token?q=1",
            ),
        ] {
            let (url, _) = url(&c, target, set.map(|v| (v, false)));
            assert_eq!(url, sent, "{target} {set:?}");
        }
        // A case file's own path goes under the target's path.
        assert_eq!(url(&literal, "http://h/o", None).0, "http://h/o/userinfo");
        // A secret value is shown in the shape of where it goes.
        for (value, shown) in [("/o/t", "http://h/***"), ("t", "http://h/o/***")] {
            let (sent, seen) = url(&c, "http://h/o", Some((value, true)));
            assert_eq!(seen, shown.to_owned() + "?q=1", "{value} sent to {sent}");
        }
    }

    #[test]
    fn the_root_is_decided_by_the_head_of_the_path() {
        let mut v = Vars::default();
        v.read_flags(
            &[
                "a=/x".into(),
                "b=x".into(),
                "c=http://h/x".into(),
                "e=\\\\h".into(),
            ],
            false,
        )
        .unwrap();
        v.declare(&[declared("d", "/oauth/token")]);
        for (template, root) in [
            ("/lit/{{a}}", Root::Target),
            ("{{a}}", Root::Origin),
            (" {{ a }}/more", Root::Origin),
            ("{{b}}", Root::Relative),
            ("{{b?}}", Root::Relative),
            ("{{c}}", Root::Target),
            ("{{d}}", Root::Target),
            ("{{e}}", Root::Origin),
            ("{{unset}}", Root::Target),
        ] {
            assert_eq!(root_of(template, &v), root, "{template}");
        }
        assert_eq!(
            head_variable("{{ token_endpoint? }}?x"),
            Some("token_endpoint")
        );
        assert_eq!(head_variable("/x{{a}}"), None);
    }

    #[test]
    fn where_a_url_gets_its_scheme_and_host() {
        let lookup = |n: &str| match n {
            "endpoint" => Some("http://h:1/token"),
            "bare" => Some("http://h:1"),
            "scheme" => Some("http:"),
            "host" => Some("h:1"),
            "at" => Some("@e:2/x"),
            _ => None,
        };
        let of =
            |template: &str| authority_of(template, &template::render(template, &lookup), &lookup);
        // Not a URL at all (refused later as not starting with `/`): nothing to say here.
        assert_eq!(of("h{{endpoint}}"), Authority::Given);
        for given in [
            "/t/{{host}}",
            "{{endpoint}}",
            "{{endpoint}}?a={{host}}",
            "http://h:1/{{host}}",
            "https://x/y",
        ] {
            assert_eq!(of(given), Authority::Given, "{given}");
        }
        for (composed, names) in [
            ("{{scheme}}//h:1/x", vec!["scheme"]),
            ("http://{{host}}/x", vec!["host"]),
            ("http://h:1{{at}}", vec!["at"]),
            ("{{bare}}{{at}}", vec!["bare", "at"]),
        ] {
            let names = names.into_iter().map(str::to_owned).collect();
            assert_eq!(of(composed), Authority::Composed(names), "{composed}");
        }
    }

    #[test]
    fn allowed_origins_are_origins() {
        let allowed =
            Allowed::parse(&["https://a.example:443".into(), "http://b:8080/".into()]).unwrap();
        assert!(allowed.covers("https://a.example") && allowed.covers("http://b:8080"));
        assert!(!allowed.covers("http://a.example"));
        for bad in ["ftp://x", "http://x/p", "http://u:p@x", "x", "http://x/?q"] {
            assert!(Allowed::parse(&[bad.into()]).is_err(), "{bad}");
        }
    }

    #[test]
    fn targets_must_be_http_urls() {
        assert!(Target::parse("ftp://x").is_err());
        assert!(Target::parse("not a url").is_err());
        assert!(Target::parse("http://x/?q=1").is_err());
        assert!(Target::parse("https://tenant.example.com").is_ok());
        let e = Target::parse("https://user:hunter2@h/")
            .unwrap_err()
            .to_string();
        assert!(
            !e.contains("hunter2") && !e.contains("user") && e.contains("carries credentials"),
            "{e}"
        );
    }
}
