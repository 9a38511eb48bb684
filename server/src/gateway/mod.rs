//! The gateway listener: serves API traffic for deployed stages, with no
//! web framework on the hot path (HTTP/1.1 in `h1server`, hyper for the
//! rest; HTTP_PROXY to http:// backends on raw bytes in `fast`): find the
//! stage, match the route, run the integration, answer.
//! No database access and no lock held across an await per request.

pub mod access;
pub mod affinity;
pub mod execlog;
pub mod explain;
mod fast;
pub mod h1;
pub mod h1server;
mod head;
pub mod limits;
pub mod proxy;
pub mod registry;
pub mod snapshot;

use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{self, HeaderName, HeaderValue};
use http::{Request, Response, StatusCode};
use tokio::net::TcpListener;

use self::access::{Access, KeyCheck, QuotaLeft};
use self::limits::{retry_after_secs, Allowed, Gcra};
use self::proxy::{full, Clients, Outbound, ProxyError};
use self::registry::Registry;
use self::snapshot::{CompiledIntegration, CompiledMethod, Params};
use crate::metrics::{MetricKey, Pending, Record, Recorded, Recorder, RequestId, NO_ROUTE};

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
/// The body type of every gateway response and upstream request.
pub type GwBody = http_body_util::combinators::BoxBody<Bytes, BoxError>;

/// Largest request body the gateway accepts (AWS's payload limit).
pub const MAX_BODY: usize = 10 * 1024 * 1024;

/// What the gateway shares across requests.
pub struct Gateway {
    pub registry: Arc<Registry>,
    pub access: Arc<Access>,
    /// The backend clients of callers outside the worker threads (the console's Test button).
    pub upstream: Clients,
    /// Each worker thread builds its own pool from this.
    pub connector: proxy::Connector,
    pub recorder: Arc<Recorder>,
}

thread_local! {
    /// A gateway worker thread's own upstream pool (see [`serve`]).
    static WORKER_UPSTREAM: std::cell::OnceCell<Clients> = const { std::cell::OnceCell::new() };
}

/// What one request learns along the pipeline, for its metric record.
#[derive(Default)]
pub(crate) struct Trace {
    /// Set once the stage is known; requests to no stage are not recorded.
    metric: Option<Arc<MetricKey>>,
    path: String,
    key_id: Option<Arc<str>>,
    pub(crate) integration: Option<Duration>,
    /// When the backend call began (for a request abandoned during it).
    called: Option<Instant>,
    bytes_in: u64,
    counted: Option<Arc<AtomicU64>>,
}

/// Where a request goes: found by [`Gateway::route`].
pub(crate) struct Routed<'a> {
    pub(crate) api: &'a str,
    pub(crate) stage: &'a str,
    pub(crate) method: Arc<CompiledMethod>,
    pub(crate) params: Params,
}

/// The gateway's own answer when it refuses a request (boxed: refusals are rare).
pub(crate) type Refusal = Box<Response<GwBody>>;

/// A request let through by [`Gateway::admit`]: the limits a keyed caller
/// is told about in its response headers.
pub(crate) struct Admitted {
    pub(crate) keyed: bool,
    pub(crate) rate: Option<Allowed>,
    pub(crate) quota: Option<QuotaLeft>,
}

impl Admitted {
    /// Tells a keyed caller its limits in `res`'s headers.
    fn tell<B>(&self, res: &mut Response<B>) {
        if self.keyed {
            limit_headers(res.headers_mut(), self.rate, self.quota);
        }
    }
}

/// An error answered by the gateway itself, shaped like Amazon API Gateway's:
/// a JSON `{"message": …}` body and an `x-amzn-ErrorType` header.
pub fn gateway_error(status: StatusCode, error_type: &'static str, message: &str) -> Response<GwBody> {
    let body = serde_json::json!({ "message": message }).to_string();
    let mut res = Response::new(full(body));
    *res.status_mut() = status;
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    h.insert(HeaderName::from_static("x-amzn-errortype"), HeaderValue::from_static(error_type));
    res
}

