//! Organizations and their versioned geofences. A geofence change adds a version;
//! past events keep the version they were judged against.

use std::sync::LazyLock;

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::audit::{AuditTx, BeginWrite, Provenance};
use super::columns::{Columns, FromColumns, from_row};
use super::statement::Step;
use super::{
    Store, StoreError, StoreResult, decode_enum, encode_enum, from_ms, on_pool, parse_uuid, to_ms,
};
use crate::domain::geofence::Geofence;
use crate::domain::jurisdiction::{JurisdictionCode, JurisdictionPath};
use crate::domain::kiosk_code::SiteSecret;
use crate::domain::organization::parse_timezone;
use crate::domain::organization::{
    DailyCodePolicy, Organization, OrganizationKind, VersionedGeofence,
};

/// Inserts one geofence version inside the caller's transaction.
macro_rules! insert_geofence_version {
    ($executor:expr, $org_id:expr, $version:expr, $fence:expr, $now:expr, $by:expr) => {{
        const SQL: &str = "INSERT INTO geofence_versions \
            (organization_id, version, geometry, created_at, created_by) VALUES ($1, $2, $3, $4, $5)";
        sqlx::query(SQL)
            .bind($org_id)
            .bind($version)
            .bind($fence.to_stored_json().to_string())
            .bind(to_ms($now))
            .bind($by.to_string())
            .execute($executor)
            .await?;
    }};
}

/// What a new organization is made of.
pub struct NewOrganization<'a> {
    pub id: Uuid,
    pub name: &'a str,
    pub kind: OrganizationKind,
    pub jurisdiction_code: &'a JurisdictionCode,
    pub timezone: chrono_tz::Tz,
    pub max_accuracy_m: Option<f64>,
    pub geofence: Option<&'a Geofence>,
    pub kiosk_secret: &'a SiteSecret,
    pub created_by: Uuid,
}

/// The members of a PATCH; `None` leaves a member as it is.
#[derive(Default)]
pub struct OrganizationChanges<'a> {
    pub name: Option<&'a str>,
    pub timezone: Option<chrono_tz::Tz>,
    pub max_accuracy_m: Option<f64>,
    pub geofence: Option<&'a Geofence>,
    pub daily_code_policy: Option<DailyCodePolicy>,
}

/// One version of a site's fence and what was judged against it.
pub struct GeofenceHistoryEntry {
    pub version: i64,
    pub fence: Geofence,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<Uuid>,
    pub attempts: i64,
    pub refused: i64,
    pub visits: i64,
    pub first_judged_at: Option<DateTime<Utc>>,
    pub last_judged_at: Option<DateTime<Utc>>,
    pub recent_visits: Vec<JudgedVisit>,
}

/// A visit whose check-in was judged against a given fence version.
pub struct JudgedVisit {
    pub visit_id: Uuid,
    pub physician_id: Uuid,
    pub local_date: NaiveDate,
    pub checked_in_at: DateTime<Utc>,
}

pub(super) struct OrganizationRow {
    id: String,
    name: String,
    kind: String,
    jurisdiction_code: String,
    path: String,
    timezone: String,
    max_accuracy_m: Option<f64>,
    geofence_version: Option<i64>,
    geometry: Option<String>,
    created_at: i64,
    daily_code_policy: Option<String>,
}

impl FromColumns for OrganizationRow {
    fn from_columns(row: &impl Columns) -> StoreResult<OrganizationRow> {
        Ok(OrganizationRow {
            id: row.get("id")?,
            name: row.get("name")?,
            kind: row.get("kind")?,
            jurisdiction_code: row.get("jurisdiction_code")?,
            path: row.get("path")?,
            timezone: row.get("timezone")?,
            max_accuracy_m: row.get("max_accuracy_m")?,
            geofence_version: row.get("geofence_version")?,
            geometry: row.get("geometry")?,
            created_at: row.get("created_at")?,
            daily_code_policy: row.get("daily_code_policy")?,
        })
    }
}
from_row!(OrganizationRow);

