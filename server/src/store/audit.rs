//! The append-only audit log, written in the same transaction as the change it records.
//!
//! # Recording an audited change
//!
//! A store method that changes an audited row (see
//! [`AUDITED_TABLES`](crate::domain::audit::AUDITED_TABLES)) takes a [`Provenance`]
//! and, inside its own write transaction:
//!
//! 1. `let slot = tx.claim_audit_slot(&provenance).await?;` takes the chain's head
//!    (locking it: audited changes append one at a time, on either database, so the
//!    chain cannot fork) and answers the seq the entry will get;
//! 2. writes its rows with `audit_seq = slot.link()`;
//! 3. `tx.append_audit(slot, provenance).await?;` appends the entry, then commits.
//!
//! The change and its entry commit together or not at all: a crash, a full disk or a
//! failed constraint leaves neither. The service builds the [`PendingAudit`] before
//! calling the store (`service::audit::pending`); when the entry's content is only known
//! inside the transaction (the `before` of an update), fill it in between steps 1 and 3.
//!
//! Write transactions begin with [`BeginWrite::begin_write`]: on SQLite `BEGIN
//! IMMEDIATE`, so a transaction that reads before it writes waits for the write lock
//! (up to the busy timeout) instead of failing with "database is locked" when it tries
//! to upgrade.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Store, StoreError, StoreResult, from_ms, on_pool, parse_opt_uuid, parse_uuid, to_ms};
use crate::domain::audit::{
    AuditEntry, AuditedTable, PendingAudit, RowLink, UNAUDITED_SEQ, UnrecordedChange,
};

/// Who vouches for a write to an audited table.
#[derive(Debug, Clone, PartialEq)]
pub enum Provenance {
    /// An actor's change: its entry is appended in the change's own transaction.
    Audited(PendingAudit),
    /// Written by the server itself (the bootstrap admin, the synthetic world, test
    /// fixtures): no entry, and the rows carry [`UNAUDITED_SEQ`].
    Seed,
}

impl Provenance {
    /// The entry waiting to be appended, to fill in `before`/`after` inside the
    /// transaction.
    pub fn pending_mut(&mut self) -> Option<&mut PendingAudit> {
        match self {
            Provenance::Audited(pending) => Some(pending),
            Provenance::Seed => None,
        }
    }
}

/// The place an audited change's entry takes in the chain, claimed under the head's lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditSlot {
    claimed: Option<(i64, String)>,
}

impl AuditSlot {
    /// The `audit_seq` the change's rows carry.
    pub fn link(&self) -> i64 {
        self.claimed.as_ref().map_or(UNAUDITED_SEQ, |(seq, _)| *seq)
    }
}

/// Begins the one kind of transaction that writes.
pub(crate) trait BeginWrite {
    type Db: sqlx::Database;
    /// On SQLite `BEGIN IMMEDIATE`: the write lock is taken up front, so a transaction
    /// that reads before writing never has to upgrade its lock (a deferred one cannot
    /// when another connection wrote meanwhile, and fails at once with "database is
    /// locked" regardless of the busy timeout). On PostgreSQL a plain `BEGIN`; its
    /// read-then-write races are closed by row locks (a conditional `UPDATE`, or the
    /// audit head's lock).
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, Self::Db>, sqlx::Error>;
}

impl BeginWrite for sqlx::SqlitePool {
    type Db = sqlx::Sqlite;
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
        self.begin_with("BEGIN IMMEDIATE").await
    }
}

impl BeginWrite for sqlx::PgPool {
    type Db = sqlx::Postgres;
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
        self.begin().await
    }
}

/// Appending to the chain inside a write transaction (see the module's doc).
pub(crate) trait AuditTx {
    async fn claim_audit_slot(&mut self, provenance: &Provenance) -> StoreResult<AuditSlot>;
    async fn append_audit(
        &mut self,
        slot: AuditSlot,
        provenance: Provenance,
    ) -> StoreResult<Option<AuditEntry>>;
}

