//! The gateway's own HTTP/1.1 server side, for the common request: a
//! keep-alive HTTP/1.1 request whose head (and small body, if any) has
//! arrived whole, with no transfer coding, `Expect` or `Upgrade`. Such a
//! request is parsed with httparse straight from the connection's buffer,
//! goes through the raw path (`fast`) when its method proxies to an http://
//! backend, otherwise through the pipeline (`Gateway::handle`), and its
//! answer goes out in one write when its body is complete.
//!
//! Anything else — HTTP/2, HTTP/1.0, `HEAD`, a head still arriving, a
//! chunked or large body, `Expect: 100-continue`, upgrades, `Connection:
//! close`, a malformed head — hands the connection, with what has been read
//! so far, to hyper, which serves it from then on (and answers the bad ones
//! with 400 or 431). The decision is made before the pipeline runs, so no
//! request is ever counted twice.

use std::convert::Infallible;
use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::{Buf, BufMut, Bytes, BytesMut};
use http::header::{self, HeaderMap};
use http::{Method, Request, Response, StatusCode, Uri};
use http_body::Body;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;

use super::h1::{make_room, Field};
use super::head::Gather;
use super::{GwBody, Gateway};
use crate::metrics::Recorded;

/// Most request headers read (hyper's limit too: past it, hyper answers 431).
const MAX_HEADERS: usize = 100;
/// Largest request body served here; it must have arrived with the head.
const MAX_BODY: usize = 64 * 1024;
/// Read size, and how much of an answer is gathered before it is written.
const CHUNK: usize = 16 * 1024;

/// Turns `true` when the gateway is closing: a connection finishes the
/// request in hand and closes, an idle one closes at once. The gateway
/// waits until every connection has dropped its receiver.
pub type Closing = tokio::sync::watch::Receiver<bool>;

