//! Sending: one shared HTTP client that never follows redirects, with a total timeout per
//! request and a bounded body read, so that no server can make a run hang or eat memory.

use std::time::Duration;

use crate::{
    base::response::{MAX_BODY, Response},
    http::plan::Prepared,
};

/// What kind of failure a connection error is, told by the error types in its chain (an
/// `io::Error`'s kind, a `rustls::Error` inside one), not by the words of its message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failure {
    /// The handshake failed: nothing was sent, and trying again will not help.
    Tls,
    /// Nothing listens there: trying again later is safe.
    Refused,
    Other,
}

fn classify(e: &(dyn std::error::Error + 'static)) -> Failure {
    let mut found = Failure::Other;
    let mut cause = Some(e);
    while let Some(c) = cause {
        if c.is::<rustls::Error>() {
            return Failure::Tls;
        }
        let io = c.downcast_ref::<std::io::Error>();
        if io.is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused) {
            found = Failure::Refused;
        }
        // An io::Error hides the error it wraps from `source()`: the walk goes inside.
        cause = match io.and_then(std::io::Error::get_ref) {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => c.source(),
        };
    }
    found
}

/// Why a request got no response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendError {
    /// What happened, in words.
    pub message: String,
    /// The connection could not be made (not a TLS failure): nothing reached the server, so
    /// trying again is safe.
    pub refused: bool,
}

/// How HTTPS targets are verified.
#[derive(Debug, Clone, Default)]
pub struct Tls {
    /// Extra trusted roots: the file's name and its PEM contents.
    pub cacert: Option<(String, Vec<u8>)>,
    /// Accept any certificate and host name.
    pub insecure: bool,
}

/// The shared client.
#[derive(Clone)]
pub struct Sender {
    client: reqwest::Client,
    timeout: Duration,
}

impl Sender {
    /// The client of a run. `no_proxy` bypasses proxy environment variables, which must never
    /// capture traffic meant for a server on this machine; `needs_tls` is false when nothing it
    /// sends can be https:// (an http:// target, no other origin allowed).
    pub fn new(
        timeout: Duration,
        no_proxy: bool,
        tls: &Tls,
        needs_tls: bool,
    ) -> Result<Sender, String> {
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout)
            .user_agent(concat!("authconform/", env!("CARGO_PKG_VERSION")));
        if no_proxy {
            builder = builder.no_proxy();
        }
        if let Some((path, pem)) = &tls.cacert {
            let certs = reqwest::Certificate::from_pem_bundle(pem)
                .map_err(|e| format!("--cacert {path}: not PEM certificates: {e}"))?;
            if certs.is_empty() {
                return Err(format!("--cacert {path}: no PEM certificate in the file"));
            }
            builder = builder.tls_certs_merge(certs);
        }
        if tls.insecure {
            builder = builder
                .tls_danger_accept_invalid_certs(true)
                .tls_danger_accept_invalid_hostnames(true);
        }
        if !needs_tls {
            // A run that only speaks http:// has no use for the system's root certificates,
            // and loading them is most of a small run's start-up.
            builder = builder.tls_certs_only(std::iter::empty());
        }
        let builder = builder;
        let client = builder
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Sender { client, timeout })
    }

    /// Sends `request` and reads at most [`MAX_BODY`] bytes of the answer. The error says what
    /// went wrong in words (refused, timed out, TLS, reset), never only "error sending request".
    pub async fn send(&self, request: &Prepared) -> Result<Response, SendError> {
        let mut builder = self
            .client
            .request(request.method.clone(), request.url.clone());
        if let Some((user, password)) = &request.basic_auth {
            builder = builder.basic_auth(user, Some(password));
        }
        if let Some(body) = &request.body {
            if let Some(content_type) = body
                .content_type()
                .filter(|_| !request.headers.iter().any(|(n, _)| n == "content-type"))
            {
                builder = builder.header(reqwest::header::CONTENT_TYPE, content_type);
            }
            builder = builder.body(body.bytes());
        }
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        if let Some(dpop) = &request.dpop {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            let proof = super::dpop::proof(
                request.method.as_str(),
                &request.url,
                dpop.nonce.as_deref(),
                now,
            )
            .map_err(|message| SendError {
                message,
                refused: false,
            })?;
            builder = builder.header("dpop", proof);
        }
        let mut response = builder
            .send()
            .await
            .map_err(|e| self.describe(&e, "sending the request"))?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let mut body = Vec::new();
        let mut truncated = false;
        while let Some(chunk) = response.chunk().await.map_err(|e| {
            self.describe(
                &e,
                &format!(
                    "reading the body of a {status} response after {} bytes",
                    body.len()
                ),
            )
        })? {
            let room = MAX_BODY - body.len();
            if chunk.len() > room {
                body.extend_from_slice(&chunk[..room]);
                truncated = true;
                break;
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Response {
            status,
            headers,
            body,
            truncated,
        })
    }

    fn describe(&self, e: &reqwest::Error, during: &str) -> SendError {
        let mut causes = Vec::new();
        let mut source = std::error::Error::source(e);
        while let Some(cause) = source {
            let text = cause.to_string();
            if !causes.iter().any(|c: &String| c.contains(&text)) {
                causes.push(text);
            }
            source = cause.source();
        }
        let detail = causes.join(": ");
        let place = e.url().map(|u| {
            format!(
                "{}:{}",
                u.host_str().unwrap_or_default(),
                u.port_or_known_default().unwrap_or_default()
            )
        });
        let place = place.unwrap_or_else(|| "the target".into());
        let mut refused = false;
        let message = if e.is_timeout() {
            format!(
                "timed out after {}s while {during} ({place})",
                self.timeout.as_secs_f64()
            )
        } else if e.is_connect() {
            // The innermost cause says it best ("Connection refused (os error 111)", a TLS
            // certificate problem); the layers above it only repeat "connect error".
            let cause = causes.last().map_or("unknown cause", String::as_str);
            match classify(e) {
                Failure::Tls => {
                    format!("could not connect to {place}: TLS handshake failed: {cause}")
                }
                Failure::Refused => {
                    refused = true;
                    format!("could not connect to {place}: {cause}")
                }
                Failure::Other => format!("could not connect to {place}: {cause}"),
            }
        } else if detail.is_empty() {
            format!("failed while {during} ({place}): {e}")
        } else {
            format!("failed while {during} ({place}): {detail}")
        };
        SendError { message, refused }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_told_by_their_types_not_their_words() {
        use std::io::{Error, ErrorKind};
        let tls = Error::other(Error::new(
            ErrorKind::InvalidData,
            rustls::Error::General("x".into()),
        ));
        assert_eq!(classify(&tls), Failure::Tls);
        let refused = Error::from(ErrorKind::ConnectionRefused);
        assert_eq!(classify(&refused), Failure::Refused);
        // Words that once decided it decide nothing now.
        let words = Error::other("tls handshake alert certificate");
        assert_eq!(classify(&words), Failure::Other);
    }
}
