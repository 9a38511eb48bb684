//! The rules of API configuration, in one place: the control API and the
//! console's server functions both call these, never the store directly.

use std::collections::BTreeMap;
use std::sync::Arc;

use apigw_app::error::AppError;
use apigw_app::model::{
    CreateRestApiInput, Integration, IntegrationResponse, Method, MethodResponse, PatchOperation, PutIntegrationInput,
    PutIntegrationResponseInput, PutMethodInput, PutMethodResponseInput, Resource, RestApi,
};
use apigw_app::rules::{self, PathPartKind};

use crate::apis_integration::integration_row;
use crate::auth::internal;
use crate::gateway::registry::Registry;
use crate::store::{Store, StoreError};

/// Most APIs one gateway holds, resources per API (AWS's limit).
pub const MAX_RESOURCES_PER_API: usize = 300;

pub(crate) fn not_found(what: &str) -> impl Fn(StoreError) -> AppError + '_ {
    move |e| match e {
        StoreError::NotFound => AppError::NotFound(format!("Invalid {what} identifier specified")),
        StoreError::Conflict(m) => AppError::Conflict(m),
        other => internal(other),
    }
}

pub(crate) fn patch_bool(op: &PatchOperation) -> Result<bool, AppError> {
    match op.value.as_deref().map(str::to_ascii_lowercase).as_deref() {
        Some("true") => Ok(true),
        Some("false") => Ok(false),
        _ => Err(AppError::invalid(op.path.trim_start_matches('/'), format!("{} must be 'true' or 'false'.", op.path))),
    }
}

pub(crate) fn only_replace(op: &PatchOperation) -> Result<(), AppError> {
    if op.op == "replace" {
        Ok(())
    } else {
        Err(AppError::invalid("patchOperations", format!("op '{}' on '{}' is not supported; use 'replace'.", op.op, op.path)))
    }
}

/// The configuration service over the store.
#[derive(Clone)]
pub struct Apis {
    pub(crate) store: Store,
    /// Deleting an API takes its stages out of the gateway at once.
    registry: Arc<Registry>,
}

impl Apis {
    pub fn new(store: Store, registry: Arc<Registry>) -> Self {
        Self { store, registry }
    }

    pub async fn create_api(&self, input: CreateRestApiInput) -> Result<RestApi, AppError> {
        let name = rules::api_name(input.name.as_deref().unwrap_or(""))?;
        let description = rules::api_description(input.description.as_deref().unwrap_or(""))?;
        let settings = crate::api_settings::from_input(&input)?;
        let tags = input.tags.unwrap_or_default();
        crate::api_settings::tags(&tags)?;
        self.store.create_api(&name, &description, &settings, &tags, &crate::items::models::defaults()).await.map_err(internal)
    }

    /// A page of APIs and the position of the next page, if any.
    pub async fn list_apis(&self, position: Option<&str>, limit: Option<i64>) -> Result<(Vec<RestApi>, Option<String>), AppError> {
        let limit = match limit {
            None => 500,
            Some(n) if (1..=500).contains(&n) => n,
            Some(n) => return Err(AppError::invalid("limit", format!("limit must be between 1 and 500; {n} is not."))),
        };
        let items = self.store.list_apis(position, limit).await.map_err(internal)?;
        let next = (items.len() as i64 == limit).then(|| items.last().map(|a| a.id.clone())).flatten();
        Ok((items, next))
    }

    pub async fn get_api(&self, id: &str) -> Result<RestApi, AppError> {
        self.store.get_api(id).await.map_err(not_found("API"))
    }

    /// UpdateRestApi: `replace` on `/name`, `/description` and the
    /// attributes of [`crate::api_settings::patch`].
    pub async fn update_api(&self, id: &str, ops: &[PatchOperation]) -> Result<RestApi, AppError> {
        let api = self.get_api(id).await?;
        let mut name = api.name.clone();
        let mut description = api.description.clone().unwrap_or_default();
        let mut settings = api.settings.clone();
        for op in ops {
            if crate::api_settings::patch(&mut settings, op)? {
                continue;
            }
            let value = op.value.clone().unwrap_or_default();
            match op.path.as_str() {
                "/name" => {
                    only_replace(op)?;
                    name = rules::api_name(&value)?
                }
                "/description" => {
                    only_replace(op)?;
                    description = rules::api_description(&value)?
                }
                other => {
                    return Err(AppError::invalid(
                        "patchOperations",
                        format!(
                            "Invalid patch path {other}: UpdateRestApi supports /name, /description, /version, /policy, /apiKeySource, \
                             /minimumCompressionSize, /disableExecuteApiEndpoint, /binaryMediaTypes/{{type}} and /endpointConfiguration/types/{{type}}."
                        ),
                    ))
                }
            }
        }
        self.store.update_api(id, &name, &description, &settings).await.map_err(not_found("API"))?;
        self.get_api(id).await
    }

