//! Mapping templates, passthrough and parameter mappings on the gateway and
//! through TestInvokeMethod: real server, real echo backend, templates in
//! AWS's shapes, answers compared with what AWS documents.

use apigw_tests::echo::Echo;
use apigw_tests::gw::Ctl;
use apigw_tests::TestServer;
use reqwest::Method;
use serde_json::{json, Value};

const PUT: Method = Method::PUT;

/// Declares a method with request parameters, then gives it `integration`.
async fn method_with(ctl: &Ctl<'_>, api: &str, rid: &str, verb: &str, params: Value, integration: Value) -> String {
    let m = format!("/restapis/{api}/resources/{rid}/methods/{verb}");
    ctl.req(PUT, &m, Some(json!({"authorizationType": "NONE", "requestParameters": params})), 201).await;
    ctl.req(PUT, &format!("{m}/integration"), Some(integration), 201).await;
    m
}

async fn response(ctl: &Ctl<'_>, m: &str, status: u16, pattern: &str, params: Value, templates: Value) {
    let declared: serde_json::Map<String, Value> = params.as_object().unwrap().keys().map(|k| (k.clone(), json!(false))).collect();
    ctl.req(PUT, &format!("{m}/responses/{status}"), Some(json!({"responseParameters": declared})), 201).await;
    ctl.req(
        PUT,
        &format!("{m}/integration/responses/{status}"),
        Some(json!({"selectionPattern": pattern, "responseParameters": params, "responseTemplates": templates})),
        201,
    )
    .await;
}

#[tokio::test]
async fn mock_templates_select_the_response_and_override_status_and_headers() {
    let s = TestServer::start().await;
    let ctl = Ctl::new(&s).await;
    let (api, root) = ctl.api("mapped-mock").await;
    let pets = ctl.resource(&api, &root, "pets").await;
    let pet = ctl.resource(&api, &pets, "{id}").await;
    // The request template picks the status from the path: 404 for id 0.
    let m = method_with(
        &ctl,
        &api,
        &pet,
        "GET",
        json!({}),
        json!({"type": "MOCK", "requestTemplates": {"application/json":
            "#if($input.params('id') == '0'){\"statusCode\": 404}#else{\"statusCode\": 200}#end"}}),
    )
    .await;
    response(
        &ctl,
        &m,
        200,
        "",
        json!({"method.response.header.X-Req": "context.requestId", "method.response.header.X-Stage": "stageVariables.colour"}),
        json!({"application/json": "{\"id\": \"$input.params('id')\", \"q\": \"$input.params('q')\", \"missing\": \"$input.params('nope')\", \"stage\": \"$context.stage\", \"path\": \"$context.resourcePath\", \"ua\": \"$context.identity.userAgent\"}"}),
    )
    .await;
    response(&ctl, &m, 404, "404", json!({}), json!({"application/json": "{\"message\": \"no pet $input.params('id')\"}"})).await;
    // A teapot via responseOverride, from the request's query string.
    let tea = ctl.resource(&api, &root, "tea").await;
    let tm = method_with(
        &ctl,
        &api,
        &tea,
        "GET",
        json!({}),
        json!({"type": "MOCK", "requestTemplates": {"application/json": "{\"statusCode\": 200}"}}),
    )
    .await;
    response(
        &ctl,
        &tm,
        200,
        "",
        json!({}),
        json!({"application/json": "#set($context.responseOverride.status = 418)#set($context.responseOverride.header.X-Brew = \"$input.params('kind')\"){\"brewed\": true}"}),
    )
    .await;
    ctl.req(Method::POST, &format!("/restapis/{api}/deployments"), Some(json!({"stageName": "dev", "variables": {"colour": "blue"}})), 201)
        .await;

    let http = reqwest::Client::new();
    let res = http.get(ctl.invoke(&api, "dev", "/pets/7?q=x%20y")).header("user-agent", "mapper/1").send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/json");
    assert_eq!(res.headers()["x-stage"], "blue");
    let rid = res.headers()["x-amzn-requestid"].to_str().unwrap().to_string();
    assert_eq!(res.headers()["x-req"], rid.as_str(), "context.requestId is the request's id");
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body,
        json!({"id": "7", "q": "x y", "missing": "", "stage": "dev", "path": "/pets/{id}", "ua": "mapper/1"}),
        "a missing parameter prints nothing, as on AWS"
    );

    let res = http.get(ctl.invoke(&api, "dev", "/pets/0")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(res.json::<Value>().await.unwrap(), json!({"message": "no pet 0"}));

    let res = http.get(ctl.invoke(&api, "dev", "/tea?kind=green")).send().await.unwrap();
    assert_eq!(res.status(), 418, "$context.responseOverride.status wins");
    assert_eq!(res.headers()["x-brew"], "green");
    assert_eq!(res.text().await.unwrap(), "{\"brewed\": true}");
}

