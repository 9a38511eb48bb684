//! RestApi attributes beyond name and description (endpoint type, binary
//! media types, API key source, …) and tags on APIs, stages, keys and plans,
//! through the control API against the real server.

use apigw_tests::control::Api;
use apigw_tests::TestServer;
use reqwest::Method;
use serde_json::{json, Value};

#[tokio::test]
async fn rest_api_attributes_are_kept_and_checked() {
    let s = TestServer::start().await;
    let a = Api::new(&s).await;
    // AWS's defaults.
    let plain = a.ok(Method::POST, "/restapis", Some(json!({ "name": "plain" })), 201).await;
    assert_eq!(plain["endpointConfiguration"], json!({ "types": ["EDGE"] }));
    assert_eq!((plain["apiKeySource"].as_str(), plain["disableExecuteApiEndpoint"].as_bool()), (Some("HEADER"), Some(false)));
    assert!(plain.get("binaryMediaTypes").is_none() && plain.get("tags").is_none(), "{plain}");

    let body = json!({
        "name": "media", "version": "v1", "binaryMediaTypes": ["image/png", "application/octet-stream"],
        "minimumCompressionSize": 1024, "apiKeySource": "AUTHORIZER", "endpointConfiguration": { "types": ["REGIONAL"] },
        "policy": "{\"Version\":\"2012-10-17\",\"Statement\":[]}", "tags": { "team": "pets" },
    });
    let api = a.ok(Method::POST, "/restapis", Some(body), 201).await;
    let id = api["id"].as_str().unwrap();
    let got = a.ok(Method::GET, &format!("/restapis/{id}"), None, 200).await;
    assert_eq!(got, api, "what CreateRestApi answered is what GetRestApi reads");
    assert_eq!(got["binaryMediaTypes"], json!(["image/png", "application/octet-stream"]));
    assert_eq!((got["version"].as_str(), got["minimumCompressionSize"].as_i64()), (Some("v1"), Some(1024)));
    assert_eq!(got["tags"], json!({ "team": "pets" }));
    // The policy reads back as AWS returns it: its quotes escaped (Terraform unquotes this form).
    assert_eq!(got["policy"], r#"{\"Statement\":[],\"Version\":\"2012-10-17\"}"#);

    let ops = json!([
        { "op": "add", "path": "/binaryMediaTypes/image~1jpeg" },
        { "op": "remove", "path": "/binaryMediaTypes/image~1png" },
        { "op": "replace", "path": "/endpointConfiguration/types/REGIONAL", "value": "EDGE" },
        { "op": "replace", "path": "/minimumCompressionSize", "value": "0" },
        { "op": "replace", "path": "/apiKeySource", "value": "HEADER" },
    ]);
    let (status, _, v) = a.patch(&format!("/restapis/{id}"), ops).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["binaryMediaTypes"], json!(["application/octet-stream", "image/jpeg"]));
    assert_eq!((v["endpointConfiguration"]["types"][0].as_str(), v["minimumCompressionSize"].as_i64()), (Some("EDGE"), Some(0)));

    // Every bad value is refused, naming the field, and creates or changes nothing.
    // Values outside a fixed set are AWS's ValidationException; other rules its BadRequestException.
    for (bad, field, kind) in [
        (json!({ "name": "x", "endpointConfiguration": { "types": ["MOON"] } }), "endpointConfiguration.types", "ValidationException"),
        (
            json!({ "name": "x", "endpointConfiguration": { "types": ["EDGE", "REGIONAL"] } }),
            "endpointConfiguration.types",
            "BadRequestException",
        ),
        (json!({ "name": "x", "apiKeySource": "COOKIE" }), "apiKeySource", "ValidationException"),
        (json!({ "name": "x", "minimumCompressionSize": 10_485_761 }), "minimumCompressionSize", "BadRequestException"),
        (json!({ "name": "x", "binaryMediaTypes": ["png"] }), "binaryMediaTypes", "BadRequestException"),
        (json!({ "name": "x", "policy": "{not json" }), "policy", "BadRequestException"),
        (json!({ "name": "x", "tags": { "aws:reserved": "v" } }), "aws:", "BadRequestException"),
        (json!({ "name": "x", "cloneFrom": "abc" }), "cloneFrom", "BadRequestException"),
    ] {
        let msg = a.err(Method::POST, "/restapis", Some(bad), (400, kind), "").await;
        assert!(msg.contains(field), "{msg:?} should name {field:?}");
    }
    let list = a.ok(Method::GET, "/restapis", None, 200).await;
    assert_eq!(list["item"].as_array().unwrap().len(), 2);
    let before = a.ok(Method::GET, &format!("/restapis/{id}"), None, 200).await;
    for (op, want) in [
        (json!({ "op": "replace", "path": "/apiKeySource", "value": "NOPE" }), "ValidationException"),
        (json!({ "op": "add", "path": "/apiKeySource", "value": "HEADER" }), "BadRequestException"),
        (json!({ "op": "replace", "path": "/minimumCompressionSize", "value": "-1" }), "BadRequestException"),
        (json!({ "op": "replace", "path": "/nosuch", "value": "x" }), "BadRequestException"),
        (json!({ "op": "unknown_op", "path": "/name", "value": "x" }), "ValidationException"),
    ] {
        let (status, kind, v) = a.patch(&format!("/restapis/{id}"), json!([op])).await;
        assert_eq!((status, kind.as_deref()), (400, Some(want)), "{op}: {v}");
    }
    assert_eq!(a.ok(Method::GET, &format!("/restapis/{id}"), None, 200).await, before);
}

