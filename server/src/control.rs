//! The control API: Amazon API Gateway's `apigateway` 2015-07-09 REST wire
//! format on the console listener, so the AWS CLI and SDKs work unchanged.
//! Requests are signed with AWS Signature V4 using an access key made in the
//! console, or carry a console session.

use std::sync::Arc;

use apigw_app::auth::{SessionUser, SESSION_COOKIE};
use apigw_app::error::AppError;
use apigw_app::model::{
    CreateApiKeyInput, CreateDeploymentInput, CreateRestApiInput, CreateStageInput, CreateUsagePlanKeyInput, DryRunInput, PatchInput,
    PutIntegrationInput, PutIntegrationResponseInput, PutMethodInput, PutMethodResponseInput, Resource, TestInvokeInput, UsagePlanInput,
};
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::access_keys::KeyLookup;
use crate::console::{cookie_value, is_cross_site, Console};
use crate::sigv4::{self, SignedRequest};

/// Largest control-API request body.
const MAX_BODY: usize = 10 * 1024 * 1024;

/// An AWS-shaped error: `{"message": …}` with `x-amzn-ErrorType`.
pub fn aws_error(status: StatusCode, kind: &str, message: &str) -> Response {
    let mut res = (status, Json(json!({ "message": message }))).into_response();
    if let Ok(v) = HeaderValue::from_str(kind) {
        res.headers_mut().insert(HeaderName::from_static("x-amzn-errortype"), v);
    }
    res
}

/// A control-API failure, answered in AWS's error shape.
pub enum ControlError {
    /// A rule of the operation was broken, or the server failed.
    App(AppError),
    /// The body is not JSON at all: AWS's `SerializationException`.
    Serialization(String),
}

impl From<AppError> for ControlError {
    fn from(e: AppError) -> Self {
        Self::App(e)
    }
}

impl IntoResponse for ControlError {
    fn into_response(self) -> Response {
        let e = match self {
            ControlError::App(e) => e,
            ControlError::Serialization(m) => return aws_error(StatusCode::BAD_REQUEST, "SerializationException", &m),
        };
        let msg = e.to_string();
        let (status, kind) = match &e {
            AppError::Invalid { .. } => (StatusCode::BAD_REQUEST, "BadRequestException"),
            AppError::NotFound(_) => (StatusCode::NOT_FOUND, "NotFoundException"),
            AppError::Conflict(_) => (StatusCode::CONFLICT, "ConflictException"),
            AppError::Unauthorized => (StatusCode::FORBIDDEN, "MissingAuthenticationTokenException"),
            AppError::Forbidden(_) => (StatusCode::FORBIDDEN, "AccessDeniedException"),
            AppError::Locked(_) => (StatusCode::TOO_MANY_REQUESTS, "TooManyRequestsException"),
            AppError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "InternalFailure"),
        };
        aws_error(status, kind, &msg)
    }
}

type Res = Result<Response, ControlError>;

fn created<T: serde::Serialize>(v: T) -> Res {
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

fn ok<T: serde::Serialize>(v: T) -> Res {
    Ok(Json(v).into_response())
}

fn status(code: StatusCode) -> Res {
    Ok(code.into_response())
}

/// Parses a JSON body; an empty body is the input's default. Text that is
/// not JSON is a `SerializationException`; JSON of the wrong shape is a
/// `BadRequestException` naming the field (`throttle.rateLimit: expected a
/// number…`), as one rule shared by every operation.
fn body<T: DeserializeOwned + Default>(bytes: &Bytes) -> Result<T, ControlError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    parse_json(bytes)
}

/// The JSON rule behind [`body`], for any input type.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ControlError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let parsed = serde_path_to_error::deserialize(&mut de);
    if parsed.is_ok() {
        // Anything but whitespace after the value is not JSON.
        de.end()
            .map_err(|e| ControlError::Serialization(format!("Could not parse the request body as JSON: {}.", without_position(&e))))?;
    }
    parsed.map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let text = without_position(&inner);
        match inner.classify() {
            serde_json::error::Category::Data if path != "." => {
                ControlError::App(AppError::invalid(path.clone(), format!("{path}: {text}.")))
            }
            serde_json::error::Category::Data => ControlError::App(AppError::invalid("body", format!("The request body: {text}."))),
            _ => ControlError::Serialization(format!("Could not parse the request body as JSON: {text}.")),
        }
    })
}

/// serde's text without its " at line 1 column 20": the field's name says more.
fn without_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    text.rsplit_once(" at line ").map_or(text.as_str(), |(t, _)| t).to_string()
}

