//! The rules API configuration must follow. Pure functions, compiled for both
//! the server (which enforces them) and the browser (which shows them inline
//! before a round trip); one implementation for both.

use crate::error::AppError;
use crate::model::{HTTP_METHODS, INTEGRATION_TYPES, TIMEOUT_MAX_MS, TIMEOUT_MIN_MS};

/// What a path part is, once it has passed the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathPartKind {
    /// A fixed segment such as `pets`.
    Literal,
    /// `{name}`: one segment, captured.
    Param,
    /// `{name+}`: the rest of the path, one or more segments.
    Greedy,
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')
}

/// Checks a resource path part and says what kind it is.
pub fn path_part(part: &str) -> Result<PathPartKind, AppError> {
    const FIELD: &str = "pathPart";
    if part.is_empty() {
        return Err(AppError::invalid(FIELD, "pathPart must not be empty."));
    }
    if part.len() > 128 {
        return Err(AppError::invalid(FIELD, "pathPart must be at most 128 characters long."));
    }
    if let Some(inner) = part.strip_prefix('{') {
        let Some(inner) = inner.strip_suffix('}') else {
            return Err(AppError::invalid(
                FIELD,
                format!("pathPart '{part}' opens '{{' but does not end with '}}'. Use {{name}} or {{name+}}."),
            ));
        };
        let (name, kind) = match inner.strip_suffix('+') {
            Some(n) => (n, PathPartKind::Greedy),
            None => (inner, PathPartKind::Param),
        };
        if name.is_empty() || !name.chars().all(is_name_char) {
            return Err(AppError::invalid(
                FIELD,
                format!("pathPart '{part}': a parameter name must be non-empty and use only a-z, A-Z, 0-9, '.', '_' and '-'."),
            ));
        }
        return Ok(kind);
    }
    if part == "." || part == ".." {
        return Err(AppError::invalid(
            FIELD,
            format!("pathPart '{part}' is a dot segment: clients and proxies remove it from URLs, so no request could reach it."),
        ));
    }
    if !part.chars().all(is_name_char) {
        return Err(AppError::invalid(FIELD, format!(
            "pathPart '{part}' may use only a-z, A-Z, 0-9, '.', '_' and '-', or be a parameter {{name}} or a greedy {{name+}}. It must not contain '/'."
        )));
    }
    Ok(PathPartKind::Literal)
}

/// The parameter names in a resource path, in order: `/pets/{id}` gives `["id"]`.
pub fn path_params(path: &str) -> Vec<String> {
    path.split('/').filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}')).map(|n| n.trim_end_matches('+').to_string()).collect()
}

/// An HTTP verb for a method, upper-cased; `ANY` included.
pub fn http_method(method: &str, field: &str) -> Result<String, AppError> {
    let up = method.trim().to_ascii_uppercase();
    if HTTP_METHODS.contains(&up.as_str()) {
        Ok(up)
    } else {
        Err(AppError::invalid(
            field,
            format!("{field} '{method}' is not a method this gateway serves. Use one of {}.", HTTP_METHODS.join(", ")),
        ))
    }
}

/// The backend verb of an integration: a real verb, not `ANY`... except that
/// AWS allows `ANY` for HTTP_PROXY, meaning "the caller's verb".
pub fn integration_method(method: &str) -> Result<String, AppError> {
    http_method(method, "integrationHttpMethod")
}

/// An integration type this gateway runs.
pub fn integration_type(kind: &str) -> Result<String, AppError> {
    if INTEGRATION_TYPES.contains(&kind) {
        Ok(kind.to_string())
    } else {
        Err(AppError::invalid("type", format!("type '{kind}' is not supported. Use one of {}.", INTEGRATION_TYPES.join(", "))))
    }
}

/// An integration timeout in milliseconds.
pub fn timeout_ms(ms: i64) -> Result<i64, AppError> {
    if (TIMEOUT_MIN_MS..=TIMEOUT_MAX_MS).contains(&ms) {
        Ok(ms)
    } else {
        Err(AppError::invalid(
            "timeoutInMillis",
            format!("timeoutInMillis must be between {TIMEOUT_MIN_MS} and {TIMEOUT_MAX_MS} milliseconds; {ms} is not."),
        ))
    }
}

