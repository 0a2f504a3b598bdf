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
}

impl ActivityKind {
    pub const ALL: [ActivityKind; 10] = [
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
                "健康宣教"
            ]
        );
        assert_eq!(
            "surgeon".parse::<ActivityKind>(),
            Err(UnknownActivity("surgeon".into()))
        );
    }
}
