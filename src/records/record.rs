//! Results as data: one [`Record`] per case, built as the case finishes and made fit to show
//! once, here ([`Record::for_output`]). Every report (terminal, JUnit, JSON, GitHub) renders
//! these records and nothing else.

use std::time::Duration;

use serde::Serialize;

use crate::{
    base::redact::{Redactor, neutralise},
    base::response::Response,
    catalogue::case::Documents,
    checks::check::{CheckId, CheckOutcome, Violation},
};

/// How much of a response body a record keeps for reports.
pub const BODY_PREVIEW: usize = 2048;

/// Headers always shown in failure detail, besides those a check looked at.
const SHOWN_HEADERS: &[&str] = &[
    "content-type",
    "cache-control",
    "pragma",
    "www-authenticate",
    "allow",
    "location",
    "retry-after",
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
];

/// The outcome of one case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    /// At least one check was violated.
    Fail,
    /// Every violation is listed in the deviations file: accepted on purpose, not a failure.
    KnownDeviation {
        reasons: Vec<String>,
    },
    /// Not sent: a precondition is missing.
    Skip {
        reason: String,
        /// The variables the run does not set.
        missing: Vec<String>,
    },
    /// Not sent, and never will be on this server: it needs a variable declared not
    /// applicable (`{"not_applicable": "REASON"}`, or an endpoint the discovery document does
    /// not list). Counted apart from skips; `--fail-on-skip` lets it be.
    NotApplicable {
        reason: String,
        /// The variables declared not applicable that the case needs.
        variables: Vec<String>,
    },
    /// Could not be judged: the request could not be sent or no response came.
    Error {
        message: String,
    },
    /// The run was interrupted before this case finished.
    NotRun,
}

impl Verdict {
    /// The verdict's name in reports, as the JSON report spells its `kind`.
    pub fn kind(&self) -> &'static str {
        self.sort().name()
    }

    /// Which verdict it is, without what it carries.
    pub fn sort(&self) -> VerdictKind {
        match self {
            Verdict::Pass => VerdictKind::Pass,
            Verdict::Fail => VerdictKind::Fail,
            Verdict::KnownDeviation { .. } => VerdictKind::KnownDeviation,
            Verdict::Skip { .. } => VerdictKind::Skip,
            Verdict::NotApplicable { .. } => VerdictKind::NotApplicable,
            Verdict::Error { .. } => VerdictKind::Error,
            Verdict::NotRun => VerdictKind::NotRun,
        }
    }
}

/// Why a case that an interruption cut off has no verdict.
pub const NOT_RUN_WHY: &str = "the run was interrupted first";

/// What `--fail-on-skip` does, as every report says it.
pub const FAIL_ON_SKIP: &str = "--fail-on-skip makes a skip fail the run";

/// A skip that `--fail-on-skip` fails, as a failure's message says it.
pub fn failing_skip(reason: &str) -> String {
    format!("{reason}; {FAIL_ON_SKIP}")
}

/// A verdict without what it carries: its name and words, said the same by every report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VerdictKind {
    Pass,
    Fail,
    KnownDeviation,
    Skip,
    NotApplicable,
    Error,
    NotRun,
}