#[tokio::test]
async fn tags_on_apis_stages_keys_and_plans() {
    let s = TestServer::start().await;
    let a = Api::new(&s).await;
    let api = a.ok(Method::POST, "/restapis", Some(json!({ "name": "shop", "tags": { "a": "1" } })), 201).await;
    let (id, root) = (api["id"].as_str().unwrap(), api["rootResourceId"].as_str().unwrap());
    let m = format!("/restapis/{id}/resources/{root}/methods/GET");
    a.ok(Method::PUT, &m, Some(json!({ "authorizationType": "NONE" })), 201).await;
    a.ok(Method::PUT, &format!("{m}/integration"), Some(json!({ "type": "MOCK" })), 201).await;
    a.ok(Method::POST, &format!("/restapis/{id}/deployments"), Some(json!({ "stageName": "prod" })), 201).await;
    let key = a.ok(Method::POST, "/apikeys", Some(json!({ "name": "k", "enabled": true })), 201).await;
    let plan = a.ok(Method::POST, "/usageplans", Some(json!({ "name": "p" })), 201).await;
    // The SDKs percent-encode the ARN into one path segment.
    let enc = |arn: String| format!("/tags/{}", arn.replace(':', "%3A").replace('/', "%2F"));
    let api_arn = enc(format!("arn:aws:apigateway:us-east-1::/restapis/{id}"));
    let stage_arn = enc(format!("arn:aws:apigateway:us-east-1::/restapis/{id}/stages/prod"));
    let key_arn = enc(format!("arn:aws:apigateway:us-east-1::/apikeys/{}", key["id"].as_str().unwrap()));
    let plan_arn = enc(format!("arn:aws:apigateway:us-east-1::/usageplans/{}", plan["id"].as_str().unwrap()));

    assert_eq!(a.ok(Method::GET, &api_arn, None, 200).await, json!({ "tags": { "a": "1" } }));
    for arn in [&api_arn, &stage_arn, &key_arn, &plan_arn] {
        let (status, _, v) = a.call(Method::PUT, arn, Some(json!({ "tags": { "env": "prod", "owner": "me" } }))).await;
        assert_eq!(status, 204, "{arn}: {v}");
        let (status, _, v) = a.call(Method::DELETE, &format!("{arn}?tagKeys=owner&tagKeys=absent"), None).await;
        assert_eq!(status, 204, "{arn}: {v}");
    }
    assert_eq!(a.ok(Method::GET, &api_arn, None, 200).await, json!({ "tags": { "a": "1", "env": "prod" } }));
    assert_eq!(a.ok(Method::GET, &stage_arn, None, 200).await, json!({ "tags": { "env": "prod" } }), "a stage's own tags, not its API's");
    assert_eq!(a.ok(Method::GET, &format!("/restapis/{id}"), None, 200).await["tags"], json!({ "a": "1", "env": "prod" }));

    // Refusals: unknown resources, bad ARNs, AWS's limits; nothing changes.
    a.err(Method::GET, &enc("arn:aws:apigateway:us-east-1::/restapis/nosuchapi".into()), None, (404, "NotFoundException"), "").await;
    a.err(Method::GET, &enc(format!("arn:aws:apigateway:us-east-1::/restapis/{id}/stages/nope")), None, (404, "NotFoundException"), "")
        .await;
    a.err(Method::GET, &enc("arn:aws:s3:::bucket".into()), None, (400, "BadRequestException"), "Invalid ARN…").await;
    let many: serde_json::Map<String, Value> = (0..50).map(|i| (format!("k{i}"), json!("v"))).collect();
    a.err(
        Method::PUT,
        &api_arn,
        Some(json!({ "tags": many })),
        (400, "BadRequestException"),
        "A resource may have at most 50 tags; this would give it 52.",
    )
    .await;
    a.err(
        Method::PUT,
        &api_arn,
        Some(json!({ "tags": { "k": "v".repeat(257) } })),
        (400, "BadRequestException"),
        "Tag values must be at most 256 characters long…",
    )
    .await;
    a.err(Method::DELETE, &api_arn, None, (400, "BadRequestException"), "tagKeys is required…").await;
    assert_eq!(a.ok(Method::GET, &api_arn, None, 200).await, json!({ "tags": { "a": "1", "env": "prod" } }));

    // A deleted stage takes its tags: a new stage of the same name has none.
    let (status, _, _) = a.call(Method::DELETE, &format!("/restapis/{id}/stages/prod"), None).await;
    assert_eq!(status, 202);
    a.ok(Method::POST, &format!("/restapis/{id}/deployments"), Some(json!({ "stageName": "prod" })), 201).await;
    assert_eq!(a.ok(Method::GET, &stage_arn, None, 200).await, json!({ "tags": {} }));
}

