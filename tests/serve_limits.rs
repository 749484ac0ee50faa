//! The reference server under hostile clients: a body past the cap and an over-long /authorize
//! parameter are refused with a clear answer; silent, half-sent and idle connections, and one
//! that never reads its answers, are closed by the server; at the connection cap `serve` says
//! so once and the connection idle longest makes room for a new client (one being answered
//! never does). The caps on the rate-limit and code tables are unit tests beside them
//! (src/reference/limits.rs, endpoints.rs). Each test would fail against a server without the
//! bound: it would accept the body or keep the parameter, leave the connection open (the read
//! or write gives up on its watchdog instead of seeing the close), or print nothing.

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::TcpStream,
    process::{Child, Command, Stdio},
    time::Duration,
};

use authconform::{
    base::source::Profile,
    reference::{self, Bounds, Config, MAX_BODY},
};

use crate::util::*;

/// How long a read waits before the test calls the connection still open: a watchdog, far
/// longer than any timeout under test, not a measure.
const WATCHDOG: Duration = Duration::from_secs(30);

/// `method url` with `body` as a form: status and body.
fn send(method: &str, url: &str, body: Option<String>) -> (u16, String) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let client = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let mut request = client.request(method.parse().unwrap(), url);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body);
        }
        let r = request.send().await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    })
}

/// A change_password form for `email`.
fn change_password(email: &str) -> String {
    format!(
        "client_id={}&connection={}&email={email}",
        reference::PUBLIC_CLIENT_ID,
        reference::DB_CONNECTION
    )
}

#[test]
fn a_body_past_the_cap_is_refused_413_and_one_at_the_cap_is_read() {
    let too_large = serde_json::json!({
        "error": "invalid_request",
        "error_description": format!("The request body is larger than {MAX_BODY} bytes, the most this server reads."),
    });
    let server = server(None);
    let url = format!("{}/dbconnections/change_password", server.url);
    // The attacker's request: a 1 MB email address.
    let email = format!("{}@example.com", "a".repeat(1_000_000));
    let (status, body) = send("POST", &url, Some(change_password(&email)));
    assert_eq!(status, 413, "{body}");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&body).unwrap(),
        too_large
    );
    // A body of exactly the cap is read and answered as before.
    let form = change_password("@example.com");
    let padded = change_password(&format!(
        "{}@example.com",
        "b".repeat(MAX_BODY - form.len())
    ));
    assert_eq!(padded.len(), MAX_BODY);
    assert_eq!(send("POST", &url, Some(padded)).0, 200);
    // The rfc profile's server reads bodies through the same bound.
    let rfc = server_with(Config {
        profile: Profile::Rfc,
        ..Config::default()
    });
    let (status, body) = send(
        "POST",
        &format!("{}/token", rfc.url),
        Some(format!("grant_type={}", "x".repeat(2 * MAX_BODY))),
    );
    assert_eq!(status, 413, "{body}");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&body).unwrap(),
        too_large
    );
}

#[test]
fn an_over_long_authorize_parameter_is_refused_not_kept_with_a_code() {
    let server = server(None);
    let authorize = |name: &str, value: &str| {
        send(
            "GET",
            &format!(
                "{}/authorize?client_id={}&redirect_uri={}&response_type=code&{name}={value}",
                server.url,
                reference::PUBLIC_CLIENT_ID,
                url::form_urlencoded::byte_serialize(reference::REDIRECT_URI.as_bytes())
                    .collect::<String>()
            ),
            None,
        )
    };
    // The attacker's request: a 30 KB scope, which a code used to keep for ten minutes.
    for name in ["scope", "nonce", "code_challenge"] {
        let (status, body) = authorize(name, &"s".repeat(30_000));
        assert_eq!(status, 400, "{name}");
        assert_eq!(
            body,
            format!(
                "<!DOCTYPE html><html><body><p><strong>invalid_request</strong>: The {name} parameter is longer than 2048 bytes.</p></body></html>"
            )
        );
    }
    // At the bound, a code is issued as before.
    let (status, body) = authorize("scope", &"s".repeat(2048));
    assert_eq!(status, 302, "{body}");
}

