//! Control-API access keys: creating them (the secret is shown once), looking
//! up a key's secret to check a SigV4 signature, listing and deleting.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use apigw_app::error::AppError;
use apigw_app::identity::SessionUser;
use rand::Rng;

use crate::auth::internal;
use crate::secrets::ServerKey;
use crate::store::access_keys::AccessKeyRow;
use crate::store::{Store, StoreError};

/// A newly made key: the only time its secret is visible.
#[derive(Clone)]
pub struct NewAccessKey {
    pub access_key_id: String,
    pub secret_access_key: String,
}

impl std::fmt::Debug for NewAccessKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewAccessKey").field("access_key_id", &self.access_key_id).field("secret_access_key", &"<redacted>").finish()
    }
}

fn random_string(len: usize, alphabet: &[u8]) -> String {
    let mut rng = rand::rngs::OsRng;
    (0..len).map(|_| alphabet[rng.gen_range(0..alphabet.len())] as char).collect()
}

pub struct AccessKeys {
    store: Store,
    key: ServerKey,
    /// When each key was last recorded as used, so signing traffic does not
    /// write to the database on every call.
    touched: Mutex<HashMap<String, Instant>>,
}

/// What an access key id leads to.
pub enum KeyLookup {
    /// Its secret and the user it acts as.
    Found(String, SessionUser),
    /// It exists, but its user is disabled.
    OwnerDisabled(String),
    /// No such key (or its secret cannot be opened).
    Unknown,
}

impl AccessKeys {
    pub fn new(store: Store, key: ServerKey) -> Self {
        Self { store, key, touched: Mutex::new(HashMap::new()) }
    }

    pub async fn create(&self, user_id: i64, description: &str) -> Result<NewAccessKey, AppError> {
        if description.chars().count() > 256 {
            return Err(AppError::invalid("description", "description must be at most 256 characters long."));
        }
        let id = format!("AKIA{}", random_string(16, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"));
        let secret = random_string(40, b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789");
        self.store.insert_access_key(&id, user_id, &self.key.seal(&secret), description).await.map_err(internal)?;
        tracing::info!(access_key_id = %id, "access key created");
        Ok(NewAccessKey { access_key_id: id, secret_access_key: secret })
    }

    /// The secret and owner of a key, if it exists and its secret can be
    /// opened. A disabled owner's key is reported as such, not as unknown.
    pub async fn secret(&self, id: &str) -> Result<KeyLookup, StoreError> {
        let Some(owner) = self.store.access_key_secret(id).await? else {
            return Ok(KeyLookup::Unknown);
        };
        if owner.disabled {
            return Ok(KeyLookup::OwnerDisabled(owner.username));
        }
        match self.key.open(&owner.secret_sealed) {
            Some(secret) => Ok(KeyLookup::Found(secret, SessionUser { id: owner.user_id, username: owner.username, role: owner.role })),
            None => {
                tracing::error!(access_key_id = %id, "cannot open this key's secret: the server key file differs from the one it was sealed with");
                Ok(KeyLookup::Unknown)
            }
        }
    }

    /// Records use of a key, at most once a minute.
    pub async fn touch(&self, id: &str) {
        let due = {
            let mut t = self.touched.lock().unwrap_or_else(|e| e.into_inner());
            let now = Instant::now();
            let due = t.get(id).is_none_or(|last| now.duration_since(*last) > Duration::from_secs(60));
            if due {
                t.insert(id.to_string(), now);
            }
            due
        };
        if due {
            if let Err(e) = self.store.touch_access_key(id).await {
                tracing::warn!(error = %e, "could not record access key use");
            }
        }
    }

    pub async fn list(&self) -> Result<Vec<AccessKeyRow>, AppError> {
        self.store.list_access_keys().await.map_err(internal)
    }

    pub async fn delete(&self, id: &str) -> Result<(), AppError> {
        self.store.delete_access_key(id).await.map_err(|e| match e {
            StoreError::NotFound => AppError::NotFound(format!("No access key {id}.")),
            other => internal(other),
        })
    }
}
