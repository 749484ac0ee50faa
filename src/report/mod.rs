//! Reports: renderings of the run's [`Record`]s. Each format takes the same records and the
//! same [`RunInfo`], whose [`Tally`] and [`GateFailure`]s are computed once, so that every report
//! counts the same cases and fails for the same reasons.

pub mod file;
pub mod github;
pub mod html;
pub mod json;
pub mod junit;
pub mod notice;
pub mod printer;
pub mod progress;
pub mod terminal;

use std::{collections::BTreeMap, fmt, time::Duration};

use serde::Serialize;

use crate::{
    catalogue::vars,
    records::record::{FAIL_ON_SKIP, Record, Verdict, VerdictKind, noun, plural},
};

/// Facts about the run that every report states.
pub struct RunInfo<'a> {
    /// The target as shown to users (with "(built-in reference server)" or "(TLS not
    /// verified)" where that applies).
    pub target: &'a str,
    pub cases: &'a str,
    pub schemas: &'a str,
    pub elapsed: Duration,
    /// The deviations file, if one was given.
    pub deviations: Option<&'a str>,
    /// The signal that interrupted the run, if one did.
    pub interrupted: Option<&'a str>,
    /// The counts, computed once from the records.
    pub tally: Tally,
    /// Why the gate fails; empty when it passes.
    pub gate: &'a [GateFailure],
    /// The variables the skipped cases need, grouped.
    pub missing: &'a [MissingVariable],
    /// What the responses suggest about the target itself (a wrong --target, an endpoint
    /// served elsewhere), said once.
    pub hints: &'a [String],
    /// What `--discover` found and used.
    pub discovered: Option<&'a crate::http::discover::Discovered>,
}

impl RunInfo<'_> {
    /// Whether the gate passes (exit code 0).
    pub fn ok(&self) -> bool {
        self.gate.is_empty()
    }
}

/// Counts per verdict.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub passed: usize,
    pub failed: usize,
    pub errors: usize,
    pub skipped: usize,
    /// Cases that need a variable declared not applicable: counted apart from skips.
    pub not_applicable: usize,
    pub known_deviations: usize,
    /// Cases the run was interrupted before.
    pub not_run: usize,
    pub warnings: usize,
    /// Deviations-file entries no longer observed or expired (each fails the case it names).
    pub stale_deviations: usize,
}

impl Tally {
    pub fn of(records: &[Record]) -> Tally {
        let mut t = Tally::default();
        for r in records {
            match r.verdict {
                Verdict::Pass => t.passed += 1,
                Verdict::Fail => t.failed += 1,
                Verdict::Error { .. } => t.errors += 1,
                Verdict::Skip { .. } => t.skipped += 1,
                Verdict::NotApplicable { .. } => t.not_applicable += 1,
                Verdict::KnownDeviation { .. } => t.known_deviations += 1,
                Verdict::NotRun => t.not_run += 1,
            }
            t.warnings += r.warnings.len();
            t.stale_deviations += r.stale_deviations.len();
        }
        t
    }

    /// The cases with a verdict of this kind.
    pub fn count(&self, kind: VerdictKind) -> usize {
        match kind {
            VerdictKind::Pass => self.passed,
            VerdictKind::Fail => self.failed,
            VerdictKind::Error => self.errors,
            VerdictKind::KnownDeviation => self.known_deviations,
            VerdictKind::Skip => self.skipped,
            VerdictKind::NotApplicable => self.not_applicable,
            VerdictKind::NotRun => self.not_run,
        }
    }

    /// Cases whose request was sent and judged, or could not be.
    pub fn tested(&self) -> usize {
        self.passed + self.failed + self.errors + self.known_deviations
    }

    /// Every case the run selected.
    pub fn selected(&self) -> usize {
        self.tested() + self.skipped + self.not_applicable + self.not_run
    }
}

/// What a run that sends no case is (`--no-tests`, as nextest names it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum NoTests {
    /// The gate fails (exit 1).
    #[default]
    Fail,
    /// A warning; the gate passes.
    Warn,
    /// The gate passes silently.
    Pass,
}

