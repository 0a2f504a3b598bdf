//! The reports' computations as plain async functions (benchmarks call them without
//! HTTP): each fetches the scope's assignments, visits, anomalies and activities in a
//! few set-based queries, applies the crediting rules of [`crate::service::visits`] and
//! [`crediting::credit_by_day`], and aggregates in memory.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{Datelike, Days, NaiveDate};
use chrono_tz::Tz;
use mobile_api as wire;
use uuid::Uuid;

use crate::domain::access::{Actor, Role, Scope};
use crate::domain::assignment::Assignment;
use crate::domain::assignment_terms::{TermsVersion, window_on};
use crate::domain::credit_ledger::{self, DayLedger};
use crate::domain::crediting::{self, CreditState, DayCreditSummary, Thresholds, VisitSpan};
use crate::domain::jurisdiction::{Jurisdiction, JurisdictionCode, JurisdictionPath, Level};
use crate::domain::organization::DEFAULT_TIMEZONE;
use crate::domain::program::Program;
use crate::domain::reports::{self as rules, ActivityTotals, ReportPeriod, ServiceFact};
use crate::domain::requirements::{self, ActivityKind, Tally};
use crate::domain::window::local_date;
use crate::error::{ApiError, ApiResult};
use crate::service::admin::programs::requirement_to_body;
use crate::service::audit::{self, Change};
use crate::service::visits::{check_out_granted, credit_state, granted_check_out, parse_month};
use crate::state::AppState;
use crate::store::attendance::{VisitAnomaly, VisitRecord};
use crate::store::ledger::LedgerSource;
use crate::store::reports::{
    CountyFactsRecord, ReportFilter, ReportPhysician, ReportSite, VisitActivity,
};

/// The largest figure a bureau may record for one county and year.
const MAX_FACT: u32 = 1_000_000;
/// Years a report or a recorded fact may be about.
const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// What a report covers: the sites of one jurisdiction subtree (every site when
/// `None`), and only the physicians of one hospital when `hospital` is set.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReportScope {
    pub jurisdiction: Option<Jurisdiction>,
    pub hospital: Option<Uuid>,
    /// One receiving site (a clinic administrator's own), with its name: only the
    /// assignments at it count.
    pub site: Option<(Uuid, String)>,
}

impl ReportScope {
    /// Everything: every site, every physician.
    pub fn everything() -> ReportScope {
        ReportScope::default()
    }

    /// The sites of `jurisdiction` and below.
    pub fn jurisdiction(jurisdiction: Jurisdiction) -> ReportScope {
        ReportScope {
            jurisdiction: Some(jurisdiction),
            hospital: None,
            site: None,
        }
    }

    pub fn within(&self) -> Option<&JurisdictionPath> {
        self.jurisdiction.as_ref().map(|j| &j.path)
    }

    fn code(&self) -> Option<String> {
        self.jurisdiction.as_ref().map(|j| j.code.to_string())
    }

    /// The name a report's title gives its scope.
    pub fn name(&self) -> String {
        if let Some((_, name)) = &self.site {
            return name.clone();
        }
        self.jurisdiction
            .as_ref()
            .map_or_else(|| "全部辖区".to_owned(), |j| j.name.clone())
    }

    fn filter(&self, (from, to): (NaiveDate, NaiveDate)) -> ReportFilter<'_> {
        ReportFilter {
            within: self.within(),
            hospital: self.hospital,
            from,
            to,
        }
    }
}

fn parse_code(field: &str, raw: &str) -> ApiResult<JurisdictionCode> {
    JurisdictionCode::parse(raw)
        .map_err(|_| ApiError::invalid(format!("{field}: {raw:?} is not a 6-digit code")))
}

/// The scope a caller's report covers (API.md, "Reports").
///
/// - supervisor: `jurisdiction_code` defaults to their own; a code outside their
///   subtree reads as unknown (404);
/// - admin: any jurisdiction; without `jurisdiction_code` every site;
/// - hospital_admin: only their own organization's physicians, wherever they
///   served; `jurisdiction_code` optionally narrows the sites;
/// - every other role: 403.
pub async fn resolve_scope(
    state: &AppState,
    actor: &Actor,
    jurisdiction_code: Option<&str>,
) -> ApiResult<ReportScope> {
    actor.require(&[Role::Admin, Role::Supervisor, Role::HospitalAdmin])?;
    let code = match (jurisdiction_code, &actor.scope) {
        (Some(raw), _) => Some(parse_code("jurisdiction_code", raw)?),
        (None, Scope::Jurisdiction(path)) => {
            let own = path.as_str().rsplit('/').next().unwrap_or_default();
            Some(parse_code("jurisdiction_code", own)?)
        }
        (None, _) => None,
    };
    let jurisdiction = match code {
        Some(code) => {
            let found = state
                .store
                .jurisdiction(&code)
                .await?
                .ok_or(ApiError::NotFound)?;
            if let Scope::Jurisdiction(root) = &actor.scope
                && !root.contains(&found.path)
            {
                return Err(ApiError::NotFound);
            }
            Some(found)
        }
        None => None,
    };
    let hospital = match (&actor.role, &actor.scope) {
        (Role::HospitalAdmin, Scope::Organization(id)) => Some(*id),
        (Role::HospitalAdmin, _) => return Err(ApiError::Forbidden),
        _ => None,
    };
    Ok(ReportScope {
        jurisdiction,
        hospital,
        site: None,
    })
}

/// The monthly report's scope: as [`resolve_scope`], and for a clinic administrator
/// its own site (丰泽: the receiving clinic files the monthly report), within the
/// site's jurisdiction; a clinic administrator may not name a jurisdiction (404).
pub async fn resolve_monthly_scope(
    state: &AppState,
    actor: &Actor,
    jurisdiction_code: Option<&str>,
) -> ApiResult<ReportScope> {
    let (Role::ClinicAdmin, Scope::Organization(own)) = (&actor.role, &actor.scope) else {
        return resolve_scope(state, actor, jurisdiction_code).await;
    };
    let site = state
        .store
        .organization(*own)
        .await?
        .ok_or(ApiError::NotFound)?;
    let jurisdiction = state
        .store
        .jurisdiction(&site.jurisdiction_code)
        .await?
        .ok_or(ApiError::NotFound)?;
    if let Some(raw) = jurisdiction_code
        && parse_code("jurisdiction_code", raw)? != site.jurisdiction_code
    {
        return Err(ApiError::NotFound);
    }
    Ok(ReportScope {
        jurisdiction: Some(jurisdiction),
        hospital: None,
        site: Some((site.id, site.name)),
    })
}

/// One visit as the reports count it: its credit state, the span it is credited
/// over (`None` while open or when closed without a check-out) and its activities.
struct CountedVisit {
    record: VisitRecord,
    state: wire::CreditState,
    span: Option<VisitSpan>,
    activities: Vec<(ActivityKind, u64)>,
}

impl CountedVisit {
    fn logged(&self, kind: ActivityKind) -> bool {
        self.activities.iter().any(|(k, n)| *k == kind && *n > 0)
    }

    fn add_activities(&self, totals: &mut ActivityTotals) {
        for &(kind, count) in &self.activities {
            totals.add(kind, count);
        }
    }
}

/// The assignments, programs, sites and physicians a report is about.
struct Frame {
    assignments: Vec<Assignment>,
    programs: HashMap<Uuid, Program>,
    sites: HashMap<Uuid, ReportSite>,
    physicians: HashMap<Uuid, ReportPhysician>,
}

impl Frame {
    /// An assignment with its site and program, when both are known.
    fn resolve<'a>(&'a self, a: &'a Assignment) -> Option<(&'a ReportSite, &'a Program)> {
        Some((
            self.sites.get(&a.site_id)?,
            self.programs.get(&a.program_id)?,
        ))
    }
}

