//! A program's (方案) requirements and a physician's progress toward them.
//!
//! DOMAIN.md: a requirement is a period (`week`, `month`, `quarter`, `year` or
//! the whole assignment), a minimum count of credited days, half-days or
//! visits (a visit counts when it reaches the half-day threshold), optionally
//! limited to one activity (outpatient half-days, ward rounds, trainings), or a
//! minimum consecutive span of months (连续驻点不少于6个月). Every rule of the
//! five seed circulars is expressed in [`templates`].

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, Days, Months, NaiveDate};
use serde::{Deserialize, Serialize};

use super::crediting::DayCreditSummary;

/// The span a requirement is counted over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    /// ISO week, Monday to Sunday (每周).
    Week,
    /// Calendar month (每月).
    Month,
    /// Calendar quarter (每季度).
    Quarter,
    /// Calendar year (每年/年度).
    Year,
    /// The whole assignment, first to last date (支援期/驻点期).
    Assignment,
}

impl Period {
    pub const ALL: [Period; 5] = [
        Period::Week,
        Period::Month,
        Period::Quarter,
        Period::Year,
        Period::Assignment,
    ];

    /// The wire name (`week`, `month`, ...).
    pub fn as_str(&self) -> &'static str {
        match self {
            Period::Week => "week",
            Period::Month => "month",
            Period::Quarter => "quarter",
            Period::Year => "year",
            Period::Assignment => "assignment",
        }
    }

    /// Chinese label as used in the circulars.
    pub fn label_zh(&self) -> &'static str {
        match self {
            Period::Week => "每周",
            Period::Month => "每月",
            Period::Quarter => "每季度",
            Period::Year => "每年",
            Period::Assignment => "支援期内",
        }
    }

    /// The most days one period of this kind can have, used to refuse minimums
    /// no physician could ever reach. `None` for the assignment, whose length varies.
    fn max_days(&self) -> Option<u32> {
        match self {
            Period::Week => Some(7),
            Period::Month => Some(31),
            Period::Quarter => Some(92),
            Period::Year => Some(366),
            Period::Assignment => None,
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a requirement counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// Credited days: a half-day counts 0.5 (工作日/天).
    Days,
    /// Credited half-days (半天): a full day counts 2.
    HalfDays,
    /// Visits that reached the half-day threshold (次, "每次至少半天").
    Visits,
}

impl Measure {
    pub fn as_str(&self) -> &'static str {
        match self {
            Measure::Days => "days",
            Measure::HalfDays => "half_days",
            Measure::Visits => "visits",
        }
    }

    /// The smallest step credit moves in: half a day for days, one otherwise.
    fn granularity(&self) -> f64 {
        match self {
            Measure::Days => 0.5,
            Measure::HalfDays | Measure::Visits => 1.0,
        }
    }

    /// The most one day can add. A day is capped at one full day (two
    /// half-days); for visits a morning and an afternoon session is the
    /// realistic most, so the pace check assumes two.
    fn per_day_capacity(&self) -> f64 {
        match self {
            Measure::Days => 1.0,
            Measure::HalfDays | Measure::Visits => 2.0,
        }
    }

    fn unit_zh(&self) -> &'static str {
        match self {
            Measure::Days => "天",
            Measure::HalfDays => "个半天",
            Measure::Visits => "次",
        }
    }
}

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

/// One validated requirement of a program.
///
/// Either a count (`measure` >= `minimum` per `period`, optionally only the
/// visits on which `activity` was logged), or a consecutive span: then
/// `min_consecutive_months` is set, `period` is `Assignment`, `minimum` is 0
/// and `measure` is irrelevant. Build through [`Requirement::from_spec`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Requirement {
    pub period: Period,
    pub measure: Measure,
    pub minimum: u32,
    pub activity: Option<ActivityKind>,
    pub min_consecutive_months: Option<u32>,
}

/// The wire form of a requirement (`requirements[]` of `POST /api/v1/programs`).
///
/// Exactly one of `min_days`, `min_half_days`, `min_visits`, or only
/// `min_consecutive_months`. `min_days` may be a whole or half number
/// (`1`, `1.0`, `1.5`); a half is stored as half-days.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequirementSpec {
    pub period: Period,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_days: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_half_days: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_visits: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity: Option<ActivityKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_consecutive_months: Option<u32>,
}

impl RequirementSpec {
    /// A spec with only the period set; fill in one minimum.
    pub fn new(period: Period) -> Self {
        Self {
            period,
            min_days: None,
            min_half_days: None,
            min_visits: None,
            activity: None,
            min_consecutive_months: None,
        }
    }
}

/// Why a requirement spec was refused. `Display` starts with the field name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequirementError {
    #[error(
        "min_days: one of min_days, min_half_days, min_visits or min_consecutive_months is required"
    )]
    MissingMinimum,
    #[error("{second}: give only one of min_days, min_half_days, min_visits ({first} is also set)")]
    ConflictingMinimums {
        first: &'static str,
        second: &'static str,
    },
    #[error("{field}: {reason}")]
    InvalidValue { field: &'static str, reason: String },
}

impl RequirementError {
    /// The request field the error is about, for a 400 `invalid_request` detail.
    pub fn field(&self) -> &'static str {
        match self {
            RequirementError::MissingMinimum => "min_days",
            RequirementError::ConflictingMinimums { second, .. } => second,
            RequirementError::InvalidValue { field, .. } => field,
        }
    }

    fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        RequirementError::InvalidValue {
            field,
            reason: reason.into(),
        }
    }
}

impl Requirement {
    /// Validates a wire spec (taken by value: it usually comes straight from
    /// deserialization).
    pub fn from_spec(spec: RequirementSpec) -> Result<Self, RequirementError> {
        let given: Vec<&'static str> = [
            ("min_days", spec.min_days.is_some()),
            ("min_half_days", spec.min_half_days.is_some()),
            ("min_visits", spec.min_visits.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, set)| set.then_some(name))
        .collect();
        if let [first, second, ..] = given[..] {
            return Err(RequirementError::ConflictingMinimums { first, second });
        }

        if let Some(months) = spec.min_consecutive_months {
            return Self::consecutive_from_spec(&spec, months, given.first().copied());
        }

