//! Attendance events, code uses, visits, bound devices and anomalies: written together
//! in one transaction per attempt, serialised per physician.

use std::sync::LazyLock;

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::attempt::{AttemptPlan, Found};
pub use super::attempt::{
    AttendanceWrite, CodeUse, NewEvent, StoredResponse, VisitChange, WriteOutcome,
};
use super::audit::BeginWrite;
use super::columns::{Columns, FromColumns, from_row};
use super::statement::{Step, bind_step};
use super::supervision::NewAnomaly;
use super::{Store, StoreError, StoreResult, from_ms, on_pool, parse_uuid, to_ms};
use crate::domain::anomaly::AnomalyKind;
use crate::domain::coords::LatLon;
use crate::domain::detectors::{Bounds, PastFix};

/// A visit as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct VisitRecord {
    pub id: Uuid,
    pub physician_id: Uuid,
    pub site_id: Uuid,
    pub assignment_id: Uuid,
    pub local_date: NaiveDate,
    pub checked_in_at: DateTime<Utc>,
    pub checked_out_at: Option<DateTime<Utc>>,
    /// `open`, `closed` or `auto_closed`.
    pub status: String,
}

pub(super) struct VisitRow {
    id: String,
    physician_id: String,
    site_id: String,
    assignment_id: String,
    local_date: String,
    checked_in_at: i64,
    checked_out_at: Option<i64>,
    status: String,
}

impl FromColumns for VisitRow {
    fn from_columns(row: &impl Columns) -> StoreResult<VisitRow> {
        Ok(VisitRow {
            id: row.get("id")?,
            physician_id: row.get("physician_id")?,
            site_id: row.get("site_id")?,
            assignment_id: row.get("assignment_id")?,
            local_date: row.get("local_date")?,
            checked_in_at: row.get("checked_in_at")?,
            checked_out_at: row.get("checked_out_at")?,
            status: row.get("status")?,
        })
    }
}
from_row!(VisitRow);

impl TryFrom<VisitRow> for VisitRecord {
    type Error = StoreError;
    fn try_from(row: VisitRow) -> StoreResult<VisitRecord> {
        Ok(VisitRecord {
            id: parse_uuid(&row.id)?,
            physician_id: parse_uuid(&row.physician_id)?,
            site_id: parse_uuid(&row.site_id)?,
            assignment_id: parse_uuid(&row.assignment_id)?,
            local_date: row
                .local_date
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("date {:?}", row.local_date)))?,
            checked_in_at: from_ms(row.checked_in_at)?,
            checked_out_at: row.checked_out_at.map(from_ms).transpose()?,
            status: row.status,
        })
    }
}

/// An anomaly as far as a visit's credit cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitAnomaly {
    pub visit_id: Uuid,
    pub kind: String,
    pub status: String,
}

/// An anomaly on a visit with its stored facts, for its sentence.
#[derive(Debug, Clone, PartialEq)]
pub struct VisitAnomalyFacts {
    pub anomaly: VisitAnomaly,
    pub detail: serde_json::Value,
}

const VISIT_COLUMNS: &str = "id, physician_id, site_id, assignment_id, local_date, checked_in_at, \
                             checked_out_at, status";

/// Runs an [`AttemptPlan`] on `$conn` (a transaction): an async block answering the
/// [`WriteOutcome`]; the caller commits on `Written` and rolls back otherwise.
macro_rules! run_plan {
    ($conn:expr, $plan:expr) => {
        async {
            let conn = $conn;
            let plan: &AttemptPlan = $plan;
            bind_step!(sqlx::query(plan.lock.sql), &plan.lock)
                .execute(&mut *conn)
                .await?;
            let stored: Option<(i64, String)> =
                bind_step!(sqlx::query_as(plan.existing.sql), &plan.existing)
                    .fetch_optional(&mut *conn)
                    .await?;
            let open_visit: Option<(String,)> =
                bind_step!(sqlx::query_as(plan.open.sql), &plan.open)
                    .fetch_optional(&mut *conn)
                    .await?;
            let code_uses = match &plan.used {
                Some(step) => {
                    let (uses,): (i64,) = bind_step!(sqlx::query_as(step.sql), step)
                        .fetch_one(&mut *conn)
                        .await?;
                    uses
                }
                None => 0,
            };
            let found = Found {
                stored,
                open_visit: open_visit.map(|(id,)| id),
                code_uses,
            };
            if let Some(outcome) = plan.judge(found)? {
                return Ok(outcome);
            }
            for step in &plan.writes {
                let done = bind_step!(sqlx::query(step.sql), step)
                    .execute(&mut *conn)
                    .await?;
                if step.changes_one_row && done.rows_affected() != 1 {
                    return Ok(WriteOutcome::StateChanged);
                }
            }
            StoreResult::Ok(WriteOutcome::Written)
        }
    };
}

