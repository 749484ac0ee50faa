//! Outputs never hurt inputs, and inputs have limits: a report path that is a link, that is
//! another report's, or that is a file the run reads is exit 2 with nothing sent and the file
//! untouched; a `--vars` or `--deviations` file that is a device or a FIFO is exit 2 at once; a
//! `--vars` file with secrets that others may open is warned about; a pattern the regex engine
//! cannot compile is exit 2 at lint, and one it cannot finish matching is the case's error.

use std::{os::unix::fs::PermissionsExt, path::PathBuf, sync::atomic::Ordering, time::Duration};

use crate::util::*;

const JSON: (&str, &str) = ("content-type", "application/json");

/// A server that answers every request with the documented 400 and counts them.
fn counting_server() -> RawServer {
    raw_server(|_, s| {
        write_response(
            s,
            "400 Bad Request",
            &[JSON],
            br#"{"error":"invalid_request","error_description":"x"}"#,
        )
    })
}

/// A cases folder with one case, `h/c`, that sends the secret `client_secret`.
fn secret_case() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("h")).unwrap();
    std::fs::write(
        dir.path().join("h/c.json"),
        r#"{"title": "t", "documents": {"status": 400, "error": "invalid_request"},
            "request": {"method": "POST", "path": "/x",
                        "form": {"client_secret": "{{client_secret}}"}}}"#,
    )
    .unwrap();
    dir
}

/// A path (or any argument) as the `&str` that `run_cases` takes: the test folders are UTF-8.
fn arg(a: &impl AsRef<std::ffi::OsStr>) -> &str {
    a.as_ref().to_str().expect("a UTF-8 test path")
}

/// The lines of standard error that say `authconform: error:`.
fn errors(out: &Output) -> Vec<&str> {
    out.stderr
        .lines()
        .filter(|l| l.starts_with("authconform: error:"))
        .collect()
}

/// Found in review: a root run with `--junit` on a link in a world-writable folder replaced
/// the link's target. The link is refused, for a replaced report and for the step summary
/// alike, and its target is untouched.
#[test]
fn a_report_path_that_is_a_link_is_refused_and_its_target_untouched() {
    let server = counting_server();
    let cases = one_case();
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("shadow");
    std::fs::write(&target, "root:secret\n").unwrap();
    let link = dir.path().join("authconform.xml");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let out = run_cases(&server.url, cases.path(), &["--junit", arg(&link)]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert_eq!(
        errors(&out),
        [format!(
            "authconform: error: could not write --junit {}: it is a symbolic link to {}, and a report is never written through one (it would replace or add to whatever file the link points at): give the report's own path, or remove the link",
            link.display(),
            target.display()
        )]
    );
    let mut cmd = authconform();
    cmd.args([
        "run",
        "--color",
        "never",
        "--target",
        &server.url,
        "--cases",
    ])
    .arg(cases.path())
    .env("GITHUB_ACTIONS", "true")
    .env("GITHUB_STEP_SUMMARY", &link);
    let summary = output(&mut cmd);
    assert_eq!(summary.code, 2, "{}", summary.stderr);
    assert!(
        errors(&summary)[0].starts_with(&format!(
            "authconform: error: could not write GITHUB_STEP_SUMMARY {}: it is a symbolic link",
            link.display()
        )),
        "{}",
        summary.stderr
    );
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "root:secret\n");
    assert!(link.is_symlink());
    assert_eq!(server.hits.load(Ordering::SeqCst), 0, "nothing was sent");
}

