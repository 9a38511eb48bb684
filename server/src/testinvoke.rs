//! TestInvokeMethod: runs one method of the current, undeployed
//! configuration through the gateway's own integration code — a real call to
//! the backend, or the mock — and returns the response with AWS's execution
//! log. Key checks and throttling are skipped and nothing is counted in the
//! stage's metrics, as in AWS.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Instant;

use apigw_app::error::AppError;
use apigw_app::model::{TestInvokeInput, TestInvokeOutput};
use apigw_app::rules;
use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method};
use http_body_util::BodyExt;

use crate::apis::Apis;
use crate::gateway::captured::Captured;
use crate::gateway::execlog::{body_text, headers_text, ExecLog};
use crate::gateway::limits::BucketPool;
use crate::gateway::snapshot::{compile, Params};
use crate::gateway::transform::RequestView;
use crate::gateway::{Gateway, GwBody, Trace, MAX_BODY};

/// Largest response body a test invoke returns (longer ones are cut and flagged).
pub const MAX_TEST_BODY: usize = 1024 * 1024;

/// Stage name the compiled test configuration is filed under (never served).
const TEST_STAGE: &str = "test-invoke-stage";

pub async fn test_invoke(
    apis: &Apis,
    gateway: &Gateway,
    api_id: &str,
    resource_id: &str,
    verb: &str,
    input: TestInvokeInput,
) -> Result<TestInvokeOutput, AppError> {
    let verb = rules::http_method(verb, "httpMethod")?;
    let resource = apis.resource(api_id, resource_id).await?;
    let method = resource
        .resource_methods
        .as_ref()
        .and_then(|m| m.get(&verb))
        .ok_or_else(|| AppError::NotFound("Invalid Method identifier specified".into()))?;
    if method.method_integration.is_none() {
        return Err(AppError::invalid(
            "integration",
            format!("No integration defined for method {verb} {}. Give it an integration first.", resource.path),
        ));
    }
    let vars = input.stage_variables.clone().unwrap_or_default();
    for (k, v) in &vars {
        rules::stage_variable(k, v)?;
    }

    // The path: the resource's own when none is given; it must fit the resource's template.
    let pwq = input.path_with_query_string.clone().filter(|p| !p.is_empty()).unwrap_or_else(|| resource.path.clone());
    if !pwq.starts_with('/') {
        return Err(AppError::invalid("pathWithQueryString", format!("pathWithQueryString must start with '/'; '{pwq}' does not.")));
    }
    let (path, query) = match pwq.split_once('?') {
        Some((p, q)) => (p.to_string(), Some(q.to_string())),
        None => (pwq.clone(), None),
    };
    // The current configuration: the resource with the API's models and validators.
    let current = Captured {
        resources: vec![resource.clone()],
        models: Some(apis.models(api_id).await?),
        request_validators: Some(apis.request_validators(api_id).await?),
        gateway_responses: None,
    };
    let compiled = compile(api_id, TEST_STAGE, "", &current, &vars, &BTreeMap::new(), &BucketPool::default());
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let mut params: Params = Vec::new();
    let matched = compiled.root.find(&segments, &mut params).filter(|r| r.resource_id == resource.id);
    let Some(route) = matched else {
        return Err(AppError::invalid(
            "pathWithQueryString",
            format!(
                "'{path}' does not fit the resource path {}. Give a value for each {{parameter}}, e.g. {}.",
                resource.path,
                example_path(&resource.path)
            ),
        ));
    };
    let compiled_method = route
        .method(if verb == "ANY" { "GET" } else { &verb })
        .cloned()
        .ok_or_else(|| AppError::NotFound("Invalid Method identifier specified".into()))?;

    // The request, as the gateway would have received it.
    let call_verb = if verb == "ANY" { Method::GET } else { Method::from_bytes(verb.as_bytes()).map_err(crate::auth::internal)? };
    let mut req = http::Request::builder().method(call_verb).uri(&pwq);
    for (k, v) in input.headers.iter().flatten() {
        req = req.header(header_name(k)?, header_value(k, v)?);
    }
    for (k, vs) in input.multi_value_headers.iter().flatten() {
        for v in vs {
            req = req.header(header_name(k)?, header_value(k, v)?);
        }
    }
    let body = input.body.clone().unwrap_or_default();
    let (parts, ()) = req
        .body(())
        .map_err(|e| AppError::invalid("pathWithQueryString", format!("'{pwq}' is not a valid path and query: {e}")))?
        .into_parts();

    let request_id = crate::metrics::RequestId::fresh();
    let mut log = ExecLog::default();
    log.line(format!("Starting execution for request: {request_id}"));
    log.line(format!("HTTP Method: {verb}, Resource Path: {path}"));
    log.line(format!("Method request path: {}", map_text(params.iter().map(|(k, v)| (k.as_str(), v.as_str())))));
    let query_pairs: Vec<(String, String)> = query
        .as_deref()
        .unwrap_or("")
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| kv.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())).unwrap_or((kv.to_string(), String::new())))
        .collect();
    log.line(format!("Method request query string: {}", map_text(query_pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))));
    log.line(format!("Method request headers: {}", headers_text(&parts.headers)));
    log.line(format!("Method request body before transformations: {}", body_text(body.as_bytes())));
    log.request_body = body_text(body.as_bytes());

    let started = Instant::now();
    let peer: SocketAddr = SocketAddr::from(([127, 0, 0, 1], 0));
    let mut trace = Trace::default();
    let key = parts.headers.get("x-api-key").and_then(|v| v.to_str().ok());
    let stage_vars: Vec<(String, String)> = vars.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    let view = RequestView {
        parts: &parts,
        params: &params,
        peer,
        request_id: request_id.as_str(),
        api_id,
        stage: TEST_STAGE,
        resource_id: &resource.id,
        resource_path: &resource.path,
        stage_path: &path,
        api_key: key,
        wall_us: crate::metrics::wall_us(started),
        stage_variables: &stage_vars,
    };
    let res = match crate::gateway::validate::stage(&compiled_method, &parts, &params, body.as_bytes(), &mut trace, Some(&mut log)) {
        Ok(()) => gateway.integrate(&compiled_method, &view, Bytes::from(body), &mut trace, Some(&mut log)).await,
        Err(refused) => *refused,
    };
    let (res_parts, res_body) = res.into_parts();
    let (bytes, failed) = read_body(res_body).await;
    let latency = started.elapsed().as_millis() as i64;
    let status = res_parts.status.as_u16();
    if let Some(why) = &failed {
        log.line(format!("Execution failed while reading the response body: {why}"));
    } else if trace.integration.is_some() || !status_is_gateway_error(&res_parts.headers) {
        let before = log.endpoint_body.take().unwrap_or_else(|| body_text(&bytes));
        log.line(format!("Endpoint response body before transformations: {before}"));
        log.line(format!("Method response body after transformations: {}", body_text(&bytes)));
        log.line(format!("Method response headers: {}", headers_text(&res_parts.headers)));
        log.line("Successfully completed execution");
    }
    log.line(format!("Method completed with status: {status}"));

    let mut headers = BTreeMap::new();
    let mut multi: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in &res_parts.headers {
        let v = String::from_utf8_lossy(v.as_bytes()).into_owned();
        headers.insert(k.as_str().to_string(), v.clone());
        multi.entry(k.as_str().to_string()).or_default().push(v);
    }
    let truncated = bytes.len() > MAX_TEST_BODY;
    let shown = if truncated { &bytes[..MAX_TEST_BODY] } else { &bytes[..] };
    Ok(TestInvokeOutput {
        status,
        body: String::from_utf8_lossy(shown).into_owned(),
        headers,
        multi_value_headers: multi,
        log: log.render(request_id.as_str()),
        latency,
        body_truncated: truncated,
    })
}

