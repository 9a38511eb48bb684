//! AWS Signature Version 4 verification for the control API, so the AWS CLI
//! and SDKs can sign requests with an access key made in the console.
//!
//! Verified as AWS verifies it: the payload hash is the body's own SHA-256
//! (never the caller's `x-amz-content-sha256`, so a signature binds the
//! body), the credential scope must name `apigateway` and an accepted
//! region, and the canonical query is built from the same decoding the
//! handlers use (`+` is a space), so two queries that mean different things
//! never share a signature. Every function takes any bytes without panicking.

use std::collections::BTreeMap;

use hmac::{Hmac, Mac};
use http::HeaderMap;
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// How far a request's X-Amz-Date may be from the server's clock.
pub const MAX_SKEW_SECS: i64 = 15 * 60;

/// The service name a credential scope must carry for this API.
pub const SERVICE: &str = "apigateway";

/// The parts of an `Authorization: AWS4-HMAC-SHA256 …` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    pub access_key_id: String,
    /// `date/region/service/aws4_request`
    pub scope: String,
    pub scope_date: String,
    pub region: String,
    pub service: String,
    pub signed_headers: Vec<String>,
    pub signature: String,
}

/// Which regions a credential scope may name (`--region`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Regions {
    /// `*`: any region.
    Any,
    /// Only this one (the default is `us-east-1`).
    One(String),
}

impl Regions {
    /// `*` or a region name such as `us-east-1` (lower-case letters, digits
    /// and hyphens, 1 to 32 characters).
    pub fn parse(s: &str) -> Result<Self, String> {
        if s == "*" {
            return Ok(Regions::Any);
        }
        let ok = !s.is_empty() && s.len() <= 32 && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        match ok {
            true => Ok(Regions::One(s.to_string())),
            false => {
                Err(format!("'{s}' is not a region: use a name such as us-east-1 (lower-case letters, digits, hyphens), or * for any"))
            }
        }
    }

    fn accepts(&self, region: &str) -> bool {
        match self {
            Regions::Any => !region.is_empty(),
            Regions::One(r) => r == region,
        }
    }
}

impl Default for Regions {
    fn default() -> Self {
        Regions::One("us-east-1".into())
    }
}

/// Why a signature was refused. Each maps onto AWS's error type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SigError {
    /// The Authorization header is not a well-formed SigV4 header
    /// (`IncompleteSignatureException`).
    Malformed(String),
    /// Well-formed but not acceptable: expired, wrong scope, a payload hash
    /// that is not the body's (`InvalidSignatureException`).
    Invalid(String),
    /// The signature does not match (`InvalidSignatureException`); what
    /// the server signed, so the caller can compare with its own.
    Mismatch { canonical_request: String, string_to_sign: String },
}

impl SigError {
    /// The message AWS gives for this error.
    pub fn message(&self) -> String {
        match self {
            SigError::Malformed(m) | SigError::Invalid(m) => m.clone(),
            SigError::Mismatch { canonical_request, string_to_sign } => format!(
                "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\n\nThe Canonical String for this request should have been\n'{canonical_request}'\n\nThe String-to-Sign should have been\n'{string_to_sign}'\n"
            ),
        }
    }

    /// AWS's error type for this error.
    pub fn aws_type(&self) -> &'static str {
        match self {
            SigError::Malformed(_) => "IncompleteSignatureException",
            SigError::Invalid(_) | SigError::Mismatch { .. } => "InvalidSignatureException",
        }
    }
}

