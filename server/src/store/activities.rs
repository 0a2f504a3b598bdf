//! Activity records (workload logged on visits). Insert-only: an amendment is a
//! new row naming the row it supersedes.

use std::collections::HashMap;
use std::sync::LazyLock;

use uuid::Uuid;

use super::audit::BeginWrite;
use super::inserts::ACTIVITIES;
use super::statement::{Param, Step, bind_step, numbered_marks};
use super::{
    Store, StoreError, StoreResult, decode_enum, encode_enum, from_ms, on_pool, parse_opt_uuid,
    parse_uuid,
};
use crate::domain::activity::ActivityRecord;
use crate::domain::requirements::ActivityKind;

const COLUMNS: &str = "id, visit_id, physician_id, kind, count, note, supersedes_id, recorded_at";
static INSERT: LazyLock<String> = LazyLock::new(|| ACTIVITIES.sql(1));

/// A record's values, in the order of [`ACTIVITIES`].
pub fn values(record: &ActivityRecord) -> Vec<Param> {
    vec![
        record.id.to_string().into(),
        record.visit_id.to_string().into(),
        record.physician_id.to_string().into(),
        encode_enum(&record.kind).into(),
        i64::from(record.count).into(),
        record.note.as_deref().into(),
        record.supersedes_id.into(),
        record.recorded_at.into(),
    ]
}

#[derive(sqlx::FromRow)]
struct ActivityRow {
    id: String,
    visit_id: String,
    physician_id: String,
    kind: String,
    count: i64,
    note: Option<String>,
    supersedes_id: Option<String>,
    recorded_at: i64,
}

impl TryFrom<ActivityRow> for ActivityRecord {
    type Error = StoreError;
    fn try_from(row: ActivityRow) -> StoreResult<ActivityRecord> {
        Ok(ActivityRecord {
            id: parse_uuid(&row.id)?,
            visit_id: parse_uuid(&row.visit_id)?,
            physician_id: parse_uuid(&row.physician_id)?,
            kind: decode_enum(&row.kind)?,
            count: u32::try_from(row.count)
                .map_err(|_| StoreError::Corrupt(format!("activity count {}", row.count)))?,
            note: row.note,
            supersedes_id: parse_opt_uuid(row.supersedes_id)?,
            recorded_at: from_ms(row.recorded_at)?,
        })
    }
}

impl Store {
    /// Stores `record`, first pointing its `supersedes_id` at the newest earlier
    /// record of the same visit and kind. Writes of one physician are serialised
    /// (the same user-row lock check-ins take), so two amendments sent at once
    /// form a chain rather than both superseding the same record.
    pub async fn insert_activity(&self, record: &ActivityRecord) -> StoreResult<ActivityRecord> {
        const LOCK: &str = "UPDATE users SET attendance_seq = attendance_seq + 1 WHERE id = $1";
        const NEWEST: &str = "SELECT id FROM activities WHERE visit_id = $1 AND kind = $2 \
                              ORDER BY recorded_at DESC, id DESC LIMIT 1";
        let kind = encode_enum(&record.kind);
        let supersedes = on_pool!(self.db(), pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(LOCK)
                .bind(record.physician_id.to_string())
                .execute(&mut *tx)
                .await?;
            let newest: Option<(String,)> = sqlx::query_as(NEWEST)
                .bind(record.visit_id.to_string())
                .bind(&kind)
                .fetch_optional(&mut *tx)
                .await?;
            let supersedes = newest.map(|(id,)| parse_uuid(&id)).transpose()?;
            let stored = ActivityRecord {
                supersedes_id: supersedes,
                ..record.clone()
            };
            let insert = Step::new(&INSERT, values(&stored));
            bind_step!(sqlx::query(insert.sql), &insert)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            supersedes
        });
        Ok(ActivityRecord {
            supersedes_id: supersedes,
            ..record.clone()
        })
    }

    /// Every record of a visit, amendments included, oldest first.
    pub async fn activities_of_visit(&self, visit_id: Uuid) -> StoreResult<Vec<ActivityRecord>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM activities WHERE visit_id = $1 ORDER BY recorded_at, id"
        );
        let rows: Vec<ActivityRow> = on_pool!(self.db(), pool =>
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(visit_id.to_string())
                .fetch_all(pool)
                .await?);
        rows.into_iter().map(ActivityRecord::try_from).collect()
    }
}

impl Store {
    /// The kinds with a current record counting more than zero, with that count,
    /// per visit, for the visits in `visit_ids` (visits without any are absent).
    pub async fn current_activities(
        &self,
        visit_ids: &[Uuid],
    ) -> StoreResult<HashMap<Uuid, Vec<(ActivityKind, u64)>>> {
        let mut out: HashMap<Uuid, Vec<(ActivityKind, u64)>> = HashMap::new();
        for chunk in visit_ids.chunks(ID_CHUNK) {
            let placeholders = numbered_marks(1, chunk.len());
            // Current = not superseded by a later record.
            let sql = format!(
                "SELECT a.visit_id, a.kind, a.count FROM activities a WHERE a.visit_id IN ({}) \
                 AND a.count > 0 AND NOT EXISTS \
                 (SELECT 1 FROM activities b WHERE b.supersedes_id = a.id)",
                placeholders
            );
            let rows: Vec<(String, String, i64)> = on_pool!(self.db(), pool => {
                let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql));
                for id in chunk {
                    query = query.bind(id.to_string());
                }
                query.fetch_all(pool).await?
            });
            for (visit, kind, count) in rows {
                out.entry(parse_uuid(&visit)?)
                    .or_default()
                    .push((decode_enum(&kind)?, u64::try_from(count).unwrap_or(0)));
            }
        }
        Ok(out)
    }
}

/// Ids bound per `IN (...)` query, well under SQLite's 32,766 parameters.
const ID_CHUNK: usize = 500;
