//! Real, third-party OAuth 2.0 servers on 127.0.0.1: node's `oidc-provider` and
//! `@node-oauth/oauth2-server`, Python's Authlib and django-oauth-toolkit.
//! `tests/servers/setup.sh NAME` installs one (once per process; its own lock and stamp keep it to
//! one real install across processes) and `tests/servers/NAME/server.*` starts it. A server prints
//! one JSON line when ready: its URL, and the variables and secrets of the rfc profile that it can
//! be brought to (the scripts say why any are missing). What the servers answer is the libraries'
//! own: they are configured, never patched.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::pytools::{install_once, loopback_only, repo_dir};

/// How long a server may take from spawn to its JSON line.
const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// A real server, running for as long as this value lives.
pub struct RealServer {
    /// `http://127.0.0.1:PORT`, the origin of every endpoint.
    pub url: String,
    /// What a user gives as --target: the issuer, under which the discovery document is (the
    /// origin, or a path on it such as django-oauth-toolkit's `/o`).
    pub target: String,
    /// Whether the server serves a discovery document at all.
    pub discover: bool,
    /// The endpoint variables its discovery document does not list (a run gives them).
    pub undiscovered: Vec<String>,
    /// The rfc profile's plain variables, in the order the server printed them.
    pub vars: Vec<(String, String)>,
    /// Client secrets and tokens.
    pub secrets: Vec<(String, String)>,
    /// Which of the servers under tests/servers/ this is.
    pub name: String,
    child: Child,
    stdin: Option<ChildStdin>,
    log: Arc<Mutex<String>>,
}

impl RealServer {
    /// The variable `name`, if the server set it.
    pub fn var(&self, name: &str) -> Option<&str> {
        lookup(&self.vars, name)
    }

    /// The secret `name`, if the server set it.
    pub fn secret(&self, name: &str) -> Option<&str> {
        lookup(&self.secrets, name)
    }

    /// Everything the server wrote to stderr so far (and anything after its JSON line on
    /// stdout), for assertion messages.
    pub fn log(&self) -> String {
        format!("--- {} log ---\n{}", self.name, lock(&self.log))
    }

    /// Closes stdin, which the server takes as the signal to exit, and waits up to `grace` for
    /// it to; kills it if it has not. The exit status, or None when it had to be killed.
    fn shut_down(&mut self, grace: Duration) -> Option<ExitStatus> {
        drop(self.stdin.take());
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            match self.child.try_wait() {
                Ok(Some(status)) => return Some(status),
                Ok(None) => thread::sleep(Duration::from_millis(10)),
                Err(_) => break,
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        None
    }
}

impl Drop for RealServer {
    fn drop(&mut self) {
        self.shut_down(Duration::from_secs(2));
    }
}

fn lookup<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

fn lock(log: &Mutex<String>) -> std::sync::MutexGuard<'_, String> {
    log.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The real servers tests/servers/setup.sh installs.
pub const NAMES: &[&str] = &[
    "oidc-provider",
    "authlib",
    "django-oauth-toolkit",
    "node-oauth2-server",
];

/// The install dir of `name`, or Err(why) when its runtime is missing (setup.sh's exit code 3).
fn install(name: &str) -> &'static Result<PathBuf, String> {
    assert!(
        NAMES.contains(&name),
        "no real server {name:?}: one of {NAMES:?}"
    );
    install_once("tests/servers/setup.sh", Some(name))
}

/// The command that starts `name` from its install dir.
fn command(name: &str, dir: &Path) -> Command {
    let scripts = repo_dir().join("tests/servers");
    let mut cmd = match name {
        "oidc-provider" | "node-oauth2-server" => {
            let mut cmd = Command::new("node");
            cmd.arg(scripts.join(name).join("server.mjs"))
                .env("AUTHCONFORM_SERVER_DIR", dir);
            cmd
        }
        "authlib" | "django-oauth-toolkit" => {
            let mut cmd = Command::new(dir.join("venv/bin/python"));
            cmd.arg(scripts.join(name).join("server.py"))
                .env("PYTHONUNBUFFERED", "1")
                .env("PYTHONDONTWRITEBYTECODE", "1");
            cmd
        }
        _ => unreachable!("install() refused {name:?}"),
    };
    // Any free port; and the start-up requests a server sends itself go straight to loopback.
    cmd.env("PORT", "0").current_dir(std::env::temp_dir());
    loopback_only(&mut cmd);
    cmd
}

