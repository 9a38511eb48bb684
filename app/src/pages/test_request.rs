//! The Test tab's request and response helpers, plain functions without
//! the page: filling a resource path, encoding a query, grouping headers,
//! quoting a curl command, pretty JSON that keeps key order, and the words
//! for a status.

use std::collections::BTreeMap;

/// The request the inputs describe, shared by Test, curl and the dry run.
#[derive(Clone, PartialEq)]
pub struct Built {
    /// Path and query, e.g. `/pets/7?color=red`; missing parameters stay `{name}`.
    pub path_with_query: String,
    pub missing: Vec<String>,
}

/// The `{name}` segments of a resource path, with whether each is greedy (`{name+}`).
pub fn template_params(template: &str) -> Vec<(String, bool)> {
    template
        .split('/')
        .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
        .map(|n| match n.strip_suffix('+') {
            Some(n) => (n.to_string(), true),
            None => (n.to_string(), false),
        })
        .collect()
}

/// The resource path with each parameter's value put in (percent-encoded; a
/// greedy one keeps its slashes), and the names of those with no value, which
/// stay `{name}` in the path.
pub fn fill_path(template: &str, values: &BTreeMap<String, String>) -> (String, Vec<String>) {
    let mut missing = Vec::new();
    let segments: Vec<String> = template
        .split('/')
        .map(|seg| {
            let Some(inner) = seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) else {
                return seg.to_string();
            };
            let (name, greedy) = match inner.strip_suffix('+') {
                Some(n) => (n, true),
                None => (inner, false),
            };
            let value = values.get(name).map(|v| v.trim()).unwrap_or("");
            let value = if greedy { value.trim_matches('/') } else { value };
            if value.is_empty() {
                missing.push(name.to_string());
                return seg.to_string();
            }
            if greedy {
                value.split('/').map(encode_segment).collect::<Vec<_>>().join("/")
            } else {
                encode_segment(value)
            }
        })
        .collect();
    (segments.join("/"), missing)
}

