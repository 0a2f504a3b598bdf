//! The supervisor's landing view: one month of the scope at a glance. Every figure
//! is taken from (or counted like) the list or report it links to, so a number on
//! the dashboard is the length of the list behind it.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, Months, NaiveDate, Offset, TimeZone};
use mobile_api::{
    AnomalyDayCount, ComplianceCounts, CoverageSummary, Dashboard, MonthFigures, MonthlyReport,
    OpenReviewAges, Progress,
};

use super::coverage::coverage_report;
use super::reports::{self, ReportScope};
use super::visits::parse_month;
use crate::domain::access::{Actor, Role};
use crate::domain::anomaly::AnomalyKind;
use crate::domain::crediting::{close_of_local_day, start_of_local_day};
use crate::domain::dashboard::{REVIEW_AGE_BOUNDS, child_under};
use crate::domain::organization::DEFAULT_TIMEZONE;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

fn count(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn month_label(first: NaiveDate) -> String {
    format!("{:04}-{:02}", first.year(), first.month())
}

/// The month's figures from its monthly report and its anomaly count.
fn figures(report: &MonthlyReport, anomalies: u64) -> MonthFigures {
    let physicians: BTreeSet<_> = report
        .rows
        .iter()
        .filter(|r| r.credited_half_days > 0)
        .map(|r| r.physician_id)
        .collect();
    MonthFigures {
        month: report.month.clone(),
        credited_days: report.rows.iter().map(|r| r.credited_days).sum(),
        visits: report.rows.iter().map(|r| r.qualifying_visits).sum(),
        physicians: count(physicians.len() as u64),
        anomalies: count(anomalies),
    }
}

/// The dashboard of `month` (`YYYY-MM`) for `jurisdiction_code` (the supervisor's
/// own by default; everything for an admin without one).
pub async fn dashboard(
    state: &AppState,
    actor: &Actor,
    jurisdiction_code: Option<&str>,
    month: &str,
) -> ApiResult<Dashboard> {
    actor.require(&[Role::Admin, Role::Supervisor])?;
    let scope: ReportScope = reports::resolve_scope(state, actor, jurisdiction_code).await?;
    let (first, last) =
        parse_month(month).ok_or_else(|| ApiError::invalid("month: expected YYYY-MM"))?;
    let previous_first = first
        .checked_sub_months(Months::new(1))
        .ok_or_else(|| ApiError::invalid("month: out of range"))?;
    let previous = month_label(previous_first);
    let within = scope.within();

    // Compliance by child jurisdiction, counted from the compliance report's rows.
    let compliance = reports::compliance_report(state, &scope, month).await?;
    let jurisdictions = state
        .store
        .list_jurisdictions(within, None, 100_000)
        .await?;
    let paths: BTreeMap<&str, &str> = jurisdictions
        .iter()
        .map(|j| (j.code.as_str(), j.path.as_str()))
        .collect();
    let names: BTreeMap<&str, &str> = jurisdictions
        .iter()
        .map(|j| (j.code.as_str(), j.name.as_str()))
        .collect();
    let root = within.map(|p| p.as_str());
    let mut by_child: BTreeMap<&str, ComplianceCounts> = BTreeMap::new();
    for row in &compliance.rows {
        let Some(child) = paths
            .get(row.county_code.as_str())
            .and_then(|path| child_under(root, path))
        else {
            continue;
        };
        let counts = by_child.entry(child).or_insert_with(|| ComplianceCounts {
            jurisdiction_code: child.to_owned(),
            jurisdiction_name: names.get(child).copied().unwrap_or_default().to_owned(),
            met: 0,
            on_track: 0,
            at_risk: 0,
            missed: 0,
        });
        match row.status {
            Progress::Met => counts.met += 1,
            Progress::OnTrack => counts.on_track += 1,
            Progress::AtRisk => counts.at_risk += 1,
            Progress::Missed => counts.missed += 1,
        }
    }

    // Anomalies per Asia/Shanghai day over both months, as the anomaly list's
    // `from`/`to` bound them.
    let from = start_of_local_day(previous_first, DEFAULT_TIMEZONE);
    let before = close_of_local_day(last, DEFAULT_TIMEZONE);
    let offset = DEFAULT_TIMEZONE
        .offset_from_utc_datetime(&from.naive_utc())
        .fix()
        .local_minus_utc();
    let per_day = state
        .store
        .anomalies_per_day(within, from, before, offset)
        .await?;
    let in_month = |d: NaiveDate| d >= first && d <= last;
    let this_anomalies: u64 = per_day
        .iter()
        .filter(|c| in_month(c.date))
        .map(|c| c.count)
        .sum();
    let last_anomalies: u64 = per_day
        .iter()
        .filter(|c| !in_month(c.date))
        .map(|c| c.count)
        .sum();

    let ages = state
        .store
        .open_anomaly_ages(within, state.now(), REVIEW_AGE_BOUNDS)
        .await?;
    let coverage = coverage_report(state, &scope, "month", month).await?;
    let this_report = reports::monthly_report(state, &scope, month).await?;
    let last_report = reports::monthly_report(state, &scope, &previous).await?;

    Ok(Dashboard {
        jurisdiction_code: compliance.jurisdiction_code.clone(),
        jurisdiction_name: compliance.jurisdiction_name.clone(),
        month: month_label(first),
        previous_month: previous,
        generated_at: state.now(),
        compliance: by_child.into_values().collect(),
        anomalies_by_day: per_day
            .into_iter()
            .map(|c| AnomalyDayCount {
                kind_zh: AnomalyKind::parse(&c.kind)
                    .map_or("其他异常", AnomalyKind::label_zh)
                    .to_owned(),
                date: c.date,
                kind: c.kind,
                count: count(c.count),
            })
            .collect(),
        open_reviews: OpenReviewAges {
            total: count(ages.under_first + ages.under_second + ages.under_third + ages.older),
            under_1_day: count(ages.under_first),
            days_1_to_3: count(ages.under_second),
            days_3_to_7: count(ages.under_third),
            over_7_days: count(ages.older),
        },
        coverage: CoverageSummary {
            clinics: coverage.clinics,
            covered: coverage.covered,
        },
        this_month: figures(&this_report, this_anomalies),
        last_month: figures(&last_report, last_anomalies),
    })
}