/// Installs (once) and starts the real server `name` (one of [`NAMES`]). None, after
/// printing why to stderr, when its runtime (node, python3) is missing (a panic instead when
/// AUTHCONFORM_REQUIRE_SERVERS is set); panics with the
/// script's output on any other failure: the install failed, or the server did not print its
/// line within 60 s.
pub fn start(name: &str) -> Option<RealServer> {
    let dir = installed(name)?;
    let mut child = command(name, dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start the real server {name}: {e}"));
    let (log, stderr_reader, ready_rx) = drain(&mut child);
    let mut server = RealServer {
        url: String::new(),
        target: String::new(),
        discover: true,
        undiscovered: Vec::new(),
        vars: Vec::new(),
        secrets: Vec::new(),
        name: name.to_owned(),
        child,
        stdin: None,
        log,
    };
    server.stdin = server.child.stdin.take();
    let line = server.wait_ready(&ready_rx, stderr_reader);
    server.take_ready(&line);
    Some(server)
}

/// The install dir of `name`; None, after printing why, when its runtime is missing.
fn installed(name: &str) -> Option<&'static PathBuf> {
    match install(name) {
        Ok(dir) => Some(dir),
        // CI sets AUTHCONFORM_REQUIRE_SERVERS (.ci/run installs the runtimes), so that a
        // machine without them cannot turn these tests into silent skips there.
        Err(why) if std::env::var_os("AUTHCONFORM_REQUIRE_SERVERS").is_some() => {
            panic!("the real server {name} is required (AUTHCONFORM_REQUIRE_SERVERS): {why}")
        }
        Err(why) => {
            crate::pytools::tell(&format!("skipping the real server {name}: {why}"));
            None
        }
    }
}

/// Reads the child's stderr and stdout on threads of their own: the log they fill, the stderr
/// reader (joined before a panic, so that the log is whole), and the first line of stdout.
///
/// Both pipes are drained for the server's whole life, so it never blocks on a full pipe.
fn drain(
    child: &mut Child,
) -> (
    Arc<Mutex<String>>,
    thread::JoinHandle<()>,
    mpsc::Receiver<String>,
) {
    let log = Arc::new(Mutex::new(String::new()));
    let stderr = child.stderr.take().expect("stderr is piped");
    let stderr_log = Arc::clone(&log);
    let stderr_reader = thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            let mut log = lock(&stderr_log);
            log.push_str(&line);
            log.push('\n');
        }
    });
    let stdout = child.stdout.take().expect("stdout is piped");
    let stdout_log = Arc::clone(&log);
    let (ready_tx, ready_rx) = mpsc::channel();
    thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        if let Some(Ok(line)) = lines.next() {
            let _ = ready_tx.send(line);
        }
        drop(ready_tx);
        for line in lines {
            let Ok(line) = line else { break };
            let mut log = lock(&stdout_log);
            log.push_str("stdout: ");
            log.push_str(&line);
            log.push('\n');
        }
    });
    (log, stderr_reader, ready_rx)
}

impl RealServer {
    /// The server's JSON line; panics with its log when it prints nothing in time or exits
    /// first.
    fn wait_ready(
        &mut self,
        ready_rx: &mpsc::Receiver<String>,
        stderr_reader: thread::JoinHandle<()>,
    ) -> String {
        let name = self.name.clone();
        match ready_rx.recv_timeout(READY_TIMEOUT) {
            Ok(line) => line,
            Err(RecvTimeoutError::Timeout) => {
                self.shut_down(Duration::ZERO);
                let _ = stderr_reader.join();
                panic!(
                    "the real server {name} printed nothing within {READY_TIMEOUT:?}\n{}",
                    self.log()
                );
            }
            Err(RecvTimeoutError::Disconnected) => {
                // Its stdout closed: it has exited, or is about to.
                let status = self.shut_down(Duration::from_secs(5));
                let _ = stderr_reader.join();
                let status = status.map_or("was killed".to_owned(), |s| format!("exited ({s})"));
                panic!(
                    "the real server {name} {status} before it was ready\n{}",
                    self.log()
                );
            }
        }
    }

