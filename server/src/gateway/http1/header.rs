//! Request and response heads: parsed with httparse, then held to the
//! framing rules of RFC 9112 once, for the server side and the client side
//! alike. Everything the gateway decides about a message's body (its
//! framing, whether the connection stays open) comes from here.

use bytes::{Bytes, BytesMut};
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, StatusCode, Version};

/// Most header fields in a head (hyper's default too; nginx has none but 8 KB buffers).
pub const MAX_HEADERS: usize = 100;
/// Largest head (start line and fields) read before refusing it.
pub const MAX_HEAD: usize = 64 * 1024;

/// How a message's body is delimited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    /// No body at all (a request without framing headers; a response to
    /// HEAD; 1xx, 204 and 304 responses).
    Empty,
    /// Exactly this many bytes.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Until the peer closes (responses only).
    UntilClose,
}

/// Why a head was refused. The server answers each with its status; the
/// client treats every one as a failed backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeadError {
    /// Malformed or ambiguous: 400.
    Bad(&'static str),
    /// Head larger than [`MAX_HEAD`] or more than [`MAX_HEADERS`] fields: 431.
    TooLarge,
    /// Not HTTP/1.0 or 1.1: 505.
    Version,
}

impl HeadError {
    /// The status a server answers this with.
    pub fn status(&self) -> StatusCode {
        match self {
            HeadError::Bad(_) => StatusCode::BAD_REQUEST,
            HeadError::TooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            HeadError::Version => StatusCode::HTTP_VERSION_NOT_SUPPORTED,
        }
    }

    /// What is wrong, for the answer's message and the log.
    pub fn reason(&self) -> &'static str {
        match self {
            HeadError::Bad(why) => why,
            HeadError::TooLarge => "Request Header Fields Too Large",
            HeadError::Version => "HTTP Version Not Supported",
        }
    }
}

/// A request head that passed every rule.
#[derive(Debug)]
pub struct RequestHead {
    pub method: Method,
    /// Origin-form target: path and query, starting with `/`.
    pub target: String,
    pub version: Version,
    pub headers: HeaderMap,
    pub framing: Framing,
    /// Whether the caller allows another request on the connection.
    pub keep_alive: bool,
    /// `Expect: 100-continue`: the caller waits for a go-ahead before sending its body.
    pub expect_continue: bool,
}

/// A response head (interim 1xx responses included: the caller skips them).
#[derive(Debug)]
pub struct ResponseHead {
    pub status: StatusCode,
    pub version: Version,
    pub headers: HeaderMap,
    pub framing: Framing,
    /// Whether the connection may carry another request after this body.
    pub keep_alive: bool,
}

/// Headers that belong to one connection and are never forwarded.
const HOP_BY_HOP: [&str; 10] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "trailers",
    "transfer-encoding",
    "upgrade",
    "proxy-connection",
];

/// Whether `name` (any case) is a hop-by-hop header.
pub fn is_hop_by_hop(name: &[u8]) -> bool {
    HOP_BY_HOP.iter().any(|h| h.as_bytes().eq_ignore_ascii_case(name))
}

/// The comma-separated tokens of every `name` field, trimmed.
pub fn tokens(headers: &HeaderMap, name: HeaderName) -> impl Iterator<Item = &str> {
    headers.get_all(name).into_iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).map(str::trim).filter(|t| !t.is_empty())
}

fn has_token(headers: &HeaderMap, name: HeaderName, token: &str) -> bool {
    tokens(headers, name).any(|t| t.eq_ignore_ascii_case(token))
}

/// Removes hop-by-hop headers, and any the `Connection` header names.
pub fn strip_hop_by_hop(headers: &mut HeaderMap) {
    // Usually there are none: look before removing (each removal hashes).
    if !headers.keys().any(|k| is_hop_by_hop(k.as_str().as_bytes())) {
        return;
    }
    let named: Vec<HeaderName> = tokens(headers, header::CONNECTION).filter_map(|n| HeaderName::try_from(n).ok()).collect();
    for n in named {
        headers.remove(n);
    }
    for h in HOP_BY_HOP {
        headers.remove(h);
    }
}

