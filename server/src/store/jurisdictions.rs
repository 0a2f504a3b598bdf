//! Jurisdictions and their materialised paths.

use chrono::{DateTime, Utc};

use super::audit::{Provenance, audited_write};
use super::{Store, StoreError, StoreResult, decode_enum, encode_enum, on_pool, to_ms};
use crate::domain::jurisdiction::{Jurisdiction, JurisdictionCode, JurisdictionPath};

#[derive(sqlx::FromRow)]
struct JurisdictionRow {
    code: String,
    name: String,
    level: String,
    parent_code: Option<String>,
    path: String,
}

impl TryFrom<JurisdictionRow> for Jurisdiction {
    type Error = StoreError;
    fn try_from(row: JurisdictionRow) -> StoreResult<Jurisdiction> {
        let code = |c: &str| {
            JurisdictionCode::parse(c).map_err(|_| StoreError::Corrupt(format!("code {c:?}")))
        };
        Ok(Jurisdiction {
            code: code(&row.code)?,
            name: row.name,
            level: decode_enum(&row.level)?,
            parent_code: row.parent_code.as_deref().map(code).transpose()?,
            path: JurisdictionPath::from_stored(row.path),
        })
    }
}

const COLUMNS: &str = "code, name, level, parent_code, path";

impl Store {
    pub async fn insert_jurisdiction(
        &self,
        j: &Jurisdiction,
        now: DateTime<Utc>,
        provenance: Provenance,
    ) -> StoreResult<()> {
        const SQL: &str = "INSERT INTO jurisdictions (code, name, level, parent_code, path, \
                           created_at, audit_seq) VALUES ($1, $2, $3, $4, $5, $6, $7)";
        audited_write!(
            self,
            provenance,
            SQL,
            [
                j.code.as_str(),
                &j.name,
                encode_enum(&j.level),
                j.parent_code.as_ref().map(|c| c.as_str().to_owned()),
                j.path.as_str(),
                to_ms(now),
            ],
            map_err = |e| StoreError::on_unique(e, "a jurisdiction with this code exists"),
        );
        Ok(())
    }

    pub async fn jurisdiction(&self, code: &JurisdictionCode) -> StoreResult<Option<Jurisdiction>> {
        let sql = format!("SELECT {COLUMNS} FROM jurisdictions WHERE code = $1");
        let row: Option<JurisdictionRow> = on_pool!(self.db(), pool =>
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(code.as_str()).fetch_optional(pool).await?);
        row.map(Jurisdiction::try_from).transpose()
    }

    /// Jurisdictions under `within` (all when `None`), ordered by code, after `after`.
    pub async fn list_jurisdictions(
        &self,
        within: Option<&JurisdictionPath>,
        after: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<Jurisdiction>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM jurisdictions \
             WHERE ($1 = '' OR path = $1 OR path LIKE $2) AND code > $3 \
             ORDER BY code LIMIT $4"
        );
        let root = within.map(|p| p.as_str().to_owned()).unwrap_or_default();
        let rows: Vec<JurisdictionRow> = on_pool!(self.db(), pool =>
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(&root)
                .bind(format!("{root}/%"))
                .bind(after.unwrap_or(""))
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?);
        rows.into_iter().map(Jurisdiction::try_from).collect()
    }
}
