//! The integrate and respond stages: a method's integration (MOCK, or a
//! call to an HTTP backend) with its mappings (`transform`), and the method
//! response made from its answer. The one implementation behind live
//! traffic and the console's Test button.

use std::sync::OnceLock;
use std::time::Instant;

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Response, StatusCode};
use http_body_util::BodyExt;

use super::execlog::{self, body_text};
use super::proxy::{self, full, Outbound, ProxyError};
use super::record::Trace;
use super::route::greedy_param;
use super::snapshot::{select_response, CompiledIntegration, CompiledMethod, ParamsRef, ResponseMapping};
use super::transform::{self, Mapped, ParamMappings, RequestBody, RequestMapping, RequestView};
use super::{gateway_error, Gateway, GwBody, MAX_BODY};
use crate::metrics::reason::Reason;
use crate::vtl;

/// A refusal made while mapping, with its reason.
type Failed = (Reason, Box<Response<GwBody>>);

/// What went wrong, carried on a failed integration's answer to the
/// request's access-log record (and taken off before the answer leaves).
#[derive(Clone)]
struct Detail(Box<str>);

/// A failure with what went wrong attached for the access log.
fn failed(reason: Reason, mut res: Response<GwBody>, detail: impl Into<Box<str>>) -> Failed {
    res.extensions_mut().insert(Detail(detail.into()));
    (reason, Box::new(res))
}

fn internal_error() -> Response<GwBody> {
    gateway_error(StatusCode::INTERNAL_SERVER_ERROR, "InternalServerErrorException", "Internal server error")
}

/// A configuration that cannot be used: logged, and AWS's 500.
fn config_error(method: &CompiledMethod, why: &str, log: Option<&mut execlog::ExecLog>) -> Failed {
    tracing::warn!(resource = %method.resource_path, verb = %method.verb, "{why}");
    if let Some(log) = log {
        log.line(format!("Execution failed due to configuration error: {why}"));
    }
    failed(Reason::IntegrationConfig, internal_error(), why)
}

/// A template that failed while rendering (out of bounds, a bad regex...).
fn mapping_error(method: &CompiledMethod, what: &str, e: &vtl::RenderError, log: Option<&mut execlog::ExecLog>) -> Failed {
    tracing::warn!(resource = %method.resource_path, verb = %method.verb, "unable to transform {what}: {e}");
    if let Some(log) = log {
        log.line(format!("Execution failed due to configuration error: Unable to transform {what}: {e}"));
    }
    failed(Reason::MappingFailed, internal_error(), format!("Unable to transform {what}: {e}"))
}

/// The integration request: the body a request template made (or the
/// caller's, passed through) and the mapped parameters.
struct IntegrationRequest {
    body: Bytes,
    mapped: Mapped,
}

impl Gateway {
    /// Runs a method's integration: the one implementation behind live
    /// traffic and the console's Test button (which passes an execution log).
    pub(crate) async fn integrate(
        &self,
        method: &CompiledMethod,
        view: &RequestView<'_>,
        body: Bytes,
        trace: &mut Trace,
        mut log: Option<&mut execlog::ExecLog>,
    ) -> Response<GwBody> {
        let result = match &method.integration {
            CompiledIntegration::Broken(why) => Err(config_error(method, why, log.as_deref_mut())),
            CompiledIntegration::Mock { request, responses } => mock(method, view, body, request, responses, log),
            CompiledIntegration::Http { .. } => self.http(method, view, body, trace, log).await,
        };
        match result {
            Ok(res) => res,
            Err((reason, mut res)) => {
                trace.reason = Some(reason);
                trace.detail = res.extensions_mut().remove::<Detail>().map(|d| d.0);
                *res
            }
        }
    }

