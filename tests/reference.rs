use authconform::reference::{AUDIENCE, CLIENT_ID, CLIENT_SECRET};

use crate::util::*;

fn post(url: &str, form: &[(&str, &str)]) -> (u16, reqwest::header::HeaderMap, String) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let r = reqwest::Client::builder()
            .no_proxy()
            .build()
            .unwrap()
            .post(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        (
            r.status().as_u16(),
            r.headers().clone(),
            r.text().await.unwrap(),
        )
    })
}

#[test]
fn a_correct_client_credentials_request_gets_a_real_token() {
    let server = server(None);
    let url = format!("{}/oauth/token", server.url);
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
        ("audience", AUDIENCE),
    ];
    let (status, headers, body) = post(&url, &form);
    assert_eq!(status, 200, "{body}");
    assert_eq!(headers["cache-control"], "no-store");
    let token: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(token["token_type"], "Bearer");
    let first = token["access_token"].as_str().unwrap().to_owned();
    assert!(first.len() > 20);
    let (_, _, again) = post(&url, &form);
    let second: serde_json::Value = serde_json::from_str(&again).unwrap();
    assert_ne!(
        second["access_token"].as_str().unwrap(),
        first,
        "each token is new"
    );
}

#[test]
fn latency_delays_every_answer_and_traffic_is_counted() {
    use authconform::reference::{self, Config};
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let server = rt
        .block_on(reference::spawn(Config {
            latency: std::time::Duration::from_millis(200),
            ..Config::default()
        }))
        .unwrap();
    assert_eq!(server.traffic().requests(), 0);
    assert!(server.traffic().first_request().is_none());
    let started = std::time::Instant::now();
    let (status, _, _) = post(&format!("{}/oauth/token", server.url()), &[]);
    assert_eq!(status, 400);
    // A lower bound only: the answer cannot have come sooner than the latency.
    assert!(started.elapsed() >= std::time::Duration::from_millis(200));
    assert_eq!(server.traffic().requests(), 1);
    assert!(server.traffic().first_request().is_some());
}

/// `serve --profile rfc`, started as a user would, answers the rfc table: `run --profile rfc`
/// with the variables it writes passes every case; and without a target the built-in rfc
/// server does the same.
#[cfg(unix)]
#[test]
fn serve_profile_rfc_passes_the_rfc_catalogue() {
    let dir = tempfile::tempdir().unwrap();
    let vars = dir.path().join("vars.json");
    let report = dir.path().join("report.json");
    let (mut child, url) =
        serve_child(&["--profile", "rfc", "--write-vars", vars.to_str().unwrap()]);
    let run = output(
        crate::util::authconform()
            .args([
                "run",
                "--profile",
                "rfc",
                "--rate",
                "0",
                "--target",
                &url,
                "--vars",
            ])
            .arg(&vars)
            .arg("--report-json")
            .arg(&report),
    );
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let report = crate::util::read_report(&report);
    let cases = report["cases"].as_array().unwrap();
    assert_eq!(
        cases.len(),
        builtin_ids_of(authconform::base::source::Profile::Rfc).len()
    );
    assert!(
        cases.iter().all(|c| c["verdict"]["kind"] == "pass"),
        "{report:#}"
    );

    let builtin =
        output(crate::util::authconform().args(["run", "--profile", "rfc", "--rate", "0"]));
    assert_eq!(builtin.code, 0, "{}\n{}", builtin.stdout, builtin.stderr);
    assert_eq!(crate::util::verdicts(&builtin.stdout).len(), cases.len());
}

/// Every catalogue command speaks the rfc profile: coverage lists its rows, lint accepts it,
/// explain shows a redirect case's Location checks, and export round-trips it.
#[test]
fn every_catalogue_command_takes_the_rfc_profile() {
    let rfc = ["--profile", "rfc"];
    let coverage = output(crate::util::authconform().arg("coverage").args(rfc));
    assert_eq!(coverage.code, 0, "{}", coverage.stdout);
    let seed: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            crate::pytools::repo_dir().join("cases/rfc/rfc-error-responses.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let rows = seed["rows"].as_array().unwrap().len();
    assert!(rows > 0);
    assert!(
        coverage
            .stdout
            .contains(&format!("coverage: {rows} of {rows} rows")),
        "{}",
        coverage.stdout
    );
    let lint = output(crate::util::authconform().arg("lint").args(rfc));
    assert_eq!(lint.code, 0, "{}", lint.stderr);
    let explain = output(
        crate::util::authconform()
            .args(["explain", "authorize/missing-response-type"])
            .args(rfc),
    );
    assert_eq!(explain.code, 0, "{}", explain.stderr);
    assert!(
        explain
            .stdout
            .contains("location ?error equals \"invalid_request\"")
            && explain
                .stdout
                .contains("location ?state equals \"authconform-state\""),
        "{}",
        explain.stdout
    );
    // An auth0 case is not in the rfc catalogue.
    let wrong = output(
        crate::util::authconform()
            .args(["explain", "token/get-method"])
            .args(rfc),
    );
    assert_eq!(wrong.code, 2);

    let dir = tempfile::tempdir().unwrap();
    let export = output(
        crate::util::authconform()
            .arg("export")
            .arg(dir.path())
            .args(rfc),
    );
    assert_eq!(export.code, 0, "{}", export.stderr);
    assert!(
        export.stdout.contains("run --profile rfc --cases"),
        "{}",
        export.stdout
    );
    let case = std::fs::read_to_string(dir.path().join("cases/userinfo/no-token.json")).unwrap();
    assert!(
        case.contains("\"$schema\": \"../../schemas/case.schema.json\""),
        "{case}"
    );
    let report = dir.path().join("report.json");
    let run = output(
        crate::util::authconform()
            .args(["run", "--profile", "rfc", "--rate", "0", "--cases"])
            .arg(dir.path().join("cases"))
            .arg("--schemas")
            .arg(dir.path().join("schemas"))
            .arg("--report-json")
            .arg(&report),
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let report = crate::util::read_report(&report);
    assert_eq!(
        report["summary"]["passed"],
        builtin_ids_of(authconform::base::source::Profile::Rfc).len(),
        "{:#}",
        report["summary"]
    );
}
