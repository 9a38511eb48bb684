//! The API configuration as the control API and the console both see it.
//! Field names are AWS API Gateway's JSON member names, so the same values
//! serialize straight onto the wire for the AWS CLI and SDKs.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

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
    pub api_key_source: String,
    pub endpoint_configuration: EndpointConfiguration,
    pub disable_execute_api_endpoint: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointConfiguration {
    pub types: Vec<String>,
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

/// The method editor's form: the method's switch, its integration, and for
/// MOCK the response it answers with.
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
            integration_method: "GET".into(),
            timeout_ms: TIMEOUT_MAX_MS,
            mock_status: "200".into(),
            ..Default::default()
        };
        let Some(i) = &m.method_integration else { return s };
        s.integration_type = i.kind.clone();
        s.uri = i.uri.clone().unwrap_or_default();
        s.integration_method = i.http_method.clone().unwrap_or_else(|| "GET".into());
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

/// A deployment: an immutable snapshot of an API's configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Deployment {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub created_date: i64,
}

/// Throttling and other per-method settings of a stage (AWS's MethodSetting).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MethodSetting {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throttling_burst_limit: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throttling_rate_limit: Option<f64>,
}

/// Default stage throttling (AWS's account-level defaults).
pub const DEFAULT_RATE_LIMIT: f64 = 10_000.0;
pub const DEFAULT_BURST_LIMIT: i64 = 5_000;

/// A stage: a name that serves one deployment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Stage {
    pub deployment_id: String,
    pub stage_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub created_date: i64,
    pub last_updated_date: i64,
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    #[serde(default)]
    pub method_settings: BTreeMap<String, MethodSetting>,
    pub cache_cluster_enabled: bool,
    pub tracing_enabled: bool,
}

/// Input of CreateDeployment.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateDeploymentInput {
    #[serde(default)]
    pub stage_name: Option<String>,
    #[serde(default)]
    pub stage_description: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub variables: Option<BTreeMap<String, String>>,
}

/// Input of CreateStage.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateStageInput {
    #[serde(default)]
    pub stage_name: Option<String>,
    #[serde(default)]
    pub deployment_id: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub variables: Option<BTreeMap<String, String>>,
}

/// An API key as AWS shows it. `value` is present only in the answer to
/// CreateApiKey: keys are stored as SHA-256 hashes and cannot be shown again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiKey {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    pub enabled: bool,
    pub created_date: i64,
    pub last_updated_date: i64,
    #[serde(default)]
    pub stage_keys: Vec<String>,
}

/// Input of CreateApiKey. AWS creates keys disabled unless `enabled` is true.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateApiKeyInput {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub value: Option<String>,
    #[serde(default)]
    pub customer_id: Option<String>,
    #[serde(default)]
    pub generate_distinct_id: Option<bool>,
}

/// Requests per second and burst (bucket size).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThrottleSettings {
    #[serde(default)]
    pub burst_limit: i64,
    #[serde(default)]
    pub rate_limit: f64,
}

/// Quota periods, in the order the console offers them.
pub const QUOTA_PERIODS: &[&str] = &["DAY", "WEEK", "MONTH"];

/// How many requests one key may make per period. `offset` shifts the start
/// of the period by whole days: WEEK 0–6 (0 = Sunday), MONTH 0–27 (days
/// after the 1st), DAY only 0. Periods are in UTC.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QuotaSettings {
    #[serde(default)]
    pub limit: i64,
    #[serde(default)]
    pub offset: i64,
    #[serde(default)]
    pub period: String,
}

/// One API stage a usage plan covers, with optional per-method throttles
/// keyed `/resource/path/METHOD` (AWS's form, e.g. `/pets/{id}/GET`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiStage {
    #[serde(default)]
    pub api_id: String,
    #[serde(default)]
    pub stage: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throttle: Option<BTreeMap<String, ThrottleSettings>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UsagePlan {
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub api_stages: Vec<ApiStage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throttle: Option<ThrottleSettings>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota: Option<QuotaSettings>,
}

/// Input of CreateUsagePlan, and the console's whole-plan save.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UsagePlanInput {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub api_stages: Vec<ApiStage>,
    #[serde(default)]
    pub throttle: Option<ThrottleSettings>,
    #[serde(default)]
    pub quota: Option<QuotaSettings>,
}

/// A key attached to a usage plan. (AWS also returns the key's value here;
/// we do not have it.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UsagePlanKey {
    pub id: String,
    #[serde(rename = "type")]
    pub key_type: String,
    pub name: String,
}

