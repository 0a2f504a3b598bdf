//! Scan photo sampling and review (照片抽查): the photos of a jurisdiction's month with
//! what weighs them, the recorded samples, and the reviews (each written with the
//! anomaly a suspicious verdict raises and its audit entry, together).

use chrono::{DateTime, NaiveDate, Utc};
use mobile_api::{SampledPhoto, ScanPhotoReview};
use uuid::Uuid;

use super::audit::{AuditTx, BeginWrite, Provenance, audited_write};
use super::statement::{bind_step, numbered_marks};
use super::supervision::NewAnomaly;
use super::{
    Store, StoreError, StoreResult, decode_enum, encode_enum, from_ms, on_pool, parse_uuid, to_ms,
};
use crate::domain::jurisdiction::JurisdictionPath;

/// A sample as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct SampleRecord {
    pub id: Uuid,
    pub jurisdiction_code: String,
    pub month: String,
    pub n: u32,
    pub seed: String,
    pub population: u32,
    /// The photos drawn, in drawn order.
    pub photo_ids: Vec<Uuid>,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
}

/// A photo as the review endpoints need it: where it is, and its bytes when asked.
#[derive(Debug, Clone, PartialEq)]
pub struct PhotoRef {
    pub photo_id: Uuid,
    pub visit_id: Option<Uuid>,
    pub physician_id: Uuid,
    pub site_id: Option<Uuid>,
    pub content_type: String,
    pub sha256: String,
}

const SAMPLED: &str = "SELECT s.id, s.visit_id, v.local_date, s.physician_id, \
    u.name AS physician_name, s.site_id, o.name AS site_name, e.received_at, s.uploaded_at, \
    s.sha256, s.size_bytes, s.content_type, e.network, e.offline, \
    (SELECT COUNT(*) FROM anomalies a WHERE a.visit_id = s.visit_id AND a.status = 'open') \
        AS open_anomalies, \
    r.id AS review_id, r.verdict, r.note, r.reviewed_by, ru.name AS reviewed_by_name, \
    r.reviewed_at, r.anomaly_id \
    FROM scan_photos s \
    JOIN visits v ON v.id = s.visit_id \
    JOIN attendance_events e ON e.id = s.id \
    JOIN organizations o ON o.id = s.site_id \
    JOIN jurisdictions j ON j.code = o.jurisdiction_code \
    JOIN users u ON u.id = s.physician_id \
    LEFT JOIN scan_photo_reviews r ON r.photo_id = s.id \
    LEFT JOIN users ru ON ru.id = r.reviewed_by \
    WHERE (j.path = $1 OR j.path LIKE $2) AND v.local_date >= $3 AND v.local_date <= $4 \
    ORDER BY s.id";

#[derive(sqlx::FromRow)]
struct SampledRow {
    id: String,
    visit_id: String,
    local_date: String,
    physician_id: String,
    physician_name: String,
    site_id: String,
    site_name: String,
    received_at: i64,
    uploaded_at: i64,
    sha256: String,
    size_bytes: i64,
    content_type: String,
    network: Option<String>,
    offline: bool,
    open_anomalies: i64,
    review_id: Option<String>,
    verdict: Option<String>,
    note: Option<String>,
    reviewed_by: Option<String>,
    reviewed_by_name: Option<String>,
    reviewed_at: Option<i64>,
    anomaly_id: Option<String>,
}

fn sampled(row: SampledRow) -> StoreResult<SampledPhoto> {
    let photo_id = parse_uuid(&row.id)?;
    let review = match (row.review_id, row.verdict, row.reviewed_by, row.reviewed_at) {
        (Some(review_id), Some(verdict), Some(by), Some(at)) => Some(ScanPhotoReview {
            id: parse_uuid(&review_id)?,
            photo_id,
            verdict: decode_enum(&verdict)?,
            note: row.note.unwrap_or_default(),
            reviewed_by: parse_uuid(&by)?,
            reviewed_by_name: row.reviewed_by_name,
            reviewed_at: from_ms(at)?,
            anomaly_id: row.anomaly_id.as_deref().map(parse_uuid).transpose()?,
        }),
        _ => None,
    };
    Ok(SampledPhoto {
        photo_id,
        order: 0,
        visit_id: parse_uuid(&row.visit_id)?,
        local_date: NaiveDate::parse_from_str(&row.local_date, "%Y-%m-%d")
            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        physician_id: parse_uuid(&row.physician_id)?,
        physician_name: row.physician_name,
        site_id: parse_uuid(&row.site_id)?,
        site_name: row.site_name,
        scanned_at: from_ms(row.received_at)?,
        uploaded_at: from_ms(row.uploaded_at)?,
        sha256: row.sha256,
        bytes: u64::try_from(row.size_bytes).unwrap_or_default(),
        content_type: row.content_type,
        network: row.network,
        offline: row.offline,
        open_anomalies: u32::try_from(row.open_anomalies).unwrap_or(u32::MAX),
        weight: 0,
        review,
    })
}

