//! Who may be sent (派出人员资格): a title placed on the ladder 初级/中级/副高/正高, years
//! of service, discipline, and a programme's rules judged for one person or a team.
//!
//! A single new assignment is judged against the person rules only. Team rules
//! (中站 "不少于三人的帮扶团队…其中不少于2名中级以上", 福建 巡诊团队) are judged where a
//! whole team is in view: on an import (the rows for one site and programme, with the
//! people already posted there, form the team) and when a site's current team is shown.
//! A team is built one posting at a time, so refusing a lone assignment for the team's
//! size would refuse every first member.

use chrono::{Datelike, NaiveDate};

use super::text;

pub use mobile_api::{
    Discipline, Eligibility, EligibilityViolation, Profession, TeamRule, TitleRank,
};

/// What the rules look at in a user.
pub fn candidate(user: &super::user::User) -> Candidate {
    Candidate {
        name: user.name.clone(),
        title: user.title.clone(),
        practice_since_year: user.practice_since_year,
        discipline: user.discipline,
    }
}

/// What the rules look at in a person.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Candidate {
    pub name: String,
    /// 职称 as written (e.g. 主治医师).
    pub title: Option<String>,
    pub practice_since_year: Option<i32>,
    /// 类别 as recorded; inferred from the title when absent.
    pub discipline: Option<Discipline>,
}

pub fn rank_zh(rank: TitleRank) -> &'static str {
    match rank {
        TitleRank::Junior => "初级",
        TitleRank::Intermediate => "中级",
        TitleRank::AssociateSenior => "副高",
        TitleRank::Senior => "正高",
    }
}

pub fn profession_zh(p: Profession) -> &'static str {
    match p {
        Profession::Physician => "医师",
        Profession::Nurse => "护理",
        Profession::Pharmacist => "药学",
        Profession::Technician => "技术",
    }
}

pub fn discipline_zh(d: Discipline) -> &'static str {
    match d {
        Discipline::Clinical => "临床",
        Discipline::Tcm => "中医",
        Discipline::Nursing => "护理",
        Discipline::PublicHealth => "公共卫生",
        Discipline::Pharmacy => "药学",
        Discipline::Technician => "医技",
    }
}

/// A discipline from its Chinese name (as a personnel table writes it) or wire name.
pub fn parse_discipline(text: &str) -> Option<Discipline> {
    let t = text.trim();
    Some(match t {
        "临床" | "临床类别" | "临床医师" | "clinical" => Discipline::Clinical,
        "中医" | "中医类别" | "中医师" | "tcm" => Discipline::Tcm,
        "护理" | "护士" | "nursing" => Discipline::Nursing,
        "公共卫生" | "公卫" | "公共卫生类别" | "public_health" => {
            Discipline::PublicHealth
        }
        "药学" | "药剂" | "pharmacy" => Discipline::Pharmacy,
        "医技" | "技术" | "检验" | "影像" | "technician" => Discipline::Technician,
        _ => return None,
    })
}

/// A title placed on the ladder: its series and rank.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub profession: Profession,
    pub rank: TitleRank,
}

/// Places a title on the ladder, from the common titles of each series:
/// physicians 医士/医师/住院医师 · 主治医师 · 副主任医师 · 主任医师 (中医师 and the
/// public-health 主管医师 alike), nursing 护士/护师 · 主管护师 · 副主任护师 · 主任护师,
/// pharmacy 药士/药师 · 主管药师 · 副主任药师 · 主任药师, technicians 技士/技师 ·
/// 主管技师 · 副主任技师 · 主任技师. `None` for a title it does not know.
pub fn standing(title: &str) -> Option<Standing> {
    let t: String = title.chars().filter(|c| !c.is_whitespace()).collect();
    let profession = if t.ends_with("医师") || t.ends_with("医士") {
        Profession::Physician
    } else if t.ends_with("护师") || t.ends_with("护士") {
        Profession::Nurse
    } else if t.ends_with("药师") || t.ends_with("药士") {
        Profession::Pharmacist
    } else if t.ends_with("技师") || t.ends_with("技士") {
        Profession::Technician
    } else {
        return None;
    };
    let rank = if t.contains("副主任") {
        TitleRank::AssociateSenior
    } else if t.contains("主任") {
        TitleRank::Senior
    } else if t.contains("主治") || t.contains("主管") {
        TitleRank::Intermediate
    } else {
        TitleRank::Junior
    };
    Some(Standing { profession, rank })
}

