//! The typed client's report calls: JSON bodies, or the raw bytes of a CSV or XLSX
//! rendering.

use reqwest::Method;
use reqwest::header::{ACCEPT, CONTENT_DISPOSITION, CONTENT_TYPE};
use uuid::Uuid;

use crate::client::{Client, ClientError, Result};
use crate::{
    AssessmentReport, ComplianceReport, CountyFacts, CountyStatistics, CoverageReport, Dashboard,
    MonthlyReport, Problem, ServiceRecord, SetCountyFacts, UiConfig,
};

/// The media type of an XLSX workbook.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A report as downloaded: its bytes and how the server labelled them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawReport {
    pub content_type: String,
    /// e.g. `attachment; filename="monthly-350881-2026-03.csv"`.
    pub content_disposition: Option<String>,
    pub bytes: Vec<u8>,
}

fn with_query(path: &str, query: &str) -> String {
    let query = query.trim_start_matches('?');
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    }
}

impl Client {
    /// `GET /api/v1/reports/monthly?{query}`, e.g. `jurisdiction_code=350881&month=2026-03`.
    pub async fn monthly_report(&self, query: &str) -> Result<MonthlyReport> {
        self.get(&with_query("/api/v1/reports/monthly", query))
            .await
    }

    /// `GET /api/v1/reports/coverage?{query}`, e.g. `jurisdiction_code=350881&month=2026-03`.
    pub async fn coverage_report(&self, query: &str) -> Result<CoverageReport> {
        self.get(&with_query("/api/v1/reports/coverage", query))
            .await
    }

    /// `GET /api/v1/dashboard?{query}`, e.g. `month=2026-03`.
    pub async fn dashboard(&self, query: &str) -> Result<Dashboard> {
        self.get(&with_query("/api/v1/dashboard", query)).await
    }

    /// `GET /api/v1/ui-config` (no token needed).
    pub async fn ui_config(&self) -> Result<UiConfig> {
        self.get("/api/v1/ui-config").await
    }

    /// `GET /api/v1/reports/assessment?{query}`, e.g. `period=2026-Q3`.
    pub async fn assessment_report(&self, query: &str) -> Result<AssessmentReport> {
        self.get(&with_query("/api/v1/reports/assessment", query))
            .await
    }

    /// `GET /api/v1/reports/compliance?{query}`, e.g. `period=2026-03`.
    pub async fn compliance_report(&self, query: &str) -> Result<ComplianceReport> {
        self.get(&with_query("/api/v1/reports/compliance", query))
            .await
    }

    /// `GET /api/v1/reports/county-statistics?{query}`, e.g. `year=2026`.
    pub async fn county_statistics(&self, query: &str) -> Result<CountyStatistics> {
        self.get(&with_query("/api/v1/reports/county-statistics", query))
            .await
    }

    /// Records the county table's facts for one county and year.
    pub async fn set_county_facts(&self, body: &SetCountyFacts) -> Result<CountyFacts> {
        let path = "/api/v1/reports/county-statistics/facts";
        self.send(self.request(Method::PUT, path).json(body)).await
    }

    /// `GET /api/v1/physicians/{id}/service-record`.
    pub async fn service_record(&self, physician_id: Uuid) -> Result<ServiceRecord> {
        self.get(&format!("/api/v1/physicians/{physician_id}/service-record"))
            .await
    }

    /// Any report path (with its query) downloaded as bytes, sending `accept` when
    /// given (`text/csv`, [`XLSX`]); a problem answer is an error as elsewhere.
    pub async fn report_bytes(&self, path: &str, accept: Option<&str>) -> Result<RawReport> {
        let mut builder = self.request(Method::GET, path);
        if let Some(accept) = accept {
            builder = builder.header(ACCEPT, accept);
        }
        let response = builder.send().await?;
        let status = response.status();
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
                .map(str::to_owned)
        };
        let content_type = header(CONTENT_TYPE).unwrap_or_default();
        let content_disposition = header(CONTENT_DISPOSITION);
        let bytes = response.bytes().await?.to_vec();
        if status.is_success() {
            return Ok(RawReport {
                content_type,
                content_disposition,
                bytes,
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
}
