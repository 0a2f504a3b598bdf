//! Turning closed visits into credited service days (计算下基层服务天数).
//!
//! DOMAIN.md, "Crediting": a visit of at least the half-day threshold present
//! credits half a day (半天), at least the full-day threshold a full day (1天);
//! credit is per physician, site and local calendar day in the site's time
//! zone; several visits on one day add up, capped at one day; only visits whose
//! check-in and check-out were accepted and whose anomalies were all dismissed
//! are credited.

use std::collections::BTreeMap;

use chrono::{DateTime, Days, NaiveDate, NaiveTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::window::local_date;

/// Minutes in a calendar day; no threshold can ask for more presence than that.
const MINUTES_PER_DAY: u32 = 1440;

/// Why a program's crediting thresholds were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ThresholdError {
    #[error("half_day_minutes: must be greater than 0")]
    HalfDayNotPositive,
    #[error("full_day_minutes: must be greater than 0")]
    FullDayNotPositive,
    #[error("half_day_minutes: must not exceed full_day_minutes ({half} > {full})")]
    HalfExceedsFull { half: u32, full: u32 },
    #[error("full_day_minutes: must not exceed 1440, the minutes in a day (got {0})")]
    FullDayTooLong(u32),
}

impl ThresholdError {
    /// The request field the error is about, for a 400 `invalid_request` detail.
    pub fn field(&self) -> &'static str {
        match self {
            ThresholdError::HalfDayNotPositive | ThresholdError::HalfExceedsFull { .. } => {
                "half_day_minutes"
            }
            ThresholdError::FullDayNotPositive | ThresholdError::FullDayTooLong(_) => {
                "full_day_minutes"
            }
        }
    }
}

/// A program's crediting thresholds, in minutes present at the site.
///
/// The fields are public for reading; build values through [`Thresholds::new`]
/// (or `Default`: 180/360, i.e. 3 h = 半天, 6 h = 1天) so they are valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Thresholds {
    pub half_day_minutes: u32,
    pub full_day_minutes: u32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            half_day_minutes: 180,
            full_day_minutes: 360,
        }
    }
}

impl Thresholds {
    /// Validates a program's thresholds: both positive, half <= full, full <= 1440.
    pub fn new(half_day_minutes: u32, full_day_minutes: u32) -> Result<Self, ThresholdError> {
        if half_day_minutes == 0 {
            return Err(ThresholdError::HalfDayNotPositive);
        }
        if full_day_minutes == 0 {
            return Err(ThresholdError::FullDayNotPositive);
        }
        if full_day_minutes > MINUTES_PER_DAY {
            return Err(ThresholdError::FullDayTooLong(full_day_minutes));
        }
        if half_day_minutes > full_day_minutes {
            return Err(ThresholdError::HalfExceedsFull {
                half: half_day_minutes,
                full: full_day_minutes,
            });
        }
        Ok(Self {
            half_day_minutes,
            full_day_minutes,
        })
    }

    /// Like [`Thresholds::new`] with the program's optional overrides
    /// (`half_day_minutes?`, `full_day_minutes?`) falling back to the defaults.
    pub fn from_optional(half: Option<u32>, full: Option<u32>) -> Result<Self, ThresholdError> {
        let default = Self::default();
        Self::new(
            half.unwrap_or(default.half_day_minutes),
            full.unwrap_or(default.full_day_minutes),
        )
    }
}

/// The credit one local day earns. Ordered `None < Half < Full`.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum DayCredit {
    #[default]
    None,
    /// 半天
    Half,
    /// 1天: the cap, however many visits the day had.
    Full,
}

impl DayCredit {
    /// The credit for `minutes` present on one day. Minutes at or over the
    /// full-day threshold are still one day: credit is capped per day.
    pub fn from_minutes(minutes: i64, thresholds: &Thresholds) -> Self {
        if minutes >= i64::from(thresholds.full_day_minutes) {
            DayCredit::Full
        } else if minutes >= i64::from(thresholds.half_day_minutes) {
            DayCredit::Half
        } else {
            DayCredit::None
        }
    }

    /// 0, 0.5 or 1.0 days.
    pub fn as_days(&self) -> f64 {
        f64::from(self.half_days()) / 2.0
    }

