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

/// One earlier fix as reported (before any conversion), for `repeated_fix`.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportedFix {
    pub event_id: Uuid,
    pub physician_id: Uuid,
    /// The visit the event belongs to (none for a check-in not yet stored).
    pub visit_id: Option<Uuid>,
    pub point: LatLon,
    pub accuracy_m: f64,
    pub at: DateTime<Utc>,
}

/// The thresholds of `repeated_fix` (config: `CHECKIN_*`, README).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RepeatPolicy {
    /// Fixes this coarse or coarser (Wi-Fi or cell positioning) repeat honestly.
    pub coarse_accuracy_m: f64,
    /// The physician's own fix on another day this close, with an accuracy within
    /// `accuracy_match_m`, is a replay with drift added.
    pub near_repeat_m: f64,
    pub accuracy_match_m: f64,
    /// "Another day": at least this long before.
    pub other_day_after: Duration,
}

/// `CHECKIN_COARSE_ACCURACY_M` default.
pub const DEFAULT_COARSE_ACCURACY_M: f64 = 20.0;
/// `CHECKIN_NEAR_REPEAT_M` default.
pub const DEFAULT_NEAR_REPEAT_M: f64 = 1.0;

impl Default for RepeatPolicy {
    fn default() -> Self {
        RepeatPolicy {
            coarse_accuracy_m: DEFAULT_COARSE_ACCURACY_M,
            near_repeat_m: DEFAULT_NEAR_REPEAT_M,
            accuracy_match_m: 1.0,
            other_day_after: Duration::hours(12),
        }
    }
}

/// The box a store search for `repeated_fix` candidates may keep to: every point
/// within `metres` of `point` is in it.
pub fn surely_within(point: LatLon, metres: f64) -> Bounds {
    let lat_span = 1.1 * metres.max(0.0) / 110_000.0;
    let cos_lat = (point.lat.abs() + lat_span).min(89.0).to_radians().cos();
    let lon_span = lat_span / cos_lat.max(0.01);
    Bounds {
        south_west: LatLon::new(point.lat - lat_span, point.lon - lon_span),
        north_east: LatLon::new(point.lat + lat_span, point.lon + lon_span),
    }
}

/// `repeated_fix`: the reported coordinates equal, bit for bit, those of an event in
/// another visit, or lie within `near_repeat_m` of the physician's own fix of
/// another day with the same accuracy (a replayed fix with drift added). Real GPS
/// does not repeat like that; a replayed or typed-in position does. Coarse fixes
/// (Wi-Fi or cell positioning repeats a point exactly) and points repeated within one
/// visit (a phone that did not move) are honest.
pub fn repeated_fix(
    current: &ReportedFix,
    earlier: &[ReportedFix],
    policy: &RepeatPolicy,
) -> Option<Finding> {
    if current.accuracy_m >= policy.coarse_accuracy_m {
        return None;
    }
    let (other, exact, metres) = earlier.iter().find_map(|e| {
        if current.visit_id.is_some() && e.visit_id == current.visit_id {
            return None;
        }
        let exact = e.point.lat.to_bits() == current.point.lat.to_bits()
            && e.point.lon.to_bits() == current.point.lon.to_bits();
        let metres = metres_between(e.point, current.point);
        let near = e.physician_id == current.physician_id
            && metres <= policy.near_repeat_m
            && (e.accuracy_m - current.accuracy_m).abs() <= policy.accuracy_match_m
            && (current.at - e.at).abs() >= policy.other_day_after;
        (exact || near).then_some((e, exact, metres))
    })?;
    Some(Finding {
        kind: AnomalyKind::RepeatedFix,
        detail: json!({
            "other_event_id": other.event_id,
            "lat": current.point.lat,
            "lon": current.point.lon,
            "exact": exact,
            "separation_m": (metres * 100.0).round() / 100.0,
        }),
    })
}

/// The thresholds of the group rules (config: `CHECKIN_*`, README).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GroupPolicy {
    /// Scans of one site this close in time are "together".
    pub together_within: Duration,
    /// Fixes this close with accuracies this equal came from one phone.
    pub one_phone_apart_m: f64,
    pub one_phone_accuracy_m: f64,
    /// Two accounts together at this many sites are travelling as one.
    pub paired_sites: i64,
}

/// `CHECKIN_GROUP_WINDOW_SECONDS` default.
pub const DEFAULT_GROUP_WINDOW_SECONDS: i64 = 20;
/// `CHECKIN_PAIRED_SITES` default.
pub const DEFAULT_PAIRED_SITES: i64 = 3;

impl Default for GroupPolicy {
    fn default() -> Self {
        GroupPolicy {
            together_within: Duration::seconds(DEFAULT_GROUP_WINDOW_SECONDS),
            one_phone_apart_m: 1.0,
            one_phone_accuracy_m: 0.5,
            paired_sites: DEFAULT_PAIRED_SITES,
        }
    }
}

