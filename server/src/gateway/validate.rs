//! The validate stage: a method's request validator checks the required
//! request parameters and the body against the method's model (JSON Schema
//! draft 4, compiled with the stage by the `jsonschema` crate, `$ref`s to
//! the API's other models resolved by AWS's model URLs), before the
//! integration runs. Answers as AWS does: `400 Missing required request
//! parameters: [..]` and `400 Invalid request body`.

use std::collections::HashMap;
use std::sync::Arc;

use apigw_app::model::{Method, Model, RequestValidator};
use serde_json::Value;

use super::execlog::ExecLog;
use super::record::Trace;
use super::snapshot::{CompiledMethod, Params};
use super::transform::media_type;
use super::{gateway_error, Refusal};
use crate::metrics::reason::Reason;

/// The validate stage, for live traffic and the Test button alike: `Err`
/// is AWS's 400 for the first check that fails.
pub(crate) fn stage(
    method: &CompiledMethod,
    parts: &http::request::Parts,
    params: &Params,
    body: &[u8],
    trace: &mut Trace,
    log: Option<&mut ExecLog>,
) -> Result<(), Refusal> {
    let Some(v) = &method.validation else { return Ok(()) };
    let err = match v.check(parts, params, body) {
        Ok(()) => {
            if let Some(log) = log {
                log.line("Request validation succeeded");
            }
            return Ok(());
        }
        Err(e) => e,
    };
    let (reason, message, detail) = match err {
        Invalid::Params(names) => {
            let m = format!("Missing required request parameters: [{}]", names.join(", "));
            (Reason::BadRequestParameters, m.clone(), m)
        }
        Invalid::Body(why) => (Reason::BadRequestBody, "Invalid request body".to_string(), why),
    };
    tracing::debug!(resource = %method.resource_path, verb = %method.verb, "request validation failed: {detail}");
    if let Some(log) = log {
        log.line(detail.clone());
        log.line("Request validation failed");
    }
    trace.reason = Some(reason);
    trace.detail = Some(detail.into());
    Err(Box::new(gateway_error(http::StatusCode::BAD_REQUEST, "BadRequestException", &message)))
}

/// A method's checks, compiled.
pub struct Validation {
    /// Required parameters (`method.request.header.X` ...), when the validator checks parameters.
    required: Vec<Required>,
    /// Body schemas by media type (`$default` for any other), when it checks bodies.
    bodies: Vec<(Box<str>, Arc<jsonschema::Validator>)>,
}

impl std::fmt::Debug for Validation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Validation").field("required", &self.required).field("bodies", &self.bodies.len()).finish()
    }
}

#[derive(Debug)]
enum Required {
    Path(String),
    Query(String),
    Header(String),
}

/// Why a request failed validation.
#[derive(Debug, PartialEq, Eq)]
pub enum Invalid {
    /// The names of the required parameters missing, in the method's order.
    Params(Vec<String>),
    /// What is wrong with the body (for the logs; the caller gets AWS's fixed text).
    Body(String),
}

/// AWS's URL for model `name` of API `api`, the form a `$ref` names it by.
pub fn model_url(api: &str, name: &str) -> String {
    format!("https://apigateway.amazonaws.com/restapis/{api}/models/{name}")
}

/// Resolves `$ref`s to the API's own models (and nothing else: no network).
struct Models(HashMap<String, Value>);

impl jsonschema::Retrieve for Models {
    fn retrieve(&self, uri: &jsonschema::Uri<String>) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let s = uri.as_str();
        self.0.get(s.trim_end_matches('#')).cloned().ok_or_else(|| format!("{s} is not a model of this API").into())
    }
}

