//! Per-phase figures: a latency histogram and outcome counts, kept per worker and
//! merged at the end so recording never contends.

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;

/// What one worker saw in one phase.
#[derive(Debug, Clone)]
pub struct PhaseStats {
    /// Latency in microseconds, 1 µs .. 60 s at 3 significant digits.
    latency_us: Histogram<u64>,
    /// Outcome ("201", "422 already_checked_in", "transport", ...) -> count.
    outcomes: BTreeMap<String, u64>,
}

impl Default for PhaseStats {
    fn default() -> Self {
        PhaseStats {
            latency_us: Histogram::new_with_bounds(1, 60_000_000, 3)
                .unwrap_or_else(|_| unreachable!("constant, valid bounds")),
            outcomes: BTreeMap::new(),
        }
    }
}

impl PhaseStats {
    pub fn record(&mut self, latency: Duration, outcome: String) {
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.latency_us.saturating_record(micros.max(1));
        *self.outcomes.entry(outcome).or_default() += 1;
    }

    pub fn merge(&mut self, other: &PhaseStats) {
        // Same bounds on both sides: adding cannot fail.
        let _ = self.latency_us.add(&other.latency_us);
        for (outcome, count) in &other.outcomes {
            *self.outcomes.entry(outcome.clone()).or_default() += count;
        }
    }

    pub fn requests(&self) -> u64 {
        self.latency_us.len()
    }

    #[cfg(test)]
    pub fn count(&self, outcome: &str) -> u64 {
        self.outcomes.get(outcome).copied().unwrap_or(0)
    }

    /// Every answer had status 201 (and there was at least one).
    pub fn all_created(&self) -> bool {
        self.requests() > 0
            && self
                .outcomes
                .keys()
                .all(|outcome| outcome.starts_with("201"))
    }

    /// Latency in milliseconds at `quantile` (0.5 = median).
    pub fn ms_at(&self, quantile: f64) -> f64 {
        self.latency_us.value_at_quantile(quantile) as f64 / 1000.0
    }

    /// Requests per second over `elapsed`.
    pub fn rate(&self, elapsed: Duration) -> f64 {
        self.requests() as f64 / elapsed.as_secs_f64().max(1e-9)
    }

    /// One block of text: requests, rate, percentiles, outcomes.
    pub fn report(&self, name: &str, elapsed: Duration) -> String {
        let mut text = format!(
            "{name}: {} requests in {:.1} s = {:.0} req/s; latency ms p50 {:.2} p95 {:.2} p99 {:.2} max {:.2}\n",
            self.requests(),
            elapsed.as_secs_f64(),
            self.rate(elapsed),
            self.ms_at(0.50),
            self.ms_at(0.95),
            self.ms_at(0.99),
            self.latency_us.max() as f64 / 1000.0,
        );
        for (outcome, count) in &self.outcomes {
            text.push_str(&format!("  {outcome:<40} {count}\n"));
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_stats_add_requests_and_outcomes() {
        let mut a = PhaseStats::default();
        a.record(Duration::from_millis(2), "201".to_owned());
        let mut b = PhaseStats::default();
        b.record(Duration::from_millis(4), "201".to_owned());
        b.record(Duration::from_millis(9), "422 code_reused".to_owned());
        a.merge(&b);
        assert_eq!(a.requests(), 3);
        assert_eq!(a.count("201"), 2);
        assert_eq!(a.count("422 code_reused"), 1);
        assert!(a.report("x", Duration::from_secs(1)).contains("3 requests"));
        assert!(!a.all_created());
        assert!(b.count("201") == 1 && !PhaseStats::default().all_created());
        let mut created = PhaseStats::default();
        created.record(Duration::from_millis(1), "201 accepted".to_owned());
        created.record(
            Duration::from_millis(1),
            "201 flagged [\"short_visit\"]".to_owned(),
        );
        assert!(created.all_created());
    }
}
