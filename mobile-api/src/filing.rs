//! Filing (报表报送): the circulars' reporting duties as a calendar, and reports filed
//! for a period and jurisdiction: draft, submitted with the form's narrative and a
//! frozen copy of the file, accepted or returned by the level above, amended as a
//! new version.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A circular's reporting duty, from which obligations are created.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FilingTemplate {
    /// e.g. `zhangping_monthly`.
    pub key: String,
    pub name: String,
    /// Where the duty is written, e.g. `漳平 附件2：每月2日前报送`.
    pub source: String,
    /// `monthly`, `compliance` or `county_statistics`.
    pub report_kind: String,
    /// `month`, `quarter`, `half_year` or `year`.
    pub period_type: String,
    /// `bureau` or `receiving_clinic`.
    pub filer: String,
    pub recipient: String,
    pub due_months_after: u32,
    pub due_day: u32,
}

/// One jurisdiction's (or programme's) duty to file a report for every period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FilingObligation {
    pub id: Uuid,
    /// The template it was created from.
    pub template: String,
    pub name: String,
    pub report_kind: String,
    /// The report's name, e.g. `对口支援工作量月报表`.
    pub report_kind_zh: String,
    pub period_type: String,
    /// The jurisdiction that files.
    pub jurisdiction_code: String,
    pub jurisdiction_name: String,
    /// Set when the duty belongs to one programme.
    pub program_id: Option<Uuid>,
    pub filer: String,
    /// e.g. `受援单位`.
    pub filer_zh: String,
    pub recipient: String,
    /// Due on `due_day` of the month this many months after the period's last month.
    pub due_months_after: u32,
    pub due_day: u32,
    /// Periods ending before this day are not asked for.
    pub starts_on: NaiveDate,
    pub active: bool,
}

/// Body of `POST /api/v1/filing-calendar/obligations`: a template applied to a
/// jurisdiction; the template's due rule, recipient and name unless given.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateFilingObligation {
    #[cfg_attr(
        feature = "openapi",
        schema(
            pattern = "^(zhangping_monthly|fengze_monthly|annual_summary|zhongzhan_quarterly|zhongzhan_half_year)$"
        )
    )]
    pub template: String,
    #[cfg_attr(feature = "openapi", schema(pattern = "^\\s*[0-9]{6}\\s*$"))]
    pub jurisdiction_code: String,
    #[serde(default)]
    pub program_id: Option<Uuid>,
    /// Default: the first day of the current year.
    #[serde(default)]
    pub starts_on: Option<NaiveDate>,
    /// 1 to 100 characters.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(format = "line-100"))]
    pub name: Option<String>,
    /// 1 to 100 characters.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(format = "line-100"))]
    pub recipient: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 12))]
    pub due_months_after: Option<u32>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 31))]
    pub due_day: Option<u32>,
}

/// Body of `PATCH /api/v1/filing-calendar/obligations/{id}`: the fields to change.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateFilingObligation {
    /// 1 to 100 characters.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(format = "line-100"))]
    pub name: Option<String>,
    /// 1 to 100 characters.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(format = "line-100"))]
    pub recipient: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 12))]
    pub due_months_after: Option<u32>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 31))]
    pub due_day: Option<u32>,
    #[serde(default)]
    pub starts_on: Option<NaiveDate>,
    #[serde(default)]
    pub active: Option<bool>,
}

/// One report due for one period: who files it, to whom, by when, and where it stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FilingCalendarEntry {
    pub obligation_id: Uuid,
    pub name: String,
    pub report_kind: String,
    pub report_kind_zh: String,
    /// As the report endpoints take it: `2026-11`, `2026-Q3`, `2026-H2`, `2026`.
    pub period: String,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub filer: String,
    pub filer_zh: String,
    pub jurisdiction_code: String,
    pub jurisdiction_name: String,
    pub program_id: Option<Uuid>,
    pub recipient: String,
    /// The last day it is on time.
    pub due_date: NaiveDate,
    /// `not_due`, `due`, `late`, `filed_on_time` or `filed_late`.
    pub state: String,
    /// Days past the due date (`late`, `filed_late`), else 0.
    pub days_late: i64,
    /// The newest version filed or drafted for the period, if any.
    pub filing_id: Option<Uuid>,
    pub filing_status: Option<String>,
    /// When the period's report was first submitted.
    pub submitted_at: Option<DateTime<Utc>>,
}