impl VerdictKind {
    /// Its name in the JSON report (`kind`), and as a class name with `-` for `_`.
    pub fn name(self) -> &'static str {
        match self {
            VerdictKind::Pass => "pass",
            VerdictKind::Fail => "fail",
            VerdictKind::KnownDeviation => "known_deviation",
            VerdictKind::Skip => "skip",
            VerdictKind::NotApplicable => "not_applicable",
            VerdictKind::Error => "error",
            VerdictKind::NotRun => "not_run",
        }
    }

    /// Its word on one case ("known deviation").
    pub fn label(self) -> &'static str {
        self.words().0
    }

    /// Its word over a group of cases ("errors", "passed").
    pub fn group(self) -> &'static str {
        self.words().2
    }

    /// `n` cases with it, as the summaries count them: "1 error", "2 errors", "3 passed".
    pub fn count(self, n: usize) -> String {
        let (_, one, many) = self.words();
        format!("{n} {}", if n == 1 { one } else { many })
    }

    /// On a case; counted, one; counted, many.
    fn words(self) -> (&'static str, &'static str, &'static str) {
        match self {
            VerdictKind::Pass => ("pass", "passed", "passed"),
            VerdictKind::Fail => ("fail", "failed", "failed"),
            VerdictKind::KnownDeviation => {
                ("known deviation", "known deviation", "known deviations")
            }
            VerdictKind::Skip => ("skip", "skipped", "skipped"),
            VerdictKind::NotApplicable => ("not applicable", "not applicable", "not applicable"),
            VerdictKind::Error => ("error", "error", "errors"),
            VerdictKind::NotRun => ("not run", "not run", "not run"),
        }
    }
}

/// `n` and the noun `word`, in the plural unless `n` is 1: "1 case", "2 cases", "3 entries".
pub fn plural(n: usize, word: &str) -> String {
    format!("{n} {}", noun(n, word))
}

/// The noun `word`, in the plural unless `n` is 1 ("entry", "entries").
pub fn noun(n: usize, word: &str) -> String {
    if n == 1 {
        word.to_owned()
    } else if let Some(stem) = word.strip_suffix('y')
        && !stem.ends_with(['a', 'e', 'o', 'u'])
    {
        format!("{stem}ies")
    } else {
        format!("{word}s")
    }
}

/// The branch a case was judged on when the server did not give the documented answer but took
/// one the specs allow (a case's `alternatives`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Branch {
    pub name: String,
    /// What the server does on it and why the spec allows it.
    pub why: String,
    /// The section that allows it.
    #[serde(rename = "ref")]
    pub reference: String,
    /// Whether its checks held (the case passed on it). False: its status matched, so the server
    /// evidently took it, but it broke one of the branch's checks.
    pub held: bool,
}

impl Branch {
    /// One line for every report: which branch, and why that is allowed.
    pub fn describe(&self) -> String {
        let taken = if self.held {
            "passed on an allowed alternative"
        } else {
            "took an allowed alternative, but not as the spec allows"
        };
        format!(
            "{taken}, `{}`: {} ({})",
            self.name, self.why, self.reference
        )
    }
}

/// A known-deviations entry that fails the run, found on the case it names: no longer
/// observed, or past its expiry date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub case: String,
    pub check: CheckId,
    /// What is wrong with the entry, and what to do.
    pub problem: String,
}

/// A pause the run made before sending a case's request again.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Wait {
    pub reason: WaitReason,
    #[serde(rename = "waited_ms", serialize_with = "millis")]
    pub duration: Duration,
}

/// Why the run paused before sending again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WaitReason {
    /// The server answered 429 where the case did not provoke it.
    RateLimited,
    /// Nothing listened; `--retries` allows another try.
    ConnectionRefused,
}

