//! Text from outside, everywhere it is shown: a hostile discovery document, a hostile server
//! and a hostile case folder, and every output a run writes (terminal, JUnit, JSON, HTML,
//! GitHub's annotations and step summary) walked for anything a terminal or a CI log acts on.
//! Also discovery as both specs place it, for an issuer with a path.

use std::path::Path;

use crate::util::*;

/// Characters that steer a terminal or a log, or hide text from its reader: C0 controls but
/// newline and tab (CR, ESC, BEL, NUL), DEL and the C1 controls (CSI is U+009B), the bidi
/// embeddings, overrides, isolates and marks, and the line and paragraph separators.
fn risky(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(
            c,
            '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
                | '\u{2028}' | '\u{2029}'
        )
        // Not characters at all: XML 1.0 forbids the last two of every plane.
        || matches!(c, '\u{fdd0}'..='\u{fdef}')
        || (c as u32) & 0xfffe == 0xfffe
}

/// A discovery document whose every endpoint is an injection but one, which is a good URL.
fn discovery(url: &str) -> String {
    serde_json::json!({
        "issuer": format!("{url}\r\n::error file=README.md::ISSUER"),
        "token_endpoint": format!("{url}/t\r\n::error file=README.md::DISCOVERED"),
        "authorization_endpoint": format!("{url}/a\u{1b}]52;c;Y2xpcA==\u{7}"),
        "userinfo_endpoint": format!("{url}/u\u{1b}[2J\u{0}\u{202e}"),
        "device_authorization_endpoint": format!("{url}/d##[error]DEVICE"),
        "revocation_endpoint": format!("{url}/revoke"),
    })
    .to_string()
}

/// The server's answer to every request but discovery: hostile headers and a hostile body.
fn answer(s: &mut std::net::TcpStream, status: &str) {
    let body = "{\"error\":\"invalid_request\u{2029}::error::BODY1\",\"error_description\":\"\u{1b}[31m\u{7}\u{85}\u{9b}2J \u{202e}\u{2066}\u{61c}\u{fffe}\u{ffff}\u{fdd0}x\u{2028}::warning::BODY2 ##[group]g\"}";
    write_response(
        s,
        status,
        &[
            ("content-type", "application/json"),
            (
                "www-authenticate",
                "Bearer error=\"\u{202e}::error::HEADER1\"",
            ),
            ("x-note", "\u{9b}2J ##[error]HEADER2"),
        ],
        body.as_bytes(),
    );
}

fn server() -> RawServer {
    raw_server_at(|url, req, s| {
        if req.target.starts_with("/lost") {
            let page = "<html>\u{1b}[2J\u{202e}::error::PAGE</html>";
            write_response(
                s,
                "404 Not Found",
                &[("content-type", "text/html")],
                page.as_bytes(),
            );
        } else if req.target == "/.well-known/openid-configuration" {
            let doc = discovery(url);
            write_response(
                s,
                "200 OK",
                &[("content-type", "application/json")],
                doc.as_bytes(),
            );
        } else if req.target == "/x" {
            // The status the case documents, so that the body's members are judged too.
            answer(s, "400 Bad Request");
        } else {
            answer(s, "401 Unauthorized");
        }
    })
}

/// A cases folder whose case titles and refs are hostile, one case per endpoint variable, one
/// on a plain path and two on a path the server answers with a 404 page (for the hint).
fn folder(dir: &Path) {
    std::fs::create_dir_all(dir.join("h")).unwrap();
    let vars: Vec<_> = ["token_endpoint", "revocation_endpoint", "userinfo_endpoint"]
        .iter()
        .map(|n| serde_json::json!({"name": n, "meaning": "m"}))
        .collect();
    std::fs::write(
        dir.join("variables.json"),
        serde_json::json!({ "variables": vars }).to_string(),
    )
    .unwrap();
    for (id, path) in [
        ("plain", "/x"),
        ("lost1", "/lost/\u{1b}[2J"),
        ("lost2", "/lost/\u{1b}[2J"),
        ("token", "{{token_endpoint}}"),
        ("revoke", "{{revocation_endpoint}}"),
        ("userinfo", "{{userinfo_endpoint}}"),
    ] {
        let case = serde_json::json!({
            "title": format!("{id}\r\n::error file=README.md::TITLE \u{1b}[2J\u{202e}\u{2028}"),
            "refs": ["https://example.com/\u{1b}]8;;x\u{7}link"],
            "documents": {"status": 400, "error": "invalid_request"},
            "request": {"method": "POST", "path": path, "form": {"a": "b"}}
        });
        std::fs::write(dir.join(format!("h/{id}.json")), case.to_string()).unwrap();
    }
}