#[tokio::test]
async fn methods_declare_request_parameters_and_models() {
    let s = TestServer::start().await;
    let a = Api::new(&s).await;
    let api = a.ok(Method::POST, "/restapis", Some(json!({ "name": "shop" })), 201).await;
    let (id, root) = (api["id"].as_str().unwrap(), api["rootResourceId"].as_str().unwrap());
    let m = format!("/restapis/{id}/resources/{root}/methods/POST");
    let put = json!({
        "authorizationType": "NONE", "operationName": "CreatePet",
        "requestParameters": { "method.request.querystring.q": true, "method.request.header.X-Trace": false },
        "requestModels": { "application/json": "Empty" },
    });
    let got = a.ok(Method::PUT, &m, Some(put), 201).await;
    assert_eq!(got["requestParameters"], json!({ "method.request.header.X-Trace": false, "method.request.querystring.q": true }));
    assert_eq!(got["requestModels"], json!({ "application/json": "Empty" }));
    assert_eq!(a.ok(Method::GET, &m, None, 200).await, got, "GetMethod reads what PutMethod answered");

    let ops = json!([
        { "op": "add", "path": "/requestParameters/method.request.path.id", "value": "true" },
        { "op": "remove", "path": "/requestParameters/method.request.header.X-Trace" },
        { "op": "replace", "path": "/requestParameters/method.request.querystring.q", "value": "false" },
        { "op": "remove", "path": "/requestModels/application~1json" },
    ]);
    let (status, _, v) = a.patch(&m, ops).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["requestParameters"], json!({ "method.request.path.id": true, "method.request.querystring.q": false }));
    assert!(v.get("requestModels").is_none(), "{v}");

    // Refused, naming the rule; nothing changes.
    let before = a.ok(Method::GET, &m, None, 200).await;
    let msg = a
        .err(
            Method::PATCH,
            &m,
            Some(json!({ "patchOperations": [{ "op": "add", "path": "/requestParameters/method.request.body.x", "value": "true" }] })),
            (400, "BadRequestException"),
            "",
        )
        .await;
    assert!(msg.contains("method.request.body.x"), "{msg}");
    a.err(
        Method::PATCH,
        &m,
        Some(json!({ "patchOperations": [{ "op": "add", "path": "/requestModels/application~1json", "value": "Pet" }] })),
        (404, "NotFoundException"),
        "Invalid model name specified: Pet…",
    )
    .await;
    a.err(
        Method::PATCH,
        &m,
        Some(json!({ "patchOperations": [{ "op": "remove", "path": "/requestParameters/method.request.header.Nope" }] })),
        (404, "NotFoundException"),
        "Invalid parameter name specified",
    )
    .await;
    a.err(
        Method::PATCH,
        &m,
        Some(json!({ "patchOperations": [{ "op": "replace", "path": "/nonsense", "value": "x" }] })),
        (400, "BadRequestException"),
        "Invalid patch path /nonsense",
    )
    .await;
    a.err(
        Method::PUT,
        &format!("/restapis/{id}/resources/{root}/methods/GET"),
        Some(json!({ "authorizationType": "NONE", "requestParameters": { "querystring.q": true } })),
        (400, "BadRequestException"),
        "Invalid method request parameter 'querystring.q'…",
    )
    .await;
    a.err(
        Method::PUT,
        &format!("{m}/responses/200"),
        Some(json!({ "responseModels": { "application/json": "Pet" } })),
        (404, "NotFoundException"),
        "Invalid model name specified: Pet…",
    )
    .await;
    assert_eq!(a.ok(Method::GET, &m, None, 200).await, before);
    a.err(
        Method::GET,
        &format!("/restapis/{id}/resources/{root}/methods/GET"),
        None,
        (404, "NotFoundException"),
        "Invalid Method identifier specified",
    )
    .await;
}

