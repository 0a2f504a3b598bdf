//! Pure aggregation behind the reports: activity totals, a requirement judged over
//! several periods, the longest consecutive span of service, and the figures of
//! the provincial county statistics table (seed 003 附件).

use std::collections::{BTreeMap, BTreeSet, HashSet};

use chrono::{Datelike, Days, NaiveDate};
use uuid::Uuid;

use super::assignment::Mode;
use super::crediting::DayCreditSummary;
use super::organization::OrganizationKind;
use super::requirements::{
    ActivityKind, Period, Progress, Requirement, RequirementProgress, Tally, evaluate_part,
    period_containing,
};

/// Totals per activity kind, e.g. the newest count of each (visit, kind) summed
/// over a month's visits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ActivityTotals([u64; ActivityKind::ALL.len()]);

impl ActivityTotals {
    fn slot(kind: ActivityKind) -> usize {
        // A unit-only enum declared in `ALL` order: the discriminant is the index.
        kind as usize
    }

    pub fn add(&mut self, kind: ActivityKind, count: u64) {
        self.0[Self::slot(kind)] += count;
    }

    pub fn get(&self, kind: ActivityKind) -> u64 {
        self.0[Self::slot(kind)]
    }

    pub fn merge(&mut self, other: &ActivityTotals) {
        for kind in ActivityKind::ALL {
            self.add(kind, other.get(kind));
        }
    }

    /// 诊疗量 / 诊疗服务量 (人次): patients seen, i.e. outpatients, inpatients and
    /// remote consultations. Ward rounds, teaching and the like are work done for
    /// the clinic's staff, not patient encounters, and are counted in their own columns.
    pub fn patient_encounters(&self) -> u64 {
        self.get(ActivityKind::Outpatient)
            + self.get(ActivityKind::Inpatient)
            + self.get(ActivityKind::Teleconsultation)
    }
}

/// The unit an activity's count is in, as the report headers show it.
pub fn activity_unit_zh(kind: ActivityKind) -> &'static str {
    kind.unit_zh()
}

/// How bad a status is: met < on_track < at_risk < missed.
pub fn severity(status: Progress) -> u8 {
    match status {
        Progress::Met => 0,
        Progress::OnTrack => 1,
        Progress::AtRisk => 2,
        Progress::Missed => 3,
    }
}

/// The worst of several statuses (`met` when there are none).
pub fn worst(statuses: impl IntoIterator<Item = Progress>) -> Progress {
    statuses
        .into_iter()
        .max_by_key(|s| severity(*s))
        .unwrap_or(Progress::Met)
}

/// The Chinese word for a status on the printed forms.
pub fn status_zh(status: Progress) -> &'static str {
    match status {
        Progress::Met => "已达标",
        Progress::OnTrack => "进度正常",
        Progress::AtRisk => "有风险",
        Progress::Missed => "未达标",
    }
}

/// What a report is about: a month (`2026-11`), a quarter (`2026-Q3`, 中站
/// "每季度填写《对口支援工作考核统计表》") or a half year (`2026-H2`, 中站
/// "每半年组织1次工作评估").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportPeriod {
    pub kind: ReportPeriodKind,
    pub first: NaiveDate,
    pub last: NaiveDate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportPeriodKind {
    Month,
    Quarter,
    HalfYear,
}

impl ReportPeriod {
    /// `YYYY-MM`, `YYYY-Qn` (n = 1..4) or `YYYY-Hn` (n = 1, 2); `q`/`h` in either case.
    pub fn parse(text: &str) -> Option<ReportPeriod> {
        let text = text.trim();
        let (year, rest) = text.split_once('-')?;
        if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let year: i32 = year.parse().ok()?;
        let (kind, first_month, months) = match rest.as_bytes() {
            [a, b] if a.is_ascii_digit() && b.is_ascii_digit() => {
                let month: u32 = rest.parse().ok()?;
                (ReportPeriodKind::Month, month, 1)
            }
            [q, n] if q.eq_ignore_ascii_case(&b'q') && (b'1'..=b'4').contains(n) => {
                (ReportPeriodKind::Quarter, u32::from(n - b'1') * 3 + 1, 3)
            }
            [h, n] if h.eq_ignore_ascii_case(&b'h') && (b'1'..=b'2').contains(n) => {
                (ReportPeriodKind::HalfYear, u32::from(n - b'1') * 6 + 1, 6)
            }
            _ => return None,
        };
        let first = NaiveDate::from_ymd_opt(year, first_month, 1)?;
        let last = first
            .checked_add_months(chrono::Months::new(months))?
            .pred_opt()?;
        Some(ReportPeriod { kind, first, last })
    }

    pub fn range(&self) -> (NaiveDate, NaiveDate) {
        (self.first, self.last)
    }

    /// The canonical spelling: `2026-11`, `2026-Q3`, `2026-H2`.
    pub fn label(&self) -> String {
        let year = self.first.year();
        match self.kind {
            ReportPeriodKind::Month => format!("{year:04}-{:02}", self.first.month()),
            ReportPeriodKind::Quarter => format!("{year:04}-Q{}", self.first.month0() / 3 + 1),
            ReportPeriodKind::HalfYear => format!("{year:04}-H{}", self.first.month0() / 6 + 1),
        }
    }