/// An integration endpoint: an absolute http(s) URL. `{param}` path
/// placeholders and `${stageVariables.name}` are allowed anywhere.
pub fn endpoint_uri(uri: &str) -> Result<(), AppError> {
    const FIELD: &str = "uri";
    let rest = uri.strip_prefix("http://").or_else(|| uri.strip_prefix("https://")).ok_or_else(|| {
        AppError::invalid(
            FIELD,
            format!("uri '{uri}' must be an absolute URL starting with http:// or https://, e.g. http://backend.internal/pets/{{id}}."),
        )
    })?;
    if uri.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(AppError::invalid(FIELD, "uri must not contain spaces or control characters."));
    }
    if uri.len() > 2048 {
        return Err(AppError::invalid(FIELD, "uri must be at most 2048 characters long."));
    }
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() {
        return Err(AppError::invalid(FIELD, format!("uri '{uri}' has no host after the scheme.")));
    }
    // Every ${…} must be a stage variable reference.
    let mut s = uri;
    while let Some(start) = s.find("${") {
        let after = &s[start + 2..];
        let end = after.find('}').ok_or_else(|| AppError::invalid(FIELD, "uri has a '${' without a closing '}'."))?;
        let var = &after[..end];
        let ok =
            var.strip_prefix("stageVariables.").is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
        if !ok {
            return Err(AppError::invalid(
                FIELD,
                format!("uri placeholder '${{{var}}}' is not allowed; only ${{stageVariables.name}} (letters, digits, '_') is."),
            ));
        }
        s = &after[end + 1..];
    }
    // Every other {…} is a path parameter: closed, and a plain name.
    let mut rest = uri;
    while let Some(i) = rest.find(['{', '}']) {
        if rest[i..].starts_with('}') {
            return Err(AppError::invalid(FIELD, format!("uri '{uri}' has a '}}' with no '{{' before it.")));
        }
        if i > 0 && rest.as_bytes()[i - 1] == b'$' {
            rest = &rest[i + 1..];
            rest = &rest[rest.find('}').map_or(rest.len(), |e| e + 1)..];
            continue;
        }
        let after = &rest[i + 1..];
        let Some(end) = after.find('}') else {
            return Err(AppError::invalid(
                FIELD,
                format!("uri '{uri}' has a '{{' without a closing '}}': write a path parameter as {{name}}."),
            ));
        };
        let name = &after[..end];
        let plain =
            !name.is_empty() && name.trim_end_matches('+').chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        if !plain {
            return Err(AppError::invalid(
                FIELD,
                format!("uri placeholder '{{{name}}}' is not a parameter name; use letters, digits, '_', '-' or '.', e.g. {{id}}."),
            ));
        }
        rest = &after[end + 1..];
    }
    Ok(())
}

/// A name shown in lists and logs: no control characters at all (a NUL or
/// an escape sequence in a name breaks terminals, logs and exports).
pub fn no_control_chars(field: &str, value: &str) -> Result<(), AppError> {
    match value.chars().find(|c| c.is_control()) {
        Some(c) => Err(AppError::invalid(field, format!("{field} must not contain control characters (found U+{:04X}).", c as u32))),
        None => Ok(()),
    }
}

/// A REST API's name.
pub fn api_name(name: &str) -> Result<String, AppError> {
    let n = name.trim();
    if n.is_empty() {
        return Err(AppError::invalid("name", "name is required."));
    }
    if n.chars().count() > 128 {
        return Err(AppError::invalid("name", "name must be at most 128 characters long."));
    }
    no_control_chars("name", n)?;
    Ok(n.to_string())
}

/// A description (of an API, key, plan, deployment or stage): at most 1024
/// characters; line breaks and tabs are allowed, other control characters not.
pub fn api_description(d: &str) -> Result<String, AppError> {
    if d.chars().count() > 1024 {
        return Err(AppError::invalid("description", "description must be at most 1024 characters long."));
    }
    if let Some(c) = d.chars().find(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err(AppError::invalid(
            "description",
            format!("description must not contain control characters other than line breaks and tabs (found U+{:04X}).", c as u32),
        ));
    }
    Ok(d.to_string())
}

/// Lowest and highest status a method or integration response may answer.
pub const STATUS_MIN: u16 = 200;
pub const STATUS_MAX: u16 = 599;