#[tokio::test]
async fn stages_read_as_aws_writes_them() {
    let s = TestServer::start().await;
    let a = Api::new(&s).await;
    let api = a.ok(Method::POST, "/restapis", Some(json!({ "name": "shop" })), 201).await;
    let (id, root) = (api["id"].as_str().unwrap(), api["rootResourceId"].as_str().unwrap());
    let m = format!("/restapis/{id}/resources/{root}/methods/GET");
    a.ok(Method::PUT, &m, Some(json!({ "authorizationType": "NONE" })), 201).await;
    a.ok(Method::PUT, &format!("{m}/integration"), Some(json!({ "type": "MOCK" })), 201).await;
    let d = a.ok(Method::POST, &format!("/restapis/{id}/deployments"), None, 201).await;
    let dep = d["id"].as_str().unwrap();

    let st = a
        .ok(
            Method::POST,
            &format!("/restapis/{id}/stages"),
            Some(json!({ "stageName": "prod", "deploymentId": dep, "tags": { "env": "prod" } })),
            201,
        )
        .await;
    assert_eq!(st["tags"], json!({ "env": "prod" }));
    assert_eq!((st["cacheClusterEnabled"].as_bool(), st["cacheClusterStatus"].as_str()), (Some(false), Some("NOT_AVAILABLE")));
    assert!(st.get("variables").is_none(), "AWS leaves out empty variables: {st}");
    assert_eq!(a.ok(Method::GET, &format!("/restapis/{id}/stages/prod"), None, 200).await, st);
    assert_eq!(a.ok(Method::GET, &format!("/restapis/{id}/stages"), None, 200).await["item"][0], st);

    // What apigw cannot do yet is refused by name, not dropped.
    for (field, value) in [
        ("cacheClusterEnabled", json!(true)),
        ("tracingEnabled", json!(true)),
        ("canarySettings", json!({ "percentTraffic": 10 })),
        ("cacheClusterSize", json!("0.5")),
    ] {
        let mut body = json!({ "stageName": "beta", "deploymentId": dep });
        body[field] = value;
        let msg = a.err(Method::POST, &format!("/restapis/{id}/stages"), Some(body), (400, "BadRequestException"), "").await;
        assert!(msg.starts_with(field), "{msg}");
    }
    a.err(Method::GET, &format!("/restapis/{id}/stages/beta"), None, (404, "NotFoundException"), "").await;
}

