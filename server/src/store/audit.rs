//! The audit log: who changed what, when and from where.

use apigw_app::identity::{AuditEntry, AuditFilter, AuditPage};

use super::{Store, StoreError};

/// One change to record.
#[derive(Debug, Clone)]
pub struct NewAuditEntry<'a> {
    pub user_id: Option<i64>,
    pub username: &'a str,
    pub source: &'a str,
    pub via: &'a str,
    pub action: &'a str,
    pub target: &'a str,
    pub status: u16,
}

/// id, at, username, source, via, action, target, status.
type AuditRow = (i64, i64, String, String, String, String, String, i64);

/// Unix milliseconds now.
fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

impl Store {
    /// Appends an entry.
    #[tracing::instrument(skip_all)]
    pub async fn insert_audit(&self, e: &NewAuditEntry<'_>) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO audit_log (at, user_id, username, source, via, action, target, status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )
        .bind(now_ms())
        .bind(e.user_id)
        .bind(e.username)
        .bind(e.source)
        .bind(e.via)
        .bind(e.action)
        .bind(e.target)
        .bind(e.status as i64)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// A page of entries, newest first, narrowed by the filter.
    #[tracing::instrument(skip_all)]
    pub async fn list_audit(&self, f: &AuditFilter) -> Result<AuditPage, StoreError> {
        let limit = f.limit.unwrap_or(100).clamp(1, 500);
        let like = |s: &Option<String>| s.as_deref().filter(|s| !s.is_empty()).map(|s| format!("%{}%", s.replace(['%', '_'], "")));
        let rows: Vec<AuditRow> = sqlx::query_as(
            "SELECT id, at, username, source, via, action, target, status FROM audit_log
             WHERE (?1 IS NULL OR username = ?1 COLLATE NOCASE)
               AND (?2 IS NULL OR action LIKE ?2 OR target LIKE ?2)
               AND (?3 IS NULL OR via = ?3)
               AND (?4 IS NULL OR id < ?4)
             ORDER BY id DESC LIMIT ?5",
        )
        .bind(f.user.as_deref().filter(|s| !s.is_empty()))
        .bind(like(&f.action))
        .bind(f.via.as_deref().filter(|s| !s.is_empty()))
        .bind(f.before)
        .bind(limit + 1)
        .fetch_all(self.pool())
        .await?;
        let mut entries: Vec<AuditEntry> = rows
            .into_iter()
            .map(|(id, at, username, source, via, action, target, status)| AuditEntry {
                id,
                at,
                username,
                source,
                via,
                action,
                target,
                status,
            })
            .collect();
        let next = if entries.len() as i64 > limit {
            entries.truncate(limit as usize);
            entries.last().map(|e| e.id)
        } else {
            None
        };
        Ok(AuditPage { entries, next })
    }
}
