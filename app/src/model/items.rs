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

/// An API's models, request validators and gateway responses, as the
/// console's page for them shows them.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ApiItems {
    pub api_id: String,
    pub api_name: String,
    pub models: Vec<Model>,
    pub validators: Vec<RequestValidator>,
    /// Every response type, the ones never put marked `default_response`.
    pub gateway_responses: Vec<GatewayResponse>,
}

/// The console's model form. A new model is created with all four; an
/// existing one keeps its name and content type (AWS cannot change them).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct ModelForm {
    pub name: String,
    pub description: String,
    pub content_type: String,
    pub schema: String,
}

/// The console's request validator form.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct ValidatorForm {
    pub name: String,
    pub validate_request_body: bool,
    pub validate_request_parameters: bool,
}

/// The console's gateway response form: a status code (empty: the type's
/// default), response headers as (name, value expression) and the
/// `application/json` template. Mappings and templates the form does not
/// show (other content types, query or path targets) are kept as stored.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct GatewayResponseForm {
    pub status_code: String,
    pub headers: Vec<(String, String)>,
    pub template: String,
}

/// Every gateway response type AWS has, with its default status code (none
/// for the two catch-alls, which answer the status of the error).
pub const GATEWAY_RESPONSE_TYPES: &[(&str, Option<&str>)] = &[
    ("ACCESS_DENIED", Some("403")),
    ("API_CONFIGURATION_ERROR", Some("500")),
    ("AUTHORIZER_CONFIGURATION_ERROR", Some("500")),
    ("AUTHORIZER_FAILURE", Some("500")),
    ("BAD_REQUEST_BODY", Some("400")),
    ("BAD_REQUEST_PARAMETERS", Some("400")),
    ("DEFAULT_4XX", None),
    ("DEFAULT_5XX", None),
    ("EXPIRED_TOKEN", Some("403")),
    ("INTEGRATION_FAILURE", Some("504")),
    ("INTEGRATION_TIMEOUT", Some("504")),
    ("INVALID_API_KEY", Some("403")),
    ("INVALID_SIGNATURE", Some("403")),
    ("MISSING_AUTHENTICATION_TOKEN", Some("403")),
    ("QUOTA_EXCEEDED", Some("429")),
    ("REQUEST_TOO_LARGE", Some("413")),
    ("RESOURCE_NOT_FOUND", Some("404")),
    ("THROTTLED", Some("429")),
    ("UNAUTHORIZED", Some("401")),
    ("UNSUPPORTED_MEDIA_TYPE", Some("415")),
    ("WAF_FILTERED", Some("403")),
];

/// The body AWS's default gateway responses send.
pub const GATEWAY_RESPONSE_TEMPLATE: &str = "{\"message\":$context.error.messageString}";