/// Waits until the gateway is closing (forever, if it never says).
async fn closed(mut closing: Closing) {
    if closing.wait_for(|c| *c).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// One caller's connection: what has been read and not yet used, and the
/// answer being gathered.
struct Conn {
    stream: TcpStream,
    buf: BytesMut,
    out: BytesMut,
    /// The backend call's time limit, one timer for the connection's life.
    deadline: Pin<Box<tokio::time::Sleep>>,
}

/// Serves a caller's connection until it closes.
pub async fn serve(gateway: Arc<Gateway>, stream: TcpStream, peer: SocketAddr, closing: Closing) {
    let mut conn = Conn {
        stream,
        buf: BytesMut::with_capacity(CHUNK),
        out: BytesMut::with_capacity(CHUNK),
        deadline: Box::pin(tokio::time::sleep(std::time::Duration::ZERO)),
    };
    // One wait for the whole connection: made anew per request, it cost
    // about 1.5% of a worker's time (registering with the channel and leaving it).
    let mut stop = std::pin::pin!(closed(closing.clone()));
    loop {
        if conn.buf.is_empty() {
            make_room(&mut conn.buf);
            let read = tokio::select! {
                biased;
                r = conn.stream.read_buf(&mut conn.buf) => r,
                _ = &mut stop => return,
            };
            if !matches!(read, Ok(n) if n > 0) {
                return;
            }
        }
        let Some(raw) = parse(&mut conn.buf) else {
            return hand_to_hyper(gateway, conn, peer, closing).await;
        };
        // The common proxied request goes through on raw bytes (`fast`);
        // the rest through the pipeline in `http` types.
        if let Some(taken) = super::fast::take(&gateway, &raw) {
            // Pinned where it is made (a future moved is a future copied
            // whole, some 1.5 KB); the block ends its borrow of `conn.out`.
            let answer = {
                let answer = std::pin::pin!(super::fast::proxy(&gateway, taken, &raw, peer, &closing, &mut conn.out, conn.deadline.as_mut()));
                watching(&conn.stream, &mut conn.buf, answer).await
            };
            let Some(answer) = answer else { return };
            let closing_now = *closing.borrow();
            let whole = match answer {
                super::fast::Answer::Written { pending, sent } => {
                    let ok = flush(&mut conn).await;
                    if let Some(p) = pending {
                        (*p).done(&gateway.recorder, if ok { sent } else { 0 });
                    }
                    ok && !closing_now
                }
                super::fast::Answer::Response(res) => respond(&mut conn, res, closing_now).await,
            };
            if !whole || closing_now {
                return;
            }
            continue;
        }
        let Some(req) = raw.into_request(&mut conn.buf) else {
            // Not valid after all: hyper answers it.
            return hand_to_hyper(gateway, conn, peer, closing).await;
        };
        let answer = std::pin::pin!(gateway.handle(req, peer));
        let Some(res) = watching(&conn.stream, &mut conn.buf, answer).await else { return };
        let closing_now = *closing.borrow();
        if !respond(&mut conn, res, closing_now).await || closing_now {
            return;
        }
    }
}

/// Runs `answer` while noticing a caller that hangs up: then `answer` is
/// dropped (which records the request as 499) and the result is `None`.
/// Bytes that arrive instead are the next request, read after this one is
/// answered. `answer` comes pinned where the caller made it: taken by
/// value, the whole future was copied twice more for every request.
async fn watching<T>(stream: &TcpStream, buf: &mut BytesMut, mut answer: Pin<&mut impl std::future::Future<Output = T>>) -> Option<T> {
    let mut watch = true;
    loop {
        tokio::select! {
            biased;
            res = answer.as_mut() => return Some(res),
            ready = stream.readable(), if watch => {
                ready.ok()?;
                make_room(buf);
                match stream.try_read_buf(buf) {
                    Ok(0) => return None,
                    Ok(_) => watch = false,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(_) => return None,
                }
            }
        }
    }
}

/// A request taken off the connection's buffer, not yet turned into
/// `http` types: its head's bytes and where each part lies in them.
pub(super) struct RawRequest {
    pub(super) head: Bytes,
    pub(super) body: Bytes,
    pub(super) method: Method,
    /// The request target (path and query) in `head`.
    pub(super) target: std::ops::Range<usize>,
    pub(super) fields: super::h1::Fields,
    /// Where in `fields` the first Host, x-api-key and X-Forwarded-For are.
    pub(super) host: Option<usize>,
    pub(super) api_key: Option<usize>,
    pub(super) forwarded_for: Option<usize>,
}

impl RawRequest {
    /// The request target: path and query string.
    #[allow(unsafe_code)] // ASCII is UTF-8
    pub(super) fn target(&self) -> &str {
        let t = &self.head[self.target.clone()];
        if t.is_ascii() {
            // SAFETY: ASCII text is valid UTF-8 (checked word by word, cheaper than `from_utf8`).
            unsafe { std::str::from_utf8_unchecked(t) }
        } else {
            // httparse lets bytes past ASCII through.
            std::str::from_utf8(t).unwrap_or("")
        }
    }

    pub(super) fn name(&self, (ns, ne, _, _): Field) -> &[u8] {
        &self.head[ns..ne]
    }

    pub(super) fn value(&self, (_, _, vs, ve): Field) -> &[u8] {
        &self.head[vs..ve]
    }

    /// The first value of header `name` (lower case), if it is visible
    /// ASCII (what `HeaderValue::to_str` accepts).
    #[cfg(test)]
    pub(super) fn header(&self, name: &str) -> Option<&str> {
        self.text(self.fields.iter().position(|&f| self.name(f).eq_ignore_ascii_case(name.as_bytes())))
    }

    /// The value of the field at `at`, if it is visible ASCII.
    #[allow(unsafe_code)] // visible ASCII is UTF-8
    pub(super) fn text(&self, at: Option<usize>) -> Option<&str> {
        let v = self.value(*self.fields.get(at?)?);
        // SAFETY: tabs and visible ASCII only, checked just here, are valid UTF-8.
        v.iter().all(|&b| b == b'\t' || (b' '..=b'~').contains(&b)).then(|| unsafe { std::str::from_utf8_unchecked(v) })
    }

    /// The request in `http` types; `None` if a part is not valid there,
    /// and then its bytes are back in front of `buf`.
    fn into_request(self, buf: &mut BytesMut) -> Option<Request<Full<Bytes>>> {
        let built = (|| {
            let uri = Uri::from_maybe_shared(self.head.slice(self.target.clone())).ok()?;
            let mut map = HeaderMap::with_capacity(self.fields.len());
            for &f in &self.fields {
                let (name, value) = super::h1::field(&self.head, f)?;
                map.append(name, value);
            }
            Some((uri, map))
        })();
        let Some((uri, map)) = built else {
            self.put_back(buf);
            return None;
        };
        let mut req = Request::new(Full::new(self.body));
        *req.method_mut() = self.method;
        *req.uri_mut() = uri;
        *req.headers_mut() = map;
        Some(req)
    }

    /// Puts the request's bytes back in front of `buf`.
    fn put_back(self, buf: &mut BytesMut) {
        let mut whole = BytesMut::with_capacity(self.head.len() + self.body.len() + buf.len());
        whole.put_slice(&self.head);
        whole.put_slice(&self.body);
        whole.put_slice(buf);
        *buf = whole;
    }
}

/// Takes one request off the front of `buf` if it can be served here;
/// otherwise leaves `buf` as it was and returns `None`.
fn parse(buf: &mut BytesMut) -> Option<RawRequest> {
    // Left uninitialised: httparse fills in only what it finds (zeroing
    // 100 headers' worth per request showed in profiles).
    let mut headers = [const { std::mem::MaybeUninit::uninit() }; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut []);
    let Ok(httparse::Status::Complete(head_len)) = req.parse_with_uninit_headers(buf, &mut headers) else { return None };
    if req.version != Some(1) {
        return None;
    }
    let method = Method::from_bytes(req.method?.as_bytes()).ok()?;
    if method == Method::HEAD || method == Method::CONNECT {
        return None;
    }
    let path = req.path?;
    if !path.starts_with('/') {
        return None;
    }
    let base = buf.as_ptr() as usize;
    let path_at = path.as_ptr() as usize - base;
    let target = path_at..path_at + path.len();
    let mut length: Option<usize> = None;
    let mut fields = super::h1::Fields::new();
    fields.reserve(req.headers.len());
    let (mut host, mut api_key, mut forwarded_for) = (None, None, None);
    for h in req.headers.iter() {
        let name = h.name.as_bytes();
        let first = |seen: &mut Option<usize>, want: &[u8]| {
            if seen.is_none() && name.eq_ignore_ascii_case(want) {
                *seen = Some(fields.len());
            }
        };
        first(&mut host, b"host");
        first(&mut api_key, b"x-api-key");
        first(&mut forwarded_for, b"x-forwarded-for");
        if name.eq_ignore_ascii_case(b"content-length") {
            let digits = h.value;
            if length.is_some() || digits.is_empty() || digits.len() > 12 || !digits.iter().all(u8::is_ascii_digit) {
                return None;
            }
            length = Some(digits.iter().fold(0usize, |n, d| n * 10 + usize::from(d - b'0')));
        } else if name.eq_ignore_ascii_case(b"transfer-encoding")
            || name.eq_ignore_ascii_case(b"expect")
            || name.eq_ignore_ascii_case(b"upgrade")
            || (name.eq_ignore_ascii_case(b"connection") && !only_keep_alive(h.value))
        {
            return None;
        }
        fields.push(super::h1::field_at(base, h.name, h.value));
    }
    let length = length.unwrap_or(0);
    if length > MAX_BODY || buf.len() < head_len + length {
        return None;
    }
    let head = buf.split_to(head_len).freeze();
    let body = if length == 0 { Bytes::new() } else { buf.split_to(length).freeze() };
    Some(RawRequest { head, body, method, target, fields, host, api_key, forwarded_for })
}

/// Whether a `Connection` value asks for nothing but keep-alive.
fn only_keep_alive(value: &[u8]) -> bool {
    value.split(|b| *b == b',').all(|t| t.trim_ascii().eq_ignore_ascii_case(b"keep-alive"))
}

/// Writes `res` to the caller. Returns whether the connection can carry
/// another request (not when the answer could not be sent whole).
async fn respond(conn: &mut Conn, res: Response<Recorded<GwBody>>, closing: bool) -> bool {
    let (parts, mut body) = res.into_parts();
    let status = parts.status;
    conn.out.clear();
    let mut head = Gather::new(&mut conn.out);
    head.status(status);
    let bodiless = status.is_informational() || status == StatusCode::NO_CONTENT || status == StatusCode::NOT_MODIFIED;
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    for (name, value) in &parts.headers {
        if !matches!(*name, header::CONTENT_LENGTH | header::TRANSFER_ENCODING | header::CONNECTION) {
            head.field(name.as_str().as_bytes(), value.as_bytes());
        }
    }
    if !parts.headers.contains_key(header::DATE) {
        head.date(crate::metrics::now_us());
    }
    if closing {
        head.put(b"connection: close\r\n");
    }
    let length = if bodiless { Some(0) } else { declared.or(body.size_hint().exact()) };
    let chunked = length.is_none();
    match length {
        Some(n) if !bodiless => head.number(b"content-length", n),
        Some(_) => {}
        None => head.put(b"transfer-encoding: chunked\r\n"),
    }
    head.put(b"\r\n");
    drop(head);
    if bodiless {
        // Dropping the body records the request.
        drop(body);
        return flush(conn).await;
    }
    let mut sent = 0u64;
    loop {
        // Gather what is ready; write before waiting for more.
        let frame = match poll_fn(|cx| Poll::Ready(Pin::new(&mut body).poll_frame(cx))).await {
            Poll::Ready(frame) => frame,
            Poll::Pending => {
                if !flush(conn).await {
                    return false;
                }
                body.frame().await
            }
        };
        let data = match frame {
            None => break,
            Some(Ok(frame)) => match frame.into_data() {
                Ok(d) if !d.is_empty() => d,
                _ => continue,
            },
            // The backend failed mid-body: cut the connection, as hyper
            // does, so the caller cannot take a partial body for a whole one.
            Some(Err(_)) => {
                flush(conn).await;
                return false;
            }
        };
        sent += data.len() as u64;
        if length.is_some_and(|n| sent > n) {
            return false;
        }
        super::h1::put_chunk(&mut conn.out, &data, chunked);
        if conn.out.len() >= CHUNK && !flush(conn).await {
            return false;
        }
    }
    if chunked {
        conn.out.put_slice(b"0\r\n\r\n");
    }
    flush(conn).await && length.is_none_or(|n| n == sent)
}

/// Writes out what has been gathered.
async fn flush(conn: &mut Conn) -> bool {
    if conn.out.is_empty() {
        return true;
    }
    let ok = conn.stream.write_all(&conn.out).await.is_ok();
    conn.out.clear();
    ok
}

/// Hands the connection to hyper, replaying what was read, and serves it
/// there until it closes (or, when the gateway closes, shuts it down
/// gracefully).
async fn hand_to_hyper(gateway: Arc<Gateway>, conn: Conn, peer: SocketAddr, closing: Closing) {
    let io = Replay { read: conn.buf.freeze(), stream: conn.stream };
    let svc = hyper::service::service_fn(move |req: Request<Incoming>| {
        let gateway = gateway.clone();
        async move { Ok::<_, Infallible>(gateway.handle(req, peer).await) }
    });
    let builder = Builder::new(TokioExecutor::new());
    let served = builder.serve_connection_with_upgrades(TokioIo::new(io), svc);
    tokio::pin!(served);
    tokio::select! {
        _ = served.as_mut() => return,
        _ = closed(closing) => {}
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

    fn poll_write_vectored(mut self: Pin<&mut Self>, cx: &mut Context<'_>, bufs: &[io::IoSlice<'_>]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(raw: &str) -> (Option<RawRequest>, BytesMut) {
        let mut buf = BytesMut::from(raw);
        let req = parse(&mut buf);
        (req, buf)
    }

    #[test]
    fn simple_requests_are_taken_and_the_rest_stays() {
        let raw = "GET /a/b?x=1 HTTP/1.1\r\nhost: h\r\nx-api-key: k\r\nx-multi: 1\r\nX-Multi: 2\r\n\r\nPOST /p HTTP/1.1\r\ncontent-length: 3\r\n\r\nabcGET";
        let (req, mut buf) = parsed(raw);
        let raw = req.unwrap();
        assert_eq!((&raw.method, raw.target()), (&Method::GET, "/a/b?x=1"));
        assert_eq!((raw.header("x-api-key"), raw.header("X-MULTI"), raw.header("x-none")), (Some("k"), Some("1"), None));
        assert_eq!((raw.text(raw.host), raw.text(raw.api_key), raw.forwarded_for), (Some("h"), Some("k"), None));
        let req = raw.into_request(&mut BytesMut::new()).unwrap();
        assert_eq!((req.method(), req.uri().path(), req.uri().query()), (&Method::GET, "/a/b", Some("x=1")));
        assert_eq!(req.headers()["x-api-key"], "k");
        assert_eq!(req.headers().get_all("x-multi").iter().count(), 2);
        assert!(req.body().is_end_stream(), "no body");
        let post = parse(&mut buf).unwrap();
        assert_eq!((&post.method, &post.body[..]), (&Method::POST, &b"abc"[..]));
        assert_eq!(&buf[..], b"GET", "the next, partial request waits");
        assert!(parse(&mut buf).is_none());
        assert_eq!(&buf[..], b"GET");
    }

    #[test]
    fn header_values_to_str_would_refuse_are_not_read_and_bytes_go_back_whole() {
        let raw_text = "POST / HTTP/1.1\r\nx-api-key: café\r\ncontent-length: 2\r\n\r\nhi";
        let (req, buf) = parsed(raw_text);
        assert!(buf.is_empty());
        let raw = req.unwrap();
        assert_eq!(raw.header("x-api-key"), None, "not visible ASCII, as HeaderValue::to_str");
        let mut buf = BytesMut::from("rest");
        raw.put_back(&mut buf);
        assert_eq!(&buf[..], format!("{raw_text}rest").as_bytes());
    }

    #[test]
    fn everything_else_is_left_for_hyper_untouched() {
        for raw in [
            "GET / HTTP/1.0\r\n\r\n",
            "HEAD / HTTP/1.1\r\n\r\n",
            "GET http://h/ HTTP/1.1\r\n\r\n",
            "POST / HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n",
            "POST / HTTP/1.1\r\ncontent-length: 5\r\nexpect: 100-continue\r\n\r\n",
            "POST / HTTP/1.1\r\ncontent-length: 5\r\n\r\nabc",
            "POST / HTTP/1.1\r\ncontent-length: 3\r\ncontent-length: 3\r\n\r\nabc",
            "POST / HTTP/1.1\r\ncontent-length: +3\r\n\r\nabc",
            "GET / HTTP/1.1\r\nconnection: close\r\n\r\n",
            "GET / HTTP/1.1\r\nconnection: upgrade\r\nupgrade: websocket\r\n\r\n",
            "GET / HTTP/1.1\r\nhost: h\r\n",
            "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
            "GET / HTTP/1.1\r\nbad header\r\n\r\n",
            "GET / HTTP/1.1\r\nx: \x01\r\n\r\n",
        ] {
            let (req, buf) = parsed(raw);
            assert!(req.is_none(), "{raw:?}");
            assert_eq!(&buf[..], raw.as_bytes(), "{raw:?} is left whole");
        }
        let many: String = (0..=MAX_HEADERS).map(|i| format!("x-{i}: 1\r\n")).collect();
        let raw = format!("GET / HTTP/1.1\r\n{many}\r\n");
        let (req, buf) = parsed(&raw);
        assert!(req.is_none());
        assert_eq!(buf.len(), raw.len());
    }

    #[test]
    fn keep_alive_is_the_only_connection_option_taken() {
        assert!(only_keep_alive(b"keep-alive"));
        assert!(only_keep_alive(b"Keep-Alive , keep-alive"));
        assert!(!only_keep_alive(b"keep-alive, close"));
        assert!(!only_keep_alive(b"x-private"));
    }
}
