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
//! The thread has its own connection to the database file through `rusqlite`, with
//! the statements of [`super::attendance::sql`] prepared once: each statement is a
//! plain function call on this thread, where sqlx would hand it to a connection's
//! worker thread and wait for the answer (two thread wake-ups per statement, which
//! made the writer, not the disk, the limit).

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::types::ToSql;
use rusqlite::{CachedStatement, Connection, DropBehavior, TransactionBehavior};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use super::attendance::{
    AttendanceWrite, INSERT_ANOMALY, StoredResponse, VisitChange, WriteOutcome, sql,
};
use super::{StoreError, StoreResult, to_ms};

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
    write: AttendanceWrite,
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
            .spawn(move || {
                run(db, queue);
                drop(writer_alive);
            })
            .map_err(spawn_error)?;
        std::thread::Builder::new()
            .name("wal-checkpoint".into())
            .spawn(move || checkpoint(checkpointer, wal, writer_gone))
            .map_err(spawn_error)?;
        Ok(GroupCommit { jobs })
    }

    /// Queues one attempt and answers its outcome once its batch is committed.
    pub async fn submit(&self, write: AttendanceWrite) -> StoreResult<WriteOutcome> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job { write, reply })
            .await
            .map_err(|_| StoreError::WriterGone)?;
        answer.await.map_err(|_| StoreError::WriterGone)?
    }
}

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
    db.set_prepared_statement_cache_capacity(32);
    Ok(db)
}

fn retry_busy(tries: i32) -> bool {
    std::thread::sleep(BUSY_PAUSE);
    tries < BUSY_TRIES
}

fn run(mut db: Connection, mut queue: mpsc::Receiver<Job>) {
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
            let outcome = write_attempt(&savepoint, &job.write);
            savepoint.set_drop_behavior(match outcome {
                Ok(WriteOutcome::Written) => DropBehavior::Commit,
                _ => DropBehavior::Rollback,
            });
            savepoint.finish()?;
            outcomes.push(outcome);
        }
        tx.commit()
    })();
    let failure = committed.err().map(|error| error.to_string());
    let mut outcomes = outcomes.into_iter();
    for job in batch.drain(..) {
        let outcome = match (&failure, outcomes.next()) {
            // Nothing of the batch is on disk: no attempt of it counts.
            (Some(error), _) => Err(StoreError::BatchFailed(error.clone())),
            (None, Some(outcome)) => outcome,
            (None, None) => Err(StoreError::BatchFailed("attempt not written".into())),
        };
        // A caller that gave up (time budget) finds its answer stored on retry.
        let _ = job.reply.send(outcome);
    }
}

/// A statement of [`sql`] with its `$1`, `$2`, ... bound to `values` in order (by
/// name: a number may appear more than once, and not in order).
fn bound<'c>(
    db: &'c Connection,
    text: &str,
    values: &[&dyn ToSql],
) -> rusqlite::Result<CachedStatement<'c>> {
    let mut statement = db.prepare_cached(text)?;
    for (i, value) in values.iter().enumerate() {
        if let Some(index) = statement.parameter_index(&format!("${}", i + 1))? {
            statement.raw_bind_parameter(index, value)?;
        }
    }
    Ok(statement)
}

fn execute(db: &Connection, text: &str, values: &[&dyn ToSql]) -> rusqlite::Result<usize> {
    bound(db, text, values)?.raw_execute()
}

fn ms(at: DateTime<Utc>) -> i64 {
    to_ms(at)
}

