//! The receiving clinic's daily confirmation of the visits at its site (受援单位日常考核).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What the clinic says of one visit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ClinicVerdict {
    /// 确认在岗: the physician served that day as the visit says.
    Confirmed,
    /// 有异议: the clinic disputes the visit; raises a `clinic_disputed` anomaly.
    Disputed,
}

/// `POST /api/v1/visits/{id}/clinic-confirmation`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClinicConfirmationRequest {
    pub verdict: ClinicVerdict,
    /// Why (1 to 500 characters); required for a dispute, optional for a confirmation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The clinic's word on one visit, as recorded (once per visit).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClinicConfirmation {
    pub id: Uuid,
    pub visit_id: Uuid,
    pub site_id: Uuid,
    pub verdict: ClinicVerdict,
    /// Empty when a confirmation gave no reason.
    pub reason: String,
    pub confirmed_by: Uuid,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmed_by_name: Option<String>,
    pub confirmed_at: DateTime<Utc>,
    /// The `clinic_disputed` anomaly a dispute raised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anomaly_id: Option<Uuid>,
}