/// Reads until the server closes the connection, or fails when the watchdog fires first.
fn until_closed(stream: &mut TcpStream, what: &str) -> String {
    stream.set_read_timeout(Some(WATCHDOG)).unwrap();
    let mut got = Vec::new();
    if let Err(e) = stream.read_to_end(&mut got) {
        panic!(
            "{what}: the server left the connection open ({e}); read so far: {:?}",
            String::from_utf8_lossy(&got)
        );
    }
    String::from_utf8(got).unwrap()
}

/// The status line and the body of one HTTP/1.1 response.
fn status_and_body(response: &str) -> (&str, &str) {
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((response, ""));
    (head.lines().next().unwrap_or_default(), body)
}

#[test]
fn silent_half_sent_and_idle_connections_are_closed_by_the_server() {
    let bounds = Bounds {
        read_timeout: Duration::from_millis(300),
        ..Bounds::default()
    };
    let server = server_with(Config {
        bounds,
        ..Config::default()
    });
    let addr = server.url.trim_start_matches("http://").to_owned();
    let connect = || TcpStream::connect(&addr).unwrap();

    let mut silent = connect();
    assert_eq!(until_closed(&mut silent, "silent"), "");

    let mut half_head = connect();
    half_head
        .write_all(b"POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Le")
        .unwrap();
    assert_eq!(until_closed(&mut half_head, "half a request head"), "");

    let mut half_body = connect();
    half_body
        .write_all(
            b"POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\ngrant_type=",
        )
        .unwrap();
    let answer = until_closed(&mut half_body, "half a request body");
    assert_eq!(
        status_and_body(&answer),
        (
            "HTTP/1.1 408 Request Timeout",
            r#"{"error":"invalid_request","error_description":"The request body did not arrive within 300 ms."}"#
        )
    );

    // Answered, then kept alive with nothing more to say.
    let mut idle = connect();
    idle.write_all(b"GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let answer = until_closed(&mut idle, "idle after an answer");
    assert_eq!(answer.matches("HTTP/1.1 ").count(), 1, "{answer}");
    assert_eq!(
        status_and_body(&answer),
        (
            "HTTP/1.1 404 Not Found",
            r#"{"error":"not_found","error_description":"Not Found"}"#
        )
    );

    // Over TLS, a client that never starts its handshake.
    let tls = server_with(Config {
        bounds,
        tls: true,
        ..Config::default()
    });
    let mut silent = TcpStream::connect(tls.url.trim_start_matches("https://")).unwrap();
    assert_eq!(until_closed(&mut silent, "silent, TLS"), "");
}

/// `authconform serve` with `args`, its standard error in a file; killed when dropped.
struct Serve {
    child: Child,
    addr: String,
    stderr: tempfile::NamedTempFile,
}

impl Serve {
    fn start(args: &[&str]) -> Serve {
        let stderr = tempfile::NamedTempFile::new().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_authconform"))
            .args(["serve", "--port", "0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr.reopen().unwrap())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        let addr = first
            .split_once("listening on http://")
            .map(|(_, a)| a.trim().to_owned())
            .unwrap_or_else(|| panic!("no address in {first:?}"));
        Serve {
            child,
            addr,
            stderr,
        }
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(self.stderr.path()).unwrap()
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A request that `stream` sends and the answer it reads to the close.
fn ask(mut stream: TcpStream, what: &'static str) -> std::thread::JoinHandle<String> {
    stream
        .write_all(b"GET /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    std::thread::spawn(move || until_closed(&mut stream, what))
}

const NOT_FOUND: (&str, &str) = (
    "HTTP/1.1 404 Not Found",
    r#"{"error":"not_found","error_description":"Not Found"}"#,
);

#[test]
fn at_the_connection_cap_serve_says_so_once_and_idle_connections_make_room() {
    let line = "authconform: the reference server has 4 connections open, its limit (serve --max-connections): a new one takes the place of the one idle longest, or waits until one closes (said at most once a minute)\n";
    // A read timeout far longer than the test: only the cap and the shedding are at work.
    let serve = Serve::start(&["--max-connections", "4", "--read-timeout", "600000"]);
    let mut held: Vec<TcpStream> = (0..4)
        .map(|_| TcpStream::connect(&serve.addr).unwrap())
        .collect();
    // Three more clients, while the four silent ones are still open on this side.
    let waiting: Vec<_> = (0..3)
        .map(|_| ask(TcpStream::connect(&serve.addr).unwrap(), "a waiting client"))
        .collect();
    for client in waiting {
        assert_eq!(status_and_body(&client.join().unwrap()), NOT_FOUND);
    }
    // The first silent connection, idle longest, made room: the server closed it.
    assert_eq!(
        until_closed(&mut held[0], "the connection idle longest"),
        ""
    );
    drop(held);
    let late = ask(TcpStream::connect(&serve.addr).unwrap(), "a later client");
    assert_eq!(status_and_body(&late.join().unwrap()), NOT_FOUND);
    assert_eq!(serve.stderr(), line, "one line, however many waited");
}

/// A connection that is being answered is never the one closed to make room: the client that
/// comes to a full server waits for the answer to be sent.
#[test]
fn a_connection_being_answered_is_not_closed_to_make_room() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let server = runtime
        .block_on(reference::spawn(Config {
            // Longer than a connection must be idle before it can make room.
            latency: Duration::from_millis(2500),
            bounds: Bounds {
                max_connections: 1,
                ..Bounds::default()
            },
            ..Config::default()
        }))
        .unwrap();
    let addr = server.url().trim_start_matches("http://").to_owned();
    let busy = ask(
        TcpStream::connect(&addr).unwrap(),
        "the connection being answered",
    );
    // Sent once the first is surely being answered: it has been read when the server has
    // counted it.
    while server.traffic().requests() == 0 {
        std::thread::sleep(Duration::from_millis(10));
    }
    let next = ask(TcpStream::connect(&addr).unwrap(), "the next client");
    assert_eq!(status_and_body(&busy.join().unwrap()), NOT_FOUND);
    assert_eq!(status_and_body(&next.join().unwrap()), NOT_FOUND);
}

/// A client that sends requests and never reads the answers: once the socket's buffers are
/// full the server's writes stall, and it closes the connection rather than hold its slot.
#[test]
fn a_client_that_never_reads_its_answers_is_closed() {
    use socket2::{Domain, Socket, Type};
    let server = server_with(Config {
        bounds: Bounds {
            read_timeout: Duration::from_millis(300),
            ..Bounds::default()
        },
        ..Config::default()
    });
    let addr: std::net::SocketAddr = server.url.trim_start_matches("http://").parse().unwrap();
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    // Small buffers on this side fill sooner.
    socket.set_recv_buffer_size(4096).unwrap();
    socket.connect(&addr.into()).unwrap();
    let mut stream: TcpStream = socket.into();
    stream.set_write_timeout(Some(WATCHDOG)).unwrap();
    let requests = b"GET /.well-known/openid-configuration HTTP/1.1\r\nHost: x\r\n\r\n".repeat(64);
    let mut sent = 0usize;
    let refused = loop {
        match stream.write_all(&requests) {
            Ok(()) => sent += requests.len(),
            Err(e) => break e,
        }
        assert!(
            sent < 1 << 30,
            "1 GiB of requests and the server still reads"
        );
    };
    assert!(
        matches!(
            refused.kind(),
            std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset
        ),
        "the server held the connection ({refused}) after {sent} bytes of requests"
    );
}
