//! GetExport: a stage's deployed API as an OpenAPI 3.0 or Swagger 2.0
//! document, with AWS's extensions on request (`extensions=integrations`
//! or `apigateway`). What import reads, export writes, so exporting,
//! importing into a new API and exporting again gives the same document.

use std::collections::BTreeMap;

use apigw_app::error::AppError;
use apigw_app::model::{Method, Resource, RestApi};
use serde_json::{json, Map, Value};

use super::rewrite_refs;
use crate::items::gateway_responses::GatewayResponse;
use crate::items::models::Model;
use crate::items::validators::RequestValidator;

/// Which document GetExport writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Oas30,
    Swagger,
}

impl Kind {
    pub fn parse(s: &str) -> Result<Self, AppError> {
        match s {
            "oas30" => Ok(Self::Oas30),
            "swagger" => Ok(Self::Swagger),
            other => Err(AppError::invalid("exportType", format!("Invalid export type '{other}': use oas30 or swagger."))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Oas30 => "oas30",
            Self::Swagger => "swagger",
        }
    }
}

/// What goes into an export.
pub struct Source<'a> {
    pub api: &'a RestApi,
    pub stage: &'a str,
    /// The deployment's resource tree.
    pub resources: &'a [Resource],
    pub models: &'a [Model],
    pub validators: &'a [RequestValidator],
    pub gateway_responses: &'a [GatewayResponse],
    /// The gateway's base URL (`http://host:port`).
    pub gateway_url: &'a str,
    /// The document's version when the API has none: the deployment's date.
    pub fallback_version: String,
}

/// Which extensions to write.
#[derive(Debug, Clone, Copy, Default)]
pub struct Extensions {
    pub integrations: bool,
    /// Every API Gateway extension (validators, gateway responses, settings).
    pub apigateway: bool,
}

impl Extensions {
    /// From GetExport's `extensions` parameter (comma-separated).
    pub fn parse(s: Option<&str>) -> Result<Self, AppError> {
        let mut e = Self::default();
        for x in s.unwrap_or("").split(',').map(str::trim).filter(|x| !x.is_empty()) {
            match x {
                "integrations" => e.integrations = true,
                "apigateway" => {
                    e.integrations = true;
                    e.apigateway = true;
                }
                "authorizers" | "postman" => {}
                other => {
                    return Err(AppError::invalid(
                        "parameters",
                        format!("Invalid extensions '{other}': use integrations, apigateway, authorizers or postman."),
                    ))
                }
            }
        }
        Ok(e)
    }
}

fn schema_ref(kind: Kind, name: &str) -> String {
    match kind {
        Kind::Swagger => format!("#/definitions/{name}"),
        Kind::Oas30 => format!("#/components/schemas/{name}"),
    }
}