/// `device_shared`: the device is bound to other physicians' accounts (one phone
/// running several accounts, or a cloned app's id).
pub fn device_shared(device_id: &str, owners: &[Uuid], physician_id: Uuid) -> Option<Finding> {
    let others: Vec<Uuid> = owners
        .iter()
        .copied()
        .filter(|o| *o != physician_id)
        .collect();
    let first = *others.first()?;
    Some(Finding {
        kind: AnomalyKind::DeviceShared,
        detail: json!({
            "device_id": device_id,
            "other_physician_id": first,
            "other_physician_ids": others,
            "accounts": others.len() + 1,
        }),
    })
}

/// `group_scan`: other accounts scanned the same site within seconds from fixes
/// under a metre apart with the same accuracy: one phone (or one spoofing script)
/// working several accounts. Colleagues on their own phones differ by metres and in
/// accuracy.
pub fn group_scan(current: &PastFix, others: &[PastFix], policy: &GroupPolicy) -> Option<Finding> {
    let mut together: Vec<&PastFix> = others
        .iter()
        .filter(|o| {
            o.physician_id != current.physician_id
                && (o.at - current.at).abs() <= policy.together_within
                && metres_between(o.point, current.point) <= policy.one_phone_apart_m
                && (o.accuracy_m - current.accuracy_m).abs() <= policy.one_phone_accuracy_m
        })
        .collect();
    together.sort_by_key(|o| o.at);
    let mut accounts: Vec<Uuid> = Vec::new();
    for o in &together {
        if !accounts.contains(&o.physician_id) {
            accounts.push(o.physician_id);
        }
    }
    let first = together.first()?;
    Some(Finding {
        kind: AnomalyKind::GroupScan,
        detail: json!({
            "other_event_id": first.event_id,
            "other_physician_id": first.physician_id,
            "other_physician_ids": accounts,
            "accounts": accounts.len() + 1,
            "separation_m": (metres_between(first.point, current.point) * 100.0).round() / 100.0,
            "seconds_apart": (first.at - current.at).num_seconds().abs(),
        }),
    })
}

/// The other accounts that scanned this site within `together_within` of `current`
/// (whatever their fixes), first seen first: the partners `paired_accounts` counts.
pub fn partners(current: &PastFix, others: &[PastFix], policy: &GroupPolicy) -> Vec<Uuid> {
    let mut found: Vec<Uuid> = Vec::new();
    for o in others {
        if o.physician_id != current.physician_id
            && (o.at - current.at).abs() <= policy.together_within
            && !found.contains(&o.physician_id)
        {
            found.push(o.physician_id);
        }
    }
    found
}

