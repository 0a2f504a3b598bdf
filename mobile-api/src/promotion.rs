//! Complaints (患者投诉) against a physician and site, and the 对口支援工作医师考核登记表
//! a hospital files before a promotion: the verdict, fraud, service elsewhere,
//! assessment items and opinions.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Discipline, PhysicianDetails, Posting, ServiceSpan};

/// How a complaint reached the bureau or the clinic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ComplaintChannel {
    /// 电话
    Phone,
    /// 来访
    Visit,
    /// 信函
    Letter,
    /// 网络
    Online,
    /// 12345 政务服务便民热线
    #[serde(rename = "hotline_12345")]
    Hotline12345,
    /// 其他
    Other,
}

impl ComplaintChannel {
    pub const ALL: [ComplaintChannel; 6] = [
        ComplaintChannel::Phone,
        ComplaintChannel::Visit,
        ComplaintChannel::Letter,
        ComplaintChannel::Online,
        ComplaintChannel::Hotline12345,
        ComplaintChannel::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ComplaintChannel::Phone => "phone",
            ComplaintChannel::Visit => "visit",
            ComplaintChannel::Letter => "letter",
            ComplaintChannel::Online => "online",
            ComplaintChannel::Hotline12345 => "hotline_12345",
            ComplaintChannel::Other => "other",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            ComplaintChannel::Phone => "电话",
            ComplaintChannel::Visit => "来访",
            ComplaintChannel::Letter => "信函",
            ComplaintChannel::Online => "网络",
            ComplaintChannel::Hotline12345 => "12345",
            ComplaintChannel::Other => "其他",
        }
    }

    pub fn parse(text: &str) -> Option<ComplaintChannel> {
        Self::ALL.into_iter().find(|c| c.as_str() == text)
    }
}

/// Where a complaint's handling stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ComplaintStatus {
    /// 已受理
    Received,
    /// 处理中
    Handling,
    /// 已办结
    Closed,
}

impl ComplaintStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ComplaintStatus::Received => "received",
            ComplaintStatus::Handling => "handling",
            ComplaintStatus::Closed => "closed",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            ComplaintStatus::Received => "已受理",
            ComplaintStatus::Handling => "处理中",
            ComplaintStatus::Closed => "已办结",
        }
    }

    pub fn parse(text: &str) -> Option<ComplaintStatus> {
        [Self::Received, Self::Handling, Self::Closed]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// Whether the complaint was found to be true (属实).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Substantiated {
    /// 属实
    Yes,
    /// 不属实
    No,
    /// 待查/无法认定
    Undetermined,
}

impl Substantiated {
    pub fn as_str(self) -> &'static str {
        match self {
            Substantiated::Yes => "yes",
            Substantiated::No => "no",
            Substantiated::Undetermined => "undetermined",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Substantiated::Yes => "属实",
            Substantiated::No => "不属实",
            Substantiated::Undetermined => "待认定",
        }
    }

    pub fn parse(text: &str) -> Option<Substantiated> {
        [Self::Yes, Self::No, Self::Undetermined]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// `POST /api/v1/complaints`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateComplaint {
    pub physician_id: Uuid,
    /// The receiving site where the physician served.
    pub site_id: Uuid,
    /// When the complaint was received (local date, not in the future).
    pub received_on: NaiveDate,
    pub channel: ComplaintChannel,
    /// The complainant's name only (no phone, no ID number); optional.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(format = "note-50"))]
    pub complainant: Option<String>,
    /// What was complained of, 1 to 2000 characters.
    #[cfg_attr(feature = "openapi", schema(format = "text-2000"))]
    pub content: String,
}

/// `POST /api/v1/complaints/{id}/handling`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ComplaintHandling {
    /// `handling` or `closed`.
    pub status: ComplaintStatus,
    pub substantiated: Substantiated,
    /// What was done, 1 to 2000 characters.
    #[cfg_attr(feature = "openapi", schema(format = "text-2000"))]
    pub handling_note: String,
}

/// A complaint (患者投诉) and its handling.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Complaint {
    pub id: Uuid,
    pub physician_id: Uuid,
    pub physician_name: String,
    pub hospital_name: Option<String>,
    pub site_id: Uuid,
    pub site_name: String,
    pub received_on: NaiveDate,
    pub channel: ComplaintChannel,
    pub channel_zh: String,
    pub complainant: Option<String>,
    pub content: String,
    pub status: ComplaintStatus,
    pub status_zh: String,
    pub substantiated: Substantiated,
    pub substantiated_zh: String,
    pub handling_note: Option<String>,
    pub recorded_by: Uuid,
    pub recorded_by_name: Option<String>,
    pub recorded_at: DateTime<Utc>,
    pub handled_by: Option<Uuid>,
    pub handled_by_name: Option<String>,
    pub handled_at: Option<DateTime<Utc>>,
}

