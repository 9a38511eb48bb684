//! The one error type that crosses from server functions to the browser.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// What went wrong, in words a person can act on. Serializable so that the
/// browser receives the same value the server produced, never raw database text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// Input broke a rule. `field` names the form field so the page can show
    /// the message next to it.
    #[error("{message}")]
    Invalid { field: String, message: String },
    /// Input is outside a field's fixed set or range (AWS's
    /// `ValidationException`, where `Invalid` is its `BadRequestException`).
    #[error("{message}")]
    Constraint { field: String, message: String },
    /// No session, or it expired: the page should send the user to sign in.
    #[error("You are not signed in, or your session has ended. Sign in again.")]
    Unauthorized,
    /// Signed in, but this action is not allowed (for example setup after an admin exists).
    #[error("{0}")]
    Forbidden(String),
    /// Too many attempts; the message says how long to wait.
    #[error("{0}")]
    Locked(String),
    /// The thing asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// It would clash with something that already exists.
    #[error("{0}")]
    Conflict(String),
    /// Something failed on the server; the details are in the server log.
    #[error("Something went wrong on the server: {0}")]
    Internal(String),
}

impl AppError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid { field: field.into(), message: message.into() }
    }

    pub fn constraint(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Constraint { field: field.into(), message: message.into() }
    }

    /// The HTTP status a server function answers with this error (400, 401,
    /// 403, 404, 409, 429, 500), so scripts see a meaningful code.
    pub fn status_code(&self) -> u16 {
        match self {
            Self::Invalid { .. } | Self::Constraint { .. } => 400,
            Self::Unauthorized => 401,
            Self::Forbidden(_) => 403,
            Self::Locked(_) => 429,
            Self::NotFound(_) => 404,
            Self::Conflict(_) => 409,
            Self::Internal(_) => 500,
        }
    }

    /// The form field this error is about, if any.
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::Invalid { field, .. } | Self::Constraint { field, .. } => Some(field),
            _ => None,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Request(e) => Self::Internal(format!("the server could not be reached ({e})")),
            ServerFnErrorErr::Args(e) => Self::invalid("", format!("The request could not be read: {e}")),
            ServerFnErrorErr::MissingArg(e) => Self::invalid("", format!("The request is missing an argument: {e}")),
            // On the server, what fails to deserialize is the caller's request
            // (JSON nested too deep, a wrong type); in the browser it is the answer.
            #[cfg(feature = "ssr")]
            ServerFnErrorErr::Deserialization(e) => Self::invalid("", format!("The request could not be read: {e}")),
            other => Self::Internal(other.to_string()),
        }
    }
}
