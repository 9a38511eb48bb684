//! API keys as the gateway sees them: a table from SHA-256(key) to the
//! key's plans, per API stage, with each plan's throttle buckets and quota
//! counter. Requests read the table through `ArcSwap` (no lock, no
//! database); a key or plan change rebuilds it off the hot path. Counted
//! requests are written to `usage_days` about once a second, so a hard
//! crash loses at most about a second of counts; a graceful stop loses none.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arc_swap::ArcSwap;
use sha2::{Digest, Sha256};

use super::limits::{day_string, BucketPool, Gcra, Period, QuotaRule};
use crate::store::{now_secs, Store, StoreError};
use crate::FastMap;

/// SHA-256 of an API key's value: what is stored and what requests are looked up by.
pub fn key_hash(value: &str) -> [u8; 32] {
    Sha256::digest(value.as_bytes()).into()
}

/// Requests one key made under one plan: in the current quota period, and
/// not yet written to the database.
#[derive(Debug)]
pub struct UsageCounter {
    pub plan_id: String,
    pub key_id: String,
    pub rule: Option<QuotaRule>,
    /// Requests in the period that starts at `period_start`.
    used: AtomicI64,
    period_start: AtomicI64,
    /// Counted since the last flush.
    pending: AtomicI64,
}

/// Why the quota refused a request: seconds until the period ends.
#[derive(Debug, Clone, Copy)]
pub struct QuotaExceeded {
    pub retry_after_secs: u64,
}

/// The quota after a request was counted: (limit, remaining, seconds until reset).
#[derive(Debug, Clone, Copy)]
pub struct QuotaLeft {
    pub limit: i64,
    pub remaining: i64,
    pub reset_secs: i64,
}

impl UsageCounter {
    fn new(plan_id: &str, key_id: &str, rule: Option<QuotaRule>, used: i64, period_start: i64) -> Self {
        Self {
            plan_id: plan_id.to_string(),
            key_id: key_id.to_string(),
            rule,
            used: AtomicI64::new(used),
            period_start: AtomicI64::new(period_start),
            pending: AtomicI64::new(0),
        }
    }

    /// Counts one request against the quota (if any), or refuses it.
    pub fn admit(&self, now: i64) -> Result<Option<QuotaLeft>, QuotaExceeded> {
        let Some(rule) = self.rule else {
            self.pending.fetch_add(1, Ordering::Relaxed);
            return Ok(None);
        };
        let (start, end) = rule.period_at(now);
        let seen = self.period_start.load(Ordering::Acquire);
        if seen != start && self.period_start.compare_exchange(seen, start, Ordering::AcqRel, Ordering::Acquire).is_ok() {
            self.used.store(0, Ordering::Release);
        }
        let n = self.used.fetch_add(1, Ordering::AcqRel) + 1;
        if n > rule.limit {
            self.used.fetch_sub(1, Ordering::AcqRel);
            return Err(QuotaExceeded { retry_after_secs: (end - now).max(1) as u64 });
        }
        self.pending.fetch_add(1, Ordering::Relaxed);
        Ok(Some(QuotaLeft { limit: rule.limit, remaining: rule.limit - n, reset_secs: end - now }))
    }

    /// Grants `n` more requests in the current period (UpdateUsage): the
    /// count goes down by `n`, below zero if the grant exceeds what was used.
    pub fn grant(&self, n: i64, now: i64) {
        if let Some(rule) = self.rule {
            let (start, _) = rule.period_at(now);
            let seen = self.period_start.load(Ordering::Acquire);
            if seen != start && self.period_start.compare_exchange(seen, start, Ordering::AcqRel, Ordering::Acquire).is_ok() {
                self.used.store(0, Ordering::Release);
            }
            self.used.fetch_sub(n, Ordering::AcqRel);
        }
    }

