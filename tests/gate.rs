//! The CI gate: the JSON report (validated against its schema), the known-deviations file
//! (accepted, no longer observed, expired, malformed), GitHub annotations and step summary,
//! `explain`, and the generated man page and completions.

use authconform::reference::Fault;
use serde_json::Value;

use crate::util::*;

fn verdict_of<'a>(report: &'a Value, id: &str) -> &'a Value {
    &case_of(report, id)["verdict"]
}

#[test]
fn json_reports_of_every_kind_of_run_validate_against_their_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.json");
    // Passing, failing, erroring and skipping runs.
    let ok = server(None);
    let failing = server(Some(Fault::InvalidClientAs400));
    for (name, cmd, code) in [
        ("pass", run_against(&ok.url), 0),
        ("fail", run_against(&failing.url), 1),
        ("error", run_against(&closed_port_url()), 1),
    ] {
        let mut cmd = cmd;
        let out = output(cmd.arg("--report-json").arg(&path));
        assert_eq!(out.code, code, "{name}: {}", out.stdout);
        let report = read_report(&path);
        assert_eq!(report["ok"], code == 0, "{name}");
        assert_eq!(
            report["cases"].as_array().unwrap().len(),
            builtin_ids().len(),
            "{name}"
        );
    }
    let report = read_report(&path);
    assert_eq!(verdict_of(&report, "token/get-method")["kind"], "error");
    let out = output(
        authconform()
            .args([
                "run",
                "--target",
                &ok.url,
                "--var",
                "client_id=x",
                "--report-json",
            ])
            .arg(&path),
    );
    assert_eq!(out.code, 0, "{}", out.stdout);
    let report = read_report(&path);
    assert_eq!(verdict_of(&report, "revoke/missing-token")["kind"], "skip");

    let out = output(run_against(&failing.url).arg("--report-json").arg(&path));
    assert_eq!(out.code, 1);
    let report = read_report(&path);
    let case = case_of(&report, "token/wrong-client-secret");
    assert_eq!(case["verdict"]["kind"], "fail");
    assert_eq!(case["violations"][0]["check"], "status");
    // As data, not only words: what was required, what came, and where the case asks for it.
    assert_eq!(case["violations"][0]["expected"], 401);
    assert_eq!(case["violations"][0]["actual"], 400);
    assert_eq!(
        case["violations"][0]["line"], 4,
        "the line of `documents.status`"
    );
    assert_eq!(
        case["checks"][0],
        serde_json::json!({"check": "status", "requires": "is 401", "advisory": false, "outcome": "failed"})
    );
    assert!(
        case["request"]["curl"]
            .as_str()
            .unwrap()
            .contains("client_secret=wrong-")
    );
    assert_eq!(case["response"]["status"], 400);
    assert_eq!(report["summary"]["failed"], 4);
    assert!(
        !std::fs::read_to_string(&path)
            .unwrap()
            .contains(authconform::reference::CLIENT_SECRET)
    );
}

