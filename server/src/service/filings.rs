//! Filing (报表报送): the reporting calendar built from each jurisdiction's duties,
//! and reports filed for a period: drafted, submitted with the form's narrative and a
//! frozen copy (the XLSX the report renderers make, its SHA-256 and the figures as
//! JSON), accepted or returned by the level above, amended as a new version.
//!
//! Who may do what: admins everything; supervisors read and file for their
//! jurisdiction and below (anything else reads as unknown, 404), and set duties for
//! and review filings of jurisdictions strictly below their own (the level above);
//! other roles 403.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use mobile_api as wire;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::domain::access::{Actor, Role, Scope};
use crate::domain::anomaly::AnomalyKind;
use crate::domain::filing::{
    self, DueRule, DueState, FilingPeriod, FilingStatus, Narrative, ReportKind, TEMPLATES,
};
use crate::domain::jurisdiction::{Jurisdiction, JurisdictionCode, JurisdictionPath};
use crate::domain::organization::DEFAULT_TIMEZONE;
use crate::domain::window::local_date;
use crate::error::{ApiError, ApiResult};
use crate::render::{tables, xlsx};
use crate::service::audit::{self, Change};
use crate::service::reports::{self, ReportScope};
use crate::state::AppState;
use crate::store::StoreError;
use crate::store::filings::{
    FilingFile, FilingFilter, FilingRecord, FilingSite, FrozenReport, JurisdictionAnomaly,
    ObligationRecord,
};

/// The longest range the calendar answers.
const MAX_CALENDAR_DAYS: i64 = 3 * 366;
/// Longest obligation name or recipient.
const MAX_NAME_CHARS: usize = 100;
/// Longest review note.
const MAX_NOTE_CHARS: usize = 2000;

const ROLES: &[Role] = &[Role::Admin, Role::Supervisor];

// ---- scope ----

/// The subtree the caller sees: `None` for everything.
fn reach(actor: &Actor) -> ApiResult<Option<JurisdictionPath>> {
    actor.require(ROLES)?;
    match &actor.scope {
        Scope::Everything => Ok(None),
        Scope::Jurisdiction(root) => Ok(Some(root.clone())),
        _ => Err(ApiError::Forbidden),
    }
}

fn parse_code(field: &str, raw: &str) -> ApiResult<JurisdictionCode> {
    JurisdictionCode::parse(raw)
        .map_err(|_| ApiError::invalid(format!("{field}: {raw:?} is not a 6-digit code")))
}

/// The jurisdiction named by `code` (a supervisor's own when absent), within the
/// caller's reach; outside it reads as unknown.
async fn jurisdiction_in_reach(
    state: &AppState,
    actor: &Actor,
    code: Option<&str>,
) -> ApiResult<Jurisdiction> {
    let within = reach(actor)?;
    let code = match (code, &within) {
        (Some(raw), _) => parse_code("jurisdiction_code", raw)?,
        (None, Some(root)) => {
            let own = root.as_str().rsplit('/').next().unwrap_or_default();
            parse_code("jurisdiction_code", own)?
        }
        (None, None) => return Err(ApiError::invalid("jurisdiction_code: required")),
    };
    let found = state
        .store
        .jurisdiction(&code)
        .await?
        .ok_or(ApiError::NotFound)?;
    if !actor.reaches_jurisdiction(&found.path) {
        return Err(ApiError::NotFound);
    }
    Ok(found)
}

/// A clinic administrator's own site: it files (and sees) that site's monthly
/// report only.
fn own_site(actor: &Actor) -> Option<Uuid> {
    match (&actor.role, &actor.scope) {
        (Role::ClinicAdmin, Scope::Organization(site)) => Some(*site),
        _ => None,
    }
}

/// A filing the caller can see: a clinic administrator its site's filings only.
async fn visible_filing(state: &AppState, actor: &Actor, id: Uuid) -> ApiResult<FilingRecord> {
    if let Some(site) = own_site(actor) {
        let record = state.store.filing(id).await?.ok_or(ApiError::NotFound)?;
        if record.site_id != Some(site) {
            return Err(ApiError::NotFound);
        }
        return Ok(record);
    }
    reach(actor)?;
    let record = state.store.filing(id).await?.ok_or(ApiError::NotFound)?;
    if !actor.reaches_jurisdiction(&record.jurisdiction_path) {
        return Err(ApiError::NotFound);
    }
    Ok(record)
}

/// The level above may review: an admin, or a supervisor of a jurisdiction strictly
/// above the filer's.
fn may_review(actor: &Actor, filer: &JurisdictionPath) -> bool {
    match &actor.scope {
        Scope::Everything => actor.role == Role::Admin,
        Scope::Jurisdiction(root) => root.contains(filer) && root != filer,
        _ => false,
    }
}

/// A site's filing is edited, submitted and amended by its clinic administrator only
/// (its county reviews it): 403 for anyone else who sees it.
fn may_file(actor: &Actor, filing: &FilingRecord) -> ApiResult<()> {
    match filing.site_id {
        Some(site) if own_site(actor) != Some(site) => Err(ApiError::Forbidden),
        _ => Ok(()),
    }
}

