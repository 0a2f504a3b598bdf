//! How long the monthly workload report (对口支援工作量月报表) and the compliance
//! report take over a synthetic province of 1 M and 10 M attendance events, on
//! SQLite and, when `XIAXIANG_BENCH_POSTGRES_URL` is set, on PostgreSQL.
//!
//! Plain wall-clock timing with `Instant` (no criterion, no timed assertions). The
//! data is seeded once with the generator's bulk path and reused: SQLite files and
//! a marker per database live in `XIAXIANG_BENCH_DIR` (default `target/bench-data`).
//! See BENCHMARKS.md for the commands and recorded figures.
//!
//! Variables:
//! - `XIAXIANG_BENCH_EVENTS`: comma-separated event counts, default `1000000`;
//! - `XIAXIANG_BENCH_RUNS`: timed runs per report and scope, default 3 (plus a warm-up);
//! - `XIAXIANG_BENCH_POSTGRES_URL`: an admin URL; the bench creates (and keeps)
//!   databases `xiaxiang_bench_<events>` on that server;
//! - `XIAXIANG_BENCH_SQLITE=0`: skip SQLite;
//! - `XIAXIANG_BENCH_PROFILE=1`: print, for each report's warm-up run, the SQL
//!   statements it ran (count, rows returned, time inside the statement) and the time
//!   spent outside SQL.
//! - `XIAXIANG_BENCH_TICKS=1`: after the reports, time scheduler ticks
//!   (`scheduler::run_once`) on a clock past the simulated year: a catch-up tick, a
//!   tick with nothing due, a tick a day later (a day's periods due) and one more with
//!   nothing due. Ticks judge periods (they write `job_runs` and `requirement_missed`,
//!   which the reports do not read); the clock moves two days further on each run
//!   (kept in `reports-<events>.<db>.ticks` beside the marker).
//! - `XIAXIANG_BENCH_DEFER_INDEXES=0`: seed with every index in place (by default the
//!   secondary indexes the load does not read are built after it, sorted, see
//!   `synthetic::Options::defer_indexes`);
//! - `XIAXIANG_BENCH_MEMORY=1`: before the timings, the peak resident memory of the
//!   monthly and compliance reports (province and county, JSON and XLSX), from
//!   `/proc/self/status` with the peak reset through `/proc/self/clear_refs` (which
//!   counts the database file's pages SQLite maps, up to 1 GiB a connection), and the
//!   peak of the anonymous memory alone (`RssAnon`, heap), sampled every 2 ms;
//! - `XIAXIANG_BENCH_REPORTS`: the reports to time, comma-separated, of `monthly`,
//!   `compliance`, `compliance-events` (from the raw events, as before the ledger),
//!   `statistics`, `record`; default all;
//! - `XIAXIANG_BENCH_SEED_ONLY=1`: seed what is not seeded yet, time nothing;
//! - `XIAXIANG_BENCH_JUDGE=1`: judge requirement periods weekly while seeding, as the
//!   service path does (by default the first tick after seeding judges them);
//! - `XIAXIANG_BENCH_VERIFY=1`: after the timings, the province's compliance reports
//!   for the month, its quarter and its half year from the ledger must equal those
//!   from the raw events, row for row and figure for figure (else the bench fails).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, TimeZone, Utc};
use xiaxiang_server::config::Config;
use xiaxiang_server::domain::access::{Actor, Role, Scope};
use xiaxiang_server::domain::jurisdiction::JurisdictionCode;
use xiaxiang_server::render::{tables, xlsx};
use xiaxiang_server::service::ledger;
use xiaxiang_server::service::reports::{
    DaySource, ReportScope, compliance_report, compliance_report_from, county_statistics,
    monthly_report, service_record,
};
use xiaxiang_server::synthetic::{
    FaultRates, Options, Path, Plan, Spec, manual_clock, offline_state, seed_with,
};

/// The simulated year ends here; the reports are about its last month.
const END_DATE: (i32, u32, u32) = (2026, 3, 31);
const MONTH: &str = "2026-03";
const DAYS: u32 = 365;
/// Events per physician and simulated day, measured on the generator's defaults.
const EVENTS_PER_PHYSICIAN_DAY: f64 = 0.70;
const PHYSICIANS_PER_COUNTY: u32 = 40;
/// The county statistics (县域统计表) are of the calendar year the simulated year
/// ends in; the service record (one physician's postings) is the same for both scopes.
const STATISTICS_YEAR: i32 = 2026;

