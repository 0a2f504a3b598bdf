//! A physician's check-in, check-out and what they see of their own service.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::admin::{AssignmentMode, Requirement};

/// The coordinate system the phone reported in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Crs {
    /// GPS, the default.
    #[default]
    Wgs84,
    /// As returned by AMap, Tencent and WeChat.
    Gcj02,
    /// As returned by Baidu.
    Bd09,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Location {
    #[cfg_attr(feature = "openapi", schema(minimum = -90, maximum = 90))]
    pub lat: f64,
    #[cfg_attr(feature = "openapi", schema(minimum = -180, maximum = 180))]
    pub lon: f64,
    /// The platform's horizontal accuracy radius in metres.
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 100000))]
    pub accuracy_m: f64,
    #[serde(default)]
    pub crs: Crs,
    /// Android's `isFromMockProvider` / iOS simulated-location flag.
    #[serde(default)]
    pub is_mock: bool,
    #[serde(default)]
    pub fix_time: Option<DateTime<Utc>>,
}

/// Body of check-in, check-out and presence answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttendanceRequest {
    /// Chosen by the app; a retry with the same id answers the first answer.
    pub client_event_id: Uuid,
    /// The scanned code: the bare payload (`XX1.…`) or the code URL the QR carries
    /// (`<public url>/m/#c=<payload>`; only its `c` fragment parameter is read).
    #[cfg_attr(feature = "openapi", schema(max_length = 1024))]
    pub qr_payload: String,
    #[cfg_attr(feature = "openapi", schema(format = "line-200"))]
    pub device_id: String,
    pub location: Location,
    /// When the code was scanned, if earlier than this request. Absent for live scans.
    #[serde(default)]
    pub scanned_at: Option<DateTime<Utc>>,
    /// `true` when the app kept the scan in its offline queue (no network at the scan)
    /// and sends it now: its code is judged at `scanned_at`, and an upload more than
    /// 5 minutes late is flagged `late_sync`. Otherwise (the default, and what older
    /// apps send) the scan is live: its code must still be fresh when the request
    /// arrives, give or take 10 s for the network, whatever `scanned_at` says.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub offline: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Accepted,
    /// Accepted with anomalies; `reasons` lists their kinds.
    Flagged,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttendanceResponse {
    pub event_id: Uuid,
    pub visit_id: Uuid,
    pub verdict: Verdict,
    pub reasons: Vec<String>,
    pub distance_to_fence_m: f64,
    /// The anomalies this scan raised (one per entry of `reasons`, in the same order),
    /// each in the sentence a supervisor reads for it in the console. Empty when the
    /// scan is accepted clean. Part of the stored answer: a retry gets the same words.
    /// Absent from answers stored before the field existed.
    #[serde(default)]
    pub anomaly_summaries: Vec<AnomalySummary>,
}

