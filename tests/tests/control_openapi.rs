//! OpenAPI in and out: ImportRestApi, PutRestApi (merge and overwrite) and
//! GetExport over a corpus (a Swagger 2.0 Petstore with AWS's integration
//! extension, an OpenAPI 3.0 YAML document with every extension apigw
//! reads, and an API built operation by operation), each round-tripped:
//! export → import into a new API → export gives the same document.

use apigw_tests::control::Api;
use apigw_tests::TestServer;
use reqwest::Method;
use serde_json::{json, Value};

const PETSTORE: &str = include_str!("../corpus/openapi/petstore-swagger.json");
const EVERY: &str = include_str!("../corpus/openapi/every-extension.yaml");

/// Sends a raw document (JSON or YAML), as `aws apigateway import-rest-api --body fileb://…` does.
async fn send(a: &Api<'_>, method: Method, path: &str, doc: &str) -> (u16, Option<String>, Value) {
    let (status, headers, text) = a.raw(method, path, doc, &[]).await;
    let kind = headers.get("x-amzn-errortype").map(|v| v.to_str().unwrap().to_string());
    (status, kind, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// GetExport's body as JSON (YAML is read back into the same value), its content type and file name.
async fn export(a: &Api<'_>, api: &str, stage: &str, kind: &str, query: &str, accept: &str) -> (Value, String, String) {
    let path = format!("/restapis/{api}/stages/{stage}/exports/{kind}{query}");
    let (status, headers, text) = a.raw(Method::GET, &path, "", &[("accept", accept)]).await;
    assert_eq!(status, 200, "export {kind}{query}: {text}");
    let v = if accept.contains("yaml") { yaml_serde::from_str(&text).unwrap() } else { serde_json::from_str(&text).unwrap() };
    let header = |name: &str| headers[name].to_str().unwrap().to_string();
    (v, header("content-type"), header("content-disposition"))
}

/// A document without what names the API it came from (its id is in the server URL).
fn portable(mut doc: Value) -> Value {
    let o = doc.as_object_mut().unwrap();
    o.remove("basePath");
    o.remove("host");
    o.remove("servers");
    doc
}

async fn deploy(a: &Api<'_>, api: &str) {
    a.ok(Method::POST, &format!("/restapis/{api}/deployments"), Some(json!({ "stageName": "prod" })), 201).await;
}

#[tokio::test]
async fn the_swagger_petstore_imports_serves_and_round_trips() {
    let s = TestServer::start().await;
    let a = Api::signed(&s).await;
    let (status, _, api) = send(&a, Method::POST, "/restapis?mode=import", PETSTORE).await;
    assert_eq!(status, 201, "{api}");
    assert_eq!((api["name"].as_str(), api["version"].as_str()), (Some("PetStore"), Some("2024-01-01")));
    assert!(api.get("warnings").is_none() && api.get("tags").is_none(), "{api}");
    let id = api["id"].as_str().unwrap();
    let paths = a.paths(id).await;
    assert_eq!(paths, ["/", "/pets", "/pets/{petId}"]);
    let models = a.ok(Method::GET, &format!("/restapis/{id}/models"), None, 200).await;
    let mut names: Vec<&str> = models["item"].as_array().unwrap().iter().map(|m| m["name"].as_str().unwrap()).collect();
    names.sort();
    assert_eq!(names, ["Empty", "NewPet", "NewPetResponse", "Pet", "PetType", "Pets"], "the document's models only");
    let pets = a.ok(Method::GET, &format!("/restapis/{id}/models/Pets"), None, 200).await;
    assert!(pets["schema"].as_str().unwrap().contains(&format!("https://apigateway.amazonaws.com/restapis/{id}/models/Pet")), "{pets}");

    let tree = a.tree(id).await;
    let pets_res = tree["item"].as_array().unwrap().iter().find(|r| r["path"] == "/pets").unwrap();
    let list = &pets_res["resourceMethods"]["GET"];
    assert_eq!(list["operationName"], "ListPets");
    assert_eq!(list["requestParameters"], json!({ "method.request.querystring.page": false, "method.request.querystring.type": false }));
    assert_eq!(list["methodResponses"]["200"]["responseModels"], json!({ "application/json": "Pets" }));
    let integ = &list["methodIntegration"];
    assert_eq!((integ["type"].as_str(), integ["httpMethod"].as_str()), (Some("HTTP"), Some("GET")));
    assert_eq!(integ["integrationResponses"]["200"]["responseParameters"]["method.response.header.Access-Control-Allow-Origin"], "'*'");
    assert_eq!(pets_res["resourceMethods"]["POST"]["requestModels"], json!({ "application/json": "NewPet" }));

    // The imported MOCK method serves through the gateway once deployed.
    deploy(&a, id).await;
    let page = reqwest::get(format!("{}/{id}/prod/", s.gateway)).await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Welcome to the pet store"));

    // Round trip, in both document kinds and both encodings.
    for (kind, accept) in [("swagger", "application/json"), ("oas30", "application/yaml")] {
        let (first, ctype, disposition) = export(&a, id, "prod", kind, "?extensions=apigateway", accept).await;
        assert_eq!(
            disposition,
            format!("attachment; filename=\"{kind}_2024-01-01.{}\"", if accept.contains("yaml") { "yaml" } else { "json" })
        );
        assert!(ctype == "application/octet-stream" || ctype == "application/yaml", "{ctype}");
        let text = if accept.contains("yaml") { yaml_serde::to_string(&first).unwrap() } else { first.to_string() };
        let (status, _, copy) = send(&a, Method::POST, "/restapis?mode=import", &text).await;
        assert_eq!(status, 201, "{copy}");
        let copy_id = copy["id"].as_str().unwrap();
        deploy(&a, copy_id).await;
        let (second, _, _) = export(&a, copy_id, "prod", kind, "?extensions=apigateway", accept).await;
        assert_eq!(portable(second), portable(first.clone()), "{kind}: export → import → export is stable");
        if kind == "swagger" {
            assert_eq!(first["basePath"], format!("/{id}/prod"));
            let op = &first["paths"]["/pets"]["get"];
            assert_eq!(op["x-amazon-apigateway-integration"]["type"], "http", "AWS writes integration types in lower case");
            assert_eq!(first["definitions"]["Pets"]["items"]["$ref"], "#/definitions/Pet");
        } else {
            assert_eq!(first["components"]["schemas"]["Pets"]["items"]["$ref"], "#/components/schemas/Pet");
        }
    }
    // Without extensions, no integration is written.
    let (plain, _, _) = export(&a, id, "prod", "oas30", "", "application/json").await;
    assert!(plain["paths"]["/pets"]["get"].get("x-amazon-apigateway-integration").is_none());
}

#[tokio::test]
async fn every_extension_is_read_and_written_back() {
    let s = TestServer::start().await;
    let a = Api::signed(&s).await;
    let (status, _, api) =
        send(&a, Method::POST, "/restapis?mode=import&basepath=prepend&endpointConfigurationTypes=REGIONAL", EVERY).await;
    assert_eq!(status, 201, "{api}");
    let id = api["id"].as_str().unwrap();
    assert_eq!(api["binaryMediaTypes"], json!(["image/png", "application/octet-stream"]));
    assert_eq!((api["minimumCompressionSize"].as_i64(), api["apiKeySource"].as_str()), (Some(1024), Some("HEADER")));
    assert_eq!(api["endpointConfiguration"]["types"], json!(["REGIONAL"]));
    assert_eq!(
        serde_json::from_str::<Value>(&api["policy"].as_str().unwrap().replace("\\\"", "\"")).unwrap(),
        json!({ "Version": "2012-10-17", "Statement": [] })
    );
    // basepath=prepend: the server URL's path becomes resources.
    assert_eq!(a.paths(id).await, ["/", "/v1", "/v1/shop", "/v1/shop/orders", "/v1/shop/orders/{id}"]);

    let validators = a.ok(Method::GET, &format!("/restapis/{id}/requestvalidators"), None, 200).await;
    let by_name = |n: &str| validators["item"].as_array().unwrap().iter().find(|v| v["name"] == n).unwrap().clone();
    assert_eq!(
        (by_name("all")["validateRequestBody"].as_bool(), by_name("params-only")["validateRequestBody"].as_bool()),
        (Some(true), Some(false))
    );
    let tree = a.tree(id).await;
    let res = |p: &str| tree["item"].as_array().unwrap().iter().find(|r| r["path"] == p).unwrap().clone();
    let post = &res("/v1/shop/orders")["resourceMethods"]["POST"];
    assert_eq!(post["requestValidatorId"], by_name("all")["id"], "the operation's validator");
    assert_eq!(post["apiKeyRequired"], true, "security: api_key");
    assert_eq!(post["requestParameters"], json!({ "method.request.header.X-Trace": true }));
    assert_eq!(post["requestModels"], json!({ "application/json": "Order" }));
    assert_eq!(post["methodResponses"]["201"]["responseParameters"], json!({ "method.response.header.Location": false }));
    let any = &res("/v1/shop/orders/{id}")["resourceMethods"]["ANY"];
    assert_eq!(any["requestValidatorId"], by_name("params-only")["id"], "the document's default validator");
    assert_eq!(
        (any["methodIntegration"]["type"].as_str(), any["methodIntegration"]["timeoutInMillis"].as_i64()),
        (Some("HTTP_PROXY"), Some(5000))
    );
    let d4 = a.ok(Method::GET, &format!("/restapis/{id}/gatewayresponses/DEFAULT_4XX"), None, 200).await;
    assert_eq!((d4["statusCode"].as_str(), d4["defaultResponse"].as_bool()), (Some("400"), Some(false)));
    let parts = a.ok(Method::GET, &format!("/restapis/{id}/documentation/parts"), None, 200).await;
    assert_eq!(parts["item"].as_array().unwrap().len(), 2);

    deploy(&a, id).await;
    let (first, _, _) = export(&a, id, "prod", "oas30", "?extensions=apigateway", "application/json").await;
    assert_eq!(
        first["x-amazon-apigateway-request-validators"]["all"],
        json!({ "validateRequestBody": true, "validateRequestParameters": true })
    );
    assert_eq!(first["x-amazon-apigateway-gateway-responses"]["THROTTLED"], json!({ "statusCode": "429" }));
    assert_eq!(first["paths"]["/v1/shop/orders"]["post"]["x-amazon-apigateway-request-validator"], "all");
    assert_eq!(first["paths"]["/v1/shop/orders"]["post"]["security"], json!([{ "api_key": [] }]));
    let (status, _, copy) = send(&a, Method::POST, "/restapis?mode=import", &first.to_string()).await;
    assert_eq!(status, 201, "{copy}");
    let copy_id = copy["id"].as_str().unwrap();
    deploy(&a, copy_id).await;
    let (second, _, _) = export(&a, copy_id, "prod", "oas30", "?extensions=apigateway", "application/json").await;
    assert_eq!(portable(second), portable(first));
}

#[tokio::test]
async fn put_rest_api_merges_or_overwrites() {
    let s = TestServer::start().await;
    let a = Api::signed(&s).await;
    let api = a.ok(Method::POST, "/restapis", Some(json!({ "name": "old", "binaryMediaTypes": ["image/heif"] })), 201).await;
    let (id, root) = (api["id"].as_str().unwrap(), api["rootResourceId"].as_str().unwrap());
    let keep = a.resource(id, root, "keep").await;
    a.ok(Method::PUT, &format!("/restapis/{id}/resources/{keep}/methods/GET"), Some(json!({ "authorizationType": "NONE" })), 201).await;
    let doc = json!({
        "swagger": "2.0", "info": { "title": "new", "version": "2" },
        "x-amazon-apigateway-binary-media-types": ["image/png"],
        "paths": { "/keep": { "post": { "responses": { "200": { "description": "ok" } } } },
                   "/added": { "get": { "responses": { "200": { "description": "ok" } } } } }
    });
    let (status, _, merged) = send(&a, Method::PUT, &format!("/restapis/{id}?mode=merge"), &doc.to_string()).await;
    assert_eq!(status, 200, "{merged}");
    assert_eq!((merged["name"].as_str(), merged["version"].as_str()), (Some("new"), Some("2")));
    assert_eq!(merged["binaryMediaTypes"], json!(["image/heif", "image/png"]), "merge: old ∪ new");
    assert_eq!(merged["tags"], json!({}), "PutRestApi always answers with tags");
    let tree = a.tree(id).await;
    let kept = tree["item"].as_array().unwrap().iter().find(|r| r["path"] == "/keep").unwrap();
    let mut verbs: Vec<&String> = kept["resourceMethods"].as_object().unwrap().keys().collect();
    verbs.sort();
    assert_eq!(verbs, ["GET", "POST"], "merge keeps what the document does not name");

    let (status, _, over) = send(&a, Method::PUT, &format!("/restapis/{id}?mode=overwrite"), &doc.to_string()).await;
    assert_eq!(status, 200, "{over}");
    assert_eq!(over["binaryMediaTypes"], json!(["image/png"]), "overwrite: the document's only");
    let tree = a.tree(id).await;
    let kept = tree["item"].as_array().unwrap().iter().find(|r| r["path"] == "/keep").unwrap();
    assert_eq!(kept["resourceMethods"].as_object().unwrap().keys().collect::<Vec<_>>(), ["POST"], "overwrite: exactly the document");
    assert_eq!(a.paths(id).await, ["/", "/added", "/keep"]);

    // A refused document changes nothing.
    let bad = json!({ "swagger": "2.0", "info": { "title": "x" }, "paths": { "/a b": { "get": { "responses": {} } } } });
    let (status, _, _) = send(&a, Method::PUT, &format!("/restapis/{id}?mode=overwrite"), &bad.to_string()).await;
    assert_eq!(status, 400);
    assert_eq!(a.paths(id).await, ["/", "/added", "/keep"]);
    assert_eq!(a.ok(Method::GET, &format!("/restapis/{id}"), None, 200).await["name"], "new");
    let (status, _, v) = send(&a, Method::PUT, "/restapis/nosuch?mode=merge", &doc.to_string()).await;
    assert_eq!((status, v["message"].as_str()), (404, Some("Invalid API identifier specified")));
    let (status, _, _) = send(&a, Method::PUT, &format!("/restapis/{id}?mode=replace"), &doc.to_string()).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn bad_documents_are_refused_and_create_nothing() {
    let s = TestServer::start().await;
    let a = Api::signed(&s).await;
    let protected = json!({
        "openapi": "3.0.1", "info": { "title": "p", "version": "1" },
        "components": { "securitySchemes": { "auth": { "type": "apiKey", "name": "Authorization", "in": "header",
            "x-amazon-apigateway-authtype": "custom", "x-amazon-apigateway-authorizer": { "type": "token" } } } },
        "paths": { "/secret": { "get": { "security": [{ "auth": [] }], "responses": {} } } }
    });
    for (doc, needle) in [
        ("{not json".to_string(), "Unable to build importer with provided input"),
        ("key: [unclosed".to_string(), "Unable to build importer with provided input"),
        (json!({ "openapi": "4.0", "info": { "title": "x" }, "paths": {} }).to_string(), "openapi: 3.0.x"),
        (json!({ "swagger": "2.0", "info": {}, "paths": {} }).to_string(), "info.title"),
        (json!({ "swagger": "2.0", "info": { "title": "x" }, "paths": { "/a": { "get": { "parameters": [{ "in": "body", "name": "b", "schema": { "$ref": "#/definitions/Ghost" } }], "responses": {} } } } }).to_string(), "Ghost"),
        (protected.to_string(), "authorizer"),
        (json!({ "swagger": "2.0", "info": { "title": "x" }, "x-amazon-apigateway-gateway-responses": { "NOPE": {} }, "paths": {} }).to_string(), "NOPE"),
    ] {
        let (status, _, v) = send(&a, Method::POST, "/restapis?mode=import", &doc).await;
        assert_eq!(status, 400, "{doc}: {v}");
        assert!(v["message"].as_str().unwrap().contains(needle), "{doc}: {v}");
    }
    // Warnings: what apigw cannot run is named; failonwarnings refuses the import.
    let lambda = json!({
        "swagger": "2.0", "info": { "title": "l", "version": "1" },
        "paths": { "/f": { "get": { "responses": { "200": { "description": "ok" } },
            "x-amazon-apigateway-integration": { "type": "aws_proxy", "httpMethod": "POST",
                "uri": "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:1:function:f/invocations" } } } }
    });
    let (status, _, v) = send(&a, Method::POST, "/restapis?mode=import&failonwarnings=true", &lambda.to_string()).await;
    assert_eq!(status, 400, "{v}");
    assert!(v["message"].as_str().unwrap().contains("AWS_PROXY"), "{v}");
    assert_eq!(a.ok(Method::GET, "/restapis", None, 200).await["item"], json!([]), "no refused import left an API behind");
    let (status, _, v) = send(&a, Method::POST, "/restapis?mode=import", &lambda.to_string()).await;
    assert_eq!(status, 201, "{v}");
    assert!(v["warnings"][0].as_str().unwrap().contains("AWS_PROXY"), "{v}");
    let (status, _, _) = send(&a, Method::POST, "/restapis?mode=nonsense", "{}").await;
    assert_eq!(status, 400);
    let before = a.ok(Method::GET, "/restapis", None, 200).await["item"].as_array().unwrap().len();
    for (doc, needle) in [
        (json!({ "swagger": "2.0", "info": { "title": "x" }, "paths": { "/pets/": { "get": { "responses": {} } } } }), "empty segment"),
        (json!({ "swagger": "2.0", "info": { "title": "x" }, "paths": { "/a//b": { "get": { "responses": {} } } } }), "empty segment"),
        (
            json!({ "swagger": "2.0", "info": { "title": "x" }, "paths": { "/iam": { "get": { "responses": {}, "x-amazon-apigateway-auth": { "type": "aws_iam" } } } } }),
            "aws_iam",
        ),
        (
            json!({ "swagger": "2.0", "info": { "title": "x" }, "definitions": { "bad-name": { "type": "object" } }, "paths": {} }),
            "bad-name",
        ),
    ] {
        let (status, _, v) = send(&a, Method::POST, "/restapis?mode=import", &doc.to_string()).await;
        assert_eq!(status, 400, "{doc}: {v}");
        assert!(v["message"].as_str().unwrap().contains(needle), "{doc}: {v}");
    }
    assert_eq!(a.ok(Method::GET, "/restapis", None, 200).await["item"].as_array().unwrap().len(), before, "nothing left behind");
    // AWS's built-in models may be named without a definition.
    let builtin = json!({ "swagger": "2.0", "info": { "title": "b" },
        "paths": { "/e": { "post": { "parameters": [{ "in": "body", "name": "e", "schema": { "$ref": "#/definitions/Empty" } }], "responses": {} } } } });
    let (status, _, v) = send(&a, Method::POST, "/restapis?mode=import", &builtin.to_string()).await;
    assert_eq!(status, 201, "{v}");
    let models = a.ok(Method::GET, &format!("/restapis/{}/models", v["id"].as_str().unwrap()), None, 200).await;
    assert_eq!(models["item"][0]["name"], "Empty");
}

#[tokio::test]
async fn refused_put_rest_api_and_documentation_imports_change_nothing() {
    let s = TestServer::start().await;
    let a = Api::signed(&s).await;
    let (status, _, api) = send(&a, Method::POST, "/restapis?mode=import", EVERY).await;
    assert_eq!(status, 201, "{api}");
    let id = api["id"].as_str().unwrap();
    let (paths, parts) = (a.paths(id).await, a.ok(Method::GET, &format!("/restapis/{id}/documentation/parts"), None, 200).await);
    for bad in [
        json!({ "swagger": "2.0", "info": { "title": "x" }, "definitions": { "not-alnum": { "type": "object" } }, "paths": {} }),
        json!({ "swagger": "2.0", "info": { "title": "x" }, "x-amazon-apigateway-gateway-responses": { "NOPE": {} }, "paths": {} }),
        json!({ "swagger": "2.0", "info": { "title": "x" }, "x-amazon-apigateway-documentation": { "documentationParts": [{ "location": { "type": "API", "path": "/x" }, "properties": {} }] }, "paths": {} }),
    ] {
        let (status, _, v) = send(&a, Method::PUT, &format!("/restapis/{id}?mode=overwrite"), &bad.to_string()).await;
        assert_eq!(status, 400, "{bad}: {v}");
        assert_eq!(a.paths(id).await, paths, "{bad}: the API is as it was");
    }
    let docs = json!({ "swagger": "2.0", "info": { "title": "x" }, "paths": {}, "x-amazon-apigateway-documentation": { "documentationParts": [
        { "location": { "type": "API" }, "properties": { "description": "new" } },
        { "location": { "type": "REQUEST_HEADER" }, "properties": {} }
    ] } });
    let (status, _, v) = send(&a, Method::PUT, &format!("/restapis/{id}/documentation/parts?mode=overwrite"), &docs.to_string()).await;
    assert_eq!(status, 400, "{v}");
    assert_eq!(a.ok(Method::GET, &format!("/restapis/{id}/documentation/parts"), None, 200).await, parts, "the old parts are kept");

    // A documentation version made for a stage is that stage's.
    a.ok(Method::POST, &format!("/restapis/{id}/deployments"), Some(json!({ "stageName": "prod" })), 201).await;
    a.ok(
        Method::POST,
        &format!("/restapis/{id}/documentation/versions"),
        Some(json!({ "documentationVersion": "2", "stageName": "prod" })),
        201,
    )
    .await;
    assert_eq!(a.ok(Method::GET, &format!("/restapis/{id}/stages/prod"), None, 200).await["documentationVersion"], "2");
}

#[tokio::test]
async fn an_api_built_call_by_call_exports_and_imports_the_same() {
    let s = TestServer::start().await;
    let a = Api::signed(&s).await;
    let api = a.ok(Method::POST, "/restapis", Some(json!({ "name": "built", "description": "by hand", "version": "3" })), 201).await;
    let (id, root) = (api["id"].as_str().unwrap(), api["rootResourceId"].as_str().unwrap());
    let items = a.resource(id, root, "items").await;
    let item = a.resource(id, &items, "{id}").await;
    let m = format!("/restapis/{id}/resources/{item}/methods/GET");
    a.ok(
        Method::PUT,
        &m,
        Some(json!({ "authorizationType": "NONE", "apiKeyRequired": true, "operationName": "GetItem",
        "requestParameters": { "method.request.path.id": true, "method.request.querystring.v": false } })),
        201,
    )
    .await;
    a.ok(
        Method::PUT,
        &format!("{m}/integration"),
        Some(json!({ "type": "HTTP", "httpMethod": "GET", "uri": "http://backend.internal/items/{id}",
        "requestParameters": { "integration.request.path.id": "method.request.path.id" }, "timeoutInMillis": 3000 })),
        201,
    )
    .await;
    a.ok(Method::PUT, &format!("{m}/responses/200"), Some(json!({ "responseModels": { "application/json": "Empty" } })), 201).await;
    a.ok(
        Method::PUT,
        &format!("{m}/integration/responses/200"),
        Some(json!({ "responseTemplates": { "application/json": "$input.json('$')" } })),
        201,
    )
    .await;
    a.ok(Method::PUT, &format!("{m}/responses/404"), Some(json!({})), 201).await;
    a.ok(Method::PUT, &format!("{m}/integration/responses/404"), Some(json!({ "selectionPattern": "404" })), 201).await;
    deploy(&a, id).await;
    let (first, _, _) = export(&a, id, "prod", "swagger", "?extensions=integrations", "application/json").await;
    assert_eq!(first["info"], json!({ "title": "built", "description": "by hand", "version": "3" }));
    let op = &first["paths"]["/items/{id}"]["get"];
    assert_eq!(op["x-amazon-apigateway-integration"]["responses"]["404"]["statusCode"], "404");
    assert_eq!(op["x-amazon-apigateway-integration"]["timeoutInMillis"], 3000);
    let (status, _, copy) = send(&a, Method::POST, "/restapis?mode=import", &first.to_string()).await;
    assert_eq!(status, 201, "{copy}");
    let copy_id = copy["id"].as_str().unwrap();
    deploy(&a, copy_id).await;
    let (second, _, _) = export(&a, copy_id, "prod", "swagger", "?extensions=integrations", "application/json").await;
    assert_eq!(portable(second), portable(first));
    // Exports name what exists.
    a.err(Method::GET, &format!("/restapis/{id}/stages/nosuch/exports/swagger"), None, (404, "NotFoundException"), "").await;
    a.err(Method::GET, &format!("/restapis/{id}/stages/prod/exports/raml"), None, (400, "BadRequestException"), "").await;
}

#[tokio::test]
async fn an_export_shows_what_the_stage_serves_not_later_edits() {
    let s = TestServer::start().await;
    let a = Api::signed(&s).await;
    let api = a.ok(Method::POST, "/restapis", Some(json!({ "name": "frozen" })), 201).await;
    let (id, root) = (api["id"].as_str().unwrap(), api["rootResourceId"].as_str().unwrap());
    let schema = |title: &str| json!({ "type": "object", "title": title }).to_string();
    a.ok(
        Method::POST,
        &format!("/restapis/{id}/models"),
        Some(json!({ "name": "Pet", "contentType": "application/json", "schema": schema("v1") })),
        201,
    )
    .await;
    let v = a
        .ok(
            Method::POST,
            &format!("/restapis/{id}/requestvalidators"),
            Some(json!({ "name": "body-v1", "validateRequestBody": true })),
            201,
        )
        .await;
    let vid = v["id"].as_str().unwrap();
    a.ok(Method::PUT, &format!("/restapis/{id}/gatewayresponses/THROTTLED"), Some(json!({ "statusCode": "429" })), 201).await;
    let m = format!("/restapis/{id}/resources/{root}/methods/POST");
    a.ok(
        Method::PUT,
        &m,
        Some(json!({ "authorizationType": "NONE", "requestValidatorId": vid, "requestModels": { "application/json": "Pet" } })),
        201,
    )
    .await;
    a.mock_integration(&m).await;
    deploy(&a, id).await;

    // Edits after the deployment: not what the stage serves.
    let patch = |path: &str, value: &str| json!({ "patchOperations": [{ "op": "replace", "path": path, "value": value }] });
    a.ok(Method::PATCH, &format!("/restapis/{id}/models/Pet"), Some(patch("/schema", &schema("v2"))), 200).await;
    a.ok(Method::PATCH, &format!("/restapis/{id}/requestvalidators/{vid}"), Some(patch("/name", "body-v2")), 200).await;
    a.ok(Method::PATCH, &format!("/restapis/{id}/gatewayresponses/THROTTLED"), Some(patch("/statusCode", "503")), 200).await;

    let served = |doc: &Value| {
        (
            doc["components"]["schemas"]["Pet"]["title"].clone(),
            doc["x-amazon-apigateway-request-validators"].as_object().map(|o| o.keys().cloned().collect::<Vec<_>>()),
            doc["x-amazon-apigateway-gateway-responses"]["THROTTLED"]["statusCode"].clone(),
        )
    };
    let (before, _, _) = export(&a, id, "prod", "oas30", "?extensions=apigateway", "application/json").await;
    assert_eq!(served(&before), (json!("v1"), Some(vec!["body-v1".to_string()]), json!("429")), "{before:#}");
    deploy(&a, id).await;
    let (after, _, _) = export(&a, id, "prod", "oas30", "?extensions=apigateway", "application/json").await;
    assert_eq!(served(&after), (json!("v2"), Some(vec!["body-v2".to_string()]), json!("503")), "{after:#}");
}