fn env_list(name: &str, default: &str) -> Vec<u64> {
    std::env::var(name)
        .unwrap_or_else(|_| default.to_owned())
        .split(',')
        .filter_map(|s| s.trim().replace('_', "").parse().ok())
        .collect()
}

fn bench_dir() -> PathBuf {
    std::env::var("XIAXIANG_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target/bench-data"))
        })
}

/// The province sized for about `events` attendance events over a year.
fn spec(events: u64) -> Spec {
    let physicians = ((events as f64) / (EVENTS_PER_PHYSICIAN_DAY * f64::from(DAYS))).ceil() as u32;
    let (y, m, d) = END_DATE;
    Spec {
        counties: physicians.div_ceil(PHYSICIANS_PER_COUNTY).max(1),
        physicians: physicians.max(1),
        days: DAYS,
        end_date: NaiveDate::from_ymd_opt(y, m, d).expect("end date"),
        seed: 20_260_331,
        province_prefix: 39,
        province_name: "海岚省".into(),
        password: "synthetic-pass-1".into(),
        faults: FaultRates::default(),
    }
}

fn config(url: String) -> Config {
    Config {
        database_url: url,
        // Seeding hashes one password; the cost does not matter to the reports.
        password_cost: xiaxiang_server::auth::password::PasswordCost {
            memory_kib: 1024,
            iterations: 1,
        },
        ..Config::default()
    }
}

/// A database holding the province for `events`, seeding it when its marker is absent.
struct Target {
    label: String,
    url: String,
    marker: PathBuf,
}

/// The morning after the simulated year (the month is complete): the reports' clock.
fn report_clock() -> chrono::DateTime<Utc> {
    let (y, m, d) = END_DATE;
    chrono_tz::Asia::Shanghai
        .with_ymd_and_hms(y, m, d, 9, 0, 0)
        .single()
        .expect("instant")
        .with_timezone(&Utc)
        + chrono::Duration::days(1)
}

/// Times scheduler ticks past the simulated year (see the module comment).
async fn run_ticks(target: &Target) -> anyhow::Result<()> {
    let days_file = target.marker.with_extension("ticks");
    let done: i64 = std::fs::read_to_string(&days_file)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0);
    let base = report_clock() + chrono::Duration::days(done);
    let (clock, shared) = manual_clock(base);
    let state = offline_state(&config(target.url.clone()), shared).await?;
    let minute = chrono::Duration::minutes(1);
    let day = chrono::Duration::days(1);
    for (name, at) in [
        ("catch-up", base),
        ("nothing due", base + minute),
        ("a day due", base + day),
        ("nothing due", base + day + minute),
    ] {
        clock.set(at);
        if profiling() {
            profile::start();
        }
        let started = Instant::now();
        let report = xiaxiang_server::scheduler::run_once(&state).await?;
        let took = started.elapsed();
        println!(
            "{:<18} tick {:<12} at {}  {:>7} periods judged {:>6} missed  {:>9.1} ms",
            target.label,
            name,
            at.format("%Y-%m-%d %H:%M"),
            report.periods_judged,
            report.requirements_missed,
            took.as_secs_f64() * 1e3,
        );
        if profiling() {
            profile::print(&format!("{} tick {name}", target.label), took);
        }
    }
    std::fs::write(&days_file, (done + 2).to_string())?;
    state.store.close().await;
    Ok(())
}

async fn ensure_seeded(target: &Target, events: u64) -> anyhow::Result<()> {
    if target.marker.exists() {
        println!(
            "{}: reusing seeded data ({})",
            target.label,
            target.marker.display()
        );
        return Ok(());
    }
    let plan = Plan::generate(&spec(events))?;
    println!(
        "{}: seeding ~{events} events: {} counties, {} physicians, {} days (bulk path) ...",
        target.label, plan.spec.counties, plan.spec.physicians, plan.spec.days
    );
    let options = Options {
        judge_requirements: flag("XIAXIANG_BENCH_JUDGE", false),
        defer_indexes: flag("XIAXIANG_BENCH_DEFER_INDEXES", true),
        ..Options::new(Path::Bulk)
    };
    let summary = seed_with(&config(target.url.clone()), &plan, options, &mut |line| {
        println!("  {line}")
    })
    .await?;
    println!("{summary}");
    std::fs::write(&target.marker, summary.to_string())?;
    Ok(())
}

