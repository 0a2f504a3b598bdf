//! Inspection plans (督查计划): sites of a county drawn at random for a quarter or a
//! year, weighted towards sites with open anomalies, from a recorded seed.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Body of `POST /api/v1/inspection-plans`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateInspectionPlan {
    /// The jurisdiction (usually a county) whose receiving sites are drawn.
    #[cfg_attr(feature = "openapi", schema(pattern = "^\\s*[0-9]{6}\\s*$"))]
    pub jurisdiction_code: String,
    /// `YYYY-Qn` (光山 每季度督查) or `YYYY` (中站 年度督查考核).
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = "^\\s*(20[0-9]{2}|2100)(-Q[1-4])?\\s*$")
    )]
    pub period: String,
    /// How many sites to draw (1 to 500; fewer when fewer sites exist).
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 500))]
    pub sites: u32,
    /// A seed (decimal, below 2^64) to repeat a draw; generated when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(format = "decimal-u64"))]
    pub seed: Option<String>,
}

/// A site a plan drew, and whether it was inspected within the plan's period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlannedSite {
    pub site_id: Uuid,
    pub site_name: String,
    /// 1 for the first drawn.
    pub order: u32,
    /// Open anomalies at the site when drawn; its weight was 1 plus these (up to 9).
    pub open_anomalies: u32,
    pub inspected: bool,
    /// The latest inspection at the site within the period.
    pub last_inspected_at: Option<DateTime<Utc>>,
}

/// A plan with its drawn sites.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InspectionPlan {
    pub id: Uuid,
    pub jurisdiction_code: String,
    pub jurisdiction_name: String,
    pub period: String,
    /// The draw's seed: the same seed with the same candidates draws the same sites.
    pub seed: String,
    pub sites_requested: u32,
    /// How many sites could have been drawn.
    pub candidates: u32,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub sites: Vec<PlannedSite>,
    /// How many of `sites` were inspected within the period.
    pub inspected: u32,
}

/// How one period of the year is covered: whether plans exist and how many of their
/// sites were inspected (光山's quarters, 中站's year).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlanPeriodStatus {
    /// `YYYY-Qn` or `YYYY`.
    pub period: String,
    pub plans: u32,
    pub sites: u32,
    pub inspected: u32,
}

/// `GET /api/v1/inspection-plans`: the year's plans, and its quarters and the year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InspectionPlanList {
    pub year: i32,
    pub items: Vec<InspectionPlan>,
    /// `YYYY-Q1` to `YYYY-Q4`, then `YYYY`.
    pub periods: Vec<PlanPeriodStatus>,
}
