//! Working days (工作日) on the mainland calendar: Monday to Friday, less the statutory
//! holidays, plus the weekend days the State Council makes working days (调休). The
//! schedule of each year is data the admin loads; a year without one counts Monday to
//! Friday.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

/// What the year's schedule says of one date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayKind {
    /// 放假: a day off, whatever the weekday.
    Holiday,
    /// 调休上班: a weekend day worked.
    Workday,
}

/// One listed date of a year's schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduledDay {
    pub date: NaiveDate,
    pub kind: DayKind,
    /// e.g. `春节`, `国庆节调休上班`.
    pub name: String,
}

/// The most dates one year lists (the schedules list about forty).
pub const MAX_SCHEDULED_DAYS: usize = 80;
const MAX_NAME_CHARS: usize = 50;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("year: must be between 2000 and 2100")]
    Year,
    #[error("days: at most {MAX_SCHEDULED_DAYS} dates a year")]
    TooMany,
    #[error("days: {0} is not in the year")]
    OutsideYear(NaiveDate),
    #[error("days: {0} is listed twice")]
    Twice(NaiveDate),
    #[error(
        "days: {0} is a weekday, already a working day; a workday (调休) is a Saturday or Sunday"
    )]
    WorkdayOnWeekday(NaiveDate),
    #[error("days: the name of {0} must be 1 to {MAX_NAME_CHARS} characters, one line")]
    Name(NaiveDate),
}

/// Checks one year's schedule: dates in the year, each once, workdays on weekends,
/// names given.
pub fn check_year(year: i32, days: &[ScheduledDay]) -> Result<(), CalendarError> {
    if !(2000..=2100).contains(&year) {
        return Err(CalendarError::Year);
    }
    if days.len() > MAX_SCHEDULED_DAYS {
        return Err(CalendarError::TooMany);
    }
    let mut seen = BTreeSet::new();
    for day in days {
        if day.date.year() != year {
            return Err(CalendarError::OutsideYear(day.date));
        }
        if !seen.insert(day.date) {
            return Err(CalendarError::Twice(day.date));
        }
        if day.kind == DayKind::Workday && !is_weekend(day.date) {
            return Err(CalendarError::WorkdayOnWeekday(day.date));
        }
        let name = day.name.trim();
        let chars = name.chars().count();
        if chars == 0 || chars > MAX_NAME_CHARS || name.chars().any(char::is_control) {
            return Err(CalendarError::Name(day.date));
        }
    }
    Ok(())
}

fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The schedules loaded, every year's listed dates together.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HolidayCalendar {
    days: BTreeMap<NaiveDate, DayKind>,
    years: BTreeSet<i32>,
}

impl HolidayCalendar {
    /// Adds (or replaces) one year's schedule.
    pub fn with_year(mut self, year: i32, days: &[ScheduledDay]) -> Self {
        self.days.retain(|d, _| d.year() != year);
        self.days.extend(
            days.iter()
                .filter(|d| d.date.year() == year)
                .map(|d| (d.date, d.kind)),
        );
        self.years.insert(year);
        self
    }

    /// Whether `date`'s year has a schedule (else Monday to Friday are counted).
    pub fn knows(&self, date: NaiveDate) -> bool {
        self.years.contains(&date.year())
    }

    /// A working day: listed as a workday, or a Monday to Friday not listed as a holiday.
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        match self.days.get(&date) {
            Some(DayKind::Workday) => true,
            Some(DayKind::Holiday) => false,
            None => !is_weekend(date),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    /// The 2026 schedule as the migration ships it.
    fn schedule_2026() -> Vec<ScheduledDay> {
        let sql =
            include_str!("../../../schemas/migrations/sqlite/202612060701_holiday_calendars.sql");
        let start = sql.find("'[").expect("the JSON") + 1;
        let end = sql[start..].find("]'").expect("its end") + start + 1;
        serde_json::from_str(&sql[start..end]).expect("the shipped 2026 schedule parses")
    }

    fn working_days(cal: &HolidayCalendar, from: &str, to: &str) -> usize {
        d(from)
            .iter_days()
            .take_while(|day| *day <= d(to))
            .filter(|day| cal.is_working_day(*day))
            .count()
    }

    #[test]
    fn the_shipped_2026_schedule_is_valid_and_counts_the_months_right() {
        let days = schedule_2026();
        assert_eq!(check_year(2026, &days), Ok(()));
        let cal = HolidayCalendar::default().with_year(2026, &days);
        // February 2026: 20 weekdays, the Spring Festival takes 16-20 and 23 (six), and
        // Saturdays 14 and 28 are worked: 20 - 6 + 2 = 16.
        assert_eq!(working_days(&cal, "2026-02-01", "2026-02-28"), 16);
        // October 2026: 22 weekdays, 1-2 and 5-7 off (five), Saturday 10 worked: 18.
        assert_eq!(working_days(&cal, "2026-10-01", "2026-10-31"), 18);
        // Sunday 2026-01-04 (元旦调休) is a working day, Friday 2026-01-02 is not.
        assert!(cal.is_working_day(d("2026-01-04")));
        assert!(!cal.is_working_day(d("2026-01-02")));
        assert!(cal.knows(d("2026-12-31")));
        // A year without a schedule counts Monday to Friday.
        assert!(!cal.knows(d("2027-01-01")));
        assert!(
            cal.is_working_day(d("2027-01-01")),
            "a Friday, with no 2027 schedule"
        );
    }

    #[test]
    fn a_schedule_with_nonsense_is_refused() {
        let day = |date: &str, kind| ScheduledDay {
            date: d(date),
            kind,
            name: "测试".into(),
        };
        assert_eq!(
            check_year(2026, &[day("2027-01-01", DayKind::Holiday)]),
            Err(CalendarError::OutsideYear(d("2027-01-01")))
        );
        assert_eq!(
            check_year(2026, &[day("2026-03-02", DayKind::Workday)]),
            Err(CalendarError::WorkdayOnWeekday(d("2026-03-02")))
        );
        assert_eq!(
            check_year(
                2026,
                &[
                    day("2026-03-07", DayKind::Workday),
                    day("2026-03-07", DayKind::Holiday)
                ]
            ),
            Err(CalendarError::Twice(d("2026-03-07")))
        );
        let named = |name: &str| ScheduledDay {
            date: d("2026-10-01"),
            kind: DayKind::Holiday,
            name: name.into(),
        };
        assert_eq!(check_year(2026, &[named(" 国庆节 ")]), Ok(()));
        for bad in [
            "  ",
            "国庆\n节",
            "国庆\u{0}",
            &"节".repeat(MAX_NAME_CHARS + 1),
        ] {
            assert_eq!(
                check_year(2026, &[named(bad)]),
                Err(CalendarError::Name(d("2026-10-01"))),
                "{bad:?}"
            );
        }
    }
}
