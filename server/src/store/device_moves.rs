//! Requests to move a physician's device binding to a new phone, and their decisions
//! (an approval rebinds the physician in the same transaction). Audited.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::audit::{AuditTx, BeginWrite, Provenance};
use super::{Store, StoreError, StoreResult, from_ms, on_pool, parse_opt_uuid, parse_uuid, to_ms};

/// One request as stored, with its physician's name and placement.
#[derive(Debug, Clone, PartialEq)]
pub struct MoveRequestRecord {
    pub id: Uuid,
    pub physician_id: Uuid,
    pub physician_name: String,
    pub organization_id: Option<Uuid>,
    /// The physician's hospital's jurisdiction path, for scope checks.
    pub jurisdiction_path: Option<String>,
    pub current_device_id: Option<String>,
    pub device_id: String,
    pub note: Option<String>,
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub decided_by: Option<Uuid>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_note: Option<String>,
    pub self_service: bool,
}

type Row = (
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    Option<String>,
    String,
    i64,
    Option<String>,
    Option<i64>,
    Option<String>,
    i64,
);

const SELECT: &str = "SELECT r.id, r.physician_id, u.name, u.organization_id, j.path, \
    d.device_id, r.device_id, r.note, r.status, r.created_at, r.decided_by, r.decided_at, \
    r.decision_note, r.self_service FROM device_move_requests r JOIN users u ON u.id = r.physician_id \
    LEFT JOIN organizations o ON o.id = u.organization_id \
    LEFT JOIN jurisdictions j ON j.code = o.jurisdiction_code \
    LEFT JOIN devices d ON d.physician_id = r.physician_id";

fn record(row: Row) -> StoreResult<MoveRequestRecord> {
    let (
        id,
        physician,
        name,
        org,
        path,
        current,
        device,
        note,
        status,
        created,
        by,
        at,
        dnote,
        own,
    ) = row;
    Ok(MoveRequestRecord {
        id: parse_uuid(&id)?,
        physician_id: parse_uuid(&physician)?,
        physician_name: name,
        organization_id: parse_opt_uuid(org)?,
        jurisdiction_path: path,
        current_device_id: current,
        device_id: device,
        note,
        status,
        created_at: from_ms(created)?,
        decided_by: parse_opt_uuid(by)?,
        decided_at: at.map(from_ms).transpose()?,
        decision_note: dnote,
        self_service: own != 0,
    })
}

/// A new request.
pub struct NewMoveRequest<'a> {
    pub id: Uuid,
    pub physician_id: Uuid,
    pub device_id: &'a str,
    pub note: Option<&'a str>,
    pub now: DateTime<Utc>,
}

/// Why a self-service move was not written.
pub const SELF_MOVE_SPENT: &str = "device_self_move_spent";

impl Store {
    /// When the physician last moved their binding themselves, if ever.
    pub async fn last_self_move(&self, physician_id: Uuid) -> StoreResult<Option<DateTime<Utc>>> {
        const SQL: &str = "SELECT MAX(created_at) FROM device_move_requests \
            WHERE physician_id = $1 AND self_service = 1";
        let (at,): (Option<i64>,) = on_pool!(self.db(), pool =>
            sqlx::query_as(SQL).bind(physician_id.to_string()).fetch_one(pool).await?);
        at.map(from_ms).transpose()
    }

    /// The physician's pending request, if any.
    pub async fn pending_device_move(&self, physician_id: Uuid) -> StoreResult<Option<Uuid>> {
        const SQL: &str = "SELECT id FROM device_move_requests \
            WHERE physician_id = $1 AND status = 'pending' LIMIT 1";
        let id: Option<(String,)> = on_pool!(self.db(), pool =>
            sqlx::query_as(SQL).bind(physician_id.to_string()).fetch_optional(pool).await?);
        id.map(|(id,)| parse_uuid(&id)).transpose()
    }