/// The value of a `Content-Length` field: ASCII digits only, no sign, no
/// spaces inside, at most 19 digits (so it fits a u64).
fn length_value(v: &[u8]) -> Option<u64> {
    if v.is_empty() || v.len() > 19 || !v.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(v.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0')))
}

/// The framing `Transfer-Encoding` fields ask for: chunked must be the one
/// and last coding. `Err` for anything else (the caller decides what that means).
fn transfer_coding(headers: &HeaderMap) -> Option<Result<(), &'static str>> {
    if !headers.contains_key(header::TRANSFER_ENCODING) {
        return None;
    }
    let mut codings = Vec::new();
    for v in headers.get_all(header::TRANSFER_ENCODING) {
        let Ok(v) = v.to_str() else { return Some(Err("Transfer-Encoding is not ASCII")) };
        // An empty list item (`chunked,`) is legal but refused: nginx and
        // hyper refuse it, and a proxy in front that ignores it would frame
        // the body differently.
        for t in v.split(',').map(str::trim) {
            if t.is_empty() {
                return Some(Err("an empty Transfer-Encoding item"));
            }
            codings.push(t);
        }
    }
    Some(match codings.as_slice() {
        [only] if only.eq_ignore_ascii_case("chunked") => Ok(()),
        [] => Err("empty Transfer-Encoding"),
        _ => Err("a transfer coding other than chunked"),
    })
}

/// The one `Content-Length` of a message, if any. Several fields, or one
/// with a list, must all agree (RFC 9112 6.3, point 5) — `strict` refuses
/// any repetition at all, as nginx does for requests.
fn content_length(headers: &HeaderMap, strict: bool) -> Result<Option<u64>, &'static str> {
    let mut found: Option<u64> = None;
    let mut count = 0;
    for v in headers.get_all(header::CONTENT_LENGTH) {
        for part in v.as_bytes().split(|&b| b == b',') {
            count += 1;
            let n = length_value(part.trim_ascii()).ok_or("invalid Content-Length")?;
            if found.is_some_and(|f| f != n) {
                return Err("conflicting Content-Length values");
            }
            found = Some(n);
        }
    }
    if strict && count > 1 {
        return Err("more than one Content-Length");
    }
    Ok(found)
}

/// Where a field's name and value lie in a head: (name start, name end, value start, value end).
type Span = (usize, usize, usize, usize);

/// The spans of httparse's fields, which borrow a buffer starting at `base`.
fn spans(fields: &[httparse::Header<'_>], base: usize, out: &mut [Span; MAX_HEADERS]) -> usize {
    for (i, f) in fields.iter().enumerate() {
        let n = f.name.as_ptr() as usize - base;
        let v = f.value.as_ptr() as usize - base;
        out[i] = (n, n + f.name.len(), v, v + f.value.len());
    }
    fields.len()
}

/// The fields of `head` as a map, values sharing its bytes (no copy).
/// `None` if a field is not valid in `http`'s types.
fn header_map(head: &Bytes, spans: &[Span]) -> Option<HeaderMap> {
    let mut map = HeaderMap::with_capacity(spans.len() + 8);
    for &(ns, ne, vs, ve) in spans {
        let name = &head[ns..ne];
        if name.contains(&b'_') {
            continue;
        }
        let name = HeaderName::from_bytes(name).ok()?;
        let value = HeaderValue::from_maybe_shared(head.slice(vs..ve)).ok()?;
        map.append(name, value);
    }
    Some(map)
}

/// Whether a `Host` value is a host name, IPv4 or bracketed IPv6 address,
/// with an optional port: it names the API and lands in logs, so nothing
/// else (spaces, tabs, `/`, `@`, `,`, `?`, `#`, `\`) is let through.
fn host_well_formed(h: &[u8]) -> bool {
    h.len() <= 255 && h.iter().all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b':' | b'[' | b']'))
}