/// See the issue "Untrusted input, round two", item 2: a discovery document's
/// `token_endpoint` reached the terminal and the HTML report raw.
#[test]
fn no_output_holds_what_steers_a_terminal_or_a_ci_log() {
    let server = server();
    let dir = tempfile::tempdir().unwrap();
    let cases = dir.path().join("cases");
    folder(&cases);
    let out = output(
        authconform()
            .args([
                "run",
                "--color",
                "never",
                "--discover",
                "--target",
                &server.url,
            ])
            .arg("--cases")
            .arg(&cases)
            .args(["--annotations", "github", "--junit"])
            .arg(dir.path().join("j.xml"))
            .arg("--report-json")
            .arg(dir.path().join("r.json"))
            .arg("--report-html")
            .arg(dir.path().join("r.html"))
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_STEP_SUMMARY", dir.path().join("summary.md"))
            .timeout(std::time::Duration::from_secs(60)),
    );
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap();
    let outputs = [
        ("stdout", out.stdout.clone()),
        ("stderr", out.stderr.clone()),
        ("JUnit", read("j.xml")),
        ("JSON", read("r.json")),
        ("HTML", read("r.html")),
        ("step summary", read("summary.md")),
    ];
    for (name, text) in &outputs {
        if let Some(c) = text.chars().find(|&c| risky(c)) {
            panic!("{name} holds {c:?}:\n{text}");
        }
        assert!(!text.contains("##["), "{name} holds ##[:\n{text}");
        for line in text.lines() {
            let command = line.trim_start();
            let Some(rest) = command.strip_prefix("::") else {
                continue;
            };
            // Ours alone: the run's own, or an annotation whose properties (before the second
            // `::`) name a case file of the folder; the message after it cannot start a line.
            let properties = &rest[..rest.find("::").unwrap_or(rest.len())];
            assert!(
                properties == "error title=authconform"
                    || (properties.starts_with("error ") || properties.starts_with("warning "))
                        && properties.contains("/cases/h/")
                        && !properties.contains("README"),
                "{name}: a line the runner reads as a command: {line:?}"
            );
        }
    }
    // The good endpoint was used; the hostile ones were left out, each named, none shown.
    let report = read_report(&dir.path().join("r.json"));
    assert_eq!(
        report["discovery"]["endpoints"],
        serde_json::json!([["revocation_endpoint", format!("{}/revoke", server.url)]])
    );
    let ignored: Vec<&str> = report["discovery"]["ignored"]
        .as_array()
        .unwrap()
        .iter()
        .map(|pair| pair[0].as_str().unwrap())
        .collect();
    assert_eq!(
        ignored,
        [
            "token_endpoint",
            "authorization_endpoint",
            "userinfo_endpoint",
            "device_authorization_endpoint",
            "issuer"
        ]
    );
    assert!(
        out.stderr
            .contains("authconform: warning: --discover: token_endpoint left out: not a URL"),
        "{}",
        out.stderr
    );
    assert_eq!(case_of(&report, "h/revoke")["verdict"]["kind"], "fail");
    // The left-out endpoint is not used: the variable keeps its default.
    let token = &case_of(&report, "h/token")["request"]["url"];
    assert_eq!(
        token.as_str(),
        Some(format!("{}/oauth/token", server.url).as_str())
    );
    assert_eq!(
        report["hints"].as_array().unwrap().len(),
        1,
        "{}",
        report["hints"]
    );
}

