//! Helpers for talking to the control API as the AWS SDKs do.

use apigw_server::sigv4::{expected_signature, parse_authorization, SignedRequest};
use http::HeaderMap;

/// Signs a request with AWS Signature V4 at the given time (`YYYYMMDDTHHMMSSZ`).
/// Used for the failure cases; the real AWS CLI covers signing end to end.
pub fn sign(method: &str, url: &str, body: &[u8], key_id: &str, secret: &str, amz_date: &str) -> Vec<(String, String)> {
    Signer { key_id, secret, amz_date, region: "us-east-1", service: "apigateway", extra: &[] }.sign(method, url, body)
}

/// A signer with every part of the scope and the signed headers chosen.
pub struct Signer<'a> {
    pub key_id: &'a str,
    pub secret: &'a str,
    pub amz_date: &'a str,
    pub region: &'a str,
    pub service: &'a str,
    /// More headers to send and sign (lower-case names).
    pub extra: &'a [(&'a str, &'a str)],
}

impl Signer<'_> {
    /// The headers to send with `method url body`: the signed ones and the Authorization.
    pub fn sign(&self, method: &str, url: &str, body: &[u8]) -> Vec<(String, String)> {
        let parsed = reqwest::Url::parse(url).expect("url");
        let host = match parsed.port() {
            Some(p) => format!("{}:{p}", parsed.host_str().unwrap_or("")),
            None => parsed.host_str().unwrap_or("").to_string(),
        };
        let mut headers = HeaderMap::new();
        headers.insert("host", host.parse().expect("host"));
        headers.insert("x-amz-date", self.amz_date.parse().expect("date"));
        for (k, v) in self.extra {
            headers.insert(http::HeaderName::try_from(*k).expect("name"), v.parse().expect("value"));
        }
        let mut names: Vec<&str> = headers.keys().map(|k| k.as_str()).collect();
        names.sort();
        let signed = names.join(";");
        let scope = format!("{}/{}/{}/aws4_request", &self.amz_date[..8], self.region, self.service);
        let cred =
            parse_authorization(&format!("AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed}, Signature=x", self.key_id))
                .expect("credential");
        let req = SignedRequest { method, raw_path: parsed.path(), raw_query: parsed.query().unwrap_or(""), headers: &headers, body };
        let sig = expected_signature(&req, &cred, self.secret, self.amz_date);
        let mut out: Vec<(String, String)> = self.extra.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        out.push(("x-amz-date".into(), self.amz_date.into()));
        out.push((
            "authorization".into(),
            format!("AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed}, Signature={sig}", self.key_id),
        ));
        out
    }
}

/// `YYYYMMDDTHHMMSSZ` for now plus `offset_secs`.
pub fn amz_date(offset_secs: i64) -> String {
    let t = time::OffsetDateTime::now_utc() + time::Duration::seconds(offset_secs);
    let fmt = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    t.format(fmt).expect("format")
}
