//! The per-day credit ledger as values: what one assignment's visits earn per local
//! day, over every visit and per activity logged, as the compliance report reads it.
//!
//! The ledger is derived data: each entry is exactly what
//! [`credit_by_day`](super::crediting::credit_by_day) gives for the day (over every
//! visit, or over the visits on which one activity was logged) and the count of an
//! activity logged on the day's creditable visits. It is kept durable so a report
//! over a long period reads one row per day instead of the period's visits,
//! anomalies and activities; the store keeps it from disagreeing with the events
//! (see `service::ledger`).

use std::collections::BTreeMap;

use chrono::{Datelike, Days, Months, NaiveDate};

use super::crediting::{DayCredit, DayCreditSummary};
use super::requirements::ActivityKind;

/// One month of an assignment's ledger over every visit, summed where it is stored:
/// each day's half-days in two bits (day 1 in the lowest two) and the month's
/// qualifying visits. It is all a judgement reads of a month it sums whole: the
/// half-days of each day (the working-day calendar picks days), the visits as a
/// total.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MonthSums {
    pub half_days_by_day: u64,
    pub qualifying_visits: u64,
}

/// The month sums of every assignment's ledger, by assignment and the month's first
/// day (what `credit_ledger_months` must hold for `ledgers`' rows).
pub fn month_sums_of(
    ledgers: &std::collections::HashMap<uuid::Uuid, DayLedger>,
) -> BTreeMap<(uuid::Uuid, NaiveDate), MonthSums> {
    ledgers
        .iter()
        .flat_map(|(id, ledger)| {
            ledger
                .month_sums()
                .into_iter()
                .map(move |(first, sums)| ((*id, first), sums))
        })
        .collect()
}

/// Month sums whose two bits for a day hold more than two half-days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the month sums of {0} give a day more than two half-days")]
pub struct InvalidMonthSums(pub NaiveDate);

/// One ledger row's figures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LedgerEntry {
    /// The day's credit over the row's visits, when a part of one lies on the day.
    pub day: Option<DayCreditSummary>,
    /// The count of the row's activity logged on the creditable visits of this local
    /// date (0 on the row over every visit).
    pub logged: u64,
}

/// One assignment's ledger, by local date and filter (`None`: every visit;
/// `Some(kind)`: only the visits on which `kind` was logged).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DayLedger {
    pub entries: BTreeMap<(NaiveDate, Option<ActivityKind>), LedgerEntry>,
}

impl DayLedger {
    /// The ledger of the day credit over every visit (`all`) and, for each activity
    /// logged, the day credit over its visits and its counts per local date.
    pub fn build(
        all: BTreeMap<NaiveDate, DayCreditSummary>,
        by_kind: impl IntoIterator<
            Item = (
                ActivityKind,
                BTreeMap<NaiveDate, DayCreditSummary>,
                BTreeMap<NaiveDate, u64>,
            ),
        >,
    ) -> DayLedger {
        let mut entries = BTreeMap::new();
        for (date, day) in all {
            entries.insert(
                (date, None),
                LedgerEntry {
                    day: Some(day),
                    logged: 0,
                },
            );
        }
        for (kind, days, counts) in by_kind {
            for (date, day) in days {
                entries
                    .entry((date, Some(kind)))
                    .or_insert_with(LedgerEntry::default)
                    .day = Some(day);
            }
            for (date, count) in counts.into_iter().filter(|(_, n)| *n > 0) {
                entries
                    .entry((date, Some(kind)))
                    .or_insert_with(LedgerEntry::default)
                    .logged = count;
            }
        }
        DayLedger { entries }
    }

    /// Day credit per local date over every visit (`None`) or over the visits on
    /// which `only` was logged.
    pub fn days(&self, only: Option<ActivityKind>) -> BTreeMap<NaiveDate, DayCreditSummary> {
        self.entries
            .iter()
            .filter(|((_, filter), _)| *filter == only)
            .filter_map(|((date, _), entry)| Some((*date, entry.day?)))
            .collect()
    }

