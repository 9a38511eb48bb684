//! The execution log of a test invoke, in the order and words of Amazon API
//! Gateway's: each line `<date> : <text>`. The gateway's integration code
//! writes into it when given one; the hot path passes none.

use std::fmt::Write;

use http::HeaderMap;

use crate::gateway::limits::civil_from_days;

/// Lines of one execution.
#[derive(Debug, Default)]
pub struct ExecLog {
    lines: Vec<String>,
    /// The integration request body (after any request template), logged
    /// as the endpoint request body.
    pub request_body: String,
    /// The integration response body before a response template, when the
    /// integrate stage read it whole (else the method response body is it).
    pub endpoint_body: Option<String>,
}

/// `Sat Nov 21 14:05:03 UTC 2026`, as AWS dates its log lines.
pub fn aws_date(secs: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let day = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(day);
    format!(
        "{} {} {d:02} {:02}:{:02}:{:02} UTC {y}",
        DAYS[day.rem_euclid(7) as usize],
        MONTHS[(m - 1) as usize],
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Headers as AWS prints them: `{name=value, name=value}`.
pub fn headers_text(h: &HeaderMap) -> String {
    let mut out = String::from("{");
    for (i, (k, v)) in h.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let _ = write!(out, "{}={}", k.as_str(), String::from_utf8_lossy(v.as_bytes()));
    }
    out.push('}');
    out
}

/// Longest body text a log line shows.
const BODY_IN_LOG: usize = 1_000;

/// A body for the log: text, cut after 1,000 characters as AWS does.
pub fn body_text(b: &[u8]) -> String {
    let s = String::from_utf8_lossy(b);
    if s.chars().count() > BODY_IN_LOG {
        let cut: String = s.chars().take(BODY_IN_LOG).collect();
        format!("{cut} [TRUNCATED]")
    } else {
        s.into_owned()
    }
}

impl ExecLog {
    pub fn line(&mut self, text: impl AsRef<str>) {
        self.lines.push(format!("{} : {}", aws_date(crate::store::now_secs()), text.as_ref()));
    }

    /// The whole log, with AWS's first line.
    pub fn render(&self, request_id: &str) -> String {
        let mut out = format!("Execution log for request {request_id}\n");
        for l in &self.lines {
            out.push_str(l);
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_headers_read_like_aws() {
        assert_eq!(aws_date(20_778 * 86_400 + 14 * 3600 + 5 * 60 + 3), "Sat Nov 21 14:05:03 UTC 2026");
        let mut h = HeaderMap::new();
        h.insert("accept", "application/json".parse().unwrap());
        h.insert("x-a", "1".parse().unwrap());
        assert_eq!(headers_text(&h), "{accept=application/json, x-a=1}");
        assert_eq!(body_text("é".repeat(1001).as_bytes()).chars().count(), 1000 + " [TRUNCATED]".len());
    }
}
