//! Reports (报表): the monthly workload report, requirement compliance, the provincial
//! county statistics table and a physician's cumulative service record. Each answers
//! JSON by default, CSV for `Accept: text/csv` and XLSX for the spreadsheet type (or
//! `?format=json|csv|xlsx`).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{AssignmentMode, Gender, OrganizationKind, Progress, Requirement};

/// Totals of the newest record of each (visit, kind), per activity kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActivityTotals {
    /// 门诊 (人次)
    pub outpatient: u64,
    /// 住院 (人次)
    pub inpatient: u64,
    /// 查房 (次)
    pub ward_round: u64,
    /// 带教 (人次)
    pub teaching: u64,
    /// 讲座 (次)
    pub lecture: u64,
    /// 病例讨论 (次)
    pub case_discussion: u64,
    /// 培训 (人次)
    pub training: u64,
    /// 手术 (台)
    pub surgery: u64,
    /// 远程会诊 (次)
    pub teleconsultation: u64,
    /// 健康宣教 (次)
    pub health_education: u64,
    /// 教学查房 (次)
    #[serde(default)]
    pub teaching_round: u64,
    /// 家庭医生签约 (人)
    #[serde(default)]
    pub family_doctor_contract: u64,
    /// 公共卫生服务 (人次)
    #[serde(default)]
    pub public_health_service: u64,
    /// 义诊 (人次)
    #[serde(default)]
    pub free_clinic: u64,
    /// 双向转诊 (人次)
    #[serde(default)]
    pub two_way_referral: u64,
    /// 新技术新项目 (项)
    #[serde(default)]
    pub new_technique: u64,
}

/// One physician at one site in the month (对口支援工作量月报表, seed 000 附件2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MonthlyRow {
    pub physician_id: Uuid,
    pub physician_name: String,
    /// 职称
    pub title: Option<String>,
    /// 专业
    pub specialty: Option<String>,
    /// The physician's own organization (派出单位).
    pub hospital_id: Option<Uuid>,
    pub hospital: Option<String>,
    /// The receiving site (受援单位).
    pub site_id: Uuid,
    pub site_name: String,
    /// The site's county (县/市/区).
    pub county_code: String,
    pub county: String,
    /// Credited days in the month (a half-day counts 0.5).
    pub credited_days: f64,
    pub credited_half_days: u32,
    /// Creditable visits that reached the half-day threshold.
    pub qualifying_visits: u32,
    /// Visits held back by an open anomaly.
    pub pending_visits: u32,
    /// Activities logged on the month's creditable visits.
    pub activities: ActivityTotals,
    /// The written reason when an administrator sent this physician here although the
    /// programme's rules refused it (破格派出); absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eligibility_override: Option<String>,
}

/// The header block of a form a bureau files (表头): 填报单位, 填报人, 联系电话,
/// 填报日期 and 所属期.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FormHeader {
    /// 填报单位: the jurisdiction reported on, or the hospital of a hospital admin.
    pub organization: String,
    /// 填报人: `filled_by` of the request, else the caller's own name.
    pub filled_by: String,
    /// 联系电话: `contact_phone` of the request, else the caller's own phone.
    pub contact_phone: String,
    /// 填报日期: the day the report was made, in China's time zone.
    pub filled_on: NaiveDate,
    /// 所属期 as the form prints it, e.g. `2026年11月`, `2026年第三季度`.
    pub period_zh: String,
}

/// The figures of several rows of the monthly report added up.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MonthlyFigures {
    /// Distinct physicians among the rows.
    pub physicians: u32,
    pub credited_days: f64,
    pub credited_half_days: u32,
    pub qualifying_visits: u32,
    pub pending_visits: u32,
    pub activities: ActivityTotals,
}

/// A subtotal (小计) of the monthly report: one dispatching hospital's rows, or
/// one receiving clinic's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MonthlySubtotal {
    /// The hospital or the clinic; `null` for physicians of no organization.
    pub id: Option<Uuid>,
    pub name: String,
    #[serde(flatten)]
    pub figures: MonthlyFigures,
}

