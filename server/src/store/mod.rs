//! The SQLite store: opening the database, migrations, and the queries the
//! rest of the server uses. Every query lives in a submodule here.

pub mod access_keys;
pub mod apis;
pub mod audit;
pub mod files;
pub mod items;
pub mod key_import;
pub mod plans;
pub mod stages;
pub mod tags;
pub mod updates;
pub mod users;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

/// Why a store call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No row matched.
    #[error("not found")]
    NotFound,
    /// A uniqueness rule was broken; the message says which in plain words.
    #[error("{0}")]
    Conflict(String),
    /// The database itself failed.
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    /// The database file or its directory could not be prepared.
    #[error("cannot open database at {path}: {source}")]
    Open { path: PathBuf, source: std::io::Error },
    /// A migration failed.
    #[error("cannot apply migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// SQLite refused a call made through its C API (the metrics writer's bulk insert).
    #[error("database error: {0}")]
    Sqlite(String),
}

/// The database handle shared by the console and the control API.
#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
    path: PathBuf,
}

impl Store {
    /// Opens (creating if needed) the SQLite file at `path` in WAL mode and
    /// brings its schema up to date.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            files::create_private_dir(dir).map_err(|source| StoreError::Open { path: path.to_owned(), source })?;
        }
        files::prepare_database_file(path).map_err(|source| StoreError::Open { path: path.to_owned(), source })?;
        let options = SqliteConnectOptions::from_str("sqlite:")?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new().max_connections(8).connect_with(options).await?;
        sqlx::migrate!("../migrations").run(&pool).await?;
        Ok(Self { pool, path: path.to_owned() })
    }

    /// The pool, for the query modules.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Where the database file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Closes every connection; pending writes are on disk afterwards.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Seconds since the Unix epoch.
pub fn now_secs() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// A value as JSON text for a TEXT column ('{}' if it cannot be written).
pub fn to_json<V: serde::Serialize>(v: &V) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "{}".into())
}

/// A statement that had to touch a row but touched none: the thing is not there.
pub fn touched(done: sqlx::sqlite::SqliteQueryResult) -> Result<(), StoreError> {
    if done.rows_affected() == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

/// True when `e` is SQLite refusing a duplicate value.
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}
