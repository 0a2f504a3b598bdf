//! Visits as supervisors review them: the filtered list (with its total and an
//! export) and one visit in full: its fixes against the fence in force, its
//! anomalies with their reviews, the work logged, and what it is worth and why.

use std::collections::BTreeMap;

use mobile_api::{
    ActivityKind as WireActivity, CreditState as WireCredit, Visit, VisitActivity,
    VisitCredit as WireVisitCredit, VisitCreditReason, VisitDetail, VisitFence, VisitFix,
    VisitPhysician, VisitSite,
};
use uuid::Uuid;

use super::{anomalies, clinic, reports, visits};
use crate::domain::access::{Actor, Placement, Role, Scope};
use crate::domain::crediting::{CreditState, Thresholds};
use crate::domain::jurisdiction::JurisdictionPath;
use crate::domain::visit_credit::{self, VisitCredit, VisitStanding};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::attendance::VisitAnomaly;
use crate::store::visit_search::{self, FoundVisit, VisitSearch, VisitSlice};

/// Most rows one export holds; a larger selection is cut and says so.
pub const EXPORT_LIMIT: u32 = 20_000;

/// The list's filters as parsed from the request (see `docs/console-api.md`).
#[derive(Debug, Clone, Default)]
pub struct VisitQuery {
    /// A 6-digit code in the caller's scope; the caller's whole scope when absent.
    pub jurisdiction_code: Option<String>,
    pub site_id: Option<Uuid>,
    pub physician_id: Option<Uuid>,
    pub hospital_id: Option<Uuid>,
    pub status: Option<&'static str>,
    pub from: Option<chrono::NaiveDate>,
    pub to: Option<chrono::NaiveDate>,
    pub credit: Option<VisitCredit>,
    pub flagged: Option<bool>,
}

/// One slice of the list and how many visits match in all.
#[derive(Debug, Clone)]
pub struct VisitList {
    pub items: Vec<Visit>,
    pub total: u64,
}

/// The jurisdiction subtree a supervisor's or admin's list covers (`None`: all).
async fn within(
    state: &AppState,
    actor: &Actor,
    code: Option<&str>,
) -> ApiResult<Option<JurisdictionPath>> {
    actor.require(&[Role::Admin, Role::Supervisor])?;
    if code.is_none() {
        return match &actor.scope {
            Scope::Everything => Ok(None),
            Scope::Jurisdiction(path) => Ok(Some(path.clone())),
            Scope::Organization(_) | Scope::Own => Err(ApiError::Forbidden),
        };
    }
    // The reports' rule: a code outside the supervisor's subtree reads as unknown.
    let scope = reports::resolve_scope(state, actor, code).await?;
    Ok(scope.jurisdiction.map(|j| j.path))
}

/// Visits matching `query` in `slice`, newest check-in first, with the total.
pub async fn search(
    state: &AppState,
    actor: &Actor,
    query: &VisitQuery,
    slice: VisitSlice,
) -> ApiResult<VisitList> {
    let (root, site_id) = match (&actor.role, &actor.scope) {
        // A clinic administrator sees the visits at its own site only.
        (Role::ClinicAdmin, Scope::Organization(own)) => {
            if query.site_id.is_some_and(|s| s != *own) || query.jurisdiction_code.is_some() {
                return Err(ApiError::NotFound);
            }
            (None, Some(*own))
        }
        _ => (
            within(state, actor, query.jurisdiction_code.as_deref()).await?,
            query.site_id,
        ),
    };
    let search = VisitSearch {
        within: root.as_ref(),
        site_id,
        physician_id: query.physician_id,
        hospital_id: query.hospital_id,
        status: query.status,
        from: query.from,
        to: query.to,
        credit: query.credit,
        flagged: query.flagged,
    };
    let found = state.store.search_visits(&search, slice).await?;
    let total = state.store.count_visits(&search).await?;
    Ok(VisitList {
        items: describe(state, found).await?,
        total,
    })
}

