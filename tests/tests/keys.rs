//! API keys, usage plans, throttling and quotas, through the control API and
//! the gateway: every rule, the error each broken rule gives, and that a
//! refused request never reaches the backend.

use std::time::{Duration, Instant};

use apigw_tests::echo::Echo;
use apigw_tests::gw::Ctl;
use apigw_tests::TestServer;
use reqwest::Method;
use serde_json::{json, Value};

fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// GET `url` with an optional key: (status, headers, body).
async fn call(url: &str, key: Option<&str>) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut r = client().get(url);
    if let Some(k) = key {
        r = r.header("x-api-key", k);
    }
    let res = r.send().await.unwrap();
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    (status, headers, res.json().await.unwrap_or(Value::Null))
}

/// One API whose `GET /` (key required) and `GET /open` (no key) proxy to the echo, deployed to `dev` and `prod`.
async fn keyed_api(ctl: &Ctl<'_>, echo: &Echo) -> String {
    let (api, root) = ctl.api("keyed").await;
    ctl.method(&api, &root, "GET", true, Ctl::proxy(&format!("http://{}/keyed", echo.host()), "GET")).await;
    let open = ctl.resource(&api, &root, "open").await;
    ctl.method(&api, &open, "GET", false, Ctl::proxy(&format!("http://{}/open", echo.host()), "GET")).await;
    ctl.deploy(&api, "dev").await;
    ctl.deploy(&api, "prod").await;
    api
}

async fn new_key(ctl: &Ctl<'_>, name: &str) -> (String, String) {
    let k = ctl.req(Method::POST, "/apikeys", Some(json!({"name": name, "enabled": true})), 201).await;
    (k["id"].as_str().unwrap().into(), k["value"].as_str().unwrap().into())
}

async fn new_plan(ctl: &Ctl<'_>, body: Value) -> String {
    ctl.req(Method::POST, "/usageplans", Some(body), 201).await["id"].as_str().unwrap().into()
}

async fn attach(ctl: &Ctl<'_>, plan: &str, key: &str) {
    ctl.req(Method::POST, &format!("/usageplans/{plan}/keys"), Some(json!({"keyId": key, "keyType": "API_KEY"})), 201).await;
}

async fn assert_invalid(ctl: &Ctl<'_>, method: Method, path: &str, body: Value, field: &str) {
    let v = ctl.req(method, path, Some(body), 400).await;
    let msg = v["message"].as_str().unwrap();
    assert!(msg.contains(field), "message '{msg}' names {field}");
}

