//! `/api/v1/sites/nearby`: the sites a phone is at or near, so the app can say "you are
//! at X" or "the nearest site you are assigned to is X, 230 m away".
//!
//! Scope: a physician sees only sites they hold an assignment at (any period), a
//! hospital or clinic administrator only their own organization, a supervisor the sites
//! of their jurisdiction, an admin every site. The filter runs before the limit, so the
//! answer never reveals that other sites exist nearby.

use std::collections::HashSet;

use axum::extract::State;
use mobile_api::{NearbySite, NearbySites, Problem};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{AppJson, AppQuery};
use crate::domain::access::{Actor, Placement, Role};
use crate::domain::coords::{Crs, LatLon, to_wgs84};
use crate::domain::site_index::{MAX_NEARBY_SITES, MAX_SEARCH_RADIUS_M};
use crate::error::{ApiError, ApiResult};
use crate::service::sites::{self, SiteRef};
use crate::state::AppState;

/// Search radius when the caller gives none, in metres.
const DEFAULT_RADIUS_M: f64 = 1_000.0;
/// Sites listed when the caller gives no limit.
const DEFAULT_LIMIT: u32 = 10;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(nearby_sites))
}

/// `?lat=&lon=&crs=&radius_m=&limit=`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NearbyQuery {
    /// Latitude of the fix, -90 to 90.
    #[param(minimum = -90, maximum = 90, example = 26.8853)]
    lat: f64,
    /// Longitude of the fix, -180 to 180.
    #[param(minimum = -180, maximum = 180, example = 120.0052)]
    lon: f64,
    /// Datum of the fix: `wgs84` (default, what GPS reports), `gcj02` or `bd09`.
    #[param(value_type = Option<String>, pattern = "^\\s*(wgs84|gcj02|bd09)?\\s*$", example = "wgs84")]
    crs: Option<String>,
    /// Search radius in metres, 0 to 5000; default 1000.
    #[param(minimum = 0.0, maximum = 5000.0, example = 1000.0)]
    radius_m: Option<f64>,
    /// Most sites to list, 1 to 20; default 10.
    #[param(minimum = 1, maximum = 20)]
    limit: Option<u32>,
}

/// The validated query: a WGS-84 fix, a radius and a limit.
struct Search {
    fix: LatLon,
    radius_m: f64,
    limit: usize,
}

impl TryFrom<NearbyQuery> for Search {
    type Error = ApiError;

    fn try_from(query: NearbyQuery) -> ApiResult<Search> {
        let crs = match query.crs.as_deref().map(str::trim) {
            None | Some("") => Crs::default(),
            Some(name) => name
                .parse::<Crs>()
                .map_err(|e| ApiError::invalid(format!("crs: {e}")))?,
        };
        let fix = LatLon::new(query.lat, query.lon);
        if !fix.is_valid() {
            return Err(ApiError::invalid(
                "lat, lon: latitude must be within -90..90 and longitude within -180..180",
            ));
        }
        let radius_m = query.radius_m.unwrap_or(DEFAULT_RADIUS_M);
        if !(0.0..=MAX_SEARCH_RADIUS_M).contains(&radius_m) {
            return Err(ApiError::invalid(format!(
                "radius_m: must be between 0 and {MAX_SEARCH_RADIUS_M} metres"
            )));
        }
        let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_NEARBY_SITES as u32).contains(&limit) {
            return Err(ApiError::invalid(format!(
                "limit: must be between 1 and {MAX_NEARBY_SITES}"
            )));
        }
        Ok(Search {
            fix: to_wgs84(crs, fix),
            radius_m,
            limit: limit as usize,
        })
    }
}

/// Sites the caller may see whose fence contains the fix or lies within the radius,
/// nearest first, with the distance to each fence.
#[utoipa::path(get, path = "/api/v1/sites/nearby", tag = "attendance",
    params(NearbyQuery), security(("bearer" = [])),
    responses(
        (status = 200, body = NearbySites),
        (status = 400, description = "`invalid_request` naming the parameter", body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "A kiosk", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn nearby_sites(
    State(state): State<AppState>,
    actor: Actor,
    AppQuery(query): AppQuery<NearbyQuery>,
) -> ApiResult<AppJson<NearbySites>> {
    actor.require(&[
        Role::Admin,
        Role::Supervisor,
        Role::HospitalAdmin,
        Role::ClinicAdmin,
        Role::Physician,
    ])?;
    let search = Search::try_from(query)?;
    let assigned: HashSet<_> = if actor.role == Role::Physician {
        let assignments = state.store.assignments_of(actor.user_id).await?;
        assignments.into_iter().map(|a| a.site_id).collect()
    } else {
        HashSet::new()
    };
    let visible = |site: &SiteRef| {
        if actor.role == Role::Physician {
            assigned.contains(&site.id)
        } else {
            actor.reaches(Placement {
                jurisdiction: &site.jurisdiction_path,
                organization_id: Some(site.id),
            })
        }
    };
    let index = sites::current(&state).await?;
    let items = index
        .nearby(search.fix, search.radius_m, search.limit, visible)
        .into_iter()
        .map(|found| NearbySite {
            site_id: found.site.id,
            name: found.site.name.clone(),
            distance_m: (found.distance_m * 10.0).round() / 10.0,
            inside: found.is_inside(),
        })
        .collect();
    Ok(AppJson(NearbySites {
        radius_m: search.radius_m,
        items,
    }))
}
