//! The wire routes of an API's models, request validators, gateway
//! responses, documentation parts and versions, and authorizers
//! (`/restapis/{id}/models`, `…/requestvalidators`, `…/gatewayresponses`,
//! `…/documentation/parts|versions`, `…/authorizers`). The rules are in
//! `crate::items`.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use serde_json::json;
use std::sync::Arc;

use super::wire::{body, created, list, ok, patch_ops, status, Res};
use super::S;
use crate::console::Console;
use crate::items::authorizers::Authorizer;
use crate::items::documentation::{CreateDocumentationPartInput, CreateDocumentationVersionInput, PartsQuery};
use crate::items::gateway_responses::PutGatewayResponseInput;
use crate::items::models::CreateModelInput;
use crate::items::validators::CreateRequestValidatorInput;

type Two = Path<(String, String)>;

async fn create_model(State(c): S, Path(api): Path<String>, b: Bytes) -> Res {
    created(c.apis.create_model(&api, body::<CreateModelInput>(&b)?).await?)
}
async fn get_models(State(c): S, Path(api): Path<String>) -> Res {
    ok(list(c.apis.models(&api).await?, None))
}
async fn get_model(State(c): S, Path((api, name)): Two) -> Res {
    ok(c.apis.model(&api, &name).await?)
}
async fn update_model(State(c): S, Path((api, name)): Two, b: Bytes) -> Res {
    ok(c.apis.update_model(&api, &name, &patch_ops(&b)?).await?)
}
async fn delete_model(State(c): S, Path((api, name)): Two) -> Res {
    c.apis.delete_model(&api, &name).await?;
    status(StatusCode::ACCEPTED)
}
async fn get_model_template(State(c): S, Path((api, name)): Two) -> Res {
    ok(json!({ "value": c.apis.model_template(&api, &name).await? }))
}

async fn create_validator(State(c): S, Path(api): Path<String>, b: Bytes) -> Res {
    created(c.apis.create_request_validator(&api, body::<CreateRequestValidatorInput>(&b)?).await?)
}
async fn get_validators(State(c): S, Path(api): Path<String>) -> Res {
    ok(list(c.apis.request_validators(&api).await?, None))
}
async fn get_validator(State(c): S, Path((api, id)): Two) -> Res {
    ok(c.apis.request_validator(&api, &id).await?)
}
async fn update_validator(State(c): S, Path((api, id)): Two, b: Bytes) -> Res {
    ok(c.apis.update_request_validator(&api, &id, &patch_ops(&b)?).await?)
}
async fn delete_validator(State(c): S, Path((api, id)): Two) -> Res {
    c.apis.delete_request_validator(&api, &id).await?;
    status(StatusCode::ACCEPTED)
}

async fn get_gateway_responses(State(c): S, Path(api): Path<String>) -> Res {
    ok(list(c.apis.gateway_responses(&api).await?, None))
}
async fn get_gateway_response(State(c): S, Path((api, t)): Two) -> Res {
    ok(c.apis.gateway_response(&api, &t).await?)
}
async fn put_gateway_response(State(c): S, Path((api, t)): Two, b: Bytes) -> Res {
    created(c.apis.put_gateway_response(&api, &t, body::<PutGatewayResponseInput>(&b)?).await?)
}
async fn update_gateway_response(State(c): S, Path((api, t)): Two, b: Bytes) -> Res {
    ok(c.apis.update_gateway_response(&api, &t, &patch_ops(&b)?).await?)
}
async fn delete_gateway_response(State(c): S, Path((api, t)): Two) -> Res {
    c.apis.delete_gateway_response(&api, &t).await?;
    status(StatusCode::ACCEPTED)
}

async fn create_part(State(c): S, Path(api): Path<String>, b: Bytes) -> Res {
    created(c.apis.create_documentation_part(&api, body::<CreateDocumentationPartInput>(&b)?).await?)
}
async fn get_parts(State(c): S, Path(api): Path<String>, Query(q): Query<PartsQuery>) -> Res {
    ok(list(c.apis.documentation_parts(&api, &q).await?, None))
}
async fn get_part(State(c): S, Path((api, id)): Two) -> Res {
    ok(c.apis.documentation_part(&api, &id).await?)
}
async fn update_part(State(c): S, Path((api, id)): Two, b: Bytes) -> Res {
    ok(c.apis.update_documentation_part(&api, &id, &patch_ops(&b)?).await?)
}
async fn delete_part(State(c): S, Path((api, id)): Two) -> Res {
    c.apis.delete_documentation_part(&api, &id).await?;
    status(StatusCode::ACCEPTED)
}

