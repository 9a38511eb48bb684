//! The integrate and respond stages: a method's integration (MOCK, or a
//! call to an HTTP backend), and the method response made from its answer.
//! The one implementation behind live traffic and the console's Test button.

use std::net::SocketAddr;
use std::time::Instant;

use bytes::Bytes;
use http::header::{self, HeaderName, HeaderValue};
use http::{Response, StatusCode};

use super::proxy::{self, full, Outbound, ProxyError};
use super::record::Trace;
use super::route::greedy_param;
use super::snapshot::{self, CompiledIntegration, CompiledMethod, Params};
use super::{execlog, gateway_error, Gateway, GwBody};
use crate::metrics::reason::Reason;

impl Gateway {
    /// Runs a method's integration: the one implementation behind live
    /// traffic and the console's Test button (which passes an execution log).
    #[allow(clippy::too_many_arguments)]
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn integrate(
        &self,
        method: &CompiledMethod,
        parts: &http::request::Parts,
        body: Bytes,
        params: &Params,
        peer: SocketAddr,
        trace: &mut Trace,
        mut log: Option<&mut execlog::ExecLog>,
    ) -> Response<GwBody> {
        match &method.integration {
            CompiledIntegration::Mock(Ok(mock)) => {
                if let Some(log) = log.as_deref_mut() {
                    log.line("Mock integration: the gateway answers, no backend is called");
                    log.line(format!("Received response. Status: {}, Integration latency: 0 ms", mock.status.as_u16()));
                }
                let mut res = Response::new(full(mock.body.clone()));
                *res.status_mut() = mock.status;
                let h = res.headers_mut();
                h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
                for (k, v) in &mock.headers {
                    h.insert(k.clone(), v.clone());
                }
                res
            }
            CompiledIntegration::Mock(Err(why)) => {
                tracing::warn!(resource = %method.resource_path, verb = %method.verb, "{why}");
                trace.reason = Some(Reason::IntegrationConfig);
                if let Some(log) = log.as_deref_mut() {
                    log.line(format!("Execution failed due to configuration error: {why}"));
                }
                gateway_error(StatusCode::INTERNAL_SERVER_ERROR, "InternalServerErrorException", "Internal server error")
            }
            CompiledIntegration::Http { proxy, method: backend_method, uri, timeout, responses, api_id, user_agent } => {
                let greedy = greedy_param(&method.resource_path);
                let query = if *proxy { parts.uri.query() } else { None };
                let url = proxy::backend_url(uri, params, greedy, query);
                let out = Outbound {
                    method: backend_method.clone().unwrap_or_else(|| parts.method.clone()),
                    url,
                    proxy: *proxy,
                    headers: &parts.headers,
                    body,
                    peer,
                    timeout: *timeout,
                    api_id: Some(api_id),
                    user_agent: Some(user_agent),
                    log: log.as_deref_mut(),
                };
                let called = Instant::now();
                trace.called = Some(called);
                let result = proxy::call(&self.backends(), out, self.timeouts.send).await;
                trace.integration = Some(match &result {
                    Ok((_, waited)) => *waited,
                    Err(_) => called.elapsed(),
                });
                if let Some(log) = log {
                    let ms = trace.integration.unwrap_or_default().as_millis();
                    match &result {
                        Ok((res, _)) => {
                            log.line(format!("Received response. Status: {}, Integration latency: {ms} ms", res.status().as_u16()));
                            log.line(format!("Endpoint response headers: {}", execlog::headers_text(res.headers())));
                        }
                        Err(ProxyError::Timeout) => log.line(format!("Execution failed due to a timeout error (after {ms} ms)")),
                        Err(ProxyError::Failed(why) | ProxyError::Unreachable(why) | ProxyError::BadUri(why)) => {
                            log.line(format!("Execution failed due to configuration error: {why}"))
                        }
                    }
                }
                let reason = match &result {
                    Ok(_) => None,
                    Err(ProxyError::Timeout) => Some(Reason::BackendTimeout),
                    Err(ProxyError::Unreachable(_)) => Some(Reason::BackendUnreachable),
                    Err(ProxyError::Failed(_)) => Some(Reason::BackendBadResponse),
                    Err(ProxyError::BadUri(_)) => Some(Reason::IntegrationConfig),
                };
                trace.reason = reason;
                match result {
                    Ok((res, _)) => {
                        if *proxy {
                            proxied_response(res)
                        } else {
                            mapped_response(res, responses)
                        }
                    }
                    Err(ProxyError::Timeout) => {
                        gateway_error(StatusCode::GATEWAY_TIMEOUT, "IntegrationTimeoutException", "Endpoint request timed out")
                    }
                    Err(ProxyError::Failed(why) | ProxyError::Unreachable(why) | ProxyError::BadUri(why)) => {
                        tracing::warn!(resource = %method.resource_path, verb = %method.verb, error = %why, "backend call failed");
                        gateway_error(StatusCode::BAD_GATEWAY, "InternalServerErrorException", "Internal server error")
                    }
                }
            }
        }
    }
}

