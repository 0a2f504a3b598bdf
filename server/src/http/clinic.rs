//! The receiving clinic's daily confirmation of visits (受援单位日常考核).

use axum::extract::State;
use axum::http::StatusCode;
use mobile_api::{ClinicConfirmation, ClinicConfirmationRequest, Problem};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::extract::{AppJson, AppPath};
use crate::domain::access::Actor;
use crate::error::ApiResult;
use crate::service::clinic;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(confirm_visit))
}

/// The receiving clinic confirms (`confirmed`) or disputes (`disputed`, with a
/// `reason`) one visit at its own site, once. A dispute raises a `clinic_disputed`
/// anomaly for the supervisors; the confirmation is shown on the visit
/// (`clinic_confirmation`) in the list and the detail. Clinic administrators only;
/// audited.
#[utoipa::path(post, path = "/api/v1/visits/{id}/clinic-confirmation", tag = "supervision",
    params(("id" = Uuid, Path)), request_body = ClinicConfirmationRequest, security(("bearer" = [])),
    responses(
        (status = 201, description = "Recorded", body = ClinicConfirmation),
        (status = 400, description = "`invalid_request` naming the field", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a clinic administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, or at another site", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`already_confirmed`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn confirm_visit(
    State(state): State<AppState>,
    actor: Actor,
    AppPath(id): AppPath<Uuid>,
    AppJson(body): AppJson<ClinicConfirmationRequest>,
) -> ApiResult<(StatusCode, AppJson<ClinicConfirmation>)> {
    let recorded = clinic::confirm(&state, &actor, id, &body).await?;
    Ok((StatusCode::CREATED, AppJson(recorded)))
}
