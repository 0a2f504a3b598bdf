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
    /// Why: kept with the review forever. Must not be blank; at most 2000
    /// characters.
    #[cfg_attr(feature = "openapi", schema(format = "text-2000"))]
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
    /// The physician it is about; `null` only for the kinds about a jurisdiction
    /// (`filing_missing`, `filing_late`).
    pub physician_id: Option<Uuid>,
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
    /// The kind's name in Chinese, e.g. `在岗时间过短`.
    #[serde(default)]
    pub label_zh: String,
    /// The kind's name in English.
    #[serde(default)]
    pub label_en: String,
    /// One plain sentence, e.g. `签到后12分钟即签退，少于规定的30分钟。`: no keys, ids or JSON.
    #[serde(default)]
    pub summary_zh: String,
    /// The same sentence in English.
    #[serde(default)]
    pub summary_en: String,
    /// The facts behind the sentence as labelled fields with human values.
    #[serde(default)]
    pub facts: Vec<AnomalyFact>,
    /// The physician's name, when known.
    #[serde(default)]
    pub physician_name: Option<String>,
    /// The site's name, when the anomaly has a site.
    #[serde(default)]
    pub site_name: Option<String>,
}

/// One fact of an anomaly, labelled, with its value as a reader sees it (local
/// times, minutes, metres, names rather than ids).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AnomalyFact {
    /// The stored fact's name, for layout only (not for display), e.g. `min_minutes`.
    pub key: String,
    /// e.g. `规定最短时长`.
    pub label_zh: String,
    /// e.g. `Required minimum`.
    pub label_en: String,
    /// The value in Chinese, e.g. `30分钟`.
    pub value_text: String,
    /// The value in English, e.g. `30 min`.
    pub value_en: String,
}
