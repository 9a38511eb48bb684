//! Gateway responses: how an API reshapes the answers the gateway makes
//! itself (a missing key, a throttle, a validation failure, a timeout...).
//! Every refusal is made by [`gateway_error`](super::gateway_error), which
//! marks it with its message; when the stage's deployment customised the
//! response type (or `DEFAULT_4XX`/`DEFAULT_5XX`), the pipeline's last step
//! rewrites it here: status, headers (static, or from the request, context
//! or stage variables) and body. As in AWS, a gateway response template is
//! not VTL: only `$context.*`, `$stageVariables.*` and
//! `$context.error.message`/`messageString`/`responseType` are substituted.

use std::collections::BTreeMap;

use apigw_app::model::GatewayResponse;
use http::header::{self, HeaderName, HeaderValue};
use http::{Response, StatusCode};
use serde_json::Value;

use super::proxy::full;
use super::transform::{by_accept, media_type};
use super::GwBody;
use crate::metrics::reason::Reason;

/// The body AWS's default gateway responses send.
pub use apigw_app::model::GATEWAY_RESPONSE_TEMPLATE as DEFAULT_TEMPLATE;

/// The message of a gateway-made answer (an extension of the response).
#[derive(Clone, Debug)]
pub struct GatewayMade {
    pub message: Box<str>,
}

/// Where a gateway response header's value comes from.
#[derive(Debug, Clone, PartialEq)]
enum HeaderSource {
    Static(HeaderValue),
    RequestHeader(HeaderName),
    Query(String),
    Path(String),
    /// `context.a.b`, split.
    Context(Vec<String>),
    StageVariable(String),
}

/// One customised response type.
#[derive(Debug)]
struct Custom {
    status: Option<StatusCode>,
    headers: Vec<(HeaderName, HeaderSource)>,
    /// Templates by media type (lower case).
    templates: Vec<(String, String)>,
}

/// The response types a stage customised (those left at AWS's default are absent).
#[derive(Debug, Default)]
pub struct GatewayResponses {
    by_type: BTreeMap<String, Custom>,
}

/// A response parameter's value, or why it is not one AWS takes.
fn parse_source(v: &str) -> Result<HeaderSource, String> {
    let v = v.trim();
    let bad = || {
        format!(
            "'{v}' is not a gateway response mapping: use a quoted 'static value', method.request.header.NAME, method.request.querystring.NAME, method.request.path.NAME, context.NAME or stageVariables.NAME"
        )
    };
    if v.len() >= 2 && v.starts_with('\'') && v.ends_with('\'') {
        return HeaderValue::try_from(&v[1..v.len() - 1]).map(HeaderSource::Static).map_err(|_| bad());
    }
    let named = |p: &str| v.strip_prefix(p).filter(|n| !n.is_empty()).map(str::to_string);
    if let Some(n) = named("method.request.header.") {
        return HeaderName::try_from(n).map(HeaderSource::RequestHeader).map_err(|_| bad());
    }
    if let Some(n) = named("method.request.querystring.") {
        return Ok(HeaderSource::Query(n));
    }
    if let Some(n) = named("method.request.path.") {
        return Ok(HeaderSource::Path(n));
    }
    if let Some(n) = named("context.") {
        return Ok(HeaderSource::Context(n.split('.').map(str::to_string).collect()));
    }
    if let Some(n) = named("stageVariables.") {
        return Ok(HeaderSource::StageVariable(n));
    }
    Err(bad())
}

/// The save-time rule for a gateway response's parameter value.
pub fn check_source(v: &str) -> Result<(), String> {
    parse_source(v).map(|_| ())
}

