//! Why a fence was refused, in words an administrator can act on.

/// Why a geofence was refused. The `Display` text is the `detail` of the API's
/// `invalid_geofence` error, so it names the offending member or position.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GeofenceError {
    #[error("geofence must be a JSON object")]
    NotAnObject,
    #[error("geofence is missing the member \"{0}\"")]
    MissingMember(&'static str),
    #[error("geofence member \"{member}\" must be {expected}")]
    WrongType {
        member: &'static str,
        expected: &'static str,
    },
    #[error("unknown geofence type \"{0}\"; expected \"circle\", \"Polygon\" or \"MultiPolygon\"")]
    UnknownType(String),
    #[error("unknown crs \"{0}\"; expected \"wgs84\", \"gcj02\" or \"bd09\"")]
    UnknownCrs(String),
    #[error(
        "malformed GeoJSON: {0} (a Polygon's \"coordinates\" is an array of rings, each an array of [longitude, latitude] positions; a MultiPolygon's is an array of such polygons)"
    )]
    MalformedGeoJson(String),
    #[error("geofence has no area: {0}")]
    Empty(String),
    #[error("position {at} must have at least two numbers, [longitude, latitude]")]
    PositionTooShort { at: String },
    #[error("position {at} is not a finite number")]
    NonFiniteCoordinate { at: String },
    #[error(
        "position {at} is out of range: latitude {lat} must be within -90..90 and longitude {lon} within -180..180"
    )]
    CoordinateOutOfRange { at: String, lat: f64, lon: f64 },
    #[error(
        "{ring} has {count} positions; a ring needs at least 4 (three corners plus a repeat of the first to close it)"
    )]
    TooFewPositions { ring: String, count: usize },
    #[error("{ring} is not closed: its last position must equal its first")]
    RingNotClosed { ring: String },
    #[error("{ring} has fewer than 3 distinct corners")]
    DegenerateRing { ring: String },
    #[error(
        "{ring} crosses, touches or doubles back on itself: the edge from position {} to {} meets the edge from position {} to {}",
        .edge_a.0, .edge_a.1, .edge_b.0, .edge_b.1
    )]
    SelfIntersection {
        ring: String,
        edge_a: (usize, usize),
        edge_b: (usize, usize),
    },
    #[error(
        "{ring_a} and {ring_b} cross or touch: the edge from position {} to {} of the first meets the edge from position {} to {} of the second",
        .edge_a.0, .edge_a.1, .edge_b.0, .edge_b.1
    )]
    RingsIntersect {
        ring_a: String,
        edge_a: (usize, usize),
        ring_b: String,
        edge_b: (usize, usize),
    },
    #[error("{hole} lies outside its polygon's outer ring")]
    HoleOutsideOuterRing { hole: String },
    #[error("{inner} lies inside {outer}; holes of one polygon must not overlap")]
    HolesOverlap { inner: String, outer: String },
    #[error("polygons coordinates[{a}] and coordinates[{b}] overlap; merge them into one polygon")]
    PolygonsOverlap { a: usize, b: usize },
    #[error("geofence has {count} vertices; at most {max} are allowed")]
    TooManyVertices { count: usize, max: usize },
    #[error("radius_m must be between 10 and 5000 metres, got {0}")]
    RadiusOutOfRange(f64),
    #[error("geofence covers {area_km2:.1} km²; at most {max_km2} km² is allowed")]
    AreaTooLarge { area_km2: f64, max_km2: f64 },
    #[error(
        "geofence spans {extent_m:.0} m between its farthest corners; at most {max_m} m is allowed"
    )]
    ExtentTooLarge { extent_m: f64, max_m: f64 },
}
