//! The record stage: what a request learns along the pipeline (`Trace`),
//! and the guard that writes its metric record exactly once — when its
//! answer's body has been sent, or, if the caller hangs up first, when the
//! request is dropped (status 499).

use std::sync::Arc;
use std::time::{Duration, Instant};

use http::header::{HeaderName, HeaderValue};
use http::Response;

use super::GwBody;
use crate::metrics::reason::Reason;
use crate::metrics::{MetricKey, Pending, Record, Recorded, Recorder, RequestId};

/// What one request learns along the pipeline, for its metric record.
#[derive(Default)]
pub struct Trace {
    /// Set once the stage is known; requests to no stage are not recorded.
    pub(crate) metric: Option<Arc<MetricKey>>,
    pub(crate) path: String,
    pub(crate) key_id: Option<Arc<str>>,
    pub(crate) integration: Option<Duration>,
    /// When the backend call began (for a request abandoned during it).
    pub(crate) called: Option<Instant>,
    pub(crate) bytes_in: u64,
    /// Why the gateway answered itself, set by the stage that did.
    pub(crate) reason: Option<Reason>,
    /// What exactly went wrong, for the access log (see `Record::detail`).
    pub(crate) detail: Option<Box<str>>,
}

/// Status recorded for a request whose caller hung up before the gateway
/// answered (nginx's "client closed request").
pub const CLIENT_CLOSED: u16 = 499;

/// Holds what a request has learnt while the gateway works on it. If the
/// caller goes away first, the connection drops the request's future and with it this
/// guard, which still records the request (status 499): a backend that was
/// called costs something, and every request is counted.
///
/// It borrows the gateway's recorder rather than holding a reference count:
/// two gateway threads updating one shared count for every request was a
/// cache line passed between cores each time.
pub(crate) struct Unanswered<'g> {
    pub(crate) recorder: &'g Arc<Recorder>,
    pub(crate) began: Began,
    pub(crate) rid: RequestId,
    pub(crate) trace: Trace,
    answered: bool,
}

/// When a request began: the one clock reading its times start from, and
/// the wall-clock time it stands for (its record's timestamp and the time
/// its quota is counted at).
#[derive(Clone, Copy)]
pub(crate) struct Began {
    pub(crate) at: Instant,
    pub(crate) wall_us: i64,
}

impl<'g> Unanswered<'g> {
    pub(crate) fn new(recorder: &'g Arc<Recorder>) -> Self {
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
    pub(crate) fn answer(mut self, status: u16) -> Answered {
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
                    reason: trace.reason,
                    detail: trace.detail,
                },
            })
        });
        Answered { pending, rid }
    }
}

/// An answered request: its record-to-be and its id.
pub(crate) struct Answered {
    pub(crate) pending: Option<Box<Pending>>,
    /// The request id when there is no record to hold it.
    rid: RequestId,
}

impl Answered {
    pub(crate) fn request_id(&self) -> &RequestId {
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
                reason: Some(Reason::ClientClosed),
                detail: None,
            });
        }
    }
}

/// The answer to a request: its request ids added (`x-amzn-RequestId`,
/// and `x-amz-apigw-id` as AWS sends both), and its record to be
/// written once the body has been sent.
pub(crate) fn finish(guard: Unanswered<'_>, mut res: Response<GwBody>) -> Response<Recorded<GwBody>> {
    let recorder = guard.recorder;
    let answered = guard.answer(res.status().as_u16());
    let rid = answered.request_id();
    if let Ok(v) = HeaderValue::from_bytes(rid.as_bytes()) {
        res.headers_mut().insert(HeaderName::from_static("x-amzn-requestid"), v);
    }
    if let Ok(v) = HeaderValue::from_bytes(&rid.apigw_id()) {
        res.headers_mut().insert(HeaderName::from_static("x-amz-apigw-id"), v);
    }
    res.map(|b| Recorded::new(b, answered.pending.map(|p| (recorder.clone(), p))))
}