        let (measure, minimum) = if let Some(days) = spec.min_days {
            days_to_measure(days)?
        } else if let Some(half_days) = spec.min_half_days {
            (Measure::HalfDays, half_days)
        } else if let Some(visits) = spec.min_visits {
            (Measure::Visits, visits)
        } else {
            return Err(RequirementError::MissingMinimum);
        };
        let field = given.first().copied().unwrap_or("min_days");
        if minimum == 0 {
            return Err(RequirementError::invalid(field, "must be greater than 0"));
        }
        // Refuse what no physician could reach in a full period: credit is
        // capped at one day (two half-days) per day. Visits are not bounded
        // here because short thresholds can allow several a day.
        let days_needed = match measure {
            Measure::Days => Some(minimum),
            Measure::HalfDays => Some(minimum.div_ceil(2)),
            Measure::Visits => None,
        };
        if let (Some(needed), Some(max_days)) = (days_needed, spec.period.max_days())
            && needed > max_days
        {
            return Err(RequirementError::invalid(
                field,
                format!(
                    "needs {needed} days but a {} has at most {max_days}",
                    spec.period
                ),
            ));
        }
        Ok(Requirement {
            period: spec.period,
            measure,
            minimum,
            activity: spec.activity,
            min_consecutive_months: None,
        })
    }

    fn consecutive_from_spec(
        spec: &RequirementSpec,
        months: u32,
        other_minimum: Option<&'static str>,
    ) -> Result<Self, RequirementError> {
        if months == 0 {
            return Err(RequirementError::invalid(
                "min_consecutive_months",
                "must be greater than 0",
            ));
        }
        if let Some(other) = other_minimum {
            return Err(RequirementError::invalid(
                "min_consecutive_months",
                format!("state a consecutive span as its own requirement, without {other}"),
            ));
        }
        if spec.activity.is_some() {
            return Err(RequirementError::invalid(
                "activity",
                "a consecutive span counts any credited day and cannot be limited to an activity",
            ));
        }
        if spec.period != Period::Assignment {
            return Err(RequirementError::invalid(
                "period",
                "a consecutive span is judged over the whole assignment; use \"assignment\"",
            ));
        }
        Ok(Requirement {
            period: Period::Assignment,
            measure: Measure::Days,
            minimum: 0,
            activity: None,
            min_consecutive_months: Some(months),
        })
    }

    /// The wire form. `from_spec(to_spec(r)) == r` for every valid requirement.
    pub fn to_spec(&self) -> RequirementSpec {
        let mut spec = RequirementSpec::new(self.period);
        spec.activity = self.activity;
        spec.min_consecutive_months = self.min_consecutive_months;
        if self.is_consecutive_span() {
            return spec;
        }
        match self.measure {
            Measure::Days => spec.min_days = Some(f64::from(self.minimum)),
            Measure::HalfDays => spec.min_half_days = Some(self.minimum),
            Measure::Visits => spec.min_visits = Some(self.minimum),
        }
        spec
    }

    /// Whether this is a consecutive-months rule rather than a count.
    pub fn is_consecutive_span(&self) -> bool {
        self.min_consecutive_months.is_some() && self.minimum == 0
    }

    /// A Chinese one-line description, e.g. `每周门诊不少于3个半天`.
    pub fn describe_zh(&self) -> String {
        if let (true, Some(months)) = (self.is_consecutive_span(), self.min_consecutive_months) {
            return format!("连续服务不少于{months}个月");
        }
        let activity = self.activity.map(|a| a.label_zh()).unwrap_or("");
        format!(
            "{}{}不少于{}{}",
            self.period.label_zh(),
            activity,
            self.minimum,
            self.measure.unit_zh()
        )
    }
}

/// Converts `min_days` (whole or half days) into a measure and count.
fn days_to_measure(days: f64) -> Result<(Measure, u32), RequirementError> {
    if !days.is_finite() || days <= 0.0 {
        return Err(RequirementError::invalid(
            "min_days",
            "must be a number greater than 0",
        ));
    }
    let half_days = days * 2.0;
    if half_days.fract() != 0.0 {
        return Err(RequirementError::invalid(
            "min_days",
            "must be a whole or half number of days (e.g. 1 or 1.5)",
        ));
    }
    if half_days > f64::from(u32::MAX) {
        return Err(RequirementError::invalid("min_days", "is too large"));
    }
    // Checked above: a non-negative whole number within u32, so the cast is exact.
    let half_days = half_days as u32;
    if half_days.is_multiple_of(2) {
        Ok((Measure::Days, half_days / 2))
    } else {
        Ok((Measure::HalfDays, half_days))
    }
}

/// Orders an inverted range so the functions below never see `start > end`.
fn ordered(range: (NaiveDate, NaiveDate)) -> (NaiveDate, NaiveDate) {
    if range.0 <= range.1 {
        range
    } else {
        (range.1, range.0)
    }
}

/// The calendar period of `kind` containing `date`, unclipped. `Assignment`
/// has no calendar shape, so the date alone is returned for it.
fn natural_period(kind: Period, date: NaiveDate) -> (NaiveDate, NaiveDate) {
    let first_of = |year: i32, month: u32| NaiveDate::from_ymd_opt(year, month, 1);
    let span = |start: Option<NaiveDate>, months: u32| {
        let start = start.unwrap_or(date);
        let end = start
            .checked_add_months(Months::new(months))
            .and_then(|next| next.pred_opt())
            .unwrap_or(NaiveDate::MAX);
        (start, end)
    };
    match kind {
        Period::Week => {
            let from_monday = u64::from(date.weekday().num_days_from_monday());
            let monday = date
                .checked_sub_days(Days::new(from_monday))
                .unwrap_or(NaiveDate::MIN);
            let sunday = monday
                .checked_add_days(Days::new(6))
                .unwrap_or(NaiveDate::MAX);
            (monday, sunday)
        }
        Period::Month => span(first_of(date.year(), date.month()), 1),
        Period::Quarter => {
            let first_month = (date.month0() / 3) * 3 + 1;
            span(first_of(date.year(), first_month), 3)
        }
        Period::Year => span(first_of(date.year(), 1), 12),
        Period::Assignment => (date, date),
    }
}

/// The period of `period` that contains `date`, clipped to the assignment.
///
/// Weeks are ISO weeks (Monday to Sunday, so a week can straddle a month or
/// year end); months, quarters and years are calendar ones; `Assignment` is
/// the whole assignment. A date outside the assignment is first moved to the
/// nearest assignment date, so the result always lies within the assignment.
pub fn period_containing(
    period: Period,
    date: NaiveDate,
    assignment: (NaiveDate, NaiveDate),
) -> (NaiveDate, NaiveDate) {
    let (first, last) = ordered(assignment);
    if period == Period::Assignment {
        return (first, last);
    }
    let date = date.max(first).min(last);
    let (start, end) = natural_period(period, date);
    (start.max(first), end.min(last))
}

/// Every period of `period` in the assignment, in order (for compliance
/// reports that list each week or month of an assignment).
pub fn periods(period: Period, assignment: (NaiveDate, NaiveDate)) -> Vec<(NaiveDate, NaiveDate)> {
    let (first, last) = ordered(assignment);
    let mut out = Vec::new();
    let mut cursor = first;
    loop {
        let current = period_containing(period, cursor, (first, last));
        out.push(current);
        match current.1.succ_opt() {
            Some(next) if current.1 < last => cursor = next,
            _ => break,
        }
    }
    out
}

