//! Time-driven work, run on a timer by every server process: closing visits at the end
//! of their local day, expiring presence checks whose deadline passed, judging
//! requirement periods that ended, raising reports filed late or not at all, and
//! check-ins whose required scan photo never came.
//!
//! Several processes may share one database, and any of them may have been down for a
//! while, so every step is a catch-up over what is due by the injected clock, and every
//! write is claimed or conditional: closing a visit and expiring a check are conditional
//! updates (`… WHERE status = 'open'/'pending'`), and a requirement period is claimed
//! in `job_runs` in the same transaction that raises its `requirement_missed`. Two
//! processes ticking at once do each piece of work once.
//!
//! Presence-check deadlines also go to a shared schedule in the cache (a Redis sorted
//! set; [`crate::service::inspections::note_presence_deadline`]), so that the timer's
//! tick with nothing due does no presence sweep of the database. The schedule is only
//! a hint: the timer still sweeps the database on its first tick, every
//! [`PRESENCE_FULL_SWEEP_EVERY`], on every tick while the cache is not shared (no
//! Redis, or Redis failing), and on the first tick after any Redis failure (a deadline
//! may have been lost meanwhile). [`run_once`] always sweeps in full. A deadline Redis
//! lost is thus expired at most one full-sweep interval late, never lost.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use mobile_api::CreditState as WireCredit;
use serde_json::json;
use tokio::task::JoinHandle;
use uuid::Uuid;

use crate::cache::keys;
use crate::domain::anomaly::AnomalyKind;
use crate::domain::assignment::Assignment;
use crate::domain::attendance::Policy;
use crate::domain::crediting::{self, CreditState, DayCreditSummary, Thresholds, VisitSpan};
use crate::domain::organization::Organization;
use crate::domain::program::Program;
use crate::domain::requirements::{self, ActivityKind, Progress, Requirement, Tally};
use crate::domain::window::local_date;
use crate::error::{ApiError, ApiResult};
use crate::service;
use crate::service::admin::programs::requirement_to_body;
use crate::state::AppState;
use crate::store::supervision::NewAnomaly;

/// The `job_runs.job` of requirement-period judgements; the run key is
/// `<assignment>:<requirement index>:<period start>`.
pub const REQUIREMENT_JOB: &str = "requirement_missed";

/// How far back a tick looks for ended periods it has not judged (downtime catch-up).
pub const LOOKBACK_DAYS: i64 = 400;

/// Presence checks expired per batch.
const EXPIRE_BATCH: u32 = 500;
/// Batches per tick: the rest waits for the next tick.
const EXPIRE_MAX_BATCHES: usize = 20;

/// How often the timer sweeps the database for missed presence checks although the
/// shared schedule says nothing is due (by the injected clock).
pub const PRESENCE_FULL_SWEEP_EVERY: Duration = Duration::minutes(10);

/// How long after a period's last local day it is judged: an offline scan may still be
/// uploaded for that long (the attendance policy's offline limit), and it would credit
/// the period it was scanned in.
pub fn settle_delay() -> Duration {
    Policy::default().offline_limit
}

/// What one tick did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TickReport {
    /// Open visits closed without check-out because their local day ended.
    pub closed_visits: usize,
    /// Presence checks found missed (each raised `presence_check_missed`).
    pub expired_presence_checks: usize,
    /// Requirement periods judged by this process (met or not).
    pub periods_judged: usize,
    /// Of those, periods that raised `requirement_missed`.
    pub requirements_missed: usize,
    /// Reports found overdue or filed late (`filing_missing`, `filing_late`).
    pub filing_anomalies: usize,
    /// Closed survey rounds whose names and phones were erased.
    pub surveys_erased: usize,
    /// Check-ins whose required scan photo never came (`photo_missing`).
    pub photos_missing: usize,
}

