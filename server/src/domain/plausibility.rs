//! Whether a fix is one a phone could really have produced at the scan: a plausible
//! accuracy, not pinned to the fence's centre, taken at the scan and not minutes
//! before, in the coordinate system the phone always declares. Each rule documents
//! what honest phones do that it must leave alone.

use chrono::{DateTime, Duration, Utc};
use geo::{Distance, Haversine, Point};
use serde_json::json;

use super::anomaly::{AnomalyKind, Finding};
use super::coords::{Crs, LatLon};

/// The thresholds of the plausibility rules (config: `CHECKIN_*`, README).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlausibilityPolicy {
    /// No phone's GNSS fix is honestly better than this; mock apps report 0 or 1 m.
    pub accuracy_floor_m: f64,
    /// A fix this close to the fence's centre was typed in from the site's coordinates.
    pub centre_pin_m: f64,
    /// A fix taken this long before the scan is a cached or replayed one.
    pub max_fix_age: Duration,
}

/// `CHECKIN_ACCURACY_FLOOR_M` default.
pub const DEFAULT_ACCURACY_FLOOR_M: f64 = 3.0;
/// `CHECKIN_CENTRE_PIN_M` default.
pub const DEFAULT_CENTRE_PIN_M: f64 = 1.0;
/// `CHECKIN_MAX_FIX_AGE_SECONDS` default.
pub const DEFAULT_MAX_FIX_AGE_SECONDS: i64 = 60;

impl Default for PlausibilityPolicy {
    fn default() -> Self {
        PlausibilityPolicy {
            accuracy_floor_m: DEFAULT_ACCURACY_FLOOR_M,
            centre_pin_m: DEFAULT_CENTRE_PIN_M,
            max_fix_age: Duration::seconds(DEFAULT_MAX_FIX_AGE_SECONDS),
        }
    }
}

pub(crate) fn metres_between(a: LatLon, b: LatLon) -> f64 {
    Haversine.distance(Point::new(a.lon, a.lat), Point::new(b.lon, b.lat))
}

/// `implausible_accuracy`: the phone claims a fix better than any phone achieves.
pub fn implausible_accuracy(accuracy_m: f64, policy: &PlausibilityPolicy) -> Option<Finding> {
    (accuracy_m < policy.accuracy_floor_m).then(|| Finding {
        kind: AnomalyKind::ImplausibleAccuracy,
        detail: json!({ "accuracy_m": accuracy_m, "floor_m": policy.accuracy_floor_m }),
    })
}

/// `fix_at_fence_centre`: the fix (WGS-84) lies within `centre_pin_m` of the fence's
/// centre, as a position copied from the site's own coordinates does.
pub fn fix_at_fence_centre(
    point: LatLon,
    centre: LatLon,
    policy: &PlausibilityPolicy,
) -> Option<Finding> {
    let metres = metres_between(point, centre);
    (metres <= policy.centre_pin_m).then(|| Finding {
        kind: AnomalyKind::FixAtFenceCentre,
        detail: json!({ "centre_distance_m": (metres * 100.0).round() / 100.0 }),
    })
}

/// `stale_fix`: the phone says the fix was taken more than `max_fix_age` before the
/// scan (a cached position, or one replayed from earlier). No `fix_time`, no finding.
pub fn stale_fix(
    fix_time: Option<DateTime<Utc>>,
    scanned_at: DateTime<Utc>,
    policy: &PlausibilityPolicy,
) -> Option<Finding> {
    let fix_time = fix_time?;
    let age = scanned_at - fix_time;
    (age > policy.max_fix_age).then(|| Finding {
        kind: AnomalyKind::StaleFix,
        detail: json!({
            "fix_time": fix_time,
            "scanned_at": scanned_at,
            "fix_age_seconds": age.num_seconds(),
        }),
    })
}

/// What the physician's earlier accepted scans declared.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CrsHistory {
    /// Coordinate systems declared earlier from this device by this physician.
    pub on_this_device: Vec<Crs>,
    /// Coordinate systems declared earlier from any device by this physician.
    pub by_physician: Vec<Crs>,
}

/// `crs_changed`: this device, for this physician, declared another coordinate
/// system before. A phone's location stack does not change its datum from one scan
/// to the next; a new phone may well (it is another device, so it is left alone).
pub fn crs_changed(declared: Crs, history: &CrsHistory) -> Option<Finding> {
    let before = history
        .on_this_device
        .iter()
        .find(|c| **c != declared)
        .copied()?;
    Some(Finding {
        kind: AnomalyKind::CrsChanged,
        detail: json!({ "crs": declared.as_str(), "previous_crs": before.as_str() }),
    })
}

