//! The metrics writer: takes records off the channel and commits them in
//! batches — access-log rows and the rollups they touch — in one
//! transaction per batch. Rollups of the periods being written are kept in
//! memory (loaded from the database the first time a period is touched, so a
//! restart carries on where it stopped). A failed write keeps the batch and
//! tries again; the in-memory rollups change only once a write committed.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sqlx::{Sqlite, Transaction};
use tokio::sync::{mpsc, watch};

use super::bulk::LogRefs;
use super::hist::Histogram;
use super::prom::Prom;
use super::reason::ReasonCounts;
use super::{MetricKey, Record};
use crate::store::{Store, StoreError};
use crate::FastMap;

/// Most records per commit. Each commit prepares its INSERT statements
/// anew (~0.4 ms for the 32-row one, ~0.2 ms for the remainder's): at
/// 2,000 records a commit that was ~0.3 µs per record, as much as a fifth
/// of the writer's time; under load a commit now takes what 100 ms brings.
pub const BATCH: usize = 10_000;
/// Longest a record waits before its batch is committed.
pub const BATCH_WAIT: Duration = Duration::from_millis(100);
/// Rollup periods, in seconds, and how long each is kept.
pub const PERIODS: [(i64, i64); 3] = [(60, 2 * 86_400), (300, 8 * 86_400), (3_600, 400 * 86_400)];
/// Records kept for a retry while the database refuses writes; beyond this they are dropped and counted.
const MAX_BACKLOG: usize = 200_000;
/// Keys whose access-log ids the writer remembers; past this it starts
/// over (each deployment brings new keys, so the map would only grow).
const MAX_LOG_REFS: usize = 4_096;

/// One rollup row.
#[derive(Debug, Clone, Default)]
pub struct Rollup {
    pub count: u64,
    pub error4xx: u64,
    pub error5xx: u64,
    pub latency_sum_us: u64,
    pub integration_count: u64,
    pub integration_sum_us: u64,
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub latency: Histogram,
    pub integration: Histogram,
    /// Answers by why the gateway gave them (see [`super::reason`]).
    pub reasons: ReasonCounts,
}

impl Rollup {
    pub fn add(&mut self, r: &Record) {
        self.count += 1;
        match r.status {
            400..=499 => self.error4xx += 1,
            500..=599 => self.error5xx += 1,
            _ => {}
        }
        self.latency_sum_us += r.latency_us;
        self.latency.add(r.latency_us);
        if let Some(i) = r.integration_us {
            self.integration_count += 1;
            self.integration_sum_us += i;
            self.integration.add(i);
        }
        self.bytes_in += r.bytes_in;
        self.bytes_out += r.bytes_out;
        if let Some(reason) = r.reason {
            self.reasons[reason.index()] += 1;
        }
    }

    pub fn merge(&mut self, o: &Rollup) {
        self.count += o.count;
        self.error4xx += o.error4xx;
        self.error5xx += o.error5xx;
        self.latency_sum_us += o.latency_sum_us;
        self.integration_count += o.integration_count;
        self.integration_sum_us += o.integration_sum_us;
        self.bytes_in += o.bytes_in;
        self.bytes_out += o.bytes_out;
        self.latency.merge(&o.latency);
        self.integration.merge(&o.integration);
        self.reasons.iter_mut().zip(o.reasons).for_each(|(a, b)| *a += b);
    }
}

/// A rollup row's identity: period, start, and what it counts.
pub type RollupId = (i64, i64, Arc<MetricKey>);

/// Counters the writer keeps about itself.
#[derive(Debug, Default)]
pub struct WriterStats {
    pub written: AtomicU64,
    pub failed_batches: AtomicU64,
}

