use std::collections::BTreeSet;

use authconform::{base::source::Profile, checks::check::CheckId, reference::Fault};

use crate::util::*;

#[test]
fn without_a_target_every_case_passes_against_the_builtin_server() {
    let out = output(authconform().args(["run", "--color", "never"]));
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.starts_with("authconform: no --target given: testing the built-in reference server at http://127.0.0.1:"), "{}", out.stderr);
    let verdicts = verdicts(&out.stdout);
    assert_eq!(verdicts.len(), builtin_ids().len());
    assert!(verdicts.len() >= 7);
    for (id, outcome) in &verdicts {
        assert_eq!(outcome, "ok", "{id}");
    }
    assert!(out.stdout.contains("authconform: ok. "), "{}", out.stdout);
}

#[test]
fn against_a_conforming_target_every_case_passes() {
    let server = server(None);
    let out = output(&mut run_against(&server.url));
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        verdicts(&out.stdout).iter().all(|(_, o)| o == "ok"),
        "{}",
        out.stdout
    );
    assert!(
        !out.stderr.contains("built-in reference server"),
        "{}",
        out.stderr
    );
}

/// Each fault breaks one documented behaviour. Against each, exactly the cases aimed at it
/// fail, and each fails by exactly the check the fault names, no more and no other; every
/// other case still passes. Every case is caught by some fault, and every fault is
/// noticed by some case. The proof reads the JSON report's records and compares by equality
/// (matching terminal text by prefix let `body /error` stand for `body /error_description`).
#[test]
fn each_fault_fails_exactly_the_cases_aimed_at_it() {
    for profile in Profile::ALL {
        each_fault_of(profile);
    }
}

fn each_fault_of(profile: Profile) {
    let catalogue = crate::util::builtin_catalogue(profile);
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("report.json");
    let mut caught: BTreeSet<String> = BTreeSet::new();
    for fault in Fault::all().iter().filter(|f| f.profile() == profile) {
        let aims = fault.aims();
        let aimed: BTreeSet<String> = catalogue
            .cases
            .iter()
            .filter(|case| aims(&case.documents))
            .map(|case| case.id.clone())
            .collect();
        assert!(!aimed.is_empty(), "{fault}: no case is aimed at it");
        let server = server_with(authconform::reference::Config {
            profile,
            fault: Some(*fault),
            ..Default::default()
        });
        let out = output(
            run_profile(&server.url, profile)
                .arg("--report-json")
                .arg(&json),
        );
        assert_eq!(out.code, 1, "{fault}: {}", out.stdout);
        let report = read_report(&json);
        let records = report["cases"].as_array().unwrap();
        assert_eq!(records.len(), catalogue.cases.len());
        for record in records {
            let id = record["id"].as_str().unwrap();
            let checks: BTreeSet<CheckId> = record["violations"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v["check"].as_str().unwrap().parse().unwrap())
                .collect();
            if aimed.contains(id) {
                assert_eq!(
                    record["verdict"]["kind"], "fail",
                    "{fault}: {id} should fail"
                );
                assert_eq!(
                    checks,
                    fault.caught_by().into_iter().collect::<BTreeSet<CheckId>>(),
                    "{fault}: {id} should fail by exactly its check: {record:#}"
                );
                caught.insert(id.to_owned());
            } else {
                assert_eq!(
                    record["verdict"]["kind"], "pass",
                    "{fault}: {id} should pass: {record:#}"
                );
            }
        }
    }
    let never: Vec<&String> = catalogue
        .cases
        .iter()
        .map(|c| &c.id)
        .filter(|id| !caught.contains(*id))
        .collect();
    assert!(
        never.is_empty(),
        "{profile}: no fault makes these cases fail: {never:?}"
    );
}

