//! Known deviations (`run --deviations FILE`): departures from the documentation that a team
//! accepts on purpose. A failing case whose every violation is listed becomes a known
//! deviation; a listed deviation that is no longer observed, or past its expiry date, fails the
//! case it names (and so the run), so that the file cannot rot. Findings sit on the case's
//! record, so every report counts the same cases and shows the stale entry where it applies.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{
    base::error::{Error, Problem},
    base::schema::{self, FormatSchema},
    base::source::Profile,
    catalogue::case::Case,
    checks::check::{Check, CheckId},
    records::record::{Finding, Record, Verdict},
};

/// The name of the built-in set of what real Auth0 tenants are seen to send, each entry with
/// its public evidence (`cases/auth0/auth0-observed.deviations.json`).
pub const AUTH0_OBSERVED: &str = "auth0-observed";

/// The text of a built-in known-deviations set, by its name.
fn built_in(name: &str) -> Option<String> {
    (name == AUTH0_OBSERVED).then(|| {
        crate::catalogue::seed::built_in(Profile::Auth0, "auth0-observed.deviations.json").text
    })
}

/// The format's schema, built in.
pub const SCHEMA: &str = "deviations.schema.json";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(rename = "$schema")]
    _schema: Option<String>,
    deviations: Vec<Accepted>,
}

/// One accepted deviation.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Accepted {
    pub case: String,
    pub check: CheckId,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

impl Accepted {
    /// Whether the entry is past its last day; dates are `YYYY-MM-DD`, so they compare as text.
    fn expired(&self, today: &str) -> bool {
        self.expires.as_deref().is_some_and(|last| last < today)
    }
}

/// The loaded file.
#[derive(Debug, Clone)]
pub struct Deviations {
    pub file: String,
    pub entries: Vec<Accepted>,
}

impl Deviations {
    /// Reads and validates the file against its schema and against the catalogue: every entry
    /// must name a case that exists and a check that case makes.
    pub fn load(path: &str, cases: &[Case]) -> Result<Deviations, Error> {
        let text = match built_in(path) {
            Some(text) => text,
            None => {
                crate::base::source::read_input(std::path::Path::new(path), "known-deviations file")
                    .map_err(|e| Error::Usage(format!("--deviations {path}: {e}")))?
                    .0
            }
        };
        let value: Value = serde_json::from_str(&text)
            .map_err(|e| Error::Load(vec![schema::json_problem(path, &e)]))?;
        let located = |mut p: Problem| {
            p.position = crate::base::locate::locate(&text, &p.pointer);
            p
        };
        let problems: Vec<Problem> = FormatSchema::named(SCHEMA)
            .problems(path, &value)
            .into_iter()
            .map(located)
            .collect();
        if !problems.is_empty() {
            return Err(Error::Load(problems));
        }
        let parsed: File = serde_path_to_error::deserialize(&value).map_err(|e| {
            let pointer = schema::pointer_of(e.path());
            Error::Load(vec![located(Problem::new(
                path,
                pointer,
                e.into_inner().to_string(),
            ))])
        })?;
        let mut problems = Vec::new();
        for (i, entry) in parsed.deviations.iter().enumerate() {
            let pointer = format!("/deviations/{i}");
            let Some(case) = cases.iter().find(|c| c.id == entry.case) else {
                let ids: Vec<&str> = cases.iter().map(|c| c.id.as_str()).collect();
                let hint = schema::closest(&entry.case, &ids)
                    .map(|c| format!(" (did you mean `{c}`?)"))
                    .unwrap_or_default();
                problems.push(located(Problem::new(
                    path,
                    format!("{pointer}/case"),
                    format!("no case `{}`{hint}", entry.case),
                )));
                continue;
            };
            let mut checks: Vec<CheckId> = case.checks.iter().map(Check::id).collect();
            checks.push(CheckId::Readable);
            if !checks.contains(&entry.check) {
                problems.push(located(Problem::new(
                    path,
                    format!("{pointer}/check"),
                    format!(
                        "case `{}` makes no check `{}`; its checks are: {}",
                        entry.case,
                        entry.check,
                        checks
                            .iter()
                            .map(CheckId::to_string)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )));
            }
        }
        if !problems.is_empty() {
            return Err(Error::Load(problems));
        }
        Ok(Deviations {
            file: path.to_owned(),
            entries: parsed.deviations,
        })
    }

    /// Judges the entries for `record`'s case, once it has run. An entry whose check the case
    /// no longer violates, or whose last day has passed, is a [`Finding`] on the record, which
    /// then fails; otherwise a failure whose every violation is accepted becomes a known
    /// deviation. A case that was not judged (skipped, errored, not run) says nothing.
    pub fn apply(&self, record: &mut Record, today: &str) {
        if !matches!(record.verdict, Verdict::Pass | Verdict::Fail) {
            return;
        }
        let entries: Vec<&Accepted> = self
            .entries
            .iter()
            .filter(|e| e.case == record.id)
            .collect();
        for entry in &entries {
            let observed = record.violations.iter().any(|v| v.check == entry.check);
            let problem = if !observed {
                format!("no longer observed: remove it from {}", self.file)
            } else if entry.expired(today) {
                let last = entry.expires.as_deref().unwrap_or_default();
                format!("expired on {last}: renew the entry or fix the server")
            } else {
                continue;
            };
            record.stale_deviations.push(Finding {
                case: entry.case.clone(),
                check: entry.check.clone(),
                problem,
            });
        }
        if !record.stale_deviations.is_empty() {
            record.verdict = Verdict::Fail;
            return;
        }
        if record.verdict != Verdict::Fail {
            return;
        }
        let accepted = |check: &CheckId| {
            entries
                .iter()
                .find(|e| e.check == *check && !e.expired(today))
        };
        let reasons: Option<Vec<String>> = record
            .violations
            .iter()
            .map(|v| accepted(&v.check).map(|e| format!("{}: {}", v.check, e.reason)))
            .collect();
        if let Some(reasons) = reasons {
            record.verdict = Verdict::KnownDeviation { reasons };
        }
    }
}

/// Today's date in UTC as `YYYY-MM-DD`.
pub fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    civil_date(secs / 86_400)
}

