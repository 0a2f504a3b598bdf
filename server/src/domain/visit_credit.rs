//! What one visit is worth on its own (full day, half day, nothing, or not yet
//! known) and why, in words. A day's credit in the reports adds a day's visits up
//! and caps at one day; this is the single visit a supervisor is looking at.

use serde::{Deserialize, Serialize};

use super::crediting::{CreditState, Thresholds};

/// One visit's worth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VisitCredit {
    /// Creditable and at least the programme's full-day minutes.
    Full,
    /// Creditable and at least the half-day minutes.
    Half,
    /// Denied, or creditable but shorter than half a day.
    None,
    /// Still open, or closed with an anomaly not yet reviewed.
    Pending,
}

impl VisitCredit {
    pub const ALL: [VisitCredit; 4] = [
        VisitCredit::Full,
        VisitCredit::Half,
        VisitCredit::None,
        VisitCredit::Pending,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            VisitCredit::Full => "full",
            VisitCredit::Half => "half",
            VisitCredit::None => "none",
            VisitCredit::Pending => "pending",
        }
    }

    pub fn parse(text: &str) -> Option<VisitCredit> {
        VisitCredit::ALL.into_iter().find(|c| c.as_str() == text)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            VisitCredit::Full => "计1天",
            VisitCredit::Half => "计半天",
            VisitCredit::None => "不计入",
            VisitCredit::Pending => "待定",
        }
    }
}

/// Where a visit stands: open, or closed with its review-derived credit state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VisitStanding {
    Open,
    Closed(CreditState),
}

/// Why a visit is worth what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditReason {
    pub credit: VisitCredit,
    pub zh: String,
    pub en: String,
}

/// The visit's worth given where it stands and the minutes it is credited over
/// (check-in to its own or granted check-out; `None` without a check-out).
pub fn classify(standing: VisitStanding, minutes: Option<i64>, t: &Thresholds) -> VisitCredit {
    match standing {
        VisitStanding::Open | VisitStanding::Closed(CreditState::Pending) => VisitCredit::Pending,
        VisitStanding::Closed(CreditState::Denied) => VisitCredit::None,
        VisitStanding::Closed(CreditState::Creditable) => match minutes {
            Some(m) if m >= i64::from(t.full_day_minutes) => VisitCredit::Full,
            Some(m) if m >= i64::from(t.half_day_minutes) => VisitCredit::Half,
            _ => VisitCredit::None,
        },
    }
}

/// The worth and its reason in words. `confirmed` says whether a supervisor
/// confirmed an anomaly on the visit (the reason a closed visit is denied when it
/// did check out).
pub fn explain(
    standing: VisitStanding,
    minutes: Option<i64>,
    confirmed: bool,
    t: &Thresholds,
) -> CreditReason {
    let credit = classify(standing, minutes, t);
    let (half, full) = (t.half_day_minutes, t.full_day_minutes);
    let (zh, en) = match (standing, minutes) {
        (VisitStanding::Open, _) => (
            "尚未签退，结束后按在岗时长计入。".to_owned(),
            "Not checked out yet; credited by the time present once closed.".to_owned(),
        ),
        (VisitStanding::Closed(CreditState::Pending), _) => (
            "有异常尚待核查，核查后确定是否计入。".to_owned(),
            "An anomaly awaits review; credit follows the review.".to_owned(),
        ),
        (VisitStanding::Closed(CreditState::Denied), _) if confirmed => (
            "异常经核查属实，不计入。".to_owned(),
            "An anomaly was confirmed on review: no credit.".to_owned(),
        ),
        (VisitStanding::Closed(CreditState::Denied), _) | (_, None) => (
            "未签退，不计入。".to_owned(),
            "No check-out: no credit.".to_owned(),
        ),
        (VisitStanding::Closed(CreditState::Creditable), Some(m)) => match credit {
            VisitCredit::Full => (
                format!("在岗{m}分钟，达到全天标准（{full}分钟），计1天。"),
                format!("{m} minutes present: reaches the full day of {full} minutes."),
            ),
            VisitCredit::Half => (
                format!(
                    "在岗{m}分钟，达到半天标准（{half}分钟），未达到全天标准（{full}分钟），计半天。"
                ),
                format!(
                    "{m} minutes present: reaches the half day of {half} minutes, not the full day of {full}."
                ),
            ),
            _ => (
                format!("在岗{m}分钟，不足半天标准（{half}分钟），不计入。"),
                format!("{m} minutes present: short of the half day of {half} minutes."),
            ),
        },
    };
    CreditReason { credit, zh, en }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn thresholds() -> Thresholds {
        Thresholds {
            half_day_minutes: 180,
            full_day_minutes: 360,
        }
    }

    #[test]
    fn creditable_visits_are_worth_what_their_minutes_reach() {
        let creditable = VisitStanding::Closed(CreditState::Creditable);
        let t = thresholds();
        assert_eq!(classify(creditable, Some(360), &t), VisitCredit::Full);
        assert_eq!(classify(creditable, Some(359), &t), VisitCredit::Half);
        assert_eq!(classify(creditable, Some(180), &t), VisitCredit::Half);
        assert_eq!(classify(creditable, Some(179), &t), VisitCredit::None);
        assert_eq!(classify(creditable, None, &t), VisitCredit::None);
    }

    #[test]
    fn open_and_unreviewed_visits_are_pending_and_denied_ones_worth_nothing() {
        let t = thresholds();
        assert_eq!(
            classify(VisitStanding::Open, None, &t),
            VisitCredit::Pending
        );
        assert_eq!(
            classify(VisitStanding::Closed(CreditState::Pending), Some(400), &t),
            VisitCredit::Pending
        );
        assert_eq!(
            classify(VisitStanding::Closed(CreditState::Denied), Some(400), &t),
            VisitCredit::None
        );
    }

    #[test]
    fn the_reason_names_the_minutes_and_the_thresholds() {
        let reason = explain(
            VisitStanding::Closed(CreditState::Creditable),
            Some(200),
            false,
            &thresholds(),
        );
        assert_eq!(reason.credit, VisitCredit::Half);
        assert_eq!(
            reason.zh,
            "在岗200分钟，达到半天标准（180分钟），未达到全天标准（360分钟），计半天。"
        );
        let confirmed = explain(
            VisitStanding::Closed(CreditState::Denied),
            Some(400),
            true,
            &thresholds(),
        );
        assert_eq!(confirmed.zh, "异常经核查属实，不计入。");
    }

    #[test]
    fn credits_round_trip_their_names() {
        for credit in VisitCredit::ALL {
            assert_eq!(VisitCredit::parse(credit.as_str()), Some(credit));
        }
        assert_eq!(VisitCredit::parse("creditable"), None);
    }
}
