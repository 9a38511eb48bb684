//! ImportApiKeys' write: many keys and their plan bindings in one
//! transaction, so an import lands whole or not at all.

use super::{now_secs, Store, StoreError};

/// One key of an import: a new one, or (`existing`) one whose value was imported before.
#[derive(Debug, Clone)]
pub struct ImportKey {
    pub id: String,
    pub existing: bool,
    pub name: String,
    pub description: String,
    pub enabled: bool,
    pub hash: [u8; 32],
    pub plans: Vec<String>,
}

impl Store {
    /// The id of the key whose value hashes to `hash`, if there is one.
    pub async fn api_key_by_hash(&self, hash: &[u8]) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar("SELECT id FROM api_keys WHERE key_hash = ?1").bind(hash).fetch_optional(self.pool()).await?)
    }

    /// Writes the keys and binds them to their plans, all or nothing.
    #[tracing::instrument(skip_all, fields(keys = keys.len()))]
    pub async fn import_api_keys(&self, keys: &[ImportKey]) -> Result<(), StoreError> {
        let now = now_secs();
        let mut tx = self.pool().begin().await?;
        for k in keys {
            if k.existing {
                sqlx::query("UPDATE api_keys SET name = ?2, description = ?3, enabled = ?4, updated_at = ?5 WHERE id = ?1")
                    .bind(&k.id)
                    .bind(&k.name)
                    .bind(&k.description)
                    .bind(k.enabled)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            } else {
                sqlx::query(
                    "INSERT INTO api_keys (id, name, description, customer_id, enabled, key_hash, created_at, updated_at)
                     VALUES (?1, ?2, ?3, NULL, ?4, ?5, ?6, ?6)",
                )
                .bind(&k.id)
                .bind(&k.name)
                .bind(&k.description)
                .bind(k.enabled)
                .bind(k.hash.as_slice())
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            for p in &k.plans {
                sqlx::query("INSERT OR IGNORE INTO usage_plan_keys (plan_id, key_id, created_at) VALUES (?1, ?2, ?3)")
                    .bind(p)
                    .bind(&k.id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }
}