/// Service elsewhere that counts as outreach (中站 "援外、援藏、援疆等工作时间,可计算为
/// 对口支援时间").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ExternalServiceKind {
    /// 援外
    AidForeign,
    /// 援疆
    AidXinjiang,
    /// 援藏
    AidTibet,
    /// 其他政府组织的支援工作
    Other,
}

impl ExternalServiceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ExternalServiceKind::AidForeign => "aid_foreign",
            ExternalServiceKind::AidXinjiang => "aid_xinjiang",
            ExternalServiceKind::AidTibet => "aid_tibet",
            ExternalServiceKind::Other => "other",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            ExternalServiceKind::AidForeign => "援外",
            ExternalServiceKind::AidXinjiang => "援疆",
            ExternalServiceKind::AidTibet => "援藏",
            ExternalServiceKind::Other => "其他政府组织的支援",
        }
    }

    pub fn parse(text: &str) -> Option<ExternalServiceKind> {
        [
            Self::AidForeign,
            Self::AidXinjiang,
            Self::AidTibet,
            Self::Other,
        ]
        .into_iter()
        .find(|k| k.as_str() == text)
    }
}

/// `POST /api/v1/physicians/{id}/external-service`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateExternalService {
    pub kind: ExternalServiceKind,
    /// Where, e.g. `新疆昌吉州人民医院`.
    #[cfg_attr(feature = "openapi", schema(format = "text-100"))]
    pub place: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    /// The document that proves it (文号), e.g. `闽卫人〔2024〕12号`.
    #[cfg_attr(feature = "openapi", schema(format = "text-100"))]
    pub evidence_number: String,
    /// SHA-256 (hex) of the scanned evidence document, when one was filed.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(pattern = "^\\s*([0-9a-fA-F]{64})?\\s*$"))]
    pub evidence_sha256: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(format = "note-500"))]
    pub note: Option<String>,
}

/// Service elsewhere as recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExternalService {
    pub id: Uuid,
    pub physician_id: Uuid,
    pub kind: ExternalServiceKind,
    pub kind_zh: String,
    pub place: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    /// Calendar days from start to end, both included.
    pub calendar_days: u32,
    pub evidence_number: String,
    pub evidence_sha256: Option<String>,
    pub note: Option<String>,
    pub recorded_by: Uuid,
    pub recorded_by_name: Option<String>,
    pub recorded_at: DateTime<Utc>,
}

/// Who signs an opinion on the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OpinionSigner {
    /// 受援单位 (a clinic administrator of a site the physician served)
    Clinic,
    /// 派出医院 (the physician's hospital administrator)
    Hospital,
    /// 卫生健康行政部门 (a supervisor in reach, or an admin)
    Bureau,
}

impl OpinionSigner {
    pub const ALL: [OpinionSigner; 3] = [
        OpinionSigner::Clinic,
        OpinionSigner::Hospital,
        OpinionSigner::Bureau,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OpinionSigner::Clinic => "clinic",
            OpinionSigner::Hospital => "hospital",
            OpinionSigner::Bureau => "bureau",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            OpinionSigner::Clinic => "受援单位意见",
            OpinionSigner::Hospital => "派出医院意见",
            OpinionSigner::Bureau => "卫生健康行政部门意见",
        }
    }

    pub fn parse(text: &str) -> Option<OpinionSigner> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// `PUT /api/v1/physicians/{id}/promotion-form/opinions/{signer}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PutOpinion {
    /// 1 to 1000 characters.
    #[cfg_attr(feature = "openapi", schema(format = "text-1000"))]
    pub opinion: String,
}

/// An opinion on the form, as signed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PromotionOpinion {
    pub signer: OpinionSigner,
    pub signer_zh: String,
    pub opinion: String,
    /// The signing organization (the clinic, the hospital, the bureau's jurisdiction).
    pub organization_name: Option<String>,
    pub signed_by: Uuid,
    pub signed_by_name: Option<String>,
    pub signed_at: DateTime<Utc>,
}

/// Where the physician stands against the circular's threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PromotionStatus {
    /// 符合: enough service, the continuous span where asked, no fraud bar.
    Met,
    /// 不符合: not enough service yet (or the span too short).
    NotMet,
    /// 不得晋升: confirmed fraud bars promotion until `barred_until`.
    Barred,
}

impl PromotionStatus {
    pub fn label_zh(self) -> &'static str {
        match self {
            PromotionStatus::Met => "符合晋升前基层服务要求",
            PromotionStatus::NotMet => "不符合晋升前基层服务要求",
            PromotionStatus::Barred => "弄虚作假，限期内不得晋升",
        }
    }
}

/// How one programme turns credited days into a year of service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProgramYear {
    pub program_id: Uuid,
    pub program_name: String,
    /// Credited days that make one year of service under this programme.
    pub days_per_year: f64,
    /// e.g. `按方案要求“每月不少于1天”折算，全年12天`.
    pub basis_zh: String,
    /// The credited days of the postings under it.
    pub credited_days: f64,
    /// `credited_days / days_per_year`.
    pub years: f64,
}

