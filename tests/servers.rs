//! Real, third-party OAuth 2.0 servers on 127.0.0.1: node's `oidc-provider` and Python's Authlib.
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
    /// `http://127.0.0.1:PORT`, the issuer and origin of every endpoint.
    pub url: String,
    /// The rfc profile's plain variables, in the order the server printed them.
    pub vars: Vec<(String, String)>,
    /// Client secrets and tokens.
    pub secrets: Vec<(String, String)>,
    name: String,
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

/// The install dir of `name`, or Err(why) when its runtime is missing (setup.sh's exit code 3).
fn install(name: &str) -> &'static Result<PathBuf, String> {
    assert!(
        matches!(name, "oidc-provider" | "authlib"),
        "no real server {name:?}: oidc-provider or authlib"
    );
    install_once("tests/servers/setup.sh", Some(name))
}

/// The command that starts `name` from its install dir.
fn command(name: &str, dir: &Path) -> Command {
    let scripts = repo_dir().join("tests/servers");
    let mut cmd = match name {
        "oidc-provider" => {
            let mut cmd = Command::new("node");
            cmd.arg(scripts.join("oidc-provider/server.mjs"))
                .env("AUTHCONFORM_SERVER_DIR", dir);
            cmd
        }
        "authlib" => {
            let mut cmd = Command::new(dir.join("venv/bin/python"));
            cmd.arg(scripts.join("authlib/server.py"))
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

/// Installs (once) and starts the real server `name` (`oidc-provider` or `authlib`). None, after
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
            eprintln!("skipping the real server {name}: {why}");
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

/// The variables every real server sets: the endpoints and clients of the rfc profile, and the
/// device codes and tokens that any server can be brought to.
const COMMON: &[&str] = &[
    "token_endpoint",
    "authorization_endpoint",
    "revocation_endpoint",
    "userinfo_endpoint",
    "client_id",
    "client_secret",
    "redirect_uri",
    "restricted_client_id",
    "restricted_client_secret",
    "device_client_id",
    "pending_device_code",
    "expired_device_code",
    "denied_device_code",
    "insufficient_scope_token",
];

#[test]
fn each_real_server_starts_and_serves_discovery() {
    // What each server adds to COMMON; what it leaves out is explained in its script.
    // oidc-provider never answers slow_down and has no plain `token` response type; Authlib
    // revokes every token it finds.
    for (name, extra) in [
        ("oidc-provider", &["unrevocable_token"][..]),
        (
            "authlib",
            &["slow_down_device_code", "implicit_client_id"][..],
        ),
    ] {
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

        let names: Vec<&str> = server
            .vars
            .iter()
            .chain(&server.secrets)
            .map(|(key, _)| key.as_str())
            .collect();
        let mut want: Vec<&str> = COMMON.iter().chain(extra).copied().collect();
        let mut got = names.clone();
        want.sort_unstable();
        got.sort_unstable();
        assert_eq!(got, want, "{name}: the variables it sets\n{log}");
        for secret in ["client_secret", "restricted_client_secret"] {
            assert!(
                server.var(secret).is_none() && server.secret(secret).is_some(),
                "{name}: {secret} is a secret"
            );
        }
        assert_eq!(
            server.var("redirect_uri"),
            Some("https://app.authconform.test/callback")
        );

        let (status, body) = match get(&origin, "/.well-known/openid-configuration") {
            (404, _) => get(&origin, "/.well-known/oauth-authorization-server"),
            answer => answer,
        };
        assert_eq!(
            status,
            200,
            "{name}: discovery: {}\n{log}",
            String::from_utf8_lossy(&body)
        );
        let doc: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(doc["issuer"], server.url.as_str(), "{name}: {doc:#}");

        let same_origin = |what: &str, value: &str| {
            let parsed = origin
                .join(value)
                .unwrap_or_else(|e| panic!("{name}: {what} {value:?}: {e}"));
            assert_eq!(
                parsed.origin(),
                origin.origin(),
                "{name}: {what} {value:?} is not on {}",
                server.url
            );
        };
        let Value::Object(members) = &doc else {
            panic!("{name}: discovery is not an object: {doc:#}");
        };
        for (member, value) in members {
            if member.ends_with("_endpoint") {
                same_origin(&format!("discovery's {member}"), value.as_str().unwrap());
            }
        }
        for (var, value) in &server.vars {
            if var.ends_with("_endpoint") {
                same_origin(var, value);
                assert_eq!(
                    doc[var.as_str()],
                    value.as_str(),
                    "{name}: {var} is where discovery says"
                );
            }
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
