//! The request pipeline: the stages every request passes, in order, over
//! one per-request context (the model is Pingora's `ProxyHttp` phases).
//! Any stage may answer early with a ready response; the record stage sees
//! every answer.
//!
//! | stage | file |
//! |---|---|
//! | parse (HTTP/1.1 framing, timeouts, body into memory) | `http1/server.rs` |
//! | normalise (method, dot segments) | `normalise.rs` |
//! | route (stage snapshot, resource, method) | `route.rs` |
//! | authorize (API key) → throttle → quota | `admit.rs` |
//! | payload limit | here |
//! | validate (required parameters, body against the model) | `validate.rs` |
//! | integrate (MOCK, HTTP, HTTP_PROXY): request mapping → call → response mapping | `integrate.rs`, `transform.rs`, `proxy.rs`, `http1/client.rs` |
//! | gateway response (a refusal as the deployment customised its type) | `responses.rs` |
//! | record (one metric record per request) | `record.rs` |

use std::net::SocketAddr;

use bytes::Bytes;
use http::header;
use http::request::Parts;
use http::{Request, Response, StatusCode};

use super::http1::server::BodyTooLarge;
use super::record::{finish, Began, Trace, Unanswered};
use super::responses::{self, Asked, GatewayMade};
use super::route::parse_target;
use super::transform::RequestView;
use super::validate;
use super::{gateway_error, normalise, Gateway, GwBody};
use crate::metrics::Recorded;

impl Gateway {
    /// Serves one request through the stages of the pipeline. Every
    /// response of a known stage is recorded once its body is sent (or
    /// dropped), and a request abandoned by its caller when it is dropped.
    pub async fn handle(&self, req: Request<Bytes>, peer: SocketAddr) -> Response<Recorded<GwBody>> {
        let mut guard = Unanswered::new(&self.recorder);
        let rid = guard.rid;
        let res = self.stages(req, peer, guard.began, rid.as_str(), &mut guard.trace).await;
        finish(guard, res)
    }

    async fn stages(&self, req: Request<Bytes>, peer: SocketAddr, began: Began, rid: &str, trace: &mut Trace) -> Response<GwBody> {
        let (parts, body) = req.into_parts();
        let res = self.run(&parts, body, peer, began, rid, trace).await;
        match res.extensions().get::<GatewayMade>() {
            None => res,
            Some(_) => self.customise(res, &parts, peer, began, rid, trace),
        }
    }

    /// The gateway response stage: a gateway-made answer as the stage's
    /// deployment customised its type (most stages customise none).
    fn customise(
        &self,
        res: Response<GwBody>,
        parts: &Parts,
        peer: SocketAddr,
        began: Began,
        rid: &str,
        trace: &Trace,
    ) -> Response<GwBody> {
        let host = parts.headers.get(header::HOST).and_then(|h| h.to_str().ok());
        let Some((api, stage, _)) = parse_target(host, parts.uri.path()) else { return res };
        let Some(compiled) = self.registry.get(api, stage) else { return res };
        let Some(responses) = &compiled.responses else { return res };
        let resource_path = trace.metric.as_ref().map(|m| m.resource.clone()).unwrap_or_default();
        let view = RequestView {
            parts,
            params: &Vec::new(),
            peer,
            request_id: rid,
            api_id: api,
            stage,
            resource_id: "",
            resource_path: &resource_path,
            stage_path: &trace.path,
            api_key: parts.headers.get("x-api-key").and_then(|v| v.to_str().ok()),
            wall_us: began.wall_us,
            stage_variables: &compiled.stage_variables,
        };
        let asked = Asked { parts, params: &[], context: view.context(), stage_variables: &compiled.stage_variables };
        responses::rewrite(responses, res, trace.reason, &asked)
    }

    async fn run(&self, parts: &Parts, body: Bytes, peer: SocketAddr, began: Began, rid: &str, trace: &mut Trace) -> Response<GwBody> {
        let path = parts.uri.path();
        if path == "/healthz" {
            return Response::new(super::proxy::full("ok"));
        }
        if let Err(res) = normalise::check(&parts.method, path) {
            return *res;
        }
        let host = parts.headers.get(header::HOST).and_then(|h| h.to_str().ok());
        let routed = match self.route(parts.method.as_str(), host, path, trace) {
            Ok(r) => r,
            Err(res) => return *res,
        };
        trace.bytes_in = body.len() as u64;
        let key = parts.headers.get("x-api-key").and_then(|v| v.to_str().ok());
        let admitted = match self.admit(&routed, key, began, trace) {
            Ok(a) => a,
            Err(res) => return *res,
        };
        if parts.extensions.get::<BodyTooLarge>().is_some() {
            trace.reason = Some(crate::metrics::reason::Reason::PayloadTooLarge);
            return gateway_error(StatusCode::PAYLOAD_TOO_LARGE, "RequestTooLongException", "Request Too Long");
        }
        let m = &routed.method;
        if let Err(res) = validate::stage(m, parts, &routed.params, &body, trace, None) {
            return *res;
        }
        let stage_path = std::mem::take(&mut trace.path);
        let view = RequestView {
            parts,
            params: &routed.params,
            peer,
            request_id: rid,
            api_id: routed.api,
            stage: routed.stage,
            resource_id: &m.resource_id,
            resource_path: &m.resource_path,
            stage_path: &stage_path,
            api_key: key,
            wall_us: began.wall_us,
            stage_variables: &m.stage_variables,
        };
        let mut res = self.integrate(m, &view, body, trace, None).await;
        trace.path = stage_path;
        admitted.tell(&mut res);
        res
    }
}
