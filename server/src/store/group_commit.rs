//! Group commit for attendance writes on SQLite.
//!
//! SQLite has one writer at a time, and with `synchronous = FULL` every commit waits
//! for the disk. One transaction per check-in therefore caps the rate at one disk
//! flush per check-in, and writers queueing for the lock sleep in SQLite's busy
//! handler. Here one thread owns the writing: it takes every attempt waiting at that
//! moment (up to [`MAX_BATCH`]), writes each inside a savepoint of one transaction,
//! commits once, and only then answers each caller. An attempt that is a duplicate,
//! meets changed facts or fails is rolled back to its savepoint alone; the others
//! still commit. A failed commit fails every attempt of the batch, none of which was
//! answered before, so a 201 still means the write is on disk.
//!
//! The thread has its own connection to the database file through `rusqlite`, and
//! runs each attempt's [`AttemptPlan`] (built by the caller, the same plan sqlx runs
//! on PostgreSQL) with its statements prepared once: each statement is a
//! plain function call on this thread, where sqlx would hand it to a connection's
//! worker thread and wait for the answer (two thread wake-ups per statement, which
//! made the writer, not the disk, the limit).

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, DropBehavior, TransactionBehavior};
use tokio::sync::{mpsc, oneshot};

use super::attempt::{AttemptPlan, Found, WriteOutcome};
use super::statement::{bound, first_row};
use super::{StoreError, StoreResult};

/// The most attempts written in one transaction.
pub const MAX_BATCH: usize = 256;
/// Attempts waiting for the writer before callers wait to queue.
const QUEUE: usize = 4096;
/// How often the WAL is copied into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);
/// A WAL larger than this is emptied by the next checkpoint.
const WAL_LIMIT_BYTES: u64 = 512 << 20;
/// How long the writer and the checkpointer sleep between tries of a busy lock.
const BUSY_PAUSE: Duration = Duration::from_micros(200);
/// Tries of a busy lock before giving up: about 10 s.
const BUSY_TRIES: i32 = 50_000;

struct Job {
    plan: AttemptPlan,
    reply: oneshot::Sender<StoreResult<WriteOutcome>>,
}

/// The handle callers queue attempts on; the writer thread stops when every handle is gone.
#[derive(Debug, Clone)]
pub struct GroupCommit {
    jobs: mpsc::Sender<Job>,
}

impl GroupCommit {
    /// Opens the writer's connection to the SQLite file at `path` (already created and
    /// in WAL mode) and starts its thread.
    pub fn start(path: &Path) -> StoreResult<GroupCommit> {
        let db = open(path)?;
        // The writer leaves checkpoints to a thread of their own (see `checkpoint`).
        db.pragma_update(None, "wal_autocheckpoint", 0)?;
        let checkpointer = open(path)?;
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        let wal = PathBuf::from(wal);
        let (jobs, queue) = mpsc::channel(QUEUE);
        let (writer_alive, writer_gone) = std::sync::mpsc::channel::<()>();
        let spawn_error = |e| StoreError::Database(sqlx::Error::Io(e));
        std::thread::Builder::new()
            .name("attendance-writer".into())
            .spawn({
                let path = path.to_path_buf();
                move || {
                    run(db, &path, queue);
                    drop(writer_alive);
                }
            })
            .map_err(spawn_error)?;
        std::thread::Builder::new()
            .name("wal-checkpoint".into())
            .spawn(move || checkpoint(checkpointer, wal, writer_gone))
            .map_err(spawn_error)?;
        Ok(GroupCommit { jobs })
    }

    /// Queues one attempt and answers its outcome once its batch is committed.
    pub async fn submit(&self, plan: AttemptPlan) -> StoreResult<WriteOutcome> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job { plan, reply })
            .await
            .map_err(|_| StoreError::WriterGone)?;
        answer.await.map_err(|_| StoreError::WriterGone)?
    }
}

/// The writer's page cache, in KiB (negative: SQLite's unit for a size in KiB).
const WRITER_CACHE_KIB: i64 = -65_536;