/// What Terraform's aws_api_gateway_method_settings and aws_api_gateway_stage
/// send: every per-method setting, tracing and caching off, access logs.
#[tokio::test]
async fn stage_settings_as_terraform_sends_them() {
    let s = TestServer::start().await;
    let a = Api::new(&s).await;
    let api = a.ok(Method::POST, "/restapis", Some(json!({ "name": "tf" })), 201).await;
    let (id, root) = (api["id"].as_str().unwrap(), api["rootResourceId"].as_str().unwrap());
    let m = format!("/restapis/{id}/resources/{root}/methods/GET");
    a.ok(Method::PUT, &m, Some(json!({ "authorizationType": "NONE" })), 201).await;
    a.ok(Method::PUT, &format!("{m}/integration"), Some(json!({ "type": "MOCK" })), 201).await;
    a.ok(Method::POST, &format!("/restapis/{id}/deployments"), Some(json!({ "stageName": "prod" })), 201).await;
    let stage = format!("/restapis/{id}/stages/prod");
    let op = |path: &str, value: &str| json!({ "op": "replace", "path": path, "value": value });
    let (status, _, v) = a
        .patch(
            &stage,
            json!([
                op("/*/*/metrics/enabled", "true"),
                op("/*/*/logging/loglevel", "INFO"),
                op("/*/*/logging/dataTrace", "false"),
                op("/*/*/throttling/burstLimit", "50"),
                op("/*/*/throttling/rateLimit", "100"),
                op("/*/*/caching/enabled", "false"),
                op("/*/*/caching/ttlInSeconds", "60"),
                op("/*/*/caching/dataEncrypted", "false"),
                op("/*/*/caching/requireAuthorizationForCacheControl", "true"),
                op("/*/*/caching/unauthorizedCacheControlHeaderStrategy", "FAIL_WITH_403"),
                op("/tracingEnabled", "false"),
                op("/cacheClusterEnabled", "false"),
                op("/accessLogSettings/destinationArn", "arn:aws:logs:us-east-1:123456789012:log-group:api"),
                op("/accessLogSettings/format", "$context.requestId"),
            ]),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        v["methodSettings"]["*/*"],
        json!({ "metricsEnabled": true, "loggingLevel": "INFO", "dataTraceEnabled": false, "throttlingBurstLimit": 50,
                "throttlingRateLimit": 100.0, "cachingEnabled": false, "cacheTtlInSeconds": 60, "cacheDataEncrypted": false,
                "requireAuthorizationForCacheControl": true, "unauthorizedCacheControlHeaderStrategy": "FAIL_WITH_403" })
    );
    assert_eq!(
        v["accessLogSettings"],
        json!({ "format": "$context.requestId", "destinationArn": "arn:aws:logs:us-east-1:123456789012:log-group:api" })
    );
    assert_eq!(a.ok(Method::GET, &stage, None, 200).await, v, "read back as written");
    for bad in [
        op("/*/*/caching/enabled", "true"),
        op("/tracingEnabled", "true"),
        op("/*/*/logging/loglevel", "LOUD"),
        op("/*/*/caching/ttlInSeconds", "3601"),
        op("/documentationVersion", "nosuch"),
        op("/clientCertificateId", "abc"),
    ] {
        let (status, _, e) = a.patch(&stage, json!([bad.clone()])).await;
        assert_eq!(status, 400, "{bad}: {e}");
    }
    assert_eq!(a.ok(Method::GET, &stage, None, 200).await, v, "refused patches change nothing");
    let (status, _, v) = a.patch(&stage, json!([{ "op": "remove", "path": "/accessLogSettings" }])).await;
    assert_eq!((status, v.get("accessLogSettings")), (200, None));
}