/// Input of CreateUsagePlanKey.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateUsagePlanKeyInput {
    #[serde(default)]
    pub key_id: Option<String>,
    #[serde(default)]
    pub key_type: Option<String>,
}

/// GetUsage: for each key, one `[used, remaining]` pair per day from
/// `startDate` to `endDate` (inclusive). `remaining` is what was left of the
/// quota period at the end of that day, or -1 when the plan has no quota.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Usage {
    pub usage_plan_id: String,
    pub start_date: String,
    pub end_date: String,
    #[serde(rename = "values")]
    pub items: BTreeMap<String, Vec<[i64; 2]>>,
}

/// The console's view of one plan: the plan, its keys, and each key's use of
/// the current quota period and the last days.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UsagePlanDetail {
    pub plan: UsagePlan,
    pub keys: Vec<KeyUsage>,
    /// The days of `KeyUsage::daily`, oldest first (`YYYY-MM-DD`).
    pub days: Vec<String>,
    /// When the current quota period began and ends (seconds since the epoch), if the plan has a quota.
    pub period: Option<(i64, i64)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyUsage {
    pub key: ApiKey,
    /// Requests counted in the current quota period (or today, without a quota).
    pub used: i64,
    /// What is left of the quota, when there is one.
    pub remaining: Option<i64>,
    /// Requests per day, aligned with `UsagePlanDetail::days`.
    pub daily: Vec<i64>,
}

/// One row of the console's keys page: the key and the plans it is in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiKeyRow {
    pub key: ApiKey,
    /// (plan id, plan name)
    pub plans: Vec<(String, String)>,
}

/// Time ranges the dashboards offer.
pub const METRIC_RANGES: &[&str] = &["15m", "1h", "6h", "24h", "7d"];

/// Metrics of one stage (or one method of it) over a range: totals, a
/// series per period, and a per-method breakdown. Latencies in ms; `None`
/// where there were no requests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StageMetrics {
    pub api_id: String,
    pub stage: String,
    pub range: String,
    /// Length of one series point, in seconds (60 for ranges up to 6h).
    pub period_seconds: i64,
    /// The range, as seconds since the epoch.
    pub from: i64,
    pub to: i64,
    #[serde(flatten)]
    pub totals: MetricValues,
    pub series: Vec<MetricPoint>,
    pub methods: Vec<MethodMetrics>,
    /// Answers the gateway gave itself over the range, by reason code
    /// (most first).
    #[serde(default)]
    pub reasons: Vec<ReasonCount>,
}

/// How many answers had one reason code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReasonCount {
    pub reason: String,
    pub count: u64,
}

/// The reason codes of the access log and the metrics, each with what it
/// means and what to do about it (the gateway stores the code; the console
/// explains it). The server checks it writes no code missing here.
pub const REASONS: &[(&str, &str)] = &[
    ("NO_ROUTE", "No resource or method of the stage matches the request (403)."),
    ("KEY_MISSING", "The method requires an API key and the request sent no x-api-key header (403)."),
    ("KEY_INVALID", "The x-api-key sent is not a key of this gateway (403)."),
    ("KEY_DISABLED", "The API key is disabled (403). Enable it on the API keys page."),
    ("KEY_NOT_IN_PLAN", "The API key is in no usage plan that covers this stage (403). Add it to a plan."),
    ("THROTTLED_PLAN_METHOD", "The usage plan's throttle for this method refused the request (429)."),
    ("THROTTLED_PLAN", "The usage plan's throttle refused the request (429)."),
    ("THROTTLED_STAGE", "The stage's throttle (default or per method) refused the request (429)."),
    ("QUOTA", "The API key's quota for the period is used up (429)."),
    ("PAYLOAD_TOO_LARGE", "The request body is over the gateway's limit (413)."),
    ("BACKEND_TIMEOUT", "The backend sent no response headers within the integration's timeout (504)."),
    ("BACKEND_UNREACHABLE", "The backend could not be connected to: refused, unknown host or no route (502)."),
    ("BACKEND_BAD_RESPONSE", "The backend closed or reset the connection, or answered with something that is not HTTP (502)."),
    ("INTEGRATION_CONFIG", "The integration's configuration cannot be used, e.g. its URI does not make a valid URL (500/502)."),
    ("CLIENT_CLOSED", "The caller hung up before the answer was sent (recorded as 499)."),
];

/// What a reason code means, for tooltips and the error breakdown.
pub fn reason_text(code: &str) -> &'static str {
    REASONS.iter().find(|(c, _)| *c == code).map_or("", |(_, t)| *t)
}

