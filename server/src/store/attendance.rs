//! Attendance events, code uses, visits, bound devices and anomalies: written together
//! in one transaction per attempt, serialised per physician.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::{Store, StoreError, StoreResult, from_ms, on_pool, parse_uuid, to_ms};
use crate::domain::anomaly::{AnomalyKind, Finding};
use crate::domain::coords::LatLon;
use crate::domain::detectors::{Bounds, PastFix};

/// The answer given to an attempt, replayed to retries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub status: u16,
    pub body: String,
}

/// One attempt as stored, refused or not.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub id: Uuid,
    pub client_event_id: Uuid,
    pub physician_id: Uuid,
    pub action: &'static str,
    pub site_id: Option<Uuid>,
    pub assignment_id: Option<Uuid>,
    pub visit_id: Option<Uuid>,
    pub code_kind: Option<&'static str>,
    pub code_step: Option<i64>,
    pub device_id: String,
    pub lat: f64,
    pub lon: f64,
    pub reported_lat: f64,
    pub reported_lon: f64,
    pub crs: &'static str,
    pub accuracy_m: f64,
    pub is_mock: bool,
    pub fix_time: Option<DateTime<Utc>>,
    pub scanned_at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    pub verdict: &'static str,
    pub refusal_code: Option<&'static str>,
    pub reasons: Vec<String>,
    pub distance_to_fence_m: Option<f64>,
    pub geofence_version: Option<i64>,
    pub response: StoredResponse,
}

#[derive(Debug, Clone)]
pub struct CodeUse {
    pub site_id: Uuid,
    pub kind: &'static str,
    pub step: i64,
    pub slot: &'static str,
}

#[derive(Debug, Clone)]
pub enum VisitChange {
    None,
    Open {
        visit_id: Uuid,
        site_id: Uuid,
        assignment_id: Uuid,
        local_date: NaiveDate,
    },
    Close {
        visit_id: Uuid,
    },
}

