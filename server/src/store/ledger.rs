//! The per-day credit ledger's SQL (`credit_ledger`, `credit_ledger_stale`; the
//! migration `202612100301_credit_ledger` and `service::ledger` say why): the marks
//! of what may disagree with the events, the ledger rows of a report's scope, the raw
//! events of a few assignments, and the refresh that recomputes marked days in one
//! transaction with removing their marks.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{Datelike, Months, NaiveDate};
use chrono_tz::Tz;
use uuid::Uuid;

use super::assignments::KeyedTermsRow;
use super::assignments::TERMS_COLUMNS;
use super::attendance::{VisitAnomaly, VisitRecord, VisitRow};
use super::audit::BeginWrite;
use super::inserts::{Insert, Placeholders};
use super::reports::{
    AssignmentRow, ReportFilter, VisitActivity, bind_scope, scoped_assignments, subtree,
};
use super::statement::numbered_marks;
use super::{Store, StoreError, StoreResult, decode_enum, on_pool, parse_uuid};
use crate::domain::assignment::Assignment;
use crate::domain::assignment_terms::TermsVersion;
use crate::domain::credit_ledger::{DayLedger, LedgerEntry, MonthSums};
use crate::domain::crediting::{DayCredit, DayCreditSummary, Thresholds};
use crate::domain::organization::parse_timezone;
use crate::domain::requirements::ActivityKind;

/// The most assignments one statement names (their ids are bound one by one).
const IDS_PER_STATEMENT: usize = 400;
/// The most (assignment, from, to) ranges one statement names (three values each).
const RANGES_PER_STATEMENT: usize = 300;
/// How a ledger row `l` is of a range `r` of [`ranges_table`].
const RANGE_JOIN: &str =
    "l.assignment_id = r.column1 AND l.local_date >= r.column2 AND l.local_date <= r.column3";

/// A table `r` of `n` (assignment, from, to) rows bound from `$1` on, its columns
/// `column1` to `column3` (the names SQLite and PostgreSQL both give a `VALUES`
/// list's columns). Joined first, each row seeks its assignment's rows by the key.
fn ranges_table(n: usize) -> String {
    let rows: Vec<String> = (0..n)
        .map(|i| format!("({})", numbered_marks(3 * i + 1, 3)))
        .collect();
    format!("(VALUES {}) AS r", rows.join(", "))
}

/// Ledger rows per multi-row insert (10 values each: 10,000 stays under SQLite's
/// 32,766 parameters and PostgreSQL's 65,535). A refresh after a load writes a few
/// thousand rows a batch; each statement is a round trip on PostgreSQL.
const ROWS_PER_INSERT: usize = 1000;

/// What is stale of one assignment: every day, or these local days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stale {
    Whole,
    Days(BTreeSet<NaiveDate>),
}

impl Stale {
    /// Whether a ledger row of `date` may disagree with the events.
    pub fn covers(&self, date: NaiveDate) -> bool {
        match self {
            Stale::Whole => true,
            Stale::Days(days) => days.contains(&date),
        }
    }

    /// Whether it covers a day of `from..=to`.
    pub fn touches(&self, (from, to): (NaiveDate, NaiveDate)) -> bool {
        match self {
            Stale::Whole => true,
            Stale::Days(days) => days.range(from..=to).next().is_some(),
        }
    }

    fn add(&mut self, mark: Option<NaiveDate>) {
        match (self, mark) {
            (Stale::Whole, _) => {}
            (this, None) => *this = Stale::Whole,
            (Stale::Days(days), Some(date)) => {
                days.insert(date);
            }
        }
    }
}

/// The raw events of one assignment and what crediting them needs: what
/// `service::ledger` turns into its ledger.
#[derive(Debug, Clone)]
pub struct LedgerSource {
    pub assignment: Assignment,
    pub timezone: Tz,
    pub thresholds: Thresholds,
    /// Its replaced terms, oldest first (a granted check-out ends at the window of
    /// the terms in force on the visit's day).
    pub replaced: Vec<TermsVersion>,
    pub visits: Vec<VisitRecord>,
    pub anomalies: Vec<VisitAnomaly>,
    pub activities: Vec<VisitActivity>,
}