/// A method or integration response's status code: three digits, 200 to 599.
/// AWS's model allows `[1-5]\d\d`; this gateway refuses 1xx too, because a
/// 1xx status is an interim response (100 Continue, 101 Switching Protocols)
/// that must be followed by a final one, and the status configured here is
/// the final answer the gateway sends.
pub fn status_code(code: &str) -> Result<String, AppError> {
    let n = (code.len() == 3 && code.bytes().all(|b| b.is_ascii_digit())).then(|| code.parse::<u16>().ok()).flatten();
    match n {
        Some(n) if (STATUS_MIN..=STATUS_MAX).contains(&n) => Ok(code.to_string()),
        _ => Err(AppError::invalid(
            "statusCode",
            format!(
                "statusCode: must be a number from {STATUS_MIN} to {STATUS_MAX}; '{code}' is not. \
             (1xx statuses are interim responses such as 100 Continue; a gateway cannot send one as its final answer.)"
            ),
        )),
    }
}

/// An HTTP integration's responses as the method editor sends them:
/// (selection pattern, status). At least one; each status once (AWS keys
/// integration responses by status); one default (empty pattern) at most.
/// Whether each pattern is a valid regular expression is checked by the
/// server, which compiles them.
pub fn http_responses(rows: &[(String, String)]) -> Result<(), AppError> {
    let field = "integrationResponses";
    if rows.is_empty() {
        return Err(AppError::invalid(field, "Responses: an HTTP integration needs at least one; add the default (empty pattern)."));
    }
    for (i, (pattern, status)) in rows.iter().enumerate() {
        status_code(status.trim()).map_err(|_| {
            AppError::invalid(field, format!("Responses: status '{status}' must be a number from {STATUS_MIN} to {STATUS_MAX}."))
        })?;
        if pattern.len() > 2048 {
            return Err(AppError::invalid(field, "Responses: a backend status pattern must be at most 2048 characters long."));
        }
        if rows[..i].iter().any(|(_, s)| s.trim() == status.trim()) {
            return Err(AppError::invalid(field, format!("Responses: status {} is listed twice; each status maps once.", status.trim())));
        }
        if pattern.trim().is_empty() && rows[..i].iter().any(|(p, _)| p.trim().is_empty()) {
            return Err(AppError::invalid(field, "Responses: only one row may leave the pattern empty (the default)."));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_parts() {
        assert_eq!(path_part("pets").unwrap(), PathPartKind::Literal);
        assert_eq!(path_part("{id}").unwrap(), PathPartKind::Param);
        assert_eq!(path_part("{proxy+}").unwrap(), PathPartKind::Greedy);
        for bad in ["", "a/b", "{id", "{}", "{+}", "p ets", "{a b}", "é", ".", "..", "a\0b"] {
            let e = path_part(bad).unwrap_err();
            assert_eq!(e.field(), Some("pathPart"), "{bad}");
        }
        assert_eq!(path_part("...").unwrap(), PathPartKind::Literal, "only . and .. are dot segments");
    }

    #[test]
    fn names_and_descriptions_refuse_control_characters() {
        for bad in ["a\0b", "a\u{1b}[31mred", "tab\there"] {
            assert_eq!(api_name(bad).unwrap_err().field(), Some("name"), "{bad:?}");
            assert_eq!(plan_name(bad).unwrap_err().field(), Some("name"), "{bad:?}");
            assert_eq!(api_key_name(bad).unwrap_err().field(), Some("name"), "{bad:?}");
        }
        assert!(api_name("a\0b").unwrap_err().to_string().contains("U+0000"));
        assert!(api_description("line one\nline two\ttabbed").is_ok());
        assert_eq!(api_description("nul\0").unwrap_err().field(), Some("description"));
    }

    #[test]
    fn uris() {
        for ok in [
            "http://example.com",
            "https://backend:8080/pets/{id}",
            "http://${stageVariables.host}/x",
            "http://h/${stageVariables.v1_x}/{proxy}",
            "http://h/{proxy+}?a={a.b}",
        ] {
            assert!(endpoint_uri(ok).is_ok(), "{ok}");
        }
        for bad in [
            "ftp://x",
            "/relative",
            "http://",
            "http://a b",
            "http://h/${env.x}",
            "http://h/${stageVariables.x",
            "http://h/pets/{id",
            "http://h/pets/id}",
            "http://h/{}",
            "http://h/{a{b}}",
            "http://h/{a/b}",
        ] {
            assert_eq!(endpoint_uri(bad).unwrap_err().field(), Some("uri"), "{bad}");
        }
    }

    #[test]
    fn timeouts_methods_and_params() {
        assert!(timeout_ms(50).is_ok() && timeout_ms(29_000).is_ok());
        assert!(timeout_ms(49).is_err() && timeout_ms(29_001).is_err());
        assert_eq!(http_method("get", "httpMethod").unwrap(), "GET");
        assert!(http_method("FETCH", "httpMethod").is_err());
        assert_eq!(path_params("/pets/{id}/toys/{proxy+}"), vec!["id", "proxy"]);
        assert!(status_code("200").is_ok());
        assert!(status_code("2000").is_err() && status_code("099").is_err());
    }

    #[test]
    fn http_responses_map_each_status_once() {
        let rows = |r: &[(&str, &str)]| r.iter().map(|(p, s)| (p.to_string(), s.to_string())).collect::<Vec<_>>();
        assert!(http_responses(&rows(&[("", "200")])).is_ok());
        assert!(http_responses(&rows(&[("4\\d{2}", "400"), ("5\\d{2}", "502"), ("", "200")])).is_ok());
        for (bad, needle) in [
            (rows(&[]), "at least one"),
            (rows(&[("", "20")]), "status '20'"),
            (rows(&[("4..", "400"), ("5..", "400")]), "status 400 is listed twice"),
            (rows(&[("", "200"), (" ", "201")]), "only one row may leave the pattern empty"),
        ] {
            let e = http_responses(&bad).unwrap_err();
            assert_eq!(e.field(), Some("integrationResponses"));
            assert!(e.to_string().contains(needle), "{e}");
        }
    }

    #[test]
    fn status_codes_are_final_statuses() {
        for ok in ["200", "204", "301", "404", "599"] {
            assert_eq!(status_code(ok).unwrap(), ok);
        }
        for bad in ["100", "101", "199", "600", "999", "20", "2000", "+20", " 200", "2x0", "", "٢٠٠"] {
            let e = status_code(bad).unwrap_err();
            assert_eq!(e.field(), Some("statusCode"), "{bad}");
            let msg = e.to_string();
            assert!(msg.starts_with("statusCode: must be a number from 200 to 599;"), "{msg}");
            assert!(msg.contains(&format!("'{bad}' is not")), "{msg}");
        }
        assert!(status_code("101").unwrap_err().to_string().contains("interim"));
    }
}

/// A stage name: 1–128 of letters, digits, '-' and '_'.
pub fn stage_name(name: &str) -> Result<String, AppError> {
    if name.is_empty() || name.len() > 128 || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(AppError::invalid(
            "stageName",
            format!("stageName '{name}' must be 1 to 128 characters of letters, digits, '-' and '_'."),
        ));
    }
    Ok(name.to_string())
}

/// A stage variable: name of letters, digits and '_'; value of at most 2048
/// characters from letters, digits and `-._~:/?#&=,` (AWS's set).
pub fn stage_variable(name: &str, value: &str) -> Result<(), AppError> {
    if name.is_empty() || name.len() > 64 || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(AppError::invalid("variables", format!("Stage variable name '{name}' must be 1 to 64 letters, digits or '_'.")));
    }
    if value.len() > 2048 || !value.chars().all(|c| c.is_ascii_alphanumeric() || "-._~:/?#&=,".contains(c)) {
        return Err(AppError::invalid(
            "variables",
            format!("Stage variable '{name}': the value may use only letters, digits and -._~:/?#&=, (at most 2048 characters)."),
        ));
    }
    Ok(())
}