pub(super) const SELECT: &str = "SELECT o.id, o.name, o.kind, o.jurisdiction_code, j.path, o.timezone, \
    o.max_accuracy_m, o.geofence_version, g.geometry, o.created_at, o.daily_code_policy \
    FROM organizations o \
    JOIN jurisdictions j ON j.code = o.jurisdiction_code \
    LEFT JOIN geofence_versions g ON g.organization_id = o.id AND g.version = o.geofence_version";

pub(crate) fn parse_stored_geofence(text: &str) -> StoreResult<Geofence> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("geofence: {e}")))?;
    Geofence::parse(&value).map_err(|e| StoreError::Corrupt(format!("geofence: {e}")))
}

impl TryFrom<OrganizationRow> for Organization {
    type Error = StoreError;
    fn try_from(row: OrganizationRow) -> StoreResult<Organization> {
        let geofence = match (row.geofence_version, row.geometry) {
            (Some(version), Some(text)) => Some(VersionedGeofence {
                version,
                fence: parse_stored_geofence(&text)?,
            }),
            _ => None,
        };
        Ok(Organization {
            id: parse_uuid(&row.id)?,
            name: row.name,
            kind: decode_enum(&row.kind)?,
            jurisdiction_code: JurisdictionCode::parse(&row.jurisdiction_code)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            jurisdiction_path: JurisdictionPath::from_stored(row.path),
            timezone: parse_timezone(&row.timezone)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            max_accuracy_m: row.max_accuracy_m,
            geofence,
            created_at: from_ms(row.created_at)?,
            daily_code_policy: row
                .daily_code_policy
                .as_deref()
                .and_then(DailyCodePolicy::parse)
                .unwrap_or_default(),
        })
    }
}