/// One attempt, as [`super::attendance`]'s `write_attempt!` writes it on PostgreSQL:
/// the same statements in the same order, so both databases store the same rows.
fn write_attempt(db: &Connection, write: &AttendanceWrite) -> StoreResult<WriteOutcome> {
    let e = &write.event;
    let physician = e.physician_id.to_string();
    let event_id = e.id.to_string();
    let reasons =
        serde_json::to_string(&e.reasons).map_err(|x| StoreError::Corrupt(x.to_string()))?;
    execute(db, sql::LOCK, &[&physician])?;
    let client_event_id = e.client_event_id.to_string();
    let existing: Option<(i64, String)> =
        bound(db, sql::EXISTING, &[&physician, &client_event_id])?
            .raw_query()
            .next()?
            .map(|row| Ok::<_, rusqlite::Error>((row.get(0)?, row.get(1)?)))
            .transpose()?;
    if let Some((status, body)) = existing {
        return Ok(WriteOutcome::Duplicate(StoredResponse {
            status: u16::try_from(status).unwrap_or(500),
            body,
        }));
    }
    let open: Option<String> = bound(db, sql::OPEN, &[&physician])?
        .raw_query()
        .next()?
        .map(|row| row.get(0))
        .transpose()?;
    let open = open.as_deref().map(super::parse_uuid).transpose()?;
    let mut changed = open != write.expected_open_visit;
    let code_use = write
        .code_use
        .as_ref()
        .map(|code| (code.site_id.to_string(), code.kind, code.step, code.slot));
    if let Some((site, kind, step, slot)) = &code_use {
        let used: i64 = bound(db, sql::USED, &[site, kind, step, &physician, slot])?
            .raw_query()
            .next()?
            .map(|row| row.get(0))
            .transpose()?
            .unwrap_or(0);
        changed |= used > 0;
    }
    if changed {
        return Ok(WriteOutcome::StateChanged);
    }
    let uuid = |id: Option<Uuid>| id.map(|u| u.to_string());
    execute(
        db,
        sql::INSERT_EVENT,
        &[
            &event_id,
            &client_event_id,
            &physician,
            &e.action,
            &uuid(e.site_id),
            &uuid(e.assignment_id),
            &uuid(e.visit_id),
            &e.code_kind,
            &e.code_step,
            &e.device_id,
            &e.lat,
            &e.lon,
            &e.reported_lat,
            &e.reported_lon,
            &e.crs,
            &e.accuracy_m,
            &e.is_mock,
            &e.fix_time.map(ms),
            &ms(e.scanned_at),
            &ms(e.received_at),
            &e.verdict,
            &e.refusal_code,
            &reasons,
            &e.distance_to_fence_m,
            &e.geofence_version,
            &i64::from(e.response.status),
            &e.response.body,
        ],
    )?;
    if let Some((site, kind, step, slot)) = &code_use {
        execute(
            db,
            sql::INSERT_USE,
            &[site, kind, step, &physician, slot, &event_id],
        )?;
    }
    for check in &write.answers_presence_checks {
        let answered = execute(
            db,
            sql::ANSWER,
            &[&check.to_string(), &event_id, &ms(e.received_at)],
        )?;
        if answered != 1 {
            return Ok(WriteOutcome::StateChanged);
        }
    }
    let visit_id = match &write.visit {
        // A scan that changes no visit (presence) is about the visit it names.
        VisitChange::None => e.visit_id,
        VisitChange::Open {
            visit_id,
            site_id,
            assignment_id,
            local_date,
        } => {
            execute(
                db,
                sql::OPEN_VISIT,
                &[
                    &visit_id.to_string(),
                    &physician,
                    &site_id.to_string(),
                    &assignment_id.to_string(),
                    &local_date.to_string(),
                    &event_id,
                    &ms(e.scanned_at),
                ],
            )?;
            Some(*visit_id)
        }
        VisitChange::Close { visit_id } => {
            let closed = execute(
                db,
                sql::CLOSE_VISIT,
                &[
                    &visit_id.to_string(),
                    &event_id,
                    &ms(e.scanned_at),
                    &ms(e.received_at),
                ],
            )?;
            if closed != 1 {
                return Ok(WriteOutcome::StateChanged);
            }
            Some(*visit_id)
        }
    };
    for finding in &write.findings {
        let event_ids =
            serde_json::to_string(&[&event_id]).map_err(|x| StoreError::Corrupt(x.to_string()))?;
        execute(
            db,
            INSERT_ANOMALY,
            &[
                &Uuid::new_v4().to_string(),
                &finding.kind.as_str(),
                &finding.kind.severity().as_str(),
                &physician,
                &uuid(e.site_id),
                &uuid(visit_id),
                &event_ids,
                &ms(e.received_at),
                &finding.detail.to_string(),
            ],
        )?;
    }
    if write.bind_device {
        execute(
            db,
            sql::BIND,
            &[&physician, &e.device_id, &ms(e.received_at)],
        )?;
    }
    Ok(WriteOutcome::Written)
}

#[cfg(test)]
mod tests {
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
