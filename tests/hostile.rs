//! Servers that misbehave: every one ends in a clear fail or error verdict that says what
//! happened, never a panic and never a hang past --timeout.

use std::{io::Write, time::Duration};

use crate::util::*;

fn detail(url: &str, timeout: &str) -> String {
    let cases = one_case();
    let out = run_cases(url, cases.path(), &["--timeout", timeout]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    failure_of(&out.stdout, "h/c").to_owned()
}

const JSON: (&str, &str) = ("content-type", "application/json");

#[test]
fn an_empty_body() {
    let s = raw_server(|_, s| write_response(s, "400 Bad Request", &[JSON], b""));
    let d = detail(&s.url, "5");
    assert!(
        d.contains("✗ body: expected a JSON body, got an empty body"),
        "{d}"
    );
}

#[test]
fn non_json_on_a_json_expectation() {
    let s = raw_server(|_, s| write_response(s, "400 Bad Request", &[JSON], b"<html>oops</html>"));
    let d = detail(&s.url, "5");
    assert!(
        d.contains("✗ body: expected a JSON body, got 17 bytes labelled application/json but not JSON, starting \"<html>oops</html>\""),
        "{d}"
    );
}

#[test]
fn invalid_utf8() {
    let s = raw_server(|_, s| {
        write_response(s, "400 Bad Request", &[JSON], b"{\"error\": \"\xff\xfe\"}")
    });
    let d = detail(&s.url, "5");
    assert!(
        d.contains("✗ body: expected a JSON body, got 15 bytes labelled application/json but not JSON, not UTF-8"),
        "{d}"
    );
}

#[test]
fn a_100_mb_body_is_cut_at_the_cap() {
    let s = raw_server(|_, s| {
        let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: 104857600\r\n\r\n");
        let chunk = vec![b' '; 64 * 1024];
        for _ in 0..1600 {
            if s.write_all(&chunk).is_err() {
                return;
            }
        }
    });
    let d = detail(&s.url, "20");
    assert!(
        d.contains(
            "✗ body: expected a JSON body, got more than 1048576 bytes; the read was cut there"
        ),
        "{d}"
    );
    assert!(
        d.contains("response: 400, more than 1048576 bytes (read cut there)"),
        "{d}"
    );
}

#[test]
fn a_server_that_never_answers() {
    let s = raw_server(|_, _| std::thread::sleep(Duration::from_secs(60)));
    let d = detail(&s.url, "1");
    assert!(
        d.contains("error: could not be judged: timed out after 1s while sending the request"),
        "{d}"
    );
}

#[test]
fn headers_then_a_stall() {
    let s = raw_server(|_, s| {
        let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"err");
        let _ = s.flush();
        std::thread::sleep(Duration::from_secs(60));
    });
    let d = detail(&s.url, "1");
    assert!(d.contains("error: could not be judged: timed out after 1s while reading the body of a 400 response after 5 bytes"), "{d}");
}

#[test]
fn a_connection_reset_mid_body() {
    let s = raw_server(|_, s| {
        let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{\"error\":");
        let _ = s.flush();
        std::thread::sleep(Duration::from_millis(50));
        // SO_LINGER 0: closing sends RST instead of FIN.
        let _ = socket2::SockRef::from(&*s).set_linger(Some(Duration::ZERO));
        let _ = s.shutdown(std::net::Shutdown::Read);
    });
    let d = detail(&s.url, "5");
    assert!(d.contains("error: could not be judged: failed while reading the body of a 400 response after 9 bytes"), "{d}");
}

#[test]
fn a_redirect_is_reported_and_never_followed() {
    let elsewhere = raw_server(|_, s| {
        write_response(
            s,
            "400 Bad Request",
            &[JSON],
            br#"{"error":"invalid_request","error_description":"x"}"#,
        )
    });
    let location = format!("{}/x", elsewhere.url);
    let s = raw_server(move |_, s| write_response(s, "302 Found", &[("location", &location)], b""));
    let d = detail(&s.url, "5");
    assert!(d.contains("✗ status: expected 400, got 302"), "{d}");
    assert!(d.contains(&format!("location: {}/x", elsewhere.url)), "{d}");
    assert_eq!(
        elsewhere.hits.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "the redirect was followed"
    );
}