/// `GET /api/v1/reports/monthly`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MonthlyReport {
    /// The jurisdiction reported on; absent when an admin or hospital admin asked
    /// for everything they see.
    pub jurisdiction_code: Option<String>,
    pub jurisdiction_name: String,
    /// `YYYY-MM`.
    pub month: String,
    pub generated_at: DateTime<Utc>,
    pub rows: Vec<MonthlyRow>,
    /// The form's header block.
    #[serde(default)]
    pub header: FormHeader,
    /// 小计 per dispatching hospital (派出单位), by name.
    #[serde(default)]
    pub hospital_subtotals: Vec<MonthlySubtotal>,
    /// 小计 per receiving clinic (受援单位), by county then name.
    #[serde(default)]
    pub site_subtotals: Vec<MonthlySubtotal>,
    /// 合计 of every row.
    #[serde(default)]
    pub totals: MonthlyFigures,
}

/// One period's outcome of a requirement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PeriodProgress {
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub required: f64,
    pub credited: f64,
    pub status: Progress,
}

/// One requirement of one assignment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ComplianceRow {
    pub assignment_id: Uuid,
    pub physician_id: Uuid,
    pub physician_name: String,
    pub site_id: Uuid,
    pub site_name: String,
    pub county_code: String,
    pub county: String,
    pub program_id: Uuid,
    pub program_name: String,
    pub mode: AssignmentMode,
    pub requirement: Requirement,
    /// The requirement in Chinese, e.g. `每周门诊不少于3个半天`.
    pub requirement_zh: String,
    /// First day of the first period judged.
    pub period_start: NaiveDate,
    /// Last day of the last period judged.
    pub period_end: NaiveDate,
    /// Summed over `periods`, in the requirement's measure.
    pub required: f64,
    pub credited: f64,
    /// The worst of `periods` (missed > at_risk > on_track > met).
    pub status: Progress,
    /// Every week overlapping the month for a weekly requirement; otherwise the
    /// one period containing the reference day.
    pub periods: Vec<PeriodProgress>,
    /// The written reason when an administrator sent this physician here although the
    /// programme's rules refused it (破格派出), as on the monthly report's row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eligibility_override: Option<String>,
}

/// The 合计 of a compliance report: how many requirement rows, and how many of
/// them in each status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ComplianceTotals {
    pub requirements: u32,
    /// Distinct assignments among the rows.
    pub assignments: u32,
    pub met: u32,
    pub on_track: u32,
    pub at_risk: u32,
    pub missed: u32,
}

/// `GET /api/v1/reports/compliance`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ComplianceReport {
    pub jurisdiction_code: Option<String>,
    pub jurisdiction_name: String,
    /// `YYYY-MM`, `YYYY-Qn` or `YYYY-Hn`, as asked for (normalised).
    pub period: String,
    pub generated_at: DateTime<Utc>,
    pub rows: Vec<ComplianceRow>,
    /// First and last day of the period.
    #[serde(default)]
    pub period_start: Option<NaiveDate>,
    #[serde(default)]
    pub period_end: Option<NaiveDate>,
    /// 所属期 as the forms print it, e.g. `2026年第三季度`.
    #[serde(default)]
    pub period_zh: String,
    /// 合计.
    #[serde(default)]
    pub totals: ComplianceTotals,
}

/// One county of the provincial table (设区市县域巡回医疗和派驻服务工作量统计表,
/// seed 003 附件). Columns the attendance data cannot know are the bureau's
/// recorded facts, `null` until recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CountyRow {
    pub county_code: String,
    pub county_name: String,
    /// 巡诊村数(个): village clinics with credited circuit service.
    pub village_circuit_villages: u32,
    /// 派驻村数(个): village clinics with credited dispatch service.
    pub village_dispatch_villages: u32,
    /// 参与巡诊、派驻医务人员数(人): distinct physicians credited at village clinics.
    pub village_staff: u32,
    /// 巡诊、派驻诊疗服务量(人次): outpatients, inpatients and teleconsultations there.
    pub village_patient_visits: u64,
    /// 配备巡诊车辆(辆): recorded fact.
    pub circuit_vehicles: Option<u32>,
    /// 搭建远程医疗协作网村数(个): recorded fact.
    pub telemedicine_villages: Option<u32>,
    /// 派驻基层医疗卫生机构数(个): township/community centres with credited dispatch service.
    pub township_dispatch_institutions: u32,
    /// 派驻医务人员数(人): distinct physicians credited there.
    pub township_dispatch_staff: u32,
    /// 派驻公共卫生人员数(人): of them, those from a CDC or with a public-health specialty.
    pub township_public_health_staff: u32,
    /// 帮扶达到基本标准机构数(个): recorded fact.
    pub standard_reached_institutions: Option<u32>,
    /// 帮扶建立县域次中心机构数(个): recorded fact.
    pub subcenter_institutions: Option<u32>,
    /// 帮扶提升公卫服务机构数(个): recorded fact.
    pub public_health_improved_institutions: Option<u32>,
    /// 参与县域巡回服务医务人员数(人): hospital physicians credited on circuit.
    pub county_circuit_staff: u32,
    /// 诊疗量(人次) of that circuit service.
    pub county_circuit_patient_visits: u64,
    /// 开展病例讨论(次)
    pub case_discussions: u64,
    /// 开展教学查房(次)
    pub teaching_rounds: u64,
    /// 开展学术讲座(次)
    pub lectures: u64,
    /// 开展业务培训(人次)
    pub training_attendances: u64,
}

