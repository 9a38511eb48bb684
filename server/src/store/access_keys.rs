//! Access keys for the control API: an id, and a secret sealed with the server key.

use super::{is_unique_violation, now_secs, touched, Store, StoreError};

/// An access key as listed (never with its secret).
#[derive(Debug, Clone)]
pub struct AccessKeyRow {
    pub access_key_id: String,
    pub username: String,
    pub description: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// An access key's sealed secret and the user it acts as.
pub struct AccessKeyOwner {
    pub secret_sealed: String,
    pub user_id: i64,
    pub username: String,
    pub role: apigw_app::identity::Role,
    pub disabled: bool,
}

impl Store {
    /// How many access keys exist: their secrets need the server key file.
    #[tracing::instrument(skip_all)]
    pub async fn access_key_count(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM access_keys").fetch_one(self.pool()).await?)
    }

    /// Deletes every access key (`apigw admin forget-access-keys`): the way
    /// out when the key file that sealed their secrets is lost for good.
    #[tracing::instrument(skip_all)]
    pub async fn delete_all_access_keys(&self) -> Result<u64, StoreError> {
        Ok(sqlx::query("DELETE FROM access_keys").execute(self.pool()).await?.rows_affected())
    }

    #[tracing::instrument(skip_all)]
    pub async fn insert_access_key(&self, id: &str, user_id: i64, secret_sealed: &str, description: &str) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO access_keys (access_key_id, user_id, secret_sealed, description, created_at) VALUES (?1, ?2, ?3, ?4, ?5)")
            .bind(id)
            .bind(user_id)
            .bind(secret_sealed)
            .bind(description)
            .bind(now_secs())
            .execute(self.pool())
            .await
            .map_err(|e| if is_unique_violation(&e) { StoreError::Conflict("access key id clash; try again".into()) } else { e.into() })?;
        Ok(())
    }

    /// The sealed secret of an access key and its owner (id, name, role, disabled).
    #[tracing::instrument(skip_all)]
    pub async fn access_key_secret(&self, id: &str) -> Result<Option<AccessKeyOwner>, StoreError> {
        let row: Option<(String, i64, String, String, bool)> = sqlx::query_as(
            "SELECT k.secret_sealed, u.id, u.username, u.role, u.disabled
             FROM access_keys k JOIN users u ON u.id = k.user_id WHERE k.access_key_id = ?1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|(secret_sealed, user_id, username, role, disabled)| AccessKeyOwner {
            secret_sealed,
            user_id,
            username,
            role: apigw_app::identity::Role::parse(&role).unwrap_or_default(),
            disabled,
        }))
    }

    /// Notes that a key was used (at most about once a minute per key, by the caller).
    pub async fn touch_access_key(&self, id: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE access_keys SET last_used_at = ?2 WHERE access_key_id = ?1")
            .bind(id)
            .bind(now_secs())
            .execute(self.pool())
            .await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    pub async fn list_access_keys(&self) -> Result<Vec<AccessKeyRow>, StoreError> {
        let rows: Vec<(String, String, String, i64, Option<i64>)> = sqlx::query_as(
            "SELECT k.access_key_id, u.username, k.description, k.created_at, k.last_used_at
             FROM access_keys k JOIN users u ON u.id = k.user_id ORDER BY k.created_at, k.access_key_id",
        )
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(access_key_id, username, description, created_at, last_used_at)| AccessKeyRow {
                access_key_id,
                username,
                description,
                created_at,
                last_used_at,
            })
            .collect())
    }

    #[tracing::instrument(skip_all)]
    pub async fn delete_access_key(&self, id: &str) -> Result<(), StoreError> {
        let n = sqlx::query("DELETE FROM access_keys WHERE access_key_id = ?1").bind(id).execute(self.pool()).await?;
        touched(n)
    }
}