/// Everything one accepted or refused attempt writes.
#[derive(Debug, Clone)]
pub struct AttendanceWrite {
    pub event: NewEvent,
    pub code_use: Option<CodeUse>,
    pub visit: VisitChange,
    pub findings: Vec<Finding>,
    /// Binds this device when the physician has none yet.
    pub bind_device: bool,
    /// The open visit the judgement assumed; the write is abandoned if it changed.
    pub expected_open_visit: Option<Uuid>,
    /// Pending presence checks this scan answers; the write is abandoned if any is no
    /// longer pending (expired by the scheduler, answered by another scan).
    pub answers_presence_checks: Vec<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteOutcome {
    Written,
    /// The same `client_event_id` was stored first: its answer.
    Duplicate(StoredResponse),
    /// Another attempt of the same physician changed the facts: judge again.
    StateChanged,
}

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

#[derive(sqlx::FromRow)]
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

const VISIT_COLUMNS: &str = "id, physician_id, site_id, assignment_id, local_date, checked_in_at, \
                             checked_out_at, status";

pub(super) const INSERT_ANOMALY: &str = "INSERT INTO anomalies (id, kind, severity, status, physician_id, \
    site_id, visit_id, event_ids, detected_at, detail) VALUES ($1, $2, $3, 'open', $4, $5, $6, $7, $8, $9)";

/// A new anomaly row's values.
struct AnomalyValues {
    kind: AnomalyKind,
    physician_id: Uuid,
    site_id: Option<Uuid>,
    visit_id: Option<Uuid>,
    event_ids: Vec<Uuid>,
    detected_at: DateTime<Utc>,
    detail: serde_json::Value,
}

macro_rules! insert_anomaly {
    ($executor:expr, $values:expr) => {{
        let v: &AnomalyValues = $values;
        let event_ids: Vec<String> = v.event_ids.iter().map(Uuid::to_string).collect();
        sqlx::query(INSERT_ANOMALY)
            .bind(Uuid::new_v4().to_string())
            .bind(v.kind.as_str())
            .bind(v.kind.severity().as_str())
            .bind(v.physician_id.to_string())
            .bind(v.site_id.map(|u| u.to_string()))
            .bind(v.visit_id.map(|u| u.to_string()))
            .bind(serde_json::to_string(&event_ids).unwrap_or_else(|_| "[]".into()))
            .bind(to_ms(v.detected_at))
            .bind(v.detail.to_string())
            .execute($executor)
            .await?;
    }};
}

/// The statements of one attempt's write, shared by [`write_attempt!`] and the SQLite
/// group commit's writer ([`super::group_commit`]).
pub(super) mod sql {
    pub(in crate::store) const LOCK: &str =
        "UPDATE users SET attendance_seq = attendance_seq + 1 WHERE id = $1";
    pub(in crate::store) const EXISTING: &str = "SELECT response_status, response_body FROM attendance_events \
                            WHERE physician_id = $1 AND client_event_id = $2";
    pub(in crate::store) const OPEN: &str = "SELECT id FROM visits WHERE open_physician = $1";
    pub(in crate::store) const USED: &str = "SELECT COUNT(*) FROM code_uses WHERE site_id = $1 AND code_kind = $2 \
                        AND code_step = $3 AND physician_id = $4 AND use_slot = $5";
    pub(in crate::store) const INSERT_EVENT: &str = "INSERT INTO attendance_events (id, client_event_id, physician_id, \
        action, site_id, assignment_id, visit_id, code_kind, code_step, device_id, lat, lon, \
        reported_lat, reported_lon, crs, accuracy_m, is_mock, fix_time, scanned_at, received_at, \
        verdict, refusal_code, reasons, distance_to_fence_m, geofence_version, response_status, \
        response_body) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, \
        $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27)";
    pub(in crate::store) const INSERT_USE: &str = "INSERT INTO code_uses (site_id, code_kind, code_step, physician_id, \
        use_slot, event_id) VALUES ($1, $2, $3, $4, $5, $6)";
    pub(in crate::store) const OPEN_VISIT: &str = "INSERT INTO visits (id, physician_id, site_id, assignment_id, \
        local_date, check_in_event_id, checked_in_at, status, open_physician) \
        VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', $2)";
    pub(in crate::store) const CLOSE_VISIT: &str = "UPDATE visits SET check_out_event_id = $2, checked_out_at = $3, \
        status = 'closed', closed_at = $4, open_physician = NULL WHERE id = $1 AND status = 'open'";
    pub(in crate::store) const BIND: &str = "INSERT INTO devices (physician_id, device_id, bound_at) VALUES ($1, $2, $3) \
                        ON CONFLICT (physician_id) DO NOTHING";
    pub(in crate::store) const ANSWER: &str = "UPDATE presence_checks SET status = 'answered', answered_event_id = $2, \
        resolved_at = $3 WHERE id = $1 AND status = 'pending'";
}

/// The statements of one attempt, run on `$conn` (a transaction or a savepoint in
/// one): an async block answering the [`WriteOutcome`]. The caller commits on
/// `Written` and rolls back otherwise, so nothing of a `Duplicate` or `StateChanged`
/// attempt stays. The physician's row is locked first (a no-op update), so two
/// attempts of one physician never interleave, on either database.
macro_rules! write_attempt {
    ($conn:expr, $write:expr) => {
        async {
            let conn = $conn;
            let write: &AttendanceWrite = $write;
            let e = &write.event;
            let physician = e.physician_id.to_string();
            let reasons = serde_json::to_string(&e.reasons)
                .map_err(|x| StoreError::Corrupt(x.to_string()))?;
            sqlx::query(sql::LOCK)
                .bind(&physician)
                .execute(&mut *conn)
                .await?;
            let existing: Option<(i64, String)> = sqlx::query_as(sql::EXISTING)
                .bind(&physician)
                .bind(e.client_event_id.to_string())
                .fetch_optional(&mut *conn)
                .await?;
            if let Some((status, body)) = existing {
                return Ok(WriteOutcome::Duplicate(StoredResponse {
                    status: u16::try_from(status).unwrap_or(500),
                    body,
                }));
            }
            let open: Option<(String,)> = sqlx::query_as(sql::OPEN)
                .bind(&physician)
                .fetch_optional(&mut *conn)
                .await?;
            let open = open.map(|(id,)| parse_uuid(&id)).transpose()?;
            let mut changed = open != write.expected_open_visit;
            if let Some(code) = &write.code_use {
                let (used,): (i64,) = sqlx::query_as(sql::USED)
                    .bind(code.site_id.to_string())
                    .bind(code.kind)
                    .bind(code.step)
                    .bind(&physician)
                    .bind(code.slot)
                    .fetch_one(&mut *conn)
                    .await?;
                changed |= used > 0;
            }
            if changed {
                return Ok(WriteOutcome::StateChanged);
            }
            sqlx::query(sql::INSERT_EVENT)
                .bind(e.id.to_string())
                .bind(e.client_event_id.to_string())
                .bind(&physician)
                .bind(e.action)
                .bind(e.site_id.map(|u| u.to_string()))
                .bind(e.assignment_id.map(|u| u.to_string()))
                .bind(e.visit_id.map(|u| u.to_string()))
                .bind(e.code_kind)
                .bind(e.code_step)
                .bind(&e.device_id)
                .bind(e.lat)
                .bind(e.lon)
                .bind(e.reported_lat)
                .bind(e.reported_lon)
                .bind(e.crs)
                .bind(e.accuracy_m)
                .bind(e.is_mock)
                .bind(e.fix_time.map(to_ms))
                .bind(to_ms(e.scanned_at))
                .bind(to_ms(e.received_at))
                .bind(e.verdict)
                .bind(e.refusal_code)
                .bind(&reasons)
                .bind(e.distance_to_fence_m)
                .bind(e.geofence_version)
                .bind(i64::from(e.response.status))
                .bind(&e.response.body)
                .execute(&mut *conn)
                .await?;
            if let Some(code) = &write.code_use {
                sqlx::query(sql::INSERT_USE)
                    .bind(code.site_id.to_string())
                    .bind(code.kind)
                    .bind(code.step)
                    .bind(&physician)
                    .bind(code.slot)
                    .bind(e.id.to_string())
                    .execute(&mut *conn)
                    .await?;
            }
            for check in &write.answers_presence_checks {
                let answered = sqlx::query(sql::ANSWER)
                    .bind(check.to_string())
                    .bind(e.id.to_string())
                    .bind(to_ms(e.received_at))
                    .execute(&mut *conn)
                    .await?;
                if answered.rows_affected() != 1 {
                    return Ok(WriteOutcome::StateChanged);
                }
            }
            let visit_id = match &write.visit {
                // A scan that changes no visit (presence) is about the visit it names.
                VisitChange::None => e.visit_id,
                VisitChange::Open {
                    visit_id,
                    site_id,
                    assignment_id,
                    local_date,
                } => {
                    sqlx::query(sql::OPEN_VISIT)
                        .bind(visit_id.to_string())
                        .bind(&physician)
                        .bind(site_id.to_string())
                        .bind(assignment_id.to_string())
                        .bind(local_date.to_string())
                        .bind(e.id.to_string())
                        .bind(to_ms(e.scanned_at))
                        .execute(&mut *conn)
                        .await?;
                    Some(*visit_id)
                }
                VisitChange::Close { visit_id } => {
                    let closed = sqlx::query(sql::CLOSE_VISIT)
                        .bind(visit_id.to_string())
                        .bind(e.id.to_string())
                        .bind(to_ms(e.scanned_at))
                        .bind(to_ms(e.received_at))
                        .execute(&mut *conn)
                        .await?;
                    if closed.rows_affected() != 1 {
                        return Ok(WriteOutcome::StateChanged);
                    }
                    Some(*visit_id)
                }
            };
            for finding in &write.findings {
                let values = AnomalyValues {
                    kind: finding.kind,
                    physician_id: e.physician_id,
                    site_id: e.site_id,
                    visit_id,
                    event_ids: vec![e.id],
                    detected_at: e.received_at,
                    detail: finding.detail.clone(),
                };
                insert_anomaly!(&mut *conn, &values);
            }
            if write.bind_device {
                sqlx::query(sql::BIND)
                    .bind(&physician)
                    .bind(&e.device_id)
                    .bind(to_ms(e.received_at))
                    .execute(&mut *conn)
                    .await?;
            }
            StoreResult::Ok(WriteOutcome::Written)
        }
    };
}

impl Store {
    /// The answer stored for a physician's `client_event_id`, if any.
    pub async fn stored_response(
        &self,
        physician_id: Uuid,
        client_event_id: Uuid,
    ) -> StoreResult<Option<StoredResponse>> {
        const SQL: &str = "SELECT response_status, response_body FROM attendance_events \
                           WHERE physician_id = $1 AND client_event_id = $2";
        let row: Option<(i64, String)> = on_pool!(self.db(), pool => sqlx::query_as(SQL)
            .bind(physician_id.to_string())
            .bind(client_event_id.to_string())
            .fetch_optional(pool)
            .await?);
        Ok(row.map(|(status, body)| StoredResponse {
            status: u16::try_from(status).unwrap_or(500),
            body,
        }))
    }

