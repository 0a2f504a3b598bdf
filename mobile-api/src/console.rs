//! What the supervisor console reads besides the resources: its settings
//! (`GET /api/v1/ui-config`) and the landing dashboard (`GET /api/v1/dashboard`).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// The datum a base map's tiles are drawn in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TileCrs {
    /// WGS-84 or CGCS2000 (天地图): shapes are drawn as stored.
    Wgs84,
    /// GCJ-02 (高德, 腾讯): shapes are shifted to GCJ-02 for display.
    Gcj02,
}

/// The console's base map.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MapSettings {
    /// A tile URL template with `{z}`, `{x}`, `{y}`; `null`: no base map (shapes on
    /// a blank background, works offline).
    pub tile_url: Option<String>,
    pub tile_crs: TileCrs,
    /// Shown in the map's corner, e.g. `天地图`.
    pub attribution: Option<String>,
}

/// `GET /api/v1/ui-config`: public settings of the console, nothing secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UiConfig {
    pub map: MapSettings,
}

/// Assignments' compliance counted by status in one child jurisdiction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ComplianceCounts {
    pub jurisdiction_code: String,
    pub jurisdiction_name: String,
    /// Rows of the compliance report (one per assignment and requirement) by status.
    pub met: u32,
    pub on_track: u32,
    pub at_risk: u32,
    pub missed: u32,
}

/// Anomalies of one kind detected on one day (Asia/Shanghai).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AnomalyDayCount {
    pub date: NaiveDate,
    pub kind: String,
    /// The kind's Chinese name, for the chart's legend.
    pub kind_zh: String,
    pub count: u32,
}

/// Open anomalies by how long they have waited for a review.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OpenReviewAges {
    pub total: u32,
    pub under_1_day: u32,
    pub days_1_to_3: u32,
    pub days_3_to_7: u32,
    pub over_7_days: u32,
}

/// Receiving clinics with credited service in the month, of all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CoverageSummary {
    pub clinics: u32,
    pub covered: u32,
}

/// A month's headline figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MonthFigures {
    /// `YYYY-MM`.
    pub month: String,
    /// The monthly report's `credited_days`, added up.
    pub credited_days: f64,
    /// The monthly report's `qualifying_visits`, added up.
    pub visits: u32,
    /// Distinct physicians credited with at least half a day.
    pub physicians: u32,
    /// Anomalies detected in the month (as `GET /anomalies?from=&to=` lists them).
    pub anomalies: u32,
}

/// `GET /api/v1/dashboard`: a supervisor's landing view of one month.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Dashboard {
    pub jurisdiction_code: Option<String>,
    pub jurisdiction_name: String,
    /// `YYYY-MM`.
    pub month: String,
    pub previous_month: String,
    pub generated_at: DateTime<Utc>,
    /// The compliance report of the month counted per child jurisdiction (the scope
    /// itself for sites attached directly to it).
    pub compliance: Vec<ComplianceCounts>,
    /// Over the previous month and this one; days and kinds with none are left out.
    pub anomalies_by_day: Vec<AnomalyDayCount>,
    pub open_reviews: OpenReviewAges,
    pub coverage: CoverageSummary,
    pub this_month: MonthFigures,
    pub last_month: MonthFigures,
}