fn missing_token() -> Response<GwBody> {
    gateway_error(StatusCode::FORBIDDEN, "MissingAuthenticationTokenException", "Missing Authentication Token")
}

fn forbidden() -> Response<GwBody> {
    gateway_error(StatusCode::FORBIDDEN, "ForbiddenException", "Forbidden")
}

/// 429 with `Retry-After` (seconds).
fn too_many(error_type: &'static str, message: &str, retry_after: u64) -> Response<GwBody> {
    let mut res = gateway_error(StatusCode::TOO_MANY_REQUESTS, error_type, message);
    res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
    res
}

/// Adds the rate-limit and quota headers a keyed caller sees.
fn limit_headers(h: &mut http::HeaderMap, rate: Option<Allowed>, quota: Option<QuotaLeft>) {
    if let Some(a) = rate {
        h.insert(HeaderName::from_static("ratelimit-limit"), repeated_number(a.limit));
        h.insert(HeaderName::from_static("ratelimit-remaining"), number(a.remaining));
        h.insert(HeaderName::from_static("ratelimit-reset"), repeated_number(a.reset_secs));
    }
    if let Some(q) = quota {
        h.insert(HeaderName::from_static("x-quota-limit"), repeated_number(q.limit.max(0) as u64));
        h.insert(HeaderName::from_static("x-quota-remaining"), number(q.remaining.max(0) as u64));
        h.insert(HeaderName::from_static("x-quota-reset"), repeated_number(q.reset_secs.max(0) as u64));
    }
}

/// A number as a header value (one allocation: `HeaderValue::from` takes two).
fn number(n: u64) -> HeaderValue {
    HeaderValue::from_bytes(head::itoa(n, &mut [0; 20])).expect("digits are a valid header value")
}

/// A number that repeats from request to request (a limit, seconds to a
/// reset) as a header value: the last few are kept per thread and cloned,
/// which allocates nothing.
fn repeated_number(n: u64) -> HeaderValue {
    const EMPTY: Option<(u64, HeaderValue)> = None;
    thread_local! {
        static RECENT: std::cell::RefCell<[Option<(u64, HeaderValue)>; 16]> = const { std::cell::RefCell::new([EMPTY; 16]) };
    }
    let slot = (n.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 60) as usize;
    RECENT.with(|recent| {
        let mut recent = recent.borrow_mut();
        match &recent[slot] {
            Some((m, v)) if *m == n => v.clone(),
            _ => {
                let v = number(n);
                recent[slot] = Some((n, v.clone()));
                v
            }
        }
    })
}

/// `s` split around its first `b`, an ASCII byte. A plain byte loop:
/// `str::split_once` with a `char` goes through a searcher built for long
/// texts, a few times the cost over the few bytes of a request's path.
pub(crate) fn split_at_byte(s: &str, b: u8) -> Option<(&str, &str)> {
    debug_assert!(b.is_ascii());
    let i = s.bytes().position(|c| c == b)?;
    // An ASCII byte is a whole character: both halves start on a boundary.
    Some((&s[..i], &s[i + 1..]))
}

/// Where an invoke URL points: `/{api}/{stage}/{path}`, or
/// `{api}.execute-api.<host>/{stage}/{path}`.
pub fn parse_target<'a>(host: Option<&'a str>, path: &'a str) -> Option<(&'a str, &'a str, &'a str)> {
    const MARK: &[u8] = b".execute-api.";
    let host_api = host
        .and_then(|h| h.as_bytes().windows(MARK.len()).position(|w| w == MARK).map(|i| &h[..i]))
        .filter(|a| !a.is_empty());
    let trimmed = path.strip_prefix('/').unwrap_or(path);
    match host_api {
        Some(api) => {
            let (stage, rest) = split_at_byte(trimmed, b'/').unwrap_or((trimmed, ""));
            (!stage.is_empty()).then_some((api, stage, rest))
        }
        None => {
            let (api, rest) = split_at_byte(trimmed, b'/')?;
            let (stage, rest) = split_at_byte(rest, b'/').unwrap_or((rest, ""));
            (!api.is_empty() && !stage.is_empty()).then_some((api, stage, rest))
        }
    }
}

