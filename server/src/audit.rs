//! Recording changes in the audit log, from the console's server functions,
//! the control API and the command line alike: one helper, one summary rule
//! (arguments in words, secrets left out).

use apigw_app::identity::SessionUser;

use crate::store::audit::NewAuditEntry;
use crate::store::Store;

/// Fields whose values are never written to the log.
const SECRET_FIELDS: &[&str] = &["password", "confirm", "current", "value", "secret", "secretaccesskey", "token"];

/// Longest summary kept, in characters.
const MAX_TARGET: usize = 1000;

/// Who made a change: a signed-in user, or a name without an account
/// (the command line, or the setup page before its user exists).
#[derive(Clone, Copy)]
pub enum Actor<'a> {
    User(&'a SessionUser),
    Named(&'a str),
}

/// Records one change; a failure to record is logged, never turned into a
/// failure of the change itself, which has already happened.
pub async fn record(store: &Store, user: Actor<'_>, source: &str, via: &str, action: &str, target: &str, status: u16) {
    let (user_id, username) = match user {
        Actor::User(u) => (Some(u.id), u.username.as_str()),
        Actor::Named(name) => (None, name),
    };
    let entry = NewAuditEntry { user_id, username, source, via, action, target, status };
    if let Err(e) = store.insert_audit(&entry).await {
        tracing::error!(error = %e, action, "could not write the audit log entry");
    }
}

/// The arguments of a request body in words: `name=pets, description=…`,
/// from a form or a JSON object, with secret fields shown as `<hidden>` and
/// long values cut.
pub fn summarize_body(body: &[u8]) -> String {
    let mut pairs: Vec<(String, String)> = Vec::new();
    if let Ok(serde_json::Value::Object(map)) = serde_json::from_slice::<serde_json::Value>(body) {
        flatten("", &serde_json::Value::Object(map), &mut pairs);
    } else if let Ok(text) = std::str::from_utf8(body) {
        pairs = form_urlencoded::parse(text.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    }
    let mut out = String::new();
    for (k, v) in pairs {
        if !out.is_empty() {
            out.push_str(", ");
        }
        let last = k.rsplit(['.', '[']).next().unwrap_or(&k).trim_end_matches(']').to_ascii_lowercase();
        // `value` is secret as an API key's value (top level); in a patch operation it is the new setting.
        let secret = SECRET_FIELDS.contains(&last.as_str()) && (last != "value" || k == "value");
        let shown = if secret { "<hidden>".to_string() } else { cut(&v, 120) };
        out.push_str(&format!("{k}={shown}"));
        if out.chars().count() > MAX_TARGET {
            return cut(&out, MAX_TARGET);
        }
    }
    out
}

fn flatten(prefix: &str, v: &serde_json::Value, out: &mut Vec<(String, String)>) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                flatten(&key, v, out);
            }
        }
        serde_json::Value::Array(items) => {
            for (i, v) in items.iter().enumerate().take(20) {
                flatten(&format!("{prefix}[{i}]"), v, out);
            }
        }
        serde_json::Value::String(s) => out.push((prefix.to_string(), s.clone())),
        other => out.push((prefix.to_string(), other.to_string())),
    }
}

fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    s.chars().take(max).collect::<String>() + "…"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_hidden_and_long_values_cut() {
        let form = b"username=ops&password=hunter2hunter2&confirm=hunter2hunter2&role=viewer";
        assert_eq!(summarize_body(form), "username=ops, password=<hidden>, confirm=<hidden>, role=viewer");
        let json = br#"{"name":"k","value":"abcdefghijklmnopqrstuvwxyz","throttle":{"rateLimit":5},"patchOperations":[{"op":"replace","path":"/name","value":"x"}]}"#;
        let s = summarize_body(json);
        assert!(!s.contains("abcdefghij"), "{s}");
        assert!(s.contains("throttle.rateLimit=5") && s.contains("patchOperations[0].path=/name"), "{s}");
        assert!(s.contains("patchOperations[0].value=x"), "a patch's new value is not a secret: {s}");
        let long = format!("name={}", "x".repeat(5000));
        assert!(summarize_body(long.as_bytes()).chars().count() <= 200);
    }
}
