//! Metrics for every gateway request: a known mix of requests (statuses and
//! backend delays set by the test's own upstream) must come back exactly in
//! the JSON endpoint, the access log and Prometheus, survive a restart, and
//! put percentiles in the right latency bucket.

use std::time::Duration;

use apigw_tests::echo::Echo;
use apigw_tests::gw::Ctl;
use apigw_tests::TestServer;
use reqwest::Method;
use serde_json::{json, Value};

async fn get(url: &str, key: Option<&str>) -> u16 {
    let mut r = reqwest::Client::new().get(url);
    if let Some(k) = key {
        r = r.header("x-api-key", k);
    }
    let res = r.send().await.unwrap();
    let status = res.status().as_u16();
    let _ = res.bytes().await;
    status
}

async fn stored_rows(db: &std::path::Path) -> i64 {
    use sqlx::sqlite::SqliteConnectOptions;
    use sqlx::ConnectOptions;
    let mut conn = SqliteConnectOptions::new().filename(db).read_only(true).connect().await.unwrap();
    sqlx::query_scalar("SELECT COUNT(*) FROM request_log").fetch_one(&mut conn).await.unwrap()
}

fn method_row<'a>(m: &'a Value, resource: &str, verb: &str) -> &'a Value {
    m["methods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["resource"] == resource && r["method"] == verb)
        .unwrap_or_else(|| panic!("{resource} {verb} in {m}"))
}

