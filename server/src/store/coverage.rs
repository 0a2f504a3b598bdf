//! The current fences of a jurisdiction's organizations, for the coverage map.

use std::collections::HashMap;

use uuid::Uuid;

use super::organizations::parse_stored_geofence;
use super::{Store, StoreResult, on_pool, parse_uuid};
use crate::domain::geofence::Geofence;
use crate::domain::jurisdiction::JurisdictionPath;

impl Store {
    /// The fence in force now of every organization in `within` (all when `None`)
    /// that has one, by organization.
    pub async fn current_fences(
        &self,
        within: Option<&JurisdictionPath>,
    ) -> StoreResult<HashMap<Uuid, Geofence>> {
        const SQL: &str = "SELECT o.id, g.geometry FROM organizations o \
            JOIN jurisdictions j ON j.code = o.jurisdiction_code \
            JOIN geofence_versions g ON g.organization_id = o.id \
                AND g.version = o.geofence_version \
            WHERE ($1 = '' OR j.path = $1 OR j.path LIKE $2)";
        let (root, below) = match within {
            Some(path) => (path.as_str().to_owned(), format!("{}/%", path.as_str())),
            None => (String::new(), String::new()),
        };
        let rows: Vec<(String, String)> = on_pool!(self.db(), pool =>
            sqlx::query_as(SQL).bind(root).bind(below).fetch_all(pool).await?);
        rows.into_iter()
            .map(|(id, geometry)| Ok((parse_uuid(&id)?, parse_stored_geofence(&geometry)?)))
            .collect()
    }
}
