//! The gate tells the truth (see the issue of that name): nothing tested is not a pass, unknown
//! variable names are mistakes, lint refuses what run refuses, the server under test cannot
//! write into the log or leak the credentials it issues, the curl line reproduces, waits are
//! visible, and JUnit is what its consumers accept. Every proof reads the JSON report or the
//! files themselves, not a prefix of terminal text.

use std::{path::Path, sync::atomic::Ordering};

use authconform::reference::Fault;
use serde_json::Value;

use crate::{pytools::junit_check, util::*};

fn kinds(report: &Value) -> Vec<String> {
    report["gate"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["kind"].as_str().unwrap().to_owned())
        .collect()
}

/// Writes case files: (id, request path, expected status).
fn cases(dir: &Path, list: &[(&str, &str, u16)]) {
    for (id, path, status) in list {
        let file = dir.join(format!("{id}.json"));
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(
            file,
            format!(
                r#"{{"title": "t", "documents": {{"status": {status}, "error": "invalid_request"}},
                    "request": {{"method": "GET", "path": "{path}"}}}}"#
            ),
        )
        .unwrap();
    }
}

const ANSWER: &[u8] = br#"{"error":"invalid_request","error_description":"x"}"#;

#[test]
fn a_run_that_sends_nothing_fails_the_gate_unless_the_user_allows_it() {
    let server = raw_server(|_, s| write_response(s, "400 Bad Request", &[], ANSWER));
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    // No variables at all: every built-in case but three needs some (token/unknown-client
    // makes up its own client, and its audience is optional; userinfo/invalid-token makes up
    // its token; device/code-missing-client-id sends no client).
    let out = output(
        authconform()
            .args(["run", "--color", "never", "--target", &server.url])
            .args(["--skip", "token/unknown-client"])
            .args(["--skip", "userinfo/invalid-token"])
            .args(["--skip", "device/code-missing-client-id", "--report-json"])
            .arg(&json),
    );
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert_eq!(server.hits.load(Ordering::SeqCst), 0);
    let report = read_report(&json);
    assert_eq!(report["ok"], false);
    let selected = builtin_ids().len() - 3;
    assert_eq!(
        report["gate"],
        serde_json::json!([{"kind": "nothing_tested", "selected": selected, "skipped": selected, "not_applicable": 0}])
    );
    assert_eq!(report["summary"]["skipped"], selected);
    assert_eq!(report["cases"].as_array().unwrap().len(), selected);
    let missing: Vec<&str> = report["missing_variables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert!(
        missing.contains(&"client_id") && missing.contains(&"client_secret"),
        "{missing:?}"
    );
    let secret = report["missing_variables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "client_secret")
        .unwrap();
    assert_eq!(secret["secret"], true);
    assert_eq!(
        secret["set_with"][0], "AUTHCONFORM_SECRET_CLIENT_SECRET=VALUE",
        "a secret is best set from the environment"
    );
    // libtest is not asked to print "test result: ok" above a failed gate.
    assert!(!out.stdout.contains("test result: ok"), "{}", out.stdout);
    assert!(!out.stdout.contains("authconform: ok"), "{}", out.stdout);

    for (flag, code) in [("warn", 0), ("pass", 0), ("fail", 1)] {
        let out = output(
            authconform()
                .args(["run", "--color", "never", "--target", &server.url])
                .args(["--skip", "userinfo/invalid-token"])
                .args(["--skip", "device/code-missing-client-id"])
                .args([
                    "--skip",
                    "token/unknown-client",
                    "--no-tests",
                    flag,
                    "--report-json",
                ])
                .arg(&json),
        );
        assert_eq!(out.code, code, "--no-tests {flag}: {}", out.stdout);
        assert_eq!(read_report(&json)["ok"], code == 0, "--no-tests {flag}");
        assert_eq!(
            out.stdout.contains("warning: nothing was tested"),
            flag == "warn",
            "--no-tests {flag}: {}",
            out.stdout
        );
    }

    // A filter that selects nothing is nothing tested too.
    let ok = self::server(None);
    let out = output(
        run_against(&ok.url)
            .args(["no-such-case", "--report-json"])
            .arg(&json),
    );
    assert_eq!(out.code, 1, "{}", out.stdout);
    let report = read_report(&json);
    assert_eq!(
        report["gate"],
        serde_json::json!([{"kind": "nothing_tested", "selected": 0, "skipped": 0, "not_applicable": 0}])
    );
    assert!(
        out.stdout.contains("no case was selected"),
        "{}",
        out.stdout
    );
}

#[test]
fn fail_on_skip_makes_any_skip_fail_the_gate() {
    let ok = server(None);
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    let partial = || {
        let mut cmd = authconform();
        cmd.args([
            "run", "--color", "never", "--rate", "0", "--target", &ok.url,
        ])
        .args(["--var", "client_id=authconform-m2m", "--report-json"])
        .arg(&json);
        cmd
    };
    let out = output(&mut partial());
    assert_eq!(out.code, 0, "some cases are sent: {}", out.stdout);
    assert_eq!(kinds(&read_report(&json)), Vec::<String>::new());

    let junit = dir.path().join("j.xml");
    let out = output(partial().arg("--fail-on-skip").arg("--junit").arg(&junit));
    assert_eq!(out.code, 1, "{}", out.stdout);
    let report = read_report(&json);
    // JUnit fails the skips too, where its consumers look.
    assert_junit_agrees("--fail-on-skip", &junit, &report);
    assert_eq!(kinds(&report), ["skipped"]);
    let skipped = report["summary"]["skipped"].as_u64().unwrap();
    assert!(skipped > 0);
    assert_eq!(report["gate"][0]["cases"], skipped);
    // The terminal agrees: a skip is a failure under --fail-on-skip.
    assert!(
        verdicts(&out.stdout).contains(&("revoke/missing-token".into(), "FAILED".into())),
        "{}",
        out.stdout
    );

    let out = output(
        run_against(&ok.url)
            .args(["--fail-on-skip", "--report-json"])
            .arg(&json),
    );
    assert_eq!(out.code, 0, "a fully prepared run: {}", out.stdout);
}

#[test]
fn variable_names_that_nothing_uses_are_mistakes_wherever_they_come_from() {
    let server = raw_server(|_, s| write_response(s, "400 Bad Request", &[], ANSWER));
    let dir = tempfile::tempdir().unwrap();
    let vars_file = dir.path().join("vars.json");
    std::fs::write(&vars_file, r#"{"audiance": "https://api"}"#).unwrap();
    // (what, flags, environment, what the error says)
    type Given<'a> = (&'a str, Vec<String>, Vec<(&'a str, &'a str)>, String);
    let cases: [Given; 3] = [
        (
            "flag",
            vec!["--var".into(), "clientid=abc".into()],
            vec![],
            "--var clientid=…: no case uses a variable `clientid` and it is not a documented variable (did you mean `client_id`?)".into(),
        ),
        (
            "environment",
            vec![],
            vec![("AUTHCONFORM_SECRET_CLIENT_SECERT", "hunter2")],
            "environment variable AUTHCONFORM_SECRET_CLIENT_SECERT: no case uses a variable `client_secert` and it is not a documented variable (did you mean `client_secret`?)".into(),
        ),
        (
            "file",
            vec!["--vars".into(), vars_file.display().to_string()],
            vec![],
            format!(
                "--vars {}: /audiance: no case uses a variable `audiance` and it is not a documented variable (did you mean `audience`?)",
                vars_file.display()
            ),
        ),
    ];
    for (what, args, env, says) in cases {
        for command in ["run", "lint"] {
            let mut cmd = authconform();
            cmd.arg(command);
            if command == "run" {
                cmd.args(["--target", &server.url]);
            }
            for (k, v) in &env {
                cmd.env(k, v);
            }
            let out = output(cmd.args(&args));
            assert_eq!(
                out.code, 2,
                "{command} {what}: {}{}",
                out.stdout, out.stderr
            );
            assert!(
                out.stderr.contains(&says),
                "{command} {what}: expected {says:?} in {}",
                out.stderr
            );
            assert!(!out.stderr.contains("hunter2"), "{}", out.stderr);
        }
    }
    assert_eq!(server.hits.load(Ordering::SeqCst), 0, "nothing was sent");

    // A team's own variable is fine once a case of theirs uses it.
    let own = tempfile::tempdir().unwrap();
    std::fs::create_dir(own.path().join("t")).unwrap();
    std::fs::write(
        own.path().join("t/own.json"),
        r#"{"title": "t", "documents": {"status": 400, "error": "invalid_request"},
            "request": {"method": "GET", "path": "/x?flavour={{tenant_flavour}}"}}"#,
    )
    .unwrap();
    let out = run_cases(&server.url, own.path(), &["--var", "tenant_flavour=eu"]);
    assert_eq!(
        out.code, 1,
        "sent, and judged: {}{}",
        out.stdout, out.stderr
    );
    assert_eq!(server.hits.load(Ordering::SeqCst), 1);
}

