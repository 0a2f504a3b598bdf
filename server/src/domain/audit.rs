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

/// An entry waiting for its place in the chain: everything but `seq` and the hashes,
/// which only the transaction that appends it can know.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingAudit {
    pub at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    pub actor_role: Option<String>,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

impl PendingAudit {
    /// The entry as stored at `seq`, after the head whose hash is `previous`.
    pub fn chain_after(self, seq: i64, previous: &str) -> AuditEntry {
        AuditEntry {
            seq,
            id: Uuid::new_v4(),
            at: self.at,
            actor_id: self.actor_id,
            actor_role: self.actor_role,
            action: self.action,
            object_type: self.object_type,
            object_id: self.object_id,
            before: self.before,
            after: self.after,
            prev_hash: String::new(),
            hash: String::new(),
        }
        .chain_after(seq, previous)
    }
}

/// The `audit_seq` of rows written by the server itself rather than by an actor's
/// change (the bootstrap admin, the synthetic world), and of rows that predate the
/// link (no entry named them when the column was added).
pub const UNAUDITED_SEQ: i64 = 0;

/// A table whose rows carry `audit_seq`, the entry of the change that last wrote them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditedTable {
    pub table: &'static str,
    /// The `object_type` of the entries that name one of its rows by key.
    pub object_type: &'static str,
    /// Entries of other kinds that may write its rows too (an import creates users and
    /// assignments under its own entry).
    pub also_written_by: &'static [&'static str],
}

/// Every audited table. `server audit verify` checks each of their rows.
pub const AUDITED_TABLES: &[AuditedTable] = &[
    AuditedTable::named("jurisdictions", "jurisdiction"),
    AuditedTable::named("organizations", "organization"),
    AuditedTable::named("programs", "program"),
    AuditedTable {
        also_written_by: &["assignment_import"],
        ..AuditedTable::named("assignments", "assignment")
    },
    AuditedTable {
        also_written_by: &["assignment_import"],
        ..AuditedTable::named("users", "user")
    },
    AuditedTable::named("kiosks", "kiosk"),
    AuditedTable::named("inspections", "inspection"),
    AuditedTable::named("presence_checks", "presence_check"),
    AuditedTable::named("anomaly_reviews", "anomaly"),
    AuditedTable::named("county_facts", "county_facts"),
    AuditedTable::named("assignment_imports", "assignment_import"),
    AuditedTable::named("filing_obligations", "filing_obligation"),
    AuditedTable::named("filings", "filing"),
    AuditedTable::named("holiday_calendars", "holiday_calendar"),
    AuditedTable::named("device_move_requests", "device_move_request"),
    AuditedTable::named("inspection_photos", "inspection_photo"),
    AuditedTable::named("inspection_plans", "inspection_plan"),
    AuditedTable::named("clinic_confirmations", "clinic_confirmation"),
    AuditedTable::named("appeals", "appeal"),
    AuditedTable::named("scan_photos", "scan_photo"),
    AuditedTable::named("complaints", "complaint"),
    AuditedTable::named("external_services", "external_service"),
    AuditedTable::named("promotion_opinions", "promotion_opinion"),
    AuditedTable::named("survey_rounds", "survey_round"),
    AuditedTable {
        // Registered, drawn and erased a round at a time.
        also_written_by: &["survey_round"],
        ..AuditedTable::named("survey_people", "survey_person")
    },
    AuditedTable {
        // A call is recorded under the entry naming the person called.
        also_written_by: &["survey_person"],
        ..AuditedTable::named("survey_calls", "survey_call")
    },
    AuditedTable::named("scan_photo_samples", "scan_photo_sample"),
    AuditedTable::named("scan_photo_reviews", "scan_photo_review"),
];

impl AuditedTable {
    const fn named(table: &'static str, object_type: &'static str) -> AuditedTable {
        AuditedTable {
            table,
            object_type,
            also_written_by: &[],
        }
    }

    /// Whether the entry at a row's `audit_seq`, naming `(object_type, object_id)`,
    /// can be the one that wrote the row keyed `key`.
    pub fn recorded_by(&self, key: &str, object_type: &str, object_id: &str) -> bool {
        (object_type == self.object_type && object_id == key)
            || self.also_written_by.contains(&object_type)
    }
}

