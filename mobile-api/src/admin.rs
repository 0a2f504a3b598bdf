//! Administration: jurisdictions, organizations and their geofences, users,
//! programs with requirements, assignments, kiosk enrolment.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::Role;
use crate::eligibility::{Discipline, Eligibility, EligibilityOverride};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum JurisdictionLevel {
    Province,
    /// 设区市
    City,
    /// 县/区
    County,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateJurisdiction {
    /// The 6-digit administrative code, e.g. `350881` (漳平市).
    #[cfg_attr(feature = "openapi", schema(pattern = "^\\s*[0-9]{6}\\s*$"))]
    pub code: String,
    #[cfg_attr(feature = "openapi", schema(format = "line-200"))]
    pub name: String,
    pub level: JurisdictionLevel,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(pattern = "^\\s*([0-9]{6})?\\s*$"))]
    pub parent_code: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Jurisdiction {
    pub code: String,
    pub name: String,
    pub level: JurisdictionLevel,
    pub parent_code: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OrganizationKind {
    /// 支援医院
    Hospital,
    /// 乡镇卫生院
    TownshipHealthCenter,
    /// 社区卫生服务中心
    CommunityHealthCenter,
    /// 村卫生室
    VillageClinic,
    Cdc,
    /// 卫健局
    HealthBureau,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateOrganization {
    #[cfg_attr(feature = "openapi", schema(format = "line-200"))]
    pub name: String,
    pub kind: OrganizationKind,
    #[cfg_attr(feature = "openapi", schema(pattern = "^\\s*[0-9]{6}\\s*$"))]
    pub jurisdiction_code: String,
    /// `{"type":"circle","center":{"lat":..,"lon":..},"radius_m":..,"crs":"wgs84"}`
    /// or a GeoJSON `Polygon`/`MultiPolygon` with an extra `crs` member
    /// (`wgs84` default, `gcj02`, `bd09`).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<GeofenceShape>, inline))]
    pub geofence: Option<serde_json::Value>,
    /// IANA time zone; default `Asia/Shanghai`.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(format = "iana-time-zone"))]
    pub timezone: Option<String>,
    /// Fixes reporting a worse accuracy are refused (`poor_accuracy`); default 100 m.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 5, maximum = 1000))]
    pub max_accuracy_m: Option<f64>,
}

/// `PATCH /organizations/{id}`: only the members present change.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateOrganization {
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(format = "line-200"))]
    pub name: Option<String>,
    /// A new geofence makes a new version; past events keep theirs.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<GeofenceShape>, inline))]
    pub geofence: Option<serde_json::Value>,
    /// IANA time zone.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(format = "iana-time-zone"))]
    pub timezone: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 5, maximum = 1000))]
    pub max_accuracy_m: Option<f64>,
    /// What a printed daily code meets while the site's kiosk is active: `flag`
    /// (accepted with `daily_code_live_kiosk`) or `refuse` (`rotating_code_required`).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(pattern = "^\\s*(flag|refuse)\\s*$"))]
    pub daily_code_policy: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Organization {
    pub id: Uuid,
    pub name: String,
    pub kind: OrganizationKind,
    pub jurisdiction_code: String,
    pub timezone: String,
    /// The current geofence in WGS-84 (`crs: "wgs84"`), whatever CRS it was given in.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<GeofenceShape>, inline))]
    pub geofence: Option<serde_json::Value>,
    /// Increases by one with every geofence change.
    pub geofence_version: Option<i64>,
    pub max_accuracy_m: Option<f64>,
    pub created_at: DateTime<Utc>,
    /// What a printed daily code meets while the site's kiosk is active: `flag` or `refuse`.
    #[serde(default)]
    pub daily_code_policy: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Gender {
    Male,
    Female,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateUser {
    pub role: Role,
    #[cfg_attr(feature = "openapi", schema(format = "line-200"))]
    pub name: String,
    /// Mainland mobile number, 11 digits; the login name. Spaces and dashes between
    /// them and a `+86`/`86` prefix are dropped (`Phone::parse`).
    #[cfg_attr(
        feature = "openapi",
        schema(
            pattern = "^\\s*[ -]*(\\+[ -]*8[ -]*6[ -]*|8[ -]*6[ -]*)?1([ -]*[0-9]){10}[ -]*\\s*$"
        )
    )]
    pub phone: String,
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 8, max_length = 128, pattern = "^(?!(.)\\1*$)")
    )]
    pub password: String,
    #[serde(default)]
    pub organization_id: Option<Uuid>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(pattern = "^\\s*[0-9]{6}\\s*$"))]
    pub jurisdiction_code: Option<String>,
    /// 职称, e.g. 主治医师; at most 100 characters, one line.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(format = "opt-line-100"))]
    pub title: Option<String>,
    /// 专业, e.g. 内科; at most 100 characters, one line.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(format = "opt-line-100"))]
    pub specialty: Option<String>,
    #[serde(default)]
    pub gender: Option<Gender>,
    /// The year the person began practising (从业起始年份), from 1950 to this year;
    /// years of service count from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1950))]
    pub practice_since_year: Option<i32>,
    /// 类别: clinical, TCM, nursing, public health, pharmacy, technician.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discipline: Option<Discipline>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    pub id: Uuid,
    pub role: Role,
    pub name: String,
    pub phone: String,
    pub organization_id: Option<Uuid>,
    pub jurisdiction_code: Option<String>,
    pub title: Option<String>,
    pub specialty: Option<String>,
    pub gender: Option<Gender>,
    /// 从业起始年份.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub practice_since_year: Option<i32>,
    /// 类别.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discipline: Option<Discipline>,
    pub created_at: DateTime<Utc>,
    /// False once an administrator deactivated the account: it cannot log in and its
    /// tokens are refused; its history stays and still counts in reports.
    #[serde(default = "active_by_default")]
    pub active: bool,
    /// When the account was deactivated; absent while it is active.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deactivated_at: Option<DateTime<Utc>>,
}

