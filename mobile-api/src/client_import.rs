//! Client call for the personnel-table import.

use reqwest::Method;
use reqwest::header::CONTENT_TYPE;

use crate::client::{Client, Result};
use crate::{AssignmentMode, ImportAssignmentsQuery, ImportResult};

/// Percent-encodes a query value (the file name may be Chinese).
fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// `program_id=…&mode=…` with the optional parameters that are set.
fn query_string(params: &ImportAssignmentsQuery) -> String {
    let mode = match params.mode {
        AssignmentMode::Circuit => "circuit",
        AssignmentMode::Dispatch => "dispatch",
    };
    let mut pairs = vec![
        ("program_id", params.program_id.to_string()),
        ("mode", mode.to_owned()),
        ("start_date", params.start_date.to_string()),
        ("end_date", params.end_date.to_string()),
    ];
    for (name, value) in [
        ("window_start", &params.window_start),
        ("window_end", &params.window_end),
        ("filename", &params.filename),
    ] {
        if let Some(value) = value {
            pairs.push((name, value.clone()));
        }
    }
    pairs
        .iter()
        .map(|(name, value)| format!("{name}={}", encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

impl Client {
    /// Imports a personnel table (支援人员安排情况表) as the raw body with `content_type`
    /// ([`crate::CSV_CONTENT_TYPE`] or [`crate::XLSX_CONTENT_TYPE`]) (admin,
    /// hospital_admin). A refused table answers a problem `invalid_import` whose
    /// `extra.errors` lists [`crate::ImportIssue`]s.
    pub async fn import_assignments(
        &self,
        bytes: Vec<u8>,
        content_type: &str,
        params: &ImportAssignmentsQuery,
    ) -> Result<ImportResult> {
        let path = format!("/api/v1/assignments/import?{}", query_string(params));
        let request = self
            .request(Method::POST, &path)
            .header(CONTENT_TYPE, content_type)
            .body(bytes);
        self.send(request).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_is_percent_encoded() {
        let params = ImportAssignmentsQuery {
            program_id: uuid::Uuid::nil(),
            mode: AssignmentMode::Dispatch,
            start_date: "2026-01-01".parse().expect("date"),
            end_date: "2026-12-31".parse().expect("date"),
            window_start: Some("08:30".into()),
            window_end: None,
            filename: Some("名单 1.csv".into()),
            eligibility_override: None,
        };
        let query = query_string(&params);
        assert!(query.contains("mode=dispatch"), "{query}");
        assert!(query.contains("window_start=08%3A30"), "{query}");
        assert!(!query.contains("window_end"), "{query}");
        assert!(
            query.contains("filename=%E5%90%8D%E5%8D%95%201.csv"),
            "{query}"
        );
    }
}
