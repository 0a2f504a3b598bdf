//! What the promotion form (考核登记表) reads and writes beyond the service record:
//! a physician's logged workload, service elsewhere (援外/援疆/援藏), the signers'
//! opinions, and a hospital's physicians for the public notice.

use chrono::{DateTime, NaiveDate, Utc};
use mobile_api::{ExternalServiceKind, OpinionSigner};
use uuid::Uuid;

use super::audit::{Provenance, audited_write};
use super::reports::VisitActivity;
use super::{Store, StoreError, StoreResult, decode_enum, from_ms, on_pool, parse_uuid, to_ms};

/// Service elsewhere as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ExternalServiceRecord {
    pub id: Uuid,
    pub physician_id: Uuid,
    pub kind: ExternalServiceKind,
    pub place: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub evidence_number: String,
    pub evidence_sha256: Option<String>,
    pub note: Option<String>,
    pub recorded_by: Uuid,
    pub recorded_at: DateTime<Utc>,
    /// Read back only.
    pub recorded_by_name: Option<String>,
}

/// An opinion as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct OpinionRecord {
    pub id: Uuid,
    pub physician_id: Uuid,
    pub signer: OpinionSigner,
    pub opinion: String,
    pub organization_name: Option<String>,
    pub signed_by: Uuid,
    pub signed_at: DateTime<Utc>,
    /// Read back only.
    pub signed_by_name: Option<String>,
}

fn date(text: &str) -> StoreResult<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|e| StoreError::Corrupt(e.to_string()))
}

type ExternalRow = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    i64,
    Option<String>,
);

type OpinionRow = (
    String,
    String,
    String,
    String,
    Option<String>,
    String,
    i64,
    Option<String>,
);

impl Store {
    /// The current record of each (visit, kind) logged on the physician's visits.
    pub async fn current_activities_of_physician(
        &self,
        physician_id: Uuid,
    ) -> StoreResult<Vec<VisitActivity>> {
        const SQL: &str = "SELECT ac.visit_id, ac.kind, ac.count FROM activities ac \
            JOIN visits v ON v.id = ac.visit_id WHERE v.physician_id = $1 \
            AND NOT EXISTS (SELECT 1 FROM activities n WHERE n.supersedes_id = ac.id)";
        let rows: Vec<(String, String, i64)> = on_pool!(self.db(), pool =>
            sqlx::query_as(SQL).bind(physician_id.to_string()).fetch_all(pool).await?);
        rows.into_iter()
            .map(|(visit, kind, count)| {
                Ok(VisitActivity {
                    visit_id: parse_uuid(&visit)?,
                    kind: decode_enum(&kind)?,
                    count: u64::try_from(count).unwrap_or(0),
                })
            })
            .collect()
    }

    /// Records service elsewhere with its audit entry.
    pub async fn insert_external_service(
        &self,
        r: &ExternalServiceRecord,
        provenance: Provenance,
    ) -> StoreResult<()> {
        const SQL: &str = "INSERT INTO external_services (id, physician_id, kind, place, \
            start_date, end_date, evidence_number, evidence_sha256, note, recorded_by, \
            recorded_at, audit_seq) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
        audited_write!(
            self,
            provenance,
            SQL,
            [
                r.id.to_string(),
                r.physician_id.to_string(),
                r.kind.as_str(),
                &r.place,
                r.start_date.to_string(),
                r.end_date.to_string(),
                &r.evidence_number,
                r.evidence_sha256.as_deref(),
                r.note.as_deref(),
                r.recorded_by.to_string(),
                to_ms(r.recorded_at),
            ],
        );
        Ok(())
    }

