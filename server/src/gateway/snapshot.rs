//! A stage compiled for serving: the deployed resource tree as a route trie,
//! with every method's integration resolved (stage variables substituted,
//! mock responses and selection patterns prepared). Built off the hot path
//! when a stage changes; read-only afterwards.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use apigw_app::model::{Integration, MethodSetting, Resource, DEFAULT_BURST_LIMIT, DEFAULT_RATE_LIMIT};
use apigw_app::rules::{self, PathPartKind};
use http::{HeaderName, HeaderValue, Method, StatusCode};
use regex::Regex;

use super::access::method_key;
use super::captured::Captured;
use super::limits::{BucketPool, Gcra};
use super::responses::GatewayResponses;
use super::transform::{parse_response_source, ParamMappings, Passthrough, RequestMapping, ResponseSource, Templates};
use super::validate::Validation;
use crate::vtl::Template;
use crate::FastMap;

/// One stage of one API, ready to serve.
#[derive(Debug)]
pub struct CompiledStage {
    pub api_id: String,
    pub stage: String,
    pub deployment_id: String,
    pub root: Node,
    /// `$stageVariables`, for gateway responses.
    pub stage_variables: Arc<[(String, String)]>,
    /// The response types the deployment customised (none: AWS's defaults).
    pub responses: Option<GatewayResponses>,
}

/// A node of the route trie: one path segment.
#[derive(Debug, Default)]
pub struct Node {
    literal: FastMap<String, Node>,
    param: Option<(String, Box<Node>)>,
    /// A greedy `{name+}` child: a leaf that takes the rest of the path.
    greedy: Option<(String, Arc<Route>)>,
    route: Option<Arc<Route>>,
}

/// A resource and its methods.
#[derive(Debug)]
pub struct Route {
    pub resource_id: String,
    pub path: String,
    pub methods: FastMap<String, Arc<CompiledMethod>>,
}

#[derive(Debug)]
pub struct CompiledMethod {
    pub verb: String,
    pub resource_id: String,
    pub resource_path: String,
    /// `$stageVariables` (shared by the stage's methods).
    pub stage_variables: Arc<[(String, String)]>,
    pub api_key_required: bool,
    /// `/path/METHOD`: how a usage plan names this method in per-method throttles.
    pub plan_key: String,
    /// The stage's throttle for this method (its own setting, or the stage default).
    pub throttle: Arc<Gcra>,
    /// Where this method's requests are counted.
    pub metric: Arc<crate::metrics::MetricKey>,
    /// The request validator's checks, if it has any.
    pub validation: Option<Validation>,
    pub integration: CompiledIntegration,
}

#[derive(Debug)]
pub enum CompiledIntegration {
    /// HTTP_PROXY (`proxy`) or HTTP with mappings.
    Http {
        proxy: bool,
        /// The backend's verb; None means "the caller's" (ANY).
        method: Option<Method>,
        uri: UriTemplate,
        timeout: Duration,
        /// Request templates and passthrough (HTTP only; a proxy sends the body as it is).
        request: RequestMapping,
        /// Integration request parameter mappings (both kinds).
        params: ParamMappings,
        responses: Vec<ResponseMapping>,
        /// The API's id, sent to the backend as `X-Amzn-Apigateway-Api-Id`
        /// (and in `User-Agent: AmazonAPIGateway_{id}`), as AWS sends them.
        api_id: HeaderValue,
        user_agent: HeaderValue,
    },
    /// Answers from the gateway: the request template's `statusCode`
    /// selects the integration response.
    Mock { request: RequestMapping, responses: Vec<ResponseMapping> },
    /// A configuration that cannot serve; the text says why (for the log).
    Broken(String),
}

