//! A clinic's geofence: parsed from admin JSON, validated, stored in WGS-84, and used to judge phone GPS fixes.
//!
//! Accepted input is either a circle
//! `{"type":"circle","center":{"lat":..,"lon":..},"radius_m":..,"crs":"wgs84"}`
//! or a GeoJSON `Polygon` / `MultiPolygon` geometry (positions are `[lon, lat]`) with an
//! optional extra `"crs"` member. `crs` is `wgs84` (default), `gcj02` or `bd09`; everything
//! is converted to WGS-84 on the way in because that is what phones report.
//!
//! Validation is strict on purpose: a fence that crosses itself has no well-defined
//! inside, so a physician could be told "outside" while standing in the clinic. Rings of
//! an area may not cross *or touch* each other (stricter than OGC, which allows touching at
//! a point), which keeps "inside" a plain even-odd test.

use geo::algorithm::line_intersection::LineIntersection;
use geo::{Coord, Distance, Haversine, Intersections, Line, LineString, MultiPolygon, Point};
use geo::{Polygon, Rect};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::coords::{Crs, LatLon, to_wgs84};

/// Most vertices (ring corners, not counting each ring's closing repeat) an area may have.
/// Bounds parse time and the per-fix linear pass.
pub const MAX_VERTICES: usize = 10_000;
/// Smallest circle: below GPS noise a fence is meaningless.
pub const MIN_RADIUS_M: f64 = 10.0;
/// Largest circle: a clinic, not a county.
pub const MAX_RADIUS_M: f64 = 5_000.0;

/// Mean Earth radius as used by `geo::Haversine`, so the local projection and the final
/// haversine distance agree.
const EARTH_RADIUS_M: f64 = 6_371_008.8;
const METRES_PER_DEGREE: f64 = EARTH_RADIUS_M * std::f64::consts::PI / 180.0;

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
}

/// The fenced region, always in WGS-84.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    Circle {
        center: LatLon,
        radius_m: f64,
    },
    /// Validated polygons; `x` is longitude, `y` latitude. Rings are closed, free of
    /// consecutive duplicate positions, and neither cross nor touch.
    Area(MultiPolygon<f64>),
}

/// A validated clinic geofence.
#[derive(Debug, Clone, PartialEq)]
pub struct Geofence {
    shape: Shape,
    /// WGS-84 bounding box (`x` longitude, `y` latitude), kept for cheap rejection and so
    /// callers can index many sites. Exact for areas, slightly padded for circles.
    bounds: Rect<f64>,
}

/// How forgiving to be with a fix's reported accuracy.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FixPolicy {
    /// Fixes whose accuracy radius is worse than this are not judged at all.
    pub max_accuracy_m: f64,
    /// A fix may lie outside by up to its accuracy, but never by more than this, so a
    /// vague fix cannot check in from down the road.
    pub tolerance_cap_m: f64,
}

impl Default for FixPolicy {
    fn default() -> Self {
        FixPolicy {
            max_accuracy_m: 100.0,
            tolerance_cap_m: 50.0,
        }
    }
}

/// The outcome of checking one GPS fix against a fence.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FixVerdict {
    /// Inside, or outside by no more than the allowed tolerance; `distance_m` is how far
    /// outside (0 when truly inside).
    Inside {
        distance_m: f64,
    },
    Outside {
        distance_m: f64,
    },
    /// The fix is too vague (or its accuracy is not a usable number) to judge.
    PoorAccuracy {
        accuracy_m: f64,
    },
}

impl Geofence {
    /// Parses and validates admin input; see the module docs for the accepted shapes.
    pub fn parse(value: &Value) -> Result<Geofence, GeofenceError> {
        let object = value.as_object().ok_or(GeofenceError::NotAnObject)?;
        let crs = parse_crs(object)?;
        let shape = match required_str(object, "type")? {
            "circle" => parse_circle(object, crs)?,
            "Polygon" | "MultiPolygon" => Shape::Area(parse_area(value, crs)?),
            other => return Err(GeofenceError::UnknownType(other.to_owned())),
        };
        let bounds = shape_bounds(&shape)?;
        Ok(Geofence { shape, bounds })
    }

    pub fn shape(&self) -> &Shape {
        &self.shape
    }

    /// WGS-84 bounding box; `x` is longitude, `y` latitude. A prefilter over many sites
    /// must widen it by the fix tolerance it allows.
    pub fn bounds(&self) -> Rect<f64> {
        self.bounds
    }

    /// A point to put the site's marker on a map: a circle's centre, or the middle
    /// of an area's bounding box.
    pub fn centre(&self) -> LatLon {
        match &self.shape {
            Shape::Circle { center, .. } => *center,
            Shape::Area(_) => {
                let middle = self.bounds.center();
                LatLon::new(middle.y, middle.x)
            }
        }
    }

    /// The canonical stored form: the same JSON shapes `parse` accepts, in WGS-84.
    pub fn to_stored_json(&self) -> Value {
        match &self.shape {
            Shape::Circle { center, radius_m } => json!({
                "type": "circle",
                "center": { "lat": center.lat, "lon": center.lon },
                "radius_m": radius_m,
                "crs": Crs::Wgs84.as_str(),
            }),
            Shape::Area(area) => {
                let mut polygons: Vec<Value> = area.iter().map(polygon_json).collect();
                if polygons.len() == 1 {
                    json!({
                        "type": "Polygon",
                        "coordinates": polygons.swap_remove(0),
                        "crs": Crs::Wgs84.as_str(),
                    })
                } else {
                    json!({
                        "type": "MultiPolygon",
                        "coordinates": polygons,
                        "crs": Crs::Wgs84.as_str(),
                    })
                }
            }
        }
    }

    /// Number of corners: 0 for a circle, otherwise ring positions not counting each
    /// ring's closing repeat.
    pub fn vertex_count(&self) -> usize {
        match &self.shape {
            Shape::Circle { .. } => 0,
            Shape::Area(area) => area
                .iter()
                .flat_map(rings)
                .map(|ring| ring.0.len().saturating_sub(1))
                .sum(),
        }
    }

    /// Metres from `p` (WGS-84) to the fence: 0 inside or on the edge, otherwise the
    /// distance to the nearest point of the boundary. Holes count as outside.
    ///
    /// One pass over the edges with no allocation. An invalid `p` (non-finite or out of
    /// range) is infinitely far away, so garbage can never be judged inside.
    pub fn distance_outside_m(&self, p: LatLon) -> f64 {
        if !p.is_valid() {
            return f64::INFINITY;
        }
        match &self.shape {
            Shape::Circle { center, radius_m } => (haversine_m(p, *center) - radius_m).max(0.0),
            Shape::Area(area) => area_distance_outside_m(area, &self.bounds, p),
        }
    }

