//! A lean HTTP/1.1 client for http:// backends, used on the gateway's hot
//! path instead of hyper's pooled client. Keep-alive connections wait in a
//! pool (one per worker thread); a request goes out in one write when it has
//! no body; the response head is parsed with httparse; and the response body
//! is read straight from the backend's socket by the task that sends it on
//! to the caller: no connection task, no channels, no extra wake-ups.
//! Measured on the benchmark machine: a proxied request went from 36–38 µs
//! to 26–29 µs of CPU with this client in place of hyper's (README,
//! Performance).
//! https:// backends still go through hyper's client (see `proxy`).

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{ready, Context, Poll};
use std::time::{Duration, Instant};

use bytes::{Buf, BufMut, Bytes, BytesMut};
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, Request, Response, StatusCode, Uri, Version};
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::head::Gather;
use super::proxy::header_tokens;
use super::{BoxError, GwBody};
use crate::FastMap;

/// How long an idle connection is kept for reuse.
const IDLE_TIMEOUT: Duration = Duration::from_secs(90);
/// A connection idle for longer than this is checked for a close by the
/// backend before it is reused (most backends close idle connections after
/// a few seconds; checking costs a system call, so fresh ones are not).
const CHECK_AFTER: Duration = Duration::from_millis(250);
/// Idle connections kept per backend host and port.
const MAX_IDLE_PER_HOST: usize = 1024;
/// Largest response head (status line and headers) accepted.
const MAX_HEAD: usize = 64 * 1024;
/// Most response headers accepted.
const MAX_HEADERS: usize = 100;
/// Longest chunk-size or trailer line accepted in a chunked body.
const MAX_LINE: usize = 4096;
/// Read size while a head or body is incomplete.
const READ_CHUNK: usize = 16 * 1024;

/// Why a request got no response.
#[derive(Debug)]
pub enum SendError {
    /// The request body passed its size limit while streaming.
    TooLarge,
    /// Unreachable, refused, reset, closed, or not HTTP/1.
    Failed(String),
}

impl SendError {
    fn io(what: &str, e: io::Error) -> Self {
        SendError::Failed(format!("{what}: {e}"))
    }
}

/// One connection to a backend, and what has been read from it but not yet
/// used.
pub(super) struct Conn {
    stream: TcpStream,
    pub(super) buf: BytesMut,
}

#[cfg(test)]
impl Conn {
    /// A connection whose buffer already holds `buf`.
    pub(super) fn for_test(stream: TcpStream, buf: BytesMut) -> Self {
        Conn { stream, buf }
    }
}

/// Idle connections per backend `host:port`, newest last, with when each was put back.
type IdleConns = FastMap<String, VecDeque<(Conn, Instant)>>;

/// Idle keep-alive connections by backend `host:port`. Cheap to clone.
#[derive(Clone, Default)]
pub struct Pool {
    idle: Arc<Mutex<IdleConns>>,
}

impl Pool {
    /// The most recently used idle connection to `key` that is still open.
    fn checkout(&self, key: &str) -> Option<Conn> {
        let now = Instant::now();
        loop {
            let (conn, since) = {
                let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
                idle.get_mut(key)?.pop_back()?
            };
            let idle_for = now.saturating_duration_since(since);
            if idle_for >= IDLE_TIMEOUT {
                continue;
            }
            if idle_for >= CHECK_AFTER && !still_open(&conn.stream) {
                continue;
            }
            return Some(conn);
        }
    }

    /// Keeps `conn` for the next request to `key`, unless it holds bytes
    /// no response has claimed (then it cannot be reused).
    pub(super) fn put(&self, key: &str, conn: Conn) {
        self.put_at(key, conn, Instant::now());
    }

    /// `put`, with the time already read.
    pub(super) fn put_at(&self, key: &str, conn: Conn, now: Instant) {
        if !conn.buf.is_empty() {
            return;
        }
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        let list = match idle.get_mut(key) {
            Some(l) => l,
            None => idle.entry(key.to_string()).or_default(),
        };
        while list.front().is_some_and(|(_, since)| now.saturating_duration_since(*since) >= IDLE_TIMEOUT) {
            list.pop_front();
        }
        if list.len() < MAX_IDLE_PER_HOST {
            list.push_back((conn, now));
        }
    }

    /// Idle connections held (for tests).
    #[cfg(test)]
    fn idle_count(&self) -> usize {
        self.idle.lock().unwrap_or_else(|p| p.into_inner()).values().map(VecDeque::len).sum()
    }