/// Programs by id: one query per distinct program, which a province counts in tens.
async fn programs(
    state: &AppState,
    ids: impl IntoIterator<Item = Uuid>,
) -> ApiResult<HashMap<Uuid, Program>> {
    let ids: BTreeSet<Uuid> = ids.into_iter().collect();
    let mut out = HashMap::with_capacity(ids.len());
    for id in ids {
        if let Some((program, _)) = state.store.program(id).await? {
            out.insert(id, program);
        }
    }
    Ok(out)
}

async fn load_frame(
    state: &AppState,
    scope: &ReportScope,
    range: (NaiveDate, NaiveDate),
) -> ApiResult<Frame> {
    let filter = scope.filter(range);
    let (assignments, physicians, sites) = tokio::try_join!(
        state.store.report_assignments(&filter),
        state.store.report_physicians(&filter),
        state.store.report_sites(scope.within()),
    )?;
    let mut assignments = assignments;
    if let Some((site, _)) = &scope.site {
        assignments.retain(|a| a.site_id == *site);
    }
    let programs = programs(state, assignments.iter().map(|a| a.program_id)).await?;
    Ok(Frame {
        assignments,
        programs,
        sites: sites.into_iter().map(|s| (s.id, s)).collect(),
        physicians: physicians.into_iter().map(|p| (p.id, p)).collect(),
    })
}

/// Visits with their credit, grouped by assignment; visits of assignments or
/// sites not in the maps are left out.
fn count_visits(
    records: Vec<VisitRecord>,
    anomalies: &[VisitAnomaly],
    activities: &[VisitActivity],
    assignments: &HashMap<Uuid, &Assignment>,
    replaced: &HashMap<Uuid, Vec<TermsVersion>>,
    timezones: &HashMap<Uuid, Tz>,
) -> HashMap<Uuid, Vec<CountedVisit>> {
    let mut anomalies_of: HashMap<Uuid, Vec<&VisitAnomaly>> = HashMap::new();
    for anomaly in anomalies {
        anomalies_of
            .entry(anomaly.visit_id)
            .or_default()
            .push(anomaly);
    }
    let mut activities_of: HashMap<Uuid, Vec<(ActivityKind, u64)>> = HashMap::new();
    for activity in activities {
        activities_of
            .entry(activity.visit_id)
            .or_default()
            .push((activity.kind, activity.count));
    }
    let mut out: HashMap<Uuid, Vec<CountedVisit>> = HashMap::new();
    for record in records {
        let (Some(assignment), Some(timezone)) = (
            assignments.get(&record.assignment_id),
            timezones.get(&record.site_id),
        ) else {
            continue;
        };
        let mine = anomalies_of.get(&record.id).map_or(&[][..], Vec::as_slice);
        let state = credit_state(&record, mine);
        let checked_out = record.checked_out_at.or_else(|| {
            check_out_granted(&record, mine).then(|| {
                // The window of the terms in force on the visit's day.
                let past = replaced
                    .get(&record.assignment_id)
                    .map_or(&[][..], Vec::as_slice);
                let window = window_on(assignment, past, record.local_date);
                granted_check_out(&record, &window, *timezone)
            })
        });
        let credit = match state {
            wire::CreditState::Creditable => Some(CreditState::Creditable),
            wire::CreditState::Pending => Some(CreditState::Pending),
            wire::CreditState::Denied => Some(CreditState::Denied),
            wire::CreditState::Open => None,
        };
        let span = match (credit, checked_out) {
            (Some(credit_state), Some(checked_out_at)) => Some(VisitSpan {
                site_id: record.site_id,
                checked_in_at: record.checked_in_at,
                checked_out_at,
                credit_state,
            }),
            _ => None,
        };
        let activities = activities_of.remove(&record.id).unwrap_or_default();
        out.entry(record.assignment_id)
            .or_default()
            .push(CountedVisit {
                record,
                state,
                span,
                activities,
            });
    }
    out
}

/// The scope's visits in `range` (local dates) with anomalies and activities.
async fn load_visits(
    state: &AppState,
    scope: &ReportScope,
    range: (NaiveDate, NaiveDate),
    frame: &Frame,
) -> ApiResult<HashMap<Uuid, Vec<CountedVisit>>> {
    let filter = scope.filter(range);
    let (records, anomalies, activities, replaced) = tokio::try_join!(
        state.store.report_visits(&filter),
        state.store.report_anomalies(&filter),
        state.store.report_activities(&filter),
        state.store.all_replaced_terms(),
    )?;
    let assignments: HashMap<Uuid, &Assignment> =
        frame.assignments.iter().map(|a| (a.id, a)).collect();
    Ok(count_visits(
        records,
        &anomalies,
        &activities,
        &assignments,
        &replaced,
        &timezones_of(&frame.sites),
    ))
}

/// Above this many assignments with stale days, a report reads the events of its
/// whole scope instead of naming them (a few in unit tests, so the synthetic
/// province's tests take both ways).
const STALE_BY_ID: usize = if cfg!(test) { 8 } else { 400 };

/// The local dates of an assignment's ledger a report judges: the periods summed
/// over every visit (`spans`, each summed as a whole), and as ranges from the day
/// before each period (a visit may run past midnight into its first day) over every
/// visit (`days`) and over the visits with an activity (`activity_days`, the periods
/// of its activity requirements only).
#[derive(Debug, Default)]
struct LedgerNeeds {
    spans: HashMap<Uuid, Vec<(NaiveDate, NaiveDate)>>,
    days: HashMap<Uuid, (NaiveDate, NaiveDate)>,
    activity_days: HashMap<Uuid, (NaiveDate, NaiveDate)>,
}

impl LedgerNeeds {
    /// Notes that `assignment` is judged over `period`, with its activity rows too
    /// when `with_activity`.
    fn add(&mut self, assignment: Uuid, period: (NaiveDate, NaiveDate), with_activity: bool) {
        self.spans.entry(assignment).or_default().push(period);
        let range = (day_before(period.0), period.1);
        let widen = |need: &mut (NaiveDate, NaiveDate)| {
            *need = (need.0.min(range.0), need.1.max(range.1));
        };
        widen(self.days.entry(assignment).or_insert(range));
        if with_activity {
            widen(self.activity_days.entry(assignment).or_insert(range));
        }
    }

    /// What to read of the ledger for the assignments not in `recomputed`: per
    /// assignment, the runs of whole months of its spans that no span cuts as sums
    /// and its spans' other dates as days, both over every visit (see
    /// [`credit_ledger::months_to_sum`]), and its activity rows over the dates of its
    /// activity requirements.
    fn reads(&self, recomputed: &HashSet<Uuid>) -> LedgerReads {
        let mut reads = LedgerReads::default();
        for (id, spans) in self.spans.iter().filter(|(id, _)| !recomputed.contains(id)) {
            let (months, days) = credit_ledger::months_to_sum(spans);
            reads
                .month_sums
                .extend(months.into_iter().map(|run| (*id, run)));
            reads.days.extend(days.into_iter().map(|run| (*id, run)));
        }
        reads.activity_days = self
            .activity_days
            .iter()
            .filter(|(id, _)| !recomputed.contains(id))
            .map(|(id, need)| (*id, *need))
            .collect();
        reads
    }
}

/// A report's ledger reads, as (assignment, local dates).
#[derive(Debug, Default)]
struct LedgerReads {
    month_sums: Vec<(Uuid, (NaiveDate, NaiveDate))>,
    days: Vec<(Uuid, (NaiveDate, NaiveDate))>,
    activity_days: Vec<(Uuid, (NaiveDate, NaiveDate))>,
}

