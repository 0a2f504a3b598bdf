//! Many attendance rows at once, for the simulator's bulk path (`synthetic::bulk`):
//! multi-row `INSERT`s in one transaction, with the columns ([`super::inserts`]) and
//! the values (each row type's `values()`) of the single-row writes, so a seeded row
//! is the row a request would have stored.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::attempt::{CodeUse, NewEvent, NewVisit, device_values};
use super::audit::BeginWrite;
use super::inserts::{
    ACTIVITIES, ANOMALIES, CODE_USES, DEVICES, EVENTS, Insert, Placeholders, VISITS,
};
use super::statement::{Param, bind_params};
use super::supervision::NewAnomaly;
use super::{Db, Store, StoreError, StoreResult, on_pool};
use crate::domain::activity::ActivityRecord;

/// Rows per multi-row `INSERT` (27 columns x 1000 stays under SQLite's 32,766
/// parameters and PostgreSQL's 65,535).
const CHUNK: usize = 1000;

/// One use of a kiosk code by an accepted scan: the use, by whom, and the event.
#[derive(Debug, Clone)]
pub struct UsedCode {
    pub code: CodeUse,
    pub physician_id: Uuid,
    pub event_id: Uuid,
}

/// A device bound to a physician by their first accepted scan.
#[derive(Debug, Clone)]
pub struct BoundDevice {
    pub physician_id: Uuid,
    pub device_id: String,
    pub bound_at: DateTime<Utc>,
}

/// Secondary indexes dropped for a bulk load: `(name, definition)`, to create again.
#[derive(Debug, Default)]
pub struct DeferredIndexes {
    pub definitions: Vec<(String, String)>,
}

/// Rows written together, parents before children: events, then the visits they
/// open and close, then what refers to either.
#[derive(Debug, Default)]
pub struct Batch {
    pub events: Vec<NewEvent>,
    /// Inserted whole: the bulk path inserts a visit once it is closed.
    pub visits: Vec<NewVisit>,
    pub code_uses: Vec<UsedCode>,
    pub anomalies: Vec<NewAnomaly>,
    pub activities: Vec<ActivityRecord>,
    pub devices: Vec<BoundDevice>,
}

impl Batch {
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
            && self.visits.is_empty()
            && self.anomalies.is_empty()
            && self.devices.is_empty()
    }

    /// Each table's statements: the insert and the values of each of its rows.
    fn tables(&self) -> StoreResult<Vec<(Insert, Vec<Vec<Param>>)>> {
        let events = self
            .events
            .iter()
            .map(NewEvent::values)
            .collect::<StoreResult<_>>()?;
        Ok(vec![
            (EVENTS, events),
            (VISITS, self.visits.iter().map(NewVisit::values).collect()),
            (
                CODE_USES,
                self.code_uses
                    .iter()
                    .map(|u| u.code.values(u.physician_id, u.event_id))
                    .collect(),
            ),
            (
                ANOMALIES,
                self.anomalies.iter().map(NewAnomaly::values).collect(),
            ),
            (
                ACTIVITIES,
                self.activities
                    .iter()
                    .map(super::activities::values)
                    .collect(),
            ),
            (
                DEVICES,
                self.devices
                    .iter()
                    .map(|d| device_values(d.physician_id, &d.device_id, d.bound_at))
                    .collect(),
            ),
        ])
    }
}

