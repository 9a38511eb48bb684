//! Writing a [`Definition`] into an API: ImportRestApi into a new API,
//! PutRestApi (merge or overwrite) into an existing one. Every object goes
//! through the operation that creates it one at a time (CreateResource,
//! PutMethod, PutIntegration, CreateModel…), so an import can never store
//! what those refuse. An import that fails part-way deletes the API it made.

use std::collections::BTreeMap;

use apigw_app::error::AppError;
use apigw_app::model::{CreateRestApiInput, EndpointConfigurationInput, PutMethodInput, RestApi};
use serde_json::Value;

use super::{model_url, rewrite_refs, Definition, ImportOptions, Mode};
use crate::apis::Apis;
use crate::items::documentation::{CreateDocumentationPartInput, Location};
use crate::items::models::CreateModelInput;
use crate::items::validators::CreateRequestValidatorInput;
use crate::store::items::ItemKind;

/// An import's outcome: the API and the warnings, as AWS returns them.
pub struct Imported {
    pub api: RestApi,
    pub warnings: Vec<String>,
}

fn refuse_on_warnings(d: &Definition, opts: &ImportOptions) -> Result<(), AppError> {
    if opts.fail_on_warnings && !d.warnings.is_empty() {
        return Err(AppError::invalid(
            "failonwarnings",
            format!("Warnings found during import:\n\t{}\nNothing was changed (failonwarnings=true).", d.warnings.join("\n\t")),
        ));
    }
    Ok(())
}

/// The document's API attributes as CreateRestApi's input, so they pass CreateRestApi's rules.
fn attributes(d: &Definition, endpoint_type: Option<&str>, keep_types: &[String]) -> CreateRestApiInput {
    CreateRestApiInput {
        name: Some(d.name.clone()),
        description: d.description.clone(),
        version: d.version.clone(),
        binary_media_types: Some(d.binary_media_types.clone()),
        minimum_compression_size: d.minimum_compression_size,
        api_key_source: d.api_key_source.clone(),
        endpoint_configuration: Some(EndpointConfigurationInput {
            types: Some(endpoint_type.map(|t| vec![t.to_string()]).unwrap_or_else(|| keep_types.to_vec())),
            vpc_endpoint_ids: None,
        }),
        disable_execute_api_endpoint: d.disable_execute_api_endpoint,
        policy: d.policy.clone(),
        tags: None,
        clone_from: None,
    }
}

impl Apis {
    /// ImportRestApi: a new API exactly as the document describes it.
    pub async fn import_api(&self, d: Definition, opts: &ImportOptions) -> Result<Imported, AppError> {
        refuse_on_warnings(&d, opts)?;
        let input = attributes(&d, Some(opts.endpoint_type.as_deref().unwrap_or("EDGE")), &[]);
        let api = self.create_api(input).await?;
        // AWS's import gives the API the document's models only.
        self.store.replace_items(&api.id, ItemKind::Model, &[]).await.map_err(crate::auth::internal)?;
        if let Err(e) = self.write(&api.id, &d, Mode::Overwrite).await {
            if let Err(undo) = self.delete_api(&api.id).await {
                tracing::error!(api = %api.id, error = %undo, "could not delete the API of a failed import");
            }
            return Err(e);
        }
        Ok(Imported { api: self.get_api(&api.id).await?, warnings: d.warnings })
    }

    /// PutRestApi: the document merged into, or overwriting, an API.
    pub async fn put_api(&self, id: &str, d: Definition, mode: Mode, opts: &ImportOptions) -> Result<Imported, AppError> {
        let current = self.get_api(id).await?;
        refuse_on_warnings(&d, opts)?;
        let mut input = attributes(&d, None, &current.settings.endpoint_configuration.types);
        if mode == Mode::Merge {
            let mut types = current.settings.binary_media_types.clone();
            types.extend(d.binary_media_types.iter().filter(|t| !current.settings.binary_media_types.contains(t)).cloned());
            input.binary_media_types = Some(types);
            input.api_key_source = input.api_key_source.or(Some(current.settings.api_key_source.clone()));
            input.minimum_compression_size = input.minimum_compression_size.or(current.settings.minimum_compression_size);
            input.policy = input.policy.or(current.settings.policy.clone());
            input.description = input.description.or(current.description.clone());
        }
        input.disable_execute_api_endpoint = input.disable_execute_api_endpoint.or(Some(current.settings.disable_execute_api_endpoint));
        let name = apigw_app::rules::api_name(&d.name)?;
        let description = apigw_app::rules::api_description(input.description.as_deref().unwrap_or(""))?;
        let mut settings = crate::api_settings::from_input(&input)?;
        settings.endpoint_configuration.vpc_endpoint_ids = current.settings.endpoint_configuration.vpc_endpoint_ids.clone();
        self.check_definition(&d)?;
        // Every resource the API would then have, within AWS's limit.
        let mut paths: std::collections::BTreeSet<String> = d.paths.keys().flat_map(|p| ancestors(p)).collect();
        if mode == Mode::Merge {
            paths.extend(self.resources(id).await?.into_iter().map(|r| r.path));
        }
        paths.insert("/".into());
        if paths.len() > crate::apis::MAX_RESOURCES_PER_API {
            return Err(AppError::invalid(
                "body",
                format!("The API would have {} resources; it may have at most {}.", paths.len(), crate::apis::MAX_RESOURCES_PER_API),
            ));
        }
        self.store.update_api(id, &name, &description, &settings).await.map_err(crate::apis::not_found("API"))?;
        self.write(id, &d, mode).await?;
        Ok(Imported { api: self.get_api(id).await?, warnings: d.warnings })
    }

