//! One simulated day: every scan the province's phones send, in the order the
//! server receives them, with the realistic share of things going wrong. A pure
//! function of the plan and the date.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use uuid::Uuid;

use super::geography::SitePlan;
use super::plan::{Plan, PostingKind, PostingPlan, monthly_days};
use super::rng::Rng;
use crate::domain::attendance::Action;
use crate::domain::coords::{self, Crs, LatLon};
use crate::domain::crediting::start_of_local_day;
use crate::domain::organization::{DEFAULT_TIMEZONE, OrganizationKind};
use crate::domain::requirements::ActivityKind;

/// One scan as the phone sends it.
#[derive(Debug, Clone, PartialEq)]
pub struct Scan {
    pub physician: usize,
    pub posting: usize,
    pub site: usize,
    pub action: Action,
    pub scanned_at: DateTime<Utc>,
    /// When it reaches the server (later than `scanned_at` for offline scans).
    pub received_at: DateTime<Utc>,
    /// Queued offline: the request carries `scanned_at`.
    pub offline: bool,
    /// As the phone reports it, in `crs`.
    pub reported: LatLon,
    pub crs: Crs,
    pub accuracy_m: f64,
    pub is_mock: bool,
    pub fix_time: DateTime<Utc>,
    pub device_id: String,
    pub client_event_id: Uuid,
    /// Work to log on the visit once this check-out is accepted.
    pub activities: Vec<(ActivityKind, u32)>,
}

/// When the county supervisors sit down to review yesterday's anomalies (local).
pub const REVIEW_HOUR: u32 = 12;

fn local(date: NaiveDate, minutes: f64) -> DateTime<Utc> {
    start_of_local_day(date, DEFAULT_TIMEZONE) + Duration::seconds((minutes * 60.0).round() as i64)
}

fn minutes_of(time: chrono::NaiveTime) -> f64 {
    use chrono::Timelike;
    f64::from(time.hour() * 60 + time.minute())
}

/// Whether the physician comes under `posting` on `date` (before reliability).
fn planned(plan: &Plan, index: usize, posting: &PostingPlan, date: NaiveDate) -> bool {
    if date < posting.start_date || date > posting.end_date {
        return false;
    }
    let weekday = date.weekday().num_days_from_monday();
    match posting.kind {
        PostingKind::MonthlyCircuit | PostingKind::GroupSinking => {
            let key = (index as u64) << 20 | (date.year() as u64 * 12 + u64::from(date.month()));
            let mut rng = Rng::derive(plan.spec.seed, "month-count", key);
            let count = match posting.kind {
                PostingKind::GroupSinking => 4 + rng.below(3),
                _ => 1 + rng.below(3),
            } as usize;
            monthly_days(plan.spec.seed, index, date.year(), date.month(), count).contains(&date)
        }
        _ => posting.weekdays.contains(&weekday),
    }
}

fn day_key(date: NaiveDate, index: usize) -> u64 {
    u64::try_from(date.num_days_from_ce()).unwrap_or(0) << 24 ^ index as u64
}

/// Whether the physician turns up on a planned day (their reliability), from a
/// stream of its own so that later days can ask too.
fn turns_up(plan: &Plan, index: usize, date: NaiveDate) -> bool {
    let reliability = plan.physicians[plan.postings[index].physician].reliability;
    Rng::derive(plan.spec.seed, "turn-up", day_key(date, index)).chance(reliability)
}

fn makeup_draw(plan: &Plan, index: usize, date: NaiveDate) -> bool {
    Rng::derive(plan.spec.seed, "make-up", day_key(date, index)).chance(0.75)
}