/// Starts the timer in the background (first tick at once, catching up on downtime),
/// unless the configured interval is zero.
pub fn spawn(state: AppState) -> Option<JoinHandle<()>> {
    let every = state.config.scheduler_interval;
    if every.is_zero() {
        tracing::info!("scheduler off in this process (CHECKIN_SCHEDULER_INTERVAL_SECONDS=0)");
        return None;
    }
    Some(tokio::spawn(run_periodically(state, every)))
}

async fn run_periodically(state: AppState, every: StdDuration) {
    let mut interval = tokio::time::interval(every);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut presence = PresenceSweep::default();
    loop {
        interval.tick().await;
        match run_steps(&state, &mut presence).await {
            Ok(report) if report == TickReport::default() => {}
            Ok(report) => tracing::info!(
                closed_visits = report.closed_visits,
                expired_presence_checks = report.expired_presence_checks,
                periods_judged = report.periods_judged,
                requirements_missed = report.requirements_missed,
                filing_anomalies = report.filing_anomalies,
                surveys_erased = report.surveys_erased,
                photos_missing = report.photos_missing,
                "scheduler tick"
            ),
            Err(error) => tracing::warn!(%error, "scheduler tick failed"),
        }
    }
}

/// Runs every step once at the clock's now, sweeping the database for every kind of
/// due work. A failing step does not stop the others; the first failure is answered
/// after all ran.
pub async fn run_once(state: &AppState) -> ApiResult<TickReport> {
    run_steps(state, &mut PresenceSweep::default()).await
}

/// When the timer last swept the database for missed presence checks.
#[derive(Debug, Default)]
struct PresenceSweep {
    /// When, by the injected clock, and the cache's failure count just before.
    last_full: Option<(DateTime<Utc>, u64)>,
}

impl PresenceSweep {
    /// Whether the shared schedule can stand in for a database sweep at `now`.
    fn schedule_suffices(&self, state: &AppState, now: DateTime<Utc>) -> bool {
        let Some((at, failures)) = self.last_full else {
            return false;
        };
        state.cache.is_shared()
            && state.cache.failures() == failures
            && at <= now
            && now - at < PRESENCE_FULL_SWEEP_EVERY
    }
}

async fn run_steps(state: &AppState, presence: &mut PresenceSweep) -> ApiResult<TickReport> {
    let mut report = TickReport::default();
    let mut first_error = None;
    match service::attendance::close_ended_visits(state).await {
        Ok(closed) => report.closed_visits = closed,
        Err(error) => first_error = first_error.or(Some(error)),
    }
    match expire_presence_checks(state, presence).await {
        Ok(expired) => report.expired_presence_checks = expired,
        Err(error) => first_error = first_error.or(Some(error)),
    }
    match judge_ended_periods(state).await {
        Ok((judged, missed)) => {
            report.periods_judged = judged;
            report.requirements_missed = missed;
        }
        Err(error) => first_error = first_error.or(Some(error)),
    }
    match service::filings::raise_filing_anomalies(state).await {
        Ok(raised) => report.filing_anomalies = raised,
        Err(error) => first_error = first_error.or(Some(error)),
    }
    match service::surveys::erase_due(state).await {
        Ok(erased) => report.surveys_erased = erased,
        Err(error) => first_error = first_error.or(Some(error)),
    }
    match service::photos::raise_missing_photos(state).await {
        Ok(raised) => report.photos_missing = raised,
        Err(error) => first_error = first_error.or(Some(error)),
    }
    match first_error {
        Some(error) => Err(error),
        None => Ok(report),
    }
}

/// Marks every pending check whose deadline passed as missed, raising
/// `presence_check_missed` for each: from the shared schedule when it suffices, else by
/// sweeping the database (also for deadlines that passed while no process ran).
async fn expire_presence_checks(state: &AppState, sweep: &mut PresenceSweep) -> ApiResult<usize> {
    let now = state.now();
    if sweep.schedule_suffices(state, now)
        && let Some(expired) = expire_scheduled_presence_checks(state, now).await?
    {
        return Ok(expired);
    }
    let failures = state.cache.failures();
    let expired = sweep_presence_checks(state, now).await?;
    sweep.last_full = Some((now, failures));
    Ok(expired)
}

