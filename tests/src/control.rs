//! A control-API client for tests: AWS-shaped calls over a console session
//! or signed with SigV4 as the AWS tools sign them, with assertions on
//! AWS's error shape and messages.

use reqwest::{Client, Method};
use serde_json::{json, Value};

use crate::TestServer;

/// A console session (or an access key) speaking the control API.
pub struct Api<'a> {
    pub s: &'a TestServer,
    pub c: Client,
    /// The access key id and secret every call is signed with, if any.
    key: Option<(String, String)>,
}

pub type Answer = (u16, Option<String>, Value);

impl<'a> Api<'a> {
    pub async fn new(s: &'a TestServer) -> Self {
        Self { s, c: s.setup_admin("admin").await, key: None }
    }

    /// Every call signed with an access key of a new admin, as the AWS
    /// CLI and SDKs call (paths the console's pages also serve, such as
    /// `/account`, are the control API's only when signed).
    pub async fn signed(s: &'a TestServer) -> Self {
        s.setup_admin("admin").await;
        let key = apigw_server::admin_create_access_key(&s.db, "admin", "tests").await.unwrap();
        Self { s, c: Client::new(), key: Some((key.access_key_id, key.secret_access_key)) }
    }

    /// The access key id and secret calls are signed with, if any.
    pub fn key(&self) -> Option<&(String, String)> {
        self.key.as_ref()
    }

    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        let url = self.s.url(path);
        let mut req = self.c.request(method.clone(), &url);
        let bytes = body.map(|b| serde_json::to_vec(&b).unwrap()).unwrap_or_default();
        if let Some((id, secret)) = &self.key {
            for (k, v) in crate::aws::sign(method.as_str(), &url, &bytes, id, secret, &crate::aws::amz_date(0)) {
                req = req.header(k, v);
            }
        }
        if !bytes.is_empty() {
            req = req.header("content-type", "application/json").body(bytes);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let kind = res.headers().get("x-amzn-errortype").map(|v| v.to_str().unwrap().to_string());
        let text = res.text().await.unwrap();
        (status, kind, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn ok(&self, method: Method, path: &str, body: Option<Value>, want: u16) -> Value {
        let (status, kind, v) = self.call(method.clone(), path, body).await;
        assert_eq!(status, want, "{method} {path}: {kind:?} {v}");
        v
    }

    /// Asserts an AWS error whose message is exactly `message` (or starts
    /// with it, with `…` at its end; any message, if empty); returns the message.
    pub async fn err(&self, method: Method, path: &str, body: Option<Value>, want: (u16, &str), message: &str) -> String {
        let (status, kind, v) = self.call(method.clone(), path, body).await;
        assert_eq!((status, kind.as_deref()), (want.0, Some(want.1)), "{method} {path}: {v}");
        let msg = v["message"].as_str().unwrap_or_default().to_string();
        match message.strip_suffix('…') {
            Some(prefix) => assert!(msg.starts_with(prefix), "{method} {path}: {msg:?} should start with {prefix:?}"),
            None if message.is_empty() => assert!(!msg.is_empty(), "{method} {path}: no message"),
            None => assert_eq!(msg, message, "{method} {path}"),
        }
        msg
    }

    /// Sends a raw body (an OpenAPI document, a CSV), signed as the AWS
    /// tools sign it; `extra` headers are sent and signed too.
    pub async fn raw(&self, method: Method, path: &str, body: &str, extra: &[(&str, &str)]) -> (u16, reqwest::header::HeaderMap, String) {
        let url = self.s.url(path);
        let (id, secret) = self.key.as_ref().expect("a signed client (Api::signed)");
        let date = crate::aws::amz_date(0);
        let signer = crate::aws::Signer { key_id: id, secret, amz_date: &date, region: "us-east-1", service: "apigateway", extra };
        let mut req = self.c.request(method.clone(), &url);
        for (k, v) in signer.sign(method.as_str(), &url, body.as_bytes()) {
            req = req.header(k, v);
        }
        let res = req.body(body.to_string()).send().await.unwrap();
        let (status, headers) = (res.status().as_u16(), res.headers().clone());
        (status, headers, res.text().await.unwrap())
    }

    pub async fn patch(&self, path: &str, ops: Value) -> Answer {
        self.call(Method::PATCH, path, Some(json!({ "patchOperations": ops }))).await
    }

    pub async fn resource(&self, api: &str, parent: &str, part: &str) -> String {
        let r = self.ok(Method::POST, &format!("/restapis/{api}/resources/{parent}"), Some(json!({ "pathPart": part })), 201).await;
        r["id"].as_str().unwrap().to_string()
    }

    pub async fn paths(&self, api: &str) -> Vec<String> {
        let tree = self.ok(Method::GET, &format!("/restapis/{api}/resources"), None, 200).await;
        let mut paths: Vec<String> = tree["item"].as_array().unwrap().iter().map(|r| r["path"].as_str().unwrap().to_string()).collect();
        paths.sort();
        paths
    }

    /// Asserts an AWS error whose message mentions `needle`.
    pub async fn mentions(&self, method: Method, path: &str, body: Option<Value>, want: u16, kind: &str, needle: &str) {
        let (status, k, v) = self.call(method.clone(), path, body).await;
        assert_eq!(status, want, "{method} {path}: {v}");
        assert_eq!(k.as_deref(), Some(kind), "{method} {path}: {v}");
        let msg = v["message"].as_str().unwrap_or_default();
        assert!(msg.contains(needle), "{method} {path}: message {msg:?} should mention {needle:?}");
    }

    /// PutIntegration: a MOCK answering 200, on the method at `method_path`
    /// (`/restapis/{id}/resources/{rid}/methods/{VERB}`).
    pub async fn mock_integration(&self, method_path: &str) -> Value {
        let body = json!({ "type": "MOCK", "requestTemplates": { "application/json": "{\"statusCode\": 200}" } });
        self.ok(Method::PUT, &format!("{method_path}/integration"), Some(body), 201).await
    }

    pub async fn create_api(&self, name: &str) -> Value {
        self.ok(Method::POST, "/restapis", Some(json!({"name": name, "description": "d"})), 201).await
    }

    /// The API's resources with their methods.
    pub async fn tree(&self, api: &str) -> Value {
        self.ok(Method::GET, &format!("/restapis/{api}/resources?embed=methods"), None, 200).await
    }
}

/// One `replace` patch operation.
pub fn replace(path: &str, value: &str) -> Value {
    json!([{ "op": "replace", "path": path, "value": value }])
}
