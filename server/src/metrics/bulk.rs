//! Metrics rows into SQLite through its C API, on the connection the
//! writer's transaction holds: statements prepared once per batch (one for
//! 32 rows, one for the rest), bound and stepped 32 rows at a time, strings
//! and blobs bound in place. Rows name their stage and route by number
//! (`log_stages`, `log_routes`); the writer looks the numbers up.
//!
//! Going through sqlx cost more than SQLite's own work: each of the 13
//! values of an access-log row was looked up by parameter name, copied so it
//! could travel to sqlx's SQLite thread and freed again, and every rollup
//! upsert was a round trip to that thread. Besides a few lines in the
//! gateway (writes into a buffer's spare room, ASCII taken as text), this is
//! the server's only `unsafe` code; it stays small and every call's result
//! is checked.

#![allow(unsafe_code)]

use std::collections::HashMap;
use std::ffi::{c_char, c_int, CStr};
use std::ptr;

use libsqlite3_sys as ffi;
use sqlx::sqlite::LockedSqliteHandle;

use super::writer::{Rollup, RollupId, ROLLUP_COLUMNS};
use super::Record;

/// The access-log columns, bound in this order for each row.
const ROW_COLUMNS: &str =
    "at_us, stage_ref, route_ref, path, status, latency_us, integration_us, key_id, bytes_in, bytes_out, request_id, reason, detail";
const PER_ROW: c_int = 13;
/// Rows per INSERT statement. One statement with many rows keeps its
/// cursors on the last pages of the table and of the index between rows,
/// where one row per statement opened them, sought down from the root and
/// released them again for every row (most of the writer's time).
const ROWS_PER_INSERT: usize = 32;

/// Statements between two offers of the core (`sched_yield`). A commit
/// under load is up to 10,000 rows, several milliseconds of work on a core
/// where a pinned gateway thread also runs; the writer has slept most of the
/// last 100 ms, so the scheduler lets it run its batch through while the
/// gateway thread's requests wait (apigw's p99 was twice nginx's). Yielding
/// every 64 rows (tens of µs) lets a waiting gateway thread in; when none is
/// waiting, the call returns at once.
const YIELD_EVERY: usize = 2;

/// `INSERT OR FAIL INTO request_log (...) VALUES (?1, ...), ...` for 1 to
/// `ROWS_PER_INSERT` rows, written once per process. OR FAIL: a failing
/// row leaves the statement's earlier rows in (the caller rolls the whole
/// transaction back), so SQLite keeps no statement journal to undo them
/// (the default, ABORT, copied each page a statement touched first:
/// ~280 instructions per row).
fn insert_sql(rows: usize) -> &'static str {
    static SQL: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let all = SQL.get_or_init(|| {
        (1..=ROWS_PER_INSERT)
            .map(|rows| {
                let values: Vec<String> = (0..rows)
                    .map(|r| {
                        let params: Vec<String> = (1..=PER_ROW as usize).map(|c| format!("?{}", r * PER_ROW as usize + c)).collect();
                        format!("({})", params.join(", "))
                    })
                    .collect();
                format!("INSERT OR FAIL INTO request_log ({ROW_COLUMNS}) VALUES {}", values.join(", "))
            })
            .collect()
    });
    &all[rows - 1]
}

