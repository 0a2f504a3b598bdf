//! What the site index is built from: every organization with a geofence, and a cheap
//! fingerprint of the organizations table to tell when to rebuild.

use uuid::Uuid;

use super::organizations::parse_stored_geofence;
use super::{Store, StoreResult, on_pool, parse_uuid};
use crate::domain::geofence::Geofence;
use crate::domain::jurisdiction::JurisdictionPath;

/// One site as the index needs it.
#[derive(Debug, Clone)]
pub struct SiteFence {
    pub id: Uuid,
    pub name: String,
    pub jurisdiction_path: JurisdictionPath,
    pub fence: Geofence,
}

/// Changes whenever an organization is added, renamed or given a new geofence version:
/// the row count, the newest `updated_at`, and the sum of fence versions (which grows
/// with every fence change even when two writes share a millisecond).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SitesFingerprint {
    pub count: i64,
    pub max_updated_at: i64,
    pub version_sum: i64,
}

impl Store {
    /// Every organization that has a geofence, with its fence in force now. A stored
    /// fence that no longer parses is left out with a warning rather than taking the
    /// whole index down.
    pub async fn site_fences(&self) -> StoreResult<Vec<SiteFence>> {
        const SQL: &str = "SELECT o.id, o.name, j.path, g.geometry FROM organizations o \
            JOIN jurisdictions j ON j.code = o.jurisdiction_code \
            JOIN geofence_versions g ON g.organization_id = o.id AND g.version = o.geofence_version \
            ORDER BY o.id";
        let rows: Vec<(String, String, String, String)> =
            on_pool!(self.db(), pool => sqlx::query_as(SQL).fetch_all(pool).await?);
        let mut sites = Vec::with_capacity(rows.len());
        for (id, name, path, geometry) in rows {
            let parsed = parse_uuid(&id).and_then(|id| Ok((id, parse_stored_geofence(&geometry)?)));
            match parsed {
                Ok((id, fence)) => sites.push(SiteFence {
                    id,
                    name,
                    jurisdiction_path: JurisdictionPath::from_stored(path),
                    fence,
                }),
                Err(error) => tracing::warn!(site = %id, %error, "site left out of the site index"),
            }
        }
        Ok(sites)
    }

    /// The organizations table's fingerprint; one aggregate query.
    pub async fn sites_fingerprint(&self) -> StoreResult<SitesFingerprint> {
        const SQL: &str = "SELECT COUNT(*), CAST(COALESCE(MAX(updated_at), 0) AS BIGINT), \
            CAST(COALESCE(SUM(geofence_version), 0) AS BIGINT) FROM organizations";
        let (count, max_updated_at, version_sum): (i64, i64, i64) =
            on_pool!(self.db(), pool => sqlx::query_as(SQL).fetch_one(pool).await?);
        Ok(SitesFingerprint {
            count,
            max_updated_at,
            version_sum,
        })
    }
}
