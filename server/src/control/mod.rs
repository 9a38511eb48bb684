//! The control API: Amazon API Gateway's `apigateway` 2015-07-09 REST wire
//! format on the console listener, so the AWS CLI and SDKs work unchanged.
//! Requests are signed with AWS Signature V4 using an access key made in the
//! console, or carry a console session.

use std::sync::Arc;

use apigw_app::error::AppError;
use apigw_app::model::{
    CreateApiKeyInput, CreateDeploymentInput, CreateRestApiInput, CreateStageInput, CreateUsagePlanKeyInput, DryRunInput,
    PutIntegrationInput, PutIntegrationResponseInput, PutMethodInput, PutMethodResponseInput, Resource, TestInvokeInput, UsagePlanInput,
};
use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::middleware;
use axum::response::Response;
use axum::routing::{get, put};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::console::Console;

mod account;
mod authn;
mod items;
mod openapi;
mod tags;
mod unavailable;
mod wire;

pub use wire::{aws_error, parse_json, ControlError};
use wire::{body, created, list, ok, patch_ops, status, Res};

/// Without `embed=methods`, AWS shows only which methods exist.
fn summarize_methods(r: &Resource, embed: bool) -> Value {
    let mut v = serde_json::to_value(r).unwrap_or_default();
    if !embed {
        if let Some(methods) = &r.resource_methods {
            v["resourceMethods"] = methods.keys().map(|k| (k.clone(), json!({}))).collect::<serde_json::Map<_, _>>().into();
        }
    }
    v
}

#[derive(Deserialize, Default)]
struct ListQuery {
    position: Option<String>,
    limit: Option<i64>,
    embed: Option<String>,
}

type S = State<Arc<Console>>;

/// CreateRestApi, or ImportRestApi with `mode=import` (AWS's one path for both).
async fn create_rest_api(State(c): S, Query(q): Query<std::collections::HashMap<String, String>>, b: Bytes) -> Res {
    match q.get("mode").map(String::as_str) {
        Some("import") => openapi::import_rest_api(&c, &q, &b).await,
        Some(other) => Err(AppError::invalid("mode", format!("mode must be 'import' on POST /restapis; '{other}' is not.")).into()),
        None => created(c.apis.create_api(body::<CreateRestApiInput>(&b)?).await?),
    }
}

async fn get_rest_apis(State(c): S, Query(q): Query<ListQuery>) -> Res {
    let (items, next) = c.apis.list_apis(q.position.as_deref(), q.limit).await?;
    ok(list(items, next))
}

async fn get_rest_api(State(c): S, Path(api): Path<String>) -> Res {
    ok(c.apis.get_api(&api).await?)
}

async fn update_rest_api(State(c): S, Path(api): Path<String>, b: Bytes) -> Res {
    ok(c.apis.update_api(&api, &patch_ops(&b)?).await?)
}

async fn delete_rest_api(State(c): S, Path(api): Path<String>) -> Res {
    c.apis.delete_api(&api).await?;
    status(StatusCode::ACCEPTED)
}

async fn get_resources(State(c): S, Path(api): Path<String>, Query(q): Query<ListQuery>) -> Res {
    let embed = q.embed.as_deref().is_some_and(|e| e.split(',').any(|x| x == "methods"));
    let items: Vec<Value> = c.apis.resources(&api).await?.iter().map(|r| summarize_methods(r, embed)).collect();
    ok(list(items, None))
}