fn active_by_default() -> bool {
    true
}

/// `PATCH /users/{id}`: only the members present change. `title` and `specialty` are
/// cleared with an empty string.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateUser {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(format = "line-200"))]
    pub name: Option<String>,
    /// 职称, e.g. 主治医师; at most 100 characters, one line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(format = "opt-line-100"))]
    pub title: Option<String>,
    /// 专业, e.g. 内科; at most 100 characters, one line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(format = "opt-line-100"))]
    pub specialty: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gender: Option<Gender>,
    /// 从业起始年份, from 1950 to this year; `0` clears it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 0))]
    pub practice_since_year: Option<i32>,
    /// 类别.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discipline: Option<Discipline>,
    /// Moves the person to another organization (admins; supervisors within their
    /// jurisdiction).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization_id: Option<Uuid>,
    /// `false` deactivates the account and ends its sessions at once (refresh tokens
    /// revoked, access tokens refused from their next request); `true` reactivates it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RequirementPeriod {
    Week,
    /// Two ISO weeks (每两周), paired from Monday 1970-01-05.
    Fortnight,
    Month,
    Quarter,
    Year,
    /// The whole assignment.
    Assignment,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    /// 门诊
    Outpatient,
    /// 住院
    Inpatient,
    /// 查房
    WardRound,
    /// 带教
    Teaching,
    /// 讲座
    Lecture,
    /// 病例讨论
    CaseDiscussion,
    /// 培训
    Training,
    /// 手术
    Surgery,
    /// 远程会诊
    Teleconsultation,
    /// 健康宣教
    HealthEducation,
    /// 教学查房 (a teaching round, apart from an ordinary 查房)
    TeachingRound,
    /// 家庭医生签约
    FamilyDoctorContract,
    /// 公共卫生服务
    PublicHealthService,
    /// 义诊
    FreeClinic,
    /// 双向转诊
    TwoWayReferral,
    /// 新技术新项目
    NewTechnique,
}

