//! The error body every endpoint answers with: RFC 9457 problem details plus a stable `code`.

use serde::{Deserialize, Serialize};

/// `application/problem+json`. Clients branch on `code`, never on `title` or `detail`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Problem {
    /// A URI naming the problem kind (`about:blank` style, stable per `code`).
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable snake_case machine code, e.g. `invalid_request`, `outside_geofence`,
    /// `password_change_required` (403: set your own password first, `POST /auth/password`).
    pub code: String,
    /// Extra machine-readable facts (e.g. `distance_m` for `outside_geofence`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub extra: Option<serde_json::Value>,
}

/// The media type of [`Problem`] bodies.
pub const PROBLEM_JSON: &str = "application/problem+json";
