//! Login, token refresh and logout.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Every role the server knows. A token carries exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    /// 卫健局 staff; scoped to a jurisdiction and its descendants.
    Supervisor,
    /// 支援医院 administrator; scoped to one organization.
    HospitalAdmin,
    /// 受援单位 administrator; scoped to one organization.
    ClinicAdmin,
    Physician,
    /// A clinic's wall screen; scoped to one site.
    Kiosk,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Admin,
        Role::Supervisor,
        Role::HospitalAdmin,
        Role::ClinicAdmin,
        Role::Physician,
        Role::Kiosk,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Supervisor => "supervisor",
            Role::HospitalAdmin => "hospital_admin",
            Role::ClinicAdmin => "clinic_admin",
            Role::Physician => "physician",
            Role::Kiosk => "kiosk",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginRequest {
    pub phone: String,
    pub password: String,
    #[serde(default)]
    pub device_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RefreshRequest {
    pub refresh_token: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LogoutRequest {
    pub refresh_token: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserSummary {
    pub id: Uuid,
    pub role: Role,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenResponse {
    pub access_token: String,
    /// Single use: a refresh answers a new one and retires this one.
    pub refresh_token: String,
    /// Lifetime of the access token in seconds.
    pub expires_in: u64,
    pub token_type: String,
    pub user: UserSummary,
    /// The password is one an administrator handed out (a reset's one-time password, a
    /// typed initial one, an import's): the user must set their own
    /// (`POST /auth/password`) before anything else; until then every other call but
    /// refresh and logout answers 403 `password_change_required`.
    #[serde(default)]
    pub must_change_password: bool,
}

/// `POST /auth/password`: the signed-in user's new password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangePassword {
    pub current_password: String,
    /// 8 to 128 characters, not all alike, and not the current one.
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 8, max_length = 128, pattern = "^(?!(.)\\1*$)")
    )]
    pub new_password: String,
}
