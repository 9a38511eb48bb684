//! ImportApiKeys (AWS's CSV) and UpdateUsage (changing a key's remaining
//! quota), through the control API, with the gateway enforcing the result.

use apigw_tests::control::Api;
use apigw_tests::TestServer;
use reqwest::Method;
use serde_json::{json, Value};

/// A deployed API whose one method needs a key, and a plan with a daily quota of `limit`.
async fn keyed_api(a: &Api<'_>, limit: i64) -> (String, String) {
    let api = a.create_api("metered").await;
    let (id, root) = (api["id"].as_str().unwrap().to_string(), api["rootResourceId"].as_str().unwrap().to_string());
    let m = format!("/restapis/{id}/resources/{root}/methods/GET");
    a.ok(Method::PUT, &m, Some(json!({ "authorizationType": "NONE", "apiKeyRequired": true })), 201).await;
    a.mock_integration(&m).await;
    a.ok(Method::PUT, &format!("{m}/responses/200"), Some(json!({})), 201).await;
    a.ok(Method::PUT, &format!("{m}/integration/responses/200"), Some(json!({})), 201).await;
    a.ok(Method::POST, &format!("/restapis/{id}/deployments"), Some(json!({ "stageName": "prod" })), 201).await;
    let plan = a
        .ok(
            Method::POST,
            "/usageplans",
            Some(json!({ "name": "daily", "quota": { "limit": limit, "period": "DAY" }, "apiStages": [{ "apiId": id, "stage": "prod" }] })),
            201,
        )
        .await;
    (id, plan["id"].as_str().unwrap().to_string())
}

async fn call(s: &TestServer, api: &str, key: &str) -> u16 {
    reqwest::Client::new().get(format!("{}/{api}/prod/", s.gateway)).header("x-api-key", key).send().await.unwrap().status().as_u16()
}