/// Expires the checks the shared schedule says are due, taking each out of it once the
/// database no longer holds it pending. None when the schedule did not answer.
async fn expire_scheduled_presence_checks(
    state: &AppState,
    now: DateTime<Utc>,
) -> ApiResult<Option<usize>> {
    // The database expires deadlines strictly before now.
    let up_to = now.timestamp_millis() - 1;
    let mut expired = 0;
    for _ in 0..EXPIRE_MAX_BATCHES {
        let Ok(due) = state
            .cache
            .due(keys::PRESENCE_DEADLINES, up_to, EXPIRE_BATCH as usize)
            .await
        else {
            return Ok(None);
        };
        for member in &due {
            let check = match member.parse::<Uuid>() {
                Ok(id) => state.store.presence_check(id).await?,
                Err(_) => None,
            };
            if let Some(check) = check
                && state.store.expire_presence_check(&check, now).await?
            {
                expired += 1;
            }
            state
                .cache
                .unschedule(keys::PRESENCE_DEADLINES, member)
                .await;
        }
        if due.len() < EXPIRE_BATCH as usize {
            break;
        }
    }
    Ok(Some(expired))
}

/// Expires every pending check the database holds past its deadline.
async fn sweep_presence_checks(state: &AppState, now: DateTime<Utc>) -> ApiResult<usize> {
    let mut expired = 0;
    for _ in 0..EXPIRE_MAX_BATCHES {
        let due = state.store.due_presence_checks(now, EXPIRE_BATCH).await?;
        for check in &due {
            if state.store.expire_presence_check(check, now).await? {
                expired += 1;
            }
        }
        if due.len() < EXPIRE_BATCH as usize {
            break;
        }
    }
    Ok(expired)
}

/// One requirement period of one assignment that ended and is ready to be judged.
#[derive(Debug, Clone, PartialEq)]
pub struct DuePeriod {
    pub requirement_index: usize,
    pub requirement: Requirement,
    /// First and last local date, clipped to the assignment.
    pub period: (NaiveDate, NaiveDate),
    pub run_key: String,
}

/// The periods of `requirements` over the assignment that are due for judgement at
/// `now`: ended (in the site's time zone) at least [`settle_delay`] ago, within the
/// last [`LOOKBACK_DAYS`], and ended after the assignment was recorded (a period over
/// before anyone could check in under it is not held against the physician).
///
/// Requirements limited to an activity are judged too: activities can be logged
/// until the end of the day after a visit, well inside the settle delay.
pub fn due_periods(
    assignment: &Assignment,
    requirements: &[Requirement],
    tz: Tz,
    now: DateTime<Utc>,
) -> Vec<DuePeriod> {
    let oldest = local_date(now, tz) - Duration::days(LOOKBACK_DAYS);
    let settle = settle_delay();
    let mut due = Vec::new();
    for (index, requirement) in requirements.iter().enumerate() {
        for period in requirements::periods(requirement.period, assignment.date_range()) {
            let ended_at = crediting::close_of_local_day(period.1, tz);
            if ended_at + settle > now {
                break; // periods come in order: the later ones have not ended either
            }
            if period.1 < oldest || ended_at <= assignment.created_at {
                continue;
            }
            due.push(DuePeriod {
                requirement_index: index,
                requirement: *requirement,
                period,
                run_key: format!("{}:{}:{}", assignment.id, index, period.0),
            });
        }
    }
    due
}