#[tokio::test]
async fn a_known_mix_of_requests_comes_back_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("apigw.db");
    let s = TestServer::start_on(&db).await;
    let echo = Echo::start().await;
    let ctl = Ctl::new(&s).await;
    let (api, root) = ctl.api("measured").await;
    let e = echo.host();
    let items = ctl.resource(&api, &root, "items").await;
    ctl.method(&api, &items, "GET", false, Ctl::proxy(&format!("http://{e}/items"), "GET")).await;
    let slow = ctl.resource(&api, &root, "slow").await;
    ctl.method(&api, &slow, "GET", false, Ctl::proxy(&format!("http://{e}/slow"), "GET")).await;
    let secret = ctl.resource(&api, &root, "secret").await;
    ctl.method(&api, &secret, "GET", true, Ctl::proxy(&format!("http://{e}/secret"), "GET")).await;
    ctl.mock(&api, &root, "GET", 200, "{}").await;
    ctl.deploy(&api, "dev").await;
    let url = |p: &str| ctl.invoke(&api, "dev", p);

    // 10 × 200, 5 × 404 and 3 × 500 from the backend, 4 slow (80 ms), 2 mock,
    // 2 × 403 for a missing key, 3 × 403 for no route.
    for _ in 0..10 {
        assert_eq!(get(&url("/items"), None).await, 200);
    }
    for _ in 0..5 {
        assert_eq!(get(&url("/items?echo_status=404"), None).await, 404);
    }
    for _ in 0..3 {
        assert_eq!(get(&url("/items?echo_status=500"), None).await, 500);
    }
    for _ in 0..4 {
        assert_eq!(get(&url("/slow?echo_delay_ms=80"), None).await, 200);
    }
    for _ in 0..2 {
        assert_eq!(get(&url("/"), None).await, 200);
        assert_eq!(get(&url("/secret"), None).await, 403);
    }
    for p in ["/nothing", "/items/1/2", "/secret/x"] {
        assert_eq!(get(&url(p), None).await, 403);
    }
    // Requests to no stage at all are not anyone's metric.
    assert_eq!(get(&format!("{}/{api}/nostage/items", s.gateway), None).await, 403);
    let total = 10 + 5 + 3 + 4 + 2 + 2 + 3;

    tokio::time::sleep(Duration::from_millis(400)).await;
    let m = ctl.req(Method::GET, &format!("/restapis/{api}/stages/dev/metrics?range=15m"), None, 200).await;
    assert_eq!(m["count"], total);
    assert_eq!(m["error4xx"], 5 + 2 + 3);
    assert_eq!(m["error5xx"], 3);
    assert_eq!(m["periodSeconds"], 60);
    assert_eq!(m["series"].as_array().unwrap().len(), 15);
    let series_total: u64 = m["series"].as_array().unwrap().iter().map(|p| p["count"].as_u64().unwrap()).sum();
    assert_eq!(series_total, total);

    let items_row = method_row(&m, "/items", "GET");
    assert_eq!((items_row["count"].as_u64(), items_row["error4xx"].as_u64(), items_row["error5xx"].as_u64()), (Some(18), Some(5), Some(3)));
    assert_eq!(method_row(&m, "(no route)", "GET")["count"], 3);
    assert_eq!(method_row(&m, "/secret", "GET")["count"], 2);
    let mock = method_row(&m, "/", "GET");
    assert_eq!(mock["count"], 2);
    assert!(mock["integrationLatencyP50Ms"].is_null(), "a mock calls no backend: {mock}");

    // The slow method: every latency percentile in the bucket holding ~80 ms.
    let one = ctl.req(Method::GET, &format!("/restapis/{api}/stages/dev/metrics?range=1h&resource=/slow&method=GET"), None, 200).await;
    assert_eq!(one["count"], 4);
    for field in ["latencyP50Ms", "latencyP99Ms", "integrationLatencyP50Ms", "integrationLatencyP99Ms"] {
        let v = one[field].as_f64().unwrap();
        assert!((75.0..=110.0).contains(&v), "{field} = {v} ms, want the ~80 ms bucket");
    }
    assert!(one["latencyP99Ms"].as_f64() >= one["integrationLatencyP99Ms"].as_f64());
    // The fast ones stay far below.
    assert!(items_row["latencyP50Ms"].as_f64().unwrap() < 40.0, "{items_row}");

    // Bad input names the field.
    for (q, field) in [("range=2h", "range"), ("range=1h&resource=/slow", "resource and method")] {
        let v = ctl.req(Method::GET, &format!("/restapis/{api}/stages/dev/metrics?{q}"), None, 400).await;
        assert!(v["message"].as_str().unwrap().contains(field), "{v}");
    }
    ctl.req(Method::GET, &format!("/restapis/{api}/stages/nope/metrics"), None, 404).await;

    // Every response is one access-log row.
    assert_eq!(stored_rows(&db).await, total as i64);

    // Prometheus text on the console listener.
    let prom = reqwest::get(s.url("/metrics")).await.unwrap().text().await.unwrap();
    let line = format!("apigw_requests_total{{api=\"{api}\",stage=\"dev\",resource=\"/items\",method=\"GET\",status_class=\"2xx\"}} 10");
    assert!(prom.contains(&line), "{line} in\n{prom}");
    assert!(prom.contains("apigw_metrics_dropped_total 0"));
    assert!(prom.contains("apigw_request_duration_seconds_bucket{"));

    // A graceful restart keeps the history.
    s.stop().await;
    let s = TestServer::start_on(&db).await;
    let c = s.client();
    let res = s.call(&c, "login", &[("username", "admin"), ("password", apigw_tests::ADMIN_PASSWORD)]).await;
    assert!(res.status().as_u16() < 400);
    let ctl = Ctl { s: &s, c };
    let m2 = ctl.req(Method::GET, &format!("/restapis/{api}/stages/dev/metrics?range=15m"), None, 200).await;
    assert_eq!(m2["count"], total);
    // New traffic adds to the same minute instead of replacing it.
    assert_eq!(get(&format!("{}/{api}/dev/items", s.gateway), None).await, 200);
    tokio::time::sleep(Duration::from_millis(400)).await;
    let m3 = ctl.req(Method::GET, &format!("/restapis/{api}/stages/dev/metrics?range=15m"), None, 200).await;
    assert_eq!(m3["count"], total + 1);
    assert_eq!(json!(m3["methods"].as_array().unwrap().len()), json!(m["methods"].as_array().unwrap().len()));
}

