//! Kiosks: enrolled wall screens, each bound to one site, revocable.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::audit::{BeginWrite, Provenance, audited_write};
use super::statement::Step;
use super::{Store, StoreError, StoreResult, from_ms, on_pool, parse_opt_uuid, parse_uuid, to_ms};
use crate::domain::anomaly::AnomalyKind;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kiosk {
    pub id: Uuid,
    pub site_id: Uuid,
    pub revoked: bool,
    /// The network an administrator pinned the kiosk to (`a.b.c.0/24`, `…::/64`).
    pub pinned_network: Option<String>,
    pub label: Option<String>,
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
    pub pinned_network: Option<String>,
    /// The network it last fetched its code from, preferring one not placed far from
    /// the site (so that pinning to "current" never pins a leaked link's network).
    pub last_network: Option<String>,
}

impl Store {
    /// A site's kiosks, oldest first, with when each last fetched its code.
    pub async fn site_kiosks(&self, site_id: Uuid) -> StoreResult<Vec<KioskEntry>> {
        const SQL: &str = "SELECT k.id, k.label, k.created_at, k.created_by, k.revoked_at, \
            c.last_seen_at, k.pinned_network, (SELECT n.network FROM kiosk_networks n \
            WHERE n.kiosk_id = k.id ORDER BY n.far_away, n.last_seen_at DESC LIMIT 1) \
            FROM kiosks k LEFT JOIN kiosk_contacts c ON c.kiosk_id = k.id \
            WHERE k.site_id = $1 ORDER BY k.created_at, k.id";
        type Row = (
            String,
            Option<String>,
            i64,
            Option<String>,
            Option<i64>,
            Option<i64>,
            Option<String>,
            Option<String>,
        );
        let rows: Vec<Row> = on_pool!(self.db(), pool =>
            sqlx::query_as(SQL).bind(site_id.to_string()).fetch_all(pool).await?);
        rows.into_iter()
            .map(
                |(id, label, created_at, created_by, revoked_at, seen, pinned, last)| {
                    Ok(KioskEntry {
                        id: parse_uuid(&id)?,
                        label,
                        created_at: from_ms(created_at)?,
                        created_by: parse_opt_uuid(created_by)?,
                        revoked_at: revoked_at.map(from_ms).transpose()?,
                        last_seen_at: seen.map(from_ms).transpose()?,
                        pinned_network: pinned,
                        last_network: last,
                    })
                },
            )
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
        audited_write!(
            self,
            provenance,
            SQL,
            [
                kiosk_id.to_string(),
                site_id.to_string(),
                label,
                created_by.to_string(),
                to_ms(now),
            ],
        );
        Ok(())
    }

