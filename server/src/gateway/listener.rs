//! The gateway's listener: accepts connections (within a connection cap,
//! backing off when the process is out of file descriptors), deals them to
//! worker threads, and serves each with the HTTP/1.1 server (`http1`) or,
//! for a caller that opens with HTTP/2's preface, hyper's HTTP/2 server —
//! both in front of the one pipeline.

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes, BytesMut};
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

use super::http1::server::{self, BodyTooLarge, Closing, Limits, Service};
use super::http1::{count, COUNTERS};
use super::{affinity, gateway_error, proxy, Gateway, GwBody, MAX_BODY, WORKER_UPSTREAM};
use crate::metrics::Recorded;

/// How many worker threads serve gateway connections: one per core.
pub fn worker_count() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2).clamp(1, 64)
}

/// Open caller connections and the cap on them.
struct Capacity {
    open: AtomicUsize,
    max: usize,
}

/// One open connection's place under the cap, given back when dropped.
struct Slot(Arc<Capacity>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A connection handed from the acceptor to a worker thread.
type Handoff = (std::net::TcpStream, SocketAddr, Closing, Slot);

/// The answer to a connection over the cap, written without waiting.
const OVER_CAPACITY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nx-amzn-errortype: ServiceUnavailableException\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: 35\r\n\r\n{\"message\":\"Service Unavailable\"}\r\n";

/// The default connection cap: what the open-file limit leaves room for,
/// each proxied request holding a caller's and a backend's descriptor,
/// with 256 kept for the console, the database and the backends' pools.
pub fn default_max_connections() -> usize {
    let soft = crate::fdlimit::raise().unwrap_or(1024);
    (soft.saturating_sub(256) / 2).clamp(64, 1_000_000) as usize
}

/// Accepts connections until `stop` fires, then lets open requests finish
/// (up to 30 s) before returning.
///
/// Connections are served thread-per-core, as nginx's workers do: each
/// worker thread runs its own single-threaded runtime with its own upstream
/// pool, and the acceptor deals connections out in turn. With `pin`, each
/// worker is held on a core of its own (see [`affinity`]). At most
/// `max_connections` are open at once (0: [`default_max_connections`]);
/// past that a new caller is answered 503 and closed.
pub async fn serve(
    listener: TcpListener,
    gateway: Arc<Gateway>,
    mut stop: tokio::sync::watch::Receiver<bool>,
    pin: bool,
    max_connections: usize,
) -> io::Result<()> {
    let max = if max_connections == 0 { default_max_connections() } else { max_connections };
    let capacity = Arc::new(Capacity { open: AtomicUsize::new(0), max });
    tracing::info!(max_connections = max, "gateway connection limit");
    let (closing_tx, closing) = tokio::sync::watch::channel(false);
    let (done_tx, done_rx) = tokio::sync::watch::channel(false);
    let mut workers = Vec::new();
    let mut handles = Vec::new();
    let count_workers = worker_count();
    let cores = affinity::plan(pin, count_workers, affinity::allowed_cpus().as_deref());
    if let Some(cores) = &cores {
        tracing::info!(?cores, "gateway worker threads pinned, one per core");
    }
    for i in 0..count_workers {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<Handoff>();
        let (gw, done) = (gateway.clone(), done_rx.clone());
        let core = cores.as_ref().map(|c| c[i]);
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let run = move || {
            if let Some(core) = core {
                if let Err(e) = affinity::pin_current_thread(core) {
                    tracing::warn!(worker = i, core, error = %e, "gateway worker thread not pinned; it runs on any core");
                }
            }
            runtime.block_on(worker(gw, rx, done))
        };
        handles.push(std::thread::Builder::new().name(format!("apigw-gw-{i}")).spawn(run)?);
        workers.push(tx);
    }
    // The watch guard is not Send: finish with it inside this future.
    let mut stopped = std::pin::pin!(async move {
        let _ = stop.wait_for(|s| *s).await;
    });
    let mut next = 0usize;
    let mut backoff = Duration::ZERO;
    let mut last_warning: Option<Instant> = None;
    let mut warn = |what: &str, detail: String| {
        // One line a second at most: a flood must not fill the log.
        if last_warning.is_none_or(|t| t.elapsed() >= Duration::from_secs(1)) {
            tracing::warn!("{what}: {detail}");
            last_warning = Some(Instant::now());
        }
    };
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // Out of file descriptors and the like: back off
                        // (up to a second), do not spin.
                        backoff = (backoff * 2).clamp(Duration::from_millis(10), Duration::from_secs(1));
                        warn("gateway accept failed; backing off", format!("{e} (next try in {backoff:?})"));
                        tokio::time::sleep(backoff).await;
                        continue;
                    }
                };
                backoff = Duration::ZERO;
                if capacity.open.load(Ordering::Relaxed) >= capacity.max {
                    count(&COUNTERS.over_capacity);
                    warn("gateway connection limit reached", format!("{} connections open; new callers get 503 until some close (raise it with --max-connections or the open-file limit)", capacity.max));
                    let _ = stream.try_write(OVER_CAPACITY);
                    continue;
                }
                capacity.open.fetch_add(1, Ordering::Relaxed);
                let slot = Slot(capacity.clone());
                let _ = stream.set_nodelay(true);
                let Ok(stream) = stream.into_std() else { continue };
                next = (next + 1) % workers.len();
                if workers[next].send((stream, peer, closing.clone(), slot)).is_err() {
                    tracing::error!(worker = next, "gateway worker thread has stopped");
                }
            }
            _ = &mut stopped => break,
        }
    }
    drop(listener);
    drop(workers);
    drop(closing);
    // Every connection holds a receiver until it closes.
    closing_tx.send_replace(true);
    if tokio::time::timeout(Duration::from_secs(30), closing_tx.closed()).await.is_err() {
        tracing::warn!("gateway connections still open after 30 s; closing them");
    }
    let _ = done_tx.send(true);
    for h in handles {
        let _ = tokio::task::spawn_blocking(move || h.join()).await;
    }
    Ok(())
}

