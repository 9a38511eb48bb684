//! The gateway's one HTTP/1.1 implementation: heads (`header`), body
//! framing (`body`), the caller side (`server`), the backend side
//! (`client`) and head writing (`write`). Every framing rule is written
//! once here and used by both sides; everything is generic over
//! `AsyncRead + AsyncWrite`, so it is tested with in-memory streams.

pub mod body;
pub mod client;
pub mod header;
#[cfg(test)]
mod props;
pub mod server;
pub(crate) mod write;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// How long the gateway waits on a caller, each a flag (see `config`).
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    /// From a request's first byte to the end of its head (slowloris).
    pub head: Duration,
    /// Between requests on a keep-alive connection.
    pub idle: Duration,
    /// Longest pause while a request body arrives.
    pub body: Duration,
    /// Longest pause while a response is written to a caller that does not read,
    /// or while a backend's response body is awaited.
    pub send: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            head: Duration::from_secs(10),
            idle: Duration::from_secs(60),
            body: Duration::from_secs(30),
            send: Duration::from_secs(30),
        }
    }
}

/// What the HTTP layer has refused or cut off since start-up, for `/metrics`.
#[derive(Default)]
pub struct Counters {
    pub head_timeouts: AtomicU64,
    pub idle_timeouts: AtomicU64,
    pub body_timeouts: AtomicU64,
    pub send_timeouts: AtomicU64,
    pub bad_requests: AtomicU64,
    pub over_capacity: AtomicU64,
    pub backend_retries: AtomicU64,
    pub backend_discarded: AtomicU64,
}

/// The process's counters.
pub static COUNTERS: Counters = Counters {
    head_timeouts: AtomicU64::new(0),
    idle_timeouts: AtomicU64::new(0),
    body_timeouts: AtomicU64::new(0),
    send_timeouts: AtomicU64::new(0),
    bad_requests: AtomicU64::new(0),
    over_capacity: AtomicU64::new(0),
    backend_retries: AtomicU64::new(0),
    backend_discarded: AtomicU64::new(0),
};

/// Adds one to a counter.
pub(crate) fn count(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

impl Counters {
    /// The counters in Prometheus' text format.
    pub fn prometheus_text(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        for (name, help, n) in self.snapshot() {
            let _ = write!(out, "# HELP {name} {help}.\n# TYPE {name} counter\n{name} {n}\n");
        }
        out
    }

    /// Each counter with its Prometheus name and help text.
    pub fn snapshot(&self) -> [(&'static str, &'static str, u64); 8] {
        let g = |c: &AtomicU64| c.load(Ordering::Relaxed);
        [
            (
                "apigw_http_head_timeouts_total",
                "Caller connections closed because a request head did not arrive in time",
                g(&self.head_timeouts),
            ),
            ("apigw_http_idle_timeouts_total", "Idle keep-alive caller connections closed", g(&self.idle_timeouts)),
            ("apigw_http_body_timeouts_total", "Requests refused because their body stalled", g(&self.body_timeouts)),
            ("apigw_http_send_timeouts_total", "Responses cut off because the caller or the backend stalled", g(&self.send_timeouts)),
            ("apigw_http_bad_requests_total", "Requests refused for malformed HTTP", g(&self.bad_requests)),
            ("apigw_http_over_capacity_total", "Connections refused at the connection limit", g(&self.over_capacity)),
            (
                "apigw_backend_retries_total",
                "Backend requests sent again on a fresh connection after a reused one failed",
                g(&self.backend_retries),
            ),
            (
                "apigw_backend_discarded_total",
                "Backend connections closed instead of reused (unread or stray bytes)",
                g(&self.backend_discarded),
            ),
        ]
    }
}
