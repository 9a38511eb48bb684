//! Rate limits and quota periods for the gateway. A throttle is a GCRA
//! bucket (the "generic cell rate algorithm", equivalent to a token bucket)
//! kept in one atomic word, so checking it takes no lock. Quota periods are
//! whole UTC days, weeks or months, computed with integer calendar maths.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Instant;

/// Nanoseconds since the process started (monotonic).
pub fn now_ns() -> u64 {
    ns_at(Instant::now())
}

/// `at` in `now_ns` time (0 for an instant before the first call).
pub fn ns_at(at: Instant) -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    at.saturating_duration_since(*START.get_or_init(Instant::now)).as_nanos() as u64
}

const SEC: u64 = 1_000_000_000;

/// One throttle: `rate` requests per second on average, up to `burst` at once.
#[derive(Debug)]
pub struct Gcra {
    pub rate: f64,
    pub burst: i64,
    /// Time between requests at the steady rate; 0 when nothing may pass.
    interval: u64,
    /// How far ahead of now the theoretical arrival time may run (burst × interval).
    capacity: u64,
    /// Theoretical arrival time of the next request, in `now_ns` time.
    tat: AtomicU64,
}

/// What a bucket looks like after a request was let through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allowed {
    pub limit: u64,
    pub remaining: u64,
    /// Seconds until the bucket is full again.
    pub reset_secs: u64,
}

/// The slowest rate and the largest burst a bucket works with. The
/// configuration rules (`apigw_app::rules::rate_limit`, `burst_limit`) refuse
/// anything outside them; a value that got past them (an older database row)
/// is clamped here: a slower rate becomes this one, a larger burst this one.
/// With them the interval is at most 1e12 ns and the capacity at most 1e18 ns,
/// so `tat` stays within 1e18 + 1e12 ns of the clock and cannot wrap a `u64`
/// (1.8e19) in the ~550 years of uptime before `now` itself would.
const MIN_RATE: f64 = THROTTLE_MIN_RATE;
const MAX_BURST: i64 = THROTTLE_MAX_BURST;

impl Gcra {
    pub fn new(rate: f64, burst: i64) -> Self {
        // NaN counts as blocked too.
        let blocked = rate.is_nan() || rate <= 0.0 || burst <= 0;
        let interval = if blocked { 0 } else { ((SEC as f64 / rate.max(MIN_RATE)).round() as u64).max(1) };
        let capacity = interval.saturating_mul(burst.clamp(0, MAX_BURST) as u64);
        Self { rate, burst, interval, capacity, tat: AtomicU64::new(0) }
    }

    /// Takes one request's worth from the bucket, or says how many
    /// nanoseconds to wait before one would fit.
    pub fn acquire(&self, now: u64) -> Result<Allowed, u64> {
        if self.interval == 0 {
            return Err(SEC);
        }
        let mut tat = self.tat.load(Ordering::Relaxed);
        loop {
            // Saturating: with the bounds above it never saturates, and if it
            // did, `ahead` would exceed the capacity and the request be refused.
            let next = tat.max(now).saturating_add(self.interval);
            let ahead = next - now;
            if ahead > self.capacity {
                return Err(ahead - self.capacity);
            }
            match self.tat.compare_exchange_weak(tat, next, Ordering::AcqRel, Ordering::Relaxed) {
                Ok(_) => {
                    return Ok(Allowed {
                        limit: self.burst.clamp(0, MAX_BURST) as u64,
                        remaining: (self.capacity - ahead) / self.interval,
                        reset_secs: ahead.div_ceil(SEC),
                    })
                }
                Err(seen) => tat = seen,
            }
        }
    }

    /// Gives back a request taken by `acquire` (when a later check refused it).
    pub fn release(&self) {
        let _ = self.tat.fetch_update(Ordering::AcqRel, Ordering::Relaxed, |t| Some(t.saturating_sub(self.interval)));
    }

    /// The bucket as it stands, without taking anything: (remaining, seconds until full).
    pub fn peek(&self, now: u64) -> (u64, u64) {
        if self.interval == 0 {
            return (0, 0);
        }
        let ahead = self.tat.load(Ordering::Relaxed).saturating_sub(now);
        (self.capacity.saturating_sub(ahead) / self.interval, ahead.div_ceil(SEC))
    }
}

/// Seconds to put in `Retry-After` for a wait of `ns` (at least 1).
pub fn retry_after_secs(ns: u64) -> u64 {
    ns.div_ceil(SEC).max(1)
}