/// AWS lists: `{"item": [...], "position": ...}`.
fn list<T: serde::Serialize>(items: Vec<T>, position: Option<String>) -> Value {
    let mut v = json!({ "item": items });
    if let Some(p) = position {
        v["position"] = json!(p);
    }
    v
}

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

async fn create_rest_api(State(c): S, b: Bytes) -> Res {
    created(c.apis.create_api(body::<CreateRestApiInput>(&b)?).await?)
}

async fn get_rest_apis(State(c): S, Query(q): Query<ListQuery>) -> Res {
    let (items, next) = c.apis.list_apis(q.position.as_deref(), q.limit).await?;
    ok(list(items, next))
}

async fn get_rest_api(State(c): S, Path(api): Path<String>) -> Res {
    ok(c.apis.get_api(&api).await?)
}

async fn update_rest_api(State(c): S, Path(api): Path<String>, b: Bytes) -> Res {
    ok(c.apis.update_api(&api, &body::<PatchInput>(&b)?.patch_operations).await?)
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
    ok(c.apis.update_method(&api, &rid, &verb, &body::<PatchInput>(&b)?.patch_operations).await?)
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
    ok(c.deploys.update_stage(&api, &name, &body::<PatchInput>(&b)?.patch_operations).await?)
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

async fn create_api_key(State(c): S, b: Bytes) -> Res {
    created(c.plans.create_key(body::<CreateApiKeyInput>(&b)?).await?)
}

async fn get_api_keys(State(c): S, Query(q): Query<KeysQuery>) -> Res {
    let (items, next) = crate::plans::page(c.plans.keys(q.name.as_deref()).await?, q.position.as_deref(), q.limit)?;
    ok(list(items, next))
}

async fn get_api_key(State(c): S, Path(id): Path<String>) -> Res {
    ok(c.plans.key(&id).await?)
}

async fn update_api_key(State(c): S, Path(id): Path<String>, b: Bytes) -> Res {
    ok(c.plans.update_key(&id, &body::<PatchInput>(&b)?.patch_operations).await?)
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
    ok(c.plans.update_plan(&id, &body::<PatchInput>(&b)?.patch_operations).await?)
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

async fn unknown_operation(req: Request) -> Response {
    aws_error(
        StatusCode::NOT_FOUND,
        "UnknownOperationException",
        &format!("No control-API operation matches {} {}.", req.method(), req.uri().path()),
    )
}

/// Reads a request body up to [`MAX_BODY`]; a larger one is AWS's 413.
async fn bounded_body(body: Body) -> Result<Bytes, Response> {
    axum::body::to_bytes(body, MAX_BODY).await.map_err(|_| {
        aws_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "BadRequestException",
            "Request Too Long: the request body is larger than 10 MB (10485760 bytes).",
        )
    })
}

/// Authenticates a control-API request (a valid SigV4 signature, or a
/// console session), checks that the user's role allows it, runs it, and
/// writes a change to the audit log. Anything refused is answered in AWS's words.
async fn control_auth(State(c): S, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let via_key = parts.headers.contains_key(header::AUTHORIZATION);
    let (user, bytes) = if via_key {
        let authz = parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        let cred = match sigv4::parse_authorization(&authz) {
            Ok(cred) => cred,
            Err(e) => return aws_error(StatusCode::FORBIDDEN, e.aws_type(), &e.message()),
        };
        let (secret, user) = match c.access_keys.secret(&cred.access_key_id).await {
            Ok(KeyLookup::Found(secret, user)) => (secret, user),
            Ok(KeyLookup::OwnerDisabled(name)) => {
                return aws_error(
                    StatusCode::FORBIDDEN,
                    "UnrecognizedClientException",
                    &format!("The security token included in the request is invalid: its user '{name}' is disabled."),
                )
            }
            Ok(KeyLookup::Unknown) => {
                return aws_error(
                    StatusCode::FORBIDDEN,
                    "UnrecognizedClientException",
                    "The security token included in the request is invalid. No access key with this id exists; create one in the console under Settings → Access keys.",
                )
            }
            Err(e) => return ControlError::App(crate::auth::internal(e)).into_response(),
        };
        let bytes = match bounded_body(body).await {
            Ok(b) => b,
            Err(res) => return res,
        };
        let signed = SignedRequest {
            method: parts.method.as_str(),
            raw_path: parts.uri.path(),
            raw_query: parts.uri.query().unwrap_or(""),
            headers: &parts.headers,
            body: &bytes,
        };
        if let Err(e) = sigv4::verify(&signed, &cred, &secret, crate::store::now_secs(), &c.regions) {
            return aws_error(StatusCode::FORBIDDEN, e.aws_type(), &e.message());
        }
        c.access_keys.touch(&cred.access_key_id).await;
        (user, bytes)
    } else {
        let token = cookie_value(&parts.headers, SESSION_COOKIE).map(str::to_string).filter(|t| !t.is_empty());
        let Some(token) = token else {
            return aws_error(StatusCode::FORBIDDEN, "MissingAuthenticationTokenException", "Missing Authentication Token");
        };
        let bytes = match bounded_body(body).await {
            Ok(b) => b,
            Err(res) => return res,
        };
        let req = Request::from_parts(parts, Body::empty());
        if is_cross_site(&req) {
            return aws_error(StatusCode::FORBIDDEN, "AccessDeniedException", "Cross-site request refused.");
        }
        parts = req.into_parts().0;
        match c.auth.session_user(&token).await {
            Ok(Some(user)) => (user, bytes),
            Ok(None) => return aws_error(StatusCode::FORBIDDEN, "MissingAuthenticationTokenException", "Missing Authentication Token"),
            Err(e) => return ControlError::App(crate::auth::internal(e)).into_response(),
        }
    };

    let need = crate::roles::control_api(&parts.method);
    // The path as the client sent it: the router has not stripped the nest prefix yet at this layer.
    let op = format!("{} {}", parts.method, parts.uri.path());
    if !user.role.allows(need) {
        return aws_error(
            StatusCode::FORBIDDEN,
            "AccessDeniedException",
            &format!(
                "User: {} (role {}) is not authorized to perform: {op}. It needs the {need} role; ask an admin.",
                user.username, user.role
            ),
        );
    }
    let audited = crate::roles::control_api_changes(&parts.method, parts.uri.path());
    let source =
        parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip().to_string()).unwrap_or_default();
    let target = if audited { crate::audit::summarize_body(&bytes) } else { String::new() };
    parts.extensions.insert::<SessionUser>(user.clone());
    let res = next.run(Request::from_parts(parts, Body::from(bytes))).await;
    if audited {
        crate::audit::record(&c.store, crate::audit::Actor::User(&user), &source, "control-api", &op, &target, res.status().as_u16()).await;
    }
    res
}

