//! The promotion verdict of the 考核登记表: how a programme's credited days make a
//! year of service, how service elsewhere counts, what continuity means, and how
//! confirmed fraud bars promotion (中站 2021: "晋升…前…累计服务不少于1年",
//! "每名派驻人员连续驻点时间不得少于6个月", "援外、援藏、援疆等工作时间,可计算为对口支援
//! 时间", "弄虚作假者一经查实,取消当年聘任和晋升职称资格,3年内不得晋升高一级职称").
//!
//! **One year of service.** Programmes ask for different amounts of service (漳平 one
//! day a month, 中站 three half-days a week, 福建 five days a week), so a year is
//! counted in each programme's own terms: the credited days its strictest day-based
//! requirement asks for over twelve months (1 day a month: 12 days; 3 half-days a
//! week: 52 × 1.5 = 78 days). A programme with no day-based requirement counts
//! [`WORKING_DAYS_PER_YEAR`]. Each posting's credited days divided by its
//! programme's year give years; service elsewhere counts its calendar days over
//! 365; the sum must reach one year.
//!
//! **Continuous.** A continuous span is the longest run of consecutive calendar
//! months that each hold a credited day at the same site
//! ([`super::reports::longest_span`]): a weekend, a holiday or a week off inside a
//! month does not break it, a calendar month without any credited day does. A
//! programme that states `min_consecutive_months` (6: "连续驻点…不少于6个月") asks for
//! a span at least that long; otherwise no span is asked for.
//!
//! **Fraud.** An anomaly a supervisor confirmed is fraud found (查实), except the
//! kinds that record a shortfall rather than a deception ([`is_fraud_kind`]). It
//! bars promotion for three years from the day it was confirmed.

use chrono::{Datelike, Days, Months, NaiveDate, Weekday};

use super::requirements::{Measure, Period, Requirement};

/// Working days in a mainland year (365 − 104 weekend days − 11 public holidays),
/// the year of a programme that states no day-based requirement.
pub const WORKING_DAYS_PER_YEAR: f64 = 250.0;
/// Calendar days of a year of service elsewhere.
pub const CALENDAR_DAYS_PER_YEAR: f64 = 365.0;
/// Years of service asked for before promotion (中站 "累计服务不少于1年").
pub const REQUIRED_YEARS: f64 = 1.0;
/// Years a confirmed fraud bars promotion (中站 "3年内不得晋升高一级职称").
pub const FRAUD_BAR_YEARS: u32 = 3;
/// The consequence as the circular words it.
pub const FRAUD_CONSEQUENCE_ZH: &str = "取消当年聘任和晋升职称资格，3年内不得晋升高一级职称";

/// How many periods of `period` a year holds; `None` for the whole assignment.
fn periods_per_year(period: Period) -> Option<f64> {
    match period {
        Period::Week => Some(52.0),
        Period::Fortnight => Some(26.0),
        Period::Month => Some(12.0),
        Period::Quarter => Some(4.0),
        Period::Year => Some(1.0),
        Period::Assignment => None,
    }
}

/// Credited days one period of `req` asks for, when it asks for days at all: days
/// (working days, days served) as they are, half-days and visits (each at least
/// half a day) as halves. Activity counts and spans ask for no days.
fn days_asked(req: &Requirement) -> Option<f64> {
    if req.min_consecutive_months.is_some() {
        return None;
    }
    let minimum = f64::from(req.minimum);
    match req.measure {
        Measure::Days | Measure::WorkingDays | Measure::DaysServed => Some(minimum),
        Measure::HalfDays | Measure::Visits => Some(minimum / 2.0),
        Measure::ActivityCount => None,
    }
}

