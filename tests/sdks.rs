//! Auth0's own SDKs against `authconform serve`: auth0-python (PyPI) and `@auth0/auth0-auth-js`
//! (npm), pinned and installed by `tests/sdks/setup.sh`, each driven by a script
//! (`tests/sdks/python/drive.py`, `tests/sdks/node/drive.mjs`) that makes a fixed list of calls
//! with the SDK's public API, as an app would, and prints one JSON line per call: what the app
//! sees (outcome, error class, code, status, description).
//!
//! Each SDK runs against `serve --tls` (the CA trusted as docs/reference-server.md tells apps to), then against
//! `serve --answers observed` and against `serve --fault NAME` for every fault of the auth0
//! profile. Every line is compared with `tests/sdks/recorded.json`: the documented run in full,
//! and for the other runs the calls whose line differs from the documented run (what the app sees
//! instead). `AUTHCONFORM_RECORD=1` rewrites that file instead of comparing. Independently of the
//! recording, every call aimed at a row of the Standard Error Responses table or of the table of
//! errors per endpoint (`row` names it) must get that row's status and code in the SDK's own
//! error class, with the fields an app needs (`fields`: mfa_required's `mfa_token`, a 401's
//! challenge). `sdk_table` renders the recording as docs/reference-server.md's Markdown table.
//!
//! A missing runtime (python3, node) skips that SDK with a message, unless
//! AUTHCONFORM_REQUIRE_SERVERS is set (CI), as for the real servers of tests/servers.rs.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};

use crate::pytools::{install_once, loopback_only, repo_dir, show};

/// The recording, relative to the repository.
const RECORDED: &str = "tests/sdks/recorded.json";

/// How long one driver may take for its whole list of calls (each call times out after 20 s on
/// its own; a run takes about a second).
const DRIVER_TIMEOUT: Duration = Duration::from_secs(120);

/// How long `serve` may take to say where it listens.
const SERVE_TIMEOUT: Duration = Duration::from_secs(30);

/// One of Auth0's SDKs: its name in setup.sh and in the driver lines, and the package it pins.
#[derive(Clone, Copy)]
struct Sdk {
    name: &'static str,
    package: &'static str,
}

const SDKS: [Sdk; 2] = [
    Sdk {
        name: "python",
        package: "auth0-python 6.8.0",
    },
    Sdk {
        name: "node",
        package: "@auth0/auth0-auth-js 1.16.1",
    },
];

/// The rows of the seed table (`cases/auth0/standard-error-responses.json`, in its order)
/// as the drivers name them in `row`, the same names as the docs' table of what provokes each.
const ROWS: [&str; 13] = [
    "invalid_request",
    "invalid_scope",
    "scope type",
    "invalid_client",
    "unauthorized_client",
    "access_denied",
    "refresh token",
    "endpoint_disabled",
    "method_not_allowed",
    "too_many_requests",
    "server error",
    "unsupported_response_type",
    "temporarily_unavailable",
];

/// The install dir of `sdk`, or Err(why) when its runtime is missing (setup.sh's exit code 3).
fn install(sdk: &str) -> &'static Result<PathBuf, String> {
    assert!(
        matches!(sdk, "python" | "node"),
        "no SDK {sdk:?}: python or node"
    );
    install_once("tests/sdks/setup.sh", Some(sdk))
}

/// The SDKs whose runtime is here, with their install dirs. A missing one is skipped with a
/// message, or is a panic under AUTHCONFORM_REQUIRE_SERVERS or when recording (a recording must
/// hold both).
fn installed(recording: bool) -> Vec<(Sdk, PathBuf)> {
    let mut ready = Vec::new();
    for sdk in SDKS {
        match install(sdk.name) {
            Ok(dir) => ready.push((sdk, dir.clone())),
            Err(why) if std::env::var_os("AUTHCONFORM_REQUIRE_SERVERS").is_some() => {
                panic!(
                    "the SDK {} is required (AUTHCONFORM_REQUIRE_SERVERS): {why}",
                    sdk.package
                )
            }
            Err(why) if recording => {
                panic!(
                    "AUTHCONFORM_RECORD needs every SDK, and {} cannot be installed: {why}",
                    sdk.package
                )
            }
            Err(why) => crate::pytools::tell(&format!("skipping the SDK {}: {why}", sdk.package)),
        }
    }
    ready
}

/// The binary under test, as cargo built it for this test.
fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_authconform"))
}

/// One way to run the server: its name in the recording and the arguments it adds to
/// `serve --tls`.
struct Variant {
    name: String,
    args: Vec<String>,
}

/// The documented run first, then `--answers observed`, then every fault of the auth0 profile.
fn variants() -> Vec<Variant> {
    let output = Command::new(binary())
        .args(["serve", "--profile", "auth0", "--list-faults"])
        .output()
        .expect("serve --list-faults runs");
    assert!(output.status.success(), "{}", show(&output));
    let mut variants = vec![
        Variant {
            name: "documented".into(),
            args: Vec::new(),
        },
        Variant {
            name: "observed".into(),
            args: vec!["--answers".into(), "observed".into()],
        },
    ];
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Some(fault) = line.split_whitespace().next() else {
            continue;
        };
        variants.push(Variant {
            name: fault.to_owned(),
            args: vec!["--fault".into(), fault.to_owned()],
        });
    }
    assert!(variants.len() > 2, "no faults listed: {}", show(&output));
    variants
}

