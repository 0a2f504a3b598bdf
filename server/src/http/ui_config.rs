//! `GET /api/v1/ui-config`: the console's public settings (its base map), read by
//! the page before anyone logs in.

use axum::extract::State;
use mobile_api::{MapSettings, TileCrs as WireTileCrs, UiConfig};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::AppJson;
use crate::config::{MapTiles, TileCrs};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(ui_config))
}

fn settings(map: &MapTiles) -> MapSettings {
    MapSettings {
        tile_url: map.tile_url.clone(),
        tile_crs: match map.tile_crs {
            TileCrs::Wgs84 => WireTileCrs::Wgs84,
            TileCrs::Gcj02 => WireTileCrs::Gcj02,
        },
        attribution: map.attribution.clone(),
    }
}

/// The base map the console draws under fences and fixes, as configured by
/// `CHECKIN_MAP_TILE_URL`, `CHECKIN_MAP_TILE_CRS` and `CHECKIN_MAP_TILE_ATTRIBUTION`.
/// No authentication: nothing here is secret.
#[utoipa::path(get, path = "/api/v1/ui-config", tag = "service",
    responses((status = 200, body = UiConfig)))]
pub async fn ui_config(State(state): State<AppState>) -> AppJson<UiConfig> {
    AppJson(UiConfig {
        map: settings(&state.config.map),
    })
}
