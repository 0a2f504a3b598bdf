//! Physicians' appeals on visits and supervisors' decisions, and the attempts behind a
//! visit that its evidence pack lists.

use chrono::{DateTime, NaiveDate, Utc};
use mobile_api::{AppealStatus, EvidenceAttempt};
use uuid::Uuid;

use super::audit::{Provenance, audited_write};
use super::{Store, StoreError, StoreResult, decode_enum, from_ms, on_pool, parse_uuid, to_ms};
use crate::domain::jurisdiction::JurisdictionPath;

/// An appeal as stored, with the names the lists show.
#[derive(Debug, Clone, PartialEq)]
pub struct AppealRecord {
    pub id: Uuid,
    pub visit_id: Uuid,
    pub physician_id: Uuid,
    pub site_id: Uuid,
    pub note: String,
    pub status: AppealStatus,
    pub created_at: DateTime<Utc>,
    pub decided_by: Option<Uuid>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_note: Option<String>,
    // Read back only.
    pub physician_name: Option<String>,
    pub site_name: Option<String>,
    pub decided_by_name: Option<String>,
    pub local_date: Option<NaiveDate>,
    /// The site's jurisdiction path, for scope checks.
    pub jurisdiction_path: Option<String>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    visit_id: String,
    physician_id: String,
    site_id: String,
    note: String,
    status: String,
    created_at: i64,
    decided_by: Option<String>,
    decided_at: Option<i64>,
    decision_note: Option<String>,
    physician_name: Option<String>,
    site_name: Option<String>,
    decided_by_name: Option<String>,
    local_date: Option<String>,
    jurisdiction_path: Option<String>,
}

impl TryFrom<Row> for AppealRecord {
    type Error = StoreError;
    fn try_from(r: Row) -> StoreResult<AppealRecord> {
        Ok(AppealRecord {
            id: parse_uuid(&r.id)?,
            visit_id: parse_uuid(&r.visit_id)?,
            physician_id: parse_uuid(&r.physician_id)?,
            site_id: parse_uuid(&r.site_id)?,
            note: r.note,
            status: decode_enum(&r.status)?,
            created_at: from_ms(r.created_at)?,
            decided_by: r.decided_by.as_deref().map(parse_uuid).transpose()?,
            decided_at: r.decided_at.map(from_ms).transpose()?,
            decision_note: r.decision_note,
            physician_name: r.physician_name,
            site_name: r.site_name,
            decided_by_name: r.decided_by_name,
            local_date: r
                .local_date
                .as_deref()
                .map(|d| {
                    NaiveDate::parse_from_str(d, "%Y-%m-%d")
                        .map_err(|e| StoreError::Corrupt(e.to_string()))
                })
                .transpose()?,
            jurisdiction_path: r.jurisdiction_path,
        })
    }
}

const SELECT: &str = "SELECT a.id, a.visit_id, a.physician_id, a.site_id, a.note, a.status, \
    a.created_at, a.decided_by, a.decided_at, a.decision_note, p.name AS physician_name, \
    o.name AS site_name, d.name AS decided_by_name, v.local_date, j.path AS jurisdiction_path \
    FROM appeals a \
    LEFT JOIN users p ON p.id = a.physician_id \
    LEFT JOIN users d ON d.id = a.decided_by \
    LEFT JOIN organizations o ON o.id = a.site_id \
    LEFT JOIN jurisdictions j ON j.code = o.jurisdiction_code \
    LEFT JOIN visits v ON v.id = a.visit_id";

/// A stored attempt (scan) as the evidence pack lists it.
#[derive(sqlx::FromRow)]
struct AttemptRow {
    id: String,
    action: String,
    verdict: String,
    refusal_code: Option<String>,
    reasons: String,
    scanned_at: i64,
    received_at: i64,
    lat: f64,
    lon: f64,
    reported_lat: f64,
    reported_lon: f64,
    crs: String,
    accuracy_m: f64,
    is_mock: bool,
    fix_time: Option<i64>,
    device_id: String,
    code_kind: Option<String>,
    code_step: Option<i64>,
    geofence_version: Option<i64>,
    distance_to_fence_m: Option<f64>,
}

impl TryFrom<AttemptRow> for EvidenceAttempt {
    type Error = StoreError;
    fn try_from(row: AttemptRow) -> StoreResult<EvidenceAttempt> {
        Ok(EvidenceAttempt {
            event_id: parse_uuid(&row.id)?,
            action: row.action,
            verdict: row.verdict,
            refusal_code: row.refusal_code,
            reasons: serde_json::from_str(&row.reasons)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            scanned_at: from_ms(row.scanned_at)?,
            received_at: from_ms(row.received_at)?,
            lat: row.lat,
            lon: row.lon,
            reported_lat: row.reported_lat,
            reported_lon: row.reported_lon,
            crs: row.crs,
            accuracy_m: row.accuracy_m,
            is_mock: row.is_mock,
            fix_time: row.fix_time.map(from_ms).transpose()?,
            device_id: row.device_id,
            code_kind: row.code_kind,
            code_step: row.code_step,
            geofence_version: row.geofence_version,
            distance_to_fence_m: row.distance_to_fence_m,
        })
    }
}

