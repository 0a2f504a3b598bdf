//! Holiday calendars: one row per year, the State Council's schedule as JSON.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::audit::{Provenance, audited_write};
use super::{Store, StoreError, StoreResult, from_ms, on_pool, parse_uuid, to_ms};
use crate::domain::workdays::ScheduledDay;

/// One year's schedule as stored.
#[derive(Debug, Clone)]
pub struct StoredCalendar {
    pub year: i32,
    pub days: Vec<ScheduledDay>,
    pub source: Option<String>,
    pub loaded_by: Option<Uuid>,
    pub loaded_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct CalendarRow {
    year: i64,
    days: String,
    source: Option<String>,
    loaded_by: Option<String>,
    loaded_at: i64,
}

impl TryFrom<CalendarRow> for StoredCalendar {
    type Error = StoreError;
    fn try_from(row: CalendarRow) -> StoreResult<StoredCalendar> {
        let corrupt =
            |what: String| StoreError::Corrupt(format!("holiday calendar {}: {what}", row.year));
        Ok(StoredCalendar {
            year: i32::try_from(row.year).map_err(|e| corrupt(e.to_string()))?,
            days: serde_json::from_str(&row.days).map_err(|e| corrupt(e.to_string()))?,
            source: row.source.clone(),
            loaded_by: row.loaded_by.as_deref().map(parse_uuid).transpose()?,
            loaded_at: from_ms(row.loaded_at)?,
        })
    }
}

impl Store {
    /// Every year's schedule, oldest first.
    pub async fn holiday_calendars(&self) -> StoreResult<Vec<StoredCalendar>> {
        const SQL: &str = "SELECT year, days, source, loaded_by, loaded_at FROM holiday_calendars \
                           ORDER BY year";
        let rows: Vec<CalendarRow> =
            on_pool!(self.db(), pool => sqlx::query_as(SQL).fetch_all(pool).await?);
        rows.into_iter().map(StoredCalendar::try_from).collect()
    }

    /// Loads (or replaces) one year's schedule with its audit entry.
    pub async fn put_holiday_calendar(
        &self,
        calendar: &StoredCalendar,
        provenance: Provenance,
    ) -> StoreResult<()> {
        const SQL: &str = "INSERT INTO holiday_calendars \
            (year, days, source, loaded_by, loaded_at, audit_seq) VALUES ($1, $2, $3, $4, $5, $6) \
            ON CONFLICT (year) DO UPDATE SET days = excluded.days, source = excluded.source, \
            loaded_by = excluded.loaded_by, loaded_at = excluded.loaded_at, \
            audit_seq = excluded.audit_seq";
        let days = serde_json::to_string(&calendar.days)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        audited_write!(
            self,
            provenance,
            SQL,
            [
                i64::from(calendar.year),
                &days,
                calendar.source.as_deref(),
                calendar.loaded_by.map(|u| u.to_string()),
                to_ms(calendar.loaded_at),
            ],
        );
        Ok(())
    }
}