#[test]
fn failure_detail_shows_expected_actual_response_and_a_redacted_curl_line() {
    let server = server(Some(Fault::InvalidClientAs400));
    let out = output(run_against(&server.url).args(["--exact", "token/wrong-client-secret-basic"]));
    assert_eq!(out.code, 1);
    let detail = failure_of(&out.stdout, "token/wrong-client-secret-basic");
    assert!(
        detail.contains(
            "documents: 401 invalid_client   case file: built in (authconform export --profile auth0 DIR writes DIR/cases/token/wrong-client-secret-basic.json)"
        ),
        "{detail}"
    );
    assert!(detail.contains("response: 400, "), "{detail}");
    assert!(
        detail.contains("  content-type: application/json"),
        "{detail}"
    );
    assert!(
        detail.contains(
            r#"  | {"error":"invalid_client","error_description":"Client authentication failed."}"#
        ),
        "{detail}"
    );
    assert!(
        detail.contains("reproduce:\n  curl -i -X POST http://127.0.0.1:"),
        "{detail}"
    );
    assert!(detail.contains("-u authconform-m2m:wrong-"), "{detail}");
    let others = builtin_ids().len() - 1;
    assert!(
        out.stdout.contains(&format!("; {others} filtered out;")),
        "{}",
        out.stdout
    );
}

#[test]
fn secrets_never_appear_in_any_output() {
    let server = server(Some(Fault::ErrorsAsTextPlain));
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("junit.xml");
    // The secret is sent in a form body (URL-encoded) by several cases; every case fails, so
    // every curl line is printed.
    let out = output(run_against(&server.url).arg("--junit").arg(&junit));
    assert_eq!(out.code, 1);
    let xml = std::fs::read_to_string(&junit).unwrap();
    let secret = authconform::reference::CLIENT_SECRET;
    for (name, text) in [
        ("stdout", &out.stdout),
        ("stderr", &out.stderr),
        ("junit", &xml),
    ] {
        assert!(!text.contains(secret), "{name} leaks the secret");
    }
    assert!(out.stdout.contains("client_secret=***"), "{}", out.stdout);
}

#[test]
fn a_closed_port_makes_every_case_an_error_naming_the_connection_failure() {
    let url = closed_port_url();
    let out = output(&mut run_against(&url));
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    let mut ids = builtin_ids();
    ids.sort();
    // Shown whole for the first case listed; every other case says it is the same error.
    let first = failure_of(&out.stdout, &ids[0]);
    assert!(
        first.contains("error: could not be judged: could not connect to 127.0.0.1:")
            && first.contains("Connection refused"),
        "{first}"
    );
    for id in &ids[1..] {
        let detail = failure_of(&out.stdout, id);
        assert!(
            detail.starts_with(&format!(
                "error: same as {}: could not connect to 127.0.0.1:",
                ids[0]
            )) && detail.contains("Connection refused"),
            "{id}: {detail}"
        );
    }
    // The two closing lines count errors as errors.
    assert!(
        out.stdout.contains(&format!(
            "0 passed; 0 failed; {} errors; 0 ignored",
            ids.len()
        )),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains(&format!(
            "0 passed; 0 failed; {} errors; 0 skipped",
            ids.len()
        )),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("panicked") && !out.stderr.contains("panicked"));
}