impl Validation {
    /// The checks of `method`, or `None` when it names no validator (or one
    /// that checks nothing). An error says why the configuration cannot be
    /// used (an unknown validator or model, a schema that does not compile).
    pub fn compile(api: &str, method: &Method, models: &[Model], validators: &[RequestValidator]) -> Result<Option<Validation>, String> {
        let Some(vid) = method.request_validator_id.as_deref().filter(|v| !v.is_empty()) else {
            return Ok(None);
        };
        let v = validators.iter().find(|v| v.id == vid).ok_or_else(|| format!("the request validator {vid} does not exist"))?;
        if !v.validate_request_body && !v.validate_request_parameters {
            return Ok(None);
        }
        let mut required = Vec::new();
        if v.validate_request_parameters {
            for (key, _) in method.request_parameters.iter().filter(|(_, req)| **req) {
                let rest = key.strip_prefix("method.request.").unwrap_or(key);
                let (kind, name) = rest.split_once('.').unwrap_or(("", rest));
                required.push(match kind {
                    "path" => Required::Path(name.to_string()),
                    "querystring" | "multivaluequerystring" => Required::Query(name.to_string()),
                    "header" | "multivalueheader" => Required::Header(name.to_string()),
                    _ => continue,
                });
            }
        }
        let mut bodies = Vec::new();
        if v.validate_request_body && !method.request_models.is_empty() {
            let parsed: HashMap<String, Value> =
                models.iter().filter_map(|m| Some((model_url(api, &m.name), serde_json::from_str(m.schema.as_deref()?).ok()?))).collect();
            let retriever = Models(parsed.clone());
            let mut options = jsonschema::draft4::options();
            options = options.with_retriever(retriever);
            for (ct, name) in &method.request_models {
                let schema =
                    parsed.get(&model_url(api, name)).ok_or_else(|| format!("the model {name} ({ct}) does not exist or has no schema"))?;
                let compiled = options.build(schema).map_err(|e| format!("the model {name} is not a valid JSON Schema draft 4: {e}"))?;
                bodies.push((media_type(ct).into_boxed_str(), Arc::new(compiled)));
            }
        }
        if required.is_empty() && bodies.is_empty() {
            return Ok(None);
        }
        Ok(Some(Validation { required, bodies }))
    }

