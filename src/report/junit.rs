//! JUnit XML (through quick-junit), in the shape Jenkins, GitLab and the GitHub reporters read:
//! one `<testcase>` per case (name = case id, classname = its folder), `<failure>` for violated
//! checks with the full detail as the element's text, `<error>` for a case that could not be
//! judged, `<skipped message="reason">` for a skip or a known deviation. Deviations-file entries
//! that fail the run are one more failing testcase, `deviations-file`.

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use crate::{
    record::{Record, Verdict},
    report::{
        RunInfo,
        terminal::{self, Styles},
    },
};

/// The JUnit document for `records` (which are already redacted and sorted).
pub fn render(records: &[Record], info: &RunInfo<'_>) -> String {
    let mut suite = TestSuite::new("authconform");
    suite.set_time(info.elapsed);
    suite.add_property(Property::new("target", info.target));
    suite.add_property(Property::new("cases", info.cases));
    suite.add_property(Property::new("schemas", info.schemas));
    for record in records {
        suite.add_test_case(test_case(record));
    }
    if let Some(file) = info.deviations {
        suite.add_property(Property::new("deviations", file));
        let status = if info.findings.is_empty() {
            TestCaseStatus::success()
        } else {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            let text = terminal::findings(info.findings, file, &Styles::plain());
            status
                .set_message(format!(
                    "{} entries of {file} fail the run",
                    info.findings.len()
                ))
                .set_type("deviations")
                .set_description(text);
            status
        };
        let mut case = TestCase::new("deviations-file", status);
        case.set_classname("deviations");
        suite.add_test_case(case);
    }
    let mut report = Report::new("authconform");
    report.set_time(info.elapsed);
    report.add_test_suite(suite);
    report
        .to_string()
        .expect("quick-junit serializes to a String without I/O errors")
}

fn test_case(record: &Record) -> TestCase {
    let detail = || terminal::detail(record, &Styles::plain());
    let status = match &record.verdict {
        Verdict::Pass => TestCaseStatus::success(),
        Verdict::Fail => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            let first = record
                .violations
                .first()
                .map(|v| format!("{}: {}", v.check, v.message))
                .unwrap_or_default();
            let more = record.violations.len().saturating_sub(1);
            let message = if more > 0 {
                format!("{first} (and {more} more)")
            } else {
                first
            };
            status
                .set_message(message)
                .set_type("check")
                .set_description(detail());
            status
        }
        Verdict::Error { message } => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
            status
                .set_message(message.as_str())
                .set_type("error")
                .set_description(detail());
            status
        }
        Verdict::KnownDeviation { reasons } => {
            let mut status = TestCaseStatus::skipped();
            status
                .set_message(format!("known deviation: {}", reasons.join("; ")))
                .set_description(detail());
            status
        }
        Verdict::Skip { reason } => {
            let mut status = TestCaseStatus::skipped();
            status.set_message(reason.as_str());
            status
        }
    };
    let mut case = TestCase::new(record.id.as_str(), status);
    case.set_classname(record.group.as_str());
    case.set_time(record.elapsed);
    case.add_property(Property::new("file", record.file.as_str()));
    case.add_property(Property::new(
        "documented.status",
        record.documents.status.to_string(),
    ));
    if let Some(error) = &record.documents.error {
        case.add_property(Property::new("documented.error", error.as_str()));
    }
    if let Some(description) = &record.documents.description {
        case.add_property(Property::new(
            "documented.description",
            description.as_str(),
        ));
    }
    let mut out: Vec<String> = Vec::new();
    if let Some(note) = &record.rate_limit {
        out.push(format!("rate limit: {note}"));
    }
    if matches!(
        record.verdict,
        Verdict::Pass | Verdict::KnownDeviation { .. }
    ) {
        out.extend(
            record
                .warnings
                .iter()
                .map(|w| format!("warning: {}: {}", w.check, w.message)),
        );
    }
    if !out.is_empty() {
        case.set_system_out(out.join("\n"));
    }
    case
}
