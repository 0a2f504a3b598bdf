//! Holiday calendars (节假日安排): the yearly schedules working days are judged on, and
//! loading one (admin).

use mobile_api::{CalendarDay, HolidayCalendar as CalendarBody, SetHolidayCalendar};

use super::invalid;
use crate::domain::access::{Actor, Role};
use crate::domain::workdays::{DayKind, HolidayCalendar, ScheduledDay, check_year};
use crate::error::{ApiError, ApiResult};
use crate::service::audit::{self, Change};
use crate::state::AppState;
use crate::store::calendars::StoredCalendar;

const MAX_SOURCE_CHARS: usize = 200;

fn to_body(stored: StoredCalendar) -> CalendarBody {
    CalendarBody {
        year: stored.year,
        source: stored.source,
        days: stored
            .days
            .into_iter()
            .map(|d| CalendarDay {
                date: d.date,
                kind: match d.kind {
                    DayKind::Holiday => "holiday".into(),
                    DayKind::Workday => "workday".into(),
                },
                name: d.name,
            })
            .collect(),
        loaded_by: stored.loaded_by,
        loaded_at: stored.loaded_at,
    }
}

/// The calendar every working-day rule is judged on: all years loaded.
pub async fn calendar(state: &AppState) -> ApiResult<HolidayCalendar> {
    Ok(state
        .store
        .holiday_calendars()
        .await?
        .iter()
        .fold(HolidayCalendar::default(), |cal, year| {
            cal.with_year(year.year, &year.days)
        }))
}

/// Every year loaded, for whoever judges or reads working days.
pub async fn list(state: &AppState, actor: &Actor) -> ApiResult<Vec<CalendarBody>> {
    actor.require(&[
        Role::Admin,
        Role::Supervisor,
        Role::HospitalAdmin,
        Role::ClinicAdmin,
        Role::Physician,
    ])?;
    Ok(state
        .store
        .holiday_calendars()
        .await?
        .into_iter()
        .map(to_body)
        .collect())
}

/// Loads (or replaces) `year`'s schedule (admin): every date in the year once, workdays
/// on weekends.
pub async fn set(
    state: &AppState,
    actor: &Actor,
    year: i32,
    request: SetHolidayCalendar,
) -> ApiResult<CalendarBody> {
    actor.require(&[Role::Admin])?;
    let days = request
        .days
        .into_iter()
        .map(|d| {
            let kind = match d.kind.as_str() {
                "holiday" => DayKind::Holiday,
                "workday" => DayKind::Workday,
                other => {
                    return Err(ApiError::invalid(format!(
                        "days: kind {other:?} of {} is neither holiday nor workday",
                        d.date
                    )));
                }
            };
            Ok(ScheduledDay {
                date: d.date,
                kind,
                name: d.name.trim().to_owned(),
            })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    check_year(year, &days).map_err(invalid)?;
    let source = crate::domain::text::note("source", request.source.as_deref(), MAX_SOURCE_CHARS)?;
    let stored = StoredCalendar {
        year,
        days,
        source,
        loaded_by: Some(actor.user_id),
        loaded_at: state.now(),
    };
    let body = to_body(stored.clone());
    let audit = audit::audited(
        state,
        actor,
        Change {
            action: "holiday_calendar.set",
            object_type: "holiday_calendar",
            object_id: year.to_string(),
            before: None,
            after: Some(&body),
        },
    )?;
    state.store.put_holiday_calendar(&stored, audit).await?;
    Ok(body)
}
