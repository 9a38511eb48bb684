//! The backend side: one request on a pooled (or new) connection to an
//! http:// backend, its response head, and a body that streams from the
//! connection as the caller's side reads it.
//!
//! A connection goes back to the pool only when its response was read to
//! exactly the end its framing gives, nothing more is buffered, and the
//! socket holds nothing unread — checked with a non-blocking peek when the
//! body ends and again when the connection is taken out (one system call
//! each). Anything else closes it: a byte the backend sends after a `HEAD`
//! answer or a `204` can never become another caller's response.
//!
//! A request that fails on a reused connection before any response byte
//! arrives is sent once more on a new connection when the backend cannot
//! have acted on it: nothing of it was written, or its method is
//! idempotent (RFC 9110 9.2.2). A POST or PATCH that was written is not
//! sent again (the backend may have run it), as nginx and Go's client do.

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{ready, Context, Poll};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use http::header::{self, HeaderMap};
use http::{Method, Response, StatusCode};
use http_body::{Body, Frame, SizeHint};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use super::body::{BodyError, Decoded, Decoder};
use super::header::{is_hop_by_hop, parse_response, Framing, HeadError, ResponseHead};
use super::write::Gather;
use super::{count, COUNTERS};
use crate::FastMap;

/// How long an idle connection is kept for reuse.
const IDLE_TIMEOUT: Duration = Duration::from_secs(90);
/// Idle connections kept per backend.
const MAX_IDLE_PER_BACKEND: usize = 1024;
/// Backends a pool keeps connections for (a URI with a `{param}` in its
/// host could otherwise name any number).
const MAX_BACKENDS: usize = 1024;
/// Read size.
const READ_CHUNK: usize = 16 * 1024;

/// Why a request got no response.
#[derive(Debug)]
pub enum SendError {
    /// Unreachable, refused, reset, closed, or not HTTP/1.
    Failed(String),
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SendError::Failed(why) => f.write_str(why),
        }
    }
}

/// Whether a connection has nothing unread: no stray byte and no close.
/// One non-blocking peek at the socket itself (tokio's own readiness is
/// only as fresh as its last look at the kernel).
pub trait Probe {
    fn drained(&self) -> bool;
}

impl Probe for TcpStream {
    fn drained(&self) -> bool {
        let mut byte = [std::mem::MaybeUninit::<u8>::uninit(); 1];
        matches!(socket2::SockRef::from(self).peek(&mut byte), Err(e) if e.kind() == io::ErrorKind::WouldBlock)
    }
}

/// A connection to a backend and what has been read from it but not used.
pub struct Conn<IO> {
    pub io: IO,
    pub buf: BytesMut,
}

impl<IO> Conn<IO> {
    pub fn new(io: IO) -> Self {
        Conn { io, buf: BytesMut::with_capacity(READ_CHUNK) }
    }
}

/// Idle connections per backend, newest last, with when each was put back.
type Idle<IO> = FastMap<String, VecDeque<(Conn<IO>, Instant)>>;

/// Idle keep-alive connections by backend `host:port`. Cheap to clone.
pub struct Pool<IO = TcpStream> {
    idle: Arc<Mutex<Idle<IO>>>,
}

impl<IO> Clone for Pool<IO> {
    fn clone(&self) -> Self {
        Pool { idle: self.idle.clone() }
    }
}

impl<IO> Default for Pool<IO> {
    fn default() -> Self {
        Pool { idle: Arc::default() }
    }
}

impl<IO: Probe> Pool<IO> {
    /// The most recently used idle connection to `key` with nothing unread.
    pub fn checkout(&self, key: &str) -> Option<Conn<IO>> {
        let now = Instant::now();
        loop {
            let (conn, since) = {
                let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
                idle.get_mut(key)?.pop_back()?
            };
            if now.saturating_duration_since(since) >= IDLE_TIMEOUT {
                continue;
            }
            if !conn.buf.is_empty() || !conn.io.drained() {
                count(&COUNTERS.backend_discarded);
                continue;
            }
            return Some(conn);
        }
    }