/// Who reviews a filing: the level above a jurisdiction's; for a site's, its
/// county's supervisors too (the site files to its county).
fn may_review_filing(actor: &Actor, filing: &FilingRecord) -> bool {
    if filing.site_id.is_none() {
        return may_review(actor, &filing.jurisdiction_path);
    }
    match &actor.scope {
        Scope::Everything => actor.role == Role::Admin,
        Scope::Jurisdiction(root) => {
            actor.role == Role::Supervisor && root.contains(&filing.jurisdiction_path)
        }
        _ => false,
    }
}

fn conflict(code: &'static str) -> impl Fn(StoreError) -> ApiError {
    move |error| match error {
        StoreError::Conflict(detail) => ApiError::Conflict { code, detail },
        other => other.into(),
    }
}

// ---- templates and obligations ----

/// The circulars' duties to create obligations from.
pub fn templates() -> Vec<wire::FilingTemplate> {
    TEMPLATES
        .iter()
        .map(|t| wire::FilingTemplate {
            key: t.key.to_owned(),
            name: t.name.to_owned(),
            source: t.source.to_owned(),
            report_kind: t.report_kind.as_str().to_owned(),
            period_type: t.period_type.as_str().to_owned(),
            filer: t.filer.as_str().to_owned(),
            recipient: t.recipient.to_owned(),
            due_months_after: t.due.months_after,
            due_day: t.due.day,
        })
        .collect()
}

fn wire_obligation(o: &ObligationRecord) -> wire::FilingObligation {
    wire::FilingObligation {
        id: o.id,
        template: o.template.clone(),
        name: o.name.clone(),
        report_kind: o.report_kind.as_str().to_owned(),
        report_kind_zh: o.report_kind.label_zh().to_owned(),
        period_type: o.period_type.as_str().to_owned(),
        jurisdiction_code: o.jurisdiction_code.clone(),
        jurisdiction_name: o.jurisdiction_name.clone(),
        program_id: o.program_id,
        filer: o.filer.as_str().to_owned(),
        filer_zh: o.filer.label_zh().to_owned(),
        recipient: o.recipient.clone(),
        due_months_after: o.due.months_after,
        due_day: o.due.day,
        starts_on: o.starts_on,
        active: o.active,
    }
}

fn text_field(field: &str, value: &str) -> ApiResult<String> {
    let trimmed = value.trim();
    if trimmed.is_empty()
        || trimmed.chars().count() > MAX_NAME_CHARS
        || trimmed.chars().any(char::is_control)
    {
        return Err(ApiError::invalid(format!(
            "{field}: 1 to {MAX_NAME_CHARS} characters, without control characters"
        )));
    }
    Ok(trimmed.to_owned())
}

fn due_rule(months_after: u32, day: u32) -> ApiResult<DueRule> {
    DueRule { months_after, day }
        .validate()
        .map_err(ApiError::invalid)
}

/// The obligations of a jurisdiction and below (the caller's whole reach when no
/// code is given).
pub async fn list_obligations(
    state: &AppState,
    actor: &Actor,
    jurisdiction_code: Option<&str>,
) -> ApiResult<Vec<wire::FilingObligation>> {
    let within = match jurisdiction_code {
        Some(_) => Some(
            jurisdiction_in_reach(state, actor, jurisdiction_code)
                .await?
                .path,
        ),
        None => reach(actor)?,
    };
    let records = state.store.list_obligations(within.as_ref(), false).await?;
    Ok(records.iter().map(wire_obligation).collect())
}

/// Creates a jurisdiction's duty from a circular's template: an admin, or a
/// supervisor above the jurisdiction (403 for the filer's own level).
pub async fn create_obligation(
    state: &AppState,
    actor: &Actor,
    body: wire::CreateFilingObligation,
) -> ApiResult<wire::FilingObligation> {
    let template = filing::template(&body.template).ok_or_else(|| {
        let keys: Vec<&str> = TEMPLATES.iter().map(|t| t.key).collect();
        ApiError::invalid(format!("template: one of {}", keys.join(", ")))
    })?;
    let jurisdiction = jurisdiction_in_reach(state, actor, Some(&body.jurisdiction_code)).await?;
    // A filer does not set (or waive) its own duty: the level above does.
    if !may_review(actor, &jurisdiction.path) {
        return Err(ApiError::Forbidden);
    }
    if let Some(program) = body.program_id {
        state
            .store
            .program(program)
            .await?
            .ok_or_else(|| ApiError::invalid("program_id: no such programme"))?;
    }
    let now = state.now();
    let today = local_date(now, DEFAULT_TIMEZONE);
    let default_start = NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today);
    let record = ObligationRecord {
        id: Uuid::new_v4(),
        template: template.key.to_owned(),
        name: text_field("name", body.name.as_deref().unwrap_or(template.name))?,
        report_kind: template.report_kind,
        period_type: template.period_type,
        jurisdiction_code: jurisdiction.code.to_string(),
        program_id: body.program_id,
        filer: template.filer,
        recipient: text_field(
            "recipient",
            body.recipient.as_deref().unwrap_or(template.recipient),
        )?,
        due: due_rule(
            body.due_months_after.unwrap_or(template.due.months_after),
            body.due_day.unwrap_or(template.due.day),
        )?,
        starts_on: body.starts_on.unwrap_or(default_start),
        active: true,
        created_by: Some(actor.user_id),
        created_at: now,
        jurisdiction_name: jurisdiction.name.clone(),
        jurisdiction_path: jurisdiction.path.clone(),
    };
    let answer = wire_obligation(&record);
    let provenance = audit::audited(
        state,
        actor,
        Change {
            action: "filing_obligation.create",
            object_type: "filing_obligation",
            object_id: record.id.to_string(),
            before: None,
            after: Some(&answer),
        },
    )?;
    state.store.insert_obligation(&record, provenance).await?;
    Ok(answer)
}

