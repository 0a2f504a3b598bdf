//! What a clinic's wall screen shows: the current rotating code, or a printed sheet of daily codes.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CodeKind {
    /// Shown on a screen; changes every `CHECKIN_QR_PERIOD_SECONDS`.
    Rotating,
    /// Printed for clinics without a screen; valid on one local date, lower trust.
    Daily,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KioskCode {
    /// Opaque ASCII, at most 120 characters: what the check-in verifies.
    pub payload: String,
    pub kind: CodeKind,
    pub step: i64,
    /// When the screen must show the next code (scans stay accepted one step longer).
    pub valid_until: DateTime<Utc>,
    pub site_id: Uuid,
    pub site_name: String,
    /// Seconds per step, for the countdown.
    pub period_seconds: u32,
    /// What the QR code carries: the phone page with the payload in its fragment,
    /// `<public url>/m/#c=<payload>` (`CHECKIN_PUBLIC_URL`, else this request's origin).
    #[serde(default)]
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DailyCode {
    pub date: NaiveDate,
    pub payload: String,
    pub kind: CodeKind,
    pub valid_until: DateTime<Utc>,
    /// What the printed QR code carries: `<public url>/m/#c=<payload>`.
    #[serde(default)]
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DailyCodeSheet {
    pub site_id: Uuid,
    pub site_name: String,
    pub codes: Vec<DailyCode>,
}
