//! The checks a response is judged by, and their evaluation. Every check runs and every
//! violation is reported, each with the check's name, where, and expected versus actual.

use std::sync::Arc;

use jsonschema::Validator;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::challenge::{Challenge, UrlPart, challenges, location_params};
use crate::base::response::Response;

/// One check of a response.
pub enum Check {
    /// The status is one of these.
    Status(Vec<u16>),
    /// The Content-Type's media type (parameters ignored, case-insensitive) is this.
    MediaType(String),
    /// The body is JSON that validates against this schema file.
    Schema {
        name: String,
        validator: Arc<Validator>,
    },
    /// The JSON value at `pointer` matches.
    Body { pointer: String, matcher: Matcher },
    /// The header (name in lower case) matches.
    Header {
        name: String,
        matcher: HeaderMatcher,
    },
    /// A parameter of the Location URL's query or fragment matches (absent: not there).
    Location {
        part: UrlPart,
        param: String,
        matcher: HeaderMatcher,
    },
    /// A WWW-Authenticate challenge with this scheme (lower case) is there, or (`present:
    /// false`) is not.
    Challenge { scheme: String, present: bool },
    /// The body, read as UTF-8 text, matches: the answers that are not JSON (Auth0's `/userinfo`
    /// 401 `Unauthorized`, `/co/authenticate`'s 403 for a disallowed origin).
    Text(HeaderMatcher),
    /// An auth-param (lower case) of the challenge with this scheme matches.
    ChallengeParam {
        scheme: String,
        param: String,
        matcher: HeaderMatcher,
    },
}

pub enum Matcher {
    Equals(Value),
    Schema {
        spec: Arc<Value>,
        validator: Arc<Validator>,
    },
}

pub enum HeaderMatcher {
    Equals(String),
    Schema {
        spec: Arc<Value>,
        validator: Arc<Validator>,
    },
    Absent,
}

/// Which check a result belongs to: its identity, compared as a value wherever checks are
/// matched (violations, known-deviations entries, the reference server's faults), and written
/// as reports print it (`status`, `media type`, `schema oauth-error.schema.json`,
/// `body /error`, `body (whole)`, `header cache-control`, and `body` for a body that is not
/// JSON at all), which is also how a deviations file names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CheckId {
    Status,
    MediaType,
    /// The body validates against this schema file.
    Schema(String),
    /// The value at this JSON pointer (empty: the whole body).
    Body(String),
    /// This header (name in lower case).
    Header(String),
    /// The body could be read as JSON; the checks that need it were not evaluated.
    Readable,
    /// A parameter of the Location URL's query or fragment.
    Location(UrlPart, String),
    /// The WWW-Authenticate challenge of a scheme (lower case), or one of its auth-params.
    Challenge(String, Option<String>),
    /// The body as text.
    Text,
}

impl CheckId {
    /// The same check with its free text (a pointer, a name, from a case file) passed through
    /// `f`, as reports neutralise it.
    pub fn map_text(self, f: impl Fn(&str) -> String) -> CheckId {
        match self {
            CheckId::Schema(s) => CheckId::Schema(f(&s)),
            CheckId::Body(p) => CheckId::Body(f(&p)),
            CheckId::Header(h) => CheckId::Header(f(&h)),
            CheckId::Location(part, p) => CheckId::Location(part, f(&p)),
            CheckId::Challenge(s, p) => CheckId::Challenge(f(&s), p.map(|p| f(&p))),
            other => other,
        }
    }
}

impl std::fmt::Display for CheckId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CheckId::Status => f.write_str("status"),
            CheckId::MediaType => f.write_str("media type"),
            CheckId::Schema(name) => write!(f, "schema {name}"),
            CheckId::Body(pointer) if pointer.is_empty() => f.write_str("body (whole)"),
            CheckId::Body(pointer) => write!(f, "body {pointer}"),
            CheckId::Header(name) => write!(f, "header {name}"),
            CheckId::Readable => f.write_str("body"),
            CheckId::Location(part, param) => write!(f, "location {}{param}", part.sigil()),
            CheckId::Challenge(scheme, None) => write!(f, "challenge {scheme}"),
            CheckId::Challenge(scheme, Some(param)) => write!(f, "challenge {scheme} {param}"),
            CheckId::Text => f.write_str("body text"),
        }
    }
}

impl std::str::FromStr for CheckId {
    type Err = String;

    fn from_str(text: &str) -> Result<CheckId, String> {
        Ok(match text {
            "status" => CheckId::Status,
            "media type" => CheckId::MediaType,
            "body" => CheckId::Readable,
            "body (whole)" => CheckId::Body(String::new()),
            "body text" => CheckId::Text,
            _ => match text.split_once(' ') {
                Some(("schema", name)) if !name.is_empty() => CheckId::Schema(name.to_owned()),
                Some(("body", pointer)) if pointer.starts_with('/') => {
                    CheckId::Body(pointer.to_owned())
                }
                Some(("header", name)) if !name.is_empty() => {
                    CheckId::Header(name.to_ascii_lowercase())
                }
                Some(("location", param)) if param.len() > 1 && param.starts_with('?') => {
                    CheckId::Location(UrlPart::Query, param[1..].to_owned())
                }
                Some(("location", param)) if param.len() > 1 && param.starts_with('#') => {
                    CheckId::Location(UrlPart::Fragment, param[1..].to_owned())
                }
                Some(("challenge", rest)) if !rest.is_empty() => match rest.split_once(' ') {
                    Some((scheme, param)) if !scheme.is_empty() && !param.is_empty() => {
                        CheckId::Challenge(
                            scheme.to_ascii_lowercase(),
                            Some(param.to_ascii_lowercase()),
                        )
                    }
                    None => CheckId::Challenge(rest.to_ascii_lowercase(), None),
                    _ => return Err(not_a_check(text)),
                },
                _ => return Err(not_a_check(text)),
            },
        })
    }
}

