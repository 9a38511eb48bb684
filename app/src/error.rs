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

    /// The form field this error is about, if any.
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Request(e) => Self::Internal(format!("the server could not be reached ({e})")),
            ServerFnErrorErr::Args(e) | ServerFnErrorErr::MissingArg(e) => Self::invalid("", format!("the request was incomplete: {e}")),
            other => Self::Internal(other.to_string()),
        }
    }
}
