//! Calling the backend: the clients (the gateway's own HTTP/1.1 client in
//! `http1::client` for http:// backends, hyper's pooled client for
//! https://), URL building from the integration's template, the headers a
//! backend gets, and the timeout and failure rules.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, Request, Response, Uri};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use super::http1::client::{encode_request_with, Backend, Pool, SendError};
use super::http1::header::{is_hop_by_hop, tokens};
use super::snapshot::{ParamsRef, UriPart, UriTemplate};
use super::{BoxError, GwBody};

/// hyper's pooled client, for https:// backends.
pub type Upstream = Client<HttpsConnector<HttpConnector>, GwBody>;

/// The backend clients of one gateway worker thread (or of the console's
/// Test button): connections to http:// backends in the lean HTTP/1.1 pool,
/// to https:// ones through hyper's client and rustls.
pub struct Backends {
    pub plain: Pool,
    pub tls: Upstream,
}

/// Shared handle to a set of backend clients.
pub type Clients = Arc<Backends>;

/// New, empty backend clients over `connector`.
pub fn clients(connector: Connector) -> Clients {
    Arc::new(Backends { plain: Pool::default(), tls: client(connector) })
}

/// How the upstream client connects: TCP, and TLS for https:// backends.
pub type Connector = HttpsConnector<HttpConnector>;

/// A client with its own connection pool over `connector` (each gateway
/// worker thread has one, so its connections stay on its own thread).
pub fn client(connector: Connector) -> Upstream {
    Client::builder(TokioExecutor::new()).pool_idle_timeout(Duration::from_secs(90)).pool_max_idle_per_host(1024).build(connector)
}

/// Builds the upstream connector. https:// backends are verified against
/// Mozilla's roots (webpki-roots) plus, if given, the CAs in `extra_ca`
/// (a PEM file), for backends with a private CA.
pub fn upstream_connector(extra_ca: Option<&Path>) -> std::io::Result<Connector> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::CertificateDer;
    let invalid = |e: String| std::io::Error::new(std::io::ErrorKind::InvalidData, e);
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = extra_ca {
        let mut added = 0;
        for cert in CertificateDer::pem_file_iter(path).map_err(|e| invalid(format!("backend CA file {}: {e}", path.display())))? {
            let cert = cert.map_err(|e| invalid(format!("backend CA file {}: {e}", path.display())))?;
            roots.add(cert).map_err(|e| invalid(format!("backend CA file {}: {e}", path.display())))?;
            added += 1;
        }
        if added == 0 {
            return Err(invalid(format!("backend CA file {} holds no PEM certificate", path.display())));
        }
    }
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| invalid(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_nodelay(true);
    http.set_keepalive(Some(Duration::from_secs(60)));
    http.set_connect_timeout(Some(Duration::from_secs(10)));
    Ok(hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(tls).https_or_http().enable_http1().wrap_connector(http))
}

/// Why the backend call did not produce a response.
#[derive(Debug)]
pub enum ProxyError {
    /// No response headers within the integration's timeout.
    Timeout,
    /// No connection could be made: refused, no route, unknown host, or
    /// the TLS handshake failed; the text is for the log.
    Unreachable(String),
    /// Reset, closed, or not HTTP; the text is for the log.
    Failed(String),
    /// The integration URI did not make a valid URL after substitution.
    BadUri(String),
}

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
const X_AMZN_APIGATEWAY_API_ID: HeaderName = HeaderName::from_static("x-amzn-apigateway-api-id");

/// The caller's address as a header value. A connection sends many
/// requests from one address, so the last one is kept per thread.
pub(super) fn ip_value(ip: std::net::IpAddr) -> HeaderValue {
    thread_local! {
        static LAST: std::cell::RefCell<Option<(std::net::IpAddr, HeaderValue)>> = const { std::cell::RefCell::new(None) };
    }
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        match &*last {
            Some((a, v)) if *a == ip => v.clone(),
            _ => {
                let v = HeaderValue::try_from(ip.to_string()).expect("an IP address is a valid header value");
                *last = Some((ip, v.clone()));
                v
            }
        }
    })
}

