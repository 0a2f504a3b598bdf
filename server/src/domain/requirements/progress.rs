//! How a physician stands against a requirement in one period: the tally of what was
//! credited, and the judgement (met, on track, at risk, missed).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::period::{
    Period, longest_consecutive_months, month_index, month_of, natural_period, ordered,
    run_ending_at,
};
use super::rule::{Measure, Requirement};
use crate::domain::crediting::DayCreditSummary;

/// How a physician stands against one requirement in one period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Progress {
    Met,
    OnTrack,
    AtRisk,
    Missed,
}

impl Progress {
    pub fn as_str(&self) -> &'static str {
        match self {
            Progress::Met => "met",
            Progress::OnTrack => "on_track",
            Progress::AtRisk => "at_risk",
            Progress::Missed => "missed",
        }
    }
}

/// What one physician earned at one site in one period, as input to [`evaluate`].
///
/// The `activity_*` fields refer to the requirement's activity and are zero
/// when it has none: build one tally per requirement (see [`Tally::with_activity`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    pub credited_days: f64,
    pub credited_half_days: u32,
    pub qualifying_visits: u32,
    /// Half-days credited by the visits on which the activity was logged.
    pub activity_half_days: u32,
    /// Qualifying visits on which the activity was logged.
    pub activity_visits: u32,
    /// Distinct days with at least a half-day credited.
    pub days_served: u32,
    /// Distinct days with at least a half-day credited by visits with the activity.
    pub activity_days_served: u32,
    /// Half-days credited on working days: Monday to Friday unless
    /// [`Tally::on_calendar`] applied the holiday schedule.
    pub working_half_days: u32,
    /// Months with any credited day, for consecutive-span rules.
    pub active_months: BTreeSet<(i32, u32)>,
    /// The count of the activity logged on creditable visits (a workload target's
    /// 人次); see [`Tally::with_activity_count`].
    pub activity_count: u64,
}

impl Tally {
    /// Sums [`credit_by_day`](crate::domain::crediting::credit_by_day) output over the
    /// days of `period` (inclusive).
    pub fn from_days(
        days: &BTreeMap<NaiveDate, DayCreditSummary>,
        period: (NaiveDate, NaiveDate),
    ) -> Self {
        let (first, last) = ordered(period);
        let mut tally = Tally::default();
        for (date, day) in days.range(first..=last) {
            tally.credited_half_days += day.credit.half_days();
            tally.qualifying_visits += day.qualifying_visits;
            if !matches!(date.weekday(), chrono::Weekday::Sat | chrono::Weekday::Sun) {
                tally.working_half_days += day.credit.half_days();
            }
            if day.credit.half_days() > 0 {
                tally.days_served += 1;
                tally.active_months.insert(month_of(*date));
            }
        }
        tally.credited_days = f64::from(tally.credited_half_days) / 2.0;
        tally
    }

    /// Adds the activity figures from `credit_by_day` run over only the visits
    /// on which the requirement's activity was logged. Running the day rules on
    /// that subset keeps the per-day cap: two outpatient visits on one day
    /// still give at most two outpatient half-days.
    pub fn with_activity(
        mut self,
        activity_days: &BTreeMap<NaiveDate, DayCreditSummary>,
        period: (NaiveDate, NaiveDate),
    ) -> Self {
        let (first, last) = ordered(period);
        self.activity_half_days = 0;
        self.activity_visits = 0;
        self.activity_days_served = 0;
        for day in activity_days.range(first..=last).map(|(_, day)| day) {
            self.activity_half_days += day.credit.half_days();
            self.activity_visits += day.qualifying_visits;
            if day.credit.half_days() > 0 {
                self.activity_days_served += 1;
            }
        }
        self
    }
}

impl Tally {
    /// Adds the count of the requirement's activity logged in `period`, from the
    /// per-day sums of the newest record of each (visit, activity) on creditable
    /// visits, by the visit's local date (as the monthly report counts them).
    pub fn with_activity_count(
        mut self,
        counts: &BTreeMap<NaiveDate, u64>,
        period: (NaiveDate, NaiveDate),
    ) -> Self {
        let (first, last) = ordered(period);
        self.activity_count = counts.range(first..=last).map(|(_, n)| *n).sum();
        self
    }

    /// Counts the working days on `calendar` (holidays off, 调休 weekends worked)
    /// instead of Monday to Friday.
    pub fn on_calendar(
        mut self,
        days: &BTreeMap<NaiveDate, DayCreditSummary>,
        period: (NaiveDate, NaiveDate),
        calendar: &crate::domain::workdays::HolidayCalendar,
    ) -> Self {
        let (first, last) = ordered(period);
        self.working_half_days = days
            .range(first..=last)
            .filter(|(date, _)| calendar.is_working_day(**date))
            .map(|(_, day)| day.credit.half_days())
            .sum();
        self
    }