const LOCK_HEAD: &str = "UPDATE audit_head SET seq = seq + 1 WHERE id = 1";
const HEAD: &str = "SELECT seq, hash FROM audit_head WHERE id = 1";
const INSERT_ENTRY: &str = "INSERT INTO audit_log (seq, id, at, actor_id, actor_role, action, \
    object_type, object_id, before, after, prev_hash, hash) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
const MOVE_HEAD: &str = "UPDATE audit_head SET hash = $1 WHERE id = 1";

/// One body for both databases' transactions.
macro_rules! audit_tx {
    ($db:ty) => {
        impl AuditTx for sqlx::Transaction<'_, $db> {
            async fn claim_audit_slot(
                &mut self,
                provenance: &Provenance,
            ) -> StoreResult<AuditSlot> {
                if *provenance == Provenance::Seed {
                    return Ok(AuditSlot { claimed: None });
                }
                sqlx::query(LOCK_HEAD).execute(&mut **self).await?;
                let head: (i64, String) = sqlx::query_as(HEAD).fetch_one(&mut **self).await?;
                Ok(AuditSlot {
                    claimed: Some(head),
                })
            }

            async fn append_audit(
                &mut self,
                slot: AuditSlot,
                provenance: Provenance,
            ) -> StoreResult<Option<AuditEntry>> {
                let (pending, (seq, previous)) = match (provenance, slot.claimed) {
                    (Provenance::Audited(pending), Some(claimed)) => (pending, claimed),
                    (Provenance::Seed, None) => return Ok(None),
                    _ => {
                        return Err(StoreError::Corrupt(
                            "an audit slot claimed for another provenance".into(),
                        ));
                    }
                };
                let entry = pending.chain_after(seq, &previous);
                sqlx::query(INSERT_ENTRY)
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
                    .execute(&mut **self)
                    .await?;
                sqlx::query(MOVE_HEAD)
                    .bind(&entry.hash)
                    .execute(&mut **self)
                    .await?;
                Ok(Some(entry))
            }
        }
    };
}
audit_tx!(sqlx::Sqlite);
audit_tx!(sqlx::Postgres);

/// The common audited change: one statement in a write transaction of its own, with
/// the slot's `audit_seq` bound as its last parameter, then the entry (steps 1-3 of the
/// module's doc). `map_err = …` maps the statement's error (a unique key's conflict);
/// `unless_one_row = …` rolls back and returns that error from the calling method when
/// the statement changed no row (a conditional `UPDATE … WHERE status = …` that lost).
///
/// ```ignore
/// audited_write!(self, provenance, SQL, [id.to_string(), status.as_str()],
///     unless_one_row = StoreError::Conflict("the appeal was already decided".into()));
/// ```
macro_rules! audited_write {
    ($store:expr, $provenance:expr, $sql:expr, [$($bind:expr),* $(,)?]
        $(, map_err = $map_err:expr)? $(, unless_one_row = $missed:expr)? $(,)?) => {{
        use $crate::store::audit::{AuditTx as _, BeginWrite as _};
        let provenance = $provenance;
        $crate::store::on_pool!($store.db(), pool => {
            let mut tx = pool.begin_write().await?;
            let slot = tx.claim_audit_slot(&provenance).await?;
            let written = sqlx::query($sql)
                $(.bind($bind))*
                .bind(slot.link())
                .execute(&mut *tx)
                .await;
            $(let written = written.map_err($map_err);)?
            let _done = written?;
            $(if _done.rows_affected() != 1 {
                tx.rollback().await?;
                return Err($missed);
            })?
            tx.append_audit(slot, provenance).await?;
            tx.commit().await?;
        });
    }};
}
pub(crate) use audited_write;

