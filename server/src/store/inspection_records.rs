//! Inspections as supervisors look them up: the filtered list, one inspection with its
//! names, its follow-up (an audited update) and its photos (audited inserts whose
//! entry carries the image's SHA-256).

use chrono::{DateTime, Utc};
use mobile_api::{
    FollowUpStatus, InspectionFollowUp, InspectionKind, InspectionPhoto, InspectorFix,
};
use uuid::Uuid;

use super::audit::{AuditTx, BeginWrite, Provenance, audited_write};
use super::supervision::InspectionRecord;
use super::{Store, StoreError, StoreResult, decode_enum, from_ms, on_pool, parse_uuid, to_ms};
use crate::domain::jurisdiction::JurisdictionPath;

/// The list's filters; `None` means any.
#[derive(Debug, Clone, Default)]
pub struct InspectionFilter {
    /// Sites in this jurisdiction and below.
    pub within: Option<JurisdictionPath>,
    pub site_id: Option<Uuid>,
    pub inspector_id: Option<Uuid>,
    pub kind: Option<InspectionKind>,
    /// `observed_at` at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// `observed_at` before this instant.
    pub until: Option<DateTime<Utc>>,
    /// `true`: only inspections that found someone missing; `false`: only those that
    /// did not.
    pub with_missing: Option<bool>,
}

/// An inspection as stored, with the names a list shows.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredInspection {
    pub record: InspectionRecord,
    pub follow_up: Option<InspectionFollowUp>,
    pub site_name: String,
    pub jurisdiction_code: String,
    pub jurisdiction_path: JurisdictionPath,
    pub inspector_name: String,
    pub photo_count: u32,
}

/// A photo to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewInspectionPhoto {
    pub meta: InspectionPhoto,
    pub data: Vec<u8>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    site_id: String,
    kind: String,
    observed_at: i64,
    inspector_id: String,
    present_physician_ids: String,
    absent_physician_ids: String,
    note: String,
    created_at: i64,
    fix_lat: Option<f64>,
    fix_lon: Option<f64>,
    fix_accuracy_m: Option<f64>,
    fix_at: Option<i64>,
    fix_distance_m: Option<f64>,
    follow_up_status: Option<String>,
    follow_up_action: Option<String>,
    follow_up_note: Option<String>,
    follow_up_at: Option<i64>,
    follow_up_by: Option<String>,
    site_name: String,
    jurisdiction_code: String,
    jurisdiction_path: String,
    inspector_name: String,
    photo_count: i64,
}

fn ids(text: &str) -> StoreResult<Vec<Uuid>> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("physician ids: {e}")))
}

impl TryFrom<Row> for StoredInspection {
    type Error = StoreError;
    fn try_from(r: Row) -> StoreResult<StoredInspection> {
        let fix = match (r.fix_lat, r.fix_lon) {
            (Some(lat), Some(lon)) => Some(InspectorFix {
                lat,
                lon,
                accuracy_m: r.fix_accuracy_m,
                fix_time: r.fix_at.map(from_ms).transpose()?,
            }),
            _ => None,
        };
        let follow_up = match (r.follow_up_status, r.follow_up_at, r.follow_up_by) {
            (Some(status), Some(at), Some(by)) => Some(InspectionFollowUp {
                action: r.follow_up_action.unwrap_or_default(),
                status: FollowUpStatus::parse(&status)
                    .ok_or_else(|| StoreError::Corrupt(format!("follow-up status {status:?}")))?,
                note: r.follow_up_note.unwrap_or_default(),
                recorded_at: from_ms(at)?,
                recorded_by: parse_uuid(&by)?,
            }),
            _ => None,
        };
        Ok(StoredInspection {
            record: InspectionRecord {
                id: parse_uuid(&r.id)?,
                site_id: parse_uuid(&r.site_id)?,
                kind: decode_enum(&r.kind)?,
                observed_at: from_ms(r.observed_at)?,
                inspector_id: parse_uuid(&r.inspector_id)?,
                present_physician_ids: ids(&r.present_physician_ids)?,
                absent_physician_ids: ids(&r.absent_physician_ids)?,
                note: r.note,
                created_at: from_ms(r.created_at)?,
                fix,
                fix_distance_m: r.fix_distance_m,
            },
            follow_up,
            site_name: r.site_name,
            jurisdiction_code: r.jurisdiction_code,
            jurisdiction_path: JurisdictionPath::from_stored(r.jurisdiction_path),
            inspector_name: r.inspector_name,
            photo_count: u32::try_from(r.photo_count).unwrap_or(u32::MAX),
        })
    }
}