/// Buckets that outlive a rebuild: a redeploy or a plan edit that keeps a
/// bucket's limits keeps its state, so a redeploy does not hand out a fresh
/// burst. Used only when stages or the key table are rebuilt.
#[derive(Default)]
pub struct BucketPool {
    buckets: Mutex<HashMap<String, Weak<Gcra>>>,
}

impl BucketPool {
    pub fn bucket(&self, name: String, rate: f64, burst: i64) -> Arc<Gcra> {
        let mut map = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(b) = map.get(&name).and_then(Weak::upgrade) {
            if b.rate == rate && b.burst == burst {
                return b;
            }
        }
        let b = Arc::new(Gcra::new(rate, burst));
        map.insert(name, Arc::downgrade(&b));
        if map.len() > 64 && map.len().is_power_of_two() {
            map.retain(|_, w| w.strong_count() > 0);
        }
        b
    }
}

/// A quota period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Day,
    Week,
    Month,
}

impl Period {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "DAY" => Some(Self::Day),
            "WEEK" => Some(Self::Week),
            "MONTH" => Some(Self::Month),
            _ => None,
        }
    }
}

/// A plan's quota: `limit` requests per period, the period starting
/// `offset` days into the calendar day/week/month (UTC; weeks start on Sunday).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaRule {
    pub limit: i64,
    pub period: Period,
    pub offset: i64,
}

const DAY: i64 = 86_400;

impl QuotaRule {
    /// The period containing `now` (seconds since the epoch): (start, end) in seconds.
    pub fn period_at(&self, now: i64) -> (i64, i64) {
        let day = now.div_euclid(DAY);
        let (start, end) = match self.period {
            Period::Day => (day, day + 1),
            Period::Week => {
                // 1970-01-01 was a Thursday: day 0 is weekday 4 counting from Sunday.
                let start = day - (day + 4 - self.offset).rem_euclid(7);
                (start, start + 7)
            }
            Period::Month => {
                let (y, m, _) = civil_from_days(day);
                let mut start = days_from_civil(y, m, 1) + self.offset;
                if start > day {
                    let (py, pm) = if m == 1 { (y - 1, 12) } else { (y, m - 1) };
                    start = days_from_civil(py, pm, 1) + self.offset;
                }
                let (sy, sm, _) = civil_from_days(start - self.offset);
                let (ny, nm) = if sm == 12 { (sy + 1, 1) } else { (sy, sm + 1) };
                (start, days_from_civil(ny, nm, 1) + self.offset)
            }
        };
        (start * DAY, end * DAY)
    }
}

pub use apigw_app::calendar::{civil_from_days, days_from_civil};
use apigw_app::rules::{THROTTLE_MAX_BURST, THROTTLE_MIN_RATE};

