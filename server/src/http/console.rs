//! The supervisor console (督查控制台): the front-end built from `web/` (served by
//! `console_assets`), plus the one read-only lookup the API lacks, the fixes behind an
//! anomaly for its map.

use axum::extract::State;
use axum::routing::get;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa_axum::router::OpenApiRouter;
use uuid::Uuid;

use crate::domain::access::{Actor, Placement, Role, Scope};
use crate::error::{ApiError, ApiResult};
use crate::http::console_assets;
use crate::http::extract::{AppJson, AppPath};
use crate::state::AppState;

/// The routes of the console. None is in the OpenAPI document: they are a page, its
/// assets and that page's private helper, not the API.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route("/console", get(console_assets::redirect))
        .route("/console/", get(console_assets::index))
        .route("/console/assets/{*path}", get(console_assets::asset))
        .route("/console/api/anomalies/{id}/fixes", get(anomaly_fixes))
}

/// The fence an anomaly's site had when its event was judged, and the fixes behind it.
#[derive(Debug, Serialize)]
pub struct AnomalyFixes {
    pub anomaly_id: Uuid,
    pub site: Option<FixSite>,
    /// The anomaly's own events first, then the earlier or other fix it was compared
    /// with (`previous_event_id`, `other_event_id`) when the caller may see it, then
    /// its visit's check-in and check-out.
    pub fixes: Vec<Fix>,
}

#[derive(Debug, Serialize)]
pub struct FixSite {
    pub id: Uuid,
    pub name: String,
    /// WGS-84, in the stored shape of `GET /api/v1/organizations/{id}`; absent when the
    /// site has no fence.
    pub geofence: Option<Value>,
    pub geofence_version: Option<i64>,
}

#[derive(Debug, Serialize)]
pub struct Fix {
    pub event_id: Uuid,
    /// `event` (the anomaly's own), `previous` (the fix before, for impossible travel),
    /// `other` (the other use of the code, or the identical fix) or `visit` (the
    /// check-in or check-out of the anomaly's visit).
    pub role: &'static str,
    pub physician_id: Uuid,
    pub site_id: Option<Uuid>,
    /// `check_in`, `check_out` or `presence`.
    pub action: String,
    pub device_id: String,
    /// WGS-84.
    pub lat: f64,
    pub lon: f64,
    pub accuracy_m: f64,
    pub is_mock: bool,
    pub scanned_at: DateTime<Utc>,
    pub verdict: String,
    pub distance_to_fence_m: Option<f64>,
    pub geofence_version: Option<i64>,
}

/// `GET /console/api/anomalies/{id}/fixes` (supervisor, admin): what the distance
/// diagram draws: the site's fence and the anomaly's fixes with their positions. Scoped like the review: an anomaly outside the caller's jurisdiction
/// is a 404. A compared fix is shown only when it is the same physician's or was
/// taken at the same site, so the diagram reveals nothing the caller could not list.
pub async fn anomaly_fixes(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<Uuid>,
) -> ApiResult<AppJson<AnomalyFixes>> {
    actor.require(&[Role::Admin, Role::Supervisor])?;
    let (anomaly, site_path) = state.store.anomaly(id).await?.ok_or(ApiError::NotFound)?;
    if actor.scope != Scope::Everything {
        let path = site_path.ok_or(ApiError::NotFound)?;
        actor.check_reach(Placement {
            jurisdiction: &path,
            organization_id: None,
        })?;
    }

    let mut wanted: Vec<(Uuid, &'static str)> =
        anomaly.event_ids.iter().map(|e| (*e, "event")).collect();
    for (member, role) in [
        ("previous_event_id", "previous"),
        ("other_event_id", "other"),
    ] {
        if let Some(other) = anomaly
            .detail
            .get(member)
            .and_then(Value::as_str)
            .and_then(|s| Uuid::parse_str(s).ok())
            && !wanted.iter().any(|(e, _)| *e == other)
        {
            wanted.push((other, role));
        }
    }
    // An anomaly about a visit as a whole (missing check-out, absent at inspection,
    // short visit) names no event: draw the visit's own check-in and check-out.
    if let Some(visit_id) = anomaly.visit_id {
        for event_id in visit_events(&state, visit_id).await? {
            if !wanted.iter().any(|(e, _)| *e == event_id) {
                wanted.push((event_id, "visit"));
            }
        }
    }
    let mut fixes = Vec::with_capacity(wanted.len());
    for (event_id, role) in wanted {
        let Some(fix) = fetch_fix(&state, event_id, role).await? else {
            continue;
        };
        let visible = Some(fix.physician_id) == anomaly.physician_id
            || (fix.site_id.is_some() && fix.site_id == anomaly.site_id);
        if visible {
            fixes.push(fix);
        }
    }

    let site = match anomaly.site_id {
        Some(site_id) => match state.store.organization(site_id).await? {
            Some(org) => {
                // The fence the anomaly's own event was judged against, when it is known.
                let judged = fixes
                    .iter()
                    .find(|f| f.role == "event" && f.site_id == Some(site_id))
                    .and_then(|f| f.geofence_version);
                let (geofence, geofence_version) = match judged {
                    Some(version) => match state.store.geofence_version(site_id, version).await? {
                        Some(fence) => (Some(fence.to_stored_json()), Some(version)),
                        None => current_fence(&org),
                    },
                    None => current_fence(&org),
                };
                Some(FixSite {
                    id: org.id,
                    name: org.name,
                    geofence,
                    geofence_version,
                })
            }
            None => None,
        },
        None => None,
    };
    Ok(AppJson(AnomalyFixes {
        anomaly_id: anomaly.id,
        site,
        fixes,
    }))
}

fn current_fence(org: &crate::domain::organization::Organization) -> (Option<Value>, Option<i64>) {
    match &org.geofence {
        Some(g) => (Some(g.fence.to_stored_json()), Some(g.version)),
        None => (None, None),
    }
}

/// One stored attendance event as a fix, in the role it plays in the diagram.
async fn fetch_fix(state: &AppState, id: Uuid, role: &'static str) -> ApiResult<Option<Fix>> {
    let Some(event) = state.store.event_fix(id).await? else {
        return Ok(None);
    };
    Ok(Some(Fix {
        event_id: event.id,
        role,
        physician_id: event.physician_id,
        site_id: event.site_id,
        action: event.action,
        device_id: event.device_id,
        lat: event.point.lat,
        lon: event.point.lon,
        accuracy_m: event.accuracy_m,
        is_mock: event.is_mock,
        scanned_at: event.scanned_at,
        verdict: event.verdict,
        distance_to_fence_m: event.distance_to_fence_m,
        geofence_version: event.geofence_version,
    }))
}

/// The check-in and (when there is one) check-out event of a visit.
async fn visit_events(state: &AppState, visit_id: Uuid) -> ApiResult<Vec<Uuid>> {
    Ok(state.store.visit_event_ids(visit_id).await?)
}
