//! The benchmark: `cargo bench`. Runs the release binary against the reference server (in this
//! process, on 127.0.0.1) and prints a Markdown table: the whole catalogue's wall time at
//! --jobs 1, 4 and 16 with 0 ms and 50 ms of server latency, the tool's own time per request
//! (wall time minus the latency the schedule makes unavoidable), start-up time to the first
//! request with the built-in catalogue and with 10,000 generated cases, the time to load and
//! compile those 10,000 cases, peak memory, and how long a run takes to end (every report
//! written) after SIGTERM while its requests hang. Where Hurl is on PATH (or named by $HURL),
//! the same requests run through it too, measured the same way, side by side; where it is
//! not, the table says so. CPU time and peak memory are the kernel's account of each finished
//! process (`wait4`), to the microsecond: GNU time rounds CPU to 10 ms steps, which read a
//! built-in run as 0 ms.
//!
//! Runs use `--rate 0`: the rate limiter is politeness by design, and would hide what the tool
//! itself costs.
//!
//! The binary measured is the one cargo built for this bench's profile (`cargo bench --profile
//! dist` for the one the release archives ship), or any other named by `$AUTHCONFORM_BENCH_BIN`
//! (an archive's, say), so the shipped binary can be measured without building the bench
//! itself with fat LTO.

use std::{
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use authconform::reference::{self, Config, Running};

/// The binary under measurement: `$AUTHCONFORM_BENCH_BIN`, else this profile's build.
fn bin() -> std::path::PathBuf {
    std::env::var_os("AUTHCONFORM_BENCH_BIN")
        .map_or_else(|| env!("CARGO_BIN_EXE_authconform").into(), Into::into)
}
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
    Command::new(bin())
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

/// What the kernel reports of a finished process: wall time, CPU time (user + system), peak
/// resident memory.
#[derive(Clone, Copy)]
struct Usage {
    wall: Duration,
    cpu: Duration,
    peak_kb: u64,
}

/// Runs `program args` to the end, output discarded, and reaps it with `wait4`, which hands
/// back the kernel's account of it.
#[expect(
    clippy::zombie_processes,
    reason = "reaped by wait4, which std does not offer"
)]
fn usage(program: &Path, args: &[&str]) -> Usage {
    let started = Instant::now();
    let child = Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", program.display()));
    let pid = libc::pid_t::try_from(child.id()).expect("a pid fits");
    let mut status = 0;
    // SAFETY: all-zero bytes are a valid `rusage` (integers and `timeval`s).
    let mut account: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is this process's own unreaped child, and both pointers are to live locals.
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut account) };
    let wall = started.elapsed();
    assert_eq!(reaped, pid, "wait4: {}", std::io::Error::last_os_error());
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    Usage {
        wall,
        cpu: time(account.ru_utime) + time(account.ru_stime),
        // Linux counts it in KiB.
        peak_kb: account.ru_maxrss as u64,
    }
}

/// The median of `RUNS` runs, each figure on its own.
fn usage_median(program: &Path, args: &[&str]) -> Usage {
    usage_median_of(RUNS, program, args)
}

/// The median of `runs` runs, each figure on its own.
fn usage_median_of(runs: usize, program: &Path, args: &[&str]) -> Usage {
    let runs: Vec<Usage> = (0..runs).map(|_| usage(program, args)).collect();
    let mid = |mut v: Vec<u64>| {
        v.sort_unstable();
        v[v.len() / 2]
    };
    Usage {
        wall: median(runs.iter().map(|u| u.wall).collect()),
        cpu: median(runs.iter().map(|u| u.cpu).collect()),
        peak_kb: mid(runs.iter().map(|u| u.peak_kb).collect()),
    }
}

fn mib(kb: u64) -> String {
    format!("{:.1} MiB", kb as f64 / 1024.0)
}

/// Hurl, where it is installed: $HURL, else `hurl` on PATH.
fn hurl() -> Option<std::path::PathBuf> {
    if let Some(path) = std::env::var_os("HURL") {
        return Some(path.into());
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join("hurl"))
            .find(|p| p.is_file())
    })
}

/// A Hurl string between backticks.
fn backticked(text: &str) -> String {
    format!("`{}`", text.replace('\\', "\\\\").replace('`', "\\`"))
}

