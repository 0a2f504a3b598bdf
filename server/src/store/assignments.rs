//! Assignments: who serves where, under which program, when.

use std::sync::LazyLock;

use chrono::NaiveDate;
use uuid::Uuid;

use super::audit::{AuditTx, BeginWrite, Provenance};
use super::columns::{Columns, FromColumns, from_row};
use super::statement::Step;
use super::{
    Store, StoreError, StoreResult, decode_enum, encode_enum, from_ms, on_pool, parse_uuid, to_ms,
};
use crate::domain::assignment::Assignment;
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
        })
    }
}
from_row!(AssignmentRow);

const COLUMNS: &str = "id, physician_id, site_id, program_id, mode, start_date, end_date, \
                       window_start, window_end, created_at";

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

impl Store {
    pub async fn insert_assignment(
        &self,
        a: &Assignment,
        provenance: Provenance,
    ) -> StoreResult<()> {
        static SQL: LazyLock<String> = LazyLock::new(|| {
            format!(
                "INSERT INTO assignments ({COLUMNS}, audit_seq) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
            )
        });
        on_pool!(self.db(), pool => {
            let mut tx = pool.begin_write().await?;
            let slot = tx.claim_audit_slot(&provenance).await?;
            sqlx::query(SQL.as_str())
                .bind(a.id.to_string())
                .bind(a.physician_id.to_string())
                .bind(a.site_id.to_string())
                .bind(a.program_id.to_string())
                .bind(encode_enum(&a.mode))
                .bind(a.start_date.to_string())
                .bind(a.end_date.to_string())
                .bind(a.window.start.format("%H:%M").to_string())
                .bind(a.window.end.format("%H:%M").to_string())
                .bind(to_ms(a.created_at))
                .bind(slot.link())
                .execute(&mut *tx)
                .await?;
            tx.append_audit(slot, provenance).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn assignment(&self, id: Uuid) -> StoreResult<Option<Assignment>> {
        let sql = format!("SELECT {COLUMNS} FROM assignments WHERE id = $1");
        let row: Option<AssignmentRow> = on_pool!(self.db(), pool =>
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id.to_string()).fetch_optional(pool).await?);
        row.map(Assignment::try_from).transpose()
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

    /// A physician's assignments at one site.
    pub async fn assignments_at(
        &self,
        physician_id: Uuid,
        site_id: Uuid,
    ) -> StoreResult<Vec<Assignment>> {
        static SQL: LazyLock<String> = LazyLock::new(|| {
            format!(
                "SELECT {COLUMNS} FROM assignments WHERE physician_id = $1 AND site_id = $2 \
                 ORDER BY start_date DESC, id"
            )
        });
        let query = Step::new(
            &SQL,
            vec![physician_id.to_string().into(), site_id.to_string().into()],
        );
        let rows: Vec<AssignmentRow> = self.read_all(&query).await?;
        rows.into_iter().map(Assignment::try_from).collect()
    }
}