    /// As the forms print it (所属期): `2026年11月`, `2026年第三季度`, `2026年下半年`.
    pub fn label_zh(&self) -> String {
        let year = self.first.year();
        match self.kind {
            ReportPeriodKind::Month => format!("{year}年{}月", self.first.month()),
            ReportPeriodKind::Quarter => {
                let n = ["一", "二", "三", "四"][(self.first.month0() / 3) as usize % 4];
                format!("{year}年第{n}季度")
            }
            ReportPeriodKind::HalfYear => {
                let half = if self.first.month() <= 6 {
                    "上"
                } else {
                    "下"
                };
                format!("{year}年{half}半年")
            }
        }
    }
}

/// Whether a requirement period is judged period by period inside a report's
/// range: a week or a fortnight always (cut at the range's edges, the part judged
/// pro rata to its days like a week's), a month or quarter when it is
/// no longer than the range (every month of a quarter, both quarters of a half
/// year).
fn tiles(period: Period, range: (NaiveDate, NaiveDate)) -> bool {
    match period {
        Period::Week | Period::Fortnight => true,
        Period::Month | Period::Quarter | Period::Year => {
            period_containing(period, range.0, (NaiveDate::MIN, NaiveDate::MAX)).1 <= range.1
        }
        Period::Assignment => false,
    }
}

/// The periods a compliance report over `range` (a month, a quarter or a half
/// year) judges a requirement over.
///
/// A weekly requirement is judged in every ISO week that overlaps the range,
/// each clipped to the assignment and to the range: a report is judged on its
/// own days only, so it is final once its period is over and can be filed by
/// the circulars' due dates (附件2 "每月2日前", 丰泽 "每月1日前") without
/// waiting for the next month's days. A week crossing the range's end is split
/// there, each part judged in its own report against the weekly minimum pro
/// rata to its days (see [`judge`] and
/// [`evaluate_part`](super::requirements::evaluate_part)). A monthly
/// requirement in a quarter's or half year's report is judged in each of its
/// months, a quarterly one in each quarter of a half year, the same way.
/// Longer periods (a quarter in a month's report, the year, the assignment) are
/// judged once, in the period containing `reference` (today in the site's
/// zone, clamped into the range). Empty when the assignment does not overlap
/// the range.
pub fn report_periods(
    period: Period,
    range: (NaiveDate, NaiveDate),
    assignment: (NaiveDate, NaiveDate),
    reference: NaiveDate,
) -> Vec<(NaiveDate, NaiveDate)> {
    let first = range.0.max(assignment.0);
    let last = range.1.min(assignment.1);
    if first > last {
        return Vec::new();
    }
    if !tiles(period, range) {
        return vec![period_containing(period, reference, assignment)];
    }
    let mut out = Vec::new();
    let mut cursor = first;
    loop {
        let (start, end) = period_containing(period, cursor, assignment);
        let part = (start.max(first), end.min(last));
        out.push(part);
        match part.1.checked_add_days(Days::new(1)) {
            Some(next) if part.1 < last => cursor = next,
            _ => break,
        }
    }
    out
}

/// One period's outcome within a [`Judgement`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PeriodOutcome {
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub progress: RequirementProgress,
}

/// A requirement judged over several periods: required and credited summed,
/// the status the worst of the periods'.
#[derive(Debug, Clone, PartialEq)]
pub struct Judgement {
    pub required: f64,
    pub credited: f64,
    pub status: Progress,
    pub periods: Vec<PeriodOutcome>,
}

/// Judges `req` in each of `periods` (from [`report_periods`]) on the days of
/// each period only.
///
/// A period that is a whole requirement period (clipped to `assignment`) is
/// judged with [`evaluate`](super::requirements::evaluate); a part of one cut by the report's month with
/// [`evaluate_part`], pro rata to its days. `days` is
/// [`credit_by_day`](super::crediting::credit_by_day) over the assignment's
/// visits; `activity_days` the same over only the visits on which the
/// requirement's activity was logged (used when the requirement names one).
pub fn judge(
    req: &Requirement,
    periods: &[(NaiveDate, NaiveDate)],
    assignment: (NaiveDate, NaiveDate),
    days: &BTreeMap<NaiveDate, DayCreditSummary>,
    activity_days: &BTreeMap<NaiveDate, DayCreditSummary>,
    today: NaiveDate,
) -> Judgement {
    let no_counts = BTreeMap::new();
    let activity = ActivityLog {
        days: activity_days,
        counts: &no_counts,
    };
    judge_counting(
        req,
        Adjust::default(),
        periods,
        assignment,
        days,
        activity,
        today,
    )
}

/// What was logged of a requirement's activity over an assignment.
#[derive(Debug, Clone, Copy)]
pub struct ActivityLog<'a> {
    /// [`credit_by_day`](super::crediting::credit_by_day) over only the visits on
    /// which the activity was logged.
    pub days: &'a BTreeMap<NaiveDate, DayCreditSummary>,
    /// The count logged per local date on creditable visits (a workload target's
    /// 人次).
    pub counts: &'a BTreeMap<NaiveDate, u64>,
}

/// [`judge`] for a requirement of `program`: a consecutive span counts only the
/// months in which the programme's monthly requirements are met
/// ([`months_that_count`](super::requirements::months_that_count)); a workload
/// target counts `activity.counts`.
pub fn judge_in_programme(
    req: &Requirement,
    programme: ProgrammeRules<'_>,
    periods: &[(NaiveDate, NaiveDate)],
    assignment: (NaiveDate, NaiveDate),
    days: &BTreeMap<NaiveDate, DayCreditSummary>,
    activity: ActivityLog<'_>,
    today: NaiveDate,
) -> Judgement {
    let counting = req
        .is_consecutive_span()
        .then(|| super::requirements::months_that_count(programme.requirements, days, assignment));
    let adjust = Adjust {
        counting: counting.as_ref(),
        calendar: Some(programme.calendar),
    };
    judge_counting(req, adjust, periods, assignment, days, activity, today)
}

