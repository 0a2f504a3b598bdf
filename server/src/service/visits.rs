//! What a physician sees of their own service: assignments, visits with their credit
//! state, and the month's credited days with each requirement's progress.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use mobile_api::{
    AnomalySummary, AssignmentSummary, CreditState as WireCredit, DayStanding, MonthSummary,
    MyAssignment, Progress, RequirementProgress, ServiceDay, Visit, VisitStatus,
};
use uuid::Uuid;

use crate::domain::anomaly::AnomalyKind;
use crate::domain::crediting::{self, AnomalyReview, CreditState, VisitSpan, close_of_local_day};
use crate::domain::requirements::{self, Tally};
use crate::domain::window::{DailyWindow, local_date};
use crate::error::{ApiError, ApiResult};
use crate::service::admin::programs::requirement_to_body;
use crate::service::anomalies;
use crate::state::AppState;
use crate::store::attendance::{VisitAnomaly, VisitRecord};

/// The credit state of one visit given its anomalies.
///
/// A visit closed at the end of its day without a check-out (`auto_closed`) has
/// no accepted check-out and is denied, unless a supervisor dismissed its
/// `missing_checkout` anomaly: that grants credit (DOMAIN.md, "a supervisor can
/// grant credit on review"), and the visit then counts as checked out at the end
/// of its assignment's daily window on its local date ([`granted_check_out`]),
/// its other anomalies deciding as for any visit.
pub fn credit_state(visit: &VisitRecord, anomalies: &[&VisitAnomaly]) -> WireCredit {
    if visit.status == "open" {
        return WireCredit::Open;
    }
    let checked_out = visit.checked_out_at.is_some() || check_out_granted(visit, anomalies);
    let reviews = anomalies.iter().map(|a| match a.status.as_str() {
        "confirmed" => AnomalyReview::Confirmed,
        "dismissed" => AnomalyReview::Dismissed,
        _ => AnomalyReview::Open,
    });
    match CreditState::from_review(checked_out, reviews) {
        CreditState::Creditable => WireCredit::Creditable,
        CreditState::Pending => WireCredit::Pending,
        CreditState::Denied => WireCredit::Denied,
    }
}

/// True for an auto-closed visit whose `missing_checkout` a supervisor dismissed.
pub fn check_out_granted(visit: &VisitRecord, anomalies: &[&VisitAnomaly]) -> bool {
    visit.status == "auto_closed"
        && anomalies
            .iter()
            .any(|a| a.kind == AnomalyKind::MissingCheckout.as_str() && a.status == "dismissed")
}

/// The check-out a granted auto-closed visit is credited up to: the end of the
/// assignment's daily window on the visit's local date in the site's time zone,
/// never before the check-in nor after the end of that day (so a check-in past
/// the window, accepted as an edge case, earns nothing by the grant).
pub fn granted_check_out(visit: &VisitRecord, window: &DailyWindow, tz: Tz) -> DateTime<Utc> {
    let end_of_day = close_of_local_day(visit.local_date, tz);
    let window_end = tz
        .from_local_datetime(&visit.local_date.and_time(window.end))
        .earliest()
        .map_or(end_of_day, |at| at.with_timezone(&Utc));
    window_end.max(visit.checked_in_at).min(end_of_day)
}