fn standing(state: WireCredit) -> VisitStanding {
    match state {
        WireCredit::Open => VisitStanding::Open,
        WireCredit::Creditable => VisitStanding::Closed(CreditState::Creditable),
        WireCredit::Pending => VisitStanding::Closed(CreditState::Pending),
        WireCredit::Denied => VisitStanding::Closed(CreditState::Denied),
    }
}

fn wire_credit(credit: VisitCredit) -> WireVisitCredit {
    match credit {
        VisitCredit::Full => WireVisitCredit::Full,
        VisitCredit::Half => WireVisitCredit::Half,
        VisitCredit::None => WireVisitCredit::None,
        VisitCredit::Pending => WireVisitCredit::Pending,
    }
}

/// Found visits as the list shows them: credit states, worth and names.
async fn describe(state: &AppState, found: Vec<FoundVisit>) -> ApiResult<Vec<Visit>> {
    let records: Vec<_> = found.iter().map(|f| f.record.clone()).collect();
    let ids: Vec<Uuid> = records.iter().map(|r| r.id).collect();
    let anomalies = state.store.anomalies_of_visits(&ids).await?;
    let described = visits::describe(state, &records, &anomalies).await?;
    let mut out: Vec<Visit> = described
        .into_iter()
        .zip(found)
        .map(|(visit, f)| with_names(visit, &f))
        .collect();
    clinic::attach(state, &mut out).await?;
    attach_scan_marks(state, &mut out).await?;
    Ok(out)
}

/// Sets each visit's `scan_marks` from its accepted scans (one query).
async fn attach_scan_marks(state: &AppState, visits: &mut [Visit]) -> ApiResult<()> {
    let ids: Vec<Uuid> = visits.iter().map(|v| v.id).collect();
    let mut marks = state.store.scan_marks_of(&ids).await?;
    for visit in visits {
        visit.scan_marks = Some(marks.remove(&visit.id).unwrap_or_default());
    }
    Ok(())
}

fn with_names(visit: Visit, found: &FoundVisit) -> Visit {
    let worth = visit_credit::classify(
        standing(visit.credit_state),
        visit.minutes,
        &found.thresholds,
    );
    Visit {
        credit: Some(wire_credit(worth)),
        site_name: Some(found.site_name.clone()),
        physician_name: Some(found.physician_name.clone()),
        hospital_id: found.hospital_id,
        hospital_name: found.hospital_name.clone(),
        ..visit
    }
}

/// The whole filtered list for a download: at most [`EXPORT_LIMIT`] visits, and
/// whether more matched.
pub async fn export(
    state: &AppState,
    actor: &Actor,
    query: &VisitQuery,
) -> ApiResult<(Vec<Visit>, bool)> {
    let slice = VisitSlice {
        after: None,
        offset: 0,
        limit: EXPORT_LIMIT + 1,
    };
    let mut list = search(state, actor, query, slice).await?;
    let cut = list.items.len() > EXPORT_LIMIT as usize;
    list.items.truncate(EXPORT_LIMIT as usize);
    Ok((list.items, cut))
}

fn fix(f: &visit_search::VisitFix) -> VisitFix {
    VisitFix {
        event_id: f.event_id,
        at: f.at,
        lat: f.point.lat,
        lon: f.point.lon,
        accuracy_m: f.accuracy_m,
        crs: f.crs.clone(),
        is_mock: f.is_mock,
        verdict: f.verdict.clone(),
        distance_to_fence_m: f.distance_to_fence_m,
        offline: f.network.offline,
        received_at: f.network.received_at,
        network: f.network.network.clone(),
        client_ip: f.network.client_ip.clone(),
        ip_place: f.network.ip_place.clone(),
    }
}

