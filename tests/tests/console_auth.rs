//! Console sign-in against the real server: one-time setup, login, wrong
//! passwords, throttling by address, logout, and the session gate on pages and server functions.

use apigw_tests::{TestServer, ADMIN_PASSWORD};
use serde_json::Value;

const PAGES: &[&str] = &["/apis", "/keys", "/usage-plans", "/dashboards", "/settings"];
const PROTECTED_FNS: &[&str] = &["whoami", "server_info", "logout"];

fn location(res: &reqwest::Response) -> &str {
    res.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or("")
}

async fn error_json(res: reqwest::Response) -> Value {
    serde_json::from_str(&res.text().await.unwrap()).unwrap()
}

#[tokio::test]
async fn health_answers_on_both_listeners() {
    let s = TestServer::start().await;
    let c = reqwest::Client::new();
    for base in [&s.console, &s.gateway] {
        let res = c.get(format!("{base}/healthz")).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.text().await.unwrap(), "ok");
    }
    s.stop().await;
}

#[tokio::test]
async fn database_file_and_directory_are_created() {
    let s = TestServer::start().await;
    assert!(s.db.exists(), "database file at {}", s.db.display());
    s.stop().await;
}

#[tokio::test]
async fn first_visit_goes_to_setup_and_setup_page_renders() {
    let s = TestServer::start().await;
    let c = s.client();
    for path in ["/", "/login", "/apis", "/settings"] {
        let res = c.get(s.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 303, "{path}");
        assert_eq!(location(&res), "/setup", "{path}");
    }
    let res = c.get(s.url("/setup")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("Set up apigw"));
    assert!(html.contains("/pkg/apigw.js"), "page loads the hydration bundle");
}

#[tokio::test]
async fn setup_rejects_bad_input_and_changes_nothing() {
    let s = TestServer::start().await;
    let c = s.client();
    let cases: &[(&str, &str, &str, &str, &str)] = &[
        ("admin", "short", "short", "password", "at least 12 characters"),
        ("admin", ADMIN_PASSWORD, "something else!", "confirm", "do not match"),
        ("has space", ADMIN_PASSWORD, ADMIN_PASSWORD, "username", "only letters, digits"),
        ("", ADMIN_PASSWORD, ADMIN_PASSWORD, "username", "1 to 64 characters"),
    ];
    for (user, pw, confirm, field, rule) in cases {
        let res = s.call(&c, "setup", &[("username", user), ("password", pw), ("confirm", confirm)]).await;
        assert_eq!(res.status(), 400, "{field}");
        assert!(res.headers().get("set-cookie").is_none(), "no session on failure");
        let body = error_json(res).await;
        assert_eq!(body["Invalid"]["field"], *field);
        let msg = body["Invalid"]["message"].as_str().unwrap();
        assert!(msg.contains(rule), "{msg:?} should mention {rule:?}");
    }
    // Nothing was created: setup is still open and still works.
    let res = c.get(s.url("/apis")).send().await.unwrap();
    assert_eq!(location(&res), "/setup");
    s.setup_admin("admin").await;
}

#[tokio::test]
async fn setup_works_once_only() {
    let s = TestServer::start().await;
    let admin = s.setup_admin("admin").await;
    let res = admin.post(s.url("/api/whoami")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let me: Value = res.json().await.unwrap();
    assert_eq!(me["username"], "admin");

    // A second setup, from anyone, is refused and creates nobody.
    let other = s.client();
    let res = s.call(&other, "setup", &[("username", "mallory"), ("password", ADMIN_PASSWORD), ("confirm", ADMIN_PASSWORD)]).await;
    assert_eq!(res.status(), 403);
    assert!(res.headers().get("set-cookie").is_none());
    let body = error_json(res).await;
    assert!(body["Forbidden"].as_str().unwrap().contains("only be done once"));
    let res = s.call(&other, "login", &[("username", "mallory"), ("password", ADMIN_PASSWORD)]).await;
    assert_eq!(res.status(), 403, "mallory was not created");

    // The setup page itself is closed for good.
    let res = other.get(s.url("/setup")).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/login");
    let res = admin.get(s.url("/setup")).send().await.unwrap();
    assert_eq!(location(&res), "/apis");
}

#[tokio::test]
async fn setup_survives_restart_as_closed() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("apigw.db");
    let s = TestServer::start_on(&db).await;
    s.setup_admin("admin").await;
    s.stop().await;
    let s = TestServer::start_on(&db).await;
    let res = s.client().get(s.url("/setup")).send().await.unwrap();
    assert_eq!(location(&res), "/login");
    let c = s.client();
    let res = s.call(&c, "login", &[("username", "admin"), ("password", ADMIN_PASSWORD)]).await;
    assert_eq!(res.status(), 200);
    s.stop().await;
}