#[tokio::test]
async fn http_integrations_map_the_request_and_the_response() {
    let s = TestServer::start().await;
    let echo = Echo::start().await;
    let ctl = Ctl::new(&s).await;
    let (api, root) = ctl.api("mapped-http").await;
    let users = ctl.resource(&api, &root, "users").await;
    let user = ctl.resource(&api, &users, "{id}").await;
    let m = method_with(
        &ctl,
        &api,
        &user,
        "POST",
        json!({"method.request.path.id": true, "method.request.header.X-Tenant": false, "method.request.querystring.v": false}),
        json!({
            "type": "HTTP", "httpMethod": "PUT", "uri": format!("http://{}/accounts/{{account}}", echo.host()),
            "requestParameters": {
                "integration.request.path.account": "method.request.path.id",
                "integration.request.header.X-Tenant-Id": "method.request.header.X-Tenant",
                "integration.request.header.X-Static": "'fixed value'",
                "integration.request.querystring.version": "method.request.querystring.v",
                "integration.request.header.X-Caller": "context.identity.sourceIp",
            },
            "requestTemplates": {"application/json":
                "#set($b = $input.path('$'))\n{\"username\": \"$b.name\", \"tags\": $input.json('$.tags'), \"count\": $b.tags.size()}"},
            "passthroughBehavior": "WHEN_NO_TEMPLATES",
        }),
    )
    .await;
    // The backend's JSON answer is reshaped, and a header read from its body.
    response(
        &ctl,
        &m,
        201,
        "",
        json!({"method.response.header.X-Method": "integration.response.body.method", "method.response.header.X-Echo": "integration.response.header.x-echo"}),
        json!({"application/json": "#set($r = $util.parseJson($input.body))\n{\"sent\": $r.body, \"path\": \"$r.path\"}"}),
    )
    .await;
    ctl.deploy(&api, "dev").await;

    let http = reqwest::Client::new();
    let url = ctl.invoke(&api, "dev", "/users/a%20b?v=3");
    let res = http
        .post(&url)
        .header("x-tenant", "acme")
        .header("content-type", "application/json")
        .body(r#"{"name": "ann", "tags": ["x", "y"]}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "the default integration response's status");
    assert_eq!(res.headers()["x-method"], "PUT");
    assert_eq!(res.headers()["x-echo"], "yes");
    assert_eq!(res.headers()["content-type"], "application/json");
    let out: Value = res.json().await.unwrap();
    assert_eq!(out["path"], "/accounts/a%20b", "a mapped path parameter is encoded");
    assert_eq!(out["sent"], json!({"username": "ann", "tags": ["x", "y"], "count": 2}), "the body the request template made");

    // What the backend saw, through the Test button (same pipeline) on the echo's raw answer.
    let m2 = method_with(
        &ctl,
        &api,
        &users,
        "POST",
        json!({"method.request.header.X-Tenant": false}),
        json!({
            "type": "HTTP", "httpMethod": "POST", "uri": format!("http://{}/raw", echo.host()),
            "requestParameters": {"integration.request.header.X-Tenant-Id": "method.request.header.X-Tenant", "integration.request.querystring.page": "'2'"},
            "requestTemplates": {"application/json": "{\"who\": \"$input.path('$.name')\"}"},
            "passthroughBehavior": "WHEN_NO_TEMPLATES",
        }),
    )
    .await;
    response(&ctl, &m2, 200, "", json!({}), json!({})).await;
    let out = ctl
        .req(
            Method::POST,
            &m2,
            Some(json!({"body": "{\"name\": \"bo\"}", "headers": {"X-Tenant": "t1", "Content-Type": "application/json"}})),
            200,
        )
        .await;
    let echoed: Value = serde_json::from_str(out["body"].as_str().unwrap()).unwrap();
    assert_eq!(echoed["body"], "{\"who\": \"bo\"}");
    assert_eq!(echoed["bodyLength"], 13, "the backend gets the mapped body's own length");
    assert_eq!(echoed["headers"]["x-tenant-id"], "t1");
    assert_eq!(echoed["query"], "page=2");
    let log = out["log"].as_str().unwrap();
    assert!(log.contains("Method request body before transformations: {\"name\": \"bo\"}"), "{log}");
    assert!(log.contains("Endpoint request body after transformations: {\"who\": \"bo\"}"), "{log}");

    // WHEN_NO_TEMPLATES with a template defined: an unmapped content type is a 415.
    let res = http.post(&url).header("content-type", "text/plain").body("hi").send().await.unwrap();
    assert_eq!(res.status(), 415);
    assert_eq!(res.headers()["x-amzn-errortype"], "UnsupportedMediaTypeException");
    assert_eq!(res.json::<Value>().await.unwrap(), json!({"message": "Unsupported Media Type"}));
}

#[tokio::test]
async fn passthrough_rules_and_template_failures() {
    let s = TestServer::start().await;
    let echo = Echo::start().await;
    let ctl = Ctl::new(&s).await;
    let (api, root) = ctl.api("passthrough").await;
    let mut urls = Vec::new();
    for (part, rule, templates) in [
        ("match", "WHEN_NO_MATCH", json!({"application/json": "{\"mapped\": true}"})),
        ("never", "NEVER", json!({"application/json": "{\"mapped\": true}"})),
        ("none", "WHEN_NO_TEMPLATES", json!({})),
        ("nevernone", "NEVER", json!({})),
    ] {
        let rid = ctl.resource(&api, &root, part).await;
        let m = method_with(
            &ctl,
            &api,
            &rid,
            "POST",
            json!({}),
            json!({"type": "HTTP", "httpMethod": "POST", "uri": format!("http://{}/p", echo.host()),
                   "requestTemplates": templates, "passthroughBehavior": rule}),
        )
        .await;
        response(&ctl, &m, 200, "", json!({}), json!({})).await;
        urls.push(ctl.invoke(&api, "dev", &format!("/{part}")));
    }
    // A template that loops past the gateway's bounds fails the request, not the gateway.
    let big = ctl.resource(&api, &root, "big").await;
    let m = method_with(
        &ctl,
        &api,
        &big,
        "GET",
        json!({}),
        json!({"type": "MOCK", "requestTemplates": {"application/json": "{\"statusCode\": 200}"}}),
    )
    .await;
    response(&ctl, &m, 200, "", json!({}), json!({"application/json": "#foreach($i in [1..5000])#foreach($j in [1..5000])$i$j#end#end"}))
        .await;
    ctl.deploy(&api, "dev").await;

    let http = reqwest::Client::new();
    let send = |url: String, ct: &'static str| {
        let http = http.clone();
        async move {
            let res = http.post(url).header("content-type", ct).body("plain words").send().await.unwrap();
            let status = res.status().as_u16();
            let body = res.text().await.unwrap();
            let sent = serde_json::from_str::<Value>(&body).ok().and_then(|v| v["body"].as_str().map(str::to_string));
            (status, sent)
        }
    };
    assert_eq!(send(urls[0].clone(), "application/json").await, (200, Some("{\"mapped\": true}".into())));
    assert_eq!(send(urls[0].clone(), "text/plain").await, (200, Some("plain words".into())), "WHEN_NO_MATCH passes");
    assert_eq!(send(urls[1].clone(), "application/json; charset=utf-8").await, (200, Some("{\"mapped\": true}".into())));
    assert_eq!(send(urls[1].clone(), "text/plain").await.0, 415, "NEVER refuses an unmapped type");
    assert_eq!(send(urls[2].clone(), "text/plain").await, (200, Some("plain words".into())), "no templates: passes");
    assert_eq!(send(urls[3].clone(), "text/plain").await.0, 415, "NEVER with no templates refuses");
    assert_eq!(echo.hits(), 4, "a refused request never reaches the backend");

    let res = http.get(ctl.invoke(&api, "dev", "/big")).send().await.unwrap();
    assert_eq!(res.status(), 500);
    assert_eq!(res.json::<Value>().await.unwrap(), json!({"message": "Internal server error"}));
    // The gateway still answers.
    assert_eq!(send(urls[2].clone(), "text/plain").await.0, 200);
}

