//! Signals and closed pipes: SIGINT, SIGTERM and SIGHUP stop the run promptly with every report
//! complete and marked interrupted; a killed run leaves the previous reports whole; a reader
//! that goes away is not a crash.

use std::{
    io::{BufRead, BufReader},
    process::{Command, Stdio},
    sync::atomic::Ordering,
    time::{Duration, Instant},
};

use serde_json::Value;

use crate::util::*;

fn write_cases(dir: &std::path::Path, names: &[&str]) {
    std::fs::create_dir_all(dir.join("s")).unwrap();
    for name in names {
        std::fs::write(
            dir.join(format!("s/{name}.json")),
            format!(r#"{{"title": "t", "documents": {{"status": 400, "error": "invalid_request"}}, "request": {{"method": "GET", "path": "/{name}"}}}}"#),
        )
        .unwrap();
    }
}

/// Starts `run` of the cases in `cases` against `url` in the background, output piped.
fn spawn_run(
    url: &str,
    cases: &std::path::Path,
    junit: &std::path::Path,
    extra: &[&str],
) -> std::process::Child {
    Command::new(assert_cmd::cargo::cargo_bin!("authconform"))
        .args(["run", "--color", "never", "--target", url, "--cases"])
        .arg(cases)
        .arg("--junit")
        .arg(junit)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn wait(child: &mut std::process::Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    None
}

const ANSWER: &[u8] = br#"{"error":"invalid_request","error_description":"x"}"#;

/// A server that answers every request at once but `/slow`, which it leaves hanging a minute.
fn slow_server() -> RawServer {
    raw_server(|req, s| {
        if req.target == "/slow" {
            std::thread::sleep(Duration::from_secs(60));
        }
        write_response(
            s,
            "400 Bad Request",
            &[("content-type", "application/json")],
            ANSWER,
        );
    })
}

/// A server whose `/slow` never answers in time, and a run of `fast` and `slow` against it with
/// both reports, interrupted by `signal` once both requests are in.
fn interrupt(signal: &str) -> (Output, Value, String) {
    let server = slow_server();
    let dir = tempfile::tempdir().unwrap();
    write_cases(dir.path(), &["fast", "slow"]);
    // A case that fails before the signal: its detail is still shown.
    std::fs::write(
        dir.path().join("s/bad.json"),
        r#"{"title": "t", "documents": {"status": 401, "error": "invalid_client"}, "request": {"method": "GET", "path": "/bad"}}"#,
    )
    .unwrap();
    let junit = dir.path().join("junit.xml");
    let json = dir.path().join("report.json");
    let mut child = spawn_run(
        &server.url,
        dir.path(),
        &junit,
        &[
            "--jobs",
            "3",
            "--timeout",
            "120",
            "--report-json",
            json.to_str().unwrap(),
        ],
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while server.hits.load(Ordering::SeqCst) < 3 {
        assert!(Instant::now() < deadline, "the requests never arrived");
        std::thread::sleep(Duration::from_millis(10));
    }
    // Every request is in: two answered, the slow one hanging.
    std::thread::sleep(Duration::from_millis(300));
    send_signal(&child, signal);
    // A generous guard against a hang, not a timing claim (the benchmark measures that).
    let status = wait(&mut child, Duration::from_secs(10))
        .unwrap_or_else(|| panic!("the run did not stop within 10 s of {signal}"));
    let out = child.wait_with_output().unwrap();
    let out = Output {
        code: status.code().expect("exited, not killed"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    let report = read_report(&json);
    crate::truth::assert_junit_agrees(signal, &junit, &report);
    let xml = std::fs::read_to_string(&junit).unwrap();
    (out, report, xml)
}

fn send_signal(child: &std::process::Child, signal: &str) {
    assert!(
        Command::new("kill")
            .args([&format!("-{signal}"), &child.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
}

/// See the issue "The gate tells the truth", item 3: SIGTERM left 0-byte reports, and after
/// Ctrl-C the JSON report said `"ok": true` and JUnit listed only the finished cases.
#[test]
fn sigint_sigterm_and_sighup_end_the_run_with_every_report_complete_and_marked() {
    for signal in ["INT", "TERM", "HUP"] {
        let (out, report, xml) = interrupt(signal);
        assert_eq!(out.code, 130, "{signal}: {}{}", out.stdout, out.stderr);
        assert!(
            out.stderr
                .contains(&format!("authconform: interrupted by SIG{signal}")),
            "{signal}: {}",
            out.stderr
        );
        assert_eq!(report["interrupted"], true, "{signal}");
        assert_eq!(report["ok"], false, "{signal}");
        assert_eq!(report["signal"], format!("SIG{signal}"));
        assert_eq!(report["not_run"], serde_json::json!(["s/slow"]), "{signal}");
        assert_eq!(report["summary"]["passed"], 1, "{signal}");
        assert_eq!(report["summary"]["not_run"], 1, "{signal}");
        assert_eq!(
            report["gate"],
            serde_json::json!([
                {"kind": "interrupted", "signal": format!("SIG{signal}"), "not_run": 1},
                {"kind": "failed", "cases": 1}
            ])
        );
        let ids: Vec<&str> = report["cases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap())
            .collect();
        assert_eq!(
            ids,
            ["s/bad", "s/fast", "s/slow"],
            "{signal}: every selected case"
        );
        // The case cut off still says what it sent.
        let slow = &report["cases"][2];
        assert_eq!(slow["verdict"]["kind"], "not_run");
        assert_eq!(slow["attempts"], 1, "{slow:#}");
        assert!(slow["request"]["curl"].as_str().unwrap().contains("/slow"));
        // JUnit lists every selected case, the one cut off as not run, not as passed.
        assert!(xml.contains(r#"<testcase name="s/fast""#), "{xml}");
        let slow = &xml[xml
            .find(r#"<testcase name="s/slow""#)
            .expect("s/slow listed")..];
        assert!(
            slow.contains(
                r#"<error message="not run: the run was interrupted first" type="not-run""#
            ),
            "{xml}"
        );
        // The terminal says it was cut off, never that it was ok.
        assert!(
            out.stdout.contains("authconform: INTERRUPTED. 1 passed;"),
            "{}",
            out.stdout
        );
        assert!(!out.stdout.contains("test result: ok"), "{}", out.stdout);
        assert!(!out.stdout.contains("authconform: ok"), "{}", out.stdout);
        // Every case has its line, the one cut off too, and no "test result" line follows.
        assert!(
            out.stdout.contains("test s/fast ... ok\n"),
            "{}",
            out.stdout
        );
        assert!(
            failure_of(&out.stdout, "s/bad").contains("✗ status: expected 401, got 400"),
            "{}",
            out.stdout
        );
        assert!(
            out.stdout.contains("test s/slow ... not run\n"),
            "{}",
            out.stdout
        );
        assert!(
            out.stdout.contains("the gate fails: interrupted by SIG"),
            "{}",
            out.stdout
        );
    }
}

/// Reports are written to a temporary file and renamed: a run killed outright, at a moment
/// when the report would once have been truncated already, leaves the previous report whole.
#[test]
fn a_killed_run_leaves_the_previous_report_whole() {
    let server = slow_server();
    let dir = tempfile::tempdir().unwrap();
    write_cases(dir.path(), &["slow"]);
    // Outside the cases folder, where a .json file would be read as a case.
    let out_dir = tempfile::tempdir().unwrap();
    let junit = out_dir.path().join("junit.xml");
    let json = out_dir.path().join("report.json");
    let previous = "{\"previous\": true}\n";
    std::fs::write(&json, previous).unwrap();
    std::fs::write(&junit, "<testsuites/>\n").unwrap();
    let mut child = spawn_run(
        &server.url,
        dir.path(),
        &junit,
        &["--timeout", "120", "--report-json", json.to_str().unwrap()],
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while server.hits.load(Ordering::SeqCst) < 1 {
        assert!(Instant::now() < deadline, "the request never arrived");
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(std::fs::read_to_string(&json).unwrap(), previous);
    assert_eq!(std::fs::read_to_string(&junit).unwrap(), "<testsuites/>\n");
}

#[test]
fn a_closed_pipe_is_not_a_crash() {
    // Slow answers, so that most of the output is written after the reader has gone.
    let server = raw_server(|_, s| {
        std::thread::sleep(Duration::from_millis(100));
        write_response(
            s,
            "400 Bad Request",
            &[("content-type", "application/json")],
            ANSWER,
        );
    });
    let dir = tempfile::tempdir().unwrap();
    let names: Vec<String> = (0..8).map(|i| format!("c{i}")).collect();
    write_cases(
        dir.path(),
        &names.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    let junit = dir.path().join("junit.xml");
    let mut child = spawn_run(&server.url, dir.path(), &junit, &["--jobs", "1"]);
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    // The reader is dropped here: `| head -1`.
    let status =
        wait(&mut child, Duration::from_secs(30)).expect("the run hung after its reader went away");
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(status.code().is_some(), "killed by a signal: {status:?}");
    // Every case still ran and is in the report, and the verdict is the run's real one.
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert_eq!(xml.matches("<testcase ").count(), 8, "{xml}");
    assert_eq!(status.code(), Some(0));
}

/// `run --list | head -0`: the list stops where the reader went, without a panic.
#[test]
fn a_list_whose_reader_has_gone_is_not_a_crash() {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_authconform"))
        .args(["run", "--list"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Closed before the program has started, let alone listed anything.
    drop(child.stdout.take());
    let status = wait(&mut child, Duration::from_secs(30)).expect("the list hung");
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(status.code(), Some(0), "{stderr}");
}

#[test]
fn serve_stops_on_sigterm_as_on_ctrl_c() {
    for signal in ["TERM", "INT"] {
        let mut child = Command::new(assert_cmd::cargo::cargo_bin!("authconform"))
            .arg("serve")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        assert!(first.contains("listening on http://127.0.0.1:"), "{first}");
        send_signal(&child, signal);
        let status = wait(&mut child, Duration::from_secs(10))
            .unwrap_or_else(|| panic!("serve did not stop on SIG{signal}"));
        assert_eq!(status.code(), Some(0), "SIG{signal}");
    }
}

/// The variables file holds the client secret: it is written for its owner only, and an
/// existing file is not replaced unless asked.
#[cfg(unix)]
#[test]
fn serve_writes_its_variables_for_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("vars.json");
    let serve = |extra: &[&str]| {
        let mut child = Command::new(assert_cmd::cargo::cargo_bin!("authconform"))
            .arg("serve")
            .arg("--write-vars")
            .arg(&file)
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut seen = String::new();
        let mut line = String::new();
        while out.read_line(&mut line).unwrap_or(0) > 0 && !line.starts_with("try:") {
            seen.push_str(&line);
            line.clear();
        }
        send_signal(&child, "TERM");
        let status = wait(&mut child, Duration::from_secs(10)).expect("serve stopped");
        let mut stderr = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
        (status.code(), seen, stderr)
    };
    let (code, seen, _) = serve(&[]);
    assert_eq!(code, Some(0));
    assert!(seen.contains("variables written to"), "{seen}");
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains(authconform::reference::CLIENT_SECRET));

    let (code, _, stderr) = serve(&[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("the file exists; give --overwrite to replace it"),
        "{stderr}"
    );
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (code, _, _) = serve(&["--overwrite"]);
    assert_eq!(code, Some(0));
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

/// See the issue "Untrusted input, round two", item 5: with a discovery document that never
/// came, SIGTERM was answered only when `--timeout` ran out (exit 2, no reports). A signal now
/// ends the run wherever it is, every report written and saying that nothing ran.
#[test]
fn a_signal_before_any_case_ends_the_run_with_its_reports() {
    let server = raw_server(|_, _| std::thread::sleep(Duration::from_secs(60)));
    for signal in ["INT", "TERM", "HUP"] {
        let before = server.hits.load(Ordering::SeqCst);
        let dir = tempfile::tempdir().unwrap();
        write_cases(dir.path(), &["fast"]);
        let (junit, json) = (dir.path().join("junit.xml"), dir.path().join("r.json"));
        let mut child = spawn_run(
            &server.url,
            dir.path(),
            &junit,
            &[
                "--discover",
                "--timeout",
                "120",
                "--report-json",
                json.to_str().unwrap(),
            ],
        );
        let deadline = Instant::now() + Duration::from_secs(20);
        while server.hits.load(Ordering::SeqCst) == before {
            assert!(
                Instant::now() < deadline,
                "the discovery request never arrived"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        send_signal(&child, signal);
        // A guard against a hang (the run's own --timeout is 120 s), not a timing claim.
        let status = wait(&mut child, Duration::from_secs(30))
            .unwrap_or_else(|| panic!("the run did not stop after SIG{signal}"));
        let stderr = std::io::read_to_string(child.stderr.take().unwrap()).unwrap();
        assert_eq!(status.code(), Some(130), "{signal}: {stderr}");
        assert!(
            stderr.contains(&format!(
                "interrupted by SIG{signal} before any case was sent"
            )),
            "{stderr}"
        );
        let report = read_report(&json);
        assert_eq!(report["interrupted"], true, "{signal}");
        assert_eq!(report["signal"], format!("SIG{signal}"));
        assert_eq!(report["ok"], false);
        assert_eq!(
            report["gate"][0]["kind"], "interrupted",
            "{}",
            report["gate"]
        );
        assert_eq!(report["cases"].as_array().unwrap().len(), 0);
        assert_eq!(report["summary"]["passed"], 0);
        assert_eq!(report["not_run"], serde_json::json!([]));
        crate::truth::assert_junit_agrees(signal, &junit, &report);
    }
}

/// Found in review: with standard output and error one pipe that nobody reads, the first
/// signal's message blocked the signal watch, and the second signal, which quits at once, was
/// never heard. Many failing cases with long bodies fill the pipe; two signals end the run.
#[test]
fn a_second_signal_quits_even_when_nobody_reads_the_output() {
    let body = format!(
        r#"{{"error":"invalid_request","error_description":"{}"}}"#,
        "x".repeat(2000)
    );
    let server = raw_server(move |_, s| {
        write_response(
            s,
            "401 Unauthorized",
            &[("content-type", "application/json")],
            body.as_bytes(),
        )
    });
    let dir = tempfile::tempdir().unwrap();
    let names: Vec<String> = (0..200).map(|i| format!("c{i}")).collect();
    write_cases(
        dir.path(),
        &names.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    let binary = assert_cmd::cargo::cargo_bin!("authconform");
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(r#"exec "$0" run --color never --rate 0 --target "$1" --cases "$2" 2>&1"#)
        .arg(binary)
        .arg(&server.url)
        .arg(dir.path())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while server.hits.load(Ordering::SeqCst) < names.len() {
        assert!(Instant::now() < deadline, "the requests never arrived");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Every case answered: the run is now blocked writing its failures into the full pipe.
    std::thread::sleep(Duration::from_millis(500));
    send_signal(&child, "TERM");
    std::thread::sleep(Duration::from_millis(300));
    send_signal(&child, "TERM");
    // A guard against a hang, not a timing claim.
    let status = wait(&mut child, Duration::from_secs(20))
        .unwrap_or_else(|| panic!("two signals did not end a run whose output nobody reads"));
    assert_eq!(status.code(), Some(130));
}