#[tokio::test]
async fn login_sets_a_strict_httponly_cookie() {
    let s = TestServer::start().await;
    s.setup_admin("admin").await;
    let c = s.client();
    let res = s.call(&c, "login", &[("username", "admin"), ("password", ADMIN_PASSWORD)]).await;
    assert_eq!(res.status(), 200);
    let cookie = res.headers().get("set-cookie").unwrap().to_str().unwrap().to_string();
    assert!(cookie.starts_with("apigw_session="));
    assert!(cookie.contains("HttpOnly"));
    assert!(cookie.contains("SameSite=Strict"));
    // Usernames are case-insensitive.
    let c2 = s.client();
    let res = s.call(&c2, "login", &[("username", "ADMIN"), ("password", ADMIN_PASSWORD)]).await;
    assert_eq!(res.status(), 200);
    for page in PAGES {
        let res = c.get(s.url(page)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{page}");
        let html = res.text().await.unwrap();
        assert!(html.contains("Log out"), "{page} shows the console frame");
    }
    let res = c.get(s.url("/login")).send().await.unwrap();
    assert_eq!(location(&res), "/apis", "signed-in users skip the login page");
}

#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_same_answer() {
    let s = TestServer::start().await;
    s.setup_admin("admin").await;
    let c = s.client();
    for (user, pw) in [("admin", "not the password"), ("nobody", ADMIN_PASSWORD)] {
        let res = s.call(&c, "login", &[("username", user), ("password", pw)]).await;
        assert_eq!(res.status(), 403);
        assert!(res.headers().get("set-cookie").is_none());
        assert_eq!(error_json(res).await["Forbidden"], "Wrong username or password.");
    }
    let res = c.post(s.url("/api/whoami")).send().await.unwrap();
    assert_eq!(res.status(), 401);
}

/// A client whose connections come from `ip` (any 127.x.y.z is this machine
/// on Linux), so tests can sign in from several addresses.
fn client_from(ip: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .local_address(Some(ip.parse().unwrap()))
        .build()
        .unwrap()
}

