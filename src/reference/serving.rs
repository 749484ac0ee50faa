//! How the reference server takes connections and requests from clients it cannot trust. At
//! most [`Bounds::max_connections`] are open at once: past that, new clients wait in the
//! kernel's queue until one closes, and one line on standard error says the cap was reached.
//! A connection that does not send a whole request head within [`Bounds::read_timeout`] of
//! opening or of its last answer (silent, half-sent, idle keep-alive) is closed, and so is a
//! TLS handshake that takes longer, and a connection whose answer the client leaves unread as
//! long; a request body is kept to [`MAX_BODY`] bytes and must arrive within the same time. No thread of its own: a task per connection on the runtime the
//! server runs on (the built-in server of a run shares the run's one thread).

use std::{
    io,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::{Duration, Instant},
};

use axum::{
    Router,
    body::{Body, Bytes},
    extract::Request,
    http::{HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use http_body_util::BodyExt;
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    service::TowerToHyperService,
};
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::{TcpListener, TcpStream},
    sync::{OwnedSemaphorePermit, Semaphore, watch},
};
use tokio_rustls::TlsAcceptor;

/// The most bytes of a request body that the server keeps; a larger one is answered 413.
pub const MAX_BODY: usize = 64 * 1024;
/// A larger body is still read, and thrown away, up to this much: a socket closed on unread
/// data is reset, and the client would see the reset instead of the 413.
const MAX_DRAINED: usize = 8 * 1024 * 1024;
/// The most bytes of a request head (request line and headers) read before it is refused
/// (hyper answers 431); hyper's default is about 400 KiB per connection.
const MAX_HEAD: usize = 64 * 1024;

/// What one client may hold of the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    /// Connections open at once, TLS handshakes included.
    pub max_connections: usize,
    /// How long a connection may take to send a request head (from when it opens, or from its
    /// last answer), a request body, or its half of a TLS handshake, and how long it may leave
    /// an answer unread once the sockets' buffers are full.
    pub read_timeout: Duration,
}

impl Default for Bounds {
    fn default() -> Self {
        Bounds {
            // Well under the 1,024 descriptors a process is commonly allowed.
            max_connections: 512,
            read_timeout: Duration::from_secs(10),
        }
    }
}

/// Accepts connections on `listener` and serves `app` on each (over TLS when `tls` is given),
/// within `bounds`, until `stopped` completes; then each connection finishes the request it
/// is answering and closes.
pub(super) async fn accept(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    app: Router,
    bounds: Bounds,
    stopped: impl Future<Output = ()>,
) {
    let slots = Arc::new(Semaphore::new(bounds.max_connections));
    // Dropped when this loop ends, which tells every connection to finish.
    let (_closing, closed) = watch::channel(());
    let mut said = None;
    tokio::pin!(stopped);
    loop {
        let slot = tokio::select! {
            slot = take_slot(&slots, bounds.max_connections, &mut said) => slot,
            () = &mut stopped => return,
        };
        let tcp = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((tcp, _)) => tcp,
                // Out of file descriptors and the like: wait, as axum's own loop does.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut stopped => return,
        };
        tokio::spawn(connection(
            tcp,
            tls.clone(),
            app.clone(),
            bounds.read_timeout,
            closed.clone(),
            slot,
        ));
    }
}

/// The line about the cap is said again after this long at the earliest: a flood that lasts
/// is one line a minute, not one per wave of clients.
const SAY_AGAIN_AFTER: Duration = Duration::from_secs(60);

/// A slot for the next connection, waiting for one to close when all are taken. When they are
/// all taken it says so on standard error: once, not for each client that waits, and not again
/// within [`SAY_AGAIN_AFTER`].
async fn take_slot(
    slots: &Arc<Semaphore>,
    max: usize,
    said: &mut Option<Instant>,
) -> OwnedSemaphorePermit {
    if let Ok(slot) = slots.clone().try_acquire_owned() {
        return slot;
    }
    if said.is_none_or(|at| at.elapsed() >= SAY_AGAIN_AFTER) {
        *said = Some(Instant::now());
        eprintln!(
            "authconform: the reference server has {max} connections open, its limit (serve --max-connections): new connections wait until one closes (said at most once a minute)"
        );
    }
    slots
        .clone()
        .acquire_owned()
        .await
        .expect("the semaphore is never closed")
}

