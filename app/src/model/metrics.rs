//! Metrics and the access log as the console and the JSON API show them:
//! ranges, totals and percentiles, series, reason codes, log pages.

use serde::{Deserialize, Serialize};

/// Time ranges the dashboards offer.
pub const METRIC_RANGES: &[&str] = &["15m", "1h", "6h", "24h", "7d"];

/// Metrics of one stage (or one method of it) over a range: totals, a
/// series per period, and a per-method breakdown. Latencies in ms; `None`
/// where there were no requests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StageMetrics {
    pub api_id: String,
    pub stage: String,
    pub range: String,
    /// Length of one series point, in seconds (60 for ranges up to 6h).
    pub period_seconds: i64,
    /// The range, as seconds since the epoch.
    pub from: i64,
    pub to: i64,
    #[serde(flatten)]
    pub totals: MetricValues,
    pub series: Vec<MetricPoint>,
    pub methods: Vec<MethodMetrics>,
    /// Answers the gateway gave itself over the range, by reason code
    /// (most first).
    #[serde(default)]
    pub reasons: Vec<ReasonCount>,
}

/// How many answers had one reason code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReasonCount {
    pub reason: String,
    pub count: u64,
}

/// The reason codes of the access log and the metrics, each with what it
/// means and what to do about it (the gateway stores the code; the console
/// explains it). The server checks it writes no code missing here.
pub const REASONS: &[(&str, &str)] = &[
    ("NO_ROUTE", "No resource or method of the stage matches the request (403)."),
    ("KEY_MISSING", "The method requires an API key and the request sent no x-api-key header (403)."),
    ("KEY_INVALID", "The x-api-key sent is not a key of this gateway (403)."),
    ("KEY_DISABLED", "The API key is disabled (403). Enable it on the API keys page."),
    ("KEY_NOT_IN_PLAN", "The API key is in no usage plan that covers this stage (403). Add it to a plan."),
    ("THROTTLED_PLAN_METHOD", "The usage plan's throttle for this method refused the request (429)."),
    ("THROTTLED_PLAN", "The usage plan's throttle refused the request (429)."),
    ("THROTTLED_STAGE", "The stage's throttle (default or per method) refused the request (429)."),
    ("QUOTA", "The API key's quota for the period is used up (429)."),
    ("PAYLOAD_TOO_LARGE", "The request body is over the gateway's limit (413)."),
    ("BACKEND_TIMEOUT", "The backend sent no response headers within the integration's timeout (504)."),
    ("BACKEND_UNREACHABLE", "The backend could not be connected to: refused, unknown host or no route (502)."),
    ("BACKEND_BAD_RESPONSE", "The backend closed or reset the connection, or answered with something that is not HTTP (502)."),
    ("INTEGRATION_CONFIG", "The integration's configuration cannot be used, e.g. its URI does not make a valid URL (500/502)."),
    (
        "UNSUPPORTED_MEDIA_TYPE",
        "No request mapping template matches the request's Content-Type and the integration's passthrough behavior refuses it (415).",
    ),
    ("MAPPING_FAILED", "A mapping template failed while rendering, e.g. it went past the gateway's bounds on work or output (500)."),
    ("BAD_REQUEST_PARAMETERS", "The method's request validator found a required request parameter missing (400)."),
    ("BAD_REQUEST_BODY", "The method's request validator found the body does not match its model, or is not JSON (400)."),
    ("CLIENT_CLOSED", "The caller hung up before the answer was sent (recorded as 499)."),
];

/// What a reason code means, for tooltips and the error breakdown.
pub fn reason_text(code: &str) -> &'static str {
    REASONS.iter().find(|(c, _)| *c == code).map_or("", |(_, t)| *t)
}

/// Counts and latency percentiles of some requests.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetricValues {
    pub count: u64,
    pub error4xx: u64,
    pub error5xx: u64,
    pub latency_p50_ms: Option<f64>,
    pub latency_p90_ms: Option<f64>,
    pub latency_p99_ms: Option<f64>,
    pub integration_latency_p50_ms: Option<f64>,
    pub integration_latency_p99_ms: Option<f64>,
}

impl MetricValues {
    /// Errors (4xx + 5xx) as a share of requests, 0–1.
    pub fn error_rate(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            (self.error4xx + self.error5xx) as f64 / self.count as f64
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetricPoint {
    /// Start of the period, seconds since the epoch.
    pub t: i64,
    #[serde(flatten)]
    pub values: MetricValues,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MethodMetrics {
    pub resource: String,
    pub method: String,
    #[serde(flatten)]
    pub values: MetricValues,
    /// This method's answers by reason code (most first).
    #[serde(default)]
    pub reasons: Vec<ReasonCount>,
}

/// One row of the access log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogEntry {
    pub id: i64,
    /// µs since the epoch.
    pub at_us: i64,
    pub resource: String,
    pub method: String,
    pub path: String,
    pub status: u16,
    pub latency_ms: f64,
    pub integration_latency_ms: Option<f64>,
    pub key_id: Option<String>,
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub request_id: String,
    /// Why the gateway answered itself (see [`REASONS`]); None when the
    /// answer came from the integration.
    #[serde(default)]
    pub reason: Option<String>,
    /// What exactly went wrong, when a reason code is not enough (which
    /// parameters were missing, the rule a body broke, a template error).
    #[serde(default)]
    pub detail: Option<String>,
}

/// Filters of the access log; empty fields filter nothing.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogFilter {
    /// "2xx", "3xx", "4xx" or "5xx".
    #[serde(default)]
    pub status_class: String,
    #[serde(default)]
    pub method: String,
    #[serde(default)]
    pub path_contains: String,
    #[serde(default)]
    pub key_id: String,
    /// A reason code (see [`REASONS`]), or "any" for every entry that has one.
    #[serde(default)]
    pub reason: String,
    /// Only entries older than this id (the next page).
    #[serde(default)]
    pub before: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogPage {
    pub entries: Vec<LogEntry>,
    /// Pass as `before` for the next (older) page; None on the last page.
    pub next: Option<i64>,
}

/// One stage on the all-stages dashboard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StageOverview {
    pub api_id: String,
    pub api_name: String,
    pub stage: String,
    /// The window every figure of the row covers (one of `METRIC_RANGES`).
    pub range: String,
    /// Length of one `series` point, in seconds.
    pub period_seconds: i64,
    /// Requests per period over the range, oldest first.
    pub series: Vec<u64>,
    /// The range's totals and percentiles.
    pub values: MetricValues,
    /// `series` as a small SVG chart (drawn on the server).
    pub sparkline: String,
}

/// One chart drawn on the server, as SVG text to embed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChartSvg {
    pub id: String,
    pub title: String,
    pub svg: String,
}

/// Everything the stage dashboard shows for one range (and optionally one method).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageDashboard {
    pub metrics: StageMetrics,
    pub charts: Vec<ChartSvg>,
    /// The method drilled into, if any: (resource, method).
    pub only: Option<(String, String)>,
}
