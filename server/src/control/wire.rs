//! AWS's wire conventions for the control API, one rule each: the error
//! shape (`x-amzn-ErrorType` and a message), how a JSON body is read (and
//! what a malformed one answers), and the `{"item": …}` list envelope.

use apigw_app::error::AppError;
use axum::body::Bytes;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

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
            AppError::Constraint { .. } => (StatusCode::BAD_REQUEST, "ValidationException"),
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

pub(super) type Res = Result<Response, ControlError>;

pub(super) fn created<T: serde::Serialize>(v: T) -> Res {
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

pub(super) fn ok<T: serde::Serialize>(v: T) -> Res {
    Ok(Json(v).into_response())
}

pub(super) fn status(code: StatusCode) -> Res {
    Ok(code.into_response())
}

/// Parses a JSON body; an empty body is the input's default. Text that is
/// not JSON is a `SerializationException`; JSON of the wrong shape is a
/// `BadRequestException` naming the field (`throttle.rateLimit: expected a
/// number…`), as one rule shared by every operation.
pub(super) fn body<T: DeserializeOwned + Default>(bytes: &Bytes) -> Result<T, ControlError> {
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
pub(super) fn list<T: serde::Serialize>(items: Vec<T>, position: Option<String>) -> Value {
    let mut v = json!({ "item": items });
    if let Some(p) = position {
        v["position"] = json!(p);
    }
    v
}

/// An Update* operation's `patchOperations`, each op one of JSON Patch's
/// (AWS's enum; anything else is its `ValidationException`).
pub(super) fn patch_ops(bytes: &Bytes) -> Result<Vec<apigw_app::model::PatchOperation>, ControlError> {
    let ops = body::<apigw_app::model::PatchInput>(bytes)?.patch_operations;
    for (i, op) in ops.iter().enumerate() {
        if !["add", "remove", "move", "test", "replace", "copy"].contains(&op.op.as_str()) {
            return Err(ControlError::App(AppError::constraint(
                format!("patchOperations.{}.op", i + 1),
                format!(
                    "1 validation error detected: Value '{}' at 'patchOperations.{}.member.op' failed to satisfy constraint: \
                     Member must satisfy enum value set: [add, remove, move, test, replace, copy]",
                    op.op,
                    i + 1
                ),
            )));
        }
    }
    Ok(ops)
}