    /// Judges one fix: too vague fixes are not judged; otherwise a fix counts as inside
    /// when it is within its own accuracy (capped) of the fence.
    pub fn judge_fix(&self, p: LatLon, accuracy_m: f64, policy: &FixPolicy) -> FixVerdict {
        let usable = accuracy_m.is_finite() && accuracy_m >= 0.0;
        if !usable || accuracy_m > policy.max_accuracy_m {
            return FixVerdict::PoorAccuracy { accuracy_m };
        }
        let distance_m = self.distance_outside_m(p);
        if distance_m <= accuracy_m.min(policy.tolerance_cap_m) {
            FixVerdict::Inside { distance_m }
        } else {
            FixVerdict::Outside { distance_m }
        }
    }
}

// ---------------------------------------------------------------------------
// Parsing: members shared by both shapes
// ---------------------------------------------------------------------------

fn parse_crs(object: &Map<String, Value>) -> Result<Crs, GeofenceError> {
    match object.get("crs") {
        None => Ok(Crs::default()),
        Some(Value::String(name)) => name
            .parse()
            .map_err(|_| GeofenceError::UnknownCrs(name.clone())),
        Some(_) => Err(GeofenceError::WrongType {
            member: "crs",
            expected: "one of the strings \"wgs84\", \"gcj02\" or \"bd09\"",
        }),
    }
}

fn required_str<'a>(
    object: &'a Map<String, Value>,
    member: &'static str,
) -> Result<&'a str, GeofenceError> {
    match object.get(member) {
        None => Err(GeofenceError::MissingMember(member)),
        Some(value) => value.as_str().ok_or(GeofenceError::WrongType {
            member,
            expected: "a string",
        }),
    }
}

/// `path` is the full member path for messages, `key` the member within `object`.
fn required_number(
    object: &Map<String, Value>,
    key: &str,
    path: &'static str,
) -> Result<f64, GeofenceError> {
    match object.get(key) {
        None => Err(GeofenceError::MissingMember(path)),
        Some(value) => value.as_f64().ok_or(GeofenceError::WrongType {
            member: path,
            expected: "a number",
        }),
    }
}