#[derive(Debug, Clone, Serialize)]
pub struct RequestSummary {
    pub method: String,
    pub url: String,
    /// A curl command line that sends the same request.
    pub curl: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ResponseSummary {
    pub status: u16,
    /// The headers worth showing: the usual suspects and those the checks looked at.
    pub headers: Vec<(String, String)>,
    pub body_bytes: usize,
    /// The read stopped at the body cap.
    pub truncated: bool,
    /// The start of the body as text (invalid UTF-8 replaced).
    pub body_preview: String,
}

impl ResponseSummary {
    pub fn of(response: &Response, checked_headers: &[&str]) -> Self {
        let headers = response
            .headers
            .iter()
            .filter(|(n, _)| {
                SHOWN_HEADERS.contains(&n.as_str()) || checked_headers.contains(&n.as_str())
            })
            .cloned()
            .collect();
        let cut = response.body.len().min(BODY_PREVIEW);
        let mut body_preview = String::from_utf8_lossy(&response.body[..cut]).into_owned();
        if response.body.len() > cut {
            body_preview.push('…');
        }
        ResponseSummary {
            status: response.status,
            headers,
            body_bytes: response.body.len(),
            truncated: response.truncated,
            body_preview,
        }
    }
}

/// Everything known about one case once it has run.
#[derive(Debug, Clone, Serialize)]
pub struct Record {
    pub id: String,
    pub group: String,
    pub file: String,
    pub title: String,
    pub documents: Documents,
    /// The case file's `refs`: where the documented behaviour is written down. The HTML report
    /// links them; the JSON report's published shape (`schemas/report.schema.json`, closed to
    /// new members) leaves them out.
    #[serde(skip)]
    pub refs: Vec<String>,
    pub verdict: Verdict,
    /// The allowed alternative the response was judged on, if not the documented answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub branch: Option<Branch>,
    pub violations: Vec<Violation>,
    pub warnings: Vec<Violation>,
    /// Every check made, with its outcome (empty when nothing was judged).
    pub checks: Vec<CheckOutcome>,
    pub request: Option<RequestSummary>,
    pub response: Option<ResponseSummary>,
    /// Every request sent for this case: a `repeat` case's, and each one sent again after a
    /// refused connection or an unexpected 429.
    pub attempts: u32,
    /// The pauses before a request was sent again.
    pub waits: Vec<Wait>,
    /// Known-deviations entries for this case that fail the run.
    pub stale_deviations: Vec<Finding>,
    /// What the rate-limit headers said when a 429 was judged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<String>,
    #[serde(rename = "elapsed_ms", serialize_with = "millis")]
    pub elapsed: Duration,
    /// The variable the case's request path begins with (`token_endpoint`): the endpoint a
    /// hint about where the server serves it names. None for a path the case file writes.
    #[serde(skip)]
    pub endpoint: Option<String>,
}

/// Every string inside `value` passed through `f`, the names of members too: a server may
/// echo a secret as a name (`{"<secret>": …}`) as well as a value. A number is passed as its
/// text, and becomes the string `f` makes of it where that differs: a secret or a credential
/// may be all digits, and `{"error": 98765432101}` showed it in the JSON and HTML reports.
///
/// `secret_number`: whether a number is, as a float, a secret that is a number; such a number is
/// masked however it is written (serde_json reads `98765432109876543210987` as a float).
fn mask_strings(
    value: &mut serde_json::Value,
    f: &impl Fn(&str) -> String,
    secret_number: &impl Fn(f64) -> bool,
) {
    use serde_json::Value;
    match value {
        Value::String(s) => *s = f(s),
        Value::Number(n) if n.as_f64().is_some_and(secret_number) => {
            *value = Value::String(crate::base::redact::MASK.to_owned());
        }
        Value::Number(n) => {
            let text = n.to_string();
            let shown = f(&text);
            if shown != text {
                *value = Value::String(shown);
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|i| mask_strings(i, f, secret_number)),
        Value::Object(members) => {
            *members = std::mem::take(members)
                .into_iter()
                .map(|(name, mut v)| {
                    mask_strings(&mut v, f, secret_number);
                    (f(&name), v)
                })
                .collect();
        }
        _ => {}
    }
}

/// Durations as milliseconds (a float): what people read in JSON.
pub fn millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((d.as_secs_f64() * 1e6).round() / 1e3)
}

impl Record {
    /// The note of a 429 the case was after, as reports say it: a rate limit where the case
    /// documents one (`too_many_requests`), else the 429 it is (`slow_down`, a blocked login).
    pub fn note_429(&self) -> Option<String> {
        let note = self.rate_limit.as_ref()?;
        Some(match self.documents.error.as_deref() {
            Some("too_many_requests") => format!("rate limit: {note}"),
            Some(code) => format!("{code}: {note}"),
            None => note.clone(),
        })
    }