    /// Sends `req` to its http:// URI and returns the response once its
    /// head has arrived; the body then streams from the connection. A reused
    /// connection that turns out to be closed is replaced once, for a
    /// request without a body (one with a body may have been half sent).
    pub async fn send(&self, req: Request<GwBody>) -> Result<Response<UpBody>, SendError> {
        let (parts, mut body) = req.into_parts();
        let uri = &parts.uri;
        let host = uri.host().ok_or_else(|| SendError::Failed(format!("{uri}: no host")))?;
        let port = uri.port_u16().unwrap_or(80);
        let key = match uri.port() {
            Some(_) => uri.authority().map_or(host, |a| a.as_str()),
            None => host,
        };
        let replayable = body.is_end_stream();
        let mut head = BytesMut::with_capacity(512);
        let chunked = write_head(&mut head, &parts.method, uri, key, &parts.headers, &body);
        let mut has_body = false;
        if !replayable {
            // Send the head with the first piece of the body (often already here).
            if let Some(data) = next_data(&mut body).await? {
                put_chunk(&mut head, &data, chunked);
                has_body = true;
            } else if chunked {
                head.put_slice(b"0\r\n\r\n");
            }
        }
        let rest = has_body.then_some((&mut body, chunked));
        let mut conn = self.exchange(key, host, port, &head, rest, replayable).await?;
        let head = read_head(&mut conn).await?;
        Ok(build(self, key, conn, &parts.method, head))
    }

    /// Sends a request whose head (and whole body, if any) is in `head`,
    /// and returns the connection once the response's first bytes are in
    /// its buffer. `key` is the backend's `host:port` as pooled. As in
    /// `send`, only a request without a body is sent again on a new
    /// connection when a pooled one turns out to be closed.
    pub(super) async fn send_raw(&self, key: &str, host: &str, port: u16, head: &[u8], has_body: bool) -> Result<Conn, SendError> {
        self.exchange(key, host, port, head, None, !has_body).await
    }

    /// Writes `head`, then the rest of a streamed body (`rest`: the body and
    /// whether it goes chunked), on a pooled connection or a new one, and
    /// waits for the answer's first bytes. A reused connection that turns
    /// out to be closed is replaced once if the request can be sent again
    /// (`replayable`: no body was streamed).
    async fn exchange(
        &self,
        key: &str,
        host: &str,
        port: u16,
        head: &[u8],
        mut rest: Option<(&mut GwBody, bool)>,
        replayable: bool,
    ) -> Result<Conn, SendError> {
        let mut reused = true;
        let mut conn = match self.checkout(key) {
            Some(c) => c,
            None => {
                reused = false;
                connect(host, port).await?
            }
        };
        loop {
            match exchange(&mut conn, head, rest.as_mut().map(|(b, c)| (&mut **b, *c))).await {
                Ok(()) => return Ok(conn),
                Err(Exchange::Closed(why)) if reused && replayable => {
                    tracing::debug!(backend = key, %why, "idle backend connection was closed; reconnecting");
                    reused = false;
                    conn = connect(host, port).await?;
                }
                Err(Exchange::Closed(why)) => return Err(SendError::Failed(why)),
                Err(Exchange::Failed(e)) => return Err(e),
            }
        }
    }
}

/// Whether an idle connection is still open: no end-of-stream and no
/// unexpected bytes waiting on it.
fn still_open(stream: &TcpStream) -> bool {
    let mut probe = [0u8; 1];
    matches!(stream.try_read(&mut probe), Err(e) if e.kind() == io::ErrorKind::WouldBlock)
}

async fn connect(host: &str, port: u16) -> Result<Conn, SendError> {
    let target = host.trim_start_matches('[').trim_end_matches(']');
    let stream = TcpStream::connect((target, port))
        .await
        .map_err(|e| SendError::io(&format!("connecting to {host}:{port}"), e))?;
    let _ = stream.set_nodelay(true);
    Ok(Conn { stream, buf: BytesMut::with_capacity(READ_CHUNK) })
}

/// The next piece of data from a request body, skipping trailers.
async fn next_data(body: &mut GwBody) -> Result<Option<Bytes>, SendError> {
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(request_body_error)?;
        if let Ok(data) = frame.into_data() {
            if !data.is_empty() {
                return Ok(Some(data));
            }
        }
    }
    Ok(None)
}

fn request_body_error(e: BoxError) -> SendError {
    if super::proxy::is_length_limit(&*e) {
        return SendError::TooLarge;
    }
    SendError::Failed(format!("reading the request body: {e}"))
}