const SELECT: &str = "SELECT i.id, i.site_id, i.kind, i.observed_at, i.inspector_id, \
    i.present_physician_ids, i.absent_physician_ids, i.note, i.created_at, \
    i.fix_lat, i.fix_lon, i.fix_accuracy_m, i.fix_at, i.fix_distance_m, \
    i.follow_up_status, i.follow_up_action, i.follow_up_note, i.follow_up_at, i.follow_up_by, \
    o.name AS site_name, o.jurisdiction_code, j.path AS jurisdiction_path, \
    u.name AS inspector_name, \
    (SELECT COUNT(*) FROM inspection_photos p WHERE p.inspection_id = i.id) AS photo_count \
    FROM inspections i \
    JOIN organizations o ON o.id = i.site_id \
    JOIN jurisdictions j ON j.code = o.jurisdiction_code \
    JOIN users u ON u.id = i.inspector_id";

/// `$1..$9`: the filters, each "any" when empty (or at its far bound).
const FILTER: &str = "($1 = '' OR j.path = $1 OR j.path LIKE $2) \
    AND ($3 = '' OR i.site_id = $3) AND ($4 = '' OR i.inspector_id = $4) \
    AND ($5 = '' OR i.kind = $5) AND i.observed_at >= $6 AND i.observed_at < $7 \
    AND ($8 = '' OR ($8 = 'yes' AND i.absent_physician_ids <> '[]') \
        OR ($8 = 'no' AND i.absent_physician_ids = '[]'))";

/// The bind values of [`FILTER`], in order.
fn filter_binds(f: &InspectionFilter) -> (Vec<String>, i64, i64, String) {
    let (root, below) = match &f.within {
        Some(path) => (path.as_str().to_owned(), format!("{}/%", path.as_str())),
        None => (String::new(), String::new()),
    };
    let text = |id: Option<Uuid>| id.map(|u| u.to_string()).unwrap_or_default();
    let missing = match f.with_missing {
        Some(true) => "yes",
        Some(false) => "no",
        None => "",
    };
    (
        vec![
            root,
            below,
            text(f.site_id),
            text(f.inspector_id),
            f.kind.map(|k| k.as_str().to_owned()).unwrap_or_default(),
        ],
        f.from.map_or(i64::MIN, to_ms),
        f.until.map_or(i64::MAX, to_ms),
        missing.to_owned(),
    )
}

#[derive(sqlx::FromRow)]
struct PhotoRow {
    id: String,
    inspection_id: String,
    content_type: String,
    bytes: i64,
    sha256: String,
    uploaded_by: String,
    uploaded_at: i64,
}

impl TryFrom<PhotoRow> for InspectionPhoto {
    type Error = StoreError;
    fn try_from(r: PhotoRow) -> StoreResult<InspectionPhoto> {
        Ok(InspectionPhoto {
            id: parse_uuid(&r.id)?,
            inspection_id: parse_uuid(&r.inspection_id)?,
            content_type: r.content_type,
            bytes: u64::try_from(r.bytes).unwrap_or(0),
            sha256: r.sha256,
            uploaded_by: parse_uuid(&r.uploaded_by)?,
            uploaded_at: from_ms(r.uploaded_at)?,
        })
    }
}

const PHOTO_COLUMNS: &str =
    "id, inspection_id, content_type, bytes, sha256, uploaded_by, uploaded_at";

