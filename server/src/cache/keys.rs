//! Every key the server keeps in the cache, with how long it lives. The back end adds
//! the deployment's prefix (`CHECKIN_REDIS_PREFIX`).

use std::time::Duration;

use mobile_api::KioskCode;

use crate::domain::address_block::AddressBlock;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// How long a check-in's stored answer is kept for retries: phones retry within
/// minutes; a later retry reads the database.
pub const ANSWER_TTL: Duration = Duration::from_secs(24 * 3600);
/// How long a code-use marker lives: longer than any code is accepted (a daily code
/// for its local day, a rotating one for two periods).
pub const CODE_USE_TTL: Duration = Duration::from_secs(2 * 24 * 3600);
/// How long a user's session state is trusted without asking the database: the most
/// a deactivation or logout can take to reach a process that does not share the cache
/// (in-process caches of several processes, or Redis unreachable when it happened).
pub const SESSION_TTL: Duration = Duration::from_secs(10);
/// The schedule of pending presence checks (member: check id, due: deadline).
pub const PRESENCE_DEADLINES: &str = "presence-deadlines";

/// Failed logins for a phone (as typed, when it is not a valid phone) in the window.
pub fn login_failures_by_phone(phone: &str) -> String {
    format!("login-fail:phone:{phone}")
}

/// Failed logins from one client address block in the window.
pub fn login_failures_by_address(block: &AddressBlock) -> String {
    format!("login-fail:ip:{block}")
}

/// The stored answer to a physician's attempt, by its `client_event_id`.
pub fn answer(physician_id: Uuid, client_event_id: Uuid) -> String {
    format!("answer:{physician_id}:{client_event_id}")
}

/// Set once a physician's use of a code is committed: (site, kind, step, slot).
pub fn code_use(physician_id: Uuid, site_id: Uuid, kind: &str, step: i64, slot: &str) -> String {
    format!("code-use:{physician_id}:{site_id}:{kind}:{step}:{slot}")
}

/// A user's session state (active, version), as the database last said.
pub fn session(user_id: Uuid) -> String {
    format!("session:{user_id}")
}

/// Set while a kiosk's last contact is fresh in the database (written at most once per TTL).
pub fn kiosk_seen(kiosk_id: Uuid) -> String {
    format!("kiosk-seen:{kiosk_id}")
}

/// A site's rotating kiosk code for one step, as `GET /kiosk/code` computed it.
pub fn kiosk_code(site_id: Uuid, period_seconds: u32, step: i64) -> String {
    format!("kiosk-code:{site_id}:{period_seconds}:{step}")
}

/// What [`kiosk_code`] holds: the code as served, and the site's IANA time zone.
#[derive(Serialize, Deserialize)]
pub struct KioskCodeEntry {
    pub code: KioskCode,
    pub timezone: String,
}