fn deviations_file(dir: &std::path::Path, entries: &str) -> String {
    let path = dir.join("deviations.json");
    std::fs::write(&path, format!(r#"{{"deviations": [{entries}]}}"#)).unwrap();
    path.display().to_string()
}

const REFRESH: &str = r#"{"case": "token/refresh-token-unknown", "check": "body /error", "reason": "tenants send invalid_grant"},
    {"case": "token/refresh-token-unknown-confidential", "check": "body /error", "reason": "tenants send invalid_grant", "expires": "2999-12-31"}"#;

#[test]
fn an_accepted_deviation_does_not_fail_the_gate_and_is_shown_everywhere() {
    let server = server(Some(Fault::RefreshTokenInvalidGrant));
    let dir = tempfile::tempdir().unwrap();
    let file = deviations_file(dir.path(), REFRESH);
    let (junit, json) = (dir.path().join("j.xml"), dir.path().join("r.json"));
    let out = output(
        run_against(&server.url)
            .args(["--deviations", &file, "--junit"])
            .arg(&junit)
            .arg("--report-json")
            .arg(&json),
    );
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("token/refresh-token-unknown "),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("ignored (known deviation: body /error: tenants send invalid_grant)"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("2 known deviations; 0 stale deviations"),
        "{}",
        out.stdout
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains(
            r#"<skipped message="known deviation: body /error: tenants send invalid_grant">"#
        ),
        "{xml}"
    );
    assert_eq!(
        xml.matches("<testcase ").count(),
        builtin_ids().len(),
        "JUnit counts the cases the terminal and JSON count: {xml}"
    );
    let report = read_report(&json);
    assert_eq!(
        verdict_of(&report, "token/refresh-token-unknown")["kind"],
        "known_deviation"
    );
    assert_eq!(report["summary"]["known_deviations"], 2);
    assert_eq!(report["ok"], true);
}

#[test]
fn a_deviation_that_no_longer_happens_fails_the_run() {
    let server = server(None);
    let dir = tempfile::tempdir().unwrap();
    let file = deviations_file(dir.path(), REFRESH);
    let junit = dir.path().join("j.xml");
    let json = dir.path().join("r.json");
    let out = output(
        run_against(&server.url)
            .args(["--deviations", &file, "--junit"])
            .arg(&junit)
            .arg("--report-json")
            .arg(&json),
    );
    assert_eq!(out.code, 1, "{}", out.stdout);
    // The stale entry fails the case it names: the data first, then how each report shows it.
    let report = read_report(&json);
    let case = case_of(&report, "token/refresh-token-unknown");
    assert_eq!(case["verdict"]["kind"], "fail");
    assert_eq!(case["violations"], serde_json::json!([]));
    assert_eq!(
        case["stale_deviations"],
        serde_json::json!([{"case": "token/refresh-token-unknown", "check": "body /error",
                            "problem": format!("no longer observed: remove it from {file}")}])
    );
    assert_eq!(report["summary"]["stale_deviations"], 2);
    assert_eq!(report["summary"]["failed"], 2);
    assert!(
        failure_of(&out.stdout, "token/refresh-token-unknown").contains(&format!(
            "✗ known deviation `body /error`: no longer observed: remove it from {file}"
        )),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("2 failed; 0 errors") && out.stdout.contains("2 stale deviations"),
        "{}",
        out.stdout
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains(&format!(
            r#"<failure message="known deviation `body /error`: no longer observed: remove it from {file}" type="check">"#
        )),
        "{xml}"
    );
    assert_eq!(xml.matches("<testcase ").count(), builtin_ids().len());
}

#[test]
fn an_expired_deviation_fails_the_run_and_is_not_accepted() {
    let server = server(Some(Fault::RefreshTokenInvalidGrant));
    let dir = tempfile::tempdir().unwrap();
    let file = deviations_file(
        dir.path(),
        r#"{"case": "token/refresh-token-unknown", "check": "body /error", "reason": "r", "expires": "2000-01-01"}"#,
    );
    let json = dir.path().join("r.json");
    let out = output(
        run_against(&server.url)
            .args(["--deviations", &file, "--report-json"])
            .arg(&json),
    );
    assert_eq!(out.code, 1);
    // Observed, but past its last day: the violation stands, and the entry is named stale.
    let report = read_report(&json);
    let case = case_of(&report, "token/refresh-token-unknown");
    assert_eq!(case["verdict"]["kind"], "fail");
    assert_eq!(case["violations"][0]["check"], "body /error");
    assert_eq!(
        case["stale_deviations"][0]["problem"],
        "expired on 2000-01-01: renew the entry or fix the server"
    );
    assert!(
        failure_of(&out.stdout, "token/refresh-token-unknown").contains(
            "✗ known deviation `body /error`: expired on 2000-01-01: renew the entry or fix the server"
        ),
        "{}",
        out.stdout
    );
}

#[test]
fn a_failure_with_an_unlisted_violation_still_fails() {
    let plain = server(Some(Fault::ErrorsAsTextPlain));
    let dir = tempfile::tempdir().unwrap();
    let file = deviations_file(
        dir.path(),
        r#"{"case": "token/get-method", "check": "media type", "reason": "r"}"#,
    );
    let out = output(run_against(&plain.url).args([
        "--deviations",
        &file,
        "--exact",
        "token/get-method",
    ]));
    assert_eq!(
        out.code, 0,
        "only media type is broken, and it is listed: {}",
        out.stdout
    );
    let other = server(Some(Fault::NoErrorDescription));
    let out = output(run_against(&other.url).args([
        "--deviations",
        &file,
        "--exact",
        "token/get-method",
    ]));
    assert_eq!(out.code, 1);
    assert!(out.stdout.contains("no longer observed"), "{}", out.stdout);
    assert!(failure_of(&out.stdout, "token/get-method").contains("✗ body /error_description"));
}

#[test]
fn a_malformed_deviations_file_exits_two_naming_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.json");
    for (text, says) in [
        ("{\n  \"deviations\": [", "d.json:2:17: not valid JSON"),
        (
            r#"{"deviations": [{"case": "token/get-method", "check": "status", "reason": "r", "until": "x"}]}"#,
            "/deviations/0/until: unknown key `until`",
        ),
        (
            r#"{"deviations": [{"case": "token/get-method", "check": "status"}]}"#,
            "/deviations/0: missing required key `reason`",
        ),
        (
            r#"{"deviations": [{"case": "token/get-method", "check": "status", "reason": "r", "expires": "31/12/2027"}]}"#,
            "/deviations/0/expires:",
        ),
        (
            r#"{"deviations": [{"case": "token/get-methd", "check": "status", "reason": "r"}]}"#,
            "/deviations/0/case: no case `token/get-methd` (did you mean `token/get-method`?)",
        ),
        (
            r#"{"deviations": [{"case": "token/get-method", "check": "stauts", "reason": "r"}]}"#,
            "d.json:1:46: /deviations/0/check: \"stauts\" is not a check: write `status`, `media type`,",
        ),
        (
            r#"{"deviations": [{"case": "token/get-method", "check": "body /eror", "reason": "r"}]}"#,
            "case `token/get-method` makes no check `body /eror`; its checks are: status, media type",
        ),
    ] {
        std::fs::write(&path, text).unwrap();
        let out = output(authconform().args(["run", "--deviations"]).arg(&path));
        assert_eq!(out.code, 2, "{text}: {}", out.stderr);
        assert!(
            out.stderr.contains(says),
            "{text}: expected {says:?} in {}",
            out.stderr
        );
    }
    let out = output(authconform().args(["run", "--deviations", "/nonexistent/d.json"]));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("cannot read the file"),
        "{}",
        out.stderr
    );
}