/// One visit in full, for a supervisor within reach, an admin, or the
/// administrator of the visit's own site (404 otherwise).
pub async fn detail(state: &AppState, actor: &Actor, id: Uuid) -> ApiResult<VisitDetail> {
    actor.require(&[Role::Admin, Role::Supervisor, Role::ClinicAdmin])?;
    let record = state.store.visit(id).await?.ok_or(ApiError::NotFound)?;
    let site = state
        .store
        .organization(record.site_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    actor.check_reach(Placement {
        jurisdiction: &site.jurisdiction_path,
        // The site itself, for its clinic administrator.
        organization_id: Some(site.id),
    })?;
    let jurisdiction_name = state
        .store
        .jurisdiction(&site.jurisdiction_code)
        .await?
        .map(|j| j.name)
        .unwrap_or_default();
    let physician = state
        .store
        .user(record.physician_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let hospital_name = match physician.organization_id {
        Some(org) => state.store.organization(org).await?.map(|o| o.name),
        None => None,
    };
    let assignment = state
        .store
        .assignment(record.assignment_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let thresholds: Thresholds = state
        .store
        .program(assignment.program_id)
        .await?
        .map(|(p, _)| p.thresholds)
        .unwrap_or_default();

    let fixes = state.store.visit_fixes(id).await?;
    let check_in = fixes.iter().find(|f| f.action == "check_in");
    let check_out = fixes.iter().find(|f| f.action == "check_out");
    let fence = match check_in.and_then(|f| f.geofence_version) {
        Some(version) => state
            .store
            .geofence_version(site.id, version)
            .await?
            .map(|fence| VisitFence {
                version,
                geometry: fence.to_stored_json(),
            }),
        None => None,
    };

    let anomaly_records = state.store.anomalies_of_visit(id).await?;
    let visit_anomalies: Vec<VisitAnomaly> = anomaly_records
        .iter()
        .map(|a| VisitAnomaly {
            visit_id: id,
            kind: a.kind.clone(),
            status: a.status.clone(),
        })
        .collect();
    let confirmed = anomaly_records.iter().any(|a| a.status == "confirmed");
    let visit = visits::describe(state, std::slice::from_ref(&record), &visit_anomalies)
        .await?
        .pop()
        .ok_or(ApiError::NotFound)?;
    let reason = visit_credit::explain(
        standing(visit.credit_state),
        visit.minutes,
        confirmed,
        &thresholds,
    );
    let found = FoundVisit {
        record,
        thresholds,
        site_name: site.name.clone(),
        physician_name: physician.name.clone(),
        hospital_id: physician.organization_id,
        hospital_name: hospital_name.clone(),
    };
    let mut visit = with_names(visit, &found);
    clinic::attach(state, std::slice::from_mut(&mut visit)).await?;
    attach_scan_marks(state, std::slice::from_mut(&mut visit)).await?;

    // The newest record of each kind is the one that counts (corrections are new rows).
    let mut newest: BTreeMap<&'static str, VisitActivity> = BTreeMap::new();
    for record in state.store.activities_of_visit(id).await? {
        let kind: WireActivity = serde_json::to_value(record.kind)
            .and_then(serde_json::from_value)
            .map_err(ApiError::internal)?;
        newest.insert(
            record.kind.as_str(),
            VisitActivity {
                kind,
                kind_zh: record.kind.label_zh().to_owned(),
                count: record.count,
                note: record.note,
                recorded_at: record.recorded_at,
            },
        );
    }

    Ok(VisitDetail {
        site: VisitSite {
            id: site.id,
            name: site.name,
            kind: site.kind,
            jurisdiction_code: site.jurisdiction_code.to_string(),
            jurisdiction_name,
        },
        physician: VisitPhysician {
            id: physician.id,
            name: physician.name,
            title: physician.title,
            hospital_id: physician.organization_id,
            hospital_name,
        },
        check_in: check_in.map(fix),
        check_out: check_out.map(fix),
        fence,
        anomalies: anomalies::describe(state, anomaly_records).await?,
        activities: newest.into_values().collect(),
        credit: VisitCreditReason {
            credit: wire_credit(reason.credit),
            minutes: visit.minutes,
            half_day_minutes: thresholds.half_day_minutes,
            full_day_minutes: thresholds.full_day_minutes,
            window_start: assignment.window.start_hhmm(),
            window_end: assignment.window.end_hhmm(),
            reason_zh: reason.zh,
            reason_en: reason.en,
        },
        photos: state.store.photos_of_visit(id).await?,
        visit,
    })
}
