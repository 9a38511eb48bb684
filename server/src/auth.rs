//! Console authentication: password hashing, sign-in lockout and sessions.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use apigw_app::auth::{SessionUser, MIN_PASSWORD_LEN};
use apigw_app::error::AppError;
use apigw_app::service::NewSession;
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::store::{now_secs, Store, StoreError};

/// How long a console session lasts.
pub const SESSION_TTL: Duration = Duration::from_secs(12 * 60 * 60);
/// Failed sign-ins for one username, within `LOCKOUT_WINDOW`, that lock it.
pub const LOCKOUT_FAILURES: usize = 5;
/// The window failures are counted in, and how long the lock lasts.
pub const LOCKOUT_WINDOW: Duration = Duration::from_secs(60);

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

/// Hashes a password with argon2id on the blocking pool, so the async
/// runtime keeps serving while it works.
pub async fn hash_password(password: &str) -> Result<String, AppError> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| AppError::Internal(format!("password hashing failed: {e}")))
    })
    .await
    .map_err(|e| AppError::Internal(format!("password hashing task failed: {e}")))?
}

/// Verifies a password against a stored hash on the blocking pool. With no
/// stored hash (unknown user) it checks against a dummy hash anyway, so the
/// answer takes as long and does not reveal which usernames exist.
pub async fn verify_password(password: &str, stored: Option<String>) -> bool {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let known = stored.is_some();
        let hash = stored.unwrap_or_else(|| {
            DUMMY
                .get_or_init(|| {
                    let salt = SaltString::generate(&mut OsRng);
                    Argon2::default().hash_password(b"dummy password for timing", &salt).map(|h| h.to_string()).unwrap_or_default()
                })
                .clone()
        });
        let ok =
            PasswordHash::new(&hash).map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok()).unwrap_or(false);
        ok && known
    })
    .await
    .unwrap_or(false)
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

/// Counts failed sign-ins per username and locks a name that fails too often.
/// Kept in memory: a restart clears it, which costs an attacker a restart they
/// cannot cause.
#[derive(Default)]
pub struct LoginGuard {
    entries: Mutex<HashMap<String, Attempts>>,
}

#[derive(Default)]
struct Attempts {
    failures: VecDeque<Instant>,
    locked_until: Option<Instant>,
}

impl LoginGuard {
    /// If `username` is locked now, how long until it opens.
    pub fn locked_for(&self, username: &str, now: Instant) -> Option<Duration> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let until = entries.get(&username.to_lowercase())?.locked_until?;
        (until > now).then(|| until - now)
    }

    /// Records a failure; returns the lock duration if this failure locked the name.
    pub fn record_failure(&self, username: &str, now: Instant) -> Option<Duration> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() > 10_000 {
            entries.retain(|_, a| {
                a.locked_until.is_some_and(|u| u > now) || a.failures.back().is_some_and(|t| now.duration_since(*t) < LOCKOUT_WINDOW)
            });
        }
        let a = entries.entry(username.to_lowercase()).or_default();
        while a.failures.front().is_some_and(|t| now.duration_since(*t) >= LOCKOUT_WINDOW) {
            a.failures.pop_front();
        }
        a.failures.push_back(now);
        if a.failures.len() >= LOCKOUT_FAILURES {
            a.failures.clear();
            a.locked_until = Some(now + LOCKOUT_WINDOW);
            return Some(LOCKOUT_WINDOW);
        }
        None
    }

    /// A successful sign-in forgets earlier failures.
    pub fn record_success(&self, username: &str) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.remove(&username.to_lowercase());
    }
}

fn locked_message(username: &str, wait: Duration) -> AppError {
    AppError::Locked(format!(
        "Sign-in for '{username}' is locked after {LOCKOUT_FAILURES} failed attempts within a minute. \
         Try again in {} seconds.",
        wait.as_secs().max(1)
    ))
}

/// Everything about console sign-in, over the store.
pub struct Auth {
    store: Store,
    guard: LoginGuard,
}

