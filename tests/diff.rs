//! `authconform diff`: two real JSON reports from the reference server, one clean and one with
//! a fault, compared as data (`--format json`, checked against schemas/diff.schema.json).

use std::{
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
};

use authconform::{
    base::schema::FormatSchema,
    base::source::Profile,
    reference::{Config, Fault},
};
use serde_json::Value;

use crate::util::{authconform, output, run_profile, server_with};

/// A JSON report of the whole catalogue of `profile` against a reference server with `fault`.
fn report(dir: &Path, name: &str, profile: Profile, fault: Option<Fault>) -> PathBuf {
    let server = server_with(Config {
        profile,
        fault,
        ..Default::default()
    });
    let path = dir.join(name);
    let out = output(
        run_profile(&server.url, profile)
            .arg("--report-json")
            .arg(&path),
    );
    assert_eq!(out.code, i32::from(fault.is_some()), "{}", out.stdout);
    path
}

/// `diff --format json OLD NEW`: the exit code and the document, which must keep its
/// published shape.
fn diff_json(old: &Path, new: &Path) -> (i32, Value) {
    let out = output(
        authconform()
            .args(["diff", "--format", "json"])
            .arg(old)
            .arg(new),
    );
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    let doc: Value = serde_json::from_str(&out.stdout).unwrap();
    let problems = FormatSchema::named("diff.schema.json").problems("diff", &doc);
    assert!(problems.is_empty(), "{problems:#?}");
    (out.code, doc)
}

/// The ids of the built-in cases of `profile` that `fault` aims at (as tests/run.rs finds them).
fn aimed(profile: Profile, fault: Fault) -> BTreeSet<String> {
    let catalogue = crate::util::builtin_catalogue(profile);
    let aims = fault.aims();
    catalogue
        .cases
        .iter()
        .filter(|case| aims(&case.documents))
        .map(|case| case.id.clone())
        .collect()
}

/// A fault changes exactly the cases aimed at it, each from pass to fail, by exactly the
/// checks that catch it, and names the fact the fault bends: the status, the error code in the
/// body, the Location or the challenge, the media type.
#[test]
fn a_fault_changes_exactly_the_cases_it_aims_at_and_names_each_change() {
    let dir = tempfile::tempdir().unwrap();
    let faults = [
        (Profile::Auth0, Fault::InvalidClientAs400, "status"),
        (Profile::Auth0, Fault::InvalidScopeWrongCode, "error"),
        (Profile::Auth0, Fault::ErrorsAsTextPlain, "media_type"),
        (
            Profile::Rfc,
            Fault::RfcAuthorizeInvalidScopeWrongCode,
            "error",
        ),
        (Profile::Rfc, Fault::RfcImplicitErrorInQuery, "error"),
        (
            Profile::Rfc,
            Fault::RfcInvalidTokenWithoutChallenge,
            "error",
        ),
    ];
    let mut clean = BTreeMap::new();
    for (profile, fault, field) in faults {
        let old = clean
            .entry(profile.name())
            .or_insert_with(|| {
                report(
                    dir.path(),
                    &format!("{}.json", profile.name()),
                    profile,
                    None,
                )
            })
            .clone();
        let new = report(dir.path(), &format!("{fault}.json"), profile, Some(fault));
        let (code, doc) = diff_json(&old, &new);
        assert_eq!(code, 1, "{fault}: {doc:#}");
        assert_eq!(doc["changed"], true);
        let cases = doc["cases"].as_array().unwrap();
        let changed: BTreeSet<String> = cases
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(changed, aimed(profile, fault), "{fault}: {doc:#}");
        let caught: BTreeSet<String> = fault.caught_by().iter().map(ToString::to_string).collect();
        for case in cases {
            assert_eq!(case["change"], "changed", "{fault}: {case:#}");
            let changes: BTreeMap<&str, &Value> = case["changes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| (c["field"].as_str().unwrap(), c))
                .collect();
            let verdict = changes["verdict"];
            assert_eq!(
                (&verdict["old"], &verdict["new"]),
                (&"pass".into(), &"fail".into())
            );
            let violated: BTreeSet<String> =
                serde_json::from_value(changes["violations"]["new"].clone()).unwrap();
            assert_eq!(violated, caught, "{fault}: {case:#}");
            let bent = changes
                .get(field)
                .unwrap_or_else(|| panic!("{fault}: no {field} change in {case:#}"));
            assert_eq!(bent["old"], case["old"][field]);
            assert_eq!(bent["new"], case["new"][field]);
            assert_ne!(bent["old"], bent["new"]);
        }
    }
}

/// Two runs differ in their run ids, ports, timings and rate-limit headers, never in what the
/// server answered: no change, exit 0. The same report twice: no change either.
#[test]
fn runs_without_a_fault_show_no_change() {
    let dir = tempfile::tempdir().unwrap();
    for profile in Profile::ALL {
        let first = report(
            dir.path(),
            &format!("{}-1.json", profile.name()),
            profile,
            None,
        );
        let second = report(
            dir.path(),
            &format!("{}-2.json", profile.name()),
            profile,
            None,
        );
        let (a, b) = (
            std::fs::read_to_string(&first).unwrap(),
            std::fs::read_to_string(&second).unwrap(),
        );
        assert_ne!(
            a, b,
            "the two runs should differ in their run ids and ports"
        );
        for (old, new) in [(&first, &second), (&first, &first)] {
            let (code, doc) = diff_json(old, new);
            assert_eq!(code, 0, "{doc:#}");
            assert_eq!(doc["changed"], false);
            assert_eq!(doc["cases"], serde_json::json!([]));
            assert_eq!(doc["summary"]["unchanged"], doc["old"]["cases"]);
        }
    }
}

/// A file that is not a report is exit 2, with a message that names the file and the field.
#[test]
fn a_file_that_is_not_a_report_is_exit_2_naming_file_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let good = report(dir.path(), "good.json", Profile::Auth0, None);
    let mut broken: Value = serde_json::from_str(&std::fs::read_to_string(&good).unwrap()).unwrap();
    broken["cases"][3]["response"]["status"] = "four hundred".into();
    let files = [
        (
            "vars.json",
            r#"{"client_id": "abc"}"#.to_owned(),
            "vars.json: /tool: ",
        ),
        (
            "text.json",
            "not json".to_owned(),
            "text.json:1:2: not valid JSON",
        ),
        (
            "broken.json",
            broken.to_string(),
            "broken.json: /cases/3/response",
        ),
    ];
    for (name, text, said) in files {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        for args in [[&path, &good], [&good, &path]] {
            let out = output(authconform().arg("diff").args(args));
            assert_eq!(out.code, 2, "{name}: {}{}", out.stdout, out.stderr);
            assert!(out.stdout.is_empty(), "{}", out.stdout);
            let expected = format!("{}/{said}", dir.path().display());
            assert!(out.stderr.contains(&expected), "{name}: {}", out.stderr);
        }
    }
    let missing = dir.path().join("missing.json");
    let out = output(authconform().arg("diff").arg(&missing).arg(&good));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains(&format!("{}: cannot read the file", missing.display())),
        "{}",
        out.stderr
    );
}

