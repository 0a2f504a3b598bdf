//! Recording administrative and supervisory changes in the audit chain.

use serde::Serialize;
use uuid::Uuid;

use crate::domain::access::Actor;
use crate::domain::audit::AuditEntry;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

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

/// Appends one entry for `actor`'s change.
pub async fn record<T: Serialize>(
    state: &AppState,
    actor: &Actor,
    change: Change<'_, T>,
) -> ApiResult<()> {
    let entry = AuditEntry {
        seq: 0,
        id: Uuid::new_v4(),
        at: state.now(),
        actor_id: Some(actor.user_id),
        actor_role: Some(actor.role.as_str().to_owned()),
        action: change.action.to_owned(),
        object_type: change.object_type.to_owned(),
        object_id: change.object_id,
        before: to_json(change.before)?,
        after: to_json(change.after)?,
        prev_hash: String::new(),
        hash: String::new(),
    };
    state.store.append_audit(entry).await?;
    Ok(())
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