/// The writer's connection, with the durability the pool's connections have.
fn open(path: &Path) -> StoreResult<Connection> {
    let db = Connection::open(path)?;
    // Short even pauses: SQLite's own busy timeout backs off to 100 ms sleeps, which a
    // lock held for well under a millisecond (a reader's statement, another writer's
    // small transaction) would turn into a latency spike.
    db.busy_handler(Some(retry_busy))?;
    db.pragma_update(None, "journal_mode", "WAL")?;
    // FULL: a check-in answered 201 survives power loss, not only a process crash.
    db.pragma_update(None, "synchronous", "FULL")?;
    db.pragma_update(None, "foreign_keys", "ON")?;
    db.pragma_update(None, "mmap_size", super::SQLITE_MMAP_BYTES)?;
    // Each attempt's savepoint journals the pages it changes; past 64 KiB SQLite would
    // spill that journal to a temporary file, created, written and deleted on every
    // batch. In memory it costs at most a batch's changed pages.
    db.pragma_update(None, "temp_store", "MEMORY")?;
    // The pages an attempt changes are scattered over a dozen indexes; a cache that
    // holds their working set spares the writer a read of each from the log or the file.
    db.pragma_update(None, "cache_size", WRITER_CACHE_KIB)?;
    db.set_prepared_statement_cache_capacity(32);
    Ok(db)
}

pub(crate) fn retry_busy(tries: i32) -> bool {
    std::thread::sleep(BUSY_PAUSE);
    tries < BUSY_TRIES
}

fn run(mut db: Connection, path: &Path, mut queue: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = queue.blocking_recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let size = batch.len();
        let started = std::time::Instant::now();
        write_batch(&mut db, &mut batch);
        tracing::trace!(
            size,
            elapsed_us = started.elapsed().as_micros(),
            "group commit"
        );
        if !db.is_autocommit() {
            release_write_lock(&mut db, path);
        }
    }
}

/// Ends a transaction a failed batch left open. A COMMIT that failed (a full disk)
/// may leave the transaction, and with it the database's write lock, in place; every
/// other writer would then wait for a lock nobody will release. When even ROLLBACK
/// fails, the connection is closed (which releases the lock) and a new one opened.
fn release_write_lock(db: &mut Connection, path: &Path) {
    if let Err(error) = db.execute_batch("ROLLBACK") {
        tracing::warn!(%error, "attendance writer: rollback after a failed batch failed");
    }
    if db.is_autocommit() {
        return;
    }
    match open(path).and_then(|fresh| {
        fresh.pragma_update(None, "wal_autocheckpoint", 0)?;
        Ok(fresh)
    }) {
        Ok(fresh) => *db = fresh,
        Err(error) => tracing::error!(%error, "attendance writer: cannot reopen its connection"),
    }
}

/// Copies the WAL into the database file every [`CHECKPOINT_EVERY`] until the writer
/// stops. SQLite would otherwise checkpoint inside the commit that crosses 1,000 WAL
/// pages, so a batch's callers would wait for the copy and the database file's fsync
/// as well as their own. The copy is PASSIVE: it waits for no reader and no writer,
/// and what it could not copy is copied next time. Under steady load some reader
/// always holds a recent snapshot, so a passive copy never finishes and the WAL would
/// grow without end; past [`WAL_LIMIT_BYTES`] a TRUNCATE checkpoint waits for the
/// readers, holds the writer back while it finishes the copy, and empties the WAL.
fn checkpoint(db: Connection, wal: PathBuf, writer_gone: std::sync::mpsc::Receiver<()>) {
    use std::sync::mpsc::RecvTimeoutError;
    while let Err(RecvTimeoutError::Timeout) = writer_gone.recv_timeout(CHECKPOINT_EVERY) {
        if let Err(error) = checkpoint_once(&db, &wal, WAL_LIMIT_BYTES) {
            tracing::warn!(%error, "WAL checkpoint failed");
        }
    }
}

/// One checkpoint: TRUNCATE when the WAL file is larger than `limit` bytes, PASSIVE
/// otherwise. Answers the mode used.
fn checkpoint_once(db: &Connection, wal: &Path, limit: u64) -> rusqlite::Result<&'static str> {
    let oversized = std::fs::metadata(wal).is_ok_and(|m| m.len() > limit);
    let mode = if oversized { "TRUNCATE" } else { "PASSIVE" };
    db.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |_| Ok(()))?;
    Ok(mode)
}

