//! Inspection plans (督查计划): drawing the sites of a jurisdiction to inspect in a
//! quarter or a year from a recorded seed, and following which were inspected.

use chrono::Datelike;
use mobile_api::{
    CreateInspectionPlan, InspectionPlan, InspectionPlanList, PlanPeriodStatus, PlannedSite,
};
use serde_json::json;
use uuid::Uuid;

use crate::domain::access::{Actor, Role};
use crate::domain::crediting::start_of_local_day;
use crate::domain::inspection_plan::{self, MAX_SITES, PlanError, PlanPeriod};
use crate::domain::jurisdiction::{Jurisdiction, JurisdictionCode};
use crate::domain::organization::DEFAULT_TIMEZONE;
use crate::error::{ApiError, ApiResult};
use crate::service::audit::{self, Change};
use crate::service::reports;
use crate::state::AppState;
use crate::store::inspection_plans::{PlanRecord, PlanSiteRecord};

fn invalid(e: PlanError) -> ApiError {
    ApiError::invalid(e.to_string())
}

/// The jurisdiction a supervisor or admin names (404 outside their reach).
async fn jurisdiction(
    state: &AppState,
    actor: &Actor,
    code: Option<&str>,
) -> ApiResult<Jurisdiction> {
    actor.require(&[Role::Admin, Role::Supervisor])?;
    reports::resolve_scope(state, actor, code)
        .await?
        .jurisdiction
        .ok_or_else(|| ApiError::invalid("jurisdiction_code: required"))
}

fn fresh_seed() -> ApiResult<u64> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|e| ApiError::internal(e.to_string()))?;
    // Below 2^53, so the seed survives any JSON reader as a number too.
    Ok(u64::from_le_bytes(bytes) >> 11)
}

/// Draws the plan's sites and stores it with its seed and candidates, audited.
pub async fn create(
    state: &AppState,
    actor: &Actor,
    body: &CreateInspectionPlan,
) -> ApiResult<InspectionPlan> {
    actor.require(&[Role::Admin, Role::Supervisor])?;
    let period = PlanPeriod::parse(body.period.trim()).map_err(invalid)?;
    if !(1..=MAX_SITES).contains(&body.sites) {
        return Err(invalid(PlanError::Sites));
    }
    let seed = match &body.seed {
        Some(text) => inspection_plan::parse_seed(text).map_err(invalid)?,
        None => fresh_seed()?,
    };
    let place = jurisdiction(state, actor, Some(body.jurisdiction_code.trim())).await?;
    let named = state.store.plan_candidates(&place.path).await?;
    if named.is_empty() {
        return Err(ApiError::invalid(
            "jurisdiction_code: no receiving sites to draw from",
        ));
    }
    let candidates: Vec<_> = named.iter().map(|n| n.candidate).collect();
    let drawn = inspection_plan::draw(&candidates, body.sites, seed);
    let sites: Vec<PlanSiteRecord> = drawn
        .iter()
        .zip(1u32..)
        .map(|(c, order)| PlanSiteRecord {
            site_id: c.site_id,
            site_name: named
                .iter()
                .find(|n| n.candidate.site_id == c.site_id)
                .map(|n| n.name.clone())
                .unwrap_or_default(),
            order,
            open_anomalies: c.open_anomalies,
        })
        .collect();
    let candidates_json = json!(
        candidates
            .iter()
            .map(|c| json!({"site_id": c.site_id, "open_anomalies": c.open_anomalies}))
            .collect::<Vec<_>>()
    );
    let plan = PlanRecord {
        id: Uuid::new_v4(),
        jurisdiction_code: place.code.to_string(),
        period: period.to_string(),
        year: period.year(),
        quarter: period.quarter(),
        sites_requested: body.sites,
        seed: seed.to_string(),
        candidates: candidates_json.to_string(),
        created_by: actor.user_id,
        created_at: state.now(),
    };
    let entry = audit::audited(
        state,
        actor,
        Change {
            action: "inspection_plan.create",
            object_type: "inspection_plan",
            object_id: plan.id.to_string(),
            before: None,
            after: Some(&json!({
                "jurisdiction_code": plan.jurisdiction_code,
                "period": plan.period,
                "sites_requested": plan.sites_requested,
                "seed": plan.seed,
                "candidates": candidates_json,
                "drawn": sites.iter().map(|s| s.site_id).collect::<Vec<_>>(),
            })),
        },
    )?;
    state
        .store
        .insert_inspection_plan(&plan, &sites, entry)
        .await?;
    tracing::info!(plan_id = %plan.id, period = %plan.period, seed = %plan.seed, "inspection plan drawn");
    describe(state, plan, &place.name, candidates.len()).await
}

