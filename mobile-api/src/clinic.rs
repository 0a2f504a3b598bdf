//! The receiving clinic's daily confirmation of the visits at its site (受援单位日常考核).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Whether a programme asks for a photo at scan time (the phone's camera is open).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ScanPhotoMode {
    #[default]
    Off,
    Optional,
    Required,
}

impl ScanPhotoMode {
    pub fn as_str(self) -> &'static str {
        match self {
            ScanPhotoMode::Off => "off",
            ScanPhotoMode::Optional => "optional",
            ScanPhotoMode::Required => "required",
        }
    }
}

/// The answer to `PUT /api/v1/attendance/events/{event_id}/photo`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScanPhotoStored {
    /// Lower-case hex SHA-256 of the bytes as received.
    pub sha256: String,
    pub bytes: u64,
}

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
    #[cfg_attr(feature = "openapi", schema(format = "note-500"))]
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

/// Where an appeal stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AppealStatus {
    /// Awaiting a supervisor's decision.
    Pending,
    /// The supervisor agreed with the physician.
    Upheld,
    /// The supervisor did not.
    Rejected,
}

impl AppealStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AppealStatus::Pending => "pending",
            AppealStatus::Upheld => "upheld",
            AppealStatus::Rejected => "rejected",
        }
    }
}

/// `POST /api/v1/me/visits/{visit_id}/appeals`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateAppeal {
    /// Why the physician appeals (1 to 2000 characters).
    #[cfg_attr(feature = "openapi", schema(format = "text-2000"))]
    pub note: String,
}

/// A physician's appeal (申诉) on a visit and the supervisor's decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Appeal {
    pub id: Uuid,
    pub visit_id: Uuid,
    pub status: AppealStatus,
    pub note: String,
    pub created_at: DateTime<Utc>,
    /// The supervisor's note with the decision; `null` while pending.
    pub decision_note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_by_name: Option<String>,
    pub physician_id: Uuid,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub physician_name: Option<String>,
    pub site_id: Uuid,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site_name: Option<String>,
    /// The visit's local date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_date: Option<chrono::NaiveDate>,
}

/// `POST /api/v1/appeals/{id}/decision`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AppealDecision {
    /// `upheld` or `rejected`.
    pub decision: AppealStatus,
    /// Why (1 to 2000 characters); the physician reads it.
    #[cfg_attr(feature = "openapi", schema(format = "text-2000"))]
    pub note: String,
}

/// One scan or refused attempt behind a visit, as the evidence pack lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EvidenceAttempt {
    pub event_id: Uuid,
    /// `check_in`, `check_out` or `presence`.
    pub action: String,
    /// `accepted`, `flagged` or `refused`.
    pub verdict: String,
    pub refusal_code: Option<String>,
    pub reasons: Vec<String>,
    pub scanned_at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    /// WGS-84, as judged.
    pub lat: f64,
    pub lon: f64,
    /// As the phone reported them, in `crs`.
    pub reported_lat: f64,
    pub reported_lon: f64,
    pub crs: String,
    pub accuracy_m: f64,
    pub is_mock: bool,
    pub fix_time: Option<DateTime<Utc>>,
    pub device_id: String,
    /// `rotating` or `daily`, when the code parsed.
    pub code_kind: Option<String>,
    /// The rotating code's step (Unix seconds / period) or the daily code's day.
    pub code_step: Option<i64>,
    pub geofence_version: Option<i64>,
    pub distance_to_fence_m: Option<f64>,
}

/// A photo taken at a scan, by its hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EvidencePhoto {
    pub event_id: Uuid,
    pub sha256: String,
    pub bytes: u64,
    pub content_type: String,
    pub uploaded_at: DateTime<Utc>,
}

/// A visit's evidence pack (证据包): the visit in full (fixes, fence, anomalies with
/// reviews and notes, activities, credit and the clinic's confirmation), every
/// attempt behind it, the appeals and the photos.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VisitEvidence {
    pub generated_at: DateTime<Utc>,
    pub detail: crate::VisitDetail,
    pub attempts: Vec<EvidenceAttempt>,
    pub clinic_confirmation: Option<ClinicConfirmation>,
    pub appeals: Vec<Appeal>,
    pub photos: Vec<EvidencePhoto>,
}
