//! The API configuration as the control API and the console both see it.
//! Field names are AWS API Gateway's JSON member names, so the same values
//! serialize straight onto the wire for the AWS CLI and SDKs.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

mod items;
mod metrics;
mod plans;
mod stages;
mod test_invoke;

pub use items::*;
pub use metrics::*;
pub use plans::*;
pub use stages::*;
pub use test_invoke::*;

/// HTTP verbs a method may use, plus `ANY`.
pub const HTTP_METHODS: &[&str] = &["ANY", "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

/// Integration types this gateway runs.
pub const INTEGRATION_TYPES: &[&str] = &["HTTP_PROXY", "HTTP", "MOCK"];

/// Shortest and longest integration timeout, and the default (AWS's limits).
pub const TIMEOUT_MIN_MS: i64 = 50;
pub const TIMEOUT_MAX_MS: i64 = 29_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RestApi {
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Seconds since the epoch, as AWS's rest-json timestamps are.
    pub created_date: i64,
    pub root_resource_id: String,
    #[serde(flatten)]
    pub settings: RestApiSettings,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

/// A RestApi's attributes beyond its name and description, as AWS names
/// them; stored as given and returned (the gateway does not act on the
/// binary media types, compression size and policy yet).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RestApiSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub binary_media_types: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum_compression_size: Option<i64>,
    #[serde(default = "header_key_source")]
    pub api_key_source: String,
    #[serde(default)]
    pub endpoint_configuration: EndpointConfiguration,
    #[serde(default)]
    pub disable_execute_api_endpoint: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
}

fn header_key_source() -> String {
    "HEADER".into()
}

impl Default for RestApiSettings {
    fn default() -> Self {
        Self {
            version: None,
            binary_media_types: Vec::new(),
            minimum_compression_size: None,
            api_key_source: header_key_source(),
            endpoint_configuration: EndpointConfiguration::default(),
            disable_execute_api_endpoint: false,
            policy: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointConfiguration {
    pub types: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vpc_endpoint_ids: Vec<String>,
}

/// AWS's default endpoint type is EDGE.
impl Default for EndpointConfiguration {
    fn default() -> Self {
        Self { types: vec!["EDGE".into()], vpc_endpoint_ids: Vec::new() }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Resource {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_part: Option<String>,
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_methods: Option<BTreeMap<String, Method>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Method {
    pub http_method: String,
    pub authorization_type: String,
    pub api_key_required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation_name: Option<String>,
    /// `method.request.querystring.q` → whether it is required.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub request_parameters: BTreeMap<String, bool>,
    /// Content type → model name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub request_models: BTreeMap<String, String>,
    /// The API's request validator this method uses, by id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_validator_id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authorization_scopes: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method_responses: Option<BTreeMap<String, MethodResponse>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method_integration: Option<Integration>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Integration {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_method: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    pub timeout_in_millis: i64,
    pub passthrough_behavior: String,
    pub cache_namespace: String,
    pub cache_key_parameters: Vec<String>,
    /// `INTERNET` for HTTP integrations, as AWS reports it; none for MOCK.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_type: Option<String>,
    /// An IAM role ARN, stored and returned (AWS uses it for AWS integrations).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub request_parameters: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub request_templates: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integration_responses: Option<BTreeMap<String, IntegrationResponse>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MethodResponse {
    pub status_code: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub response_parameters: BTreeMap<String, bool>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub response_models: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IntegrationResponse {
    pub status_code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selection_pattern: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub response_parameters: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub response_templates: BTreeMap<String, String>,
}

/// Input of CreateRestApi.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateRestApiInput {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub binary_media_types: Option<Vec<String>>,
    #[serde(default)]
    pub minimum_compression_size: Option<i64>,
    #[serde(default)]
    pub api_key_source: Option<String>,
    #[serde(default)]
    pub endpoint_configuration: Option<EndpointConfigurationInput>,
    #[serde(default)]
    pub disable_execute_api_endpoint: Option<bool>,
    #[serde(default)]
    pub policy: Option<String>,
    #[serde(default)]
    pub tags: Option<BTreeMap<String, String>>,
    /// AWS's CloneFrom: copying an API is not supported; refused by name rather than ignored.
    #[serde(default)]
    pub clone_from: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointConfigurationInput {
    #[serde(default)]
    pub types: Option<Vec<String>>,
    #[serde(default)]
    pub vpc_endpoint_ids: Option<Vec<String>>,
}

/// Input of PutMethod.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PutMethodInput {
    #[serde(default)]
    pub authorization_type: Option<String>,
    #[serde(default)]
    pub api_key_required: Option<bool>,
    #[serde(default)]
    pub operation_name: Option<String>,
    #[serde(default)]
    pub request_parameters: Option<BTreeMap<String, bool>>,
    #[serde(default)]
    pub request_models: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub request_validator_id: Option<String>,
    #[serde(default)]
    pub authorization_scopes: Option<Vec<String>>,
}

/// Input of PutIntegration.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PutIntegrationInput {
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// On the wire this is `httpMethod` (botocore's locationName); the
    /// documented name `integrationHttpMethod` is accepted too.
    #[serde(default, rename = "httpMethod", alias = "integrationHttpMethod")]
    pub integration_http_method: Option<String>,
    #[serde(default)]
    pub uri: Option<String>,
    #[serde(default)]
    pub timeout_in_millis: Option<i64>,
    #[serde(default)]
    pub passthrough_behavior: Option<String>,
    #[serde(default)]
    pub request_parameters: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub request_templates: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub connection_type: Option<String>,
    #[serde(default)]
    pub connection_id: Option<String>,
    #[serde(default)]
    pub credentials: Option<String>,
    #[serde(default)]
    pub content_handling: Option<String>,
    #[serde(default)]
    pub cache_namespace: Option<String>,
    #[serde(default)]
    pub cache_key_parameters: Option<Vec<String>>,
    #[serde(default)]
    pub tls_config: Option<TlsConfig>,
}

/// An integration's TLS settings toward its backend (AWS's TlsConfig).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TlsConfig {
    #[serde(default)]
    pub insecure_skip_verification: Option<bool>,
}

/// Input of PutMethodResponse.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PutMethodResponseInput {
    #[serde(default)]
    pub response_parameters: Option<BTreeMap<String, bool>>,
    #[serde(default)]
    pub response_models: Option<BTreeMap<String, String>>,
}

/// Input of PutIntegrationResponse.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PutIntegrationResponseInput {
    #[serde(default)]
    pub selection_pattern: Option<String>,
    #[serde(default)]
    pub response_parameters: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub response_templates: Option<BTreeMap<String, String>>,
}

/// One JSON Patch-style operation, as UpdateRestApi and UpdateMethod take.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PatchOperation {
    pub op: String,
    pub path: String,
    #[serde(default)]
    pub value: Option<String>,
}

/// The body of an Update* call.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PatchInput {
    #[serde(default)]
    pub patch_operations: Vec<PatchOperation>,
}

/// What importing an OpenAPI document would create, shown before it does.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ImportPreview {
    pub name: String,
    pub version: Option<String>,
    /// Each resource path with the methods it gets (`["GET", "POST"]`).
    pub paths: Vec<(String, Vec<String>)>,
    pub models: Vec<String>,
    pub validators: Vec<String>,
    pub gateway_responses: Vec<String>,
    pub documentation_parts: usize,
    /// What apigw will not honour, in AWS's import-warning words.
    pub warnings: Vec<String>,
}

