//! Users and their credentials.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::audit::{AuditTx, BeginWrite, Provenance};
use super::statement::Step;
use super::{
    Store, StoreError, StoreResult, decode_enum, encode_enum, from_ms, on_pool, parse_opt_uuid,
    parse_uuid, to_ms,
};
use crate::domain::jurisdiction::{JurisdictionCode, JurisdictionPath};
use crate::domain::user::{Credentials, Phone, Role, SessionState, User};

#[derive(sqlx::FromRow)]
struct UserRow {
    id: String,
    role: String,
    name: String,
    phone: String,
    organization_id: Option<String>,
    jurisdiction_code: Option<String>,
    title: Option<String>,
    specialty: Option<String>,
    gender: Option<String>,
    practice_since_year: Option<i64>,
    discipline: Option<String>,
    created_at: i64,
    deactivated_at: Option<i64>,
    password_hash: String,
    placement_path: Option<String>,
}

const SELECT: &str = "SELECT u.id, u.role, u.name, u.phone, u.organization_id, u.jurisdiction_code, \
    u.title, u.specialty, u.gender, u.practice_since_year, u.discipline, u.created_at, u.deactivated_at, u.password_hash, j.path AS placement_path \
    FROM users u \
    LEFT JOIN organizations o ON o.id = u.organization_id \
    LEFT JOIN jurisdictions j ON j.code = COALESCE(u.jurisdiction_code, o.jurisdiction_code)";

pub(super) const BUMP_SESSION: &str =
    "UPDATE users SET session_version = session_version + 1 WHERE id = $1";
const REVOKE_USER_TOKENS: &str =
    "UPDATE refresh_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL";

/// A user, the hash of their password and the jurisdiction they sit in.
struct UserRecord {
    credentials: Credentials,
    placement: Option<JurisdictionPath>,
}

impl TryFrom<UserRow> for UserRecord {
    type Error = StoreError;
    fn try_from(row: UserRow) -> StoreResult<UserRecord> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("user {}: {what}", row.id));
        let user = User {
            id: parse_uuid(&row.id)?,
            role: Role::parse(&row.role).ok_or_else(|| corrupt("role"))?,
            name: row.name.clone(),
            phone: Phone::parse(&row.phone).map_err(|_| corrupt("phone"))?,
            organization_id: parse_opt_uuid(row.organization_id.clone())?,
            jurisdiction_code: row
                .jurisdiction_code
                .as_deref()
                .map(JurisdictionCode::parse)
                .transpose()
                .map_err(|_| corrupt("jurisdiction"))?,
            title: row.title.clone(),
            specialty: row.specialty.clone(),
            gender: row.gender.as_deref().map(decode_enum).transpose()?,
            practice_since_year: row
                .practice_since_year
                .map(i32::try_from)
                .transpose()
                .map_err(|_| corrupt("practice_since_year"))?,
            discipline: row.discipline.as_deref().map(decode_enum).transpose()?,
            created_at: from_ms(row.created_at)?,
            deactivated_at: row.deactivated_at.map(from_ms).transpose()?,
        };
        Ok(UserRecord {
            credentials: Credentials {
                user,
                password_hash: row.password_hash,
            },
            placement: row.placement_path.map(JurisdictionPath::from_stored),
        })
    }
}

/// What a physician search matches, besides the caller's reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhysicianText {
    /// The name contains this.
    Name(String),
    /// The phone is exactly this (11 digits, as stored).
    Phone(String),
    /// The phone ends with these four digits (尾号).
    PhoneTail(String),
}

/// Which physicians [`Store::list_physicians`] finds, in name order.
#[derive(Debug, Clone, Default)]
pub struct PhysicianSearch<'a> {
    /// Employed in this jurisdiction or below (their organization's), or posted to a
    /// site there by any assignment.
    pub within: Option<&'a JurisdictionPath>,
    /// Employed by this organization.
    pub organization_id: Option<Uuid>,
    pub text: Option<PhysicianText>,
    /// The (name, id) of the previous page's last physician.
    pub after: Option<(String, Uuid)>,
}