    async fn http(
        &self,
        method: &CompiledMethod,
        view: &RequestView<'_>,
        body: Bytes,
        trace: &mut Trace,
        mut log: Option<&mut execlog::ExecLog>,
    ) -> Result<Response<GwBody>, Failed> {
        let CompiledIntegration::Http { proxy, method: backend_method, uri, timeout, request, params, responses, api_id, user_agent } =
            &method.integration
        else {
            unreachable!("http() is called for HTTP integrations only")
        };
        let ir = map_request(method, view, body, request, params, log.as_deref_mut())?;
        let greedy = greedy_param(&method.resource_path);
        let query = match *proxy {
            true => view.parts.uri.query(),
            false => None,
        };
        let query = mapped_query(query, &ir.mapped.query);
        let path_params = ParamsRef { matched: view.params, mapped: &ir.mapped.path };
        let url = proxy::backend_url(uri, &path_params, greedy, query.as_deref());
        let out = Outbound {
            method: backend_method.clone().unwrap_or_else(|| view.parts.method.clone()),
            url,
            proxy: *proxy,
            headers: &view.parts.headers,
            extra: &ir.mapped.headers,
            body: ir.body,
            peer: view.peer,
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
        if let Some(log) = log.as_deref_mut() {
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
        let res = match result {
            Ok((res, _)) => res,
            Err(e) => {
                let reason = match &e {
                    ProxyError::Timeout => Reason::BackendTimeout,
                    ProxyError::Unreachable(_) => Reason::BackendUnreachable,
                    ProxyError::Failed(_) => Reason::BackendBadResponse,
                    ProxyError::BadUri(_) => Reason::IntegrationConfig,
                };
                return Err(match e {
                    ProxyError::Timeout => {
                        let ms = trace.integration.unwrap_or_default().as_millis();
                        let res = gateway_error(StatusCode::GATEWAY_TIMEOUT, "IntegrationTimeoutException", "Endpoint request timed out");
                        failed(reason, res, format!("no answer from the backend within {ms} ms"))
                    }
                    ProxyError::Failed(why) | ProxyError::Unreachable(why) | ProxyError::BadUri(why) => {
                        tracing::warn!(resource = %method.resource_path, verb = %method.verb, error = %why, "backend call failed");
                        let res = gateway_error(StatusCode::BAD_GATEWAY, "InternalServerErrorException", "Internal server error");
                        failed(reason, res, why)
                    }
                });
            }
        };
        if *proxy {
            return Ok(proxied_response(res));
        }
        let code = res.status().as_str().to_string();
        let Some(chosen) = select_response(responses, &code) else {
            // No integration response: the backend's status and body as they are.
            return Ok(passed_response(res));
        };
        let template = response_template(view, chosen);
        let needs_body = template.is_some_and(|(_, t)| t.is_some()) || !chosen.rendered_headers.is_empty();
        let (parts, body) = res.into_parts();
        if !needs_body {
            let mut out = respond_head(method, chosen, &parts.headers, None, log)?;
            let ct = template.map(|(ct, _)| ct);
            set_content_type(&mut out.1, ct, parts.headers.get(header::CONTENT_TYPE));
            let mut res = Response::new(body);
            *res.status_mut() = out.0;
            *res.headers_mut() = out.1;
            return Ok(res);
        }
        let bytes = match read_whole(body).await {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(resource = %method.resource_path, verb = %method.verb, error = %e, "backend body failed");
                if let Some(log) = log {
                    log.line(format!("Execution failed while reading the endpoint response body: {e}"));
                }
                let res = gateway_error(StatusCode::BAD_GATEWAY, "InternalServerErrorException", "Internal server error");
                return Err((Reason::BackendBadResponse, Box::new(res)));
            }
        };
        respond(method, view, chosen, template, &parts.headers, bytes, log)
    }
}

/// A backend body read whole for a response template, up to the payload limit.
async fn read_whole(mut body: GwBody) -> Result<Bytes, String> {
    let mut out = bytes::BytesMut::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| e.to_string())?;
        if let Ok(data) = frame.into_data() {
            if out.len() + data.len() > MAX_BODY {
                return Err(format!("the body is over {MAX_BODY} bytes"));
            }
            out.extend_from_slice(&data);
        }
    }
    Ok(out.freeze())
}

