//! The rule for an integration as PutIntegration and UpdateIntegration
//! store it: its type, backend call, timeout and passthrough, and AWS's
//! fields beyond the backend call, checked once for every caller (the
//! control API, the console, an OpenAPI import).

use std::collections::BTreeMap;

use apigw_app::error::AppError;
use apigw_app::model::{PutIntegrationInput, TIMEOUT_MAX_MS};
use apigw_app::rules;

use crate::gateway::transform::{self, Templates};
use crate::store::apis::IntegrationRow;

/// An integration as PutIntegration and UpdateIntegration store it: every
/// rule on its fields checked here, once. `declared` are the method's
/// request parameters (`method.request.header.X`), which mappings may read.
pub fn integration_row(input: PutIntegrationInput, declared: &BTreeMap<String, bool>) -> Result<IntegrationRow, AppError> {
    let extra = integration_extra(&input)?;
    let kind = rules::integration_type(
        input.kind.as_deref().ok_or_else(|| AppError::invalid("type", "type is required: HTTP_PROXY, HTTP or MOCK."))?,
    )?;
    let timeout = rules::timeout_ms(input.timeout_in_millis.unwrap_or(TIMEOUT_MAX_MS))?;
    let passthrough = input.passthrough_behavior.unwrap_or_else(|| "WHEN_NO_MATCH".into());
    if !["WHEN_NO_MATCH", "WHEN_NO_TEMPLATES", "NEVER"].contains(&passthrough.as_str()) {
        return Err(AppError::invalid(
            "passthroughBehavior",
            format!("passthroughBehavior '{passthrough}' must be WHEN_NO_MATCH, WHEN_NO_TEMPLATES or NEVER."),
        ));
    }
    let (uri, imethod) = if kind == "MOCK" {
        (None, None)
    } else {
        let uri = input.uri.filter(|u| !u.is_empty()).ok_or_else(|| {
            AppError::invalid("uri", format!("uri is required for {kind} integrations, e.g. http://backend.internal/pets/{{id}}."))
        })?;
        rules::endpoint_uri(&uri)?;
        let m = input.integration_http_method.filter(|m| !m.is_empty()).ok_or_else(|| {
            AppError::invalid("integrationHttpMethod", format!("integrationHttpMethod is required for {kind} integrations."))
        })?;
        (Some(uri), Some(rules::integration_method(&m)?))
    };
    let request_parameters = input.request_parameters.unwrap_or_default();
    request_mappings(&request_parameters, declared)?;
    let request_templates = input.request_templates.unwrap_or_default();
    templates("requestTemplates", &request_templates)?;
    Ok(IntegrationRow {
        kind,
        integration_method: imethod,
        uri,
        timeout_ms: timeout,
        passthrough,
        request_parameters,
        request_templates,
        extra,
    })
}

/// Mapping templates must parse: the error names the content type, line and column.
pub fn templates(field: &str, map: &BTreeMap<String, String>) -> Result<(), AppError> {
    for (ct, src) in map {
        if ct.trim().is_empty() || ct.len() > 256 {
            return Err(AppError::invalid(
                field,
                format!("{field} has a content type key '{ct}': use a media type such as application/json."),
            ));
        }
        if src.len() > 300 * 1024 {
            return Err(AppError::invalid(field, format!("{field}['{ct}'] is longer than 300 KB, AWS's limit for a mapping template.")));
        }
    }
    Templates::compile(field, map).map(|_| ()).map_err(|e| AppError::invalid(field, e))
}

/// Integration request parameter mappings, as AWS checks them: a known
/// target, a known source, and a method request parameter the method declares.
pub fn request_mappings(map: &BTreeMap<String, String>, declared: &BTreeMap<String, bool>) -> Result<(), AppError> {
    let invalid = |why: String| {
        AppError::invalid(
            "requestParameters",
            format!("Invalid mapping expression specified: Validation Result: warnings : [], errors : [{why}]"),
        )
    };
    for (target, source) in map {
        transform::parse_target(target).map_err(|e| invalid(format!("Invalid mapping expression specified: {target} ({e})")))?;
        transform::parse_source(source).map_err(|e| invalid(format!("Invalid mapping expression specified: {source} ({e})")))?;
        if let Some(param) = transform::source_parameter(source) {
            if !declared.contains_key(&param) {
                return Err(invalid(format!(
                    "Invalid mapping expression parameter specified: {param} (declare it on the method request first, e.g. with UpdateMethod add /requestParameters/{param})"
                )));
            }
        }
    }
    Ok(())
}

/// The integration fields beyond the backend call: what the gateway does
/// (an `INTERNET` connection, the body as it is, TLS verified) is accepted,
/// anything else refused by name; the rest is kept as AWS keeps it.
fn integration_extra(input: &PutIntegrationInput) -> Result<crate::store::apis::IntegrationExtra, AppError> {
    match input.connection_type.as_deref() {
        None | Some("") | Some("INTERNET") => {}
        Some("VPC_LINK") => {
            return Err(AppError::invalid(
                "connectionType",
                "connectionType VPC_LINK is not available: apigw has no VPC links; use INTERNET.",
            ))
        }
        Some(other) => return Err(AppError::invalid("connectionType", format!("connectionType must be INTERNET; '{other}' is not."))),
    }
    if input.connection_id.as_deref().is_some_and(|c| !c.is_empty()) {
        return Err(AppError::invalid("connectionId", "connectionId names a VPC link, which apigw does not have."));
    }
    if let Some(c) = input.content_handling.as_deref().filter(|c| !c.is_empty()) {
        return Err(AppError::invalid(
            "contentHandling",
            format!("contentHandling {c} is not available yet: apigw passes bodies through as they are (binary media types come with a later issue)."),
        ));
    }
    if input.tls_config.as_ref().and_then(|t| t.insecure_skip_verification) == Some(true) {
        return Err(AppError::invalid(
            "tlsConfig.insecureSkipVerification",
            "tlsConfig.insecureSkipVerification cannot be true: apigw always verifies a backend's certificate (add its CA with --backend-ca-file instead).",
        ));
    }
    let keys = input.cache_key_parameters.clone().unwrap_or_default();
    for k in &keys {
        let ok = [
            "method.request.path.",
            "method.request.querystring.",
            "method.request.header.",
            "method.request.multivaluequerystring.",
            "method.request.multivalueheader.",
        ]
        .iter()
        .any(|p| k.strip_prefix(p).is_some_and(|n| !n.is_empty()));
        if !ok {
            return Err(AppError::invalid(
                "cacheKeyParameters",
                format!("cacheKeyParameters entry '{k}' must be a method request parameter, e.g. method.request.path.id."),
            ));
        }
    }
    if input.cache_namespace.as_deref().is_some_and(|n| n.len() > 128) {
        return Err(AppError::invalid("cacheNamespace", "cacheNamespace is at most 128 characters."));
    }
    Ok(crate::store::apis::IntegrationExtra {
        credentials: input.credentials.clone().filter(|c| !c.is_empty()),
        cache_namespace: input.cache_namespace.clone().filter(|c| !c.is_empty()),
        cache_key_parameters: keys,
    })
}
