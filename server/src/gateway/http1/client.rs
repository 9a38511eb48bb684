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
    /// No connection could be made (refused, no route, unknown host).
    Unreachable(String),
    /// Reset, closed, or not HTTP/1.
    Failed(String),
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SendError::Unreachable(why) | SendError::Failed(why) => f.write_str(why),
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

    /// Keeps `conn` for the next request to `key` if nothing is left in
    /// its buffer. The socket itself is peeked when the connection is taken
    /// out again ([`Pool::checkout`]): one system call per reuse, and late
    /// bytes are seen there too.
    pub fn put(&self, key: &str, conn: Conn<IO>) {
        if !conn.buf.is_empty() {
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
    let fields = headers.iter().filter(|(n, _)| !skipped(n)).map(|(n, v)| (n.as_str().as_bytes(), v.as_bytes()));
    encode_request_with(out, method, target, host, fields, body);
}

/// [`encode_request`] with the fields already chosen (none of them
/// `Host`, framing or hop-by-hop: the caller has filtered them).
pub fn encode_request_with<'f>(
    out: &mut BytesMut,
    method: &Method,
    target: &str,
    host: &str,
    fields: impl Iterator<Item = (&'f [u8], &'f [u8])>,
    body: &[u8],
) {
    {
        let mut head = Gather::new(out);
        head.put(method.as_str().as_bytes());
        head.put(b" ");
        head.put(if target.is_empty() { b"/" } else { target.as_bytes() });
        head.put(b" HTTP/1.1\r\n");
        head.field(b"host", host.as_bytes());
        for (name, value) in fields {
            head.field(name, value);
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
pub async fn exchange<IO: AsyncRead + AsyncWrite + Unpin>(
    conn: &mut Conn<IO>,
    request: &[u8],
    method: &Method,
) -> Result<ResponseHead, ExchangeError> {
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
    pub async fn send(
        &self,
        backend: &Backend<'_>,
        request: &[u8],
        method: &Method,
        idle: Duration,
    ) -> Result<Response<UpBody<TcpStream>>, SendError> {
        let (mut conn, mut reused) = match self.checkout(backend.key) {
            Some(c) => (c, true),
            None => (connect(backend).await?, false),
        };
        loop {
            match exchange(&mut conn, request, method).await {
                Ok(head) => return Ok(respond(Some((self.clone(), backend.key.to_string())), conn, head, idle)),
                Err(e @ (ExchangeError::NotSent(_) | ExchangeError::NoResponse(_)))
                    if reused && (matches!(e, ExchangeError::NotSent(_)) || idempotent(method)) =>
                {
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
    let stream = TcpStream::connect((target, b.port))
        .await
        .map_err(|e| SendError::Unreachable(format!("connecting to {}:{}: {e}", b.host, b.port)))?;
    let _ = stream.set_nodelay(true);
    Ok(Conn::new(stream))
}

/// The response around a body that reads the rest from `conn`; the
/// connection goes back to `pool` (if any) when the body ends cleanly.
pub fn respond<IO: AsyncRead + Probe + Unpin>(
    pool: Option<(Pool<IO>, String)>,
    conn: Conn<IO>,
    head: ResponseHead,
    idle: Duration,
) -> Response<UpBody<IO>> {
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

#[cfg(test)]
mod tests {
    //! The backend side over an in-memory duplex stream: the test plays the
    //! backend. `Probe` cannot be written for `DuplexStream` itself (it takes
    //! `&self`, and a duplex stream can only be polled through `&mut`), so
    //! [`TestIo`] wraps one in a mutex.

    use std::sync::PoisonError;
    use std::task::Waker;

    use http_body_util::BodyExt;
    use tokio::io::{AsyncReadExt, DuplexStream, ReadBuf};
    use tokio::time::timeout;

    use super::*;

    const KEY: &str = "backend:80";
    const WAIT: Duration = Duration::from_secs(5);

    /// A duplex stream that can say whether anything is unread, and that
    /// hands out at most `.1` bytes a read.
    struct TestIo(Mutex<DuplexStream>, usize);

    impl TestIo {
        fn io(self: Pin<&mut Self>) -> Pin<&mut DuplexStream> {
            Pin::new(self.get_mut().0.get_mut().unwrap_or_else(PoisonError::into_inner))
        }
    }

    impl AsyncRead for TestIo {
        fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
            let most = self.1;
            if buf.remaining() <= most {
                return self.io().poll_read(cx, buf);
            }
            let mut room = vec![0; most];
            let mut some = ReadBuf::new(&mut room);
            ready!(self.io().poll_read(cx, &mut some))?;
            buf.put_slice(some.filled());
            Poll::Ready(Ok(()))
        }
    }

    impl AsyncWrite for TestIo {
        fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
            self.io().poll_write(cx, buf)
        }
        fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            self.io().poll_flush(cx)
        }
        fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            self.io().poll_shutdown(cx)
        }
    }

    impl Probe for TestIo {
        /// One read that must not be ready: a byte or the end of the stream
        /// means something is unread (the byte is consumed, but then the
        /// connection is discarded anyway).
        fn drained(&self) -> bool {
            let mut io = self.0.lock().unwrap_or_else(PoisonError::into_inner);
            let mut byte = [0u8; 1];
            let mut buf = ReadBuf::new(&mut byte);
            let mut cx = Context::from_waker(Waker::noop());
            Pin::new(&mut *io).poll_read(&mut cx, &mut buf).is_pending()
        }
    }

    /// A fresh connection and the backend's end of it.
    fn pair() -> (Conn<TestIo>, DuplexStream) {
        pair_reading(usize::MAX)
    }

    /// The same, reading at most `most` bytes at a time.
    fn pair_reading(most: usize) -> (Conn<TestIo>, DuplexStream) {
        let (gateway, backend) = tokio::io::duplex(1 << 16);
        (Conn::new(TestIo(Mutex::new(gateway), most)), backend)
    }

    fn request(method: &Method) -> BytesMut {
        let mut out = BytesMut::new();
        encode_request(&mut out, method, "/", "backend", &HeaderMap::new(), b"");
        out
    }

    /// The response to a `method` request on a fresh connection whose
    /// backend has already written `answer`, pooled in `pool`.
    async fn fetch_with(pool: &Pool<TestIo>, method: Method, answer: &[u8], idle: Duration) -> (Response<UpBody<TestIo>>, DuplexStream) {
        let (mut conn, mut backend) = pair();
        backend.write_all(answer).await.unwrap();
        let head = exchange(&mut conn, &request(&method), &method).await.expect("a response head");
        (respond(Some((pool.clone(), KEY.to_string())), conn, head, idle), backend)
    }

    async fn fetch(pool: &Pool<TestIo>, method: Method, answer: &[u8]) -> (Response<UpBody<TestIo>>, DuplexStream) {
        fetch_with(pool, method, answer, WAIT).await
    }

    async fn body(res: Response<UpBody<TestIo>>) -> Result<Bytes, UpError> {
        timeout(WAIT, res.into_body().collect()).await.expect("the body ends or fails").map(|c| c.to_bytes())
    }

    /// What the backend reads until the gateway closes the connection.
    async fn until_closed(backend: &mut DuplexStream) -> Vec<u8> {
        let mut got = Vec::new();
        timeout(WAIT, backend.read_to_end(&mut got)).await.expect("the gateway closed the connection").unwrap();
        got
    }

    // ---- encode_request

    /// The request `encode_request` writes, parsed back.
    fn encoded(
        method: Method,
        target: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> (String, super::super::header::RequestHead, BytesMut) {
        let mut map = HeaderMap::new();
        for (n, v) in headers {
            map.append(header::HeaderName::from_bytes(n.as_bytes()).unwrap(), v.parse().unwrap());
        }
        let mut out = BytesMut::new();
        encode_request(&mut out, &method, target, "backend:8080", &map, body);
        let text = String::from_utf8(out.to_vec()).unwrap();
        let head = super::super::header::parse_request(&mut out).unwrap().expect("a whole head");
        (text, head, out)
    }

    #[test]
    fn encoded_requests_set_host_and_length_and_drop_hop_by_hop_fields() {
        let (text, head, rest) = encoded(
            Method::POST,
            "/p?q=1",
            &[
                ("host", "caller.example"),
                ("content-length", "99"),
                ("transfer-encoding", "chunked"),
                ("expect", "100-continue"),
                ("connection", "keep-alive"),
                ("keep-alive", "timeout=5"),
                ("te", "trailers"),
                ("trailer", "x-t"),
                ("upgrade", "websocket"),
                ("proxy-authorization", "secret"),
                ("proxy-connection", "keep-alive"),
                ("x-keep", "1"),
                ("x-keep", "2"),
                ("accept", "*/*"),
            ],
            b"hello",
        );
        assert!(text.starts_with("POST /p?q=1 HTTP/1.1\r\nhost: backend:8080\r\n"), "{text}");
        assert_eq!(text.matches("content-length").count(), 1, "{text}");
        assert!(text.ends_with("\r\ncontent-length: 5\r\n\r\nhello"), "{text}");
        let names: Vec<&str> = head.headers.keys().map(|k| k.as_str()).collect();
        assert_eq!(names, ["host", "x-keep", "accept", "content-length"]);
        assert_eq!(head.headers.get_all("x-keep").iter().collect::<Vec<_>>(), ["1", "2"]);
        assert_eq!((head.framing, head.keep_alive, head.expect_continue), (Framing::Length(5), true, false));
        assert_eq!(&rest[..], b"hello");
    }

    #[test]
    fn content_length_only_for_bodies_and_methods_that_carry_one() {
        let length = |method: Method, body: &[u8]| {
            encoded(method, "/", &[], body).1.headers.get("content-length").map(|v| v.to_str().unwrap().to_string())
        };
        for m in [Method::POST, Method::PUT, Method::PATCH] {
            assert_eq!(length(m.clone(), b"").as_deref(), Some("0"), "{m}");
            assert_eq!(length(m.clone(), b"abc").as_deref(), Some("3"), "{m}");
        }
        for m in [Method::GET, Method::HEAD, Method::DELETE, Method::OPTIONS] {
            assert_eq!(length(m.clone(), b""), None, "{m}");
            assert_eq!(length(m.clone(), b"abc").as_deref(), Some("3"), "{m}");
        }
        assert!(encoded(Method::GET, "", &[], b"").0.starts_with("GET / HTTP/1.1\r\n"), "an empty target is /");
    }

    // ---- exchange

    #[tokio::test]
    async fn interim_answers_are_skipped() {
        let (mut conn, mut backend) = pair();
        backend
            .write_all(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nlink: </a.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nhi")
            .await
            .unwrap();
        let head = exchange(&mut conn, &request(&Method::GET), &Method::GET).await.unwrap();
        assert_eq!((head.status, head.framing), (StatusCode::OK, Framing::Length(2)));
        assert!(!head.headers.contains_key("link"));
        assert_eq!(&conn.buf[..], b"hi");
        let mut sent = vec![0; 1024];
        let n = backend.read(&mut sent).await.unwrap();
        assert_eq!(&sent[..n], &request(&Method::GET)[..]);
    }

    #[tokio::test]
    async fn interim_answers_in_separate_reads_are_skipped() {
        let (mut conn, mut backend) = pair();
        let answering = async move {
            for piece in
                [&b"HTTP/1.1 100 Continue\r\n"[..], b"\r\n", b"HTTP/1.1 103 Early Hints\r\n\r\nHTTP/1.1 2", b"04 No Content\r\n\r\n"]
            {
                backend.write_all(piece).await.unwrap();
                tokio::task::yield_now().await;
            }
            backend
        };
        let req = request(&Method::GET);
        let (head, _backend) = tokio::join!(exchange(&mut conn, &req, &Method::GET), answering);
        assert_eq!(head.unwrap().status, StatusCode::NO_CONTENT);
    }

    #[tokio::test]
    async fn switching_protocols_is_refused() {
        let (mut conn, mut backend) = pair();
        backend.write_all(b"HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: upgrade\r\n\r\n").await.unwrap();
        let e = exchange(&mut conn, &request(&Method::GET), &Method::GET).await.unwrap_err();
        assert!(matches!(&e, ExchangeError::Failed(why) if why.contains("101")), "{e:?}");
    }

    #[tokio::test]
    async fn no_response_is_told_from_a_failed_one() {
        // Closed before any byte of an answer: the request may be sent again.
        let (mut conn, mut backend) = pair();
        let closing = tokio::spawn(async move {
            let mut b = [0; 1024];
            let _ = backend.read(&mut b).await;
        });
        let e = exchange(&mut conn, &request(&Method::GET), &Method::GET).await.unwrap_err();
        assert!(matches!(e, ExchangeError::NoResponse(_)), "{e:?}");
        closing.await.unwrap();
        // Closed before the request could be written.
        let (mut conn, backend) = pair();
        drop(backend);
        let e = exchange(&mut conn, &request(&Method::GET), &Method::GET).await.unwrap_err();
        assert!(matches!(e, ExchangeError::NotSent(_)), "{e:?}");
        // Closed after part of a head, or after an interim answer: failed.
        for partial in [&b"HTTP/1.1 200 OK\r\ncontent-len"[..], b"HTTP/1.1 100 Continue\r\n\r\n", b"H"] {
            let (mut conn, mut backend) = pair();
            backend.write_all(partial).await.unwrap();
            let closing = tokio::spawn(async move {
                let mut b = [0; 1024];
                let _ = backend.read(&mut b).await;
            });
            let e = exchange(&mut conn, &request(&Method::GET), &Method::GET).await.unwrap_err();
            assert!(matches!(&e, ExchangeError::Failed(why) if why.contains("mid-response")), "{partial:?}: {e:?}");
            closing.await.unwrap();
        }
        // Not HTTP/1 at all.
        for garbage in [
            &b"SSH-2.0-OpenSSH_9.6\r\n\r\n"[..],
            b"HTTP/2 200\r\n\r\n",
            b"HTTP/1.1 200 OK\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\n",
        ] {
            let (mut conn, mut backend) = pair();
            backend.write_all(garbage).await.unwrap();
            let e = exchange(&mut conn, &request(&Method::GET), &Method::GET).await.unwrap_err();
            assert!(matches!(&e, ExchangeError::Failed(why) if why.contains("not valid HTTP/1.1")), "{garbage:?}: {e:?}");
        }
    }

    // ---- respond, UpBody and the pool

    #[tokio::test]
    async fn a_body_that_came_with_its_head_gives_the_connection_back_at_once() {
        let pool = Pool::default();
        let (res, mut backend) = fetch(&pool, Method::GET, b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\nx-b: 1\r\n\r\nhello").await;
        assert_eq!(pool.idle_count(), 1, "pooled before the body is read");
        assert_eq!((res.status(), res.headers()["x-b"].to_str().unwrap()), (StatusCode::OK, "1"));
        assert_eq!(res.body().size_hint().exact(), Some(5));
        assert!(!res.body().is_end_stream());
        assert_eq!(body(res).await.unwrap(), "hello");
        // The same connection carries the next request.
        let mut conn = pool.checkout(KEY).expect("the idle connection");
        assert_eq!(pool.idle_count(), 0);
        let mut sent = vec![0; 1024];
        let n = backend.read(&mut sent).await.unwrap();
        assert_eq!(&sent[..n], &request(&Method::GET)[..]);
        backend.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\nbye").await.unwrap();
        let head = exchange(&mut conn, &request(&Method::GET), &Method::GET).await.unwrap();
        let res = respond(Some((pool.clone(), KEY.to_string())), conn, head, WAIT);
        assert_eq!(body(res).await.unwrap(), "bye");
        assert_eq!(pool.idle_count(), 1);
    }

    #[tokio::test]
    async fn a_length_body_read_in_pieces_gives_the_connection_back_at_its_end() {
        let pool = Pool::default();
        let (res, mut backend) = fetch(&pool, Method::GET, b"HTTP/1.1 200 OK\r\ncontent-length: 11\r\n\r\nhel").await;
        assert_eq!(pool.idle_count(), 0);
        assert_eq!(res.body().size_hint().exact(), Some(11));
        let writing = async {
            for piece in ["lo ", "wor", "ld"] {
                tokio::task::yield_now().await;
                backend.write_all(piece.as_bytes()).await.unwrap();
            }
        };
        let (got, ()) = tokio::join!(body(res), writing);
        assert_eq!(got.unwrap(), "hello world");
        assert_eq!(pool.idle_count(), 1);
        assert!(pool.checkout(KEY).is_some());
    }

    #[tokio::test]
    async fn chunked_bodies_with_trailers_are_decoded_and_pooled_at_their_end() {
        let pool = Pool::default();
        let (res, _backend) = fetch(
            &pool,
            Method::GET,
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5;e=1\r\nhello\r\n6\r\n world\r\n0\r\nx-trailer: t\r\n\r\n",
        )
        .await;
        assert!(!res.headers().contains_key("transfer-encoding"), "framing is the gateway's own");
        assert_eq!(res.body().size_hint().exact(), None);
        assert_eq!(pool.idle_count(), 0);
        assert_eq!(body(res).await.unwrap(), "hello world");
        assert_eq!(pool.idle_count(), 1);
        assert!(pool.checkout(KEY).is_some());
    }

    #[tokio::test]
    async fn a_body_until_the_close_is_never_pooled() {
        let pool = Pool::default();
        let (res, backend) = fetch(&pool, Method::GET, b"HTTP/1.1 200 OK\r\n\r\nall of it").await;
        drop(backend);
        assert_eq!(body(res).await.unwrap(), "all of it");
        assert_eq!(pool.idle_count(), 0);
    }

    #[tokio::test]
    async fn bodiless_answers_read_no_body_and_are_pooled() {
        for (method, answer) in [
            (Method::HEAD, &b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n"[..]),
            (Method::HEAD, b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"),
            (Method::GET, b"HTTP/1.1 204 No Content\r\n\r\n"),
            (Method::GET, b"HTTP/1.1 304 Not Modified\r\ncontent-length: 5\r\n\r\n"),
            (Method::GET, b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"),
        ] {
            let pool = Pool::default();
            let (res, _backend) = fetch(&pool, method.clone(), answer).await;
            assert_eq!(pool.idle_count(), 1, "{method} {:?}", String::from_utf8_lossy(answer));
            assert!(res.body().is_end_stream());
            assert_eq!(res.body().size_hint().exact(), Some(0));
            if method == Method::HEAD && answer.windows(14).any(|w| w == b"content-length") {
                assert_eq!(res.headers()["content-length"], "5", "kept for the caller's HEAD answer");
            }
            assert_eq!(body(res).await.unwrap(), "");
            assert!(pool.checkout(KEY).is_some());
        }
    }

    #[tokio::test]
    async fn stray_bytes_after_the_end_discard_the_connection() {
        // In the same read as the answer.
        for (method, answer) in [
            (Method::HEAD, &b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello"[..]),
            (Method::GET, b"HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 200 OK\r\n\r\n"),
            (Method::GET, b"HTTP/1.1 304 Not Modified\r\n\r\nx"),
            (Method::GET, b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nhiX"),
            (Method::GET, b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\nX"),
        ] {
            let pool = Pool::default();
            let (res, mut backend) = fetch(&pool, method.clone(), answer).await;
            let got = body(res).await.unwrap();
            assert!(got.is_empty() || got == "hi");
            assert_eq!(pool.idle_count(), 0, "{method} {:?}", String::from_utf8_lossy(answer));
            assert_eq!(until_closed(&mut backend).await, request(&method).to_vec());
        }
        // Later, while the connection is idle: found when it is taken out.
        for (method, answer) in [
            (Method::HEAD, &b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n"[..]),
            (Method::GET, b"HTTP/1.1 204 No Content\r\n\r\n"),
            (Method::GET, b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nhi"),
        ] {
            let pool = Pool::default();
            let (res, mut backend) = fetch(&pool, method.clone(), answer).await;
            body(res).await.unwrap();
            assert_eq!(pool.idle_count(), 1);
            backend.write_all(b"hello").await.unwrap();
            assert!(pool.checkout(KEY).is_none(), "{method} {:?}", String::from_utf8_lossy(answer));
            assert_eq!(pool.idle_count(), 0);
            until_closed(&mut backend).await;
        }
        // A backend that closed the idle connection.
        let pool = Pool::default();
        let (res, backend) = fetch(&pool, Method::GET, b"HTTP/1.1 204 No Content\r\n\r\n").await;
        body(res).await.unwrap();
        drop(backend);
        assert!(pool.checkout(KEY).is_none());
    }

    #[tokio::test]
    async fn a_stray_byte_still_in_the_socket_when_the_body_ends_is_found_before_reuse() {
        // Each read stops exactly at the body's end, so the stray byte is not
        // in the buffer but in the stream: only the probe can see it.
        for (answer, end) in [
            (&b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nhi"[..], "hi"),
            (b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n", "hi"),
            (b"HTTP/1.1 204 No Content\r\n\r\n", ""),
        ] {
            for stray in [true, false] {
                let pool = Pool::default();
                let (mut conn, mut backend) = pair_reading(answer.len());
                backend.write_all(answer).await.unwrap();
                if stray {
                    backend.write_all(b"X").await.unwrap();
                }
                let head = exchange(&mut conn, &request(&Method::GET), &Method::GET).await.unwrap();
                let res = respond(Some((pool.clone(), KEY.to_string())), conn, head, WAIT);
                assert_eq!(body(res).await.unwrap(), end);
                // Kept by its buffer, the socket is peeked when it is taken out again.
                assert!(pool.checkout(KEY).is_some() != stray, "stray {stray}: {:?}", String::from_utf8_lossy(answer));
            }
        }
        // The same when the body and its end arrive over several small reads.
        let pool = Pool::default();
        let (mut conn, mut backend) = pair_reading(5);
        backend.write_all(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n").await.unwrap();
        let head = exchange(&mut conn, &request(&Method::GET), &Method::GET).await.unwrap();
        let mut b = respond(Some((pool.clone(), KEY.to_string())), conn, head, WAIT).into_body();
        backend.write_all(b"2\r\nhi\r\n").await.unwrap();
        assert_eq!(b.frame().await.unwrap().unwrap().into_data().unwrap(), "hi");
        backend.write_all(b"0\r\n\r\nX").await.unwrap();
        assert!(b.frame().await.is_none());
        assert!(pool.checkout(KEY).is_none(), "the stray byte is found when the connection is taken out");
    }

    #[tokio::test]
    async fn answers_that_end_the_connection_are_not_pooled() {
        for answer in [
            &b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nhi"[..],
            b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: keep-alive, Close\r\n\r\nhi",
            b"HTTP/1.0 200 OK\r\ncontent-length: 2\r\n\r\nhi",
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: gzip\r\n\r\nhi",
        ] {
            let pool = Pool::default();
            let (res, backend) = fetch(&pool, Method::GET, answer).await;
            if answer.windows(4).any(|w| w == b"gzip") {
                drop(backend);
                assert_eq!(body(res).await.unwrap(), "hi", "an unknown coding: read until the close");
            } else {
                assert_eq!(body(res).await.unwrap(), "hi");
                drop(backend);
            }
            assert_eq!(pool.idle_count(), 0, "{:?}", String::from_utf8_lossy(answer));
        }
        // HTTP/1.0 that asks to stay open may.
        let pool = Pool::default();
        let (res, _backend) = fetch(&pool, Method::GET, b"HTTP/1.0 200 OK\r\ncontent-length: 2\r\nconnection: keep-alive\r\n\r\nhi").await;
        assert_eq!(body(res).await.unwrap(), "hi");
        assert_eq!(pool.idle_count(), 1);
    }

    #[tokio::test]
    async fn both_framings_chunked_wins_and_the_connection_is_not_reused() {
        let pool = Pool::default();
        let (res, mut backend) =
            fetch(&pool, Method::GET, b"HTTP/1.1 200 OK\r\ncontent-length: 3\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
                .await;
        assert!(!res.headers().contains_key("content-length"));
        assert_eq!(body(res).await.unwrap(), "abc");
        assert_eq!(pool.idle_count(), 0);
        until_closed(&mut backend).await;
    }

    #[tokio::test]
    async fn a_body_dropped_before_its_end_closes_the_connection() {
        for answer in
            [&b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc"[..], b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n"]
        {
            let pool = Pool::default();
            let (res, mut backend) = fetch(&pool, Method::GET, answer).await;
            let mut b = res.into_body();
            assert_eq!(b.frame().await.unwrap().unwrap().into_data().unwrap(), "abc");
            drop(b);
            assert_eq!(pool.idle_count(), 0);
            assert_eq!(until_closed(&mut backend).await, request(&Method::GET).to_vec());
        }
        // A whole body that came with its head was already given back: dropping it unread changes nothing.
        let pool = Pool::default();
        let (res, _backend) = fetch(&pool, Method::GET, b"HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\nabc").await;
        drop(res);
        assert_eq!(pool.idle_count(), 1);
    }

    #[tokio::test]
    async fn a_stalled_body_fails_after_the_idle_pause() {
        let idle = Duration::from_millis(100);
        let pool = Pool::default();
        let (res, mut backend) = fetch_with(&pool, Method::GET, b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc", idle).await;
        let mut b = res.into_body();
        assert_eq!(b.frame().await.unwrap().unwrap().into_data().unwrap(), "abc");
        let at = tokio::time::Instant::now();
        // Bytes that keep coming reset the pause.
        let trickle = async {
            for _ in 0..3 {
                tokio::time::sleep(idle / 2).await;
                backend.write_all(b"x").await.unwrap();
            }
        };
        let reading = async {
            let mut got = Vec::new();
            loop {
                match b.frame().await {
                    Some(Ok(f)) => got.extend_from_slice(&f.into_data().unwrap()),
                    Some(Err(e)) => return (got, e),
                    None => panic!("ended early"),
                }
            }
        };
        let ((got, e), ()) = tokio::join!(reading, trickle);
        assert_eq!(got, b"xxx");
        assert!(matches!(e, UpError::Stalled), "{e:?}");
        assert!(at.elapsed() >= idle * 3 / 2 + idle - Duration::from_millis(10), "{:?}", at.elapsed());
        assert!(b.frame().await.is_none(), "nothing after the failure");
        assert_eq!(pool.idle_count(), 0);
        until_closed(&mut backend).await;
    }

    #[tokio::test]
    async fn a_truncated_body_is_an_error_not_an_end() {
        for answer in [
            &b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc"[..],
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhel",
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n",
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n",
        ] {
            let pool = Pool::default();
            let (res, backend) = fetch(&pool, Method::GET, answer).await;
            drop(backend);
            let e = body(res).await.unwrap_err();
            assert!(matches!(e, UpError::Body(BodyError::Incomplete)), "{:?}: {e:?}", String::from_utf8_lossy(answer));
            assert_eq!(pool.idle_count(), 0);
        }
        let pool = Pool::default();
        let (res, _backend) = fetch(&pool, Method::GET, b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n").await;
        assert!(matches!(body(res).await.unwrap_err(), UpError::Body(BodyError::Malformed(_))));
        assert_eq!(pool.idle_count(), 0);
    }

    #[tokio::test]
    async fn without_a_pool_the_connection_is_closed_at_the_end() {
        let (mut conn, mut backend) = pair();
        backend.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nhi").await.unwrap();
        let head = exchange(&mut conn, &request(&Method::GET), &Method::GET).await.unwrap();
        let res = respond(None, conn, head, WAIT);
        assert_eq!(body(res).await.unwrap(), "hi");
        until_closed(&mut backend).await;
    }

    #[tokio::test]
    async fn the_pool_keeps_connections_per_backend_newest_first() {
        let pool: Pool<TestIo> = Pool::default();
        let (a, _ba) = pair();
        let (b, mut bb) = pair();
        let (c, _bc) = pair();
        pool.put("a:1", a);
        pool.put("a:1", b);
        pool.put("c:1", c);
        assert_eq!(pool.idle_count(), 3);
        assert!(pool.checkout("nobody:1").is_none());
        let mut newest = pool.checkout("a:1").unwrap();
        newest.io.write_all(b"which").await.unwrap();
        let mut got = [0; 5];
        bb.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"which");
        assert_eq!(pool.idle_count(), 2);
        // A connection with bytes left in its buffer is refused.
        let (mut d, _bd) = pair();
        d.buf.extend_from_slice(b"x");
        pool.put("a:1", d);
        assert_eq!(pool.idle_count(), 2);
    }
}
