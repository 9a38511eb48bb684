//! Reading a Swagger 2.0 or OpenAPI 3.0 document into a [`Definition`]:
//! paths and operations, parameters, bodies and responses, security (API
//! keys), models, and AWS's extensions. A document that cannot describe an
//! API is an error; what apigw cannot honour in an otherwise good document
//! is a warning, as AWS words its import warnings.

use std::collections::BTreeMap;

use apigw_app::error::AppError;
use apigw_app::model::{PutIntegrationInput, PutIntegrationResponseInput, PutMethodResponseInput};
use serde_json::{Map, Value};

use super::{rewrite_refs, BasePath, Definition, ImportOptions, MethodDef};
use crate::items::documentation::Location;
use crate::items::gateway_responses::PutGatewayResponseInput;

const VERBS: &[&str] = &["get", "put", "post", "delete", "options", "head", "patch"];
/// Bounds on what one document may describe, checked while reading it so a
/// hostile document costs little: AWS's limits where it has them.
const MAX_PATHS: usize = crate::apis::MAX_RESOURCES_PER_API;
const MAX_PARAMETERS_PER_METHOD: usize = 100;
const MAX_MODELS: usize = 500;
const MAX_DOCUMENTATION_PARTS: usize = 2000;
const X: &str = "x-amazon-apigateway-";

/// Which OpenAPI a document is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Flavor {
    Swagger2,
    Oas3,
}

fn bad(msg: impl Into<String>) -> AppError {
    AppError::invalid("body", msg)
}

fn ext<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    v.get(format!("{X}{name}"))
}

fn string_map(v: Option<&Value>, what: &str, warnings: &mut Vec<String>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (k, x) in v.and_then(Value::as_object).into_iter().flatten() {
        match x {
            Value::String(s) => {
                out.insert(k.clone(), s.clone());
            }
            Value::Null => {}
            other => warnings.push(format!(
                "Invalid format for '{what}'. Expected type string for property '{k}' but got '{}'",
                match other {
                    Value::Bool(b) => b.to_string(),
                    _ => other.to_string(),
                }
            )),
        }
    }
    out
}

/// Resolves a local `$ref` (`#/parameters/p`, `#/components/responses/r`…).
fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    let mut cur = v;
    for _ in 0..8 {
        let Some(r) = cur.get("$ref").and_then(Value::as_str) else { return cur };
        let Some(path) = r.strip_prefix("#/") else { return cur };
        let mut at = doc;
        for seg in path.split('/') {
            match at.get(seg.replace("~1", "/").replace("~0", "~")) {
                Some(x) => at = x,
                None => return cur,
            }
        }
        if r.starts_with("#/definitions/") || r.starts_with("#/components/schemas/") {
            return cur;
        }
        cur = at;
    }
    cur
}

/// The model a schema names (`$ref` to a definition), if it is one.
fn schema_model(schema: Option<&Value>) -> Option<String> {
    schema.and_then(|s| s.get("$ref")).and_then(Value::as_str).and_then(super::ref_model).map(str::to_string)
}

