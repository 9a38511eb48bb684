//! The control API's partial updates of an API's configuration, as AWS's
//! Update* operations take them (JSON Patch-style operations), and the
//! deletes that go with them. Each patched object goes back through the rule
//! its Put* operation uses, so an update can never store what a put refuses.

use std::collections::BTreeMap;

use apigw_app::error::AppError;
use apigw_app::model::{
    Integration, IntegrationResponse, Method, MethodResponse, PatchOperation, PutIntegrationInput, PutIntegrationResponseInput,
    PutMethodResponseInput, Resource,
};
use apigw_app::rules::{self, PathPartKind};

use crate::apis::{not_found, patch_bool, Apis};
use crate::apis_integration::integration_row;
use crate::store::updates::ResponseKind;

impl Apis {
    /// What a method declares about its request: parameter names of AWS's
    /// shape, models of the API by content type, one of the API's request
    /// validators (PutMethod's and UpdateMethod's rule).
    pub(crate) async fn check_method_request(&self, api_id: &str, m: &Method) -> Result<(), AppError> {
        for k in m.request_parameters.keys() {
            rules::method_request_parameter(k)?;
        }
        for ct in m.request_models.keys() {
            rules::content_type("requestModels", ct)?;
        }
        self.check_models_exist(api_id, &m.request_models).await?;
        if let Some(id) = &m.request_validator_id {
            self.check_validator_exists(api_id, id).await?;
        }
        for s in &m.authorization_scopes {
            if s.is_empty() || s.len() > 255 {
                return Err(AppError::invalid("authorizationScopes", "An authorization scope is 1 to 255 characters."));
            }
        }
        Ok(())
    }
}

