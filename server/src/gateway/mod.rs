//! The gateway: serves API traffic for deployed stages. A request passes
//! the stages of one pipeline (see `pipeline`) on top of the gateway's own
//! HTTP/1.1 layer (`http1`), with no web framework on the hot path.
//! No database access and no lock held across an await per request.

pub mod access;
mod admit;
pub mod affinity;
pub mod captured;
pub mod execlog;
pub mod explain;
pub mod http1;
mod integrate;
pub mod limits;
mod listener;
pub mod normalise;
mod pipeline;
pub mod proxy;
mod record;
pub mod registry;
pub mod responses;
mod route;
pub mod snapshot;
pub mod transform;
pub mod validate;

use std::sync::Arc;

use bytes::Bytes;
use http::header::{self, HeaderName, HeaderValue};
use http::{Response, StatusCode};

use self::access::Access;
use self::proxy::{full, Clients};
use self::registry::Registry;
use crate::metrics::Recorder;

pub use self::listener::{default_max_connections, serve, worker_count};
pub use self::record::{Trace, CLIENT_CLOSED};
pub use self::route::{parse_target, Routed};

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
    /// How long callers and backends may keep the gateway waiting.
    pub timeouts: http1::Timeouts,
}

thread_local! {
    /// A gateway worker thread's own upstream pool (see [`serve`]).
    static WORKER_UPSTREAM: std::cell::OnceCell<Clients> = const { std::cell::OnceCell::new() };
}

impl Gateway {
    /// The backend clients of this gateway worker thread (or the shared
    /// ones, off the worker threads).
    fn backends(&self) -> Clients {
        WORKER_UPSTREAM.with(|c| c.get().cloned()).unwrap_or_else(|| self.upstream.clone())
    }
}

/// The gateway's own answer when it refuses a request (boxed: refusals are rare).
pub(crate) type Refusal = Box<Response<GwBody>>;

/// An error answered by the gateway itself, shaped like Amazon API Gateway's:
/// a JSON `{"message": …}` body and an `x-amzn-ErrorType` header.
pub fn gateway_error(status: StatusCode, error_type: &'static str, message: &str) -> Response<GwBody> {
    let body = serde_json::json!({ "message": message }).to_string();
    let mut res = Response::new(full(body));
    // The stage's gateway responses may reshape it (`responses::rewrite`).
    res.extensions_mut().insert(responses::GatewayMade { message: message.into() });
    *res.status_mut() = status;
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    h.insert(HeaderName::from_static("x-amzn-errortype"), HeaderValue::from_static(error_type));
    res
}

pub(crate) fn missing_token() -> Response<GwBody> {
    gateway_error(StatusCode::FORBIDDEN, "MissingAuthenticationTokenException", "Missing Authentication Token")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::RequestId;

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
    fn invoke_urls() {
        assert_eq!(parse_target(Some("127.0.0.1:8080"), "/abc/dev/pets/1"), Some(("abc", "dev", "pets/1")));
        assert_eq!(parse_target(None, "/abc/dev"), Some(("abc", "dev", "")));
        assert_eq!(parse_target(None, "/abc/dev/"), Some(("abc", "dev", "")));
        assert_eq!(parse_target(None, "/abc"), None);
        assert_eq!(parse_target(Some("abc.execute-api.localhost:8080"), "/dev/pets"), Some(("abc", "dev", "pets")));
        assert_eq!(parse_target(Some("abc.execute-api.localhost"), "/"), None);
    }
}