/// Judges every due, unclaimed requirement period of every assignment that may have
/// one; answers (periods judged, requirement_missed raised) by this process.
async fn judge_ended_periods(state: &AppState) -> ApiResult<(usize, usize)> {
    let now = state.now();
    // Local dates differ from UTC by at most a day either way.
    let today = now.date_naive();
    let ended_since = today - Duration::days(LOOKBACK_DAYS + 1);
    let started_by = today + Duration::days(1);
    let claimer = format!(
        "pid {} tick {}",
        std::process::id(),
        Uuid::new_v4().simple()
    );
    let mut programs: HashMap<Uuid, Program> = HashMap::new();
    let mut sites: HashMap<Uuid, Organization> = HashMap::new();
    let (mut judged, mut missed) = (0, 0);
    // Working days are judged on the holiday schedules loaded (one small read a tick).
    let calendar = crate::service::admin::calendars::calendar(state).await?;
    for id in state
        .store
        .assignment_ids_between(ended_since, started_by)
        .await?
    {
        let Some(assignment) = state.store.assignment(id).await? else {
            continue;
        };
        if !programs.contains_key(&assignment.program_id) {
            let Some((program, _)) = state.store.program(assignment.program_id).await? else {
                continue;
            };
            programs.insert(program.id, program);
        }
        if !sites.contains_key(&assignment.site_id) {
            let Some(site) = state.store.organization(assignment.site_id).await? else {
                continue;
            };
            sites.insert(site.id, site);
        }
        let (Some(program), Some(site)) = (
            programs.get(&assignment.program_id),
            sites.get(&assignment.site_id),
        ) else {
            continue;
        };
        let due = due_periods(&assignment, &program.requirements, site.timezone, now);
        if due.is_empty() {
            continue;
        }
        let claimed = state
            .store
            .claimed_runs(REQUIREMENT_JOB, &format!("{}:", assignment.id))
            .await?;
        let due: Vec<DuePeriod> = due
            .into_iter()
            .filter(|d| !claimed.contains(&d.run_key))
            .collect();
        if due.is_empty() {
            continue;
        }
        let credit = AssignmentCredit::read(state, &assignment, program, site, &due).await?;
        let today = local_date(now, site.timezone);
        let counting = requirements::months_that_count(
            &program.requirements,
            &credit.days,
            assignment.date_range(),
        );
        for period in &due {
            let mut tally = Tally::from_days(&credit.days, period.period).on_calendar(
                &credit.days,
                period.period,
                &calendar,
            );
            if period.requirement.is_consecutive_span() {
                tally = tally.counting_only(&counting);
            }
            if let Some(kind) = period.requirement.activity {
                tally = tally
                    .with_activity(&credit.activity_days(kind), period.period)
                    .with_activity_count(&credit.activity_counts(kind), period.period);
            }
            let result = requirements::evaluate(&period.requirement, period.period, &tally, today);
            let anomaly = (result.status == Progress::Missed).then(|| NewAnomaly {
                id: Uuid::new_v4(),
                kind: AnomalyKind::RequirementMissed,
                physician_id: assignment.physician_id,
                site_id: Some(assignment.site_id),
                visit_id: None,
                event_ids: Vec::new(),
                detected_at: now,
                detail: json!({
                    "assignment_id": assignment.id,
                    "program_id": program.id,
                    "requirement_index": period.requirement_index,
                    "requirement": requirement_to_body(&period.requirement),
                    "description": period.requirement.describe_zh(),
                    "period_start": period.period.0,
                    "period_end": period.period.1,
                    "required": result.required,
                    "credited": result.credited,
                    "pending_visits": credit.pending_in(period.period),
                }),
            });
            if state
                .store
                .claim_job_raising(
                    REQUIREMENT_JOB,
                    &period.run_key,
                    &claimer,
                    now,
                    anomaly.as_ref(),
                )
                .await?
            {
                judged += 1;
                missed += usize::from(anomaly.is_some());
            }
        }
    }
    Ok((judged, missed))
}

/// An assignment's credit per local day over the due periods, as the physician's
/// summary computes it (only creditable visits count).
struct AssignmentCredit {
    days: BTreeMap<NaiveDate, DayCreditSummary>,
    /// The closed visits' spans, with the activities logged on each (current
    /// records, count > 0).
    spans: Vec<(VisitSpan, Vec<(ActivityKind, u64)>)>,
    /// The creditable visits' local dates with the activities logged on each.
    creditable: Vec<(NaiveDate, Vec<(ActivityKind, u64)>)>,
    thresholds: Thresholds,
    tz: Tz,
    /// Local dates of visits whose credit waits for an anomaly review.
    pending_dates: Vec<NaiveDate>,
}