pub struct Writer {
    store: Store,
    rx: mpsc::Receiver<Vec<Record>>,
    recorder: Arc<super::Recorder>,
    prom: Arc<Prom>,
    pub stats: Arc<WriterStats>,
    retention_secs: i64,
    rollups: HashMap<RollupId, Rollup>,
    /// Each key's `(stage_ref, route_ref)` in the access log, by the key's
    /// address; the entry holds the key, so the address is not reused.
    log_refs: FastMap<usize, (Arc<MetricKey>, LogRefs)>,
    backlog: Vec<Record>,
}

impl Writer {
    pub fn new(
        store: Store,
        rx: mpsc::Receiver<Vec<Record>>,
        recorder: Arc<super::Recorder>,
        prom: Arc<Prom>,
        retention_days: u32,
    ) -> Self {
        Self {
            store,
            rx,
            recorder,
            prom,
            stats: Arc::default(),
            retention_secs: i64::from(retention_days) * 86_400,
            rollups: HashMap::new(),
            log_refs: FastMap::default(),
            backlog: Vec::new(),
        }
    }

    /// Writes batches until `stop` fires, then writes whatever is left.
    ///
    /// The writer wakes every `BATCH_WAIT` and takes what has arrived, in
    /// batches of at most `BATCH`, rather than waiting on the channel: a
    /// waiting receiver would be woken by the gateway once per record, a
    /// cross-thread wake-up per request.
    pub async fn run(mut self, mut stop: watch::Receiver<bool>) {
        let mut buf: Vec<Record> = Vec::with_capacity(BATCH);
        let mut last_purge = 0i64;
        loop {
            let mut stopping = tokio::select! {
                _ = tokio::time::sleep(BATCH_WAIT) => false,
                _ = stop.wait_for(|s| *s) => true,
            };
            loop {
                while buf.len() < BATCH {
                    match self.rx.try_recv() {
                        Ok(mut batch) => buf.append(&mut batch),
                        Err(mpsc::error::TryRecvError::Empty) => break,
                        Err(mpsc::error::TryRecvError::Disconnected) => {
                            stopping = true;
                            break;
                        }
                    }
                }
                let more = buf.len() >= BATCH;
                self.write(&mut buf).await;
                if !more {
                    break;
                }
            }
            let now = crate::store::now_secs();
            if now - last_purge >= 600 {
                last_purge = now;
                if let Err(e) = self.purge(now).await {
                    tracing::warn!(error = %e, "old metrics not purged yet");
                }
            }
            if stopping {
                if !self.backlog.is_empty() {
                    tracing::error!(records = self.backlog.len(), "metrics could not be written before stopping");
                }
                break;
            }
        }
    }

    /// Commits `buf` (and any backlog from failed writes); empties `buf`.
    pub async fn write(&mut self, buf: &mut Vec<Record>) {
        self.prom.observe(buf);
        if self.backlog.is_empty() {
            std::mem::swap(&mut self.backlog, buf);
        } else {
            self.backlog.append(buf);
        }
        if self.backlog.is_empty() {
            return;
        }
        match self.commit().await {
            Ok(()) => {
                self.stats.written.fetch_add(self.backlog.len() as u64, Ordering::Relaxed);
                self.backlog.clear();
            }
            Err(e) => {
                self.stats.failed_batches.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(error = %e, records = self.backlog.len(), "metrics not written; will retry");
                if self.backlog.len() > MAX_BACKLOG {
                    let excess = self.backlog.len() - MAX_BACKLOG;
                    self.backlog.drain(..excess);
                    self.recorder.dropped.fetch_add(excess as u64, Ordering::Relaxed);
                }
            }
        }
    }

