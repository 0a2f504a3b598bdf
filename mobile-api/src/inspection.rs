//! Supervisors' inspections (暗访 / 现场核查) and presence spot-checks (在岗抽查).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// How the supervisor came to the site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum InspectionKind {
    /// 暗访: an unannounced visit.
    Unannounced,
    /// 现场核查: an announced on-site check.
    Onsite,
}

impl InspectionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            InspectionKind::Unannounced => "unannounced",
            InspectionKind::Onsite => "onsite",
        }
    }
}

/// Body of `POST /api/v1/inspections`: who the supervisor found at the site, and who
/// not, at `observed_at`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateInspection {
    pub site_id: Uuid,
    pub kind: InspectionKind,
    /// When the supervisor was at the site; not in the future, at most a year ago.
    pub observed_at: DateTime<Utc>,
    /// Physicians seen at work (at most 200).
    #[serde(default)]
    pub present_physician_ids: Vec<Uuid>,
    /// Physicians expected but not found (at most 200).
    #[serde(default)]
    pub absent_physician_ids: Vec<Uuid>,
    /// At most 2000 characters.
    #[serde(default)]
    pub note: String,
}

/// An anomaly raised by an inspection's cross-check against attendance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RaisedAnomaly {
    pub anomaly_id: Uuid,
    pub physician_id: Uuid,
    /// `inspection_absent` or `inspection_unrecorded`.
    pub kind: String,
    /// The visit the anomaly is about, when there is one.
    pub visit_id: Option<Uuid>,
}

/// A recorded inspection with the anomalies its cross-check raised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Inspection {
    pub id: Uuid,
    pub site_id: Uuid,
    pub kind: InspectionKind,
    pub observed_at: DateTime<Utc>,
    pub inspector_id: Uuid,
    pub present_physician_ids: Vec<Uuid>,
    pub absent_physician_ids: Vec<Uuid>,
    pub note: String,
    pub created_at: DateTime<Utc>,
    pub raised: Vec<RaisedAnomaly>,
}

/// Body of `POST /api/v1/presence-checks`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatePresenceCheck {
    pub physician_id: Uuid,
    /// 1 to 240.
    pub respond_within_minutes: u32,
    /// The site to prove presence at. Default: the site of the physician's open visit,
    /// else the one site of their assignments covering today; required only when
    /// several sites are possible.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site_id: Option<Uuid>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PresenceCheckStatus {
    /// Waiting for the physician's scan.
    Pending,
    /// Answered in time by a scan of the site's rotating code.
    Answered,
    /// The deadline passed; `presence_check_missed` was raised.
    Missed,
}

impl PresenceCheckStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PresenceCheckStatus::Pending => "pending",
            PresenceCheckStatus::Answered => "answered",
            PresenceCheckStatus::Missed => "missed",
        }
    }
}

/// A presence spot-check: the physician must scan the site's current rotating code
/// through `POST /api/v1/attendance/presence` by `deadline_at`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PresenceCheck {
    pub id: Uuid,
    pub physician_id: Uuid,
    /// The site the scan must come from (always set by this server).
    pub site_id: Option<Uuid>,
    /// The visit open when the check was requested.
    pub visit_id: Option<Uuid>,
    pub requested_by: Uuid,
    pub requested_at: DateTime<Utc>,
    pub deadline_at: DateTime<Utc>,
    pub status: PresenceCheckStatus,
    /// The presence scan that answered it.
    pub answered_event_id: Option<Uuid>,
    /// When it was answered or found missed.
    pub resolved_at: Option<DateTime<Utc>>,
}
