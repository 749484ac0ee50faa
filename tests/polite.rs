//! Fast and polite: concurrency with stable ordering, the shared rate limit, unexpected 429s
//! waited out once, network retries for refused connections only, `repeat` cases first and
//! alongside the others.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use crate::util::*;

const ANSWER: &[u8] = br#"{"error":"invalid_request","error_description":"x"}"#;
const JSON: (&str, &str) = ("content-type", "application/json");

/// Cases `p/<name>` that GET `/<name>` and document 400 invalid_request.
fn cases(names: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("p")).unwrap();
    for name in names {
        std::fs::write(
            dir.path().join(format!("p/{name}.json")),
            format!(r#"{{"title": "t", "documents": {{"status": 400, "error": "invalid_request"}}, "request": {{"method": "GET", "path": "/{name}"}}}}"#),
        )
        .unwrap();
    }
    dir
}

/// Each result is printed as its case finishes (a slow case never holds back the ones after it);
/// the reports stay in case-id order.
#[test]
fn results_print_as_they_finish_and_reports_stay_in_case_id_order() {
    // The earlier the id, the slower the answer: completion order is the reverse of id order.
    let server = raw_server(|req, s| {
        let delay = match req.target.as_str() {
            "/a" => 400,
            "/b" => 300,
            "/c" => 200,
            "/d" => 100,
            _ => 0,
        };
        std::thread::sleep(Duration::from_millis(delay));
        write_response(s, "400 Bad Request", &[JSON], ANSWER);
    });
    let dir = cases(&["a", "b", "c", "d", "e"]);
    let junit = dir.path().join("junit.xml");
    let out = run_cases(
        &server.url,
        dir.path(),
        &["--jobs", "16", "--junit", junit.to_str().unwrap()],
    );
    assert_eq!(out.code, 0, "{}", out.stdout);
    let printed: Vec<String> = verdict_order(&out.stdout);
    assert_eq!(printed, ["p/e", "p/d", "p/c", "p/b", "p/a"]);
    let xml = std::fs::read_to_string(&junit).unwrap();
    let positions: Vec<usize> = ["p/a", "p/b", "p/c", "p/d", "p/e"]
        .iter()
        .map(|id| xml.find(&format!("name=\"{id}\"")).unwrap())
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{xml}");
}

/// How far apart the first and last of `n` cases' requests reached a server, run with `flags`.
fn arrival_spread(n: usize, flags: &[&str]) -> Duration {
    let arrivals: Arc<Mutex<Vec<Instant>>> = Arc::default();
    let seen = arrivals.clone();
    let server = raw_server(move |_, s| {
        seen.lock().unwrap().push(Instant::now());
        write_response(s, "400 Bad Request", &[JSON], ANSWER);
    });
    let names: Vec<String> = (0..n).map(|i| format!("c{i:02}")).collect();
    let dir = cases(&names.iter().map(String::as_str).collect::<Vec<_>>());
    let out = run_cases(&server.url, dir.path(), flags);
    assert_eq!(out.code, 0, "{}", out.stdout);
    let arrivals = arrivals.lock().unwrap();
    assert_eq!(arrivals.len(), n);
    *arrivals.last().unwrap() - arrivals[0]
}

#[test]
fn the_rate_limit_holds_across_concurrent_cases() {
    // A burst of 4, then 8 more at 4 a second: the server cannot have seen them faster.
    let spread = arrival_spread(12, &["--jobs", "16", "--rate", "4"]);
    assert!(
        spread >= Duration::from_millis(1900),
        "12 requests at --rate 4 arrived within {spread:?}"
    );
}

/// Without `--rate`, a run against a target is held to the default 20 a second: a burst of
/// 20, then one every 50 ms.
#[test]
fn a_target_gets_the_default_rate_without_rate() {
    let spread = arrival_spread(30, &["--jobs", "16"]);
    assert!(
        spread >= Duration::from_millis(450),
        "30 requests at the default 20 a second arrived within {spread:?}"
    );
}

