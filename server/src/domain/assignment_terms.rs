//! An assignment's terms over time: each change (dates, daily window, mode; ending
//! early; a transfer) is a new version in force from a date, and every version keeps
//! judging the local dates it was in force on, so a past visit is always judged by the
//! terms it was made under. What a change may do is decided here.

use chrono::{DateTime, Days, NaiveDate, Utc};
use uuid::Uuid;

use super::assignment::{Assignment, AssignmentError, Mode, check_dates};
use super::text;
use super::window::DailyWindow;

/// The first date of the first version: it is in force from the beginning.
pub const FROM_THE_BEGINNING: NaiveDate = NaiveDate::MIN;

/// What made a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TermsAction {
    /// 新派驻: the assignment was created (or imported).
    Create,
    /// 变更: dates, window or mode changed.
    Change,
    /// 提前结束: ended before its end date.
    End,
    /// 调动: moved to another site (the old one ends, a new one begins).
    Transfer,
}

impl TermsAction {
    pub fn as_str(self) -> &'static str {
        match self {
            TermsAction::Create => "create",
            TermsAction::Change => "change",
            TermsAction::End => "end",
            TermsAction::Transfer => "transfer",
        }
    }

    pub fn parse(text: &str) -> Option<TermsAction> {
        [
            TermsAction::Create,
            TermsAction::Change,
            TermsAction::End,
            TermsAction::Transfer,
        ]
        .into_iter()
        .find(|a| a.as_str() == text)
    }
}

/// Who made a version, when, why, and from which date it is in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TermsMeta {
    pub version: u32,
    pub effective_from: NaiveDate,
    pub action: TermsAction,
    pub reason: Option<String>,
    pub changed_by: Option<Uuid>,
    pub changed_at: DateTime<Utc>,
    /// The other assignment of a transfer.
    pub transfer_id: Option<Uuid>,
}

impl TermsMeta {
    /// The first version of an assignment created now.
    pub fn created(
        at: DateTime<Utc>,
        by: Option<Uuid>,
        action: TermsAction,
        reason: Option<String>,
    ) -> TermsMeta {
        TermsMeta {
            version: 1,
            effective_from: FROM_THE_BEGINNING,
            action,
            reason,
            changed_by: by,
            changed_at: at,
            transfer_id: None,
        }
    }
}

/// A version that a later one replaced, with the last date it judged.
#[derive(Debug, Clone)]
pub struct TermsVersion {
    pub meta: TermsMeta,
    pub effective_to: NaiveDate,
    pub mode: Mode,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub window: DailyWindow,
}

impl TermsVersion {
    /// `current`'s terms, replaced by a version in force from `next_from`.
    pub fn superseded(current: &Assignment, meta: &TermsMeta, next_from: NaiveDate) -> Self {
        TermsVersion {
            meta: meta.clone(),
            effective_to: next_from.pred_opt().unwrap_or(NaiveDate::MIN),
            mode: current.mode,
            start_date: current.start_date,
            end_date: current.end_date,
            window: current.window,
        }
    }
}

/// The assignment as each version judged it: one copy per version whose dates are
/// those of its terms inside the dates the version was in force; versions that judged
/// no date are left out. The copies share the assignment's id and never overlap, so
/// a date is judged by exactly one version, or none.
pub fn judged_by_version(
    current: &Assignment,
    current_from: NaiveDate,
    superseded: &[TermsVersion],
) -> Vec<Assignment> {
    let mut out = Vec::with_capacity(superseded.len() + 1);
    for old in superseded {
        let start = old.start_date.max(old.meta.effective_from);
        let end = old.end_date.min(old.effective_to);
        if start <= end {
            out.push(Assignment {
                mode: old.mode,
                start_date: start,
                end_date: end,
                window: old.window,
                ..current.clone()
            });
        }
    }
    let start = current.start_date.max(current_from);
    if start <= current.end_date {
        out.push(Assignment {
            start_date: start,
            ..current.clone()
        });
    }
    out
}

/// The daily window that judged `date`: that of the replaced version in force then,
/// else the current one.
pub fn window_on(current: &Assignment, replaced: &[TermsVersion], date: NaiveDate) -> DailyWindow {
    replaced
        .iter()
        .find(|v| v.meta.effective_from <= date && date <= v.effective_to)
        .map_or(current.window, |v| v.window)
}

