//! Group commit for attendance writes on PostgreSQL.
//!
//! Each attempt used to cost ten round trips on a connection of its own (BEGIN, the
//! physician's lock, three lookups, three or four writes, COMMIT), and a disk flush per
//! commit. Here one task per process owns a connection of its own and writes the
//! attempts waiting at that moment (up to [`MAX_BATCH`]) in one transaction, each
//! inside a savepoint, in **two round trips an attempt**:
//!
//! 1. `SAVEPOINT attempt; UPDATE users … WHERE id = '<physician>'`: the physician's
//!    row lock, as on SQLite and as before: two attempts of one physician, from this
//!    process or any other sharing the database, never interleave. Sent as one simple
//!    query together with what the previous attempt left to do (releasing its
//!    savepoint, or rolling back to it), and with `BEGIN` for the batch's first.
//! 2. [`OneStatement`]: the attempt's lookups (stored answer, open visit, code use) and
//!    its writes in one statement of data-modifying CTEs, each write guarded by the
//!    same rule [`AttemptPlan::judge`] applies, so nothing is written unless the
//!    lookups allow it. It starts after the lock is granted, so in READ COMMITTED its
//!    snapshot sees whatever the lock's previous holder committed; the attempts before
//!    it in the batch are earlier statements of the same transaction, seen as well.
//!
//! Then one `COMMIT` for the batch: every attempt's answer is sent only after it
//! returned, so a 201 still means the write is durable (`synchronous_commit` as the
//! operator set it). An attempt that is a duplicate, meets changed facts or fails is
//! rolled back to its savepoint alone, leaving nothing (not even its lock's
//! `attendance_seq` bump); the others still commit. A failed `COMMIT` fails every
//! attempt of the batch, none answered before; the connection is then dropped and a
//! new one opened for the next batch.
//!
//! Attempts of a batch are written in the order of their physician's id (attempts
//! of one physician keep their order), so two processes' writers take row locks in
//! one order and cannot deadlock each other.

use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{Connection, Row};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use super::attempt::{AttemptPlan, Found, WriteOutcome};
use super::statement::{Param, Step, bind_params};
use super::{StoreError, StoreResult};

/// The most attempts written in one transaction: each savepoint that writes gets a
/// subtransaction id, and past 64 of them in one transaction PostgreSQL's snapshots
/// of every other session slow down (the subtransaction cache overflows).
pub const MAX_BATCH: usize = 48;
/// Attempts waiting for the writer before callers wait to queue.
const QUEUE: usize = 4096;
/// How long the writer waits before trying a lost connection again.
const RECONNECT_PAUSE: Duration = Duration::from_millis(100);

/// One attempt's lookups and writes as a single statement, and what its answer row
/// means (see the module's doc).
#[derive(Debug, Clone, PartialEq)]
pub struct OneStatement {
    /// The physician whose row the attempt locks first.
    pub physician: Uuid,
    pub sql: String,
    pub params: Vec<Param>,
    /// For each write, whether it must change exactly one row.
    pub changes_one_row: Vec<bool>,
    plan: AttemptPlan,
}

/// Renumbers `$n` to `$(n + offset)`.
fn shift(sql: &str, offset: usize) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut chars = sql.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        out.push(c);
        if c != '$' {
            continue;
        }
        let mut number = String::new();
        while let Some((_, d)) = chars.peek().filter(|(_, d)| d.is_ascii_digit()) {
            number.push(*d);
            chars.next();
        }
        match number.parse::<usize>() {
            Ok(n) => out.push_str(&(n + offset).to_string()),
            Err(_) => out.push_str(&number),
        }
    }
    out
}