/// Which users [`Store::list_users`] finds, in name order.
#[derive(Debug, Clone, Default)]
pub struct UserSearch<'a> {
    /// Placed in this jurisdiction or below (their own, or their organization's).
    pub within: Option<&'a JurisdictionPath>,
    pub organization_id: Option<Uuid>,
    pub role: Option<Role>,
    /// Part of the name or of the phone.
    pub text: Option<String>,
    /// Only active (`true`) or only deactivated (`false`) accounts.
    pub active: Option<bool>,
    /// The (name, id) of the previous page's last user.
    pub after: Option<(String, Uuid)>,
}

/// A physician found by a search, with their organization's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhysicianEntry {
    pub id: Uuid,
    pub name: String,
    pub phone: String,
    pub title: Option<String>,
    pub organization_id: Option<Uuid>,
    pub organization_name: Option<String>,
    pub active: bool,
}

/// `%`, `_` and the escape itself taken literally in a `LIKE … ESCAPE '\'` pattern.
fn like_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

impl Store {
    /// Physicians in reach matching `search`, ordered by name then id, at most `limit`.
    pub async fn list_physicians(
        &self,
        search: &PhysicianSearch<'_>,
        limit: u32,
    ) -> StoreResult<Vec<PhysicianEntry>> {
        const SQL: &str = "SELECT u.id, u.name, u.phone, u.title, u.organization_id, \
            o.name AS organization_name, u.deactivated_at \
            FROM users u \
            LEFT JOIN organizations o ON o.id = u.organization_id \
            LEFT JOIN jurisdictions j ON j.code = o.jurisdiction_code \
            WHERE u.role = 'physician' \
            AND ($1 = '' OR j.path = $1 OR j.path LIKE $2 OR EXISTS ( \
                SELECT 1 FROM assignments a \
                JOIN organizations s ON s.id = a.site_id \
                JOIN jurisdictions sj ON sj.code = s.jurisdiction_code \
                WHERE a.physician_id = u.id AND (sj.path = $1 OR sj.path LIKE $2))) \
            AND ($3 = '' OR u.organization_id = $3) \
            AND ($4 = '' OR u.name LIKE $4 ESCAPE '\\') \
            AND ($5 = '' OR u.phone LIKE $5) \
            AND (u.name > $6 OR (u.name = $6 AND u.id > $7)) \
            ORDER BY u.name, u.id LIMIT $8";
        type Row = (
            String,
            String,
            String,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<i64>,
        );
        let root = search
            .within
            .map(|p| p.as_str().to_owned())
            .unwrap_or_default();
        let (name, phone) = match &search.text {
            None => (String::new(), String::new()),
            Some(PhysicianText::Name(part)) => (format!("%{}%", like_literal(part)), String::new()),
            // Digits only (checked by the caller's parse): nothing to escape.
            Some(PhysicianText::Phone(digits)) => (String::new(), digits.clone()),
            Some(PhysicianText::PhoneTail(digits)) => (String::new(), format!("%{digits}")),
        };
        let (after_name, after_id) = search
            .after
            .as_ref()
            .map(|(name, id)| (name.clone(), id.to_string()))
            .unwrap_or_default();
        let rows: Vec<Row> = on_pool!(self.db(), pool =>
            sqlx::query_as(SQL)
                .bind(&root)
                .bind(format!("{root}/%"))
                .bind(search.organization_id.map(|u| u.to_string()).unwrap_or_default())
                .bind(&name)
                .bind(&phone)
                .bind(&after_name)
                .bind(&after_id)
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?);
        rows.into_iter()
            .map(
                |(id, name, phone, title, organization_id, organization_name, deactivated_at)| {
                    Ok(PhysicianEntry {
                        id: parse_uuid(&id)?,
                        name,
                        phone,
                        title,
                        organization_id: parse_opt_uuid(organization_id)?,
                        organization_name,
                        active: deactivated_at.is_none(),
                    })
                },
            )
            .collect()
    }