/// `authconform serve --tls` in a child process, killed when this value is dropped.
struct Serve {
    child: Child,
    /// What a driver reads on stdin: the URL, the CA file, the variables and the secrets.
    input: Value,
    /// Holds vars.json and ca.pem.
    _dir: tempfile::TempDir,
    stderr: PathBuf,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Serve {
    fn start(args: &[String]) -> Serve {
        let dir = tempfile::tempdir().unwrap();
        let vars = dir.path().join("vars.json");
        let ca = dir.path().join("ca.pem");
        let stderr = dir.path().join("serve.stderr");
        let mut child = Command::new(binary())
            .args(["serve", "--tls", "--port", "0", "--write-vars"])
            .arg(&vars)
            .arg("--write-ca")
            .arg(&ca)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .expect("authconform serve starts");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        // The server's stdout is read for its whole life, so that it never blocks on a full pipe.
        thread::spawn(move || {
            let mut url = None;
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(at) = line.find("listening on ") {
                    url = Some(line[at + "listening on ".len()..].trim().to_owned());
                }
                if line.starts_with("try:") {
                    let _ = tx.send(url.take());
                }
            }
        });
        let mut serve = Serve {
            child,
            input: Value::Null,
            _dir: dir,
            stderr,
        };
        let url = match rx.recv_timeout(SERVE_TIMEOUT) {
            Ok(Some(url)) => url,
            outcome => panic!(
                "serve --tls {args:?} did not say where it listens ({outcome:?}): {}",
                serve.log()
            ),
        };
        serve.input = driver_input(&url, &vars, &ca);
        serve
    }

    fn log(&self) -> String {
        format!(
            "--- serve stderr ---\n{}",
            std::fs::read_to_string(&self.stderr).unwrap_or_default()
        )
    }
}

/// The driver's stdin from `serve --write-vars`: plain strings are variables, `{"secret": …}`
/// are secrets, and `$app` adds the app's own (the limited client).
fn driver_input(url: &str, vars_file: &Path, ca: &Path) -> Value {
    let text = std::fs::read_to_string(vars_file)
        .unwrap_or_else(|e| panic!("serve wrote no {}: {e}", vars_file.display()));
    let written: Value = serde_json::from_str(&text).unwrap();
    let mut vars = Map::new();
    let mut secrets = Map::new();
    let mut add = |members: &Map<String, Value>| {
        for (name, value) in members {
            match value {
                Value::String(_) => {
                    vars.insert(name.clone(), value.clone());
                }
                Value::Object(secret) if secret.contains_key("secret") => {
                    secrets.insert(name.clone(), secret["secret"].clone());
                }
                _ => {}
            }
        }
    };
    let Value::Object(members) = &written else {
        panic!("{} is not an object: {text}", vars_file.display());
    };
    add(members);
    if let Some(Value::Object(app)) = written.get("$app") {
        add(app);
    }
    for name in ["url", "domain", "ca"] {
        vars.remove(name);
    }
    json!({ "url": url, "ca": ca, "vars": vars, "secrets": secrets })
}

/// Runs the driver of `sdk` against `serve` and returns its lines, parsed.
fn drive(sdk: &str, dir: &Path, serve: &Serve) -> Vec<Value> {
    let scripts = repo_dir().join("tests/sdks");
    let mut cmd = match sdk {
        "python" => {
            let mut cmd = Command::new(dir.join("venv/bin/python"));
            cmd.arg(scripts.join("python/drive.py"))
                .env("PYTHONDONTWRITEBYTECODE", "1");
            cmd
        }
        "node" => {
            let mut cmd = Command::new("node");
            cmd.arg(scripts.join("node/drive.mjs"));
            cmd
        }
        _ => unreachable!("install() refused {sdk:?}"),
    };
    // The CA as the docs tell an app to trust it; requests to loopback go straight there.
    let ca = serve.input["ca"].as_str().unwrap();
    cmd.env("AUTHCONFORM_SDK_DIR", dir)
        .env("NODE_EXTRA_CA_CERTS", ca)
        .env("REQUESTS_CA_BUNDLE", ca)
        .current_dir(std::env::temp_dir());
    loopback_only(&mut cmd);
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start the {sdk} driver: {e}"));
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(serve.input.to_string().as_bytes())
        .unwrap_or_else(|e| panic!("cannot write the {sdk} driver's input: {e}"));
    drop(stdin);
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    let err = thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let deadline = Instant::now() + DRIVER_TIMEOUT;
    let status = loop {
        match child.try_wait().unwrap() {
            Some(status) => break Some(status),
            None if Instant::now() > deadline => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            None => thread::sleep(Duration::from_millis(20)),
        }
    };
    let (stdout, stderr) = (out.join().unwrap(), err.join().unwrap());
    let context = || {
        format!(
            "--- {sdk} driver stdout ---\n{stdout}\n--- stderr ---\n{stderr}\n{}",
            serve.log()
        )
    };
    match status {
        Some(status) if status.success() => {}
        Some(status) => panic!("the {sdk} driver failed ({status})\n{}", context()),
        None => panic!(
            "the {sdk} driver did not finish within {DRIVER_TIMEOUT:?}\n{}",
            context()
        ),
    }
    stdout
        .lines()
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|e| {
                panic!(
                    "the {sdk} driver printed a line that is not JSON ({e}): {line}\n{}",
                    context()
                )
            })
        })
        .collect()
}

