//! Recording administrative and supervisory changes in the audit chain, and checking it.
//!
//! A change is recorded in its own transaction: build the entry with [`pending`] before
//! calling the store, and hand it to the store method that writes the change as
//! `Provenance::Audited(entry)`; the store appends it next to the change (see
//! [`crate::store::audit`]). For example, a handler that updates a user:
//!
//! ```ignore
//! let entry = audit::pending(&state, &actor, Change {
//!     action: "user.deactivate", object_type: "user", object_id: id.to_string(),
//!     before: Some(&before), after: Some(&after),
//! })?;
//! state.store.deactivate_user(id, Provenance::Audited(entry)).await?;
//! ```
//!
//! A new store method writing an audited table follows the three steps in
//! [`crate::store::audit`] and sets the row's `audit_seq`; a new audited table is
//! added to [`AUDITED_TABLES`] and given the column by a migration.

use serde::Serialize;

use crate::domain::access::Actor;
use crate::domain::audit::{AUDITED_TABLES, PendingAudit, UnrecordedChange};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
pub use crate::store::audit::Provenance;

/// What changed: `before` is absent for creations, `after` for revocations.
pub struct Change<'a, T: Serialize> {
    pub action: &'a str,
    pub object_type: &'a str,
    pub object_id: String,
    pub before: Option<&'a T>,
    pub after: Option<&'a T>,
}

fn to_json<T: Serialize>(value: Option<&T>) -> ApiResult<Option<String>> {
    value
        .map(|v| serde_json::to_string(v).map_err(ApiError::internal))
        .transpose()
}

/// The entry for `actor`'s change, to be appended with the change.
pub fn pending<T: Serialize>(
    state: &AppState,
    actor: &Actor,
    change: Change<'_, T>,
) -> ApiResult<PendingAudit> {
    Ok(PendingAudit {
        at: state.now(),
        actor_id: Some(actor.user_id),
        actor_role: Some(actor.role.as_str().to_owned()),
        action: change.action.to_owned(),
        object_type: change.object_type.to_owned(),
        object_id: change.object_id,
        before: to_json(change.before)?,
        after: to_json(change.after)?,
    })
}

/// [`pending`] as the provenance of a store write.
pub fn audited<T: Serialize>(
    state: &AppState,
    actor: &Actor,
    change: Change<'_, T>,
) -> ApiResult<Provenance> {
    pending(state, actor, change).map(Provenance::Audited)
}

/// The outcome of walking the whole chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainReport {
    Intact {
        entries: u64,
    },
    Broken {
        checked: u64,
        at: crate::domain::audit::ChainBreak,
    },
}

/// At most this many unrecorded changes are named per table.
pub const UNRECORDED_SHOWN: u32 = 20;

/// What `server audit verify` found: the chain, and the audited rows whose change has
/// no entry (at most [`UNRECORDED_SHOWN`] per table).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditReport {
    pub chain: ChainReport,
    pub unrecorded: Vec<UnrecordedChange>,
}

impl AuditReport {
    pub fn is_intact(&self) -> bool {
        matches!(self.chain, ChainReport::Intact { .. }) && self.unrecorded.is_empty()
    }
}

/// Walks the chain, then checks every audited row against it.
pub async fn verify(store: &crate::store::Store) -> Result<AuditReport, crate::store::StoreError> {
    let chain = verify_chain(store).await?;
    let mut unrecorded = Vec::new();
    for table in AUDITED_TABLES {
        unrecorded.extend(store.unrecorded_changes(table, UNRECORDED_SHOWN).await?);
    }
    Ok(AuditReport { chain, unrecorded })
}

/// Walks the audit chain from the first entry, a page at a time, and reports the first
/// broken link.
pub async fn verify_chain(
    store: &crate::store::Store,
) -> Result<ChainReport, crate::store::StoreError> {
    const PAGE: u32 = 1000;
    let mut verifier = crate::domain::audit::Verifier::default();
    loop {
        let entries = store.audit_entries(verifier.last_seq(), PAGE, None).await?;
        if entries.is_empty() {
            return Ok(ChainReport::Intact {
                entries: verifier.checked(),
            });
        }
        for entry in &entries {
            if let Err(at) = verifier.check(entry) {
                return Ok(ChainReport::Broken {
                    checked: verifier.checked(),
                    at,
                });
            }
        }
    }
}

/// The chain verified for an administrator, as `server audit verify` does it.
pub async fn verification(
    state: &AppState,
    actor: &Actor,
) -> ApiResult<mobile_api::AuditVerification> {
    actor.require(&[crate::domain::access::Role::Admin])?;
    let report = verify(&state.store).await?;
    let (entries_checked, broken_at) = match &report.chain {
        ChainReport::Intact { entries } => (*entries, None),
        ChainReport::Broken { checked, at } => (*checked, Some(at.to_string())),
    };
    Ok(mobile_api::AuditVerification {
        intact: report.is_intact(),
        entries_checked,
        broken_at,
        unrecorded: report.unrecorded.iter().map(ToString::to_string).collect(),
        checked_at: state.now(),
    })
}

/// Audit entries matching `filter` for an administrator: newest first or in chain
/// order, `limit` of them after `cursor` (the last page's last `seq`).
pub async fn search(
    state: &AppState,
    actor: &Actor,
    filter: crate::store::audit::AuditFilter,
    cursor: Option<i64>,
    newest_first: bool,
    limit: u32,
) -> ApiResult<mobile_api::Page<mobile_api::AuditRecord>> {
    actor.require(&[crate::domain::access::Role::Admin])?;
    let entries = state
        .store
        .search_audit(&filter, cursor, newest_first, limit + 1)
        .await?;
    let more = entries.len() > limit as usize;
    let items: Vec<mobile_api::AuditRecord> = entries
        .into_iter()
        .take(limit as usize)
        .map(to_record)
        .collect();
    let next_cursor = if more {
        items.last().map(|r| r.seq.to_string())
    } else {
        None
    };
    Ok(mobile_api::Page { items, next_cursor })
}

fn to_record(e: crate::domain::audit::AuditEntry) -> mobile_api::AuditRecord {
    let json = |text: Option<String>| text.and_then(|t| serde_json::from_str(&t).ok());
    mobile_api::AuditRecord {
        seq: e.seq,
        id: e.id,
        at: e.at,
        actor_id: e.actor_id,
        actor_role: e.actor_role,
        action: e.action,
        object_type: e.object_type,
        object_id: e.object_id,
        before: json(e.before),
        after: json(e.after),
        prev_hash: e.prev_hash,
        hash: e.hash,
    }
}