/// An import done: the new API and the warnings it came with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportOutcome {
    pub id: String,
    pub name: String,
    pub warnings: Vec<String>,
}

/// An API with its whole resource tree and its stages, as the API page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiTree {
    pub api: RestApi,
    pub resources: Vec<Resource>,
    pub stages: Vec<Stage>,
    /// The configuration changed since the newest deployment (or was never deployed).
    pub undeployed_changes: bool,
    /// Stages that serve something other than the configuration now (an
    /// older deployment after a rollback, or changes not yet deployed).
    #[serde(default)]
    pub stale_stages: Vec<String>,
    /// The API's request validators as (id, name), for a method's settings.
    #[serde(default)]
    pub validators: Vec<(String, String)>,
    /// The API's model names, for a method's settings.
    #[serde(default)]
    pub models: Vec<String>,
}

/// What the stages of an API serve against its configuration now.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Freshness {
    /// The newest deployment differs from the configuration (or there is none).
    pub undeployed: bool,
    /// Stages serving a snapshot that differs from the configuration.
    pub stale_stages: Vec<String>,
}

/// A stage page: the stage, the API's deployments, and where to call it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageDetail {
    pub api: RestApi,
    pub stage: Stage,
    /// Newest first.
    pub deployments: Vec<Deployment>,
    pub invoke_url: String,
    /// The stage serves exactly the API's configuration now.
    #[serde(default)]
    pub serves_latest: bool,
    /// The methods the stage serves, as (resource path, HTTP method), for
    /// per-method settings.
    #[serde(default)]
    pub served_methods: Vec<(String, String)>,
}

