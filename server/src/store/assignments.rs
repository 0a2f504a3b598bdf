//! Assignments: who serves where, under which program, when.

use std::sync::LazyLock;

use chrono::NaiveDate;
use uuid::Uuid;

use super::audit::{AuditTx, BeginWrite, Provenance};
use super::columns::{Columns, FromColumns, from_row};
use super::eligibility::{INSERT_OVERRIDE, OverrideRecord, UPSERT_OVERRIDE};
use super::statement::Step;
use super::{
    Store, StoreError, StoreResult, decode_enum, encode_enum, from_ms, on_pool, parse_uuid, to_ms,
};
use crate::domain::assignment::Assignment;
use crate::domain::assignment_terms::{
    FROM_THE_BEGINNING, TermsAction, TermsMeta, TermsVersion, judged_by_version,
};
use crate::domain::window::DailyWindow;

struct AssignmentRow {
    id: String,
    physician_id: String,
    site_id: String,
    program_id: String,
    mode: String,
    start_date: String,
    end_date: String,
    window_start: String,
    window_end: String,
    created_at: i64,
    terms_version: i64,
    terms_from: String,
    terms_action: String,
    terms_reason: Option<String>,
    terms_by: Option<String>,
    terms_at: Option<i64>,
    transfer_id: Option<String>,
}

impl FromColumns for AssignmentRow {
    fn from_columns(row: &impl Columns) -> StoreResult<AssignmentRow> {
        Ok(AssignmentRow {
            id: row.get("id")?,
            physician_id: row.get("physician_id")?,
            site_id: row.get("site_id")?,
            program_id: row.get("program_id")?,
            mode: row.get("mode")?,
            start_date: row.get("start_date")?,
            end_date: row.get("end_date")?,
            window_start: row.get("window_start")?,
            window_end: row.get("window_end")?,
            created_at: row.get("created_at")?,
            terms_version: row.get("terms_version")?,
            terms_from: row.get("terms_from")?,
            terms_action: row.get("terms_action")?,
            terms_reason: row.get("terms_reason")?,
            terms_by: row.get("terms_by")?,
            terms_at: row.get("terms_at")?,
            transfer_id: row.get("transfer_id")?,
        })
    }
}
from_row!(AssignmentRow);

const COLUMNS: &str = "id, physician_id, site_id, program_id, mode, start_date, end_date, \
                       window_start, window_end, created_at, terms_version, terms_from, \
                       terms_action, terms_reason, terms_by, terms_at, transfer_id";

/// [`COLUMNS`] of `assignments a`.
const A_COLUMNS: &str = "a.id, a.physician_id, a.site_id, a.program_id, a.mode, a.start_date, \
    a.end_date, a.window_start, a.window_end, a.created_at, a.terms_version, a.terms_from, \
    a.terms_action, a.terms_reason, a.terms_by, a.terms_at, a.transfer_id";

/// A stored first date: `0001-01-01` stands for "from the beginning".
fn parse_from(text: &str) -> StoreResult<NaiveDate> {
    let date = parse_date(text)?;
    Ok(if date <= FIRST_DATE {
        FROM_THE_BEGINNING
    } else {
        date
    })
}

/// How "from the beginning" is stored: a date every text comparison puts first.
const FIRST_DATE: NaiveDate = match NaiveDate::from_ymd_opt(1, 1, 1) {
    Some(d) => d,
    None => NaiveDate::MIN,
};

fn store_from(date: NaiveDate) -> String {
    date.max(FIRST_DATE).to_string()
}

fn parse_action(text: &str) -> StoreResult<TermsAction> {
    TermsAction::parse(text).ok_or_else(|| StoreError::Corrupt(format!("terms action {text:?}")))
}

fn parse_optional_uuid(text: Option<&str>) -> StoreResult<Option<Uuid>> {
    text.map(parse_uuid).transpose()
}