#[tokio::test]
async fn templates_and_mappings_are_checked_when_saved() {
    let s = TestServer::start().await;
    let ctl = Ctl::new(&s).await;
    let (api, root) = ctl.api("checked").await;
    let m = format!("/restapis/{api}/resources/{root}/methods/GET");
    ctl.req(PUT, &m, Some(json!({"authorizationType": "NONE"})), 201).await;
    let bad = |body: Value| {
        let c = ctl.c.clone();
        let url = s.url(&format!("{m}/integration"));
        async move {
            let res = c.put(url).json(&body).send().await.unwrap();
            (res.status().as_u16(), res.text().await.unwrap())
        }
    };
    let (status, text) = bad(json!({"type": "MOCK", "requestTemplates": {"application/json": "{\n  #if($x)\n  \"a\": 1\n}"}})).await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("requestTemplates['application/json'] is not a valid mapping template: line "), "{text}");
    let (status, text) = bad(json!({"type": "HTTP", "httpMethod": "GET", "uri": "http://b/x",
        "requestParameters": {"integration.request.header.X": "method.request.header.Undeclared"}}))
    .await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("Invalid mapping expression parameter specified: method.request.header.Undeclared"), "{text}");
    let (status, text) = bad(
        json!({"type": "HTTP", "httpMethod": "GET", "uri": "http://b/x", "requestParameters": {"integration.request.cookie.X": "'a'"}}),
    )
    .await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("Invalid mapping expression specified: integration.request.cookie.X"), "{text}");
    // Nothing was stored by the refused calls.
    let c = ctl.c.get(s.url(&format!("{m}/integration"))).send().await.unwrap();
    assert_eq!(c.status(), 404);

    // A response template is checked too (PutIntegrationResponse).
    ctl.req(PUT, &format!("{m}/integration"), Some(json!({"type": "MOCK"})), 201).await;
    ctl.req(PUT, &format!("{m}/responses/200"), Some(json!({})), 201).await;
    let res = ctl
        .c
        .put(s.url(&format!("{m}/integration/responses/200")))
        .json(&json!({"responseTemplates": {"application/json": "#foreach($a in $b)"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let text = res.text().await.unwrap();
    assert!(text.contains("responseTemplates['application/json'] is not a valid mapping template"), "{text}");
}

#[tokio::test]
async fn request_validators_refuse_as_aws_does_and_the_backend_never_sees_it() {
    let s = TestServer::start().await;
    let echo = Echo::start().await;
    let ctl = Ctl::new(&s).await;
    let (api, root) = ctl.api("validated").await;
    let owner = json!({"$schema": "http://json-schema.org/draft-04/schema#", "type": "object", "required": ["id"],
                       "properties": {"id": {"type": "integer"}}});
    ctl.req(
        Method::POST,
        &format!("/restapis/{api}/models"),
        Some(json!({"name": "Owner", "contentType": "application/json", "schema": owner.to_string()})),
        201,
    )
    .await;
    let pet = json!({"$schema": "http://json-schema.org/draft-04/schema#", "type": "object", "required": ["name"],
        "properties": {"name": {"type": "string", "minLength": 1},
                       "owner": {"$ref": format!("https://apigateway.amazonaws.com/restapis/{api}/models/Owner")}}});
    ctl.req(
        Method::POST,
        &format!("/restapis/{api}/models"),
        Some(json!({"name": "Pet", "contentType": "application/json", "schema": pet.to_string()})),
        201,
    )
    .await;
    let v = ctl
        .req(
            Method::POST,
            &format!("/restapis/{api}/requestvalidators"),
            Some(json!({"name": "all", "validateRequestBody": true, "validateRequestParameters": true})),
            201,
        )
        .await;
    let pets = ctl.resource(&api, &root, "pets").await;
    let m = format!("/restapis/{api}/resources/{pets}/methods/POST");
    ctl.req(
        PUT,
        &m,
        Some(json!({"authorizationType": "NONE", "requestValidatorId": v["id"],
        "requestParameters": {"method.request.header.X-Tenant": true, "method.request.querystring.dry": false},
        "requestModels": {"application/json": "Pet"}})),
        201,
    )
    .await;
    ctl.req(PUT, &format!("{m}/integration"), Some(Ctl::proxy(&format!("http://{}/pets", echo.host()), "POST")), 201).await;
    ctl.deploy(&api, "dev").await;

    let http = reqwest::Client::new();
    let url = ctl.invoke(&api, "dev", "/pets");
    let call = |tenant: Option<&'static str>, body: &'static str| {
        let (http, url) = (http.clone(), url.clone());
        async move {
            let mut r = http.post(url).header("content-type", "application/json").body(body);
            if let Some(t) = tenant {
                r = r.header("x-tenant", t);
            }
            let res = r.send().await.unwrap();
            let status = res.status().as_u16();
            let kind = res.headers().get("x-amzn-errortype").map(|v| v.to_str().unwrap().to_string());
            (status, kind, res.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let (status, kind, body) = call(None, r#"{"name": "rex"}"#).await;
    assert_eq!((status, kind.as_deref()), (400, Some("BadRequestException")));
    assert_eq!(body, json!({"message": "Missing required request parameters: [X-Tenant]"}));
    let (status, _, body) = call(Some("t"), r#"{"name": ""}"#).await;
    assert_eq!((status, body), (400, json!({"message": "Invalid request body"})));
    assert_eq!(call(Some("t"), r#"{"name": "rex", "owner": {"id": "x"}}"#).await.0, 400, "the $ref'd model is checked too");
    assert_eq!(call(Some("t"), "not json").await.0, 400);
    assert_eq!(echo.hits(), 0, "refused requests never reach the backend");
    let (status, _, body) = call(Some("t"), r#"{"name": "rex", "owner": {"id": 3}}"#).await;
    assert_eq!(status, 200);
    assert_eq!(body["path"], "/pets");

    // The Test button runs the same checks and logs the detail.
    let out = ctl.req(Method::POST, &m, Some(json!({"body": "{\"owner\": {\"id\": 1}}", "headers": {"X-Tenant": "t"}})), 200).await;
    assert_eq!(out["status"], 400);
    let log = out["log"].as_str().unwrap();
    assert!(log.contains("Request body does not match model schema for content type application/json"), "{log}");
    assert!(log.contains("Request validation failed"), "{log}");
    assert_eq!(echo.hits(), 1);

    // The refusals are counted by reason.
    let mut found = Value::Null;
    for _ in 0..50 {
        let stage = ctl.req(Method::GET, &format!("/restapis/{api}/stages/dev/metrics?range=15m"), None, 200).await;
        if stage["reasons"].as_array().is_some_and(|r| r.len() >= 2) {
            found = stage["reasons"].clone();
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let codes: Vec<&str> = found.as_array().map(|r| r.iter().filter_map(|x| x["reason"].as_str()).collect()).unwrap_or_default();
    assert!(codes.contains(&"BAD_REQUEST_PARAMETERS") && codes.contains(&"BAD_REQUEST_BODY"), "{found}");
}

#[tokio::test]
async fn gateway_responses_reshape_the_gateways_own_answers() {
    let s = TestServer::start().await;
    let ctl = Ctl::new(&s).await;
    let (api, root) = ctl.api("responses").await;
    let pets = ctl.resource(&api, &root, "pets").await;
    let m = format!("/restapis/{api}/resources/{pets}/methods/GET");
    ctl.req(PUT, &m, Some(json!({"authorizationType": "NONE", "apiKeyRequired": true})), 201).await;
    ctl.req(PUT, &format!("{m}/integration"), Some(json!({"type": "MOCK"})), 201).await;
    let gr = |t: &str| format!("/restapis/{api}/gatewayresponses/{t}");
    // A type of its own: status, headers from the request and stage, a template.
    ctl.req(
        PUT,
        &gr("INVALID_API_KEY"),
        Some(json!({"statusCode": "401",
            "responseParameters": {"gatewayresponse.header.X-Origin": "method.request.header.Origin",
                                   "gatewayresponse.header.X-Env": "stageVariables.env",
                                   "gatewayresponse.header.Access-Control-Allow-Origin": "'*'"},
            "responseTemplates": {"application/json": "{\"error\": $context.error.messageString, \"type\": \"$context.error.responseType\", \"stage\": \"$context.stage\"}"}})),
        201,
    )
    .await;
    // The 4XX default: its headers and body, but never its status, for other types.
    ctl.req(
        PUT,
        &gr("DEFAULT_4XX"),
        Some(json!({"statusCode": "499", "responseParameters": {"gatewayresponse.header.Access-Control-Allow-Origin": "'https://app'"},
            "responseTemplates": {"application/json": "{\"oops\": \"$context.error.message\"}"}})),
        201,
    )
    .await;
    // A bad mapping is refused when saved.
    let res = ctl
        .c
        .put(s.url(&gr("THROTTLED")))
        .json(&json!({"responseParameters": {"gatewayresponse.header.X": "integration.response.body"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    ctl.req(Method::POST, &format!("/restapis/{api}/deployments"), Some(json!({"stageName": "dev", "variables": {"env": "test"}})), 201)
        .await;

    let http = reqwest::Client::new();
    let res = http.get(ctl.invoke(&api, "dev", "/pets")).header("origin", "https://site").send().await.unwrap();
    assert_eq!(res.status(), 401, "INVALID_API_KEY's own status");
    assert_eq!(res.headers()["x-origin"], "https://site");
    assert_eq!(res.headers()["x-env"], "test");
    assert_eq!(res.headers()["access-control-allow-origin"], "*");
    assert_eq!(res.headers()["x-amzn-errortype"], "ForbiddenException");
    assert!(res.headers().contains_key("x-amzn-requestid"));
    assert_eq!(res.json::<Value>().await.unwrap(), json!({"error": "Forbidden", "type": "INVALID_API_KEY", "stage": "dev"}));

    let res = http.get(ctl.invoke(&api, "dev", "/nothing-here")).send().await.unwrap();
    assert_eq!(res.status(), 403, "DEFAULT_4XX's status does not replace MISSING_AUTHENTICATION_TOKEN's");
    assert_eq!(res.headers()["access-control-allow-origin"], "https://app");
    assert_eq!(res.json::<Value>().await.unwrap(), json!({"oops": "Missing Authentication Token"}));

    // Before the next deployment, the stage keeps what it captured.
    ctl.req(Method::DELETE, &gr("DEFAULT_4XX"), None, 202).await;
    let res = http.get(ctl.invoke(&api, "dev", "/nothing-here")).send().await.unwrap();
    assert_eq!(res.headers()["access-control-allow-origin"], "https://app");
    ctl.deploy(&api, "dev").await;
    let res = http.get(ctl.invoke(&api, "dev", "/nothing-here")).send().await.unwrap();
    assert!(!res.headers().contains_key("access-control-allow-origin"));
    assert_eq!(res.json::<Value>().await.unwrap(), json!({"message": "Missing Authentication Token"}));
}

/// The console's method form shows no templates or mappings: saving it
/// keeps what the CLI set (templates, parameter mappings, passthrough, a
/// MOCK's template and its other responses), and a bad mock body template
/// is refused before anything is written.
#[tokio::test]
async fn the_console_form_keeps_what_it_does_not_show() {
    let s = TestServer::start().await;
    let echo = Echo::start().await;
    let ctl = Ctl::new(&s).await;
    let (api, root) = ctl.api("kept").await;
    let save = |verb: &'static str, rid: String, settings: Value| {
        let (c, url, api) = (ctl.c.clone(), s.url("/api/method_save"), api.clone());
        async move {
            let res = c.post(url).json(&json!({"api": api, "resource": rid, "verb": verb, "settings": settings})).send().await.unwrap();
            (res.status().as_u16(), res.text().await.unwrap())
        }
    };
    // HTTP, with a template, a mapping and NEVER, set through the control API.
    let m = method_with(
        &ctl,
        &api,
        &root,
        "POST",
        json!({"method.request.header.X-A": false}),
        json!({"type": "HTTP", "httpMethod": "POST", "uri": format!("http://{}/a", echo.host()),
               "requestTemplates": {"application/json": "{\"t\": 1}"},
               "requestParameters": {"integration.request.header.X-B": "method.request.header.X-A"},
               "passthroughBehavior": "NEVER"}),
    )
    .await;
    let http = json!({"api_key_required": false, "integration_type": "HTTP", "uri": format!("http://{}/b", echo.host()),
        "integration_method": "POST", "timeout_ms": 29000, "mock_status": "200", "mock_headers": [], "mock_body": "",
        "http_responses": [["", "200"]]});
    let (st, text) = save("POST", root.clone(), http).await;
    assert_eq!(st, 200, "{text}");
    let i = ctl.req(Method::GET, &format!("{m}/integration"), None, 200).await;
    assert!(i["uri"].as_str().unwrap().ends_with("/b"));
    assert_eq!(i["requestTemplates"], json!({"application/json": "{\"t\": 1}"}));
    assert_eq!(i["requestParameters"], json!({"integration.request.header.X-B": "method.request.header.X-A"}));
    assert_eq!(i["passthroughBehavior"], "NEVER");

    // MOCK with its own template and a 404 it selects.
    let pets = ctl.resource(&api, &root, "pets").await;
    let pm = method_with(
        &ctl,
        &api,
        &pets,
        "GET",
        json!({}),
        json!({"type": "MOCK", "requestTemplates": {"application/json": "#if($input.params('id'))404#end{\"statusCode\": 200}"}}),
    )
    .await;
    response(&ctl, &pm, 200, "", json!({}), json!({"application/json": "{}"})).await;
    response(&ctl, &pm, 404, "404", json!({}), json!({"application/json": "{\"gone\": true}"})).await;
    let mock = |body: &str| {
        json!({"api_key_required": false, "integration_type": "MOCK", "uri": "", "integration_method": "GET",
        "timeout_ms": 29000, "mock_status": "200", "mock_headers": [["X-Kind", "pet"]], "mock_body": body})
    };
    let (st, text) = save("GET", pets.clone(), mock("{\"pets\": []}")).await;
    assert_eq!(st, 200, "{text}");
    let i = ctl.req(Method::GET, &format!("{pm}/integration"), None, 200).await;
    assert!(i["requestTemplates"]["application/json"].as_str().unwrap().starts_with("#if"), "{i}");
    assert_eq!(i["integrationResponses"]["404"]["responseTemplates"], json!({"application/json": "{\"gone\": true}"}), "{i}");
    assert_eq!(i["integrationResponses"]["200"]["responseTemplates"], json!({"application/json": "{\"pets\": []}"}));

    // A mock body that is not a valid template: refused, nothing written.
    let (st, text) = save("GET", pets.clone(), mock("#if($x)")).await;
    assert_eq!(st, 400, "{text}");
    assert!(text.contains("is not a valid mapping template"), "{text}");
    assert_eq!(ctl.req(Method::GET, &format!("{pm}/integration"), None, 200).await, i);
}

/// The console's "Try it": the text as typed, rendered with the gateway's
/// evaluator against a sample request, or the place of a syntax error.
#[tokio::test]
async fn try_it_renders_the_text_as_typed() {
    let s = TestServer::start().await;
    let ctl = Ctl::new(&s).await;
    let (api, root) = ctl.api("tried").await;
    let pets = ctl.resource(&api, &root, "pets").await;
    let pet = ctl.resource(&api, &pets, "{id}").await;
    let try_it = |template: &str, body: &str, path: Option<&str>| {
        let (c, url) = (ctl.c.clone(), s.url("/api/template_try"));
        let input = json!({"api": api, "resource": pet, "input": {"template": template, "body": body,
            "pathWithQueryString": path, "headers": {"X-Who": "ann"}, "stageVariables": {"env": "dev"}}});
        async move {
            let res = c.post(url).json(&input).send().await.unwrap();
            (res.status().as_u16(), res.json::<Value>().await.unwrap())
        }
    };
    let (st, out) = try_it(
        "#set($context.responseOverride.status = 201){\"id\": \"$input.params('id')\", \"name\": \"$input.path('$.name')\", \"who\": \"$input.params('X-Who')\", \"env\": \"$stageVariables.env\", \"q\": \"$input.params('q')\"}",
        "{\"name\": \"rex\"}",
        Some("/pets/7?q=a%20b"),
    )
    .await;
    assert_eq!(st, 200, "{out}");
    assert_eq!(out["output"], "{\"id\": \"7\", \"name\": \"rex\", \"who\": \"ann\", \"env\": \"dev\", \"q\": \"a b\"}");
    assert_eq!(out["statusOverride"], 201);
    let (_, out) = try_it("{\n  #foreach($x in $input.path('$'))\n}", "[]", None).await;
    assert_eq!(out["parseError"]["line"], 2, "{out}");
    assert_eq!(out["parseError"]["column"], 3, "{out}");
    assert!(out["output"].is_null());
    let (_, out) = try_it("$input.json('$.a')", "not json", None).await;
    assert!(out["renderError"].as_str().unwrap().contains("JSON"), "{out}");
    let (st, out) = try_it("x", "", Some("/cats/1")).await;
    assert_eq!(st, 400, "a sample path that does not fit the resource: {out}");
}
