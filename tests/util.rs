//! Helpers shared by the integration tests: reference servers on 127.0.0.1:0 (with or without a
//! fault), a closed port, and the binary with a clean environment.

use std::net::TcpListener;

use assert_cmd::Command;
use authconform::reference::{self, Config, Fault, Running};

/// A reference server running on its own runtime for as long as this value lives.
pub struct Server {
    pub url: String,
    // Dropped in this order: the server first, then the runtime it runs on.
    running: Option<Running>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Drop for Server {
    fn drop(&mut self) {
        drop(self.running.take());
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

pub fn server(fault: Option<Fault>) -> Server {
    server_with(Config {
        fault,
        ..Config::default()
    })
}

/// A reference server with the given configuration.
pub fn server_with(config: Config) -> Server {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let running = runtime.block_on(reference::spawn(config)).unwrap();
    Server {
        url: running.url(),
        running: Some(running),
        runtime: Some(runtime),
    }
}

/// A loopback port with nothing listening.
pub fn closed_port_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

/// `--var`/`--secret` flags for the reference server's variables.
pub fn var_flags() -> Vec<String> {
    var_flags_of(authconform::base::source::Profile::Auth0)
}

/// `--var`/`--secret` flags for the variables of the reference server of `profile`.
pub fn var_flags_of(profile: authconform::base::source::Profile) -> Vec<String> {
    let mut flags = Vec::new();
    for (name, value, secret) in reference::variables_of(profile) {
        flags.push(if secret {
            "--secret".into()
        } else {
            "--var".into()
        });
        flags.push(format!("{name}={value}"));
    }
    flags
}

/// The binary, with no AUTHCONFORM_* or colour settings inherited from the caller.
pub fn authconform() -> Command {
    let mut cmd = Command::cargo_bin("authconform").unwrap();
    for (key, _) in std::env::vars() {
        if key.starts_with("AUTHCONFORM_") || key == "NO_COLOR" || key.starts_with("CLICOLOR") {
            cmd.env_remove(key);
        }
    }
    cmd.env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .env_remove("ALL_PROXY")
        .env_remove("all_proxy");
    cmd
}

/// `run --target URL` with the reference variables, no colour and no rate limit (tests of
/// `--rate` set their own).
pub fn run_against(url: &str) -> Command {
    let mut cmd = authconform();
    cmd.args(["run", "--color", "never", "--rate", "0", "--target", url])
        .args(var_flags());
    cmd
}

/// [`run_against`] for another profile: `run --profile NAME` with its reference variables.
pub fn run_profile(url: &str, profile: authconform::base::source::Profile) -> Command {
    let mut cmd = authconform();
    cmd.args(["run", "--color", "never", "--rate", "0", "--profile"])
        .arg(profile.name())
        .args(["--target", url])
        .args(var_flags_of(profile));
    cmd
}

/// Output as text.
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn output(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap();
    Output {
        code: out.status.code().expect("exited, not killed"),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// The verdict lines libtest-mimic prints: (case id, "ok" | "FAILED" | "ignored …").
pub fn verdicts(stdout: &str) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("test "))
        .filter_map(|l| l.split_once(" ... "))
        .map(|(name, outcome)| (name.trim().to_owned(), outcome.trim().to_owned()))
        .collect();
    found.sort();
    found
}

/// The case ids of the verdict lines, in the order printed.
pub fn verdict_order(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter_map(|l| l.strip_prefix("test "))
        .filter_map(|l| l.split_once(" ... "))
        .map(|(id, _)| id.trim().to_owned())
        .collect()
}

/// `run` of the cases in `cases` against `url`, no colour, with `extra` flags. A watchdog makes
/// a hang fail the test instead of stalling it, and no run may panic.
pub fn run_cases(url: &str, cases: &std::path::Path, extra: &[&str]) -> Output {
    let mut cmd = authconform();
    cmd.args(["run", "--color", "never", "--target", url, "--cases"])
        .arg(cases)
        .args(extra)
        .timeout(std::time::Duration::from_secs(60));
    let out = output(&mut cmd);
    assert!(
        !out.stdout.contains("panicked") && !out.stderr.contains("panicked"),
        "{}{}",
        out.stdout,
        out.stderr
    );
    out
}

/// A cases folder with one case, `h/c`: POST /x with a form, documenting 400 invalid_request.
pub fn one_case() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("h")).unwrap();
    std::fs::write(
        dir.path().join("h/c.json"),
        r#"{"title": "t", "documents": {"status": 400, "error": "invalid_request"},
            "request": {"method": "POST", "path": "/x", "form": {"a": "b"}}}"#,
    )
    .unwrap();
    dir
}

/// The ids of the built-in cases.
pub fn builtin_ids() -> Vec<String> {
    builtin_ids_of(authconform::base::source::Profile::Auth0)
}

/// The ids of the built-in cases of `profile`.
pub fn builtin_ids_of(profile: authconform::base::source::Profile) -> Vec<String> {
    let out = output(authconform().args([
        "run",
        "--list",
        "--color",
        "never",
        "--profile",
        profile.name(),
    ]));
    let mut ids: Vec<String> = out
        .stdout
        .lines()
        .filter_map(|l| l.strip_suffix(": test"))
        .map(str::to_owned)
        .collect();
    ids.sort();
    ids
}

/// The failure section of one case in libtest-mimic's output.
pub fn failure_of<'a>(stdout: &'a str, id: &str) -> &'a str {
    let marker = format!("---- {id} ----\n");
    let start = stdout
        .find(&marker)
        .unwrap_or_else(|| panic!("no failure detail for {id} in\n{stdout}"))
        + marker.len();
    let rest = &stdout[start..];
    let end = rest
        .find("\n---- ")
        .or_else(|| rest.find("\nfailures:"))
        .unwrap_or(rest.len());
    &rest[..end]
}

