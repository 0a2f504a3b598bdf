//! Which rendering a report request asks for (`?format=` over `Accept`) and the
//! answer in it: the JSON body, or the report's table as CSV or XLSX to download.

use axum::body::Body;
use axum::http::header::{ACCEPT, CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE, VARY};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::error::{ApiError, ApiResult};
use crate::http::extract::AppJson;
use crate::render::{self, Table};

pub const CSV_TYPE: &str = "text/csv; charset=utf-8";
pub const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A report's rendering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    Json,
    Csv,
    Xlsx,
}

impl ReportFormat {
    /// `?format=json|csv|xlsx` when given (anything else is a 400), else the
    /// `Accept` header: the acceptable type with the highest `q` that we serve,
    /// the earlier on a tie; JSON when it names none of them.
    pub fn negotiate(format: Option<&str>, headers: &HeaderMap) -> ApiResult<ReportFormat> {
        if let Some(raw) = format.map(str::trim).filter(|f| !f.is_empty()) {
            return match raw.to_ascii_lowercase().as_str() {
                "json" => Ok(ReportFormat::Json),
                "csv" => Ok(ReportFormat::Csv),
                "xlsx" => Ok(ReportFormat::Xlsx),
                _ => Err(ApiError::invalid(format!(
                    "format: expected one of json, csv, xlsx (got {raw:?})"
                ))),
            };
        }
        let accept = headers
            .get_all(ACCEPT)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join(",");
        Ok(Self::from_accept(&accept))
    }

    fn from_accept(accept: &str) -> ReportFormat {
        let mut best: Option<(f32, ReportFormat)> = None;
        for entry in accept.split(',') {
            let mut parts = entry.split(';').map(str::trim);
            let media = parts.next().unwrap_or_default().to_ascii_lowercase();
            let q = parts
                .filter_map(|p| p.strip_prefix("q="))
                .find_map(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            let format = match media.as_str() {
                "text/csv" => ReportFormat::Csv,
                XLSX_TYPE => ReportFormat::Xlsx,
                "application/json" | "application/*" | "*/*" => ReportFormat::Json,
                _ => continue,
            };
            if q > 0.0 && best.is_none_or(|(best_q, _)| q > best_q) {
                best = Some((q, format));
            }
        }
        best.map_or(ReportFormat::Json, |(_, format)| format)
    }

    fn extension(self) -> &'static str {
        match self {
            ReportFormat::Json => "json",
            ReportFormat::Csv => "csv",
            ReportFormat::Xlsx => "xlsx",
        }
    }
}

/// The answer: `body` as JSON, or `table()` rendered as an attachment named
/// `{stem}.csv` / `{stem}.xlsx` (`stem` is ASCII: codes, dates, ids).
pub fn respond<T: Serialize>(
    format: ReportFormat,
    body: T,
    table: impl FnOnce(&T) -> Table,
    stem: &str,
) -> ApiResult<Response> {
    let (content_type, bytes) = match format {
        ReportFormat::Json => {
            let mut response = AppJson(body).into_response();
            response
                .headers_mut()
                .insert(VARY, HeaderValue::from_static("Accept"));
            return Ok(response);
        }
        ReportFormat::Csv => {
            let table = table(&body);
            drop(body);
            // Written out piece by piece as the client reads: no whole copy as text.
            let pieces = render::csv::pieces(table).map_err(ApiError::internal)?;
            (CSV_TYPE, Body::from_stream(Pieces(pieces)))
        }
        ReportFormat::Xlsx => {
            let table = table(&body);
            drop(body);
            let bytes = render::xlsx::to_xlsx(&table).map_err(ApiError::internal)?;
            (XLSX_TYPE, Body::from(bytes))
        }
    };
    let disposition = format!("attachment; filename=\"{stem}.{}\"", format.extension());
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        CONTENT_DISPOSITION,
        HeaderValue::from_str(&disposition).map_err(ApiError::internal)?,
    );
    headers.insert(VARY, HeaderValue::from_static("Accept"));
    // Reports name people: never keep them in a shared cache.
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok((headers, bytes).into_response())
}

/// A CSV's pieces as a body stream: each piece is written when the client is ready
/// for it.
struct Pieces(render::csv::Pieces);

impl futures_core::Stream for Pieces {
    type Item = Result<Vec<u8>, render::RenderError>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        std::task::Poll::Ready(self.0.next())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn the_format_parameter_wins_over_accept() {
        let csv = accept("text/csv");
        assert_eq!(
            ReportFormat::negotiate(Some("xlsx"), &csv).unwrap(),
            ReportFormat::Xlsx
        );
        assert_eq!(
            ReportFormat::negotiate(Some("JSON"), &csv).unwrap(),
            ReportFormat::Json
        );
        assert_eq!(
            ReportFormat::negotiate(Some(""), &csv).unwrap(),
            ReportFormat::Csv
        );
        let err = ReportFormat::negotiate(Some("pdf"), &csv).unwrap_err();
        assert!(err.to_string().starts_with("format:"));
    }

    #[test]
    fn accept_picks_the_preferred_type_we_serve() {
        let pick = |value: &str| ReportFormat::negotiate(None, &accept(value)).unwrap();
        assert_eq!(pick("text/csv"), ReportFormat::Csv);
        assert_eq!(pick(XLSX_TYPE), ReportFormat::Xlsx);
        assert_eq!(
            pick("text/html, text/csv;q=0.8, */*;q=0.1"),
            ReportFormat::Csv
        );
        assert_eq!(pick("application/json, text/csv"), ReportFormat::Json);
        assert_eq!(
            pick("text/csv;q=0.5, application/json;q=0.9"),
            ReportFormat::Json
        );
        assert_eq!(pick("text/csv;q=0"), ReportFormat::Json);
        assert_eq!(pick("image/png"), ReportFormat::Json);
        assert_eq!(
            ReportFormat::negotiate(None, &HeaderMap::new()).unwrap(),
            ReportFormat::Json
        );
    }
}
