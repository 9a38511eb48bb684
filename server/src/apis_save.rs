//! The console's method form, saved in one go by the control API's own
//! operations (PutIntegration, PutIntegrationResponse…) and rules. Every
//! rule is checked before the first write, so a refused form changes nothing.

use std::collections::BTreeMap;

use apigw_app::error::AppError;
use apigw_app::model::{
    mock_request_template, Method, MethodSettings, PutIntegrationInput, PutIntegrationResponseInput, PutMethodResponseInput,
};
use apigw_app::rules;

use crate::apis::{not_found, response_header_name, Apis};

impl Apis {
    /// Saves the console's method editor in one go. Every rule is checked
    /// before the first write, so a refused form changes nothing.
    pub async fn save_method(&self, api_id: &str, resource_id: &str, verb: &str, s: MethodSettings) -> Result<Method, AppError> {
        let kind = rules::integration_type(&s.integration_type)?;
        rules::timeout_ms(s.timeout_ms)?;
        let mock = kind == "MOCK";
        if mock {
            rules::status_code(&s.mock_status)?;
            for (name, value) in &s.mock_headers {
                response_header_name(&format!("method.response.header.{name}"))?;
                if value.contains('\'') || value.chars().any(char::is_control) {
                    return Err(AppError::invalid(
                        "responseParameters",
                        format!("The value of header {name} must not contain quotes or control characters."),
                    ));
                }
            }
            if s.mock_body.len() > 64 * 1024 {
                return Err(AppError::invalid("responseTemplates", "The mock body must be at most 64 KB."));
            }
            // The body is a response mapping template, as in AWS: check it before the first write.
            let body = BTreeMap::from([("application/json".to_string(), s.mock_body.clone())]);
            crate::apis_integration::templates("responseTemplates", &body)?;
        } else {
            if s.uri.trim().is_empty() {
                return Err(AppError::invalid(
                    "uri",
                    format!("uri is required for {kind} integrations, e.g. http://backend.internal/pets/{{id}}."),
                ));
            }
            rules::endpoint_uri(s.uri.trim())?;
            rules::integration_method(&s.integration_method)?;
        }
        let http = kind == "HTTP";
        if http {
            rules::http_responses(&s.http_responses)?;
            let one = |t: &str| BTreeMap::from([("application/json".to_string(), t.to_string())]);
            crate::apis_integration::templates("requestTemplates", &one(s.request_template.as_deref().unwrap_or_default()))?;
            crate::apis_integration::templates("responseTemplates", &one(s.response_template.as_deref().unwrap_or_default()))?;
            for (pattern, _) in s.http_responses.iter().filter(|(p, _)| !p.is_empty()) {
                crate::gateway::snapshot::selection_regex(pattern).map_err(|e| {
                    AppError::invalid("integrationResponses", format!("Responses: '{pattern}' is not a valid regular expression: {e}"))
                })?;
            }
        }
        // Read before the integration is replaced (which drops its responses).
        let method = self.method(api_id, resource_id, verb).await?;
        let request = self.method_request(api_id, &method, &s).await?;
        let mappings = match (&s.parameter_mappings, mock) {
            (Some(rows), false) => Some(mapping_rows(rows, &request.request_parameters)?),
            _ => None,
        };

        // What the form does not show (templates, parameter mappings and
        // passthrough set with the CLI, a MOCK's other responses) is kept
        // while the integration keeps its type.
        let old = method.method_integration.as_ref().filter(|i| i.kind == kind);
        let request_templates = match (mock, old) {
            (true, Some(o)) if o.request_templates.get("application/json").is_some_and(|t| !is_plain_mock_template(t)) => {
                Some(o.request_templates.clone())
            }
            (true, _) => Some(BTreeMap::from([("application/json".to_string(), mock_request_template(&s.mock_status))])),
            (false, o) => {
                let mut t = o.map(|o| o.request_templates.clone()).unwrap_or_default();
                // The form edits the HTTP integration's JSON template; others stay.
                if let Some(form) = s.request_template.as_ref().filter(|_| http) {
                    match form.trim().is_empty() {
                        true => t.remove("application/json"),
                        false => t.insert("application/json".to_string(), form.clone()),
                    };
                }
                Some(t)
            }
        };
        let passthrough = match s.passthrough.trim() {
            "" => old.map(|o| o.passthrough_behavior.clone()),
            p => Some(p.to_string()),
        };
        let input = PutIntegrationInput {
            kind: Some(kind),
            integration_http_method: (!mock).then(|| s.integration_method.clone()),
            uri: (!mock).then(|| s.uri.trim().to_string()),
            timeout_in_millis: Some(s.timeout_ms),
            request_templates,
            request_parameters: mappings.or_else(|| old.map(|o| o.request_parameters.clone())),
            passthrough_behavior: passthrough,
            ..Default::default()
        };
        // The method first: the integration's mappings are checked against
        // the parameters it declares.
        if request != method {
            self.store.update_method(api_id, resource_id, &request).await.map_err(not_found("Method"))?;
        }
        self.put_integration(api_id, resource_id, &method.http_method, input).await?;
        if http {
            // Each status keeps the header mappings and templates it had (set
            // with the CLI, say); only its pattern comes from the form.
            let before = method.method_integration.as_ref().and_then(|i| i.integration_responses.clone()).unwrap_or_default();
            for (pattern, status) in &s.http_responses {
                let status = status.trim();
                if !method.method_responses.as_ref().is_some_and(|r| r.contains_key(status)) {
                    self.put_method_response(api_id, resource_id, verb, status, PutMethodResponseInput::default()).await?;
                }
                let old = before.get(status);
                let mut templates = old.map(|o| o.response_templates.clone()).unwrap_or_default();
                // The form's response template is the default response's.
                if let Some(form) = s.response_template.as_ref().filter(|_| pattern.is_empty()) {
                    match form.trim().is_empty() {
                        true => templates.remove("application/json"),
                        false => templates.insert("application/json".to_string(), form.clone()),
                    };
                }
                let input = PutIntegrationResponseInput {
                    selection_pattern: Some(pattern.clone()).filter(|p| !p.is_empty()),
                    response_parameters: old.map(|o| o.response_parameters.clone()),
                    response_templates: Some(templates),
                };
                self.put_integration_response(api_id, resource_id, verb, status, input).await?;
            }
        }
        if mock {
            // The MOCK's other responses (a 404 its template selects, say) stay.
            for (status, r) in old.and_then(|o| o.integration_responses.clone()).unwrap_or_default() {
                if status != s.mock_status && r.selection_pattern.as_deref().is_some_and(|p| !p.is_empty()) {
                    let input = PutIntegrationResponseInput {
                        selection_pattern: r.selection_pattern,
                        response_parameters: Some(r.response_parameters),
                        response_templates: Some(r.response_templates),
                    };
                    self.put_integration_response(api_id, resource_id, verb, &status, input).await?;
                }
            }
            let header_key = |n: &str| format!("method.response.header.{n}");
            let declared = s.mock_headers.iter().map(|(n, _)| (header_key(n), false)).collect();
            self.put_method_response(
                api_id,
                resource_id,
                verb,
                &s.mock_status,
                PutMethodResponseInput { response_parameters: Some(declared), response_models: None },
            )
            .await?;
            let params = s.mock_headers.iter().map(|(n, v)| (header_key(n), format!("'{v}'"))).collect();
            self.put_integration_response(
                api_id,
                resource_id,
                verb,
                &s.mock_status,
                PutIntegrationResponseInput {
                    selection_pattern: None,
                    response_parameters: Some(params),
                    response_templates: Some(BTreeMap::from([("application/json".to_string(), s.mock_body.clone())])),
                },
            )
            .await?;
        }
        self.method(api_id, resource_id, verb).await
    }