    async fn commit(&mut self) -> Result<(), StoreError> {
        // IMMEDIATE: the write lock is taken before the reads below, so a
        // writer elsewhere makes this wait (busy timeout) instead of failing
        // the batch with "database is locked" when a deferred read
        // transaction cannot be upgraded (seen in CI under load).
        let mut tx = self.store.pool().begin_with("BEGIN IMMEDIATE").await?;
        // The rollups this batch touches, as they will be after it: the
        // batch's per-minute sums merged into their 1 m, 5 m and 1 h rows.
        let minutes = minute_sums(&self.backlog);
        let mut next: HashMap<RollupId, Rollup> = HashMap::new();
        for ((minute, _), (key, sum)) in minutes {
            for (period, _) in PERIODS {
                let id = (period, minute - minute.rem_euclid(period), key.clone());
                if !next.contains_key(&id) {
                    let current = match self.rollups.get(&id) {
                        Some(c) => c.clone(),
                        None => load_rollup(&mut tx, &id).await?,
                    };
                    next.insert(id.clone(), current);
                }
                if let Some(roll) = next.get_mut(&id) {
                    roll.merge(&sum);
                }
            }
        }
        let mut new_refs = FastMap::default();
        let refs = self.row_refs(&mut tx, &mut new_refs).await?;
        // Access-log rows and rollups, straight through SQLite's C API on
        // the transaction's connection (see `bulk`). That blocks this thread
        // for a few milliseconds per thousand rows, so tokio is told first.
        let mut handle = tx.lock_handle().await?;
        let rows = &self.backlog;
        let mut write = || super::bulk::insert_rows(&mut handle, rows, &refs).and_then(|()| super::bulk::save_rollups(&mut handle, &next));
        let written = match tokio::runtime::Handle::current().runtime_flavor() {
            tokio::runtime::RuntimeFlavor::MultiThread => tokio::task::block_in_place(write),
            _ => write(),
        };
        written.map_err(StoreError::Sqlite)?;
        drop(handle);
        tx.commit().await?;
        // Only now is memory updated; periods long past are let go.
        let now = crate::store::now_secs();
        self.rollups.extend(next);
        self.rollups.retain(|(period, start, _), _| start + 2 * period > now);
        if self.log_refs.len() + new_refs.len() > MAX_LOG_REFS {
            self.log_refs.clear();
        }
        self.log_refs.extend(new_refs);
        Ok(())
    }

    /// Each backlog record's `(stage_ref, route_ref)`. Keys met for the
    /// first time are looked up (and added if missing) inside `tx`, and go
    /// to `new`, kept only once the transaction commits.
    async fn row_refs(
        &self,
        tx: &mut Transaction<'_, Sqlite>,
        new: &mut FastMap<usize, (Arc<MetricKey>, LogRefs)>,
    ) -> Result<Vec<LogRefs>, StoreError> {
        let mut refs = Vec::with_capacity(self.backlog.len());
        let mut last: Option<(usize, LogRefs)> = None;
        for r in &self.backlog {
            let at = Arc::as_ptr(&r.key) as usize;
            let ids = match last {
                Some((k, ids)) if k == at => ids,
                _ => {
                    let ids = match self.log_refs.get(&at).or_else(|| new.get(&at)) {
                        Some((_, ids)) => *ids,
                        None => {
                            let ids = log_ids(tx, &r.key).await?;
                            new.insert(at, (r.key.clone(), ids));
                            ids
                        }
                    };
                    last = Some((at, ids));
                    ids
                }
            };
            refs.push(ids);
        }
        Ok(refs)
    }

    /// Deletes access-log rows past the retention and rollups past theirs.
    async fn purge(&self, now: i64) -> Result<(), StoreError> {
        let cutoff_us = (now - self.retention_secs) * 1_000_000;
        // Rows are in time order by id: find the first one to keep, delete before it.
        let first: Option<i64> = sqlx::query_scalar("SELECT id FROM request_log WHERE at_us >= ?1 ORDER BY id LIMIT 1")
            .bind(cutoff_us)
            .fetch_optional(self.store.pool())
            .await?;
        let done = match first {
            Some(id) => sqlx::query("DELETE FROM request_log WHERE id < ?1").bind(id).execute(self.store.pool()).await?,
            None => sqlx::query("DELETE FROM request_log WHERE at_us < ?1").bind(cutoff_us).execute(self.store.pool()).await?,
        };
        for (period, keep) in PERIODS {
            sqlx::query("DELETE FROM metric_rollups WHERE period = ?1 AND start < ?2")
                .bind(period)
                .bind(now - keep)
                .execute(self.store.pool())
                .await?;
        }
        if done.rows_affected() > 0 {
            tracing::info!(rows = done.rows_affected(), "access log rows past retention deleted");
        }
        Ok(())
    }
}