impl AssignmentRow {
    fn meta(&self) -> StoreResult<TermsMeta> {
        Ok(TermsMeta {
            version: u32::try_from(self.terms_version).map_err(|_| {
                StoreError::Corrupt(format!("terms version {}", self.terms_version))
            })?,
            effective_from: parse_from(&self.terms_from)?,
            action: parse_action(&self.terms_action)?,
            reason: self.terms_reason.clone(),
            changed_by: parse_optional_uuid(self.terms_by.as_deref())?,
            changed_at: from_ms(self.terms_at.unwrap_or(self.created_at))?,
            transfer_id: parse_optional_uuid(self.transfer_id.as_deref())?,
        })
    }
}

/// A version of an assignment's terms that a later one replaced.
pub(super) struct TermsRow {
    version: i64,
    effective_from: String,
    effective_to: String,
    mode: String,
    start_date: String,
    end_date: String,
    window_start: String,
    window_end: String,
    action: String,
    reason: Option<String>,
    changed_by: Option<String>,
    changed_at: i64,
    transfer_id: Option<String>,
}

impl FromColumns for TermsRow {
    fn from_columns(row: &impl Columns) -> StoreResult<TermsRow> {
        Ok(TermsRow {
            version: row.get("version")?,
            effective_from: row.get("effective_from")?,
            effective_to: row.get("effective_to")?,
            mode: row.get("mode")?,
            start_date: row.get("start_date")?,
            end_date: row.get("end_date")?,
            window_start: row.get("window_start")?,
            window_end: row.get("window_end")?,
            action: row.get("action")?,
            reason: row.get("reason")?,
            changed_by: row.get("changed_by")?,
            changed_at: row.get("changed_at")?,
            transfer_id: row.get("transfer_id")?,
        })
    }
}
from_row!(TermsRow);

pub(super) const TERMS_COLUMNS: &str = "version, effective_from, effective_to, mode, start_date, end_date, \
    window_start, window_end, action, reason, changed_by, changed_at, transfer_id";

impl TryFrom<TermsRow> for TermsVersion {
    type Error = StoreError;
    fn try_from(row: TermsRow) -> StoreResult<TermsVersion> {
        Ok(TermsVersion {
            meta: TermsMeta {
                version: u32::try_from(row.version)
                    .map_err(|_| StoreError::Corrupt(format!("terms version {}", row.version)))?,
                effective_from: parse_from(&row.effective_from)?,
                action: parse_action(&row.action)?,
                reason: row.reason,
                changed_by: parse_optional_uuid(row.changed_by.as_deref())?,
                changed_at: from_ms(row.changed_at)?,
                transfer_id: parse_optional_uuid(row.transfer_id.as_deref())?,
            },
            effective_to: parse_date(&row.effective_to)?,
            mode: decode_enum(&row.mode)?,
            start_date: parse_date(&row.start_date)?,
            end_date: parse_date(&row.end_date)?,
            window: DailyWindow::parse(&row.window_start, &row.window_end)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        })
    }
}

pub(super) struct KeyedTermsRow {
    pub(super) assignment_id: String,
    pub(super) terms: TermsRow,
}

impl FromColumns for KeyedTermsRow {
    fn from_columns(row: &impl Columns) -> StoreResult<KeyedTermsRow> {
        Ok(KeyedTermsRow {
            assignment_id: row.get("assignment_id")?,
            terms: TermsRow::from_columns(row)?,
        })
    }
}
from_row!(KeyedTermsRow);

/// An assignment row joined to one of its replaced versions (none: NULLs), as the
/// check-in reads them.
pub(super) struct JudgedRow {
    current: AssignmentRow,
    old: Option<TermsRow>,
}