    /// Keeps only the active months that count toward a consecutive span (see
    /// [`months_that_count`]).
    pub fn counting_only(mut self, months: &BTreeSet<(i32, u32)>) -> Self {
        self.active_months.retain(|m| months.contains(m));
        self
    }
}

/// The months that count toward a consecutive span (连续驻点…个月): a month counts when
/// the programme's own monthly requirements are met in it, each count requirement
/// whose period is a month (without an activity), judged over the month clipped to
/// the assignment as [`evaluate`] judges it (pro rata for a stub month); a month with
/// only a credited day or two does not continue the run. A programme with no such
/// requirement counts every month with a credited day.
pub fn months_that_count(
    program: &[Requirement],
    days: &BTreeMap<NaiveDate, DayCreditSummary>,
    assignment: (NaiveDate, NaiveDate),
) -> BTreeSet<(i32, u32)> {
    let assignment = ordered(assignment);
    let active = Tally::from_days(days, assignment).active_months;
    let monthly: Vec<&Requirement> = program
        .iter()
        .filter(|r| r.period == Period::Month && !r.is_consecutive_span() && r.activity.is_none())
        .collect();
    if monthly.is_empty() {
        return active;
    }
    active
        .into_iter()
        .filter(|&(year, month)| {
            let Some(first) = NaiveDate::from_ymd_opt(year, month, 1) else {
                return false;
            };
            let period = super::period::period_containing(Period::Month, first, assignment);
            let tally = Tally::from_days(days, period);
            monthly
                .iter()
                .all(|req| evaluate(req, period, &tally, period.1).status == Progress::Met)
        })
        .collect()
}

/// The outcome of [`evaluate`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RequirementProgress {
    /// What the period asks for, in the requirement's measure (days, half-days,
    /// visits or months); pro-rated for a period cut short by the assignment.
    pub required: f64,
    /// What was credited in the same measure.
    pub credited: f64,
    pub status: Progress,
}

/// Judges a tally against a requirement for one period on `today` (the site's
/// local date, from the injected clock).
///
/// `period` is what [`period_containing`](super::period_containing) returned, i.e.
/// clipped to the assignment. The rule, in order:
///
/// 1. **required**: the requirement's minimum. When the assignment cuts the
///    calendar period short (it starts on a Thursday, ends mid-month) the
///    minimum is pro-rated by the days covered and rounded *up* to the
///    measure's step (half a day, one half-day, one visit), so a stub period
///    asks proportionally less but never nothing.
/// 2. **met** when credited >= required, at any time.
/// 3. **missed** when `today` is after the period's last day and not met.
/// 4. **at_risk** when what remains cannot be reached in the remaining days
///    (today included; a day adds at most one day, two half-days or two visits).
/// 5. **on_track** when credited keeps pace: credited >= required x elapsed /
///    period days, where elapsed counts the days from the period's first day to
///    today inclusive (0 before the period starts), the product rounded *down*
///    to the measure's step because credit only comes in whole steps;
///    **at_risk** when behind that pace.
///
/// A consecutive-span requirement compares the longest run of active months
/// with `min_consecutive_months`: met when reached, missed after the period,
/// at_risk when even crediting every remaining month (continuing the run that
/// is still alive at `today`'s month) cannot reach it, on_track otherwise.
pub fn evaluate(
    req: &Requirement,
    period: (NaiveDate, NaiveDate),
    tally: &Tally,
    today: NaiveDate,
) -> RequirementProgress {
    let period = ordered(period);
    if let (true, Some(months)) = (req.is_consecutive_span(), req.min_consecutive_months) {
        return evaluate_consecutive(months, period, tally, today);
    }

    judge_steps(req, period, required_steps(req, period), tally, today)
}

/// Step 1 of [`evaluate`]: the minimum in steps of the measure, pro-rated for a
/// calendar period clipped by the assignment.
fn required_steps(req: &Requirement, (start, end): (NaiveDate, NaiveDate)) -> i64 {
    let period_days = inclusive_days(start, end);
    let step = req.measure.granularity();
    let full_days = match req.period {
        Period::Assignment => period_days,
        kind => {
            let (s, e) = natural_period(kind, start);
            inclusive_days(s, e)
        }
    };
    let minimum_steps = (f64::from(req.minimum) / step).round() as i64;
    if period_days >= full_days {
        minimum_steps
    } else {
        ceil_div(minimum_steps * period_days, full_days).max(1)
    }
}