/// What the gate demands beyond "nothing failed".
#[derive(Debug, Clone, Copy, Default)]
pub struct GatePolicy {
    pub no_tests: NoTests,
    /// A skipped case fails the gate (`--fail-on-skip`): for a fully prepared server.
    pub fail_on_skip: bool,
}

/// One reason the gate fails.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum GateFailure {
    /// Cases failed a check (or named a stale deviations entry).
    Failed { cases: usize },
    /// Cases could not be judged.
    Errors { cases: usize },
    /// Deviations-file entries no longer observed or expired.
    StaleDeviations { entries: usize },
    /// No case was sent: every selected case was skipped or not applicable, or none was
    /// selected.
    NothingTested {
        selected: usize,
        skipped: usize,
        not_applicable: usize,
    },
    /// Cases were skipped and `--fail-on-skip` was given.
    Skipped { cases: usize },
    /// A signal ended the run before every case finished.
    Interrupted { signal: String, not_run: usize },
    /// A report file could not be written.
    ReportNotWritten {
        report: String,
        path: String,
        error: String,
    },
}

impl fmt::Display for GateFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cases = |n: &usize| plural(*n, "case");
        match self {
            GateFailure::Failed { cases: n } => write!(f, "{} failed", cases(n)),
            GateFailure::Errors { cases: n } => write!(f, "{} could not be judged", cases(n)),
            GateFailure::StaleDeviations { entries } => write!(
                f,
                "{} no longer hold{} (no longer observed or expired)",
                plural(*entries, "known-deviations entry"),
                if *entries == 1 { "s" } else { "" }
            ),
            GateFailure::NothingTested { selected: 0, .. } => f.write_str(
                "nothing was tested: no case was selected (--no-tests=warn or =pass allows that)",
            ),
            GateFailure::NothingTested {
                skipped,
                not_applicable: 0,
                ..
            } => write!(
                f,
                "nothing was tested: all {skipped} selected {} were skipped (--no-tests=warn or =pass allows that)",
                noun(*skipped, "case")
            ),
            GateFailure::NothingTested {
                selected,
                skipped,
                not_applicable,
            } => write!(
                f,
                "nothing was tested: of {selected} selected {}, {skipped} skipped and {not_applicable} not applicable (--no-tests=warn or =pass allows that)",
                noun(*selected, "case")
            ),
            GateFailure::Skipped { cases: n } => {
                write!(f, "{} skipped, and {FAIL_ON_SKIP}", cases(n))
            }
            // Cut short, a run has a case not run; with none, the signal came before any.
            GateFailure::Interrupted { signal, not_run: 0 } => {
                write!(f, "interrupted by {signal} before any case was sent")
            }
            GateFailure::Interrupted { signal, not_run } => {
                write!(f, "interrupted by {signal}: {} not run", cases(not_run))
            }
            GateFailure::ReportNotWritten {
                report,
                path,
                error,
            } => write!(
                f,
                "the {report} report could not be written to {path}: {error}"
            ),
        }
    }
}

/// Why the gate fails, in a fixed order; empty when it passes.
pub fn gate(tally: &Tally, policy: GatePolicy, interrupted: Option<&str>) -> Vec<GateFailure> {
    let mut reasons = Vec::new();
    if let Some(signal) = interrupted {
        reasons.push(GateFailure::Interrupted {
            signal: signal.to_owned(),
            not_run: tally.not_run,
        });
    }
    if tally.failed > 0 {
        reasons.push(GateFailure::Failed {
            cases: tally.failed,
        });
    }
    if tally.errors > 0 {
        reasons.push(GateFailure::Errors {
            cases: tally.errors,
        });
    }
    if tally.stale_deviations > 0 {
        reasons.push(GateFailure::StaleDeviations {
            entries: tally.stale_deviations,
        });
    }
    if tally.skipped > 0 && policy.fail_on_skip {
        reasons.push(GateFailure::Skipped {
            cases: tally.skipped,
        });
    }
    if interrupted.is_none() && tally.tested() == 0 && policy.no_tests == NoTests::Fail {
        reasons.push(GateFailure::NothingTested {
            selected: tally.selected(),
            skipped: tally.skipped,
            not_applicable: tally.not_applicable,
        });
    }
    reasons
}