/// The Hurl file of a prepared request: the same method, URL, headers and body, and the
/// status and `error` code the case documents (fewer checks than authconform makes).
fn hurl_entry(
    request: &authconform::http::plan::Prepared,
    documents: &authconform::catalogue::seed::Documents,
    retry: Option<u32>,
) -> String {
    use base64::Engine;
    let mut entry = format!("{} {}\n", request.method, request.url);
    for (name, value) in &request.headers {
        entry.push_str(&format!("{name}: {value}\n"));
    }
    if let Some((user, password)) = &request.basic_auth {
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        entry.push_str(&format!("Authorization: Basic {token}\n"));
    }
    if let Some(body) = &request.body
        && let Some(kind) = body.content_type()
    {
        entry.push_str(&format!("Content-Type: {kind}\n"));
    }
    if let Some(times) = retry {
        entry.push_str(&format!("[Options]\nretry: {times}\nretry-interval: 0\n"));
    }
    if let Some(body) = &request.body {
        entry.push_str(&backticked(&String::from_utf8_lossy(&body.bytes())));
        entry.push('\n');
    }
    entry.push_str(&format!("HTTP {}\n", documents.status));
    if let Some(error) = documents
        .error
        .as_ref()
        .filter(|_| documents.carrier.is_body())
    {
        entry.push_str(&format!("[Asserts]\njsonpath \"$.error\" == \"{error}\"\n"));
    }
    entry
}