/// A write of the plan as a CTE that writes only when `ok.go` holds and answers a
/// row per row written. `None` for a statement of a shape this does not know.
fn guarded(sql: &str) -> Option<String> {
    if let Some(rest) = sql.strip_prefix("INSERT INTO ") {
        // `INSERT INTO t (cols) VALUES ($1, ...)[ ON CONFLICT ...]`
        let (head, values) = rest.split_once(" VALUES (")?;
        let (values, tail) = values.split_once(')')?;
        if values.contains('(') {
            return None;
        }
        return Some(format!(
            "INSERT INTO {head} SELECT {values} WHERE (SELECT go FROM ok){tail} RETURNING 1"
        ));
    }
    if sql.starts_with("UPDATE ") {
        let (head, condition) = sql.split_once(" WHERE ")?;
        return Some(format!(
            "{head} WHERE ({condition}) AND (SELECT go FROM ok) RETURNING 1"
        ));
    }
    None
}

impl OneStatement {
    /// The plan's lookups and writes as one statement; `None` when a write has a shape
    /// it cannot guard (the caller then runs the plan statement by statement).
    pub fn of(plan: &AttemptPlan) -> Option<OneStatement> {
        let physician = match plan.lock.params.first() {
            Some(Param::Text(Some(id))) => Uuid::parse_str(id).ok()?,
            _ => return None,
        };
        let mut params: Vec<Param> = Vec::new();
        let add = |step: &Step, params: &mut Vec<Param>| {
            let sql = shift(step.sql, params.len());
            params.extend(step.params.iter().cloned());
            sql
        };
        let existing = add(&plan.existing, &mut params);
        let open = add(&plan.open, &mut params);
        let used = match &plan.used {
            Some(step) => format!("({})", add(step, &mut params)),
            None => "0::int8".to_owned(),
        };
        params.push(Param::Text(
            plan.expected_open_visit().map(|id| id.to_string()),
        ));
        let expected = params.len();
        let mut sql = format!(
            "WITH found AS (SELECT e.response_status, e.response_body, ({open}) AS open_visit, \
             {used} AS code_uses FROM (SELECT 1) AS one LEFT JOIN ({existing}) AS e ON true), \
             ok AS (SELECT response_status IS NULL AND open_visit IS NOT DISTINCT FROM ${expected} \
             AND code_uses = 0 AS go FROM found)"
        );
        let mut changes_one_row = Vec::with_capacity(plan.writes.len());
        for (index, step) in plan.writes.iter().enumerate() {
            let write = guarded(&add(step, &mut params))?;
            sql.push_str(&format!(", w{index} AS ({write})"));
            changes_one_row.push(step.changes_one_row);
        }
        sql.push_str(
            " SELECT found.response_status, found.response_body, found.open_visit, \
             found.code_uses, (SELECT go FROM ok) AS go",
        );
        for index in 0..plan.writes.len() {
            sql.push_str(&format!(", (SELECT COUNT(*) FROM w{index}) AS n{index}"));
        }
        sql.push_str(" FROM found");
        Some(OneStatement {
            physician,
            sql,
            params,
            changes_one_row,
            plan: plan.clone(),
        })
    }

    /// The attempt's outcome from the statement's answer row: the plan's own rule on
    /// what the lookups found, and `StateChanged` when the guard and the rule disagree
    /// or a write that must change one row did not (the caller rolls back).
    fn outcome(&self, found: Found, go: bool, counts: &[i64]) -> StoreResult<WriteOutcome> {
        if let Some(outcome) = self.plan.judge(found)? {
            return Ok(outcome);
        }
        let all_changed = self
            .changes_one_row
            .iter()
            .zip(counts)
            .all(|(one, count)| !one || *count == 1);
        Ok(if go && all_changed {
            WriteOutcome::Written
        } else {
            WriteOutcome::StateChanged
        })
    }
}

struct Job {
    attempt: OneStatement,
    reply: oneshot::Sender<StoreResult<WriteOutcome>>,
}

/// The handle callers queue attempts on; the writer task stops when every handle is gone.
#[derive(Debug, Clone)]
pub struct PgGroupCommit {
    jobs: mpsc::Sender<Job>,
}

impl PgGroupCommit {
    /// Starts the writer task; it connects with `options` on its first batch.
    pub fn start(options: PgConnectOptions) -> PgGroupCommit {
        let (jobs, queue) = mpsc::channel(QUEUE);
        tokio::spawn(run(options, queue));
        PgGroupCommit { jobs }
    }