/// Edits a duty: its name, recipient, due rule, first period or whether it is active.
/// The level above only, as for creating it.
pub async fn update_obligation(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    body: wire::UpdateFilingObligation,
) -> ApiResult<wire::FilingObligation> {
    reach(actor)?;
    let current = state
        .store
        .obligation(id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if !actor.reaches_jurisdiction(&current.jurisdiction_path) {
        return Err(ApiError::NotFound);
    }
    if !may_review(actor, &current.jurisdiction_path) {
        return Err(ApiError::Forbidden);
    }
    let mut next = current.clone();
    if let Some(name) = &body.name {
        next.name = text_field("name", name)?;
    }
    if let Some(recipient) = &body.recipient {
        next.recipient = text_field("recipient", recipient)?;
    }
    next.due = due_rule(
        body.due_months_after.unwrap_or(current.due.months_after),
        body.due_day.unwrap_or(current.due.day),
    )?;
    if let Some(starts_on) = body.starts_on {
        next.starts_on = starts_on;
    }
    if let Some(active) = body.active {
        next.active = active;
    }
    let before = wire_obligation(&current);
    let answer = wire_obligation(&next);
    let provenance = audit::audited(
        state,
        actor,
        Change {
            action: "filing_obligation.update",
            object_type: "filing_obligation",
            object_id: id.to_string(),
            before: Some(&before),
            after: Some(&answer),
        },
    )?;
    state.store.update_obligation(&next, provenance).await?;
    Ok(answer)
}

// ---- calendar ----

fn parse_date(field: &str, raw: &str) -> ApiResult<NaiveDate> {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| ApiError::invalid(format!("{field}: expected YYYY-MM-DD")))
}

/// Where one period's report stands: the newest version, and the local day the
/// report was first submitted (a returned submission does not count).
struct PeriodFilings<'a> {
    newest: Option<&'a FilingRecord>,
    first_submitted: Option<DateTime<Utc>>,
}

fn period_filings<'a>(
    filings: &'a [FilingRecord],
    kind: ReportKind,
    period: &str,
    code: &str,
) -> PeriodFilings<'a> {
    let mine = filings
        .iter()
        .filter(|f| f.report_kind == kind && f.period == period && f.jurisdiction_code == code);
    let newest = mine.clone().max_by_key(|f| f.version);
    let first_submitted = mine
        .filter(|f| {
            matches!(
                f.status,
                FilingStatus::Submitted | FilingStatus::Accepted | FilingStatus::Superseded
            )
        })
        .filter_map(|f| f.submitted_at)
        .min();
    PeriodFilings {
        newest,
        first_submitted,
    }
}

/// One obligation's periods in `[from, to]` (from its first period on), each with
/// its due date and state on `today`.
pub fn obligation_periods(
    o: &ObligationRecord,
    from: NaiveDate,
    to: NaiveDate,
) -> Vec<(FilingPeriod, NaiveDate)> {
    FilingPeriod::overlapping(o.period_type, from.max(o.starts_on), to)
        .into_iter()
        .filter(|p| p.end() >= o.starts_on)
        .map(|p| (p, o.due.due_date(p)))
        .collect()
}

