//! Client calls for inspections and presence spot-checks.

use crate::client::{Client, Result};
use crate::{
    AttendanceRequest, AttendanceResponse, CreateInspection, CreatePresenceCheck, Inspection,
    PresenceCheck,
};

impl Client {
    /// Records an inspection (supervisor, admin); answers the anomalies it raised.
    pub async fn create_inspection(&self, body: &CreateInspection) -> Result<Inspection> {
        self.post("/api/v1/inspections", body).await
    }

    /// Asks a physician to prove presence within the given minutes (supervisor, admin).
    pub async fn create_presence_check(&self, body: &CreatePresenceCheck) -> Result<PresenceCheck> {
        self.post("/api/v1/presence-checks", body).await
    }

    /// Answers the physician's pending presence checks with a fresh scan of the site's
    /// rotating code (physician).
    pub async fn answer_presence(&self, body: &AttendanceRequest) -> Result<AttendanceResponse> {
        self.post("/api/v1/attendance/presence", body).await
    }
}
