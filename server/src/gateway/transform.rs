//! The mapping part of the integrate stage: mapping templates (the request
//! template chosen by the caller's Content-Type under the integration's
//! passthrough rule, the response template by its Accept), integration
//! request parameter mappings, and the `$input`/`$context`/`$stageVariables`
//! a template sees. Compiled with the stage, never per request; used alike
//! by live traffic and the console's Test button.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use http::{HeaderName, HeaderValue};

use super::limits::civil_from_days;
use super::snapshot::Params;
use crate::vtl::{self, Template};

/// The account id `$context.accountId` reports (apigw has no accounts).
pub const ACCOUNT_ID: &str = "000000000000";

/// What happens to a request body no template maps (AWS's `passthroughBehavior`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Passthrough {
    /// Unmapped content types pass through.
    WhenNoMatch,
    /// Pass through only when the integration has no templates at all.
    WhenNoTemplates,
    /// Never pass through: an unmapped content type is a 415.
    Never,
}

impl Passthrough {
    pub fn parse(s: &str) -> Self {
        match s {
            "WHEN_NO_TEMPLATES" => Passthrough::WhenNoTemplates,
            "NEVER" => Passthrough::Never,
            _ => Passthrough::WhenNoMatch,
        }
    }
}

/// Mapping templates by media type (lower case, without parameters). An
/// empty template maps nothing: the body passes as it is.
#[derive(Debug, Default)]
pub struct Templates {
    by_type: Vec<(Box<str>, Option<Arc<Template>>)>,
}

/// The media type of a `Content-Type` or `Accept` item: what comes before
/// any `;parameter`, trimmed, in lower case. The one rule for request and
/// response templates, models and gateway responses.
pub(crate) fn media_type(v: &str) -> String {
    v.split(';').next().unwrap_or("").trim().to_ascii_lowercase()
}

/// The entry (keyed by media type) a caller's `Accept` picks, as AWS picks
/// a response template: the first media type it lists that has one, else
/// `application/json`'s, else the first entry. Mapping templates and
/// gateway responses both choose by it.
pub(crate) fn by_accept<'e, K: AsRef<str>, V>(entries: &'e [(K, V)], accept: Option<&str>) -> Option<&'e (K, V)> {
    let get = |m: &str| entries.iter().find(|(ct, _)| ct.as_ref() == m);
    accept
        .into_iter()
        .flat_map(|a| a.split(','))
        .find_map(|m| get(&media_type(m)))
        .or_else(|| get("application/json"))
        .or_else(|| entries.first())
}

/// A parameter name as AWS's mapping expressions allow it (`[a-zA-Z0-9._$-]+`).
fn param_name_ok(n: &str) -> bool {
    !n.is_empty() && n.bytes().all(|b| b.is_ascii_alphanumeric() || b"._$-".contains(&b))
}

/// The one-line template that reads a mapping source from the body
/// (`{body}` itself, or `{body}.JSONPath`), `context.NAME` or
/// `stageVariables.NAME`, so the one VTL implementation reads them.
fn value_template(e: &str, body: &str) -> Option<String> {
    if e == body {
        return Some("$input.body".to_string());
    }
    if let Some(path) = e.strip_prefix(body).and_then(|r| r.strip_prefix('.')).filter(|p| !p.is_empty() && !p.contains('\'')) {
        return Some(format!("$input.path('$.{path}')"));
    }
    if let Some(n) = e.strip_prefix("context.").filter(|n| param_name_ok(n)) {
        return Some(format!("${{context.{n}}}"));
    }
    e.strip_prefix("stageVariables.").filter(|n| param_name_ok(n)).map(|n| format!("${{stageVariables.{n}}}"))
}

impl Templates {
    /// Parses every template of `map`; `field` names the map in the error
    /// (`requestTemplates`, `responseTemplates`), with the content type,
    /// line and column of the first template that does not parse.
    pub fn compile(field: &str, map: &BTreeMap<String, String>) -> Result<Templates, String> {
        let mut by_type = Vec::with_capacity(map.len());
        for (ct, src) in map {
            let t = match src.trim().is_empty() {
                true => None,
                false => Some(Arc::new(Template::parse(src).map_err(|e| format!("{field}['{ct}'] is not a valid mapping template: {e}"))?)),
            };
            by_type.push((media_type(ct).into_boxed_str(), t));
        }
        Ok(Templates { by_type })
    }