#[derive(sqlx::FromRow)]
struct SampleRow {
    id: String,
    jurisdiction_code: String,
    month: String,
    n: i64,
    seed: String,
    population: i64,
    photo_ids: String,
    created_by: String,
    created_at: i64,
}

impl Store {
    /// Every scan photo of a visit between `from` and `to` (local dates) at a site in
    /// the jurisdiction or below, in photo-id order, with its review if any.
    pub async fn photos_to_sample(
        &self,
        within: &JurisdictionPath,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<SampledPhoto>> {
        let root = within.as_str().to_owned();
        let below = format!("{root}/%");
        let rows: Vec<SampledRow> = on_pool!(self.db(), pool => sqlx::query_as(SAMPLED)
            .bind(root.clone())
            .bind(below.clone())
            .bind(from.to_string())
            .bind(to.to_string())
            .fetch_all(pool)
            .await?);
        rows.into_iter().map(sampled).collect()
    }

    /// Records a sample and its audit entry.
    pub async fn insert_photo_sample(
        &self,
        sample: &SampleRecord,
        provenance: Provenance,
    ) -> StoreResult<()> {
        const SQL: &str = "INSERT INTO scan_photo_samples (id, jurisdiction_code, month, n, seed, \
            population, photo_ids, created_by, created_at, audit_seq) \
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
        let ids = serde_json::to_string(&sample.photo_ids)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        audited_write!(
            self,
            provenance,
            SQL,
            [
                sample.id.to_string(),
                &sample.jurisdiction_code,
                &sample.month,
                i64::from(sample.n),
                &sample.seed,
                i64::from(sample.population),
                &ids,
                sample.created_by.to_string(),
                to_ms(sample.created_at),
            ],
        );
        Ok(())
    }

    pub async fn photo_sample(&self, id: Uuid) -> StoreResult<Option<SampleRecord>> {
        const SQL: &str = "SELECT id, jurisdiction_code, month, n, seed, population, photo_ids, \
            created_by, created_at FROM scan_photo_samples WHERE id = $1";
        let row: Option<SampleRow> = on_pool!(self.db(), pool => sqlx::query_as(SQL)
            .bind(id.to_string())
            .fetch_optional(pool)
            .await?);
        row.map(|r| {
            Ok(SampleRecord {
                id: parse_uuid(&r.id)?,
                jurisdiction_code: r.jurisdiction_code,
                month: r.month,
                n: u32::try_from(r.n).unwrap_or_default(),
                seed: r.seed,
                population: u32::try_from(r.population).unwrap_or_default(),
                photo_ids: serde_json::from_str(&r.photo_ids)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                created_by: parse_uuid(&r.created_by)?,
                created_at: from_ms(r.created_at)?,
            })
        })
        .transpose()
    }

    /// A scan photo's place and hash (not its bytes).
    pub async fn scan_photo_ref(&self, photo_id: Uuid) -> StoreResult<Option<PhotoRef>> {
        const SQL: &str = "SELECT id, visit_id, physician_id, site_id, content_type, sha256 \
            FROM scan_photos WHERE id = $1";
        type Row = (
            String,
            Option<String>,
            String,
            Option<String>,
            String,
            String,
        );
        let row: Option<Row> = on_pool!(self.db(), pool => sqlx::query_as(SQL)
            .bind(photo_id.to_string())
            .fetch_optional(pool)
            .await?);
        row.map(|(id, visit, physician, site, content_type, sha256)| {
            Ok(PhotoRef {
                photo_id: parse_uuid(&id)?,
                visit_id: visit.as_deref().map(parse_uuid).transpose()?,
                physician_id: parse_uuid(&physician)?,
                site_id: site.as_deref().map(parse_uuid).transpose()?,
                content_type,
                sha256,
            })
        })
        .transpose()
    }

    /// A scan photo's bytes.
    pub async fn scan_photo_data(&self, photo_id: Uuid) -> StoreResult<Option<Vec<u8>>> {
        const SQL: &str = "SELECT data FROM scan_photos WHERE id = $1";
        let row: Option<(Vec<u8>,)> = on_pool!(self.db(), pool => sqlx::query_as(SQL)
            .bind(photo_id.to_string())
            .fetch_optional(pool)
            .await?);
        Ok(row.map(|(data,)| data))
    }

    /// Records a photo's review (with the anomaly a suspicious verdict raises) and its
    /// audit entry. A second review of the same photo is a [`StoreError::Conflict`].
    pub async fn insert_photo_review(
        &self,
        review: &ScanPhotoReview,
        raised: Option<&NewAnomaly>,
        provenance: Provenance,
    ) -> StoreResult<()> {
        const SQL: &str = "INSERT INTO scan_photo_reviews (id, photo_id, verdict, note, \
            reviewed_by, reviewed_at, anomaly_id, audit_seq) \
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
        on_pool!(self.db(), pool => {
            let mut tx = pool.begin_write().await?;
            let slot = tx.claim_audit_slot(&provenance).await?;
            sqlx::query(SQL)
                .bind(review.id.to_string())
                .bind(review.photo_id.to_string())
                .bind(encode_enum(&review.verdict))
                .bind(&review.note)
                .bind(review.reviewed_by.to_string())
                .bind(to_ms(review.reviewed_at))
                .bind(review.anomaly_id.map(|id| id.to_string()))
                .bind(slot.link())
                .execute(&mut *tx)
                .await
                .map_err(|e| StoreError::on_unique(e, "the photo has been reviewed"))?;
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
}

impl Store {
    /// How each visit's accepted scans reached the server: offline uploads and scans
    /// from a kiosk's network. Visits without scans are absent.
    pub async fn scan_marks_of(
        &self,
        visits: &[Uuid],
    ) -> StoreResult<std::collections::HashMap<Uuid, mobile_api::ScanMarks>> {
        if visits.is_empty() {
            return Ok(Default::default());
        }
        // Only placeholders are generated; the ids themselves are bound.
        let ids = numbered_marks(1, visits.len());
        // A visit's scans: its check-in and check-out events (through the visit's row
        // and the primary key) and the presence scans naming it (the only events
        // indexed by visit); refused attempts name no visit.
        let sql = format!(
            "SELECT visit_id, MAX(offline), MAX(kiosk) FROM ( \
             SELECT v.id AS visit_id, CASE WHEN e.offline THEN 1 ELSE 0 END AS offline, \
             CASE WHEN e.network = 'kiosk_network' THEN 1 ELSE 0 END AS kiosk \
             FROM visits v JOIN attendance_events e \
             ON e.id IN (v.check_in_event_id, v.check_out_event_id) \
             WHERE v.id IN ({ids}) AND e.verdict <> 'refused' \
             UNION ALL \
             SELECT visit_id, CASE WHEN offline THEN 1 ELSE 0 END, \
             CASE WHEN network = 'kiosk_network' THEN 1 ELSE 0 END \
             FROM attendance_events WHERE action = 'presence' AND verdict <> 'refused' \
             AND visit_id IN ({ids})) marks \
             GROUP BY visit_id"
        );
        let rows: Vec<(String, i32, i32)> = on_pool!(self.db(), pool => {
            let mut query = sqlx::query_as::<_, (String, i32, i32)>(sqlx::AssertSqlSafe(sql.clone()));
            for id in visits {
                query = query.bind(id.to_string());
            }
            query.fetch_all(pool).await?
        });
        rows.into_iter()
            .map(|(visit, offline, kiosk)| {
                Ok((
                    parse_uuid(&visit)?,
                    mobile_api::ScanMarks {
                        offline: offline != 0,
                        kiosk_network: kiosk != 0,
                    },
                ))
            })
            .collect()
    }
}