/// Writes and commits one batch, then answers every job in it (draining `batch`).
fn write_batch(db: &mut Connection, batch: &mut Vec<Job>) {
    let mut outcomes: Vec<StoreResult<WriteOutcome>> = Vec::with_capacity(batch.len());
    let committed = (|| -> rusqlite::Result<()> {
        let mut tx = db.transaction_with_behavior(TransactionBehavior::Immediate)?;
        for job in batch.iter() {
            let mut savepoint = tx.savepoint()?;
            let outcome = write_attempt(&savepoint, &job.plan);
            savepoint.set_drop_behavior(match outcome {
                Ok(WriteOutcome::Written) => DropBehavior::Commit,
                _ => DropBehavior::Rollback,
            });
            savepoint.finish()?;
            outcomes.push(outcome);
        }
        tx.commit()
    })();
    let failure = committed.err();
    let mut outcomes = outcomes.into_iter();
    for job in batch.drain(..) {
        let outcome = match (&failure, outcomes.next()) {
            // Nothing of the batch is on disk: no attempt of it counts.
            (Some(error), _) => Err(batch_failure(error)),
            (None, Some(outcome)) => outcome,
            (None, None) => Err(StoreError::BatchFailed("attempt not written".into())),
        };
        // A caller that gave up (time budget) finds its answer stored on retry.
        let _ = job.reply.send(outcome);
    }
}

/// What each attempt of a batch whose transaction failed is answered.
fn batch_failure(error: &rusqlite::Error) -> StoreError {
    if super::fault::is_rusqlite_storage_fault(error) {
        StoreError::StorageUnavailable(error.to_string())
    } else {
        StoreError::BatchFailed(error.to_string())
    }
}

/// One attempt's [`AttemptPlan`], as `run_plan!` runs it with sqlx.
fn write_attempt(db: &Connection, plan: &AttemptPlan) -> StoreResult<WriteOutcome> {
    bound(db, &plan.lock)?.raw_execute()?;
    let found = Found {
        stored: first_row(db, &plan.existing)?,
        open_visit: first_row::<(String,)>(db, &plan.open)?.map(|(id,)| id),
        code_uses: match &plan.used {
            Some(step) => first_row::<(i64,)>(db, step)?.map_or(0, |(uses,)| uses),
            None => 0,
        },
    };
    if let Some(outcome) = plan.judge(found)? {
        return Ok(outcome);
    }
    for step in &plan.writes {
        let changed = bound(db, step)?.raw_execute()?;
        if step.changes_one_row && changed != 1 {
            return Ok(WriteOutcome::StateChanged);
        }
    }
    Ok(WriteOutcome::Written)
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;

    /// A database in WAL mode whose WAL holds a few hundred KiB nobody checkpointed.
    fn database_with_a_full_wal() -> (PathBuf, PathBuf, Connection) {
        let dir = std::env::temp_dir().join(format!("xiaxiang-wal-{}", Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("test.db");
        let db = open(&path).expect("open");
        db.pragma_update(None, "wal_autocheckpoint", 0)
            .expect("pragma");
        db.execute_batch("CREATE TABLE t (x TEXT)").expect("table");
        for _ in 0..200 {
            db.execute("INSERT INTO t VALUES (?1)", ["x".repeat(2000)])
                .expect("insert");
        }
        let wal = dir.join("test.db-wal");
        (path, wal, db)
    }

    #[test]
    fn the_writer_keeps_its_savepoint_journal_and_its_pages_in_memory() {
        let (path, _wal, writer) = database_with_a_full_wal();
        let temp_store: i64 = writer
            .pragma_query_value(None, "temp_store", |row| row.get(0))
            .expect("pragma");
        assert_eq!(temp_store, 2, "MEMORY: no temporary file per batch");
        let cache: i64 = writer
            .pragma_query_value(None, "cache_size", |row| row.get(0))
            .expect("pragma");
        assert_eq!(cache, WRITER_CACHE_KIB, "an attempt's pages stay cached");
        let _ = std::fs::remove_dir_all(path.parent().expect("dir"));
    }

    #[test]
    fn a_wal_past_the_limit_is_emptied_and_a_smaller_one_only_copied() {
        let (path, wal, _writer) = database_with_a_full_wal();
        let checkpointer = open(&path).expect("open");
        let size = || std::fs::metadata(&wal).expect("wal").len();
        let full = size();
        assert!(full > 100_000, "{full}");

        assert_eq!(checkpoint_once(&checkpointer, &wal, full), Ok("PASSIVE"));
        assert_eq!(size(), full, "a passive copy leaves the file");

        assert_eq!(
            checkpoint_once(&checkpointer, &wal, full - 1),
            Ok("TRUNCATE")
        );
        assert_eq!(size(), 0);
        let rows: i64 = checkpointer
            .query_row("SELECT COUNT(*) FROM t", [], |row| row.get(0))
            .expect("count");
        assert_eq!(rows, 200, "nothing is lost");
        let _ = std::fs::remove_dir_all(path.parent().expect("dir"));
    }
}
