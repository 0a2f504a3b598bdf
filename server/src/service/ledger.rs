//! Keeping the per-day credit ledger (issue 25 point 2): credit per assignment and
//! local day, durable, so a report over a quarter, a year or a whole posting reads
//! one row per day instead of the period's visits, anomalies and activities.
//!
//! **It never disagrees with the events.** The ledger (`credit_ledger`) is derived
//! data; what keeps it honest is a mark table (`credit_ledger_stale`) written by
//! database triggers (migration `202612100301_credit_ledger`, both databases) in the
//! same transaction as every change that can alter a day's credit: a visit written,
//! closed or moved (its local day and the next, as a visit is split at midnight), an
//! anomaly raised or reviewed and an activity recorded or amended (their visit's
//! days), and, for every day of the assignment, a change of its terms (the window a
//! granted check-out ends at), of its site's time zone or of its programme's
//! thresholds. No code path can forget to mark: the marking is not in the code.
//!
//! - A ledger row counts only while no mark covers it. The compliance report reads
//!   the marks of its scope first, then the rows of its range, and credits the raw
//!   events of the assignments with a mark in the range the same way the ledger
//!   would ([`crate::service::reports::compliance_report_from`]).
//! - [`refresh`] (every scheduler tick) takes the marks of a batch of assignments
//!   (deleting them), reads their events, recomputes the marked days (all days for a
//!   whole-assignment mark) and writes them, in one transaction: a change committed
//!   after the marks were taken leaves a mark of its own for the next refresh.
//! - Beside the day rows over every visit, their month sums (`credit_ledger_months`,
//!   migration `202612110101_credit_ledger_months`: each day's half-days in two bits
//!   and the month's qualifying visits) are redone by the same transaction for the
//!   months of the marked days. A report reads a month it sums whole (a posting, a
//!   quarter, a year) as one row ([`crate::domain::credit_ledger::months_to_sum`]);
//!   the marks cover them as they cover the days.
//! - The figures are those of [`crate::domain::crediting::credit_by_day`] over the
//!   visits the reports count (`service::reports::ledger_of_source`): the same code
//!   computes a stale assignment in the report and its rows in the refresh.
//!
//! A test recomputes every assignment's ledger from the raw events of a random
//! synthetic province after reviews and activity amendments and finds no difference
//! (`synthetic::tests::the_ledger_agrees_with_the_events_of_a_province`).

use crate::error::ApiResult;
use crate::state::AppState;

/// Assignments refreshed per transaction: short enough not to hold SQLite's write
/// lock long (check-ins wait on it), long enough to make a load's backlog go fast.
pub const BATCH: usize = 64;
/// Batches one scheduler tick refreshes at most, so a tick after a bulk load stays
/// short; the rest waits for the next tick (the reports stay right meanwhile).
const BATCHES_PER_TICK: usize = 32;

/// Refreshes the marked days of up to `BATCHES_PER_TICK` batches of assignments;
/// answers how many assignments were refreshed.
pub async fn refresh(state: &AppState) -> ApiResult<usize> {
    let mut refreshed = 0;
    for _ in 0..BATCHES_PER_TICK {
        let n = refresh_batch(state).await?;
        refreshed += n;
        if n < BATCH {
            break;
        }
    }
    Ok(refreshed)
}

/// Refreshes until no mark is left (tests, and after a bulk load).
pub async fn refresh_all(state: &AppState) -> ApiResult<usize> {
    let mut refreshed = 0;
    loop {
        let n = refresh_batch(state).await?;
        refreshed += n;
        if n == 0 {
            return Ok(refreshed);
        }
    }
}

async fn refresh_batch(state: &AppState) -> ApiResult<usize> {
    Ok(state
        .store
        .refresh_ledger(BATCH, crate::service::reports::ledger_of_source)
        .await?)
}