/// `YYYY-MM-DD` of the UTC day containing `secs`.
pub fn day_string(secs: i64) -> String {
    let (y, m, d) = civil_from_days(secs.div_euclid(DAY));
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gcra_lets_a_burst_through_then_the_rate() {
        let b = Gcra::new(10.0, 5);
        let t0 = 1_000 * SEC;
        for i in 0..5 {
            let a = b.acquire(t0).unwrap();
            assert_eq!(a.remaining, 4 - i);
        }
        let wait = b.acquire(t0).unwrap_err();
        assert_eq!(wait, SEC / 10);
        assert_eq!(retry_after_secs(wait), 1);
        // 100 ms later exactly one more fits.
        assert!(b.acquire(t0 + SEC / 10).is_ok());
        assert!(b.acquire(t0 + SEC / 10).is_err());
        // Giving one back makes room for one.
        b.release();
        assert!(b.acquire(t0 + SEC / 10).is_ok());
        // After a second idle the bucket is full again.
        assert_eq!(b.peek(t0 + 2 * SEC).0, 5);
    }

    #[test]
    fn zero_limits_block_everything() {
        assert!(Gcra::new(0.0, 10).acquire(SEC).is_err());
        assert!(Gcra::new(10.0, 0).acquire(SEC).is_err());
    }

    #[test]
    fn tiny_rates_and_huge_bursts_cannot_wrap() {
        // 1e-10 requests/s is an interval of 1e19 ns: unclamped, the second
        // request overflowed `tat` (a panic in debug builds, and in release a
        // wrapped, small `ahead` that let every later request through).
        let t0 = 1_000 * SEC;
        for burst in [1, 5, 1_000] {
            let b = Gcra::new(1e-10, burst);
            for _ in 0..burst {
                assert!(b.acquire(t0).is_ok());
            }
            for later in [t0, t0 + SEC, t0 + 600 * SEC] {
                for _ in 0..3 {
                    let wait = b.acquire(later).unwrap_err();
                    assert!(wait > 0 && retry_after_secs(wait) <= 1_000, "{wait}");
                }
            }
            assert_eq!(b.peek(t0).0, 0);
        }
        // The smallest positive rate, the largest burst: at most MAX_BURST, then refused.
        let b = Gcra::new(f64::MIN_POSITIVE, i64::MAX);
        let admitted = (0..MAX_BURST + 10).filter(|_| b.acquire(t0).is_ok()).count() as i64;
        assert_eq!(admitted, MAX_BURST);
        assert!(b.acquire(t0 + 60 * SEC).is_err());
        // Late in the clock's range nothing overflows either.
        let late = u64::MAX - 2_000_000_000_000_000_000;
        let b = Gcra::new(1e-10, 3);
        assert_eq!((0..10).filter(|_| b.acquire(late).is_ok()).count(), 3);
        // At the slowest allowed rate, exactly one request per 1000 s after the burst.
        let b = Gcra::new(0.001, 2);
        assert!(b.acquire(t0).is_ok() && b.acquire(t0).is_ok());
        assert_eq!(b.acquire(t0).unwrap_err(), 1_000 * SEC);
        assert!(b.acquire(t0 + 999 * SEC).is_err());
        assert!(b.acquire(t0 + 1_000 * SEC).is_ok());
    }

    #[test]
    fn over_ten_seconds_at_twice_the_rate() {
        let (rate, burst) = (50.0, 20);
        let b = Gcra::new(rate, burst);
        let start = 5 * SEC;
        let mut accepted = 0;
        for i in 0..1000u64 {
            if b.acquire(start + i * SEC / 100).is_ok() {
                accepted += 1;
            }
        }
        let expected = rate * 10.0 + burst as f64;
        assert!((accepted as f64 - expected).abs() <= 2.0, "{accepted} vs {expected}");
    }

    #[test]
    fn pool_keeps_state_while_limits_stay() {
        let pool = BucketPool::default();
        let a = pool.bucket("x".into(), 1.0, 1);
        assert!(a.acquire(SEC).is_ok());
        let b = pool.bucket("x".into(), 1.0, 1);
        assert!(b.acquire(SEC).is_err(), "same bucket, already used");
        let c = pool.bucket("x".into(), 2.0, 1);
        assert!(c.acquire(SEC).is_ok(), "new limits, new bucket");
    }

    #[test]
    fn day_strings() {
        assert_eq!(day_string(20_778 * DAY + 5), "2026-11-21");
        assert_eq!(day_string(-1), "1969-12-31");
    }

    #[test]
    fn quota_periods() {
        // Saturday 2026-11-21 12:00 UTC.
        let now = 20_778 * DAY + 12 * 3600;
        let day = QuotaRule { limit: 1, period: Period::Day, offset: 0 };
        assert_eq!(day.period_at(now), (20_778 * DAY, 20_779 * DAY));
        // Weeks start on Sunday (2026-11-15); offset 1 = Monday (2026-11-16).
        let week = QuotaRule { limit: 1, period: Period::Week, offset: 0 };
        assert_eq!(week.period_at(now).0, days_from_civil(2026, 11, 15) * DAY);
        let monday = QuotaRule { offset: 1, ..week };
        assert_eq!(monday.period_at(now), (days_from_civil(2026, 11, 16) * DAY, days_from_civil(2026, 11, 23) * DAY));
        // Months: from the 1st, or `offset` days later.
        let month = QuotaRule { limit: 1, period: Period::Month, offset: 0 };
        assert_eq!(month.period_at(now), (days_from_civil(2026, 11, 1) * DAY, days_from_civil(2026, 12, 1) * DAY));
        let late = QuotaRule { offset: 24, ..month }; // the 25th: 2026-11-21 is still in October's period
        assert_eq!(late.period_at(now), (days_from_civil(2026, 10, 25) * DAY, days_from_civil(2026, 11, 25) * DAY));
        let dec = QuotaRule { offset: 0, ..month }.period_at(days_from_civil(2026, 12, 31) * DAY);
        assert_eq!(dec, (days_from_civil(2026, 12, 1) * DAY, days_from_civil(2027, 1, 1) * DAY));
    }
}