/// The discipline recorded, else the one the title implies (nursing, pharmacy and
/// technician titles name theirs; 中医 titles are TCM; 主管医师 is public health; other
/// physicians are clinical).
pub fn discipline_of(c: &Candidate) -> Option<Discipline> {
    if c.discipline.is_some() {
        return c.discipline;
    }
    let title = c.title.as_deref()?;
    Some(match standing(title)?.profession {
        Profession::Nurse => Discipline::Nursing,
        Profession::Pharmacist => Discipline::Pharmacy,
        Profession::Technician => Discipline::Technician,
        Profession::Physician if title.contains("中医") => Discipline::Tcm,
        Profession::Physician if title.contains("主管医师") => Discipline::PublicHealth,
        Profession::Physician => Discipline::Clinical,
    })
}

/// A year practice began: from 1950 to this year.
pub fn check_practice_year(year: i32, today: NaiveDate) -> Result<i32, &'static str> {
    if (1950..=today.year()).contains(&year) {
        Ok(year)
    } else {
        Err("practice_since_year: a year from 1950 to this year")
    }
}

/// Whole years of service on `today` (counting the starting year as year zero).
pub fn years_of_service(since_year: i32, today: NaiveDate) -> u32 {
    u32::try_from(today.year() - since_year).unwrap_or(0)
}

fn violation(rule: &str, detail_zh: String) -> EligibilityViolation {
    EligibilityViolation {
        rule: rule.to_owned(),
        detail_zh,
    }
}

fn list_zh<T: Copy>(items: &[T], name: fn(T) -> &'static str) -> String {
    items
        .iter()
        .map(|i| name(*i))
        .collect::<Vec<_>>()
        .join("、")
}

/// The person rules `c` breaks on `today`, in the order min_rank, profession,
/// min_years, discipline; empty when eligible. A missing or unknown title breaks a
/// rank or profession rule, missing years a years rule: eligibility is shown, not assumed.
pub fn judge_person(
    rules: &Eligibility,
    c: &Candidate,
    today: NaiveDate,
) -> Vec<EligibilityViolation> {
    let mut out = Vec::new();
    let standing = c.title.as_deref().and_then(standing);
    let title = c.title.as_deref().unwrap_or("未登记");
    if let Some(min) = rules.min_rank {
        match standing {
            Some(s) if s.rank >= min => {}
            Some(s) => out.push(violation(
                "min_rank",
                format!(
                    "{}的职称{title}为{}，本方案要求{}及以上职称",
                    c.name,
                    rank_zh(s.rank),
                    rank_zh(min)
                ),
            )),
            None => out.push(violation(
                "min_rank",
                format!(
                    "{}的职称（{title}）无法认定等级，本方案要求{}及以上职称",
                    c.name,
                    rank_zh(min)
                ),
            )),
        }
    }
    if !rules.professions.is_empty()
        && !standing.is_some_and(|s| rules.professions.contains(&s.profession))
    {
        out.push(violation(
            "profession",
            format!(
                "{}的职称{title}不属于本方案派出的{}系列",
                c.name,
                list_zh(&rules.professions, profession_zh)
            ),
        ));
    }
    if let Some(min) = rules.min_years {
        match c.practice_since_year.map(|y| years_of_service(y, today)) {
            Some(years) if years >= min => {}
            Some(years) => out.push(violation(
                "min_years",
                format!(
                    "{}从业{years}年，本方案要求从业不少于{min}年（高年资）",
                    c.name
                ),
            )),
            None => out.push(violation(
                "min_years",
                format!(
                    "{}未登记从业起始年份，本方案要求从业不少于{min}年（高年资）",
                    c.name
                ),
            )),
        }
    }
    if !rules.disciplines.is_empty() {
        let discipline = discipline_of(c);
        if !discipline.is_some_and(|d| rules.disciplines.contains(&d)) {
            let own = discipline.map_or("未登记", discipline_zh);
            out.push(violation(
                "discipline",
                format!(
                    "{}的类别为{own}，本方案派出{}人员",
                    c.name,
                    list_zh(&rules.disciplines, discipline_zh)
                ),
            ));
        }
    }
    out
}

