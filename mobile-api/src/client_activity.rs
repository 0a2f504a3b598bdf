//! Client calls for activity logs and program templates.

use uuid::Uuid;

use crate::client::{Client, Result};
use crate::{Activity, LogActivity, ProgramTemplate};

impl Client {
    /// Logs (or amends) work on one of the caller's visits (physician).
    pub async fn log_activity(&self, visit_id: Uuid, body: &LogActivity) -> Result<Activity> {
        self.post(&format!("/api/v1/visits/{visit_id}/activities"), body)
            .await
    }

    /// Every activity record of a visit, amendments included, oldest first.
    pub async fn visit_activities(&self, visit_id: Uuid) -> Result<Vec<Activity>> {
        self.get(&format!("/api/v1/visits/{visit_id}/activities"))
            .await
    }

    /// The ready-made programs of the seed circulars.
    pub async fn program_templates(&self) -> Result<Vec<ProgramTemplate>> {
        self.get("/api/v1/program-templates").await
    }
}
