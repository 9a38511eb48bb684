//! The raw-bytes path for the gateway's most common request: an HTTP_PROXY
//! method with an http:// backend. It routes, checks the key and the
//! limits exactly as the pipeline does (the same functions), then writes the
//! backend request head straight from the caller's bytes and the caller's
//! response head straight from the backend's, with no `http` header maps
//! and no per-header allocations in between. Anything unusual in the
//! backend's answer (no `Content-Length`, chunked, a body still arriving)
//! goes back to the pipeline's types from there on, as do refusals and
//! failures, so every answer the gateway gives is written one way.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;

use bytes::{Buf, BufMut, BytesMut};
use http::{Method, Response, StatusCode, Version};
use http_body_util::BodyExt;
use tokio::time::Sleep;

use super::h1::{self, Field, SendError};
use super::h1server::{Closing, RawRequest};
use super::head::Gather;
use super::snapshot::{CompiledIntegration, CompiledMethod, UriTemplate};
use super::{gateway_error, limits::Allowed, proxy, Admitted, GwBody, Gateway, Routed, Unanswered};
use crate::metrics::{Pending, Recorded};

/// A request the raw path has taken: its route, its backend URL and the
/// guard that records it.
pub(super) struct Taken<'r> {
    guard: Unanswered<'r>,
    method: Arc<CompiledMethod>,
    /// The API id and stage, as the caller's request names them.
    api: &'r str,
    stage: &'r str,
    /// The backend URL when it was built for this request (from path
    /// parameters or a query string); `None`: the method's URI as it is.
    built: Option<String>,
    backend: Backend,
}

/// Where the parts of a plain http:// backend URL are.
struct Backend {
    /// End of `host` and of `host:port` in the URL.
    host_end: usize,
    authority_end: usize,
    port: u16,
}

impl Backend {
    const SCHEME: &str = "http://";

    /// The URL's parts, if it is a plain `http://host[:port][/path][?query]`
    /// whose characters any URL parser takes as they are (anything else,
    /// https:// included, goes through the pipeline and its URL parser).
    fn parse(url: &str) -> Option<Backend> {
        let rest = url.strip_prefix(Self::SCHEME)?;
        const PLAIN: [bool; 256] = {
            let mut t = [false; 256];
            let mut b = 0;
            while b < 256 {
                t[b] = (b as u8).is_ascii_alphanumeric();
                b += 1;
            }
            let other = b"-._~:/?!$&'()*+,;=%";
            let mut i = 0;
            while i < other.len() {
                t[other[i] as usize] = true;
                i += 1;
            }
            t
        };
        if !url.bytes().all(|b| PLAIN[usize::from(b)]) {
            return None;
        }
        let authority = &rest[..rest.find(['/', '?']).unwrap_or(rest.len())];
        if rest[authority.len()..].starts_with('?') {
            return None;
        }
        let (host, port) = match super::split_at_byte(authority, b':') {
            Some((h, p)) if !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()) => (h, p.parse().ok()?),
            Some(_) => return None,
            None => (authority, 80),
        };
        if host.is_empty() {
            return None;
        }
        let start = Self::SCHEME.len();
        Some(Backend { host_end: start + host.len(), authority_end: start + authority.len(), port })
    }

    fn host<'u>(&self, url: &'u str) -> &'u str {
        &url[Self::SCHEME.len()..self.host_end]
    }

    /// How the pool knows this backend: `host:port` as written, or `host`.
    fn key<'u>(&self, url: &'u str) -> &'u str {
        &url[Self::SCHEME.len()..self.authority_end]
    }

    fn path_and_query<'u>(&self, url: &'u str) -> &'u str {
        match &url[self.authority_end..] {
            "" => "/",
            p => p,
        }
    }
}

/// The URI template of an HTTP_PROXY method.
fn proxied_uri(method: &CompiledMethod) -> Option<&UriTemplate> {
    match &method.integration {
        CompiledIntegration::Http { proxy: true, uri, .. } => Some(uri),
        _ => None,
    }
}

/// A taken request's backend URL: the one built for it, or else the
/// method's URI as it is.
fn backend_url<'a>(method: &'a CompiledMethod, built: &'a Option<String>) -> &'a str {
    built.as_deref().or_else(|| proxied_uri(method).and_then(UriTemplate::literal)).unwrap_or_default()
}