/// What is due in the jurisdiction (the caller's reach when absent) for periods
/// overlapping `[from, to]`: by default from the start of the previous quarter to
/// the end of next month.
pub async fn calendar(
    state: &AppState,
    actor: &Actor,
    jurisdiction_code: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
) -> ApiResult<wire::FilingCalendar> {
    let within = match jurisdiction_code {
        Some(_) => Some(
            jurisdiction_in_reach(state, actor, jurisdiction_code)
                .await?
                .path,
        ),
        None => reach(actor)?,
    };
    let today = local_date(state.now(), DEFAULT_TIMEZONE);
    let from = match from {
        Some(raw) => parse_date("from", raw)?,
        None => {
            FilingPeriod::containing(filing::PeriodType::Quarter, today - Duration::days(92)).start
        }
    };
    let to = match to {
        Some(raw) => parse_date("to", raw)?,
        None => FilingPeriod::containing(filing::PeriodType::Month, today)
            .next()
            .end(),
    };
    if to < from {
        return Err(ApiError::invalid("to: before from"));
    }
    if (to - from).num_days() > MAX_CALENDAR_DAYS {
        return Err(ApiError::invalid(format!(
            "to: at most {MAX_CALENDAR_DAYS} days after from"
        )));
    }
    let obligations = state.store.list_obligations(within.as_ref(), true).await?;
    let filings = state
        .store
        .list_filings(&FilingFilter {
            within: within.as_ref(),
            ..FilingFilter::default()
        })
        .await?;
    let mut entries = Vec::new();
    for o in &obligations {
        for (period, due) in obligation_periods(o, from, to) {
            let label = period.label();
            let found = period_filings(&filings, o.report_kind, &label, &o.jurisdiction_code);
            let submitted_on = found
                .first_submitted
                .map(|at| local_date(at, DEFAULT_TIMEZONE));
            let state = filing::due_state(period, due, submitted_on, today);
            entries.push(wire::FilingCalendarEntry {
                obligation_id: o.id,
                name: o.name.clone(),
                report_kind: o.report_kind.as_str().to_owned(),
                report_kind_zh: o.report_kind.label_zh().to_owned(),
                period: label,
                period_start: period.start,
                period_end: period.end(),
                filer: o.filer.as_str().to_owned(),
                filer_zh: o.filer.label_zh().to_owned(),
                jurisdiction_code: o.jurisdiction_code.clone(),
                jurisdiction_name: o.jurisdiction_name.clone(),
                program_id: o.program_id,
                recipient: o.recipient.clone(),
                due_date: due,
                state: state.as_str().to_owned(),
                days_late: state.days_late(),
                filing_id: found.newest.map(|f| f.id),
                filing_status: found.newest.map(|f| f.status.as_str().to_owned()),
                submitted_at: found.first_submitted,
            });
        }
    }
    entries.sort_by(|a, b| {
        (a.due_date, &a.jurisdiction_code, &a.report_kind, &a.period).cmp(&(
            b.due_date,
            &b.jurisdiction_code,
            &b.report_kind,
            &b.period,
        ))
    });
    Ok(wire::FilingCalendar {
        today,
        from,
        to,
        entries,
    })
}

/// The `job_runs.job` of filing anomalies; run keys are
/// `<obligation>:<period>:missing` and `<obligation>:<period>:late`.
pub const FILING_JOB: &str = "filing_overdue";

/// How far back a tick looks for overdue reports (downtime catch-up).
const FILING_LOOKBACK_DAYS: i64 = 400;

/// The jurisdiction that receives a filer's report: its parent (the level above),
/// or itself at the top.
fn level_above(path: &JurisdictionPath) -> String {
    let mut codes = path.as_str().rsplit('/');
    let own = codes.next().unwrap_or_default();
    codes.next().unwrap_or(own).to_owned()
}

/// Raises, once each, `filing_missing` for every active duty's period whose due date
/// passed with nothing submitted, and `filing_late` for a report submitted after its
/// due date, for the level above (the anomaly names the filer's parent jurisdiction).
/// Periods due before the duty was recorded are not held against anyone. Claimed in
/// `job_runs` with the anomaly, so several processes raise each once. Answers how
/// many this call raised.
pub async fn raise_filing_anomalies(state: &AppState) -> ApiResult<usize> {
    let now = state.now();
    let today = local_date(now, DEFAULT_TIMEZONE);
    let obligations = state.store.list_obligations(None, true).await?;
    if obligations.is_empty() {
        return Ok(0);
    }
    let filings = state.store.list_filings(&FilingFilter::default()).await?;
    let claimer = format!(
        "pid {} tick {}",
        std::process::id(),
        Uuid::new_v4().simple()
    );
    let mut raised = 0;
    for o in &obligations {
        let recorded = local_date(o.created_at, DEFAULT_TIMEZONE);
        let from = o
            .starts_on
            .max(today - Duration::days(FILING_LOOKBACK_DAYS));
        let mut claimed = None;
        for (period, due) in obligation_periods(o, from, today) {
            if due >= today || due < recorded {
                continue;
            }
            let label = period.label();
            let found = period_filings(&filings, o.report_kind, &label, &o.jurisdiction_code);
            let submitted_on = found
                .first_submitted
                .map(|at| local_date(at, DEFAULT_TIMEZONE));
            let due_state = filing::due_state(period, due, submitted_on, today);
            let (kind, suffix) = match due_state {
                DueState::Late { .. } => (AnomalyKind::FilingMissing, "missing"),
                DueState::FiledLate { .. } => (AnomalyKind::FilingLate, "late"),
                _ => continue,
            };
            let run_key = format!("{}:{label}:{suffix}", o.id);
            if claimed.is_none() {
                claimed = Some(
                    state
                        .store
                        .claimed_runs(FILING_JOB, &format!("{}:", o.id))
                        .await?,
                );
            }
            if claimed.as_ref().is_some_and(|c| c.contains(&run_key)) {
                continue;
            }
            let mut detail = serde_json::json!({
                "obligation_id": o.id,
                "report_kind": o.report_kind.as_str(),
                "report_name": o.report_kind.label_zh(),
                "filing_period": label,
                "filer_code": o.jurisdiction_code,
                "filer_name": o.jurisdiction_name,
                "recipient": o.recipient,
                "due_date": due,
                "days_late": due_state.days_late(),
            });
            if let (Some(at), Some(newest)) = (found.first_submitted, found.newest) {
                detail["submitted_at"] = serde_json::json!(at);
                detail["filing_id"] = serde_json::json!(newest.id);
            }
            let anomaly = JurisdictionAnomaly {
                id: Uuid::new_v4(),
                kind,
                jurisdiction_code: level_above(&o.jurisdiction_path),
                detected_at: now,
                detail,
            };
            if state
                .store
                .claim_job_raising_for_jurisdiction(FILING_JOB, &run_key, &claimer, &anomaly)
                .await?
            {
                raised += 1;
            }
        }
    }
    Ok(raised)
}

