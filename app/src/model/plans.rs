//! API keys, usage plans and their limits, and what keys have used.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

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
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
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
    #[serde(default)]
    pub tags: Option<BTreeMap<String, String>>,
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
    /// AWS Marketplace's product code, set with UpdateUsagePlan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_code: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
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
    #[serde(default)]
    pub product_code: Option<String>,
    /// Given at creation only (TagResource changes them later).
    #[serde(default)]
    pub tags: Option<BTreeMap<String, String>>,
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