/// See the issue "Untrusted input, round two", item 8: for an issuer with a path, OpenID
/// Connect appends the well-known part and RFC 8414 inserts it before the path; both are
/// found.
#[test]
fn discovery_for_an_issuer_with_a_path_follows_both_specs() {
    for (document, name) in [
        ("/tenant/.well-known/openid-configuration", "OIDC"),
        ("/.well-known/oauth-authorization-server/tenant", "RFC 8414"),
    ] {
        let server = raw_server_at(move |url, req, s| {
            if req.target == document {
                let doc = serde_json::json!({
                    "issuer": format!("{url}/tenant"),
                    "revocation_endpoint": format!("{url}/tenant/oauth/revoke"),
                });
                let doc = doc.to_string();
                write_response(
                    s,
                    "200 OK",
                    &[("content-type", "application/json")],
                    doc.as_bytes(),
                );
            } else if req.target == "/tenant/oauth/revoke" {
                write_response(
                    s,
                    "400 Bad Request",
                    &[("content-type", "application/json")],
                    br#"{"error":"invalid_request","error_description":"d"}"#,
                );
            } else {
                write_response(s, "404 Not Found", &[], b"");
            }
        });
        let dir = tempfile::tempdir().unwrap();
        let json = dir.path().join("r.json");
        let out = output(
            authconform()
                .args(["run", "--color", "never", "--profile", "rfc", "--discover"])
                .args(["--target", &format!("{}/tenant", server.url)])
                .args(["--no-tests", "pass", "--report-json"])
                .arg(&json),
        );
        assert!(
            out.code == 0 || out.code == 1,
            "{name}: {}{}",
            out.stdout,
            out.stderr
        );
        let report = read_report(&json);
        assert_eq!(
            report["discovery"]["document"],
            format!("{}{document}", server.url),
            "{name}"
        );
        assert_eq!(
            report["discovery"]["endpoints"],
            serde_json::json!([[
                "revocation_endpoint",
                format!("{}/tenant/oauth/revoke", server.url)
            ]]),
            "{name}"
        );
    }
}