    /// Keeps `conn` for the next request to `key` if nothing is unread on it.
    pub fn put(&self, key: &str, conn: Conn<IO>) {
        if !conn.buf.is_empty() || !conn.io.drained() {
            count(&COUNTERS.backend_discarded);
            return;
        }
        let now = Instant::now();
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if !idle.contains_key(key) && idle.len() >= MAX_BACKENDS {
            idle.retain(|_, l| !l.is_empty());
            if idle.len() >= MAX_BACKENDS {
                return;
            }
        }
        let list = idle.entry(key.to_string()).or_default();
        while list.front().is_some_and(|(_, since)| now.saturating_duration_since(*since) >= IDLE_TIMEOUT) {
            list.pop_front();
        }
        if list.len() < MAX_IDLE_PER_BACKEND {
            list.push_back((conn, now));
        }
    }

    /// Idle connections held.
    pub fn idle_count(&self) -> usize {
        self.idle.lock().unwrap_or_else(|p| p.into_inner()).values().map(VecDeque::len).sum()
    }
}

/// Request headers never sent on: hop-by-hop ones, and the framing and
/// `Host`, which are set here.
fn skipped(name: &header::HeaderName) -> bool {
    matches!(*name, header::HOST | header::CONTENT_LENGTH | header::EXPECT) || is_hop_by_hop(name.as_str().as_bytes())
}

/// Writes a request head and body: `Host` as given, the caller's fields
/// but those above, and the body with its length. A method that carries a
/// body by nature says `content-length: 0` when it has none.
pub fn encode_request(out: &mut BytesMut, method: &Method, target: &str, host: &str, headers: &HeaderMap, body: &[u8]) {
    {
        let mut head = Gather::new(out);
        head.put(method.as_str().as_bytes());
        head.put(b" ");
        head.put(if target.is_empty() { b"/" } else { target.as_bytes() });
        head.put(b" HTTP/1.1\r\n");
        head.field(b"host", host.as_bytes());
        for (name, value) in headers {
            if !skipped(name) {
                head.field(name.as_str().as_bytes(), value.as_bytes());
            }
        }
        if !body.is_empty() || matches!(*method, Method::POST | Method::PUT | Method::PATCH) {
            head.number(b"content-length", body.len() as u64);
        }
        head.put(b"\r\n");
    }
    out.extend_from_slice(body);
}

/// How an exchange failed.
#[derive(Debug)]
pub enum ExchangeError {
    /// Writing the request failed: the backend got none or part of it.
    NotSent(String),
    /// The connection closed or reset before any response byte.
    NoResponse(String),
    /// Anything after the first response byte, or a broken response.
    Failed(String),
}

impl ExchangeError {
    fn text(self) -> String {
        match self {
            ExchangeError::NotSent(s) | ExchangeError::NoResponse(s) | ExchangeError::Failed(s) => s,
        }
    }
}

/// Sends `request` (head and body, encoded) on `conn` and reads the
/// response head, skipping interim 1xx answers.
pub async fn exchange<IO: AsyncRead + AsyncWrite + Unpin>(conn: &mut Conn<IO>, request: &[u8], method: &Method) -> Result<ResponseHead, ExchangeError> {
    conn.io.write_all(request).await.map_err(|e| ExchangeError::NotSent(format!("sending the request: {e}")))?;
    let mut any = false;
    loop {
        match parse_response(&mut conn.buf, method) {
            Ok(Some(head)) if head.status == StatusCode::SWITCHING_PROTOCOLS => {
                return Err(ExchangeError::Failed("the backend switched protocols (101), which the gateway does not pass on".into()));
            }
            Ok(Some(head)) if head.status.is_informational() => {
                any = true;
                continue;
            }
            Ok(Some(head)) => return Ok(head),
            Ok(None) => {}
            Err(e) => return Err(ExchangeError::Failed(format!("the backend's response is not valid HTTP/1.1: {}", describe(&e)))),
        }
        if conn.buf.capacity() - conn.buf.len() < 1024 {
            conn.buf.reserve(READ_CHUNK);
        }
        let first = !any && conn.buf.is_empty();
        match tokio::io::AsyncReadExt::read_buf(&mut conn.io, &mut conn.buf).await {
            Ok(0) if first => return Err(ExchangeError::NoResponse("the backend closed the connection without answering".into())),
            Ok(0) => return Err(ExchangeError::Failed("the backend closed the connection mid-response".into())),
            Ok(_) => {}
            Err(e) if first => return Err(ExchangeError::NoResponse(format!("reading the response: {e}"))),
            Err(e) => return Err(ExchangeError::Failed(format!("reading the response: {e}"))),
        }
    }
}

