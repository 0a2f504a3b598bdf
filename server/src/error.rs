//! The one place where errors become HTTP answers: problem+json with a stable `code`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use mobile_api::Problem;
use mobile_api::problem::PROBLEM_JSON;

use crate::store::StoreError;

/// When a client should retry a write the storage refused: space is usually freed
/// (or the device replaced) in minutes, and a retry costs the server little.
pub const STORAGE_RETRY_AFTER_SECS: u16 = 5;

/// Marks an answer that failed for want of storage, with the reason, for the
/// middleware that keeps the storage's health.
#[derive(Debug, Clone)]
pub struct StorageFault(pub String);

/// Every way a request can fail, as the client will see it.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Malformed JSON, a field out of range, a bad query parameter.
    #[error("{0}")]
    InvalidRequest(String),
    #[error("{0}")]
    InvalidGeofence(String),
    /// A personnel table with bad rows (400 `invalid_import`); `extra.errors` lists them.
    #[error("{detail}")]
    InvalidImport {
        detail: String,
        errors: Vec<mobile_api::ImportIssue>,
    },
    #[error("{0}")]
    Unauthenticated(&'static str),
    #[error("invalid or expired token")]
    InvalidToken,
    #[error("wrong phone or password")]
    InvalidCredentials,
    #[error("too many attempts; retry after {retry_after_secs} s")]
    TooManyAttempts { retry_after_secs: u64 },
    /// A per-address or per-account request rate limit (429 `rate_limited`).
    #[error("too many requests; retry after {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    #[error("this role may not do that")]
    Forbidden,
    /// The account's password is one someone else knows: set your own first
    /// (`POST /api/v1/auth/password`); 403 `password_change_required`.
    #[error("set your own password first (POST /api/v1/auth/password)")]
    PasswordChangeRequired,
    /// A kiosk pinned to its network fetched its code from another (403
    /// `kiosk_network_not_allowed`).
    #[error("this kiosk is pinned to the network {pinned}; it may not fetch codes from {network}")]
    KioskNetworkNotAllowed { pinned: String, network: String },
    /// Also for objects outside the caller's jurisdiction: their existence is not revealed.
    #[error("not found")]
    NotFound,
    #[error("{detail}")]
    Conflict { code: &'static str, detail: String },
    /// A check-in or other domain action refused on its merits (422).
    #[error("{detail}")]
    Refused {
        code: &'static str,
        detail: String,
        extra: Option<serde_json::Value>,
    },
    #[error(
        "request body larger than the limit (64 KiB; 1 MiB for organizations; 2 MiB for imports and survey registrations)"
    )]
    PayloadTooLarge,
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// The database's disk is full or failing: nothing was stored (503
    /// `storage_unavailable`, with `Retry-After`). Logged in full.
    #[error("storage unavailable: {0}")]
    StorageUnavailable(String),
    /// The request ran past its time budget and was abandoned (503 `timeout`).
    #[error("the request took longer than {budget_secs} s and was abandoned; retry later")]
    Timeout { budget_secs: u64 },
    /// Logged in full; the client sees a generic message.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn invalid(detail: impl Into<String>) -> Self {
        ApiError::InvalidRequest(detail.into())
    }

    pub fn internal(error: impl std::fmt::Display) -> Self {
        ApiError::Internal(error.to_string())
    }

    fn status(&self) -> StatusCode {
        match self {
            ApiError::InvalidRequest(_) | ApiError::InvalidGeofence(_) => StatusCode::BAD_REQUEST,
            ApiError::InvalidImport { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthenticated(_)
            | ApiError::InvalidToken
            | ApiError::InvalidCredentials => StatusCode::UNAUTHORIZED,
            ApiError::TooManyAttempts { .. } | ApiError::RateLimited { .. } => {
                StatusCode::TOO_MANY_REQUESTS
            }
            ApiError::Forbidden
            | ApiError::PasswordChangeRequired
            | ApiError::KioskNetworkNotAllowed { .. } => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::Refused { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unavailable(_)
            | ApiError::StorageUnavailable(_)
            | ApiError::Timeout { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable machine code clients branch on.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::InvalidRequest(_) => "invalid_request",
            ApiError::InvalidGeofence(_) => "invalid_geofence",
            ApiError::InvalidImport { .. } => "invalid_import",
            ApiError::Unauthenticated(_) => "unauthorized",
            ApiError::InvalidToken => "invalid_token",
            ApiError::InvalidCredentials => "invalid_credentials",
            ApiError::TooManyAttempts { .. } => "too_many_attempts",
            ApiError::RateLimited { .. } => "rate_limited",
            ApiError::Forbidden => "forbidden",
            ApiError::PasswordChangeRequired => "password_change_required",
            ApiError::KioskNetworkNotAllowed { .. } => "kiosk_network_not_allowed",
            ApiError::NotFound => "not_found",
            ApiError::Conflict { code, .. } | ApiError::Refused { code, .. } => code,
            ApiError::PayloadTooLarge => "payload_too_large",
            ApiError::UnsupportedMediaType(_) => "unsupported_media_type",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::StorageUnavailable(_) => "storage_unavailable",
            ApiError::Timeout { .. } => "timeout",
            ApiError::Internal(_) => "internal",
        }
    }

    /// The problem document for this error (5xx never carry internal text).
    pub fn to_problem(&self) -> Problem {
        let status = self.status();
        let detail = match self {
            ApiError::Internal(_) => "the server failed; the error was logged".to_owned(),
            ApiError::Unavailable(_) => "a backing service is unavailable".to_owned(),
            ApiError::StorageUnavailable(_) => {
                "the server cannot store data now (its disk is full or failing); \
                 nothing was stored; retry later"
                    .to_owned()
            }
            other => other.to_string(),
        };
        let extra = match self {
            ApiError::Refused { extra, .. } => extra.clone(),
            ApiError::InvalidImport { errors, .. } => Some(serde_json::json!({ "errors": errors })),
            _ => None,
        };
        Problem {
            kind: format!("urn:xiaxiang:problem:{}", self.code()),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail,
            code: self.code().to_owned(),
            extra,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, code = self.code(), "request failed");
        }
        let problem = self.to_problem();
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if let ApiError::TooManyAttempts { retry_after_secs }
        | ApiError::RateLimited { retry_after_secs } = self
            && let Ok(value) = HeaderValue::from_str(&retry_after_secs.max(1).to_string())
        {
            headers.insert(header::RETRY_AFTER, value);
        }
        if matches!(self, ApiError::StorageUnavailable(_)) {
            headers.insert(
                header::RETRY_AFTER,
                HeaderValue::from(STORAGE_RETRY_AFTER_SECS),
            );
        }
        if status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let ApiError::StorageUnavailable(reason) = self {
            // Readiness learns of the fault from here (see `app::watch_storage`).
            response.extensions_mut().insert(StorageFault(reason));
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => ApiError::NotFound,
            StoreError::Conflict(what) => ApiError::Conflict {
                code: "already_exists",
                detail: what,
            },
            StoreError::StorageUnavailable(reason) => ApiError::StorageUnavailable(reason),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

impl From<crate::domain::activity::ActivityError> for ApiError {
    fn from(error: crate::domain::activity::ActivityError) -> Self {
        use crate::domain::activity::ActivityError;
        match error {
            ActivityError::DeadlinePassed { .. } => ApiError::Refused {
                code: "activity_deadline_passed",
                detail: error.to_string(),
                extra: None,
            },
            ActivityError::CountOutOfRange | ActivityError::Note(_) => {
                ApiError::InvalidRequest(error.to_string())
            }
        }
    }
}

impl From<crate::domain::eligibility::AdmissionError> for ApiError {
    fn from(error: crate::domain::eligibility::AdmissionError) -> Self {
        use crate::domain::eligibility::AdmissionError;
        match error {
            AdmissionError::NotEligible(refused) => refused.into(),
            AdmissionError::Reason(text) => text.into(),
        }
    }
}

/// 422 `not_eligible`: `extra.rules` lists each rule broken (`rule`, `detail_zh`).
impl From<crate::domain::eligibility::NotEligible> for ApiError {
    fn from(refused: crate::domain::eligibility::NotEligible) -> Self {
        ApiError::Refused {
            code: "not_eligible",
            detail: refused.to_string(),
            extra: Some(serde_json::json!({ "rules": refused.rules })),
        }
    }
}

/// 400 `invalid_request` naming the field (`domain::text`).
impl From<crate::domain::text::TextError> for ApiError {
    fn from(error: crate::domain::text::TextError) -> Self {
        ApiError::InvalidRequest(error.to_string())
    }
}
