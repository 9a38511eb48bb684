//! Deployments and stages: taking snapshots, pointing stages at them, stage
//! variables and method settings. Every change recompiles that API's stages
//! in the gateway registry, so it is live at once and nothing else is.

use std::collections::BTreeMap;
use std::sync::Arc;

use apigw_app::diff::DeploymentChange;
use apigw_app::error::AppError;
use apigw_app::model::{CreateDeploymentInput, CreateStageInput, Deployment, Freshness, MethodSetting, PatchOperation, Resource, Stage};
use apigw_app::rules;

use crate::apis::Apis;
use crate::auth::internal;
use crate::gateway::captured::Captured;
use crate::gateway::registry::Registry;
use crate::store::stages::StageTarget;
use crate::store::{Store, StoreError};

/// Most stages an API may have (AWS's limit).
pub const MAX_STAGES_PER_API: usize = 10;

pub struct Deploys {
    store: Store,
    apis: Apis,
    registry: Arc<Registry>,
}

fn stage_not_found(name: &str) -> impl Fn(StoreError) -> AppError + '_ {
    move |e| match e {
        StoreError::NotFound => AppError::NotFound(format!("Invalid Stage identifier specified: {name}")),
        StoreError::Conflict(m) => AppError::Conflict(m),
        other => internal(other),
    }
}

impl Deploys {
    pub fn new(store: Store, apis: Apis, registry: Arc<Registry>) -> Self {
        Self { store, apis, registry }
    }

    async fn reload(&self, api_id: &str) -> Result<(), AppError> {
        self.registry.reload_api(api_id).await.map_err(internal)
    }

    fn check_variables(vars: &BTreeMap<String, String>) -> Result<(), AppError> {
        vars.iter().try_for_each(|(k, v)| rules::stage_variable(k, v))
    }

    /// Snapshots the API's current configuration; with `stageName`, creates
    /// or repoints that stage to it.
    pub async fn create_deployment(&self, api_id: &str, input: CreateDeploymentInput) -> Result<Deployment, AppError> {
        let description = rules::api_description(&input.description.unwrap_or_default())?;
        if let Some(d) = &input.stage_description {
            rules::api_description(d).map_err(|_| {
                AppError::invalid(
                    "stageDescription",
                    "stageDescription must be at most 1024 characters, without control characters other than line breaks and tabs.",
                )
            })?;
        }
        let stage_name = input.stage_name.filter(|s| !s.is_empty()).map(|s| rules::stage_name(&s)).transpose()?;
        if let Some(v) = &input.variables {
            Self::check_variables(v)?;
        }
        let revision = self.store.api_revision(api_id).await.map_err(|e| match e {
            StoreError::NotFound => AppError::NotFound("Invalid API identifier specified".into()),
            other => internal(other),
        })?;
        let tree = self.apis.resources(api_id).await?;
        let mut methods = 0;
        for r in &tree {
            for (verb, m) in r.resource_methods.iter().flatten() {
                methods += 1;
                if m.method_integration.is_none() {
                    return Err(AppError::invalid(
                        "integration",
                        format!("No integration defined for method {verb} {}. Give it an integration, or delete it, then deploy.", r.path),
                    ));
                }
            }
        }
        if methods == 0 {
            return Err(AppError::invalid(
                "restApiId",
                "The REST API doesn't contain any methods. Add a method with an integration, then deploy.",
            ));
        }
        if let Some(name) = &stage_name {
            let existing = self.store.list_stages(api_id).await.map_err(internal)?;
            if !existing.iter().any(|s| &s.stage_name == name) && existing.len() >= MAX_STAGES_PER_API {
                return Err(AppError::invalid("stageName", format!("An API may have at most {MAX_STAGES_PER_API} stages.")));
            }
        }
        let snapshot = self.current(api_id, tree).await?.to_text().map_err(internal)?;
        let target = stage_name.as_deref().map(|name| StageTarget {
            name,
            description: input.stage_description.as_deref(),
            variables: input.variables.as_ref(),
        });
        let d = self.store.create_deployment(api_id, &description, revision, &snapshot, target).await.map_err(internal)?;
        self.reload(api_id).await?;
        tracing::info!(api_id, deployment = %d.id, stage = ?stage_name, "deployed");
        Ok(d)
    }