/// The ledgers of the frame's assignments, each over the local dates it `needs`
/// (an assignment not named needs none): the whole months its periods sum (a
/// month, a quarter, a year, the whole posting) as one stored row a month
/// (`credit_ledger_months`), the dates of the months its periods cut (weeks, a
/// posting's first and last month) as day rows, and the activities' rows over its
/// activity requirements' periods — each read by the key, through a list of
/// (assignment, from, to) — and for an assignment with a stale mark in its range its
/// raw events (visits from the day before), credited as the ledger would be.
async fn load_ledgers(
    state: &AppState,
    scope: &ReportScope,
    needs: &LedgerNeeds,
    frame: &Frame,
    kinds: &BTreeSet<ActivityKind>,
) -> ApiResult<HashMap<Uuid, DayLedger>> {
    let Some(whole) = union_of(needs.days.values().copied()) else {
        return Ok(HashMap::new());
    };
    // The marks first: a row read after them is current unless it was marked (a
    // refresh in between only writes rows that agree with the events).
    let stale = state.store.ledger_stale_in(&scope.filter(whole)).await?;
    let stale: Vec<(&Assignment, (NaiveDate, NaiveDate))> = frame
        .assignments
        .iter()
        .filter_map(|a| Some((a, *needs.days.get(&a.id)?)))
        .filter(|(a, need)| stale.get(&a.id).is_some_and(|s| s.touches(*need)))
        .collect();
    let recomputed: HashSet<Uuid> = stale.iter().map(|(a, _)| a.id).collect();
    let reads = needs.reads(&recomputed);
    let mut ledgers = HashMap::new();
    state
        .store
        .add_ledger_month_sums(&mut ledgers, &reads.month_sums)
        .await?;
    state
        .store
        .add_ledger_rows_over(&mut ledgers, &reads.days, true, &BTreeSet::new())
        .await?;
    state
        .store
        .add_ledger_rows_over(&mut ledgers, &reads.activity_days, false, kinds)
        .await?;
    let Some(range) = union_of(stale.iter().map(|(_, need)| *need)) else {
        return Ok(ledgers);
    };
    let visits = if stale.len() > STALE_BY_ID {
        // Most of the scope (a ledger still being built): one scoped read.
        load_visits(state, scope, (day_before(range.0), range.1), frame).await?
    } else {
        let pairs: Vec<(Uuid, Uuid)> = stale.iter().map(|(a, _)| (a.id, a.physician_id)).collect();
        let (events, replaced) = tokio::try_join!(
            state
                .store
                .ledger_events(&pairs, day_before(range.0), range.1),
            state.store.all_replaced_terms(),
        )?;
        let assignments: HashMap<Uuid, &Assignment> =
            stale.iter().map(|(a, _)| (a.id, *a)).collect();
        count_visits(
            events.visits,
            &events.anomalies,
            &events.activities,
            &assignments,
            &replaced,
            &timezones_of(&frame.sites),
        )
    };
    for (a, need) in stale {
        ledgers.remove(&a.id);
        let Some((site, program)) = frame.resolve(a) else {
            continue;
        };
        let mine = visits.get(&a.id).map_or(&[][..], Vec::as_slice);
        let ledger = ledger_of(mine, site.timezone, &program.thresholds).within(need);
        ledgers.insert(a.id, ledger);
    }
    Ok(ledgers)
}

/// The smallest range holding every one of `ranges`.
fn union_of(
    ranges: impl Iterator<Item = (NaiveDate, NaiveDate)>,
) -> Option<(NaiveDate, NaiveDate)> {
    ranges.reduce(|a, b| (a.0.min(b.0), a.1.max(b.1)))
}

/// Day credit of one assignment's visits; with `only`, of those on which that
/// activity was logged.
fn days_of(
    visits: &[CountedVisit],
    site: &ReportSite,
    program: &Program,
    only: Option<ActivityKind>,
) -> BTreeMap<NaiveDate, DayCreditSummary> {
    credit_days(visits, site.timezone, &program.thresholds, only)
}

fn credit_days(
    visits: &[CountedVisit],
    timezone: Tz,
    thresholds: &Thresholds,
    only: Option<ActivityKind>,
) -> BTreeMap<NaiveDate, DayCreditSummary> {
    let spans: Vec<VisitSpan> = visits
        .iter()
        .filter(|v| only.is_none_or(|kind| v.logged(kind)))
        .filter_map(|v| v.span)
        .collect();
    crediting::credit_by_day(&spans, timezone, thresholds)
}

/// The sites' time zones, by site.
fn timezones_of(sites: &HashMap<Uuid, ReportSite>) -> HashMap<Uuid, Tz> {
    sites.iter().map(|(id, s)| (*id, s.timezone)).collect()
}

/// One assignment's ledger from its counted visits: exactly the day credit
/// [`days_of`] and the counts [`counts_of`] give, over every visit and for each
/// activity logged on one.
fn ledger_of(visits: &[CountedVisit], timezone: Tz, thresholds: &Thresholds) -> DayLedger {
    let kinds: BTreeSet<ActivityKind> = visits
        .iter()
        .flat_map(|v| v.activities.iter())
        .filter(|(_, n)| *n > 0)
        .map(|(kind, _)| *kind)
        .collect();
    DayLedger::build(
        credit_days(visits, timezone, thresholds, None),
        kinds.into_iter().map(|kind| {
            (
                kind,
                credit_days(visits, timezone, thresholds, Some(kind)),
                counts_of(visits, kind),
            )
        }),
    )
}

/// The ledger of one assignment from its raw events (what `service::ledger`
/// stores, and what the reports compute for an assignment with stale days).
pub(crate) fn ledger_of_source(source: &LedgerSource) -> DayLedger {
    let assignment = &source.assignment;
    let assignments = HashMap::from([(assignment.id, assignment)]);
    let replaced = HashMap::from([(assignment.id, source.replaced.clone())]);
    let timezones: HashMap<Uuid, Tz> = source
        .visits
        .iter()
        .map(|v| (v.site_id, source.timezone))
        .collect();
    let counted = count_visits(
        source.visits.clone(),
        &source.anomalies,
        &source.activities,
        &assignments,
        &replaced,
        &timezones,
    );
    let mine = counted.get(&assignment.id).map_or(&[][..], Vec::as_slice);
    ledger_of(mine, source.timezone, &source.thresholds)
}

/// The count of `kind` logged per local date on the creditable visits, as the
/// monthly report counts activities (a workload target's 人次).
fn counts_of(visits: &[CountedVisit], kind: ActivityKind) -> BTreeMap<NaiveDate, u64> {
    let mut out = BTreeMap::new();
    for visit in visits
        .iter()
        .filter(|v| v.state == wire::CreditState::Creditable)
    {
        let logged: u64 = visit
            .activities
            .iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, n)| n)
            .sum();
        if logged > 0 {
            *out.entry(visit.record.local_date).or_insert(0) += logged;
        }
    }
    out
}

/// The day before `date` (a visit that began then may run past midnight into it).
fn day_before(date: NaiveDate) -> NaiveDate {
    date.checked_sub_days(Days::new(1)).unwrap_or(date)
}

fn month_label(first: NaiveDate) -> String {
    format!("{:04}-{:02}", first.year(), first.month())
}

fn wire_totals(t: &ActivityTotals) -> wire::ActivityTotals {
    wire::ActivityTotals {
        outpatient: t.get(ActivityKind::Outpatient),
        inpatient: t.get(ActivityKind::Inpatient),
        ward_round: t.get(ActivityKind::WardRound),
        teaching: t.get(ActivityKind::Teaching),
        lecture: t.get(ActivityKind::Lecture),
        case_discussion: t.get(ActivityKind::CaseDiscussion),
        training: t.get(ActivityKind::Training),
        surgery: t.get(ActivityKind::Surgery),
        teleconsultation: t.get(ActivityKind::Teleconsultation),
        health_education: t.get(ActivityKind::HealthEducation),
        teaching_round: t.get(ActivityKind::TeachingRound),
        family_doctor_contract: t.get(ActivityKind::FamilyDoctorContract),
        public_health_service: t.get(ActivityKind::PublicHealthService),
        free_clinic: t.get(ActivityKind::FreeClinic),
        two_way_referral: t.get(ActivityKind::TwoWayReferral),
        new_technique: t.get(ActivityKind::NewTechnique),
    }
}

fn wire_progress(p: requirements::Progress) -> wire::Progress {
    match p {
        requirements::Progress::Met => wire::Progress::Met,
        requirements::Progress::OnTrack => wire::Progress::OnTrack,
        requirements::Progress::AtRisk => wire::Progress::AtRisk,
        requirements::Progress::Missed => wire::Progress::Missed,
    }
}