/// The requested change of terms; absent members stay as they are.
#[derive(Debug, Clone, Default)]
pub struct TermsChange {
    pub mode: Option<Mode>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub window: Option<DailyWindow>,
}

/// Why a change is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LifecycleError {
    #[error(transparent)]
    Dates(#[from] AssignmentError),
    #[error(
        "reason: say why the terms change (at most 500 characters, no control characters but newlines)"
    )]
    NoReason,
    #[error("nothing to change: the request names no new term")]
    NoChange,
    /// 409: history is appended to, never rewritten.
    #[error(
        "effective_from: the newest terms are in force from {latest}; a change takes effect on or after that date"
    )]
    BeforeLatest { latest: NaiveDate },
    /// 409: a visit already judged under the current terms would be judged again.
    #[error(
        "effective_from: a visit on {last_visit} was judged under the current terms; the change can take effect from {earliest} at the earliest"
    )]
    RejudgesVisit {
        last_visit: NaiveDate,
        earliest: NaiveDate,
    },
    /// 422: ending "early" on or after the current end date.
    #[error(
        "end_date: the assignment already ends on {current}; ending early means an earlier date"
    )]
    NotEarlier { current: NaiveDate },
    /// 422: a transfer outside the assignment's dates.
    #[error(
        "effective_from: the assignment runs {start} to {end}; a transfer takes effect after its first day and on or before its last"
    )]
    TransferOutsideDates { start: NaiveDate, end: NaiveDate },
}

impl LifecycleError {
    /// The problem code: 400 `invalid_request` for malformed requests, 409 for
    /// conflicts with what is recorded, 422 for requests refused on their merits.
    pub fn code(&self) -> &'static str {
        match self {
            LifecycleError::Dates(_) | LifecycleError::NoReason | LifecycleError::NoChange => {
                "invalid_request"
            }
            LifecycleError::BeforeLatest { .. } => "terms_history_conflict",
            LifecycleError::RejudgesVisit { .. } => "change_rejudges_visits",
            LifecycleError::NotEarlier { .. } => "not_an_early_end",
            LifecycleError::TransferOutsideDates { .. } => "transfer_outside_dates",
        }
    }
}

pub const MAX_REASON_CHARS: usize = 500;

/// A reason is required and is a [`text::text`] of at most [`MAX_REASON_CHARS`].
pub fn parse_reason(raw: &str) -> Result<String, LifecycleError> {
    text::text("reason", raw, MAX_REASON_CHARS).map_err(|_| LifecycleError::NoReason)
}

/// The checks every change meets: in force no earlier than the newest version, and
/// after the last visit judged under the current terms.
fn check_effective(
    effective_from: NaiveDate,
    current_from: NaiveDate,
    last_visit: Option<NaiveDate>,
) -> Result<(), LifecycleError> {
    if effective_from < current_from {
        return Err(LifecycleError::BeforeLatest {
            latest: current_from,
        });
    }
    if let Some(last) = last_visit.filter(|last| *last >= effective_from) {
        return Err(LifecycleError::RejudgesVisit {
            last_visit: last,
            earliest: last.checked_add_days(Days::new(1)).unwrap_or(last),
        });
    }
    Ok(())
}

/// The terms after `change`, in force from `effective_from`.
pub fn plan_change(
    current: &Assignment,
    current_from: NaiveDate,
    last_visit: Option<NaiveDate>,
    effective_from: NaiveDate,
    change: &TermsChange,
) -> Result<Assignment, LifecycleError> {
    let next = Assignment {
        mode: change.mode.unwrap_or(current.mode),
        start_date: change.start_date.unwrap_or(current.start_date),
        end_date: change.end_date.unwrap_or(current.end_date),
        window: change.window.unwrap_or(current.window),
        ..current.clone()
    };
    if next.mode == current.mode
        && next.start_date == current.start_date
        && next.end_date == current.end_date
        && next.window == current.window
    {
        return Err(LifecycleError::NoChange);
    }
    check_dates(next.start_date, next.end_date)?;
    check_effective(effective_from, current_from, last_visit)?;
    Ok(next)
}

