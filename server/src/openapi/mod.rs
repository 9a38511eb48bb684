//! OpenAPI in and out, as AWS's ImportRestApi, PutRestApi and GetExport do
//! it: Swagger 2.0 and OpenAPI 3.0 documents, JSON or YAML, with AWS's
//! `x-amazon-apigateway-*` extensions. `import` reads a document into a
//! [`Definition`] (checking it whole, collecting AWS-style warnings),
//! `apply` writes a definition into an API through the same rules every
//! other operation uses, and `export` writes a stage's deployed API back
//! out.

use std::collections::BTreeMap;

use apigw_app::error::AppError;
use apigw_app::model::{PutIntegrationInput, PutIntegrationResponseInput, PutMethodResponseInput};
use serde_json::Value;

use crate::items::documentation::Location;
use crate::items::gateway_responses::PutGatewayResponseInput;

pub mod apply;
pub mod export;
pub mod import;

/// An API as a document describes it, ready to be applied.
#[derive(Debug, Default, Clone)]
pub struct Definition {
    pub name: String,
    pub description: Option<String>,
    pub version: Option<String>,
    pub binary_media_types: Vec<String>,
    pub api_key_source: Option<String>,
    pub minimum_compression_size: Option<i64>,
    pub policy: Option<String>,
    pub disable_execute_api_endpoint: Option<bool>,
    /// Model name → schema (JSON text, `$ref`s in AWS's model-URL form).
    pub models: BTreeMap<String, String>,
    /// Validator name → (validate body, validate parameters).
    pub validators: BTreeMap<String, (bool, bool)>,
    pub gateway_responses: BTreeMap<String, PutGatewayResponseInput>,
    pub documentation: Vec<(Location, String)>,
    /// Resource paths (every one, with its methods; ancestors without methods too).
    pub paths: BTreeMap<String, Vec<MethodDef>>,
    pub warnings: Vec<String>,
}

/// One method of a document.
#[derive(Debug, Default, Clone)]
pub struct MethodDef {
    pub verb: String,
    pub operation_name: Option<String>,
    pub api_key_required: bool,
    pub request_parameters: BTreeMap<String, bool>,
    pub request_models: BTreeMap<String, String>,
    /// A validator by name (the operation's, or the document's default).
    pub validator: Option<String>,
    pub responses: BTreeMap<String, PutMethodResponseInput>,
    pub integration: Option<PutIntegrationInput>,
    /// Status code → the integration response (selection pattern inside).
    pub integration_responses: BTreeMap<String, PutIntegrationResponseInput>,
}

/// How a PutRestApi combines a document with the API it updates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The document's methods replace the same methods; the rest stays.
    Merge,
    /// The API becomes exactly the document.
    Overwrite,
}

/// What the control API's import query says (`basepath`, `ignore`,
/// `endpointConfigurationTypes`, `failonwarnings`).
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    pub basepath: BasePath,
    pub ignore_documentation: bool,
    pub endpoint_type: Option<String>,
    pub fail_on_warnings: bool,
}

/// AWS's `basepath` import parameter.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum BasePath {
    #[default]
    Ignore,
    Prepend,
    Split,
}

impl BasePath {
    /// The `basepath` parameter: ignore (the default), prepend or split.
    pub fn parse(s: &str) -> Result<Self, AppError> {
        match s {
            "" | "ignore" => Ok(Self::Ignore),
            "prepend" => Ok(Self::Prepend),
            "split" => Ok(Self::Split),
            other => Err(AppError::invalid("basepath", format!("basepath must be ignore, prepend or split; '{other}' is not."))),
        }
    }
}

/// Largest document accepted (AWS's limit on an import body).
pub const MAX_DOCUMENT_BYTES: usize = 6 * 1024 * 1024;

/// AWS's answer to a body that is not a document at all.
fn unreadable(why: impl std::fmt::Display) -> AppError {
    AppError::invalid("body", format!("Unable to build importer with provided input: {why}"))
}

/// A document's text as JSON or YAML, read into one value.
pub fn parse(bytes: &[u8]) -> Result<Value, AppError> {
    if bytes.len() > MAX_DOCUMENT_BYTES {
        return Err(AppError::invalid("body", format!("The document is larger than AWS's limit of {MAX_DOCUMENT_BYTES} bytes.")));
    }
    let text = std::str::from_utf8(bytes).map_err(|_| unreadable("the document is not UTF-8 text"))?;
    if text.trim().is_empty() {
        return Err(unreadable("the body is empty; send an OpenAPI 3.0 or Swagger 2.0 document"));
    }
    let v: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(json_err) if text.trim_start().starts_with(['{', '[']) => return Err(unreadable(format!("invalid JSON: {json_err}"))),
        Err(_) => yaml_serde::from_str(text).map_err(|e| unreadable(format!("invalid YAML: {e}")))?,
    };
    if !v.is_object() {
        return Err(unreadable("the document must be an object with `openapi: 3.0.x` or `swagger: \"2.0\"`"));
    }
    Ok(v)
}

/// A JSON value as YAML text (exports with `Accept: application/yaml`).
pub fn to_yaml(v: &Value) -> Result<String, AppError> {
    yaml_serde::to_string(v).map_err(crate::auth::internal)
}

/// AWS's model URL for a model of an API (what `$ref`s in stored schemas name).
pub fn model_url(api: &str, name: &str) -> String {
    format!("https://apigateway.amazonaws.com/restapis/{api}/models/{name}")
}

/// Rewrites every `$ref` string in a schema with `f` (kept where `f` says None).
pub fn rewrite_refs(v: &mut Value, f: &dyn Fn(&str) -> Option<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                match x {
                    Value::String(s) if k == "$ref" => {
                        if let Some(n) = f(s) {
                            *s = n;
                        }
                    }
                    other => rewrite_refs(other, f),
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| rewrite_refs(x, f)),
        _ => {}
    }
}

/// The model a `$ref` names, in any of the forms a document or a stored
/// schema uses (`#/definitions/X`, `#/components/schemas/X`, AWS's model URL).
pub fn ref_model(r: &str) -> Option<&str> {
    r.strip_prefix("#/definitions/").or_else(|| r.strip_prefix("#/components/schemas/")).or_else(|| r.strip_prefix("#/models/")).or_else(
        || r.strip_prefix("https://apigateway.amazonaws.com/restapis/").and_then(|rest| rest.split_once("/models/")).map(|(_, n)| n),
    )
}
