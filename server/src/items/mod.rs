//! An API's configuration objects beyond its resource tree, as AWS's
//! control API has them: models, request validators, gateway responses,
//! documentation parts and versions, and authorizers (stored for the
//! authorizer issue; methods cannot use them yet). Each kind's rules are in
//! its own module, as methods of [`Apis`]; the wire routes are in
//! `crate::control::items`.

use apigw_app::error::AppError;
use apigw_app::model::PatchOperation;
use rand::Rng;

use crate::apis::{not_found, Apis};
use crate::store::items::{Item, ItemKind};
use crate::store::StoreError;

pub mod authorizers;
pub mod console;
pub mod documentation;
pub mod gateway_responses;
pub mod models;
pub mod validators;

/// A fresh id in AWS's style: ten lower-case letters and digits.
pub(crate) fn new_id() -> String {
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::thread_rng();
    (0..10).map(|_| CHARS[rng.gen_range(0..CHARS.len())] as char).collect()
}

/// AWS's answer to a patch path an operation does not know.
pub(crate) fn bad_path(op: &PatchOperation, allowed: &str) -> AppError {
    AppError::invalid(
        "patchOperations",
        format!("Invalid patch path  '{}' specified for op '{}'. Must be one of: [{allowed}]", op.path, op.op),
    )
}

/// The patch ops of objects whose fields take `replace` only: the op's
/// value (absent is empty), or AWS's answer to another op.
pub(crate) fn replaced(op: &PatchOperation) -> Result<&str, AppError> {
    if op.op != "replace" {
        return Err(AppError::invalid(
            "patchOperations",
            format!("Invalid patch path  '{}' specified for op '{}'. Please choose supported operations", op.path, op.op),
        ));
    }
    Ok(op.value.as_deref().unwrap_or(""))
}

impl Apis {
    /// The API exists (AWS answers a child operation on an unknown API
    /// with the API's not-found message).
    pub(crate) async fn api_exists(&self, api: &str) -> Result<(), AppError> {
        self.store.api_revision(api).await.map(|_| ()).map_err(not_found("API"))
    }

    /// An object of `kind` by id or name, or `missing` as a 404.
    pub(crate) async fn item(&self, api: &str, kind: ItemKind, key: &str, by_name: bool, missing: &str) -> Result<Item, AppError> {
        self.api_exists(api).await?;
        self.store.item(api, kind, key, by_name).await.map_err(|e| match e {
            StoreError::NotFound => AppError::NotFound(missing.to_string()),
            other => crate::auth::internal(other),
        })
    }

    /// Stores a new object, or answers `taken` as a conflict when its name is.
    pub(crate) async fn insert_item(&self, api: &str, kind: ItemKind, it: &Item, taken: &str) -> Result<(), AppError> {
        self.store.insert_item(api, kind, it).await.map_err(|e| match e {
            StoreError::Conflict(_) => AppError::Conflict(taken.to_string()),
            other => crate::auth::internal(other),
        })
    }

    /// Rewrites an object, or answers `taken` when its new name is.
    pub(crate) async fn update_item(&self, api: &str, kind: ItemKind, it: &Item, taken: &str) -> Result<(), AppError> {
        self.store.update_item(api, kind, it).await.map_err(|e| match e {
            StoreError::Conflict(_) => AppError::Conflict(taken.to_string()),
            other => crate::auth::internal(other),
        })
    }

    pub(crate) async fn delete_item(&self, api: &str, kind: ItemKind, id: &str, missing: &str) -> Result<(), AppError> {
        self.store.delete_item(api, kind, id).await.map_err(|e| match e {
            StoreError::NotFound => AppError::NotFound(missing.to_string()),
            other => crate::auth::internal(other),
        })
    }
}