    pub async fn open_visit(&self, physician_id: Uuid) -> StoreResult<Option<VisitRecord>> {
        let sql = format!("SELECT {VISIT_COLUMNS} FROM visits WHERE open_physician = $1");
        let row: Option<VisitRow> = on_pool!(self.db(), pool =>
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(physician_id.to_string()).fetch_optional(pool).await?);
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
        let (count,): (i64,) = on_pool!(self.db(), pool => sqlx::query_as(SQL)
            .bind(code.site_id.to_string())
            .bind(code.kind)
            .bind(code.step)
            .bind(physician_id.to_string())
            .bind(code.slot)
            .fetch_one(pool)
            .await?);
        Ok(count > 0)
    }

    pub async fn bound_device(&self, physician_id: Uuid) -> StoreResult<Option<String>> {
        const SQL: &str = "SELECT device_id FROM devices WHERE physician_id = $1";
        let row: Option<(String,)> = on_pool!(self.db(), pool =>
            sqlx::query_as(SQL).bind(physician_id.to_string()).fetch_optional(pool).await?);
        Ok(row.map(|(d,)| d))
    }

    /// Writes one attempt atomically. On SQLite the attempt joins the group commit
    /// (one transaction and one disk flush for the attempts waiting together); on
    /// PostgreSQL it has a transaction of its own. Either way the outcome is answered
    /// only once the write is durable.
    pub async fn record_attendance(&self, write: &AttendanceWrite) -> StoreResult<WriteOutcome> {
        if let Some(writer) = &self.writer {
            return writer.submit(write.clone()).await;
        }
        on_pool!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            let outcome = write_attempt!(&mut *tx, write).await?;
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
        let values = |event: Uuid| AnomalyValues {
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
            let mut tx = pool.begin().await?;
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
                insert_anomaly!(&mut *tx, &values(parse_uuid(&event)?));
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

#[derive(sqlx::FromRow)]
struct FixRow {
    id: String,
    physician_id: String,
    device_id: String,
    lat: f64,
    lon: f64,
    accuracy_m: f64,
    scanned_at: i64,
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

const FIX_COLUMNS: &str = "id, physician_id, device_id, lat, lon, accuracy_m, scanned_at";

impl Store {
    /// The physician's latest accepted fix scanned at or before `at`.
    pub async fn previous_fix(
        &self,
        physician_id: Uuid,
        at: DateTime<Utc>,
    ) -> StoreResult<Option<PastFix>> {
        let sql = format!(
            "SELECT {FIX_COLUMNS} FROM attendance_events WHERE physician_id = $1 \
             AND verdict <> 'refused' AND scanned_at <= $2 ORDER BY scanned_at DESC, id LIMIT 1"
        );
        let row: Option<FixRow> = on_pool!(self.db(), pool => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(physician_id.to_string())
            .bind(to_ms(at))
            .fetch_optional(pool)
            .await?);
        row.map(PastFix::try_from).transpose()
    }

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
        let sql = format!(
            "SELECT {FIX_COLUMNS} FROM attendance_events WHERE site_id = $1 AND code_kind = $2 \
             AND code_step = $3 AND verdict <> 'refused' AND physician_id <> $4 \
             AND (device_id = $5 OR lat < $6 OR lat > $7 OR lon < $8 OR lon > $9) \
             ORDER BY scanned_at LIMIT 100"
        );
        let rows: Vec<FixRow> = on_pool!(self.db(), pool => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(site_id.to_string())
            .bind(kind)
            .bind(step)
            .bind(current.physician_id.to_string())
            .bind(&current.device_id)
            .bind(near.south_west.lat)
            .bind(near.north_east.lat)
            .bind(near.south_west.lon)
            .bind(near.north_east.lon)
            .fetch_all(pool)
            .await?);
        rows.into_iter().map(PastFix::try_from).collect()
    }

    /// Earlier events whose reported coordinates are exactly these.
    pub async fn identical_fixes(&self, reported: LatLon) -> StoreResult<Vec<(Uuid, LatLon)>> {
        const SQL: &str = "SELECT id, reported_lat, reported_lon FROM attendance_events \
                           WHERE reported_lat = $1 AND reported_lon = $2 LIMIT 5";
        let rows: Vec<(String, f64, f64)> = on_pool!(self.db(), pool => sqlx::query_as(SQL)
            .bind(reported.lat)
            .bind(reported.lon)
            .fetch_all(pool)
            .await?);
        rows.into_iter()
            .map(|(id, lat, lon)| Ok((parse_uuid(&id)?, LatLon::new(lat, lon))))
            .collect()
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