impl Store {
    /// Inserts `batch` in one transaction of multi-row `INSERT`s, parents before
    /// children. Only for a database nothing else writes meanwhile: no row is
    /// checked against what is stored (no idempotency, no per-physician lock).
    pub async fn insert_batch(&self, batch: &Batch) -> StoreResult<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let tables = batch.tables()?;
        let style = Placeholders::for_many_values(self.db());
        on_pool!(self.db(), pool => {
            let mut tx = pool.begin_write().await?;
            for (insert, rows) in &tables {
                for chunk in rows.chunks(CHUNK) {
                    let sql = insert.sql_with(chunk.len(), style);
                    bind_params!(sqlx::query(sqlx::AssertSqlSafe(sql)), chunk.iter().flatten())
                        .execute(&mut *tx)
                        .await?;
                }
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Adds to each physician's `attendance_seq` the writes the service path would
    /// have counted (one per attempt, as an attempt's row lock does).
    pub async fn add_attendance_writes(&self, writes: &[(Uuid, i64)]) -> StoreResult<()> {
        const BUMP: &str = "UPDATE users SET attendance_seq = attendance_seq + $2 WHERE id = $1";
        on_pool!(self.db(), pool => {
            let mut tx = pool.begin_write().await?;
            for (id, count) in writes {
                sqlx::query(BUMP)
                    .bind(id.to_string())
                    .bind(*count)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Drops the secondary indexes of `tables` (not those behind a primary key or a
    /// unique constraint) and returns their definitions, for a bulk load that does not
    /// read them; [`Store::restore_indexes`] builds them again, each in one sorted
    /// pass, with the definition text they had (so the schema is the same as before).
    /// Only for a database nothing else uses meanwhile.
    pub async fn defer_indexes(&self, tables: &[&str]) -> StoreResult<DeferredIndexes> {
        const SQLITE: &str = "SELECT name, sql FROM sqlite_master \
            WHERE type = 'index' AND tbl_name = $1 AND sql IS NOT NULL ORDER BY name";
        // Indexes that back no constraint (primary keys and UNIQUE constraints stay).
        const POSTGRES: &str = "SELECT i.indexname, i.indexdef FROM pg_indexes i \
            WHERE i.schemaname = current_schema() AND i.tablename = $1 \
            AND NOT EXISTS (SELECT 1 FROM pg_constraint c \
                WHERE c.conname = i.indexname AND c.connamespace = current_schema()::regnamespace) \
            ORDER BY i.indexname";
        let mut deferred = DeferredIndexes::default();
        for table in tables {
            let found: Vec<(String, String)> = match self.db() {
                Db::Sqlite(pool) => sqlx::query_as(SQLITE).bind(*table).fetch_all(pool).await,
                Db::Postgres(pool) => sqlx::query_as(POSTGRES).bind(*table).fetch_all(pool).await,
            }
            .map_err(StoreError::from)?;
            deferred.definitions.extend(found);
        }
        on_pool!(self.db(), pool => {
            for (name, _) in &deferred.definitions {
                // The name comes from the catalogue, not from input.
                sqlx::query(sqlx::AssertSqlSafe(format!("DROP INDEX \"{name}\"")))
                    .execute(pool)
                    .await
                    .map_err(StoreError::from)?;
            }
        });
        Ok(deferred)
    }

    /// Creates the indexes [`Store::defer_indexes`] dropped, from their definitions.
    pub async fn restore_indexes(&self, deferred: DeferredIndexes) -> StoreResult<()> {
        on_pool!(self.db(), pool => {
            for (_, definition) in &deferred.definitions {
                sqlx::query(sqlx::AssertSqlSafe(definition.clone()))
                    .execute(pool)
                    .await
                    .map_err(StoreError::from)?;
            }
        });
        Ok(())
    }

    /// For seeding on SQLite: `synchronous = OFF` and a page cache of `cache_mib`
    /// MiB. The settings are per connection, so this is for a store of one
    /// connection. A crash while seeding may lose the seed (which is rerun anyway);
    /// what is written is unchanged. Nothing on PostgreSQL.
    pub async fn relax_durability(&self, cache_mib: u32) -> StoreResult<()> {
        if let Db::Sqlite(pool) = self.db() {
            let cache = format!("PRAGMA cache_size = -{}", u64::from(cache_mib) * 1024);
            for pragma in ["PRAGMA synchronous = OFF".to_owned(), cache] {
                sqlx::query(sqlx::AssertSqlSafe(pragma))
                    .execute(pool)
                    .await
                    .map_err(StoreError::from)?;
            }
        }
        Ok(())
    }
}