impl Store {
    pub async fn insert_organization(
        &self,
        new: &NewOrganization<'_>,
        now: DateTime<Utc>,
        provenance: Provenance,
    ) -> StoreResult<()> {
        const INSERT_ORG: &str = "INSERT INTO organizations (id, name, kind, jurisdiction_code, \
            timezone, max_accuracy_m, kiosk_secret, geofence_version, created_at, updated_at, \
            audit_seq) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10)";
        let id = new.id.to_string();
        let version = new.geofence.map(|_| 1i64);
        let secret = hex(new.kiosk_secret.as_bytes());
        on_pool!(self.db(), pool => {
            let mut tx = pool.begin_write().await?;
            let slot = tx.claim_audit_slot(&provenance).await?;
            sqlx::query(INSERT_ORG)
                .bind(&id)
                .bind(new.name)
                .bind(encode_enum(&new.kind))
                .bind(new.jurisdiction_code.as_str())
                .bind(new.timezone.name())
                .bind(new.max_accuracy_m)
                .bind(&secret)
                .bind(version)
                .bind(to_ms(now))
                .bind(slot.link())
                .execute(&mut *tx)
                .await?;
            if let Some(fence) = new.geofence {
                insert_geofence_version!(&mut *tx, &id, 1i64, fence, now, new.created_by);
            }
            tx.append_audit(slot, provenance).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn organization(&self, id: Uuid) -> StoreResult<Option<Organization>> {
        static SQL: LazyLock<String> = LazyLock::new(|| format!("{SELECT} WHERE o.id = $1"));
        let query = Step::new(&SQL, vec![id.to_string().into()]);
        let row: Option<OrganizationRow> = self.read_first(&query).await?;
        row.map(Organization::try_from).transpose()
    }

    /// Organizations under `within` (all when `None`), or only `only` when given.
    pub async fn list_organizations(
        &self,
        within: Option<&JurisdictionPath>,
        only: Option<Uuid>,
        after: Option<Uuid>,
        limit: u32,
    ) -> StoreResult<Vec<Organization>> {
        let sql = format!(
            "{SELECT} WHERE ($1 = '' OR j.path = $1 OR j.path LIKE $2) \
             AND ($3 = '' OR o.id = $3) AND o.id > $4 ORDER BY o.id LIMIT $5"
        );
        let root = within.map(|p| p.as_str().to_owned()).unwrap_or_default();
        let rows: Vec<OrganizationRow> = on_pool!(self.db(), pool =>
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(&root)
                .bind(format!("{root}/%"))
                .bind(only.map(|u| u.to_string()).unwrap_or_default())
                .bind(after.map(|u| u.to_string()).unwrap_or_default())
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?);
        rows.into_iter().map(Organization::try_from).collect()
    }

    /// Applies `changes`; a geofence change stores the next version and points to it.
    /// The audit entry's `before` and `after` are `describe`d from the organization as
    /// the transaction reads it, and appended with the change; answers the `after`.
    pub async fn update_organization(
        &self,
        id: Uuid,
        changes: &OrganizationChanges<'_>,
        now: DateTime<Utc>,
        by: Uuid,
        mut provenance: Provenance,
        describe: impl Fn(&Organization) -> StoreResult<String>,
    ) -> StoreResult<Organization> {
        static CURRENT: LazyLock<String> = LazyLock::new(|| format!("{SELECT} WHERE o.id = $1"));
        const NEXT_VERSION: &str = "SELECT COALESCE(MAX(version), 0) + 1 FROM geofence_versions \
                                    WHERE organization_id = $1";
        const UPDATE: &str = "UPDATE organizations SET \
            name = COALESCE($2, name), timezone = COALESCE($3, timezone), \
            max_accuracy_m = COALESCE($4, max_accuracy_m), \
            geofence_version = COALESCE($5, geofence_version), updated_at = $6, audit_seq = $7, \
            daily_code_policy = COALESCE($8, daily_code_policy) \
            WHERE id = $1";
        let id = id.to_string();
        let after = on_pool!(self.db(), pool => {
            let mut tx = pool.begin_write().await?;
            // The head's lock (and on SQLite the write lock) is taken before anything is
            // read: concurrent updates of one site queue here, so each reads the fence
            // versions the previous one wrote and the audit's `before` is exact.
            let slot = tx.claim_audit_slot(&provenance).await?;
            let before: Option<OrganizationRow> =
                sqlx::query_as(CURRENT.as_str()).bind(&id).fetch_optional(&mut *tx).await?;
            let before = Organization::try_from(before.ok_or(StoreError::NotFound)?)?;
            let mut version: Option<i64> = None;
            if let Some(fence) = changes.geofence {
                let (next,): (i64,) = sqlx::query_as(NEXT_VERSION).bind(&id).fetch_one(&mut *tx).await?;
                insert_geofence_version!(&mut *tx, &id, next, fence, now, by);
                version = Some(next);
            }
            let done = sqlx::query(UPDATE)
                .bind(&id)
                .bind(changes.name)
                .bind(changes.timezone.map(|tz| tz.name()))
                .bind(changes.max_accuracy_m)
                .bind(version)
                .bind(to_ms(now))
                .bind(slot.link())
                .bind(changes.daily_code_policy.map(DailyCodePolicy::as_str))
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() != 1 {
                return Err(StoreError::NotFound);
            }
            let after: OrganizationRow =
                sqlx::query_as(CURRENT.as_str()).bind(&id).fetch_one(&mut *tx).await?;
            let after = Organization::try_from(after)?;
            if let Some(pending) = provenance.pending_mut() {
                pending.before = Some(describe(&before)?);
                pending.after = Some(describe(&after)?);
            }
            tx.append_audit(slot, provenance).await?;
            tx.commit().await?;
            after
        });
        Ok(after)
    }

    pub async fn geofence_version(&self, id: Uuid, version: i64) -> StoreResult<Option<Geofence>> {
        const SQL: &str =
            "SELECT geometry FROM geofence_versions WHERE organization_id = $1 AND version = $2";
        let row: Option<(String,)> = on_pool!(self.db(), pool =>
            sqlx::query_as(SQL).bind(id.to_string()).bind(version).fetch_optional(pool).await?);
        row.map(|(text,)| parse_stored_geofence(&text)).transpose()
    }

    /// The version of an organization's geofence in force at `at` (the newest created at or before it).
    pub async fn geofence_in_force_at(
        &self,
        id: Uuid,
        at: DateTime<Utc>,
    ) -> StoreResult<Option<VersionedGeofence>> {
        const SQL: &str = "SELECT version, geometry FROM geofence_versions \
            WHERE organization_id = $1 AND created_at <= $2 ORDER BY version DESC LIMIT 1";
        let query = Step::new(SQL, vec![id.to_string().into(), at.into()]);
        let row: Option<(i64, String)> = self.read_first(&query).await?;
        row.map(|(version, text)| {
            Ok(VersionedGeofence {
                version,
                fence: parse_stored_geofence(&text)?,
            })
        })
        .transpose()
    }

    /// Every version of a site's geofence, oldest first, with what was judged against
    /// each: the attempts (refused ones counted apart), the visits their check-ins
    /// opened, the first and last scan, and the newest `recent` of those visits.
    pub async fn geofence_history(
        &self,
        id: Uuid,
        recent: u32,
    ) -> StoreResult<Vec<GeofenceHistoryEntry>> {
        const VERSIONS: &str = "SELECT version, geometry, created_at, created_by \
            FROM geofence_versions WHERE organization_id = $1 ORDER BY version";
        const JUDGED: &str = "SELECT geofence_version, COUNT(*), \
            SUM(CASE WHEN verdict = 'refused' THEN 1 ELSE 0 END), \
            COUNT(DISTINCT CASE WHEN action = 'check_in' AND verdict <> 'refused' THEN visit_id END), \
            MIN(scanned_at), MAX(scanned_at) \
            FROM attendance_events WHERE site_id = $1 AND geofence_version IS NOT NULL \
            GROUP BY geofence_version";
        const VISITS: &str = "SELECT v.id, v.physician_id, v.local_date, v.checked_in_at \
            FROM visits v JOIN attendance_events e ON e.id = v.check_in_event_id \
            WHERE v.site_id = $1 AND e.geofence_version = $2 \
            ORDER BY v.checked_in_at DESC, v.id LIMIT $3";
        type Judged = (i64, i64, i64, i64, Option<i64>, Option<i64>);
        type Version = (i64, String, i64, Option<String>);
        let site = id.to_string();
        let (versions, judged): (Vec<Version>, Vec<Judged>) = on_pool!(self.db(), pool => {
            let versions = sqlx::query_as(VERSIONS).bind(&site).fetch_all(pool).await?;
            let judged = sqlx::query_as(JUDGED).bind(&site).fetch_all(pool).await?;
            (versions, judged)
        });
        let mut out = Vec::with_capacity(versions.len());
        for (version, geometry, created_at, created_by) in versions {
            let counts = judged.iter().find(|j| j.0 == version);
            let visits: Vec<(String, String, String, i64)> = on_pool!(self.db(), pool =>
                sqlx::query_as(VISITS)
                    .bind(&site)
                    .bind(version)
                    .bind(i64::from(recent))
                    .fetch_all(pool)
                    .await?);
            out.push(GeofenceHistoryEntry {
                version,
                fence: parse_stored_geofence(&geometry)?,
                created_at: from_ms(created_at)?,
                created_by: created_by.as_deref().map(parse_uuid).transpose()?,
                attempts: counts.map_or(0, |c| c.1),
                refused: counts.map_or(0, |c| c.2),
                visits: counts.map_or(0, |c| c.3),
                first_judged_at: counts.and_then(|c| c.4).map(from_ms).transpose()?,
                last_judged_at: counts.and_then(|c| c.5).map(from_ms).transpose()?,
                recent_visits: visits
                    .into_iter()
                    .map(|(visit, physician, date, at)| {
                        Ok(JudgedVisit {
                            visit_id: parse_uuid(&visit)?,
                            physician_id: parse_uuid(&physician)?,
                            local_date: NaiveDate::parse_from_str(&date, "%Y-%m-%d")
                                .map_err(|e| StoreError::Corrupt(format!("local_date: {e}")))?,
                            checked_in_at: from_ms(at)?,
                        })
                    })
                    .collect::<StoreResult<_>>()?,
            });
        }
        Ok(out)
    }

    /// The secret that signs a site's kiosk codes.
    pub async fn kiosk_secret(&self, site_id: Uuid) -> StoreResult<Option<SiteSecret>> {
        const SQL: &str = "SELECT kiosk_secret FROM organizations WHERE id = $1";
        let query = Step::new(SQL, vec![site_id.to_string().into()]);
        let row: Option<(String,)> = self.read_first(&query).await?;
        row.map(|(text,)| {
            unhex32(&text)
                .map(SiteSecret::from_bytes)
                .ok_or_else(|| StoreError::Corrupt("kiosk secret".into()))
        })
        .transpose()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex32(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}