/// How the raw path answered.
pub(super) enum Answer {
    /// The whole answer is in the connection's output buffer: write it,
    /// then record the request with `sent` body bytes.
    Written { pending: Option<Box<Pending>>, sent: u64 },
    /// An answer in the pipeline's types (a refusal, a failure, or a
    /// backend response that streams).
    Response(Response<Recorded<GwBody>>),
}

/// Whether the raw path serves `raw`: a request to a method whose
/// integration is HTTP_PROXY to an http:// backend. Nothing has happened
/// yet when it says no (no bucket taken, nothing recorded).
pub(super) fn take<'r>(gw: &'r Gateway, raw: &'r RawRequest) -> Option<Taken<'r>> {
    let target = raw.target();
    let (path, query) = match super::split_at_byte(target, b'?') {
        Some((p, q)) => (p, Some(q)),
        None => (target, None),
    };
    if path == "/healthz" {
        return None;
    }
    let mut guard = Unanswered::new(&gw.recorder);
    let Ok(routed) = gw.route(raw.method.as_str(), raw.text(raw.host), path, &mut guard.trace) else {
        guard.trace.metric = None;
        return None;
    };
    let Some(uri) = proxied_uri(&routed.method) else {
        guard.trace.metric = None;
        return None;
    };
    // Most URIs are the same for every request: they are used as they are.
    let built = match uri.literal() {
        Some(_) if routed.params.is_empty() && query.is_none_or(str::is_empty) => None,
        _ => Some(proxy::backend_url(uri, &routed.params, super::greedy_param(&routed.method.resource_path), query)),
    };
    let Some(backend) = Backend::parse(backend_url(&routed.method, &built)) else {
        guard.trace.metric = None;
        return None;
    };
    let Routed { api, stage, method, .. } = routed;
    Some(Taken { guard, method, api, stage, built, backend })
}

/// Headers that belong to one connection (never forwarded), the framing
/// (set again), and those the gateway sets itself on the backend request.
fn skipped_to_backend(name: &[u8]) -> bool {
    const NAMES: [&[u8]; 5] = [b"host", b"content-length", b"expect", b"x-forwarded-for", b"x-forwarded-proto"];
    proxy::is_hop_by_hop(name) || NAMES.iter().any(|n| n.eq_ignore_ascii_case(name))
}

