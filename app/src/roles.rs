//! Who may call which console server function: one table, enforced by
//! `service::authed` for every call (from the browser, and from pages
//! rendered on the server, which call server functions directly). A
//! server function missing from the table is refused to everyone, and a
//! test in the server crate lists the registered ones to catch it first.

use crate::error::AppError;
use crate::identity::{Role, SessionUser};

/// The role each server function (its endpoint under `/api/`) needs.
/// `setup` and `login` are public and never reach this table.
pub const SERVER_FNS: &[(&str, Role)] = &[
    // Anyone signed in: themselves, and reading.
    ("logout", Role::Viewer),
    ("whoami", Role::Viewer),
    ("password_change", Role::Viewer),
    ("sessions_mine", Role::Viewer),
    ("sessions_end_others", Role::Viewer),
    ("server_info", Role::Viewer),
    ("apis_list", Role::Viewer),
    ("api_tree", Role::Viewer),
    ("api_items", Role::Viewer),
    ("stage_detail", Role::Viewer),
    ("deployment_changes", Role::Viewer),
    ("stage_dashboard", Role::Viewer),
    ("stage_access_log", Role::Viewer),
    ("stage_choices", Role::Viewer),
    ("served_methods", Role::Viewer),
    ("dashboards_overview", Role::Viewer),
    ("api_keys_list", Role::Viewer),
    ("usage_plans_list", Role::Viewer),
    ("usage_plan_detail", Role::Viewer),
    // A user's own control-API keys, which carry that user's role.
    ("access_keys_list", Role::Viewer),
    ("access_keys_create", Role::Viewer),
    ("access_keys_delete", Role::Viewer),
    // Changing APIs, stages, keys and plans, and calling backends.
    ("apis_create", Role::Editor),
    ("apis_delete", Role::Editor),
    ("api_import_preview", Role::Editor),
    ("api_import", Role::Editor),
    ("resource_create", Role::Editor),
    ("resource_delete", Role::Editor),
    ("method_create", Role::Editor),
    ("method_delete", Role::Editor),
    ("method_save", Role::Editor),
    ("deploy", Role::Editor),
    ("stage_update", Role::Editor),
    ("stage_delete", Role::Editor),
    ("test_invoke", Role::Editor),
    ("template_try", Role::Editor),
    ("model_save", Role::Editor),
    ("model_delete", Role::Editor),
    ("validator_save", Role::Editor),
    ("validator_delete", Role::Editor),
    ("gateway_response_save", Role::Editor),
    ("gateway_response_reset", Role::Editor),
    ("stage_dry_run", Role::Editor),
    ("api_keys_create", Role::Editor),
    ("api_key_enable", Role::Editor),
    ("api_key_delete", Role::Editor),
    ("usage_plan_create", Role::Editor),
    ("usage_plan_save", Role::Editor),
    ("usage_plan_delete", Role::Editor),
    ("usage_plan_key_add", Role::Editor),
    ("usage_plan_key_remove", Role::Editor),
    // Users and the audit log.
    ("users_list", Role::Admin),
    ("user_create", Role::Admin),
    ("user_update", Role::Admin),
    ("user_delete", Role::Admin),
    ("user_reset_password", Role::Admin),
    ("audit_list", Role::Admin),
];

/// The server functions anyone may call, signed in or not.
pub const PUBLIC_FNS: &[&str] = &["setup", "login"];

/// The role a server function needs, or None if it has no rule (refused).
pub fn server_fn(endpoint: &str) -> Option<Role> {
    SERVER_FNS.iter().find(|(name, _)| *name == endpoint).map(|(_, role)| *role)
}

/// Whether `user` may call the server function `endpoint`, and if not, why.
pub fn check(user: &SessionUser, endpoint: &str) -> Result<(), AppError> {
    match server_fn(endpoint) {
        Some(need) if user.role.allows(need) => Ok(()),
        Some(need) => {
            Err(AppError::Forbidden(format!("Your role ({}) cannot do this: it needs the {need} role. Ask an admin.", user.role)))
        }
        None => Err(AppError::Forbidden(format!("'{endpoint}' has no role rule, so no one may call it."))),
    }
}
