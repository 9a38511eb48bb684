//! Users and roles against the real server: every server function and
//! control-API method checked for every role from the one rule table,
//! access keys carrying their user's role, user management with its
//! guard rails, sessions, and the audit log.

use apigw_server::roles::{self, SERVER_FNS};
use apigw_server::Role;
use apigw_tests::aws::{amz_date, sign};
use apigw_tests::{TestServer, ADMIN_PASSWORD};
use serde_json::{json, Value};

const PW: &str = "a long enough password";

/// Signs in as `username` and returns the client.
async fn sign_in(s: &TestServer, username: &str, password: &str) -> reqwest::Client {
    let c = s.client();
    let res = s.call(&c, "login", &[("username", username), ("password", password)]).await;
    assert_eq!(res.status(), 200, "sign-in as {username}: {}", res.text().await.unwrap_or_default());
    c
}

/// The admin plus an editor and a viewer made through the console.
async fn three_users(s: &TestServer) -> (reqwest::Client, reqwest::Client, reqwest::Client) {
    let admin = s.setup_admin("admin").await;
    for (name, role) in [("ed", "editor"), ("vi", "viewer")] {
        let res = s.call(&admin, "user_create", &[("username", name), ("password", PW), ("role", role)]).await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    }
    (admin, sign_in(s, "ed", PW).await, sign_in(s, "vi", PW).await)
}

fn refused_for_role(status: u16, body: &str) -> bool {
    status == 403 && body.contains("Your role")
}

/// Every server function in the table, called as each role: refused exactly
/// when the role is below the rule (the arguments are empty, so an allowed
/// call may still fail on its input, but never on the role).
#[tokio::test]
async fn every_server_function_is_refused_to_roles_below_its_rule() {
    let s = TestServer::start().await;
    let (admin, editor, viewer) = three_users(&s).await;
    for (name, need) in SERVER_FNS {
        // Calling these as admin would end the test's own sessions.
        if ["logout", "sessions_end_others"].contains(name) {
            continue;
        }
        for (role, client) in [(Role::Viewer, &viewer), (Role::Editor, &editor), (Role::Admin, &admin)] {
            let res = client.post(s.url(&format!("/api/{name}"))).form(&[("x", "")]).send().await.unwrap();
            let status = res.status().as_u16();
            let body = res.text().await.unwrap();
            assert_eq!(refused_for_role(status, &body), !role.allows(*need), "{name} as {role}: {status} {body}");
        }
    }
    // Pages rendered on the server call server functions directly: the same rule holds there.
    let html = viewer.get(s.url("/users")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Only the admin role can manage users") && !html.contains("data-user=\"admin\""), "{html}");
    let html = admin.get(s.url("/users")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("data-user=\"admin\""), "the admin sees the list");
    // The viewer still signs out normally.
    assert_eq!(viewer.post(s.url("/api/logout")).send().await.unwrap().status(), 200);
}

