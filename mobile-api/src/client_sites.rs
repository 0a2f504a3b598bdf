//! The typed client's site lookup.

use crate::NearbySites;
use crate::client::{Client, Result};

impl Client {
    /// `GET /api/v1/sites/nearby?lat=&lon=&crs=&radius_m=`; `crs` is `wgs84`, `gcj02`
    /// or `bd09`, `radius_m` up to 5000 (server default when `None`).
    pub async fn nearby_sites(
        &self,
        lat: f64,
        lon: f64,
        crs: &str,
        radius_m: Option<f64>,
    ) -> Result<NearbySites> {
        let mut path = format!("/api/v1/sites/nearby?lat={lat}&lon={lon}&crs={crs}");
        if let Some(radius_m) = radius_m {
            path.push_str(&format!("&radius_m={radius_m}"));
        }
        self.get(&path).await
    }
}