    /// Queues one attempt and answers its outcome once its batch is committed.
    pub async fn submit(&self, attempt: OneStatement) -> StoreResult<WriteOutcome> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job { attempt, reply })
            .await
            .map_err(|_| StoreError::WriterGone)?;
        answer.await.map_err(|_| StoreError::WriterGone)?
    }
}

async fn run(options: PgConnectOptions, mut queue: mpsc::Receiver<Job>) {
    let mut connection: Option<PgConnection> = None;
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = queue.recv().await {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let db = match &mut connection {
            Some(db) => db,
            None => match PgConnection::connect_with(&options).await {
                Ok(db) => connection.insert(db),
                Err(error) => {
                    tracing::warn!(%error, "attendance writer: cannot connect");
                    let error = error.to_string();
                    for job in batch.drain(..) {
                        let _ = job.reply.send(Err(StoreError::BatchFailed(error.clone())));
                    }
                    tokio::time::sleep(RECONNECT_PAUSE).await;
                    continue;
                }
            },
        };
        // One order of row locks across processes; attempts of one physician keep theirs.
        batch.sort_by_key(|job: &Job| job.attempt.physician);
        let size = batch.len();
        let started = std::time::Instant::now();
        if write_batch(db, &mut batch).await.is_err() {
            // The transaction's state is unknown: start the next batch afresh.
            if let Some(db) = connection.take() {
                let _ = db.close().await;
            }
        }
        tracing::trace!(
            size,
            elapsed_us = started.elapsed().as_micros(),
            "postgres group commit"
        );
    }
}

/// What the next simple query must do before its own statements.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pending {
    /// Nothing yet: the batch's transaction is to begin.
    Begin,
    /// The previous attempt was written: release its savepoint.
    Release,
    /// The previous attempt is to be undone: roll back to its savepoint.
    Undo,
}

impl Pending {
    fn prefix(self) -> &'static str {
        match self {
            Pending::Begin => "BEGIN; ",
            Pending::Release => "RELEASE SAVEPOINT attempt; ",
            Pending::Undo => "ROLLBACK TO SAVEPOINT attempt; RELEASE SAVEPOINT attempt; ",
        }
    }
}

/// Writes and commits one batch, then answers every job in it (draining `batch`). An
/// error means the connection may be in any state and must not be used again.
async fn write_batch(db: &mut PgConnection, batch: &mut Vec<Job>) -> Result<(), ()> {
    let mut outcomes: Vec<StoreResult<WriteOutcome>> = Vec::with_capacity(batch.len());
    let mut pending = Pending::Begin;
    let mut broken = None;
    for job in batch.iter() {
        let outcome = write_attempt(db, pending, &job.attempt).await;
        match &outcome {
            Ok(WriteOutcome::Written) => pending = Pending::Release,
            Ok(_) => pending = Pending::Undo,
            // Begun but failed: its savepoint undoes it. Not begun (the lock's query
            // failed before the savepoint existed): the transaction is gone.
            Err(AttemptError::Statement(_)) => pending = Pending::Undo,
            // The lock's query failed (a lock timeout, a deadlock): undo it now if its
            // savepoint was taken; otherwise the transaction is gone with the batch.
            Err(AttemptError::Lock(error)) => {
                let undone = sqlx::raw_sql("ROLLBACK TO SAVEPOINT attempt")
                    .execute(&mut *db)
                    .await;
                if undone.is_err() {
                    broken = Some(error.to_string());
                    break;
                }
                pending = Pending::Release;
            }
        }
        outcomes.push(outcome.map_err(AttemptError::into_store));
    }
    let committed = match broken {
        Some(error) => Err(error),
        None => {
            let end = match pending {
                Pending::Undo => "ROLLBACK TO SAVEPOINT attempt; COMMIT",
                _ => "COMMIT",
            };
            sqlx::raw_sql(sqlx::AssertSqlSafe(end))
                .execute(&mut *db)
                .await
                .map(|_| ())
                .map_err(|error| error.to_string())
        }
    };
    let mut outcomes = outcomes.into_iter();
    for job in batch.drain(..) {
        let outcome = match (&committed, outcomes.next()) {
            // Nothing of the batch is stored: no attempt of it counts.
            (Err(error), _) => Err(StoreError::BatchFailed(error.clone())),
            (Ok(()), Some(outcome)) => outcome,
            (Ok(()), None) => Err(StoreError::BatchFailed("attempt not written".into())),
        };
        // A caller that gave up (time budget) finds its answer stored on retry.
        let _ = job.reply.send(outcome);
    }
    match committed {
        Ok(()) => Ok(()),
        Err(error) => {
            tracing::warn!(%error, "attendance writer: batch failed");
            let _ = sqlx::raw_sql("ROLLBACK").execute(&mut *db).await;
            Err(())
        }
    }
}