    pub async fn deployments(&self, api_id: &str) -> Result<Vec<Deployment>, AppError> {
        self.apis.get_api(api_id).await?;
        Ok(self.store.list_deployments(api_id).await.map_err(internal)?.into_iter().map(|(d, _)| d).collect())
    }

    pub async fn deployment(&self, api_id: &str, id: &str) -> Result<Deployment, AppError> {
        self.deployments(api_id)
            .await?
            .into_iter()
            .find(|d| d.id == id)
            .ok_or_else(|| AppError::NotFound("Invalid Deployment identifier specified".into()))
    }

    /// UpdateDeployment: `replace` on `/description`, all AWS lets change.
    pub async fn update_deployment(&self, api_id: &str, id: &str, ops: &[PatchOperation]) -> Result<Deployment, AppError> {
        let mut d = self.deployment(api_id, id).await?;
        for op in ops {
            match (op.path.as_str(), op.op.as_str()) {
                ("/description", "replace") => d.description = op.value.clone().filter(|v| !v.is_empty()),
                ("/description", _) => {
                    return Err(AppError::invalid(
                        "patchOperations",
                        format!("Invalid patch path  '{}' specified for op '{}'. Please choose supported operations", op.path, op.op),
                    ))
                }
                _ => {
                    return Err(AppError::invalid(
                        "patchOperations",
                        format!("Invalid patch path  '{}' specified for op '{}'. Must be one of: [/description]", op.path, op.op),
                    ))
                }
            }
        }
        self.store
            .describe_deployment(api_id, id, d.description.as_deref().unwrap_or(""))
            .await
            .map_err(crate::apis::not_found("Deployment"))
    }

    /// DeleteDeployment: only a deployment no stage serves.
    pub async fn delete_deployment(&self, api_id: &str, id: &str) -> Result<(), AppError> {
        self.deployment(api_id, id).await?;
        self.store.delete_deployment(api_id, id).await.map_err(|e| match e {
            crate::store::StoreError::Conflict(stages) => AppError::invalid(
                "deploymentId",
                format!("Active stages pointing to this deployment must be moved or deleted (stage(s) {stages} serve {id})."),
            ),
            other => crate::apis::not_found("Deployment")(other),
        })
    }

    /// What the stages serve against the API's configuration now (resources,
    /// models, validators, gateway responses), judged by
    /// the deployments' snapshots (what the gateway compiles), not by
    /// revision numbers: an edit undone counts as no change.
    pub async fn freshness(&self, api_id: &str, now: &[Resource]) -> Result<Freshness, AppError> {
        let newest = self.store.list_deployments(api_id).await.map_err(internal)?.into_iter().next().map(|(d, _)| d.id);
        let stages = self.store.list_stages(api_id).await.map_err(internal)?;
        let now = self.current(api_id, now.to_vec()).await?;
        // Each deployment's snapshot is read once, however many stages serve it.
        let mut same: BTreeMap<String, bool> = BTreeMap::new();
        for id in newest.iter().chain(stages.iter().map(|s| &s.deployment_id)) {
            if !same.contains_key(id) {
                let v = self.captured(api_id, id).await?.serves_same(&now);
                same.insert(id.clone(), v);
            }
        }
        let undeployed = newest.is_none_or(|id| !same[&id]);
        let stale_stages = stages.into_iter().filter(|s| !same[&s.deployment_id]).map(|s| s.stage_name).collect();
        Ok(Freshness { undeployed, stale_stages })
    }

    /// The API's configuration now (`resources` being its tree), as a
    /// deployment captures it.
    pub async fn current(&self, api_id: &str, resources: Vec<Resource>) -> Result<Captured, AppError> {
        Ok(Captured {
            resources,
            models: Some(self.apis.models(api_id).await?),
            request_validators: Some(self.apis.request_validators(api_id).await?),
            gateway_responses: Some(self.apis.gateway_responses(api_id).await?),
        })
    }

    /// The resources a deployment captured.
    pub async fn snapshot(&self, api_id: &str, id: &str) -> Result<Vec<Resource>, AppError> {
        Ok(self.captured(api_id, id).await?.resources)
    }