impl FromColumns for JudgedRow {
    fn from_columns(row: &impl Columns) -> StoreResult<JudgedRow> {
        let version: Option<i64> = row.get("t_version")?;
        let old = match version {
            None => None,
            Some(version) => Some(TermsRow {
                version,
                effective_from: row.get("t_effective_from")?,
                effective_to: row.get("t_effective_to")?,
                mode: row.get("t_mode")?,
                start_date: row.get("t_start_date")?,
                end_date: row.get("t_end_date")?,
                window_start: row.get("t_window_start")?,
                window_end: row.get("t_window_end")?,
                action: row.get("t_action")?,
                reason: None,
                changed_by: None,
                changed_at: row.get("t_changed_at")?,
                transfer_id: None,
            }),
        };
        Ok(JudgedRow {
            current: AssignmentRow::from_columns(row)?,
            old,
        })
    }
}
from_row!(JudgedRow);

/// What a change of terms found in its transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TermsWrite {
    Written,
    /// Another change came first: the version read is no longer the newest.
    Changed,
    /// A visit was made meanwhile on or after the change's first date (its date).
    Visited(NaiveDate),
}

/// A change of terms to write: the assignment as it is to be from `meta.effective_from`.
pub struct TermsUpdate<'a> {
    pub expected_version: u32,
    pub next: &'a Assignment,
    pub meta: &'a TermsMeta,
}

/// Filters of the assignment list; empty means any.
#[derive(Debug, Clone, Default)]
pub struct AssignmentListFilter {
    /// The caller's jurisdiction (a supervisor): sites under it.
    pub within: Option<crate::domain::jurisdiction::JurisdictionPath>,
    /// A hospital or clinic administrator: its own staff's, or at its own site.
    pub organization: Option<Uuid>,
    pub physician_id: Option<Uuid>,
    pub site_id: Option<Uuid>,
    pub hospital_id: Option<Uuid>,
    pub program_id: Option<Uuid>,
    /// Sites in this jurisdiction and below.
    pub jurisdiction: Option<crate::domain::jurisdiction::JurisdictionPath>,
    pub active_on: Option<NaiveDate>,
    /// `upcoming`, `active` or `ended` on `today`.
    pub status: Option<&'static str>,
    pub today: NaiveDate,
    pub after: Option<Uuid>,
    pub limit: u32,
}

/// A list row: the assignment and the names around it.
#[derive(Debug, Clone)]
pub struct ListedAssignment {
    pub assignment: Assignment,
    pub meta: TermsMeta,
    pub physician_name: String,
    pub physician_phone: String,
    pub physician_gender: Option<crate::domain::user::Gender>,
    pub physician_title: Option<String>,
    pub physician_specialty: Option<String>,
    pub physician_practice_since_year: Option<i32>,
    pub physician_discipline: Option<crate::domain::user::Discipline>,
    /// The reason of an administrator's override of the programme's rules (破格派出).
    pub eligibility_override: Option<String>,
    pub hospital_id: Option<Uuid>,
    pub hospital_name: Option<String>,
    pub site_name: String,
    pub jurisdiction_code: String,
    pub jurisdiction_name: String,
    pub program_name: String,
}

struct ListRow {
    current: AssignmentRow,
    physician_name: String,
    physician_phone: String,
    physician_gender: Option<String>,
    physician_title: Option<String>,
    physician_specialty: Option<String>,
    physician_practice_since_year: Option<i64>,
    physician_discipline: Option<String>,
    eligibility_override: Option<String>,
    hospital_id: Option<String>,
    hospital_name: Option<String>,
    site_name: String,
    jurisdiction_code: String,
    jurisdiction_name: String,
    program_name: String,
}

impl FromColumns for ListRow {
    fn from_columns(row: &impl Columns) -> StoreResult<ListRow> {
        Ok(ListRow {
            current: AssignmentRow::from_columns(row)?,
            physician_name: row.get("physician_name")?,
            physician_phone: row.get("physician_phone")?,
            physician_gender: row.get("physician_gender")?,
            physician_title: row.get("physician_title")?,
            physician_specialty: row.get("physician_specialty")?,
            physician_practice_since_year: row.get("physician_practice_since_year")?,
            physician_discipline: row.get("physician_discipline")?,
            eligibility_override: row.get("eligibility_override")?,
            hospital_id: row.get("hospital_id")?,
            hospital_name: row.get("hospital_name")?,
            site_name: row.get("site_name")?,
            jurisdiction_code: row.get("jurisdiction_code")?,
            jurisdiction_name: row.get("jurisdiction_name")?,
            program_name: row.get("program_name")?,
        })
    }
}
from_row!(ListRow);

