//! The bulk path's writer: the rows one simulated half-day produced, inserted in
//! one transaction of multi-row `INSERT`s (parents before children), with the
//! columns and encodings the store uses.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::domain::anomaly::AnomalyKind;
use crate::domain::requirements::ActivityKind;
use crate::on_pool;
use crate::state::AppState;
use crate::store::attendance::NewEvent;
use crate::store::{StoreError, to_ms};

/// Rows per multi-row `INSERT` (27 columns x 1000 stays under SQLite's 32,766
/// parameters and PostgreSQL's 65,535).
const CHUNK: usize = 1000;

/// A visit, inserted once closed (checked out or closed at midnight).
pub(super) struct VisitRow {
    pub(super) id: Uuid,
    pub(super) physician_id: Uuid,
    pub(super) site_id: Uuid,
    pub(super) assignment_id: Uuid,
    pub(super) local_date: NaiveDate,
    pub(super) check_in_event_id: Uuid,
    pub(super) checked_in_at: DateTime<Utc>,
    pub(super) check_out_event_id: Option<Uuid>,
    pub(super) checked_out_at: Option<DateTime<Utc>>,
    pub(super) status: &'static str,
    pub(super) closed_at: DateTime<Utc>,
}

/// An anomaly raised on one event (its only `event_ids` entry).
pub(super) struct AnomalyRow {
    pub(super) kind: AnomalyKind,
    pub(super) physician_id: Uuid,
    pub(super) site_id: Option<Uuid>,
    pub(super) visit_id: Option<Uuid>,
    pub(super) event_id: Uuid,
    pub(super) detected_at: DateTime<Utc>,
    pub(super) detail: serde_json::Value,
}

/// One use of a kiosk code by an accepted scan.
pub(super) struct CodeUseRow {
    pub(super) site_id: Uuid,
    pub(super) kind: &'static str,
    pub(super) step: i64,
    pub(super) physician_id: Uuid,
    pub(super) slot: &'static str,
    pub(super) event_id: Uuid,
}

/// Work logged on a visit (never amended by the simulation).
pub(super) struct ActivityRow {
    pub(super) visit_id: Uuid,
    pub(super) physician_id: Uuid,
    pub(super) kind: ActivityKind,
    pub(super) count: u32,
    pub(super) recorded_at: DateTime<Utc>,
}

/// Rows waiting for the next batch.
#[derive(Default)]
pub(super) struct Pending {
    pub(super) events: Vec<NewEvent>,
    pub(super) visits: Vec<VisitRow>,
    pub(super) code_uses: Vec<CodeUseRow>,
    pub(super) anomalies: Vec<AnomalyRow>,
    pub(super) activities: Vec<ActivityRow>,
    pub(super) devices: Vec<(Uuid, String, DateTime<Utc>)>,
}

fn json_text<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "[]".into())
}