    /// Requests counted in the current period (0 if it has just rolled over).
    pub fn used_now(&self, now: i64) -> i64 {
        match self.rule {
            Some(rule) if rule.period_at(now).0 != self.period_start.load(Ordering::Acquire) => 0,
            _ => self.used.load(Ordering::Acquire),
        }
    }
}

/// One key's way into one API stage: the plan's limits and its counter.
#[derive(Debug)]
pub struct Binding {
    pub plan_id: String,
    pub key_id: Arc<str>,
    /// The plan's per-key throttle.
    pub throttle: Option<Arc<Gcra>>,
    /// Per-method throttles of this stage in the plan, keyed `/path/METHOD`.
    pub method_throttles: FastMap<String, Arc<Gcra>>,
    pub counter: Arc<UsageCounter>,
}

#[derive(Debug)]
pub struct KeyEntry {
    pub id: Arc<str>,
    pub enabled: bool,
    /// api id → stage → binding.
    stages: FastMap<String, FastMap<String, Arc<Binding>>>,
}

/// What a key value amounts to for one API stage. A binding is borrowed
/// from the table (no reference count touched per request).
#[derive(Debug)]
pub enum KeyCheck<'t> {
    Missing,
    Unknown,
    Disabled(Arc<str>),
    /// Enabled, but in no usage plan covering this stage.
    NoPlan(Arc<str>),
    Ok(&'t Binding),
}

#[derive(Debug, Default)]
pub struct AccessTable {
    keys: FastMap<[u8; 32], KeyEntry>,
}

impl AccessTable {
    /// Looks a key value up for one API stage. Hashes the value once.
    pub fn check(&self, value: Option<&str>, api_id: &str, stage: &str) -> KeyCheck<'_> {
        let Some(value) = value.filter(|v| !v.is_empty()) else {
            return KeyCheck::Missing;
        };
        let Some(entry) = self.keys.get(&key_hash(value)) else {
            return KeyCheck::Unknown;
        };
        if !entry.enabled {
            return KeyCheck::Disabled(entry.id.clone());
        }
        match entry.stages.get(api_id).and_then(|s| s.get(stage)) {
            Some(b) => KeyCheck::Ok(b),
            None => KeyCheck::NoPlan(entry.id.clone()),
        }
    }
}

pub struct Access {
    table: ArcSwap<AccessTable>,
    store: Store,
    pool: Arc<BucketPool>,
    /// Every live counter, for the flusher and the console. Control path only.
    counters: Mutex<HashMap<(String, String), Arc<UsageCounter>>>,
    /// Counters replaced by a rebuild, flushed until no request holds them.
    retired: Mutex<Vec<Arc<UsageCounter>>>,
    rebuild: tokio::sync::Mutex<()>,
}

/// `/pets/GET`, `//GET` (root) — the form per-method plan throttles are matched in.
pub fn method_key(resource_path: &str, verb: &str) -> String {
    format!("{resource_path}/{verb}")
}

/// Normalises a plan's per-method throttle key: `/GET` and `//GET` both mean the root.
fn normalise_method_key(k: &str) -> String {
    match k.rsplit_once('/') {
        Some((path, verb)) => method_key(if path.is_empty() { "/" } else { path }, &verb.to_ascii_uppercase()),
        None => k.to_string(),
    }
}

pub fn quota_rule(q: &apigw_app::model::QuotaSettings) -> Option<QuotaRule> {
    Some(QuotaRule { limit: q.limit, period: Period::parse(&q.period)?, offset: q.offset })
}

impl Access {
    /// Builds the table from the database.
    pub async fn load(store: Store, pool: Arc<BucketPool>) -> Result<Arc<Self>, StoreError> {
        let access = Arc::new(Self {
            table: ArcSwap::from_pointee(AccessTable::default()),
            store,
            pool,
            counters: Mutex::default(),
            retired: Mutex::default(),
            rebuild: tokio::sync::Mutex::new(()),
        });
        access.reload().await?;
        Ok(access)
    }