/// Serves a taken request: key, limits, the backend call and the answer.
/// The answer's bytes go into `out` when they can be written whole.
/// `deadline` is the caller connection's timer for the backend call.
pub(super) async fn proxy(
    gw: &Gateway,
    taken: Taken<'_>,
    raw: &RawRequest,
    peer: SocketAddr,
    closing: &Closing,
    out: &mut BytesMut,
    mut deadline: Pin<&mut Sleep>,
) -> Answer {
    let Taken { mut guard, method, api, stage, built, backend } = taken;
    let trace = &mut guard.trace;
    trace.bytes_in = raw.body.len() as u64;
    let routed = Routed { api, stage, method, params: Vec::new() };
    let admitted = match gw.admit(&routed, raw.text(raw.api_key), guard.began, trace) {
        Ok(a) => a,
        Err(res) => return Answer::Response(super::finish(guard, *res)),
    };
    let method = routed.method;
    let CompiledIntegration::Http { method: backend_method, timeout, .. } = &method.integration else {
        unreachable!("take() only takes HTTP integrations")
    };
    // The backend request, from the caller's bytes.
    let verb = backend_method.as_ref().unwrap_or(&raw.method);
    let url = backend_url(&method, &built);
    let (host, port, key) = (backend.host(url), backend.port, backend.key(url));
    // The backend request is gathered in `out` too: it is sent before the answer is written there.
    put_backend_request(out, raw, verb, backend.path_and_query(url), key, peer);

    let called = Instant::now();
    trace.called = Some(called);
    let pool = super::worker_pool(gw);
    let exchange = async {
        let mut conn = pool.plain.send_raw(key, host, port, out, !raw.body.is_empty()).await?;
        let h = h1::read_head(&mut conn).await?;
        Ok::<_, SendError>((conn, h))
    };
    // The connection's one timer, moved for this call: a fresh timer per
    // request was put in tokio's timer wheel and taken out again each time,
    // where moving a set timer later only stores the new time.
    deadline.as_mut().reset((called + *timeout).into());
    let result = tokio::select! {
        biased;
        r = exchange => Ok(r),
        () = deadline => Err(()),
    };
    // Read once here, the time serves the integration latency, the pool and the Date header.
    let back = Instant::now();
    trace.integration = Some(back.saturating_duration_since(called));
    let (mut conn, h) = match result {
        Ok(Ok(x)) => x,
        Err(_) => {
            let res = gateway_error(StatusCode::GATEWAY_TIMEOUT, "IntegrationTimeoutException", "Endpoint request timed out");
            return Answer::Response(super::finish(guard, res));
        }
        Ok(Err(e)) => {
            let why = match e {
                SendError::Failed(why) => why,
                SendError::TooLarge => "request body too large".into(),
            };
            tracing::warn!(resource = %method.resource_path, verb = %method.verb, error = %why, "backend call failed");
            let res = gateway_error(StatusCode::BAD_GATEWAY, "InternalServerErrorException", "Internal server error");
            return Answer::Response(super::finish(guard, res));
        }
    };
    // A response whose body is here whole is written from its bytes;
    // anything else streams through the pipeline's types.
    let simple = simple_response(&conn.buf[..h.len], &h).filter(|s| conn.buf.len() - h.len >= s.length);
    let Some(simple) = simple else {
        let res = h1::build(&pool.plain, key, conn, verb, h).map(|b| b.map_err(super::BoxError::from).boxed());
        let mut res = super::proxied_response(res);
        admitted.tell(&mut res);
        return Answer::Response(super::finish(guard, res));
    };
    let answered = guard.answer(h.status.as_u16());
    let backend_head = &conn.buf[..h.len];
    out.clear();
    let mut head = Gather::new(out);
    head.status(h.status);
    let mut dated = false;
    for &f in &h.fields {
        let name = &backend_head[f.0..f.1];
        if skipped_to_caller(name, admitted.keyed) || simple.connection_named(backend_head, name) {
            continue;
        }
        dated |= name.eq_ignore_ascii_case(b"date");
        head.field(name, &backend_head[f.2..f.3]);
    }
    if !dated {
        head.date(crate::metrics::wall_us(back));
    }
    head.field(b"x-amzn-requestid", answered.request_id().as_bytes());
    if admitted.keyed {
        put_limits(&mut head, &admitted);
    }
    if *closing.borrow() {
        head.put(b"connection: close\r\n");
    }
    head.number(b"content-length", simple.length as u64);
    head.put(b"\r\n");
    drop(head);
    out.put_slice(&conn.buf[h.len..h.len + simple.length]);
    conn.buf.advance(h.len + simple.length);
    if simple.keep_alive {
        pool.plain.put_at(key, conn, back);
    }
    Answer::Written { pending: answered.pending, sent: simple.length as u64 }
}

/// Writes the backend request into `out`: its head from the caller's, then
/// the body. A function of its own so that its 512-byte gathering buffer
/// is not kept in `proxy`'s future across the backend call: a future holds
/// every local whose scope spans an `await`, even one already dropped, and
/// the future is moved (copied whole) into place for every request.
fn put_backend_request(out: &mut BytesMut, raw: &RawRequest, verb: &Method, target: &str, key: &str, peer: SocketAddr) {
    out.clear();
    let mut head = Gather::new(out);
    head.put(verb.as_str().as_bytes());
    head.put(b" ");
    head.put(target.as_bytes());
    head.put(b" HTTP/1.1\r\nhost: ");
    head.put(key.as_bytes());
    head.put(b"\r\n");
    let caller_host = raw.host.and_then(|i| raw.fields.get(i));
    for &f in &raw.fields {
        let name = raw.name(f);
        // A caller's X-Forwarded-Host is passed on unless the gateway sets it from Host.
        let set_here = name.eq_ignore_ascii_case(b"x-forwarded-host") && caller_host.is_some();
        if !skipped_to_backend(name) && !set_here {
            head.field(name, raw.value(f));
        }
    }
    head.put(b"x-forwarded-for: ");
    if let Some(prev) = raw.text(raw.forwarded_for) {
        head.put(prev.as_bytes());
        head.put(b", ");
    }
    head.put(proxy::ip_value(peer.ip()).as_bytes());
    head.put(b"\r\nx-forwarded-proto: http\r\n");
    if let Some(&f) = caller_host {
        head.field(b"x-forwarded-host", raw.value(f));
    }
    if !raw.body.is_empty() || matches!(*verb, Method::POST | Method::PUT | Method::PATCH) {
        head.number(b"content-length", raw.body.len() as u64);
    }
    head.put(b"\r\n");
    drop(head);
    out.put_slice(&raw.body);
}