impl GatewayResponses {
    /// The customised types of a deployment's gateway responses; `None`
    /// when every type answers AWS's default (nothing to rewrite).
    pub fn compile(responses: &[GatewayResponse]) -> Option<GatewayResponses> {
        let mut by_type = BTreeMap::new();
        for r in responses.iter().filter(|r| !r.default_response) {
            let headers = r
                .response_parameters
                .iter()
                .filter_map(|(k, v)| {
                    let name = HeaderName::try_from(k.strip_prefix("gatewayresponse.header.")?).ok()?;
                    Some((name, parse_source(v).ok()?))
                })
                .collect();
            let templates = r.response_templates.iter().map(|(ct, t)| (media_type(ct), t.clone())).collect();
            let status = r
                .status_code
                .as_deref()
                .and_then(|s| s.parse::<u16>().ok())
                .filter(|s| *s >= 200)
                .and_then(|s| StatusCode::from_u16(s).ok());
            by_type.insert(r.response_type.clone(), Custom { status, headers, templates });
        }
        (!by_type.is_empty()).then_some(GatewayResponses { by_type })
    }
}

/// The response type of a gateway-made answer, from its status, AWS error
/// type and reason.
pub fn response_type(status: StatusCode, error_type: &str, reason: Option<Reason>) -> &'static str {
    match reason {
        Some(Reason::BadRequestBody) => return "BAD_REQUEST_BODY",
        Some(Reason::BadRequestParameters) => return "BAD_REQUEST_PARAMETERS",
        _ => {}
    }
    match error_type {
        "MissingAuthenticationTokenException" => "MISSING_AUTHENTICATION_TOKEN",
        "ForbiddenException" => "INVALID_API_KEY",
        "TooManyRequestsException" => "THROTTLED",
        "LimitExceededException" => "QUOTA_EXCEEDED",
        "RequestTooLongException" => "REQUEST_TOO_LARGE",
        "IntegrationTimeoutException" => "INTEGRATION_TIMEOUT",
        "UnsupportedMediaTypeException" => "UNSUPPORTED_MEDIA_TYPE",
        "InternalServerErrorException" if status == StatusCode::BAD_GATEWAY => "INTEGRATION_FAILURE",
        "InternalServerErrorException" => "API_CONFIGURATION_ERROR",
        _ if status.is_server_error() => "DEFAULT_5XX",
        _ => "DEFAULT_4XX",
    }
}

/// What a gateway response reads from the request.
pub struct Asked<'a> {
    pub parts: &'a http::request::Parts,
    pub params: &'a [(String, String)],
    /// `$context` (as mapping templates see it), without `error`.
    pub context: Value,
    pub stage_variables: &'a [(String, String)],
}

/// Rewrites `res` (a gateway-made answer) with `responses`, reading the request through `asked`.
pub fn rewrite(responses: &GatewayResponses, res: Response<GwBody>, reason: Option<Reason>, asked: &Asked<'_>) -> Response<GwBody> {
    let Some(made) = res.extensions().get::<GatewayMade>().cloned() else { return res };
    let error_type = res.headers().get("x-amzn-errortype").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let kind = response_type(res.status(), &error_type, reason);
    let class = if res.status().is_server_error() { "DEFAULT_5XX" } else { "DEFAULT_4XX" };
    let (custom, own) = match responses.by_type.get(kind) {
        Some(c) => (c, true),
        None => match responses.by_type.get(class) {
            Some(c) => (c, false),
            None => return res,
        },
    };
    let (mut parts, _) = res.into_parts();
    // A default class's status never replaces a type's own.
    if let Some(s) = custom.status.filter(|_| own) {
        parts.status = s;
    }
    let mut context = asked.context.clone();
    if let Value::Object(o) = &mut context {
        o.insert(
            "error".into(),
            serde_json::json!({
                "message": &*made.message,
                "messageString": Value::String(made.message.to_string()).to_string(),
                "responseType": kind,
            }),
        );
    }
    for (name, source) in &custom.headers {
        let value = match source {
            HeaderSource::Static(v) => Some(v.clone()),
            HeaderSource::RequestHeader(n) => asked.parts.headers.get(n).cloned(),
            HeaderSource::Query(n) => form_urlencoded::parse(asked.parts.uri.query().unwrap_or("").as_bytes())
                .find(|(k, _)| k == n.as_str())
                .and_then(|(_, v)| HeaderValue::try_from(v.as_ref()).ok()),
            HeaderSource::Path(n) => asked.params.iter().find(|(k, _)| k == n).and_then(|(_, v)| HeaderValue::try_from(v.as_str()).ok()),
            HeaderSource::Context(path) => lookup(&context, path).and_then(|s| HeaderValue::try_from(s).ok()),
            HeaderSource::StageVariable(n) => {
                asked.stage_variables.iter().find(|(k, _)| k == n).and_then(|(_, v)| HeaderValue::try_from(v.as_str()).ok())
            }
        };
        if let Some(v) = value {
            parts.headers.insert(name.clone(), v);
        }
    }
    let accept = asked.parts.headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    let chosen = by_accept(&custom.templates, accept);
    let body = match chosen {
        Some((ct, template)) => {
            if let Ok(v) = HeaderValue::try_from(ct.as_str()) {
                parts.headers.insert(header::CONTENT_TYPE, v);
            }
            substitute(template, &context, asked.stage_variables)
        }
        // A customised type with no template keeps AWS's default body.
        None => substitute(DEFAULT_TEMPLATE, &context, asked.stage_variables),
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, full(body))
}

