//! An API's configuration objects beyond its resource tree (models,
//! request validators, gateway responses, documentation, authorizers), each
//! a JSON document of AWS's shape in one table, keyed by API, kind and id.
//! The rules live in `crate::items`; this is storage only.

use serde_json::Value;
use sqlx::{Sqlite, Transaction};

use super::{is_unique_violation, to_json, touched, Store, StoreError};

/// The kinds of object `api_items` holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemKind {
    Model,
    RequestValidator,
    GatewayResponse,
    DocumentationPart,
    DocumentationVersion,
    Authorizer,
}

impl ItemKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Model => "model",
            Self::RequestValidator => "validator",
            Self::GatewayResponse => "gateway_response",
            Self::DocumentationPart => "doc_part",
            Self::DocumentationVersion => "doc_version",
            Self::Authorizer => "authorizer",
        }
    }
}

/// One stored object: its id, the name unique within its API and kind, and its document.
#[derive(Clone, Debug)]
pub struct Item {
    pub id: String,
    pub name: String,
    pub body: Value,
}

fn item((id, name, body): (String, String, String)) -> Item {
    Item { id, name, body: serde_json::from_str(&body).unwrap_or(Value::Null) }
}

/// Inserts an object inside a transaction that also does other work (a new
/// API's default models). A name already taken is a conflict.
pub(super) async fn insert_item(tx: &mut Transaction<'_, Sqlite>, api: &str, kind: ItemKind, it: &Item) -> Result<(), StoreError> {
    write_item(&mut **tx, api, kind, it, false).await
}

/// Writes an object; `or_replace`: the one of the same id (or name) is replaced.
async fn write_item<'e, E: sqlx::SqliteExecutor<'e>>(
    db: E,
    api: &str,
    kind: ItemKind,
    it: &Item,
    or_replace: bool,
) -> Result<(), StoreError> {
    let sql = if or_replace {
        "INSERT OR REPLACE INTO api_items (api_id, kind, id, name, body) VALUES (?1, ?2, ?3, ?4, ?5)"
    } else {
        "INSERT INTO api_items (api_id, kind, id, name, body) VALUES (?1, ?2, ?3, ?4, ?5)"
    };
    sqlx::query(sql).bind(api).bind(kind.as_str()).bind(&it.id).bind(&it.name).bind(to_json(&it.body)).execute(db).await.map_err(|e| {
        if is_unique_violation(&e) {
            StoreError::Conflict(it.name.clone())
        } else {
            e.into()
        }
    })?;
    Ok(())
}

impl Store {
    /// An API's objects of one kind, oldest first.
    pub async fn items(&self, api: &str, kind: ItemKind) -> Result<Vec<Item>, StoreError> {
        let rows: Vec<(String, String, String)> =
            sqlx::query_as("SELECT id, name, body FROM api_items WHERE api_id = ?1 AND kind = ?2 ORDER BY rowid")
                .bind(api)
                .bind(kind.as_str())
                .fetch_all(self.pool())
                .await?;
        Ok(rows.into_iter().map(item).collect())
    }

    /// One object by id (`by_name`: by its unique name instead).
    pub async fn item(&self, api: &str, kind: ItemKind, key: &str, by_name: bool) -> Result<Item, StoreError> {
        let sql = if by_name {
            "SELECT id, name, body FROM api_items WHERE api_id = ?1 AND kind = ?2 AND name = ?3"
        } else {
            "SELECT id, name, body FROM api_items WHERE api_id = ?1 AND kind = ?2 AND id = ?3"
        };
        let row: Option<(String, String, String)> =
            sqlx::query_as(sql).bind(api).bind(kind.as_str()).bind(key).fetch_optional(self.pool()).await?;
        row.map(item).ok_or(StoreError::NotFound)
    }

    /// Adds an object; a name already taken in its API and kind is a conflict.
    #[tracing::instrument(skip_all)]
    pub async fn insert_item(&self, api: &str, kind: ItemKind, it: &Item) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        insert_item(&mut tx, api, kind, it).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Adds an object or replaces the one of the same id.
    #[tracing::instrument(skip_all)]
    pub async fn upsert_item(&self, api: &str, kind: ItemKind, it: &Item) -> Result<(), StoreError> {
        write_item(self.pool(), api, kind, it, true).await
    }

    /// Rewrites an object's name and document.
    #[tracing::instrument(skip_all)]
    pub async fn update_item(&self, api: &str, kind: ItemKind, it: &Item) -> Result<(), StoreError> {
        let done = sqlx::query("UPDATE api_items SET name = ?4, body = ?5 WHERE api_id = ?1 AND kind = ?2 AND id = ?3")
            .bind(api)
            .bind(kind.as_str())
            .bind(&it.id)
            .bind(&it.name)
            .bind(to_json(&it.body))
            .execute(self.pool())
            .await
            .map_err(|e| if is_unique_violation(&e) { StoreError::Conflict(it.name.clone()) } else { e.into() })?;
        touched(done)
    }

    /// Removes an object.
    #[tracing::instrument(skip_all)]
    pub async fn delete_item(&self, api: &str, kind: ItemKind, id: &str) -> Result<(), StoreError> {
        touched(
            sqlx::query("DELETE FROM api_items WHERE api_id = ?1 AND kind = ?2 AND id = ?3")
                .bind(api)
                .bind(kind.as_str())
                .bind(id)
                .execute(self.pool())
                .await?,
        )
    }

    /// Replaces every object of a kind at once (a documentation import in
    /// overwrite mode), in one transaction.
    #[tracing::instrument(skip_all)]
    pub async fn replace_items(&self, api: &str, kind: ItemKind, items: &[Item]) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        sqlx::query("DELETE FROM api_items WHERE api_id = ?1 AND kind = ?2").bind(api).bind(kind.as_str()).execute(&mut *tx).await?;
        for it in items {
            insert_item(&mut tx, api, kind, it).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// An account-wide setting (GetAccount's fields), if set.
    pub async fn account_setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar("SELECT value FROM account_settings WHERE key = ?1").bind(key).fetch_optional(self.pool()).await?)
    }

    /// Sets (or, with `None`, clears) account-wide settings, all at once.
    #[tracing::instrument(skip_all)]
    pub async fn set_account_settings(&self, values: &[(&str, Option<String>)]) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        for (k, v) in values {
            match v {
                Some(v) => {
                    sqlx::query("INSERT OR REPLACE INTO account_settings (key, value) VALUES (?1, ?2)")
                        .bind(k)
                        .bind(v)
                        .execute(&mut *tx)
                        .await?
                }
                None => sqlx::query("DELETE FROM account_settings WHERE key = ?1").bind(k).execute(&mut *tx).await?,
            };
        }
        tx.commit().await?;
        Ok(())
    }
}
