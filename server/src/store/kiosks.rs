//! Kiosks: enrolled wall screens, each bound to one site, revocable.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::audit::{AuditTx, BeginWrite, Provenance};
use super::{Store, StoreResult, from_ms, on_pool, parse_opt_uuid, parse_uuid, to_ms};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kiosk {
    pub id: Uuid,
    pub site_id: Uuid,
    pub revoked: bool,
}

/// A kiosk as the site's page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KioskEntry {
    pub id: Uuid,
    pub label: Option<String>,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<Uuid>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_seen_at: Option<DateTime<Utc>>,
}

impl Store {
    /// A site's kiosks, oldest first, with when each last fetched its code.
    pub async fn site_kiosks(&self, site_id: Uuid) -> StoreResult<Vec<KioskEntry>> {
        const SQL: &str = "SELECT k.id, k.label, k.created_at, k.created_by, k.revoked_at, \
            c.last_seen_at FROM kiosks k LEFT JOIN kiosk_contacts c ON c.kiosk_id = k.id \
            WHERE k.site_id = $1 ORDER BY k.created_at, k.id";
        type Row = (
            String,
            Option<String>,
            i64,
            Option<String>,
            Option<i64>,
            Option<i64>,
        );
        let rows: Vec<Row> = on_pool!(self.db(), pool =>
            sqlx::query_as(SQL).bind(site_id.to_string()).fetch_all(pool).await?);
        rows.into_iter()
            .map(|(id, label, created_at, created_by, revoked_at, seen)| {
                Ok(KioskEntry {
                    id: parse_uuid(&id)?,
                    label,
                    created_at: from_ms(created_at)?,
                    created_by: parse_opt_uuid(created_by)?,
                    revoked_at: revoked_at.map(from_ms).transpose()?,
                    last_seen_at: seen.map(from_ms).transpose()?,
                })
            })
            .collect()
    }

    /// Records that the kiosk fetched its code at `at` (a heartbeat, not audited).
    pub async fn touch_kiosk(&self, kiosk_id: Uuid, at: DateTime<Utc>) -> StoreResult<()> {
        const SQL: &str = "INSERT INTO kiosk_contacts (kiosk_id, last_seen_at) VALUES ($1, $2) \
            ON CONFLICT (kiosk_id) DO UPDATE SET last_seen_at = excluded.last_seen_at";
        on_pool!(self.db(), pool => {
            sqlx::query(SQL).bind(kiosk_id.to_string()).bind(to_ms(at)).execute(pool).await?;
        });
        Ok(())
    }

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
