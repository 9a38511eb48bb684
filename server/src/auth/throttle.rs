//! Sign-in throttling: failed sign-ins slow down whoever makes them, with
//! backoff, instead of locking an account.
//!
//! A lock per username let anyone keep the admin out for good by failing
//! five times a minute. Here the address that fails pays: after
//! [`SOURCE_FREE`] failures it waits 30 s, then twice as long after each
//! further failure, up to 15 minutes. Failures for one username from all
//! addresses together also count ([`USER_FREE`]; then 10 s, doubling), but
//! that wait is capped at a minute and applies only to addresses that have failed themselves,
//! so an attacker cannot keep the real user, signing in from a clean
//! address, out at all. IPv6 addresses count per /64, the block one host
//! usually holds. Kept in memory, bounded in size: a restart clears it.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures from one address before it has to wait.
pub const SOURCE_FREE: u32 = 5;
/// The first wait for an address, doubled with each further failure.
pub const SOURCE_FIRST_WAIT: Duration = Duration::from_secs(30);
/// The longest an address waits.
pub const SOURCE_MAX_WAIT: Duration = Duration::from_secs(15 * 60);
/// Failures for one username (from anywhere) before its failing sources wait.
pub const USER_FREE: u32 = 20;
/// The first wait for failing addresses once a username is over its count.
pub const USER_FIRST_WAIT: Duration = Duration::from_secs(10);
/// The longest a failing address waits because of a username's failures.
pub const USER_MAX_WAIT: Duration = Duration::from_secs(60);
/// Failures older than this are forgotten.
pub const MEMORY: Duration = Duration::from_secs(15 * 60);
/// Entries kept at most; beyond it the oldest are dropped.
const MAX_ENTRIES: usize = 100_000;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Key {
    Source(IpAddr),
    User(String),
}

#[derive(Clone, Copy, Debug)]
struct Failures {
    count: u32,
    last: Instant,
    wait_until: Option<Instant>,
}

/// Why a sign-in has to wait, and for how long.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wait {
    /// This address failed too often.
    Source(Duration),
    /// This username failed too often, and this address is among those failing.
    User(Duration),
}

impl Wait {
    pub fn message(&self, username: &str) -> String {
        match self {
            Wait::Source(d) => format!(
                "Too many failed sign-ins from your address. Try again in {} seconds; each further failure doubles the wait.",
                secs(*d)
            ),
            Wait::User(d) => {
                format!("Too many failed sign-ins for '{username}' from several addresses. Try again in {} seconds.", secs(*d))
            }
        }
    }
}

fn secs(d: Duration) -> u64 {
    d.as_secs_f64().ceil().max(1.0) as u64
}

/// The failure counts.
#[derive(Default)]
pub struct Throttle {
    entries: Mutex<HashMap<Key, Failures>>,
}

/// The address a source counts as: IPv4 as is, IPv6 by its /64.
fn source_key(ip: IpAddr) -> Key {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => Key::Source(IpAddr::V4(v4)),
            None => {
                let s = v6.segments();
                Key::Source(IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0)))
            }
        },
        v4 => Key::Source(v4),
    }
}

fn user_key(username: &str) -> Key {
    Key::User(username.to_lowercase())
}

impl Throttle {
    /// If a sign-in for `username` from `source` must wait now, why and how long.
    pub fn wait(&self, username: &str, source: Option<IpAddr>, now: Instant) -> Option<Wait> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let left = |key: &Key| {
            let f = entries.get(key)?;
            let until = f.wait_until?;
            (until > now && now.duration_since(f.last) < MEMORY).then(|| until - now)
        };
        let source = source.map(source_key);
        if let Some(d) = source.as_ref().and_then(left) {
            return Some(Wait::Source(d));
        }
        let source_has_failed = source.as_ref().and_then(|k| entries.get(k)).is_some_and(|f| now.duration_since(f.last) < MEMORY);
        // Without a known address every caller counts as one that failed.
        if source_has_failed || source.is_none() {
            if let Some(d) = left(&user_key(username)) {
                return Some(Wait::User(d));
            }
        }
        None
    }

    /// Records a failed sign-in.
    pub fn record_failure(&self, username: &str, source: Option<IpAddr>, now: Instant) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.retain(|_, f| now.duration_since(f.last) < MEMORY);
            if entries.len() >= MAX_ENTRIES {
                // Still full of fresh entries (a wide flood): drop the older half.
                let mut lasts: Vec<Instant> = entries.values().map(|f| f.last).collect();
                lasts.sort_unstable();
                let cut = lasts[lasts.len() / 2];
                entries.retain(|_, f| f.last > cut);
            }
        }
        let mut bump = |key: Key, free: u32, wait: &dyn Fn(u32) -> Duration| {
            let f = entries.entry(key).or_insert(Failures { count: 0, last: now, wait_until: None });
            if now.duration_since(f.last) >= MEMORY {
                *f = Failures { count: 0, last: now, wait_until: None };
            }
            f.count += 1;
            f.last = now;
            if f.count >= free {
                f.wait_until = Some(now + wait(f.count - free));
            }
        };
        if let Some(ip) = source {
            bump(source_key(ip), SOURCE_FREE, &|over| backoff(SOURCE_FIRST_WAIT, over, SOURCE_MAX_WAIT));
        }
        bump(user_key(username), USER_FREE, &|over| backoff(USER_FIRST_WAIT, over, USER_MAX_WAIT));
    }

    /// A successful sign-in clears its address's and its username's failures.
    pub fn record_success(&self, username: &str, source: Option<IpAddr>) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(ip) = source {
            entries.remove(&source_key(ip));
        }
        entries.remove(&user_key(username));
    }
}