/// The request template (or passthrough rule) and the parameter mappings,
/// applied to one request.
fn map_request(
    method: &CompiledMethod,
    view: &RequestView<'_>,
    body: Bytes,
    request: &RequestMapping,
    params: &ParamMappings,
    mut log: Option<&mut execlog::ExecLog>,
) -> Result<IntegrationRequest, Failed> {
    let content_type = view.parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let mut mapped = Mapped::default();
    if !params.items.is_empty() {
        params.apply(view, &body, &mut mapped).map_err(|e| mapping_error(method, "request parameters", &e, log.as_deref_mut()))?;
    }
    let body = match request.choose(content_type) {
        RequestBody::Pass => body,
        RequestBody::Unsupported => {
            if let Some(log) = log {
                log.line(format!(
                    "Execution failed: no mapping template matches the request's content type ({}) and passthrough is not allowed",
                    content_type.unwrap_or("none, read as application/json")
                ));
            }
            let res = gateway_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "UnsupportedMediaTypeException", "Unsupported Media Type");
            return Err((Reason::UnsupportedMediaType, Box::new(res)));
        }
        RequestBody::Render(t) => {
            let ctx = view.vtl_context(&body);
            let out = t.render(&ctx, transform::limits()).map_err(|e| mapping_error(method, "request", &e, log.as_deref_mut()))?;
            mapped.overridden_by(&out.request_overrides);
            Bytes::from(out.body)
        }
    };
    if let Some(log) = log {
        log.request_body = body_text(&body);
    }
    Ok(IntegrationRequest { body, mapped })
}

/// MOCK: the integration request body's `statusCode` picks the integration
/// response, whose template makes the answer.
fn mock(
    method: &CompiledMethod,
    view: &RequestView<'_>,
    body: Bytes,
    request: &RequestMapping,
    responses: &[ResponseMapping],
    mut log: Option<&mut execlog::ExecLog>,
) -> Result<Response<GwBody>, Failed> {
    let ir = map_request(method, view, body, request, &ParamMappings::default(), log.as_deref_mut())?;
    let code = mock_status(&ir.body);
    if let Some(log) = log.as_deref_mut() {
        log.line(format!("Endpoint request body after transformations: {}", body_text(&ir.body)));
        log.line("Mock integration: the gateway answers, no backend is called");
        log.line(format!("Received response. Status: {code}, Integration latency: 0 ms"));
    }
    let Some(chosen) = select_response(responses, &code) else {
        return Err(config_error(method, "No match for output mapping and no default output mapping configured", log));
    };
    // A mock's integration response has no body of its own.
    respond(method, view, chosen, response_template(view, chosen), &HeaderMap::new(), Bytes::new(), log)
}