#[test]
fn missing_variables_skip_cases_with_the_reason_and_exit_zero() {
    let server = server(None);
    let out = output(authconform().args([
        "run",
        "--color",
        "never",
        "--target",
        &server.url,
        "--var",
        "client_id=x",
    ]));
    assert_eq!(out.code, 0, "{}", out.stdout);
    let verdicts = verdicts(&out.stdout);
    let (_, get) = verdicts
        .iter()
        .find(|(id, _)| id == "token/get-method")
        .unwrap();
    // token/get-method needs only client_id, which is given: it is sent, and passes.
    assert_eq!(get, "ok");
    let (_, revoke) = verdicts
        .iter()
        .find(|(id, _)| id == "revoke/missing-token")
        .unwrap();
    assert_eq!(
        revoke,
        "ignored (not sent: this run does not set `client_secret`)"
    );
    // How to set each missing variable is said once, after the run, not on every line.
    assert_eq!(
        out.stdout
            .matches("AUTHCONFORM_SECRET_CLIENT_SECRET")
            .count(),
        1
    );
    let uses_secret = crate::util::builtin_catalogue(authconform::base::source::Profile::Auth0)
        .cases
        .iter()
        .filter(|c| c.variables.keys().any(|v| v == "client_secret"))
        .count();
    assert!(
        out.stdout.contains(&format!("  client_secret, the secret of `client_id` (secret; {uses_secret} cases): set it with AUTHCONFORM_SECRET_CLIENT_SECRET=VALUE, or --secret client_secret=VALUE, or \"client_secret\": {{\"secret\": \"VALUE\"}} in a --vars file\n")),
        "{}",
        out.stdout
    );
}

#[test]
fn list_sends_nothing_and_filters_select_cases() {
    let listening = raw_server(|_, s| write_response(s, "400 Bad Request", &[], b""));
    let out = output(
        authconform()
            .args(["run", "--list", "--target", &listening.url])
            .args(var_flags()),
    );
    assert_eq!(out.code, 0);
    assert!(
        out.stdout.contains("token/get-method: test"),
        "{}",
        out.stdout
    );
    assert_eq!(
        listening.hits.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "--list sent a request"
    );
    let server = server(None);
    let out = output(run_against(&server.url).args(["token/wrong", "--skip", "basic"]));
    assert_eq!(out.code, 0);
    let ids: Vec<String> = verdicts(&out.stdout)
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(ids, ["token/wrong-client-secret"]);
}

#[test]
fn terse_and_json_formats() {
    let server = server(None);
    let out = output(run_against(&server.url).args(["--format", "terse"]));
    assert_eq!(out.code, 0);
    assert!(out.stdout.contains("......."), "{}", out.stdout);
    let out = output(run_against(&server.url).args(["--format", "json"]));
    assert_eq!(out.code, 0);
    for line in out.stdout.lines().filter(|l| !l.trim().is_empty()) {
        serde_json::from_str::<serde_json::Value>(line).unwrap_or_else(|e| panic!("{e}: {line}"));
    }
    assert!(out.stderr.contains("authconform: ok."), "{}", out.stderr);
}