/// Judges the part of a period that falls inside a report's month, on the
/// part's own days only.
///
/// `whole` is the period as [`evaluate`] would judge it (clipped to the
/// assignment); `part` the days of it inside the month. The part asks for the
/// whole period's requirement pro rata to its share of the whole's days,
/// rounded to the *nearest* step (a half step up): the two parts of a week cut
/// by a month end then ask together what the week asks (a 1-day stub of "3
/// half-days a week" asks none, its 6-day rest 3), and a stub too short to
/// hold a step asks nothing rather than a full step. The status follows
/// [`evaluate`]'s rules over the part. A part equal to the whole is judged
/// by [`evaluate`] itself.
pub fn evaluate_part(
    req: &Requirement,
    whole: (NaiveDate, NaiveDate),
    part: (NaiveDate, NaiveDate),
    tally: &Tally,
    today: NaiveDate,
) -> RequirementProgress {
    let whole = ordered(whole);
    let (start, end) = ordered(part);
    let part = (start.max(whole.0), end.min(whole.1));
    if part == whole || part.0 > part.1 || req.is_consecutive_span() {
        return evaluate(req, whole, tally, today);
    }
    let whole_steps = required_steps(req, whole);
    let whole_days = inclusive_days(whole.0, whole.1);
    let part_days = inclusive_days(part.0, part.1);
    let required_steps = (2 * whole_steps * part_days + whole_days) / (2 * whole_days);
    judge_steps(req, part, required_steps, tally, today)
}

/// Steps 2 to 5 of [`evaluate`]: the status of `tally` against `required_steps`
/// over `(start, end)`.
fn judge_steps(
    req: &Requirement,
    (start, end): (NaiveDate, NaiveDate),
    required_steps: i64,
    tally: &Tally,
    today: NaiveDate,
) -> RequirementProgress {
    let period_days = inclusive_days(start, end);
    let step = req.measure.granularity();
    let required = required_steps as f64 * step;

    let credited = credited_in_measure(req, tally);
    let status = if credited >= required {
        Progress::Met
    } else if today > end {
        Progress::Missed
    } else {
        let days_left = inclusive_days(today.max(start), end);
        let elapsed = if today < start {
            0
        } else {
            inclusive_days(start, today)
        };
        let reachable = credited + req.measure.per_day_capacity() * days_left as f64;
        let pace = (required_steps * elapsed / period_days) as f64 * step;
        if reachable < required || credited < pace {
            Progress::AtRisk
        } else {
            Progress::OnTrack
        }
    };
    RequirementProgress {
        required,
        credited,
        status,
    }
}

fn credited_in_measure(req: &Requirement, tally: &Tally) -> f64 {
    match (req.activity, req.measure) {
        (None, Measure::Days) => tally.credited_days,
        (None, Measure::HalfDays) => f64::from(tally.credited_half_days),
        (None, Measure::Visits) => f64::from(tally.qualifying_visits),
        (Some(_), Measure::Days) => f64::from(tally.activity_half_days) / 2.0,
        (Some(_), Measure::HalfDays) => f64::from(tally.activity_half_days),
        (Some(_), Measure::Visits) => f64::from(tally.activity_visits),
        (None, Measure::DaysServed) => f64::from(tally.days_served),
        (_, Measure::WorkingDays) => f64::from(tally.working_half_days) / 2.0,
        (Some(_), Measure::DaysServed) => f64::from(tally.activity_days_served),
        // Validation requires an activity; without one nothing was logged for it.
        (Some(_), Measure::ActivityCount) => tally.activity_count as f64,
        (None, Measure::ActivityCount) => 0.0,
    }
}

fn evaluate_consecutive(
    months: u32,
    (start, end): (NaiveDate, NaiveDate),
    tally: &Tally,
    today: NaiveDate,
) -> RequirementProgress {
    let start_month = month_index(month_of(start));
    let end_month = month_index(month_of(end));
    // Only months inside the period count toward its span.
    let active: BTreeSet<i64> = tally
        .active_months
        .iter()
        .filter(|(_, m)| (1..=12).contains(m))
        .map(|&key| month_index(key))
        .filter(|index| (start_month..=end_month).contains(index))
        .collect();
    let in_period: BTreeSet<(i32, u32)> = tally
        .active_months
        .iter()
        .copied()
        .filter(|&key| (1..=12).contains(&key.1) && active.contains(&month_index(key)))
        .collect();
    let longest = longest_consecutive_months(&in_period);
    let required = f64::from(months);
    let credited = f64::from(longest);

    let status = if longest >= months {
        Progress::Met
    } else if today > end {
        Progress::Missed
    } else {
        let achievable = if today < start {
            end_month - start_month + 1
        } else {
            let current = month_index(month_of(today));
            let months_left = end_month - current + 1;
            if active.contains(&current) {
                i64::from(run_ending_at(&active, current)) + months_left - 1
            } else {
                // This month may still be credited, continuing last month's run.
                i64::from(run_ending_at(&active, current - 1)) + months_left
            }
        };
        if achievable < i64::from(months) {
            Progress::AtRisk
        } else {
            Progress::OnTrack
        }
    };
    RequirementProgress {
        required,
        credited,
        status,
    }
}