/// The raw events of a set of assignments (visits with a local date in a range).
#[derive(Debug, Clone, Default)]
pub struct LedgerEvents {
    pub visits: Vec<VisitRecord>,
    pub anomalies: Vec<VisitAnomaly>,
    pub activities: Vec<VisitActivity>,
}

type LedgerRowTuple = (String, String, String, i64, i64, i64, i64, i64, i64, i64);

/// The ledger's insert: [`LEDGER_COLUMNS`] in order.
const LEDGER_INSERT: Insert = Insert {
    table: "credit_ledger",
    columns: &[
        "assignment_id",
        "local_date",
        "activity",
        "has_day",
        "credited_minutes",
        "pending_minutes",
        "denied_minutes",
        "credit_half_days",
        "qualifying_visits",
        "logged",
    ],
};

const LEDGER_COLUMNS: &str = "assignment_id, local_date, activity, has_day, credited_minutes, \
    pending_minutes, denied_minutes, credit_half_days, qualifying_visits, logged";

fn parse_date(text: &str) -> StoreResult<NaiveDate> {
    text.parse()
        .map_err(|_| StoreError::Corrupt(format!("date {text:?}")))
}

/// A stale mark's date: `''` is every day.
fn parse_mark(text: &str) -> StoreResult<Option<NaiveDate>> {
    if text.is_empty() {
        Ok(None)
    } else {
        parse_date(text).map(Some)
    }
}

fn decode_row(
    row: LedgerRowTuple,
) -> StoreResult<(Uuid, NaiveDate, Option<ActivityKind>, LedgerEntry)> {
    let (
        assignment,
        date,
        activity,
        has_day,
        credited,
        pending,
        denied,
        half_days,
        qualifying,
        logged,
    ) = row;
    let corrupt = |what: &str| StoreError::Corrupt(format!("credit_ledger {what}"));
    let kind = if activity.is_empty() {
        None
    } else {
        Some(decode_enum::<ActivityKind>(&activity)?)
    };
    let day = (has_day != 0)
        .then(|| -> StoreResult<DayCreditSummary> {
            Ok(DayCreditSummary {
                credited_minutes: credited,
                pending_minutes: pending,
                denied_minutes: denied,
                credit: u32::try_from(half_days)
                    .ok()
                    .and_then(DayCredit::from_half_days)
                    .ok_or_else(|| corrupt("credit_half_days"))?,
                qualifying_visits: u32::try_from(qualifying)
                    .map_err(|_| corrupt("qualifying_visits"))?,
            })
        })
        .transpose()?;
    Ok((
        parse_uuid(&assignment)?,
        parse_date(&date)?,
        kind,
        LedgerEntry {
            day,
            logged: u64::try_from(logged).map_err(|_| corrupt("logged"))?,
        },
    ))
}

type MonthRowTuple = (String, String, i64, i64);

const MONTH_COLUMNS: &str = "assignment_id, month, half_days_by_day, qualifying_visits";

fn decode_month(row: MonthRowTuple) -> StoreResult<(Uuid, NaiveDate, MonthSums)> {
    let (assignment, month, half_days, visits) = row;
    let corrupt = || StoreError::Corrupt(format!("credit_ledger_months {month}"));
    let first = parse_date(&format!("{month}-01"))?;
    let sums = MonthSums {
        half_days_by_day: u64::try_from(half_days).map_err(|_| corrupt())?,
        qualifying_visits: u64::try_from(visits).map_err(|_| corrupt())?,
    };
    Ok((parse_uuid(&assignment)?, first, sums))
}

/// Sums one assignment's day rows over every visit into its month rows: `$1` the
/// assignment, `$2..=$3` the local dates (whole months, after [`DROP_MONTHS`]).
const SUM_MONTHS: &str = "INSERT INTO credit_ledger_months \
    (assignment_id, month, half_days_by_day, qualifying_visits) \
    SELECT assignment_id, substr(local_date, 1, 7), \
    CAST(SUM(credit_half_days << (2 * (CAST(substr(local_date, 9, 2) AS INTEGER) - 1))) AS BIGINT), \
    CAST(SUM(qualifying_visits) AS BIGINT) FROM credit_ledger \
    WHERE assignment_id = $1 AND activity = '' AND local_date >= $2 AND local_date <= $3 \
    GROUP BY assignment_id, substr(local_date, 1, 7)";

