//! `/metrics`: the Prometheus scrape, open unless `CHECKIN_METRICS_TOKEN` is set.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use mobile_api::Problem;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(metrics))
}

/// Metrics for Prometheus, in its text format.
///
/// Request counts and latency per route, attendance verdicts by reason, anomalies by
/// kind and status, database pool connections (README "Metrics" lists every name).
/// Open to anyone who reaches the listener unless the server has
/// `CHECKIN_METRICS_TOKEN`; then only with `Authorization: Bearer <that token>`.
#[utoipa::path(get, path = "/metrics", tag = "service",
    responses(
        (status = 200, description = "Prometheus text exposition format", body = String,
            content_type = "text/plain; version=0.0.4"),
        (status = 401, description = "`unauthorized` or `invalid_token` when a metrics token is configured",
            body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    if let Some(expected) = &state.config.metrics_token {
        authorize(&headers, expected)?;
    }
    let text = state.metrics.render(&state.store).await;
    let content_type = HeaderValue::from_static(crate::metrics::CONTENT_TYPE);
    Ok(([(header::CONTENT_TYPE, content_type)], text).into_response())
}

/// The scrape's bearer token must equal `expected` (compared in constant time).
fn authorize(headers: &HeaderMap, expected: &str) -> ApiResult<()> {
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or(ApiError::Unauthenticated("missing bearer token"))?;
    let presented = value
        .to_str()
        .ok()
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .ok_or(ApiError::InvalidToken)?;
    if constant_time_eq(presented.as_bytes(), expected.as_bytes()) {
        Ok(())
    } else {
        Err(ApiError::InvalidToken)
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_auth(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, value.parse().expect("header"));
        headers
    }

    #[test]
    fn only_the_configured_token_opens_the_scrape() {
        assert!(authorize(&with_auth("Bearer s3cret"), "s3cret").is_ok());
        assert!(authorize(&with_auth("bearer s3cret"), "s3cret").is_ok());
        assert!(matches!(
            authorize(&with_auth("Bearer s3cre"), "s3cret"),
            Err(ApiError::InvalidToken)
        ));
        assert!(matches!(
            authorize(&with_auth("Basic s3cret"), "s3cret"),
            Err(ApiError::InvalidToken)
        ));
        assert!(matches!(
            authorize(&HeaderMap::new(), "s3cret"),
            Err(ApiError::Unauthenticated(_))
        ));
    }
}
