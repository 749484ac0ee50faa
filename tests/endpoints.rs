//! Endpoints resolve as URLs do (RFC 3986 §5), against a reference server that serves its
//! endpoints under `/o/`: only the catalogue's defaults go under the target's path; a value
//! from the origin's root, a relative value and a full URL go where they say. And the hints a
//! run gives about its target: only where the responses prove them.

use crate::util::*;

/// The path each case of a JSON report requested, by case id.
fn paths(report: &serde_json::Value) -> Vec<(String, String)> {
    report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let url = url::Url::parse(c["request"]["url"].as_str().unwrap()).unwrap();
            (c["id"].as_str().unwrap().to_owned(), url.path().to_owned())
        })
        .collect()
}

/// See issue 21, item 3: `--target http://host/o --var revocation_endpoint=/o/revoke_token/`
/// requested `/o/o/revoke_token/`. With the target's path `/o`: `token_endpoint=/o/token/`
/// (from the origin's root), `revocation_endpoint=revoke/` (relative: under the target),
/// `authorization_endpoint` a full URL, and `change_password_endpoint` left to its default,
/// which alone goes under the target's path (where this server serves nothing).
#[test]
fn endpoint_values_resolve_as_urls_do_and_only_defaults_take_the_targets_path() {
    let server = server_with(authconform::reference::Config {
        other_paths: true,
        ..Default::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    let out = output(
        run_against(&format!("{}/o", server.url))
            .args(["--var", "token_endpoint=/o/token/"])
            .args(["--var", "revocation_endpoint=revoke/"])
            .args([
                "--var",
                &format!("authorization_endpoint={}/o/authorize/", server.url),
            ])
            .arg("--report-json")
            .arg(&json),
    );
    let report = read_report(&json);
    let paths = paths(&report);
    for (id, path) in &paths {
        let expected = match id.split('/').next().unwrap() {
            "token" => "/o/token/",
            "revoke" => "/o/revoke/",
            "authorize" => "/o/authorize/",
            "dbconnections" => "/o/dbconnections/change_password",
            "legacy" => "/tokeninfo",
            other => panic!("a case of a group this test does not know: {other}"),
        };
        assert_eq!(path, expected, "{id}");
        let verdict = &case_of(&report, id)["verdict"]["kind"];
        if id.starts_with("dbconnections/") {
            // The default went under the target's path, where this server has nothing.
            assert_eq!(verdict, "fail", "{id}: {}", out.stdout);
        } else {
            assert_eq!(verdict, "pass", "{id}: {}", out.stdout);
        }
    }
    assert_eq!(paths.len(), builtin_ids().len());
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    // The curl line is the URL that was sent.
    let curl = case_of(&report, "token/get-method")["request"]["curl"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        curl.contains(&format!("{}/o/token/", server.url)) && !curl.contains("/o/o/"),
        "{curl}"
    );
}

/// `explain` shows the URL a run sends, under the same rule.
#[test]
fn explain_shows_the_url_that_is_sent() {
    for (value, url) in [
        ("/api/oidc/token", "https://h.example/api/oidc/token"),
        ("token", "https://h.example/api/oidc/token"),
        (
            "https://h.example/elsewhere/token",
            "https://h.example/elsewhere/token",
        ),
    ] {
        let out = output(
            authconform()
                .args(["explain", "token/get-method", "--target"])
                .arg("https://h.example/api/oidc")
                .args(["--var", "client_id=c"])
                .args(["--var", &format!("token_endpoint={value}")]),
        );
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert!(
            out.stdout.contains(&format!("GET {url}?")),
            "{}",
            out.stdout
        );
        assert!(
            out.stdout.contains(&format!("curl -i '{url}?")),
            "{}",
            out.stdout
        );
    }
    let out = output(
        authconform()
            .args(["explain", "token/get-method", "--target"])
            .arg("https://h.example/api/oidc")
            .args(["--var", "client_id=c"]),
    );
    assert!(
        out.stdout
            .contains("GET https://h.example/api/oidc/oauth/token?"),
        "{}",
        out.stdout
    );
}
