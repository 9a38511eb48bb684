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
    pub request_id: RequestId,
}

/// A request id, formatted like AWS's (a UUID), kept inline: 36 ASCII bytes
/// and no allocation.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct RequestId([u8; 36]);

impl RequestId {
    /// A fresh id. Ids must not repeat, but need not be unguessable, so
    /// each thread counts from a random start and scrambles the count
    /// (SplitMix64, a bijection: a thread's ids differ until 2^64 of them)
    /// instead of drawing 128 bits from the cryptographic generator.
    pub fn fresh() -> Self {
        thread_local! {
            static COUNT: std::cell::Cell<u64> = std::cell::Cell::new(rand::random());
        }
        fn mix(mut z: u64) -> u64 {
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }
        let n = COUNT.with(|c| {
            let n = c.get().wrapping_add(0x9e37_79b9_7f4a_7c15);
            c.set(n);
            n
        });
        let r = (u128::from(mix(n)) << 64) | u128::from(mix(n ^ 0x5851_f42d_4c95_7f2d));
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut id = [b'-'; 36];
        let mut at = 0;
        for (i, b) in r.to_be_bytes().into_iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                at += 1; // past a dash
            }
            id[at] = HEX[usize::from(b >> 4)];
            id[at + 1] = HEX[usize::from(b & 0xf)];
            at += 2;
        }
        Self(id)
    }

    /// An id given as text (36 ASCII characters), as tests write them.
    pub fn from_text(s: &str) -> Option<Self> {
        (s.is_ascii()).then(|| s.as_bytes().try_into().ok().map(Self)).flatten()
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("ASCII only")
    }
}

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Debug for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
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
