//! TestInvokeMethod: the current (undeployed) configuration, called for real
//! through the gateway's integration code, with AWS's execution log; key
//! checks and throttling skipped; nothing counted in stage metrics.

use std::time::Duration;

use apigw_tests::echo::{dead_backend, Echo};
use apigw_tests::gw::Ctl;
use apigw_tests::TestServer;
use reqwest::Method;
use serde_json::{json, Value};

/// The log's lines without their dates.
fn log_lines(v: &Value) -> Vec<String> {
    v["log"].as_str().unwrap().lines().map(|l| l.split_once(" : ").map(|(_, t)| t).unwrap_or(l).to_string()).collect()
}

fn assert_in_order(lines: &[String], wanted: &[&str]) {
    let mut at = 0;
    for w in wanted {
        match lines[at..].iter().position(|l| l.starts_with(w)) {
            Some(i) => at += i + 1,
            None => panic!("'{w}' not found (in order) in the log:\n{}", lines.join("\n")),
        }
    }
}

#[tokio::test]
async fn proxy_methods_are_called_for_real_with_an_aws_style_log() {
    let s = TestServer::start().await;
    let echo = Echo::start().await;
    let ctl = Ctl::new(&s).await;
    let (api, root) = ctl.api("tested").await;
    let pets = ctl.resource(&api, &root, "pets").await;
    let pet = ctl.resource(&api, &pets, "{id}").await;
    // Key required: a test invoke skips the key check.
    ctl.method(&api, &pet, "POST", true, Ctl::proxy(&format!("http://{}/old/{{id}}", echo.host()), "POST")).await;
    ctl.deploy(&api, "dev").await;
    // Changed after the deploy: the test runs the current configuration.
    ctl.req(
        Method::PUT,
        &format!("/restapis/{api}/resources/{pet}/methods/POST/integration"),
        Some(Ctl::proxy("http://${stageVariables.host}/new/{id}", "POST")),
        201,
    )
    .await;

    let out = ctl
        .req(
            Method::POST,
            &format!("/restapis/{api}/resources/{pet}/methods/POST"),
            Some(json!({
                "pathWithQueryString": "/pets/7?color=red",
                "body": "{\"name\":\"rex\"}",
                "headers": {"X-Trace": "abc", "Content-Type": "application/json"},
                "multiValueHeaders": {"X-Multi": ["1", "2"]},
                "stageVariables": {"host": echo.host()},
            })),
            200,
        )
        .await;
    assert_eq!(out["status"], 200);
    let echoed: Value = serde_json::from_str(out["body"].as_str().unwrap()).unwrap();
    assert_eq!(echoed["path"], "/new/7");
    assert_eq!(echoed["query"], "color=red");
    assert_eq!(echoed["method"], "POST");
    assert_eq!(echoed["body"], "{\"name\":\"rex\"}");
    assert_eq!(echoed["headers"]["x-trace"], "abc");
    assert_eq!(out["headers"]["x-echo"], "yes");
    assert_eq!(out["multiValueHeaders"]["x-echo"], json!(["yes"]));
    assert!(out["latency"].as_i64().unwrap() >= 0);
    assert_eq!(echo.hits(), 1, "one real call");

    let lines = log_lines(&out);
    assert!(lines[0].starts_with("Execution log for request "));
    assert_in_order(
        &lines,
        &[
            "Starting execution for request: ",
            "HTTP Method: POST, Resource Path: /pets/7",
            "Method request path: {id=7}",
            "Method request query string: {color=red}",
            "Method request headers: {",
            "Method request body before transformations: {\"name\":\"rex\"}",
            &format!("Endpoint request URI: http://{}/new/7?color=red", echo.host()),
            "Endpoint request headers: {",
            "Endpoint request body after transformations: {\"name\":\"rex\"}",
            "Sending request to http://",
            "Received response. Status: 200, Integration latency: ",
            "Endpoint response headers: {",
            "Endpoint response body before transformations: {",
            "Method response body after transformations: {",
            "Method response headers: {",
            "Successfully completed execution",
            "Method completed with status: 200",
        ],
    );
    assert!(lines.iter().any(|l| l.contains("x-multi=1") && l.contains("x-multi=2")), "multi-value headers in the log");
    // Dates look like AWS's: "Sat Nov 21 14:05:03 UTC 2026 : ...".
    let first_dated = out["log"].as_str().unwrap().lines().nth(1).unwrap();
    assert!(first_dated.contains(" UTC 20") && first_dated.contains(" : Starting"), "{first_dated}");

    // Not counted in the stage's metrics.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let m = ctl.req(Method::GET, &format!("/restapis/{api}/stages/dev/metrics?range=15m"), None, 200).await;
    assert_eq!(m["count"], 0);
}