    /// A record for `case` before anything is known: a pass with no checks run yet.
    pub fn blank(case: &crate::catalogue::case::Case) -> Record {
        Record {
            id: case.id.clone(),
            group: case.group.clone(),
            file: case.file.clone(),
            title: case.title.clone(),
            documents: case.documents.clone(),
            refs: case.refs.clone(),
            verdict: Verdict::Pass,
            branch: None,
            violations: Vec::new(),
            warnings: Vec::new(),
            checks: Vec::new(),
            request: None,
            response: None,
            attempts: 0,
            waits: Vec::new(),
            stale_deviations: Vec::new(),
            rate_limit: None,
            elapsed: Duration::ZERO,
            endpoint: crate::http::plan::head_variable(&case.request.path).map(str::to_owned),
        }
    }

    /// Why the case failed, one line a problem, as every report lists them: each violated
    /// check (`check: expected …, got …`), then each stale known-deviations entry.
    pub fn problems(&self) -> Vec<String> {
        let branch = self
            .branch
            .as_ref()
            .filter(|b| !b.held)
            .map(Branch::describe);
        branch
            .into_iter()
            .chain(
                self.violations
                    .iter()
                    .map(|v| format!("{}: {}", v.check, v.message)),
            )
            .chain(
                self.stale_deviations
                    .iter()
                    .map(|f| format!("known deviation `{}`: {}", f.check, f.problem)),
            )
            .collect()
    }

    /// Each warning, one line each, as every report lists them.
    pub fn advice(&self) -> Vec<String> {
        self.warnings
            .iter()
            .map(|w| format!("{}: {}", w.check, w.message))
            .collect()
    }