// ---- filings ----

fn wire_filing(f: &FilingRecord, with_figures: bool) -> wire::Filing {
    wire::Filing {
        id: f.id,
        report_kind: f.report_kind.as_str().to_owned(),
        report_kind_zh: f.report_kind.label_zh().to_owned(),
        period: f.period.clone(),
        jurisdiction_code: f.jurisdiction_code.clone(),
        jurisdiction_name: f.jurisdiction_name.clone(),
        version: f.version,
        replaces_id: f.replaces_id,
        status: f.status.as_str().to_owned(),
        achievements: f.narrative.achievements.clone(),
        problems: f.narrative.problems.clone(),
        next_steps: f.narrative.next_steps.clone(),
        site_id: f.site_id,
        site_name: f.site_name.clone(),
        created_by: f.created_by,
        created_at: f.created_at,
        submitted_by: f.submitted_by,
        submitted_by_name: f.submitted_by_name.clone(),
        submitted_at: f.submitted_at,
        reviewed_by: f.reviewed_by,
        reviewed_at: f.reviewed_at,
        review_note: f.review_note.clone(),
        file_name: f.file_name.clone(),
        file_sha256: f.file_sha256.clone(),
        file_size: f.file_size,
        figures: if with_figures {
            f.figures
                .as_deref()
                .and_then(|text| serde_json::from_str(text).ok())
        } else {
            None
        },
    }
}

/// The filter of `GET /api/v1/filings`, as the query gave it.
#[derive(Debug, Default)]
pub struct FilingQuery<'a> {
    pub jurisdiction_code: Option<&'a str>,
    pub report_kind: Option<&'a str>,
    pub period: Option<&'a str>,
    pub status: Option<&'a str>,
    /// Only filings the caller may accept or return now.
    pub to_review: bool,
}

fn parse_kind(raw: &str) -> ApiResult<ReportKind> {
    ReportKind::parse(raw).ok_or_else(|| {
        ApiError::invalid("report_kind: one of monthly, compliance, county_statistics")
    })
}

/// The subtree a supervisor's or admin's filing list covers.
async fn list_reach(
    state: &AppState,
    actor: &Actor,
    jurisdiction_code: Option<&str>,
) -> ApiResult<Option<JurisdictionPath>> {
    Ok(match jurisdiction_code {
        Some(_) => Some(
            jurisdiction_in_reach(state, actor, jurisdiction_code)
                .await?
                .path,
        ),
        None => reach(actor)?,
    })
}

/// Filings in the caller's reach (or the given jurisdiction and below), sites'
/// filings with them; a clinic administrator's: its site's.
pub async fn list_filings(
    state: &AppState,
    actor: &Actor,
    query: FilingQuery<'_>,
) -> ApiResult<Vec<wire::Filing>> {
    let (within, site) = match own_site(actor) {
        Some(site) => (None, FilingSite::Site(site)),
        None => (
            list_reach(state, actor, query.jurisdiction_code).await?,
            FilingSite::Any,
        ),
    };
    let report_kind = query.report_kind.map(parse_kind).transpose()?;
    // A period no filing can have is a mistake, not an empty list.
    if let Some(period) = query.period {
        FilingPeriod::parse(period).map_err(|_| {
            ApiError::invalid("period: YYYY, YYYY-MM, YYYY-Qn or YYYY-Hn (2000 to 2100)")
        })?;
    }
    let status = query
        .status
        .map(|raw| {
            FilingStatus::parse(raw).ok_or_else(|| {
                ApiError::invalid("status: one of draft, submitted, accepted, returned, superseded")
            })
        })
        .transpose()?;
    let status = if query.to_review {
        Some(FilingStatus::Submitted)
    } else {
        status
    };
    let records = state
        .store
        .list_filings(&FilingFilter {
            within: within.as_ref(),
            jurisdiction_code: None,
            report_kind,
            period: query.period,
            status,
            site,
        })
        .await?;
    Ok(records
        .iter()
        .filter(|f| !query.to_review || may_review_filing(actor, f))
        .map(|f| wire_filing(f, false))
        .collect())
}