    /// Everything a deployment captured: resources and, for deployments
    /// made since items were captured, models, validators and gateway responses.
    pub async fn captured(&self, api_id: &str, id: &str) -> Result<Captured, AppError> {
        let text = self.store.deployment_snapshot(api_id, id).await.map_err(|e| match e {
            StoreError::NotFound => AppError::NotFound("Invalid Deployment identifier specified".into()),
            other => internal(other),
        })?;
        Captured::parse(&text).map_err(internal)
    }

    /// What a stage's callers would notice if it served deployment `to`
    /// instead of the one it serves now.
    pub async fn changes(&self, api_id: &str, stage: &str, to: &str) -> Result<Vec<DeploymentChange>, AppError> {
        let from = self.stage(api_id, stage).await?.deployment_id;
        let (before, after) = (self.snapshot(api_id, &from).await?, self.snapshot(api_id, to).await?);
        Ok(apigw_app::diff::deployment_changes(&before, &after))
    }

    pub async fn create_stage(&self, api_id: &str, input: CreateStageInput) -> Result<Stage, AppError> {
        let name = rules::stage_name(input.stage_name.as_deref().unwrap_or(""))?;
        let dep =
            input.deployment_id.filter(|d| !d.is_empty()).ok_or_else(|| AppError::invalid("deploymentId", "deploymentId is required."))?;
        let vars = input.variables.unwrap_or_default();
        Self::check_variables(&vars)?;
        let description = rules::api_description(input.description.as_deref().unwrap_or(""))?;
        let tags = input.tags.clone().unwrap_or_default();
        crate::api_settings::tags(&tags)?;
        let unsupported = [
            ("cacheClusterEnabled", input.cache_cluster_enabled == Some(true), "stage caching is not supported yet"),
            ("cacheClusterSize", input.cache_cluster_size.is_some(), "stage caching is not supported yet"),
            ("tracingEnabled", input.tracing_enabled == Some(true), "X-Ray tracing is not supported"),
            ("canarySettings", input.canary_settings.as_ref().is_some_and(|c| !c.is_null()), "canary releases are not supported yet"),
            (
                "clientCertificateId",
                input.client_certificate_id.as_deref().is_some_and(|c| !c.is_empty()),
                "client certificates are not supported yet",
            ),
        ];
        if let Some((field, _, why)) = unsupported.iter().find(|(_, set, _)| *set) {
            return Err(AppError::invalid(*field, format!("{field} cannot be set: {why} in apigw.")));
        }
        self.deployment(api_id, &dep)
            .await
            .map_err(|_| AppError::invalid("deploymentId", format!("Deployment {dep} does not exist in this API.")))?;
        if self.store.list_stages(api_id).await.map_err(internal)?.len() >= MAX_STAGES_PER_API {
            return Err(AppError::invalid("stageName", format!("An API may have at most {MAX_STAGES_PER_API} stages.")));
        }
        let doc_version = input.documentation_version.clone().filter(|d| !d.is_empty());
        if let Some(v) = &doc_version {
            self.apis
                .documentation_version(api_id, v)
                .await
                .map_err(|_| AppError::invalid("documentationVersion", format!("Documentation version {v} does not exist in this API.")))?;
        }
        let mut stage = self.store.create_stage(api_id, &name, &dep, &description, &vars, &tags).await.map_err(stage_not_found(&name))?;
        if doc_version.is_some() {
            stage.documentation_version = doc_version;
            self.store.save_stage(api_id, &stage).await.map_err(stage_not_found(&name))?;
        }
        self.reload(api_id).await?;
        Ok(stage)
    }

    pub async fn stages(&self, api_id: &str) -> Result<Vec<Stage>, AppError> {
        self.apis.get_api(api_id).await?;
        self.store.list_stages(api_id).await.map_err(internal)
    }

    pub async fn stage(&self, api_id: &str, name: &str) -> Result<Stage, AppError> {
        self.apis.get_api(api_id).await?;
        self.store.get_stage(api_id, name).await.map_err(stage_not_found(name))
    }

