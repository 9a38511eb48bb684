//! The normalise stage: a request the gateway will not route. Methods are
//! the seven API Gateway serves (anything else is refused as AWS refuses a
//! method the API does not have, before routing, so invented methods cannot
//! grow the metric keys), and a path with a `.` or `..` segment — written
//! plainly or percent-encoded, or hidden behind an encoded `/` or `\` — is
//! refused, never forwarded: a backend that resolves it would let the
//! caller out of the integration's path.

use http::{Method, StatusCode};

use super::{gateway_error, missing_token, Refusal};

/// The methods API Gateway's REST APIs serve.
pub const METHODS: [Method; 7] = [Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE, Method::HEAD, Method::OPTIONS];

/// Whether the gateway serves `method`.
pub fn served(method: &Method) -> bool {
    METHODS.contains(method)
}

/// Refuses what the gateway does not route; `path` is without its query.
pub(crate) fn check(method: &Method, path: &str) -> Result<(), Refusal> {
    if !served(method) {
        return Err(Box::new(missing_token()));
    }
    if has_dot_segment(path) {
        return Err(Box::new(gateway_error(
            StatusCode::BAD_REQUEST,
            "BadRequestException",
            "Bad Request: the path has a '.' or '..' segment",
        )));
    }
    Ok(())
}

/// Whether any segment of `path`, percent-decoded and split again at `/`
/// and `\`, is `.` or `..`.
pub fn has_dot_segment(path: &str) -> bool {
    // The usual path has neither a dot nor an escape: nothing to decode.
    if !path.bytes().any(|b| b == b'.' || b == b'%') {
        return false;
    }
    path.split('/').any(|segment| {
        let decoded = percent_decode(segment.as_bytes());
        decoded.split(|&b| b == b'/' || b == b'\\').any(|piece| piece == b"." || piece == b"..")
    })
}

/// `%XX` escapes decoded; a `%` not followed by two hex digits stays as it is.
fn percent_decode(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'%' && i + 2 < s.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(s[i + 1]), hex(s[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(s[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_segments_in_any_spelling() {
        for p in [
            "/a/prod/files/x/../../../admin",
            "/a/prod/./x",
            "/a/prod/x/..",
            "/a/prod/x/%2e%2e/y",
            "/a/prod/x/%2E./y",
            "/a/prod/x/.%2e",
            "/a/prod/x/..%2f..%2fadmin",
            "/a/prod/x/..%5Cadmin",
            "/a/prod/x/%2e%2e%2fadmin",
        ] {
            assert!(has_dot_segment(p), "{p}");
        }
        for p in ["/a/prod/x", "/a/prod/x.json", "/a/prod/...", "/a/prod/.well-known/x", "/a/prod/100%", "/a/prod/%2", "/a/prod/a..b", "/"]
        {
            assert!(!has_dot_segment(p), "{p}");
        }
    }

    #[test]
    fn only_api_gateway_methods() {
        for m in ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] {
            assert!(served(&Method::from_bytes(m.as_bytes()).unwrap()));
        }
        for m in ["TRACE", "CONNECT", "PROPFIND", "FOO"] {
            assert!(!served(&Method::from_bytes(m.as_bytes()).unwrap()));
        }
    }
}
