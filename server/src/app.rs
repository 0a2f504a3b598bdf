//! Builds the application: store, cache, keys, router, bound listener.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use uuid::Uuid;

use crate::auth::{JwtKeys, password};
use crate::cache::Cache;
use crate::config::Config;
use crate::domain::clock::SharedClock;
use crate::domain::user::{Phone, Role, User, check_password_policy};
use crate::error::ApiError;
use crate::http;
use crate::state::{AppState, Keys};
use crate::store::{Store, StoreError};

/// Request bodies larger than this are refused with 413.
pub const BODY_LIMIT_BYTES: usize = 64 * 1024;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// A built application, bound to its port and ready to serve.
pub struct App {
    listener: TcpListener,
    router: Router,
    state: AppState,
}

impl App {
    /// Connects storage (running migrations), sets up keys and the bootstrap admin, and
    /// binds `config.listen` (port 0 picks a free port).
    pub async fn build(config: Config, clock: SharedClock) -> anyhow::Result<App> {
        let store = Store::connect(&config.database_url, config.db_max_connections).await?;
        let cache = match &config.redis_url {
            Some(url) => Cache::redis(url, &config.redis_prefix).await?,
            None => Cache::memory(),
        };
        let jwt_secret = jwt_secret(&config, &store, &clock).await?;
        let cost = config.password_cost;
        let dummy_password_hash = tokio::task::spawn_blocking(move || {
            password::hash_blocking("timing-equaliser-not-a-password", cost)
        })
        .await??;
        let keys = Keys {
            jwt: JwtKeys::from_secret(&jwt_secret),
            dummy_password_hash,
        };
        let listener = TcpListener::bind(config.listen).await?;
        let state = AppState {
            config: Arc::new(config),
            store,
            cache,
            keys: Arc::new(keys),
            clock,
        };
        bootstrap_admin(&state).await?;
        let router = build_router(state.clone());
        Ok(App {
            listener,
            router,
            state,
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves, with the scheduler ticking in the background, until `shutdown` completes,
    /// then finishes in-flight requests.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let service = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        let scheduler = crate::scheduler::spawn(self.state.clone());
        let served = axum::serve(self.listener, service)
            .with_graceful_shutdown(shutdown)
            .await;
        if let Some(scheduler) = scheduler {
            scheduler.abort();
        }
        self.state.store.close().await;
        served
    }
}

/// The signing key: from `CHECKIN_JWT_SECRET`, or generated once and kept in the
/// database so every process that shares it signs alike.
async fn jwt_secret(
    config: &Config,
    store: &Store,
    clock: &SharedClock,
) -> anyhow::Result<Vec<u8>> {
    if let Some(secret) = &config.jwt_secret {
        return Ok(secret.as_bytes().to_vec());
    }
    let mut fresh = [0u8; 64];
    getrandom::fill(&mut fresh).map_err(|e| anyhow::anyhow!("random: {e}"))?;
    let stored = store
        .secret_or_insert("jwt_hs256", &STANDARD.encode(fresh), clock.now())
        .await?;
    Ok(STANDARD.decode(stored)?)
}

/// Creates the first admin from `CHECKIN_BOOTSTRAP_ADMIN_*` when there is none.
async fn bootstrap_admin(state: &AppState) -> anyhow::Result<()> {
    let Some(bootstrap) = &state.config.bootstrap_admin else {
        return Ok(());
    };
    if state.store.admin_exists().await? {
        return Ok(());
    }
    let phone = Phone::parse(&bootstrap.phone)
        .map_err(|e| anyhow::anyhow!("CHECKIN_BOOTSTRAP_ADMIN_PHONE: {e}"))?;
    check_password_policy(&bootstrap.password)
        .map_err(|e| anyhow::anyhow!("CHECKIN_BOOTSTRAP_ADMIN_PASSWORD: {e}"))?;
    let hash = password::hash(bootstrap.password.clone(), state.config.password_cost).await?;
    let admin = User {
        id: Uuid::new_v4(),
        role: Role::Admin,
        name: "Administrator".to_owned(),
        phone,
        organization_id: None,
        jurisdiction_code: None,
        title: None,
        specialty: None,
        gender: None,
        created_at: state.now(),
    };
    match state.store.insert_user(&admin, &hash).await {
        Ok(()) => tracing::info!(phone = admin.phone.as_str(), "bootstrap admin created"),
        // Another process, or an earlier user with that phone, got there first.
        Err(StoreError::Conflict(_)) => tracing::warn!("bootstrap admin phone already in use"),
        Err(other) => return Err(other.into()),
    }
    Ok(())
}

/// The whole HTTP surface with its middleware.
pub fn build_router(state: AppState) -> Router {
    let (api, openapi) = http::api_router().split_for_parts();
    let openapi_json: Arc<str> = serde_json::to_string(&openapi)
        .unwrap_or_else(|_| "{}".to_owned())
        .into();
    let serve_openapi = move || {
        let body = openapi_json.clone();
        async move {
            (
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                )],
                body.to_string(),
            )
        }
    };
    api.route("/api/v1/openapi.json", get(serve_openapi))
        .fallback(|| async { ApiError::NotFound })
        .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES))
        .layer(CatchPanicLayer::custom(
            |_: Box<dyn std::any::Any + Send>| {
                ApiError::Internal("handler panicked".into()).into_response()
            },
        ))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_response(
                    |response: &Response, latency: Duration, _span: &tracing::Span| {
                        tracing::info!(
                            status = response.status().as_u16(),
                            latency_ms = latency.as_millis() as u64,
                            "response"
                        );
                    },
                ),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .with_state(state)
}

fn request_span(request: &Request) -> tracing::Span {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("<unmatched>", MatchedPath::as_str);
    let request_id = request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    tracing::info_span!("request", method = %request.method(), route, request_id)
}
