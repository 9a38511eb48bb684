//! Configuration the data plane cannot serve is refused when it is made, in
//! AWS's error shape, by the console and the control API alike (issue 34,
//! finding 7): a response status must be a final one (200-599), and throttle
//! rates and bursts must stay in the range the gateway's limiter is exact in.
//! Each refusal names the field and the rule, and changes nothing.

use apigw_tests::gw::Ctl;
use apigw_tests::TestServer;
use reqwest::Method;
use serde_json::{json, Value};

/// Sends a control-API request that must be refused with a 400
/// BadRequestException; returns the message.
async fn refused(ctl: &Ctl<'_>, method: Method, path: &str, body: Value) -> String {
    let res = ctl.c.request(method.clone(), ctl.s.url(path)).json(&body).send().await.unwrap();
    let status = res.status().as_u16();
    let kind = res.headers().get("x-amzn-errortype").map(|v| v.to_str().unwrap().to_string());
    let v: Value = res.json().await.unwrap_or(Value::Null);
    assert_eq!((status, kind.as_deref()), (400, Some("BadRequestException")), "{method} {path} {body}: {v}");
    v["message"].as_str().unwrap_or_default().to_string()
}

/// Calls a console server function with a JSON body: (status, body).
async fn console_fn(ctl: &Ctl<'_>, endpoint: &str, body: Value) -> (u16, Value) {
    let res = ctl.c.post(ctl.s.url(&format!("/api/{endpoint}"))).json(&body).send().await.unwrap();
    let status = res.status().as_u16();
    (status, serde_json::from_str(&res.text().await.unwrap()).unwrap_or(Value::Null))
}

#[tokio::test]
async fn response_status_codes_must_be_final_statuses() {
    let s = TestServer::start().await;
    let ctl = Ctl::new(&s).await;
    let (api, root) = ctl.api("statuses").await;
    ctl.mock(&api, &root, "GET", 200, "{\"ok\":true}").await;
    let m = format!("/restapis/{api}/resources/{root}/methods/GET");
    let before = ctl.req(Method::GET, &m, None, 200).await;

    for code in ["100", "101", "199", "600", "99", "2000"] {
        for path in [format!("{m}/responses/{code}"), format!("{m}/integration/responses/{code}")] {
            let msg = refused(&ctl, Method::PUT, &path, json!({})).await;
            assert!(msg.starts_with(&format!("statusCode: must be a number from 200 to 599; '{code}' is not.")), "{msg}");
        }
    }
    let msg = refused(&ctl, Method::PUT, &format!("{m}/responses/101"), json!({})).await;
    assert!(msg.contains("interim") && msg.contains("final"), "the message says why 1xx is refused: {msg}");

    // The console's method editor: the same rule, the same words, the field named.
    let mock = json!({
        "api_key_required": false, "integration_type": "MOCK", "uri": "", "integration_method": "GET",
        "timeout_ms": 29000, "mock_status": "101", "mock_headers": [], "mock_body": ""
    });
    let (st, e) = console_fn(&ctl, "method_save", json!({"api": api, "resource": root, "verb": "GET", "settings": mock})).await;
    assert_eq!((st, e["Invalid"]["field"].as_str()), (400, Some("statusCode")), "{e}");
    assert!(e["Invalid"]["message"].as_str().unwrap().starts_with("statusCode: must be a number from 200 to 599; '101' is not."));

    assert_eq!(ctl.req(Method::GET, &m, None, 200).await, before, "refused status codes changed nothing");
    ctl.req(Method::GET, &format!("{m}/responses/101"), None, 404).await;
    ctl.deploy(&api, "dev").await;
    let res = reqwest::get(ctl.invoke(&api, "dev", "/")).await.unwrap();
    assert_eq!(res.status(), 200, "the mock still answers its old status");
}