/// `crs_mislabelled`: declared `gcj02` (or `bd09`), the point lies inside the fence
/// only after conversion, and the physician has only ever declared `wgs84`: a real
/// fix some 500 m away relabelled so that the conversion carries it onto the site.
pub fn crs_mislabelled(
    declared: Crs,
    inside_as_declared: bool,
    inside_as_wgs84: bool,
    history: &CrsHistory,
) -> Option<Finding> {
    let always_wgs84 =
        !history.by_physician.is_empty() && history.by_physician.iter().all(|c| *c == Crs::Wgs84);
    (declared != Crs::Wgs84 && always_wgs84 && inside_as_declared && !inside_as_wgs84).then(|| {
        Finding {
            kind: AnomalyKind::CrsMislabelled,
            detail: json!({ "crs": declared.as_str(), "previous_crs": Crs::Wgs84.as_str() }),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_780_000_000 + s, 0).expect("instant")
    }

    #[test]
    fn accuracy_under_three_metres_is_implausible_and_three_is_not() {
        let p = PlausibilityPolicy::default();
        assert!(implausible_accuracy(0.0, &p).is_some());
        assert!(implausible_accuracy(2.9, &p).is_some());
        assert!(implausible_accuracy(3.0, &p).is_none());
        assert!(implausible_accuracy(65.0, &p).is_none());
        let lax = PlausibilityPolicy {
            accuracy_floor_m: 1.0,
            ..p
        };
        assert!(implausible_accuracy(2.0, &lax).is_none());
    }

    #[test]
    fn a_fix_on_the_fence_centre_is_pinned_and_five_metres_off_is_not() {
        let p = PlausibilityPolicy::default();
        let centre = LatLon::new(25.291, 117.412);
        assert!(fix_at_fence_centre(centre, centre, &p).is_some());
        let half_metre = LatLon::new(25.291 + 0.000_004_5, 117.412);
        assert!(fix_at_fence_centre(half_metre, centre, &p).is_some());
        let five_metres = LatLon::new(25.291 + 0.000_045, 117.412);
        assert!(fix_at_fence_centre(five_metres, centre, &p).is_none());
    }

    #[test]
    fn a_fix_older_than_a_minute_before_the_scan_is_stale() {
        let p = PlausibilityPolicy::default();
        assert!(stale_fix(Some(at(0)), at(61), &p).is_some());
        assert!(stale_fix(Some(at(0)), at(60), &p).is_none());
        assert!(
            stale_fix(Some(at(30)), at(0), &p).is_none(),
            "fix after the scan"
        );
        assert!(stale_fix(None, at(3600), &p).is_none());
        let finding = stale_fix(Some(at(0)), at(7200), &p).expect("stale");
        assert_eq!(finding.detail["fix_age_seconds"], 7200);
    }

    #[test]
    fn a_device_changing_its_datum_is_flagged_and_a_new_phone_is_not() {
        let history = CrsHistory {
            on_this_device: vec![Crs::Wgs84],
            by_physician: vec![Crs::Wgs84],
        };
        assert!(crs_changed(Crs::Gcj02, &history).is_some());
        assert!(crs_changed(Crs::Wgs84, &history).is_none());
        let new_phone = CrsHistory {
            on_this_device: vec![],
            by_physician: vec![Crs::Wgs84],
        };
        assert!(crs_changed(Crs::Gcj02, &new_phone).is_none());
    }

    #[test]
    fn gcj02_inside_only_after_conversion_from_a_wgs84_physician_is_mislabelled() {
        let wgs = CrsHistory {
            on_this_device: vec![Crs::Wgs84],
            by_physician: vec![Crs::Wgs84],
        };
        assert!(crs_mislabelled(Crs::Gcj02, true, false, &wgs).is_some());
        // Inside either way: the label changes nothing that matters.
        assert!(crs_mislabelled(Crs::Gcj02, true, true, &wgs).is_none());
        // An honest GCJ-02 phone, or a first scan: nothing to compare with.
        let gcj = CrsHistory {
            on_this_device: vec![Crs::Gcj02],
            by_physician: vec![Crs::Gcj02],
        };
        assert!(crs_mislabelled(Crs::Gcj02, true, false, &gcj).is_none());
        assert!(crs_mislabelled(Crs::Gcj02, true, false, &CrsHistory::default()).is_none());
        assert!(crs_mislabelled(Crs::Wgs84, true, false, &wgs).is_none());
    }
}
