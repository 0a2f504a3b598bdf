//! Personnel-table imports: what their rows are resolved against, and the one
//! transaction that writes an accepted table (its users, its assignments and the
//! import's record, whose unique digest makes a second write of the same import fail).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::audit::{AuditTx, BeginWrite, Provenance};
use super::eligibility::{INSERT_OVERRIDE, OverrideRecord};
use super::statement::numbered_marks;
use super::{Store, StoreError, StoreResult, encode_enum, on_pool, parse_uuid, to_ms};
use crate::domain::assignment::Assignment;
use crate::domain::jurisdiction::JurisdictionPath;
use crate::domain::organization::OrganizationKind;
use crate::domain::personnel::NamedOrg;
use crate::domain::user::{Phone, User};

/// Placeholders bound per `IN (…)` query, well under either database's limit.
const PHONES_PER_QUERY: usize = 500;

/// An accepted table, ready to be written.
pub struct ImportWrite<'a> {
    pub id: Uuid,
    pub digest: &'a str,
    pub filename: Option<&'a str>,
    pub imported_by: Uuid,
    pub imported_at: DateTime<Utc>,
    pub row_count: u32,
    /// New physicians with the hash of their initial password.
    pub users: &'a [(User, String)],
    /// One assignment per sheet row, with a fresh id; written unless the same
    /// (physician, site, program, start, end) exists.
    pub assignments: &'a [(u32, Assignment)],
    /// Overrides of the programme's rules, by the id of the assignment they admit;
    /// written with the assignments created.
    pub overrides: &'a HashMap<Uuid, OverrideRecord>,
}

/// What became of one row's assignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignmentFate {
    pub row: u32,
    pub assignment_id: Uuid,
    pub physician_id: Uuid,
    pub site_id: Uuid,
    pub created: bool,
}

pub enum ImportWriteOutcome {
    Written(Vec<AssignmentFate>),
    /// Another request recorded an import with this digest first; nothing was written.
    AlreadyImported,
}

/// An import as recorded: its id and its outcome as JSON.
pub struct StoredImport {
    pub id: Uuid,
    pub result: String,
}

fn named(rows: Vec<(String, String)>) -> StoreResult<Vec<NamedOrg>> {
    rows.into_iter()
        .map(|(id, name)| {
            Ok(NamedOrg {
                id: parse_uuid(&id)?,
                name,
            })
        })
        .collect()
}

impl Store {
    /// Receiving sites (township and community health centers, village clinics) in the
    /// jurisdiction at `within` and below.
    pub async fn receiving_sites_within(
        &self,
        within: &JurisdictionPath,
    ) -> StoreResult<Vec<NamedOrg>> {
        const SQL: &str = "SELECT o.id, o.name FROM organizations o \
            JOIN jurisdictions j ON j.code = o.jurisdiction_code \
            WHERE o.kind IN ($1, $2, $3) AND (j.path = $4 OR j.path LIKE $5) ORDER BY o.name, o.id";
        let root = within.as_str();
        let rows: Vec<(String, String)> = on_pool!(self.db(), pool => sqlx::query_as(SQL)
            .bind(encode_enum(&OrganizationKind::TownshipHealthCenter))
            .bind(encode_enum(&OrganizationKind::CommunityHealthCenter))
            .bind(encode_enum(&OrganizationKind::VillageClinic))
            .bind(root)
            .bind(format!("{root}/%"))
            .fetch_all(pool)
            .await?);
        named(rows)
    }

    /// Every hospital: physicians may come from outside the program's jurisdiction
    /// (a city hospital supports a county's clinics).
    pub async fn hospitals(&self) -> StoreResult<Vec<NamedOrg>> {
        const SQL: &str = "SELECT id, name FROM organizations WHERE kind = $1 ORDER BY name, id";
        let rows: Vec<(String, String)> = on_pool!(self.db(), pool => sqlx::query_as(SQL)
            .bind(encode_enum(&OrganizationKind::Hospital))
            .fetch_all(pool)
            .await?);
        named(rows)
    }