    /// The URL, variables and secrets of the server's JSON line `line`.
    fn take_ready(&mut self, line: &str) {
        let name = self.name.clone();
        let ready: Value = serde_json::from_str(line).unwrap_or_else(|e| {
            panic!(
                "the real server {name} printed a line that is not JSON ({e}): {line}\n{}",
                self.log()
            )
        });
        let pairs = |key: &str| -> Vec<(String, String)> {
            let Some(Value::Object(members)) = ready.get(key) else {
                panic!("the real server {name} printed no {key:?} object: {line}");
            };
            members
                .iter()
                .map(|(name, value)| {
                    let value = value.as_str().unwrap_or_else(|| {
                        panic!("the real server's {key}.{name} is not a string: {line}")
                    });
                    (name.clone(), value.to_owned())
                })
                .collect()
        };
        self.vars = pairs("vars");
        self.secrets = pairs("secrets");
        self.url = ready["url"]
            .as_str()
            .unwrap_or_else(|| panic!("the real server {name} printed no \"url\": {line}"))
            .to_owned();
        // Optional: a server mounted under a path names its issuer; one without a discovery
        // document says so; one whose document leaves endpoints out names them.
        self.target = ready
            .get("target")
            .map_or(Some(self.url.as_str()), Value::as_str)
            .unwrap_or_else(|| panic!("the real server {name}'s \"target\" is no string: {line}"))
            .to_owned();
        self.discover = ready
            .get("discover")
            .map_or(Some(true), Value::as_bool)
            .unwrap_or_else(|| panic!("the real server {name}'s \"discover\" is no bool: {line}"));
        self.undiscovered = ready
            .get("undiscovered")
            .and_then(Value::as_array)
            .map(|names| {
                names
                    .iter()
                    .map(|n| n.as_str().expect("a variable name").to_owned())
                    .collect()
            })
            .unwrap_or_default();
    }
}