/// What a programme adds to one requirement's judgement.
#[derive(Debug, Clone, Copy)]
pub struct ProgrammeRules<'a> {
    /// All the programme's requirements (a month continues a span when they are met).
    pub requirements: &'a [Requirement],
    /// The holiday schedules working days are judged on.
    pub calendar: &'a super::workdays::HolidayCalendar,
}

/// The months a span counts, and the calendar of working days, when known.
#[derive(Debug, Clone, Copy, Default)]
struct Adjust<'a> {
    counting: Option<&'a BTreeSet<(i32, u32)>>,
    calendar: Option<&'a super::workdays::HolidayCalendar>,
}

fn judge_counting(
    req: &Requirement,
    adjust: Adjust<'_>,
    periods: &[(NaiveDate, NaiveDate)],
    assignment: (NaiveDate, NaiveDate),
    days: &BTreeMap<NaiveDate, DayCreditSummary>,
    activity: ActivityLog<'_>,
    today: NaiveDate,
) -> Judgement {
    let outcomes: Vec<PeriodOutcome> = periods
        .iter()
        .map(|&period| {
            let mut tally = Tally::from_days(days, period);
            if let Some(months) = adjust.counting {
                tally = tally.counting_only(months);
            }
            if let Some(calendar) = adjust.calendar {
                tally = tally.on_calendar(days, period, calendar);
            }
            if req.activity.is_some() {
                tally = tally
                    .with_activity(activity.days, period)
                    .with_activity_count(activity.counts, period);
            }
            let whole = period_containing(req.period, period.0, assignment);
            PeriodOutcome {
                start: period.0,
                end: period.1,
                progress: evaluate_part(req, whole, period, &tally, today),
            }
        })
        .collect();
    Judgement {
        required: outcomes.iter().map(|o| o.progress.required).sum(),
        credited: outcomes.iter().map(|o| o.progress.credited).sum(),
        status: worst(outcomes.iter().map(|o| o.progress.status)),
        periods: outcomes,
    }
}

/// The longest run of consecutive calendar months with credit at one site.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceSpan {
    pub months: u32,
    /// The first credited day of the run's first month.
    pub first_day: NaiveDate,
    /// The last credited day of the run's last month.
    pub last_day: NaiveDate,
}

impl ServiceSpan {
    /// Calendar days from the first to the last day, both included.
    pub fn calendar_days(&self) -> i64 {
        (self.last_day - self.first_day).num_days() + 1
    }
}

fn month_index(date: NaiveDate) -> i64 {
    i64::from(date.year()) * 12 + i64::from(date.month0())
}

/// The longest run of consecutive months that each hold a credited day (连续
/// 服务, e.g. "同一个行政村至少连续服务半年"). Ties go to the run covering more
/// calendar days, then to the earlier one. `None` without any credited day.
pub fn longest_span(credited_days: &BTreeSet<NaiveDate>) -> Option<ServiceSpan> {
    let better = |candidate: &ServiceSpan, best: &Option<ServiceSpan>| match best {
        None => true,
        Some(best) => {
            (candidate.months, candidate.calendar_days()) > (best.months, best.calendar_days())
        }
    };
    let mut best: Option<ServiceSpan> = None;
    let mut current: Option<(ServiceSpan, i64)> = None;
    for &date in credited_days {
        let index = month_index(date);
        current = match current {
            Some((mut span, last_index)) if index == last_index || index == last_index + 1 => {
                if index != last_index {
                    span.months += 1;
                }
                span.last_day = date;
                Some((span, index))
            }
            finished => {
                if let Some((span, _)) = finished
                    && better(&span, &best)
                {
                    best = Some(span);
                }
                let span = ServiceSpan {
                    months: 1,
                    first_day: date,
                    last_day: date,
                };
                Some((span, index))
            }
        };
    }
    if let Some((span, _)) = current
        && better(&span, &best)
    {
        best = Some(span);
    }
    best
}

/// Whether a physician counts as public-health staff (公共卫生人员) for the
/// county table: sent by a CDC (疾控中心, as seed 003 says public-health
/// physicians are), or with a public-health specialty.
pub fn is_public_health(organization: Option<OrganizationKind>, specialty: Option<&str>) -> bool {
    const SPECIALTIES: [&str; 4] = ["公共卫生", "公卫", "疾控", "预防医学"];
    organization == Some(OrganizationKind::Cdc)
        || specialty.is_some_and(|s| SPECIALTIES.iter().any(|word| s.contains(word)))
}

/// One physician's service on one assignment within the year, as the county
/// table needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceFact {
    pub physician_id: Uuid,
    pub site_id: Uuid,
    pub site_kind: OrganizationKind,
    pub mode: Mode,
    /// The physician belongs to a `hospital` (县级及以上医院).
    pub from_hospital: bool,
    /// See [`is_public_health`].
    pub public_health: bool,
    /// At least one day in the year was credited (half a day or more).
    pub credited: bool,
    /// Activities logged on the assignment's creditable visits in the year.
    pub activities: ActivityTotals,
}