/// Access keys carry their user's role on the control API.
#[tokio::test]
async fn a_viewers_access_key_reads_but_cannot_write() {
    let s = TestServer::start().await;
    let (_admin, _editor, _viewer) = three_users(&s).await;
    let vkey = apigw_server::admin_create_access_key(&s.db, "vi", "read only").await.unwrap();
    let ekey = apigw_server::admin_create_access_key(&s.db, "ed", "writes").await.unwrap();
    let http = reqwest::Client::new();
    let call = |method: &str, path: &str, body: &str, key: &apigw_server::access_keys::NewAccessKey| {
        let url = s.url(path);
        let headers = sign(method, &url, body.as_bytes(), &key.access_key_id, &key.secret_access_key, &amz_date(0));
        let mut r = http.request(method.parse().unwrap(), &url).body(body.to_string());
        for (k, v) in headers {
            r = r.header(k, v);
        }
        r.send()
    };
    let res = call("GET", "/restapis", "", &vkey).await.unwrap();
    assert_eq!(res.status(), 200);
    let res = call("POST", "/restapis", r#"{"name":"nope"}"#, &vkey).await.unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(res.headers()["x-amzn-errortype"], "AccessDeniedException");
    let msg: Value = res.json().await.unwrap();
    assert!(msg["message"].as_str().unwrap().contains("User: vi (role viewer) is not authorized to perform: POST /restapis"), "{msg}");
    let res = call("POST", "/restapis", r#"{"name":"yes"}"#, &ekey).await.unwrap();
    assert_eq!(res.status(), 201);
    let list: Value = call("GET", "/restapis", "", &vkey).await.unwrap().json().await.unwrap();
    assert_eq!(list["item"].as_array().unwrap().len(), 1, "only the editor's API exists");
    for m in ["PUT", "PATCH", "DELETE"] {
        assert_eq!(roles::control_api(&m.parse().unwrap()), Role::Editor);
    }
}

#[tokio::test]
async fn admins_manage_users_and_one_enabled_admin_always_remains() {
    let s = TestServer::start().await;
    let (admin, editor, viewer) = three_users(&s).await;
    let users: Vec<Value> = admin.post(s.url("/api/users_list")).send().await.unwrap().json().await.unwrap();
    let id = |name: &str| users.iter().find(|u| u["username"] == name).unwrap()["id"].as_i64().unwrap().to_string();
    assert_eq!(users.len(), 3);
    assert_eq!(users.iter().find(|u| u["username"] == "vi").unwrap()["role"], "viewer");

    // Bad input names the field.
    let res = s.call(&admin, "user_create", &[("username", "x"), ("password", PW), ("role", "root")]).await;
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("role 'root' must be one of admin, editor, viewer"));
    let res = s.call(&admin, "user_create", &[("username", "vi"), ("password", PW), ("role", "viewer")]).await;
    assert_eq!(res.status(), 400, "a name that exists");

    // The only admin cannot demote, disable or delete themselves.
    let admin_id = id("admin");
    for (role, disabled) in [("editor", "false"), ("admin", "true")] {
        let res = s.call(&admin, "user_update", &[("id", &admin_id), ("role", role), ("disabled", disabled)]).await;
        assert_eq!(res.status(), 409);
        assert!(res.text().await.unwrap().contains("At least one enabled admin must remain"));
    }
    assert_eq!(s.call(&admin, "user_delete", &[("id", &admin_id)]).await.status(), 409);

    // A role change takes effect on the user's next request, without signing in again.
    let res = s.call(&editor, "apis_create", &[("name", "before"), ("description", "")]).await;
    assert_eq!(res.status(), 200);
    let res = s.call(&admin, "user_update", &[("id", &id("ed")), ("role", "viewer"), ("disabled", "false")]).await;
    assert_eq!(res.status(), 200);
    let res = s.call(&editor, "apis_create", &[("name", "after"), ("description", "")]).await;
    assert_eq!(res.status(), 403);

    // Disabling ends the user's sessions at once and refuses sign-in, with the password known.
    let res = s.call(&admin, "user_update", &[("id", &id("vi")), ("role", "viewer"), ("disabled", "true")]).await;
    assert_eq!(res.status(), 200);
    assert_eq!(viewer.post(s.url("/api/whoami")).send().await.unwrap().status(), 401);
    let c = s.client();
    let res = s.call(&c, "login", &[("username", "vi"), ("password", PW)]).await;
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("disabled"));

    // A reset password works at once and ends the old sessions.
    let res = s.call(&admin, "user_reset_password", &[("id", &id("ed")), ("password", "the reset password")]).await;
    assert_eq!(res.status(), 200);
    assert_eq!(editor.post(s.url("/api/whoami")).send().await.unwrap().status(), 401);
    sign_in(&s, "ed", "the reset password").await;

    // Removing a user removes their access keys too.
    apigw_server::admin_create_access_key(&s.db, "ed", "k").await.unwrap();
    assert_eq!(s.call(&admin, "user_delete", &[("id", &id("ed"))]).await.status(), 200);
    let users: Vec<Value> = admin.post(s.url("/api/users_list")).send().await.unwrap().json().await.unwrap();
    assert_eq!(users.len(), 2);
    let keys: Vec<Value> = admin.post(s.url("/api/access_keys_list")).send().await.unwrap().json().await.unwrap();
    assert!(keys.iter().all(|k| k["username"] != "ed"));
}

#[tokio::test]
async fn users_change_their_own_password_and_sign_out_elsewhere() {
    let s = TestServer::start().await;
    let here = s.setup_admin("admin").await;
    let elsewhere = sign_in(&s, "admin", ADMIN_PASSWORD).await;
    let sessions: Vec<Value> = here.post(s.url("/api/sessions_mine")).send().await.unwrap().json().await.unwrap();
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions.iter().filter(|s| s["current"] == true).count(), 1);
    assert!(sessions.iter().all(|s| s["id"].as_str().unwrap().len() == 12), "only a short id, never the token");

    let res = s.call(&here, "password_change", &[("current", "not it at all"), ("password", PW), ("confirm", PW)]).await;
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("current password is wrong"));
    let res = s.call(&here, "password_change", &[("current", ADMIN_PASSWORD), ("password", PW), ("confirm", "different")]).await;
    assert_eq!(res.status(), 400);
    let res = s.call(&here, "password_change", &[("current", ADMIN_PASSWORD), ("password", PW), ("confirm", PW)]).await;
    assert_eq!(res.status(), 200);
    // This session stays; the other one ended; the new password signs in.
    assert_eq!(here.post(s.url("/api/whoami")).send().await.unwrap().status(), 200);
    assert_eq!(elsewhere.post(s.url("/api/whoami")).send().await.unwrap().status(), 401);
    let third = sign_in(&s, "admin", PW).await;
    let ended: u64 = here.post(s.url("/api/sessions_end_others")).send().await.unwrap().json().await.unwrap();
    assert_eq!(ended, 1);
    assert_eq!(third.post(s.url("/api/whoami")).send().await.unwrap().status(), 401);
}