/// Text in a report is another program's (or a server's): ESC, CR and a workflow command in a
/// case id, a target, an error code and a check name reach no format raw.
#[test]
fn hostile_text_in_a_report_is_neutralised_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let clean = report(dir.path(), "clean.json", Profile::Auth0, None);
    let mut doc: Value = serde_json::from_str(&std::fs::read_to_string(&clean).unwrap()).unwrap();
    let evil = "\u{1b}[2J\r\n::error file=x::forged|<img src=x>`";
    doc["target"] = evil.into();
    doc["cases"][0]["id"] = format!("::error::{evil}").into();
    let case = &mut doc["cases"][1];
    case["response"]["body_preview"] = serde_json::json!({ "error": evil }).to_string().into();
    case["violations"] = serde_json::json!([{"check": evil, "message": evil}]);
    let hostile = dir.path().join("hostile.json");
    std::fs::write(&hostile, doc.to_string()).unwrap();
    for format in ["pretty", "json", "markdown"] {
        let out = output(
            authconform()
                .args(["diff", "--color", "never", "--format", format])
                .arg(&clean)
                .arg(&hostile),
        );
        assert_eq!(out.code, 1, "{format}: {}", out.stderr);
        let text = out.stdout;
        assert!(!text.contains(['\u{1b}', '\r']), "{format}: {text}");
        assert!(
            !text.lines().any(|l| l.trim_start().starts_with("::")),
            "{format}: {text}"
        );
        assert!(text.contains("forged"), "{format}: {text}");
        if format == "markdown" {
            // Prose is escaped (a tag as entities); a code span shows its text as written.
            assert!(text.contains("forged\\|&lt;img src=x&gt;"), "{text}");
            for row in text.lines().filter(|l| l.starts_with('|')) {
                let breaks = row
                    .match_indices('|')
                    .filter(|(at, _)| !row[..*at].ends_with('\\'))
                    .count();
                assert_eq!(breaks, 5, "a row of four cells: {row}");
            }
        }
    }
}