fn inclusive_days(start: NaiveDate, end: NaiveDate) -> i64 {
    ((end - start).num_days() + 1).max(1)
}

fn ceil_div(numerator: i64, denominator: i64) -> i64 {
    (numerator + denominator - 1) / denominator.max(1)
}

#[cfg(test)]
mod tests {
    use super::super::templates::{consecutive_months, min_days, min_half_days, min_visits, spec};
    use super::super::testing::*;
    use super::super::{ActivityKind, RequirementSpec};
    use super::*;
    use crate::domain::crediting::DayCredit;

    // ---- tally ----------------------------------------------------------

    fn day(credit: DayCredit, qualifying: u32) -> DayCreditSummary {
        DayCreditSummary {
            credit,
            qualifying_visits: qualifying,
            credited_minutes: i64::from(credit.half_days()) * 180,
            ..DayCreditSummary::default()
        }
    }

    #[test]
    fn tally_sums_only_days_inside_the_period() {
        let days: BTreeMap<_, _> = [
            (d(2024, 1, 31), day(DayCredit::Full, 1)),
            (d(2024, 2, 1), day(DayCredit::Half, 1)),
            (d(2024, 2, 2), day(DayCredit::Full, 2)),
            (d(2024, 2, 3), day(DayCredit::None, 0)),
            (d(2024, 3, 1), day(DayCredit::Full, 1)),
        ]
        .into_iter()
        .collect();
        let t = Tally::from_days(&days, (d(2024, 2, 1), d(2024, 2, 29)));
        assert_eq!(t.credited_half_days, 3);
        assert_eq!(t.credited_days, 1.5);
        assert_eq!(t.qualifying_visits, 3);
        assert_eq!(t.active_months, months(&[(2024, 2)]));
        let all = Tally::from_days(&days, OPEN);
        assert_eq!(
            all.active_months,
            months(&[(2024, 1), (2024, 2), (2024, 3)])
        );

        let outpatient: BTreeMap<_, _> = [
            (d(2024, 2, 2), day(DayCredit::Half, 1)),
            (d(2024, 3, 1), day(DayCredit::Full, 1)),
        ]
        .into_iter()
        .collect();
        let t = t.with_activity(&outpatient, (d(2024, 2, 1), d(2024, 2, 29)));
        assert_eq!((t.activity_half_days, t.activity_visits), (1, 1));
    }

    // ---- evaluate -------------------------------------------------------

    const FEB: (NaiveDate, NaiveDate) = (
        NaiveDate::from_ymd_opt(2024, 2, 1).unwrap(),
        NaiveDate::from_ymd_opt(2024, 2, 29).unwrap(),
    );
    /// Monday 2024-03-04 to Sunday 2024-03-10.
    const WEEK: (NaiveDate, NaiveDate) = (
        NaiveDate::from_ymd_opt(2024, 3, 4).unwrap(),
        NaiveDate::from_ymd_opt(2024, 3, 10).unwrap(),
    );

    #[test]
    fn met_as_soon_as_credit_reaches_the_minimum_even_mid_period() {
        let r = req(min_days(Period::Month, 1.0));
        let p = evaluate(&r, FEB, &tally_days(2), d(2024, 2, 3));
        assert_eq!(
            p,
            RequirementProgress {
                required: 1.0,
                credited: 1.0,
                status: Progress::Met
            }
        );
        // Two half days make the one day as well.
        let p = evaluate(&r, FEB, &tally_days(2), d(2024, 3, 15));
        assert_eq!(p.status, Progress::Met);
    }

    #[test]
    fn missed_only_after_the_last_day_of_the_period() {
        let r = req(min_days(Period::Month, 1.0));
        let half = tally_days(1);
        assert_eq!(
            evaluate(&r, FEB, &half, d(2024, 2, 29)).status,
            Progress::AtRisk
        );
        assert_eq!(
            evaluate(&r, FEB, &half, d(2024, 3, 1)).status,
            Progress::Missed
        );
        assert_eq!(evaluate(&r, FEB, &half, d(2024, 3, 1)).credited, 0.5);
    }