/// The verdict and its reasons.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PromotionVerdict {
    pub status: PromotionStatus,
    pub status_zh: String,
    /// The service in years: the programmes' credited days and service elsewhere.
    pub service_years: f64,
    /// 1.0 (中站 "累计服务不少于1年").
    pub required_years: f64,
    /// The longest consecutive months a programme of the postings asks for (6 where
    /// one says "连续…不少于6个月"); `null` when none does.
    pub required_consecutive_months: Option<u32>,
    pub consecutive_months: u32,
    /// The last day promotion is barred, when a confirmed fraud bars it (3 years).
    pub barred_until: Option<NaiveDate>,
    /// Each reason in a sentence.
    pub reasons_zh: Vec<String>,
}

/// A confirmed anomaly (弄虚作假一经查实) with its consequence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FraudFinding {
    pub anomaly_id: Uuid,
    pub kind: String,
    pub label_zh: String,
    pub site_name: Option<String>,
    pub detected_on: NaiveDate,
    /// The day the review confirmed it.
    pub confirmed_on: NaiveDate,
    pub review_note: String,
    /// The last day it bars promotion (confirmed_on + 3 years − 1 day).
    pub barred_until: NaiveDate,
    /// 中站 "取消当年聘任和晋升职称资格,3年内不得晋升高一级职称".
    pub consequence_zh: String,
}

/// The workload of one activity kind over all postings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkloadLine {
    pub kind: String,
    pub label_zh: String,
    pub unit_zh: String,
    pub total: u64,
}

/// The complaints against the physician, for 患者投诉.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ComplaintTally {
    pub total: u32,
    pub substantiated: u32,
    pub open: u32,
    /// The substantiated ones, each named: `2026-03-05 溪南镇卫生院：…`.
    pub substantiated_zh: Vec<String>,
}

/// The five assessment items of seed 004 ("业务情况、医疗安全、患者投诉、岗位职责、月度考核").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssessmentItems {
    /// 业务情况: the workload in a sentence.
    pub business_zh: String,
    /// 医疗安全: what the record knows (substantiated complaints), the rest is the
    /// signers' to state.
    pub medical_safety_zh: String,
    /// 患者投诉.
    pub complaints: ComplaintTally,
    pub complaints_zh: String,
    /// 岗位职责: postings and their credit.
    pub duties_zh: String,
    /// 月度考核: months served and the requirement periods missed.
    pub monthly_zh: String,
    pub months_served: u32,
    pub requirement_periods_missed: u32,
}

/// Satisfaction survey results (满意度测评) when the survey rounds record any.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SatisfactionSummary {
    pub rounds: u32,
    pub calls: u32,
    pub reached: u32,
    pub satisfied: u32,
    pub basic: u32,
    pub unsatisfied: u32,
}

/// `GET /api/v1/physicians/{id}/promotion-form`: 对口支援工作医师考核登记表.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PromotionForm {
    pub physician: PhysicianDetails,
    pub practice_since_year: Option<i32>,
    /// Years since `practice_since_year`, as of `as_of`.
    pub practice_years: Option<i32>,
    pub discipline: Option<Discipline>,
    pub postings: Vec<Posting>,
    pub cumulative_credited_days: f64,
    pub longest_span: Option<ServiceSpan>,
    pub program_years: Vec<ProgramYear>,
    pub external_services: Vec<ExternalService>,
    pub verdict: PromotionVerdict,
    pub fraud: Vec<FraudFinding>,
    pub workload: Vec<WorkloadLine>,
    pub assessment: AssessmentItems,
    pub opinions: Vec<PromotionOpinion>,
    /// `null`: no survey round recorded the physician (shown as 无测评记录).
    pub satisfaction: Option<SatisfactionSummary>,
    /// Today in the physician's hospital's time zone: the day the verdict is for.
    pub as_of: NaiveDate,
    pub generated_at: DateTime<Utc>,
}

/// One candidate on the public notice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NoticeCandidate {
    pub physician_id: Uuid,
    pub name: String,
    pub gender: Option<crate::Gender>,
    pub title: Option<String>,
    pub specialty: Option<String>,
    /// Where they served, e.g. `溪南镇卫生院、东海街道社区卫生服务中心`.
    pub sites: String,
    pub cumulative_credited_days: f64,
    pub external_days: u32,
    pub service_years: f64,
    pub longest_months: u32,
    pub status: PromotionStatus,
    pub status_zh: String,
    pub barred_until: Option<NaiveDate>,
}

/// `GET /api/v1/promotion-notices?hospital_id=`: 晋升前信息公示 of a hospital's
/// physicians with any service to count (credited days or service elsewhere).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PromotionNotice {
    pub hospital_id: Uuid,
    pub hospital_name: String,
    pub candidates: Vec<NoticeCandidate>,
    /// 公示期: the first and last day (five working days from `notice_from`).
    pub notice_from: NaiveDate,
    pub notice_to: NaiveDate,
    /// Where to send objections (联系人及电话), as the hospital gives it.
    pub contact: String,
    pub generated_at: DateTime<Utc>,
}
