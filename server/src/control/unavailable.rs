//! Operations of AWS's model whose features later issues build (custom
//! domain names and base path mappings, client certificates, VPC links,
//! SDK generation, stage caches): routed, and answered as AWS answers what
//! an account does not have. Lists are empty and lookups are AWS's
//! not-found; creating one is a `BadRequestException` that says the feature
//! is not available in apigw yet.

use apigw_app::error::AppError;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::Router;
use std::sync::Arc;

use super::wire::{list, ok, status, Res};
use super::S;
use crate::console::Console;

fn empty() -> Res {
    ok(list(Vec::<()>::new(), None))
}

fn not_available(what: &str) -> Res {
    Err(AppError::invalid("operation", format!("{what} are not available in apigw yet; this request changed nothing.")).into())
}

fn not_found(msg: &str) -> Res {
    Err(AppError::NotFound(msg.to_string()).into())
}

/// Routes outside `/restapis`: domain names, client certificates, VPC links, SDK types.
pub(super) fn top_level() -> Router<Arc<Console>> {
    Router::new()
        .route("/domainnames", get(|| async { empty() }).post(|| async { not_available("Custom domain names") }))
        .route(
            "/domainnames/{name}",
            get(|| async { not_found("Invalid domain name identifier specified") })
                .patch(|| async { not_found("Invalid domain name identifier specified") })
                .delete(|| async { not_found("Invalid domain name identifier specified") }),
        )
        .route(
            "/domainnames/{name}/basepathmappings",
            get(|| async { not_found("Invalid domain name identifier specified") })
                .post(|| async { not_found("Invalid domain name identifier specified") }),
        )
        .route(
            "/domainnames/{name}/basepathmappings/{path}",
            get(|| async { not_found("Invalid domain name identifier specified") })
                .patch(|| async { not_found("Invalid domain name identifier specified") })
                .delete(|| async { not_found("Invalid domain name identifier specified") }),
        )
        .route("/domainnameaccessassociations", get(|| async { empty() }).post(|| async { not_available("Private custom domain names") }))
        .route(
            "/domainnameaccessassociations/{arn}",
            delete(|| async { not_found("Invalid domain name access association identifier specified") }),
        )
        .route("/rejectdomainnameaccessassociations", axum::routing::post(|| async { not_available("Private custom domain names") }))
        .route("/clientcertificates", get(|| async { empty() }).post(|| async { not_available("Client certificates") }))
        .route(
            "/clientcertificates/{id}",
            get(|| async { not_found("Invalid Client Certificate identifier specified") })
                .patch(|| async { not_found("Invalid Client Certificate identifier specified") })
                .delete(|| async { not_found("Invalid Client Certificate identifier specified") }),
        )
        .route("/vpclinks", get(|| async { empty() }).post(|| async { not_available("VPC links") }))
        .route(
            "/vpclinks/{id}",
            get(|| async { not_found("Invalid Vpc Link identifier specified") })
                .patch(|| async { not_found("Invalid Vpc Link identifier specified") })
                .delete(|| async { not_found("Invalid Vpc Link identifier specified") }),
        )
        .route("/sdktypes", get(|| async { empty() }))
        .route("/sdktypes/{id}", get(|| async { not_found("Invalid SDK type identifier specified") }))
}

/// A stage's SDK: none of AWS's SDK generators exist here.
async fn get_sdk(State(c): S, Path((api, stage, _sdk)): Path<(String, String, String)>) -> Res {
    c.deploys.stage(&api, &stage).await?;
    not_available("Generated SDKs")
}

/// Flushing a stage's cache: stages have no cache yet (the caching issue),
/// so there is nothing to flush once the stage is known to exist.
async fn flush(State(c): S, Path((api, stage)): Path<(String, String)>) -> Res {
    c.deploys.stage(&api, &stage).await?;
    status(StatusCode::ACCEPTED)
}

/// Routes under `/restapis`.
pub(super) fn under_restapis() -> Router<Arc<Console>> {
    Router::new()
        .route("/{api}/stages/{stage}/sdks/{sdk}", get(get_sdk))
        .route("/{api}/stages/{stage}/cache/data", delete(flush))
        .route("/{api}/stages/{stage}/cache/authorizers", delete(flush))
}
