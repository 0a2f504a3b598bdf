//! Programs with their thresholds and requirements (stored as JSON of the requirement specs).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::audit::{AuditTx, BeginWrite, Provenance};
use super::{Store, StoreError, StoreResult, decode_enum, from_ms, on_pool, parse_uuid, to_ms};
use crate::domain::crediting::Thresholds;
use crate::domain::eligibility::Eligibility;
use crate::domain::jurisdiction::{JurisdictionCode, JurisdictionPath};
use crate::domain::program::Program;
use crate::domain::requirements::{Requirement, RequirementSpec};

#[derive(sqlx::FromRow)]
struct ProgramRow {
    id: String,
    name: String,
    jurisdiction_code: String,
    half_day_minutes: i64,
    full_day_minutes: i64,
    requirements: String,
    eligibility: Option<String>,
    created_at: i64,
    path: String,
    scan_photo: String,
}

impl ProgramRow {
    fn into_program(self) -> StoreResult<(Program, JurisdictionPath)> {
        let corrupt = |what: String| StoreError::Corrupt(format!("program {}: {what}", self.id));
        let specs: Vec<RequirementSpec> =
            serde_json::from_str(&self.requirements).map_err(|e| corrupt(e.to_string()))?;
        let requirements = specs
            .into_iter()
            .map(|spec| Requirement::from_spec(spec).map_err(|e| corrupt(e.to_string())))
            .collect::<StoreResult<Vec<_>>>()?;
        let minutes = |m: i64| u32::try_from(m).map_err(|_| corrupt("minutes".into()));
        let thresholds = Thresholds::new(
            minutes(self.half_day_minutes)?,
            minutes(self.full_day_minutes)?,
        )
        .map_err(|e| corrupt(e.to_string()))?;
        let program = Program {
            id: parse_uuid(&self.id)?,
            name: self.name.clone(),
            jurisdiction_code: JurisdictionCode::parse(&self.jurisdiction_code)
                .map_err(|e| corrupt(e.to_string()))?,
            thresholds,
            requirements,
            eligibility: match &self.eligibility {
                Some(json) => serde_json::from_str(json).map_err(|e| corrupt(e.to_string()))?,
                None => Eligibility::default(),
            },
            created_at: from_ms(self.created_at)?,
            scan_photo: decode_enum(&self.scan_photo)?,
        };
        Ok((program, JurisdictionPath::from_stored(self.path)))
    }
}