    /// UpdateStage: `/deploymentId`, `/description`, `/variables/NAME`, and
    /// `/{resource}/{METHOD}/throttling/rateLimit|burstLimit`. All
    /// operations are checked before any is applied.
    pub async fn update_stage(&self, api_id: &str, name: &str, ops: &[PatchOperation]) -> Result<Stage, AppError> {
        let mut stage = self.stage(api_id, name).await?;
        for op in ops {
            let value = op.value.clone().unwrap_or_default();
            let path = op.path.as_str();
            if let Some(var) = path.strip_prefix("/variables/") {
                match op.op.as_str() {
                    "replace" | "add" => {
                        rules::stage_variable(var, &value)?;
                        stage.variables.insert(var.to_string(), value);
                    }
                    "remove" => {
                        stage.variables.remove(var);
                    }
                    other => return Err(AppError::invalid("patchOperations", format!("op '{other}' is not supported on {path}."))),
                }
                continue;
            }
            if self.stage_attribute(api_id, &mut stage, op).await?.is_some() {
                continue;
            }
            if op.op == "remove" && !matches!(path, "/deploymentId" | "/description") {
                // A whole method setting (`/~1pets/GET`) or one of its fields.
                let (key, field) = method_setting_target(path)?;
                match field {
                    None => {
                        if stage.method_settings.remove(&key).is_none() {
                            return Err(AppError::invalid(
                                "patchOperations",
                                format!("Cannot remove method setting {key} because there is no method setting for this method"),
                            ));
                        }
                    }
                    Some(field) => {
                        if let Some(setting) = stage.method_settings.get_mut(&key) {
                            let dflt = MethodSetting::default();
                            match field {
                                "throttling/rateLimit" => setting.throttling_rate_limit = None,
                                "throttling/burstLimit" => setting.throttling_burst_limit = None,
                                "metrics/enabled" => setting.metrics_enabled = dflt.metrics_enabled,
                                "logging/loglevel" => setting.logging_level = dflt.logging_level,
                                "logging/dataTrace" => setting.data_trace_enabled = dflt.data_trace_enabled,
                                "caching/enabled" => setting.caching_enabled = dflt.caching_enabled,
                                "caching/ttlInSeconds" => setting.cache_ttl_in_seconds = dflt.cache_ttl_in_seconds,
                                "caching/dataEncrypted" => setting.cache_data_encrypted = dflt.cache_data_encrypted,
                                "caching/requireAuthorizationForCacheControl" => {
                                    setting.require_authorization_for_cache_control = dflt.require_authorization_for_cache_control
                                }
                                _ => setting.unauthorized_cache_control_header_strategy = dflt.unauthorized_cache_control_header_strategy,
                            }
                            if *setting == MethodSetting::default() {
                                stage.method_settings.remove(&key);
                            }
                        }
                    }
                }
                continue;
            }
            if op.op != "replace" {
                return Err(AppError::invalid("patchOperations", format!("op '{}' on '{path}' is not supported; use 'replace'.", op.op)));
            }
            match path {
                "/deploymentId" => {
                    self.deployment(api_id, &value)
                        .await
                        .map_err(|_| AppError::invalid("deploymentId", format!("Deployment {value} does not exist in this API.")))?;
                    stage.deployment_id = value;
                }
                "/description" => stage.description = (!value.is_empty()).then(|| rules::api_description(&value)).transpose()?,
                _ => {
                    let (key, field) = method_setting_path(path)?;
                    let setting = stage.method_settings.entry(key).or_insert_with(MethodSetting::default);
                    // The same bounds as usage plan throttles; the error names the patch path.
                    let flag = |v: &str| match v.to_ascii_lowercase().as_str() {
                        "true" => Ok(true),
                        "false" => Ok(false),
                        _ => Err(AppError::invalid("patchOperations", format!("{path} must be true or false; '{v}' is not."))),
                    };
                    match field {
                        "throttling/rateLimit" if unset(&value) => setting.throttling_rate_limit = Some(-1.0),
                        "throttling/burstLimit" if unset(&value) => setting.throttling_burst_limit = Some(-1),
                        "throttling/rateLimit" => setting.throttling_rate_limit = Some(rules::rate_limit_text(&value, path)?),
                        "throttling/burstLimit" => setting.throttling_burst_limit = Some(rules::burst_limit_text(&value, path)?),
                        "metrics/enabled" => setting.metrics_enabled = flag(&value)?,
                        "logging/dataTrace" => setting.data_trace_enabled = flag(&value)?,
                        "logging/loglevel" => {
                            if !["OFF", "ERROR", "INFO"].contains(&value.as_str()) {
                                return Err(AppError::invalid(
                                    "patchOperations",
                                    format!("{path} must be OFF, ERROR or INFO; '{value}' is not."),
                                ));
                            }
                            setting.logging_level = value.clone();
                        }
                        "caching/enabled" => {
                            if flag(&value)? {
                                return Err(AppError::invalid(
                                    "patchOperations",
                                    format!("{path} cannot be true: response caching is not available in apigw yet (the caching issue)."),
                                ));
                            }
                            setting.caching_enabled = false;
                        }
                        "caching/ttlInSeconds" => {
                            setting.cache_ttl_in_seconds = value.parse().ok().filter(|n| (0..=3600).contains(n)).ok_or_else(|| {
                                AppError::invalid(
                                    "patchOperations",
                                    format!("{path} must be a number of seconds from 0 to 3600; '{value}' is not."),
                                )
                            })?
                        }
                        "caching/dataEncrypted" => setting.cache_data_encrypted = flag(&value)?,
                        "caching/requireAuthorizationForCacheControl" => setting.require_authorization_for_cache_control = flag(&value)?,
                        _ => {
                            let ok = ["FAIL_WITH_403", "SUCCEED_WITH_RESPONSE_HEADER", "SUCCEED_WITHOUT_RESPONSE_HEADER"];
                            if !ok.contains(&value.as_str()) {
                                return Err(AppError::invalid(
                                    "patchOperations",
                                    format!("{path} must be one of {}; '{value}' is not.", ok.join(", ")),
                                ));
                            }
                            setting.unauthorized_cache_control_header_strategy = value.clone();
                        }
                    }
                }
            }
        }
        self.store.save_stage(api_id, &stage).await.map_err(stage_not_found(name))?;
        self.reload(api_id).await?;
        self.stage(api_id, name).await
    }