/// Request line, headers and framing. Connection-level headers are the
/// caller's business (`proxy` strips them); the length and framing are set
/// here from the body. Returns whether the body goes chunked (its length is
/// not known up front).
fn write_head(out: &mut BytesMut, method: &Method, uri: &Uri, host: &str, headers: &HeaderMap, body: &GwBody) -> bool {
    let mut head = Gather::new(out);
    head.put(method.as_str().as_bytes());
    head.put(b" ");
    head.put(uri.path_and_query().map_or("/", |p| p.as_str()).as_bytes());
    head.put(b" HTTP/1.1\r\n");
    head.field(b"host", host.as_bytes());
    for (name, value) in headers {
        if !matches!(*name, header::HOST | header::CONTENT_LENGTH | header::TRANSFER_ENCODING | header::CONNECTION | header::EXPECT) {
            head.field(name.as_str().as_bytes(), value.as_bytes());
        }
    }
    let mut chunked = false;
    if body.is_end_stream() {
        if matches!(*method, Method::POST | Method::PUT | Method::PATCH) {
            head.put(b"content-length: 0\r\n");
        }
    } else if let Some(n) = body.size_hint().exact() {
        head.number(b"content-length", n);
    } else {
        head.put(b"transfer-encoding: chunked\r\n");
        chunked = true;
    }
    head.put(b"\r\n");
    chunked
}

/// `data` as it goes on the wire: as it is, or as one chunk of a chunked body.
pub(super) fn put_chunk(out: &mut BytesMut, data: &[u8], chunked: bool) {
    if chunked {
        // Writing to a BytesMut cannot fail.
        let _ = write!(out, "{:x}\r\n", data.len());
        out.put_slice(data);
        out.put_slice(b"\r\n");
    } else {
        out.put_slice(data);
    }
}

enum Exchange {
    /// The connection was found closed before any response byte arrived.
    Closed(String),
    Failed(SendError),
}

/// Writes the head (with the body's first piece, if any), then the rest of
/// the body (`rest`: the body, if there is more, and whether it goes chunked), then
/// waits for the first bytes of the answer in `conn.buf` (none at all is
/// how a pooled connection the backend closed shows itself).
async fn exchange(conn: &mut Conn, head: &[u8], rest: Option<(&mut GwBody, bool)>) -> Result<(), Exchange> {
    if let Err(e) = conn.stream.write_all(head).await {
        return Err(Exchange::Closed(format!("sending the request: {e}")));
    }
    if let Some((body, chunked)) = rest {
        let mut out = BytesMut::new();
        loop {
            let data = next_data(body).await.map_err(Exchange::Failed)?;
            out.clear();
            match &data {
                Some(d) => put_chunk(&mut out, d, chunked),
                None => {
                    if chunked {
                        out.put_slice(b"0\r\n\r\n");
                    }
                }
            }
            if !out.is_empty() {
                conn.stream.write_all(&out).await.map_err(|e| Exchange::Failed(SendError::io("sending the request body", e)))?;
            }
            if data.is_none() {
                break;
            }
        }
    }
    conn.buf.clear();
    make_room(&mut conn.buf);
    match conn.stream.read_buf(&mut conn.buf).await {
        Ok(0) => Err(Exchange::Closed("the backend closed the connection without answering".into())),
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::ConnectionReset => Err(Exchange::Closed(format!("reading the response: {e}"))),
        Err(e) => Err(Exchange::Failed(SendError::io("reading the response", e))),
    }
}

/// Makes room to read into `buf` when it has little left.
pub(super) fn make_room(buf: &mut BytesMut) {
    if buf.capacity() - buf.len() < 1024 {
        buf.reserve(READ_CHUNK);
    }
}

/// Parses the response head in `conn.buf`, reading more as needed and
/// skipping any 1xx.
pub(super) async fn read_head(conn: &mut Conn) -> Result<Head, SendError> {
    loop {
        match parse_head(&conn.buf)? {
            Parsed::Partial => {
                if conn.buf.len() > MAX_HEAD {
                    return Err(SendError::Failed(format!("response head larger than {MAX_HEAD} bytes")));
                }
                make_room(&mut conn.buf);
                match conn.stream.read_buf(&mut conn.buf).await {
                    Ok(0) => return Err(SendError::Failed("the backend closed the connection mid-response".into())),
                    Ok(_) => continue,
                    Err(e) => return Err(SendError::io("reading the response", e)),
                }
            }
            Parsed::Interim(len) => conn.buf.advance(len),
            Parsed::Head(h) => return Ok(h),
        }
    }
}

/// What `parse_head` found.
enum Parsed {
    Partial,
    /// A 1xx response of this many bytes, to skip.
    Interim(usize),
    Head(Head),
}

/// A header's place in a buffer: name start and end, value start and end.
pub(super) type Field = (usize, usize, usize, usize);

/// A head's fields, in a `Vec` taken from a per-thread stash and given back
/// to it when dropped: each request and each backend response had one
/// allocated and freed, two of a proxied request's four allocations.
#[derive(Debug)]
pub(super) struct Fields(Vec<Field>);

/// Vectors kept per thread, and the largest kept (a head with many fields
/// gives its room back to the allocator).
const SPARE_FIELDS: usize = 64;
const SPARE_FIELD_ROOM: usize = 64;

thread_local! {
    static SPARE: std::cell::RefCell<Vec<Vec<Field>>> = const { std::cell::RefCell::new(Vec::new()) };
}