    /// The key table as it is now (lock-free); hold it while using what
    /// its `check` borrows.
    pub fn table(&self) -> arc_swap::Guard<Arc<AccessTable>> {
        self.table.load()
    }

    /// Requests a key made under a plan in the current period, counting
    /// those not yet written to the database.
    pub fn live_used(&self, plan_id: &str, key_id: &str) -> Option<i64> {
        let counters = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        counters.get(&(plan_id.to_string(), key_id.to_string())).map(|c| c.used_now(now_secs()))
    }

    /// Grants `n` more requests to a key in a plan for the current period
    /// (the database holds the grant; this is the live counter's share).
    pub fn grant(&self, plan_id: &str, key_id: &str, n: i64) {
        let counters = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = counters.get(&(plan_id.to_string(), key_id.to_string())) {
            c.grant(n, now_secs());
        }
    }

    /// Rebuilds the table from the database and swaps it in. Buckets and
    /// counters whose limits did not change carry over.
    pub async fn reload(&self) -> Result<(), StoreError> {
        let _guard = self.rebuild.lock().await;
        let rows = self.store.access_rows().await?;
        let now = now_secs();
        let old: HashMap<(String, String), Arc<UsageCounter>> = self.counters.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let mut counters = HashMap::new();
        let mut keys: FastMap<[u8; 32], KeyEntry> = FastMap::default();
        let key_ids: HashMap<&str, usize> = rows.keys.iter().enumerate().map(|(i, (id, _, _))| (id.as_str(), i)).collect();
        for (id, hash, enabled) in &rows.keys {
            let Ok(hash) = <[u8; 32]>::try_from(hash.as_slice()) else {
                tracing::error!(key = %id, "stored API key hash is not 32 bytes; key ignored");
                continue;
            };
            keys.insert(hash, KeyEntry { id: Arc::from(id.as_str()), enabled: *enabled, stages: FastMap::default() });
        }
        let hash_of: HashMap<String, [u8; 32]> = keys.iter().map(|(h, e)| (e.id.to_string(), *h)).collect();
        for plan in &rows.plans {
            let rule = plan.quota.as_ref().and_then(quota_rule);
            let plan_keys = rows.plan_keys.iter().filter(|(p, _)| p == &plan.id).map(|(_, k)| k.as_str());
            // Counters for this plan start from the database when new.
            // Less what UpdateUsage granted for this period.
            let totals: HashMap<String, i64> = match rule {
                Some(r) => {
                    let start = r.period_at(now).0;
                    let mut t: HashMap<String, i64> =
                        self.store.usage_totals_since(&plan.id, &day_string(start)).await?.into_iter().collect();
                    for (key, period, amount) in self.store.usage_grants(&plan.id).await? {
                        if period == start {
                            *t.entry(key).or_insert(0) -= amount;
                        }
                    }
                    t
                }
                None => HashMap::new(),
            };
            for key_id in plan_keys {
                if !key_ids.contains_key(key_id) {
                    continue;
                }
                let id = (plan.id.clone(), key_id.to_string());
                let counter = match old.get(&id) {
                    Some(c) if c.rule == rule => c.clone(),
                    _ => {
                        let used = totals.get(key_id).copied().unwrap_or(0);
                        let start = rule.map(|r| r.period_at(now).0).unwrap_or(0);
                        Arc::new(UsageCounter::new(&plan.id, key_id, rule, used, start))
                    }
                };
                counters.insert(id, counter.clone());
                let throttle = plan.throttle.map(|t| self.pool.bucket(format!("plan/{}/{key_id}", plan.id), t.rate_limit, t.burst_limit));
                let Some(entry) = hash_of.get(key_id).and_then(|h| keys.get_mut(h)) else { continue };
                for st in &plan.api_stages {
                    let method_throttles = st
                        .throttle
                        .iter()
                        .flatten()
                        .map(|(k, t)| {
                            let k = normalise_method_key(k);
                            let name = format!("plan/{}/{key_id}/{}/{}{k}", plan.id, st.api_id, st.stage);
                            (k, self.pool.bucket(name, t.rate_limit, t.burst_limit))
                        })
                        .collect();
                    let binding = Binding {
                        plan_id: plan.id.clone(),
                        key_id: entry.id.clone(),
                        throttle: throttle.clone(),
                        method_throttles,
                        counter: counter.clone(),
                    };
                    entry.stages.entry(st.api_id.clone()).or_default().insert(st.stage.clone(), Arc::new(binding));
                }
            }
        }
        // Counters dropped or replaced: keep flushing them until no request holds them.
        {
            let mut retired = self.retired.lock().unwrap_or_else(|p| p.into_inner());
            for (id, c) in old {
                if !counters.get(&id).is_some_and(|n| Arc::ptr_eq(n, &c)) {
                    retired.push(c);
                }
            }
        }
        *self.counters.lock().unwrap_or_else(|p| p.into_inner()) = counters;
        self.table.store(Arc::new(AccessTable { keys }));
        tracing::debug!("API key table rebuilt");
        Ok(())
    }