fn count_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[derive(Default)]
struct MonthlyAcc {
    /// The reasons of the eligibility overrides among the assignments.
    overrides: Vec<String>,
    half_days: u32,
    qualifying: u32,
    pending: u32,
    activities: ActivityTotals,
}

/// 对口支援工作量月报表: one row per physician and site with an assignment
/// overlapping the month (also when nothing was credited).
///
/// Credit is computed per assignment, as the physician's own summary does, and
/// added up per physician and site. Activities are the newest record per (visit,
/// kind) on the month's creditable visits: work on a visit still under review or
/// judged false is not reported until it would be credited.
pub async fn monthly_report(
    state: &AppState,
    scope: &ReportScope,
    month: &str,
) -> ApiResult<wire::MonthlyReport> {
    let (first, last) =
        parse_month(month).ok_or_else(|| ApiError::invalid("month: expected YYYY-MM"))?;
    workload_report(state, scope, (first, last), month_label(first)).await
}

/// The monthly report's rows over any range of whole days (a quarter's coverage
/// report adds them up over three months), `label` naming the range.
pub async fn workload_report(
    state: &AppState,
    scope: &ReportScope,
    (first, last): (NaiveDate, NaiveDate),
    label: String,
) -> ApiResult<wire::MonthlyReport> {
    let frame = load_frame(state, scope, (first, last)).await?;
    let visits = load_visits(state, scope, (day_before(first), last), &frame).await?;
    let in_month = |date: NaiveDate| date >= first && date <= last;

    let ids: Vec<Uuid> = frame.assignments.iter().map(|a| a.id).collect();
    let overrides = state.store.eligibility_overrides(&ids).await?;
    let mut rows: BTreeMap<(Uuid, Uuid), MonthlyAcc> = BTreeMap::new();
    for assignment in &frame.assignments {
        let Some((site, program)) = frame.resolve(assignment) else {
            continue;
        };
        let mine = visits.get(&assignment.id).map_or(&[][..], Vec::as_slice);
        let tally = Tally::from_days(&days_of(mine, site, program, None), (first, last));
        let acc = rows
            .entry((assignment.physician_id, assignment.site_id))
            .or_default();
        if let Some(admitted) = overrides.get(&assignment.id)
            && !acc.overrides.contains(&admitted.reason)
        {
            acc.overrides.push(admitted.reason.clone());
        }
        acc.half_days += tally.credited_half_days;
        acc.qualifying += tally.qualifying_visits;
        for visit in mine.iter().filter(|v| in_month(v.record.local_date)) {
            match visit.state {
                wire::CreditState::Pending => acc.pending += 1,
                wire::CreditState::Creditable => visit.add_activities(&mut acc.activities),
                _ => {}
            }
        }
    }

    let mut out: Vec<wire::MonthlyRow> = rows
        .into_iter()
        .filter_map(|((physician_id, site_id), acc)| {
            let site = frame.sites.get(&site_id)?;
            let physician = frame.physicians.get(&physician_id)?;
            Some(wire::MonthlyRow {
                physician_id,
                physician_name: physician.name.clone(),
                title: physician.title.clone(),
                specialty: physician.specialty.clone(),
                hospital_id: physician.organization_id,
                hospital: physician.organization_name.clone(),
                site_id,
                site_name: site.name.clone(),
                county_code: site.jurisdiction_code.clone(),
                county: site.jurisdiction_name.clone(),
                credited_days: f64::from(acc.half_days) / 2.0,
                credited_half_days: acc.half_days,
                qualifying_visits: acc.qualifying,
                pending_visits: acc.pending,
                activities: wire_totals(&acc.activities),
                eligibility_override: (!acc.overrides.is_empty()).then(|| acc.overrides.join("；")),
            })
        })
        .collect();
    out.sort_by(|a, b| {
        (
            &a.county_code,
            &a.site_name,
            &a.physician_name,
            a.physician_id,
        )
            .cmp(&(
                &b.county_code,
                &b.site_name,
                &b.physician_name,
                b.physician_id,
            ))
    });
    let hospital_subtotals = subtotals(&out, |r| {
        (
            r.hospital_id,
            r.hospital
                .clone()
                .unwrap_or_else(|| "（无派出单位）".to_owned()),
            String::new(),
        )
    });
    let site_subtotals = subtotals(&out, |r| {
        (Some(r.site_id), r.site_name.clone(), r.county_code.clone())
    });
    let totals = figures_of(out.iter());
    Ok(wire::MonthlyReport {
        jurisdiction_code: scope.code(),
        jurisdiction_name: scope.name(),
        month: label,
        generated_at: state.now(),
        rows: out,
        header: wire::FormHeader::default(),
        hospital_subtotals,
        site_subtotals,
        totals,
    })
}

/// The figures of `rows` added up; physicians counted once however many rows.
fn figures_of<'a>(rows: impl Iterator<Item = &'a wire::MonthlyRow>) -> wire::MonthlyFigures {
    let mut physicians = BTreeSet::new();
    let mut half_days = 0;
    let mut qualifying = 0;
    let mut pending = 0;
    let mut activities = ActivityTotals::default();
    for row in rows {
        physicians.insert(row.physician_id);
        half_days += row.credited_half_days;
        qualifying += row.qualifying_visits;
        pending += row.pending_visits;
        let a = &row.activities;
        for (kind, count) in [
            (ActivityKind::Outpatient, a.outpatient),
            (ActivityKind::Inpatient, a.inpatient),
            (ActivityKind::WardRound, a.ward_round),
            (ActivityKind::Teaching, a.teaching),
            (ActivityKind::Lecture, a.lecture),
            (ActivityKind::CaseDiscussion, a.case_discussion),
            (ActivityKind::Training, a.training),
            (ActivityKind::Surgery, a.surgery),
            (ActivityKind::Teleconsultation, a.teleconsultation),
            (ActivityKind::HealthEducation, a.health_education),
            (ActivityKind::TeachingRound, a.teaching_round),
            (ActivityKind::FamilyDoctorContract, a.family_doctor_contract),
            (ActivityKind::PublicHealthService, a.public_health_service),
            (ActivityKind::FreeClinic, a.free_clinic),
            (ActivityKind::TwoWayReferral, a.two_way_referral),
            (ActivityKind::NewTechnique, a.new_technique),
        ] {
            activities.add(kind, count);
        }
    }
    wire::MonthlyFigures {
        physicians: count_u32(physicians.len()),
        credited_days: f64::from(half_days) / 2.0,
        credited_half_days: half_days,
        qualifying_visits: qualifying,
        pending_visits: pending,
        activities: wire_totals(&activities),
    }
}

/// 小计: the rows grouped by `key` (id, name, and what sorts before the name),
/// in the order of (sort key, name, id).
fn subtotals(
    rows: &[wire::MonthlyRow],
    key: impl Fn(&wire::MonthlyRow) -> (Option<Uuid>, String, String),
) -> Vec<wire::MonthlySubtotal> {
    let mut groups: BTreeMap<(String, String, Option<Uuid>), Vec<&wire::MonthlyRow>> =
        BTreeMap::new();
    for row in rows {
        let (id, name, order) = key(row);
        groups.entry((order, name, id)).or_default().push(row);
    }
    groups
        .into_iter()
        .map(|((_, name, id), rows)| wire::MonthlySubtotal {
            id,
            name,
            figures: figures_of(rows.into_iter()),
        })
        .collect()
}

/// Who fills in a form (填报人, 联系电话), when the request names them.
#[derive(Debug, Clone, Default)]
pub struct FormContact {
    pub filled_by: Option<String>,
    pub contact_phone: Option<String>,
}

/// The longest 填报人 or 联系电话 a form takes.
const MAX_CONTACT_CHARS: usize = 50;