/// Drops one assignment's month rows: `$1` the assignment, `$2..=$3` the months.
const DROP_MONTHS: &str =
    "DELETE FROM credit_ledger_months WHERE assignment_id = $1 AND month >= $2 AND month <= $3";

/// A run of consecutive months of an assignment whose sums a refresh redoes, as the
/// texts bound to [`DROP_MONTHS`] (`YYYY-MM`) and [`SUM_MONTHS`] (their local dates).
#[derive(Debug, Clone, PartialEq, Eq)]
struct MarkedMonths {
    months: (String, String),
    dates: (String, String),
}

/// The months a refresh of `marks` touches: every month, or those of the days, as
/// runs of consecutive months (a load marks most days of a posting: one statement
/// each for its months instead of one a month).
fn months_of(marks: &Stale) -> Vec<MarkedMonths> {
    match marks {
        Stale::Whole => vec![MarkedMonths {
            months: (String::new(), "9999-99".to_owned()),
            dates: (String::new(), "9999-99-99".to_owned()),
        }],
        Stale::Days(days) => {
            let mut runs: Vec<(NaiveDate, NaiveDate)> = Vec::new();
            for first in days.iter().map(|d| d.with_day(1).unwrap_or(*d)) {
                match runs.last_mut() {
                    Some(run) if run.1 == first => {}
                    Some(run) if run.1.checked_add_months(Months::new(1)) == Some(first) => {
                        run.1 = first;
                    }
                    _ => runs.push((first, first)),
                }
            }
            runs.into_iter()
                .map(|(first, last)| {
                    let (from, to) = (first.format("%Y-%m"), last.format("%Y-%m"));
                    MarkedMonths {
                        dates: (format!("{from}-01"), format!("{to}-31")),
                        months: (from.to_string(), to.to_string()),
                    }
                })
                .collect()
        }
    }
}

/// Decodes `rows` into the ledgers of their assignments.
fn add_rows(ledgers: &mut HashMap<Uuid, DayLedger>, rows: Vec<LedgerRowTuple>) -> StoreResult<()> {
    for row in rows {
        let (assignment, date, kind, entry) = decode_row(row)?;
        ledgers
            .entry(assignment)
            .or_default()
            .entries
            .insert((date, kind), entry);
    }
    Ok(())
}

/// The ledger rows of one assignment's entries, as values in column order.
fn entry_values(
    assignment: Uuid,
    date: NaiveDate,
    kind: Option<ActivityKind>,
    entry: &LedgerEntry,
) -> (String, String, String, [i64; 7]) {
    let day = entry.day.unwrap_or_default();
    (
        assignment.to_string(),
        date.to_string(),
        kind.map(|k| k.as_str().to_owned()).unwrap_or_default(),
        [
            i64::from(entry.day.is_some()),
            day.credited_minutes,
            day.pending_minutes,
            day.denied_minutes,
            i64::from(day.credit.half_days()),
            i64::from(day.qualifying_visits),
            i64::try_from(entry.logged).unwrap_or(i64::MAX),
        ],
    )
}

