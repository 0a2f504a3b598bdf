//! An assignment's daily time window and date range, judged in the site's local time.
//!
//! A check-in is valid only when the physician holds an assignment (对口支援安排)
//! covering the site's local date and the local time is inside the assignment's
//! daily window (DOMAIN.md, "What makes a check-in valid", rule 2). A few minutes
//! either side of the window are accepted but flagged `outside_window_edge`, so a
//! physician who arrives early or leaves late is not turned away at the door.

use std::fmt;

use chrono::{DateTime, Days, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc};
use chrono_tz::Tz;

/// Minutes before the window opens or after it closes that are still accepted
/// (with an `outside_window_edge` anomaly) unless the caller configures otherwise.
pub const DEFAULT_EDGE_GRACE_MINUTES: i64 = 30;

/// Why a daily window could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WindowError {
    /// The text is not a 24-hour `HH:MM` time; `field` is `window_start` or `window_end`.
    #[error("{field}: expected a 24-hour time as HH:MM, got {value:?}")]
    InvalidTime { field: &'static str, value: String },
    /// The window closes at or before it opens. Overnight windows are not
    /// supported because credit is counted per local calendar day.
    #[error(
        "window_end: must be after window_start ({start} >= {end}); overnight windows are not supported"
    )]
    EndNotAfterStart { start: String, end: String },
}

impl WindowError {
    /// The request field the error is about, for a 400 `invalid_request` detail.
    pub fn field(&self) -> &'static str {
        match self {
            WindowError::InvalidTime { field, .. } => field,
            WindowError::EndNotAfterStart { .. } => "window_end",
        }
    }
}

/// The daily time window of an assignment (定时: the fixed hours of a circuit
/// or resident posting), in the site's local wall-clock time.
///
/// Both ends are inclusive at minute precision: a window `08:00`-`17:00` accepts
/// anything from 08:00:00 up to 17:00:59, because the window is written in
/// whole minutes and a scan during the closing minute is on time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DailyWindow {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl DailyWindow {
    /// Builds a window from two times; the end must be after the start.
    pub fn new(start: NaiveTime, end: NaiveTime) -> Result<Self, WindowError> {
        if end <= start {
            return Err(WindowError::EndNotAfterStart {
                start: format_hhmm(start),
                end: format_hhmm(end),
            });
        }
        Ok(Self { start, end })
    }

    /// Parses the wire form `("HH:MM", "HH:MM")` of `window_start`/`window_end`.
    pub fn parse(start: &str, end: &str) -> Result<Self, WindowError> {
        let start = parse_hhmm(start, "window_start")?;
        let end = parse_hhmm(end, "window_end")?;
        Self::new(start, end)
    }

    /// Whether a local wall-clock time falls inside the window (both ends
    /// inclusive, compared at minute precision).
    pub fn contains(&self, local: NaiveTime) -> bool {
        let minute = truncate_to_minute(local);
        self.start <= minute && minute <= self.end
    }

    /// `window_start` as `HH:MM`.
    pub fn start_hhmm(&self) -> String {
        format_hhmm(self.start)
    }

    /// `window_end` as `HH:MM`.
    pub fn end_hhmm(&self) -> String {
        format_hhmm(self.end)
    }
}

impl fmt::Display for DailyWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", format_hhmm(self.start), format_hhmm(self.end))
    }
}

/// Strict `HH:MM` (two digits each): lenient parsing would let `7:5` through and
/// make stored windows ambiguous when they are shown back to a hospital.
fn parse_hhmm(value: &str, field: &'static str) -> Result<NaiveTime, WindowError> {
    let invalid = || WindowError::InvalidTime {
        field,
        value: value.to_owned(),
    };
    let bytes = value.as_bytes();
    let well_formed = bytes.len() == 5
        && bytes[2] == b':'
        && [0, 1, 3, 4].iter().all(|&i| bytes[i].is_ascii_digit());
    if !well_formed {
        return Err(invalid());
    }
    let hour = u32::from(bytes[0] - b'0') * 10 + u32::from(bytes[1] - b'0');
    let minute = u32::from(bytes[3] - b'0') * 10 + u32::from(bytes[4] - b'0');
    NaiveTime::from_hms_opt(hour, minute, 0).ok_or_else(invalid)
}

fn format_hhmm(time: NaiveTime) -> String {
    time.format("%H:%M").to_string()
}

fn truncate_to_minute(time: NaiveTime) -> NaiveTime {
    // hour and minute come from a valid time, so this always succeeds; falling
    // back to the input keeps the function total without a panic path.
    NaiveTime::from_hms_opt(time.hour(), time.minute(), 0).unwrap_or(time)
}