fn contact_field(field: &str, value: Option<&str>) -> ApiResult<Option<String>> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if value.chars().count() > MAX_CONTACT_CHARS {
        return Err(ApiError::invalid(format!(
            "{field}: at most {MAX_CONTACT_CHARS} characters"
        )));
    }
    if value.chars().any(char::is_control) {
        return Err(ApiError::invalid(format!(
            "{field}: control characters are not allowed"
        )));
    }
    Ok(Some(value.to_owned()))
}

/// The header block of a form: 填报单位 is the scope (a hospital admin's hospital),
/// 填报人 and 联系电话 those the request names, else the caller's own name and
/// phone; 填报日期 today in China.
pub async fn form_header(
    state: &AppState,
    actor: &Actor,
    scope: &ReportScope,
    period_zh: String,
    contact: &FormContact,
) -> ApiResult<wire::FormHeader> {
    let filled_by = contact_field("filled_by", contact.filled_by.as_deref())?;
    let contact_phone = contact_field("contact_phone", contact.contact_phone.as_deref())?;
    let me = state.store.user(actor.user_id).await?;
    let organization = match scope.hospital {
        Some(id) => state
            .store
            .organization(id)
            .await?
            .map_or_else(|| scope.name(), |o| o.name),
        None => scope.name(),
    };
    Ok(wire::FormHeader {
        organization,
        filled_by: filled_by
            .or_else(|| me.as_ref().map(|u| u.name.clone()))
            .unwrap_or_default(),
        contact_phone: contact_phone
            .or_else(|| me.as_ref().map(|u| u.phone.as_str().to_owned()))
            .unwrap_or_default(),
        filled_on: local_date(state.now(), DEFAULT_TIMEZONE),
        period_zh,
    })
}

/// 对口支援工作量月报表 as filed: [`monthly_report`] with its header block.
pub async fn monthly_form(
    state: &AppState,
    actor: &Actor,
    scope: &ReportScope,
    month: &str,
    contact: &FormContact,
) -> ApiResult<wire::MonthlyReport> {
    let mut report = monthly_report(state, scope, month).await?;
    let period_zh = ReportPeriod::parse(&report.month)
        .map(|p| p.label_zh())
        .unwrap_or_else(|| report.month.clone());
    report.header = form_header(state, actor, scope, period_zh, contact).await?;
    Ok(report)
}

/// The county statistics table as filed: [`county_statistics`] with its 填报单位,
/// 联系人 and 联系电话.
pub async fn county_statistics_form(
    state: &AppState,
    actor: &Actor,
    scope: &ReportScope,
    year: i32,
    contact: &FormContact,
) -> ApiResult<wire::CountyStatistics> {
    let mut report = county_statistics(state, scope, year).await?;
    report.header = form_header(state, actor, scope, format!("{year}年度"), contact).await?;
    Ok(report)
}

/// One requirement of one assignment to judge, and over which periods.
struct Plan<'a> {
    assignment: &'a Assignment,
    site: &'a ReportSite,
    program: &'a Program,
    requirement: &'a requirements::Requirement,
    periods: Vec<(NaiveDate, NaiveDate)>,
    today: NaiveDate,
}

/// Compliance with every requirement of every assignment overlapping the period
/// (`YYYY-MM`, `YYYY-Qn` or `YYYY-Hn`).
///
/// "Today" is the injected clock's date in each site's zone. A requirement is
/// judged in every one of its periods inside the report's (each week; each month
/// of a quarter or half year; each quarter of a half year), clipped to the
/// assignment and to the report's period (a week cut by its end is judged on its
/// days inside, pro rata; see [`rules::report_periods`]), and the row sums them,
/// its status the worst; periods longer than the report's (a quarter in a
/// month's report, the year, the whole assignment) are judged once, in the
/// period containing the reference day (today, clamped into the report's
/// period). Activity requirements count the visits on which the activity was
/// logged (a newest count above zero).
pub async fn compliance_report(
    state: &AppState,
    scope: &ReportScope,
    period: &str,
) -> ApiResult<wire::ComplianceReport> {
    compliance_report_from(state, scope, period, DaySource::Ledger).await
}

/// Where the compliance report takes its day credit from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DaySource {
    /// The durable ledger (`service::ledger`), and the raw events of the assignments
    /// with stale days in the report's range.
    Ledger,
    /// The raw events of every assignment: the visits, anomalies and activities of
    /// the whole range (what the report read before the ledger; tests compare).
    Events,
}

/// [`compliance_report`] with its day credit from `source`.
pub async fn compliance_report_from(
    state: &AppState,
    scope: &ReportScope,
    period: &str,
    source: DaySource,
) -> ApiResult<wire::ComplianceReport> {
    let period = ReportPeriod::parse(period).ok_or_else(|| {
        ApiError::invalid("period: expected YYYY-MM, YYYY-Qn (quarter) or YYYY-Hn (half year)")
    })?;
    let month = period.range();
    let frame = load_frame(state, scope, month).await?;
    let now = state.now();
    let mut plans = Vec::new();
    for assignment in &frame.assignments {
        let Some((site, program)) = frame.resolve(assignment) else {
            continue;
        };
        let today = local_date(now, site.timezone);
        let reference = today.clamp(month.0, month.1);
        for requirement in &program.requirements {
            let periods = rules::report_periods(
                requirement.period,
                month,
                assignment.date_range(),
                reference,
            );
            if !periods.is_empty() {
                plans.push(Plan {
                    assignment,
                    site,
                    program,
                    requirement,
                    periods,
                    today,
                });
            }
        }
    }
    // The local dates each assignment's judgements read: its periods (from the day
    // before, as a visit may run past midnight into the first), and the whole posting
    // for a consecutive span (the months that count are judged over it; a span counts
    // any credited day, so it reads the rows over every visit only).
    let mut needs = LedgerNeeds::default();
    for plan in &plans {
        let with_activity = plan.requirement.activity.is_some();
        for &period in &plan.periods {
            needs.add(plan.assignment.id, period, with_activity);
        }
        if plan.requirement.is_consecutive_span() {
            needs.add(plan.assignment.id, plan.assignment.date_range(), false);
        }
    }
    let range = union_of(needs.days.values().copied()).unwrap_or((day_before(month.0), month.1));
    let ledgers = match source {
        DaySource::Ledger => {
            let kinds: BTreeSet<ActivityKind> = plans
                .iter()
                .filter_map(|p| p.requirement.activity)
                .collect();
            load_ledgers(state, scope, &needs, &frame, &kinds).await?
        }
        DaySource::Events => {
            let visits = load_visits(state, scope, range, &frame).await?;
            frame
                .assignments
                .iter()
                .filter_map(|a| {
                    let (site, program) = frame.resolve(a)?;
                    let mine = visits.get(&a.id).map_or(&[][..], Vec::as_slice);
                    Some((a.id, ledger_of(mine, site.timezone, &program.thresholds)))
                })
                .collect()
        }
    };
    let calendar = crate::service::admin::calendars::calendar(state).await?;
    let ids: Vec<Uuid> = frame.assignments.iter().map(|a| a.id).collect();
    let overrides = state.store.eligibility_overrides(&ids).await?;

    // Day credit of the assignment at hand, per activity filter. An assignment's
    // plans are consecutive, so only its own days are kept: a year of days for every
    // assignment of a province at once is what held the report's memory up.
    let mut days_cache: HashMap<
        (Uuid, Option<ActivityKind>),
        BTreeMap<NaiveDate, DayCreditSummary>,
    > = HashMap::new();
    let mut cached_for = None;
    let mut rows = Vec::with_capacity(plans.len());
    for plan in &plans {
        let a = plan.assignment;
        if cached_for != Some(a.id) {
            days_cache.clear();
            cached_for = Some(a.id);
        }
        let no_days = DayLedger::default();
        let ledger = ledgers.get(&a.id).unwrap_or(&no_days);
        for key in [None, plan.requirement.activity] {
            days_cache
                .entry((a.id, key))
                .or_insert_with(|| ledger.days(key));
        }
        let empty = BTreeMap::new();
        let days = days_cache.get(&(a.id, None)).unwrap_or(&empty);
        let activity_days = days_cache
            .get(&(a.id, plan.requirement.activity))
            .unwrap_or(&empty);
        let counts = plan
            .requirement
            .activity
            .map(|kind| ledger.counts(kind))
            .unwrap_or_default();
        let judgement = rules::judge_in_programme(
            plan.requirement,
            rules::ProgrammeRules {
                requirements: &plan.program.requirements,
                calendar: &calendar,
            },
            &plan.periods,
            a.date_range(),
            days,
            rules::ActivityLog {
                days: activity_days,
                counts: &counts,
            },
            plan.today,
        );
        let physician = frame.physicians.get(&a.physician_id);
        rows.push(wire::ComplianceRow {
            assignment_id: a.id,
            physician_id: a.physician_id,
            physician_name: physician.map(|p| p.name.clone()).unwrap_or_default(),
            site_id: a.site_id,
            site_name: plan.site.name.clone(),
            county_code: plan.site.jurisdiction_code.clone(),
            county: plan.site.jurisdiction_name.clone(),
            program_id: plan.program.id,
            program_name: plan.program.name.clone(),
            mode: a.mode,
            requirement: requirement_to_body(plan.requirement),
            requirement_zh: plan.requirement.describe_zh(),
            period_start: judgement.periods.first().map_or(month.0, |p| p.start),
            period_end: judgement.periods.last().map_or(month.1, |p| p.end),
            required: judgement.required,
            credited: judgement.credited,
            status: wire_progress(judgement.status),
            periods: judgement
                .periods
                .iter()
                .map(|p| wire::PeriodProgress {
                    start: p.start,
                    end: p.end,
                    required: p.progress.required,
                    credited: p.progress.credited,
                    status: wire_progress(p.progress.status),
                })
                .collect(),
            eligibility_override: overrides.get(&a.id).map(|o| o.reason.clone()),
        });
    }
    // Stable: the requirements of one assignment keep the program's order.
    rows.sort_by(|a, b| {
        (
            &a.county_code,
            &a.site_name,
            &a.physician_name,
            a.assignment_id,
        )
            .cmp(&(
                &b.county_code,
                &b.site_name,
                &b.physician_name,
                b.assignment_id,
            ))
    });
    Ok(wire::ComplianceReport {
        jurisdiction_code: scope.code(),
        jurisdiction_name: scope.name(),
        period: period.label(),
        generated_at: now,
        period_start: Some(period.first),
        period_end: Some(period.last),
        period_zh: period.label_zh(),
        totals: compliance_totals(&rows),
        rows,
    })
}

