//! Inspection plans: the candidates a draw weighs (receiving sites with their open
//! anomalies), the plan with its drawn sites (one audited write), and the reads that
//! tell whether a drawn site was inspected in the period.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::audit::{AuditTx, BeginWrite, Provenance};
use super::{Store, StoreError, StoreResult, from_ms, on_pool, parse_uuid, to_ms};
use crate::domain::inspection_plan::Candidate;
use crate::domain::jurisdiction::JurisdictionPath;

/// A receiving site a plan may draw, named.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedCandidate {
    pub candidate: Candidate,
    pub name: String,
}

/// A plan as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanRecord {
    pub id: Uuid,
    pub jurisdiction_code: String,
    pub period: String,
    pub year: i32,
    pub quarter: Option<u32>,
    pub sites_requested: u32,
    pub seed: String,
    /// JSON of the candidates as drawn from.
    pub candidates: String,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
}

/// A drawn site as stored, with its name.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanSiteRecord {
    pub site_id: Uuid,
    pub site_name: String,
    pub order: u32,
    pub open_anomalies: u32,
}

fn subtree(path: &JurisdictionPath) -> (String, String) {
    (path.as_str().to_owned(), format!("{}/%", path.as_str()))
}

fn small(value: i64) -> u32 {
    u32::try_from(value).unwrap_or(0)
}

impl Store {
    /// The receiving sites (township and community centres, village clinics) in the
    /// jurisdiction and below, with their open anomalies.
    pub async fn plan_candidates(
        &self,
        within: &JurisdictionPath,
    ) -> StoreResult<Vec<NamedCandidate>> {
        const SQL: &str = "SELECT o.id, o.name, \
            (SELECT COUNT(*) FROM anomalies a WHERE a.site_id = o.id AND a.status = 'open') AS open \
            FROM organizations o JOIN jurisdictions j ON j.code = o.jurisdiction_code \
            WHERE (j.path = $1 OR j.path LIKE $2) \
            AND o.kind IN ('township_health_center', 'community_health_center', 'village_clinic') \
            ORDER BY o.id";
        let (root, below) = subtree(within);
        let rows: Vec<(String, String, i64)> = on_pool!(self.db(), pool => sqlx::query_as(SQL)
            .bind(root.clone())
            .bind(below.clone())
            .fetch_all(pool)
            .await?);
        rows.into_iter()
            .map(|(id, name, open)| {
                Ok(NamedCandidate {
                    candidate: Candidate {
                        site_id: parse_uuid(&id)?,
                        open_anomalies: small(open),
                    },
                    name,
                })
            })
            .collect()
    }

    /// Stores a plan and its drawn sites with the audit entry.
    pub async fn insert_inspection_plan(
        &self,
        plan: &PlanRecord,
        sites: &[PlanSiteRecord],
        provenance: Provenance,
    ) -> StoreResult<()> {
        const PLAN: &str = "INSERT INTO inspection_plans (id, jurisdiction_code, period, year, \
            quarter, sites_requested, seed, candidates, created_by, created_at, audit_seq) \
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
        const SITE: &str = "INSERT INTO inspection_plan_sites (plan_id, site_id, draw_order, \
            open_anomalies) VALUES ($1, $2, $3, $4)";
        on_pool!(self.db(), pool => {
            let mut tx = pool.begin_write().await?;
            let slot = tx.claim_audit_slot(&provenance).await?;
            sqlx::query(PLAN)
                .bind(plan.id.to_string())
                .bind(&plan.jurisdiction_code)
                .bind(&plan.period)
                .bind(i64::from(plan.year))
                .bind(plan.quarter.map(i64::from))
                .bind(i64::from(plan.sites_requested))
                .bind(&plan.seed)
                .bind(&plan.candidates)
                .bind(plan.created_by.to_string())
                .bind(to_ms(plan.created_at))
                .bind(slot.link())
                .execute(&mut *tx)
                .await?;
            for site in sites {
                sqlx::query(SITE)
                    .bind(plan.id.to_string())
                    .bind(site.site_id.to_string())
                    .bind(i64::from(site.order))
                    .bind(i64::from(site.open_anomalies))
                    .execute(&mut *tx)
                    .await?;
            }
            tx.append_audit(slot, provenance).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// The plans of a year for jurisdictions in `within` and below, oldest first.
    pub async fn inspection_plans(
        &self,
        within: &JurisdictionPath,
        year: i32,
    ) -> StoreResult<Vec<PlanRecord>> {
        const SQL: &str = "SELECT p.id, p.jurisdiction_code, p.period, p.year, p.quarter, \
            p.sites_requested, p.seed, p.candidates, p.created_by, p.created_at \
            FROM inspection_plans p JOIN jurisdictions j ON j.code = p.jurisdiction_code \
            WHERE (j.path = $1 OR j.path LIKE $2) AND p.year = $3 \
            ORDER BY p.created_at, p.id";
        type Row = (
            String,
            String,
            String,
            i64,
            Option<i64>,
            i64,
            String,
            String,
            String,
            i64,
        );
        let (root, below) = subtree(within);
        let rows: Vec<Row> = on_pool!(self.db(), pool => sqlx::query_as(SQL)
            .bind(root.clone())
            .bind(below.clone())
            .bind(i64::from(year))
            .fetch_all(pool)
            .await?);
        rows.into_iter()
            .map(
                |(id, code, period, year, quarter, requested, seed, candidates, by, at)| {
                    Ok(PlanRecord {
                        id: parse_uuid(&id)?,
                        jurisdiction_code: code,
                        period,
                        year: i32::try_from(year)
                            .map_err(|_| StoreError::Corrupt(format!("year {year}")))?,
                        quarter: quarter.map(small),
                        sites_requested: small(requested),
                        seed,
                        candidates,
                        created_by: parse_uuid(&by)?,
                        created_at: from_ms(at)?,
                    })
                },
            )
            .collect()
    }

    /// A plan's drawn sites in draw order, named.
    pub async fn plan_sites(&self, plan_id: Uuid) -> StoreResult<Vec<PlanSiteRecord>> {
        const SQL: &str = "SELECT s.site_id, o.name, s.draw_order, s.open_anomalies \
            FROM inspection_plan_sites s JOIN organizations o ON o.id = s.site_id \
            WHERE s.plan_id = $1 ORDER BY s.draw_order";
        let rows: Vec<(String, String, i64, i64)> = on_pool!(self.db(), pool => sqlx::query_as(SQL)
            .bind(plan_id.to_string())
            .fetch_all(pool)
            .await?);
        rows.into_iter()
            .map(|(id, name, order, open)| {
                Ok(PlanSiteRecord {
                    site_id: parse_uuid(&id)?,
                    site_name: name,
                    order: small(order),
                    open_anomalies: small(open),
                })
            })
            .collect()
    }

    /// The latest inspection at a site with `observed_at` in `[from, until)`.
    pub async fn last_inspection_at(
        &self,
        site_id: Uuid,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StoreResult<Option<DateTime<Utc>>> {
        const SQL: &str = "SELECT MAX(observed_at) FROM inspections \
            WHERE site_id = $1 AND observed_at >= $2 AND observed_at < $3";
        let at: Option<i64> = on_pool!(self.db(), pool => sqlx::query_scalar(SQL)
            .bind(site_id.to_string())
            .bind(to_ms(from))
            .bind(to_ms(until))
            .fetch_one(pool)
            .await?);
        at.map(from_ms).transpose()
    }
}