/// The `(year, month)` key of a date, as used in active-month sets.
pub fn month_of(date: NaiveDate) -> (i32, u32) {
    (date.year(), date.month())
}

fn month_index((year, month): (i32, u32)) -> i64 {
    i64::from(year) * 12 + i64::from(month) - 1
}

/// The longest run of calendar months that are all active (a month is active
/// when it has any credited day), e.g. for 连续驻点不少于6个月. Runs continue
/// across a year end (December then January). Invalid months are ignored.
pub fn longest_consecutive_months(active_months: &BTreeSet<(i32, u32)>) -> u32 {
    let mut longest = 0;
    let mut run = 0;
    let mut previous: Option<i64> = None;
    // A BTreeSet iterates (year, month) in chronological order.
    for &key in active_months.iter().filter(|(_, m)| (1..=12).contains(m)) {
        let index = month_index(key);
        run = if previous == Some(index - 1) {
            run + 1
        } else {
            1
        };
        longest = longest.max(run);
        previous = Some(index);
    }
    longest
}

/// The length of the run of active months ending at `index` (0 if inactive).
fn run_ending_at(active: &BTreeSet<i64>, index: i64) -> u32 {
    let mut run = 0;
    let mut cursor = index;
    while active.contains(&cursor) {
        run += 1;
        cursor -= 1;
    }
    run
}

/// How a physician stands against one requirement in one period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Progress {
    Met,
    OnTrack,
    AtRisk,
    Missed,
}

impl Progress {
    pub fn as_str(&self) -> &'static str {
        match self {
            Progress::Met => "met",
            Progress::OnTrack => "on_track",
            Progress::AtRisk => "at_risk",
            Progress::Missed => "missed",
        }
    }
}

/// What one physician earned at one site in one period, as input to [`evaluate`].
///
/// The `activity_*` fields refer to the requirement's activity and are zero
/// when it has none: build one tally per requirement (see [`Tally::with_activity`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    pub credited_days: f64,
    pub credited_half_days: u32,
    pub qualifying_visits: u32,
    /// Half-days credited by the visits on which the activity was logged.
    pub activity_half_days: u32,
    /// Qualifying visits on which the activity was logged.
    pub activity_visits: u32,
    /// Months with any credited day, for consecutive-span rules.
    pub active_months: BTreeSet<(i32, u32)>,
}

impl Tally {
    /// Sums [`credit_by_day`](super::crediting::credit_by_day) output over the
    /// days of `period` (inclusive).
    pub fn from_days(
        days: &BTreeMap<NaiveDate, DayCreditSummary>,
        period: (NaiveDate, NaiveDate),
    ) -> Self {
        let (first, last) = ordered(period);
        let mut tally = Tally::default();
        for (date, day) in days.range(first..=last) {
            tally.credited_half_days += day.credit.half_days();
            tally.qualifying_visits += day.qualifying_visits;
            if day.credit.half_days() > 0 {
                tally.active_months.insert(month_of(*date));
            }
        }
        tally.credited_days = f64::from(tally.credited_half_days) / 2.0;
        tally
    }

    /// Adds the activity figures from `credit_by_day` run over only the visits
    /// on which the requirement's activity was logged. Running the day rules on
    /// that subset keeps the per-day cap: two outpatient visits on one day
    /// still give at most two outpatient half-days.
    pub fn with_activity(
        mut self,
        activity_days: &BTreeMap<NaiveDate, DayCreditSummary>,
        period: (NaiveDate, NaiveDate),
    ) -> Self {
        let (first, last) = ordered(period);
        self.activity_half_days = 0;
        self.activity_visits = 0;
        for day in activity_days.range(first..=last).map(|(_, day)| day) {
            self.activity_half_days += day.credit.half_days();
            self.activity_visits += day.qualifying_visits;
        }
        self
    }
}

/// The outcome of [`evaluate`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RequirementProgress {
    /// What the period asks for, in the requirement's measure (days, half-days,
    /// visits or months); pro-rated for a period cut short by the assignment.
    pub required: f64,
    /// What was credited in the same measure.
    pub credited: f64,
    pub status: Progress,
}

/// Judges a tally against a requirement for one period on `today` (the site's
/// local date, from the injected clock).
///
/// `period` is what [`period_containing`] returned, i.e. clipped to the
/// assignment. The rule, in order:
///
/// 1. **required**: the requirement's minimum. When the assignment cuts the
///    calendar period short (it starts on a Thursday, ends mid-month) the
///    minimum is pro-rated by the days covered and rounded *up* to the
///    measure's step (half a day, one half-day, one visit), so a stub period
///    asks proportionally less but never nothing.
/// 2. **met** when credited >= required, at any time.
/// 3. **missed** when `today` is after the period's last day and not met.
/// 4. **at_risk** when what remains cannot be reached in the remaining days
///    (today included; a day adds at most one day, two half-days or two visits).
/// 5. **on_track** when credited keeps pace: credited >= required x elapsed /
///    period days, where elapsed counts the days from the period's first day to
///    today inclusive (0 before the period starts), the product rounded *down*
///    to the measure's step because credit only comes in whole steps;
///    **at_risk** when behind that pace.
///
/// A consecutive-span requirement compares the longest run of active months
/// with `min_consecutive_months`: met when reached, missed after the period,
/// at_risk when even crediting every remaining month (continuing the run that
/// is still alive at `today`'s month) cannot reach it, on_track otherwise.
pub fn evaluate(
    req: &Requirement,
    period: (NaiveDate, NaiveDate),
    tally: &Tally,
    today: NaiveDate,
) -> RequirementProgress {
    let period = ordered(period);
    if let (true, Some(months)) = (req.is_consecutive_span(), req.min_consecutive_months) {
        return evaluate_consecutive(months, period, tally, today);
    }

    let (start, end) = period;
    let period_days = inclusive_days(start, end);
    let step = req.measure.granularity();

    // 1. required, pro-rated for a clipped calendar period.
    let full_days = match req.period {
        Period::Assignment => period_days,
        kind => {
            let (s, e) = natural_period(kind, start);
            inclusive_days(s, e)
        }
    };
    let minimum_steps = (f64::from(req.minimum) / step).round() as i64;
    let required_steps = if period_days >= full_days {
        minimum_steps
    } else {
        ceil_div(minimum_steps * period_days, full_days).max(1)
    };
    let required = required_steps as f64 * step;

    let credited = credited_in_measure(req, tally);
    let status = if credited >= required {
        Progress::Met
    } else if today > end {
        Progress::Missed
    } else {
        let days_left = inclusive_days(today.max(start), end);
        let elapsed = if today < start {
            0
        } else {
            inclusive_days(start, today)
        };
        let reachable = credited + req.measure.per_day_capacity() * days_left as f64;
        let pace = (required_steps * elapsed / period_days) as f64 * step;
        if reachable < required || credited < pace {
            Progress::AtRisk
        } else {
            Progress::OnTrack
        }
    };
    RequirementProgress {
        required,
        credited,
        status,
    }
}