/// Response headers the caller does not get from the backend: hop-by-hop
/// ones, the framing (set again), and what the gateway sets itself.
fn skipped_to_caller(name: &[u8], keyed: bool) -> bool {
    const LIMITS: [&[u8]; 6] =
        [b"ratelimit-limit", b"ratelimit-remaining", b"ratelimit-reset", b"x-quota-limit", b"x-quota-remaining", b"x-quota-reset"];
    name.eq_ignore_ascii_case(b"x-amzn-requestid")
        || name.eq_ignore_ascii_case(b"content-length")
        || proxy::is_hop_by_hop(name)
        || (keyed && LIMITS.iter().any(|n| n.eq_ignore_ascii_case(name)))
}

/// What a backend head says about its body, when it is a plain one.
struct Simple {
    length: usize,
    keep_alive: bool,
    /// The `Connection` header's field, if any (it may name more hop-by-hop headers).
    connection: Option<Field>,
}

impl Simple {
    /// Whether the backend's `Connection` header names `name`.
    fn connection_named(&self, head: &[u8], name: &[u8]) -> bool {
        self.connection.is_some_and(|f| head[f.2..f.3].split(|&b| b == b',').any(|t| t.trim_ascii().eq_ignore_ascii_case(name)))
    }
}

/// The body's length and whether the connection stays open, if the head
/// frames its body with one `Content-Length` and nothing else.
fn simple_response(head: &[u8], h: &h1::Head) -> Option<Simple> {
    if h.status == StatusCode::NO_CONTENT || h.status == StatusCode::NOT_MODIFIED {
        return None;
    }
    let mut length = None;
    let mut connection = None;
    for &f in &h.fields {
        let (name, value) = (&head[f.0..f.1], &head[f.2..f.3]);
        if name.eq_ignore_ascii_case(b"content-length") {
            let v = value.trim_ascii();
            if length.is_some() || v.is_empty() || v.len() > 12 || !v.iter().all(u8::is_ascii_digit) {
                return None;
            }
            length = Some(v.iter().fold(0usize, |n, d| n * 10 + usize::from(d - b'0')));
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") || (name.eq_ignore_ascii_case(b"connection") && connection.is_some()) {
            return None;
        } else if name.eq_ignore_ascii_case(b"connection") {
            connection = Some(f);
        }
    }
    let token = |t: &[u8]| connection.is_some_and(|f: Field| head[f.2..f.3].split(|&b| b == b',').any(|x| x.trim_ascii().eq_ignore_ascii_case(t)));
    let keep_alive = match h.version {
        Version::HTTP_10 => token(b"keep-alive"),
        _ => !token(b"close"),
    };
    Some(Simple { length: length?, keep_alive, connection })
}