/// A 1xx status that is already stored (written before the rule existed) is
/// a configuration error at serve time: 500, never an interim status as the answer.
#[tokio::test]
async fn a_stored_1xx_mock_status_answers_500() {
    use sqlx::sqlite::SqliteConnectOptions;
    use sqlx::ConnectOptions;

    let s = TestServer::start().await;
    let ctl = Ctl::new(&s).await;
    let (api, root) = ctl.api("old-row").await;
    ctl.mock(&api, &root, "GET", 200, "{}").await;
    let mut conn = SqliteConnectOptions::new().filename(&s.db).connect().await.unwrap();
    for table in ["method_responses", "integration_responses"] {
        let q = format!("UPDATE {table} SET status_code = '101' WHERE resource_id = ?1 AND http_method = 'GET'");
        let done = sqlx::query(&q).bind(&root).execute(&mut conn).await.unwrap();
        assert_eq!(done.rows_affected(), 1, "{table}");
    }
    drop(conn);
    ctl.deploy(&api, "dev").await;
    let res = reqwest::get(ctl.invoke(&api, "dev", "/")).await.unwrap();
    assert_eq!(res.status(), 500);
    assert_eq!(res.headers()["x-amzn-errortype"], "InternalServerErrorException");
}

#[tokio::test]
async fn usage_plan_throttles_must_stay_in_range() {
    let s = TestServer::start().await;
    let ctl = Ctl::new(&s).await;
    let (api, root) = ctl.api("plans").await;
    ctl.mock(&api, &root, "GET", 200, "{}").await;
    ctl.deploy(&api, "dev").await;
    let gold = json!({"name": "Gold", "throttle": {"rateLimit": 10.0, "burstLimit": 20},
        "apiStages": [{"apiId": api, "stage": "dev", "throttle": {"/GET": {"rateLimit": 5.0, "burstLimit": 5}}}]});
    let plan = ctl.req(Method::POST, "/usageplans", Some(gold), 201).await;
    let id = plan["id"].as_str().unwrap().to_string();
    let before = ctl.req(Method::GET, "/usageplans", None, 200).await;

    let stage =
        |rate: f64, burst: i64| json!([{"apiId": api, "stage": "dev", "throttle": {"/GET": {"rateLimit": rate, "burstLimit": burst}}}]);
    for (body, start) in [
        (json!({"name": "x", "throttle": {"rateLimit": 1e-10, "burstLimit": 1}}), "throttle.rateLimit: must be 0"),
        (json!({"name": "x", "throttle": {"rateLimit": 0.0009, "burstLimit": 1}}), "throttle.rateLimit: must be 0"),
        (json!({"name": "x", "throttle": {"rateLimit": 2e6, "burstLimit": 1}}), "throttle.rateLimit: must be 0"),
        (json!({"name": "x", "throttle": {"rateLimit": 1.0, "burstLimit": 1_000_001}}), "throttle.burstLimit: must be a whole number"),
        (json!({"name": "x", "apiStages": stage(1e-10, 1)}), "apiStages[0].throttle[/GET].rateLimit: must be 0"),
        (json!({"name": "x", "apiStages": stage(1.0, 5_000_000)}), "apiStages[0].throttle[/GET].burstLimit: must be"),
    ] {
        let msg = refused(&ctl, Method::POST, "/usageplans", body.clone()).await;
        assert!(msg.starts_with(start), "{body}: {msg}");
    }
    let msg = refused(&ctl, Method::POST, "/usageplans", json!({"name": "x", "throttle": {"rateLimit": 1e-10, "burstLimit": 1}})).await;
    assert_eq!(
        msg,
        "throttle.rateLimit: must be 0 (refuses every request) or a number from 0.001 to 1000000 requests per second; 1e-10 is not."
    );

    // UpdateUsagePlan: the same rules, the value quoted as it was sent.
    let per_method = format!("/apiStages/{api}:dev/throttle/~1/GET");
    let cases = [
        ("/throttle/rateLimit".to_string(), "1e-10", "throttle.rateLimit: must be 0".to_string()),
        ("/throttle/rateLimit".to_string(), "NaN", "throttle.rateLimit: must be 0".to_string()),
        ("/throttle/burstLimit".to_string(), "2000000", "throttle.burstLimit: must be a whole number".to_string()),
        (format!("{per_method}/rateLimit"), "1e-10", format!("{per_method}/rateLimit: must be 0")),
        (format!("{per_method}/burstLimit"), "-1", format!("{per_method}/burstLimit: must be a whole number")),
    ];
    for (path, value, start) in cases {
        let ops = json!({"patchOperations": [{"op": "replace", "path": "/name", "value": "Renamed"},
                                            {"op": "replace", "path": path, "value": value}]});
        let msg = refused(&ctl, Method::PATCH, &format!("/usageplans/{id}"), ops).await;
        assert!(msg.starts_with(&start) && msg.ends_with(&format!("'{value}' is not.")), "{path}: {msg}");
    }

    // The console's plan editor.
    let input = json!({"name": "Gold", "throttle": {"rateLimit": 1e-10, "burstLimit": 20}});
    let (st, e) = console_fn(&ctl, "usage_plan_save", json!({"id": id, "input": input})).await;
    assert_eq!((st, e["Invalid"]["field"].as_str()), (400, Some("throttle.rateLimit")), "{e}");

    assert_eq!(ctl.req(Method::GET, "/usageplans", None, 200).await, before, "refused throttles changed nothing");
    let got = ctl.req(Method::GET, &format!("/usageplans/{id}"), None, 200).await;
    assert_eq!(got["throttle"], json!({"rateLimit": 10.0, "burstLimit": 20}));

    // The edges of the range are accepted.
    let ops = json!({"patchOperations": [{"op": "replace", "path": "/throttle/rateLimit", "value": "0.001"},
                                        {"op": "replace", "path": "/throttle/burstLimit", "value": "1000000"}]});
    let got = ctl.req(Method::PATCH, &format!("/usageplans/{id}"), Some(ops), 200).await;
    assert_eq!(got["throttle"], json!({"rateLimit": 0.001, "burstLimit": 1_000_000}));
}

