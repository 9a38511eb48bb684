//! ImportRestApi (`POST /restapis?mode=import`), PutRestApi
//! (`PUT /restapis/{id}?mode=merge|overwrite`) and GetExport
//! (`GET /restapis/{id}/stages/{stage}/exports/{oas30|swagger}`): the wire
//! side of `crate::openapi`. AWS passes the import and export parameters
//! as bare query keys (`basepath=prepend`, `extensions=apigateway`).

use std::collections::HashMap;

use apigw_app::error::AppError;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;
use serde_json::{json, Value};

use super::wire::{created, ok, Res};
use super::S;
use crate::openapi::export::{Extensions, Kind, Source};
use crate::openapi::{apply::Imported, BasePath, ImportOptions, Mode};

type Params = Query<HashMap<String, String>>;

fn flag(q: &HashMap<String, String>, key: &str) -> Result<bool, AppError> {
    match q.get(key).map(|v| v.to_ascii_lowercase()).as_deref() {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(other) => Err(AppError::invalid(key, format!("{key} must be true or false; '{other}' is not."))),
    }
}

fn options(q: &HashMap<String, String>) -> Result<ImportOptions, AppError> {
    let basepath = BasePath::parse(q.get("basepath").map(String::as_str).unwrap_or(""))?;
    let ignore_documentation = match q.get("ignore").map(String::as_str) {
        None => false,
        Some("documentation") => true,
        Some(other) => return Err(AppError::invalid("ignore", format!("ignore must be 'documentation'; '{other}' is not."))),
    };
    Ok(ImportOptions {
        basepath,
        ignore_documentation,
        endpoint_type: q.get("endpointConfigurationTypes").cloned(),
        fail_on_warnings: flag(q, "failonwarnings")?,
    })
}

/// The RestApi of an import with its warnings, as AWS answers (`tags`
/// always present on PutRestApi's answer).
fn answer(i: Imported, with_tags: bool) -> Value {
    let mut v = serde_json::to_value(&i.api).unwrap_or_default();
    if !i.warnings.is_empty() {
        v["warnings"] = json!(i.warnings);
    }
    if with_tags && v.get("tags").is_none() {
        v["tags"] = json!({});
    }
    v
}

/// ImportRestApi; a `POST /restapis` without `mode=import` is CreateRestApi.
pub(super) async fn import_rest_api(c: &crate::console::Console, q: &HashMap<String, String>, b: &Bytes) -> Res {
    let opts = options(q)?;
    let doc = crate::openapi::parse(b)?;
    let d = crate::openapi::import::definition(&doc, &opts)?;
    created(answer(c.apis.import_api(d, &opts).await?, false))
}

pub(super) async fn put_rest_api(State(c): S, Path(api): Path<String>, Query(q): Params, b: Bytes) -> Res {
    let mode = match q.get("mode").map(String::as_str) {
        None | Some("merge") => Mode::Merge,
        Some("overwrite") => Mode::Overwrite,
        Some(other) => return Err(AppError::invalid("mode", format!("mode must be merge or overwrite; '{other}' is not.")).into()),
    };
    c.apis.get_api(&api).await?;
    let opts = options(&q)?;
    let doc = crate::openapi::parse(&b)?;
    let d = crate::openapi::import::definition(&doc, &opts)?;
    ok(answer(c.apis.put_api(&api, d, mode, &opts).await?, true))
}

pub(super) async fn get_export(
    State(c): S,
    Path((api, stage, kind)): Path<(String, String, String)>,
    Query(q): Params,
    headers: HeaderMap,
) -> Res {
    let kind = Kind::parse(&kind)?;
    let ext = Extensions::parse(q.get("extensions").map(String::as_str))?;
    // Beyond AWS: `accept=yaml` in the query, for the console's download links (a link cannot set Accept).
    let accept = match q.get("accept").map(String::as_str) {
        Some("yaml") => "application/yaml",
        Some("json") => "application/json",
        _ => headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("application/json"),
    };
    let yaml = accept.contains("yaml");
    if !yaml && !accept.contains("json") && !accept.contains("*/*") {
        return Err(AppError::invalid("accepts", format!("Accept must be application/json or application/yaml; '{accept}' is not.")).into());
    }
    let rest_api = c.apis.get_api(&api).await?;
    let st = c.deploys.stage(&api, &stage).await?;
    // What the stage serves: the deployment's resources and items (current
    // items only for deployments made before items were captured).
    let captured = c.deploys.captured(&api, &st.deployment_id).await?;
    let resources = captured.resources;
    let deployment = c.deploys.deployment(&api, &st.deployment_id).await?;
    let fallback_version = time::OffsetDateTime::from_unix_timestamp(deployment.created_date)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default();
    let models = match captured.models {
        Some(m) => m,
        None => c.apis.models(&api).await?,
    };
    let validators = match captured.request_validators {
        Some(v) => v,
        None => c.apis.request_validators(&api).await?,
    };
    let gateway_responses = match captured.gateway_responses {
        Some(g) => g,
        None => c.apis.gateway_responses(&api).await?,
    };
    let src = Source {
        api: &rest_api,
        stage: &stage,
        resources: &resources,
        models: &models,
        validators: &validators,
        gateway_responses: &gateway_responses,
        gateway_url: c.gateway_url(),
        fallback_version: fallback_version.clone(),
    };
    let doc = crate::openapi::export::document(&src, kind, ext);
    let version = rest_api.settings.version.clone().unwrap_or(fallback_version);
    let (body, ctype, suffix) = if yaml {
        (crate::openapi::to_yaml(&doc)?, "application/yaml", "yaml")
    } else {
        (serde_json::to_string_pretty(&doc).map_err(crate::auth::internal)?, "application/octet-stream", "json")
    };
    let disposition = format!("attachment; filename=\"{}_{}.{suffix}\"", kind.as_str(), version.replace(['"', '\\', '/'], "_"));
    Ok((StatusCode::OK, [(header::CONTENT_TYPE, ctype.to_string()), (header::CONTENT_DISPOSITION, disposition)], body).into_response())
}

/// ImportDocumentationParts: the `x-amazon-apigateway-documentation` parts
/// of an OpenAPI document, merged (default) or overwriting the API's.
pub(super) async fn import_documentation_parts(State(c): S, Path(api): Path<String>, Query(q): Params, b: Bytes) -> Res {
    let mode = match q.get("mode").map(String::as_str) {
        None | Some("merge") => Mode::Merge,
        Some("overwrite") => Mode::Overwrite,
        Some(other) => return Err(AppError::invalid("mode", format!("mode must be merge or overwrite; '{other}' is not.")).into()),
    };
    flag(&q, "failonwarnings")?;
    c.apis.api_exists(&api).await?;
    let doc = crate::openapi::parse(&b)?;
    let parts = crate::openapi::import::documentation_parts(&doc)?;
    ok(json!({ "ids": c.apis.write_documentation(&api, &parts, mode).await? }))
}