/// See the issue "The gate tells the truth", item 9.
#[test]
fn lint_refuses_exactly_what_run_refuses_and_warns_where_coverage_fails() {
    let dir = tempfile::tempdir().unwrap();
    let cases_dir = dir.path().join("cases");
    std::fs::create_dir_all(cases_dir.join("t")).unwrap();
    let case = |path: &str| {
        std::fs::write(
            cases_dir.join("t/c.json"),
            format!(
                r#"{{"title": "t", "documents": {{"status": 400, "error": "invalid_request"}},
                    "request": {{"method": "GET", "path": "{path}"}}}}"#
            ),
        )
        .unwrap();
    };
    let deviations = dir.path().join("dev.json");
    std::fs::write(
        &deviations,
        r#"{"deviations": [{"case": "t/d", "check": "status", "reason": "r"}]}"#,
    )
    .unwrap();
    let closed = closed_port_url();
    let refused: [(&str, &[&str], &str); 3] = [
        (
            "/x?c={{clent_id}}",
            &[],
            "undefined variable `clent_id` (did you mean `client_id`?)",
        ),
        (
            "/x",
            &["--var", "clientid=a"],
            "no case uses a variable `clientid`",
        ),
        (
            "/x",
            &["--deviations", "DEV"],
            "no case `t/d` (did you mean `t/c`?)",
        ),
    ];
    for (path, extra, says) in refused {
        case(path);
        let extra: Vec<String> = extra
            .iter()
            .map(|a| a.replace("DEV", &deviations.display().to_string()))
            .collect();
        for command in ["lint", "run"] {
            let mut cmd = authconform();
            cmd.arg(command).arg("--cases").arg(&cases_dir).args(&extra);
            if command == "run" {
                cmd.args(["--target", &closed]);
            }
            let out = output(&mut cmd);
            assert_eq!(out.code, 2, "{command} {path} {extra:?}: {}", out.stderr);
            assert!(out.stderr.contains(says), "{command}: {}", out.stderr);
        }
    }
    // What both accept, lint accepts with a warning for each row coverage would fail on.
    case("/x");
    let out = output(authconform().arg("lint").arg("--cases").arg(&cases_dir));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("lint: 1 cases in"), "{}", out.stdout);
    let warnings = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("lint: warning: no case provokes the table row"))
        .count();
    let rows: usize =
        authconform::catalogue::seed::tables(authconform::base::source::Profile::Auth0)
            .iter()
            .map(|t| t.rows.len())
            .sum();
    assert_eq!(
        warnings,
        rows - 1,
        "all rows of both tables but one have no case here: {}",
        out.stderr
    );
    let out = output(authconform().arg("coverage").arg("--cases").arg(&cases_dir));
    assert_eq!(out.code, 1);
    let out = output(authconform().arg("lint"));
    assert_eq!(out.code, 0);
    assert!(!out.stderr.contains("warning"), "{}", out.stderr);
}

