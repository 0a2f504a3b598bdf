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
//! Requirement periods are found from a watermark (`job_watermarks`): the instant
//! through which every due period was judged. A tick looks only at the periods that
//! became due after it (none on most ticks: periods become due at a local midnight
//! plus [`settle_delay`]) and at the assignments recorded or changed since, so a tick
//! with nothing due costs the same whatever the history; the watermark moves once a
//! tick finished without error. Without a watermark (the first tick ever) a tick
//! looks back [`LOOKBACK_DAYS`], as it did before.
//!
//! Presence-check deadlines also go to a shared schedule in the cache (a Redis sorted
//! set; [`crate::service::inspections::note_presence_deadline`]), so that the timer's
//! tick with nothing due does no presence sweep of the database. The schedule is only
//! a hint: the timer still sweeps the database on its first tick, every
//! [`PRESENCE_FULL_SWEEP_EVERY`], on every tick while the cache is not shared (no
//! Redis, or Redis failing), and on the first tick after any Redis failure (a deadline
//! may have been lost meanwhile). [`run_once`] always sweeps in full. A deadline Redis
//! lost is thus expired at most one full-sweep interval late, never lost.

use std::collections::{BTreeMap, HashMap, HashSet};
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
    /// Assignments whose stale credit-ledger days were recomputed.
    pub ledger_refreshed: usize,
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
                ledger_refreshed = report.ledger_refreshed,
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
    // Last: the steps above close visits and raise anomalies, which mark days stale.
    match service::ledger::refresh(state).await {
        Ok(refreshed) => report.ledger_refreshed = refreshed,
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
    due_periods_after(assignment, requirements, tz, now, None)
}

/// The instant a period ending on local date `last` becomes due.
pub fn due_at(last: NaiveDate, tz: Tz) -> DateTime<Utc> {
    crediting::close_of_local_day(last, tz) + settle_delay()
}