impl Fields {
    /// Empty, with the room of a vector used before on this thread if there is one.
    pub(super) fn new() -> Self {
        Fields(SPARE.with(|s| s.borrow_mut().pop()).unwrap_or_default())
    }
}

impl Drop for Fields {
    fn drop(&mut self) {
        let mut v = std::mem::take(&mut self.0);
        if v.capacity() == 0 || v.capacity() > SPARE_FIELD_ROOM {
            return;
        }
        v.clear();
        // At the thread's end the stash may be gone: then the vector is just freed.
        let _ = SPARE.try_with(|s| {
            let mut s = s.borrow_mut();
            if s.len() < SPARE_FIELDS {
                s.push(v);
            }
        });
    }
}

impl std::ops::Deref for Fields {
    type Target = Vec<Field>;
    fn deref(&self) -> &Vec<Field> {
        &self.0
    }
}

impl std::ops::DerefMut for Fields {
    fn deref_mut(&mut self) -> &mut Vec<Field> {
        &mut self.0
    }
}

impl<'a> IntoIterator for &'a Fields {
    type Item = &'a Field;
    type IntoIter = std::slice::Iter<'a, Field>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// A parsed response head: positions into the connection's buffer.
pub(super) struct Head {
    pub(super) len: usize,
    pub(super) status: StatusCode,
    pub(super) version: Version,
    pub(super) fields: Fields,
}

fn parse_head(buf: &[u8]) -> Result<Parsed, SendError> {
    let mut headers = [const { std::mem::MaybeUninit::uninit() }; MAX_HEADERS];
    let mut res = httparse::Response::new(&mut []);
    let len = match httparse::ParserConfig::default().parse_response_with_uninit_headers(&mut res, buf, &mut headers) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Ok(Parsed::Partial),
        Err(e) => return Err(SendError::Failed(format!("the backend's response is not valid HTTP/1.1: {e}"))),
    };
    let code = res.code.unwrap_or(0);
    let status = StatusCode::from_u16(code).map_err(|_| SendError::Failed(format!("the backend answered status {code}")))?;
    if status == StatusCode::SWITCHING_PROTOCOLS {
        return Err(SendError::Failed("the backend switched protocols (101), which the gateway does not pass on".into()));
    }
    if status.is_informational() {
        return Ok(Parsed::Interim(len));
    }
    let base = buf.as_ptr() as usize;
    let mut fields = Fields::new();
    fields.extend(res.headers.iter().map(|h| field_at(base, h.name, h.value)));
    let version = if res.version == Some(0) { Version::HTTP_10 } else { Version::HTTP_11 };
    Ok(Parsed::Head(Head { len, status, version, fields }))
}

/// Where a parsed header's name and value lie in a buffer starting at `base`.
pub(super) fn field_at(base: usize, name: &str, value: &[u8]) -> Field {
    let n = name.as_ptr() as usize - base;
    let v = value.as_ptr() as usize - base;
    (n, n + name.len(), v, v + value.len())
}

/// The header at `f` in `head`, sharing its bytes; `None` if it is not a valid one.
pub(super) fn field(head: &Bytes, (ns, ne, vs, ve): Field) -> Option<(HeaderName, HeaderValue)> {
    Some((HeaderName::from_bytes(&head[ns..ne]).ok()?, HeaderValue::from_maybe_shared(head.slice(vs..ve)).ok()?))
}

/// The response around a body that reads the rest from `conn`.
pub(super) fn build(pool: &Pool, key: &str, mut conn: Conn, method: &Method, h: Head) -> Response<UpBody> {
    let head = conn.buf.split_to(h.len).freeze();
    // Room for what the gateway adds (request id, limit headers) without regrowing.
    let mut headers = HeaderMap::with_capacity(h.fields.len() + 8);
    for &f in &h.fields {
        if let Some((name, value)) = field(&head, f) {
            headers.append(name, value);
        }
    }
    let mut keep_alive = match h.version {
        Version::HTTP_10 => has_token(&headers, header::CONNECTION, "keep-alive"),
        _ => !has_token(&headers, header::CONNECTION, "close"),
    };
    let state = if *method == Method::HEAD || h.status == StatusCode::NO_CONTENT || h.status == StatusCode::NOT_MODIFIED {
        State::Done
    } else if headers.contains_key(header::TRANSFER_ENCODING) {
        // Both framings at once is how responses get smuggled: trust the
        // transfer coding, and do not reuse the connection (RFC 9112, 6.3).
        if headers.remove(header::CONTENT_LENGTH).is_some() {
            keep_alive = false;
        }
        if last_token_is(&headers, header::TRANSFER_ENCODING, "chunked") {
            State::Chunked(Chunk::Size)
        } else {
            State::UntilClose
        }
    } else {
        match content_length(&headers) {
            Some(n) => State::Length(n),
            None => State::UntilClose,
        }
    };
    headers.remove(header::TRANSFER_ENCODING);
    if matches!(state, State::UntilClose) {
        keep_alive = false;
    }
    let mut body = UpBody { conn: Some(conn), state, pool: None, keep_alive, ready: None };
    // Most small bodies arrive with the head: take them now and give the
    // connection back at once.
    if let State::Length(n) = state {
        let buf = body.buf();
        if buf.len() as u64 >= n {
            let data = buf.split_to(n as usize).freeze();
            body.ready = (n > 0).then_some(data);
            body.state = State::Done;
        }
    }
    match body.state {
        State::Done => {
            if let Some(conn) = body.conn.take().filter(|_| body.keep_alive) {
                pool.put(key, conn);
            }
        }
        _ => body.pool = Some((pool.clone(), key.to_string())),
    }
    let mut res = Response::new(body);
    // The version stays HTTP/1.1: the gateway speaks its own to the caller.
    *res.status_mut() = h.status;
    *res.headers_mut() = headers;
    res
}