impl Auth {
    pub fn new(store: Store) -> Self {
        Self { store, guard: LoginGuard::default() }
    }

    /// Creates a user after checking the rules. `only_if_first` makes it the
    /// one-time setup path.
    pub async fn create_user(&self, username: &str, password: &str, only_if_first: bool) -> Result<i64, AppError> {
        validate_username(username)?;
        validate_password(password)?;
        let hash = hash_password(password).await?;
        self.store.insert_user(username, &hash, only_if_first).await.map_err(|e| match e {
            StoreError::Conflict(m) if only_if_first => AppError::Forbidden(format!("{m} Setup can only be done once; sign in instead.")),
            StoreError::Conflict(m) => AppError::invalid("username", m),
            other => internal(other),
        })
    }

    /// Checks a password with the lockout rules and opens a session.
    pub async fn login(&self, username: &str, password: &str) -> Result<NewSession, AppError> {
        if let Some(wait) = self.guard.locked_for(username, Instant::now()) {
            return Err(locked_message(username, wait));
        }
        let user = self.store.user_by_name(username).await.map_err(internal)?;
        let stored = user.as_ref().map(|u| u.password_hash.clone());
        if !verify_password(password, stored).await {
            tracing::info!(username, "console sign-in failed");
            if let Some(wait) = self.guard.record_failure(username, Instant::now()) {
                tracing::warn!(username, "console sign-in locked after repeated failures");
                return Err(locked_message(username, wait));
            }
            return Err(AppError::Forbidden("Wrong username or password.".into()));
        }
        self.guard.record_success(username);
        let user = user.ok_or_else(|| AppError::Internal("user vanished during sign-in".into()))?;
        self.open_session(user.id).await
    }

    /// Issues a new session for a user.
    pub async fn open_session(&self, user_id: i64) -> Result<NewSession, AppError> {
        let token = random_token();
        let expires = now_secs() + SESSION_TTL.as_secs() as i64;
        self.store.insert_session(&token_hash(&token), user_id, expires).await.map_err(internal)?;
        Ok(NewSession { token, max_age_secs: SESSION_TTL.as_secs() })
    }

    /// The user behind a session cookie value, if it is live.
    pub async fn session_user(&self, token: &str) -> Result<Option<SessionUser>, StoreError> {
        Ok(self.store.session_user(&token_hash(token)).await?.map(|(id, username)| SessionUser { id, username }))
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
    fn fifth_failure_locks_for_a_minute_and_success_clears() {
        let g = LoginGuard::default();
        let t0 = Instant::now();
        for i in 0..4 {
            assert_eq!(g.record_failure("Admin", t0 + Duration::from_secs(i)), None);
        }
        assert_eq!(g.record_failure("admin", t0 + Duration::from_secs(4)), Some(LOCKOUT_WINDOW));
        assert!(g.locked_for("ADMIN", t0 + Duration::from_secs(30)).is_some());
        assert!(g.locked_for("admin", t0 + Duration::from_secs(65)).is_none());
        g.record_failure("bob", t0);
        g.record_success("bob");
        assert!(g.entries.lock().unwrap().get("bob").is_none());
    }

    #[test]
    fn failures_older_than_the_window_do_not_count() {
        let g = LoginGuard::default();
        let t0 = Instant::now();
        for i in 0..4 {
            g.record_failure("a", t0 + Duration::from_secs(i));
        }
        // 61 s after the first failure, only three of the four still count.
        assert_eq!(g.record_failure("a", t0 + Duration::from_secs(61)), None);
    }

    #[test]
    fn rules_name_the_field() {
        assert_eq!(validate_password("short").unwrap_err().field(), Some("password"));
        assert_eq!(validate_username("no spaces").unwrap_err().field(), Some("username"));
        assert!(validate_username("ops.admin@example").is_ok());
        assert!(validate_password("twelve chars").is_ok());
    }
}
