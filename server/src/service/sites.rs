//! The process's site index: built from the store on first use and rebuilt when the
//! organizations table changes, here or in another server process.
//!
//! `AppState` carries no slot for it, so indexes live in a process-wide registry keyed
//! by database URL: every `AppState` over the same database shares one index. Another
//! process's changes are noticed within [`CHECK_EVERY`] through a one-row fingerprint
//! query; this process's own writes call [`invalidate`] and are seen at once.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, RwLock};
use std::time::{Duration, Instant};

use uuid::Uuid;

use crate::domain::jurisdiction::JurisdictionPath;
use crate::domain::site_index::{IndexedSite, SiteIndex};
use crate::state::AppState;
use crate::store::StoreResult;
use crate::store::site_index::SitesFingerprint;

/// How long an index is trusted before the fingerprint is read again.
pub const CHECK_EVERY: Duration = Duration::from_secs(2);

/// What the index answers with for each site.
#[derive(Debug, Clone)]
pub struct SiteRef {
    pub id: Uuid,
    pub name: String,
    pub jurisdiction_path: JurisdictionPath,
}

pub type SitesIndex = SiteIndex<SiteRef>;

struct Loaded {
    index: Arc<SitesIndex>,
    fingerprint: SitesFingerprint,
    checked_at: Instant,
}

/// One database's index and the bookkeeping to refresh it once at a time.
#[derive(Default)]
struct Slot {
    loaded: RwLock<Option<Loaded>>,
    /// Set by [`invalidate`]: rebuild on next use whatever the fingerprint says.
    stale: AtomicBool,
    /// Held while refreshing, so concurrent requests wait for one rebuild.
    refresh: tokio::sync::Mutex<()>,
}

impl Slot {
    /// The index, if it was checked recently and nothing here changed since.
    fn fresh(&self) -> Option<Arc<SitesIndex>> {
        if self.stale.load(Ordering::Acquire) {
            return None;
        }
        let loaded = self.loaded.read().unwrap_or_else(PoisonError::into_inner);
        loaded
            .as_ref()
            .filter(|l| l.checked_at.elapsed() < CHECK_EVERY)
            .map(|l| Arc::clone(&l.index))
    }

    /// The loaded index if its fingerprint still matches, marked as checked now.
    fn confirm(&self, fingerprint: SitesFingerprint) -> Option<Arc<SitesIndex>> {
        let mut loaded = self.loaded.write().unwrap_or_else(PoisonError::into_inner);
        let current = loaded.as_mut().filter(|l| l.fingerprint == fingerprint)?;
        current.checked_at = Instant::now();
        Some(Arc::clone(&current.index))
    }

    fn replace(&self, index: Arc<SitesIndex>, fingerprint: SitesFingerprint) {
        let mut loaded = self.loaded.write().unwrap_or_else(PoisonError::into_inner);
        *loaded = Some(Loaded {
            index,
            fingerprint,
            checked_at: Instant::now(),
        });
    }
}

/// Indexes by database URL. Entries are never dropped: a server has one database, and
/// the test suite's many small ones cost little.
fn slot(database_url: &str) -> Arc<Slot> {
    static SLOTS: OnceLock<Mutex<HashMap<String, Arc<Slot>>>> = OnceLock::new();
    let mut slots = SLOTS
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    Arc::clone(slots.entry(database_url.to_owned()).or_default())
}

/// The site index for `state`'s database, rebuilt first if it may be out of date.
pub async fn current(state: &AppState) -> StoreResult<Arc<SitesIndex>> {
    let slot = slot(&state.config.database_url);
    if let Some(index) = slot.fresh() {
        return Ok(index);
    }
    let _refreshing = slot.refresh.lock().await;
    if let Some(index) = slot.fresh() {
        return Ok(index);
    }
    // Cleared before reading, so a write that lands meanwhile marks it stale again.
    let stale = slot.stale.swap(false, Ordering::AcqRel);
    let fingerprint = state.store.sites_fingerprint().await?;
    if !stale && let Some(index) = slot.confirm(fingerprint) {
        return Ok(index);
    }
    let sites = state.store.site_fences().await?;
    let index = Arc::new(SiteIndex::build(
        sites
            .into_iter()
            .map(|s| IndexedSite {
                site: SiteRef {
                    id: s.id,
                    name: s.name,
                    jurisdiction_path: s.jurisdiction_path,
                },
                fence: s.fence,
            })
            .collect(),
    ));
    tracing::debug!(sites = index.len(), "site index rebuilt");
    slot.replace(Arc::clone(&index), fingerprint);
    Ok(index)
}

/// Call after writing an organization so this process's next lookup rebuilds.
pub fn invalidate(state: &AppState) {
    slot(&state.config.database_url)
        .stale
        .store(true, Ordering::Release);
}