fn describe(e: &HeadError) -> &'static str {
    match e {
        HeadError::Bad(why) => why,
        HeadError::TooLarge => "head too large",
        HeadError::Version => "not HTTP/1.x",
    }
}

/// Whether a request may be sent again after its connection failed.
fn idempotent(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS | Method::PUT | Method::DELETE | Method::TRACE)
}

/// A backend to call: `host` and `port` to connect to, `key` its name in
/// the pool (`host:port` as written in the URI).
pub struct Backend<'a> {
    pub key: &'a str,
    pub host: &'a str,
    pub port: u16,
}

impl Pool<TcpStream> {
    /// Sends an encoded request to `backend` and returns the response,
    /// whose body streams from the connection (`idle`: the longest pause
    /// allowed while it does).
    pub async fn send(&self, backend: &Backend<'_>, request: &[u8], method: &Method, idle: Duration) -> Result<Response<UpBody<TcpStream>>, SendError> {
        let (mut conn, mut reused) = match self.checkout(backend.key) {
            Some(c) => (c, true),
            None => (connect(backend).await?, false),
        };
        loop {
            match exchange(&mut conn, request, method).await {
                Ok(head) => return Ok(respond(Some((self.clone(), backend.key.to_string())), conn, head, idle)),
                Err(e @ (ExchangeError::NotSent(_) | ExchangeError::NoResponse(_))) if reused && (matches!(e, ExchangeError::NotSent(_)) || idempotent(method)) => {
                    tracing::debug!(backend = backend.key, error = ?e, "reused backend connection failed before answering; sending again on a new one");
                    count(&COUNTERS.backend_retries);
                    reused = false;
                    conn = connect(backend).await?;
                }
                Err(e) => return Err(SendError::Failed(e.text())),
            }
        }
    }
}

async fn connect(b: &Backend<'_>) -> Result<Conn<TcpStream>, SendError> {
    let target = b.host.trim_start_matches('[').trim_end_matches(']');
    let stream = TcpStream::connect((target, b.port)).await.map_err(|e| SendError::Failed(format!("connecting to {}:{}: {e}", b.host, b.port)))?;
    let _ = stream.set_nodelay(true);
    Ok(Conn::new(stream))
}

/// The response around a body that reads the rest from `conn`; the
/// connection goes back to `pool` (if any) when the body ends cleanly.
pub fn respond<IO: AsyncRead + Probe + Unpin>(pool: Option<(Pool<IO>, String)>, conn: Conn<IO>, head: ResponseHead, idle: Duration) -> Response<UpBody<IO>> {
    let ResponseHead { status, headers, framing, keep_alive, .. } = head;
    let mut body = UpBody { conn: Some(conn), decoder: Decoder::new(framing), pool, keep_alive, idle, stall: None, ready: None };
    // A small body that came with the head is taken now, and the
    // connection given back at once.
    if let Framing::Length(n) = framing {
        if body.conn.as_ref().is_some_and(|c| c.buf.len() as u64 >= n) {
            let conn = body.conn.as_mut().expect("checked");
            if let Ok(Decoded::Data(d)) = body.decoder.decode(&mut conn.buf) {
                body.ready = Some(d);
            }
        }
    }
    if body.decoder.is_done() {
        body.finish();
    }
    let mut res = Response::new(body);
    *res.status_mut() = status;
    *res.headers_mut() = headers;
    res
}