async fn create_version(State(c): S, Path(api): Path<String>, b: Bytes) -> Res {
    created(c.apis.create_documentation_version(&api, body::<CreateDocumentationVersionInput>(&b)?).await?)
}
async fn get_versions(State(c): S, Path(api): Path<String>) -> Res {
    ok(list(c.apis.documentation_versions(&api).await?, None))
}
async fn get_version(State(c): S, Path((api, v)): Two) -> Res {
    ok(c.apis.documentation_version(&api, &v).await?)
}
async fn update_version(State(c): S, Path((api, v)): Two, b: Bytes) -> Res {
    ok(c.apis.update_documentation_version(&api, &v, &patch_ops(&b)?).await?)
}
async fn delete_version(State(c): S, Path((api, v)): Two) -> Res {
    c.apis.delete_documentation_version(&api, &v).await?;
    status(StatusCode::ACCEPTED)
}

async fn create_authorizer(State(c): S, Path(api): Path<String>, b: Bytes) -> Res {
    created(c.apis.create_authorizer(&api, body::<Authorizer>(&b)?).await?)
}
async fn get_authorizers(State(c): S, Path(api): Path<String>) -> Res {
    ok(list(c.apis.authorizers(&api).await?, None))
}
async fn get_authorizer(State(c): S, Path((api, id)): Two) -> Res {
    ok(c.apis.authorizer(&api, &id).await?)
}
async fn update_authorizer(State(c): S, Path((api, id)): Two, b: Bytes) -> Res {
    ok(c.apis.update_authorizer(&api, &id, &patch_ops(&b)?).await?)
}
async fn delete_authorizer(State(c): S, Path((api, id)): Two) -> Res {
    c.apis.delete_authorizer(&api, &id).await?;
    status(StatusCode::ACCEPTED)
}
/// TestInvokeAuthorizer needs the authorizer runtime of the Lambda issue.
async fn test_invoke_authorizer(State(c): S, Path((api, id)): Two) -> Res {
    c.apis.authorizer(&api, &id).await?;
    Err(apigw_app::error::AppError::invalid(
        "authorizerId",
        "TestInvokeAuthorizer is not available: apigw does not run authorizers yet (they are stored only).",
    )
    .into())
}

/// These routes, to be nested under `/restapis`.
pub(super) fn routes() -> Router<Arc<Console>> {
    Router::new()
        .route("/{api}/models", get(get_models).post(create_model))
        .route("/{api}/models/{name}", get(get_model).patch(update_model).delete(delete_model))
        .route("/{api}/models/{name}/default_template", get(get_model_template))
        .route("/{api}/requestvalidators", get(get_validators).post(create_validator))
        .route("/{api}/requestvalidators/{id}", get(get_validator).patch(update_validator).delete(delete_validator))
        .route("/{api}/gatewayresponses", get(get_gateway_responses))
        .route(
            "/{api}/gatewayresponses/{t}",
            get(get_gateway_response).put(put_gateway_response).patch(update_gateway_response).delete(delete_gateway_response),
        )
        .route("/{api}/documentation/parts", get(get_parts).post(create_part).put(super::openapi::import_documentation_parts))
        .route("/{api}/documentation/parts/{id}", get(get_part).patch(update_part).delete(delete_part))
        .route("/{api}/documentation/versions", get(get_versions).post(create_version))
        .route("/{api}/documentation/versions/{v}", get(get_version).patch(update_version).delete(delete_version))
        .route("/{api}/authorizers", get(get_authorizers).post(create_authorizer))
        .route(
            "/{api}/authorizers/{id}",
            get(get_authorizer).patch(update_authorizer).delete(delete_authorizer).post(test_invoke_authorizer),
        )
}