/// The check-out a visit is credited up to: its own, or the granted one.
async fn effective_check_out(
    state: &AppState,
    visit: &VisitRecord,
    anomalies: &[&VisitAnomaly],
) -> ApiResult<Option<DateTime<Utc>>> {
    if visit.checked_out_at.is_some() || !check_out_granted(visit, anomalies) {
        return Ok(visit.checked_out_at);
    }
    let assignment = state
        .store
        .assignment(visit.assignment_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let replaced = state.store.replaced_terms(visit.assignment_id).await?;
    // The window of the terms in force on the visit's day.
    let window =
        crate::domain::assignment_terms::window_on(&assignment, &replaced, visit.local_date);
    let site = state
        .store
        .organization(visit.site_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Some(granted_check_out(visit, &window, site.timezone)))
}

fn status(visit: &VisitRecord) -> VisitStatus {
    match visit.status.as_str() {
        "open" => VisitStatus::Open,
        "auto_closed" => VisitStatus::AutoClosed,
        _ => VisitStatus::Closed,
    }
}

/// A physician's visits in `from..=to` (local dates) with credit states.
pub async fn visits(
    state: &AppState,
    physician_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> ApiResult<Vec<Visit>> {
    let records = state.store.visits_of(physician_id, from, to).await?;
    // One read gives both what the credit needs and what the sentences are made of.
    let stored = state
        .store
        .visit_anomaly_facts_of(physician_id, from, to)
        .await?;
    let for_credit: Vec<VisitAnomaly> = stored.iter().map(|f| f.anomaly.clone()).collect();
    let mut visits = describe(state, &records, &for_credit).await?;
    let mut summaries: HashMap<Uuid, Vec<AnomalySummary>> = HashMap::new();
    for facts in &stored {
        summaries
            .entry(facts.anomaly.visit_id)
            .or_default()
            .push(anomalies::summary(&facts.anomaly.kind, &facts.detail));
    }
    for visit in &mut visits {
        visit.anomaly_summaries = summaries.remove(&visit.id).unwrap_or_default();
    }
    Ok(visits)
}

/// Stored visits as the wire shows them, with credit states from `anomalies` (which
/// may hold other visits' anomalies too). A granted auto-closed visit shows its
/// granted check-out.
pub async fn describe(
    state: &AppState,
    records: &[VisitRecord],
    anomalies: &[VisitAnomaly],
) -> ApiResult<Vec<Visit>> {
    let mut by_visit: HashMap<Uuid, Vec<&VisitAnomaly>> = HashMap::new();
    for anomaly in anomalies {
        by_visit.entry(anomaly.visit_id).or_default().push(anomaly);
    }
    let mut out = Vec::with_capacity(records.len());
    for v in records {
        let mine = by_visit.get(&v.id).map(Vec::as_slice).unwrap_or(&[]);
        let checked_out_at = effective_check_out(state, v, mine).await?;
        out.push(Visit {
            id: v.id,
            physician_id: v.physician_id,
            site_id: v.site_id,
            assignment_id: v.assignment_id,
            status: status(v),
            local_date: v.local_date,
            checked_in_at: v.checked_in_at,
            checked_out_at,
            minutes: checked_out_at.map(|out| (out - v.checked_in_at).num_minutes()),
            credit_state: credit_state(v, mine),
            anomalies: mine.iter().map(|a| a.kind.clone()).collect(),
            anomaly_summaries: Vec::new(),
            credit: None,
            site_name: None,
            physician_name: None,
            hospital_id: None,
            hospital_name: None,
            clinic_confirmation: None,
            scan_marks: None,
        });
    }
    Ok(out)
}

/// The physician's assignments, newest first, with site and program names.
pub async fn assignments(state: &AppState, physician_id: Uuid) -> ApiResult<Vec<MyAssignment>> {
    let mut out = Vec::new();
    for a in state.store.assignments_of(physician_id).await? {
        let site = state
            .store
            .organization(a.site_id)
            .await?
            .ok_or(ApiError::NotFound)?;
        let (program, _) = state
            .store
            .program(a.program_id)
            .await?
            .ok_or(ApiError::NotFound)?;
        out.push(MyAssignment {
            id: a.id,
            site_id: a.site_id,
            site_name: site.name,
            program_id: a.program_id,
            program_name: program.name,
            mode: a.mode,
            start_date: a.start_date,
            end_date: a.end_date,
            window_start: a.window.start_hhmm(),
            window_end: a.window.end_hhmm(),
            timezone: site.timezone.name().to_owned(),
            scan_photo: program.scan_photo,
            fence: site.geofence.map(|g| g.fence.to_stored_json()),
        });
    }
    Ok(out)
}

/// Parses `YYYY-MM` into the month's first and last day.
pub fn parse_month(text: &str) -> Option<(NaiveDate, NaiveDate)> {
    let first = NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d").ok()?;
    if text.len() != 7 {
        return None;
    }
    let next = first.checked_add_months(chrono::Months::new(1))?;
    Some((first, next.pred_opt()?))
}

fn progress(p: requirements::Progress) -> Progress {
    match p {
        requirements::Progress::Met => Progress::Met,
        requirements::Progress::OnTrack => Progress::OnTrack,
        requirements::Progress::AtRisk => Progress::AtRisk,
        requirements::Progress::Missed => Progress::Missed,
    }
}

/// Credited days and half-days per assignment in `month`, with each requirement's
/// progress in the period that contains the month's reference day (today, clamped
/// into the month).
pub async fn month_summary(
    state: &AppState,
    physician_id: Uuid,
    month: &str,
) -> ApiResult<MonthSummary> {
    let (first, last) =
        parse_month(month).ok_or_else(|| ApiError::invalid("month: expected YYYY-MM"))?;
    let mut summaries = Vec::new();
    let calendar = crate::service::admin::calendars::calendar(state).await?;
    for assignment in state.store.assignments_of(physician_id).await? {
        if assignment.end_date < first || assignment.start_date > last {
            continue;
        }
        let site = state
            .store
            .organization(assignment.site_id)
            .await?
            .ok_or(ApiError::NotFound)?;
        let (program, _) = state
            .store
            .program(assignment.program_id)
            .await?
            .ok_or(ApiError::NotFound)?;
        let range = assignment.date_range();
        let visits = visits(state, physician_id, range.0, range.1).await?;
        let mine: Vec<&Visit> = visits
            .iter()
            .filter(|v| v.assignment_id == assignment.id)
            .collect();
        let visit_spans: Vec<(Uuid, VisitSpan)> = mine
            .iter()
            .filter_map(|v| {
                let state = match v.credit_state {
                    WireCredit::Creditable => CreditState::Creditable,
                    WireCredit::Pending => CreditState::Pending,
                    WireCredit::Denied => CreditState::Denied,
                    WireCredit::Open => return None,
                };
                Some((
                    v.id,
                    VisitSpan {
                        site_id: v.site_id,
                        checked_in_at: v.checked_in_at,
                        checked_out_at: v.checked_out_at?,
                        credit_state: state,
                    },
                ))
            })
            .collect();
        let spans: Vec<VisitSpan> = visit_spans.iter().map(|(_, span)| *span).collect();
        let days = crediting::credit_by_day(&spans, site.timezone, &program.thresholds);
        // Requirements limited to an activity (and workload targets) count what was
        // logged, as the compliance report does.
        let logged = if program.requirements.iter().any(|r| r.activity.is_some()) {
            let ids: Vec<Uuid> = mine.iter().map(|v| v.id).collect();
            state.store.current_activities(&ids).await?
        } else {
            HashMap::new()
        };
        let logged_kind = |id: &Uuid, kind: requirements::ActivityKind| -> u64 {
            logged.get(id).map_or(0, |all| {
                all.iter().filter(|(k, _)| *k == kind).map(|(_, n)| n).sum()
            })
        };
        let month_tally = Tally::from_days(&days, (first, last));
        let pending_visits = mine
            .iter()
            .filter(|v| {
                v.credit_state == WireCredit::Pending
                    && v.local_date >= first
                    && v.local_date <= last
            })
            .count();
        let today = local_date(state.now(), site.timezone);
        let reference = today.clamp(first, last);
        let counting = requirements::months_that_count(&program.requirements, &days, range);
        let requirements = program
            .requirements
            .iter()
            .map(|req| {
                let period = requirements::period_containing(req.period, reference, range);
                let mut tally =
                    Tally::from_days(&days, period).on_calendar(&days, period, &calendar);
                if req.is_consecutive_span() {
                    tally = tally.counting_only(&counting);
                }
                if let Some(kind) = req.activity {
                    let with_kind: Vec<VisitSpan> = visit_spans
                        .iter()
                        .filter(|(id, _)| logged_kind(id, kind) > 0)
                        .map(|(_, span)| *span)
                        .collect();
                    let activity_days =
                        crediting::credit_by_day(&with_kind, site.timezone, &program.thresholds);
                    let mut counts = BTreeMap::new();
                    for v in mine
                        .iter()
                        .filter(|v| v.credit_state == WireCredit::Creditable)
                    {
                        let n = logged_kind(&v.id, kind);
                        if n > 0 {
                            *counts.entry(v.local_date).or_insert(0) += n;
                        }
                    }
                    tally = tally
                        .with_activity(&activity_days, period)
                        .with_activity_count(&counts, period);
                }
                let result = requirements::evaluate(req, period, &tally, today);
                RequirementProgress {
                    requirement: requirement_to_body(req),
                    description_zh: req.describe_zh(),
                    period_start: period.0,
                    period_end: period.1,
                    required: result.required,
                    credited: result.credited,
                    status: progress(result.status),
                }
            })
            .collect();
        summaries.push(AssignmentSummary {
            assignment_id: assignment.id,
            site_id: site.id,
            site_name: site.name,
            credited_days: month_tally.credited_days,
            credited_half_days: month_tally.credited_half_days,
            qualifying_visits: month_tally.qualifying_visits,
            pending_visits: u32::try_from(pending_visits).unwrap_or(u32::MAX),
            requirements,
            days: days
                .range(first..=last)
                .map(|(date, day)| ServiceDay {
                    date: *date,
                    standing: match day.standing() {
                        crediting::DayStanding::Full => DayStanding::Full,
                        crediting::DayStanding::Half => DayStanding::Half,
                        crediting::DayStanding::Pending => DayStanding::Pending,
                        crediting::DayStanding::Denied => DayStanding::Denied,
                        crediting::DayStanding::Uncredited => DayStanding::Uncredited,
                    },
                })
                .collect(),
        });
    }
    Ok(MonthSummary {
        month: format!("{:04}-{:02}", first.year(), first.month()),
        assignments: summaries,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_parse_to_their_first_and_last_day() {
        let (first, last) = parse_month("2026-02").expect("valid");
        assert_eq!(first.to_string(), "2026-02-01");
        assert_eq!(last.to_string(), "2026-02-28");
        assert_eq!(
            parse_month("2024-12").map(|m| m.1.to_string()).as_deref(),
            Some("2024-12-31")
        );
        assert!(parse_month("2026-13").is_none());
        assert!(parse_month("2026-1").is_none());
        assert!(parse_month("march").is_none());
    }

    fn auto_closed_at_nine() -> VisitRecord {
        VisitRecord {
            id: Uuid::from_u128(1),
            physician_id: Uuid::from_u128(2),
            site_id: Uuid::from_u128(3),
            assignment_id: Uuid::from_u128(4),
            local_date: "2026-03-02".parse().expect("date"),
            // 09:00 in Asia/Shanghai
            checked_in_at: "2026-03-02T01:00:00Z".parse().expect("instant"),
            checked_out_at: None,
            status: "auto_closed".into(),
        }
    }

    fn anomaly(kind: &str, status: &str) -> VisitAnomaly {
        VisitAnomaly {
            visit_id: Uuid::from_u128(1),
            kind: kind.into(),
            status: status.into(),
        }
    }

    #[test]
    fn a_dismissed_missing_checkout_grants_credit_and_a_confirmed_one_does_not() {
        let visit = auto_closed_at_nine();
        let state = |anomalies: &[VisitAnomaly]| {
            let refs: Vec<&VisitAnomaly> = anomalies.iter().collect();
            credit_state(&visit, &refs)
        };
        assert_eq!(
            state(&[anomaly("missing_checkout", "open")]),
            WireCredit::Denied
        );
        assert_eq!(
            state(&[anomaly("missing_checkout", "confirmed")]),
            WireCredit::Denied
        );
        assert_eq!(
            state(&[anomaly("missing_checkout", "dismissed")]),
            WireCredit::Creditable
        );
        assert_eq!(
            state(&[
                anomaly("missing_checkout", "dismissed"),
                anomaly("mock_location", "open")
            ]),
            WireCredit::Pending
        );
        assert_eq!(
            state(&[anomaly("mock_location", "dismissed")]),
            WireCredit::Denied,
            "only dismissing missing_checkout grants a check-out"
        );
    }

    #[test]
    fn a_granted_check_out_is_the_end_of_the_daily_window_within_the_day() {
        let shanghai = chrono_tz::Asia::Shanghai;
        let visit = auto_closed_at_nine();
        let window = DailyWindow::parse("08:00", "17:30").expect("window");
        assert_eq!(
            granted_check_out(&visit, &window, shanghai).to_rfc3339(),
            "2026-03-02T09:30:00+00:00"
        );
        // A check-in accepted just past the window earns nothing by the grant.
        let late = VisitRecord {
            checked_in_at: "2026-03-02T09:45:00Z".parse().expect("instant"),
            ..visit
        };
        assert_eq!(
            granted_check_out(&late, &window, shanghai),
            late.checked_in_at
        );
    }
}
