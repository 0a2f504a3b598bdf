//! The circulars' filing cycle (报表报送): which report is due for which period, by
//! when, and how a filing's state reads against the clock. Pure rules; the clock's
//! local date comes in as an argument.

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};

/// A report that can be filed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    /// 对口支援工作量月报表 (`/reports/monthly`).
    Monthly,
    /// 服务要求完成情况 / 考核统计表 (`/reports/compliance`).
    Compliance,
    /// 县域巡回医疗和派驻服务工作量统计表 (`/reports/county-statistics`), yearly.
    CountyStatistics,
}

impl ReportKind {
    pub const ALL: [ReportKind; 3] = [
        ReportKind::Monthly,
        ReportKind::Compliance,
        ReportKind::CountyStatistics,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReportKind::Monthly => "monthly",
            ReportKind::Compliance => "compliance",
            ReportKind::CountyStatistics => "county_statistics",
        }
    }

    pub fn parse(text: &str) -> Option<ReportKind> {
        ReportKind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            ReportKind::Monthly => "对口支援工作量月报表",
            ReportKind::Compliance => "对口支援工作考核统计表",
            ReportKind::CountyStatistics => "县域巡回医疗和派驻服务工作量统计表",
        }
    }

    /// Whether a report of this kind can cover a period of `period_type`: the monthly
    /// report covers months, the county table years, the compliance report months,
    /// quarters and half years (the quarter and half-year readings land with the
    /// `forms` work; until then filing them answers the report's own 400).
    pub fn allows(self, period_type: PeriodType) -> bool {
        match self {
            ReportKind::Monthly => period_type == PeriodType::Month,
            ReportKind::CountyStatistics => period_type == PeriodType::Year,
            ReportKind::Compliance => period_type != PeriodType::Year,
        }
    }
}

/// How long a filing period is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodType {
    Month,
    Quarter,
    HalfYear,
    Year,
}

impl PeriodType {
    pub const ALL: [PeriodType; 4] = [
        PeriodType::Month,
        PeriodType::Quarter,
        PeriodType::HalfYear,
        PeriodType::Year,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PeriodType::Month => "month",
            PeriodType::Quarter => "quarter",
            PeriodType::HalfYear => "half_year",
            PeriodType::Year => "year",
        }
    }

    pub fn parse(text: &str) -> Option<PeriodType> {
        PeriodType::ALL.into_iter().find(|k| k.as_str() == text)
    }

    fn months(self) -> u32 {
        match self {
            PeriodType::Month => 1,
            PeriodType::Quarter => 3,
            PeriodType::HalfYear => 6,
            PeriodType::Year => 12,
        }
    }
}

/// One reporting period, named as the report endpoints name it: `2026-11`,
/// `2026-Q3`, `2026-H2` or `2026`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FilingPeriod {
    /// First day of the period.
    pub start: NaiveDate,
    pub kind: PeriodType,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("period: {0:?} is not YYYY-MM, YYYY-Qn, YYYY-Hn or YYYY")]
pub struct BadPeriod(pub String);

const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