/// Parses the Authorization header value.
pub fn parse_authorization(value: &str) -> Result<Credential, SigError> {
    let rest = value
        .strip_prefix("AWS4-HMAC-SHA256 ")
        .ok_or_else(|| SigError::Malformed("Authorization header must start with AWS4-HMAC-SHA256".into()))?;
    let mut fields = BTreeMap::new();
    for part in rest.split(',') {
        let (k, v) = part
            .trim()
            .split_once('=')
            .ok_or_else(|| SigError::Malformed(format!("Authorization header part '{}' is not key=value", part.trim())))?;
        fields.insert(k.trim(), v.trim());
    }
    let get = |k: &str| {
        fields.get(k).map(|v| v.to_string()).ok_or_else(|| SigError::Malformed(format!("Authorization header requires '{k}' parameter")))
    };
    let credential = get("Credential")?;
    let (access_key_id, scope) = credential
        .split_once('/')
        .ok_or_else(|| SigError::Malformed("Credential must be KEYID/date/region/service/aws4_request".into()))?;
    let scope_parts: Vec<&str> = scope.split('/').collect();
    if scope_parts.len() != 4 || scope_parts[3] != "aws4_request" {
        return Err(SigError::Malformed("Credential scope must be date/region/service/aws4_request".into()));
    }
    let signed_headers: Vec<String> = get("SignedHeaders")?.split(';').map(str::to_string).collect();
    if signed_headers.iter().any(|h| h.is_empty() || h.bytes().any(|b| b.is_ascii_uppercase())) {
        return Err(SigError::Malformed("SignedHeaders must be lower-case header names separated by ';'".into()));
    }
    Ok(Credential {
        access_key_id: access_key_id.to_string(),
        scope: scope.to_string(),
        scope_date: scope_parts[0].to_string(),
        region: scope_parts[1].to_string(),
        service: scope_parts[2].to_string(),
        signed_headers,
        signature: get("Signature")?,
    })
}

/// RFC 3986 encoding as SigV4 wants it: unreserved characters stay, and so
/// does '/' when `keep_slash`.
pub fn uri_encode(s: &str, keep_slash: bool) -> String {
    encode_bytes(s.as_bytes(), keep_slash)
}

fn encode_bytes(bytes: &[u8], keep_slash: bool) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            b'/' if keep_slash => out.push('/'),
            _ => {
                out.push('%');
                out.push(HEX[usize::from(b >> 4)] as char);
                out.push(HEX[usize::from(b & 15)] as char);
            }
        }
    }
    out
}

/// Decodes a query key or value as the handlers' form decoding does: `+`
/// is a space, `%XY` a byte, and a `%` without two hex digits stays itself.
/// Bytes in, bytes out: nothing is lost to UTF-8 repair.
fn form_decode(s: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'+' => out.push(b' '),
            b'%' => match (s.get(i + 1).copied().and_then(hex), s.get(i + 2).copied().and_then(hex)) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    out
}

/// The canonical query string: each key and value decoded, encoded again,
/// sorted by key then value.
pub fn canonical_query(raw: &str) -> String {
    let mut pairs: Vec<(String, String)> = raw
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (encode_bytes(&form_decode(k.as_bytes()), false), encode_bytes(&form_decode(v.as_bytes()), false))
        })
        .collect();
    pairs.sort();
    let mut out = String::with_capacity(raw.len() + 8);
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

/// The canonical URI: the path with `.`, `..` and empty segments resolved
/// (a trailing slash kept), then encoded once more, as AWS's services
/// other than S3 sign it.
pub fn canonical_uri(raw_path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for seg in raw_path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let mut path = String::with_capacity(raw_path.len() + 1);
    for seg in &segments {
        path.push('/');
        path.push_str(seg);
    }
    if path.is_empty() || (raw_path.ends_with('/') && !segments.is_empty()) {
        path.push('/');
    }
    uri_encode(&path, true)
}

fn canonical_header_value(headers: &HeaderMap, name: &str) -> String {
    let mut out = String::new();
    for (i, v) in headers.get_all(name).iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        // Trimmed, and each run of spaces inside made one.
        let text = String::from_utf8_lossy(v.as_bytes());
        for (j, word) in text.split_whitespace().enumerate() {
            if j > 0 {
                out.push(' ');
            }
            out.push_str(word);
        }
    }
    out
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// Parses `20261121T103000Z` into unix seconds.
pub fn parse_amz_date(s: &str) -> Option<i64> {
    let fmt = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    time::PrimitiveDateTime::parse(s, fmt).ok().map(|t| t.assume_utc().unix_timestamp())
}

/// The request as signed: what the server received.
pub struct SignedRequest<'a> {
    pub method: &'a str,
    /// The path exactly as received (already percent-encoded once).
    pub raw_path: &'a str,
    pub raw_query: &'a str,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