/// The site's local wall-clock date and time of an instant.
pub fn local_datetime(at: DateTime<Utc>, tz: Tz) -> NaiveDateTime {
    at.with_timezone(&tz).naive_local()
}

/// The site's local calendar date of an instant (the day credit is booked on).
pub fn local_date(at: DateTime<Utc>, tz: Tz) -> NaiveDate {
    local_datetime(at, tz).date()
}

/// Whether an inclusive date range `(first, last)` covers `date`.
/// An inverted range covers nothing.
pub fn covers_date(range: (NaiveDate, NaiveDate), date: NaiveDate) -> bool {
    range.0 <= date && date <= range.1
}

/// How a check-in instant relates to an assignment's window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowCheck {
    /// On a covered date and inside the daily window: accept.
    Inside,
    /// Within the grace either side of the window on a covered date: accept
    /// but raise `outside_window_edge`. `minutes_outside` is >= 1.
    OutsideEdge { minutes_outside: i64 },
    /// Too far from the window, or no covered date nearby: refuse with
    /// `outside_window`.
    Outside,
}

/// Judges a check-in (or check-out) instant against an assignment.
///
/// The instant is converted to the site's local time. The window of every
/// covered date next to the local date is considered (the day before, the day
/// itself, the day after), because a grace period can reach across local
/// midnight: with a window opening at 00:10 a scan at 23:50 the evening before
/// is 20 minutes early for the next day's window, not 16 hours late.
/// Distances are wall-clock minutes, the way the window itself is written.
///
/// `edge_grace_minutes` is usually [`DEFAULT_EDGE_GRACE_MINUTES`]; a negative
/// value is treated as no grace. A scan exactly `edge_grace_minutes` away is
/// still an edge case; one minute more is `Outside`.
pub fn check(
    window: &DailyWindow,
    date_range: (NaiveDate, NaiveDate),
    at: DateTime<Utc>,
    tz: Tz,
    edge_grace_minutes: i64,
) -> WindowCheck {
    let grace = edge_grace_minutes.max(0);
    let local = local_datetime(at, tz);
    let local_minute = local.date().and_time(truncate_to_minute(local.time()));
    let today = local.date();

    let candidates = [
        today.checked_sub_days(Days::new(1)),
        Some(today),
        today.checked_add_days(Days::new(1)),
    ];
    let nearest = candidates
        .into_iter()
        .flatten()
        .filter(|date| covers_date(date_range, *date))
        .map(|date| minutes_from_window(window, date, local_minute))
        .min();

    match nearest {
        Some(0) => WindowCheck::Inside,
        Some(minutes) if minutes <= grace => WindowCheck::OutsideEdge {
            minutes_outside: minutes,
        },
        _ => WindowCheck::Outside,
    }
}