/// Whether a method is written the way nginx accepts one: upper-case
/// letters (and `_`/`-`), as every registered method is. `get` or `Get`
/// is some other, unknown method; nginx answers 400 to it.
fn method_well_formed(m: &str) -> bool {
    !m.is_empty() && m.len() <= 32 && m.bytes().all(|b| b.is_ascii_uppercase() || b == b'_' || b == b'-')
}

/// The length of a complete head from httparse's answer; `None` while it
/// is incomplete and `buffered` bytes are still within [`MAX_HEAD`].
fn head_length(parsed: httparse::Result<usize>, buffered: usize, malformed: &'static str) -> Result<Option<usize>, HeadError> {
    match parsed {
        Ok(httparse::Status::Complete(n)) if n > MAX_HEAD => Err(HeadError::TooLarge),
        Ok(httparse::Status::Complete(n)) => Ok(Some(n)),
        Ok(httparse::Status::Partial) if buffered > MAX_HEAD => Err(HeadError::TooLarge),
        Ok(httparse::Status::Partial) => Ok(None),
        Err(httparse::Error::TooManyHeaders) => Err(HeadError::TooLarge),
        Err(httparse::Error::Version) => Err(HeadError::Version),
        Err(_) => Err(HeadError::Bad(malformed)),
    }
}

/// HTTP/1.1 or 1.0; anything else is refused.
fn version(minor: Option<u8>) -> Result<Version, HeadError> {
    match minor {
        Some(1) => Ok(Version::HTTP_11),
        Some(0) => Ok(Version::HTTP_10),
        _ => Err(HeadError::Version),
    }
}

/// Takes a request head off the front of `buf`. `Ok(None)`: not all here
/// yet (and not too large so far); `buf` is left as it was unless a head
/// is returned. Fields named with `_` are dropped, as nginx drops them
/// (`underscores_in_headers off`): behind anything that maps `_` to `-`
/// (CGI, many frameworks), `Transfer_Encoding` would become framing.
pub fn parse_request(buf: &mut BytesMut) -> Result<Option<RequestHead>, HeadError> {
    // Left uninitialised: httparse fills in only what it finds (zeroing
    // 100 fields per request showed in profiles).
    let mut fields = [const { std::mem::MaybeUninit::uninit() }; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut []);
    let Some(len) = head_length(req.parse_with_uninit_headers(buf, &mut fields), buf.len(), "malformed request head")? else {
        return Ok(None);
    };
    let version = version(req.version)?;
    let method_text = req.method.ok_or(HeadError::Bad("no method"))?;
    if !method_well_formed(method_text) {
        return Err(HeadError::Bad("malformed method"));
    }
    let method = Method::from_bytes(method_text.as_bytes()).map_err(|_| HeadError::Bad("malformed method"))?;
    let path = req.path.ok_or(HeadError::Bad("no request target"))?;
    // Origin form only: the gateway is no forward proxy (absolute form,
    // CONNECT's authority form and `*` are refused).
    if !path.starts_with('/') {
        return Err(HeadError::Bad("the request target must start with '/'"));
    }
    if !path.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(HeadError::Bad("the request target has a character that must be percent-encoded"));
    }
    if path.contains('#') {
        return Err(HeadError::Bad("the request target has a fragment"));
    }
    let (method, target) = (method, path.to_string());
    let mut at = [(0, 0, 0, 0); MAX_HEADERS];
    let n = spans(req.headers, buf.as_ptr() as usize, &mut at);
    let head = buf.split_to(len).freeze();
    let headers = header_map(&head, &at[..n]).ok_or(HeadError::Bad("malformed header field"))?;
    // Exactly one Host (RFC 9112 3.2); HTTP/1.0 callers may leave it out.
    match headers.get_all(header::HOST).iter().count() {
        1 => {}
        0 if version == Version::HTTP_10 => {}
        0 => return Err(HeadError::Bad("no Host header")),
        _ => return Err(HeadError::Bad("more than one Host header")),
    }
    if headers.get(header::HOST).is_some_and(|h| !host_well_formed(h.as_bytes())) {
        return Err(HeadError::Bad("malformed Host header"));
    }
    let framing = match (transfer_coding(&headers), content_length(&headers, true).map_err(HeadError::Bad)?) {
        (Some(_), Some(_)) => return Err(HeadError::Bad("both Transfer-Encoding and Content-Length")),
        (Some(Err(why)), None) => return Err(HeadError::Bad(why)),
        (Some(Ok(())), None) if version == Version::HTTP_10 => return Err(HeadError::Bad("Transfer-Encoding in an HTTP/1.0 request")),
        (Some(Ok(())), None) => Framing::Chunked,
        (None, Some(0)) | (None, None) => Framing::Empty,
        (None, Some(n)) => Framing::Length(n),
    };
    let keep_alive = match version {
        Version::HTTP_10 => has_token(&headers, header::CONNECTION, "keep-alive") && !has_token(&headers, header::CONNECTION, "close"),
        _ => !has_token(&headers, header::CONNECTION, "close"),
    };
    let mut expect_continue = false;
    for v in headers.get_all(header::EXPECT) {
        if !v.as_bytes().eq_ignore_ascii_case(b"100-continue") {
            return Err(HeadError::Bad("an Expect value other than 100-continue"));
        }
        expect_continue = version == Version::HTTP_11;
    }
    Ok(Some(RequestHead { method, target, version, headers, framing, keep_alive, expect_continue }))
}

