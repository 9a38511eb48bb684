//! Who may do what: the role every control-API request needs, which
//! requests are changes (for the audit log), and the console's server
//! functions' table (kept in the app crate, where `service::authed`
//! enforces it), re-exported here with the test that it is complete.

use apigw_app::identity::Role;
pub use apigw_app::roles::{check, server_fn, PUBLIC_FNS, SERVER_FNS};
use axum::http::Method;

/// Whether a server function changes something (and so is audited).
pub fn server_fn_changes(endpoint: &str) -> bool {
    !matches!(
        endpoint,
        "whoami"
            | "sessions_mine"
            | "server_info"
            | "apis_list"
            | "api_tree"
            | "api_items"
            | "stage_detail"
            | "deployment_changes"
            | "stage_dashboard"
            | "stage_access_log"
            | "stage_choices"
            | "served_methods"
            | "dashboards_overview"
            | "api_keys_list"
            | "usage_plans_list"
            | "usage_plan_detail"
            | "access_keys_list"
            | "users_list"
            | "audit_list"
            | "test_invoke"
            | "template_try"
            | "stage_dry_run"
    )
}

/// The role a control-API request needs: reading is for every role; any
/// other method changes something or calls a backend (TestInvokeMethod,
/// the dry run), which is for editors. The control API has no operation on
/// users, so nothing there needs an admin.
pub fn control_api(method: &Method) -> Role {
    match *method {
        Method::GET | Method::HEAD => Role::Viewer,
        _ => Role::Editor,
    }
}

/// Whether a control-API request changes something (and so is audited):
/// everything but reads, TestInvokeMethod and the dry run.
pub fn control_api_changes(method: &Method, path: &str) -> bool {
    if matches!(*method, Method::GET | Method::HEAD) || path.ends_with("/dryrun") {
        return false;
    }
    // TestInvokeMethod is POST /restapis/{api}/resources/{id}/methods/{verb}.
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    !(*method == Method::POST && parts.len() == 6 && parts[0] == "restapis" && parts[2] == "resources" && parts[4] == "methods")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every server function the console registers has a rule, and every
    /// rule names one that exists: a new server function without a rule
    /// fails here (and would be refused to everyone at run time).
    #[test]
    fn every_registered_server_function_has_a_rule() {
        let registered: Vec<String> =
            leptos::server_fn::axum::server_fn_paths().map(|(path, _)| path.trim_start_matches("/api/").to_string()).collect();
        assert!(registered.len() > 30, "server functions are registered: {registered:?}");
        for name in &registered {
            assert!(
                PUBLIC_FNS.contains(&name.as_str()) || server_fn(name).is_some(),
                "server function '{name}' has no role rule in roles::SERVER_FNS"
            );
        }
        for (name, _) in SERVER_FNS {
            assert!(registered.iter().any(|r| r == name), "rule for '{name}', which is not a server function");
        }
    }

    #[test]
    fn reads_are_for_everyone_changes_for_editors_users_for_admins() {
        assert_eq!(control_api(&Method::GET), Role::Viewer);
        for m in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
            assert_eq!(control_api(&m), Role::Editor);
        }
        assert!(!control_api_changes(&Method::POST, "/restapis/a/resources/b/methods/GET"), "TestInvokeMethod");
        assert!(control_api_changes(&Method::PUT, "/restapis/a/resources/b/methods/GET"), "PutMethod");
        assert!(!control_api_changes(&Method::POST, "/restapis/a/stages/dev/dryrun"));
        assert!(control_api_changes(&Method::POST, "/restapis"));
        assert_eq!(server_fn("user_create"), Some(Role::Admin));
        assert_eq!(server_fn("method_save"), Some(Role::Editor));
        assert_eq!(server_fn("no_such_fn"), None);
        assert!(Role::Admin.allows(Role::Editor) && Role::Editor.allows(Role::Viewer) && !Role::Viewer.allows(Role::Editor));
    }
}