    /// The count of `kind` logged per local date on the creditable visits (dates
    /// with a count above zero only).
    pub fn counts(&self, kind: ActivityKind) -> BTreeMap<NaiveDate, u64> {
        self.entries
            .iter()
            .filter(|((_, filter), entry)| *filter == Some(kind) && entry.logged > 0)
            .map(|((date, _), entry)| (*date, entry.logged))
            .collect()
    }

    /// The sums of the entries over every visit, by the month's first day (what
    /// `credit_ledger_months` keeps of the rows).
    pub fn month_sums(&self) -> BTreeMap<NaiveDate, MonthSums> {
        let mut out: BTreeMap<NaiveDate, MonthSums> = BTreeMap::new();
        for ((date, _), entry) in self.entries.iter().filter(|((_, f), _)| f.is_none()) {
            let sums = out.entry(date.with_day(1).unwrap_or(*date)).or_default();
            let day = entry.day.unwrap_or_default();
            sums.half_days_by_day |= u64::from(day.credit.half_days()) << (2 * date.day0());
            sums.qualifying_visits += u64::from(day.qualifying_visits);
        }
        out
    }

    /// Replaces the entries over every visit of the month starting `first` with
    /// entries standing for `sums`: each day with credit gets its half-days, the
    /// first day carries the month's qualifying visits. Any sum over the whole month
    /// (what [`Tally`](super::requirements::Tally) takes of a period holding it) is
    /// the stored days' sum; a range cutting the month is not, so a reader keeps
    /// such months as days (see [`months_to_sum`]).
    pub fn add_month(&mut self, first: NaiveDate, sums: MonthSums) -> Result<(), InvalidMonthSums> {
        let next = first
            .checked_add_months(Months::new(1))
            .ok_or(InvalidMonthSums(first))?;
        self.entries
            .retain(|(date, filter), _| filter.is_some() || *date < first || *date >= next);
        let visits = u32::try_from(sums.qualifying_visits).map_err(|_| InvalidMonthSums(first))?;
        let mut date = first;
        let mut bits = sums.half_days_by_day;
        while date < next {
            let credit =
                DayCredit::from_half_days((bits & 3) as u32).ok_or(InvalidMonthSums(first))?;
            let qualifying_visits = if date == first { visits } else { 0 };
            if credit != DayCredit::None || qualifying_visits > 0 {
                let day = DayCreditSummary {
                    credit,
                    qualifying_visits,
                    ..DayCreditSummary::default()
                };
                self.entries.insert(
                    (date, None),
                    LedgerEntry {
                        day: Some(day),
                        logged: 0,
                    },
                );
            }
            bits >>= 2;
            date = date
                .checked_add_days(Days::new(1))
                .ok_or(InvalidMonthSums(first))?;
        }
        if bits != 0 {
            return Err(InvalidMonthSums(first));
        }
        Ok(())
    }

    /// The entries of the dates `from..=to`.
    pub fn within(mut self, (from, to): (NaiveDate, NaiveDate)) -> DayLedger {
        self.entries
            .retain(|(date, _), _| *date >= from && *date <= to);
        self
    }

    /// The entries of one date.
    pub fn on(
        &self,
        date: NaiveDate,
    ) -> impl Iterator<Item = (Option<ActivityKind>, &LedgerEntry)> {
        self.entries
            .range((date, None)..)
            .take_while(move |((d, _), _)| *d == date)
            .map(|((_, filter), entry)| (*filter, entry))
    }
}

/// Consecutive local dates, the first and the last.
pub type DateRun = (NaiveDate, NaiveDate);

