//! Test invokes and dry runs: their input and what they answer.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

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

/// The console's "Try it" for a mapping template: the template as typed,
/// rendered against a sample request without calling any backend.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TemplateTryInput {
    pub template: String,
    /// The sample body (`$input.body`; for a response template, the backend's answer).
    #[serde(default)]
    pub body: String,
    /// The sample request's path and query (default: the resource's path).
    #[serde(default)]
    pub path_with_query_string: Option<String>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default)]
    pub stage_variables: BTreeMap<String, String>,
}

/// Where a template does not parse (1-based, in characters).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TemplateError {
    pub line: u32,
    pub column: u32,
    pub message: String,
}

/// What "Try it" made: the output and the overrides the template set, or
/// why it does not parse (with the place) or failed while rendering.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TemplateTryOutput {
    pub output: Option<String>,
    pub parse_error: Option<TemplateError>,
    pub render_error: Option<String>,
    pub status_override: Option<u16>,
    pub header_overrides: Vec<(String, String)>,
}