fn rate_limited_once(reset_header: &'static str) -> RawServer {
    let count = Arc::new(Mutex::new(0));
    raw_server(move |_, s| {
        let mut n = count.lock().unwrap();
        *n += 1;
        if *n == 1 {
            let value = if reset_header == "x-ratelimit-reset" {
                (std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_secs()
                    + 1)
                .to_string()
            } else {
                "1".to_owned()
            };
            write_response(
                s,
                "429 Too Many Requests",
                &[JSON, (reset_header, &value)],
                br#"{"error":"too_many_requests","error_description":"x"}"#,
            );
        } else {
            write_response(s, "400 Bad Request", &[JSON], ANSWER);
        }
    })
}

#[test]
fn an_unexpected_429_is_waited_out_and_retried_once() {
    for header in ["retry-after", "x-ratelimit-reset"] {
        let server = rate_limited_once(header);
        let dir = cases(&["x"]);
        let out = run_cases(&server.url, dir.path(), &[]);
        assert_eq!(out.code, 0, "{header}: {}", out.stdout);
        assert_eq!(
            server.hits.load(std::sync::atomic::Ordering::SeqCst),
            2,
            "{header}"
        );
    }
}

#[test]
fn a_second_429_is_an_error_not_a_failure() {
    let server = raw_server(|_, s| {
        write_response(
            s,
            "429 Too Many Requests",
            &[JSON, ("retry-after", "1")],
            b"{}",
        )
    });
    let dir = cases(&["x"]);
    let out = run_cases(&server.url, dir.path(), &[]);
    assert_eq!(out.code, 1);
    let detail = failure_of(&out.stdout, "p/x");
    assert!(detail.contains("error: could not be judged: rate limited: the server answered 429 again after a wait of 1s"), "{detail}");
    assert!(out.stdout.contains("0 failed; 1 error;"), "{}", out.stdout);
    assert_eq!(server.hits.load(std::sync::atomic::Ordering::SeqCst), 2);
}

#[test]
fn a_wait_longer_than_max_wait_is_not_waited() {
    let server = raw_server(|_, s| {
        write_response(
            s,
            "429 Too Many Requests",
            &[JSON, ("retry-after", "120")],
            b"{}",
        )
    });
    let dir = cases(&["x"]);
    let out = run_cases(&server.url, dir.path(), &["--max-wait", "5"]);
    assert_eq!(out.code, 1);
    let detail = failure_of(&out.stdout, "p/x");
    assert!(
        detail.contains("asks for a wait of 120s, more than --max-wait 5s"),
        "{detail}"
    );
    assert_eq!(server.hits.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[test]
fn refused_connections_are_retried_and_failed_checks_never() {
    let dir = cases(&["x"]);
    let out = run_cases(&closed_port_url(), dir.path(), &["--retries", "2"]);
    assert_eq!(out.code, 1);
    let detail = failure_of(&out.stdout, "p/x");
    assert!(
        detail.contains("Connection refused (os error 111) (3 attempts)"),
        "{detail}"
    );

    let server = raw_server(|_, s| write_response(s, "500 Internal Server Error", &[JSON], ANSWER));
    let out = run_cases(&server.url, dir.path(), &["--retries", "3"]);
    assert_eq!(out.code, 1);
    assert!(failure_of(&out.stdout, "p/x").contains("✗ status: expected 400, got 500"));
    assert_eq!(
        server.hits.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "a failed check was retried"
    );
}

/// A `repeat` case is the run's longest path: it starts first and runs alongside the others,
/// one request at a time within itself.
#[test]
fn repeat_cases_start_first_and_send_one_request_at_a_time() {
    #[derive(Default)]
    struct Seen {
        order: Vec<String>,
        repeat_in_flight: usize,
        repeat_overlapped: bool,
        /// How many other cases had been answered when each repeat arrived.
        others_done_at_repeats: Vec<usize>,
        others_done: usize,
    }
    let seen: Arc<Mutex<Seen>> = Arc::default();
    let log = seen.clone();
    let server = raw_server(move |req, s| {
        let repeat = req.target == "/a-repeat";
        {
            let mut seen = log.lock().unwrap();
            seen.order.push(req.target.clone());
            if repeat {
                seen.repeat_in_flight += 1;
                seen.repeat_overlapped |= seen.repeat_in_flight > 1;
                let done = seen.others_done;
                seen.others_done_at_repeats.push(done);
            }
        }
        std::thread::sleep(Duration::from_millis(if repeat { 30 } else { 300 }));
        let mut seen = log.lock().unwrap();
        if repeat {
            seen.repeat_in_flight -= 1;
        } else {
            seen.others_done += 1;
        }
        drop(seen);
        write_response(s, "400 Bad Request", &[JSON], ANSWER);
    });
    let dir = cases(&["b", "c", "d"]);
    // Documents a status it never gets: all three attempts are sent.
    std::fs::write(
        dir.path().join("p/a-repeat.json"),
        r#"{"title": "t", "documents": {"status": 429, "error": "too_many_requests"}, "request": {"method": "GET", "path": "/a-repeat"}, "repeat": {"max": 3}}"#,
    )
    .unwrap();
    let out = run_cases(&server.url, dir.path(), &["--jobs", "4"]);
    assert_eq!(out.code, 1);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.order.len(), 6, "{:?}", seen.order);
    // All three repeats are sent while the others (300 ms each) are still being answered.
    assert_eq!(
        seen.others_done_at_repeats,
        [0, 0, 0],
        "the repeats waited for the others: {:?}",
        seen.order
    );
    assert!(
        !seen.repeat_overlapped,
        "two of its requests were in flight at once"
    );
}

#[test]
fn the_429_case_reports_the_rate_limit_it_saw() {
    let server = server(None);
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("junit.xml");
    let out = output(
        run_against(&server.url)
            .args(["dbconnections/", "--junit"])
            .arg(&junit),
    );
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(
        out.stdout.contains(
            "note: dbconnections/change-password-burst: rate limit: 429 after 11 requests; x-ratelimit-limit: 10, x-ratelimit-remaining: 0, x-ratelimit-reset: "
        ),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains(", retry-after: "), "{}", out.stdout);
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains("\nrate limit: 429 after 11 requests; x-ratelimit-limit: 10"),
        "{xml}"
    );
}

