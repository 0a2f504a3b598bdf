//! The service path: every scan goes through `service::attendance::attend` on a
//! manual clock set to the moment it reaches the server, activities are stored
//! as the activities endpoint stores them, and the scheduler closes the day.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use mobile_api::{AttendanceRequest, AttendanceResponse, Location, Problem};

use super::SyntheticError;
use super::plan::Plan;
use super::script::Scan;
use super::simulate::Tally;
use super::world::World;
use crate::domain::activity::{self, ActivityRecord};
use crate::domain::attendance::Action;
use crate::domain::clock::ManualClock;
use crate::domain::coords::Crs;
use crate::domain::kiosk_code::{self, CodeKind};
use crate::domain::organization::DEFAULT_TIMEZONE;
use crate::domain::window::local_date;
use crate::scheduler;
use crate::service::attendance;
use crate::state::AppState;
use crate::store::attendance::StoredResponse;

/// The kiosk code the phone read: the site's rotating code on its screen at the
/// scan, or the printed code of that local day.
pub fn qr_payload(
    plan: &Plan,
    world: &World,
    scan: &Scan,
    period_s: u32,
) -> Result<String, SyntheticError> {
    let site = &plan.geography.sites[scan.site];
    let secret = world.secrets[scan.site]
        .as_ref()
        .ok_or_else(|| SyntheticError::Invalid(format!("{} has no kiosk secret", site.name)))?;
    let issued = match site.code_kind {
        CodeKind::Rotating => {
            kiosk_code::issue_rotating(site.id, secret, scan.scanned_at, period_s)
        }
        CodeKind::Daily => kiosk_code::issue_daily(
            site.id,
            secret,
            local_date(scan.scanned_at, DEFAULT_TIMEZONE),
            DEFAULT_TIMEZONE,
        ),
    };
    Ok(issued.payload)
}

fn wire_crs(crs: Crs) -> mobile_api::Crs {
    match crs {
        Crs::Wgs84 => mobile_api::Crs::Wgs84,
        Crs::Gcj02 => mobile_api::Crs::Gcj02,
        Crs::Bd09 => mobile_api::Crs::Bd09,
    }
}

/// The request body the phone sends for `scan`.
pub fn request(
    plan: &Plan,
    world: &World,
    scan: &Scan,
    period_s: u32,
) -> Result<AttendanceRequest, SyntheticError> {
    Ok(AttendanceRequest {
        client_event_id: scan.client_event_id,
        qr_payload: qr_payload(plan, world, scan, period_s)?,
        device_id: scan.device_id.clone(),
        location: Location {
            lat: scan.reported.lat,
            lon: scan.reported.lon,
            accuracy_m: scan.accuracy_m,
            crs: wire_crs(scan.crs),
            is_mock: scan.is_mock,
            fix_time: Some(scan.fix_time),
        },
        scanned_at: scan.offline.then_some(scan.scanned_at),
        offline: scan.offline,
    })
}

/// Plays scans through the service layer.
pub struct Live<'a> {
    pub state: AppState,
    pub clock: Arc<ManualClock>,
    pub plan: &'a Plan,
    pub world: &'a World,
}

impl Live<'_> {
    pub async fn scan(&mut self, scan: &Scan, tally: &mut Tally) -> Result<(), SyntheticError> {
        self.clock.set(scan.received_at);
        let period = self.state.config.qr_period_seconds;
        let request = request(self.plan, self.world, scan, period)?;
        let physician_id = self.plan.physicians[scan.physician].id;
        let answer = attendance::attend(&self.state, physician_id, scan.action, &request).await?;
        let check_in = scan.action == Action::CheckIn;
        if let Some(answer) = tally.record_answer(&answer.response, check_in)?
            && scan.action == Action::CheckOut
        {
            self.log_activities(scan, &answer, tally).await?;
        }
        Ok(())
    }

    /// Stores the visit's workload as `POST /visits/{id}/activities` does.
    async fn log_activities(
        &mut self,
        scan: &Scan,
        answer: &AttendanceResponse,
        tally: &mut Tally,
    ) -> Result<(), SyntheticError> {
        let now = self.state.now();
        let physician_id = self.plan.physicians[scan.physician].id;
        let visit_date = local_date(scan.scanned_at, DEFAULT_TIMEZONE);
        for (kind, count) in &scan.activities {
            let note = activity::validate(*count, None, visit_date, DEFAULT_TIMEZONE, now)
                .map_err(|e| SyntheticError::Invalid(e.to_string()))?;
            let record = ActivityRecord {
                id: uuid::Uuid::new_v4(),
                visit_id: answer.visit_id,
                physician_id,
                kind: *kind,
                count: *count,
                note,
                supersedes_id: None,
                recorded_at: now,
            };
            self.state.store.insert_activity(&record).await?;
            tally.activities += 1;
        }
        Ok(())
    }

    /// The scheduler's tick at `at`: closes the visits whose day ended; with
    /// `judge_periods`, also a full tick that judges ended requirement periods.
    pub async fn tick(
        &mut self,
        at: DateTime<Utc>,
        judge_periods: bool,
        tally: &mut Tally,
    ) -> Result<(), SyntheticError> {
        self.clock.set(at);
        if judge_periods {
            let report = scheduler::run_once(&self.state).await?;
            tally.auto_closed += report.closed_visits as u64;
            tally.requirements_missed += report.requirements_missed as u64;
        } else {
            tally.auto_closed += attendance::close_ended_visits(&self.state).await? as u64;
        }
        Ok(())
    }
}

/// The answer's verdict, as the phone would read it.
pub fn read_answer(
    stored: &StoredResponse,
) -> Result<Result<AttendanceResponse, Problem>, SyntheticError> {
    if stored.status == 201 {
        serde_json::from_str(&stored.body)
            .map(Ok)
            .map_err(|e| SyntheticError::Invalid(format!("stored answer: {e}")))
    } else {
        serde_json::from_str(&stored.body)
            .map(Err)
            .map_err(|e| SyntheticError::Invalid(format!("stored problem: {e}")))
    }
}