/// Renders the backend URL: `{param}`s filled from the match, a greedy tail
/// the template does not mention appended to the path, and (for proxies)
/// the caller's query string added.
pub fn backend_url(template: &UriTemplate, params: &ParamsRef<'_>, greedy: Option<&str>, query: Option<&str>) -> String {
    let mut url = String::with_capacity(128);
    for part in &template.parts {
        match part {
            UriPart::Lit(s) => url.push_str(s),
            UriPart::Param(name) => params.push(&mut url, name),
        }
    }
    // The template's own query string, if any, starts here.
    let mut path_end = url.find('?').unwrap_or(url.len());
    if let Some(name) = greedy.filter(|g| !template.references(g)) {
        let mut tail = String::new();
        params.push(&mut tail, name);
        if !tail.is_empty() {
            if !url[..path_end].ends_with('/') {
                url.insert(path_end, '/');
                path_end += 1;
            }
            url.insert_str(path_end, &tail);
            path_end += tail.len();
        }
    }
    if let Some(q) = query.filter(|q| !q.is_empty()) {
        match url.len() > path_end + 1 {
            true => url.push('&'),
            false => {
                url.truncate(path_end);
                url.push('?');
            }
        }
        url.push_str(q);
    }
    url
}

/// The headers a backend gets. HTTP_PROXY: the caller's, less the
/// hop-by-hop ones (and any its `Connection` names), `Host` (the backend's
/// own is sent), the framing (the body's own is sent) and the
/// `X-Forwarded-*` the gateway sets: `-For` (the caller's list with the
/// caller's address added), `-Proto` and `-Host` (the caller's `Host`).
/// HTTP: only `Content-Type` and `Accept`, as AWS sends without mappings.
/// Both: `X-Amzn-Apigateway-Api-Id` (the caller's own is dropped), and
/// `User-Agent: AmazonAPIGateway_{apiId}` unless the caller's passes on.
struct Forwarded<'o> {
    proxy: bool,
    /// Names the caller's `Connection` header lists.
    named: Vec<HeaderName>,
    xff: Option<HeaderValue>,
    host: Option<HeaderValue>,
    api_id: Option<&'o HeaderValue>,
    /// The gateway's `User-Agent`, when the caller's does not go on.
    user_agent: Option<&'o HeaderValue>,
    extra: &'o [(HeaderName, HeaderValue)],
}

impl<'o> Forwarded<'o> {
    fn of(out: &Outbound<'o>) -> Self {
        let mapped_ua = out.extra.iter().any(|(n, _)| *n == header::USER_AGENT);
        let user_agent = match (out.proxy && out.headers.contains_key(header::USER_AGENT)) || mapped_ua {
            true => None,
            false => out.user_agent,
        };
        let extra = out.extra;
        if !out.proxy {
            return Forwarded { proxy: false, named: Vec::new(), xff: None, host: None, api_id: out.api_id, user_agent, extra };
        }
        let named = match out.headers.contains_key(header::CONNECTION) {
            true => tokens(out.headers, header::CONNECTION).filter_map(|n| HeaderName::try_from(n).ok()).collect(),
            false => Vec::new(),
        };
        let xff = match out.headers.get(X_FORWARDED_FOR).and_then(|v| v.to_str().ok()) {
            Some(prev) => HeaderValue::try_from(format!("{prev}, {}", out.peer.ip())).ok(),
            None => Some(ip_value(out.peer.ip())),
        };
        Forwarded { proxy: true, named, xff, host: out.headers.get(header::HOST).cloned(), api_id: out.api_id, user_agent, extra }
    }

