//! Ctrl-C and closed pipes: the run stops promptly and still writes its JUnit file; a reader
//! that goes away is not a crash.

use std::{
    io::{BufRead, BufReader},
    process::{Command, Stdio},
    sync::atomic::Ordering,
    time::{Duration, Instant},
};

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

#[test]
fn ctrl_c_stops_the_run_and_writes_junit_for_what_finished() {
    let server = raw_server(|req, s| {
        if req.target == "/slow" {
            std::thread::sleep(Duration::from_secs(60));
        }
        write_response(
            s,
            "400 Bad Request",
            &[("content-type", "application/json")],
            ANSWER,
        );
    });
    let dir = tempfile::tempdir().unwrap();
    write_cases(dir.path(), &["fast", "slow"]);
    let junit = dir.path().join("junit.xml");
    let mut child = spawn_run(
        &server.url,
        dir.path(),
        &junit,
        &["--jobs", "2", "--timeout", "120"],
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while server.hits.load(Ordering::SeqCst) < 2 {
        assert!(Instant::now() < deadline, "the requests never arrived");
        std::thread::sleep(Duration::from_millis(10));
    }
    // Both requests are in: the fast one answered, the slow one hanging.
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    let status = wait(&mut child, Duration::from_secs(10))
        .expect("the run did not stop within 10 s of Ctrl-C");
    assert_eq!(status.code(), Some(130));
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("authconform: interrupted"), "{stderr}");
    assert!(stdout.contains("interrupted: 1 cases finished"), "{stdout}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("name=\"s/fast\""), "{xml}");
    assert!(!xml.contains("name=\"s/slow\""), "{xml}");
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
