//! Quick reads: the facts a check-in is judged on, read with one plain function call.
//!
//! On SQLite, sqlx runs every statement on its connection's worker thread and waits
//! for the answer: two thread wake-ups per statement, which for a check-in's small
//! indexed reads cost more than the reads. Here the statement runs on the calling
//! thread, through `rusqlite`, on a connection taken from a small stack kept for the
//! purpose. A read of a few indexed rows, from pages the operating system has
//! cached, takes microseconds: well inside what an async task may spend between
//! awaits. In WAL mode a reader never waits for the writer. On PostgreSQL the same statement runs
//! through sqlx's pool, and the same [`FromColumns`] reads its rows.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OpenFlags};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::columns::FromColumns;
use super::statement::{Step, all_rows, bind_step, first_row};
use super::{Store, StoreError, StoreResult, on_pool};

/// Statements each reader connection keeps prepared.
const PREPARED_STATEMENTS: usize = 32;

/// Read-only `rusqlite` connections to one SQLite file, opened on demand and reused.
/// A connection is taken for one statement, which never waits in between, or for
/// one [`Snapshot`], which may, so snapshots are limited: the stack holds at most as
/// many connections as threads read at once plus `max_snapshots`.
#[derive(Debug)]
pub struct Readers {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    snapshots: Arc<Semaphore>,
    /// Statements run so far (the `store_quick_reads_total` metric).
    reads: AtomicU64,
}

impl Readers {
    pub fn new(path: &Path, max_snapshots: u32) -> Readers {
        let max_snapshots = usize::try_from(max_snapshots.max(1)).unwrap_or(1);
        Readers {
            path: path.to_path_buf(),
            idle: Mutex::new(Vec::new()),
            snapshots: Arc::new(Semaphore::new(max_snapshots)),
            reads: AtomicU64::new(0),
        }
    }

    fn open(&self) -> StoreResult<Connection> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let db = Connection::open_with_flags(&self.path, flags)?;
        db.pragma_update(None, "query_only", true)?;
        // No memory map: the file grows at every checkpoint under load, and each
        // growth made every reader unmap and map it again (and fault its pages back
        // in), which cost more than the read() calls it saves.
        db.pragma_update(None, "mmap_size", 0)?;
        db.busy_handler(Some(super::group_commit::retry_busy))?;
        db.set_prepared_statement_cache_capacity(PREPARED_STATEMENTS);
        Ok(db)
    }

    /// An idle connection, or a new one.
    fn take(&self) -> StoreResult<Connection> {
        match self.idle.lock().map(|mut idle| idle.pop()).ok().flatten() {
            Some(db) => Ok(db),
            None => self.open(),
        }
    }

    fn give_back(&self, db: Connection) {
        if let Ok(mut idle) = self.idle.lock() {
            idle.push(db);
        }
    }

    /// Runs `read` on an idle connection (or a new one), then keeps the connection.
    fn with<T>(&self, read: impl FnOnce(&Connection) -> StoreResult<T>) -> StoreResult<T> {
        let db = self.take()?;
        let answer = read(&db);
        self.give_back(db);
        answer
    }
}

/// One connection holding one read transaction: every read through it sees the
/// database as it was at the first, whatever commits meanwhile. It also reads faster:
/// a connection drops its page cache whenever it starts reading after another
/// connection's commit, which under load means at every statement. Ended (and the
/// connection given back) when dropped.
#[derive(Debug)]
pub struct Snapshot {
    readers: Arc<Readers>,
    db: Mutex<Option<Connection>>,
    /// Released (after the connection is given back) when the snapshot ends.
    _permit: OwnedSemaphorePermit,
}

impl Snapshot {
    /// Waits while `max_snapshots` snapshots are open, then begins one.
    async fn begin(readers: &Arc<Readers>) -> StoreResult<Snapshot> {
        let permit = readers
            .snapshots
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| StoreError::ReaderLost)?;
        let db = readers.take()?;
        db.execute_batch("BEGIN")?;
        Ok(Snapshot {
            readers: readers.clone(),
            db: Mutex::new(Some(db)),
            _permit: permit,
        })
    }

    fn with<T>(&self, read: impl FnOnce(&Connection) -> StoreResult<T>) -> StoreResult<T> {
        let db = self.db.lock().map_err(|_| StoreError::ReaderLost)?;
        read(db.as_ref().ok_or(StoreError::ReaderLost)?)
    }
}

impl Drop for Snapshot {
    fn drop(&mut self) {
        let db = self.db.get_mut().ok().and_then(Option::take);
        // A connection whose transaction will not end is closed, not reused.
        if let Some(db) = db
            && db.execute_batch("COMMIT").is_ok()
        {
            self.readers.give_back(db);
        }
    }
}

/// Where a store's quick reads go (SQLite only).
#[derive(Debug, Clone)]
pub enum ReadPath {
    /// Any idle connection, one statement at a time.
    Shared(Arc<Readers>),
    /// The one connection of a snapshot.
    Snapshot(Arc<Snapshot>),
}