/// Status recorded for a request whose caller hung up before the gateway
/// answered (nginx's "client closed request").
pub const CLIENT_CLOSED: u16 = 499;

/// Holds what a request has learnt while the gateway works on it. If the
/// caller goes away first, hyper drops the request's future and with it this
/// guard, which still records the request (status 499): a backend that was
/// called costs something, and every request is counted.
///
/// It borrows the gateway's recorder rather than holding a reference count:
/// two gateway threads updating one shared count for every request was a
/// cache line passed between cores each time.
struct Unanswered<'g> {
    recorder: &'g Arc<Recorder>,
    began: Began,
    rid: RequestId,
    trace: Trace,
    answered: bool,
}

/// When a request began: the one clock reading its times start from, and
/// the wall-clock time it stands for (its record's timestamp and the time
/// its quota is counted at).
#[derive(Clone, Copy)]
struct Began {
    at: Instant,
    wall_us: i64,
}

impl<'g> Unanswered<'g> {
    fn new(recorder: &'g Arc<Recorder>) -> Self {
        let at = Instant::now();
        Unanswered {
            recorder,
            began: Began { at, wall_us: crate::metrics::wall_us(at) },
            rid: RequestId::fresh(),
            trace: Trace::default(),
            answered: false,
        }
    }

    /// The request is answered with `status`: its record, written once the
    /// response body has been sent (none for a request to no stage).
    fn answer(mut self, status: u16) -> Answered {
        self.answered = true;
        let trace = std::mem::take(&mut self.trace);
        let rid = self.rid;
        let pending = trace.metric.map(|key| {
            Box::new(Pending {
                started: self.began.at,
                record: Record {
                    key,
                    at_us: self.began.wall_us,
                    status,
                    latency_us: 0,
                    integration_us: trace.integration.map(|d| d.as_micros() as u64),
                    key_id: trace.key_id,
                    bytes_in: trace.bytes_in,
                    bytes_out: 0,
                    path: trace.path,
                    request_id: rid,
                },
                bytes_in: trace.counted,
            })
        });
        Answered { pending, rid }
    }
}

/// An answered request: its record-to-be and its id.
struct Answered {
    pending: Option<Box<Pending>>,
    /// The request id when there is no record to hold it.
    rid: RequestId,
}

impl Answered {
    fn request_id(&self) -> &RequestId {
        self.pending.as_ref().map_or(&self.rid, |p| &p.record.request_id)
    }
}

impl Drop for Unanswered<'_> {
    fn drop(&mut self) {
        if self.answered {
            return;
        }
        if let Some(key) = self.trace.metric.take() {
            self.recorder.record(Record {
                key,
                at_us: self.began.wall_us,
                status: CLIENT_CLOSED,
                latency_us: self.began.at.elapsed().as_micros() as u64,
                integration_us: self.trace.called.map(|c| c.elapsed().as_micros() as u64),
                key_id: self.trace.key_id.take(),
                bytes_in: self.trace.bytes_in,
                bytes_out: 0,
                path: std::mem::take(&mut self.trace.path),
                request_id: self.rid,
            });
        }
    }
}

impl Gateway {
    /// Serves one request through the stages of the pipeline.
    /// Every response of a known stage is recorded once its body is sent
    /// (or dropped), and a request abandoned by its caller when it is dropped.
    pub async fn handle<B>(&self, req: Request<B>, peer: SocketAddr) -> Response<Recorded<GwBody>>
    where
        B: http_body::Body<Data = Bytes> + Send + Sync + Unpin + 'static,
        B::Error: Into<BoxError>,
    {
        let mut guard = Unanswered::new(&self.recorder);
        let res = self.route_and_call(req, peer, guard.began, &mut guard.trace).await;
        finish(guard, res)
    }

