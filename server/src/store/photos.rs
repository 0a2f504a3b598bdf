//! Scan photos: stored once per attendance event with their SHA-256, which the audit
//! entry written with them records.

use chrono::{DateTime, Utc};
use mobile_api::EvidencePhoto;
use uuid::Uuid;

use super::audit::{Provenance, audited_write};
use super::{Store, StoreError, StoreResult, from_ms, on_pool, parse_uuid, to_ms};

/// A photo to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPhoto {
    pub event_id: Uuid,
    pub physician_id: Uuid,
    pub visit_id: Option<Uuid>,
    pub site_id: Option<Uuid>,
    pub content_type: &'static str,
    pub sha256: String,
    pub data: Vec<u8>,
    pub uploaded_at: DateTime<Utc>,
}

/// The event a photo belongs to: whose it is, and when the server received it.
#[derive(Debug, Clone, PartialEq)]
pub struct PhotoEvent {
    pub physician_id: Uuid,
    pub visit_id: Option<Uuid>,
    pub site_id: Option<Uuid>,
    pub received_at: DateTime<Utc>,
}

impl Store {
    pub async fn photo_event(&self, event_id: Uuid) -> StoreResult<Option<PhotoEvent>> {
        const SQL: &str = "SELECT physician_id, visit_id, site_id, received_at \
            FROM attendance_events WHERE id = $1";
        let row: Option<(String, Option<String>, Option<String>, i64)> = on_pool!(self.db(), pool =>
            sqlx::query_as(SQL).bind(event_id.to_string()).fetch_optional(pool).await?);
        row.map(|(physician, visit, site, received)| {
            Ok(PhotoEvent {
                physician_id: parse_uuid(&physician)?,
                visit_id: visit.as_deref().map(parse_uuid).transpose()?,
                site_id: site.as_deref().map(parse_uuid).transpose()?,
                received_at: from_ms(received)?,
            })
        })
        .transpose()
    }

    /// Stores a photo and its audit entry; a second photo of the same event is a
    /// [`StoreError::Conflict`].
    pub async fn insert_photo(&self, photo: &NewPhoto, provenance: Provenance) -> StoreResult<()> {
        const SQL: &str = "INSERT INTO scan_photos (id, physician_id, visit_id, site_id, \
            content_type, sha256, size_bytes, data, uploaded_at, audit_seq) \
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
        let size = i64::try_from(photo.data.len()).unwrap_or(i64::MAX);
        audited_write!(
            self,
            provenance,
            SQL,
            [
                photo.event_id.to_string(),
                photo.physician_id.to_string(),
                photo.visit_id.map(|v| v.to_string()),
                photo.site_id.map(|s| s.to_string()),
                photo.content_type,
                &photo.sha256,
                size,
                &photo.data,
                to_ms(photo.uploaded_at),
            ],
            map_err = |e| StoreError::on_unique(e, "the scan already has its photo"),
        );
        Ok(())
    }

    /// The photos of a visit's scans (hash and size, not the bytes), oldest first.
    pub async fn photos_of_visit(&self, visit_id: Uuid) -> StoreResult<Vec<EvidencePhoto>> {
        const SQL: &str = "SELECT id, sha256, size_bytes, content_type, uploaded_at \
            FROM scan_photos WHERE visit_id = $1 ORDER BY uploaded_at, id";
        let rows: Vec<(String, String, i64, String, i64)> = on_pool!(self.db(), pool =>
            sqlx::query_as(SQL).bind(visit_id.to_string()).fetch_all(pool).await?);
        rows.into_iter()
            .map(|(id, sha256, size, content_type, at)| {
                Ok(EvidencePhoto {
                    event_id: parse_uuid(&id)?,
                    sha256,
                    bytes: u64::try_from(size).unwrap_or_default(),
                    content_type,
                    uploaded_at: from_ms(at)?,
                })
            })
            .collect()
    }
}

/// A check-in at a programme that requires a scan photo, with what its anomaly names.
#[derive(Debug, Clone, PartialEq)]
pub struct PhotoDueCheckIn {
    pub due: crate::domain::photo::PhotoDue,
    pub visit_id: Uuid,
    pub physician_id: Uuid,
    pub site_id: Uuid,
}

impl Store {
    /// Check-ins made since `since` at programmes that now require a scan photo,
    /// received before `received_before` (their upload window has closed), not yet
    /// judged by `job` (a `job_runs` claim keyed by the event id).
    pub async fn photo_due_check_ins(
        &self,
        job: &str,
        since: DateTime<Utc>,
        received_before: DateTime<Utc>,
    ) -> StoreResult<Vec<PhotoDueCheckIn>> {
        // Most provinces require no photo anywhere: then nothing is due, and the
        // search below (every check-in of the look-back, joined to its programme)
        // is not made. It was most of a scheduler tick at 10 M events.
        const ANY: &str = "SELECT 1 FROM programs WHERE scan_photo = 'required' LIMIT 1";
        let any: Option<(i32,)> =
            on_pool!(self.db(), pool => sqlx::query_as(ANY).fetch_optional(pool).await?);
        if any.is_none() {
            return Ok(Vec::new());
        }
        const SQL: &str = "SELECT e.id, v.id, v.physician_id, v.site_id, e.received_at, \
            p.scan_photo_since, \
            CASE WHEN EXISTS (SELECT 1 FROM scan_photos s WHERE s.id = e.id) THEN 1 ELSE 0 END \
            FROM visits v \
            JOIN attendance_events e ON e.id = v.check_in_event_id \
            JOIN assignments a ON a.id = v.assignment_id \
            JOIN programs p ON p.id = a.program_id \
            WHERE v.checked_in_at >= $1 AND e.received_at < $2 AND p.scan_photo = 'required' \
            AND NOT EXISTS (SELECT 1 FROM job_runs j WHERE j.job = $3 AND j.run_key = e.id) \
            ORDER BY e.received_at, e.id";
        type Row = (String, String, String, String, i64, Option<i64>, i32);
        let rows: Vec<Row> = on_pool!(self.db(), pool => sqlx::query_as(SQL)
            .bind(to_ms(since))
            .bind(to_ms(received_before))
            .bind(job)
            .fetch_all(pool)
            .await?);
        rows.into_iter()
            .map(|(event, visit, physician, site, received, since, photo)| {
                Ok(PhotoDueCheckIn {
                    due: crate::domain::photo::PhotoDue {
                        event_id: parse_uuid(&event)?,
                        received_at: from_ms(received)?,
                        required_since: since.map(from_ms).transpose()?,
                        has_photo: photo != 0,
                    },
                    visit_id: parse_uuid(&visit)?,
                    physician_id: parse_uuid(&physician)?,
                    site_id: parse_uuid(&site)?,
                })
            })
            .collect()
    }
}
