//! Console users and their sessions.

use super::{is_unique_violation, now_secs, Store, StoreError};

/// A console user as stored, with the password hash.
#[derive(Clone)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
}

impl std::fmt::Debug for UserRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRow").field("id", &self.id).field("username", &self.username).field("password_hash", &"<redacted>").finish()
    }
}

impl Store {
    /// How many console users exist.
    #[tracing::instrument(skip_all)]
    pub async fn user_count(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(self.pool()).await?)
    }

    /// Adds a user. With `only_if_first`, the insert happens only when no user
    /// exists yet, in the same statement, so two racing setup requests cannot
    /// both succeed.
    #[tracing::instrument(skip_all, fields(username))]
    pub async fn insert_user(&self, username: &str, password_hash: &str, only_if_first: bool) -> Result<i64, StoreError> {
        let sql = if only_if_first {
            "INSERT INTO users (username, password_hash, created_at)
             SELECT ?1, ?2, ?3 WHERE NOT EXISTS (SELECT 1 FROM users) RETURNING id"
        } else {
            "INSERT INTO users (username, password_hash, created_at) VALUES (?1, ?2, ?3) RETURNING id"
        };
        let id: Option<i64> =
            sqlx::query_scalar(sql).bind(username).bind(password_hash).bind(now_secs()).fetch_optional(self.pool()).await.map_err(|e| {
                if is_unique_violation(&e) {
                    StoreError::Conflict(format!("A user named '{username}' already exists."))
                } else {
                    e.into()
                }
            })?;
        id.ok_or_else(|| StoreError::Conflict("An administrator already exists.".into()))
    }

    /// Finds a user by name (case-insensitive).
    #[tracing::instrument(skip_all)]
    pub async fn user_by_name(&self, username: &str) -> Result<Option<UserRow>, StoreError> {
        let row: Option<(i64, String, String)> = sqlx::query_as("SELECT id, username, password_hash FROM users WHERE username = ?1")
            .bind(username)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|(id, username, password_hash)| UserRow { id, username, password_hash }))
    }

    /// Records a new session by the hash of its token.
    #[tracing::instrument(skip_all)]
    pub async fn insert_session(&self, token_hash: &str, user_id: i64, expires_at: i64) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)")
            .bind(token_hash)
            .bind(user_id)
            .bind(now_secs())
            .bind(expires_at)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// The user behind a live session, if the session exists and has not expired.
    #[tracing::instrument(skip_all)]
    pub async fn session_user(&self, token_hash: &str) -> Result<Option<(i64, String)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT u.id, u.username FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.token_hash = ?1 AND s.expires_at > ?2",
        )
        .bind(token_hash)
        .bind(now_secs())
        .fetch_optional(self.pool())
        .await?)
    }

    /// Ends one session.
    #[tracing::instrument(skip_all)]
    pub async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = ?1").bind(token_hash).execute(self.pool()).await?;
        Ok(())
    }

    /// Forgets sessions that have expired.
    #[tracing::instrument(skip_all)]
    pub async fn purge_expired_sessions(&self) -> Result<u64, StoreError> {
        Ok(sqlx::query("DELETE FROM sessions WHERE expires_at <= ?1").bind(now_secs()).execute(self.pool()).await?.rows_affected())
    }
}
