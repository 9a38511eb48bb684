//! Metrics for every gateway request. A request never waits on the
//! database: when its response has been sent (or dropped), one `Record` goes
//! through a bounded channel with `try_send` to the writer, which commits
//! them in batches (about every 100 ms or 2,000 records) to the access log
//! and to 1-minute, 5-minute and 1-hour rollups. A full channel drops the
//! record and counts it; that counter is exposed and stays 0 in normal use.

mod bulk;
pub mod charts;
pub mod hist;
pub mod prom;
pub mod query;
pub mod writer;

use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use tokio::sync::mpsc;

/// Where a record belongs: one method of one stage (or `(no route)`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MetricKey {
    pub api: String,
    pub stage: String,
    pub resource: String,
    pub method: String,
}

/// The resource name for requests that matched no route of a stage.
pub const NO_ROUTE: &str = "(no route)";

/// One gateway response.
#[derive(Debug, Clone)]
pub struct Record {
    pub key: Arc<MetricKey>,
    /// Request start, µs since the epoch.
    pub at_us: i64,
    pub status: u16,
    pub latency_us: u64,
    /// None when no backend was called.
    pub integration_us: Option<u64>,
    pub key_id: Option<Arc<str>>,
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub path: String,
    pub request_id: String,
}

/// How many records fit in the channel before new ones are dropped.
pub const CHANNEL_CAPACITY: usize = 200_000;

/// The gateway's end of the channel.
pub struct Recorder {
    tx: mpsc::Sender<Record>,
    pub dropped: AtomicU64,
}

impl Recorder {
    pub fn new() -> (Arc<Self>, mpsc::Receiver<Record>) {
        let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
        (Arc::new(Self { tx, dropped: AtomicU64::new(0) }), rx)
    }

    /// Hands a record to the writer without waiting; counts it if it cannot.
    pub fn record(&self, r: Record) {
        if self.tx.try_send(r).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// What is known about a request before its response body has been sent.
pub struct Pending {
    pub recorder: Arc<Recorder>,
    pub started: Instant,
    pub record: Record,
    /// Request body bytes, counted while they stream to the backend.
    pub bytes_in: Option<Arc<AtomicU64>>,
}

impl Pending {
    /// The response is sent (`sent` body bytes, or as many as went before
    /// the caller left): records the request with its whole latency.
    pub fn done(self, sent: u64) {
        let Pending { recorder, started, mut record, bytes_in } = self;
        record.latency_us = started.elapsed().as_micros() as u64;
        record.bytes_out = sent;
        if let Some(n) = bytes_in {
            record.bytes_in = record.bytes_in.max(n.load(Ordering::Relaxed));
        }
        recorder.record(record);
    }
}

/// A response body that counts the bytes it sends and, when it is done or
/// dropped, records the request with its whole latency.
pub struct Recorded<B> {
    inner: B,
    pending: Option<Box<Pending>>,
    sent: u64,
}

impl<B> Recorded<B> {
    pub fn new(inner: B, pending: Option<Box<Pending>>) -> Self {
        Self { inner, pending, sent: 0 }
    }

    fn finish(&mut self) {
        if let Some(p) = self.pending.take() {
            (*p).done(self.sent);
        }
    }
}

impl<B> Drop for Recorded<B> {
    fn drop(&mut self) {
        self.finish();
    }
}

impl<B: Body<Data = Bytes> + Unpin> Body for Recorded<B> {
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        let this = &mut *self;
        let res = Pin::new(&mut this.inner).poll_frame(cx);
        match &res {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(d) = frame.data_ref() {
                    this.sent += d.len() as u64;
                }
            }
            Poll::Ready(None) => this.finish(),
            _ => {}
        }
        res
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// What the console needs of the metrics pipeline: Prometheus counters and
/// the pipeline's own health.
pub struct Hub {
    pub prom: Arc<prom::Prom>,
    pub recorder: Arc<Recorder>,
    pub stats: Arc<writer::WriterStats>,
    /// Bearer token `GET /metrics` requires, if any.
    pub token: Option<String>,
}

impl Hub {
    pub fn prometheus_text(&self) -> String {
        self.prom.render(self.recorder.dropped.load(Ordering::Relaxed), self.stats.written.load(Ordering::Relaxed))
    }
}

/// Microseconds since the epoch, now.
pub fn now_us() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_micros() as i64).unwrap_or(0)
}