/// GET `path` on the loopback server at `url`, over a plain TcpStream (HTTP/1.0: no chunks, the
/// server closes). The status and the body.
fn get(url: &url::Url, path: &str) -> (u16, Vec<u8>) {
    let host = url.host_str().expect("the server URL has a host");
    let port = url
        .port_or_known_default()
        .expect("the server URL has a port");
    let mut stream = TcpStream::connect((host, port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.0\r\nHost: {host}:{port}\r\nAccept: application/json\r\n\r\n"
    )
    .unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no end of headers: {}", String::from_utf8_lossy(&response)));
    let head = String::from_utf8_lossy(&response[..split]).into_owned();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {head:?}"));
    (status, response[split + 4..].to_vec())
}

/// The variables every real server sets: the endpoints and clients of the rfc profile that
/// every one of them has.
const COMMON: &[&str] = &[
    "token_endpoint",
    "authorization_endpoint",
    "userinfo_endpoint",
    "client_id",
    "client_secret",
    "redirect_uri",
    "restricted_client_id",
    "restricted_client_secret",
    "cc_refused_client_id",
    "cc_refused_client_secret",
    "insufficient_scope_token",
];

/// The revocation endpoint and the device flow's client and codes.
const REVOCATION_AND_DEVICE: &[&str] = &[
    "revocation_endpoint",
    "device_client_id",
    "pending_device_code",
    "expired_device_code",
    "denied_device_code",
];

/// What each server sets beyond COMMON; what it leaves out is explained in its script.
/// oidc-provider never answers slow_down and has no plain `token` response type, and names for
/// the auth0 profile a second expired device code, a public code client and its PAR and CIBA
/// clients; Authlib revokes every token it finds, and names a second expired device code and a
/// public code client; django-oauth-toolkit does both and never answers slow_down,
/// and names for the auth0 profile the device authorization endpoint its document leaves out
/// and a second expired device code;
/// @node-oauth/oauth2-server has no revocation endpoint, device flow or implicit grant.
const EXTRA: &[(&str, &[&str])] = &[
    (
        "oidc-provider",
        &[
            "unrevocable_token",
            "twice_expired_device_code",
            "public_client_id",
            "par_client_id",
            "par_client_secret",
            "ciba_client_id",
            "ciba_client_secret",
            "ciba_user_id",
        ],
    ),
    (
        "authlib",
        &[
            "slow_down_device_code",
            "implicit_client_id",
            "twice_expired_device_code",
            "public_client_id",
        ],
    ),
    (
        "django-oauth-toolkit",
        &[
            "implicit_client_id",
            "device_authorization_endpoint",
            "twice_expired_device_code",
        ],
    ),
    ("node-oauth2-server", &[]),
];

#[test]
fn each_real_server_starts_and_serves_discovery() {
    for (name, extra) in EXTRA {
        let started = Instant::now();
        let Some(mut server) = start(name) else {
            continue;
        };
        eprintln!("{name}: ready at {} in {:?}", server.url, started.elapsed());
        let log = server.log();
        let origin = url::Url::parse(&server.url).unwrap();
        assert_eq!(origin.host_str(), Some("127.0.0.1"), "{name}");
        assert_eq!(
            origin.as_str().trim_end_matches('/'),
            server.url,
            "{name}: the url is an origin"
        );

        let mut got: Vec<&str> = server
            .vars
            .iter()
            .chain(&server.secrets)
            .map(|(key, _)| key.as_str())
            .collect();
        let mut want: Vec<&str> = COMMON.iter().chain(*extra).copied().collect();
        if *name != "node-oauth2-server" {
            want.extend(REVOCATION_AND_DEVICE);
        }
        want.sort_unstable();
        got.sort_unstable();
        assert_eq!(got, want, "{name}: the variables it sets\n{log}");
        for secret in [
            "client_secret",
            "restricted_client_secret",
            "cc_refused_client_secret",
        ] {
            assert!(
                server.var(secret).is_none() && server.secret(secret).is_some(),
                "{name}: {secret} is a secret"
            );
        }
        assert_eq!(
            server.var("redirect_uri"),
            Some("https://app.authconform.test/callback")
        );
        for (var, value) in &server.vars {
            if var.ends_with("_endpoint") {
                same_origin(name, &origin, var, value);
            }
        }
        if server.discover {
            check_discovery(&server, &origin);
        } else {
            assert!(
                get(&origin, "/.well-known/openid-configuration").0 == 404
                    && get(&origin, "/.well-known/oauth-authorization-server").0 == 404,
                "{name} says it has no discovery document\n{log}"
            );
        }

        // Closing stdin is enough to stop it: a test that dies leaves no server behind.
        let status = server.shut_down(Duration::from_secs(10));
        assert!(
            status.is_some_and(|s| s.success()),
            "{name}: did not exit 0 on stdin's EOF ({status:?})\n{}",
            server.log()
        );
    }
}

/// `value` (the variable or discovery member `what` of server `name`) is on `origin`.
fn same_origin(name: &str, origin: &url::Url, what: &str, value: &str) {
    let parsed = origin
        .join(value)
        .unwrap_or_else(|e| panic!("{name}: {what} {value:?}: {e}"));
    assert_eq!(
        parsed.origin(),
        origin.origin(),
        "{name}: {what} {value:?} is not on {origin}"
    );
}

/// The server's discovery document, under its target, names its issuer (the target) and the
/// endpoints it printed, except those it says the document leaves out.
fn check_discovery(server: &RealServer, origin: &url::Url) {
    let name = &server.name;
    let log = server.log();
    let prefix = url::Url::parse(&server.target).unwrap();
    let prefix = prefix.path().trim_end_matches('/');
    let (status, body) = match get(
        origin,
        &format!("{prefix}/.well-known/openid-configuration"),
    ) {
        (404, _) => get(origin, "/.well-known/oauth-authorization-server"),
        answer => answer,
    };
    assert_eq!(
        status,
        200,
        "{name}: discovery: {}\n{log}",
        String::from_utf8_lossy(&body)
    );
    let doc: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(doc["issuer"], server.target.as_str(), "{name}: {doc:#}");
    let Value::Object(members) = &doc else {
        panic!("{name}: discovery is not an object: {doc:#}");
    };
    for (member, value) in members {
        if member.ends_with("_endpoint") {
            let what = format!("discovery's {member}");
            same_origin(name, origin, &what, value.as_str().unwrap());
        }
    }
    for (var, value) in &server.vars {
        if !var.ends_with("_endpoint") {
            continue;
        }
        let listed = doc.get(var.as_str());
        if server.undiscovered.contains(var) {
            assert_eq!(listed, None, "{name}: {var} is said to be undiscovered");
        } else {
            assert_eq!(
                listed,
                Some(&Value::String(value.clone())),
                "{name}: {var} is where discovery says"
            );
        }
    }
}
