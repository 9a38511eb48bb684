//! An API's items as AWS's control API shows them (models, request
//! validators, gateway responses): the shapes the control API answers and a
//! deployment captures, so the gateway serves what was deployed.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A model as AWS's control API shows it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Model {
    #[serde(default)]
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
}

/// A request validator: what a method that names it checks before integrating.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RequestValidator {
    #[serde(default)]
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default)]
    pub validate_request_body: bool,
    #[serde(default)]
    pub validate_request_parameters: bool,
}

/// A gateway response: what the gateway answers, for one response type, when it refuses or fails a request itself.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct GatewayResponse {
    pub response_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_code: Option<String>,
    #[serde(default)]
    pub response_parameters: BTreeMap<String, String>,
    #[serde(default)]
    pub response_templates: BTreeMap<String, String>,
    #[serde(default)]
    pub default_response: bool,
}
