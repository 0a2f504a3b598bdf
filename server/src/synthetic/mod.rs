//! A realistic synthetic province (`server seed-synthetic`): counties with their
//! hospitals, 乡镇卫生院, 社区卫生服务中心 and 村卫生室, fictional physicians on
//! circuits and resident postings under the circulars' programmes, and days of
//! check-ins simulated on a manual clock, faults and supervisor reviews included.
//!
//! The plan ([`plan`], [`script`]) is a pure function of the seed: the same seed
//! gives the same province, people, ids of the written world, scans, verdicts,
//! anomalies and reviews. Only what the server itself makes up is random: the ids
//! of events, visits, anomalies and activities, and the sites' kiosk secrets. It is
//! played through one of two paths:
//!
//! * [`Path::Service`] sends every scan through [`crate::service::attendance::attend`],
//!   exactly as `POST /attendance/check-in|check-out` does, logs activities through
//!   the store as `POST /visits/{id}/activities` does, closes visits with the
//!   scheduler, and reviews anomalies through the review handler. What it stores is
//!   what the server would store.
//! * [`Path::Bulk`] (see [`bulk`]) judges every scan with the same domain functions
//!   but keeps the facts in memory and writes in large batched transactions, for
//!   millions of events. Its doc comment lists what it does not do.

pub mod bulk;
pub mod cli;
pub mod geography;
pub mod live;
pub mod names;
pub mod plan;
pub mod review;
pub mod rng;
pub mod script;
pub mod simulate;
pub mod world;

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};

use crate::auth::JwtKeys;
use crate::auth::password::Passwords;
use crate::cache::Cache;
use crate::config::Config;
use crate::domain::clock::{ManualClock, SharedClock};
use crate::error::ApiError;
use crate::state::{AppState, Keys};
use crate::store::{Store, StoreError};

pub use plan::{FaultRates, Plan, Spec};
pub use simulate::{Options, Path, Summary, seed, seed_with};

/// Why seeding stopped.
#[derive(Debug, thiserror::Error)]
pub enum SyntheticError {
    #[error("plan: {0}")]
    Plan(#[from] plan::PlanError),
    #[error("province {0} already exists in this database; choose another --province-prefix")]
    AlreadySeeded(String),
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("service: {0}")]
    Service(#[from] ApiError),
    #[error("password hashing: {0}")]
    Hashing(String),
    #[error("invalid generated data: {0}")]
    Invalid(String),
}

/// An application state on `clock` outside any HTTP server, for seeding, the demo
/// and benchmarks: the store (migrated, `config.db_max_connections`, the server's
/// settings), an in-process cache and throwaway signing keys (nothing signed here
/// leaves the process).
pub async fn offline_state(
    config: &Config,
    clock: SharedClock,
) -> Result<AppState, SyntheticError> {
    let store = Store::connect(&config.database_url, config.db_max_connections).await?;
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(|e| SyntheticError::Invalid(e.to_string()))?;
    let keys = Keys {
        jwt: JwtKeys::from_secret(&secret),
        passwords: Passwords::new(config.password_cost)
            .map_err(|e| SyntheticError::Hashing(e.to_string()))?,
        // The simulated world registers no survey people: a throwaway key.
        pii: crate::pii::PiiKey::from_bytes(&secret)
            .map_err(|e| SyntheticError::Invalid(e.to_string()))?,
    };
    Ok(AppState {
        config: Arc::new(config.clone()),
        store,
        cache: Cache::memory(),
        keys: Arc::new(keys),
        clock,
        metrics: crate::metrics::Metrics::new(),
        ip_locator: None,
    })
}

/// A state sharing `store` (and its pool) but reading time from `clock`.
pub fn with_clock(state: &AppState, clock: SharedClock) -> AppState {
    AppState {
        clock,
        ..state.clone()
    }
}

/// A manual clock at `at`, and the same clock as the state's shared clock.
pub fn manual_clock(at: DateTime<Utc>) -> (Arc<ManualClock>, SharedClock) {
    let clock = Arc::new(ManualClock::new(at));
    let shared: SharedClock = clock.clone();
    (clock, shared)
}

/// Yesterday in Asia/Shanghai: the default last simulated day.
pub fn yesterday(now: DateTime<Utc>) -> NaiveDate {
    let today =
        crate::domain::window::local_date(now, crate::domain::organization::DEFAULT_TIMEZONE);
    today.pred_opt().unwrap_or(today)
}

#[cfg(test)]
mod tests;