/// A line as it is recorded: without `sdk` (the recording groups by SDK), and with the values
/// that change from run to run (epoch seconds, seconds to wait) replaced by what they are.
fn normalise(line: &Value) -> Value {
    let mut line = line.clone();
    let members = line.as_object_mut().expect("a driver line is an object");
    members.shift_remove("sdk");
    // A 429 that is not a rate limit (brute-force protection's too_many_attempts) carries the
    // client's token bucket, whose remaining count depends on how fast the calls came.
    let not_limited = members.get("code") != Some(&json!("too_many_requests"));
    if let Some(Value::Object(limit)) = members.get_mut("rate_limit") {
        if let Some(remaining) = limit
            .get_mut("headers")
            .and_then(|h| h.get_mut("x-ratelimit-remaining"))
            .filter(|_| not_limited)
        {
            *remaining = json!("<count>");
        }
        if let Some(reset_at) = limit.get_mut("reset_at") {
            *reset_at = epoch(reset_at);
        }
        if let Some(Value::Object(headers)) = limit.get_mut("headers") {
            for (name, value) in headers.iter_mut() {
                match name.as_str() {
                    "x-ratelimit-reset" => *value = epoch(value),
                    "retry-after" => {
                        let seconds = value.as_str().and_then(|v| v.parse::<u64>().ok());
                        if seconds.is_some() {
                            *value = json!("<seconds>");
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    line
}

/// `<epoch seconds>` for a time within a day of now (as a number or a decimal string), else the
/// value itself (`-1`: the SDK found no header).
fn epoch(value: &Value) -> Value {
    let seconds = match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    match seconds {
        Some(s) if (now - 86_400..=now + 86_400).contains(&s) => json!("<epoch seconds>"),
        _ => value.clone(),
    }
}

/// The lines of `run` that differ from the documented run's line for the same call (a call the
/// documented run lacks counts as different).
fn changed(documented: &[Value], run: &[Value]) -> Vec<Value> {
    run.iter()
        .filter(|line| {
            !documented
                .iter()
                .any(|d| d["call"] == line["call"] && d == *line)
        })
        .cloned()
        .collect()
}

/// Runs every SDK against every variant, a few at a time, and returns the recording those runs
/// make, with only the SDKs in `sdks`.
fn record(sdks: &[(Sdk, PathBuf)]) -> Value {
    let variants = variants();
    let jobs: Vec<(usize, usize)> = (0..variants.len())
        .flat_map(|v| (0..sdks.len()).map(move |s| (v, s)))
        .collect();
    let results: Mutex<BTreeMap<(usize, usize), Vec<Value>>> = Mutex::new(BTreeMap::new());
    let next = Mutex::new(0usize);
    let workers = thread::available_parallelism()
        .map_or(4, |n| n.get())
        .clamp(2, 8);
    thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let job = {
                        let mut next = next.lock().unwrap_or_else(|p| p.into_inner());
                        let job = jobs.get(*next).copied();
                        *next += 1;
                        job
                    };
                    let Some((v, s)) = job else { break };
                    let (sdk, dir) = &sdks[s];
                    let serve = Serve::start(&variants[v].args);
                    let lines: Vec<Value> =
                        drive(sdk.name, dir, &serve).iter().map(normalise).collect();
                    results
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .insert((v, s), lines);
                }
            });
        }
    });
    let results = results.into_inner().unwrap();

    let mut recording = Map::new();
    recording.insert(
        "note".into(),
        json!(
            "What apps built on Auth0's SDKs see from `authconform serve --tls`: written by \
             `AUTHCONFORM_RECORD=1 cargo test --test integration sdks` (tests/sdks.rs), compared \
             by the same test. `documented`: every call of each driver (tests/sdks/*/drive.*) \
             against the documented answers; `observed` (`serve --answers observed`) and \
             `faults` (`serve --fault NAME`): only the calls whose line differs from the \
             documented run. `code` and `description` are the server's `error` and \
             `error_description` as the SDK hands them to the app."
        ),
    );
    recording.insert(
        "sdks".into(),
        Value::Object(
            sdks.iter()
                .map(|(sdk, _)| (sdk.name.to_owned(), json!(sdk.package)))
                .collect(),
        ),
    );
    let of = |v: usize| -> Value {
        Value::Object(
            sdks.iter()
                .enumerate()
                .map(|(s, (sdk, _))| {
                    let lines = &results[&(v, s)];
                    let value = if v == 0 {
                        lines.clone()
                    } else {
                        changed(&results[&(0, s)], lines)
                    };
                    (sdk.name.to_owned(), Value::Array(value))
                })
                .collect(),
        )
    };
    recording.insert("documented".into(), of(0));
    recording.insert("observed".into(), of(1));
    recording.insert(
        "faults".into(),
        Value::Object(
            (2..variants.len())
                .map(|v| (variants[v].name.clone(), of(v)))
                .collect(),
        ),
    );
    Value::Object(recording)
}

/// The seed table's rows, in order.
fn seed_rows() -> Vec<Value> {
    let path = repo_dir().join("cases/auth0/standard-error-responses.json");
    let seed: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let rows = seed["rows"].as_array().unwrap().clone();
    assert_eq!(
        rows.len(),
        ROWS.len(),
        "{}: one name per row",
        path.display()
    );
    rows
}

/// The rows of the table of errors per endpoint (`cases/auth0/endpoint-errors.json`), in order.
fn endpoint_rows() -> Vec<Value> {
    let path = repo_dir().join("cases/auth0/endpoint-errors.json");
    let table: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    table["rows"].as_array().unwrap().clone()
}