    async fn route_and_call<B>(&self, req: Request<B>, peer: SocketAddr, began: Began, trace: &mut Trace) -> Response<GwBody>
    where
        B: http_body::Body<Data = Bytes> + Send + Sync + Unpin + 'static,
        B::Error: Into<BoxError>,
    {
        let (parts, body) = req.into_parts();
        if parts.uri.path() == "/healthz" {
            return Response::new(full("ok"));
        }
        let host = parts.headers.get(header::HOST).and_then(|h| h.to_str().ok());
        let routed = match self.route(parts.method.as_str(), host, parts.uri.path(), trace) {
            Ok(r) => r,
            Err(res) => return *res,
        };
        trace.bytes_in = parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0);
        let key = parts.headers.get("x-api-key").and_then(|v| v.to_str().ok());
        let admitted = match self.admit(&routed, key, began, trace) {
            Ok(a) => a,
            Err(res) => return *res,
        };
        // Body size: refuse early when the length is declared.
        let declared = parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        if declared.is_some_and(|n| n > MAX_BODY) {
            // Read and discard what the caller is still sending (for up to
            // 30 s), as nginx's lingering close does: closing with unread
            // data would reset the connection, and the caller would see a
            // broken pipe instead of this answer.
            tokio::spawn(async move {
                use http_body_util::BodyExt;
                let mut body = body;
                let _ = tokio::time::timeout(Duration::from_secs(30), async { while let Some(Ok(_)) = body.frame().await {} }).await;
            });
            return gateway_error(StatusCode::PAYLOAD_TOO_LARGE, "RequestTooLongException", "Request Too Long");
        }
        // Integrate.
        let mut res = self.integrate(&routed.method, &parts, body, &routed.params, peer, trace, None).await;
        admitted.tell(&mut res);
        res
    }

    /// Finds the stage, resource and method of a request (`path` without
    /// its query string). Requests to no stage, or to no method of a known
    /// stage, get AWS's 403 "Missing Authentication Token".
    pub(crate) fn route<'a>(&self, verb: &str, host: Option<&'a str>, path: &'a str, trace: &mut Trace) -> Result<Routed<'a>, Refusal> {
        let Some((api, stage, rest)) = parse_target(host, path) else {
            return Err(Box::new(missing_token()));
        };
        let stages = self.registry.stages();
        let Some(compiled) = stages.get(api).and_then(|s| s.get(stage)) else {
            return Err(Box::new(missing_token()));
        };
        let mut logged = String::with_capacity(rest.len() + 1);
        logged.push('/');
        logged.push_str(rest);
        trace.path = logged;
        let no_route = || {
            Some(Arc::new(MetricKey {
                api: compiled.api_id.clone(),
                stage: compiled.stage.clone(),
                resource: NO_ROUTE.into(),
                method: verb.to_string(),
            }))
        };
        // Most paths have a few segments: keep them on the stack.
        let mut few = [""; 16];
        let mut many = Vec::new();
        let mut n = 0;
        let mut left = Some(rest);
        while let Some(text) = left {
            let seg;
            (seg, left) = match split_at_byte(text, b'/') {
                Some((seg, after)) => (seg, Some(after)),
                None => (text, None),
            };
            if seg.is_empty() {
                continue;
            }
            if n < few.len() {
                few[n] = seg;
            } else {
                if many.is_empty() {
                    many.extend_from_slice(&few);
                }
                many.push(seg);
            }
            n += 1;
        }
        let segments = if many.is_empty() { &few[..n] } else { &many[..] };
        let mut params: Params = Vec::new();
        let Some(route) = compiled.root.find(segments, &mut params) else {
            trace.metric = no_route();
            return Err(Box::new(missing_token()));
        };
        let Some(method) = route.method(verb).cloned() else {
            trace.metric = no_route();
            return Err(Box::new(missing_token()));
        };
        trace.metric = Some(method.metric.clone());
        Ok(Routed { api, stage, method, params })
    }

    /// The API key check, then the throttles and the quota, in AWS's order.
    /// A refusal is the answer to send.
    /// The limits are taken at the time the request `began`.
    fn admit(&self, routed: &Routed<'_>, key: Option<&str>, began: Began, trace: &mut Trace) -> Result<Admitted, Refusal> {
        let method = &routed.method;
        // API key: a known, enabled key in a usage plan that covers this stage.
        // The key table is loaded only for a method that needs a key.
        let table;
        let binding = if method.api_key_required {
            table = self.access.table();
            match table.check(key, routed.api, routed.stage) {
                KeyCheck::Ok(b) => {
                    trace.key_id = Some(b.key_id.clone());
                    Some(b)
                }
                KeyCheck::Disabled(id) | KeyCheck::NoPlan(id) => {
                    trace.key_id = Some(id);
                    return Err(Box::new(forbidden()));
                }
                KeyCheck::Missing | KeyCheck::Unknown => return Err(Box::new(forbidden())),
            }
        } else {
            None
        };
        // Throttles in AWS's order: plan per-method, plan, stage per-method (or
        // the stage default). A refusal gives back what earlier buckets took.
        let now = limits::ns_at(began.at);
        let plan_method = binding.as_ref().and_then(|b| match b.method_throttles.is_empty() {
            true => None,
            false => b.method_throttles.get(&method.plan_key),
        });
        let buckets: [Option<&Gcra>; 3] =
            [plan_method.map(|g| &**g), binding.as_ref().and_then(|b| b.throttle.as_deref()), Some(&*method.throttle)];
        let mut rate: Option<Allowed> = None;
        for (i, bucket) in buckets.iter().enumerate() {
            let Some(bucket) = bucket else { continue };
            match bucket.acquire(now) {
                Ok(a) => {
                    if rate.is_none_or(|r| a.remaining < r.remaining) {
                        rate = Some(a);
                    }
                }
                Err(wait) => {
                    buckets[..i].iter().flatten().for_each(|b| b.release());
                    let mut res = too_many("TooManyRequestsException", "Too Many Requests", retry_after_secs(wait));
                    if binding.is_some() {
                        let limit = bucket.burst.max(0) as u64;
                        limit_headers(res.headers_mut(), Some(Allowed { limit, remaining: 0, reset_secs: retry_after_secs(wait) }), None);
                    }
                    return Err(Box::new(res));
                }
            }
        }
        // Quota, per key and period.
        let mut quota = None;
        if let Some(b) = &binding {
            match b.counter.admit(began.wall_us.div_euclid(1_000_000)) {
                Ok(q) => quota = q,
                Err(e) => {
                    buckets.iter().flatten().for_each(|b| b.release());
                    return Err(Box::new(too_many("LimitExceededException", "Limit Exceeded", e.retry_after_secs)));
                }
            }
        }
        Ok(Admitted { keyed: binding.is_some(), rate, quota })
    }

    /// Runs a method's integration: the one implementation behind live
    /// traffic and the console's Test button (which passes an execution log).
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn integrate<B>(
        &self,
        method: &CompiledMethod,
        parts: &http::request::Parts,
        body: B,
        params: &Params,
        peer: SocketAddr,
        trace: &mut Trace,
        mut log: Option<&mut execlog::ExecLog>,
    ) -> Response<GwBody>
    where
        B: http_body::Body<Data = Bytes> + Send + Sync + 'static,
        B::Error: Into<BoxError>,
    {
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
                if let Some(log) = log.as_deref_mut() {
                    log.line(format!("Execution failed due to configuration error: {why}"));
                }
                gateway_error(StatusCode::INTERNAL_SERVER_ERROR, "InternalServerErrorException", "Internal server error")
            }
            CompiledIntegration::Http { proxy, method: backend_method, uri, timeout, responses } => {
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
                    counted: Some(trace.counted.get_or_insert_with(Default::default).clone()),
                    log: log.as_deref_mut(),
                };
                let called = Instant::now();
                trace.called = Some(called);
                let client = worker_pool(self);
                let result = proxy::call(&client, out).await;
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
                        Err(ProxyError::TooLarge) => log.line("Execution failed: the request body is larger than 10 MB"),
                        Err(ProxyError::Failed(why) | ProxyError::BadUri(why)) => {
                            log.line(format!("Execution failed due to configuration error: {why}"))
                        }
                    }
                }
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
                    Err(ProxyError::TooLarge) => {
                        gateway_error(StatusCode::PAYLOAD_TOO_LARGE, "RequestTooLongException", "Request Too Long")
                    }
                    Err(ProxyError::Failed(why) | ProxyError::BadUri(why)) => {
                        tracing::warn!(resource = %method.resource_path, verb = %method.verb, error = %why, "backend call failed");
                        gateway_error(StatusCode::BAD_GATEWAY, "InternalServerErrorException", "Internal server error")
                    }
                }
            }
        }
    }
}

