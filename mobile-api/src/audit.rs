//! The audit log as administrators read it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One administrative or supervisory change. `hash` covers every other field and
/// `prev_hash` is the previous entry's `hash`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditRecord {
    pub seq: i64,
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    pub actor_role: Option<String>,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub before: Option<serde_json::Value>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub after: Option<serde_json::Value>,
    pub prev_hash: String,
    pub hash: String,
}

/// `GET /audit/verification`: the chain walked from its first entry, and every audited
/// row checked against it (what `server audit verify` prints).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditVerification {
    /// The chain is unbroken and every audited row names its entry.
    pub intact: bool,
    /// Entries whose hash and link were checked (up to the break, if any).
    pub entries_checked: u64,
    /// Where the chain breaks first, in words; `None` when it does not.
    pub broken_at: Option<String>,
    /// Audited rows whose change has no entry (at most 20 per table), in words.
    pub unrecorded: Vec<String>,
    pub checked_at: DateTime<Utc>,
}