    pub async fn kiosk(&self, id: Uuid) -> StoreResult<Option<Kiosk>> {
        const SQL: &str =
            "SELECT id, site_id, revoked_at, pinned_network, label FROM kiosks WHERE id = $1";
        type Row = (String, String, Option<i64>, Option<String>, Option<String>);
        let row: Option<Row> = on_pool!(self.db(), pool =>
            sqlx::query_as(SQL).bind(id.to_string()).fetch_optional(pool).await?);
        row.map(|(id, site, revoked, pinned_network, label)| {
            Ok(Kiosk {
                id: parse_uuid(&id)?,
                site_id: parse_uuid(&site)?,
                revoked: revoked.is_some(),
                pinned_network,
                label,
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
        audited_write!(self, provenance, SQL, [id.to_string(), to_ms(now),],);
        Ok(())
    }

    /// Records that the kiosk fetched its code from `network` (address `ip`) at `now`,
    /// and whether the IP database places that network far from the site (`far_away`,
    /// judged afresh at each contact); answers when this network first fetched, and
    /// the kiosk's other networks not placed far with when each last fetched (a
    /// heartbeat, not audited).
    pub async fn touch_kiosk_network(
        &self,
        kiosk_id: Uuid,
        network: &str,
        ip: &str,
        far_away: bool,
        now: DateTime<Utc>,
    ) -> StoreResult<(DateTime<Utc>, Vec<(String, DateTime<Utc>)>)> {
        const UPSERT: &str = "INSERT INTO kiosk_networks (kiosk_id, network, last_ip, \
            first_seen_at, last_seen_at, far_away) VALUES ($1, $2, $3, $4, $4, $5) \
            ON CONFLICT (kiosk_id, network) DO UPDATE SET last_ip = excluded.last_ip, \
            last_seen_at = excluded.last_seen_at, far_away = excluded.far_away";
        const READ: &str = "SELECT network, first_seen_at, last_seen_at, far_away \
            FROM kiosk_networks WHERE kiosk_id = $1";
        let rows: Vec<(String, i64, i64, i64)> = on_pool!(self.db(), pool => {
            sqlx::query(UPSERT)
                .bind(kiosk_id.to_string())
                .bind(network)
                .bind(ip)
                .bind(to_ms(now))
                .bind(i64::from(far_away))
                .execute(pool)
                .await?;
            sqlx::query_as(READ).bind(kiosk_id.to_string()).fetch_all(pool).await?
        });
        let mut first_seen = now;
        let mut others = Vec::new();
        for (n, first, last, far) in rows {
            if n == network {
                first_seen = from_ms(first)?;
            } else if far == 0 {
                others.push((n, from_ms(last)?));
            }
        }
        Ok((first_seen, others))
    }

    /// The networks the site's unrevoked kiosks fetched codes from since `since`: the
    /// kiosks' own networks. A network placed far from the site (a leaked link) is
    /// left out, unless the kiosk is pinned to it (an administrator vouched for it).
    pub async fn site_kiosk_networks(
        &self,
        site_id: Uuid,
        since: DateTime<Utc>,
    ) -> StoreResult<Vec<String>> {
        const SQL: &str = "SELECT DISTINCT n.network FROM kiosk_networks n \
            JOIN kiosks k ON k.id = n.kiosk_id \
            WHERE k.site_id = $1 AND k.revoked_at IS NULL AND n.last_seen_at >= $2 \
            AND (n.far_away = 0 OR n.network = k.pinned_network)";
        let query = Step::new(SQL, vec![site_id.to_string().into(), since.into()]);
        let rows: Vec<(String,)> = self.read_all(&query).await?;
        Ok(rows.into_iter().map(|(n,)| n).collect())
    }

    /// Whether an unrevoked kiosk of the site was fetching codes around `at`: one of
    /// its networks was seen from `active` before `at` to `active` after it.
    pub async fn site_kiosk_active_around(
        &self,
        site_id: Uuid,
        at: DateTime<Utc>,
        active: chrono::Duration,
    ) -> StoreResult<bool> {
        const SQL: &str = "SELECT COUNT(*) FROM kiosk_networks n \
            JOIN kiosks k ON k.id = n.kiosk_id \
            WHERE k.site_id = $1 AND k.revoked_at IS NULL \
            AND (n.far_away = 0 OR n.network = k.pinned_network) \
            AND n.first_seen_at <= $2 AND n.last_seen_at >= $3";
        let query = Step::new(
            SQL,
            vec![
                site_id.to_string().into(),
                (at + active).into(),
                (at - active).into(),
            ],
        );
        let row: Option<(i64,)> = self.read_first(&query).await?;
        Ok(row.is_some_and(|(n,)| n > 0))
    }

    /// Pins the kiosk to `network` (or unpins it with `None`), with its audit entry.
    pub async fn pin_kiosk(
        &self,
        id: Uuid,
        network: Option<&str>,
        provenance: Provenance,
    ) -> StoreResult<()> {
        const SQL: &str = "UPDATE kiosks SET pinned_network = $2, audit_seq = $3 WHERE id = $1";
        audited_write!(self, provenance, SQL, [id.to_string(), network,],);
        Ok(())
    }

    /// Raises an anomaly about a site (no physician) once per `run_key` of `job`:
    /// true for exactly one caller across every process.
    pub async fn raise_site_anomaly_once(
        &self,
        job: &str,
        run_key: &str,
        anomaly: &SiteAnomaly,
    ) -> StoreResult<bool> {
        const CLAIM: &str = "INSERT INTO job_runs (job, run_key, claimed_by, claimed_at, finished_at) \
            VALUES ($1, $2, 'kiosk', $3, $3) ON CONFLICT (job, run_key) DO NOTHING";
        const RAISE: &str = "INSERT INTO anomalies (id, kind, severity, status, physician_id, \
            site_id, visit_id, event_ids, detected_at, detail, jurisdiction_code) \
            VALUES ($1, $2, $3, 'open', NULL, $4, NULL, '[]', $5, $6, $7)";
        let detail = serde_json::to_string(&anomaly.detail)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let raised = on_pool!(self.db(), pool => {
            let mut tx = pool.begin_write().await?;
            let claimed = sqlx::query(CLAIM)
                .bind(job)
                .bind(run_key)
                .bind(to_ms(anomaly.detected_at))
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if claimed == 1 {
                sqlx::query(RAISE)
                    .bind(anomaly.id.to_string())
                    .bind(anomaly.kind.as_str())
                    .bind(anomaly.kind.severity().as_str())
                    .bind(anomaly.site_id.to_string())
                    .bind(to_ms(anomaly.detected_at))
                    .bind(&detail)
                    .bind(&anomaly.jurisdiction_code)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                true
            } else {
                tx.rollback().await?;
                false
            }
        });
        Ok(raised)
    }
}

/// An anomaly about a site rather than a physician (a kiosk's link used elsewhere).
#[derive(Debug, Clone)]
pub struct SiteAnomaly {
    pub id: Uuid,
    pub kind: AnomalyKind,
    pub site_id: Uuid,
    pub jurisdiction_code: String,
    pub detected_at: DateTime<Utc>,
    pub detail: serde_json::Value,
}