/// Found in review: `--vars v.json --report-json v.json` overwrote the vars file, secrets
/// included. Exit 2 before anything is sent, the file as it was.
#[test]
fn a_report_on_the_vars_file_is_refused_and_the_file_kept() {
    let server = counting_server();
    let cases = secret_case();
    let dir = tempfile::tempdir().unwrap();
    let vars = dir.path().join("v.json");
    let text = r#"{"client_secret": {"secret": "hunter2"}}"#;
    std::fs::write(&vars, text).unwrap();
    std::fs::set_permissions(&vars, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = run_cases(
        &server.url,
        cases.path(),
        &["--vars", arg(&vars), "--report-json", arg(&vars)],
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert_eq!(
        errors(&out),
        [format!(
            "authconform: error: --report-json {v} is the --vars file {v}: the report would replace it; give the report a path of its own",
            v = vars.display()
        )]
    );
    assert_eq!(std::fs::read_to_string(&vars).unwrap(), text);
    assert_eq!(server.hits.load(Ordering::SeqCst), 0, "nothing was sent");

    // The same file by another name (a hard link) is the same file.
    let hard = dir.path().join("report.json");
    std::fs::hard_link(&vars, &hard).unwrap();
    let out = run_cases(
        &server.url,
        cases.path(),
        &["--vars", arg(&vars), "--report-json", arg(&hard)],
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert_eq!(std::fs::read_to_string(&vars).unwrap(), text);
    assert_eq!(server.hits.load(Ordering::SeqCst), 0, "nothing was sent");
}

/// Found in review: `--junit` and `--report-html` on one path kept only one. Two spellings of
/// one place, or two names of one file, are refused, naming both.
#[test]
fn two_reports_on_one_file_are_refused() {
    let server = counting_server();
    let cases = one_case();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let one = dir.path().join("r.xml");
    let other = dir.path().join("sub/../r.xml");
    let out = run_cases(
        &server.url,
        cases.path(),
        &["--junit", arg(&one), "--report-html", arg(&other)],
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert_eq!(
        errors(&out),
        [format!(
            "authconform: error: --junit {} and --report-html {} are one file: each report needs a path of its own, or one would replace the other",
            one.display(),
            other.display()
        )]
    );
    std::fs::write(&one, "old").unwrap();
    let hard = dir.path().join("sub/hard.json");
    std::fs::hard_link(&one, &hard).unwrap();
    let out = run_cases(
        &server.url,
        cases.path(),
        &["--junit", arg(&one), "--report-json", arg(&hard)],
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert_eq!(std::fs::read_to_string(&one).unwrap(), "old");
    // The step summary is appended to, so opened (and made) first: refused, it leaves no
    // empty file behind (found in review).
    let fresh = dir.path().join("fresh.xml");
    let mut cmd = authconform();
    cmd.args([
        "run",
        "--color",
        "never",
        "--target",
        &server.url,
        "--cases",
    ])
    .arg(cases.path())
    .args(["--annotations", "github", "--junit"])
    .arg(&fresh)
    .env("GITHUB_STEP_SUMMARY", &fresh);
    let out = output(&mut cmd);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("are one file"), "{}", out.stderr);
    assert!(fresh.symlink_metadata().is_err(), "an empty file was left");
    assert_eq!(server.hits.load(Ordering::SeqCst), 0, "nothing was sent");
}

/// Found in review: `--junit ./authconform` replaced the running binary. Run from a copy, so
/// that a regression replaces only the copy.
#[test]
fn a_report_on_the_running_program_is_refused() {
    let server = counting_server();
    let cases = one_case();
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("authconform");
    std::fs::copy(assert_cmd::cargo::cargo_bin!("authconform"), &copy).unwrap();
    let before = std::fs::metadata(&copy).unwrap();
    let mut cmd = assert_cmd::Command::new(&copy);
    cmd.current_dir(dir.path())
        .args([
            "run",
            "--color",
            "never",
            "--target",
            &server.url,
            "--cases",
        ])
        .arg(cases.path())
        .args(["--junit", "./authconform"])
        .timeout(Duration::from_secs(60));
    let out = output(&mut cmd);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert_eq!(
        errors(&out),
        [format!(
            "authconform: error: --junit ./authconform is this program ({}): the report would replace it; give the report a path of its own",
            std::fs::canonicalize(&copy).unwrap().display()
        )]
    );
    let after = std::fs::metadata(&copy).unwrap();
    assert_eq!(
        (after.len(), after.modified().unwrap()),
        (before.len(), before.modified().unwrap())
    );
    assert_eq!(server.hits.load(Ordering::SeqCst), 0, "nothing was sent");
}

/// A report on a case file (or a schema file) would replace it.
#[test]
fn a_report_on_a_case_file_is_refused() {
    let server = counting_server();
    let cases = one_case();
    let case = cases.path().join("h/c.json");
    let text = std::fs::read_to_string(&case).unwrap();
    let out = run_cases(&server.url, cases.path(), &["--report-json", arg(&case)]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert_eq!(
        errors(&out),
        [format!(
            "authconform: error: --report-json {c} is the case file {c}: the report would replace it; give the report a path of its own",
            c = case.display()
        )]
    );
    assert_eq!(std::fs::read_to_string(&case).unwrap(), text);
    assert_eq!(server.hits.load(Ordering::SeqCst), 0, "nothing was sent");
}

/// Found in review: `--vars /dev/zero` grew memory until allocation failed, and a FIFO as
/// `--vars` hung the run. Devices and FIFOs are refused by name, for `--vars` and
/// `--deviations`, in `run` and `lint`, and `--cacert`, at once (the watchdog only cuts a hang
/// short).
#[test]
fn a_device_or_fifo_as_vars_or_deviations_is_refused_at_once() {
    let server = counting_server();
    let cases = one_case();
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo.json");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    for (file, what) in [
        (PathBuf::from("/dev/zero"), "a device"),
        (fifo.clone(), "a FIFO (named pipe)"),
    ] {
        for flag in ["--vars", "--deviations"] {
            let out = run_cases(&server.url, cases.path(), &[arg(&flag), arg(&file)]);
            let expected = format!(
                "authconform: error: {flag} {}: not a regular file but {what}",
                file.display()
            );
            assert_eq!(out.code, 2, "{}", out.stderr);
            assert_eq!(errors(&out), [expected.as_str()]);
            let mut lint = authconform();
            lint.args(["lint", "--cases"])
                .arg(cases.path())
                .arg(flag)
                .arg(&file)
                .timeout(Duration::from_secs(60));
            let out = output(&mut lint);
            assert_eq!(out.code, 2, "{}", out.stderr);
            assert_eq!(errors(&out), [expected.as_str()]);
        }
        // `run` alone reads a CA file.
        let out = run_cases(&server.url, cases.path(), &["--cacert", arg(&file)]);
        let expected = format!(
            "authconform: error: --cacert {}: not a regular file but {what}",
            file.display()
        );
        assert_eq!(out.code, 2, "{}", out.stderr);
        assert_eq!(errors(&out), [expected.as_str()]);
    }
    assert_eq!(server.hits.load(Ordering::SeqCst), 0, "nothing was sent");
}

/// A vars file that holds a secret and that others may open is warned about, as ssh warns of
/// a private key; at 0600 it is not.
#[test]
fn a_vars_file_with_secrets_that_others_may_read_is_warned_about() {
    let cases = secret_case();
    let dir = tempfile::tempdir().unwrap();
    let vars = dir.path().join("v.json");
    std::fs::write(&vars, r#"{"client_secret": {"secret": "hunter2"}}"#).unwrap();
    let warnings = |mode: u32| {
        std::fs::set_permissions(&vars, std::fs::Permissions::from_mode(mode)).unwrap();
        let out = output(
            authconform()
                .args(["lint", "--cases"])
                .arg(cases.path())
                .arg("--vars")
                .arg(&vars),
        );
        assert_eq!(out.code, 0, "{}", out.stderr);
        out.stderr
            .lines()
            .filter(|l| l.starts_with("authconform: warning:"))
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        warnings(0o644),
        [format!(
            "authconform: warning: --vars {v}: holds secrets (client_secret) and others can open it (permissions 0644): run `chmod 600 {v}`, or give the secrets as AUTHCONFORM_SECRET_* environment variables",
            v = vars.display()
        )]
    );
    assert_eq!(warnings(0o600), Vec::<String>::new());
}

/// A cases folder with one case, `h/c`, whose header `x-a` must match `pattern`.
fn pattern_case(pattern: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("h")).unwrap();
    let case = serde_json::json!({
        "title": "t",
        "documents": {"status": 400, "error": "invalid_request"},
        "request": {"method": "POST", "path": "/x", "form": {"a": "b"}},
        "expect": {"headers": {"x-a": {"pattern": pattern}}}
    });
    std::fs::write(dir.path().join("h/c.json"), case.to_string()).unwrap();
    dir
}

/// A pattern too large for the regex engine to compile is the case file's problem, exit 2 at
/// lint (and before a run sends anything).
#[test]
fn a_pattern_too_large_to_compile_is_exit_2_at_lint() {
    let cases = pattern_case("^.{0,404600}$");
    let out = output(authconform().args(["lint", "--cases"]).arg(cases.path()));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert_eq!(
        errors(&out),
        [format!(
            "authconform: error: {}:1:145: /expect/headers/x-a: not a valid JSON Schema: /pattern: \"^.{{0,404600}}$\" is not a \"regex\": the regex engine cannot compile it (its syntax is not ECMA-262's, or it is too large once compiled, as a repetition such as `.{{0,400000}}` is)",
            cases.path().join("h/c.json").display()
        )]
    );
}

/// A pattern that backtracks without end on the server's value reaches the regex engine's
/// backtrack limit: the match has no outcome, so the case is an error that names the pattern,
/// not a failed check blamed on the server.
#[test]
fn a_pattern_that_cannot_finish_on_the_servers_value_is_the_cases_error() {
    let pattern = r"^(\w+\s?)*(?<!x)$";
    let cases = pattern_case(pattern);
    let server = raw_server(|_, s| {
        let value = format!("{}!", "a".repeat(40));
        write_response(
            s,
            "400 Bad Request",
            &[JSON, ("x-a", &value)],
            br#"{"error":"invalid_request","error_description":"x"}"#,
        )
    });
    let dir = tempfile::tempdir().unwrap();
    let report_path = dir.path().join("r.json");
    let out = run_cases(
        &server.url,
        cases.path(),
        &["--report-json", arg(&report_path)],
    );
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let report = read_report(&report_path);
    let case = case_of(&report, "h/c");
    assert_eq!(
        case["verdict"],
        serde_json::json!({
            "kind": "error",
            "message": format!(
                "header x-a: the regex engine could not finish matching the case's pattern {pattern:?} against the response's value (Error executing regex: Max limit for backtracking count exceeded); the pattern is the case's to fix (one that cannot backtrack without end), not the server's"
            )
        })
    );
    assert_eq!(case["violations"], serde_json::json!([]), "{case:#}");
}
