//! The audit chain: each entry's hash covers its content and the previous entry's hash,
//! so an edited, removed or inserted row breaks every link after it.

use chrono::{DateTime, Utc};
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One audit entry as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub seq: i64,
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    pub actor_role: Option<String>,
    /// e.g. `organization.update`, `anomaly.review`.
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    /// JSON of the object before and after the change (absent for creations/deletions).
    pub before: Option<String>,
    pub after: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditEntry {
    /// SHA-256 over a JSON array of every field but `hash`: unambiguous, stable.
    pub fn compute_hash(&self) -> String {
        let canonical = json!([
            self.prev_hash,
            self.seq,
            self.id,
            self.at.timestamp_millis(),
            self.actor_id,
            self.actor_role,
            self.action,
            self.object_type,
            self.object_id,
            self.before,
            self.after,
        ]);
        let digest = Sha256::digest(canonical.to_string().as_bytes());
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Fills `prev_hash` and `hash` to follow `previous` (the head's hash).
    pub fn chain_after(mut self, seq: i64, previous: &str) -> AuditEntry {
        self.seq = seq;
        self.prev_hash = previous.to_owned();
        self.hash = self.compute_hash();
        self
    }
}

/// Where the chain breaks first.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    #[error("seq {found}: expected seq {expected} (a row is missing or inserted)")]
    Gap { expected: i64, found: i64 },
    #[error("seq {seq}: prev_hash does not match the previous row's hash")]
    Link { seq: i64 },
    #[error("seq {seq}: content does not match its hash (the row was edited)")]
    Content { seq: i64 },
}

/// Walks a chain in `seq` order, resuming from `(last_seq, last_hash)`.
#[derive(Debug, Clone)]
pub struct Verifier {
    last_seq: i64,
    last_hash: String,
    checked: u64,
}

impl Default for Verifier {
    fn default() -> Self {
        Verifier {
            last_seq: 0,
            last_hash: GENESIS.to_owned(),
            checked: 0,
        }
    }
}

impl Verifier {
    pub fn check(&mut self, entry: &AuditEntry) -> Result<(), ChainBreak> {
        if entry.seq != self.last_seq + 1 {
            return Err(ChainBreak::Gap {
                expected: self.last_seq + 1,
                found: entry.seq,
            });
        }
        if entry.prev_hash != self.last_hash {
            return Err(ChainBreak::Link { seq: entry.seq });
        }
        if entry.compute_hash() != entry.hash {
            return Err(ChainBreak::Content { seq: entry.seq });
        }
        self.last_seq = entry.seq;
        self.last_hash = entry.hash.clone();
        self.checked += 1;
        Ok(())
    }

    pub fn checked(&self) -> u64 {
        self.checked
    }

    pub fn last_seq(&self) -> i64 {
        self.last_seq
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(n: i64) -> AuditEntry {
        AuditEntry {
            seq: 0,
            id: Uuid::new_v4(),
            at: DateTime::from_timestamp(1_780_000_000 + n, 0).expect("valid"),
            actor_id: Some(Uuid::new_v4()),
            actor_role: Some("admin".into()),
            action: "organization.update".into(),
            object_type: "organization".into(),
            object_id: format!("org-{n}"),
            before: Some(r#"{"name":"a"}"#.into()),
            after: Some(r#"{"name":"b"}"#.into()),
            prev_hash: String::new(),
            hash: String::new(),
        }
    }

    fn chain(n: i64) -> Vec<AuditEntry> {
        let mut head = GENESIS.to_owned();
        (1..=n)
            .map(|seq| {
                let e = entry(seq).chain_after(seq, &head);
                head = e.hash.clone();
                e
            })
            .collect()
    }

    fn verify(entries: &[AuditEntry]) -> Result<u64, ChainBreak> {
        let mut v = Verifier::default();
        for e in entries {
            v.check(e)?;
        }
        Ok(v.checked())
    }

    #[test]
    fn an_intact_chain_verifies() {
        assert_eq!(verify(&chain(5)), Ok(5));
        assert_eq!(verify(&[]), Ok(0));
    }

    #[test]
    fn an_edited_row_is_found() {
        let mut c = chain(5);
        c[2].after = Some(r#"{"name":"forged"}"#.into());
        assert_eq!(verify(&c), Err(ChainBreak::Content { seq: 3 }));
    }

    #[test]
    fn an_edited_row_with_a_recomputed_hash_breaks_the_next_link() {
        let mut c = chain(5);
        c[2].after = Some(r#"{"name":"forged"}"#.into());
        c[2].hash = c[2].compute_hash();
        assert_eq!(verify(&c), Err(ChainBreak::Link { seq: 4 }));
    }

    #[test]
    fn a_removed_row_is_a_gap() {
        let mut c = chain(5);
        c.remove(1);
        assert_eq!(
            verify(&c),
            Err(ChainBreak::Gap {
                expected: 2,
                found: 3
            })
        );
    }
}
