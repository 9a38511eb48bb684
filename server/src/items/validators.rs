//! Request validators: whether a method checks its request's body (against
//! its model) and its declared parameters before integrating, as AWS's
//! Create/Get/Update/DeleteRequestValidator have them. A method names one
//! in `requestValidatorId`; the gateway acts on it with the validation issue.

use apigw_app::error::AppError;
use apigw_app::model::PatchOperation;
pub use apigw_app::model::RequestValidator;
use serde::Deserialize;

use super::{new_id, replaced};
use crate::apis::{patch_bool, Apis};
use crate::store::items::{Item, ItemKind};

/// CreateRequestValidator's input.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateRequestValidatorInput {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub validate_request_body: Option<bool>,
    #[serde(default)]
    pub validate_request_parameters: Option<bool>,
}

const MISSING: &str = "Invalid Request Validator identifier specified";
const PATHS: &str = "/name, /validateRequestBody, /validateRequestParameters";

fn validator(it: Item) -> RequestValidator {
    let mut v: RequestValidator = serde_json::from_value(it.body).unwrap_or(RequestValidator {
        id: String::new(),
        name: None,
        validate_request_body: false,
        validate_request_parameters: false,
    });
    v.id = it.id;
    v
}

pub(crate) fn check_name(name: &str) -> Result<(), AppError> {
    if name.chars().count() > 1024 {
        return Err(AppError::invalid("name", "A request validator's name is at most 1024 characters."));
    }
    Ok(())
}

/// Validators' names need not be unique (AWS allows two of one name), so
/// the stored unique name is the id.
fn item(v: &RequestValidator) -> Item {
    Item { id: v.id.clone(), name: v.id.clone(), body: serde_json::to_value(v).unwrap_or_default() }
}

impl Apis {
    pub async fn create_request_validator(&self, api: &str, input: CreateRequestValidatorInput) -> Result<RequestValidator, AppError> {
        self.api_exists(api).await?;
        let name = input.name.filter(|n| !n.is_empty());
        if let Some(n) = &name {
            check_name(n)?;
        }
        let v = RequestValidator {
            id: new_id(),
            name,
            validate_request_body: input.validate_request_body.unwrap_or(false),
            validate_request_parameters: input.validate_request_parameters.unwrap_or(false),
        };
        self.insert_item(api, ItemKind::RequestValidator, &item(&v), MISSING).await?;
        Ok(v)
    }

    pub async fn request_validators(&self, api: &str) -> Result<Vec<RequestValidator>, AppError> {
        self.api_exists(api).await?;
        Ok(self.store.items(api, ItemKind::RequestValidator).await.map_err(crate::auth::internal)?.into_iter().map(validator).collect())
    }

    pub async fn request_validator(&self, api: &str, id: &str) -> Result<RequestValidator, AppError> {
        Ok(validator(self.item(api, ItemKind::RequestValidator, id, false, MISSING).await?))
    }

    /// UpdateRequestValidator: `replace` on its three fields.
    pub async fn update_request_validator(&self, api: &str, id: &str, ops: &[PatchOperation]) -> Result<RequestValidator, AppError> {
        let mut v = self.request_validator(api, id).await?;
        for op in ops {
            match op.path.as_str() {
                "/name" => {
                    let n = replaced(op)?;
                    check_name(n)?;
                    v.name = Some(n.to_string()).filter(|n| !n.is_empty());
                }
                "/validateRequestBody" => {
                    replaced(op)?;
                    v.validate_request_body = patch_bool(op)?;
                }
                "/validateRequestParameters" => {
                    replaced(op)?;
                    v.validate_request_parameters = patch_bool(op)?;
                }
                _ => return Err(super::bad_path(op, PATHS)),
            }
        }
        self.update_item(api, ItemKind::RequestValidator, &item(&v), MISSING).await?;
        Ok(v)
    }

    /// DeleteRequestValidator: refused while a method uses it, as AWS does.
    pub async fn delete_request_validator(&self, api: &str, id: &str) -> Result<(), AppError> {
        self.request_validator(api, id).await?;
        for r in self.resources(api).await? {
            for (verb, m) in r.resource_methods.iter().flatten() {
                if m.request_validator_id.as_deref() == Some(id) {
                    return Err(AppError::Conflict(format!(
                        "Cannot delete request validator '{id}': the method {verb} {} uses it. Change the method's request validator first.",
                        r.path
                    )));
                }
            }
        }
        self.delete_item(api, ItemKind::RequestValidator, id, MISSING).await
    }

    /// A method's `requestValidatorId` must name one of the API's validators.
    pub(crate) async fn check_validator_exists(&self, api: &str, id: &str) -> Result<(), AppError> {
        self.store.item(api, ItemKind::RequestValidator, id, false).await.map(|_| ()).map_err(|e| match e {
            crate::store::StoreError::NotFound => AppError::invalid("requestValidatorId", MISSING),
            other => crate::auth::internal(other),
        })
    }
}