enum AttemptError {
    /// The savepoint or the lock could not be taken: the transaction may be gone.
    Lock(sqlx::Error),
    /// The attempt's statement failed inside its savepoint.
    Statement(StoreError),
}

impl AttemptError {
    fn into_store(self) -> StoreError {
        match self {
            AttemptError::Lock(error) => StoreError::Database(error),
            AttemptError::Statement(error) => error,
        }
    }
}

/// One attempt: its savepoint and lock (with what the previous one left to do), then
/// its statement.
async fn write_attempt(
    db: &mut PgConnection,
    pending: Pending,
    attempt: &OneStatement,
) -> Result<WriteOutcome, AttemptError> {
    // A `Uuid` prints as hexadecimal digits and hyphens only: safe to inline.
    let lock = format!(
        "{}SAVEPOINT attempt; UPDATE users SET attendance_seq = attendance_seq + 1 \
         WHERE id = '{}'",
        pending.prefix(),
        attempt.physician
    );
    sqlx::raw_sql(sqlx::AssertSqlSafe(lock))
        .execute(&mut *db)
        .await
        .map_err(AttemptError::Lock)?;
    let query = bind_params!(
        sqlx::query(sqlx::AssertSqlSafe(attempt.sql.clone())),
        &attempt.params
    );
    let row = query
        .fetch_one(&mut *db)
        .await
        .map_err(|e| AttemptError::Statement(e.into()))?;
    let read = || -> Result<(Found, bool, Vec<i64>), sqlx::Error> {
        let status: Option<i64> = row.try_get(0)?;
        let body: Option<String> = row.try_get(1)?;
        let found = Found {
            stored: status.zip(body),
            open_visit: row.try_get(2)?,
            code_uses: row.try_get(3)?,
        };
        let go: bool = row.try_get(4)?;
        let counts = (0..attempt.changes_one_row.len())
            .map(|index| row.try_get::<i64, _>(5 + index))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((found, go, counts))
    };
    let (found, go, counts) = read().map_err(|e| AttemptError::Statement(e.into()))?;
    attempt
        .outcome(found, go, &counts)
        .map_err(AttemptError::Statement)
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::store::attempt::{AttendanceWrite, CodeUse, NewEvent, StoredResponse, VisitChange};

    fn write(visit: VisitChange, expected: Option<Uuid>) -> AttendanceWrite {
        let at = Utc.with_ymd_and_hms(2026, 3, 2, 1, 0, 0).unwrap();
        AttendanceWrite {
            event: NewEvent {
                id: Uuid::new_v4(),
                client_event_id: Uuid::new_v4(),
                physician_id: Uuid::new_v4(),
                action: "check_in",
                site_id: Some(Uuid::new_v4()),
                assignment_id: None,
                visit_id: None,
                code_kind: Some("rotating"),
                code_step: Some(7),
                device_id: "phone".into(),
                lat: 26.0,
                lon: 119.0,
                reported_lat: 26.0,
                reported_lon: 119.0,
                crs: "wgs84",
                accuracy_m: 10.0,
                is_mock: false,
                fix_time: None,
                scanned_at: at,
                received_at: at,
                verdict: "accepted",
                refusal_code: None,
                reasons: vec![],
                distance_to_fence_m: None,
                geofence_version: None,
                response: StoredResponse {
                    status: 201,
                    body: "{}".into(),
                },
                client_ip: None,
                network: None,
                ip_place: None,
                offline: false,
            },
            code_use: Some(CodeUse {
                site_id: Uuid::new_v4(),
                kind: "rotating",
                step: 7,
                slot: "in",
            }),
            visit,
            findings: vec![],
            bind_device: true,
            expected_open_visit: expected,
            answers_presence_checks: vec![Uuid::new_v4()],
            facts_clock: None,
        }
    }

    #[test]
    fn parameters_are_renumbered_past_the_ones_before() {
        assert_eq!(
            shift("a = $1 AND b = $12 AND c = '$'", 3),
            "a = $4 AND b = $15 AND c = '$'"
        );
    }

    #[test]
    fn every_write_of_a_plan_becomes_a_guarded_cte_with_every_value_bound_once() {
        let visit = Uuid::new_v4();
        for (change, expected) in [
            (
                VisitChange::Open {
                    visit_id: visit,
                    site_id: Uuid::new_v4(),
                    assignment_id: Uuid::new_v4(),
                    local_date: chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
                },
                None,
            ),
            (VisitChange::Close { visit_id: visit }, Some(visit)),
        ] {
            let plan = AttemptPlan::new(&write(change, expected)).expect("plan");
            let one = OneStatement::of(&plan).expect("every write has a known shape");
            let bound: usize = [&plan.existing, &plan.open]
                .into_iter()
                .chain(plan.used.as_ref())
                .chain(&plan.writes)
                .map(|step| step.params.len())
                .sum::<usize>()
                + 1;
            assert_eq!(one.params.len(), bound);
            assert!(one.sql.contains(&format!("${bound}")), "{}", one.sql);
            assert!(!one.sql.contains(&format!("${}", bound + 1)), "{}", one.sql);
            assert_eq!(one.changes_one_row.len(), plan.writes.len());
            assert_eq!(
                one.sql.matches("(SELECT go FROM ok)").count(),
                plan.writes.len() + 1,
                "each write is guarded: {}",
                one.sql
            );
            assert!(
                one.sql
                    .contains("INSERT INTO devices (physician_id, device_id, bound_at) SELECT $")
            );
            assert!(
                one.sql
                    .contains("ON CONFLICT (physician_id) DO NOTHING RETURNING 1")
            );
        }
    }

    #[test]
    fn the_answer_row_is_judged_by_the_plans_own_rule() {
        let visit = Uuid::new_v4();
        let plan = AttemptPlan::new(&write(VisitChange::Close { visit_id: visit }, Some(visit)))
            .expect("plan");
        let one = OneStatement::of(&plan).expect("statement");
        let clean = Found {
            stored: None,
            open_visit: Some(visit.to_string()),
            code_uses: 0,
        };
        let ones = vec![1; one.changes_one_row.len()];
        assert_eq!(
            one.outcome(clean.clone(), true, &ones).ok(),
            Some(WriteOutcome::Written)
        );
        let stored = Found {
            stored: Some((201, "{\"a\":1}".into())),
            ..clean.clone()
        };
        assert_eq!(
            one.outcome(stored, false, &vec![0; ones.len()]).ok(),
            Some(WriteOutcome::Duplicate(StoredResponse {
                status: 201,
                body: "{\"a\":1}".into()
            }))
        );
        let used = Found {
            code_uses: 1,
            ..clean.clone()
        };
        assert_eq!(
            one.outcome(used, false, &ones).ok(),
            Some(WriteOutcome::StateChanged)
        );
        // The presence check expired meanwhile: its update changed no row.
        let mut expired = ones.clone();
        let answer = one
            .changes_one_row
            .iter()
            .position(|one| *one)
            .expect("a write that must change one row");
        expired[answer] = 0;
        assert_eq!(
            one.outcome(clean.clone(), true, &expired).ok(),
            Some(WriteOutcome::StateChanged)
        );
        // The guard disagreeing with the rule never counts as written.
        assert_eq!(
            one.outcome(clean, false, &ones).ok(),
            Some(WriteOutcome::StateChanged)
        );
    }
}