async fn send_csv(a: &Api<'_>, query: &str, csv: &str) -> (u16, Option<String>, Value) {
    let (status, headers, text) = a.raw(Method::POST, &format!("/apikeys{query}"), csv, &[]).await;
    let kind = headers.get("x-amzn-errortype").map(|v| v.to_str().unwrap().to_string());
    (status, kind, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[tokio::test]
async fn import_api_keys_from_csv_binds_plans_and_serves_at_once() {
    let s = TestServer::start().await;
    let a = Api::signed(&s).await;
    let (api, plan) = keyed_api(&a, 100).await;
    let csv = format!(
        "Name,key,description,Enabled,usageplanIds\n\
         first,apikey1234abcdefghij0123456789,An imported key,TRUE,{plan}\n\
         second,apikey5678abcdefghij0123456789,,false,\"{plan},nosuchplan\"\n"
    );
    let (status, _, v) = send_csv(&a, "?mode=import&format=csv", &csv).await;
    assert_eq!(status, 201, "{v}");
    let ids: Vec<String> = v["ids"].as_array().unwrap().iter().map(|i| i.as_str().unwrap().to_string()).collect();
    assert_eq!(ids.len(), 2);
    assert_eq!(v["warnings"].as_array().unwrap().len(), 1, "{v}");
    assert!(v["warnings"][0].as_str().unwrap().contains("nosuchplan"), "{v}");
    let first = a.ok(Method::GET, &format!("/apikeys/{}", ids[0]), None, 200).await;
    assert_eq!(
        (first["name"].as_str(), first["enabled"].as_bool(), first["description"].as_str()),
        (Some("first"), Some(true), Some("An imported key"))
    );
    let keys = a.ok(Method::GET, &format!("/usageplans/{plan}/keys"), None, 200).await;
    assert_eq!(keys["item"].as_array().unwrap().len(), 2);
    // Live without a deploy: the enabled key passes, the disabled one does not.
    assert_eq!(call(&s, &api, "apikey1234abcdefghij0123456789").await, 200);
    assert_eq!(call(&s, &api, "apikey5678abcdefghij0123456789").await, 403);

    // Importing a value again updates that key, as AWS does.
    let again = "name,key,enabled\nrenamed,apikey5678abcdefghij0123456789,true\n";
    let (status, _, v) = send_csv(&a, "?mode=import&format=csv", again).await;
    assert_eq!((status, v["ids"][0].as_str()), (201, Some(ids[1].as_str())), "{v}");
    assert_eq!(a.ok(Method::GET, &format!("/apikeys/{}", ids[1]), None, 200).await["name"], "renamed");
    assert_eq!(call(&s, &api, "apikey5678abcdefghij0123456789").await, 200);

    // Bad files and warnings with failonwarnings change nothing.
    let before = a.ok(Method::GET, "/apikeys", None, 200).await["item"].as_array().unwrap().len();
    for (query, csv, needle) in [
        ("?mode=import&format=csv", "Description,Enabled\nx,true\n", "Name and Key"),
        ("?mode=import&format=csv", "Name,Key\nshort,tooshort\n", "Row 2"),
        ("?mode=import&format=csv", "Name,Key,Enabled\nok,apikeyABCDabcdefghij0123456789,maybe\n", "Enabled"),
        ("?mode=import&format=csv", "Name,Key\n", "no keys"),
        ("?mode=import&format=json", "Name,Key\nn,apikeyABCDabcdefghij0123456789\n", "format"),
        ("?mode=import", "Name,Key\nn,apikeyABCDabcdefghij0123456789\n", "format"),
        ("?mode=import&format=csv&failonwarnings=true", "Name,Key,UsagePlanIds\nn,apikeyABCDabcdefghij0123456789,ghost\n", "ghost"),
    ] {
        let (status, kind, v) = send_csv(&a, query, csv).await;
        assert_eq!((status, kind.as_deref()), (400, Some("BadRequestException")), "{query} {csv}: {v}");
        assert!(v["message"].as_str().unwrap().contains(needle), "{query} {csv}: {v}");
    }
    assert_eq!(a.ok(Method::GET, "/apikeys", None, 200).await["item"].as_array().unwrap().len(), before);
}

#[tokio::test]
async fn update_usage_changes_what_the_gateway_lets_through() {
    let s = TestServer::start().await;
    let a = Api::signed(&s).await;
    let (api, plan) = keyed_api(&a, 3).await;
    let key = a.ok(Method::POST, "/apikeys", Some(json!({ "name": "k", "enabled": true })), 201).await;
    let (kid, value) = (key["id"].as_str().unwrap(), key["value"].as_str().unwrap());
    a.ok(Method::POST, &format!("/usageplans/{plan}/keys"), Some(json!({ "keyId": kid, "keyType": "API_KEY" })), 201).await;
    for _ in 0..3 {
        assert_eq!(call(&s, &api, value).await, 200);
    }
    assert_eq!(call(&s, &api, value).await, 429, "the daily quota of 3 is used up");

    let path = format!("/usageplans/{plan}/keys/{kid}/usage");
    let (status, _, v) = a.patch(&path, json!([{ "op": "replace", "path": "/remaining", "value": "2" }])).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["usagePlanId"], plan.as_str());
    assert_eq!(v["values"][kid], json!([[3, 2]]), "today: 3 used, 2 left after the grant");
    assert_eq!(call(&s, &api, value).await, 200);
    assert_eq!(call(&s, &api, value).await, 200);
    assert_eq!(call(&s, &api, value).await, 429, "the grant is used up too");

    let (status, _, v) = a.patch(&path, json!([{ "op": "replace", "path": "/remaining", "value": "0" }])).await;
    assert_eq!((status, &v["values"][kid]), (200, &json!([[5, 0]])));
    for (ops, want) in [
        (json!([{ "op": "replace", "path": "/remaining", "value": "-1" }]), 400),
        (json!([{ "op": "replace", "path": "/remaining", "value": "lots" }]), 400),
        (json!([{ "op": "add", "path": "/remaining", "value": "1" }]), 400),
        (json!([{ "op": "replace", "path": "/used", "value": "1" }]), 400),
    ] {
        let (status, _, v) = a.patch(&path, ops.clone()).await;
        assert_eq!(status, want, "{ops}: {v}");
    }
    let (status, _, _) = a
        .patch(&format!("/usageplans/{plan}/keys/nosuchkey/usage"), json!([{ "op": "replace", "path": "/remaining", "value": "1" }]))
        .await;
    assert_eq!(status, 404);
    let (status, _, _) = a
        .patch(&format!("/usageplans/nosuchplan/keys/{kid}/usage"), json!([{ "op": "replace", "path": "/remaining", "value": "1" }]))
        .await;
    assert_eq!(status, 404);
    assert_eq!(call(&s, &api, value).await, 429, "refused changes changed nothing");
}