/// Reads the raw events of the assignments of `pairs` (assignment, its physician)
/// with a local date in `from..=to` on `$conn`: an async block answering
/// `StoreResult<LedgerEvents>`. The visits are found through their physician's
/// index (`visits_physician_date`) and kept when of the assignment: there is no
/// index by assignment, and one would cost every check-in a page of WAL.
macro_rules! read_events {
    ($conn:expr, $pairs:expr, $from:expr, $to:expr) => {
        async {
            let pairs: &[(Uuid, Uuid)] = $pairs;
            let (from, to): (String, String) = ($from, $to);
            let mut out = LedgerEvents::default();
            for chunk in pairs.chunks(IDS_PER_STATEMENT) {
                let within = format!(
                    "v.local_date >= $1 AND v.local_date <= $2 AND v.assignment_id IN ({}) \
                     AND v.physician_id IN ({})",
                    numbered_marks(3, chunk.len()),
                    numbered_marks(3 + chunk.len(), chunk.len()),
                );
                let visits_sql = format!(
                    "SELECT v.id, v.physician_id, v.site_id, v.assignment_id, v.local_date, \
                     v.checked_in_at, v.checked_out_at, v.status FROM visits v WHERE {within}"
                );
                let anomalies_sql = format!(
                    "SELECT a.visit_id, a.kind, a.status FROM anomalies a \
                     JOIN visits v ON v.id = a.visit_id WHERE {within}"
                );
                let activities_sql = format!(
                    "SELECT ac.visit_id, ac.kind, ac.count FROM activities ac \
                     JOIN visits v ON v.id = ac.visit_id WHERE {within} \
                     AND NOT EXISTS (SELECT 1 FROM activities n WHERE n.supersedes_id = ac.id)"
                );
                let ids = chunk
                    .iter()
                    .map(|(assignment, _)| assignment)
                    .chain(chunk.iter().map(|(_, physician)| physician));
                let mut q = sqlx::query_as::<_, VisitRow>(sqlx::AssertSqlSafe(visits_sql))
                    .bind(from.clone())
                    .bind(to.clone());
                for id in ids.clone() {
                    q = q.bind(id.to_string());
                }
                let rows: Vec<VisitRow> = q.fetch_all(&mut *$conn).await?;
                for row in rows {
                    out.visits.push(VisitRecord::try_from(row)?);
                }
                let mut q = sqlx::query_as::<_, (String, String, String)>(sqlx::AssertSqlSafe(
                    anomalies_sql,
                ))
                .bind(from.clone())
                .bind(to.clone());
                for id in ids.clone() {
                    q = q.bind(id.to_string());
                }
                for (visit, kind, status) in q.fetch_all(&mut *$conn).await? {
                    out.anomalies.push(VisitAnomaly {
                        visit_id: parse_uuid(&visit)?,
                        kind,
                        status,
                    });
                }
                let mut q =
                    sqlx::query_as::<_, (String, String, i64)>(sqlx::AssertSqlSafe(activities_sql))
                        .bind(from.clone())
                        .bind(to.clone());
                for id in ids.clone() {
                    q = q.bind(id.to_string());
                }
                for (visit, kind, count) in q.fetch_all(&mut *$conn).await? {
                    out.activities.push(VisitActivity {
                        visit_id: parse_uuid(&visit)?,
                        kind: decode_enum(&kind)?,
                        count: u64::try_from(count).unwrap_or(0),
                    });
                }
            }
            StoreResult::Ok(out)
        }
    };
}

impl Store {
    /// The stale marks of the scope's assignments (those overlapping the filter's
    /// range), by assignment.
    pub async fn ledger_stale_in(
        &self,
        filter: &ReportFilter<'_>,
    ) -> StoreResult<HashMap<Uuid, Stale>> {
        let sql = format!(
            "SELECT s.assignment_id, s.local_date FROM credit_ledger_stale s \
             WHERE s.assignment_id IN (SELECT a.id {})",
            scoped_assignments(filter)
        );
        let rows: Vec<(String, String)> = on_pool!(self.db(), pool =>
            bind_scope!(sqlx::query_as(sqlx::AssertSqlSafe(sql)), filter).fetch_all(pool).await?);
        let mut out: HashMap<Uuid, Stale> = HashMap::new();
        for (assignment, date) in rows {
            out.entry(parse_uuid(&assignment)?)
                .or_insert_with(|| Stale::Days(BTreeSet::new()))
                .add(parse_mark(&date)?);
        }
        Ok(out)
    }