    /// Whether the caller's header `name` goes on.
    fn passes(&self, name: &HeaderName) -> bool {
        if self.extra.iter().any(|(n, _)| n == name) {
            return false;
        }
        if !self.proxy {
            return *name == header::CONTENT_TYPE || *name == header::ACCEPT;
        }
        !matches!(*name, header::HOST | header::CONTENT_LENGTH | header::EXPECT)
            && *name != X_FORWARDED_FOR
            && *name != X_FORWARDED_PROTO
            && *name != X_FORWARDED_HOST
            && *name != X_AMZN_APIGATEWAY_API_ID
            && !is_hop_by_hop(name.as_str().as_bytes())
            && !self.named.contains(name)
    }

    /// The fields, in order, as name and value bytes.
    fn fields<'a>(&'a self, caller: &'a HeaderMap) -> impl Iterator<Item = (&'a [u8], &'a [u8])> + 'a {
        let own = [
            self.xff.as_ref().map(|v| (&b"x-forwarded-for"[..], v.as_bytes())),
            self.proxy.then_some((&b"x-forwarded-proto"[..], &b"http"[..])),
            self.host.as_ref().map(|v| (&b"x-forwarded-host"[..], v.as_bytes())),
            self.api_id.map(|v| (&b"x-amzn-apigateway-api-id"[..], v.as_bytes())),
            self.user_agent.map(|v| (&b"user-agent"[..], v.as_bytes())),
        ];
        caller
            .iter()
            .filter(|(n, _)| self.passes(n))
            .map(|(n, v)| (n.as_str().as_bytes(), v.as_bytes()))
            .chain(
                self.extra
                    .iter()
                    .filter(|(n, _)| !is_hop_by_hop(n.as_str().as_bytes()) && *n != header::HOST)
                    .map(|(n, v)| (n.as_str().as_bytes(), v.as_bytes())),
            )
            .chain(own.into_iter().flatten())
    }

    /// The fields as a header map (for hyper's client and the test log).
    fn map(&self, caller: &HeaderMap) -> HeaderMap {
        let mut map = HeaderMap::with_capacity(caller.len() + 3);
        for (n, v) in caller {
            if self.passes(n) {
                map.append(n.clone(), v.clone());
            }
        }
        for (n, v) in self.extra {
            if !is_hop_by_hop(n.as_str().as_bytes()) && *n != header::HOST {
                map.append(n.clone(), v.clone());
            }
        }
        if let Some(v) = &self.xff {
            map.insert(X_FORWARDED_FOR, v.clone());
        }
        if self.proxy {
            map.insert(X_FORWARDED_PROTO, HeaderValue::from_static("http"));
        }
        if let Some(v) = &self.host {
            map.insert(X_FORWARDED_HOST, v.clone());
        }
        if let Some(v) = self.api_id {
            map.insert(X_AMZN_APIGATEWAY_API_ID, v.clone());
        }
        if let Some(v) = self.user_agent {
            map.insert(header::USER_AGENT, v.clone());
        }
        map
    }
}

/// The parts of a plain `http://host[:port][/path][?query]` URL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct PlainUrl<'u> {
    /// `host[:port]` as written: the pool's key and the `Host` sent.
    authority: &'u str,
    host: &'u str,
    port: u16,
    /// Path and query (`/` when there is none).
    target: &'u str,
}

