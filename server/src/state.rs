//! What every request handler can reach: configuration, store, cache, keys and the clock.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::auth::JwtKeys;
use crate::cache::Cache;
use crate::config::Config;
use crate::domain::clock::SharedClock;
use crate::metrics::Metrics;
use crate::store::Store;

/// Keys and constants derived once at start-up.
pub struct Keys {
    pub jwt: JwtKeys,
    /// Checked against when the phone is unknown, so both failures take as long.
    pub dummy_password_hash: String,
}

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: Store,
    pub cache: Cache,
    pub keys: Arc<Keys>,
    pub clock: SharedClock,
    pub metrics: Metrics,
}

impl AppState {
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}