    #[test]
    fn on_track_while_credit_keeps_pace_with_the_elapsed_part_of_the_period() {
        // 3 half-days a week: pace floor(3 x elapsed / 7) half-days.
        let r = req(min_half_days(Period::Week, 3, None));
        let none = tally_days(0);
        let one = tally_days(1);
        // Monday and Tuesday: pace 0 (0.43, 0.86 rounded down).
        assert_eq!(
            evaluate(&r, WEEK, &none, d(2024, 3, 4)).status,
            Progress::OnTrack
        );
        assert_eq!(
            evaluate(&r, WEEK, &none, d(2024, 3, 5)).status,
            Progress::OnTrack
        );
        // Wednesday: 3 x 3 / 7 = 1.29, so one half-day is due.
        assert_eq!(
            evaluate(&r, WEEK, &none, d(2024, 3, 6)).status,
            Progress::AtRisk
        );
        assert_eq!(
            evaluate(&r, WEEK, &one, d(2024, 3, 6)).status,
            Progress::OnTrack
        );
        // Friday: 3 x 5 / 7 = 2.14: two due.
        assert_eq!(
            evaluate(&r, WEEK, &one, d(2024, 3, 8)).status,
            Progress::AtRisk
        );
        assert_eq!(
            evaluate(&r, WEEK, &tally_days(2), d(2024, 3, 8)).status,
            Progress::OnTrack
        );
        // Sunday, the last day: all three due, so two is at risk, not yet missed.
        assert_eq!(
            evaluate(&r, WEEK, &tally_days(2), d(2024, 3, 10)).status,
            Progress::AtRisk
        );
        assert_eq!(
            evaluate(&r, WEEK, &tally_days(2), d(2024, 3, 11)).status,
            Progress::Missed
        );
        assert_eq!(
            evaluate(&r, WEEK, &tally_days(3), d(2024, 3, 10)).status,
            Progress::Met
        );
    }

    #[test]
    fn on_track_before_the_period_starts() {
        let r = req(min_half_days(Period::Week, 3, None));
        let p = evaluate(&r, WEEK, &tally_days(0), d(2024, 3, 1));
        assert_eq!(p.status, Progress::OnTrack);
        assert_eq!(p.required, 3.0);
    }

    #[test]
    fn at_risk_when_the_remaining_days_cannot_hold_what_is_missing() {
        // 5 days a week: with nothing by Thursday only 4 days remain.
        let r = req(min_visits(Period::Week, 5, None));
        let fujian = req(min_days(Period::Week, 5.0));
        let nothing = Tally::default();
        assert_eq!(
            evaluate(&fujian, WEEK, &nothing, d(2024, 3, 7)).status,
            Progress::AtRisk
        );
        // Pace alone would already flag Tuesday (5 x 2 / 7 = 1.4 -> 1 due).
        assert_eq!(
            evaluate(&r, WEEK, &nothing, d(2024, 3, 5)).status,
            Progress::AtRisk
        );
        // Five days of seven leave no slack: half a day is due on Monday already.
        assert_eq!(
            evaluate(&fujian, WEEK, &nothing, d(2024, 3, 4)).status,
            Progress::AtRisk
        );
        assert_eq!(
            evaluate(&fujian, WEEK, &tally_days(1), d(2024, 3, 4)).status,
            Progress::OnTrack
        );
        // Monthly 4 days with 1 credited and 2 days left: unreachable.
        let guangshan = req(min_days(Period::Month, 4.0));
        let p = evaluate(&guangshan, FEB, &tally_days(2), d(2024, 2, 28));
        assert_eq!(p.status, Progress::AtRisk);
        assert_eq!((p.required, p.credited), (4.0, 1.0));
    }

    #[test]
    fn days_measure_keeps_pace_in_half_day_steps() {
        let r = req(min_days(Period::Month, 1.0));
        // February has 29 days: half a day is due from day 15 (1 x 15/29 = 0.52).
        assert_eq!(
            evaluate(&r, FEB, &tally_days(0), d(2024, 2, 14)).status,
            Progress::OnTrack
        );
        assert_eq!(
            evaluate(&r, FEB, &tally_days(0), d(2024, 2, 15)).status,
            Progress::AtRisk
        );
        assert_eq!(
            evaluate(&r, FEB, &tally_days(1), d(2024, 2, 15)).status,
            Progress::OnTrack
        );
    }