fn not_a_check(text: &str) -> String {
    format!(
        "{text:?} is not a check: write `status`, `media type`, `body`, `schema FILE`, `body /POINTER`, `body (whole)`, `body text`, `header NAME`, `location ?PARAM`, `location #PARAM`, `challenge SCHEME` or `challenge SCHEME PARAM`"
    )
}

impl Serialize for CheckId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for CheckId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<CheckId, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// One violated check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// Which check, e.g. `status`, `body /error`, `schema oauth-error.schema.json`.
    pub check: CheckId,
    /// Where inside the body, for schema violations (a JSON pointer, possibly empty).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    /// Expected versus actual, in words.
    pub message: String,
    /// What the check requires, as a value: the allowed statuses, the media type, the value or
    /// the JSON Schema a matcher holds (`null`: absent), the schema file's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<Value>,
    /// What the response had there, as a value (`null`: nothing there).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual: Option<Value>,
    /// The line of the case file where the check is asked for (or implied, by `documents`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
}

impl Violation {
    /// A violation of `check`, in words; the values are added where they are known.
    pub fn new(check: CheckId, message: impl Into<String>) -> Violation {
        Violation {
            check,
            at: None,
            message: message.into(),
            expected: None,
            actual: None,
            line: None,
        }
    }

    fn values(mut self, expected: Value, actual: Value) -> Violation {
        self.expected = Some(expected);
        self.actual = Some(actual);
        self
    }
}

impl Check {
    /// Which check this is.
    pub fn id(&self) -> CheckId {
        match self {
            Check::Status(_) => CheckId::Status,
            Check::MediaType(_) => CheckId::MediaType,
            Check::Schema { name, .. } => CheckId::Schema(name.clone()),
            Check::Body { pointer, .. } => CheckId::Body(pointer.clone()),
            Check::Header { name, .. } => CheckId::Header(name.clone()),
            Check::Location { part, param, .. } => CheckId::Location(*part, param.clone()),
            Check::Challenge { scheme, .. } => CheckId::Challenge(scheme.clone(), None),
            Check::ChallengeParam { scheme, param, .. } => {
                CheckId::Challenge(scheme.clone(), Some(param.clone()))
            }
            Check::Text(_) => CheckId::Text,
        }
    }

    /// What the check requires, in words.
    pub fn requirement(&self) -> String {
        match self {
            Check::Status(allowed) => format!("is {}", one_of(allowed)),
            Check::MediaType(m) => format!("is {m}"),
            Check::Schema { .. } => "validates".into(),
            Check::Body {
                matcher: Matcher::Equals(v),
                ..
            } => format!("equals {}", compact(v)),
            Check::Body {
                matcher: Matcher::Schema { spec, .. },
                ..
            } => format!("matches {}", compact(spec)),
            Check::Header { matcher, .. }
            | Check::Location { matcher, .. }
            | Check::ChallengeParam { matcher, .. }
            | Check::Text(matcher) => match matcher {
                HeaderMatcher::Equals(v) => format!("equals {v:?}"),
                HeaderMatcher::Schema { spec, .. } => format!("matches {}", compact(spec)),
                HeaderMatcher::Absent => "is absent".into(),
            },
            Check::Challenge { present: true, .. } => "is there".into(),
            Check::Challenge { present: false, .. } => "is absent".into(),
        }
    }

    /// The names of headers this check looks at, so failure reports can show them.
    pub fn header_name(&self) -> Option<&str> {
        match self {
            Check::Header { name, .. } => Some(name),
            Check::Location { .. } => Some("location"),
            Check::Challenge { .. } | Check::ChallengeParam { .. } => Some("www-authenticate"),
            _ => None,
        }
    }

    /// Whether the check reads the body as JSON (and so is not evaluated when it is not JSON).
    pub fn needs_body(&self) -> bool {
        matches!(self, Check::Schema { .. } | Check::Body { .. })
    }
}

/// How one check came out, for the reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Passed,
    Failed,
    /// The body it needed was not JSON.
    NotEvaluated,
}

/// One check as the reports list it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckOutcome {
    pub check: CheckId,
    pub requires: String,
    /// From `advise`: a violation is a warning.
    pub advisory: bool,
    pub outcome: Outcome,
}

/// The outcome of every check, given the violations [`evaluate`] found.
pub fn outcomes(checks: &[Check], violations: &[Violation], advisory: bool) -> Vec<CheckOutcome> {
    let body_unreadable = violations.iter().any(|v| v.check == CheckId::Readable);
    checks
        .iter()
        .map(|c| {
            let name = c.id();
            let outcome = if violations.iter().any(|v| v.check == name) {
                Outcome::Failed
            } else if body_unreadable && c.needs_body() {
                Outcome::NotEvaluated
            } else {
                Outcome::Passed
            };
            CheckOutcome {
                requires: c.requirement(),
                check: name,
                advisory,
                outcome,
            }
        })
        .collect()
}