impl FilingPeriod {
    pub fn parse(text: &str) -> Result<FilingPeriod, BadPeriod> {
        let bad = || BadPeriod(text.to_owned());
        let year_of = |s: &str| -> Result<i32, BadPeriod> {
            let year: i32 = s
                .parse()
                .ok()
                .filter(|_| s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()))
                .ok_or_else(bad)?;
            if YEARS.contains(&year) {
                Ok(year)
            } else {
                Err(bad())
            }
        };
        let (kind, year, first_month) = match text.split_once('-') {
            None => (PeriodType::Year, year_of(text)?, 1),
            Some((y, rest)) => {
                let year = year_of(y)?;
                match rest.as_bytes() {
                    [b'Q', q @ b'1'..=b'4'] => {
                        (PeriodType::Quarter, year, u32::from(q - b'1') * 3 + 1)
                    }
                    [b'H', h @ b'1'..=b'2'] => {
                        (PeriodType::HalfYear, year, u32::from(h - b'1') * 6 + 1)
                    }
                    [a, b] if a.is_ascii_digit() && b.is_ascii_digit() => {
                        let month = u32::from(a - b'0') * 10 + u32::from(b - b'0');
                        (PeriodType::Month, year, month)
                    }
                    _ => return Err(bad()),
                }
            }
        };
        let start = NaiveDate::from_ymd_opt(year, first_month, 1).ok_or_else(bad)?;
        Ok(FilingPeriod { start, kind })
    }

    /// The period of `kind` containing `date`.
    pub fn containing(kind: PeriodType, date: NaiveDate) -> FilingPeriod {
        let span = kind.months();
        let first_month = (date.month0() / span) * span + 1;
        let start = NaiveDate::from_ymd_opt(date.year(), first_month, 1).unwrap_or(date);
        FilingPeriod { start, kind }
    }

    /// The last day of the period.
    pub fn end(self) -> NaiveDate {
        self.start
            .checked_add_months(Months::new(self.kind.months()))
            .and_then(|next| next.pred_opt())
            .unwrap_or(self.start)
    }

    /// The period right after this one.
    pub fn next(self) -> FilingPeriod {
        FilingPeriod {
            start: self.end().succ_opt().unwrap_or(self.start),
            kind: self.kind,
        }
    }

    /// The name the report endpoints take.
    pub fn label(self) -> String {
        let year = self.start.year();
        match self.kind {
            PeriodType::Month => format!("{year}-{:02}", self.start.month()),
            PeriodType::Quarter => format!("{year}-Q{}", self.start.month0() / 3 + 1),
            PeriodType::HalfYear => format!("{year}-H{}", self.start.month0() / 6 + 1),
            PeriodType::Year => format!("{year}"),
        }
    }

    /// The periods of `kind` that overlap `[from, to]`, in order.
    pub fn overlapping(kind: PeriodType, from: NaiveDate, to: NaiveDate) -> Vec<FilingPeriod> {
        let mut out = Vec::new();
        let mut period = FilingPeriod::containing(kind, from);
        while period.start <= to && out.len() < 1200 {
            out.push(period);
            period = period.next();
        }
        out
    }
}

/// When a period's report is due: on `day` of the month `months_after` months after
/// the period's last month (漳平 "每月2日前": 1 month after, day 2; the annual summary
/// "每年12月15日前": 0 months after a year ending in December, day 15). A day past
/// the month's end means its last day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DueRule {
    pub months_after: u32,
    pub day: u32,
}

impl DueRule {
    pub const MAX_MONTHS_AFTER: u32 = 12;

    pub fn validate(self) -> Result<DueRule, String> {
        if !(1..=31).contains(&self.day) {
            return Err(format!(
                "due_day: {} is not a day of the month (1-31)",
                self.day
            ));
        }
        if self.months_after > Self::MAX_MONTHS_AFTER {
            return Err(format!(
                "due_months_after: {} is more than {}",
                self.months_after,
                Self::MAX_MONTHS_AFTER
            ));
        }
        Ok(self)
    }

    /// The last day a filing for `period` is on time.
    pub fn due_date(self, period: FilingPeriod) -> NaiveDate {
        let last_month = period.end().with_day(1).unwrap_or(period.start);
        let month = last_month
            .checked_add_months(Months::new(self.months_after))
            .unwrap_or(last_month);
        let mut day = self.day.min(31);
        loop {
            if let Some(date) = month.with_day(day) {
                return date;
            }
            day -= 1;
        }
    }
}

/// Who files a template's report, in the circulars' words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Filer {
    /// The jurisdiction's health bureau (卫健局) or its supervisor.
    Bureau,
    /// The receiving clinics (受援单位), gathered by the jurisdiction.
    ReceivingClinic,
}

impl Filer {
    pub fn as_str(self) -> &'static str {
        match self {
            Filer::Bureau => "bureau",
            Filer::ReceivingClinic => "receiving_clinic",
        }
    }

    pub fn parse(text: &str) -> Option<Filer> {
        [Filer::Bureau, Filer::ReceivingClinic]
            .into_iter()
            .find(|f| f.as_str() == text)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Filer::Bureau => "卫生健康行政部门",
            Filer::ReceivingClinic => "受援单位",
        }
    }
}

