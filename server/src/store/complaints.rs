//! Complaints (患者投诉) against physicians at sites, and their handling.

use chrono::{DateTime, NaiveDate, Utc};
use mobile_api::{ComplaintChannel, ComplaintStatus, Substantiated};
use uuid::Uuid;

use super::audit::{Provenance, audited_write};
use super::{Store, StoreError, StoreResult, decode_enum, from_ms, on_pool, parse_uuid, to_ms};
use crate::domain::jurisdiction::JurisdictionPath;

/// A complaint as stored, with the names the lists show and what scope checks need.
#[derive(Debug, Clone, PartialEq)]
pub struct ComplaintRecord {
    pub id: Uuid,
    pub physician_id: Uuid,
    pub site_id: Uuid,
    pub received_on: NaiveDate,
    pub channel: ComplaintChannel,
    pub complainant: Option<String>,
    pub content: String,
    pub status: ComplaintStatus,
    pub substantiated: Substantiated,
    pub handling_note: Option<String>,
    pub recorded_by: Uuid,
    pub recorded_at: DateTime<Utc>,
    pub handled_by: Option<Uuid>,
    pub handled_at: Option<DateTime<Utc>>,
    // Read back only.
    pub physician_name: String,
    pub hospital_id: Option<Uuid>,
    pub hospital_name: Option<String>,
    pub site_name: String,
    pub recorded_by_name: Option<String>,
    pub handled_by_name: Option<String>,
    /// The site's jurisdiction path.
    pub site_path: String,
}

/// Which complaints to list; `None` means any. Dates bound `received_on`, both
/// inclusive.
#[derive(Debug, Clone, Default)]
pub struct ComplaintFilter<'a> {
    /// Sites in this jurisdiction or below.
    pub within: Option<&'a JurisdictionPath>,
    /// Physicians of this hospital.
    pub hospital_id: Option<Uuid>,
    pub site_id: Option<Uuid>,
    pub physician_id: Option<Uuid>,
    pub status: Option<ComplaintStatus>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    physician_id: String,
    site_id: String,
    received_on: String,
    channel: String,
    complainant: Option<String>,
    content: String,
    status: String,
    substantiated: String,
    handling_note: Option<String>,
    recorded_by: String,
    recorded_at: i64,
    handled_by: Option<String>,
    handled_at: Option<i64>,
    physician_name: Option<String>,
    hospital_id: Option<String>,
    hospital_name: Option<String>,
    site_name: Option<String>,
    recorded_by_name: Option<String>,
    handled_by_name: Option<String>,
    site_path: Option<String>,
}

fn date(text: &str) -> StoreResult<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|e| StoreError::Corrupt(e.to_string()))
}

impl TryFrom<Row> for ComplaintRecord {
    type Error = StoreError;
    fn try_from(r: Row) -> StoreResult<ComplaintRecord> {
        Ok(ComplaintRecord {
            id: parse_uuid(&r.id)?,
            physician_id: parse_uuid(&r.physician_id)?,
            site_id: parse_uuid(&r.site_id)?,
            received_on: date(&r.received_on)?,
            channel: decode_enum(&r.channel)?,
            complainant: r.complainant,
            content: r.content,
            status: decode_enum(&r.status)?,
            substantiated: decode_enum(&r.substantiated)?,
            handling_note: r.handling_note,
            recorded_by: parse_uuid(&r.recorded_by)?,
            recorded_at: from_ms(r.recorded_at)?,
            handled_by: r.handled_by.as_deref().map(parse_uuid).transpose()?,
            handled_at: r.handled_at.map(from_ms).transpose()?,
            physician_name: r.physician_name.unwrap_or_default(),
            hospital_id: r.hospital_id.as_deref().map(parse_uuid).transpose()?,
            hospital_name: r.hospital_name,
            site_name: r.site_name.unwrap_or_default(),
            recorded_by_name: r.recorded_by_name,
            handled_by_name: r.handled_by_name,
            site_path: r.site_path.unwrap_or_default(),
        })
    }
}