/// One requirement of a program: a period and a minimum of exactly one of
/// days, half-days, visits, days served, working days or an activity's count
/// (a workload target), optionally of one activity, or a minimum consecutive
/// span in months.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Requirement {
    pub period: RequirementPeriod,
    /// Whole or half days, above 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(exclusive_minimum = 0, multiple_of = 0.5))]
    pub min_days: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub min_half_days: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub min_visits: Option<u32>,
    /// Distinct days with at least a half-day credited ("每周派驻不少于5日，每日不少于半天"):
    /// two visits on one day count once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub min_days_served: Option<u32>,
    /// Credited days on working days: Monday to Friday less the statutory holidays,
    /// plus the weekends made working days (调休), per `GET /api/v1/holiday-calendars`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub min_working_days: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity: Option<ActivityKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub min_consecutive_months: Option<u32>,
    /// A workload target (诊疗人次目标): the total count of `activity` logged on the
    /// period's creditable visits, e.g. `{"period":"month","activity":"outpatient",
    /// "min_activity_count":300}` (每月门诊诊疗不少于300人次). Needs `activity`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub min_activity_count: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateProgram {
    #[cfg_attr(feature = "openapi", schema(format = "line-200"))]
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(pattern = "^\\s*[0-9]{6}\\s*$"))]
    pub jurisdiction_code: String,
    /// Minutes present that credit a half-day; default 180.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 1440))]
    pub half_day_minutes: Option<u32>,
    /// Minutes present that credit a full day; default 360.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 1440))]
    pub full_day_minutes: Option<u32>,
    /// At most 20.
    #[cfg_attr(feature = "openapi", schema(max_items = 20))]
    pub requirements: Vec<Requirement>,
    /// Who may be sent and how a team is made up; absent: anyone.
    #[serde(default, deserialize_with = "crate::object")]
    pub eligibility: Eligibility,
}

/// A ready-made program for one of the seed circulars
/// (`GET /api/v1/program-templates`): post its fields to `POST /api/v1/programs`
/// with your own `jurisdiction_code` to use it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProgramTemplate {
    /// Stable key, e.g. `zhangping-2022`.
    pub key: String,
    /// Program name (方案名称).
    pub name: String,
    /// The circular the rules come from.
    pub source_seed: String,
    /// The issuing jurisdiction's administrative code.
    pub jurisdiction_code: String,
    /// The circular's own wording of the rules.
    pub basis: String,
    pub half_day_minutes: u32,
    pub full_day_minutes: u32,
    pub requirements: Vec<Requirement>,
    /// Each requirement in words, in Chinese (same order as `requirements`).
    pub requirements_zh: Vec<String>,
    /// Who the circular lets be sent.
    #[serde(default)]
    pub eligibility: Eligibility,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Program {
    pub id: Uuid,
    pub name: String,
    pub jurisdiction_code: String,
    pub half_day_minutes: u32,
    pub full_day_minutes: u32,
    pub requirements: Vec<Requirement>,
    /// Each requirement in words, in Chinese (same order as `requirements`).
    #[serde(default)]
    pub requirements_zh: Vec<String>,
    /// Who may be sent and how a team is made up.
    #[serde(default)]
    pub eligibility: Eligibility,
    /// The eligibility rules in words, in Chinese.
    #[serde(default)]
    pub eligibility_zh: Vec<String>,
    pub created_at: DateTime<Utc>,
    /// A photo at scan time: `off` (default), `optional` or `required`.
    #[serde(default)]
    pub scan_photo: crate::ScanPhotoMode,
}

