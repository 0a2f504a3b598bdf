//! Judging a phone's GPS fix against a fence, allowing for its reported accuracy.

use super::Geofence;
use crate::domain::coords::LatLon;

/// How forgiving to be with a fix's reported accuracy.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FixPolicy {
    /// Fixes whose accuracy radius is worse than this are not judged at all.
    pub max_accuracy_m: f64,
    /// A fix may lie outside by up to its accuracy, but never by more than this, so a
    /// vague fix cannot check in from down the road.
    pub tolerance_cap_m: f64,
}

impl Default for FixPolicy {
    fn default() -> Self {
        FixPolicy {
            max_accuracy_m: 100.0,
            tolerance_cap_m: 50.0,
        }
    }
}

/// The outcome of checking one GPS fix against a fence.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FixVerdict {
    /// Inside, or outside by no more than the allowed tolerance; `distance_m` is how far
    /// outside (0 when truly inside).
    Inside {
        distance_m: f64,
    },
    Outside {
        distance_m: f64,
    },
    /// The fix is too vague (or its accuracy is not a usable number) to judge.
    PoorAccuracy {
        accuracy_m: f64,
    },
}

impl Geofence {
    /// Judges one fix: too vague fixes are not judged; otherwise a fix counts as inside
    /// when it is within its own accuracy (capped) of the fence.
    pub fn judge_fix(&self, p: LatLon, accuracy_m: f64, policy: &FixPolicy) -> FixVerdict {
        let usable = accuracy_m.is_finite() && accuracy_m >= 0.0;
        if !usable || accuracy_m > policy.max_accuracy_m {
            return FixVerdict::PoorAccuracy { accuracy_m };
        }
        let distance_m = self.distance_outside_m(p);
        if distance_m <= accuracy_m.min(policy.tolerance_cap_m) {
            FixVerdict::Inside { distance_m }
        } else {
            FixVerdict::Outside { distance_m }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn accuracy_widens_the_fence_up_to_the_cap() {
        let fence = Geofence::parse(&circle(CLINIC, 100.0)).unwrap();
        let policy = FixPolicy::default();
        let thirty_out = offset(CLINIC, 0.0, 130.0);
        assert!(matches!(
            fence.judge_fix(thirty_out, 40.0, &policy),
            FixVerdict::Inside { distance_m } if (29.0..31.0).contains(&distance_m)
        ));
        assert!(matches!(
            fence.judge_fix(thirty_out, 20.0, &policy),
            FixVerdict::Outside { distance_m } if (29.0..31.0).contains(&distance_m)
        ));
        // 80 m out with 90 m accuracy: the tolerance is capped at 50 m.
        let eighty_out = offset(CLINIC, 0.0, 180.0);
        assert!(matches!(
            fence.judge_fix(eighty_out, 90.0, &policy),
            FixVerdict::Outside { distance_m } if (79.0..81.0).contains(&distance_m)
        ));
        assert_eq!(
            fence.judge_fix(CLINIC, 5.0, &policy),
            FixVerdict::Inside { distance_m: 0.0 }
        );
    }

    #[test]
    fn poor_accuracy_is_not_judged() {
        let fence = Geofence::parse(&circle(CLINIC, 100.0)).unwrap();
        let policy = FixPolicy::default();
        assert_eq!(
            fence.judge_fix(CLINIC, 150.0, &policy),
            FixVerdict::PoorAccuracy { accuracy_m: 150.0 }
        );
        assert_eq!(
            fence.judge_fix(CLINIC, -1.0, &policy),
            FixVerdict::PoorAccuracy { accuracy_m: -1.0 }
        );
        for accuracy in [f64::NAN, f64::INFINITY] {
            assert!(matches!(
                fence.judge_fix(CLINIC, accuracy, &policy),
                FixVerdict::PoorAccuracy { .. }
            ));
        }
        assert!(matches!(
            fence.judge_fix(CLINIC, 100.0, &policy),
            FixVerdict::Inside { .. }
        ));
    }
}