#[test]
fn json_lines_carry_no_colour_codes() {
    let server = server(Some(Fault::InvalidClientAs400));
    let mut cmd = authconform();
    cmd.args([
        "run",
        "--rate",
        "0",
        "--format",
        "json",
        "--color",
        "always",
        "--target",
        &server.url,
    ])
    .args(var_flags());
    let out = output(&mut cmd);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        !out.stdout.contains('\u{1b}') && !out.stdout.contains("\\u001b"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_report_that_cannot_be_written_fails_the_run_and_the_others_are_still_written() {
    let server = server(None);
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    let out = output(
        run_against(&server.url)
            .args(["--junit", "/dev/full", "--report-json"])
            .arg(&json),
    );
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains(
            "authconform: the gate fails: the JUnit report could not be written to /dev/full: No space left on device"
        ),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("authconform: ok"), "{}", out.stdout);
    // libtest's closing line fails with the gate, though every case passed.
    assert!(
        out.stdout.contains(&format!(
            "test result: FAILED. {} passed; 0 failed;",
            builtin_ids().len()
        )),
        "{}",
        out.stdout
    );
    // The JSON report is still written, and says why the gate fails.
    let report = read_report(&json);
    assert_eq!(report["ok"], false);
    assert_eq!(report["gate"][0]["kind"], "report_not_written");
    assert_eq!(report["summary"]["passed"], builtin_ids().len());
}

#[test]
fn environment_that_is_not_utf8() {
    use std::os::unix::ffi::OsStringExt;
    let odd = std::ffi::OsString::from_vec(vec![0xff, 0xfe]);
    let server = server(None);
    // Someone else's variable is passed over...
    let out = output(
        run_against(&server.url)
            .env("SOMEONE_ELSES", &odd)
            .args(["--exact", "token/get-method"]),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    // ...one of ours is a usage error, not a crash.
    let out = output(run_against(&server.url).env("AUTHCONFORM_VAR_AUDIENCE", &odd));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("AUTHCONFORM_VAR_AUDIENCE: its value is not UTF-8"),
        "{}",
        out.stderr
    );
}

#[test]
fn bad_flags_exit_two() {
    for args in [
        vec!["run", "--nope"],
        vec!["run", "--var", "novalue"],
        vec!["run", "--var", "Bad=x"],
        vec!["run", "--target", "ftp://x"],
        vec!["run", "--jobs", "0"],
        vec!["run", "--timeout", "-1"],
        vec!["run", "--rate", "1e-20"],
        vec!["run", "--rate", "-5"],
        vec!["run", "--vars", "/nonexistent/vars.json"],
        vec!["run", "--junit", "/nonexistent/dir/junit.xml"],
        vec!["serve", "--deviate", "nope"],
        vec!["frobnicate"],
    ] {
        let out = output(authconform().args(&args));
        assert_eq!(out.code, 2, "{args:?}: {}{}", out.stdout, out.stderr);
        assert!(!out.stderr.is_empty(), "{args:?} says nothing");
        assert!(!out.stderr.contains("panicked"), "{args:?}: {}", out.stderr);
    }
    let out = output(authconform().arg("--help"));
    assert_eq!(out.code, 0);
    assert!(out.stdout.contains("run"));
}

#[test]
fn the_secret_flag_value_is_not_echoed_when_malformed() {
    let out = output(authconform().args(["run", "--secret", "hunter2"]));
    assert_eq!(out.code, 2);
    assert!(!out.stderr.contains("hunter2"), "{}", out.stderr);
    // An error that quotes its input masks the secrets in it too.
    let out = output(
        authconform()
            .args(["run", "--target", "gopher://hunter2.example"])
            .env("AUTHCONFORM_SECRET_X", "hunter2"),
    );
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("gopher://***.example") && !out.stderr.contains("hunter2"),
        "{}",
        out.stderr
    );
}

#[test]
fn serve_lists_the_faults_of_its_profile() {
    for profile in Profile::ALL {
        let out =
            output(authconform().args(["serve", "--list-faults", "--profile", profile.name()]));
        assert_eq!(out.code, 0);
        for d in Fault::all() {
            assert_eq!(
                out.stdout
                    .lines()
                    .any(|l| l.split_whitespace().next() == Some(d.name())),
                d.profile() == profile,
                "{profile}: {d}: {}",
                out.stdout
            );
        }
    }
    let wrong = output(authconform().args(["serve", "--fault", "rfc-no-slow-down"]));
    assert_eq!(wrong.code, 2);
    assert!(
        wrong.stderr.contains("give --profile rfc"),
        "{}",
        wrong.stderr
    );
}

#[test]
fn repeat_sends_until_the_expected_status_and_reports_the_attempts() {
    let dir = tempfile::tempdir().unwrap();
    let case = |status: u16| {
        format!(
            r#"{{"title": "t", "documents": {{"status": {status}, "error": "method_not_allowed"}},
                 "request": {{"method": "GET", "path": "/oauth/token"}}, "repeat": {{"max": 3}}}}"#
        )
    };
    std::fs::create_dir(dir.path().join("r")).unwrap();
    // The first answer is already the expected one: one request.
    std::fs::write(dir.path().join("r/found.json"), case(405)).unwrap();
    // Never the expected status: all three requests, then the last answer is judged.
    std::fs::write(dir.path().join("r/never.json"), case(429)).unwrap();
    let server = server(None);
    let out = output(run_against(&server.url).arg("--cases").arg(dir.path()));
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert_eq!(
        verdicts(&out.stdout),
        [
            ("r/found".to_owned(), "ok".to_owned()),
            ("r/never".to_owned(), "FAILED".to_owned())
        ]
    );
    let detail = failure_of(&out.stdout, "r/never");
    assert!(
        detail.contains("✗ status: expected 429, got 405"),
        "{detail}"
    );
    assert!(
        detail.contains("response: 405, ") && detail.contains(", after 3 requests"),
        "{detail}"
    );
}

