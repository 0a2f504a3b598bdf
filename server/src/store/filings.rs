//! Reporting duties (`filing_obligations`) and filed reports (`filings`), with their
//! audit entries. A filing's frozen file is written once, by the submission that
//! moves it out of draft; no statement here updates `file_bytes` of a submitted row.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::audit::{AuditTx, BeginWrite, Provenance, audited_write};
use super::{
    Store, StoreError, StoreResult, decode_enum, encode_enum, from_ms, on_pool, parse_opt_uuid,
    parse_uuid, to_ms,
};
use crate::domain::anomaly::AnomalyKind;
use crate::domain::filing::{DueRule, Filer, FilingStatus, Narrative, PeriodType, ReportKind};
use crate::domain::jurisdiction::JurisdictionPath;

/// A reporting duty as stored, with its jurisdiction's name and path.
#[derive(Debug, Clone, PartialEq)]
pub struct ObligationRecord {
    pub id: Uuid,
    pub template: String,
    pub name: String,
    pub report_kind: ReportKind,
    pub period_type: PeriodType,
    pub jurisdiction_code: String,
    pub program_id: Option<Uuid>,
    pub filer: Filer,
    pub recipient: String,
    pub due: DueRule,
    pub starts_on: NaiveDate,
    pub active: bool,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    /// Read only: filled from `jurisdictions`.
    pub jurisdiction_name: String,
    pub jurisdiction_path: JurisdictionPath,
}

/// One version of a filed report (without its file's bytes).
#[derive(Debug, Clone, PartialEq)]
pub struct FilingRecord {
    pub id: Uuid,
    pub report_kind: ReportKind,
    pub period: String,
    pub jurisdiction_code: String,
    pub version: u32,
    pub replaces_id: Option<Uuid>,
    pub status: FilingStatus,
    pub narrative: Narrative,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub submitted_by: Option<Uuid>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub reviewed_by: Option<Uuid>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub review_note: Option<String>,
    pub file_name: Option<String>,
    pub file_sha256: Option<String>,
    pub file_size: Option<u64>,
    /// The report's JSON as frozen.
    pub figures: Option<String>,
    /// Read only.
    pub jurisdiction_name: String,
    pub jurisdiction_path: JurisdictionPath,
    pub submitted_by_name: Option<String>,
    /// A site's own filing (the receiving clinic files its monthly report); `None`
    /// for the jurisdiction's.
    pub site_id: Option<Uuid>,
    /// Read only: the site's name.
    pub site_name: Option<String>,
}

/// What a submission freezes.
#[derive(Debug, Clone, PartialEq)]
pub struct FrozenReport {
    pub file_name: String,
    pub bytes: Vec<u8>,
    pub sha256: String,
    pub figures: String,
}

/// A frozen file read back.
#[derive(Debug, Clone, PartialEq)]
pub struct FilingFile {
    pub file_name: String,
    pub bytes: Vec<u8>,
    pub sha256: String,
}

/// An anomaly about a jurisdiction (a report filed late or not at all), shown to
/// the supervisors of `jurisdiction_code` and above.
#[derive(Debug, Clone, PartialEq)]
pub struct JurisdictionAnomaly {
    pub id: Uuid,
    pub kind: AnomalyKind,
    pub jurisdiction_code: String,
    pub detected_at: DateTime<Utc>,
    pub detail: serde_json::Value,
}

/// Which filings to list; `None` is "any".
#[derive(Debug, Clone, Default)]
pub struct FilingFilter<'a> {
    pub within: Option<&'a JurisdictionPath>,
    pub jurisdiction_code: Option<&'a str>,
    pub report_kind: Option<ReportKind>,
    pub period: Option<&'a str>,
    pub status: Option<FilingStatus>,
    pub site: FilingSite,
}

/// Whose filings a list takes: the jurisdictions' own (the default: the calendar,
/// the overdue anomalies and `filing_exists` count only these), one site's, or both.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FilingSite {
    #[default]
    Jurisdictions,
    Site(Uuid),
    Any,
}

impl FilingSite {
    /// The bound of the `site_id` clause: '' for none, 'any', or the site's id.
    fn bound(self) -> String {
        match self {
            FilingSite::Jurisdictions => String::new(),
            FilingSite::Site(id) => id.to_string(),
            FilingSite::Any => "any".to_owned(),
        }
    }
}

#[derive(sqlx::FromRow)]
struct ObligationRow {
    id: String,
    template: String,
    name: String,
    report_kind: String,
    period_type: String,
    jurisdiction_code: String,
    program_id: Option<String>,
    filer: String,
    recipient: String,
    due_months_after: i64,
    due_day: i64,
    starts_on: String,
    active: i64,
    created_by: Option<String>,
    created_at: i64,
    jurisdiction_name: String,
    jurisdiction_path: String,
}