fn sqlite_target(events: u64) -> anyhow::Result<Target> {
    let dir = bench_dir();
    std::fs::create_dir_all(&dir)?;
    let db = dir.join(format!("reports-{events}.db"));
    let marker = dir.join(format!("reports-{events}.sqlite.seeded"));
    if !marker.exists() {
        // A half-seeded file from an interrupted run is started over.
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
        }
    }
    Ok(Target {
        label: format!("sqlite {events}"),
        url: format!("sqlite://{}", db.display()),
        marker,
    })
}

async fn postgres_target(admin_url: &str, events: u64) -> anyhow::Result<Target> {
    let name = format!("xiaxiang_bench_{events}");
    let marker = bench_dir().join(format!("reports-{events}.postgres.seeded"));
    std::fs::create_dir_all(bench_dir())?;
    let admin = sqlx::PgPool::connect(admin_url).await?;
    let exists: Option<(i32,)> = sqlx::query_as("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(&name)
        .fetch_optional(&admin)
        .await?;
    if exists.is_some() && !marker.exists() {
        // Half-seeded by an interrupted run: start over.
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE {name}")))
            .execute(&admin)
            .await?;
    }
    if exists.is_none() || !marker.exists() {
        // A marker without its database (another server, a new cluster) is stale.
        let _ = std::fs::remove_file(&marker);
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&admin)
            .await?;
    }
    admin.close().await;
    let base = admin_url
        .split('?')
        .next()
        .and_then(|u| u.rsplit_once('/'))
        .map(|(base, _)| base.to_owned())
        .ok_or_else(|| anyhow::anyhow!("XIAXIANG_BENCH_POSTGRES_URL needs a database path"))?;
    Ok(Target {
        label: format!("postgres {events}"),
        url: format!("{base}/{name}"),
        marker,
    })
}

/// Statement statistics gathered from sqlx's `sqlx::query` events while profiling.
mod profile {
    use std::collections::HashMap;
    use std::sync::Mutex;

    use tracing::field::{Field, Visit};
    use tracing_subscriber::layer::Context;

    /// Executions, rows returned, seconds inside the statement.
    pub type Figures = (u64, u64, f64);

    /// Per statement text.
    pub static STATS: Mutex<Option<HashMap<String, Figures>>> = Mutex::new(None);

    pub fn start() {
        if let Ok(mut stats) = STATS.lock() {
            *stats = Some(HashMap::new());
        }
    }

    pub fn take() -> Vec<(String, Figures)> {
        let taken = STATS
            .lock()
            .ok()
            .and_then(|mut s| s.take())
            .unwrap_or_default();
        let mut rows: Vec<_> = taken.into_iter().collect();
        rows.sort_by(|a, b| b.1.2.total_cmp(&a.1.2));
        rows
    }

    #[derive(Default)]
    struct Fields {
        summary: String,
        statement: String,
        rows: u64,
        secs: f64,
    }

    impl Visit for Fields {
        fn record_str(&mut self, field: &Field, value: &str) {
            match field.name() {
                "summary" => self.summary = value.to_owned(),
                "db.statement" => self.statement = value.to_owned(),
                _ => {}
            }
        }
        fn record_u64(&mut self, field: &Field, value: u64) {
            if field.name() == "rows_returned" {
                self.rows = value;
            }
        }
        fn record_f64(&mut self, field: &Field, value: f64) {
            if field.name() == "elapsed_secs" {
                self.secs = value;
            }
        }
        fn record_debug(&mut self, _: &Field, _: &dyn std::fmt::Debug) {}
    }

    pub struct Layer;

    impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Layer {
        fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
            if event.metadata().target() != "sqlx::query" {
                return;
            }
            let mut fields = Fields::default();
            event.record(&mut fields);
            let text = if fields.statement.trim().is_empty() {
                fields.summary
            } else {
                fields.statement
            };
            let key: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
            if let Ok(mut guard) = STATS.lock()
                && let Some(stats) = guard.as_mut()
            {
                let entry = stats.entry(key).or_default();
                entry.0 += 1;
                entry.1 += fields.rows;
                entry.2 += fields.secs;
            }
        }
    }

    /// Prints the statements of one run, the costliest first.
    pub fn print(label: &str, wall: std::time::Duration) {
        let rows = take();
        let (count, returned, secs) = rows.iter().fold((0, 0, 0.0), |acc, (_, s)| {
            (acc.0 + s.0, acc.1 + s.1, acc.2 + s.2)
        });
        println!(
            "  profile {label}: {count} statements, {returned} rows returned, {:.1} ms in statements \
             (summed; they may overlap), wall {:.1} ms",
            secs * 1e3,
            wall.as_secs_f64() * 1e3
        );
        for (sql, (n, rows, secs)) in rows.iter().take(12) {
            let short: String = sql.chars().take(150).collect();
            println!(
                "    {n:>6} x {rows:>9} rows {:>9.1} ms  {short}",
                secs * 1e3
            );
        }
    }
}

/// A `0`/`1` variable, `default` when unset.
fn flag(name: &str, default: bool) -> bool {
    std::env::var(name).map_or(default, |v| v.trim() == "1")
}

fn profiling() -> bool {
    std::env::var("XIAXIANG_BENCH_PROFILE").is_ok_and(|v| v == "1")
}

/// Fields of `/proc/self/status` in KiB, in the order of `names` (`VmRSS:`, ...);
/// `None` where there is no such file or field.
fn status_kib<const N: usize>(names: [&str; N]) -> Option<[u64; N]> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
    };
    let mut out = [0; N];
    for (slot, name) in out.iter_mut().zip(names) {
        *slot = field(name)?;
    }
    Some(out)
}

/// The process's resident memory: (current, peak since the last reset) in KiB
/// (`VmRSS`, `VmHWM`).
fn resident_kib() -> Option<(u64, u64)> {
    status_kib(["VmRSS:", "VmHWM:"]).map(|[now, peak]| (now, peak))
}

/// The process's anonymous resident memory (heap and stacks, not the pages of the
/// database file SQLite maps), in KiB (`RssAnon`).
fn anonymous_kib() -> Option<u64> {
    status_kib(["RssAnon:"]).map(|[kib]| kib)
}

/// Samples [`anonymous_kib`] every 2 ms on a thread of its own until dropped; the
/// kernel keeps no peak of it.
struct AnonymousPeak {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    peak: std::sync::Arc<std::sync::atomic::AtomicU64>,
    sampler: Option<std::thread::JoinHandle<()>>,
}

impl AnonymousPeak {
    fn start() -> AnonymousPeak {
        use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let peak = std::sync::Arc::new(AtomicU64::new(anonymous_kib().unwrap_or(0)));
        let sampler = {
            let (stop, peak) = (stop.clone(), peak.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    if let Some(now) = anonymous_kib() {
                        peak.fetch_max(now, Ordering::Relaxed);
                    }
                    std::thread::sleep(Duration::from_millis(2));
                }
            })
        };
        AnonymousPeak {
            stop,
            peak,
            sampler: Some(sampler),
        }
    }

    /// The peak seen, in KiB.
    fn finish(mut self) -> u64 {
        use std::sync::atomic::Ordering;
        self.stop.store(true, Ordering::Relaxed);
        if let Some(sampler) = self.sampler.take() {
            let _ = sampler.join();
        }
        if let Some(now) = anonymous_kib() {
            self.peak.fetch_max(now, Ordering::Relaxed);
        }
        self.peak.load(Ordering::Relaxed)
    }
}

