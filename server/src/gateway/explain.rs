//! "What would the stage do?": the gateway's pipeline run as a dry run for
//! one request — stage, route (or the closest miss and why), method, key
//! check, each throttle and the quota as they stand — without sending the
//! request, taking a token or counting against a quota.

use apigw_app::model::{StageTrace, TraceStep};

use super::access::KeyCheck;
use super::limits::{now_ns, Gcra, Period};
use super::snapshot::{CompiledIntegration, Params, ParamsRef};
use super::{proxy, Gateway};

fn step(name: &str, ok: bool, detail: impl Into<String>) -> TraceStep {
    TraceStep { name: name.into(), ok, detail: detail.into() }
}

fn bucket_step(name: &str, g: &Gcra, now: u64) -> (TraceStep, bool) {
    let (remaining, full_in) = g.peek(now);
    let ok = remaining >= 1;
    let detail = format!(
        "{} requests/s, burst {}: {remaining} of {} left now{}",
        g.rate,
        g.burst,
        g.burst,
        if full_in > 0 { format!(", full again in {full_in} s") } else { String::new() }
    );
    (step(name, ok, detail), ok)
}

impl Gateway {
    /// Works out what the stage would do with `verb path?query` (and `key`).
    pub fn dry_run(&self, api: &str, stage: &str, verb: &str, path_with_query: &str, key: Option<&str>) -> StageTrace {
        let mut steps = Vec::new();
        let finish = |steps: Vec<TraceStep>, deployment_id: Option<String>, outcome: String, status: Option<u16>| StageTrace {
            stage: stage.to_string(),
            deployment_id,
            steps,
            outcome,
            status,
        };
        let Some(compiled) = self.registry.get(api, stage) else {
            steps.push(step("Stage", false, format!("Stage '{stage}' is not deployed. Deploy the API to it first.")));
            return finish(steps, None, "The gateway would answer 403 Missing Authentication Token.".into(), Some(403));
        };
        let dep = Some(compiled.deployment_id.clone());
        steps.push(step("Stage", true, format!("'{stage}' serves deployment {}", compiled.deployment_id)));

        let (path, query) = path_with_query.split_once('?').map(|(p, q)| (p, Some(q))).unwrap_or((path_with_query, None));
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let mut params: Params = Vec::new();
        let Some(route) = compiled.root.find(&segments, &mut params) else {
            let miss = compiled.root.explain_miss(&segments);
            steps.push(step("Route", false, format!("No deployed resource matches {path}: {}.", miss.why)));
            return finish(steps, dep, "The gateway would answer 403 Missing Authentication Token.".into(), Some(403));
        };
        let shown: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        steps.push(step(
            "Route",
            true,
            if shown.is_empty() { format!("{} matched", route.path) } else { format!("{} matched with {}", route.path, shown.join(", ")) },
        ));
        let Some(method) = route.method(verb) else {
            let mut verbs: Vec<&str> = route.methods.keys().map(String::as_str).collect();
            verbs.sort();
            let detail = if verbs.is_empty() {
                // Often a parent of a greedy resource: say why that did not take it.
                let miss = compiled.root.explain_miss(&segments);
                if miss.why.contains("does not match its parent") {
                    format!("{} has no methods, and {}.", route.path, miss.why)
                } else {
                    format!("{} has no methods; add one, then deploy.", route.path)
                }
            } else {
                format!("{} has {}; not {verb}.", route.path, verbs.join(", "))
            };
            steps.push(step("Method", false, detail));
            return finish(steps, dep, "The gateway would answer 403 Missing Authentication Token.".into(), Some(403));
        };
        steps.push(step(
            "Method",
            true,
            if method.verb == verb { verb.to_string() } else { format!("{} (no {verb} method; ANY takes it)", method.verb) },
        ));

        let table = self.access.table();
        let binding = if method.api_key_required {
            match table.check(key, api, stage) {
                KeyCheck::Ok(b) => {
                    steps.push(step("API key", true, format!("key {} is enabled, in usage plan {} for this stage", b.key_id, b.plan_id)));
                    Some(b)
                }
                other => {
                    let why = match other {
                        KeyCheck::Missing => "no x-api-key was given, and this method requires one".to_string(),
                        KeyCheck::Unknown => "no API key has this value".to_string(),
                        KeyCheck::Disabled(id) => format!("key {id} is disabled"),
                        KeyCheck::NoPlan(id) => format!("key {id} is in no usage plan that covers {api}/{stage}"),
                        KeyCheck::Ok(_) => unreachable!("handled above"),
                    };
                    steps.push(step("API key", false, why));
                    return finish(steps, dep, "The gateway would answer 403 Forbidden.".into(), Some(403));
                }
            }
        } else {
            steps.push(step("API key", true, "not required by this method"));
            None
        };

        let now = now_ns();
        let mut throttled = false;
        if let Some(b) = &binding {
            if let Some(g) = b.method_throttles.get(&method.plan_key) {
                let (s, ok) = bucket_step("Usage plan throttle for this method", g, now);
                throttled |= !ok;
                steps.push(s);
            }
            if let Some(g) = &b.throttle {
                let (s, ok) = bucket_step("Usage plan throttle", g, now);
                throttled |= !ok;
                steps.push(s);
            }
        }
        let (s, ok) = bucket_step("Stage throttle", &method.throttle, now);
        throttled |= !ok;
        steps.push(s);
        if throttled {
            return finish(steps, dep, "The gateway would answer 429 Too Many Requests.".into(), Some(429));
        }

        if let Some(b) = &binding {
            if let Some(rule) = b.counter.rule {
                let secs = crate::store::now_secs();
                let used = b.counter.used_now(secs);
                let (_, end) = rule.period_at(secs);
                let ok = used < rule.limit;
                steps.push(step(
                    "Quota",
                    ok,
                    format!(
                        "{used} of {} used this {}; it resets {}",
                        rule.limit,
                        match rule.period {
                            Period::Day => "day",
                            Period::Week => "week",
                            Period::Month => "month",
                        },
                        crate::gateway::execlog::aws_date(end)
                    ),
                ));
                if !ok {
                    return finish(steps, dep, "The gateway would answer 429 Limit Exceeded.".into(), Some(429));
                }
            } else {
                steps.push(step("Quota", true, "the usage plan sets no quota"));
            }
        }

        let outcome = match &method.integration {
            CompiledIntegration::Mock { request, responses } => {
                let default = responses.iter().find(|r| r.pattern.is_none()).and_then(|r| r.status.as_ref().ok());
                let templated = if request.templates.is_empty() { "" } else { " the request template's statusCode picks the response;" };
                match default {
                    Some(status) => {
                        let s = status.as_u16();
                        steps.push(step(
                            "Integration",
                            true,
                            format!("MOCK: the gateway answers itself;{templated} the default response is {s}"),
                        ));
                        format!("The mock would answer {s} unless its request template selects another response.")
                    }
                    None if responses.is_empty() => {
                        steps.push(step("Integration", false, "MOCK with no integration response: nothing to answer with".to_string()));
                        return finish(steps, dep, "The gateway would answer 500 Internal server error.".into(), Some(500));
                    }
                    None => {
                        steps.push(step("Integration", true, format!("MOCK: the gateway answers itself;{templated} no default response")));
                        "The mock answers with the response its request template's statusCode selects.".to_string()
                    }
                }
            }
            CompiledIntegration::Broken(why) => {
                steps.push(step("Integration", false, why.clone()));
                return finish(steps, dep, "The gateway would answer 500 Internal server error.".into(), Some(500));
            }
            CompiledIntegration::Http { proxy: is_proxy, method: backend_verb, uri, timeout, .. } => {
                let greedy = method
                    .resource_path
                    .rsplit('/')
                    .next()
                    .filter(|s| s.ends_with("+}"))
                    .map(|s| s.trim_start_matches('{').trim_end_matches("+}"));
                let params = ParamsRef { matched: &params, mapped: &[] };
                let url = proxy::backend_url(uri, &params, greedy, if *is_proxy { query } else { None });
                let v = backend_verb.as_ref().map(|m| m.as_str().to_string()).unwrap_or_else(|| verb.to_string());
                let kind = if *is_proxy { "HTTP_PROXY" } else { "HTTP" };
                steps.push(step("Integration", true, format!("{kind}: {v} {url} (timeout {} ms)", timeout.as_millis())));
                format!("The request would go to {v} {url}.")
            }
        };
        finish(steps, dep, outcome, None)
    }
}
