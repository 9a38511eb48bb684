//! Metrics for every gateway request. A request never waits on the
//! database: when its response has been sent (or dropped), its `Record`
//! goes through a bounded channel with `try_send` to the writer, which
//! commits them in batches (about every 100 ms, at most 10,000 records) to the
//! access log and to 1-minute, 5-minute and 1-hour rollups. A gateway
//! worker thread gathers its records and sends them 64 at a time (and what
//! it has every 25 ms), so the threads do not meet on the channel for every
//! request. A full channel drops the records and counts them; that counter
//! is exposed and stays 0 in normal use.

mod bulk;
pub mod charts;
pub mod hist;
pub mod prom;
pub mod query;
pub mod reason;
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
    /// Why the gateway answered itself (or the backend call failed); None
    /// for an answer that came from the integration.
    pub reason: Option<reason::Reason>,
    /// What exactly went wrong, when the reason code is not enough (the
    /// validation failure, the template error, the backend's error).
    pub detail: Option<Box<str>>,
}

/// A request id, formatted like AWS's (a UUID), kept inline: 36 ASCII bytes
/// and no allocation.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct RequestId([u8; 36]);

/// `x` in 16 lower-case hex digits, all at once: each nibble is spread
/// to a byte of a `u128`, then turned into its digit with arithmetic (no
/// table, no loop; the id's formatting was a loop of sixteen lookups).
fn hex(x: u64) -> [u8; 16] {
    const ONES: u128 = u128::MAX / 255; // 0x0101…01
    let x = u128::from(x);
    let mut v = ((x & 0xffff_ffff_0000_0000) << 32) | (x & 0xffff_ffff);
    v = ((v & 0x0000_0000_ffff_0000_0000_0000_ffff_0000) << 16) | (v & 0x0000_0000_0000_ffff_0000_0000_0000_ffff);
    v = ((v & 0x0000_ff00_0000_ff00_0000_ff00_0000_ff00) << 8) | (v & 0x0000_00ff_0000_00ff_0000_00ff_0000_00ff);
    v = ((v & 0x00f0_00f0_00f0_00f0_00f0_00f0_00f0_00f0) << 4) | (v & 0x000f_000f_000f_000f_000f_000f_000f_000f);
    // Now one nibble per byte, the most significant in the top byte.
    // A byte of 10 or more gets 16 added by the `+ 6` and so a 1 here.
    let letters = ((v + 6 * ONES) >> 4) & ONES;
    (v + b'0' as u128 * ONES + letters * u128::from(b'a' - b'0' - 10)).to_be_bytes()
}

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
        Self::from_bits(mix(n), mix(n ^ 0x5851_f42d_4c95_7f2d))
    }

    /// The id of 128 bits, `hi` first, in lower-case hex as
    /// `8-4-4-4-12`, a UUID's shape.
    fn from_bits(hi: u64, lo: u64) -> Self {
        let (hi, lo) = (hex(hi), hex(lo));
        let mut id = [b'-'; 36];
        id[..8].copy_from_slice(&hi[..8]);
        id[9..13].copy_from_slice(&hi[8..12]);
        id[14..18].copy_from_slice(&hi[12..]);
        id[19..23].copy_from_slice(&lo[..4]);
        id[24..].copy_from_slice(&lo[4..]);
        Self(id)
    }

    /// An id given as text (36 ASCII characters), as tests write them.
    #[cfg(test)]
    pub fn from_text(s: &str) -> Option<Self> {
        s.is_ascii().then(|| s.as_bytes().try_into().ok().map(Self))?
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The id AWS sends as `x-amz-apigw-id` (its "extended request id"):
    /// 15 base64 characters and a `=`, here the id's first 90 bits, so it
    /// is as unique per request as the id and costs no extra draw.
    pub fn apigw_id(&self) -> [u8; 16] {
        const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let nibble = |c: u8| (if c.is_ascii_digit() { c - b'0' } else { (c | 0x20).wrapping_sub(b'a').wrapping_add(10) }) & 15;
        let mut bits: u128 = 0;
        for c in self.0.iter().filter(|&&c| c != b'-').take(23) {
            bits = (bits << 4) | u128::from(nibble(*c));
        }
        // 92 bits read; the top 90 make 15 characters of 6 bits.
        bits >>= 2;
        let mut out = [b'='; 16];
        for (i, o) in out[..15].iter_mut().enumerate() {
            *o = B64[((bits >> (6 * (14 - i))) & 63) as usize];
        }
        out
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

/// Records a gateway worker thread gathers before it sends them.
pub const THREAD_BATCH: usize = 64;
/// Longest a record waits on its thread: the worker sends what it has this often.
pub const THREAD_FLUSH: std::time::Duration = std::time::Duration::from_millis(25);
/// How many batches fit in the channel before new ones are dropped (about
/// 200,000 records when the gateway is busy and its batches are full).
pub const CHANNEL_CAPACITY: usize = 200_000 / THREAD_BATCH;

/// The gateway's end of the channel.
pub struct Recorder {
    tx: mpsc::Sender<Vec<Record>>,
    pub dropped: AtomicU64,
}

/// The records a thread has gathered, and for which recorder.
struct Gathered {
    recorder: Arc<Recorder>,
    records: Vec<Record>,
}

impl Gathered {
    /// Sends what is gathered (if anything) and starts a fresh batch.
    fn send(&mut self) {
        if !self.records.is_empty() {
            let full = std::mem::replace(&mut self.records, Vec::with_capacity(THREAD_BATCH));
            self.recorder.send(full);
        }
    }
}

impl Drop for Gathered {
    fn drop(&mut self) {
        self.recorder.send(std::mem::take(&mut self.records));
    }
}

thread_local! {
    static GATHERED: std::cell::RefCell<Option<Gathered>> = const { std::cell::RefCell::new(None) };
}

impl Recorder {
    pub fn new() -> (Arc<Self>, mpsc::Receiver<Vec<Record>>) {
        let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
        (Arc::new(Self { tx, dropped: AtomicU64::new(0) }), rx)
    }

    /// Hands a record to the writer without waiting; counts it if it
    /// cannot. On a thread that gathers for this recorder (see
    /// [`Recorder::gather_on_this_thread`]), it waits there for its batch.
    pub fn record(&self, r: Record) {
        let r = GATHERED.with(|g| match &mut *g.borrow_mut() {
            Some(g) if std::ptr::eq(Arc::as_ptr(&g.recorder), self) => {
                g.records.push(r);
                if g.records.len() >= THREAD_BATCH {
                    g.send();
                }
                None
            }
            _ => Some(r),
        });
        if let Some(r) = r {
            self.send(vec![r]);
        }
    }

    fn send(&self, batch: Vec<Record>) {
        if batch.is_empty() {
            return;
        }
        if let Err(e) = self.tx.try_send(batch) {
            let batch = match e {
                mpsc::error::TrySendError::Full(b) | mpsc::error::TrySendError::Closed(b) => b,
            };
            self.dropped.fetch_add(batch.len() as u64, Ordering::Relaxed);
        }
    }

    /// From now on, this thread gathers its records for this recorder and
    /// sends them in batches. The thread must call [`flush_thread`] every
    /// [`THREAD_FLUSH`]; what is left goes when the thread ends.
    pub fn gather_on_this_thread(self: &Arc<Self>) {
        let before = GATHERED.with(|g| g.replace(Some(Gathered { recorder: self.clone(), records: Vec::with_capacity(THREAD_BATCH) })));
        drop(before);
    }
}

/// Sends the records this thread has gathered, if any.
pub fn flush_thread() {
    GATHERED.with(|g| g.borrow_mut().as_mut().map(Gathered::send));
}

/// What is known about a request before its response body has been sent.
pub struct Pending {
    pub started: Instant,
    pub record: Record,
}

impl Pending {
    /// The response is sent (`sent` body bytes, or as many as went before
    /// the caller left): records the request with its whole latency.
    pub fn done(self, recorder: &Recorder, sent: u64) {
        let Pending { started, mut record } = self;
        record.latency_us = started.elapsed().as_micros() as u64;
        record.bytes_out = sent;
        recorder.record(record);
    }
}

/// A response body that counts the bytes it sends and, when it is done or
/// dropped, records the request with its whole latency.
pub struct Recorded<B> {
    inner: B,
    pending: Option<(Arc<Recorder>, Box<Pending>)>,
    sent: u64,
}

impl<B> Recorded<B> {
    pub fn new(inner: B, pending: Option<(Arc<Recorder>, Box<Pending>)>) -> Self {
        Self { inner, pending, sent: 0 }
    }

    fn finish(&mut self) {
        if let Some((recorder, p)) = self.pending.take() {
            (*p).done(&recorder, self.sent);
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

/// Microseconds since the epoch at `at`, a recent monotonic instant: from
/// a pairing of the two clocks kept per thread and read anew when it is a
/// second old (so a change to the system clock shows within a second). A
/// request reads the clock once for both its start and its timestamp.
pub fn wall_us(at: Instant) -> i64 {
    thread_local! {
        static PAIR: std::cell::Cell<Option<(Instant, i64)>> = const { std::cell::Cell::new(None) };
    }
    PAIR.with(|pair| match pair.get() {
        Some((mono, wall)) if at >= mono && at - mono < std::time::Duration::from_secs(1) => wall + (at - mono).as_micros() as i64,
        _ => {
            // Paired with a fresh reading, not `at`, which may be some way back.
            let (mono, wall) = (Instant::now(), now_us());
            pair.set(Some((mono, wall)));
            match at.checked_duration_since(mono) {
                Some(ahead) => wall + ahead.as_micros() as i64,
                None => wall - (mono - at).as_micros() as i64,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(status: u16) -> Record {
        let key = Arc::new(MetricKey { api: "a".into(), stage: "s".into(), resource: "/".into(), method: "GET".into() });
        Record {
            key,
            at_us: 0,
            status,
            latency_us: 0,
            integration_us: None,
            key_id: None,
            bytes_in: 0,
            bytes_out: 0,
            path: "/".into(),
            request_id: RequestId::fresh(),
            reason: None,
            detail: None,
        }
    }

    /// Statuses of every record waiting in the channel, batch by batch.
    fn waiting(rx: &mut mpsc::Receiver<Vec<Record>>) -> Vec<Vec<u16>> {
        std::iter::from_fn(|| rx.try_recv().ok()).map(|b| b.iter().map(|r| r.status).collect()).collect()
    }

    #[test]
    fn request_ids_are_their_bits_in_hex_shaped_like_a_uuid() {
        let mut cases = vec![(0, 0), (u64::MAX, u64::MAX), (0x0123_4567_89ab_cdef, 0xfedc_ba98_7654_3210)];
        cases.extend((0..64).map(|i| (1u64 << i, !(1u64 << i))));
        cases.extend((0..1000).map(|_| (rand::random(), rand::random())));
        for (hi, lo) in cases {
            let want =
                format!("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", hi >> 32, (hi >> 16) & 0xffff, hi & 0xffff, lo >> 48, lo & 0xffff_ffff_ffff);
            assert_eq!(RequestId::from_bits(hi, lo).as_str(), want);
        }
        let (a, b) = (RequestId::fresh(), RequestId::fresh());
        assert_ne!(a.as_str(), b.as_str());
        assert_ne!(a.apigw_id(), b.apigw_id());
        let g = a.apigw_id();
        assert!(g[..15].iter().all(|c| c.is_ascii_alphanumeric() || *c == b'+' || *c == b'/') && g[15] == b'=', "{g:?}");
        // The same bits give the same id: 0x000…, then all ones.
        assert_eq!(&RequestId::from_bits(0, 0).apigw_id(), b"AAAAAAAAAAAAAAA=");
        assert_eq!(&RequestId::from_bits(u64::MAX, u64::MAX).apigw_id(), b"///////////////=");
        assert!(a.as_str().bytes().all(|c| c == b'-' || c.is_ascii_hexdigit() && !c.is_ascii_uppercase()), "{a}");
    }

    #[test]
    fn a_gathering_thread_sends_full_batches_and_the_rest_when_flushed_or_ended() {
        let (recorder, mut rx) = Recorder::new();
        let (other, mut other_rx) = Recorder::new();
        let r = recorder.clone();
        std::thread::spawn(move || {
            r.gather_on_this_thread();
            for i in 0..THREAD_BATCH as u16 + 2 {
                r.record(record(i));
            }
            // A full batch went; two records wait on the thread.
            let sent = r.tx.max_capacity() - r.tx.capacity();
            assert_eq!(sent, 1);
            // Another recorder's records are not held by this thread.
            other.record(record(999));
            flush_thread();
            r.record(record(1000));
        })
        .join()
        .unwrap();
        let batches = waiting(&mut rx);
        let full: Vec<u16> = (0..THREAD_BATCH as u16).collect();
        assert_eq!(batches, vec![full, vec![64, 65], vec![1000]], "the last one was sent when the thread ended");
        assert_eq!(waiting(&mut other_rx), vec![vec![999]]);
        // A thread that does not gather sends each record at once.
        recorder.record(record(7));
        assert_eq!(waiting(&mut rx), vec![vec![7]]);
        assert_eq!(recorder.dropped.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn records_that_do_not_fit_are_counted_as_dropped() {
        let (recorder, mut rx) = Recorder::new();
        for _ in 0..CHANNEL_CAPACITY {
            recorder.record(record(200));
        }
        let r = recorder.clone();
        std::thread::spawn(move || {
            r.gather_on_this_thread();
            for _ in 0..THREAD_BATCH + 3 {
                r.record(record(200));
            }
        })
        .join()
        .unwrap();
        assert_eq!(recorder.dropped.load(Ordering::Relaxed), THREAD_BATCH as u64 + 3);
        assert_eq!(waiting(&mut rx).len(), CHANNEL_CAPACITY);
        drop(rx);
        recorder.record(record(200));
        assert_eq!(recorder.dropped.load(Ordering::Relaxed), THREAD_BATCH as u64 + 4, "a closed channel counts too");
    }

    #[test]
    fn wall_time_from_the_monotonic_clock_matches_the_system_clock() {
        let before = now_us();
        let at = Instant::now();
        let wall = wall_us(at);
        let after = now_us();
        assert!(before <= wall && wall <= after, "{before} <= {wall} <= {after}");
        // Later instants, within the pairing's second and past it, stay in step.
        let later = at + std::time::Duration::from_millis(1500);
        let off = |t: Instant, by: i64| (wall_us(t) - wall - by).abs();
        assert!(off(later, 1_500_000) <= 50, "past the pairing's second: paired again, {}", off(later, 1_500_000));
        assert!(off(at + std::time::Duration::from_millis(300), 300_000) <= 50);
        assert!(off(at, 0) <= 50, "an instant before the pairing");
    }
}