/// With only a client's credentials, every case that needs nothing more is sent, and against
/// the reference server passes: a parameter that only helps on Auth0 (`{{audience?}}`) is left
/// out when its variable is not set.
#[test]
fn client_credentials_alone_run_every_case_that_needs_no_more() {
    let catalogue = crate::util::builtin_catalogue(Profile::Auth0);
    let defaulted: Vec<String> = catalogue
        .variables
        .iter()
        .filter(|v| v.default.is_some())
        .map(|v| v.name.clone())
        .collect();
    let given: Vec<&str> = ["client_id", "client_secret", "run_id"]
        .into_iter()
        .chain(defaulted.iter().map(String::as_str))
        .collect();
    let runnable: BTreeSet<String> = catalogue
        .cases
        .iter()
        .filter(|c| {
            c.variables
                .keys()
                .all(|v| given.contains(&v.as_str()) || c.optional.contains(v))
        })
        .map(|c| c.id.clone())
        .collect();
    assert!(runnable.len() >= 10, "{runnable:?}");
    let server = server(None);
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    let out = output(
        authconform()
            .args([
                "run",
                "--color",
                "never",
                "--rate",
                "0",
                "--target",
                &server.url,
            ])
            .args([
                "--var",
                &format!("client_id={}", authconform::reference::CLIENT_ID),
            ])
            .args([
                "--secret",
                &format!("client_secret={}", authconform::reference::CLIENT_SECRET),
            ])
            .arg("--report-json")
            .arg(&json),
    );
    assert_eq!(out.code, 0, "{}", out.stdout);
    let report = read_report(&json);
    let passed: BTreeSet<String> = report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["verdict"]["kind"] == "pass")
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(passed, runnable);
}

/// `--format json` is libtest's JSON lines, a failure's text carried as it is (libtest-mimic
/// would wrap it as `Error: "…"`), each case's two lines together, the suite's count at the end.
#[test]
fn json_lines_carry_the_failure_text_as_it_is() {
    let server = server(Some(Fault::InvalidClientAs400));
    let out = output(run_against(&server.url).args(["--format", "json"]));
    assert_eq!(out.code, 1, "{}", out.stderr);
    let lines: Vec<serde_json::Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(lines[0]["type"], "suite");
    assert_eq!(lines[0]["event"], "started");
    let ids = builtin_ids();
    assert_eq!(lines[0]["test_count"], ids.len());
    let last = lines.last().unwrap();
    assert_eq!(
        (
            &last["type"],
            &last["event"],
            &last["failed"],
            &last["passed"]
        ),
        (
            &serde_json::json!("suite"),
            &serde_json::json!("failed"),
            &serde_json::json!(4),
            &serde_json::json!(ids.len() - 4)
        )
    );
    for pair in lines[1..lines.len() - 1].chunks(2) {
        assert_eq!(pair[0]["event"], "started");
        assert_eq!(
            pair[0]["name"], pair[1]["name"],
            "a case's lines are together"
        );
    }
    let failed = lines
        .iter()
        .find(|l| l["name"] == "token/wrong-client-secret-basic" && l["event"] == "failed")
        .expect("the failed case");
    let text = failed["stdout"].as_str().unwrap();
    assert!(
        text.starts_with("A wrong client secret in a Basic Authorization header"),
        "{text}"
    );
    assert!(text.contains("✗ status: expected 401, got 400"), "{text}");
    assert!(!text.contains("Error: \""), "{text}");
}
