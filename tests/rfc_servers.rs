//! The rfc profile against real OAuth servers nobody here wrote (node oidc-provider and Python
//! Authlib, installed from their registries by tests/servers/setup.sh and started on loopback):
//! the verdict of every case on every server is recorded below, each failure with the section
//! of the RFC the server departs from. A verdict that changes fails the test.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::servers::{RealServer, start};
use crate::util::{authconform, output, read_report};

/// Runs `run --profile rfc --discover` against `server` with the variables it printed (its
/// endpoints left to discovery); returns each case's verdict and violated checks.
fn verdicts(server: &RealServer) -> BTreeMap<String, (String, Vec<String>)> {
    let dir = tempfile::tempdir().unwrap();
    let vars = dir.path().join("vars.json");
    let report = dir.path().join("report.json");
    let mut file = serde_json::Map::new();
    for (name, value) in &server.vars {
        if !name.ends_with("_endpoint") {
            file.insert(name.clone(), Value::String(value.clone()));
        }
    }
    for (name, value) in &server.secrets {
        file.insert(name.clone(), json!({ "secret": value }));
    }
    std::fs::write(&vars, Value::Object(file).to_string()).unwrap();
    let out = output(
        authconform()
            .args([
                "run",
                "--profile",
                "rfc",
                "--discover",
                "--rate",
                "0",
                "--color",
                "never",
            ])
            .args(["--target", &server.url, "--vars"])
            .arg(&vars)
            .arg("--report-json")
            .arg(&report),
    );
    assert!(
        out.code == 0 || out.code == 1,
        "{}\n{}\n{}",
        out.stdout,
        out.stderr,
        server.log()
    );
    let report = read_report(&report);
    report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let checks = c["violations"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v["check"].as_str().unwrap().to_owned())
                .collect();
            (
                c["id"].as_str().unwrap().to_owned(),
                (c["verdict"]["kind"].as_str().unwrap().to_owned(), checks),
            )
        })
        .collect()
}

/// A server's verdict on a case that does not pass: (case, verdict, the checks it violated,
/// why: the section of the RFC the server departs from, or why the case cannot run there).
type Departure = (
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static str,
);

/// What each server does, beyond passing: every case not listed passes.
const RECORDED: &[(&str, &[Departure])] = &[
    (
        "oidc-provider",
        &[
            (
                "authorize/implicit-invalid-scope",
                "skip",
                &[],
                "no `implicit_client_id`: an OpenID Provider, it cannot be configured with the plain `token` response type",
            ),
            (
                "authorize/invalid-scope",
                "fail",
                &["location ?error", "location ?state"],
                "RFC 6749 §3.3 lets a server ignore a scope it does not know: it does, and goes on to its login page instead of redirecting invalid_scope",
            ),
            (
                "authorize/unauthorized-client",
                "fail",
                &["location ?error"],
                "RFC 6749 §4.1.2.1: a client not allowed the response type is unauthorized_client; it redirects invalid_request",
            ),
            (
                "device/slow-down",
                "skip",
                &[],
                "no `slow_down_device_code`: it never answers slow_down (RFC 8628 §3.5), whatever the polling rate",
            ),
            (
                "token/client-credentials-not-allowed",
                "fail",
                &["body /error"],
                "RFC 6749 §5.2: a grant type the client may not use is unauthorized_client; it answers invalid_request",
            ),
            (
                "token/invalid-scope",
                "fail",
                &["status", "schema rfc6749-error.schema.json", "body /error"],
                "RFC 6749 §3.3 lets a server ignore a scope it does not know: it drops it and issues a token",
            ),
        ],
    ),
    (
        "authlib",
        &[
            (
                "authorize/missing-response-type",
                "fail",
                &["location ?error"],
                "RFC 6749 §4.1.2.1: a missing required parameter is invalid_request; it redirects unsupported_response_type",
            ),
            (
                "device/unknown-device-code",
                "fail",
                &["body /error"],
                "RFC 8628 §3.5 with RFC 6749 §5.2: a device code the server never issued is invalid_grant; it answers invalid_request",
            ),
            (
                "revoke/unsupported-token-type",
                "skip",
                &[],
                "no `unrevocable_token`: it revokes every token type it issues",
            ),
            (
                "token/missing-grant-type",
                "fail",
                &["body /error"],
                "RFC 6749 §5.2: a missing required parameter is invalid_request; it answers unsupported_grant_type",
            ),
            (
                "userinfo/insufficient-scope",
                "fail",
                &["challenge bearer", "challenge bearer error"],
                "RFC 6750 §3: a refused request MUST carry a WWW-Authenticate challenge; its 403 insufficient_scope has the code in the body only",
            ),
            (
                "userinfo/two-methods",
                "fail",
                &["status", "challenge bearer error"],
                "RFC 6750 §2.3: a server MAY refuse tokens in the query; it ignores the query token, sees one method and answers 401 invalid_token",
            ),
        ],
    ),
];

/// The versions the tests install (tests/servers/): the README's table names them.
const VERSIONS: &[(&str, &str)] = &[
    ("oidc-provider", "oidc-provider 9.13.3"),
    ("authlib", "Authlib 1.9.10"),
];

/// Every case of the rfc catalogue, by id.
fn rfc_ids() -> Vec<String> {
    use authconform::source::{BuiltIn, Profile, Source};
    authconform::case::Catalogue::load(
        Profile::Rfc,
        &Source::BuiltIn(BuiltIn::Cases(Profile::Rfc)),
        &Source::BuiltIn(BuiltIn::Schemas),
    )
    .unwrap()
    .cases
    .into_iter()
    .map(|c| c.id)
    .collect()
}

/// Each server's verdict on every rfc case is the recorded one: a case that starts to pass, or
/// to fail by other checks, fails this test until the table (and the README) says so.
#[test]
fn each_real_server_gets_its_recorded_verdicts() {
    for (name, departures) in RECORDED {
        let Some(server) = start(name) else { continue };
        let started = std::time::Instant::now();
        let got = verdicts(&server);
        eprintln!("{name}: the rfc catalogue ran in {:?}", started.elapsed());
        let expected: BTreeMap<String, (String, Vec<String>)> = rfc_ids()
            .into_iter()
            .map(|id| {
                let entry = match departures.iter().find(|d| d.0 == id) {
                    Some((_, verdict, checks, _)) => (
                        (*verdict).to_owned(),
                        checks.iter().map(|c| (*c).to_owned()).collect(),
                    ),
                    None => ("pass".to_owned(), Vec::new()),
                };
                (id, entry)
            })
            .collect();
        assert_eq!(got, expected, "{name}\n{}", server.log());
    }
}

/// The README's "What each server does" table is [`RECORDED`], row for row.
#[test]
fn the_readme_shows_the_recorded_verdicts() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme
        .find("| server | case | verdict | failed checks | why |\n")
        .expect("the table");
    let table: Vec<&str> = readme[start..]
        .lines()
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .collect();
    let expected: Vec<String> = RECORDED
        .iter()
        .flat_map(|(name, departures)| {
            let version = VERSIONS.iter().find(|v| v.0 == *name).unwrap().1;
            departures.iter().map(move |(case, verdict, checks, why)| {
                let checks: Vec<String> = checks.iter().map(|c| format!("`{c}`")).collect();
                format!(
                    "| {version} | `{case}` | {verdict} | {} | {why} |",
                    checks.join(", ")
                )
            })
        })
        .collect();
    assert_eq!(table, expected);
}