/// `paired_accounts`: `partner` scanned seconds apart from this physician at
/// `sites_together` sites (this one included): two accounts that travel as one, where
/// one person likely scans for both.
pub fn paired_accounts(
    partner: Uuid,
    sites_together: i64,
    policy: &GroupPolicy,
) -> Option<Finding> {
    (sites_together >= policy.paired_sites).then(|| Finding {
        kind: AnomalyKind::PairedAccounts,
        detail: json!({
            "other_physician_id": partner,
            "sites": sites_together,
            "seconds_within": policy.together_within.num_seconds(),
        }),
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

    fn reported(
        physician: Uuid,
        visit: Option<Uuid>,
        lat: f64,
        accuracy_m: f64,
        hour: i64,
    ) -> ReportedFix {
        ReportedFix {
            event_id: Uuid::new_v4(),
            physician_id: physician,
            visit_id: visit,
            point: LatLon::new(lat, 117.412345678),
            accuracy_m,
            at: DateTime::from_timestamp(1_780_000_000, 0).expect("valid") + Duration::hours(hour),
        }
    }

    #[test]
    fn bit_identical_coordinates_in_another_visit_repeat_and_a_nudge_does_not() {
        let p = RepeatPolicy::default();
        let (me, other) = (Uuid::new_v4(), Uuid::new_v4());
        let here = reported(me, Some(Uuid::new_v4()), 25.291234567, 12.0, 4);
        let theirs = reported(other, Some(Uuid::new_v4()), 25.291234567, 8.0, 3);
        assert!(repeated_fix(&here, std::slice::from_ref(&theirs), &p).is_some());
        let nudged = reported(other, Some(Uuid::new_v4()), 25.291234567 + 1e-12, 8.0, 3);
        assert!(
            repeated_fix(&here, &[nudged], &p).is_none(),
            "another physician, not bit-equal"
        );
    }

    #[test]
    fn a_drifted_replay_of_my_fix_of_another_day_repeats() {
        let p = RepeatPolicy::default();
        let me = Uuid::new_v4();
        let yesterday = reported(me, Some(Uuid::new_v4()), 25.291234567, 9.0, 0);
        // ~0.5 m north, a day later, the same accuracy.
        let today = reported(me, None, 25.291234567 + 0.000_004_5, 9.0, 24);
        let finding = repeated_fix(&today, std::slice::from_ref(&yesterday), &p).expect("flagged");
        assert_eq!(finding.detail["exact"], false);
        // Five metres away, or an hour later the same day: honest.
        let five_m = reported(me, None, 25.291234567 + 0.000_045, 9.0, 24);
        assert!(repeated_fix(&five_m, std::slice::from_ref(&yesterday), &p).is_none());
        let same_day = reported(me, None, 25.291234567 + 0.000_004_5, 9.0, 1);
        assert!(repeated_fix(&same_day, &[yesterday], &p).is_none());
    }

    #[test]
    fn coarse_fixes_and_points_repeated_within_one_visit_are_honest() {
        let p = RepeatPolicy::default();
        let me = Uuid::new_v4();
        let visit = Some(Uuid::new_v4());
        let wifi_before = reported(me, Some(Uuid::new_v4()), 25.29, 35.0, 0);
        let wifi_now = reported(me, None, 25.29, 35.0, 24);
        assert!(repeated_fix(&wifi_now, &[wifi_before], &p).is_none());
        let check_in = reported(me, visit, 25.29, 9.0, 0);
        let check_out = reported(me, visit, 25.29, 9.0, 4);
        assert!(repeated_fix(&check_out, &[check_in], &p).is_none());
    }

    #[test]
    fn the_search_box_holds_every_point_within_its_radius() {
        for lat in [0.0, 25.29, 53.5] {
            let centre = LatLon::new(lat, 117.0);
            let b = surely_within(centre, 1.0);
            for (dlat, dlon) in [(1.0, 0.0), (-1.0, 0.0), (0.0, 1.0), (0.0, -1.0)] {
                let m_lat = 1.0 / 111_320.0;
                let m_lon = m_lat / lat.to_radians().cos();
                let p = LatLon::new(lat + dlat * m_lat, 117.0 + dlon * m_lon);
                assert!(b.contains(p), "{lat} {dlat} {dlon}");
            }
        }
    }

    #[test]
    fn a_device_bound_to_another_account_is_shared_and_my_own_is_not() {
        let (me, other) = (Uuid::new_v4(), Uuid::new_v4());
        let finding = device_shared("phone-1", &[other], me).expect("flagged");
        assert_eq!(finding.detail["accounts"], 2);
        assert_eq!(finding.detail["other_physician_id"], json!(other));
        assert!(device_shared("phone-1", &[me], me).is_none());
        assert!(device_shared("phone-1", &[], me).is_none());
    }

    #[test]
    fn accounts_scanning_as_one_phone_are_a_group_and_colleagues_are_not() {
        let p = GroupPolicy::default();
        let (a, b, c) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let mine = fix(a, "phone-a", 25.29, 117.41, 10.0, 1);
        let clone = |who: Uuid, dlat: f64, accuracy: f64, seconds: i64| PastFix {
            physician_id: who,
            device_id: "x".into(),
            point: LatLon::new(25.29 + dlat, 117.41),
            accuracy_m: accuracy,
            at: mine.at - Duration::seconds(seconds),
            event_id: Uuid::new_v4(),
        };
        let group = [clone(b, 0.000_003, 10.0, 5), clone(c, 0.0, 10.2, 8)];
        let finding = group_scan(&mine, &group, &p).expect("flagged");
        assert_eq!(finding.detail["accounts"], 3);
        // A colleague three metres away, or with another accuracy, or a minute later.
        for honest in [
            clone(b, 0.000_027, 10.0, 5),
            clone(b, 0.0, 14.0, 5),
            clone(b, 0.0, 10.0, 60),
            clone(a, 0.0, 10.0, 5),
        ] {
            assert!(group_scan(&mine, &[honest], &p).is_none());
        }
    }

    #[test]
    fn two_accounts_together_at_three_sites_are_paired() {
        let p = GroupPolicy::default();
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let mine = fix(a, "phone-a", 25.29, 117.41, 10.0, 1);
        let mut near = fix(b, "phone-b", 25.2901, 117.41, 14.0, 1);
        near.at -= Duration::seconds(6);
        let later = fix(b, "phone-b", 25.2901, 117.41, 14.0, 3);
        assert_eq!(partners(&mine, &[near, later], &p), vec![b]);
        assert!(paired_accounts(b, 3, &p).is_some());
        assert!(paired_accounts(b, 2, &p).is_none());
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