    /// Adds to `ledgers` the rows of each (assignment, local dates) of `ranges`:
    /// over every visit when `every_visit`, and for the activity filters `kinds` (a
    /// row already there is replaced by the same row).
    pub async fn add_ledger_rows_over(
        &self,
        ledgers: &mut HashMap<Uuid, DayLedger>,
        ranges: &[(Uuid, (NaiveDate, NaiveDate))],
        every_visit: bool,
        kinds: &BTreeSet<ActivityKind>,
    ) -> StoreResult<()> {
        let filters: Vec<&str> = every_visit
            .then_some("")
            .into_iter()
            .chain(kinds.iter().map(ActivityKind::as_str))
            .collect();
        if filters.is_empty() {
            return Ok(());
        }
        for chunk in ranges.chunks(RANGES_PER_STATEMENT) {
            let sql = format!(
                "SELECT l.{} FROM {} CROSS JOIN credit_ledger l WHERE {RANGE_JOIN} \
                 AND l.activity IN ({})",
                LEDGER_COLUMNS.replace(", ", ", l."),
                ranges_table(chunk.len()),
                numbered_marks(3 * chunk.len() + 1, filters.len()),
            );
            let rows: Vec<LedgerRowTuple> = on_pool!(self.db(), pool => {
                let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql));
                for (id, (from, to)) in chunk {
                    q = q.bind(id.to_string()).bind(from.to_string()).bind(to.to_string());
                }
                for filter in &filters {
                    q = q.bind(*filter);
                }
                q.fetch_all(pool).await?
            });
            add_rows(ledgers, rows)?;
        }
        Ok(())
    }

    /// Adds to `ledgers` the months of each (assignment, local dates from a month's
    /// first day to a month's last) of `ranges` over every visit, from their stored
    /// sums (`credit_ledger_months`: a month of rows read as one).
    pub async fn add_ledger_month_sums(
        &self,
        ledgers: &mut HashMap<Uuid, DayLedger>,
        ranges: &[(Uuid, (NaiveDate, NaiveDate))],
    ) -> StoreResult<()> {
        for chunk in ranges.chunks(RANGES_PER_STATEMENT) {
            let sql = format!(
                "SELECT l.{} FROM {} CROSS JOIN credit_ledger_months l \
                 WHERE l.assignment_id = r.column1 AND l.month >= r.column2 AND l.month <= r.column3",
                MONTH_COLUMNS.replace(", ", ", l."),
                ranges_table(chunk.len()),
            );
            let rows: Vec<MonthRowTuple> = on_pool!(self.db(), pool => {
                let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql));
                for (id, (from, to)) in chunk {
                    q = q
                        .bind(id.to_string())
                        .bind(from.format("%Y-%m").to_string())
                        .bind(to.format("%Y-%m").to_string());
                }
                q.fetch_all(pool).await?
            });
            for row in rows {
                let (assignment, first, sums) = decode_month(row)?;
                ledgers
                    .entry(assignment)
                    .or_default()
                    .add_month(first, sums)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            }
        }
        Ok(())
    }

    /// Every stored month sum, by assignment and the month's first day (tests
    /// compare them with the day rows).
    pub async fn ledger_month_sums_all(
        &self,
    ) -> StoreResult<BTreeMap<(Uuid, NaiveDate), MonthSums>> {
        let sql = format!("SELECT {MONTH_COLUMNS} FROM credit_ledger_months");
        let rows: Vec<MonthRowTuple> = on_pool!(self.db(), pool =>
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await?);
        rows.into_iter()
            .map(|row| decode_month(row).map(|(id, first, sums)| ((id, first), sums)))
            .collect()
    }

    /// The raw events of the assignments of `pairs` (assignment, its physician)
    /// with a local date in `from..=to`.
    pub async fn ledger_events(
        &self,
        pairs: &[(Uuid, Uuid)],
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<LedgerEvents> {
        on_pool!(self.db(), pool => {
            let mut conn = pool.acquire().await?;
            read_events!(conn, pairs, from.to_string(), to.to_string()).await
        })
    }

    /// Every ledger row, by assignment (tests compare it with a recomputation).
    pub async fn ledger_all(&self) -> StoreResult<HashMap<Uuid, DayLedger>> {
        let sql = format!("SELECT {LEDGER_COLUMNS} FROM credit_ledger");
        let rows: Vec<LedgerRowTuple> = on_pool!(self.db(), pool =>
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await?);
        let mut out: HashMap<Uuid, DayLedger> = HashMap::new();
        add_rows(&mut out, rows)?;
        Ok(out)
    }

    /// How many stale marks there are.
    pub async fn ledger_stale_count(&self) -> StoreResult<u64> {
        let (n,): (i64,) = on_pool!(self.db(), pool =>
            sqlx::query_as("SELECT COUNT(*) FROM credit_ledger_stale").fetch_one(pool).await?);
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Marks every assignment stale (tests: the report must then read the events).
    pub async fn ledger_mark_all_stale(&self) -> StoreResult<()> {
        const SQL: &str = "INSERT INTO credit_ledger_stale (assignment_id, local_date) \
            SELECT id, '' FROM assignments WHERE 1 = 1 ON CONFLICT DO NOTHING";
        on_pool!(self.db(), pool => { sqlx::query(SQL).execute(pool).await?; });
        Ok(())
    }

    /// Recomputes the marked days of at most `limit` assignments and removes their
    /// marks, in one transaction: the marks are taken (deleted) first, then the events
    /// are read, so a change committed after they were taken leaves its own mark (on
    /// PostgreSQL a change marking a day whose mark was taken waits on the taken row
    /// until this commits; one marking another day of a wholly marked assignment
    /// keeps its mark, so a row written from a mix of before and after stays marked).
    /// `compute` turns one assignment's events into its ledger (`service::ledger`).
    /// Answers the count of assignments refreshed.
    pub async fn refresh_ledger(
        &self,
        limit: usize,
        compute: impl Fn(&LedgerSource) -> DayLedger + Send + Sync,
    ) -> StoreResult<usize> {
        const TAKE: &str = "DELETE FROM credit_ledger_stale WHERE assignment_id IN \
            (SELECT assignment_id FROM credit_ledger_stale GROUP BY assignment_id \
             ORDER BY assignment_id LIMIT $1) RETURNING assignment_id, local_date";
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let style = Placeholders::for_many_values(self.db());
        // Most ticks find nothing: no write transaction for them.
        let any: Option<(String,)> = on_pool!(self.db(), pool =>
            sqlx::query_as("SELECT assignment_id FROM credit_ledger_stale LIMIT 1")
                .fetch_optional(pool)
                .await?);
        if any.is_none() {
            return Ok(0);
        }
        let postgres = matches!(self.db(), super::Db::Postgres(_));
        on_pool!(self.db(), pool => {
            let mut tx = pool.begin_write().await?;
            // One refresher at a time on PostgreSQL (SQLite's write lock already says
            // so): processes ticking together would take the same marks. Another
            // process refreshing now does this tick's work.
            if postgres {
                let (mine,): (bool,) = sqlx::query_as(
                    "SELECT pg_try_advisory_xact_lock(hashtext('credit_ledger_refresh'))",
                )
                .fetch_one(&mut *tx)
                .await?;
                if !mine {
                    tx.rollback().await?;
                    return Ok(0);
                }
            }
            let marks: Vec<(String, String)> =
                sqlx::query_as(TAKE).bind(limit).fetch_all(&mut *tx).await?;
            let mut stale: BTreeMap<Uuid, Stale> = BTreeMap::new();
            for (assignment, date) in &marks {
                stale
                    .entry(parse_uuid(assignment)?)
                    .or_insert_with(|| Stale::Days(BTreeSet::new()))
                    .add(parse_mark(date)?);
            }
            if stale.is_empty() {
                tx.commit().await?;
                return Ok(0);
            }
            let ids: Vec<Uuid> = stale.keys().copied().collect();
            // The local dates to read: a day's credit comes from the visits of that
            // day and of the day before (a visit split at midnight).
            let mut from = NaiveDate::MAX;
            let mut to = NaiveDate::MIN;
            for marks in stale.values() {
                match marks {
                    Stale::Whole => {
                        from = NaiveDate::MIN;
                        to = NaiveDate::MAX;
                    }
                    Stale::Days(days) => {
                        if let (Some(first), Some(last)) = (days.first(), days.last()) {
                            from = from.min(first.pred_opt().unwrap_or(*first));
                            to = to.max(*last);
                        }
                    }
                }
            }
            let (from_text, to_text) = if from == NaiveDate::MIN {
                (String::new(), "9999-12-31".to_owned())
            } else {
                (from.to_string(), to.to_string())
            };

            let mut assignments: HashMap<Uuid, (Assignment, Tz, Thresholds)> = HashMap::new();
            let mut replaced: HashMap<Uuid, Vec<TermsVersion>> = HashMap::new();
            for chunk in ids.chunks(IDS_PER_STATEMENT) {
                let list = numbered_marks(1, chunk.len());
                let sql = format!(
                    "SELECT a.id, a.physician_id, a.site_id, a.program_id, a.mode, a.start_date, \
                     a.end_date, a.window_start, a.window_end, a.created_at \
                     FROM assignments a WHERE a.id IN ({list})"
                );
                let mut q = sqlx::query_as::<_, AssignmentRow>(sqlx::AssertSqlSafe(sql));
                for id in chunk {
                    q = q.bind(id.to_string());
                }
                let rows: Vec<AssignmentRow> = q.fetch_all(&mut *tx).await?;
                let sql = format!(
                    "SELECT a.id, o.timezone, p.half_day_minutes, p.full_day_minutes \
                     FROM assignments a JOIN organizations o ON o.id = a.site_id \
                     JOIN programs p ON p.id = a.program_id WHERE a.id IN ({list})"
                );
                let mut q = sqlx::query_as::<_, (String, String, i64, i64)>(sqlx::AssertSqlSafe(sql));
                for id in chunk {
                    q = q.bind(id.to_string());
                }
                let mut context: HashMap<Uuid, (Tz, Thresholds)> = HashMap::new();
                for (id, timezone, half, full) in q.fetch_all(&mut *tx).await? {
                    let tz = parse_timezone(&timezone)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                    let minutes = |m: i64| u32::try_from(m).ok();
                    let thresholds = Thresholds::new(
                        minutes(half).unwrap_or(0),
                        minutes(full).unwrap_or(0),
                    )
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                    context.insert(parse_uuid(&id)?, (tz, thresholds));
                }
                for row in rows {
                    let assignment = Assignment::try_from(row)?;
                    if let Some((tz, thresholds)) = context.get(&assignment.id) {
                        assignments.insert(assignment.id, (assignment, *tz, *thresholds));
                    }
                }
                let sql = format!(
                    "SELECT assignment_id, {TERMS_COLUMNS} FROM assignment_terms \
                     WHERE assignment_id IN ({list}) ORDER BY assignment_id, version"
                );
                let mut q = sqlx::query_as::<_, KeyedTermsRow>(sqlx::AssertSqlSafe(sql));
                for id in chunk {
                    q = q.bind(id.to_string());
                }
                for row in q.fetch_all(&mut *tx).await? {
                    replaced
                        .entry(parse_uuid(&row.assignment_id)?)
                        .or_default()
                        .push(TermsVersion::try_from(row.terms)?);
                }
            }
            let pairs: Vec<(Uuid, Uuid)> = assignments
                .values()
                .map(|(a, _, _)| (a.id, a.physician_id))
                .collect();
            let events = read_events!(tx, &pairs, from_text, to_text).await?;

            let mut visits_of: HashMap<Uuid, Vec<VisitRecord>> = HashMap::new();
            let mut assignment_of: HashMap<Uuid, Uuid> = HashMap::new();
            for visit in events.visits {
                assignment_of.insert(visit.id, visit.assignment_id);
                visits_of.entry(visit.assignment_id).or_default().push(visit);
            }
            let mut anomalies_of: HashMap<Uuid, Vec<VisitAnomaly>> = HashMap::new();
            for anomaly in events.anomalies {
                if let Some(a) = assignment_of.get(&anomaly.visit_id) {
                    anomalies_of.entry(*a).or_default().push(anomaly);
                }
            }
            let mut activities_of: HashMap<Uuid, Vec<VisitActivity>> = HashMap::new();
            for activity in events.activities {
                if let Some(a) = assignment_of.get(&activity.visit_id) {
                    activities_of.entry(*a).or_default().push(activity);
                }
            }

            let mut rows: Vec<(String, String, String, [i64; 7])> = Vec::new();
            for (id, marks) in &stale {
                for MarkedMonths { months, .. } in months_of(marks) {
                    sqlx::query(DROP_MONTHS)
                        .bind(id.to_string())
                        .bind(months.0)
                        .bind(months.1)
                        .execute(&mut *tx)
                        .await?;
                }
                match marks {
                    Stale::Whole => {
                        sqlx::query("DELETE FROM credit_ledger WHERE assignment_id = $1")
                            .bind(id.to_string())
                            .execute(&mut *tx)
                            .await?;
                    }
                    Stale::Days(days) => {
                        // One statement for many days: a load marks most days of a
                        // posting, and each statement is a round trip on PostgreSQL.
                        let days: Vec<String> = days.iter().map(ToString::to_string).collect();
                        for chunk in days.chunks(IDS_PER_STATEMENT) {
                            let sql = format!(
                                "DELETE FROM credit_ledger WHERE assignment_id = $1 \
                                 AND local_date IN ({})",
                                numbered_marks(2, chunk.len())
                            );
                            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id.to_string());
                            for day in chunk {
                                q = q.bind(day.as_str());
                            }
                            q.execute(&mut *tx).await?;
                        }
                    }
                }
                // An assignment no longer there (or without site or programme) keeps
                // no rows.
                let Some((assignment, timezone, thresholds)) = assignments.remove(id) else {
                    continue;
                };
                let source = LedgerSource {
                    assignment,
                    timezone,
                    thresholds,
                    replaced: replaced.remove(id).unwrap_or_default(),
                    visits: visits_of.remove(id).unwrap_or_default(),
                    anomalies: anomalies_of.remove(id).unwrap_or_default(),
                    activities: activities_of.remove(id).unwrap_or_default(),
                };
                let ledger = compute(&source);
                for ((date, kind), entry) in &ledger.entries {
                    if marks.covers(*date) {
                        rows.push(entry_values(*id, *date, *kind, entry));
                    }
                }
            }
            for chunk in rows.chunks(ROWS_PER_INSERT) {
                let sql = LEDGER_INSERT.sql_with(chunk.len(), style);
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for (assignment, date, activity, figures) in chunk {
                    q = q.bind(assignment.clone()).bind(date.clone()).bind(activity.clone());
                    for figure in figures {
                        q = q.bind(*figure);
                    }
                }
                q.execute(&mut *tx).await?;
            }
            // The month sums of the days just written, in the same transaction.
            for (id, marks) in &stale {
                for MarkedMonths { dates, .. } in months_of(marks) {
                    sqlx::query(SUM_MONTHS)
                        .bind(id.to_string())
                        .bind(dates.0)
                        .bind(dates.1)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            tx.commit().await?;
            Ok(stale.len())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_insert_writes_the_columns_the_reads_name() {
        assert_eq!(LEDGER_INSERT.columns.join(", "), LEDGER_COLUMNS);
    }

    #[test]
    fn a_refresh_redoes_the_months_of_its_marked_days_or_every_month() {
        let day = |m: u32, d: u32| NaiveDate::from_ymd_opt(2026, m, d).unwrap_or_default();
        let marks = Stale::Days(BTreeSet::from([
            day(1, 31),
            day(2, 1),
            day(2, 28),
            day(3, 2),
            day(5, 1),
            day(5, 2),
            day(12, 31),
        ]));
        let texts = |m: &MarkedMonths| (m.months.clone(), m.dates.clone());
        let pair = |a: &str, b: &str| (a.to_owned(), b.to_owned());
        // Consecutive months as one run; a month without a mark ends it.
        assert_eq!(
            months_of(&marks).iter().map(texts).collect::<Vec<_>>(),
            vec![
                (pair("2026-01", "2026-03"), pair("2026-01-01", "2026-03-31")),
                (pair("2026-05", "2026-05"), pair("2026-05-01", "2026-05-31")),
                (pair("2026-12", "2026-12"), pair("2026-12-01", "2026-12-31")),
            ]
        );
        // Every month: bounds below and above any stored month and date.
        let every = months_of(&Stale::Whole);
        assert_eq!(every.len(), 1);
        assert!(every[0].months.0.as_str() < "0001-01" && every[0].months.1.as_str() > "9999-12");
        assert!(
            every[0].dates.0.as_str() < "0001-01-01" && every[0].dates.1.as_str() > "9999-12-31"
        );
    }
}