/// A discovery document is the server's text: a secret of the run that it echoes is masked in
/// what the run prints and records, though the variable keeps the value the server gave.
#[test]
fn a_secret_in_a_discovery_document_is_masked() {
    const SECRET: &str = "disc-s3cr3t-Zq9";
    let server = raw_server_at(|url, req, s| {
        let doc = serde_json::json!({"revocation_endpoint": format!("{url}/revoke?k={SECRET}")});
        if req.target == "/.well-known/openid-configuration" {
            let doc = doc.to_string();
            write_response(
                s,
                "200 OK",
                &[("content-type", "application/json")],
                doc.as_bytes(),
            );
        } else {
            write_response(s, "404 Not Found", &[], b"");
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    let out = output(
        authconform()
            .args([
                "run",
                "--color",
                "never",
                "--discover",
                "--target",
                &server.url,
            ])
            .args([
                "--secret",
                &format!("client_secret={SECRET}"),
                "--report-json",
            ])
            .arg(&json),
    );
    assert!(
        out.stderr.contains("revocation_endpoint = "),
        "{}",
        out.stderr
    );
    let report = std::fs::read_to_string(&json).unwrap();
    for text in [&out.stdout, &out.stderr, &report] {
        assert!(!text.contains(SECRET), "{text}");
    }
    let report: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(
        report["discovery"]["endpoints"][0][1],
        format!("{}/revoke?k=***", server.url)
    );
}

/// Found in review: a case file named `::error title=pwned::x.json` (or holding U+202E, U+2028
/// or `##[`) put its id raw at the head of `run --list`, `coverage` and the progress line.
/// Such a name is refused wherever the folder is read, naming the file neutralised.
#[test]
fn a_case_file_name_that_steers_a_log_is_refused() {
    let case = r#"{"title": "t", "documents": {"status": 400, "error": "invalid_request"},
                   "request": {"method": "GET", "path": "/x"}}"#;
    for name in [
        "::error title=pwned::injected.json",
        "g/e##[error]f.json",
        "g/a\u{202e}b.json",
        "g/a\u{2028}b.json",
        "g/a\u{1b}[2Jb.json",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(name);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, case).unwrap();
        for args in [&["lint"][..], &["coverage"], &["run", "--list"]] {
            let out = output(authconform().args(args).arg("--cases").arg(dir.path()));
            assert_eq!(
                out.code, 2,
                "{name:?} {args:?}: {}{}",
                out.stdout, out.stderr
            );
            assert!(
                out.stderr
                    .contains("the file name holds what a terminal or CI log acts on"),
                "{name:?}: {}",
                out.stderr
            );
            for text in [&out.stdout, &out.stderr] {
                assert!(
                    !text.contains("##[") && !text.contains('\u{202e}'),
                    "{text}"
                );
                assert!(
                    !text.contains('\u{2028}') && !text.contains('\u{1b}'),
                    "{text}"
                );
                assert!(
                    text.lines().all(|l| !l.trim_start().starts_with("::")),
                    "{text}"
                );
            }
        }
    }
}

/// Found in review: a case folder declaring 20,000 variables and using 20,000 others kept
/// `lint` busy for minutes (every use compared with every declaration, every place found by a
/// pass from the top of the file). Now it is refused at once; the watchdog only stops a hang.
#[test]
fn a_case_folder_of_many_variables_is_refused_without_a_hang() {
    const MANY: usize = 20_000;
    let dir = tempfile::tempdir().unwrap();
    let declared: Vec<_> = (0..MANY)
        .map(|i| serde_json::json!({"name": format!("declared_var_{i:05}"), "meaning": "m"}))
        .collect();
    let vars = serde_json::json!({ "variables": declared });
    std::fs::write(dir.path().join("variables.json"), vars.to_string()).unwrap();
    let query: serde_json::Map<String, serde_json::Value> = (0..MANY)
        .map(|i| {
            (
                format!("u{i}"),
                format!("{{{{undeclared_vr_{i:05}}}}}").into(),
            )
        })
        .collect();
    let case = serde_json::json!({
        "title": "t",
        "documents": {"status": 400, "error": "invalid_request"},
        "request": {"method": "GET", "path": "/x", "query": query}
    });
    std::fs::create_dir(dir.path().join("g")).unwrap();
    std::fs::write(dir.path().join("g/c.json"), case.to_string()).unwrap();
    let out = output(
        authconform()
            .arg("lint")
            .arg("--cases")
            .arg(dir.path())
            .timeout(std::time::Duration::from_secs(60)),
    );
    assert_eq!(out.code, 2, "{}", &out.stderr[..out.stderr.len().min(2000)]);
    assert!(
        out.stderr
            .ends_with("20000 problems found; nothing was sent\n"),
        "{}",
        &out.stderr[out.stderr.len().saturating_sub(500)..]
    );
    // The last use is placed exactly, on the file's one line.
    let text = std::fs::read_to_string(dir.path().join("g/c.json")).unwrap();
    let column = text.find("\"u19999\"").unwrap() + 1;
    assert!(
        out.stderr.contains(&format!(
            "g/c.json:1:{column}: /request/query/u19999: undefined variable `undeclared_vr_19999`"
        )),
        "{}",
        &out.stderr[out.stderr.len().saturating_sub(500)..]
    );
}

/// Found in review: a case file's description reached `coverage` with a raw `##[`, and a line
/// break in a case file's key forged a line of `lint`'s output that read as a pass.
#[test]
fn coverage_and_lint_keep_case_file_text_to_its_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("evil")).unwrap();
    let described = serde_json::json!({
        "title": "t",
        "documents": {"status": 405, "error": "method_not_allowed",
                      "description": "T\r##[error]y\n::warning::x \u{1b}[31m"},
        "request": {"method": "GET", "path": "/x"}
    });
    std::fs::write(dir.path().join("evil/c1.json"), described.to_string()).unwrap();
    let out = output(
        authconform()
            .arg("coverage")
            .arg("--add-cases")
            .arg(dir.path()),
    );
    assert!(
        out.stdout.contains("evil/c1: 405 method_not_allowed"),
        "{}",
        out.stdout
    );
    for text in [&out.stdout, &out.stderr] {
        assert!(
            !text.contains("##[") && !text.contains(['\r', '\u{1b}']),
            "{text}"
        );
        assert!(
            text.lines().all(|l| !l.trim_start().starts_with("::")),
            "{text}"
        );
    }
    let forged = "x`\nlint: 27 cases are valid\n\u{1b}[8m";
    let keyed = serde_json::json!({
        "title": "t",
        "documents": {"status": 400, "error": "invalid_request"},
        "request": {"method": "GET", "path": "/x"},
        "expect": {"body": {forged: {"type": "string"}}}
    });
    std::fs::write(dir.path().join("evil/c1.json"), keyed.to_string()).unwrap();
    let out = output(authconform().arg("lint").arg("--add-cases").arg(dir.path()));
    assert_eq!(out.code, 2, "{}", out.stderr);
    // One problem, on one line: the key's line breaks show as `\n`.
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{}", out.stderr);
    assert!(
        lines[0].ends_with(
            ": /expect/body: `x`\\nlint: 27 cases are valid\\n\\u{1b}[8m`: body matcher keys are JSON pointers: empty, or starting with `/`"
        ),
        "{}",
        out.stderr
    );
    assert_eq!(lines[1], "1 problem found; nothing was sent");
}