impl ReadPath {
    fn with<T>(&self, read: impl FnOnce(&Connection) -> StoreResult<T>) -> StoreResult<T> {
        match self {
            ReadPath::Shared(readers) => {
                readers.reads.fetch_add(1, Ordering::Relaxed);
                readers.with(read)
            }
            ReadPath::Snapshot(snapshot) => {
                snapshot.readers.reads.fetch_add(1, Ordering::Relaxed);
                snapshot.with(read)
            }
        }
    }
}

impl Store {
    /// Statements the quick readers ran since the start (SQLite; `None` on PostgreSQL).
    pub fn quick_reads(&self) -> Option<u64> {
        let readers = match self.readers.as_ref()? {
            ReadPath::Shared(readers) => readers,
            ReadPath::Snapshot(snapshot) => &snapshot.readers,
        };
        Some(readers.reads.load(Ordering::Relaxed))
    }

    /// Every row of `query`; on SQLite through the quick readers.
    pub(crate) async fn read_all<T: FromColumns>(&self, query: &Step) -> StoreResult<Vec<T>> {
        if let Some(path) = &self.readers {
            return path.with(|db| all_rows(db, query));
        }
        on_pool!(&self.db, pool => bind_step!(sqlx::query(query.sql), query)
            .fetch_all(pool)
            .await?
            .iter()
            .map(T::from_columns)
            .collect())
    }

    /// The first row of `query`, if any; on SQLite through the quick readers.
    pub(crate) async fn read_first<T: FromColumns>(&self, query: &Step) -> StoreResult<Option<T>> {
        if let Some(path) = &self.readers {
            return path.with(|db| first_row(db, query));
        }
        on_pool!(&self.db, pool => bind_step!(sqlx::query(query.sql), query)
            .fetch_optional(pool)
            .await?
            .as_ref()
            .map(T::from_columns)
            .transpose())
    }

