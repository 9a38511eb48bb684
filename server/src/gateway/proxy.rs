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
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use super::http1::client::{encode_request, Backend, Pool};
use super::http1::header::strip_hop_by_hop;
use super::snapshot::{Params, UriPart, UriTemplate};
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
    Client::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(90))
        .pool_max_idle_per_host(1024)
        .build(connector)
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
        for cert in CertificateDer::pem_file_iter(path)
            .map_err(|e| invalid(format!("backend CA file {}: {e}", path.display())))?
        {
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
    /// Unreachable, refused, reset, or not HTTP; the text is for the log.
    Failed(String),
    /// The integration URI did not make a valid URL after substitution.
    BadUri(String),
}

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");

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
pub fn backend_url(template: &UriTemplate, params: &Params, greedy: Option<&str>, query: Option<&str>) -> String {
    let mut url = String::with_capacity(128);
    for part in &template.parts {
        match part {
            UriPart::Lit(s) => url.push_str(s),
            UriPart::Param(name) => {
                if let Some((_, v)) = params.iter().rev().find(|(n, _)| n == name) {
                    url.push_str(v);
                }
            }
        }
    }
    // The template's own query string, if any, starts here.
    let mut path_end = url.find('?').unwrap_or(url.len());
    if let Some(name) = greedy.filter(|g| !template.references(g)) {
        if let Some((_, tail)) = params.iter().rev().find(|(n, _)| n == name) {
            if !url[..path_end].ends_with('/') {
                url.insert(path_end, '/');
                path_end += 1;
            }
            url.insert_str(path_end, tail);
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

/// What to send: already decided by the caller.
pub struct Outbound<'a> {
    pub method: Method,
    pub url: String,
    pub proxy: bool,
    pub headers: &'a HeaderMap,
    /// The caller's whole body (the gateway buffers it, as AWS does, so
    /// the backend always gets its length).
    pub body: Bytes,
    pub peer: SocketAddr,
    pub timeout: Duration,
    /// The execution log of a test invoke.
    pub log: Option<&'a mut super::execlog::ExecLog>,
}

/// Sends the request upstream and waits (up to the timeout) for its
/// response headers; the response body then streams back as it arrives,
/// with at most `body_idle` between its pieces.
/// Returns the response and the time spent waiting for it.
pub async fn call(clients: &Backends, mut out: Outbound<'_>, body_idle: Duration) -> Result<(Response<GwBody>, Duration), ProxyError> {
    let uri: Uri = out.url.parse().map_err(|e| ProxyError::BadUri(format!("{}: {e}", out.url)))?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) {
        return Err(ProxyError::BadUri(format!("{}: only http:// and https:// backends are supported", out.url)));
    }
    let Some(host) = uri.host() else {
        return Err(ProxyError::BadUri(format!("{}: no host", out.url)));
    };
    let mut headers = HeaderMap::with_capacity(out.headers.len() + 3);
    if out.proxy {
        for (k, v) in out.headers {
            headers.append(k.clone(), v.clone());
        }
        strip_hop_by_hop(&mut headers);
        let original_host = headers.remove(header::HOST);
        let xff = match headers.get(X_FORWARDED_FOR).and_then(|v| v.to_str().ok()) {
            Some(prev) => HeaderValue::try_from(format!("{prev}, {}", out.peer.ip())).ok(),
            None => Some(ip_value(out.peer.ip())),
        };
        if let Some(v) = xff {
            headers.insert(X_FORWARDED_FOR, v);
        }
        headers.insert(X_FORWARDED_PROTO, HeaderValue::from_static("http"));
        if let Some(h) = original_host {
            headers.insert(X_FORWARDED_HOST, h);
        }
    } else {
        // HTTP (non-proxy) integrations pass only the body and its type.
        for h in [header::CONTENT_TYPE, header::ACCEPT] {
            if let Some(v) = out.headers.get(&h) {
                headers.insert(h, v.clone());
            }
        }
    }
    // The framing is the body's own, never the caller's headers'.
    headers.remove(header::CONTENT_LENGTH);
    headers.remove(header::EXPECT);
    if let Some(log) = out.log.as_deref_mut() {
        log.line(format!("Endpoint request URI: {}", out.url));
        log.line(format!("Endpoint request headers: {}", super::execlog::headers_text(&headers)));
        let body = std::mem::take(&mut log.request_body);
        log.line(format!("Endpoint request body after transformations: {body}"));
        log.line(format!("Sending request to {}", out.url));
    }
    let started = Instant::now();
    let exchange = async {
        if uri.scheme_str() == Some("http") {
            let key = uri.authority().map_or(host, |a| a.as_str());
            let backend = Backend { key, host, port: uri.port_u16().unwrap_or(80) };
            let target = uri.path_and_query().map_or("/", |p| p.as_str());
            let mut request = BytesMut::with_capacity(512 + out.body.len());
            encode_request(&mut request, &out.method, target, key, &headers, &out.body);
            match clients.plain.send(&backend, &request, &out.method, body_idle).await {
                Ok(res) => Ok(res.map(|b| b.map_err(BoxError::from).boxed())),
                Err(e) => Err(ProxyError::Failed(e.to_string())),
            }
        } else {
            let body = http_body_util::Full::new(out.body.clone()).map_err(|never| match never {}).boxed();
            let mut req = Request::builder().method(out.method.clone()).uri(uri.clone()).body(body).map_err(|e| ProxyError::BadUri(e.to_string()))?;
            *req.headers_mut() = headers.clone();
            match clients.tls.request(req).await {
                Ok(res) => Ok(res.map(stream_body)),
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

    #[test]
    fn urls() {
        let t = UriTemplate::parse("http://b:9/pets/{id}");
        let p: Params = vec![("id".into(), "7".into())];
        assert_eq!(backend_url(&t, &p, None, Some("a=1")), "http://b:9/pets/7?a=1");
        let t = UriTemplate::parse("http://b:9/api?fixed=1");
        let p: Params = vec![("proxy".into(), "x/y".into())];
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
    fn hop_by_hop_goes() {
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
