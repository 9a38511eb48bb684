//! What changes for callers when a stage moves from one deployment to
//! another: routes that appear or disappear, API-key requirements and
//! authorization that change, and integrations that point elsewhere. The
//! stage page shows it before a rollback (or roll-forward) is confirmed;
//! the server computes it from the two deployments' snapshots.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::{Integration, Method, Resource};

/// One difference a caller would notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentChange {
    /// `GET /pets/{id}`.
    pub route: String,
    /// "added", "removed" or "changed".
    pub kind: String,
    /// What changes, in words.
    pub what: String,
    /// The change opens or closes access (a key or authorization requirement).
    pub access: bool,
}

fn routes(resources: &[Resource]) -> BTreeMap<String, &Method> {
    let mut out = BTreeMap::new();
    for r in resources {
        for (verb, m) in r.resource_methods.iter().flatten() {
            out.insert(format!("{verb} {}", r.path), m);
        }
    }
    out
}

/// An integration in a few words: `HTTP_PROXY GET http://backend/pets`, `MOCK`.
pub fn integration_summary(i: Option<&Integration>) -> String {
    match i {
        None => "no integration".into(),
        Some(i) if i.kind == "MOCK" => "MOCK".into(),
        Some(i) => {
            let mut s = i.kind.clone();
            if let Some(m) = &i.http_method {
                s.push(' ');
                s.push_str(m);
            }
            if let Some(u) = &i.uri {
                s.push(' ');
                s.push_str(u);
            }
            s
        }
    }
}

/// The changes a stage's callers see when it serves `to` instead of `from`.
pub fn deployment_changes(from: &[Resource], to: &[Resource]) -> Vec<DeploymentChange> {
    let (before, after) = (routes(from), routes(to));
    let mut out = Vec::new();
    let change = |route: &str, kind: &str, what: String, access: bool| DeploymentChange {
        route: route.to_string(),
        kind: kind.into(),
        what,
        access,
    };
    for (route, m) in &after {
        if !before.contains_key(route) {
            let key = if m.api_key_required { ", API key required" } else { ", no API key required" };
            out.push(change(
                route,
                "added",
                format!("Starts answering ({}{key}).", integration_summary(m.method_integration.as_ref())),
                false,
            ));
        }
    }
    for route in before.keys().filter(|r| !after.contains_key(*r)) {
        out.push(change(route, "removed", "Stops answering: callers get 403 Missing Authentication Token.".into(), false));
    }
    for (route, old) in &before {
        let Some(new) = after.get(route) else { continue };
        if old.api_key_required != new.api_key_required {
            let what = if new.api_key_required {
                "API key becomes required: callers without a key get 403."
            } else {
                "API key no longer required: anyone can call it, and usage plans no longer count or limit it."
            };
            out.push(change(route, "changed", what.into(), true));
        }
        if old.authorization_type != new.authorization_type {
            out.push(change(route, "changed", format!("Authorization {} → {}.", old.authorization_type, new.authorization_type), true));
        }
        let (a, b) = (old.method_integration.as_ref(), new.method_integration.as_ref());
        let (sa, sb) = (integration_summary(a), integration_summary(b));
        if sa != sb {
            out.push(change(route, "changed", format!("Integration {sa} → {sb}."), false));
        } else if a != b || old.method_responses != new.method_responses || old.operation_name != new.operation_name {
            out.push(change(route, "changed", "Other method settings differ (timeout, mappings, templates or responses).".into(), false));
        }
    }
    out.sort_by(|x, y| y.access.cmp(&x.access).then(x.route.cmp(&y.route)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn method(verb: &str, key: bool, uri: Option<&str>) -> Method {
        Method {
            http_method: verb.into(),
            authorization_type: "NONE".into(),
            api_key_required: key,
            operation_name: None,
            request_parameters: Default::default(),
            request_models: Default::default(),
            request_validator_id: None,
            authorization_scopes: vec![],
            method_responses: None,
            method_integration: Some(Integration {
                kind: if uri.is_some() { "HTTP_PROXY".into() } else { "MOCK".into() },
                http_method: uri.map(|_| verb.to_string()),
                uri: uri.map(str::to_string),
                timeout_in_millis: 29_000,
                passthrough_behavior: "WHEN_NO_MATCH".into(),
                cache_namespace: "r".into(),
                cache_key_parameters: vec![],
                connection_type: None,
                credentials: None,
                request_parameters: Default::default(),
                request_templates: Default::default(),
                integration_responses: None,
            }),
        }
    }

    fn resource(path: &str, methods: Vec<Method>) -> Resource {
        Resource {
            id: path.into(),
            parent_id: None,
            path_part: None,
            path: path.into(),
            resource_methods: Some(methods.into_iter().map(|m| (m.http_method.clone(), m)).collect()),
        }
    }

    #[test]
    fn a_rollback_that_opens_a_route_says_so_first() {
        let new =
            vec![resource("/pets", vec![method("GET", true, Some("http://b/pets"))]), resource("/toys", vec![method("GET", false, None)])];
        let old = vec![resource("/pets", vec![method("GET", false, Some("http://a/pets")), method("POST", false, None)])];
        let changes = deployment_changes(&new, &old);
        let lines: Vec<(&str, &str, bool)> = changes.iter().map(|c| (c.route.as_str(), c.kind.as_str(), c.access)).collect();
        assert_eq!(
            lines,
            [
                ("GET /pets", "changed", true),
                ("GET /pets", "changed", false),
                ("GET /toys", "removed", false),
                ("POST /pets", "added", false)
            ]
        );
        assert!(changes[0].what.contains("no longer required"));
        assert_eq!(changes[1].what, "Integration HTTP_PROXY GET http://b/pets → HTTP_PROXY GET http://a/pets.");
        assert!(changes[3].what.contains("MOCK"));
        assert!(deployment_changes(&new, &new).is_empty());
    }

    #[test]
    fn settings_beyond_the_summary_are_still_noticed() {
        let a = vec![resource("/p", vec![method("GET", false, Some("http://b/"))])];
        let mut b = a.clone();
        let m = b[0].resource_methods.as_mut().unwrap().get_mut("GET").unwrap();
        m.method_integration.as_mut().unwrap().timeout_in_millis = 50;
        let changes = deployment_changes(&a, &b);
        assert_eq!(changes.len(), 1);
        assert!(changes[0].what.starts_with("Other method settings differ"));
    }
}
