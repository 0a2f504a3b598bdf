//! All SQL lives here. One store, two databases (SQLite and PostgreSQL), one SQL text
//! per query in the portable subset; the rare real difference lives in `dialect`.

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Connection as _, PgPool, SqlitePool};

pub mod activities;
pub mod anomalies;
pub mod appeals;
pub mod assignments;
pub mod attempt;
pub mod attendance;
pub mod audit;
pub mod bulk;
pub mod calendars;
pub mod clinic;
pub mod columns;
pub mod complaints;
pub mod coverage;
pub mod dashboard;
pub mod device_moves;
pub mod eligibility;
pub mod facts;
pub mod fault;
pub mod filings;
pub mod fraud;
pub mod group_commit;
pub mod imports;
pub mod inserts;
pub mod inspection_plans;
pub mod inspection_records;
pub mod jurisdictions;
pub mod kiosks;
pub mod ledger;
pub mod names;
mod open_failure;
pub mod organizations;
pub mod pg_commit;
pub mod photo_reviews;
pub mod photos;
pub mod programs;
pub mod promotion;
pub mod readers;
pub mod reports;
pub mod secrets;
pub mod site_index;
pub mod statement;
pub mod supervision;
pub mod surveys;
#[cfg(test)]
pub(crate) mod testing;
pub mod tokens;
pub mod users;
pub mod visit_search;

/// The database behind the store. Queries are written once and run on either arm
/// through [`on_pool!`].
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to whichever pool `$db` holds. The body is
/// compiled once per database, so it must only use the portable SQL subset.
#[macro_export]
macro_rules! on_pool {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::store::Db::Sqlite($pool) => $body,
            $crate::store::Db::Postgres($pool) => $body,
        }
    };
}
pub use on_pool;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A uniqueness or reference constraint said no; the text says which.
    #[error("{0}")]
    Conflict(String),
    /// Stored data that no longer parses: a bug or a manual edit.
    #[error("corrupt row: {0}")]
    Corrupt(String),
    #[error("database: {0}")]
    Database(#[source] sqlx::Error),
    #[error("migration: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported DATABASE_URL scheme: {0}")]
    UnsupportedUrl(String),
    /// The group commit's transaction failed: no attempt of its batch was stored.
    #[error("group commit failed: {0}")]
    BatchFailed(String),
    /// The group commit's writer connection said no.
    #[error("database: {0}")]
    Sqlite(#[source] rusqlite::Error),
    /// The disk is full or failing (see [`fault`]): nothing of the write was stored,
    /// and the same write succeeds once the storage works again.
    #[error("storage unavailable: {0}")]
    StorageUnavailable(String),
    /// The database file (or its folder) cannot be opened or created; names the path
    /// and the operating system's reason.
    #[error("cannot open the database {}: {reason}", path.display())]
    CannotOpen {
        path: std::path::PathBuf,
        reason: String,
    },
    /// A quick reader's connection was lost to a panic while reading.
    #[error("a read connection was lost")]
    ReaderLost,
    /// The group commit's writer task is gone (the runtime is shutting down).
    #[error("the attendance writer has stopped")]
    WriterGone,
}

/// Storage faults become [`StoreError::StorageUnavailable`]; other errors pass through.
impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        if fault::is_storage_fault(&error) {
            StoreError::StorageUnavailable(error.to_string())
        } else {
            StoreError::Database(error)
        }
    }
}

/// Storage faults become [`StoreError::StorageUnavailable`]; other errors pass through.
impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        if fault::is_rusqlite_storage_fault(&error) {
            StoreError::StorageUnavailable(error.to_string())
        } else {
            StoreError::Sqlite(error)
        }
    }
}