/// Takes a response head, for a request made with `method`, off the front
/// of `buf`. `Ok(None)`: not all here yet.
pub fn parse_response(buf: &mut BytesMut, method: &Method) -> Result<Option<ResponseHead>, HeadError> {
    let mut fields = [const { std::mem::MaybeUninit::uninit() }; MAX_HEADERS];
    let mut res = httparse::Response::new(&mut []);
    let parsed = httparse::ParserConfig::default().parse_response_with_uninit_headers(&mut res, buf, &mut fields);
    let Some(len) = head_length(parsed, buf.len(), "malformed response head")? else {
        return Ok(None);
    };
    let version = version(res.version)?;
    let status = res.code.and_then(|c| StatusCode::from_u16(c).ok()).ok_or(HeadError::Bad("malformed status code"))?;
    let mut at = [(0, 0, 0, 0); MAX_HEADERS];
    let n = spans(res.headers, buf.as_ptr() as usize, &mut at);
    let head = buf.split_to(len).freeze();
    let mut headers = header_map(&head, &at[..n]).ok_or(HeadError::Bad("malformed header field"))?;
    let mut keep_alive = match version {
        Version::HTTP_10 => has_token(&headers, header::CONNECTION, "keep-alive"),
        _ => !has_token(&headers, header::CONNECTION, "close"),
    };
    // RFC 9112 6.3, in its order.
    let framing =
        if *method == Method::HEAD || status.is_informational() || status == StatusCode::NO_CONTENT || status == StatusCode::NOT_MODIFIED {
            Framing::Empty
        } else {
            match transfer_coding(&headers) {
                Some(coding) => {
                    // Both framings at once is how responses get smuggled: the
                    // transfer coding wins and the connection is not reused.
                    if headers.remove(header::CONTENT_LENGTH).is_some() {
                        keep_alive = false;
                    }
                    match coding {
                        Ok(()) => Framing::Chunked,
                        Err(_) => Framing::UntilClose,
                    }
                }
                None => match content_length(&headers, false).map_err(HeadError::Bad)? {
                    Some(n) => Framing::Length(n),
                    None => Framing::UntilClose,
                },
            }
        };
    if framing == Framing::UntilClose {
        keep_alive = false;
    }
    headers.remove(header::TRANSFER_ENCODING);
    Ok(Some(ResponseHead { status, version, headers, framing, keep_alive }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(raw: &str) -> Result<Option<RequestHead>, HeadError> {
        parse_request(&mut BytesMut::from(raw.as_bytes()))
    }

    fn framing(raw: &str) -> Framing {
        req(raw).unwrap().unwrap().framing
    }

    fn bad(raw: &str) -> HeadError {
        req(raw).expect_err(raw)
    }

    #[test]
    fn framing_of_requests() {
        assert_eq!(framing("GET / HTTP/1.1\r\nhost: h\r\n\r\n"), Framing::Empty);
        assert_eq!(framing("POST / HTTP/1.1\r\nhost: h\r\ncontent-length: 15\r\n\r\n"), Framing::Length(15));
        assert_eq!(framing("POST / HTTP/1.1\r\nhost: h\r\ncontent-length: 0\r\n\r\n"), Framing::Empty);
        assert_eq!(framing("POST / HTTP/1.1\r\nhost: h\r\ntransfer-encoding: Chunked\r\n\r\n"), Framing::Chunked);
    }

    #[test]
    fn ambiguous_framing_is_refused() {
        for raw in [
            "POST / HTTP/1.1\r\nhost: h\r\ncontent-length: 1\r\ntransfer-encoding: chunked\r\n\r\n",
            "POST / HTTP/1.1\r\nhost: h\r\ncontent-length: 1\r\ncontent-length: 1\r\n\r\n",
            "POST / HTTP/1.1\r\nhost: h\r\ncontent-length: 1, 1\r\n\r\n",
            "POST / HTTP/1.1\r\nhost: h\r\ncontent-length: +1\r\n\r\n",
            "POST / HTTP/1.1\r\nhost: h\r\ncontent-length: 1 2\r\n\r\n",
            "POST / HTTP/1.1\r\nhost: h\r\ncontent-length: 99999999999999999999\r\n\r\n",
            "POST / HTTP/1.1\r\nhost: h\r\ntransfer-encoding: gzip\r\n\r\n",
            "POST / HTTP/1.1\r\nhost: h\r\ntransfer-encoding: chunked, gzip\r\n\r\n",
            "POST / HTTP/1.1\r\nhost: h\r\ntransfer-encoding: chunked\r\ntransfer-encoding: chunked\r\n\r\n",
            "POST / HTTP/1.0\r\ntransfer-encoding: chunked\r\n\r\n",
        ] {
            assert_eq!(bad(raw).status(), StatusCode::BAD_REQUEST, "{raw:?}");
        }
    }

    #[test]
    fn host_must_be_there_once() {
        assert_eq!(bad("GET / HTTP/1.1\r\n\r\n"), HeadError::Bad("no Host header"));
        assert_eq!(bad("GET / HTTP/1.1\r\nhost: a\r\nHost: b\r\n\r\n"), HeadError::Bad("more than one Host header"));
        assert!(req("GET / HTTP/1.0\r\n\r\n").unwrap().is_some(), "HTTP/1.0 needs none");
    }

    #[test]
    fn underscored_names_are_dropped_not_forwarded() {
        let h = req("POST / HTTP/1.1\r\nhost: h\r\ntransfer_encoding: chunked\r\ncontent-length: 2\r\n\r\n").unwrap().unwrap();
        assert_eq!(h.framing, Framing::Length(2));
        assert!(h.headers.keys().all(|k| !k.as_str().contains('_')));
    }

    #[test]
    fn methods_and_targets() {
        assert_eq!(bad("get / HTTP/1.1\r\nhost: h\r\n\r\n"), HeadError::Bad("malformed method"));
        assert!(req("TRACE / HTTP/1.1\r\nhost: h\r\n\r\n").unwrap().is_some(), "well formed; the pipeline refuses it");
        assert_eq!(bad("CONNECT h:443 HTTP/1.1\r\nhost: h\r\n\r\n").status(), StatusCode::BAD_REQUEST);
        assert_eq!(bad("GET http://h/ HTTP/1.1\r\nhost: h\r\n\r\n").status(), StatusCode::BAD_REQUEST);
        assert_eq!(bad("OPTIONS * HTTP/1.1\r\nhost: h\r\n\r\n").status(), StatusCode::BAD_REQUEST);
        assert_eq!(bad("GET / HTTP/2.0\r\nhost: h\r\n\r\n"), HeadError::Version);
    }

    #[test]
    fn partial_heads_wait_and_huge_ones_are_refused() {
        assert!(req("GET / HTTP/1.1\r\nhost: h\r\n").unwrap().is_none());
        let long = format!("GET / HTTP/1.1\r\nhost: h\r\nx: {}", "a".repeat(MAX_HEAD));
        assert_eq!(bad(&long), HeadError::TooLarge);
        let many: String = (0..=MAX_HEADERS).map(|i| format!("x-{i}: 1\r\n")).collect();
        assert_eq!(bad(&format!("GET / HTTP/1.1\r\nhost: h\r\n{many}\r\n")), HeadError::TooLarge);
    }

    #[test]
    fn keep_alive_and_expect() {
        let ka = |raw: &str| req(raw).unwrap().unwrap().keep_alive;
        assert!(ka("GET / HTTP/1.1\r\nhost: h\r\n\r\n"));
        assert!(!ka("GET / HTTP/1.1\r\nhost: h\r\nconnection: x, Close\r\n\r\n"));
        assert!(!ka("GET / HTTP/1.0\r\n\r\n"));
        assert!(ka("GET / HTTP/1.0\r\nconnection: keep-alive\r\n\r\n"));
        let h = req("POST / HTTP/1.1\r\nhost: h\r\nexpect: 100-Continue\r\ncontent-length: 3\r\n\r\n").unwrap().unwrap();
        assert!(h.expect_continue);
        assert_eq!(bad("POST / HTTP/1.1\r\nhost: h\r\nexpect: 200-ok\r\n\r\n").status(), StatusCode::BAD_REQUEST);
    }

    fn res(raw: &str, method: Method) -> ResponseHead {
        parse_response(&mut BytesMut::from(raw.as_bytes()), &method).unwrap().unwrap()
    }

    #[test]
    fn framing_of_responses() {
        let r = res("HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n", Method::HEAD);
        assert_eq!((r.framing, r.keep_alive), (Framing::Empty, true));
        assert_eq!(r.headers["content-length"], "5", "kept for the caller's HEAD answer");
        assert_eq!(res("HTTP/1.1 204 No Content\r\ncontent-length: 5\r\n\r\n", Method::GET).framing, Framing::Empty);
        assert_eq!(res("HTTP/1.1 304 Not Modified\r\n\r\n", Method::GET).framing, Framing::Empty);
        assert_eq!(res("HTTP/1.1 100 Continue\r\n\r\n", Method::GET).framing, Framing::Empty);
        assert_eq!(res("HTTP/1.1 200 OK\r\ncontent-length: 5, 5\r\n\r\n", Method::GET).framing, Framing::Length(5));
        let r = res("HTTP/1.1 200 OK\r\ncontent-length: 5\r\ntransfer-encoding: chunked\r\n\r\n", Method::GET);
        assert_eq!((r.framing, r.keep_alive), (Framing::Chunked, false), "smuggling shape: chunked wins, connection not reused");
        assert!(!r.headers.contains_key("content-length") && !r.headers.contains_key("transfer-encoding"));
        let r = res("HTTP/1.1 200 OK\r\n\r\n", Method::GET);
        assert_eq!((r.framing, r.keep_alive), (Framing::UntilClose, false));
        let r = res("HTTP/1.1 200 OK\r\ntransfer-encoding: gzip\r\n\r\n", Method::GET);
        assert_eq!((r.framing, r.keep_alive), (Framing::UntilClose, false));
        let r = res("HTTP/1.0 200 OK\r\ncontent-length: 1\r\n\r\n", Method::GET);
        assert!(!r.keep_alive);
        let r = res("HTTP/1.1 200 OK\r\ncontent-length: 1\r\nconnection: close\r\n\r\n", Method::GET);
        assert!(!r.keep_alive);
        assert!(parse_response(
            &mut BytesMut::from(&b"HTTP/1.1 200 OK\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\n"[..]),
            &Method::GET
        )
        .is_err());
        assert!(parse_response(&mut BytesMut::from(&b"HTTP/1.1 200 OK\r\ncontent-length: -1\r\n\r\n"[..]), &Method::GET).is_err());
    }
}