/// Runs every check against `response` and returns the violations, in check order; or, when a
/// pattern of the case could not be matched to the end, why the case cannot judge the response
/// (see [`unfinished`]).
pub fn evaluate(checks: &[Check], response: &Response) -> Result<Vec<Violation>, String> {
    let mut violations = Vec::new();
    // Parsed once, where the first check that needs it stands; if the body is not JSON that is
    // one violation there, and the checks that needed it are not evaluated.
    let mut json: Option<Option<Value>> = None;
    for check in checks {
        if check.needs_body() {
            let Some(body) = parsed(&mut json, response, &mut violations) else {
                continue;
            };
            violations.extend(body_violations(check, body)?);
        } else {
            violations.extend(response_violation(check, response)?);
        }
    }
    Ok(violations)
}

/// [`evaluate`] of a case's checks and of its advice: the violations and the warnings.
pub fn evaluate_all(
    checks: &[Check],
    advice: &[Check],
    response: &Response,
) -> Result<(Vec<Violation>, Vec<Violation>), String> {
    Ok((evaluate(checks, response)?, evaluate(advice, response)?))
}

/// Whether `response` meets every one of `checks` (not where one cannot be judged).
pub fn meets_all(checks: &[Check], response: &Response) -> bool {
    evaluate(checks, response).is_ok_and(|v| v.is_empty())
}

/// The violations of a check of the body (a schema file, a member's matcher), parsed.
fn body_violations(check: &Check, body: &Value) -> Result<Vec<Violation>, String> {
    let name = check.id();
    match check {
        Check::Schema {
            validator,
            name: file,
        } => {
            let mut violations = Vec::new();
            for e in validator.iter_errors(body) {
                if let Some(why) = unfinished(&name, &e, None) {
                    return Err(why);
                }
                let (at, keyword, message) = crate::base::schema::describe(&e);
                let actual = body.pointer(&at).cloned().unwrap_or(Value::Null);
                let mut v =
                    Violation::new(name.clone(), format!("{message} (keyword `{keyword}`)"))
                        .values(Value::from(file.as_str()), actual);
                v.at = Some(at);
                violations.push(v);
            }
            Ok(violations)
        }
        Check::Body { pointer, matcher } => {
            let actual = body.pointer(pointer);
            let Some(message) = match_body(&name, matcher, actual)? else {
                return Ok(Vec::new());
            };
            let expected = match matcher {
                Matcher::Equals(v) => v.clone(),
                Matcher::Schema { spec, .. } => Value::clone(spec),
            };
            Ok(vec![
                Violation::new(name, message)
                    .values(expected, actual.cloned().unwrap_or(Value::Null)),
            ])
        }
        _ => unreachable!("only the schema and body checks need the body"),
    }
}

/// The violation of a check of the status or the headers, if any.
fn response_violation(check: &Check, response: &Response) -> Result<Option<Violation>, String> {
    let name = check.id();
    Ok(match check {
        Check::Status(allowed) => status_violation(name, allowed, response.status),
        Check::MediaType(expected) => media_type_violation(name, expected, response),
        Check::Header {
            name: header,
            matcher,
        } => {
            let actual = response.header(header);
            match_header(&name, matcher, actual.as_deref())?.map(|message| {
                Violation::new(name, message).values(
                    expected_of(matcher),
                    actual.map_or(Value::Null, Value::from),
                )
            })
        }
        Check::Location {
            part,
            param,
            matcher,
        } => {
            let found = match response.header("location") {
                None => Err("expected a redirect, got no Location header".to_owned()),
                Some(location) => location_params(&location, *part, param),
            };
            let outcome = found.and_then(|values| match values.as_slice() {
                [] => Ok(None),
                [one] => Ok(Some(one.clone())),
                // RFC 6749 §3.1: parameters MUST NOT be included more than once.
                many => Err(format!("`{param}` appears {} times", many.len())),
            });
            param_violation(name, matcher, outcome)?
        }
        Check::Challenge { scheme, present } => {
            challenge_violation(name, scheme, *present, response)
        }
        Check::ChallengeParam {
            scheme,
            param,
            matcher,
        } => {
            let outcome = read_challenges(response).and_then(|all| {
                all.into_iter()
                    .find(|c| c.scheme.eq_ignore_ascii_case(scheme))
                    .map(|c| c.param(param).map(str::to_owned))
                    .ok_or_else(|| format!("expected a {scheme} challenge with `{param}`, got no {scheme} challenge"))
            });
            param_violation(name, matcher, outcome)?
        }
        Check::Text(matcher) => {
            let text = String::from_utf8_lossy(&response.body);
            let message = match matcher {
                HeaderMatcher::Absent => (!text.is_empty())
                    .then(|| format!("expected an empty body, got {} bytes", response.body.len())),
                _ => match_header(&name, matcher, Some(&text))?,
            };
            message.map(|message| {
                Violation::new(name, message)
                    .values(expected_of(matcher), Value::from(text.as_ref()))
            })
        }
        Check::Schema { .. } | Check::Body { .. } => {
            unreachable!("the schema and body checks need the body")
        }
    })
}

fn status_violation(name: CheckId, allowed: &[u16], status: u16) -> Option<Violation> {
    if allowed.contains(&status) {
        return None;
    }
    let expected = match allowed {
        [one] => Value::from(*one),
        many => Value::from(many.to_vec()),
    };
    Some(
        Violation::new(name, format!("expected {}, got {status}", one_of(allowed)))
            .values(expected, Value::from(status)),
    )
}