/// A row of an audited table as `audit verify` finds it: its key, its `audit_seq`, and
/// the object named by the entry at that seq, if there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowLink {
    pub key: String,
    pub audit_seq: Option<i64>,
    pub entry_object: Option<(String, String)>,
}

/// A row whose change has no audit entry to show for it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnrecordedChange {
    #[error("{table} {key}: written without an audit entry (no audit_seq)")]
    NoLink { table: &'static str, key: String },
    #[error("{table} {key}: its audit entry seq {seq} is missing")]
    MissingEntry {
        table: &'static str,
        key: String,
        seq: i64,
    },
    #[error("{table} {key}: audit entry seq {seq} records {object_type} {object_id}, not this row")]
    OtherObject {
        table: &'static str,
        key: String,
        seq: i64,
        object_type: String,
        object_id: String,
    },
}

impl AuditedTable {
    /// Checks that `row` was written by an entry that names it (or is an unaudited seed
    /// or legacy row, `audit_seq` = [`UNAUDITED_SEQ`]).
    pub fn check(&self, row: &RowLink) -> Result<(), UnrecordedChange> {
        let key = row.key.clone();
        let seq = match row.audit_seq {
            None => {
                return Err(UnrecordedChange::NoLink {
                    table: self.table,
                    key,
                });
            }
            Some(UNAUDITED_SEQ) => return Ok(()),
            Some(seq) => seq,
        };
        match &row.entry_object {
            None => Err(UnrecordedChange::MissingEntry {
                table: self.table,
                key,
                seq,
            }),
            Some((object_type, object_id)) if self.recorded_by(&key, object_type, object_id) => {
                Ok(())
            }
            Some((object_type, object_id)) => Err(UnrecordedChange::OtherObject {
                table: self.table,
                key,
                seq,
                object_type: object_type.clone(),
                object_id: object_id.clone(),
            }),
        }
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

    fn link(seq: Option<i64>, object: Option<(&str, &str)>) -> RowLink {
        RowLink {
            key: "k1".into(),
            audit_seq: seq,
            entry_object: object.map(|(t, i)| (t.into(), i.into())),
        }
    }

    #[test]
    fn a_row_linked_to_the_entry_naming_it_is_recorded() {
        let users = AUDITED_TABLES[4];
        assert_eq!(users.table, "users");
        assert_eq!(users.check(&link(Some(7), Some(("user", "k1")))), Ok(()));
        assert_eq!(
            users.check(&link(Some(7), Some(("assignment_import", "i9")))),
            Ok(())
        );
        assert_eq!(users.check(&link(Some(UNAUDITED_SEQ), None)), Ok(()));
    }

    #[test]
    fn a_row_without_its_entry_is_an_unrecorded_change() {
        let orgs = AUDITED_TABLES[1];
        assert!(matches!(
            orgs.check(&link(None, None)),
            Err(UnrecordedChange::NoLink {
                table: "organizations",
                ..
            })
        ));
        assert!(matches!(
            orgs.check(&link(Some(4), None)),
            Err(UnrecordedChange::MissingEntry { seq: 4, .. })
        ));
        assert!(matches!(
            orgs.check(&link(Some(4), Some(("organization", "other")))),
            Err(UnrecordedChange::OtherObject { seq: 4, .. })
        ));
        assert!(matches!(
            orgs.check(&link(Some(4), Some(("assignment_import", "k1")))),
            Err(UnrecordedChange::OtherObject { .. })
        ));
    }

    #[test]
    fn a_pending_entry_chains_like_a_stored_one() {
        let pending = PendingAudit {
            at: DateTime::from_timestamp(1_780_000_000, 0).expect("valid"),
            actor_id: None,
            actor_role: None,
            action: "organization.update".into(),
            object_type: "organization".into(),
            object_id: "o".into(),
            before: None,
            after: Some("{}".into()),
        };
        let e = pending.chain_after(1, GENESIS);
        assert_eq!(verify(&[e]), Ok(1));
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
