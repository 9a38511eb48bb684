//! Console authentication: users' passwords, sign-in throttling and sessions.

pub mod password;
pub mod throttle;

use std::net::IpAddr;
use std::time::{Duration, Instant};

use apigw_app::error::AppError;
use apigw_app::identity::{Role, SessionUser, MIN_PASSWORD_LEN};
use apigw_app::service::NewSession;
use rand::RngCore;
use sha2::{Digest, Sha256};

use self::password::Passwords;
use self::throttle::Throttle;
use crate::store::{now_secs, Store, StoreError};

/// How long a console session lasts.
pub const SESSION_TTL: Duration = Duration::from_secs(12 * 60 * 60);

const MAX_PASSWORD_LEN: usize = 1024;

/// Checks a username against the rules, naming the rule it breaks.
pub fn validate_username(username: &str) -> Result<(), AppError> {
    if username.is_empty() || username.len() > 64 {
        return Err(AppError::invalid("username", "Username must be 1 to 64 characters long."));
    }
    if !username.chars().all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c)) {
        return Err(AppError::invalid("username", "Username may contain only letters, digits and the characters . _ - @"));
    }
    Ok(())
}

/// Checks a new password against the rules.
pub fn validate_password(password: &str) -> Result<(), AppError> {
    let len = password.chars().count();
    if len < MIN_PASSWORD_LEN {
        return Err(AppError::invalid("password", format!("Password must be at least {MIN_PASSWORD_LEN} characters long (it has {len}).")));
    }
    if password.len() > MAX_PASSWORD_LEN {
        return Err(AppError::invalid("password", "Password must be at most 1024 bytes long."));
    }
    Ok(())
}

/// A fresh random secret (256 bits) as lowercase hex.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// SHA-256 of a token as hex: how sessions are stored.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Everything about console sign-in, over the store.
pub struct Auth {
    store: Store,
    throttle: Throttle,
    passwords: Passwords,
}

impl Auth {
    pub fn new(store: Store) -> Self {
        Self { store, throttle: Throttle::default(), passwords: Passwords::per_core() }
    }

    /// Creates a user after checking the rules. `only_if_first` makes it the
    /// one-time setup path.
    pub async fn create_user(&self, username: &str, password: &str, role: Role, only_if_first: bool) -> Result<i64, AppError> {
        validate_username(username)?;
        validate_password(password)?;
        let hash = self.passwords.hash(password).await?;
        self.store.insert_user(username, &hash, role, only_if_first).await.map_err(|e| match e {
            StoreError::Conflict(m) if only_if_first => AppError::Forbidden(format!("{m} Setup can only be done once; sign in instead.")),
            StoreError::Conflict(m) => AppError::invalid("username", m),
            other => internal(other),
        })
    }

    /// Checks a password, throttled per source address and per username, and
    /// opens a session. The log names the user only when the name is one
    /// that exists: what was typed into the username field may be a password.
    pub async fn login(&self, username: &str, password: &str, source: Option<IpAddr>) -> Result<NewSession, AppError> {
        if username.len() > 256 || password.len() > MAX_PASSWORD_LEN {
            return Err(AppError::Forbidden("Wrong username or password.".into()));
        }
        if let Some(wait) = self.throttle.wait(username, source, Instant::now()) {
            return Err(AppError::Locked(wait.message(username)));
        }
        let user = self.store.user_by_name(username).await.map_err(internal)?;
        let stored = user.as_ref().map(|u| u.password_hash.clone());
        if !self.passwords.verify(password, stored).await? {
            self.throttle.record_failure(username, source, Instant::now());
            match &user {
                Some(u) => tracing::info!(user = %u.username, ?source, "console sign-in failed: wrong password"),
                None => tracing::info!(?source, "console sign-in failed: no user by that name"),
            }
            if let Some(wait) = self.throttle.wait(username, source, Instant::now()) {
                tracing::warn!(?source, "console sign-ins from this address now wait");
                return Err(AppError::Locked(wait.message(username)));
            }
            return Err(AppError::Forbidden("Wrong username or password.".into()));
        }
        self.throttle.record_success(username, source);
        let user = user.ok_or_else(|| AppError::Internal("user vanished during sign-in".into()))?;
        if user.disabled {
            // Told only to someone who knows the password.
            return Err(AppError::Forbidden("This account is disabled. Ask an admin to enable it.".into()));
        }
        tracing::info!(user = %user.username, ?source, "console sign-in");
        self.open_session(user.id, source).await
    }

    /// Issues a new session for a user.
    pub async fn open_session(&self, user_id: i64, source: Option<IpAddr>) -> Result<NewSession, AppError> {
        let token = random_token();
        let expires = now_secs() + SESSION_TTL.as_secs() as i64;
        let source = source.map(|ip| ip.to_string()).unwrap_or_default();
        self.store.insert_session(&token_hash(&token), user_id, expires, &source).await.map_err(internal)?;
        Ok(NewSession { token, max_age_secs: SESSION_TTL.as_secs() })
    }

    /// The user behind a session cookie value, if it is live.
    pub async fn session_user(&self, token: &str) -> Result<Option<SessionUser>, StoreError> {
        Ok(self.store.session_user(&token_hash(token)).await?.map(|(id, username, role)| SessionUser { id, username, role }))
    }

    /// Sets a user's password (checked against the rules) and ends their
    /// sessions, all but the one whose cookie value is `keep`.
    pub async fn set_password(&self, user_id: i64, password: &str, keep: Option<&str>) -> Result<(), AppError> {
        validate_password(password)?;
        let hash = self.passwords.hash(password).await?;
        let keep = keep.map(token_hash);
        self.store.set_password(user_id, &hash, keep.as_deref()).await.map_err(|e| match e {
            StoreError::NotFound => AppError::NotFound("No such user.".into()),
            other => internal(other),
        })
    }

    /// Checks a signed-in user's current password, for changing it. Counts
    /// as a sign-in attempt for throttling.
    pub async fn check_current_password(&self, user_id: i64, password: &str, source: Option<IpAddr>) -> Result<(), AppError> {
        let user = self.store.user_by_id(user_id).await.map_err(internal)?.ok_or(AppError::Unauthorized)?;
        if let Some(wait) = self.throttle.wait(&user.username, source, Instant::now()) {
            return Err(AppError::Locked(wait.message(&user.username)));
        }
        if !self.passwords.verify(password, Some(user.password_hash)).await? {
            self.throttle.record_failure(&user.username, source, Instant::now());
            return Err(AppError::invalid("current", "The current password is wrong."));
        }
        Ok(())
    }

    /// Ends a session.
    pub async fn logout(&self, token: &str) -> Result<(), AppError> {
        self.store.delete_session(&token_hash(token)).await.map_err(internal)
    }
}

/// Logs a server-side failure and returns a generic error for the browser.
pub fn internal(e: impl std::fmt::Display) -> AppError {
    tracing::error!(error = %e, "internal error");
    AppError::Internal("see the server log for details".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_name_the_field() {
        assert_eq!(validate_password("short").unwrap_err().field(), Some("password"));
        assert_eq!(validate_username("no spaces").unwrap_err().field(), Some("username"));
        assert!(validate_username("ops.admin@example").is_ok());
        assert!(validate_password("twelve chars").is_ok());
    }
}
