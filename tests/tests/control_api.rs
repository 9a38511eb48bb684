//! The AWS-compatible control API against the real server: every operation,
//! every validation rule, and that refused input changes nothing.

use apigw_tests::aws::{amz_date, sign, Signer};
use apigw_tests::control::Api;
use apigw_tests::TestServer;
use reqwest::{Client, Method};
use serde_json::{json, Value};

#[tokio::test]
async fn rest_api_lifecycle() {
    let s = TestServer::start().await;
    let a = Api::new(&s).await;
    let api = a.create_api("pets").await;
    let id = api["id"].as_str().unwrap();
    assert_eq!(id.len(), 10);
    assert!(id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
    assert_eq!(api["name"], "pets");
    assert_eq!(api["description"], "d");
    assert!(api["createdDate"].as_i64().unwrap() > 1_700_000_000);
    let root = api["rootResourceId"].as_str().unwrap();

    let got = a.ok(Method::GET, &format!("/restapis/{id}"), None, 200).await;
    assert_eq!(got, api);
    let other = a.create_api("orders").await;
    let list = a.ok(Method::GET, "/restapis", None, 200).await;
    assert_eq!(list["item"].as_array().unwrap().len(), 2);
    let page = a.ok(Method::GET, "/restapis?limit=1", None, 200).await;
    assert_eq!(page["item"].as_array().unwrap().len(), 1);
    let pos = page["position"].as_str().unwrap();
    let page2 = a.ok(Method::GET, &format!("/restapis?limit=1&position={pos}"), None, 200).await;
    assert_ne!(page2["item"][0]["id"], page["item"][0]["id"]);

    let patched = a
        .ok(
            Method::PATCH,
            &format!("/restapis/{id}"),
            Some(json!({"patchOperations": [
            {"op": "replace", "path": "/name", "value": "pets v2"},
            {"op": "replace", "path": "/description", "value": "all the pets"}]})),
            200,
        )
        .await;
    assert_eq!(patched["name"], "pets v2");
    assert_eq!(patched["description"], "all the pets");

    let tree = a.tree(id).await;
    assert_eq!(tree["item"][0]["id"], root);
    assert_eq!(tree["item"][0]["path"], "/");

    a.ok(Method::DELETE, &format!("/restapis/{id}"), None, 202).await;
    a.mentions(Method::GET, &format!("/restapis/{id}"), None, 404, "NotFoundException", "Invalid API identifier").await;
    a.mentions(Method::DELETE, &format!("/restapis/{id}"), None, 404, "NotFoundException", "Invalid API identifier").await;
    let list = a.ok(Method::GET, "/restapis", None, 200).await;
    assert_eq!(list["item"][0]["id"], other["id"]);
}

#[tokio::test]
async fn rest_api_validation_changes_nothing() {
    let s = TestServer::start().await;
    let a = Api::new(&s).await;
    a.mentions(Method::POST, "/restapis", Some(json!({})), 400, "BadRequestException", "name is required").await;
    a.mentions(Method::POST, "/restapis", Some(json!({"name": "  "})), 400, "BadRequestException", "name is required").await;
    a.mentions(Method::POST, "/restapis", Some(json!({"name": "x".repeat(129)})), 400, "BadRequestException", "at most 128").await;
    a.mentions(
        Method::POST,
        "/restapis",
        Some(json!({"name": "a", "description": "x".repeat(1025)})),
        400,
        "BadRequestException",
        "description",
    )
    .await;
    let (status, kind, _) = a.call(Method::POST, "/restapis", None).await;
    assert_eq!((status, kind.as_deref()), (400, Some("BadRequestException")));
    let res = a.c.post(s.url("/restapis")).body("{not json").send().await.unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(res.headers()["x-amzn-errortype"], "SerializationException");
    assert!(res.text().await.unwrap().contains("Could not parse the request body as JSON"));
    a.mentions(Method::GET, "/restapis?limit=0", None, 400, "BadRequestException", "limit").await;
    assert_eq!(a.ok(Method::GET, "/restapis", None, 200).await["item"], json!([]));

    let api = a.create_api("pets").await;
    let id = api["id"].as_str().unwrap();
    for (ops, needle) in [
        (json!([{"op": "replace", "path": "/name", "value": ""}]), "name is required"),
        (json!([{"op": "replace", "path": "/policy", "value": "x"}]), "policy must be a JSON policy document"),
        (json!([{"op": "remove", "path": "/name"}]), "use 'replace'"),
        (json!([{"op": "replace", "path": "/name", "value": "ok"}, {"op": "replace", "path": "/nope", "value": "x"}]), "/nope"),
    ] {
        a.mentions(Method::PATCH, &format!("/restapis/{id}"), Some(json!({"patchOperations": ops})), 400, "BadRequestException", needle)
            .await;
    }
    assert_eq!(a.ok(Method::GET, &format!("/restapis/{id}"), None, 200).await, api, "a refused patch changes nothing");
    a.mentions(Method::GET, "/restapis/nosuchapi0", None, 404, "NotFoundException", "Invalid API identifier").await;
    a.mentions(Method::GET, &format!("/restapis/{id}/frobnicate"), None, 404, "UnknownOperationException", "No control-API operation")
        .await;
}

#[tokio::test]
async fn resources_follow_the_path_rules() {
    let s = TestServer::start().await;
    let a = Api::new(&s).await;
    let api = a.create_api("pets").await;
    let id = api["id"].as_str().unwrap();
    let root = api["rootResourceId"].as_str().unwrap();
    let r = |p: &str| format!("/restapis/{id}/resources/{p}");

    let pets = a.ok(Method::POST, &r(root), Some(json!({"pathPart": "pets"})), 201).await;
    assert_eq!(pets["path"], "/pets");
    assert_eq!(pets["parentId"], root);
    let pets_id = pets["id"].as_str().unwrap();
    let pet = a.ok(Method::POST, &r(pets_id), Some(json!({"pathPart": "{id}"})), 201).await;
    assert_eq!(pet["path"], "/pets/{id}");
    let pet_id = pet["id"].as_str().unwrap();
    let toys = a.ok(Method::POST, &r(pet_id), Some(json!({"pathPart": "toys"})), 201).await;
    let proxy = a.ok(Method::POST, &r(root), Some(json!({"pathPart": "{proxy+}"})), 201).await;
    assert_eq!(proxy["path"], "/{proxy+}");
    let before = a.tree(id).await;
    assert_eq!(before["item"].as_array().unwrap().len(), 5);

    // Each refusal names the rule, and the tree stays as it was.
    a.mentions(Method::POST, &r(root), Some(json!({"pathPart": "pets"})), 409, "ConflictException", "same parent").await;
    a.mentions(Method::POST, &r(pets_id), Some(json!({"pathPart": "{name}"})), 409, "ConflictException", "variable path part").await;
    a.mentions(Method::POST, &r(root), Some(json!({"pathPart": "{other+}"})), 409, "ConflictException", "only one is allowed").await;
    a.mentions(Method::POST, &r(proxy["id"].as_str().unwrap()), Some(json!({"pathPart": "x"})), 400, "BadRequestException", "greedy").await;
    for bad in ["", "a/b", "{id", "sp ace", "{}"] {
        a.mentions(Method::POST, &r(root), Some(json!({"pathPart": bad})), 400, "BadRequestException", "pathPart").await;
    }
    a.mentions(Method::POST, &r(root), Some(json!({})), 400, "BadRequestException", "pathPart is required").await;
    a.mentions(Method::POST, &r("nosuchres0"), Some(json!({"pathPart": "x"})), 404, "NotFoundException", "Invalid Resource identifier")
        .await;
    a.mentions(Method::DELETE, &r(root), None, 400, "BadRequestException", "root resource").await;
    assert_eq!(a.tree(id).await, before);

    let got = a.ok(Method::GET, &r(toys["id"].as_str().unwrap()), None, 200).await;
    assert_eq!(got["path"], "/pets/{id}/toys");

    // Deleting a resource deletes everything under it.
    a.ok(Method::DELETE, &r(pets_id), None, 202).await;
    let after = a.tree(id).await;
    let paths: Vec<&str> = after["item"].as_array().unwrap().iter().map(|x| x["path"].as_str().unwrap()).collect();
    assert_eq!(paths, vec!["/", "/{proxy+}"]);
    a.mentions(Method::GET, &r(pet_id), None, 404, "NotFoundException", "Invalid Resource identifier").await;
    a.mentions(Method::DELETE, &r(pets_id), None, 404, "NotFoundException", "Invalid Resource identifier").await;
}

#[tokio::test]
async fn methods_integrations_and_responses() {
    let s = TestServer::start().await;
    let a = Api::new(&s).await;
    let api = a.create_api("pets").await;
    let id = api["id"].as_str().unwrap();
    let root = api["rootResourceId"].as_str().unwrap();
    let pets = a.ok(Method::POST, &format!("/restapis/{id}/resources/{root}"), Some(json!({"pathPart": "pets"})), 201).await;
    let pid = pets["id"].as_str().unwrap();
    let m = |verb: &str| format!("/restapis/{id}/resources/{pid}/methods/{verb}");

    let method = a.ok(Method::PUT, &m("GET"), Some(json!({"authorizationType": "NONE", "apiKeyRequired": true})), 201).await;
    assert_eq!(method["httpMethod"], "GET");
    assert_eq!(method["apiKeyRequired"], true);
    a.ok(Method::PUT, &m("any"), Some(json!({"authorizationType": "NONE"})), 201).await;
    a.mentions(Method::PUT, &m("GET"), Some(json!({"authorizationType": "NONE"})), 409, "ConflictException", "already exists").await;
    a.mentions(Method::PUT, &m("FETCH"), Some(json!({"authorizationType": "NONE"})), 400, "BadRequestException", "httpMethod").await;
    a.mentions(Method::PUT, &m("POST"), Some(json!({"authorizationType": "AWS_IAM"})), 400, "BadRequestException", "authorizationType")
        .await;
    a.mentions(Method::GET, &m("POST"), None, 404, "NotFoundException", "Invalid Method identifier").await;

    let upd = a
        .ok(
            Method::PATCH,
            &m("GET"),
            Some(json!({"patchOperations": [{"op": "replace", "path": "/apiKeyRequired", "value": "false"}]})),
            200,
        )
        .await;
    assert_eq!(upd["apiKeyRequired"], false);
    a.mentions(
        Method::PATCH,
        &m("GET"),
        Some(json!({"patchOperations": [{"op": "replace", "path": "/apiKeyRequired", "value": "maybe"}]})),
        400,
        "BadRequestException",
        "'true' or 'false'",
    )
    .await;
    a.mentions(
        Method::PATCH,
        &m("GET"),
        Some(json!({"patchOperations": [{"op": "replace", "path": "/requestModels", "value": "x"}]})),
        400,
        "BadRequestException",
        "/requestModels",
    )
    .await;

    // Integrations: each rule, then a good one.
    let int = |b: Value| Some(b);
    a.mentions(Method::PUT, &format!("{}/integration", m("GET")), int(json!({})), 400, "BadRequestException", "type is required").await;
    a.mentions(Method::PUT, &format!("{}/integration", m("GET")), int(json!({"type": "AWS"})), 400, "BadRequestException", "not supported")
        .await;
    a.mentions(
        Method::PUT,
        &format!("{}/integration", m("GET")),
        int(json!({"type": "HTTP_PROXY", "integrationHttpMethod": "GET"})),
        400,
        "BadRequestException",
        "uri is required",
    )
    .await;
    a.mentions(
        Method::PUT,
        &format!("{}/integration", m("GET")),
        int(json!({"type": "HTTP_PROXY", "integrationHttpMethod": "GET", "uri": "ftp://x"})),
        400,
        "BadRequestException",
        "http:// or https://",
    )
    .await;
    a.mentions(
        Method::PUT,
        &format!("{}/integration", m("GET")),
        int(json!({"type": "HTTP_PROXY", "integrationHttpMethod": "GET", "uri": "http://h/${env.x}"})),
        400,
        "BadRequestException",
        "stageVariables",
    )
    .await;
    a.mentions(
        Method::PUT,
        &format!("{}/integration", m("GET")),
        int(json!({"type": "HTTP_PROXY", "uri": "http://h/"})),
        400,
        "BadRequestException",
        "integrationHttpMethod is required",
    )
    .await;
    for t in [49, 29_001] {
        a.mentions(
            Method::PUT,
            &format!("{}/integration", m("GET")),
            int(json!({"type": "HTTP_PROXY", "integrationHttpMethod": "GET", "uri": "http://h/", "timeoutInMillis": t})),
            400,
            "BadRequestException",
            "timeoutInMillis",
        )
        .await;
    }
    a.mentions(Method::GET, &format!("{}/integration", m("GET")), None, 404, "NotFoundException", "No integration").await;

    let i = a
        .ok(
            Method::PUT,
            &format!("{}/integration", m("GET")),
            int(json!({
        "type": "HTTP_PROXY", "integrationHttpMethod": "GET",
        "uri": "http://${stageVariables.backend}/pets", "timeoutInMillis": 5000})),
            201,
        )
        .await;
    assert_eq!(i["type"], "HTTP_PROXY");
    assert_eq!(i["uri"], "http://${stageVariables.backend}/pets");
    assert_eq!(i["timeoutInMillis"], 5000);
    assert_eq!(i["httpMethod"], "GET");
    let dflt = a
        .ok(
            Method::PUT,
            &format!("{}/integration", m("ANY")),
            int(json!({"type": "MOCK", "requestTemplates": {"application/json": "{\"statusCode\": 200}"}})),
            201,
        )
        .await;
    assert_eq!(dflt["timeoutInMillis"], 29000, "default timeout");
    assert_eq!(a.ok(Method::GET, &format!("{}/integration", m("GET")), None, 200).await, i);

    // MOCK responses: a method response declares the header, the integration response fills it.
    a.mentions(
        Method::PUT,
        &format!("{}/integration/responses/200", m("ANY")),
        int(json!({"responseTemplates": {"application/json": "{}"}})),
        404,
        "NotFoundException",
        "PutMethodResponse",
    )
    .await;
    a.mentions(Method::PUT, &format!("{}/responses/20", m("ANY")), int(json!({})), 400, "BadRequestException", "statusCode").await;
    a.mentions(
        Method::PUT,
        &format!("{}/responses/200", m("ANY")),
        int(json!({"responseParameters": {"X-Bad": true}})),
        400,
        "BadRequestException",
        "method.response.header",
    )
    .await;
    a.ok(
        Method::PUT,
        &format!("{}/responses/200", m("ANY")),
        int(json!({"responseParameters": {"method.response.header.X-Mock": false}})),
        201,
    )
    .await;
    a.mentions(
        Method::PUT,
        &format!("{}/integration/responses/200", m("ANY")),
        int(json!({"responseParameters": {"method.response.header.X-Other": "'v'"}})),
        400,
        "BadRequestException",
        "not declared",
    )
    .await;
    a.mentions(
        Method::PUT,
        &format!("{}/integration/responses/200", m("ANY")),
        int(json!({"responseParameters": {"method.response.header.X-Mock": "v"}})),
        400,
        "BadRequestException",
        "mapping expression",
    )
    .await;
    let ir = a
        .ok(
            Method::PUT,
            &format!("{}/integration/responses/200", m("ANY")),
            int(json!({
        "selectionPattern": "", "responseParameters": {"method.response.header.X-Mock": "'yes'"},
        "responseTemplates": {"application/json": "{\"mock\": true}"}})),
            201,
        )
        .await;
    assert_eq!(ir["responseParameters"]["method.response.header.X-Mock"], "'yes'");

    let full = a.ok(Method::GET, &m("ANY"), None, 200).await;
    assert_eq!(full["methodResponses"]["200"]["responseParameters"]["method.response.header.X-Mock"], false);
    assert_eq!(full["methodIntegration"]["integrationResponses"]["200"]["responseTemplates"]["application/json"], "{\"mock\": true}");

    // get-resources: summaries without embed, everything with it.
    let plain = a.ok(Method::GET, &format!("/restapis/{id}/resources"), None, 200).await;
    let pets_plain = plain["item"].as_array().unwrap().iter().find(|r| r["path"] == "/pets").unwrap().clone();
    assert_eq!(pets_plain["resourceMethods"], json!({"ANY": {}, "GET": {}}));
    let embedded = a.tree(id).await;
    let pets_full = embedded["item"].as_array().unwrap().iter().find(|r| r["path"] == "/pets").unwrap().clone();
    assert_eq!(pets_full["resourceMethods"]["GET"]["methodIntegration"]["uri"], "http://${stageVariables.backend}/pets");

    a.ok(Method::DELETE, &format!("{}/integration", m("GET")), None, 204).await;
    a.mentions(Method::DELETE, &format!("{}/integration", m("GET")), None, 404, "NotFoundException", "No integration").await;
    a.ok(Method::DELETE, &m("GET"), None, 204).await;
    a.mentions(Method::DELETE, &m("GET"), None, 404, "NotFoundException", "Invalid Method identifier").await;
}

#[tokio::test]
async fn sigv4_failures_use_aws_error_types() {
    let s = TestServer::start().await;
    s.setup_admin("admin").await;
    let key = apigw_server::admin_create_access_key(&s.db, "admin", "tests").await.unwrap();
    let url = s.url("/restapis");
    let c = Client::new();
    let send = |headers: Vec<(String, String)>| {
        let mut req = c.get(&url);
        for (k, v) in headers {
            req = req.header(k, v);
        }
        req.send()
    };
    let check = |res: reqwest::Response, kind: &'static str| async move {
        assert_eq!(res.status(), 403);
        assert_eq!(res.headers().get("x-amzn-errortype").unwrap(), kind);
        let body: Value = res.json().await.unwrap();
        body["message"].as_str().unwrap().to_string()
    };

    let msg = check(send(vec![]).await.unwrap(), "MissingAuthenticationTokenException").await;
    assert_eq!(msg, "Missing Authentication Token");
    let msg =
        check(send(sign("GET", &url, b"", "AKIANOSUCHKEY0000000", "x", &amz_date(0))).await.unwrap(), "UnrecognizedClientException").await;
    assert!(msg.contains("security token included in the request is invalid"));
    let msg =
        check(send(sign("GET", &url, b"", &key.access_key_id, "wrong-secret", &amz_date(0))).await.unwrap(), "InvalidSignatureException")
            .await;
    assert!(msg.contains("does not match"));
    let msg = check(
        send(sign("GET", &url, b"", &key.access_key_id, &key.secret_access_key, &amz_date(-16 * 60))).await.unwrap(),
        "InvalidSignatureException",
    )
    .await;
    assert!(msg.contains("Signature expired"), "{msg}");
    let msg = check(send(vec![("authorization".into(), "Basic abc".into())]).await.unwrap(), "IncompleteSignatureException").await;
    assert!(msg.contains("AWS4-HMAC-SHA256"));

    // A correct signature, 14 minutes off, is accepted.
    let res = send(sign("GET", &url, b"", &key.access_key_id, &key.secret_access_key, &amz_date(-14 * 60))).await.unwrap();
    assert_eq!(res.status(), 200);
    // A signed body that was changed on the way is refused.
    let body = br#"{"name":"a"}"#;
    let mut req = c.post(&url).body(&br#"{"name":"b"}"#[..]);
    for (k, v) in sign("POST", &url, body, &key.access_key_id, &key.secret_access_key, &amz_date(0)) {
        req = req.header(k, v);
    }
    check(req.send().await.unwrap(), "InvalidSignatureException").await;
}

/// Issue 35, findings 1 to 3: a signature binds the body, its scope and the
/// query's meaning, and no byte sequence in a query drops the connection.
#[tokio::test]
async fn sigv4_binds_the_body_the_scope_and_the_query() {
    let s = TestServer::start().await;
    s.setup_admin("admin").await;
    let key = apigw_server::admin_create_access_key(&s.db, "admin", "tests").await.unwrap();
    let url = s.url("/restapis");
    let c = Client::new();
    let date = amz_date(0);
    let signer = |region: &'static str, service: &'static str| Signer {
        key_id: &key.access_key_id,
        secret: &key.secret_access_key,
        amz_date: &date,
        region,
        service,
        extra: &[],
    };
    let refused = |res: reqwest::Response| async move {
        let kind = res.headers().get("x-amzn-errortype").map(|v| v.to_str().unwrap().to_string());
        let status = res.status().as_u16();
        let body: Value = res.json().await.unwrap();
        (status, kind.unwrap_or_default(), body["message"].as_str().unwrap_or_default().to_string())
    };

    // 1. Signed for body A with its hash in x-amz-content-sha256, sent with body B.
    let body_a = br#"{"name":"signed-a"}"#;
    let hash_a = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(body_a));
    let extra = [("x-amz-content-sha256", hash_a.as_str()), ("content-type", "application/json")];
    let with_hash = Signer { extra: &extra, ..signer("us-east-1", "apigateway") };
    let mut req = c.post(&url).body(&br#"{"name":"replayed-b"}"#[..]);
    for (k, v) in with_hash.sign("POST", &url, body_a) {
        req = req.header(k, v);
    }
    let (status, kind, msg) = refused(req.send().await.unwrap()).await;
    assert_eq!((status, kind.as_str()), (403, "InvalidSignatureException"), "{msg}");
    assert!(msg.contains("SHA-256 of the request body"), "{msg}");
    // The same signature with body A is fine; UNSIGNED-PAYLOAD is not.
    let mut req = c.post(&url).body(&body_a[..]);
    for (k, v) in with_hash.sign("POST", &url, body_a) {
        req = req.header(k, v);
    }
    assert_eq!(req.send().await.unwrap().status(), 201);
    let unsigned = [("x-amz-content-sha256", "UNSIGNED-PAYLOAD")];
    let mut req = c.post(&url).body(&br#"{"name":"unsigned"}"#[..]);
    for (k, v) in (Signer { extra: &unsigned, ..signer("us-east-1", "apigateway") }).sign("POST", &url, br#"{"name":"unsigned"}"#) {
        req = req.header(k, v);
    }
    assert_eq!(refused(req.send().await.unwrap()).await.0, 403);
    // Nothing but the honest request created anything.
    let mut req = c.get(&url);
    for (k, v) in sign("GET", &url, b"", &key.access_key_id, &key.secret_access_key, &date) {
        req = req.header(k, v);
    }
    let names: Vec<String> = req.send().await.unwrap().json::<Value>().await.unwrap()["item"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["signed-a"]);

    // 2. The scope: another service or region is refused, naming what is wanted.
    for (region, service, needle) in [("us-east-1", "execute-api", "'apigateway'"), ("eu-west-3", "apigateway", "us-east-1")] {
        let mut req = c.get(&url);
        for (k, v) in signer(region, service).sign("GET", &url, b"") {
            req = req.header(k, v);
        }
        let (status, kind, msg) = refused(req.send().await.unwrap()).await;
        assert_eq!((status, kind.as_str()), (403, "InvalidSignatureException"), "{region} {service}: {msg}");
        assert!(msg.contains(needle), "{msg}");
    }

    // `+` is a space and `%2B` a plus: a signature for one is refused for the other.
    let signed_url = format!("{url}?name=a%2Bb");
    let mut req = c.get(format!("{url}?name=a+b"));
    for (k, v) in signer("us-east-1", "apigateway").sign("GET", &signed_url, b"") {
        req = req.header(k, v);
    }
    let (status, kind, _) = refused(req.send().await.unwrap()).await;
    assert_eq!((status, kind.as_str()), (403, "InvalidSignatureException"));

    // 3. A broken escape followed by a multi-byte character is answered, not a dropped connection.
    let auth = signer("us-east-1", "apigateway").sign("GET", &url, b"");
    let mut raw = b"GET /restapis?name=%a\xe2\x82\xac HTTP/1.1\r\nhost: x\r\nconnection: close\r\n".to_vec();
    for (k, v) in &auth {
        raw.extend_from_slice(format!("{k}: {v}\r\n").as_bytes());
    }
    raw.extend_from_slice(b"\r\n");
    let mut w = apigw_tests::raw::Wire::connect(&s.console).await;
    w.send(&raw).await;
    let answer = w.answer(false).await;
    assert!(matches!(answer.status, 400 | 403), "{answer:?}");
}
