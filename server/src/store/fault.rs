//! Storage faults: the database's disk is full or failing.
//!
//! Such an error is not a bug of the request that met it and says nothing about its
//! data: the same write succeeds once space returns. It is told apart from other
//! database errors here, once for both drivers (`sqlx` for the pool, `rusqlite` for the
//! attendance writer and the quick readers), so that every write path answers it the
//! same way (503 `storage_unavailable`) and readiness can report it.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use sqlx::error::DatabaseError as _;

/// SQLite's primary result codes for a full disk and a failed read or write.
/// (The extended codes carry the primary one in their low byte.)
const SQLITE_IOERR: i32 = 10;
const SQLITE_FULL: i32 = 13;

/// PostgreSQL's SQLSTATEs for a full disk and a failed read or write.
const PG_DISK_FULL: &str = "53100";
const PG_IO_ERROR: &str = "58030";

/// Whether an SQLite (extended) result code means the disk is full or failing.
pub fn is_sqlite_storage_code(code: i32) -> bool {
    matches!(code & 0xff, SQLITE_FULL | SQLITE_IOERR)
}

/// Whether `error`, from the pool of either database, means the disk is full or failing.
pub fn is_storage_fault(error: &sqlx::Error) -> bool {
    let sqlx::Error::Database(db) = error else {
        return false;
    };
    if let Some(sqlite) = db.try_downcast_ref::<sqlx::sqlite::SqliteError>() {
        return sqlite
            .code()
            .and_then(|code| code.parse::<i32>().ok())
            .is_some_and(is_sqlite_storage_code);
    }
    db.code()
        .is_some_and(|state| state == PG_DISK_FULL || state == PG_IO_ERROR)
}

/// Whether `error`, from a `rusqlite` connection, means the disk is full or failing.
pub fn is_rusqlite_storage_fault(error: &rusqlite::Error) -> bool {
    matches!(
        error,
        rusqlite::Error::SqliteFailure(failure, _) if is_sqlite_storage_code(failure.extended_code)
    )
}

/// How long a storage fault is taken as the state of the storage when nothing has
/// been written since: past it, readiness probes with a write again.
const FAULT_MEMORY: Duration = Duration::from_secs(2);

/// The storage's health as the last writes met it: the last fault, until a write succeeds.
#[derive(Debug, Default)]
pub struct StorageHealth {
    fault: Mutex<Option<Fault>>,
}

#[derive(Debug, Clone)]
struct Fault {
    reason: String,
    at: Instant,
}

/// What readiness should do about the storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// No fault since the last successful write.
    Healthy,
    /// A fault a moment ago: not ready, without asking the disk again.
    Failing(String),
    /// A fault some time ago and no write since: a probe write decides.
    Probe,
}

impl StorageHealth {
    /// A write failed for want of storage.
    pub fn failed(&self, reason: &str, at: Instant) {
        if let Ok(mut fault) = self.fault.lock() {
            *fault = Some(Fault {
                reason: reason.to_owned(),
                at,
            });
        }
    }

    /// A write was stored: the storage works again.
    pub fn recovered(&self) {
        if let Ok(mut fault) = self.fault.lock() {
            *fault = None;
        }
    }

    /// Whether a fault is known now (writes since it would have cleared it).
    pub fn is_failing(&self) -> bool {
        self.fault.lock().is_ok_and(|fault| fault.is_some())
    }

    pub fn verdict(&self, now: Instant) -> Verdict {
        let fault = self.fault.lock().ok().and_then(|fault| fault.clone());
        match fault {
            None => Verdict::Healthy,
            Some(fault) if now.saturating_duration_since(fault.at) < FAULT_MEMORY => {
                Verdict::Failing(fault.reason)
            }
            Some(_) => Verdict::Probe,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_disk_and_io_errors_are_storage_faults_and_others_are_not() {
        assert!(is_sqlite_storage_code(13), "SQLITE_FULL");
        assert!(is_sqlite_storage_code(10), "SQLITE_IOERR");
        assert!(is_sqlite_storage_code(10 | (4 << 8)), "SQLITE_IOERR_FSYNC");
        assert!(!is_sqlite_storage_code(5), "SQLITE_BUSY");
        assert!(!is_sqlite_storage_code(2067), "SQLITE_CONSTRAINT_UNIQUE");
        assert!(!is_storage_fault(&sqlx::Error::RowNotFound));
    }

    #[test]
    fn a_rusqlite_full_disk_is_a_storage_fault() {
        let full = rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(13), None);
        assert!(is_rusqlite_storage_fault(&full));
        let busy = rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(5), None);
        assert!(!is_rusqlite_storage_fault(&busy));
    }

    #[test]
    fn a_fault_is_reported_then_probed_and_cleared_by_a_write() {
        let health = StorageHealth::default();
        let start = Instant::now();
        assert_eq!(health.verdict(start), Verdict::Healthy);

        health.failed("database or disk is full", start);
        assert_eq!(
            health.verdict(start + Duration::from_millis(500)),
            Verdict::Failing("database or disk is full".into())
        );
        assert_eq!(health.verdict(start + FAULT_MEMORY), Verdict::Probe);

        health.recovered();
        assert_eq!(health.verdict(start + FAULT_MEMORY), Verdict::Healthy);
    }
}
