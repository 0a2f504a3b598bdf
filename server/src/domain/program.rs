//! Programs (方案): one circular's crediting thresholds and requirements.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::crediting::Thresholds;
use super::eligibility::Eligibility;
use super::jurisdiction::JurisdictionCode;
use super::requirements::Requirement;

#[derive(Debug, Clone)]
pub struct Program {
    pub id: Uuid,
    pub name: String,
    pub jurisdiction_code: JurisdictionCode,
    pub thresholds: Thresholds,
    pub requirements: Vec<Requirement>,
    /// Who may be sent and how a team is made up (派出人员资格).
    pub eligibility: Eligibility,
    pub created_at: DateTime<Utc>,
    /// Whether a photo is asked for at scan time.
    pub scan_photo: mobile_api::ScanPhotoMode,
}