    pub async fn delete_api(&self, id: &str) -> Result<(), AppError> {
        let plans = self.store.plans_using(id, None).await.map_err(internal)?;
        if !plans.is_empty() {
            return Err(AppError::Conflict(format!(
                "Cannot delete this API: usage plan(s) {} cover its stages. Remove the API's stages from those plans first.",
                crate::plans::name_list(&plans)
            )));
        }
        self.store.delete_api(id).await.map_err(not_found("API"))?;
        self.registry.reload_api(id).await.map_err(internal)
    }

    /// The whole resource tree, methods included.
    pub async fn resources(&self, api_id: &str) -> Result<Vec<Resource>, AppError> {
        self.store.api_tree(api_id).await.map_err(not_found("API"))
    }

    pub async fn resource(&self, api_id: &str, resource_id: &str) -> Result<Resource, AppError> {
        self.resources(api_id)
            .await?
            .into_iter()
            .find(|r| r.id == resource_id)
            .ok_or_else(|| AppError::NotFound("Invalid Resource identifier specified".into()))
    }

    pub async fn create_resource(&self, api_id: &str, parent_id: &str, path_part: &str) -> Result<Resource, AppError> {
        let kind = rules::path_part(path_part)?;
        let tree = self.resources(api_id).await?;
        if tree.len() >= MAX_RESOURCES_PER_API {
            return Err(AppError::invalid("pathPart", format!("An API may have at most {MAX_RESOURCES_PER_API} resources.")));
        }
        let parent = tree
            .iter()
            .find(|r| r.id == parent_id)
            .ok_or_else(|| AppError::NotFound("Invalid Resource identifier specified (parentId)".into()))?;
        if parent.path_part.as_deref().is_some_and(|p| rules::path_part(p) == Ok(PathPartKind::Greedy)) {
            return Err(AppError::invalid(
                "parentId",
                format!("{} is a greedy path variable; it must be the last part of a path and cannot have child resources.", parent.path),
            ));
        }
        if kind != PathPartKind::Literal {
            if let Some(sibling) = tree.iter().find(|r| {
                r.parent_id.as_deref() == Some(parent_id)
                    && r.path_part.as_deref().is_some_and(|p| rules::path_part(p).is_ok_and(|k| k != PathPartKind::Literal))
            }) {
                return Err(AppError::Conflict(format!(
                    "A sibling ({}) of this resource already has a variable path part -- only one is allowed",
                    sibling.path_part.as_deref().unwrap_or("")
                )));
            }
        }
        let path = if parent.path == "/" { format!("/{path_part}") } else { format!("{}/{path_part}", parent.path) };
        self.store.create_resource(api_id, parent_id, path_part, &path).await.map_err(not_found("Resource"))
    }

    pub async fn delete_resource(&self, api_id: &str, resource_id: &str) -> Result<(), AppError> {
        let api = self.get_api(api_id).await?;
        if api.root_resource_id == resource_id {
            return Err(AppError::invalid("resourceId", "The root resource / cannot be deleted."));
        }
        self.store.delete_resource(api_id, resource_id).await.map_err(not_found("Resource"))
    }

    pub async fn method(&self, api_id: &str, resource_id: &str, verb: &str) -> Result<Method, AppError> {
        let verb = rules::http_method(verb, "httpMethod")?;
        self.resource(api_id, resource_id)
            .await?
            .resource_methods
            .and_then(|mut m| m.remove(&verb))
            .ok_or_else(|| AppError::NotFound("Invalid Method identifier specified".into()))
    }

    pub async fn put_method(&self, api_id: &str, resource_id: &str, verb: &str, input: PutMethodInput) -> Result<Method, AppError> {
        let verb = rules::http_method(verb, "httpMethod")?;
        let auth = input.authorization_type.as_deref().unwrap_or("NONE");
        if auth != "NONE" {
            return Err(AppError::invalid(
                "authorizationType",
                format!("authorizationType '{auth}' is not supported; use NONE (API keys are checked with apiKeyRequired)."),
            ));
        }
        let m = Method {
            http_method: verb.clone(),
            authorization_type: auth.to_string(),
            api_key_required: input.api_key_required.unwrap_or(false),
            operation_name: input.operation_name.filter(|o| !o.is_empty()),
            request_parameters: input.request_parameters.unwrap_or_default(),
            request_models: input.request_models.unwrap_or_default(),
            request_validator_id: input.request_validator_id.filter(|v| !v.is_empty()),
            authorization_scopes: input.authorization_scopes.unwrap_or_default(),
            method_responses: None,
            method_integration: None,
        };
        self.resource(api_id, resource_id).await?;
        self.check_method_request(api_id, &m).await?;
        self.store.insert_method(api_id, resource_id, &m).await.map_err(not_found("Method"))?;
        self.method(api_id, resource_id, &verb).await
    }

