//! Tags of the taggable resources (REST APIs, stages, API keys, usage
//! plans), keyed by the resource path of the resource's ARN
//! (`/restapis/{id}/stages/{name}`). Deleting a resource deletes its tags
//! (triggers in the migration).

use std::collections::BTreeMap;

use sqlx::{Sqlite, Transaction};

use super::{Store, StoreError};

/// Most tags one resource may carry (AWS's limit).
pub const MAX_TAGS: usize = 50;

/// Adds or overwrites tags inside a transaction that also creates the resource.
pub(super) async fn insert_tags(
    tx: &mut Transaction<'_, Sqlite>,
    resource: &str,
    tags: &BTreeMap<String, String>,
) -> Result<(), StoreError> {
    for (k, v) in tags {
        sqlx::query("INSERT OR REPLACE INTO tags (resource, key, value) VALUES (?1, ?2, ?3)")
            .bind(resource)
            .bind(k)
            .bind(v)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

impl Store {
    /// A resource's tags.
    pub async fn tags(&self, resource: &str) -> Result<BTreeMap<String, String>, StoreError> {
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT key, value FROM tags WHERE resource = ?1 ORDER BY key").bind(resource).fetch_all(self.pool()).await?;
        Ok(rows.into_iter().collect())
    }

    /// The tags of every resource whose path starts with `prefix` (e.g.
    /// `/apikeys/`), by resource: one query for a whole listing.
    pub async fn tags_under(&self, prefix: &str) -> Result<std::collections::HashMap<String, BTreeMap<String, String>>, StoreError> {
        let rows: Vec<(String, String, String)> =
            sqlx::query_as("SELECT resource, key, value FROM tags WHERE substr(resource, 1, length(?1)) = ?1 ORDER BY resource, key")
                .bind(prefix)
                .fetch_all(self.pool())
                .await?;
        let mut out: std::collections::HashMap<String, BTreeMap<String, String>> = std::collections::HashMap::new();
        for (r, k, v) in rows {
            out.entry(r).or_default().insert(k, v);
        }
        Ok(out)
    }

    /// Adds or overwrites tags; more than [`MAX_TAGS`] in all is a conflict
    /// naming the count, and changes nothing.
    #[tracing::instrument(skip_all)]
    pub async fn tag(&self, resource: &str, tags: &BTreeMap<String, String>) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        insert_tags(&mut tx, resource, tags).await?;
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tags WHERE resource = ?1").bind(resource).fetch_one(&mut *tx).await?;
        if n as usize > MAX_TAGS {
            return Err(StoreError::Conflict(format!("A resource may have at most {MAX_TAGS} tags; this would give it {n}.")));
        }
        tx.commit().await?;
        Ok(())
    }

    /// Removes tags by key; keys it does not have are ignored, as in AWS.
    #[tracing::instrument(skip_all)]
    pub async fn untag(&self, resource: &str, keys: &[String]) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        for k in keys {
            sqlx::query("DELETE FROM tags WHERE resource = ?1 AND key = ?2").bind(resource).bind(k).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