/// The response body, up to the payload limit: (bytes, why reading failed).
async fn read_body(mut body: GwBody) -> (Bytes, Option<String>) {
    let mut out = bytes::BytesMut::new();
    while let Some(frame) = body.frame().await {
        match frame {
            Ok(f) => {
                if let Some(d) = f.data_ref() {
                    if out.len() + d.len() > MAX_BODY {
                        return (out.freeze(), Some("the response body is larger than 10 MB".into()));
                    }
                    out.extend_from_slice(d);
                }
            }
            Err(e) => return (out.freeze(), Some(e.to_string())),
        }
    }
    (out.freeze(), None)
}

/// Checks a dry run's input and asks the gateway what the stage would do.
pub async fn dry_run(
    deploys: &crate::deploy::Deploys,
    gateway: &Gateway,
    api_id: &str,
    stage: &str,
    input: apigw_app::model::DryRunInput,
) -> Result<apigw_app::model::StageTrace, AppError> {
    deploys.stage(api_id, stage).await?;
    let verb = rules::http_method(&input.http_method, "httpMethod")?;
    if verb == "ANY" {
        return Err(AppError::invalid("httpMethod", "Pick the verb a caller would send (GET, POST, …); ANY is not one."));
    }
    let path = if input.path_with_query_string.is_empty() { "/".to_string() } else { input.path_with_query_string.clone() };
    if !path.starts_with('/') {
        return Err(AppError::invalid("pathWithQueryString", format!("pathWithQueryString must start with '/'; '{path}' does not.")));
    }
    Ok(gateway.dry_run(api_id, stage, &verb, &path, input.api_key.as_deref().filter(|k| !k.is_empty())))
}

/// True for the gateway's own error answers (they carry `x-amzn-ErrorType`).
fn status_is_gateway_error(h: &http::HeaderMap) -> bool {
    h.contains_key("x-amzn-errortype")
}

fn map_text<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let inner: Vec<String> = pairs.map(|(k, v)| format!("{k}={v}")).collect();
    format!("{{{}}}", inner.join(", "))
}

/// `/pets/{id}` → `/pets/1`, `/files/{path+}` → `/files/a/b`.
fn example_path(template: &str) -> String {
    template
        .split('/')
        .map(|s| {
            if s.ends_with("+}") {
                "a/b"
            } else if s.starts_with('{') {
                "1"
            } else {
                s
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn header_name(k: &str) -> Result<HeaderName, AppError> {
    HeaderName::from_bytes(k.as_bytes()).map_err(|_| AppError::invalid("headers", format!("'{k}' is not a valid header name.")))
}

fn header_value(k: &str, v: &str) -> Result<HeaderValue, AppError> {
    HeaderValue::from_str(v).map_err(|_| AppError::invalid("headers", format!("The value of header '{k}' is not a valid header value.")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_paths() {
        assert_eq!(example_path("/pets/{id}"), "/pets/1");
        assert_eq!(example_path("/files/{path+}"), "/files/a/b");
        assert_eq!(example_path("/"), "/");
    }
}