fn media_type_violation(name: CheckId, expected: &str, response: &Response) -> Option<Violation> {
    let message = match response.header("content-type") {
        None => format!("expected {expected}, got no Content-Type header"),
        Some(raw) => {
            let actual = media_type(&raw);
            if actual.eq_ignore_ascii_case(expected) {
                return None;
            }
            if actual == raw {
                format!("expected {expected}, got {actual}")
            } else {
                format!("expected {expected}, got {actual} (Content-Type: {raw})")
            }
        }
    };
    let actual = response
        .header("content-type")
        .map_or(Value::Null, |raw| Value::from(media_type(&raw)));
    Some(Violation::new(name, message).values(Value::from(expected), actual))
}

fn challenge_violation(
    name: CheckId,
    scheme: &str,
    present: bool,
    response: &Response,
) -> Option<Violation> {
    let found = read_challenges(response)
        .map(|all| all.iter().any(|c| c.scheme.eq_ignore_ascii_case(scheme)));
    let message = match (found, present) {
        (Ok(true), true) | (Ok(false), false) => return None,
        (Ok(false), true) => match response.header("www-authenticate") {
            None => format!("expected a {scheme} challenge, got no WWW-Authenticate header"),
            Some(h) => format!("expected a {scheme} challenge, got {h:?}"),
        },
        (Ok(true), false) => format!("expected no {scheme} challenge, got one"),
        (Err(e), _) => e,
    };
    let actual = response
        .header("www-authenticate")
        .map_or(Value::Null, Value::from);
    Some(Violation::new(name, message).values(Value::Bool(present), actual))
}

/// The violation of a Location or challenge parameter check, if any: `outcome` is the
/// parameter's value (`None`: absent) or why it could not be read.
fn param_violation(
    id: CheckId,
    matcher: &HeaderMatcher,
    outcome: Result<Option<String>, String>,
) -> Result<Option<Violation>, String> {
    let message = match &outcome {
        Ok(value) => match match_param(&id, matcher, value.as_deref())? {
            Some(message) => message,
            None => return Ok(None),
        },
        Err(message) => message.clone(),
    };
    let actual = outcome.ok().flatten().map_or(Value::Null, Value::from);
    Ok(Some(
        Violation::new(id, message).values(expected_of(matcher), actual),
    ))
}

/// A Location parameter that is missing because the server redirected to a page of its own
/// (on the request's origin, with no `error` parameter, not back to the request's
/// `redirect_uri`: a login or consent page such as `/interaction/…`) is said to be so, rather
/// than "got no such parameter", which reads as a redirect back without the error.
pub fn own_page(violations: &mut [Violation], response: &Response, request: &url::Url) {
    let Some(to) = response
        .header("location")
        .and_then(|l| request.join(&l).ok())
    else {
        return;
    };
    let has_error = [to.query(), to.fragment()]
        .into_iter()
        .flatten()
        .any(|t| url::form_urlencoded::parse(t.as_bytes()).any(|(n, _)| n == "error"));
    let endpoint = |u: &url::Url| (u.origin(), u.path().to_owned());
    let back = request
        .query_pairs()
        .filter(|(n, _)| n == "redirect_uri")
        .any(|(_, uri)| url::Url::parse(&uri).is_ok_and(|uri| endpoint(&uri) == endpoint(&to)));
    if to.origin() != request.origin() || has_error || back {
        return;
    }
    for v in violations
        .iter_mut()
        .filter(|v| v.message.ends_with("got no such parameter"))
    {
        if let CheckId::Location(part, param) = &v.check {
            v.message = format!(
                "redirected to the server's own page {} (a login or consent page?), not back to redirect_uri with {}{param}",
                to.path(),
                part.sigil()
            );
        }
    }
}

/// What a header or parameter matcher requires, as a value (`null`: absent).
fn expected_of(matcher: &HeaderMatcher) -> Value {
    match matcher {
        HeaderMatcher::Equals(v) => Value::from(v.as_str()),
        HeaderMatcher::Schema { spec, .. } => Value::clone(spec),
        HeaderMatcher::Absent => Value::Null,
    }
}

/// The response's WWW-Authenticate challenges (none without the header), or why they cannot
/// be read.
fn read_challenges(response: &Response) -> Result<Vec<Challenge>, String> {
    match response.header("www-authenticate") {
        None => Ok(Vec::new()),
        Some(h) => challenges(&h)
            .map_err(|e| format!("WWW-Authenticate {h:?} is not a list of challenges: {e}")),
    }
}

/// A Location or challenge parameter against its matcher; the words say "parameter", not
/// "header".
fn match_param(
    id: &CheckId,
    matcher: &HeaderMatcher,
    actual: Option<&str>,
) -> Result<Option<String>, String> {
    Ok(match (matcher, actual) {
        (HeaderMatcher::Absent, Some(v)) => Some(format!("expected no such parameter, got {v:?}")),
        (_, None) if !matches!(matcher, HeaderMatcher::Absent) => match_header(id, matcher, None)?
            .map(|m| m.replace("no such header", "no such parameter")),
        _ => match_header(id, matcher, actual)?,
    })
}