/// A circular's reporting duty, from which obligations are created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Template {
    pub key: &'static str,
    pub name: &'static str,
    /// Where the duty is written.
    pub source: &'static str,
    pub report_kind: ReportKind,
    pub period_type: PeriodType,
    pub filer: Filer,
    /// To whom, as the circular says it.
    pub recipient: &'static str,
    pub due: DueRule,
}

/// The circulars' duties (seeds 000-004).
pub const TEMPLATES: &[Template] = &[
    Template {
        key: "zhangping_monthly",
        name: "工作量月报（每月2日前报市卫健局）",
        source: "漳平 附件2：每月2日前报送",
        report_kind: ReportKind::Monthly,
        period_type: PeriodType::Month,
        filer: Filer::Bureau,
        recipient: "上级卫生健康行政部门",
        due: DueRule {
            months_after: 1,
            day: 2,
        },
    },
    Template {
        key: "fengze_monthly",
        name: "工作量月报（受援单位每月1日前报送）",
        source: "丰泽：受援单位于每月1日前报送",
        report_kind: ReportKind::Monthly,
        period_type: PeriodType::Month,
        filer: Filer::ReceivingClinic,
        recipient: "区卫健局",
        due: DueRule {
            months_after: 1,
            day: 1,
        },
    },
    Template {
        key: "annual_summary",
        name: "年度工作总结及统计表（每年12月15日前）",
        source: "丰泽、福建：每年12月15日前报送省卫健委",
        report_kind: ReportKind::CountyStatistics,
        period_type: PeriodType::Year,
        filer: Filer::Bureau,
        recipient: "省卫健委",
        due: DueRule {
            months_after: 0,
            day: 15,
        },
    },
    Template {
        key: "zhongzhan_quarterly",
        name: "对口支援工作考核统计表（每季度）",
        source: "中站：每季度填写",
        report_kind: ReportKind::Compliance,
        period_type: PeriodType::Quarter,
        filer: Filer::Bureau,
        recipient: "上级卫生健康行政部门",
        due: DueRule {
            months_after: 1,
            day: 10,
        },
    },
    Template {
        key: "zhongzhan_half_year",
        name: "半年评估（每半年）",
        source: "中站：每半年进行一次评估",
        report_kind: ReportKind::Compliance,
        period_type: PeriodType::HalfYear,
        filer: Filer::Bureau,
        recipient: "上级卫生健康行政部门",
        due: DueRule {
            months_after: 1,
            day: 15,
        },
    },
];

pub fn template(key: &str) -> Option<&'static Template> {
    TEMPLATES.iter().find(|t| t.key == key)
}

/// Where a period's report stands on a given local day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DueState {
    /// The period has not ended yet.
    NotDue,
    /// The period ended (or, for a report due inside its period, the due date's
    /// month began); the due date is today or later.
    Due,
    /// Nothing filed and the due date passed `days` days ago.
    Late {
        days: i64,
    },
    FiledOnTime,
    /// Filed `days` days after the due date.
    FiledLate {
        days: i64,
    },
}

impl DueState {
    pub fn as_str(self) -> &'static str {
        match self {
            DueState::NotDue => "not_due",
            DueState::Due => "due",
            DueState::Late { .. } => "late",
            DueState::FiledOnTime => "filed_on_time",
            DueState::FiledLate { .. } => "filed_late",
        }
    }

    /// Days past the due date (late or filed late), else 0.
    pub fn days_late(self) -> i64 {
        match self {
            DueState::Late { days } | DueState::FiledLate { days } => days,
            _ => 0,
        }
    }
}

/// The state of `period`'s report due on `due`, on local day `today`, given the local
/// day it was first submitted (if it was).
pub fn due_state(
    period: FilingPeriod,
    due: NaiveDate,
    submitted_on: Option<NaiveDate>,
    today: NaiveDate,
) -> DueState {
    if let Some(filed) = submitted_on {
        let days = (filed - due).num_days();
        return if days > 0 {
            DueState::FiledLate { days }
        } else {
            DueState::FiledOnTime
        };
    }
    if today > due {
        return DueState::Late {
            days: (today - due).num_days(),
        };
    }
    // A report due before its period ends (the annual summary by 15 December) is
    // due from the first day of the due date's month.
    let opens = if due <= period.end() {
        due.with_day(1).unwrap_or(due)
    } else {
        period.end().succ_opt().unwrap_or(due)
    };
    if today >= opens {
        DueState::Due
    } else {
        DueState::NotDue
    }
}

