//! AWS Signature Version 4 verification for the control API, so the AWS CLI
//! and SDKs can sign requests with an access key made in the console.

use std::collections::BTreeMap;

use hmac::{Hmac, Mac};
use http::HeaderMap;
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// How far a request's X-Amz-Date may be from the server's clock.
pub const MAX_SKEW_SECS: i64 = 15 * 60;

/// The parts of an `Authorization: AWS4-HMAC-SHA256 …` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    pub access_key_id: String,
    /// `date/region/service/aws4_request`
    pub scope: String,
    pub scope_date: String,
    pub signed_headers: Vec<String>,
    pub signature: String,
}

/// Why a signature was refused. Each maps onto AWS's error type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SigError {
    /// The Authorization header is not a well-formed SigV4 header.
    Malformed(String),
    /// X-Amz-Date is missing, unparseable, or too far from now.
    Expired(String),
    /// The signature does not match.
    Mismatch,
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
    Ok(Credential {
        access_key_id: access_key_id.to_string(),
        scope: scope.to_string(),
        scope_date: scope_parts[0].to_string(),
        signed_headers: get("SignedHeaders")?.split(';').map(str::to_string).collect(),
        signature: get("Signature")?,
    })
}

/// RFC 3986 encoding as SigV4 wants it: unreserved characters stay, and so
/// does '/' when `keep_slash`.
pub fn uri_encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            b'/' if keep_slash => out.push('/'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn canonical_query(raw: &str) -> String {
    let mut pairs: Vec<(String, String)> = raw
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (uri_encode(&percent_decode(k), false), uri_encode(&percent_decode(v), false))
        })
        .collect();
    pairs.sort();
    pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")
}

fn canonical_header_value(headers: &HeaderMap, name: &str) -> String {
    headers
        .get_all(name)
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join(",")
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

/// The signature the client should have sent, given its secret.
pub fn expected_signature(req: &SignedRequest<'_>, cred: &Credential, secret: &str, amz_date: &str) -> String {
    let payload_hash = req
        .headers
        .get("x-amz-content-sha256")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .unwrap_or_else(|| hex::encode(Sha256::digest(req.body)));
    let canonical_headers: String =
        cred.signed_headers.iter().map(|h| format!("{h}:{}\n", canonical_header_value(req.headers, h))).collect();
    let canonical_request = format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        req.method,
        uri_encode(if req.raw_path.is_empty() { "/" } else { req.raw_path }, true),
        canonical_query(req.raw_query),
        canonical_headers,
        cred.signed_headers.join(";"),
        payload_hash
    );
    let string_to_sign =
        format!("AWS4-HMAC-SHA256\n{amz_date}\n{}\n{}", cred.scope, hex::encode(Sha256::digest(canonical_request.as_bytes())));
    let mut key = hmac(format!("AWS4{secret}").as_bytes(), cred.scope_date.as_bytes());
    for part in cred.scope.split('/').skip(1) {
        key = hmac(&key, part.as_bytes());
    }
    hex::encode(hmac(&key, string_to_sign.as_bytes()))
}

/// Checks the date and the signature of a request against a secret.
pub fn verify(req: &SignedRequest<'_>, cred: &Credential, secret: &str, now: i64) -> Result<(), SigError> {
    let amz_date =
        req.headers.get("x-amz-date").and_then(|v| v.to_str().ok()).ok_or_else(|| {
            SigError::Malformed("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header".into())
        })?;
    let signed_at = parse_amz_date(amz_date)
        .ok_or_else(|| SigError::Malformed(format!("X-Amz-Date '{amz_date}' is not in the form YYYYMMDDTHHMMSSZ")))?;
    if (now - signed_at).abs() > MAX_SKEW_SECS {
        return Err(SigError::Expired(format!(
            "Signature expired: {amz_date} is more than 15 minutes away from the server's time. Check the clock of the machine that signed the request."
        )));
    }
    if !amz_date.starts_with(&cred.scope_date) {
        return Err(SigError::Malformed("the credential scope date does not match X-Amz-Date".into()));
    }
    if !cred.signed_headers.iter().any(|h| h == "host") {
        return Err(SigError::Malformed("SignedHeaders must include host".into()));
    }
    let expected = expected_signature(req, cred, secret, amz_date);
    let same =
        expected.len() == cred.signature.len() && expected.bytes().zip(cred.signature.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0;
    if same {
        Ok(())
    } else {
        Err(SigError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// AWS's published example (the "get-vanilla" case of the SigV4 test suite).
    #[test]
    fn matches_the_aws_test_suite_get_vanilla() {
        let mut headers = HeaderMap::new();
        headers.insert("host", "example.amazonaws.com".parse().unwrap());
        headers.insert("x-amz-date", "20150830T123600Z".parse().unwrap());
        let cred = parse_authorization(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        )
        .unwrap();
        let req = SignedRequest { method: "GET", raw_path: "/", raw_query: "", headers: &headers, body: b"" };
        let now = parse_amz_date("20150830T123600Z").unwrap();
        verify(&req, &cred, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", now).unwrap();
        assert_eq!(verify(&req, &cred, "wrong", now), Err(SigError::Mismatch));
        assert!(matches!(verify(&req, &cred, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", now + 901), Err(SigError::Expired(_))));
    }

    #[test]
    fn query_is_sorted_and_reencoded() {
        assert_eq!(canonical_query("b=2&a=x%20y&a=1"), "a=1&a=x%20y&b=2");
        assert_eq!(canonical_query("embed=methods"), "embed=methods");
        assert_eq!(uri_encode("/restapis/a b", true), "/restapis/a%20b");
    }

    #[test]
    fn malformed_headers_say_what_is_wrong() {
        assert!(matches!(parse_authorization("Basic abc"), Err(SigError::Malformed(_))));
        assert!(matches!(parse_authorization("AWS4-HMAC-SHA256 Credential=AK/2015/x"), Err(SigError::Malformed(_))));
    }
}