impl AssignmentCredit {
    async fn read(
        state: &AppState,
        assignment: &Assignment,
        program: &Program,
        site: &Organization,
        due: &[DuePeriod],
    ) -> ApiResult<AssignmentCredit> {
        let from = due.iter().map(|d| d.period.0).min();
        let to = due.iter().map(|d| d.period.1).max();
        let (Some(from), Some(to)) = (from, to) else {
            return Err(ApiError::internal("no due period"));
        };
        let visits = service::visits::visits(state, assignment.physician_id, from, to).await?;
        let mine = visits.iter().filter(|v| v.assignment_id == assignment.id);
        let ids: Vec<Uuid> = mine.clone().map(|v| v.id).collect();
        let mut logged = state.store.current_activities(&ids).await?;
        let creditable = mine
            .clone()
            .filter(|v| v.credit_state == WireCredit::Creditable)
            .map(|v| (v.local_date, logged.get(&v.id).cloned().unwrap_or_default()))
            .collect();
        let spans: Vec<(VisitSpan, Vec<(ActivityKind, u64)>)> = mine
            .clone()
            .filter_map(|v| {
                let credit_state = match v.credit_state {
                    WireCredit::Creditable => CreditState::Creditable,
                    WireCredit::Pending => CreditState::Pending,
                    WireCredit::Denied => CreditState::Denied,
                    WireCredit::Open => return None,
                };
                let span = VisitSpan {
                    site_id: v.site_id,
                    checked_in_at: v.checked_in_at,
                    checked_out_at: v.checked_out_at?,
                    credit_state,
                };
                Some((span, logged.remove(&v.id).unwrap_or_default()))
            })
            .collect();
        let plain: Vec<VisitSpan> = spans.iter().map(|(span, _)| *span).collect();
        let pending_dates = mine
            .filter(|v| v.credit_state == WireCredit::Pending)
            .map(|v| v.local_date)
            .collect();
        Ok(AssignmentCredit {
            days: crediting::credit_by_day(&plain, site.timezone, &program.thresholds),
            spans,
            creditable,
            thresholds: program.thresholds,
            tz: site.timezone,
            pending_dates,
        })
    }

    /// Credit per day over only the visits on which `kind` was logged.
    fn activity_days(&self, kind: ActivityKind) -> BTreeMap<NaiveDate, DayCreditSummary> {
        let spans: Vec<VisitSpan> = self
            .spans
            .iter()
            .filter(|(_, logged)| logged.iter().any(|(k, _)| *k == kind))
            .map(|(span, _)| *span)
            .collect();
        crediting::credit_by_day(&spans, self.tz, &self.thresholds)
    }

    /// The count of `kind` logged per local date on creditable visits.
    fn activity_counts(&self, kind: ActivityKind) -> BTreeMap<NaiveDate, u64> {
        let mut out = BTreeMap::new();
        for (date, logged) in &self.creditable {
            for (_, count) in logged.iter().filter(|(k, _)| *k == kind) {
                *out.entry(*date).or_insert(0) += count;
            }
        }
        out
    }