/// [`due_periods`] that became due after `after` (all of them when `None`).
pub fn due_periods_after(
    assignment: &Assignment,
    requirements: &[Requirement],
    tz: Tz,
    now: DateTime<Utc>,
    after: Option<DateTime<Utc>>,
) -> Vec<DuePeriod> {
    let oldest = local_date(now, tz) - Duration::days(LOOKBACK_DAYS);
    let mut due = Vec::new();
    for (index, requirement) in requirements.iter().enumerate() {
        for period in requirements::periods(requirement.period, assignment.date_range()) {
            let ended_at = crediting::close_of_local_day(period.1, tz);
            let due_instant = due_at(period.1, tz);
            if due_instant > now {
                break; // periods come in order: the later ones have not ended either
            }
            if period.1 < oldest
                || ended_at <= assignment.created_at
                || after.is_some_and(|after| due_instant <= after)
            {
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

/// The local dates, in any of `zones`, whose periods become due in `(after, now]`:
/// the first and last such date, `None` when there is none (most ticks).
pub fn ends_due_between(
    zones: &[Tz],
    after: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<(NaiveDate, NaiveDate)> {
    if now <= after {
        return None;
    }
    let settle = settle_delay();
    let mut range: Option<(NaiveDate, NaiveDate)> = None;
    for &tz in zones {
        // A day's end is its next day's start; a day or two of slack either side.
        let first = local_date(after - settle, tz) - Duration::days(2);
        let last = local_date(now - settle, tz) + Duration::days(1);
        let mut date = first;
        while date <= last {
            let at = due_at(date, tz);
            if at > after && at <= now {
                range = Some(match range {
                    None => (date, date),
                    Some((lo, hi)) => (lo.min(date), hi.max(date)),
                });
            }
            date += Duration::days(1);
        }
    }
    range
}

/// Assignments recorded or changed this long before the watermark are looked at
/// again in full (a write committed a little after its clock time).
pub const CHANGE_MARGIN: Duration = Duration::minutes(10);

/// Which of an assignment's due periods a tick at `now` judges, given the watermark
/// `after` (`None`: every due period in the look-back) and whether the assignment was
/// recorded or had its terms changed since shortly before it (then every due period:
/// its periods may have been shaped after the watermark passed them).
pub fn periods_to_judge(
    assignment: &Assignment,
    requirements: &[Requirement],
    tz: Tz,
    now: DateTime<Utc>,
    after: Option<DateTime<Utc>>,
    changed_since_watermark: bool,
) -> Vec<DuePeriod> {
    let after = if changed_since_watermark { None } else { after };
    due_periods_after(assignment, requirements, tz, now, after)
}

/// Judges every due, unclaimed requirement period of every assignment that may have
/// one; answers (periods judged, requirement_missed raised) by this process.
async fn judge_ended_periods(state: &AppState) -> ApiResult<(usize, usize)> {
    let now = state.now();
    let watermark = state.store.job_watermark(REQUIREMENT_JOB).await?;
    // The assignments to look at, each with whether it is looked at in full.
    let mut candidates: Vec<(Assignment, bool)> = Vec::new();
    match watermark {
        Some(after) if after >= now => return Ok((0, 0)),
        Some(after) => {
            let zones = state.store.site_timezones().await?;
            let changed = state
                .store
                .assignments_changed_since(after - CHANGE_MARGIN)
                .await?;
            let changed_ids: HashSet<Uuid> = changed.iter().map(|a| a.id).collect();
            if let Some((from, to)) = ends_due_between(&zones, after, now) {
                for assignment in state.store.assignments_between(from, to).await? {
                    if !changed_ids.contains(&assignment.id) {
                        candidates.push((assignment, false));
                    }
                }
            }
            candidates.extend(changed.into_iter().map(|a| (a, true)));
        }
        None => {
            // Local dates differ from UTC by at most a day either way.
            let today = now.date_naive();
            let ended_since = today - Duration::days(LOOKBACK_DAYS + 1);
            let started_by = today + Duration::days(1);
            for assignment in state
                .store
                .assignments_between(ended_since, started_by)
                .await?
            {
                candidates.push((assignment, true));
            }
        }
    }
    let claimer = format!(
        "pid {} tick {}",
        std::process::id(),
        Uuid::new_v4().simple()
    );
    let mut programs: HashMap<Uuid, Program> = HashMap::new();
    let mut sites: HashMap<Uuid, Organization> = HashMap::new();
    let (mut judged, mut missed) = (0, 0);
    // Working days are judged on the holiday schedules loaded (one small read when
    // anything may be due).
    let mut calendar = None;
    for (assignment, in_full) in &candidates {
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
        let due = periods_to_judge(
            assignment,
            &program.requirements,
            site.timezone,
            now,
            watermark,
            *in_full,
        );
        if due.is_empty() {
            continue;
        }
        let keys: Vec<String> = due.iter().map(|d| d.run_key.clone()).collect();
        let claimed = state.store.claimed_among(REQUIREMENT_JOB, &keys).await?;
        let due: Vec<DuePeriod> = due
            .into_iter()
            .filter(|d| !claimed.contains(&d.run_key))
            .collect();
        if due.is_empty() {
            continue;
        }
        if calendar.is_none() {
            calendar = Some(crate::service::admin::calendars::calendar(state).await?);
        }
        let Some(calendar) = calendar.as_ref() else {
            continue;
        };
        let credit = AssignmentCredit::read(state, assignment, program, site, &due).await?;
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
                calendar,
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
    // Everything due by now was judged (by this process or another one).
    state
        .store
        .advance_job_watermark(REQUIREMENT_JOB, now)
        .await?;
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

    /// A small deterministic generator for the tick schedule (no rand in the tests).
    struct Lcg(u64);

    impl Lcg {
        fn next(&mut self, below: u64) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (self.0 >> 33) % below.max(1)
        }
    }

    /// One modelled assignment: its terms may change (ended early) at `changes_at`.
    struct Modelled {
        before: Assignment,
        after: Option<(DateTime<Utc>, Assignment)>,
        tz: Tz,
        requirements: Vec<Requirement>,
    }

    impl Modelled {
        /// The assignment as stored at `now`, with when it last changed; none
        /// before it was recorded.
        fn at(&self, now: DateTime<Utc>) -> Option<(&Assignment, DateTime<Utc>)> {
            if self.before.created_at > now {
                return None;
            }
            match &self.after {
                Some((at, changed)) if *at <= now => Some((changed, *at)),
                _ => Some((&self.before, self.before.created_at)),
            }
        }
    }

    fn world() -> Vec<Modelled> {
        let shanghai = chrono_tz::Asia::Shanghai;
        let urumqi = chrono_tz::Asia::Urumqi;
        let new_york = chrono_tz::America::New_York;
        let reqs = vec![
            requirement(Period::Month, None),
            requirement(Period::Week, None),
            requirement(Period::Quarter, None),
            requirement(Period::Assignment, None),
            requirement(Period::Month, Some(ActivityKind::Training)),
        ];
        let mut out = Vec::new();
        for (i, (start, end, created, tz)) in [
            ("2025-01-01", "2026-06-30", local(2024, 12, 20, 9), shanghai),
            ("2025-03-10", "2025-09-09", local(2025, 3, 9, 18), urumqi),
            // Recorded late: its early periods are not held against anyone.
            ("2025-02-01", "2026-01-31", local(2025, 4, 17, 10), new_york),
            ("2025-06-01", "2026-05-31", local(2025, 5, 30, 23), shanghai),
        ]
        .into_iter()
        .enumerate()
        {
            let before = assignment(start, end, created);
            // The second one is ended early, after the watermark passed its new end.
            let after = (i == 1).then(|| {
                let mut ended = before.clone();
                ended.end_date = date("2025-07-13");
                (local(2025, 7, 25, 11), ended)
            });
            out.push(Modelled {
                before,
                after,
                tz,
                requirements: reqs.clone(),
            });
        }
        out
    }

    /// Periods judged by a tick at `now` the way the scheduler picks them from the
    /// watermark (candidates as its store reads select them).
    fn judged_from_watermark(
        world: &[Modelled],
        watermark: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Vec<String> {
        if watermark.is_some_and(|w| w >= now) {
            return Vec::new();
        }
        let zones: Vec<Tz> = world.iter().map(|m| m.tz).collect();
        let ends = watermark.and_then(|w| ends_due_between(&zones, w, now));
        let mut keys = Vec::new();
        for m in world {
            let Some((a, changed_at)) = m.at(now) else {
                continue;
            };
            let changed = watermark.is_some_and(|w| changed_at > w - CHANGE_MARGIN);
            let overlaps = ends.is_some_and(|(from, to)| a.start_date <= to && a.end_date >= from);
            if watermark.is_some() && !changed && !overlaps {
                continue;
            }
            let due = periods_to_judge(a, &m.requirements, m.tz, now, watermark, changed);
            keys.extend(due.into_iter().map(|d| d.run_key));
        }
        keys
    }

    /// Periods judged by a tick at `now` the way the scheduler did before the
    /// watermark: every due period in the look-back.
    fn judged_by_look_back(world: &[Modelled], now: DateTime<Utc>) -> Vec<String> {
        world
            .iter()
            .filter_map(|m| m.at(now).map(|(a, _)| (a, m)))
            .flat_map(|(a, m)| due_periods(a, &m.requirements, m.tz, now))
            .map(|d| d.run_key)
            .collect()
    }

    #[test]
    fn ticks_from_a_watermark_judge_the_periods_the_look_back_judged() {
        let world = world();
        for seed in 1..=6u64 {
            let mut rng = Lcg(seed);
            let mut now = local(2024, 12, 1, 0);
            let end = local(2026, 9, 1, 0);
            let (mut old_claims, mut new_claims) = (
                std::collections::HashSet::new(),
                std::collections::HashSet::new(),
            );
            // The watermark survives restarts (it is stored); a failed tick leaves it.
            let mut watermark: Option<DateTime<Utc>> = None;
            let mut ticks = 0;
            while now < end {
                now += match rng.next(10) {
                    // Two processes (or a restart) at the same instant.
                    0 => Duration::zero(),
                    // Exactly when a Shanghai period becomes due, or just before.
                    1 => {
                        let next = due_at(local_date(now, TZ), TZ) - now;
                        if next > Duration::zero() {
                            next
                        } else {
                            Duration::minutes(1)
                        }
                    }
                    2 => {
                        let next =
                            due_at(local_date(now, TZ), TZ) - now - Duration::milliseconds(1);
                        if next > Duration::zero() {
                            next
                        } else {
                            Duration::minutes(1)
                        }
                    }
                    // Downtime of up to three weeks.
                    3 => Duration::hours(rng.next(24 * 21) as i64 + 1),
                    _ => Duration::minutes(rng.next(60 * 30) as i64 + 1),
                };
                let old: Vec<String> = judged_by_look_back(&world, now)
                    .into_iter()
                    .filter(|k| !old_claims.contains(k))
                    .collect();
                let new: Vec<String> = judged_from_watermark(&world, watermark, now)
                    .into_iter()
                    .filter(|k| !new_claims.contains(k))
                    .collect();
                let mut sorted_old = old.clone();
                sorted_old.sort();
                let mut sorted_new = new.clone();
                sorted_new.sort();
                assert_eq!(sorted_new, sorted_old, "seed {seed}, tick at {now}");
                old_claims.extend(old);
                new_claims.extend(new);
                // Now and then a tick fails before it moves the watermark.
                if rng.next(7) != 0 {
                    watermark = Some(watermark.map_or(now, |w| w.max(now)));
                }
                ticks += 1;
            }
            assert!(ticks > 200, "{ticks} ticks");
            assert_eq!(old_claims, new_claims);
            assert!(
                old_claims.len() > 200,
                "{} periods judged",
                old_claims.len()
            );
        }
    }

    #[test]
    fn a_tick_with_nothing_due_finds_no_end_date() {
        let zones = [TZ, chrono_tz::Asia::Urumqi];
        // Shanghai's 2026-03-31 is due at 2026-04-04 00:00 local; Urumqi's two hours later.
        let due = due_at(date("2026-03-31"), TZ);
        assert_eq!(due, local(2026, 4, 4, 0));
        assert_eq!(
            ends_due_between(&zones, due - Duration::minutes(1), due),
            Some((date("2026-03-31"), date("2026-03-31")))
        );
        assert_eq!(
            ends_due_between(&zones, due, due + Duration::minutes(1)),
            None
        );
        assert_eq!(
            ends_due_between(&zones, due + Duration::hours(1), due + Duration::hours(3)),
            Some((date("2026-03-31"), date("2026-03-31"))),
            "Urumqi's midnight"
        );
        assert_eq!(ends_due_between(&zones, due, due), None);
        assert_eq!(
            ends_due_between(&zones, due - Duration::days(10), due),
            Some((date("2026-03-21"), date("2026-03-31"))),
            "Shanghai's 03-22 .. 03-31 and Urumqi's 03-21 .. 03-30"
        );
    }
}