/// The credited days that make a year of service under a programme with
/// `requirements`, and the basis in words.
pub fn days_per_year(requirements: &[Requirement]) -> (f64, String) {
    let strictest = requirements
        .iter()
        .filter_map(|r| {
            let per_year = days_asked(r)? * periods_per_year(r.period)?;
            (per_year > 0.0).then_some((per_year, r))
        })
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match strictest {
        Some((days, req)) => (
            days,
            format!(
                "按方案要求“{}”折算，全年{}天",
                req.describe_zh(),
                trim_number(days)
            ),
        ),
        None => (
            WORKING_DAYS_PER_YEAR,
            format!(
                "方案未规定服务天数，按全年{}个工作日折算",
                trim_number(WORKING_DAYS_PER_YEAR)
            ),
        ),
    }
}

/// The longest consecutive span a programme asks for, in months.
pub fn consecutive_months_asked(requirements: &[Requirement]) -> Option<u32> {
    requirements
        .iter()
        .filter_map(|r| r.min_consecutive_months)
        .max()
}

/// `12`, `1.5`: a figure as the form prints it.
pub fn trim_number(value: f64) -> String {
    let rounded = (value * 100.0).round() / 100.0;
    let text = format!("{rounded:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// Calendar days from `start` to `end`, both included (0 when `end` is before).
pub fn calendar_days(start: NaiveDate, end: NaiveDate) -> u32 {
    u32::try_from((end - start).num_days() + 1).unwrap_or(0)
}

/// Whether a confirmed anomaly of `kind` is fraud found. A missed requirement and
/// a report filed late or not at all are shortfalls, and a forgotten check-out is
/// credit lost, not a deception.
pub fn is_fraud_kind(kind: &str) -> bool {
    !matches!(
        kind,
        "requirement_missed" | "filing_missing" | "filing_late" | "missing_checkout"
    )
}

/// The last day a fraud confirmed on `confirmed_on` bars promotion: three years
/// on, less a day (confirmed 2026-03-10: barred to 2029-03-09).
pub fn barred_until(confirmed_on: NaiveDate) -> NaiveDate {
    confirmed_on
        .checked_add_months(Months::new(12 * FRAUD_BAR_YEARS))
        .and_then(|d| d.pred_opt())
        .unwrap_or(NaiveDate::MAX)
}

/// Working days a public notice runs (公示期不少于5个工作日).
pub const NOTICE_WORKING_DAYS: u32 = 5;

/// The last day of a notice of [`NOTICE_WORKING_DAYS`] working days (Monday to
/// Friday) starting on `from` (a weekend start runs from the Monday).
pub fn notice_end(from: NaiveDate) -> NaiveDate {
    let mut day = from;
    let mut counted = 0;
    loop {
        if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            counted += 1;
            if counted == NOTICE_WORKING_DAYS {
                return day;
            }
        }
        day = match day.checked_add_days(Days::new(1)) {
            Some(next) => next,
            None => return day,
        };
    }
}

/// What the verdict is judged on.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceFacts {
    /// Per programme: credited days and the days of its year.
    pub programmes: Vec<(f64, f64)>,
    /// Calendar days of service elsewhere.
    pub external_days: u32,
    /// The longest consecutive span, in months.
    pub consecutive_months: u32,
    /// The longest span any programme of the postings asks for.
    pub consecutive_months_asked: Option<u32>,
    /// The days confirmed frauds were confirmed on.
    pub frauds_confirmed_on: Vec<NaiveDate>,
}

/// The verdict on `today`.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub status: Status,
    pub service_years: f64,
    pub barred_until: Option<NaiveDate>,
    pub reasons_zh: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Met,
    NotMet,
    Barred,
}