    #[test]
    fn a_period_cut_short_by_the_assignment_asks_proportionally_less() {
        // Assignment starts Saturday 2024-03-09: the first week has 2 of 7 days.
        let stub = (d(2024, 3, 9), d(2024, 3, 10));
        let r = req(min_half_days(Period::Week, 3, None));
        let p = evaluate(&r, stub, &tally_days(1), d(2024, 3, 9));
        assert_eq!(p.required, 1.0, "3 x 2/7 = 0.86 rounded up");
        assert_eq!(p.status, Progress::Met);
        // Days are rounded up to half a day, and never to nothing.
        let monthly = req(min_days(Period::Month, 1.0));
        let last_day = (d(2024, 2, 29), d(2024, 2, 29));
        assert_eq!(
            evaluate(&monthly, last_day, &tally_days(0), d(2024, 2, 29)).required,
            0.5
        );
        let half_month = (d(2024, 2, 1), d(2024, 2, 15));
        assert_eq!(
            evaluate(&monthly, half_month, &tally_days(0), d(2024, 2, 1)).required,
            1.0
        );
        let guangshan = req(min_days(Period::Month, 4.0));
        assert_eq!(
            evaluate(&guangshan, half_month, &tally_days(0), d(2024, 2, 1)).required,
            2.5
        );
        // A whole period asks for the full minimum.
        assert_eq!(
            evaluate(&guangshan, FEB, &tally_days(0), d(2024, 2, 1)).required,
            4.0
        );
    }

    #[test]
    fn activity_requirements_count_only_the_activity_figures() {
        let outpatient = req(min_half_days(
            Period::Week,
            2,
            Some(ActivityKind::Outpatient),
        ));
        let t = Tally {
            activity_half_days: 1,
            ..tally_days(6)
        };
        let p = evaluate(&outpatient, WEEK, &t, d(2024, 3, 11));
        assert_eq!(
            (p.required, p.credited, p.status),
            (2.0, 1.0, Progress::Missed)
        );

        let rounds = req(min_visits(Period::Week, 2, Some(ActivityKind::WardRound)));
        let t = Tally {
            qualifying_visits: 5,
            activity_visits: 2,
            ..Tally::default()
        };
        assert_eq!(
            evaluate(&rounds, WEEK, &t, d(2024, 3, 8)).status,
            Progress::Met
        );

        let training = req(min_visits(Period::Month, 1, Some(ActivityKind::Training)));
        let p = evaluate(
            &training,
            FEB,
            &Tally {
                qualifying_visits: 8,
                ..Tally::default()
            },
            d(2024, 3, 1),
        );
        assert_eq!(p.status, Progress::Missed);

        let teaching_days = req(RequirementSpec {
            min_days: Some(1.0),
            activity: Some(ActivityKind::Teaching),
            ..spec(Period::Month)
        });
        let t = Tally {
            activity_half_days: 2,
            ..Tally::default()
        };
        assert_eq!(
            evaluate(&teaching_days, FEB, &t, d(2024, 2, 10)).status,
            Progress::Met
        );
    }

    #[test]
    fn a_workload_target_is_judged_on_the_count_logged_in_the_period() {
        // 光山 诊疗人次目标, e.g. 每月门诊诊疗不少于300人次, judged in February 2024.
        let target = req(RequirementSpec {
            activity: Some(ActivityKind::Outpatient),
            min_activity_count: Some(300),
            ..spec(Period::Month)
        });
        let mut counts = BTreeMap::new();
        counts.insert(d(2024, 1, 31), 500); // January's: not February's
        counts.insert(d(2024, 2, 5), 80);
        counts.insert(d(2024, 2, 12), 90);
        counts.insert(d(2024, 3, 1), 400); // March's
        let t = tally_days(4).with_activity_count(&counts, FEB);
        assert_eq!(t.activity_count, 170);
        let p = evaluate(&target, FEB, &t, d(2024, 3, 1));
        assert_eq!(
            (p.required, p.credited, p.status),
            (300.0, 170.0, Progress::Missed)
        );
        // Mid-month the pace decides: 300 x 15/29 = 155 due by the 15th.
        assert_eq!(
            evaluate(&target, FEB, &t, d(2024, 2, 15)).status,
            Progress::OnTrack
        );
        assert_eq!(
            evaluate(&target, FEB, &t, d(2024, 2, 20)).status,
            Progress::AtRisk,
            "300 x 20/29 = 206 due by the 20th"
        );
        // Any count can still come in a day: behind pace is at risk, never missed early.
        let empty = Tally::default().with_activity_count(&BTreeMap::new(), FEB);
        assert_eq!(
            evaluate(&target, FEB, &empty, d(2024, 2, 29)).status,
            Progress::AtRisk
        );
        counts.insert(d(2024, 2, 29), 130);
        let t = tally_days(5).with_activity_count(&counts, FEB);
        let p = evaluate(&target, FEB, &t, d(2024, 2, 29));
        assert_eq!((p.credited, p.status), (300.0, Progress::Met));
        // Days credited do not count toward it, only what was logged.
        let busy = Tally {
            qualifying_visits: 40,
            ..tally_days(40)
        };
        assert_eq!(evaluate(&target, FEB, &busy, d(2024, 3, 1)).credited, 0.0);
    }

