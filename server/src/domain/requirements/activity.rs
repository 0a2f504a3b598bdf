//! The kinds of work logged on a visit, which a requirement may be limited to.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Work logged on a visit (activity log kinds of the API).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
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
    /// 教学查房: a round led to teach the clinic's staff, apart from an ordinary 查房.
    TeachingRound,
    /// 家庭医生签约 (people signed up)
    FamilyDoctorContract,
    /// 公共卫生服务 (基本公共卫生服务项目)
    PublicHealthService,
    /// 义诊
    FreeClinic,
    /// 双向转诊 (patients referred up or taken back)
    TwoWayReferral,
    /// 新技术新项目 (techniques or projects introduced)
    NewTechnique,
}

impl ActivityKind {
    pub const ALL: [ActivityKind; 16] = [
        ActivityKind::Outpatient,
        ActivityKind::Inpatient,
        ActivityKind::WardRound,
        ActivityKind::Teaching,
        ActivityKind::Lecture,
        ActivityKind::CaseDiscussion,
        ActivityKind::Training,
        ActivityKind::Surgery,
        ActivityKind::Teleconsultation,
        ActivityKind::HealthEducation,
        ActivityKind::TeachingRound,
        ActivityKind::FamilyDoctorContract,
        ActivityKind::PublicHealthService,
        ActivityKind::FreeClinic,
        ActivityKind::TwoWayReferral,
        ActivityKind::NewTechnique,
    ];

    /// The wire name (`outpatient`, `ward_round`, ...).
    pub fn as_str(&self) -> &'static str {
        match self {
            ActivityKind::Outpatient => "outpatient",
            ActivityKind::Inpatient => "inpatient",
            ActivityKind::WardRound => "ward_round",
            ActivityKind::Teaching => "teaching",
            ActivityKind::Lecture => "lecture",
            ActivityKind::CaseDiscussion => "case_discussion",
            ActivityKind::Training => "training",
            ActivityKind::Surgery => "surgery",
            ActivityKind::Teleconsultation => "teleconsultation",
            ActivityKind::HealthEducation => "health_education",
            ActivityKind::TeachingRound => "teaching_round",
            ActivityKind::FamilyDoctorContract => "family_doctor_contract",
            ActivityKind::PublicHealthService => "public_health_service",
            ActivityKind::FreeClinic => "free_clinic",
            ActivityKind::TwoWayReferral => "two_way_referral",
            ActivityKind::NewTechnique => "new_technique",
        }
    }

    /// The Chinese term used on the monthly workload report (工作量月报表).
    pub fn label_zh(&self) -> &'static str {
        match self {
            ActivityKind::Outpatient => "门诊",
            ActivityKind::Inpatient => "住院",
            ActivityKind::WardRound => "查房",
            ActivityKind::Teaching => "带教",
            ActivityKind::Lecture => "讲座",
            ActivityKind::CaseDiscussion => "病例讨论",
            ActivityKind::Training => "培训",
            ActivityKind::Surgery => "手术",
            ActivityKind::Teleconsultation => "远程会诊",
            ActivityKind::HealthEducation => "健康宣教",
            ActivityKind::TeachingRound => "教学查房",
            ActivityKind::FamilyDoctorContract => "家庭医生签约",
            ActivityKind::PublicHealthService => "公共卫生服务",
            ActivityKind::FreeClinic => "义诊",
            ActivityKind::TwoWayReferral => "双向转诊",
            ActivityKind::NewTechnique => "新技术新项目",
        }
    }

    /// The unit a count of this kind is in (人次, 次, 台, 人, 项), as report headers
    /// and workload targets show it.
    pub fn unit_zh(&self) -> &'static str {
        match self {
            ActivityKind::Outpatient
            | ActivityKind::Inpatient
            | ActivityKind::Teaching
            | ActivityKind::Training
            | ActivityKind::PublicHealthService
            | ActivityKind::FreeClinic
            | ActivityKind::TwoWayReferral => "人次",
            ActivityKind::Surgery => "台",
            ActivityKind::FamilyDoctorContract => "人",
            ActivityKind::NewTechnique => "项",
            ActivityKind::WardRound
            | ActivityKind::TeachingRound
            | ActivityKind::Lecture
            | ActivityKind::CaseDiscussion
            | ActivityKind::Teleconsultation
            | ActivityKind::HealthEducation => "次",
        }
    }

    /// The work a workload target (诊疗人次目标) counts, in the circulars' words:
    /// `门诊诊疗` for outpatients (每月门诊诊疗不少于300人次), the label otherwise.
    pub fn workload_zh(&self) -> &'static str {
        match self {
            ActivityKind::Outpatient => "门诊诊疗",
            ActivityKind::Inpatient => "住院诊疗",
            other => other.label_zh(),
        }
    }
}

impl fmt::Display for ActivityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An activity name that is not one of [`ActivityKind::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown activity kind {0:?}")]
pub struct UnknownActivity(pub String);

impl FromStr for ActivityKind {
    type Err = UnknownActivity;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ActivityKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == s)
            .ok_or_else(|| UnknownActivity(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_activity_kind_round_trips_through_its_name_and_has_a_chinese_label() {
        for kind in ActivityKind::ALL {
            assert_eq!(kind.as_str().parse::<ActivityKind>().unwrap(), kind);
            assert_eq!(serde_json::to_string(&kind).unwrap(), format!("\"{kind}\""));
            assert!(!kind.label_zh().is_empty());
        }
        let labels: Vec<_> = ActivityKind::ALL.iter().map(|k| k.label_zh()).collect();
        assert_eq!(
            labels,
            [
                "门诊",
                "住院",
                "查房",
                "带教",
                "讲座",
                "病例讨论",
                "培训",
                "手术",
                "远程会诊",
                "健康宣教",
                "教学查房",
                "家庭医生签约",
                "公共卫生服务",
                "义诊",
                "双向转诊",
                "新技术新项目"
            ]
        );
        assert_ne!(
            ActivityKind::TeachingRound.label_zh(),
            ActivityKind::WardRound.label_zh(),
            "教学查房 is its own kind, apart from 查房"
        );
        assert_eq!(
            "teaching_round".parse::<ActivityKind>(),
            Ok(ActivityKind::TeachingRound)
        );
        assert_eq!(ActivityKind::FamilyDoctorContract.unit_zh(), "人");
        assert_eq!(ActivityKind::NewTechnique.unit_zh(), "项");
        assert_eq!(
            "surgeon".parse::<ActivityKind>(),
            Err(UnknownActivity("surgeon".into()))
        );
    }
}
