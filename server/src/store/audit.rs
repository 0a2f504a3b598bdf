//! The append-only audit log. Appends lock the chain's head row first, so processes
//! sharing one database append one at a time and the sequence has no gaps.

use super::{Store, StoreError, StoreResult, from_ms, on_pool, parse_opt_uuid, parse_uuid, to_ms};
use crate::domain::audit::AuditEntry;

#[derive(sqlx::FromRow)]
struct AuditRow {
    seq: i64,
    id: String,
    at: i64,
    actor_id: Option<String>,
    actor_role: Option<String>,
    action: String,
    object_type: String,
    object_id: String,
    before: Option<String>,
    after: Option<String>,
    prev_hash: String,
    hash: String,
}

impl TryFrom<AuditRow> for AuditEntry {
    type Error = StoreError;
    fn try_from(row: AuditRow) -> StoreResult<AuditEntry> {
        Ok(AuditEntry {
            seq: row.seq,
            id: parse_uuid(&row.id)?,
            at: from_ms(row.at)?,
            actor_id: parse_opt_uuid(row.actor_id)?,
            actor_role: row.actor_role,
            action: row.action,
            object_type: row.object_type,
            object_id: row.object_id,
            before: row.before,
            after: row.after,
            prev_hash: row.prev_hash,
            hash: row.hash,
        })
    }
}

const COLUMNS: &str = "seq, id, at, actor_id, actor_role, action, object_type, object_id, \
                       before, after, prev_hash, hash";

impl Store {
    /// Appends `entry` (its seq and hashes are assigned here) and answers it as stored.
    pub async fn append_audit(&self, entry: AuditEntry) -> StoreResult<AuditEntry> {
        const LOCK: &str = "UPDATE audit_head SET seq = seq + 1 WHERE id = 1";
        const HEAD: &str = "SELECT seq, hash FROM audit_head WHERE id = 1";
        const INSERT: &str = "INSERT INTO audit_log (seq, id, at, actor_id, actor_role, action, \
            object_type, object_id, before, after, prev_hash, hash) \
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
        const MOVE_HEAD: &str = "UPDATE audit_head SET hash = $1 WHERE id = 1";
        let stored = on_pool!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            sqlx::query(LOCK).execute(&mut *tx).await?;
            let (seq, previous): (i64, String) = sqlx::query_as(HEAD).fetch_one(&mut *tx).await?;
            let entry = entry.chain_after(seq, &previous);
            sqlx::query(INSERT)
                .bind(entry.seq)
                .bind(entry.id.to_string())
                .bind(to_ms(entry.at))
                .bind(entry.actor_id.map(|u| u.to_string()))
                .bind(&entry.actor_role)
                .bind(&entry.action)
                .bind(&entry.object_type)
                .bind(&entry.object_id)
                .bind(&entry.before)
                .bind(&entry.after)
                .bind(&entry.prev_hash)
                .bind(&entry.hash)
                .execute(&mut *tx)
                .await?;
            sqlx::query(MOVE_HEAD).bind(&entry.hash).execute(&mut *tx).await?;
            tx.commit().await?;
            entry
        });
        Ok(stored)
    }

    /// Entries after `after_seq` in order, at most `limit`, optionally of one object.
    pub async fn audit_entries(
        &self,
        after_seq: i64,
        limit: u32,
        object: Option<(&str, &str)>,
    ) -> StoreResult<Vec<AuditEntry>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM audit_log WHERE seq > $1 AND ($2 = '' OR object_type = $2) \
             AND ($3 = '' OR object_id = $3) ORDER BY seq LIMIT $4"
        );
        let (object_type, object_id) = object.unwrap_or(("", ""));
        let rows: Vec<AuditRow> = on_pool!(self.db(), pool => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(after_seq)
            .bind(object_type)
            .bind(object_id)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?);
        rows.into_iter().map(AuditEntry::try_from).collect()
    }
}