/// Wall-clock minutes between `local_minute` and the window on `date`
/// (0 when inside).
fn minutes_from_window(window: &DailyWindow, date: NaiveDate, local_minute: NaiveDateTime) -> i64 {
    let opens = date.and_time(window.start);
    let closes = date.and_time(window.end);
    if local_minute < opens {
        (opens - local_minute).num_minutes()
    } else if local_minute > closes {
        (local_minute - closes).num_minutes()
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use chrono_tz::Asia::Shanghai;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn utc(y: i32, m: u32, day: u32, h: u32, min: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, day, h, min, s).unwrap()
    }

    /// A Shanghai wall-clock instant (UTC+8, no DST) as UTC.
    fn sh(y: i32, m: u32, day: u32, h: u32, min: u32, s: u32) -> DateTime<Utc> {
        Shanghai
            .with_ymd_and_hms(y, m, day, h, min, s)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn office_hours() -> DailyWindow {
        DailyWindow::parse("08:00", "17:00").unwrap()
    }

    const MARCH: (NaiveDate, NaiveDate) = (
        NaiveDate::from_ymd_opt(2024, 3, 1).unwrap(),
        NaiveDate::from_ymd_opt(2024, 3, 31).unwrap(),
    );

    #[test]
    fn parse_accepts_two_digit_hours_and_minutes() {
        let w = DailyWindow::parse("07:30", "17:45").unwrap();
        assert_eq!(w.start, NaiveTime::from_hms_opt(7, 30, 0).unwrap());
        assert_eq!(w.end, NaiveTime::from_hms_opt(17, 45, 0).unwrap());
        assert_eq!(w.to_string(), "07:30-17:45");
        assert_eq!(w.start_hhmm(), "07:30");
        assert_eq!(w.end_hhmm(), "17:45");
    }

    #[test]
    fn parse_rejects_malformed_times_naming_the_field() {
        for bad in [
            "7:30", "07:3", "0730", "24:00", "07:60", "", "07:30:00", "ab:cd", "０7:30",
        ] {
            let err = DailyWindow::parse(bad, "17:00").unwrap_err();
            assert_eq!(err.field(), "window_start", "{bad:?}");
            let err = DailyWindow::parse("08:00", bad).unwrap_err();
            assert_eq!(err.field(), "window_end", "{bad:?}");
        }
    }

    #[test]
    fn parse_rejects_end_not_after_start_as_overnight_windows_are_unsupported() {
        let same = DailyWindow::parse("08:00", "08:00").unwrap_err();
        assert!(matches!(same, WindowError::EndNotAfterStart { .. }));
        assert_eq!(same.field(), "window_end");
        let overnight = DailyWindow::parse("22:00", "06:00").unwrap_err();
        assert!(matches!(overnight, WindowError::EndNotAfterStart { .. }));
        assert!(overnight.to_string().starts_with("window_end:"));
    }

    #[test]
    fn contains_includes_both_ends_at_minute_precision() {
        let w = office_hours();
        let t = |h, m, s| NaiveTime::from_hms_opt(h, m, s).unwrap();
        assert!(w.contains(t(8, 0, 0)));
        assert!(w.contains(t(12, 0, 0)));
        assert!(w.contains(t(17, 0, 0)));
        assert!(w.contains(t(17, 0, 59)));
        assert!(!w.contains(t(7, 59, 59)));
        assert!(!w.contains(t(17, 1, 0)));
    }

    #[test]
    fn local_date_in_shanghai_turns_over_at_1600_utc() {
        assert_eq!(
            local_date(utc(2024, 3, 4, 15, 59, 59), Shanghai),
            d(2024, 3, 4)
        );
        assert_eq!(
            local_date(utc(2024, 3, 4, 16, 0, 0), Shanghai),
            d(2024, 3, 5)
        );
        assert_eq!(
            local_datetime(utc(2024, 3, 4, 16, 0, 0), Shanghai),
            d(2024, 3, 5).and_hms_opt(0, 0, 0).unwrap()
        );
    }

    #[test]
    fn check_in_exactly_at_window_start_and_end_is_inside() {
        let w = office_hours();
        assert_eq!(
            check(&w, MARCH, sh(2024, 3, 4, 8, 0, 0), Shanghai, 30),
            WindowCheck::Inside
        );
        assert_eq!(
            check(&w, MARCH, sh(2024, 3, 4, 17, 0, 0), Shanghai, 30),
            WindowCheck::Inside
        );
        // 08:00 Shanghai is 00:00 UTC: the UTC date is the same here, but the
        // judgement must come from local time.
        assert_eq!(
            check(&w, MARCH, utc(2024, 3, 4, 0, 0, 0), Shanghai, 30),
            WindowCheck::Inside
        );
    }

    #[test]
    fn check_in_within_grace_before_start_or_after_end_is_an_edge_case() {
        let w = office_hours();
        assert_eq!(
            check(&w, MARCH, sh(2024, 3, 4, 7, 59, 0), Shanghai, 30),
            WindowCheck::OutsideEdge { minutes_outside: 1 }
        );
        assert_eq!(
            check(&w, MARCH, sh(2024, 3, 4, 7, 30, 0), Shanghai, 30),
            WindowCheck::OutsideEdge {
                minutes_outside: 30
            }
        );
        assert_eq!(
            check(&w, MARCH, sh(2024, 3, 4, 17, 30, 59), Shanghai, 30),
            WindowCheck::OutsideEdge {
                minutes_outside: 30
            }
        );
        assert_eq!(
            check(&w, MARCH, sh(2024, 3, 4, 17, 1, 0), Shanghai, 30),
            WindowCheck::OutsideEdge { minutes_outside: 1 }
        );
    }

    #[test]
    fn check_in_beyond_grace_is_outside() {
        let w = office_hours();
        assert_eq!(
            check(&w, MARCH, sh(2024, 3, 4, 7, 29, 59), Shanghai, 30),
            WindowCheck::Outside
        );
        assert_eq!(
            check(&w, MARCH, sh(2024, 3, 4, 17, 31, 0), Shanghai, 30),
            WindowCheck::Outside
        );
        assert_eq!(
            check(&w, MARCH, sh(2024, 3, 4, 3, 0, 0), Shanghai, 30),
            WindowCheck::Outside
        );
    }

    #[test]
    fn grace_is_configurable_and_negative_grace_means_none() {
        let w = office_hours();
        let early = sh(2024, 3, 4, 7, 45, 0);
        assert_eq!(check(&w, MARCH, early, Shanghai, 10), WindowCheck::Outside);
        assert_eq!(
            check(&w, MARCH, early, Shanghai, 15),
            WindowCheck::OutsideEdge {
                minutes_outside: 15
            }
        );
        assert_eq!(
            check(&w, MARCH, sh(2024, 3, 4, 7, 59, 0), Shanghai, 0),
            WindowCheck::Outside
        );
        assert_eq!(
            check(&w, MARCH, sh(2024, 3, 4, 7, 59, 0), Shanghai, -5),
            WindowCheck::Outside
        );
    }

    #[test]
    fn check_in_on_a_date_outside_the_assignment_is_outside_even_inside_the_hours() {
        let w = office_hours();
        assert_eq!(
            check(&w, MARCH, sh(2024, 2, 29, 10, 0, 0), Shanghai, 30),
            WindowCheck::Outside
        );
        assert_eq!(
            check(&w, MARCH, sh(2024, 4, 1, 10, 0, 0), Shanghai, 30),
            WindowCheck::Outside
        );
        // First and last day are covered.
        assert_eq!(
            check(&w, MARCH, sh(2024, 3, 1, 10, 0, 0), Shanghai, 30),
            WindowCheck::Inside
        );
        assert_eq!(
            check(&w, MARCH, sh(2024, 3, 31, 10, 0, 0), Shanghai, 30),
            WindowCheck::Inside
        );
        // Early on the day after the range ends: the previous window is far away.
        assert_eq!(
            check(&w, MARCH, sh(2024, 4, 1, 7, 45, 0), Shanghai, 30),
            WindowCheck::Outside
        );
    }

    #[test]
    fn local_date_not_utc_date_decides_coverage() {
        let w = DailyWindow::parse("07:00", "12:00").unwrap();
        // 2024-03-31T23:30Z is 07:30 on 1 April in Shanghai: after the range.
        assert_eq!(
            check(&w, MARCH, utc(2024, 3, 31, 23, 30, 0), Shanghai, 30),
            WindowCheck::Outside
        );
        // 2024-02-29T23:30Z is 07:30 on 1 March in Shanghai: inside.
        assert_eq!(
            check(&w, MARCH, utc(2024, 2, 29, 23, 30, 0), Shanghai, 30),
            WindowCheck::Inside
        );
    }

    #[test]
    fn grace_reaches_across_local_midnight_to_the_next_covered_day() {
        let w = DailyWindow::parse("00:10", "06:00").unwrap();
        assert_eq!(
            check(&w, MARCH, sh(2024, 3, 4, 23, 50, 0), Shanghai, 30),
            WindowCheck::OutsideEdge {
                minutes_outside: 20
            }
        );
        // ... but not to a day the assignment does not cover.
        assert_eq!(
            check(&w, MARCH, sh(2024, 3, 31, 23, 50, 0), Shanghai, 30),
            WindowCheck::Outside
        );
        let late = DailyWindow::parse("18:00", "23:50").unwrap();
        assert_eq!(
            check(&late, MARCH, sh(2024, 4, 1, 0, 15, 0), Shanghai, 30),
            WindowCheck::OutsideEdge {
                minutes_outside: 25
            }
        );
    }

    #[test]
    fn check_uses_the_sites_zone_including_dst() {
        use chrono_tz::America::New_York;
        let w = office_hours();
        let range = (d(2024, 3, 1), d(2024, 3, 31));
        // 2024-03-11 is after the US switch to EDT (UTC-4): 08:00 local = 12:00Z.
        assert_eq!(
            check(&w, range, utc(2024, 3, 11, 12, 0, 0), New_York, 30),
            WindowCheck::Inside
        );
        assert_eq!(
            check(&w, range, utc(2024, 3, 11, 11, 59, 0), New_York, 30),
            WindowCheck::OutsideEdge { minutes_outside: 1 }
        );
        // 2024-03-08 is still EST (UTC-5): 12:00Z is 07:00 local, an hour early.
        assert_eq!(
            check(&w, range, utc(2024, 3, 8, 12, 0, 0), New_York, 30),
            WindowCheck::Outside
        );
    }

    #[test]
    fn covers_date_is_inclusive_and_an_inverted_range_covers_nothing() {
        assert!(covers_date(MARCH, d(2024, 3, 1)));
        assert!(covers_date(MARCH, d(2024, 3, 31)));
        assert!(!covers_date(MARCH, d(2024, 4, 1)));
        assert!(!covers_date(
            (d(2024, 3, 31), d(2024, 3, 1)),
            d(2024, 3, 15)
        ));
    }
}