#[tokio::test]
async fn mocks_failures_and_bad_input() {
    let s = TestServer::start().await;
    let ctl = Ctl::new(&s).await;
    let echo = Echo::start().await;
    let (api, root) = ctl.api("edge").await;
    ctl.mock(&api, &root, "GET", 201, "{\"mocked\":true}").await;
    let down = ctl.resource(&api, &root, "down").await;
    ctl.method(&api, &down, "GET", false, Ctl::proxy(&format!("http://{}/x", dead_backend().await), "GET")).await;
    let slow = ctl.resource(&api, &root, "slow").await;
    let mut slow_integration = Ctl::proxy(&format!("http://{}/slow", echo.host()), "GET");
    slow_integration["timeoutInMillis"] = json!(100);
    ctl.method(&api, &slow, "GET", false, slow_integration).await;
    let t = |rid: &str, verb: &str| format!("/restapis/{api}/resources/{rid}/methods/{verb}");

    let mock = ctl.req(Method::POST, &t(&root, "GET"), Some(json!({})), 200).await;
    assert_eq!((mock["status"].as_u64(), mock["body"].as_str()), (Some(201), Some("{\"mocked\":true}")));
    assert_eq!(mock["headers"]["x-mock"], "yes");
    assert_in_order(
        &log_lines(&mock),
        &["Mock integration", "Received response. Status: 201", "Successfully completed execution", "Method completed with status: 201"],
    );

    let dead = ctl.req(Method::POST, &t(&down, "GET"), Some(json!({})), 200).await;
    assert_eq!(dead["status"], 502);
    assert_eq!(serde_json::from_str::<Value>(dead["body"].as_str().unwrap()).unwrap(), json!({"message": "Internal server error"}));
    assert_in_order(
        &log_lines(&dead),
        &["Sending request to", "Execution failed due to configuration error", "Method completed with status: 502"],
    );

    let timeout = ctl.req(Method::POST, &t(&slow, "GET"), Some(json!({"pathWithQueryString": "/slow?echo_delay_ms=600"})), 200).await;
    assert_eq!(timeout["status"], 504);
    assert_in_order(&log_lines(&timeout), &["Execution failed due to a timeout error", "Method completed with status: 504"]);

    // Bad input names the field; unknown things are 404.
    let v = ctl.req(Method::POST, &t(&slow, "GET"), Some(json!({"pathWithQueryString": "/other"})), 400).await;
    assert!(v["message"].as_str().unwrap().contains("/slow"), "{v}");
    let v = ctl.req(Method::POST, &t(&slow, "GET"), Some(json!({"pathWithQueryString": "slow"})), 400).await;
    assert!(v["message"].as_str().unwrap().contains("pathWithQueryString"), "{v}");
    let v = ctl.req(Method::POST, &t(&slow, "GET"), Some(json!({"headers": {"bad header": "x"}})), 400).await;
    assert!(v["message"].as_str().unwrap().contains("header"), "{v}");
    let v = ctl.req(Method::POST, &t(&slow, "GET"), Some(json!({"stageVariables": {"bad-name": "x"}})), 400).await;
    assert!(v["message"].as_str().unwrap().contains("bad-name"), "{v}");
    ctl.req(Method::POST, &t(&slow, "DELETE"), Some(json!({})), 404).await;
    ctl.req(Method::POST, &t("nosuchres1", "GET"), Some(json!({})), 404).await;
}