/// Reads a document. `opts` are the import's query parameters.
pub fn definition(doc: &Value, opts: &ImportOptions) -> Result<Definition, AppError> {
    let flavor = match (doc.get("swagger"), doc.get("openapi")) {
        (Some(Value::String(v)), _) if v == "2.0" => Flavor::Swagger2,
        (_, Some(Value::String(v))) if v.starts_with("3.") => Flavor::Oas3,
        _ => {
            return Err(bad("Unable to build importer with provided input: the document must declare swagger: \"2.0\" or openapi: 3.0.x."))
        }
    };
    let info = doc.get("info").and_then(Value::as_object);
    let name = info.and_then(|i| i.get("title")).and_then(Value::as_str).unwrap_or("").trim().to_string();
    if name.is_empty() {
        return Err(bad("Invalid OpenAPI input: info.title is required; it becomes the API's name."));
    }
    let mut d = Definition {
        name,
        description: info.and_then(|i| i.get("description")).and_then(Value::as_str).map(str::to_string),
        version: info
            .and_then(|i| i.get("version"))
            .and_then(|v| v.as_str().map(str::to_string).or_else(|| v.as_f64().map(|f| f.to_string()))),
        ..Default::default()
    };
    root_extensions(doc, flavor, opts, &mut d)?;

    // Models, with `$ref`s between them kept as references to models.
    let schemas = match flavor {
        Flavor::Swagger2 => doc.get("definitions"),
        Flavor::Oas3 => doc.get("components").and_then(|c| c.get("schemas")),
    };
    if schemas.and_then(Value::as_object).is_some_and(|s| s.len() > MAX_MODELS) {
        return Err(bad(format!("Invalid OpenAPI input: an API may have at most {MAX_MODELS} models.")));
    }
    for (name, schema) in schemas.and_then(Value::as_object).into_iter().flatten() {
        let mut s = schema.clone();
        if s.get("$schema").is_none() {
            if let Value::Object(m) = &mut s {
                m.insert("$schema".into(), Value::String("http://json-schema.org/draft-04/schema#".into()));
            }
        }
        rewrite_refs(&mut s, &|r| super::ref_model(r).map(|m| format!("#/models/{m}")));
        d.models.insert(name.clone(), serde_json::to_string_pretty(&s).unwrap_or_default());
    }

    let base = base_path(doc, flavor);
    let prefix = match opts.basepath {
        BasePath::Ignore => String::new(),
        BasePath::Prepend => base.clone(),
        BasePath::Split => base.trim_start_matches('/').split_once('/').map(|(_, rest)| format!("/{rest}")).unwrap_or_default(),
    };
    // Ancestors of the base path exist even without methods.
    let mut acc = String::new();
    for seg in prefix.split('/').filter(|s| !s.is_empty()) {
        acc.push('/');
        acc.push_str(seg);
        d.paths.entry(acc.clone()).or_default();
    }
    let default_validator = ext(doc, "request-validator").and_then(Value::as_str).map(str::to_string);
    let root_security = doc.get("security");
    let paths =
        doc.get("paths").and_then(Value::as_object).ok_or_else(|| bad("Invalid OpenAPI input: paths is required (it may be {})."))?;
    if paths.len() > MAX_PATHS {
        return Err(bad(format!("Invalid OpenAPI input: {} paths; an API may have at most {MAX_PATHS} resources.", paths.len())));
    }
    for (path, item) in paths {
        if !path.starts_with('/') {
            return Err(bad(format!("Invalid OpenAPI input: path '{path}' must start with '/'.")));
        }
        if path != "/" && path[1..].split('/').any(str::is_empty) {
            return Err(bad(format!("Invalid OpenAPI input: path '{path}' has an empty segment (a doubled or trailing '/').")));
        }
        let full = format!("{prefix}{}", if path == "/" && !prefix.is_empty() { "" } else { path.as_str() });
        let full = if full.is_empty() { "/".to_string() } else { full };
        let item = resolve(doc, item);
        let shared: Vec<&Value> = item.get("parameters").and_then(Value::as_array).map(|a| a.iter().collect()).unwrap_or_default();
        let mut methods = Vec::new();
        let ops = VERBS
            .iter()
            .filter_map(|v| item.get(*v).map(|op| (v.to_uppercase(), op)))
            .chain(ext(item, "any-method").map(|op| ("ANY".to_string(), op)));
        for (verb, op) in ops {
            let where_ = format!("resource '{full}' and method '{verb}'");
            let mut m = MethodDef {
                verb,
                operation_name: op.get("operationId").and_then(Value::as_str).map(str::to_string),
                validator: ext(op, "request-validator").and_then(Value::as_str).map(str::to_string).or_else(|| default_validator.clone()),
                ..Default::default()
            };
            let own = op.get("parameters").and_then(Value::as_array).map_or(0, Vec::len);
            if shared.len() + own > MAX_PARAMETERS_PER_METHOD {
                return Err(bad(format!(
                    "Invalid OpenAPI input: {where_} has {} parameters; at most {MAX_PARAMETERS_PER_METHOD}.",
                    shared.len() + own
                )));
            }
            let auth = ext(op, "auth").and_then(|a| a.get("type")).and_then(Value::as_str);
            if let Some(auth) = auth.filter(|t| !t.eq_ignore_ascii_case("none")) {
                return Err(bad(format!(
                    "The document protects {where_} with x-amazon-apigateway-auth type '{auth}'; apigw cannot check it yet, \
                     and will not import a protected method as an open one."
                )));
            }
            let params = shared.iter().copied().chain(op.get("parameters").and_then(Value::as_array).into_iter().flatten());
            for p in params {
                let p = resolve(doc, p);
                let (Some(name), Some(loc)) = (p.get("name").and_then(Value::as_str), p.get("in").and_then(Value::as_str)) else {
                    d.warnings.push(format!("A parameter of {where_} has no name or 'in'; it was ignored."));
                    continue;
                };
                let required = p.get("required").and_then(Value::as_bool).unwrap_or(false);
                let kind = match loc {
                    "path" => "path",
                    "query" => "querystring",
                    "header" => "header",
                    "body" => {
                        match schema_model(p.get("schema")) {
                            Some(model) => {
                                let cts = op.get("consumes").or_else(|| doc.get("consumes")).and_then(Value::as_array);
                                let ct = cts.and_then(|c| c.first()).and_then(Value::as_str).unwrap_or("application/json");
                                m.request_models.insert(ct.to_string(), model);
                            }
                            None => d.warnings.push(format!(
                                "The body of {where_} has an inline schema; only models (a $ref to definitions) become request models, so it was ignored."
                            )),
                        }
                        continue;
                    }
                    other => {
                        d.warnings.push(format!(
                            "Parameter '{name}' of {where_} is in '{other}', which API Gateway does not map; it was ignored."
                        ));
                        continue;
                    }
                };
                m.request_parameters.insert(format!("method.request.{kind}.{name}"), loc == "path" || required);
            }
            if let Some(body) = op.get("requestBody").map(|b| resolve(doc, b)) {
                for (ct, media) in body.get("content").and_then(Value::as_object).into_iter().flatten() {
                    match schema_model(media.get("schema")) {
                        Some(model) => {
                            m.request_models.insert(ct.clone(), model);
                        }
                        None => d.warnings.push(format!(
                            "The {ct} body of {where_} has an inline schema; only models (a $ref to components/schemas) become request models, so it was ignored."
                        )),
                    }
                }
            }
            for (code, resp) in op.get("responses").and_then(Value::as_object).into_iter().flatten() {
                if apigw_app::rules::status_code(code).is_err() {
                    d.warnings.push(format!("Response '{code}' of {where_} is not a status code; it was ignored."));
                    continue;
                }
                let resp = resolve(doc, resp);
                let params: BTreeMap<String, bool> = resp
                    .get("headers")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                    .map(|(h, _)| (format!("method.response.header.{h}"), false))
                    .collect();
                let mut models = BTreeMap::new();
                match flavor {
                    Flavor::Swagger2 => {
                        if let Some(model) = schema_model(resp.get("schema")) {
                            let cts = op.get("produces").or_else(|| doc.get("produces")).and_then(Value::as_array);
                            let ct = cts.and_then(|c| c.first()).and_then(Value::as_str).unwrap_or("application/json");
                            models.insert(ct.to_string(), model);
                        }
                    }
                    Flavor::Oas3 => {
                        for (ct, media) in resp.get("content").and_then(Value::as_object).into_iter().flatten() {
                            if let Some(model) = schema_model(media.get("schema")) {
                                models.insert(ct.clone(), model);
                            }
                        }
                    }
                }
                m.responses.insert(
                    code.clone(),
                    PutMethodResponseInput {
                        response_parameters: Some(params).filter(|p| !p.is_empty()),
                        response_models: Some(models).filter(|p| !p.is_empty()),
                    },
                );
            }
            security(doc, flavor, op.get("security").or(root_security), &where_, &mut m)?;
            if let Some(x) = ext(op, "integration") {
                integration(x, &where_, &mut m, &mut d.warnings);
            }
            methods.push(m);
        }
        d.paths.entry(full).or_default().extend(methods);
    }
    let mut builtins = Vec::new();
    for m in d.paths.values().flatten() {
        for model in m.request_models.values().chain(m.responses.values().flat_map(|r| r.response_models.iter().flatten().map(|(_, v)| v)))
        {
            if d.models.contains_key(model) {
                continue;
            }
            if model != "Empty" && model != "Error" {
                return Err(bad(format!("Invalid OpenAPI input: model '{model}' is referenced but not defined.")));
            }
            builtins.push(model.clone());
        }
        if let Some(v) = &m.validator {
            if !d.validators.contains_key(v) {
                return Err(bad(format!(
                    "Invalid OpenAPI input: request validator '{v}' is not defined in x-amazon-apigateway-request-validators."
                )));
            }
        }
    }
    // AWS's built-in models, named without a definition, are created as AWS defines them.
    for name in builtins {
        let schema = if name == "Empty" { crate::items::models::EMPTY_SCHEMA } else { crate::items::models::ERROR_SCHEMA };
        d.models.insert(name, schema.to_string());
    }
    Ok(d)
}