#[tokio::test]
async fn failures_slow_the_failing_address_not_the_account() {
    let s = TestServer::start().await;
    s.setup_admin("admin").await;
    let attacker = client_from("127.0.3.1");
    for i in 1..=4 {
        let res = s.call(&attacker, "login", &[("username", "admin"), ("password", "wrong password!")]).await;
        assert_eq!(res.status(), 403, "failure {i}");
    }
    let res = s.call(&attacker, "login", &[("username", "admin"), ("password", "wrong password!")]).await;
    assert_eq!(res.status(), 429, "the fifth failure makes the address wait");
    let msg = error_json(res).await["Locked"].as_str().unwrap().to_string();
    assert!(msg.contains("from your address") && msg.contains("Try again in 30 seconds"), "{msg}");

    // Even the right password waits, from that address ...
    let res = s.call(&attacker, "login", &[("username", "admin"), ("password", ADMIN_PASSWORD)]).await;
    assert_eq!(res.status(), 429);
    assert!(res.headers().get("set-cookie").is_none());

    // ... while the real admin, at another address, signs in at once: the
    // account was never locked. (Before: five failures locked 'admin' for everyone.)
    let admin = client_from("127.0.3.2");
    let res = s.call(&admin, "login", &[("username", "admin"), ("password", ADMIN_PASSWORD)]).await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn many_addresses_failing_one_user_cannot_keep_it_out() {
    let s = TestServer::start().await;
    s.setup_admin("admin").await;
    // 20 addresses fail once each: none of them is over its own limit.
    for i in 1..=20 {
        let c = client_from(&format!("127.0.4.{i}"));
        let res = s.call(&c, "login", &[("username", "admin"), ("password", "wrong password!")]).await;
        assert!(res.status() == 403 || res.status() == 429, "attempt {i}: {}", res.status());
    }
    // An address among them now waits because of the username's failures (at most a minute) ...
    let res = s.call(&client_from("127.0.4.3"), "login", &[("username", "admin"), ("password", ADMIN_PASSWORD)]).await;
    assert_eq!(res.status(), 429);
    let msg = error_json(res).await["Locked"].as_str().unwrap().to_string();
    assert!(msg.contains("'admin' from several addresses"), "{msg}");
    // ... but a clean address is not held up.
    let res = s.call(&client_from("127.0.4.200"), "login", &[("username", "admin"), ("password", ADMIN_PASSWORD)]).await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn logout_ends_the_session_for_good() {
    let s = TestServer::start().await;
    let c = s.client();
    let res = s.call(&c, "setup", &[("username", "admin"), ("password", ADMIN_PASSWORD), ("confirm", ADMIN_PASSWORD)]).await;
    let cookie = res.headers().get("set-cookie").unwrap().to_str().unwrap();
    let token = cookie.split(';').next().unwrap().to_string();

    let res = c.post(s.url("/api/logout")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let cleared = res.headers().get("set-cookie").unwrap().to_str().unwrap();
    assert!(cleared.contains("Max-Age=0"), "{cleared}");

    // The old cookie value, replayed by hand, no longer opens anything.
    let raw = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let res = raw.post(s.url("/api/whoami")).header("cookie", &token).send().await.unwrap();
    assert_eq!(res.status(), 401);
    let res = raw.get(s.url("/apis")).header("cookie", &token).send().await.unwrap();
    assert_eq!(location(&res), "/login?next=/apis");
}

#[tokio::test]
async fn pages_and_server_functions_need_a_session() {
    let s = TestServer::start().await;
    s.setup_admin("admin").await;
    let anon = s.client();
    for page in PAGES.iter().chain(&["/", "/no-such-page"]) {
        let res = anon.get(s.url(page)).send().await.unwrap();
        assert_eq!(res.status(), 303, "{page}");
        let back = if *page == "/" { "/login".to_string() } else { format!("/login?next={page}") };
        assert_eq!(location(&res), back, "{page}");
    }
    for f in PROTECTED_FNS {
        let res = anon.post(s.url(&format!("/api/{f}"))).send().await.unwrap();
        assert_eq!(res.status(), 401, "{f}");
        assert_eq!(res.text().await.unwrap(), "\"Unauthorized\"");
    }
    // A forged cookie is no better than none.
    let res = anon.post(s.url("/api/whoami")).header("cookie", "apigw_session=00ff").send().await.unwrap();
    assert_eq!(res.status(), 401);
    // The login page itself stays reachable.
    let res = anon.get(s.url("/login")).send().await.unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn cross_site_posts_are_refused() {
    let s = TestServer::start().await;
    let admin = s.setup_admin("admin").await;
    let res = admin.post(s.url("/api/whoami")).header("origin", "http://evil.example").send().await.unwrap();
    assert_eq!(res.status(), 403);
    let host = s.console.trim_start_matches("http://").to_string();
    let res = admin.post(s.url("/api/whoami")).header("origin", format!("http://{host}")).send().await.unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn settings_shows_this_servers_addresses() {
    let s = TestServer::start().await;
    let admin = s.setup_admin("admin").await;
    let info: Value = admin.post(s.url("/api/server_info")).send().await.unwrap().json().await.unwrap();
    assert_eq!(info["console_url"], s.console);
    assert_eq!(info["gateway_url"], s.gateway);
    assert_eq!(info["username"], "admin");
    assert_eq!(info["database_path"], s.db.display().to_string());
}

#[tokio::test]
async fn admin_cli_user_can_sign_in() {
    let s = TestServer::start().await;
    s.setup_admin("admin").await;
    apigw_server::admin_create_user(&s.db, "ops", "another long password", apigw_server::Role::Admin).await.unwrap();
    let err = apigw_server::admin_create_user(&s.db, "ops", "another long password", apigw_server::Role::Admin).await.unwrap_err();
    assert!(err.contains("already exists"), "{err}");
    let err = apigw_server::admin_create_user(&s.db, "ops2", "short", apigw_server::Role::Admin).await.unwrap_err();
    assert!(err.contains("at least 12"), "{err}");
    let c = s.client();
    let res = s.call(&c, "login", &[("username", "ops"), ("password", "another long password")]).await;
    assert_eq!(res.status(), 200);
}

/// A deep link opened without a session comes back after sign-in, query
/// and all; `next` never leads off the console.
#[tokio::test]
async fn sign_in_returns_to_the_page_that_was_asked_for() {
    let s = TestServer::start().await;
    s.setup_admin("admin").await;
    let raw = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let res = raw.get(s.url("/apis/abc/stages/dev/logs?status=4xx&reason=QUOTA")).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/login?next=/apis/abc/stages/dev/logs%3Fstatus%3D4xx%26reason%3DQUOTA");
    // The login page carries it into its form.
    let page = raw.get(s.url(location(&res))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains(r#"name="next" value="/apis/abc/stages/dev/logs?status=4xx&amp;reason=QUOTA""#), "{page}");
    let login = |next: &'static str| {
        let (raw, url) = (raw.clone(), s.url("/api/login"));
        async move {
            let res = raw.post(url).form(&[("username", "admin"), ("password", ADMIN_PASSWORD), ("next", next)]).send().await.unwrap();
            assert!(res.status().is_redirection() || res.status().is_success(), "{}", res.status());
            location(&res).to_string()
        }
    };
    assert_eq!(login("/apis/abc/stages/dev/logs?status=4xx&reason=QUOTA").await, "/apis/abc/stages/dev/logs?status=4xx&reason=QUOTA");
    for hostile in ["//evil.example/x", "https://evil.example/", "/\\evil.example", "evil", "/login?next=/x"] {
        assert_eq!(login(hostile).await, "/apis", "{hostile}");
    }
    // Without `next`, as before.
    let res = raw.post(s.url("/api/login")).form(&[("username", "admin"), ("password", ADMIN_PASSWORD)]).send().await.unwrap();
    assert_eq!(location(&res), "/apis");
}