/// Weekly patterns: a planned day missed earlier in the week is usually made up on
/// a free working day (resident postings: Saturday too).
fn makes_up(plan: &Plan, index: usize, date: NaiveDate) -> bool {
    let posting = &plan.postings[index];
    let resident = posting.kind.mode() == crate::domain::assignment::Mode::Dispatch;
    let free = |d: NaiveDate| {
        let weekday = d.weekday();
        d >= posting.start_date
            && d <= posting.end_date
            && weekday != Weekday::Sun
            && (weekday != Weekday::Sat || resident)
            && !planned(plan, index, posting, d)
    };
    if posting.weekdays.is_empty() || !free(date) {
        return false;
    }
    let monday = date - Duration::days(i64::from(date.weekday().num_days_from_monday()));
    let mut owed = 0;
    let mut d = monday;
    while d < date {
        if planned(plan, index, posting, d) {
            if !turns_up(plan, index, d) {
                owed += 1;
            }
        } else if owed > 0 && free(d) && makeup_draw(plan, index, d) {
            owed -= 1;
        }
        d += Duration::days(1);
    }
    owed > 0 && makeup_draw(plan, index, date)
}

/// Every scan of `date`, sorted by arrival at the server.
pub fn day(plan: &Plan, date: NaiveDate) -> Vec<Scan> {
    let mut by_physician: Vec<Vec<usize>> = vec![Vec::new(); plan.physicians.len()];
    for (i, posting) in plan.postings.iter().enumerate() {
        by_physician[posting.physician].push(i);
    }
    let mut scans = Vec::new();
    for (physician, postings) in by_physician.iter().enumerate() {
        let chosen = postings.iter().copied().find(|&p| {
            let posting = &plan.postings[p];
            (planned(plan, p, posting, date) && turns_up(plan, p, date)) || makes_up(plan, p, date)
        });
        if let Some(posting) = chosen {
            let mut rng = Rng::derive(plan.spec.seed, "visit", day_key(date, physician));
            visit(plan, posting, date, &mut rng, &mut scans);
        }
    }
    scans.sort_by(|a, b| {
        (a.received_at, a.physician, a.scanned_at).cmp(&(b.received_at, b.physician, b.scanned_at))
    });
    scans
}

/// A fix of `truth` (WGS-84) as the physician's phone reports it.
fn reported(truth: LatLon, crs: Crs) -> LatLon {
    match crs {
        Crs::Wgs84 => truth,
        Crs::Gcj02 => coords::wgs84_to_gcj02(truth),
        Crs::Bd09 => coords::gcj02_to_bd09(coords::wgs84_to_gcj02(truth)),
    }
}

fn accuracy(site: &SitePlan, rng: &mut Rng) -> f64 {
    let a = if site.kind == OrganizationKind::VillageClinic {
        rng.normal(22.0, 10.0).clamp(5.0, 80.0)
    } else {
        rng.normal(14.0, 6.0).clamp(3.0, 60.0)
    };
    (a * 10.0).round() / 10.0
}

/// Arrival (minutes after local midnight) and minutes present.
fn timing(plan: &Plan, posting: &PostingPlan, rng: &mut Rng) -> (f64, f64) {
    let physician = &plan.physicians[posting.physician];
    let opens = minutes_of(posting.window.start);
    let late = (physician.arrival_offset_min + rng.normal(0.0, 8.0)).max(1.0);
    let full = rng.normal(7.4 * 60.0, 30.0).clamp(6.2 * 60.0, 9.5 * 60.0);
    let half = rng.normal(3.8 * 60.0, 25.0).clamp(3.1 * 60.0, 5.0 * 60.0);
    match posting.kind {
        PostingKind::CommunityHalfDays if posting.mornings => (opens + late, half),
        PostingKind::CommunityHalfDays => (14.0 * 60.0 + late, half.min(3.9 * 60.0)),
        PostingKind::VillageCircuit => (
            opens + 20.0 + late,
            rng.normal(4.2 * 60.0, 35.0).clamp(3.1 * 60.0, 6.5 * 60.0),
        ),
        PostingKind::VillageDispatch if rng.chance(0.5) => (opens + late, half),
        PostingKind::MonthlyCircuit if rng.chance(0.15) => (opens + late, half),
        _ => (opens + late, full),
    }
}