/// On a terminal a progress line (done/total, elapsed, what is running) is drawn on standard
/// error between the case lines, and never cuts one: with its draws taken out, the output is
/// every case's line, whole, once. Not on a terminal: no progress line at all. The terminal is
/// a pseudo-terminal from util-linux's `script`.
#[test]
fn a_terminal_gets_a_progress_line_that_never_cuts_a_case_line() {
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        crate::pytools::tell(
            "skipping the progress line on a terminal: util-linux `script` is not installed",
        );
        return;
    }
    let server = server_with(authconform::reference::Config {
        latency: Duration::from_millis(150),
        ..Default::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("tty.log");
    let bin = assert_cmd::cargo::cargo_bin!("authconform");
    let mut command = format!(
        "{} run --color never --rate 0 --jobs 4 --target {}",
        bin.display(),
        server.url
    );
    for flag in var_flags() {
        command.push_str(&format!(" '{flag}'"));
    }
    let status = std::process::Command::new("script")
        .args(["-q", "-e", "-c", &command])
        .arg(&log)
        .env_remove("AUTHCONFORM_TARGET")
        .env("TERM", "xterm")
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "{status}");
    let raw = String::from_utf8(std::fs::read(&log).unwrap()).unwrap();
    let draws = raw.matches("\r\x1b[2K[").count();
    assert!(draws >= 2, "no progress line was drawn: {raw:?}");
    assert!(raw.contains(" · running: "), "{raw:?}");
    // Take the progress line's draws and erasures out: what is left is libtest's output.
    let mut plain = String::new();
    for piece in raw.split("\r\x1b[2K") {
        // A draw is a piece that starts with `[done/total]` and holds no newline.
        let piece = if piece.starts_with('[') && !piece.contains('\n') {
            ""
        } else {
            piece
        };
        plain.push_str(piece);
    }
    let plain = plain.replace("\r\n", "\n");
    let ids = builtin_ids();
    for id in &ids {
        let lines: Vec<&str> = plain
            .lines()
            .filter(|l| l.starts_with(&format!("test {id} ")))
            .collect();
        assert_eq!(lines.len(), 1, "{id}: {plain}");
        assert!(lines[0].ends_with(" ... ok"), "{id}: {:?}", lines[0]);
    }

    let piped = output(&mut run_against(&server.url));
    assert_eq!(piped.code, 0);
    assert!(
        !piped.stderr.contains("running: ") && !piped.stderr.contains('\x1b'),
        "{}",
        piped.stderr
    );
}
