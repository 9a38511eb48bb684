//! The control API's Update and Delete operations on resources, integrations,
//! method and integration responses and deployments, with AWS's messages,
//! against the real server; and the control-API-wide answers: a request id
//! on every response, AWS's error for an operation that does not exist.

use apigw_tests::aws::{amz_date, sign};
use apigw_tests::control::{replace, Api};
use apigw_tests::TestServer;
use reqwest::{Client, Method};
use serde_json::{json, Value};

#[tokio::test]
async fn update_resource_renames_and_moves_with_descendants() {
    let s = TestServer::start().await;
    let a = Api::new(&s).await;
    let api = a.ok(Method::POST, "/restapis", Some(json!({ "name": "shop" })), 201).await;
    let (id, root) = (api["id"].as_str().unwrap(), api["rootResourceId"].as_str().unwrap());
    let pets = a.resource(id, root, "pets").await;
    let pet = a.resource(id, &pets, "{id}").await;
    let toys = a.resource(id, &pet, "toys").await;
    let store = a.resource(id, root, "store").await;
    a.ok(Method::PUT, &format!("/restapis/{id}/resources/{toys}/methods/GET"), Some(json!({ "authorizationType": "NONE" })), 201).await;

    // Rename: the resource and everything under it get the new path.
    let r = a
        .ok(
            Method::PATCH,
            &format!("/restapis/{id}/resources/{pets}"),
            Some(json!({ "patchOperations": replace("/pathPart", "animals") })),
            200,
        )
        .await;
    assert_eq!((r["path"].as_str(), r["pathPart"].as_str()), (Some("/animals"), Some("animals")));
    assert_eq!(a.paths(id).await, ["/", "/animals", "/animals/{id}", "/animals/{id}/toys", "/store"]);
    // Move under /store; the method moves with its resource.
    let r = a
        .ok(
            Method::PATCH,
            &format!("/restapis/{id}/resources/{pets}"),
            Some(json!({ "patchOperations": replace("/parentId", &store) })),
            200,
        )
        .await;
    assert_eq!(r["parentId"].as_str(), Some(store.as_str()));
    assert_eq!(a.paths(id).await, ["/", "/store", "/store/animals", "/store/animals/{id}", "/store/animals/{id}/toys"]);
    a.ok(Method::GET, &format!("/restapis/{id}/resources/{toys}/methods/GET"), None, 200).await;

    // AWS's refusals, each changing nothing.
    let res = |rid: &str| format!("/restapis/{id}/resources/{rid}");
    let (status, kind, v) = a.patch(&res(&pets), replace("/parentId", &toys)).await;
    assert_eq!((status, kind.as_deref(), v["message"].as_str()), (400, Some("BadRequestException"), Some("Resources cannot be cyclical.")));
    a.err(
        Method::PATCH,
        &res(&pets),
        Some(json!({ "patchOperations": replace("/parentId", &pets) })),
        (400, "BadRequestException"),
        "Resources cannot be cyclical.",
    )
    .await;
    a.err(
        Method::PATCH,
        &res(&pets),
        Some(json!({ "patchOperations": replace("/invalid", "x") })),
        (400, "BadRequestException"),
        "Invalid patch path  '/invalid' specified for op 'replace'. Must be one of: [/parentId, /pathPart]",
    )
    .await;
    a.err(
        Method::PATCH,
        &res(&pets),
        Some(json!({ "patchOperations": [{ "op": "add", "path": "/pathPart", "value": "x" }] })),
        (400, "BadRequestException"),
        "Invalid patch path  '/pathPart' specified for op 'add'. Please choose supported operations",
    )
    .await;
    a.err(
        Method::PATCH,
        &res(root),
        Some(json!({ "patchOperations": replace("/pathPart", "x") })),
        (400, "BadRequestException"),
        "Root resource cannot update its pathPart.",
    )
    .await;
    a.err(
        Method::PATCH,
        &res(root),
        Some(json!({ "patchOperations": replace("/parentId", &store) })),
        (400, "BadRequestException"),
        "Root resource cannot update its parentId.",
    )
    .await;
    a.err(
        Method::PATCH,
        &res(&pets),
        Some(json!({ "patchOperations": replace("/parentId", "nosuchthing") })),
        (404, "NotFoundException"),
        "Invalid Resource identifier specified",
    )
    .await;
    a.err(
        Method::PATCH,
        &res("nosuchthing"),
        Some(json!({ "patchOperations": replace("/pathPart", "x") })),
        (404, "NotFoundException"),
        "Invalid Resource identifier specified",
    )
    .await;
    // A sibling already has the name; a path part must be valid.
    let dup_root = a.resource(id, root, "dup").await;
    let dup_store = a.resource(id, &store, "dup").await;
    let before = a.paths(id).await;
    a.err(
        Method::PATCH,
        &res(&dup_store),
        Some(json!({ "patchOperations": replace("/parentId", root) })),
        (409, "ConflictException"),
        "Another resource with the same parent already has this name: dup",
    )
    .await;
    a.err(
        Method::PATCH,
        &res(&dup_root),
        Some(json!({ "patchOperations": replace("/pathPart", "store") })),
        (409, "ConflictException"),
        "Another resource with the same parent already has this name: store",
    )
    .await;
    let (status, _, v) = a.patch(&res(&pets), replace("/pathPart", "bad part")).await;
    assert_eq!(status, 400, "{v}");
    assert_eq!(a.paths(id).await, before, "refused updates change nothing");
}