    #[test]
    fn visits_measure_counts_qualifying_visits() {
        let r = req(min_visits(Period::Week, 2, None));
        let t = Tally {
            qualifying_visits: 2,
            ..tally_days(1)
        };
        assert_eq!(evaluate(&r, WEEK, &t, d(2024, 3, 6)).status, Progress::Met);
        let t = Tally {
            qualifying_visits: 1,
            ..tally_days(4)
        };
        let p = evaluate(&r, WEEK, &t, d(2024, 3, 11));
        assert_eq!((p.credited, p.status), (1.0, Progress::Missed));
    }

    #[test]
    fn consecutive_span_is_met_by_six_active_months_in_a_row() {
        let r = req(consecutive_months(6));
        let posting = (d(2024, 3, 15), d(2024, 12, 31));
        let t = Tally {
            active_months: months(&[
                (2024, 3),
                (2024, 4),
                (2024, 5),
                (2024, 6),
                (2024, 7),
                (2024, 8),
            ]),
            ..Tally::default()
        };
        let p = evaluate(&r, posting, &t, d(2024, 9, 1));
        assert_eq!(
            (p.required, p.credited, p.status),
            (6.0, 6.0, Progress::Met)
        );
    }

    #[test]
    fn five_days_a_week_counts_distinct_days_not_visits() {
        // 福建: 每周派驻不少于5日，每日不少于半天. A week of 2026-03-02: Monday to
        // Wednesday with a morning and an afternoon visit each (six visits), Thursday
        // half a day: four days served, though six visits and more than four days.
        let r = req(super::super::templates::min_days_served(Period::Week, 5));
        let week = (d(2026, 3, 2), d(2026, 3, 8));
        let mut days = BTreeMap::new();
        for n in 2..=4 {
            days.insert(d(2026, 3, n), day(DayCredit::Full, 2));
        }
        days.insert(d(2026, 3, 5), day(DayCredit::Half, 1));
        let t = Tally::from_days(&days, week);
        assert_eq!((t.qualifying_visits, t.days_served), (7, 4));
        let p = evaluate(&r, week, &t, d(2026, 3, 9));
        assert_eq!(
            (p.required, p.credited, p.status),
            (5.0, 4.0, Progress::Missed)
        );
        let visits = req(min_visits(Period::Week, 5, None));
        assert_eq!(
            evaluate(&visits, week, &t, d(2026, 3, 9)).status,
            Progress::Met,
            "counted as visits, the same week would pass"
        );
        // A fifth day, Friday afternoon, meets it.
        days.insert(d(2026, 3, 6), day(DayCredit::Half, 1));
        let t = Tally::from_days(&days, week);
        assert_eq!(evaluate(&r, week, &t, d(2026, 3, 9)).status, Progress::Met);
    }

    #[test]
    fn working_days_leave_out_holidays_and_count_the_weekends_worked() {
        // 光山: 每月下沉值诊带教不少于4个工作日. February 2026: served Saturday 14th (调休,
        // a working day), Monday 16th and Tuesday 17th (春节, days off), Sunday 22nd (off)
        // and Thursday 26th: two working days, though five days were served.
        use crate::domain::workdays::{DayKind, HolidayCalendar, ScheduledDay};
        let r = req(super::super::templates::min_working_days(Period::Month, 4));
        let month = (d(2026, 2, 1), d(2026, 2, 28));
        let mut days = BTreeMap::new();
        for n in [14, 16, 17, 22, 26] {
            days.insert(d(2026, 2, n), day(DayCredit::Full, 1));
        }
        let mut listed = vec![ScheduledDay {
            date: d(2026, 2, 14),
            kind: DayKind::Workday,
            name: "春节调休上班".into(),
        }];
        for n in 15..=23 {
            listed.push(ScheduledDay {
                date: d(2026, 2, n),
                kind: DayKind::Holiday,
                name: "春节".into(),
            });
        }
        let calendar = HolidayCalendar::default().with_year(2026, &listed);
        let plain = Tally::from_days(&days, month);
        assert_eq!(plain.credited_days, 5.0);
        assert_eq!(
            plain.working_half_days, 6,
            "Monday to Friday: 16th, 17th, 26th"
        );
        let t = plain.on_calendar(&days, month, &calendar);
        let p = evaluate(&r, month, &t, d(2026, 3, 1));
        assert_eq!(
            (p.required, p.credited, p.status),
            (4.0, 2.0, Progress::Missed)
        );
    }

