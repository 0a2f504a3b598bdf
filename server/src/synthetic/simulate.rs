//! Runs the simulation: writes the world, then plays every day's scans in the order
//! the server would receive them, with the supervisors' reviews at midday and the
//! scheduler's tick after midnight; reports progress and what was written.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use mobile_api::{AttendanceResponse, Problem, Verdict};

use super::bulk::Bulk;
use super::live::{Live, read_answer};
use super::plan::Plan;
use super::script::{self, Scan};
use super::world::{self, World};
use super::{SyntheticError, manual_clock, offline_state, review};
use crate::config::Config;
use crate::domain::clock::ManualClock;
use crate::domain::crediting::start_of_local_day;
use crate::domain::organization::DEFAULT_TIMEZONE;
use crate::scheduler;
use crate::state::AppState;
use crate::store::attendance::StoredResponse;

/// How scans reach the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Path {
    /// Through `service::attendance`, one transaction per scan, as the server does.
    Service,
    /// Judged in memory with the same domain rules, written in batches ([`Bulk`]).
    Bulk,
}

impl std::str::FromStr for Path {
    type Err = String;
    fn from_str(s: &str) -> Result<Path, String> {
        match s {
            "service" => Ok(Path::Service),
            "bulk" => Ok(Path::Bulk),
            other => Err(format!("{other:?}: expected service or bulk")),
        }
    }
}

/// How to play the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    pub path: Path,
    /// Run the scheduler's full tick every Sunday night and after the last day, so
    /// requirement periods are judged (`requirement_missed`) as the days pass.
    ///
    /// On by default for the service path, off for the bulk path, where the server's
    /// scheduler judges every due period at its first tick after start (catch-up),
    /// with that later `detected_at`. A tick reads only the periods that came due
    /// since the scheduler's watermark, so weekly ticks no longer grow with the
    /// history; what they cost is judging the week's periods.
    pub judge_requirements: bool,
    /// The supervisors have not reviewed the anomalies of the last this many days
    /// yet (the demo leaves its latest week open for the visitor); 0 by default.
    pub unreviewed_days: u32,
    /// Bulk path only, for a throwaway database (the benchmark's): drop the
    /// secondary indexes the load does not read ([`DEFERRED_INDEX_TABLES`]) before
    /// the simulated days and build them again, sorted, at the end. An interrupted
    /// run leaves those tables without them. Off by default.
    pub defer_indexes: bool,
}

/// Tables whose secondary indexes a bulk load with [`Options::defer_indexes`] builds
/// after the load: nothing the bulk path does reads them (its facts are in memory;
/// reviews read anomalies). `activities` is left alone when requirement periods are
/// judged during the load (crediting reads it by visit).
pub const DEFERRED_INDEX_TABLES: [&str; 2] = ["attendance_events", "activities"];

impl Options {
    /// SQLite's page cache while seeding: 256 MiB, 1 GiB for a throwaway load.
    fn cache_mib(&self) -> u32 {
        if self.defer_indexes { 1024 } else { 256 }
    }

    pub fn new(path: Path) -> Options {
        Options {
            path,
            judge_requirements: path == Path::Service,
            unreviewed_days: 0,
            defer_indexes: false,
        }
    }
}

/// What the simulation sent and the server answered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    pub events: u64,
    pub accepted: u64,
    pub flagged: u64,
    /// Refusals by problem code.
    pub refused: BTreeMap<String, u64>,
    /// Anomaly kinds raised on accepted scans.
    pub reasons: BTreeMap<String, u64>,
    pub visits_opened: u64,
    pub checked_out: u64,
    pub auto_closed: u64,
    pub activities: u64,
    pub reviews: u64,
    pub requirements_missed: u64,
}

impl Tally {
    /// Counts one answer; the accepted body when it was one.
    pub fn record(
        &mut self,
        answer: Result<AttendanceResponse, Problem>,
        check_in: bool,
    ) -> Option<AttendanceResponse> {
        self.events += 1;
        match answer {
            Ok(body) => {
                match body.verdict {
                    Verdict::Accepted => self.accepted += 1,
                    Verdict::Flagged => self.flagged += 1,
                }
                for reason in &body.reasons {
                    *self.reasons.entry(reason.clone()).or_default() += 1;
                }
                if check_in {
                    self.visits_opened += 1;
                } else {
                    self.checked_out += 1;
                }
                Some(body)
            }
            Err(problem) => {
                *self.refused.entry(problem.code).or_default() += 1;
                None
            }
        }
    }

    /// Counts a stored answer of the service path.
    pub fn record_answer(
        &mut self,
        stored: &StoredResponse,
        check_in: bool,
    ) -> Result<Option<AttendanceResponse>, SyntheticError> {
        Ok(self.record(read_answer(stored)?, check_in))
    }