/// One connection, holding its `_slot` until it closes.
async fn connection(
    tcp: TcpStream,
    tls: Option<TlsAcceptor>,
    app: Router,
    read_timeout: Duration,
    closed: watch::Receiver<()>,
    _slot: OwnedSemaphorePermit,
) {
    let tcp = Stalling::new(tcp, read_timeout);
    match tls {
        None => http(tcp, app, read_timeout, closed).await,
        Some(acceptor) => {
            // A failed handshake is dropped (the client sees why).
            if let Ok(Ok(stream)) = tokio::time::timeout(read_timeout, acceptor.accept(tcp)).await {
                http(stream, app, read_timeout, closed).await;
            }
        }
    }
}

/// HTTP/1.1 on `io`. hyper's header-read timer starts when the connection opens and again
/// when an answer has been written, so it also closes an idle keep-alive connection.
async fn http<S>(io: S, app: Router, read_timeout: Duration, mut closed: watch::Receiver<()>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(read_timeout)
        .max_buf_size(MAX_HEAD);
    let connection = builder.serve_connection(TokioIo::new(io), TowerToHyperService::new(app));
    tokio::pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => return,
        _ = closed.changed() => connection.as_mut().graceful_shutdown(),
    }
    let _ = connection.await;
}

/// A connection whose writes fail once they have made no progress for `limit`. A client that
/// sends requests and never reads the answers stalls the server's writes once the sockets'
/// buffers are full, and hyper has no write timeout: the connection would hold its slot for
/// good.
struct Stalling<S> {
    io: S,
    limit: Duration,
    /// Started when a write could make no progress; gone once one does.
    stalled: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl<S> Stalling<S> {
    fn new(io: S, limit: Duration) -> Self {
        Stalling {
            io,
            limit,
            stalled: None,
        }
    }

    /// What a write that made progress (`Ready`) or none (`Pending`) comes to: a timed-out
    /// error once it has made none for `limit`.
    fn judge<T>(&mut self, cx: &mut Context<'_>, poll: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        if poll.is_ready() {
            self.stalled = None;
            return poll;
        }
        let limit = self.limit;
        let stalled = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        match stalled.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the client has read nothing of the answer",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Stalling<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Stalling<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.io).poll_write(cx, buf);
        self.judge(cx, poll)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        self.judge(cx, poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.io).poll_flush(cx);
        self.judge(cx, poll)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.io).poll_shutdown(cx);
        self.judge(cx, poll)
    }
}

/// What reading a request body came to.
enum Read {
    Whole(Bytes),
    TooLarge,
    Broken,
}

/// Reads the request body before any endpoint sees it: at most [`MAX_BODY`] bytes kept,
/// within `read_timeout` (a client that sends half a body and stalls is answered 408 and its
/// connection closed). Endpoints then take the body as it is.
pub(super) async fn bounded_body(read_timeout: Duration, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    match tokio::time::timeout(read_timeout, read(body)).await {
        Ok(Read::Whole(bytes)) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Ok(Read::TooLarge) => refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!(
                "The request body is larger than {MAX_BODY} bytes, the most this server reads."
            ),
        ),
        Ok(Read::Broken) => refuse(
            StatusCode::BAD_REQUEST,
            "The request body could not be read.",
        ),
        Err(_) => refuse(
            StatusCode::REQUEST_TIMEOUT,
            &format!(
                "The request body did not arrive within {} ms.",
                read_timeout.as_millis()
            ),
        ),
    }
}

async fn read(mut body: Body) -> Read {
    let mut kept = Vec::new();
    let mut seen = 0usize;
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            return Read::Broken;
        };
        // Trailers are not data.
        let Ok(data) = frame.into_data() else {
            continue;
        };
        seen = seen.saturating_add(data.len());
        if seen <= MAX_BODY {
            kept.extend_from_slice(&data);
        } else if seen > MAX_DRAINED {
            return Read::TooLarge;
        }
    }
    if seen > MAX_BODY {
        return Read::TooLarge;
    }
    Read::Whole(kept.into())
}

/// A refused request, in the JSON error shape of every other answer, on a connection that is
/// then closed: what is left of the request cannot be trusted to be read.
fn refuse(status: StatusCode, description: &str) -> Response {
    let body = serde_json::json!({ "error": "invalid_request", "error_description": description });
    let mut response = (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}