    /// UpdateStage's stage-level attributes beyond the deployment and
    /// description: `Some(())` when `op` was one of them and is applied.
    async fn stage_attribute(&self, api_id: &str, stage: &mut Stage, op: &PatchOperation) -> Result<Option<()>, AppError> {
        let value = op.value.clone().unwrap_or_default();
        let path = op.path.as_str();
        let off = |field: &str, why: &str| -> Result<Option<()>, AppError> {
            match value.to_ascii_lowercase().as_str() {
                "false" | "" => Ok(Some(())),
                "true" => Err(AppError::invalid(field, format!("{field} cannot be true: {why} in apigw."))),
                other => Err(AppError::invalid(field, format!("{path} must be true or false; '{other}' is not."))),
            }
        };
        match (op.op.as_str(), path) {
            ("replace", "/tracingEnabled") => off("tracingEnabled", "X-Ray tracing is not available"),
            ("replace", "/cacheClusterEnabled") => off("cacheClusterEnabled", "stage caching is not available yet"),
            ("replace", "/clientCertificateId") if value.is_empty() => Ok(Some(())),
            ("replace", "/clientCertificateId") => {
                Err(AppError::invalid("clientCertificateId", "Client certificates are not available in apigw yet; this changed nothing."))
            }
            ("replace", "/accessLogSettings/format") | ("replace", "/accessLogSettings/destinationArn") => {
                let s = stage.access_log_settings.get_or_insert_with(Default::default);
                let v = Some(value).filter(|v| !v.is_empty());
                if path.ends_with("format") {
                    s.format = v;
                } else {
                    s.destination_arn = v;
                }
                if s.format.is_none() && s.destination_arn.is_none() {
                    stage.access_log_settings = None;
                }
                Ok(Some(()))
            }
            ("remove", "/accessLogSettings") => {
                stage.access_log_settings = None;
                Ok(Some(()))
            }
            ("replace", "/documentationVersion") => {
                if !value.is_empty() {
                    self.apis.documentation_version(api_id, &value).await.map_err(|_| {
                        AppError::invalid("documentationVersion", format!("Documentation version {value} does not exist in this API."))
                    })?;
                }
                stage.documentation_version = Some(value).filter(|v| !v.is_empty());
                Ok(Some(()))
            }
            _ => Ok(None),
        }
    }

