//! Prometheus metrics (`GET /metrics`, OpenMetrics text).

use std::sync::atomic::AtomicI64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// `validate`, `mutate`, or the HTTP path class (`health`, `metrics`, `other`).
    pub endpoint: String,
    /// The admission operation (`CREATE`, …), empty for non-admission requests.
    pub operation: String,
    /// `allow`, `deny`, `patch`, or `error` for a review that could not be answered.
    pub decision: String,
    pub code: u16,
}

/// Every metric the webhook exports.
pub struct Metrics {
    registry: Registry,
    pub requests: Family<RequestLabels, Counter>,
    pub latency: Histogram,
    /// Unix time at which the serving certificate expires.
    pub certificate_expiry: Gauge<i64, AtomicI64>,
    pub certificate_reloads: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("tailor_webhook");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "requests",
            "Admission and HTTP requests by endpoint, operation, decision and code",
            requests.clone(),
        );
        // 50 µs … ~0.4 s.
        let latency = Histogram::new(exponential_buckets(0.00005, 2.0, 14));
        registry.register(
            "request_duration_seconds",
            "Time to answer an admission review",
            latency.clone(),
        );
        let certificate_expiry = Gauge::<i64, AtomicI64>::default();
        registry.register(
            "certificate_expiry_timestamp_seconds",
            "Unix time at which the serving certificate expires",
            certificate_expiry.clone(),
        );
        let certificate_reloads = Counter::default();
        registry.register(
            "certificate_reloads",
            "Serving certificate reloads after a file change",
            certificate_reloads.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            certificate_expiry,
            certificate_reloads,
        }
    }
}

impl Metrics {
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}