    fn pending_in(&self, (first, last): (NaiveDate, NaiveDate)) -> usize {
        self.pending_dates
            .iter()
            .filter(|d| (first..=last).contains(*d))
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::assignment::Mode;
    use crate::domain::requirements::{Period, RequirementSpec};
    use crate::domain::window::DailyWindow;
    use chrono::TimeZone;

    const TZ: Tz = chrono_tz::Asia::Shanghai;

    fn local(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        TZ.with_ymd_and_hms(y, m, d, h, 0, 0)
            .single()
            .expect("valid")
            .with_timezone(&Utc)
    }

    fn date(text: &str) -> NaiveDate {
        text.parse().expect("date")
    }

    fn assignment(start: &str, end: &str, created_at: DateTime<Utc>) -> Assignment {
        Assignment {
            id: Uuid::new_v4(),
            physician_id: Uuid::new_v4(),
            site_id: Uuid::new_v4(),
            program_id: Uuid::new_v4(),
            mode: Mode::Circuit,
            start_date: date(start),
            end_date: date(end),
            window: DailyWindow::parse("08:00", "17:00").expect("window"),
            created_at,
        }
    }

    fn requirement(period: Period, activity: Option<ActivityKind>) -> Requirement {
        Requirement::from_spec(RequirementSpec {
            min_days: Some(1.0),
            activity,
            ..RequirementSpec::new(period)
        })
        .expect("valid")
    }

    #[test]
    fn a_month_is_due_once_the_offline_limit_after_its_last_local_day_passed() {
        let a = assignment("2026-03-01", "2026-12-31", local(2026, 3, 1, 9));
        let monthly = [requirement(Period::Month, None)];
        // March ends at 2026-04-01 00:00 local; due 72 h later.
        assert!(due_periods(&a, &monthly, TZ, local(2026, 4, 3, 23)).is_empty());
        let due = due_periods(&a, &monthly, TZ, local(2026, 4, 4, 0));
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].period, (date("2026-03-01"), date("2026-03-31")));
        assert_eq!(due[0].run_key, format!("{}:0:2026-03-01", a.id));
    }

    #[test]
    fn downtime_is_caught_up_over_every_period_that_ended() {
        let a = assignment("2026-03-01", "2026-12-31", local(2026, 3, 1, 9));
        let reqs = [
            requirement(Period::Month, None),
            requirement(Period::Week, None),
        ];
        let due = due_periods(&a, &reqs, TZ, local(2026, 6, 10, 12));
        let months: Vec<_> = due.iter().filter(|d| d.requirement_index == 0).collect();
        assert_eq!(months.len(), 3, "March, April, May");
        let weeks = due.iter().filter(|d| d.requirement_index == 1).count();
        // 2026-03-01 is a Sunday: a one-day stub week, then the full weeks to Sunday
        // 2026-05-31; the week to June 7 is not settled until June 11.
        assert_eq!(weeks, 1 + 13);
        let keys: std::collections::HashSet<_> = due.iter().map(|d| &d.run_key).collect();
        assert_eq!(keys.len(), due.len(), "run keys are unique");
    }

    #[test]
    fn periods_over_before_the_assignment_was_recorded_or_too_old_are_not_due() {
        let late = assignment("2026-01-01", "2026-12-31", local(2026, 3, 2, 9));
        let monthly = [requirement(Period::Month, None)];
        let due = due_periods(&late, &monthly, TZ, local(2026, 4, 10, 0));
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].period.0, date("2026-03-01"));

        let old = assignment("2024-01-01", "2026-12-31", local(2023, 12, 1, 9));
        let due = due_periods(&old, &monthly, TZ, local(2026, 4, 10, 0));
        assert!(
            due.iter().all(|d| d.period.1 >= date("2025-03-06")),
            "{due:?}"
        );
        assert_eq!(due.len(), 13, "2025-03 .. 2026-03");
    }

    #[test]
    fn the_whole_assignment_and_activity_periods_are_judged_after_they_end() {
        let a = assignment("2026-03-01", "2026-04-15", local(2026, 3, 1, 9));
        let reqs = [
            requirement(Period::Assignment, None),
            requirement(Period::Month, Some(ActivityKind::Training)),
        ];
        // March's training requirement is due 72 h after March ended.
        let due = due_periods(&a, &reqs, TZ, local(2026, 4, 18, 0));
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].requirement.activity, Some(ActivityKind::Training));
        assert_eq!(due[0].period, (date("2026-03-01"), date("2026-03-31")));
        let due = due_periods(&a, &reqs, TZ, local(2026, 4, 19, 0));
        assert_eq!(due.len(), 3);
        assert!(
            due.iter()
                .any(|d| d.period == (date("2026-03-01"), date("2026-04-15")))
        );
        assert!(
            due.iter()
                .any(|d| d.period == (date("2026-04-01"), date("2026-04-15")))
        );
    }
}
