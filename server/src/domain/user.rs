//! Users: login phone numbers, password policy, and who a user is.

use chrono::{DateTime, Utc};
use uuid::Uuid;

pub use mobile_api::{Discipline, Gender, Role};

use super::jurisdiction::JurisdictionCode;

/// A mainland mobile number (11 digits starting with 1); the login name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

impl Phone {
    /// Accepts surrounding whitespace, spaces, dashes and a `+86`/`86` prefix, stores the
    /// bare 11 digits (the document's pattern of `CreateUser::phone` says the same).
    pub fn parse(raw: &str) -> Result<Phone, UserError> {
        let digits: String = raw
            .trim()
            .chars()
            .filter(|c| !matches!(c, ' ' | '-'))
            .collect::<String>();
        let digits = digits
            .strip_prefix("+86")
            .or_else(|| digits.strip_prefix("86").filter(|rest| rest.len() == 11))
            .unwrap_or(&digits);
        if digits.len() == 11
            && digits.starts_with('1')
            && digits.bytes().all(|b| b.is_ascii_digit())
        {
            Ok(Phone(digits.to_owned()))
        } else {
            Err(UserError::BadPhone)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// 8..=128 characters, not all alike: enough to stop the worst, without rules users hate.
pub fn check_password_policy(password: &str) -> Result<(), UserError> {
    let count = password.chars().count();
    let mut chars = password.chars();
    let first = chars.next();
    let all_same = first.is_some_and(|f| chars.all(|c| c == f));
    if (8..=128).contains(&count) && !all_same {
        Ok(())
    } else {
        Err(UserError::WeakPassword)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: Uuid,
    pub role: Role,
    pub name: String,
    pub phone: Phone,
    pub organization_id: Option<Uuid>,
    pub jurisdiction_code: Option<JurisdictionCode>,
    pub title: Option<String>,
    pub specialty: Option<String>,
    pub gender: Option<Gender>,
    /// 从业起始年份: years of service count from it.
    pub practice_since_year: Option<i32>,
    /// 类别 (临床、中医、护理、公共卫生、药学、医技).
    pub discipline: Option<Discipline>,
    pub created_at: DateTime<Utc>,
    /// When an administrator switched the account off; `None` while it may log in.
    /// A deactivated person's records stay and still count in reports.
    pub deactivated_at: Option<DateTime<Utc>>,
}

impl User {
    pub fn is_active(&self) -> bool {
        self.deactivated_at.is_none()
    }
}

/// What decides whether an access token still speaks for its user: the account is
/// active, and nothing ended the user's sessions since the token was issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionState {
    pub active: bool,
    /// Bumped whenever the user's sessions end (deactivation, logout); every access
    /// token carries the version it was issued under.
    pub version: i64,
    /// The password is one someone else knows (an administrator's reset or typed
    /// initial password, an import's): until the user sets their own, only setting it,
    /// refreshing and logging out are allowed.
    pub must_change_password: bool,
}

impl SessionState {
    /// Whether a token issued under `token_version` is still good.
    pub fn admits(&self, token_version: i64) -> bool {
        self.active && token_version == self.version
    }
}

/// A user with the hash to check a password against (never leaves the server).
#[derive(Debug, Clone)]
pub struct Credentials {
    pub user: User,
    pub password_hash: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserError {
    #[error("phone: must be an 11-digit mainland mobile number")]
    BadPhone,
    #[error("password: must be 8 to 128 characters and not one repeated character")]
    WeakPassword,
    #[error("jurisdiction_code: required for a supervisor")]
    SupervisorNeedsJurisdiction,
    #[error("organization_id: required for this role")]
    NeedsOrganization,
    #[error("role: kiosks are enrolled through /organizations/{{id}}/kiosks, not created as users")]
    KioskIsNotAUser,
}

/// Which of organization and jurisdiction a role must carry.
pub fn check_role_placement(
    role: Role,
    organization_id: Option<Uuid>,
    jurisdiction_code: Option<&JurisdictionCode>,
) -> Result<(), UserError> {
    match role {
        Role::Kiosk => Err(UserError::KioskIsNotAUser),
        Role::Supervisor if jurisdiction_code.is_none() => {
            Err(UserError::SupervisorNeedsJurisdiction)
        }
        Role::HospitalAdmin | Role::ClinicAdmin | Role::Physician if organization_id.is_none() => {
            Err(UserError::NeedsOrganization)
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_normalised_to_eleven_digits() {
        assert_eq!(
            Phone::parse("138-0000-1234").map(|p| p.0),
            Ok("13800001234".into())
        );
        assert_eq!(
            Phone::parse("+86 13800001234").map(|p| p.0),
            Ok("13800001234".into())
        );
        assert_eq!(
            Phone::parse("8613800001234").map(|p| p.0),
            Ok("13800001234".into())
        );
        for bad in [
            "",
            "1380000123",
            "23800001234",
            "1380000123x",
            "138000012345",
        ] {
            assert!(Phone::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn weak_passwords_are_refused() {
        assert!(check_password_policy("correct horse").is_ok());
        assert!(check_password_policy("short").is_err());
        assert!(check_password_policy("aaaaaaaaaa").is_err());
        assert!(check_password_policy(&"ab".repeat(65)).is_err());
    }

    #[test]
    fn a_session_admits_only_current_tokens_of_an_active_account() {
        let live = SessionState {
            active: true,
            version: 3,
            must_change_password: false,
        };
        assert!(live.admits(3));
        assert!(!live.admits(2), "a token from before the sessions ended");
        let off = SessionState {
            active: false,
            ..live
        };
        assert!(!off.admits(3), "a deactivated account admits nothing");
    }

    #[test]
    fn roles_carry_their_placement() {
        let org = Some(Uuid::new_v4());
        let code = JurisdictionCode::parse("350881").expect("valid");
        assert!(check_role_placement(Role::Supervisor, None, Some(&code)).is_ok());
        assert!(check_role_placement(Role::Supervisor, None, None).is_err());
        assert!(check_role_placement(Role::Physician, org, None).is_ok());
        assert!(check_role_placement(Role::Physician, None, None).is_err());
        assert!(check_role_placement(Role::Kiosk, org, None).is_err());
        assert!(check_role_placement(Role::Admin, None, None).is_ok());
    }
}