/// One worker thread: serves the connections it is handed until the
/// acceptor has stopped and every connection has finished (`done`).
async fn worker(
    gateway: Arc<Gateway>,
    mut rx: tokio::sync::mpsc::UnboundedReceiver<Handoff>,
    mut done: tokio::sync::watch::Receiver<bool>,
) {
    WORKER_UPSTREAM.with(|c| c.get_or_init(|| proxy::clients(gateway.connector.clone())).clone());
    gateway.recorder.gather_on_this_thread();
    // The thread's gathered metrics records go to the writer on this tick.
    tokio::spawn(async {
        let mut tick = tokio::time::interval(crate::metrics::THREAD_FLUSH);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            crate::metrics::flush_thread();
        }
    });
    while let Some((stream, peer, closing, slot)) = rx.recv().await {
        let stream = match TcpStream::from_std(stream) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "gateway connection not registered");
                continue;
            }
        };
        tokio::spawn(connection(gateway.clone(), stream, peer, closing, slot));
    }
    let _ = done.wait_for(|d| *d).await;
    crate::metrics::flush_thread();
}

/// The pipeline as the HTTP server's service, for one caller.
struct Caller {
    gateway: Arc<Gateway>,
    peer: SocketAddr,
}

impl Service for Caller {
    type Body = Recorded<GwBody>;

    fn call(&self, req: Request<Bytes>) -> impl std::future::Future<Output = Response<Self::Body>> + Send {
        self.gateway.handle(req, self.peer)
    }

    fn refuse(&self, status: StatusCode, message: &str) -> Response<Self::Body> {
        let error_type = match status {
            StatusCode::BAD_REQUEST => "BadRequestException",
            StatusCode::REQUEST_TIMEOUT => "RequestTimeoutException",
            StatusCode::PAYLOAD_TOO_LARGE => "RequestTooLongException",
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => "RequestHeaderFieldsTooLargeException",
            _ => "BadRequestException",
        };
        gateway_error(status, error_type, message).map(|b| Recorded::new(b, None))
    }
}

/// Serves one caller connection: HTTP/2 if it opens with the preface,
/// HTTP/1.1 otherwise.
async fn connection(gateway: Arc<Gateway>, mut stream: TcpStream, peer: SocketAddr, mut closing: Closing, _slot: Slot) {
    let limits = Limits { timeouts: gateway.timeouts, max_body: MAX_BODY };
    let mut first = BytesMut::with_capacity(16 * 1024);
    let read = tokio::select! {
        biased;
        r = tokio::time::timeout(limits.timeouts.head, stream.read_buf(&mut first)) => r,
        _ = closing.wait_for(|c| *c) => return,
    };
    match read {
        Err(_) => {
            count(&COUNTERS.head_timeouts);
            return;
        }
        Ok(Ok(0) | Err(_)) => return,
        Ok(Ok(_)) => {}
    }
    if first.starts_with(b"PRI ") {
        return http2(gateway, Replay { read: first.freeze(), stream }, peer, closing).await;
    }
    server::serve(stream, first, &Caller { gateway, peer }, limits, closing).await;
}

/// HTTP/2 (prior knowledge) through hyper, each request's body read whole
/// (up to the payload limit) before the pipeline sees it, as on HTTP/1.1.
async fn http2(gateway: Arc<Gateway>, io: Replay, peer: SocketAddr, mut closing: Closing) {
    let svc = hyper::service::service_fn(move |req: Request<Incoming>| {
        let gateway = gateway.clone();
        async move {
            let (parts, body) = req.into_parts();
            let mut req = Request::from_parts(parts, Bytes::new());
            match Limited::new(body, MAX_BODY).collect().await {
                Ok(b) => *req.body_mut() = b.to_bytes(),
                Err(_) => {
                    req.extensions_mut().insert(BodyTooLarge);
                }
            }
            Ok::<_, Infallible>(gateway.handle(req, peer).await)
        }
    });
    let served = hyper::server::conn::http2::Builder::new(TokioExecutor::new()).serve_connection(TokioIo::new(io), svc);
    tokio::pin!(served);
    tokio::select! {
        _ = served.as_mut() => return,
        _ = closing.wait_for(|c| *c) => {}
    }
    served.as_mut().graceful_shutdown();
    let _ = served.await;
}

/// A connection whose first bytes were already read: they are read again
/// before the socket's.
struct Replay {
    read: Bytes,
    stream: TcpStream,
}

impl AsyncRead for Replay {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        if !self.read.is_empty() {
            let n = self.read.len().min(buf.remaining());
            buf.put_slice(&self.read[..n]);
            self.read.advance(n);
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Replay {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