/// An integration response: which statuses it takes and what it answers.
#[derive(Debug)]
pub struct ResponseMapping {
    /// The `selectionPattern`; none for the default response.
    pub pattern: Option<Regex>,
    /// The method response status, or why the stored one cannot be sent.
    pub status: Result<StatusCode, String>,
    pub static_headers: Vec<(HeaderName, HeaderValue)>,
    /// (method response header, backend header to copy)
    pub copied_headers: Vec<(HeaderName, HeaderName)>,
    /// Headers from the body, `context.*` or `stageVariables.*`, read by a one-line template.
    pub rendered_headers: Vec<(HeaderName, Arc<Template>)>,
    pub templates: Templates,
}

/// The integration response for a status (or MOCK's `statusCode`): the
/// first whose pattern matches the whole code, else the default one.
pub fn select_response<'r>(responses: &'r [ResponseMapping], code: &str) -> Option<&'r ResponseMapping> {
    responses
        .iter()
        .find(|m| m.pattern.as_ref().is_some_and(|p| p.is_match(code)))
        .or_else(|| responses.iter().find(|m| m.pattern.is_none()))
}

/// An integration URI split into literal text and `{param}` references;
/// stage variables are already substituted.
#[derive(Debug, Clone)]
pub struct UriTemplate {
    pub parts: Vec<UriPart>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum UriPart {
    Lit(String),
    Param(String),
}

impl UriTemplate {
    pub fn parse(uri: &str) -> Self {
        let mut parts = Vec::new();
        let mut rest = uri;
        while let Some(start) = rest.find('{') {
            match rest[start..].find('}') {
                Some(len) => {
                    if start > 0 {
                        parts.push(UriPart::Lit(rest[..start].to_string()));
                    }
                    let name = rest[start + 1..start + len].trim_end_matches('+').to_string();
                    parts.push(UriPart::Param(name));
                    rest = &rest[start + len + 1..];
                }
                None => break,
            }
        }
        if !rest.is_empty() {
            parts.push(UriPart::Lit(rest.to_string()));
        }
        Self { parts }
    }

    pub fn references(&self, name: &str) -> bool {
        self.parts.iter().any(|p| matches!(p, UriPart::Param(n) if n == name))
    }