/// The answer to a request: its request id added, and its record to be
/// written once the body has been sent.
fn finish(guard: Unanswered<'_>, mut res: Response<GwBody>) -> Response<Recorded<GwBody>> {
    let recorder = guard.recorder;
    let answered = guard.answer(res.status().as_u16());
    if let Ok(v) = HeaderValue::from_bytes(answered.request_id().as_bytes()) {
        res.headers_mut().insert(HeaderName::from_static("x-amzn-requestid"), v);
    }
    res.map(|b| Recorded::new(b, answered.pending.map(|p| (recorder.clone(), p))))
}

/// The name of a method's greedy path parameter (`{proxy+}`), if its resource ends in one.
fn greedy_param(resource_path: &str) -> Option<&str> {
    resource_path.rsplit('/').next().filter(|s| s.ends_with("+}")).map(|s| s.trim_start_matches('{').trim_end_matches("+}"))
}

/// The backend clients of this gateway worker thread (or the shared ones,
/// off the worker threads).
fn worker_pool(gw: &Gateway) -> proxy::Clients {
    WORKER_UPSTREAM.with(|c| c.get().cloned()).unwrap_or_else(|| gw.upstream.clone())
}

fn proxied_response(mut res: Response<GwBody>) -> Response<GwBody> {
    proxy::strip_hop_by_hop(res.headers_mut());
    res
}

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