fn activities(
    plan: &Plan,
    posting_index: usize,
    date: NaiveDate,
    half_day: bool,
    rng: &mut Rng,
) -> Vec<(ActivityKind, u32)> {
    let posting = &plan.postings[posting_index];
    let scale = if half_day { 0.6 } else { 1.0 };
    let outpatients =
        |rng: &mut Rng, mean: f64| (rng.normal(mean * scale, mean * 0.4).max(1.0)).round() as u32;
    let mut out = Vec::new();
    let maybe =
        |rng: &mut Rng, p: f64, kind: ActivityKind, low: i64, high: i64, out: &mut Vec<_>| {
            if rng.chance(p) {
                out.push((kind, rng.between(low, high) as u32));
            }
        };
    match posting.kind {
        PostingKind::MonthlyCircuit => {
            out.push((ActivityKind::Outpatient, outpatients(rng, 22.0)));
            maybe(rng, 0.25, ActivityKind::Teaching, 2, 8, &mut out);
            maybe(rng, 0.10, ActivityKind::Lecture, 15, 60, &mut out);
            maybe(rng, 0.10, ActivityKind::CaseDiscussion, 1, 3, &mut out);
        }
        PostingKind::CommunityHalfDays => {
            if rng.chance(0.8) {
                out.push((ActivityKind::Outpatient, outpatients(rng, 16.0)));
            }
            maybe(rng, 0.15, ActivityKind::HealthEducation, 10, 50, &mut out);
        }
        PostingKind::TownshipDispatch => {
            out.push((ActivityKind::Outpatient, outpatients(rng, 20.0)));
            maybe(rng, 0.4, ActivityKind::Inpatient, 2, 10, &mut out);
            maybe(rng, 0.4, ActivityKind::WardRound, 1, 2, &mut out);
            maybe(rng, 0.05, ActivityKind::Surgery, 1, 2, &mut out);
            maybe(rng, 0.15, ActivityKind::Teaching, 2, 6, &mut out);
        }
        PostingKind::ResidentDispatch => {
            if rng.chance(0.85) {
                out.push((ActivityKind::Outpatient, outpatients(rng, 18.0)));
            }
            let weekday = date.weekday().num_days_from_monday();
            if weekday == 1 || weekday == 3 || rng.chance(0.2) {
                out.push((ActivityKind::WardRound, 1));
            }
            maybe(rng, 0.3, ActivityKind::Inpatient, 2, 8, &mut out);
        }
        PostingKind::VillageCircuit | PostingKind::VillageDispatch => {
            if rng.chance(0.9) {
                out.push((ActivityKind::Outpatient, outpatients(rng, 12.0)));
            }
            maybe(rng, 0.2, ActivityKind::HealthEducation, 8, 40, &mut out);
            maybe(rng, 0.05, ActivityKind::Teleconsultation, 1, 2, &mut out);
        }
        PostingKind::GroupSinking => {
            out.push((ActivityKind::Outpatient, outpatients(rng, 20.0)));
            maybe(rng, 0.6, ActivityKind::Teaching, 2, 10, &mut out);
            let first_of_month =
                monthly_days(plan.spec.seed, posting_index, date.year(), date.month(), 1);
            if first_of_month.first() == Some(&date) || rng.chance(0.1) {
                out.push((ActivityKind::Training, rng.between(6, 30) as u32));
            }
        }
    }
    out
}

