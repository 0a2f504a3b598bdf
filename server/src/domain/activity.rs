//! Workload logged on a visit (活动记录: 门诊人次, 查房, 带教, 讲座 ...).
//!
//! A physician logs what they did on a visit until the end of the day after
//! the visit's local date, in the site's time zone. Records are never edited:
//! logging the same kind again on a visit is an amendment, a new record that
//! supersedes the newest earlier one. Reports count the newest record per
//! visit and kind.

use chrono::{DateTime, Days, NaiveDate, Utc};
use chrono_tz::Tz;
use uuid::Uuid;

use super::crediting::start_of_local_day;
use super::requirements::ActivityKind;
use super::text;

/// The most one record may count (patients seen, trainees taught...).
pub const MAX_COUNT: u32 = 10_000;
/// The longest note, in characters.
pub const MAX_NOTE_CHARS: usize = 500;

/// Why an activity record was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActivityError {
    #[error("count: must be between 0 and {MAX_COUNT}")]
    CountOutOfRange,
    /// The note is not a [`text::note`] of at most [`MAX_NOTE_CHARS`].
    #[error(transparent)]
    Note(#[from] text::TextError),
    #[error("activities for the visit of {visit_date} could be logged until {deadline}")]
    DeadlinePassed {
        visit_date: NaiveDate,
        deadline: DateTime<Utc>,
    },
}

/// A validated record, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityRecord {
    pub id: Uuid,
    pub visit_id: Uuid,
    pub physician_id: Uuid,
    pub kind: ActivityKind,
    pub count: u32,
    pub note: Option<String>,
    /// The record this one amends, if the kind was already logged on the visit.
    pub supersedes_id: Option<Uuid>,
    pub recorded_at: DateTime<Utc>,
}

/// The first instant at which activities of a visit on `visit_date` (local,
/// in `tz`) can no longer be logged: the start of the day after the next.
pub fn logging_deadline(visit_date: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let day_after_next = visit_date
        .checked_add_days(Days::new(2))
        .unwrap_or(NaiveDate::MAX);
    start_of_local_day(day_after_next, tz)
}

/// Checks `count`, `note` and the deadline; a blank note counts as none.
pub fn validate(
    count: u32,
    note: Option<&str>,
    visit_date: NaiveDate,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<Option<String>, ActivityError> {
    if count > MAX_COUNT {
        return Err(ActivityError::CountOutOfRange);
    }
    let note = text::note("note", note, MAX_NOTE_CHARS)?;
    let deadline = logging_deadline(visit_date, tz);
    if now >= deadline {
        return Err(ActivityError::DeadlinePassed {
            visit_date,
            deadline,
        });
    }
    Ok(note)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().expect("instant")
    }

    const SHANGHAI: Tz = chrono_tz::Asia::Shanghai;

    #[test]
    fn logging_stays_open_until_the_end_of_the_following_local_day() {
        let visit = date("2026-03-31");
        // 2026-04-01 23:59:59 in Shanghai is 15:59:59 UTC.
        assert!(validate(3, None, visit, SHANGHAI, at("2026-04-01T15:59:59Z")).is_ok());
        let late = validate(3, None, visit, SHANGHAI, at("2026-04-01T16:00:00Z"));
        assert!(matches!(late, Err(ActivityError::DeadlinePassed { .. })));
        assert_eq!(
            logging_deadline(visit, SHANGHAI),
            at("2026-04-01T16:00:00Z")
        );
    }

    #[test]
    fn the_deadline_follows_the_site_time_zone() {
        let urumqi: Tz = chrono_tz::Asia::Urumqi; // UTC+6
        assert_eq!(
            logging_deadline(date("2026-03-02"), urumqi),
            at("2026-03-03T18:00:00Z")
        );
    }

    #[test]
    fn count_and_note_are_bounded_and_blank_notes_are_none() {
        let visit = date("2026-03-02");
        let now = at("2026-03-02T08:00:00Z");
        assert_eq!(
            validate(MAX_COUNT + 1, None, visit, SHANGHAI, now),
            Err(ActivityError::CountOutOfRange)
        );
        let long = "字".repeat(MAX_NOTE_CHARS + 1);
        assert!(matches!(
            validate(1, Some(&long), visit, SHANGHAI, now),
            Err(ActivityError::Note(text::TextError::TooLong { .. }))
        ));
        assert!(matches!(
            validate(1, Some("门诊\u{1b}"), visit, SHANGHAI, now),
            Err(ActivityError::Note(text::TextError::Control { .. }))
        ));
        assert_eq!(validate(0, Some("   "), visit, SHANGHAI, now), Ok(None));
        assert_eq!(
            validate(12, Some(" 门诊 "), visit, SHANGHAI, now),
            Ok(Some("门诊".to_owned()))
        );
    }
}