/// The `statusCode` of a MOCK's integration request (200 when it names none).
fn mock_status(body: &[u8]) -> String {
    static FIELD: OnceLock<regex::Regex> = OnceLock::new();
    if let Ok(serde_json::Value::Object(o)) = serde_json::from_slice::<serde_json::Value>(body) {
        match o.get("statusCode") {
            Some(serde_json::Value::Number(n)) => return n.to_string(),
            Some(serde_json::Value::String(s)) => return s.trim().to_string(),
            _ => return "200".into(),
        }
    }
    // Not JSON (a template with a trailing comma, say): find the field as text.
    let re = FIELD.get_or_init(|| regex::Regex::new(r#""statusCode"\s*:\s*"?(\d{3})"#).expect("a valid pattern"));
    let text = String::from_utf8_lossy(body);
    re.captures(&text).and_then(|c| c.get(1)).map_or_else(|| "200".into(), |m| m.as_str().to_string())
}

/// Status and headers of a method response: the integration response's
/// status and header mappings (static, copied from the backend, and
/// `rendered`: values already read from the body or context).
fn respond_head(
    method: &CompiledMethod,
    chosen: &ResponseMapping,
    backend: &HeaderMap,
    rendered: Option<Vec<(HeaderName, HeaderValue)>>,
    log: Option<&mut execlog::ExecLog>,
) -> Result<(StatusCode, HeaderMap), Failed> {
    let status = match &chosen.status {
        Ok(s) => *s,
        Err(why) => return Err(config_error(method, why, log)),
    };
    let mut h = HeaderMap::new();
    for (k, v) in &chosen.static_headers {
        h.insert(k.clone(), v.clone());
    }
    for (to, from) in &chosen.copied_headers {
        if let Some(v) = backend.get(from) {
            h.insert(to.clone(), v.clone());
        }
    }
    for (k, v) in rendered.into_iter().flatten() {
        h.insert(k, v);
    }
    Ok((status, h))
}

/// `Content-Type`: the response template's, else the backend's, else JSON.
fn set_content_type(h: &mut HeaderMap, template: Option<&str>, backend: Option<&HeaderValue>) {
    if h.contains_key(header::CONTENT_TYPE) {
        return;
    }
    let v = template.and_then(|t| HeaderValue::from_str(t).ok()).or_else(|| backend.cloned());
    h.insert(header::CONTENT_TYPE, v.unwrap_or_else(|| HeaderValue::from_static("application/json")));
}

/// The method response from a whole integration response body: the
/// response template chosen by the caller's `Accept` renders it, then
/// `$context.responseOverride` has the last word.
fn respond(
    method: &CompiledMethod,
    view: &RequestView<'_>,
    chosen: &ResponseMapping,
    template: Option<(&str, Option<&crate::vtl::Template>)>,
    backend: &HeaderMap,
    body: Bytes,
    mut log: Option<&mut execlog::ExecLog>,
) -> Result<Response<GwBody>, Failed> {
    let needs_ctx = template.is_some_and(|(_, t)| t.is_some()) || !chosen.rendered_headers.is_empty();
    let ctx = needs_ctx.then(|| view.vtl_context(&body));
    let mut rendered = Vec::new();
    for (name, t) in &chosen.rendered_headers {
        let ctx = ctx.as_ref().expect("built when headers are rendered");
        let out = t.render(ctx, transform::limits()).map_err(|e| mapping_error(method, "response", &e, log.as_deref_mut()))?;
        if let Ok(v) = HeaderValue::try_from(out.body) {
            rendered.push((name.clone(), v));
        }
    }
    let (mut status, mut headers) = respond_head(method, chosen, backend, Some(rendered), log.as_deref_mut())?;
    if let Some(log) = log.as_deref_mut() {
        log.endpoint_body = Some(body_text(&body));
    }
    let body = match template {
        Some((_, Some(t))) => {
            let ctx = ctx.as_ref().expect("built when a template renders");
            let out = t.render(ctx, transform::limits()).map_err(|e| mapping_error(method, "response", &e, log))?;
            // A 1xx is interim, never a final answer: such an override is ignored.
            if let Some(code) = out.status_override.filter(|c| *c >= 200).and_then(|c| StatusCode::from_u16(c).ok()) {
                status = code;
            }
            for (k, v) in &out.header_overrides {
                if let (Ok(k), Ok(v)) = (HeaderName::try_from(k.as_str()), HeaderValue::try_from(v.as_str())) {
                    headers.insert(k, v);
                }
            }
            Bytes::from(out.body)
        }
        _ => body,
    };
    set_content_type(&mut headers, template.map(|(ct, _)| ct), backend.get(header::CONTENT_TYPE));
    let mut res = Response::new(full(body));
    *res.status_mut() = status;
    *res.headers_mut() = headers;
    Ok(res)
}

/// The integration response's template for the caller's `Accept` (and the
/// content type the answer gets).
fn response_template<'r>(view: &RequestView<'_>, chosen: &'r ResponseMapping) -> Option<(&'r str, Option<&'r crate::vtl::Template>)> {
    chosen.templates.for_accept(view.parts.headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()))
}

/// HTTP with no integration response for the status: the backend's status,
/// `Content-Type` and body.
fn passed_response(res: Response<GwBody>) -> Response<GwBody> {
    let (parts, body) = res.into_parts();
    let mut out = Response::new(body);
    *out.status_mut() = parts.status;
    if let Some(ct) = parts.headers.get(header::CONTENT_TYPE) {
        out.headers_mut().insert(header::CONTENT_TYPE, ct.clone());
    }
    out
}

/// The query string a backend gets: the caller's (proxies) or none, plus
/// the mapped `integration.request.querystring.*` values.
fn mapped_query<'q>(base: Option<&'q str>, mapped: &[(String, String)]) -> Option<std::borrow::Cow<'q, str>> {
    if mapped.is_empty() {
        return base.map(std::borrow::Cow::Borrowed);
    }
    let mut q = form_urlencoded::Serializer::new(base.unwrap_or_default().to_string());
    for (k, v) in mapped {
        q.append_pair(k, v);
    }
    Some(std::borrow::Cow::Owned(q.finish()))
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
