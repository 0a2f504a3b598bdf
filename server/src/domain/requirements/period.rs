//! The spans a requirement is counted over: ISO weeks, calendar months, quarters and
//! years, or the whole assignment, clipped to the assignment; and runs of
//! consecutive active months (连续驻点).

use std::collections::BTreeSet;
use std::fmt;

use chrono::{Datelike, Days, Months, NaiveDate};
use serde::{Deserialize, Serialize};

/// The span a requirement is counted over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    /// ISO week, Monday to Sunday (每周).
    Week,
    /// Two ISO weeks, Monday to the Sunday after next (每两周): the weeks are paired
    /// from Monday 1970-01-05, so every fortnight starts on the same Mondays whatever
    /// the assignment (中站 "每两周现场指导至少1天").
    Fortnight,
    /// Calendar month (每月).
    Month,
    /// Calendar quarter (每季度).
    Quarter,
    /// Calendar year (每年/年度).
    Year,
    /// The whole assignment, first to last date (支援期/驻点期).
    Assignment,
}

impl Period {
    pub const ALL: [Period; 6] = [
        Period::Week,
        Period::Fortnight,
        Period::Month,
        Period::Quarter,
        Period::Year,
        Period::Assignment,
    ];

    /// The wire name (`week`, `month`, ...).
    pub fn as_str(&self) -> &'static str {
        match self {
            Period::Week => "week",
            Period::Fortnight => "fortnight",
            Period::Month => "month",
            Period::Quarter => "quarter",
            Period::Year => "year",
            Period::Assignment => "assignment",
        }
    }

    /// Chinese label as used in the circulars.
    pub fn label_zh(&self) -> &'static str {
        match self {
            Period::Week => "每周",
            Period::Fortnight => "每两周",
            Period::Month => "每月",
            Period::Quarter => "每季度",
            Period::Year => "每年",
            Period::Assignment => "支援期内",
        }
    }

    /// The most days one period of this kind can have, used to refuse minimums
    /// no physician could ever reach. `None` for the assignment, whose length varies.
    pub(super) fn max_days(&self) -> Option<u32> {
        match self {
            Period::Week => Some(7),
            Period::Fortnight => Some(14),
            Period::Month => Some(31),
            Period::Quarter => Some(92),
            Period::Year => Some(366),
            Period::Assignment => None,
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Orders an inverted range so the functions below never see `start > end`.
pub(super) fn ordered(range: (NaiveDate, NaiveDate)) -> (NaiveDate, NaiveDate) {
    if range.0 <= range.1 {
        range
    } else {
        (range.1, range.0)
    }
}

/// The calendar period of `kind` containing `date`, unclipped. `Assignment`
/// has no calendar shape, so the date alone is returned for it.
pub(super) fn natural_period(kind: Period, date: NaiveDate) -> (NaiveDate, NaiveDate) {
    let first_of = |year: i32, month: u32| NaiveDate::from_ymd_opt(year, month, 1);
    let span = |start: Option<NaiveDate>, months: u32| {
        let start = start.unwrap_or(date);
        let end = start
            .checked_add_months(Months::new(months))
            .and_then(|next| next.pred_opt())
            .unwrap_or(NaiveDate::MAX);
        (start, end)
    };
    match kind {
        Period::Week => {
            let from_monday = u64::from(date.weekday().num_days_from_monday());
            let monday = date
                .checked_sub_days(Days::new(from_monday))
                .unwrap_or(NaiveDate::MIN);
            let sunday = monday
                .checked_add_days(Days::new(6))
                .unwrap_or(NaiveDate::MAX);
            (monday, sunday)
        }
        Period::Fortnight => {
            // 1970-01-05 was a Monday: fortnights start 14k days after it.
            let epoch = NaiveDate::from_ymd_opt(1970, 1, 5).unwrap_or(NaiveDate::MIN);
            let offset = (date - epoch).num_days().rem_euclid(14);
            let monday = date
                .checked_sub_days(Days::new(offset.unsigned_abs()))
                .unwrap_or(NaiveDate::MIN);
            let last = monday
                .checked_add_days(Days::new(13))
                .unwrap_or(NaiveDate::MAX);
            (monday, last)
        }
        Period::Month => span(first_of(date.year(), date.month()), 1),
        Period::Quarter => {
            let first_month = (date.month0() / 3) * 3 + 1;
            span(first_of(date.year(), first_month), 3)
        }
        Period::Year => span(first_of(date.year(), 1), 12),
        Period::Assignment => (date, date),
    }
}

/// The period of `period` that contains `date`, clipped to the assignment.
///
/// Weeks are ISO weeks (Monday to Sunday, so a week can straddle a month or
/// year end); months, quarters and years are calendar ones; `Assignment` is
/// the whole assignment. A date outside the assignment is first moved to the
/// nearest assignment date, so the result always lies within the assignment.
pub fn period_containing(
    period: Period,
    date: NaiveDate,
    assignment: (NaiveDate, NaiveDate),
) -> (NaiveDate, NaiveDate) {
    let (first, last) = ordered(assignment);
    if period == Period::Assignment {
        return (first, last);
    }
    let date = date.max(first).min(last);
    let (start, end) = natural_period(period, date);
    (start.max(first), end.min(last))
}

/// Every period of `period` in the assignment, in order (for compliance
/// reports that list each week or month of an assignment).
pub fn periods(period: Period, assignment: (NaiveDate, NaiveDate)) -> Vec<(NaiveDate, NaiveDate)> {
    let (first, last) = ordered(assignment);
    let mut out = Vec::new();
    let mut cursor = first;
    loop {
        let current = period_containing(period, cursor, (first, last));
        out.push(current);
        match current.1.succ_opt() {
            Some(next) if current.1 < last => cursor = next,
            _ => break,
        }
    }
    out
}

/// The `(year, month)` key of a date, as used in active-month sets.
pub fn month_of(date: NaiveDate) -> (i32, u32) {
    (date.year(), date.month())
}

pub(super) fn month_index((year, month): (i32, u32)) -> i64 {
    i64::from(year) * 12 + i64::from(month) - 1
}

/// The longest run of calendar months that are all active (a month is active
/// when it has any credited day), e.g. for 连续驻点不少于6个月. Runs continue
/// across a year end (December then January). Invalid months are ignored.
pub fn longest_consecutive_months(active_months: &BTreeSet<(i32, u32)>) -> u32 {
    let mut longest = 0;
    let mut run = 0;
    let mut previous: Option<i64> = None;
    // A BTreeSet iterates (year, month) in chronological order.
    for &key in active_months.iter().filter(|(_, m)| (1..=12).contains(m)) {
        let index = month_index(key);
        run = if previous == Some(index - 1) {
            run + 1
        } else {
            1
        };
        longest = longest.max(run);
        previous = Some(index);
    }
    longest
}

/// The length of the run of active months ending at `index` (0 if inactive).
pub(super) fn run_ending_at(active: &BTreeSet<i64>, index: i64) -> u32 {
    let mut run = 0;
    let mut cursor = index;
    while active.contains(&cursor) {
        run += 1;
        cursor -= 1;
    }
    run
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn fortnights_are_pairs_of_iso_weeks_clipped_to_the_assignment() {
        // 2026-03-02 is a Monday 1526 fortnights after 1970-01-05.
        assert_eq!(
            period_containing(Period::Fortnight, d(2026, 3, 10), OPEN),
            (d(2026, 3, 2), d(2026, 3, 15))
        );
        assert_eq!(
            period_containing(Period::Fortnight, d(2026, 3, 16), OPEN),
            (d(2026, 3, 16), d(2026, 3, 29))
        );
        assert_eq!(
            period_containing(Period::Fortnight, d(2026, 3, 1), OPEN),
            (d(2026, 2, 16), d(2026, 3, 1))
        );
        // An assignment from Wednesday 2026-03-04 to 2026-03-31: a stub, two whole
        // fortnights' worth, a stub.
        let posting = (d(2026, 3, 4), d(2026, 3, 31));
        assert_eq!(
            periods(Period::Fortnight, posting),
            vec![
                (d(2026, 3, 4), d(2026, 3, 15)),
                (d(2026, 3, 16), d(2026, 3, 29)),
                (d(2026, 3, 30), d(2026, 3, 31)),
            ]
        );
    }

    // ---- periods --------------------------------------------------------

    #[test]
    fn iso_week_runs_monday_to_sunday_across_a_month_end() {
        // Wednesday 2024-01-31.
        assert_eq!(
            period_containing(Period::Week, d(2024, 1, 31), OPEN),
            (d(2024, 1, 29), d(2024, 2, 4))
        );
        // Monday and Sunday are their own week's ends.
        assert_eq!(
            period_containing(Period::Week, d(2024, 1, 29), OPEN),
            (d(2024, 1, 29), d(2024, 2, 4))
        );
        assert_eq!(
            period_containing(Period::Week, d(2024, 2, 4), OPEN),
            (d(2024, 1, 29), d(2024, 2, 4))
        );
        assert_eq!(
            period_containing(Period::Week, d(2024, 2, 5), OPEN),
            (d(2024, 2, 5), d(2024, 2, 11))
        );
    }

    #[test]
    fn iso_week_across_a_year_end_is_clipped_to_the_assignment() {
        assert_eq!(
            period_containing(Period::Week, d(2024, 12, 31), OPEN),
            (d(2024, 12, 30), d(2025, 1, 5))
        );
        assert_eq!(
            period_containing(Period::Week, d(2024, 12, 31), YEAR_2024),
            (d(2024, 12, 30), d(2024, 12, 31))
        );
        // 2024-01-01 is a Monday; the assignment starting mid-week clips the start.
        let from_thursday = (d(2024, 1, 4), d(2024, 6, 30));
        assert_eq!(
            period_containing(Period::Week, d(2024, 1, 6), from_thursday),
            (d(2024, 1, 4), d(2024, 1, 7))
        );
    }

    #[test]
    fn month_ends_on_its_last_calendar_day_including_leap_february() {
        assert_eq!(
            period_containing(Period::Month, d(2024, 2, 10), OPEN),
            (d(2024, 2, 1), d(2024, 2, 29))
        );
        assert_eq!(
            period_containing(Period::Month, d(2023, 2, 28), OPEN),
            (d(2023, 2, 1), d(2023, 2, 28))
        );
        assert_eq!(
            period_containing(Period::Month, d(2024, 12, 31), OPEN),
            (d(2024, 12, 1), d(2024, 12, 31))
        );
        assert_eq!(
            period_containing(
                Period::Month,
                d(2024, 5, 20),
                (d(2024, 5, 15), d(2024, 11, 14))
            ),
            (d(2024, 5, 15), d(2024, 5, 31))
        );
    }

    #[test]
    fn quarter_and_year_are_calendar_ones() {
        assert_eq!(
            period_containing(Period::Quarter, d(2024, 5, 15), OPEN),
            (d(2024, 4, 1), d(2024, 6, 30))
        );
        assert_eq!(
            period_containing(Period::Quarter, d(2024, 3, 31), OPEN),
            (d(2024, 1, 1), d(2024, 3, 31))
        );
        assert_eq!(
            period_containing(Period::Quarter, d(2024, 10, 1), OPEN),
            (d(2024, 10, 1), d(2024, 12, 31))
        );
        assert_eq!(
            period_containing(Period::Year, d(2024, 7, 1), OPEN),
            (d(2024, 1, 1), d(2024, 12, 31))
        );
    }

    #[test]
    fn assignment_period_is_the_whole_assignment_and_dates_outside_are_clamped() {
        let a = (d(2024, 3, 15), d(2024, 9, 14));
        assert_eq!(period_containing(Period::Assignment, d(2024, 5, 1), a), a);
        assert_eq!(
            period_containing(Period::Month, d(2024, 1, 1), a),
            (d(2024, 3, 15), d(2024, 3, 31))
        );
        assert_eq!(
            period_containing(Period::Month, d(2025, 1, 1), a),
            (d(2024, 9, 1), d(2024, 9, 14))
        );
        // An inverted range is read in order instead of panicking.
        assert_eq!(
            period_containing(Period::Month, d(2024, 5, 1), (a.1, a.0)),
            (d(2024, 5, 1), d(2024, 5, 31))
        );
    }

    #[test]
    fn periods_list_every_clipped_period_of_an_assignment() {
        let a = (d(2024, 1, 4), d(2024, 1, 20));
        assert_eq!(
            periods(Period::Week, a),
            vec![
                (d(2024, 1, 4), d(2024, 1, 7)),
                (d(2024, 1, 8), d(2024, 1, 14)),
                (d(2024, 1, 15), d(2024, 1, 20)),
            ]
        );
        assert_eq!(
            periods(Period::Month, (d(2024, 3, 15), d(2024, 9, 14))).len(),
            7
        );
        assert_eq!(periods(Period::Quarter, YEAR_2024).len(), 4);
        assert_eq!(periods(Period::Assignment, YEAR_2024), vec![YEAR_2024]);
        assert_eq!(
            periods(Period::Year, (d(2024, 5, 5), d(2024, 5, 5))),
            vec![(d(2024, 5, 5), d(2024, 5, 5))]
        );
    }

    // ---- consecutive months --------------------------------------------

    #[test]
    fn longest_consecutive_months_counts_runs_across_a_year_end() {
        assert_eq!(longest_consecutive_months(&BTreeSet::new()), 0);
        assert_eq!(longest_consecutive_months(&months(&[(2024, 5)])), 1);
        assert_eq!(
            longest_consecutive_months(&months(&[
                (2023, 10),
                (2023, 11),
                (2023, 12),
                (2024, 1),
                (2024, 2)
            ])),
            5
        );
        assert_eq!(
            longest_consecutive_months(&months(&[
                (2024, 1),
                (2024, 2),
                (2024, 4),
                (2024, 5),
                (2024, 6)
            ])),
            3
        );
        // The same month a year apart is not consecutive.
        assert_eq!(
            longest_consecutive_months(&months(&[(2023, 5), (2024, 5)])),
            1
        );
        assert_eq!(
            longest_consecutive_months(&months(&[(2024, 0), (2024, 13), (2024, 1)])),
            1
        );
    }
}