fn small(value: i64, what: &str) -> StoreResult<u32> {
    u32::try_from(value).map_err(|_| StoreError::Corrupt(format!("{what} {value}")))
}

impl TryFrom<ObligationRow> for ObligationRecord {
    type Error = StoreError;
    fn try_from(row: ObligationRow) -> StoreResult<ObligationRecord> {
        Ok(ObligationRecord {
            id: parse_uuid(&row.id)?,
            template: row.template,
            name: row.name,
            report_kind: decode_enum(&row.report_kind)?,
            period_type: decode_enum(&row.period_type)?,
            jurisdiction_code: row.jurisdiction_code,
            program_id: parse_opt_uuid(row.program_id)?,
            filer: decode_enum(&row.filer)?,
            recipient: row.recipient,
            due: DueRule {
                months_after: small(row.due_months_after, "due_months_after")?,
                day: small(row.due_day, "due_day")?,
            },
            starts_on: row
                .starts_on
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("starts_on {:?}", row.starts_on)))?,
            active: row.active != 0,
            created_by: parse_opt_uuid(row.created_by)?,
            created_at: from_ms(row.created_at)?,
            jurisdiction_name: row.jurisdiction_name,
            jurisdiction_path: JurisdictionPath::from_stored(row.jurisdiction_path),
        })
    }
}

const SELECT_OBLIGATIONS: &str = "SELECT o.id, o.template, o.name, o.report_kind, \
    o.period_type, o.jurisdiction_code, o.program_id, o.filer, o.recipient, \
    o.due_months_after, o.due_day, o.starts_on, o.active, o.created_by, o.created_at, \
    j.name AS jurisdiction_name, j.path AS jurisdiction_path \
    FROM filing_obligations o JOIN jurisdictions j ON j.code = o.jurisdiction_code";

#[derive(sqlx::FromRow)]
struct FilingRow {
    id: String,
    report_kind: String,
    period: String,
    jurisdiction_code: String,
    version: i64,
    replaces_id: Option<String>,
    status: String,
    achievements: String,
    problems: String,
    next_steps: String,
    created_by: String,
    created_at: i64,
    submitted_by: Option<String>,
    submitted_at: Option<i64>,
    reviewed_by: Option<String>,
    reviewed_at: Option<i64>,
    review_note: Option<String>,
    file_name: Option<String>,
    file_sha256: Option<String>,
    file_size: Option<i64>,
    figures: Option<String>,
    jurisdiction_name: String,
    jurisdiction_path: String,
    submitted_by_name: Option<String>,
    site_id: Option<String>,
    site_name: Option<String>,
}

impl TryFrom<FilingRow> for FilingRecord {
    type Error = StoreError;
    fn try_from(row: FilingRow) -> StoreResult<FilingRecord> {
        Ok(FilingRecord {
            id: parse_uuid(&row.id)?,
            report_kind: decode_enum(&row.report_kind)?,
            period: row.period,
            jurisdiction_code: row.jurisdiction_code,
            version: small(row.version, "version")?,
            replaces_id: parse_opt_uuid(row.replaces_id)?,
            status: decode_enum(&row.status)?,
            narrative: Narrative {
                achievements: row.achievements,
                problems: row.problems,
                next_steps: row.next_steps,
            },
            created_by: parse_uuid(&row.created_by)?,
            created_at: from_ms(row.created_at)?,
            submitted_by: parse_opt_uuid(row.submitted_by)?,
            submitted_at: row.submitted_at.map(from_ms).transpose()?,
            reviewed_by: parse_opt_uuid(row.reviewed_by)?,
            reviewed_at: row.reviewed_at.map(from_ms).transpose()?,
            review_note: row.review_note,
            file_name: row.file_name,
            file_sha256: row.file_sha256,
            file_size: row.file_size.and_then(|n| u64::try_from(n).ok()),
            figures: row.figures,
            jurisdiction_name: row.jurisdiction_name,
            jurisdiction_path: JurisdictionPath::from_stored(row.jurisdiction_path),
            submitted_by_name: row.submitted_by_name,
            site_id: parse_opt_uuid(row.site_id)?,
            site_name: row.site_name,
        })
    }
}