impl Store {
    /// Records a new appeal with its audit entry.
    pub async fn insert_appeal(
        &self,
        appeal: &AppealRecord,
        provenance: Provenance,
    ) -> StoreResult<()> {
        const SQL: &str = "INSERT INTO appeals (id, visit_id, physician_id, site_id, note, \
            status, created_at, audit_seq) VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7)";
        audited_write!(
            self,
            provenance,
            SQL,
            [
                appeal.id.to_string(),
                appeal.visit_id.to_string(),
                appeal.physician_id.to_string(),
                appeal.site_id.to_string(),
                &appeal.note,
                to_ms(appeal.created_at),
            ],
        );
        Ok(())
    }

    /// Decides a pending appeal, once: a decided one is a [`StoreError::Conflict`].
    pub async fn decide_appeal(
        &self,
        id: Uuid,
        status: AppealStatus,
        by: Uuid,
        at: DateTime<Utc>,
        note: &str,
        provenance: Provenance,
    ) -> StoreResult<()> {
        const SQL: &str = "UPDATE appeals SET status = $2, decided_by = $3, decided_at = $4, \
            decision_note = $5, audit_seq = $6 WHERE id = $1 AND status = 'pending'";
        audited_write!(
            self,
            provenance,
            SQL,
            [
                id.to_string(),
                status.as_str(),
                by.to_string(),
                to_ms(at),
                note,
            ],
            unless_one_row = StoreError::Conflict("the appeal was already decided".into()),
        );
        Ok(())
    }

    pub async fn appeal(&self, id: Uuid) -> StoreResult<Option<AppealRecord>> {
        let sql = format!("{SELECT} WHERE a.id = $1");
        let row: Option<Row> = on_pool!(self.db(), pool => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(id.to_string())
            .fetch_optional(pool)
            .await?);
        row.map(AppealRecord::try_from).transpose()
    }

    /// A visit's appeals, oldest first.
    pub async fn appeals_of_visit(&self, visit_id: Uuid) -> StoreResult<Vec<AppealRecord>> {
        let sql = format!("{SELECT} WHERE a.visit_id = $1 ORDER BY a.created_at, a.id");
        let rows: Vec<Row> = on_pool!(self.db(), pool => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(visit_id.to_string())
            .fetch_all(pool)
            .await?);
        rows.into_iter().map(AppealRecord::try_from).collect()
    }

    /// Appeals at sites in `within` (all when `None`), of `status` when given, oldest
    /// first (the queue's order), at most `limit`.
    pub async fn list_appeals(
        &self,
        within: Option<&JurisdictionPath>,
        status: Option<AppealStatus>,
        limit: u32,
    ) -> StoreResult<Vec<AppealRecord>> {
        let sql = format!(
            "{SELECT} WHERE ($1 = '' OR j.path = $1 OR j.path LIKE $2) \
             AND ($3 = '' OR a.status = $3) ORDER BY a.created_at, a.id LIMIT $4"
        );
        let (root, below) = match within {
            Some(path) => (path.as_str().to_owned(), format!("{}/%", path.as_str())),
            None => (String::new(), String::new()),
        };
        let rows: Vec<Row> = on_pool!(self.db(), pool => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(root)
            .bind(below)
            .bind(status.map(AppealStatus::as_str).unwrap_or_default())
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?);
        rows.into_iter().map(AppealRecord::try_from).collect()
    }

    /// The attempts behind a visit: its own scans, and the physician's refused
    /// attempts at the site received within `from..before` (the visit's local day).
    pub async fn evidence_attempts(
        &self,
        visit_id: Uuid,
        physician_id: Uuid,
        site_id: Uuid,
        from: DateTime<Utc>,
        before: DateTime<Utc>,
    ) -> StoreResult<Vec<EvidenceAttempt>> {
        const SQL: &str = "SELECT id, action, verdict, refusal_code, reasons, scanned_at, \
            received_at, lat, lon, reported_lat, reported_lon, crs, accuracy_m, is_mock, \
            fix_time, device_id, code_kind, code_step, geofence_version, distance_to_fence_m \
            FROM attendance_events \
            WHERE id IN (SELECT check_in_event_id FROM visits WHERE id = $1 \
                UNION ALL SELECT check_out_event_id FROM visits WHERE id = $1) \
            OR (action = 'presence' AND visit_id = $1) \
            OR (physician_id = $2 AND site_id = $3 AND verdict = 'refused' \
                AND received_at >= $4 AND received_at < $5) \
            ORDER BY received_at, id";
        let rows: Vec<AttemptRow> = on_pool!(self.db(), pool => sqlx::query_as(SQL)
            .bind(visit_id.to_string())
            .bind(physician_id.to_string())
            .bind(site_id.to_string())
            .bind(to_ms(from))
            .bind(to_ms(before))
            .fetch_all(pool)
            .await?);
        rows.into_iter().map(EvidenceAttempt::try_from).collect()
    }
}