/// The calls that must succeed against the documented answers.
const MUST_PASS: [&str; 8] = [
    "discovery",
    "client-credentials",
    "verify-access-token",
    "change-password",
    "revoke",
    "signup",
    "passwordless-email",
    "authorization-code",
];

/// Errors whose class hands the app no status: auth-js's PAR refusal (`buildAuthorizationUrl`).
const NO_STATUS: [(&str, &str); 1] = [("node", "BuildAuthorizationUrlError")];

/// Whether `class` is the SDK's own error class for an answer with `status`.
fn own_class(sdk: &str, class: &str, status: &Value) -> bool {
    match sdk {
        "python" if *status == 429 => class == "RateLimitError",
        "python" => class == "Auth0Error",
        _ => {
            class.starts_with("TokenBy")
                || [
                    "TokenRevocationError",
                    "ChangePasswordError",
                    "SignUpError",
                    "PasswordlessStartError",
                    "UserInfoError",
                    "MfaChallengeError",
                    "MfaVerifyError",
                    "PasswordlessVerifyError",
                    "BackchannelAuthenticationError",
                    "BuildAuthorizationUrlError",
                ]
                .contains(&class)
        }
    }
}

/// What must hold whatever was recorded: against the documented answers, every call aimed at a
/// row gets that row's status and code in the SDK's own error class, a 429 carries the
/// rate-limit headers, and the calls that must succeed do. The problems, one a line.
fn documented_problems(sdk: &str, lines: &[Value]) -> Vec<String> {
    let rows = seed_rows();
    let endpoint = endpoint_rows();
    let mut problems = Vec::new();
    for line in lines {
        let call = line["call"].as_str().unwrap_or("?");
        let mut problem = |what: String| problems.push(format!("{sdk} {call}: {what}: {line}"));
        let Some(row) = line["row"].as_str() else {
            if MUST_PASS.contains(&call) && line["outcome"] != "ok" {
                problem("must succeed".into());
            }
            continue;
        };
        if let Some(at) = endpoint.iter().position(|r| r["id"] == row) {
            for what in endpoint_row_problems(sdk, &endpoint[at], line) {
                problem(what);
            }
            continue;
        }
        let Some(at) = ROWS.iter().position(|r| *r == row) else {
            problem(format!(
                "no such row {row:?} (one of {ROWS:?} or an id of cases/auth0/endpoint-errors.json)"
            ));
            continue;
        };
        let seed = &rows[at];
        if line["outcome"] != "error" {
            problem("must fail".into());
            continue;
        }
        if line["status"] != seed["status"] {
            problem(format!("status must be {}", seed["status"]));
        }
        // oauth4webapi (under auth-js) never reads a 5xx body: the app gets no code there.
        let unread = sdk == "node" && seed["status"].as_u64().is_some_and(|s| s >= 500);
        let code = seed.get("error").unwrap_or(&json!("server_error")).clone();
        if !unread && line["code"] != code {
            problem(format!("code must be {code}"));
        }
        if let Some(description) = seed["description"].as_str() {
            let sent = line["description"].as_str().unwrap_or_default();
            if sent.trim_end_matches('.') != description {
                problem(format!("description must be {description:?}"));
            }
        }
        let class = line["class"].as_str().unwrap_or_default();
        if !own_class(sdk, class, &seed["status"]) {
            problem(format!("{class:?} is not the SDK's own error class"));
        }
        if seed["status"] == 429 {
            let headers = &line["rate_limit"]["headers"];
            for name in [
                "x-ratelimit-limit",
                "x-ratelimit-remaining",
                "x-ratelimit-reset",
            ] {
                if headers.get(name).is_none() {
                    problem(format!("the SDK exposes no {name}"));
                }
            }
            if sdk == "python" && line["rate_limit"]["reset_at"] != "<epoch seconds>" {
                problem("reset_at must be X-RateLimit-Reset".into());
            }
        }
    }
    problems
}

/// What a call aimed at a row of the table of errors per endpoint must get: the row's status
/// (unless the SDK's class carries none), its code (a text row has none to compare), its
/// description where the SDK reads one (auth0-python never reads a Boom body's `description`),
/// in the SDK's own class, with what the app needs to go on (mfa_required's `mfa_token`, a
/// 401's challenge).
fn endpoint_row_problems(sdk: &str, row: &Value, line: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    if line["outcome"] != "error" {
        return vec!["must fail".into()];
    }
    let class = line["class"].as_str().unwrap_or_default();
    let hidden = line["status"].is_null() && NO_STATUS.contains(&(sdk, class));
    if line["status"] != row["status"] && !hidden {
        problems.push(format!("status must be {}", row["status"]));
    }
    let shape = row["shape"].as_str().unwrap_or("oauth");
    if let Some(code) = row.get("error").filter(|_| shape != "text")
        && line["code"] != *code
    {
        problems.push(format!("code must be {code}"));
    }
    let reads_description = !(shape == "boom" && sdk == "python") && shape != "text";
    if let Some(description) = row["description"].as_str().filter(|_| reads_description) {
        let sent = line["description"].as_str().unwrap_or_default();
        if sent.trim_end_matches('.') != description.trim_end_matches('.') {
            problems.push(format!("description must be {description:?}"));
        }
    }
    if !own_class(sdk, class, &row["status"]) {
        problems.push(format!("{class:?} is not the SDK's own error class"));
    }
    let needs: &[&str] = match row["id"].as_str() {
        Some("mfa-required") => &["mfa_token", "mfa_requirements"],
        Some("userinfo-unauthorized") => &["www-authenticate"],
        _ => &[],
    };
    for field in needs {
        if line["fields"].get(*field).is_none() {
            problems.push(format!("the SDK hands the app no {field}"));
        }
    }
    problems
}