/// What the responses say about the target as a whole, each said once: a target that cannot
/// be reached at all, and an endpoint that is not where the run looked for it (see
/// [`lost_endpoints`]). `target` is the run's `--target`.
pub fn hints(records: &[Record], declared: &[vars::Variable], target: &url::Url) -> Vec<String> {
    unreachable(records, target)
        .into_iter()
        .chain(lost_endpoints(records, declared, target))
        .collect()
}

/// The target as a hint names it: its origin, and its path when it has one.
fn target_name(target: &url::Url) -> String {
    let origin = target.origin().ascii_serialization();
    match target.path().trim_end_matches('/') {
        "" => origin,
        path => format!("{origin}{path}"),
    }
}

/// One hint when no request got any answer: what the first connection error suggests (a
/// closed port, plain http spoken TLS to or the reverse, a name that does not resolve, a
/// timeout), naming the target, instead of a block per case that all say the same.
fn unreachable(records: &[Record], target: &url::Url) -> Option<String> {
    let sent: Vec<&Record> = records.iter().filter(|r| r.request.is_some()).collect();
    if sent.is_empty() || sent.iter().any(|r| r.response.is_some()) {
        return None;
    }
    let errors: Vec<&str> = sent
        .iter()
        .filter_map(|r| match &r.verdict {
            Verdict::Error { message } => Some(message.as_str()),
            _ => None,
        })
        .collect();
    let cause = likely_cause(errors.first()?)?;
    let alike = errors
        .iter()
        .filter(|m| likely_cause(m) == Some(cause))
        .count();
    Some(format!(
        "cannot reach the target {}: {cause} ({alike} of {} cases sent could not be judged for it)",
        target_name(target),
        sent.len()
    ))
}

/// What a connection error (as `send` words it) most likely means.
fn likely_cause(message: &str) -> Option<&'static str> {
    let has = |text: &str| message.contains(text);
    Some(if has("Connection refused") {
        "nothing listens there (connection refused): is the server running, and on this port?"
    } else if has("TLS handshake failed") && (has("InvalidContentType") || has("corrupt message")) {
        "it does not speak TLS there (the handshake got a plain answer): is it http://, not https://?"
    } else if has("TLS handshake failed") {
        "the TLS handshake failed (see the error): for a private CA, give it with --cacert FILE"
    } else if has("invalid HTTP version") || has("HTTP/0.9") {
        "what it answers is not HTTP (TLS?): is it https://, not http://?"
    } else if has("failed to lookup address") || has("dns error") {
        "its host name does not resolve (DNS)"
    } else if message.starts_with("timed out after") && has("while sending the request") {
        "nothing answered within --timeout: a wrong host or port, or a firewall that drops the connection?"
    } else if message.starts_with("could not connect to") {
        "the connection could not be made (see the error)"
    } else {
        return None;
    })
}

/// Where the requests to one endpoint went and what came back.
#[derive(Default)]
struct Endpoint {
    /// The path of the first request, as sent.
    path: String,
    answered: usize,
    /// How the answers that prove it lost came, each said once (`404`, `an HTML page`).
    evidence: std::collections::BTreeSet<&'static str>,
    proven: usize,
    /// A case to it passed (or deviated as known): the endpoint is there.
    passed: bool,
}

/// Why `r`'s answer shows its endpoint is not there, if it does: 404 or 405 where the case
/// did not document that status, or an HTML page where JSON was expected, with no redirect.
fn evidence(r: &Record, resp: &crate::records::record::ResponseSummary) -> Option<&'static str> {
    if (300..400).contains(&resp.status) || resp.status == r.documents.status {
        return None;
    }
    match resp.status {
        404 => return Some("404"),
        405 => return Some("405"),
        _ => {}
    }
    let page = resp
        .headers
        .iter()
        .any(|(n, v)| n == "content-type" && crate::checks::check::media_type(v) == "text/html");
    let wants_json = r.checks.iter().any(|c| match &c.check {
        crate::checks::check::CheckId::MediaType => c.requires.contains("json"),
        crate::checks::check::CheckId::Schema(_) | crate::checks::check::CheckId::Body(_) => true,
        _ => false,
    });
    (page && wants_json).then_some("an HTML page where JSON was expected")
}

