//! Who is who: roles, the signed-in user, users, their sessions and the
//! audit log's entries. A leaf module (it needs only `error`), so the
//! pages, the service seam and the server functions can all use it without
//! depending on one another.

use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// Name of the session cookie. The server's middleware reads the same name.
pub const SESSION_COOKIE: &str = "apigw_session";

/// Shortest password the console accepts for an admin.
pub const MIN_PASSWORD_LEN: usize = 12;

/// What a user may do. Ordered: each role may do everything the ones
/// below it may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Read-only: pages, dashboards, logs; no Test button, no changes.
    #[default]
    Viewer,
    /// APIs, stages, keys and plans; not users or server settings.
    Editor,
    /// Everything, including users.
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::Editor, Role::Viewer];

    /// The name stored and shown: `admin`, `editor`, `viewer`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Editor => "editor",
            Role::Viewer => "viewer",
        }
    }

    /// Parses a role name, naming the choices when it is none of them.
    pub fn parse(s: &str) -> Result<Role, AppError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "admin" => Ok(Role::Admin),
            "editor" => Ok(Role::Editor),
            "viewer" => Ok(Role::Viewer),
            _ => Err(AppError::invalid("role", format!("role '{s}' must be one of admin, editor, viewer."))),
        }
    }

    /// Whether this role may do what `needed` may.
    pub fn allows(self, needed: Role) -> bool {
        self >= needed
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The person signed in to the console (or acting through an access key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionUser {
    pub id: i64,
    pub username: String,
    #[serde(default)]
    pub role: Role,
}

/// A console user as an admin sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserInfo {
    pub id: i64,
    pub username: String,
    pub role: Role,
    pub disabled: bool,
    pub created_at: i64,
    /// Live sessions now.
    pub sessions: i64,
    pub access_keys: i64,
}

/// One of the signed-in user's sessions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// The first characters of the session's hash: enough to tell them apart, useless to sign in.
    pub id: String,
    pub created_at: i64,
    pub expires_at: i64,
    /// The address it signed in from.
    pub source: String,
    /// The session this request came with.
    pub current: bool,
}

/// One change in the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    /// Unix milliseconds.
    pub at: i64,
    pub username: String,
    pub source: String,
    /// `console`, `control-api` or `cli`.
    pub via: String,
    /// The server function, or `METHOD /path` on the control API.
    pub action: String,
    /// What it acted on, in words (the arguments, secrets left out).
    pub target: String,
    pub status: i64,
}

/// Which audit entries to show, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditFilter {
    /// Only this user's changes.
    #[serde(default)]
    pub user: Option<String>,
    /// Only actions containing this text.
    #[serde(default)]
    pub action: Option<String>,
    /// Only `console`, `control-api` or `cli`.
    #[serde(default)]
    pub via: Option<String>,
    /// Entries older than this id (the next page).
    #[serde(default)]
    pub before: Option<i64>,
    /// At most this many (1–500, default 100).
    #[serde(default)]
    pub limit: Option<i64>,
}

/// A page of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// Pass as `before` for the next page; None at the end.
    pub next: Option<i64>,
}