/// The scans of one visit, with its faults.
fn visit(plan: &Plan, posting_index: usize, date: NaiveDate, rng: &mut Rng, scans: &mut Vec<Scan>) {
    let posting = &plan.postings[posting_index];
    let physician = &plan.physicians[posting.physician];
    let site = &plan.geography.sites[posting.site];
    let faults = &plan.spec.faults;
    let (mut arrive, mut stay) = timing(plan, posting, rng);
    let half_day = stay < 6.0 * 60.0;
    if rng.chance(faults.early_arrival) && arrive < minutes_of(posting.window.start) + 60.0 {
        arrive = minutes_of(posting.window.start) - rng.between(5, 28) as f64;
    }
    if rng.chance(faults.short_visit) {
        stay = rng.between(10, 25) as f64;
    }
    let device = if rng.chance(faults.spare_device) {
        physician.spare_device_id.clone()
    } else {
        physician.device_id.clone()
    };
    let village = site.kind == OrganizationKind::VillageClinic;
    let scan =
        |rng: &mut Rng, action: Action, at: DateTime<Utc>, truth: LatLon, accuracy_m: f64| Scan {
            physician: posting.physician,
            posting: posting_index,
            site: posting.site,
            action,
            scanned_at: at,
            received_at: at,
            offline: false,
            reported: reported(truth, physician.crs),
            crs: physician.crs,
            accuracy_m,
            is_mock: false,
            fix_time: at - Duration::seconds(rng.between(1, 30)),
            device_id: device.clone(),
            client_event_id: rng.uuid(),
            activities: Vec::new(),
        };

    let arrival = local(date, arrive + rng.unit());
    if rng.chance(faults.outside_fence_first) {
        let metres = rng.range_f64(600.0, 3_000.0);
        let away = site.point_away(rng, metres);
        let at = arrival - Duration::seconds(rng.between(180, 900));
        let accuracy_m = accuracy(site, rng);
        scans.push(scan(rng, Action::CheckIn, at, away, accuracy_m));
    } else if rng.chance(faults.poor_accuracy_first) {
        let at = arrival - Duration::seconds(rng.between(60, 240));
        let truth = site.point_inside(rng);
        let vague = rng.between(160, 400) as f64;
        scans.push(scan(rng, Action::CheckIn, at, truth, vague));
    }
    let truth = site.point_inside(rng);
    let accuracy_m = accuracy(site, rng);
    let mut check_in = scan(rng, Action::CheckIn, arrival, truth, accuracy_m);
    check_in.is_mock = rng.chance(faults.mock_location);
    if village && rng.chance(0.08) {
        check_in.offline = true;
        check_in.received_at = arrival + Duration::seconds(rng.between(60, 240));
    }
    scans.push(check_in);
    if rng.chance(faults.double_scan) {
        let again = arrival + Duration::seconds(rng.between(5, 40));
        let truth = site.point_inside(rng);
        let accuracy_m = accuracy(site, rng);
        scans.push(scan(rng, Action::CheckIn, again, truth, accuracy_m));
    }
    if rng.chance(faults.forgotten_checkout) {
        return;
    }
    let leave = local(date, arrive + stay + rng.unit());
    let truth = site.point_inside(rng);
    let accuracy_m = accuracy(site, rng);
    let mut check_out = scan(rng, Action::CheckOut, leave, truth, accuracy_m);
    if rng.chance(faults.replayed_fix)
        && let Some(fence) = site.geofence()
    {
        // The spoofer types in the clinic's own coordinates.
        check_out.reported = reported(fence.centre(), physician.crs);
    }
    let last_upload = local(date, 23.0 * 60.0 + 30.0);
    if rng.chance(faults.late_upload) {
        check_out.offline = true;
        check_out.received_at = (leave + Duration::minutes(rng.between(20, 180)))
            .min(last_upload)
            .max(leave);
    } else if village && rng.chance(0.08) {
        check_out.offline = true;
        check_out.received_at = leave + Duration::seconds(rng.between(60, 240));
    }
    check_out.activities = activities(plan, posting_index, date, half_day, rng);
    scans.push(check_out);
}

/// The instant of `date` at which anomalies of the previous day are reviewed.
pub fn review_time(date: NaiveDate) -> DateTime<Utc> {
    local(date, f64::from(REVIEW_HOUR * 60) + 30.0)
}

