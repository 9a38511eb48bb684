//! The console's API editor (its server functions) and the control API are
//! two doors to the same configuration: what one makes, the other sees, and
//! a refused form changes nothing.

use apigw_tests::TestServer;
use serde_json::{json, Value};

async fn form(s: &TestServer, c: &reqwest::Client, endpoint: &str, f: &[(&str, &str)]) -> (u16, Value) {
    let res = s.call(c, endpoint, f).await;
    let status = res.status().as_u16();
    (status, serde_json::from_str(&res.text().await.unwrap()).unwrap_or(Value::Null))
}

async fn json_fn(s: &TestServer, c: &reqwest::Client, endpoint: &str, body: Value) -> (u16, Value) {
    let res = c.post(s.url(&format!("/api/{endpoint}"))).json(&body).send().await.unwrap();
    let status = res.status().as_u16();
    (status, serde_json::from_str(&res.text().await.unwrap()).unwrap_or(Value::Null))
}

#[tokio::test]
async fn console_and_control_api_share_one_configuration() {
    let s = TestServer::start().await;
    let c = s.setup_admin("admin").await;

    // Console creates; control API sees.
    let (st, api) = form(&s, &c, "apis_create", &[("name", "shop"), ("description", "from the console")]).await;
    assert_eq!(st, 200, "{api}");
    let id = api["id"].as_str().unwrap().to_string();
    let root = api["rootResourceId"].as_str().unwrap().to_string();
    let got: Value = c.get(s.url(&format!("/restapis/{id}"))).send().await.unwrap().json().await.unwrap();
    assert_eq!(got["description"], "from the console");

    let (st, e) = form(&s, &c, "apis_create", &[("name", ""), ("description", "")]).await;
    assert_eq!(st, 400);
    assert_eq!(e["Invalid"]["field"], "name");

    let (st, res) = form(&s, &c, "resource_create", &[("api", &id), ("parent", &root), ("path_part", "items")]).await;
    assert_eq!(st, 200, "{res}");
    let rid = res["id"].as_str().unwrap().to_string();
    let (st, e) = form(&s, &c, "resource_create", &[("api", &id), ("parent", &root), ("path_part", "bad/part")]).await;
    assert_eq!(st, 400);
    assert_eq!(e["Invalid"]["field"], "pathPart");
    let (st, _) = form(&s, &c, "method_create", &[("api", &id), ("resource", &rid), ("verb", "POST")]).await;
    assert_eq!(st, 200);

    // The method form: each bad field is refused with its name, and nothing changes.
    let good = json!({
        "api_key_required": true, "integration_type": "HTTP_PROXY", "uri": "http://backend:9000/items",
        "integration_method": "POST", "timeout_ms": 1500, "mock_status": "200", "mock_headers": [], "mock_body": ""
    });
    let before: Value = c.get(s.url(&format!("/restapis/{id}/resources/{rid}/methods/POST"))).send().await.unwrap().json().await.unwrap();
    for (field, value, wire) in [
        ("uri", json!("not a url"), "uri"),
        ("uri", json!(""), "uri"),
        ("timeout_ms", json!(10), "timeoutInMillis"),
        ("integration_type", json!("LAMBDA"), "type"),
        ("integration_method", json!("FETCH"), "integrationHttpMethod"),
    ] {
        let mut bad = good.clone();
        bad[field] = value;
        let (st, e) = json_fn(&s, &c, "method_save", json!({"api": id, "resource": rid, "verb": "POST", "settings": bad})).await;
        assert_eq!(st, 400, "{field}: {e}");
        assert_eq!(e["Invalid"]["field"], wire, "{field}");
    }
    let mut bad_mock = good.clone();
    bad_mock["integration_type"] = json!("MOCK");
    bad_mock["mock_status"] = json!("99");
    let (st, e) = json_fn(&s, &c, "method_save", json!({"api": id, "resource": rid, "verb": "POST", "settings": bad_mock})).await;
    assert_eq!((st, e["Invalid"]["field"].as_str()), (400, Some("statusCode")));
    let after: Value = c.get(s.url(&format!("/restapis/{id}/resources/{rid}/methods/POST"))).send().await.unwrap().json().await.unwrap();
    assert_eq!(before, after, "refused forms changed nothing");

    let (st, m) = json_fn(&s, &c, "method_save", json!({"api": id, "resource": rid, "verb": "POST", "settings": good})).await;
    assert_eq!(st, 200, "{m}");
    let via_api: Value = c.get(s.url(&format!("/restapis/{id}/resources/{rid}/methods/POST"))).send().await.unwrap().json().await.unwrap();
    assert_eq!(via_api["apiKeyRequired"], true);
    assert_eq!(via_api["methodIntegration"]["uri"], "http://backend:9000/items");
    assert_eq!(via_api["methodIntegration"]["timeoutInMillis"], 1500);

    // A mock saved in the console is stored the AWS way.
    let mock = json!({
        "api_key_required": false, "integration_type": "MOCK", "uri": "", "integration_method": "GET",
        "timeout_ms": 29000, "mock_status": "201", "mock_headers": [["X-Mocked", "yes"]], "mock_body": "{\"ok\":true}"
    });
    let (st, _) = json_fn(&s, &c, "method_save", json!({"api": id, "resource": rid, "verb": "POST", "settings": mock})).await;
    assert_eq!(st, 200);
    let m: Value = c.get(s.url(&format!("/restapis/{id}/resources/{rid}/methods/POST"))).send().await.unwrap().json().await.unwrap();
    let i = &m["methodIntegration"];
    assert_eq!(i["type"], "MOCK");
    assert_eq!(i["requestTemplates"]["application/json"], "{\"statusCode\": 201}");
    assert_eq!(i["integrationResponses"]["201"]["responseParameters"]["method.response.header.X-Mocked"], "'yes'");
    assert_eq!(i["integrationResponses"]["201"]["responseTemplates"]["application/json"], "{\"ok\":true}");
    assert_eq!(m["methodResponses"]["201"]["responseParameters"]["method.response.header.X-Mocked"], false);

    // An HTTP integration's responses: (backend status pattern, method status)
    // rows, stored as AWS's method and integration responses.
    let http = |rows: Value| {
        json!({
            "api_key_required": false, "integration_type": "HTTP", "uri": "http://backend:9000/items", "integration_method": "POST",
            "timeout_ms": 29000, "mock_status": "200", "mock_headers": [], "mock_body": "", "http_responses": rows
        })
    };
    let get_method = || async {
        c.get(s.url(&format!("/restapis/{id}/resources/{rid}/methods/POST"))).send().await.unwrap().json::<Value>().await.unwrap()
    };
    let (st, e) = json_fn(
        &s,
        &c,
        "method_save",
        json!({"api": id, "resource": rid, "verb": "POST", "settings": http(json!([["4\\d{2}", "400"], ["", "200"]]))}),
    )
    .await;
    assert_eq!(st, 200, "{e}");
    let m = get_method().await;
    let ir = &m["methodIntegration"]["integrationResponses"];
    assert_eq!(ir["400"]["selectionPattern"], "4\\d{2}");
    assert!(ir["200"].get("selectionPattern").is_none_or(|p| p.is_null() || p == ""), "{ir}");
    assert!(m["methodResponses"].get("400").is_some() && m["methodResponses"].get("200").is_some(), "{m}");
    let before = get_method().await;
    for (rows, needle) in [
        (json!([["(", "400"], ["", "200"]]), "not a valid regular expression"),
        (json!([["4..", "400"], ["5..", "400"]]), "listed twice"),
        (json!([]), "at least one"),
    ] {
        let (st, e) = json_fn(&s, &c, "method_save", json!({"api": id, "resource": rid, "verb": "POST", "settings": http(rows)})).await;
        assert_eq!((st, e["Invalid"]["field"].as_str()), (400, Some("integrationResponses")), "{e}");
        assert!(e["Invalid"]["message"].as_str().unwrap().contains(needle), "{e}");
    }
    assert_eq!(get_method().await, before, "refused responses changed nothing");
    // A row removed: its integration response goes.
    let (st, _) =
        json_fn(&s, &c, "method_save", json!({"api": id, "resource": rid, "verb": "POST", "settings": http(json!([["", "200"]]))})).await;
    assert_eq!(st, 200);
    let ir = get_method().await["methodIntegration"]["integrationResponses"].clone();
    assert_eq!(ir.as_object().unwrap().keys().collect::<Vec<_>>(), ["200"], "{ir}");

    // Control API creates; console sees.
    let res: Value = c
        .post(s.url(&format!("/restapis/{id}/resources/{root}")))
        .json(&json!({"pathPart": "{proxy+}"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (st, tree) = form(&s, &c, "api_tree", &[("id", &id)]).await;
    assert_eq!(st, 200);
    assert!(tree["resources"].as_array().unwrap().iter().any(|r| r["id"] == res["id"]));

    let (st, _) = form(&s, &c, "apis_delete", &[("id", &id)]).await;
    assert_eq!(st, 200);
    let gone = c.get(s.url(&format!("/restapis/{id}"))).send().await.unwrap();
    assert_eq!(gone.status(), 404);
    let (st, e) = form(&s, &c, "apis_delete", &[("id", &id)]).await;
    assert_eq!(st, 404, "{e}");
}

#[tokio::test]
async fn access_keys_from_the_console_sign_control_api_calls() {
    let s = TestServer::start().await;
    let c = s.setup_admin("admin").await;
    let (st, k) = form(&s, &c, "access_keys_create", &[("description", "ci")]).await;
    assert_eq!(st, 200);
    let key_id = k["access_key_id"].as_str().unwrap().to_string();
    let secret = k["secret_access_key"].as_str().unwrap().to_string();
    assert_eq!(secret.len(), 40);

    // The list never carries the secret.
    let list = s.call(&c, "access_keys_list", &[]).await.text().await.unwrap();
    assert!(list.contains(&key_id) && !list.contains(&secret));
    // Nor does the database file.
    let db = std::fs::read(&s.db).unwrap();
    let wal = std::fs::read(s.db.with_extension("db-wal")).unwrap_or_default();
    let hay = [db, wal].concat();
    assert!(!hay.windows(secret.len()).any(|w| w == secret.as_bytes()), "secret stored in plain text");

    let url = s.url("/restapis");
    let mut req = reqwest::Client::new().get(&url);
    for (h, v) in apigw_tests::aws::sign("GET", &url, b"", &key_id, &secret, &apigw_tests::aws::amz_date(0)) {
        req = req.header(h, v);
    }
    assert_eq!(req.send().await.unwrap().status(), 200);

    let (st, _) = form(&s, &c, "access_keys_delete", &[("id", &key_id)]).await;
    assert_eq!(st, 200);
    let mut req = reqwest::Client::new().get(&url);
    for (h, v) in apigw_tests::aws::sign("GET", &url, b"", &key_id, &secret, &apigw_tests::aws::amz_date(0)) {
        req = req.header(h, v);
    }
    let res = req.send().await.unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(res.headers()["x-amzn-errortype"], "UnrecognizedClientException");
    // Without a session the key functions are refused like every other.
    let anon = s.client();
    assert_eq!(s.call(&anon, "access_keys_list", &[]).await.status(), 401);
}