/// A filing's place in its review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FilingStatus {
    Draft,
    Submitted,
    Accepted,
    Returned,
    /// Replaced by an amendment that was submitted.
    Superseded,
}

impl FilingStatus {
    pub const ALL: [FilingStatus; 5] = [
        FilingStatus::Draft,
        FilingStatus::Submitted,
        FilingStatus::Accepted,
        FilingStatus::Returned,
        FilingStatus::Superseded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FilingStatus::Draft => "draft",
            FilingStatus::Submitted => "submitted",
            FilingStatus::Accepted => "accepted",
            FilingStatus::Returned => "returned",
            FilingStatus::Superseded => "superseded",
        }
    }

    pub fn parse(text: &str) -> Option<FilingStatus> {
        FilingStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// The filer may still change the narrative and submit (a returned filing is
    /// corrected and submitted again).
    pub fn editable(self) -> bool {
        matches!(self, FilingStatus::Draft | FilingStatus::Returned)
    }

    /// The level above may accept or return it.
    pub fn reviewable(self) -> bool {
        self == FilingStatus::Submitted
    }

    /// An amendment may replace it.
    pub fn amendable(self) -> bool {
        matches!(self, FilingStatus::Submitted | FilingStatus::Accepted)
    }
}

/// The narrative the forms ask for; each part at most this many characters.
pub const NARRATIVE_MAX_CHARS: usize = 4000;

/// 完成情况, 存在问题, 下一步工作计划和建议.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Narrative {
    pub achievements: String,
    pub problems: String,
    pub next_steps: String,
}

impl Narrative {
    /// Fails naming the first part that is too long.
    pub fn check_lengths(&self) -> Result<(), String> {
        for (field, text) in [
            ("achievements", &self.achievements),
            ("problems", &self.problems),
            ("next_steps", &self.next_steps),
        ] {
            if text.chars().count() > NARRATIVE_MAX_CHARS {
                return Err(format!("{field}: at most {NARRATIVE_MAX_CHARS} characters"));
            }
        }
        Ok(())
    }