/// Five past midnight after `date` (local): the scheduler's tick that closes the
/// visits of `date` nobody checked out of.
pub fn midnight_tick(date: NaiveDate) -> DateTime<Utc> {
    local(date, 24.0 * 60.0 + 5.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::geofence::{FixPolicy, FixVerdict};
    use crate::synthetic::plan::{FaultRates, Spec};

    fn local_date(at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&DEFAULT_TIMEZONE).date_naive()
    }

    fn plan(seed: u64, faults: FaultRates) -> Plan {
        Plan::generate(&Spec {
            counties: 2,
            physicians: 30,
            days: 14,
            end_date: NaiveDate::from_ymd_opt(2026, 3, 15).expect("date"),
            seed,
            province_prefix: 39,
            province_name: "海岚省".into(),
            password: "synthetic-pass".into(),
            faults,
        })
        .expect("plan")
    }

    fn days(plan: &Plan) -> Vec<Scan> {
        let first = plan.spec.first_day();
        (0..plan.spec.days)
            .flat_map(|d| day(plan, first + Duration::days(i64::from(d))))
            .collect()
    }

    #[test]
    fn the_same_seed_scripts_the_same_scans() {
        let a = plan(1, FaultRates::default());
        assert_eq!(days(&a), days(&plan(1, FaultRates::default())));
        assert_ne!(days(&a), days(&plan(2, FaultRates::default())));
    }

    #[test]
    fn without_faults_every_fix_lies_inside_its_fence_and_every_visit_closes() {
        let none = FaultRates {
            forgotten_checkout: 0.0,
            short_visit: 0.0,
            mock_location: 0.0,
            outside_fence_first: 0.0,
            poor_accuracy_first: 0.0,
            late_upload: 0.0,
            double_scan: 0.0,
            spare_device: 0.0,
            early_arrival: 0.0,
            replayed_fix: 0.0,
        };
        let plan = plan(3, none);
        let scans = days(&plan);
        assert!(scans.len() > 100, "{}", scans.len());
        let policy = FixPolicy::default();
        for scan in &scans {
            let site = &plan.geography.sites[scan.site];
            let fence = site.geofence().expect("receiving sites have fences");
            let truth = coords::to_wgs84(scan.crs, scan.reported);
            assert!(
                matches!(
                    fence.judge_fix(truth, scan.accuracy_m, &policy),
                    FixVerdict::Inside { .. }
                ),
                "{} {:?}",
                site.name,
                scan
            );
            assert!(!scan.is_mock);
        }
        let ins = scans.iter().filter(|s| s.action == Action::CheckIn).count();
        let outs = scans
            .iter()
            .filter(|s| s.action == Action::CheckOut)
            .count();
        assert_eq!(ins, outs);
        for out in scans.iter().filter(|s| s.action == Action::CheckOut) {
            let check_in = scans
                .iter()
                .find(|s| {
                    s.physician == out.physician
                        && s.action == Action::CheckIn
                        && local_date(s.scanned_at) == local_date(out.scanned_at)
                })
                .expect("a check-in the same day");
            let minutes = (out.scanned_at - check_in.scanned_at).num_minutes();
            assert!((180..=9 * 60 + 40).contains(&minutes), "{minutes}");
        }
    }

    #[test]
    fn faults_appear_at_about_their_rates() {
        let always = FaultRates {
            outside_fence_first: 1.0,
            ..FaultRates::default()
        };
        let plan = plan(4, always);
        let scans = days(&plan);
        let policy = FixPolicy::default();
        let outside = scans
            .iter()
            .filter(|s| {
                let fence = plan.geography.sites[s.site].geofence().expect("fence");
                let truth = coords::to_wgs84(s.crs, s.reported);
                matches!(
                    fence.judge_fix(truth, s.accuracy_m, &policy),
                    FixVerdict::Outside { .. }
                )
            })
            .count();
        let check_outs = scans
            .iter()
            .filter(|s| s.action == Action::CheckOut)
            .count();
        // One attempt from outside before each visit, also those never checked out of.
        assert!(
            outside >= check_outs && check_outs > 0,
            "{outside} / {check_outs}"
        );
    }

    #[test]
    fn scans_come_in_the_order_the_server_receives_them_and_offline_ones_later() {
        let plan = plan(
            5,
            FaultRates {
                late_upload: 0.5,
                ..FaultRates::default()
            },
        );
        let scans = day(&plan, NaiveDate::from_ymd_opt(2026, 3, 10).expect("date"));
        assert!(
            scans
                .windows(2)
                .all(|w| w[0].received_at <= w[1].received_at)
        );
        let late: Vec<&Scan> = scans.iter().filter(|s| s.offline).collect();
        assert!(!late.is_empty());
        assert!(late.iter().all(|s| s.received_at >= s.scanned_at));
    }

    #[test]
    fn weekends_are_quiet_and_weekdays_busy() {
        let plan = plan(6, FaultRates::default());
        let saturday = day(&plan, NaiveDate::from_ymd_opt(2026, 3, 14).expect("date")).len();
        let tuesday = day(&plan, NaiveDate::from_ymd_opt(2026, 3, 10).expect("date")).len();
        assert!(saturday * 3 < tuesday, "{saturday} vs {tuesday}");
    }
}