impl Store {
    pub async fn open_visit(&self, physician_id: Uuid) -> StoreResult<Option<VisitRecord>> {
        static SQL: LazyLock<String> = LazyLock::new(|| {
            format!("SELECT {VISIT_COLUMNS} FROM visits WHERE open_physician = $1")
        });
        let query = Step::new(&SQL, vec![physician_id.to_string().into()]);
        let row: Option<VisitRow> = self.read_first(&query).await?;
        row.map(VisitRecord::try_from).transpose()
    }

    /// Every open visit with its site's time zone (for closing at the end of the day).
    pub async fn open_visits(&self) -> StoreResult<Vec<(VisitRecord, String)>> {
        const SQL: &str = "SELECT v.id, v.physician_id, v.site_id, v.assignment_id, v.local_date, \
            v.checked_in_at, v.checked_out_at, v.status, o.timezone \
            FROM visits v JOIN organizations o ON o.id = v.site_id WHERE v.status = 'open'";
        #[derive(sqlx::FromRow)]
        struct Row {
            #[sqlx(flatten)]
            visit: VisitRow,
            timezone: String,
        }
        let rows: Vec<Row> =
            on_pool!(self.db(), pool => sqlx::query_as(SQL).fetch_all(pool).await?);
        rows.into_iter()
            .map(|r| Ok((VisitRecord::try_from(r.visit)?, r.timezone)))
            .collect()
    }

    pub async fn code_used(&self, physician_id: Uuid, code: &CodeUse) -> StoreResult<bool> {
        const SQL: &str = "SELECT COUNT(*) FROM code_uses WHERE site_id = $1 AND code_kind = $2 \
                           AND code_step = $3 AND physician_id = $4 AND use_slot = $5";
        let query = Step::new(
            SQL,
            vec![
                code.site_id.to_string().into(),
                code.kind.into(),
                code.step.into(),
                physician_id.to_string().into(),
                code.slot.into(),
            ],
        );
        let count: Option<(i64,)> = self.read_first(&query).await?;
        Ok(count.is_some_and(|(count,)| count > 0))
    }

    pub async fn bound_device(&self, physician_id: Uuid) -> StoreResult<Option<String>> {
        const SQL: &str = "SELECT device_id FROM devices WHERE physician_id = $1";
        let query = Step::new(SQL, vec![physician_id.to_string().into()]);
        let row: Option<(String,)> = self.read_first(&query).await?;
        Ok(row.map(|(d,)| d))
    }

    /// Writes one attempt atomically. On either database the attempt joins a group
    /// commit (one transaction and one disk flush for the attempts waiting together;
    /// on PostgreSQL two round trips an attempt, see [`super::pg_commit`]). Either way
    /// the outcome is answered only once the write is durable.
    pub async fn record_attendance(&self, write: &AttendanceWrite) -> StoreResult<WriteOutcome> {
        let plan = AttemptPlan::new(write)?;
        if let Some(writer) = &self.writer {
            return writer.submit(plan).await;
        }
        if let Some(writer) = &self.pg_writer
            && let Some(attempt) = super::pg_commit::OneStatement::of(&plan)
        {
            return writer.submit(attempt).await;
        }
        on_pool!(self.db(), pool => {
            let mut tx = pool.begin_write().await?;
            let outcome = run_plan!(&mut *tx, &plan).await?;
            if outcome == WriteOutcome::Written {
                tx.commit().await?;
            } else {
                tx.rollback().await?;
            }
            Ok(outcome)
        })
    }

    /// Closes an open visit at `closed_at` without a check-out and raises
    /// `missing_checkout`. False when it was no longer open (another process won).
    pub async fn auto_close_visit(
        &self,
        visit: &VisitRecord,
        closed_at: DateTime<Utc>,
        detected_at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        const CLOSE: &str = "UPDATE visits SET status = 'auto_closed', closed_at = $2, \
            open_physician = NULL WHERE id = $1 AND status = 'open'";
        const CHECK_IN_EVENT: &str = "SELECT check_in_event_id FROM visits WHERE id = $1";
        let values = |event: Uuid| NewAnomaly {
            id: Uuid::new_v4(),
            kind: AnomalyKind::MissingCheckout,
            physician_id: visit.physician_id,
            site_id: Some(visit.site_id),
            visit_id: Some(visit.id),
            event_ids: vec![event],
            detected_at,
            detail: serde_json::json!({
                "checked_in_at": visit.checked_in_at,
                "closed_at": closed_at,
                "local_date": visit.local_date,
            }),
        };
        let closed = on_pool!(self.db(), pool => {
            let mut tx = pool.begin_write().await?;
            let done = sqlx::query(CLOSE)
                .bind(visit.id.to_string())
                .bind(to_ms(closed_at))
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 1 {
                let (event,): (String,) = sqlx::query_as(CHECK_IN_EVENT)
                    .bind(visit.id.to_string())
                    .fetch_one(&mut *tx)
                    .await?;
                let anomaly = values(parse_uuid(&event)?).insert();
                bind_step!(sqlx::query(anomaly.sql), &anomaly)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                true
            } else {
                tx.rollback().await?;
                false
            }
        });
        Ok(closed)
    }