    #[test]
    fn one_day_a_fortnight_is_judged_over_two_weeks() {
        // 中站: 每两周现场指导至少1天. Served on Friday 2026-03-13 only: the fortnight
        // 03-02..03-15 is met; the next, 03-16..03-29, with nothing, is missed.
        let r = req(min_days(Period::Fortnight, 1.0));
        let posting = (d(2026, 3, 2), d(2026, 6, 30));
        let mut days = BTreeMap::new();
        days.insert(d(2026, 3, 13), day(DayCredit::Full, 1));
        let first = super::super::period_containing(Period::Fortnight, d(2026, 3, 3), posting);
        assert_eq!(first, (d(2026, 3, 2), d(2026, 3, 15)));
        let p = evaluate(&r, first, &Tally::from_days(&days, first), d(2026, 3, 30));
        assert_eq!(p.status, Progress::Met);
        let second = super::super::period_containing(Period::Fortnight, d(2026, 3, 16), posting);
        let p = evaluate(&r, second, &Tally::from_days(&days, second), d(2026, 3, 30));
        assert_eq!((p.required, p.status), (1.0, Progress::Missed));
    }

    #[test]
    fn a_month_continues_the_run_only_when_its_own_requirement_is_met() {
        // 中站: 每月不少于8天 and 连续驻点不少于3个月. March and May are served in full
        // (8 days), April only twice: a credited day does not carry the run through it.
        let monthly = req(min_days(Period::Month, 8.0));
        let span = req(consecutive_months(3));
        let posting = (d(2024, 3, 1), d(2024, 8, 31));
        let mut days = BTreeMap::new();
        for (month, served) in [(3, 8), (4, 2), (5, 8), (6, 8), (7, 8)] {
            for n in 1..=served {
                days.insert(d(2024, month, n), day(DayCredit::Full, 1));
            }
        }
        let counted = months_that_count(&[monthly, span], &days, posting);
        assert_eq!(
            counted,
            months(&[(2024, 3), (2024, 5), (2024, 6), (2024, 7)])
        );
        let any_day = Tally::from_days(&days, posting);
        assert_eq!(
            evaluate(&span, posting, &any_day, d(2024, 9, 1)).credited,
            5.0,
            "every month with a credited day would run March to July"
        );
        let judged = evaluate(
            &span,
            posting,
            &any_day.counting_only(&counted),
            d(2024, 9, 1),
        );
        assert_eq!((judged.credited, judged.status), (3.0, Progress::Met));
        // Without a monthly requirement, any credited day makes the month count.
        assert_eq!(months_that_count(&[span], &days, posting).len(), 5);
    }

    #[test]
    fn consecutive_span_is_on_track_while_the_run_can_still_reach_it() {
        let r = req(consecutive_months(6));
        let posting = (d(2024, 3, 1), d(2024, 8, 31));
        let t = Tally {
            active_months: months(&[(2024, 3), (2024, 4)]),
            ..Tally::default()
        };
        // May not yet credited, but March-April plus May-August makes 6.
        assert_eq!(
            evaluate(&r, posting, &t, d(2024, 5, 2)).status,
            Progress::OnTrack
        );
        assert_eq!(
            evaluate(&r, posting, &Tally::default(), d(2024, 2, 1)).status,
            Progress::OnTrack
        );
    }

    #[test]
    fn consecutive_span_is_at_risk_once_a_gap_leaves_too_few_months() {
        let r = req(consecutive_months(6));
        let posting = (d(2024, 3, 1), d(2024, 9, 30));
        // April had no credit: from May only 5 months remain.
        let t = Tally {
            active_months: months(&[(2024, 3), (2024, 5)]),
            ..Tally::default()
        };
        assert_eq!(
            evaluate(&r, posting, &t, d(2024, 5, 20)).status,
            Progress::AtRisk
        );
        assert_eq!(
            evaluate(&r, posting, &t, d(2024, 10, 1)).status,
            Progress::Missed
        );
        // A posting shorter than six calendar months can never make it.
        let short = (d(2024, 3, 1), d(2024, 7, 31));
        assert_eq!(
            evaluate(&r, short, &Tally::default(), d(2024, 1, 1)).status,
            Progress::AtRisk
        );
        // Months outside the posting do not count toward it.
        let t = Tally {
            active_months: months(&[
                (2024, 1),
                (2024, 2),
                (2024, 3),
                (2024, 4),
                (2024, 5),
                (2024, 6),
            ]),
            ..Tally::default()
        };
        assert_eq!(evaluate(&r, posting, &t, d(2024, 7, 1)).credited, 4.0);
    }
}