/// HTTP_PROXY: the backend's answer as it is, but for the headers AWS
/// keeps for itself. Those it renames `x-amzn-Remapped-{name}` (so a
/// backend's `WWW-Authenticate` cannot raise a browser's login prompt and
/// its `Date`/`Server` do not pass for the gateway's); hop-by-hop ones,
/// which describe the backend connection only, go.
pub(crate) fn proxied_response(mut res: Response<GwBody>) -> Response<GwBody> {
    let h = res.headers_mut();
    // Read before the hop-by-hop fields (which `Connection` may name) go.
    let connection: Vec<HeaderValue> = match h.contains_key(header::CONNECTION) {
        true => h.get_all(header::CONNECTION).iter().cloned().collect(),
        false => Vec::new(),
    };
    super::http1::header::strip_hop_by_hop(h);
    for v in connection {
        h.append(REMAPPED_CONNECTION, v);
    }
    for (name, remapped) in REMAPPED {
        // A lookup, not `entry`, which may grow the map even for an absent name.
        if h.contains_key(&name) {
            let values: Vec<HeaderValue> = h.get_all(&name).iter().cloned().collect();
            h.remove(&name);
            for v in values {
                h.append(remapped.clone(), v);
            }
        }
    }
    res
}

const REMAPPED_CONNECTION: HeaderName = HeaderName::from_static("x-amzn-remapped-connection");

/// The backend response headers AWS renames on HTTP_PROXY (besides
/// `Connection`), and their new names.
const REMAPPED: [(HeaderName, HeaderName); 5] = [
    (header::AUTHORIZATION, HeaderName::from_static("x-amzn-remapped-authorization")),
    (header::DATE, HeaderName::from_static("x-amzn-remapped-date")),
    (header::SERVER, HeaderName::from_static("x-amzn-remapped-server")),
    (header::WWW_AUTHENTICATE, HeaderName::from_static("x-amzn-remapped-www-authenticate")),
    (HeaderName::from_static("x-amzn-requestid"), HeaderName::from_static("x-amzn-remapped-x-amzn-requestid")),
];

/// HTTP (non-proxy): the integration responses pick the status and headers.
fn mapped_response(res: Response<GwBody>, mappings: &[snapshot::ResponseMapping]) -> Response<GwBody> {
    let status = res.status();
    let code = status.as_str().to_string();
    let chosen = mappings
        .iter()
        .find(|m| m.pattern.as_ref().is_some_and(|p| p.is_match(&code)))
        .or_else(|| mappings.iter().find(|m| m.pattern.is_none()));
    let (parts, body) = res.into_parts();
    let mut out = Response::new(body);
    match chosen {
        None => *out.status_mut() = status,
        Some(m) => {
            *out.status_mut() = m.status;
            for (k, v) in &m.static_headers {
                out.headers_mut().insert(k.clone(), v.clone());
            }
            for (to, from) in &m.copied_headers {
                if let Some(v) = parts.headers.get(from) {
                    out.headers_mut().insert(to.clone(), v.clone());
                }
            }
        }
    }
    if let Some(ct) = parts.headers.get(header::CONTENT_TYPE) {
        out.headers_mut().entry(header::CONTENT_TYPE).or_insert(ct.clone());
    }
    out
}