const SELECT_FILINGS: &str = "SELECT f.id, f.report_kind, f.period, f.jurisdiction_code, \
    f.version, f.replaces_id, f.status, f.achievements, f.problems, f.next_steps, \
    f.created_by, f.created_at, f.submitted_by, f.submitted_at, f.reviewed_by, \
    f.reviewed_at, f.review_note, f.file_name, f.file_sha256, \
    CAST(length(f.file_bytes) AS BIGINT) AS file_size, f.figures, \
    j.name AS jurisdiction_name, j.path AS jurisdiction_path, u.name AS submitted_by_name, \
    f.site_id, s.name AS site_name \
    FROM filings f JOIN jurisdictions j ON j.code = f.jurisdiction_code \
    LEFT JOIN users u ON u.id = f.submitted_by \
    LEFT JOIN organizations s ON s.id = f.site_id";

/// The subtree bound: `(root, root/%)`, or two empty strings for "everywhere".
fn subtree(within: Option<&JurisdictionPath>) -> (String, String) {
    match within {
        Some(path) => (path.as_str().to_owned(), format!("{}/%", path.as_str())),
        None => (String::new(), String::new()),
    }
}

/// Upper bound of rows a list answers (a province files a few hundred a month).
const LIST_LIMIT: i64 = 5000;

impl Store {
    // ---- obligations ----

    pub async fn insert_obligation(
        &self,
        o: &ObligationRecord,
        provenance: Provenance,
    ) -> StoreResult<()> {
        const SQL: &str = "INSERT INTO filing_obligations (id, template, name, report_kind, \
            period_type, jurisdiction_code, program_id, filer, recipient, due_months_after, \
            due_day, active, starts_on, created_by, created_at, audit_seq) \
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)";
        audited_write!(
            self,
            provenance,
            SQL,
            [
                o.id.to_string(),
                &o.template,
                &o.name,
                encode_enum(&o.report_kind),
                encode_enum(&o.period_type),
                &o.jurisdiction_code,
                o.program_id.map(|id| id.to_string()),
                encode_enum(&o.filer),
                &o.recipient,
                i64::from(o.due.months_after),
                i64::from(o.due.day),
                i64::from(o.active),
                o.starts_on.to_string(),
                o.created_by.map(|id| id.to_string()),
                to_ms(o.created_at),
            ],
        );
        Ok(())
    }

    /// Replaces the editable fields of an obligation (name, recipient, due rule,
    /// start, active).
    pub async fn update_obligation(
        &self,
        o: &ObligationRecord,
        provenance: Provenance,
    ) -> StoreResult<()> {
        const SQL: &str = "UPDATE filing_obligations SET name = $2, recipient = $3, \
            due_months_after = $4, due_day = $5, starts_on = $6, active = $7, audit_seq = $8 \
            WHERE id = $1";
        audited_write!(
            self,
            provenance,
            SQL,
            [
                o.id.to_string(),
                &o.name,
                &o.recipient,
                i64::from(o.due.months_after),
                i64::from(o.due.day),
                o.starts_on.to_string(),
                i64::from(o.active),
            ],
            unless_one_row = StoreError::NotFound,
        );
        Ok(())
    }

    pub async fn obligation(&self, id: Uuid) -> StoreResult<Option<ObligationRecord>> {
        let sql = format!("{SELECT_OBLIGATIONS} WHERE o.id = $1");
        let row: Option<ObligationRow> = on_pool!(self.db(), pool =>
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(id.to_string())
                .fetch_optional(pool)
                .await?);
        row.map(ObligationRecord::try_from).transpose()
    }

    /// Obligations of jurisdictions in `within` (every one when `None`), by
    /// jurisdiction, then name.
    pub async fn list_obligations(
        &self,
        within: Option<&JurisdictionPath>,
        active_only: bool,
    ) -> StoreResult<Vec<ObligationRecord>> {
        let sql = format!(
            "{SELECT_OBLIGATIONS} WHERE ($1 = '' OR j.path = $1 OR j.path LIKE $2) \
             AND ($3 = 0 OR o.active = 1) \
             ORDER BY o.jurisdiction_code, o.name, o.id LIMIT $4"
        );
        let (root, below) = subtree(within);
        let rows: Vec<ObligationRow> = on_pool!(self.db(), pool =>
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(&root)
                .bind(&below)
                .bind(i64::from(active_only))
                .bind(LIST_LIMIT)
                .fetch_all(pool)
                .await?);
        rows.into_iter().map(ObligationRecord::try_from).collect()
    }

    // ---- filings ----