    /// Anomalies raised: on scans, at midnight, and for missed requirements.
    pub fn anomalies(&self) -> u64 {
        self.reasons.values().sum::<u64>() + self.auto_closed + self.requirements_missed
    }
}

/// The outcome of a run.
#[derive(Debug, Clone)]
pub struct Summary {
    pub options: Options,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    /// Rows of the world's tables (jurisdictions, organizations, users ...).
    pub world_rows: BTreeMap<&'static str, u64>,
    pub tally: Tally,
    pub setup: StdDuration,
    pub simulation: StdDuration,
}

impl Summary {
    pub fn events_per_second(&self) -> f64 {
        self.tally.events as f64 / self.simulation.as_secs_f64().max(1e-9)
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = &self.tally;
        writeln!(
            f,
            "synthetic province seeded ({:?} path{}), {} .. {}",
            self.options.path,
            if self.options.judge_requirements {
                ""
            } else {
                ", requirement periods left to the server's scheduler"
            },
            self.first_day,
            self.last_day
        )?;
        let world: Vec<String> = self
            .world_rows
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        writeln!(f, "  world rows:         {}", world.join(", "))?;
        writeln!(
            f,
            "  attendance_events:  {} ({} accepted, {} flagged, {} refused)",
            t.events,
            t.accepted,
            t.flagged,
            t.refused.values().sum::<u64>()
        )?;
        let refused: Vec<String> = t.refused.iter().map(|(k, v)| format!("{k} {v}")).collect();
        writeln!(f, "  refusals:           {}", refused.join(", "))?;
        writeln!(
            f,
            "  visits:             {} opened, {} checked out, {} closed at midnight",
            t.visits_opened, t.checked_out, t.auto_closed
        )?;
        let reasons: Vec<String> = t.reasons.iter().map(|(k, v)| format!("{k} {v}")).collect();
        writeln!(
            f,
            "  anomalies:          {} ({}; missing_checkout {}, requirement_missed {})",
            t.anomalies(),
            reasons.join(", "),
            t.auto_closed,
            t.requirements_missed
        )?;
        writeln!(f, "  anomaly_reviews:    {}", t.reviews)?;
        writeln!(f, "  activities:         {}", t.activities)?;
        write!(
            f,
            "  time:               setup {:.1} s, simulation {:.1} s, {:.0} events/s",
            self.setup.as_secs_f64(),
            self.simulation.as_secs_f64(),
            self.events_per_second()
        )
    }
}

enum Runner<'a> {
    Live(Live<'a>),
    Bulk(Box<Bulk<'a>>),
}

impl Runner<'_> {
    async fn scan(&mut self, scan: &Scan, tally: &mut Tally) -> Result<(), SyntheticError> {
        match self {
            Runner::Live(live) => live.scan(scan, tally).await,
            Runner::Bulk(bulk) => bulk.scan(scan, tally).await,
        }
    }

    async fn flush(&mut self) -> Result<(), SyntheticError> {
        match self {
            Runner::Live(_) => Ok(()),
            Runner::Bulk(bulk) => bulk.flush().await,
        }
    }

    async fn finish(&mut self) -> Result<(), SyntheticError> {
        match self {
            Runner::Live(_) => Ok(()),
            Runner::Bulk(bulk) => bulk.finish().await,
        }
    }

    async fn tick(
        &mut self,
        date: NaiveDate,
        judge_requirements: bool,
        tally: &mut Tally,
    ) -> Result<(), SyntheticError> {
        let at = script::midnight_tick(date);
        // Visits close every night; requirement periods are judged weekly (Sunday
        // night), as a catch-up tick would, to keep long runs fast.
        let weekly = judge_requirements && date.weekday() == Weekday::Sun;
        match self {
            Runner::Live(live) => live.tick(at, weekly, tally).await,
            Runner::Bulk(bulk) => bulk.tick(at, weekly, tally).await,
        }
    }
}

/// Seeds the province of `plan` into `config.database_url` along `path` with its
/// default [`Options`]; `progress` hears a line now and then.
pub async fn seed(
    config: &Config,
    plan: &Plan,
    path: Path,
    progress: &mut dyn FnMut(&str),
) -> Result<Summary, SyntheticError> {
    seed_with(config, plan, Options::new(path), progress).await
}