    /// This store, with its quick reads (on SQLite) all seeing one snapshot of the
    /// database until the returned store is dropped; keep it for a few reads only,
    /// and never for a write. Waits while as many snapshots as the pool has
    /// connections are open. On PostgreSQL, the same store.
    pub async fn snapshot(&self) -> StoreResult<Store> {
        let Some(ReadPath::Shared(readers)) = &self.readers else {
            return Ok(self.clone());
        };
        let snapshot = Snapshot::begin(readers).await?;
        Ok(Store {
            readers: Some(ReadPath::Snapshot(Arc::new(snapshot))),
            ..self.clone()
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::store::columns::Columns;

    async fn store() -> (Store, std::path::PathBuf) {
        crate::store::temp_store("readers", 2).await
    }

    /// The same store, reading through sqlx's pool instead of the quick readers.
    fn through_sqlx(store: &Store) -> Store {
        Store {
            readers: None,
            ..store.clone()
        }
    }

    const ROWS: &str = "SELECT name, size, weight, note FROM samples WHERE size >= $2 \
                        AND name <> $1 ORDER BY size";

    struct Sample {
        name: String,
        size: i64,
        weight: f64,
        note: Option<String>,
    }

    impl FromColumns for Sample {
        fn from_columns(row: &impl Columns) -> StoreResult<Sample> {
            Ok(Sample {
                name: row.get("name")?,
                size: row.get("size")?,
                weight: row.get("weight")?,
                note: row.get("note")?,
            })
        }
    }

    async fn with_samples() -> (Store, std::path::PathBuf) {
        let (store, dir) = store().await;
        on_pool!(store.db(), pool => {
            sqlx::query("CREATE TABLE samples (name TEXT, size INTEGER, weight REAL, note TEXT)")
                .execute(pool)
                .await
                .expect("table");
            sqlx::query(
                "INSERT INTO samples VALUES ('a', 1, 0.5, NULL), ('b', 2, 1.5, '注'), \
                 ('c', 3, 2.5, NULL)",
            )
            .execute(pool)
            .await
            .expect("rows");
        });
        (store, dir)
    }

    #[tokio::test]
    async fn quick_reads_see_committed_rows_and_decode_as_sqlx_does() {
        let (store, dir) = with_samples().await;
        assert!(
            store.readers.is_some(),
            "SQLite reads through the quick readers"
        );
        // `$2` before `$1`: values are bound by number, not by position.
        let query = Step::new(ROWS, vec!["c".into(), 2i64.into()]);
        for reader in [store.clone(), through_sqlx(&store)] {
            let rows: Vec<Sample> = reader.read_all(&query).await.expect("reads");
            assert_eq!(rows.len(), 1);
            assert_eq!(
                (rows[0].name.as_str(), rows[0].size, rows[0].weight),
                ("b", 2, 1.5)
            );
            assert_eq!(rows[0].note.as_deref(), Some("注"));
            let first: Option<(String, Option<String>)> = reader
                .read_first(&Step::new(
                    "SELECT name, note FROM samples ORDER BY size LIMIT 1",
                    vec![],
                ))
                .await
                .expect("reads");
            assert_eq!(first, Some(("a".to_owned(), None)));
            let none: Option<(String,)> = reader
                .read_first(&Step::new(
                    "SELECT name FROM samples WHERE size > $1",
                    vec![9i64.into()],
                ))
                .await
                .expect("reads");
            assert_eq!(none, None);
        }
        std::fs::remove_dir_all(dir).ok();
    }

    #[tokio::test]
    async fn a_quick_read_sees_a_write_committed_after_the_previous_read() {
        let (store, dir) = with_samples().await;
        let count = Step::new("SELECT COUNT(*) FROM samples", vec![]);
        let before: Option<(i64,)> = store.read_first(&count).await.expect("reads");
        on_pool!(store.db(), pool => sqlx::query("INSERT INTO samples VALUES ('d', 4, 3.5, NULL)")
            .execute(pool)
            .await
            .expect("row")
            .rows_affected());
        let after: Option<(i64,)> = store.read_first(&count).await.expect("reads");
        assert_eq!((before, after), (Some((3,)), Some((4,))));
        // One statement at a time: the connection went back and was taken again.
        assert_eq!(idle(&store), 1);
        std::fs::remove_dir_all(dir).ok();
    }

    fn idle(store: &Store) -> usize {
        match &store.readers {
            Some(ReadPath::Shared(readers)) => readers.idle.lock().expect("lock").len(),
            other => panic!("not the shared path: {other:?}"),
        }
    }

    async fn add_sample(store: &Store, name: &str) {
        on_pool!(store.db(), pool => sqlx::query("INSERT INTO samples VALUES ($1, 9, 9.5, NULL)")
            .bind(name)
            .execute(pool)
            .await
            .expect("row")
            .rows_affected());
    }

    #[tokio::test]
    async fn snapshots_past_the_pool_size_wait_for_one_to_end() {
        let (store, dir) = crate::store::temp_store("readers", 1).await;
        let first = store.snapshot().await.expect("snapshot");
        let waiting = tokio::time::timeout(Duration::from_millis(100), store.snapshot()).await;
        assert!(
            waiting.is_err(),
            "a second snapshot waits while the first is open"
        );
        // Single reads do not wait for snapshots.
        let one: Option<(i64,)> = store
            .read_first(&Step::new("SELECT 1", vec![]))
            .await
            .expect("reads");
        assert_eq!(one, Some((1,)));
        drop(first);
        let second = tokio::time::timeout(Duration::from_secs(5), store.snapshot()).await;
        assert!(
            matches!(second, Ok(Ok(_))),
            "the second begins once the first ended"
        );
        std::fs::remove_dir_all(dir).ok();
    }

    #[tokio::test]
    async fn a_snapshot_reads_the_database_as_it_was_at_its_first_read() {
        let (store, dir) = with_samples().await;
        let count = Step::new("SELECT COUNT(*) FROM samples", vec![]);
        let snapshot = store.snapshot().await.expect("snapshot");
        let first: Option<(i64,)> = snapshot.read_first(&count).await.expect("reads");
        add_sample(&store, "d").await;
        let later: Option<(i64,)> = snapshot.read_first(&count).await.expect("reads");
        let outside: Option<(i64,)> = store.read_first(&count).await.expect("reads");
        assert_eq!(
            (first, later, outside),
            (Some((3,)), Some((3,)), Some((4,)))
        );
        // Writes go on while a snapshot is open, and it sees none of them.
        add_sample(&store, "e").await;
        let names: Vec<(String,)> = snapshot
            .read_all(&Step::new("SELECT name FROM samples ORDER BY name", vec![]))
            .await
            .expect("reads");
        assert_eq!(names.len(), 3);
        assert_eq!(idle(&store), 1, "the shared path's connection is back");
        drop(snapshot);
        assert_eq!(
            idle(&store),
            2,
            "the snapshot's connection is back, its reading ended"
        );
        let now: Option<(i64,)> = store
            .snapshot()
            .await
            .expect("snapshot")
            .read_first(&count)
            .await
            .expect("reads");
        assert_eq!(now, Some((5,)));
        std::fs::remove_dir_all(dir).ok();
    }

    #[tokio::test]
    async fn a_quick_reader_cannot_write_and_a_bad_column_is_an_error() {
        let (store, dir) = with_samples().await;
        let write = Step::new("DELETE FROM samples", vec![]);
        assert!(store.read_all::<(i64,)>(&write).await.is_err());
        let wrong_type = Step::new("SELECT name FROM samples", vec![]);
        assert!(store.read_all::<(i64,)>(&wrong_type).await.is_err());
        let rows: Vec<(String,)> = store.read_all(&wrong_type).await.expect("reads");
        assert_eq!(rows.len(), 3, "the refused delete removed nothing");
        std::fs::remove_dir_all(dir).ok();
    }
}