/// `PATCH /programs/{id}`: the minutes that credit a half-day and a day. Credit is
/// computed when read, so past visits count by the new minutes from now on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateProgram {
    /// A photo at scan time: `off`, `optional` or `required`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scan_photo: Option<crate::ScanPhotoMode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 1440))]
    pub half_day_minutes: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 1440))]
    pub full_day_minutes: Option<u32>,
    /// Who may be sent (派出人员资格), replacing the programme's rules whole; `{}`
    /// clears them. Judged on new and changed assignments from now on; postings made
    /// before keep their place.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::optional_object"
    )]
    pub eligibility: Option<Eligibility>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AssignmentMode {
    /// 巡诊 / 巡回医疗: periodic visits.
    Circuit,
    /// 派驻 / 驻点: resident posting.
    Dispatch,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateAssignment {
    pub physician_id: Uuid,
    pub site_id: Uuid,
    pub program_id: Uuid,
    pub mode: AssignmentMode,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    /// Local `HH:MM` at the site.
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$")
    )]
    pub window_start: String,
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$")
    )]
    pub window_end: String,
    /// An administrator's written reason for sending someone the programme's rules
    /// would refuse (破格派出); ignored when the person is eligible.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(format = "note-1000"))]
    pub eligibility_override: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Assignment {
    pub id: Uuid,
    pub physician_id: Uuid,
    pub site_id: Uuid,
    pub program_id: Uuid,
    pub mode: AssignmentMode,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub window_start: String,
    pub window_end: String,
    pub created_at: DateTime<Utc>,
    /// The version of the terms above (1 until the first change).
    #[serde(default = "first_version")]
    pub terms_version: u32,
    /// The first local date the terms above are in force; absent for the first
    /// version, in force from the beginning. Earlier dates keep the terms they were
    /// judged under (`GET /api/v1/assignments/{id}/history`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terms_from: Option<NaiveDate>,
    /// The other side of a transfer: on the new assignment the one it came from, on an
    /// assignment transferred away the one it went to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer_id: Option<Uuid>,
    /// Sent although the programme's rules refused it (破格派出), with the reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eligibility_override: Option<EligibilityOverride>,
}

fn first_version() -> u32 {
    1
}

/// `PATCH /api/v1/assignments/{id}`: new terms from `effective_from` on; absent
/// members stay. Dates before `effective_from` keep the terms in force then.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangeAssignment {
    /// The first local date the new terms judge; after the last visit already judged.
    pub effective_from: NaiveDate,
    /// Why (kept in the history and the audit log): 1 to 500 characters.
    #[cfg_attr(feature = "openapi", schema(format = "text-500"))]
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<AssignmentMode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_date: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_date: Option<NaiveDate>,
    /// Local `HH:MM` at the site; given together with `window_end`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$")
    )]
    pub window_start: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$")
    )]
    pub window_end: Option<String>,
    /// An administrator's written reason to keep the posting although the
    /// programme's rules (as they stand now) refuse the physician (破格派出).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(format = "note-1000"))]
    pub eligibility_override: Option<String>,
}

/// `POST /api/v1/assignments/{id}/end`: 提前结束.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EndAssignment {
    /// The last day served (inclusive); before the current end date.
    pub end_date: NaiveDate,
    #[cfg_attr(feature = "openapi", schema(format = "text-500"))]
    pub reason: String,
}

/// `POST /api/v1/assignments/{id}/transfer`: 调动 to another receiving site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TransferAssignment {
    pub site_id: Uuid,
    /// The first day at the new site; the old assignment ends the day before.
    pub effective_from: NaiveDate,
    #[cfg_attr(feature = "openapi", schema(format = "text-500"))]
    pub reason: String,
    /// An administrator's written reason to move the physician although the
    /// programme's rules refuse it: the person rules, or the team rules the old
    /// site's team would newly break without them (破格派出).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(format = "note-1000"))]
    pub eligibility_override: Option<String>,
}

/// The answer to a transfer: the old assignment as ended and the new one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssignmentTransfer {
    pub ended: Assignment,
    pub assignment: Assignment,
}