/// One filing with its frozen figures.
pub async fn get_filing(state: &AppState, actor: &Actor, id: Uuid) -> ApiResult<wire::Filing> {
    let record = visible_filing(state, actor, id).await?;
    Ok(wire_filing(&record, true))
}

fn narrative_of(
    achievements: Option<&str>,
    problems: Option<&str>,
    next_steps: Option<&str>,
    base: &Narrative,
) -> ApiResult<Narrative> {
    let pick = |given: Option<&str>, old: &str| given.unwrap_or(old).to_owned();
    let narrative = Narrative {
        achievements: pick(achievements, &base.achievements),
        problems: pick(problems, &base.problems),
        next_steps: pick(next_steps, &base.next_steps),
    };
    narrative.check_lengths().map_err(ApiError::invalid)?;
    Ok(narrative)
}

/// Starts the filing of one report for one period: a draft, version 1. A period
/// already filed (or drafted) is a 409 `filing_exists`: edit it, or amend it.
pub async fn create_filing(
    state: &AppState,
    actor: &Actor,
    body: wire::CreateFiling,
) -> ApiResult<wire::Filing> {
    let (jurisdiction, site) = filer_of(state, actor, &body).await?;
    let kind = parse_kind(&body.report_kind)?;
    if site.is_some() && kind != ReportKind::Monthly {
        return Err(ApiError::invalid(
            "report_kind: a site files its monthly report only",
        ));
    }
    let period =
        FilingPeriod::parse(body.period.trim()).map_err(|e| ApiError::invalid(e.to_string()))?;
    if !kind.allows(period.kind) {
        return Err(ApiError::invalid(format!(
            "period: a {} is not filed for a {}",
            kind.as_str(),
            period.kind.as_str()
        )));
    }
    let narrative = narrative_of(
        body.achievements.as_deref(),
        body.problems.as_deref(),
        body.next_steps.as_deref(),
        &Narrative::default(),
    )?;
    let label = period.label();
    let code = jurisdiction.code.to_string();
    let existing = state
        .store
        .list_filings(&FilingFilter {
            within: Some(&jurisdiction.path),
            jurisdiction_code: Some(&code),
            report_kind: Some(kind),
            period: Some(&label),
            status: None,
            site: site
                .as_ref()
                .map_or(FilingSite::Jurisdictions, |(id, _)| FilingSite::Site(*id)),
        })
        .await?;
    if let Some(newest) = existing.first() {
        return Err(ApiError::Conflict {
            code: "filing_exists",
            detail: format!(
                "{} {} was filed already (version {}, {}): edit or amend it",
                kind.as_str(),
                label,
                newest.version,
                newest.status.as_str()
            ),
        });
    }
    let record = FilingRecord {
        id: Uuid::new_v4(),
        report_kind: kind,
        period: label,
        jurisdiction_code: code,
        version: 1,
        replaces_id: None,
        status: FilingStatus::Draft,
        narrative,
        created_by: actor.user_id,
        created_at: state.now(),
        submitted_by: None,
        submitted_at: None,
        reviewed_by: None,
        reviewed_at: None,
        review_note: None,
        file_name: None,
        file_sha256: None,
        file_size: None,
        figures: None,
        jurisdiction_name: jurisdiction.name.clone(),
        jurisdiction_path: jurisdiction.path.clone(),
        submitted_by_name: None,
        site_id: site.as_ref().map(|(id, _)| *id),
        site_name: site.map(|(_, name)| name),
    };
    insert_draft(state, actor, &record, "filing.create").await?;
    Ok(wire_filing(&record, false))
}

/// Who files: a clinic administrator its own site (in the site's county), others
/// a jurisdiction in reach. `site_id` is a clinic administrator's own or 404; other
/// roles do not file for a site (403).
async fn filer_of(
    state: &AppState,
    actor: &Actor,
    body: &wire::CreateFiling,
) -> ApiResult<(Jurisdiction, Option<(Uuid, String)>)> {
    let Some(own) = own_site(actor) else {
        if body.site_id.is_some() {
            return Err(ApiError::Forbidden);
        }
        let jurisdiction =
            jurisdiction_in_reach(state, actor, body.jurisdiction_code.as_deref()).await?;
        return Ok((jurisdiction, None));
    };
    if body.site_id.is_some_and(|given| given != own) {
        return Err(ApiError::NotFound);
    }
    let scope =
        reports::resolve_monthly_scope(state, actor, body.jurisdiction_code.as_deref()).await?;
    match (scope.jurisdiction, scope.site) {
        (Some(jurisdiction), Some(site)) => Ok((jurisdiction, Some(site))),
        _ => Err(ApiError::NotFound),
    }
}