/// The document.
pub fn document(src: &Source<'_>, kind: Kind, ext: Extensions) -> Value {
    let api = src.api;
    let mut info = Map::new();
    info.insert("title".into(), json!(api.name));
    if let Some(d) = api.description.as_deref().filter(|d| !d.is_empty()) {
        info.insert("description".into(), json!(d));
    }
    info.insert("version".into(), json!(api.settings.version.clone().unwrap_or_else(|| src.fallback_version.clone())));
    let mut doc = Map::new();
    let (scheme, host) = src.gateway_url.split_once("://").unwrap_or(("http", src.gateway_url));
    match kind {
        Kind::Swagger => {
            doc.insert("swagger".into(), json!("2.0"));
            doc.insert("info".into(), Value::Object(info));
            doc.insert("host".into(), json!(host));
            doc.insert("basePath".into(), json!(format!("/{}/{}", api.id, src.stage)));
            doc.insert("schemes".into(), json!([scheme]));
        }
        Kind::Oas30 => {
            doc.insert("openapi".into(), json!("3.0.1"));
            doc.insert("info".into(), Value::Object(info));
            let mut server = json!({
                "url": format!("{scheme}://{host}/{}/{{basePath}}", api.id),
                "variables": { "basePath": { "default": src.stage } },
            });
            if ext.apigateway && api.settings.disable_execute_api_endpoint {
                server["x-amazon-apigateway-endpoint-configuration"] = json!({ "disableExecuteApiEndpoint": true });
            }
            doc.insert("servers".into(), json!([server]));
        }
    }

    let validator_names: BTreeMap<&str, &str> =
        src.validators.iter().filter_map(|v| v.name.as_deref().map(|n| (v.id.as_str(), n))).collect();
    let mut paths = Map::new();
    let mut uses_key = false;
    for r in src.resources {
        let mut item = Map::new();
        for (verb, m) in r.resource_methods.iter().flatten() {
            uses_key |= m.api_key_required;
            let op = operation(m, &r.id, kind, ext, &validator_names);
            let key = if verb == "ANY" { "x-amazon-apigateway-any-method".to_string() } else { verb.to_ascii_lowercase() };
            item.insert(key, op);
        }
        if !item.is_empty() {
            paths.insert(r.path.clone(), Value::Object(item));
        }
    }
    doc.insert("paths".into(), Value::Object(paths));

    let mut schemas = Map::new();
    for m in src.models {
        let mut s: Value = m.schema.as_deref().and_then(|s| serde_json::from_str(s).ok()).unwrap_or_else(|| json!({}));
        rewrite_refs(&mut s, &|r| super::ref_model(r).map(|n| schema_ref(kind, n)));
        if let Value::Object(o) = &mut s {
            o.remove("$schema");
        }
        schemas.insert(m.name.clone(), s);
    }
    let security = json!({ "api_key": { "type": "apiKey", "name": "x-api-key", "in": "header" } });
    match kind {
        Kind::Swagger => {
            if uses_key {
                doc.insert("securityDefinitions".into(), security);
            }
            if !schemas.is_empty() {
                doc.insert("definitions".into(), Value::Object(schemas));
            }
        }
        Kind::Oas30 => {
            let mut components = Map::new();
            if !schemas.is_empty() {
                components.insert("schemas".into(), Value::Object(schemas));
            }
            if uses_key {
                components.insert("securitySchemes".into(), security);
            }
            doc.insert("components".into(), Value::Object(components));
        }
    }
    if ext.apigateway {
        let s = &api.settings;
        if !s.binary_media_types.is_empty() {
            doc.insert("x-amazon-apigateway-binary-media-types".into(), json!(s.binary_media_types));
        }
        if s.api_key_source != "HEADER" {
            doc.insert("x-amazon-apigateway-api-key-source".into(), json!(s.api_key_source));
        }
        if let Some(n) = s.minimum_compression_size {
            doc.insert("x-amazon-apigateway-minimum-compression-size".into(), json!(n));
        }
        if let Some(p) = &s.policy {
            doc.insert("x-amazon-apigateway-policy".into(), crate::api_settings::policy_document(p));
        }
        if kind == Kind::Swagger && s.disable_execute_api_endpoint {
            doc.insert("x-amazon-apigateway-endpoint-configuration".into(), json!({ "disableExecuteApiEndpoint": true }));
        }
        let named: Map<String, Value> = src
            .validators
            .iter()
            .filter_map(|v| {
                let n = v.name.clone()?;
                Some((
                    n,
                    json!({ "validateRequestBody": v.validate_request_body, "validateRequestParameters": v.validate_request_parameters }),
                ))
            })
            .collect();
        if !named.is_empty() {
            doc.insert("x-amazon-apigateway-request-validators".into(), Value::Object(named));
        }
        let custom: Map<String, Value> = src
            .gateway_responses
            .iter()
            .filter(|g| !g.default_response)
            .map(|g| {
                let mut v = Map::new();
                if let Some(c) = &g.status_code {
                    v.insert("statusCode".into(), json!(c));
                }
                if !g.response_parameters.is_empty() {
                    v.insert("responseParameters".into(), json!(g.response_parameters));
                }
                if !g.response_templates.is_empty() {
                    v.insert("responseTemplates".into(), json!(g.response_templates));
                }
                (g.response_type.clone(), Value::Object(v))
            })
            .collect();
        if !custom.is_empty() {
            doc.insert("x-amazon-apigateway-gateway-responses".into(), Value::Object(custom));
        }
    }
    Value::Object(doc)
}