/// The rate-limit and quota headers a keyed caller sees (as `limit_headers`).
fn put_limits(out: &mut Gather<'_>, a: &Admitted) {
    if let Some(Allowed { limit, remaining, reset_secs }) = a.rate {
        out.number(b"ratelimit-limit", limit);
        out.number(b"ratelimit-remaining", remaining);
        out.number(b"ratelimit-reset", reset_secs);
    }
    if let Some(q) = a.quota {
        out.number(b"x-quota-limit", q.limit.max(0) as u64);
        out.number(b"x-quota-remaining", q.remaining.max(0) as u64);
        out.number(b"x-quota-reset", q.reset_secs.max(0) as u64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gateway::access::QuotaLeft;

    fn head(raw: &str) -> (Vec<u8>, h1::Head) {
        let mut conn_buf = BytesMut::from(raw);
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        // A connected pair, so `read_head` has a socket behind the buffer (it reads nothing here).
        let h = rt.block_on(async {
            let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let stream = tokio::net::TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
            let mut conn = h1::Conn::for_test(stream, std::mem::take(&mut conn_buf));
            let h = h1::read_head(&mut conn).await.unwrap();
            conn_buf = std::mem::take(&mut conn.buf);
            h
        });
        (conn_buf.to_vec(), h)
    }

    #[test]
    fn only_plain_length_framed_answers_are_simple() {
        let (b, h) = head("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        let s = simple_response(&b[..h.len], &h).unwrap();
        assert_eq!((s.length, s.keep_alive), (2, true));
        let (b, h) = head("HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close, x-p\r\n\r\nok");
        let s = simple_response(&b[..h.len], &h).unwrap();
        assert!(!s.keep_alive);
        assert!(s.connection_named(&b, b"X-P") && !s.connection_named(&b, b"x-q"));
        let (b, h) = head("HTTP/1.0 200 OK\r\ncontent-length: 2\r\n\r\nok");
        assert!(!simple_response(&b[..h.len], &h).unwrap().keep_alive, "HTTP/1.0 closes unless it says keep-alive");
        let (b, h) = head("HTTP/1.0 200 OK\r\ncontent-length: 2\r\nconnection: keep-alive\r\n\r\nok");
        assert!(simple_response(&b[..h.len], &h).unwrap().keep_alive);
        for raw in [
            "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n",
            "HTTP/1.1 200 OK\r\ncontent-length: 2\r\ntransfer-encoding: chunked\r\n\r\n",
            "HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-length: 2\r\n\r\nok",
            "HTTP/1.1 200 OK\r\ncontent-length: +2\r\n\r\nok",
            "HTTP/1.1 200 OK\r\nconnection: x\r\nconnection: y\r\ncontent-length: 2\r\n\r\nok",
            "HTTP/1.1 200 OK\r\n\r\nuntil close",
            "HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n",
            "HTTP/1.1 304 Not Modified\r\ncontent-length: 0\r\n\r\n",
        ] {
            let (b, h) = head(raw);
            assert!(simple_response(&b[..h.len], &h).is_none(), "{raw:?} streams through the pipeline");
        }
    }

    #[test]
    fn plain_http_urls_are_split_and_the_rest_left_to_the_pipeline() {
        let url = "http://127.0.0.1:9000/a/b?x=1";
        let b = Backend::parse(url).unwrap();
        assert_eq!((b.host(url), b.port, b.key(url), b.path_and_query(url)), ("127.0.0.1", 9000, "127.0.0.1:9000", "/a/b?x=1"));
        let url = "http://backend";
        let b = Backend::parse(url).unwrap();
        assert_eq!((b.host(url), b.port, b.key(url), b.path_and_query(url)), ("backend", 80, "backend", "/"));
        for url in [
            "https://backend/",
            "http://user@backend/",
            "http://[::1]:80/",
            "http://backend:/x",
            "http://backend:99999999/x",
            "http://:80/x",
            "http://backend?x=1",
            "http://backend/a b",
            "http://backend/#frag",
            "http://backend/{x}",
        ] {
            assert!(Backend::parse(url).is_none(), "{url}");
        }
    }

    #[test]
    fn a_uri_without_parameters_is_the_url_the_pipeline_would_build() {
        use crate::gateway::snapshot::UriTemplate;
        for uri in ["http://b:9/items", "http://b:9/api/?", "http://b", ""] {
            let t = UriTemplate::parse(uri);
            assert_eq!(t.literal(), Some(proxy::backend_url(&t, &Vec::new(), None, None).as_str()), "{uri}");
        }
        for uri in ["http://b/{id}", "http://{host}/x", "http://b/{proxy+}"] {
            assert_eq!(UriTemplate::parse(uri).literal(), None, "{uri}");
        }
    }

    #[test]
    fn hop_by_hop_headers_are_not_passed_either_way() {
        for n in ["Host", "content-length", "Transfer-Encoding", "connection", "expect", "keep-alive", "TE", "trailer", "upgrade", "x-forwarded-for", "x-forwarded-proto"] {
            assert!(skipped_to_backend(n.as_bytes()), "{n}");
        }
        for n in ["x-api-key", "authorization", "x-forwarded-host", "content-type", "cookie"] {
            assert!(!skipped_to_backend(n.as_bytes()), "{n}");
        }
        assert!(skipped_to_caller(b"X-Amzn-RequestId", false));
        assert!(skipped_to_caller(b"Keep-Alive", false));
        assert!(!skipped_to_caller(b"ratelimit-limit", false), "only a keyed answer sets the limit headers");
        assert!(skipped_to_caller(b"RateLimit-Limit", true));
        assert!(!skipped_to_caller(b"set-cookie", true));
    }

    #[test]
    fn limit_headers_match_the_pipelines() {
        let a = Admitted {
            keyed: true,
            rate: Some(Allowed { limit: 20, remaining: 19, reset_secs: 1 }),
            quota: Some(QuotaLeft { limit: 1000, remaining: -1, reset_secs: 86_399 }),
        };
        let mut out = BytesMut::new();
        put_limits(&mut Gather::new(&mut out), &a);
        let mut map = http::HeaderMap::new();
        super::super::limit_headers(&mut map, a.rate, a.quota);
        let expected: String = map.iter().map(|(k, v)| format!("{k}: {}\r\n", v.to_str().unwrap())).collect();
        assert_eq!(std::str::from_utf8(&out).unwrap(), expected);
    }
}
