//! Who may be sent (派出人员资格): the title ladder, professions, disciplines, and the
//! rules a programme states about a person and a team.

use serde::{Deserialize, Serialize};

/// The rung of a professional title (职称等级), lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TitleRank {
    /// 初级 (士、师: 住院医师, 护士, 护师, 药师, 技师…)
    Junior,
    /// 中级 (主治医师, 主管护师, 主管药师, 主管技师, 主管医师)
    Intermediate,
    /// 副高 (副主任医师, 副主任护师…)
    AssociateSenior,
    /// 正高 (主任医师, 主任护师…)
    Senior,
}

/// The title series a title belongs to (职称系列).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Profession {
    /// 医师 (clinical, TCM and public-health physicians)
    Physician,
    /// 护理
    Nurse,
    /// 药学
    Pharmacist,
    /// 技术 (检验、影像…)
    Technician,
}

/// 类别 / 专业大类: which kind of work a person does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Discipline {
    /// 临床
    Clinical,
    /// 中医
    Tcm,
    /// 护理
    Nursing,
    /// 公共卫生
    PublicHealth,
    /// 药学
    Pharmacy,
    /// 医技
    Technician,
}

/// What a programme asks of each person it sends; every member is optional and an
/// empty rule set admits anyone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Eligibility {
    /// The lowest title rank admitted (e.g. `intermediate` for 中级以上).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_rank: Option<TitleRank>,
    /// The title series admitted (e.g. `["physician"]` for 医师); empty: any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub professions: Vec<Profession>,
    /// The fewest whole years since the person began practising (高年资); at most 50.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(maximum = 50))]
    pub min_years: Option<u32>,
    /// The disciplines admitted; empty: any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub disciplines: Vec<Discipline>,
    /// How the people sent to one site under the programme make up a team.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::optional_object"
    )]
    pub team: Option<TeamRule>,
}

/// A team's make-up (e.g. 中站 "不少于三人的帮扶团队，其中不少于2名中级以上职称临床医师").
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TeamRule {
    /// The fewest people in a team, 1 to 50.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 50))]
    pub min_members: Option<u32>,
    /// The fewest members holding at least `ranked_min_rank` (and, when given, of
    /// `ranked_professions` and `ranked_disciplines`); at most `min_members` (50 when
    /// that is not given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(maximum = 50))]
    pub min_ranked: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ranked_min_rank: Option<TitleRank>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ranked_professions: Vec<Profession>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ranked_disciplines: Vec<Discipline>,
    /// Disciplines each of which at least one member must have (福建 巡诊团队:
    /// clinical, TCM, nursing, public health).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub disciplines: Vec<Discipline>,
}

/// A rule a person or a team breaks: its stable id and a sentence in Chinese.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EligibilityViolation {
    /// `min_rank`, `profession`, `min_years`, `discipline`, `team_size`,
    /// `team_ranked` or `team_disciplines`.
    pub rule: String,
    pub detail_zh: String,
}

/// An administrator's decision to send someone the programme's rules would refuse
/// (破格派出): the written reason and the rules it overrode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EligibilityOverride {
    pub reason: String,
    pub rules: Vec<EligibilityViolation>,
}

/// One member of a site's team under a programme, as the rules see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TeamMember {
    pub physician_id: uuid::Uuid,
    pub name: String,
    pub title: Option<String>,
    /// The title's rung, when the title is one the ladder knows.
    pub rank: Option<TitleRank>,
    /// Recorded, or inferred from the title.
    pub discipline: Option<Discipline>,
    pub years_of_service: Option<u32>,
}

/// `GET /api/v1/programs/{id}/sites/{site_id}/team`: who is posted to a site under a
/// programme on a date, and the team rules they break.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SiteTeam {
    pub program_id: uuid::Uuid,
    pub site_id: uuid::Uuid,
    pub date: chrono::NaiveDate,
    pub members: Vec<TeamMember>,
    /// The team rules broken; empty when the team is complete or there are none.
    pub violations: Vec<EligibilityViolation>,
    /// The programme's rules in words.
    pub rules_zh: Vec<String>,
}