#[test]
fn github_annotations_and_step_summary() {
    let server = server(Some(Fault::InvalidClientAs400));
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.md");
    std::fs::write(&summary, "earlier step\n").unwrap();
    let out = output(
        run_against(&server.url)
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_STEP_SUMMARY", &summary),
    );
    assert_eq!(out.code, 1);
    let found = annotations(&out.stdout);
    // A built-in case is in no file of the user's repository: named by its id and where
    // `authconform export` writes it, with the line there.
    let failed = found
        .iter()
        .find(|a| a.title.as_deref() == Some("token/wrong-client-secret failed"))
        .unwrap_or_else(|| panic!("{}", out.stdout));
    let named = authconform::base::source::built_in_case(
        authconform::base::source::Profile::Auth0,
        "token/wrong-client-secret.json",
    );
    assert_eq!(
        (failed.kind.as_str(), failed.file.as_deref(), failed.line),
        ("error", None, None)
    );
    assert_eq!(
        failed.message,
        format!("status: expected 401, got 400\ncase file: {named}, line 4")
    );
    assert!(
        found
            .iter()
            .all(|a| a.file.is_none() && ["error", "warning", "notice"].contains(&&*a.kind)),
        "{found:?}"
    );
    assert!(
        !found
            .iter()
            .any(|a| a.title.as_deref() == Some("token/wrong-client-secret-basic: advice")),
        "a Basic failure with WWW-Authenticate has no advice to give"
    );
    // That is where export writes it, and the line is the check's there too; run from that
    // folder, the annotation points at the file and line.
    let export = tempfile::tempdir().unwrap();
    let exported = output(authconform().arg("export").arg(export.path()));
    assert_eq!(exported.code, 0, "{}", exported.stderr);
    let file = export.path().join("cases/token/wrong-client-secret.json");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.lines().nth(3).unwrap().contains("\"status\""),
        "{text}"
    );
    let own = output(
        run_against(&server.url)
            .env("GITHUB_ACTIONS", "true")
            .arg("--cases")
            .arg(export.path().join("cases"))
            .arg("--schemas")
            .arg(export.path().join("schemas"))
            .args(["--exact", "token/wrong-client-secret"]),
    );
    assert_eq!(own.code, 1, "{}", own.stderr);
    let own: Vec<Annotation> = annotations(&own.stdout)
        .into_iter()
        .filter(|a| a.title.as_deref() != Some("authconform"))
        .collect();
    assert_eq!(own.len(), 1, "{own:?}");
    assert_eq!(
        (own[0].file.as_deref(), own[0].line, own[0].message.as_str()),
        (
            Some(file.to_str().unwrap()),
            Some(4),
            "status: expected 401, got 400"
        )
    );
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(
        md.starts_with("earlier step\n## authconform: FAILED"),
        "{md}"
    );
    assert!(
        md.contains("| `token/wrong-client-secret` | **fail** | status: expected 401, got 400 |"),
        "{md}"
    );

    let out = output(
        run_against(&server.url)
            .env("GITHUB_ACTIONS", "true")
            .args(["--annotations", "none"]),
    );
    assert!(!out.stdout.contains("::error"), "{}", out.stdout);
    let out = output(run_against(&server.url).args(["--annotations", "github"]));
    assert!(
        annotations(&out.stdout)
            .iter()
            .any(|a| a.title.as_deref() == Some("token/wrong-client-secret failed")),
        "{}",
        out.stdout
    );
}

