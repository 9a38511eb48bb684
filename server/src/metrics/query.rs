//! Reading metrics back: a stage's totals, series and per-method table over
//! a range (from the coarsest rollup period that still gives a useful
//! series), the all-stages overview, and the access log with filters.

use std::collections::BTreeMap;

use apigw_app::error::AppError;
use apigw_app::model::{LogEntry, LogFilter, LogPage, MethodMetrics, MetricPoint, MetricValues, ReasonCount, StageMetrics, HTTP_METHODS};

use super::reason::Reason;

use super::writer::{rollup_from_row, Rollup};
use crate::store::{Store, StoreError};

/// A range's length and the rollup period its series uses, both in seconds.
pub fn range_spec(range: &str) -> Result<(i64, i64), AppError> {
    Ok(match range {
        "15m" => (15 * 60, 60),
        "1h" => (3_600, 60),
        "6h" => (6 * 3_600, 60),
        "24h" => (86_400, 300),
        "7d" => (7 * 86_400, 3_600),
        other => return Err(AppError::invalid("range", format!("range must be one of 15m, 1h, 6h, 24h, 7d; '{other}' is not."))),
    })
}

/// Totals and percentiles of a merged rollup.
pub fn values(r: &Rollup) -> MetricValues {
    let ms = |h: &super::hist::Histogram, q: f64| h.quantile(q).map(|us| (us / 1000.0 * 1000.0).round() / 1000.0);
    MetricValues {
        count: r.count,
        error4xx: r.error4xx,
        error5xx: r.error5xx,
        latency_p50_ms: ms(&r.latency, 0.5),
        latency_p90_ms: ms(&r.latency, 0.9),
        latency_p99_ms: ms(&r.latency, 0.99),
        integration_latency_p50_ms: ms(&r.integration, 0.5),
        integration_latency_p99_ms: ms(&r.integration, 0.99),
    }
}

/// A rollup's reason counts, most first.
pub fn reason_counts(r: &Rollup) -> Vec<ReasonCount> {
    let mut out: Vec<ReasonCount> = Reason::ALL
        .iter()
        .zip(r.reasons)
        .filter(|(_, n)| *n > 0)
        .map(|(reason, count)| ReasonCount { reason: reason.code().to_string(), count })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then(a.reason.cmp(&b.reason)));
    out
}

/// Rollup columns summed by SQLite. A stored histogram is a list of
/// (bucket, count) pairs and decoding adds the counts of repeated buckets,
/// so the concatenation of several stored histograms decodes to their merge:
/// SQLite can group thousands of rollup rows into a few, and only those few
/// cross over to Rust (per-row hand-over is the slow part of a query).
const SUMMED: &str = "SUM(count), SUM(error4xx), SUM(error5xx), SUM(latency_sum_us), SUM(integration_count), \
     SUM(integration_sum_us), SUM(bytes_in), SUM(bytes_out), \
     CAST(group_concat(latency_hist, '') AS BLOB), CAST(group_concat(integration_hist, '') AS BLOB), group_concat(reasons, '')";

type Summed = (i64, i64, i64, i64, i64, i64, i64, i64, Vec<u8>, Vec<u8>, Option<String>);

/// A summed rollup row with its period start, and with its resource and method.
type StartRow = (i64, i64, i64, i64, i64, i64, i64, i64, i64, Vec<u8>, Vec<u8>, Option<String>);
type MethodRow = (String, String, i64, i64, i64, i64, i64, i64, i64, i64, Vec<u8>, Vec<u8>, Option<String>);

/// One stage's rollups of `period` from `first` (a period start) on, summed
/// per period start; with `only`, one method's.
async fn per_start(
    store: &Store,
    api: &str,
    stage: &str,
    period: i64,
    first: i64,
    only: Option<(&str, &str)>,
) -> Result<Vec<(i64, Rollup)>, StoreError> {
    let filter = if only.is_some() { " AND resource = ?5 AND method = ?6" } else { "" };
    let rows: Vec<StartRow> = sqlx::query_as(&format!(
        "SELECT start, {SUMMED} FROM metric_rollups
         WHERE api_id = ?1 AND stage = ?2 AND period = ?3 AND start >= ?4{filter} GROUP BY start"
    ))
    .bind(api)
    .bind(stage)
    .bind(period)
    .bind(first)
    .bind(only.map(|o| o.0))
    .bind(only.map(|o| o.1))
    .fetch_all(store.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(start, c, e4, e5, ls, ic, is, bi, bo, lh, ih, rs)| (start, rollup_from_row((c, e4, e5, ls, ic, is, bi, bo, lh, ih, rs))))
        .collect())
}

