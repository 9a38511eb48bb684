//! Latency histograms in fixed buckets, so histograms from any minutes and
//! methods merge by adding counts and percentiles over any range come out of
//! the merged buckets. Bucket `i` (for i ≥ 1) holds latencies up to
//! 2^(i/4) µs — each about 19% wider than the one before — from 1 µs to
//! about 2.3 minutes; bucket 0 holds 0 µs.

/// Number of buckets.
pub const BUCKETS: usize = 110;

/// Upper bound (µs, inclusive) of every bucket.
fn bounds() -> &'static [u64; BUCKETS] {
    static B: std::sync::OnceLock<[u64; BUCKETS]> = std::sync::OnceLock::new();
    B.get_or_init(|| {
        let mut b = [0u64; BUCKETS];
        for (i, v) in b.iter_mut().enumerate().skip(1) {
            *v = 2f64.powf(i as f64 / 4.0).floor() as u64;
        }
        b[BUCKETS - 1] = u64::MAX;
        b
    })
}

/// The bucket holding `us`.
pub fn bucket_of(us: u64) -> usize {
    bounds().partition_point(|&b| b < us).min(BUCKETS - 1)
}

/// The range of latencies bucket `i` holds: (exclusive lower, inclusive upper) µs.
pub fn bucket_range(i: usize) -> (u64, u64) {
    let b = bounds();
    (if i == 0 { 0 } else { b[i - 1] }, b[i])
}

/// Counts per bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Histogram {
    pub counts: [u32; BUCKETS],
}

impl Default for Histogram {
    fn default() -> Self {
        Self { counts: [0; BUCKETS] }
    }
}

impl Histogram {
    pub fn add(&mut self, us: u64) {
        let b = &mut self.counts[bucket_of(us)];
        *b = b.saturating_add(1);
    }

    pub fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(other.counts.iter()) {
            *a = a.saturating_add(*b);
        }
    }

    pub fn total(&self) -> u64 {
        self.counts.iter().map(|&c| u64::from(c)).sum()
    }

    /// The `q` quantile (0–1) in µs: found by rank in the merged buckets,
    /// interpolated linearly inside the bucket. None when empty.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let total = self.total();
        if total == 0 {
            return None;
        }
        let rank = (q.clamp(0.0, 1.0) * total as f64).max(1.0);
        let mut seen = 0u64;
        for (i, &c) in self.counts.iter().enumerate() {
            if c == 0 {
                continue;
            }
            let next = seen + u64::from(c);
            if next as f64 >= rank {
                let (lo, hi) = bucket_range(i);
                let hi = if i == BUCKETS - 1 { lo.saturating_mul(2) } else { hi };
                let within = (rank - seen as f64) / f64::from(c);
                return Some(lo as f64 + (hi - lo) as f64 * within);
            }
            seen = next;
        }
        None
    }

    /// Stored form: (bucket u8, count u32 little-endian) for each non-empty bucket.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for (i, &c) in self.counts.iter().enumerate() {
            if c != 0 {
                out.push(i as u8);
                out.extend_from_slice(&c.to_le_bytes());
            }
        }
        out
    }

    pub fn decode(bytes: &[u8]) -> Self {
        let mut h = Self::default();
        for chunk in bytes.chunks_exact(5) {
            let i = usize::from(chunk[0]);
            if i < BUCKETS {
                h.counts[i] = h.counts[i].saturating_add(u32::from_le_bytes([chunk[1], chunk[2], chunk[3], chunk[4]]));
            }
        }
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_cover_every_latency_in_order() {
        assert_eq!(bucket_of(0), 0);
        assert_eq!(bucket_of(1), 1);
        let mut last = 0;
        for us in [1, 2, 3, 10, 100, 1_000, 50_000, 1_000_000, 29_000_000, u64::MAX] {
            let b = bucket_of(us);
            assert!(b >= last);
            let (lo, hi) = bucket_range(b);
            assert!(us > lo || us == 0, "{us} in ({lo}, {hi}]");
            assert!(us <= hi, "{us} in ({lo}, {hi}]");
            last = b;
        }
        // About 19% per bucket around 50 ms.
        let (lo, hi) = bucket_range(bucket_of(50_000));
        assert!((hi - lo) as f64 / (hi as f64) < 0.2);
    }

    #[test]
    fn quantiles_land_in_the_right_bucket_and_survive_encoding() {
        let mut h = Histogram::default();
        for _ in 0..90 {
            h.add(1_000);
        }
        for _ in 0..10 {
            h.add(200_000);
        }
        let h = Histogram::decode(&h.encode());
        let (lo, hi) = bucket_range(bucket_of(1_000));
        let p50 = h.quantile(0.5).unwrap();
        assert!(p50 > lo as f64 && p50 <= hi as f64, "{p50}");
        let (lo, hi) = bucket_range(bucket_of(200_000));
        let p99 = h.quantile(0.99).unwrap();
        assert!(p99 > lo as f64 && p99 <= hi as f64, "{p99}");
        assert_eq!(Histogram::default().quantile(0.5), None);
        let mut m = h.clone();
        m.merge(&h);
        assert_eq!(m.total(), 200);
    }
}
