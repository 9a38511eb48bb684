//! Helpers for talking to the control API as the AWS SDKs do.

use apigw_server::sigv4::{expected_signature, parse_authorization, SignedRequest};
use http::HeaderMap;

/// Signs a request with AWS Signature V4 at the given time (`YYYYMMDDTHHMMSSZ`).
/// Used for the failure cases; the real AWS CLI covers signing end to end.
pub fn sign(method: &str, url: &str, body: &[u8], key_id: &str, secret: &str, amz_date: &str) -> Vec<(String, String)> {
    let parsed = reqwest::Url::parse(url).expect("url");
    let host = match parsed.port() {
        Some(p) => format!("{}:{p}", parsed.host_str().unwrap_or("")),
        None => parsed.host_str().unwrap_or("").to_string(),
    };
    let mut headers = HeaderMap::new();
    headers.insert("host", host.parse().expect("host"));
    headers.insert("x-amz-date", amz_date.parse().expect("date"));
    let scope = format!("{}/us-east-1/apigateway/aws4_request", &amz_date[..8]);
    let cred = parse_authorization(&format!("AWS4-HMAC-SHA256 Credential={key_id}/{scope}, SignedHeaders=host;x-amz-date, Signature=x"))
        .expect("credential");
    let req = SignedRequest { method, raw_path: parsed.path(), raw_query: parsed.query().unwrap_or(""), headers: &headers, body };
    let sig = expected_signature(&req, &cred, secret, amz_date);
    vec![
        ("x-amz-date".into(), amz_date.into()),
        ("authorization".into(), format!("AWS4-HMAC-SHA256 Credential={key_id}/{scope}, SignedHeaders=host;x-amz-date, Signature={sig}")),
    ]
}

/// `YYYYMMDDTHHMMSSZ` for now plus `offset_secs`.
pub fn amz_date(offset_secs: i64) -> String {
    let t = time::OffsetDateTime::now_utc() + time::Duration::seconds(offset_secs);
    let fmt = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    t.format(fmt).expect("format")
}
