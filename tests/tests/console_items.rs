//! The console's editors for models, request validators, gateway responses
//! and a method's request (validator, model, parameters, mappings): each
//! bad form is refused with the field it is about and changes nothing; what
//! is saved is what the control API shows, and the gateway enforces it once
//! deployed.

use apigw_tests::echo::Echo;
use apigw_tests::gw::Ctl;
use apigw_tests::TestServer;
use reqwest::Method;
use serde_json::{json, Value};

async fn console_fn(ctl: &Ctl<'_>, endpoint: &str, body: Value) -> (u16, Value) {
    let res = ctl.c.post(ctl.s.url(&format!("/api/{endpoint}"))).json(&body).send().await.unwrap();
    let status = res.status().as_u16();
    (status, serde_json::from_str(&res.text().await.unwrap()).unwrap_or(Value::Null))
}

/// A server function that takes a plain form (its arguments are strings).
async fn console_form(ctl: &Ctl<'_>, endpoint: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let res = ctl.s.call(&ctl.c, endpoint, form).await;
    let status = res.status().as_u16();
    (status, serde_json::from_str(&res.text().await.unwrap()).unwrap_or(Value::Null))
}

fn field(e: &Value) -> &str {
    e["Invalid"]["field"].as_str().or(e["Constraint"]["field"].as_str()).unwrap_or("")
}

#[tokio::test]
async fn models_and_validators_from_the_console_are_the_control_apis() {
    let s = TestServer::start().await;
    let ctl = Ctl::new(&s).await;
    let (api, _root) = ctl.api("shop").await;
    let model =
        |name: &str, schema: &str| json!({"name": name, "description": "a pet", "content_type": "application/json", "schema": schema});

    for (form, want) in [
        (model("pet-store", "{}"), "name"),
        (model("Pet", "[1]"), "schema"),
        (model("Pet", "{"), "schema"),
        (json!({"name": "Pet", "description": "", "content_type": "", "schema": "{}"}), "contentType"),
    ] {
        let (st, e) = console_fn(&ctl, "model_save", json!({"api": api, "original": "", "form": form})).await;
        assert_eq!((st, field(&e)), (400, want), "{e}");
    }
    let models = ctl.req(Method::GET, &format!("/restapis/{api}/models"), None, 200).await;
    assert_eq!(models["item"].as_array().map(Vec::len), Some(2), "only AWS's Empty and Error: {models}");

    let schema = r#"{"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}"#;
    let (st, m) = console_fn(&ctl, "model_save", json!({"api": api, "original": "", "form": model("Pet", schema)})).await;
    assert_eq!(st, 200, "{m}");
    let (st, e) = console_fn(&ctl, "model_save", json!({"api": api, "original": "", "form": model("Pet", schema)})).await;
    assert_eq!(st, 409, "a second model of one name: {e}");
    let got = ctl.req(Method::GET, &format!("/restapis/{api}/models/Pet"), None, 200).await;
    assert_eq!(got["schema"], schema);
    assert_eq!(got["description"], "a pet");
    // Editing keeps the name and content type; description and schema change.
    let edited = json!({"name": "ignored", "description": "", "content_type": "text/plain", "schema": "{\"type\": \"object\"}"});
    let (st, m) = console_fn(&ctl, "model_save", json!({"api": api, "original": "Pet", "form": edited})).await;
    assert_eq!(st, 200, "{m}");
    let got = ctl.req(Method::GET, &format!("/restapis/{api}/models/Pet"), None, 200).await;
    assert_eq!((got["name"].as_str(), got["contentType"].as_str()), (Some("Pet"), Some("application/json")));
    assert_eq!(got["schema"], "{\"type\": \"object\"}");
    assert!(got.get("description").is_none_or(Value::is_null), "an emptied description is removed: {got}");

    let (st, v) = console_fn(
        &ctl,
        "validator_save",
        json!({"api": api, "id": "", "form": {"name": "body only", "validate_request_body": true, "validate_request_parameters": false}}),
    )
    .await;
    assert_eq!(st, 200, "{v}");
    let vid = v["id"].as_str().unwrap().to_string();
    let (st, v) = console_fn(
        &ctl,
        "validator_save",
        json!({"api": api, "id": vid, "form": {"name": "both", "validate_request_body": true, "validate_request_parameters": true}}),
    )
    .await;
    assert_eq!(st, 200, "{v}");
    let got = ctl.req(Method::GET, &format!("/restapis/{api}/requestvalidators/{vid}"), None, 200).await;
    assert_eq!((got["name"].as_str(), got["validateRequestParameters"].as_bool()), (Some("both"), Some(true)));
    let (st, e) = console_fn(
        &ctl,
        "validator_save",
        json!({"api": api, "id": "nope", "form": {"name": "x", "validate_request_body": true, "validate_request_parameters": true}}),
    )
    .await;
    assert_eq!(st, 404, "{e}");

    // The page's one read: the API, its models, validators and every gateway response type.
    let (st, items) = console_form(&ctl, "api_items", &[("api", &api)]).await;
    assert_eq!(st, 200, "{items}");
    assert_eq!(items["models"].as_array().map(Vec::len), Some(3));
    assert_eq!(items["validators"][0]["id"], vid.as_str());
    assert_eq!(items["gateway_responses"].as_array().map(Vec::len), Some(21), "every type AWS defines");

    let (st, _) = console_form(&ctl, "model_delete", &[("api", &api), ("name", "Pet")]).await;
    assert_eq!(st, 200);
    let (st, _) = console_form(&ctl, "validator_delete", &[("api", &api), ("id", &vid)]).await;
    assert_eq!(st, 200);
    ctl.req(Method::GET, &format!("/restapis/{api}/models/Pet"), None, 404).await;
}