/// The derivable columns of one county's row of the provincial table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CountyFigures {
    pub village_circuit_sites: u32,
    pub village_dispatch_sites: u32,
    pub village_staff: u32,
    pub village_encounters: u64,
    pub township_dispatch_sites: u32,
    pub township_dispatch_staff: u32,
    pub township_public_health_staff: u32,
    pub county_circuit_staff: u32,
    pub county_circuit_encounters: u64,
    pub case_discussions: u64,
    pub teaching_rounds: u64,
    pub lectures: u64,
    pub training_attendances: u64,
}

fn count<T>(set: &HashSet<T>) -> u32 {
    u32::try_from(set.len()).unwrap_or(u32::MAX)
}

/// Derives one county's figures from its service facts. Sites and people count
/// when credited; activities count on creditable visits.
///
/// - 村级 (group 1): services at village clinics (村卫生室); `circuit` makes a
///   巡诊村, `dispatch` a 派驻村; staff are the distinct physicians credited
///   there in either mode; 诊疗服务量 is their patient encounters.
/// - 乡级派驻 (group 2): `dispatch` services at township and community health
///   centres (乡镇卫生院, 社区卫生服务中心): distinct sites, distinct
///   physicians, and of them the public-health staff.
/// - 县域巡回医疗 (group 3): `circuit` services by hospital physicians at the
///   county's township and community health centres and other non-village
///   sites (三级医院对口帮扶, 晋升前下乡, 千名医师下基层 are all sent by
///   hospitals): distinct physicians and patient encounters. A hospital
///   physician's circuit at a village clinic is 村级巡诊 (seed 003: "鼓励市、县两级
///   医务人员参与乡村两级巡诊或派驻服务") and counts in group 1 only, so no
///   service is counted in two groups.
/// - The training columns at the end of group 3 count how the receiving units'
///   staff were trained (seed 003: "通过专题讲座、教学查房、病例讨论等形式对受援单位
///   医务人员进行培训"), on every posting of the county whatever its mode, so a
///   dispatched physician's rounds count as a circuit physician's do: case
///   discussions (病例讨论), teaching ward rounds (教学查房 =
///   `teaching_round`; an ordinary 查房 `ward_round` is not one),
///   lectures (学术讲座 = `lecture`) and training attendances (业务培训人次 =
///   `training`, whose count is the number of trainees).
pub fn county_figures<'a>(facts: impl IntoIterator<Item = &'a ServiceFact>) -> CountyFigures {
    let mut village_circuit = HashSet::new();
    let mut village_dispatch = HashSet::new();
    let mut village_staff = HashSet::new();
    let mut township_sites = HashSet::new();
    let mut township_staff = HashSet::new();
    let mut township_public_health = HashSet::new();
    let mut circuit_staff = HashSet::new();
    let mut figures = CountyFigures::default();
    for fact in facts {
        let village = fact.site_kind == OrganizationKind::VillageClinic;
        let township = matches!(
            fact.site_kind,
            OrganizationKind::TownshipHealthCenter | OrganizationKind::CommunityHealthCenter
        );
        if village {
            figures.village_encounters += fact.activities.patient_encounters();
            if fact.credited {
                village_staff.insert(fact.physician_id);
                match fact.mode {
                    Mode::Circuit => village_circuit.insert(fact.site_id),
                    Mode::Dispatch => village_dispatch.insert(fact.site_id),
                };
            }
        }
        if township && fact.mode == Mode::Dispatch && fact.credited {
            township_sites.insert(fact.site_id);
            township_staff.insert(fact.physician_id);
            if fact.public_health {
                township_public_health.insert(fact.physician_id);
            }
        }
        let a = &fact.activities;
        figures.case_discussions += a.get(ActivityKind::CaseDiscussion);
        figures.teaching_rounds += a.get(ActivityKind::TeachingRound);
        figures.lectures += a.get(ActivityKind::Lecture);
        figures.training_attendances += a.get(ActivityKind::Training);
        if !village && fact.mode == Mode::Circuit && fact.from_hospital {
            figures.county_circuit_encounters += a.patient_encounters();
            if fact.credited {
                circuit_staff.insert(fact.physician_id);
            }
        }
    }
    figures.village_circuit_sites = count(&village_circuit);
    figures.village_dispatch_sites = count(&village_dispatch);
    figures.village_staff = count(&village_staff);
    figures.township_dispatch_sites = count(&township_sites);
    figures.township_dispatch_staff = count(&township_staff);
    figures.township_public_health_staff = count(&township_public_health);
    figures.county_circuit_staff = count(&circuit_staff);
    figures
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::crediting::DayCredit;
    use crate::domain::requirements::RequirementSpec;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn credited(days: &[(NaiveDate, DayCredit)]) -> BTreeMap<NaiveDate, DayCreditSummary> {
        days.iter()
            .map(|&(date, credit)| {
                let summary = DayCreditSummary {
                    credited_minutes: i64::from(credit.half_days()) * 180,
                    credit,
                    qualifying_visits: u32::from(credit != DayCredit::None),
                    ..DayCreditSummary::default()
                };
                (date, summary)
            })
            .collect()
    }

    fn requirement(spec: RequirementSpec) -> Requirement {
        Requirement::from_spec(spec).unwrap()
    }

    #[test]
    fn activity_totals_add_merge_and_count_patient_encounters() {
        let mut a = ActivityTotals::default();
        a.add(ActivityKind::Outpatient, 12);
        a.add(ActivityKind::Outpatient, 3);
        a.add(ActivityKind::WardRound, 2);
        let mut b = ActivityTotals::default();
        b.add(ActivityKind::Inpatient, 4);
        b.add(ActivityKind::Teleconsultation, 1);
        b.add(ActivityKind::HealthEducation, 30);
        a.merge(&b);
        assert_eq!(a.get(ActivityKind::Outpatient), 15);
        assert_eq!(a.get(ActivityKind::HealthEducation), 30);
        assert_eq!(a.patient_encounters(), 15 + 4 + 1);
        for kind in ActivityKind::ALL {
            assert!(!activity_unit_zh(kind).is_empty());
        }
    }

    #[test]
    fn the_worst_status_wins() {
        use Progress::*;
        assert_eq!(worst([Met, OnTrack, Met]), OnTrack);
        assert_eq!(worst([Met, Missed, AtRisk]), Missed);
        assert_eq!(worst([AtRisk, OnTrack]), AtRisk);
        assert_eq!(worst([]), Met);
    }

    #[test]
    fn weekly_requirements_are_judged_in_every_week_overlapping_the_month() {
        // March 2026: Sunday the 1st to Tuesday the 31st.
        let month = (d(2026, 3, 1), d(2026, 3, 31));
        let year = (d(2026, 1, 1), d(2026, 12, 31));
        let weeks = report_periods(Period::Week, month, year, d(2026, 3, 15));
        assert_eq!(weeks.len(), 6);
        // Clipped to the month: its report is judged on its own days.
        assert_eq!(weeks[0], (d(2026, 3, 1), d(2026, 3, 1)));
        assert_eq!(weeks[1], (d(2026, 3, 2), d(2026, 3, 8)));
        assert_eq!(weeks[5], (d(2026, 3, 30), d(2026, 3, 31)));
        // And to the assignment.
        let assignment = (d(2026, 3, 4), d(2026, 3, 31));
        let weeks = report_periods(Period::Week, month, assignment, d(2026, 3, 15));
        assert_eq!(weeks.first(), Some(&(d(2026, 3, 4), d(2026, 3, 8))));
        assert_eq!(weeks.last(), Some(&(d(2026, 3, 30), d(2026, 3, 31))));
        assert!(
            report_periods(
                Period::Week,
                month,
                (d(2026, 4, 1), d(2026, 5, 1)),
                d(2026, 3, 1)
            )
            .is_empty()
        );
    }

    #[test]
    fn fortnightly_requirements_are_judged_in_every_fortnight_overlapping_the_month() {
        // 中站 "每两周现场指导至少1天": March 2026's fortnights start on Mondays 2 and 16.
        let month = (d(2026, 3, 1), d(2026, 3, 31));
        let year = (d(2026, 1, 1), d(2026, 12, 31));
        assert_eq!(
            report_periods(Period::Fortnight, month, year, d(2026, 3, 15)),
            vec![
                (d(2026, 3, 1), d(2026, 3, 1)),
                (d(2026, 3, 2), d(2026, 3, 15)),
                (d(2026, 3, 16), d(2026, 3, 29)),
                (d(2026, 3, 30), d(2026, 3, 31)),
            ]
        );
    }

    #[test]
    fn longer_periods_are_judged_once_around_the_reference_day() {
        let month = (d(2026, 2, 1), d(2026, 2, 28));
        let year = (d(2026, 1, 10), d(2026, 12, 31));
        assert_eq!(
            report_periods(Period::Month, month, year, d(2026, 2, 28)),
            vec![month]
        );
        assert_eq!(
            report_periods(Period::Quarter, month, year, d(2026, 2, 1)),
            vec![(d(2026, 1, 10), d(2026, 3, 31))]
        );
        assert_eq!(
            report_periods(Period::Assignment, month, year, d(2026, 2, 1)),
            vec![year]
        );
    }

    #[test]
    fn report_periods_parse_months_quarters_and_half_years() {
        let q3 = ReportPeriod::parse("2026-Q3").unwrap();
        assert_eq!(q3.kind, ReportPeriodKind::Quarter);
        assert_eq!(q3.range(), (d(2026, 7, 1), d(2026, 9, 30)));
        assert_eq!(
            (q3.label(), q3.label_zh()),
            ("2026-Q3".into(), "2026年第三季度".into())
        );
        let h2 = ReportPeriod::parse("2026-h2").unwrap();
        assert_eq!(h2.range(), (d(2026, 7, 1), d(2026, 12, 31)));
        assert_eq!(
            (h2.label(), h2.label_zh()),
            ("2026-H2".into(), "2026年下半年".into())
        );
        let feb = ReportPeriod::parse("2028-02").unwrap();
        assert_eq!(feb.range(), (d(2028, 2, 1), d(2028, 2, 29)));
        assert_eq!(
            (feb.label(), feb.label_zh()),
            ("2028-02".into(), "2028年2月".into())
        );
        for bad in [
            "2026-Q5", "2026-Q0", "2026-H3", "2026-13", "2026-1", "26-Q1", "2026Q1", "", "2026-Q",
        ] {
            assert_eq!(ReportPeriod::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_quarter_judges_monthly_rules_per_month_and_weekly_rules_per_week() {
        let q3 = (d(2026, 7, 1), d(2026, 9, 30));
        let assignment = (d(2026, 7, 15), d(2026, 12, 31));
        assert_eq!(
            report_periods(Period::Month, q3, assignment, d(2026, 8, 1)),
            vec![
                (d(2026, 7, 15), d(2026, 7, 31)),
                (d(2026, 8, 1), d(2026, 8, 31)),
                (d(2026, 9, 1), d(2026, 9, 30)),
            ]
        );
        let weeks = report_periods(Period::Week, q3, assignment, d(2026, 8, 1));
        // 15 July 2026 is a Wednesday; 30 September a Wednesday too.
        assert_eq!(weeks.first(), Some(&(d(2026, 7, 15), d(2026, 7, 19))));
        assert_eq!(weeks.last(), Some(&(d(2026, 9, 28), d(2026, 9, 30))));
        assert_eq!(weeks.len(), 12);
        assert_eq!(
            report_periods(Period::Quarter, q3, assignment, d(2026, 8, 1)),
            vec![(d(2026, 7, 15), d(2026, 9, 30))]
        );
        // A half year judges each quarter; the year stays one period.
        let h2 = (d(2026, 7, 1), d(2026, 12, 31));
        assert_eq!(
            report_periods(Period::Quarter, h2, assignment, d(2026, 8, 1)).len(),
            2
        );
        assert_eq!(
            report_periods(Period::Year, h2, assignment, d(2026, 8, 1)),
            vec![assignment]
        );
    }

    #[test]
    fn a_quarter_with_one_month_short_is_missed_though_the_others_were_met() {
        // 漳平: at least one day a month. July and September served, August not.
        let req = requirement(RequirementSpec {
            min_days: Some(1.0),
            ..RequirementSpec::new(Period::Month)
        });
        let q3 = (d(2026, 7, 1), d(2026, 9, 30));
        let assignment = (d(2026, 1, 1), d(2026, 12, 31));
        let days = credited(&[
            (d(2026, 7, 7), DayCredit::Full),
            (d(2026, 9, 8), DayCredit::Full),
            (d(2026, 9, 9), DayCredit::Full),
        ]);
        let months = report_periods(Period::Month, q3, assignment, q3.1);
        let j = judge(
            &req,
            &months,
            assignment,
            &days,
            &BTreeMap::new(),
            d(2026, 10, 2),
        );
        let statuses: Vec<Progress> = j.periods.iter().map(|p| p.progress.status).collect();
        assert_eq!(statuses, [Progress::Met, Progress::Missed, Progress::Met]);
        assert_eq!(
            (j.required, j.credited, j.status),
            (3.0, 3.0, Progress::Missed)
        );
    }

    #[test]
    fn a_judgement_sums_its_weeks_and_takes_the_worst_status() {
        let req = requirement(RequirementSpec {
            min_half_days: Some(2),
            ..RequirementSpec::new(Period::Week)
        });
        let weeks = [
            (d(2026, 3, 2), d(2026, 3, 8)),
            (d(2026, 3, 9), d(2026, 3, 15)),
        ];
        let days = credited(&[
            (d(2026, 3, 3), DayCredit::Full),
            (d(2026, 3, 10), DayCredit::Half),
        ]);
        let year = (d(2026, 1, 1), d(2026, 12, 31));
        let j = judge(&req, &weeks, year, &days, &BTreeMap::new(), d(2026, 3, 20));
        assert_eq!((j.required, j.credited), (4.0, 3.0));
        assert_eq!(j.status, Progress::Missed);
        assert_eq!(j.periods[0].progress.status, Progress::Met);
        assert_eq!(j.periods[1].progress.status, Progress::Missed);
    }

    #[test]
    fn a_week_cut_by_the_month_end_is_judged_on_the_months_days_pro_rata() {
        // November 2026 ends on Monday the 30th: the week of 30 November to
        // 6 December is cut there.
        let req = requirement(RequirementSpec {
            min_half_days: Some(3),
            ..RequirementSpec::new(Period::Week)
        });
        let november = (d(2026, 11, 1), d(2026, 11, 30));
        let december = (d(2026, 12, 1), d(2026, 12, 31));
        let assignment = (d(2026, 1, 1), d(2026, 12, 31));
        let in_november = report_periods(Period::Week, november, assignment, november.1);
        assert_eq!(
            in_november.last(),
            Some(&(d(2026, 11, 30), d(2026, 11, 30)))
        );
        let in_december = report_periods(Period::Week, december, assignment, december.0);
        assert_eq!(in_december.first(), Some(&(d(2026, 12, 1), d(2026, 12, 6))));

        // December's days do not count in November: three half-days on 1-2
        // December meet December's part of the week, not November's.
        let days = credited(&[
            (d(2026, 12, 1), DayCredit::Full),
            (d(2026, 12, 2), DayCredit::Half),
        ]);
        let stub = [(d(2026, 11, 30), d(2026, 11, 30))];
        let today = d(2026, 12, 3);
        let nov = judge(&req, &stub, assignment, &days, &BTreeMap::new(), today);
        // One day of seven: 3 x 1/7 rounds to nothing, so it is met, and over.
        assert_eq!(
            (nov.required, nov.credited, nov.status),
            (0.0, 0.0, Progress::Met)
        );
        let rest = [(d(2026, 12, 1), d(2026, 12, 6))];
        let dec = judge(&req, &rest, assignment, &days, &BTreeMap::new(), today);
        // Six days of seven: 3 x 6/7 = 2.57 rounds to 3; the parts ask what the week does.
        assert_eq!(
            (dec.required, dec.credited, dec.status),
            (3.0, 3.0, Progress::Met)
        );

        // Five days a week (10 half-day steps): 1.43 and 8.57 round to 1 and 9.
        let fujian = requirement(RequirementSpec {
            min_days: Some(5.0),
            ..RequirementSpec::new(Period::Week)
        });
        let nov = judge(&fujian, &stub, assignment, &days, &BTreeMap::new(), today);
        assert_eq!((nov.required, nov.status), (0.5, Progress::Missed));
        let dec = judge(&fujian, &rest, assignment, &days, &BTreeMap::new(), today);
        assert_eq!(dec.required, 4.5);
    }

    #[test]
    fn a_past_months_report_is_not_at_risk_when_its_weeks_were_met() {
        // Every week of November met on Tuesdays; on 4 December the week of
        // 30 November is still running and behind its pace, but November's
        // report must not wait for it (it used to be judged whole, with its
        // December days, and the row shown at_risk).
        let req = requirement(RequirementSpec {
            min_half_days: Some(2),
            ..RequirementSpec::new(Period::Week)
        });
        let november = (d(2026, 11, 1), d(2026, 11, 30));
        let assignment = (d(2026, 10, 1), d(2026, 12, 31));
        let days = credited(&[
            (d(2026, 10, 27), DayCredit::Full),
            (d(2026, 11, 3), DayCredit::Full),
            (d(2026, 11, 10), DayCredit::Full),
            (d(2026, 11, 17), DayCredit::Full),
            (d(2026, 11, 24), DayCredit::Full),
        ]);
        let today = d(2026, 12, 4);
        let weeks = report_periods(Period::Week, november, assignment, november.1);
        let j = judge(&req, &weeks, assignment, &days, &BTreeMap::new(), today);
        let statuses: Vec<Progress> = j.periods.iter().map(|p| p.progress.status).collect();
        assert!(statuses.iter().all(|s| *s == Progress::Met), "{statuses:?}");
        assert_eq!(j.status, Progress::Met);
    }

    #[test]
    fn an_activity_requirement_counts_only_the_activity_days() {
        let req = requirement(RequirementSpec {
            min_visits: Some(1),
            min_days_served: None,
            min_working_days: None,
            activity: Some(ActivityKind::Training),
            ..RequirementSpec::new(Period::Month)
        });
        let month = [(d(2026, 3, 1), d(2026, 3, 31))];
        let days = credited(&[(d(2026, 3, 3), DayCredit::Full)]);
        let year = (d(2026, 1, 1), d(2026, 12, 31));
        let none = judge(&req, &month, year, &days, &BTreeMap::new(), d(2026, 4, 1));
        assert_eq!((none.credited, none.status), (0.0, Progress::Missed));
        let trained = credited(&[(d(2026, 3, 3), DayCredit::Full)]);
        let met = judge(&req, &month, year, &days, &trained, d(2026, 4, 1));
        assert_eq!((met.credited, met.status), (1.0, Progress::Met));
    }

    #[test]
    fn a_workload_target_is_judged_in_each_month_of_a_quarter_on_its_counts() {
        // 每月门诊诊疗不少于300人次 in 2026 Q1: January 320, February 180, March 300.
        let req = requirement(RequirementSpec {
            activity: Some(ActivityKind::Outpatient),
            min_activity_count: Some(300),
            ..RequirementSpec::new(Period::Month)
        });
        let quarter = (d(2026, 1, 1), d(2026, 3, 31));
        let year = (d(2026, 1, 1), d(2026, 12, 31));
        let months = report_periods(Period::Month, quarter, year, quarter.1);
        assert_eq!(months.len(), 3);
        let counts: BTreeMap<NaiveDate, u64> = [
            (d(2026, 1, 10), 200),
            (d(2026, 1, 20), 120),
            (d(2026, 2, 10), 180),
            (d(2026, 3, 31), 300),
            (d(2026, 4, 1), 999),
        ]
        .into_iter()
        .collect();
        let calendar = crate::domain::workdays::HolidayCalendar::default();
        let days = credited(&[(d(2026, 1, 10), DayCredit::Full)]);
        let j = judge_in_programme(
            &req,
            ProgrammeRules {
                requirements: &[req],
                calendar: &calendar,
            },
            &months,
            year,
            &days,
            ActivityLog {
                days: &days,
                counts: &counts,
            },
            d(2026, 4, 2),
        );
        let judged: Vec<(f64, Progress)> = j
            .periods
            .iter()
            .map(|p| (p.progress.credited, p.progress.status))
            .collect();
        assert_eq!(
            judged,
            [
                (320.0, Progress::Met),
                (180.0, Progress::Missed),
                (300.0, Progress::Met)
            ]
        );
        assert_eq!((j.required, j.credited), (900.0, 800.0));
        assert_eq!(j.status, Progress::Missed);
    }

    #[test]
    fn the_longest_span_runs_over_consecutive_months_and_a_year_end() {
        let days: BTreeSet<NaiveDate> = [
            d(2025, 3, 5),
            // gap in April
            d(2025, 5, 20),
            d(2025, 6, 1),
            d(2025, 11, 3),
            d(2025, 12, 30),
            d(2026, 1, 2),
            d(2026, 1, 28),
        ]
        .into_iter()
        .collect();
        let span = longest_span(&days).unwrap();
        assert_eq!(span.months, 3);
        assert_eq!(
            (span.first_day, span.last_day),
            (d(2025, 11, 3), d(2026, 1, 28))
        );
        assert_eq!(span.calendar_days(), 87);
        assert!(longest_span(&BTreeSet::new()).is_none());
    }

    #[test]
    fn equal_runs_are_told_apart_by_their_calendar_days() {
        let days: BTreeSet<NaiveDate> =
            [d(2025, 1, 20), d(2025, 2, 3), d(2025, 6, 1), d(2025, 7, 30)]
                .into_iter()
                .collect();
        let span = longest_span(&days).unwrap();
        assert_eq!((span.months, span.first_day), (2, d(2025, 6, 1)));
        let single = longest_span(&[d(2025, 1, 9)].into_iter().collect()).unwrap();
        assert_eq!((single.months, single.calendar_days()), (1, 1));
    }

    #[test]
    fn public_health_staff_come_from_a_cdc_or_a_public_health_specialty() {
        assert!(is_public_health(Some(OrganizationKind::Cdc), None));
        assert!(is_public_health(
            Some(OrganizationKind::Hospital),
            Some("公共卫生科")
        ));
        assert!(is_public_health(None, Some("预防医学")));
        assert!(!is_public_health(
            Some(OrganizationKind::Hospital),
            Some("内科")
        ));
        assert!(!is_public_health(None, None));
    }

    fn fact(site: u128, kind: OrganizationKind, mode: Mode, physician: u128) -> ServiceFact {
        ServiceFact {
            physician_id: Uuid::from_u128(physician),
            site_id: Uuid::from_u128(site),
            site_kind: kind,
            mode,
            from_hospital: true,
            public_health: false,
            credited: true,
            activities: ActivityTotals::default(),
        }
    }

    #[test]
    fn county_figures_count_distinct_sites_and_people_per_group() {
        use OrganizationKind::{CommunityHealthCenter, TownshipHealthCenter, VillageClinic};
        let mut seen = ActivityTotals::default();
        seen.add(ActivityKind::Outpatient, 10);
        seen.add(ActivityKind::CaseDiscussion, 1);
        seen.add(ActivityKind::TeachingRound, 2);
        seen.add(ActivityKind::Lecture, 3);
        seen.add(ActivityKind::Training, 25);
        let facts = vec![
            // Two physicians on circuit at the same village, one also dispatched to another.
            ServiceFact {
                activities: seen,
                ..fact(1, VillageClinic, Mode::Circuit, 100)
            },
            fact(1, VillageClinic, Mode::Circuit, 101),
            fact(2, VillageClinic, Mode::Dispatch, 101),
            // Not credited: counts for nothing but its activities.
            ServiceFact {
                credited: false,
                ..fact(3, VillageClinic, Mode::Dispatch, 102)
            },
            // Township dispatch: one public-health physician from a CDC.
            ServiceFact {
                from_hospital: false,
                public_health: true,
                ..fact(4, TownshipHealthCenter, Mode::Dispatch, 103)
            },
            fact(5, CommunityHealthCenter, Mode::Dispatch, 104),
            // A township physician's circuit is not county circuit service.
            ServiceFact {
                from_hospital: false,
                ..fact(4, TownshipHealthCenter, Mode::Circuit, 105)
            },
        ];
        let f = county_figures(&facts);
        assert_eq!(f.village_circuit_sites, 1);
        assert_eq!(f.village_dispatch_sites, 1);
        assert_eq!(f.village_staff, 2);
        assert_eq!(f.village_encounters, 10);
        assert_eq!(f.township_dispatch_sites, 2);
        assert_eq!(f.township_dispatch_staff, 2);
        assert_eq!(f.township_public_health_staff, 1);
        assert_eq!(
            (f.county_circuit_staff, f.county_circuit_encounters),
            (0, 0),
            "village circuits are group 1's, not group 3's"
        );
        assert_eq!(
            (
                f.case_discussions,
                f.teaching_rounds,
                f.lectures,
                f.training_attendances
            ),
            (1, 2, 3, 25)
        );
    }

    #[test]
    fn a_hospital_physicians_village_circuit_counts_in_group_one_only() {
        use OrganizationKind::{TownshipHealthCenter, VillageClinic};
        let mut seen = ActivityTotals::default();
        seen.add(ActivityKind::Outpatient, 10);
        let mut at_township = ActivityTotals::default();
        at_township.add(ActivityKind::Outpatient, 4);
        let facts = vec![
            ServiceFact {
                activities: seen,
                ..fact(1, VillageClinic, Mode::Circuit, 100)
            },
            ServiceFact {
                activities: at_township,
                ..fact(4, TownshipHealthCenter, Mode::Circuit, 101)
            },
        ];
        let f = county_figures(&facts);
        assert_eq!((f.village_staff, f.village_encounters), (1, 10));
        assert_eq!(
            (f.county_circuit_staff, f.county_circuit_encounters),
            (1, 4),
            "only the township circuit is county circuit service"
        );
    }

    #[test]
    fn teaching_rounds_and_training_count_on_dispatch_postings_too() {
        use OrganizationKind::TownshipHealthCenter;
        let mut rounds = ActivityTotals::default();
        rounds.add(ActivityKind::TeachingRound, 29);
        // An ordinary ward round is not a teaching round.
        rounds.add(ActivityKind::WardRound, 7);
        rounds.add(ActivityKind::CaseDiscussion, 2);
        rounds.add(ActivityKind::Lecture, 1);
        rounds.add(ActivityKind::Training, 12);
        let mut circuit = ActivityTotals::default();
        circuit.add(ActivityKind::TeachingRound, 3);
        let facts = vec![
            ServiceFact {
                activities: rounds,
                ..fact(4, TownshipHealthCenter, Mode::Dispatch, 100)
            },
            ServiceFact {
                activities: circuit,
                ..fact(4, TownshipHealthCenter, Mode::Circuit, 101)
            },
        ];
        let f = county_figures(&facts);
        assert_eq!(
            (
                f.case_discussions,
                f.teaching_rounds,
                f.lectures,
                f.training_attendances
            ),
            (2, 32, 1, 12)
        );
    }
}