/// One transaction of multi-row inserts, children after their parents.
pub(super) async fn write_batch(state: &AppState, p: &Pending) -> Result<(), StoreError> {
    if p.events.is_empty() && p.visits.is_empty() && p.anomalies.is_empty() && p.devices.is_empty()
    {
        return Ok(());
    }
    on_pool!(state.store.db(), pool => {
        let mut tx = pool.begin().await?;
        for chunk in p.events.chunks(CHUNK) {
            let mut q = sqlx::QueryBuilder::new(
                "INSERT INTO attendance_events (id, client_event_id, physician_id, action, site_id, \
                 assignment_id, visit_id, code_kind, code_step, device_id, lat, lon, reported_lat, \
                 reported_lon, crs, accuracy_m, is_mock, fix_time, scanned_at, received_at, verdict, \
                 refusal_code, reasons, distance_to_fence_m, geofence_version, response_status, \
                 response_body) ",
            );
            q.push_values(chunk, |mut b, e| {
                b.push_bind(e.id.to_string())
                    .push_bind(e.client_event_id.to_string())
                    .push_bind(e.physician_id.to_string())
                    .push_bind(e.action)
                    .push_bind(e.site_id.map(|u| u.to_string()))
                    .push_bind(e.assignment_id.map(|u| u.to_string()))
                    .push_bind(e.visit_id.map(|u| u.to_string()))
                    .push_bind(e.code_kind)
                    .push_bind(e.code_step)
                    .push_bind(e.device_id.clone())
                    .push_bind(e.lat)
                    .push_bind(e.lon)
                    .push_bind(e.reported_lat)
                    .push_bind(e.reported_lon)
                    .push_bind(e.crs)
                    .push_bind(e.accuracy_m)
                    .push_bind(e.is_mock)
                    .push_bind(e.fix_time.map(to_ms))
                    .push_bind(to_ms(e.scanned_at))
                    .push_bind(to_ms(e.received_at))
                    .push_bind(e.verdict)
                    .push_bind(e.refusal_code)
                    .push_bind(json_text(&e.reasons))
                    .push_bind(e.distance_to_fence_m)
                    .push_bind(e.geofence_version)
                    .push_bind(i64::from(e.response.status))
                    .push_bind(e.response.body.clone());
            });
            q.build().execute(&mut *tx).await?;
        }
        for chunk in p.visits.chunks(CHUNK) {
            let mut q = sqlx::QueryBuilder::new(
                "INSERT INTO visits (id, physician_id, site_id, assignment_id, local_date, \
                 check_in_event_id, checked_in_at, check_out_event_id, checked_out_at, status, \
                 closed_at, open_physician) ",
            );
            q.push_values(chunk, |mut b, v| {
                b.push_bind(v.id.to_string())
                    .push_bind(v.physician_id.to_string())
                    .push_bind(v.site_id.to_string())
                    .push_bind(v.assignment_id.to_string())
                    .push_bind(v.local_date.to_string())
                    .push_bind(v.check_in_event_id.to_string())
                    .push_bind(to_ms(v.checked_in_at))
                    .push_bind(v.check_out_event_id.map(|u| u.to_string()))
                    .push_bind(v.checked_out_at.map(to_ms))
                    .push_bind(v.status)
                    .push_bind(to_ms(v.closed_at))
                    .push_bind(None::<String>);
            });
            q.build().execute(&mut *tx).await?;
        }
        for chunk in p.code_uses.chunks(CHUNK) {
            let mut q = sqlx::QueryBuilder::new(
                "INSERT INTO code_uses (site_id, code_kind, code_step, physician_id, use_slot, event_id) ",
            );
            q.push_values(chunk, |mut b, c| {
                b.push_bind(c.site_id.to_string())
                    .push_bind(c.kind)
                    .push_bind(c.step)
                    .push_bind(c.physician_id.to_string())
                    .push_bind(c.slot)
                    .push_bind(c.event_id.to_string());
            });
            q.build().execute(&mut *tx).await?;
        }
        for chunk in p.anomalies.chunks(CHUNK) {
            let mut q = sqlx::QueryBuilder::new(
                "INSERT INTO anomalies (id, kind, severity, status, physician_id, site_id, visit_id, \
                 event_ids, detected_at, detail) ",
            );
            q.push_values(chunk, |mut b, a| {
                b.push_bind(Uuid::new_v4().to_string())
                    .push_bind(a.kind.as_str())
                    .push_bind(a.kind.severity().as_str())
                    .push_bind("open")
                    .push_bind(a.physician_id.to_string())
                    .push_bind(a.site_id.map(|u| u.to_string()))
                    .push_bind(a.visit_id.map(|u| u.to_string()))
                    .push_bind(json_text(&[a.event_id.to_string()]))
                    .push_bind(to_ms(a.detected_at))
                    .push_bind(a.detail.to_string());
            });
            q.build().execute(&mut *tx).await?;
        }
        for chunk in p.activities.chunks(CHUNK) {
            let mut q = sqlx::QueryBuilder::new(
                "INSERT INTO activities (id, visit_id, physician_id, kind, count, note, \
                 supersedes_id, recorded_at) ",
            );
            q.push_values(chunk, |mut b, a| {
                b.push_bind(Uuid::new_v4().to_string())
                    .push_bind(a.visit_id.to_string())
                    .push_bind(a.physician_id.to_string())
                    .push_bind(a.kind.as_str())
                    .push_bind(i64::from(a.count))
                    .push_bind(None::<String>)
                    .push_bind(None::<String>)
                    .push_bind(to_ms(a.recorded_at));
            });
            q.build().execute(&mut *tx).await?;
        }
        for chunk in p.devices.chunks(CHUNK) {
            let mut q = sqlx::QueryBuilder::new("INSERT INTO devices (physician_id, device_id, bound_at) ");
            q.push_values(chunk, |mut b, (physician, device, at)| {
                b.push_bind(physician.to_string()).push_bind(device.clone()).push_bind(to_ms(*at));
            });
            q.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
    });
    Ok(())
}