/// Resets the peak (`VmHWM`) to the current resident size; false where not allowed.
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// Peak resident memory of the province and county monthly and compliance reports,
/// as the endpoints answer them: the JSON body, and the XLSX (table and workbook).
async fn run_memory(target: &Target) -> anyhow::Result<()> {
    let (_clock, shared) = manual_clock(report_clock());
    let state = offline_state(&config(target.url.clone()), shared).await?;
    for code in ["390000", "390102"] {
        let place = state
            .store
            .jurisdiction(&JurisdictionCode::parse(code)?)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no {code} in {}", target.label))?;
        let scope = ReportScope::jurisdiction(place);
        for (report, format) in [
            ("monthly", "json"),
            ("monthly", "xlsx"),
            ("compliance", "json"),
            ("compliance", "xlsx"),
        ] {
            let reset = reset_peak();
            let before = resident_kib().unwrap_or_default().0;
            let anonymous_before = anonymous_kib().unwrap_or_default();
            let anonymous = AnonymousPeak::start();
            let bytes = match (report, format) {
                ("monthly", "json") => {
                    serde_json::to_vec(&monthly_report(&state, &scope, MONTH).await?)?.len()
                }
                ("monthly", _) => {
                    let r = monthly_report(&state, &scope, MONTH).await?;
                    let table = tables::monthly(&r);
                    drop(r);
                    xlsx::to_xlsx(&table)?.len()
                }
                (_, "json") => {
                    serde_json::to_vec(&compliance_report(&state, &scope, MONTH).await?)?.len()
                }
                _ => {
                    let r = compliance_report(&state, &scope, MONTH).await?;
                    let table = tables::compliance(&r);
                    drop(r);
                    xlsx::to_xlsx(&table)?.len()
                }
            };
            let anonymous_peak = anonymous.finish();
            let (after, peak) = resident_kib().unwrap_or_default();
            println!(
                "{:<18} memory {code} {report:<10} {format:<4} {:>9} bytes  resident before {:>7.1} MiB  \
                 peak {:>7.1} MiB{}  after {:>7.1} MiB  anonymous before {:>7.1} MiB  peak {:>7.1} MiB",
                target.label,
                bytes,
                before as f64 / 1024.0,
                peak as f64 / 1024.0,
                if reset {
                    ""
                } else {
                    " (process peak: clear_refs not allowed)"
                },
                after as f64 / 1024.0,
                anonymous_before as f64 / 1024.0,
                anonymous_peak as f64 / 1024.0,
            );
        }
    }
    state.store.close().await;
    Ok(())
}

/// The reports `XIAXIANG_BENCH_REPORTS` names (comma-separated), or all of them.
fn chosen_reports() -> Option<Vec<String>> {
    std::env::var("XIAXIANG_BENCH_REPORTS").ok().map(|list| {
        list.split(',')
            .map(|r| r.trim().to_owned())
            .filter(|r| !r.is_empty())
            .collect()
    })
}