/// [`seed`] with explicit options.
pub async fn seed_with(
    config: &Config,
    plan: &Plan,
    options: Options,
    progress: &mut dyn FnMut(&str),
) -> Result<Summary, SyntheticError> {
    let first = plan.spec.first_day();
    // The world is recorded the evening before the first simulated day.
    let setup_at = start_of_local_day(first, DEFAULT_TIMEZONE) - Duration::hours(6);
    let (clock, shared) = manual_clock(setup_at);
    // One connection: the seeding settings are per connection, and one writer is
    // all SQLite has anyway.
    let one = Config {
        db_max_connections: 1,
        ..config.clone()
    };
    let state = offline_state(&one, shared).await?;
    state.store.relax_durability(options.cache_mib()).await?;
    let started = Instant::now();
    let world = world::write(&state, plan, progress).await?;
    let setup = started.elapsed();
    progress(&format!(
        "world written in {:.1} s; simulating {} days",
        setup.as_secs_f64(),
        plan.spec.days
    ));
    let started = Instant::now();
    let deferred = if options.defer_indexes && options.path == Path::Bulk {
        let tables = if options.judge_requirements {
            &DEFERRED_INDEX_TABLES[..1]
        } else {
            &DEFERRED_INDEX_TABLES[..]
        };
        Some(state.store.defer_indexes(tables).await?)
    } else {
        None
    };
    let tally = play(&state, clock, plan, &world, options, progress).await?;
    if let Some(deferred) = deferred {
        let building = Instant::now();
        let count = deferred.definitions.len();
        state.store.restore_indexes(deferred).await?;
        progress(&format!(
            "{count} deferred indexes built in {:.1} s",
            building.elapsed().as_secs_f64()
        ));
    }
    let simulation = started.elapsed();
    state.store.close().await;
    Ok(Summary {
        options,
        first_day: first,
        last_day: plan.spec.end_date,
        world_rows: world.rows.iter().map(|(k, v)| (*k, *v)).collect(),
        tally,
        setup,
        simulation,
    })
}

/// Plays every day of the plan on an already written world.
pub async fn play(
    state: &AppState,
    clock: Arc<ManualClock>,
    plan: &Plan,
    world: &World,
    options: Options,
    progress: &mut dyn FnMut(&str),
) -> Result<Tally, SyntheticError> {
    let mut runner = match options.path {
        Path::Service => Runner::Live(Live {
            state: state.clone(),
            clock: clock.clone(),
            plan,
            world,
        }),
        Path::Bulk => Runner::Bulk(Box::new(Bulk::new(
            state.clone(),
            clock.clone(),
            plan,
            world,
        ))),
    };
    let mut tally = Tally::default();
    let first = plan.spec.first_day();
    let started = Instant::now();
    let mut last_report = Instant::now();
    // Where the time goes: scripting, scans (with batch writes), reviews, ticks.
    let mut spent = [StdDuration::ZERO; 4];
    for d in 0..i64::from(plan.spec.days) {
        let date = first + Duration::days(d);
        let mut lap = Instant::now();
        let mut split_time = |slot: usize, lap: &mut Instant| {
            spent[slot] += lap.elapsed();
            *lap = Instant::now();
        };
        let scans = script::day(plan, date);
        split_time(0, &mut lap);
        let review_at = script::review_time(date);
        let split = scans.partition_point(|s| s.received_at < review_at);
        for scan in &scans[..split] {
            runner.scan(scan, &mut tally).await?;
        }
        runner.flush().await?;
        split_time(1, &mut lap);
        clock.set(review_at);
        let yesterday = start_of_local_day(date - Duration::days(1), DEFAULT_TIMEZONE);
        let today = start_of_local_day(date, DEFAULT_TIMEZONE);
        // The review on day `d` is of day `d - 1`.
        if d <= i64::from(plan.spec.days) - i64::from(options.unreviewed_days) {
            review::review(state, plan, world, yesterday, today, &mut tally).await?;
        }
        split_time(2, &mut lap);
        for scan in &scans[split..] {
            runner.scan(scan, &mut tally).await?;
        }
        split_time(1, &mut lap);
        runner
            .tick(date, options.judge_requirements, &mut tally)
            .await?;
        split_time(3, &mut lap);
        // A recycled pool connection would lose the seeding setting.
        state.store.relax_durability(options.cache_mib()).await?;
        if last_report.elapsed() >= StdDuration::from_secs(5) || d + 1 == i64::from(plan.spec.days)
        {
            let secs = started.elapsed().as_secs_f64().max(1e-9);
            progress(&format!(
                "{date}: day {}/{}, {} events, {} visits, {} anomalies, {:.0} events/s \
                 (script {:.1} s, scans {:.1} s, reviews {:.1} s, ticks {:.1} s)",
                d + 1,
                plan.spec.days,
                tally.events,
                tally.visits_opened,
                tally.anomalies(),
                tally.events as f64 / secs,
                spent[0].as_secs_f64(),
                spent[1].as_secs_f64(),
                spent[2].as_secs_f64(),
                spent[3].as_secs_f64(),
            ));
            last_report = Instant::now();
        }
    }
    runner.finish().await?;
    if options.judge_requirements {
        // The first full tick after the last day judges every requirement period due.
        clock.set(script::midnight_tick(plan.spec.end_date) + Duration::minutes(1));
        let report = scheduler::run_once(state).await?;
        tally.auto_closed += report.closed_visits as u64;
        tally.requirements_missed += report.requirements_missed as u64;
    }
    Ok(tally)
}