#[tokio::test]
async fn a_dry_run_says_what_the_stage_would_do_and_uses_nothing() {
    let s = TestServer::start().await;
    let echo = Echo::start().await;
    let ctl = Ctl::new(&s).await;
    let (api, root) = ctl.api("explained").await;
    let pets = ctl.resource(&api, &root, "pets").await;
    let pet = ctl.resource(&api, &pets, "{id}").await;
    ctl.method(&api, &pet, "GET", true, Ctl::proxy(&format!("http://{}/pets/{{id}}", echo.host()), "GET")).await;
    let files = ctl.resource(&api, &root, "files").await;
    let greedy = ctl.resource(&api, &files, "{proxy+}").await;
    ctl.method(&api, &greedy, "ANY", false, Ctl::proxy(&format!("http://{}/files", echo.host()), "ANY")).await;
    ctl.deploy(&api, "dev").await;
    let key = ctl.req(Method::POST, "/apikeys", Some(json!({"name": "k", "enabled": true})), 201).await;
    let (key_id, value) = (key["id"].as_str().unwrap().to_string(), key["value"].as_str().unwrap().to_string());
    let plan = ctl
        .req(
            Method::POST,
            "/usageplans",
            Some(json!({"name": "p", "throttle": {"rateLimit": 0.01, "burstLimit": 2},
            "quota": {"limit": 5, "period": "DAY"}, "apiStages": [{"apiId": api, "stage": "dev"}]})),
            201,
        )
        .await;
    ctl.req(
        Method::POST,
        &format!("/usageplans/{}/keys", plan["id"].as_str().unwrap()),
        Some(json!({"keyId": key_id, "keyType": "API_KEY"})),
        201,
    )
    .await;
    let dry_path = format!("/restapis/{api}/stages/dev/dryrun");
    let dry = |body: Value| ctl.req(Method::POST, &dry_path, Some(body), 200);
    let failing = |t: &Value| {
        t["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["ok"] == false)
            .map(|s| (s["name"].as_str().unwrap().to_string(), s["detail"].as_str().unwrap().to_string()))
    };

    let t = dry(json!({"httpMethod": "GET", "pathWithQueryString": "/pets/7?x=1"})).await;
    assert_eq!(t["status"], 403);
    assert_eq!(failing(&t).unwrap().0, "API key");
    let t = dry(json!({"httpMethod": "GET", "pathWithQueryString": "/pets/7?x=1", "apiKey": value})).await;
    assert!(t["status"].is_null(), "{t}");
    assert!(failing(&t).is_none(), "{t}");
    assert_eq!(t["outcome"], format!("The request would go to GET http://{}/pets/7?x=1.", echo.host()));
    let names: Vec<&str> = t["steps"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Stage", "Route", "Method", "API key", "Usage plan throttle", "Stage throttle", "Quota", "Integration"]);
    assert!(t["steps"][1]["detail"].as_str().unwrap().contains("/pets/{id} matched with id=7"));

    // Dry runs take no tokens and no quota: the burst of 2 is still there.
    for _ in 0..5 {
        dry(json!({"httpMethod": "GET", "pathWithQueryString": "/pets/7", "apiKey": value})).await;
    }
    assert_eq!(echo.hits(), 0);
    let call = || reqwest::Client::new().get(ctl.invoke(&api, "dev", "/pets/7")).header("x-api-key", value.clone()).send();
    assert_eq!(call().await.unwrap().status(), 200);
    assert_eq!(call().await.unwrap().status(), 200);
    let t = dry(json!({"httpMethod": "GET", "pathWithQueryString": "/pets/7", "apiKey": value})).await;
    assert_eq!(t["status"], 429);
    let (name, detail) = failing(&t).unwrap();
    assert_eq!(name, "Usage plan throttle");
    assert!(detail.contains("0 of 2 left"), "{detail}");
    let quota = t["steps"].as_array().unwrap().iter().find(|s| s["name"] == "Quota");
    assert!(quota.is_none(), "the first refusal decides: {t}");

    // Misses explain themselves.
    let t = dry(json!({"httpMethod": "GET", "pathWithQueryString": "/files"})).await;
    assert!(failing(&t).unwrap().1.contains("`{proxy+}` does not match its parent"), "{t}");
    let t = dry(json!({"httpMethod": "DELETE", "pathWithQueryString": "/pets/1"})).await;
    assert!(failing(&t).unwrap().1.contains("/pets/{id} has GET; not DELETE"), "{t}");
    let v = ctl.req(Method::POST, &format!("/restapis/{api}/stages/dev/dryrun"), Some(json!({"httpMethod": "FETCH"})), 400).await;
    assert!(v["message"].as_str().unwrap().contains("FETCH"));
    ctl.req(Method::POST, &format!("/restapis/{api}/stages/prod/dryrun"), Some(json!({"httpMethod": "GET"})), 404).await;
}