    /// The URI itself when it has no `{param}` in it.
    pub fn literal(&self) -> Option<&str> {
        match self.parts.as_slice() {
            [] => Some(""),
            [UriPart::Lit(s)] => Some(s),
            _ => None,
        }
    }
}

/// Replaces `${stageVariables.name}` with the stage's value ('' if unset).
pub fn substitute_stage_variables(uri: &str, vars: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(uri.len());
    let mut rest = uri;
    while let Some(start) = rest.find("${stageVariables.") {
        out.push_str(&rest[..start]);
        let after = &rest[start + "${stageVariables.".len()..];
        match after.find('}') {
            Some(end) => {
                out.push_str(vars.get(&after[..end]).map(String::as_str).unwrap_or(""));
                rest = &after[end + 1..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// The values captured by a match, in path order: raw (still percent-encoded) text.
pub type Params = Vec<(String, String)>;

/// The path parameters a backend URL is filled from: mapped ones
/// (`integration.request.path.*`, decoded text) before those matched.
pub struct ParamsRef<'a> {
    pub matched: &'a Params,
    pub mapped: &'a [(String, String)],
}

/// What a mapped path value keeps as it is: unreserved characters and `/`.
const PATH_VALUE: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~').remove(b'/');

impl ParamsRef<'_> {
    /// Appends parameter `name`'s value to `url` (nothing when it has none).
    pub fn push(&self, url: &mut String, name: &str) {
        if let Some((_, v)) = self.mapped.iter().rev().find(|(n, _)| n == name) {
            url.extend(percent_encoding::utf8_percent_encode(v, PATH_VALUE));
        } else if let Some((_, v)) = self.matched.iter().rev().find(|(n, _)| n == name) {
            url.push_str(v);
        }
    }
}

impl Node {
    /// Finds the most specific resource for `segments`: literal before
    /// `{param}` before `{greedy+}`, backtracking when a branch dead-ends.
    pub fn find<'a>(&'a self, segments: &[&str], params: &mut Params) -> Option<&'a Arc<Route>> {
        let Some((first, rest)) = segments.split_first() else {
            return self.route.as_ref();
        };
        if let Some(child) = self.literal.get(*first) {
            if let Some(r) = child.find(rest, params) {
                return Some(r);
            }
        }
        if let Some((name, child)) = &self.param {
            params.push((name.clone(), (*first).to_string()));
            if let Some(r) = child.find(rest, params) {
                return Some(r);
            }
            params.pop();
        }
        if let Some((name, route)) = &self.greedy {
            params.push((name.clone(), segments.join("/")));
            return Some(route);
        }
        None
    }
}

/// Why no resource matched: how far matching got, and what stopped it.
#[derive(Debug, Clone, PartialEq)]
pub struct Miss {
    /// Segments matched before it stopped.
    pub depth: usize,
    /// The deepest path matched, in template form (e.g. `/pets/{id}`).
    pub prefix: String,
    pub why: String,
}

impl Node {
    /// Explains a failed `find`: the deepest branch tried and what stopped it
    /// (e.g. "`{proxy+}` does not match its parent").
    pub fn explain_miss(&self, segments: &[&str]) -> Miss {
        self.miss_at(segments, 0, "")
    }

    fn miss_at(&self, segments: &[&str], depth: usize, prefix: &str) -> Miss {
        let here = if prefix.is_empty() { "/".to_string() } else { prefix.to_string() };
        let Some((first, rest)) = segments.split_first() else {
            let why = match &self.greedy {
                Some((name, _)) => format!("`{{{name}+}}` does not match its parent: it needs at least one more path segment after {here}"),
                None => format!("{here} is only part of a longer resource path; no resource is deployed at {here} itself"),
            };
            return Miss { depth, prefix: here, why };
        };
        let mut best: Option<Miss> = None;
        let mut consider = |m: Miss| {
            if best.as_ref().is_none_or(|b| m.depth > b.depth) {
                best = Some(m);
            }
        };
        if let Some(child) = self.literal.get(*first) {
            consider(child.miss_at(rest, depth + 1, &format!("{prefix}/{first}")));
        }
        if let Some((name, child)) = &self.param {
            consider(child.miss_at(rest, depth + 1, &format!("{prefix}/{{{name}}}")));
        }
        best.unwrap_or_else(|| {
            let mut children: Vec<String> = self.literal.keys().cloned().collect();
            children.sort();
            if let Some((name, _)) = &self.param {
                children.push(format!("{{{name}}}"));
            }
            let why = if children.is_empty() {
                format!("nothing is deployed below {here}, so '{first}' matches no resource")
            } else {
                format!("'{first}' matches no resource under {here} (there: {})", children.join(", "))
            };
            Miss { depth, prefix: here, why }
        })
    }
}

impl Route {
    /// The method for a verb, falling back to ANY.
    pub fn method(&self, verb: &str) -> Option<&Arc<CompiledMethod>> {
        self.methods.get(verb).or_else(|| self.methods.get("ANY"))
    }
}

/// An integration response's header mappings, by kind of source.
struct HeaderMappings {
    statics: Vec<(HeaderName, HeaderValue)>,
    copied: Vec<(HeaderName, HeaderName)>,
    rendered: Vec<(HeaderName, Arc<Template>)>,
}

fn header_mappings(params: &BTreeMap<String, String>) -> HeaderMappings {
    let mut out = HeaderMappings { statics: Vec::new(), copied: Vec::new(), rendered: Vec::new() };
    for (k, v) in params {
        let Some(name) = k.strip_prefix("method.response.header.").and_then(|n| HeaderName::try_from(n).ok()) else {
            continue;
        };
        // The save-time rule refuses anything else; an older row's odd value maps nothing.
        match parse_response_source(v) {
            Ok(ResponseSource::Static(val)) => out.statics.push((name, val)),
            Ok(ResponseSource::Header(from)) => out.copied.push((name, from)),
            Ok(ResponseSource::Template(t)) => out.rendered.push((name, t)),
            Err(_) => {}
        }
    }
    out
}

fn response_mappings(i: &Integration) -> Result<Vec<ResponseMapping>, String> {
    let mut responses = Vec::new();
    for (key, r) in i.integration_responses.clone().unwrap_or_default() {
        let h = header_mappings(&r.response_parameters);
        // The configuration rules refuse anything but 200-599 (a 1xx is interim,
        // never a final answer); an older row that holds one is a configuration error.
        let status = rules::status_code(&r.status_code)
            .ok()
            .and_then(|s| StatusCode::from_bytes(s.as_bytes()).ok())
            .ok_or_else(|| format!("the integration response's status '{key}' is not a final HTTP status from 200 to 599"));
        responses.push(ResponseMapping {
            pattern: r.selection_pattern.as_deref().filter(|p| !p.is_empty()).and_then(|p| selection_regex(p).ok()),
            status,
            static_headers: h.statics,
            copied_headers: h.copied,
            rendered_headers: h.rendered,
            templates: Templates::compile("responseTemplates", &r.response_templates)?,
        });
    }
    // Patterns are tried first; the default (no pattern) is the fallback.
    responses.sort_by_key(|r| r.pattern.is_none());
    Ok(responses)
}

fn compile_integration(api_id: &str, i: &Integration, vars: &BTreeMap<String, String>) -> Result<CompiledIntegration, String> {
    let proxy = i.kind == "HTTP_PROXY";
    let request = RequestMapping {
        // AWS applies no template to a proxy integration.
        templates: match proxy {
            true => Templates::default(),
            false => Templates::compile("requestTemplates", &i.request_templates)?,
        },
        // A proxy's body always passes: AWS ignores passthroughBehavior there.
        passthrough: if proxy { Passthrough::WhenNoMatch } else { Passthrough::parse(&i.passthrough_behavior) },
    };
    if i.kind == "MOCK" {
        return Ok(CompiledIntegration::Mock { request, responses: response_mappings(i)? });
    }
    let uri = substitute_stage_variables(i.uri.as_deref().unwrap_or(""), vars);
    let method = match i.http_method.as_deref() {
        None | Some("ANY") => None,
        Some(m) => Method::from_bytes(m.as_bytes()).ok(),
    };
    Ok(CompiledIntegration::Http {
        proxy,
        method,
        uri: UriTemplate::parse(&uri),
        timeout: Duration::from_millis(i.timeout_in_millis.clamp(50, 29_000) as u64),
        request,
        params: ParamMappings::compile(&i.request_parameters)?,
        // A proxy's answer is the backend's own.
        responses: if proxy { Vec::new() } else { response_mappings(i)? },
        // API ids are [a-z0-9]; anything else would not be a valid header value.
        api_id: HeaderValue::from_str(api_id).unwrap_or_else(|_| HeaderValue::from_static("unknown")),
        user_agent: HeaderValue::from_str(&format!("AmazonAPIGateway_{api_id}"))
            .unwrap_or_else(|_| HeaderValue::from_static("AmazonAPIGateway")),
    })
}

/// A method's stage throttle: each of rate and burst from the most specific
/// of `~1path/VERB`, `~1path/*`, `*/VERB`, `*/*`, else the defaults.
pub fn stage_throttle(settings: &BTreeMap<String, MethodSetting>, path: &str, verb: &str) -> (f64, i64) {
    // A method is keyed by its escaped path (`~1pets/GET`) or, as
    // Terraform writes it, its path without the leading slash (`pets/GET`).
    let res = path.replace('/', "~1");
    let plain = path.trim_start_matches('/');
    let keys = [
        format!("{res}/{verb}"),
        format!("{plain}/{verb}"),
        format!("{res}/*"),
        format!("{plain}/*"),
        format!("*/{verb}"),
        "*/*".to_string(),
    ];
    let found = || keys.iter().filter_map(|k| settings.get(k));
    // A negative value (Terraform's -1) means "not set here".
    let rate = found().find_map(|s| s.throttling_rate_limit.filter(|r| *r >= 0.0)).unwrap_or(DEFAULT_RATE_LIMIT);
    let burst = found().find_map(|s| s.throttling_burst_limit.filter(|b| *b >= 0)).unwrap_or(DEFAULT_BURST_LIMIT);
    (rate, burst)
}

/// Builds the serving form of a deployment for one stage.
pub fn compile(
    api_id: &str,
    stage: &str,
    deployment_id: &str,
    deployed: &Captured,
    vars: &BTreeMap<String, String>,
    settings: &BTreeMap<String, MethodSetting>,
    pool: &BucketPool,
) -> CompiledStage {
    let mut root = Node::default();
    let stage_variables: Arc<[(String, String)]> = vars.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    // Parents come before children when sorted by path depth.
    let models = deployed.models.as_deref().unwrap_or_default();
    let validators = deployed.request_validators.as_deref().unwrap_or_default();
    let mut sorted: Vec<&Resource> = deployed.resources.iter().collect();
    sorted.sort_by_key(|r| r.path.split('/').filter(|s| !s.is_empty()).count());
    for r in sorted {
        let methods = r
            .resource_methods
            .clone()
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(verb, m)| {
                let mut integration =
                    compile_integration(api_id, m.method_integration.as_ref()?, vars).unwrap_or_else(CompiledIntegration::Broken);
                // A validator that cannot be used fails the method, as a broken integration does.
                let validation = Validation::compile(api_id, &m, models, validators).unwrap_or_else(|why| {
                    integration = CompiledIntegration::Broken(format!("request validation: {why}"));
                    None
                });
                let (rate, burst) = stage_throttle(settings, &r.path, &verb);
                let throttle = pool.bucket(format!("stage/{api_id}/{stage}{}", method_key(&r.path, &verb)), rate, burst);
                Some((
                    verb.clone(),
                    Arc::new(CompiledMethod {
                        plan_key: method_key(&r.path, &verb),
                        metric: Arc::new(crate::metrics::MetricKey {
                            api: api_id.to_string(),
                            stage: stage.to_string(),
                            resource: r.path.clone(),
                            method: verb.clone(),
                        }),
                        verb,
                        resource_id: r.id.clone(),
                        resource_path: r.path.clone(),
                        stage_variables: stage_variables.clone(),
                        api_key_required: m.api_key_required,
                        throttle,
                        validation,
                        integration,
                    }),
                ))
            })
            .collect();
        let route = Arc::new(Route { resource_id: r.id.clone(), path: r.path.clone(), methods });
        let segments: Vec<&str> = r.path.split('/').filter(|s| !s.is_empty()).collect();
        let mut node = &mut root;
        for (i, seg) in segments.iter().enumerate() {
            let last = i + 1 == segments.len();
            match rules::path_part(seg) {
                Ok(PathPartKind::Greedy) => {
                    if last {
                        let name = seg.trim_start_matches('{').trim_end_matches('}').trim_end_matches('+').to_string();
                        node.greedy = Some((name, route.clone()));
                    }
                    break;
                }
                Ok(PathPartKind::Param) => {
                    let name = seg.trim_start_matches('{').trim_end_matches('}').to_string();
                    node = &mut node.param.get_or_insert_with(|| (name, Box::default())).1;
                }
                _ => {
                    node = node.literal.entry((*seg).to_string()).or_default();
                }
            }
            if last {
                node.route = Some(route.clone());
            }
        }
        if segments.is_empty() {
            root.route = Some(route);
        }
    }
    CompiledStage {
        api_id: api_id.into(),
        stage: stage.into(),
        deployment_id: deployment_id.into(),
        root,
        stage_variables,
        responses: deployed.gateway_responses.as_deref().and_then(GatewayResponses::compile),
    }
}

/// An integration response's `selectionPattern` as the gateway matches it:
/// the whole text must match, as AWS's Java regex `matches()` does. Also the
/// save-time check, so a pattern that does not compile is refused when it
/// is saved rather than ignored at run time. The compiled size is bounded so
/// a hostile pattern cannot take the memory.
pub fn selection_regex(pattern: &str) -> Result<Regex, regex::Error> {
    // Built alone first, so an error quotes the pattern as the user wrote it.
    regex::RegexBuilder::new(pattern).size_limit(1 << 20).build()?;
    regex::RegexBuilder::new(&format!("^(?:{pattern})$")).size_limit(1 << 20).build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use apigw_app::model::Method as ApiMethod;

    fn res(path: &str, verbs: &[&str]) -> Resource {
        Resource {
            id: path.into(),
            parent_id: None,
            path_part: None,
            path: path.into(),
            resource_methods: Some(
                verbs
                    .iter()
                    .map(|v| {
                        (
                            v.to_string(),
                            ApiMethod {
                                http_method: v.to_string(),
                                authorization_type: "NONE".into(),
                                api_key_required: false,
                                operation_name: None,
                                request_parameters: Default::default(),
                                request_models: Default::default(),
                                request_validator_id: None,
                                authorization_scopes: vec![],
                                method_responses: None,
                                method_integration: Some(Integration {
                                    kind: "HTTP_PROXY".into(),
                                    http_method: Some("GET".into()),
                                    uri: Some("http://b/${stageVariables.v}/{id}".into()),
                                    timeout_in_millis: 1000,
                                    passthrough_behavior: "WHEN_NO_MATCH".into(),
                                    cache_namespace: String::new(),
                                    cache_key_parameters: vec![],
                                    connection_type: None,
                                    credentials: None,
                                    request_parameters: BTreeMap::new(),
                                    request_templates: BTreeMap::new(),
                                    integration_responses: None,
                                }),
                            },
                        )
                    })
                    .collect(),
            ),
        }
    }

    fn deployed(resources: Vec<Resource>) -> Captured {
        Captured { resources, ..Captured::default() }
    }

    fn route_of(s: &CompiledStage, path: &str) -> Option<(String, Params)> {
        let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let mut p = Vec::new();
        s.root.find(&segs, &mut p).map(|r| (r.path.clone(), p))
    }

    #[test]
    fn most_specific_first_with_backtracking() {
        let s = compile(
            "a",
            "s",
            "d",
            &deployed(vec![
                res("/", &["GET"]),
                res("/pets", &["GET"]),
                res("/pets/{id}", &["GET"]),
                res("/pets/mine", &["GET"]),
                res("/pets/{id}/toys", &["GET"]),
                res("/files/{path+}", &["ANY"]),
                res("/{proxy+}", &["ANY"]),
            ]),
            &BTreeMap::from([("v".into(), "x".into())]),
            &BTreeMap::new(),
            &BucketPool::default(),
        );
        assert_eq!(route_of(&s, "/").unwrap().0, "/");
        assert_eq!(route_of(&s, "/pets/mine").unwrap().0, "/pets/mine");
        assert_eq!(route_of(&s, "/pets/7").unwrap(), ("/pets/{id}".into(), vec![("id".into(), "7".into())]));
        assert_eq!(route_of(&s, "/pets/mine/toys").unwrap().0, "/pets/{id}/toys", "backtracks from the literal");
        assert_eq!(route_of(&s, "/files/a/b/c").unwrap(), ("/files/{path+}".into(), vec![("path".into(), "a/b/c".into())]));
        // A greedy resource does not match its parent; the root greedy catches it instead.
        assert_eq!(route_of(&s, "/files").unwrap(), ("/{proxy+}".into(), vec![("proxy".into(), "files".into())]));
        assert_eq!(route_of(&s, "/other/x").unwrap().0, "/{proxy+}");
    }

    #[test]
    fn stage_throttles_most_specific_first() {
        let set =
            |r: Option<f64>, b: Option<i64>| MethodSetting { throttling_rate_limit: r, throttling_burst_limit: b, ..Default::default() };
        let settings = BTreeMap::from([
            ("*/*".to_string(), set(Some(100.0), Some(50))),
            ("~1pets/GET".to_string(), set(Some(5.0), None)),
            ("~1pets~1{id}/*".to_string(), set(None, Some(2))),
        ]);
        assert_eq!(stage_throttle(&settings, "/pets", "GET"), (5.0, 50));
        assert_eq!(stage_throttle(&settings, "/pets", "POST"), (100.0, 50));
        assert_eq!(stage_throttle(&settings, "/pets/{id}", "DELETE"), (100.0, 2));
        assert_eq!(stage_throttle(&BTreeMap::new(), "/", "GET"), (DEFAULT_RATE_LIMIT, DEFAULT_BURST_LIMIT));
        // Terraform's form (`pets/GET`) is the same method; its -1 means "not set here".
        let terraform = BTreeMap::from([
            ("*/*".to_string(), set(Some(-1.0), Some(-1))),
            ("pets/GET".to_string(), set(Some(7.0), Some(-1))),
            ("pets/{id}/DELETE".to_string(), set(None, Some(3))),
        ]);
        assert_eq!(stage_throttle(&terraform, "/pets", "GET"), (7.0, DEFAULT_BURST_LIMIT));
        assert_eq!(stage_throttle(&terraform, "/pets/{id}", "DELETE"), (DEFAULT_RATE_LIMIT, 3));
        assert_eq!(stage_throttle(&terraform, "/pets", "POST"), (DEFAULT_RATE_LIMIT, DEFAULT_BURST_LIMIT));
    }

    #[test]
    fn misses_explain_themselves() {
        let s = compile(
            "a",
            "s",
            "d",
            &deployed(vec![res("/pets", &["GET"]), res("/pets/{id}/toys", &["GET"]), res("/files/{proxy+}", &["ANY"])]),
            &BTreeMap::new(),
            &BTreeMap::new(),
            &BucketPool::default(),
        );
        let miss = |p: &str| {
            let segs: Vec<&str> = p.split('/').filter(|s| !s.is_empty()).collect();
            s.root.explain_miss(&segs)
        };
        assert!(miss("/files").why.contains("`{proxy+}` does not match its parent"), "{:?}", miss("/files"));
        let m = miss("/pets/7");
        assert_eq!(m.prefix, "/pets/{id}");
        assert!(m.why.contains("no resource is deployed at /pets/{id}"), "{m:?}");
        let m = miss("/cats");
        assert!(m.why.contains("'cats' matches no resource under / (there: files, pets)"), "{m:?}");
    }

    #[test]
    fn no_match_without_greedy() {
        let s = compile("a", "s", "d", &deployed(vec![res("/pets", &["GET"])]), &BTreeMap::new(), &BTreeMap::new(), &BucketPool::default());
        assert!(route_of(&s, "/cats").is_none());
        assert!(route_of(&s, "/pets/1").is_none());
        assert!(route_of(&s, "/").is_none(), "the root has no methods here, and no route");
    }

    #[test]
    fn stage_variables_and_templates() {
        let vars = BTreeMap::from([("host".to_string(), "b:81".to_string())]);
        assert_eq!(substitute_stage_variables("http://${stageVariables.host}/x/${stageVariables.none}", &vars), "http://b:81/x/");
        let t = UriTemplate::parse("http://b/pets/{id}/x/{proxy+}");
        assert_eq!(
            t.parts,
            vec![
                UriPart::Lit("http://b/pets/".into()),
                UriPart::Param("id".into()),
                UriPart::Lit("/x/".into()),
                UriPart::Param("proxy".into()),
            ]
        );
        assert!(t.references("proxy"));
    }
}
