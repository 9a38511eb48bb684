//! The console's "Try it" for a mapping template: the text as typed, parsed
//! (a syntax error comes back with its line and column, for the editor to
//! mark) and rendered against a sample request with the gateway's own
//! `$input`/`$context`/`$stageVariables` and bounds. No backend is called.

use std::net::SocketAddr;

use apigw_app::error::AppError;
use apigw_app::model::{TemplateError, TemplateTryInput, TemplateTryOutput};
use apigw_app::rules;
use http::{HeaderName, HeaderValue};

use crate::apis::Apis;
use crate::gateway::snapshot::Params;
use crate::gateway::transform::{self, RequestView};
use crate::vtl::Template;

/// Largest template or sample body "Try it" takes (AWS's template limit).
const MAX_INPUT: usize = 300 * 1024;

pub async fn try_template(apis: &Apis, api_id: &str, resource_id: &str, input: TemplateTryInput) -> Result<TemplateTryOutput, AppError> {
    if input.template.len() > MAX_INPUT || input.body.len() > MAX_INPUT {
        return Err(AppError::invalid("template", "The template and the sample body must each be at most 300 KB."));
    }
    let resource = apis.resource(api_id, resource_id).await?;
    let template = match Template::parse(&input.template) {
        Ok(t) => t,
        Err(e) => {
            return Ok(TemplateTryOutput {
                parse_error: Some(TemplateError { line: e.line, column: e.column, message: e.message }),
                ..Default::default()
            })
        }
    };
    let pwq = input.path_with_query_string.clone().filter(|p| !p.is_empty()).unwrap_or_else(|| resource.path.clone());
    let path = pwq.split('?').next().unwrap_or("/").to_string();
    let params = match_params(&resource.path, &path)
        .ok_or_else(|| AppError::invalid("pathWithQueryString", format!("'{path}' does not fit the resource path {}.", resource.path)))?;
    let mut req = http::Request::builder().method(http::Method::POST).uri(&pwq);
    for (k, v) in &input.headers {
        let name =
            HeaderName::try_from(k.as_str()).map_err(|_| AppError::invalid("headers", format!("'{k}' is not a valid header name.")))?;
        let value = HeaderValue::try_from(v.as_str())
            .map_err(|_| AppError::invalid("headers", format!("The value of {k} is not a valid header value.")))?;
        req = req.header(name, value);
    }
    let (parts, ()) = req
        .body(())
        .map_err(|e| AppError::invalid("pathWithQueryString", format!("'{pwq}' is not a valid path and query: {e}")))?
        .into_parts();
    for (k, v) in &input.stage_variables {
        rules::stage_variable(k, v)?;
    }
    let vars: Vec<(String, String)> = input.stage_variables.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    let request_id = crate::metrics::RequestId::fresh();
    let view = RequestView {
        parts: &parts,
        params: &params,
        peer: SocketAddr::from(([127, 0, 0, 1], 0)),
        request_id: request_id.as_str(),
        api_id,
        stage: "test-invoke-stage",
        resource_id: &resource.id,
        resource_path: &resource.path,
        stage_path: &path,
        api_key: parts.headers.get("x-api-key").and_then(|v| v.to_str().ok()),
        wall_us: crate::metrics::wall_us(std::time::Instant::now()),
        stage_variables: &vars,
    };
    let ctx = view.vtl_context(input.body.as_bytes());
    Ok(match template.render(&ctx, transform::limits()) {
        Ok(r) => TemplateTryOutput {
            output: Some(r.body),
            status_override: r.status_override,
            header_overrides: r.header_overrides,
            ..Default::default()
        },
        Err(e) => TemplateTryOutput { render_error: Some(e.to_string()), ..Default::default() },
    })
}

/// The path parameters of `path` under the resource path `template`
/// (`/pets/{id}`, `/files/{path+}`), or `None` when it does not fit.
fn match_params(template: &str, path: &str) -> Option<Params> {
    let t: Vec<&str> = template.split('/').filter(|s| !s.is_empty()).collect();
    let p: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let mut out = Vec::new();
    for (i, seg) in t.iter().enumerate() {
        if let Some(name) = seg.strip_prefix('{').and_then(|s| s.strip_suffix("+}")) {
            let rest = p.get(i..).filter(|r| !r.is_empty())?;
            out.push((name.to_string(), rest.join("/")));
            return Some(out);
        }
        let given = p.get(i)?;
        match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(name) => out.push((name.to_string(), given.to_string())),
            None if seg == given => {}
            None => return None,
        }
    }
    (p.len() == t.len()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_paths_fit_the_resource() {
        assert_eq!(match_params("/pets/{id}", "/pets/7"), Some(vec![("id".into(), "7".into())]));
        assert_eq!(match_params("/files/{p+}", "/files/a/b"), Some(vec![("p".into(), "a/b".into())]));
        assert_eq!(match_params("/files/{p+}", "/files"), None);
        assert_eq!(match_params("/pets", "/cats"), None);
        assert_eq!(match_params("/", "/"), Some(vec![]));
        assert_eq!(match_params("/pets", "/pets/1"), None);
    }
}
