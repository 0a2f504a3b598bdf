//! Builds the application: store, cache, keys, router, bound listener.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::serve::ListenerExt as _;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use uuid::Uuid;

use crate::auth::JwtKeys;
use crate::auth::password::{self, Passwords};
use crate::cache::Cache;
use crate::config::Config;
use crate::domain::clock::SharedClock;
use crate::domain::user::{Phone, Role, User, check_password_policy};
use crate::error::{ApiError, StorageFault};
use crate::http;
use crate::metrics::{Metrics, UNMATCHED_ROUTE};
use crate::state::{AppState, Keys};
use crate::store::audit::Provenance;
use crate::store::{Store, StoreError};

/// Request bodies larger than this are refused with 413.
pub const BODY_LIMIT_BYTES: usize = 64 * 1024;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// A built application, bound to its port and ready to serve.
pub struct App {
    listener: TcpListener,
    router: Router,
    state: AppState,
    /// Set when the server speaks HTTPS itself (`CHECKIN_TLS_CERT` / `CHECKIN_TLS_KEY`).
    tls: Option<Arc<tokio_rustls::rustls::ServerConfig>>,
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
        let pii = pii_key(&config, &store, &clock).await?;
        let keys = Keys {
            jwt: JwtKeys::from_secret(&jwt_secret),
            passwords: Passwords::new(config.password_cost)?,
            pii,
        };
        // Read the certificate before binding: a bad file stops the start, not the first request.
        let tls = config
            .tls
            .as_ref()
            .map(crate::tls::server_config)
            .transpose()?;
        let listener = TcpListener::bind(config.listen).await?;
        let config_ip_db = config.ip_db.as_deref();
        let ip_locator = crate::iploc::load(config_ip_db)?;
        let state = AppState {
            config: Arc::new(config),
            store,
            cache,
            keys: Arc::new(keys),
            clock,
            metrics: Metrics::new(),
            ip_locator,
        };
        bootstrap_admin(&state).await?;
        let router = build_router(state.clone());
        Ok(App {
            listener,
            router,
            state,
            tls,
        })
    }

    /// Whether the server answers HTTPS (its links start `https://`).
    pub fn is_https(&self) -> bool {
        self.tls.is_some()
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
        let served = match self.tls {
            Some(tls) => {
                // `tap_io` only to get axum's connect info for a listener of our own.
                let listener = crate::tls::TlsListener::new(self.listener, tls)?.tap_io(|_| {});
                axum::serve(listener, service)
                    .with_graceful_shutdown(shutdown)
                    .await
            }
            None => {
                axum::serve(self.listener, service)
                    .with_graceful_shutdown(shutdown)
                    .await
            }
        };
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

/// The key sealing survey names and phones: from `CHECKIN_PII_KEY`, or generated once
/// and kept in the database so every process that shares it reads alike.
async fn pii_key(
    config: &Config,
    store: &Store,
    clock: &SharedClock,
) -> anyhow::Result<crate::pii::PiiKey> {
    let text = match &config.pii_key {
        Some(key) => key.clone(),
        None => {
            let fresh = crate::pii::PiiKey::generate()?;
            store
                .secret_or_insert("pii_key_v1", &fresh, clock.now())
                .await?
        }
    };
    crate::pii::PiiKey::from_base64(&text).map_err(|e| anyhow::anyhow!("CHECKIN_PII_KEY: {e}"))
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
        practice_since_year: None,
        discipline: None,
        created_at: state.now(),
        deactivated_at: None,
    };
    // Created by the server from its configuration, not by an actor: no audit entry.
    match state
        .store
        .insert_user(&admin, &hash, false, Provenance::Seed)
        .await
    {
        Ok(()) => tracing::info!(phone = admin.phone.as_str(), "bootstrap admin created"),
        // Another process, or an earlier user with that phone, got there first.
        Err(StoreError::Conflict(_)) => tracing::warn!("bootstrap admin phone already in use"),
        Err(other) => return Err(other.into()),
    }
    Ok(())
}