    /// 0, 1 or 2 half-days; integer arithmetic for sums that must be exact.
    pub fn half_days(&self) -> u32 {
        match self {
            DayCredit::None => 0,
            DayCredit::Half => 1,
            DayCredit::Full => 2,
        }
    }

    /// The credit of 0, 1 or 2 half-days (as stored); `None` for any other count.
    pub fn from_half_days(half_days: u32) -> Option<Self> {
        match half_days {
            0 => Some(DayCredit::None),
            1 => Some(DayCredit::Half),
            2 => Some(DayCredit::Full),
            _ => None,
        }
    }
}

/// Whether a visit counts toward a `min_visits` requirement: it must reach the
/// half-day threshold (e.g. 福建 巡诊 "每次至少半天").
pub fn visit_counts_as_visit(minutes: i64, thresholds: &Thresholds) -> bool {
    minutes >= i64::from(thresholds.half_day_minutes)
}

/// Review state of one anomaly, as far as crediting cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnomalyReview {
    Open,
    Confirmed,
    Dismissed,
}

/// Whether a closed visit may be credited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CreditState {
    /// Check-in and check-out accepted and every anomaly dismissed.
    Creditable,
    /// Some anomaly is still open: shown to the physician, never credited yet.
    Pending,
    /// Some anomaly confirmed, or the visit has no accepted check-out
    /// (`missing_checkout` until a supervisor grants credit on review).
    Denied,
}

impl CreditState {
    /// Derives the state from a visit's facts.
    ///
    /// `has_accepted_check_out` is false for a visit closed at the end of the
    /// site's day without a check-out; once a supervisor dismisses its
    /// `missing_checkout` anomaly (granting credit) the caller records a
    /// closing time and passes true. A confirmed anomaly wins over an open one:
    /// an open question cannot rescue a visit already judged false.
    pub fn from_review(
        has_accepted_check_out: bool,
        anomalies: impl IntoIterator<Item = AnomalyReview>,
    ) -> Self {
        let mut any_open = false;
        for review in anomalies {
            match review {
                AnomalyReview::Confirmed => return CreditState::Denied,
                AnomalyReview::Open => any_open = true,
                AnomalyReview::Dismissed => {}
            }
        }
        if !has_accepted_check_out {
            CreditState::Denied
        } else if any_open {
            CreditState::Pending
        } else {
            CreditState::Creditable
        }
    }
}

/// A closed visit of one physician at one site: check-in paired with check-out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitSpan {
    pub site_id: Uuid,
    pub checked_in_at: DateTime<Utc>,
    pub checked_out_at: DateTime<Utc>,
    pub credit_state: CreditState,
}

/// What one local calendar day earned (one physician, one site).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayCreditSummary {
    /// Minutes of creditable visits on this day (overlaps counted once).
    pub credited_minutes: i64,
    /// Minutes of visits with an open anomaly; never credited until reviewed.
    pub pending_minutes: i64,
    /// Minutes of denied visits, reported so supervisors see the whole day.
    pub denied_minutes: i64,
    /// The day's credit from `credited_minutes`, capped at one full day.
    pub credit: DayCredit,
    /// Creditable visits whose part on this day reached the half-day threshold.
    pub qualifying_visits: u32,
}

/// How a day reads on the physician's month calendar: its credit when it has one,
/// else why not (awaiting review, denied, or too short to count).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayStanding {
    Full,
    Half,
    Pending,
    Denied,
    Uncredited,
}