/// The built-in catalogue as Hurl files in `dir`, requests as authconform sends them to `url`.
fn hurl_catalogue(dir: &Path, url: &str) -> usize {
    use authconform::{base::source::*, catalogue::case::Catalogue, catalogue::vars::Vars};
    let catalogue = Catalogue::load(
        Profile::Auth0,
        &Source::BuiltIn(BuiltIn::Cases(Profile::Auth0)),
        &Source::BuiltIn(BuiltIn::Schemas),
    )
    .unwrap();
    let mut vars = Vars::default();
    for (name, value, secret) in reference::variables() {
        vars.set(name, value, secret);
    }
    vars.set("run_id", "bench", false);
    vars.declare(&catalogue.variables);
    let target = authconform::http::plan::Target::parse(url).unwrap();
    std::fs::create_dir_all(dir).unwrap();
    for case in &catalogue.cases {
        let request = authconform::http::plan::prepare(case, &vars, &target).unwrap();
        let file = dir.join(format!("{}.hurl", case.id.replace('/', "_")));
        std::fs::write(file, hurl_entry(&request, &case.documents, case.repeat)).unwrap();
    }
    catalogue.cases.len()
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
        for jobs in [1usize, 2, 4, 16] {
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
            // The critical path: the repeat case sends its requests one after another from the
            // start, holding one place; the 25 others share the rest, and all of them share
            // `jobs` places (one place: everything one after another).
            let repeat_requests = requests.saturating_sub(25);
            let waves = if jobs == 1 {
                25 + repeat_requests
            } else {
                repeat_requests.max((25 + repeat_requests).div_ceil(jobs as u64))
            };
            let unavoidable = real_latency * waves as u32;
            let wall = median(walls);
            let own = wall.saturating_sub(unavoidable) / requests as u32;
            println!(
                "| catalogue wall time ({requests} requests) | {latency} ms | {jobs} | {} ms |",
                ms(wall)
            );
            if latency > 0 {
                println!(
                    "| … critical path: {waves} rounds × {} ms (the server's real delay); wall ÷ critical path | {latency} ms | {jobs} | {} ms; {:.2}× |",
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

    let big = generated(dir, &url);
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

/// 10,000 generated cases (GET on the token endpoint, 405 documented) in `dir/big`, and the
/// same requests as Hurl files in `dir/big-hurl` for `url`; returns the cases folder.
fn generated(dir: &Path, url: &str) -> String {
    let big = dir.join("big");
    let hurl = dir.join("big-hurl");
    std::fs::create_dir_all(&hurl).unwrap();
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
        std::fs::write(
            hurl.join(format!("c{i:05}.hurl")),
            format!(
                "GET {url}/oauth/token?client_id={}&n={i}\nHTTP 405\n[Asserts]\njsonpath \"$.error\" == \"method_not_allowed\"\nheader \"Allow\" contains \"POST\"\n",
                reference::CLIENT_ID
            ),
        )
        .unwrap();
    }
    // Written back now, not while the next figures are measured: twenty thousand dirty files
    // otherwise share the two cores with them (lint read 160 ms instead of 137).
    // SAFETY: sync(2) takes nothing and cannot fail.
    unsafe { libc::sync() };
    big.display().to_string()
}

/// Side by side with Hurl where it is installed, each measured by `wait4`, medians of
/// `RUNS`: the built-in catalogue at 0 ms latency, and 10,000 generated cases at --jobs 16;
/// then `lint` of those 10,000.
fn side_by_side(dir: &Path, vars: &str) {
    let server = server(0);
    let url = server.running.url();
    let hurl = hurl();
    println!();
    match &hurl {
        Some(path) => {
            let version = Command::new(path).arg("--version").output().unwrap();
            let version = String::from_utf8_lossy(&version.stdout);
            println!(
                "Side by side with {} (same requests, same server; Hurl checks the status and `error` only):",
                version
                    .lines()
                    .next()
                    .unwrap_or("hurl")
                    .split(" (")
                    .next()
                    .unwrap_or("hurl")
            );
        }
        None => println!("Hurl is not on PATH (nor named by $HURL): authconform's figures alone."),
    }
    println!();
    println!("| measure | --jobs | authconform | Hurl | target |");
    println!("|---|---|---|---|---|");
    let bin = &bin();
    let jobs_flag = |jobs: &'static str| ["--jobs", jobs];
    let builtin_hurl = dir.join("builtin-hurl");
    let cases = hurl_catalogue(&builtin_hurl, &url);
    // A run of a few milliseconds swings with the machine: more runs for its median.
    const SHORT_RUNS: usize = 21;
    let ours = usage_median_of(
        SHORT_RUNS,
        bin,
        &[
            &[
                "run", "--target", &url, "--vars", vars, "--rate", "0", "--color", "never",
            ][..],
            &jobs_flag("4"),
        ]
        .concat(),
    );
    let theirs = hurl.as_ref().map(|h| {
        let dir = builtin_hurl.display().to_string();
        usage_median_of(SHORT_RUNS, h, &["--test", "--jobs", "4", &dir])
    });
    let show = |u: &Usage| {
        format!(
            "{} / {} ms CPU / {} ms",
            mib(u.peak_kb),
            ms(u.cpu),
            ms(u.wall)
        )
    };
    println!(
        "| built-in catalogue ({cases} cases), 0 ms: peak memory / CPU / wall | 4 | {} | {} | ≤ 12 MiB / ≤ 8 ms CPU |",
        show(&ours),
        theirs.as_ref().map_or("–".into(), show)
    );
    // Generated only now, after the short runs: writing twenty thousand files takes the cores
    // for a while.
    let big = generated(dir, &url);
    let ours = usage_median(
        bin,
        &[
            &[
                "run", "--cases", &big, "--target", &url, "--vars", vars, "--rate", "0", "--color",
                "never",
            ][..],
            &jobs_flag("16"),
        ]
        .concat(),
    );
    let theirs = hurl.as_ref().map(|h| {
        let dir = dir.join("big-hurl").display().to_string();
        usage_median(h, &["--test", "--jobs", "16", &dir])
    });
    println!(
        "| 10,000 generated cases, 0 ms: peak memory / CPU / wall | 16 | {} | {} | ≤ 96 MiB (0.7× Hurl) |",
        show(&ours),
        theirs.as_ref().map_or("–".into(), show)
    );
    let lint = usage_median(bin, &["lint", "--cases", &big]);
    println!(
        "| `lint` of 10,000 cases: wall / peak memory | – | {} ms / {} | – | < 150 ms / < 64 MiB |",
        ms(lint.wall),
        mib(lint.peak_kb)
    );
    drop(server.runtime);
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
    eprintln!("measuring {}", bin().display());
    println!("| measure | latency | --jobs | result |");
    println!("|---|---|---|---|");
    let peak_builtin = catalogue(&vars);
    startup(dir.path(), &vars);
    println!(
        "| peak memory, built-in catalogue | 0–50 ms | 1–16 | {:.1} MB |",
        peak_builtin as f64 / 1024.0
    );

    sigterm(dir.path(), &vars);
    side_by_side(dir.path(), &vars);
}