/// One operation: parameters, body, responses, security, integration.
fn operation(m: &Method, resource_id: &str, kind: Kind, ext: Extensions, validators: &BTreeMap<&str, &str>) -> Value {
    let mut op = Map::new();
    if let Some(n) = &m.operation_name {
        op.insert("operationId".into(), json!(n));
    }
    let mut params = Vec::new();
    for (name, required) in &m.request_parameters {
        let Some(rest) = name.strip_prefix("method.request.") else { continue };
        let Some((loc, pname)) = rest.split_once('.') else { continue };
        let loc = match loc {
            "path" => "path",
            "querystring" | "multivaluequerystring" => "query",
            _ => "header",
        };
        let mut p = json!({ "name": pname, "in": loc });
        if *required || loc == "path" {
            p["required"] = json!(true);
        }
        match kind {
            Kind::Swagger => p["type"] = json!("string"),
            Kind::Oas30 => p["schema"] = json!({ "type": "string" }),
        }
        params.push(p);
    }
    match kind {
        Kind::Swagger => {
            if let Some((ct, model)) = m.request_models.iter().next() {
                params.push(json!({ "in": "body", "name": model, "required": true, "schema": { "$ref": schema_ref(kind, model) } }));
                op.insert("consumes".into(), json!([ct]));
            }
        }
        Kind::Oas30 => {
            if !m.request_models.is_empty() {
                let content: Map<String, Value> = m
                    .request_models
                    .iter()
                    .map(|(ct, model)| (ct.clone(), json!({ "schema": { "$ref": schema_ref(kind, model) } })))
                    .collect();
                op.insert("requestBody".into(), json!({ "content": content, "required": true }));
            }
        }
    }
    if !params.is_empty() {
        op.insert("parameters".into(), Value::Array(params));
    }
    let mut responses = Map::new();
    let mut produces = Vec::new();
    for (code, r) in m.method_responses.iter().flatten() {
        let mut resp = Map::new();
        resp.insert("description".into(), json!(format!("{code} response")));
        match kind {
            Kind::Swagger => {
                if let Some((ct, model)) = r.response_models.iter().next() {
                    resp.insert("schema".into(), json!({ "$ref": schema_ref(kind, model) }));
                    if !produces.contains(ct) {
                        produces.push(ct.clone());
                    }
                }
            }
            Kind::Oas30 => {
                let content: Map<String, Value> = r
                    .response_models
                    .iter()
                    .map(|(ct, model)| (ct.clone(), json!({ "schema": { "$ref": schema_ref(kind, model) } })))
                    .collect();
                resp.insert("content".into(), Value::Object(content));
            }
        }
        let headers: Map<String, Value> = r
            .response_parameters
            .keys()
            .filter_map(|h| h.strip_prefix("method.response.header."))
            .map(|h| {
                let v = match kind {
                    Kind::Swagger => json!({ "type": "string" }),
                    Kind::Oas30 => json!({ "schema": { "type": "string" } }),
                };
                (h.to_string(), v)
            })
            .collect();
        if !headers.is_empty() {
            resp.insert("headers".into(), Value::Object(headers));
        }
        responses.insert(code.clone(), Value::Object(resp));
    }
    if kind == Kind::Swagger && !produces.is_empty() {
        op.insert("produces".into(), json!(produces));
    }
    op.insert("responses".into(), Value::Object(responses));
    if m.api_key_required {
        op.insert("security".into(), json!([{ "api_key": [] }]));
    }
    if ext.apigateway {
        if let Some(n) = m.request_validator_id.as_deref().and_then(|id| validators.get(id)) {
            op.insert("x-amazon-apigateway-request-validator".into(), json!(n));
        }
    }
    if ext.integrations {
        if let Some(i) = &m.method_integration {
            let mut x = Map::new();
            x.insert("type".into(), json!(i.kind.to_ascii_lowercase()));
            if let Some(h) = &i.http_method {
                x.insert("httpMethod".into(), json!(h));
            }
            if let Some(u) = &i.uri {
                x.insert("uri".into(), json!(u));
            }
            if !i.request_parameters.is_empty() {
                x.insert("requestParameters".into(), json!(i.request_parameters));
            }
            if !i.request_templates.is_empty() {
                x.insert("requestTemplates".into(), json!(i.request_templates));
            }
            x.insert("passthroughBehavior".into(), json!(i.passthrough_behavior.to_ascii_lowercase()));
            if i.timeout_in_millis != apigw_app::model::TIMEOUT_MAX_MS {
                x.insert("timeoutInMillis".into(), json!(i.timeout_in_millis));
            }
            if let Some(c) = &i.credentials {
                x.insert("credentials".into(), json!(c));
            }
            if i.cache_namespace != resource_id {
                x.insert("cacheNamespace".into(), json!(i.cache_namespace));
            }
            if !i.cache_key_parameters.is_empty() {
                x.insert("cacheKeyParameters".into(), json!(i.cache_key_parameters));
            }
            let mut rs = Map::new();
            for (code, r) in i.integration_responses.iter().flatten() {
                let mut v = Map::new();
                v.insert("statusCode".into(), json!(code));
                if !r.response_parameters.is_empty() {
                    v.insert("responseParameters".into(), json!(r.response_parameters));
                }
                if !r.response_templates.is_empty() {
                    v.insert("responseTemplates".into(), json!(r.response_templates));
                }
                rs.insert(r.selection_pattern.clone().unwrap_or_else(|| "default".into()), Value::Object(v));
            }
            if !rs.is_empty() {
                x.insert("responses".into(), Value::Object(rs));
            }
            op.insert("x-amazon-apigateway-integration".into(), Value::Object(x));
        }
    }
    Value::Object(op)
}
