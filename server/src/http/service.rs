//! Service endpoints: liveness, readiness, the OpenAPI document.

use std::time::Instant;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;
use crate::store::fault::Verdict;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    pub status: &'static str,
}

/// 200 while the process runs.
#[utoipa::path(get, path = "/healthz", tag = "service",
    responses((status = 200, body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

#[derive(Serialize, ToSchema)]
pub struct Readiness {
    /// `ok`, or `degraded` when the database or Redis does not answer.
    pub status: &'static str,
    pub database: &'static str,
    pub database_ok: bool,
    pub cache: &'static str,
    pub cache_ok: bool,
    /// False while writes fail for want of storage (a full or failing disk).
    pub storage_ok: bool,
    /// Why writes fail, while they do.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage_error: Option<String>,
}

/// 200 when the database (and Redis, when configured) answer and writes are stored;
/// 503 otherwise.
#[utoipa::path(get, path = "/readyz", tag = "service",
    responses((status = 200, body = Readiness), (status = 503, body = Readiness)))]
pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    // Redis is asked on every call, past the cache's circuit breaker, so readiness
    // returns by itself as soon as Redis answers again (which closes the breaker).
    let (database, cache) = tokio::join!(state.store.ping(), state.cache.ping());
    if let Err(error) = &database {
        tracing::warn!(%error, "readiness: database down");
    }
    if let Err(error) = &cache {
        tracing::warn!(%error, "readiness: cache down");
    }
    let storage = storage(&state).await;
    if let Err(reason) = &storage {
        tracing::warn!(%reason, "readiness: storage failing");
    }
    let ready = database.is_ok() && cache.is_ok() && storage.is_ok();
    let body = Readiness {
        status: if ready { "ok" } else { "degraded" },
        database: state.store.backend_name(),
        database_ok: database.is_ok(),
        cache: state.cache.backend_name(),
        cache_ok: cache.is_ok(),
        storage_ok: storage.is_ok(),
        storage_error: storage.err(),
    };
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body))
}

/// Whether writes are stored, and why not. A read answers on a full disk, so it is
/// the writes' recorded fault that tells; once that is a little old, one tiny write
/// decides (only then: a healthy storage costs readiness no write).
async fn storage(state: &AppState) -> Result<(), String> {
    match state.store.health().verdict(Instant::now()) {
        Verdict::Healthy => Ok(()),
        Verdict::Failing(reason) => Err(reason),
        Verdict::Probe => state
            .store
            .probe_write(state.now())
            .await
            .map_err(|error| error.to_string()),
    }
}
