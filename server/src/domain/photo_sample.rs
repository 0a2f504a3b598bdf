//! Sampling scan photos for review (照片抽查): a month's photos of a jurisdiction drawn
//! at random from a recorded seed, weighted towards visits a supervisor should doubt
//! (open anomalies, no kiosk network evidence), so anyone can redraw the same sample
//! from the seed and the inputs.

use chrono::NaiveDate;
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};
use uuid::Uuid;

/// The most photos one sample draws.
pub const MAX_PHOTOS: u32 = 200;
/// The longest review note.
pub const MAX_NOTE_CHARS: usize = 500;

/// Why a sample's inputs were refused; each names its field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SampleError {
    #[error("month: expected YYYY-MM")]
    Month,
    #[error("n: between 1 and {MAX_PHOTOS}")]
    Count,
    #[error("seed: expected a decimal number below 2^64")]
    Seed,
}

/// The first and last day of a `YYYY-MM` month.
pub fn month_days(text: &str) -> Result<(NaiveDate, NaiveDate), SampleError> {
    let text = text.trim();
    let first = NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d")
        .map_err(|_| SampleError::Month)?;
    if text.len() != 7 {
        return Err(SampleError::Month);
    }
    let next = first
        .checked_add_months(chrono::Months::new(1))
        .ok_or(SampleError::Month)?;
    Ok((first, next.pred_opt().ok_or(SampleError::Month)?))
}

/// Parses a seed as written in a sample (decimal `u64`).
pub fn parse_seed(text: &str) -> Result<u64, SampleError> {
    text.trim().parse().map_err(|_| SampleError::Seed)
}

/// A photo that may be drawn, with what weighs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    pub photo_id: Uuid,
    /// The visit has open anomalies.
    pub open_anomalies: bool,
    /// The scan came from the network of one of the site's kiosks.
    pub kiosk_network: bool,
}

impl Candidate {
    /// 1, +2 when the visit has open anomalies, +1 without kiosk network evidence:
    /// a clean scan beside the kiosk weighs 1, a doubtful scan from elsewhere 4.
    pub fn weight(&self) -> u32 {
        1 + if self.open_anomalies { 2 } else { 0 } + u32::from(!self.kiosk_network)
    }
}

/// Draws up to `n` photos without replacement, each with probability proportional to
/// its weight at every step (Efraimidis–Spirakis: key `u^(1/w)`, the `n` largest keys
/// win), from a ChaCha20 stream seeded with `seed`. Candidates are taken in photo-id
/// order whatever order they come in, so the same seed and the same photos always
/// give the same sample, in the same order.
pub fn draw(candidates: &[Candidate], n: u32, seed: u64) -> Vec<Candidate> {
    let mut sorted = candidates.to_vec();
    sorted.sort_by_key(|c| c.photo_id);
    sorted.dedup_by_key(|c| c.photo_id);
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut keyed: Vec<(f64, Candidate)> = sorted
        .into_iter()
        .map(|c| {
            // 53 random bits as a uniform in (0, 1].
            let u = ((rng.next_u64() >> 11) as f64 + 1.0) / (1u64 << 53) as f64;
            (u.powf(1.0 / f64::from(c.weight())), c)
        })
        .collect();
    keyed.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.photo_id.cmp(&b.1.photo_id)));
    keyed.into_iter().take(n as usize).map(|(_, c)| c).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn photos(kinds: &[(bool, bool)]) -> Vec<Candidate> {
        kinds
            .iter()
            .enumerate()
            .map(|(i, &(open_anomalies, kiosk_network))| Candidate {
                photo_id: Uuid::from_u128(i as u128 + 1),
                open_anomalies,
                kiosk_network,
            })
            .collect()
    }

    #[test]
    fn the_same_seed_draws_the_same_photos_whatever_the_order_given() {
        let all = photos(&[(false, true); 30]);
        let first = draw(&all, 5, 42);
        let mut reversed = all.clone();
        reversed.reverse();
        assert_eq!(draw(&reversed, 5, 42), first);
        assert_eq!(first.len(), 5);
        let others: Vec<_> = (0..20u64).map(|seed| draw(&all, 5, seed)).collect();
        assert!(
            others.iter().any(|o| *o != first),
            "other seeds draw otherwise"
        );
        assert_eq!(draw(&all, 50, 1).len(), 30, "at most every photo");
    }

    #[test]
    fn doubtful_photos_are_drawn_more_often() {
        // One photo of a visit with open anomalies from elsewhere (weight 4) among
        // nine clean kiosk-network photos (weight 1): first about 4/13 of the time.
        let mut all = photos(&[(false, true); 10]);
        all[3].open_anomalies = true;
        all[3].kiosk_network = false;
        assert_eq!(all[3].weight(), 4);
        assert_eq!(all[0].weight(), 1);
        let doubtful = all[3].photo_id;
        let hits = (0..2000u64)
            .filter(|&seed| draw(&all, 1, seed)[0].photo_id == doubtful)
            .count();
        assert!((500..740).contains(&hits), "{hits} of 2000");
    }

    #[test]
    fn months_and_seeds_are_read_strictly() {
        let (from, to) = month_days("2026-02").expect("month");
        assert_eq!(from.to_string(), "2026-02-01");
        assert_eq!(to.to_string(), "2026-02-28");
        assert_eq!(
            month_days(" 2026-12 ").expect("month").1.to_string(),
            "2026-12-31"
        );
        for bad in ["2026-13", "2026-1", "2026", "", "2026-02-01"] {
            assert_eq!(month_days(bad), Err(SampleError::Month), "{bad}");
        }
        assert_eq!(parse_seed(" 7 "), Ok(7));
        assert_eq!(parse_seed("-1"), Err(SampleError::Seed));
    }
}
