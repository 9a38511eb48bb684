//! Helpers to build and deploy APIs through the control API (with a console
//! session) and to call the gateway, for the data-plane tests.

use serde_json::{json, Value};

use crate::TestServer;

/// A signed-in admin client plus the server, with shorthand for control calls.
pub struct Ctl<'a> {
    pub s: &'a TestServer,
    pub c: reqwest::Client,
}

impl<'a> Ctl<'a> {
    pub async fn new(s: &'a TestServer) -> Ctl<'a> {
        Ctl { s, c: s.setup_admin("admin").await }
    }

    /// Sends a control-API request; panics unless the status is `want`.
    pub async fn req(&self, method: reqwest::Method, path: &str, body: Option<Value>, want: u16) -> Value {
        let mut r = self.c.request(method.clone(), self.s.url(path));
        if let Some(b) = body {
            r = r.json(&b);
        }
        let res = r.send().await.expect("control request");
        let status = res.status().as_u16();
        let text = res.text().await.unwrap_or_default();
        assert_eq!(status, want, "{method} {path}: {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    pub async fn api(&self, name: &str) -> (String, String) {
        let api = self.req(reqwest::Method::POST, "/restapis", Some(json!({"name": name})), 201).await;
        (api["id"].as_str().unwrap().to_string(), api["rootResourceId"].as_str().unwrap().to_string())
    }

    pub async fn resource(&self, api: &str, parent: &str, part: &str) -> String {
        let r = self.req(reqwest::Method::POST, &format!("/restapis/{api}/resources/{parent}"), Some(json!({"pathPart": part})), 201).await;
        r["id"].as_str().unwrap().to_string()
    }

    /// Adds `verb` on a resource with the given integration body.
    pub async fn method(&self, api: &str, rid: &str, verb: &str, key_required: bool, integration: Value) {
        let m = format!("/restapis/{api}/resources/{rid}/methods/{verb}");
        self.req(reqwest::Method::PUT, &m, Some(json!({"authorizationType": "NONE", "apiKeyRequired": key_required})), 201).await;
        self.req(reqwest::Method::PUT, &format!("{m}/integration"), Some(integration), 201).await;
    }

    /// An HTTP_PROXY integration to `uri`.
    pub fn proxy(uri: &str, verb: &str) -> Value {
        json!({"type": "HTTP_PROXY", "httpMethod": verb, "uri": uri})
    }

    /// A MOCK method answering `status` with `body` and one header.
    pub async fn mock(&self, api: &str, rid: &str, verb: &str, status: u16, body: &str) {
        let m = format!("/restapis/{api}/resources/{rid}/methods/{verb}");
        self.req(reqwest::Method::PUT, &m, Some(json!({"authorizationType": "NONE"})), 201).await;
        self.set_mock(api, rid, verb, status, body).await;
    }

    /// Replaces a method's integration with a MOCK answer.
    pub async fn set_mock(&self, api: &str, rid: &str, verb: &str, status: u16, body: &str) {
        let m = format!("/restapis/{api}/resources/{rid}/methods/{verb}");
        self.req(
            reqwest::Method::PUT,
            &format!("{m}/integration"),
            Some(json!({"type": "MOCK", "requestTemplates": {"application/json": format!("{{\"statusCode\": {status}}}")}})),
            201,
        )
        .await;
        self.req(
            reqwest::Method::PUT,
            &format!("{m}/responses/{status}"),
            Some(json!({"responseParameters": {"method.response.header.X-Mock": false}})),
            201,
        )
        .await;
        self.req(
            reqwest::Method::PUT,
            &format!("{m}/integration/responses/{status}"),
            Some(json!({"selectionPattern": "", "responseParameters": {"method.response.header.X-Mock": "'yes'"},
                        "responseTemplates": {"application/json": body}})),
            201,
        )
        .await;
    }

    pub async fn deploy(&self, api: &str, stage: &str) -> String {
        let d = self.req(reqwest::Method::POST, &format!("/restapis/{api}/deployments"), Some(json!({"stageName": stage})), 201).await;
        d["id"].as_str().unwrap().to_string()
    }

    /// The invoke URL of a stage, path-based.
    pub fn invoke(&self, api: &str, stage: &str, path: &str) -> String {
        format!("{}/{api}/{stage}{path}", self.s.gateway)
    }
}