    /// Rules a definition must meet before anything is written, so that a
    /// PutRestApi refused for them changes nothing: every object is checked
    /// by the rule of the operation that will create it.
    fn check_definition(&self, d: &Definition) -> Result<(), AppError> {
        for (name, schema) in &d.models {
            crate::items::models::check_name(name)?;
            crate::items::models::check_schema(schema)?;
        }
        for name in d.validators.keys() {
            crate::items::validators::check_name(name)?;
        }
        for (t, input) in &d.gateway_responses {
            crate::items::gateway_responses::checked(t, input.clone())?;
        }
        for (location, properties) in &d.documentation {
            crate::items::documentation::normalise(location.clone())?;
            crate::items::documentation::check_properties(properties)?;
        }
        for (path, methods) in &d.paths {
            for part in path.split('/').filter(|p| !p.is_empty()) {
                apigw_app::rules::path_part(part)?;
            }
            for m in methods {
                apigw_app::rules::http_method(&m.verb, "httpMethod")?;
                if let Some(i) = &m.integration {
                    let declared = m.request_parameters.clone();
                    crate::apis_integration::integration_row(i.clone(), &declared)?;
                }
                for code in m.responses.keys().chain(m.integration_responses.keys()) {
                    apigw_app::rules::status_code(code)?;
                }
                for r in m.integration_responses.values() {
                    if let Some(t) = &r.response_templates {
                        crate::apis_integration::templates("responseTemplates", t)?;
                    }
                }
                for k in m.request_parameters.keys() {
                    apigw_app::rules::method_request_parameter(k)?;
                }
            }
        }
        Ok(())
    }