    /// Writes counted requests to `usage_days` (today, UTC). On failure the
    /// counts are put back for the next try.
    pub async fn flush(&self) -> Result<(), StoreError> {
        let mut live: Vec<Arc<UsageCounter>> = self.counters.lock().unwrap_or_else(|p| p.into_inner()).values().cloned().collect();
        {
            let mut retired = self.retired.lock().unwrap_or_else(|p| p.into_inner());
            live.extend(retired.iter().cloned());
            // Gone for good once only this list (and `live`) hold them and nothing is pending.
            retired.retain(|c| Arc::strong_count(c) > 2 || c.pending.load(Ordering::Acquire) != 0);
        }
        let day = day_string(now_secs());
        let mut batch = Vec::new();
        let mut taken = Vec::new();
        for c in &live {
            let n = c.pending.swap(0, Ordering::AcqRel);
            if n != 0 {
                batch.push((c.plan_id.clone(), c.key_id.clone(), day.clone(), n));
                taken.push((c.clone(), n));
            }
        }
        if batch.is_empty() {
            return Ok(());
        }
        if let Err(e) = self.store.add_usage(&batch).await {
            for (c, n) in taken {
                c.pending.fetch_add(n, Ordering::AcqRel);
            }
            return Err(e);
        }
        Ok(())
    }

    /// Flushes about once a second until `stop` fires, then once more.
    pub async fn run_flusher(self: Arc<Self>, mut stop: tokio::sync::watch::Receiver<bool>) {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = stop.wait_for(|s| *s) => break,
            }
            if let Err(e) = self.flush().await {
                tracing::warn!(error = %e, "usage counts not written yet; will retry");
            }
        }
        if let Err(e) = self.flush().await {
            tracing::error!(error = %e, "final usage flush failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quota_counts_and_refuses() {
        let rule = QuotaRule { limit: 2, period: Period::Day, offset: 0 };
        let now = 20_778 * 86_400 + 100;
        let c = UsageCounter::new("p", "k", Some(rule), 0, rule.period_at(now).0);
        assert_eq!(c.admit(now).unwrap().unwrap().remaining, 1);
        assert_eq!(c.admit(now).unwrap().unwrap().remaining, 0);
        let e = c.admit(now).unwrap_err();
        assert_eq!(e.retry_after_secs, 86_400 - 100);
        assert_eq!(c.pending.load(Ordering::Relaxed), 2, "refused requests are not counted");
        // Next day: a fresh period.
        assert_eq!(c.admit(now + 86_400).unwrap().unwrap().remaining, 1);
    }

    #[test]
    fn method_keys() {
        assert_eq!(normalise_method_key("/pets/get"), "/pets/GET");
        assert_eq!(normalise_method_key("/GET"), "//GET");
        assert_eq!(normalise_method_key("//GET"), "//GET");
        assert_eq!(method_key("/", "GET"), "//GET");
    }
}
