//! Console users and their sessions.

use apigw_app::identity::Role;
use apigw_app::identity::UserInfo;

use super::{is_unique_violation, now_secs, Store, StoreError};

/// A console user as stored, with the password hash.
#[derive(Clone)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
    pub role: Role,
    pub disabled: bool,
}

/// One live session, as its owner sees it.
#[derive(Debug, Clone)]
pub struct SessionRow {
    pub token_hash: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub source: String,
}

/// The columns a [`UserRow`] is read from; each lookup adds its WHERE.
macro_rules! user_select {
    () => {
        "SELECT id, username, password_hash, role, disabled FROM users"
    };
}

/// id, username, password_hash, role, disabled.
type UserTuple = (i64, String, String, String, bool);

fn user_row((id, username, password_hash, r, disabled): UserTuple) -> UserRow {
    UserRow { id, username, password_hash, role: role(&r), disabled }
}

/// A stored role name as the type; the table's CHECK keeps it one of three.
fn role(s: &str) -> Role {
    Role::parse(s).unwrap_or(Role::Viewer)
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
    pub async fn insert_user(&self, username: &str, password_hash: &str, role: Role, only_if_first: bool) -> Result<i64, StoreError> {
        let sql = if only_if_first {
            "INSERT INTO users (username, password_hash, created_at, role)
             SELECT ?1, ?2, ?3, ?4 WHERE NOT EXISTS (SELECT 1 FROM users) RETURNING id"
        } else {
            "INSERT INTO users (username, password_hash, created_at, role) VALUES (?1, ?2, ?3, ?4) RETURNING id"
        };
        let id: Option<i64> = sqlx::query_scalar(sql)
            .bind(username)
            .bind(password_hash)
            .bind(now_secs())
            .bind(role.as_str())
            .fetch_optional(self.pool())
            .await
            .map_err(|e| {
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
        let row: Option<UserTuple> =
            sqlx::query_as(concat!(user_select!(), " WHERE username = ?1")).bind(username).fetch_optional(self.pool()).await?;
        Ok(row.map(user_row))
    }

    /// Finds a user by id.
    #[tracing::instrument(skip_all)]
    pub async fn user_by_id(&self, id: i64) -> Result<Option<UserRow>, StoreError> {
        let row: Option<UserTuple> = sqlx::query_as(concat!(user_select!(), " WHERE id = ?1")).bind(id).fetch_optional(self.pool()).await?;
        Ok(row.map(user_row))
    }

    /// Every user, by name, with how many live sessions and access keys each has.
    #[tracing::instrument(skip_all)]
    pub async fn list_users(&self) -> Result<Vec<UserInfo>, StoreError> {
        let rows: Vec<(i64, String, String, bool, i64, i64, i64)> = sqlx::query_as(
            "SELECT u.id, u.username, u.role, u.disabled, u.created_at,
                    (SELECT COUNT(*) FROM sessions s WHERE s.user_id = u.id AND s.expires_at > ?1),
                    (SELECT COUNT(*) FROM access_keys k WHERE k.user_id = u.id)
             FROM users u ORDER BY u.username COLLATE NOCASE",
        )
        .bind(now_secs())
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, username, r, disabled, created_at, sessions, access_keys)| UserInfo {
                id,
                username,
                role: role(&r),
                disabled,
                created_at,
                sessions,
                access_keys,
            })
            .collect())
    }

    /// Changes a user's role and whether they are disabled, keeping at least
    /// one enabled admin (checked in the same statement, so two admins
    /// demoting each other at once cannot both succeed). A disabled user's
    /// sessions end.
    #[tracing::instrument(skip_all)]
    pub async fn update_user(&self, id: i64, new_role: Role, disabled: bool) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        let n = sqlx::query(
            "UPDATE users SET role = ?2, disabled = ?3 WHERE id = ?1
             AND (?2 = 'admin' AND ?3 = 0
                  OR (SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled = 0 AND id <> ?1) > 0)",
        )
        .bind(id)
        .bind(new_role.as_str())
        .bind(disabled)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE id = ?1").bind(id).fetch_optional(&mut *tx).await?;
            return Err(match exists {
                None => StoreError::NotFound,
                Some(_) => StoreError::Conflict("At least one enabled admin must remain: make another user an admin first.".into()),
            });
        }
        if disabled {
            sqlx::query("DELETE FROM sessions WHERE user_id = ?1").bind(id).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Removes a user with their sessions and access keys, keeping at least one enabled admin.
    #[tracing::instrument(skip_all)]
    pub async fn delete_user(&self, id: i64) -> Result<(), StoreError> {
        let n = sqlx::query(
            "DELETE FROM users WHERE id = ?1
             AND (role <> 'admin' OR disabled = 1
                  OR (SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled = 0 AND id <> ?1) > 0)",
        )
        .bind(id)
        .execute(self.pool())
        .await?
        .rows_affected();
        if n == 0 {
            return Err(match self.user_by_id(id).await? {
                None => StoreError::NotFound,
                Some(_) => StoreError::Conflict("At least one enabled admin must remain: make another user an admin first.".into()),
            });
        }
        Ok(())
    }

    /// Sets a new password hash and ends every session of the user but `keep` (a token hash).
    #[tracing::instrument(skip_all)]
    pub async fn set_password(&self, id: i64, password_hash: &str, keep: Option<&str>) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        let n = sqlx::query("UPDATE users SET password_hash = ?2 WHERE id = ?1")
            .bind(id)
            .bind(password_hash)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        sqlx::query("DELETE FROM sessions WHERE user_id = ?1 AND token_hash <> COALESCE(?2, '')")
            .bind(id)
            .bind(keep)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A user's live sessions, newest first.
    #[tracing::instrument(skip_all)]
    pub async fn sessions_of(&self, user_id: i64) -> Result<Vec<SessionRow>, StoreError> {
        let rows: Vec<(String, i64, i64, String)> = sqlx::query_as(
            "SELECT token_hash, created_at, expires_at, source FROM sessions
             WHERE user_id = ?1 AND expires_at > ?2 ORDER BY created_at DESC",
        )
        .bind(user_id)
        .bind(now_secs())
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(token_hash, created_at, expires_at, source)| SessionRow { token_hash, created_at, expires_at, source })
            .collect())
    }

    /// Ends every session of a user except `keep` (a token hash); returns how many ended.
    #[tracing::instrument(skip_all)]
    pub async fn end_sessions(&self, user_id: i64, keep: Option<&str>) -> Result<u64, StoreError> {
        Ok(sqlx::query("DELETE FROM sessions WHERE user_id = ?1 AND token_hash <> COALESCE(?2, '')")
            .bind(user_id)
            .bind(keep)
            .execute(self.pool())
            .await?
            .rows_affected())
    }

    /// Records a new session by the hash of its token.
    #[tracing::instrument(skip_all)]
    pub async fn insert_session(&self, token_hash: &str, user_id: i64, expires_at: i64, source: &str) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at, source) VALUES (?1, ?2, ?3, ?4, ?5)")
            .bind(token_hash)
            .bind(user_id)
            .bind(now_secs())
            .bind(expires_at)
            .bind(source)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// The user behind a live session (id, name, role), if the session
    /// exists, has not expired and its user is not disabled. Read on every
    /// request, so a role change or a disable takes effect at once.
    #[tracing::instrument(skip_all)]
    pub async fn session_user(&self, token_hash: &str) -> Result<Option<(i64, String, Role)>, StoreError> {
        let row: Option<(i64, String, String)> = sqlx::query_as(
            "SELECT u.id, u.username, u.role FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.token_hash = ?1 AND s.expires_at > ?2 AND u.disabled = 0",
        )
        .bind(token_hash)
        .bind(now_secs())
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|(id, name, r)| (id, name, role(&r))))
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