/// One stage's rollups of `period` from `first` on, summed per method.
async fn per_method(store: &Store, api: &str, stage: &str, period: i64, first: i64) -> Result<Vec<(String, String, Rollup)>, StoreError> {
    let rows: Vec<MethodRow> = sqlx::query_as(&format!(
        "SELECT resource, method, {SUMMED} FROM metric_rollups
         WHERE api_id = ?1 AND stage = ?2 AND period = ?3 AND start >= ?4 GROUP BY resource, method"
    ))
    .bind(api)
    .bind(stage)
    .bind(period)
    .bind(first)
    .fetch_all(store.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(resource, method, c, e4, e5, ls, ic, is, bi, bo, lh, ih, rs)| {
            let summed: Summed = (c, e4, e5, ls, ic, is, bi, bo, lh, ih, rs);
            (resource, method, rollup_from_row(summed))
        })
        .collect())
}

/// A stage's metrics over `range` ending `now`; with `only`, one method's.
pub async fn stage_metrics(
    store: &Store,
    api: &str,
    stage: &str,
    range: &str,
    only: Option<(&str, &str)>,
    now: i64,
) -> Result<StageMetrics, AppError> {
    let (secs, period) = range_spec(range)?;
    let last = now - now.rem_euclid(period);
    let first = last - (secs / period - 1) * period;
    let (points, by_method) =
        tokio::try_join!(per_start(store, api, stage, period, first, only), per_method(store, api, stage, period, first),)
            .map_err(crate::auth::internal)?;
    let mut total = Rollup::default();
    let by_start: BTreeMap<i64, Rollup> = points.into_iter().inspect(|(_, r)| total.merge(r)).collect();
    let series = (0..secs / period)
        .map(|i| {
            let t = first + i * period;
            MetricPoint { t, values: by_start.get(&t).map(values).unwrap_or_default() }
        })
        .collect();
    let mut methods: Vec<MethodMetrics> = by_method
        .into_iter()
        .map(|(resource, method, r)| MethodMetrics { resource, method, values: values(&r), reasons: reason_counts(&r) })
        .collect();
    methods.sort_by(|a, b| b.values.count.cmp(&a.values.count).then(a.resource.cmp(&b.resource)).then(a.method.cmp(&b.method)));
    Ok(StageMetrics {
        api_id: api.to_string(),
        stage: stage.to_string(),
        range: range.to_string(),
        period_seconds: period,
        from: first,
        to: now,
        totals: values(&total),
        reasons: reason_counts(&total),
        series,
        methods,
    })
}

/// One stage over `range` ending `now`, for the all-stages page: requests
/// per series period (oldest first) and the range's totals, every figure of
/// the row from the same window.
pub async fn stage_range(store: &Store, api: &str, stage: &str, range: &str, now: i64) -> Result<(Vec<u64>, MetricValues), AppError> {
    let (secs, period) = range_spec(range)?;
    let last = now - now.rem_euclid(period);
    let first = last - (secs / period - 1) * period;
    let rows = per_start(store, api, stage, period, first, None).await.map_err(crate::auth::internal)?;
    let mut counts = vec![0u64; (secs / period) as usize];
    let mut total = Rollup::default();
    for (start, r) in rows {
        if let Some(slot) = counts.get_mut(((start - first) / period) as usize) {
            *slot += r.count;
        }
        total.merge(&r);
    }
    Ok((counts, values(&total)))
}

type LogRow = (i64, i64, String, String, String, i64, i64, Option<i64>, Option<String>, i64, i64, String, Option<String>, Option<String>);

/// Most entries one log page holds.
pub const LOG_PAGE: i64 = 50;