/// The team rules `team` (the people posted to one site under the programme) breaks.
pub fn judge_team(rules: &Eligibility, team: &[Candidate]) -> Vec<EligibilityViolation> {
    let Some(rule) = &rules.team else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let size = u32::try_from(team.len()).unwrap_or(u32::MAX);
    if let Some(min) = rule.min_members
        && size < min
    {
        out.push(violation(
            "team_size",
            format!("帮扶团队{size}人，本方案要求不少于{min}人"),
        ));
    }
    if let Some(min) = rule.min_ranked {
        let rank = rule.ranked_min_rank.unwrap_or(TitleRank::Intermediate);
        let ranked = team
            .iter()
            .filter(|c| {
                let s = c.title.as_deref().and_then(standing);
                s.is_some_and(|s| {
                    s.rank >= rank
                        && (rule.ranked_professions.is_empty()
                            || rule.ranked_professions.contains(&s.profession))
                }) && (rule.ranked_disciplines.is_empty()
                    || discipline_of(c).is_some_and(|d| rule.ranked_disciplines.contains(&d)))
            })
            .count();
        if u32::try_from(ranked).unwrap_or(u32::MAX) < min {
            let mut who = format!("{}以上职称", rank_zh(rank));
            if !rule.ranked_disciplines.is_empty() {
                who.push_str(&list_zh(&rule.ranked_disciplines, discipline_zh));
            }
            who.push_str(if rule.ranked_professions.is_empty() {
                "人员"
            } else {
                "医师"
            });
            out.push(violation(
                "team_ranked",
                format!("帮扶团队中{who}{ranked}名，本方案要求不少于{min}名"),
            ));
        }
    }
    let missing: Vec<Discipline> = rule
        .disciplines
        .iter()
        .copied()
        .filter(|d| !team.iter().any(|c| discipline_of(c) == Some(*d)))
        .collect();
    if !missing.is_empty() {
        out.push(violation(
            "team_disciplines",
            format!(
                "团队应包括{}人员，缺少{}",
                list_zh(&rule.disciplines, discipline_zh),
                list_zh(&missing, discipline_zh)
            ),
        ));
    }
    out
}

/// The longest written reason for an override.
pub const MAX_OVERRIDE_REASON_CHARS: usize = 1000;

/// Refused on the programme's rules (422 `not_eligible`): the rules broken, each with
/// its id and sentence.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", sentences(self))]
pub struct NotEligible {
    pub rules: Vec<EligibilityViolation>,
    /// Whether the caller could send the person anyway with a written reason.
    pub may_override: bool,
}

fn sentences(n: &NotEligible) -> String {
    let mut text = n
        .rules
        .iter()
        .map(|v| format!("[{}] {}", v.rule, v.detail_zh))
        .collect::<Vec<_>>()
        .join("；");
    text.push_str(if n.may_override {
        "（管理员可填写破格理由 eligibility_override 后派出）"
    } else {
        "（仅管理员可破格派出）"
    });
    text
}

/// Why an override was not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdmissionError {
    #[error(transparent)]
    NotEligible(#[from] NotEligible),
    /// The written reason is not a [`text::note`] of at most
    /// [`MAX_OVERRIDE_REASON_CHARS`], whether or not it was needed.
    #[error(transparent)]
    Reason(#[from] text::TextError),
}

/// How a person judged by the rules is admitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    Eligible,
    /// Sent although `rules` refused it, for the written `reason` (破格派出).
    Overridden {
        reason: String,
        rules: Vec<EligibilityViolation>,
    },
}