#[tokio::test]
async fn integrations_and_responses_update_in_place() {
    let s = TestServer::start().await;
    let a = Api::new(&s).await;
    let api = a.ok(Method::POST, "/restapis", Some(json!({ "name": "shop" })), 201).await;
    let (id, root) = (api["id"].as_str().unwrap(), api["rootResourceId"].as_str().unwrap());
    let m = format!("/restapis/{id}/resources/{root}/methods/GET");
    a.ok(Method::PUT, &m, Some(json!({ "authorizationType": "NONE" })), 201).await;
    a.ok(
        Method::PUT,
        &format!("{m}/integration"),
        Some(json!({ "type": "HTTP", "httpMethod": "GET", "uri": "http://backend.internal/a" })),
        201,
    )
    .await;
    a.ok(Method::PUT, &format!("{m}/responses/200"), Some(json!({ "responseParameters": { "method.response.header.X-A": false } })), 201)
        .await;
    a.ok(Method::PUT, &format!("{m}/integration/responses/200"), Some(json!({ "selectionPattern": "" })), 201).await;

    // UpdateIntegration changes fields and keeps the integration's responses.
    let ops = json!([
        { "op": "replace", "path": "/uri", "value": "http://backend.internal/b" },
        { "op": "replace", "path": "/timeoutInMillis", "value": "5000" },
        { "op": "add", "path": "/requestTemplates/application~1json", "value": "{}" },
    ]);
    let (status, _, i) = a.patch(&format!("{m}/integration"), ops).await;
    assert_eq!(status, 200, "{i}");
    assert_eq!((i["uri"].as_str(), i["timeoutInMillis"].as_i64()), (Some("http://backend.internal/b"), Some(5000)));
    assert_eq!(i["requestTemplates"], json!({ "application/json": "{}" }));
    assert!(i["integrationResponses"]["200"].is_object(), "responses kept: {i}");
    // Its rules are PutIntegration's: a bad value or path changes nothing.
    a.err(
        Method::PATCH,
        &format!("{m}/integration"),
        Some(json!({ "patchOperations": replace("/timeoutInMillis", "10") })),
        (400, "BadRequestException"),
        "timeoutInMillis…",
    )
    .await;
    a.err(
        Method::PATCH,
        &format!("{m}/integration"),
        Some(json!({ "patchOperations": replace("/type", "MOCK") })),
        (400, "BadRequestException"),
        "Invalid patch path  '/type' specified for op 'replace'. Must be one of: …",
    )
    .await;
    a.err(
        Method::PATCH,
        &format!("{m}/integration"),
        Some(json!({ "patchOperations": [{ "op": "remove", "path": "/requestTemplates/text~1plain" }] })),
        (404, "NotFoundException"),
        "Content-Type specified was not found",
    )
    .await;
    let i = a.ok(Method::GET, &format!("{m}/integration"), None, 200).await;
    assert_eq!(i["timeoutInMillis"].as_i64(), Some(5000));

    // UpdateMethodResponse answers 201, as AWS's model says.
    let ops = json!([
        { "op": "add", "path": "/responseParameters/method.response.header.X-B", "value": "true" },
        { "op": "remove", "path": "/responseParameters/method.response.header.X-A" },
        { "op": "add", "path": "/responseModels/application~1json", "value": "Empty" },
    ]);
    let (status, _, r) = a.patch(&format!("{m}/responses/200"), ops).await;
    assert_eq!(status, 201, "{r}");
    assert_eq!(
        r,
        json!({ "statusCode": "200", "responseParameters": { "method.response.header.X-B": true }, "responseModels": { "application/json": "Empty" } })
    );
    a.err(
        Method::PATCH,
        &format!("{m}/responses/200"),
        Some(json!({ "patchOperations": replace("/responseParameters/method.response.header.Nope", "true") })),
        (404, "NotFoundException"),
        "Invalid parameter name specified",
    )
    .await;
    a.err(
        Method::PATCH,
        &format!("{m}/responses/200"),
        Some(json!({ "patchOperations": replace("/wrong/x", "true") })),
        (400, "BadRequestException"),
        "Invalid patch path /wrong/x",
    )
    .await;
    a.err(
        Method::PATCH,
        &format!("{m}/responses/404"),
        Some(json!({ "patchOperations": [] })),
        (404, "NotFoundException"),
        "Invalid Response status code specified",
    )
    .await;

    // UpdateIntegrationResponse: a mapping must name a declared header (PutIntegrationResponse's rule).
    let ops = json!([
        { "op": "replace", "path": "/selectionPattern", "value": "2\\d{2}" },
        { "op": "add", "path": "/responseParameters/method.response.header.X-B", "value": "'yes'" },
        { "op": "add", "path": "/responseTemplates/application~1json", "value": "{\"ok\": true}" },
    ]);
    let (status, _, r) = a.patch(&format!("{m}/integration/responses/200"), ops).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["selectionPattern"], "2\\d{2}");
    assert_eq!(r["responseParameters"], json!({ "method.response.header.X-B": "'yes'" }));
    a.err(
        Method::PATCH,
        &format!("{m}/integration/responses/200"),
        Some(json!({ "patchOperations": [{ "op": "add", "path": "/responseParameters/method.response.header.X-Undeclared", "value": "'no'" }] })),
        (400, "BadRequestException"),
        "method.response.header.X-Undeclared is not declared…",
    )
    .await;

    // Deletes: 204, then the object is gone.
    let (status, _, _) = a.call(Method::DELETE, &format!("{m}/integration/responses/200"), None).await;
    assert_eq!(status, 204);
    a.err(
        Method::GET,
        &format!("{m}/integration/responses/200"),
        None,
        (404, "NotFoundException"),
        "Invalid Response status code specified",
    )
    .await;
    a.err(
        Method::DELETE,
        &format!("{m}/integration/responses/200"),
        None,
        (404, "NotFoundException"),
        "Invalid Response status code specified",
    )
    .await;
    let (status, _, _) = a.call(Method::DELETE, &format!("{m}/responses/200"), None).await;
    assert_eq!(status, 204);
    a.err(Method::GET, &format!("{m}/responses/200"), None, (404, "NotFoundException"), "Invalid Response status code specified").await;
}