/// What must hold of `serve --answers observed` whatever was recorded (`observed` holds the lines
/// that differ from the documented run): a wrong secret or an unknown client gets 401
/// `access_denied`, an unknown refresh token 403 `invalid_grant`, an exposed existing user at
/// signup 400 `user_exists`; and nothing else changes.
fn observed_problems(sdk: &str, documented: &[Value], observed: &[Value]) -> Vec<String> {
    let mut problems = Vec::new();
    for line in documented {
        let call = line["call"].as_str().unwrap_or("?");
        let expected = match line["row"].as_str() {
            Some("invalid_client") if !call.starts_with("revoke") => Some(("access_denied", 401)),
            Some("refresh token") => Some(("invalid_grant", 403)),
            // Documented 409; tenants are seen to send 400.
            Some("signup-user-exists") => Some(("user_exists", 400)),
            _ => None,
        };
        let now = observed.iter().find(|l| l["call"] == call);
        match (expected, now) {
            (Some((code, status)), Some(now)) if now["code"] == code && now["status"] == status => {
            }
            (Some((code, status)), now) => problems.push(format!(
                "{sdk} {call} with --answers observed: must get {status} {code}, got {}",
                now.unwrap_or(line)
            )),
            (None, Some(now)) => problems.push(format!(
                "{sdk} {call} with --answers observed: must not change, got {now}"
            )),
            (None, None) => {}
        }
    }
    problems
}

/// Where the lines `got` differ from the lines `want`, one entry per call, headed by `place`.
fn compare_lines(place: &str, want: &Value, got: &Value) -> Vec<String> {
    let empty = Vec::new();
    let want = want.as_array().unwrap_or(&empty);
    let got = got.as_array().unwrap_or(&empty);
    let calls = |lines: &[Value]| -> Vec<String> {
        lines
            .iter()
            .map(|l| l["call"].as_str().unwrap_or("?").to_owned())
            .collect()
    };
    let mut names = calls(want);
    for name in calls(got) {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    let mut out = Vec::new();
    for name in names {
        let find = |lines: &[Value]| lines.iter().find(|l| l["call"] == name.as_str()).cloned();
        let (w, g) = (find(want), find(got));
        if w != g {
            let show = |v: Option<Value>| v.map_or("(no line)".to_owned(), |v| v.to_string());
            out.push(format!(
                "{place} {name}:\n    recorded: {}\n    now:      {}",
                show(w),
                show(g)
            ));
        }
    }
    if out.is_empty() && calls(want) != calls(got) {
        out.push(format!("{place}: the calls come in another order"));
    }
    out
}

/// Where `actual` differs from `expected` (both recordings) for the SDKs `sdks`.
fn differences(expected: &Value, actual: &Value, sdks: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    let mut faults: Vec<&String> = Vec::new();
    for recording in [expected, actual] {
        if let Some(Value::Object(members)) = recording.get("faults") {
            for name in members.keys() {
                if !faults.contains(&name) {
                    faults.push(name);
                }
            }
        }
    }
    for fault in &faults {
        if expected["faults"][fault.as_str()].is_null() {
            out.push(format!(
                "--fault {fault}: serve lists it, but it is not recorded"
            ));
        } else if actual["faults"][fault.as_str()].is_null() {
            out.push(format!(
                "--fault {fault}: recorded, but serve no longer lists it"
            ));
        }
    }
    for sdk in sdks {
        out.extend(compare_lines(
            &format!("{sdk} documented"),
            &expected["documented"][sdk],
            &actual["documented"][sdk],
        ));
        out.extend(compare_lines(
            &format!("{sdk} --answers observed"),
            &expected["observed"][sdk],
            &actual["observed"][sdk],
        ));
        for fault in &faults {
            let (want, got) = (
                &expected["faults"][fault.as_str()],
                &actual["faults"][fault.as_str()],
            );
            if !want.is_null() && !got.is_null() {
                out.extend(compare_lines(
                    &format!("{sdk} --fault {fault}"),
                    &want[sdk],
                    &got[sdk],
                ));
            }
        }
    }
    out
}

#[test]
fn sdks_see_the_documented_errors_and_each_fault() {
    let recording = std::env::var_os("AUTHCONFORM_RECORD").is_some_and(|v| v != "0");
    let sdks = installed(recording);
    if sdks.is_empty() {
        return;
    }
    let started = Instant::now();
    let actual = record(&sdks);
    eprintln!(
        "{} SDK(s) against serve, documented, observed and every fault, in {:?}",
        sdks.len(),
        started.elapsed()
    );

    let mut problems = Vec::new();
    for (sdk, _) in &sdks {
        let lines = actual["documented"][sdk.name].as_array().unwrap();
        problems.extend(documented_problems(sdk.name, lines));
        let observed = actual["observed"][sdk.name].as_array().unwrap();
        problems.extend(observed_problems(sdk.name, lines, observed));
    }

    let path = repo_dir().join(RECORDED);
    if recording {
        let mut text = serde_json::to_string_pretty(&actual).unwrap();
        text.push('\n');
        std::fs::write(&path, text).unwrap();
        eprintln!(
            "recorded {}; docs/reference-server.md's table, between <!-- sdk-table:start --> and \
             <!-- sdk-table:end -->:\n\n{}",
            path.display(),
            sdk_table(&actual)
        );
    } else {
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (record it: AUTHCONFORM_RECORD=1 cargo test --test integration sdks)",
                path.display()
            )
        });
        let expected: Value = serde_json::from_str(&text).unwrap();
        let names: Vec<&str> = sdks.iter().map(|(sdk, _)| sdk.name).collect();
        let diff = differences(&expected, &actual, &names);
        assert!(
            diff.is_empty() && problems.is_empty(),
            "the SDKs see other answers than {} records:\n{}\n\n{}\
             (after a deliberate change to the server, re-record: AUTHCONFORM_RECORD=1 cargo \
             test --test integration sdks)",
            RECORDED,
            diff.join("\n"),
            if problems.is_empty() {
                String::new()
            } else {
                format!(
                    "and what must hold whatever is recorded does not:\n{}\n\n",
                    problems.join("\n")
                )
            }
        );
    }
    assert!(
        problems.is_empty(),
        "against the documented answers:\n{}",
        problems.join("\n")
    );
}