/// The method editor's form: the method's switch, its integration, for
/// MOCK the response it answers with, and for HTTP how backend statuses map
/// to the method's.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MethodSettings {
    pub api_key_required: bool,
    /// HTTP_PROXY, HTTP or MOCK.
    pub integration_type: String,
    pub uri: String,
    pub integration_method: String,
    pub timeout_ms: i64,
    pub mock_status: String,
    pub mock_headers: Vec<(String, String)>,
    pub mock_body: String,
    /// HTTP (not proxy) only: the integration responses as (selection
    /// pattern, method status), checked in order by AWS's rules; the empty
    /// pattern is the default.
    #[serde(default)]
    pub http_responses: Vec<(String, String)>,
    /// HTTP only: the `application/json` request template (empty: none;
    /// absent: the stored one stays).
    #[serde(default)]
    pub request_template: Option<String>,
    /// HTTP only: `passthroughBehavior` (empty: keep the stored one).
    #[serde(default)]
    pub passthrough: String,
    /// HTTP only: the default integration response's `application/json`
    /// template (empty: the backend's body passes; absent: it stays).
    #[serde(default)]
    pub response_template: Option<String>,
    /// The method request's validator id ("": none; absent: the stored one stays).
    #[serde(default)]
    pub request_validator: Option<String>,
    /// The model an `application/json` request body must match ("": none; absent: stays).
    #[serde(default)]
    pub request_model: Option<String>,
    /// Declared request parameters (`method.request.querystring.page`) and
    /// whether each is required (absent: the stored ones stay).
    #[serde(default)]
    pub request_parameters: Option<Vec<(String, bool)>>,
    /// HTTP and HTTP proxy: the integration's request parameter mappings as
    /// (target, source), e.g. (`integration.request.header.X-User`,
    /// `method.request.querystring.user`) (absent: the stored ones stay).
    #[serde(default)]
    pub parameter_mappings: Option<Vec<(String, String)>>,
}

/// The request template that makes a MOCK integration answer with `status`.
pub fn mock_request_template(status: &str) -> String {
    format!("{{\"statusCode\": {status}}}")
}