/// Every line an output holds, from every output a run writes.
struct Outputs {
    texts: Vec<(&'static str, String)>,
}

impl Outputs {
    fn of(out: &Output, dir: &Path) -> Outputs {
        let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
        Outputs {
            texts: vec![
                ("stdout", out.stdout.clone()),
                ("stderr", out.stderr.clone()),
                ("JUnit", read("j.xml")),
                ("JSON", read("r.json")),
                ("step summary", read("summary.md")),
            ],
        }
    }
}

/// Runs `cases_dir` against `url` with every report and GitHub's annotations and summary on.
fn run_everything(url: &str, cases_dir: &Path, out_dir: &Path, extra: &[&str]) -> Outputs {
    let mut cmd = authconform();
    cmd.args(["run", "--color", "never", "--target", url, "--cases"])
        .arg(cases_dir)
        .args(["--annotations", "github", "--junit"])
        .arg(out_dir.join("j.xml"))
        .arg("--report-json")
        .arg(out_dir.join("r.json"))
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", out_dir.join("summary.md"))
        .args(extra);
    let out = output(&mut cmd);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    Outputs::of(&out, out_dir)
}

/// See the issue "The gate tells the truth", item 4: a server answering
/// `oops\r::error file=README.md::INJECTED` put a workflow command into the log.
#[test]
fn text_from_the_server_cannot_steer_a_terminal_or_a_ci_log() {
    const RAW: &[u8] = b"oops\r::error file=README.md::INJECTED1\n  ::stop-commands::tok\n\x1b[31mred\x1b]0;title\x07 ##[error]INJECTED2 \xc2\x9b2J";
    let server = raw_server(|req, s| {
        match req.target.as_str() {
        "/raw" => write_response(s, "400 Bad Request", &[("content-type", "text/plain")], RAW),
        "/json" => write_response(
            s,
            "400 Bad Request",
            &[("content-type", "application/json")],
            br#"{"error":"x\r::error::INJECTED3","error_description":"\u001b[2J\n::warning::INJECTED4 ##[group]x"}"#,
        ),
        _ => write_response(
            s,
            "400 Bad Request",
            &[("content-type", "::error file=README.md::INJECTED5")],
            ANSWER,
        ),
    }
    });
    let dir = tempfile::tempdir().unwrap();
    let cases_dir = dir.path().join("cases");
    cases(
        &cases_dir,
        &[
            ("h/raw", "/raw", 400),
            ("h/json", "/json", 400),
            ("h/header", "/header", 400),
        ],
    );
    let outputs = run_everything(&server.url, &cases_dir, dir.path(), &[]);
    let ours = |line: &str| {
        line.starts_with("::error file=") && line.contains("/cases/h/")
            || line.starts_with("::error title=authconform::")
    };
    for (name, text) in &outputs.texts {
        for bad in ['\r', '\u{1b}', '\u{7}', '\u{9b}'] {
            assert!(!text.contains(bad), "{name} holds {bad:?}:\n{text}");
        }
        assert!(!text.contains("##["), "{name}:\n{text}");
        for line in text.lines() {
            let command = line.trim_start();
            assert!(
                !command.starts_with("::") || ours(command),
                "{name}: a line the runner reads as a command: {line:?}"
            );
            if ours(command) {
                // GitHub's own grammar: the message is all after the second `::`, the
                // properties before it; an injection would need a property of its own.
                let head = &command[2..command[2..].find("::").unwrap() + 2];
                assert!(!head.contains("README"), "{line}");
            }
        }
    }
    // The JSON report still carries what the server said, escaped, so nothing is hidden.
    let report = read_report(&dir.path().join("r.json"));
    let preview = |id: &str| {
        case_of(&report, id)["response"]["body_preview"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(
        preview("h/raw"),
        "oops\\r::error file=README.md::INJECTED1\n  \\u{3a}:stop-commands::tok\n\\u{1b}[31mred\\u{1b}]0;title\\u{7} #\\u{23}[error]INJECTED2 \\u{9b}2J"
    );
    assert!(preview("h/json").contains(r#"\u001b[2J\n::warning::INJECTED4 #\u{23}[group]x"#));
}

/// See the issue "The gate tells the truth", item 5.
#[test]
fn credentials_a_server_issues_never_reach_any_output() {
    let tokens = [
        "AT-secret-1234",
        "RT-secret-5678",
        "ID-secret-9012",
        "MFA-secret-3456",
        "COOKIE-secret-7890",
        "CODE-secret-1357",
    ];
    let server = raw_server(|_, s| {
        write_response(
            s,
            "200 OK",
            &[
                ("content-type", "application/json"),
                ("set-cookie", "sess=COOKIE-secret-7890; Path=/; HttpOnly"),
                ("location", "https://app.example/cb?code=CODE-secret-1357&state=s"),
            ],
            br#"{"access_token":"AT-secret-1234","refresh_token":"RT-secret-5678","id_token":"ID-secret-9012","token_type":"Bearer","nested":{"mfa_token":"MFA-secret-3456"}}"#,
        )
    });
    let dir = tempfile::tempdir().unwrap();
    let cases_dir = dir.path().join("cases");
    std::fs::create_dir_all(cases_dir.join("g")).unwrap();
    // The cookie and the location are checked, so that reports show them.
    std::fs::write(
        cases_dir.join("g/granted.json"),
        r#"{"title": "t", "documents": {"status": 401, "error": "invalid_client"},
            "request": {"method": "POST", "path": "/oauth/token", "form": {"grant_type": "client_credentials"}},
            "expect": {"headers": {"set-cookie": null, "location": null}}}"#,
    )
    .unwrap();
    let outputs = run_everything(&server.url, &cases_dir, dir.path(), &[]);
    for (name, text) in &outputs.texts {
        for token in tokens {
            assert!(!text.contains(token), "{name} shows {token}:\n{text}");
        }
    }
    let report = read_report(&dir.path().join("r.json"));
    let case = &report["cases"][0];
    assert_eq!(
        case["response"]["body_preview"],
        r#"{"access_token":"***","refresh_token":"***","id_token":"***","token_type":"Bearer","nested":{"mfa_token":"***"}}"#
    );
    let messages: Vec<&str> = case["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["message"].as_str().unwrap())
        .collect();
    assert!(
        messages.contains(&r#"expected no such header, got "sess=***; Path=/; HttpOnly""#),
        "{messages:?}"
    );
}

/// See the issue "The gate tells the truth", item 6: with the secret `test`,
/// `client_id=test-client` printed as `***-client`.
#[test]
fn the_curl_line_masks_exactly_the_secret_values() {
    let server = raw_server(|_, s| write_response(s, "400 Bad Request", &[], b""));
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("t")).unwrap();
    std::fs::write(
        dir.path().join("t/c.json"),
        r#"{"title": "t", "documents": {"status": 401, "error": "invalid_client"},
            "request": {"method": "POST", "path": "/oauth/token",
                        "form": {"client_id": "{{client_id}}", "client_secret": "{{client_secret}}", "note": "a test"}}}"#,
    )
    .unwrap();
    let out_dir = tempfile::tempdir().unwrap();
    let json = out_dir.path().join("r.json");
    let out = run_cases(
        &server.url,
        dir.path(),
        &[
            "--var",
            "client_id=test-client",
            "--secret",
            "client_secret=test",
            "--report-json",
            json.to_str().unwrap(),
        ],
    );
    assert_eq!(out.code, 1);
    let curl = read_report(&json)["cases"][0]["request"]["curl"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        curl,
        format!(
            "curl -i -X POST {}/oauth/token --data-urlencode client_id=test-client --data-urlencode 'client_secret=***' --data-urlencode 'note=a test'",
            server.url
        )
    );
    assert!(
        failure_of(&out.stdout, "t/c").contains(&curl),
        "{}",
        out.stdout
    );
}

/// See the issue "The gate tells the truth", item 10.
#[test]
fn an_unexpected_429_is_waited_out_visibly_and_every_attempt_counts() {
    let server = raw_server(|_, s| {
        // The first request of the run is refused for a second; the rest are answered.
        static FIRST: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(true);
        if FIRST.swap(false, Ordering::SeqCst) {
            write_response(s, "429 Too Many Requests", &[("retry-after", "1")], b"");
        } else {
            write_response(
                s,
                "400 Bad Request",
                &[("content-type", "application/json")],
                ANSWER,
            );
        }
    });
    let dir = tempfile::tempdir().unwrap();
    cases(dir.path(), &[("h/c", "/x", 400)]);
    let out_dir = tempfile::tempdir().unwrap();
    let json = out_dir.path().join("r.json");
    let out = run_cases(
        &server.url,
        dir.path(),
        &["--report-json", json.to_str().unwrap()],
    );
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains(
            "authconform: h/c: the server answered 429 Too Many Requests; waiting 1s (as Retry-After or X-RateLimit-Reset asks), then sending once more"
        ),
        "{}",
        out.stderr
    );
    let case = &read_report(&json)["cases"][0];
    assert_eq!(case["verdict"]["kind"], "pass");
    assert_eq!(case["attempts"], 2);
    assert_eq!(
        case["waits"],
        serde_json::json!([{"reason": "rate_limited", "waited_ms": 1000.0}])
    );
}

/// See the issue "The gate tells the truth", item 7: the JUnit file validates against the
/// Jenkins xunit plugin's junit-10.xsd, an independent reader (junitparser) reads it back, and it
/// counts exactly what the JSON report counts, for passing, failing, skip-only and
/// stale-deviation runs (the interrupted one is in the signal tests).
#[test]
fn junit_is_valid_junit_10_and_counts_what_the_json_report_counts() {
    let ok = server(None);
    let failing = server(Some(Fault::InvalidClientAs400));
    let dir = tempfile::tempdir().unwrap();
    let (junit, json) = (dir.path().join("j.xml"), dir.path().join("r.json"));
    let deviations = dir.path().join("dev.json");
    std::fs::write(
        &deviations,
        r#"{"deviations": [{"case": "token/refresh-token-unknown", "check": "body /error", "reason": "r"}]}"#,
    )
    .unwrap();
    let runs: Vec<(&str, Vec<String>, i32)> = vec![
        ("passing", vec!["--target".into(), ok.url.clone()], 0),
        ("failing", vec!["--target".into(), failing.url.clone()], 1),
        (
            "stale deviation",
            vec![
                "--target".into(),
                ok.url.clone(),
                "--deviations".into(),
                deviations.display().to_string(),
            ],
            1,
        ),
    ];
    for (name, args, code) in runs {
        let out = output(
            authconform()
                .args(["run", "--color", "never", "--rate", "0"])
                .args(var_flags())
                .args(&args)
                .arg("--junit")
                .arg(&junit)
                .arg("--report-json")
                .arg(&json),
        );
        assert_eq!(out.code, code, "{name}: {}", out.stdout);
        assert_junit_agrees(name, &junit, &read_report(&json));
    }
    let out = output(
        authconform()
            .args(["run", "--target", &closed_port_url(), "--junit"])
            .arg(&junit)
            .arg("--report-json")
            .arg(&json),
    );
    assert_eq!(out.code, 1, "skip-only: {}", out.stdout);
    assert_junit_agrees("skip-only", &junit, &read_report(&json));
}

/// The JUnit file at `junit` is valid junit-10, and junitparser reads from it the cases, verdicts
/// and counts that the JSON report holds.
pub fn assert_junit_agrees(name: &str, junit: &Path, report: &Value) {
    let check = junit_check(junit);
    assert_eq!(check["valid"], true, "{name}: {check:#}");
    assert_eq!(check["parse_error"], Value::Null, "{name}: {check:#}");
    let suite = &check["suites"][0];
    let s = &report["summary"];
    let n = |v: &Value| v.as_u64().unwrap();
    let selected = report["cases"].as_array().unwrap().len() as u64;
    // A skip fails where the gate fails on skips (--fail-on-skip); a case an interruption left
    // not run is an error, not a pass.
    let skips_fail = report["gate"]
        .as_array()
        .unwrap()
        .iter()
        .any(|g| g["kind"] == "skipped");
    let (failed_skips, skipped) = if skips_fail {
        (n(&s["skipped"]), 0)
    } else {
        (0, n(&s["skipped"]))
    };
    for counts in [suite, &suite["counted"]] {
        assert_eq!(n(&counts["tests"]), selected, "{name}: {check:#}");
        assert_eq!(
            n(&counts["failures"]),
            n(&s["failed"]) + failed_skips,
            "{name}: {check:#}"
        );
        assert_eq!(
            n(&counts["errors"]),
            n(&s["errors"]) + n(&s["not_run"]),
            "{name}: {check:#}"
        );
        assert_eq!(
            n(&counts["skipped"]),
            skipped + n(&s["known_deviations"]) + n(&s["not_applicable"]),
            "{name}: {check:#}"
        );
    }
    let results: Vec<(String, String)> = suite["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_owned(),
                c["result"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let result = match c["verdict"]["kind"].as_str().unwrap() {
                "pass" => "passed",
                "fail" => "failure",
                "skip" if skips_fail => "failure",
                "error" | "not_run" => "error",
                _ => "skipped",
            };
            (c["id"].as_str().unwrap().to_owned(), result.to_owned())
        })
        .collect();
    assert_eq!(results, expected, "{name}");
}

/// Found in review: `--junit /dev/stdout > run.log` renamed the report over the terminal's own
/// log, and a secret that happens to be a word of a case id masked the id.
#[test]
fn reports_respect_the_terminal_log_and_case_ids_are_not_masked() {
    let ok = server(None);
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("run.log");
    let status = std::process::Command::new(assert_cmd::cargo::cargo_bin!("authconform"))
        .args([
            "run", "--color", "never", "--rate", "0", "--target", &ok.url,
        ])
        .args(var_flags())
        .args(["token/get-method", "--exact", "--junit", "/dev/stdout"])
        .stdout(std::fs::File::create(&log).unwrap())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(0));
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("test token/get-method ... ok"), "{text}");
    assert!(
        text.contains(r#"<testcase name="token/get-method""#),
        "{text}"
    );
    assert!(text.contains("authconform: ok. 1 passed"), "{text}");

    let json = dir.path().join("r.json");
    let out = output(
        authconform()
            .args([
                "run", "--color", "never", "--rate", "0", "--target", &ok.url,
            ])
            .args([
                "--var",
                "client_id=authconform-m2m",
                "--secret",
                "client_secret=token",
            ])
            .args(["token/", "--report-json"])
            .arg(&json),
    );
    assert!(!out.stdout.contains("***/"), "{}", out.stdout);
    let report = read_report(&json);
    for case in report["cases"].as_array().unwrap() {
        assert!(
            case["id"].as_str().unwrap().starts_with("token/"),
            "{case:#}"
        );
        let id = case["id"].as_str().unwrap();
        assert_eq!(
            case["file"].as_str().unwrap(),
            authconform::base::source::built_in_case(
                authconform::base::source::Profile::Auth0,
                &format!("{id}.json")
            ),
            "{case:#}"
        );
    }
}

/// A bug that panics inside one case (here a failpoint of debug builds) makes that case an
/// error in every report; the run goes on and loses no case.
#[test]
fn a_panic_inside_a_case_is_that_cases_error_in_every_report() {
    let ok = server(None);
    let dir = tempfile::tempdir().unwrap();
    let (junit, json) = (dir.path().join("j.xml"), dir.path().join("r.json"));
    for id in ["token/get-method", "dbconnections/change-password-burst"] {
        let out = output(
            run_against(&ok.url)
                .env("AUTHCONFORM_FAILPOINT_PANIC", id)
                .arg("--junit")
                .arg(&junit)
                .arg("--report-json")
                .arg(&json),
        );
        assert_eq!(out.code, 1, "{id}: {}", out.stdout);
        let report = read_report(&json);
        assert_eq!(
            report["cases"].as_array().unwrap().len(),
            builtin_ids().len()
        );
        assert_eq!(report["summary"]["errors"], 1, "{id}");
        let case = case_of(&report, id);
        assert_eq!(case["verdict"]["kind"], "error");
        assert!(
            case["verdict"]["message"]
                .as_str()
                .unwrap()
                .contains("internal error: this case's task panicked (failpoint"),
            "{case:#}"
        );
        assert_eq!(
            verdicts(&out.stdout)
                .iter()
                .find(|(c, _)| c == id)
                .map(|(_, v)| v.as_str()),
            Some("FAILED")
        );
        assert_junit_agrees(id, &junit, &report);
    }
}

/// A reader that goes away is a clean end for every command, known by the error's kind.
#[test]
fn every_command_ends_quietly_when_its_reader_goes_away() {
    for args in [&["man"][..], &["completions", "bash"], &["coverage"]] {
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin!("authconform"))
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // The reader goes away before the command writes its first byte.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(!stderr.contains("error"), "{args:?}: {stderr}");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
    }
}

/// Endpoints are variables with Auth0's paths as defaults: a server that serves its token
/// endpoint elsewhere is reached by saying where, as a path or as a URL on the target's origin;
/// a URL on another origin is refused unless allowed, so credentials go only where pointed.
#[test]
fn endpoints_are_variables_and_stay_on_the_targets_origin() {
    let server = raw_server(|req, s| {
        if req.target == "/o/token/" {
            write_response(
                s,
                "401 Unauthorized",
                &[("content-type", "application/json")],
                br#"{"error":"invalid_client","error_description":"unknown client"}"#,
            );
        } else {
            write_response(s, "404 Not Found", &[], b"not here");
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    let run = |target: &str, extra: &[&str]| {
        let out = output(
            authconform()
                .args(["run", "--color", "never", "--target", target])
                .args(["token/unknown-client", "--exact", "--report-json"])
                .arg(&json)
                .args(extra),
        );
        let verdict = std::fs::read_to_string(&json)
            .ok()
            .and_then(|t| serde_json::from_str::<Value>(&t).ok())
            .map(|r| r["cases"][0]["verdict"]["kind"].clone());
        let _ = std::fs::remove_file(&json);
        (out, verdict)
    };
    // Auth0's path by default: this server does not serve it there.
    let (out, verdict) = run(&server.url, &[]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert_eq!(verdict, Some(Value::from("fail")));
    // Where it is, as a path, or as a URL on the target's origin.
    let (out, verdict) = run(&server.url, &["--var", "token_endpoint=/o/token/"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert_eq!(verdict, Some(Value::from("pass")));
    let here = format!("token_endpoint={}/o/token/", server.url);
    let (out, _) = run(&server.url, &["--var", &here]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    // The same URL while --target points elsewhere: refused before anything is sent.
    let elsewhere = closed_port_url();
    let hits = server.hits.load(Ordering::SeqCst);
    let (out, verdict) = run(&elsewhere, &["--var", &here]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!(
            "--var token_endpoint=…: {} is not the target's origin",
            server.url
        )) && out.stderr.contains("--allow-origin"),
        "{}",
        out.stderr
    );
    assert_eq!(verdict, None);
    assert_eq!(server.hits.load(Ordering::SeqCst), hits, "nothing was sent");
    let (out, verdict) = run(&elsewhere, &["--var", &here, "--allow-origin", &server.url]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert_eq!(verdict, Some(Value::from("pass")));
}

/// A wrong --target answers 404 to everything: the run says so once for each endpoint, naming
/// it and its variable, instead of leaving every case to fail alone.
#[test]
fn a_target_that_answers_404_everywhere_gets_one_hint() {
    let server = raw_server(|_, s| write_response(s, "404 Not Found", &[], b"no such page"));
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    let out = output(
        run_against(&format!("{}/wrong-prefix", server.url))
            .args(["--report-json"])
            .arg(&json),
    );
    assert_eq!(out.code, 1);
    let report = read_report(&json);
    let hints: Vec<&str> = report["hints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap())
        .collect();
    let catalogue = crate::util::builtin_catalogue(authconform::base::source::Profile::Auth0);
    let to_token = catalogue
        .cases
        .iter()
        .filter(|c| c.request.path == "{{token_endpoint}}")
        .count();
    assert!(
        hints.contains(&format!("all {to_token} cases sent to /wrong-prefix/oauth/token were answered with 404: the server does not serve `token_endpoint` there; check --target (its path /wrong-prefix goes before the default /oauth/token), or say where it does as its full path from the origin's root (--var token_endpoint=/PATH), or give --discover").as_str()),
        "{hints:#?}"
    );
    // One hint for each endpoint, none for a case.
    assert!(
        hints.iter().all(|h| h.contains("answered with 404")),
        "{hints:#?}"
    );
    assert_eq!(
        out.stdout.matches("hint: ").count(),
        hints.len(),
        "said once each: {}",
        out.stdout
    );
}

/// A server that answers each of `routes`, (path, status, body), with that status and the body
/// as JSON, `{url}` in it replaced by the server's own URL; any other path is a 404.
fn serving_json(routes: Vec<(&'static str, u16, &'static str)>) -> RawServer {
    let url = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let seen = url.clone();
    let server = raw_server(move |req, s| {
        let me = seen.lock().unwrap().clone();
        match routes.iter().find(|(p, _, _)| *p == req.target) {
            Some((_, status, body)) => {
                let body = body.replace("{url}", &me);
                let line = format!("{status} X");
                write_response(
                    s,
                    &line,
                    &[("content-type", "application/json")],
                    body.as_bytes(),
                );
            }
            None => write_response(s, "404 Not Found", &[], b""),
        }
    });
    *url.lock().unwrap() = server.url.clone();
    server
}

/// `--discover` takes the endpoints from the target's own discovery document (OpenID's, else
/// RFC 8414's), under the same origin rule; explicit variables still win; a missing or broken
/// document is a clear usage error.
#[test]
fn discover_reads_the_endpoints_from_the_targets_discovery_document() {
    const TOKEN: (&str, u16, &str) = (
        "/o/token/",
        401,
        r#"{"error":"invalid_client","error_description":"unknown client"}"#,
    );
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    let run = |url: &str, extra: &[&str]| {
        let _ = std::fs::remove_file(&json);
        output(
            authconform()
                .args(["run", "--color", "never", "--target", url, "--discover"])
                .args(["token/unknown-client", "--exact", "--report-json"])
                .arg(&json)
                .args(extra),
        )
    };

    let oidc = serving_json(vec![
        (
            "/.well-known/openid-configuration",
            200,
            r#"{"issuer": "{url}", "token_endpoint": "{url}/o/token/"}"#,
        ),
        TOKEN,
    ]);
    let out = run(&oidc.url, &[]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains(&format!(
            "authconform: discovered at {0}/.well-known/openid-configuration: token_endpoint = {0}/o/token/",
            oidc.url
        )),
        "{}",
        out.stderr
    );
    let report = read_report(&json);
    assert_eq!(
        report["discovery"]["endpoints"],
        serde_json::json!([
            ["token_endpoint", format!("{}/o/token/", oidc.url)],
            ["issuer", oidc.url]
        ])
    );
    // Explicit variables win over what discovery says.
    let out = run(&oidc.url, &["--var", "token_endpoint=/elsewhere"]);
    assert_eq!(out.code, 1, "{}", out.stdout);

    let rfc8414 = serving_json(vec![
        (
            "/.well-known/oauth-authorization-server",
            200,
            r#"{"token_endpoint": "{url}/o/token/"}"#,
        ),
        TOKEN,
    ]);
    assert_eq!(run(&rfc8414.url, &[]).code, 0);

    let abroad = serving_json(vec![(
        "/.well-known/openid-configuration",
        200,
        r#"{"token_endpoint": "http://127.0.0.1:9/o/token/"}"#,
    )]);
    let out = run(&abroad.url, &[]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("token_endpoint: http://127.0.0.1:9 is not the target's origin")
            && out.stderr.contains(
                "the server says it lives at http://127.0.0.1:9: if so, give that as --target"
            ),
        "{}",
        out.stderr
    );
    assert_eq!(
        abroad.hits.load(Ordering::SeqCst),
        1,
        "only the document was read"
    );

    for (routes, says) in [
        (vec![], "no discovery document"),
        (
            vec![("/.well-known/openid-configuration", 200, "<html>")],
            "not JSON",
        ),
        (
            vec![("/.well-known/openid-configuration", 200, "[1]")],
            "not a JSON object",
        ),
        (
            vec![("/.well-known/openid-configuration", 500, "{}")],
            "answered 500",
        ),
    ] {
        let broken = serving_json(routes);
        let out = run(&broken.url, &[]);
        assert_eq!(out.code, 2, "{says}: {}", out.stderr);
        assert!(out.stderr.contains(says), "{says}: {}", out.stderr);
    }
}

/// A team's cases run beside ours with --add-cases (ids must not collide), and `export` writes
/// the built-in catalogue out so that running the files reproduces the built-in run.
#[test]
fn your_cases_beside_ours_and_export_round_trips() {
    let ok = server(None);
    let own = tempfile::tempdir().unwrap();
    std::fs::create_dir(own.path().join("mine")).unwrap();
    std::fs::write(
        own.path().join("mine/get-token.json"),
        r#"{"title": "GET on the token endpoint, our way", "documents": {"status": 405, "error": "method_not_allowed"},
            "request": {"method": "GET", "path": "{{token_endpoint}}"}}"#,
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    let out = output(
        run_against(&ok.url)
            .arg("--add-cases")
            .arg(own.path())
            .arg("--report-json")
            .arg(&json),
    );
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let report = read_report(&json);
    let ids: Vec<&str> = report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), builtin_ids().len() + 1);
    assert!(ids.contains(&"mine/get-token"), "{ids:?}");
    // Coverage counts both: the added case provokes the 405 row too.
    let out = output(
        authconform()
            .arg("coverage")
            .arg("--add-cases")
            .arg(own.path()),
    );
    assert_eq!(out.code, 0);
    assert!(out.stdout.contains("mine/get-token"), "{}", out.stdout);
    // An id that collides with one of ours is refused.
    std::fs::create_dir(own.path().join("token")).unwrap();
    std::fs::copy(
        own.path().join("mine/get-token.json"),
        own.path().join("token/get-method.json"),
    )
    .unwrap();
    let out = output(authconform().arg("lint").arg("--add-cases").arg(own.path()));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("case id `token/get-method` is also built in (authconform export --profile auth0 DIR writes DIR/cases/token/get-method.json)"),
        "{}",
        out.stderr
    );

    let exported = dir.path().join("catalogue");
    let out = output(authconform().arg("export").arg(&exported));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = output(
        run_against(&ok.url)
            .arg("--cases")
            .arg(exported.join("cases"))
            .arg("--schemas")
            .arg(exported.join("schemas"))
            .arg("--report-json")
            .arg(&json),
    );
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let passed = read_report(&json)["summary"]["passed"].as_u64().unwrap() as usize;
    assert_eq!(passed, builtin_ids().len());
    assert!(exported.join("seed/variables.json").is_file());
    // It never writes over a folder that has something in it.
    let out = output(authconform().arg("export").arg(&exported));
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("is not empty"), "{}", out.stderr);
}

/// The proof the issue asks for: a server whose endpoints live at other paths, and whose
/// discovery document says so, passes the whole catalogue with --discover and nothing else
/// changed; without it, the run fails with the hint that points there.
#[test]
fn a_server_at_other_paths_passes_the_whole_catalogue_with_discover() {
    let elsewhere = server_with(authconform::reference::Config {
        other_paths: true,
        ..Default::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    let out = output(
        run_against(&elsewhere.url)
            .arg("--discover")
            .arg("--report-json")
            .arg(&json),
    );
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let report = read_report(&json);
    assert_eq!(
        report["summary"]["passed"].as_u64().unwrap() as usize,
        builtin_ids().len()
    );
    assert_eq!(
        report["discovery"]["endpoints"][0],
        serde_json::json!(["token_endpoint", format!("{}/o/token/", elsewhere.url)])
    );
    let out = output(run_against(&elsewhere.url).arg("--report-json").arg(&json));
    assert_eq!(out.code, 1);
    let hints = read_report(&json)["hints"].to_string();
    assert!(
        hints.contains("cases sent to /oauth/token were answered with 404: the server does not serve `token_endpoint` there"),
        "{hints}"
    );
}
