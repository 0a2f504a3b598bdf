//! Inspection plans (督查计划): which receiving sites of a county to inspect in a
//! period, drawn at random from a recorded seed and weighted towards sites with open
//! anomalies, so that anyone can redraw the same sites from the seed and the inputs.

use chrono::NaiveDate;
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};
use uuid::Uuid;

/// The most sites one plan may draw.
pub const MAX_SITES: u32 = 500;
/// Open anomalies beyond this add no more weight (one noisy site must not crowd out
/// every other).
pub const MAX_COUNTED_ANOMALIES: u32 = 9;

/// A plan's period: a quarter (光山 每季度督查) or a year (中站 年度督查考核).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanPeriod {
    Quarter { year: i32, quarter: u32 },
    Year(i32),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("period: expected YYYY or YYYY-Qn (n 1 to 4), got {0:?}")]
    Period(String),
    #[error("sites: must be between 1 and {MAX_SITES}")]
    Sites,
    #[error("seed: expected a decimal number below 2^64")]
    Seed,
}

impl PlanPeriod {
    pub fn parse(text: &str) -> Result<PlanPeriod, PlanError> {
        let bad = || PlanError::Period(text.to_owned());
        let (year, quarter) = match text.split_once("-Q") {
            Some((y, q)) => (y, Some(q)),
            None => (text, None),
        };
        if year.len() != 4 {
            return Err(bad());
        }
        let year: i32 = year.parse().map_err(|_| bad())?;
        if !(2000..=2100).contains(&year) {
            return Err(bad());
        }
        match quarter {
            None => Ok(PlanPeriod::Year(year)),
            Some(q) => match q {
                "1" | "2" | "3" | "4" => Ok(PlanPeriod::Quarter {
                    year,
                    quarter: q.parse().map_err(|_| bad())?,
                }),
                _ => Err(bad()),
            },
        }
    }

    pub fn year(self) -> i32 {
        match self {
            PlanPeriod::Quarter { year, .. } | PlanPeriod::Year(year) => year,
        }
    }

    pub fn quarter(self) -> Option<u32> {
        match self {
            PlanPeriod::Quarter { quarter, .. } => Some(quarter),
            PlanPeriod::Year(_) => None,
        }
    }

    /// First day and the day after the last, local dates.
    pub fn dates(self) -> (NaiveDate, NaiveDate) {
        let first = |y: i32, m: u32| NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(NaiveDate::MIN);
        match self {
            PlanPeriod::Year(y) => (first(y, 1), first(y + 1, 1)),
            PlanPeriod::Quarter { year, quarter } => {
                let start = first(year, 3 * quarter - 2);
                let end = if quarter == 4 {
                    first(year + 1, 1)
                } else {
                    first(year, 3 * quarter + 1)
                };
                (start, end)
            }
        }
    }
}

impl std::fmt::Display for PlanPeriod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PlanPeriod::Year(y) => write!(f, "{y}"),
            PlanPeriod::Quarter { year, quarter } => write!(f, "{year}-Q{quarter}"),
        }
    }
}

/// A site that may be drawn, with what weighs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    pub site_id: Uuid,
    pub open_anomalies: u32,
}

impl Candidate {
    /// 1, plus one per open anomaly up to [`MAX_COUNTED_ANOMALIES`].
    pub fn weight(&self) -> u32 {
        1 + self.open_anomalies.min(MAX_COUNTED_ANOMALIES)
    }
}

/// Parses a seed as written in a plan (decimal `u64`).
pub fn parse_seed(text: &str) -> Result<u64, PlanError> {
    text.trim().parse().map_err(|_| PlanError::Seed)
}

