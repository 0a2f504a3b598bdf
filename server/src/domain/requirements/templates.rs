//! Ready-made programs for the five seed circulars, each rule in the wire form.

use serde::Serialize;

use super::activity::ActivityKind;
use super::period::Period;
use super::rule::RequirementSpec;
use crate::domain::eligibility::{Discipline, Eligibility, Profession, TeamRule, TitleRank};

/// A ready-made program for one of the seed circulars.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProgramTemplate {
    /// Stable key, e.g. `zhangping-2022`.
    pub key: &'static str,
    /// Program name (方案名称).
    pub name: &'static str,
    /// The seed file the rules come from (`/work/shared/seeds/<source_seed>.txt`).
    pub source_seed: &'static str,
    /// The issuing jurisdiction's administrative code.
    pub jurisdiction_code: &'static str,
    /// The circular's own wording of the rules, for the record.
    pub basis: &'static str,
    pub half_day_minutes: u32,
    pub full_day_minutes: u32,
    pub requirements: Vec<RequirementSpec>,
    /// Who the circular lets be sent, and its team rules.
    pub eligibility: Eligibility,
}

pub(super) fn spec(period: Period) -> RequirementSpec {
    RequirementSpec::new(period)
}

pub(super) fn min_days(period: Period, days: f64) -> RequirementSpec {
    RequirementSpec {
        min_days: Some(days),
        ..spec(period)
    }
}

pub(super) fn min_half_days(
    period: Period,
    half_days: u32,
    activity: Option<ActivityKind>,
) -> RequirementSpec {
    RequirementSpec {
        min_half_days: Some(half_days),
        activity,
        ..spec(period)
    }
}

pub(super) fn min_visits(
    period: Period,
    visits: u32,
    activity: Option<ActivityKind>,
) -> RequirementSpec {
    RequirementSpec {
        min_visits: Some(visits),
        min_days_served: None,
        min_working_days: None,
        activity,
        ..spec(period)
    }
}

pub(super) fn min_days_served(period: Period, days: u32) -> RequirementSpec {
    RequirementSpec {
        min_days_served: Some(days),
        ..spec(period)
    }
}

pub(super) fn min_working_days(period: Period, days: u32) -> RequirementSpec {
    RequirementSpec {
        min_working_days: Some(days),
        ..spec(period)
    }
}

pub(super) fn consecutive_months(months: u32) -> RequirementSpec {
    RequirementSpec {
        min_consecutive_months: Some(months),
        ..spec(Period::Assignment)
    }
}

/// 中级以上职称的医师 (丰泽; 漳平 with 高年资).
fn intermediate_physicians(min_years: Option<u32>) -> Eligibility {
    Eligibility {
        min_rank: Some(TitleRank::Intermediate),
        professions: vec![Profession::Physician],
        min_years,
        ..Eligibility::default()
    }
}

/// 中站 "不少于三人的帮扶团队,其中不少于2名中级以上职称临床医师".
fn zhongzhan_team() -> Eligibility {
    Eligibility {
        team: Some(TeamRule {
            min_members: Some(3),
            min_ranked: Some(2),
            ranked_min_rank: Some(TitleRank::Intermediate),
            ranked_professions: vec![Profession::Physician],
            ranked_disciplines: vec![Discipline::Clinical],
            disciplines: vec![],
        }),
        ..Eligibility::default()
    }
}

/// The years of service taken as 高年资 where a circular says it without a number
/// (漳平): a choice, editable per programme.
pub const SENIOR_YEARS: u32 = 5;