/// An audited row's key and `audit_seq`, with the `(object_type, object_id)` of the
/// entry at that seq when there is one.
type LinkRow = (String, Option<i64>, Option<String>, Option<String>);

/// The SQL expression of an audited table's key, as its entries' `object_id` spells it.
fn key_sql(table: &AuditedTable) -> &'static str {
    match table.table {
        "jurisdictions" => "t.code",
        "anomaly_reviews" => "t.anomaly_id",
        "county_facts" => "t.jurisdiction_code || '/' || CAST(t.year AS TEXT)",
        "holiday_calendars" => "CAST(t.year AS TEXT)",
        _ => "t.id",
    }
}

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

/// What [`Store::search_audit`] matches; `None` matches anything.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub actor_id: Option<Uuid>,
    pub action: Option<String>,
    /// Entries at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Entries before this instant.
    pub to: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "seq, id, at, actor_id, actor_role, action, object_type, object_id, \
                       before, after, prev_hash, hash";

impl Store {
    /// The rows of `table` whose change has no entry to show for it, at most `limit`.
    pub async fn unrecorded_changes(
        &self,
        table: &AuditedTable,
        limit: u32,
    ) -> StoreResult<Vec<UnrecordedChange>> {
        // Only rows that could fail the check are fetched: the domain decides which do.
        let sql = format!(
            "SELECT {key} AS row_key, t.audit_seq, a.object_type, a.object_id \
             FROM {table} t LEFT JOIN audit_log a ON a.seq = t.audit_seq \
             WHERE t.audit_seq IS NULL \
                OR (t.audit_seq <> $1 AND (a.seq IS NULL OR a.object_type <> $2 \
                    OR a.object_id <> {key})) \
             ORDER BY 1",
            key = key_sql(table),
            table = table.table,
        );
        let rows: Vec<LinkRow> = on_pool!(self.db(), pool => sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(UNAUDITED_SEQ)
                .bind(table.object_type)
                .fetch_all(pool)
                .await?);
        let found = rows
            .into_iter()
            .filter_map(|(key, audit_seq, object_type, object_id)| {
                let link = RowLink {
                    key,
                    audit_seq,
                    entry_object: object_type.zip(object_id),
                };
                table.check(&link).err()
            });
        Ok(found
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .collect())
    }

    /// Entries after `after_seq` in order, at most `limit`, optionally of one object.
    /// Audit entries matching `filter`, newest first when `newest_first` (then `cursor`
    /// is the smallest seq already shown), else in chain order (after `cursor`).
    pub async fn search_audit(
        &self,
        filter: &AuditFilter,
        cursor: Option<i64>,
        newest_first: bool,
        limit: u32,
    ) -> StoreResult<Vec<AuditEntry>> {
        let (bound, order) = if newest_first {
            ("seq < $1", "DESC")
        } else {
            ("seq > $1", "ASC")
        };
        let sql = format!(
            "SELECT {COLUMNS} FROM audit_log WHERE {bound} \
             AND ($2 = '' OR object_type = $2) AND ($3 = '' OR object_id = $3) \
             AND ($4 = '' OR actor_id = $4) AND ($5 = '' OR action = $5) \
             AND at >= $6 AND at < $7 ORDER BY seq {order} LIMIT $8"
        );
        let cursor = cursor.unwrap_or(if newest_first { i64::MAX } else { 0 });
        let rows: Vec<AuditRow> = on_pool!(self.db(), pool => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(cursor)
            .bind(filter.object_type.as_deref().unwrap_or_default())
            .bind(filter.object_id.as_deref().unwrap_or_default())
            .bind(filter.actor_id.map(|u| u.to_string()).unwrap_or_default())
            .bind(filter.action.as_deref().unwrap_or_default())
            .bind(filter.from.map_or(i64::MIN, to_ms))
            .bind(filter.to.map_or(i64::MAX, to_ms))
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?);
        rows.into_iter().map(AuditEntry::try_from).collect()
    }

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