/// Endpoints whose every answer proves the run looked in the wrong place (see [`evidence`])
/// and to which no case passed: one hint each, naming the variable to set (the one the cases'
/// request path begins with) and a value of the form that resolves where it says: a path from
/// the origin's root. A path the case files write themselves can only be moved by --target.
fn lost_endpoints(
    records: &[Record],
    declared: &[vars::Variable],
    target: &url::Url,
) -> Vec<String> {
    let mut by_endpoint: BTreeMap<(Option<&str>, String), Endpoint> = BTreeMap::new();
    for r in records {
        let (Some(req), Some(resp)) = (&r.request, &r.response) else {
            continue;
        };
        let Ok(url) = url::Url::parse(&req.url) else {
            continue;
        };
        // Cases on one variable are one endpoint; cases on a path of their own, one per path.
        let key = match r.endpoint.as_deref() {
            Some(name) => (Some(name), String::new()),
            None => (None, url.path().to_owned()),
        };
        let entry = by_endpoint.entry(key).or_default();
        if entry.path.is_empty() {
            entry.path = url.path().to_owned();
        }
        entry.answered += 1;
        entry.passed |= matches!(r.verdict, Verdict::Pass | Verdict::KnownDeviation { .. });
        if let Some(why) = evidence(r, resp) {
            entry.proven += 1;
            entry.evidence.insert(why);
        }
    }
    let prefix = target.path().trim_end_matches('/');
    by_endpoint
        .into_iter()
        .filter(|(_, e)| !e.passed && e.answered > 0 && e.proven == e.answered)
        .map(|((variable, _), e)| {
            let cases = match e.answered {
                1 => "the one case".to_owned(),
                n => format!("all {n} cases"),
            };
            let how: Vec<&str> = e.evidence.into_iter().collect();
            let how = match how.split_last() {
                Some((last, [])) => (*last).to_owned(),
                Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
                None => String::new(),
            };
            let were = if e.answered == 1 { "was" } else { "were" };
            let said = format!("{cases} sent to {} {were} answered with {how}", e.path);
            // A default went under --target's path: that path may be what is wrong.
            let default = variable.and_then(|name| {
                declared
                    .iter()
                    .find(|v| v.name == name)?
                    .default
                    .as_deref()
                    .filter(|d| !prefix.is_empty() && e.path == format!("{prefix}{d}"))
            });
            let check_target = default
                .map(|d| format!("check --target (its path {prefix} goes before the default {d}), or "))
                .unwrap_or_default();
            match variable {
                Some(name) => format!(
                    "{said}: the server does not serve `{name}` there; {check_target}say where it does as its full path from the origin's root (--var {name}=/PATH), or give --discover"
                ),
                None if prefix.is_empty() => {
                    format!("{said}: a path the case files write; check --target")
                }
                None => format!(
                    "{said}: a path the case files write, under --target's path {prefix}; check --target"
                ),
            }
        })
        .collect()
}

/// A variable that skipped cases need and the run does not set, with every way to set it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MissingVariable {
    pub name: String,
    /// Whether it is a secret (set it as one, and it is masked everywhere).
    pub secret: bool,
    /// What it stands for, as its declaration says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meaning: Option<String>,
    /// How to get it on an Auth0 tenant, as its declaration says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_auth0: Option<String>,
    /// The cases it would let run, by id.
    pub cases: Vec<String>,
    /// The ways to set it, most private first for a secret.
    pub set_with: Vec<String>,
}

