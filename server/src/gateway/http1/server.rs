//! The caller side of a connection: reads each request (head within its
//! timeout, body by its framing into memory, up to the payload limit),
//! hands it to the [`Service`], and writes the answer with the framing its
//! body needs. Requests are served one at a time, in order; a caller that
//! hangs up while its request is being served drops that request.
//!
//! Request bodies are buffered whole before the pipeline sees them, as AWS
//! does (its payload limit is 10 MB): the backend then always gets a
//! `Content-Length`, whatever framing the caller used.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::{header, Method, Request, Response, StatusCode, Version};
use http_body::Body;
use http_body_util::BodyExt;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::{timeout, timeout_at, Instant};

use super::body::{put_chunk, BodyError, Decoded, Decoder, LAST_CHUNK};
use super::header::{parse_request, Framing, HeadError, RequestHead};
use super::write::Gather;
use super::{count, Timeouts, COUNTERS};

/// Read size, and how much of an answer is gathered before it is written.
const CHUNK: usize = 16 * 1024;
/// How long a refused caller's unread body is read and discarded before
/// the connection is closed (nginx's lingering close): closing with unread
/// bytes would reset the connection, and the caller would see a broken
/// pipe instead of the answer.
const LINGER: Duration = Duration::from_secs(5);
/// Most bytes discarded that way.
const LINGER_BYTES: u64 = 16 * 1024 * 1024;

/// Turns `true` when the server is closing: a connection finishes the
/// request in hand and closes, an idle one closes at once.
pub type Closing = tokio::sync::watch::Receiver<bool>;

/// Set on a request whose body was over the limit: its body is empty, the
/// service answers it (413 in AWS's words) and the connection closes.
#[derive(Clone, Copy, Debug)]
pub struct BodyTooLarge;

/// What answers requests.
pub trait Service {
    type Body: Body<Data = Bytes> + Send + Unpin;
    /// The answer to one request.
    fn call(&self, req: Request<Bytes>) -> impl Future<Output = Response<Self::Body>> + Send;
    /// The answer to a request refused before it could be served (malformed
    /// HTTP, a stalled body).
    fn refuse(&self, status: StatusCode, message: &str) -> Response<Self::Body>;
}

/// Limits of one server.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub timeouts: Timeouts,
    /// Largest request body read.
    pub max_body: usize,
}

struct Conn<IO> {
    io: IO,
    /// Read and not yet used.
    buf: BytesMut,
    /// Gathered and not yet written.
    out: BytesMut,
}

impl<IO: AsyncRead + AsyncWrite + Unpin> Conn<IO> {
    /// Reads more into `buf`; `Ok(0)` at the end of the stream.
    async fn read_more(&mut self) -> std::io::Result<usize> {
        if self.buf.capacity() - self.buf.len() < 1024 {
            self.buf.reserve(CHUNK);
        }
        self.io.read_buf(&mut self.buf).await
    }

    /// Writes what is gathered, giving up after `limit` without progress.
    async fn flush(&mut self, limit: Duration) -> bool {
        if self.out.is_empty() {
            return true;
        }
        let ok = match timeout(limit, self.io.write_all(&self.out)).await {
            Ok(r) => r.is_ok(),
            Err(_) => {
                count(&COUNTERS.send_timeouts);
                false
            }
        };
        self.out.clear();
        ok
    }
}

