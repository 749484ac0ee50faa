//! How the reference server takes connections and requests from clients it cannot trust. At
//! most [`Bounds::max_connections`] are served at once: past that, a new client takes the
//! place of the connection that has answered nothing for longest (a second at least), or waits
//! until one closes, and one line on standard error says the cap was reached. A connection
//! that does not send a whole request head within [`Bounds::read_timeout`] of opening or of its
//! last answer (silent, half-sent, idle keep-alive) is closed, and so is a TLS handshake that
//! takes longer and a connection whose answer the client leaves unread as long; a request body
//! is kept to [`MAX_BODY`] bytes and must arrive within the same time. No thread of its own: a
//! task per connection on the runtime the server runs on (the built-in server of a run shares
//! the run's one thread).

use std::{
    io,
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
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
/// hyper's read buffer for a request head (request line and headers); it checks the bound
/// between reads, so a head is refused (431, or 414 for the URI) somewhere past 64 and at most
/// 128 KiB. Its default is about 400 KiB per connection.
const MAX_HEAD: usize = 64 * 1024;

/// What one client may hold of the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    /// Connections served at once, TLS handshakes included (one more, accepted, may wait for
    /// a place).
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

/// What every connection of one server shares.
#[derive(Clone)]
struct Shared {
    app: Router,
    tls: Option<TlsAcceptor>,
    read_timeout: Duration,
    /// Changes (its sender dropped) when the server stops.
    closed: watch::Receiver<()>,
    open: Arc<Open>,
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
    let shared = Shared {
        app,
        tls,
        read_timeout: bounds.read_timeout,
        closed,
        open: Arc::default(),
    };
    let mut said = None;
    tokio::pin!(stopped);
    loop {
        // Accepted first, then given a slot: at the cap, a connection is shed only for a client
        // that is there.
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
        let slot = tokio::select! {
            slot = take_slot(&slots, bounds.max_connections, &shared.open, &mut said) => slot,
            () = &mut stopped => return,
        };
        // Counted in here, not in its task: tasks start in any order, and the connection idle
        // longest must be the one accepted first of those that have said nothing.
        let (activity, registered) = shared.open.register();
        let place = Place {
            activity,
            _registered: registered,
            _slot: slot,
        };
        tokio::spawn(connection(tcp, shared.clone(), place));
    }
}

/// The line about the cap is said again after this long at the earliest: a flood that lasts
/// is one line a minute, not one per wave of clients.
const SAY_AGAIN_AFTER: Duration = Duration::from_secs(60);
/// How long a connection must have been idle (no request being answered) before a new one
/// may take its place at the cap: a client that has just connected has time to send.
const SHED_AFTER: Duration = Duration::from_secs(1);

/// A slot for the next connection. When all are taken, the connection idle longest (at least
/// [`SHED_AFTER`]) is closed to make room, else the next to close makes it: silent
/// connections cannot keep a client that has something to ask waiting for their timeout.
/// That it happens is said on standard error: once, not for each client, and not again within
/// [`SAY_AGAIN_AFTER`].
async fn take_slot(
    slots: &Arc<Semaphore>,
    max: usize,
    open: &Open,
    said: &mut Option<Instant>,
) -> OwnedSemaphorePermit {
    if let Ok(slot) = slots.clone().try_acquire_owned() {
        return slot;
    }
    if said.is_none_or(|at| at.elapsed() >= SAY_AGAIN_AFTER) {
        *said = Some(Instant::now());
        eprintln!(
            "authconform: the reference server has {max} connections open, its limit (serve --max-connections): a new one takes the place of the one idle longest, or waits until one closes (said at most once a minute)"
        );
    }
    loop {
        open.shed_longest_idle(SHED_AFTER);
        tokio::select! {
            slot = slots.clone().acquire_owned() => {
                return slot.expect("the semaphore is never closed");
            }
            // Connections become idle long enough as time passes: look again.
            () = tokio::time::sleep(SHED_AFTER) => {}
        }
    }
}

/// The open connections, for the one to close when all slots are taken.
#[derive(Default)]
struct Open {
    next: std::sync::atomic::AtomicU64,
    all: std::sync::Mutex<std::collections::HashMap<u64, Arc<Activity>>>,
}

/// What one connection is doing.
struct Activity {
    /// Requests it is answering.
    answering: AtomicUsize,
    /// Since when it has answered none: its opening, or its last answer.
    idle_since: std::sync::Mutex<Instant>,
    /// Asked to close; it then does at once.
    shed: tokio::sync::Notify,
    shedding: std::sync::atomic::AtomicBool,
}

/// A connection's place in [`Open`], given up when it closes.
struct Registered {
    open: Arc<Open>,
    id: u64,
}

impl Drop for Registered {
    fn drop(&mut self) {
        self.open.all().remove(&self.id);
    }
}

impl Open {
    fn all(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<u64, Arc<Activity>>> {
        self.all.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts a connection in, idle from now, in the order connections are accepted.
    fn register(self: &Arc<Self>) -> (Arc<Activity>, Registered) {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let activity = Arc::new(Activity {
            answering: AtomicUsize::new(0),
            idle_since: std::sync::Mutex::new(Instant::now()),
            shed: tokio::sync::Notify::new(),
            shedding: std::sync::atomic::AtomicBool::new(false),
        });
        self.all().insert(id, activity.clone());
        let registered = Registered {
            open: self.clone(),
            id,
        };
        (activity, registered)
    }

    /// Asks the connection that has answered nothing for longest, at least `after`, to close.
    fn shed_longest_idle(&self, after: Duration) {
        let all = self.all();
        let longest = all
            .values()
            .filter(|a| {
                a.answering.load(Ordering::SeqCst) == 0 && !a.shedding.load(Ordering::SeqCst)
            })
            .map(|a| (*a.idle_since.lock().unwrap_or_else(|e| e.into_inner()), a))
            .filter(|(since, _)| since.elapsed() >= after)
            .min_by_key(|(since, _)| *since);
        if let Some((_, activity)) = longest {
            activity.shedding.store(true, Ordering::SeqCst);
            activity.shed.notify_one();
        }
    }
}

/// A request being answered on a connection; when it is done the connection is idle again.
struct Answering(Arc<Activity>);

impl Answering {
    fn start(activity: &Arc<Activity>) -> Self {
        activity.answering.fetch_add(1, Ordering::SeqCst);
        Answering(activity.clone())
    }
}

impl Drop for Answering {
    fn drop(&mut self) {
        *self.0.idle_since.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
        self.0.answering.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A connection's place: its slot and its count in [`Open`], both given up when it closes.
struct Place {
    activity: Arc<Activity>,
    _registered: Registered,
    _slot: OwnedSemaphorePermit,
}

/// One connection, holding its place until it closes, or until it is shed: then it is dropped
/// as it stands, since it is answering nothing.
async fn connection(tcp: TcpStream, shared: Shared, place: Place) {
    let activity = &place.activity;
    let tcp = Stalling::new(tcp, shared.read_timeout);
    let served = async {
        match shared.tls.clone() {
            None => http(tcp, &shared, activity).await,
            Some(acceptor) => {
                // A failed handshake is dropped (the client sees why).
                let handshake = tokio::time::timeout(shared.read_timeout, acceptor.accept(tcp));
                if let Ok(Ok(stream)) = handshake.await {
                    http(stream, &shared, activity).await;
                }
            }
        }
    };
    tokio::select! {
        () = served => {}
        () = activity.shed.notified() => {}
    }
}

/// HTTP/1.1 on `io`. hyper's header-read timer starts when the connection opens and again
/// when an answer has been written, so it also closes an idle keep-alive connection.
async fn http<S>(io: S, shared: &Shared, activity: &Arc<Activity>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(shared.read_timeout)
        .max_buf_size(MAX_HEAD);
    let app = TowerToHyperService::new(shared.app.clone());
    let activity = activity.clone();
    let service = hyper::service::service_fn(move |request| {
        let answering = Answering::start(&activity);
        let answer = hyper::service::Service::call(&app, request);
        async move {
            let answer = answer.await;
            drop(answering);
            answer
        }
    });
    let connection = builder.serve_connection(TokioIo::new(io), service);
    tokio::pin!(connection);
    let mut closed = shared.closed.clone();
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