    pub fn is_empty(&self) -> bool {
        self.by_type.is_empty()
    }

    fn get(&self, media: &str) -> Option<&(Box<str>, Option<Arc<Template>>)> {
        self.by_type.iter().find(|(ct, _)| **ct == *media)
    }

    /// The response template for a caller's `Accept` ([`by_accept`]).
    /// Returns the content type the answer gets.
    pub fn for_accept(&self, accept: Option<&str>) -> Option<(&str, Option<&Template>)> {
        by_accept(&self.by_type, accept).map(|(ct, t)| (&**ct, t.as_deref()))
    }
}

/// What to do with a request body.
pub enum RequestBody<'t> {
    /// Render this template; its output is the integration request body.
    Render(&'t Template),
    /// Send the body as it came.
    Pass,
    /// Refuse with 415 Unsupported Media Type.
    Unsupported,
}

/// An integration's request templates and passthrough rule.
#[derive(Debug)]
pub struct RequestMapping {
    pub templates: Templates,
    pub passthrough: Passthrough,
}

impl RequestMapping {
    /// Chooses by the caller's `Content-Type` (`application/json` when it
    /// sent none, as AWS assumes).
    pub fn choose(&self, content_type: Option<&str>) -> RequestBody<'_> {
        // The common case (no templates) reads no header.
        if self.templates.is_empty() {
            return match self.passthrough {
                Passthrough::Never => RequestBody::Unsupported,
                _ => RequestBody::Pass,
            };
        }
        let media = content_type.map(media_type).unwrap_or_else(|| "application/json".into());
        match self.templates.get(&media) {
            Some((_, Some(t))) => RequestBody::Render(t),
            Some((_, None)) => RequestBody::Pass,
            None => match self.passthrough {
                Passthrough::WhenNoMatch => RequestBody::Pass,
                Passthrough::WhenNoTemplates if self.templates.is_empty() => RequestBody::Pass,
                _ => RequestBody::Unsupported,
            },
        }
    }
}

/// Bounds on one render on the gateway. A null reference prints nothing,
/// as API Gateway prints it (Velocity itself would print it as written).
pub fn limits() -> &'static vtl::Limits {
    static LIMITS: OnceLock<vtl::Limits> = OnceLock::new();
    LIMITS.get_or_init(|| vtl::Limits { quiet_nulls: true, ..vtl::Limits::default() })
}

/// The request as mapping templates and parameter mappings see it.
pub struct RequestView<'a> {
    pub parts: &'a http::request::Parts,
    /// Path parameters as matched (still percent-encoded).
    pub params: &'a Params,
    pub peer: SocketAddr,
    pub request_id: &'a str,
    pub api_id: &'a str,
    pub stage: &'a str,
    pub resource_id: &'a str,
    pub resource_path: &'a str,
    /// The path below the stage (`/pets/1`).
    pub stage_path: &'a str,
    /// The `x-api-key` the caller sent.
    pub api_key: Option<&'a str>,
    /// When the request began, µs since the epoch.
    pub wall_us: i64,
    pub stage_variables: &'a [(String, String)],
}

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned()
}

