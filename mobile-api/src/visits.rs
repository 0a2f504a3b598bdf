//! The supervisors' view of visits: one visit's worth, and a visit in full detail
//! (fixes against the fence in force, anomalies with their reviews, activities).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{ActivityKind, Anomaly, OrganizationKind, Visit};

/// What one visit is worth on its own (a day in the reports adds its visits up
/// and caps at one day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum VisitCredit {
    /// Creditable and at least the programme's full-day minutes (计1天).
    Full,
    /// Creditable and at least the half-day minutes (计半天).
    Half,
    /// No check-out, a confirmed anomaly, or under half a day (不计入).
    None,
    /// Still open, or an anomaly awaits review (待定).
    Pending,
}

/// The receiving site of a visit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VisitSite {
    pub id: Uuid,
    pub name: String,
    pub kind: OrganizationKind,
    pub jurisdiction_code: String,
    pub jurisdiction_name: String,
}

/// The physician of a visit and their organization (支援医院).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VisitPhysician {
    pub id: Uuid,
    pub name: String,
    pub title: Option<String>,
    pub hospital_id: Option<Uuid>,
    pub hospital_name: Option<String>,
}

/// A check-in or check-out fix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VisitFix {
    pub event_id: Uuid,
    /// When the code was scanned.
    pub at: DateTime<Utc>,
    /// WGS-84, as stored after converting from `crs`.
    pub lat: f64,
    pub lon: f64,
    pub accuracy_m: f64,
    /// The coordinate system the phone declared: `wgs84`, `gcj02` or `bd09`.
    pub crs: String,
    pub is_mock: bool,
    /// `accepted` or `flagged`.
    pub verdict: String,
    pub distance_to_fence_m: Option<f64>,
    /// The app kept the scan in its offline queue and uploaded it at `received_at`.
    #[serde(default)]
    pub offline: bool,
    /// When the server received it.
    #[serde(default)]
    pub received_at: Option<DateTime<Utc>>,
    /// `kiosk_network` (scanned on the network the site's kiosk uses: strong evidence
    /// of presence), `far_away` (the address locates in another province) or
    /// `elsewhere`; `null` when not recorded.
    #[serde(default)]
    pub network: Option<String>,
    #[serde(default)]
    pub client_ip: Option<String>,
    /// Where the operator's IP database places the address.
    #[serde(default)]
    pub ip_place: Option<String>,
}

/// The geofence version a check-in was judged against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VisitFence {
    pub version: i64,
    /// A `circle` object or a GeoJSON `Polygon`/`MultiPolygon`, WGS-84.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub geometry: serde_json::Value,
}

/// One kind of work logged on the visit (the newest record of that kind).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VisitActivity {
    pub kind: ActivityKind,
    /// e.g. `门诊`.
    pub kind_zh: String,
    pub count: u32,
    pub note: Option<String>,
    pub recorded_at: DateTime<Utc>,
}

/// A visit's worth and why, in words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VisitCreditReason {
    pub credit: VisitCredit,
    /// Minutes from check-in to the (own or granted) check-out.
    pub minutes: Option<i64>,
    pub half_day_minutes: u32,
    pub full_day_minutes: u32,
    /// The assignment's daily window, `HH:MM`.
    pub window_start: String,
    pub window_end: String,
    /// e.g. `在岗200分钟，达到半天标准（180分钟），未达到全天标准（360分钟），计半天。`
    pub reason_zh: String,
    pub reason_en: String,
}

/// `GET /api/v1/visits/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VisitDetail {
    pub visit: Visit,
    pub site: VisitSite,
    pub physician: VisitPhysician,
    pub check_in: Option<VisitFix>,
    pub check_out: Option<VisitFix>,
    /// `null` when the check-in was judged against no fence.
    pub fence: Option<VisitFence>,
    pub anomalies: Vec<Anomaly>,
    pub activities: Vec<VisitActivity>,
    pub credit: VisitCreditReason,
    /// The photos taken at the visit's scans (hash and size; the image is
    /// `GET /api/v1/scan-photos/{event_id}`), oldest first.
    #[serde(default)]
    pub photos: Vec<crate::EvidencePhoto>,
}