/// An API key's name: 1–1024 characters.
pub fn api_key_name(name: &str) -> Result<String, AppError> {
    let n = name.trim();
    if n.is_empty() {
        return Err(AppError::invalid("name", "name is required."));
    }
    if n.chars().count() > 1024 {
        return Err(AppError::invalid("name", "name must be at most 1024 characters long."));
    }
    no_control_chars("name", n)?;
    Ok(n.to_string())
}

/// A caller-chosen API key value: 20–128 visible ASCII characters (it travels
/// in the `x-api-key` header).
pub fn api_key_value(value: &str) -> Result<(), AppError> {
    let n = value.len();
    if !(20..=128).contains(&n) || !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(AppError::invalid(
            "value",
            format!("value must be 20 to 128 visible ASCII characters without spaces (got {} characters).", value.chars().count()),
        ));
    }
    Ok(())
}

/// A usage plan's name: 1–255 characters.
pub fn plan_name(name: &str) -> Result<String, AppError> {
    let n = name.trim();
    if n.is_empty() {
        return Err(AppError::invalid("name", "name is required."));
    }
    if n.chars().count() > 255 {
        return Err(AppError::invalid("name", "name must be at most 255 characters long."));
    }
    no_control_chars("name", n)?;
    Ok(n.to_string())
}