fn parse_date(text: &str) -> StoreResult<NaiveDate> {
    text.parse()
        .map_err(|_| StoreError::Corrupt(format!("date {text:?}")))
}

impl TryFrom<AssignmentRow> for Assignment {
    type Error = StoreError;
    fn try_from(row: AssignmentRow) -> StoreResult<Assignment> {
        Ok(Assignment {
            id: parse_uuid(&row.id)?,
            physician_id: parse_uuid(&row.physician_id)?,
            site_id: parse_uuid(&row.site_id)?,
            program_id: parse_uuid(&row.program_id)?,
            mode: decode_enum(&row.mode)?,
            start_date: parse_date(&row.start_date)?,
            end_date: parse_date(&row.end_date)?,
            window: DailyWindow::parse(&row.window_start, &row.window_end)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            created_at: from_ms(row.created_at)?,
        })
    }
}

/// Binds an assignment's terms columns after `$1` (its id) in [`UPDATE_TERMS`] order.
macro_rules! bind_terms {
    ($query:expr, $a:expr, $meta:expr, $link:expr) => {
        $query
            .bind(encode_enum(&$a.mode))
            .bind($a.start_date.to_string())
            .bind($a.end_date.to_string())
            .bind($a.window.start_hhmm())
            .bind($a.window.end_hhmm())
            .bind(i64::from($meta.version))
            .bind(store_from($meta.effective_from))
            .bind($meta.action.as_str())
            .bind($meta.reason.as_deref())
            .bind($meta.changed_by.map(|u| u.to_string()))
            .bind(to_ms($meta.changed_at))
            .bind($meta.transfer_id.map(|u| u.to_string()))
            .bind($link)
    };
}

const INSERT: &str = "INSERT INTO assignments (id, physician_id, site_id, program_id, created_at, \
    mode, start_date, end_date, window_start, window_end, terms_version, terms_from, \
    terms_action, terms_reason, terms_by, terms_at, transfer_id, audit_seq) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)";

const UPDATE_TERMS: &str = "UPDATE assignments SET mode = $2, start_date = $3, end_date = $4, \
    window_start = $5, window_end = $6, terms_version = $7, terms_from = $8, terms_action = $9, \
    terms_reason = $10, terms_by = $11, terms_at = $12, transfer_id = $13, audit_seq = $14 \
    WHERE id = $1";

const INSERT_OLD_TERMS: &str = "INSERT INTO assignment_terms (assignment_id, version, \
    effective_from, effective_to, mode, start_date, end_date, window_start, window_end, action, \
    reason, changed_by, changed_at, transfer_id) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)";

/// The last local date of a visit under an assignment.
const LAST_VISIT: &str = "SELECT MAX(local_date) FROM visits WHERE physician_id = $1 \
    AND assignment_id = $2";