/// How to read an assignment's ledger over every visit for judgements that sum
/// it over `ranges` (each period summed as a whole): the whole months inside them
/// that no range cuts as [`MonthSums`], and the other dates of `ranges` as days;
/// each as runs of consecutive dates (a run of months from the first's first day
/// to the last's last).
pub fn months_to_sum(ranges: &[(NaiveDate, NaiveDate)]) -> (Vec<DateRun>, Vec<DateRun>) {
    let mut months = Vec::new();
    let mut days = Vec::new();
    let (Some(first), Some(last)) = (
        ranges.iter().map(|r| r.0).min(),
        ranges.iter().map(|r| r.1).max(),
    ) else {
        return (months, days);
    };
    let in_ranges = |date: NaiveDate| ranges.iter().any(|r| r.0 <= date && date <= r.1);
    let mut month = first.with_day(1).unwrap_or(first);
    while month <= last {
        let Some(next) = month.checked_add_months(Months::new(1)) else {
            break;
        };
        let end = next.pred_opt().unwrap_or(month);
        let whole = ranges
            .iter()
            .all(|r| (r.0 <= month && end <= r.1) || r.1 < month || end < r.0);
        let touched = ranges.iter().any(|r| r.0 <= end && month <= r.1);
        if whole && touched {
            extend_runs(&mut months, (month, end));
        } else {
            for date in month
                .iter_days()
                .take_while(|d| *d <= end)
                .filter(|d| in_ranges(*d))
            {
                extend_runs(&mut days, (date, date));
            }
        }
        month = next;
    }
    (months, days)
}