/// Admits a person who broke `broken`: eligible when nothing is broken (a reason sent
/// anyway is ignored, once it is well formed); otherwise only on an override by
/// someone who `may_override` (an administrator) with a non-blank written reason.
pub fn admit(
    broken: Vec<EligibilityViolation>,
    reason: Option<&str>,
    may_override: bool,
) -> Result<Admission, AdmissionError> {
    let reason = text::note("eligibility_override", reason, MAX_OVERRIDE_REASON_CHARS)?;
    if broken.is_empty() {
        return Ok(Admission::Eligible);
    }
    match reason {
        Some(reason) if may_override => Ok(Admission::Overridden {
            reason,
            rules: broken,
        }),
        _ => Err(NotEligible {
            rules: broken,
            may_override,
        }
        .into()),
    }
}

/// Bounds on a programme's rules, so a typo cannot make everyone ineligible unseen.
pub fn check_rules(rules: &Eligibility) -> Result<(), &'static str> {
    if rules.min_years.is_some_and(|y| y > 50) {
        return Err("eligibility.min_years: at most 50");
    }
    if let Some(team) = &rules.team {
        if team.min_members.is_some_and(|n| n == 0 || n > 50) {
            return Err("eligibility.team.min_members: 1..=50");
        }
        if team
            .min_ranked
            .is_some_and(|n| n > team.min_members.unwrap_or(50))
        {
            return Err("eligibility.team.min_ranked: at most min_members");
        }
    }
    Ok(())
}

/// One row of an import as the rules see it: who (by a stable key such as the phone)
/// goes to which site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamRow {
    pub row: u32,
    pub site: uuid::Uuid,
    pub person: String,
    pub candidate: Candidate,
}

/// A rule broken by an import, with the rows it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowsViolation {
    pub rows: Vec<u32>,
    pub violation: EligibilityViolation,
}

/// Judges an import: each row's person, then, per site, the rows for that site together
/// with those already `posted` there under the programme (by the same key) as one team.
/// Sentences name the rows (第3行 / 第3、4行所在团队).
pub fn judge_rows(
    rules: &Eligibility,
    rows: &[TeamRow],
    posted: &std::collections::HashMap<uuid::Uuid, Vec<(String, Candidate)>>,
    today: NaiveDate,
) -> Vec<RowsViolation> {
    let mut out = Vec::new();
    for r in rows {
        for mut v in judge_person(rules, &r.candidate, today) {
            v.detail_zh = format!("第{}行：{}", r.row, v.detail_zh);
            out.push(RowsViolation {
                rows: vec![r.row],
                violation: v,
            });
        }
    }
    if rules.team.is_none() {
        return out;
    }
    let mut sites: Vec<uuid::Uuid> = rows.iter().map(|r| r.site).collect();
    sites.sort();
    sites.dedup();
    for site in sites {
        let here: Vec<&TeamRow> = rows.iter().filter(|r| r.site == site).collect();
        let mut members: Vec<(&str, &Candidate)> = Vec::new();
        let already = posted.get(&site).map_or(&[][..], Vec::as_slice);
        for (key, c) in already
            .iter()
            .map(|(k, c)| (k.as_str(), c))
            .chain(here.iter().map(|r| (r.person.as_str(), &r.candidate)))
        {
            if !members.iter().any(|(k, _)| *k == key) {
                members.push((key, c));
            }
        }
        let team: Vec<Candidate> = members.into_iter().map(|(_, c)| c.clone()).collect();
        let numbers: Vec<u32> = here.iter().map(|r| r.row).collect();
        let named = numbers
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join("、");
        for mut v in judge_team(rules, &team) {
            v.detail_zh = format!("第{named}行所在团队：{}", v.detail_zh);
            out.push(RowsViolation {
                rows: numbers.clone(),
                violation: v,
            });
        }
    }
    out
}

