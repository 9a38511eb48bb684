//! Prometheus text format for `GET /metrics` on the console listener:
//! requests by status class, errors, the gateway's own answers by reason
//! code, and latency histograms per API, stage, resource and method, counted since this process started.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Arc, Mutex};

use super::reason::{Reason, ReasonCounts};
use super::{MetricKey, Record};

/// Histogram bucket bounds, in seconds.
const LE: [f64; 15] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

#[derive(Debug, Default, Clone)]
struct Hist {
    /// Non-cumulative counts per bound, plus one for +Inf.
    counts: [u64; LE.len() + 1],
    sum_us: u64,
    total: u64,
}

impl Hist {
    fn merge(&mut self, o: &Hist) {
        self.counts.iter_mut().zip(o.counts).for_each(|(a, b)| *a += b);
        self.sum_us += o.sum_us;
        self.total += o.total;
    }

    fn add(&mut self, us: u64) {
        let secs = us as f64 / 1e6;
        let i = LE.iter().position(|&b| secs <= b).unwrap_or(LE.len());
        self.counts[i] += 1;
        self.sum_us += us;
        self.total += 1;
    }
}

#[derive(Debug, Default, Clone)]
struct Series {
    /// Responses by status class: 1xx … 5xx.
    by_class: [u64; 5],
    latency: Hist,
    integration: Hist,
    reasons: ReasonCounts,
}

impl Series {
    fn merge(&mut self, o: &Series) {
        self.by_class.iter_mut().zip(o.by_class).for_each(|(a, b)| *a += b);
        self.reasons.iter_mut().zip(o.reasons).for_each(|(a, b)| *a += b);
        self.latency.merge(&o.latency);
        self.integration.merge(&o.integration);
    }
}

/// Counters since start-up, updated by the metrics writer once per batch.
#[derive(Default)]
pub struct Prom {
    series: Mutex<BTreeMap<Arc<MetricKey>, Series>>,
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

impl Prom {
    pub fn observe(&self, batch: &[Record]) {
        if batch.is_empty() {
            return;
        }
        // Sum the batch per key first (keyed by address: no string compares),
        // then fold each sum into the shared map once.
        let mut sums: crate::FastMap<usize, (&Arc<MetricKey>, Series)> = crate::FastMap::default();
        for r in batch {
            let s = &mut sums.entry(Arc::as_ptr(&r.key) as usize).or_insert_with(|| (&r.key, Series::default())).1;
            let class = usize::from(r.status / 100).clamp(1, 5) - 1;
            s.by_class[class] += 1;
            s.latency.add(r.latency_us);
            if let Some(i) = r.integration_us {
                s.integration.add(i);
            }
            if let Some(reason) = r.reason {
                s.reasons[reason.index()] += 1;
            }
        }
        let mut map = self.series.lock().unwrap_or_else(|p| p.into_inner());
        for (key, sum) in sums.into_values() {
            map.entry(key.clone()).or_default().merge(&sum);
        }
    }

    /// The exposition text. `dropped` and `written` describe the pipeline itself.
    pub fn render(&self, dropped: u64, written: u64) -> String {
        let map = self.series.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let mut out = String::new();
        let labels = |k: &MetricKey| {
            format!(
                "api=\"{}\",stage=\"{}\",resource=\"{}\",method=\"{}\"",
                escape(&k.api),
                escape(&k.stage),
                escape(&k.resource),
                escape(&k.method)
            )
        };
        out.push_str("# HELP apigw_requests_total Gateway responses by status class.\n# TYPE apigw_requests_total counter\n");
        for (k, s) in &map {
            for (i, n) in s.by_class.iter().enumerate().filter(|(_, n)| **n > 0) {
                let _ = writeln!(out, "apigw_requests_total{{{},status_class=\"{}xx\"}} {n}", labels(k), i + 1);
            }
        }
        out.push_str("# HELP apigw_errors_total Gateway responses with a 4xx or 5xx status.\n# TYPE apigw_errors_total counter\n");
        for (k, s) in &map {
            let _ = writeln!(out, "apigw_errors_total{{{},status_class=\"4xx\"}} {}", labels(k), s.by_class[3]);
            let _ = writeln!(out, "apigw_errors_total{{{},status_class=\"5xx\"}} {}", labels(k), s.by_class[4]);
        }
        out.push_str(
            "# HELP apigw_gateway_answers_total Answers the gateway gave itself, and failed backend calls, by reason code.\n\
             # TYPE apigw_gateway_answers_total counter\n",
        );
        for (k, s) in &map {
            for (reason, n) in Reason::ALL.iter().zip(s.reasons).filter(|(_, n)| *n > 0) {
                let _ = writeln!(out, "apigw_gateway_answers_total{{{},reason=\"{}\"}} {n}", labels(k), reason.code());
            }
        }
        for (name, help, pick) in [
            ("apigw_request_duration_seconds", "Whole request time in the gateway.", 0),
            ("apigw_integration_duration_seconds", "Time waiting for the backend's response headers.", 1),
        ] {
            let _ = write!(out, "# HELP {name} {help}\n# TYPE {name} histogram\n");
            for (k, s) in &map {
                let h = if pick == 0 { &s.latency } else { &s.integration };
                if h.total == 0 {
                    continue;
                }
                let l = labels(k);
                let mut cum = 0;
                for (i, b) in LE.iter().enumerate() {
                    cum += h.counts[i];
                    let _ = writeln!(out, "{name}_bucket{{{l},le=\"{b}\"}} {cum}");
                }
                let _ = writeln!(out, "{name}_bucket{{{l},le=\"+Inf\"}} {}", h.total);
                let _ = writeln!(out, "{name}_sum{{{l}}} {}", h.sum_us as f64 / 1e6);
                let _ = writeln!(out, "{name}_count{{{l}}} {}", h.total);
            }
        }
        let _ = write!(
            out,
            "# HELP apigw_metrics_dropped_total Records dropped because the metrics writer fell behind.\n\
             # TYPE apigw_metrics_dropped_total counter\napigw_metrics_dropped_total {dropped}\n\
             # HELP apigw_metrics_written_total Records written to the database.\n\
             # TYPE apigw_metrics_written_total counter\napigw_metrics_written_total {written}\n"
        );
        out
    }
}