fn parsed<'a>(
    json: &'a mut Option<Option<Value>>,
    response: &Response,
    violations: &mut Vec<Violation>,
) -> Option<&'a Value> {
    json.get_or_insert_with(|| match parse_json(response) {
        Ok(v) => Some(v),
        Err(message) => {
            violations.push(Violation::new(CheckId::Readable, message));
            None
        }
    })
    .as_ref()
}

fn match_body(
    id: &CheckId,
    matcher: &Matcher,
    actual: Option<&Value>,
) -> Result<Option<String>, String> {
    Ok(match (matcher, actual) {
        (Matcher::Equals(expected), None) => Some(format!(
            "expected {}, got nothing (no such member)",
            compact(expected)
        )),
        (Matcher::Schema { spec, .. }, None) => Some(format!(
            "expected a value matching {}, got nothing (no such member)",
            compact(spec)
        )),
        (Matcher::Equals(expected), Some(actual)) => (expected != actual)
            .then(|| format!("expected {}, got {}", compact(expected), compact(actual))),
        (Matcher::Schema { spec, validator }, Some(actual)) => {
            schema_mismatch(id, validator, spec, actual)?
        }
    })
}

fn match_header(
    id: &CheckId,
    matcher: &HeaderMatcher,
    actual: Option<&str>,
) -> Result<Option<String>, String> {
    Ok(match (matcher, actual) {
        (HeaderMatcher::Absent, None) => None,
        (HeaderMatcher::Absent, Some(v)) => Some(format!("expected no such header, got {v:?}")),
        (HeaderMatcher::Equals(expected), None) => {
            Some(format!("expected {expected:?}, got no such header"))
        }
        (HeaderMatcher::Schema { spec, .. }, None) => Some(format!(
            "expected a value matching {}, got no such header",
            compact(spec)
        )),
        (HeaderMatcher::Equals(expected), Some(v)) => {
            (expected != v).then(|| format!("expected {expected:?}, got {v:?}"))
        }
        (HeaderMatcher::Schema { spec, validator }, Some(v)) => {
            schema_mismatch(id, validator, spec, &Value::String(v.to_owned()))?
        }
    })
}

fn schema_mismatch(
    id: &CheckId,
    validator: &Validator,
    spec: &Value,
    actual: &Value,
) -> Result<Option<String>, String> {
    let mut reasons = Vec::new();
    for e in validator.iter_errors(actual) {
        if let Some(why) = unfinished(id, &e, Some(spec)) {
            return Err(why);
        }
        reasons.push(crate::base::schema::describe(&e).2);
    }
    Ok((!reasons.is_empty()).then(|| {
        format!(
            "expected a value matching {}, got {}: {}",
            compact(spec),
            compact(actual),
            reasons.join("; ")
        )
    }))
}

/// Why check `id` cannot judge the response, when `e` says the regex engine could not finish
/// matching a pattern of the case against it: it reached its backtrack limit (a pattern that
/// backtracks without end on some values, such as `^(\w+\s?)*$`), or failed. The outcome of
/// that match is unknown, so the check is neither passed nor failed: the case is an error,
/// blamed on its pattern, never on the server. `spec` is the matcher's schema, where the check
/// holds one, to quote the pattern from.
fn unfinished(
    id: &CheckId,
    e: &jsonschema::ValidationError<'_>,
    spec: Option<&Value>,
) -> Option<String> {
    use jsonschema::error::ValidationErrorKind as Kind;
    if !matches!(
        e.kind(),
        Kind::BacktrackLimitExceeded { .. } | Kind::RegexEngineFailure { .. }
    ) {
        return None;
    }
    let pattern = spec
        .and_then(|s| s.pointer(e.schema_path().as_str()))
        .and_then(Value::as_str)
        .map(|p| format!("pattern {p:?}"))
        .unwrap_or_else(|| format!("pattern at {}", e.schema_path()));
    Some(format!(
        "{id}: the regex engine could not finish matching the case's {pattern} against the response's value ({e}); the pattern is the case's to fix (one that cannot backtrack without end), not the server's"
    ))
}

/// The body as JSON, or why it is not.
fn parse_json(response: &Response) -> Result<Value, String> {
    if response.truncated {
        return Err(format!(
            "expected a JSON body, got more than {} bytes; the read was cut there and the body not parsed",
            response.body.len()
        ));
    }
    if response.body.iter().all(u8::is_ascii_whitespace) {
        return Err("expected a JSON body, got an empty body".into());
    }
    // Described by what the server said it sent and how it starts: a parser's position
    // ("expected ident at line 1 column 2") tells a person nothing about an HTML page.
    serde_json::from_slice(&response.body).map_err(|_| {
        let size = response.body.len();
        let start = match std::str::from_utf8(&response.body) {
            Ok(text) => format!("starting {:?}", preview(text, 60)),
            Err(_) => "not UTF-8".to_owned(),
        };
        let what = match response.header("content-type").map(|t| media_type(&t)) {
            Some(json) if json == "application/json" || json.ends_with("+json") => {
                format!("{size} bytes labelled {json} but not JSON, {start}")
            }
            Some(other) if !other.is_empty() => format!("{other}, {size} bytes, {start}"),
            _ => format!("{size} bytes with no Content-Type, {start}"),
        };
        format!("expected a JSON body, got {what}")
    })
}