/// The whole HTTP surface with its middleware.
pub fn build_router(state: AppState) -> Router {
    let (api, openapi) = http::api_router_and_document();
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
        .layer(middleware::from_fn_with_state(
            Budgets::from(state.config.as_ref()),
            enforce_budget,
        ))
        .layer(middleware::from_fn_with_state(
            state.store.clone(),
            watch_storage,
        ))
        .layer(middleware::from_fn_with_state(
            state.metrics.clone(),
            record_metrics,
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

/// How long a request may take before it is abandoned with 503 `timeout`: reports,
/// service records and imports get `long`, everything else `default`.
#[derive(Debug, Clone, Copy)]
pub struct Budgets {
    pub default: Duration,
    pub long: Duration,
}

impl From<&Config> for Budgets {
    fn from(config: &Config) -> Self {
        Budgets {
            default: config.request_timeout,
            long: config.report_timeout,
        }
    }
}

impl Budgets {
    /// The budget of a request to the route pattern `route`.
    pub fn of(&self, method: &Method, route: Option<&str>) -> Duration {
        let long = match route {
            Some(route) => {
                route.starts_with("/api/v1/reports/")
                    // The dashboard runs the compliance and monthly reports.
                    || route == "/api/v1/dashboard"
                    || route == "/api/v1/physicians/{id}/service-record"
                    || route.ends_with("/promotion-form")
                    || route == "/api/v1/promotion-notices"
                    || route == "/api/v1/assignments/import"
                    || (route == "/api/v1/organizations" && method == Method::POST)
            }
            None => false,
        };
        if long { self.long } else { self.default }
    }
}

/// Abandons the request (dropping its future, which rolls back any open transaction)
/// once its budget has passed, answering 503 `timeout` as problem+json.
async fn enforce_budget(State(budgets): State<Budgets>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(MatchedPath::as_str);
    let budget = budgets.of(request.method(), route);
    match tokio::time::timeout(budget, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::Timeout {
            budget_secs: budget.as_secs(),
        }
        .into_response(),
    }
}

/// Keeps the storage's health (read by `/readyz`) from the answers: an answer that
/// failed for want of storage records the fault; a write answered with success
/// shows the storage works again.
async fn watch_storage(State(store): State<Store>, request: Request, next: Next) -> Response {
    let writes = !request.method().is_safe();
    let response = next.run(request).await;
    let health = store.health();
    if let Some(StorageFault(reason)) = response.extensions().get::<StorageFault>() {
        health.failed(reason, std::time::Instant::now());
    } else if writes && response.status().is_success() && health.is_failing() {
        health.recovered();
    }
    response
}

/// Counts every answered request by matched route, method and status, with its latency.
async fn record_metrics(State(metrics): State<Metrics>, request: Request, next: Next) -> Response {
    let _in_flight = metrics.request_started();
    let started = std::time::Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED_ROUTE, MatchedPath::as_str)
        .to_owned();
    let method = request.method().clone();
    let response = next.run(request).await;
    metrics.record_request(
        &route,
        method.as_str(),
        response.status().as_u16(),
        started.elapsed(),
    );
    response
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

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::StatusCode;
    use tower::ServiceExt;

    #[tokio::test]
    async fn a_request_past_its_budget_answers_503_timeout_as_problem_json() {
        let budgets = Budgets {
            default: Duration::from_millis(50),
            long: Duration::from_secs(600),
        };
        let router: Router = Router::new()
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(600)).await;
                    "never"
                }),
            )
            .route("/fast", get(|| async { "done" }))
            .layer(middleware::from_fn_with_state(budgets, enforce_budget));
        let slow = router
            .clone()
            .oneshot(Request::get("/slow").body(Body::empty()).expect("request"))
            .await
            .expect("answers");
        assert_eq!(slow.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            slow.headers()[header::CONTENT_TYPE],
            mobile_api::problem::PROBLEM_JSON
        );
        let body = axum::body::to_bytes(slow.into_body(), 4096)
            .await
            .expect("body");
        let problem: serde_json::Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(problem["code"], "timeout");
        let fast = router
            .oneshot(Request::get("/fast").body(Body::empty()).expect("request"))
            .await
            .expect("answers");
        assert_eq!(fast.status(), StatusCode::OK);
    }

    #[test]
    fn reports_and_imports_get_the_long_budget() {
        let budgets = Budgets {
            default: Duration::from_secs(30),
            long: Duration::from_secs(300),
        };
        let long = Duration::from_secs(300);
        assert_eq!(
            budgets.of(&Method::GET, Some("/api/v1/reports/compliance")),
            long
        );
        assert_eq!(
            budgets.of(&Method::POST, Some("/api/v1/assignments/import")),
            long
        );
        assert_eq!(
            budgets.of(&Method::POST, Some("/api/v1/organizations")),
            long
        );
        assert_eq!(
            budgets.of(&Method::GET, Some("/api/v1/organizations")),
            budgets.default
        );
        assert_eq!(
            budgets.of(&Method::POST, Some("/api/v1/attendance/check-in")),
            budgets.default
        );
        assert_eq!(budgets.of(&Method::GET, None), budgets.default);
    }
}