#[tokio::test]
async fn stage_throttles_must_stay_in_range() {
    let s = TestServer::start().await;
    let ctl = Ctl::new(&s).await;
    let (api, root) = ctl.api("stage-limits").await;
    ctl.mock(&api, &root, "GET", 200, "{}").await;
    ctl.deploy(&api, "dev").await;
    let st = format!("/restapis/{api}/stages/dev");
    let ok = json!({"patchOperations": [{"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "100"}]});
    ctl.req(Method::PATCH, &st, Some(ok), 200).await;
    let before = ctl.req(Method::GET, &st, None, 200).await;

    for (path, value) in [
        ("/*/*/throttling/rateLimit", "1e-10"),
        ("/*/*/throttling/rateLimit", "0.0009"),
        ("/*/*/throttling/rateLimit", "1000001"),
        ("/*/*/throttling/rateLimit", "inf"),
        ("/~1/GET/throttling/rateLimit", "-2"),
        ("/*/*/throttling/burstLimit", "1000001"),
        ("/*/*/throttling/burstLimit", "1.5"),
        ("/~1/GET/throttling/burstLimit", "-2"),
    ] {
        let ops = json!({"patchOperations": [{"op": "replace", "path": "/description", "value": "changed"},
                                            {"op": "replace", "path": path, "value": value}]});
        let msg = refused(&ctl, Method::PATCH, &st, ops).await;
        let rule = if path.ends_with("rateLimit") {
            "must be 0 (refuses every request) or a number from 0.001"
        } else {
            "must be a whole number from 0 to 1000000"
        };
        assert!(msg.starts_with(&format!("{path}: {rule}")), "{path}: {msg}");
        assert!(msg.ends_with(&format!("'{value}' is not.")), "{msg}");
    }
    // The console's stage page sends the same operations.
    let ops = json!([{"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "1e-10"}]);
    let (code, e) = console_fn(&ctl, "stage_update", json!({"api": api, "stage": "dev", "ops": ops})).await;
    assert_eq!((code, e["Invalid"]["field"].as_str()), (400, Some("/*/*/throttling/rateLimit")), "{e}");
    assert_eq!(ctl.req(Method::GET, &st, None, 200).await, before, "refused throttles changed nothing");

    // The slowest allowed rate works as written: the burst, then 429s.
    let slow = json!({"patchOperations": [{"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "0.001"},
                                         {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": "2"}]});
    let got = ctl.req(Method::PATCH, &st, Some(slow), 200).await;
    assert_eq!(
        got["methodSettings"]["*/*"],
        json!({"throttlingRateLimit": 0.001, "throttlingBurstLimit": 2, "metricsEnabled": false, "loggingLevel": "OFF",
               "dataTraceEnabled": false, "cachingEnabled": false, "cacheTtlInSeconds": 300, "cacheDataEncrypted": false,
               "requireAuthorizationForCacheControl": true, "unauthorizedCacheControlHeaderStrategy": "SUCCEED_WITH_RESPONSE_HEADER"}),
        "AWS's defaults for the fields not set"
    );
    let url = ctl.invoke(&api, "dev", "/");
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(reqwest::get(&url).await.unwrap().status().as_u16());
    }
    assert_eq!(statuses, vec![200, 200, 429, 429]);
}