    /// The accounts that hold any of `phones`.
    pub async fn users_by_phones(&self, phones: &[Phone]) -> StoreResult<Vec<User>> {
        let mut taken: Vec<String> = Vec::new();
        for chunk in phones.chunks(PHONES_PER_QUERY) {
            let placeholders = numbered_marks(1, chunk.len());
            let sql = format!("SELECT phone FROM users WHERE phone IN ({})", placeholders);
            let rows: Vec<(String,)> = on_pool!(self.db(), pool => {
                let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql));
                for phone in chunk {
                    query = query.bind(phone.as_str());
                }
                query.fetch_all(pool).await?
            });
            taken.extend(rows.into_iter().map(|(p,)| p));
        }
        let mut users = Vec::with_capacity(taken.len());
        for phone in taken {
            let phone = Phone::parse(&phone)
                .map_err(|_| StoreError::Corrupt(format!("phone {phone:?}")))?;
            if let Some(user) = self.user_by_phone(&phone).await? {
                users.push(user);
            }
        }
        Ok(users)
    }

    /// The import recorded with `digest`, if any.
    pub async fn assignment_import(&self, digest: &str) -> StoreResult<Option<StoredImport>> {
        const SQL: &str = "SELECT id, result FROM assignment_imports WHERE digest = $1";
        let row: Option<(String, String)> = on_pool!(self.db(), pool =>
            sqlx::query_as(SQL).bind(digest).fetch_optional(pool).await?);
        row.map(|(id, result)| {
            Ok(StoredImport {
                id: parse_uuid(&id)?,
                result,
            })
        })
        .transpose()
    }

    /// Writes an accepted table in one transaction. The import's record goes first, so
    /// a concurrent import of the same digest waits for this one and then finds the
    /// digest taken. `result` turns the fates of the rows into the JSON recorded with
    /// the import, and the `after` of its audit entry, appended in the same transaction.
    pub async fn write_import(
        &self,
        write: &ImportWrite<'_>,
        mut provenance: Provenance,
        result: impl FnOnce(&[AssignmentFate]) -> StoreResult<String>,
    ) -> StoreResult<ImportWriteOutcome> {
        const INSERT_IMPORT: &str = "INSERT INTO assignment_imports \
            (id, digest, filename, imported_by, imported_at, row_count, result, audit_seq) \
            VALUES ($1, $2, $3, $4, $5, $6, '{}', $7)";
        // The initial password is handed out on paper: the physician sets their own at
        // the first login (`must_change_password`).
        const INSERT_USER: &str = "INSERT INTO users (id, role, name, phone, password_hash, \
            organization_id, jurisdiction_code, title, specialty, gender, created_at, audit_seq, \
            must_change_password, practice_since_year, discipline) \
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, TRUE, $13, $14)";
        const FIND_ASSIGNMENT: &str = "SELECT id FROM assignments WHERE physician_id = $1 \
            AND site_id = $2 AND program_id = $3 AND start_date = $4 AND end_date = $5 \
            ORDER BY created_at, id LIMIT 1";
        const INSERT_ASSIGNMENT: &str = "INSERT INTO assignments (id, physician_id, site_id, \
            program_id, mode, start_date, end_date, window_start, window_end, created_at, \
            audit_seq) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
        const SET_RESULT: &str = "UPDATE assignment_imports SET result = $2 WHERE id = $1";
        let id = write.id.to_string();
        on_pool!(self.db(), pool => {
            let mut tx = pool.begin_write().await?;
            let slot = tx.claim_audit_slot(&provenance).await?;
            let recorded = sqlx::query(INSERT_IMPORT)
                .bind(&id)
                .bind(write.digest)
                .bind(write.filename)
                .bind(write.imported_by.to_string())
                .bind(to_ms(write.imported_at))
                .bind(i64::from(write.row_count))
                .bind(slot.link())
                .execute(&mut *tx)
                .await;
            match recorded {
                Ok(_) => {}
                // Dropping the transaction rolls it back.
                Err(e) if StoreError::is_unique_violation(&e) => {
                    return Ok(ImportWriteOutcome::AlreadyImported);
                }
                Err(e) => return Err(e.into()),
            }
            for (user, hash) in write.users {
                sqlx::query(INSERT_USER)
                    .bind(user.id.to_string())
                    .bind(user.role.as_str())
                    .bind(&user.name)
                    .bind(user.phone.as_str())
                    .bind(hash)
                    .bind(user.organization_id.map(|u| u.to_string()))
                    .bind(user.jurisdiction_code.as_ref().map(|c| c.as_str().to_owned()))
                    .bind(&user.title)
                    .bind(&user.specialty)
                    .bind(user.gender.as_ref().map(encode_enum))
                    .bind(to_ms(user.created_at))
                    .bind(slot.link())
                    .bind(user.practice_since_year.map(i64::from))
                    .bind(user.discipline.as_ref().map(encode_enum))
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| StoreError::on_unique(e, "a user with a phone of this table was created meanwhile; import again"))?;
            }
            let mut fates = Vec::with_capacity(write.assignments.len());
            for (row, a) in write.assignments {
                let existing: Option<(String,)> = sqlx::query_as(FIND_ASSIGNMENT)
                    .bind(a.physician_id.to_string())
                    .bind(a.site_id.to_string())
                    .bind(a.program_id.to_string())
                    .bind(a.start_date.to_string())
                    .bind(a.end_date.to_string())
                    .fetch_optional(&mut *tx)
                    .await?;
                let (assignment_id, created) = match existing {
                    Some((existing,)) => (parse_uuid(&existing)?, false),
                    None => {
                        sqlx::query(INSERT_ASSIGNMENT)
                            .bind(a.id.to_string())
                            .bind(a.physician_id.to_string())
                            .bind(a.site_id.to_string())
                            .bind(a.program_id.to_string())
                            .bind(encode_enum(&a.mode))
                            .bind(a.start_date.to_string())
                            .bind(a.end_date.to_string())
                            .bind(a.window.start_hhmm())
                            .bind(a.window.end_hhmm())
                            .bind(to_ms(a.created_at))
                            .bind(slot.link())
                            .execute(&mut *tx)
                            .await?;
                        if let Some(admitted) = write.overrides.get(&a.id) {
                            let (id, reason, rules, by, at) = admitted.values(a.id)?;
                            sqlx::query(INSERT_OVERRIDE)
                                .bind(id)
                                .bind(reason)
                                .bind(rules)
                                .bind(by)
                                .bind(at)
                                .execute(&mut *tx)
                                .await?;
                        }
                        (a.id, true)
                    }
                };
                fates.push(AssignmentFate {
                    row: *row,
                    assignment_id,
                    physician_id: a.physician_id,
                    site_id: a.site_id,
                    created,
                });
            }
            let json = result(&fates)?;
            sqlx::query(SET_RESULT)
                .bind(&id)
                .bind(&json)
                .execute(&mut *tx)
                .await?;
            if let Some(pending) = provenance.pending_mut() {
                pending.after = Some(json);
            }
            tx.append_audit(slot, provenance).await?;
            tx.commit().await?;
            Ok(ImportWriteOutcome::Written(fates))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::user::Role;

    async fn store() -> (Store, std::path::PathBuf) {
        crate::store::temp_store("imports", 2).await
    }

    fn user(role: Role, phone: &str) -> User {
        User {
            id: Uuid::new_v4(),
            role,
            name: "测试".into(),
            phone: Phone::parse(phone).expect("phone"),
            organization_id: None,
            jurisdiction_code: None,
            title: None,
            specialty: None,
            gender: None,
            created_at: DateTime::UNIX_EPOCH,
            deactivated_at: None,
            discipline: None,
            practice_since_year: None,
        }
    }

    #[tokio::test]
    async fn a_second_write_of_the_same_digest_writes_nothing() {
        let (store, dir) = store().await;
        let admin = user(Role::Admin, "13900000001");
        store
            .insert_user(&admin, "hash", false, Provenance::Seed)
            .await
            .expect("admin");
        let write = ImportWrite {
            id: Uuid::new_v4(),
            digest: "d1",
            filename: Some("名单.csv"),
            imported_by: admin.id,
            imported_at: DateTime::UNIX_EPOCH,
            row_count: 0,
            users: &[],
            assignments: &[],
            overrides: &Default::default(),
        };
        let first = store
            .write_import(&write, Provenance::Seed, |fates| {
                Ok(format!("{{\"fates\":{}}}", fates.len()))
            })
            .await
            .expect("writes");
        assert!(matches!(first, ImportWriteOutcome::Written(f) if f.is_empty()));

        let newcomer = [(user(Role::Physician, "13900000002"), "hash".to_owned())];
        let again = ImportWrite {
            id: Uuid::new_v4(),
            users: &newcomer,
            ..write
        };
        let second = store
            .write_import(&again, Provenance::Seed, |_| Ok("{\"second\":true}".into()))
            .await
            .expect("answers");
        assert!(matches!(second, ImportWriteOutcome::AlreadyImported));
        assert!(
            store.user(newcomer[0].0.id).await.expect("reads").is_none(),
            "the losing write is rolled back"
        );
        let stored = store
            .assignment_import("d1")
            .await
            .expect("reads")
            .expect("recorded");
        assert_eq!(stored.id, write.id);
        assert_eq!(stored.result, "{\"fates\":0}");
        assert!(
            store
                .assignment_import("d2")
                .await
                .expect("reads")
                .is_none()
        );
        store.close().await;
        let _ = std::fs::remove_dir_all(dir);
    }
}
