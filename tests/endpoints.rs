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
            // Given from the origin's root, where this server serves them.
            .args(["--var", "userinfo_endpoint=/userinfo"])
            .args(["--var", "passwordless_start_endpoint=/passwordless/start"])
            .args(["--var", "co_authenticate_endpoint=/co/authenticate"])
            .args(["--var", "logout_endpoint=/v2/logout"])
            .args(["--var", "signup_endpoint=/dbconnections/signup"])
            .args(["--var", "device_authorization_endpoint=/oauth/device/code"])
            .args(["--var", "backchannel_authentication_endpoint=/bc-authorize"])
            .args(["--var", "pushed_authorization_request_endpoint=/oauth/par"])
            .arg("--report-json")
            .arg(&json),
    );
    let report = read_report(&json);
    let paths = paths(&report);
    for (id, path) in &paths {
        let group = match id.as_str() {
            "passwordless/otp-wrong-code" => "token",
            "mfa/challenge-unsupported-type" => "mfa-challenge",
            "device/code-missing-client-id" => "device-code",
            _ => id.split('/').next().unwrap(),
        };
        let expected = match group {
            "userinfo" => "/userinfo",
            "passwordless" => "/passwordless/start",
            "co" => "/co/authenticate",
            "logout" => "/v2/logout",
            "mfa-challenge" => "/o/mfa/challenge",
            "signup" => "/dbconnections/signup",
            "device-code" => "/oauth/device/code",
            "ciba" => "/bc-authorize",
            "par" => "/oauth/par",
            "token" | "mfa" | "dpop" | "attack-protection" | "device" => "/o/token/",
            "revoke" => "/o/revoke/",
            "authorize" => "/o/authorize/",
            "dbconnections" => "/o/dbconnections/change_password",
            "legacy" => "/tokeninfo",
            other => panic!("a case of a group this test does not know: {other}"),
        };
        assert_eq!(path, expected, "{id}");
        let verdict = &case_of(&report, id)["verdict"]["kind"];
        if id.starts_with("dbconnections/") || id == "mfa/challenge-unsupported-type" {
            // The default went under the target's path, where this server has nothing.
            assert_eq!(verdict, "fail", "{id}: {}", out.stdout);
        } else {
            assert_eq!(verdict, "pass", "{id}: {}", out.stdout);
        }
    }
    assert_eq!(paths.len(), builtin_ids().len());
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    // One hint per endpoint whose every answer was a 404, naming its variable and a value that
    // resolves where it says: a path from the origin's root.
    assert_eq!(
        report["hints"],
        serde_json::json!([
            "the one case sent to /o/dbconnections/change_password was answered with 404: the server does not serve `change_password_endpoint` there; check --target (its path /o goes before the default /dbconnections/change_password), or say where it does as its full path from the origin's root (--var change_password_endpoint=/PATH), or give --discover",
            "the one case sent to /o/mfa/challenge was answered with 404: the server does not serve `mfa_challenge_endpoint` there; check --target (its path /o goes before the default /mfa/challenge), or say where it does as its full path from the origin's root (--var mfa_challenge_endpoint=/PATH), or give --discover"
        ])
    );
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

/// The hints of a run, from its JSON report.
fn hints_of(report: &serde_json::Value) -> Vec<String> {
    report["hints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap().to_owned())
        .collect()
}

/// See issue 21, item 4: a server that serves its endpoints elsewhere gets one hint per
/// endpoint, each naming the variable the cases' path is made of (not matched by the end of a
/// default), for the endpoints whose every answer is a 404, and none for those that answer.
#[test]
fn a_lost_endpoint_is_named_by_its_variable() {
    let elsewhere = server_with(authconform::reference::Config {
        other_paths: true,
        ..Default::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    let out = output(run_against(&elsewhere.url).arg("--report-json").arg(&json));
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let hints = hints_of(&read_report(&json));
    let named: Vec<&str> = hints
        .iter()
        .map(|h| h.split('`').nth(1).unwrap_or_default())
        .collect();
    assert_eq!(
        named,
        [
            "authorization_endpoint",
            "revocation_endpoint",
            "token_endpoint"
        ],
        "{hints:#?}"
    );
    for (hint, name) in hints.iter().zip(named) {
        assert!(hint.contains(&format!("(--var {name}=/PATH)")), "{hint}");
    }
}

/// A closed port: one hint naming the target and the cause; every record keeps its message in
/// the JSON report; the terminal shows the error whole once.
#[test]
fn an_unreachable_target_is_one_hint() {
    let url = closed_port_url();
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    let out = output(run_against(&url).arg("--report-json").arg(&json));
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let report = read_report(&json);
    let n = builtin_ids().len();
    assert_eq!(
        hints_of(&report),
        [format!(
            "cannot reach the target {url}: nothing listens there (connection refused): is the server running, and on this port? ({n} of {n} cases sent could not be judged for it)"
        )]
    );
    for case in report["cases"].as_array().unwrap() {
        assert_eq!(case["verdict"]["kind"], "error", "{case}");
        assert!(
            case["verdict"]["message"]
                .as_str()
                .unwrap()
                .contains("Connection refused"),
            "{case}"
        );
    }
    assert_eq!(report["summary"]["errors"], n);
}

/// TLS spoken to a plain http port, and plain http to a TLS port: one hint each, saying which.
#[test]
fn the_wrong_scheme_is_one_hint_saying_so() {
    let plain = server(None);
    let tls = tls_server();
    for (target, says) in [
        (
            plain.url.replace("http://", "https://"),
            "is it http://, not https://?",
        ),
        (
            tls.url.replace("https://", "http://"),
            "is it https://, not http://?",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let json = dir.path().join("r.json");
        let out = output(run_against(&target).arg("--report-json").arg(&json));
        assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
        let hints = hints_of(&read_report(&json));
        assert_eq!(hints.len(), 1, "{hints:#?}");
        assert!(
            hints[0].starts_with(&format!("cannot reach the target {target}: "))
                && hints[0].contains(says),
            "{}",
            hints[0]
        );
    }
}

/// See issue 21, item 4: a redirect to the server's own login or consent page was "location
/// ?error: got no such parameter", and a redirect counted towards a "lost endpoint" hint.
#[test]
fn a_redirect_to_the_servers_own_page_is_said_to_be_one_and_is_no_hint() {
    let server = raw_server(|req, s| {
        if req.target.starts_with("/authorize") {
            write_response(
                s,
                "302 Found",
                &[
                    ("location", "/interaction/abc?uid=1"),
                    ("content-type", "text/html"),
                ],
                b"<html>login</html>",
            );
        } else {
            write_response(s, "404 Not Found", &[], b"");
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    let out = output(
        run_profile(&server.url, authconform::base::source::Profile::Rfc)
            .args(["--var", "authorization_endpoint=/authorize"])
            .args(["--report-json"])
            .arg(&json)
            .arg("authorize/"),
    );
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let report = read_report(&json);
    let mut said = 0;
    for case in report["cases"].as_array().unwrap() {
        for v in case["violations"].as_array().unwrap() {
            if v["check"] == "location ?error" {
                assert_eq!(
                    v["message"],
                    "redirected to the server's own page /interaction/abc (a login or consent page?), not back to redirect_uri with ?error",
                    "{case}"
                );
                said += 1;
            }
        }
    }
    assert!(said >= 3, "{}", out.stdout);
    assert_eq!(hints_of(&report), Vec::<String>::new());
}