#[tokio::test]
async fn a_method_request_saved_in_the_console_is_enforced_on_the_gateway() {
    let s = TestServer::start().await;
    let echo = Echo::start().await;
    let ctl = Ctl::new(&s).await;
    let (api, root) = ctl.api("validated").await;
    let rid = ctl.resource(&api, &root, "pets").await;
    let (st, _) = console_form(&ctl, "method_create", &[("api", &api), ("resource", &rid), ("verb", "POST")]).await;
    assert_eq!(st, 200);
    let schema = r#"{"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}"#;
    let (st, _) = console_fn(
        &ctl,
        "model_save",
        json!({"api": api, "original": "", "form": {"name": "Pet", "description": "", "content_type": "application/json", "schema": schema}}),
    )
    .await;
    assert_eq!(st, 200);
    let (_, v) = console_fn(
        &ctl,
        "validator_save",
        json!({"api": api, "id": "", "form": {"name": "all", "validate_request_body": true, "validate_request_parameters": true}}),
    )
    .await;
    let vid = v["id"].as_str().unwrap().to_string();

    let good = json!({
        "api_key_required": false, "integration_type": "HTTP_PROXY", "uri": format!("http://{}/pets", echo.host()),
        "integration_method": "POST", "timeout_ms": 29000, "mock_status": "200", "mock_headers": [], "mock_body": "",
        "request_validator": vid, "request_model": "Pet",
        "request_parameters": [["method.request.querystring.owner", true], ["method.request.header.X-Trace", false]],
        "parameter_mappings": [["integration.request.header.X-Owner", "method.request.querystring.owner"],
                               ["integration.request.header.X-Fixed", "'yes'"]],
    });
    let path = format!("/restapis/{api}/resources/{rid}/methods/POST");
    let before = ctl.req(Method::GET, &path, None, 200).await;
    for (key, value, want) in [
        ("request_validator", json!("nope"), "requestValidatorId"),
        ("request_model", json!("Cat"), "requestModels"),
        ("request_parameters", json!([["method.request.body.x", true]]), "requestParameters"),
        ("request_parameters", json!([["method.request.header.A", true], ["method.request.header.A", false]]), "requestParameters"),
        ("parameter_mappings", json!([["integration.request.header.X", "method.request.querystring.undeclared"]]), "parameterMappings"),
        ("parameter_mappings", json!([["integration.request.nowhere.X", "'v'"]]), "parameterMappings"),
        ("parameter_mappings", json!([["integration.request.header.X", ""]]), "parameterMappings"),
    ] {
        let mut bad = good.clone();
        bad[key] = value;
        let (st, e) = console_fn(&ctl, "method_save", json!({"api": api, "resource": rid, "verb": "POST", "settings": bad})).await;
        assert_eq!((st, field(&e)), (400, want), "{key}: {e}");
    }
    assert_eq!(ctl.req(Method::GET, &path, None, 200).await, before, "refused forms changed nothing");

    let (st, m) = console_fn(&ctl, "method_save", json!({"api": api, "resource": rid, "verb": "POST", "settings": good})).await;
    assert_eq!(st, 200, "{m}");
    let m = ctl.req(Method::GET, &path, None, 200).await;
    assert_eq!(m["requestValidatorId"], vid.as_str());
    assert_eq!(m["requestModels"]["application/json"], "Pet");
    assert_eq!(m["requestParameters"], json!({"method.request.querystring.owner": true, "method.request.header.X-Trace": false}));
    assert_eq!(m["methodIntegration"]["requestParameters"]["integration.request.header.X-Owner"], "method.request.querystring.owner");
    // A model or validator in use cannot be deleted; the console says why.
    let (st, e) = console_form(&ctl, "model_delete", &[("api", &api), ("name", "Pet")]).await;
    assert_eq!(st, 409, "{e}");
    let (st, e) = console_form(&ctl, "validator_delete", &[("api", &api), ("id", &vid)]).await;
    assert_eq!(st, 409, "{e}");

    ctl.deploy(&api, "dev").await;
    let http = reqwest::Client::new();
    let url = ctl.invoke(&api, "dev", "/pets");
    let res = http.post(&url).header("content-type", "application/json").body(r#"{"name": "rex"}"#).send().await.unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(res.text().await.unwrap(), r#"{"message":"Missing required request parameters: [owner]"}"#);
    let res = http.post(format!("{url}?owner=ann")).header("content-type", "application/json").body(r#"{"age": 3}"#).send().await.unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(res.text().await.unwrap(), r#"{"message":"Invalid request body"}"#);
    assert_eq!(echo.hits(), 0, "refused requests never reach the backend");
    // The access log says which parameter was missing and which rule the body broke.
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let mut conn = {
        use sqlx::ConnectOptions;
        sqlx::sqlite::SqliteConnectOptions::new().filename(&s.db).read_only(true).connect().await.unwrap()
    };
    let logged: Vec<(Option<String>, Option<String>)> =
        sqlx::query_as("SELECT reason, detail FROM access_log ORDER BY reason").fetch_all(&mut conn).await.unwrap();
    assert_eq!(logged.len(), 2, "{logged:?}");
    assert_eq!(logged[1], (Some("BAD_REQUEST_PARAMETERS".into()), Some("Missing required request parameters: [owner]".into())));
    assert_eq!(logged[0].0.as_deref(), Some("BAD_REQUEST_BODY"));
    assert!(logged[0].1.as_deref().is_some_and(|d| d.contains("name")), "the rule, naming the property: {logged:?}");
    let res =
        http.post(format!("{url}?owner=ann")).header("content-type", "application/json").body(r#"{"name": "rex"}"#).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let seen: Value = res.json().await.unwrap();
    assert_eq!(seen["headers"]["x-owner"], "ann", "{seen}");
    assert_eq!(seen["headers"]["x-fixed"], "yes", "{seen}");

    // Clearing the method request in the form clears it on the method.
    let mut cleared = good.clone();
    cleared["request_validator"] = json!("");
    cleared["request_model"] = json!("");
    cleared["request_parameters"] = json!([]);
    cleared["parameter_mappings"] = json!([]);
    let (st, e) = console_fn(&ctl, "method_save", json!({"api": api, "resource": rid, "verb": "POST", "settings": cleared})).await;
    assert_eq!(st, 200, "{e}");
    let m = ctl.req(Method::GET, &path, None, 200).await;
    assert!(m.get("requestValidatorId").is_none_or(Value::is_null), "{m}");
    assert!(m["requestModels"].as_object().is_none_or(|o| o.is_empty()), "{m}");
    assert!(m["methodIntegration"]["requestParameters"].as_object().is_none_or(|o| o.is_empty()), "{m}");
}

#[tokio::test]
async fn gateway_responses_from_the_console_answer_on_the_gateway() {
    let s = TestServer::start().await;
    let ctl = Ctl::new(&s).await;
    let (api, root) = ctl.api("answers").await;
    ctl.mock(&api, &root, "GET", 200, "{}").await;
    let form = |status: &str, headers: Value, template: &str| json!({"status_code": status, "headers": headers, "template": template});
    let save = |t: &str, f: Value| {
        let body = json!({"api": api, "response_type": t, "form": f});
        let ctl = &ctl;
        async move { console_fn(ctl, "gateway_response_save", body).await }
    };
    for (f, want) in [
        (form("99", json!([]), ""), "statusCode"),
        (form("", json!([["X-Bad", "method.request.body"]]), ""), "responseParameters"),
        (form("", json!([["", "'v'"]]), ""), "headers"),
        (form("", json!([["X-A", "'1'"], ["X-A", "'2'"]]), ""), "headers"),
    ] {
        let (st, e) = save("MISSING_AUTHENTICATION_TOKEN", f).await;
        assert_eq!((st, field(&e)), (400, want), "{e}");
    }
    let (st, e) = save("NOT_A_TYPE", form("", json!([]), "")).await;
    assert_eq!(st, 400, "{e}");
    let path = format!("/restapis/{api}/gatewayresponses/MISSING_AUTHENTICATION_TOKEN");
    assert_eq!(ctl.req(Method::GET, &path, None, 200).await["defaultResponse"], true, "refused forms changed nothing");

    let (st, r) = save(
        "MISSING_AUTHENTICATION_TOKEN",
        form("404", json!([["X-Request", "context.requestId"], ["X-Why", "'no route'"]]), "{\"error\": \"$context.error.responseType\"}"),
    )
    .await;
    assert_eq!(st, 200, "{r}");
    let got = ctl.req(Method::GET, &path, None, 200).await;
    assert_eq!(got["statusCode"], "404");
    assert_eq!(got["responseParameters"]["gatewayresponse.header.X-Why"], "'no route'");
    assert_eq!(got["defaultResponse"], false);

    ctl.deploy(&api, "dev").await;
    let res = reqwest::get(ctl.invoke(&api, "dev", "/nowhere")).await.unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(res.headers()["x-why"], "no route");
    assert!(!res.headers()["x-request"].is_empty());
    assert_eq!(res.text().await.unwrap(), r#"{"error": "MISSING_AUTHENTICATION_TOKEN"}"#);

    let (st, _) = console_form(&ctl, "gateway_response_reset", &[("api", &api), ("response_type", "MISSING_AUTHENTICATION_TOKEN")]).await;
    assert_eq!(st, 200);
    let (st, _) = console_form(&ctl, "gateway_response_reset", &[("api", &api), ("response_type", "MISSING_AUTHENTICATION_TOKEN")]).await;
    assert_eq!(st, 200, "resetting a default is not an error");
    assert_eq!(ctl.req(Method::GET, &path, None, 200).await["defaultResponse"], true);
}
