//! Server-wide secrets (the JWT signing key) created once and shared by every process.

use chrono::{DateTime, Utc};

use super::{Store, StoreResult, on_pool, to_ms};

impl Store {
    /// Returns the secret `name`, storing `candidate` first if there is none yet. Safe when
    /// several processes start at once: the first insert wins and all read the same value.
    pub async fn secret_or_insert(
        &self,
        name: &str,
        candidate: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<String> {
        const INSERT: &str = "INSERT INTO server_secrets (name, value, created_at) VALUES ($1, $2, $3) \
                              ON CONFLICT (name) DO NOTHING";
        const SELECT: &str = "SELECT value FROM server_secrets WHERE name = $1";
        let (value,): (String,) = on_pool!(self.db(), pool => {
            sqlx::query(INSERT).bind(name).bind(candidate).bind(to_ms(now)).execute(pool).await?;
            sqlx::query_as(SELECT).bind(name).fetch_one(pool).await?
        });
        Ok(value)
    }
}
