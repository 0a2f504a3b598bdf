//! The typed client's supervision calls: anomalies, their review, and visit listings.

use uuid::Uuid;

use crate::client::{Client, Result};
use crate::{Anomaly, Page, ReviewRequest, Visit, VisitDetail};

/// `path` with `query` (`a=1&b=2`, a leading `?` allowed) appended when not empty.
fn with_query(path: &str, query: &str) -> String {
    let query = query.trim_start_matches('?');
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    }
}

impl Client {
    /// `GET /api/v1/anomalies?{query}`, e.g. `status=open&kind=mock_location&limit=20`.
    pub async fn anomalies(&self, query: &str) -> Result<Page<Anomaly>> {
        self.get(&with_query("/api/v1/anomalies", query)).await
    }

    /// Confirms or dismisses an anomaly; answers it as updated.
    pub async fn review_anomaly(&self, id: Uuid, request: &ReviewRequest) -> Result<Anomaly> {
        self.post(&format!("/api/v1/anomalies/{id}/review"), request)
            .await
    }

    /// `GET /api/v1/visits?{query}`, e.g. `site_id=…&from=2026-03-01&status=auto_closed`.
    pub async fn visits(&self, query: &str) -> Result<Page<Visit>> {
        self.get(&with_query("/api/v1/visits", query)).await
    }

    /// `GET /api/v1/visits/{id}`: one visit in full.
    pub async fn visit(&self, id: Uuid) -> Result<VisitDetail> {
        self.get(&format!("/api/v1/visits/{id}")).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_is_appended_with_one_question_mark() {
        assert_eq!(with_query("/x", ""), "/x");
        assert_eq!(with_query("/x", "?"), "/x");
        assert_eq!(with_query("/x", "a=1"), "/x?a=1");
        assert_eq!(with_query("/x", "?a=1&b=2"), "/x?a=1&b=2");
    }
}