/// The document's base path: Swagger's `basePath`, or the path of the first
/// OpenAPI 3 server URL (its `{basePath}` variable at its default).
fn base_path(doc: &Value, flavor: Flavor) -> String {
    let raw = match flavor {
        Flavor::Swagger2 => doc.get("basePath").and_then(Value::as_str).unwrap_or("").to_string(),
        Flavor::Oas3 => {
            let server = doc.get("servers").and_then(|s| s.get(0));
            let mut url = server.and_then(|s| s.get("url")).and_then(Value::as_str).unwrap_or("").to_string();
            for (k, var) in server.and_then(|s| s.get("variables")).and_then(Value::as_object).into_iter().flatten() {
                if let Some(dflt) = var.get("default").and_then(Value::as_str) {
                    url = url.replace(&format!("{{{k}}}"), dflt);
                }
            }
            match url.split_once("://") {
                Some((_, rest)) => rest.find('/').map(|i| rest[i..].to_string()).unwrap_or_default(),
                None => url,
            }
        }
    };
    let trimmed = raw.trim_end_matches('/');
    if trimmed.is_empty() || trimmed == "/" {
        String::new()
    } else if trimmed.starts_with('/') {
        trimmed.to_string()
    } else {
        format!("/{trimmed}")
    }
}

fn root_extensions(doc: &Value, flavor: Flavor, opts: &ImportOptions, d: &mut Definition) -> Result<(), AppError> {
    if let Some(types) = ext(doc, "binary-media-types").and_then(Value::as_array) {
        d.binary_media_types = types.iter().filter_map(Value::as_str).map(str::to_string).collect();
    }
    d.api_key_source = ext(doc, "api-key-source").and_then(Value::as_str).map(str::to_string);
    d.minimum_compression_size = ext(doc, "minimum-compression-size").and_then(Value::as_i64);
    d.policy = ext(doc, "policy").map(|p| match p {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    });
    let endpoint = match flavor {
        Flavor::Swagger2 => ext(doc, "endpoint-configuration"),
        Flavor::Oas3 => doc.get("servers").and_then(|s| s.get(0)).and_then(|s| ext(s, "endpoint-configuration")),
    };
    d.disable_execute_api_endpoint = endpoint.and_then(|e| e.get("disableExecuteApiEndpoint")).and_then(Value::as_bool);
    for (name, v) in ext(doc, "request-validators").and_then(Value::as_object).into_iter().flatten() {
        let flag = |f: &str| v.get(f).and_then(Value::as_bool).unwrap_or(false);
        d.validators.insert(name.clone(), (flag("validateRequestBody"), flag("validateRequestParameters")));
    }
    for (t, v) in ext(doc, "gateway-responses").and_then(Value::as_object).into_iter().flatten() {
        let input = PutGatewayResponseInput {
            status_code: v.get("statusCode").map(|c| c.as_str().map(str::to_string).unwrap_or_else(|| c.to_string())),
            response_parameters: Some(string_map(v.get("responseParameters"), "responseParameters", &mut d.warnings)),
            response_templates: Some(string_map(v.get("responseTemplates"), "responseTemplates", &mut d.warnings)),
        };
        d.gateway_responses.insert(t.clone(), input);
    }
    if !opts.ignore_documentation {
        d.documentation = documentation_parts(doc)?;
    }
    Ok(())
}