    /// Checks one request, parameters first (as AWS does).
    pub fn check(&self, parts: &http::request::Parts, params: &Params, body: &[u8]) -> Result<(), Invalid> {
        let mut missing = Vec::new();
        for r in &self.required {
            let present = match r {
                Required::Path(n) => params.iter().any(|(k, v)| k == n && !v.is_empty()),
                Required::Query(n) => form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes()).any(|(k, _)| k == n.as_str()),
                Required::Header(n) => parts.headers.contains_key(n.as_str()),
            };
            if !present {
                missing.push(match r {
                    Required::Path(n) | Required::Query(n) | Required::Header(n) => n.clone(),
                });
            }
        }
        if !missing.is_empty() {
            return Err(Invalid::Params(missing));
        }
        if self.bodies.is_empty() {
            return Ok(());
        }
        let media = parts
            .headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(media_type)
            .unwrap_or_else(|| "application/json".into());
        let Some((_, schema)) =
            self.bodies.iter().find(|(ct, _)| **ct == *media).or_else(|| self.bodies.iter().find(|(ct, _)| &**ct == "$default"))
        else {
            return Ok(());
        };
        // An empty body is an empty object to the schema, as AWS reads it.
        let doc: Value = match body.iter().all(u8::is_ascii_whitespace) {
            true => Value::Object(Default::default()),
            false => serde_json::from_slice(body).map_err(|e| Invalid::Body(format!("the body is not JSON: {e}")))?,
        };
        // The common case, a valid body, collects nothing.
        if schema.is_valid(&doc) {
            return Ok(());
        }
        let errors: Vec<String> = schema
            .iter_errors(&doc)
            .take(5)
            .map(|e| {
                let at = e.instance_path().to_string();
                match at.is_empty() {
                    true => e.to_string(),
                    false => format!("{e} (at {at})"),
                }
            })
            .collect();
        match errors.is_empty() {
            true => Ok(()),
            false => {
                Err(Invalid::Body(format!("Request body does not match model schema for content type {media}: [{}]", errors.join(", "))))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn model(name: &str, schema: &str) -> Model {
        Model {
            id: name.into(),
            name: name.into(),
            description: None,
            schema: Some(schema.into()),
            content_type: Some("application/json".into()),
        }
    }

    fn method(params: &[(&str, bool)], models: &[(&str, &str)]) -> Method {
        serde_json::from_value(serde_json::json!({
            "httpMethod": "POST", "authorizationType": "NONE", "apiKeyRequired": false,
            "requestValidatorId": "v1",
            "requestParameters": params.iter().map(|(k, v)| (k.to_string(), *v)).collect::<BTreeMap<_, _>>(),
            "requestModels": models.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<BTreeMap<_, _>>(),
        }))
        .unwrap()
    }

    fn validator(body: bool, params: bool) -> Vec<RequestValidator> {
        vec![RequestValidator { id: "v1".into(), name: None, validate_request_body: body, validate_request_parameters: params }]
    }

    fn parts(uri: &str, headers: &[(&str, &str)]) -> http::request::Parts {
        let mut b = http::Request::builder().uri(uri);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(()).unwrap().into_parts().0
    }

    #[test]
    fn required_parameters_are_named_when_missing() {
        let m = method(
            &[("method.request.querystring.q", true), ("method.request.header.X-Id", true), ("method.request.querystring.opt", false)],
            &[],
        );
        let v = Validation::compile("a", &m, &[], &validator(false, true)).unwrap().unwrap();
        assert_eq!(v.check(&parts("/x", &[]), &vec![], b""), Err(Invalid::Params(vec!["X-Id".into(), "q".into()])));
        assert_eq!(v.check(&parts("/x?q=", &[("x-id", "1")]), &vec![], b""), Ok(()), "an empty value is present");
        // A validator that checks only bodies ignores the parameters.
        assert!(Validation::compile("a", &m, &[], &validator(true, false)).unwrap().is_none());
    }

    #[test]
    fn bodies_follow_the_model_and_its_refs() {
        let pet = model(
            "Pet",
            r#"{"$schema": "http://json-schema.org/draft-04/schema#", "type": "object", "required": ["name"],
                "properties": {"name": {"type": "string"}, "owner": {"$ref": "https://apigateway.amazonaws.com/restapis/a/models/Owner"}}}"#,
        );
        let owner = model("Owner", r#"{"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}}}"#);
        let m = method(&[], &[("application/json", "Pet")]);
        let v = Validation::compile("a", &m, &[pet, owner], &validator(true, false)).unwrap().unwrap();
        let json = parts("/x", &[("content-type", "application/json; charset=utf-8")]);
        assert_eq!(v.check(&json, &vec![], br#"{"name": "rex", "owner": {"id": 4}}"#), Ok(()));
        let Err(Invalid::Body(why)) = v.check(&json, &vec![], br#"{"name": "rex", "owner": {"id": "x"}}"#) else { panic!() };
        assert!(why.contains("/owner/id"), "{why}");
        assert!(matches!(v.check(&json, &vec![], br#"{"owner": {"id": 1}}"#), Err(Invalid::Body(_))));
        assert!(matches!(v.check(&json, &vec![], b"not json"), Err(Invalid::Body(w)) if w.contains("not JSON")));
        assert!(matches!(v.check(&parts("/x", &[]), &vec![], b"{}"), Err(Invalid::Body(_))), "no Content-Type reads as JSON");
        assert_eq!(v.check(&parts("/x", &[("content-type", "text/plain")]), &vec![], b"hi"), Ok(()), "no model for text/plain");
    }

    #[test]
    fn broken_configurations_say_why() {
        let m = method(&[], &[("application/json", "Nope")]);
        assert!(Validation::compile("a", &m, &[], &validator(true, false)).unwrap_err().contains("the model Nope"));
        assert!(Validation::compile("a", &m, &[], &[]).unwrap_err().contains("request validator v1 does not exist"));
        let bad = model("Nope", r#"{"type": 12}"#);
        assert!(Validation::compile("a", &m, &[bad], &validator(true, false)).unwrap_err().contains("not a valid JSON Schema"));
    }
}