/// Inserts access-log rows, in order, inside whatever transaction is open on
/// the connection; `refs[i]` is row i's `(stage_ref, route_ref)`. On error
/// some rows may be in; the caller rolls back. The statements are finalized
/// before this returns, so nothing stays bound to `rows`.
pub fn insert_rows(handle: &mut LockedSqliteHandle<'_>, rows: &[Record], refs: &[LogRefs]) -> Result<(), String> {
    debug_assert_eq!(rows.len(), refs.len());
    let insert = |stmt: &Statement, rows: &[Record], refs: &[LogRefs]| {
        let ok = rows.iter().zip(refs).zip(0..).all(|((r, &refs), k)| bind_row(stmt, k * PER_ROW, r, refs));
        stmt.run(ok, "inserting access-log rows")
    };
    let full = rows.len() / ROWS_PER_INSERT * ROWS_PER_INSERT;
    if full > 0 {
        let stmt = Statement::prepare(handle, insert_sql(ROWS_PER_INSERT))?;
        rows[..full].chunks_exact(ROWS_PER_INSERT).zip(refs[..full].chunks_exact(ROWS_PER_INSERT)).enumerate().try_for_each(
            |(i, (rows, refs))| {
                if i % YIELD_EVERY == YIELD_EVERY - 1 {
                    std::thread::yield_now();
                }
                insert(&stmt, rows, refs)
            },
        )?;
    }
    if full < rows.len() {
        insert(&Statement::prepare(handle, insert_sql(rows.len() - full))?, &rows[full..], &refs[full..])?;
    }
    Ok(())
}

/// A row's `(stage_ref, route_ref)`: its ids in `log_stages` and `log_routes`.
pub type LogRefs = (i64, i64);

/// Binds one row's values to parameters `base + 1` to `base + 13`.
fn bind_row(stmt: &Statement, base: c_int, r: &Record, (stage_ref, route_ref): LogRefs) -> bool {
    stmt.int(base + 1, r.at_us)
        && stmt.int(base + 2, stage_ref)
        && stmt.int(base + 3, route_ref)
        && stmt.text(base + 4, &r.path)
        && stmt.int(base + 5, i64::from(r.status))
        && stmt.int(base + 6, r.latency_us as i64)
        && stmt.opt_int(base + 7, r.integration_us)
        && match &r.key_id {
            Some(k) => stmt.text(base + 8, k),
            None => stmt.null(base + 8),
        }
        && stmt.int(base + 9, r.bytes_in as i64)
        && stmt.int(base + 10, r.bytes_out as i64)
        && stmt.text(base + 11, r.request_id.as_str())
        && match r.reason {
            Some(reason) => stmt.text(base + 12, reason.code()),
            None => stmt.null(base + 12),
        }
        && match &r.detail {
            Some(d) => stmt.text(base + 13, d),
            None => stmt.null(base + 13),
        }
}

/// Writes rollup rows (replacing the stored ones), inside the open transaction.
pub fn save_rollups(handle: &mut LockedSqliteHandle<'_>, rollups: &HashMap<RollupId, Rollup>) -> Result<(), String> {
    // The rollup columns in the order `load_rollup` reads them, bound 7 to 17 below.
    let sql = format!(
        "INSERT OR REPLACE INTO metric_rollups (api_id, stage, period, start, resource, method, {ROLLUP_COLUMNS}) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)"
    );
    let stmt = Statement::prepare(handle, &sql)?;
    for ((period, start, key), r) in rollups {
        let (latency, integration) = (r.latency.encode(), r.integration.encode());
        let reasons = super::reason::encode(&r.reasons);
        let ok = stmt.text(1, &key.api)
            && stmt.text(2, &key.stage)
            && stmt.int(3, *period)
            && stmt.int(4, *start)
            && stmt.text(5, &key.resource)
            && stmt.text(6, &key.method)
            && [r.count, r.error4xx, r.error5xx, r.latency_sum_us, r.integration_count, r.integration_sum_us, r.bytes_in, r.bytes_out]
                .iter()
                .zip(7..)
                .all(|(&v, i)| stmt.int(i, v as i64))
            && stmt.blob(15, &latency)
            && stmt.blob(16, &integration)
            && match &reasons {
                Some(text) => stmt.text(17, text),
                None => stmt.null(17),
            };
        let saved = stmt.run(ok, "saving a metrics rollup");
        stmt.clear();
        saved?;
    }
    Ok(())
}

/// A prepared statement on a locked connection, finalized when dropped
/// (also on an early return). Strings and blobs are bound without a copy
/// (SQLITE_STATIC), so callers keep them alive until `run` returns, and
/// `clear` the bindings (or drop the statement) before freeing them.
struct Statement {
    db: *mut ffi::sqlite3,
    stmt: *mut ffi::sqlite3_stmt,
}