#[tokio::test]
async fn a_caller_that_hangs_up_is_still_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("apigw.db");
    let s = TestServer::start_on(&db).await;
    let echo = Echo::start().await;
    let ctl = Ctl::new(&s).await;
    let (api, root) = ctl.api("impatient").await;
    let slow = ctl.resource(&api, &root, "slow").await;
    ctl.method(&api, &slow, "GET", false, Ctl::proxy(&format!("http://{}/slow", echo.host()), "GET")).await;
    ctl.deploy(&api, "dev").await;

    // The caller gives up after 100 ms; the backend takes 400 ms.
    let c = reqwest::Client::builder().timeout(Duration::from_millis(100)).build().unwrap();
    let err = c.get(ctl.invoke(&api, "dev", "/slow?echo_delay_ms=400")).send().await.unwrap_err();
    assert!(err.is_timeout(), "{err}");
    tokio::time::sleep(Duration::from_millis(600)).await;

    let m = ctl.req(Method::GET, &format!("/restapis/{api}/stages/dev/metrics?range=15m"), None, 200).await;
    assert_eq!((m["count"].as_u64(), m["error4xx"].as_u64()), (Some(1), Some(1)), "{m}");
    let one = method_row(&m, "/slow", "GET");
    assert!(one["integrationLatencyP50Ms"].as_f64().is_some_and(|v| v >= 80.0), "the backend call began: {one}");
    use sqlx::sqlite::SqliteConnectOptions;
    use sqlx::ConnectOptions;
    let mut conn = SqliteConnectOptions::new().filename(&db).read_only(true).connect().await.unwrap();
    let status: i64 = sqlx::query_scalar("SELECT status FROM request_log").fetch_one(&mut conn).await.unwrap();
    assert_eq!(status, 499, "nginx's 'client closed request'");
}