/// Judges `facts` on `today`: barred while a confirmed fraud's bar runs (whatever
/// the service), else met when the years reach [`REQUIRED_YEARS`] and the span the
/// programmes ask for, else not met.
pub fn judge(facts: &ServiceFacts, today: NaiveDate) -> Verdict {
    let programme_years: f64 = facts
        .programmes
        .iter()
        .filter(|(_, per_year)| *per_year > 0.0)
        .map(|(credited, per_year)| credited / per_year)
        .sum();
    let external_years = f64::from(facts.external_days) / CALENDAR_DAYS_PER_YEAR;
    // Rounded to the hundredth the form prints, so the verdict agrees with it.
    let service_years = ((programme_years + external_years) * 100.0).floor() / 100.0;
    let mut reasons = Vec::new();
    let enough = service_years >= REQUIRED_YEARS;
    reasons.push(format!(
        "累计服务折合{}年（其中院外支援{}天），{}“累计服务不少于1年”",
        trim_number(service_years),
        facts.external_days,
        if enough { "达到" } else { "未达到" }
    ));
    let span_ok = match facts.consecutive_months_asked {
        Some(asked) => {
            let ok = facts.consecutive_months >= asked;
            reasons.push(format!(
                "最长连续服务{}个月，{}方案“连续服务不少于{}个月”",
                facts.consecutive_months,
                if ok { "达到" } else { "未达到" },
                asked
            ));
            ok
        }
        None => true,
    };
    let barred_until = facts
        .frauds_confirmed_on
        .iter()
        .map(|d| barred_until(*d))
        .max()
        .filter(|until| *until >= today);
    let status = if let Some(until) = barred_until {
        reasons.push(format!(
            "经查实弄虚作假，{FRAUD_CONSEQUENCE_ZH}（至{until}）"
        ));
        Status::Barred
    } else if enough && span_ok {
        Status::Met
    } else {
        Status::NotMet
    };
    Verdict {
        status,
        service_years,
        barred_until,
        reasons_zh: reasons,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::domain::reports::longest_span;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn req(period: Period, measure: Measure, minimum: u32) -> Requirement {
        Requirement {
            period,
            measure,
            minimum,
            activity: None,
            min_consecutive_months: None,
        }
    }

    fn facts(programmes: Vec<(f64, f64)>) -> ServiceFacts {
        ServiceFacts {
            programmes,
            external_days: 0,
            consecutive_months: 0,
            consecutive_months_asked: None,
            frauds_confirmed_on: Vec::new(),
        }
    }

    #[test]
    fn a_year_is_the_strictest_day_requirement_over_twelve_months() {
        // 漳平: one day a month.
        let (days, basis) = days_per_year(&[req(Period::Month, Measure::Days, 1)]);
        assert_eq!(days, 12.0);
        assert!(basis.contains("全年12天"), "{basis}");
        // 中站 circuit: three half-days a week, and a monthly training count.
        let mut training = req(Period::Month, Measure::ActivityCount, 1);
        training.activity = Some(crate::domain::requirements::ActivityKind::Training);
        let (days, _) = days_per_year(&[req(Period::Week, Measure::HalfDays, 3), training]);
        assert_eq!(days, 78.0);
        // 福建 dispatch: five days a week beats a monthly minimum.
        let (days, _) = days_per_year(&[
            req(Period::Month, Measure::Days, 4),
            req(Period::Week, Measure::DaysServed, 5),
        ]);
        assert_eq!(days, 260.0);
        // Nothing day-based (a span only): the working year.
        let mut span = req(Period::Assignment, Measure::Days, 0);
        span.min_consecutive_months = Some(6);
        let (days, basis) = days_per_year(&[span]);
        assert_eq!(days, WORKING_DAYS_PER_YEAR);
        assert!(basis.contains("250个工作日"), "{basis}");
        assert_eq!(consecutive_months_asked(&[span]), Some(6));
        assert_eq!(
            consecutive_months_asked(&[req(Period::Month, Measure::Days, 1)]),
            None
        );
    }

    #[test]
    fn enough_days_meet_the_year_and_fewer_do_not() {
        let today = d(2026, 12, 1);
        let met = judge(&facts(vec![(12.0, 12.0)]), today);
        assert_eq!((met.status, met.service_years), (Status::Met, 1.0));
        let short = judge(&facts(vec![(11.5, 12.0)]), today);
        assert_eq!(short.status, Status::NotMet);
        assert!(
            short.reasons_zh[0].contains("未达到"),
            "{:?}",
            short.reasons_zh
        );
        // Two programmes add up in their own terms: half a year each.
        let mixed = judge(&facts(vec![(6.0, 12.0), (39.0, 78.0)]), today);
        assert_eq!(mixed.status, Status::Met);
    }

    #[test]
    fn service_elsewhere_counts_its_calendar_days() {
        let today = d(2026, 12, 1);
        let mut f = facts(vec![(6.0, 12.0)]);
        f.external_days = calendar_days(d(2024, 1, 1), d(2024, 6, 30));
        assert_eq!(f.external_days, 182);
        assert_eq!(judge(&f, today).status, Status::NotMet);
        f.external_days = calendar_days(d(2024, 1, 1), d(2024, 7, 2));
        assert_eq!(judge(&f, today).status, Status::Met);
        assert_eq!(calendar_days(d(2024, 2, 1), d(2024, 1, 1)), 0);
    }

    #[test]
    fn a_programme_asking_six_months_needs_a_six_month_run() {
        let today = d(2026, 12, 1);
        // Credited days in Jan..May and July..December at one site: a gap in June.
        let days: BTreeSet<NaiveDate> = (1..=12)
            .filter(|m| *m != 6)
            .flat_map(|m| [d(2026, m, 3), d(2026, m, 20)])
            .collect();
        let span = longest_span(&days).expect("a span");
        let mut f = facts(vec![(22.0, 12.0)]);
        f.consecutive_months = span.months;
        f.consecutive_months_asked = Some(6);
        assert_eq!(span.months, 6);
        assert_eq!(judge(&f, today).status, Status::Met);
        // With a second gap in September the longest run is five months.
        let broken: BTreeSet<NaiveDate> = days.into_iter().filter(|x| x.month() != 9).collect();
        f.consecutive_months = longest_span(&broken).expect("a span").months;
        assert_eq!(f.consecutive_months, 5);
        let verdict = judge(&f, today);
        assert_eq!(verdict.status, Status::NotMet);
        assert!(verdict.reasons_zh[1].contains("连续服务不少于6个月"));
    }

    #[test]
    fn confirmed_fraud_bars_for_three_years_then_lifts() {
        let confirmed = d(2026, 3, 10);
        assert_eq!(barred_until(confirmed), d(2029, 3, 9));
        assert_eq!(barred_until(d(2028, 2, 29)), d(2031, 2, 27));
        let mut f = facts(vec![(30.0, 12.0)]);
        f.frauds_confirmed_on = vec![d(2025, 1, 5), confirmed];
        let barred = judge(&f, d(2026, 12, 1));
        assert_eq!(barred.status, Status::Barred);
        assert_eq!(barred.barred_until, Some(d(2029, 3, 9)));
        assert!(
            barred
                .reasons_zh
                .iter()
                .any(|r| r.contains("3年内不得晋升"))
        );
        assert_eq!(judge(&f, d(2029, 3, 9)).status, Status::Barred);
        let lifted = judge(&f, d(2029, 3, 10));
        assert_eq!((lifted.status, lifted.barred_until), (Status::Met, None));
    }

    #[test]
    fn shortfalls_are_not_fraud() {
        assert!(is_fraud_kind("mock_location"));
        assert!(is_fraud_kind("code_shared"));
        assert!(!is_fraud_kind("requirement_missed"));
        assert!(!is_fraud_kind("missing_checkout"));
    }

    #[test]
    fn a_notice_runs_five_working_days() {
        // Monday 2026-03-02 to Friday 03-06; Thursday 03-05 over the weekend to 03-11.
        assert_eq!(notice_end(d(2026, 3, 2)), d(2026, 3, 6));
        assert_eq!(notice_end(d(2026, 3, 5)), d(2026, 3, 11));
        // A Saturday start runs Monday to Friday.
        assert_eq!(notice_end(d(2026, 3, 7)), d(2026, 3, 13));
    }

    #[test]
    fn figures_print_without_trailing_zeros() {
        assert_eq!(trim_number(12.0), "12");
        assert_eq!(trim_number(1.5), "1.5");
        assert_eq!(trim_number(0.333), "0.33");
    }
}
