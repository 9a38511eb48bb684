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