/// How many worker threads serve gateway connections: one per core.
pub fn worker_count() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2).clamp(1, 64)
}

/// A connection handed from the acceptor to a worker thread.
type Handoff = (std::net::TcpStream, SocketAddr, h1server::Closing);

/// Accepts connections until `stop` fires, then lets open requests finish
/// (up to 30 s) before returning.
///
/// Connections are served thread-per-core, as nginx's workers do: each
/// worker thread runs its own single-threaded runtime with its own upstream
/// pool, and the acceptor deals connections out in turn. A request then
/// stays on one thread from accept to backend and back, with no work
/// stealing or cross-thread wake-ups on the hot path. With `pin`, each
/// worker is held on a core of its own (see [`affinity`]).
pub async fn serve(
    listener: TcpListener,
    gateway: Arc<Gateway>,
    mut stop: tokio::sync::watch::Receiver<bool>,
    pin: bool,
) -> std::io::Result<()> {
    let (closing_tx, closing) = tokio::sync::watch::channel(false);
    let (done_tx, done_rx) = tokio::sync::watch::channel(false);
    let mut workers = Vec::new();
    let mut handles = Vec::new();
    let count = worker_count();
    let cores = affinity::plan(pin, count, affinity::allowed_cpus().as_deref());
    if let Some(cores) = &cores {
        tracing::info!(?cores, "gateway worker threads pinned, one per core");
    }
    for i in 0..count {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<Handoff>();
        let (gw, done) = (gateway.clone(), done_rx.clone());
        let core = cores.as_ref().map(|c| c[i]);
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let run = move || {
            if let Some(core) = core {
                if let Err(e) = affinity::pin_current_thread(core) {
                    tracing::warn!(worker = i, core, error = %e, "gateway worker thread not pinned; it runs on any core");
                }
            }
            runtime.block_on(worker(gw, rx, done))
        };
        handles.push(std::thread::Builder::new().name(format!("apigw-gw-{i}")).spawn(run)?);
        workers.push(tx);
    }
    // The watch guard is not Send: finish with it inside this future.
    let mut stopped = std::pin::pin!(async move {
        let _ = stop.wait_for(|s| *s).await;
    });
    let mut next = 0usize;
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // Out of file descriptors and the like: pause, do not spin.
                        tracing::warn!(error = %e, "gateway accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let Ok(stream) = stream.into_std() else { continue };
                next = (next + 1) % workers.len();
                if workers[next].send((stream, peer, closing.clone())).is_err() {
                    tracing::error!(worker = next, "gateway worker thread has stopped");
                }
            }
            _ = &mut stopped => break,
        }
    }
    drop(listener);
    drop(workers);
    drop(closing);
    // Every connection holds a receiver until it closes.
    closing_tx.send_replace(true);
    if tokio::time::timeout(Duration::from_secs(30), closing_tx.closed()).await.is_err() {
        tracing::warn!("gateway connections still open after 30 s; closing them");
    }
    let _ = done_tx.send(true);
    for h in handles {
        let _ = tokio::task::spawn_blocking(move || h.join()).await;
    }
    Ok(())
}