/// Programs for the five seed circulars, with the default 3 h / 6 h thresholds
/// (none of the circulars defines a half day in hours).
///
/// Choices where a circular's wording does not map one to one:
/// - 丰泽 "每月至少工作1-2天": the floor, 1 day a month.
/// - 中站 resident "组织查房不少于2次": ward rounds are counted as *visits* on
///   which a ward round was logged, since a round is an occurrence, not a
///   half-day; outpatient "3个半天" is counted in half-days.
/// - 福建 dispatch "每周派驻不少于5日，每日不少于半天": `min_visits 5`, not
///   `min_days 5`: days would sum halves (five half-days = 2.5 days) and so
///   could never be met by five half-day attendances, while each qualifying
///   visit is exactly "a day of at least half a day" as long as the physician
///   checks in once a day, which a dispatch posting does.
/// - 光山 "每月下沉值诊带教不少于4个工作日" is 4 credited days; "技能培训每月不少于1次"
///   is one qualifying visit with training logged.
/// - 光山 "诊疗人次目标" (a workload target) is set by each pair's 帮扶协议 and
///   年度帮扶计划; the circular states no number ("门诊服务人次及住院服务人次较上年同期有
///   合理增长"), so the template carries none. A county adds its own as a
///   `min_activity_count` requirement, e.g. 每月门诊诊疗不少于300人次.
/// - Programme-level duties (monthly reports, satisfaction surveys, team
///   sizes, 累计服务1年 before promotion) are not per-assignment attendance
///   and are left to reports.
pub fn templates() -> Vec<ProgramTemplate> {
    use ActivityKind::{Outpatient, Training, WardRound};
    let (half, full) = (180, 360);
    vec![
        ProgramTemplate {
            key: "zhangping-2022",
            name: "漳平市2022年度“医师下基层”对口支援",
            source_seed: "000_a22072e2bcc7ce84",
            jurisdiction_code: "350881",
            basis: "原则上要求支援医师每月至少在受援单位工作1天",
            half_day_minutes: half,
            full_day_minutes: full,
            requirements: vec![min_days(Period::Month, 1.0)],
            eligibility: intermediate_physicians(Some(SENIOR_YEARS)),
        },
        ProgramTemplate {
            key: "fengze-2023",
            name: "丰泽区2023年度“千名医师万人次下基层”对口支援",
            source_seed: "001_868f39aa79d73ba9",
            jurisdiction_code: "350503",
            basis: "具有中级以上职称的医师，每月至少在受援单位工作1-2天",
            half_day_minutes: half,
            full_day_minutes: full,
            requirements: vec![min_days(Period::Month, 1.0)],
            eligibility: intermediate_physicians(None),
        },
        ProgramTemplate {
            key: "zhongzhan-2021-circuit",
            name: "中站区城乡医院对口支援（巡诊）",
            source_seed: "002_1c58b9590511d6b9",
            jurisdiction_code: "410803",
            basis: "巡诊医师每人每周在每个社区卫生服务中心工作时间不少于3个半天，其中出门诊时间不少于2个半天",
            half_day_minutes: half,
            full_day_minutes: full,
            requirements: vec![
                min_half_days(Period::Week, 3, None),
                min_half_days(Period::Week, 2, Some(Outpatient)),
            ],
            eligibility: Eligibility {
                // "选派2名中级以上职称临床医师…巡诊"
                disciplines: vec![Discipline::Clinical],
                ..intermediate_physicians(None)
            },
        },
        ProgramTemplate {
            key: "zhongzhan-2021-resident",
            name: "中站区城乡医院对口支援（驻点）",
            source_seed: "002_1c58b9590511d6b9",
            jurisdiction_code: "410803",
            basis: "驻点帮扶医师每周出门诊不少于3个半天、组织查房不少于2次；每名派驻人员连续驻点时间不得少于6个月",
            half_day_minutes: half,
            full_day_minutes: full,
            requirements: vec![
                min_half_days(Period::Week, 3, Some(Outpatient)),
                min_visits(Period::Week, 2, Some(WardRound)),
                consecutive_months(6),
            ],
            eligibility: Eligibility::default(),
        },
        ProgramTemplate {
            key: "zhongzhan-2021-team",
            name: "中站区城乡医院对口支援（未达标中心帮扶团队）",
            source_seed: "002_1c58b9590511d6b9",
            jurisdiction_code: "410803",
            basis: "对未达标的社区卫生服务中心，支援医院应组建不少于三人的帮扶团队，连续驻点工作时间不少于一年",
            half_day_minutes: half,
            full_day_minutes: full,
            requirements: vec![consecutive_months(12)],
            eligibility: zhongzhan_team(),
        },
        ProgramTemplate {
            key: "zhongzhan-2021-task-force",
            name: "中站区城乡医院对口支援（创建期间工作专班）",
            source_seed: "002_1c58b9590511d6b9",
            jurisdiction_code: "410803",
            basis: "在创建推荐标准、社区医院、二级医院期间，支援医院组建工作专班，每两周现场指导至少1天",
            half_day_minutes: half,
            full_day_minutes: full,
            requirements: vec![min_days(Period::Fortnight, 1.0)],
            eligibility: Eligibility::default(),
        },
        ProgramTemplate {
            key: "fujian-2023-village-circuit",
            name: "福建省县域巡回医疗（村级巡诊）",
            source_seed: "003_5bf531a39cfcb940",
            jurisdiction_code: "350000",
            basis: "原则上每周巡诊至少2次，每次至少半天",
            half_day_minutes: half,
            full_day_minutes: full,
            requirements: vec![min_visits(Period::Week, 2, None)],
            eligibility: Eligibility {
                // "巡诊团队应包括临床类别医师、中医类别医师、护士、公共卫生人员"
                team: Some(TeamRule {
                    disciplines: vec![
                        Discipline::Clinical,
                        Discipline::Tcm,
                        Discipline::Nursing,
                        Discipline::PublicHealth,
                    ],
                    ..TeamRule::default()
                }),
                ..Eligibility::default()
            },
        },
        ProgramTemplate {
            key: "fujian-2023-village-dispatch",
            name: "福建省县域派驻服务（村级派驻）",
            source_seed: "003_5bf531a39cfcb940",
            jurisdiction_code: "350000",
            basis: "原则上每周派驻不少于5日，每日不少于半天，在同一个行政村至少连续服务半年",
            half_day_minutes: half,
            full_day_minutes: full,
            // Five distinct days, each with at least a half-day: not five visits.
            requirements: vec![min_days_served(Period::Week, 5), consecutive_months(6)],
            eligibility: Eligibility::default(),
        },
        ProgramTemplate {
            key: "fujian-2023-township-dispatch",
            name: "福建省县域派驻服务（县级派驻乡级）",
            source_seed: "003_5bf531a39cfcb940",
            jurisdiction_code: "350000",
            basis: "县级派驻乡级人员应具备中级及以上技术职称，原则上需驻点半年以上",
            half_day_minutes: half,
            full_day_minutes: full,
            requirements: vec![consecutive_months(6)],
            eligibility: Eligibility {
                // "县级派驻乡级人员应具备中级及以上技术职称": any series.
                min_rank: Some(TitleRank::Intermediate),
                ..Eligibility::default()
            },
        },
        ProgramTemplate {
            key: "guangshan-2021",
            name: "光山县医疗服务集团牵头医院优质资源下沉",
            source_seed: "004_0f94ee24e87bfd34",
            jurisdiction_code: "411522",
            basis: "每月下沉值诊带教不少于4个工作日；对成员单位医务人员进行技能培训每月不少于1次",
            half_day_minutes: half,
            full_day_minutes: full,
            requirements: vec![
                // 工作日: holidays do not count, 调休 weekends do.
                min_working_days(Period::Month, 4),
                min_visits(Period::Month, 1, Some(Training)),
            ],
            eligibility: Eligibility::default(),
        },
    ]
}