/// `GET /api/v1/reports/county-statistics`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CountyStatistics {
    pub jurisdiction_code: Option<String>,
    pub jurisdiction_name: String,
    pub year: i32,
    pub generated_at: DateTime<Utc>,
    pub rows: Vec<CountyRow>,
    /// 填报单位, 联系人 (`filled_by`) and 联系电话 of the form.
    #[serde(default)]
    pub header: FormHeader,
}

/// Body of `PUT /api/v1/reports/county-statistics/facts`: the columns of the county
/// table that attendance data cannot know. Every call replaces all five; `null`
/// (or absent) means not recorded.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SetCountyFacts {
    /// A county-level jurisdiction.
    #[cfg_attr(feature = "openapi", schema(pattern = "^\\s*[0-9]{6}\\s*$"))]
    pub jurisdiction_code: String,
    #[cfg_attr(feature = "openapi", schema(minimum = 2000, maximum = 2100))]
    pub year: i32,
    /// 配备巡诊车辆(辆)
    #[serde(default)]
    pub circuit_vehicles: Option<u32>,
    /// 搭建远程医疗协作网村数(个)
    #[serde(default)]
    pub telemedicine_villages: Option<u32>,
    /// 帮扶达到基本标准机构数(个)
    #[serde(default)]
    pub standard_reached_institutions: Option<u32>,
    /// 帮扶建立县域次中心机构数(个)
    #[serde(default)]
    pub subcenter_institutions: Option<u32>,
    /// 帮扶提升公卫服务机构数(个)
    #[serde(default)]
    pub public_health_improved_institutions: Option<u32>,
}

/// The recorded facts of one county and year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CountyFacts {
    pub jurisdiction_code: String,
    pub year: i32,
    pub circuit_vehicles: Option<u32>,
    pub telemedicine_villages: Option<u32>,
    pub standard_reached_institutions: Option<u32>,
    pub subcenter_institutions: Option<u32>,
    pub public_health_improved_institutions: Option<u32>,
    pub recorded_by: Uuid,
    pub recorded_at: DateTime<Utc>,
}

/// Who the service record is about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PhysicianDetails {
    pub id: Uuid,
    pub name: String,
    pub gender: Option<Gender>,
    pub title: Option<String>,
    pub specialty: Option<String>,
    pub hospital_id: Option<Uuid>,
    pub hospital: Option<String>,
}

/// A physician as `GET /api/v1/physicians` finds them, to choose whose service record
/// to open: enough to tell two of the same name apart, and no full phone number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PhysicianListItem {
    pub id: Uuid,
    pub name: String,
    /// The phone with its middle digits hidden, e.g. `137****0002`.
    pub phone_masked: String,
    pub title: Option<String>,
    /// Their organization (支援医院).
    pub hospital_id: Option<Uuid>,
    pub hospital_name: Option<String>,
    /// `false` for a switched-off account (its service record stays readable).
    pub active: bool,
}

/// One posting (assignment) with what it credited.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Posting {
    pub assignment_id: Uuid,
    pub site_id: Uuid,
    pub site_name: String,
    pub county_code: String,
    pub county: String,
    pub program_id: Uuid,
    pub program_name: String,
    pub mode: AssignmentMode,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub credited_days: f64,
    pub credited_half_days: u32,
    pub qualifying_visits: u32,
    /// First and last local date with credit, if any.
    pub first_credited: Option<NaiveDate>,
    pub last_credited: Option<NaiveDate>,
}

