//! Assignments (对口支援安排): physician x receiving site x program, with dates and a daily window.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

pub use mobile_api::AssignmentMode as Mode;

use super::window::DailyWindow;

#[derive(Debug, Clone)]
pub struct Assignment {
    pub id: Uuid,
    pub physician_id: Uuid,
    pub site_id: Uuid,
    pub program_id: Uuid,
    pub mode: Mode,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub window: DailyWindow,
    pub created_at: DateTime<Utc>,
}

impl Assignment {
    pub fn date_range(&self) -> (NaiveDate, NaiveDate) {
        (self.start_date, self.end_date)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssignmentError {
    #[error("end_date: must not be before start_date")]
    EndBeforeStart,
    #[error("end_date: an assignment lasts at most 5 years")]
    TooLong,
}

/// The first and last date, both inclusive; at most five years apart.
pub fn check_dates(start: NaiveDate, end: NaiveDate) -> Result<(), AssignmentError> {
    if end < start {
        Err(AssignmentError::EndBeforeStart)
    } else if (end - start).num_days() > 5 * 366 {
        Err(AssignmentError::TooLong)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().expect("valid date")
    }

    #[test]
    fn dates_must_be_ordered_and_bounded() {
        assert!(check_dates(date("2026-01-01"), date("2026-01-01")).is_ok());
        assert_eq!(
            check_dates(date("2026-02-01"), date("2026-01-31")),
            Err(AssignmentError::EndBeforeStart)
        );
        assert_eq!(
            check_dates(date("2026-01-01"), date("2032-01-01")),
            Err(AssignmentError::TooLong)
        );
    }
}