impl DayCreditSummary {
    /// The day's credit first (a half day already earned stays a half day while
    /// another visit awaits review), then minutes awaiting review, then denied ones.
    pub fn standing(&self) -> DayStanding {
        match self.credit {
            DayCredit::Full => DayStanding::Full,
            DayCredit::Half => DayStanding::Half,
            DayCredit::None if self.pending_minutes > 0 => DayStanding::Pending,
            DayCredit::None if self.denied_minutes > 0 => DayStanding::Denied,
            DayCredit::None => DayStanding::Uncredited,
        }
    }
}
/// Credits one physician's visits at one site per local calendar day.
///
/// - Each visit is split at local midnight in `tz`, so every part is booked on
///   the day it happened (a 22:00-02:00 visit gives two 2-hour parts).
/// - Creditable parts on the same day add up; overlapping parts are counted
///   once so a duplicated visit cannot double the credit. The sum maps to
///   [`DayCredit`] through the thresholds, capped at one full day: two 4-hour
///   visits make one `Full` day, not two.
/// - Pending and denied parts are reported in their own minute counts and
///   never credited.
/// - `qualifying_visits` counts creditable parts that alone reach the half-day
///   threshold; judging the part rather than the whole visit keeps a day's
///   visit count consistent with its credit.
///
/// Days with any visit appear in the map, even with no credit. Visits whose
/// check-out is not after their check-in contribute nothing.
pub fn credit_by_day(
    visits: &[VisitSpan],
    tz: Tz,
    thresholds: &Thresholds,
) -> BTreeMap<NaiveDate, DayCreditSummary> {
    #[derive(Default)]
    struct DayParts {
        credited: Vec<(DateTime<Utc>, DateTime<Utc>)>,
        pending: Vec<(DateTime<Utc>, DateTime<Utc>)>,
        denied: Vec<(DateTime<Utc>, DateTime<Utc>)>,
        qualifying: u32,
    }

    let mut days: BTreeMap<NaiveDate, DayParts> = BTreeMap::new();
    for visit in visits {
        for (date, from, to) in
            split_at_local_midnight(visit.checked_in_at, visit.checked_out_at, tz)
        {
            let parts = days.entry(date).or_default();
            match visit.credit_state {
                CreditState::Creditable => {
                    parts.credited.push((from, to));
                    if visit_counts_as_visit((to - from).num_minutes(), thresholds) {
                        parts.qualifying += 1;
                    }
                }
                CreditState::Pending => parts.pending.push((from, to)),
                CreditState::Denied => parts.denied.push((from, to)),
            }
        }
    }

    days.into_iter()
        .map(|(date, parts)| {
            let credited_minutes = union_minutes(parts.credited);
            let summary = DayCreditSummary {
                credited_minutes,
                pending_minutes: union_minutes(parts.pending),
                denied_minutes: union_minutes(parts.denied),
                credit: DayCredit::from_minutes(credited_minutes, thresholds),
                qualifying_visits: parts.qualifying,
            };
            (date, summary)
        })
        .collect()
}

/// Splits `[from, to)` into parts that each lie within one local calendar day.
fn split_at_local_midnight(
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    tz: Tz,
) -> Vec<(NaiveDate, DateTime<Utc>, DateTime<Utc>)> {
    let mut parts = Vec::new();
    let mut cursor = from;
    while cursor < to {
        let date = local_date(cursor, tz);
        let close = close_of_local_day(date, tz);
        // A day always closes after any instant inside it; the guard only
        // keeps a pathological zone table from looping forever.
        let part_end = if close > cursor { close.min(to) } else { to };
        parts.push((date, cursor, part_end));
        cursor = part_end;
    }
    parts
}

/// Whole minutes covered by the union of the intervals.
fn union_minutes(mut intervals: Vec<(DateTime<Utc>, DateTime<Utc>)>) -> i64 {
    intervals.sort();
    let mut total = TimeDelta::zero();
    let mut current: Option<(DateTime<Utc>, DateTime<Utc>)> = None;
    for (start, end) in intervals {
        current = match current {
            Some((cur_start, cur_end)) if start <= cur_end => Some((cur_start, cur_end.max(end))),
            Some((cur_start, cur_end)) => {
                total += cur_end - cur_start;
                Some((start, end))
            }
            None => Some((start, end)),
        };
    }
    if let Some((start, end)) = current {
        total += end - start;
    }
    // Seconds are summed before rounding down, so two 89.5-minute visits make
    // 179 minutes rather than 178.
    total.num_minutes()
}

/// The instant local day `date` ends in `tz`: the first instant whose local
/// date is after `date`, i.e. the next local midnight. The day is the
/// half-open interval `[close_of_local_day(date - 1), close_of_local_day(date))`.
///
/// Zones without DST (Asia/Shanghai: 16:00 UTC) map midnight directly. Where a
/// DST fold repeats midnight the first occurrence ends the day. Where a DST gap
/// skips midnight (e.g. America/Havana, America/Santiago) the day ends at the
/// transition, which is found by bisection because no wall-clock time names it.
pub fn close_of_local_day(date: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let next = date.checked_add_days(Days::new(1)).unwrap_or(date);
    start_of_local_day(next, tz)
}