impl RequestView<'_> {
    /// `$input.params()`: path parameters decoded, the query string's
    /// pairs, the headers (in the order received).
    pub fn vtl_params(&self) -> vtl::Params {
        vtl::Params {
            path: self.params.iter().map(|(k, v)| (k.clone(), decode(v))).collect(),
            querystring: self.query_pairs(),
            header: self
                .parts
                .headers
                .iter()
                .map(|(k, v)| (k.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
                .collect(),
        }
    }

    fn query_pairs(&self) -> Vec<(String, String)> {
        form_urlencoded::parse(self.parts.uri.query().unwrap_or("").as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.parts.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `$context` as AWS documents it for REST APIs (the parts apigw has).
    pub fn context(&self) -> serde_json::Value {
        let host = self.header("host").unwrap_or("");
        let domain = host.rsplit_once(':').filter(|(_, p)| p.bytes().all(|b| b.is_ascii_digit())).map_or(host, |(h, _)| h);
        let secs = self.wall_us.div_euclid(1_000_000);
        let ip = self.peer.ip().to_string();
        serde_json::json!({
            "accountId": ACCOUNT_ID,
            "apiId": self.api_id,
            "deploymentId": serde_json::Value::Null,
            "domainName": domain,
            "domainPrefix": domain.split('.').next().unwrap_or(""),
            "extendedRequestId": self.request_id,
            "httpMethod": self.parts.method.as_str(),
            "identity": {
                "accountId": null,
                "apiKey": self.api_key,
                "apiKeyId": null,
                "caller": null,
                "sourceIp": ip,
                "user": null,
                "userAgent": self.header("user-agent"),
                "userArn": null,
            },
            "path": format!("/{}{}", self.stage, self.stage_path),
            "protocol": "HTTP/1.1",
            "requestId": self.request_id,
            "requestTime": request_time(secs),
            "requestTimeEpoch": self.wall_us / 1000,
            "resourceId": self.resource_id,
            "resourcePath": self.resource_path,
            "stage": self.stage,
        })
    }

    /// The whole context a template renders against, with `body` as `$input.body`.
    pub fn vtl_context(&self, body: &[u8]) -> vtl::Context {
        vtl::Context {
            // The fast check first: the lossy one walks the body in chunks
            // (a fifth of building the context for a 1 KB body).
            body: match std::str::from_utf8(body) {
                Ok(text) => text.to_owned(),
                Err(_) => String::from_utf8_lossy(body).into_owned(),
            },
            params: self.vtl_params(),
            context: self.context(),
            stage_variables: self.stage_variables.to_vec(),
        }
    }
}

/// `06/Dec/2026:21:05:03 +0000`, as `$context.requestTime` reads.
fn request_time(secs: i64) -> String {
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    format!("{d:02}/{}/{y}:{:02}:{:02}:{:02} +0000", MONTHS[(m - 1) as usize], rem / 3600, rem % 3600 / 60, rem % 60)
}

/// Where an integration request parameter goes.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    Path(String),
    Query(String),
    Header(HeaderName),
}

/// Where a mapped value comes from.
#[derive(Debug)]
pub enum Source {
    Path(String),
    Query(String),
    /// Every value, comma-joined.
    MultiQuery(String),
    Header(String),
    MultiHeader(String),
    /// `'text'`.
    Static(String),
    /// `context.*`, `stageVariables.*`, `method.request.body[.path]`: a
    /// one-line template (`$context.requestId`, `$input.path('$.a')`) so the
    /// one VTL implementation reads them.
    Template(Arc<Template>),
}

/// A source expression as AWS writes it, or why it is not one.
pub fn parse_source(expr: &str) -> Result<Source, String> {
    let e = expr.trim();
    if e.len() >= 2 && e.starts_with('\'') && e.ends_with('\'') {
        return Ok(Source::Static(e[1..e.len() - 1].to_string()));
    }
    let named = |prefix: &str| e.strip_prefix(prefix).filter(|n| param_name_ok(n)).map(str::to_string);
    if let Some(n) = named("method.request.path.") {
        return Ok(Source::Path(n));
    }
    if let Some(n) = named("method.request.querystring.") {
        return Ok(Source::Query(n));
    }
    if let Some(n) = named("method.request.multivaluequerystring.") {
        return Ok(Source::MultiQuery(n));
    }
    if let Some(n) = named("method.request.header.") {
        return Ok(Source::Header(n));
    }
    if let Some(n) = named("method.request.multivalueheader.") {
        return Ok(Source::MultiHeader(n));
    }
    let Some(template) = value_template(e, "method.request.body") else {
        return Err(format!(
            "'{e}' is not a mapping expression: use method.request.{{path|querystring|multivaluequerystring|header|multivalueheader}}.NAME, method.request.body[.JSONPath], context.NAME, stageVariables.NAME or a quoted 'static value'"
        ));
    };
    Template::parse(&template).map(|t| Source::Template(Arc::new(t))).map_err(|err| format!("'{e}' is not a mapping expression: {err}"))
}

/// Where a method response header's value comes from.
#[derive(Debug)]
pub enum ResponseSource {
    Static(HeaderValue),
    /// `integration.response.header.NAME` (or `multivalueheader`).
    Header(HeaderName),
    /// `integration.response.body[.JSONPath]`, `context.*`, `stageVariables.*`.
    Template(Arc<Template>),
}

/// An integration response's `responseParameters` value as AWS writes it, or why not.
pub fn parse_response_source(expr: &str) -> Result<ResponseSource, String> {
    let e = expr.trim();
    let bad = |why: &str| {
        format!(
            "'{e}' is not a response mapping expression{why}: use a quoted 'static value', integration.response.header.NAME, integration.response.multivalueheader.NAME, integration.response.body, integration.response.body.JSONPath, context.NAME or stageVariables.NAME"
        )
    };
    if e.len() >= 2 && e.starts_with('\'') && e.ends_with('\'') {
        return HeaderValue::try_from(&e[1..e.len() - 1]).map(ResponseSource::Static).map_err(|_| bad(" (not a valid header value)"));
    }
    if let Some(n) = e.strip_prefix("integration.response.header.").or_else(|| e.strip_prefix("integration.response.multivalueheader.")) {
        return HeaderName::try_from(n).map(ResponseSource::Header).map_err(|_| bad(""));
    }
    let Some(src) = value_template(e, "integration.response.body") else {
        return Err(bad(""));
    };
    Template::parse(&src).map(|t| ResponseSource::Template(Arc::new(t))).map_err(|err| bad(&format!(" ({err})")))
}

/// An integration request parameter name (`integration.request.header.X`), or why not.
pub fn parse_target(key: &str) -> Result<Target, String> {
    let bad = || format!("'{key}' is not an integration request parameter: use integration.request.{{path|querystring|header}}.NAME");
    let (kind, name) = key.strip_prefix("integration.request.").and_then(|r| r.split_once('.')).ok_or_else(bad)?;
    if !param_name_ok(name) {
        return Err(bad());
    }
    match kind {
        "path" => Ok(Target::Path(name.to_string())),
        "querystring" => Ok(Target::Query(name.to_string())),
        "header" => HeaderName::try_from(name).map(Target::Header).map_err(|_| bad()),
        _ => Err(bad()),
    }
}

/// The method request parameter (`method.request.header.X`) a source reads, if any.
pub fn source_parameter(expr: &str) -> Option<String> {
    let e = expr.trim();
    for (prefix, kind) in [
        ("method.request.path.", "path"),
        ("method.request.querystring.", "querystring"),
        ("method.request.multivaluequerystring.", "querystring"),
        ("method.request.header.", "header"),
        ("method.request.multivalueheader.", "header"),
    ] {
        if let Some(n) = e.strip_prefix(prefix) {
            return Some(format!("method.request.{kind}.{n}"));
        }
    }
    None
}

/// An integration's request parameter mappings, compiled.
#[derive(Debug, Default)]
pub struct ParamMappings {
    pub items: Vec<(Target, Source)>,
}

/// The values the mappings (and a template's `requestOverride`) produce.
#[derive(Debug, Default)]
pub struct Mapped {
    pub path: Vec<(String, String)>,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

impl ParamMappings {
    pub fn compile(map: &BTreeMap<String, String>) -> Result<Self, String> {
        let mut items = Vec::with_capacity(map.len());
        for (k, v) in map {
            items.push((parse_target(k)?, parse_source(v)?));
        }
        Ok(ParamMappings { items })
    }

    /// Evaluates every mapping for one request; a source with no value maps nothing.
    pub fn apply(&self, view: &RequestView<'_>, body: &[u8], out: &mut Mapped) -> Result<(), vtl::RenderError> {
        let mut ctx: Option<vtl::Context> = None;
        for (target, source) in &self.items {
            let value = match source {
                Source::Static(s) => Some(s.clone()),
                Source::Path(n) => view.params.iter().rev().find(|(k, _)| k == n).map(|(_, v)| decode(v)),
                Source::Query(n) => view.query_pairs().into_iter().rev().find(|(k, _)| k == n).map(|(_, v)| v),
                Source::MultiQuery(n) => {
                    let all: Vec<String> = view.query_pairs().into_iter().filter(|(k, _)| k == n).map(|(_, v)| v).collect();
                    (!all.is_empty()).then(|| all.join(","))
                }
                Source::Header(n) => {
                    view.parts.headers.get_all(n.as_str()).iter().next_back().map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                }
                Source::MultiHeader(n) => {
                    let all: Vec<String> =
                        view.parts.headers.get_all(n.as_str()).iter().map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()).collect();
                    (!all.is_empty()).then(|| all.join(","))
                }
                Source::Template(t) => {
                    let ctx = ctx.get_or_insert_with(|| view.vtl_context(body));
                    Some(t.render(ctx, limits())?.body).filter(|s| !s.is_empty())
                }
            };
            let Some(value) = value else { continue };
            match target {
                Target::Path(n) => out.path.push((n.clone(), value)),
                Target::Query(n) => out.query.push((n.clone(), value)),
                Target::Header(n) => {
                    if let Ok(v) = HeaderValue::try_from(value) {
                        out.headers.push((n.clone(), v));
                    }
                }
            }
        }
        Ok(())
    }
}

impl Mapped {
    /// Adds a template's `$context.requestOverride.*`: they win over mappings.
    pub fn overridden_by(&mut self, o: &vtl::RequestOverrides) {
        for (k, v) in &o.path {
            self.path.retain(|(n, _)| n != k);
            self.path.push((k.clone(), v.clone()));
        }
        for (k, v) in &o.querystring {
            self.query.retain(|(n, _)| n != k);
            self.query.push((k.clone(), v.clone()));
        }
        for (k, v) in &o.header {
            if let (Ok(n), Ok(v)) = (HeaderName::try_from(k.as_str()), HeaderValue::try_from(v.as_str())) {
                self.headers.retain(|(h, _)| *h != n);
                self.headers.push((n, v));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn templates(pairs: &[(&str, &str)]) -> Templates {
        Templates::compile("requestTemplates", &pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()).unwrap()
    }

    #[test]
    fn request_templates_follow_the_passthrough_rule() {
        let choose =
            |ts: &[(&str, &str)], p: Passthrough, ct: Option<&str>| match (RequestMapping { templates: templates(ts), passthrough: p })
                .choose(ct)
            {
                RequestBody::Render(_) => "render",
                RequestBody::Pass => "pass",
                RequestBody::Unsupported => "415",
            };
        let json = [("application/json", "{\"a\": 1}")];
        assert_eq!(choose(&json, Passthrough::WhenNoMatch, Some("application/json; charset=utf-8")), "render");
        assert_eq!(choose(&json, Passthrough::WhenNoMatch, Some("Application/JSON")), "render");
        assert_eq!(choose(&json, Passthrough::WhenNoMatch, None), "render", "no Content-Type is application/json");
        assert_eq!(choose(&json, Passthrough::WhenNoMatch, Some("text/plain")), "pass");
        assert_eq!(choose(&json, Passthrough::WhenNoTemplates, Some("text/plain")), "415");
        assert_eq!(choose(&[], Passthrough::WhenNoTemplates, Some("text/plain")), "pass");
        assert_eq!(choose(&json, Passthrough::Never, Some("text/plain")), "415");
        assert_eq!(choose(&[], Passthrough::Never, Some("text/plain")), "415");
        assert_eq!(choose(&[("application/json", "  ")], Passthrough::Never, None), "pass", "an empty template passes the body");
    }

    #[test]
    fn response_templates_follow_accept() {
        let ts = templates(&[("application/xml", "<a/>"), ("application/json", "{}"), ("text/plain", "t")]);
        assert_eq!(ts.for_accept(Some("text/plain, application/xml")).unwrap().0, "text/plain");
        assert_eq!(ts.for_accept(Some("image/png")).unwrap().0, "application/json");
        assert_eq!(ts.for_accept(None).unwrap().0, "application/json");
        let only = templates(&[("application/xml", "<a/>")]);
        assert_eq!(only.for_accept(None).unwrap().0, "application/xml");
        assert!(templates(&[]).for_accept(None).is_none());
    }

    #[test]
    fn bad_templates_name_the_content_type_and_place() {
        let map = BTreeMap::from([("application/json".to_string(), "{\n  #if($x)\n}".to_string())]);
        let e = Templates::compile("requestTemplates", &map).unwrap_err();
        assert!(e.starts_with("requestTemplates['application/json'] is not a valid mapping template: line "), "{e}");
    }

    #[test]
    fn mapping_expressions() {
        assert!(matches!(parse_source("'x'"), Ok(Source::Static(s)) if s == "x"));
        assert!(matches!(parse_source("method.request.header.X-Id"), Ok(Source::Header(s)) if s == "X-Id"));
        assert!(matches!(parse_source("context.requestId"), Ok(Source::Template(_))));
        assert!(matches!(parse_source("method.request.body.pets[0].name"), Ok(Source::Template(_))));
        assert!(parse_source("method.request.cookie.x").unwrap_err().contains("is not a mapping expression"));
        assert!(parse_source("x").is_err());
        assert_eq!(parse_target("integration.request.header.x-a").unwrap(), Target::Header(HeaderName::from_static("x-a")));
        assert_eq!(parse_target("integration.request.path.id").unwrap(), Target::Path("id".into()));
        assert!(parse_target("integration.response.header.x").is_err());
        assert!(parse_target("integration.request.header.").is_err());
        assert_eq!(source_parameter("method.request.multivalueheader.A").as_deref(), Some("method.request.header.A"));
        assert_eq!(source_parameter("'a'"), None);
    }

    #[test]
    fn request_time_reads_like_aws() {
        assert_eq!(request_time(20_778 * 86_400 + 14 * 3600 + 5 * 60 + 3), "21/Nov/2026:14:05:03 +0000");
    }
}

#[cfg(test)]
mod speed {
    use super::*;

    /// `cargo test --release -p apigw-server --lib -- --ignored --nocapture mapping_speed`:
    /// where a mapped request's time goes (context, render), per request.
    #[test]
    #[ignore]
    fn mapping_speed() {
        let template = Template::parse(
            "#set($b = $input.path('$'))\n{\n  \"order\": \"$b.id\",\n  \"customer\": {\n    \"name\": \"$util.escapeJavaScript($b.customer.name)\",\n    \"email\": \"$b.customer.email.toLowerCase()\"\n  },\n  \"lines\": [\n#foreach($l in $b.lines)\n    {\"sku\": \"$l.sku\", \"qty\": $l.qty, \"price\": $l.price}#if($foreach.hasNext),#end\n#end\n  ],\n  \"count\": $b.lines.size(),\n  \"note\": \"$util.escapeJavaScript($b.note)\",\n  \"source\": \"$input.params('x-source')\",\n  \"requestId\": \"$context.requestId\",\n  \"stage\": \"$context.stage\",\n  \"raw\": $input.json('$.tags')\n}\n",
        )
        .unwrap();
        let lines: Vec<String> =
            (0..14).map(|i| format!("{{\"sku\": \"sku-{i:03}\", \"qty\": {}, \"price\": {}.5}}", i + 1, 9 + i)).collect();
        let body = format!(
            "{{\"id\": \"ord-1\", \"customer\": {{\"name\": \"Ann O'Neil\", \"email\": \"Ann@Example.com\"}}, \"lines\": [{}], \"note\": \"leave it\", \"tags\": [\"a\", \"b\"]}}",
            lines.join(", ")
        );
        let req = http::Request::builder()
            .uri("/x/bench/mapped")
            .header("content-type", "application/json")
            .header("x-source", "bench")
            .header("host", "127.0.0.1:9934")
            .body(())
            .unwrap();
        let (parts, ()) = req.into_parts();
        let params: Params = Vec::new();
        let vars: Vec<(String, String)> = Vec::new();
        let view = RequestView {
            parts: &parts,
            params: &params,
            peer: SocketAddr::from(([127, 0, 0, 1], 1)),
            request_id: "c0ffee00-0000-0000-0000-000000000000",
            api_id: "x",
            stage: "bench",
            resource_id: "r",
            resource_path: "/mapped",
            stage_path: "/mapped",
            api_key: None,
            wall_us: 1_700_000_000_000_000,
            stage_variables: &vars,
        };
        let n = 20_000;
        let t = std::time::Instant::now();
        for _ in 0..n {
            std::hint::black_box(view.vtl_context(body.as_bytes()));
        }
        let ctx_us = t.elapsed().as_secs_f64() * 1e6 / n as f64;
        let ctx = view.vtl_context(body.as_bytes());
        let t = std::time::Instant::now();
        for _ in 0..n {
            std::hint::black_box(template.render(&ctx, limits()).unwrap());
        }
        let render_us = t.elapsed().as_secs_f64() * 1e6 / n as f64;
        let t = std::time::Instant::now();
        for _ in 0..n {
            std::hint::black_box(serde_json::from_str::<serde_json::Value>(&body).unwrap());
        }
        let parse_us = t.elapsed().as_secs_f64() * 1e6 / n as f64;
        println!("mapping: context {ctx_us:.2} µs, render {render_us:.2} µs, serde parse {parse_us:.2} µs ({} byte body)", body.len());
    }
}
