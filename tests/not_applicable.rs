//! Not applicable is not forgotten: a variable declared not applicable (a vars file's
//! `{"not_applicable": "REASON"}`, `--not-applicable`, or an endpoint the discovery document
//! does not list) makes its cases *not applicable*, counted apart from skips in every report,
//! and `--fail-on-skip` fails on real skips only. One vars file serves both profiles, and exit 2
//! is decided before anything is sent, the discovery request included.

use std::net::TcpListener;

use authconform::base::source::Profile;
use serde_json::{Value, json};

use crate::util::*;

/// (id, verdict kind) of every case in the report.
fn kinds_of(report: &Value) -> Vec<(String, String)> {
    report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_owned(),
                c["verdict"]["kind"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn count(report: &Value, kind: &str) -> u64 {
    kinds_of(report).iter().filter(|(_, k)| k == kind).count() as u64
}

/// Against a server prepared with every variable but one it has not, declared so in the vars
/// file: the cases that need it are not applicable with the reason (neutralised), counted
/// apart from skips in the JSON report, JUnit, the terminal and the HTML report, and the gate
/// passes under --fail-on-skip.
#[test]
fn a_variable_declared_not_applicable_passes_fail_on_skip_and_is_counted_apart() {
    let ok = server(None);
    let dir = tempfile::tempdir().unwrap();
    let vars = dir.path().join("vars.json");
    // A right-to-left override is one line of text, but must not steer a reader's terminal.
    let reason = "this server has no revocation endpoint \u{202e}";
    std::fs::write(
        &vars,
        json!({"revocation_endpoint": {"not_applicable": reason, "meaning": "RFC 7009"}})
            .to_string(),
    )
    .unwrap();
    let (json_path, junit, html) = (
        dir.path().join("r.json"),
        dir.path().join("j.xml"),
        dir.path().join("r.html"),
    );
    let out = output(
        run_against(&ok.url)
            .arg("--vars")
            .arg(&vars)
            .arg("--fail-on-skip")
            .arg("--report-json")
            .arg(&json_path)
            .arg("--junit")
            .arg(&junit)
            .arg("--report-html")
            .arg(&html),
    );
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let report = read_report(&json_path);
    assert_eq!(report["ok"], true);
    assert_eq!(report["gate"], json!([]));
    let shown = "this server has no revocation endpoint \\u{202e}";
    let revoke: Vec<String> = builtin_ids()
        .into_iter()
        .filter(|id| id.starts_with("revoke/"))
        .collect();
    assert!(!revoke.is_empty());
    for id in &revoke {
        assert_eq!(
            case_of(&report, id)["verdict"],
            json!({"kind": "not_applicable", "reason": shown, "variables": ["revocation_endpoint"]}),
            "{id}"
        );
    }
    let summary = &report["summary"];
    assert_eq!(summary["not_applicable"], revoke.len() as u64);
    assert_eq!(summary["skipped"], 0);
    assert_eq!(
        summary["passed"].as_u64().unwrap() + revoke.len() as u64,
        builtin_ids().len() as u64
    );
    assert_eq!(count(&report, "not_applicable"), revoke.len() as u64);
    // JUnit: skipped, with the reason, and its counts agree with the JSON report's.
    crate::truth::assert_junit_agrees("not applicable", &junit, &report);
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert_eq!(
        xml.matches(&format!("<skipped message=\"not applicable: {shown}\"/>"))
            .count(),
        revoke.len(),
        "{xml}"
    );
    // The terminal: each case's line gives the reason, and the closing line counts them.
    let lines = verdicts(&out.stdout);
    for id in &revoke {
        assert!(
            lines.contains(&(id.clone(), format!("ignored (not applicable: {shown})"))),
            "{id}: {lines:?}"
        );
    }
    assert!(
        out.stdout
            .contains(&format!("0 skipped; {} not applicable;", revoke.len())),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains('\u{202e}') && !xml.contains('\u{202e}'));
    let page = std::fs::read_to_string(&html).unwrap();
    assert_eq!(
        page.matches("<details class=\"case v-not-applicable\"")
            .count(),
        revoke.len()
    );
    assert!(!page.contains('\u{202e}'));
}

/// --fail-on-skip fails on a real skip (a variable the run forgot), and a case that needs both
/// a forgotten variable and one declared not applicable is not applicable: it would never run
/// on this server.
#[test]
fn a_missing_variable_fails_fail_on_skip_and_not_applicable_wins_over_missing() {
    let ok = server(None);
    let dir = tempfile::tempdir().unwrap();
    let json_path = dir.path().join("r.json");
    let out = output(
        authconform()
            .args([
                "run", "--color", "never", "--rate", "0", "--target", &ok.url,
            ])
            .args(["--var", "client_id=authconform-m2m"])
            .args(["--not-applicable", "revocation_endpoint=no revocation here"])
            .arg("--fail-on-skip")
            .arg("--report-json")
            .arg(&json_path),
    );
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    let report = read_report(&json_path);
    let skipped = report["summary"]["skipped"].as_u64().unwrap();
    let not_applicable = report["summary"]["not_applicable"].as_u64().unwrap();
    assert!(skipped > 0 && not_applicable > 0, "{:#}", report["summary"]);
    assert_eq!(count(&report, "skip"), skipped);
    assert_eq!(count(&report, "not_applicable"), not_applicable);
    assert_eq!(
        report["gate"],
        json!([{"kind": "skipped", "cases": skipped}])
    );
    // revoke/missing-token needs the client's secret too, which this run does not set.
    let case = case_of(&report, "revoke/missing-token");
    assert_eq!(
        case["verdict"],
        json!({"kind": "not_applicable", "reason": "no revocation here", "variables": ["revocation_endpoint"]})
    );
    assert!(
        report["missing_variables"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| !m["cases"]
                .as_array()
                .unwrap()
                .contains(&json!("revoke/missing-token"))),
        "{:#}",
        report["missing_variables"]
    );
    // And the same run with every variable set passes (--var wins over nothing here).
    let out = output(
        run_against(&ok.url)
            .args(["--fail-on-skip", "--report-json"])
            .arg(&json_path),
    );
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert_eq!(read_report(&json_path)["summary"]["not_applicable"], 0);
}

/// After --discover, an endpoint the document does not list is not applicable, naming the
/// document; one it lists is used.
#[test]
fn an_endpoint_the_discovery_document_does_not_list_is_not_applicable() {
    let server = raw_server_at(|me, req, s| {
        if req.target == "/.well-known/openid-configuration" {
            let doc = json!({"issuer": me, "token_endpoint": format!("{me}/token")}).to_string();
            write_response(
                s,
                "200 OK",
                &[("content-type", "application/json")],
                doc.as_bytes(),
            );
        } else {
            write_response(
                s,
                "400 Bad Request",
                &[("content-type", "application/json")],
                br#"{"error":"invalid_request"}"#,
            );
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let json_path = dir.path().join("r.json");
    let flags: Vec<String> = var_flags_of(Profile::Rfc)
        .chunks(2)
        .filter(|pair| !pair[1].contains("_endpoint="))
        .flatten()
        .cloned()
        .collect();
    let out = output(
        authconform()
            .args(["run", "--color", "never", "--rate", "0", "--profile", "rfc"])
            .args(["--target", &server.url, "--discover"])
            .args(&flags)
            .arg("--report-json")
            .arg(&json_path),
    );
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    let report = read_report(&json_path);
    let document = format!("{}/.well-known/openid-configuration", server.url);
    let mut not_applicable = 0;
    for case in report["cases"].as_array().unwrap() {
        let verdict = &case["verdict"];
        match verdict["kind"].as_str().unwrap() {
            "not_applicable" => {
                not_applicable += 1;
                let name = verdict["variables"][0].as_str().unwrap();
                assert_ne!(name, "token_endpoint");
                assert_eq!(
                    verdict["reason"],
                    format!("the discovery document at {document} lists no `{name}`"),
                    "{case:#}"
                );
            }
            "skip" => panic!("nothing is forgotten here: {case:#}"),
            _ => assert!(
                case["request"]["url"]
                    .as_str()
                    .unwrap()
                    .starts_with(&format!("{}/token", server.url)),
                "{case:#}"
            ),
        }
    }
    assert!(not_applicable > 0);
    assert_eq!(report["summary"]["not_applicable"], not_applicable);
    let said = format!(
        "authconform: --discover: {document} lists no `revocation_endpoint`, `authorization_endpoint`, `userinfo_endpoint`: the cases that need them are not applicable\n"
    );
    assert!(out.stderr.contains(&said), "{said}{}", out.stderr);
    let revoke = case_of(&report, "revoke/unknown-token");
    assert_eq!(
        revoke["verdict"]["reason"],
        format!("the discovery document at {document} lists no `revocation_endpoint`")
    );
}

/// The vars file `serve --write-vars` writes for the auth0 profile runs under --profile rfc:
/// its auth0 variables are a note on standard error, not exit 2. A name no built-in profile
/// declares is still exit 2.
#[cfg(unix)]
#[test]
fn the_auth0_vars_file_runs_under_the_rfc_profile_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let vars = dir.path().join("vars.json");
    let (mut child, _) = serve_child(&["--write-vars", vars.to_str().unwrap()]);
    let _ = child.kill();
    let _ = child.wait();
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&vars).unwrap()).unwrap();
    let rfc: Vec<String> = authconform::catalogue::vars::documented(Profile::Rfc)
        .into_iter()
        .map(|v| v.name)
        .collect();
    let foreign: Vec<String> = written
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| !k.starts_with('$') && !rfc.contains(k))
        .map(|k| format!("`{k}`"))
        .collect();
    let mut foreign = foreign;
    foreign.sort();
    assert!(foreign.contains(&"`audience`".to_owned()), "{written:#}");

    let rfc_server = server_with(authconform::reference::Config {
        profile: Profile::Rfc,
        ..Default::default()
    });
    let json_path = dir.path().join("r.json");
    let run = |extra: &[&str]| {
        output(
            run_profile(&rfc_server.url, Profile::Rfc)
                .arg("--vars")
                .arg(&vars)
                .args(extra)
                .arg("--report-json")
                .arg(&json_path),
        )
    };
    let out = run(&[]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let note = format!(
        "authconform: note: --vars {}: {} are variables of the auth0 profile; this run (rfc) does not use them\n",
        vars.display(),
        foreign.join(", ")
    );
    assert!(out.stderr.contains(&note), "{note}\n{}", out.stderr);
    let report = read_report(&json_path);
    assert_eq!(
        report["cases"].as_array().unwrap().len(),
        builtin_ids_of(Profile::Rfc).len()
    );
    assert_eq!(
        report["summary"]["passed"],
        builtin_ids_of(Profile::Rfc).len() as u64
    );

    std::fs::remove_file(&json_path).unwrap();
    let out = run(&["--var", "audiance=x"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("--var audiance=…: no case uses a variable `audiance`"),
        "{}",
        out.stderr
    );
    assert!(!json_path.exists(), "exit 2 before anything, no report");
}

/// A loopback listener that nobody answers: it records whether anything connected.
struct Listener(TcpListener);

impl Listener {
    fn new() -> Listener {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        Listener(listener)
    }

    fn url(&self) -> String {
        format!("http://{}", self.0.local_addr().unwrap())
    }

    /// Whether a connection came (the kernel completes it without an accept).
    fn connected(&self) -> bool {
        match self.0.accept() {
            Ok(_) => true,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => false,
            Err(e) => panic!("{e}"),
        }
    }
}

/// Every mistake in the inputs is exit 2 before the discovery request: an unknown variable, a
/// bad deviations file, a variable's URL on another origin, a --not-applicable without a
/// reason. The listener proves that a run with good inputs does connect.
#[test]
fn exit_2_is_decided_before_the_discovery_request_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let deviations = dir.path().join("deviations.json");
    std::fs::write(
        &deviations,
        r#"{"deviations": [{"case": "no/such-case", "check": "status", "reason": "r"}]}"#,
    )
    .unwrap();
    let deviations = deviations.display().to_string();
    let mistakes: [(&str, Vec<&str>, &str); 4] = [
        (
            "unknown variable",
            vec!["--var", "audiance=x"],
            "no case uses a variable `audiance`",
        ),
        (
            "deviations file",
            vec!["--deviations", &deviations],
            "no case `no/such-case`",
        ),
        (
            "another origin",
            vec!["--var", "revocation_endpoint=http://192.0.2.1/revoke"],
            "is not the target's origin",
        ),
        (
            "no reason",
            vec!["--not-applicable", "revocation_endpoint="],
            "the reason is empty",
        ),
    ];
    for (what, flags, says) in mistakes {
        let listener = Listener::new();
        let out = output(
            authconform()
                .args([
                    "run",
                    "--color",
                    "never",
                    "--profile",
                    "rfc",
                    "--timeout",
                    "2",
                ])
                .args(["--target", &listener.url(), "--discover"])
                .args(&flags),
        );
        assert_eq!(out.code, 2, "{what}: {}", out.stderr);
        assert!(out.stderr.contains(says), "{what}: {}", out.stderr);
        assert!(
            !listener.connected(),
            "{what}: the discovery request was sent"
        );
    }
    let listener = Listener::new();
    let out = output(
        authconform()
            .args([
                "run",
                "--color",
                "never",
                "--profile",
                "rfc",
                "--timeout",
                "1",
            ])
            .args(["--target", &listener.url(), "--discover"]),
    );
    assert_eq!(out.code, 2, "the document never comes: {}", out.stderr);
    assert!(out.stderr.contains("--discover"), "{}", out.stderr);
    assert!(
        listener.connected(),
        "good inputs: the discovery request is sent"
    );
}