#[test]
fn a_close_delimited_http_1_0_body_is_read_whole() {
    let s = raw_server(|_, s| {
        let _ = s.write_all(b"HTTP/1.0 400 Bad Request\r\ncontent-type: application/json\r\n\r\n{\"error\":\"invalid_request\",\"error_description\":\"x\"}");
        let _ = s.shutdown(std::net::Shutdown::Both);
    });
    let cases = one_case();
    let out = run_cases(&s.url, cases.path(), &["--timeout", "5"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
}

#[test]
fn a_gzip_encoded_error_body_is_decoded() {
    let s = raw_server(|req, s| {
        assert_eq!(req.method, "POST");
        assert!(
            req.header("accept-encoding")
                .is_some_and(|a| a.contains("gzip"))
        );
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(br#"{"error":"invalid_request","error_description":"x"}"#)
            .unwrap();
        let body = gz.finish().unwrap();
        write_response(
            s,
            "400 Bad Request",
            &[JSON, ("content-encoding", "gzip")],
            &body,
        );
    });
    let cases = one_case();
    let out = run_cases(&s.url, cases.path(), &["--timeout", "5"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
}

/// A server that answers every request 418 with every credential it got echoed back: in the
/// body, in `www-authenticate`, `location` and `x-echo`.
fn echo_server() -> RawServer {
    raw_server(|req, s| {
        let auth = req.header("authorization").unwrap_or("").to_owned();
        let body = format!(
            "{{\"echo\": {}, \"auth\": {}, \"target\": {}}}",
            serde_json::to_string(&String::from_utf8_lossy(&req.body)).unwrap(),
            serde_json::to_string(&auth).unwrap(),
            serde_json::to_string(&req.target).unwrap()
        );
        let location = format!("http://elsewhere.invalid{}", req.target);
        write_response(
            s,
            "418 I'm a teapot",
            &[
                JSON,
                ("www-authenticate", &auth),
                ("location", &location),
                ("x-echo", &auth),
            ],
            body.as_bytes(),
        );
    })
}

/// A cases folder whose cases carry `{{client_secret}}` in every part of a request.
fn echo_cases() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("e")).unwrap();
    let cases = [
        (
            "form",
            r#""path": "/p", "form": {"client_secret": "{{client_secret}}"}"#,
        ),
        (
            "json",
            r#""path": "/p", "json": {"client_secret": "{{client_secret}}"}"#,
        ),
        (
            "basic",
            r#""path": "/p", "basic_auth": {"username": "{{client_id}}", "password": "{{client_secret}}"}"#,
        ),
        (
            "query",
            r#""path": "/p", "query": {"client_secret": "{{client_secret}}"}"#,
        ),
        (
            "header",
            r#""path": "/p", "headers": {"x-api-key": "{{client_secret}}"}"#,
        ),
        ("raw", r#""path": "/p", "body": "secret={{client_secret}}""#),
        ("path", r#""path": "/p/{{client_secret}}/x""#),
    ];
    for (name, request) in cases {
        std::fs::write(
            dir.path().join(format!("e/{name}.json")),
            format!(r#"{{"title": "t", "documents": {{"status": 400, "error": "invalid_request"}}, "request": {{"method": "POST", {request}}}}}"#),
        )
        .unwrap();
    }
    dir
}

/// `secret` and every derived form of it that a server may echo.
fn derived_forms(secret: &str) -> Vec<String> {
    // Every encoding keeps the distinctive start, so it must not appear at all; the rest are
    // the encodings that do not keep it.
    let mut forms = vec![secret.to_owned(), "s3cr3t".to_owned()];
    let form: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    forms.push(form.clone());
    forms.push(form.replace('+', "%20"));
    use base64::Engine;
    forms.push(base64::engine::general_purpose::STANDARD.encode(format!("client:{secret}")));
    forms.push(base64::engine::general_purpose::STANDARD.encode(secret));
    forms.push(
        serde_json::to_string(secret)
            .unwrap()
            .trim_matches('"')
            .to_owned(),
    );
    forms
}

/// A server that echoes every credential back, in the body and in the headers reports show,
/// and fails every case: no secret, nor any derived form of it, may reach any output.
#[test]
fn echoed_secrets_are_masked_everywhere() {
    let secret = "s3cr3t/with +special&chars=\"x\"";
    let s = echo_server();
    let dir = echo_cases();
    let junit = dir.path().join("junit.xml");
    let forms = derived_forms(secret);
    for format in ["pretty", "json"] {
        let mut cmd = authconform();
        cmd.args([
            "run",
            "--color",
            "never",
            "--format",
            format,
            "--target",
            &s.url,
            "--var",
            "client_id=client",
            "--cases",
        ])
        .arg(dir.path())
        .arg("--junit")
        .arg(&junit)
        .env("AUTHCONFORM_SECRET_CLIENT_SECRET", secret);
        let out = output(&mut cmd);
        assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
        if format == "pretty" {
            // The echoes are shown, masked: the proof that they were there to leak.
            assert!(
                out.stdout.contains("www-authenticate: Basic ***"),
                "{}",
                out.stdout
            );
            assert!(
                out.stdout.contains(r#"{"echo": "client_secret=***""#),
                "{}",
                out.stdout
            );
            assert!(
                out.stdout
                    .contains("location: http://elsewhere.invalid/p?client_secret=***"),
                "{}",
                out.stdout
            );
        }
        let xml = std::fs::read_to_string(&junit).unwrap();
        for (stream, text) in [
            ("stdout", &out.stdout),
            ("stderr", &out.stderr),
            ("junit", &xml),
        ] {
            for leaked in &forms {
                assert!(
                    !text.contains(leaked.as_str()),
                    "{format}: {stream} leaks {leaked:?}:\n{text}"
                );
            }
        }
    }
}

/// A secret cut by the body preview (at 2 KiB) is masked too: its start must not show.
#[test]
fn a_secret_cut_by_the_preview_is_masked() {
    let secret = "s3cr3t-value-0123456789";
    let s = raw_server(move |_, s| {
        let mut body = "A".repeat(2044).into_bytes();
        body.extend_from_slice(secret.as_bytes());
        write_response(s, "400 Bad Request", &[JSON], &body);
    });
    let cases = one_case();
    let mut cmd = authconform();
    cmd.args([
        "run",
        "--color",
        "never",
        "--target",
        &s.url,
        "--secret",
        &format!("client_secret={secret}"),
        "--cases",
    ])
    .arg(cases.path());
    let out = output(&mut cmd);
    assert_eq!(out.code, 1);
    assert!(out.stdout.contains("AAAA***…"), "{}", out.stdout);
    assert!(!out.stdout.contains("s3cr"), "{}", out.stdout);
}
