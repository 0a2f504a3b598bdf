//! Prometheus metrics: what the server counts while it serves, and the text a scrape
//! of `/metrics` answers (README "Metrics" lists every name).
//!
//! Each [`App`](crate::App) has its own registry, so several servers in one process
//! (the tests) never mix their figures. Gauges read from the database (anomalies) are
//! refreshed at most every [`ANOMALY_REFRESH`], so frequent scrapes stay cheap.

use std::sync::Arc;
use std::time::{Duration, Instant};

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
    TextEncoder,
};
use tokio::sync::Mutex;

use crate::store::Store;

/// The media type of the Prometheus text exposition format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// How long the anomaly counts from the database are reused between scrapes.
pub const ANOMALY_REFRESH: Duration = Duration::from_secs(5);

/// The route label of a request that matched no route (keeps the label set bounded).
pub const UNMATCHED_ROUTE: &str = "<unmatched>";

/// Upper bounds of the latency buckets, in seconds: from a cached read to the longest
/// report budget.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0,
];

/// The metrics of one server; cheap to clone.
#[derive(Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

struct Inner {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    in_flight: IntGauge,
    verdicts: IntCounterVec,
    rate_limited: IntCounterVec,
    logins: IntCounterVec,
    anomalies: IntGaugeVec,
    pool: IntGaugeVec,
    quick_reads: IntGauge,
    /// When the anomaly gauges were last read from the database.
    anomalies_read_at: Mutex<Option<Instant>>,
}