/// The documentation parts of a document's `x-amazon-apigateway-documentation`
/// (ImportDocumentationParts reads only these).
pub fn documentation_parts(doc: &Value) -> Result<Vec<(Location, String)>, AppError> {
    let parts = ext(doc, "documentation").and_then(|x| x.get("documentationParts")).and_then(Value::as_array);
    if parts.is_some_and(|p| p.len() > MAX_DOCUMENTATION_PARTS) {
        return Err(bad(format!("Invalid OpenAPI input: an API may have at most {MAX_DOCUMENTATION_PARTS} documentation parts.")));
    }
    let mut out = Vec::new();
    for p in parts.into_iter().flatten() {
        let location: Location = serde_json::from_value(p.get("location").cloned().unwrap_or(Value::Null))
            .map_err(|e| bad(format!("Invalid OpenAPI input: a documentation part's location: {e}.")))?;
        let props = match p.get("properties") {
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
            None => "{}".into(),
        };
        out.push((location, props));
    }
    Ok(out)
}

/// An operation's `security`: an API key (`x-api-key` in the header) makes
/// the method require one. Authorizers are refused: apigw cannot run them
/// yet, and a method a document protects must never be served open.
fn security(doc: &Value, flavor: Flavor, sec: Option<&Value>, where_: &str, m: &mut MethodDef) -> Result<(), AppError> {
    let schemes = match flavor {
        Flavor::Swagger2 => doc.get("securityDefinitions"),
        Flavor::Oas3 => doc.get("components").and_then(|c| c.get("securitySchemes")),
    };
    for req in sec.and_then(Value::as_array).into_iter().flatten() {
        for (name, _) in req.as_object().into_iter().flatten() {
            let scheme = schemes
                .and_then(|s| s.get(name))
                .ok_or_else(|| bad(format!("Invalid OpenAPI input: security scheme '{name}' of {where_} is not defined.")))?;
            let is_key = scheme.get("type").and_then(Value::as_str) == Some("apiKey")
                && scheme.get("in").and_then(Value::as_str) == Some("header")
                && scheme.get("name").and_then(Value::as_str).is_some_and(|n| n.eq_ignore_ascii_case("x-api-key"))
                && ext(scheme, "authorizer").is_none();
            if !is_key {
                return Err(bad(format!(
                    "The document protects {where_} with security scheme '{name}', an authorizer; apigw cannot run authorizers yet, \
                     and will not import a protected method as an open one. Remove the scheme or import without it."
                )));
            }
            m.api_key_required = true;
        }
    }
    Ok(())
}