/// Percent-encodes what may not stand in a path segment as is.
pub fn encode_segment(s: &str) -> String {
    encode(s, |c| c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:@".contains(c))
}

/// `path?query`, the query with a leading `?` dropped and characters a URL
/// cannot hold (spaces, `#`, non-ASCII) percent-encoded; `%` is left alone so
/// an already encoded query passes unchanged.
pub fn with_query(path: &str, query: &str) -> String {
    let q = query.trim().trim_start_matches('?');
    if q.is_empty() {
        return path.to_string();
    }
    let q = encode(q, |c| c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:@/?%".contains(c));
    format!("{path}?{q}")
}

pub fn encode(s: &str, keep: impl Fn(char) -> bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if keep(c) {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

/// Header rows as TestInvokeInput wants them: a name given once goes in
/// `headers`, a name given more than once in `multi_value_headers`.
#[allow(clippy::type_complexity)]
pub fn header_maps(pairs: Vec<(String, String)>) -> (Option<BTreeMap<String, String>>, Option<BTreeMap<String, Vec<String>>>) {
    let mut grouped: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in pairs {
        grouped.entry(k).or_default().push(v);
    }
    let mut single = BTreeMap::new();
    let mut multi = BTreeMap::new();
    for (k, mut vs) in grouped {
        if vs.len() == 1 {
            single.insert(k, vs.remove(0));
        } else {
            multi.insert(k, vs);
        }
    }
    ((!single.is_empty()).then_some(single), (!multi.is_empty()).then_some(multi))
}

/// `{gateway}/{api}/{stage}{path}`: where a deployed stage answers.
pub fn invoke_url(gateway: &str, api: &str, stage: &str, path_with_query: &str) -> String {
    format!("{}/{api}/{stage}{path_with_query}", gateway.trim_end_matches('/'))
}

/// A word for a POSIX shell: single-quoted, with `'` written as `'\''`.
pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The request as a curl command, one option per line.
pub fn curl_command(verb: &str, url: &str, headers: &[(String, String)], body: &str, api_key_required: bool) -> String {
    let mut parts = vec![match verb {
        // -X HEAD would wait for a body that never comes; -I asks properly.
        "HEAD" => format!("curl -I {}", shell_quote(url)),
        "ANY" => format!("curl -i -X GET {}", shell_quote(url)),
        v => format!("curl -i -X {v} {}", shell_quote(url)),
    }];
    for (k, v) in headers {
        parts.push(format!("-H {}", shell_quote(&format!("{k}: {v}"))));
    }
    if api_key_required && !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("x-api-key")) {
        parts.push(format!("-H {}", shell_quote("x-api-key: <YOUR_API_KEY>")));
    }
    if !body.is_empty() {
        // --data reads a file when the text starts with '@'; --data-raw never does.
        let flag = if body.starts_with('@') { "--data-raw" } else { "--data" };
        parts.push(format!("{flag} {}", shell_quote(body)));
    }
    parts.join(" \\\n  ")
}

/// None when the text does not look like JSON (it does when it starts with
/// `{` or `[`); otherwise whether it parses, with serde_json's reason if not.
pub fn json_check(s: &str) -> Option<Result<(), String>> {
    let t = s.trim_start();
    if !(t.starts_with('{') || t.starts_with('[')) {
        return None;
    }
    Some(serde_json::from_str::<serde::de::IgnoredAny>(s).map(|_| ()).map_err(|e| e.to_string()))
}

/// The JSON text indented two spaces a level, keys in their original order;
/// None when it is not JSON (or is a bare scalar, which has nothing to indent).
pub fn pretty_json(s: &str) -> Option<String> {
    json_check(s)?.ok()?;
    let mut out = String::with_capacity(s.len() * 5 / 4);
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.push_str(&"  ".repeat(depth));
    };
    let mut chars = s.trim().chars().peekable();
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                while chars.peek().is_some_and(|c| c.is_whitespace()) {
                    chars.next();
                }
                let close = if c == '{' { '}' } else { ']' };
                if chars.peek() == Some(&close) {
                    chars.next();
                    out.push(c);
                    out.push(close);
                } else {
                    out.push(c);
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_whitespace() => {}
            c => out.push(c),
        }
    }
    Some(out)
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
pub fn cut_at(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// `812 B`, `64 KB`, `1.5 MB`.
pub fn human_size(n: usize) -> String {
    if n < 1024 {
        format!("{n} B")
    } else if n < 1024 * 1024 {
        format!("{} KB", n.div_ceil(1024))
    } else {
        format!("{:.1} MB", n as f64 / (1024.0 * 1024.0))
    }
}

/// A log line `Sat Nov 21 14:05:03 UTC 2026 : text` as (date, text); lines
/// without a date (the first) come back whole.
pub fn split_log_line(line: &str) -> (Option<&str>, &str) {
    match line.split_once(" : ") {
        Some((date, text)) if date.contains(" UTC ") && date.len() <= 32 => (Some(date), text),
        _ => (None, line),
    }
}

pub fn status_class(status: u16) -> &'static str {
    match status {
        200..=299 => "test-status-2xx",
        300..=399 => "test-status-3xx",
        400..=499 => "test-status-4xx",
        500..=599 => "test-status-5xx",
        _ => "test-status-other",
    }
}

/// The reason phrase of the statuses a gateway commonly answers.
pub fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        413 => "Request Too Long",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn fills_paths_and_names_what_is_missing() {
        assert_eq!(fill_path("/pets/{id}", &values(&[("id", "7")])), ("/pets/7".into(), vec![]));
        assert_eq!(fill_path("/pets/{id}", &values(&[("id", " ")])), ("/pets/{id}".into(), vec!["id".to_string()]));
        assert_eq!(fill_path("/", &values(&[])), ("/".into(), vec![]));
        assert_eq!(fill_path("/files/{path+}", &values(&[("path", "/a b/c/")])), ("/files/a%20b/c".into(), vec![]));
        assert_eq!(fill_path("/u/{name}", &values(&[("name", "a/b?é")])).0, "/u/a%2Fb%3F%C3%A9");
        assert_eq!(template_params("/a/{id}/{rest+}"), vec![("id".to_string(), false), ("rest".to_string(), true)]);
    }

    #[test]
    fn queries_are_made_safe() {
        assert_eq!(with_query("/p", "?color=red"), "/p?color=red");
        assert_eq!(with_query("/p", "q=a b#c&x=%20"), "/p?q=a%20b%23c&x=%20");
        assert_eq!(with_query("/p", "  "), "/p");
    }

    #[test]
    fn curl_is_quoted_for_a_shell() {
        let cmd = curl_command("POST", "http://gw/abc/dev/pets?x=1", &[("x-note".into(), "it's".into())], "{\"a\":1}", true);
        assert_eq!(
            cmd,
            "curl -i -X POST 'http://gw/abc/dev/pets?x=1' \\\n  -H 'x-note: it'\\''s' \\\n  -H 'x-api-key: <YOUR_API_KEY>' \\\n  --data '{\"a\":1}'"
        );
        assert!(curl_command("GET", "u", &[], "@file", false).ends_with("--data-raw '@file'"));
        assert_eq!(curl_command("HEAD", "u", &[], "", false), "curl -I 'u'");
        assert_eq!(invoke_url("http://gw:8080/", "abc", "dev", "/"), "http://gw:8080/abc/dev/");
    }

    #[test]
    fn pretty_json_keeps_order_and_strings() {
        assert_eq!(
            pretty_json(r#"{"b":1,"a":[1,2],"s":"x,{y}:\"z\"","e":{},"l":[ ]}"#).unwrap(),
            "{\n  \"b\": 1,\n  \"a\": [\n    1,\n    2\n  ],\n  \"s\": \"x,{y}:\\\"z\\\"\",\n  \"e\": {},\n  \"l\": []\n}"
        );
        assert_eq!(pretty_json("not json"), None);
        assert_eq!(pretty_json("{\"a\":"), None);
        assert!(json_check("{\"a\":}").unwrap().is_err());
        assert_eq!(json_check("plain"), None);
    }

    #[test]
    fn headers_group_repeated_names() {
        let (s, m) = header_maps(vec![("a".into(), "1".into()), ("b".into(), "2".into()), ("b".into(), "3".into())]);
        assert_eq!(s.unwrap(), values(&[("a", "1")]));
        assert_eq!(m.unwrap().get("b").unwrap(), &vec!["2".to_string(), "3".to_string()]);
        assert_eq!(header_maps(vec![]), (None, None));
    }

    #[test]
    fn small_helpers() {
        assert_eq!(cut_at("héllo", 2), "h");
        assert_eq!(human_size(65_536), "64 KB");
        assert_eq!(human_size(1_572_864), "1.5 MB");
        assert_eq!(
            split_log_line("Sat Nov 21 14:05:03 UTC 2026 : Sending request to http://x : y"),
            (Some("Sat Nov 21 14:05:03 UTC 2026"), "Sending request to http://x : y")
        );
        assert_eq!(split_log_line("Execution log for request abc"), (None, "Execution log for request abc"));
        assert_eq!(status_class(404), "test-status-4xx");
    }
}