/// The rules in words, in Chinese, for a programme's page.
pub fn describe_zh(rules: &Eligibility) -> Vec<String> {
    let mut out = Vec::new();
    let mut person = String::new();
    if let Some(years) = rules.min_years {
        person.push_str(&format!("从业不少于{years}年的"));
    }
    if let Some(rank) = rules.min_rank {
        person.push_str(&format!("{}及以上职称的", rank_zh(rank)));
    }
    if !rules.disciplines.is_empty() {
        person.push_str(&list_zh(&rules.disciplines, discipline_zh));
    }
    if !rules.professions.is_empty() {
        person.push_str(&list_zh(&rules.professions, profession_zh));
    }
    if !person.is_empty() {
        out.push(format!("派出人员：{}", person.trim_end_matches('的')));
    }
    if let Some(team) = &rules.team {
        if let Some(n) = team.min_members {
            out.push(format!("团队不少于{n}人"));
        }
        if let Some(n) = team.min_ranked {
            let rank = team.ranked_min_rank.unwrap_or(TitleRank::Intermediate);
            out.push(format!("其中{}以上职称不少于{n}名", rank_zh(rank)));
        }
        if !team.disciplines.is_empty() {
            out.push(format!(
                "团队应包括{}人员",
                list_zh(&team.disciplines, discipline_zh)
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 7).unwrap()
    }

    fn person(title: &str) -> Candidate {
        Candidate {
            name: "张三".into(),
            title: Some(title.into()),
            practice_since_year: Some(2015),
            discipline: None,
        }
    }

    fn intermediate_physicians() -> Eligibility {
        Eligibility {
            min_rank: Some(TitleRank::Intermediate),
            professions: vec![Profession::Physician],
            ..Eligibility::default()
        }
    }

    #[test]
    fn common_titles_sit_on_their_rung() {
        use Profession::*;
        use TitleRank::*;
        let cases = [
            ("住院医师", Physician, Junior),
            ("医师", Physician, Junior),
            ("主治医师", Physician, Intermediate),
            ("副主任医师", Physician, AssociateSenior),
            ("主任医师", Physician, Senior),
            ("中医师", Physician, Junior),
            ("主治中医师", Physician, Intermediate),
            ("主任中医师", Physician, Senior),
            ("主管医师", Physician, Intermediate),
            ("护士", Nurse, Junior),
            ("护师", Nurse, Junior),
            ("主管护师", Nurse, Intermediate),
            ("副主任护师", Nurse, AssociateSenior),
            ("主任护师", Nurse, Senior),
            ("药士", Pharmacist, Junior),
            ("主管药师", Pharmacist, Intermediate),
            ("副主任药师", Pharmacist, AssociateSenior),
            ("技师", Technician, Junior),
            ("主管技师", Technician, Intermediate),
            ("主任技师", Technician, Senior),
        ];
        for (title, profession, rank) in cases {
            assert_eq!(
                standing(title),
                Some(Standing { profession, rank }),
                "{title}"
            );
        }
        assert_eq!(standing("科员"), None);
        assert_eq!(standing(" 主治 医师 ").map(|s| s.rank), Some(Intermediate));
    }

    #[test]
    fn disciplines_follow_the_title_unless_recorded() {
        assert_eq!(
            discipline_of(&person("主管护师")),
            Some(Discipline::Nursing)
        );
        assert_eq!(discipline_of(&person("主治中医师")), Some(Discipline::Tcm));
        assert_eq!(
            discipline_of(&person("主管医师")),
            Some(Discipline::PublicHealth)
        );
        assert_eq!(
            discipline_of(&person("主治医师")),
            Some(Discipline::Clinical)
        );
        let recorded = Candidate {
            discipline: Some(Discipline::PublicHealth),
            ..person("主治医师")
        };
        assert_eq!(discipline_of(&recorded), Some(Discipline::PublicHealth));
        assert_eq!(parse_discipline("公共卫生"), Some(Discipline::PublicHealth));
        assert_eq!(parse_discipline("中医"), Some(Discipline::Tcm));
        assert_eq!(parse_discipline("行政"), None);
    }

    #[test]
    fn a_nurse_breaks_a_rule_for_intermediate_physicians_by_rank_and_series() {
        let broken = judge_person(&intermediate_physicians(), &person("护士"), day());
        let rules: Vec<_> = broken.iter().map(|v| v.rule.as_str()).collect();
        assert_eq!(rules, ["min_rank", "profession"]);
        assert!(
            broken[0].detail_zh.contains("中级及以上"),
            "{}",
            broken[0].detail_zh
        );
        // A 主管护师 is intermediate but not a physician.
        let broken = judge_person(&intermediate_physicians(), &person("主管护师"), day());
        assert_eq!(broken.len(), 1);
        assert_eq!(broken[0].rule, "profession");
        assert!(judge_person(&intermediate_physicians(), &person("主治医师"), day()).is_empty());
        assert!(judge_person(&intermediate_physicians(), &person("主任医师"), day()).is_empty());
    }

    #[test]
    fn an_unknown_or_missing_title_is_not_taken_as_eligible() {
        let none = Candidate {
            title: None,
            ..person("")
        };
        let broken = judge_person(&intermediate_physicians(), &none, day());
        assert_eq!(broken[0].rule, "min_rank");
        assert!(broken[0].detail_zh.contains("未登记"));
        assert!(judge_person(&Eligibility::default(), &none, day()).is_empty());
    }

    #[test]
    fn years_of_service_count_whole_years_from_the_starting_year() {
        let rules = Eligibility {
            min_years: Some(5),
            ..Eligibility::default()
        };
        let since = |y| Candidate {
            practice_since_year: Some(y),
            ..person("主治医师")
        };
        assert!(judge_person(&rules, &since(2021), day()).is_empty());
        let broken = judge_person(&rules, &since(2022), day());
        assert_eq!(broken[0].rule, "min_years");
        assert!(broken[0].detail_zh.contains("从业4年"));
        let unknown = Candidate {
            practice_since_year: None,
            ..person("主治医师")
        };
        assert_eq!(judge_person(&rules, &unknown, day())[0].rule, "min_years");
        assert_eq!(years_of_service(2030, day()), 0);
    }

    #[test]
    fn disciplines_admit_only_those_named() {
        let rules = Eligibility {
            disciplines: vec![Discipline::Clinical],
            ..Eligibility::default()
        };
        assert!(judge_person(&rules, &person("主治医师"), day()).is_empty());
        assert_eq!(
            judge_person(&rules, &person("主治中医师"), day())[0].rule,
            "discipline"
        );
    }

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

    #[test]
    fn a_team_of_three_with_two_intermediate_clinicians_passes() {
        let team = [person("主治医师"), person("副主任医师"), person("护师")];
        assert!(judge_team(&zhongzhan_team(), &team).is_empty());
    }

    #[test]
    fn a_small_team_or_one_short_of_ranked_clinicians_is_refused() {
        let small = [person("主治医师"), person("副主任医师")];
        let broken = judge_team(&zhongzhan_team(), &small);
        assert_eq!(broken.len(), 1);
        assert_eq!(broken[0].rule, "team_size");
        assert!(broken[0].detail_zh.contains("不少于3人"));
        // A TCM physician and a nurse do not count as 中级以上临床医师.
        let team = [person("主治医师"), person("主治中医师"), person("主管护师")];
        let broken = judge_team(&zhongzhan_team(), &team);
        assert_eq!(broken.len(), 1);
        assert_eq!(broken[0].rule, "team_ranked");
        assert!(
            broken[0].detail_zh.contains("1名"),
            "{}",
            broken[0].detail_zh
        );
    }

    #[test]
    fn a_circuit_team_lacking_a_discipline_names_it() {
        let rules = Eligibility {
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
        };
        let team = [person("主治医师"), person("中医师"), person("护师")];
        let broken = judge_team(&rules, &team);
        assert_eq!(broken[0].rule, "team_disciplines");
        assert!(
            broken[0].detail_zh.ends_with("缺少公共卫生"),
            "{}",
            broken[0].detail_zh
        );
        let full = [
            person("主治医师"),
            person("中医师"),
            person("护师"),
            person("主管医师"),
        ];
        assert!(judge_team(&rules, &full).is_empty());
        assert!(judge_team(&Eligibility::default(), &[]).is_empty());
    }

    #[test]
    fn only_an_administrator_with_a_reason_sends_someone_the_rules_refuse() {
        let broken = || judge_person(&intermediate_physicians(), &person("护士"), day());
        assert_eq!(
            admit(Vec::new(), Some("随便"), false),
            Ok(Admission::Eligible)
        );
        let refused = admit(broken(), None, true).unwrap_err();
        let AdmissionError::NotEligible(n) = refused else {
            panic!("not a refusal")
        };
        assert_eq!(n.rules.len(), 2);
        assert!(n.to_string().starts_with("[min_rank]"), "{n}");
        assert!(matches!(
            admit(broken(), Some("   "), true),
            Err(AdmissionError::NotEligible(_))
        ));
        assert!(matches!(
            admit(broken(), Some("乡镇急需护理骨干"), false),
            Err(AdmissionError::NotEligible(NotEligible {
                may_override: false,
                ..
            }))
        ));
        assert_eq!(
            admit(broken(), Some(" 乡镇急需护理骨干 "), true),
            Ok(Admission::Overridden {
                reason: "乡镇急需护理骨干".into(),
                rules: broken()
            })
        );
        let long = "字".repeat(1001);
        assert!(matches!(
            admit(broken(), Some(&long), true),
            Err(AdmissionError::Reason(text::TextError::TooLong { .. }))
        ));
        // A malformed reason is refused even when nobody needed it.
        assert!(matches!(
            admit(Vec::new(), Some(&long), true),
            Err(AdmissionError::Reason(_))
        ));
        assert!(matches!(
            admit(Vec::new(), Some("急需\u{0}"), false),
            Err(AdmissionError::Reason(text::TextError::Control { .. }))
        ));
        assert_eq!(
            admit(Vec::new(), Some("  "), false),
            Ok(Admission::Eligible)
        );
    }

    #[test]
    fn an_import_is_judged_per_row_and_per_site_team_with_those_already_posted() {
        use std::collections::HashMap;
        let (a, b) = (uuid::Uuid::from_u128(1), uuid::Uuid::from_u128(2));
        let row = |row, site, who: &str, title| TeamRow {
            row,
            site,
            person: who.into(),
            candidate: person(title),
        };
        let rows = [
            row(2, a, "p1", "主治医师"),
            row(3, a, "p2", "主治医师"),
            row(4, b, "p3", "主治医师"),
        ];
        let none = HashMap::new();
        let broken = judge_rows(&zhongzhan_team(), &rows, &none, day());
        // Site a has two people (one short of three); site b one (short of both).
        let rules: Vec<(&str, &[u32])> = broken
            .iter()
            .map(|v| (v.violation.rule.as_str(), v.rows.as_slice()))
            .collect();
        assert_eq!(
            rules,
            [
                ("team_size", &[2, 3][..]),
                ("team_size", &[4][..]),
                ("team_ranked", &[4][..])
            ]
        );
        assert!(
            broken[0]
                .violation
                .detail_zh
                .starts_with("第2、3行所在团队")
        );
        // A nurse already posted at a completes a's team; the same person twice counts once.
        let posted = HashMap::from([(
            a,
            vec![
                ("p9".to_owned(), person("护师")),
                ("p1".to_owned(), person("主治医师")),
            ],
        )]);
        let broken = judge_rows(&zhongzhan_team(), &rows[..2], &posted, day());
        assert!(broken.is_empty(), "{broken:?}");
        // Person rules name the row.
        let broken = judge_rows(
            &intermediate_physicians(),
            &[row(7, a, "p4", "护士")],
            &none,
            day(),
        );
        assert_eq!(broken.len(), 2);
        assert!(broken[0].violation.detail_zh.starts_with("第7行："));
    }

    #[test]
    fn rules_read_in_chinese() {
        let rules = Eligibility {
            min_years: Some(5),
            ..intermediate_physicians()
        };
        assert_eq!(
            describe_zh(&rules),
            ["派出人员：从业不少于5年的中级及以上职称的医师"]
        );
        assert_eq!(
            describe_zh(&zhongzhan_team()),
            ["团队不少于3人", "其中中级以上职称不少于2名"]
        );
    }
}
