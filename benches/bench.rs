//! The benchmark: `cargo bench`. Runs the release binary against the reference server (in this
//! process, on 127.0.0.1) and prints a Markdown table: the whole catalogue's wall time at
//! --jobs 1, 4 and 16 with 0 ms and 50 ms of server latency, the tool's own time per request
//! (wall time minus the latency the schedule makes unavoidable), start-up time to the first
//! request with the built-in catalogue and with 10,000 generated cases, the time to load and
//! compile those 10,000 cases, peak memory, and how long a run takes to end (every report
//! written) after SIGTERM while its requests hang.
//!
//! Runs use `--rate 0`: the rate limiter is politeness by design, and would hide what the tool
//! itself costs.

use std::{
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use authconform::reference::{self, Config, Running};

const BIN: &str = env!("CARGO_BIN_EXE_authconform");
const RUNS: usize = 5;

struct Server {
    running: Running,
    runtime: tokio::runtime::Runtime,
}

fn server(latency_ms: u64) -> Server {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let running = runtime
        .block_on(reference::spawn(Config {
            latency: Duration::from_millis(latency_ms),
            ..Config::default()
        }))
        .unwrap();
    Server { running, runtime }
}

fn vars_file(dir: &Path) -> String {
    let mut map = serde_json::Map::new();
    for (name, value, secret) in reference::variables() {
        let v = if secret {
            serde_json::json!({ "secret": value })
        } else {
            serde_json::Value::String(value)
        };
        map.insert(name.to_owned(), v);
    }
    let path = dir.join("vars.json");
    std::fs::write(&path, serde_json::Value::Object(map).to_string()).unwrap();
    path.display().to_string()
}

fn spawn(args: &[&str]) -> Child {
    Command::new(BIN)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Peak resident memory (kB) of a running process, from /proc.
fn peak_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Runs to the end: (wall time, peak memory in kB).
fn measure(args: &[&str]) -> (Duration, u64) {
    let started = Instant::now();
    let mut child = spawn(args);
    let mut peak = 0;
    loop {
        if let Some(kb) = peak_kb(child.id()) {
            peak = peak.max(kb);
        }
        if child.try_wait().unwrap().is_some() {
            return (started.elapsed(), peak);
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

/// Time from start to the server's first request, and the whole run.
fn first_request(url_server: &Server, args: &[&str]) -> Duration {
    let before = url_server.running.traffic().requests();
    let started = Instant::now();
    let mut child = spawn(args);
    let first = loop {
        if url_server.running.traffic().requests() > before {
            break started.elapsed();
        }
        if child.try_wait().unwrap().is_some() {
            panic!("the run ended before its first request: {args:?}");
        }
        std::thread::sleep(Duration::from_micros(200));
    };
    let _ = child.kill();
    let _ = child.wait();
    first
}

/// The whole catalogue at 0 and 50 ms of latency and --jobs 1, 4 and 16; returns the peak
/// memory seen (kB).
fn catalogue(vars: &str) -> u64 {
    let mut peak_builtin = 0;
    for latency in [0u64, 50] {
        let server = server(latency);
        let mut real_latency = Duration::ZERO;
        let url = server.running.url();
        for jobs in [1usize, 4, 16] {
            let before = server.running.traffic().requests();
            let mut walls = Vec::new();
            for _ in 0..RUNS {
                let (wall, peak) = measure(&[
                    "run",
                    "--target",
                    &url,
                    "--vars",
                    vars,
                    "--rate",
                    "0",
                    "--jobs",
                    &jobs.to_string(),
                    "--color",
                    "never",
                ]);
                walls.push(wall);
                peak_builtin = peak_builtin.max(peak);
            }
            let requests = (server.running.traffic().requests() - before) / RUNS as u64;
            if latency > 0 {
                real_latency = server.running.traffic().mean_latency();
            }
            // The catalogue's repeat case sends its requests one after another; the rest go
            // `jobs` at a time.
            let repeat_requests = requests.saturating_sub(25);
            let waves = 25u64.div_ceil(jobs as u64) + repeat_requests;
            let unavoidable = real_latency * waves as u32;
            let wall = median(walls);
            let own = wall.saturating_sub(unavoidable) / requests as u32;
            println!(
                "| catalogue wall time ({requests} requests) | {latency} ms | {jobs} | {} ms |",
                ms(wall)
            );
            if latency > 0 {
                println!(
                    "| … unavoidable: {waves} rounds × {} ms (the server's real delay); wall ÷ unavoidable | {latency} ms | {jobs} | {} ms; {:.2}× |",
                    ms(real_latency),
                    ms(unavoidable),
                    wall.as_secs_f64() / unavoidable.as_secs_f64()
                );
            }
            println!(
                "| tool's own time per request | {latency} ms | {jobs} | {} ms |",
                ms(own)
            );
        }
        drop(server.runtime);
    }

    peak_builtin
}

/// Start-up to the first request, with the built-in catalogue and 10,000 generated cases,
/// and the time `lint` takes to load and compile them.
fn startup(dir: &Path, vars: &str) {
    let server = server(0);
    let url = server.running.url();
    let builtin = median(
        (0..RUNS)
            .map(|_| {
                first_request(
                    &server,
                    &[
                        "run", "--target", &url, "--vars", vars, "--rate", "0", "--color", "never",
                    ],
                )
            })
            .collect(),
    );
    println!(
        "| start-up to first request, built-in catalogue (26 cases) | 0 ms | 4 | {} ms |",
        ms(builtin)
    );

    let big = dir.join("big");
    for i in 0..10_000 {
        let folder = big.join(format!("g{:03}", i / 100));
        if i % 100 == 0 {
            std::fs::create_dir_all(&folder).unwrap();
        }
        std::fs::write(
            folder.join(format!("c{i:05}.json")),
            format!(
                r#"{{"title": "generated {i}", "documents": {{"status": 405, "error": "method_not_allowed"}},
                    "refs": ["https://auth0.com/docs/api/authentication#standard-error-responses"], "tags": ["generated"],
                    "request": {{"method": "GET", "path": "/oauth/token", "query": {{"client_id": "{{{{client_id}}}}", "n": "{i}"}}}},
                    "advise": {{"headers": {{"allow": {{"pattern": "POST"}}}}}}}}"#
            ),
        )
        .unwrap();
    }
    let big = big.display().to_string();
    let generated = median(
        (0..RUNS)
            .map(|_| {
                first_request(
                    &server,
                    &[
                        "run", "--cases", &big, "--target", &url, "--vars", vars, "--rate", "0",
                        "--color", "never",
                    ],
                )
            })
            .collect(),
    );
    println!(
        "| start-up to first request, 10,000 generated cases | 0 ms | 4 | {} ms |",
        ms(generated)
    );
    let lint = median(
        (0..RUNS)
            .map(|_| measure(&["lint", "--cases", &big]).0)
            .collect(),
    );
    println!(
        "| load and compile 10,000 cases (`lint`) | – | – | {} ms |",
        ms(lint)
    );
}

/// A CI cancel: how long a run takes to end, every report written, after SIGTERM.
fn sigterm(dir: &Path, vars: &str) {
    // A CI cancel: SIGTERM while every request hangs on a server that answers after a minute.
    let slow = crate::server(60_000);
    let slow_url = slow.running.url();
    let junit = dir.join("j.xml").display().to_string();
    let json = dir.join("r.json").display().to_string();
    let stop = median(
        (0..RUNS)
            .map(|_| {
                let before = slow.running.traffic().requests();
                let mut child = spawn(&[
                    "run",
                    "--target",
                    &slow_url,
                    "--vars",
                    vars,
                    "--rate",
                    "0",
                    "--timeout",
                    "120",
                    "--junit",
                    &junit,
                    "--report-json",
                    &json,
                ]);
                while slow.running.traffic().requests() < before + 4 {
                    std::thread::sleep(Duration::from_millis(1));
                }
                let sent = Instant::now();
                let killed = Command::new("kill")
                    .args(["-TERM", &child.id().to_string()])
                    .status()
                    .unwrap();
                assert!(killed.success());
                let status = child.wait().unwrap();
                assert_eq!(status.code(), Some(130));
                sent.elapsed()
            })
            .collect(),
    );
    println!(
        "| SIGTERM to exit, 4 requests hanging, JUnit and JSON written | 60 s | 4 | {} ms |",
        ms(stop)
    );
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let vars = vars_file(dir.path());
    println!("| measure | latency | --jobs | result |");
    println!("|---|---|---|---|");
    let peak_builtin = catalogue(&vars);
    startup(dir.path(), &vars);
    println!(
        "| peak memory, built-in catalogue | 0–50 ms | 1–16 | {:.1} MB |",
        peak_builtin as f64 / 1024.0
    );

    sigterm(dir.path(), &vars);
}