/// Counts and latency percentiles of some requests.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetricValues {
    pub count: u64,
    pub error4xx: u64,
    pub error5xx: u64,
    pub latency_p50_ms: Option<f64>,
    pub latency_p90_ms: Option<f64>,
    pub latency_p99_ms: Option<f64>,
    pub integration_latency_p50_ms: Option<f64>,
    pub integration_latency_p99_ms: Option<f64>,
}

impl MetricValues {
    /// Errors (4xx + 5xx) as a share of requests, 0–1.
    pub fn error_rate(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            (self.error4xx + self.error5xx) as f64 / self.count as f64
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetricPoint {
    /// Start of the period, seconds since the epoch.
    pub t: i64,
    #[serde(flatten)]
    pub values: MetricValues,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MethodMetrics {
    pub resource: String,
    pub method: String,
    #[serde(flatten)]
    pub values: MetricValues,
    /// This method's answers by reason code (most first).
    #[serde(default)]
    pub reasons: Vec<ReasonCount>,
}

/// One row of the access log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogEntry {
    pub id: i64,
    /// µs since the epoch.
    pub at_us: i64,
    pub resource: String,
    pub method: String,
    pub path: String,
    pub status: u16,
    pub latency_ms: f64,
    pub integration_latency_ms: Option<f64>,
    pub key_id: Option<String>,
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub request_id: String,
    /// Why the gateway answered itself (see [`REASONS`]); None when the
    /// answer came from the integration.
    #[serde(default)]
    pub reason: Option<String>,
}

/// Filters of the access log; empty fields filter nothing.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogFilter {
    /// "2xx", "3xx", "4xx" or "5xx".
    #[serde(default)]
    pub status_class: String,
    #[serde(default)]
    pub method: String,
    #[serde(default)]
    pub path_contains: String,
    #[serde(default)]
    pub key_id: String,
    /// A reason code (see [`REASONS`]), or "any" for every entry that has one.
    #[serde(default)]
    pub reason: String,
    /// Only entries older than this id (the next page).
    #[serde(default)]
    pub before: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogPage {
    pub entries: Vec<LogEntry>,
    /// Pass as `before` for the next (older) page; None on the last page.
    pub next: Option<i64>,
}

/// One stage on the all-stages dashboard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StageOverview {
    pub api_id: String,
    pub api_name: String,
    pub stage: String,
    /// The window every figure of the row covers (one of `METRIC_RANGES`).
    pub range: String,
    /// Length of one `series` point, in seconds.
    pub period_seconds: i64,
    /// Requests per period over the range, oldest first.
    pub series: Vec<u64>,
    /// The range's totals and percentiles.
    pub values: MetricValues,
    /// `series` as a small SVG chart (drawn on the server).
    pub sparkline: String,
}

/// One chart drawn on the server, as SVG text to embed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChartSvg {
    pub id: String,
    pub title: String,
    pub svg: String,
}

/// Everything the stage dashboard shows for one range (and optionally one method).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageDashboard {
    pub metrics: StageMetrics,
    pub charts: Vec<ChartSvg>,
    /// The method drilled into, if any: (resource, method).
    pub only: Option<(String, String)>,
}

/// Input of TestInvokeMethod (and the console's Test panel).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TestInvokeInput {
    #[serde(default)]
    pub path_with_query_string: Option<String>,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub headers: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub multi_value_headers: Option<BTreeMap<String, Vec<String>>>,
    #[serde(default)]
    pub stage_variables: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub client_certificate_id: Option<String>,
}

/// What a test invoke answered, with AWS's execution log.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TestInvokeOutput {
    pub status: u16,
    pub body: String,
    pub headers: BTreeMap<String, String>,
    pub multi_value_headers: BTreeMap<String, Vec<String>>,
    pub log: String,
    /// Milliseconds.
    pub latency: i64,
    /// Beyond AWS: the body was longer than the test invoke returns and was cut.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub body_truncated: bool,
}

/// Beyond AWS: what a deployed stage would do with a request, worked out
/// without sending it (no tokens or quota are used).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StageTrace {
    pub stage: String,
    pub deployment_id: Option<String>,
    /// The checks in the order the gateway makes them; the first failing one decides.
    pub steps: Vec<TraceStep>,
    /// What would happen, in one sentence.
    pub outcome: String,
    /// The status the gateway itself would answer, if it would not reach the integration.
    pub status: Option<u16>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TraceStep {
    pub name: String,
    pub ok: bool,
    pub detail: String,
}

/// Input of a dry run.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DryRunInput {
    #[serde(default)]
    pub http_method: String,
    #[serde(default)]
    pub path_with_query_string: String,
    /// The `x-api-key` value to try, if any.
    #[serde(default)]
    pub api_key: Option<String>,
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