impl Store {
    /// Inspections matching `filter`, newest `observed_at` first (ties by id), after
    /// the cursor `after`, at most `limit`.
    pub async fn search_inspections(
        &self,
        filter: &InspectionFilter,
        after: Option<(DateTime<Utc>, Uuid)>,
        limit: u32,
    ) -> StoreResult<Vec<StoredInspection>> {
        let sql = format!(
            "{SELECT} WHERE {FILTER} \
             AND (i.observed_at < $9 OR (i.observed_at = $9 AND i.id > $10)) \
             ORDER BY i.observed_at DESC, i.id LIMIT $11"
        );
        let (texts, from, until, missing) = filter_binds(filter);
        let (after_at, after_id) = after.map_or((i64::MAX, String::new()), |(at, id)| {
            (to_ms(at), id.to_string())
        });
        let rows: Vec<Row> = on_pool!(self.db(), pool => {
            let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql));
            for text in &texts {
                query = query.bind(text.clone());
            }
            query
                .bind(from)
                .bind(until)
                .bind(missing.clone())
                .bind(after_at)
                .bind(after_id.clone())
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?
        });
        rows.into_iter().map(StoredInspection::try_from).collect()
    }

    /// How many inspections match `filter`.
    pub async fn count_inspections(&self, filter: &InspectionFilter) -> StoreResult<u64> {
        let sql = format!(
            "SELECT COUNT(*) FROM inspections i \
             JOIN organizations o ON o.id = i.site_id \
             JOIN jurisdictions j ON j.code = o.jurisdiction_code WHERE {FILTER}"
        );
        let (texts, from, until, missing) = filter_binds(filter);
        let count: i64 = on_pool!(self.db(), pool => {
            let mut query = sqlx::query_scalar(sqlx::AssertSqlSafe(sql));
            for text in &texts {
                query = query.bind(text.clone());
            }
            query
                .bind(from)
                .bind(until)
                .bind(missing.clone())
                .fetch_one(pool)
                .await?
        });
        Ok(u64::try_from(count).unwrap_or(0))
    }

    /// One inspection with its names.
    pub async fn inspection(&self, id: Uuid) -> StoreResult<Option<StoredInspection>> {
        let sql = format!("{SELECT} WHERE i.id = $1");
        let row: Option<Row> = on_pool!(self.db(), pool => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(id.to_string())
            .fetch_optional(pool)
            .await?);
        row.map(StoredInspection::try_from).transpose()
    }

    /// Records an inspection's follow-up (replacing the one before; the audit chain
    /// keeps each). `NotFound` when the inspection is gone.
    pub async fn record_follow_up(
        &self,
        inspection_id: Uuid,
        follow_up: &InspectionFollowUp,
        provenance: Provenance,
    ) -> StoreResult<()> {
        const SQL: &str = "UPDATE inspections SET follow_up_status = $1, follow_up_action = $2, \
            follow_up_note = $3, follow_up_at = $4, follow_up_by = $5, audit_seq = $6 \
            WHERE id = $7";
        on_pool!(self.db(), pool => {
            let mut tx = pool.begin_write().await?;
            let slot = tx.claim_audit_slot(&provenance).await?;
            let done = sqlx::query(SQL)
                .bind(follow_up.status.as_str())
                .bind(&follow_up.action)
                .bind(&follow_up.note)
                .bind(to_ms(follow_up.recorded_at))
                .bind(follow_up.recorded_by.to_string())
                .bind(slot.link())
                .bind(inspection_id.to_string())
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            tx.append_audit(slot, provenance).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Stores a photo of an inspection with its audit entry.
    pub async fn insert_inspection_photo(
        &self,
        photo: &NewInspectionPhoto,
        provenance: Provenance,
    ) -> StoreResult<()> {
        const SQL: &str = "INSERT INTO inspection_photos (id, inspection_id, content_type, \
            bytes, sha256, data, uploaded_by, uploaded_at, audit_seq) \
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
        let meta = &photo.meta;
        audited_write!(
            self,
            provenance,
            SQL,
            [
                meta.id.to_string(),
                meta.inspection_id.to_string(),
                &meta.content_type,
                i64::try_from(meta.bytes).unwrap_or(i64::MAX),
                &meta.sha256,
                photo.data.clone(),
                meta.uploaded_by.to_string(),
                to_ms(meta.uploaded_at),
            ],
        );
        Ok(())
    }

    /// The photos of these inspections, oldest first (metadata only).
    pub async fn inspection_photos(
        &self,
        inspection_id: Uuid,
    ) -> StoreResult<Vec<InspectionPhoto>> {
        let sql = format!(
            "SELECT {PHOTO_COLUMNS} FROM inspection_photos WHERE inspection_id = $1 \
             ORDER BY uploaded_at, id"
        );
        let rows: Vec<PhotoRow> = on_pool!(self.db(), pool => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(inspection_id.to_string())
            .fetch_all(pool)
            .await?);
        rows.into_iter().map(InspectionPhoto::try_from).collect()
    }

    /// One photo of an inspection with its bytes.
    pub async fn inspection_photo(
        &self,
        inspection_id: Uuid,
        photo_id: Uuid,
    ) -> StoreResult<Option<(InspectionPhoto, Vec<u8>)>> {
        let sql = format!(
            "SELECT {PHOTO_COLUMNS} FROM inspection_photos WHERE inspection_id = $1 AND id = $2"
        );
        let row: Option<PhotoRow> = on_pool!(self.db(), pool => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(inspection_id.to_string())
            .bind(photo_id.to_string())
            .fetch_optional(pool)
            .await?);
        let Some(row) = row else {
            return Ok(None);
        };
        const DATA: &str = "SELECT data FROM inspection_photos WHERE id = $1";
        let data: Vec<u8> = on_pool!(self.db(), pool => sqlx::query_scalar(DATA)
            .bind(photo_id.to_string())
            .fetch_one(pool)
            .await?);
        Ok(Some((InspectionPhoto::try_from(row)?, data)))
    }
}