fn has_token(headers: &HeaderMap, name: HeaderName, token: &str) -> bool {
    header_tokens(headers, name).any(|t| t.eq_ignore_ascii_case(token))
}

fn last_token_is(headers: &HeaderMap, name: HeaderName, token: &str) -> bool {
    header_tokens(headers, name).last().is_some_and(|t| t.eq_ignore_ascii_case(token))
}

/// The declared length; several differing values count as none (read to
/// close), as an unreadable one does.
fn content_length(headers: &HeaderMap) -> Option<u64> {
    let mut found = None;
    for v in headers.get_all(header::CONTENT_LENGTH) {
        let n = v.to_str().ok()?.trim().parse::<u64>().ok()?;
        if found.is_some_and(|f| f != n) {
            return None;
        }
        found = Some(n);
    }
    found
}

/// Where a response body is in its framing.
#[derive(Clone, Copy, Debug)]
enum State {
    /// This many bytes left.
    Length(u64),
    Chunked(Chunk),
    /// Until the backend closes the connection.
    UntilClose,
    Done,
}

#[derive(Clone, Copy, Debug)]
enum Chunk {
    /// Expecting a chunk-size line.
    Size,
    /// Inside a chunk, this many bytes left.
    Data(u64),
    /// Expecting the CRLF after a chunk.
    DataEnd,
    /// After the last chunk: trailer lines until a blank one.
    Trailer,
}

/// A response body read from the backend connection as the caller's side
/// asks for it. When it has been read to its end the connection goes back
/// to the pool; dropped before that, the connection is closed.
pub struct UpBody {
    conn: Option<Conn>,
    state: State,
    /// Where the connection goes back, once the body is done.
    pool: Option<(Pool, String)>,
    keep_alive: bool,
    /// The whole body, when it came with the head.
    ready: Option<Bytes>,
}

impl UpBody {
    /// The body is complete: hand the connection back.
    fn finish(&mut self) {
        self.state = State::Done;
        if let (Some(conn), Some((pool, key))) = (self.conn.take(), self.pool.take()) {
            if self.keep_alive {
                pool.put(&key, conn);
            }
        }
    }

    /// Reads more from the backend into the buffer; `Ok(0)` at its end.
    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let Some(conn) = self.conn.as_mut() else { return Poll::Ready(Ok(0)) };
        loop {
            make_room(&mut conn.buf);
            match conn.stream.try_read_buf(&mut conn.buf) {
                Ok(n) => return Poll::Ready(Ok(n)),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => ready!(conn.stream.poll_read_ready(cx))?,
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }

    fn buf(&mut self) -> &mut BytesMut {
        &mut self.conn.as_mut().expect("a body that is not done has its connection").buf
    }
}

fn eof() -> io::Error {
    io::Error::new(io::ErrorKind::UnexpectedEof, "the backend closed the connection before the end of the body")
}

impl Body for UpBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let this = &mut *self;
        if let Some(data) = this.ready.take() {
            return Poll::Ready(Some(Ok(Frame::data(data))));
        }
        loop {
            match this.state {
                State::Done => return Poll::Ready(None),
                State::Length(0) => {
                    this.finish();
                    return Poll::Ready(None);
                }
                State::Length(left) => {
                    let buf = this.buf();
                    if !buf.is_empty() {
                        let n = (buf.len() as u64).min(left) as usize;
                        let data = buf.split_to(n).freeze();
                        this.state = State::Length(left - n as u64);
                        if left == n as u64 {
                            this.finish();
                        }
                        return Poll::Ready(Some(Ok(Frame::data(data))));
                    }
                    if ready!(this.poll_fill(cx))? == 0 {
                        this.conn = None;
                        return Poll::Ready(Some(Err(eof())));
                    }
                }
                State::UntilClose => {
                    let buf = this.buf();
                    if !buf.is_empty() {
                        let data = buf.split().freeze();
                        return Poll::Ready(Some(Ok(Frame::data(data))));
                    }
                    if ready!(this.poll_fill(cx))? == 0 {
                        this.state = State::Done;
                        this.conn = None;
                        return Poll::Ready(None);
                    }
                }
                State::Chunked(chunk) => match step_chunked(this.buf(), chunk)? {
                    Step::Data(data, next) => {
                        this.state = State::Chunked(next);
                        return Poll::Ready(Some(Ok(Frame::data(data))));
                    }
                    Step::Next(next) => this.state = State::Chunked(next),
                    Step::End => {
                        this.finish();
                        return Poll::Ready(None);
                    }
                    Step::More => {
                        if ready!(this.poll_fill(cx))? == 0 {
                            this.conn = None;
                            return Poll::Ready(Some(Err(eof())));
                        }
                    }
                },
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.ready.is_none() && matches!(self.state, State::Done | State::Length(0))
    }

    fn size_hint(&self) -> SizeHint {
        let ready = self.ready.as_ref().map_or(0, |d| d.len() as u64);
        match self.state {
            State::Done => SizeHint::with_exact(ready),
            State::Length(n) => SizeHint::with_exact(n + ready),
            _ => SizeHint::default(),
        }
    }
}

/// One step of chunked decoding over what the buffer holds.
enum Step {
    Data(Bytes, Chunk),
    Next(Chunk),
    End,
    More,
}

fn bad_chunk(why: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("the backend's chunked body is malformed: {why}"))
}

