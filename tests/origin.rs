//! The origin rule on every finished request: a case folder (with --cases or --add-cases) that
//! puts a URL together from variables, or writes another origin outright, is refused with exit
//! 2 before anything is sent, in `run` and `explain`; `--allow-origin` is the only way past it.

use std::sync::atomic::Ordering;

use crate::util::*;

const SECRET: &str = "origin-s3cr3t-value";

/// A listener that must never hear from the run unless allowed, answering as a server would.
fn elsewhere() -> RawServer {
    raw_server(|_, s| {
        write_response(
            s,
            "400 Bad Request",
            &[("content-type", "application/json")],
            br#"{"error":"invalid_request","error_description":"no"}"#,
        )
    })
}

/// A cases folder with one case, `steal/it`, whose request path is `path`, sending the secret
/// as Basic credentials and as a form field; `scheme`, `hop` and `base` are declared with
/// defaults (`http:`, `hop` and the target's URL).
fn folder(path: &str, hop: &str) -> tempfile::TempDir {
    folder_on(path, hop, "http://127.0.0.1:9")
}

fn folder_on(path: &str, hop: &str, base: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("steal")).unwrap();
    let case = serde_json::json!({
        "title": "t",
        "documents": {"status": 400, "error": "invalid_request"},
        "request": {
            "method": "POST",
            "path": path,
            "basic_auth": {"username": "{{client_id}}", "password": "{{client_secret}}"},
            "form": {"client_secret": "{{client_secret}}"}
        }
    });
    std::fs::write(dir.path().join("steal/it.json"), case.to_string()).unwrap();
    let vars = serde_json::json!({"variables": [
        {"name": "scheme", "meaning": "m", "default": "http:"},
        {"name": "hop", "meaning": "m", "default": hop},
        {"name": "base", "meaning": "m", "default": base},
        {"name": "client_id", "meaning": "m"},
        {"name": "client_secret", "meaning": "m", "secret": true}
    ]});
    std::fs::write(dir.path().join("variables.json"), vars.to_string()).unwrap();
    dir
}

fn port_of(url: &str) -> &str {
    url.rsplit(':').next().unwrap()
}

/// `run` (or `explain`) of the folder against `target`, the secret given as a secret.
fn attempt(
    command: &str,
    target: &str,
    dir: &std::path::Path,
    flag: &str,
    extra: &[&str],
) -> Output {
    let mut cmd = authconform();
    cmd.args([command, "--target", target, "--var", "client_id=cid"])
        .args(["--secret", &format!("client_secret={SECRET}")])
        .args(extra)
        .timeout(std::time::Duration::from_secs(60));
    if command == "explain" {
        cmd.arg("steal/it").arg("--cases").arg(dir);
    } else {
        cmd.args(["--color", "never"]).arg(flag).arg(dir);
    }
    output(&mut cmd)
}

fn assert_refused(out: &Output, other: &str, target: &RawServer, thief: &RawServer) {
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    let origin = format!("http://127.0.0.1:{}", port_of(other));
    assert!(out.stderr.contains("case steal/it: "), "{}", out.stderr);
    assert!(out.stderr.contains(&origin), "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!("--allow-origin {origin}")),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains(SECRET) && !out.stdout.contains(SECRET));
    assert_eq!(
        thief.hits.load(Ordering::SeqCst),
        0,
        "sent to the other origin"
    );
    assert_eq!(
        target.hits.load(Ordering::SeqCst),
        0,
        "sent before the refusal"
    );
}

/// The attack as found: `{{scheme}}//127.0.0.1:OTHER/steal`, with --cases and --add-cases, in
/// `run` and `explain`.
#[test]
fn a_scheme_from_a_variable_cannot_carry_the_secret_elsewhere() {
    let (target, thief) = (elsewhere(), elsewhere());
    let dir = folder(
        &format!("{{{{scheme}}}}//127.0.0.1:{}/steal", port_of(&thief.url)),
        "/",
    );
    for flag in ["--cases", "--add-cases"] {
        let out = attempt("run", &target.url, dir.path(), flag, &[]);
        assert_refused(&out, &thief.url, &target, &thief);
        assert!(
            out.stderr.contains("from variables (`scheme`"),
            "{}",
            out.stderr
        );
    }
    let out = attempt("explain", &target.url, dir.path(), "", &[]);
    assert_refused(&out, &thief.url, &target, &thief);
}

/// Even to the target's own origin, a scheme and host made from variables need --allow-origin;
/// with it, the request goes where it says.
#[test]
fn allow_origin_is_the_only_way_past() {
    let thief = elsewhere();
    let dir = folder(
        "{{scheme}}//{{hop}}/x",
        &format!("127.0.0.1:{}", port_of(&thief.url)),
    );
    let out = attempt("run", &thief.url, dir.path(), "--cases", &[]);
    assert_refused(&out, &thief.url, &thief, &thief);
    let origin = format!("http://127.0.0.1:{}", port_of(&thief.url));
    let out = attempt(
        "run",
        &thief.url,
        dir.path(),
        "--cases",
        &["--allow-origin", &origin],
    );
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(thief.hits.load(Ordering::SeqCst), 1);
    // A value that is not an origin is refused as such.
    let out = attempt(
        "run",
        &thief.url,
        dir.path(),
        "--cases",
        &["--allow-origin", &format!("{origin}/path")],
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("give an origin alone"),
        "{}",
        out.stderr
    );
}

/// Other splits of a URL: the target's URL in one variable followed by `@host` in another
/// (the target becomes a user name), and an endpoint variable on another origin given on the
/// command line. (A case file cannot write a URL itself: its path starts with `/` or `{{`.)
#[test]
fn no_split_of_a_url_escapes_the_rule() {
    let (target, thief) = (elsewhere(), elsewhere());
    let other = format!("127.0.0.1:{}", port_of(&thief.url));
    let at = folder_on("{{base}}{{hop}}", &format!("@{other}/x"), &target.url);
    let out = attempt("run", &target.url, at.path(), "--cases", &[]);
    assert_refused(&out, &thief.url, &target, &thief);
    assert!(out.stderr.contains("(`base`, `hop`)"), "{}", out.stderr);
    let endpoint = folder("{{hop}}", "/x");
    let out = attempt(
        "run",
        &target.url,
        endpoint.path(),
        "--cases",
        &["--var", &format!("hop=http://{other}/x")],
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    let allow = format!("--allow-origin http://{other}");
    assert!(out.stderr.contains(&allow), "{}", out.stderr);
    let sent = thief.hits.load(Ordering::SeqCst) + target.hits.load(Ordering::SeqCst);
    assert_eq!(sent, 0);
}

/// An endpoint variable that is a whole URL on the target's origin is what `--var
/// token_endpoint=https://…` is for: it runs.
#[test]
fn an_endpoint_url_on_the_target_runs() {
    let target = elsewhere();
    let dir = folder("{{hop}}", &format!("{}/oauth/token", target.url));
    let out = attempt("run", &target.url, dir.path(), "--cases", &[]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(target.hits.load(Ordering::SeqCst), 1);
}
