//! HTTPS targets: verified by default, a private CA with --cacert, --insecure stated in the
//! report, and a TLS failure as an error verdict that names the cause.

use crate::util::*;

/// The one-case catalogue against `url`, with the JUnit file appended to stdout.
fn run(url: &str, extra: &[&str]) -> Output {
    let cases = one_case();
    let junit = cases.path().join("j.xml");
    let mut flags = vec!["--timeout", "10", "--junit", junit.to_str().unwrap()];
    flags.extend_from_slice(extra);
    let mut out = run_cases(url, cases.path(), &flags);
    out.stdout
        .push_str(&std::fs::read_to_string(&junit).unwrap_or_default());
    out
}

#[test]
fn an_unknown_ca_is_an_error_naming_the_cause() {
    let server = tls_server();
    let out = run(&server.url, &[]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let detail = failure_of(&out.stdout, "h/c");
    assert!(
        detail.contains("error: could not be judged: could not connect to 127.0.0.1:"),
        "{detail}"
    );
    assert!(
        detail.contains("TLS handshake failed") && detail.contains("UnknownIssuer"),
        "{detail}"
    );
}

#[test]
fn a_private_ca_is_trusted_with_cacert() {
    let server = tls_server();
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &server.ca_pem).unwrap();
    let out = run(&server.url, &["--cacert", ca.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(!out.stderr.contains("--insecure"));
}

#[test]
fn insecure_skips_verification_and_says_so() {
    let server = tls_server();
    let out = run(&server.url, &["--insecure"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr
            .contains("warning: TLS certificates and host names are not verified (--insecure)"),
        "{}",
        out.stderr
    );
    assert!(
        out.stdout.contains("(TLS not verified: --insecure)"),
        "the summary says so: {}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("<property name=\"target\" value=\"https://127.0.0.1:")
            && out.stdout.contains("(TLS not verified: --insecure)\"/>"),
        "the JUnit says so: {}",
        out.stdout
    );
}

#[test]
fn a_bad_cacert_file_exits_two() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.pem");
    std::fs::write(&bad, "not a certificate").unwrap();
    for (path, says) in [
        (bad.to_str().unwrap(), "no PEM certificate"),
        ("/nonexistent/ca.pem", "cannot read the file"),
    ] {
        let out = output(authconform().args([
            "run",
            "--target",
            "https://127.0.0.1:9",
            "--cacert",
            path,
        ]));
        assert_eq!(out.code, 2, "{}", out.stderr);
        assert!(out.stderr.contains(says), "{}", out.stderr);
    }
}

#[test]
fn https_against_a_plain_http_port_names_the_tls_failure() {
    let server = server(None);
    let url = server.url.replace("http://", "https://");
    let out = run(&url, &[]);
    assert_eq!(out.code, 1);
    let detail = failure_of(&out.stdout, "h/c");
    assert!(detail.contains("TLS handshake failed"), "{detail}");
}
