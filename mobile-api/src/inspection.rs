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
    /// Physicians seen at work (at most 200, each once).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 200))]
    pub present_physician_ids: Vec<Uuid>,
    /// Physicians expected but not found (at most 200, each once, none also present).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 200))]
    pub absent_physician_ids: Vec<Uuid>,
    /// At most 2000 characters.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    pub note: String,
    /// The inspector's own GPS fix at the site (from the phone or the browser), to
    /// show the inspection was made there. Optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inspector_fix: Option<InspectorFix>,
}

/// Where the inspector stood: a WGS-84 fix with its reported accuracy and time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InspectorFix {
    /// Latitude, WGS-84 (as browsers and phones report it).
    #[cfg_attr(feature = "openapi", schema(minimum = -90, maximum = 90))]
    pub lat: f64,
    #[cfg_attr(feature = "openapi", schema(minimum = -180, maximum = 180))]
    pub lon: f64,
    /// The fix's reported accuracy in metres (0 to 10,000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 10000))]
    pub accuracy_m: Option<f64>,
    /// When the fix was taken (not in the future).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix_time: Option<DateTime<Utc>>,
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
    /// The inspector's own fix, when one was recorded.
    #[serde(default)]
    pub inspector_fix: Option<InspectorFix>,
    /// How far the inspector's fix lay outside the site's fence, in metres (0 inside;
    /// absent without a fix or a fence).
    #[serde(default)]
    pub fix_distance_to_fence_m: Option<f64>,
    /// The follow-up (整改) of what was found, once recorded.
    #[serde(default)]
    pub follow_up: Option<InspectionFollowUp>,
    /// Photos taken at the inspection (metadata; the image at
    /// `/api/v1/inspections/{id}/photos/{photo_id}`).
    #[serde(default)]
    pub photos: Vec<InspectionPhoto>,
    /// The site's name (in lists and the detail).
    #[serde(default)]
    pub site_name: String,
    /// The site's jurisdiction (6-digit code).
    #[serde(default)]
    pub jurisdiction_code: String,
    #[serde(default)]
    pub inspector_name: String,
    /// The names of `present_physician_ids` and `absent_physician_ids`, in order.
    #[serde(default)]
    pub present_physician_names: Vec<String>,
    #[serde(default)]
    pub absent_physician_names: Vec<String>,
    /// How many photos were uploaded (the list carries no `photos`).
    #[serde(default)]
    pub photo_count: u32,
}

/// Where the follow-up of an inspection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FollowUpStatus {
    /// 整改中: something is still to be done.
    Open,
    /// 已办结.
    Closed,
}

impl FollowUpStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            FollowUpStatus::Open => "open",
            FollowUpStatus::Closed => "closed",
        }
    }

    pub fn parse(text: &str) -> Option<FollowUpStatus> {
        match text {
            "open" => Some(FollowUpStatus::Open),
            "closed" => Some(FollowUpStatus::Closed),
            _ => None,
        }
    }
}

/// Body of `POST /api/v1/inspections/{id}/follow-up`: what was done about the findings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecordFollowUp {
    /// The action taken (1 to 2000 characters), e.g. `约谈派出医院，扣减当月考核分`.
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 2000, pattern = "\\S")
    )]
    pub action: String,
    pub status: FollowUpStatus,
    /// At most 2000 characters.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    pub note: String,
}

/// An inspection's follow-up as last recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InspectionFollowUp {
    pub action: String,
    pub status: FollowUpStatus,
    pub note: String,
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: Uuid,
}

/// A photo of an inspection: what was stored and its SHA-256 (also in the audit chain).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InspectionPhoto {
    pub id: Uuid,
    pub inspection_id: Uuid,
    /// `image/jpeg`, `image/png` or `image/webp`, from the file's first bytes.
    pub content_type: String,
    pub bytes: u64,
    /// Lower-case hex SHA-256 of the stored bytes.
    pub sha256: String,
    pub uploaded_by: Uuid,
    pub uploaded_at: DateTime<Utc>,
}

/// Body of `POST /api/v1/presence-checks`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatePresenceCheck {
    pub physician_id: Uuid,
    /// 1 to 240.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 240))]
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