/// One GitHub workflow command (`::kind file=F,line=L,title=T::message`), unescaped.
#[derive(Debug)]
struct Annotation {
    kind: String,
    file: Option<String>,
    line: Option<usize>,
    title: Option<String>,
    message: String,
}

/// The workflow commands of `stdout`, as GitHub reads them (`%25`, `%0D`, `%0A`, and in
/// properties also `%3A` and `%2C`, decoded); a command line that is not one fails the test.
fn annotations(stdout: &str) -> Vec<Annotation> {
    let decode = |s: &str| {
        s.replace("%0D", "\r")
            .replace("%0A", "\n")
            .replace("%3A", ":")
            .replace("%2C", ",")
            .replace("%25", "%")
    };
    let mut found = Vec::new();
    for line in stdout.lines().filter_map(|l| l.strip_prefix("::")) {
        let (head, message) = line.split_once("::").unwrap_or_else(|| panic!("{line}"));
        let (kind, properties) = head.split_once(' ').unwrap_or((head, ""));
        let mut a = Annotation {
            kind: kind.to_owned(),
            file: None,
            line: None,
            title: None,
            message: decode(message),
        };
        for property in properties.split(',').filter(|p| !p.is_empty()) {
            match property.split_once('=').unwrap_or_else(|| panic!("{line}")) {
                ("file", v) => a.file = Some(decode(v)),
                ("line", v) => a.line = Some(v.parse().unwrap()),
                ("title", v) => a.title = Some(decode(v)),
                _ => panic!("unknown property in {line}"),
            }
        }
        found.push(a);
    }
    found
}

