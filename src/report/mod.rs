//! Reports: renderings of the run's [`Record`]s. Each format takes the same records and the
//! same [`RunInfo`], whose [`Tally`] and [`GateFailure`]s are computed once, so that every report
//! counts the same cases and fails for the same reasons.

pub mod file;
pub mod github;
pub mod html;
pub mod json;
pub mod junit;
pub mod terminal;

use std::{collections::BTreeMap, fmt, time::Duration};

use serde::Serialize;

use crate::{
    record::{Record, Verdict},
    vars,
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
        let s = |n: &usize| if *n == 1 { "" } else { "s" };
        match self {
            GateFailure::Failed { cases } => write!(f, "{cases} case{} failed", s(cases)),
            GateFailure::Errors { cases } => {
                write!(f, "{cases} case{} could not be judged", s(cases))
            }
            GateFailure::StaleDeviations { entries } => write!(
                f,
                "{entries} known-deviations entr{} no longer hold{} (no longer observed or expired)",
                if *entries == 1 { "y" } else { "ies" },
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
                "nothing was tested: all {skipped} selected case{} were skipped (--no-tests=warn or =pass allows that)",
                s(skipped)
            ),
            GateFailure::NothingTested {
                selected,
                skipped,
                not_applicable,
            } => write!(
                f,
                "nothing was tested: of {selected} selected case{}, {skipped} skipped and {not_applicable} not applicable (--no-tests=warn or =pass allows that)",
                s(selected)
            ),
            GateFailure::Skipped { cases } => write!(
                f,
                "{cases} case{} skipped, and --fail-on-skip makes a skip fail the run",
                s(cases)
            ),
            // Cut short, a run has a case not run; with none, the signal came before any.
            GateFailure::Interrupted { signal, not_run: 0 } => {
                write!(f, "interrupted by {signal} before any case was sent")
            }
            GateFailure::Interrupted { signal, not_run } => write!(
                f,
                "interrupted by {signal}: {not_run} case{} not run",
                s(not_run)
            ),
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

/// What the responses say about the target as a whole: when most requests to one endpoint are
/// answered 404 or with an HTML page, the target or that endpoint's path is likely wrong, and
/// one line says so (naming the endpoint variable whose default it is) instead of every case
/// failing alone.
pub fn hints(records: &[Record], declared: &[vars::Variable]) -> Vec<String> {
    let mut by_endpoint: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for r in records {
        let (Some(req), Some(resp)) = (&r.request, &r.response) else {
            continue;
        };
        let Ok(url) = url::Url::parse(&req.url) else {
            continue;
        };
        let page = resp
            .headers
            .iter()
            .any(|(n, v)| n == "content-type" && v.to_ascii_lowercase().starts_with("text/html"));
        let entry = by_endpoint.entry(url.path().to_owned()).or_default();
        entry.0 += 1;
        if resp.status == 404 || page {
            entry.1 += 1;
        }
    }
    by_endpoint
        .into_iter()
        .filter(|(_, (all, lost))| *all >= 2 && lost * 2 > *all)
        .map(|(path, (all, lost))| {
            let variable = declared
                .iter()
                .find(|v| v.default.as_deref().is_some_and(|d| path.ends_with(d)))
                .map_or_else(
                    || "the cases' paths".to_owned(),
                    |v| format!("--var {}=PATH", v.name),
                );
            format!(
                "{lost} of {all} requests to {path} were answered 404 or with an HTML page: check --target (a path in it prefixes every request), or say where the server serves this endpoint ({variable})"
            )
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
            let upper = name.to_ascii_uppercase();
            let set_with = if secret {
                vec![
                    format!("{}{upper}=VALUE", vars::ENV_SECRET_PREFIX),
                    format!("--secret {name}=VALUE"),
                    format!("\"{name}\": {{\"secret\": \"VALUE\"}} in a --vars file"),
                ]
            } else {
                vec![
                    format!("--var {name}=VALUE"),
                    format!("{}{upper}=VALUE", vars::ENV_VAR_PREFIX),
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
        check::{CheckId, CheckOutcome, Outcome, Violation},
        record::{Finding, RequestSummary, ResponseSummary, Wait},
        report::terminal::Styles,
    };

    fn record(id: &str, verdict: Verdict) -> Record {
        let mut r = Record::blank(&crate::case::tests_support::case(id));
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
            reason: crate::record::WaitReason::RateLimited,
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
                "2 of 2 requests to /oauth/token were answered 404 or with an HTML page: …"
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
