//! JUnit XML (through quick-junit), valid against the schema most consumers follow, the Jenkins
//! xunit plugin's `junit-10.xsd`: one `<testcase>` per selected case (name = case id,
//! classname = its folder), `<failure>` for violated checks and stale known-deviations entries
//! with the full detail as the element's text, `<error>` for a case that could not be judged or
//! that an interruption left not run, `<skipped message="…">` for a skip (a `<failure>` under
//! `--fail-on-skip`, where a skip fails the gate) or a known deviation: whatever fails the gate
//! on a case fails it where JUnit consumers look.
//! What the schema has no element for (the case file, the documented row, warnings) goes in
//! `<system-out>`; the gate's failures and an interruption go in the suite's `<system-err>`.

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use crate::{
    records::record::{NOT_RUN_WHY, Record, Verdict, failing_skip},
    report::{
        GateFailure, RunInfo,
        terminal::{self, Styles},
    },
};

/// The JUnit document for `records` (which are already fit for output and sorted).
pub fn render(records: &[Record], info: &RunInfo<'_>) -> String {
    let mut suite = TestSuite::new("authconform");
    suite.set_time(info.elapsed);
    suite.add_property(Property::new("target", info.target));
    suite.add_property(Property::new("cases", info.cases));
    suite.add_property(Property::new("schemas", info.schemas));
    if let Some(file) = info.deviations {
        suite.add_property(Property::new("deviations", file));
    }
    if let Some(found) = info.discovered {
        suite.add_property(Property::new("discovery", found.document.as_str()));
        for (name, value) in &found.endpoints {
            suite.add_property(Property::new(format!("discovered.{name}"), value.as_str()));
        }
    }
    if let Some(signal) = info.interrupted {
        suite.add_property(Property::new("interrupted", signal));
    }
    suite.add_property(Property::new(
        "gate",
        if info.ok() { "passed" } else { "failed" },
    ));
    let skips_fail = info
        .gate
        .iter()
        .any(|g| matches!(g, GateFailure::Skipped { .. }));
    for record in records {
        suite.add_test_case(test_case(record, skips_fail));
    }
    if !info.gate.is_empty() {
        let reasons: Vec<String> = info
            .gate
            .iter()
            .map(|r| format!("the gate fails: {r}"))
            .collect();
        suite.set_system_err(reasons.join("\n"));
    }
    let mut report = Report::new("authconform");
    report.set_time(info.elapsed);
    report.add_test_suite(suite);
    let xml = report
        .to_string()
        .expect("quick-junit serializes to a String without I/O errors");
    // junit-10.xsd allows no `skipped` count on <testsuites> (only on <testsuite>), and
    // quick-junit always writes one there. It is the document's first ` skipped="N"`: the
    // <testsuites> tag comes before every other element.
    xml.replacen(&format!(" skipped=\"{}\"", report.skipped), "", 1)
}

fn test_case(record: &Record, skips_fail: bool) -> TestCase {
    let detail = || terminal::detail(record, &Styles::plain());
    let status = match &record.verdict {
        Verdict::Pass => TestCaseStatus::success(),
        Verdict::Fail => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            let mut problems = record.problems().into_iter();
            let first = problems.next().unwrap_or_default();
            let more = problems.count();
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
        Verdict::Skip { reason, .. } if skips_fail => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            status.set_message(failing_skip(reason)).set_type("skip");
            status
        }
        Verdict::Skip { reason, .. } => {
            let mut status = TestCaseStatus::skipped();
            status.set_message(reason.as_str());
            status
        }
        Verdict::NotApplicable { reason, .. } => {
            let mut status = TestCaseStatus::skipped();
            status.set_message(format!("not applicable: {reason}"));
            status
        }
        Verdict::NotRun => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
            status
                .set_message(format!("not run: {NOT_RUN_WHY}"))
                .set_type("not-run");
            status
        }
    };
    let mut case = TestCase::new(record.id.as_str(), status);
    case.set_classname(record.group.as_str());
    case.set_time(record.elapsed);
    let mut out = vec![
        format!("case file: {}", record.file),
        format!("documents: {}", record.documents.summary()),
    ];
    if record.attempts > 1 {
        out.push(format!("requests sent: {}", record.attempts));
    }
    if let Some(note) = record.note_429() {
        out.push(note);
    }
    if let Some(branch) = record.branch.as_ref().filter(|b| b.held) {
        out.push(branch.describe());
    }
    if matches!(
        record.verdict,
        Verdict::Pass | Verdict::KnownDeviation { .. }
    ) {
        out.extend(record.advice().iter().map(|w| format!("warning: {w}")));
    }
    case.set_system_out(out.join("\n"));
    case
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Tally;

    #[test]
    fn the_testsuites_element_has_no_skipped_count() {
        let mut record = Record::blank(&crate::catalogue::case::tests_support::case("token/x"));
        record.verdict = Verdict::Skip {
            reason: "r".into(),
            missing: vec!["a".into()],
        };
        let records = [record];
        let gate = [GateFailure::NothingTested {
            selected: 1,
            skipped: 1,
            not_applicable: 0,
        }];
        let info = RunInfo {
            target: "t",
            cases: "c",
            schemas: "s",
            elapsed: std::time::Duration::from_millis(5),
            deviations: None,
            interrupted: None,
            tally: Tally::of(&records),
            gate: &gate,
            missing: &[],
            hints: &[],
            discovered: None,
        };
        let xml = render(&records, &info);
        let root = xml.lines().find(|l| l.contains("<testsuites")).unwrap();
        assert!(!root.contains("skipped="), "{root}");
        let suite = xml.lines().find(|l| l.contains("<testsuite ")).unwrap();
        assert!(suite.contains("skipped=\"1\""), "{suite}");
        // junit-10.xsd allows <properties> in a <testsuite> only.
        for case in xml.split("<testcase ").skip(1) {
            let case = &case[..case.find("</testcase>").unwrap_or(case.len())];
            assert!(!case.contains("<properties>"), "{case}");
        }
        assert!(
            xml.contains("<system-err>the gate fails: nothing was tested"),
            "{xml}"
        );
    }
}