/// One page of a stage's access log, newest first.
pub async fn logs(store: &Store, api: &str, stage: &str, f: &LogFilter) -> Result<LogPage, AppError> {
    let status = match f.status_class.as_str() {
        "" => None,
        c @ ("1xx" | "2xx" | "3xx" | "4xx" | "5xx") => {
            let base = i64::from(c.as_bytes()[0] - b'0') * 100;
            Some((base, base + 100))
        }
        other => return Err(AppError::invalid("statusClass", format!("statusClass must be 2xx, 3xx, 4xx or 5xx; '{other}' is not."))),
    };
    let method = f.method.trim().to_ascii_uppercase();
    if !method.is_empty() && !HTTP_METHODS.contains(&method.as_str()) {
        return Err(AppError::invalid("method", format!("method must be one of {}; '{}' is not.", HTTP_METHODS.join(", "), f.method)));
    }
    let reason = f.reason.trim().to_ascii_uppercase();
    if !reason.is_empty() && reason != "ANY" && Reason::from_code(&reason).is_none() {
        let codes: Vec<&str> = Reason::ALL.iter().map(|r| r.code()).collect();
        return Err(AppError::invalid("reason", format!("reason must be any or one of {}; '{}' is not.", codes.join(", "), f.reason)));
    }
    if f.path_contains.len() > 1024 {
        return Err(AppError::invalid("pathContains", "pathContains must be at most 1024 characters."));
    }
    let mut sql = String::from(
        "SELECT id, at_us, resource, method, path, status, latency_us, integration_us, key_id, bytes_in, bytes_out, request_id, reason, detail
         FROM access_log WHERE api_id = ?1 AND stage = ?2 AND id < ?3 AND status >= ?4 AND status < ?5",
    );
    if !method.is_empty() {
        sql.push_str(" AND method = ?6");
    }
    if !f.path_contains.is_empty() {
        sql.push_str(" AND instr(path, ?7) > 0");
    }
    if !f.key_id.is_empty() {
        sql.push_str(" AND key_id = ?8");
    }
    match reason.as_str() {
        "" => {}
        "ANY" => sql.push_str(" AND reason IS NOT NULL"),
        _ => sql.push_str(" AND reason = ?10"),
    }
    sql.push_str(" ORDER BY id DESC LIMIT ?9");
    let (lo, hi) = status.unwrap_or((0, 1000));
    let rows: Vec<LogRow> = sqlx::query_as(&sql)
        .bind(api)
        .bind(stage)
        .bind(f.before.unwrap_or(i64::MAX))
        .bind(lo)
        .bind(hi)
        .bind(&method)
        .bind(&f.path_contains)
        .bind(&f.key_id)
        .bind(LOG_PAGE + 1)
        .bind(&reason)
        .fetch_all(store.pool())
        .await
        .map_err(|e| crate::auth::internal(StoreError::from(e)))?;
    let more = rows.len() as i64 > LOG_PAGE;
    let entries: Vec<LogEntry> = rows
        .into_iter()
        .take(LOG_PAGE as usize)
        .map(|(id, at_us, resource, method, path, status, lat, int, key_id, bin, bout, request_id, reason, detail)| LogEntry {
            id,
            at_us,
            resource,
            method,
            path,
            status: status as u16,
            latency_ms: lat as f64 / 1000.0,
            integration_latency_ms: int.map(|v| v as f64 / 1000.0),
            key_id,
            bytes_in: bin as u64,
            bytes_out: bout as u64,
            request_id,
            reason,
            detail,
        })
        .collect();
    let next = if more { entries.last().map(|e| e.id) } else { None };
    Ok(LogPage { entries, next })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::metrics::writer::Writer;
    use crate::metrics::{MetricKey, Record, Recorder, RequestId};

    /// SQLite sums the rollups; the answer must be what merging them in
    /// Rust gives: counts, errors and every percentile, per method and minute.
    #[tokio::test]
    async fn sums_in_sqlite_match_merging_in_rust() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("m.db")).await.unwrap();
        let (recorder, rx) = Recorder::new();
        let mut w = Writer::new(store.clone(), rx, recorder, Arc::default(), 7);
        let key = |r: &str| Arc::new(MetricKey { api: "a".into(), stage: "s".into(), resource: r.into(), method: "GET".into() });
        let (k1, k2) = (key("/one"), key("/two"));
        let now = crate::store::now_secs();
        let start = now - now.rem_euclid(60) - 5 * 60;
        let (mut all, mut one, mut minute2) = (Rollup::default(), Rollup::default(), Rollup::default());
        let mut batch = Vec::new();
        for i in 0..3_000u64 {
            let k = if i % 3 == 0 { &k2 } else { &k1 };
            let minute = (i % 5) as i64;
            let r = Record {
                key: k.clone(),
                at_us: (start + minute * 60 + 7) * 1_000_000,
                status: [200, 200, 404, 503][(i % 4) as usize],
                // Spread over many buckets, including counts above 255 in one bucket.
                latency_us: 50 + (i * 7_919) % 400_000,
                integration_us: (i % 2 == 0).then_some(10 + (i * 104_729) % 90_000),
                key_id: None,
                bytes_in: i,
                bytes_out: 2 * i,
                path: "/".into(),
                request_id: RequestId::fresh(),
                reason: None,
                detail: None,
            };
            all.add(&r);
            if Arc::ptr_eq(k, &k1) {
                one.add(&r);
            }
            if minute == 2 {
                minute2.add(&r);
            }
            batch.push(r);
        }
        w.write(&mut batch).await;
        let m = stage_metrics(&store, "a", "s", "15m", None, now).await.unwrap();
        assert_eq!(m.totals, values(&all));
        let row = m.methods.iter().find(|r| r.resource == "/one").unwrap();
        assert_eq!(row.values, values(&one));
        let point = m.series.iter().find(|p| p.t == start + 120).unwrap();
        assert_eq!(point.values, values(&minute2));
        let only = stage_metrics(&store, "a", "s", "15m", Some(("/one", "GET")), now).await.unwrap();
        assert_eq!(only.totals, values(&one));
        assert_eq!(only.methods.len(), 2, "the table still lists every method");
        let (counts, total) = stage_range(&store, "a", "s", "15m", now).await.unwrap();
        assert_eq!(counts.len(), 15);
        assert_eq!(counts.iter().sum::<u64>(), 3_000);
        // The window's 15 slots end with the current minute; the data spans
        // the five minutes before it (slots 9-13), its third minute in slot 11.
        assert_eq!(counts[11], minute2.count, "the data's third minute sits in slot 11");
        assert_eq!(counts[..9].iter().chain(&counts[14..]).sum::<u64>(), 0, "no count outside the data's minutes");
        assert_eq!(total, values(&all));
        assert!(stage_range(&store, "a", "s", "2h", now).await.is_err(), "a range the dashboards do not offer is refused");
    }

    /// `cargo test --release -p apigw-server --lib dashboard_query -- --ignored --nocapture`:
    /// 7 days of per-minute traffic for 50 methods, then each dashboard range timed.
    #[tokio::test]
    #[ignore = "a measurement, not a check; run by bench/"]
    async fn dashboard_query_speed() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("q.db")).await.unwrap();
        let (recorder, rx) = Recorder::new();
        let mut w = Writer::new(store.clone(), rx, recorder, Arc::default(), 7);
        let keys: Vec<Arc<MetricKey>> = (0..50)
            .map(|i| Arc::new(MetricKey { api: "a".into(), stage: "s".into(), resource: format!("/r{i}"), method: "GET".into() }))
            .collect();
        let now = crate::store::now_secs();
        let start = now - 7 * 86_400;
        let mut batch = Vec::with_capacity(20_000);
        let mut written = 0usize;
        for minute in 0..7 * 1440 {
            for (i, k) in keys.iter().enumerate() {
                batch.push(Record {
                    key: k.clone(),
                    at_us: (start + minute * 60) * 1_000_000,
                    status: if (minute as usize + i).is_multiple_of(50) { 500 } else { 200 },
                    latency_us: 200 + ((minute as u64 * 7 + i as u64) % 5_000),
                    integration_us: Some(150),
                    key_id: None,
                    bytes_in: 0,
                    bytes_out: 1_000,
                    path: "/".into(),
                    request_id: RequestId::fresh(),
                    reason: None,
                    detail: None,
                });
            }
            if batch.len() >= 20_000 {
                written += batch.len();
                w.write(&mut batch).await;
            }
        }
        written += batch.len();
        w.write(&mut batch).await;
        let minutes: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM metric_rollups WHERE period = 60").fetch_one(store.pool()).await.unwrap();
        println!("dashboard: {written} records written; {minutes} one-minute rollup rows");
        for range in ["15m", "1h", "6h", "24h", "7d"] {
            let mut best = f64::MAX;
            for _ in 0..5 {
                let t = std::time::Instant::now();
                let m = stage_metrics(&store, "a", "s", range, None, now).await.unwrap();
                best = best.min(t.elapsed().as_secs_f64() * 1000.0);
                assert_eq!(m.methods.len(), 50);
            }
            println!("dashboard: range {range:>3}: {best:.1} ms");
        }
    }
}