/// The template with `key`, if any.
pub fn template(key: &str) -> Option<ProgramTemplate> {
    templates().into_iter().find(|t| t.key == key)
}

#[cfg(test)]
mod tests {
    use super::super::Requirement;
    use super::super::testing::*;
    use super::*;
    use std::collections::BTreeSet;

    // ---- templates ------------------------------------------------------

    #[test]
    fn every_template_parses_with_valid_thresholds_and_a_unique_key() {
        use crate::domain::crediting::Thresholds;
        let all = templates();
        assert_eq!(all.len(), 10);
        let keys: BTreeSet<_> = all.iter().map(|t| t.key).collect();
        assert_eq!(keys.len(), all.len());
        for t in &all {
            assert!(
                Thresholds::new(t.half_day_minutes, t.full_day_minutes).is_ok(),
                "{}",
                t.key
            );
            assert!(!t.requirements.is_empty(), "{}", t.key);
            for s in &t.requirements {
                let r =
                    Requirement::from_spec(s.clone()).unwrap_or_else(|e| panic!("{}: {e}", t.key));
                assert_eq!(&r.to_spec(), s, "{}", t.key);
            }
            assert_eq!(t.jurisdiction_code.len(), 6);
            assert!(t.source_seed.len() > 3);
            assert!(!t.basis.is_empty() && !t.name.is_empty());
        }
        let seeds: BTreeSet<_> = all.iter().map(|t| &t.source_seed[..3]).collect();
        assert_eq!(
            seeds,
            ["000", "001", "002", "003", "004"].into_iter().collect()
        );
    }

