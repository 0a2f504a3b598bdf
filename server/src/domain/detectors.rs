//! Anomaly detectors that look beyond one attempt: the physician's previous fix, other
//! uses of the same code, identical coordinates, visit length. Each documents its rule;
//! every detector gives the physician the benefit of the fixes' reported accuracy.

use chrono::{DateTime, Duration, Utc};
use geo::{Distance, Haversine, Point};
use serde_json::json;
use uuid::Uuid;

use super::anomaly::{AnomalyKind, Finding};
use super::coords::LatLon;

/// Default speed above which two consecutive fixes cannot both be genuine.
pub const IMPOSSIBLE_SPEED_KMH: f64 = 150.0;
/// Two uses of one code by different physicians farther apart than this (after
/// subtracting both accuracies) cannot both have been in front of the screen.
pub const CODE_SHARE_SEPARATION_M: f64 = 1_000.0;
/// A closed visit shorter than this is flagged `short_visit`.
pub const SHORT_VISIT_MINUTES: i64 = 30;

/// One stored fix, as the detectors need it.
#[derive(Debug, Clone, PartialEq)]
pub struct PastFix {
    pub event_id: Uuid,
    pub physician_id: Uuid,
    pub device_id: String,
    pub point: LatLon,
    pub accuracy_m: f64,
    pub at: DateTime<Utc>,
}

fn metres_between(a: LatLon, b: LatLon) -> f64 {
    Haversine.distance(Point::new(a.lon, a.lat), Point::new(b.lon, b.lat))
}

/// Distance that must have been covered, in the physician's favour: the raw distance
/// less both accuracy radii, never negative.
fn favourable_distance_m(a: &PastFix, b: &PastFix) -> f64 {
    (metres_between(a.point, b.point) - a.accuracy_m.max(0.0) - b.accuracy_m.max(0.0)).max(0.0)
}

/// `impossible_travel`: the speed needed between the previous fix and this one exceeds
/// `limit_kmh`. Simultaneous fixes any distance apart (after accuracy) are impossible.
pub fn impossible_travel(previous: &PastFix, current: &PastFix, limit_kmh: f64) -> Option<Finding> {
    let metres = favourable_distance_m(previous, current);
    if metres <= 0.0 {
        return None;
    }
    let seconds = (current.at - previous.at).num_milliseconds().abs() as f64 / 1000.0;
    let speed_kmh = if seconds > 0.0 {
        metres / 1000.0 / (seconds / 3600.0)
    } else {
        f64::INFINITY
    };
    (speed_kmh > limit_kmh).then(|| Finding {
        kind: AnomalyKind::ImpossibleTravel,
        detail: json!({
            "previous_event_id": previous.event_id,
            "distance_km": (metres / 100.0).round() / 10.0,
            "minutes": (seconds / 60.0).round(),
            "speed_kmh": if speed_kmh.is_finite() { json!(speed_kmh.round()) } else { json!(null) },
            "limit_kmh": limit_kmh,
        }),
    })
}

/// A latitude/longitude box, corners included.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    pub south_west: LatLon,
    pub north_east: LatLon,
}

impl Bounds {
    pub fn contains(&self, p: LatLon) -> bool {
        (self.south_west.lat..=self.north_east.lat).contains(&p.lat)
            && (self.south_west.lon..=self.north_east.lon).contains(&p.lon)
    }
}

/// Metres in a degree of latitude, rounded up (so degrees from metres err small).
const METRES_PER_DEGREE: f64 = 111_700.0;