/// A JSON Pointer segment as AWS writes map keys in patch paths
/// (`application~1json` is `application/json`).
fn unescape(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

/// The key under `prefix` (`/requestTemplates/`) in a patch path, if any.
fn map_key(op: &PatchOperation, prefix: &str) -> Option<String> {
    op.path.strip_prefix(prefix).filter(|k| !k.is_empty()).map(unescape)
}

/// AWS's answer to a path an operation does not know (two spaces, as AWS writes it).
fn bad_path(op: &PatchOperation, allowed: &str) -> AppError {
    AppError::invalid(
        "patchOperations",
        format!("Invalid patch path  '{}' specified for op '{}'. Must be one of: [{allowed}]", op.path, op.op),
    )
}

/// AWS's answer to an op a known path does not take.
fn bad_op(op: &PatchOperation) -> AppError {
    AppError::invalid(
        "patchOperations",
        format!("Invalid patch path  '{}' specified for op '{}'. Please choose supported operations", op.path, op.op),
    )
}

/// AWS's answer for map-bearing objects (method and integration responses).
fn invalid_path(op: &PatchOperation) -> AppError {
    AppError::invalid("patchOperations", format!("Invalid patch path {}", op.path))
}

/// Applies an add/replace/remove on one entry of a string map.
fn patch_map<V>(
    map: &mut BTreeMap<String, V>,
    key: String,
    op: &PatchOperation,
    value: impl FnOnce(Option<&str>) -> Result<V, AppError>,
    missing: &str,
) -> Result<(), AppError> {
    match op.op.as_str() {
        "add" => {
            map.insert(key, value(op.value.as_deref())?);
        }
        "replace" if map.contains_key(&key) => {
            map.insert(key, value(op.value.as_deref())?);
        }
        "remove" if map.remove(&key).is_some() => {}
        "replace" | "remove" => return Err(AppError::NotFound(missing.to_string())),
        _ => return Err(bad_op(op)),
    }
    Ok(())
}

/// A parameter's "required" flag as a patch value: true or false (absent is false).
fn required_flag(field: &str, name: &str, v: Option<&str>) -> Result<bool, AppError> {
    match v.map(str::to_ascii_lowercase).as_deref() {
        Some("true") => Ok(true),
        None | Some("false") | Some("") => Ok(false),
        Some(other) => Err(AppError::invalid(field, format!("{name} must be 'true' or 'false'; '{other}' is not."))),
    }
}

fn required(op: &PatchOperation) -> Result<&str, AppError> {
    op.value.as_deref().ok_or_else(|| AppError::invalid(op.path.trim_start_matches('/'), format!("{} needs a value.", op.path)))
}

impl Apis {
    /// UpdateResource: `replace` on `/pathPart` (rename) and `/parentId`
    /// (move); descendants' paths follow. The root cannot change.
    pub async fn update_resource(&self, api_id: &str, resource_id: &str, ops: &[PatchOperation]) -> Result<Resource, AppError> {
        let tree = self.resources(api_id).await?;
        let current =
            tree.iter().find(|r| r.id == resource_id).ok_or_else(|| AppError::NotFound("Invalid Resource identifier specified".into()))?;
        let (mut parent_id, mut part) = (current.parent_id.clone(), current.path_part.clone().unwrap_or_default());
        for op in ops {
            let field = match op.path.as_str() {
                "/pathPart" | "/parentId" if op.op != "replace" => return Err(bad_op(op)),
                "/pathPart" | "/parentId" => &op.path[1..],
                _ => return Err(bad_path(op, "/parentId, /pathPart")),
            };
            if current.parent_id.is_none() {
                return Err(AppError::invalid(field, format!("Root resource cannot update its {field}.")));
            }
            match field {
                "pathPart" => part = required(op)?.to_string(),
                _ => parent_id = Some(required(op)?.to_string()),
            }
        }
        let Some(parent_id) = parent_id else { return Ok(current.clone()) };
        let kind = rules::path_part(&part)?;
        let parent =
            tree.iter().find(|r| r.id == parent_id).ok_or_else(|| AppError::NotFound("Invalid Resource identifier specified".into()))?;
        if parent.id == current.id || parent.path.starts_with(&format!("{}/", current.path)) {
            return Err(AppError::invalid("parentId", "Resources cannot be cyclical."));
        }
        if parent.path_part.as_deref().is_some_and(|p| rules::path_part(p) == Ok(PathPartKind::Greedy)) {
            return Err(AppError::invalid(
                "parentId",
                format!("{} is a greedy path variable; it must be the last part of a path and cannot have child resources.", parent.path),
            ));
        }
        if kind == PathPartKind::Greedy && tree.iter().any(|r| r.parent_id.as_deref() == Some(resource_id)) {
            return Err(AppError::invalid(
                "pathPart",
                format!("{part} is a greedy path variable and {} has child resources.", current.path),
            ));
        }
        if kind != PathPartKind::Literal {
            if let Some(sibling) = tree.iter().find(|r| {
                r.id != current.id
                    && r.parent_id.as_deref() == Some(parent_id.as_str())
                    && r.path_part.as_deref().is_some_and(|p| rules::path_part(p).is_ok_and(|k| k != PathPartKind::Literal))
            }) {
                return Err(AppError::Conflict(format!(
                    "A sibling ({}) of this resource already has a variable path part -- only one is allowed",
                    sibling.path_part.as_deref().unwrap_or("")
                )));
            }
        }
        let path = if parent.path == "/" { format!("/{part}") } else { format!("{}/{part}", parent.path) };
        self.store.move_resource(api_id, resource_id, &parent_id, &part, &current.path, &path).await.map_err(not_found("Resource"))?;
        self.resource(api_id, resource_id).await
    }

    /// UpdateMethod: `replace` on `/apiKeyRequired`, `/operationName`,
    /// `/authorizationType` (NONE only); add/replace/remove on
    /// `/requestParameters/{name}` (required: true or false) and
    /// `/requestModels/{contentType}`.
    pub async fn update_method(&self, api_id: &str, resource_id: &str, verb: &str, ops: &[PatchOperation]) -> Result<Method, AppError> {
        let mut m = self.method(api_id, resource_id, verb).await?;
        for op in ops {
            if let Some(name) = map_key(op, "/requestParameters/") {
                let flag = |v: Option<&str>| required_flag("requestParameters", &name, v);
                patch_map(&mut m.request_parameters, name.clone(), op, flag, "Invalid parameter name specified")?;
                continue;
            }
            if let Some(ct) = map_key(op, "/requestModels/") {
                patch_map(&mut m.request_models, ct, op, |v| Ok(v.unwrap_or("Empty").to_string()), "Content-Type specified was not found")?;
                continue;
            }
            match op.path.as_str() {
                "/apiKeyRequired" | "/operationName" | "/authorizationType" | "/requestValidatorId" if op.op != "replace" => {
                    return Err(bad_op(op))
                }
                "/apiKeyRequired" => m.api_key_required = patch_bool(op)?,
                "/requestValidatorId" => m.request_validator_id = op.value.clone().filter(|v| !v.is_empty()),
                "/operationName" => m.operation_name = op.value.clone().filter(|v| !v.is_empty()),
                "/authorizationType" if op.value.as_deref() == Some("NONE") => {}
                "/authorizationType" => {
                    return Err(AppError::invalid(
                        "authorizationType",
                        "authorizationType must be NONE (authorizers are not supported yet).",
                    ))
                }
                _ => return Err(invalid_path(op)),
            }
        }
        self.check_method_request(api_id, &m).await?;
        self.store.update_method(api_id, resource_id, &m).await.map_err(not_found("Method"))?;
        self.method(api_id, resource_id, &m.http_method).await
    }

    /// UpdateIntegration: the fields apigw keeps, with AWS's ops per path;
    /// the integration keeps its responses.
    pub async fn update_integration(
        &self,
        api_id: &str,
        resource_id: &str,
        verb: &str,
        ops: &[PatchOperation],
    ) -> Result<Integration, AppError> {
        let method = self.method(api_id, resource_id, verb).await?;
        let current = method.method_integration.ok_or_else(|| AppError::NotFound("Invalid Integration identifier specified".into()))?;
        let mut input = PutIntegrationInput {
            kind: Some(current.kind.clone()),
            integration_http_method: current.http_method.clone(),
            uri: current.uri.clone(),
            timeout_in_millis: Some(current.timeout_in_millis),
            passthrough_behavior: Some(current.passthrough_behavior.clone()),
            request_parameters: Some(current.request_parameters.clone()),
            request_templates: Some(current.request_templates.clone()),
            connection_type: current.connection_type.clone(),
            credentials: current.credentials.clone(),
            // The stored namespace (AWS's default, the resource id, when none was set).
            cache_namespace: Some(current.cache_namespace.clone()).filter(|n| *n != resource_id),
            cache_key_parameters: Some(current.cache_key_parameters.clone()),
            ..Default::default()
        };
        for op in ops {
            if let Some(ct) = map_key(op, "/requestTemplates/") {
                // `add` without a value is AWS's "input passthrough": an empty template.
                let templates = input.request_templates.get_or_insert_with(BTreeMap::new);
                patch_map(templates, ct, op, |v| Ok(v.unwrap_or_default().to_string()), "Content-Type specified was not found")?;
                continue;
            }
            if let Some(name) = map_key(op, "/requestParameters/") {
                let params = input.request_parameters.get_or_insert_with(BTreeMap::new);
                patch_map(params, name, op, |v| Ok(v.unwrap_or_default().to_string()), "Invalid parameter name specified")?;
                continue;
            }
            if let Some(name) = map_key(op, "/cacheKeyParameters/") {
                let keys = input.cache_key_parameters.get_or_insert_with(Vec::new);
                match op.op.as_str() {
                    "add" if !keys.contains(&name) => keys.push(name),
                    "add" => {}
                    "remove" => keys.retain(|k| *k != name),
                    _ => return Err(bad_op(op)),
                }
                continue;
            }
            let extra = [
                "/cacheNamespace",
                "/connectionType",
                "/connectionId",
                "/credentials",
                "/contentHandling",
                "/tlsConfig/insecureSkipVerification",
            ];
            if extra.contains(&op.path.as_str()) {
                if op.op != "replace" {
                    return Err(bad_op(op));
                }
                let v = op.value.clone();
                match op.path.as_str() {
                    "/cacheNamespace" => input.cache_namespace = v,
                    "/connectionType" => input.connection_type = v,
                    "/connectionId" => input.connection_id = v,
                    "/credentials" => input.credentials = v,
                    "/contentHandling" => input.content_handling = v,
                    _ => {
                        input.tls_config = Some(apigw_app::model::TlsConfig {
                            insecure_skip_verification: Some(v.as_deref().is_some_and(|v| v.eq_ignore_ascii_case("true"))),
                        })
                    }
                }
                continue;
            }
            let scalar = ["/uri", "/httpMethod", "/timeoutInMillis", "/passthroughBehavior"];
            if !scalar.contains(&op.path.as_str()) {
                return Err(bad_path(
                    op,
                    "/uri, /httpMethod, /timeoutInMillis, /passthroughBehavior, /requestTemplates/{contentType}, /requestParameters/{name}, \
                     /cacheNamespace, /cacheKeyParameters/{name}, /connectionType, /credentials, /contentHandling, /tlsConfig/insecureSkipVerification",
                ));
            }
            if op.op != "replace" {
                return Err(bad_op(op));
            }
            let value = required(op)?.to_string();
            match op.path.as_str() {
                "/uri" | "/httpMethod" if current.kind == "MOCK" => {
                    return Err(AppError::invalid(&op.path[1..], format!("A MOCK integration has no {}.", &op.path[1..])))
                }
                "/uri" => input.uri = Some(value),
                "/httpMethod" => input.integration_http_method = Some(value),
                "/timeoutInMillis" => {
                    input.timeout_in_millis = Some(value.parse().map_err(|_| {
                        AppError::invalid(
                            "timeoutInMillis",
                            format!("timeoutInMillis must be a whole number of milliseconds; '{value}' is not."),
                        )
                    })?)
                }
                _ => input.passthrough_behavior = Some(value),
            }
        }
        let row = integration_row(input, &method.request_parameters)?;
        self.store.update_integration(api_id, resource_id, &method.http_method, &row).await.map_err(not_found("Integration"))?;
        self.integration(api_id, resource_id, verb).await
    }

    /// The method response for `status`, after AWS's checks in AWS's order.
    /// Also returns the method's verb as stored (one lookup of the tree).
    async fn method_response(
        &self,
        api_id: &str,
        resource_id: &str,
        verb: &str,
        status: &str,
    ) -> Result<(String, MethodResponse), AppError> {
        let status = rules::status_code(status)?;
        let m = self.method(api_id, resource_id, verb).await?;
        let r = m
            .method_responses
            .and_then(|mut r| r.remove(&status))
            .ok_or_else(|| AppError::NotFound("Invalid Response status code specified".into()))?;
        Ok((m.http_method, r))
    }

    /// UpdateMethodResponse: add/replace/remove on `/responseParameters/{name}`
    /// (value true or false: required) and `/responseModels/{contentType}`.
    pub async fn update_method_response(
        &self,
        api_id: &str,
        resource_id: &str,
        verb: &str,
        status: &str,
        ops: &[PatchOperation],
    ) -> Result<MethodResponse, AppError> {
        let (_, mut r) = self.method_response(api_id, resource_id, verb, status).await?;
        for op in ops {
            if let Some(name) = map_key(op, "/responseParameters/") {
                let flag = |v: Option<&str>| required_flag("responseParameters", &name, v);
                patch_map(&mut r.response_parameters, name.clone(), op, flag, "Invalid parameter name specified")?;
            } else if let Some(ct) = map_key(op, "/responseModels/") {
                patch_map(
                    &mut r.response_models,
                    ct,
                    op,
                    |v| Ok(v.unwrap_or("Empty").to_string()),
                    "Content-Type specified was not found",
                )?;
            } else {
                return Err(invalid_path(op));
            }
        }
        let input = PutMethodResponseInput { response_parameters: Some(r.response_parameters), response_models: Some(r.response_models) };
        self.put_method_response(api_id, resource_id, verb, &r.status_code, input).await
    }

    pub async fn delete_method_response(&self, api_id: &str, resource_id: &str, verb: &str, status: &str) -> Result<(), AppError> {
        let (verb, r) = self.method_response(api_id, resource_id, verb, status).await?;
        self.store
            .delete_response(ResponseKind::Method, api_id, resource_id, &verb, &r.status_code)
            .await
            .map_err(|_| AppError::NotFound("Invalid Response status code specified".into()))
    }

    /// The integration response for `status`, after AWS's checks in AWS's order.
    async fn integration_response(
        &self,
        api_id: &str,
        resource_id: &str,
        verb: &str,
        status: &str,
    ) -> Result<(String, IntegrationResponse), AppError> {
        let status = rules::status_code(status)?;
        let m = self.method(api_id, resource_id, verb).await?;
        let i = m.method_integration.ok_or_else(|| AppError::NotFound("Invalid Integration identifier specified".into()))?;
        let r = i
            .integration_responses
            .and_then(|mut r| r.remove(&status))
            .ok_or_else(|| AppError::NotFound("Invalid Response status code specified".into()))?;
        Ok((m.http_method, r))
    }

    /// UpdateIntegrationResponse: `replace` on `/selectionPattern`,
    /// add/replace/remove on `/responseParameters/{name}` and
    /// `/responseTemplates/{contentType}`.
    pub async fn update_integration_response(
        &self,
        api_id: &str,
        resource_id: &str,
        verb: &str,
        status: &str,
        ops: &[PatchOperation],
    ) -> Result<IntegrationResponse, AppError> {
        let (_, mut r) = self.integration_response(api_id, resource_id, verb, status).await?;
        for op in ops {
            if let Some(name) = map_key(op, "/responseParameters/") {
                patch_map(
                    &mut r.response_parameters,
                    name,
                    op,
                    |v| Ok(v.unwrap_or_default().to_string()),
                    "Invalid parameter name specified",
                )?;
            } else if let Some(ct) = map_key(op, "/responseTemplates/") {
                patch_map(
                    &mut r.response_templates,
                    ct,
                    op,
                    |v| Ok(v.unwrap_or_default().to_string()),
                    "Content-Type specified was not found",
                )?;
            } else if op.path == "/selectionPattern" {
                match op.op.as_str() {
                    "replace" | "add" => r.selection_pattern = op.value.clone().filter(|p| !p.is_empty()),
                    "remove" => r.selection_pattern = None,
                    _ => return Err(bad_op(op)),
                }
            } else {
                return Err(invalid_path(op));
            }
        }
        let input = PutIntegrationResponseInput {
            selection_pattern: r.selection_pattern,
            response_parameters: Some(r.response_parameters),
            response_templates: Some(r.response_templates),
        };
        self.put_integration_response(api_id, resource_id, verb, &r.status_code, input).await
    }

    pub async fn delete_integration_response(&self, api_id: &str, resource_id: &str, verb: &str, status: &str) -> Result<(), AppError> {
        let (verb, r) = self.integration_response(api_id, resource_id, verb, status).await?;
        self.store
            .delete_response(ResponseKind::Integration, api_id, resource_id, &verb, &r.status_code)
            .await
            .map_err(|_| AppError::NotFound("Invalid Response status code specified".into()))
    }
}