/// One request as a raw server read it.
#[derive(Debug, Clone, Default)]
pub struct RawRequest {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A loopback server that hands every request to `respond`, which writes whatever bytes it
/// likes (or stalls, or resets). Connections are served on their own threads; `hits` counts
/// requests.
pub struct RawServer {
    pub url: String,
    pub hits: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

pub fn raw_server(
    respond: impl Fn(&RawRequest, &mut std::net::TcpStream) + Send + Sync + 'static,
) -> RawServer {
    use std::sync::{Arc, atomic::AtomicUsize, atomic::Ordering};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let hits = Arc::new(AtomicUsize::new(0));
    let respond = Arc::new(respond);
    let counter = hits.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let (respond, counter) = (respond.clone(), counter.clone());
            std::thread::spawn(move || {
                while let Some(request) = read_request(&mut stream) {
                    counter.fetch_add(1, Ordering::SeqCst);
                    respond(&request, &mut stream);
                    let keep_alive = request
                        .header("connection")
                        .is_none_or(|c| !c.eq_ignore_ascii_case("close"));
                    if !keep_alive {
                        break;
                    }
                }
            });
        }
    });
    RawServer { url, hits }
}

/// [`raw_server`] whose `respond` is also given the server's own URL, for answers that name
/// it (a discovery document, a redirect).
pub fn raw_server_at(
    respond: impl Fn(&str, &RawRequest, &mut std::net::TcpStream) + Send + Sync + 'static,
) -> RawServer {
    let me = std::sync::Arc::new(std::sync::OnceLock::<String>::new());
    let seen = me.clone();
    let server = raw_server(move |req, s| respond(seen.get().map_or("", String::as_str), req, s));
    let _ = me.set(server.url.clone());
    server
}

fn read_request(stream: &mut std::net::TcpStream) -> Option<RawRequest> {
    use std::io::Read;
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte).ok()? == 0 {
            return None;
        }
        buf.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&buf).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let (method, target) = (first.next()?.to_owned(), first.next()?.to_owned());
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).ok()?;
    Some(RawRequest {
        method,
        target,
        headers,
        body,
    })
}

/// Writes a complete HTTP/1.1 response.
pub fn write_response(
    stream: &mut std::net::TcpStream,
    status: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) {
    use std::io::Write;
    let mut head = format!("HTTP/1.1 {status}\r\ncontent-length: {}\r\n", body.len());
    for (n, v) in headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body);
    let _ = stream.flush();
}

/// An HTTPS server on 127.0.0.1 whose certificate (for `localhost` and `127.0.0.1`) is signed by
/// a CA made for it; every request gets a documented 400 invalid_request.
pub struct TlsServer {
    pub url: String,
    pub ca_pem: String,
    _runtime: tokio::runtime::Runtime,
}

pub fn tls_server() -> TlsServer {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio_rustls::rustls::{self, pki_types::PrivateKeyDer};

    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "authconform test CA");
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&leaf_key, &issuer)
        .unwrap();

    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into()),
        )
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!("https://{}", listener.local_addr().unwrap());
    runtime.spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else { continue };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else { return };
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let body = br#"{"error":"invalid_request","error_description":"x"}"#;
                let head = format!("HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n", body.len());
                let _ = tls.write_all(head.as_bytes()).await;
                let _ = tls.write_all(body).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    TlsServer {
        url,
        ca_pem: ca_cert.pem(),
        _runtime: runtime,
    }
}

/// The JSON report at `path`, validated against schemas/report.schema.json: every test that
/// reads a report also proves it keeps its published shape.
pub fn read_report(path: &std::path::Path) -> serde_json::Value {
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut problems = Vec::new();
    let schemas = authconform::base::schema::Schemas::load(
        &authconform::base::source::Source::BuiltIn(authconform::base::source::BuiltIn::Schemas),
        &mut problems,
    );
    let validator = schemas.get("report.schema.json").unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "the report breaks its schema: {errors:#?}"
    );
    report
}

/// The record of case `id` in a JSON report.
pub fn case_of<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no case {id} in the report"))
}

/// `authconform serve ARGS` as a child process, once it has said where it listens (and
/// written its files): the child (kill it when done) and the URL.
pub fn serve_child(args: &[&str]) -> (std::process::Child, String) {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let mut child = Command::new(assert_cmd::cargo::cargo_bin!("authconform"))
        .arg("serve")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut url = None;
    let mut line = String::new();
    while out.read_line(&mut line).unwrap_or(0) > 0 && !line.starts_with("try:") {
        if let Some(at) = line.find("listening on ") {
            url = Some(line[at + "listening on ".len()..].trim().to_owned());
        }
        line.clear();
    }
    (child, url.expect("serve said where it listens"))
}

/// Every file under `dir`, but not inside `target`, `.git` or `node_modules`.
pub fn files_below(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if name == "target" || name == ".git" || name == "node_modules" {
            continue;
        }
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            found.extend(files_below(&path));
        } else {
            found.push(path);
        }
    }
    found
}

/// The built-in catalogue of `profile`, loaded as a run loads it.
pub fn builtin_catalogue(
    profile: authconform::base::source::Profile,
) -> authconform::catalogue::case::Catalogue {
    use authconform::base::source::{BuiltIn, Source};
    authconform::catalogue::case::Catalogue::load(
        profile,
        &Source::BuiltIn(BuiltIn::Cases(profile)),
        &Source::BuiltIn(BuiltIn::Schemas),
    )
    .expect("the built-in catalogue loads")
}