/// Writes one change of terms inside `$tx`: checks the version and the visits, keeps
/// the replaced version, updates the row. Evaluates to a [`TermsWrite`].
macro_rules! write_terms {
    ($tx:expr, $update:expr, $link:expr) => {{
        let update: &TermsUpdate<'_> = $update;
        let id = update.next.id.to_string();
        let current: Option<AssignmentRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM assignments WHERE id = $1"
        )))
        .bind(&id)
        .fetch_optional(&mut *$tx)
        .await?;
        let current = current.ok_or(StoreError::NotFound)?;
        let meta = current.meta()?;
        let (last,): (Option<String>,) = sqlx::query_as(LAST_VISIT)
            .bind(&current.physician_id)
            .bind(&id)
            .fetch_one(&mut *$tx)
            .await?;
        let last = last.as_deref().map(parse_date).transpose()?;
        if meta.version != update.expected_version {
            TermsWrite::Changed
        } else if let Some(last) = last.filter(|d| *d >= update.meta.effective_from) {
            TermsWrite::Visited(last)
        } else {
            let before = Assignment::try_from(current)?;
            let old = TermsVersion::superseded(&before, &meta, update.meta.effective_from);
            sqlx::query(INSERT_OLD_TERMS)
                .bind(&id)
                .bind(i64::from(meta.version))
                .bind(store_from(meta.effective_from))
                .bind(old.effective_to.max(FIRST_DATE).to_string())
                .bind(encode_enum(&old.mode))
                .bind(old.start_date.to_string())
                .bind(old.end_date.to_string())
                .bind(old.window.start_hhmm())
                .bind(old.window.end_hhmm())
                .bind(meta.action.as_str())
                .bind(meta.reason.as_deref())
                .bind(meta.changed_by.map(|u| u.to_string()))
                .bind(to_ms(meta.changed_at))
                .bind(meta.transfer_id.map(|u| u.to_string()))
                .execute(&mut *$tx)
                .await?;
            bind_terms!(
                sqlx::query(UPDATE_TERMS).bind(&id),
                update.next,
                update.meta,
                $link
            )
            .execute(&mut *$tx)
            .await?;
            TermsWrite::Written
        }
    }};
}

/// A physician's assignments at one site (`$1`, `$2`), each joined to its replaced
/// versions: the rows [`judged_assignments`] reads.
pub(super) static ASSIGNMENTS_AT: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {A_COLUMNS}, t.version AS t_version, \
         t.effective_from AS t_effective_from, t.effective_to AS t_effective_to, \
         t.mode AS t_mode, t.start_date AS t_start_date, t.end_date AS t_end_date, \
         t.window_start AS t_window_start, t.window_end AS t_window_end, \
         t.action AS t_action, t.changed_at AS t_changed_at \
         FROM assignments a \
         LEFT JOIN assignment_terms t ON t.assignment_id = a.id \
         WHERE a.physician_id = $1 AND a.site_id = $2 \
         ORDER BY a.start_date DESC, a.id, t.version"
    )
});

/// The assignments of [`ASSIGNMENTS_AT`]'s rows, as their terms judge each date.
pub(super) fn judged_assignments(rows: Vec<JudgedRow>) -> StoreResult<Vec<Assignment>> {
    let mut out = Vec::with_capacity(rows.len());
    let mut rows = rows.into_iter().peekable();
    while let Some(first) = rows.next() {
        let mut replaced = Vec::new();
        let id = first.current.id.clone();
        let current = first.current;
        replaced.extend(first.old);
        while let Some(next) = rows.next_if(|r| r.current.id == id) {
            replaced.extend(next.old);
        }
        let meta = current.meta()?;
        let current = Assignment::try_from(current)?;
        let replaced = replaced
            .into_iter()
            .map(TermsVersion::try_from)
            .collect::<StoreResult<Vec<_>>>()?;
        out.extend(judged_by_version(&current, meta.effective_from, &replaced));
    }
    Ok(out)
}