/// A response body read from the backend connection as the caller's side
/// asks for it. Read to its end, the connection goes back to the pool;
/// dropped before that, or broken, the connection is closed.
pub struct UpBody<IO> {
    conn: Option<Conn<IO>>,
    decoder: Decoder,
    pool: Option<(Pool<IO>, String)>,
    keep_alive: bool,
    /// Longest pause while reading.
    idle: Duration,
    stall: Option<Pin<Box<tokio::time::Sleep>>>,
    /// The whole body, when it came with the head.
    ready: Option<Bytes>,
}

/// Why a backend body failed.
#[derive(Debug)]
pub enum UpError {
    Body(BodyError),
    Io(io::Error),
    /// No byte for longer than the allowed pause.
    Stalled,
}

impl std::fmt::Display for UpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UpError::Body(e) => write!(f, "backend body: {e}"),
            UpError::Io(e) => write!(f, "backend body: {e}"),
            UpError::Stalled => f.write_str("backend body stalled"),
        }
    }
}

impl std::error::Error for UpError {}

impl<IO: AsyncRead + Probe + Unpin> UpBody<IO> {
    /// The body is complete: the connection goes back if it can.
    fn finish(&mut self) {
        if let (Some(conn), Some((pool, key))) = (self.conn.take(), self.pool.take()) {
            if self.keep_alive {
                pool.put(&key, conn);
            }
        }
        self.conn = None;
    }

    /// Reads more from the backend; `Ok(0)` at its end.
    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<Result<usize, UpError>> {
        let Some(conn) = self.conn.as_mut() else { return Poll::Ready(Ok(0)) };
        if conn.buf.capacity() - conn.buf.len() < 1024 {
            conn.buf.reserve(READ_CHUNK);
        }
        match tokio_util::io::poll_read_buf(Pin::new(&mut conn.io), cx, &mut conn.buf) {
            Poll::Ready(Ok(n)) => {
                self.stall = None;
                Poll::Ready(Ok(n))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(UpError::Io(e))),
            Poll::Pending => {
                let idle = self.idle;
                let stall = self.stall.get_or_insert_with(|| Box::pin(tokio::time::sleep(idle)));
                ready!(std::future::Future::poll(stall.as_mut(), cx));
                Poll::Ready(Err(UpError::Stalled))
            }
        }
    }
}

impl<IO: AsyncRead + Probe + Unpin> Body for UpBody<IO> {
    type Data = Bytes;
    type Error = UpError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, UpError>>> {
        let this = &mut *self;
        if let Some(data) = this.ready.take() {
            return Poll::Ready(Some(Ok(Frame::data(data))));
        }
        loop {
            let Some(conn) = this.conn.as_mut() else {
                return Poll::Ready(None);
            };
            match this.decoder.decode(&mut conn.buf) {
                Ok(Decoded::Data(d)) => {
                    if this.decoder.is_done() {
                        this.finish();
                    }
                    return Poll::Ready(Some(Ok(Frame::data(d))));
                }
                Ok(Decoded::End) => {
                    this.finish();
                    return Poll::Ready(None);
                }
                Ok(Decoded::More) => {}
                Err(e) => {
                    this.conn = None;
                    return Poll::Ready(Some(Err(UpError::Body(e))));
                }
            }
            match ready!(this.poll_fill(cx)) {
                Ok(0) => {
                    this.conn = None;
                    return match this.decoder.eof() {
                        Ok(()) => Poll::Ready(None),
                        Err(e) => Poll::Ready(Some(Err(UpError::Body(e)))),
                    };
                }
                Ok(_) => {}
                Err(e) => {
                    if matches!(e, UpError::Stalled) {
                        count(&COUNTERS.send_timeouts);
                    }
                    this.conn = None;
                    return Poll::Ready(Some(Err(e)));
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.ready.is_none() && self.conn.is_none() && self.decoder.is_done()
    }

    fn size_hint(&self) -> SizeHint {
        let ready = self.ready.as_ref().map_or(0, |d| d.len() as u64);
        match self.decoder.remaining() {
            Some(n) => SizeHint::with_exact(n + ready),
            None => SizeHint::default(),
        }
    }
}
