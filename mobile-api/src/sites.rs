//! Site lookup by position: which clinics a phone is at or near.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A site whose geofence contains the fix or lies within the search radius.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NearbySite {
    pub site_id: Uuid,
    pub name: String,
    /// Metres from the fix to the nearest point of the fence; 0 when inside.
    #[cfg_attr(feature = "openapi", schema(example = 230.5))]
    pub distance_m: f64,
    /// True when the fix lies inside the fence (`distance_m` is 0). Whether a check-in
    /// would be accepted also depends on the fix's accuracy.
    pub inside: bool,
}

/// Answer of `GET /api/v1/sites/nearby`: the sites the caller may see, nearest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NearbySites {
    /// The search radius applied, in metres.
    pub radius_m: f64,
    pub items: Vec<NearbySite>,
}
