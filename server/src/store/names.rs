//! Names for ids, looked up in one query per table: what lists show instead of
//! bare UUIDs.

use std::collections::HashMap;

use uuid::Uuid;

use super::statement::numbered_marks;
use super::{Store, StoreResult, on_pool, parse_uuid};
use crate::domain::anomaly_text::Names;

/// Most ids bound in one `IN (...)`; PostgreSQL allows 65,535 parameters and SQLite
/// 32,766, so chunks of this size stay well inside both.
const CHUNK: usize = 500;

impl Store {
    /// The names of the given users and organizations; unknown ids are left out.
    pub async fn names_of(&self, users: &[Uuid], organizations: &[Uuid]) -> StoreResult<Names> {
        Ok(Names {
            people: self.name_map("users", users).await?,
            sites: self.name_map("organizations", organizations).await?,
        })
    }

    async fn name_map(
        &self,
        table: &'static str,
        ids: &[Uuid],
    ) -> StoreResult<HashMap<Uuid, String>> {
        let mut unique: Vec<Uuid> = ids.to_vec();
        unique.sort_unstable();
        unique.dedup();
        let mut out = HashMap::with_capacity(unique.len());
        for chunk in unique.chunks(CHUNK) {
            // Only the table name (a constant) and placeholders are formatted in.
            let placeholders = numbered_marks(1, chunk.len());
            let sql = format!(
                "SELECT id, name FROM {table} WHERE id IN ({})",
                placeholders
            );
            let rows: Vec<(String, String)> = on_pool!(self.db(), pool => {
                let mut query = sqlx::query_as::<_, (String, String)>(sqlx::AssertSqlSafe(sql));
                for id in chunk {
                    query = query.bind(id.to_string());
                }
                query.fetch_all(pool).await?
            });
            for (id, name) in rows {
                out.insert(parse_uuid(&id)?, name);
            }
        }
        Ok(out)
    }
}