/// 合计 of a compliance report's rows.
fn compliance_totals(rows: &[wire::ComplianceRow]) -> wire::ComplianceTotals {
    let count =
        |status: wire::Progress| count_u32(rows.iter().filter(|r| r.status == status).count());
    let assignments: BTreeSet<Uuid> = rows.iter().map(|r| r.assignment_id).collect();
    wire::ComplianceTotals {
        requirements: count_u32(rows.len()),
        assignments: count_u32(assignments.len()),
        met: count(wire::Progress::Met),
        on_track: count(wire::Progress::OnTrack),
        at_risk: count(wire::Progress::AtRisk),
        missed: count(wire::Progress::Missed),
    }
}

/// 对口支援工作考核统计表 (中站 "每季度填写《对口支援工作考核统计表》", and its
/// half-yearly evaluation): for each supporting hospital and receiving clinic, the
/// monthly report's figures over the period and the compliance report's
/// requirements counted by status, with the form's header block and a 合计. Both
/// come from the other reports, so the three always agree.
pub async fn assessment_report(
    state: &AppState,
    actor: &Actor,
    scope: &ReportScope,
    period: &str,
    contact: &FormContact,
) -> ApiResult<wire::AssessmentReport> {
    let period = ReportPeriod::parse(period).ok_or_else(|| {
        ApiError::invalid("period: expected YYYY-Qn (quarter), YYYY-Hn (half year) or YYYY-MM")
    })?;
    let workload = workload_report(state, scope, period.range(), period.label()).await?;
    let compliance = compliance_report(state, scope, &period.label()).await?;
    let header = form_header(state, actor, scope, period.label_zh(), contact).await?;

    type Key = (String, String, Option<Uuid>, String, Uuid);
    let key = |row: &wire::MonthlyRow| -> Key {
        (
            row.hospital.clone().unwrap_or_default(),
            row.county_code.clone(),
            row.hospital_id,
            row.site_name.clone(),
            row.site_id,
        )
    };
    let mut pairs: BTreeMap<Key, (Vec<&wire::MonthlyRow>, Vec<wire::ComplianceRow>)> =
        BTreeMap::new();
    let mut key_of: HashMap<(Uuid, Uuid), Key> = HashMap::new();
    for row in &workload.rows {
        let k = key(row);
        key_of.insert((row.physician_id, row.site_id), k.clone());
        pairs.entry(k).or_default().0.push(row);
    }
    for row in &compliance.rows {
        if let Some(k) = key_of.get(&(row.physician_id, row.site_id)) {
            pairs.entry(k.clone()).or_default().1.push(row.clone());
        }
    }
    let rows: Vec<wire::AssessmentRow> = pairs
        .into_iter()
        .filter_map(
            |((hospital, _, hospital_id, site_name, site_id), (work, judged))| {
                let county = work.first()?.county.clone();
                let compliance = compliance_totals(&judged);
                Some(wire::AssessmentRow {
                    hospital_id,
                    hospital: if hospital.is_empty() {
                        "（无派出单位）".to_owned()
                    } else {
                        hospital
                    },
                    site_id,
                    site_name,
                    county,
                    figures: figures_of(work.into_iter()),
                    met_share: share(compliance.met, compliance.requirements),
                    compliance,
                })
            },
        )
        .collect();
    let compliance_totals = compliance.totals.clone();
    Ok(wire::AssessmentReport {
        jurisdiction_code: scope.code(),
        jurisdiction_name: scope.name(),
        period: period.label(),
        period_start: period.first,
        period_end: period.last,
        generated_at: state.now(),
        header,
        totals: workload.totals,
        met_share: share(compliance_totals.met, compliance_totals.requirements),
        compliance_totals,
        rows,
    })
}

fn share(part: u32, whole: u32) -> f64 {
    crate::domain::coverage::share(part, whole)
}

fn year_range(year: i32) -> ApiResult<(NaiveDate, NaiveDate)> {
    let bad = || {
        ApiError::invalid(format!(
            "year: expected a year from {} to {}",
            YEARS.start(),
            YEARS.end()
        ))
    };
    if !YEARS.contains(&year) {
        return Err(bad());
    }
    let first = NaiveDate::from_ymd_opt(year, 1, 1).ok_or_else(bad)?;
    let last = NaiveDate::from_ymd_opt(year, 12, 31).ok_or_else(bad)?;
    Ok((first, last))
}