/// `ok`, or the error as the app gets it: class, code (the server's `error`), status.
fn cell(line: Option<&Value>) -> String {
    let Some(line) = line else {
        return "—".into();
    };
    if line["outcome"] == "ok" {
        return "ok".into();
    }
    let class = line["class"].as_str().unwrap_or("?");
    let code = match &line["code"] {
        Value::String(code) if code.is_empty() => "`\"\"`".to_owned(),
        Value::String(code) => format!("`{code}`"),
        _ => "no code".to_owned(),
    };
    let status = match &line["status"] {
        Value::Number(n) => n.to_string(),
        _ => "no status".to_owned(),
    };
    // The other members the app can read off the error (names only: values may be secrets).
    let fields = match &line["fields"] {
        Value::Object(fields) if !fields.is_empty() => format!(
            " + {}",
            fields
                .keys()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        _ => String::new(),
    };
    format!("`{class}` {code} {status}{fields}")
}

/// What the app sees instead under one variant: the changed calls, grouped by what they became
/// (class, code, status; or the same error with another description, SDK message or rate-limit
/// headers), named, or counted when there are many.
fn changes_cell(documented: &[Value], changed: &[Value]) -> String {
    if changed.is_empty() {
        return "no change".into();
    }
    let key =
        |l: &Value| [&l["outcome"], &l["class"], &l["code"], &l["status"]].map(|v| v.to_string());
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for line in changed {
        let call = line["call"].as_str().unwrap_or("?").to_owned();
        let before = documented.iter().find(|d| d["call"] == line["call"]);
        let now = match before {
            Some(before) if key(before) == key(line) => {
                let other: Vec<&str> = [
                    ("description", "description"),
                    ("detail", "SDK message"),
                    ("rate_limit", "rate-limit headers"),
                    ("attempt", "attempt"),
                    ("fields", "fields"),
                ]
                .into_iter()
                .filter(|(field, _)| before.get(field) != line.get(field))
                .map(|(_, what)| what)
                .collect();
                format!("same error, other {}", other.join(", "))
            }
            _ => cell(Some(line)),
        };
        match groups.iter_mut().find(|(c, _)| *c == now) {
            Some((_, calls)) => calls.push(call),
            None => groups.push((now, vec![call])),
        }
    }
    groups
        .into_iter()
        .map(|(now, calls)| match calls.len() {
            1..=3 => format!("{}: {now}", calls.join(", ")),
            n => format!("{n} calls: {now}"),
        })
        .collect::<Vec<_>>()
        .join("<br>")
}

/// The sentences naming the rows of each table that no call provokes (empty when all are).
fn unreached(calls: &[(String, Option<String>)], endpoint: &[String]) -> String {
    let mut out = String::new();
    let reached: Vec<&str> = calls.iter().filter_map(|(_, row)| row.as_deref()).collect();
    let missed: Vec<&str> = ROWS
        .iter()
        .copied()
        .filter(|r| !reached.contains(r))
        .collect();
    if !missed.is_empty() {
        out.push_str(&format!(
            "\nNo SDK call provokes {}: the SDKs never send those requests.\n",
            missed.join(", ")
        ));
    }
    let missed: Vec<&str> = endpoint
        .iter()
        .map(String::as_str)
        .filter(|r| !reached.contains(r))
        .collect();
    if !missed.is_empty() {
        out.push_str(&format!(
            "\nOf the table of errors per endpoint, no SDK call provokes {}.\n",
            missed.join(", ")
        ));
    }
    out
}

/// docs/reference-server.md's per-SDK table from a recording: for each call (with the row it provokes) what
/// each SDK raises (class, code, status), then for `--answers observed` and each fault what
/// changes for the app. Ends with a newline.
pub fn sdk_table(recorded: &Value) -> String {
    let sdks: Vec<(&String, &Value)> = recorded["sdks"]
        .as_object()
        .expect("a recording names its SDKs")
        .iter()
        .collect();
    let lines = |sdk: &str| -> Vec<Value> {
        recorded["documented"][sdk]
            .as_array()
            .cloned()
            .unwrap_or_default()
    };
    // Every call once, in the order of the rows it provokes (the seed table's order, then the
    // table of errors per endpoint's), then those that provoke none, each group in the first
    // driver's order.
    let mut calls: Vec<(String, Option<String>)> = Vec::new();
    for (sdk, _) in &sdks {
        for line in lines(sdk) {
            let call = line["call"].as_str().unwrap_or("?").to_owned();
            if !calls.iter().any(|(c, _)| *c == call) {
                calls.push((call, line["row"].as_str().map(str::to_owned)));
            }
        }
    }
    let endpoint: Vec<String> = endpoint_rows()
        .iter()
        .filter_map(|r| r["id"].as_str().map(str::to_owned))
        .collect();
    let last = ROWS.len() + endpoint.len();
    let rank = |row: &Option<String>| {
        row.as_deref().map_or(last, |r| {
            ROWS.iter()
                .position(|x| *x == r)
                .or_else(|| {
                    endpoint
                        .iter()
                        .position(|x| x == r)
                        .map(|at| ROWS.len() + at)
                })
                .unwrap_or(last)
        })
    };
    calls.sort_by_key(|(_, row)| rank(row));

    let mut out = String::new();
    let header = |first: &str, second: Option<&str>| {
        let mut head = format!("| {first} |");
        let mut rule = "|---|".to_owned();
        if let Some(second) = second {
            head.push_str(&format!(" {second} |"));
            rule.push_str("---|");
        }
        for (_, package) in &sdks {
            head.push_str(&format!(" {} |", package.as_str().unwrap_or("?")));
            rule.push_str("---|");
        }
        format!("{head}\n{rule}\n")
    };
    out.push_str("What the app gets for each call against the documented answers (`ok`, or the error class, `error` code (a Boom body's `code`) and status, and the other members the app can read off the error):\n\n");
    out.push_str(&header("call", Some("row")));
    for (call, row) in &calls {
        out.push_str(&format!(
            "| {call} | {} |",
            row.as_deref().unwrap_or("(not a row)")
        ));
        for (sdk, _) in &sdks {
            let lines = lines(sdk);
            out.push_str(&format!(
                " {} |",
                cell(lines.iter().find(|l| l["call"] == call.as_str()))
            ));
        }
        out.push('\n');
    }
    out.push_str(&unreached(&calls, &endpoint));

    out.push_str("\nWhat changes for the app with `--answers observed` and with each `--fault` (the calls whose class, code or status differ from the table above):\n\n");
    out.push_str(&header("serve", None));
    let mut variants: Vec<(String, &Value)> =
        vec![("`--answers observed`".to_owned(), &recorded["observed"])];
    if let Some(Value::Object(faults)) = recorded.get("faults") {
        for (name, value) in faults {
            variants.push((format!("`--fault {name}`"), value));
        }
    }
    for (name, value) in variants {
        out.push_str(&format!("| {name} |"));
        for (sdk, _) in &sdks {
            let changed = value[sdk.as_str()].as_array().cloned().unwrap_or_default();
            out.push_str(&format!(" {} |", changes_cell(&lines(sdk), &changed)));
        }
        out.push('\n');
    }
    out
}

/// The file whose per-SDK table is rendered from the recording.
const SDK_DOC: &str = "docs/reference-server.md";

/// The text between the doc's sdk-table markers, or None without them.
fn docs_table(doc: &str) -> Option<&str> {
    let start = "<!-- sdk-table:start -->\n";
    let from = doc.find(start)? + start.len();
    let to = from + doc[from..].find("<!-- sdk-table:end -->")?;
    Some(&doc[from..to])
}

#[test]
fn the_docs_show_the_recorded_sdk_table() {
    if std::env::var_os("AUTHCONFORM_RECORD").is_some_and(|v| v != "0") {
        // The recording is being rewritten alongside: the docs are checked by the next run.
        eprintln!("AUTHCONFORM_RECORD: not checking {SDK_DOC}'s SDK table against {RECORDED}");
        return;
    }
    let recorded: Value = serde_json::from_str(
        &std::fs::read_to_string(repo_dir().join(RECORDED)).expect("the recording is committed"),
    )
    .unwrap();
    let table = sdk_table(&recorded);
    let doc = std::fs::read_to_string(repo_dir().join(SDK_DOC)).unwrap();
    let shown = docs_table(&doc).expect(
        "docs/reference-server.md has <!-- sdk-table:start --> and <!-- sdk-table:end --> lines",
    );
    if shown != table {
        let file = Path::new(env!("CARGO_TARGET_TMPDIR")).join("sdk-table.md");
        std::fs::write(&file, &table).unwrap();
        panic!(
            "docs/reference-server.md's SDK table (between <!-- sdk-table:start --> and <!-- sdk-table:end -->) \
             is not the one {RECORDED} renders; paste {} between the markers:\n\n{table}",
            file.display()
        );
    }
}

#[test]
fn sdk_table_renders_each_call_and_each_variant() {
    let recorded = json!({
        "sdks": { "python": "auth0-python 6.8.0", "node": "@auth0/auth0-auth-js 1.16.1" },
        "documented": {
            "python": [
                { "call": "wrong-client-secret", "row": "invalid_client", "outcome": "error",
                  "class": "Auth0Error", "code": "invalid_client", "status": 401, "description": "x" },
                { "call": "client-credentials", "row": null, "outcome": "ok",
                  "class": null, "code": null, "status": null, "description": null },
                { "call": "login-mfa-user", "row": "mfa-required", "outcome": "error",
                  "class": "Auth0Error", "code": "mfa_required", "status": 403, "description": "x",
                  "fields": { "mfa_token": "***", "mfa_requirements": {} } }
            ],
            "node": [
                { "call": "discovery", "row": null, "outcome": "ok",
                  "class": null, "code": null, "status": null, "description": null },
                { "call": "wrong-client-secret", "row": "invalid_client", "outcome": "error",
                  "class": "TokenByClientCredentialsError", "code": "invalid_client", "status": 401,
                  "description": "x" }
            ]
        },
        "observed": {
            "python": [
                { "call": "wrong-client-secret", "row": "invalid_client", "outcome": "error",
                  "class": "Auth0Error", "code": "access_denied", "status": 401,
                  "description": "Unauthorized" }
            ],
            "node": []
        },
        "faults": {
            "no-error-description": {
                "python": [
                    { "call": "wrong-client-secret", "row": "invalid_client", "outcome": "error",
                      "class": "Auth0Error", "code": "invalid_client", "status": 401,
                      "description": "invalid_client" }
                ],
                "node": [
                    { "call": "wrong-client-secret", "row": "invalid_client", "outcome": "error",
                      "class": "TokenByClientCredentialsError", "code": "", "status": 401,
                      "description": "" }
                ]
            }
        }
    });
    let table = sdk_table(&recorded);
    let rows: Vec<&str> = table.lines().filter(|l| l.starts_with("| ")).collect();
    assert_eq!(
        rows,
        [
            "| call | row | auth0-python 6.8.0 | @auth0/auth0-auth-js 1.16.1 |",
            "| wrong-client-secret | invalid_client | `Auth0Error` `invalid_client` 401 | `TokenByClientCredentialsError` `invalid_client` 401 |",
            "| login-mfa-user | mfa-required | `Auth0Error` `mfa_required` 403 + `mfa_token`, `mfa_requirements` | — |",
            "| client-credentials | (not a row) | ok | — |",
            "| discovery | (not a row) | — | ok |",
            "| serve | auth0-python 6.8.0 | @auth0/auth0-auth-js 1.16.1 |",
            "| `--answers observed` | wrong-client-secret: `Auth0Error` `access_denied` 401 | no change |",
            "| `--fault no-error-description` | wrong-client-secret: same error, other description | wrong-client-secret: `TokenByClientCredentialsError` `\"\"` 401 |",
        ],
        "{table}"
    );
    assert!(
        table.contains("No SDK call provokes invalid_request, invalid_scope,"),
        "{table}"
    );
    assert!(
        table.contains(
            "Of the table of errors per endpoint, no SDK call provokes signup-invalid-signup,"
        ),
        "{table}"
    );

    let readme = format!("intro\n<!-- sdk-table:start -->\n{table}<!-- sdk-table:end -->\nmore\n");
    assert_eq!(docs_table(&readme), Some(table.as_str()));
    assert_eq!(docs_table("no markers"), None);
}

#[test]
fn what_must_hold_whatever_is_recorded_catches_wrong_answers() {
    let line = |sdk_class: &str, row: &str, code: &str, status: u16| {
        json!({ "call": "c", "row": row, "outcome": "error", "class": sdk_class, "code": code,
                "status": status, "description": "d" })
    };
    let good = line("Auth0Error", "invalid_client", "invalid_client", 401);
    assert_eq!(
        documented_problems("python", std::slice::from_ref(&good)),
        Vec::<String>::new()
    );
    for bad in [
        line("Auth0Error", "invalid_client", "invalid_client", 400),
        line("Auth0Error", "invalid_client", "access_denied", 401),
        line("ConnectionError", "invalid_client", "invalid_client", 401),
        line("Auth0Error", "too_many_requests", "too_many_requests", 429),
        line("Auth0Error", "refresh token", "access_denied", 403),
    ] {
        let problems = documented_problems("python", std::slice::from_ref(&bad));
        assert!(!problems.is_empty(), "{bad}");
    }
    // oauth4webapi never reads a 5xx body: auth-js hands the app no code there, and that is the
    // SDK's doing; auth0-python reads it.
    let unread = line("TokenByClientCredentialsError", "server error", "", 500);
    assert_eq!(documented_problems("node", &[unread]), Vec::<String>::new());
    let unread = line("Auth0Error", "server error", "", 500);
    assert_eq!(documented_problems("python", &[unread]).len(), 1);

    // A row of the table of errors per endpoint: its status and code, with what the app needs.
    let mut mfa = line("Auth0Error", "mfa-required", "mfa_required", 403);
    mfa["description"] = json!("Multifactor authentication required");
    mfa["fields"] = json!({ "mfa_token": "***", "mfa_requirements": {} });
    assert_eq!(
        documented_problems("python", std::slice::from_ref(&mfa)),
        Vec::<String>::new()
    );
    let mut no_token = mfa.clone();
    no_token["fields"] = json!({ "mfa_requirements": {} });
    let mut wrong_code = mfa.clone();
    wrong_code["code"] = json!("invalid_grant");
    for bad in [no_token, wrong_code] {
        assert_eq!(documented_problems("python", &[bad]).len(), 1);
    }
    // A Boom row: auth0-python hands the app its code but never its description.
    let boom = line("Auth0Error", "signup-invalid-signup", "invalid_signup", 400);
    assert_eq!(documented_problems("python", &[boom]), Vec::<String>::new());

    let mut observed = good.clone();
    observed["code"] = json!("access_denied");
    assert_eq!(
        observed_problems("python", std::slice::from_ref(&good), &[observed]),
        Vec::<String>::new()
    );
    assert_eq!(observed_problems("python", &[good], &[]).len(), 1);
}