async fn get_resource(State(c): S, Path((api, rid)): Path<(String, String)>, Query(q): Query<ListQuery>) -> Res {
    let embed = q.embed.as_deref().is_some_and(|e| e.split(',').any(|x| x == "methods"));
    ok(summarize_methods(&c.apis.resource(&api, &rid).await?, embed))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct CreateResourceInput {
    path_part: Option<String>,
}

async fn create_resource(State(c): S, Path((api, parent)): Path<(String, String)>, b: Bytes) -> Res {
    let input = body::<CreateResourceInput>(&b)?;
    let part = input.path_part.ok_or_else(|| AppError::invalid("pathPart", "pathPart is required."))?;
    created(c.apis.create_resource(&api, &parent, &part).await?)
}

async fn update_resource(State(c): S, Path((api, rid)): Path<(String, String)>, b: Bytes) -> Res {
    ok(c.apis.update_resource(&api, &rid, &patch_ops(&b)?).await?)
}

async fn delete_resource(State(c): S, Path((api, rid)): Path<(String, String)>) -> Res {
    c.apis.delete_resource(&api, &rid).await?;
    status(StatusCode::ACCEPTED)
}

type MethodPath = Path<(String, String, String)>;

async fn put_method(State(c): S, Path((api, rid, verb)): MethodPath, b: Bytes) -> Res {
    created(c.apis.put_method(&api, &rid, &verb, body::<PutMethodInput>(&b)?).await?)
}

async fn get_method(State(c): S, Path((api, rid, verb)): MethodPath) -> Res {
    ok(c.apis.method(&api, &rid, &verb).await?)
}

async fn update_method(State(c): S, Path((api, rid, verb)): MethodPath, b: Bytes) -> Res {
    ok(c.apis.update_method(&api, &rid, &verb, &patch_ops(&b)?).await?)
}

async fn test_invoke_method(State(c): S, Path((api, rid, verb)): MethodPath, b: Bytes) -> Res {
    ok(crate::testinvoke::test_invoke(&c.apis, &c.gateway, &api, &rid, &verb, body::<TestInvokeInput>(&b)?).await?)
}

async fn delete_method(State(c): S, Path((api, rid, verb)): MethodPath) -> Res {
    c.apis.delete_method(&api, &rid, &verb).await?;
    status(StatusCode::NO_CONTENT)
}

async fn put_integration(State(c): S, Path((api, rid, verb)): MethodPath, b: Bytes) -> Res {
    created(c.apis.put_integration(&api, &rid, &verb, body::<PutIntegrationInput>(&b)?).await?)
}

async fn get_integration(State(c): S, Path((api, rid, verb)): MethodPath) -> Res {
    ok(c.apis.integration(&api, &rid, &verb).await?)
}

async fn update_integration(State(c): S, Path((api, rid, verb)): MethodPath, b: Bytes) -> Res {
    ok(c.apis.update_integration(&api, &rid, &verb, &patch_ops(&b)?).await?)
}

async fn delete_integration(State(c): S, Path((api, rid, verb)): MethodPath) -> Res {
    c.apis.delete_integration(&api, &rid, &verb).await?;
    status(StatusCode::NO_CONTENT)
}

type StatusPath = Path<(String, String, String, String)>;

async fn put_method_response(State(c): S, Path((api, rid, verb, code)): StatusPath, b: Bytes) -> Res {
    created(c.apis.put_method_response(&api, &rid, &verb, &code, body::<PutMethodResponseInput>(&b)?).await?)
}

async fn get_method_response(State(c): S, Path((api, rid, verb, code)): StatusPath) -> Res {
    let m = c.apis.method(&api, &rid, &verb).await?;
    let r = m.method_responses.and_then(|mut r| r.remove(&code));
    ok(r.ok_or_else(|| AppError::NotFound("Invalid Response status code specified".into()))?)
}

/// AWS answers UpdateMethodResponse with 201, as its model says.
async fn update_method_response(State(c): S, Path((api, rid, verb, code)): StatusPath, b: Bytes) -> Res {
    created(c.apis.update_method_response(&api, &rid, &verb, &code, &patch_ops(&b)?).await?)
}

async fn delete_method_response(State(c): S, Path((api, rid, verb, code)): StatusPath) -> Res {
    c.apis.delete_method_response(&api, &rid, &verb, &code).await?;
    status(StatusCode::NO_CONTENT)
}

async fn update_integration_response(State(c): S, Path((api, rid, verb, code)): StatusPath, b: Bytes) -> Res {
    ok(c.apis.update_integration_response(&api, &rid, &verb, &code, &patch_ops(&b)?).await?)
}

async fn delete_integration_response(State(c): S, Path((api, rid, verb, code)): StatusPath) -> Res {
    c.apis.delete_integration_response(&api, &rid, &verb, &code).await?;
    status(StatusCode::NO_CONTENT)
}

async fn put_integration_response(State(c): S, Path((api, rid, verb, code)): StatusPath, b: Bytes) -> Res {
    created(c.apis.put_integration_response(&api, &rid, &verb, &code, body::<PutIntegrationResponseInput>(&b)?).await?)
}

async fn get_integration_response(State(c): S, Path((api, rid, verb, code)): StatusPath) -> Res {
    let i = c.apis.integration(&api, &rid, &verb).await?;
    let r = i.integration_responses.and_then(|mut r| r.remove(&code));
    ok(r.ok_or_else(|| AppError::NotFound("Invalid Response status code specified".into()))?)
}

async fn create_deployment(State(c): S, Path(api): Path<String>, b: Bytes) -> Res {
    created(c.deploys.create_deployment(&api, body::<CreateDeploymentInput>(&b)?).await?)
}

async fn get_deployments(State(c): S, Path(api): Path<String>) -> Res {
    ok(list(c.deploys.deployments(&api).await?, None))
}

async fn get_deployment(State(c): S, Path((api, id)): Path<(String, String)>) -> Res {
    ok(c.deploys.deployment(&api, &id).await?)
}

async fn update_deployment(State(c): S, Path((api, id)): Path<(String, String)>, b: Bytes) -> Res {
    ok(c.deploys.update_deployment(&api, &id, &patch_ops(&b)?).await?)
}

async fn delete_deployment(State(c): S, Path((api, id)): Path<(String, String)>) -> Res {
    c.deploys.delete_deployment(&api, &id).await?;
    status(StatusCode::ACCEPTED)
}

async fn create_stage(State(c): S, Path(api): Path<String>, b: Bytes) -> Res {
    created(c.deploys.create_stage(&api, body::<CreateStageInput>(&b)?).await?)
}

async fn get_stages(State(c): S, Path(api): Path<String>) -> Res {
    ok(json!({ "item": c.deploys.stages(&api).await? }))
}

async fn get_stage(State(c): S, Path((api, name)): Path<(String, String)>) -> Res {
    ok(c.deploys.stage(&api, &name).await?)
}

async fn update_stage(State(c): S, Path((api, name)): Path<(String, String)>, b: Bytes) -> Res {
    ok(c.deploys.update_stage(&api, &name, &patch_ops(&b)?).await?)
}

async fn delete_stage(State(c): S, Path((api, name)): Path<(String, String)>) -> Res {
    c.deploys.delete_stage(&api, &name).await?;
    status(StatusCode::ACCEPTED)
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct KeysQuery {
    position: Option<String>,
    limit: Option<i64>,
    name: Option<String>,
    key_id: Option<String>,
    start_date: Option<String>,
    end_date: Option<String>,
}

/// CreateApiKey, or ImportApiKeys with `mode=import` (AWS's one path for both).
async fn create_api_key(State(c): S, Query(q): Query<std::collections::HashMap<String, String>>, b: Bytes) -> Res {
    match q.get("mode").map(String::as_str) {
        None => created(c.plans.create_key(body::<CreateApiKeyInput>(&b)?).await?),
        Some("import") => {
            match q.get("format").map(String::as_str) {
                Some("csv") => {}
                Some(other) => return Err(AppError::invalid("format", format!("format must be csv; '{other}' is not.")).into()),
                None => return Err(AppError::invalid("format", "format is required: csv.").into()),
            }
            let fail = match q.get("failonwarnings").map(|v| v.to_ascii_lowercase()).as_deref() {
                None | Some("false") => false,
                Some("true") => true,
                Some(other) => {
                    return Err(
                        AppError::invalid("failonwarnings", format!("failonwarnings must be true or false; '{other}' is not.")).into()
                    )
                }
            };
            let text = std::str::from_utf8(&b).map_err(|_| AppError::invalid("body", "The CSV is not UTF-8 text."))?;
            created(c.plans.import_keys(text, fail).await?)
        }
        Some(other) => Err(AppError::invalid("mode", format!("mode must be 'import' on POST /apikeys; '{other}' is not.")).into()),
    }
}

async fn get_api_keys(State(c): S, Query(q): Query<KeysQuery>) -> Res {
    let (items, next) = crate::plans::page(c.plans.keys(q.name.as_deref()).await?, q.position.as_deref(), q.limit)?;
    ok(list(items, next))
}

async fn get_api_key(State(c): S, Path(id): Path<String>) -> Res {
    ok(c.plans.key(&id).await?)
}

async fn update_api_key(State(c): S, Path(id): Path<String>, b: Bytes) -> Res {
    ok(c.plans.update_key(&id, &patch_ops(&b)?).await?)
}

async fn delete_api_key(State(c): S, Path(id): Path<String>) -> Res {
    c.plans.delete_key(&id).await?;
    status(StatusCode::ACCEPTED)
}

async fn create_usage_plan(State(c): S, b: Bytes) -> Res {
    created(c.plans.create_plan(body::<UsagePlanInput>(&b)?).await?)
}

async fn get_usage_plans(State(c): S, Query(q): Query<KeysQuery>) -> Res {
    let (items, next) = crate::plans::page(c.plans.plans(q.key_id.as_deref()).await?, q.position.as_deref(), q.limit)?;
    ok(list(items, next))
}

async fn get_usage_plan(State(c): S, Path(id): Path<String>) -> Res {
    ok(c.plans.plan(&id).await?)
}

async fn update_usage_plan(State(c): S, Path(id): Path<String>, b: Bytes) -> Res {
    ok(c.plans.update_plan(&id, &patch_ops(&b)?).await?)
}

async fn delete_usage_plan(State(c): S, Path(id): Path<String>) -> Res {
    c.plans.delete_plan(&id).await?;
    status(StatusCode::ACCEPTED)
}

async fn create_usage_plan_key(State(c): S, Path(id): Path<String>, b: Bytes) -> Res {
    created(c.plans.add_plan_key(&id, body::<CreateUsagePlanKeyInput>(&b)?).await?)
}

async fn get_usage_plan_keys(State(c): S, Path(id): Path<String>, Query(q): Query<KeysQuery>) -> Res {
    let (items, next) = crate::plans::page(c.plans.plan_keys(&id, q.name.as_deref()).await?, q.position.as_deref(), q.limit)?;
    ok(list(items, next))
}

async fn get_usage_plan_key(State(c): S, Path((id, key)): Path<(String, String)>) -> Res {
    ok(c.plans.plan_key(&id, &key).await?)
}

async fn delete_usage_plan_key(State(c): S, Path((id, key)): Path<(String, String)>) -> Res {
    c.plans.remove_plan_key(&id, &key).await?;
    status(StatusCode::ACCEPTED)
}

async fn get_usage(State(c): S, Path(id): Path<String>, Query(q): Query<KeysQuery>) -> Res {
    let start = q.start_date.ok_or_else(|| AppError::invalid("startDate", "startDate is required (YYYY-MM-DD)."))?;
    let end = q.end_date.ok_or_else(|| AppError::invalid("endDate", "endDate is required (YYYY-MM-DD)."))?;
    ok(c.plans.usage(&id, q.key_id.as_deref(), &start, &end).await?)
}

async fn update_usage(State(c): S, Path((id, key)): Path<(String, String)>, b: Bytes) -> Res {
    ok(c.plans.update_usage(&id, &key, &patch_ops(&b)?).await?)
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct MetricsQuery {
    range: Option<String>,
    resource: Option<String>,
    method: Option<String>,
}

/// Beyond AWS: a stage's metrics as JSON (`range` 15m, 1h, 6h, 24h or 7d;
/// `resource` and `method` narrow it to one method).
async fn get_stage_metrics(State(c): S, Path((api, name)): Path<(String, String)>, Query(q): Query<MetricsQuery>) -> Res {
    c.deploys.stage(&api, &name).await?;
    let only = match (q.resource.as_deref(), q.method.as_deref()) {
        (Some(r), Some(m)) => Some((r, m)),
        (None, None) => None,
        _ => return Err(AppError::invalid("method", "Give both resource and method, or neither.").into()),
    };
    let range = q.range.as_deref().unwrap_or("1h");
    ok(crate::metrics::query::stage_metrics(&c.store, &api, &name, range, only, crate::store::now_secs()).await?)
}

/// Beyond AWS: what the deployed stage would do with a request, without sending it.
async fn stage_dry_run(State(c): S, Path((api, name)): Path<(String, String)>, b: Bytes) -> Res {
    ok(crate::testinvoke::dry_run(&c.deploys, &c.gateway, &api, &name, body::<DryRunInput>(&b)?).await?)
}

/// AWS's answer to a method and path no operation serves. The path named is
/// the one the caller sent (a nested router sees only its own part).
async fn unknown_operation(axum::extract::OriginalUri(uri): axum::extract::OriginalUri, req: Request) -> Response {
    aws_error(
        StatusCode::NOT_FOUND,
        "UnknownOperationException",
        &format!("No control-API operation matches {} {}.", req.method(), uri.path()),
    )
}

/// Every control-API response carries `x-amzn-RequestId`, as AWS's do: the
/// SDKs report it (`ResponseMetadata.RequestId`) and operators quote it.
async fn request_id(req: Request, next: middleware::Next) -> Response {
    let id = crate::metrics::RequestId::fresh();
    let mut res = next.run(req).await;
    if let Ok(v) = axum::http::HeaderValue::from_str(id.as_str()) {
        res.headers_mut().insert(axum::http::HeaderName::from_static("x-amzn-requestid"), v);
    }
    res
}

/// Whether a request is signed with AWS Signature V4 (header or query
/// form): such a request is for the control API whatever its path, so a
/// path no operation serves answers in AWS's shape, never with a console page.
pub fn is_signed(req: &Request) -> bool {
    let header = req.headers().get(axum::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    header.is_some_and(|v| v.starts_with("AWS4-HMAC-SHA256")) || req.uri().query().is_some_and(|q| q.contains("X-Amz-Signature="))
}

/// The control API's routes, behind SigV4-or-session authentication.
/// `signed`: the router for signed requests, which also answers paths no
/// operation serves (`UnknownOperationException`); the other shares the
/// listener with the console, whose pages own every other path.
pub fn router(console: Arc<Console>, signed: bool) -> Router {
    const M: &str = "/{api}/resources/{rid}/methods/{verb}";
    let ops = Router::new()
        .route("/", get(get_rest_apis).post(create_rest_api))
        .route("/{api}", get(get_rest_api).patch(update_rest_api).delete(delete_rest_api).put(openapi::put_rest_api))
        .route("/{api}/resources", get(get_resources))
        .route("/{api}/resources/{rid}", get(get_resource).post(create_resource).patch(update_resource).delete(delete_resource))
        .route(M, get(get_method).put(put_method).patch(update_method).delete(delete_method).post(test_invoke_method))
        .route(&format!("{M}/integration"), get(get_integration).put(put_integration).patch(update_integration).delete(delete_integration))
        .route(
            &format!("{M}/responses/{{code}}"),
            put(put_method_response).get(get_method_response).patch(update_method_response).delete(delete_method_response),
        )
        .route(
            &format!("{M}/integration/responses/{{code}}"),
            put(put_integration_response)
                .get(get_integration_response)
                .patch(update_integration_response)
                .delete(delete_integration_response),
        )
        .route("/{api}/deployments", get(get_deployments).post(create_deployment))
        .route("/{api}/deployments/{id}", get(get_deployment).patch(update_deployment).delete(delete_deployment))
        .route("/{api}/stages", get(get_stages).post(create_stage))
        .route("/{api}/stages/{name}", get(get_stage).patch(update_stage).delete(delete_stage))
        .route("/{api}/stages/{name}/metrics", get(get_stage_metrics))
        .route("/{api}/stages/{name}/exports/{kind}", get(openapi::get_export))
        .route("/{api}/stages/{name}/dryrun", axum::routing::post(stage_dry_run))
        .merge(items::routes())
        .merge(unavailable::under_restapis())
        .fallback(unknown_operation)
        .method_not_allowed_fallback(unknown_operation);
    let keys = Router::new()
        .route("/", get(get_api_keys).post(create_api_key))
        .route("/{id}", get(get_api_key).patch(update_api_key).delete(delete_api_key))
        .fallback(unknown_operation)
        .method_not_allowed_fallback(unknown_operation);
    let plans = Router::new()
        .route("/", get(get_usage_plans).post(create_usage_plan))
        .route("/{id}", get(get_usage_plan).patch(update_usage_plan).delete(delete_usage_plan))
        .route("/{id}/keys", get(get_usage_plan_keys).post(create_usage_plan_key))
        .route("/{id}/keys/{key}", get(get_usage_plan_key).delete(delete_usage_plan_key))
        .route("/{id}/usage", get(get_usage))
        .route("/{id}/keys/{key}/usage", axum::routing::patch(update_usage))
        .fallback(unknown_operation)
        .method_not_allowed_fallback(unknown_operation);
    let tagging = Router::new()
        .route("/{arn}", get(tags::get_tags).put(tags::tag_resource).delete(tags::untag_resource))
        .fallback(unknown_operation)
        .method_not_allowed_fallback(unknown_operation);
    let mut router = Router::new().nest("/restapis", ops).nest("/apikeys", keys).nest("/usageplans", plans).nest("/tags", tagging);
    if signed {
        // The console's pages own these paths for a browser (`/account` is
        // the signed-in user's page); a signed request means the control API.
        router = router
            .route("/account", get(account::get_account).patch(account::update_account))
            .merge(unavailable::top_level())
            .fallback(unknown_operation)
            .method_not_allowed_fallback(unknown_operation);
    }
    router
        .layer(middleware::from_fn_with_state(console.clone(), authn::control_auth))
        // control_auth has read and bounded the body; the handlers' extractors must not cut it at axum's 2 MB default.
        .layer(axum::extract::DefaultBodyLimit::max(authn::MAX_BODY))
        .layer(middleware::from_fn(request_id))
        .with_state(console)
}