/// `x-amazon-apigateway-integration`: the integration and its responses.
fn integration(x: &Value, where_: &str, m: &mut MethodDef, warnings: &mut Vec<String>) {
    let kind = x.get("type").and_then(Value::as_str).unwrap_or("").to_ascii_uppercase();
    if !["HTTP", "HTTP_PROXY", "MOCK"].contains(&kind.as_str()) {
        warnings.push(format!(
            "The integration of {where_} is of type '{kind}', which apigw does not run yet (HTTP, HTTP_PROXY and MOCK only); the method was imported without an integration."
        ));
        return;
    }
    if x.get("connectionType").and_then(Value::as_str) == Some("VPC_LINK") {
        warnings.push(format!(
            "The integration of {where_} uses a VPC link, which apigw does not have; the method was imported without an integration."
        ));
        return;
    }
    let text = |f: &str| x.get(f).and_then(Value::as_str).map(str::to_string);
    if let Some(c) = text("contentHandling") {
        warnings.push(format!(
            "The integration of {where_} asks for contentHandling {c}, which apigw does not do yet; bodies pass through as they are."
        ));
    }
    m.integration = Some(PutIntegrationInput {
        credentials: text("credentials"),
        cache_namespace: text("cacheNamespace"),
        cache_key_parameters: x
            .get("cacheKeyParameters")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect()),
        tls_config: x.get("tlsConfig").and_then(|t| serde_json::from_value(t.clone()).ok()),
        kind: Some(kind),
        integration_http_method: text("httpMethod"),
        uri: text("uri"),
        timeout_in_millis: x.get("timeoutInMillis").and_then(Value::as_i64),
        passthrough_behavior: text("passthroughBehavior").map(|p| p.to_ascii_uppercase()),
        request_parameters: Some(string_map(x.get("requestParameters"), "requestParameters", warnings)).filter(|p| !p.is_empty()),
        request_templates: Some(string_map(x.get("requestTemplates"), "requestTemplates", warnings)).filter(|p| !p.is_empty()),
        ..Default::default()
    });
    let empty = Map::new();
    for (pattern, r) in x.get("responses").and_then(Value::as_object).unwrap_or(&empty) {
        let Some(code) = r.get("statusCode").map(|c| c.as_str().map(str::to_string).unwrap_or_else(|| c.to_string())) else {
            warnings.push(format!("The integration response '{pattern}' of {where_} has no statusCode; it was ignored."));
            continue;
        };
        m.integration_responses.insert(
            code,
            PutIntegrationResponseInput {
                selection_pattern: (pattern != "default").then(|| pattern.clone()),
                response_parameters: Some(string_map(r.get("responseParameters"), "responseParameters", warnings))
                    .filter(|p| !p.is_empty()),
                response_templates: Some(string_map(r.get("responseTemplates"), "responseTemplates", warnings)).filter(|p| !p.is_empty()),
            },
        );
    }
}