impl StoreError {
    /// Maps a unique violation to [`StoreError::Conflict`] with `what`, passes others through.
    pub fn on_unique(error: sqlx::Error, what: &str) -> StoreError {
        match &error {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::Conflict(what.to_owned())
            }
            _ => StoreError::from(error),
        }
    }

    pub fn is_unique_violation(error: &sqlx::Error) -> bool {
        matches!(error, sqlx::Error::Database(db) if db.is_unique_violation())
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../schemas/migrations/sqlite");
static POSTGRES_MIGRATOR: sqlx::migrate::Migrator =
    sqlx::migrate!("../schemas/migrations/postgres");

/// The storage handle shared by every request.
#[derive(Clone, Debug)]
pub struct Store {
    db: Db,
    /// On SQLite, the one task that writes attendance attempts (group commit).
    writer: Option<group_commit::GroupCommit>,
    /// On PostgreSQL, the task that writes attendance attempts (group commit).
    pg_writer: Option<pg_commit::PgGroupCommit>,
    /// On SQLite, where a check-in's facts are read.
    readers: Option<readers::ReadPath>,
    /// The last storage fault writes met, until one is stored again.
    health: std::sync::Arc<fault::StorageHealth>,
    /// On SQLite, the check-in's slowly changing facts kept in memory.
    facts: Option<std::sync::Arc<facts::FactCache>>,
}

impl Store {
    /// Connects to `url` (`sqlite://…` or `postgres://…`), creating the SQLite file and
    /// its folder on first start, and runs the migrations.
    pub async fn connect(url: &str, max_connections: u32) -> StoreResult<Store> {
        let mut writer = None;
        let mut readers = None;
        let mut facts = None;
        let mut pg_writer = None;
        let db = if url.starts_with("sqlite:") {
            let (pool, path) = connect_sqlite(url, max_connections).await?;
            writer = Some(
                group_commit::GroupCommit::start(&path)
                    .map_err(|error| open_failure::cannot_open(&path, error))?,
            );
            readers = Some(readers::ReadPath::Shared(std::sync::Arc::new(
                readers::Readers::new(&path, max_connections),
            )));
            facts = Some(Default::default());
            Db::Sqlite(pool)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let options = PgConnectOptions::from_str(url)?;
            let pool = PgPoolOptions::new()
                .max_connections(max_connections)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options.clone())
                .await?;
            pg_writer = Some(pg_commit::PgGroupCommit::start(options));
            Db::Postgres(pool)
        } else {
            return Err(StoreError::UnsupportedUrl(
                url.split(':').next().unwrap_or_default().to_owned(),
            ));
        };
        let store = Store {
            db,
            writer,
            pg_writer,
            readers,
            health: Default::default(),
            facts,
        };
        store.migrate().await?;
        Ok(store)
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn backend_name(&self) -> &'static str {
        match self.db {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    pub async fn migrate(&self) -> StoreResult<()> {
        match &self.db {
            Db::Sqlite(pool) => SQLITE_MIGRATOR.run(pool).await?,
            Db::Postgres(pool) => POSTGRES_MIGRATOR.run(pool).await?,
        }
        Ok(())
    }

    /// The versions of the migrations applied to this database, in order.
    pub async fn applied_migrations(&self) -> StoreResult<Vec<i64>> {
        const SQL: &str = "SELECT version FROM _sqlx_migrations WHERE success ORDER BY version";
        let versions: Vec<(i64,)> =
            on_pool!(&self.db, pool => sqlx::query_as(SQL).fetch_all(pool).await?);
        Ok(versions.into_iter().map(|(v,)| v).collect())
    }

    /// The storage's health as the last writes met it.
    pub fn health(&self) -> &fault::StorageHealth {
        &self.health
    }

    /// Writes and commits one tiny row: a read answers on a full disk, a write does
    /// not. Clears the recorded fault when it succeeds.
    pub async fn probe_write(&self, now: DateTime<Utc>) -> StoreResult<()> {
        const SQL: &str = "INSERT INTO storage_probe (id, probed_at) VALUES (1, $1) \
                           ON CONFLICT (id) DO UPDATE SET probed_at = excluded.probed_at";
        let written: StoreResult<()> = on_pool!(&self.db, pool => sqlx::query(SQL)
            .bind(to_ms(now))
            .execute(pool)
            .await
            .map(drop)
            .map_err(StoreError::from));
        match &written {
            Ok(()) => self.health.recovered(),
            Err(StoreError::StorageUnavailable(reason)) => {
                self.health.failed(reason, std::time::Instant::now());
            }
            Err(_) => {}
        }
        written
    }

    /// Answers when the database does.
    pub async fn ping(&self) -> StoreResult<()> {
        on_pool!(&self.db, pool => sqlx::query("SELECT 1").execute(pool)
            .await?
            .rows_affected());
        Ok(())
    }

    /// The connection pool as it is now, for the metrics scrape.
    pub fn pool_stats(&self) -> PoolStats {
        on_pool!(&self.db, pool => PoolStats {
            size: pool.size(),
            idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
            max: pool.options().get_max_connections(),
        })
    }

    pub async fn close(&self) {
        on_pool!(&self.db, pool => pool.close().await)
    }
}

/// Connections of the pool: open now, idle among them, and the most it may open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    pub size: u32,
    pub idle: u32,
    pub max: u32,
}

/// The migration versions shipped for each database; a test checks they match.
pub fn shipped_migrations() -> (Vec<i64>, Vec<i64>) {
    let versions = |m: &sqlx::migrate::Migrator| m.iter().map(|m| m.version).collect();
    (versions(&SQLITE_MIGRATOR), versions(&POSTGRES_MIGRATOR))
}

/// How much of the SQLite file each connection maps into memory.
pub(crate) const SQLITE_MMAP_BYTES: i64 = 1 << 30;

/// The pool, and the database file's path (for the group commit's writer).
async fn connect_sqlite(
    url: &str,
    max_connections: u32,
) -> StoreResult<(SqlitePool, std::path::PathBuf)> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // FULL: a check-in answered 201 survives power loss, not only a process crash.
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        // Pages read through a memory map: after the writer commits, a reader's stale
        // page cache is refilled without a read() system call per page.
        .pragma("mmap_size", SQLITE_MMAP_BYTES.to_string())
        .busy_timeout(Duration::from_secs(10));
    let path = options.get_filename().to_path_buf();
    if let Some(parent) = path.parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent)
            .map_err(|error| open_failure::cannot_create_folder(&path, parent, &error))?;
    }
    let pool = SqlitePoolOptions::new()
        .max_connections(max_connections.max(1))
        // A file on this machine does not drop connections: no ping (a round trip to the
        // connection's worker thread) before every statement.
        .test_before_acquire(false)
        // A connection given back inside a transaction is one whose transaction was
        // dropped without a commit: its rollback is still queued, and when the disk cut
        // the transaction short (SQLite rolls back by itself on SQLITE_FULL or an I/O
        // error) that rollback fails and sqlx keeps counting the transaction as open,
        // so the connection could begin nothing again. Closing it costs a reconnect on
        // an error path; pooling it would fail every later write that drew it.
        .after_release(|conn, _| Box::pin(async move { Ok(!conn.is_in_transaction()) }))
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await
        .map_err(|error| open_failure::cannot_open(&path, error))?;
    Ok((pool, path))
}

