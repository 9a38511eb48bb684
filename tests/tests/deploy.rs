//! Deployments and stages: snapshots are immutable, stages point at one,
//! variables and rollbacks take effect at once, and redeploying under load
//! fails no request.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use apigw_tests::echo::Echo;
use apigw_tests::gw::Ctl;
use apigw_tests::TestServer;
use reqwest::Method;
use serde_json::{json, Value};

async fn body_of(url: &str) -> (u16, String) {
    let res = reqwest::get(url).await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

#[tokio::test]
async fn mock_answers_without_a_backend() {
    let s = TestServer::start().await;
    let ctl = Ctl::new(&s).await;
    let (api, root) = ctl.api("mocks").await;
    ctl.mock(&api, &root, "GET", 201, r#"{"hello":"world"}"#).await;
    ctl.deploy(&api, "dev").await;
    let res = reqwest::get(ctl.invoke(&api, "dev", "/")).await.unwrap();
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["x-mock"], "yes");
    assert_eq!(res.headers()["content-type"], "application/json");
    assert_eq!(res.text().await.unwrap(), r#"{"hello":"world"}"#);

    // A MOCK with no integration response is a configuration error, as in AWS.
    let other = ctl.resource(&api, &root, "bare").await;
    let m = format!("/restapis/{api}/resources/{other}/methods/GET");
    ctl.req(Method::PUT, &m, Some(json!({"authorizationType": "NONE"})), 201).await;
    ctl.req(Method::PUT, &format!("{m}/integration"), Some(json!({"type": "MOCK"})), 201).await;
    ctl.deploy(&api, "dev").await;
    let (status, body) = body_of(&ctl.invoke(&api, "dev", "/bare")).await;
    assert_eq!((status, body.as_str()), (500, r#"{"message":"Internal server error"}"#));
}

#[tokio::test]
async fn deployments_are_snapshots_and_stages_roll_back() {
    let s = TestServer::start().await;
    let ctl = Ctl::new(&s).await;
    let (api, root) = ctl.api("versions").await;
    ctl.mock(&api, &root, "GET", 200, "v1").await;
    let d1 = ctl.deploy(&api, "prod").await;

    // Editing the API changes nothing live until the next deploy.
    ctl.set_mock(&api, &root, "GET", 200, "v2").await;
    assert_eq!(body_of(&ctl.invoke(&api, "prod", "/")).await.1, "v1");
    let d2 = ctl.deploy(&api, "prod").await;
    assert_eq!(body_of(&ctl.invoke(&api, "prod", "/")).await.1, "v2");

    let deps = ctl.req(Method::GET, &format!("/restapis/{api}/deployments"), None, 200).await;
    let ids: Vec<&str> = deps["item"].as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec![d2.as_str(), d1.as_str()], "newest first");
    let one = ctl.req(Method::GET, &format!("/restapis/{api}/deployments/{d1}"), None, 200).await;
    assert_eq!(one["id"], d1);
    ctl.req(Method::GET, &format!("/restapis/{api}/deployments/nosuchdep0"), None, 404).await;

    // Rollback and roll forward by repointing the stage.
    let patch = |d: &str| json!({"patchOperations": [{"op": "replace", "path": "/deploymentId", "value": d}]});
    let st = ctl.req(Method::PATCH, &format!("/restapis/{api}/stages/prod"), Some(patch(&d1)), 200).await;
    assert_eq!(st["deploymentId"], d1);
    assert_eq!(body_of(&ctl.invoke(&api, "prod", "/")).await.1, "v1");
    ctl.req(Method::PATCH, &format!("/restapis/{api}/stages/prod"), Some(patch(&d2)), 200).await;
    assert_eq!(body_of(&ctl.invoke(&api, "prod", "/")).await.1, "v2");

    // A second stage on the old deployment, side by side.
    let st = ctl
        .req(
            Method::POST,
            &format!("/restapis/{api}/stages"),
            Some(json!({"stageName": "canary", "deploymentId": d1, "description": "old"})),
            201,
        )
        .await;
    assert_eq!(st["stageName"], "canary");
    assert_eq!(body_of(&ctl.invoke(&api, "canary", "/")).await.1, "v1");
    assert_eq!(body_of(&ctl.invoke(&api, "prod", "/")).await.1, "v2");
    let stages = ctl.req(Method::GET, &format!("/restapis/{api}/stages"), None, 200).await;
    assert_eq!(stages["item"].as_array().unwrap().len(), 2);

    // Deleting a stage takes it off the gateway; deleting the API takes everything.
    ctl.req(Method::DELETE, &format!("/restapis/{api}/stages/canary"), None, 202).await;
    assert_eq!(body_of(&ctl.invoke(&api, "canary", "/")).await.0, 403);
    ctl.req(Method::GET, &format!("/restapis/{api}/stages/canary"), None, 404).await;
    ctl.req(Method::DELETE, &format!("/restapis/{api}"), None, 202).await;
    assert_eq!(body_of(&ctl.invoke(&api, "prod", "/")).await.0, 403);
}

#[tokio::test]
async fn stage_variables_reach_the_integration_without_a_redeploy() {
    let s = TestServer::start().await;
    let one = Echo::start().await;
    let two = Echo::start().await;
    let ctl = Ctl::new(&s).await;
    let (api, root) = ctl.api("vars").await;
    ctl.method(&api, &root, "GET", false, Ctl::proxy("http://${stageVariables.backend}/${stageVariables.prefix}/x", "GET")).await;
    ctl.req(
        Method::POST,
        &format!("/restapis/{api}/deployments"),
        Some(json!({"stageName": "dev", "variables": {"backend": one.host(), "prefix": "v1"}})),
        201,
    )
    .await;
    let v: Value = reqwest::get(ctl.invoke(&api, "dev", "/")).await.unwrap().json().await.unwrap();
    assert_eq!(v["path"], "/v1/x");
    assert_eq!(one.hits(), 1);

    let st = ctl
        .req(
            Method::PATCH,
            &format!("/restapis/{api}/stages/dev"),
            Some(json!({"patchOperations": [
            {"op": "replace", "path": "/variables/backend", "value": two.host()},
            {"op": "replace", "path": "/variables/prefix", "value": "v2"}]})),
            200,
        )
        .await;
    assert_eq!(st["variables"]["prefix"], "v2");
    let v: Value = reqwest::get(ctl.invoke(&api, "dev", "/")).await.unwrap().json().await.unwrap();
    assert_eq!(v["path"], "/v2/x");
    assert_eq!(two.hits(), 1);

    // Removing a variable leaves its place empty.
    ctl.req(
        Method::PATCH,
        &format!("/restapis/{api}/stages/dev"),
        Some(json!({"patchOperations": [
        {"op": "remove", "path": "/variables/prefix"}]})),
        200,
    )
    .await;
    let v: Value = reqwest::get(ctl.invoke(&api, "dev", "/")).await.unwrap().json().await.unwrap();
    assert_eq!(v["path"], "//x");
}

#[tokio::test]
async fn deploy_and_stage_rules_refuse_bad_input_and_change_nothing() {
    let s = TestServer::start().await;
    let ctl = Ctl::new(&s).await;
    let (api, root) = ctl.api("rules").await;
    let dep = format!("/restapis/{api}/deployments");
    let err = ctl.req(Method::POST, &dep, Some(json!({"stageName": "dev"})), 400).await;
    assert!(err["message"].as_str().unwrap().contains("doesn't contain any methods"));
    ctl.req(Method::PUT, &format!("/restapis/{api}/resources/{root}/methods/GET"), Some(json!({"authorizationType": "NONE"})), 201).await;
    let err = ctl.req(Method::POST, &dep, Some(json!({"stageName": "dev"})), 400).await;
    assert!(err["message"].as_str().unwrap().contains("No integration defined for method GET /"));
    ctl.set_mock(&api, &root, "GET", 200, "ok").await;
    let err = ctl.req(Method::POST, &dep, Some(json!({"stageName": "bad name"})), 400).await;
    assert!(err["message"].as_str().unwrap().contains("stageName"));
    let err = ctl.req(Method::POST, &dep, Some(json!({"stageName": "dev", "variables": {"bad-name": "x"}})), 400).await;
    assert!(err["message"].as_str().unwrap().contains("Stage variable name"));
    let err = ctl.req(Method::POST, &dep, Some(json!({"stageName": "dev", "variables": {"ok": "spaces are not allowed"}})), 400).await;
    assert!(err["message"].as_str().unwrap().contains("the value may use only"));
    assert_eq!(ctl.req(Method::GET, &dep, None, 200).await["item"], json!([]), "refused deploys recorded nothing");
    ctl.req(Method::POST, "/restapis/nosuchapi0/deployments", Some(json!({})), 404).await;

    let d = ctl.deploy(&api, "dev").await;
    let stages = format!("/restapis/{api}/stages");
    ctl.req(Method::POST, &stages, Some(json!({"stageName": "dev", "deploymentId": d})), 409).await;
    ctl.req(Method::POST, &stages, Some(json!({"stageName": "qa"})), 400).await;
    ctl.req(Method::POST, &stages, Some(json!({"stageName": "qa", "deploymentId": "nosuchdep0"})), 400).await;
    ctl.req(Method::POST, &stages, Some(json!({"deploymentId": d})), 400).await;

    let before = ctl.req(Method::GET, &format!("{stages}/dev"), None, 200).await;
    for (ops, needle) in [
        (json!([{"op": "replace", "path": "/deploymentId", "value": "nosuchdep0"}]), "does not exist"),
        (json!([{"op": "replace", "path": "/cacheClusterEnabled", "value": "true"}]), "cannot be true"),
        (json!([{"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "fast"}]), "rateLimit"),
        (json!([{"op": "replace", "path": "/*/*/throttling/burstLimit", "value": "-2"}]), "burstLimit"),
        (json!([{"op": "replace", "path": "/~1pets/FETCH/throttling/burstLimit", "value": "1"}]), "httpMethod"),
        (json!([{"op": "replace", "path": "/variables/ok", "value": "fine"}, {"op": "copy", "path": "/description"}]), "not supported"),
    ] {
        let err = ctl.req(Method::PATCH, &format!("{stages}/dev"), Some(json!({"patchOperations": ops})), 400).await;
        assert!(err["message"].as_str().unwrap().contains(needle), "{err}");
    }
    assert_eq!(ctl.req(Method::GET, &format!("{stages}/dev"), None, 200).await, before, "refused patches changed nothing");

    let st = ctl
        .req(
            Method::PATCH,
            &format!("{stages}/dev"),
            Some(json!({"patchOperations": [
            {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "100"},
            {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": "50"},
            {"op": "replace", "path": "/~1/GET/throttling/rateLimit", "value": "2.5"},
            {"op": "replace", "path": "/description", "value": "the dev stage"}]})),
            200,
        )
        .await;
    let every = &st["methodSettings"]["*/*"];
    assert_eq!((every["throttlingRateLimit"].as_f64(), every["throttlingBurstLimit"].as_i64()), (Some(100.0), Some(50)));
    assert_eq!(st["methodSettings"]["~1/GET"]["throttlingRateLimit"], 2.5);
    assert_eq!(st["description"], "the dev stage");

    // `remove` takes one field back to its default, or a method's whole setting.
    let st = ctl
        .req(
            Method::PATCH,
            &format!("{stages}/dev"),
            Some(json!({"patchOperations": [
            {"op": "remove", "path": "/*/*/throttling/burstLimit"},
            {"op": "remove", "path": "/~1/GET"}]})),
            200,
        )
        .await;
    let every = &st["methodSettings"]["*/*"];
    assert_eq!((every["throttlingRateLimit"].as_f64(), every.get("throttlingBurstLimit")), (Some(100.0), None), "{st}");
    assert!(st["methodSettings"].get("~1/GET").is_none(), "{st}");
    let st = ctl
        .req(
            Method::PATCH,
            &format!("{stages}/dev"),
            Some(json!({"patchOperations": [{"op": "remove", "path": "/*/*/throttling/rateLimit"}]})),
            200,
        )
        .await;
    assert!(st["methodSettings"].get("*/*").is_none(), "a setting left empty is dropped: {st}");
    let err = ctl
        .req(
            Method::PATCH,
            &format!("{stages}/dev"),
            Some(json!({"patchOperations": [{"op": "remove", "path": "/~1/GET/caching/bogus"}]})),
            400,
        )
        .await;
    assert!(err["message"].as_str().unwrap().contains("Invalid patch path"), "{err}");
}

#[tokio::test]
async fn http_integration_maps_backend_statuses() {
    let s = TestServer::start().await;
    let echo = Echo::start().await;
    let ctl = Ctl::new(&s).await;
    let (api, root) = ctl.api("mapped").await;
    let missing = ctl.resource(&api, &root, "missing").await;
    // Same mappings on two methods; the second one's backend answers 404.
    for (rid, uri) in [(&root, format!("http://{}/h", echo.host())), (&missing, format!("http://{}/h?echo_status=404", echo.host()))] {
        let m = format!("/restapis/{api}/resources/{rid}/methods/GET");
        ctl.req(Method::PUT, &m, Some(json!({"authorizationType": "NONE"})), 201).await;
        ctl.req(Method::PUT, &format!("{m}/integration"), Some(json!({"type": "HTTP", "httpMethod": "GET", "uri": uri})), 201).await;
        for code in ["200", "400"] {
            ctl.req(
                Method::PUT,
                &format!("{m}/responses/{code}"),
                Some(json!({"responseParameters": {"method.response.header.X-From": false}})),
                201,
            )
            .await;
        }
        ctl.req(
            Method::PUT,
            &format!("{m}/integration/responses/200"),
            Some(json!({"responseParameters": {"method.response.header.X-From": "integration.response.header.x-echo"}})),
            201,
        )
        .await;
        ctl.req(
            Method::PUT,
            &format!("{m}/integration/responses/400"),
            Some(json!({"selectionPattern": "4\\d{2}", "responseParameters": {"method.response.header.X-From": "'mapped'"}})),
            201,
        )
        .await;
    }
    ctl.deploy(&api, "dev").await;

    let res = reqwest::Client::new()
        .get(format!("{}?echo_status=500", ctl.invoke(&api, "dev", "/")))
        .header("x-echo-status", "500")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "the default response; and neither query nor headers reach an HTTP (non-proxy) backend");
    assert_eq!(res.headers()["x-from"], "yes", "copied from the backend's x-echo header");
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["query"], "");
    assert!(v["headers"].get("x-echo-status").is_none());

    let res = reqwest::get(ctl.invoke(&api, "dev", "/missing")).await.unwrap();
    assert_eq!(res.status(), 400, "backend 404 matched selectionPattern 4\\d{{2}}");
    assert_eq!(res.headers()["x-from"], "mapped");
}

#[tokio::test]
async fn twenty_redeploys_under_load_fail_no_request() {
    let s = TestServer::start().await;
    let echo = Echo::start().await;
    let ctl = Ctl::new(&s).await;
    let (api, root) = ctl.api("busy").await;
    let r = ctl.resource(&api, &root, "item").await;
    ctl.method(&api, &r, "GET", false, Ctl::proxy(&format!("http://{}/a", echo.host()), "GET")).await;
    ctl.deploy(&api, "live").await;
    // Four release-build clients on loopback outrun AWS's default stage limit
    // (10,000 req/s, burst 5,000); this test is about redeploys, not throttling.
    let ops = json!({"patchOperations": [
        {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "1000000"},
        {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": "1000000"},
    ]});
    ctl.req(Method::PATCH, &format!("/restapis/{api}/stages/live"), Some(ops), 200).await;

    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let ok = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let url = ctl.invoke(&api, "live", "/item");
    let mut workers = Vec::new();
    for _ in 0..4 {
        let (stop, ok, failed, url) = (stop.clone(), ok.clone(), failed.clone(), url.clone());
        workers.push(tokio::spawn(async move {
            let c = reqwest::Client::new();
            let mut sent = 0;
            while !stop.load(Ordering::SeqCst) && sent < 100_000 {
                sent += 1;
                match c.get(&url).send().await {
                    Ok(res) if res.status() == 200 => {
                        let _ = res.bytes().await;
                        ok.fetch_add(1, Ordering::SeqCst);
                    }
                    Ok(res) => failed.lock().unwrap().push(format!("status {}", res.status())),
                    Err(e) => failed.lock().unwrap().push(e.to_string()),
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    for i in 0..20 {
        // Alternate the backend path so each deploy really changes the config.
        let uri = format!("http://{}/{}", echo.host(), if i % 2 == 0 { "b" } else { "a" });
        ctl.req(Method::PUT, &format!("/restapis/{api}/resources/{r}/methods/GET/integration"), Some(Ctl::proxy(&uri, "GET")), 201).await;
        ctl.deploy(&api, "live").await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    stop.store(true, Ordering::SeqCst);
    for w in workers {
        w.await.unwrap();
    }
    let failed = std::mem::take(&mut *failed.lock().unwrap());
    let ok = ok.load(Ordering::SeqCst);
    assert!(failed.is_empty(), "{} of {} requests failed: {:?}", failed.len(), ok + failed.len(), &failed[..failed.len().min(5)]);
    assert!(ok > 100, "only {ok} requests were made during the redeploys");
    let deps = ctl.req(Method::GET, &format!("/restapis/{api}/deployments"), None, 200).await;
    assert_eq!(deps["item"].as_array().unwrap().len(), 21);
    // The last deploy pointed at /a.
    let v: Value = reqwest::get(&url).await.unwrap().json().await.unwrap();
    assert_eq!(v["path"], "/a");
}

/// The console's deployment badges come from the snapshots the gateway
/// serves: after a rollback the API page names the stage that serves an
/// older deployment, the stage page says so, and the rollback's
/// confirmation lists what callers would notice (a key requirement first).
#[tokio::test]
async fn badges_follow_what_each_stage_serves() {
    let s = TestServer::start().await;
    let ctl = Ctl::new(&s).await;
    let (api, root) = ctl.api("badges").await;
    ctl.mock(&api, &root, "GET", 200, "open").await;
    let d1 = ctl.deploy(&api, "prod").await;
    let tree = || async {
        let res = s.call(&ctl.c, "api_tree", &[("id", api.as_str())]).await;
        assert_eq!(res.status(), 200);
        let t: serde_json::Value = res.json().await.unwrap();
        (t["undeployed_changes"].as_bool().unwrap(), t["stale_stages"].clone())
    };
    assert_eq!(tree().await, (false, json!([])));

    // An edit: not deployed, and prod serves something else.
    let key_required = |on: bool| json!({"patchOperations": [{"op": "replace", "path": "/apiKeyRequired", "value": on.to_string()}]});
    ctl.req(Method::PATCH, &format!("/restapis/{api}/resources/{root}/methods/GET"), Some(key_required(true)), 200).await;
    assert_eq!(tree().await, (true, json!(["prod"])));
    let d2 = ctl.deploy(&api, "prod").await;
    assert_eq!(tree().await, (false, json!([])));

    // Roll back: the newest deployment holds the configuration, but prod does not serve it.
    let patch = |d: &str| json!({"patchOperations": [{"op": "replace", "path": "/deploymentId", "value": d}]});
    ctl.req(Method::PATCH, &format!("/restapis/{api}/stages/prod"), Some(patch(&d1)), 200).await;
    assert_eq!(tree().await, (false, json!(["prod"])));
    let detail: serde_json::Value = s.call(&ctl.c, "stage_detail", &[("api", &api), ("stage", "prod")]).await.json().await.unwrap();
    assert_eq!(detail["serves_latest"], false);

    // What rolling forward again would change, and what the rollback did.
    let changes = |to: &str| {
        let (ctl, api, to) = (&ctl, api.clone(), to.to_string());
        async move {
            let res = ctl.s.call(&ctl.c, "deployment_changes", &[("api", &api), ("stage", "prod"), ("to", &to)]).await;
            assert_eq!(res.status(), 200);
            res.json::<serde_json::Value>().await.unwrap()
        }
    };
    let forward = changes(&d2).await;
    assert_eq!(forward[0]["route"], "GET /");
    assert_eq!(forward[0]["access"], true);
    assert!(forward[0]["what"].as_str().unwrap().contains("API key becomes required"), "{forward}");
    assert_eq!(changes(&d1).await, json!([]), "prod serves d1 already");
    let missing = s.call(&ctl.c, "deployment_changes", &[("api", &api), ("stage", "prod"), ("to", "nosuchdep0")]).await;
    assert_eq!(missing.status(), 404);

    // Undoing the edit by hand brings the configuration back to what prod
    // serves: judged by content, not by revision numbers.
    ctl.req(Method::PATCH, &format!("/restapis/{api}/resources/{root}/methods/GET"), Some(key_required(false)), 200).await;
    assert_eq!(tree().await, (true, json!([])));
    let detail: serde_json::Value = s.call(&ctl.c, "stage_detail", &[("api", &api), ("stage", "prod")]).await.json().await.unwrap();
    assert_eq!(detail["serves_latest"], true);

    // A model, validator or gateway response changed since counts too: the
    // deployment captured them, and the gateway serves those.
    ctl.deploy(&api, "prod").await;
    assert_eq!(tree().await, (false, json!([])));
    ctl.req(Method::PUT, &format!("/restapis/{api}/gatewayresponses/THROTTLED"), Some(json!({"statusCode": "503"})), 201).await;
    assert_eq!(tree().await, (true, json!(["prod"])));
    let detail: serde_json::Value = s.call(&ctl.c, "stage_detail", &[("api", &api), ("stage", "prod")]).await.json().await.unwrap();
    assert_eq!(detail["serves_latest"], false);
    ctl.req(Method::DELETE, &format!("/restapis/{api}/gatewayresponses/THROTTLED"), None, 202).await;
    assert_eq!(tree().await, (false, json!([])), "back to what prod (the newest deployment) serves");
}