    /// Fails naming the first empty part: a submitted report says all three.
    pub fn check_complete(&self) -> Result<(), String> {
        for (field, label, text) in [
            ("achievements", "完成情况", &self.achievements),
            ("problems", "存在问题", &self.problems),
            ("next_steps", "下一步工作计划和建议", &self.next_steps),
        ] {
            if text.trim().is_empty() {
                return Err(format!("{field}: {label} is required to submit"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        text.parse().expect("date")
    }

    fn period(text: &str) -> FilingPeriod {
        FilingPeriod::parse(text).expect("period")
    }

    #[test]
    fn periods_parse_as_the_report_endpoints_name_them() {
        assert_eq!(period("2026-11").end(), date("2026-11-30"));
        assert_eq!(period("2026-Q3").start, date("2026-07-01"));
        assert_eq!(period("2026-Q3").end(), date("2026-09-30"));
        assert_eq!(period("2026-H2").start, date("2026-07-01"));
        assert_eq!(period("2026-H2").end(), date("2026-12-31"));
        assert_eq!(period("2026").end(), date("2026-12-31"));
        for text in ["2026-11", "2026-Q3", "2026-H1", "2026"] {
            assert_eq!(period(text).label(), text);
        }
        for bad in [
            "2026-13", "2026-Q5", "2026-H3", "26", "2026-1", "x", "1999", "2026-00",
        ] {
            assert!(FilingPeriod::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_circulars_due_dates_fall_where_they_say() {
        let zhangping = template("zhangping_monthly").expect("template").due;
        assert_eq!(zhangping.due_date(period("2026-11")), date("2026-12-02"));
        assert_eq!(zhangping.due_date(period("2026-12")), date("2027-01-02"));
        let fengze = template("fengze_monthly").expect("template").due;
        assert_eq!(fengze.due_date(period("2026-11")), date("2026-12-01"));
        let annual = template("annual_summary").expect("template").due;
        assert_eq!(annual.due_date(period("2026")), date("2026-12-15"));
        let quarterly = template("zhongzhan_quarterly").expect("template").due;
        assert_eq!(quarterly.due_date(period("2026-Q3")), date("2026-10-10"));
        let half = template("zhongzhan_half_year").expect("template").due;
        assert_eq!(half.due_date(period("2026-H1")), date("2026-07-15"));
        // Day 31 in a 30-day month is its last day.
        let end = DueRule {
            months_after: 1,
            day: 31,
        };
        assert_eq!(end.due_date(period("2026-10")), date("2026-11-30"));
        assert_eq!(end.due_date(period("2027-01")), date("2027-02-28"));
    }

    #[test]
    fn every_template_files_a_period_its_report_allows() {
        for t in TEMPLATES {
            assert!(t.report_kind.allows(t.period_type), "{}", t.key);
            assert_eq!(t.due.validate(), Ok(t.due));
        }
    }

    #[test]
    fn a_reports_state_moves_with_the_clock() {
        let nov = period("2026-11");
        let due = date("2026-12-02");
        assert_eq!(
            due_state(nov, due, None, date("2026-11-30")),
            DueState::NotDue
        );
        assert_eq!(due_state(nov, due, None, date("2026-12-01")), DueState::Due);
        assert_eq!(due_state(nov, due, None, date("2026-12-02")), DueState::Due);
        assert_eq!(
            due_state(nov, due, None, date("2026-12-05")),
            DueState::Late { days: 3 }
        );
        assert_eq!(
            due_state(nov, due, Some(date("2026-12-02")), date("2026-12-20")),
            DueState::FiledOnTime
        );
        assert_eq!(
            due_state(nov, due, Some(date("2026-12-04")), date("2026-12-20")),
            DueState::FiledLate { days: 2 }
        );
        // The annual summary is due before its year ends: due from 1 December.
        let year = period("2026");
        assert_eq!(
            due_state(year, date("2026-12-15"), None, date("2026-11-30")),
            DueState::NotDue
        );
        assert_eq!(
            due_state(year, date("2026-12-15"), None, date("2026-12-01")),
            DueState::Due
        );
        assert_eq!(
            due_state(year, date("2026-12-15"), None, date("2026-12-16")),
            DueState::Late { days: 1 }
        );
    }

    #[test]
    fn periods_overlapping_a_range_cover_it_in_order() {
        let quarters =
            FilingPeriod::overlapping(PeriodType::Quarter, date("2026-02-10"), date("2026-07-01"));
        let labels: Vec<String> = quarters.iter().map(|p| p.label()).collect();
        assert_eq!(labels, ["2026-Q1", "2026-Q2", "2026-Q3"]);
    }

    #[test]
    fn only_drafts_and_returned_filings_are_edited() {
        assert!(FilingStatus::Draft.editable() && FilingStatus::Returned.editable());
        assert!(!FilingStatus::Submitted.editable() && !FilingStatus::Accepted.editable());
        assert!(FilingStatus::Submitted.reviewable() && !FilingStatus::Draft.reviewable());
        assert!(FilingStatus::Accepted.amendable() && !FilingStatus::Draft.amendable());
    }

    #[test]
    fn a_submitted_narrative_names_its_missing_part() {
        let mut narrative = Narrative {
            achievements: "完成".into(),
            problems: " ".into(),
            next_steps: "继续".into(),
        };
        assert!(
            narrative
                .check_complete()
                .unwrap_err()
                .starts_with("problems")
        );
        narrative.problems = "无".into();
        assert_eq!(narrative.check_complete(), Ok(()));
        narrative.next_steps = "x".repeat(NARRATIVE_MAX_CHARS + 1);
        assert!(
            narrative
                .check_lengths()
                .unwrap_err()
                .starts_with("next_steps")
        );
    }
}