/// Draws up to `n` sites without replacement, each with probability proportional to
/// its weight at every step (Efraimidis–Spirakis: key `u^(1/w)`, the `n` largest keys
/// win), from a ChaCha20 stream seeded with `seed`. The candidates are taken in site-id
/// order whatever order they come in, so the same seed and the same candidates always
/// give the same sites, in the same order.
pub fn draw(candidates: &[Candidate], n: u32, seed: u64) -> Vec<Candidate> {
    let mut sorted = candidates.to_vec();
    sorted.sort_by_key(|c| c.site_id);
    sorted.dedup_by_key(|c| c.site_id);
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut keyed: Vec<(f64, Candidate)> = sorted
        .into_iter()
        .map(|c| {
            // 53 random bits as a uniform in (0, 1].
            let u = ((rng.next_u64() >> 11) as f64 + 1.0) / (1u64 << 53) as f64;
            (u.powf(1.0 / f64::from(c.weight())), c)
        })
        .collect();
    keyed.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.site_id.cmp(&b.1.site_id)));
    keyed.into_iter().take(n as usize).map(|(_, c)| c).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidates(open: &[u32]) -> Vec<Candidate> {
        open.iter()
            .enumerate()
            .map(|(i, &open_anomalies)| Candidate {
                site_id: Uuid::from_u128(i as u128 + 1),
                open_anomalies,
            })
            .collect()
    }

    #[test]
    fn the_same_seed_redraws_the_same_sites_whatever_the_order_given() {
        let sites = candidates(&[0, 3, 0, 1, 0, 0, 7, 0]);
        let first = draw(&sites, 3, 20_261_201);
        assert_eq!(first.len(), 3);
        let mut reversed = sites.clone();
        reversed.reverse();
        assert_eq!(draw(&reversed, 3, 20_261_201), first);
        let others: Vec<_> = (0..20u64).map(|seed| draw(&sites, 3, seed)).collect();
        assert!(
            others.iter().any(|d| *d != first),
            "other seeds draw otherwise"
        );
    }

    #[test]
    fn a_site_with_open_anomalies_is_drawn_more_often() {
        // Ten sites, one with five open anomalies (weight 6): drawing one site from each
        // of 2000 seeds, it should come up about 6/15 of the time against 1/15 for each
        // quiet site.
        let mut open = vec![0; 10];
        open[4] = 5;
        let sites = candidates(&open);
        let flagged = sites[4].site_id;
        let quiet = sites[0].site_id;
        let (mut hits, mut quiet_hits) = (0, 0);
        for seed in 0..2000u64 {
            let drawn = draw(&sites, 1, seed);
            hits += usize::from(drawn[0].site_id == flagged);
            quiet_hits += usize::from(drawn[0].site_id == quiet);
        }
        assert!((650..950).contains(&hits), "flagged drawn {hits} of 2000");
        assert!(
            (60..230).contains(&quiet_hits),
            "a quiet site drawn {quiet_hits} of 2000"
        );
    }

    #[test]
    fn a_draw_never_repeats_a_site_or_exceeds_the_candidates() {
        let sites = candidates(&[1, 0, 2]);
        let drawn = draw(&sites, 10, 1);
        assert_eq!(drawn.len(), 3);
        let mut ids: Vec<_> = drawn.iter().map(|c| c.site_id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 3);
    }

    #[test]
    fn periods_are_quarters_or_years() {
        let q4 = PlanPeriod::parse("2026-Q4").expect("quarter");
        assert_eq!(q4.to_string(), "2026-Q4");
        assert_eq!(
            q4.dates(),
            (
                NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
                NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()
            )
        );
        let q1 = PlanPeriod::parse("2026-Q1").expect("quarter");
        assert_eq!(q1.dates().1, NaiveDate::from_ymd_opt(2026, 4, 1).unwrap());
        assert_eq!(PlanPeriod::parse("2026"), Ok(PlanPeriod::Year(2026)));
        for bad in ["2026-Q5", "26", "2026-q1", "2026-Q", "abcd", ""] {
            assert!(PlanPeriod::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_seed(" 42 "), Ok(42));
        assert!(parse_seed("-1").is_err());
    }
}