/// Instants are stored as Unix milliseconds.
pub fn to_ms(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

/// `at` as the store keeps it (whole milliseconds): what a read after the write answers.
pub fn as_stored(at: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(to_ms(at)).unwrap_or(at)
}

pub fn from_ms(ms: i64) -> StoreResult<DateTime<Utc>> {
    DateTime::from_timestamp_millis(ms).ok_or_else(|| StoreError::Corrupt(format!("instant {ms}")))
}

pub(crate) fn parse_uuid(text: &str) -> StoreResult<uuid::Uuid> {
    uuid::Uuid::parse_str(text).map_err(|_| StoreError::Corrupt(format!("uuid {text:?}")))
}

pub(crate) fn parse_opt_uuid(text: Option<String>) -> StoreResult<Option<uuid::Uuid>> {
    text.as_deref().map(parse_uuid).transpose()
}

/// Closed vocabularies are stored as their snake_case wire names.
pub(crate) fn encode_enum<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        other => format!("{other:?}"),
    }
}

pub(crate) fn decode_enum<T: serde::de::DeserializeOwned>(text: &str) -> StoreResult<T> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .map_err(|_| StoreError::Corrupt(format!("enum value {text:?}")))
}

/// A store on a new SQLite file in the temporary folder, for tests; answers it with
/// the folder to remove afterwards.
#[cfg(test)]
pub(crate) async fn temp_store(tag: &str, max_connections: u32) -> (Store, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("xiaxiang-{tag}-{}", uuid::Uuid::new_v4()));
    let url = format!("sqlite://{}", dir.join("db.sqlite").display());
    let store = Store::connect(&url, max_connections)
        .await
        .expect("connects");
    (store, dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_databases_ship_the_same_migration_versions() {
        let (sqlite, postgres) = shipped_migrations();
        assert!(!sqlite.is_empty());
        assert_eq!(sqlite, postgres);
    }

    #[tokio::test]
    async fn an_unknown_url_scheme_is_refused() {
        let err = Store::connect("mysql://x/y", 1).await.unwrap_err();
        assert!(matches!(err, StoreError::UnsupportedUrl(s) if s == "mysql"));
    }
}