    pub async fn delete_stage(&self, api_id: &str, name: &str) -> Result<(), AppError> {
        self.apis.get_api(api_id).await?;
        let plans = self.store.plans_using(api_id, Some(name)).await.map_err(internal)?;
        if !plans.is_empty() {
            return Err(AppError::Conflict(format!(
                "Cannot delete stage {name}: usage plan(s) {} cover it. Remove it from those plans first.",
                crate::plans::name_list(&plans)
            )));
        }
        self.store.delete_stage(api_id, name).await.map_err(stage_not_found(name))?;
        self.reload(api_id).await
    }
}

/// `/~1pets~1{id}/GET/throttling/rateLimit` → (`~1pets~1{id}/GET`, `throttling/rateLimit`);
/// `/*/*/…` for every method.
fn method_setting_path(path: &str) -> Result<(String, &str), AppError> {
    match method_setting_target(path)? {
        (key, Some(field)) => Ok((key, field)),
        (_, None) => Err(method_setting_error(path)),
    }
}

/// A method setting's key and, if the path goes on, the field named:
/// `/~1pets/GET` → (`~1pets/GET`, None). The resource is `*`, AWS's
/// escaped path (`~1pets~1{id}`), or the path without its leading slash
/// as Terraform's `method_path` writes it (`/pets/{id}/GET/metrics/enabled`
/// → `pets/{id}/GET`); the key is kept as written, as AWS keeps it.
fn method_setting_target(path: &str) -> Result<(String, Option<&str>), AppError> {
    let bad = || method_setting_error(path);
    let rest = path.strip_prefix('/').ok_or_else(bad)?;
    let field = METHOD_SETTING_FIELDS
        .iter()
        .find(|f| rest.len() > f.len() && rest.ends_with(*f) && rest.as_bytes()[rest.len() - f.len() - 1] == b'/');
    let (head, field) = match field {
        Some(f) => (&rest[..rest.len() - f.len() - 1], Some(&rest[rest.len() - f.len()..])),
        None => (rest, None),
    };
    let (resource, method) = head.rsplit_once('/').ok_or_else(bad)?;
    let plain = |r: &str| r.split('/').all(|s| !s.is_empty() && !s.contains(['~', '*']));
    if !(resource == "*" || (resource.starts_with("~1") && !resource.contains('/')) || resource.is_empty() || plain(resource)) {
        return Err(bad());
    }
    let method = if method == "*" { "*".to_string() } else { rules::http_method(method, "httpMethod")? };
    Ok((format!("{resource}/{method}"), field))
}

/// `-1`, Terraform's "not set" for a method's throttling (AWS keeps it and
/// the method then has no limit of its own).
fn unset(v: &str) -> bool {
    v.trim().parse::<f64>().is_ok_and(|n| n == -1.0)
}

/// The per-method setting fields UpdateStage takes, as AWS names them in patch paths.
const METHOD_SETTING_FIELDS: &[&str] = &[
    "throttling/rateLimit",
    "throttling/burstLimit",
    "metrics/enabled",
    "logging/loglevel",
    "logging/dataTrace",
    "caching/enabled",
    "caching/ttlInSeconds",
    "caching/dataEncrypted",
    "caching/requireAuthorizationForCacheControl",
    "caching/unauthorizedCacheControlHeaderStrategy",
];

fn method_setting_error(path: &str) -> AppError {
    AppError::invalid(
        "patchOperations",
        format!(
            "Invalid patch path  '{path}' specified. UpdateStage supports /deploymentId, /description, /variables/NAME, /tracingEnabled, \
             /cacheClusterEnabled, /accessLogSettings/format|destinationArn, /documentationVersion and \
             /{{resource}}/{{METHOD}}/{{setting}} (resource '*', like ~1pets~1{{id}} or pets/{{id}}, METHOD '*' or a verb; setting one of {}); \
             'remove' also takes /{{resource}}/{{METHOD}} for the whole setting.",
            METHOD_SETTING_FIELDS.join(", ")
        ),
    )
}
