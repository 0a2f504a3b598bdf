//! The coverage report (全覆盖): every receiving clinic of a scope with the service
//! it was credited in a month, the clinics that got nobody included.

use mobile_api::{CoverageReport, CoverageRow};

use super::reports::{self, ReportScope};
use crate::domain::coverage::{self, Served, SiteCoverage};
use crate::error::ApiResult;
use crate::state::AppState;

/// The figures are the monthly report's rows for each site added up, so the two
/// reports always agree.
pub async fn coverage_report(
    state: &AppState,
    scope: &ReportScope,
    month: &str,
) -> ApiResult<CoverageReport> {
    let monthly = reports::monthly_report(state, scope, month).await?;
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
    Ok(CoverageReport {
        jurisdiction_code: monthly.jurisdiction_code,
        jurisdiction_name: monthly.jurisdiction_name,
        month: monthly.month,
        generated_at: monthly.generated_at,
        clinics: count(false),
        covered: count(true),
        rows,
    })
}
