//! Authorizers, stored as AWS's Create/Get/Update/DeleteAuthorizer have
//! them so that scripts (Terraform, CDK) that declare them run. The gateway
//! does not run them yet (the Lambda and authorizer issue): a method cannot
//! use one, so nothing is ever served as protected that is not.

use apigw_app::error::AppError;
use apigw_app::model::PatchOperation;
use serde::{Deserialize, Serialize};

use super::new_id;
use crate::apis::Apis;
use crate::store::items::{Item, ItemKind};

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Authorizer {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "providerARNs")]
    pub provider_arns: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorizer_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorizer_credentials: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_validation_expression: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorizer_result_ttl_in_seconds: Option<i64>,
}

const MISSING: &str = "Invalid Authorizer identifier specified";
const TYPES: &[&str] = &["TOKEN", "REQUEST", "COGNITO_USER_POOLS"];
const PATHS: &str = "/name, /type, /authType, /authorizerUri, /authorizerCredentials, /identitySource, \
                     /identityValidationExpression, /authorizerResultTtlInSeconds, /providerARNs";

fn check(a: &Authorizer, op: &str) -> Result<(), AppError> {
    if a.name.is_empty() {
        return Err(AppError::invalid("name", "name is required: the authorizer's name."));
    }
    if !TYPES.contains(&a.kind.as_str()) {
        return Err(AppError::constraint(
            "type",
            format!(
                "1 validation error detected: Value '{}' at '{op}Input.type' failed to satisfy constraint: \
                 Member must satisfy enum value set: [TOKEN, REQUEST, COGNITO_USER_POOLS]",
                a.kind
            ),
        ));
    }
    match a.kind.as_str() {
        "COGNITO_USER_POOLS" if a.provider_arns.as_ref().is_none_or(Vec::is_empty) => {
            return Err(AppError::invalid("providerARNs", "providerARNs is required for a COGNITO_USER_POOLS authorizer."));
        }
        "TOKEN" | "REQUEST" if a.authorizer_uri.as_deref().unwrap_or("").is_empty() => {
            return Err(AppError::invalid("authorizerUri", format!("authorizerUri is required for a {} authorizer.", a.kind)));
        }
        "TOKEN" if a.identity_source.as_deref().unwrap_or("").is_empty() => {
            return Err(AppError::invalid(
                "identitySource",
                "identitySource is required for a TOKEN authorizer, e.g. method.request.header.Authorization.",
            ));
        }
        _ => {}
    }
    if let Some(ttl) = a.authorizer_result_ttl_in_seconds {
        if !(0..=3600).contains(&ttl) {
            return Err(AppError::invalid("authorizerResultTtlInSeconds", "authorizerResultTtlInSeconds must be between 0 and 3600."));
        }
    }
    Ok(())
}

fn item(a: &Authorizer) -> Item {
    Item { id: a.id.clone(), name: a.id.clone(), body: serde_json::to_value(a).unwrap_or_default() }
}

impl Apis {
    pub async fn create_authorizer(&self, api: &str, mut a: Authorizer) -> Result<Authorizer, AppError> {
        self.api_exists(api).await?;
        a.id = new_id();
        a.authorizer_result_ttl_in_seconds.get_or_insert(300);
        check(&a, "createAuthorizer")?;
        self.insert_item(api, ItemKind::Authorizer, &item(&a), MISSING).await?;
        Ok(a)
    }

    pub async fn authorizers(&self, api: &str) -> Result<Vec<Authorizer>, AppError> {
        self.api_exists(api).await?;
        let all = self.store.items(api, ItemKind::Authorizer).await.map_err(crate::auth::internal)?;
        Ok(all.into_iter().filter_map(|it| serde_json::from_value(it.body).ok()).collect())
    }

    pub async fn authorizer(&self, api: &str, id: &str) -> Result<Authorizer, AppError> {
        let it = self.item(api, ItemKind::Authorizer, id, false, MISSING).await?;
        serde_json::from_value(it.body).map_err(crate::auth::internal)
    }

    /// UpdateAuthorizer: `replace` on its fields; `add`/`remove` of one
    /// ARN on `/providerARNs`.
    pub async fn update_authorizer(&self, api: &str, id: &str, ops: &[PatchOperation]) -> Result<Authorizer, AppError> {
        let mut a = self.authorizer(api, id).await?;
        for op in ops {
            let v = || op.value.clone().filter(|v| !v.is_empty());
            if !PATHS.split(", ").any(|p| p.trim() == op.path) {
                return Err(super::bad_path(op, PATHS));
            }
            // Terraform adds and removes Cognito user pool ARNs one by one.
            if op.path == "/providerARNs" && matches!(op.op.as_str(), "add" | "remove") {
                let arn = v().ok_or_else(|| AppError::invalid("providerARNs", "The ARN to add or remove is required as the value."))?;
                let arns = a.provider_arns.get_or_insert_with(Vec::new);
                match (op.op.as_str(), arns.iter().position(|x| *x == arn)) {
                    ("add", None) => arns.push(arn),
                    ("add", Some(_)) => {}
                    (_, Some(i)) => {
                        arns.remove(i);
                    }
                    (_, None) => {
                        return Err(AppError::invalid("providerARNs", format!("{arn} is not one of this authorizer's providerARNs.")))
                    }
                }
                continue;
            }
            super::replaced(op)?;
            match op.path.as_str() {
                "/name" => a.name = v().unwrap_or_default(),
                "/type" => a.kind = v().unwrap_or_default(),
                "/authType" => a.auth_type = v(),
                "/authorizerUri" => a.authorizer_uri = v(),
                "/authorizerCredentials" => a.authorizer_credentials = v(),
                "/identitySource" => a.identity_source = v(),
                "/identityValidationExpression" => a.identity_validation_expression = v(),
                "/providerARNs" => a.provider_arns = v().map(|s| s.split(',').map(|x| x.trim().to_string()).collect()),
                _ => {
                    let ttl = v().unwrap_or_default();
                    a.authorizer_result_ttl_in_seconds = Some(ttl.parse().map_err(|_| {
                        AppError::invalid(
                            "authorizerResultTtlInSeconds",
                            format!("authorizerResultTtlInSeconds must be a number; '{ttl}' is not."),
                        )
                    })?);
                }
            }
        }
        check(&a, "updateAuthorizer")?;
        self.update_item(api, ItemKind::Authorizer, &item(&a), MISSING).await?;
        Ok(a)
    }

    pub async fn delete_authorizer(&self, api: &str, id: &str) -> Result<(), AppError> {
        self.api_exists(api).await?;
        self.delete_item(api, ItemKind::Authorizer, id, MISSING).await
    }
}