impl<'u> PlainUrl<'u> {
    /// Splits an http:// URL whose characters any URL parser takes as they
    /// are, without one (most integration URIs); `None` for anything else,
    /// which then goes through `http::Uri`.
    fn split(url: &'u str) -> Option<Self> {
        let rest = url.strip_prefix("http://")?;
        let end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, target) = rest.split_at(end);
        let host_ok = |h: &str| !h.is_empty() && h.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) if !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()) => (h, p.parse::<u16>().ok()?),
            Some(_) => return None,
            None => (authority, 80),
        };
        if !host_ok(host) || target.starts_with('?') {
            return None;
        }
        // Visible ASCII but for what must be escaped in a URL.
        if !target.bytes().all(|b| b.is_ascii_graphic() && !b"\"#<>\\^`{|}".contains(&b)) {
            return None;
        }
        Some(PlainUrl { authority, host, port, target: if target.is_empty() { "/" } else { target } })
    }

    /// The same parts from a parsed http:// URI (IPv6 hosts and the like).
    fn of_uri(uri: &'u Uri) -> Option<Self> {
        let authority = uri.authority()?;
        let host = authority.host();
        let target = uri.path_and_query().map_or("/", |p| p.as_str());
        Some(PlainUrl { authority: authority.as_str(), host, port: authority.port_u16().unwrap_or(80), target })
    }
}

/// What to send: already decided by the caller.
pub struct Outbound<'a> {
    pub method: Method,
    pub url: String,
    pub proxy: bool,
    pub headers: &'a HeaderMap,
    /// Mapped headers (`integration.request.header.*`, a template's
    /// `requestOverride`): sent in place of any caller's of the same name.
    pub extra: &'a [(HeaderName, HeaderValue)],
    /// The caller's whole body (the gateway buffers it, as AWS does, so
    /// the backend always gets its length).
    pub body: Bytes,
    pub peer: SocketAddr,
    pub timeout: Duration,
    /// `X-Amzn-Apigateway-Api-Id` and the gateway's `User-Agent` (`None` in
    /// tests of the framing alone).
    pub api_id: Option<&'a HeaderValue>,
    pub user_agent: Option<&'a HeaderValue>,
    /// The execution log of a test invoke.
    pub log: Option<&'a mut super::execlog::ExecLog>,
}

/// Sends the request upstream and waits (up to the timeout) for its
/// response headers; the response body then streams back as it arrives,
/// with at most `body_idle` between its pieces.
/// Returns the response and the time spent waiting for it.
pub async fn call(clients: &Backends, mut out: Outbound<'_>, body_idle: Duration) -> Result<(Response<GwBody>, Duration), ProxyError> {
    let plain = PlainUrl::split(&out.url);
    let uri: Option<Uri> = match plain {
        Some(_) => None,
        None => {
            let uri: Uri = out.url.parse().map_err(|e| ProxyError::BadUri(format!("{}: {e}", out.url)))?;
            if !matches!(uri.scheme_str(), Some("http" | "https")) {
                return Err(ProxyError::BadUri(format!("{}: only http:// and https:// backends are supported", out.url)));
            }
            if uri.host().is_none() {
                return Err(ProxyError::BadUri(format!("{}: no host", out.url)));
            }
            Some(uri)
        }
    };
    let forwarded = Forwarded::of(&out);
    if let Some(log) = out.log.as_deref_mut() {
        log.line(format!("Endpoint request URI: {}", out.url));
        log.line(format!("Endpoint request headers: {}", super::execlog::headers_text(&forwarded.map(out.headers))));
        let body = std::mem::take(&mut log.request_body);
        log.line(format!("Endpoint request body after transformations: {body}"));
        log.line(format!("Sending request to {}", out.url));
    }
    let started = Instant::now();
    let exchange = async {
        let plain = plain.or_else(|| uri.as_ref().filter(|u| u.scheme_str() == Some("http")).and_then(PlainUrl::of_uri));
        if let Some(url) = plain {
            let backend = Backend { key: url.authority, host: url.host, port: url.port };
            let mut request = BytesMut::with_capacity(512 + out.body.len());
            encode_request_with(&mut request, &out.method, url.target, url.authority, forwarded.fields(out.headers), &out.body);
            match clients.plain.send(&backend, &request, &out.method, body_idle).await {
                Ok(res) => Ok(res.map(|b| b.map_err(BoxError::from).boxed())),
                Err(SendError::Unreachable(e)) => Err(ProxyError::Unreachable(e)),
                Err(SendError::Failed(e)) => Err(ProxyError::Failed(e)),
            }
        } else {
            let uri = uri.clone().ok_or_else(|| ProxyError::BadUri(format!("{}: not a valid URL", out.url)))?;
            let body = http_body_util::Full::new(out.body.clone()).map_err(|never| match never {}).boxed();
            let mut req =
                Request::builder().method(out.method.clone()).uri(uri).body(body).map_err(|e| ProxyError::BadUri(e.to_string()))?;
            *req.headers_mut() = forwarded.map(out.headers);
            match clients.tls.request(req).await {
                Ok(res) => Ok(res.map(stream_body)),
                Err(e) if e.is_connect() => Err(ProxyError::Unreachable(error_chain(&e))),
                Err(e) => Err(ProxyError::Failed(error_chain(&e))),
            }
        }
    };
    match tokio::time::timeout(out.timeout, exchange).await {
        Err(_) => Err(ProxyError::Timeout),
        Ok(res) => res.map(|res| (res, started.elapsed())),
    }
}

fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(err) = cur {
        out.push_str(": ");
        out.push_str(&err.to_string());
        cur = err.source();
    }
    out
}

/// Turns an upstream body into the gateway's body type.
pub fn stream_body(body: Incoming) -> GwBody {
    body.map_err(BoxError::from).boxed()
}

/// A complete body.
pub fn full(bytes: impl Into<Bytes>) -> GwBody {
    http_body_util::Full::new(bytes.into()).map_err(|never| match never {}).boxed()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gateway::snapshot::Params;

    #[test]
    fn urls() {
        let t = UriTemplate::parse("http://b:9/pets/{id}");
        let p: Params = vec![("id".into(), "7".into())];
        let p = ParamsRef { matched: &p, mapped: &[] };
        assert_eq!(backend_url(&t, &p, None, Some("a=1")), "http://b:9/pets/7?a=1");
        let t = UriTemplate::parse("http://b:9/api?fixed=1");
        let p: Params = vec![("proxy".into(), "x/y".into())];
        let p = ParamsRef { matched: &p, mapped: &[] };
        assert_eq!(backend_url(&t, &p, Some("proxy"), Some("a=1")), "http://b:9/api/x/y?fixed=1&a=1");
        let t = UriTemplate::parse("http://b:9/{proxy}");
        assert_eq!(backend_url(&t, &p, Some("proxy"), None), "http://b:9/x/y");
        let t = UriTemplate::parse("http://b:9/api/?");
        assert_eq!(backend_url(&t, &p, Some("proxy"), Some("a=1")), "http://b:9/api/x/y?a=1", "an empty query is replaced");
        assert_eq!(backend_url(&t, &p, None, None), "http://b:9/api/?", "the template is left as written");
        let t = UriTemplate::parse("http://b:9");
        assert_eq!(backend_url(&t, &p, Some("proxy"), Some("a=1")), "http://b:9/x/y?a=1");
    }

    #[test]
    fn mapped_path_parameters_win_and_are_encoded() {
        let t = UriTemplate::parse("http://b:9/u/{id}");
        let matched: Params = vec![("id".into(), "7".into())];
        let mapped = vec![("id".to_string(), "a b/c?".to_string())];
        assert_eq!(backend_url(&t, &ParamsRef { matched: &matched, mapped: &mapped }, None, None), "http://b:9/u/a%20b/c%3F");
    }

    #[test]
    fn hop_by_hop_goes() {
        use crate::gateway::http1::header::strip_hop_by_hop;
        let mut h = HeaderMap::new();
        h.insert("connection", "close, x-private".parse().unwrap());
        h.insert("x-private", "1".parse().unwrap());
        h.insert("keep-alive", "5".parse().unwrap());
        h.insert("x-keep", "1".parse().unwrap());
        strip_hop_by_hop(&mut h);
        assert_eq!(h.len(), 1);
        assert!(h.contains_key("x-keep"));
    }
}