    #[test]
    fn templates_express_the_seed_rules() {
        let described = |key: &str| -> Vec<String> {
            template(key)
                .unwrap()
                .requirements
                .iter()
                .map(|s| req(s.clone()).describe_zh())
                .collect()
        };
        assert_eq!(described("zhangping-2022"), ["每月不少于1天"]);
        assert_eq!(described("fengze-2023"), ["每月不少于1天"]);
        assert_eq!(
            described("zhongzhan-2021-circuit"),
            ["每周不少于3个半天", "每周门诊不少于2个半天"]
        );
        assert_eq!(
            described("zhongzhan-2021-resident"),
            [
                "每周门诊不少于3个半天",
                "每周查房不少于2次",
                "连续服务不少于6个月"
            ]
        );
        assert_eq!(described("zhongzhan-2021-team"), ["连续服务不少于12个月"]);
        assert_eq!(described("zhongzhan-2021-task-force"), ["每两周不少于1天"]);
        assert_eq!(described("fujian-2023-village-circuit"), ["每周不少于2次"]);
        assert_eq!(
            described("fujian-2023-village-dispatch"),
            ["每周不少于5日（每日至少半天）", "连续服务不少于6个月"]
        );
        assert_eq!(
            described("fujian-2023-township-dispatch"),
            ["连续服务不少于6个月"]
        );
        assert_eq!(
            described("guangshan-2021"),
            ["每月不少于4个工作日", "每月培训不少于1次"]
        );
        assert!(template("nowhere-1999").is_none());
    }

    #[test]
    fn templates_state_who_may_be_sent() {
        use crate::domain::eligibility::describe_zh;
        let described = |key: &str| describe_zh(&template(key).unwrap().eligibility);
        assert_eq!(
            described("zhangping-2022"),
            ["派出人员：从业不少于5年的中级及以上职称的医师"]
        );
        assert_eq!(described("fengze-2023"), ["派出人员：中级及以上职称的医师"]);
        assert_eq!(
            described("zhongzhan-2021-circuit"),
            ["派出人员：中级及以上职称的临床医师"]
        );
        assert_eq!(
            described("zhongzhan-2021-team"),
            ["团队不少于3人", "其中中级以上职称不少于2名"]
        );
        assert_eq!(
            described("fujian-2023-village-circuit"),
            ["团队应包括临床、中医、护理、公共卫生人员"]
        );
        assert_eq!(
            described("fujian-2023-township-dispatch"),
            ["派出人员：中级及以上职称"]
        );
        assert!(described("guangshan-2021").is_empty());
    }

    #[test]
    fn templates_serialize_requirements_in_the_api_wire_form() {
        let json = serde_json::to_value(template("guangshan-2021").unwrap()).unwrap();
        // No 诊疗人次目标 (min_activity_count): the circular leaves the number to each
        // 帮扶协议.
        assert_eq!(
            json["requirements"],
            serde_json::json!([
                {"period": "month", "min_working_days": 4},
                {"period": "month", "min_visits": 1, "activity": "training"}
            ])
        );
        assert_eq!(json["half_day_minutes"], 180);
    }
}
