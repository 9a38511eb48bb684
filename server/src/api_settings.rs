//! The rules for a RestApi's attributes beyond name and description
//! (endpoint type, binary media types, API key source, compression size,
//! policy, version) and for tags, as CreateRestApi and UpdateRestApi take
//! them: each checked here once, for both operations.

use std::collections::BTreeMap;

use apigw_app::error::AppError;
use apigw_app::model::{CreateRestApiInput, EndpointConfiguration, PatchOperation, RestApiSettings};

use crate::store::tags::MAX_TAGS;

const ENDPOINT_TYPES: [&str; 3] = ["EDGE", "REGIONAL", "PRIVATE"];
/// AWS's bounds for minimumCompressionSize, in bytes.
const MAX_COMPRESSION_SIZE: i64 = 10_485_760;

fn endpoint_types(types: &[String]) -> Result<Vec<String>, AppError> {
    match types {
        [t] if ENDPOINT_TYPES.contains(&t.as_str()) => Ok(vec![t.clone()]),
        [t] => Err(AppError::constraint(
            "endpointConfiguration.types",
            format!(
                "1 validation error detected: Value '{t}' at 'createRestApiInput.endpointConfiguration.types' failed to satisfy \
                 constraint: Member must satisfy enum value set: [PRIVATE, EDGE, REGIONAL]"
            ),
        )),
        _ => Err(AppError::invalid(
            "endpointConfiguration.types",
            "endpointConfiguration.types must name exactly one type: EDGE, REGIONAL or PRIVATE.",
        )),
    }
}

fn api_key_source(v: &str) -> Result<String, AppError> {
    match v {
        "HEADER" | "AUTHORIZER" => Ok(v.to_string()),
        other => Err(AppError::constraint(
            "apiKeySource",
            format!(
                "1 validation error detected: Value '{other}' at 'createRestApiInput.apiKeySource' failed to satisfy constraint: \
                 Member must satisfy enum value set: [AUTHORIZER, HEADER]"
            ),
        )),
    }
}

fn compression_size(n: i64) -> Result<i64, AppError> {
    if (0..=MAX_COMPRESSION_SIZE).contains(&n) {
        Ok(n)
    } else {
        Err(AppError::invalid(
            "minimumCompressionSize",
            format!("minimumCompressionSize must be between 0 and {MAX_COMPRESSION_SIZE} bytes; {n} is not."),
        ))
    }
}

/// A media type as binaryMediaTypes lists them: `type/subtype`, wildcards allowed.
fn media_type(t: &str) -> Result<String, AppError> {
    let ok = t.len() <= 255
        && t.split_once('/').is_some_and(|(a, b)| !a.is_empty() && !b.is_empty() && !b.contains('/'))
        && t.is_ascii()
        && !t.contains(char::is_whitespace);
    if ok {
        Ok(t.to_string())
    } else {
        Err(AppError::invalid(
            "binaryMediaTypes",
            format!("binaryMediaTypes entries are media types such as image/png or */*; '{t}' is not."),
        ))
    }
}

/// A resource policy must at least be a JSON document. It is kept as AWS
/// returns it: minified, with its quotes (and backslashes) escaped, so the
/// `policy` string reads `{\"Version\":…}` (Terraform unquotes exactly
/// that form). A policy given in that form already is taken as well.
fn policy(p: &str) -> Result<Option<String>, AppError> {
    if p.is_empty() {
        return Ok(None);
    }
    let doc = match serde_json::from_str::<serde_json::Value>(p) {
        Ok(doc) => doc,
        Err(e) => serde_json::from_str(&policy_unescaped(p))
            .map_err(|_| AppError::invalid("policy", format!("policy must be a JSON policy document: {e}.")))?,
    };
    Ok(Some(doc.to_string().replace('\\', "\\\\").replace('"', "\\\"")))
}

/// A stored policy as the JSON document it is (for exports).
pub fn policy_document(stored: &str) -> serde_json::Value {
    serde_json::from_str(&policy_unescaped(stored)).or_else(|_| serde_json::from_str(stored)).unwrap_or_else(|_| stored.into())
}

/// Undoes the escaping of `policy`: `\"` → `"`, `\\` → `\`.
fn policy_unescaped(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match (c, chars.clone().next()) {
            ('\\', Some(n @ ('"' | '\\'))) => {
                out.push(n);
                chars.next();
            }
            _ => out.push(c),
        }
    }
    out
}

fn version(v: &str) -> Result<Option<String>, AppError> {
    if v.len() > 1024 {
        return Err(AppError::invalid("version", "version must be at most 1024 characters long."));
    }
    Ok((!v.is_empty()).then(|| v.to_string()))
}

