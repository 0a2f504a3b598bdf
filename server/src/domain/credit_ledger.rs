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

use chrono::NaiveDate;

use super::crediting::DayCreditSummary;
use super::requirements::ActivityKind;

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
}