impl MethodSettings {
    /// The form's values for a method as stored.
    pub fn from_method(m: &Method) -> Self {
        let mut s = MethodSettings {
            api_key_required: m.api_key_required,
            integration_type: "HTTP_PROXY".into(),
            // The backend is called with the method's own verb unless told
            // otherwise, as AWS's console proposes.
            integration_method: m.http_method.clone(),
            timeout_ms: TIMEOUT_MAX_MS,
            mock_status: "200".into(),
            // What AWS's console sets up for a new HTTP integration: every
            // backend answer passed on as 200.
            http_responses: vec![(String::new(), "200".into())],
            request_validator: Some(m.request_validator_id.clone().unwrap_or_default()),
            request_model: Some(m.request_models.get("application/json").cloned().unwrap_or_default()),
            request_parameters: Some(m.request_parameters.iter().map(|(k, v)| (k.clone(), *v)).collect()),
            parameter_mappings: Some(
                m.method_integration.iter().flat_map(|i| i.request_parameters.iter()).map(|(k, v)| (k.clone(), v.clone())).collect(),
            ),
            ..Default::default()
        };
        let Some(i) = &m.method_integration else { return s };
        s.passthrough = i.passthrough_behavior.clone();
        if i.kind == "HTTP" {
            s.request_template = Some(i.request_templates.get("application/json").cloned().unwrap_or_default());
            s.response_template = Some(
                i.integration_responses
                    .iter()
                    .flatten()
                    .find(|(_, r)| r.selection_pattern.as_deref().unwrap_or("").is_empty())
                    .and_then(|(_, r)| r.response_templates.get("application/json").cloned())
                    .unwrap_or_default(),
            );
            let mut rows: Vec<(String, String)> = i
                .integration_responses
                .iter()
                .flatten()
                .map(|(status, r)| (r.selection_pattern.clone().unwrap_or_default(), status.clone()))
                .collect();
            // Patterns first, the default (empty pattern) last, as they are read.
            rows.sort_by_key(|(pattern, _)| pattern.is_empty());
            s.http_responses = rows;
        }
        s.integration_type = i.kind.clone();
        s.uri = i.uri.clone().unwrap_or_default();
        s.integration_method = i.http_method.clone().unwrap_or_else(|| m.http_method.clone());
        s.timeout_ms = i.timeout_in_millis;
        // The default integration response (no selection pattern) is what a MOCK answers.
        if let Some(r) =
            i.integration_responses.as_ref().and_then(|rs| rs.values().find(|r| r.selection_pattern.as_deref().unwrap_or("").is_empty()))
        {
            s.mock_status = r.status_code.clone();
            s.mock_body = r.response_templates.get("application/json").cloned().unwrap_or_default();
            s.mock_headers = r
                .response_parameters
                .iter()
                .filter_map(|(k, v)| {
                    let name = k.strip_prefix("method.response.header.")?;
                    let value = v.strip_prefix('\'')?.strip_suffix('\'')?;
                    Some((name.to_string(), value.to_string()))
                })
                .collect();
        }
        s
    }
}

/// A control-API access key as listed (the secret is never shown again).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessKeyInfo {
    pub access_key_id: String,
    pub username: String,
    pub description: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// A new access key with its secret: shown once.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewAccessKeyInfo {
    pub access_key_id: String,
    pub secret_access_key: String,
}

impl std::fmt::Debug for NewAccessKeyInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewAccessKeyInfo").field("access_key_id", &self.access_key_id).finish_non_exhaustive()
    }
}

/// Percent-encodes all but the characters a URL path or query value may
/// carry as they are (letters, digits, `-_.~/`): for filters in a page's
/// URL and the sign-in page's `next`.
pub fn percent_encode(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Facts about the running server that an operator needs at hand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerInfo {
    pub version: String,
    pub console_url: String,
    pub gateway_url: String,
    pub database_path: String,
    pub username: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_method_calls_its_backend_with_its_own_verb() {
        let m: Method = serde_json::from_str(r#"{"httpMethod": "POST", "authorizationType": "NONE", "apiKeyRequired": false}"#).unwrap();
        assert_eq!(MethodSettings::from_method(&m).integration_method, "POST");
        let mock: Method = serde_json::from_str(
            r#"{"httpMethod": "DELETE", "authorizationType": "NONE", "apiKeyRequired": false,
                "methodIntegration": {"type": "MOCK", "timeoutInMillis": 29000, "passthroughBehavior": "WHEN_NO_MATCH",
                                      "cacheNamespace": "x", "cacheKeyParameters": []}}"#,
        )
        .unwrap();
        assert_eq!(MethodSettings::from_method(&mock).integration_method, "DELETE");
    }
}
