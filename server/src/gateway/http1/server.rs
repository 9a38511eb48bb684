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
async fn closed(closing: &mut Closing) {
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
pub async fn serve<IO, S>(io: IO, initial: BytesMut, svc: &S, limits: Limits, mut closing: Closing)
where
    IO: AsyncRead + AsyncWrite + Unpin + Send,
    S: Service + Sync,
{
    let t = limits.timeouts;
    let mut c = Conn { io, buf: initial, out: BytesMut::with_capacity(CHUNK) };
    let mut first = true;
    loop {
        // The next request's first byte: within the head timeout on a new
        // connection, the idle timeout between requests.
        if c.buf.is_empty() {
            let wait = if first { t.head } else { t.idle };
            let read = tokio::select! {
                biased;
                r = timeout(wait, c.read_more()) => r,
                () = closed(&mut closing) => return,
            };
            match read {
                Err(_) => {
                    count(if first { &COUNTERS.head_timeouts } else { &COUNTERS.idle_timeouts });
                    return;
                }
                Ok(Ok(0) | Err(_)) => return,
                Ok(Ok(_)) => {}
            }
        }
        first = false;
        // The rest of the head, within the head timeout of its first byte.
        let deadline = Instant::now() + t.head;
        let head = loop {
            match parse_request(&mut c.buf) {
                Ok(Some(h)) => break h,
                Ok(None) => match timeout_at(deadline, c.read_more()).await {
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
        let Ok(uri) = target.parse::<http::Uri>() else {
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
async fn read_body<IO: AsyncRead + AsyncWrite + Unpin>(c: &mut Conn<IO>, framing: Framing, max: usize, idle: Duration) -> Result<Got, ReadError> {
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
async fn write_response<IO, B>(c: &mut Conn<IO>, res: Response<B>, head_request: bool, version: Version, close: bool, limit: Duration) -> bool
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
