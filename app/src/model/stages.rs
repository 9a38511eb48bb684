//! Deployments and stages: what a stage serves, its variables and its
//! per-method settings (throttling).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MethodSetting {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throttling_burst_limit: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throttling_rate_limit: Option<f64>,
    /// AWS's other per-method settings, stored and returned as AWS does
    /// (the gateway acts on throttling; caching comes with the caching issue).
    #[serde(default)]
    pub metrics_enabled: bool,
    #[serde(default = "log_off")]
    pub logging_level: String,
    #[serde(default)]
    pub data_trace_enabled: bool,
    #[serde(default)]
    pub caching_enabled: bool,
    #[serde(default = "cache_ttl")]
    pub cache_ttl_in_seconds: i64,
    #[serde(default)]
    pub cache_data_encrypted: bool,
    #[serde(default = "yes")]
    pub require_authorization_for_cache_control: bool,
    #[serde(default = "succeed_with_header")]
    pub unauthorized_cache_control_header_strategy: String,
}

fn log_off() -> String {
    "OFF".into()
}
fn cache_ttl() -> i64 {
    300
}
fn yes() -> bool {
    true
}
fn succeed_with_header() -> String {
    "SUCCEED_WITH_RESPONSE_HEADER".into()
}

/// AWS's defaults for a method setting no field of which was changed.
impl Default for MethodSetting {
    fn default() -> Self {
        Self {
            throttling_burst_limit: None,
            throttling_rate_limit: None,
            metrics_enabled: false,
            logging_level: log_off(),
            data_trace_enabled: false,
            caching_enabled: false,
            cache_ttl_in_seconds: cache_ttl(),
            cache_data_encrypted: false,
            require_authorization_for_cache_control: true,
            unauthorized_cache_control_header_strategy: succeed_with_header(),
        }
    }
}

/// Where a stage's access log goes and in what format (AWS's AccessLogSettings).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessLogSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_arn: Option<String>,
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
    /// AWS leaves `variables` out when a stage has none.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub variables: BTreeMap<String, String>,
    #[serde(default)]
    pub method_settings: BTreeMap<String, MethodSetting>,
    pub cache_cluster_enabled: bool,
    /// AWS's `NOT_AVAILABLE` while no cache is provisioned (apigw has none yet).
    #[serde(default = "no_cache")]
    pub cache_cluster_status: String,
    pub tracing_enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_log_settings: Option<AccessLogSettings>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documentation_version: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

fn no_cache() -> String {
    "NOT_AVAILABLE".into()
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
    #[serde(default)]
    pub tags: Option<BTreeMap<String, String>>,
    /// AWS's fields for features apigw does not have yet: refused by name
    /// when set, never silently dropped.
    #[serde(default)]
    pub cache_cluster_enabled: Option<bool>,
    #[serde(default)]
    pub cache_cluster_size: Option<String>,
    #[serde(default)]
    pub tracing_enabled: Option<bool>,
    #[serde(default)]
    pub canary_settings: Option<serde_json::Value>,
    #[serde(default)]
    pub client_certificate_id: Option<String>,
    #[serde(default)]
    pub documentation_version: Option<String>,
}