/// Throttle bounds: a rate is 0 (every request refused) or from
/// `THROTTLE_MIN_RATE` to `THROTTLE_MAX_RATE` requests per second; a burst is
/// a whole number from 0 (every request refused) to `THROTTLE_MAX_BURST`.
///
/// Why these: the gateway's limiter (`server/src/gateway/limits.rs`, a GCRA
/// bucket in one `u64` of nanoseconds) spaces requests `1e9 / rate` ns apart
/// and lets the next-allowed time run up to `burst` of those spaces ahead of
/// now. At the slowest rate (0.001/s, one request per 1000 s = 1e12 ns) and the
/// largest burst (1,000,000) that is 1e18 ns (about 32 years), plus one more
/// interval, added to the process's uptime: far inside `u64::MAX` (1.8e19 ns),
/// so nothing can wrap. A rate of 1e-10 alone is an interval of 1e19 ns, and
/// two of them wrap a `u64`. AWS's default account limits are 10,000 requests
/// per second and a burst of 5,000; 1,000,000 of each leaves room above that.
pub const THROTTLE_MIN_RATE: f64 = 0.001;
pub const THROTTLE_MAX_RATE: f64 = 1_000_000.0;
pub const THROTTLE_MAX_BURST: i64 = 1_000_000;

/// A rate as a person wrote it: 1e-10 rather than 0.0000000001.
fn show_number(v: f64) -> String {
    if v != 0.0 && v.is_finite() && (v.abs() < 1e-3 || v.abs() >= 1e15) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

fn rate_limit_error(field: &str, shown: &str) -> AppError {
    AppError::invalid(
        field,
        format!(
            "{field}: must be 0 (refuses every request) or a number from {} to {} requests per second; {shown} is not.",
            show_number(THROTTLE_MIN_RATE),
            show_number(THROTTLE_MAX_RATE)
        ),
    )
}

fn burst_limit_error(field: &str, shown: &str) -> AppError {
    AppError::invalid(
        field,
        format!("{field}: must be a whole number from 0 to {THROTTLE_MAX_BURST} (0 refuses every request); {shown} is not."),
    )
}

/// A throttle's steady rate in requests per second: 0, or a finite number
/// from `THROTTLE_MIN_RATE` to `THROTTLE_MAX_RATE`. `field` names it in the error.
pub fn rate_limit(rate: f64, field: &str) -> Result<f64, AppError> {
    if rate == 0.0 || (THROTTLE_MIN_RATE..=THROTTLE_MAX_RATE).contains(&rate) {
        Ok(rate.abs())
    } else {
        Err(rate_limit_error(field, &show_number(rate)))
    }
}

/// A throttle's burst: a whole number from 0 to `THROTTLE_MAX_BURST`.
pub fn burst_limit(burst: i64, field: &str) -> Result<i64, AppError> {
    if (0..=THROTTLE_MAX_BURST).contains(&burst) {
        Ok(burst)
    } else {
        Err(burst_limit_error(field, &burst.to_string()))
    }
}

/// `rate_limit` of a value given as text (a patch operation's value).
pub fn rate_limit_text(value: &str, field: &str) -> Result<f64, AppError> {
    let shown = format!("'{value}'");
    let rate: f64 = value.trim().parse().map_err(|_| rate_limit_error(field, &shown))?;
    rate_limit(rate, field).map_err(|_| rate_limit_error(field, &shown))
}

/// `burst_limit` of a value given as text (a patch operation's value).
pub fn burst_limit_text(value: &str, field: &str) -> Result<i64, AppError> {
    let shown = format!("'{value}'");
    let burst: i64 = value.trim().parse().map_err(|_| burst_limit_error(field, &shown))?;
    burst_limit(burst, field).map_err(|_| burst_limit_error(field, &shown))
}

/// Throttle limits: `rate_limit` and `burst_limit`, named `{field}.rateLimit`
/// and `{field}.burstLimit` (e.g. `throttle.rateLimit`).
pub fn throttle(t: &crate::model::ThrottleSettings, field: &str) -> Result<(), AppError> {
    rate_limit(t.rate_limit, &format!("{field}.rateLimit"))?;
    burst_limit(t.burst_limit, &format!("{field}.burstLimit"))?;
    Ok(())
}

/// A quota: a positive limit, a period of DAY, WEEK or MONTH, and an offset
/// in days that fits the period (DAY 0, WEEK 0–6, MONTH 0–27).
pub fn quota(q: &crate::model::QuotaSettings) -> Result<(), AppError> {
    if q.limit < 1 {
        return Err(AppError::invalid("quota.limit", format!("quota limit must be 1 or more requests per period; {} is not.", q.limit)));
    }
    let max_offset = match q.period.as_str() {
        "DAY" => 0,
        "WEEK" => 6,
        "MONTH" => 27,
        other => return Err(AppError::invalid("quota.period", format!("quota period must be DAY, WEEK or MONTH; '{other}' is not."))),
    };
    if !(0..=max_offset).contains(&q.offset) {
        return Err(AppError::invalid(
            "quota.offset",
            match q.period.as_str() {
                "DAY" => format!("quota offset must be 0 for a DAY period; {} is not.", q.offset),
                p => format!("quota offset for a {p} period must be a whole number of days from 0 to {max_offset}; {} is not.", q.offset),
            },
        ));
    }
    Ok(())
}

#[cfg(test)]
mod key_and_plan_tests {
    use super::*;
    use crate::model::{QuotaSettings, ThrottleSettings};

    #[test]
    fn key_values_and_names() {
        assert!(api_key_value(&"a".repeat(20)).is_ok() && api_key_value(&"a".repeat(128)).is_ok());
        for bad in ["a".repeat(19), "a".repeat(129), format!("{} b", "a".repeat(20)), format!("é{}", "a".repeat(20))] {
            assert_eq!(api_key_value(&bad).unwrap_err().field(), Some("value"), "{bad}");
        }
        assert_eq!(api_key_name("  x ").unwrap(), "x");
        assert!(api_key_name(" ").is_err() && plan_name("").is_err());
    }

    #[test]
    fn throttles_and_quotas() {
        let t = |rate_limit, burst_limit| ThrottleSettings { rate_limit, burst_limit };
        assert!(throttle(&t(10.0, 5), "throttle").is_ok() && throttle(&t(0.0, 0), "throttle").is_ok());
        assert_eq!(throttle(&t(-1.0, 5), "throttle").unwrap_err().field(), Some("throttle.rateLimit"));
        assert_eq!(throttle(&t(f64::NAN, 5), "throttle").unwrap_err().field(), Some("throttle.rateLimit"));
        assert_eq!(throttle(&t(1.0, -5), "throttle").unwrap_err().field(), Some("throttle.burstLimit"));
        let q = |limit, period: &str, offset| QuotaSettings { limit, period: period.into(), offset };
        assert!(quota(&q(100, "DAY", 0)).is_ok() && quota(&q(1, "WEEK", 6)).is_ok() && quota(&q(1, "MONTH", 27)).is_ok());
        assert_eq!(quota(&q(0, "DAY", 0)).unwrap_err().field(), Some("quota.limit"));
        assert_eq!(quota(&q(5, "YEAR", 0)).unwrap_err().field(), Some("quota.period"));
        assert_eq!(quota(&q(5, "DAY", 1)).unwrap_err().field(), Some("quota.offset"));
        assert_eq!(quota(&q(5, "WEEK", 7)).unwrap_err().field(), Some("quota.offset"));
        assert_eq!(quota(&q(5, "MONTH", 28)).unwrap_err().field(), Some("quota.offset"));
    }

    #[test]
    fn throttle_ranges_keep_the_limiter_exact() {
        let t = |rate_limit, burst_limit| ThrottleSettings { rate_limit, burst_limit };
        for (rate, burst) in [(0.0, 0), (0.001, 1), (0.01, 2), (10_000.0, 5_000), (1_000_000.0, 1_000_000)] {
            assert!(throttle(&t(rate, burst), "throttle").is_ok(), "{rate} {burst}");
        }
        assert_eq!(rate_limit(-0.0, "r").unwrap(), 0.0);
        for rate in [1e-10, 0.0009, f64::MIN_POSITIVE, -1.0, 1_000_000.5, f64::INFINITY, f64::NEG_INFINITY, f64::NAN] {
            let e = throttle(&t(rate, 1), "throttle").unwrap_err();
            assert_eq!(e.field(), Some("throttle.rateLimit"), "{rate}");
            assert!(e.to_string().starts_with("throttle.rateLimit: must be 0"), "{e}");
        }
        assert_eq!(
            rate_limit(1e-10, "throttle.rateLimit").unwrap_err().to_string(),
            "throttle.rateLimit: must be 0 (refuses every request) or a number from 0.001 to 1000000 requests per second; 1e-10 is not."
        );
        for burst in [-1, 1_000_001, i64::MAX, i64::MIN] {
            let e = throttle(&t(1.0, burst), "apiStages[0].throttle[/pets/GET]").unwrap_err();
            assert_eq!(e.field(), Some("apiStages[0].throttle[/pets/GET].burstLimit"), "{burst}");
            assert!(e.to_string().contains(&format!("; {burst} is not.")), "{e}");
        }
        // As text, the value is echoed as it was sent.
        assert_eq!(rate_limit_text("2.5", "f").unwrap(), 2.5);
        assert_eq!(burst_limit_text(" 7 ", "f").unwrap(), 7);
        for bad in ["1e-10", "fast", "", "NaN", "inf", "-1", "1e7"] {
            let e = rate_limit_text(bad, "/*/*/throttling/rateLimit").unwrap_err();
            assert_eq!(e.field(), Some("/*/*/throttling/rateLimit"));
            assert!(e.to_string().contains(&format!("; '{bad}' is not.")), "{e}");
        }
        for bad in ["1.5", "-1", "1000001", "many", "1e3"] {
            assert!(burst_limit_text(bad, "b").unwrap_err().to_string().contains(&format!("'{bad}' is not")), "{bad}");
        }
    }
}

/// A method request parameter as PutMethod declares it:
/// `method.request.{path|querystring|multivaluequerystring|header|multivalueheader}.NAME`.
pub fn method_request_parameter(key: &str) -> Result<(), AppError> {
    const PLACES: [&str; 5] = ["path", "querystring", "multivaluequerystring", "header", "multivalueheader"];
    let ok = key.strip_prefix("method.request.").and_then(|rest| rest.split_once('.')).is_some_and(|(place, name)| {
        PLACES.contains(&place) && !name.is_empty() && name.len() <= 256 && !name.contains(char::is_whitespace)
    });
    if ok {
        Ok(())
    } else {
        Err(AppError::invalid(
            "requestParameters",
            format!(
                "Invalid method request parameter '{key}': use method.request.path.NAME, method.request.querystring.NAME, \
                 method.request.multivaluequerystring.NAME, method.request.header.NAME or method.request.multivalueheader.NAME."
            ),
        ))
    }
}

/// A media type as a key of requestModels, responseModels or templates.
pub fn content_type(field: &str, ct: &str) -> Result<(), AppError> {
    if ct.split_once('/').is_some_and(|(a, b)| !a.is_empty() && !b.is_empty()) && ct.len() <= 255 && ct.is_ascii() {
        Ok(())
    } else {
        Err(AppError::invalid(field, format!("{field} keys are content types such as application/json; '{ct}' is not.")))
    }
}

/// Longest model schema accepted (AWS's limit on a model is 400 KB).
const MAX_SCHEMA_BYTES: usize = 400 * 1024;

/// A model's name: letters and digits only, as AWS requires.
pub fn model_name(name: &str) -> Result<(), AppError> {
    if name.is_empty() {
        return Err(AppError::invalid("name", "No Model Name specified"));
    }
    if name.len() > 128 || !name.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(AppError::invalid("name", format!("Invalid model name specified: {name}. Model names must be alphanumeric.")));
    }
    Ok(())
}

/// A model's schema: JSON text holding an object (a JSON Schema draft 4
/// document), in AWS's words when it is not.
pub fn model_schema(schema: &str) -> Result<(), AppError> {
    let bad =
        |why: String| AppError::invalid("schema", format!("Invalid model specified: Validation Result: warnings : [], errors : [{why}]"));
    if schema.len() > MAX_SCHEMA_BYTES {
        return Err(bad(format!("Model schema is larger than {MAX_SCHEMA_BYTES} bytes")));
    }
    match serde_json::from_str::<serde_json::Value>(schema) {
        Ok(serde_json::Value::Object(_)) => Ok(()),
        Ok(_) => Err(bad("Invalid model schema specified. The schema must be a JSON object".into())),
        Err(e) => Err(bad(format!("Invalid model schema specified. Unable to parse the schema as JSON: {e}"))),
    }
}