/// The calendar date of a day number since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_date(days: u64) -> String {
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::check::Violation;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(11_016), "2000-02-29");
        assert_eq!(civil_date(20_784), "2026-11-27");
        assert_eq!(today().len(), 10);
    }

    fn record(verdict: Verdict, checks: &[&str]) -> Record {
        let mut r = Record::blank(&crate::catalogue::case::tests_support::case("token/x"));
        r.verdict = verdict;
        r.violations = checks
            .iter()
            .map(|c| Violation::new(c.parse().unwrap(), "m"))
            .collect();
        r
    }

    fn deviations(entries: &[(&str, Option<&str>)]) -> Deviations {
        Deviations {
            file: "dev.json".into(),
            entries: entries
                .iter()
                .map(|(check, expires)| Accepted {
                    case: "token/x".into(),
                    check: check.parse().unwrap(),
                    reason: "why".into(),
                    expires: expires.map(str::to_owned),
                })
                .collect(),
        }
    }

    #[test]
    fn a_failure_is_known_only_when_every_violation_is_accepted() {
        let d = deviations(&[("body /error", None)]);
        let mut r = record(Verdict::Fail, &["body /error"]);
        d.apply(&mut r, "2026-11-27");
        assert_eq!(
            r.verdict,
            Verdict::KnownDeviation {
                reasons: vec!["body /error: why".into()]
            }
        );
        let mut r = record(Verdict::Fail, &["body /error", "status"]);
        d.apply(&mut r, "2026-11-27");
        assert_eq!(r.verdict, Verdict::Fail);
        assert!(r.stale_deviations.is_empty());
    }

    #[test]
    fn stale_and_expired_entries_fail_the_case_they_name() {
        let d = deviations(&[("body /error", None), ("status", Some("2026-11-26"))]);
        let mut r = record(Verdict::Pass, &[]);
        d.apply(&mut r, "2026-11-27");
        let problems: Vec<&str> = r
            .stale_deviations
            .iter()
            .map(|f| f.problem.as_str())
            .collect();
        assert_eq!(
            problems,
            [
                "no longer observed: remove it from dev.json",
                "no longer observed: remove it from dev.json"
            ]
        );
        assert_eq!(r.verdict, Verdict::Fail);
        // Observed but past its last day: not accepted, and said so.
        let mut r = record(Verdict::Fail, &["body /error", "status"]);
        d.apply(&mut r, "2026-11-27");
        assert_eq!(r.verdict, Verdict::Fail);
        assert_eq!(
            r.stale_deviations,
            [Finding {
                case: "token/x".into(),
                check: CheckId::Status,
                problem: "expired on 2026-11-26: renew the entry or fix the server".into()
            }]
        );
        // The last day itself is still accepted.
        let mut r = record(Verdict::Fail, &["body /error", "status"]);
        d.apply(&mut r, "2026-11-26");
        assert!(
            matches!(r.verdict, Verdict::KnownDeviation { .. }),
            "{:?}",
            r.verdict
        );
        // A case that was not judged says nothing either way.
        for verdict in [
            Verdict::Error {
                message: "x".into(),
            },
            Verdict::NotRun,
            Verdict::Skip {
                reason: "r".into(),
                missing: vec![],
            },
        ] {
            let mut r = record(verdict.clone(), &[]);
            d.apply(&mut r, "2026-11-26");
            assert_eq!(r.verdict, verdict);
            assert!(r.stale_deviations.is_empty());
        }
    }
}