/// The longest run of consecutive months with credit at one site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceSpan {
    pub site_id: Uuid,
    pub site_name: String,
    /// Consecutive calendar months, each with at least one credited day.
    pub months: u32,
    /// The first credited day of the first month.
    pub first_day: NaiveDate,
    /// The last credited day of the last month.
    pub last_day: NaiveDate,
    /// Calendar days from `first_day` to `last_day`, both included.
    pub calendar_days: i64,
}

/// `GET /api/v1/physicians/{id}/service-record`: the cumulative record used for
/// title promotion (对口支援工作医师考核登记表).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceRecord {
    pub physician: PhysicianDetails,
    /// Every posting, oldest first.
    pub postings: Vec<Posting>,
    /// All postings' credited days added up.
    pub cumulative_credited_days: f64,
    pub cumulative_half_days: u32,
    /// Distinct calendar months with any credited day, at any site.
    pub active_months: u32,
    /// `null` when nothing was ever credited.
    pub longest_span: Option<ServiceSpan>,
    pub generated_at: DateTime<Utc>,
}

/// One receiving clinic in the coverage report (全覆盖).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CoverageRow {
    pub site_id: Uuid,
    pub site_name: String,
    /// `township_health_center`, `community_health_center` or `village_clinic`.
    pub kind: OrganizationKind,
    /// 乡镇卫生院, 社区卫生服务中心 or 村卫生室.
    pub kind_zh: String,
    pub jurisdiction_code: String,
    pub jurisdiction_name: String,
    /// The centre of the site's current fence (WGS-84); `null` without a fence.
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// As the monthly report's rows for this site, added up.
    pub credited_days: f64,
    /// Visits that reached the half-day threshold (the monthly report's
    /// `qualifying_visits`, added up).
    pub visits: u32,
    /// Distinct physicians credited with at least half a day here.
    pub physicians: u32,
    /// `credited_days > 0`.
    pub covered: bool,
}

/// `GET /api/v1/reports/coverage`: every receiving clinic of the scope with what
/// it received in the period, including the clinics that received nobody.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CoverageReport {
    pub jurisdiction_code: Option<String>,
    pub jurisdiction_name: String,
    /// The period: `YYYY-MM`, or `YYYY-Qn` / `YYYY-Hn` when asked for a quarter or a
    /// half year (the field keeps its first name).
    pub month: String,
    pub generated_at: DateTime<Utc>,
    /// Receiving clinics in the scope.
    pub clinics: u32,
    /// Of those, the ones with credit in the month.
    pub covered: u32,
    pub rows: Vec<CoverageRow>,
    /// `covered / clinics` (0 to 1; 0 when there is no clinic).
    #[serde(default)]
    pub covered_share: f64,
    /// 合计 of the rows: credited days and visits added up, and the distinct
    /// physicians over all clinics.
    #[serde(default)]
    pub total_credited_days: f64,
    #[serde(default)]
    pub total_visits: u32,
    #[serde(default)]
    pub total_physicians: u32,
}

/// One pair of supporting hospital (支援医院) and receiving clinic (受援单位) in the
/// 对口支援工作考核统计表 (中站 "每季度填写"): the work done there in the period and
/// how its requirements fared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssessmentRow {
    /// `null` for physicians of no organization.
    pub hospital_id: Option<Uuid>,
    pub hospital: String,
    pub site_id: Uuid,
    pub site_name: String,
    pub county: String,
    /// The monthly report's rows of the pair, added up over the period.
    pub figures: MonthlyFigures,
    /// The compliance report's rows of the pair, counted by status.
    pub compliance: ComplianceTotals,
    /// `met / requirements` (0 to 1; 0 without requirements).
    pub met_share: f64,
}

/// `GET /api/v1/reports/assessment`: 对口支援工作考核统计表 for a quarter (or a half
/// year, or a month), one row per supporting hospital and receiving clinic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssessmentReport {
    pub jurisdiction_code: Option<String>,
    pub jurisdiction_name: String,
    /// `YYYY-Qn`, `YYYY-Hn` or `YYYY-MM`.
    pub period: String,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub generated_at: DateTime<Utc>,
    pub header: FormHeader,
    pub rows: Vec<AssessmentRow>,
    /// 合计: physicians counted once over all rows.
    pub totals: MonthlyFigures,
    pub compliance_totals: ComplianceTotals,
    pub met_share: f64,
}