    /// One visit by id.
    pub async fn visit(&self, id: Uuid) -> StoreResult<Option<VisitRecord>> {
        let sql = format!("SELECT {VISIT_COLUMNS} FROM visits WHERE id = $1");
        let row: Option<VisitRow> = on_pool!(self.db(), pool => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(id.to_string())
            .fetch_optional(pool)
            .await?);
        row.map(VisitRecord::try_from).transpose()
    }

    /// A physician's visits with a local date in `from..=to`, newest first.
    pub async fn visits_of(
        &self,
        physician_id: Uuid,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<VisitRecord>> {
        let sql = format!(
            "SELECT {VISIT_COLUMNS} FROM visits WHERE physician_id = $1 AND local_date >= $2 \
             AND local_date <= $3 ORDER BY checked_in_at DESC, id"
        );
        let rows: Vec<VisitRow> = on_pool!(self.db(), pool => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(physician_id.to_string())
            .bind(from.to_string())
            .bind(to.to_string())
            .fetch_all(pool)
            .await?);
        rows.into_iter().map(VisitRecord::try_from).collect()
    }

    /// The anomalies attached to a physician's visits with a local date in `from..=to`.
    /// The anomalies on a physician's visits in `from..=to` (local dates), oldest
    /// first, with their stored facts: what the visits' credit and sentences are made
    /// of.
    pub async fn visit_anomaly_facts_of(
        &self,
        physician_id: Uuid,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<VisitAnomalyFacts>> {
        const SQL: &str = "SELECT a.visit_id, a.kind, a.status, a.detail FROM anomalies a \
            JOIN visits v ON v.id = a.visit_id \
            WHERE v.physician_id = $1 AND v.local_date >= $2 AND v.local_date <= $3 \
            ORDER BY a.detected_at, a.id";
        let rows: Vec<(String, String, String, String)> = on_pool!(self.db(), pool => sqlx::query_as(SQL)
            .bind(physician_id.to_string())
            .bind(from.to_string())
            .bind(to.to_string())
            .fetch_all(pool)
            .await?);
        rows.into_iter()
            .map(|(visit, kind, status, detail)| {
                let visit_id = parse_uuid(&visit)?;
                let detail = serde_json::from_str(&detail)
                    .map_err(|_| StoreError::Corrupt(format!("anomaly detail on visit {visit}")))?;
                Ok(VisitAnomalyFacts {
                    anomaly: VisitAnomaly {
                        visit_id,
                        kind,
                        status,
                    },
                    detail,
                })
            })
            .collect()
    }

    pub async fn visit_anomalies_of(
        &self,
        physician_id: Uuid,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<VisitAnomaly>> {
        const SQL: &str = "SELECT a.visit_id, a.kind, a.status FROM anomalies a \
            JOIN visits v ON v.id = a.visit_id \
            WHERE v.physician_id = $1 AND v.local_date >= $2 AND v.local_date <= $3";
        let rows: Vec<(String, String, String)> = on_pool!(self.db(), pool => sqlx::query_as(SQL)
            .bind(physician_id.to_string())
            .bind(from.to_string())
            .bind(to.to_string())
            .fetch_all(pool)
            .await?);
        rows.into_iter()
            .map(|(visit, kind, status)| {
                Ok(VisitAnomaly {
                    visit_id: parse_uuid(&visit)?,
                    kind,
                    status,
                })
            })
            .collect()
    }
}

pub(super) struct FixRow {
    id: String,
    physician_id: String,
    pub(super) device_id: String,
    lat: f64,
    lon: f64,
    accuracy_m: f64,
    scanned_at: i64,
}

impl FromColumns for FixRow {
    fn from_columns(row: &impl Columns) -> StoreResult<FixRow> {
        Ok(FixRow {
            id: row.get("id")?,
            physician_id: row.get("physician_id")?,
            device_id: row.get("device_id")?,
            lat: row.get("lat")?,
            lon: row.get("lon")?,
            accuracy_m: row.get("accuracy_m")?,
            scanned_at: row.get("scanned_at")?,
        })
    }
}

impl TryFrom<FixRow> for PastFix {
    type Error = StoreError;
    fn try_from(row: FixRow) -> StoreResult<PastFix> {
        Ok(PastFix {
            event_id: parse_uuid(&row.id)?,
            physician_id: parse_uuid(&row.physician_id)?,
            device_id: row.device_id,
            point: LatLon::new(row.lat, row.lon),
            accuracy_m: row.accuracy_m,
            at: from_ms(row.scanned_at)?,
        })
    }
}

pub(super) const FIX_COLUMNS: &str =
    "id, physician_id, device_id, lat, lon, accuracy_m, scanned_at";

impl Store {
    /// Accepted uses of one kiosk code by physicians other than `current`'s that might
    /// raise `code_shared`: from `current`'s device, or from outside `near` (see
    /// [`crate::domain::detectors::surely_near`]), earliest first.
    pub async fn code_share_suspects(
        &self,
        site_id: Uuid,
        kind: &str,
        step: i64,
        current: &PastFix,
        near: &Bounds,
    ) -> StoreResult<Vec<PastFix>> {
        static SQL: LazyLock<String> = LazyLock::new(|| {
            format!(
                "SELECT {FIX_COLUMNS} FROM attendance_events WHERE site_id = $1 \
                 AND code_kind = $2 AND code_step = $3 AND verdict <> 'refused' \
                 AND physician_id <> $4 \
                 AND (device_id = $5 OR lat < $6 OR lat > $7 OR lon < $8 OR lon > $9) \
                 ORDER BY scanned_at LIMIT 100"
            )
        });
        let query = Step::new(
            &SQL,
            vec![
                site_id.to_string().into(),
                kind.into(),
                step.into(),
                current.physician_id.to_string().into(),
                current.device_id.as_str().into(),
                near.south_west.lat.into(),
                near.north_east.lat.into(),
                near.south_west.lon.into(),
                near.north_east.lon.into(),
            ],
        );
        let rows: Vec<FixRow> = self.read_all(&query).await?;
        rows.into_iter().map(PastFix::try_from).collect()
    }
}

/// One stored attempt's fix and verdict, for drawing it next to its fence.
#[derive(Debug, Clone, PartialEq)]
pub struct EventFix {
    pub id: Uuid,
    pub physician_id: Uuid,
    pub site_id: Option<Uuid>,
    pub action: String,
    pub device_id: String,
    /// WGS-84.
    pub point: LatLon,
    pub accuracy_m: f64,
    pub is_mock: bool,
    pub scanned_at: DateTime<Utc>,
    pub verdict: String,
    pub distance_to_fence_m: Option<f64>,
    pub geofence_version: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct EventFixRow {
    id: String,
    physician_id: String,
    site_id: Option<String>,
    action: String,
    device_id: String,
    lat: f64,
    lon: f64,
    accuracy_m: f64,
    is_mock: bool,
    scanned_at: i64,
    verdict: String,
    distance_to_fence_m: Option<f64>,
    geofence_version: Option<i64>,
}

impl Store {
    pub async fn event_fix(&self, id: Uuid) -> StoreResult<Option<EventFix>> {
        const SQL: &str = "SELECT id, physician_id, site_id, action, device_id, lat, lon, \
            accuracy_m, is_mock, scanned_at, verdict, distance_to_fence_m, geofence_version \
            FROM attendance_events WHERE id = $1";
        let row: Option<EventFixRow> = on_pool!(self.db(), pool =>
            sqlx::query_as(SQL).bind(id.to_string()).fetch_optional(pool).await?);
        row.map(|r| {
            Ok(EventFix {
                id: parse_uuid(&r.id)?,
                physician_id: parse_uuid(&r.physician_id)?,
                site_id: super::parse_opt_uuid(r.site_id)?,
                action: r.action,
                device_id: r.device_id,
                point: LatLon::new(r.lat, r.lon),
                accuracy_m: r.accuracy_m,
                is_mock: r.is_mock,
                scanned_at: from_ms(r.scanned_at)?,
                verdict: r.verdict,
                distance_to_fence_m: r.distance_to_fence_m,
                geofence_version: r.geofence_version,
            })
        })
        .transpose()
    }

    /// A visit's check-in event and, when there is one, its check-out event.
    pub async fn visit_event_ids(&self, visit_id: Uuid) -> StoreResult<Vec<Uuid>> {
        const SQL: &str = "SELECT check_in_event_id, check_out_event_id FROM visits WHERE id = $1";
        let row: Option<(String, Option<String>)> = on_pool!(self.db(), pool =>
            sqlx::query_as(SQL).bind(visit_id.to_string()).fetch_optional(pool).await?);
        let Some((check_in, check_out)) = row else {
            return Ok(Vec::new());
        };
        let mut events = vec![parse_uuid(&check_in)?];
        events.extend(super::parse_opt_uuid(check_out)?);
        Ok(events)
    }
}