/// Waits until the server is closing (forever, if it never says).
async fn closed(mut closing: Closing) {
    if closing.wait_for(|c| *c).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// How a request's body came out.
enum Got {
    Body(Bytes),
    /// Over the limit: nothing more is read.
    TooLarge,
}

/// Serves a connection until it closes, the caller misbehaves, or the
/// server is closing. `initial`: what was already read from it.
pub async fn serve<IO, S>(io: IO, initial: BytesMut, svc: &S, limits: Limits, closing: Closing)
where
    IO: AsyncRead + AsyncWrite + Unpin + Send,
    S: Service + Sync,
{
    let t = limits.timeouts;
    let mut c = Conn { io, buf: initial, out: BytesMut::with_capacity(CHUNK) };
    let mut first = true;
    // One wait for the closing and one timer for the connection's life:
    // made anew per request, each cost a registration and its removal,
    // where moving a set timer later only stores the new time.
    let mut stop = std::pin::pin!(closed(closing.clone()));
    let mut timer = std::pin::pin!(tokio::time::sleep(t.head));
    loop {
        // The next request's first byte: within the head timeout on a new
        // connection, the idle timeout between requests.
        if c.buf.is_empty() {
            let wait = if first { t.head } else { t.idle };
            timer.as_mut().reset(Instant::now() + wait);
            let read = tokio::select! {
                biased;
                r = c.read_more() => r,
                () = &mut stop => return,
                () = timer.as_mut() => {
                    count(if first { &COUNTERS.head_timeouts } else { &COUNTERS.idle_timeouts });
                    return;
                }
            };
            if !matches!(read, Ok(n) if n > 0) {
                return;
            }
        }
        first = false;
        // The rest of the head, within the head timeout of its first byte.
        let mut deadline = None;
        let head = loop {
            match parse_request(&mut c.buf) {
                Ok(Some(h)) => break h,
                Ok(None) => match timeout_at(*deadline.get_or_insert_with(|| Instant::now() + t.head), c.read_more()).await {
                    Err(_) => {
                        count(&COUNTERS.head_timeouts);
                        return;
                    }
                    Ok(Ok(0) | Err(_)) => return,
                    Ok(Ok(_)) => {}
                },
                Err(e) => return refuse_head(&mut c, svc, &e, t).await,
            }
        };
        let RequestHead { method, target, version, headers, framing, keep_alive, expect_continue } = head;
        // The body, whole.
        if expect_continue && !matches!(framing, Framing::Empty) && declared_fits(framing, limits.max_body) {
            c.out.extend_from_slice(b"HTTP/1.1 100 Continue\r\n\r\n");
            if !c.flush(t.send).await {
                return;
            }
        }
        let got = match read_body(&mut c, framing, limits.max_body, t.body).await {
            Ok(got) => got,
            Err(ReadError::Closed) => return,
            Err(ReadError::Stalled) => {
                count(&COUNTERS.body_timeouts);
                let res = svc.refuse(StatusCode::REQUEST_TIMEOUT, "Request Timeout");
                write_response(&mut c, res, false, version, true, t.send).await;
                return;
            }
            Err(ReadError::Malformed(e)) => {
                count(&COUNTERS.bad_requests);
                let res = svc.refuse(StatusCode::BAD_REQUEST, &format!("Bad Request: {e}"));
                write_response(&mut c, res, false, version, true, t.send).await;
                return;
            }
        };
        let mut req = Request::new(Bytes::new());
        let too_large = matches!(got, Got::TooLarge);
        match got {
            Got::Body(b) => *req.body_mut() = b,
            Got::TooLarge => {
                req.extensions_mut().insert(BodyTooLarge);
            }
        }
        // The target's bytes become the URI's without a copy.
        let Ok(uri) = http::Uri::from_maybe_shared(Bytes::from(target)) else {
            count(&COUNTERS.bad_requests);
            let res = svc.refuse(StatusCode::BAD_REQUEST, "Bad Request: malformed request target");
            write_response(&mut c, res, false, version, true, t.send).await;
            return;
        };
        let head_request = method == Method::HEAD;
        *req.method_mut() = method;
        *req.uri_mut() = uri;
        *req.version_mut() = version;
        *req.headers_mut() = headers;
        // Served while watching for a caller that hangs up: then the
        // answer is dropped (the service counts it as abandoned).
        let answer = {
            let answer = std::pin::pin!(svc.call(req));
            watching(&mut c, answer).await
        };
        let Some(res) = answer else { return };
        let close = !keep_alive || too_large || *closing.borrow();
        let whole = write_response(&mut c, res, head_request, version, close, t.send).await;
        if too_large {
            linger(&mut c).await;
            return;
        }
        if !whole || close {
            let _ = c.io.shutdown().await;
            return;
        }
    }
}

/// Whether a declared length is within the limit (worth a 100 Continue).
fn declared_fits(framing: Framing, max: usize) -> bool {
    match framing {
        Framing::Length(n) => n <= max as u64,
        _ => true,
    }
}

/// Answers a head that broke a rule, then closes.
async fn refuse_head<IO: AsyncRead + AsyncWrite + Unpin, S: Service>(c: &mut Conn<IO>, svc: &S, e: &HeadError, t: Timeouts) {
    count(&COUNTERS.bad_requests);
    tracing::debug!(reason = e.reason(), "refused a malformed request");
    let message = match e {
        HeadError::Bad(why) => format!("Bad Request: {why}"),
        other => other.reason().to_string(),
    };
    let res = svc.refuse(e.status(), &message);
    c.buf.clear();
    write_response(c, res, false, Version::HTTP_11, true, t.send).await;
    linger(c).await;
}

enum ReadError {
    Closed,
    Stalled,
    Malformed(BodyError),
}

/// Reads a request body by its framing, up to `max` bytes, with at most
/// `idle` between reads.
async fn read_body<IO: AsyncRead + AsyncWrite + Unpin>(
    c: &mut Conn<IO>,
    framing: Framing,
    max: usize,
    idle: Duration,
) -> Result<Got, ReadError> {
    if let Framing::Length(n) = framing {
        if n > max as u64 {
            return Ok(Got::TooLarge);
        }
    }
    let mut decoder = Decoder::new(framing);
    if decoder.is_done() {
        return Ok(Got::Body(Bytes::new()));
    }
    // A body that arrived whole with its head is taken without a copy.
    let mut body = BytesMut::new();
    let mut pieces = 0;
    let mut first: Option<Bytes> = None;
    loop {
        match decoder.decode(&mut c.buf).map_err(ReadError::Malformed)? {
            Decoded::Data(d) => {
                pieces += 1;
                if body.len() + first.as_ref().map_or(0, Bytes::len) + d.len() > max {
                    return Ok(Got::TooLarge);
                }
                match (pieces, first.take()) {
                    (1, _) => first = Some(d),
                    (_, Some(f)) => {
                        body.reserve(f.len() + d.len());
                        body.extend_from_slice(&f);
                        body.extend_from_slice(&d);
                    }
                    (_, None) => body.extend_from_slice(&d),
                }
            }
            Decoded::End => break,
            Decoded::More => match timeout(idle, c.read_more()).await {
                Err(_) => return Err(ReadError::Stalled),
                Ok(Ok(0) | Err(_)) => return Err(ReadError::Closed),
                Ok(Ok(_)) => {}
            },
        }
    }
    Ok(Got::Body(first.unwrap_or_else(|| body.freeze())))
}

/// Runs `answer` while noticing a caller that hangs up (`None`: then
/// `answer` is dropped). Bytes that arrive meanwhile are the next request,
/// kept for later; one read's worth at most.
async fn watching<IO: AsyncRead + AsyncWrite + Unpin, T>(c: &mut Conn<IO>, mut answer: Pin<&mut impl Future<Output = T>>) -> Option<T> {
    let mut watch = true;
    loop {
        tokio::select! {
            biased;
            res = answer.as_mut() => return Some(res),
            read = c.read_more(), if watch => match read {
                Ok(0) | Err(_) => return None,
                Ok(_) => watch = false,
            },
        }
    }
}

/// Reads and discards what the caller still sends, for a little while,
/// then closes: see [`LINGER`].
async fn linger<IO: AsyncRead + AsyncWrite + Unpin>(c: &mut Conn<IO>) {
    let _ = c.io.shutdown().await;
    let mut sink = [0u8; 8192];
    let mut left = LINGER_BYTES;
    let until = Instant::now() + LINGER;
    while left > 0 {
        match timeout_at(until, c.io.read(&mut sink)).await {
            Ok(Ok(n)) if n > 0 => left = left.saturating_sub(n as u64),
            _ => return,
        }
    }
}

/// Writes `res`: its head, then its body with the framing it needs.
/// Returns whether it went out whole (the connection can carry another
/// request).
async fn write_response<IO, B>(
    c: &mut Conn<IO>,
    res: Response<B>,
    head_request: bool,
    version: Version,
    close: bool,
    limit: Duration,
) -> bool
where
    IO: AsyncRead + AsyncWrite + Unpin,
    B: Body<Data = Bytes> + Unpin,
{
    let (parts, mut body) = res.into_parts();
    let status = parts.status;
    // 1xx cannot be a final answer; configuration refuses it, and this
    // keeps any that slips through from desynchronising the caller.
    let status = if status.is_informational() { StatusCode::BAD_GATEWAY } else { status };
    let bodiless = status == StatusCode::NO_CONTENT || status == StatusCode::NOT_MODIFIED;
    let length = match body.size_hint().exact() {
        Some(n) => Some(n),
        None if head_request || bodiless => Some(0),
        None => None,
    };
    // HTTP/1.0 callers cannot read chunks: their body ends at the close.
    let until_close = length.is_none() && version == Version::HTTP_10;
    let close = close || until_close;
    {
        let mut head = Gather::new(&mut c.out);
        head.status(status);
        for (name, value) in &parts.headers {
            if !matches!(*name, header::CONTENT_LENGTH | header::TRANSFER_ENCODING | header::CONNECTION) {
                head.field(name.as_str().as_bytes(), value.as_bytes());
            }
        }
        if !parts.headers.contains_key(header::DATE) {
            head.date(crate::metrics::now_us());
        }
        if close {
            head.put(b"connection: close\r\n");
        } else if version == Version::HTTP_10 {
            head.put(b"connection: keep-alive\r\n");
        }
        if bodiless {
            // No framing headers at all.
        } else if head_request {
            // The length a GET would have had, as the backend said it.
            if let Some(v) = parts.headers.get(header::CONTENT_LENGTH) {
                head.field(b"content-length", v.as_bytes());
            } else if let Some(n) = length.filter(|&n| n > 0) {
                head.number(b"content-length", n);
            }
        } else {
            match length {
                Some(n) => head.number(b"content-length", n),
                None if until_close => {}
                None => head.put(b"transfer-encoding: chunked\r\n"),
            }
        }
        head.put(b"\r\n");
    }
    if head_request || bodiless {
        // Dropping the body ends it (and records the request).
        drop(body);
        return c.flush(limit).await;
    }
    let chunked = length.is_none() && !until_close;
    let mut sent = 0u64;
    loop {
        // Gather what is ready; write before waiting for more.
        let frame = match futures_now(&mut body) {
            Some(frame) => frame,
            None => {
                if !c.flush(limit).await {
                    return false;
                }
                match timeout(limit, body.frame()).await {
                    Ok(frame) => frame,
                    Err(_) => {
                        count(&COUNTERS.send_timeouts);
                        return false;
                    }
                }
            }
        };
        let data = match frame {
            None => break,
            Some(Ok(frame)) => match frame.into_data() {
                Ok(d) if !d.is_empty() => d,
                _ => continue,
            },
            // The body failed midway: cut the connection, so the caller
            // cannot take a partial body for a whole one.
            Some(Err(_)) => {
                c.flush(limit).await;
                return false;
            }
        };
        sent += data.len() as u64;
        if length.is_some_and(|n| sent > n) {
            return false;
        }
        if chunked {
            put_chunk(&mut c.out, &data);
        } else {
            c.out.extend_from_slice(&data);
        }
        if c.out.len() >= CHUNK && !c.flush(limit).await {
            return false;
        }
    }
    if chunked {
        c.out.extend_from_slice(LAST_CHUNK);
    }
    c.flush(limit).await && length.is_none_or(|n| n == sent) && !until_close
}

/// The body's next frame if it is ready now, without waiting.
fn futures_now<B: Body<Data = Bytes> + Unpin>(body: &mut B) -> Option<Option<Result<http_body::Frame<Bytes>, B::Error>>> {
    let waker = std::task::Waker::noop();
    let mut cx = std::task::Context::from_waker(waker);
    match Pin::new(body).poll_frame(&mut cx) {
        std::task::Poll::Ready(f) => Some(f),
        std::task::Poll::Pending => None,
    }
}

#[cfg(test)]
mod tests {
    //! `serve` driven over an in-memory duplex stream: the test plays the
    //! caller, byte for byte, and a small [`Service`] echoes what it got.
    //! Timeouts use short real durations (tokio's `test-util` clock is not
    //! enabled in this workspace), with generous upper bounds.

    use std::collections::VecDeque;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    use std::task::{Context, Poll};

    use http::HeaderMap;
    use http_body::{Frame, SizeHint};
    use tokio::io::DuplexStream;
    use tokio::sync::{watch, Notify};
    use tokio::task::JoinHandle;

    use super::super::header::parse_response;
    use super::*;

    /// Longest wait for anything the server should do at once.
    const WAIT: Duration = Duration::from_secs(5);
    /// Timeouts that never fire in a test.
    const LONG: Duration = Duration::from_secs(60);
    /// Timeouts that do, in the timeout tests.
    const SHORT: Duration = Duration::from_millis(150);

    /// A response body: whole (its length known), or in pieces of unknown
    /// total length, one of which may be an error.
    enum TestBody {
        Whole(Option<Bytes>),
        Pieces(VecDeque<Result<Bytes, &'static str>>),
    }

    impl Body for TestBody {
        type Data = Bytes;
        type Error = &'static str;

        fn poll_frame(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, &'static str>>> {
            Poll::Ready(match self.get_mut() {
                TestBody::Whole(b) => b.take().map(|b| Ok(Frame::data(b))),
                TestBody::Pieces(p) => p.pop_front().map(|r| r.map(Frame::data)),
            })
        }

        fn size_hint(&self) -> SizeHint {
            match self {
                TestBody::Whole(b) => SizeHint::with_exact(b.as_ref().map_or(0, |b| b.len() as u64)),
                TestBody::Pieces(_) => SizeHint::default(),
            }
        }
    }

    /// What the service was given.
    #[derive(Debug)]
    struct Seen {
        method: Method,
        target: String,
        version: Version,
        headers: HeaderMap,
        body: Bytes,
        too_large: bool,
    }

    /// Sets its flag when dropped.
    struct SetOnDrop(Arc<AtomicBool>);

    impl Drop for SetOnDrop {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    /// Answers by target: `/slow` never, `/wait` when released, `/stream`
    /// in pieces, `/error` fails midway, `/big` with 1 MiB, `/status/N`
    /// with status N; anything else with a line describing the request.
    #[derive(Default)]
    struct Echo {
        seen: Mutex<Vec<Seen>>,
        started: Notify,
        release: Notify,
        dropped: Arc<AtomicBool>,
    }

    fn whole(status: StatusCode, body: impl Into<Bytes>) -> Response<TestBody> {
        let mut res = Response::new(TestBody::Whole(Some(body.into())));
        *res.status_mut() = status;
        res
    }

    fn pieces(parts: &[Result<&'static str, &'static str>]) -> Response<TestBody> {
        Response::new(TestBody::Pieces(parts.iter().map(|p| p.map(|s| Bytes::from_static(s.as_bytes()))).collect()))
    }

    impl Service for Echo {
        type Body = TestBody;

        async fn call(&self, req: Request<Bytes>) -> Response<TestBody> {
            let target = req.uri().to_string();
            let too_large = req.extensions().get::<BodyTooLarge>().is_some();
            let x = req.headers().get("x-test").map_or("-", |v| v.to_str().unwrap_or("?")).to_string();
            let line =
                format!("{} {target} x-test={x} len={}{}", req.method(), req.body().len(), if too_large { " too-large" } else { "" });
            self.seen.lock().unwrap().push(Seen {
                method: req.method().clone(),
                target: target.clone(),
                version: req.version(),
                headers: req.headers().clone(),
                body: req.body().clone(),
                too_large,
            });
            match target.as_str() {
                "/slow" => {
                    let _flag = SetOnDrop(self.dropped.clone());
                    self.started.notify_one();
                    std::future::pending().await
                }
                "/wait" => {
                    self.started.notify_one();
                    self.release.notified().await;
                    whole(StatusCode::OK, line)
                }
                "/stream" => pieces(&[Ok("hello "), Ok("chunked "), Ok("world")]),
                "/error" => pieces(&[Ok("partial"), Err("the body failed")]),
                "/big" => whole(StatusCode::OK, vec![b'b'; 1 << 20]),
                t if t.starts_with("/status/") => {
                    let code: u16 = t["/status/".len()..].parse().unwrap();
                    whole(StatusCode::from_u16(code).unwrap(), format!("body of {code}"))
                }
                _ => whole(StatusCode::OK, line),
            }
        }

        fn refuse(&self, status: StatusCode, message: &str) -> Response<TestBody> {
            let mut res = whole(status, format!("{{\"message\":{message:?}}}"));
            res.headers_mut().insert(header::CONTENT_TYPE, http::HeaderValue::from_static("application/json"));
            res
        }
    }

    /// One response as the caller read it.
    #[derive(Debug)]
    struct Answer {
        status: StatusCode,
        /// The head as written, status line and fields.
        head: String,
        headers: HeaderMap,
        /// The body, decoded by its framing.
        body: String,
        /// The body's bytes on the wire (chunk framing included).
        raw_body: Vec<u8>,
    }

    impl Answer {
        fn has(&self, field: &str) -> bool {
            self.head.contains(&format!("\r\n{field}\r\n"))
        }
    }

    /// The test's end of the connection.
    struct Caller {
        io: DuplexStream,
        buf: BytesMut,
    }

    impl Caller {
        async fn send(&mut self, bytes: impl AsRef<[u8]>) {
            self.io.write_all(bytes.as_ref()).await.expect("the server takes the request");
        }

        /// Reads more; `false` once the server has closed.
        async fn fill(&mut self) -> bool {
            let read = timeout(WAIT, self.io.read_buf(&mut self.buf)).await.expect("the server neither answered nor closed");
            matches!(read, Ok(n) if n > 0)
        }

        /// The next response to a `method` request.
        async fn answer(&mut self, method: &Method) -> Answer {
            let (head, text) = loop {
                let all = self.buf.clone();
                if let Some(h) = parse_response(&mut self.buf, method).expect("a valid response head") {
                    break (h, String::from_utf8(all[..all.len() - self.buf.len()].to_vec()).unwrap());
                }
                assert!(self.fill().await, "closed before a whole head: {:?}", String::from_utf8_lossy(&self.buf));
            };
            let mut decoder = Decoder::new(head.framing);
            let (mut body, mut raw_body) = (Vec::new(), Vec::new());
            loop {
                let before = self.buf.clone();
                let step = decoder.decode(&mut self.buf).expect("a well-framed body");
                raw_body.extend_from_slice(&before[..before.len() - self.buf.len()]);
                match step {
                    Decoded::Data(d) => body.extend_from_slice(&d),
                    Decoded::End => break,
                    Decoded::More => {
                        if !self.fill().await {
                            decoder.eof().expect("the whole body before the close");
                            break;
                        }
                    }
                }
            }
            Answer { status: head.status, head: text, headers: head.headers, body: String::from_utf8(body).unwrap(), raw_body }
        }

        /// Everything until the server closes.
        async fn rest(&mut self) -> Vec<u8> {
            while self.fill().await {}
            self.buf.split().to_vec()
        }

        /// The server closes with nothing more written.
        async fn closed(&mut self) {
            let rest = self.rest().await;
            assert!(rest.is_empty(), "unexpected bytes before the close: {:?}", String::from_utf8_lossy(&rest));
        }
    }

    struct Setup {
        caller: Caller,
        svc: Arc<Echo>,
        closing: watch::Sender<bool>,
        server: JoinHandle<()>,
    }

    fn limits(max_body: usize, t: Duration) -> Limits {
        Limits { timeouts: Timeouts { head: t, idle: t, body: t, send: t }, max_body }
    }

    /// `serve` on one end of a duplex stream of `capacity` bytes each way.
    fn start_with(limits: Limits, capacity: usize) -> Setup {
        let (caller, server) = tokio::io::duplex(capacity);
        let svc = Arc::new(Echo::default());
        let (closing, rx) = watch::channel(false);
        let s = svc.clone();
        let server = tokio::spawn(async move { serve(server, BytesMut::new(), &*s, limits, rx).await });
        Setup { caller: Caller { io: caller, buf: BytesMut::new() }, svc, closing, server }
    }

    fn start() -> Setup {
        start_with(limits(1 << 20, LONG), 1 << 16)
    }

    async fn ended(server: JoinHandle<()>) {
        timeout(WAIT, server).await.expect("serve returned").expect("serve did not panic");
    }

    #[tokio::test]
    async fn keep_alive_serves_several_requests() {
        let Setup { mut caller, svc, server, .. } = start();
        for i in 0..3 {
            caller.send(format!("GET /r{i}?q={i} HTTP/1.1\r\nHost: h\r\nX-Test: v{i}\r\n\r\n")).await;
            let a = caller.answer(&Method::GET).await;
            assert_eq!(a.status, StatusCode::OK);
            assert_eq!(a.body, format!("GET /r{i}?q={i} x-test=v{i} len=0"));
            assert_eq!(a.headers["content-length"], a.body.len().to_string().as_str());
            assert!(a.headers.contains_key("date"));
            assert!(!a.head.contains("connection:"), "{}", a.head);
        }
        assert_eq!(svc.seen.lock().unwrap().len(), 3);
        drop(caller);
        ended(server).await;
    }

    #[tokio::test]
    async fn bytes_read_before_serve_are_the_first_request() {
        let (mut caller, server) = tokio::io::duplex(1 << 16);
        let svc = Echo::default();
        let (_closing, rx) = watch::channel(false);
        let initial = BytesMut::from(&b"POST /early HTTP/1.1\r\nhost: h\r\ncontent-length: 4\r\n\r\nab"[..]);
        let serving = serve(server, initial, &svc, limits(1 << 20, LONG), rx);
        let talking = async {
            caller.write_all(b"cd").await.unwrap();
            let mut caller = Caller { io: caller, buf: BytesMut::new() };
            let a = caller.answer(&Method::POST).await;
            drop(caller);
            a
        };
        let ((), a) = tokio::join!(serving, talking);
        assert_eq!(a.body, "POST /early x-test=- len=4");
        assert_eq!(svc.seen.lock().unwrap()[0].body, "abcd");
    }

    #[tokio::test]
    async fn pipelined_requests_are_answered_in_order() {
        let Setup { mut caller, .. } = start();
        caller
            .send(concat!(
                "GET /a HTTP/1.1\r\nhost: h\r\n\r\n",
                "POST /b HTTP/1.1\r\nhost: h\r\ncontent-length: 3\r\n\r\nabc",
                "PUT /c HTTP/1.1\r\nhost: h\r\ntransfer-encoding: chunked\r\n\r\n2\r\nxy\r\n0\r\n\r\n",
                "DELETE /d HTTP/1.1\r\nhost: h\r\n\r\n",
            ))
            .await;
        for want in ["GET /a x-test=- len=0", "POST /b x-test=- len=3", "PUT /c x-test=- len=2", "DELETE /d x-test=- len=0"] {
            assert_eq!(caller.answer(&Method::GET).await.body, want);
        }
    }

    #[tokio::test]
    async fn a_request_sent_while_another_is_served_waits_its_turn() {
        let Setup { mut caller, svc, .. } = start();
        caller.send("GET /wait HTTP/1.1\r\nhost: h\r\n\r\n").await;
        svc.started.notified().await;
        caller.send("GET /next HTTP/1.1\r\nhost: h\r\n\r\n").await;
        tokio::task::yield_now().await;
        svc.release.notify_one();
        assert_eq!(caller.answer(&Method::GET).await.body, "GET /wait x-test=- len=0");
        assert_eq!(caller.answer(&Method::GET).await.body, "GET /next x-test=- len=0");
    }

    #[tokio::test]
    async fn a_head_and_body_one_byte_at_a_time() {
        let Setup { mut caller, svc, .. } = start();
        let request = b"POST /slowly HTTP/1.1\r\nhost: h\r\nx-test: drip\r\ncontent-length: 4\r\n\r\nbody";
        for b in request {
            caller.send([*b]).await;
            tokio::task::yield_now().await;
        }
        assert_eq!(caller.answer(&Method::POST).await.body, "POST /slowly x-test=drip len=4");
        assert_eq!(svc.seen.lock().unwrap()[0].body, "body");
    }

    #[tokio::test]
    async fn content_length_body_reaches_the_service() {
        let Setup { mut caller, svc, .. } = start();
        caller.send("POST /p HTTP/1.1\r\nhost: h\r\ncontent-length: 11\r\n\r\nhello").await;
        tokio::task::yield_now().await;
        caller.send(" world").await;
        assert_eq!(caller.answer(&Method::POST).await.body, "POST /p x-test=- len=11");
        let seen = svc.seen.lock().unwrap();
        assert_eq!((&seen[0].method, seen[0].target.as_str(), seen[0].version), (&Method::POST, "/p", Version::HTTP_11));
        assert_eq!(seen[0].body, "hello world");
        assert!(!seen[0].too_large);
    }

    #[tokio::test]
    async fn chunked_body_reaches_the_service_whole_and_unchunked() {
        let Setup { mut caller, svc, .. } = start();
        caller
            .send(concat!(
                "POST /c HTTP/1.1\r\nhost: h\r\ntransfer-encoding: chunked\r\n\r\n",
                "5;name=value;flag\r\nhello\r\n",
                "6 ; ext\r\n world\r\n",
                "0;last\r\nx-trailer: 1\r\nx-other: two\r\n\r\n",
                "GET /after HTTP/1.1\r\nhost: h\r\n\r\n",
            ))
            .await;
        assert_eq!(caller.answer(&Method::POST).await.body, "POST /c x-test=- len=11");
        assert_eq!(caller.answer(&Method::GET).await.body, "GET /after x-test=- len=0", "trailers taken, nothing more");
        let seen = svc.seen.lock().unwrap();
        assert_eq!(seen[0].body, "hello world");
        assert!(!seen[0].headers.contains_key("x-trailer"), "trailers are not fields");
    }

    #[tokio::test]
    async fn body_over_the_limit_by_content_length_is_not_read_and_the_connection_closes() {
        let Setup { mut caller, svc, .. } = start_with(limits(16, LONG), 1 << 16);
        caller.send("POST /p HTTP/1.1\r\nhost: h\r\ncontent-length: 17\r\n\r\n").await;
        let a = caller.answer(&Method::POST).await;
        assert_eq!(a.body, "POST /p x-test=- len=0 too-large");
        assert!(a.has("connection: close"), "{}", a.head);
        // Whatever the caller still sends is read and discarded until it hangs up.
        caller.send("0123456789abcdefg").await;
        caller.closed().await;
        let seen = svc.seen.lock().unwrap();
        assert!(seen[0].too_large && seen[0].body.is_empty());
    }

    #[tokio::test]
    async fn a_body_at_the_limit_is_fine() {
        let Setup { mut caller, .. } = start_with(limits(16, LONG), 1 << 16);
        caller.send("POST /p HTTP/1.1\r\nhost: h\r\ncontent-length: 16\r\n\r\n0123456789abcdef").await;
        caller.send("POST /c HTTP/1.1\r\nhost: h\r\ntransfer-encoding: chunked\r\n\r\n8\r\n01234567\r\n8\r\n89abcdef\r\n0\r\n\r\n").await;
        assert_eq!(caller.answer(&Method::POST).await.body, "POST /p x-test=- len=16");
        assert_eq!(caller.answer(&Method::POST).await.body, "POST /c x-test=- len=16");
    }

    #[tokio::test]
    async fn chunked_body_over_the_limit_is_cut_short_and_the_connection_closes() {
        let Setup { mut caller, svc, .. } = start_with(limits(16, LONG), 1 << 16);
        caller.send("POST /c HTTP/1.1\r\nhost: h\r\ntransfer-encoding: chunked\r\n\r\na\r\n0123456789\r\na\r\n0123456789\r\n").await;
        let a = caller.answer(&Method::POST).await;
        assert_eq!(a.body, "POST /c x-test=- len=0 too-large");
        assert!(a.has("connection: close"));
        caller.closed().await;
        assert!(svc.seen.lock().unwrap()[0].too_large);
    }

    #[tokio::test]
    async fn expect_continue_is_answered_before_the_body_is_read() {
        let Setup { mut caller, svc, .. } = start();
        caller.send("POST /e HTTP/1.1\r\nhost: h\r\nexpect: 100-continue\r\ncontent-length: 5\r\n\r\n").await;
        let go = caller.answer(&Method::POST).await;
        assert_eq!(go.head, "HTTP/1.1 100 Continue\r\n\r\n");
        assert!(svc.seen.lock().unwrap().is_empty(), "not served before its body");
        caller.send("hello").await;
        let a = caller.answer(&Method::POST).await;
        assert_eq!((a.status, a.body.as_str()), (StatusCode::OK, "POST /e x-test=- len=5"));
        assert_eq!(svc.seen.lock().unwrap()[0].body, "hello");
    }

    #[tokio::test]
    async fn expect_continue_with_a_body_over_the_limit_gets_no_go_ahead() {
        let Setup { mut caller, .. } = start_with(limits(4, LONG), 1 << 16);
        caller.send("POST /e HTTP/1.1\r\nhost: h\r\nexpect: 100-continue\r\ncontent-length: 5\r\n\r\n").await;
        let a = caller.answer(&Method::POST).await;
        assert_eq!((a.status, a.body.as_str()), (StatusCode::OK, "POST /e x-test=- len=0 too-large"));
        assert!(a.has("connection: close"));
        caller.closed().await;
    }

    #[tokio::test]
    async fn malformed_requests_are_refused_and_the_connection_closed() {
        let cases: &[(&str, StatusCode, &str)] = &[
            ("GET / HTTP/1.1\r\n\r\n", StatusCode::BAD_REQUEST, "no Host header"),
            ("GET / HTTP/1.1\r\nhost: a\r\nhost: b\r\n\r\n", StatusCode::BAD_REQUEST, "more than one Host header"),
            (
                "POST / HTTP/1.1\r\nhost: h\r\ntransfer-encoding: chunked\r\ncontent-length: 5\r\n\r\n",
                StatusCode::BAD_REQUEST,
                "both Transfer-Encoding and Content-Length",
            ),
            ("POST / HTTP/1.1\r\nhost: h\r\ncontent-length: 5x\r\n\r\nhello", StatusCode::BAD_REQUEST, "invalid Content-Length"),
            ("POST / HTTP/1.1\r\nhost: h\r\ncontent-length: -5\r\n\r\n", StatusCode::BAD_REQUEST, "invalid Content-Length"),
            (
                "POST / HTTP/1.1\r\nhost: h\r\ntransfer-encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
                StatusCode::BAD_REQUEST,
                "no chunk size",
            ),
            (
                "POST / HTTP/1.1\r\nhost: h\r\ntransfer-encoding: chunked\r\n\r\n5 x\r\nhello\r\n0\r\n\r\n",
                StatusCode::BAD_REQUEST,
                "invalid chunk size",
            ),
            (
                "POST / HTTP/1.1\r\nhost: h\r\ntransfer-encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n",
                StatusCode::BAD_REQUEST,
                "a line not ended by CRLF",
            ),
            (
                "POST / HTTP/1.1\r\nhost: h\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n",
                StatusCode::BAD_REQUEST,
                "no CRLF after the chunk data",
            ),
            ("GET http://h/ HTTP/1.1\r\nhost: h\r\n\r\n", StatusCode::BAD_REQUEST, "must start with '/'"),
            ("get / HTTP/1.1\r\nhost: h\r\n\r\n", StatusCode::BAD_REQUEST, "malformed method"),
            ("GET /a<b> HTTP/1.1\r\nhost: h\r\n\r\n", StatusCode::BAD_REQUEST, "malformed request target"),
            ("GET / HTTP/2.0\r\nhost: h\r\n\r\n", StatusCode::HTTP_VERSION_NOT_SUPPORTED, "HTTP Version Not Supported"),
        ];
        for (request, status, why) in cases {
            let Setup { mut caller, svc, .. } = start();
            caller.send(request).await;
            let a = caller.answer(&Method::GET).await;
            assert_eq!(a.status, *status, "{request:?}");
            assert!(a.body.starts_with("{\"message\":") && a.body.contains(why), "{request:?}: {}", a.body);
            assert!(a.headers["content-type"] == "application/json" && a.has("connection: close"), "{request:?}: {}", a.head);
            caller.closed().await;
            assert!(svc.seen.lock().unwrap().is_empty(), "{request:?} reached the service");
        }
    }

    #[tokio::test]
    async fn too_many_header_fields_get_431() {
        let Setup { mut caller, .. } = start();
        let many: String = (0..=super::super::header::MAX_HEADERS).map(|i| format!("x-{i}: 1\r\n")).collect();
        caller.send(format!("GET / HTTP/1.1\r\nhost: h\r\n{many}\r\n")).await;
        let a = caller.answer(&Method::GET).await;
        assert_eq!(a.status, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
        assert!(a.has("connection: close"));
        caller.closed().await;
    }

    #[tokio::test]
    async fn a_malformed_request_after_a_good_one_is_refused_after_its_answer() {
        let Setup { mut caller, .. } = start();
        caller.send("GET /ok HTTP/1.1\r\nhost: h\r\n\r\nGET /bad HTTP/1.1\r\n\r\n").await;
        assert_eq!(caller.answer(&Method::GET).await.body, "GET /ok x-test=- len=0");
        assert_eq!(caller.answer(&Method::GET).await.status, StatusCode::BAD_REQUEST);
        caller.closed().await;
    }

    #[tokio::test]
    async fn http10_without_keep_alive_closes_after_the_answer() {
        let Setup { mut caller, svc, .. } = start();
        caller.send("GET /old HTTP/1.0\r\n\r\n").await;
        let a = caller.answer(&Method::GET).await;
        assert!(a.head.starts_with("HTTP/1.1 200 OK\r\n"));
        assert_eq!(a.body, "GET /old x-test=- len=0");
        assert!(a.has("connection: close"), "{}", a.head);
        caller.closed().await;
        assert_eq!(svc.seen.lock().unwrap()[0].version, Version::HTTP_10);
    }

    #[tokio::test]
    async fn http10_with_keep_alive_stays_open() {
        let Setup { mut caller, .. } = start();
        for i in 0..2 {
            caller.send(format!("GET /old{i} HTTP/1.0\r\nconnection: keep-alive\r\n\r\n")).await;
            let a = caller.answer(&Method::GET).await;
            assert_eq!(a.body, format!("GET /old{i} x-test=- len=0"));
            assert!(a.has("connection: keep-alive"), "{}", a.head);
        }
    }

    #[tokio::test]
    async fn http10_caller_gets_a_body_of_unknown_length_until_the_close() {
        let Setup { mut caller, .. } = start();
        caller.send("GET /stream HTTP/1.0\r\nconnection: keep-alive\r\n\r\n").await;
        let a = caller.answer(&Method::GET).await;
        assert!(!a.head.contains("transfer-encoding") && !a.head.contains("content-length"), "{}", a.head);
        assert!(a.has("connection: close"), "{}", a.head);
        assert_eq!(a.raw_body, b"hello chunked world", "no chunks: the body ends at the close");
    }

    #[tokio::test]
    async fn head_gets_the_length_but_no_body() {
        let Setup { mut caller, .. } = start();
        caller.send("HEAD /h HTTP/1.1\r\nhost: h\r\n\r\nGET /next HTTP/1.1\r\nhost: h\r\n\r\n").await;
        let a = caller.answer(&Method::HEAD).await;
        assert_eq!(a.status, StatusCode::OK);
        assert_eq!(a.headers["content-length"], "HEAD /h x-test=- len=0".len().to_string().as_str());
        // Had any body byte been written, this would not parse as the next answer.
        assert_eq!(caller.answer(&Method::GET).await.body, "GET /next x-test=- len=0");
        // Of unknown length: no length said, no chunks written.
        caller.send("HEAD /stream HTTP/1.1\r\nhost: h\r\n\r\nGET /next HTTP/1.1\r\nhost: h\r\n\r\n").await;
        let a = caller.answer(&Method::HEAD).await;
        assert!(!a.head.contains("content-length") && !a.head.contains("transfer-encoding"), "{}", a.head);
        assert_eq!(caller.answer(&Method::GET).await.body, "GET /next x-test=- len=0");
    }

    #[tokio::test]
    async fn no_content_and_not_modified_have_no_body_and_no_length() {
        let Setup { mut caller, .. } = start();
        for code in [204, 304] {
            caller.send(format!("GET /status/{code} HTTP/1.1\r\nhost: h\r\n\r\nGET /next HTTP/1.1\r\nhost: h\r\n\r\n")).await;
            let a = caller.answer(&Method::GET).await;
            assert_eq!(a.status.as_u16(), code);
            assert!(!a.head.contains("content-length") && !a.head.contains("transfer-encoding"), "{}", a.head);
            assert_eq!(caller.answer(&Method::GET).await.body, "GET /next x-test=- len=0", "no body bytes after {code}");
        }
    }

    #[tokio::test]
    async fn a_body_of_unknown_length_is_chunked() {
        let Setup { mut caller, .. } = start();
        caller.send("GET /stream HTTP/1.1\r\nhost: h\r\n\r\n").await;
        let a = caller.answer(&Method::GET).await;
        assert!(a.has("transfer-encoding: chunked") && !a.head.contains("content-length"), "{}", a.head);
        assert_eq!(a.raw_body, b"6\r\nhello \r\n8\r\nchunked \r\n5\r\nworld\r\n0\r\n\r\n");
        assert_eq!(a.body, "hello chunked world");
        caller.send("GET /again HTTP/1.1\r\nhost: h\r\n\r\n").await;
        assert_eq!(caller.answer(&Method::GET).await.body, "GET /again x-test=- len=0", "still open");
    }

    #[tokio::test]
    async fn a_body_that_fails_midway_cuts_the_connection() {
        let Setup { mut caller, .. } = start();
        caller.send("GET /error HTTP/1.1\r\nhost: h\r\n\r\n").await;
        let rest = caller.rest().await;
        let text = String::from_utf8(rest).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.contains("\r\ntransfer-encoding: chunked"), "{head}");
        assert_eq!(body, "7\r\npartial\r\n", "cut before the last chunk");
    }

    #[tokio::test]
    async fn informational_status_is_never_written_as_final() {
        let Setup { mut caller, .. } = start();
        for code in [100, 101, 103] {
            caller.send(format!("GET /status/{code} HTTP/1.1\r\nhost: h\r\n\r\nGET /next HTTP/1.1\r\nhost: h\r\n\r\n")).await;
            let a = caller.answer(&Method::GET).await;
            assert_eq!(a.status, StatusCode::BAD_GATEWAY, "{code}: {}", a.head);
            assert_eq!(caller.answer(&Method::GET).await.body, "GET /next x-test=- len=0");
        }
    }

    #[tokio::test]
    async fn connection_close_from_the_caller_is_answered_then_closed() {
        let Setup { mut caller, .. } = start();
        caller.send("GET /bye HTTP/1.1\r\nhost: h\r\nconnection: Close\r\n\r\nGET /never HTTP/1.1\r\nhost: h\r\n\r\n").await;
        let a = caller.answer(&Method::GET).await;
        assert_eq!(a.body, "GET /bye x-test=- len=0");
        assert!(a.has("connection: close"));
        caller.closed().await;
    }

    #[tokio::test]
    async fn closing_closes_an_idle_connection() {
        let Setup { mut caller, closing, server, .. } = start();
        caller.send("GET / HTTP/1.1\r\nhost: h\r\n\r\n").await;
        assert!(!caller.answer(&Method::GET).await.has("connection: close"));
        closing.send(true).unwrap();
        caller.closed().await;
        ended(server).await;
        // A new connection while closing closes without a word.
        let Setup { mut caller, closing, server, .. } = start();
        closing.send(true).unwrap();
        caller.closed().await;
        ended(server).await;
    }

    #[tokio::test]
    async fn closing_lets_a_request_in_hand_finish_with_connection_close() {
        let Setup { mut caller, svc, closing, server } = start();
        caller.send("GET /wait HTTP/1.1\r\nhost: h\r\n\r\n").await;
        svc.started.notified().await;
        closing.send(true).unwrap();
        svc.release.notify_one();
        let a = caller.answer(&Method::GET).await;
        assert_eq!(a.body, "GET /wait x-test=- len=0");
        assert!(a.has("connection: close"), "{}", a.head);
        caller.closed().await;
        ended(server).await;
    }

    #[tokio::test]
    async fn a_caller_that_hangs_up_drops_its_request() {
        let Setup { caller, svc, server, .. } = start();
        let mut caller = caller;
        caller.send("GET /slow HTTP/1.1\r\nhost: h\r\n\r\n").await;
        svc.started.notified().await;
        assert!(!svc.dropped.load(Ordering::SeqCst));
        drop(caller);
        ended(server).await;
        assert!(svc.dropped.load(Ordering::SeqCst), "the service's future was dropped");
    }

    #[tokio::test]
    async fn a_caller_that_half_closes_drops_its_request() {
        let Setup { mut caller, svc, server, .. } = start();
        caller.send("GET /slow HTTP/1.1\r\nhost: h\r\n\r\n").await;
        svc.started.notified().await;
        caller.io.shutdown().await.unwrap();
        ended(server).await;
        assert!(svc.dropped.load(Ordering::SeqCst));
        caller.closed().await;
    }

    #[tokio::test]
    async fn head_timeout_closes_a_silent_or_slow_caller() {
        // Nothing at all.
        let Setup { mut caller, server, .. } = start_with(limits(1 << 20, SHORT), 1 << 16);
        let at = Instant::now();
        caller.closed().await;
        assert!(at.elapsed() >= SHORT);
        ended(server).await;
        // A head that trickles in: the deadline runs from its first byte, however steady the drip.
        let Setup { caller, server, .. } = start_with(limits(1 << 20, SHORT), 1 << 16);
        let (mut read, mut write) = tokio::io::split(caller.io);
        let at = Instant::now();
        let drip = async {
            write.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
            for _ in 0..200 {
                tokio::time::sleep(Duration::from_millis(20)).await;
                if write.write_all(b"x-a: b\r\n").await.is_err() {
                    break;
                }
            }
        };
        let mut got = Vec::new();
        tokio::select! {
            r = timeout(WAIT, read.read_to_end(&mut got)) => r.expect("closed in time").unwrap(),
            () = drip => panic!("the head was never cut off"),
        };
        assert!(got.is_empty(), "{:?}", String::from_utf8_lossy(&got));
        assert!(at.elapsed() >= SHORT && at.elapsed() < WAIT);
        ended(server).await;
    }

    #[tokio::test]
    async fn idle_timeout_closes_a_quiet_keep_alive_connection() {
        let Setup { mut caller, server, .. } = start_with(limits(1 << 20, SHORT), 1 << 16);
        caller.send("GET / HTTP/1.1\r\nhost: h\r\n\r\n").await;
        caller.answer(&Method::GET).await;
        let at = Instant::now();
        caller.closed().await;
        assert!(at.elapsed() >= SHORT - Duration::from_millis(5));
        ended(server).await;
    }

    #[tokio::test]
    async fn a_stalled_body_gets_408() {
        let Setup { mut caller, svc, server, .. } = start_with(limits(1 << 20, SHORT), 1 << 16);
        caller.send("POST / HTTP/1.1\r\nhost: h\r\ncontent-length: 10\r\n\r\nabc").await;
        let a = caller.answer(&Method::POST).await;
        assert_eq!(a.status, StatusCode::REQUEST_TIMEOUT);
        assert!(a.body.contains("Request Timeout") && a.has("connection: close"));
        caller.closed().await;
        ended(server).await;
        assert!(svc.seen.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn send_timeout_gives_up_on_a_caller_that_does_not_read() {
        let Setup { mut caller, server, .. } = start_with(limits(1 << 20, SHORT), 1024);
        caller.send("GET /big HTTP/1.1\r\nhost: h\r\n\r\n").await;
        let at = Instant::now();
        ended(server).await;
        assert!(at.elapsed() >= SHORT - Duration::from_millis(5));
        // What got through is less than the body.
        let rest = caller.rest().await;
        assert!(rest.len() < 1 << 20);
    }
}