/// Every answer the gateway gives itself, and every failed backend call,
/// carries a reason code: in the access log (its `access_log` view), in the
/// stage's JSON metrics and in Prometheus. A throttle 429 and a quota 429
/// are told apart; so are a refused connection, a broken answer and a timeout.
#[tokio::test]
async fn every_refusal_says_why() {
    use apigw_tests::echo::{broken_backend, dead_backend};
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("apigw.db");
    let s = TestServer::start_on(&db).await;
    let echo = Echo::start().await;
    let ctl = Ctl::new(&s).await;
    let (api, root) = ctl.api("reasons").await;
    let e = echo.host();
    let open = ctl.resource(&api, &root, "open").await;
    ctl.method(&api, &open, "GET", false, Ctl::proxy(&format!("http://{e}/open"), "GET")).await;
    let keyed = ctl.resource(&api, &root, "keyed").await;
    ctl.method(&api, &keyed, "GET", true, Ctl::proxy(&format!("http://{e}/keyed"), "GET")).await;
    let dead = ctl.resource(&api, &root, "dead").await;
    ctl.method(&api, &dead, "GET", false, Ctl::proxy(&format!("http://{}/x", dead_backend().await), "GET")).await;
    let broken = ctl.resource(&api, &root, "broken").await;
    ctl.method(&api, &broken, "GET", false, Ctl::proxy(&format!("http://{}/x", broken_backend().await), "GET")).await;
    let slow = ctl.resource(&api, &root, "slow").await;
    let mut late = Ctl::proxy(&format!("http://{e}/slow?echo_delay_ms=2000"), "GET");
    late["timeoutInMillis"] = json!(50);
    ctl.method(&api, &slow, "GET", false, late).await;
    ctl.deploy(&api, "dev").await;
    let throttle = json!({"patchOperations": [
        {"op": "replace", "path": "/~1open/GET/throttling/rateLimit", "value": "1"},
        {"op": "replace", "path": "/~1open/GET/throttling/burstLimit", "value": "1"}]});
    ctl.req(Method::PATCH, &format!("/restapis/{api}/stages/dev"), Some(throttle), 200).await;
    let key = |name: &'static str| {
        let ctl = &ctl;
        async move {
            let k = ctl.req(Method::POST, "/apikeys", Some(json!({"name": name, "enabled": true})), 201).await;
            (k["id"].as_str().unwrap().to_string(), k["value"].as_str().unwrap().to_string())
        }
    };
    let plan = ctl
        .req(
            Method::POST,
            "/usageplans",
            Some(json!({"name": "one a day", "quota": {"limit": 1, "period": "DAY"}, "apiStages": [{"apiId": api, "stage": "dev"}]})),
            201,
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (in_plan, in_plan_value) = key("in-plan").await;
    let (_, no_plan_value) = key("no-plan").await;
    let (off, off_value) = key("disabled").await;
    for k in [&in_plan, &off] {
        ctl.req(Method::POST, &format!("/usageplans/{plan}/keys"), Some(json!({"keyId": k, "keyType": "API_KEY"})), 201).await;
    }
    let disable = json!({"patchOperations": [{"op": "replace", "path": "/enabled", "value": "false"}]});
    ctl.req(Method::PATCH, &format!("/apikeys/{off}"), Some(disable), 200).await;
    let url = |p: &str| ctl.invoke(&api, "dev", p);

    let calls: Vec<(&str, Option<&str>, u16, Option<&str>)> = vec![
        ("/nothing", None, 403, Some("NO_ROUTE")),
        ("/keyed", None, 403, Some("KEY_MISSING")),
        ("/keyed", Some("not-a-key-of-this-gateway-at-all"), 403, Some("KEY_INVALID")),
        ("/keyed", Some(&no_plan_value), 403, Some("KEY_NOT_IN_PLAN")),
        ("/keyed", Some(&off_value), 403, Some("KEY_DISABLED")),
        ("/keyed", Some(&in_plan_value), 200, None),
        ("/keyed", Some(&in_plan_value), 429, Some("QUOTA")),
        ("/open", None, 200, None),
        ("/open", None, 429, Some("THROTTLED_STAGE")),
        ("/dead", None, 502, Some("BACKEND_UNREACHABLE")),
        ("/broken", None, 502, Some("BACKEND_BAD_RESPONSE")),
        ("/slow", None, 504, Some("BACKEND_TIMEOUT")),
    ];
    for (path, key, status, _) in &calls {
        assert_eq!(get(&url(path), *key).await, *status, "GET {path}");
    }
    tokio::time::sleep(Duration::from_millis(400)).await;

    // The access log, through the view operators query (sorted: the two
    // gateway threads hand their records over in batches of their own).
    use sqlx::sqlite::SqliteConnectOptions;
    use sqlx::ConnectOptions;
    let mut conn = SqliteConnectOptions::new().filename(&db).read_only(true).connect().await.unwrap();
    let mut rows: Vec<(String, i64, Option<String>)> =
        sqlx::query_as("SELECT path, status, reason FROM access_log").fetch_all(&mut conn).await.unwrap();
    let mut want: Vec<(String, i64, Option<String>)> =
        calls.iter().map(|(p, _, s, r)| (p.to_string(), i64::from(*s), r.map(str::to_string))).collect();
    rows.sort();
    want.sort();
    assert_eq!(rows, want);
    // Backend failures say what went wrong; answers the gateway did not refuse say nothing.
    let details: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT path, detail FROM access_log WHERE reason LIKE 'BACKEND%' ORDER BY path")
            .fetch_all(&mut conn)
            .await
            .unwrap();
    assert_eq!(details.len(), 3, "{details:?}");
    for (path, detail) in &details {
        assert!(detail.as_deref().is_some_and(|d| !d.is_empty()), "{path}: {detail:?}");
    }
    let stray: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM access_log WHERE reason IS NULL AND detail IS NOT NULL")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(stray, 0);

    // The JSON metrics count them, for the stage and per method.
    let m = ctl.req(Method::GET, &format!("/restapis/{api}/stages/dev/metrics?range=15m"), None, 200).await;
    let reasons = m["reasons"].as_array().unwrap();
    assert_eq!(reasons.len(), 10, "{m}");
    for r in reasons {
        assert_eq!(r["count"], 1, "{r}");
    }
    assert_eq!(method_row(&m, "/keyed", "GET")["reasons"].as_array().unwrap().len(), 5);
    assert_eq!(method_row(&m, "/slow", "GET")["reasons"], json!([{"reason": "BACKEND_TIMEOUT", "count": 1}]));

    // Prometheus too.
    let prom = reqwest::get(s.url("/metrics")).await.unwrap().text().await.unwrap();
    let line = format!("apigw_gateway_answers_total{{api=\"{api}\",stage=\"dev\",resource=\"/keyed\",method=\"GET\",reason=\"QUOTA\"}} 1");
    assert!(prom.contains(&line), "{line} in\n{prom}");
}
