//! Kiosks: enrolled wall screens, each bound to one site, revocable.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::audit::{AuditTx, BeginWrite, Provenance};
use super::{Store, StoreResult, on_pool, parse_uuid, to_ms};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kiosk {
    pub id: Uuid,
    pub site_id: Uuid,
    pub revoked: bool,
}

impl Store {
    pub async fn insert_kiosk(
        &self,
        kiosk_id: Uuid,
        site_id: Uuid,
        label: Option<&str>,
        created_by: Uuid,
        now: DateTime<Utc>,
        provenance: Provenance,
    ) -> StoreResult<()> {
        const SQL: &str = "INSERT INTO kiosks (id, site_id, label, created_by, created_at, \
                           audit_seq) VALUES ($1, $2, $3, $4, $5, $6)";
        on_pool!(self.db(), pool => {
            let mut tx = pool.begin_write().await?;
            let slot = tx.claim_audit_slot(&provenance).await?;
            sqlx::query(SQL)
                .bind(kiosk_id.to_string())
                .bind(site_id.to_string())
                .bind(label)
                .bind(created_by.to_string())
                .bind(to_ms(now))
                .bind(slot.link())
                .execute(&mut *tx)
                .await?;
            tx.append_audit(slot, provenance).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn kiosk(&self, id: Uuid) -> StoreResult<Option<Kiosk>> {
        const SQL: &str = "SELECT id, site_id, revoked_at FROM kiosks WHERE id = $1";
        let row: Option<(String, String, Option<i64>)> = on_pool!(self.db(), pool =>
            sqlx::query_as(SQL).bind(id.to_string()).fetch_optional(pool).await?);
        row.map(|(id, site, revoked)| {
            Ok(Kiosk {
                id: parse_uuid(&id)?,
                site_id: parse_uuid(&site)?,
                revoked: revoked.is_some(),
            })
        })
        .transpose()
    }

    /// Marks a kiosk revoked; its token stops working at once. Idempotent: revoking
    /// again records the request, and the row keeps naming the entry that revoked it.
    pub async fn revoke_kiosk(
        &self,
        id: Uuid,
        now: DateTime<Utc>,
        provenance: Provenance,
    ) -> StoreResult<()> {
        const SQL: &str = "UPDATE kiosks SET revoked_at = $2, audit_seq = $3 \
                           WHERE id = $1 AND revoked_at IS NULL";
        on_pool!(self.db(), pool => {
            let mut tx = pool.begin_write().await?;
            let slot = tx.claim_audit_slot(&provenance).await?;
            sqlx::query(SQL)
                .bind(id.to_string())
                .bind(to_ms(now))
                .bind(slot.link())
                .execute(&mut *tx)
                .await?;
            tx.append_audit(slot, provenance).await?;
            tx.commit().await?;
        });
        Ok(())
    }
}
