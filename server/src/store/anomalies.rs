//! Anomalies as supervisors see them: filtered lists scoped to a jurisdiction, one
//! review per anomaly, and the visit listing of the supervision console.

use chrono::{DateTime, NaiveDate, Utc};
use mobile_api::ReviewDecision;
use uuid::Uuid;

use super::attendance::{VisitAnomaly, VisitRecord, VisitRow};
use super::audit::{AuditTx, BeginWrite, Provenance};
use super::statement::numbered_marks;
use super::{
    Store, StoreError, StoreResult, decode_enum, encode_enum, from_ms, on_pool, parse_opt_uuid,
    parse_uuid, to_ms,
};
use crate::domain::jurisdiction::JurisdictionPath;

/// A supervisor's decision as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewRecord {
    pub decision: ReviewDecision,
    pub note: String,
    pub reviewer_id: Uuid,
    pub reviewed_at: DateTime<Utc>,
}

/// An anomaly with its review, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct AnomalyRecord {
    pub id: Uuid,
    pub kind: String,
    pub severity: String,
    /// `open`, `confirmed` or `dismissed`; mirrors the review.
    pub status: String,
    /// `None` for an anomaly about a jurisdiction (a report filed late or not at all).
    pub physician_id: Option<Uuid>,
    pub site_id: Option<Uuid>,
    pub visit_id: Option<Uuid>,
    pub event_ids: Vec<Uuid>,
    pub detected_at: DateTime<Utc>,
    pub detail: serde_json::Value,
    pub review: Option<ReviewRecord>,
}

/// Which anomalies to list. `None` means "any"; instants bound `detected_at` as
/// `[detected_from, detected_before)`.
#[derive(Debug, Clone, Default)]
pub struct AnomalyFilter<'a> {
    /// Only anomalies at sites in this jurisdiction or below (anomalies without a
    /// site are then left out); everything when `None`.
    pub within: Option<&'a JurisdictionPath>,
    pub status: Option<&'a str>,
    pub kind: Option<&'a str>,
    pub site_id: Option<Uuid>,
    pub physician_id: Option<Uuid>,
    pub detected_from: Option<DateTime<Utc>>,
    pub detected_before: Option<DateTime<Utc>>,
    /// The `(detected_at, id)` of the last anomaly of the previous page.
    pub after: Option<(DateTime<Utc>, Uuid)>,
}

/// Which visits to list; dates are the visits' local dates, both inclusive.
#[derive(Debug, Clone, Default)]
pub struct VisitFilter<'a> {
    pub within: Option<&'a JurisdictionPath>,
    pub site_id: Option<Uuid>,
    pub physician_id: Option<Uuid>,
    /// `open`, `closed` or `auto_closed`.
    pub status: Option<&'a str>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// The `(checked_in_at, id)` of the last visit of the previous page.
    pub after: Option<(DateTime<Utc>, Uuid)>,
}

#[derive(sqlx::FromRow)]
struct AnomalyRow {
    id: String,
    kind: String,
    severity: String,
    status: String,
    physician_id: Option<String>,
    site_id: Option<String>,
    visit_id: Option<String>,
    event_ids: String,
    detected_at: i64,
    detail: String,
    decision: Option<String>,
    note: Option<String>,
    reviewer_id: Option<String>,
    reviewed_at: Option<i64>,
}

impl TryFrom<AnomalyRow> for AnomalyRecord {
    type Error = StoreError;
    fn try_from(row: AnomalyRow) -> StoreResult<AnomalyRecord> {
        let event_ids: Vec<String> = serde_json::from_str(&row.event_ids)
            .map_err(|_| StoreError::Corrupt(format!("event_ids {:?}", row.event_ids)))?;
        let detail = serde_json::from_str(&row.detail)
            .map_err(|_| StoreError::Corrupt(format!("anomaly detail of {}", row.id)))?;
        let review = match (row.decision, row.note, row.reviewer_id, row.reviewed_at) {
            (Some(decision), Some(note), Some(reviewer), Some(at)) => Some(ReviewRecord {
                decision: decode_enum(&decision)?,
                note,
                reviewer_id: parse_uuid(&reviewer)?,
                reviewed_at: from_ms(at)?,
            }),
            _ => None,
        };
        Ok(AnomalyRecord {
            id: parse_uuid(&row.id)?,
            kind: row.kind,
            severity: row.severity,
            status: row.status,
            physician_id: parse_opt_uuid(row.physician_id)?,
            site_id: parse_opt_uuid(row.site_id)?,
            visit_id: parse_opt_uuid(row.visit_id)?,
            event_ids: event_ids
                .iter()
                .map(|e| parse_uuid(e))
                .collect::<StoreResult<_>>()?,
            detected_at: from_ms(row.detected_at)?,
            detail,
            review,
        })
    }
}