/// Integration fields Terraform and the CDK send: kept and returned as AWS
/// does; what the gateway cannot do (VPC links, content handling, skipping
/// TLS verification) refused by name.
#[tokio::test]
async fn integration_fields_beyond_the_backend_call() {
    let s = TestServer::start().await;
    let a = Api::new(&s).await;
    let api = a.ok(Method::POST, "/restapis", Some(json!({ "name": "integ" })), 201).await;
    let (id, root) = (api["id"].as_str().unwrap(), api["rootResourceId"].as_str().unwrap());
    let item = a.resource(id, root, "{id}").await;
    let m = format!("/restapis/{id}/resources/{item}/methods/GET");
    a.ok(Method::PUT, &m, Some(json!({ "authorizationType": "NONE", "requestParameters": { "method.request.path.id": true } })), 201).await;
    let body = json!({
        "type": "HTTP_PROXY", "httpMethod": "GET", "uri": "http://backend.internal/items/{id}",
        "connectionType": "INTERNET", "cacheNamespace": "items", "cacheKeyParameters": ["method.request.path.id"],
        "credentials": "arn:aws:iam::123456789012:role/apigw", "tlsConfig": { "insecureSkipVerification": false },
    });
    let i = a.ok(Method::PUT, &format!("{m}/integration"), Some(body.clone()), 201).await;
    assert_eq!((i["connectionType"].as_str(), i["cacheNamespace"].as_str()), (Some("INTERNET"), Some("items")));
    assert_eq!(i["cacheKeyParameters"], json!(["method.request.path.id"]));
    assert_eq!(i["credentials"], "arn:aws:iam::123456789012:role/apigw");
    assert_eq!(a.ok(Method::GET, &format!("{m}/integration"), None, 200).await, i);
    for (field, value) in [
        ("connectionType", json!("VPC_LINK")),
        ("connectionId", json!("abc123")),
        ("contentHandling", json!("CONVERT_TO_TEXT")),
        ("tlsConfig", json!({ "insecureSkipVerification": true })),
        ("cacheKeyParameters", json!(["nonsense"])),
    ] {
        let mut bad = body.clone();
        bad[field] = value;
        let msg = a.err(Method::PUT, &format!("{m}/integration"), Some(bad), (400, "BadRequestException"), "").await;
        assert!(msg.contains(field), "{field}: {msg}");
    }
    assert_eq!(a.ok(Method::GET, &format!("{m}/integration"), None, 200).await, i, "refused puts change nothing");
    let (status, _, u) = a
        .patch(
            &format!("{m}/integration"),
            json!([
                { "op": "replace", "path": "/cacheNamespace", "value": "other" },
                { "op": "remove", "path": "/cacheKeyParameters/method.request.path.id" },
                { "op": "replace", "path": "/connectionType", "value": "INTERNET" },
            ]),
        )
        .await;
    assert_eq!(status, 200, "{u}");
    assert_eq!((u["cacheNamespace"].as_str(), &u["cacheKeyParameters"]), (Some("other"), &json!([])));
    let (status, _, _) =
        a.patch(&format!("{m}/integration"), json!([{ "op": "replace", "path": "/contentHandling", "value": "CONVERT_TO_BINARY" }])).await;
    assert_eq!(status, 400);
    // A MOCK integration has no connection type, as in AWS.
    let post = format!("/restapis/{id}/resources/{item}/methods/POST");
    a.ok(Method::PUT, &post, Some(json!({ "authorizationType": "NONE" })), 201).await;
    let mock = a.ok(Method::PUT, &format!("{post}/integration"), Some(json!({ "type": "MOCK" })), 201).await;
    assert!(mock.get("connectionType").is_none(), "{mock}");
    assert_eq!(mock["cacheNamespace"], item.as_str(), "AWS's default namespace is the resource id");
}
