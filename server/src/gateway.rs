//! The gateway listener: serves API traffic for deployed stages.

use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

/// An error answered by the gateway itself, shaped like Amazon API Gateway's:
/// a JSON `{"message": …}` body and an `x-amzn-ErrorType` header.
pub fn gateway_error(status: StatusCode, error_type: &'static str, message: &str) -> Response {
    let body = serde_json::json!({ "message": message }).to_string();
    (
        status,
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("application/json")),
            (HeaderName::from_static("x-amzn-errortype"), HeaderValue::from_static(error_type)),
        ],
        body,
    )
        .into_response()
}

/// The gateway's routes. Until stages are deployed, every API path is unknown.
pub fn router() -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .fallback(|| async {
            gateway_error(
                StatusCode::FORBIDDEN,
                "MissingAuthenticationTokenException",
                "Missing Authentication Token",
            )
        })
}