/// Anomalies with their review and the jurisdiction path they are scoped by: their
/// site's, else the jurisdiction they name (reports filed late), else NULL.
const SELECT_ANOMALIES: &str = "SELECT a.id, a.kind, a.severity, a.status, a.physician_id, \
    a.site_id, a.visit_id, a.event_ids, a.detected_at, a.detail, \
    r.decision, r.note, r.reviewer_id, r.reviewed_at, j.path AS site_path \
    FROM anomalies a \
    LEFT JOIN anomaly_reviews r ON r.anomaly_id = a.id \
    LEFT JOIN organizations o ON o.id = a.site_id \
    LEFT JOIN jurisdictions j ON j.code = COALESCE(o.jurisdiction_code, a.jurisdiction_code)";

/// The subtree bound: `(root, root/%)`, or two empty strings for "everywhere".
fn subtree(within: Option<&JurisdictionPath>) -> (String, String) {
    match within {
        Some(path) => (path.as_str().to_owned(), format!("{}/%", path.as_str())),
        None => (String::new(), String::new()),
    }
}

fn uuid_or_empty(id: Option<Uuid>) -> String {
    id.map(|u| u.to_string()).unwrap_or_default()
}

impl Store {
    /// Anomalies matching `filter`, newest first (ties by id), at most `limit`.
    pub async fn list_anomalies(
        &self,
        filter: &AnomalyFilter<'_>,
        limit: u32,
    ) -> StoreResult<Vec<AnomalyRecord>> {
        let sql = format!(
            "{SELECT_ANOMALIES} \
             WHERE ($1 = '' OR j.path = $1 OR j.path LIKE $2) \
             AND ($3 = '' OR a.status = $3) AND ($4 = '' OR a.kind = $4) \
             AND ($5 = '' OR a.site_id = $5) AND ($6 = '' OR a.physician_id = $6) \
             AND a.detected_at >= $7 AND a.detected_at < $8 \
             AND (a.detected_at < $9 OR (a.detected_at = $9 AND a.id > $10)) \
             ORDER BY a.detected_at DESC, a.id LIMIT $11"
        );
        let (root, below) = subtree(filter.within);
        let (after_at, after_id) = match filter.after {
            Some((at, id)) => (to_ms(at), id.to_string()),
            None => (i64::MAX, String::new()),
        };
        let rows: Vec<AnomalyRow> = on_pool!(self.db(), pool =>
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(&root)
                .bind(&below)
                .bind(filter.status.unwrap_or_default())
                .bind(filter.kind.unwrap_or_default())
                .bind(uuid_or_empty(filter.site_id))
                .bind(uuid_or_empty(filter.physician_id))
                .bind(filter.detected_from.map(to_ms).unwrap_or(i64::MIN))
                .bind(filter.detected_before.map(to_ms).unwrap_or(i64::MAX))
                .bind(after_at)
                .bind(&after_id)
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?);
        rows.into_iter().map(AnomalyRecord::try_from).collect()
    }

    /// Every anomaly raised on one visit, oldest first, with its review.
    pub async fn anomalies_of_visit(&self, visit_id: Uuid) -> StoreResult<Vec<AnomalyRecord>> {
        let sql = format!("{SELECT_ANOMALIES} WHERE a.visit_id = $1 ORDER BY a.detected_at, a.id");
        let rows: Vec<AnomalyRow> = on_pool!(self.db(), pool =>
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(visit_id.to_string())
                .fetch_all(pool)
                .await?);
        rows.into_iter().map(AnomalyRecord::try_from).collect()
    }

    /// One anomaly with its site's jurisdiction path (`None` when it has no site).
    pub async fn anomaly(
        &self,
        id: Uuid,
    ) -> StoreResult<Option<(AnomalyRecord, Option<JurisdictionPath>)>> {
        let sql = format!("{SELECT_ANOMALIES} WHERE a.id = $1");
        #[derive(sqlx::FromRow)]
        struct Row {
            #[sqlx(flatten)]
            anomaly: AnomalyRow,
            site_path: Option<String>,
        }
        let row: Option<Row> = on_pool!(self.db(), pool =>
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(id.to_string())
                .fetch_optional(pool)
                .await?);
        row.map(|r| {
            Ok((
                AnomalyRecord::try_from(r.anomaly)?,
                r.site_path.map(JurisdictionPath::from_stored),
            ))
        })
        .transpose()
    }