const SELECT: &str = "SELECT c.id, c.physician_id, c.site_id, c.received_on, c.channel, \
    c.complainant, c.content, c.status, c.substantiated, c.handling_note, c.recorded_by, \
    c.recorded_at, c.handled_by, c.handled_at, p.name AS physician_name, \
    p.organization_id AS hospital_id, h.name AS hospital_name, o.name AS site_name, \
    r.name AS recorded_by_name, hb.name AS handled_by_name, j.path AS site_path \
    FROM complaints c \
    LEFT JOIN users p ON p.id = c.physician_id \
    LEFT JOIN organizations h ON h.id = p.organization_id \
    LEFT JOIN organizations o ON o.id = c.site_id \
    LEFT JOIN jurisdictions j ON j.code = o.jurisdiction_code \
    LEFT JOIN users r ON r.id = c.recorded_by \
    LEFT JOIN users hb ON hb.id = c.handled_by";

fn text_or_empty(id: Option<Uuid>) -> String {
    id.map(|u| u.to_string()).unwrap_or_default()
}

impl Store {
    /// Records a new complaint with its audit entry.
    pub async fn insert_complaint(
        &self,
        c: &ComplaintRecord,
        provenance: Provenance,
    ) -> StoreResult<()> {
        const SQL: &str = "INSERT INTO complaints (id, physician_id, site_id, received_on, \
            channel, complainant, content, status, substantiated, recorded_by, recorded_at, \
            audit_seq) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
        audited_write!(
            self,
            provenance,
            SQL,
            [
                c.id.to_string(),
                c.physician_id.to_string(),
                c.site_id.to_string(),
                c.received_on.to_string(),
                c.channel.as_str(),
                c.complainant.as_deref(),
                &c.content,
                c.status.as_str(),
                c.substantiated.as_str(),
                c.recorded_by.to_string(),
                to_ms(c.recorded_at),
            ],
        );
        Ok(())
    }

    /// Records the handling of a complaint that is not closed: a closed one is a
    /// [`StoreError::Conflict`].
    #[allow(clippy::too_many_arguments)]
    pub async fn handle_complaint(
        &self,
        id: Uuid,
        status: ComplaintStatus,
        substantiated: Substantiated,
        note: &str,
        by: Uuid,
        at: DateTime<Utc>,
        provenance: Provenance,
    ) -> StoreResult<()> {
        const SQL: &str = "UPDATE complaints SET status = $2, substantiated = $3, \
            handling_note = $4, handled_by = $5, handled_at = $6, audit_seq = $7 \
            WHERE id = $1 AND status <> 'closed'";
        audited_write!(
            self,
            provenance,
            SQL,
            [
                id.to_string(),
                status.as_str(),
                substantiated.as_str(),
                note,
                by.to_string(),
                to_ms(at),
            ],
            unless_one_row = StoreError::Conflict("the complaint is closed".into()),
        );
        Ok(())
    }

    pub async fn complaint(&self, id: Uuid) -> StoreResult<Option<ComplaintRecord>> {
        let sql = format!("{SELECT} WHERE c.id = $1");
        let row: Option<Row> = on_pool!(self.db(), pool => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(id.to_string())
            .fetch_optional(pool)
            .await?);
        row.map(ComplaintRecord::try_from).transpose()
    }

    /// Complaints matching `filter`, newest received first, at most `limit`.
    pub async fn list_complaints(
        &self,
        filter: &ComplaintFilter<'_>,
        limit: u32,
    ) -> StoreResult<Vec<ComplaintRecord>> {
        let sql = format!(
            "{SELECT} WHERE ($1 = '' OR j.path = $1 OR j.path LIKE $2) \
             AND ($3 = '' OR p.organization_id = $3) AND ($4 = '' OR c.site_id = $4) \
             AND ($5 = '' OR c.physician_id = $5) AND ($6 = '' OR c.status = $6) \
             AND ($7 = '' OR c.received_on >= $7) AND ($8 = '' OR c.received_on <= $8) \
             ORDER BY c.received_on DESC, c.recorded_at DESC, c.id LIMIT $9"
        );
        let (root, below) = match filter.within {
            Some(path) => (path.as_str().to_owned(), format!("{}/%", path.as_str())),
            None => (String::new(), String::new()),
        };
        let rows: Vec<Row> = on_pool!(self.db(), pool => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(root)
            .bind(below)
            .bind(text_or_empty(filter.hospital_id))
            .bind(text_or_empty(filter.site_id))
            .bind(text_or_empty(filter.physician_id))
            .bind(filter.status.map(ComplaintStatus::as_str).unwrap_or_default())
            .bind(filter.from.map(|d| d.to_string()).unwrap_or_default())
            .bind(filter.to.map(|d| d.to_string()).unwrap_or_default())
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?);
        rows.into_iter().map(ComplaintRecord::try_from).collect()
    }
}
