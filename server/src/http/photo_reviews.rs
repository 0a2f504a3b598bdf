//! Scan photo sampling (照片抽查): `/api/v1/scan-photo-samples` draws and re-reads a
//! recorded sample; `/api/v1/scan-photos/{photo_id}` serves a photo and
//! `/api/v1/scan-photos/{photo_id}/review` records a supervisor's verdict on it.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use mobile_api::{
    CreateScanPhotoSample, Problem, ReviewScanPhoto, ScanPhotoReview, ScanPhotoSample,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::extract::{AppJson, AppPath};
use crate::domain::access::Actor;
use crate::error::ApiResult;
use crate::service::photo_reviews;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_sample))
        .routes(routes!(get_sample))
        .routes(routes!(photo))
        .routes(routes!(review_photo))
}

/// Draws `n` (1 to 200) of the scan photos of visits in `month` (`YYYY-MM`) at sites of
/// the jurisdiction and below, at random without replacement, each weighted 1, +2 when
/// its visit has open anomalies, +1 when the scan has no kiosk network evidence. The
/// seed is generated unless given, recorded with the photos drawn in the sample and its
/// audit entry (`scan_photo_sample.create`), and answered: the same seed over the same
/// photos draws the same sample. Supervisors within their jurisdiction, admins. 400
/// `invalid_request` naming the field; 404 for a jurisdiction outside the caller's.
#[utoipa::path(post, path = "/api/v1/scan-photo-samples", tag = "supervision",
    request_body = CreateScanPhotoSample, security(("bearer" = [])),
    responses(
        (status = 201, body = ScanPhotoSample),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_sample(
    State(state): State<AppState>,
    actor: Actor,
    AppJson(body): AppJson<CreateScanPhotoSample>,
) -> ApiResult<(StatusCode, AppJson<ScanPhotoSample>)> {
    let sample = photo_reviews::create_sample(&state, &actor, &body).await?;
    Ok((StatusCode::CREATED, AppJson(sample)))
}

/// A recorded sample, its photos in drawn order with their reviews as they stand now.
#[utoipa::path(get, path = "/api/v1/scan-photo-samples/{id}", tag = "supervision",
    params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses(
        (status = 200, body = ScanPhotoSample),
        (status = 400, description = "`invalid_request` naming the path parameter", body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_sample(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<Uuid>,
) -> ApiResult<AppJson<ScanPhotoSample>> {
    Ok(AppJson(photo_reviews::sample(&state, &actor, id).await?))
}

/// A scan photo as uploaded (its id is the scan's event id), with `X-Content-SHA256`
/// (the hash the audit chain recorded). For those who may open its visit: supervisors
/// in reach, admins, the site's clinic administrator.
#[utoipa::path(get, path = "/api/v1/scan-photos/{photo_id}", tag = "supervision",
    params(("photo_id" = Uuid, Path)), security(("bearer" = [])),
    responses(
        (status = 200, description = "The image", content(("image/jpeg"), ("image/png"), ("image/webp")),
            headers(("X-Content-SHA256" = String, description = "Hex SHA-256 of the body"))),
        (status = 400, description = "`invalid_request` naming the path parameter", body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn photo(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(photo_id): AppPath<Uuid>,
) -> ApiResult<Response> {
    let (meta, data) = photo_reviews::image(&state, &actor, photo_id).await?;
    super::photos::stored_image(&meta.content_type, &meta.sha256, data)
}

/// Marks a scan photo `ok` or `suspicious` (with a `note`, required then), once.
/// Audited as `scan_photo_review.create`; a suspicious photo raises `photo_suspicious`
/// (high) on its visit, which holds the visit's credit until reviewed. Supervisors in
/// reach, admins; 404 otherwise; 409 `photo_reviewed` for a second review.
#[utoipa::path(post, path = "/api/v1/scan-photos/{photo_id}/review", tag = "supervision",
    params(("photo_id" = Uuid, Path)), request_body = ReviewScanPhoto, security(("bearer" = [])),
    responses(
        (status = 201, body = ScanPhotoReview),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`photo_reviewed`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn review_photo(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(photo_id): AppPath<Uuid>,
    AppJson(body): AppJson<ReviewScanPhoto>,
) -> ApiResult<(StatusCode, AppJson<ScanPhotoReview>)> {
    let review = photo_reviews::review(&state, &actor, photo_id, &body).await?;
    Ok((StatusCode::CREATED, AppJson(review)))
}