/// What the server's ticks do after a load: the credit ledger of every day so far,
/// built from nothing (the first time) or of what changed since; timed.
async fn refresh_ledger(target: &Target) -> anyhow::Result<()> {
    let (_clock, shared) = manual_clock(report_clock());
    let state = offline_state(&config(target.url.clone()), shared).await?;
    let started = Instant::now();
    let refreshed = ledger::refresh_all(&state).await?;
    println!(
        "{:<18} credit ledger: {refreshed} assignments refreshed in {:.1} ms",
        target.label,
        started.elapsed().as_secs_f64() * 1e3
    );
    state.store.close().await;
    Ok(())
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// Times both reports over the province and over one county.
async fn run_reports(target: &Target, runs: usize) -> anyhow::Result<()> {
    let now = report_clock();
    let (_clock, shared) = manual_clock(now);
    let state = offline_state(&config(target.url.clone()), shared).await?;
    let province = state
        .store
        .jurisdiction(&JurisdictionCode::parse("390000")?)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no province in {}", target.label))?;
    let county = state
        .store
        .jurisdiction(&JurisdictionCode::parse("390102")?)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no county 390102 in {}", target.label))?;
    let chosen = chosen_reports();
    // One physician of the county for the service record (履职记录), as an admin.
    let physician = monthly_report(&state, &ReportScope::jurisdiction(county.clone()), MONTH)
        .await?
        .rows
        .first()
        .map(|r| r.physician_id)
        .ok_or_else(|| anyhow::anyhow!("no physician in county 390102"))?;
    let admin = Actor {
        user_id: uuid::Uuid::nil(),
        role: Role::Admin,
        scope: Scope::Everything,
    };
    for (scope_name, scope) in [
        (
            format!("province {}", province.code),
            ReportScope::jurisdiction(province.clone()),
        ),
        (
            format!("county {}", county.code),
            ReportScope::jurisdiction(county.clone()),
        ),
    ] {
        // `compliance-events`: the compliance report from the raw events, as before the
        // ledger (the same rows).
        for report in [
            "monthly",
            "compliance",
            "compliance-events",
            "statistics",
            "record",
        ]
        .into_iter()
        .filter(|r| chosen.as_ref().is_none_or(|c| c.iter().any(|x| x == r)))
        {
            let mut times = Vec::new();
            let mut rows = 0;
            for run in 0..=runs {
                if run == 0 && profiling() {
                    profile::start();
                }
                let started = Instant::now();
                rows = match report {
                    "monthly" => monthly_report(&state, &scope, MONTH).await?.rows.len(),
                    "compliance" => compliance_report(&state, &scope, MONTH).await?.rows.len(),
                    "compliance-events" => {
                        compliance_report_from(&state, &scope, MONTH, DaySource::Events)
                            .await?
                            .rows
                            .len()
                    }
                    "statistics" => county_statistics(&state, &scope, STATISTICS_YEAR)
                        .await?
                        .rows
                        .len(),
                    _ => service_record(&state, &admin, physician)
                        .await?
                        .postings
                        .len(),
                };
                if run > 0 {
                    times.push(started.elapsed());
                } else if profiling() {
                    profile::print(
                        &format!("{} {scope_name} {report}", target.label),
                        started.elapsed(),
                    );
                }
            }
            let best = times.iter().min().copied().unwrap_or_default();
            let mid = median(times);
            println!(
                "{:<18} {:<16} {:<10} {:>7} rows  median {:>9.1} ms  best {:>9.1} ms  {:>10.0} rows/s",
                target.label,
                scope_name,
                report,
                rows,
                mid.as_secs_f64() * 1e3,
                best.as_secs_f64() * 1e3,
                rows as f64 / mid.as_secs_f64().max(1e-9),
            );
        }
    }
    if flag("XIAXIANG_BENCH_VERIFY", false) {
        verify_compliance(&state, &ReportScope::jurisdiction(province), &target.label).await?;
    }
    state.store.close().await;
    Ok(())
}

/// Fails unless the compliance reports from the ledger equal those from the raw
/// events (every row and figure; the time generated aside).
async fn verify_compliance(
    state: &xiaxiang_server::state::AppState,
    scope: &ReportScope,
    label: &str,
) -> anyhow::Result<()> {
    for period in [MONTH, "2026-Q1", "2026-H1"] {
        let started = Instant::now();
        let ledger = compliance_report(state, scope, period).await?;
        let events = compliance_report_from(state, scope, period, DaySource::Events).await?;
        if let Some((a, b)) = ledger.rows.iter().zip(&events.rows).find(|(a, b)| a != b) {
            anyhow::bail!(
                "{label} {period}: the ledger's row {a:?} differs from the events' {b:?}"
            );
        }
        anyhow::ensure!(
            ledger.rows.len() == events.rows.len() && ledger.totals == events.totals,
            "{label} {period}: {} rows from the ledger, {} from the events",
            ledger.rows.len(),
            events.rows.len()
        );
        println!(
            "{label:<18} verified {period}: {} rows from the ledger equal the events' ({:.1} s)",
            ledger.rows.len(),
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

async fn bench() -> anyhow::Result<()> {
    let events = env_list("XIAXIANG_BENCH_EVENTS", "1000000");
    let runs = env_list("XIAXIANG_BENCH_RUNS", "3")
        .first()
        .copied()
        .unwrap_or(3)
        .max(1) as usize;
    let sqlite = std::env::var("XIAXIANG_BENCH_SQLITE").map_or(true, |v| v != "0");
    let postgres = std::env::var("XIAXIANG_BENCH_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty());
    for &n in &events {
        let mut targets = Vec::new();
        if sqlite {
            targets.push(sqlite_target(n)?);
        }
        if let Some(url) = &postgres {
            targets.push(postgres_target(url, n).await?);
        }
        for target in &targets {
            ensure_seeded(target, n).await?;
            if flag("XIAXIANG_BENCH_SEED_ONLY", false) {
                continue;
            }
            refresh_ledger(target).await?;
            if flag("XIAXIANG_BENCH_MEMORY", false) {
                run_memory(target).await?;
            }
            run_reports(target, runs).await?;
            if std::env::var("XIAXIANG_BENCH_TICKS").is_ok_and(|v| v == "1") {
                run_ticks(target).await?;
            }
        }
    }
    Ok(())
}

fn main() -> anyhow::Result<()> {
    if profiling() {
        use tracing_subscriber::layer::SubscriberExt;
        let subscriber = tracing_subscriber::registry().with(profile::Layer).with(
            tracing_subscriber::filter::Targets::new()
                .with_target("sqlx::query", tracing::Level::DEBUG),
        );
        tracing::subscriber::set_global_default(subscriber)?;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(bench())
}