/// The provincial table (seed 003 附件): one row per county of the scope. See
/// [`rules::county_figures`] for how each column is derived; the five columns the
/// attendance data cannot know come from the facts the bureau recorded. A site
/// counts for the county its organization sits in; sites attached to a city or
/// province directly belong to no county row. A hospital admin sees only the
/// counties where their physicians served, and no recorded facts (those describe
/// the whole county, not the hospital's share).
pub async fn county_statistics(
    state: &AppState,
    scope: &ReportScope,
    year: i32,
) -> ApiResult<wire::CountyStatistics> {
    let range = year_range(year)?;
    let frame = load_frame(state, scope, range).await?;
    let visits = load_visits(state, scope, (day_before(range.0), range.1), &frame).await?;
    let in_year = |date: NaiveDate| date >= range.0 && date <= range.1;

    let mut facts: HashMap<&str, Vec<ServiceFact>> = HashMap::new();
    for assignment in &frame.assignments {
        let Some((site, program)) = frame.resolve(assignment) else {
            continue;
        };
        if site.jurisdiction_level != Level::County {
            continue;
        }
        let physician = frame.physicians.get(&assignment.physician_id);
        let mine = visits.get(&assignment.id).map_or(&[][..], Vec::as_slice);
        let tally = Tally::from_days(&days_of(mine, site, program, None), range);
        let mut activities = ActivityTotals::default();
        for visit in mine
            .iter()
            .filter(|v| in_year(v.record.local_date) && v.state == wire::CreditState::Creditable)
        {
            visit.add_activities(&mut activities);
        }
        facts
            .entry(site.jurisdiction_code.as_str())
            .or_default()
            .push(ServiceFact {
                physician_id: assignment.physician_id,
                site_id: site.id,
                site_kind: site.kind,
                mode: assignment.mode,
                from_hospital: physician.and_then(|p| p.organization_kind)
                    == Some(wire::OrganizationKind::Hospital),
                public_health: physician.is_some_and(|p| {
                    rules::is_public_health(p.organization_kind, p.specialty.as_deref())
                }),
                credited: tally.credited_half_days > 0,
                activities,
            });
    }

    let mut counties = state.store.report_counties(scope.within()).await?;
    let recorded: HashMap<String, CountyFactsRecord> = if scope.hospital.is_some() {
        counties.retain(|c| facts.contains_key(c.code.as_str()));
        HashMap::new()
    } else {
        state
            .store
            .county_facts_in(scope.within(), year)
            .await?
            .into_iter()
            .map(|f| (f.jurisdiction_code.clone(), f))
            .collect()
    };
    let rows = counties
        .into_iter()
        .map(|county| {
            let f = rules::county_figures(facts.get(county.code.as_str()).into_iter().flatten());
            let known = recorded.get(&county.code);
            wire::CountyRow {
                village_circuit_villages: f.village_circuit_sites,
                village_dispatch_villages: f.village_dispatch_sites,
                village_staff: f.village_staff,
                village_patient_visits: f.village_encounters,
                circuit_vehicles: known.and_then(|k| k.circuit_vehicles),
                telemedicine_villages: known.and_then(|k| k.telemedicine_villages),
                township_dispatch_institutions: f.township_dispatch_sites,
                township_dispatch_staff: f.township_dispatch_staff,
                township_public_health_staff: f.township_public_health_staff,
                standard_reached_institutions: known.and_then(|k| k.standard_reached_institutions),
                subcenter_institutions: known.and_then(|k| k.subcenter_institutions),
                public_health_improved_institutions: known
                    .and_then(|k| k.public_health_improved_institutions),
                county_circuit_staff: f.county_circuit_staff,
                county_circuit_patient_visits: f.county_circuit_encounters,
                case_discussions: f.case_discussions,
                teaching_rounds: f.teaching_rounds,
                lectures: f.lectures,
                training_attendances: f.training_attendances,
                county_code: county.code,
                county_name: county.name,
            }
        })
        .collect();
    Ok(wire::CountyStatistics {
        jurisdiction_code: scope.code(),
        jurisdiction_name: scope.name(),
        year,
        generated_at: state.now(),
        rows,
        header: wire::FormHeader::default(),
    })
}

fn wire_facts(record: CountyFactsRecord) -> wire::CountyFacts {
    wire::CountyFacts {
        jurisdiction_code: record.jurisdiction_code,
        year: record.year,
        circuit_vehicles: record.circuit_vehicles,
        telemedicine_villages: record.telemedicine_villages,
        standard_reached_institutions: record.standard_reached_institutions,
        subcenter_institutions: record.subcenter_institutions,
        public_health_improved_institutions: record.public_health_improved_institutions,
        recorded_by: record.recorded_by,
        recorded_at: record.recorded_at,
    }
}

/// Records the county table's facts for one county and year (admins, and
/// supervisors of that county or above), replacing what was recorded, in the
/// audit log with the previous values.
pub async fn set_county_facts(
    state: &AppState,
    actor: &Actor,
    body: wire::SetCountyFacts,
) -> ApiResult<wire::CountyFacts> {
    actor.require(&[Role::Admin, Role::Supervisor])?;
    let code = parse_code("jurisdiction_code", &body.jurisdiction_code)?;
    let county = state
        .store
        .jurisdiction(&code)
        .await?
        .ok_or(ApiError::NotFound)?;
    if !actor.reaches_jurisdiction(&county.path) {
        return Err(ApiError::NotFound);
    }
    if county.level != Level::County {
        return Err(ApiError::invalid(
            "jurisdiction_code: facts are recorded per county (县/市/区)",
        ));
    }
    year_range(body.year)?;
    let figures = [
        ("circuit_vehicles", body.circuit_vehicles),
        ("telemedicine_villages", body.telemedicine_villages),
        (
            "standard_reached_institutions",
            body.standard_reached_institutions,
        ),
        ("subcenter_institutions", body.subcenter_institutions),
        (
            "public_health_improved_institutions",
            body.public_health_improved_institutions,
        ),
    ];
    if let Some((field, _)) = figures
        .iter()
        .find(|(_, value)| value.is_some_and(|v| v > MAX_FACT))
    {
        return Err(ApiError::invalid(format!(
            "{field}: must be at most {MAX_FACT}"
        )));
    }
    let before = state.store.county_facts(&code, body.year).await?;
    let record = CountyFactsRecord {
        jurisdiction_code: code.to_string(),
        year: body.year,
        circuit_vehicles: body.circuit_vehicles,
        telemedicine_villages: body.telemedicine_villages,
        standard_reached_institutions: body.standard_reached_institutions,
        subcenter_institutions: body.subcenter_institutions,
        public_health_improved_institutions: body.public_health_improved_institutions,
        recorded_by: actor.user_id,
        recorded_at: state.now(),
    };
    let audit = audit::audited(
        state,
        actor,
        Change {
            action: "county_facts.set",
            object_type: "county_facts",
            object_id: format!("{}/{}", record.jurisdiction_code, record.year),
            before: before.as_ref(),
            after: Some(&record),
        },
    )?;
    state.store.put_county_facts(&record, audit).await?;
    Ok(wire_facts(record))
}

/// How much of a physician's service record a caller sees.
#[derive(Debug, Clone, PartialEq)]
enum RecordView {
    Whole,
    /// Only the postings at sites inside this jurisdiction.
    Within(JurisdictionPath),
    Nothing,
}

/// Who reads a physician's service record, and how much of it: admins, the physician,
/// their own hospital's administrator and the supervisors of the jurisdiction that
/// employs them (where their hospital sits) read all of it. A supervisor elsewhere
/// reads only the postings at sites in their own jurisdiction, and nothing when there
/// are none: a physician who served in county A must not open their county-B
/// postings to A's bureau.
fn record_view(
    actor: &Actor,
    physician: &ReportPhysician,
    employer: Option<&JurisdictionPath>,
) -> RecordView {
    let whole = match &actor.scope {
        Scope::Everything => true,
        Scope::Own => actor.role == Role::Physician && actor.user_id == physician.id,
        Scope::Organization(org) => {
            actor.role == Role::HospitalAdmin && physician.organization_id == Some(*org)
        }
        Scope::Jurisdiction(root) => employer.is_some_and(|path| root.contains(path)),
    };
    match &actor.scope {
        _ if whole => RecordView::Whole,
        Scope::Jurisdiction(root) => RecordView::Within(root.clone()),
        _ => RecordView::Nothing,
    }
}

/// 对口支援工作医师考核登记表: every posting with its credit, the cumulative
/// credited days, and the longest consecutive span at one site (in months with
/// credit, and in calendar days from its first to its last credited day).
pub async fn service_record(
    state: &AppState,
    actor: &Actor,
    physician_id: Uuid,
) -> ApiResult<wire::ServiceRecord> {
    actor.require(&[
        Role::Admin,
        Role::Supervisor,
        Role::HospitalAdmin,
        Role::Physician,
    ])?;
    let physician = state
        .store
        .report_physician(physician_id)
        .await?
        .filter(|p| p.role == Role::Physician.as_str())
        .ok_or(ApiError::NotFound)?;
    let employer = match actor.scope {
        Scope::Jurisdiction(_) => state
            .store
            .user_with_placement(physician_id)
            .await?
            .and_then(|(_, placement)| placement),
        _ => None,
    };
    let view = record_view(actor, &physician, employer.as_ref());
    if view == RecordView::Nothing {
        return Err(ApiError::NotFound);
    }
    Ok(build_service_record(state, physician, &view).await?.0)
}