/// Counts a request as in flight until dropped.
pub struct InFlight {
    gauge: IntGauge,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.gauge.dec();
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Inner {
    fn build() -> prometheus::Result<Inner> {
        let registry = Registry::new_custom(Some("xiaxiang".to_owned()), None)?;
        let requests = IntCounterVec::new(
            Opts::new("http_requests_total", "HTTP requests answered"),
            &["route", "method", "status"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "Time from request to response head",
            )
            .buckets(LATENCY_BUCKETS.to_vec()),
            &["route", "method"],
        )?;
        let in_flight = IntGauge::new("http_requests_in_flight", "Requests being served now")?;
        let verdicts = IntCounterVec::new(
            Opts::new(
                "attendance_verdicts_total",
                "Check-in, check-out and presence answers by verdict and reason",
            ),
            &["action", "verdict", "reason"],
        )?;
        let rate_limited = IntCounterVec::new(
            Opts::new(
                "rate_limited_total",
                "Requests refused with 429 by a rate limit",
            ),
            &["limit"],
        )?;
        let logins = IntCounterVec::new(
            Opts::new(
                "login_attempts_total",
                "Login attempts past the per-address rate limit, by outcome",
            ),
            &["outcome"],
        )?;
        let anomalies = IntGaugeVec::new(
            Opts::new("anomalies", "Anomalies stored, by kind and review status"),
            &["kind", "status"],
        )?;
        let pool = IntGaugeVec::new(
            Opts::new("db_pool_connections", "Database pool connections"),
            &["state"],
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        registry.register(Box::new(in_flight.clone()))?;
        registry.register(Box::new(verdicts.clone()))?;
        registry.register(Box::new(rate_limited.clone()))?;
        registry.register(Box::new(logins.clone()))?;
        registry.register(Box::new(anomalies.clone()))?;
        registry.register(Box::new(pool.clone()))?;
        let quick_reads = IntGauge::new(
            "store_quick_reads",
            "Statements the SQLite quick readers (a check-in's reads) ran since the start",
        )?;
        registry.register(Box::new(quick_reads.clone()))?;
        Ok(Inner {
            registry,
            requests,
            latency,
            in_flight,
            verdicts,
            rate_limited,
            logins,
            anomalies,
            pool,
            quick_reads,
            anomalies_read_at: Mutex::new(None),
        })
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        match Inner::build() {
            Ok(inner) => Metrics {
                inner: Arc::new(inner),
            },
            // Names, labels and buckets are constants; the unit tests build them.
            Err(error) => unreachable!("invalid metric definitions: {error}"),
        }
    }

    /// Marks a request as in flight until the guard is dropped.
    pub fn request_started(&self) -> InFlight {
        self.inner.in_flight.inc();
        InFlight {
            gauge: self.inner.in_flight.clone(),
        }
    }

    /// One answered request on `route` (the matched path pattern, never the raw path).
    pub fn record_request(&self, route: &str, method: &str, status: u16, elapsed: Duration) {
        self.inner
            .requests
            .with_label_values(&[route, method, &status.to_string()])
            .inc();
        self.inner
            .latency
            .with_label_values(&[route, method])
            .observe(elapsed.as_secs_f64());
    }

    /// One attendance answer: `verdict` `accepted`, `flagged` or `refused`; counted once
    /// per reason (anomaly kinds when flagged, the refusal code when refused, `none`
    /// when accepted without remark).
    pub fn record_verdict(&self, action: &str, verdict: &str, reasons: &[String]) {
        if reasons.is_empty() {
            self.inner
                .verdicts
                .with_label_values(&[action, verdict, "none"])
                .inc();
        }
        for reason in reasons {
            self.inner
                .verdicts
                .with_label_values(&[action, verdict, reason])
                .inc();
        }
    }

    /// One request refused by the rate limit named `limit`.
    pub fn record_rate_limited(&self, limit: &str) {
        self.inner.rate_limited.with_label_values(&[limit]).inc();
    }

    /// One login attempt's outcome: `accepted` or `invalid_credentials` (both had
    /// their password checked) or `too_many_attempts` (refused by a failure limit
    /// before any check).
    pub fn record_login(&self, outcome: &str) {
        self.inner.logins.with_label_values(&[outcome]).inc();
    }

    /// The text exposition of every metric, with the pool and anomaly gauges refreshed.
    pub async fn render(&self, store: &Store) -> String {
        let pool = store.pool_stats();
        for (state, value) in [("open", pool.size), ("idle", pool.idle), ("max", pool.max)] {
            self.inner
                .pool
                .with_label_values(&[state])
                .set(i64::from(value));
        }
        self.refresh_anomalies(store).await;
        if let Some(reads) = store.quick_reads() {
            self.inner
                .quick_reads
                .set(i64::try_from(reads).unwrap_or(i64::MAX));
        }
        let mut text = Vec::new();
        if let Err(error) = TextEncoder::new().encode(&self.inner.registry.gather(), &mut text) {
            tracing::error!(%error, "metrics not encoded");
        }
        String::from_utf8(text).unwrap_or_default()
    }

    /// Reads the anomaly counts unless they were read within [`ANOMALY_REFRESH`]; on a
    /// database error the previous figures stay.
    async fn refresh_anomalies(&self, store: &Store) {
        let mut read_at = self.inner.anomalies_read_at.lock().await;
        if read_at.is_some_and(|at| at.elapsed() < ANOMALY_REFRESH) {
            return;
        }
        match store.count_anomalies_by_kind().await {
            Ok(rows) => {
                self.inner.anomalies.reset();
                for (kind, status, count) in rows {
                    self.inner
                        .anomalies
                        .with_label_values(&[&kind, &status])
                        .set(count);
                }
                *read_at = Some(Instant::now());
            }
            Err(error) => tracing::warn!(%error, "metrics: anomaly counts not read"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(metrics: &Metrics) -> String {
        let mut text = Vec::new();
        TextEncoder::new()
            .encode(&metrics.inner.registry.gather(), &mut text)
            .expect("encodes");
        String::from_utf8(text).expect("utf-8")
    }

    #[test]
    fn every_metric_is_registered_under_the_prefix() {
        let metrics = Metrics::new();
        metrics.record_request("/healthz", "GET", 200, Duration::from_millis(3));
        metrics.record_verdict("check_in", "accepted", &[]);
        metrics.record_rate_limited("login_ip");
        metrics.record_login("accepted");
        metrics
            .inner
            .anomalies
            .with_label_values(&["k", "open"])
            .set(1);
        metrics.inner.pool.with_label_values(&["open"]).set(1);
        let _guard = metrics.request_started();
        let text = encoded(&metrics);
        for name in [
            "xiaxiang_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1",
            "xiaxiang_http_request_duration_seconds_bucket{method=\"GET\",route=\"/healthz\",le=\"0.005\"} 1",
            "xiaxiang_http_requests_in_flight 1",
            "xiaxiang_attendance_verdicts_total{action=\"check_in\",reason=\"none\",verdict=\"accepted\"} 1",
            "xiaxiang_rate_limited_total{limit=\"login_ip\"} 1",
            "xiaxiang_login_attempts_total{outcome=\"accepted\"} 1",
            "xiaxiang_anomalies{kind=\"k\",status=\"open\"} 1",
            "xiaxiang_db_pool_connections{state=\"open\"} 1",
        ] {
            assert!(text.contains(name), "{name} missing from:\n{text}");
        }
    }

    #[test]
    fn a_flagged_answer_counts_once_per_reason() {
        let metrics = Metrics::new();
        let reasons = vec!["mock_location".to_owned(), "device_shared".to_owned()];
        metrics.record_verdict("check_in", "flagged", &reasons);
        let text = encoded(&metrics);
        assert!(text.contains("reason=\"mock_location\",verdict=\"flagged\"} 1"));
        assert!(text.contains("reason=\"device_shared\",verdict=\"flagged\"} 1"));
        assert!(!text.contains("reason=\"none\""));
    }

    #[test]
    fn the_in_flight_gauge_falls_when_the_guard_drops() {
        let metrics = Metrics::new();
        drop(metrics.request_started());
        assert_eq!(metrics.inner.in_flight.get(), 0);
    }
}