/// Adds `dates` to `runs`, joining the last run when they follow it.
fn extend_runs(runs: &mut Vec<DateRun>, (from, to): DateRun) {
    match runs.last_mut() {
        Some(run) if run.1.succ_opt() == Some(from) => run.1 = to,
        _ => runs.push((from, to)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::crediting::DayCredit;

    fn date(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, d).unwrap_or_default()
    }

    fn summary(minutes: i64, credit: DayCredit) -> DayCreditSummary {
        DayCreditSummary {
            credited_minutes: minutes,
            credit,
            ..DayCreditSummary::default()
        }
    }

    #[test]
    fn a_ledger_gives_back_the_days_and_counts_it_was_built_from() {
        let all = BTreeMap::from([
            (date(2), summary(200, DayCredit::Half)),
            (date(3), summary(400, DayCredit::Full)),
        ]);
        let outpatient_days = BTreeMap::from([(date(3), summary(400, DayCredit::Full))]);
        // A count on a day whose visit spans no time still shows as a count.
        let outpatient_counts = BTreeMap::from([(date(3), 12), (date(4), 3), (date(5), 0)]);
        let ledger = DayLedger::build(
            all.clone(),
            [(
                ActivityKind::Outpatient,
                outpatient_days.clone(),
                outpatient_counts,
            )],
        );
        assert_eq!(ledger.days(None), all);
        assert_eq!(ledger.days(Some(ActivityKind::Outpatient)), outpatient_days);
        assert_eq!(
            ledger.counts(ActivityKind::Outpatient),
            BTreeMap::from([(date(3), 12), (date(4), 3)])
        );
        assert!(ledger.days(Some(ActivityKind::WardRound)).is_empty());
        assert_eq!(ledger.on(date(3)).count(), 2);
        let clipped = ledger.within((date(3), date(3)));
        assert_eq!(clipped.days(None).len(), 1);
        assert_eq!(clipped.counts(ActivityKind::Outpatient).len(), 1);
    }

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    /// A pseudo-random year of day credit: some days none, half or full, a few
    /// with visits but no credit recorded as zero.
    fn a_year_of_days() -> BTreeMap<NaiveDate, DayCreditSummary> {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut days = BTreeMap::new();
        for date in ymd(2026, 1, 1).iter_days().take(365) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let half_days = (state % 4).min(2) as u32;
            if state.is_multiple_of(5) {
                continue;
            }
            days.insert(
                date,
                DayCreditSummary {
                    credited_minutes: i64::from(half_days) * 200,
                    credit: DayCredit::from_half_days(half_days).unwrap_or_default(),
                    qualifying_visits: half_days.min(1) + u32::from(state.is_multiple_of(7)),
                    ..DayCreditSummary::default()
                },
            );
        }
        days
    }

    #[test]
    fn month_sums_stand_for_their_days_in_any_sum_over_whole_months() {
        use crate::domain::requirements::Tally;
        use crate::domain::workdays::HolidayCalendar;

        let days = a_year_of_days();
        let mut ledger = DayLedger::build(days.clone(), []);
        let sums = ledger.month_sums();
        assert_eq!(sums.len(), 12);
        for month in 2..=11 {
            let first = ymd(2026, month, 1);
            ledger
                .add_month(first, sums[&first])
                .expect("sums of real days");
        }
        assert_eq!(ledger.month_sums(), sums, "the entries keep their sums");
        let summed = ledger.days(None);
        assert_ne!(summed, days, "the months are entries standing for sums");
        let calendar = HolidayCalendar::default();
        // Every period made of whole months, and ones cut inside the months kept as
        // days (January, December).
        for period in [
            (ymd(2026, 2, 1), ymd(2026, 2, 28)),
            (ymd(2026, 1, 10), ymd(2026, 12, 20)),
            (ymd(2026, 4, 1), ymd(2026, 9, 30)),
            (ymd(2026, 1, 1), ymd(2026, 3, 31)),
        ] {
            let tally = |d: &BTreeMap<NaiveDate, DayCreditSummary>| {
                Tally::from_days(d, period).on_calendar(d, period, &calendar)
            };
            assert_eq!(tally(&summed), tally(&days), "{period:?}");
        }
    }

    #[test]
    fn month_sums_with_a_day_of_three_half_days_are_refused() {
        let mut ledger = DayLedger::default();
        let bad = MonthSums {
            half_days_by_day: 0b11 << 4,
            qualifying_visits: 1,
        };
        assert_eq!(
            ledger.add_month(ymd(2026, 2, 1), bad),
            Err(InvalidMonthSums(ymd(2026, 2, 1)))
        );
        // Bits past the month's last day are refused too.
        let past = MonthSums {
            half_days_by_day: 1 << (2 * 29),
            qualifying_visits: 0,
        };
        assert!(ledger.add_month(ymd(2026, 2, 1), past).is_err());
    }

    #[test]
    fn only_whole_months_no_range_cuts_are_summed() {
        // A posting from 15 January to 20 September with a month's requirement,
        // reported for April: the posting's inner months are summed (April too), its
        // ends read as days.
        let posting = (ymd(2026, 1, 15), ymd(2026, 9, 20));
        let april = (ymd(2026, 4, 1), ymd(2026, 4, 30));
        let (months, days) = months_to_sum(&[posting, april]);
        assert_eq!(months, vec![(ymd(2026, 2, 1), ymd(2026, 8, 31))]);
        assert_eq!(
            days,
            vec![
                (ymd(2026, 1, 15), ymd(2026, 1, 31)),
                (ymd(2026, 9, 1), ymd(2026, 9, 20)),
            ]
        );
        // A fortnight reaching back into March cuts March and April: read as days.
        let fortnight = (ymd(2026, 3, 23), ymd(2026, 4, 5));
        let (months, days) = months_to_sum(&[posting, april, fortnight]);
        assert_eq!(
            months,
            vec![
                (ymd(2026, 2, 1), ymd(2026, 2, 28)),
                (ymd(2026, 5, 1), ymd(2026, 8, 31)),
            ]
        );
        assert!(days.contains(&(ymd(2026, 3, 1), ymd(2026, 4, 30))));
        // A fortnight alone: nothing to sum.
        let (months, days) = months_to_sum(&[fortnight]);
        assert!(months.is_empty());
        assert_eq!(days, vec![(ymd(2026, 3, 23), ymd(2026, 4, 5))]);
        assert_eq!(months_to_sum(&[]), (Vec::new(), Vec::new()));
    }
}
