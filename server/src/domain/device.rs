//! The phone a physician's scans are expected from (the bound device) and when the
//! physician may move that binding to a new phone themselves.

use chrono::{DateTime, Duration, Utc};

/// `CHECKIN_DEVICE_SELF_MOVE_DAYS` default: phones are replaced every two to three
/// years; a physician who moves their binding themselves more than once a quarter is
/// asked to go through their hospital's administrator (the move becomes a request).
pub const DEFAULT_DEVICE_SELF_MOVE_DAYS: i64 = 90;

/// The first instant a self-service move is allowed after a binding made at
/// `bound_at`: a first binding (none yet) may be made at once.
pub fn next_move_from(bound_at: Option<DateTime<Utc>>, period: Duration) -> Option<DateTime<Utc>> {
    bound_at.map(|at| at + period)
}

/// Whether the physician may move the binding themselves at `now`.
pub fn may_move(bound_at: Option<DateTime<Utc>>, now: DateTime<Utc>, period: Duration) -> bool {
    next_move_from(bound_at, period).is_none_or(|from| from <= now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_binding_moves_once_per_period() {
        let t = DateTime::from_timestamp(1_780_000_000, 0).expect("instant");
        let month = Duration::days(30);
        assert!(may_move(None, t, month));
        assert!(!may_move(Some(t), t + Duration::days(29), month));
        assert!(may_move(Some(t), t + month, month));
        assert_eq!(next_move_from(Some(t), month), Some(t + month));
    }

    #[test]
    fn a_self_service_move_is_granted_once_per_quarter_counted_from_the_last_one() {
        let t = DateTime::from_timestamp(1_780_000_000, 0).expect("instant");
        let quarter = Duration::days(DEFAULT_DEVICE_SELF_MOVE_DAYS);
        // Never moved themselves: granted now, however recent the first binding.
        assert!(may_move(None, t, quarter));
        assert!(!may_move(Some(t), t + Duration::days(89), quarter));
        assert!(may_move(Some(t), t + Duration::days(90), quarter));
    }
}