/// The canonical request, from what was received: the payload hash is the
/// body's own.
pub fn canonical_request(req: &SignedRequest<'_>, cred: &Credential) -> String {
    let mut canonical_headers = String::new();
    for h in &cred.signed_headers {
        canonical_headers.push_str(h);
        canonical_headers.push(':');
        canonical_headers.push_str(&canonical_header_value(req.headers, h));
        canonical_headers.push('\n');
    }
    format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        req.method,
        canonical_uri(req.raw_path),
        canonical_query(req.raw_query),
        canonical_headers,
        cred.signed_headers.join(";"),
        hex::encode(Sha256::digest(req.body))
    )
}

/// The string to sign for a canonical request.
pub fn string_to_sign(canonical_request: &str, cred: &Credential, amz_date: &str) -> String {
    format!("AWS4-HMAC-SHA256\n{amz_date}\n{}\n{}", cred.scope, hex::encode(Sha256::digest(canonical_request.as_bytes())))
}

/// The signature of a string to sign with `secret` under the credential's scope.
pub fn signature(string_to_sign: &str, cred: &Credential, secret: &str) -> String {
    let mut key = hmac(format!("AWS4{secret}").as_bytes(), cred.scope_date.as_bytes());
    for part in [&cred.region, &cred.service, "aws4_request"] {
        key = hmac(&key, part.as_bytes());
    }
    hex::encode(hmac(&key, string_to_sign.as_bytes()))
}

/// The signature the client should have sent, given its secret.
pub fn expected_signature(req: &SignedRequest<'_>, cred: &Credential, secret: &str, amz_date: &str) -> String {
    signature(&string_to_sign(&canonical_request(req, cred), cred, amz_date), cred, secret)
}

