//! Users, roles, sessions and the audit log: the types the console shows
//! and the server functions behind them. Who may call which function is
//! the server's table (`server/src/roles.rs`); these functions only carry
//! the request to the service.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::identity::Role;
use crate::identity::{AuditFilter, AuditPage, SessionInfo, UserInfo};

/// Every user (admins only).
#[server(prefix = "/api", endpoint = "users_list")]
pub async fn list_users() -> Result<Vec<UserInfo>, AppError> {
    crate::service::authed("users_list", move |s, _| async move { s.list_users().await }).await
}

/// Adds a user with a role (admins only).
#[server(prefix = "/api", endpoint = "user_create")]
pub async fn create_user(username: String, password: String, role: String) -> Result<UserInfo, AppError> {
    crate::service::authed("user_create", move |s, _| async move { s.create_user(&username, &password, Role::parse(&role)?).await }).await
}

/// Changes a user's role and whether they may sign in (admins only). At
/// least one enabled admin always remains.
#[server(prefix = "/api", endpoint = "user_update")]
pub async fn update_user(id: i64, role: String, disabled: bool) -> Result<(), AppError> {
    crate::service::authed("user_update", move |s, _| async move { s.update_user(id, Role::parse(&role)?, disabled).await }).await
}

/// Removes a user, their sessions and their access keys (admins only).
#[server(prefix = "/api", endpoint = "user_delete")]
pub async fn delete_user(id: i64) -> Result<(), AppError> {
    crate::service::authed("user_delete", move |s, _| async move { s.delete_user(id).await }).await
}

/// Sets a user's password and signs them out everywhere (admins only).
#[server(prefix = "/api", endpoint = "user_reset_password")]
pub async fn reset_password(id: i64, password: String) -> Result<(), AppError> {
    crate::service::authed("user_reset_password", move |s, _| async move { s.reset_password(id, &password).await }).await
}

/// Changes the signed-in user's own password; the current one is required.
/// Their other sessions end.
#[server(prefix = "/api", endpoint = "password_change")]
pub async fn change_password(current: String, password: String, confirm: String) -> Result<(), AppError> {
    crate::service::authed("password_change", move |s, user| async move {
        if password != confirm {
            return Err(AppError::invalid("confirm", "The two passwords do not match."));
        }
        let token = crate::service::request_cookie(crate::identity::SESSION_COOKIE).unwrap_or_default();
        s.change_password(&user, &current, &password, &token).await
    })
    .await
}

/// The signed-in user's live sessions.
#[server(prefix = "/api", endpoint = "sessions_mine")]
pub async fn my_sessions() -> Result<Vec<SessionInfo>, AppError> {
    crate::service::authed("sessions_mine", move |s, user| async move {
        let token = crate::service::request_cookie(crate::identity::SESSION_COOKIE).unwrap_or_default();
        s.my_sessions(&user, &token).await
    })
    .await
}

/// Signs the user out everywhere but here; returns how many sessions ended.
#[server(prefix = "/api", endpoint = "sessions_end_others")]
pub async fn end_other_sessions() -> Result<u64, AppError> {
    crate::service::authed("sessions_end_others", move |s, user| async move {
        let token = crate::service::request_cookie(crate::identity::SESSION_COOKIE).unwrap_or_default();
        s.end_other_sessions(&user, &token).await
    })
    .await
}

/// A page of the audit log (admins only).
#[server(prefix = "/api", endpoint = "audit_list", input = Json)]
pub async fn audit_log(filter: AuditFilter) -> Result<AuditPage, AppError> {
    crate::service::authed("audit_list", move |s, _| async move { s.audit_log(filter).await }).await
}
