use authconform::reference::Fault;
use quick_junit::{NonSuccessKind, Report, TestCaseStatus};

use crate::util::*;

fn report(path: &std::path::Path) -> Report {
    Report::deserialize_from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn a_failing_run_writes_one_testcase_per_case_with_the_failure_text_inside() {
    let server = server(Some(Fault::InvalidClientAs400));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("junit.xml");
    let out = output(run_against(&server.url).arg("--junit").arg(&path));
    assert_eq!(out.code, 1);
    let report = report(&path);
    let suite = &report.test_suites[0];
    let ids = builtin_ids();
    assert_eq!(suite.test_cases.len(), ids.len());
    assert_eq!(suite.failures, 4);
    assert_eq!(suite.errors, 0);
    let names: Vec<&str> = suite.test_cases.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ids, "one testcase per case, sorted by id");
    let case = suite
        .test_cases
        .iter()
        .find(|c| c.name.as_str() == "token/wrong-client-secret")
        .unwrap();
    assert_eq!(case.classname.as_ref().unwrap().as_str(), "token");
    let TestCaseStatus::NonSuccess {
        kind,
        message,
        description,
        ..
    } = &case.status
    else {
        panic!("{:?}", case.status)
    };
    assert_eq!(*kind, NonSuccessKind::Failure);
    assert_eq!(
        message.as_ref().unwrap().as_str(),
        "status: expected 401, got 400"
    );
    let text = description.as_ref().unwrap().as_str();
    assert!(
        text.contains("✗ status: expected 401, got 400") && text.contains("reproduce:"),
        "{text}"
    );
    assert!(!text.contains('\u{1b}'), "no colour codes in JUnit");
    // junit-10.xsd has no <properties> in a <testcase>: the case's facts are its system-out.
    assert!(case.properties.is_empty());
    assert_eq!(
        case.system_out.as_ref().unwrap().as_str(),
        "case file: built in (authconform export --profile auth0 DIR writes DIR/cases/token/wrong-client-secret.json)\ndocuments: 401 invalid_client"
    );
}

#[test]
fn errors_and_skips_are_their_own_elements() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("junit.xml");
    let url = closed_port_url();
    let out = output(
        authconform()
            .args(["run", "--target", &url, "--var", "client_id=x", "--junit"])
            .arg(&path),
    );
    assert_eq!(out.code, 1);
    let suite = &report(&path).test_suites[0];
    // The cases that need only client_id are sent and cannot connect; the rest are skipped.
    let skipped = suite
        .test_cases
        .iter()
        .filter(|c| matches!(c.status, TestCaseStatus::Skipped { .. }))
        .count();
    assert!(
        suite.errors >= 1 && skipped >= 1,
        "{} errors, {skipped} skipped",
        suite.errors
    );
    assert_eq!(suite.errors + skipped, builtin_ids().len());
    for case in &suite.test_cases {
        match &case.status {
            TestCaseStatus::NonSuccess {
                kind: NonSuccessKind::Error,
                message,
                ..
            } => {
                assert!(
                    message
                        .as_ref()
                        .unwrap()
                        .as_str()
                        .contains("Connection refused")
                );
            }
            TestCaseStatus::Skipped { message, .. } => {
                assert!(
                    message
                        .as_ref()
                        .unwrap()
                        .as_str()
                        .contains("not sent: this run does not set")
                );
            }
            other => panic!("{}: {other:?}", case.name.as_str()),
        }
    }
}

#[test]
fn a_passing_run_has_no_failures() {
    let server = server(None);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("junit.xml");
    let out = output(run_against(&server.url).arg("--junit").arg(&path));
    assert_eq!(out.code, 0);
    assert!(
        out.stdout
            .contains(&format!("JUnit report written to {}", path.display()))
    );
    let suite = &report(&path).test_suites[0];
    assert_eq!(
        (suite.tests, suite.failures, suite.errors),
        (builtin_ids().len(), 0, 0)
    );
}
