//! Administration endpoints (admin; supervisors within their jurisdiction; organization
//! administrators for their own organization where the contract says so).

pub mod assignments;
pub mod calendars;
pub mod import;
pub mod jurisdictions;
pub mod kiosks;
pub mod organizations;
pub mod programs;
pub mod users;

use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(jurisdictions::router())
        .merge(organizations::router())
        .merge(users::router())
        .merge(programs::router())
        .merge(assignments::router())
        .merge(import::router())
        .merge(kiosks::router())
        .merge(calendars::router())
}