/// One version of an assignment's terms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssignmentTermsVersion {
    pub version: u32,
    /// `create`, `change`, `end` or `transfer`.
    pub action: String,
    /// First local date this version judged; absent for the first (from the beginning).
    pub effective_from: Option<NaiveDate>,
    /// Last local date this version judged; absent for the version in force now.
    pub effective_to: Option<NaiveDate>,
    pub mode: AssignmentMode,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub window_start: String,
    pub window_end: String,
    pub reason: Option<String>,
    /// Who made the version (absent for rows older than the history).
    pub changed_by: Option<Uuid>,
    pub changed_by_name: Option<String>,
    pub changed_at: DateTime<Utc>,
    pub transfer_id: Option<Uuid>,
}

/// `GET /api/v1/assignments/{id}/history`: every version, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssignmentHistory {
    pub assignment_id: Uuid,
    pub versions: Vec<AssignmentTermsVersion>,
}

/// One row of `GET /api/v1/assignments`: the assignment with the names a list shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssignmentListItem {
    pub assignment: Assignment,
    pub physician_name: String,
    pub physician_phone: String,
    /// The physician's organization (支援医院).
    pub hospital_id: Option<Uuid>,
    pub hospital_name: Option<String>,
    pub site_name: String,
    pub jurisdiction_code: String,
    pub jurisdiction_name: String,
    pub program_name: String,
    /// `upcoming`, `active` or `ended`, on today's date (Asia/Shanghai).
    pub status: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnrollKiosk {
    /// A name for the screen, e.g. "门诊大厅".
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(format = "line-200"))]
    pub label: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KioskEnrolment {
    pub kiosk_id: Uuid,
    /// Long-lived bearer token with role `kiosk`, valid only for this site's kiosk endpoints.
    pub token: String,
    pub site_id: Uuid,
}

/// `GET /organizations/{id}/geofence-versions`: every version of a site's fence, oldest
/// first, with what was judged against each.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GeofenceHistory {
    pub site_id: Uuid,
    /// The version in force now (`None`: the site has no fence).
    pub current_version: Option<i64>,
    pub items: Vec<GeofenceVersion>,
}

/// One version of a site's fence and the attempts and visits judged against it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GeofenceVersion {
    pub version: i64,
    /// The fence in WGS-84 (`crs: "wgs84"`).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub geofence: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<Uuid>,
    /// Check-ins, check-outs and presence scans judged against this version.
    pub attempts: i64,
    /// Of those, the refused ones.
    pub refused: i64,
    /// Visits opened by a check-in judged against this version.
    pub visits: i64,
    pub first_judged_at: Option<DateTime<Utc>>,
    pub last_judged_at: Option<DateTime<Utc>>,
    /// The newest of those visits (at most 20).
    pub recent_visits: Vec<JudgedVisit>,
}

/// A visit whose check-in was judged against a given fence version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JudgedVisit {
    pub visit_id: Uuid,
    pub physician_id: Uuid,
    /// The site's local date of the check-in.
    pub local_date: NaiveDate,
    pub checked_in_at: DateTime<Utc>,
}

/// `POST /users/{id}/password-reset`: the one-time password, shown once. The user
/// must change it at the next login; their sessions ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PasswordReset {
    pub user_id: Uuid,
    pub one_time_password: String,
}

/// `GET /organizations/{id}/kiosks`: a site's wall screens, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KioskList {
    pub site_id: Uuid,
    pub items: Vec<KioskStatus>,
}

/// One wall screen and when it last fetched its code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KioskStatus {
    pub kiosk_id: Uuid,
    pub label: Option<String>,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<Uuid>,
    pub revoked: bool,
    pub revoked_at: Option<DateTime<Utc>>,
    /// The last `GET /kiosk/code` (or `code.svg`) seen, to the minute: recorded at most
    /// once a minute per kiosk. `None`: never opened.
    pub last_seen_at: Option<DateTime<Utc>>,
    /// The network (`a.b.c.0/24`, `…::/64`) it last fetched its code from.
    #[serde(default)]
    pub last_network: Option<String>,
    /// The network it is pinned to: fetching from another is refused (403
    /// `kiosk_network_not_allowed`). `None`: not pinned.
    #[serde(default)]
    pub pinned_network: Option<String>,
}