/// Ends the assignment on `end_date` (its last day): in force from the day after.
pub fn plan_end(
    current: &Assignment,
    current_from: NaiveDate,
    last_visit: Option<NaiveDate>,
    end_date: NaiveDate,
) -> Result<(Assignment, NaiveDate), LifecycleError> {
    check_dates(current.start_date, end_date)?;
    if end_date >= current.end_date {
        return Err(LifecycleError::NotEarlier {
            current: current.end_date,
        });
    }
    let effective_from = end_date.succ_opt().unwrap_or(end_date);
    check_effective(effective_from, current_from, last_visit)?;
    Ok((
        Assignment {
            end_date,
            ..current.clone()
        },
        effective_from,
    ))
}

/// Moves the assignment to `site_id` from `effective_from`: the current one ends the
/// day before, and a new one under the same programme, mode, window and end date
/// starts that day at the new site (its id is `new_id`, created `now`).
pub fn plan_transfer(
    current: &Assignment,
    current_from: NaiveDate,
    last_visit: Option<NaiveDate>,
    effective_from: NaiveDate,
    site_id: Uuid,
    new_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(Assignment, Assignment), LifecycleError> {
    if effective_from <= current.start_date || effective_from > current.end_date {
        return Err(LifecycleError::TransferOutsideDates {
            start: current.start_date,
            end: current.end_date,
        });
    }
    check_effective(effective_from, current_from, last_visit)?;
    let last_day = effective_from.pred_opt().unwrap_or(effective_from);
    let ended = Assignment {
        end_date: last_day,
        ..current.clone()
    };
    let moved = Assignment {
        id: new_id,
        site_id,
        start_date: effective_from,
        created_at: now,
        ..current.clone()
    };
    Ok((ended, moved))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn date(s: &str) -> NaiveDate {
        s.parse().expect("valid date")
    }

    fn window(start: &str, end: &str) -> DailyWindow {
        DailyWindow::parse(start, end).expect("valid window")
    }

    fn posting() -> Assignment {
        Assignment {
            id: Uuid::from_u128(1),
            physician_id: Uuid::from_u128(2),
            site_id: Uuid::from_u128(3),
            program_id: Uuid::from_u128(4),
            mode: Mode::Dispatch,
            start_date: date("2026-01-01"),
            end_date: date("2026-12-31"),
            window: window("08:00", "17:30"),
            created_at: Utc.with_ymd_and_hms(2025, 12, 20, 0, 0, 0).unwrap(),
        }
    }

    fn meta(version: u32, from: NaiveDate) -> TermsMeta {
        TermsMeta {
            version,
            effective_from: from,
            action: TermsAction::Change,
            reason: Some("test".into()),
            changed_by: None,
            changed_at: Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap(),
            transfer_id: None,
        }
    }

    #[test]
    fn each_version_judges_only_the_dates_it_was_in_force() {
        let v1 = posting();
        let from = date("2026-06-01");
        let v2 = plan_change(
            &v1,
            FROM_THE_BEGINNING,
            Some(date("2026-05-20")),
            from,
            &TermsChange {
                window: Some(window("13:00", "18:00")),
                end_date: Some(date("2026-09-30")),
                ..TermsChange::default()
            },
        )
        .expect("a change after the last visit");
        let old = TermsVersion::superseded(&v1, &meta(1, FROM_THE_BEGINNING), from);
        let judged = judged_by_version(&v2, from, &[old]);
        assert_eq!(judged.len(), 2);
        assert_eq!(
            judged[0].date_range(),
            (date("2026-01-01"), date("2026-05-31"))
        );
        assert_eq!(judged[0].window, window("08:00", "17:30"));
        assert_eq!(
            judged[1].date_range(),
            (date("2026-06-01"), date("2026-09-30"))
        );
        assert_eq!(judged[1].window, window("13:00", "18:00"));
        assert!(judged.iter().all(|a| a.id == v1.id));
        let replaced = [TermsVersion::superseded(
            &v1,
            &meta(1, FROM_THE_BEGINNING),
            from,
        )];
        assert_eq!(
            window_on(&v2, &replaced, date("2026-05-31")),
            window("08:00", "17:30")
        );
        assert_eq!(
            window_on(&v2, &replaced, date("2026-06-01")),
            window("13:00", "18:00")
        );
    }

    #[test]
    fn an_early_end_leaves_no_dates_after_it() {
        let v1 = posting();
        let (ended, from) = plan_end(
            &v1,
            FROM_THE_BEGINNING,
            Some(date("2026-04-10")),
            date("2026-04-30"),
        )
        .expect("ends after the last visit");
        assert_eq!(from, date("2026-05-01"));
        let old = TermsVersion::superseded(&v1, &meta(1, FROM_THE_BEGINNING), from);
        let judged = judged_by_version(&ended, from, &[old]);
        assert_eq!(judged.len(), 1, "the ended version judges no date");
        assert_eq!(
            judged[0].date_range(),
            (date("2026-01-01"), date("2026-04-30"))
        );
    }

    #[test]
    fn a_change_that_would_rejudge_a_visit_is_refused() {
        let refused = plan_end(
            &posting(),
            FROM_THE_BEGINNING,
            Some(date("2026-05-03")),
            date("2026-04-30"),
        );
        assert_eq!(
            refused.map(|_| ()),
            Err(LifecycleError::RejudgesVisit {
                last_visit: date("2026-05-03"),
                earliest: date("2026-05-04"),
            })
        );
    }

    #[test]
    fn ending_before_the_start_or_not_earlier_is_refused() {
        let v1 = posting();
        assert_eq!(
            plan_end(&v1, FROM_THE_BEGINNING, None, date("2025-12-31")).map(|_| ()),
            Err(LifecycleError::Dates(AssignmentError::EndBeforeStart))
        );
        assert_eq!(
            plan_end(&v1, FROM_THE_BEGINNING, None, date("2027-01-31")).map(|_| ()),
            Err(LifecycleError::NotEarlier {
                current: date("2026-12-31")
            })
        );
    }

    #[test]
    fn history_is_appended_to_not_rewritten() {
        let refused = plan_change(
            &posting(),
            date("2026-06-01"),
            None,
            date("2026-05-01"),
            &TermsChange {
                mode: Some(Mode::Circuit),
                ..TermsChange::default()
            },
        );
        assert_eq!(
            refused.map(|_| ()),
            Err(LifecycleError::BeforeLatest {
                latest: date("2026-06-01")
            })
        );
        let nothing = plan_change(
            &posting(),
            FROM_THE_BEGINNING,
            None,
            date("2026-05-01"),
            &TermsChange {
                mode: Some(Mode::Dispatch),
                ..TermsChange::default()
            },
        );
        assert_eq!(nothing.map(|_| ()), Err(LifecycleError::NoChange));
    }

    #[test]
    fn a_transfer_ends_the_old_posting_the_day_before_the_new_one_starts() {
        let v1 = posting();
        let now = Utc.with_ymd_and_hms(2026, 7, 1, 0, 0, 0).unwrap();
        let (ended, moved) = plan_transfer(
            &v1,
            FROM_THE_BEGINNING,
            Some(date("2026-06-30")),
            date("2026-07-01"),
            Uuid::from_u128(9),
            Uuid::from_u128(10),
            now,
        )
        .expect("a transfer inside the dates");
        assert_eq!(ended.end_date, date("2026-06-30"));
        assert_eq!(moved.date_range(), (date("2026-07-01"), date("2026-12-31")));
        assert_eq!(
            (moved.site_id, moved.id),
            (Uuid::from_u128(9), Uuid::from_u128(10))
        );
        assert_eq!(moved.window, v1.window);
        assert!(
            plan_transfer(
                &v1,
                FROM_THE_BEGINNING,
                None,
                date("2026-01-01"),
                v1.site_id,
                v1.id,
                now
            )
            .is_err()
        );
    }

    #[test]
    fn a_reason_is_required() {
        assert_eq!(parse_reason("  "), Err(LifecycleError::NoReason));
        assert_eq!(parse_reason(" 工作需要 ").as_deref(), Ok("工作需要"));
        assert_eq!(parse_reason("工作\n需要").as_deref(), Ok("工作\n需要"));
        assert_eq!(parse_reason("工作\u{7}需要"), Err(LifecycleError::NoReason));
        assert_eq!(
            parse_reason(&"因".repeat(MAX_REASON_CHARS + 1)),
            Err(LifecycleError::NoReason)
        );
    }
}