/// `GET /api/v1/filing-calendar`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FilingCalendar {
    /// The local day the states are judged on (Asia/Shanghai).
    pub today: NaiveDate,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub entries: Vec<FilingCalendarEntry>,
}

/// One version of one filed report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Filing {
    pub id: Uuid,
    pub report_kind: String,
    pub report_kind_zh: String,
    pub period: String,
    pub jurisdiction_code: String,
    pub jurisdiction_name: String,
    /// 1 for the first filing, then one more per amendment.
    pub version: u32,
    /// The version this amendment replaces.
    pub replaces_id: Option<Uuid>,
    /// `draft`, `submitted`, `accepted`, `returned` or `superseded`.
    pub status: String,
    /// 完成情况
    pub achievements: String,
    /// 存在问题
    pub problems: String,
    /// 下一步工作计划和建议
    pub next_steps: String,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub submitted_by: Option<Uuid>,
    pub submitted_by_name: Option<String>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub reviewed_by: Option<Uuid>,
    pub reviewed_at: Option<DateTime<Utc>>,
    /// The note of a return (or of an acceptance, when given).
    pub review_note: Option<String>,
    /// The frozen XLSX, from submission on.
    pub file_name: Option<String>,
    /// Lower-case hex SHA-256 of the frozen file.
    pub file_sha256: Option<String>,
    pub file_size: Option<u64>,
    /// The report's JSON as frozen at submission (only on `GET /filings/{id}`).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub figures: Option<serde_json::Value>,
    /// A receiving site's own monthly filing (its clinic administrator files it):
    /// the site; absent for a jurisdiction's filing.
    #[serde(default)]
    pub site_id: Option<Uuid>,
    /// The site's name.
    #[serde(default)]
    pub site_name: Option<String>,
}

/// Body of `POST /api/v1/filings`: a draft for one report, period and jurisdiction.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateFiling {
    /// `monthly`, `compliance` or `county_statistics`.
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = "^(monthly|compliance|county_statistics)$")
    )]
    pub report_kind: String,
    /// `2026-11` (month), `2026-Q3`, `2026-H2` (compliance), `2026` (county table).
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = "^\\s*(20[0-9]{2}|2100)(-(0[1-9]|1[0-2]|Q[1-4]|H[12]))?\\s*$")
    )]
    pub period: String,
    /// Default: a supervisor's own jurisdiction.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(pattern = "^\\s*[0-9]{6}\\s*$"))]
    pub jurisdiction_code: Option<String>,
    /// A clinic administrator's own site (the default for one): the site's own
    /// monthly report, filed in the site's county.
    #[serde(default)]
    pub site_id: Option<Uuid>,
    /// 完成情况, kept as written; at most 4000 characters.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 4000))]
    pub achievements: Option<String>,
    /// 存在问题; at most 4000 characters.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 4000))]
    pub problems: Option<String>,
    /// 下一步工作计划和建议; at most 4000 characters.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 4000))]
    pub next_steps: Option<String>,
}

/// Body of `PATCH /api/v1/filings/{id}`: the narrative parts to change.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateFiling {
    /// 完成情况, kept as written; at most 4000 characters.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 4000))]
    pub achievements: Option<String>,
    /// 存在问题; at most 4000 characters.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 4000))]
    pub problems: Option<String>,
    /// 下一步工作计划和建议; at most 4000 characters.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 4000))]
    pub next_steps: Option<String>,
}

/// Body of `POST /api/v1/filings/{id}/accept` and `/return` (a return needs a note).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReviewFiling {
    /// At most 2000 characters; a return needs one.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(format = "note-2000"))]
    pub note: Option<String>,
}
