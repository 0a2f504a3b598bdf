//! Supervisors' sampling of scan photos (照片抽查): a reproducible weighted sample of a
//! jurisdiction's scan photos in a month, and each photo's review (`ok` or
//! `suspicious`; a suspicious photo raises `photo_suspicious` on its visit).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Body of `POST /api/v1/scan-photo-samples`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateScanPhotoSample {
    /// The jurisdiction (usually a county) whose sites' photos are sampled.
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = "^\\s*[0-9]{6}\\s*$", example = "350881")
    )]
    pub jurisdiction_code: String,
    /// `YYYY-MM`: the visits' local month.
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = "^\\s*[0-9]{4}-(0[1-9]|1[0-2])\\s*$", example = "2026-03")
    )]
    pub month: String,
    /// How many photos to draw (1 to 200; fewer when fewer exist).
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 200))]
    pub n: u32,
    /// A seed (decimal, below 2^64) to repeat a draw; generated when absent.
    #[cfg_attr(feature = "openapi", schema(format = "decimal-u64"))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<String>,
}

/// A supervisor's verdict on a scan photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PhotoVerdict {
    /// 正常: the photo shows the physician at the site.
    Ok,
    /// 存疑: raises `photo_suspicious` (high) on the visit.
    Suspicious,
}

/// Body of `POST /api/v1/scan-photos/{id}/review`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReviewScanPhoto {
    pub verdict: PhotoVerdict,
    /// Required for `suspicious` (what is wrong), at most 500 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(format = "note-500"))]
    pub note: Option<String>,
}

/// A photo's review.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScanPhotoReview {
    pub id: Uuid,
    /// The photo's id: the event id of the scan it was taken at.
    pub photo_id: Uuid,
    pub verdict: PhotoVerdict,
    pub note: String,
    pub reviewed_by: Uuid,
    pub reviewed_by_name: Option<String>,
    pub reviewed_at: DateTime<Utc>,
    /// The `photo_suspicious` anomaly a suspicious verdict raised.
    pub anomaly_id: Option<Uuid>,
}

/// One sampled photo with what a reviewer needs beside it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SampledPhoto {
    /// The photo's id (the scan's event id); the image is `GET /api/v1/scan-photos/{photo_id}`.
    pub photo_id: Uuid,
    /// 1 for the first drawn.
    pub order: u32,
    pub visit_id: Uuid,
    pub local_date: NaiveDate,
    pub physician_id: Uuid,
    pub physician_name: String,
    pub site_id: Uuid,
    pub site_name: String,
    /// When the server received the scan.
    pub scanned_at: DateTime<Utc>,
    pub uploaded_at: DateTime<Utc>,
    pub sha256: String,
    pub bytes: u64,
    pub content_type: String,
    /// The scan's network evidence (`kiosk_network`, `far_away`, `elsewhere`), if recorded.
    pub network: Option<String>,
    pub offline: bool,
    /// The visit's open anomalies when drawn.
    pub open_anomalies: u32,
    /// The photo's weight in the draw: 1, +2 with open anomalies, +1 without kiosk network evidence.
    pub weight: u32,
    pub review: Option<ScanPhotoReview>,
}

/// A recorded sample: its inputs (seed included) and the photos drawn, with their
/// reviews as they stand now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScanPhotoSample {
    pub id: Uuid,
    pub jurisdiction_code: String,
    pub jurisdiction_name: String,
    pub month: String,
    pub n: u32,
    /// Decimal; the same seed over the same photos draws the same sample.
    pub seed: String,
    /// How many photos the month had in the jurisdiction.
    pub population: u32,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub items: Vec<SampledPhoto>,
}