    pub async fn insert_user(
        &self,
        user: &User,
        password_hash: &str,
        must_change_password: bool,
        provenance: Provenance,
    ) -> StoreResult<()> {
        const SQL: &str = "INSERT INTO users (id, role, name, phone, password_hash, organization_id, \
            jurisdiction_code, title, specialty, gender, created_at, deactivated_at, \
            session_version, audit_seq, must_change_password, practice_since_year, discipline) \
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 0, $13, $14, $15, $16)";
        on_pool!(self.db(), pool => {
            let mut tx = pool.begin_write().await?;
            let slot = tx.claim_audit_slot(&provenance).await?;
            sqlx::query(SQL)
                .bind(user.id.to_string())
                .bind(user.role.as_str())
                .bind(&user.name)
                .bind(user.phone.as_str())
                .bind(password_hash)
                .bind(user.organization_id.map(|u| u.to_string()))
                .bind(user.jurisdiction_code.as_ref().map(|c| c.as_str().to_owned()))
                .bind(&user.title)
                .bind(&user.specialty)
                .bind(user.gender.as_ref().map(encode_enum))
                .bind(to_ms(user.created_at))
                .bind(user.deactivated_at.map(to_ms))
                .bind(slot.link())
                .bind(must_change_password)
                .bind(user.practice_since_year.map(i64::from))
                .bind(user.discipline.as_ref().map(encode_enum))
                .execute(&mut *tx)
                .await
                .map_err(|e| StoreError::on_unique(e, "a user with this phone exists"))?;
            tx.append_audit(slot, provenance).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    async fn user_record(&self, column: &str, value: String) -> StoreResult<Option<UserRecord>> {
        let sql = format!("{SELECT} WHERE u.{column} = $1");
        let row: Option<UserRow> = on_pool!(self.db(), pool =>
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(value).fetch_optional(pool).await?);
        row.map(UserRecord::try_from).transpose()
    }

    pub async fn user(&self, id: Uuid) -> StoreResult<Option<User>> {
        Ok(self
            .user_record("id", id.to_string())
            .await?
            .map(|r| r.credentials.user))
    }

    /// A user with the jurisdiction they sit in (their own, or their organization's).
    pub async fn user_with_placement(
        &self,
        id: Uuid,
    ) -> StoreResult<Option<(User, Option<JurisdictionPath>)>> {
        Ok(self
            .user_record("id", id.to_string())
            .await?
            .map(|r| (r.credentials.user, r.placement)))
    }

    /// What a login is checked against: the credentials of the *active* account with
    /// this phone. A deactivated account has none, so its login fails exactly as an
    /// unknown phone's does.
    pub async fn credentials_by_phone(&self, phone: &Phone) -> StoreResult<Option<Credentials>> {
        Ok(self
            .user_record("phone", phone.as_str().to_owned())
            .await?
            .map(|r| r.credentials)
            .filter(|c| c.user.is_active()))
    }

    /// The account holding `phone`, active or not.
    pub async fn user_by_phone(&self, phone: &Phone) -> StoreResult<Option<User>> {
        Ok(self
            .user_record("phone", phone.as_str().to_owned())
            .await?
            .map(|r| r.credentials.user))
    }

    /// Whether `user_id`'s access tokens are still good, and under which version.
    pub async fn session_state(&self, user_id: Uuid) -> StoreResult<Option<SessionState>> {
        const SQL: &str = "SELECT deactivated_at, session_version, must_change_password \
            FROM users WHERE id = $1";
        // Read on every request whose session the cache does not hold (a physician's
        // first check-in of the day): on SQLite through the quick readers, with no
        // hand-over to a pool connection's worker thread.
        let query = Step::new(SQL, vec![user_id.to_string().into()]);
        let row: Option<(Option<i64>, i64, bool)> = self.read_first(&query).await?;
        Ok(row.map(
            |(deactivated_at, version, must_change_password)| SessionState {
                active: deactivated_at.is_none(),
                version,
                must_change_password,
            },
        ))
    }

    /// Moves `user_id`'s session version on: every access token issued so far is
    /// refused. False when there is no such user.
    pub async fn bump_session_version(&self, user_id: Uuid) -> StoreResult<bool> {
        let bumped = on_pool!(self.db(), pool => sqlx::query(BUMP_SESSION)
            .bind(user_id.to_string())
            .execute(pool)
            .await?
            .rows_affected());
        Ok(bumped == 1)
    }

    /// Stores `user` as edited (name, title, specialty, gender, organization, and
    /// whether it is active) in one transaction. Deactivating also ends every session
    /// (version bumped, every refresh token revoked); reactivating leaves them ended. False when there is
    /// no such user.
    pub async fn update_user(
        &self,
        user: &User,
        now: DateTime<Utc>,
        provenance: Provenance,
    ) -> StoreResult<bool> {
        const UPDATE: &str = "UPDATE users SET name = $2, title = $3, specialty = $4, \
            gender = $5, organization_id = $6, audit_seq = $7, practice_since_year = $8, \
            discipline = $9 WHERE id = $1";
        const DEACTIVATE: &str =
            "UPDATE users SET deactivated_at = $2 WHERE id = $1 AND deactivated_at IS NULL";
        const REACTIVATE: &str = "UPDATE users SET deactivated_at = NULL WHERE id = $1";
        let id = user.id.to_string();
        let found = on_pool!(self.db(), pool => {
            let mut tx = pool.begin_write().await?;
            let slot = tx.claim_audit_slot(&provenance).await?;
            let found = sqlx::query(UPDATE)
                .bind(&id)
                .bind(&user.name)
                .bind(&user.title)
                .bind(&user.specialty)
                .bind(user.gender.as_ref().map(encode_enum))
                .bind(user.organization_id.map(|o| o.to_string()))
                .bind(slot.link())
                .bind(user.practice_since_year.map(i64::from))
                .bind(user.discipline.as_ref().map(encode_enum))
                .execute(&mut *tx)
                .await?
                .rows_affected()
                == 1;
            match user.deactivated_at {
                Some(at) if found => {
                    let switched_off = sqlx::query(DEACTIVATE)
                        .bind(&id)
                        .bind(to_ms(at))
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                    if switched_off == 1 {
                        sqlx::query(BUMP_SESSION).bind(&id).execute(&mut *tx).await?;
                        sqlx::query(REVOKE_USER_TOKENS).bind(&id).bind(to_ms(now)).execute(&mut *tx).await?;
                    }
                }
                None if found => {
                    sqlx::query(REACTIVATE).bind(&id).execute(&mut *tx).await?;
                }
                _ => {}
            }
            if found {
                tx.append_audit(slot, provenance).await?;
            }
            tx.commit().await?;
            found
        });
        Ok(found)
    }

    /// Replaces a user's password hash with `new_hash` if it still is `old_hash` (a
    /// rehash at a new cost must not undo a password changed meanwhile). True when
    /// replaced.
    pub async fn replace_password_hash(
        &self,
        user_id: Uuid,
        old_hash: &str,
        new_hash: &str,
    ) -> StoreResult<bool> {
        const SQL: &str =
            "UPDATE users SET password_hash = $1 WHERE id = $2 AND password_hash = $3";
        let replaced = on_pool!(self.db(), pool => sqlx::query(SQL)
            .bind(new_hash)
            .bind(user_id.to_string())
            .bind(old_hash)
            .execute(pool)
            .await?
            .rows_affected());
        Ok(replaced == 1)
    }

    /// The credentials of `user_id`, active or not.
    pub async fn credentials_by_id(&self, user_id: Uuid) -> StoreResult<Option<Credentials>> {
        Ok(self
            .user_record("id", user_id.to_string())
            .await?
            .map(|r| r.credentials))
    }

    /// Whether `user_id` logs in with a one-time password they must change.
    pub async fn password_change_required(&self, user_id: Uuid) -> StoreResult<bool> {
        const SQL: &str = "SELECT must_change_password FROM users WHERE id = $1";
        let row: Option<(bool,)> = on_pool!(self.db(), pool =>
            sqlx::query_as(SQL).bind(user_id.to_string()).fetch_optional(pool).await?);
        Ok(row.is_some_and(|(required,)| required))
    }

    /// Sets a one-time password an administrator handed out: the user must change it
    /// at the next login, and every session they had ends (access tokens refused,
    /// refresh tokens revoked). False when there is no such user.
    pub async fn reset_password(
        &self,
        user_id: Uuid,
        new_hash: &str,
        now: DateTime<Utc>,
        provenance: Provenance,
    ) -> StoreResult<bool> {
        const SQL: &str = "UPDATE users SET password_hash = $2, must_change_password = TRUE, \
            session_version = session_version + 1, audit_seq = $3 WHERE id = $1";
        let id = user_id.to_string();
        let found = on_pool!(self.db(), pool => {
            let mut tx = pool.begin_write().await?;
            let slot = tx.claim_audit_slot(&provenance).await?;
            let found = sqlx::query(SQL)
                .bind(&id)
                .bind(new_hash)
                .bind(slot.link())
                .execute(&mut *tx)
                .await?
                .rows_affected()
                == 1;
            if found {
                sqlx::query(REVOKE_USER_TOKENS).bind(&id).bind(to_ms(now)).execute(&mut *tx).await?;
                tx.append_audit(slot, provenance).await?;
            }
            tx.commit().await?;
            found
        });
        Ok(found)
    }

    /// The user's own new password, if their hash still is `old_hash` (checked against
    /// the current password just before); clears the one-time flag. True when changed.
    pub async fn change_password(
        &self,
        user_id: Uuid,
        old_hash: &str,
        new_hash: &str,
        provenance: Provenance,
    ) -> StoreResult<bool> {
        const SQL: &str = "UPDATE users SET password_hash = $2, must_change_password = FALSE, \
            audit_seq = $4 WHERE id = $1 AND password_hash = $3";
        let changed = on_pool!(self.db(), pool => {
            let mut tx = pool.begin_write().await?;
            let slot = tx.claim_audit_slot(&provenance).await?;
            let changed = sqlx::query(SQL)
                .bind(user_id.to_string())
                .bind(new_hash)
                .bind(old_hash)
                .bind(slot.link())
                .execute(&mut *tx)
                .await?
                .rows_affected()
                == 1;
            if changed {
                tx.append_audit(slot, provenance).await?;
            }
            tx.commit().await?;
            changed
        });
        Ok(changed)
    }

    /// Users in reach matching `search`, in name order, at most `limit`.
    pub async fn list_users(&self, search: &UserSearch<'_>, limit: u32) -> StoreResult<Vec<User>> {
        let sql = format!(
            "{SELECT} WHERE u.role <> 'kiosk' \
             AND ($1 = '' OR j.path = $1 OR j.path LIKE $2) \
             AND ($3 = '' OR u.organization_id = $3) \
             AND ($4 = '' OR u.role = $4) \
             AND ($5 = '' OR u.name LIKE $5 ESCAPE '\\' OR u.phone LIKE $5 ESCAPE '\\') \
             AND ($6 = 0 OR ($6 = 1 AND u.deactivated_at IS NULL) OR ($6 = 2 AND u.deactivated_at IS NOT NULL)) \
             AND (u.name > $7 OR (u.name = $7 AND u.id > $8)) \
             ORDER BY u.name, u.id LIMIT $9"
        );
        let root = search
            .within
            .map(|p| p.as_str().to_owned())
            .unwrap_or_default();
        let text = search
            .text
            .as_deref()
            .map(|t| format!("%{}%", like_literal(t)))
            .unwrap_or_default();
        let (after_name, after_id) = search
            .after
            .as_ref()
            .map(|(name, id)| (name.clone(), id.to_string()))
            .unwrap_or_default();
        let active: i64 = match search.active {
            None => 0,
            Some(true) => 1,
            Some(false) => 2,
        };
        let rows: Vec<UserRow> = on_pool!(self.db(), pool =>
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(&root)
                .bind(format!("{root}/%"))
                .bind(search.organization_id.map(|u| u.to_string()).unwrap_or_default())
                .bind(search.role.map(Role::as_str).unwrap_or_default())
                .bind(&text)
                .bind(active)
                .bind(&after_name)
                .bind(&after_id)
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?);
        rows.into_iter()
            .map(|row| UserRecord::try_from(row).map(|r| r.credentials.user))
            .collect()
    }

    pub async fn admin_exists(&self) -> StoreResult<bool> {
        const SQL: &str = "SELECT COUNT(*) FROM users WHERE role = 'admin'";
        let (count,): (i64,) =
            on_pool!(self.db(), pool => sqlx::query_as(SQL).fetch_one(pool).await?);
        Ok(count > 0)
    }

    pub async fn jurisdiction_path(
        &self,
        code: &JurisdictionCode,
    ) -> StoreResult<Option<JurisdictionPath>> {
        const SQL: &str = "SELECT path FROM jurisdictions WHERE code = $1";
        let row: Option<(String,)> = on_pool!(self.db(), pool =>
            sqlx::query_as(SQL).bind(code.as_str()).fetch_optional(pool).await?);
        Ok(row.map(|(p,)| JurisdictionPath::from_stored(p)))
    }
}
