//! `GET /metrics` on the console listener: Prometheus text, open to this
//! machine or to the holder of the metrics token only.

use axum::extract::Request;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

/// `GET /metrics`: Prometheus text, for those [`metrics_access`] lets in.
pub(super) fn prometheus(hub: &crate::metrics::Hub, req: &Request) -> Response {
    let authorization = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let peer = super::peer_ip(req.extensions());
    match metrics_access(hub.token.as_deref(), authorization, peer) {
        Ok(()) => (
            [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
            hub.prometheus_text() + &crate::gateway::http1::COUNTERS.prometheus_text(),
        )
            .into_response(),
        Err(MetricsRefused::NeedsToken) => (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "GET /metrics needs Authorization: Bearer <APIGW_METRICS_TOKEN>\n",
        )
            .into_response(),
        Err(MetricsRefused::NotLocal) => (
            StatusCode::FORBIDDEN,
            "GET /metrics is served only to this machine (loopback) while no token is set. Start apigw with --metrics-token \
             (APIGW_METRICS_TOKEN) and send Authorization: Bearer <token> to scrape it from elsewhere.\n",
        )
            .into_response(),
    }
}

/// Why `/metrics` was refused.
#[derive(Debug, PartialEq, Eq)]
enum MetricsRefused {
    /// A token is configured and the caller did not send it.
    NeedsToken,
    /// No token is configured and the caller is not on this machine.
    NotLocal,
}

/// Who may read `/metrics`, which names every API, stage and resource: with
/// a token configured, only a caller sending `Authorization: Bearer <token>`;
/// without one, only callers on this machine (loopback).
fn metrics_access(token: Option<&str>, authorization: Option<&str>, peer: Option<std::net::IpAddr>) -> Result<(), MetricsRefused> {
    match token {
        Some(token) => {
            let ok = authorization.and_then(|v| v.strip_prefix("Bearer ")).is_some_and(|given| {
                use sha2::{Digest, Sha256};
                // Compare digests so the comparison takes the same time wherever the strings differ.
                Sha256::digest(given.as_bytes()) == Sha256::digest(token.as_bytes())
            });
            if ok {
                Ok(())
            } else {
                Err(MetricsRefused::NeedsToken)
            }
        }
        None if peer.is_some_and(|ip| ip.to_canonical().is_loopback()) => Ok(()),
        None => Err(MetricsRefused::NotLocal),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_are_open_to_loopback_or_the_token_holder_only() {
        let ip = |s: &str| Some(s.parse::<std::net::IpAddr>().unwrap());
        let status = |r: Result<(), MetricsRefused>| match r {
            Ok(()) => 200,
            Err(MetricsRefused::NeedsToken) => 401,
            Err(MetricsRefused::NotLocal) => 403,
        };
        assert_eq!(status(metrics_access(None, None, ip("127.0.0.1"))), 200);
        assert_eq!(status(metrics_access(None, None, ip("::1"))), 200);
        assert_eq!(status(metrics_access(None, None, ip("::ffff:127.0.0.1"))), 200);
        assert_eq!(status(metrics_access(None, None, ip("10.0.0.5"))), 403);
        assert_eq!(status(metrics_access(None, Some("Bearer anything"), ip("10.0.0.5"))), 403);
        assert_eq!(status(metrics_access(None, None, None)), 403, "an unknown caller is not local");
        assert_eq!(status(metrics_access(Some("t0k"), None, ip("127.0.0.1"))), 401, "a set token applies to local callers too");
        assert_eq!(status(metrics_access(Some("t0k"), Some("Bearer t0"), ip("10.0.0.5"))), 401);
        assert_eq!(status(metrics_access(Some("t0k"), Some("Bearer t0k"), ip("10.0.0.5"))), 200);
    }
}
