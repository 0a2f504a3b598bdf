//! The receiving clinic's confirmations and disputes of visits (受援单位日常考核): one per
//! visit, written with the anomaly a dispute raises and its audit entry, together.

use chrono::{DateTime, Utc};
use mobile_api::ClinicVerdict;
use uuid::Uuid;

use super::audit::{AuditTx, BeginWrite, Provenance};
use super::statement::{bind_step, numbered_marks};
use super::supervision::NewAnomaly;
use super::{Store, StoreError, StoreResult, decode_enum, from_ms, on_pool, parse_uuid, to_ms};

/// A confirmation or dispute as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfirmationRecord {
    pub id: Uuid,
    pub visit_id: Uuid,
    pub site_id: Uuid,
    pub verdict: ClinicVerdict,
    pub reason: String,
    pub confirmed_by: Uuid,
    /// The confirmer's name (read back only).
    pub confirmed_by_name: Option<String>,
    pub confirmed_at: DateTime<Utc>,
    pub anomaly_id: Option<Uuid>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    visit_id: String,
    site_id: String,
    verdict: String,
    reason: String,
    confirmed_by: String,
    confirmed_by_name: Option<String>,
    confirmed_at: i64,
    anomaly_id: Option<String>,
}

impl TryFrom<Row> for ConfirmationRecord {
    type Error = super::StoreError;
    fn try_from(r: Row) -> StoreResult<ConfirmationRecord> {
        Ok(ConfirmationRecord {
            id: parse_uuid(&r.id)?,
            visit_id: parse_uuid(&r.visit_id)?,
            site_id: parse_uuid(&r.site_id)?,
            verdict: decode_enum(&r.verdict)?,
            reason: r.reason,
            confirmed_by: parse_uuid(&r.confirmed_by)?,
            confirmed_by_name: r.confirmed_by_name,
            confirmed_at: from_ms(r.confirmed_at)?,
            anomaly_id: r.anomaly_id.as_deref().map(parse_uuid).transpose()?,
        })
    }
}

fn verdict_str(v: ClinicVerdict) -> &'static str {
    match v {
        ClinicVerdict::Confirmed => "confirmed",
        ClinicVerdict::Disputed => "disputed",
    }
}

const SELECT: &str = "SELECT c.id, c.visit_id, c.site_id, c.verdict, c.reason, c.confirmed_by, \
    u.name AS confirmed_by_name, c.confirmed_at, c.anomaly_id \
    FROM clinic_confirmations c LEFT JOIN users u ON u.id = c.confirmed_by";

impl Store {
    /// Records a confirmation (with the anomaly a dispute raises) and its audit entry.
    /// A second word on the same visit is a conflict (unique `visit_id`).
    pub async fn insert_clinic_confirmation(
        &self,
        record: &ConfirmationRecord,
        raised: Option<&NewAnomaly>,
        provenance: Provenance,
    ) -> StoreResult<()> {
        const SQL: &str = "INSERT INTO clinic_confirmations (id, visit_id, site_id, verdict, \
            reason, confirmed_by, confirmed_at, anomaly_id, audit_seq) \
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
        on_pool!(self.db(), pool => {
            let mut tx = pool.begin_write().await?;
            let slot = tx.claim_audit_slot(&provenance).await?;
            sqlx::query(SQL)
                .bind(record.id.to_string())
                .bind(record.visit_id.to_string())
                .bind(record.site_id.to_string())
                .bind(verdict_str(record.verdict))
                .bind(&record.reason)
                .bind(record.confirmed_by.to_string())
                .bind(to_ms(record.confirmed_at))
                .bind(record.anomaly_id.map(|id| id.to_string()))
                .bind(slot.link())
                .execute(&mut *tx)
                .await
                .map_err(|e| StoreError::on_unique(e, "visit already confirmed"))?;
            if let Some(anomaly) = raised {
                let insert = anomaly.insert();
                bind_step!(sqlx::query(insert.sql), &insert)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.append_audit(slot, provenance).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// The confirmations of the given visits (at most one each).
    pub async fn clinic_confirmations_of(
        &self,
        visits: &[Uuid],
    ) -> StoreResult<Vec<ConfirmationRecord>> {
        if visits.is_empty() {
            return Ok(Vec::new());
        }
        // Only placeholders are generated; the ids themselves are bound.
        let placeholders = numbered_marks(1, visits.len());
        let sql = format!("{SELECT} WHERE c.visit_id IN ({})", placeholders);
        let rows: Vec<Row> = on_pool!(self.db(), pool => {
            let mut query = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql));
            for id in visits {
                query = query.bind(id.to_string());
            }
            query.fetch_all(pool).await?
        });
        rows.into_iter().map(ConfirmationRecord::try_from).collect()
    }
}