#[tokio::test]
async fn deployments_update_and_delete() {
    let s = TestServer::start().await;
    let a = Api::new(&s).await;
    let api = a.ok(Method::POST, "/restapis", Some(json!({ "name": "shop" })), 201).await;
    let (id, root) = (api["id"].as_str().unwrap(), api["rootResourceId"].as_str().unwrap());
    let m = format!("/restapis/{id}/resources/{root}/methods/GET");
    a.ok(Method::PUT, &m, Some(json!({ "authorizationType": "NONE" })), 201).await;
    a.ok(Method::PUT, &format!("{m}/integration"), Some(json!({ "type": "MOCK" })), 201).await;
    let d =
        a.ok(Method::POST, &format!("/restapis/{id}/deployments"), Some(json!({ "stageName": "prod", "description": "first" })), 201).await;
    let did = d["id"].as_str().unwrap();
    let path = format!("/restapis/{id}/deployments/{did}");

    let (status, _, v) = a.patch(&path, replace("/description", "the first")).await;
    assert_eq!((status, v["description"].as_str()), (200, Some("the first")), "{v}");
    assert_eq!(a.ok(Method::GET, &path, None, 200).await["description"], "the first");
    a.err(
        Method::PATCH,
        &path,
        Some(json!({ "patchOperations": replace("/createdDate", "1") })),
        (400, "BadRequestException"),
        "Invalid patch path  '/createdDate' specified for op 'replace'. Must be one of: [/description]",
    )
    .await;

    // A deployment a stage serves cannot go; once the stage is gone it can.
    a.err(Method::DELETE, &path, None, (400, "BadRequestException"), "Active stages pointing to this deployment must be moved or deleted…")
        .await;
    a.ok(Method::GET, &path, None, 200).await;
    let (status, _, _) = a.call(Method::DELETE, &format!("/restapis/{id}/stages/prod"), None).await;
    assert_eq!(status, 202);
    let (status, _, _) = a.call(Method::DELETE, &path, None).await;
    assert_eq!(status, 202);
    a.err(Method::GET, &path, None, (404, "NotFoundException"), "Invalid Deployment identifier specified").await;
    a.err(Method::DELETE, &path, None, (404, "NotFoundException"), "Invalid Deployment identifier specified").await;
}

