//! Workload logged on a visit (`POST /api/v1/visits/{id}/activities`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::admin::ActivityKind;

/// What a physician did on a visit. Logging a kind already logged on the visit
/// amends it: the new record supersedes the earlier one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LogActivity {
    pub kind: ActivityKind,
    /// Patients seen, rounds led, trainees taught...: 0 to 10,000.
    #[cfg_attr(feature = "openapi", schema(maximum = 10000))]
    pub count: u32,
    /// At most 500 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(format = "note-500"))]
    pub note: Option<String>,
}

/// One stored activity record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Activity {
    pub id: Uuid,
    pub visit_id: Uuid,
    pub physician_id: Uuid,
    pub kind: ActivityKind,
    pub count: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The earlier record of the same kind this one amends.
    pub supersedes_id: Option<Uuid>,
    pub recorded_at: DateTime<Utc>,
    /// False once a later record of the same kind amends it; reports count current records only.
    pub current: bool,
}