/// The box around `point` whose fixes are surely within `min_separation_m` of it: the
/// square inscribed in that circle, shrunk by a tenth for the flat-earth arithmetic.
/// Another physician's fix in it can raise `code_shared` only by sharing the device,
/// so a search for suspects may leave the box out. Near the poles (and for a
/// non-positive separation) the box is the point itself.
pub fn surely_near(point: LatLon, min_separation_m: f64) -> Bounds {
    let half_m = 0.9 * min_separation_m.max(0.0) / std::f64::consts::SQRT_2;
    let cos_lat = point.lat.to_radians().cos();
    let (half_lat, half_lon) = if cos_lat < 0.01 {
        (0.0, 0.0)
    } else {
        // Longitude degrees are longest where the box is nearest the equator.
        let lat_span = half_m / METRES_PER_DEGREE;
        let nearest_equator = (point.lat.abs() - lat_span).max(0.0);
        (
            lat_span,
            half_m / (METRES_PER_DEGREE * nearest_equator.to_radians().cos()),
        )
    };
    Bounds {
        south_west: LatLon::new(point.lat - half_lat, point.lon - half_lon),
        north_east: LatLon::new(point.lat + half_lat, point.lon + half_lon),
    }
}

/// `code_shared`: another physician used the same code from the same device, or from a
/// fix too far away for both to have been in front of the screen.
pub fn code_shared(
    current: &PastFix,
    others: &[PastFix],
    min_separation_m: f64,
) -> Option<Finding> {
    let suspect = others.iter().find(|other| {
        other.physician_id != current.physician_id
            && (other.device_id == current.device_id
                || favourable_distance_m(other, current) > min_separation_m)
    })?;
    let same_device = suspect.device_id == current.device_id;
    Some(Finding {
        kind: AnomalyKind::CodeShared,
        detail: json!({
            "other_event_id": suspect.event_id,
            "other_physician_id": suspect.physician_id,
            "same_device": same_device,
            "separation_m": favourable_distance_m(suspect, current).round(),
        }),
    })
}

/// `repeated_fix`: the reported coordinates equal, bit for bit, those of another event.
/// Real GPS never repeats exactly; a replayed or typed-in position does.
pub fn repeated_fix(current: LatLon, earlier: &[(Uuid, LatLon)]) -> Option<Finding> {
    let (event_id, _) = earlier.iter().find(|(_, p)| {
        p.lat.to_bits() == current.lat.to_bits() && p.lon.to_bits() == current.lon.to_bits()
    })?;
    Some(Finding {
        kind: AnomalyKind::RepeatedFix,
        detail: json!({ "other_event_id": event_id, "lat": current.lat, "lon": current.lon }),
    })
}