/// The batch summed per minute and key. Keyed by the key's address, which
/// is cheap to hash; two copies of one key (a redeploy) meet again later,
/// in the rollup map, which compares keys by value.
fn minute_sums(records: &[Record]) -> FastMap<(i64, usize), (Arc<MetricKey>, Rollup)> {
    let mut minutes: FastMap<(i64, usize), (Arc<MetricKey>, Rollup)> = FastMap::default();
    for r in records {
        let at = r.at_us.div_euclid(1_000_000);
        let slot = (at - at.rem_euclid(60), Arc::as_ptr(&r.key) as usize);
        minutes.entry(slot).or_insert_with(|| (r.key.clone(), Rollup::default())).1.add(r);
    }
    minutes
}

type RollupRow = (i64, i64, i64, i64, i64, i64, i64, i64, Vec<u8>, Vec<u8>, Option<String>);

/// Reads a stored rollup into its in-memory form.
pub fn rollup_from_row(row: RollupRow) -> Rollup {
    let (count, e4, e5, lsum, icount, isum, bin, bout, lh, ih, reasons) = row;
    Rollup {
        count: count as u64,
        error4xx: e4 as u64,
        error5xx: e5 as u64,
        latency_sum_us: lsum as u64,
        integration_count: icount as u64,
        integration_sum_us: isum as u64,
        bytes_in: bin as u64,
        bytes_out: bout as u64,
        latency: Histogram::decode(&lh),
        integration: Histogram::decode(&ih),
        reasons: super::reason::decode(reasons.as_deref()),
    }
}

pub const ROLLUP_COLUMNS: &str =
    "count, error4xx, error5xx, latency_sum_us, integration_count, integration_sum_us, bytes_in, bytes_out, latency_hist, integration_hist, reasons";

/// A key's ids in `log_stages` and `log_routes`, adding what is missing.
async fn log_ids(tx: &mut Transaction<'_, Sqlite>, key: &MetricKey) -> Result<LogRefs, StoreError> {
    async fn id(tx: &mut Transaction<'_, Sqlite>, table: &str, columns: [&str; 2], values: [&str; 2]) -> Result<i64, StoreError> {
        let [a, b] = columns;
        let found: Option<i64> = sqlx::query_scalar(&format!("SELECT id FROM {table} WHERE {a} = ?1 AND {b} = ?2"))
            .bind(values[0])
            .bind(values[1])
            .fetch_optional(&mut **tx)
            .await?;
        match found {
            Some(id) => Ok(id),
            None => Ok(sqlx::query_scalar(&format!("INSERT INTO {table} ({a}, {b}) VALUES (?1, ?2) RETURNING id"))
                .bind(values[0])
                .bind(values[1])
                .fetch_one(&mut **tx)
                .await?),
        }
    }
    let stage = id(tx, "log_stages", ["api_id", "stage"], [&key.api, &key.stage]).await?;
    let route = id(tx, "log_routes", ["resource", "method"], [&key.resource, &key.method]).await?;
    Ok((stage, route))
}

