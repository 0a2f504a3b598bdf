//! A program's (方案) requirements and a physician's progress toward them.
//!
//! DOMAIN.md: a requirement is a period (`week`, `month`, `quarter`, `year` or
//! the whole assignment), a minimum count of credited days, half-days or
//! visits (a visit counts when it reaches the half-day threshold), optionally
//! limited to one activity (outpatient half-days, ward rounds, trainings), a
//! workload target (a minimum total count of one activity, 诊疗人次目标), or a
//! minimum consecutive span of months (连续驻点不少于6个月). Every rule of the
//! five seed circulars is expressed in [`templates()`].
//!
//! One concept a file: `period` (the spans counted over, and runs of months),
//! `activity` (the kinds of work logged), `rule` (a requirement, its wire form and
//! its validation), `progress` (the tally and the judgement) and `templates` (the
//! seed circulars' programs). Everything public is re-exported here.

mod activity;
mod period;
mod progress;
mod rule;
mod templates;

pub use activity::{ActivityKind, UnknownActivity};
pub use period::{Period, longest_consecutive_months, month_of, period_containing, periods};
pub use progress::{
    Progress, RequirementProgress, Tally, evaluate, evaluate_part, months_that_count,
};
pub use rule::{Measure, Requirement, RequirementError, RequirementSpec};
pub use templates::{ProgramTemplate, template, templates};

/// Builders the tests of every part share.
#[cfg(test)]
mod testing {
    use std::collections::BTreeSet;

    use chrono::NaiveDate;

    use super::{Requirement, RequirementError, RequirementSpec, Tally};

    pub(super) const YEAR_2024: (NaiveDate, NaiveDate) = (
        NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
        NaiveDate::from_ymd_opt(2024, 12, 31).unwrap(),
    );
    pub(super) const OPEN: (NaiveDate, NaiveDate) = (
        NaiveDate::from_ymd_opt(2000, 1, 1).unwrap(),
        NaiveDate::from_ymd_opt(2099, 12, 31).unwrap(),
    );

    pub(super) fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    pub(super) fn req(spec: RequirementSpec) -> Requirement {
        Requirement::from_spec(spec).unwrap()
    }

    pub(super) fn err(spec: RequirementSpec) -> RequirementError {
        Requirement::from_spec(spec).unwrap_err()
    }

    pub(super) fn tally_days(half_days: u32) -> Tally {
        Tally {
            credited_days: f64::from(half_days) / 2.0,
            credited_half_days: half_days,
            ..Tally::default()
        }
    }

    pub(super) fn months(list: &[(i32, u32)]) -> BTreeSet<(i32, u32)> {
        list.iter().copied().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