/// `short_visit`: a visit closed less than `min_minutes` after it opened.
pub fn short_visit(
    checked_in_at: DateTime<Utc>,
    checked_out_at: DateTime<Utc>,
    min_minutes: i64,
) -> Option<Finding> {
    let length = checked_out_at - checked_in_at;
    (length < Duration::minutes(min_minutes)).then(|| Finding {
        kind: AnomalyKind::ShortVisit,
        detail: json!({ "minutes": length.num_minutes(), "min_minutes": min_minutes }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fix(
        physician: Uuid,
        device: &str,
        lat: f64,
        lon: f64,
        accuracy_m: f64,
        minute: i64,
    ) -> PastFix {
        PastFix {
            event_id: Uuid::new_v4(),
            physician_id: physician,
            device_id: device.into(),
            point: LatLon::new(lat, lon),
            accuracy_m,
            at: DateTime::from_timestamp(1_780_000_000, 0).expect("valid")
                + Duration::minutes(minute),
        }
    }

    #[test]
    fn fifty_kilometres_in_ten_minutes_is_impossible_travel() {
        let p = Uuid::new_v4();
        let a = fix(p, "d", 25.29, 117.41, 10.0, 0);
        let b = fix(p, "d", 25.29 + 0.45, 117.41, 10.0, 10); // ~50 km north
        let finding = impossible_travel(&a, &b, IMPOSSIBLE_SPEED_KMH).expect("flagged");
        assert_eq!(finding.kind, AnomalyKind::ImpossibleTravel);
        assert!(
            finding.detail["speed_kmh"]
                .as_f64()
                .is_some_and(|s| s > 250.0)
        );
    }

    #[test]
    fn the_same_trip_in_an_hour_is_honest() {
        let p = Uuid::new_v4();
        let a = fix(p, "d", 25.29, 117.41, 10.0, 0);
        let b = fix(p, "d", 25.29 + 0.45, 117.41, 10.0, 60);
        assert!(impossible_travel(&a, &b, IMPOSSIBLE_SPEED_KMH).is_none());
    }

    #[test]
    fn accuracy_is_counted_in_the_physicians_favour() {
        let p = Uuid::new_v4();
        // 1.1 km apart in one minute, but each fix is only good to 600 m: could be 0 m.
        let a = fix(p, "d", 25.29, 117.41, 600.0, 0);
        let b = fix(p, "d", 25.30, 117.41, 600.0, 1);
        assert!(impossible_travel(&a, &b, IMPOSSIBLE_SPEED_KMH).is_none());
    }

    #[test]
    fn a_code_used_by_two_physicians_from_one_phone_is_shared() {
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let mine = fix(a, "phone-1", 25.29, 117.41, 10.0, 1);
        let theirs = fix(b, "phone-1", 25.29, 117.41, 10.0, 0);
        let finding = code_shared(&mine, &[theirs], CODE_SHARE_SEPARATION_M).expect("flagged");
        assert_eq!(finding.detail["same_device"], true);
    }

    #[test]
    fn a_code_used_by_a_colleague_kilometres_away_is_shared_but_next_to_me_is_not() {
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let mine = fix(a, "phone-1", 25.29, 117.41, 10.0, 1);
        let far = fix(b, "phone-2", 25.31, 117.41, 10.0, 0); // ~2.2 km
        let near = fix(b, "phone-2", 25.2901, 117.41, 10.0, 0);
        assert!(code_shared(&mine, std::slice::from_ref(&far), CODE_SHARE_SEPARATION_M).is_some());
        assert!(code_shared(&mine, &[near], CODE_SHARE_SEPARATION_M).is_none());
        let myself = PastFix {
            physician_id: a,
            ..far
        };
        assert!(code_shared(&mine, &[myself], CODE_SHARE_SEPARATION_M).is_none());
    }

    #[test]
    fn only_bit_identical_coordinates_repeat() {
        let here = LatLon::new(25.291234567, 117.412345678);
        let other = Uuid::new_v4();
        assert!(repeated_fix(here, &[(other, here)]).is_some());
        let nudged = LatLon::new(25.291234567 + 1e-12, 117.412345678);
        assert!(repeated_fix(here, &[(other, nudged)]).is_none());
    }

    #[test]
    fn a_visit_under_half_an_hour_is_short() {
        let t = DateTime::from_timestamp(1_780_000_000, 0).expect("valid");
        assert!(short_visit(t, t + Duration::minutes(29), SHORT_VISIT_MINUTES).is_some());
        assert!(short_visit(t, t + Duration::minutes(30), SHORT_VISIT_MINUTES).is_none());
    }

    #[test]
    fn fixes_in_the_surely_near_box_never_raise_code_shared_by_distance() {
        for lat in [0.0, 18.3, 25.0, 39.9, 53.5, 80.0] {
            let centre = LatLon::new(lat, 117.0);
            let near = surely_near(centre, CODE_SHARE_SEPARATION_M);
            // The corners are the farthest points of the box.
            for corner in [
                near.south_west,
                near.north_east,
                LatLon::new(near.south_west.lat, near.north_east.lon),
                LatLon::new(near.north_east.lat, near.south_west.lon),
            ] {
                assert!(near.contains(corner));
                let metres = metres_between(centre, corner);
                assert!(metres < CODE_SHARE_SEPARATION_M, "{lat}: {metres}");
                assert!(metres > 0.8 * CODE_SHARE_SEPARATION_M, "{lat}: {metres}");
            }
        }
        let pole = surely_near(LatLon::new(90.0, 0.0), CODE_SHARE_SEPARATION_M);
        assert_eq!(pole.south_west, pole.north_east);
    }
}