#[test]
fn explain_shows_the_row_the_request_and_every_check_with_secrets_masked() {
    // A row of the table of errors per endpoint is named with its endpoint and evidence.
    let out = output(authconform().args(["explain", "signup/user-exists"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    for expected in [
        "seed row: POST /dbconnections/signup: 409 user_exists \"The user already exists.\" (Boom body) (row 2 of Auth0 Authentication API: errors per endpoint)",
        "evidence: D, docs signup/create-a-new-user",
        "needs: the tenant flag enable_public_signup_user_exists_error",
        "  body /code equals \"user_exists\"",
        "  schema auth0-boom-error.schema.json validates",
    ] {
        assert!(out.stdout.contains(expected), "{expected}: {}", out.stdout);
    }

    let out = output(authconform().args(["explain", "token/missing-grant-type"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    for expected in [
        "token/missing-grant-type: A token request without grant_type is refused as invalid_request",
        "seed row: 400 invalid_request (row 1 of Auth0 Authentication API: Standard Error Responses)",
        "  POST <target>/oauth/token",
        "--data-urlencode 'client_secret=***'",
        "  status is 400",
        "  body /error equals \"invalid_request\"",
        "advice (a violation is a warning):",
    ] {
        assert!(
            out.stdout.contains(expected),
            "missing {expected:?} in\n{}",
            out.stdout
        );
    }
    assert!(!out.stdout.contains(authconform::reference::CLIENT_SECRET));
    let out = output(authconform().args([
        "explain",
        "token/missing-grant-type",
        "--target",
        "https://t.example.com",
    ]));
    assert!(
        out.stdout
            .contains("not sendable: no value for `client_id`, `client_secret`"),
        "{}",
        out.stdout
    );
    // Found in review: explain masked the whole page, so a secret that is also a word of the
    // catalogue (`auth0`, `token`) garbled refs, tags and names; only the secret's values are
    // masked, as in `run`.
    let out = output(
        authconform()
            .args(["explain", "revoke/missing-token", "--var", "client_id=abc"])
            .env("AUTHCONFORM_SECRET_CLIENT_SECRET", "auth0"),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .contains("ref: https://auth0.com/docs/api/authentication#standard-error-responses"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("--data-urlencode 'client_secret=***'"),
        "{}",
        out.stdout
    );
    assert!(
        !out.stdout.contains("client_secret=auth0"),
        "{}",
        out.stdout
    );
    let out = output(authconform().args(["explain", "token/get-methd"]));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("did you mean `token/get-method`?"),
        "{}",
        out.stderr
    );
}

#[test]
fn man_page_and_completions_come_from_the_command_line_definition() {
    let out = output(authconform().arg("man"));
    assert_eq!(out.code, 0);
    assert!(out.stdout.contains(".TH authconform 1"), "{}", out.stdout);
    for sub in ["run", "lint", "coverage", "explain", "serve"] {
        assert!(out.stdout.contains(sub), "the man page lacks {sub}");
    }
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = output(authconform().args(["completions", shell]));
        assert_eq!(out.code, 0, "{shell}");
        assert!(
            out.stdout.contains("report-json") && out.stdout.contains("deviations"),
            "{shell}: {}",
            out.stdout
        );
    }
}

/// `--deviations auth0-observed` names the built-in set of what real tenants are seen to send,
/// each entry with its public evidence; it is checked like any file: accepted where observed,
/// stale where the server is as documented.
#[test]
fn the_built_in_auth0_observed_set_is_a_deviations_file() {
    let out = output(authconform().args(["lint", "--deviations", "auth0-observed"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let refresh = server(Some(Fault::RefreshTokenInvalidGrant));
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    let out = output(
        run_against(&refresh.url)
            .args(["--deviations", "auth0-observed", "--report-json"])
            .arg(&json),
    );
    assert_eq!(
        out.code, 1,
        "the secret entries and signup's status are stale here: {}",
        out.stdout
    );
    let report = read_report(&json);
    assert_eq!(
        verdict_of(&report, "token/refresh-token-unknown")["kind"],
        "known_deviation"
    );
    let reasons = verdict_of(&report, "token/refresh-token-unknown")["reasons"].to_string();
    assert!(reasons.contains("auth0/Auth0.Android#334"), "{reasons}");
    assert_eq!(report["summary"]["stale_deviations"], 4);
    assert_eq!(report["deviations_file"], "auth0-observed");
}