async fn insert_draft(
    state: &AppState,
    actor: &Actor,
    record: &FilingRecord,
    action: &str,
) -> ApiResult<()> {
    let after = wire_filing(record, false);
    let provenance = audit::audited(
        state,
        actor,
        Change {
            action,
            object_type: "filing",
            object_id: record.id.to_string(),
            before: None,
            after: Some(&after),
        },
    )?;
    state
        .store
        .insert_filing(record, provenance)
        .await
        .map_err(conflict("filing_exists"))
}

fn not_editable(record: &FilingRecord) -> ApiError {
    ApiError::Conflict {
        code: "filing_not_editable",
        detail: format!("the filing is {}, not a draft", record.status.as_str()),
    }
}

/// Changes the narrative of a draft or a returned filing.
pub async fn update_filing(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    body: wire::UpdateFiling,
) -> ApiResult<wire::Filing> {
    let record = visible_filing(state, actor, id).await?;
    may_file(actor, &record)?;
    if !record.status.editable() {
        return Err(not_editable(&record));
    }
    let narrative = narrative_of(
        body.achievements.as_deref(),
        body.problems.as_deref(),
        body.next_steps.as_deref(),
        &record.narrative,
    )?;
    let before = wire_filing(&record, false);
    let mut next = record.clone();
    next.narrative = narrative;
    let after = wire_filing(&next, false);
    let provenance = audit::audited(
        state,
        actor,
        Change {
            action: "filing.update",
            object_type: "filing",
            object_id: id.to_string(),
            before: Some(&before),
            after: Some(&after),
        },
    )?;
    state
        .store
        .update_filing_narrative(id, &next.narrative, provenance)
        .await
        .map_err(conflict("filing_not_editable"))?;
    Ok(after)
}

/// The report as it stands now, rendered as the download renders it.
async fn freeze(state: &AppState, record: &FilingRecord) -> ApiResult<FrozenReport> {
    let code = parse_code("jurisdiction_code", &record.jurisdiction_code)?;
    let jurisdiction = state
        .store
        .jurisdiction(&code)
        .await?
        .ok_or(ApiError::NotFound)?;
    let scope = match (record.site_id, &record.site_name) {
        (Some(site), Some(name)) => ReportScope {
            jurisdiction: Some(jurisdiction),
            hospital: None,
            site: Some((site, name.clone())),
        },
        _ => ReportScope::jurisdiction(jurisdiction),
    };
    let (table, figures) = match record.report_kind {
        ReportKind::Monthly => {
            let report = reports::monthly_report(state, &scope, &record.period).await?;
            (tables::monthly(&report), serde_json::to_string(&report))
        }
        ReportKind::Compliance => {
            let report = reports::compliance_report(state, &scope, &record.period).await?;
            (tables::compliance(&report), serde_json::to_string(&report))
        }
        ReportKind::CountyStatistics => {
            let year: i32 = record
                .period
                .parse()
                .map_err(|_| ApiError::invalid("period: expected YYYY"))?;
            let report = reports::county_statistics(state, &scope, year).await?;
            (tables::county(&report), serde_json::to_string(&report))
        }
    };
    let figures = figures.map_err(ApiError::internal)?;
    let bytes = xlsx::to_xlsx(&table).map_err(ApiError::internal)?;
    let sha256 = hex_sha256(&bytes);
    Ok(FrozenReport {
        file_name: format!(
            "{}-{}{}-{}-v{}.xlsx",
            record.report_kind.as_str().replace('_', "-"),
            record.jurisdiction_code,
            record
                .site_id
                .map(|site| format!("-site-{}", &site.simple().to_string()[..8]))
                .unwrap_or_default(),
            record.period,
            record.version
        ),
        bytes,
        sha256,
        figures,
    })
}

fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Submits a draft (or a corrected returned filing): the narrative must be complete;
/// the report is rendered now and frozen with its hash and figures. An amendment's
/// submission marks the version it replaces `superseded`.
pub async fn submit_filing(state: &AppState, actor: &Actor, id: Uuid) -> ApiResult<wire::Filing> {
    let record = visible_filing(state, actor, id).await?;
    may_file(actor, &record)?;
    if !record.status.editable() {
        return Err(not_editable(&record));
    }
    record
        .narrative
        .check_complete()
        .map_err(ApiError::invalid)?;
    let frozen = freeze(state, &record).await?;
    let now = state.now();
    let before = wire_filing(&record, false);
    let mut after = before.clone();
    after.status = FilingStatus::Submitted.as_str().to_owned();
    after.submitted_by = Some(actor.user_id);
    after.submitted_at = Some(now);
    after.file_name = Some(frozen.file_name.clone());
    after.file_sha256 = Some(frozen.sha256.clone());
    after.file_size = u64::try_from(frozen.bytes.len()).ok();
    let provenance = audit::audited(
        state,
        actor,
        Change {
            action: "filing.submit",
            object_type: "filing",
            object_id: id.to_string(),
            before: Some(&before),
            after: Some(&after),
        },
    )?;
    let replaces = match record.replaces_id {
        Some(old) => Some((old, supersession(state, actor, old).await?)),
        None => None,
    };
    state
        .store
        .submit_filing(id, actor.user_id, now, &frozen, provenance, replaces)
        .await
        .map_err(conflict("filing_not_editable"))?;
    get_filing(state, actor, id).await
}

