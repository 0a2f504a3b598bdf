//! Refresh tokens: stored as digests, single use, grouped in families so that a replayed
//! token revokes every token descended from the same login.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::audit::BeginWrite;
use super::users::BUMP_SESSION;
use super::{Store, StoreResult, on_pool, parse_uuid, to_ms};

/// What presenting a refresh token led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rotation {
    /// The old token is spent; the new one is stored in the same family.
    Rotated { user_id: Uuid },
    /// Unknown, expired or revoked.
    Invalid,
    /// Already used once: a copy is in someone else's hands. The family is revoked.
    Replayed,
}

#[derive(sqlx::FromRow)]
struct TokenRow {
    family_id: String,
    user_id: String,
    expires_at: i64,
    used_at: Option<i64>,
    revoked_at: Option<i64>,
}

const INSERT: &str = "INSERT INTO refresh_tokens (token_hash, family_id, user_id, issued_at, expires_at) \
                      VALUES ($1, $2, $3, $4, $5)";
const REVOKE_FAMILY: &str =
    "UPDATE refresh_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL";

impl Store {
    /// Starts a new family with one token (a login).
    pub async fn insert_refresh_token(
        &self,
        hash: &str,
        user_id: Uuid,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let family = Uuid::new_v4().to_string();
        on_pool!(self.db(), pool => sqlx::query(INSERT)
            .bind(hash)
            .bind(&family)
            .bind(user_id.to_string())
            .bind(to_ms(now))
            .bind(to_ms(expires_at))
            .execute(pool)
            .await?
            .rows_affected());
        Ok(())
    }

    /// Spends `old_hash` and stores `new_hash` in its family, in one transaction.
    pub async fn rotate_refresh_token(
        &self,
        old_hash: &str,
        new_hash: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<Rotation> {
        const SELECT: &str = "SELECT family_id, user_id, expires_at, used_at, revoked_at \
                              FROM refresh_tokens WHERE token_hash = $1";
        const SPEND: &str =
            "UPDATE refresh_tokens SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL";
        let now_ms = to_ms(now);
        let outcome = on_pool!(self.db(), pool => {
            let mut tx = pool.begin_write().await?;
            let row: Option<TokenRow> = sqlx::query_as(SELECT).bind(old_hash).fetch_optional(&mut *tx).await?;
            let outcome = match row {
                None => Rotation::Invalid,
                Some(row) if row.revoked_at.is_some() || row.expires_at <= now_ms => Rotation::Invalid,
                Some(row) => {
                    let spent = if row.used_at.is_none() {
                        sqlx::query(SPEND).bind(old_hash).bind(now_ms).execute(&mut *tx).await?.rows_affected()
                    } else {
                        0
                    };
                    if spent == 1 {
                        sqlx::query(INSERT)
                            .bind(new_hash)
                            .bind(&row.family_id)
                            .bind(&row.user_id)
                            .bind(now_ms)
                            .bind(to_ms(expires_at))
                            .execute(&mut *tx)
                            .await?;
                        Rotation::Rotated { user_id: parse_uuid(&row.user_id)? }
                    } else {
                        sqlx::query(REVOKE_FAMILY).bind(&row.family_id).bind(now_ms).execute(&mut *tx).await?;
                        Rotation::Replayed
                    }
                }
            };
            tx.commit().await?;
            outcome
        });
        Ok(outcome)
    }

    /// Logout: revokes the family `hash` belongs to and moves its user's session
    /// version on (their access tokens are refused from now), in one transaction.
    /// Answers that user; `None` when the token is unknown.
    pub async fn log_out(&self, hash: &str, now: DateTime<Utc>) -> StoreResult<Option<Uuid>> {
        const FAMILY: &str = "SELECT family_id, user_id FROM refresh_tokens WHERE token_hash = $1";
        let user = on_pool!(self.db(), pool => {
            let mut tx = pool.begin().await?;
            let family: Option<(String, String)> =
                sqlx::query_as(FAMILY).bind(hash).fetch_optional(&mut *tx).await?;
            let user = match family {
                Some((family, user)) => {
                    sqlx::query(REVOKE_FAMILY).bind(&family).bind(to_ms(now)).execute(&mut *tx).await?;
                    sqlx::query(BUMP_SESSION).bind(&user).execute(&mut *tx).await?;
                    Some(user)
                }
                None => None,
            };
            tx.commit().await?;
            user
        });
        user.as_deref().map(parse_uuid).transpose()
    }
}