/// The skipped cases' variables, grouped by name (sorted), each with its cases.
pub fn missing_variables(records: &[Record], declared: &[vars::Variable]) -> Vec<MissingVariable> {
    let mut by_name: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for r in records {
        if let Verdict::Skip { missing, .. } = &r.verdict {
            for name in missing {
                by_name.entry(name).or_default().push(r.id.clone());
            }
        }
    }
    by_name
        .into_iter()
        .map(|(name, cases)| {
            let declaration = declared.iter().find(|v| v.name == name);
            let secret = vars::looks_secret(name) || declaration.is_some_and(|v| v.secret);
            let set_with = if secret {
                vec![
                    format!("{}=VALUE", vars::secret_env_name(name)),
                    format!("--secret {name}=VALUE"),
                    format!("\"{name}\": {{\"secret\": \"VALUE\"}} in a --vars file"),
                ]
            } else {
                vec![
                    format!("--var {name}=VALUE"),
                    format!(
                        "{}{}=VALUE",
                        vars::ENV_VAR_PREFIX,
                        name.to_ascii_uppercase()
                    ),
                    format!("\"{name}\": \"VALUE\" in a --vars file"),
                ]
            };
            MissingVariable {
                name: name.to_owned(),
                secret,
                meaning: declaration.map(|v| v.meaning.clone()),
                on_auth0: declaration.and_then(|v| v.on_auth0.clone()),
                cases,
                set_with,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tally(passed: usize, skipped: usize, not_run: usize) -> Tally {
        Tally {
            passed,
            skipped,
            not_run,
            ..Tally::default()
        }
    }

    #[test]
    fn nothing_tested_fails_unless_allowed() {
        let strict = GatePolicy::default();
        assert_eq!(
            gate(&tally(0, 3, 0), strict, None),
            [GateFailure::NothingTested {
                selected: 3,
                skipped: 3,
                not_applicable: 0
            }]
        );
        assert_eq!(
            gate(&tally(0, 0, 0), strict, None)[0].to_string(),
            "nothing was tested: no case was selected (--no-tests=warn or =pass allows that)"
        );
        for no_tests in [NoTests::Warn, NoTests::Pass] {
            let policy = GatePolicy { no_tests, ..strict };
            assert!(gate(&tally(0, 3, 0), policy, None).is_empty());
        }
        assert!(gate(&tally(1, 3, 0), strict, None).is_empty());
    }

    /// A record of a case on `endpoint` (None: a path of the case file's own) that documents
    /// `documented` and was answered `status` with `content_type`, expecting JSON.
    fn answered(
        verdict: Verdict,
        endpoint: Option<&str>,
        url: &str,
        (documented, status, content_type): (u16, u16, &str),
    ) -> Record {
        use crate::checks::check::{CheckId, CheckOutcome, Outcome};
        let mut r = Record::blank(&crate::catalogue::case::tests_support::case("t/x"));
        r.verdict = verdict;
        r.endpoint = endpoint.map(str::to_owned);
        r.documents.status = documented;
        r.request = Some(crate::records::record::RequestSummary {
            method: "POST".into(),
            url: url.into(),
            curl: String::new(),
        });
        r.response = Some(crate::records::record::ResponseSummary {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body_bytes: 0,
            truncated: false,
            body_preview: String::new(),
        });
        r.checks = vec![CheckOutcome {
            check: CheckId::MediaType,
            requires: "is application/json".into(),
            advisory: false,
            outcome: Outcome::Failed,
        }];
        r
    }

    fn error(message: &str, url: &str) -> Record {
        let mut r = Record::blank(&crate::catalogue::case::tests_support::case("t/e"));
        r.verdict = Verdict::Error {
            message: message.into(),
        };
        r.request = Some(crate::records::record::RequestSummary {
            method: "POST".into(),
            url: url.into(),
            curl: String::new(),
        });
        r
    }

    /// See issue 21, item 4: "5 of 5 requests to /authorize were answered 404 or with an HTML
    /// page" on a server where four of those cases passed (a redirect to a login page, an
    /// empty 200, a 403 page).
    #[test]
    fn a_lost_endpoint_needs_evidence_and_names_its_variable() {
        let target = url::Url::parse("http://h/o").unwrap();
        let revoke = Some("revocation_endpoint");
        let url = "http://h/o/oauth/revoke";
        let lost = |status: u16, html: bool| {
            let ct = if html {
                "text/html"
            } else {
                "application/json"
            };
            answered(Verdict::Fail, revoke, url, (400, status, ct))
        };
        let declared = [crate::catalogue::vars::Variable {
            name: "revocation_endpoint".into(),
            secret: false,
            meaning: "m".into(),
            on_auth0: None,
            default: Some("/oauth/revoke".into()),
        }];
        let hints = |records: &[Record], target: &url::Url| hints(records, &declared, target);
        let said = hints(
            &[lost(404, false), lost(405, false), lost(200, true)],
            &target,
        );
        assert_eq!(
            said,
            [
                "all 3 cases sent to /o/oauth/revoke were answered with 404, 405 or an HTML page where JSON was expected: the server does not serve `revocation_endpoint` there; check --target (its path /o goes before the default /oauth/revoke), or say where it does as its full path from the origin's root (--var revocation_endpoint=/PATH), or give --discover"
            ]
        );
        // A value the run gave: only where it points is wrong.
        let given = answered(
            Verdict::Fail,
            revoke,
            "http://h/o/revoke",
            (400, 404, "text/plain"),
        );
        assert_eq!(
            hints(&[given], &target),
            [
                "the one case sent to /o/revoke was answered with 404: the server does not serve `revocation_endpoint` there; say where it does as its full path from the origin's root (--var revocation_endpoint=/PATH), or give --discover"
            ]
        );
        // No evidence: a redirect (to a login page, HTML or not), an empty 200, a 404 the case
        // documents, a case that passed, or one answer that is not evidence among several.
        for records in [
            vec![lost(302, true), lost(404, false)],
            vec![lost(200, false)],
            vec![answered(
                Verdict::Fail,
                revoke,
                url,
                (404, 404, "text/html"),
            )],
            vec![
                lost(404, false),
                answered(Verdict::Pass, revoke, url, (400, 400, "application/json")),
            ],
            vec![lost(404, false), lost(400, false)],
        ] {
            assert!(hints(&records, &target).is_empty(), "{records:#?}");
        }
        // An HTML page is evidence only where JSON was expected.
        let mut page = lost(403, true);
        page.checks.clear();
        assert!(hints(&[page], &target).is_empty());
        // A path the case file writes: only --target moves it.
        let own = answered(
            Verdict::Fail,
            None,
            "http://h/o/userinfo",
            (401, 404, "text/plain"),
        );
        assert_eq!(
            hints(&[own], &target),
            [
                "the one case sent to /o/userinfo was answered with 404: a path the case files write, under --target's path /o; check --target"
            ]
        );
    }

    #[test]
    fn an_unreachable_target_is_one_hint_naming_it_and_the_cause() {
        let target = url::Url::parse("http://127.0.0.1:9").unwrap();
        let at = "http://127.0.0.1:9/oauth/token";
        for (message, cause) in [
            (
                "could not connect to 127.0.0.1:9: Connection refused (os error 111)",
                "connection refused",
            ),
            (
                "could not connect to 127.0.0.1:9: TLS handshake failed: received corrupt message of type InvalidContentType",
                "is it http://, not https://?",
            ),
            (
                "failed while sending the request (127.0.0.1:9): client error (SendRequest): invalid HTTP version parsed",
                "is it https://, not http://?",
            ),
            (
                "could not connect to nowhere.invalid:80: failed to lookup address information: Name or service not known",
                "does not resolve",
            ),
            (
                "timed out after 10s while sending the request (127.0.0.1:9)",
                "within --timeout",
            ),
        ] {
            let records = vec![error(message, at); 26];
            let said = hints(&records, &[], &target);
            assert_eq!(said.len(), 1, "{said:?}");
            assert!(
                said[0].starts_with("cannot reach the target http://127.0.0.1:9: ")
                    && said[0].contains(cause)
                    && said[0].ends_with("(26 of 26 cases sent could not be judged for it)"),
                "{}",
                said[0]
            );
        }
        // One answer is enough to show the target is reached; a message that is not about
        // the connection is no hint.
        let some = [
            error("could not connect to 127.0.0.1:9: Connection refused", at),
            answered(Verdict::Pass, None, at, (400, 400, "application/json")),
        ];
        assert!(hints(&some, &[], &target).is_empty());
        assert!(hints(&[error("the pattern timed out", at)], &[], &target).is_empty());
    }

    #[test]
    fn skips_fail_when_asked_and_interruption_always_fails() {
        let policy = GatePolicy {
            fail_on_skip: true,
            ..GatePolicy::default()
        };
        assert_eq!(
            gate(&tally(1, 2, 0), policy, None),
            [GateFailure::Skipped { cases: 2 }]
        );
        // Not applicable is not a skip: --fail-on-skip lets it be.
        let not_applicable = Tally {
            not_applicable: 3,
            ..tally(1, 0, 0)
        };
        assert!(gate(&not_applicable, policy, None).is_empty());
        let only = Tally {
            not_applicable: 3,
            ..tally(0, 1, 0)
        };
        let failures = gate(&only, policy, None);
        assert_eq!(
            failures,
            [
                GateFailure::Skipped { cases: 1 },
                GateFailure::NothingTested {
                    selected: 4,
                    skipped: 1,
                    not_applicable: 3
                }
            ]
        );
        assert_eq!(
            failures[1].to_string(),
            "nothing was tested: of 4 selected cases, 1 skipped and 3 not applicable (--no-tests=warn or =pass allows that)"
        );
        assert_eq!(
            gate(&tally(1, 0, 4), GatePolicy::default(), Some("SIGTERM")),
            [GateFailure::Interrupted {
                signal: "SIGTERM".into(),
                not_run: 4
            }]
        );
    }
}

/// Snapshots of every rendering of one fixed set of records, so that a change to any report is
/// seen in review (`cargo insta review`, or `INSTA_UPDATE=always cargo test` and `git diff`).
#[cfg(test)]
mod snapshots {
    use std::time::Duration;

    use super::*;
    use crate::{
        checks::check::{CheckId, CheckOutcome, Outcome, Violation},
        records::record::{Finding, RequestSummary, ResponseSummary, Wait},
        report::terminal::Styles,
    };

    fn record(id: &str, verdict: Verdict) -> Record {
        let mut r = Record::blank(&crate::catalogue::case::tests_support::case(id));
        r.title = format!("what {id} provokes");
        r.file = format!("cases/{id}.json");
        r.verdict = verdict;
        r.elapsed = Duration::from_micros(12_345);
        r
    }

    fn sent(mut r: Record, status: u16, body: &str) -> Record {
        r.attempts = 1;
        r.request = Some(RequestSummary {
            method: "POST".into(),
            url: "https://tenant.example/oauth/token".into(),
            curl: "curl -i -X POST https://tenant.example/oauth/token --data-urlencode 'client_secret=***'".into(),
        });
        r.response = Some(ResponseSummary {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body_bytes: body.len(),
            truncated: false,
            body_preview: body.into(),
        });
        r.checks = vec![CheckOutcome {
            check: CheckId::Status,
            requires: "is 401".into(),
            advisory: false,
            outcome: if status == 401 {
                Outcome::Passed
            } else {
                Outcome::Failed
            },
        }];
        r
    }

    fn records() -> Vec<Record> {
        let mut pass = sent(
            record("token/a-pass", Verdict::Pass),
            401,
            r#"{"error":"invalid_client","error_description":"x"}"#,
        );
        // Only the HTML report shows refs, and links only the http(s) ones.
        pass.refs = vec![
            "https://www.rfc-editor.org/rfc/rfc6749#section-5.2".into(),
            "javascript:alert(1)".into(),
        ];
        let mut fail = sent(
            record("token/b-fail", Verdict::Fail),
            400,
            r#"{"error":"invalid_request"}"#,
        );
        fail.violations = vec![
            Violation::new(CheckId::Status, "expected 401, got 400"),
            Violation::new(
                CheckId::Body("/error".into()),
                r#"expected "invalid_client", got "invalid_request""#,
            ),
        ];
        fail.warnings = vec![Violation::new(
            CheckId::Header("cache-control".into()),
            "expected a value matching {\"pattern\":\"no-store\"}, got no such header",
        )];
        fail.attempts = 2;
        fail.waits = vec![Wait {
            reason: crate::records::record::WaitReason::RateLimited,
            duration: Duration::from_secs(1),
        }];
        let error = record(
            "token/c-error",
            Verdict::Error {
                message:
                    "could not connect to tenant.example:443: Connection refused (os error 111)"
                        .into(),
            },
        );
        let skip = record(
            "token/d-skip",
            Verdict::Skip {
                reason: "not sent: this run does not set `audience`".into(),
                missing: vec!["audience".into()],
            },
        );
        let mut known = sent(
            record(
                "token/e-known",
                Verdict::KnownDeviation {
                    reasons: vec!["body /error: tenants send invalid_grant".into()],
                },
            ),
            403,
            r#"{"error":"invalid_grant"}"#,
        );
        known.violations = vec![Violation::new(
            CheckId::Body("/error".into()),
            r#"expected "access_denied", got "invalid_grant""#,
        )];
        let mut stale = sent(record("token/f-stale", Verdict::Fail), 401, "{}");
        stale.stale_deviations = vec![Finding {
            case: "token/f-stale".into(),
            check: CheckId::Body("/error".into()),
            problem: "no longer observed: remove it from dev.json".into(),
        }];
        let not_run = record("token/g-not-run", Verdict::NotRun);
        let not_applicable = record(
            "token/h-not-applicable",
            Verdict::NotApplicable {
                reason: "this server has no revocation endpoint".into(),
                variables: vec!["revocation_endpoint".into()],
            },
        );
        vec![
            pass,
            fail,
            error,
            skip,
            known,
            stale,
            not_run,
            not_applicable,
        ]
    }

    fn with_info(check: impl FnOnce(&[Record], &RunInfo<'_>)) {
        let records = records();
        let tally = Tally::of(&records);
        let gate = gate(&tally, GatePolicy::default(), Some("SIGTERM"));
        let declared = [vars::Variable {
            name: "audience".into(),
            secret: false,
            meaning: "an API identifier".into(),
            on_auth0: Some("Applications > APIs".into()),
            default: None,
        }];
        let missing = missing_variables(&records, &declared);
        let info = RunInfo {
            target: "https://tenant.example/",
            cases: "the built-in cases",
            schemas: "the built-in schemas",
            elapsed: Duration::from_millis(1234),
            deviations: Some("dev.json"),
            interrupted: Some("SIGTERM"),
            tally,
            gate: &gate,
            missing: &missing,
            hints: &[
                "all 2 cases sent to /oauth/token were answered with 404: the server does not serve `token_endpoint` there; …"
                    .to_owned(),
            ],
            discovered: None,
        };
        check(&records, &info);
    }

    #[test]
    fn terminal() {
        with_info(|records, info| {
            let s = Styles::plain();
            let details: Vec<String> = records
                .iter()
                .map(|r| format!("---- {} ----\n{}", r.id, terminal::detail(r, &s)))
                .collect();
            insta::assert_snapshot!("terminal-detail", details.join("\n\n"));
            insta::assert_snapshot!(
                "terminal-closing",
                format!(
                    "{}{}",
                    terminal::notes(records, info, &s),
                    terminal::summary(info, NoTests::Fail, &s)
                )
            );
        });
    }

    #[test]
    fn junit() {
        with_info(|records, info| {
            insta::assert_snapshot!("junit", junit::render(records, info));
        });
    }

    #[test]
    fn json() {
        with_info(|records, info| {
            insta::assert_snapshot!("json", json::render(records, info));
        });
    }

    #[test]
    fn html() {
        with_info(|records, info| {
            insta::assert_snapshot!("html", html::render(records, info));
        });
    }

    #[test]
    fn github() {
        with_info(|records, info| {
            insta::assert_snapshot!("github-annotations", github::annotations(records, info));
            insta::assert_snapshot!("github-summary", github::summary(records, info));
        });
    }
}
