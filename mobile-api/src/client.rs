//! A typed async client over `/api/v1`, used by the phone app's Rust core and our end-to-end tests.

use reqwest::{Method, RequestBuilder, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::*;

/// What a call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server answered with a problem document.
    #[error("{status}: {} ({})", problem.code, problem.detail)]
    Api {
        status: StatusCode,
        problem: Problem,
    },
    /// The server answered something that is not what the contract says.
    #[error("unexpected answer {status}: {body}")]
    Unexpected { status: StatusCode, body: String },
    #[error(transparent)]
    Transport(#[from] reqwest::Error),
}

impl ClientError {
    /// The problem `code`, when the server answered with one.
    pub fn code(&self) -> Option<&str> {
        match self {
            ClientError::Api { problem, .. } => Some(&problem.code),
            _ => None,
        }
    }

    pub fn status(&self) -> Option<StatusCode> {
        match self {
            ClientError::Api { status, .. } | ClientError::Unexpected { status, .. } => {
                Some(*status)
            }
            ClientError::Transport(e) => e.status(),
        }
    }
}

pub type Result<T> = std::result::Result<T, ClientError>;

/// A client bound to one server and, optionally, one bearer token.
#[derive(Debug, Clone)]
pub struct Client {
    base_url: String,
    http: reqwest::Client,
    token: Option<String>,
}

impl Client {
    /// `base_url` like `http://127.0.0.1:8080` (no trailing `/api/v1`).
    pub fn new(base_url: impl Into<String>) -> Self {
        Client {
            base_url: base_url.into().trim_end_matches('/').to_owned(),
            http: reqwest::Client::new(),
            token: None,
        }
    }

    /// The same server with another bearer token.
    pub fn with_token(&self, token: impl Into<String>) -> Self {
        Client {
            token: Some(token.into()),
            ..self.clone()
        }
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// A request to `path` (absolute, e.g. `/api/v1/me/visits`) with the bearer token set.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let builder = self
            .http
            .request(method, format!("{}{}", self.base_url, path));
        match &self.token {
            Some(token) => builder.bearer_auth(token),
            None => builder,
        }
    }

    pub(crate) async fn send<T: DeserializeOwned>(&self, builder: RequestBuilder) -> Result<T> {
        let response = builder.send().await?;
        let status = response.status();
        let bytes = response.bytes().await?;
        if status.is_success() {
            return serde_json::from_slice(&bytes).map_err(|_| ClientError::Unexpected {
                status,
                body: String::from_utf8_lossy(&bytes).into_owned(),
            });
        }
        match serde_json::from_slice::<Problem>(&bytes) {
            Ok(problem) => Err(ClientError::Api { status, problem }),
            Err(_) => Err(ClientError::Unexpected {
                status,
                body: String::from_utf8_lossy(&bytes).into_owned(),
            }),
        }
    }

    pub(crate) async fn send_empty(&self, builder: RequestBuilder) -> Result<()> {
        let response = builder.send().await?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let bytes = response.bytes().await?;
        match serde_json::from_slice::<Problem>(&bytes) {
            Ok(problem) => Err(ClientError::Api { status, problem }),
            Err(_) => Err(ClientError::Unexpected {
                status,
                body: String::from_utf8_lossy(&bytes).into_owned(),
            }),
        }
    }

    pub(crate) async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        self.send(self.request(Method::GET, path)).await
    }

    pub(crate) async fn post<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T> {
        self.send(self.request(Method::POST, path).json(body)).await
    }

    // ---- auth ----

    pub async fn login(&self, request: &LoginRequest) -> Result<TokenResponse> {
        self.post("/api/v1/auth/login", request).await
    }

    pub async fn refresh(&self, refresh_token: &str) -> Result<TokenResponse> {
        let body = RefreshRequest {
            refresh_token: refresh_token.to_owned(),
        };
        self.post("/api/v1/auth/refresh", &body).await
    }

    pub async fn logout(&self, refresh_token: &str) -> Result<()> {
        let body = LogoutRequest {
            refresh_token: refresh_token.to_owned(),
        };
        self.send_empty(
            self.request(Method::POST, "/api/v1/auth/logout")
                .json(&body),
        )
        .await
    }

    // ---- administration ----

    pub async fn create_jurisdiction(&self, body: &CreateJurisdiction) -> Result<Jurisdiction> {
        self.post("/api/v1/jurisdictions", body).await
    }

    pub async fn list_jurisdictions(&self) -> Result<Page<Jurisdiction>> {
        self.get("/api/v1/jurisdictions").await
    }

    pub async fn create_organization(&self, body: &CreateOrganization) -> Result<Organization> {
        self.post("/api/v1/organizations", body).await
    }

    pub async fn get_organization(&self, id: Uuid) -> Result<Organization> {
        self.get(&format!("/api/v1/organizations/{id}")).await
    }

    pub async fn update_organization(
        &self,
        id: Uuid,
        body: &UpdateOrganization,
    ) -> Result<Organization> {
        let path = format!("/api/v1/organizations/{id}");
        self.send(self.request(Method::PATCH, &path).json(body))
            .await
    }

    pub async fn list_organizations(&self) -> Result<Page<Organization>> {
        self.get("/api/v1/organizations").await
    }

    pub async fn create_user(&self, body: &CreateUser) -> Result<User> {
        self.post("/api/v1/users", body).await
    }

    pub async fn get_user(&self, id: Uuid) -> Result<User> {
        self.get(&format!("/api/v1/users/{id}")).await
    }

    pub async fn update_user(&self, id: Uuid, body: &UpdateUser) -> Result<User> {
        let path = format!("/api/v1/users/{id}");
        self.send(self.request(Method::PATCH, &path).json(body))
            .await
    }

    pub async fn create_program(&self, body: &CreateProgram) -> Result<Program> {
        self.post("/api/v1/programs", body).await
    }

    pub async fn create_assignment(&self, body: &CreateAssignment) -> Result<Assignment> {
        self.post("/api/v1/assignments", body).await
    }

    pub async fn enroll_kiosk(&self, site_id: Uuid, body: &EnrollKiosk) -> Result<KioskEnrolment> {
        self.post(&format!("/api/v1/organizations/{site_id}/kiosks"), body)
            .await
    }

    pub async fn revoke_kiosk(&self, kiosk_id: Uuid) -> Result<()> {
        let path = format!("/api/v1/kiosks/{kiosk_id}");
        self.send_empty(self.request(Method::DELETE, &path)).await
    }

    // ---- kiosk ----

    pub async fn kiosk_code(&self) -> Result<KioskCode> {
        self.get("/api/v1/kiosk/code").await
    }

    /// The current code as an SVG document.
    pub async fn kiosk_code_svg(&self) -> Result<String> {
        let response = self
            .request(Method::GET, "/api/v1/kiosk/code.svg")
            .send()
            .await?;
        let status = response.status();
        let body = response.text().await?;
        if status.is_success() {
            Ok(body)
        } else {
            Err(match serde_json::from_str::<Problem>(&body) {
                Ok(problem) => ClientError::Api { status, problem },
                Err(_) => ClientError::Unexpected { status, body },
            })
        }
    }

    pub async fn daily_codes(
        &self,
        site_id: Uuid,
        from: &str,
        days: u32,
    ) -> Result<DailyCodeSheet> {
        self.get(&format!(
            "/api/v1/organizations/{site_id}/daily-codes?from={from}&days={days}"
        ))
        .await
    }

    // ---- physician ----

    pub async fn check_in(&self, body: &AttendanceRequest) -> Result<AttendanceResponse> {
        self.post("/api/v1/attendance/check-in", body).await
    }

    pub async fn check_out(&self, body: &AttendanceRequest) -> Result<AttendanceResponse> {
        self.post("/api/v1/attendance/check-out", body).await
    }

    pub async fn my_assignments(&self) -> Result<Vec<MyAssignment>> {
        self.get("/api/v1/me/assignments").await
    }

    pub async fn my_visits(&self, from: Option<&str>, to: Option<&str>) -> Result<Page<Visit>> {
        let mut query = Vec::new();
        if let Some(from) = from {
            query.push(format!("from={from}"));
        }
        if let Some(to) = to {
            query.push(format!("to={to}"));
        }
        let path = if query.is_empty() {
            "/api/v1/me/visits".to_owned()
        } else {
            format!("/api/v1/me/visits?{}", query.join("&"))
        };
        self.get(&path).await
    }

    pub async fn my_summary(&self, month: &str) -> Result<MonthSummary> {
        self.get(&format!("/api/v1/me/summary?month={month}")).await
    }
}