    /// A physician's service elsewhere, oldest first.
    pub async fn external_services_of(
        &self,
        physician_id: Uuid,
    ) -> StoreResult<Vec<ExternalServiceRecord>> {
        const SQL: &str = "SELECT e.id, e.physician_id, e.kind, e.place, e.start_date, \
            e.end_date, e.evidence_number, e.evidence_sha256, e.note, e.recorded_by, \
            e.recorded_at, u.name FROM external_services e \
            LEFT JOIN users u ON u.id = e.recorded_by \
            WHERE e.physician_id = $1 ORDER BY e.start_date, e.recorded_at, e.id";
        let rows: Vec<ExternalRow> = on_pool!(self.db(), pool =>
            sqlx::query_as(SQL).bind(physician_id.to_string()).fetch_all(pool).await?);
        rows.into_iter()
            .map(|r| {
                Ok(ExternalServiceRecord {
                    id: parse_uuid(&r.0)?,
                    physician_id: parse_uuid(&r.1)?,
                    kind: decode_enum(&r.2)?,
                    place: r.3,
                    start_date: date(&r.4)?,
                    end_date: date(&r.5)?,
                    evidence_number: r.6,
                    evidence_sha256: r.7,
                    note: r.8,
                    recorded_by: parse_uuid(&r.9)?,
                    recorded_at: from_ms(r.10)?,
                    recorded_by_name: r.11,
                })
            })
            .collect()
    }

    /// Sets the signer's opinion on a physician's form (replacing the last one, the
    /// row keeping its id) with its audit entry.
    pub async fn put_opinion(&self, r: &OpinionRecord, provenance: Provenance) -> StoreResult<()> {
        const SQL: &str = "INSERT INTO promotion_opinions (id, physician_id, signer, opinion, \
            organization_name, signed_by, signed_at, audit_seq) \
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
            ON CONFLICT (physician_id, signer) DO UPDATE SET opinion = excluded.opinion, \
            organization_name = excluded.organization_name, signed_by = excluded.signed_by, \
            signed_at = excluded.signed_at, audit_seq = excluded.audit_seq";
        audited_write!(
            self,
            provenance,
            SQL,
            [
                r.id.to_string(),
                r.physician_id.to_string(),
                r.signer.as_str(),
                &r.opinion,
                r.organization_name.as_deref(),
                r.signed_by.to_string(),
                to_ms(r.signed_at),
            ],
        );
        Ok(())
    }

    /// The opinions on a physician's form.
    pub async fn opinions_of(&self, physician_id: Uuid) -> StoreResult<Vec<OpinionRecord>> {
        const SQL: &str = "SELECT o.id, o.physician_id, o.signer, o.opinion, \
            o.organization_name, o.signed_by, o.signed_at, u.name FROM promotion_opinions o \
            LEFT JOIN users u ON u.id = o.signed_by WHERE o.physician_id = $1";
        let rows: Vec<OpinionRow> = on_pool!(self.db(), pool =>
            sqlx::query_as(SQL).bind(physician_id.to_string()).fetch_all(pool).await?);
        rows.into_iter()
            .map(|r| {
                Ok(OpinionRecord {
                    id: parse_uuid(&r.0)?,
                    physician_id: parse_uuid(&r.1)?,
                    signer: decode_enum(&r.2)?,
                    opinion: r.3,
                    organization_name: r.4,
                    signed_by: parse_uuid(&r.5)?,
                    signed_at: from_ms(r.6)?,
                    signed_by_name: r.7,
                })
            })
            .collect()
    }

    /// The physicians of a hospital, by name.
    pub async fn physicians_of_hospital(&self, hospital_id: Uuid) -> StoreResult<Vec<Uuid>> {
        const SQL: &str = "SELECT id FROM users WHERE role = 'physician' \
            AND organization_id = $1 ORDER BY name, id";
        let rows: Vec<(String,)> = on_pool!(self.db(), pool =>
            sqlx::query_as(SQL).bind(hospital_id.to_string()).fetch_all(pool).await?);
        rows.into_iter().map(|(id,)| parse_uuid(&id)).collect()
    }

    /// Whether the physician holds (or held) an assignment at `site_id`.
    pub async fn served_at(&self, physician_id: Uuid, site_id: Uuid) -> StoreResult<bool> {
        const SQL: &str =
            "SELECT COUNT(*) FROM assignments WHERE physician_id = $1 AND site_id = $2";
        let (n,): (i64,) = on_pool!(self.db(), pool => sqlx::query_as(SQL)
            .bind(physician_id.to_string())
            .bind(site_id.to_string())
            .fetch_one(pool)
            .await?);
        Ok(n > 0)
    }
}