/// Checks the date, the scope, the payload hash and the signature of a
/// request against a secret.
pub fn verify(req: &SignedRequest<'_>, cred: &Credential, secret: &str, now: i64, regions: &Regions) -> Result<(), SigError> {
    let amz_date =
        req.headers.get("x-amz-date").and_then(|v| v.to_str().ok()).ok_or_else(|| {
            SigError::Malformed("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header".into())
        })?;
    let signed_at = parse_amz_date(amz_date)
        .ok_or_else(|| SigError::Malformed(format!("X-Amz-Date '{amz_date}' is not in the form YYYYMMDDTHHMMSSZ")))?;
    if (now - signed_at).abs() > MAX_SKEW_SECS {
        return Err(SigError::Invalid(format!(
            "Signature expired: {amz_date} is more than 15 minutes away from the server's time. Check the clock of the machine that signed the request."
        )));
    }
    if !amz_date.starts_with(&cred.scope_date) || cred.scope_date.len() != 8 {
        return Err(SigError::Invalid(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{}'",
            cred.scope_date,
            amz_date.get(..8).unwrap_or(amz_date)
        )));
    }
    if cred.service != SERVICE {
        return Err(SigError::Invalid(format!("Credential should be scoped to correct service: '{SERVICE}'. ")));
    }
    if !regions.accepts(&cred.region) {
        let hint = match regions {
            Regions::One(r) => format!(" This server accepts '{r}' (its --region); sign for it, e.g. AWS_REGION={r}."),
            Regions::Any => String::new(),
        };
        return Err(SigError::Invalid(format!("Credential should be scoped to a valid region, not '{}'.{hint}", cred.region)));
    }
    if !cred.signed_headers.iter().any(|h| h == "host") {
        return Err(SigError::Malformed("SignedHeaders must include host".into()));
    }
    if let Some(claimed) = req.headers.get("x-amz-content-sha256") {
        let actual = hex::encode(Sha256::digest(req.body));
        if claimed.as_bytes() != actual.as_bytes() {
            return Err(SigError::Invalid(format!(
                "The x-amz-content-sha256 header ({}) is not the SHA-256 of the request body ({actual}). This API signs the payload: send the body's hash, not UNSIGNED-PAYLOAD.",
                String::from_utf8_lossy(claimed.as_bytes())
            )));
        }
    }
    let canonical_request = canonical_request(req, cred);
    let string_to_sign = string_to_sign(&canonical_request, cred, amz_date);
    let expected = signature(&string_to_sign, cred, secret);
    let same =
        expected.len() == cred.signature.len() && expected.bytes().zip(cred.signature.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0;
    match same {
        true => Ok(()),
        false => Err(SigError::Mismatch { canonical_request, string_to_sign }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    fn vanilla(service: &str, region: &str) -> (HeaderMap, Credential, i64) {
        let mut headers = HeaderMap::new();
        headers.insert("host", "example.amazonaws.com".parse().unwrap());
        headers.insert("x-amz-date", "20150830T123600Z".parse().unwrap());
        let mut cred = parse_authorization(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        )
        .unwrap();
        cred.service = service.into();
        cred.region = region.into();
        cred.scope = format!("20150830/{region}/{service}/aws4_request");
        (headers, cred, parse_amz_date("20150830T123600Z").unwrap())
    }

    /// AWS's published example (the "get-vanilla" case of the SigV4 test
    /// suite; the whole suite is in tests/tests/sigv4_suite.rs).
    #[test]
    fn matches_the_aws_test_suite_get_vanilla() {
        let (headers, cred, _) = vanilla("service", "us-east-1");
        let req = SignedRequest { method: "GET", raw_path: "/", raw_query: "", headers: &headers, body: b"" };
        assert_eq!(expected_signature(&req, &cred, SECRET, "20150830T123600Z"), cred.signature);
    }

    #[test]
    fn the_scope_must_name_this_service_and_an_accepted_region() {
        let sign = |service: &str, region: &str, regions: &Regions, offset: i64| {
            let (headers, mut cred, now) = vanilla(service, region);
            let req = SignedRequest { method: "GET", raw_path: "/", raw_query: "", headers: &headers, body: b"" };
            cred.signature = expected_signature(&req, &cred, SECRET, "20150830T123600Z");
            verify(&req, &cred, SECRET, now + offset, regions)
        };
        let east = Regions::default();
        sign("apigateway", "us-east-1", &east, 0).unwrap();
        sign("apigateway", "eu-west-3", &Regions::Any, 0).unwrap();
        let wrong_service = sign("service", "us-east-1", &east, 0).unwrap_err();
        assert_eq!((wrong_service.aws_type(), wrong_service.message().contains("'apigateway'")), ("InvalidSignatureException", true));
        let wrong_region = sign("apigateway", "eu-west-3", &east, 0).unwrap_err();
        assert!(wrong_region.message().contains("not 'eu-west-3'") && wrong_region.message().contains("us-east-1"), "{wrong_region:?}");
        assert!(matches!(sign("apigateway", "us-east-1", &east, 901), Err(SigError::Invalid(m)) if m.contains("expired")));
        assert!(Regions::parse("US East").is_err() && Regions::parse("*") == Ok(Regions::Any));
    }

    #[test]
    fn the_payload_hash_is_the_bodys_own() {
        let (mut headers, mut cred, now) = vanilla("apigateway", "us-east-1");
        let body_a = br#"{"name":"a"}"#;
        let hash_a = hex::encode(Sha256::digest(body_a));
        headers.insert("x-amz-content-sha256", hash_a.parse().unwrap());
        cred.signed_headers = vec!["host".into(), "x-amz-content-sha256".into(), "x-amz-date".into()];
        let signed = SignedRequest { method: "POST", raw_path: "/restapis", raw_query: "", headers: &headers, body: body_a };
        cred.signature = expected_signature(&signed, &cred, SECRET, "20150830T123600Z");
        verify(&signed, &cred, SECRET, now, &Regions::default()).unwrap();
        // The same signature and header with another body: refused.
        let swapped = SignedRequest { body: br#"{"name":"b"}"#, ..signed };
        let e = verify(&swapped, &cred, SECRET, now, &Regions::default()).unwrap_err();
        assert!(e.message().contains("not the SHA-256 of the request body"), "{e:?}");
        // Without the header the body still counts.
        headers.remove("x-amz-content-sha256");
        cred.signed_headers = vec!["host".into(), "x-amz-date".into()];
        let signed = SignedRequest { method: "POST", raw_path: "/restapis", raw_query: "", headers: &headers, body: body_a };
        cred.signature = expected_signature(&signed, &cred, SECRET, "20150830T123600Z");
        let swapped = SignedRequest { body: br#"{"name":"b"}"#, ..signed };
        assert!(matches!(verify(&swapped, &cred, SECRET, now, &Regions::default()), Err(SigError::Mismatch { .. })));
        // UNSIGNED-PAYLOAD is not taken.
        headers.insert("x-amz-content-sha256", "UNSIGNED-PAYLOAD".parse().unwrap());
        let unsigned = SignedRequest { method: "POST", raw_path: "/restapis", raw_query: "", headers: &headers, body: body_a };
        assert!(
            matches!(verify(&unsigned, &cred, SECRET, now, &Regions::default()), Err(SigError::Invalid(m)) if m.contains("UNSIGNED-PAYLOAD"))
        );
    }

    #[test]
    fn queries_that_mean_different_things_sign_differently() {
        assert_eq!(canonical_query("b=2&a=x%20y&a=1"), "a=1&a=x%20y&b=2");
        assert_eq!(canonical_query("embed=methods"), "embed=methods");
        // `+` is a space to the handlers, `%2B` a plus.
        assert_eq!(canonical_query("name=a+b"), "name=a%20b");
        assert_eq!(canonical_query("name=a%2Bb"), "name=a%2Bb");
        assert_ne!(canonical_query("name=a+b"), canonical_query("name=a%2Bb"));
        // Broken escapes stay themselves, byte for byte (no panic on `%a€`).
        assert_eq!(canonical_query("q=%a€"), "q=%25a%E2%82%AC");
        assert_eq!(canonical_query("q=%"), "q=%25");
        assert_eq!(canonical_query("q=%ff&r=%fe"), "q=%FF&r=%FE", "invalid UTF-8 is kept, not replaced");
        assert_eq!(canonical_query("flag"), "flag=");
        assert_eq!(uri_encode("/restapis/a b", true), "/restapis/a%20b");
    }

    #[test]
    fn paths_are_normalised_then_encoded() {
        for (raw, want) in [
            ("", "/"),
            ("/", "/"),
            ("//", "/"),
            ("//example//", "/example/"),
            ("/./example", "/example"),
            ("/example/..", "/"),
            ("/a/b/../..", "/"),
            ("/restapis/a%20b", "/restapis/a%2520b"),
        ] {
            assert_eq!(canonical_uri(raw), want, "{raw}");
        }
    }

    #[test]
    fn malformed_headers_say_what_is_wrong() {
        assert!(matches!(parse_authorization("Basic abc"), Err(SigError::Malformed(_))));
        assert!(matches!(parse_authorization("AWS4-HMAC-SHA256 Credential=AK/2015/x"), Err(SigError::Malformed(_))));
        let upper = "AWS4-HMAC-SHA256 Credential=AK/20150830/us-east-1/apigateway/aws4_request, SignedHeaders=Host, Signature=x";
        assert!(matches!(parse_authorization(upper), Err(SigError::Malformed(m)) if m.contains("lower-case")));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]
        /// Any path, query, Authorization value and header bytes: an answer, never a panic.
        #[test]
        fn any_input_is_answered(path in ".*", query in ".*", authz in ".*", raw in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64), body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64)) {
            let _ = canonical_query(&query);
            let _ = canonical_uri(&path);
            let _ = parse_authorization(&authz);
            let mut headers = HeaderMap::new();
            headers.insert("host", "h".parse().unwrap());
            if let Ok(v) = http::HeaderValue::from_bytes(&raw) {
                headers.insert("x-amz-date", v.clone());
                headers.insert("x-amz-content-sha256", v);
            }
            let req = SignedRequest { method: "GET", raw_path: &path, raw_query: &query, headers: &headers, body: &body };
            let authz = format!("AWS4-HMAC-SHA256 Credential=AK/{}, SignedHeaders=host;x-amz-date, Signature={}", String::from_utf8_lossy(&raw), authz);
            if let Ok(cred) = parse_authorization(&authz) {
                let _ = verify(&req, &cred, "secret", 0, &Regions::Any);
            }
        }
    }
}
