//! One requirement: what it counts ([`Measure`]), its wire form
//! ([`RequirementSpec`]) and the validation that turns one into the other, or says
//! which field is wrong.

use serde::{Deserialize, Serialize};

use super::activity::ActivityKind;
use super::period::Period;

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
    /// Distinct days with at least a half-day credited (日, "每周派驻不少于5日，每日不少于
    /// 半天"): two visits on one day are one day, a half-day is a whole one.
    DaysServed,
    /// Credited days on working days only (工作日, "每月不少于4个工作日"): a half-day
    /// counts 0.5; a weekend or a holiday counts nothing, a weekend made a working
    /// day (调休) counts (see [`crate::domain::workdays`]).
    WorkingDays,
    /// The total count logged for the requirement's activity (诊疗人次目标, e.g.
    /// "每月门诊诊疗不少于300人次"): the newest record of each (visit, activity) on the
    /// period's creditable visits, summed as the monthly report sums it.
    ActivityCount,
}

impl Measure {
    pub fn as_str(&self) -> &'static str {
        match self {
            Measure::Days => "days",
            Measure::HalfDays => "half_days",
            Measure::Visits => "visits",
            Measure::DaysServed => "days_served",
            Measure::WorkingDays => "working_days",
            Measure::ActivityCount => "activity_count",
        }
    }

    /// The smallest step credit moves in: half a day for days, one otherwise.
    pub(super) fn granularity(&self) -> f64 {
        match self {
            Measure::Days | Measure::WorkingDays => 0.5,
            Measure::HalfDays | Measure::Visits | Measure::DaysServed | Measure::ActivityCount => {
                1.0
            }
        }
    }

    /// The most one day can add. A day is capped at one full day (two
    /// half-days); for visits a morning and an afternoon session is the
    /// realistic most, so the pace check assumes two. A day can hold any count of
    /// patients, so a workload target is at risk only by falling behind pace.
    pub(super) fn per_day_capacity(&self) -> f64 {
        match self {
            Measure::Days | Measure::DaysServed | Measure::WorkingDays => 1.0,
            Measure::HalfDays | Measure::Visits => 2.0,
            Measure::ActivityCount => f64::INFINITY,
        }
    }

    fn unit_zh(&self) -> &'static str {
        match self {
            Measure::Days => "天",
            Measure::HalfDays => "个半天",
            Measure::Visits => "次",
            Measure::DaysServed => "日（每日至少半天）",
            Measure::WorkingDays => "个工作日",
            // Stated by the activity (人次, 次, 人, 项): see `describe_zh`.
            Measure::ActivityCount => "",
        }
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
    /// Distinct days with at least a half-day credited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_days_served: Option<u32>,
    /// Credited days on working days (mainland calendar with 调休).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_working_days: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity: Option<ActivityKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_consecutive_months: Option<u32>,
    /// A workload target: the total count of `activity` logged in the period
    /// (e.g. 300 outpatients a month); needs `activity`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_activity_count: Option<u32>,
}

impl RequirementSpec {
    /// A spec with only the period set; fill in one minimum.
    pub fn new(period: Period) -> Self {
        Self {
            period,
            min_days: None,
            min_half_days: None,
            min_visits: None,
            min_days_served: None,
            min_working_days: None,
            activity: None,
            min_consecutive_months: None,
            min_activity_count: None,
        }
    }
}

/// Why a requirement spec was refused. `Display` starts with the field name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequirementError {
    #[error(
        "min_days: one of min_days, min_half_days, min_visits, min_days_served, min_working_days, min_activity_count or min_consecutive_months is required"
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
            ("min_days_served", spec.min_days_served.is_some()),
            ("min_working_days", spec.min_working_days.is_some()),
            ("min_activity_count", spec.min_activity_count.is_some()),
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
        } else if let Some(days) = spec.min_days_served {
            (Measure::DaysServed, days)
        } else if let Some(days) = spec.min_working_days {
            if spec.activity.is_some() {
                return Err(RequirementError::invalid(
                    "activity",
                    "a working-day count counts any credited day and cannot be limited to an activity",
                ));
            }
            (Measure::WorkingDays, days)
        } else if let Some(count) = spec.min_activity_count {
            if spec.activity.is_none() {
                return Err(RequirementError::invalid(
                    "activity",
                    "a workload target (min_activity_count) counts one activity: name it",
                ));
            }
            (Measure::ActivityCount, count)
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
            Measure::Days | Measure::DaysServed | Measure::WorkingDays => Some(minimum),
            Measure::HalfDays => Some(minimum.div_ceil(2)),
            Measure::Visits | Measure::ActivityCount => None,
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
            Measure::DaysServed => spec.min_days_served = Some(self.minimum),
            Measure::WorkingDays => spec.min_working_days = Some(self.minimum),
            Measure::ActivityCount => spec.min_activity_count = Some(self.minimum),
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
        if let (Measure::ActivityCount, Some(activity)) = (self.measure, self.activity) {
            return format!(
                "{}{}不少于{}{}",
                self.period.label_zh(),
                activity.workload_zh(),
                self.minimum,
                activity.unit_zh()
            );
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

#[cfg(test)]
mod tests {
    use super::super::templates::{consecutive_months, min_days, min_half_days, min_visits, spec};
    use super::super::testing::*;
    use super::*;
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
            serde_json::from_str::<RequirementSpec>(r#"{"period":"decade","min_days":1}"#).is_err()
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
    fn a_workload_target_counts_one_named_activity() {
        let target: RequirementSpec = serde_json::from_str(
            r#"{"period":"month","activity":"outpatient","min_activity_count":300}"#,
        )
        .unwrap();
        let r = req(target.clone());
        assert_eq!(
            (r.period, r.measure, r.minimum, r.activity),
            (
                Period::Month,
                Measure::ActivityCount,
                300,
                Some(ActivityKind::Outpatient)
            )
        );
        assert_eq!(r.to_spec(), target);
        assert_eq!(r.describe_zh(), "每月门诊诊疗不少于300人次");
        // Beyond what days could hold: a count is not bounded by the period's days.
        let mut weekly = target.clone();
        weekly.period = Period::Week;
        weekly.min_activity_count = Some(5000);
        assert!(Requirement::from_spec(weekly).is_ok());

        let mut unnamed = target.clone();
        unnamed.activity = None;
        assert_eq!(err(unnamed).field(), "activity");
        let mut zero = target.clone();
        zero.min_activity_count = Some(0);
        assert_eq!(err(zero).field(), "min_activity_count");
        let mut both = target;
        both.min_visits = Some(2);
        assert_eq!(err(both).field(), "min_activity_count");
        let signed = req(RequirementSpec {
            activity: Some(ActivityKind::FamilyDoctorContract),
            min_activity_count: Some(50),
            ..spec(Period::Quarter)
        });
        assert_eq!(signed.describe_zh(), "每季度家庭医生签约不少于50人");
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
}