/// A physician's whole service record and the workload logged on its creditable
/// visits, by activity kind, for the promotion form (the caller has checked scope).
pub(crate) async fn whole_service_record(
    state: &AppState,
    physician_id: Uuid,
) -> ApiResult<(wire::ServiceRecord, ActivityTotals)> {
    let physician = state
        .store
        .report_physician(physician_id)
        .await?
        .filter(|p| p.role == Role::Physician.as_str())
        .ok_or(ApiError::NotFound)?;
    build_service_record(state, physician, &RecordView::Whole).await
}

async fn build_service_record(
    state: &AppState,
    physician: ReportPhysician,
    view: &RecordView,
) -> ApiResult<(wire::ServiceRecord, ActivityTotals)> {
    let physician_id = physician.id;
    let mut assignments = state.store.assignments_of(physician_id).await?;
    assignments.sort_by_key(|a| (a.start_date, a.end_date, a.id));
    let site_ids: BTreeSet<Uuid> = assignments.iter().map(|a| a.site_id).collect();
    let site_ids: Vec<Uuid> = site_ids.into_iter().collect();
    let sites: HashMap<Uuid, ReportSite> = state
        .store
        .report_sites_by_id(&site_ids)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    if let RecordView::Within(root) = view {
        assignments.retain(|a| {
            sites
                .get(&a.site_id)
                .is_some_and(|s| root.contains(&s.jurisdiction_path))
        });
        if assignments.is_empty() {
            return Err(ApiError::NotFound);
        }
    }
    let programs = programs(state, assignments.iter().map(|a| a.program_id)).await?;
    // Every date a visit can have; ISO dates compare as text inside these bounds.
    let (from, to) = (
        NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(NaiveDate::MIN),
        NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or(NaiveDate::MAX),
    );
    let (records, anomalies, replaced, activities) = tokio::try_join!(
        state.store.visits_of(physician_id, from, to),
        state.store.visit_anomalies_of(physician_id, from, to),
        state.store.all_replaced_terms(),
        state.store.current_activities_of_physician(physician_id),
    )?;
    let by_id: HashMap<Uuid, &Assignment> = assignments.iter().map(|a| (a.id, a)).collect();
    let visits = count_visits(
        records,
        &anomalies,
        &activities,
        &by_id,
        &replaced,
        &timezones_of(&sites),
    );
    let mut workload = ActivityTotals::default();
    for visit in visits
        .values()
        .flatten()
        .filter(|v| v.state == wire::CreditState::Creditable)
    {
        visit.add_activities(&mut workload);
    }

    let mut postings = Vec::with_capacity(assignments.len());
    let mut credited_at_site: BTreeMap<Uuid, BTreeSet<NaiveDate>> = BTreeMap::new();
    let mut active_months = BTreeSet::new();
    for a in &assignments {
        let (Some(site), Some(program)) = (sites.get(&a.site_id), programs.get(&a.program_id))
        else {
            continue;
        };
        let mine = visits.get(&a.id).map_or(&[][..], Vec::as_slice);
        let days = days_of(mine, site, program, None);
        let credited: Vec<NaiveDate> = days
            .iter()
            .filter(|(_, d)| d.credit.half_days() > 0)
            .map(|(date, _)| *date)
            .collect();
        let half_days: u32 = days.values().map(|d| d.credit.half_days()).sum();
        credited_at_site
            .entry(a.site_id)
            .or_default()
            .extend(credited.iter().copied());
        active_months.extend(credited.iter().map(|d| (d.year(), d.month())));
        postings.push(wire::Posting {
            assignment_id: a.id,
            site_id: a.site_id,
            site_name: site.name.clone(),
            county_code: site.jurisdiction_code.clone(),
            county: site.jurisdiction_name.clone(),
            program_id: a.program_id,
            program_name: program.name.clone(),
            mode: a.mode,
            start_date: a.start_date,
            end_date: a.end_date,
            credited_days: f64::from(half_days) / 2.0,
            credited_half_days: half_days,
            qualifying_visits: days.values().map(|d| d.qualifying_visits).sum(),
            first_credited: credited.first().copied(),
            last_credited: credited.last().copied(),
        });
    }
    let longest = credited_at_site
        .iter()
        .filter_map(|(site_id, dates)| Some((*site_id, rules::longest_span(dates)?)))
        .max_by(|(_, a), (_, b)| {
            (a.months, a.calendar_days(), std::cmp::Reverse(a.first_day)).cmp(&(
                b.months,
                b.calendar_days(),
                std::cmp::Reverse(b.first_day),
            ))
        })
        .and_then(|(site_id, span)| {
            Some(wire::ServiceSpan {
                site_id,
                site_name: sites.get(&site_id)?.name.clone(),
                months: span.months,
                first_day: span.first_day,
                last_day: span.last_day,
                calendar_days: span.calendar_days(),
            })
        });
    let cumulative_half_days: u32 = postings.iter().map(|p| p.credited_half_days).sum();
    let record = wire::ServiceRecord {
        physician: wire::PhysicianDetails {
            id: physician.id,
            name: physician.name,
            gender: physician.gender,
            title: physician.title,
            specialty: physician.specialty,
            hospital_id: physician.organization_id,
            hospital: physician.organization_name,
        },
        postings,
        cumulative_credited_days: f64::from(cumulative_half_days) / 2.0,
        cumulative_half_days,
        active_months: count_u32(active_months.len()),
        longest_span: longest,
        generated_at: state.now(),
    };
    Ok((record, workload))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, d).unwrap_or_default()
    }

    #[test]
    fn a_posting_is_read_as_month_sums_and_its_cut_months_as_days() {
        let span = Uuid::from_u128(1);
        let fortnightly = Uuid::from_u128(2);
        let mut needs = LedgerNeeds::default();
        // A consecutive span over the posting, and weeks of April.
        needs.add(span, (ymd(1, 15), ymd(9, 20)), false);
        needs.add(span, (ymd(4, 6), ymd(4, 12)), false);
        // An activity counted by the fortnight reaching back into March, in a
        // posting's span too: March is cut, so read as days.
        needs.add(fortnightly, (ymd(1, 1), ymd(12, 31)), false);
        needs.add(fortnightly, (ymd(3, 23), ymd(4, 5)), true);

        let reads = needs.reads(&HashSet::new());
        let of =
            |reads: &[(Uuid, (NaiveDate, NaiveDate))], id: Uuid| -> Vec<(NaiveDate, NaiveDate)> {
                reads
                    .iter()
                    .filter(|(i, _)| *i == id)
                    .map(|(_, r)| *r)
                    .collect()
            };
        assert_eq!(
            of(&reads.month_sums, span),
            vec![(ymd(2, 1), ymd(3, 31)), (ymd(5, 1), ymd(8, 31))]
        );
        // April, cut by its weeks, as days.
        assert_eq!(
            of(&reads.days, span),
            vec![
                (ymd(1, 15), ymd(1, 31)),
                (ymd(4, 1), ymd(4, 30)),
                (ymd(9, 1), ymd(9, 20))
            ]
        );
        assert_eq!(
            of(&reads.month_sums, fortnightly),
            vec![(ymd(1, 1), ymd(2, 28)), (ymd(5, 1), ymd(12, 31))]
        );
        assert_eq!(of(&reads.days, fortnightly), vec![(ymd(3, 1), ymd(4, 30))]);
        // Activity rows from the day before the fortnight; none for the span.
        assert_eq!(
            of(&reads.activity_days, fortnightly),
            vec![(ymd(3, 22), ymd(4, 5))]
        );
        assert!(of(&reads.activity_days, span).is_empty());
    }
}