    /// The record as every report may show it, made so once, here. Text from outside is
    /// neutralised ([`neutralise`]) wherever it came from. What the server said (the response,
    /// the messages that quote it, errors) is also masked as free text (`redactor`: the run's
    /// secrets and the credentials the server issued). What comes from the catalogue and the
    /// user (ids, paths, titles, check names, skip reasons, deviations entries) is not: a
    /// secret `token` must not turn `token/get-method` into `***/get-method`. Nor is the
    /// request: [`Shown`](crate::http::plan::Shown) already filled its secrets in as `***`.
    pub fn for_output(mut self, redactor: &Redactor) -> Self {
        let ours = |s: &mut String| *s = neutralise(s, false);
        let ours_id = |c: &mut CheckId| {
            *c = std::mem::replace(c, CheckId::Status).map_text(|t| neutralise(t, false));
        };
        let theirs = |s: &mut String| *s = neutralise(&redactor.redact(s), false);
        ours(&mut self.id);
        ours(&mut self.group);
        ours(&mut self.file);
        ours(&mut self.title);
        if let Some(e) = &mut self.documents.error {
            ours(e);
        }
        if let Some(d) = &mut self.documents.description {
            ours(d);
        }
        self.refs.iter_mut().for_each(ours);
        if let Some(b) = &mut self.branch {
            ours(&mut b.name);
            ours(&mut b.why);
            ours(&mut b.reference);
        }
        match &mut self.verdict {
            Verdict::Skip { reason, missing } => {
                ours(reason);
                missing.iter_mut().for_each(ours);
            }
            Verdict::NotApplicable { reason, variables } => {
                ours(reason);
                variables.iter_mut().for_each(ours);
            }
            Verdict::Error { message } => theirs(message),
            Verdict::KnownDeviation { reasons } => reasons.iter_mut().for_each(ours),
            Verdict::Pass | Verdict::Fail | Verdict::NotRun => {}
        }
        for v in self.violations.iter_mut().chain(self.warnings.iter_mut()) {
            ours_id(&mut v.check);
            theirs(&mut v.message);
            // The values go to the JSON and HTML reports as they are: the server's decoded
            // from its body (where `\u001b` is an ESC again), the case's from its file.
            if let Some(actual) = &mut v.actual {
                mask_strings(actual, &|t| neutralise(&redactor.redact(t), false), &|n| {
                    redactor.is_secret_number(n)
                });
            }
            if let Some(expected) = &mut v.expected {
                mask_strings(expected, &|t| neutralise(t, false), &|_| false);
            }
            if let Some(at) = &mut v.at {
                theirs(at);
            }
        }
        for c in &mut self.checks {
            ours_id(&mut c.check);
            ours(&mut c.requires);
        }
        for f in &mut self.stale_deviations {
            ours(&mut f.case);
            ours_id(&mut f.check);
            ours(&mut f.problem);
        }
        if let Some(note) = &mut self.rate_limit {
            theirs(note);
        }
        if let Some(req) = &mut self.request {
            ours(&mut req.url);
            ours(&mut req.curl);
        }
        if let Some(resp) = &mut self.response {
            for (name, value) in &mut resp.headers {
                ours(name);
                theirs(value);
            }
            // The terminal and JUnit show the body line by line, each behind its own prefix.
            resp.body_preview = neutralise(&redactor.redact(&resp.body_preview), true);
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plurals_and_counts_agree_with_their_number() {
        assert_eq!(plural(1, "case"), "1 case");
        assert_eq!(plural(0, "case"), "0 cases");
        assert_eq!(plural(2, "entry"), "2 entries");
        assert_eq!(plural(2, "day"), "2 days");
        assert_eq!(VerdictKind::Error.count(1), "1 error");
        assert_eq!(VerdictKind::Error.count(2), "2 errors");
        assert_eq!(VerdictKind::Pass.count(1), "1 passed");
        assert_eq!(VerdictKind::KnownDeviation.count(3), "3 known deviations");
        assert_eq!(Verdict::NotRun.kind(), "not_run");
        assert_eq!(VerdictKind::KnownDeviation.label(), "known deviation");
    }

    #[test]
    fn member_names_are_masked_as_well_as_values() {
        let redactor = Redactor::new(["s3cret-x"]);
        let mut actual = serde_json::json!({
            "s3cret-x": {"kept": ["s3cret-x", 1]},
            "other": "s3cret-x",
        });
        mask_strings(&mut actual, &|t| redactor.redact(t), &|n| {
            redactor.is_secret_number(n)
        });
        assert_eq!(
            actual.to_string(),
            r#"{"***":{"kept":["***",1]},"other":"***"}"#
        );
    }

    /// Found in review: a secret or credential sent back as a JSON number stayed in `actual`.
    #[test]
    fn numbers_that_hold_a_secret_are_masked() {
        let redactor = Redactor::new(["98765432101", "12345678901"]);
        let mut actual = serde_json::json!({
            "error": 98765432101_u64,
            "n": [12345678901_u64, 1234567890123_u64, 42, 1.5],
        });
        mask_strings(&mut actual, &|t| redactor.redact(t), &|n| {
            redactor.is_secret_number(n)
        });
        assert_eq!(
            actual.to_string(),
            r#"{"error":"***","n":["***","***23",42,1.5]}"#
        );
    }

    /// Found in review: serde_json reads a number longer than u64 as a float, and `actual`
    /// showed the secret `98765432109876543210987` as `9.876543210987654e22`.
    #[test]
    fn a_float_equal_to_a_secret_that_is_a_number_is_masked() {
        let redactor = Redactor::new(["98765432109876543210987"]);
        let mut actual: serde_json::Value = serde_json::from_str(
            r#"{"error": 98765432109876543210987, "n": [9.8765432109876543e22, 98765432109876543210000, 1.5],
                "m": "got 9.876543210987654e+22"}"#,
        )
        .unwrap();
        mask_strings(&mut actual, &|t| redactor.redact(t), &|n| {
            redactor.is_secret_number(n)
        });
        assert_eq!(
            actual.to_string(),
            r#"{"error":"***","n":["***","***",1.5],"m":"got ***"}"#
        );
    }
}