/// An anomaly a scan raised, in words: the same name and sentence the supervisors'
/// anomaly list gives it (`label_zh`, `summary_zh`, ... of `GET /api/v1/anomalies`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AnomalySummary {
    /// The anomaly kind, as in `reasons`, e.g. `mock_location`.
    pub kind: String,
    /// The kind's name in Chinese, e.g. `模拟定位`.
    pub label_zh: String,
    /// The kind's name in English.
    pub label_en: String,
    /// One plain sentence, e.g. `手机报告此次定位为模拟（虚拟）定位。`.
    pub summary_zh: String,
    /// The same sentence in English.
    pub summary_en: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MyAssignment {
    pub id: Uuid,
    pub site_id: Uuid,
    pub site_name: String,
    pub program_id: Uuid,
    pub program_name: String,
    pub mode: AssignmentMode,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub window_start: String,
    pub window_end: String,
    pub timezone: String,
    /// Whether the programme asks for a photo at scan time: `off`, `optional`,
    /// `required` (`PUT /api/v1/attendance/events/{event_id}/photo`).
    #[serde(default)]
    pub scan_photo: crate::ScanPhotoMode,
    /// The site's current check-in fence in WGS-84, the shape organizations carry
    /// (`{"type":"circle","center":{"lat":..,"lon":..},"radius_m":..}` or a polygon), for
    /// the phone's map; absent while the site has no fence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub fence: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum VisitStatus {
    Open,
    Closed,
    /// Closed by the server at the end of the local day without a check-out.
    AutoClosed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CreditState {
    /// Both scans accepted and every anomaly dismissed.
    Creditable,
    /// An anomaly awaits review.
    Pending,
    /// An anomaly was confirmed, or there was no check-out.
    Denied,
    /// Still open.
    Open,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Visit {
    pub id: Uuid,
    pub physician_id: Uuid,
    pub site_id: Uuid,
    pub assignment_id: Uuid,
    pub status: VisitStatus,
    pub local_date: NaiveDate,
    pub checked_in_at: DateTime<Utc>,
    pub checked_out_at: Option<DateTime<Utc>>,
    pub minutes: Option<i64>,
    pub credit_state: CreditState,
    pub anomalies: Vec<String>,
    /// The visit's anomalies in words (the sentences of the supervisors' list, without
    /// other people's names), oldest first; given on the physician's own list
    /// (`GET /api/v1/me/visits`), absent elsewhere.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub anomaly_summaries: Vec<AnomalySummary>,
    /// What the visit is worth on its own; given by the supervisors' list and detail
    /// (`GET /api/v1/visits`), absent on the physician's own list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit: Option<crate::VisitCredit>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub physician_name: Option<String>,
    /// The physician's organization (支援医院).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hospital_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hospital_name: Option<String>,
    /// The receiving clinic's confirmation or dispute (受援单位日常考核); given by the
    /// supervisors' and the clinic's list and detail when recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clinic_confirmation: Option<crate::ClinicConfirmation>,
    /// How the visit's accepted scans reached the server (离线 / 同网 markers); given
    /// by the supervisors' and the clinic's list and detail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scan_marks: Option<ScanMarks>,
}

/// How a visit's accepted scans reached the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScanMarks {
    /// A scan was an offline upload (kept in the phone's queue, sent later).
    pub offline: bool,
    /// A scan came from the network of one of the site's kiosks (strong presence evidence).
    pub kiosk_network: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Progress {
    Met,
    OnTrack,
    AtRisk,
    Missed,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequirementProgress {
    pub requirement: Requirement,
    /// The requirement in the compliance report's words, e.g. `每月不少于1天`,
    /// `连续服务不少于6个月`.
    #[serde(default)]
    pub description_zh: String,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub required: f64,
    pub credited: f64,
    pub status: Progress,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssignmentSummary {
    pub assignment_id: Uuid,
    pub site_id: Uuid,
    pub site_name: String,
    pub credited_days: f64,
    pub credited_half_days: u32,
    pub qualifying_visits: u32,
    pub pending_visits: u32,
    pub requirements: Vec<RequirementProgress>,
    /// The month's days with a finished visit, oldest first, for the phone's calendar.
    #[serde(default)]
    pub days: Vec<ServiceDay>,
}

/// One day of the month as the physician's calendar shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceDay {
    pub date: NaiveDate,
    pub standing: DayStanding,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DayStanding {
    /// Credited as a full day (计1天).
    Full,
    /// Credited as half a day (计半天).
    Half,
    /// Nothing credited yet: a visit awaits a supervisor's review (待审核).
    Pending,
    /// Nothing credited: the day's visits were denied (不计入).
    Denied,
    /// Nothing credited: under half a day on site.
    Uncredited,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MonthSummary {
    /// `YYYY-MM`.
    pub month: String,
    pub assignments: Vec<AssignmentSummary>,
}

/// Body of `PUT /api/v1/me/device`: move the physician's binding to a new phone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MoveDevice {
    /// The new phone's device id, as its app sends it with each scan.
    #[cfg_attr(feature = "openapi", schema(format = "line-200"))]
    pub device_id: String,
}

/// The phone a physician's scans are expected from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceBinding {
    pub device_id: String,
    pub bound_at: DateTime<Utc>,
    /// The physician may move the binding again themselves from this instant
    /// (`CHECKIN_DEVICE_SELF_MOVE_DAYS` after their last self-service move, through
    /// either path).
    pub next_move_from: DateTime<Utc>,
}

/// Body of `POST /api/v1/me/device-move-requests`: ask to move the binding to a new
/// phone (a hospital administrator of the physician's hospital or a supervisor decides).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequestDeviceMove {
    /// The new phone's device id, as its app sends it with each scan.
    #[cfg_attr(feature = "openapi", schema(format = "line-200"))]
    pub device_id: String,
    /// Why (e.g. `旧手机损坏`), at most 500 characters.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(format = "note-500"))]
    pub note: Option<String>,
    /// Move the binding yourself: granted at once (`approved`) when you made no
    /// self-service move within `CHECKIN_DEVICE_SELF_MOVE_DAYS`, else stored as an
    /// ordinary request for approval (`pending`).
    #[serde(default)]
    pub self_service: bool,
}

/// A request to move a physician's device binding, and its decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceMoveRequest {
    pub id: Uuid,
    pub physician_id: Uuid,
    pub physician_name: String,
    /// The phone the physician's scans come from now (`null`: none bound yet).
    #[serde(default)]
    pub current_device_id: Option<String>,
    pub device_id: String,
    pub note: Option<String>,
    /// `pending`, `approved` or `rejected`.
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub decided_by: Option<Uuid>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_note: Option<String>,
    /// A self-service move, granted at once (decided by the physician themselves).
    #[serde(default)]
    pub self_service: bool,
}

/// The phone a physician's scans are expected from, and when they may move the
/// binding themselves (`GET /api/v1/me/device`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceStatus {
    /// The bound phone's device id (`null`: none yet; the first scan binds it).
    pub device_id: Option<String>,
    pub bound_at: Option<DateTime<Utc>>,
    /// From when a self-service move (`self_service: true`) is granted at once
    /// (`null`: now); before it, a move becomes a request for approval.
    pub self_move_from: Option<DateTime<Utc>>,
    /// A request waiting for a decision, if any.
    pub pending_request: Option<Uuid>,
}

/// A list of device move requests, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceMoveRequestList {
    pub items: Vec<DeviceMoveRequest>,
}

/// Body of `POST /api/v1/device-move-requests/{id}/decision`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceMoveDecision {
    /// `approve` or `reject`.
    #[cfg_attr(feature = "openapi", schema(pattern = "^(approve|reject)$"))]
    pub decision: String,
    /// At most 500 characters; shown to the physician.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(format = "note-500"))]
    pub note: Option<String>,
}
