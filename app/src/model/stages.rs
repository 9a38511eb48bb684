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