fn credited_in_measure(req: &Requirement, tally: &Tally) -> f64 {
    match (req.activity, req.measure) {
        (None, Measure::Days) => tally.credited_days,
        (None, Measure::HalfDays) => f64::from(tally.credited_half_days),
        (None, Measure::Visits) => f64::from(tally.qualifying_visits),
        (Some(_), Measure::Days) => f64::from(tally.activity_half_days) / 2.0,
        (Some(_), Measure::HalfDays) => f64::from(tally.activity_half_days),
        (Some(_), Measure::Visits) => f64::from(tally.activity_visits),
    }
}

fn evaluate_consecutive(
    months: u32,
    (start, end): (NaiveDate, NaiveDate),
    tally: &Tally,
    today: NaiveDate,
) -> RequirementProgress {
    let start_month = month_index(month_of(start));
    let end_month = month_index(month_of(end));
    // Only months inside the period count toward its span.
    let active: BTreeSet<i64> = tally
        .active_months
        .iter()
        .filter(|(_, m)| (1..=12).contains(m))
        .map(|&key| month_index(key))
        .filter(|index| (start_month..=end_month).contains(index))
        .collect();
    let in_period: BTreeSet<(i32, u32)> = tally
        .active_months
        .iter()
        .copied()
        .filter(|&key| (1..=12).contains(&key.1) && active.contains(&month_index(key)))
        .collect();
    let longest = longest_consecutive_months(&in_period);
    let required = f64::from(months);
    let credited = f64::from(longest);

    let status = if longest >= months {
        Progress::Met
    } else if today > end {
        Progress::Missed
    } else {
        let achievable = if today < start {
            end_month - start_month + 1
        } else {
            let current = month_index(month_of(today));
            let months_left = end_month - current + 1;
            if active.contains(&current) {
                i64::from(run_ending_at(&active, current)) + months_left - 1
            } else {
                // This month may still be credited, continuing last month's run.
                i64::from(run_ending_at(&active, current - 1)) + months_left
            }
        };
        if achievable < i64::from(months) {
            Progress::AtRisk
        } else {
            Progress::OnTrack
        }
    };
    RequirementProgress {
        required,
        credited,
        status,
    }
}

fn inclusive_days(start: NaiveDate, end: NaiveDate) -> i64 {
    ((end - start).num_days() + 1).max(1)
}

fn ceil_div(numerator: i64, denominator: i64) -> i64 {
    (numerator + denominator - 1) / denominator.max(1)
}

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
}

fn spec(period: Period) -> RequirementSpec {
    RequirementSpec::new(period)
}

fn min_days(period: Period, days: f64) -> RequirementSpec {
    RequirementSpec {
        min_days: Some(days),
        ..spec(period)
    }
}

fn min_half_days(
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

fn min_visits(period: Period, visits: u32, activity: Option<ActivityKind>) -> RequirementSpec {
    RequirementSpec {
        min_visits: Some(visits),
        activity,
        ..spec(period)
    }
}

fn consecutive_months(months: u32) -> RequirementSpec {
    RequirementSpec {
        min_consecutive_months: Some(months),
        ..spec(Period::Assignment)
    }
}

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
        },
        ProgramTemplate {
            key: "fujian-2023-village-dispatch",
            name: "福建省县域派驻服务（村级派驻）",
            source_seed: "003_5bf531a39cfcb940",
            jurisdiction_code: "350000",
            basis: "原则上每周派驻不少于5日，每日不少于半天，在同一个行政村至少连续服务半年",
            half_day_minutes: half,
            full_day_minutes: full,
            requirements: vec![min_visits(Period::Week, 5, None), consecutive_months(6)],
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
                min_days(Period::Month, 4.0),
                min_visits(Period::Month, 1, Some(Training)),
            ],
        },
    ]
}