/// A stored plan with each drawn site's inspection status in the period.
async fn describe(
    state: &AppState,
    plan: PlanRecord,
    jurisdiction_name: &str,
    candidates: usize,
) -> ApiResult<InspectionPlan> {
    let period = PlanPeriod::parse(&plan.period).map_err(|e| ApiError::internal(e.to_string()))?;
    let (first, after) = period.dates();
    let from = start_of_local_day(first, DEFAULT_TIMEZONE);
    let until = start_of_local_day(after, DEFAULT_TIMEZONE);
    let mut sites = Vec::new();
    for s in state.store.plan_sites(plan.id).await? {
        let last = state
            .store
            .last_inspection_at(s.site_id, from, until)
            .await?;
        sites.push(PlannedSite {
            site_id: s.site_id,
            site_name: s.site_name,
            order: s.order,
            open_anomalies: s.open_anomalies,
            inspected: last.is_some(),
            last_inspected_at: last,
        });
    }
    let inspected = u32::try_from(sites.iter().filter(|s| s.inspected).count()).unwrap_or(0);
    Ok(InspectionPlan {
        id: plan.id,
        jurisdiction_code: plan.jurisdiction_code,
        jurisdiction_name: jurisdiction_name.to_owned(),
        period: plan.period,
        seed: plan.seed,
        sites_requested: plan.sites_requested,
        candidates: u32::try_from(candidates).unwrap_or(u32::MAX),
        created_by: plan.created_by,
        created_at: plan.created_at,
        sites,
        inspected,
    })
}

/// The year's plans in a jurisdiction and below (default: the supervisor's own; this
/// year), and how each quarter and the year is covered.
pub async fn list(
    state: &AppState,
    actor: &Actor,
    code: Option<&str>,
    year: Option<i32>,
) -> ApiResult<InspectionPlanList> {
    let place = jurisdiction(state, actor, code).await?;
    let year = year.unwrap_or_else(|| state.now().with_timezone(&DEFAULT_TIMEZONE).year());
    if !(2000..=2100).contains(&year) {
        return Err(ApiError::invalid("year: between 2000 and 2100"));
    }
    let mut items = Vec::new();
    for plan in state.store.inspection_plans(&place.path, year).await? {
        let name = match JurisdictionCode::parse(&plan.jurisdiction_code) {
            Ok(code) => state.store.jurisdiction(&code).await?.map(|j| j.name),
            Err(_) => None,
        }
        .unwrap_or_default();
        let candidates = serde_json::from_str::<Vec<serde_json::Value>>(&plan.candidates)
            .map(|c| c.len())
            .unwrap_or(0);
        items.push(describe(state, plan, &name, candidates).await?);
    }
    let periods = (1..=4)
        .map(|quarter| PlanPeriod::Quarter { year, quarter })
        .chain([PlanPeriod::Year(year)])
        .map(|period| {
            let key = period.to_string();
            let of: Vec<&InspectionPlan> = items.iter().filter(|p| p.period == key).collect();
            PlanPeriodStatus {
                period: key,
                plans: u32::try_from(of.len()).unwrap_or(0),
                sites: of
                    .iter()
                    .map(|p| u32::try_from(p.sites.len()).unwrap_or(0))
                    .sum(),
                inspected: of.iter().map(|p| p.inspected).sum(),
            }
        })
        .collect();
    Ok(InspectionPlanList {
        year,
        items,
        periods,
    })
}