/// The control API's routes, behind SigV4-or-session authentication.
pub fn router(console: Arc<Console>) -> Router {
    const M: &str = "/{api}/resources/{rid}/methods/{verb}";
    let ops = Router::new()
        .route("/", get(get_rest_apis).post(create_rest_api))
        .route("/{api}", get(get_rest_api).patch(update_rest_api).delete(delete_rest_api))
        .route("/{api}/resources", get(get_resources))
        .route("/{api}/resources/{rid}", get(get_resource).post(create_resource).delete(delete_resource))
        .route(M, get(get_method).put(put_method).patch(update_method).delete(delete_method).post(test_invoke_method))
        .route(&format!("{M}/integration"), get(get_integration).put(put_integration).delete(delete_integration))
        .route(&format!("{M}/responses/{{code}}"), put(put_method_response).get(get_method_response))
        .route(&format!("{M}/integration/responses/{{code}}"), put(put_integration_response).get(get_integration_response))
        .route("/{api}/deployments", get(get_deployments).post(create_deployment))
        .route("/{api}/deployments/{id}", get(get_deployment))
        .route("/{api}/stages", get(get_stages).post(create_stage))
        .route("/{api}/stages/{name}", get(get_stage).patch(update_stage).delete(delete_stage))
        .route("/{api}/stages/{name}/metrics", get(get_stage_metrics))
        .route("/{api}/stages/{name}/dryrun", axum::routing::post(stage_dry_run))
        .fallback(unknown_operation);
    let keys = Router::new()
        .route("/", get(get_api_keys).post(create_api_key))
        .route("/{id}", get(get_api_key).patch(update_api_key).delete(delete_api_key))
        .fallback(unknown_operation);
    let plans = Router::new()
        .route("/", get(get_usage_plans).post(create_usage_plan))
        .route("/{id}", get(get_usage_plan).patch(update_usage_plan).delete(delete_usage_plan))
        .route("/{id}/keys", get(get_usage_plan_keys).post(create_usage_plan_key))
        .route("/{id}/keys/{key}", get(get_usage_plan_key).delete(delete_usage_plan_key))
        .route("/{id}/usage", get(get_usage))
        .fallback(unknown_operation);
    Router::new()
        .nest("/restapis", ops)
        .nest("/apikeys", keys)
        .nest("/usageplans", plans)
        .layer(middleware::from_fn_with_state(console.clone(), control_auth))
        // control_auth has read and bounded the body; the handlers' extractors must not cut it at axum's 2 MB default.
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .with_state(console)
}