/// `first × 2^over`, at most `max`.
fn backoff(first: Duration, over: u32, max: Duration) -> Duration {
    first.saturating_mul(1u32.checked_shl(over.min(31)).unwrap_or(u32::MAX)).min(max)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn an_address_that_keeps_failing_waits_longer_each_time_up_to_the_cap() {
        let t = Throttle::default();
        let t0 = Instant::now();
        for i in 0..SOURCE_FREE - 1 {
            t.record_failure("admin", ip("10.0.0.1"), t0);
            assert_eq!(t.wait("admin", ip("10.0.0.1"), t0), None, "failure {i} is free");
        }
        t.record_failure("admin", ip("10.0.0.1"), t0);
        assert_eq!(t.wait("admin", ip("10.0.0.1"), t0), Some(Wait::Source(SOURCE_FIRST_WAIT)));
        t.record_failure("admin", ip("10.0.0.1"), t0 + Duration::from_secs(31));
        assert_eq!(t.wait("admin", ip("10.0.0.1"), t0 + Duration::from_secs(31)), Some(Wait::Source(Duration::from_secs(60))));
        for _ in 0..20 {
            t.record_failure("admin", ip("10.0.0.1"), t0 + Duration::from_secs(31));
        }
        assert_eq!(t.wait("admin", ip("10.0.0.1"), t0 + Duration::from_secs(31)), Some(Wait::Source(SOURCE_MAX_WAIT)));
        // The real admin at another address is not held up at all.
        assert_eq!(t.wait("admin", ip("192.168.1.9"), t0 + Duration::from_secs(31)), None);
        // Nor is the attacker's neighbour in the same IPv4 /24, but the attacker's IPv6 /64 counts as one.
        for _ in 0..SOURCE_FREE {
            t.record_failure("x", ip("2001:db8:1:2::1"), t0);
        }
        assert!(matches!(t.wait("x", ip("2001:db8:1:2:ffff::9"), t0), Some(Wait::Source(_))));
        assert_eq!(t.wait("x", ip("2001:db8:1:3::1"), t0), None);
    }

    #[test]
    fn many_addresses_failing_one_user_slow_only_those_addresses_for_at_most_a_minute() {
        let t = Throttle::default();
        let t0 = Instant::now();
        for i in 0..USER_FREE + 10 {
            t.record_failure("Admin", ip(&format!("10.1.{}.{}", i / 200, i % 200)), t0);
        }
        let w = t.wait("admin", ip("10.1.0.3"), t0);
        assert!(matches!(w, Some(Wait::User(d)) if d <= USER_MAX_WAIT), "{w:?}");
        assert_eq!(t.wait("admin", ip("172.16.0.1"), t0), None, "a clean address signs in");
        assert_eq!(t.wait("admin", ip("10.1.0.3"), t0 + USER_MAX_WAIT), None, "never longer than a minute");
        t.record_success("admin", ip("172.16.0.1"));
        assert_eq!(t.wait("admin", ip("10.1.0.3"), t0), None, "success clears the username's count");
    }

    #[test]
    fn failures_are_forgotten_and_memory_is_bounded() {
        let t = Throttle::default();
        let t0 = Instant::now();
        for _ in 0..SOURCE_FREE - 1 {
            t.record_failure("a", ip("10.0.0.1"), t0);
        }
        let later = t0 + MEMORY;
        t.record_failure("a", ip("10.0.0.1"), later);
        assert_eq!(t.wait("a", ip("10.0.0.1"), later), None, "old failures no longer count");
        for i in 0..(MAX_ENTRIES as u32 + 10) {
            t.record_failure("a", Some(IpAddr::V4(i.into())), t0 + Duration::from_micros(i as u64));
        }
        assert!(t.entries.lock().unwrap().len() <= MAX_ENTRIES);
        assert_eq!(backoff(Duration::from_secs(30), 40, SOURCE_MAX_WAIT), SOURCE_MAX_WAIT);
    }
}