#[tokio::test]
async fn every_answer_has_a_request_id_and_no_operation_is_an_aws_error() {
    let s = TestServer::start().await;
    let a = Api::new(&s).await;
    let key = apigw_server::admin_create_access_key(&s.db, "admin", "tests").await.unwrap();
    let c = Client::new();
    let signed = |method: &'static str, path: &str| {
        let url = s.url(path);
        let mut req = c.request(method.parse().unwrap(), &url);
        for (k, v) in sign(method, &url, b"", &key.access_key_id, &key.secret_access_key, &amz_date(0)) {
            req = req.header(k, v);
        }
        req.send()
    };
    let request_id = |res: &reqwest::Response| res.headers().get("x-amzn-requestid").map(|v| v.to_str().unwrap().to_string());

    // Success, error and unknown operation all carry one, each its own.
    let ok = signed("GET", "/restapis").await.unwrap();
    assert_eq!(ok.status(), 200);
    let first = request_id(&ok).expect("a request id on success");
    assert_eq!(first.len(), 36, "{first}");
    let missing = signed("GET", "/restapis/nosuchapi").await.unwrap();
    let id = request_id(&missing);
    assert_eq!(missing.status(), 404, "{:?}", missing.text().await);
    assert_ne!(id.expect("a request id on an error"), first);

    // A verb no operation has on a known path, and paths no operation serves
    // (signed: for the control API, whatever the console serves there).
    for (method, path) in
        [("PUT", "/restapis"), ("POST", "/apikeys/abc"), ("PUT", "/account"), ("GET", "/nosuch/thing"), ("DELETE", "/usageplans")]
    {
        let res = signed(method, path).await.unwrap();
        assert_eq!(res.status(), 404, "{method} {path}");
        assert!(request_id(&res).is_some(), "{method} {path}");
        assert_eq!(res.headers().get("x-amzn-errortype").unwrap(), "UnknownOperationException", "{method} {path}");
        let body: Value = res.json().await.unwrap();
        assert!(body["message"].as_str().unwrap().contains(path), "{method} {path}: {body}");
    }
    // Unsigned, /account is the console's own page.
    let (status, _, _) = a.call(Method::GET, "/account", None).await;
    assert_eq!(status, 200);
}