/// CreateRestApi's attributes, with AWS's defaults for those not given.
pub fn from_input(input: &CreateRestApiInput) -> Result<RestApiSettings, AppError> {
    if input.clone_from.as_deref().is_some_and(|c| !c.is_empty()) {
        return Err(AppError::invalid("cloneFrom", "cloneFrom is not supported: apigw cannot copy an API; export and import it instead."));
    }
    let mut s = RestApiSettings::default();
    if let Some(v) = &input.version {
        s.version = version(v)?;
    }
    if let Some(types) = &input.binary_media_types {
        s.binary_media_types = types.iter().map(|t| media_type(t)).collect::<Result<_, _>>()?;
        s.binary_media_types.dedup();
    }
    if let Some(n) = input.minimum_compression_size {
        s.minimum_compression_size = Some(compression_size(n)?);
    }
    if let Some(v) = &input.api_key_source {
        s.api_key_source = api_key_source(v)?;
    }
    if let Some(e) = &input.endpoint_configuration {
        let types = match &e.types {
            Some(t) => endpoint_types(t)?,
            None => EndpointConfiguration::default().types,
        };
        let vpc = e.vpc_endpoint_ids.clone().unwrap_or_default();
        if !vpc.is_empty() && types != ["PRIVATE"] {
            return Err(AppError::invalid("endpointConfiguration.vpcEndpointIds", "vpcEndpointIds apply only to PRIVATE endpoints."));
        }
        s.endpoint_configuration = EndpointConfiguration { types, vpc_endpoint_ids: vpc };
    }
    s.disable_execute_api_endpoint = input.disable_execute_api_endpoint.unwrap_or(false);
    if let Some(p) = &input.policy {
        s.policy = policy(p)?;
    }
    Ok(s)
}

/// One UpdateRestApi operation on the attributes; `Ok(false)` if the path
/// is not one of them (name and description are the caller's).
pub fn patch(s: &mut RestApiSettings, op: &PatchOperation) -> Result<bool, AppError> {
    let value = op.value.as_deref().unwrap_or("");
    let replace_only = |op: &PatchOperation| {
        if op.op == "replace" {
            Ok(())
        } else {
            Err(AppError::invalid(
                "patchOperations",
                format!("Invalid patch operation specified. Must be one of: [replace] (got '{}' on {}).", op.op, op.path),
            ))
        }
    };
    if let Some(t) = op.path.strip_prefix("/binaryMediaTypes/") {
        let t = t.replace("~1", "/").replace("~0", "~");
        match op.op.as_str() {
            "add" => {
                let t = media_type(&t)?;
                if !s.binary_media_types.contains(&t) {
                    s.binary_media_types.push(t);
                }
            }
            "remove" => s.binary_media_types.retain(|x| *x != t),
            "replace" => {
                let new = media_type(value)?;
                s.binary_media_types.retain(|x| *x != t);
                if !s.binary_media_types.contains(&new) {
                    s.binary_media_types.push(new);
                }
            }
            other => {
                return Err(AppError::invalid(
                    "patchOperations",
                    format!("Invalid patch operation specified. Must be 'add'|'remove'|'replace' (got '{other}')."),
                ))
            }
        }
        return Ok(true);
    }
    if op.path.starts_with("/endpointConfiguration/types") {
        replace_only(op)?;
        s.endpoint_configuration.types = endpoint_types(&[value.to_string()])?;
        if s.endpoint_configuration.types != ["PRIVATE"] {
            s.endpoint_configuration.vpc_endpoint_ids.clear();
        }
        return Ok(true);
    }
    match op.path.as_str() {
        "/version" => {
            replace_only(op)?;
            s.version = version(value)?;
        }
        "/minimumCompressionSize" => {
            replace_only(op)?;
            s.minimum_compression_size = if value.is_empty() {
                None
            } else {
                Some(compression_size(value.parse().map_err(|_| {
                    AppError::invalid(
                        "minimumCompressionSize",
                        format!("minimumCompressionSize must be a whole number of bytes; '{value}' is not."),
                    )
                })?)?)
            };
        }
        "/apiKeySource" => {
            replace_only(op)?;
            s.api_key_source = api_key_source(value)?;
        }
        "/disableExecuteApiEndpoint" => {
            replace_only(op)?;
            s.disable_execute_api_endpoint = crate::apis::patch_bool(op)?;
        }
        "/policy" => {
            replace_only(op)?;
            s.policy = policy(value)?;
        }
        _ => return Ok(false),
    }
    Ok(true)
}

/// AWS's tag rules: at most 50, keys of 1-128 characters not starting
/// with `aws:`, values of at most 256.
pub fn tags(tags: &BTreeMap<String, String>) -> Result<(), AppError> {
    if tags.len() > MAX_TAGS {
        return Err(AppError::invalid("tags", format!("A resource may have at most {MAX_TAGS} tags; {} were given.", tags.len())));
    }
    for (k, v) in tags {
        if k.is_empty() || k.chars().count() > 128 {
            return Err(AppError::invalid("tags", format!("Tag keys must be 1 to 128 characters long; '{k}' is not.")));
        }
        if k.to_ascii_lowercase().starts_with("aws:") {
            return Err(AppError::invalid("tags", format!("Tag keys must not start with 'aws:' (reserved for AWS); '{k}' does.")));
        }
        if v.chars().count() > 256 {
            return Err(AppError::invalid("tags", format!("Tag values must be at most 256 characters long; the value of '{k}' is not.")));
        }
    }
    Ok(())
}