/// The instant local day `date` begins in `tz` (its first instant).
pub fn start_of_local_day(date: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let midnight = date.and_time(NaiveTime::MIN);
    if let Some(at) = tz.from_local_datetime(&midnight).earliest() {
        return at.with_timezone(&Utc);
    }
    // Midnight falls in a gap. Local time runs forward monotonically around a
    // gap, so bisect for the first UTC second whose local time is past
    // midnight. Offsets never exceed ±26 h, which bounds the search.
    let reaches_midnight = |secs: i64| {
        DateTime::from_timestamp(secs, 0)
            .map(|at| at.with_timezone(&tz).naive_local() >= midnight)
            .unwrap_or(true)
    };
    let naive_secs = midnight.and_utc().timestamp();
    let (mut lo, mut hi) = (naive_secs - 26 * 3600, naive_secs + 26 * 3600);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if reaches_midnight(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    DateTime::from_timestamp(hi, 0).unwrap_or_else(|| midnight.and_utc())
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_day_reads_as_its_credit_then_pending_then_denied() {
        let day = |credit, pending_minutes, denied_minutes| DayCreditSummary {
            credit,
            pending_minutes,
            denied_minutes,
            ..DayCreditSummary::default()
        };
        assert_eq!(day(DayCredit::Full, 30, 0).standing(), DayStanding::Full);
        assert_eq!(day(DayCredit::Half, 200, 0).standing(), DayStanding::Half);
        assert_eq!(
            day(DayCredit::None, 200, 90).standing(),
            DayStanding::Pending
        );
        assert_eq!(day(DayCredit::None, 0, 90).standing(), DayStanding::Denied);
        assert_eq!(
            day(DayCredit::None, 0, 0).standing(),
            DayStanding::Uncredited
        );
    }
    use super::*;
    use chrono_tz::America::New_York;
    use chrono_tz::Asia::Shanghai;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn utc(y: i32, m: u32, day: u32, h: u32, min: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, day, h, min, s).unwrap()
    }

    /// A Shanghai wall-clock instant as UTC.
    fn sh(y: i32, m: u32, day: u32, h: u32, min: u32) -> DateTime<Utc> {
        Shanghai
            .with_ymd_and_hms(y, m, day, h, min, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn site() -> Uuid {
        Uuid::from_u128(0x5e7e)
    }

    fn visit(from: DateTime<Utc>, to: DateTime<Utc>, state: CreditState) -> VisitSpan {
        VisitSpan {
            site_id: site(),
            checked_in_at: from,
            checked_out_at: to,
            credit_state: state,
        }
    }

    fn ok(from: DateTime<Utc>, to: DateTime<Utc>) -> VisitSpan {
        visit(from, to, CreditState::Creditable)
    }

    #[test]
    fn default_thresholds_are_three_and_six_hours() {
        let t = Thresholds::default();
        assert_eq!((t.half_day_minutes, t.full_day_minutes), (180, 360));
        assert_eq!(Thresholds::from_optional(None, None).unwrap(), t);
        assert_eq!(
            Thresholds::from_optional(Some(120), None).unwrap(),
            Thresholds::new(120, 360).unwrap()
        );
    }

    #[test]
    fn thresholds_must_be_positive_ordered_and_within_a_day() {
        assert_eq!(
            Thresholds::new(0, 360),
            Err(ThresholdError::HalfDayNotPositive)
        );
        assert_eq!(
            Thresholds::new(180, 0),
            Err(ThresholdError::FullDayNotPositive)
        );
        assert_eq!(
            Thresholds::new(400, 360),
            Err(ThresholdError::HalfExceedsFull {
                half: 400,
                full: 360
            })
        );
        assert_eq!(
            Thresholds::new(180, 1441),
            Err(ThresholdError::FullDayTooLong(1441))
        );
        assert!(Thresholds::new(360, 360).is_ok());
        assert!(Thresholds::new(720, 1440).is_ok());
        assert_eq!(
            Thresholds::new(0, 360).unwrap_err().field(),
            "half_day_minutes"
        );
        assert_eq!(
            Thresholds::new(180, 1441).unwrap_err().field(),
            "full_day_minutes"
        );
        assert!(
            Thresholds::new(400, 360)
                .unwrap_err()
                .to_string()
                .starts_with("half_day_minutes:")
        );
    }

    #[test]
    fn day_credit_follows_thresholds_with_exact_boundaries() {
        let t = Thresholds::default();
        assert_eq!(DayCredit::from_minutes(0, &t), DayCredit::None);
        assert_eq!(DayCredit::from_minutes(179, &t), DayCredit::None);
        assert_eq!(DayCredit::from_minutes(180, &t), DayCredit::Half);
        assert_eq!(DayCredit::from_minutes(359, &t), DayCredit::Half);
        assert_eq!(DayCredit::from_minutes(360, &t), DayCredit::Full);
        assert_eq!(DayCredit::from_minutes(1440, &t), DayCredit::Full);
        assert_eq!(DayCredit::from_minutes(-5, &t), DayCredit::None);
    }

    #[test]
    fn day_credit_is_ordered_and_converts_to_days_and_half_days() {
        assert!(DayCredit::None < DayCredit::Half && DayCredit::Half < DayCredit::Full);
        assert_eq!(
            [DayCredit::None, DayCredit::Half, DayCredit::Full].map(|c| c.as_days()),
            [0.0, 0.5, 1.0]
        );
        assert_eq!(
            [DayCredit::None, DayCredit::Half, DayCredit::Full].map(|c| c.half_days()),
            [0, 1, 2]
        );
        assert_eq!(serde_json::to_string(&DayCredit::Half).unwrap(), "\"half\"");
    }

    #[test]
    fn a_visit_counts_when_it_reaches_the_half_day_threshold() {
        let t = Thresholds::default();
        assert!(!visit_counts_as_visit(179, &t));
        assert!(visit_counts_as_visit(180, &t));
        assert!(visit_counts_as_visit(600, &t));
    }

    #[test]
    fn credit_state_needs_accepted_check_out_and_all_anomalies_dismissed() {
        use AnomalyReview::*;
        assert_eq!(CreditState::from_review(true, []), CreditState::Creditable);
        assert_eq!(
            CreditState::from_review(true, [Dismissed, Dismissed]),
            CreditState::Creditable
        );
        assert_eq!(
            CreditState::from_review(true, [Dismissed, Open]),
            CreditState::Pending
        );
        assert_eq!(
            CreditState::from_review(true, [Open, Confirmed]),
            CreditState::Denied
        );
        assert_eq!(CreditState::from_review(false, []), CreditState::Denied);
        assert_eq!(CreditState::from_review(false, [Open]), CreditState::Denied);
    }

    #[test]
    fn half_day_is_credited_at_exactly_180_minutes() {
        let t = Thresholds::default();
        let days = credit_by_day(
            &[ok(sh(2024, 3, 4, 8, 0), sh(2024, 3, 4, 11, 0))],
            Shanghai,
            &t,
        );
        let day = days[&d(2024, 3, 4)];
        assert_eq!(day.credited_minutes, 180);
        assert_eq!(day.credit, DayCredit::Half);
        assert_eq!(day.qualifying_visits, 1);

        let short = credit_by_day(
            &[ok(sh(2024, 3, 4, 8, 0), sh(2024, 3, 4, 10, 59))],
            Shanghai,
            &t,
        );
        assert_eq!(short[&d(2024, 3, 4)].credit, DayCredit::None);
        assert_eq!(short[&d(2024, 3, 4)].qualifying_visits, 0);
    }

    #[test]
    fn two_four_hour_visits_on_one_day_make_one_full_day_not_two() {
        let t = Thresholds::default();
        let visits = [
            ok(sh(2024, 3, 4, 8, 0), sh(2024, 3, 4, 12, 0)),
            ok(sh(2024, 3, 4, 13, 0), sh(2024, 3, 4, 17, 0)),
        ];
        let days = credit_by_day(&visits, Shanghai, &t);
        assert_eq!(days.len(), 1);
        let day = days[&d(2024, 3, 4)];
        assert_eq!(day.credited_minutes, 480);
        assert_eq!(day.credit, DayCredit::Full);
        assert_eq!(day.credit.as_days(), 1.0);
        assert_eq!(day.qualifying_visits, 2);
    }

    #[test]
    fn short_visits_on_one_day_add_up_to_a_half_day() {
        let t = Thresholds::default();
        let visits = [
            ok(sh(2024, 3, 4, 8, 0), sh(2024, 3, 4, 9, 30)),
            ok(sh(2024, 3, 4, 14, 0), sh(2024, 3, 4, 15, 30)),
        ];
        let day = credit_by_day(&visits, Shanghai, &t)[&d(2024, 3, 4)];
        assert_eq!(day.credited_minutes, 180);
        assert_eq!(day.credit, DayCredit::Half);
        assert_eq!(
            day.qualifying_visits, 0,
            "neither visit alone is half a day"
        );
    }

    #[test]
    fn seconds_are_summed_before_rounding_down_to_minutes() {
        let t = Thresholds::default();
        let visits = [
            ok(utc(2024, 3, 4, 1, 0, 0), utc(2024, 3, 4, 2, 29, 30)),
            ok(utc(2024, 3, 4, 3, 0, 0), utc(2024, 3, 4, 4, 30, 30)),
        ];
        let day = credit_by_day(&visits, Shanghai, &t)[&d(2024, 3, 4)];
        assert_eq!(day.credited_minutes, 180);
        assert_eq!(day.credit, DayCredit::Half);
    }

    #[test]
    fn overlapping_visits_are_not_double_counted() {
        let t = Thresholds::default();
        let visits = [
            ok(sh(2024, 3, 4, 8, 0), sh(2024, 3, 4, 12, 0)),
            ok(sh(2024, 3, 4, 8, 0), sh(2024, 3, 4, 12, 0)),
        ];
        let day = credit_by_day(&visits, Shanghai, &t)[&d(2024, 3, 4)];
        assert_eq!(day.credited_minutes, 240);
        assert_eq!(day.credit, DayCredit::Half);
    }

    #[test]
    fn pending_and_denied_visits_are_never_credited() {
        let t = Thresholds::default();
        let visits = [
            visit(
                sh(2024, 3, 4, 8, 0),
                sh(2024, 3, 4, 15, 0),
                CreditState::Pending,
            ),
            visit(
                sh(2024, 3, 5, 8, 0),
                sh(2024, 3, 5, 15, 0),
                CreditState::Denied,
            ),
            ok(sh(2024, 3, 5, 15, 0), sh(2024, 3, 5, 16, 0)),
        ];
        let days = credit_by_day(&visits, Shanghai, &t);
        let pending = days[&d(2024, 3, 4)];
        assert_eq!(pending.pending_minutes, 420);
        assert_eq!(pending.credited_minutes, 0);
        assert_eq!(pending.credit, DayCredit::None);
        assert_eq!(pending.qualifying_visits, 0);
        let denied = days[&d(2024, 3, 5)];
        assert_eq!(denied.denied_minutes, 420);
        assert_eq!(denied.credited_minutes, 60);
        assert_eq!(denied.credit, DayCredit::None);
        assert_eq!(denied.qualifying_visits, 0);
    }

    #[test]
    fn a_visit_across_local_midnight_is_split_at_midnight_in_the_sites_zone() {
        let t = Thresholds::default();
        // 20:00 to 04:00 Shanghai = 12:00Z to 20:00Z; midnight is 16:00Z.
        let visits = [ok(utc(2024, 3, 4, 12, 0, 0), utc(2024, 3, 4, 20, 0, 0))];
        let days = credit_by_day(&visits, Shanghai, &t);
        assert_eq!(days.len(), 2);
        assert_eq!(days[&d(2024, 3, 4)].credited_minutes, 240);
        assert_eq!(days[&d(2024, 3, 4)].credit, DayCredit::Half);
        assert_eq!(days[&d(2024, 3, 5)].credited_minutes, 240);
        assert_eq!(days[&d(2024, 3, 5)].credit, DayCredit::Half);
        assert_eq!(days[&d(2024, 3, 4)].qualifying_visits, 1);
        assert_eq!(days[&d(2024, 3, 5)].qualifying_visits, 1);
    }

    #[test]
    fn visits_on_either_side_of_1600_utc_land_on_different_shanghai_days() {
        let t = Thresholds::default();
        let visits = [
            ok(utc(2024, 3, 4, 12, 0, 0), utc(2024, 3, 4, 16, 0, 0)),
            ok(utc(2024, 3, 4, 16, 0, 0), utc(2024, 3, 4, 19, 0, 0)),
        ];
        let days = credit_by_day(&visits, Shanghai, &t);
        assert_eq!(days[&d(2024, 3, 4)].credited_minutes, 240);
        assert_eq!(days[&d(2024, 3, 5)].credited_minutes, 180);
    }

    #[test]
    fn empty_or_inverted_visits_credit_nothing() {
        let t = Thresholds::default();
        let at = sh(2024, 3, 4, 8, 0);
        assert!(credit_by_day(&[], Shanghai, &t).is_empty());
        assert!(credit_by_day(&[ok(at, at)], Shanghai, &t).is_empty());
        assert!(credit_by_day(&[ok(at, at - TimeDelta::hours(4))], Shanghai, &t).is_empty());
    }

    #[test]
    fn program_thresholds_change_the_credit() {
        let t = Thresholds::new(120, 240).unwrap();
        let day = credit_by_day(
            &[ok(sh(2024, 3, 4, 8, 0), sh(2024, 3, 4, 12, 0))],
            Shanghai,
            &t,
        )[&d(2024, 3, 4)];
        assert_eq!(day.credit, DayCredit::Full);
    }

    #[test]
    fn close_of_local_day_in_shanghai_is_1600_utc() {
        assert_eq!(
            close_of_local_day(d(2024, 3, 4), Shanghai),
            utc(2024, 3, 4, 16, 0, 0)
        );
        assert_eq!(
            close_of_local_day(d(2024, 12, 31), Shanghai),
            utc(2024, 12, 31, 16, 0, 0)
        );
        assert_eq!(
            start_of_local_day(d(2024, 3, 5), Shanghai),
            utc(2024, 3, 4, 16, 0, 0)
        );
        assert_eq!(
            local_date(close_of_local_day(d(2024, 3, 4), Shanghai), Shanghai),
            d(2024, 3, 5)
        );
    }

    #[test]
    fn close_of_local_day_follows_dst_in_new_york() {
        // EST (UTC-5) before 2024-03-10 02:00, EDT (UTC-4) after.
        assert_eq!(
            close_of_local_day(d(2024, 3, 9), New_York),
            utc(2024, 3, 10, 5, 0, 0)
        );
        assert_eq!(
            close_of_local_day(d(2024, 3, 10), New_York),
            utc(2024, 3, 11, 4, 0, 0)
        );
        // The spring-forward day is 23 hours long, the fall-back day 25.
        let spring = close_of_local_day(d(2024, 3, 10), New_York)
            - start_of_local_day(d(2024, 3, 10), New_York);
        assert_eq!(spring, TimeDelta::hours(23));
        let fall = close_of_local_day(d(2024, 11, 3), New_York)
            - start_of_local_day(d(2024, 11, 3), New_York);
        assert_eq!(fall, TimeDelta::hours(25));
    }

    #[test]
    fn close_of_local_day_handles_a_dst_gap_at_midnight() {
        // Havana springs forward at 00:00 -> 01:00 (CST UTC-5 -> CDT UTC-4);
        // on 2024-03-10 local midnight does not exist, 01:00 CDT = 05:00Z.
        use chrono_tz::America::Havana;
        assert!(
            Havana
                .from_local_datetime(&d(2024, 3, 10).and_time(NaiveTime::MIN))
                .earliest()
                .is_none()
        );
        let close = close_of_local_day(d(2024, 3, 9), Havana);
        assert_eq!(close, utc(2024, 3, 10, 5, 0, 0));
        assert_eq!(local_date(close, Havana), d(2024, 3, 10));
        assert_eq!(
            local_date(close - TimeDelta::seconds(1), Havana),
            d(2024, 3, 9)
        );
    }

    #[test]
    fn a_new_york_visit_across_the_spring_forward_night_is_split_at_local_midnight() {
        let t = Thresholds::default();
        // 2024-03-09 22:00 EST (03:00Z) to 2024-03-10 04:00 EDT (08:00Z):
        // 2 h before midnight, 3 h after (02:00-03:00 does not exist).
        let visits = [ok(utc(2024, 3, 10, 3, 0, 0), utc(2024, 3, 10, 8, 0, 0))];
        let days = credit_by_day(&visits, New_York, &t);
        assert_eq!(days[&d(2024, 3, 9)].credited_minutes, 120);
        assert_eq!(days[&d(2024, 3, 10)].credited_minutes, 180);
        assert_eq!(days[&d(2024, 3, 10)].credit, DayCredit::Half);
    }
}