/// The audit entry of the replaced version's move to `superseded`.
async fn supersession(
    state: &AppState,
    actor: &Actor,
    old: Uuid,
) -> ApiResult<crate::service::audit::Provenance> {
    let record = state.store.filing(old).await?.ok_or(ApiError::NotFound)?;
    let before = wire_filing(&record, false);
    let mut after = before.clone();
    after.status = FilingStatus::Superseded.as_str().to_owned();
    audit::audited(
        state,
        actor,
        Change {
            action: "filing.supersede",
            object_type: "filing",
            object_id: old.to_string(),
            before: Some(&before),
            after: Some(&after),
        },
    )
}

/// Accepts (`accept`) or returns a submitted filing; only the level above may. A
/// return needs a note saying what to correct.
pub async fn review_filing(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    accept: bool,
    body: wire::ReviewFiling,
) -> ApiResult<wire::Filing> {
    let record = visible_filing(state, actor, id).await?;
    if !may_review_filing(actor, &record) {
        return Err(ApiError::Forbidden);
    }
    let note = crate::domain::text::note("note", body.note.as_deref(), MAX_NOTE_CHARS)?;
    let note = note.as_deref();
    if !accept && note.is_none() {
        return Err(ApiError::invalid(
            "note: say what to correct when returning a filing",
        ));
    }
    if !record.status.reviewable() {
        return Err(ApiError::Conflict {
            code: "filing_not_submitted",
            detail: format!(
                "the filing is {}, not awaiting review",
                record.status.as_str()
            ),
        });
    }
    let outcome = if accept {
        FilingStatus::Accepted
    } else {
        FilingStatus::Returned
    };
    let now = state.now();
    let before = wire_filing(&record, false);
    let mut after = before.clone();
    after.status = outcome.as_str().to_owned();
    after.reviewed_by = Some(actor.user_id);
    after.reviewed_at = Some(now);
    after.review_note = note.map(str::to_owned);
    let provenance = audit::audited(
        state,
        actor,
        Change {
            action: if accept {
                "filing.accept"
            } else {
                "filing.return"
            },
            object_type: "filing",
            object_id: id.to_string(),
            before: Some(&before),
            after: Some(&after),
        },
    )?;
    state
        .store
        .review_filing(id, outcome, actor.user_id, now, note, provenance)
        .await
        .map_err(conflict("filing_not_submitted"))?;
    get_filing(state, actor, id).await
}

/// Starts an amendment (更正): a new draft version naming the one it replaces, with
/// its narrative to correct. Only the newest version, once submitted or accepted.
pub async fn amend_filing(state: &AppState, actor: &Actor, id: Uuid) -> ApiResult<wire::Filing> {
    let record = visible_filing(state, actor, id).await?;
    may_file(actor, &record)?;
    if !record.status.amendable() {
        return Err(ApiError::Conflict {
            code: "filing_not_amendable",
            detail: format!(
                "a {} filing cannot be amended; only a submitted or accepted one",
                record.status.as_str()
            ),
        });
    }
    let code = record.jurisdiction_code.clone();
    let versions = state
        .store
        .list_filings(&FilingFilter {
            within: Some(&record.jurisdiction_path),
            jurisdiction_code: Some(&code),
            report_kind: Some(record.report_kind),
            period: Some(&record.period),
            status: None,
            site: record
                .site_id
                .map_or(FilingSite::Jurisdictions, FilingSite::Site),
        })
        .await?;
    let newest = versions.iter().map(|f| f.version).max().unwrap_or(0);
    if newest != record.version {
        return Err(ApiError::Conflict {
            code: "filing_not_amendable",
            detail: format!(
                "version {} is not the newest (version {newest} exists)",
                record.version
            ),
        });
    }
    let amendment = FilingRecord {
        id: Uuid::new_v4(),
        version: record.version + 1,
        replaces_id: Some(record.id),
        status: FilingStatus::Draft,
        created_by: actor.user_id,
        created_at: state.now(),
        submitted_by: None,
        submitted_at: None,
        reviewed_by: None,
        reviewed_at: None,
        review_note: None,
        file_name: None,
        file_sha256: None,
        file_size: None,
        figures: None,
        submitted_by_name: None,
        ..record
    };
    insert_draft(state, actor, &amendment, "filing.amend").await?;
    Ok(wire_filing(&amendment, false))
}

/// The frozen file of a submitted filing (404 while a draft).
pub async fn filing_file(state: &AppState, actor: &Actor, id: Uuid) -> ApiResult<FilingFile> {
    visible_filing(state, actor, id).await?;
    state.store.filing_file(id).await?.ok_or(ApiError::NotFound)
}