/// `PATCH /kiosks/{kiosk_id}`: pin the kiosk to a network, or unpin it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateKiosk {
    /// A network (`203.0.113.0/24`), an address of it, `"current"` for the network the
    /// kiosk last fetched its code from, or `null` (or blank) to unpin. An IPv4-mapped
    /// IPv6 address is its IPv4 address (its network a `/24`).
    #[cfg_attr(feature = "openapi", schema(format = "kiosk-network"))]
    pub pinned_network: Option<String>,
}

/// `POST /kiosks/link-qr`: the kiosk page's link, to draw as a QR code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KioskLink {
    /// `https://…/kiosk#token=…`, at most 2000 characters.
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 2000,
            pattern = "^\\s*https?://[!-~]*/kiosk#token=[!-~]*\\s*$"
        )
    )]
    pub link: String,
}

/// One listed date of a year's holiday schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CalendarDay {
    pub date: NaiveDate,
    /// `holiday` (放假) or `workday` (调休上班, a Saturday or Sunday worked).
    #[cfg_attr(feature = "openapi", schema(pattern = "^(holiday|workday)$"))]
    pub kind: String,
    /// e.g. `春节`, `国庆节调休上班`: 1 to 50 characters, one line.
    #[cfg_attr(feature = "openapi", schema(format = "line-50"))]
    pub name: String,
}

/// A year's holiday schedule (国务院办公厅关于…年部分节假日安排的通知): working days
/// are Monday to Friday less the holidays, plus the workdays.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HolidayCalendar {
    pub year: i32,
    pub source: Option<String>,
    pub days: Vec<CalendarDay>,
    /// Absent for a schedule shipped with the server.
    pub loaded_by: Option<Uuid>,
    pub loaded_at: DateTime<Utc>,
}

/// `PUT /api/v1/holiday-calendars/{year}`: the year's schedule, replacing any loaded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SetHolidayCalendar {
    /// Where the schedule comes from (the State Council notice), at most 200
    /// characters.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(format = "note-200"))]
    pub source: Option<String>,
    /// Each date of the year at most once, at most 80.
    #[cfg_attr(feature = "openapi", schema(max_items = 80))]
    pub days: Vec<CalendarDay>,
}

/// The document's shape of a geofence (the server reads it as JSON, `domain::geofence`):
/// a circle of 10 to 5000 m, or a GeoJSON `Polygon`/`MultiPolygon` with an optional
/// `crs`. What JSON Schema cannot state (closed rings, no self-intersection, at most
/// 10,000 vertices) is answered 400 `invalid_geofence`.
#[cfg(feature = "openapi")]
pub struct GeofenceShape;

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for GeofenceShape {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        let crs = serde_json::json!({ "type": "string", "enum": ["wgs84", "gcj02", "bd09"] });
        let shape = serde_json::json!({
            "oneOf": [
                {
                    "type": "object",
                    "required": ["type", "center", "radius_m"],
                    "properties": {
                        "type": { "type": "string", "enum": ["circle"] },
                        "center": {
                            "type": "object",
                            "required": ["lat", "lon"],
                            "properties": {
                                "lat": { "type": "number", "minimum": -90, "maximum": 90 },
                                "lon": { "type": "number", "minimum": -180, "maximum": 180 }
                            }
                        },
                        "radius_m": { "type": "number", "minimum": 10, "maximum": 5000 },
                        "crs": crs
                    }
                },
                {
                    "type": "object",
                    "required": ["type", "coordinates"],
                    "properties": {
                        "type": { "type": "string", "enum": ["Polygon", "MultiPolygon"] },
                        "coordinates": { "type": "array", "minItems": 1 },
                        "crs": crs
                    }
                }
            ]
        });
        serde_json::from_value(shape).unwrap_or_else(|_| {
            utoipa::openapi::ObjectBuilder::new()
                .schema_type(utoipa::openapi::schema::Type::Object)
                .into()
        })
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for GeofenceShape {}
