//! The authorize, throttle and quota stages, in AWS's order: the API key
//! (a known, enabled key in a usage plan that covers the stage), then the
//! throttles (plan per-method, plan, stage per-method or stage), then the
//! key's quota. A keyed caller is told its limits in response headers.

use http::header::{self, HeaderName, HeaderValue};
use http::{Response, StatusCode};

use super::access::{KeyCheck, QuotaLeft};
use super::http1::write::itoa;
use super::limits::{self, retry_after_secs, Allowed, Gcra};
use super::record::{Began, Trace};
use super::route::Routed;
use super::{gateway_error, Gateway, GwBody, Refusal};
use crate::metrics::reason::Reason;

/// A request let through by [`Gateway::admit`]: the limits a keyed caller
/// is told about in its response headers.
pub(crate) struct Admitted {
    pub(crate) keyed: bool,
    pub(crate) rate: Option<Allowed>,
    pub(crate) quota: Option<QuotaLeft>,
}

impl Admitted {
    /// Tells a keyed caller its limits in `res`'s headers.
    pub(crate) fn tell<B>(&self, res: &mut Response<B>) {
        if self.keyed {
            limit_headers(res.headers_mut(), self.rate, self.quota);
        }
    }
}

fn forbidden() -> Response<GwBody> {
    gateway_error(StatusCode::FORBIDDEN, "ForbiddenException", "Forbidden")
}

/// 429 with `Retry-After` (seconds).
fn too_many(error_type: &'static str, message: &str, retry_after: u64) -> Response<GwBody> {
    let mut res = gateway_error(StatusCode::TOO_MANY_REQUESTS, error_type, message);
    res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
    res
}

/// Adds the rate-limit and quota headers a keyed caller sees.
fn limit_headers(h: &mut http::HeaderMap, rate: Option<Allowed>, quota: Option<QuotaLeft>) {
    if let Some(a) = rate {
        h.insert(HeaderName::from_static("ratelimit-limit"), repeated_number(a.limit));
        h.insert(HeaderName::from_static("ratelimit-remaining"), number(a.remaining));
        h.insert(HeaderName::from_static("ratelimit-reset"), repeated_number(a.reset_secs));
    }
    if let Some(q) = quota {
        h.insert(HeaderName::from_static("x-quota-limit"), repeated_number(q.limit.max(0) as u64));
        h.insert(HeaderName::from_static("x-quota-remaining"), number(q.remaining.max(0) as u64));
        h.insert(HeaderName::from_static("x-quota-reset"), repeated_number(q.reset_secs.max(0) as u64));
    }
}

/// A number as a header value (one allocation: `HeaderValue::from` takes two).
fn number(n: u64) -> HeaderValue {
    HeaderValue::from_bytes(itoa(n, &mut [0; 20])).expect("digits are a valid header value")
}

/// A number that repeats from request to request (a limit, seconds to a
/// reset) as a header value: the last few are kept per thread and cloned,
/// which allocates nothing.
fn repeated_number(n: u64) -> HeaderValue {
    const EMPTY: Option<(u64, HeaderValue)> = None;
    thread_local! {
        static RECENT: std::cell::RefCell<[Option<(u64, HeaderValue)>; 16]> = const { std::cell::RefCell::new([EMPTY; 16]) };
    }
    let slot = (n.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 60) as usize;
    RECENT.with(|recent| {
        let mut recent = recent.borrow_mut();
        match &recent[slot] {
            Some((m, v)) if *m == n => v.clone(),
            _ => {
                let v = number(n);
                recent[slot] = Some((n, v.clone()));
                v
            }
        }
    })
}

impl Gateway {
    /// The API key check, then the throttles and the quota, in AWS's order.
    /// A refusal is the answer to send.
    /// The limits are taken at the time the request `began`.
    pub(crate) fn admit(&self, routed: &Routed<'_>, key: Option<&str>, began: Began, trace: &mut Trace) -> Result<Admitted, Refusal> {
        let method = &routed.method;
        // API key: a known, enabled key in a usage plan that covers this stage.
        // The key table is loaded only for a method that needs a key.
        let table;
        let binding = if method.api_key_required {
            table = self.access.table();
            match table.check(key, routed.api, routed.stage) {
                KeyCheck::Ok(b) => {
                    trace.key_id = Some(b.key_id.clone());
                    Some(b)
                }
                KeyCheck::Disabled(id) => {
                    trace.key_id = Some(id);
                    trace.reason = Some(Reason::KeyDisabled);
                    return Err(Box::new(forbidden()));
                }
                KeyCheck::NoPlan(id) => {
                    trace.key_id = Some(id);
                    trace.reason = Some(Reason::KeyNotInPlan);
                    return Err(Box::new(forbidden()));
                }
                KeyCheck::Missing => {
                    trace.reason = Some(Reason::KeyMissing);
                    return Err(Box::new(forbidden()));
                }
                KeyCheck::Unknown => {
                    trace.reason = Some(Reason::KeyInvalid);
                    return Err(Box::new(forbidden()));
                }
            }
        } else {
            None
        };
        // Throttles in AWS's order: plan per-method, plan, stage per-method (or
        // the stage default). A refusal gives back what earlier buckets took.
        let now = limits::ns_at(began.at);
        let plan_method = binding.as_ref().and_then(|b| match b.method_throttles.is_empty() {
            true => None,
            false => b.method_throttles.get(&method.plan_key),
        });
        let buckets: [Option<&Gcra>; 3] =
            [plan_method.map(|g| &**g), binding.as_ref().and_then(|b| b.throttle.as_deref()), Some(&*method.throttle)];
        let mut rate: Option<Allowed> = None;
        for (i, bucket) in buckets.iter().enumerate() {
            let Some(bucket) = bucket else { continue };
            match bucket.acquire(now) {
                Ok(a) => {
                    if rate.is_none_or(|r| a.remaining < r.remaining) {
                        rate = Some(a);
                    }
                }
                Err(wait) => {
                    buckets[..i].iter().flatten().for_each(|b| b.release());
                    trace.reason = Some([Reason::ThrottledPlanMethod, Reason::ThrottledPlan, Reason::ThrottledStage][i]);
                    let mut res = too_many("TooManyRequestsException", "Too Many Requests", retry_after_secs(wait));
                    if binding.is_some() {
                        let limit = bucket.burst.max(0) as u64;
                        limit_headers(res.headers_mut(), Some(Allowed { limit, remaining: 0, reset_secs: retry_after_secs(wait) }), None);
                    }
                    return Err(Box::new(res));
                }
            }
        }
        // Quota, per key and period.
        let mut quota = None;
        if let Some(b) = &binding {
            match b.counter.admit(began.wall_us.div_euclid(1_000_000)) {
                Ok(q) => quota = q,
                Err(e) => {
                    buckets.iter().flatten().for_each(|b| b.release());
                    trace.reason = Some(Reason::Quota);
                    return Err(Box::new(too_many("LimitExceededException", "Limit Exceeded", e.retry_after_secs)));
                }
            }
        }
        Ok(Admitted { keyed: binding.is_some(), rate, quota })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_as_header_values() {
        for n in [0, 7, 10, 999_999, 1_000_000_000, u64::MAX] {
            assert_eq!(number(n), HeaderValue::from(n));
            assert_eq!(repeated_number(n), HeaderValue::from(n));
            assert_eq!(repeated_number(n), HeaderValue::from(n), "from the per-thread cache");
        }
    }
}