#[tokio::test]
async fn api_keys_are_created_hashed_listed_updated_and_deleted() {
    let s = TestServer::start().await;
    let ctl = Ctl::new(&s).await;

    // Generated value: long, random, shown once. AWS's default: disabled.
    let k = ctl.req(Method::POST, "/apikeys", Some(json!({"name": "mobile"})), 201).await;
    let id = k["id"].as_str().unwrap().to_string();
    let value = k["value"].as_str().unwrap().to_string();
    assert_eq!(value.len(), 40);
    assert_eq!(k["enabled"], false);
    let got = ctl.req(Method::GET, &format!("/apikeys/{id}"), None, 200).await;
    assert!(got.get("value").is_none(), "the value is never shown again: {got}");
    assert_eq!(got["name"], "mobile");
    let list = ctl.req(Method::GET, "/apikeys?includeValues=true", None, 200).await;
    assert_eq!(list["item"].as_array().unwrap().len(), 1);
    assert!(list["item"][0].get("value").is_none());

    // Only a hash is stored: the value is nowhere in the database file.
    let bytes = std::fs::read(&s.db).unwrap();
    let wal = std::fs::read(s.db.with_extension("db-wal")).unwrap_or_default();
    for file in [&bytes, &wal] {
        assert!(!file.windows(value.len()).any(|w| w == value.as_bytes()), "key value found in the database");
    }

    // A chosen value: 20–128 visible characters, unique.
    let chosen = "my-own-key-value-0123456789";
    let c = ctl.req(Method::POST, "/apikeys", Some(json!({"name": "chosen", "value": chosen, "enabled": true})), 201).await;
    assert_eq!(c["value"], chosen);
    let before = ctl.req(Method::GET, "/apikeys", None, 200).await;
    assert_invalid(&ctl, Method::POST, "/apikeys", json!({"name": "short", "value": "tooshort"}), "value").await;
    assert_invalid(&ctl, Method::POST, "/apikeys", json!({"name": "long", "value": "x".repeat(129)}), "value").await;
    assert_invalid(&ctl, Method::POST, "/apikeys", json!({"name": "sp", "value": "has a space in it here!!"}), "value").await;
    let dup = ctl.req(Method::POST, "/apikeys", Some(json!({"name": "dup", "value": chosen})), 409).await;
    assert!(dup["message"].as_str().unwrap().contains("already exists"));
    assert_eq!(ctl.req(Method::GET, "/apikeys", None, 200).await, before, "refused input changes nothing");

    // Update name and enabled; unknown paths and bad values are refused.
    let ops = json!({"patchOperations": [{"op": "replace", "path": "/name", "value": "android"},
                                         {"op": "replace", "path": "/enabled", "value": "true"}]});
    let u = ctl.req(Method::PATCH, &format!("/apikeys/{id}"), Some(ops), 200).await;
    assert_eq!((u["name"].as_str(), u["enabled"].as_bool()), (Some("android"), Some(true)));
    let bad = json!({"patchOperations": [{"op": "replace", "path": "/value", "value": "x"}]});
    assert_invalid(&ctl, Method::PATCH, &format!("/apikeys/{id}"), bad, "/value").await;
    let bad = json!({"patchOperations": [{"op": "replace", "path": "/enabled", "value": "yes"}]});
    assert_invalid(&ctl, Method::PATCH, &format!("/apikeys/{id}"), bad, "enabled").await;
    let bad = json!({"patchOperations": [{"op": "replace", "path": "/name", "value": "  "}]});
    assert_invalid(&ctl, Method::PATCH, &format!("/apikeys/{id}"), bad, "name").await;

    ctl.req(Method::DELETE, &format!("/apikeys/{id}"), None, 202).await;
    let nf = ctl.req(Method::GET, &format!("/apikeys/{id}"), None, 404).await;
    assert!(nf["message"].as_str().unwrap().contains("Invalid API Key identifier"));
    ctl.req(Method::DELETE, &format!("/apikeys/{id}"), None, 404).await;

    // Paging: position and limit, as the AWS CLI uses them.
    for i in 0..3 {
        ctl.req(Method::POST, "/apikeys", Some(json!({"name": format!("p{i}")})), 201).await;
    }
    let p1 = ctl.req(Method::GET, "/apikeys?limit=2", None, 200).await;
    assert_eq!(p1["item"].as_array().unwrap().len(), 2);
    let pos = p1["position"].as_str().unwrap();
    let p2 = ctl.req(Method::GET, &format!("/apikeys?limit=2&position={pos}"), None, 200).await;
    assert_eq!(p2["item"].as_array().unwrap().len(), 2);
    assert!(p2.get("position").is_none());
    let named = ctl.req(Method::GET, "/apikeys?name=p", None, 200).await;
    assert_eq!(named["item"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn usage_plans_check_every_rule_before_writing() {
    let s = TestServer::start().await;
    let echo = Echo::start().await;
    let ctl = Ctl::new(&s).await;
    let api = keyed_api(&ctl, &echo).await;

    let plan = ctl
        .req(
            Method::POST,
            "/usageplans",
            Some(json!({
                "name": "Gold", "description": "paying customers",
                "throttle": {"rateLimit": 100.0, "burstLimit": 200},
                "quota": {"limit": 10000, "period": "MONTH", "offset": 0},
                "apiStages": [{"apiId": api, "stage": "dev", "throttle": {"/GET": {"rateLimit": 5.0, "burstLimit": 5}}}]
            })),
            201,
        )
        .await;
    let id = plan["id"].as_str().unwrap().to_string();
    assert_eq!(plan["apiStages"][0]["throttle"]["//GET"]["burstLimit"], 5, "root method keys are normalised");
    assert_eq!(plan["quota"]["period"], "MONTH");

    let before = ctl.req(Method::GET, "/usageplans", None, 200).await;
    for (body, field) in [
        (json!({"description": "no name"}), "name"),
        (json!({"name": "x", "throttle": {"rateLimit": -1.0, "burstLimit": 1}}), "rateLimit"),
        (json!({"name": "x", "throttle": {"rateLimit": 1.0, "burstLimit": -1}}), "burstLimit"),
        (json!({"name": "x", "quota": {"limit": 0, "period": "DAY"}}), "quota limit"),
        (json!({"name": "x", "quota": {"limit": 5, "period": "YEAR"}}), "DAY, WEEK or MONTH"),
        (json!({"name": "x", "quota": {"limit": 5, "period": "DAY", "offset": 1}}), "offset"),
        (json!({"name": "x", "quota": {"limit": 5, "period": "WEEK", "offset": 7}}), "offset"),
        (json!({"name": "x", "apiStages": [{"apiId": api, "stage": "nope"}]}), "no stage named 'nope'"),
        (json!({"name": "x", "apiStages": [{"apiId": "missingapi", "stage": "dev"}]}), "no stage named"),
        (json!({"name": "x", "apiStages": [{"apiId": api, "stage": "dev"}, {"apiId": api, "stage": "dev"}]}), "twice"),
        (
            json!({"name": "x", "apiStages": [{"apiId": api, "stage": "dev", "throttle": {"pets": {"rateLimit": 1.0, "burstLimit": 1}}}]}),
            "/resource/path/METHOD",
        ),
        (
            json!({"name": "x", "apiStages": [{"apiId": api, "stage": "dev", "throttle": {"/pets/FETCH": {"rateLimit": 1.0, "burstLimit": 1}}}]}),
            "FETCH",
        ),
    ] {
        assert_invalid(&ctl, Method::POST, "/usageplans", body, field).await;
    }
    let bad = json!({"patchOperations": [{"op": "replace", "path": "/name", "value": "Platinum"},
                                         {"op": "replace", "path": "/quota/period", "value": "FORTNIGHT"}]});
    assert_invalid(&ctl, Method::PATCH, &format!("/usageplans/{id}"), bad, "DAY, WEEK or MONTH").await;
    assert_eq!(ctl.req(Method::GET, "/usageplans", None, 200).await, before, "refused input changes nothing");

    // Updates, in AWS's patch form.
    let ops = json!({"patchOperations": [
        {"op": "replace", "path": "/name", "value": "Platinum"},
        {"op": "replace", "path": "/throttle/rateLimit", "value": "50"},
        {"op": "replace", "path": "/quota/limit", "value": "500"},
        {"op": "replace", "path": "/quota/period", "value": "WEEK"},
        {"op": "replace", "path": "/quota/offset", "value": "1"},
        {"op": "add", "path": "/apiStages", "value": format!("{api}:prod")},
        {"op": "replace", "path": format!("/apiStages/{api}:prod/throttle/~1open/GET/rateLimit"), "value": "2"},
    ]});
    let p = ctl.req(Method::PATCH, &format!("/usageplans/{id}"), Some(ops), 200).await;
    assert_eq!(p["name"], "Platinum");
    assert_eq!(p["throttle"], json!({"rateLimit": 50.0, "burstLimit": 200}));
    assert_eq!(p["quota"], json!({"limit": 500, "period": "WEEK", "offset": 1}));
    assert_eq!(p["apiStages"][1]["throttle"]["/open/GET"]["rateLimit"], 2.0);
    assert_eq!(ctl.req(Method::GET, &format!("/usageplans/{id}"), None, 200).await, p);

    // A stage or API in a plan cannot be deleted from under it.
    let r = ctl.req(Method::DELETE, &format!("/restapis/{api}/stages/prod"), None, 409).await;
    assert!(r["message"].as_str().unwrap().contains("Platinum"), "{r}");
    ctl.req(Method::DELETE, &format!("/restapis/{api}"), None, 409).await;
    let ops = json!({"patchOperations": [{"op": "remove", "path": "/apiStages", "value": format!("{api}:prod")},
                                         {"op": "remove", "path": "/quota"}]});
    let p = ctl.req(Method::PATCH, &format!("/usageplans/{id}"), Some(ops), 200).await;
    assert!(p.get("quota").is_none());
    ctl.req(Method::DELETE, &format!("/restapis/{api}/stages/prod"), None, 202).await;

    ctl.req(Method::DELETE, &format!("/usageplans/{id}"), None, 202).await;
    let nf = ctl.req(Method::GET, &format!("/usageplans/{id}"), None, 404).await;
    assert_eq!(nf["message"], "Invalid Usage Plan ID specified");
    ctl.req(Method::DELETE, &format!("/restapis/{api}"), None, 202).await;
}

#[tokio::test]
async fn plan_keys_attach_list_and_refuse_two_plans_on_one_stage() {
    let s = TestServer::start().await;
    let echo = Echo::start().await;
    let ctl = Ctl::new(&s).await;
    let api = keyed_api(&ctl, &echo).await;
    let (key, _) = new_key(&ctl, "partner").await;
    let gold = new_plan(&ctl, json!({"name": "Gold", "apiStages": [{"apiId": api, "stage": "dev"}]})).await;
    let silver = new_plan(&ctl, json!({"name": "Silver", "apiStages": [{"apiId": api, "stage": "dev"}]})).await;
    let bronze = new_plan(&ctl, json!({"name": "Bronze"})).await;

    let k = ctl.req(Method::POST, &format!("/usageplans/{gold}/keys"), Some(json!({"keyId": key, "keyType": "API_KEY"})), 201).await;
    assert_eq!(k, json!({"id": key, "type": "API_KEY", "name": "partner"}));
    let list = ctl.req(Method::GET, &format!("/usageplans/{gold}/keys"), None, 200).await;
    assert_eq!(list["item"], json!([k]));
    assert_eq!(ctl.req(Method::GET, &format!("/usageplans/{gold}/keys/{key}"), None, 200).await, k);
    ctl.req(Method::POST, &format!("/usageplans/{gold}/keys"), Some(json!({"keyId": key, "keyType": "API_KEY"})), 409).await;

    // Silver covers the same stage: the key cannot be in both.
    let r = ctl.req(Method::POST, &format!("/usageplans/{silver}/keys"), Some(json!({"keyId": key, "keyType": "API_KEY"})), 409).await;
    assert!(r["message"].as_str().unwrap().contains("Gold"), "{r}");
    // Bronze covers nothing yet: fine; then giving Bronze the stage is refused.
    attach(&ctl, &bronze, &key).await;
    let ops = json!({"patchOperations": [{"op": "add", "path": "/apiStages", "value": format!("{api}:dev")}]});
    ctl.req(Method::PATCH, &format!("/usageplans/{bronze}"), Some(ops), 409).await;

    let plans_of_key = ctl.req(Method::GET, &format!("/usageplans?keyId={key}"), None, 200).await;
    let names: Vec<&str> = plans_of_key["item"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["Bronze", "Gold"]);

    for (body, field) in [(json!({"keyType": "API_KEY"}), "keyId"), (json!({"keyId": key, "keyType": "COGNITO"}), "keyType")] {
        assert_invalid(&ctl, Method::POST, &format!("/usageplans/{silver}/keys"), body, field).await;
    }
    ctl.req(Method::POST, &format!("/usageplans/{silver}/keys"), Some(json!({"keyId": "nokey12345", "keyType": "API_KEY"})), 404).await;
    ctl.req(Method::POST, "/usageplans/noplan1234/keys", Some(json!({"keyId": key, "keyType": "API_KEY"})), 404).await;

    ctl.req(Method::DELETE, &format!("/usageplans/{gold}/keys/{key}"), None, 202).await;
    ctl.req(Method::DELETE, &format!("/usageplans/{gold}/keys/{key}"), None, 404).await;
    assert_eq!(ctl.req(Method::GET, &format!("/usageplans/{gold}/keys"), None, 200).await["item"], json!([]));
    // Now Silver may take it... but Bronze still has none of dev, so yes.
    attach(&ctl, &silver, &key).await;
    // Deleting a key takes it out of every plan.
    ctl.req(Method::DELETE, &format!("/apikeys/{key}"), None, 202).await;
    assert_eq!(ctl.req(Method::GET, &format!("/usageplans/{silver}/keys"), None, 200).await["item"], json!([]));
}

#[tokio::test]
async fn the_gateway_lets_only_enabled_keys_in_a_plan_for_the_stage_through() {
    let s = TestServer::start().await;
    let echo = Echo::start().await;
    let ctl = Ctl::new(&s).await;
    let api = keyed_api(&ctl, &echo).await;
    let url = ctl.invoke(&api, "dev", "/");
    let forbidden = json!({"message": "Forbidden"});

    // No key, an unknown key: 403 and the backend never sees them.
    let (st, h, body) = call(&url, None).await;
    assert_eq!((st, body.clone()), (403, forbidden.clone()));
    assert_eq!(h["x-amzn-errortype"], "ForbiddenException");
    assert_eq!(call(&url, Some("not-a-key-at-all-0000000000")).await.0, 403);

    // A key in no plan: 403. In a plan for prod only: 403 on dev, 200 on prod.
    let (key, value) = new_key(&ctl, "app").await;
    assert_eq!(call(&url, Some(&value)).await.0, 403);
    let plan = new_plan(&ctl, json!({"name": "Basic", "apiStages": [{"apiId": api, "stage": "prod"}]})).await;
    attach(&ctl, &plan, &key).await;
    assert_eq!(call(&url, Some(&value)).await.0, 403);
    assert_eq!(echo.hits(), 0, "refused requests never reach the backend");
    let (st, _, body) = call(&ctl.invoke(&api, "prod", "/"), Some(&value)).await;
    assert_eq!(st, 200);
    assert_eq!(body["path"], "/keyed");
    assert_eq!(body["headers"]["x-api-key"], value.as_str(), "the key is passed on to the backend, as AWS does");

    // Plan changes take effect without a deploy.
    let ops = json!({"patchOperations": [{"op": "add", "path": "/apiStages", "value": format!("{api}:dev")}]});
    ctl.req(Method::PATCH, &format!("/usageplans/{plan}"), Some(ops), 200).await;
    assert_eq!(call(&url, Some(&value)).await.0, 200);

    // Disabled: 403 at once; enabled again: 200.
    let off = json!({"patchOperations": [{"op": "replace", "path": "/enabled", "value": "false"}]});
    ctl.req(Method::PATCH, &format!("/apikeys/{key}"), Some(off), 200).await;
    let (st, _, body) = call(&url, Some(&value)).await;
    assert_eq!((st, body), (403, forbidden.clone()));
    let on = json!({"patchOperations": [{"op": "replace", "path": "/enabled", "value": "true"}]});
    ctl.req(Method::PATCH, &format!("/apikeys/{key}"), Some(on), 200).await;
    assert_eq!(call(&url, Some(&value)).await.0, 200);

    // Removed from the plan, or deleted: 403.
    ctl.req(Method::DELETE, &format!("/usageplans/{plan}/keys/{key}"), None, 202).await;
    assert_eq!(call(&url, Some(&value)).await.0, 403);
    attach(&ctl, &plan, &key).await;
    assert_eq!(call(&url, Some(&value)).await.0, 200);
    ctl.req(Method::DELETE, &format!("/apikeys/{key}"), None, 202).await;
    assert_eq!(call(&url, Some(&value)).await.0, 403);

    // A method that needs no key ignores keys, valid or not.
    assert_eq!(call(&ctl.invoke(&api, "dev", "/open"), None).await.0, 200);
    let (st, h, _) = call(&ctl.invoke(&api, "dev", "/open"), Some("whatever-whatever-whatever")).await;
    assert_eq!(st, 200);
    assert!(!h.contains_key("ratelimit-limit"), "only keyed responses carry rate-limit headers");
}

#[tokio::test]
async fn throttles_apply_in_aws_order_with_retry_after_and_rate_limit_headers() {
    let s = TestServer::start().await;
    let echo = Echo::start().await;
    let ctl = Ctl::new(&s).await;
    let api = keyed_api(&ctl, &echo).await;
    let url = ctl.invoke(&api, "dev", "/");
    let (key, value) = new_key(&ctl, "app").await;
    // Plan: 1 request/s with a burst of 3.
    let plan = new_plan(
        &ctl,
        json!({"name": "Tight", "throttle": {"rateLimit": 1.0, "burstLimit": 3},
                                     "apiStages": [{"apiId": api, "stage": "dev"}]}),
    )
    .await;
    attach(&ctl, &plan, &key).await;

    let mut remaining = Vec::new();
    for _ in 0..3 {
        let (st, h, _) = call(&url, Some(&value)).await;
        assert_eq!(st, 200);
        assert_eq!(h["ratelimit-limit"], "3");
        remaining.push(h["ratelimit-remaining"].to_str().unwrap().parse::<u64>().unwrap());
        assert!(h.contains_key("ratelimit-reset"));
    }
    assert!(remaining[2] <= 1 && remaining[0] >= remaining[2], "{remaining:?}");
    let (st, h, body) = call(&url, Some(&value)).await;
    assert_eq!((st, body), (429, json!({"message": "Too Many Requests"})));
    assert_eq!(h["x-amzn-errortype"], "TooManyRequestsException");
    assert_eq!(h["retry-after"], "1");
    assert_eq!(h["ratelimit-remaining"], "0");
    assert_eq!(echo.hits(), 3, "the throttled request never reached the backend");
    // A second later one more fits.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(call(&url, Some(&value)).await.0, 200);

    // Plan per-method beats plan: burst 1 on GET / for this stage.
    let ops = json!({"patchOperations": [
        {"op": "replace", "path": "/throttle/burstLimit", "value": "100"},
        {"op": "replace", "path": "/throttle/rateLimit", "value": "100"},
        {"op": "replace", "path": format!("/apiStages/{api}:dev/throttle/~1/GET/burstLimit"), "value": "1"},
        {"op": "replace", "path": format!("/apiStages/{api}:dev/throttle/~1/GET/rateLimit"), "value": "0.5"},
    ]});
    ctl.req(Method::PATCH, &format!("/usageplans/{plan}"), Some(ops), 200).await;
    assert_eq!(call(&url, Some(&value)).await.0, 200);
    let (st, h, _) = call(&url, Some(&value)).await;
    assert_eq!(st, 429);
    assert_eq!(h["retry-after"], "2", "0.5 requests/s: the next fits in 2 s");

    // Stage throttles (UpdateStage method settings) hold for everyone, keyed or not.
    let ops = json!({"patchOperations": [
        {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": "2"},
        {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "1"},
        {"op": "replace", "path": "/~1open/GET/throttling/burstLimit", "value": "1"},
    ]});
    ctl.req(Method::PATCH, &format!("/restapis/{api}/stages/prod"), Some(ops), 200).await;
    let open = ctl.invoke(&api, "prod", "/open");
    assert_eq!(call(&open, None).await.0, 200);
    let (st, h, body) = call(&open, None).await;
    assert_eq!((st, body), (429, json!({"message": "Too Many Requests"})));
    assert!(h.contains_key("retry-after") && !h.contains_key("ratelimit-limit"));
    // The stage's own per-method setting beats `*/*`; dev is untouched.
    assert_eq!(call(&ctl.invoke(&api, "dev", "/open"), None).await.0, 200);
    assert_eq!(call(&ctl.invoke(&api, "dev", "/open"), None).await.0, 200);
    assert_eq!(call(&ctl.invoke(&api, "dev", "/open"), None).await.0, 200);
}

#[tokio::test]
async fn quotas_count_per_key_and_period_and_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("apigw.db");
    let s = TestServer::start_on(&db).await;
    let echo = Echo::start().await;
    let ctl = Ctl::new(&s).await;
    let api = keyed_api(&ctl, &echo).await;
    let url = ctl.invoke(&api, "dev", "/");
    let (a, a_value) = new_key(&ctl, "a").await;
    let (b, b_value) = new_key(&ctl, "b").await;
    let plan = new_plan(
        &ctl,
        json!({"name": "Three a day", "quota": {"limit": 3, "period": "DAY", "offset": 0},
                                     "apiStages": [{"apiId": api, "stage": "dev"}]}),
    )
    .await;
    attach(&ctl, &plan, &a).await;
    attach(&ctl, &plan, &b).await;

    for left in [2, 1, 0] {
        let (st, h, _) = call(&url, Some(&a_value)).await;
        assert_eq!(st, 200);
        assert_eq!(h["x-quota-limit"], "3");
        assert_eq!(h["x-quota-remaining"], left.to_string().as_str());
        let reset: i64 = h["x-quota-reset"].to_str().unwrap().parse().unwrap();
        assert!((1..=86_400).contains(&reset));
    }
    let (st, h, body) = call(&url, Some(&a_value)).await;
    assert_eq!((st, body), (429, json!({"message": "Limit Exceeded"})));
    assert_eq!(h["x-amzn-errortype"], "LimitExceededException");
    let retry: i64 = h["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=86_400).contains(&retry), "retry after the period ends: {retry}");
    assert_eq!(echo.hits(), 3);
    // Quotas are per key.
    assert_eq!(call(&url, Some(&b_value)).await.0, 200);

    // Counts reach the database within about a second, with no request asking for them.
    tokio::time::sleep(Duration::from_millis(1600)).await;
    let today = {
        let d = time::OffsetDateTime::now_utc().date();
        format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
    };
    let rows = stored_usage(&db, &plan).await;
    assert_eq!(rows, vec![(a.clone(), today.clone(), 3), (b.clone(), today.clone(), 1)]);

    // GetUsage: per key, per day, [used, remaining].
    let usage = ctl.req(Method::GET, &format!("/usageplans/{plan}/usage?startDate={today}&endDate={today}"), None, 200).await;
    assert_eq!(usage["values"][&a], json!([[3, 0]]));
    assert_eq!(usage["values"][&b], json!([[1, 2]]));
    assert_eq!(usage["usagePlanId"], plan.as_str());
    let one = ctl.req(Method::GET, &format!("/usageplans/{plan}/usage?keyId={b}&startDate={today}&endDate={today}"), None, 200).await;
    assert_eq!(one["values"].as_object().unwrap().len(), 1);
    for (q, field) in [
        ("startDate=2026-13-01&endDate=2026-12-01", "startDate"),
        ("startDate=2026-11-02&endDate=2026-11-01", "endDate"),
        ("endDate=2026-11-01", "startDate"),
        ("startDate=2020-01-01&endDate=2026-01-01", "endDate"),
    ] {
        let v = ctl.req(Method::GET, &format!("/usageplans/{plan}/usage?{q}"), None, 400).await;
        assert!(v["message"].as_str().unwrap().contains(field), "{q}: {v}");
    }

    // One more for b, then a graceful restart: nothing is lost, a stays refused.
    assert_eq!(call(&url, Some(&b_value)).await.0, 200);
    s.stop().await;
    let s = TestServer::start_on(&db).await;
    let url = format!("{}/{api}/dev/", s.gateway);
    assert_eq!(call(&url, Some(&a_value)).await.0, 429, "the quota survives a restart");
    let (st, h, _) = call(&url, Some(&b_value)).await;
    assert_eq!(st, 200);
    assert_eq!(h["x-quota-remaining"], "0");
    assert_eq!(call(&url, Some(&b_value)).await.0, 429);
    // Raising the limit takes effect at once and keeps the count.
    let ctl = Ctl { s: &s, c: login(&s).await };
    let ops = json!({"patchOperations": [{"op": "replace", "path": "/quota/limit", "value": "4"}]});
    ctl.req(Method::PATCH, &format!("/usageplans/{plan}"), Some(ops), 200).await;
    let (st, h, _) = call(&url, Some(&a_value)).await;
    assert_eq!((st, h["x-quota-remaining"].to_str().unwrap()), (200, "0"));
}

async fn login(s: &TestServer) -> reqwest::Client {
    let c = s.client();
    let res = s.call(&c, "login", &[("username", "admin"), ("password", apigw_tests::ADMIN_PASSWORD)]).await;
    assert!(res.status().is_success() || res.status().is_redirection(), "login: {}", res.status());
    c
}

/// Rows of `usage_days` for a plan, read straight from the SQLite file.
async fn stored_usage(db: &std::path::Path, plan: &str) -> Vec<(String, String, i64)> {
    use sqlx::sqlite::SqliteConnectOptions;
    use sqlx::ConnectOptions;
    let mut conn = SqliteConnectOptions::new().filename(db).read_only(true).connect().await.unwrap();
    sqlx::query_as("SELECT key_id, day, used FROM usage_days WHERE plan_id = ?1 ORDER BY used DESC")
        .bind(plan)
        .fetch_all(&mut conn)
        .await
        .unwrap()
}

#[tokio::test]
async fn at_twice_the_rate_for_ten_seconds_the_plan_admits_rate_times_ten_plus_burst() {
    let s = TestServer::start().await;
    let ctl = Ctl::new(&s).await;
    let (api, root) = ctl.api("paced").await;
    ctl.mock(&api, &root, "GET", 200, "{}").await;
    let on = json!({"patchOperations": [{"op": "replace", "path": "/apiKeyRequired", "value": "true"}]});
    ctl.req(Method::PATCH, &format!("/restapis/{api}/resources/{root}/methods/GET"), Some(on), 200).await;
    ctl.deploy(&api, "dev").await;
    let (key, value) = new_key(&ctl, "load").await;
    let (rate, burst) = (50.0, 20);
    let plan = new_plan(
        &ctl,
        json!({"name": "Paced", "throttle": {"rateLimit": rate, "burstLimit": burst},
                                     "apiStages": [{"apiId": api, "stage": "dev"}]}),
    )
    .await;
    attach(&ctl, &plan, &key).await;

    // Offer 2 × rate: 100 requests a second for 10 seconds, from 4 paced workers.
    let url = ctl.invoke(&api, "dev", "/");
    let start = Instant::now();
    let mut workers = Vec::new();
    for w in 0..4u32 {
        let (url, value) = (url.clone(), value.clone());
        workers.push(tokio::spawn(async move {
            let c = client();
            let (mut ok, mut limited) = (0u32, 0u32);
            for i in 0..250u32 {
                // Worker w sends at 2.5 ms offsets so the four interleave evenly.
                let at = start + Duration::from_micros(u64::from(i) * 40_000 + u64::from(w) * 10_000);
                tokio::time::sleep_until(at.into()).await;
                match c.get(&url).header("x-api-key", &value).send().await.unwrap().status().as_u16() {
                    200 => ok += 1,
                    429 => limited += 1,
                    other => panic!("unexpected status {other}"),
                }
            }
            (ok, limited)
        }));
    }
    let (mut ok, mut limited) = (0, 0);
    for w in workers {
        let (o, l) = w.await.unwrap();
        ok += o;
        limited += l;
    }
    let expected = rate * 10.0 + f64::from(burst);
    let error = (f64::from(ok) - expected).abs() / expected;
    println!("accepted {ok}, throttled {limited}, expected {expected}, error {:.1}%", error * 100.0);
    assert_eq!(ok + limited, 1000);
    assert!(error <= 0.05, "accepted {ok}, expected {expected} ± 5%");
}