/// The template with `key`, if any.
pub fn template(key: &str) -> Option<ProgramTemplate> {
    templates().into_iter().find(|t| t.key == key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::crediting::{DayCredit, DayCreditSummary};

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn req(spec: RequirementSpec) -> Requirement {
        Requirement::from_spec(spec).unwrap()
    }

    fn err(spec: RequirementSpec) -> RequirementError {
        Requirement::from_spec(spec).unwrap_err()
    }

    fn tally_days(half_days: u32) -> Tally {
        Tally {
            credited_days: f64::from(half_days) / 2.0,
            credited_half_days: half_days,
            ..Tally::default()
        }
    }

    fn months(list: &[(i32, u32)]) -> BTreeSet<(i32, u32)> {
        list.iter().copied().collect()
    }

    // ---- enums and wire names -------------------------------------------

    #[test]
    fn enums_use_snake_case_on_the_wire() {
        assert_eq!(
            serde_json::to_string(&Period::Assignment).unwrap(),
            "\"assignment\""
        );
        assert_eq!(
            serde_json::to_string(&Measure::HalfDays).unwrap(),
            "\"half_days\""
        );
        assert_eq!(
            serde_json::to_string(&Progress::OnTrack).unwrap(),
            "\"on_track\""
        );
        assert_eq!(
            serde_json::to_string(&Progress::AtRisk).unwrap(),
            "\"at_risk\""
        );
        assert_eq!(
            serde_json::to_string(&ActivityKind::HealthEducation).unwrap(),
            "\"health_education\""
        );
        for period in Period::ALL {
            let json = serde_json::to_string(&period).unwrap();
            assert_eq!(json, format!("\"{}\"", period.as_str()));
        }
        for progress in [
            Progress::Met,
            Progress::OnTrack,
            Progress::AtRisk,
            Progress::Missed,
        ] {
            let json = serde_json::to_string(&progress).unwrap();
            assert_eq!(json, format!("\"{}\"", progress.as_str()));
        }
    }

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

    // ---- spec validation ------------------------------------------------

    #[test]
    fn spec_with_one_minimum_becomes_a_requirement() {
        let r = req(min_days(Period::Month, 1.0));
        assert_eq!(
            (r.period, r.measure, r.minimum),
            (Period::Month, Measure::Days, 1)
        );
        let r = req(min_half_days(
            Period::Week,
            2,
            Some(ActivityKind::Outpatient),
        ));
        assert_eq!(
            (r.measure, r.minimum, r.activity),
            (Measure::HalfDays, 2, Some(ActivityKind::Outpatient))
        );
        let r = req(min_visits(Period::Week, 2, None));
        assert_eq!((r.measure, r.minimum), (Measure::Visits, 2));
        assert_eq!(r.min_consecutive_months, None);
    }

    #[test]
    fn half_a_day_in_min_days_is_stored_as_half_days() {
        let r = req(min_days(Period::Month, 1.5));
        assert_eq!((r.measure, r.minimum), (Measure::HalfDays, 3));
        let r = req(min_days(Period::Month, 0.5));
        assert_eq!((r.measure, r.minimum), (Measure::HalfDays, 1));
    }

    #[test]
    fn spec_parses_from_json_and_rejects_unknown_fields() {
        let spec: RequirementSpec =
            serde_json::from_str(r#"{"period":"week","min_half_days":3,"activity":"outpatient"}"#)
                .unwrap();
        assert_eq!(
            spec,
            min_half_days(Period::Week, 3, Some(ActivityKind::Outpatient))
        );
        let spec: RequirementSpec =
            serde_json::from_str(r#"{"period":"month","min_days":1}"#).unwrap();
        assert_eq!(req(spec).minimum, 1);
        assert!(
            serde_json::from_str::<RequirementSpec>(r#"{"period":"month","min_day":1}"#).is_err()
        );
        assert!(
            serde_json::from_str::<RequirementSpec>(r#"{"period":"fortnight","min_days":1}"#)
                .is_err()
        );
    }

    #[test]
    fn spec_without_a_minimum_is_refused() {
        let e = err(spec(Period::Month));
        assert_eq!(e, RequirementError::MissingMinimum);
        assert_eq!(e.field(), "min_days");
    }

    #[test]
    fn spec_with_two_minimums_is_refused_naming_the_second() {
        let mut s = min_days(Period::Week, 1.0);
        s.min_visits = Some(2);
        let e = err(s);
        assert_eq!(
            e,
            RequirementError::ConflictingMinimums {
                first: "min_days",
                second: "min_visits"
            }
        );
        assert_eq!(e.field(), "min_visits");
        assert!(e.to_string().starts_with("min_visits:"));
    }

    #[test]
    fn spec_minimums_must_be_positive_and_whole_or_half_days() {
        assert_eq!(err(min_days(Period::Month, 0.0)).field(), "min_days");
        assert_eq!(err(min_days(Period::Month, -1.0)).field(), "min_days");
        assert_eq!(err(min_days(Period::Month, f64::NAN)).field(), "min_days");
        assert_eq!(
            err(min_days(Period::Month, f64::INFINITY)).field(),
            "min_days"
        );
        assert_eq!(err(min_days(Period::Month, 1.25)).field(), "min_days");
        assert_eq!(err(min_days(Period::Assignment, 1e12)).field(), "min_days");
        assert_eq!(
            err(min_half_days(Period::Week, 0, None)).field(),
            "min_half_days"
        );
        assert_eq!(err(min_visits(Period::Week, 0, None)).field(), "min_visits");
    }

    #[test]
    fn spec_minimums_a_full_period_cannot_hold_are_refused() {
        assert_eq!(err(min_days(Period::Week, 8.0)).field(), "min_days");
        assert_eq!(err(min_days(Period::Week, 7.5)).field(), "min_days");
        assert!(Requirement::from_spec(min_days(Period::Week, 7.0)).is_ok());
        assert_eq!(
            err(min_half_days(Period::Week, 15, None)).field(),
            "min_half_days"
        );
        assert!(Requirement::from_spec(min_half_days(Period::Week, 14, None)).is_ok());
        assert_eq!(err(min_days(Period::Month, 32.0)).field(), "min_days");
        assert!(Requirement::from_spec(min_days(Period::Assignment, 400.0)).is_ok());
    }

    #[test]
    fn consecutive_span_stands_alone_over_the_assignment() {
        let r = req(consecutive_months(6));
        assert!(r.is_consecutive_span());
        assert_eq!(
            (r.period, r.minimum, r.min_consecutive_months),
            (Period::Assignment, 0, Some(6))
        );

        let mut with_days = consecutive_months(6);
        with_days.min_days = Some(1.0);
        assert_eq!(err(with_days).field(), "min_consecutive_months");
        let mut weekly = consecutive_months(6);
        weekly.period = Period::Week;
        assert_eq!(err(weekly).field(), "period");
        let mut with_activity = consecutive_months(6);
        with_activity.activity = Some(ActivityKind::Outpatient);
        assert_eq!(err(with_activity).field(), "activity");
        assert_eq!(err(consecutive_months(0)).field(), "min_consecutive_months");
    }

    #[test]
    fn to_spec_round_trips_every_valid_requirement() {
        let specs = [
            min_days(Period::Month, 4.0),
            min_half_days(Period::Week, 3, Some(ActivityKind::Outpatient)),
            min_visits(Period::Week, 2, Some(ActivityKind::WardRound)),
            min_visits(Period::Quarter, 10, None),
            consecutive_months(6),
        ];
        for s in specs {
            let r = req(s.clone());
            assert_eq!(r.to_spec(), s);
            assert_eq!(Requirement::from_spec(r.to_spec()).unwrap(), r);
        }
        // A half day comes back in half-days, meaning the same thing.
        assert_eq!(
            req(min_days(Period::Month, 1.5)).to_spec(),
            min_half_days(Period::Month, 3, None)
        );
        let json = serde_json::to_string(&req(consecutive_months(6)).to_spec()).unwrap();
        assert_eq!(
            json,
            r#"{"period":"assignment","min_consecutive_months":6}"#
        );
    }

    #[test]
    fn requirements_describe_themselves_in_chinese() {
        assert_eq!(
            req(min_half_days(
                Period::Week,
                3,
                Some(ActivityKind::Outpatient)
            ))
            .describe_zh(),
            "每周门诊不少于3个半天"
        );
        assert_eq!(
            req(min_days(Period::Month, 4.0)).describe_zh(),
            "每月不少于4天"
        );
        assert_eq!(
            req(consecutive_months(6)).describe_zh(),
            "连续服务不少于6个月"
        );
    }

    // ---- periods --------------------------------------------------------

    const YEAR_2024: (NaiveDate, NaiveDate) = (
        NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
        NaiveDate::from_ymd_opt(2024, 12, 31).unwrap(),
    );
    const OPEN: (NaiveDate, NaiveDate) = (
        NaiveDate::from_ymd_opt(2000, 1, 1).unwrap(),
        NaiveDate::from_ymd_opt(2099, 12, 31).unwrap(),
    );

    #[test]
    fn iso_week_runs_monday_to_sunday_across_a_month_end() {
        // Wednesday 2024-01-31.
        assert_eq!(
            period_containing(Period::Week, d(2024, 1, 31), OPEN),
            (d(2024, 1, 29), d(2024, 2, 4))
        );
        // Monday and Sunday are their own week's ends.
        assert_eq!(
            period_containing(Period::Week, d(2024, 1, 29), OPEN),
            (d(2024, 1, 29), d(2024, 2, 4))
        );
        assert_eq!(
            period_containing(Period::Week, d(2024, 2, 4), OPEN),
            (d(2024, 1, 29), d(2024, 2, 4))
        );
        assert_eq!(
            period_containing(Period::Week, d(2024, 2, 5), OPEN),
            (d(2024, 2, 5), d(2024, 2, 11))
        );
    }

    #[test]
    fn iso_week_across_a_year_end_is_clipped_to_the_assignment() {
        assert_eq!(
            period_containing(Period::Week, d(2024, 12, 31), OPEN),
            (d(2024, 12, 30), d(2025, 1, 5))
        );
        assert_eq!(
            period_containing(Period::Week, d(2024, 12, 31), YEAR_2024),
            (d(2024, 12, 30), d(2024, 12, 31))
        );
        // 2024-01-01 is a Monday; the assignment starting mid-week clips the start.
        let from_thursday = (d(2024, 1, 4), d(2024, 6, 30));
        assert_eq!(
            period_containing(Period::Week, d(2024, 1, 6), from_thursday),
            (d(2024, 1, 4), d(2024, 1, 7))
        );
    }

    #[test]
    fn month_ends_on_its_last_calendar_day_including_leap_february() {
        assert_eq!(
            period_containing(Period::Month, d(2024, 2, 10), OPEN),
            (d(2024, 2, 1), d(2024, 2, 29))
        );
        assert_eq!(
            period_containing(Period::Month, d(2023, 2, 28), OPEN),
            (d(2023, 2, 1), d(2023, 2, 28))
        );
        assert_eq!(
            period_containing(Period::Month, d(2024, 12, 31), OPEN),
            (d(2024, 12, 1), d(2024, 12, 31))
        );
        assert_eq!(
            period_containing(
                Period::Month,
                d(2024, 5, 20),
                (d(2024, 5, 15), d(2024, 11, 14))
            ),
            (d(2024, 5, 15), d(2024, 5, 31))
        );
    }

    #[test]
    fn quarter_and_year_are_calendar_ones() {
        assert_eq!(
            period_containing(Period::Quarter, d(2024, 5, 15), OPEN),
            (d(2024, 4, 1), d(2024, 6, 30))
        );
        assert_eq!(
            period_containing(Period::Quarter, d(2024, 3, 31), OPEN),
            (d(2024, 1, 1), d(2024, 3, 31))
        );
        assert_eq!(
            period_containing(Period::Quarter, d(2024, 10, 1), OPEN),
            (d(2024, 10, 1), d(2024, 12, 31))
        );
        assert_eq!(
            period_containing(Period::Year, d(2024, 7, 1), OPEN),
            (d(2024, 1, 1), d(2024, 12, 31))
        );
    }

    #[test]
    fn assignment_period_is_the_whole_assignment_and_dates_outside_are_clamped() {
        let a = (d(2024, 3, 15), d(2024, 9, 14));
        assert_eq!(period_containing(Period::Assignment, d(2024, 5, 1), a), a);
        assert_eq!(
            period_containing(Period::Month, d(2024, 1, 1), a),
            (d(2024, 3, 15), d(2024, 3, 31))
        );
        assert_eq!(
            period_containing(Period::Month, d(2025, 1, 1), a),
            (d(2024, 9, 1), d(2024, 9, 14))
        );
        // An inverted range is read in order instead of panicking.
        assert_eq!(
            period_containing(Period::Month, d(2024, 5, 1), (a.1, a.0)),
            (d(2024, 5, 1), d(2024, 5, 31))
        );
    }

    #[test]
    fn periods_list_every_clipped_period_of_an_assignment() {
        let a = (d(2024, 1, 4), d(2024, 1, 20));
        assert_eq!(
            periods(Period::Week, a),
            vec![
                (d(2024, 1, 4), d(2024, 1, 7)),
                (d(2024, 1, 8), d(2024, 1, 14)),
                (d(2024, 1, 15), d(2024, 1, 20)),
            ]
        );
        assert_eq!(
            periods(Period::Month, (d(2024, 3, 15), d(2024, 9, 14))).len(),
            7
        );
        assert_eq!(periods(Period::Quarter, YEAR_2024).len(), 4);
        assert_eq!(periods(Period::Assignment, YEAR_2024), vec![YEAR_2024]);
        assert_eq!(
            periods(Period::Year, (d(2024, 5, 5), d(2024, 5, 5))),
            vec![(d(2024, 5, 5), d(2024, 5, 5))]
        );
    }

    // ---- consecutive months --------------------------------------------

    #[test]
    fn longest_consecutive_months_counts_runs_across_a_year_end() {
        assert_eq!(longest_consecutive_months(&BTreeSet::new()), 0);
        assert_eq!(longest_consecutive_months(&months(&[(2024, 5)])), 1);
        assert_eq!(
            longest_consecutive_months(&months(&[
                (2023, 10),
                (2023, 11),
                (2023, 12),
                (2024, 1),
                (2024, 2)
            ])),
            5
        );
        assert_eq!(
            longest_consecutive_months(&months(&[
                (2024, 1),
                (2024, 2),
                (2024, 4),
                (2024, 5),
                (2024, 6)
            ])),
            3
        );
        // The same month a year apart is not consecutive.
        assert_eq!(
            longest_consecutive_months(&months(&[(2023, 5), (2024, 5)])),
            1
        );
        assert_eq!(
            longest_consecutive_months(&months(&[(2024, 0), (2024, 13), (2024, 1)])),
            1
        );
    }

    // ---- tally ----------------------------------------------------------

    fn day(credit: DayCredit, qualifying: u32) -> DayCreditSummary {
        DayCreditSummary {
            credit,
            qualifying_visits: qualifying,
            credited_minutes: i64::from(credit.half_days()) * 180,
            ..DayCreditSummary::default()
        }
    }

    #[test]
    fn tally_sums_only_days_inside_the_period() {
        let days: BTreeMap<_, _> = [
            (d(2024, 1, 31), day(DayCredit::Full, 1)),
            (d(2024, 2, 1), day(DayCredit::Half, 1)),
            (d(2024, 2, 2), day(DayCredit::Full, 2)),
            (d(2024, 2, 3), day(DayCredit::None, 0)),
            (d(2024, 3, 1), day(DayCredit::Full, 1)),
        ]
        .into_iter()
        .collect();
        let t = Tally::from_days(&days, (d(2024, 2, 1), d(2024, 2, 29)));
        assert_eq!(t.credited_half_days, 3);
        assert_eq!(t.credited_days, 1.5);
        assert_eq!(t.qualifying_visits, 3);
        assert_eq!(t.active_months, months(&[(2024, 2)]));
        let all = Tally::from_days(&days, OPEN);
        assert_eq!(
            all.active_months,
            months(&[(2024, 1), (2024, 2), (2024, 3)])
        );

        let outpatient: BTreeMap<_, _> = [
            (d(2024, 2, 2), day(DayCredit::Half, 1)),
            (d(2024, 3, 1), day(DayCredit::Full, 1)),
        ]
        .into_iter()
        .collect();
        let t = t.with_activity(&outpatient, (d(2024, 2, 1), d(2024, 2, 29)));
        assert_eq!((t.activity_half_days, t.activity_visits), (1, 1));
    }

    // ---- evaluate -------------------------------------------------------

    const FEB: (NaiveDate, NaiveDate) = (
        NaiveDate::from_ymd_opt(2024, 2, 1).unwrap(),
        NaiveDate::from_ymd_opt(2024, 2, 29).unwrap(),
    );
    /// Monday 2024-03-04 to Sunday 2024-03-10.
    const WEEK: (NaiveDate, NaiveDate) = (
        NaiveDate::from_ymd_opt(2024, 3, 4).unwrap(),
        NaiveDate::from_ymd_opt(2024, 3, 10).unwrap(),
    );

    #[test]
    fn met_as_soon_as_credit_reaches_the_minimum_even_mid_period() {
        let r = req(min_days(Period::Month, 1.0));
        let p = evaluate(&r, FEB, &tally_days(2), d(2024, 2, 3));
        assert_eq!(
            p,
            RequirementProgress {
                required: 1.0,
                credited: 1.0,
                status: Progress::Met
            }
        );
        // Two half days make the one day as well.
        let p = evaluate(&r, FEB, &tally_days(2), d(2024, 3, 15));
        assert_eq!(p.status, Progress::Met);
    }

    #[test]
    fn missed_only_after_the_last_day_of_the_period() {
        let r = req(min_days(Period::Month, 1.0));
        let half = tally_days(1);
        assert_eq!(
            evaluate(&r, FEB, &half, d(2024, 2, 29)).status,
            Progress::AtRisk
        );
        assert_eq!(
            evaluate(&r, FEB, &half, d(2024, 3, 1)).status,
            Progress::Missed
        );
        assert_eq!(evaluate(&r, FEB, &half, d(2024, 3, 1)).credited, 0.5);
    }

    #[test]
    fn on_track_while_credit_keeps_pace_with_the_elapsed_part_of_the_period() {
        // 3 half-days a week: pace floor(3 x elapsed / 7) half-days.
        let r = req(min_half_days(Period::Week, 3, None));
        let none = tally_days(0);
        let one = tally_days(1);
        // Monday and Tuesday: pace 0 (0.43, 0.86 rounded down).
        assert_eq!(
            evaluate(&r, WEEK, &none, d(2024, 3, 4)).status,
            Progress::OnTrack
        );
        assert_eq!(
            evaluate(&r, WEEK, &none, d(2024, 3, 5)).status,
            Progress::OnTrack
        );
        // Wednesday: 3 x 3 / 7 = 1.29, so one half-day is due.
        assert_eq!(
            evaluate(&r, WEEK, &none, d(2024, 3, 6)).status,
            Progress::AtRisk
        );
        assert_eq!(
            evaluate(&r, WEEK, &one, d(2024, 3, 6)).status,
            Progress::OnTrack
        );
        // Friday: 3 x 5 / 7 = 2.14: two due.
        assert_eq!(
            evaluate(&r, WEEK, &one, d(2024, 3, 8)).status,
            Progress::AtRisk
        );
        assert_eq!(
            evaluate(&r, WEEK, &tally_days(2), d(2024, 3, 8)).status,
            Progress::OnTrack
        );
        // Sunday, the last day: all three due, so two is at risk, not yet missed.
        assert_eq!(
            evaluate(&r, WEEK, &tally_days(2), d(2024, 3, 10)).status,
            Progress::AtRisk
        );
        assert_eq!(
            evaluate(&r, WEEK, &tally_days(2), d(2024, 3, 11)).status,
            Progress::Missed
        );
        assert_eq!(
            evaluate(&r, WEEK, &tally_days(3), d(2024, 3, 10)).status,
            Progress::Met
        );
    }

    #[test]
    fn on_track_before_the_period_starts() {
        let r = req(min_half_days(Period::Week, 3, None));
        let p = evaluate(&r, WEEK, &tally_days(0), d(2024, 3, 1));
        assert_eq!(p.status, Progress::OnTrack);
        assert_eq!(p.required, 3.0);
    }

    #[test]
    fn at_risk_when_the_remaining_days_cannot_hold_what_is_missing() {
        // 5 days a week: with nothing by Thursday only 4 days remain.
        let r = req(min_visits(Period::Week, 5, None));
        let fujian = req(min_days(Period::Week, 5.0));
        let nothing = Tally::default();
        assert_eq!(
            evaluate(&fujian, WEEK, &nothing, d(2024, 3, 7)).status,
            Progress::AtRisk
        );
        // Pace alone would already flag Tuesday (5 x 2 / 7 = 1.4 -> 1 due).
        assert_eq!(
            evaluate(&r, WEEK, &nothing, d(2024, 3, 5)).status,
            Progress::AtRisk
        );
        // Five days of seven leave no slack: half a day is due on Monday already.
        assert_eq!(
            evaluate(&fujian, WEEK, &nothing, d(2024, 3, 4)).status,
            Progress::AtRisk
        );
        assert_eq!(
            evaluate(&fujian, WEEK, &tally_days(1), d(2024, 3, 4)).status,
            Progress::OnTrack
        );
        // Monthly 4 days with 1 credited and 2 days left: unreachable.
        let guangshan = req(min_days(Period::Month, 4.0));
        let p = evaluate(&guangshan, FEB, &tally_days(2), d(2024, 2, 28));
        assert_eq!(p.status, Progress::AtRisk);
        assert_eq!((p.required, p.credited), (4.0, 1.0));
    }

    #[test]
    fn days_measure_keeps_pace_in_half_day_steps() {
        let r = req(min_days(Period::Month, 1.0));
        // February has 29 days: half a day is due from day 15 (1 x 15/29 = 0.52).
        assert_eq!(
            evaluate(&r, FEB, &tally_days(0), d(2024, 2, 14)).status,
            Progress::OnTrack
        );
        assert_eq!(
            evaluate(&r, FEB, &tally_days(0), d(2024, 2, 15)).status,
            Progress::AtRisk
        );
        assert_eq!(
            evaluate(&r, FEB, &tally_days(1), d(2024, 2, 15)).status,
            Progress::OnTrack
        );
    }

    #[test]
    fn a_period_cut_short_by_the_assignment_asks_proportionally_less() {
        // Assignment starts Saturday 2024-03-09: the first week has 2 of 7 days.
        let stub = (d(2024, 3, 9), d(2024, 3, 10));
        let r = req(min_half_days(Period::Week, 3, None));
        let p = evaluate(&r, stub, &tally_days(1), d(2024, 3, 9));
        assert_eq!(p.required, 1.0, "3 x 2/7 = 0.86 rounded up");
        assert_eq!(p.status, Progress::Met);
        // Days are rounded up to half a day, and never to nothing.
        let monthly = req(min_days(Period::Month, 1.0));
        let last_day = (d(2024, 2, 29), d(2024, 2, 29));
        assert_eq!(
            evaluate(&monthly, last_day, &tally_days(0), d(2024, 2, 29)).required,
            0.5
        );
        let half_month = (d(2024, 2, 1), d(2024, 2, 15));
        assert_eq!(
            evaluate(&monthly, half_month, &tally_days(0), d(2024, 2, 1)).required,
            1.0
        );
        let guangshan = req(min_days(Period::Month, 4.0));
        assert_eq!(
            evaluate(&guangshan, half_month, &tally_days(0), d(2024, 2, 1)).required,
            2.5
        );
        // A whole period asks for the full minimum.
        assert_eq!(
            evaluate(&guangshan, FEB, &tally_days(0), d(2024, 2, 1)).required,
            4.0
        );
    }

    #[test]
    fn activity_requirements_count_only_the_activity_figures() {
        let outpatient = req(min_half_days(
            Period::Week,
            2,
            Some(ActivityKind::Outpatient),
        ));
        let t = Tally {
            activity_half_days: 1,
            ..tally_days(6)
        };
        let p = evaluate(&outpatient, WEEK, &t, d(2024, 3, 11));
        assert_eq!(
            (p.required, p.credited, p.status),
            (2.0, 1.0, Progress::Missed)
        );

        let rounds = req(min_visits(Period::Week, 2, Some(ActivityKind::WardRound)));
        let t = Tally {
            qualifying_visits: 5,
            activity_visits: 2,
            ..Tally::default()
        };
        assert_eq!(
            evaluate(&rounds, WEEK, &t, d(2024, 3, 8)).status,
            Progress::Met
        );

        let training = req(min_visits(Period::Month, 1, Some(ActivityKind::Training)));
        let p = evaluate(
            &training,
            FEB,
            &Tally {
                qualifying_visits: 8,
                ..Tally::default()
            },
            d(2024, 3, 1),
        );
        assert_eq!(p.status, Progress::Missed);

        let teaching_days = req(RequirementSpec {
            min_days: Some(1.0),
            activity: Some(ActivityKind::Teaching),
            ..spec(Period::Month)
        });
        let t = Tally {
            activity_half_days: 2,
            ..Tally::default()
        };
        assert_eq!(
            evaluate(&teaching_days, FEB, &t, d(2024, 2, 10)).status,
            Progress::Met
        );
    }

    #[test]
    fn visits_measure_counts_qualifying_visits() {
        let r = req(min_visits(Period::Week, 2, None));
        let t = Tally {
            qualifying_visits: 2,
            ..tally_days(1)
        };
        assert_eq!(evaluate(&r, WEEK, &t, d(2024, 3, 6)).status, Progress::Met);
        let t = Tally {
            qualifying_visits: 1,
            ..tally_days(4)
        };
        let p = evaluate(&r, WEEK, &t, d(2024, 3, 11));
        assert_eq!((p.credited, p.status), (1.0, Progress::Missed));
    }

    #[test]
    fn consecutive_span_is_met_by_six_active_months_in_a_row() {
        let r = req(consecutive_months(6));
        let posting = (d(2024, 3, 15), d(2024, 12, 31));
        let t = Tally {
            active_months: months(&[
                (2024, 3),
                (2024, 4),
                (2024, 5),
                (2024, 6),
                (2024, 7),
                (2024, 8),
            ]),
            ..Tally::default()
        };
        let p = evaluate(&r, posting, &t, d(2024, 9, 1));
        assert_eq!(
            (p.required, p.credited, p.status),
            (6.0, 6.0, Progress::Met)
        );
    }

    #[test]
    fn consecutive_span_is_on_track_while_the_run_can_still_reach_it() {
        let r = req(consecutive_months(6));
        let posting = (d(2024, 3, 1), d(2024, 8, 31));
        let t = Tally {
            active_months: months(&[(2024, 3), (2024, 4)]),
            ..Tally::default()
        };
        // May not yet credited, but March-April plus May-August makes 6.
        assert_eq!(
            evaluate(&r, posting, &t, d(2024, 5, 2)).status,
            Progress::OnTrack
        );
        assert_eq!(
            evaluate(&r, posting, &Tally::default(), d(2024, 2, 1)).status,
            Progress::OnTrack
        );
    }

    #[test]
    fn consecutive_span_is_at_risk_once_a_gap_leaves_too_few_months() {
        let r = req(consecutive_months(6));
        let posting = (d(2024, 3, 1), d(2024, 9, 30));
        // April had no credit: from May only 5 months remain.
        let t = Tally {
            active_months: months(&[(2024, 3), (2024, 5)]),
            ..Tally::default()
        };
        assert_eq!(
            evaluate(&r, posting, &t, d(2024, 5, 20)).status,
            Progress::AtRisk
        );
        assert_eq!(
            evaluate(&r, posting, &t, d(2024, 10, 1)).status,
            Progress::Missed
        );
        // A posting shorter than six calendar months can never make it.
        let short = (d(2024, 3, 1), d(2024, 7, 31));
        assert_eq!(
            evaluate(&r, short, &Tally::default(), d(2024, 1, 1)).status,
            Progress::AtRisk
        );
        // Months outside the posting do not count toward it.
        let t = Tally {
            active_months: months(&[
                (2024, 1),
                (2024, 2),
                (2024, 3),
                (2024, 4),
                (2024, 5),
                (2024, 6),
            ]),
            ..Tally::default()
        };
        assert_eq!(evaluate(&r, posting, &t, d(2024, 7, 1)).credited, 4.0);
    }

    // ---- templates ------------------------------------------------------

    #[test]
    fn every_template_parses_with_valid_thresholds_and_a_unique_key() {
        use crate::domain::crediting::Thresholds;
        let all = templates();
        assert_eq!(all.len(), 8);
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
        assert_eq!(described("fujian-2023-village-circuit"), ["每周不少于2次"]);
        assert_eq!(
            described("fujian-2023-village-dispatch"),
            ["每周不少于5次", "连续服务不少于6个月"]
        );
        assert_eq!(
            described("fujian-2023-township-dispatch"),
            ["连续服务不少于6个月"]
        );
        assert_eq!(
            described("guangshan-2021"),
            ["每月不少于4天", "每月培训不少于1次"]
        );
        assert!(template("nowhere-1999").is_none());
    }

    #[test]
    fn templates_serialize_requirements_in_the_api_wire_form() {
        let json = serde_json::to_value(template("guangshan-2021").unwrap()).unwrap();
        assert_eq!(
            json["requirements"],
            serde_json::json!([
                {"period": "month", "min_days": 4.0},
                {"period": "month", "min_visits": 1, "activity": "training"}
            ])
        );
        assert_eq!(json["half_day_minutes"], 180);
    }
}