impl Statement {
    /// The borrow of `handle` keeps sqlx's own thread off the connection
    /// for as long as the caller holds the statement's results.
    fn prepare(handle: &mut LockedSqliteHandle<'_>, sql: &str) -> Result<Self, String> {
        let db = handle.as_raw_handle().as_ptr();
        let mut stmt = ptr::null_mut();
        // SAFETY: `db` is open and ours alone (the handle is locked); the SQL pointer and length are valid.
        let rc = unsafe { ffi::sqlite3_prepare_v2(db, sql.as_ptr().cast(), sql.len() as c_int, &mut stmt, ptr::null_mut()) };
        if rc != ffi::SQLITE_OK || stmt.is_null() {
            return Err(last_error(db, "preparing a metrics statement"));
        }
        Ok(Self { db, stmt })
    }

    fn int(&self, i: c_int, v: i64) -> bool {
        // SAFETY: the statement is live and `i` is one of its parameters.
        unsafe { ffi::sqlite3_bind_int64(self.stmt, i, v) == ffi::SQLITE_OK }
    }

    fn opt_int(&self, i: c_int, v: Option<u64>) -> bool {
        match v {
            Some(v) => self.int(i, v as i64),
            None => self.null(i),
        }
    }

    fn null(&self, i: c_int) -> bool {
        // SAFETY: as in `int`.
        unsafe { ffi::sqlite3_bind_null(self.stmt, i) == ffi::SQLITE_OK }
    }

    fn text(&self, i: c_int, s: &str) -> bool {
        // SAFETY: as in `int`; the pointer and length describe valid UTF-8 that outlives the step.
        unsafe {
            ffi::sqlite3_bind_text64(
                self.stmt,
                i,
                s.as_ptr() as *const c_char,
                s.len() as u64,
                ffi::SQLITE_STATIC(),
                ffi::SQLITE_UTF8 as u8,
            ) == ffi::SQLITE_OK
        }
    }

    fn blob(&self, i: c_int, b: &[u8]) -> bool {
        // SAFETY: as in `text`.
        unsafe { ffi::sqlite3_bind_blob64(self.stmt, i, b.as_ptr().cast(), b.len() as u64, ffi::SQLITE_STATIC()) == ffi::SQLITE_OK }
    }

    /// Steps the bound statement once (`bound`: every bind succeeded) and
    /// resets it for the next rows. The bindings stay until they are bound
    /// again or the statement is finalized: SQLite reads them only in a step,
    /// and every step here follows a bind of every parameter. (Clearing them
    /// after each step was ~200 instructions per access-log row.)
    fn run(&self, bound: bool, doing: &str) -> Result<(), String> {
        // SAFETY: the statement is live and everything bound to it is still borrowed by the caller.
        let done = bound && unsafe { ffi::sqlite3_step(self.stmt) } == ffi::SQLITE_DONE;
        let result = if done { Ok(()) } else { Err(last_error(self.db, doing)) };
        // SAFETY: resetting a live statement is always allowed.
        unsafe { ffi::sqlite3_reset(self.stmt) };
        result
    }

    /// Unbinds every parameter, so no pointer to data about to be freed stays bound.
    fn clear(&self) {
        // SAFETY: clearing a live statement's bindings is always allowed.
        unsafe { ffi::sqlite3_clear_bindings(self.stmt) };
    }
}

impl Drop for Statement {
    fn drop(&mut self) {
        // SAFETY: the statement came from sqlite3_prepare_v2 and is finalized only here.
        unsafe { ffi::sqlite3_finalize(self.stmt) };
    }
}

/// SQLite's message for the last failure on `db`.
fn last_error(db: *mut ffi::sqlite3, doing: &str) -> String {
    // SAFETY: `db` is open; sqlite3_errmsg returns a NUL-terminated string it owns.
    let msg = unsafe { CStr::from_ptr(ffi::sqlite3_errmsg(db)) };
    format!("{doing}: {}", msg.to_string_lossy())
}