    /// Writes the definition's objects into the API.
    async fn write(&self, api: &str, d: &Definition, mode: Mode) -> Result<(), AppError> {
        self.check_definition(d)?;
        let tree = self.resources(api).await?;
        let root =
            tree.iter().find(|r| r.path == "/").map(|r| r.id.clone()).ok_or_else(|| crate::auth::internal("API has no root resource"))?;
        if mode == Mode::Overwrite {
            for r in tree.iter().filter(|r| r.parent_id.as_deref() == Some(root.as_str())) {
                self.delete_resource(api, &r.id).await?;
            }
            for verb in tree.iter().find(|r| r.id == root).and_then(|r| r.resource_methods.as_ref()).into_iter().flatten().map(|(v, _)| v) {
                self.delete_method(api, &root, verb).await?;
            }
            for kind in [ItemKind::RequestValidator, ItemKind::GatewayResponse, ItemKind::DocumentationPart] {
                self.store.replace_items(api, kind, &[]).await.map_err(crate::auth::internal)?;
            }
        }

        // Models first (methods name them), each schema's references as AWS's model URLs.
        let existing: Vec<String> = self.models(api).await?.into_iter().map(|m| m.name).collect();
        for (name, schema) in &d.models {
            let mut v: Value = serde_json::from_str(schema).map_err(crate::auth::internal)?;
            rewrite_refs(&mut v, &|r| r.strip_prefix("#/models/").map(|m| model_url(api, m)));
            let schema = serde_json::to_string_pretty(&v).map_err(crate::auth::internal)?;
            if existing.contains(name) {
                let op = apigw_app::model::PatchOperation { op: "replace".into(), path: "/schema".into(), value: Some(schema) };
                self.update_model(api, name, &[op]).await?;
            } else {
                let input = CreateModelInput {
                    name: Some(name.clone()),
                    description: None,
                    schema: Some(schema),
                    content_type: Some("application/json".into()),
                };
                self.create_model(api, input).await?;
            }
        }
        if mode == Mode::Overwrite {
            for stale in existing.iter().filter(|n| !d.models.contains_key(*n)) {
                self.delete_model(api, stale).await?;
            }
        }

        let mut validators: BTreeMap<String, String> =
            self.request_validators(api).await?.into_iter().filter_map(|v| v.name.map(|n| (n, v.id))).collect();
        for (name, (body, params)) in &d.validators {
            if validators.contains_key(name) {
                continue;
            }
            let input = CreateRequestValidatorInput {
                name: Some(name.clone()),
                validate_request_body: Some(*body),
                validate_request_parameters: Some(*params),
            };
            let v = self.create_request_validator(api, input).await?;
            validators.insert(name.clone(), v.id);
        }
        for (t, input) in &d.gateway_responses {
            self.put_gateway_response(api, t, input.clone()).await?;
        }

        // Resources, shallowest first, then each one's methods.
        let mut ids: BTreeMap<String, String> = self.resources(api).await?.into_iter().map(|r| (r.path, r.id)).collect();
        let mut paths: Vec<&String> = d.paths.keys().collect();
        paths.sort_by_key(|p| p.matches('/').count());
        for path in paths {
            let mut at = String::new();
            for part in path.split('/').filter(|p| !p.is_empty()) {
                let parent = if at.is_empty() { "/".to_string() } else { at.clone() };
                at = format!("{at}/{part}");
                if !ids.contains_key(&at) {
                    let r = self.create_resource(api, &ids[&parent], part).await?;
                    ids.insert(at.clone(), r.id);
                }
            }
            let rid = ids
                .get(if path.is_empty() { "/" } else { path.as_str() })
                .cloned()
                .ok_or_else(|| AppError::invalid("body", format!("Invalid OpenAPI input: path '{path}' could not be created.")))?;
            for m in &d.paths[path] {
                if self.method(api, &rid, &m.verb).await.is_ok() {
                    self.delete_method(api, &rid, &m.verb).await?;
                }
                let input = PutMethodInput {
                    authorization_type: Some("NONE".into()),
                    api_key_required: Some(m.api_key_required),
                    operation_name: m.operation_name.clone(),
                    request_parameters: Some(m.request_parameters.clone()),
                    request_models: Some(m.request_models.clone()),
                    request_validator_id: m.validator.as_ref().and_then(|n| validators.get(n).cloned()),
                    authorization_scopes: None,
                };
                self.put_method(api, &rid, &m.verb, input).await?;
                for (code, r) in &m.responses {
                    self.put_method_response(api, &rid, &m.verb, code, r.clone()).await?;
                }
                if let Some(i) = &m.integration {
                    self.put_integration(api, &rid, &m.verb, i.clone()).await?;
                    for (code, r) in &m.integration_responses {
                        self.put_integration_response(api, &rid, &m.verb, code, r.clone()).await?;
                    }
                }
            }
        }

        self.write_documentation(api, &d.documentation, mode).await?;
        Ok(())
    }

    /// Documentation parts into an API: merge adds new locations and
    /// replaces the properties of known ones; overwrite replaces them all.
    /// Answers the parts' ids, in the document's order.
    pub async fn write_documentation(&self, api: &str, parts: &[(Location, String)], mode: Mode) -> Result<Vec<String>, AppError> {
        // All checked before any is written (or any removed).
        for (location, properties) in parts {
            crate::items::documentation::normalise(location.clone())?;
            crate::items::documentation::check_properties(properties)?;
        }
        if mode == Mode::Overwrite {
            self.store.replace_items(api, ItemKind::DocumentationPart, &[]).await.map_err(crate::auth::internal)?;
        }
        let mut ids = Vec::new();
        for (location, properties) in parts {
            let input = CreateDocumentationPartInput { location: Some(location.clone()), properties: Some(properties.clone()) };
            match self.create_documentation_part(api, input).await {
                Ok(p) => ids.push(p.id),
                Err(AppError::Conflict(_)) => {
                    let existing = self.documentation_parts(api, &Default::default()).await?;
                    let same = existing.into_iter().find(|p| crate::items::documentation::same_location(&p.location, location));
                    if let Some(p) = same {
                        let op = apigw_app::model::PatchOperation {
                            op: "replace".into(),
                            path: "/properties".into(),
                            value: Some(properties.clone()),
                        };
                        self.update_documentation_part(api, &p.id, &[op]).await?;
                        ids.push(p.id);
                    }
                }
                Err(e) => return Err(e),
            }
        }
        Ok(ids)
    }
}

/// A resource path and every path above it (`/a/b` → `/a`, `/a/b`).
fn ancestors(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut at = String::new();
    for part in path.split('/').filter(|p| !p.is_empty()) {
        at = format!("{at}/{part}");
        out.push(at.clone());
    }
    out
}
