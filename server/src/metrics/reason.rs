//! Why the gateway answered a request itself, or why its backend call
//! failed: one code per cause, stored with the request in the access log,
//! counted in the rollups, the JSON metrics and `/metrics`. A throttle 429
//! and a quota 429 look alike to a caller; the code tells them apart.

/// The cause of a gateway-made answer (or a failed backend call).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reason {
    /// No resource or method of the stage matches (403 Missing Authentication Token).
    NoRoute,
    /// The method needs an API key and none was sent.
    KeyMissing,
    /// The `x-api-key` sent is not a key the gateway knows.
    KeyInvalid,
    /// The key is disabled.
    KeyDisabled,
    /// The key is in no usage plan that covers the stage.
    KeyNotInPlan,
    /// A usage plan's per-method throttle refused the request.
    ThrottledPlanMethod,
    /// A usage plan's throttle refused the request.
    ThrottledPlan,
    /// The stage's throttle (default or per method) refused the request.
    ThrottledStage,
    /// The key's quota for the period is used up.
    Quota,
    /// The request body is over the gateway's limit.
    PayloadTooLarge,
    /// The backend sent no response headers within the integration timeout.
    BackendTimeout,
    /// The backend could not be connected to.
    BackendUnreachable,
    /// The backend closed, reset or answered with something that is not HTTP.
    BackendBadResponse,
    /// The integration's configuration cannot be used (a bad URI, a broken mock).
    IntegrationConfig,
    /// No request template for the content type, and passthrough not allowed (415).
    UnsupportedMediaType,
    /// A mapping template failed while rendering (out of bounds, say) (500).
    MappingFailed,
    /// A required request parameter is missing (400, request validator).
    BadRequestParameters,
    /// The body does not match the method's model (400, request validator).
    BadRequestBody,
    /// The caller hung up before the answer (status 499).
    ClientClosed,
}

impl Reason {
    /// Every code, in the order of the enum (its index in [`Reason::index`]).
    pub const ALL: [Reason; 19] = [
        Reason::NoRoute,
        Reason::KeyMissing,
        Reason::KeyInvalid,
        Reason::KeyDisabled,
        Reason::KeyNotInPlan,
        Reason::ThrottledPlanMethod,
        Reason::ThrottledPlan,
        Reason::ThrottledStage,
        Reason::Quota,
        Reason::PayloadTooLarge,
        Reason::BackendTimeout,
        Reason::BackendUnreachable,
        Reason::BackendBadResponse,
        Reason::IntegrationConfig,
        Reason::UnsupportedMediaType,
        Reason::MappingFailed,
        Reason::BadRequestParameters,
        Reason::BadRequestBody,
        Reason::ClientClosed,
    ];

    /// The code as stored and shown.
    pub const fn code(self) -> &'static str {
        match self {
            Reason::NoRoute => "NO_ROUTE",
            Reason::KeyMissing => "KEY_MISSING",
            Reason::KeyInvalid => "KEY_INVALID",
            Reason::KeyDisabled => "KEY_DISABLED",
            Reason::KeyNotInPlan => "KEY_NOT_IN_PLAN",
            Reason::ThrottledPlanMethod => "THROTTLED_PLAN_METHOD",
            Reason::ThrottledPlan => "THROTTLED_PLAN",
            Reason::ThrottledStage => "THROTTLED_STAGE",
            Reason::Quota => "QUOTA",
            Reason::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            Reason::BackendTimeout => "BACKEND_TIMEOUT",
            Reason::BackendUnreachable => "BACKEND_UNREACHABLE",
            Reason::BackendBadResponse => "BACKEND_BAD_RESPONSE",
            Reason::IntegrationConfig => "INTEGRATION_CONFIG",
            Reason::UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
            Reason::MappingFailed => "MAPPING_FAILED",
            Reason::BadRequestParameters => "BAD_REQUEST_PARAMETERS",
            Reason::BadRequestBody => "BAD_REQUEST_BODY",
            Reason::ClientClosed => "CLIENT_CLOSED",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn from_code(code: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.code() == code)
    }
}

/// Counts per reason, as a rollup keeps them.
pub type ReasonCounts = [u64; Reason::ALL.len()];

/// Stored form of counts: `CODE=n;` for each non-zero count. The
/// concatenation of stored forms decodes to their sum, so SQLite can
/// `group_concat` many rollup rows and Rust decodes once (as with the
/// latency histograms).
pub fn encode(counts: &ReasonCounts) -> Option<String> {
    let mut out = String::new();
    for (r, n) in Reason::ALL.iter().zip(counts).filter(|(_, n)| **n > 0) {
        out.push_str(r.code());
        out.push('=');
        out.push_str(&n.to_string());
        out.push(';');
    }
    (!out.is_empty()).then_some(out)
}

/// Reads a stored (or concatenated) form; unknown codes are skipped.
pub fn decode(text: Option<&str>) -> ReasonCounts {
    let mut counts = [0; Reason::ALL.len()];
    for item in text.unwrap_or("").split(';') {
        if let Some((code, n)) = item.split_once('=') {
            if let (Some(r), Ok(n)) = (Reason::from_code(code), n.parse::<u64>()) {
                counts[r.index()] += n;
            }
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_and_in_order() {
        for (i, r) in Reason::ALL.iter().enumerate() {
            assert_eq!(r.index(), i);
            assert_eq!(Reason::from_code(r.code()), Some(*r));
        }
        let mut codes: Vec<_> = Reason::ALL.iter().map(|r| r.code()).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), Reason::ALL.len());
    }

    #[test]
    fn the_console_explains_every_code() {
        for r in Reason::ALL {
            assert!(!apigw_app::model::reason_text(r.code()).is_empty(), "{} has no text in apigw_app::model::REASONS", r.code());
        }
        assert_eq!(apigw_app::model::REASONS.len(), Reason::ALL.len(), "REASONS lists a code the gateway never writes");
    }

    #[test]
    fn concatenated_forms_decode_to_the_sum() {
        let mut a = [0; Reason::ALL.len()];
        a[Reason::Quota.index()] = 3;
        a[Reason::BackendTimeout.index()] = 1;
        let mut b = [0; Reason::ALL.len()];
        b[Reason::Quota.index()] = 2;
        let joined = format!("{}{}", encode(&a).unwrap(), encode(&b).unwrap());
        let sum = decode(Some(&joined));
        assert_eq!(sum[Reason::Quota.index()], 5);
        assert_eq!(sum[Reason::BackendTimeout.index()], 1);
        assert_eq!(encode(&[0; Reason::ALL.len()]), None);
        assert_eq!(decode(Some("BOGUS=4;QUOTA=x;QUOTA=1")), {
            let mut c = [0; Reason::ALL.len()];
            c[Reason::Quota.index()] = 1;
            c
        });
    }
}