    pub async fn delete_method(&self, api_id: &str, resource_id: &str, verb: &str) -> Result<(), AppError> {
        let m = self.method(api_id, resource_id, verb).await?;
        self.store.delete_method(api_id, resource_id, &m.http_method).await.map_err(not_found("Method"))
    }

    pub async fn put_integration(
        &self,
        api_id: &str,
        resource_id: &str,
        verb: &str,
        input: PutIntegrationInput,
    ) -> Result<Integration, AppError> {
        let method = self.method(api_id, resource_id, verb).await?;
        let row = integration_row(input, &method.request_parameters)?;
        self.store.put_integration(api_id, resource_id, &method.http_method, &row).await.map_err(not_found("Method"))?;
        self.integration(api_id, resource_id, verb).await
    }

    pub async fn integration(&self, api_id: &str, resource_id: &str, verb: &str) -> Result<Integration, AppError> {
        self.method(api_id, resource_id, verb)
            .await?
            .method_integration
            .ok_or_else(|| AppError::NotFound("No integration defined for method".into()))
    }

    pub async fn delete_integration(&self, api_id: &str, resource_id: &str, verb: &str) -> Result<(), AppError> {
        let m = self.method(api_id, resource_id, verb).await?;
        self.store
            .delete_integration(api_id, resource_id, &m.http_method)
            .await
            .map_err(|_| AppError::NotFound("No integration defined for method".into()))
    }

    pub async fn put_method_response(
        &self,
        api_id: &str,
        resource_id: &str,
        verb: &str,
        status: &str,
        input: PutMethodResponseInput,
    ) -> Result<MethodResponse, AppError> {
        let status = rules::status_code(status)?;
        let params = input.response_parameters.unwrap_or_default();
        for k in params.keys() {
            response_header_name(k)?;
        }
        let models = input.response_models.unwrap_or_default();
        for ct in models.keys() {
            rules::content_type("responseModels", ct)?;
        }
        let m = self.method(api_id, resource_id, verb).await?;
        self.check_models_exist(api_id, &models).await?;
        let r = MethodResponse { status_code: status, response_parameters: params, response_models: models };
        self.store.put_method_response(api_id, resource_id, &m.http_method, &r).await.map_err(not_found("Method"))?;
        Ok(r)
    }

    pub async fn put_integration_response(
        &self,
        api_id: &str,
        resource_id: &str,
        verb: &str,
        status: &str,
        input: PutIntegrationResponseInput,
    ) -> Result<IntegrationResponse, AppError> {
        let status = rules::status_code(status)?;
        let m = self.method(api_id, resource_id, verb).await?;
        if m.method_integration.is_none() {
            return Err(AppError::NotFound("No integration defined for method".into()));
        }
        let declared = m.method_responses.as_ref().and_then(|r| r.get(&status)).ok_or_else(|| {
            AppError::NotFound(format!(
                "Invalid Response status code specified: add a method response for {status} first (PutMethodResponse)."
            ))
        })?;
        let params: BTreeMap<String, String> = input.response_parameters.unwrap_or_default();
        for (k, v) in &params {
            response_header_name(k)?;
            if !declared.response_parameters.contains_key(k) {
                return Err(AppError::invalid(
                    "responseParameters",
                    format!("{k} is not declared on the {status} method response; declare it with PutMethodResponse first."),
                ));
            }
            crate::gateway::transform::parse_response_source(v)
                .map_err(|e| AppError::invalid("responseParameters", format!("Invalid mapping expression for {k}: {e}.")))?;
        }
        if let Some(p) = input.selection_pattern.as_deref().filter(|p| !p.is_empty()) {
            if p.len() > 2048 {
                return Err(AppError::invalid("selectionPattern", "selectionPattern must be at most 2048 characters long."));
            }
            crate::gateway::snapshot::selection_regex(p).map_err(|e| {
                AppError::invalid("selectionPattern", format!("selectionPattern '{p}' is not a valid regular expression: {e}"))
            })?;
        }
        let templates = input.response_templates.unwrap_or_default();
        crate::apis_integration::templates("responseTemplates", &templates)?;
        let r = IntegrationResponse {
            status_code: status,
            selection_pattern: input.selection_pattern,
            response_parameters: params,
            response_templates: templates,
        };
        self.store.put_integration_response(api_id, resource_id, &m.http_method, &r).await.map_err(not_found("Method"))?;
        Ok(r)
    }
}

/// `method.response.header.Name` → `Name`, or an error naming the rule.
pub(crate) fn response_header_name(key: &str) -> Result<&str, AppError> {
    key.strip_prefix("method.response.header.")
        .filter(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .ok_or_else(|| {
            AppError::invalid("responseParameters", format!("'{key}' is not a response header parameter; use method.response.header.Name."))
        })
}