    /// Records the one review of an open anomaly and moves its status, in one
    /// transaction. A second review (or an anomaly no longer open) is a
    /// [`StoreError::Conflict`]; an unknown anomaly is [`StoreError::NotFound`].
    ///
    /// The status update comes first so the transaction writes before it reads: on
    /// SQLite a transaction that read first cannot upgrade to a writer once another
    /// review committed (it fails at once instead of waiting), and on PostgreSQL the
    /// row lock makes a concurrent second review wait and then find the row reviewed.
    pub async fn review_anomaly(
        &self,
        id: Uuid,
        decision: ReviewDecision,
        note: &str,
        reviewer_id: Uuid,
        at: DateTime<Utc>,
        provenance: Provenance,
    ) -> StoreResult<()> {
        const UPDATE: &str = "UPDATE anomalies SET status = $2 WHERE id = $1 AND status = 'open'";
        const EXISTS: &str = "SELECT COUNT(*) FROM anomalies WHERE id = $1";
        const INSERT: &str = "INSERT INTO anomaly_reviews (anomaly_id, decision, note, \
            reviewer_id, reviewed_at, audit_seq) VALUES ($1, $2, $3, $4, $5, $6)";
        const REVIEWED: &str = "the anomaly was already reviewed";
        let anomaly = id.to_string();
        on_pool!(self.db(), pool => {
            let mut tx = pool.begin_write().await?;
            let slot = tx.claim_audit_slot(&provenance).await?;
            let moved = sqlx::query(UPDATE)
                .bind(&anomaly)
                .bind(decision.resulting_status())
                .execute(&mut *tx)
                .await?;
            if moved.rows_affected() != 1 {
                let (exists,): (i64,) =
                    sqlx::query_as(EXISTS).bind(&anomaly).fetch_one(&mut *tx).await?;
                tx.rollback().await?;
                return Err(if exists == 0 {
                    StoreError::NotFound
                } else {
                    StoreError::Conflict(REVIEWED.to_owned())
                });
            }
            sqlx::query(INSERT)
                .bind(&anomaly)
                .bind(encode_enum(&decision))
                .bind(note)
                .bind(reviewer_id.to_string())
                .bind(to_ms(at))
                .bind(slot.link())
                .execute(&mut *tx)
                .await
                .map_err(|e| StoreError::on_unique(e, REVIEWED))?;
            tx.append_audit(slot, provenance).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// How many anomalies there are of each kind and status, for the metrics scrape:
    /// `(kind, status, count)`, sorted.
    pub async fn count_anomalies_by_kind(&self) -> StoreResult<Vec<(String, String, i64)>> {
        const SQL: &str = "SELECT kind, status, COUNT(*) FROM anomalies \
            GROUP BY kind, status ORDER BY kind, status";
        let rows: Vec<(String, String, i64)> =
            on_pool!(self.db(), pool => sqlx::query_as(SQL).fetch_all(pool).await?);
        Ok(rows)
    }

    /// Visits matching `filter`, newest check-in first (ties by id), at most `limit`.
    pub async fn list_visits(
        &self,
        filter: &VisitFilter<'_>,
        limit: u32,
    ) -> StoreResult<Vec<VisitRecord>> {
        const SQL: &str = "SELECT v.id, v.physician_id, v.site_id, v.assignment_id, \
            v.local_date, v.checked_in_at, v.checked_out_at, v.status \
            FROM visits v \
            JOIN organizations o ON o.id = v.site_id \
            JOIN jurisdictions j ON j.code = o.jurisdiction_code \
            WHERE ($1 = '' OR j.path = $1 OR j.path LIKE $2) \
            AND ($3 = '' OR v.site_id = $3) AND ($4 = '' OR v.physician_id = $4) \
            AND ($5 = '' OR v.status = $5) \
            AND v.local_date >= $6 AND v.local_date <= $7 \
            AND (v.checked_in_at < $8 OR (v.checked_in_at = $8 AND v.id > $9)) \
            ORDER BY v.checked_in_at DESC, v.id LIMIT $10";
        let (root, below) = subtree(filter.within);
        let (after_at, after_id) = match filter.after {
            Some((at, id)) => (to_ms(at), id.to_string()),
            None => (i64::MAX, String::new()),
        };
        // ISO dates compare as text; these bounds lie outside any stored date.
        let from = filter
            .from
            .map(|d| d.to_string())
            .unwrap_or_else(|| "0000-01-01".into());
        let to = filter
            .to
            .map(|d| d.to_string())
            .unwrap_or_else(|| "9999-12-31".into());
        let rows: Vec<VisitRow> = on_pool!(self.db(), pool => sqlx::query_as(SQL)
            .bind(&root)
            .bind(&below)
            .bind(uuid_or_empty(filter.site_id))
            .bind(uuid_or_empty(filter.physician_id))
            .bind(filter.status.unwrap_or_default())
            .bind(&from)
            .bind(&to)
            .bind(after_at)
            .bind(&after_id)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?);
        rows.into_iter().map(VisitRecord::try_from).collect()
    }

    /// The anomalies attached to the given visits.
    pub async fn anomalies_of_visits(&self, visits: &[Uuid]) -> StoreResult<Vec<VisitAnomaly>> {
        if visits.is_empty() {
            return Ok(Vec::new());
        }
        // Only placeholders are generated; the ids themselves are bound.
        let placeholders = numbered_marks(1, visits.len());
        let sql = format!(
            "SELECT visit_id, kind, status FROM anomalies WHERE visit_id IN ({})",
            placeholders
        );
        let rows: Vec<(String, String, String)> = on_pool!(self.db(), pool => {
            let mut query =
                sqlx::query_as::<_, (String, String, String)>(sqlx::AssertSqlSafe(sql));
            for id in visits {
                query = query.bind(id.to_string());
            }
            query.fetch_all(pool).await?
        });
        rows.into_iter()
            .map(|(visit, kind, status)| {
                Ok(VisitAnomaly {
                    visit_id: parse_uuid(&visit)?,
                    kind,
                    status,
                })
            })
            .collect()
    }
}
