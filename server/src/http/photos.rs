//! `PUT /api/v1/attendance/events/{event_id}/photo`: the photo taken at a scan.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use mobile_api::{Problem, ScanPhotoStored};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::extract::{AppJson, AppPath};
use crate::domain::access::Actor;
use crate::error::{ApiError, ApiResult};
use crate::service::photos;
use crate::state::AppState;

/// The transport's ceiling; the configured limit (`CHECKIN_SCAN_PHOTO_MAX_BYTES`,
/// default 1 MiB) is checked below it.
pub const PHOTO_BODY_CEILING_BYTES: usize = 16 * 1024 * 1024;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(upload_photo))
        .layer(DefaultBodyLimit::max(PHOTO_BODY_CEILING_BYTES))
}

/// The photo taken at one of the caller's scans (the `event_id` of the check-in or
/// check-out answer), as the raw body with `Content-Type: image/jpeg`, `image/png`
/// or `image/webp` (the first bytes must agree), at most `CHECKIN_SCAN_PHOTO_MAX_BYTES`
/// (default 1 MiB), within 30 minutes of the scan. Stored with its SHA-256, which the
/// audit entry records; one per scan.
#[utoipa::path(put, path = "/api/v1/attendance/events/{event_id}/photo", tag = "attendance",
    params(("event_id" = Uuid, Path)), security(("bearer" = [])),
    request_body(content = Vec<u8>, content_type = "image/jpeg"),
    responses(
        (status = 201, description = "Stored", body = ScanPhotoStored),
        (status = 400, description = "`invalid_request` naming the path parameter", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a physician", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or someone else's scan", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`photo_too_late` or `photo_exists`", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: not a JPEG, PNG or WebP", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn upload_photo(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(event_id): AppPath<Uuid>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<(StatusCode, AppJson<ScanPhotoStored>)> {
    let data = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge
        } else {
            ApiError::invalid(rejection.body_text())
        }
    })?;
    let content_type = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let stored = photos::upload(&state, &actor, event_id, content_type, &data).await?;
    Ok((StatusCode::CREATED, AppJson(stored)))
}

/// A stored photo as the answer to its GET: its own content type, its SHA-256 in
/// `X-Content-SHA256` (so the reader can check it against the audit entry), and never
/// cached.
pub(super) fn stored_image(content_type: &str, sha256: &str, data: Vec<u8>) -> ApiResult<Response> {
    let mut headers = HeaderMap::new();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_str(content_type).map_err(ApiError::internal)?,
    );
    headers.insert(
        HeaderName::from_static(super::filings::SHA256_HEADER),
        HeaderValue::from_str(sha256).map_err(ApiError::internal)?,
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok((headers, data).into_response())
}