impl Store {
    pub async fn insert_program(
        &self,
        program: &Program,
        now: DateTime<Utc>,
        provenance: Provenance,
    ) -> StoreResult<()> {
        const SQL: &str = "INSERT INTO programs (id, name, jurisdiction_code, half_day_minutes, \
            full_day_minutes, requirements, created_at, audit_seq, eligibility) \
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
        let specs: Vec<RequirementSpec> = program
            .requirements
            .iter()
            .map(Requirement::to_spec)
            .collect();
        let json = serde_json::to_string(&specs).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let eligibility = (program.eligibility != Eligibility::default())
            .then(|| serde_json::to_string(&program.eligibility))
            .transpose()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        on_pool!(self.db(), pool => {
            let mut tx = pool.begin_write().await?;
            let slot = tx.claim_audit_slot(&provenance).await?;
            sqlx::query(SQL)
                .bind(program.id.to_string())
                .bind(&program.name)
                .bind(program.jurisdiction_code.as_str())
                .bind(i64::from(program.thresholds.half_day_minutes))
                .bind(i64::from(program.thresholds.full_day_minutes))
                .bind(&json)
                .bind(to_ms(now))
                .bind(slot.link())
                .bind(&eligibility)
                .execute(&mut *tx)
                .await?;
            tx.append_audit(slot, provenance).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// A program and the path of its jurisdiction.
    pub async fn program(&self, id: Uuid) -> StoreResult<Option<(Program, JurisdictionPath)>> {
        const SQL: &str = "SELECT p.id, p.name, p.jurisdiction_code, p.half_day_minutes, \
            p.full_day_minutes, p.requirements, p.eligibility, p.created_at, j.path, p.scan_photo \
            FROM programs p JOIN jurisdictions j ON j.code = p.jurisdiction_code WHERE p.id = $1";
        let row: Option<ProgramRow> = on_pool!(self.db(), pool =>
            sqlx::query_as(SQL).bind(id.to_string()).fetch_optional(pool).await?);
        row.map(ProgramRow::into_program).transpose()
    }

    /// Programs under `within` (all when `None`), by id after `after`, at most `limit`.
    pub async fn list_programs(
        &self,
        within: Option<&JurisdictionPath>,
        after: Option<Uuid>,
        limit: u32,
    ) -> StoreResult<Vec<(Program, JurisdictionPath)>> {
        const SQL: &str = "SELECT p.id, p.name, p.jurisdiction_code, p.half_day_minutes, \
            p.full_day_minutes, p.requirements, p.eligibility, p.created_at, j.path, p.scan_photo \
            FROM programs p JOIN jurisdictions j ON j.code = p.jurisdiction_code \
            WHERE ($1 = '' OR j.path = $1 OR j.path LIKE $2) AND p.id > $3 ORDER BY p.id LIMIT $4";
        let root = within.map(|p| p.as_str().to_owned()).unwrap_or_default();
        let rows: Vec<ProgramRow> = on_pool!(self.db(), pool =>
            sqlx::query_as(SQL)
                .bind(&root)
                .bind(format!("{root}/%"))
                .bind(after.map(|u| u.to_string()).unwrap_or_default())
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?);
        rows.into_iter().map(ProgramRow::into_program).collect()
    }

    /// The programs of the jurisdiction at `path` and of every jurisdiction above it
    /// (those that govern an organization there), by id from `after`.
    pub async fn list_programs_covering(
        &self,
        path: &JurisdictionPath,
        after: Option<Uuid>,
        limit: u32,
    ) -> StoreResult<Vec<(Program, JurisdictionPath)>> {
        const SQL: &str = "SELECT p.id, p.name, p.jurisdiction_code, p.half_day_minutes, \
            p.full_day_minutes, p.requirements, p.eligibility, p.created_at, j.path, p.scan_photo \
            FROM programs p JOIN jurisdictions j ON j.code = p.jurisdiction_code \
            WHERE (j.path = $1 OR $1 LIKE j.path || '/%') AND p.id > $2 ORDER BY p.id LIMIT $3";
        let rows: Vec<ProgramRow> = on_pool!(self.db(), pool =>
            sqlx::query_as(SQL)
                .bind(path.as_str())
                .bind(after.map(|u| u.to_string()).unwrap_or_default())
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?);
        rows.into_iter().map(ProgramRow::into_program).collect()
    }

    /// Sets a program's minutes to `change.thresholds` (with its scan photo setting and
    /// eligibility rules) if they still are `old` (what the caller described in the
    /// audit entry). False when the program changed meanwhile. A changed scan photo
    /// setting records `change.at` as `scan_photo_since`: check-ins before it are not
    /// judged by the new setting.
    pub async fn update_program_thresholds(
        &self,
        id: Uuid,
        old: Thresholds,
        change: ProgramSettingsChange<'_>,
        provenance: Provenance,
    ) -> StoreResult<bool> {
        let ProgramSettingsChange {
            thresholds: new,
            scan_photo,
            eligibility,
            at: now,
        } = change;
        const SQL: &str = "UPDATE programs SET half_day_minutes = $2, full_day_minutes = $3, \
            audit_seq = $4, scan_photo = $7, \
            scan_photo_since = CASE WHEN scan_photo = $7 THEN scan_photo_since ELSE $8 END, \
            eligibility = $9 \
            WHERE id = $1 AND half_day_minutes = $5 AND full_day_minutes = $6";
        // Stored as on creation: no rules is NULL.
        let eligibility = (*eligibility != Eligibility::default())
            .then(|| serde_json::to_string(eligibility))
            .transpose()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let changed = on_pool!(self.db(), pool => {
            let mut tx = pool.begin_write().await?;
            let slot = tx.claim_audit_slot(&provenance).await?;
            let changed = sqlx::query(SQL)
                .bind(id.to_string())
                .bind(i64::from(new.half_day_minutes))
                .bind(i64::from(new.full_day_minutes))
                .bind(slot.link())
                .bind(i64::from(old.half_day_minutes))
                .bind(i64::from(old.full_day_minutes))
                .bind(scan_photo.as_str())
                .bind(to_ms(now))
                .bind(&eligibility)
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
}

/// What an administrator's edit of a programme sets: its minutes, its scan photo
/// setting and its eligibility rules, at `at`.
#[derive(Debug, Clone, Copy)]
pub struct ProgramSettingsChange<'a> {
    pub thresholds: Thresholds,
    pub scan_photo: mobile_api::ScanPhotoMode,
    pub eligibility: &'a Eligibility,
    pub at: DateTime<Utc>,
}
