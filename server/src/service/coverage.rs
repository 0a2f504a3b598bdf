//! The coverage report (全覆盖): every receiving clinic of a scope with the service
//! it was credited in a month, the clinics that got nobody included.

use mobile_api::{CoverageReport, CoverageRow};

use std::collections::BTreeSet;

use super::reports::{self, ReportScope};
use crate::domain::coverage::{self, Served, SiteCoverage};
use crate::domain::reports::ReportPeriod;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// The figures are the monthly report's rows for each site added up, so the two
/// reports always agree. `period` is a month (`YYYY-MM`), a quarter (`YYYY-Qn`) or
/// a half year (`YYYY-Hn`); `field` names the parameter it came in.
pub async fn coverage_report(
    state: &AppState,
    scope: &ReportScope,
    field: &str,
    period: &str,
) -> ApiResult<CoverageReport> {
    let period = ReportPeriod::parse(period).ok_or_else(|| {
        ApiError::invalid(format!(
            "{field}: expected YYYY-MM, YYYY-Qn (quarter) or YYYY-Hn (half year)"
        ))
    })?;
    let monthly = reports::workload_report(state, scope, period.range(), period.label()).await?;
    let total_physicians = monthly
        .rows
        .iter()
        .filter(|r| r.credited_half_days > 0)
        .map(|r| r.physician_id)
        .collect::<BTreeSet<_>>()
        .len();
    let by_site = coverage::by_site(monthly.rows.iter().map(|r| Served {
        site_id: r.site_id,
        physician_id: r.physician_id,
        credited_half_days: r.credited_half_days,
        qualifying_visits: r.qualifying_visits,
    }));
    let fences = state.store.current_fences(scope.within()).await?;
    let nothing = SiteCoverage::default();
    let mut rows: Vec<CoverageRow> = state
        .store
        .report_sites(scope.within())
        .await?
        .into_iter()
        .filter(|site| coverage::receives(site.kind))
        .map(|site| {
            let got = by_site.get(&site.id).unwrap_or(&nothing);
            let centre = fences.get(&site.id).map(|f| f.centre());
            CoverageRow {
                site_id: site.id,
                kind_zh: coverage::kind_zh(site.kind).to_owned(),
                kind: site.kind,
                site_name: site.name,
                jurisdiction_code: site.jurisdiction_code,
                jurisdiction_name: site.jurisdiction_name,
                lat: centre.map(|c| c.lat),
                lon: centre.map(|c| c.lon),
                credited_days: got.credited_days(),
                visits: got.qualifying_visits,
                physicians: got.physicians(),
                covered: got.covered(),
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        (&a.jurisdiction_code, &a.site_name, a.site_id).cmp(&(
            &b.jurisdiction_code,
            &b.site_name,
            b.site_id,
        ))
    });
    let count = |covered_only: bool| {
        let n = rows.iter().filter(|r| !covered_only || r.covered).count();
        u32::try_from(n).unwrap_or(u32::MAX)
    };
    let (clinics, covered) = (count(false), count(true));
    Ok(CoverageReport {
        jurisdiction_code: monthly.jurisdiction_code,
        jurisdiction_name: monthly.jurisdiction_name,
        month: monthly.month,
        generated_at: monthly.generated_at,
        clinics,
        covered,
        covered_share: coverage::share(covered, clinics),
        total_credited_days: rows.iter().map(|r| r.credited_days).sum(),
        total_visits: rows.iter().map(|r| r.visits).sum(),
        total_physicians: u32::try_from(total_physicians).unwrap_or(u32::MAX),
        rows,
    })
}
