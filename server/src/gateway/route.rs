//! The route stage: which stage an invoke URL names, and which resource
//! and method of that stage's deployed snapshot a request matches.

use std::sync::Arc;

use super::record::Trace;
use super::snapshot::{CompiledMethod, Params};
use super::{missing_token, Gateway, Refusal};
use crate::metrics::reason::Reason;
use crate::metrics::{MetricKey, NO_ROUTE};

/// Where a request goes: found by [`Gateway::route`].
pub struct Routed<'a> {
    pub(crate) api: &'a str,
    pub(crate) stage: &'a str,
    pub(crate) method: Arc<CompiledMethod>,
    pub(crate) params: Params,
}

/// `s` split around its first `b`, an ASCII byte. A plain byte loop:
/// `str::split_once` with a `char` goes through a searcher built for long
/// texts, a few times the cost over the few bytes of a request's path.
pub(crate) fn split_at_byte(s: &str, b: u8) -> Option<(&str, &str)> {
    debug_assert!(b.is_ascii());
    let i = s.bytes().position(|c| c == b)?;
    // An ASCII byte is a whole character: both halves start on a boundary.
    Some((&s[..i], &s[i + 1..]))
}

/// Where an invoke URL points: `/{api}/{stage}/{path}`, or
/// `{api}.execute-api.<host>/{stage}/{path}`.
pub fn parse_target<'a>(host: Option<&'a str>, path: &'a str) -> Option<(&'a str, &'a str, &'a str)> {
    const MARK: &[u8] = b".execute-api.";
    let host_api = host.and_then(|h| h.as_bytes().windows(MARK.len()).position(|w| w == MARK).map(|i| &h[..i])).filter(|a| !a.is_empty());
    let trimmed = path.strip_prefix('/').unwrap_or(path);
    match host_api {
        Some(api) => {
            let (stage, rest) = split_at_byte(trimmed, b'/').unwrap_or((trimmed, ""));
            (!stage.is_empty()).then_some((api, stage, rest))
        }
        None => {
            let (api, rest) = split_at_byte(trimmed, b'/')?;
            let (stage, rest) = split_at_byte(rest, b'/').unwrap_or((rest, ""));
            (!api.is_empty() && !stage.is_empty()).then_some((api, stage, rest))
        }
    }
}

/// The name of a method's greedy path parameter (`{proxy+}`), if its resource ends in one.
pub(crate) fn greedy_param(resource_path: &str) -> Option<&str> {
    resource_path.rsplit('/').next().filter(|s| s.ends_with("+}")).map(|s| s.trim_start_matches('{').trim_end_matches("+}"))
}

impl Gateway {
    /// Finds the stage, resource and method of a request (`path` without
    /// its query string). Requests to no stage, or to no method of a known
    /// stage, get AWS's 403 "Missing Authentication Token".
    pub(crate) fn route<'a>(&self, verb: &str, host: Option<&'a str>, path: &'a str, trace: &mut Trace) -> Result<Routed<'a>, Refusal> {
        let Some((api, stage, rest)) = parse_target(host, path) else {
            return Err(Box::new(missing_token()));
        };
        let stages = self.registry.stages();
        let Some(compiled) = stages.get(api).and_then(|s| s.get(stage)) else {
            return Err(Box::new(missing_token()));
        };
        let mut logged = String::with_capacity(rest.len() + 1);
        logged.push('/');
        logged.push_str(rest);
        trace.path = logged;
        let no_route = || {
            Some(Arc::new(MetricKey {
                api: compiled.api_id.clone(),
                stage: compiled.stage.clone(),
                resource: NO_ROUTE.into(),
                method: verb.to_string(),
            }))
        };
        // Most paths have a few segments: keep them on the stack.
        let mut few = [""; 16];
        let mut many = Vec::new();
        let mut n = 0;
        let mut left = Some(rest);
        while let Some(text) = left {
            let seg;
            (seg, left) = match split_at_byte(text, b'/') {
                Some((seg, after)) => (seg, Some(after)),
                None => (text, None),
            };
            if seg.is_empty() {
                continue;
            }
            if n < few.len() {
                few[n] = seg;
            } else {
                if many.is_empty() {
                    many.extend_from_slice(&few);
                }
                many.push(seg);
            }
            n += 1;
        }
        let segments = if many.is_empty() { &few[..n] } else { &many[..] };
        let mut params: Params = Vec::new();
        let Some(route) = compiled.root.find(segments, &mut params) else {
            trace.metric = no_route();
            trace.reason = Some(Reason::NoRoute);
            return Err(Box::new(missing_token()));
        };
        let Some(method) = route.method(verb).cloned() else {
            trace.metric = no_route();
            trace.reason = Some(Reason::NoRoute);
            return Err(Box::new(missing_token()));
        };
        trace.metric = Some(method.metric.clone());
        Ok(Routed { api, stage, method, params })
    }
}