impl Store {
    /// Writes a new assignment, version 1 of its terms as `meta` says, with the
    /// administrator's override of the programme's rules when there is one.
    pub async fn insert_assignment(
        &self,
        a: &Assignment,
        meta: &TermsMeta,
        eligibility_override: Option<&OverrideRecord>,
        provenance: Provenance,
    ) -> StoreResult<()> {
        let override_values = eligibility_override.map(|o| o.values(a.id)).transpose()?;
        on_pool!(self.db(), pool => {
            let mut tx = pool.begin_write().await?;
            let slot = tx.claim_audit_slot(&provenance).await?;
            let query = sqlx::query(INSERT)
                .bind(a.id.to_string())
                .bind(a.physician_id.to_string())
                .bind(a.site_id.to_string())
                .bind(a.program_id.to_string())
                .bind(to_ms(a.created_at));
            bind_terms!(query, a, meta, slot.link()).execute(&mut *tx).await?;
            if let Some((id, reason, rules, by, at)) = &override_values {
                sqlx::query(INSERT_OVERRIDE)
                    .bind(id)
                    .bind(reason)
                    .bind(rules)
                    .bind(by)
                    .bind(*at)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.append_audit(slot, provenance).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn assignment(&self, id: Uuid) -> StoreResult<Option<Assignment>> {
        Ok(self.assignment_with_terms(id).await?.map(|(a, _)| a))
    }

    /// An assignment with its current terms' version.
    pub async fn assignment_with_terms(
        &self,
        id: Uuid,
    ) -> StoreResult<Option<(Assignment, TermsMeta)>> {
        let sql = format!("SELECT {COLUMNS} FROM assignments WHERE id = $1");
        let row: Option<AssignmentRow> = on_pool!(self.db(), pool =>
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id.to_string()).fetch_optional(pool).await?);
        row.map(|row| {
            let meta = row.meta()?;
            Ok((Assignment::try_from(row)?, meta))
        })
        .transpose()
    }

    /// The versions of an assignment's terms that later ones replaced, oldest first.
    pub async fn replaced_terms(&self, id: Uuid) -> StoreResult<Vec<TermsVersion>> {
        let sql = format!(
            "SELECT {TERMS_COLUMNS} FROM assignment_terms WHERE assignment_id = $1 ORDER BY version"
        );
        let rows: Vec<TermsRow> = on_pool!(self.db(), pool =>
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id.to_string()).fetch_all(pool).await?);
        rows.into_iter().map(TermsVersion::try_from).collect()
    }

    /// Every replaced version of every assignment, by assignment, oldest first: what
    /// reports read to judge a past date by the terms in force then (changes are rare,
    /// so the table is small).
    pub async fn all_replaced_terms(
        &self,
    ) -> StoreResult<std::collections::HashMap<Uuid, Vec<TermsVersion>>> {
        let sql = format!(
            "SELECT assignment_id, {TERMS_COLUMNS} FROM assignment_terms \
             ORDER BY assignment_id, version"
        );
        let rows: Vec<(String, TermsRow)> = on_pool!(self.db(), pool => {
            let rows: Vec<KeyedTermsRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await?;
            rows.into_iter().map(|r| (r.assignment_id, r.terms)).collect()
        });
        let mut out: std::collections::HashMap<Uuid, Vec<TermsVersion>> =
            std::collections::HashMap::new();
        for (id, row) in rows {
            out.entry(parse_uuid(&id)?)
                .or_default()
                .push(TermsVersion::try_from(row)?);
        }
        Ok(out)
    }

    /// The last local date of a visit under the assignment, if any.
    pub async fn last_visit_under(
        &self,
        physician_id: Uuid,
        assignment_id: Uuid,
    ) -> StoreResult<Option<NaiveDate>> {
        let (last,): (Option<String>,) = on_pool!(self.db(), pool =>
            sqlx::query_as(LAST_VISIT)
                .bind(physician_id.to_string())
                .bind(assignment_id.to_string())
                .fetch_one(pool)
                .await?);
        last.as_deref().map(parse_date).transpose()
    }

    /// Writes a change of terms with its audit entry, if the assignment is still at
    /// the version read and no visit was made on or after the change's first date.
    /// An override of the programme's rules made with the change (the rules judged
    /// again) is stored with it, replacing one recorded before.
    pub async fn change_assignment_terms(
        &self,
        update: &TermsUpdate<'_>,
        eligibility_override: Option<&OverrideRecord>,
        provenance: Provenance,
    ) -> StoreResult<TermsWrite> {
        let override_values = eligibility_override
            .map(|o| o.values(update.next.id))
            .transpose()?;
        let outcome = on_pool!(self.db(), pool => {
            let mut tx = pool.begin_write().await?;
            let slot = tx.claim_audit_slot(&provenance).await?;
            let outcome = write_terms!(tx, update, slot.link());
            if outcome == TermsWrite::Written {
                if let Some((id, reason, rules, by, at)) = &override_values {
                    sqlx::query(UPSERT_OVERRIDE)
                        .bind(id)
                        .bind(reason)
                        .bind(rules)
                        .bind(by)
                        .bind(*at)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.append_audit(slot, provenance).await?;
                tx.commit().await?;
            }
            outcome
        });
        Ok(outcome)
    }

    /// A transfer: ends the old assignment (`update`) and creates `moved` with
    /// `moved_meta` (and the override that admits it, if any), each with its own
    /// audit entry, in one transaction.
    pub async fn transfer_assignment(
        &self,
        update: &TermsUpdate<'_>,
        provenance: Provenance,
        moved: &Assignment,
        moved_meta: &TermsMeta,
        moved_override: Option<&OverrideRecord>,
        moved_provenance: Provenance,
    ) -> StoreResult<TermsWrite> {
        let override_values = moved_override.map(|o| o.values(moved.id)).transpose()?;
        let outcome = on_pool!(self.db(), pool => {
            let mut tx = pool.begin_write().await?;
            let slot = tx.claim_audit_slot(&provenance).await?;
            let outcome = write_terms!(tx, update, slot.link());
            if outcome == TermsWrite::Written {
                tx.append_audit(slot, provenance).await?;
                let slot = tx.claim_audit_slot(&moved_provenance).await?;
                let query = sqlx::query(INSERT)
                    .bind(moved.id.to_string())
                    .bind(moved.physician_id.to_string())
                    .bind(moved.site_id.to_string())
                    .bind(moved.program_id.to_string())
                    .bind(to_ms(moved.created_at));
                bind_terms!(query, moved, moved_meta, slot.link()).execute(&mut *tx).await?;
                if let Some((id, reason, rules, by, at)) = &override_values {
                    sqlx::query(INSERT_OVERRIDE)
                        .bind(id)
                        .bind(reason)
                        .bind(rules)
                        .bind(by)
                        .bind(*at)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.append_audit(slot, moved_provenance).await?;
                tx.commit().await?;
            }
            outcome
        });
        Ok(outcome)
    }

    /// Every assignment of a physician, newest first.
    pub async fn assignments_of(&self, physician_id: Uuid) -> StoreResult<Vec<Assignment>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM assignments WHERE physician_id = $1 ORDER BY start_date DESC, id"
        );
        let rows: Vec<AssignmentRow> = on_pool!(self.db(), pool =>
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(physician_id.to_string()).fetch_all(pool).await?);
        rows.into_iter().map(Assignment::try_from).collect()
    }

    /// A physician's assignments at one site, as their terms judge each date: one
    /// copy per version of the terms, with the dates it was in force on (see
    /// [`judged_by_version`]). One indexed read: the assignments by physician and site,
    /// each joined to its replaced versions by key.
    pub async fn assignments_at(
        &self,
        physician_id: Uuid,
        site_id: Uuid,
    ) -> StoreResult<Vec<Assignment>> {
        let query = Step::new(
            &ASSIGNMENTS_AT,
            vec![physician_id.to_string().into(), site_id.to_string().into()],
        );
        let rows: Vec<JudgedRow> = self.read_all(&query).await?;
        judged_assignments(rows)
    }

    /// The assignments a list shows, by id after `filter.after`.
    pub async fn list_assignments(
        &self,
        filter: &AssignmentListFilter,
    ) -> StoreResult<Vec<ListedAssignment>> {
        static SQL: LazyLock<String> = LazyLock::new(|| {
            format!(
                "SELECT {A_COLUMNS}, u.name AS physician_name, u.phone AS physician_phone, \
                 u.gender AS physician_gender, u.title AS physician_title, \
                 u.specialty AS physician_specialty, u.organization_id AS hospital_id, h.name AS hospital_name, o.name AS site_name, \
                 u.practice_since_year AS physician_practice_since_year, \
                 u.discipline AS physician_discipline, eo.reason AS eligibility_override, \
                 j.code AS jurisdiction_code, j.name AS jurisdiction_name, \
                 p.name AS program_name \
                 FROM assignments a \
                 LEFT JOIN assignment_eligibility_overrides eo ON eo.assignment_id = a.id \
                 JOIN organizations o ON o.id = a.site_id \
                 JOIN jurisdictions j ON j.code = o.jurisdiction_code \
                 JOIN users u ON u.id = a.physician_id \
                 LEFT JOIN organizations h ON h.id = u.organization_id \
                 JOIN programs p ON p.id = a.program_id \
                 WHERE ($1 = '' OR j.path = $1 OR j.path LIKE $2) \
                 AND ($3 = '' OR u.organization_id = $3 OR a.site_id = $3) \
                 AND ($4 = '' OR a.physician_id = $4) \
                 AND ($5 = '' OR a.site_id = $5) \
                 AND ($6 = '' OR u.organization_id = $6) \
                 AND ($7 = '' OR a.program_id = $7) \
                 AND ($8 = '' OR j.path = $8 OR j.path LIKE $9) \
                 AND ($10 = '' OR (a.start_date <= $10 AND a.end_date >= $10)) \
                 AND ($11 = '' OR a.start_date > $11) \
                 AND ($12 = '' OR (a.start_date <= $12 AND a.end_date >= $12)) \
                 AND ($13 = '' OR a.end_date < $13) \
                 AND a.id > $14 ORDER BY a.id LIMIT $15"
            )
        });
        let text = |v: Option<String>| v.unwrap_or_default();
        let within = text(filter.within.as_ref().map(|p| p.as_str().to_owned()));
        let jurisdiction = text(filter.jurisdiction.as_ref().map(|p| p.as_str().to_owned()));
        let on_status = |wanted: &str| {
            if filter.status == Some(wanted) {
                filter.today.to_string()
            } else {
                String::new()
            }
        };
        let rows: Vec<ListRow> = on_pool!(self.db(), pool =>
            sqlx::query_as(SQL.as_str())
                .bind(&within)
                .bind(format!("{within}/%"))
                .bind(text(filter.organization.map(|u| u.to_string())))
                .bind(text(filter.physician_id.map(|u| u.to_string())))
                .bind(text(filter.site_id.map(|u| u.to_string())))
                .bind(text(filter.hospital_id.map(|u| u.to_string())))
                .bind(text(filter.program_id.map(|u| u.to_string())))
                .bind(&jurisdiction)
                .bind(format!("{jurisdiction}/%"))
                .bind(text(filter.active_on.map(|d| d.to_string())))
                .bind(on_status("upcoming"))
                .bind(on_status("active"))
                .bind(on_status("ended"))
                .bind(text(filter.after.map(|u| u.to_string())))
                .bind(i64::from(filter.limit))
                .fetch_all(pool)
                .await?);
        rows.into_iter()
            .map(|row| {
                let meta = row.current.meta()?;
                Ok(ListedAssignment {
                    assignment: Assignment::try_from(row.current)?,
                    meta,
                    physician_name: row.physician_name,
                    physician_phone: row.physician_phone,
                    physician_gender: row
                        .physician_gender
                        .as_deref()
                        .map(decode_enum)
                        .transpose()?,
                    physician_title: row.physician_title,
                    physician_specialty: row.physician_specialty,
                    physician_practice_since_year: row
                        .physician_practice_since_year
                        .map(i32::try_from)
                        .transpose()
                        .map_err(|_| StoreError::Corrupt("practice_since_year".into()))?,
                    physician_discipline: row
                        .physician_discipline
                        .as_deref()
                        .map(decode_enum)
                        .transpose()?,
                    eligibility_override: row.eligibility_override,
                    hospital_id: parse_optional_uuid(row.hospital_id.as_deref())?,
                    hospital_name: row.hospital_name,
                    site_name: row.site_name,
                    jurisdiction_code: row.jurisdiction_code,
                    jurisdiction_name: row.jurisdiction_name,
                    program_name: row.program_name,
                })
            })
            .collect()
    }
}
