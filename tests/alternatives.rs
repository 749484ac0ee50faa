//! Answers the specs allow instead of the documented error (a case's `alternatives`): a server
//! that takes one passes, and every report names the branch and its section; a server that
//! takes one but breaks it fails on that branch's checks; a server that takes none fails on
//! the documented answer's.

use authconform::base::source::Profile;
use authconform::reference::{Config, Fault};

use crate::util::{
    authconform, case_of, output, raw_server, read_report, run_profile, server_with, write_response,
};

/// A server that leaves out scopes it does not know (RFC 6749 §3.3) and takes no token from
/// the query (RFC 6750 §2.3), refusing the header's invalid token as RFC 6750 §3.1 says.
fn lenient_server() -> crate::util::RawServer {
    raw_server(|req, stream| {
        if req.target.starts_with("/token") {
            write_response(
                stream,
                "200 OK",
                &[("content-type", "application/json"), ("cache-control", "no-store")],
                br#"{"access_token":"at-lenient","token_type":"Bearer","expires_in":60,"scope":"read"}"#,
            );
        } else {
            write_response(
                stream,
                "401 Unauthorized",
                &[(
                    "www-authenticate",
                    r#"Bearer realm="r", error="invalid_token""#,
                )],
                b"",
            );
        }
    })
}

#[test]
fn a_server_on_an_allowed_branch_passes_and_every_report_names_the_branch() {
    let server = lenient_server();
    let dir = tempfile::tempdir().unwrap();
    let (json, junit, html) = (
        dir.path().join("r.json"),
        dir.path().join("r.xml"),
        dir.path().join("r.html"),
    );
    let out = output(
        authconform()
            .args(["run", "--profile", "rfc", "--color", "never", "--rate", "0"])
            .args(["--target", &server.url])
            .args(["--var", "token_endpoint=/token"])
            .args(["--var", "userinfo_endpoint=/userinfo"])
            .args(["--var", "restricted_client_id=service"])
            .args(["--secret", "restricted_client_secret=s3cret-value"])
            .arg("--report-json")
            .arg(&json)
            .arg("--junit")
            .arg(&junit)
            .arg("--report-html")
            .arg(&html),
    );
    // The cases this server does not pass (it answers every /token request with a token) fail
    // the gate; the two on allowed branches pass.
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    let report = read_report(&json);
    assert_eq!(report["ok"], false);
    for (id, branch, section) in [
        ("token/invalid-scope", "grants-less", "rfc6749#section-3.3"),
        (
            "userinfo/two-methods",
            "refuses-the-header-token",
            "rfc6750#section-2.3",
        ),
    ] {
        let record = case_of(&report, id);
        assert_eq!(record["verdict"]["kind"], "pass", "{record:#}");
        assert_eq!(record["branch"]["name"], branch, "{record:#}");
        assert_eq!(record["branch"]["held"], true);
        assert!(
            record["branch"]["ref"].as_str().unwrap().ends_with(section),
            "{record:#}"
        );
        assert_eq!(record["violations"], serde_json::json!([]));
        let describe = format!("passed on an allowed alternative, `{branch}`");
        assert!(
            std::fs::read_to_string(&junit).unwrap().contains(&describe),
            "JUnit does not name {branch}"
        );
        assert!(
            std::fs::read_to_string(&html).unwrap().contains(&describe),
            "HTML does not name {branch}"
        );
        assert!(
            out.stdout.contains(&format!("note: {id}: {describe}")),
            "{}",
            out.stdout
        );
    }
    // The SHOULD the server did not follow is advice, not a failure.
    let two = case_of(&report, "userinfo/two-methods");
    let warned: Vec<&str> = two["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["check"].as_str().unwrap())
        .collect();
    assert_eq!(warned, ["status"], "{two:#}");
    // The documented answer's own case passes as documented, on no branch.
    let invalid = case_of(&report, "userinfo/invalid-token");
    assert_eq!(invalid["verdict"]["kind"], "pass");
    assert!(invalid.get("branch").is_none(), "{invalid:#}");
}

/// The rfc profile against the reference server with `fault`: the record of
/// `token/invalid-scope` and the terminal's output.
fn invalid_scope_under(fault: Fault) -> (serde_json::Value, String) {
    let server = server_with(Config {
        profile: Profile::Rfc,
        fault: Some(fault),
        ..Default::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    let out = output(
        run_profile(&server.url, Profile::Rfc)
            .arg("--report-json")
            .arg(&json),
    );
    assert_eq!(out.code, 1, "{}", out.stdout);
    let record = case_of(&read_report(&json), "token/invalid-scope").clone();
    (record, out.stdout)
}

#[test]
fn a_server_that_takes_a_branch_but_breaks_it_fails_on_that_branch() {
    let (record, stdout) = invalid_scope_under(Fault::RfcInvalidScopeGrantedAsAsked);
    assert_eq!(record["verdict"]["kind"], "fail");
    assert_eq!(record["branch"]["name"], "grants-less");
    assert_eq!(record["branch"]["held"], false);
    let checks: Vec<&str> = record["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["check"].as_str().unwrap())
        .collect();
    assert_eq!(checks, ["body /scope"], "{record:#}");
    // Its line points into the branch, not at the documented status.
    let line = record["violations"][0]["line"].as_u64().unwrap();
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/cases/rfc/token/invalid-scope.json"
    ))
    .unwrap();
    let at = text.lines().nth(line as usize - 1).unwrap();
    assert!(at.contains("\"/scope\""), "line {line}: {at}");
    assert!(
        stdout.contains("took an allowed alternative, but not as the spec allows, `grants-less`"),
        "{stdout}"
    );
}

#[test]
fn a_server_that_takes_no_branch_fails_on_the_documented_answer() {
    let (record, _) = invalid_scope_under(Fault::RfcInvalidScopeAs403);
    assert_eq!(record["verdict"]["kind"], "fail");
    assert!(record.get("branch").is_none(), "{record:#}");
    assert_eq!(record["violations"][0]["check"], "status");
}