/// Takes one line (without its CRLF) off the front of `buf`, if complete.
fn take_line(buf: &mut BytesMut) -> io::Result<Option<BytesMut>> {
    match buf.iter().position(|&b| b == b'\n') {
        Some(i) => {
            let mut line = buf.split_to(i + 1);
            line.truncate(i);
            if line.last() == Some(&b'\r') {
                line.truncate(i - 1);
            }
            Ok(Some(line))
        }
        None if buf.len() > MAX_LINE => Err(bad_chunk("line too long")),
        None => Ok(None),
    }
}

fn step_chunked(buf: &mut BytesMut, chunk: Chunk) -> io::Result<Step> {
    match chunk {
        Chunk::Size => {
            let Some(line) = take_line(buf)? else { return Ok(Step::More) };
            let digits = line[..].split(|&b| b == b';' || b == b' ' || b == b'\t').next().unwrap_or(&[]);
            let text = std::str::from_utf8(digits).map_err(|_| bad_chunk("size is not hexadecimal"))?;
            let size = u64::from_str_radix(text, 16).map_err(|_| bad_chunk("size is not hexadecimal"))?;
            Ok(Step::Next(if size == 0 { Chunk::Trailer } else { Chunk::Data(size) }))
        }
        Chunk::Data(left) => {
            if buf.is_empty() {
                return Ok(Step::More);
            }
            let n = (buf.len() as u64).min(left) as usize;
            let data = buf.split_to(n).freeze();
            let next = if left == n as u64 { Chunk::DataEnd } else { Chunk::Data(left - n as u64) };
            Ok(Step::Data(data, next))
        }
        Chunk::DataEnd => {
            let Some(line) = take_line(buf)? else { return Ok(Step::More) };
            if !line.is_empty() {
                return Err(bad_chunk("no line break after a chunk"));
            }
            Ok(Step::Next(Chunk::Size))
        }
        Chunk::Trailer => {
            let Some(line) = take_line(buf)? else { return Ok(Step::More) };
            Ok(if line.is_empty() { Step::End } else { Step::Next(Chunk::Trailer) })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gateway::proxy::full;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::net::TcpListener;

    #[test]
    fn field_lists_take_the_room_of_those_dropped_before_on_the_thread() {
        // A thread of its own: its stash starts empty.
        std::thread::spawn(|| {
            let mut a = Fields::new();
            a.extend([(0, 1, 2, 3); 10]);
            let room = a.as_ptr();
            drop(a);
            let b = Fields::new();
            assert!(b.is_empty(), "a reused list starts empty");
            assert_eq!(b.as_ptr(), room, "the dropped list's room is used again");
            drop(b);
            let mut big = Fields::new();
            big.extend(std::iter::repeat((0, 0, 0, 0)).take(SPARE_FIELD_ROOM + 1));
            drop(big);
            assert_eq!(Fields::new().capacity(), 0, "a list grown past the limit is not kept");
        })
        .join()
        .unwrap();
    }

    /// A backend that answers each request on a connection with the next
    /// of `answers` (raw bytes), then closes the connection if `close` is
    /// set. Returns its address, the requests it saw (raw), and how many
    /// connections it accepted.
    async fn backend(answers: Vec<&'static str>, close: bool) -> (String, Arc<Mutex<Vec<String>>>, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let conns = Arc::new(AtomicUsize::new(0));
        let (seen2, conns2) = (seen.clone(), conns.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut s, _)) = listener.accept().await else { return };
                conns2.fetch_add(1, Ordering::SeqCst);
                let (answers, seen) = (answers.clone(), seen2.clone());
                tokio::spawn(async move {
                    for answer in answers {
                        let Some(req) = read_request(&mut s).await else { return };
                        seen.lock().unwrap().push(req);
                        if s.write_all(answer.as_bytes()).await.is_err() {
                            return;
                        }
                    }
                    if !close {
                        let mut rest = Vec::new();
                        let _ = s.read_to_end(&mut rest).await;
                    }
                });
            }
        });
        (addr, seen, conns)
    }

    /// Reads one request: the head, then a content-length or chunked body.
    async fn read_request(s: &mut TcpStream) -> Option<String> {
        let mut buf = Vec::new();
        let mut byte = [0u8; 1];
        while !buf.ends_with(b"\r\n\r\n") {
            if s.read(&mut byte).await.ok()? == 0 {
                return None;
            }
            buf.push(byte[0]);
        }
        let head = String::from_utf8_lossy(&buf).to_lowercase();
        if let Some(n) = head.split("content-length: ").nth(1).and_then(|r| r.split("\r\n").next()).and_then(|n| n.parse::<usize>().ok()) {
            let mut body = vec![0u8; n];
            s.read_exact(&mut body).await.ok()?;
            buf.extend(body);
        } else if head.contains("transfer-encoding: chunked") {
            while !buf.ends_with(b"\r\n0\r\n\r\n") && !buf.ends_with(b"\r\n\r\n0\r\n\r\n") {
                if s.read(&mut byte).await.ok()? == 0 {
                    return None;
                }
                buf.push(byte[0]);
            }
        }
        Some(String::from_utf8_lossy(&buf).into_owned())
    }

    fn get(addr: &str, method: Method, body: GwBody) -> Request<GwBody> {
        let mut req = Request::new(body);
        *req.method_mut() = method;
        *req.uri_mut() = format!("http://{addr}/items?x=1").parse().unwrap();
        req.headers_mut().insert("x-custom", HeaderValue::from_static("yes"));
        req
    }

    async fn text(res: Response<UpBody>) -> Result<String, io::Error> {
        let bytes = res.into_body().collect().await?.to_bytes();
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    fn empty() -> GwBody {
        full(Bytes::new())
    }

    const OK: &str = "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 5\r\n\r\nhello";

    #[tokio::test]
    async fn keeps_the_connection_for_the_next_request() {
        let (addr, seen, conns) = backend(vec![OK, OK, OK], false).await;
        let pool = Pool::default();
        for _ in 0..3 {
            let res = pool.send(get(&addr, Method::GET, empty())).await.unwrap();
            assert_eq!(res.status(), StatusCode::OK);
            assert_eq!(res.headers()["content-type"], "text/plain");
            assert_eq!(text(res).await.unwrap(), "hello");
        }
        assert_eq!(conns.load(Ordering::SeqCst), 1, "one connection for three requests");
        assert_eq!(pool.idle_count(), 1);
        let req = seen.lock().unwrap()[0].clone();
        assert!(req.starts_with("GET /items?x=1 HTTP/1.1\r\n"), "{req}");
        assert!(req.contains(&format!("host: {addr}\r\n")), "{req}");
        assert!(req.contains("x-custom: yes\r\n"), "{req}");
        assert!(!req.contains("content-length"), "a GET without a body declares none: {req}");
    }

    #[tokio::test]
    async fn reads_chunked_bodies_and_skips_interim_responses() {
        let answer = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nx-trailer: t\r\n\r\n";
        let (addr, _, conns) = backend(vec![answer, OK], false).await;
        let pool = Pool::default();
        let res = pool.send(get(&addr, Method::GET, empty())).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert!(!res.headers().contains_key("transfer-encoding"), "framing is the gateway's business");
        assert_eq!(text(res).await.unwrap(), "hello world");
        assert_eq!(pool.idle_count(), 1, "a fully read chunked body gives the connection back");
        let res = pool.send(get(&addr, Method::GET, empty())).await.unwrap();
        assert_eq!(text(res).await.unwrap(), "hello");
        assert_eq!(conns.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn reads_to_the_close_when_no_length_is_given() {
        let (addr, _, _) = backend(vec!["HTTP/1.0 200 OK\r\n\r\nuntil the end"], true).await;
        let pool = Pool::default();
        let res = pool.send(get(&addr, Method::GET, empty())).await.unwrap();
        assert_eq!(text(res).await.unwrap(), "until the end");
        assert_eq!(pool.idle_count(), 0, "a close-delimited connection cannot be reused");
    }

    #[tokio::test]
    async fn head_204_and_304_have_no_body() {
        let answers = vec![
            "HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n",
            "HTTP/1.1 204 No Content\r\n\r\n",
            "HTTP/1.1 304 Not Modified\r\ncontent-length: 9\r\n\r\n",
            OK,
        ];
        let (addr, _, conns) = backend(answers, false).await;
        let pool = Pool::default();
        let res = pool.send(get(&addr, Method::HEAD, empty())).await.unwrap();
        assert_eq!(res.headers()["content-length"], "5");
        assert_eq!(text(res).await.unwrap(), "");
        for status in [204, 304] {
            let res = pool.send(get(&addr, Method::GET, empty())).await.unwrap();
            assert_eq!(res.status().as_u16(), status);
            assert_eq!(text(res).await.unwrap(), "");
        }
        let res = pool.send(get(&addr, Method::GET, empty())).await.unwrap();
        assert_eq!(text(res).await.unwrap(), "hello");
        assert_eq!(conns.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn replaces_a_pooled_connection_the_backend_closed() {
        // The backend answers once per connection, then closes it.
        let (addr, _, conns) = backend(vec![OK], true).await;
        let pool = Pool::default();
        for pause in [0, 0, 300] {
            tokio::time::sleep(Duration::from_millis(pause)).await;
            let res = pool.send(get(&addr, Method::GET, empty())).await.unwrap();
            assert_eq!(text(res).await.unwrap(), "hello");
        }
        assert_eq!(conns.load(Ordering::SeqCst), 3);
    }

    /// A body of unknown length (like a chunked upload).
    struct Unsized(Option<Bytes>);

    impl Body for Unsized {
        type Data = Bytes;
        type Error = BoxError;
        fn poll_frame(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
            Poll::Ready(self.0.take().map(|d| Ok(Frame::data(d))))
        }
    }

    #[tokio::test]
    async fn sends_bodies_with_their_length_or_chunked() {
        let (addr, seen, _) = backend(vec![OK, OK, OK], false).await;
        let pool = Pool::default();
        let res = pool.send(get(&addr, Method::POST, full("ping"))).await.unwrap();
        assert_eq!(text(res).await.unwrap(), "hello");
        let res = pool.send(get(&addr, Method::PUT, Unsized(Some(Bytes::from_static(b"streamed"))).boxed())).await.unwrap();
        assert_eq!(text(res).await.unwrap(), "hello");
        let res = pool.send(get(&addr, Method::POST, empty())).await.unwrap();
        assert_eq!(text(res).await.unwrap(), "hello");
        let seen = seen.lock().unwrap();
        assert!(seen[0].contains("content-length: 4\r\n") && seen[0].ends_with("\r\n\r\nping"), "{}", seen[0]);
        assert!(seen[1].contains("transfer-encoding: chunked\r\n") && seen[1].ends_with("\r\n\r\n8\r\nstreamed\r\n0\r\n\r\n"), "{}", seen[1]);
        assert!(seen[2].contains("content-length: 0\r\n"), "{}", seen[2]);
    }

    #[tokio::test]
    async fn failures_say_what_went_wrong() {
        let pool = Pool::default();
        let closed = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap().to_string();
        let Err(SendError::Failed(why)) = pool.send(get(&closed, Method::GET, empty())).await else { panic!("refused") };
        assert!(why.starts_with(&format!("connecting to 127.0.0.1:{}", closed.rsplit(':').next().unwrap())), "{why}");

        let (addr, _, _) = backend(vec!["SSH-2.0-OpenSSH\r\n\r\n"], true).await;
        let Err(SendError::Failed(why)) = pool.send(get(&addr, Method::GET, empty())).await else { panic!("not http") };
        assert!(why.contains("not valid HTTP/1.1"), "{why}");

        let (addr, _, _) = backend(vec!["HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nshort"], true).await;
        let res = pool.send(get(&addr, Method::GET, empty())).await.unwrap();
        let err = text(res).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        assert_eq!(pool.idle_count(), 0);

        let (addr, _, _) = backend(vec!["HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n"], false).await;
        let res = pool.send(get(&addr, Method::GET, empty())).await.unwrap();
        let err = text(res).await.unwrap_err();
        assert!(err.to_string().contains("chunked body is malformed"), "{err}");
    }

    #[tokio::test]
    async fn a_body_dropped_early_closes_its_connection() {
        let (addr, _, _) = backend(vec!["HTTP/1.1 200 OK\r\ncontent-length: 100000\r\n\r\nstart"], false).await;
        let pool = Pool::default();
        let res = pool.send(get(&addr, Method::GET, empty())).await.unwrap();
        let mut body = res.into_body();
        let first = body.frame().await.unwrap().unwrap().into_data().unwrap();
        assert_eq!(&first[..], b"start");
        drop(body);
        assert_eq!(pool.idle_count(), 0, "a half-read connection is never reused");
    }
}