    /// Inserts a new draft (a first filing or an amendment). Another filing with the
    /// same report, period, jurisdiction and version is a [`StoreError::Conflict`].
    pub async fn insert_filing(&self, f: &FilingRecord, provenance: Provenance) -> StoreResult<()> {
        const SQL: &str = "INSERT INTO filings (id, report_kind, period, jurisdiction_code, \
            version, replaces_id, status, achievements, problems, next_steps, created_by, \
            created_at, audit_seq, site_id) \
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)";
        on_pool!(self.db(), pool => {
            let mut tx = pool.begin_write().await?;
            let slot = tx.claim_audit_slot(&provenance).await?;
            sqlx::query(SQL)
                .bind(f.id.to_string())
                .bind(encode_enum(&f.report_kind))
                .bind(&f.period)
                .bind(&f.jurisdiction_code)
                .bind(i64::from(f.version))
                .bind(f.replaces_id.map(|id| id.to_string()))
                .bind(encode_enum(&f.status))
                .bind(&f.narrative.achievements)
                .bind(&f.narrative.problems)
                .bind(&f.narrative.next_steps)
                .bind(f.created_by.to_string())
                .bind(to_ms(f.created_at))
                .bind(slot.link())
                .bind(f.site_id.map(|id| id.to_string()))
                .execute(&mut *tx)
                .await
                .map_err(|e| {
                    StoreError::on_unique(e, "this version of the report was filed already")
                })?;
            tx.append_audit(slot, provenance).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn filing(&self, id: Uuid) -> StoreResult<Option<FilingRecord>> {
        let sql = format!("{SELECT_FILINGS} WHERE f.id = $1");
        let row: Option<FilingRow> = on_pool!(self.db(), pool =>
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(id.to_string())
                .fetch_optional(pool)
                .await?);
        row.map(FilingRecord::try_from).transpose()
    }

    /// Filings matching `filter`: by jurisdiction, period (newest first), report and
    /// version (newest first).
    pub async fn list_filings(&self, filter: &FilingFilter<'_>) -> StoreResult<Vec<FilingRecord>> {
        let sql = format!(
            "{SELECT_FILINGS} WHERE ($1 = '' OR j.path = $1 OR j.path LIKE $2) \
             AND ($3 = '' OR f.jurisdiction_code = $3) AND ($4 = '' OR f.report_kind = $4) \
             AND ($5 = '' OR f.period = $5) AND ($6 = '' OR f.status = $6) \
             AND ($8 = 'any' OR ($8 = '' AND f.site_id IS NULL) OR f.site_id = $8) \
             ORDER BY f.jurisdiction_code, f.site_id IS NOT NULL, f.site_id, f.period DESC, \
             f.report_kind, f.version DESC \
             LIMIT $7"
        );
        let (root, below) = subtree(filter.within);
        let rows: Vec<FilingRow> = on_pool!(self.db(), pool =>
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(&root)
                .bind(&below)
                .bind(filter.jurisdiction_code.unwrap_or_default())
                .bind(filter.report_kind.map(|k| encode_enum(&k)).unwrap_or_default())
                .bind(filter.period.unwrap_or_default())
                .bind(filter.status.map(|s| encode_enum(&s)).unwrap_or_default())
                .bind(LIST_LIMIT)
                .bind(filter.site.bound())
                .fetch_all(pool)
                .await?);
        rows.into_iter().map(FilingRecord::try_from).collect()
    }

    /// Changes a draft's (or returned filing's) narrative. [`StoreError::Conflict`]
    /// when it is no longer editable.
    pub async fn update_filing_narrative(
        &self,
        id: Uuid,
        narrative: &Narrative,
        provenance: Provenance,
    ) -> StoreResult<()> {
        const SQL: &str = "UPDATE filings SET achievements = $2, problems = $3, \
            next_steps = $4, audit_seq = $5 \
            WHERE id = $1 AND status IN ('draft', 'returned')";
        audited_write!(
            self,
            provenance,
            SQL,
            [
                id.to_string(),
                &narrative.achievements,
                &narrative.problems,
                &narrative.next_steps,
            ],
            unless_one_row = StoreError::Conflict("the filing is no longer a draft".into()),
        );
        Ok(())
    }

    /// Submits a draft (or a returned filing) with its frozen report, in one
    /// transaction that also marks the version it replaces `superseded` (with that
    /// change's own audit entry). [`StoreError::Conflict`] when it is no longer editable.
    #[allow(clippy::too_many_arguments)]
    pub async fn submit_filing(
        &self,
        id: Uuid,
        by: Uuid,
        at: DateTime<Utc>,
        frozen: &FrozenReport,
        provenance: Provenance,
        replaces: Option<(Uuid, Provenance)>,
    ) -> StoreResult<()> {
        const SUBMIT: &str = "UPDATE filings SET status = 'submitted', submitted_by = $2, \
            submitted_at = $3, reviewed_by = NULL, reviewed_at = NULL, file_name = $4, \
            file_bytes = $5, file_sha256 = $6, figures = $7, audit_seq = $8 \
            WHERE id = $1 AND status IN ('draft', 'returned')";
        const SUPERSEDE: &str = "UPDATE filings SET status = 'superseded', audit_seq = $2 \
            WHERE id = $1 AND status IN ('submitted', 'accepted')";
        on_pool!(self.db(), pool => {
            let mut tx = pool.begin_write().await?;
            let slot = tx.claim_audit_slot(&provenance).await?;
            let done = sqlx::query(SUBMIT)
                .bind(id.to_string())
                .bind(by.to_string())
                .bind(to_ms(at))
                .bind(&frozen.file_name)
                .bind(frozen.bytes.as_slice())
                .bind(&frozen.sha256)
                .bind(&frozen.figures)
                .bind(slot.link())
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() != 1 {
                tx.rollback().await?;
                return Err(StoreError::Conflict("the filing is no longer a draft".into()));
            }
            tx.append_audit(slot, provenance).await?;
            if let Some((old, provenance)) = replaces {
                let slot = tx.claim_audit_slot(&provenance).await?;
                sqlx::query(SUPERSEDE)
                    .bind(old.to_string())
                    .bind(slot.link())
                    .execute(&mut *tx)
                    .await?;
                tx.append_audit(slot, provenance).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Accepts or returns a submitted filing. [`StoreError::Conflict`] when it is not
    /// (or no longer) submitted.
    pub async fn review_filing(
        &self,
        id: Uuid,
        outcome: FilingStatus,
        by: Uuid,
        at: DateTime<Utc>,
        note: Option<&str>,
        provenance: Provenance,
    ) -> StoreResult<()> {
        const SQL: &str = "UPDATE filings SET status = $2, reviewed_by = $3, reviewed_at = $4, \
            review_note = $5, audit_seq = $6 WHERE id = $1 AND status = 'submitted'";
        audited_write!(
            self,
            provenance,
            SQL,
            [
                id.to_string(),
                encode_enum(&outcome),
                by.to_string(),
                to_ms(at),
                note,
            ],
            unless_one_row = StoreError::Conflict("the filing is not awaiting review".into()),
        );
        Ok(())
    }

    /// The frozen file of a submitted filing.
    pub async fn filing_file(&self, id: Uuid) -> StoreResult<Option<FilingFile>> {
        const SQL: &str = "SELECT file_name, file_bytes, file_sha256 FROM filings \
            WHERE id = $1 AND file_bytes IS NOT NULL";
        type Row = (Option<String>, Option<Vec<u8>>, Option<String>);
        let row: Option<Row> = on_pool!(self.db(), pool => sqlx::query_as(SQL)
                .bind(id.to_string())
                .fetch_optional(pool)
                .await?);
        Ok(match row {
            Some((Some(file_name), Some(bytes), Some(sha256))) => Some(FilingFile {
                file_name,
                bytes,
                sha256,
            }),
            _ => None,
        })
    }

    // ---- anomalies about filing ----

    /// Claims one run of a job and raises its anomaly about a jurisdiction in the same
    /// transaction: true for exactly one caller across every process.
    pub async fn claim_job_raising_for_jurisdiction(
        &self,
        job: &str,
        run_key: &str,
        claimed_by: &str,
        anomaly: &JurisdictionAnomaly,
    ) -> StoreResult<bool> {
        const CLAIM: &str = "INSERT INTO job_runs (job, run_key, claimed_by, claimed_at, finished_at) \
            VALUES ($1, $2, $3, $4, $4) ON CONFLICT (job, run_key) DO NOTHING";
        const RAISE: &str = "INSERT INTO anomalies (id, kind, severity, status, physician_id, \
            site_id, visit_id, event_ids, detected_at, detail, jurisdiction_code) \
            VALUES ($1, $2, $3, 'open', NULL, NULL, NULL, '[]', $4, $5, $6)";
        let detail = serde_json::to_string(&anomaly.detail)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let claimed = on_pool!(self.db(), pool => {
            let mut tx = pool.begin_write().await?;
            let inserted = sqlx::query(CLAIM)
                .bind(job)
                .bind(run_key)
                .bind(claimed_by)
                .bind(to_ms(anomaly.detected_at))
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if inserted == 1 {
                sqlx::query(RAISE)
                    .bind(anomaly.id.to_string())
                    .bind(anomaly.kind.as_str())
                    .bind(anomaly.kind.severity().as_str())
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
        Ok(claimed)
    }
}