/// Refuses non-finite or out-of-range input positions; `at` names the position.
fn check_position(p: LatLon, at: impl FnOnce() -> String) -> Result<(), GeofenceError> {
    if !p.lat.is_finite() || !p.lon.is_finite() {
        return Err(GeofenceError::NonFiniteCoordinate { at: at() });
    }
    if !p.is_valid() {
        return Err(GeofenceError::CoordinateOutOfRange {
            at: at(),
            lat: p.lat,
            lon: p.lon,
        });
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Parsing: circle
// ---------------------------------------------------------------------------

fn parse_circle(object: &Map<String, Value>, crs: Crs) -> Result<Shape, GeofenceError> {
    let center = match object.get("center") {
        None => return Err(GeofenceError::MissingMember("center")),
        Some(Value::Object(center)) => center,
        Some(_) => {
            return Err(GeofenceError::WrongType {
                member: "center",
                expected: "an object {\"lat\": .., \"lon\": ..}",
            });
        }
    };
    let lat = required_number(center, "lat", "center.lat")?;
    let lon = required_number(center, "lon", "center.lon")?;
    let center = LatLon { lat, lon };
    check_position(center, || "center".to_owned())?;

    let radius_m = required_number(object, "radius_m", "radius_m")?;
    if !radius_m.is_finite() || !(MIN_RADIUS_M..=MAX_RADIUS_M).contains(&radius_m) {
        return Err(GeofenceError::RadiusOutOfRange(radius_m));
    }
    Ok(Shape::Circle {
        center: to_wgs84(crs, center),
        radius_m,
    })
}

// ---------------------------------------------------------------------------
// Parsing: polygons
// ---------------------------------------------------------------------------

/// Where a ring sits in the input, for messages.
#[derive(Debug, Clone, Copy)]
struct RingId {
    /// Index in a MultiPolygon, `None` for a plain Polygon.
    polygon: Option<usize>,
    ring: usize,
}

impl RingId {
    fn path(self) -> String {
        match self.polygon {
            Some(polygon) => format!("coordinates[{polygon}][{}]", self.ring),
            None => format!("coordinates[{}]", self.ring),
        }
    }

    fn label(self) -> String {
        let role = if self.ring == 0 { "outer ring" } else { "hole" };
        format!("{role} {}", self.path())
    }
}

/// A ring after conversion: WGS-84 corners, each with its index in the input ring so
/// messages can point at what the admin sent.
struct Ring {
    id: RingId,
    coords: Vec<Coord<f64>>,
    input_index: Vec<usize>,
}

fn parse_area(value: &Value, crs: Crs) -> Result<MultiPolygon<f64>, GeofenceError> {
    // `crs` ends up among the geometry's foreign members, which we ignore here.
    let geometry = geojson::Geometry::deserialize(value)
        .map_err(|e| GeofenceError::MalformedGeoJson(e.to_string()))?;
    let (polygons, multi) = match geometry.value {
        geojson::GeometryValue::Polygon { coordinates } => (vec![coordinates], false),
        geojson::GeometryValue::MultiPolygon { coordinates } => (coordinates, true),
        other => return Err(GeofenceError::UnknownType(other.type_name().to_owned())),
    };
    if polygons.is_empty() {
        return Err(GeofenceError::Empty(
            "MultiPolygon has no polygons".to_owned(),
        ));
    }

    let mut rings_by_polygon = Vec::with_capacity(polygons.len());
    for (p, polygon) in polygons.iter().enumerate() {
        let polygon_index = multi.then_some(p);
        if polygon.is_empty() {
            let at = polygon_index.map_or("Polygon".to_owned(), |i| {
                format!("polygon coordinates[{i}]")
            });
            return Err(GeofenceError::Empty(format!("{at} has no rings")));
        }
        let mut rings = Vec::with_capacity(polygon.len());
        for (r, positions) in polygon.iter().enumerate() {
            let id = RingId {
                polygon: polygon_index,
                ring: r,
            };
            rings.push(read_ring(id, positions)?);
        }
        rings_by_polygon.push(rings);
    }

    let count: usize = rings_by_polygon
        .iter()
        .flatten()
        .map(|ring: &Vec<LatLon>| ring.len() - 1)
        .sum();
    if count > MAX_VERTICES {
        return Err(GeofenceError::TooManyVertices {
            count,
            max: MAX_VERTICES,
        });
    }

    let rings_by_polygon = rings_by_polygon
        .into_iter()
        .enumerate()
        .map(|(p, rings)| {
            rings
                .into_iter()
                .enumerate()
                .map(|(r, positions)| {
                    let id = RingId {
                        polygon: multi.then_some(p),
                        ring: r,
                    };
                    convert_ring(id, &positions, crs)
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .collect::<Result<Vec<_>, _>>()?;

    check_no_crossings(&rings_by_polygon)?;
    check_nesting(&rings_by_polygon)?;
    Ok(to_multipolygon(rings_by_polygon))
}

/// Checks each input position and the ring's closure; returns the positions as given.
fn read_ring(id: RingId, positions: &[geojson::Position]) -> Result<Vec<LatLon>, GeofenceError> {
    let mut ring = Vec::with_capacity(positions.len());
    for (i, position) in positions.iter().enumerate() {
        let at = || format!("{}[{i}]", id.path());
        let &[lon, lat, ..] = position.as_slice() else {
            return Err(GeofenceError::PositionTooShort { at: at() });
        };
        let p = LatLon { lat, lon };
        check_position(p, at)?;
        ring.push(p);
    }
    if ring.len() < 4 {
        return Err(GeofenceError::TooFewPositions {
            ring: id.label(),
            count: ring.len(),
        });
    }
    if ring.first() != ring.last() {
        return Err(GeofenceError::RingNotClosed { ring: id.label() });
    }
    Ok(ring)
}

/// Converts to WGS-84 and drops consecutive duplicate positions, which drawing tools
/// sometimes emit and which would otherwise look like zero-length edges.
fn convert_ring(id: RingId, positions: &[LatLon], crs: Crs) -> Result<Ring, GeofenceError> {
    let mut coords: Vec<Coord<f64>> = Vec::with_capacity(positions.len());
    let mut input_index = Vec::with_capacity(positions.len());
    for (i, &p) in positions.iter().enumerate() {
        let w = to_wgs84(crs, p);
        let c = Coord { x: w.lon, y: w.lat };
        if coords.last() != Some(&c) {
            coords.push(c);
            input_index.push(i);
        }
    }
    if coords.len() < 4 {
        return Err(GeofenceError::DegenerateRing { ring: id.label() });
    }
    Ok(Ring {
        id,
        coords,
        input_index,
    })
}

/// One edge of one ring, as fed to geo's sweep-line intersection finder.
#[derive(Debug, Clone, Copy)]
struct Edge {
    line: Line<f64>,
    /// Index into the flattened list of rings.
    ring: usize,
    /// Edge `k` runs from corner `k` to corner `k + 1`.
    index: usize,
    /// Number of edges in the ring, to recognise the closing edge's neighbour.
    ring_edges: usize,
}

impl geo::algorithm::sweep::Cross for Edge {
    type Scalar = f64;

    fn line(&self) -> Line<f64> {
        self.line
    }
}

impl Edge {
    /// The one intersection that is fine: consecutive edges meeting exactly at their
    /// shared corner.
    fn is_expected_contact(&self, other: &Edge, found: &LineIntersection<f64>) -> bool {
        if self.ring != other.ring {
            return false;
        }
        let shared = if (self.index + 1) % self.ring_edges == other.index {
            self.line.end
        } else if (other.index + 1) % other.ring_edges == self.index {
            other.line.end
        } else {
            return false;
        };
        matches!(found, LineIntersection::SinglePoint { intersection, .. } if *intersection == shared)
    }
}

/// Refuses any crossing, touching or overlapping of edges, within a ring or between
/// rings, apart from neighbouring edges meeting at their shared corner.
///
/// geo's `Validation` would find the same problems but tests every pair of edges
/// (O(n²): ~14 s for a 10,000-vertex ring in a debug build, ~0.6 s optimised), so we use
/// geo's sweep-line `Intersections` instead, which only compares edges whose x-extents
/// overlap.
fn check_no_crossings(polygons: &[Vec<Ring>]) -> Result<(), GeofenceError> {
    let rings: Vec<&Ring> = polygons.iter().flatten().collect();
    let edges: Vec<Edge> = rings
        .iter()
        .enumerate()
        .flat_map(|(ring_index, ring)| {
            let ring_edges = ring.coords.len() - 1;
            ring.coords
                .windows(2)
                .enumerate()
                .map(move |(index, pair)| Edge {
                    line: Line::new(pair[0], pair[1]),
                    ring: ring_index,
                    index,
                    ring_edges,
                })
        })
        .collect();

    let mut intersections = Intersections::from_iter(edges.iter());
    let Some((a, b, _)) = intersections.find(|(a, b, found)| !a.is_expected_contact(b, found))
    else {
        return Ok(());
    };
    let (ring_a, ring_b) = (rings[a.ring], rings[b.ring]);
    let edge_a = input_edge(ring_a, a.index);
    let edge_b = input_edge(ring_b, b.index);
    if a.ring == b.ring {
        let (edge_a, edge_b) = (edge_a.min(edge_b), edge_a.max(edge_b));
        Err(GeofenceError::SelfIntersection {
            ring: ring_a.id.label(),
            edge_a,
            edge_b,
        })
    } else {
        Err(GeofenceError::RingsIntersect {
            ring_a: ring_a.id.label(),
            edge_a,
            ring_b: ring_b.id.label(),
            edge_b,
        })
    }
}

/// The input positions that edge `index` of `ring` joins.
fn input_edge(ring: &Ring, index: usize) -> (usize, usize) {
    (ring.input_index[index], ring.input_index[index + 1])
}

/// With no ring touching another, each ring lies wholly inside or wholly outside every
/// other, so testing one corner settles containment. Refuses holes outside their outer
/// ring, holes inside holes, and polygons whose areas overlap.
fn check_nesting(polygons: &[Vec<Ring>]) -> Result<(), GeofenceError> {
    for rings in polygons {
        let Some((outer, holes)) = rings.split_first() else {
            continue;
        };
        for (i, hole) in holes.iter().enumerate() {
            if !ring_contains(&outer.coords, hole.coords[0]) {
                return Err(GeofenceError::HoleOutsideOuterRing {
                    hole: hole.id.label(),
                });
            }
            for other in &holes[i + 1..] {
                if let Some((inner, outer)) = nested_pair(hole, other) {
                    return Err(GeofenceError::HolesOverlap {
                        inner: inner.id.label(),
                        outer: outer.id.label(),
                    });
                }
            }
        }
    }
    for (a, rings_a) in polygons.iter().enumerate() {
        for (b, rings_b) in polygons.iter().enumerate().skip(a + 1) {
            if areas_overlap(rings_a, rings_b) || areas_overlap(rings_b, rings_a) {
                return Err(GeofenceError::PolygonsOverlap { a, b });
            }
        }
    }
    Ok(())
}

/// `Some((inner, outer))` when one of the two rings lies inside the other.
fn nested_pair<'a>(a: &'a Ring, b: &'a Ring) -> Option<(&'a Ring, &'a Ring)> {
    if ring_contains(&b.coords, a.coords[0]) {
        Some((a, b))
    } else if ring_contains(&a.coords, b.coords[0]) {
        Some((b, a))
    } else {
        None
    }
}

/// Whether polygon `a`'s outer ring starts inside polygon `b`'s area (inside its outer
/// ring and not in one of its holes). Together with the converse this detects overlap; an
/// island inside another polygon's hole is fine.
fn areas_overlap(a: &[Ring], b: &[Ring]) -> bool {
    let (Some(outer_a), Some((outer_b, holes_b))) = (a.first(), b.split_first()) else {
        return false;
    };
    let corner = outer_a.coords[0];
    ring_contains(&outer_b.coords, corner)
        && !holes_b
            .iter()
            .any(|hole| ring_contains(&hole.coords, corner))
}

fn to_multipolygon(polygons: Vec<Vec<Ring>>) -> MultiPolygon<f64> {
    let polygons = polygons.into_iter().filter_map(|rings| {
        let mut rings = rings.into_iter().map(|ring| LineString::new(ring.coords));
        let outer = rings.next()?;
        Some(Polygon::new(outer, rings.collect()))
    });
    MultiPolygon::new(polygons.collect())
}

fn polygon_json(polygon: &Polygon<f64>) -> Value {
    let rings: Vec<Value> = rings(polygon)
        .map(|ring| ring.0.iter().map(|c| json!([c.x, c.y])).collect())
        .collect();
    Value::Array(rings)
}

fn shape_bounds(shape: &Shape) -> Result<Rect<f64>, GeofenceError> {
    match shape {
        Shape::Circle { center, radius_m } => {
            // Padded because degrees of latitude on the real ellipsoid are up to ~0.7%
            // shorter than on the haversine sphere; a prefilter must never cut the circle.
            let reach_m = radius_m * 1.01 + 1.0;
            let d_lat = reach_m / METRES_PER_DEGREE;
            let d_lon = reach_m / (METRES_PER_DEGREE * center.lat.to_radians().cos());
            Ok(Rect::new(
                Coord {
                    x: center.lon - d_lon,
                    y: center.lat - d_lat,
                },
                Coord {
                    x: center.lon + d_lon,
                    y: center.lat + d_lat,
                },
            ))
        }
        Shape::Area(area) => geo::BoundingRect::bounding_rect(area)
            .ok_or_else(|| GeofenceError::Empty("no positions".to_owned())),
    }
}

// ---------------------------------------------------------------------------
// Geometry on the validated fence
// ---------------------------------------------------------------------------

fn rings(polygon: &Polygon<f64>) -> impl Iterator<Item = &LineString<f64>> {
    std::iter::once(polygon.exterior()).chain(polygon.interiors())
}

/// Even-odd test; `ring` is closed. Done in degrees, which is fine because crossing
/// parity does not change under the (locally affine) map from degrees to metres.
fn ring_contains(ring: &[Coord<f64>], c: Coord<f64>) -> bool {
    ring.windows(2)
        .filter(|pair| edge_crosses_ray(pair[0], pair[1], c))
        .count()
        % 2
        == 1
}

/// Whether the edge a-b crosses the ray running east from `c`.
fn edge_crosses_ray(a: Coord<f64>, b: Coord<f64>, c: Coord<f64>) -> bool {
    (a.y > c.y) != (b.y > c.y) && c.x < a.x + (c.y - a.y) / (b.y - a.y) * (b.x - a.x)
}

fn haversine_m(a: LatLon, b: LatLon) -> f64 {
    Haversine.distance(Point::new(a.lon, a.lat), Point::new(b.lon, b.lat))
}

/// An equirectangular projection centred on a fix: metres east and north of it. Over a
/// few kilometres its error is far below 0.1%.
struct LocalFrame {
    origin: LatLon,
    metres_per_degree_lon: f64,
}

impl LocalFrame {
    fn around(origin: LatLon) -> Self {
        LocalFrame {
            origin,
            metres_per_degree_lon: METRES_PER_DEGREE * origin.lat.to_radians().cos(),
        }
    }

    fn to_local(&self, c: Coord<f64>) -> Coord<f64> {
        Coord {
            x: (c.x - self.origin.lon) * self.metres_per_degree_lon,
            y: (c.y - self.origin.lat) * METRES_PER_DEGREE,
        }
    }

    fn to_lat_lon(&self, c: Coord<f64>) -> LatLon {
        LatLon {
            lat: self.origin.lat + c.y / METRES_PER_DEGREE,
            lon: self.origin.lon + c.x / self.metres_per_degree_lon,
        }
    }
}

/// The point of segment a-b nearest the origin (local metres).
fn nearest_on_segment_to_origin(a: Coord<f64>, b: Coord<f64>) -> Coord<f64> {
    let ab = b - a;
    let len2 = ab.x * ab.x + ab.y * ab.y;
    if len2 == 0.0 {
        return a;
    }
    let t = (-(a.x * ab.x + a.y * ab.y) / len2).clamp(0.0, 1.0);
    a + ab * t
}

/// One pass over every edge: even-odd parity for "inside" (skipped when `p` is outside
/// the bounding box) and the nearest boundary point in a local frame around `p`. The
/// final distance is a haversine to that point, so it stays right even far from the fence.
fn area_distance_outside_m(area: &MultiPolygon<f64>, bounds: &Rect<f64>, p: LatLon) -> f64 {
    let c = Coord { x: p.lon, y: p.lat };
    let may_be_inside = bounds.min().x <= c.x
        && c.x <= bounds.max().x
        && bounds.min().y <= c.y
        && c.y <= bounds.max().y;
    let frame = LocalFrame::around(p);

    let mut inside = false;
    let mut nearest = Coord {
        x: f64::INFINITY,
        y: f64::INFINITY,
    };
    let mut nearest_d2 = f64::INFINITY;
    for line in area.iter().flat_map(rings).flat_map(LineString::lines) {
        if may_be_inside && edge_crosses_ray(line.start, line.end, c) {
            inside = !inside;
        }
        let q = nearest_on_segment_to_origin(frame.to_local(line.start), frame.to_local(line.end));
        let d2 = q.x * q.x + q.y * q.y;
        if d2 < nearest_d2 {
            nearest_d2 = d2;
            nearest = q;
        }
    }
    if inside || nearest_d2 == 0.0 {
        return 0.0;
    }
    haversine_m(p, frame.to_lat_lon(nearest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::coords::{gcj02_to_bd09, wgs84_to_gcj02};
    use geo::{Destination, Geodesic, Validation};

    /// A clinic in Anxi county, Fujian.
    const CLINIC: LatLon = LatLon {
        lat: 25.29,
        lon: 117.41,
    };

    /// The point `metres` from `from` on `bearing` (degrees), on the WGS-84 ellipsoid.
    fn offset(from: LatLon, bearing: f64, metres: f64) -> LatLon {
        let p = Geodesic.destination(Point::new(from.lon, from.lat), bearing, metres);
        LatLon {
            lat: p.y(),
            lon: p.x(),
        }
    }

    /// Ellipsoidal distance, the yardstick for "accurate to ~1%".
    fn geodesic_m(a: LatLon, b: LatLon) -> f64 {
        Geodesic.distance(Point::new(a.lon, a.lat), Point::new(b.lon, b.lat))
    }

    fn assert_close(got: f64, want: f64, tolerance: f64) {
        assert!(
            (got - want).abs() <= tolerance,
            "got {got}, want {want} ± {tolerance}"
        );
    }

    fn circle(center: LatLon, radius_m: f64) -> Value {
        json!({"type": "circle", "center": {"lat": center.lat, "lon": center.lon}, "radius_m": radius_m})
    }

    /// A closed [lon, lat] ring around `center`, `half` degrees each way.
    fn square(center: LatLon, half: f64) -> Vec<[f64; 2]> {
        let (x, y) = (center.lon, center.lat);
        vec![
            [x - half, y - half],
            [x + half, y - half],
            [x + half, y + half],
            [x - half, y + half],
            [x - half, y - half],
        ]
    }

    fn polygon(rings: &[Vec<[f64; 2]>]) -> Value {
        json!({"type": "Polygon", "coordinates": rings})
    }

    /// A closed ring of `corners` corners on a circle of `radius_deg` degrees.
    fn regular_ring(center: LatLon, radius_deg: f64, corners: usize) -> Vec<[f64; 2]> {
        let mut ring: Vec<[f64; 2]> = (0..corners)
            .map(|i| {
                let a = i as f64 / corners as f64 * std::f64::consts::TAU;
                [
                    center.lon + radius_deg * a.cos(),
                    center.lat + radius_deg * a.sin(),
                ]
            })
            .collect();
        ring.push(ring[0]);
        ring
    }

    fn refusal(value: Value) -> GeofenceError {
        match Geofence::parse(&value) {
            Ok(fence) => panic!("accepted {value}: {fence:?}"),
            Err(e) => e,
        }
    }

    // --- refusals -------------------------------------------------------------

    #[test]
    fn non_object_is_refused() {
        assert_eq!(refusal(json!([1, 2])), GeofenceError::NotAnObject);
    }

    #[test]
    fn missing_type_is_refused() {
        assert_eq!(
            refusal(json!({"center": {"lat": 1, "lon": 2}})),
            GeofenceError::MissingMember("type")
        );
    }

    #[test]
    fn unknown_type_is_refused() {
        let e = refusal(json!({"type": "rectangle"}));
        assert_eq!(e, GeofenceError::UnknownType("rectangle".into()));
        assert!(
            e.to_string()
                .contains("\"circle\", \"Polygon\" or \"MultiPolygon\"")
        );
        // Other GeoJSON geometries have no area.
        let e = refusal(json!({"type": "LineString", "coordinates": [[1, 2], [3, 4]]}));
        assert_eq!(e, GeofenceError::UnknownType("LineString".into()));
        // GeoJSON type names are case-sensitive.
        assert!(matches!(
            refusal(json!({"type": "polygon"})),
            GeofenceError::UnknownType(_)
        ));
    }

    #[test]
    fn unknown_crs_is_refused() {
        let mut value = circle(CLINIC, 100.0);
        value["crs"] = json!("epsg:4490");
        let e = refusal(value);
        assert_eq!(e, GeofenceError::UnknownCrs("epsg:4490".into()));
        assert_eq!(
            e.to_string(),
            "unknown crs \"epsg:4490\"; expected \"wgs84\", \"gcj02\" or \"bd09\""
        );
    }

    #[test]
    fn old_style_geojson_crs_object_is_refused() {
        let mut value = polygon(&[square(CLINIC, 0.001)]);
        value["crs"] = json!({"type": "name", "properties": {"name": "EPSG:4326"}});
        assert!(matches!(
            refusal(value),
            GeofenceError::WrongType { member: "crs", .. }
        ));
    }

    #[test]
    fn circle_missing_members_are_refused() {
        assert_eq!(
            refusal(json!({"type": "circle", "radius_m": 100})),
            GeofenceError::MissingMember("center")
        );
        assert_eq!(
            refusal(json!({"type": "circle", "center": {"lat": 25.0}, "radius_m": 100})),
            GeofenceError::MissingMember("center.lon")
        );
        assert_eq!(
            refusal(json!({"type": "circle", "center": {"lat": 25.0, "lon": 117.0}})),
            GeofenceError::MissingMember("radius_m")
        );
    }

    #[test]
    fn ill_typed_members_are_refused() {
        let e = refusal(
            json!({"type": "circle", "center": {"lat": "25.0", "lon": 117.0}, "radius_m": 100}),
        );
        assert_eq!(
            e.to_string(),
            "geofence member \"center.lat\" must be a number"
        );
        assert!(matches!(
            refusal(json!({"type": "circle", "center": [25.0, 117.0], "radius_m": 100})),
            GeofenceError::WrongType {
                member: "center",
                ..
            }
        ));
        assert!(matches!(
            refusal(json!({"type": 7})),
            GeofenceError::WrongType { member: "type", .. }
        ));
        assert!(matches!(
            refusal(json!({"type": "Polygon", "coordinates": "nope"})),
            GeofenceError::MalformedGeoJson(_)
        ));
        assert!(matches!(
            refusal(json!({"type": "Polygon"})),
            GeofenceError::MalformedGeoJson(_)
        ));
        // A MultiPolygon's coordinates are one level deeper than a Polygon's.
        assert!(matches!(
            refusal(json!({"type": "MultiPolygon", "coordinates": [square(CLINIC, 0.001)]})),
            GeofenceError::MalformedGeoJson(_)
        ));
    }

    #[test]
    fn out_of_range_coordinates_are_refused() {
        let e = refusal(circle(
            LatLon {
                lat: 117.41,
                lon: 25.29,
            },
            100.0,
        ));
        assert!(matches!(e, GeofenceError::CoordinateOutOfRange { .. }));

        let mut ring = square(CLINIC, 0.001);
        ring[2] = [181.0, 25.3];
        let e = refusal(polygon(&[ring]));
        assert_eq!(
            e.to_string(),
            "position coordinates[0][2] is out of range: latitude 25.3 must be within -90..90 and longitude 181 within -180..180"
        );
    }

    #[test]
    fn non_finite_coordinates_are_refused() {
        // JSON cannot carry NaN, but the check must not rely on that.
        let e = check_position(
            LatLon {
                lat: f64::NAN,
                lon: 117.0,
            },
            || "center".into(),
        );
        assert_eq!(
            e,
            Err(GeofenceError::NonFiniteCoordinate {
                at: "center".into()
            })
        );
    }

    #[test]
    fn short_position_is_refused() {
        let mut ring: Vec<Value> = square(CLINIC, 0.001).iter().map(|p| json!(p)).collect();
        ring[1] = json!([117.41]);
        let e = refusal(json!({"type": "Polygon", "coordinates": [ring]}));
        assert_eq!(
            e,
            GeofenceError::PositionTooShort {
                at: "coordinates[0][1]".into()
            }
        );
    }

    #[test]
    fn ring_with_fewer_than_four_positions_is_refused() {
        let ring = square(CLINIC, 0.001);
        let e = refusal(polygon(&[vec![ring[0], ring[1], ring[0]]]));
        assert_eq!(
            e,
            GeofenceError::TooFewPositions {
                ring: "outer ring coordinates[0]".into(),
                count: 3
            }
        );
    }

    #[test]
    fn unclosed_ring_is_refused() {
        let mut ring = square(CLINIC, 0.001);
        ring.pop();
        let e = refusal(polygon(&[ring]));
        assert_eq!(
            e.to_string(),
            "outer ring coordinates[0] is not closed: its last position must equal its first"
        );
    }

    #[test]
    fn ring_of_repeated_points_is_refused() {
        let ring = square(CLINIC, 0.001);
        let e = refusal(polygon(&[vec![ring[0], ring[1], ring[1], ring[0]]]));
        assert!(matches!(e, GeofenceError::DegenerateRing { .. }));
    }

    #[test]
    fn empty_polygon_and_multipolygon_are_refused() {
        assert!(matches!(
            refusal(json!({"type": "Polygon", "coordinates": []})),
            GeofenceError::Empty(_)
        ));
        assert!(matches!(
            refusal(json!({"type": "MultiPolygon", "coordinates": []})),
            GeofenceError::Empty(_)
        ));
    }

    #[test]
    fn self_intersecting_ring_is_refused() {
        // A bow tie: edges 1-2 and 3-4 cross.
        let (x, y) = (CLINIC.lon, CLINIC.lat);
        let d = 0.001;
        let bow_tie = vec![
            [x - d, y - d],
            [x + d, y + d],
            [x + d, y - d],
            [x - d, y + d],
            [x - d, y - d],
        ];
        let e = refusal(polygon(&[bow_tie]));
        assert_eq!(
            e,
            GeofenceError::SelfIntersection {
                ring: "outer ring coordinates[0]".into(),
                edge_a: (0, 1),
                edge_b: (2, 3)
            }
        );
    }

    #[test]
    fn ring_touching_itself_is_refused() {
        // A figure eight pinched at one corner: two triangles sharing the centre.
        let (x, y) = (CLINIC.lon, CLINIC.lat);
        let d = 0.001;
        let pinched = vec![
            [x, y],
            [x + d, y + d],
            [x + d, y - d],
            [x, y],
            [x - d, y + d],
            [x - d, y - d],
            [x, y],
        ];
        assert!(matches!(
            refusal(polygon(&[pinched])),
            GeofenceError::SelfIntersection { .. }
        ));
    }

    #[test]
    fn ring_doubling_back_is_refused() {
        let (x, y) = (CLINIC.lon, CLINIC.lat);
        let d = 0.001;
        // A spike: out to x + 2d and straight back along the same line.
        let spiked = vec![
            [x - d, y - d],
            [x + d, y - d],
            [x + d, y],
            [x + 2.0 * d, y],
            [x + d, y],
            [x + d, y + d],
            [x - d, y + d],
            [x - d, y - d],
        ];
        assert!(matches!(
            refusal(polygon(&[spiked])),
            GeofenceError::SelfIntersection { .. }
        ));
    }

    #[test]
    fn crossing_rings_are_refused() {
        let hole_poking_out = square(
            LatLon {
                lat: CLINIC.lat,
                lon: CLINIC.lon + 0.001,
            },
            0.0005,
        );
        let e = refusal(polygon(&[square(CLINIC, 0.001), hole_poking_out]));
        assert!(
            matches!(&e, GeofenceError::RingsIntersect { ring_a, ring_b, .. }
                if ring_a.starts_with("outer ring") && ring_b.starts_with("hole")
                    || ring_b.starts_with("outer ring") && ring_a.starts_with("hole")),
            "{e}"
        );
    }

    #[test]
    fn hole_outside_outer_ring_is_refused() {
        let far_away = square(
            LatLon {
                lat: CLINIC.lat + 0.01,
                lon: CLINIC.lon,
            },
            0.0005,
        );
        let e = refusal(polygon(&[square(CLINIC, 0.001), far_away]));
        assert_eq!(
            e,
            GeofenceError::HoleOutsideOuterRing {
                hole: "hole coordinates[1]".into()
            }
        );
    }

    #[test]
    fn nested_holes_are_refused() {
        let e = refusal(polygon(&[
            square(CLINIC, 0.002),
            square(CLINIC, 0.0005),
            square(CLINIC, 0.001),
        ]));
        assert_eq!(
            e.to_string(),
            "hole coordinates[1] lies inside hole coordinates[2]; holes of one polygon must not overlap"
        );
    }

    #[test]
    fn overlapping_polygons_are_refused() {
        let nearby = LatLon {
            lat: CLINIC.lat,
            lon: CLINIC.lon + 0.0015,
        };
        let crossing = json!({"type": "MultiPolygon", "coordinates": [[square(CLINIC, 0.001)], [square(nearby, 0.001)]]});
        assert!(matches!(
            refusal(crossing),
            GeofenceError::RingsIntersect { .. }
        ));
        let nested = json!({"type": "MultiPolygon", "coordinates": [[square(CLINIC, 0.0005)], [square(CLINIC, 0.001)]]});
        assert_eq!(
            refusal(nested),
            GeofenceError::PolygonsOverlap { a: 0, b: 1 }
        );
    }

    #[test]
    fn radius_outside_limits_is_refused() {
        for radius in [0.0, 9.99, 5000.01, -50.0, 1e12] {
            assert_eq!(
                refusal(circle(CLINIC, radius)),
                GeofenceError::RadiusOutOfRange(radius)
            );
        }
        assert_eq!(
            GeofenceError::RadiusOutOfRange(f64::INFINITY).to_string(),
            "radius_m must be between 10 and 5000 metres, got inf"
        );
        for radius in [10.0, 5000.0] {
            assert!(Geofence::parse(&circle(CLINIC, radius)).is_ok());
        }
    }

    #[test]
    fn ten_thousand_vertices_are_accepted_and_one_more_is_refused() {
        let ring = regular_ring(CLINIC, 0.01, MAX_VERTICES);
        let fence = Geofence::parse(&polygon(&[ring])).expect("10,000 vertices");
        assert_eq!(fence.vertex_count(), MAX_VERTICES);

        let ring = regular_ring(CLINIC, 0.01, MAX_VERTICES + 1);
        assert_eq!(
            refusal(polygon(&[ring])),
            GeofenceError::TooManyVertices {
                count: MAX_VERTICES + 1,
                max: MAX_VERTICES
            }
        );
    }

    #[test]
    fn refusals_agree_with_geo_validation() {
        // geo's own validator is too slow for 10,000 vertices but is the reference for
        // small shapes. (We are stricter only where rings touch at a single point.)
        let (x, y) = (CLINIC.lon, CLINIC.lat);
        let d = 0.001;
        let shifted = |dx: f64, dy: f64, half: f64| {
            square(
                LatLon {
                    lat: y + dy,
                    lon: x + dx,
                },
                half,
            )
        };
        let cases = [
            json!({"type": "Polygon", "coordinates": [square(CLINIC, d)]}),
            json!({"type": "Polygon", "coordinates": [square(CLINIC, d), square(CLINIC, d / 2.0)]}),
            json!({"type": "Polygon", "coordinates": [[[x - d, y - d], [x + d, y + d], [x + d, y - d], [x - d, y + d], [x - d, y - d]]]}),
            json!({"type": "Polygon", "coordinates": [square(CLINIC, d), shifted(d, 0.0, d / 2.0)]}),
            json!({"type": "Polygon", "coordinates": [square(CLINIC, d), shifted(0.0, 5.0 * d, d / 2.0)]}),
            json!({"type": "Polygon", "coordinates": [square(CLINIC, 2.0 * d), shifted(-d, 0.0, d / 2.0), shifted(d, 0.0, d / 2.0)]}),
            json!({"type": "Polygon", "coordinates": [square(CLINIC, 2.0 * d), shifted(-d / 4.0, 0.0, d / 2.0), shifted(d / 4.0, 0.0, d / 2.0)]}),
            json!({"type": "MultiPolygon", "coordinates": [[square(CLINIC, d)], [shifted(3.0 * d, 0.0, d)]]}),
            json!({"type": "MultiPolygon", "coordinates": [[square(CLINIC, d)], [shifted(d, 0.0, d)]]}),
            json!({"type": "MultiPolygon", "coordinates": [[square(CLINIC, d)], [square(CLINIC, d / 2.0)]]}),
            json!({"type": "MultiPolygon", "coordinates": [[square(CLINIC, 2.0 * d), square(CLINIC, d)], [square(CLINIC, d / 2.0)]]}),
        ];
        for case in cases {
            let ours = Geofence::parse(&case);
            let geometry: geojson::Geometry = serde_json::from_value(case.clone()).unwrap();
            let theirs: geo::Geometry<f64> = geometry.try_into().unwrap();
            assert_eq!(
                ours.is_ok(),
                theirs.is_valid(),
                "{case}: ours {ours:?}, geo {:?}",
                theirs.validation_errors()
            );
        }
    }

    // --- accepted shapes ------------------------------------------------------

    #[test]
    fn collinear_corner_and_repeated_positions_are_accepted() {
        let (x, y) = (CLINIC.lon, CLINIC.lat);
        let d = 0.001;
        let ring = vec![
            [x - d, y - d],
            [x, y - d], // on the straight bottom edge
            [x + d, y - d],
            [x + d, y - d], // repeated
            [x + d, y + d],
            [x - d, y + d],
            [x - d, y - d],
        ];
        let fence = Geofence::parse(&polygon(&[ring])).expect("valid");
        assert_eq!(fence.vertex_count(), 5);
    }

    #[test]
    fn island_in_a_hole_is_accepted() {
        let value = json!({"type": "MultiPolygon", "coordinates": [
            [square(CLINIC, 0.002), square(CLINIC, 0.001)],
            [square(CLINIC, 0.0005)],
        ]});
        let fence = Geofence::parse(&value).expect("valid");
        assert_eq!(fence.distance_outside_m(CLINIC), 0.0);
        let in_moat = offset(CLINIC, 90.0, 75.0);
        assert!(fence.distance_outside_m(in_moat) > 10.0);
    }

    // --- distances ------------------------------------------------------------

    #[test]
    fn circle_inside_and_outside() {
        let fence = Geofence::parse(&circle(CLINIC, 100.0)).unwrap();
        assert_eq!(fence.distance_outside_m(CLINIC), 0.0);
        assert_eq!(fence.distance_outside_m(offset(CLINIC, 200.0, 99.0)), 0.0);
        // 150 m north of the centre of a 100 m circle is ~50 m outside.
        assert_close(
            fence.distance_outside_m(offset(CLINIC, 0.0, 150.0)),
            50.0,
            1.0,
        );
        assert_close(
            fence.distance_outside_m(offset(CLINIC, 90.0, 1100.0)),
            1000.0,
            10.0,
        );
    }

    #[test]
    fn square_polygon_inside_outside_and_hole() {
        // ~200 m square around the clinic with a ~60 m square hole (a courtyard).
        let fence =
            Geofence::parse(&polygon(&[square(CLINIC, 0.001), square(CLINIC, 0.0003)])).unwrap();

        let in_ward = offset(CLINIC, 0.0, 70.0);
        assert_eq!(fence.distance_outside_m(in_ward), 0.0);

        // East of the square, on the clinic's latitude: the nearest point is straight west.
        let east_edge = LatLon {
            lat: CLINIC.lat,
            lon: CLINIC.lon + 0.001,
        };
        let outside = offset(east_edge, 90.0, 100.0);
        assert_close(fence.distance_outside_m(outside), 100.0, 1.0);

        // In the courtyard the nearest boundary is the hole's east/west side.
        let hole_edge = LatLon {
            lat: CLINIC.lat,
            lon: CLINIC.lon + 0.0003,
        };
        let expected = geodesic_m(CLINIC, hole_edge);
        let got = fence.distance_outside_m(CLINIC);
        assert!(got > 0.0);
        assert_close(got, expected, expected * 0.01);

        // Diagonally off a corner.
        let corner = LatLon {
            lat: CLINIC.lat + 0.001,
            lon: CLINIC.lon + 0.001,
        };
        let beyond = offset(corner, 45.0, 300.0);
        assert_close(
            fence.distance_outside_m(beyond),
            geodesic_m(beyond, corner),
            3.0,
        );
    }

    #[test]
    fn distance_stays_accurate_far_away() {
        let fence = Geofence::parse(&polygon(&[square(CLINIC, 0.001)])).unwrap();
        let xiamen = LatLon {
            lat: 24.4798,
            lon: 118.0894,
        };
        let got = fence.distance_outside_m(xiamen);
        let roughly = geodesic_m(xiamen, CLINIC);
        assert!((got - roughly).abs() < roughly * 0.01, "{got} vs {roughly}");
    }

    #[test]
    fn point_on_edge_is_inside() {
        let fence = Geofence::parse(&polygon(&[square(CLINIC, 0.001)])).unwrap();
        let on_edge = LatLon {
            lat: CLINIC.lat - 0.001,
            lon: CLINIC.lon,
        };
        assert!(fence.distance_outside_m(on_edge) < 1e-6);
    }

    #[test]
    fn invalid_fix_position_is_never_inside() {
        let fence = Geofence::parse(&circle(CLINIC, 100.0)).unwrap();
        for p in [
            LatLon {
                lat: f64::NAN,
                lon: CLINIC.lon,
            },
            LatLon {
                lat: 95.0,
                lon: CLINIC.lon,
            },
        ] {
            assert_eq!(fence.distance_outside_m(p), f64::INFINITY);
            assert!(matches!(
                fence.judge_fix(p, 10.0, &FixPolicy::default()),
                FixVerdict::Outside { .. }
            ));
        }
    }

    #[test]
    fn gcj02_polygon_is_stored_shifted_to_wgs84() {
        let wgs = square(CLINIC, 0.001);
        let to_gcj = |[lon, lat]: [f64; 2]| {
            let p = wgs84_to_gcj02(LatLon { lat, lon });
            [p.lon, p.lat]
        };
        let gcj: Vec<[f64; 2]> = wgs.iter().copied().map(to_gcj).collect();
        let mut value = polygon(std::slice::from_ref(&gcj));
        value["crs"] = json!("gcj02");
        let fence = Geofence::parse(&value).unwrap();

        let Shape::Area(area) = fence.shape() else {
            panic!("not an area")
        };
        let stored = &area.0[0].exterior().0;
        for ((s, w), g) in stored.iter().zip(&wgs).zip(&gcj) {
            let s = LatLon { lat: s.y, lon: s.x };
            let w = LatLon {
                lat: w[1],
                lon: w[0],
            };
            let g = LatLon {
                lat: g[1],
                lon: g[0],
            };
            assert!(
                geodesic_m(s, w) < 0.5,
                "stored corner is the true WGS-84 corner"
            );
            assert!(
                (100.0..700.0).contains(&geodesic_m(s, g)),
                "shifted by hundreds of m"
            );
        }
        // And the physical clinic is inside.
        assert_eq!(fence.distance_outside_m(CLINIC), 0.0);
        assert_eq!(fence.to_stored_json()["crs"], json!("wgs84"));
    }

    #[test]
    fn bd09_circle_is_stored_in_wgs84() {
        let bd = gcj02_to_bd09(wgs84_to_gcj02(CLINIC));
        let mut value = circle(bd, 100.0);
        value["crs"] = json!("bd09");
        let fence = Geofence::parse(&value).unwrap();
        let Shape::Circle { center, radius_m } = *fence.shape() else {
            panic!("not a circle")
        };
        assert!(geodesic_m(center, CLINIC) < 0.5);
        assert_eq!(radius_m, 100.0);
    }

    // --- verdicts ---------------------------------------------------------------

    #[test]
    fn accuracy_widens_the_fence_up_to_the_cap() {
        let fence = Geofence::parse(&circle(CLINIC, 100.0)).unwrap();
        let policy = FixPolicy::default();
        let thirty_out = offset(CLINIC, 0.0, 130.0);
        assert!(matches!(
            fence.judge_fix(thirty_out, 40.0, &policy),
            FixVerdict::Inside { distance_m } if (29.0..31.0).contains(&distance_m)
        ));
        assert!(matches!(
            fence.judge_fix(thirty_out, 20.0, &policy),
            FixVerdict::Outside { distance_m } if (29.0..31.0).contains(&distance_m)
        ));
        // 80 m out with 90 m accuracy: the tolerance is capped at 50 m.
        let eighty_out = offset(CLINIC, 0.0, 180.0);
        assert!(matches!(
            fence.judge_fix(eighty_out, 90.0, &policy),
            FixVerdict::Outside { distance_m } if (79.0..81.0).contains(&distance_m)
        ));
        assert_eq!(
            fence.judge_fix(CLINIC, 5.0, &policy),
            FixVerdict::Inside { distance_m: 0.0 }
        );
    }

    #[test]
    fn poor_accuracy_is_not_judged() {
        let fence = Geofence::parse(&circle(CLINIC, 100.0)).unwrap();
        let policy = FixPolicy::default();
        assert_eq!(
            fence.judge_fix(CLINIC, 150.0, &policy),
            FixVerdict::PoorAccuracy { accuracy_m: 150.0 }
        );
        assert_eq!(
            fence.judge_fix(CLINIC, -1.0, &policy),
            FixVerdict::PoorAccuracy { accuracy_m: -1.0 }
        );
        for accuracy in [f64::NAN, f64::INFINITY] {
            assert!(matches!(
                fence.judge_fix(CLINIC, accuracy, &policy),
                FixVerdict::PoorAccuracy { .. }
            ));
        }
        assert!(matches!(
            fence.judge_fix(CLINIC, 100.0, &policy),
            FixVerdict::Inside { .. }
        ));
    }

    // --- storage ----------------------------------------------------------------

    #[test]
    fn stored_json_round_trips() {
        let mut gcj_circle = circle(wgs84_to_gcj02(CLINIC), 250.0);
        gcj_circle["crs"] = json!("gcj02");
        let mut bd_polygon = polygon(&[square(CLINIC, 0.001), square(CLINIC, 0.0003)]);
        bd_polygon["crs"] = json!("bd09");
        let multi = json!({"type": "MultiPolygon", "coordinates": [
            [square(CLINIC, 0.001)],
            [square(LatLon { lat: CLINIC.lat, lon: CLINIC.lon + 0.01 }, 0.001)],
        ]});
        for value in [gcj_circle, bd_polygon, multi] {
            let fence = Geofence::parse(&value).unwrap();
            let stored = fence.to_stored_json();
            assert_eq!(stored["crs"], json!("wgs84"));
            let again = Geofence::parse(&stored).unwrap();
            assert_eq!(again, fence);
            assert_eq!(again.to_stored_json(), stored);
        }
    }

    #[test]
    fn stored_json_has_the_input_shape() {
        let fence = Geofence::parse(&circle(CLINIC, 100.0)).unwrap();
        assert_eq!(
            fence.to_stored_json(),
            json!({"type": "circle", "center": {"lat": 25.29, "lon": 117.41}, "radius_m": 100.0, "crs": "wgs84"})
        );
        let fence = Geofence::parse(&polygon(&[square(CLINIC, 0.001)])).unwrap();
        let stored = fence.to_stored_json();
        assert_eq!(stored["type"], json!("Polygon"));
        assert_eq!(stored["coordinates"], json!([square(CLINIC, 0.001)]));
    }

    #[test]
    fn bounds_cover_the_fence() {
        let fence = Geofence::parse(&circle(CLINIC, 1000.0)).unwrap();
        let b = fence.bounds();
        let north = offset(CLINIC, 0.0, 999.0);
        let east = offset(CLINIC, 90.0, 999.0);
        assert!(north.lat < b.max().y && east.lon < b.max().x);
        assert!(offset(CLINIC, 0.0, 1050.0).lat > b.max().y);
        let square = Geofence::parse(&polygon(&[square(CLINIC, 0.001)])).unwrap();
        assert_eq!(
            square.bounds().min(),
            Coord {
                x: CLINIC.lon - 0.001,
                y: CLINIC.lat - 0.001
            }
        );
    }
}
