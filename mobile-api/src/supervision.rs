//! Supervision: anomalies a supervisor reviews (异常核查) and their decisions.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A supervisor's decision on an anomaly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReviewDecision {
    /// The anomaly is real: the visit is not credited.
    Confirm,
    /// A false alarm: the anomaly no longer holds the visit's credit back (for
    /// `missing_checkout`, credit is granted up to the end of the daily window).
    Dismiss,
}

impl ReviewDecision {
    /// The wire name, `confirm` or `dismiss`.
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewDecision::Confirm => "confirm",
            ReviewDecision::Dismiss => "dismiss",
        }
    }

    /// The anomaly `status` the decision leads to: `confirmed` or `dismissed`.
    pub fn resulting_status(self) -> &'static str {
        match self {
            ReviewDecision::Confirm => "confirmed",
            ReviewDecision::Dismiss => "dismissed",
        }
    }
}

/// Body of `POST /api/v1/anomalies/{id}/review`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReviewRequest {
    pub decision: ReviewDecision,
    /// Why: kept with the review forever. Must not be blank.
    pub note: String,
}

/// The one review an anomaly can have.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AnomalyReview {
    pub decision: ReviewDecision,
    pub note: String,
    pub reviewer_id: Uuid,
    pub reviewed_at: DateTime<Utc>,
}

/// Something a supervisor should look at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Anomaly {
    pub id: Uuid,
    /// One of the contract's anomaly kinds, e.g. `mock_location`, `missing_checkout`.
    pub kind: String,
    /// `low`, `medium` or `high`.
    pub severity: String,
    /// `open`, `confirmed` or `dismissed`.
    pub status: String,
    pub physician_id: Uuid,
    pub site_id: Option<Uuid>,
    pub visit_id: Option<Uuid>,
    /// The attendance events the anomaly was raised on.
    pub event_ids: Vec<Uuid>,
    pub detected_at: DateTime<Utc>,
    /// The facts recorded when the anomaly was raised, plus `label_zh`, `label_en`
    /// (the kind's name in Chinese and English), `summary` (one English sentence)
    /// and `summary_zh` (the same in Chinese).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub detail: serde_json::Value,
    /// Absent until a supervisor decides.
    pub review: Option<AnomalyReview>,
}