/// A value of `$context` by its dotted path, as text.
fn lookup(context: &Value, path: &[String]) -> Option<String> {
    let mut v = context;
    for p in path {
        v = v.get(p)?;
    }
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// Replaces `$context.a.b`, `${context.a.b}` and `$stageVariables.x` (also
/// braced) with their values; an unknown one is replaced by nothing, as
/// AWS does. Nothing else of VTL is read.
pub fn substitute(template: &str, context: &Value, vars: &[(String, String)]) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let (braced, body) = match after.strip_prefix('{') {
            Some(b) => (true, b),
            None => (false, after),
        };
        let len = body.bytes().take_while(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'.' || *b == b'-').count();
        let mut name = &body[..len];
        // A sentence's full stop is not part of the name.
        while !braced && name.ends_with('.') {
            name = &name[..name.len() - 1];
        }
        let closes = !braced || body[name.len()..].starts_with('}');
        let value = match name.split_once('.') {
            Some(("context", path)) if closes => {
                Some(lookup(context, &path.split('.').map(str::to_string).collect::<Vec<_>>()).unwrap_or_default())
            }
            Some(("stageVariables", n)) if closes => Some(vars.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone()).unwrap_or_default()),
            _ => None,
        };
        match value {
            Some(v) => {
                out.push_str(&v);
                rest = &body[name.len() + usize::from(braced)..];
            }
            None => {
                out.push('$');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitution_is_plain_text() {
        let ctx = serde_json::json!({"requestId": "r1", "error": {"messageString": "\"Forbidden\"", "responseType": "INVALID_API_KEY"}});
        let vars = vec![("env".to_string(), "prod".to_string())];
        assert_eq!(
            substitute(
                "{\"m\": $context.error.messageString, \"t\": \"${context.error.responseType}\", \"id\": \"$context.requestId\"}",
                &ctx,
                &vars
            ),
            "{\"m\": \"Forbidden\", \"t\": \"INVALID_API_KEY\", \"id\": \"r1\"}"
        );
        assert_eq!(substitute("env $stageVariables.env. $context.nope|$5 #if($x) $", &ctx, &vars), "env prod. |$5 #if($x) $");
    }

    #[test]
    fn types_follow_the_refusal() {
        assert_eq!(response_type(StatusCode::FORBIDDEN, "ForbiddenException", Some(Reason::KeyMissing)), "INVALID_API_KEY");
        assert_eq!(response_type(StatusCode::BAD_GATEWAY, "InternalServerErrorException", None), "INTEGRATION_FAILURE");
        assert_eq!(response_type(StatusCode::BAD_REQUEST, "BadRequestException", Some(Reason::BadRequestBody)), "BAD_REQUEST_BODY");
        assert_eq!(response_type(StatusCode::BAD_REQUEST, "BadRequestException", None), "DEFAULT_4XX");
    }

    #[test]
    fn sources() {
        assert_eq!(parse_source("'a'"), Ok(HeaderSource::Static(HeaderValue::from_static("a"))));
        assert_eq!(parse_source("method.request.header.Origin"), Ok(HeaderSource::RequestHeader(HeaderName::from_static("origin"))));
        assert!(parse_source("integration.response.header.x").is_err());
    }
}