    /// A self-service move: stored as a request granted at once by the physician
    /// (`self_service = 1`) and the binding moved, in one transaction. `Conflict`
    /// (`device_self_move_spent`) when another self-service move was made after
    /// `spent_after` meanwhile.
    pub async fn self_move_device(
        &self,
        new: &NewMoveRequest<'_>,
        spent_after: DateTime<Utc>,
        provenance: Provenance,
    ) -> StoreResult<()> {
        const SPENT: &str = "SELECT COUNT(*) FROM device_move_requests \
            WHERE physician_id = $1 AND self_service = 1 AND created_at > $2";
        const INSERT: &str = "INSERT INTO device_move_requests (id, physician_id, device_id, \
            note, status, created_at, decided_by, decided_at, audit_seq, self_service) \
            VALUES ($1, $2, $3, $4, 'approved', $5, $2, $5, $6, 1)";
        const BIND: &str = "INSERT INTO devices (physician_id, device_id, bound_at) \
             VALUES ($1, $2, $3) ON CONFLICT (physician_id) DO UPDATE \
             SET device_id = excluded.device_id, bound_at = excluded.bound_at";
        on_pool!(self.db(), pool => {
            let mut tx = pool.begin_write().await?;
            let (spent,): (i64,) = sqlx::query_as(SPENT)
                .bind(new.physician_id.to_string())
                .bind(to_ms(spent_after))
                .fetch_one(&mut *tx)
                .await?;
            if spent > 0 {
                tx.rollback().await?;
                return Err(StoreError::Conflict(SELF_MOVE_SPENT.to_owned()));
            }
            let slot = tx.claim_audit_slot(&provenance).await?;
            sqlx::query(INSERT)
                .bind(new.id.to_string())
                .bind(new.physician_id.to_string())
                .bind(new.device_id)
                .bind(new.note)
                .bind(to_ms(new.now))
                .bind(slot.link())
                .execute(&mut *tx)
                .await?;
            sqlx::query(BIND)
                .bind(new.physician_id.to_string())
                .bind(new.device_id)
                .bind(to_ms(new.now))
                .execute(&mut *tx)
                .await?;
            tx.append_audit(slot, provenance).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Stores a pending request; `Conflict` when the physician has one pending already.
    pub async fn insert_device_move_request(
        &self,
        new: &NewMoveRequest<'_>,
        provenance: Provenance,
    ) -> StoreResult<()> {
        const PENDING: &str = "SELECT COUNT(*) FROM device_move_requests WHERE physician_id = $1 AND status = 'pending'";
        const INSERT: &str = "INSERT INTO device_move_requests (id, physician_id, device_id, \
            note, status, created_at, audit_seq) VALUES ($1, $2, $3, $4, 'pending', $5, $6)";
        on_pool!(self.db(), pool => {
            let mut tx = pool.begin_write().await?;
            let (pending,): (i64,) = sqlx::query_as(PENDING)
                .bind(new.physician_id.to_string())
                .fetch_one(&mut *tx)
                .await?;
            if pending > 0 {
                tx.rollback().await?;
                return Err(StoreError::Conflict("device_move_pending".to_owned()));
            }
            let slot = tx.claim_audit_slot(&provenance).await?;
            sqlx::query(INSERT)
                .bind(new.id.to_string())
                .bind(new.physician_id.to_string())
                .bind(new.device_id)
                .bind(new.note)
                .bind(to_ms(new.now))
                .bind(slot.link())
                .execute(&mut *tx)
                .await?;
            tx.append_audit(slot, provenance).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn device_move_request(&self, id: Uuid) -> StoreResult<Option<MoveRequestRecord>> {
        let sql = format!("{SELECT} WHERE r.id = $1");
        let row: Option<Row> = on_pool!(self.db(), pool =>
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id.to_string()).fetch_optional(pool).await?);
        row.map(record).transpose()
    }

    /// Requests of one physician (`Some`) or of everyone, with a status or any, newest
    /// first, at most 500.
    pub async fn device_move_requests(
        &self,
        physician_id: Option<Uuid>,
        status: Option<&str>,
    ) -> StoreResult<Vec<MoveRequestRecord>> {
        let sql = format!(
            "{SELECT} WHERE ($1 = '' OR r.physician_id = $1) AND ($2 = '' OR r.status = $2) \
             ORDER BY r.created_at DESC, r.id LIMIT 500"
        );
        let rows: Vec<Row> = on_pool!(self.db(), pool =>
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(physician_id.map(|p| p.to_string()).unwrap_or_default())
                .bind(status.unwrap_or_default())
                .fetch_all(pool)
                .await?);
        rows.into_iter().map(record).collect()
    }

    /// Decides a pending request; an approval binds the physician to its device in the
    /// same transaction. `Conflict` when it was decided meanwhile.
    pub async fn decide_device_move(
        &self,
        id: Uuid,
        approve: bool,
        by: Uuid,
        note: Option<&str>,
        now: DateTime<Utc>,
        provenance: Provenance,
    ) -> StoreResult<()> {
        const DECIDE: &str = "UPDATE device_move_requests SET status = $2, decided_by = $3, \
            decided_at = $4, decision_note = $5, audit_seq = $6 WHERE id = $1 AND status = 'pending'";
        const TARGET: &str =
            "SELECT physician_id, device_id FROM device_move_requests WHERE id = $1";
        const BIND: &str = "INSERT INTO devices (physician_id, device_id, bound_at) \
             VALUES ($1, $2, $3) ON CONFLICT (physician_id) DO UPDATE \
             SET device_id = excluded.device_id, bound_at = excluded.bound_at";
        let status = if approve { "approved" } else { "rejected" };
        on_pool!(self.db(), pool => {
            let mut tx = pool.begin_write().await?;
            let slot = tx.claim_audit_slot(&provenance).await?;
            let done = sqlx::query(DECIDE)
                .bind(id.to_string())
                .bind(status)
                .bind(by.to_string())
                .bind(to_ms(now))
                .bind(note)
                .bind(slot.link())
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if done != 1 {
                tx.rollback().await?;
                return Err(StoreError::Conflict("device_move_decided".to_owned()));
            }
            if approve {
                let (physician, device): (String, String) =
                    sqlx::query_as(TARGET).bind(id.to_string()).fetch_one(&mut *tx).await?;
                sqlx::query(BIND)
                    .bind(physician)
                    .bind(device)
                    .bind(to_ms(now))
                    .execute(&mut *tx)
                    .await?;
            }
            tx.append_audit(slot, provenance).await?;
            tx.commit().await?;
        });
        Ok(())
    }
}