/// Users made by the CLI take effect at once on the running server, with their role.
#[tokio::test]
async fn the_cli_adds_users_with_roles_and_resets_passwords_on_a_running_server() {
    let s = TestServer::start().await;
    let admin = s.setup_admin("admin").await;
    apigw_server::admin_create_user(&s.db, "reader", PW, Role::Viewer).await.unwrap();
    let reader = sign_in(&s, "reader", PW).await;
    let me: Value = reader.post(s.url("/api/whoami")).send().await.unwrap().json().await.unwrap();
    assert_eq!(me["role"], "viewer");
    assert_eq!(s.call(&reader, "apis_create", &[("name", "x"), ("description", "")]).await.status(), 403);
    apigw_server::admin_reset_password(&s.db, "reader", "yet another password").await.unwrap();
    assert_eq!(reader.post(s.url("/api/whoami")).send().await.unwrap().status(), 401, "sessions ended");
    sign_in(&s, "reader", "yet another password").await;
    let err = apigw_server::admin_reset_password(&s.db, "nobody", PW).await.unwrap_err();
    assert!(err.contains("no console user named 'nobody'"), "{err}");

    let page: Value =
        admin.post(s.url("/api/audit_list")).json(&json!({"filter": {"via": "cli"}})).send().await.unwrap().json().await.unwrap();
    let actions: Vec<&str> = page["entries"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["user_reset_password", "user_create"], "{page}");
}

/// The audit log records who changed what from where, from the console and
/// the control API, with secrets left out; reads are not recorded.
#[tokio::test]
async fn the_audit_log_records_console_and_control_api_changes() {
    let s = TestServer::start().await;
    let (admin, editor, viewer) = three_users(&s).await;
    let res = s.call(&editor, "apis_create", &[("name", "audited"), ("description", "from the console")]).await;
    assert_eq!(res.status(), 200);
    let res = editor.post(s.url("/restapis")).json(&json!({"name": "via control api"})).send().await.unwrap();
    assert_eq!(res.status(), 201);
    // Refused and read-only calls.
    assert_eq!(s.call(&viewer, "apis_create", &[("name", "no"), ("description", "")]).await.status(), 403);
    editor.get(s.url("/restapis")).send().await.unwrap();

    let page: Value = admin.post(s.url("/api/audit_list")).json(&json!({"filter": {}})).send().await.unwrap().json().await.unwrap();
    let entries = page["entries"].as_array().unwrap();
    let find = |action: &str| entries.iter().find(|e| e["action"] == action).unwrap_or_else(|| panic!("{action} in {page}"));
    let by = |action: &str, user: &str| {
        entries.iter().find(|e| e["action"] == action && e["username"] == user).unwrap_or_else(|| panic!("{action} by {user} in {page}"))
    };
    // The viewer's refused attempt is there too, with its 403.
    assert_eq!(by("apis_create", "vi")["status"], 403);
    let console = by("apis_create", "ed");
    assert_eq!(
        (console["username"].as_str(), console["via"].as_str(), console["status"].as_i64()),
        (Some("ed"), Some("console"), Some(200))
    );
    assert!(console["target"].as_str().unwrap().contains("name=audited"));
    assert_eq!(console["source"], "127.0.0.1");
    let api = find("POST /restapis");
    assert_eq!((api["username"].as_str(), api["via"].as_str(), api["status"].as_i64()), (Some("ed"), Some("control-api"), Some(201)));
    let created = find("user_create");
    assert!(created["target"].as_str().unwrap().contains("password=<hidden>"), "{created}");
    assert!(!page.to_string().contains(PW), "no password in the log");
    assert!(entries.iter().all(|e| e["action"] != "GET /restapis" && e["action"] != "apis_list"), "reads are not changes");
    assert!(entries.iter().any(|e| e["action"] == "setup" && e["username"] == "admin"));

    // Filters narrow it; a bad limit names the field.
    let page: Value =
        admin.post(s.url("/api/audit_list")).json(&json!({"filter": {"user": "admin"}})).send().await.unwrap().json().await.unwrap();
    assert!(page["entries"].as_array().unwrap().iter().all(|e| e["username"] == "admin"));
    let res = admin.post(s.url("/api/audit_list")).json(&json!({"filter": {"limit": 0}})).send().await.unwrap();
    assert_eq!(res.status(), 400);
    let page: Value =
        admin.post(s.url("/api/audit_list")).json(&json!({"filter": {"limit": 1}})).send().await.unwrap().json().await.unwrap();
    assert_eq!(page["entries"].as_array().unwrap().len(), 1);
    let next = page["next"].as_i64().expect("a next page");
    let page2: Value = admin
        .post(s.url("/api/audit_list"))
        .json(&json!({"filter": {"limit": 1, "before": next}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(page2["entries"][0]["id"].as_i64().unwrap() < next);
}