/// The media type of a Content-Type value: the part before any `;`, trimmed, lower case.
pub fn media_type(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

fn one_of(allowed: &[u16]) -> String {
    match allowed {
        [one] => one.to_string(),
        many => format!(
            "one of {}",
            many.iter()
                .map(u16::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A JSON value on one line, cut when long.
pub fn compact(value: &Value) -> String {
    preview(&value.to_string(), 200)
}

/// At most `max` characters of `text`, with `…` where it was cut.
pub fn preview(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn response(status: u16, headers: &[(&str, &str)], body: &str) -> Response {
        Response {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            body: body.as_bytes().to_vec(),
            truncated: false,
        }
    }

    fn schema(spec: Value) -> Arc<Validator> {
        Arc::new(jsonschema::validator_for(&spec).unwrap())
    }

    /// The violations, where every pattern could be matched to its end.
    fn evaluate(checks: &[Check], response: &Response) -> Vec<Violation> {
        super::evaluate(checks, response).expect("every pattern finishes")
    }

    fn oauth() -> Vec<Check> {
        vec![
            Check::Status(vec![401]),
            Check::MediaType("application/json".into()),
            Check::Schema {
                name: "e.json".into(),
                validator: schema(
                    json!({"type": "object", "required": ["error"], "properties": {"error_description": {"type": "string"}}}),
                ),
            },
            Check::Body {
                pointer: "/error".into(),
                matcher: Matcher::Equals(json!("invalid_client")),
            },
            Check::Body {
                pointer: "/error_description".into(),
                matcher: Matcher::Schema {
                    spec: Arc::new(json!({"type": "string"})),
                    validator: schema(json!({"type": "string"})),
                },
            },
        ]
    }

    /// A pattern the regex engine cannot finish matching (here with a backtrack limit of 1)
    /// leaves the check unjudged, naming the pattern and the case as at fault: never a
    /// violation blamed on the server, whether the pattern is a header's, a member's or a
    /// schema file's.
    #[test]
    fn a_pattern_the_engine_cannot_finish_is_the_cases_error() {
        let limited = |spec: &Value| {
            Arc::new(
                jsonschema::options()
                    .with_pattern_options(
                        jsonschema::PatternOptions::fancy_regex().backtrack_limit(1),
                    )
                    .build(spec)
                    .unwrap(),
            )
        };
        let spec = json!({"pattern": "(?<=ab)c"});
        let matcher = || HeaderMatcher::Schema {
            spec: Arc::new(spec.clone()),
            validator: limited(&spec),
        };
        let file = json!({"properties": {"error": {"pattern": "(?<=ab)c"}}});
        let r = response(400, &[("x-a", "abc")], r#"{"error": "abc"}"#);
        let unjudged = |check: Check| super::evaluate(&[Check::Status(vec![400]), check], &r);
        let why = "the regex engine could not finish matching the case's";
        let engine = "(Error executing regex: Max limit for backtracking count exceeded)";
        let blame = "the pattern is the case's to fix (one that cannot backtrack without end), not the server's";
        assert_eq!(
            unjudged(Check::Header {
                name: "x-a".into(),
                matcher: matcher(),
            }),
            Err(format!(
                "header x-a: {why} pattern \"(?<=ab)c\" against the response's value {engine}; {blame}"
            ))
        );
        assert_eq!(
            unjudged(Check::Body {
                pointer: "/error".into(),
                matcher: Matcher::Schema {
                    spec: Arc::new(spec.clone()),
                    validator: limited(&spec),
                },
            }),
            Err(format!(
                "body /error: {why} pattern \"(?<=ab)c\" against the response's value {engine}; {blame}"
            ))
        );
        assert_eq!(
            unjudged(Check::Schema {
                name: "e.json".into(),
                validator: limited(&file),
            }),
            Err(format!(
                "schema e.json: {why} pattern at /properties/error/pattern against the response's value {engine}; {blame}"
            ))
        );
        assert_eq!(
            unjudged(Check::Location {
                part: UrlPart::Query,
                param: "a".into(),
                matcher: matcher(),
            }),
            Ok(vec![
                Violation::new(
                    CheckId::Location(UrlPart::Query, "a".into()),
                    "expected a redirect, got no Location header"
                )
                .values(spec.clone(), Value::Null)
            ]),
            "a value never matched is judged as ever"
        );
    }

    #[test]
    fn a_conforming_response_passes_every_check() {
        let r = response(
            401,
            &[("content-type", "application/json; charset=utf-8")],
            r#"{"error":"invalid_client","error_description":"x"}"#,
        );
        assert_eq!(evaluate(&oauth(), &r), vec![]);
    }

    #[test]
    fn every_violation_is_reported_with_its_check() {
        let r = response(
            400,
            &[("content-type", "text/html")],
            r#"{"error":"invalid_request","error_description":5}"#,
        );
        let v = evaluate(&oauth(), &r);
        let names: Vec<String> = v.iter().map(|v| v.check.to_string()).collect();
        assert_eq!(
            names,
            [
                "status",
                "media type",
                "schema e.json",
                "body /error",
                "body /error_description"
            ]
        );
        assert_eq!(v[0].message, "expected 401, got 400");
        assert_eq!(v[1].message, "expected application/json, got text/html");
        assert_eq!(v[2].at.as_deref(), Some("/error_description"));
        assert!(v[2].message.contains("keyword `type`"), "{}", v[2].message);
        assert_eq!(
            v[3].message,
            r#"expected "invalid_client", got "invalid_request""#
        );
        assert!(
            v[4].message
                .starts_with(r#"expected a value matching {"type":"string"}, got 5"#),
            "{}",
            v[4].message
        );
    }

    #[test]
    fn status_lists_and_missing_members() {
        let checks = [
            Check::Status(vec![404, 405]),
            Check::Body {
                pointer: "/error".into(),
                matcher: Matcher::Equals(json!("x")),
            },
        ];
        let v = evaluate(&checks, &response(200, &[], "{}"));
        assert_eq!(v[0].message, "expected one of 404, 405, got 200");
        assert_eq!(
            v[1].message,
            r#"expected "x", got nothing (no such member)"#
        );
    }

    #[test]
    fn a_page_is_described_by_its_media_type_and_start_never_a_parser_position() {
        let checks = [Check::Body {
            pointer: "/error".into(),
            matcher: Matcher::Equals(Value::from("x")),
        }];
        let page = response(
            400,
            &[("content-type", "text/html; charset=utf-8")],
            "<!DOCTYPE html><html><body>Bad request</body></html>",
        );
        let v = evaluate(&checks, &page);
        assert_eq!(
            v[0].message,
            "expected a JSON body, got text/html, 52 bytes, starting \"<!DOCTYPE html><html><body>Bad request</body></html>\""
        );
        let broken = response(400, &[("content-type", "application/json")], "{\"error\": ");
        let v = evaluate(&checks, &broken);
        assert_eq!(
            v[0].message,
            "expected a JSON body, got 10 bytes labelled application/json but not JSON, starting \"{\\\"error\\\": \""
        );
        let bare = response(400, &[], "oops");
        let v = evaluate(&checks, &bare);
        assert!(!v[0].message.contains("line 1"), "{}", v[0].message);
        assert!(v[0].message.contains("no Content-Type"), "{}", v[0].message);
    }

    #[test]
    fn non_json_bodies_are_one_violation_not_a_cascade() {
        for (body, says) in [
            ("", "an empty body"),
            ("<html>oops</html>", "starting \"<html>oops</html>\""),
            ("\u{1}", "expected a JSON body"),
        ] {
            let v = evaluate(
                &oauth(),
                &response(401, &[("content-type", "application/json")], body),
            );
            assert_eq!(v.len(), 1, "{v:?}");
            assert_eq!(v[0].check, CheckId::Readable);
            assert!(v[0].message.contains(says), "{}", v[0].message);
        }
        let mut r = response(401, &[("content-type", "application/json")], "{");
        r.body = vec![0xff, 0xfe];
        assert!(evaluate(&oauth(), &r)[0].message.contains("not UTF-8"));
        r.truncated = true;
        assert!(
            evaluate(&oauth(), &r)[0]
                .message
                .contains("the read was cut")
        );
    }

    #[test]
    fn media_type_needs_a_content_type() {
        let v = evaluate(
            &[Check::MediaType("application/json".into())],
            &response(400, &[], ""),
        );
        assert_eq!(
            v[0].message,
            "expected application/json, got no Content-Type header"
        );
        let ok = evaluate(
            &[Check::MediaType("application/json".into())],
            &response(
                400,
                &[("content-type", "Application/JSON ; charset=UTF-8")],
                "",
            ),
        );
        assert_eq!(ok, vec![]);
    }

    #[test]
    fn header_matchers() {
        let pattern = json!({"pattern": "no-store"});
        let checks = [
            Check::Header {
                name: "cache-control".into(),
                matcher: HeaderMatcher::Schema {
                    spec: Arc::new(pattern.clone()),
                    validator: schema(pattern),
                },
            },
            Check::Header {
                name: "pragma".into(),
                matcher: HeaderMatcher::Equals("no-cache".into()),
            },
            Check::Header {
                name: "location".into(),
                matcher: HeaderMatcher::Absent,
            },
        ];
        let good = response(
            400,
            &[
                ("cache-control", "private, no-store"),
                ("pragma", "no-cache"),
            ],
            "",
        );
        assert_eq!(evaluate(&checks, &good), vec![]);
        let bad = response(
            400,
            &[
                ("cache-control", "no-cache"),
                ("location", "https://elsewhere"),
            ],
            "",
        );
        let v = evaluate(&checks, &bad);
        assert_eq!(v.len(), 3, "{v:?}");
        assert!(
            v[0].message
                .starts_with(r#"expected a value matching {"pattern":"no-store"}, got "no-cache""#)
        );
        assert_eq!(v[1].message, r#"expected "no-cache", got no such header"#);
        assert_eq!(
            v[2].message,
            r#"expected no such header, got "https://elsewhere""#
        );
    }

    #[test]
    fn checks_describe_themselves() {
        assert_eq!(Check::Status(vec![400]).requirement(), "is 400");
        assert_eq!(
            Check::Body {
                pointer: String::new(),
                matcher: Matcher::Equals(json!(1))
            }
            .id()
            .to_string(),
            "body (whole)"
        );
        for text in [
            "status",
            "media type",
            "body",
            "body (whole)",
            "body /error",
            "schema oauth-error.schema.json",
            "header x-ratelimit-limit",
            "location ?state",
            "location #error",
            "challenge bearer",
            "challenge bearer error",
        ] {
            let id: CheckId = text.parse().unwrap();
            assert_eq!(id.to_string(), text);
        }
        assert_eq!(
            "header Allow".parse::<CheckId>(),
            Ok(CheckId::Header("allow".into()))
        );
        assert_eq!(
            "challenge Bearer ERROR".parse::<CheckId>(),
            Ok(CheckId::Challenge("bearer".into(), Some("error".into())))
        );
        assert!("location error".parse::<CheckId>().is_err());
        assert!("location ?".parse::<CheckId>().is_err());
        assert!("body error".parse::<CheckId>().is_err());
        assert!("stauts".parse::<CheckId>().is_err());
        assert_eq!(preview("abcdef", 3), "abc…");
    }

    fn param(part: UrlPart, name: &str, matcher: HeaderMatcher) -> Check {
        Check::Location {
            part,
            param: name.into(),
            matcher,
        }
    }

    #[test]
    fn location_parameters_are_read_from_their_part() {
        let checks = [
            param(
                UrlPart::Query,
                "error",
                HeaderMatcher::Equals("invalid_scope".into()),
            ),
            param(UrlPart::Query, "state", HeaderMatcher::Equals("s".into())),
            param(UrlPart::Fragment, "error", HeaderMatcher::Absent),
        ];
        let ok = response(
            302,
            &[("location", "https://app/cb?error=invalid_scope&state=s")],
            "",
        );
        assert_eq!(evaluate(&checks, &ok), []);

        let wrong = response(
            302,
            &[("location", "/cb?error=x&state=s&state=t#error=y")],
            "",
        );
        let v = evaluate(&checks, &wrong);
        let messages: Vec<(String, &str)> = v
            .iter()
            .map(|v| (v.check.to_string(), v.message.as_str()))
            .collect();
        assert_eq!(
            messages,
            [
                (
                    "location ?error".to_owned(),
                    "expected \"invalid_scope\", got \"x\""
                ),
                ("location ?state".to_owned(), "`state` appears 2 times"),
                (
                    "location #error".to_owned(),
                    "expected no such parameter, got \"y\""
                ),
            ]
        );

        let none = response(400, &[], "");
        let v = evaluate(&checks[..1], &none);
        assert_eq!(v[0].message, "expected a redirect, got no Location header");
        let missing = response(302, &[("location", "https://app/cb")], "");
        assert_eq!(
            evaluate(&checks[..1], &missing)[0].message,
            "expected \"invalid_scope\", got no such parameter"
        );
    }

    /// See issue 21, item 4: a redirect to the server's own `/login`, `/interaction/…` or
    /// `login.html` was reported as "location ?error: got no such parameter".
    #[test]
    fn a_redirect_to_the_servers_own_page_is_said_to_be_one() {
        let checks = [param(
            UrlPart::Query,
            "error",
            HeaderMatcher::Equals("invalid_scope".into()),
        )];
        let request = url::Url::parse(
            "http://as.example/authorize?client_id=c&redirect_uri=https%3A%2F%2Fapp%2Fcb&scope=x",
        )
        .unwrap();
        let said = |location: &str| {
            let r = response(302, &[("location", location)], "");
            let mut v = evaluate(&checks, &r);
            own_page(&mut v, &r, &request);
            v[0].message.clone()
        };
        for (location, page) in [
            ("/interaction/abc?x=1", "/interaction/abc"),
            ("http://as.example/login", "/login"),
            ("login.html", "/login.html"),
        ] {
            assert_eq!(
                said(location),
                format!(
                    "redirected to the server's own page {page} (a login or consent page?), not back to redirect_uri with ?error"
                ),
                "{location}"
            );
        }
        // Back to the client, or to another origin, or with an error elsewhere: as it was.
        for location in [
            "https://app/cb?code=1",
            "https://elsewhere.example/login",
            "/cb#error=invalid_scope",
        ] {
            assert_eq!(
                said(location),
                "expected \"invalid_scope\", got no such parameter",
                "{location}"
            );
        }
    }

    #[test]
    fn challenges_are_matched_by_scheme_and_auth_param() {
        let checks = [
            Check::Challenge {
                scheme: "bearer".into(),
                present: true,
            },
            Check::ChallengeParam {
                scheme: "bearer".into(),
                param: "error".into(),
                matcher: HeaderMatcher::Equals("invalid_token".into()),
            },
            Check::Challenge {
                scheme: "basic".into(),
                present: false,
            },
        ];
        let ok = response(
            401,
            &[(
                "www-authenticate",
                r#"Bearer realm="r", error="invalid_token""#,
            )],
            "",
        );
        assert_eq!(evaluate(&checks, &ok), []);

        let none = response(401, &[], "");
        let ids: Vec<String> = evaluate(&checks, &none)
            .iter()
            .map(|v| format!("{}: {}", v.check, v.message))
            .collect();
        assert_eq!(
            ids,
            [
                "challenge bearer: expected a bearer challenge, got no WWW-Authenticate header",
                "challenge bearer error: expected a bearer challenge with `error`, got no bearer challenge",
            ]
        );
        let both = response(
            401,
            &[
                ("www-authenticate", "Basic realm=x"),
                ("www-authenticate", "Bearer"),
            ],
            "",
        );
        let ids: Vec<String> = evaluate(&checks, &both)
            .iter()
            .map(|v| v.check.to_string())
            .collect();
        assert_eq!(ids, ["challenge bearer error", "challenge basic"]);
        let broken = response(401, &[("www-authenticate", "Bearer error=\"x")], "");
        assert!(
            evaluate(&checks[..1], &broken)[0]
                .message
                .contains("not a list of challenges")
        );
    }
}