    /// The method as the form's method request (API key, validator, model,
    /// declared parameters) makes it, every rule checked; nothing written.
    async fn method_request(&self, api_id: &str, method: &Method, s: &MethodSettings) -> Result<Method, AppError> {
        let mut m = Method { api_key_required: s.api_key_required, ..method.clone() };
        if let Some(v) = &s.request_validator {
            let v = v.trim();
            if !v.is_empty() {
                self.check_validator_exists(api_id, v).await?;
            }
            m.request_validator_id = Some(v.to_string()).filter(|v| !v.is_empty());
        }
        if let Some(name) = &s.request_model {
            let name = name.trim();
            if name.is_empty() {
                m.request_models.remove("application/json");
            } else {
                let wanted = BTreeMap::from([("application/json".to_string(), name.to_string())]);
                self.check_models_exist(api_id, &wanted).await.map_err(|e| AppError::invalid("requestModels", e.to_string()))?;
                m.request_models.extend(wanted);
            }
        }
        if let Some(rows) = &s.request_parameters {
            let mut declared = BTreeMap::new();
            for (key, required) in rows {
                let key = key.trim();
                rules::method_request_parameter(key)?;
                if declared.insert(key.to_string(), *required).is_some() {
                    return Err(AppError::invalid("requestParameters", format!("The request parameter {key} is listed twice.")));
                }
            }
            m.request_parameters = declared;
        }
        Ok(m)
    }
}

/// The form's parameter mappings as PutIntegration's `requestParameters`,
/// checked by its rules against the parameters the method declares. Errors
/// name the form's own field, so the page shows them by the mappings (the
/// method's declared parameters share AWS's field name).
fn mapping_rows(rows: &[(String, String)], declared: &BTreeMap<String, bool>) -> Result<BTreeMap<String, String>, AppError> {
    let field = "parameterMappings";
    let mut map = BTreeMap::new();
    for (target, source) in rows {
        let (target, source) = (target.trim(), source.trim());
        if target.is_empty() && source.is_empty() {
            continue;
        }
        if source.is_empty() {
            return Err(AppError::invalid(field, format!("The mapping to {target} has no source, e.g. method.request.querystring.user.")));
        }
        if map.insert(target.to_string(), source.to_string()).is_some() {
            return Err(AppError::invalid(field, format!("{target} is mapped twice.")));
        }
    }
    crate::apis_integration::request_mappings(&map, declared).map_err(|e| AppError::invalid(field, e.to_string()))?;
    Ok(map)
}

/// Whether a MOCK's request template is the console's own (`{"statusCode": N}`
/// and nothing else), which the form rewrites; any other is the user's.
fn is_plain_mock_template(t: &str) -> bool {
    match serde_json::from_str::<serde_json::Value>(t) {
        Ok(serde_json::Value::Object(o)) => o.len() == 1 && o.get("statusCode").is_some_and(serde_json::Value::is_number),
        _ => t.trim().is_empty(),
    }
}
