//! Organizations: supporting hospitals and the receiving sites (受援单位) that carry a geofence.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use uuid::Uuid;

pub use mobile_api::OrganizationKind;

use super::geofence::Geofence;
use super::jurisdiction::{JurisdictionCode, JurisdictionPath};

pub const DEFAULT_TIMEZONE: Tz = chrono_tz::Asia::Shanghai;

/// A geofence with the version number events record when judged against it.
#[derive(Debug, Clone)]
pub struct VersionedGeofence {
    pub version: i64,
    pub fence: Geofence,
}

#[derive(Debug, Clone)]
pub struct Organization {
    pub id: Uuid,
    pub name: String,
    pub kind: OrganizationKind,
    pub jurisdiction_code: JurisdictionCode,
    pub jurisdiction_path: JurisdictionPath,
    pub timezone: Tz,
    /// Fixes with a worse reported accuracy are refused; `None` uses the default.
    pub max_accuracy_m: Option<f64>,
    pub geofence: Option<VersionedGeofence>,
    pub created_at: DateTime<Utc>,
    /// What a printed daily code meets while the site's kiosk is active.
    pub daily_code_policy: DailyCodePolicy,
}

/// What a printed daily code meets at a site whose kiosk is active (its screen shows
/// the rotating code, so a printed code there is likely a photo sent elsewhere).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DailyCodePolicy {
    /// Accepted with `daily_code_live_kiosk`.
    #[default]
    Flag,
    /// Refused with `rotating_code_required`.
    Refuse,
}

impl DailyCodePolicy {
    pub fn parse(text: &str) -> Option<DailyCodePolicy> {
        match text {
            "flag" => Some(DailyCodePolicy::Flag),
            "refuse" => Some(DailyCodePolicy::Refuse),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DailyCodePolicy::Flag => "flag",
            DailyCodePolicy::Refuse => "refuse",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrganizationError {
    #[error("name: must be 1 to 200 characters")]
    BadName,
    #[error("timezone: {0:?} is not an IANA time zone")]
    BadTimezone(String),
    #[error("max_accuracy_m: must be between 5 and 1000")]
    BadAccuracyLimit,
}

/// A display name: trimmed, 1..=200 characters. Shared by every named object.
pub fn parse_name(raw: &str) -> Result<String, OrganizationError> {
    let name = raw.trim();
    let chars = name.chars().count();
    if (1..=200).contains(&chars) && !name.chars().any(char::is_control) {
        Ok(name.to_owned())
    } else {
        Err(OrganizationError::BadName)
    }
}

pub fn parse_timezone(raw: &str) -> Result<Tz, OrganizationError> {
    raw.trim()
        .parse::<Tz>()
        .map_err(|_| OrganizationError::BadTimezone(raw.to_owned()))
}

pub fn check_accuracy_limit(limit_m: f64) -> Result<f64, OrganizationError> {
    if limit_m.is_finite() && (5.0..=1000.0).contains(&limit_m) {
        Ok(limit_m)
    } else {
        Err(OrganizationError::BadAccuracyLimit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(parse_name("  灵地乡卫生院 ").as_deref(), Ok("灵地乡卫生院"));
        assert!(parse_name("   ").is_err());
        assert!(parse_name(&"院".repeat(201)).is_err());
        assert!(parse_name("a\u{0}b").is_err());
    }

    #[test]
    fn time_zones_must_be_iana_names() {
        assert_eq!(
            parse_timezone("Asia/Shanghai"),
            Ok(chrono_tz::Asia::Shanghai)
        );
        assert!(parse_timezone("Beijing Time").is_err());
    }

    #[test]
    fn accuracy_limits_are_bounded() {
        assert!(check_accuracy_limit(100.0).is_ok());
        assert!(check_accuracy_limit(0.0).is_err());
        assert!(check_accuracy_limit(f64::NAN).is_err());
    }
}