/// One worker thread: serves the connections it is handed until the
/// acceptor has stopped and every connection has finished (`done`).
async fn worker(gateway: Arc<Gateway>, mut rx: tokio::sync::mpsc::UnboundedReceiver<Handoff>, mut done: tokio::sync::watch::Receiver<bool>) {
    WORKER_UPSTREAM.with(|c| c.get_or_init(|| proxy::clients(gateway.connector.clone())).clone());
    gateway.recorder.gather_on_this_thread();
    // The thread's gathered metrics records go to the writer on this tick.
    // It also means there always is a timer: tokio wakes its own driver (an
    // eventfd write and one more epoll round) whenever a timer is set to
    // fire before the earliest one it went to sleep for, and with no timer
    // at all, that is every request's backend timeout.
    tokio::spawn(async {
        let mut tick = tokio::time::interval(crate::metrics::THREAD_FLUSH);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            crate::metrics::flush_thread();
        }
    });
    while let Some((stream, peer, closing)) = rx.recv().await {
        let stream = match tokio::net::TcpStream::from_std(stream) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "gateway connection not registered");
                continue;
            }
        };
        tokio::spawn(h1server::serve(gateway.clone(), stream, peer, closing));
    }
    let _ = done.wait_for(|d| *d).await;
    crate::metrics::flush_thread();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_look_like_uuids() {
        let (a, b) = (RequestId::fresh(), RequestId::fresh());
        assert_ne!(a, b);
        for id in [a.as_str(), b.as_str()] {
            assert_eq!(id.len(), 36);
            for (i, c) in id.chars().enumerate() {
                match i {
                    8 | 13 | 18 | 23 => assert_eq!(c, '-', "{id}"),
                    _ => assert!(c.is_ascii_hexdigit() && !c.is_ascii_uppercase(), "{id}"),
                }
            }
        }
    }

    #[test]
    fn request_ids_do_not_repeat_within_or_across_threads() {
        let ids = || (0..50_000).map(|_| RequestId::fresh()).collect::<Vec<_>>();
        let other = std::thread::spawn(ids);
        let mut all: Vec<RequestId> = ids();
        all.extend(other.join().unwrap());
        let distinct: std::collections::HashSet<&str> = all.iter().map(RequestId::as_str).collect();
        assert_eq!(distinct.len(), 100_000);
    }

    #[test]
    fn numbers_as_header_values() {
        for n in [0, 7, 10, 999_999, 1_000_000_000, u64::MAX] {
            assert_eq!(number(n), HeaderValue::from(n));
            assert_eq!(repeated_number(n), HeaderValue::from(n));
            assert_eq!(repeated_number(n), HeaderValue::from(n), "from the per-thread cache");
        }
    }

    #[test]
    fn invoke_urls() {
        assert_eq!(parse_target(Some("127.0.0.1:8080"), "/abc/dev/pets/1"), Some(("abc", "dev", "pets/1")));
        assert_eq!(parse_target(None, "/abc/dev"), Some(("abc", "dev", "")));
        assert_eq!(parse_target(None, "/abc/dev/"), Some(("abc", "dev", "")));
        assert_eq!(parse_target(None, "/abc"), None);
        assert_eq!(parse_target(Some("abc.execute-api.localhost:8080"), "/dev/pets"), Some(("abc", "dev", "pets")));
        assert_eq!(parse_target(Some("abc.execute-api.localhost"), "/"), None);
    }
}