async fn load_rollup(tx: &mut Transaction<'_, Sqlite>, (period, start, key): &RollupId) -> Result<Rollup, StoreError> {
    let row: Option<RollupRow> = sqlx::query_as(&format!(
        "SELECT {ROLLUP_COLUMNS} FROM metric_rollups WHERE api_id = ?1 AND stage = ?2 AND period = ?3 AND start = ?4 AND resource = ?5 AND method = ?6"
    ))
    .bind(key.api.as_str())
    .bind(key.stage.as_str())
    .bind(period)
    .bind(start)
    .bind(key.resource.as_str())
    .bind(key.method.as_str())
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(rollup_from_row).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{Recorder, RequestId};

    fn record(key: &Arc<MetricKey>, at_us: i64, status: u16, latency_us: u64) -> Record {
        Record {
            key: key.clone(),
            at_us,
            status,
            latency_us,
            integration_us: Some(latency_us / 2),
            key_id: None,
            bytes_in: 10,
            bytes_out: 100,
            path: "/pets/1".into(),
            request_id: RequestId::from_text("00000000-0000-0000-0000-000000000000").unwrap(),
            reason: None,
            detail: None,
        }
    }

    async fn writer(dir: &tempfile::TempDir) -> (Writer, Store) {
        let store = Store::open(&dir.path().join("m.db")).await.unwrap();
        let (recorder, rx) = Recorder::new();
        (Writer::new(store.clone(), rx, recorder, Arc::default(), 7), store)
    }

    fn key() -> Arc<MetricKey> {
        Arc::new(MetricKey { api: "a".into(), stage: "s".into(), resource: "/pets/{id}".into(), method: "GET".into() })
    }

    #[tokio::test]
    async fn batches_add_up_across_writes_and_old_rows_are_purged() {
        let dir = tempfile::tempdir().unwrap();
        let (mut w, store) = writer(&dir).await;
        let k = key();
        let now = crate::store::now_secs();
        let old = (now - 10 * 86_400) * 1_000_000;
        let mut batch = vec![record(&k, old, 200, 1_000), record(&k, now * 1_000_000, 500, 2_000)];
        w.write(&mut batch).await;
        assert!(batch.is_empty());
        // A second batch in the same minute adds to the stored rollup.
        let mut batch = vec![record(&k, now * 1_000_000, 404, 3_000)];
        w.write(&mut batch).await;
        let minute: (i64, i64, i64) =
            sqlx::query_as("SELECT count, error4xx, error5xx FROM metric_rollups WHERE period = 60 AND start = ?1")
                .bind(now - now % 60)
                .fetch_one(store.pool())
                .await
                .unwrap();
        assert_eq!(minute, (2, 1, 1));
        w.purge(now).await.unwrap();
        let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM request_log").fetch_one(store.pool()).await.unwrap();
        assert_eq!(left, 2, "the 10-day-old row is past the 7-day retention");
        let old_minutes: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM metric_rollups WHERE period = 60 AND start < ?1")
            .bind(now - 86_400)
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(old_minutes, 0, "1-minute rollups are kept 2 days");
        let old_hours: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM metric_rollups WHERE period = 3600 AND start < ?1")
            .bind(now - 86_400)
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(old_hours, 1, "hourly rollups outlive the access log");
    }

    #[tokio::test]
    async fn access_log_rows_are_stored_exactly_as_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let (mut w, store) = writer(&dir).await;
        let odd =
            Arc::new(MetricKey { api: "a\"b".into(), stage: "s\\t".into(), resource: "/caf\u{e9}/{id+}".into(), method: "GET".into() });
        let mut plain = record(&key(), 1_700_000_000_000_000, 200, 1_234);
        plain.key_id = Some("k\u{1}1".into());
        let mut odd_row = record(&odd, 1_700_000_000_000_001, 502, 9);
        odd_row.integration_us = None;
        odd_row.path = "/q\"uote/back\\slash/tab\tnl\nnul\u{0}del\u{7f}/\u{1f600}".into();
        odd_row.bytes_in = u32::MAX as u64 + 7;
        // Rows go in 32 to a statement: enough more for four whole statements
        // and a part one, each row different, to show none is shifted or lost.
        let plain_key = plain.key.clone();
        let mut expected = vec![plain, odd_row];
        expected.extend((0..140u16).map(|i| {
            let mut r = record(if i % 3 == 0 { &odd } else { &plain_key }, 1_700_000_000_100_000 + i64::from(i), 200 + i, u64::from(i) * 7);
            r.path = format!("/p/{i}");
            r.request_id = RequestId::from_text(&format!("{i:036}")).unwrap();
            r.key_id = (i % 2 == 0).then(|| format!("key{i}").into());
            r.integration_us = (i % 5 != 0).then_some(u64::from(i));
            r
        }));
        let mut batch = expected.clone();
        w.write(&mut batch).await;
        type Head = (i64, String, String, String, String, String, i64);
        type Tail = (i64, Option<i64>, Option<String>, i64, i64, String);
        let heads: Vec<Head> = sqlx::query_as("SELECT at_us, api_id, stage, resource, method, path, status FROM access_log ORDER BY id")
            .fetch_all(store.pool())
            .await
            .unwrap();
        let tails: Vec<Tail> =
            sqlx::query_as("SELECT latency_us, integration_us, key_id, bytes_in, bytes_out, request_id FROM access_log ORDER BY id")
                .fetch_all(store.pool())
                .await
                .unwrap();
        assert_eq!((heads.len(), tails.len()), (expected.len(), expected.len()));
        for ((head, tail), r) in heads.iter().zip(&tails).zip(&expected) {
            let k = &r.key;
            let want: Head =
                (r.at_us, k.api.clone(), k.stage.clone(), k.resource.clone(), k.method.clone(), r.path.clone(), r.status.into());
            assert_eq!(head, &want);
            let want: Tail = (
                r.latency_us as i64,
                r.integration_us.map(|v| v as i64),
                r.key_id.as_deref().map(String::from),
                r.bytes_in as i64,
                r.bytes_out as i64,
                r.request_id.to_string(),
            );
            assert_eq!(tail, &want);
        }
        let types: Vec<String> = sqlx::query_scalar("SELECT typeof(at_us) || typeof(status) || typeof(path) FROM request_log")
            .fetch_all(store.pool())
            .await
            .unwrap();
        assert_eq!(types, vec!["integerintegertext"; expected.len()], "numbers are stored as integers, not text");
    }

    /// A write the database refuses changes nothing (no rows, no rollups,
    /// in memory or stored) and keeps the batch; the next write commits it
    /// with the new one, counted once.
    #[tokio::test]
    async fn refused_writes_keep_the_batch_and_change_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let (mut w, store) = writer(&dir).await;
        let k = key();
        let now = crate::store::now_secs() * 1_000_000;
        let counts = |store: Store| async move {
            let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM request_log").fetch_one(store.pool()).await.unwrap();
            let counted: Option<i64> =
                sqlx::query_scalar("SELECT SUM(count) FROM metric_rollups WHERE period = 60").fetch_one(store.pool()).await.unwrap();
            (rows, counted.unwrap_or(0))
        };
        // The access-log insert fails, then (rows in) the rollup upsert fails.
        for (table, refusal) in [("request_log", "log refused (test)"), ("metric_rollups", "rollup refused (test)")] {
            sqlx::query(&format!("CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table} BEGIN SELECT RAISE(ABORT, '{refusal}'); END"))
                .execute(store.pool())
                .await
                .unwrap();
            let mut batch = vec![record(&k, now, 200, 10), record(&k, now + 1, 500, 20)];
            w.write(&mut batch).await;
            let err = w.commit().await.unwrap_err().to_string();
            assert!(err.contains(refusal), "{err}");
            assert_eq!(counts(store.clone()).await, (0, 0), "{table}: nothing half-written");
            assert!(w.rollups.values().all(|r| r.count == 0), "{table}: memory unchanged");
            assert_eq!(w.backlog.len(), 2, "{table}: the batch is kept");
            sqlx::query(&format!("DROP TRIGGER refuse_{table}")).execute(store.pool()).await.unwrap();
            w.backlog.clear();
        }
        assert_eq!(w.stats.failed_batches.load(Ordering::Relaxed), 2);
        // Refused once, then accepted along with the next batch.
        sqlx::query("CREATE TRIGGER refuse_again BEFORE INSERT ON request_log BEGIN SELECT RAISE(ABORT, 'no'); END")
            .execute(store.pool())
            .await
            .unwrap();
        w.write(&mut vec![record(&k, now, 200, 10)]).await;
        sqlx::query("DROP TRIGGER refuse_again").execute(store.pool()).await.unwrap();
        w.write(&mut vec![record(&k, now + 1, 404, 10), record(&k, now + 2, 200, 10)]).await;
        assert!(w.backlog.is_empty());
        assert_eq!(counts(store.clone()).await, (3, 3));
        // The key was first met in a refused batch: the ids it got there were
        // rolled back with it and not kept, so every row names its stage and route.
        let named: Vec<(String, String, String, String)> =
            sqlx::query_as("SELECT api_id, stage, resource, method FROM access_log").fetch_all(store.pool()).await.unwrap();
        assert_eq!(named, vec![("a".into(), "s".into(), "/pets/{id}".into(), "GET".into()); 3]);
        assert_eq!(w.stats.written.load(Ordering::Relaxed), 3);
    }

    /// Keys name their stage and route once each in `log_stages` and
    /// `log_routes`, however many copies of a key there are (a redeploy
    /// makes new ones) and however many routes share a stage.
    #[tokio::test]
    async fn stages_and_routes_are_named_once() {
        let dir = tempfile::tempdir().unwrap();
        let (mut w, store) = writer(&dir).await;
        let k = |api: &str, stage: &str, resource: &str, method: &str| {
            Arc::new(MetricKey { api: api.into(), stage: stage.into(), resource: resource.into(), method: method.into() })
        };
        let now = crate::store::now_secs() * 1_000_000;
        let keys = [k("a", "s", "/x", "GET"), k("a", "s", "/x", "POST"), k("a", "t", "/x", "GET"), k("b", "s", "/y", "GET")];
        let mut batch: Vec<Record> = keys.iter().cycle().take(12).zip(0..).map(|(k, i)| record(k, now + i, 200, 1)).collect();
        w.write(&mut batch).await;
        // A redeploy: equal keys in new allocations, and one more route.
        let again = [k("a", "s", "/x", "GET"), k("b", "s", "/y", "GET"), k("b", "s", "/z", "GET")];
        let mut batch: Vec<Record> = again.iter().zip(100..).map(|(k, i)| record(k, now + i, 200, 1)).collect();
        w.write(&mut batch).await;
        let stages: Vec<(String, String)> =
            sqlx::query_as("SELECT api_id, stage FROM log_stages ORDER BY 1, 2").fetch_all(store.pool()).await.unwrap();
        let pairs = |v: &[(&str, &str)]| v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect::<Vec<_>>();
        assert_eq!(stages, pairs(&[("a", "s"), ("a", "t"), ("b", "s")]));
        let routes: Vec<(String, String)> =
            sqlx::query_as("SELECT resource, method FROM log_routes ORDER BY 1, 2").fetch_all(store.pool()).await.unwrap();
        assert_eq!(routes, pairs(&[("/x", "GET"), ("/x", "POST"), ("/y", "GET"), ("/z", "GET")]));
        let named: Vec<(String, String, String, String)> =
            sqlx::query_as("SELECT api_id, stage, resource, method FROM access_log ORDER BY id").fetch_all(store.pool()).await.unwrap();
        let want: Vec<(String, String, String, String)> = keys
            .iter()
            .cycle()
            .take(12)
            .chain(&again)
            .map(|k| (k.api.clone(), k.stage.clone(), k.resource.clone(), k.method.clone()))
            .collect();
        assert_eq!(named, want);
    }

    /// A database from before `log_stages`/`log_routes` keeps its access log:
    /// the migration moves every row over, names and all, and the log
    /// goes on from the next id.
    #[tokio::test]
    async fn old_access_logs_survive_the_move_to_numbered_names() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("old.db").display());
        let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
        let mut files: Vec<_> =
            std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../migrations")).unwrap().map(|e| e.unwrap().path()).collect();
        files.sort();
        let (before, after) = files.split_at(files.iter().position(|f| f.to_string_lossy().contains("access_log_refs")).unwrap());
        for f in before {
            sqlx::raw_sql(&std::fs::read_to_string(f).unwrap()).execute(&pool).await.unwrap();
        }
        sqlx::raw_sql(
            "INSERT INTO request_log (id, at_us, api_id, stage, resource, method, path, status, latency_us, integration_us, key_id, bytes_in, bytes_out, request_id) VALUES
             (7, 1, 'a', 's', '/x', 'GET', '/x', 200, 10, 5, 'k1', 1, 2, 'r1'),
             (8, 2, 'a', 't', '/x', 'GET', '/x?q', 404, 11, NULL, NULL, 3, 4, 'r2'),
             (9, 3, 'a', 's', '(no route)', 'PUT', '/nope', 403, 12, NULL, 'k2', 5, 6, 'r3')",
        )
        .execute(&pool)
        .await
        .unwrap();
        // Tuples of up to 12 compare and print: the columns in two halves.
        type Head = (i64, i64, String, String, String, String, String);
        type Tail = (i64, i64, i64, Option<i64>, Option<String>, i64, i64, String);
        let head = "SELECT id, at_us, api_id, stage, resource, method, path";
        let tail = "SELECT id, status, latency_us, integration_us, key_id, bytes_in, bytes_out, request_id";
        let read = |table: &'static str| {
            let pool = pool.clone();
            async move {
                let heads: Vec<Head> = sqlx::query_as(&format!("{head} FROM {table} ORDER BY id")).fetch_all(&pool).await.unwrap();
                let tails: Vec<Tail> = sqlx::query_as(&format!("{tail} FROM {table} ORDER BY id")).fetch_all(&pool).await.unwrap();
                (heads, tails)
            }
        };
        let old = read("request_log").await;
        assert_eq!(old.0.len(), 3);
        sqlx::raw_sql(&std::fs::read_to_string(&after[0]).unwrap()).execute(&pool).await.unwrap();
        assert_eq!(read("access_log").await, old);
        let stages: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM log_stages").fetch_one(&pool).await.unwrap();
        let routes: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM log_routes").fetch_one(&pool).await.unwrap();
        assert_eq!((stages, routes), (2, 2));
        let next: i64 = sqlx::query_scalar("INSERT INTO request_log (at_us, stage_ref, route_ref, path, status, latency_us, bytes_in, bytes_out, request_id) VALUES (4, 1, 1, '/', 200, 1, 0, 0, 'r4') RETURNING id")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(next, 10);
    }

    /// `cargo test --release -p apigw-server --lib writer_throughput -- --ignored --nocapture`
    #[tokio::test]
    #[ignore = "a measurement, not a check; run by bench/"]
    async fn writer_throughput() {
        let dir = tempfile::tempdir().unwrap();
        let (mut w, store) = writer(&dir).await;
        let keys: Vec<Arc<MetricKey>> = (0..50)
            .map(|i| Arc::new(MetricKey { api: "a".into(), stage: "s".into(), resource: format!("/r{i}"), method: "GET".into() }))
            .collect();
        let now = crate::store::now_secs() * 1_000_000;
        let total = 400_000usize;
        let started = std::time::Instant::now();
        let mut i = 0;
        while i < total {
            let mut batch: Vec<Record> =
                (i..i + BATCH).map(|j| record(&keys[j % keys.len()], now + j as i64, 200, 100 + (j % 5000) as u64)).collect();
            w.write(&mut batch).await;
            i += BATCH;
        }
        let secs = started.elapsed().as_secs_f64();
        let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM request_log").fetch_one(store.pool()).await.unwrap();
        assert_eq!(rows as usize, total);
        println!("writer: {total} records in {secs:.2} s = {:.0} records/s", total as f64 / secs);
    }
}
