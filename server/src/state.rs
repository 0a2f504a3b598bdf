//! What every request handler can reach: configuration, store, cache, keys and the clock.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::auth::JwtKeys;
use crate::auth::password::Passwords;
use crate::cache::Cache;
use crate::config::Config;
use crate::domain::clock::SharedClock;
use crate::iploc::IpLocator;
use crate::metrics::Metrics;
use crate::store::Store;

/// Keys and constants derived once at start-up.
pub struct Keys {
    pub jwt: JwtKeys,
    /// Hashing at the configured cost, and login checks of equal work for known and
    /// unknown phones.
    pub passwords: Passwords,
    /// Seals survey names and phones (`CHECKIN_PII_KEY`, or generated once).
    pub pii: crate::pii::PiiKey,
}

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: Store,
    pub cache: Cache,
    pub keys: Arc<Keys>,
    pub clock: SharedClock,
    pub metrics: Metrics,
    /// The operator's offline IP database (`CHECKIN_IP_DB`), when there is one.
    pub ip_locator: Option<Arc<dyn IpLocator>>,
}

impl AppState {
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}
